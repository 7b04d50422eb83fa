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
  rert_volume s;
  int rc = volume_alloc_like(&s, v, err);
  if (rc) return rc;
  size_t n = volume_count(v);
  for (size_t i = 0; i < n; i++) {
    float q = v->data[i];
    s.data[i] = q < lo ? lo : (q > hi ? hi : q);
  }
  double f[3];
  int need_smooth = 0;
  rert_volume g = *v;
  g.data = NULL;
  for (int a = 0; a < 3; a++) {
    double sp = target_mm[a] > v->spacing_mm[a] ? target_mm[a] : v->spacing_mm[a];
    f[a] = sp / v->spacing_mm[a];
    if (f[a] > 1.01) need_smooth = 1;
    g.spacing_mm[a] = sp;
  }
  g.nx = (int)ceil(v->nx / f[0] - 1e-6), g.ny = (int)ceil(v->ny / f[1] - 1e-6), g.nz = (int)ceil(v->nz / f[2] - 1e-6);
  if (!need_smooth) {
    *out = s;
    return RERT_OK;
  }
  /* anti-alias: σ = 0.5·target spacing along each downsampled axis (per-axis via scaling) */
  int nn[3] = {v->nx, v->ny, v->nz};
  double sp3[3];
  double sig = 0;
  for (int a = 0; a < 3; a++) sig = fmax(sig, 0.5 * g.spacing_mm[a] * (f[a] > 1.01));
  for (int a = 0; a < 3; a++) sp3[a] = f[a] > 1.01 ? v->spacing_mm[a] * sig / (0.5 * g.spacing_mm[a]) : 1e9;
  reg_gauss_smooth(s.data, 1, nn, sp3, sig);
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
