/* pyramid.c — multi-resolution helpers for the built-in registration: Gaussian-smoothed
 * resampling of an image onto a coarser grid with the same origin and directions, intensity
 * clamping, and spatial gradients in world (LPS) coordinates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"
#include "register/reg_pyramid.h"

int reg_resample_coarse(const rert_volume *v, const double target_mm[3], float lo, float hi,
                        rert_volume *out, rert_err *err) {
  double f[3];
  int need_smooth = 0, q[3], need_block = 0;
  rert_volume g = *v;
  g.data = NULL;
  for (int a = 0; a < 3; a++) {
    double sp = target_mm[a] > v->spacing_mm[a] ? target_mm[a] : v->spacing_mm[a];
    f[a] = sp / v->spacing_mm[a];
    if (f[a] > 1.01) need_smooth = 1;
    g.spacing_mm[a] = sp;
    /* integer pre-decimation by block averaging, leaving at least 2 samples per output cell for
     * the Gaussian: a 512² CT smoothed at full resolution for a 6 mm level costs 10× more */
    q[a] = f[a] >= 4 ? (int)floor(f[a] / 2) : 1;
    if (q[a] > 1) need_block = 1;
  }
  g.nx = (int)ceil(v->nx / f[0] - 1e-6), g.ny = (int)ceil(v->ny / f[1] - 1e-6), g.nz = (int)ceil(v->nz / f[2] - 1e-6);
  rert_volume s = *v;
  s.data = NULL;
  int rc;
  if (need_block) {
    s.nx = (v->nx + q[0] - 1) / q[0], s.ny = (v->ny + q[1] - 1) / q[1], s.nz = (v->nz + q[2] - 1) / q[2];
    for (int a = 0; a < 3; a++) s.spacing_mm[a] = v->spacing_mm[a] * q[a];
    double c[3] = {0.5 * (q[0] - 1), 0.5 * (q[1] - 1), 0.5 * (q[2] - 1)};
    volume_index_to_world(v, c, s.origin_mm);
    if ((rc = volume_alloc(&s, err))) return rc;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < s.nz; k++)
      for (int j = 0; j < s.ny; j++)
        for (int i = 0; i < s.nx; i++) {
          double acc = 0;
          int cnt = 0;
          for (int dk = 0; dk < q[2]; dk++) {
            int kk = k * q[2] + dk < v->nz ? k * q[2] + dk : v->nz - 1;
            for (int dj = 0; dj < q[1]; dj++) {
              int jj = j * q[1] + dj < v->ny ? j * q[1] + dj : v->ny - 1;
              const float *row = v->data + (size_t)v->nx * (jj + (size_t)v->ny * kk);
              for (int di = 0; di < q[0]; di++) {
                int ii = i * q[0] + di < v->nx ? i * q[0] + di : v->nx - 1;
                float x = row[ii];
                acc += x < lo ? lo : (x > hi ? hi : x);
                cnt++;
              }
            }
          }
          s.data[i + (size_t)s.nx * (j + (size_t)s.ny * k)] = (float)(acc / cnt);
        }
  } else {
    if ((rc = volume_alloc_like(&s, v, err))) return rc;
    size_t n = volume_count(v);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
      float x = v->data[i];
      s.data[i] = x < lo ? lo : (x > hi ? hi : x);
    }
  }
  if (!need_smooth) {
    *out = s;
    return RERT_OK;
  }
  /* anti-alias: Gaussian σ = 0.5·target spacing along each downsampled axis, less what the block
   * average already did (variance (q² − 1)/12 voxels²) */
  int nn[3] = {s.nx, s.ny, s.nz};
  for (int a = 0; a < 3; a++) {
    if (!(f[a] > 1.01)) continue;
    double st = 0.5 * g.spacing_mm[a], sb2 = (q[a] * q[a] - 1) / 12.0 * v->spacing_mm[a] * v->spacing_mm[a];
    double sr = st * st > sb2 ? sqrt(st * st - sb2) : 0;
    double sp3[3] = {1e9, 1e9, 1e9};
    sp3[a] = s.spacing_mm[a];
    reg_gauss_smooth(s.data, 1, nn, sp3, sr);
  }
  rc = volume_alloc(&g, err);
  if (rc) {
    volume_free(&s);
    return rc;
  }
  reg_grid gs, gg;
  reg_grid_from_volume(&gs, &s);
  reg_grid_from_volume(&gg, &g);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < g.nz; k++)
    for (int j = 0; j < g.ny; j++)
      for (int i = 0; i < g.nx; i++) {
        double x[3], p[3];
        reg_grid_world(&gg, i, j, k, x);
        reg_grid_index(&gs, x, p);
        /* clamp to the sampled extent: the block grid's centres stop up to (q−1)/2 voxels short */
        for (int a = 0; a < 3; a++) p[a] = p[a] < 0 ? 0 : (p[a] > gs.n[a] - 1 ? gs.n[a] - 1 : p[a]);
        g.data[i + (size_t)g.nx * (j + (size_t)g.ny * k)] = reg_interp_scalar(s.data, gs.n, p, lo);
      }
  volume_free(&s);
  *out = g;
  return RERT_OK;
}

void reg_gradient_world(const rert_volume *v, float *g) {
  reg_grid gr;
  reg_grid_from_volume(&gr, v);
  int n[3] = {v->nx, v->ny, v->nz};
  size_t st[3] = {1, (size_t)v->nx, (size_t)v->nx * v->ny};
#pragma omp parallel for schedule(static)
  for (int k = 0; k < v->nz; k++)
    for (int j = 0; j < v->ny; j++)
      for (int i = 0; i < v->nx; i++) {
        int q[3] = {i, j, k};
        size_t idx = i + st[1] * j + st[2] * k;
        double di[3];
        for (int a = 0; a < 3; a++) {
          if (n[a] < 2) {
            di[a] = 0;
            continue;
          }
          int lo = q[a] > 0 ? q[a] - 1 : q[a], hi = q[a] < n[a] - 1 ? q[a] + 1 : q[a];
          di[a] = (v->data[idx + (size_t)(hi - q[a]) * st[a]] - v->data[idx - (size_t)(q[a] - lo) * st[a]]) /
                  (double)(hi - lo);
        }
        /* ∂f/∂x_b = Σ_a ∂f/∂i_a · ainv[a][b] */
        for (int b = 0; b < 3; b++)
          g[3 * idx + b] = (float)(di[0] * gr.ainv[b] + di[1] * gr.ainv[3 + b] + di[2] * gr.ainv[6 + b]);
      }
}
