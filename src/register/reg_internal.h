/* reg_internal.h — grid affine helpers shared by the register module's voxel loops: world ↔
 * continuous index with a precomputed matrix (no per-point Cramer solve), and fast trilinear
 * sampling of scalar and 3-component interleaved grids. */
#ifndef RERT_REG_INTERNAL_H
#define RERT_REG_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include "rert/register.h"

typedef struct {
  int n[3];
  double o[3];
  double a[9];    /* world = o + a·ijk, a[3*r + c] */
  double ainv[9]; /* ijk = ainv·(world − o) */
} reg_grid;

void reg_grid_from_volume(reg_grid *g, const rert_volume *v);
void reg_grid_from_vfield(reg_grid *g, const rert_vfield *f);

static inline void reg_grid_world(const reg_grid *g, double i, double j, double k, double x[3]) {
  for (int r = 0; r < 3; r++) x[r] = g->o[r] + g->a[3 * r] * i + g->a[3 * r + 1] * j + g->a[3 * r + 2] * k;
}
static inline void reg_grid_index(const reg_grid *g, const double x[3], double p[3]) {
  double d0 = x[0] - g->o[0], d1 = x[1] - g->o[1], d2 = x[2] - g->o[2];
  for (int r = 0; r < 3; r++) p[r] = g->ainv[3 * r] * d0 + g->ainv[3 * r + 1] * d1 + g->ainv[3 * r + 2] * d2;
}

/* Scalar trilinear at continuous index p; `outside` beyond half a voxel past the border. */
static inline float reg_interp_scalar(const float *d, const int n[3], const double p[3], float outside) {
  int i0[3];
  double f[3];
  for (int a = 0; a < 3; a++) {
    if (!(p[a] >= -0.5 && p[a] <= n[a] - 0.5)) return outside;
    double c = p[a] < 0 ? 0 : (p[a] > n[a] - 1 ? n[a] - 1 : p[a]);
    int ii = (int)c;
    if (ii >= n[a] - 1) ii = n[a] > 1 ? n[a] - 2 : 0;
    i0[a] = ii;
    f[a] = n[a] > 1 ? c - ii : 0;
  }
  size_t sy = (size_t)n[0], sz = (size_t)n[0] * n[1];
  size_t b = i0[0] + sy * i0[1] + sz * i0[2];
  size_t dx = n[0] > 1, dy = n[1] > 1 ? sy : 0, dz = n[2] > 1 ? sz : 0;
  double c00 = d[b] + f[0] * (d[b + dx] - d[b]);
  double c10 = d[b + dy] + f[0] * (d[b + dy + dx] - d[b + dy]);
  double c01 = d[b + dz] + f[0] * (d[b + dz + dx] - d[b + dz]);
  double c11 = d[b + dz + dy] + f[0] * (d[b + dz + dy + dx] - d[b + dz + dy]);
  double c0 = c00 + f[1] * (c10 - c00), c1 = c01 + f[1] * (c11 - c01);
  return (float)(c0 + f[2] * (c1 - c0));
}

/* Scalar trilinear at continuous index p (already inside [0, n − 1]) and its exact derivative
 * with respect to p (gi, per index axis): the gradient of the interpolant itself, so that a cost
 * built on it has a consistent gradient (a central-difference image gradient differs from it by
 * 20-30 % at sharp edges, which stalls a quasi-Newton line search). */
static inline double reg_interp_scalar_grad(const float *d, const int n[3], const double p[3], double gi[3]) {
  int i0[3];
  double f[3];
  for (int a = 0; a < 3; a++) {
    double c = p[a] < 0 ? 0 : (p[a] > n[a] - 1 ? n[a] - 1 : p[a]);
    int ii = (int)c;
    if (ii >= n[a] - 1) ii = n[a] > 1 ? n[a] - 2 : 0;
    i0[a] = ii;
    f[a] = n[a] > 1 ? c - ii : 0;
  }
  size_t sy = (size_t)n[0], sz = (size_t)n[0] * n[1];
  size_t b = i0[0] + sy * i0[1] + sz * i0[2];
  size_t dx = n[0] > 1, dy = n[1] > 1 ? sy : 0, dz = n[2] > 1 ? sz : 0;
  double v000 = d[b], v100 = d[b + dx], v010 = d[b + dy], v110 = d[b + dy + dx];
  double v001 = d[b + dz], v101 = d[b + dz + dx], v011 = d[b + dz + dy], v111 = d[b + dz + dy + dx];
  double c00 = v000 + f[0] * (v100 - v000), c10 = v010 + f[0] * (v110 - v010);
  double c01 = v001 + f[0] * (v101 - v001), c11 = v011 + f[0] * (v111 - v011);
  double c0 = c00 + f[1] * (c10 - c00), c1 = c01 + f[1] * (c11 - c01);
  /* d/df0 */
  double e00 = v100 - v000, e10 = v110 - v010, e01 = v101 - v001, e11 = v111 - v011;
  double e0 = e00 + f[1] * (e10 - e00), e1 = e01 + f[1] * (e11 - e01);
  gi[0] = n[0] > 1 ? e0 + f[2] * (e1 - e0) : 0;
  gi[1] = n[1] > 1 ? (c10 - c00) + f[2] * ((c11 - c01) - (c10 - c00)) : 0;
  gi[2] = n[2] > 1 ? c1 - c0 : 0;
  return c0 + f[2] * (c1 - c0);
}

/* Nearest-neighbour at continuous index p. */
static inline float reg_interp_nearest(const float *d, const int n[3], const double p[3], float outside) {
  int q[3];
  for (int a = 0; a < 3; a++) {
    if (!(p[a] >= -0.5 && p[a] <= n[a] - 0.5)) return outside;
    q[a] = (int)floor(p[a] + 0.5);
    if (q[a] > n[a] - 1) q[a] = n[a] - 1;
    if (q[a] < 0) q[a] = 0;
  }
  return d[q[0] + (size_t)n[0] * (q[1] + (size_t)n[1] * q[2])];
}

/* 3-component trilinear at continuous index p with edge clamping; returns 1 if p is inside
 * the grid (within half a voxel), 0 if clamped. */
static inline int reg_interp_vec(const float *u, const int n[3], const double p[3], double out[3]) {
  int i0[3], inside = 1;
  double f[3];
  for (int a = 0; a < 3; a++) {
    double c = p[a];
    if (!(c >= -0.5 && c <= n[a] - 0.5)) inside = 0;
    if (!(c >= 0)) c = 0; /* also catches NaN */
    if (c > n[a] - 1) c = n[a] - 1;
    int ii = (int)c;
    if (ii >= n[a] - 1) ii = n[a] > 1 ? n[a] - 2 : 0;
    i0[a] = ii;
    f[a] = n[a] > 1 ? c - ii : 0;
  }
  size_t sy = (size_t)n[0], sz = (size_t)n[0] * n[1];
  size_t b = i0[0] + sy * i0[1] + sz * i0[2];
  size_t dx = n[0] > 1, dy = n[1] > 1 ? sy : 0, dz = n[2] > 1 ? sz : 0;
  for (int c = 0; c < 3; c++) {
    const float *d = u + c;
#define V(o) ((double)d[3 * (o)])
    double c00 = V(b) + f[0] * (V(b + dx) - V(b));
    double c10 = V(b + dy) + f[0] * (V(b + dy + dx) - V(b + dy));
    double c01 = V(b + dz) + f[0] * (V(b + dz + dx) - V(b + dz));
    double c11 = V(b + dz + dy) + f[0] * (V(b + dz + dy + dx) - V(b + dz + dy));
#undef V
    double c0 = c00 + f[1] * (c10 - c00), c1 = c01 + f[1] * (c11 - c01);
    out[c] = c0 + f[2] * (c1 - c0);
  }
  return inside;
}

/* Pull-back point y = x + u(x) of output node (i, j, k) at world x: the field's own value when
 * it lives on the output grid (`same`, see reg_grid_same), else trilinear in it. The one rule the
 * nominal map (reg_warp_volume_to) and its uncertainty bound (reg_bound_mapped) share. */
static inline int reg_grid_same(const reg_grid *a, const reg_grid *b) {
  int same = a->n[0] == b->n[0] && a->n[1] == b->n[1] && a->n[2] == b->n[2];
  for (int q = 0; q < 3 && same; q++) same = a->o[q] == b->o[q];
  for (int q = 0; q < 9 && same; q++) same = a->a[q] == b->a[q];
  return same;
}
static inline void reg_pullback_point(const float *u_mm, const reg_grid *gu, int same, size_t node, const double x[3],
                                      double y[3]) {
  double d[3], p[3];
  if (same) {
    const float *uv = u_mm + 3 * node;
    d[0] = uv[0], d[1] = uv[1], d[2] = uv[2];
  } else {
    reg_grid_index(gu, x, p);
    reg_interp_vec(u_mm, gu->n, p, d);
  }
  for (int a = 0; a < 3; a++) y[a] = x[a] + d[a];
}

/* elastix.c: elastix on the region F (moving region M through the rigid map m first), field
 * composed with m. */
int reg_elastix_run_rigid(const rert_volume *F, const rert_volume *M, const rert_volume *mask, const double m[16],
                          const reg_pipeline_opts *o, rert_vfield *out, rert_err *err);

/* Separable Gaussian smoothing (σ in mm) of an ncomp-interleaved float grid, in place. */
int reg_gauss_smooth(float *d, int ncomp, const int n[3], const double sp[3], double sigma_mm);

#endif
