/* smooth.c — separable Gaussian smoothing of scalar or vector grids (demons regularisation,
 * pyramid pre-filtering). Kernel truncated at 3σ, renormalised at the borders (so a constant
 * field stays constant: the demons must not shrink displacements at the image edge).
 * Cache-friendly: along j and k whole contiguous rows (nx·ncomp floats) are combined, so the
 * inner loop is a unit-stride axpy the compiler vectorises; along i each row is filtered from
 * a private copy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"

/* along i: rows of nx·nc floats */
static void smooth_i(float *d, int nc, const int n[3], const float *kern, int hw) {
  int nx = n[0];
  size_t rows = (size_t)n[1] * n[2], rl = (size_t)nx * nc;
#pragma omp parallel
  {
    float *line = malloc(sizeof(float) * rl);
#pragma omp for schedule(static)
    for (size_t r = 0; r < rows; r++) {
      if (!line) continue;
      float *row = d + r * rl;
      memcpy(line, row, sizeof(float) * rl);
      for (int t = 0; t < nx; t++) {
        int lo = t - hw < 0 ? -t : -hw, hi = t + hw > nx - 1 ? nx - 1 - t : hw;
        float acc[3] = {0, 0, 0}, ws = 0;
        for (int q = lo; q <= hi; q++) {
          float w = kern[q + hw];
          ws += w;
          const float *src = line + (size_t)(t + q) * nc;
          for (int c = 0; c < nc; c++) acc[c] += w * src[c];
        }
        for (int c = 0; c < nc; c++) row[(size_t)t * nc + c] = acc[c] / ws;
      }
    }
    free(line);
  }
}

/* along j (axis 1) or k (axis 2): combine whole rows */
static void smooth_jk(float *d, int nc, const int n[3], int axis, const float *kern, int hw) {
  size_t rl = (size_t)n[0] * nc;
  int len = n[axis];
  int nouter = axis == 1 ? n[2] : n[1];
  size_t step = axis == 1 ? rl : rl * n[1];        /* between successive t */
  size_t ostep = axis == 1 ? rl * n[1] : rl;       /* between outer lines */
#pragma omp parallel
  {
    float *buf = malloc(sizeof(float) * rl * (size_t)len);
#pragma omp for schedule(static)
    for (int o = 0; o < nouter; o++) {
      if (!buf) continue;
      float *base = d + (size_t)o * ostep;
      for (int t = 0; t < len; t++) {
        int lo = t - hw < 0 ? -t : -hw, hi = t + hw > len - 1 ? len - 1 - t : hw;
        float ws = 0;
        for (int q = lo; q <= hi; q++) ws += kern[q + hw];
        float *out = buf + (size_t)t * rl;
        memset(out, 0, sizeof(float) * rl);
        for (int q = lo; q <= hi; q++) {
          float w = kern[q + hw] / ws;
          const float *src = base + (size_t)(t + q) * step;
          for (size_t x = 0; x < rl; x++) out[x] += w * src[x];
        }
      }
      for (int t = 0; t < len; t++) memcpy(base + (size_t)t * step, buf + (size_t)t * rl, sizeof(float) * rl);
    }
    free(buf);
  }
}

int reg_gauss_smooth(float *d, int nc, const int n[3], const double sp[3], double sigma_mm) {
  if (!(sigma_mm > 0)) return RERT_OK;
  for (int axis = 0; axis < 3; axis++) {
    if (n[axis] < 2) continue;
    double s = sigma_mm / sp[axis];
    if (s < 0.2) continue;
    int hw = (int)ceil(3 * s);
    if (hw > n[axis] - 1) hw = n[axis] - 1;
    float *k = malloc(sizeof(float) * (2 * hw + 1));
    if (!k) return RERT_EINTERNAL;
    for (int q = -hw; q <= hw; q++) k[q + hw] = (float)exp(-0.5 * q * q / (s * s));
    if (axis == 0) smooth_i(d, nc, n, k, hw);
    else smooth_jk(d, nc, n, axis, k, hw);
    free(k);
  }
  return RERT_OK;
}
