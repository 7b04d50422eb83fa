/* vfield.c — displacement-field basics and algebra (rert/register.h): allocation, trilinear
 * evaluation, affine ↔ field, composition, fixed-point inversion, Jacobian determinant,
 * inverse-consistency error. Convention: pull-back, u on the FIXED grid, moving = x + u(x). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"

static void inv3(const double m[9], double r[9]) {
  double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
               m[2] * (m[3] * m[7] - m[4] * m[6]);
  double id = det != 0 ? 1.0 / det : 0;
  r[0] = (m[4] * m[8] - m[5] * m[7]) * id;
  r[1] = (m[2] * m[7] - m[1] * m[8]) * id;
  r[2] = (m[1] * m[5] - m[2] * m[4]) * id;
  r[3] = (m[5] * m[6] - m[3] * m[8]) * id;
  r[4] = (m[0] * m[8] - m[2] * m[6]) * id;
  r[5] = (m[2] * m[3] - m[0] * m[5]) * id;
  r[6] = (m[3] * m[7] - m[4] * m[6]) * id;
  r[7] = (m[1] * m[6] - m[0] * m[7]) * id;
  r[8] = (m[0] * m[4] - m[1] * m[3]) * id;
}

static void grid_set(reg_grid *g, int nx, int ny, int nz, const double o[3], const double sp[3],
                     const double dir[9]) {
  g->n[0] = nx, g->n[1] = ny, g->n[2] = nz;
  int zero = 1;
  for (int a = 0; a < 9; a++)
    if (dir[a] != 0) zero = 0;
  for (int r = 0; r < 3; r++) {
    g->o[r] = o[r];
    for (int c = 0; c < 3; c++) g->a[3 * r + c] = (zero ? (r == c) : dir[3 * c + r]) * sp[c];
  }
  inv3(g->a, g->ainv);
}

void reg_grid_from_volume(reg_grid *g, const rert_volume *v) {
  grid_set(g, v->nx, v->ny, v->nz, v->origin_mm, v->spacing_mm, v->dir);
}
void reg_grid_from_vfield(reg_grid *g, const rert_vfield *f) {
  grid_set(g, f->nx, f->ny, f->nz, f->origin_mm, f->spacing_mm, f->dir);
}

size_t reg_vfield_count(const rert_vfield *f) { return (size_t)f->nx * f->ny * f->nz; }

int reg_vfield_alloc(rert_vfield *f, rert_err *err) {
  if (f->nx <= 0 || f->ny <= 0 || f->nz <= 0)
    return rert_err_set(err, RERT_EINPUT, "vector field: invalid dimensions %dx%dx%d", f->nx, f->ny, f->nz);
  for (int a = 0; a < 3; a++)
    if (!(f->spacing_mm[a] > 0) || !isfinite(f->spacing_mm[a]))
      return rert_err_set(err, RERT_EINPUT, "vector field: spacing must be positive");
  int zero = 1;
  for (int a = 0; a < 9; a++)
    if (f->dir[a] != 0) zero = 0;
  if (zero) f->dir[0] = f->dir[4] = f->dir[8] = 1;
  f->u_mm = calloc(reg_vfield_count(f) * 3, sizeof(float));
  if (!f->u_mm) return rert_err_set(err, RERT_EINTERNAL, "vector field: out of memory");
  return RERT_OK;
}

int reg_vfield_alloc_like(rert_vfield *f, const rert_volume *like, rert_err *err) {
  memset(f, 0, sizeof *f);
  f->nx = like->nx, f->ny = like->ny, f->nz = like->nz;
  memcpy(f->origin_mm, like->origin_mm, sizeof f->origin_mm);
  memcpy(f->spacing_mm, like->spacing_mm, sizeof f->spacing_mm);
  memcpy(f->dir, like->dir, sizeof f->dir);
  return reg_vfield_alloc(f, err);
}

void reg_vfield_geometry(const rert_vfield *f, rert_volume *g) {
  memset(g, 0, sizeof *g);
  g->nx = f->nx, g->ny = f->ny, g->nz = f->nz;
  memcpy(g->origin_mm, f->origin_mm, sizeof g->origin_mm);
  memcpy(g->spacing_mm, f->spacing_mm, sizeof g->spacing_mm);
  memcpy(g->dir, f->dir, sizeof g->dir);
}

int reg_vfield_sample(const rert_vfield *f, const double x[3], double u[3]) {
  reg_grid g;
  reg_grid_from_vfield(&g, f);
  double p[3];
  reg_grid_index(&g, x, p);
  return reg_interp_vec(f->u_mm, g.n, p, u);
}

/* ---- affine ---- */

void reg_affine_apply(const double m[16], const double x[3], double y[3]) {
  for (int r = 0; r < 3; r++) y[r] = m[4 * r] * x[0] + m[4 * r + 1] * x[1] + m[4 * r + 2] * x[2] + m[4 * r + 3];
}

void reg_affine_mul(const double a[16], const double b[16], double c[16]) {
  double t[16];
  for (int r = 0; r < 4; r++)
    for (int k = 0; k < 4; k++) {
      double s = 0;
      for (int q = 0; q < 4; q++) s += a[4 * r + q] * b[4 * q + k];
      t[4 * r + k] = s;
    }
  memcpy(c, t, sizeof t);
}

int reg_affine_invert(const double m[16], double inv[16], rert_err *err) {
  double a[9] = {m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]}, ai[9];
  double det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
               a[2] * (a[3] * a[7] - a[4] * a[6]);
  if (!(fabs(det) > 1e-12) || !isfinite(det))
    return rert_err_set(err, RERT_EINPUT, "transformation matrix is singular");
  inv3(a, ai);
  double t[3] = {m[3], m[7], m[11]};
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) inv[4 * r + c] = ai[3 * r + c];
    inv[4 * r + 3] = -(ai[3 * r] * t[0] + ai[3 * r + 1] * t[1] + ai[3 * r + 2] * t[2]);
  }
  inv[12] = inv[13] = inv[14] = 0, inv[15] = 1;
  return RERT_OK;
}

void reg_vfield_set_affine(rert_vfield *f, const double m[16]) {
  reg_grid g;
  reg_grid_from_vfield(&g, f);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < f->nz; k++)
    for (int j = 0; j < f->ny; j++)
      for (int i = 0; i < f->nx; i++) {
        double x[3], y[3];
        reg_grid_world(&g, i, j, k, x);
        reg_affine_apply(m, x, y);
        float *u = f->u_mm + 3 * (i + (size_t)f->nx * (j + (size_t)f->ny * k));
        for (int a = 0; a < 3; a++) u[a] = (float)(y[a] - x[a]);
      }
}

int reg_vfield_from_dicom_rigid(const rert_rigid_registration *r, const rert_volume *like,
                                rert_vfield *out, rert_err *err) {
  double inv[16];
  /* DICOM REG maps moving (source) → fixed (registered); the pull-back field needs fixed → moving. */
  int rc = reg_affine_invert(r->matrix, inv, err);
  if (rc) return rert_err_prefix(err, rc, "registration %s", r->ident.sop_instance_uid);
  rc = reg_vfield_alloc_like(out, like, err);
  if (rc) return rc;
  reg_vfield_set_affine(out, inv);
  return RERT_OK;
}

/* DICOM Deformable Spatial Registration (PS3.3 A.39.2 / C.20.3): the object "describes how to
 * sample data from the Source RCS into the Registered RCS", i.e. a pull-back, and its matrices
 * (like every DICOM REG matrix) map source → registered. For a registered (fixed) point x:
 * z = Post⁻¹(x);  z' = z + d(z) (grid vectors, registered frame);  y = Pre⁻¹(z').
 * With identity pre/post (what plastimatch and most TPS export) u(x) = d(x), resampled onto
 * `like`'s grid. See docs/register.md. */
int reg_vfield_from_dicom_deformable(const rert_deformable_registration *r, const rert_volume *like,
                                     rert_vfield *out, rert_err *err) {
  double pre_inv[16], post_inv[16];
  int rc = reg_affine_invert(r->pre_matrix, pre_inv, err);
  if (!rc) rc = reg_affine_invert(r->post_matrix, post_inv, err);
  if (rc) return rert_err_prefix(err, rc, "deformable registration %s", r->ident.sop_instance_uid);
  if (!r->field.u_mm) return rert_err_set(err, RERT_EINPUT, "deformable registration %s: no vector grid",
                                          r->ident.sop_instance_uid);
  rc = reg_vfield_alloc_like(out, like, err);
  if (rc) return rc;
  reg_grid g, gd;
  reg_grid_from_vfield(&g, out);
  reg_grid_from_vfield(&gd, &r->field);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < out->nz; k++)
    for (int j = 0; j < out->ny; j++)
      for (int i = 0; i < out->nx; i++) {
        double x[3], z[3], d[3], p[3], y[3];
        reg_grid_world(&g, i, j, k, x);
        reg_affine_apply(post_inv, x, z);
        reg_grid_index(&gd, z, p);
        reg_interp_vec(r->field.u_mm, gd.n, p, d);
        for (int a = 0; a < 3; a++) z[a] += d[a];
        reg_affine_apply(pre_inv, z, y);
        float *u = out->u_mm + 3 * (i + (size_t)out->nx * (j + (size_t)out->ny * k));
        for (int a = 0; a < 3; a++) u[a] = (float)(y[a] - x[a]);
      }
  return RERT_OK;
}

/* ---- algebra ---- */

static int alloc_same(rert_vfield *out, const rert_vfield *like, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->nx = like->nx, out->ny = like->ny, out->nz = like->nz;
  memcpy(out->origin_mm, like->origin_mm, sizeof out->origin_mm);
  memcpy(out->spacing_mm, like->spacing_mm, sizeof out->spacing_mm);
  memcpy(out->dir, like->dir, sizeof out->dir);
  return reg_vfield_alloc(out, err);
}

int reg_vfield_compose(const rert_vfield *a, const rert_vfield *b, rert_vfield *out, rert_err *err) {
  rert_vfield t;
  int rc = alloc_same(&t, a, err);
  if (rc) return rc;
  reg_grid ga, gb;
  reg_grid_from_vfield(&ga, a);
  reg_grid_from_vfield(&gb, b);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < a->nz; k++)
    for (int j = 0; j < a->ny; j++)
      for (int i = 0; i < a->nx; i++) {
        size_t idx = i + (size_t)a->nx * (j + (size_t)a->ny * k);
        double x[3], y[3], p[3], ub[3];
        reg_grid_world(&ga, i, j, k, x);
        const float *ua = a->u_mm + 3 * idx;
        for (int c = 0; c < 3; c++) y[c] = x[c] + ua[c];
        reg_grid_index(&gb, y, p);
        reg_interp_vec(b->u_mm, gb.n, p, ub);
        for (int c = 0; c < 3; c++) t.u_mm[3 * idx + c] = (float)(ua[c] + ub[c]);
      }
  *out = t;
  return RERT_OK;
}

int reg_vfield_compose_affine(const rert_vfield *u, const double m[16], rert_vfield *out, rert_err *err) {
  rert_vfield t;
  int rc = alloc_same(&t, u, err);
  if (rc) return rc;
  reg_grid g;
  reg_grid_from_vfield(&g, u);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < u->nz; k++)
    for (int j = 0; j < u->ny; j++)
      for (int i = 0; i < u->nx; i++) {
        size_t idx = i + (size_t)u->nx * (j + (size_t)u->ny * k);
        double x[3], y[3], z[3];
        reg_grid_world(&g, i, j, k, x);
        for (int c = 0; c < 3; c++) y[c] = x[c] + u->u_mm[3 * idx + c];
        reg_affine_apply(m, y, z);
        for (int c = 0; c < 3; c++) t.u_mm[3 * idx + c] = (float)(z[c] - x[c]);
      }
  *out = t;
  return RERT_OK;
}

int reg_vfield_invert(const rert_vfield *u, const rert_volume *grid_like, const reg_invert_opts *o,
                      rert_vfield *w, reg_invert_report *rep, rert_err *err) {
  int iters = o && o->iterations > 0 ? o->iterations : 50;
  double tol = o && o->tol_mm > 0 ? o->tol_mm : 0.01;
  rert_vfield t;
  int rc = reg_vfield_alloc_like(&t, grid_like, err);
  if (rc) return rc;
  reg_grid gu, gw;
  reg_grid_from_vfield(&gu, u);
  reg_grid_from_vfield(&gw, &t);
  size_t n = reg_vfield_count(&t);
  double maxr = 0, sumr = 0;
  size_t cnt = 0;
  int done = 0;
  /* Per-point fixed-point iteration w ← −u(y + w): converges when |∇u| < 1 (no folding), which
   * holds for any field worth inverting; the residual tells the user when it did not. */
#pragma omp parallel for schedule(dynamic, 4) reduction(max : maxr) reduction(+ : sumr, cnt) reduction(max : done)
  for (int k = 0; k < t.nz; k++)
    for (int j = 0; j < t.ny; j++)
      for (int i = 0; i < t.nx; i++) {
        size_t idx = i + (size_t)t.nx * (j + (size_t)t.ny * k);
        double y[3], wv[3] = {0, 0, 0}, p[3], uu[3], res = 0;
        reg_grid_world(&gw, i, j, k, y);
        int it, inside = 0;
        for (it = 0; it < iters; it++) {
          double z[3] = {y[0] + wv[0], y[1] + wv[1], y[2] + wv[2]};
          reg_grid_index(&gu, z, p);
          inside = reg_interp_vec(u->u_mm, gu.n, p, uu);
          res = sqrt((wv[0] + uu[0]) * (wv[0] + uu[0]) + (wv[1] + uu[1]) * (wv[1] + uu[1]) +
                     (wv[2] + uu[2]) * (wv[2] + uu[2]));
          if (res < tol) break;
          for (int c = 0; c < 3; c++) wv[c] = -uu[c];
        }
        if (it > done) done = it;
        for (int c = 0; c < 3; c++) t.u_mm[3 * idx + c] = (float)wv[c];
        if (inside) {
          if (res > maxr) maxr = res;
          sumr += res;
          cnt++;
        }
      }
  (void)n;
  if (rep) {
    rep->iterations_done = done;
    rep->max_residual_mm = maxr;
    rep->mean_residual_mm = cnt ? sumr / cnt : 0;
  }
  *w = t;
  return RERT_OK;
}

int reg_vfield_jacobian(const rert_vfield *u, rert_volume *detj, rert_err *err) {
  rert_volume g;
  reg_vfield_geometry(u, &g);
  int rc = volume_alloc_like(detj, &g, err);
  if (rc) return rc;
  reg_grid gr;
  reg_grid_from_vfield(&gr, u);
  int n[3] = {u->nx, u->ny, u->nz};
  size_t st[3] = {1, (size_t)u->nx, (size_t)u->nx * u->ny};
#pragma omp parallel for schedule(static)
  for (int k = 0; k < u->nz; k++)
    for (int j = 0; j < u->ny; j++)
      for (int i = 0; i < u->nx; i++) {
        int q[3] = {i, j, k};
        size_t idx = i + st[1] * j + st[2] * k;
        double du[3][3]; /* du[c][a] = ∂u_c / ∂(index a) */
        for (int a = 0; a < 3; a++) {
          if (n[a] < 2) {
            for (int c = 0; c < 3; c++) du[c][a] = 0;
            continue;
          }
          int lo = q[a] > 0 ? q[a] - 1 : q[a], hi = q[a] < n[a] - 1 ? q[a] + 1 : q[a];
          size_t il = idx - (size_t)(q[a] - lo) * st[a], ih = idx + (size_t)(hi - q[a]) * st[a];
          for (int c = 0; c < 3; c++) du[c][a] = (u->u_mm[3 * ih + c] - u->u_mm[3 * il + c]) / (double)(hi - lo);
        }
        /* ∂u/∂x = ∂u/∂(ijk) · ainv;  J = I + ∂u/∂x */
        double J[3][3];
        for (int c = 0; c < 3; c++)
          for (int b = 0; b < 3; b++) {
            double s = 0;
            for (int a = 0; a < 3; a++) s += du[c][a] * gr.ainv[3 * a + b];
            J[c][b] = s + (c == b);
          }
        detj->data[idx] = (float)(J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) -
                                  J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
                                  J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]));
      }
  return RERT_OK;
}

int reg_vfield_ice(const rert_vfield *u, const rert_vfield *w, rert_volume *ice, rert_err *err) {
  rert_volume g;
  reg_vfield_geometry(u, &g);
  int rc = volume_alloc_like(ice, &g, err);
  if (rc) return rc;
  reg_grid gu, gw;
  reg_grid_from_vfield(&gu, u);
  reg_grid_from_vfield(&gw, w);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < u->nz; k++)
    for (int j = 0; j < u->ny; j++)
      for (int i = 0; i < u->nx; i++) {
        size_t idx = i + (size_t)u->nx * (j + (size_t)u->ny * k);
        double x[3], y[3], p[3], wv[3];
        reg_grid_world(&gu, i, j, k, x);
        const float *uv = u->u_mm + 3 * idx;
        for (int c = 0; c < 3; c++) y[c] = x[c] + uv[c];
        reg_grid_index(&gw, y, p);
        reg_interp_vec(w->u_mm, gw.n, p, wv);
        double e0 = uv[0] + wv[0], e1 = uv[1] + wv[1], e2 = uv[2] + wv[2];
        ice->data[idx] = (float)sqrt(e0 * e0 + e1 * e1 + e2 * e2);
      }
  return RERT_OK;
}

int reg_vfield_magnitude(const rert_vfield *u, rert_volume *mag, rert_err *err) {
  rert_volume g;
  reg_vfield_geometry(u, &g);
  int rc = volume_alloc_like(mag, &g, err);
  if (rc) return rc;
  size_t n = reg_vfield_count(u);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) {
    const float *v = u->u_mm + 3 * i;
    mag->data[i] = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  }
  return RERT_OK;
}

int reg_vfield_resample(const rert_vfield *u, const rert_volume *like, rert_vfield *out, rert_err *err) {
  int rc = reg_vfield_alloc_like(out, like, err);
  if (rc) return rc;
  reg_grid gu, gl;
  reg_grid_from_vfield(&gu, u);
  reg_grid_from_volume(&gl, like);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < like->nz; k++)
    for (int j = 0; j < like->ny; j++)
      for (int i = 0; i < like->nx; i++) {
        double x[3], p[3], v[3];
        reg_grid_world(&gl, i, j, k, x);
        reg_grid_index(&gu, x, p);
        reg_interp_vec(u->u_mm, gu.n, p, v);
        float *d = out->u_mm + 3 * (i + (size_t)like->nx * (j + (size_t)like->ny * k));
        for (int a = 0; a < 3; a++) d[a] = (float)v[a];
      }
  return RERT_OK;
}
