/* smooth.c — separable Gaussian smoothing of scalar or vector grids (demons regularisation,
 * pyramid pre-filtering). Kernel truncated at 3σ, renormalised at the borders (so a constant
 * field stays constant: the demons must not shrink displacements at the image edge). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"

static void smooth_axis(float *d, int nc, const int n[3], int axis, const double *kern, int hw) {
  size_t st[3] = {1, (size_t)n[0], (size_t)n[0] * n[1]};
  int len = n[axis];
  int o1 = axis == 0 ? 1 : 0, o2 = axis == 2 ? 1 : 2; /* the two other axes */
  int n1 = n[o1], n2 = n[o2];
#pragma omp parallel
  {
    double *line = malloc(sizeof(double) * (size_t)len * nc);
    double *out = malloc(sizeof(double) * (size_t)len * nc);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < n2; b++)
      for (int a = 0; a < n1; a++) {
        if (!line || !out) continue;
        size_t base = (size_t)a * st[o1] + (size_t)b * st[o2];
        for (int t = 0; t < len; t++)
          for (int c = 0; c < nc; c++) line[t * nc + c] = d[(base + t * st[axis]) * nc + c];
        for (int t = 0; t < len; t++) {
          int lo = t - hw < 0 ? -t : -hw, hi = t + hw > len - 1 ? len - 1 - t : hw;
          double wsum = 0;
          for (int c = 0; c < nc; c++) out[t * nc + c] = 0;
          for (int q = lo; q <= hi; q++) {
            double w = kern[q + hw];
            wsum += w;
            for (int c = 0; c < nc; c++) out[t * nc + c] += w * line[(t + q) * nc + c];
          }
          for (int c = 0; c < nc; c++) out[t * nc + c] /= wsum;
        }
        for (int t = 0; t < len; t++)
          for (int c = 0; c < nc; c++) d[(base + t * st[axis]) * nc + c] = (float)out[t * nc + c];
      }
    free(line);
    free(out);
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
    double *k = malloc(sizeof(double) * (2 * hw + 1));
    if (!k) return RERT_EINTERNAL;
    for (int q = -hw; q <= hw; q++) k[q + hw] = exp(-0.5 * q * q / (s * s));
    smooth_axis(d, nc, n, axis, k, hw);
    free(k);
  }
  return RERT_OK;
}
