/* bound_mapped.c — the worst case of a mapped dose, taken in the course's own frame (issue #14;
 * docs/register.md "Uncertainty bounds").
 *
 * The dose-mapping uncertainty says: the registration may be wrong by up to r mm, i.e. the true
 * point of the moving course that corresponds to reference voxel x lies within r of
 * y = x + u(x). The bound is therefore the min / max of the moving dose D over the ball B(y, r)
 * in the moving frame. Filtering the dose *after* it was resampled onto the reference grid (what
 * the consult did before) is not a bound: resampling reads D at x + u(x) on reference nodes only,
 * so a dose peak that the true mapping reaches between them is flattened before the ball is
 * searched. Measured on the broad-dose bench phantom: 9 of 90 027 voxels above 5 Gy had a
 * worst-case EQD2 below the true one, by up to 0.41 Gy, all at dose maxima.
 *
 * D is trilinear between its nodes (the interpolation the nominal map uses; 0 beyond half a voxel
 * outside the grid). Its extremes over the ball are at nodes inside the ball or on its surface:
 * every node within r of y is read exactly, and the surface along the 26 axis / edge / corner
 * directions at r / 0.886 — 0.886 is the cosine of the largest angle between any direction and
 * the nearest of the 26 (27.6°), so on a linear dose the bound reaches at least r·|∇D| whatever
 * the gradient's direction (on the safe side by at most 12.8 %). The radius may vary per output
 * voxel (a map, e.g. the inverse-consistency error of rert warp --reverse-field), r its floor. */
#include <math.h>
#include <string.h>

#include "register/reg_internal.h"

#define BOUND_COS_COVER 0.886 /* cos 27.6°, rounded down */

int reg_bound_mapped(const rert_volume *moving, const rert_vfield *u, const rert_volume *out_like, double r,
                     const rert_volume *radius_map, rert_volume *lo, rert_volume *hi, rert_err *err) {
  if (!moving || !moving->data || !u || !u->u_mm || !out_like)
    return rert_err_set(err, RERT_EINPUT, "uncertainty bound: missing dose, field or grid");
  if (!(r >= 0) || !isfinite(r)) return rert_err_set(err, RERT_EINPUT, "uncertainty radius must be >= 0 mm");
  if (radius_map && (radius_map->nx != out_like->nx || radius_map->ny != out_like->ny || radius_map->nz != out_like->nz))
    return rert_err_set(err, RERT_EINPUT, "uncertainty bound: the radius map is not on the output grid");
  memset(lo, 0, sizeof *lo), memset(hi, 0, sizeof *hi);
  int rc = volume_alloc_like(lo, out_like, err);
  if (!rc) rc = volume_alloc_like(hi, out_like, err);
  if (rc) {
    volume_free(lo), volume_free(hi);
    return rc;
  }
  lo->meta = hi->meta = moving->meta;
  reg_grid go, gu, gm;
  reg_grid_from_volume(&go, lo);
  reg_grid_from_vfield(&gu, u);
  reg_grid_from_volume(&gm, moving);
  const int same = reg_grid_same(&go, &gu);
  /* index-space half-widths of a unit ball (|row a of ainv|) and the 26 unit surface offsets,
   * scaled per voxel by its radius */
  double half[3], dq[26][3];
  for (int a = 0; a < 3; a++)
    half[a] = sqrt(gm.ainv[3 * a] * gm.ainv[3 * a] + gm.ainv[3 * a + 1] * gm.ainv[3 * a + 1] +
                       gm.ainv[3 * a + 2] * gm.ainv[3 * a + 2]);
  int nd = 0;
  const double rho = 1.0 / BOUND_COS_COVER;
  for (int a = -1; a <= 1; a++)
    for (int b = -1; b <= 1; b++)
      for (int c = -1; c <= 1; c++) {
        if (!a && !b && !c) continue;
        double len = sqrt((double)(a * a + b * b + c * c)), w[3] = {rho * a / len, rho * b / len, rho * c / len};
        for (int q = 0; q < 3; q++) dq[nd][q] = gm.ainv[3 * q] * w[0] + gm.ainv[3 * q + 1] * w[1] + gm.ainv[3 * q + 2] * w[2];
        nd++;
      }
  const size_t sy = (size_t)gm.n[0], sz = (size_t)gm.n[0] * gm.n[1];
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < go.n[2]; k++)
    for (int j = 0; j < go.n[1]; j++) {
      size_t row = (size_t)go.n[0] * (j + (size_t)go.n[1] * k);
      for (int i = 0; i < go.n[0]; i++) {
        double x[3], p[3], y[3];
        reg_grid_world(&go, i, j, k, x);
        reg_pullback_point(u->u_mm, &gu, same, row + i, x, y);
        reg_grid_index(&gm, y, p);
        float v0 = reg_interp_scalar(moving->data, gm.n, p, 0.0f), l = v0, h = v0;
        const double rv = radius_map ? fmax(r, (double)radius_map->data[row + i]) : r;
        /* a non-finite point (fields are checked for that before mapping) reads nothing more */
        if (rv > 0 && isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2])) {
          const double r2 = rv * rv * (1 + 1e-12);
          /* node range in double first: a point far outside the grid (or a non-finite one) must
           * not reach an int conversion out of range */
          int b0[3], b1[3];
          for (int a = 0; a < 3; a++) {
            double l0 = ceil(p[a] - rv * half[a] - 1e-9), l1 = floor(p[a] + rv * half[a] + 1e-9);
            b0[a] = l0 >= 0 ? (l0 <= gm.n[a] ? (int)l0 : gm.n[a]) : 0;
            b1[a] = l1 <= gm.n[a] - 1 ? (l1 >= -1 ? (int)l1 : -1) : gm.n[a] - 1;
          }
          for (int kk = b0[2]; kk <= b1[2]; kk++)
            for (int jj = b0[1]; jj <= b1[1]; jj++)
              for (int ii = b0[0]; ii <= b1[0]; ii++) {
                double di = ii - p[0], dj = jj - p[1], dk = kk - p[2], dist2 = 0;
                for (int q = 0; q < 3; q++) {
                  double w = gm.a[3 * q] * di + gm.a[3 * q + 1] * dj + gm.a[3 * q + 2] * dk;
                  dist2 += w * w;
                }
                if (dist2 > r2) continue;
                float s = moving->data[ii + sy * jj + sz * kk];
                if (s < l) l = s;
                if (s > h) h = s;
              }
          for (int q = 0; q < nd; q++) {
            double ps[3] = {p[0] + rv * dq[q][0], p[1] + rv * dq[q][1], p[2] + rv * dq[q][2]};
            float s = reg_interp_scalar(moving->data, gm.n, ps, 0.0f);
            if (s < l) l = s;
            if (s > h) h = s;
          }
        }
        lo->data[row + i] = l;
        hi->data[row + i] = h;
      }
    }
  return RERT_OK;
}
