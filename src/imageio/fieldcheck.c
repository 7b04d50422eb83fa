/* fieldcheck.c — coverage of a dose region by a deformation field (rert/fieldcheck.h).
 *
 * The continuous field index of region voxel (i, j, k) is an affine function of (i, j, k):
 * p = F⁻¹ · (T · x(i, j, k) − o_f), with x the region's voxel centre, T the optional
 * world → field-frame matrix and F the field's direction × spacing. It is evaluated
 * incrementally along i, so the check costs one pass over the region. "Inside" is the
 * interpolation domain of the trilinear sampler: −0.5 ≤ p ≤ n − 0.5 on every axis. */
#include "rert/fieldcheck.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* inverse of a 3×3 (row-major); 0 if singular */
static int inv3(const double m[9], double r[9]) {
  double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
               m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (!(fabs(det) > 1e-12)) return 0;
  r[0] = (m[4] * m[8] - m[5] * m[7]) / det;
  r[1] = (m[2] * m[7] - m[1] * m[8]) / det;
  r[2] = (m[1] * m[5] - m[2] * m[4]) / det;
  r[3] = (m[5] * m[6] - m[3] * m[8]) / det;
  r[4] = (m[0] * m[8] - m[2] * m[6]) / det;
  r[5] = (m[2] * m[3] - m[0] * m[5]) / det;
  r[6] = (m[3] * m[7] - m[4] * m[6]) / det;
  r[7] = (m[1] * m[6] - m[0] * m[7]) / det;
  r[8] = (m[0] * m[4] - m[1] * m[3]) / det;
  return 1;
}

int fieldcheck_coverage(const rert_vfield *f, const double *world_to_field, const rert_volume *region,
                        const char *field_path, const char *region_path, rert_err *err) {
  if (!region || !region->data || !f || f->nx < 1 || f->ny < 1 || f->nz < 1) return RERT_OK;
  /* F: columns = field axis directions × spacing (identity directions when unset) */
  int zero = 1;
  for (int a = 0; a < 9; a++) zero &= f->dir[a] == 0;
  double F[9], Finv[9];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) F[3 * r + c] = (zero ? (r == c) : f->dir[3 * c + r]) * f->spacing_mm[c];
  if (!inv3(F, Finv))
    return rert_err_set(err, RERT_EINPUT, "%s: the field's grid is degenerate (zero spacing or "
                        "parallel axes)", field_path);
  double T[12] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  if (world_to_field) memcpy(T, world_to_field, sizeof T);
  /* region voxel centre x = o + i·a + j·b + k·c; q = T·x; p = Finv·(q − o_f) */
  const rert_volume *g = region;
  int rzero = 1;
  for (int a = 0; a < 9; a++) rzero &= g->dir[a] == 0;
  double ax[3][3]; /* ax[axis][component] = region step along axis, world */
  for (int ax_ = 0; ax_ < 3; ax_++)
    for (int c = 0; c < 3; c++) ax[ax_][c] = (rzero ? (ax_ == c) : g->dir[3 * ax_ + c]) * g->spacing_mm[ax_];
  double p0[3], dp[3][3];
  {
    double q0[3], dq[3][3];
    for (int r = 0; r < 3; r++) {
      q0[r] = T[4 * r + 3];
      for (int c = 0; c < 3; c++) q0[r] += T[4 * r + c] * g->origin_mm[c];
      for (int ax_ = 0; ax_ < 3; ax_++) {
        dq[ax_][r] = 0;
        for (int c = 0; c < 3; c++) dq[ax_][r] += T[4 * r + c] * ax[ax_][c];
      }
    }
    for (int r = 0; r < 3; r++) {
      p0[r] = 0;
      for (int c = 0; c < 3; c++) p0[r] += Finv[3 * r + c] * (q0[c] - f->origin_mm[c]);
      for (int ax_ = 0; ax_ < 3; ax_++) {
        dp[ax_][r] = 0;
        for (int c = 0; c < 3; c++) dp[ax_][r] += Finv[3 * r + c] * dq[ax_][c];
      }
    }
  }
  const double lim[3] = {f->nx - 0.5, f->ny - 0.5, f->nz - 0.5}, eps = 1e-6;
  size_t bad = 0, pos = 0;
  double worst = 0;
  int lo[3] = {g->nx, g->ny, g->nz}, hi[3] = {-1, -1, -1};
#pragma omp parallel
  {
    size_t b_ = 0, p_ = 0;
    double w_ = 0;
    int lo_[3] = {g->nx, g->ny, g->nz}, hi_[3] = {-1, -1, -1};
#pragma omp for schedule(static) nowait
    for (int k = 0; k < g->nz; k++)
      for (int j = 0; j < g->ny; j++) {
        const float *row = g->data + (size_t)g->nx * (j + (size_t)g->ny * k);
        double b[3];
        for (int r = 0; r < 3; r++) b[r] = p0[r] + j * dp[1][r] + k * dp[2][r];
        for (int i = 0; i < g->nx; i++) {
          if (!(row[i] > 0)) continue;
          p_++;
          int in = 1;
          for (int r = 0; r < 3; r++) {
            double p = b[r] + i * dp[0][r];
            in &= p >= -0.5 - eps && p <= lim[r] + eps;
          }
          if (in) continue;
          b_++;
          if (row[i] > w_) w_ = row[i];
          const int ijk[3] = {i, j, k};
          for (int r = 0; r < 3; r++) {
            if (ijk[r] < lo_[r]) lo_[r] = ijk[r];
            if (ijk[r] > hi_[r]) hi_[r] = ijk[r];
          }
        }
      }
#pragma omp critical
    {
      bad += b_, pos += p_;
      if (w_ > worst) worst = w_;
      for (int r = 0; r < 3; r++) {
        if (lo_[r] < lo[r]) lo[r] = lo_[r];
        if (hi_[r] > hi[r]) hi[r] = hi_[r];
      }
    }
  }
  if (!bad) return RERT_OK;
  double a_mm[3], b_mm[3], ia[3] = {lo[0], lo[1], lo[2]}, ib[3] = {hi[0], hi[1], hi[2]};
  volume_index_to_world(g, ia, a_mm);
  volume_index_to_world(g, ib, b_mm);
  return rert_err_set(err, RERT_EINPUT,
                      "%s: the deformation does not cover the dose region: %zu of the %zu voxels "
                      "of %s with dose > 0 (up to %.3g Gy) lie outside the field's grid (voxels "
                      "%d..%d, %d..%d, %d..%d; LPS %.1f,%.1f,%.1f to %.1f,%.1f,%.1f mm); a field "
                      "must cover every voxel the dose is evaluated in",
                      field_path, bad, pos, region_path, worst, lo[0], hi[0], lo[1], hi[1], lo[2],
                      hi[2], a_mm[0], a_mm[1], a_mm[2], b_mm[0], b_mm[1], b_mm[2]);
}

/* mean |Δu| over the three axes of the layout n (values in memory order), sampling at most
 * ~2 M voxels */
static double roughness(const float *u, const int n[3]) {
  const size_t N = (size_t)n[0] * n[1] * n[2];
  const size_t stride[3] = {1, (size_t)n[0], (size_t)n[0] * n[1]};
  const size_t step = N > 2000000 ? N / 2000000 : 1;
  double total = 0;
  for (int a = 0; a < 3; a++) {
    if (n[a] < 2) continue;
    double s = 0;
    size_t cnt = 0;
#pragma omp parallel for reduction(+ : s, cnt) schedule(static)
    for (size_t v = 0; v < N; v += step) {
      const size_t coord = v / stride[a] % (size_t)n[a];
      if (coord + 1 >= (size_t)n[a]) continue;
      const float *p = u + 3 * v, *q = u + 3 * (v + stride[a]);
      s += fabs((double)q[0] - p[0]) + fabs((double)q[1] - p[1]) + fabs((double)q[2] - p[2]);
      cnt++;
    }
    if (cnt) total += s / (double)cnt;
  }
  return total;
}

int fieldcheck_layout(const rert_vfield *f, const char *path, const char *dims_name, rert_err *err) {
  if (!f || !f->u_mm) return RERT_OK;
  const int d[3] = {f->nx, f->ny, f->nz};
  const double declared = roughness(f->u_mm, d);
  if (!(declared > 0.01)) return RERT_OK;
  static const int perm[5][3] = {{0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  double best = declared;
  int bp = -1;
  for (int p = 0; p < 5; p++) {
    const int n[3] = {d[perm[p][0]], d[perm[p][1]], d[perm[p][2]]};
    if (n[0] == d[0] && n[1] == d[1] && n[2] == d[2]) continue; /* equal sizes: same layout */
    const double r = roughness(f->u_mm, n);
    if (r < best) best = r, bp = p;
  }
  if (bp < 0 || !(best < 0.5 * declared)) return RERT_OK;
  return rert_err_set(err, RERT_EINPUT,
                      "%s: %s %d × %d × %d looks transposed: the vectors are smooth when read as "
                      "%d × %d × %d (mean step %.3g mm) but jump between neighbours as declared "
                      "(mean step %.3g mm); fix the header's dimensions",
                      path, dims_name, d[0], d[1], d[2], d[perm[bp][0]], d[perm[bp][1]],
                      d[perm[bp][2]], best, declared);
}
