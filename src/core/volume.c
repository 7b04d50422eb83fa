/* volume.c — geometry and trilinear sampling of rert_volume (rert/volume.h). */
#include "rert/volume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t volume_count(const rert_volume *v) {
  return (size_t)v->nx * (size_t)v->ny * (size_t)v->nz;
}

void volume_set_identity_dir(rert_volume *v) {
  memset(v->dir, 0, sizeof v->dir);
  v->dir[0] = v->dir[4] = v->dir[8] = 1.0;
}

int volume_alloc(rert_volume *v, rert_err *err) {
  if (v->nx <= 0 || v->ny <= 0 || v->nz <= 0)
    return rert_err_set(err, RERT_EINPUT, "volume: invalid dimensions %dx%dx%d", v->nx, v->ny,
                        v->nz);
  for (int a = 0; a < 3; a++)
    if (!(v->spacing_mm[a] > 0) || !isfinite(v->spacing_mm[a]))
      return rert_err_set(err, RERT_EINPUT, "volume: spacing must be positive");
  int zero = 1;
  for (int a = 0; a < 9; a++)
    if (v->dir[a] != 0) zero = 0;
  if (zero) volume_set_identity_dir(v);
  size_t n = volume_count(v);
  v->data = calloc(n, sizeof(float));
  if (!v->data)
    return rert_err_set(err, RERT_EINTERNAL, "volume: out of memory for %zu voxels", n);
  return RERT_OK;
}

int volume_alloc_like(rert_volume *v, const rert_volume *like, rert_err *err) {
  *v = *like;
  v->data = NULL;
  return volume_alloc(v, err);
}

int volume_copy(rert_volume *v, const rert_volume *src, rert_err *err) {
  int rc = volume_alloc_like(v, src, err);
  if (!rc) memcpy(v->data, src->data, volume_count(src) * sizeof(float));
  return rc;
}

void volume_free(rert_volume *v) {
  if (!v) return;
  free(v->data);
  v->data = NULL;
}

void volume_index_to_world(const rert_volume *v, const double ijk[3], double xyz[3]) {
  for (int a = 0; a < 3; a++)
    xyz[a] = v->origin_mm[a] + ijk[0] * v->spacing_mm[0] * v->dir[a] +
             ijk[1] * v->spacing_mm[1] * v->dir[3 + a] + ijk[2] * v->spacing_mm[2] * v->dir[6 + a];
}

/* Solve origin + M·ijk = xyz with M = [u·sx | v·sy | w·sz] by Cramer's rule: general, and cheap
 * enough for per-point use (callers with hot loops precompute their own affine). */
void volume_world_to_index(const rert_volume *v, const double xyz[3], double ijk[3]) {
  double m[3][3];
  for (int a = 0; a < 3; a++)
    for (int c = 0; c < 3; c++) m[a][c] = v->dir[3 * c + a] * v->spacing_mm[c];
  double r[3] = {xyz[0] - v->origin_mm[0], xyz[1] - v->origin_mm[1], xyz[2] - v->origin_mm[2]};
  double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
               m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
               m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  for (int c = 0; c < 3; c++) {
    double t[3][3];
    memcpy(t, m, sizeof t);
    for (int a = 0; a < 3; a++) t[a][c] = r[a];
    double dc = t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1]) -
                t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0]) +
                t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0]);
    ijk[c] = dc / det;
  }
}

float volume_sample_index(const rert_volume *v, const double p[3], float outside) {
  int n[3] = {v->nx, v->ny, v->nz};
  int i0[3];
  double f[3];
  for (int a = 0; a < 3; a++) {
    if (!(p[a] >= -0.5 && p[a] <= n[a] - 0.5)) return outside;
    double c = p[a] < 0 ? 0 : (p[a] > n[a] - 1 ? n[a] - 1 : p[a]);
    i0[a] = (int)floor(c);
    if (i0[a] >= n[a] - 1) i0[a] = n[a] > 1 ? n[a] - 2 : 0;
    f[a] = n[a] > 1 ? c - i0[a] : 0;
  }
  size_t sx = 1, sy = (size_t)v->nx, sz = (size_t)v->nx * v->ny;
  size_t b = i0[0] + sy * i0[1] + sz * i0[2];
  size_t dx = v->nx > 1 ? sx : 0, dy = v->ny > 1 ? sy : 0, dz = v->nz > 1 ? sz : 0;
  const float *d = v->data;
  double c00 = d[b] * (1 - f[0]) + d[b + dx] * f[0];
  double c10 = d[b + dy] * (1 - f[0]) + d[b + dy + dx] * f[0];
  double c01 = d[b + dz] * (1 - f[0]) + d[b + dz + dx] * f[0];
  double c11 = d[b + dz + dy] * (1 - f[0]) + d[b + dz + dy + dx] * f[0];
  double c0 = c00 * (1 - f[1]) + c10 * f[1];
  double c1 = c01 * (1 - f[1]) + c11 * f[1];
  return (float)(c0 * (1 - f[2]) + c1 * f[2]);
}

float volume_sample_trilinear(const rert_volume *v, const double xyz[3], float outside) {
  double p[3];
  volume_world_to_index(v, xyz, p);
  return volume_sample_index(v, p, outside);
}

int volume_same_geometry(const rert_volume *a, const rert_volume *b) {
  if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz) return 0;
  for (int k = 0; k < 3; k++) {
    if (fabs(a->origin_mm[k] - b->origin_mm[k]) > 1e-4) return 0;
    if (fabs(a->spacing_mm[k] - b->spacing_mm[k]) > 1e-4) return 0;
  }
  for (int k = 0; k < 9; k++)
    if (fabs(a->dir[k] - b->dir[k]) > 1e-6) return 0;
  return 1;
}

void volume_scale(rert_volume *v, double f) {
  if (!v || !v->data || f == 1.0) return;
  for (size_t i = 0, n = volume_count(v); i < n; i++) v->data[i] = (float)(v->data[i] * f);
}

void volume_minmax(const rert_volume *v, float *mn, float *mx) {
  size_t n = volume_count(v);
  float lo = n ? v->data[0] : 0, hi = lo;
  for (size_t i = 1; i < n; i++) {
    if (v->data[i] < lo) lo = v->data[i];
    if (v->data[i] > hi) hi = v->data[i];
  }
  *mn = lo;
  *mx = hi;
}
