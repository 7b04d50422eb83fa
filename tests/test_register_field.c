/* test_register_field.c — displacement-field algebra, warp and uncertainty bounds on analytic
 * fields where every expected value has a closed form (hand calculation noted per test). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/register.h"

static rert_volume grid(int nx, int ny, int nz, double sx, double sy, double sz) {
  rert_volume v;
  memset(&v, 0, sizeof v);
  v.nx = nx, v.ny = ny, v.nz = nz;
  v.spacing_mm[0] = sx, v.spacing_mm[1] = sy, v.spacing_mm[2] = sz;
  v.origin_mm[0] = -10, v.origin_mm[1] = 5, v.origin_mm[2] = -3;
  rert_err e;
  cr_assert(volume_alloc(&v, &e) == RERT_OK);
  return v;
}

static void world(const rert_volume *v, int i, int j, int k, double x[3]) {
  double ijk[3] = {i, j, k};
  volume_index_to_world(v, ijk, x);
}

static void rot_z(double th, const double c[3], const double t[3], double m[16]) {
  /* y = R(x − c) + c + t, R = rotation by th about z */
  double co = cos(th), si = sin(th);
  double r[9] = {co, -si, 0, si, co, 0, 0, 0, 1};
  memset(m, 0, 16 * sizeof(double));
  for (int a = 0; a < 3; a++) {
    double s = 0;
    for (int b = 0; b < 3; b++) {
      m[4 * a + b] = r[3 * a + b];
      s += r[3 * a + b] * c[b];
    }
    m[4 * a + 3] = c[a] + t[a] - s;
  }
  m[15] = 1;
}

Test(field, translation_warp_of_linear_ramp) {
  /* f(x) = 2x − y + 0.5z + 7 is reproduced exactly by trilinear interpolation; with u = t,
   * warped(x) = f(x + t) = f(x) + 2tx − ty + 0.5tz (closed form). */
  rert_volume m = grid(12, 10, 8, 1.0, 1.5, 2.0);
  for (int k = 0; k < m.nz; k++)
    for (int j = 0; j < m.ny; j++)
      for (int i = 0; i < m.nx; i++) {
        double x[3];
        world(&m, i, j, k, x);
        m.data[i + m.nx * (j + m.ny * k)] = (float)(2 * x[0] - x[1] + 0.5 * x[2] + 7);
      }
  rert_vfield u;
  rert_err e;
  cr_assert(reg_vfield_alloc_like(&u, &m, &e) == RERT_OK);
  double t[3] = {1.3, -0.7, 1.1};
  for (size_t q = 0; q < reg_vfield_count(&u); q++)
    for (int a = 0; a < 3; a++) u.u_mm[3 * q + a] = (float)t[a];
  rert_volume w;
  cr_assert(reg_warp_volume(&m, &u, REG_INTERP_LINEAR, -999, &w, &e) == RERT_OK);
  int checked = 0;
  for (int k = 0; k < m.nz - 1; k++)
    for (int j = 1; j < m.ny - 1; j++)
      for (int i = 0; i < m.nx - 2; i++) {
        double x[3];
        world(&m, i, j, k, x);
        double want = 2 * (x[0] + t[0]) - (x[1] + t[1]) + 0.5 * (x[2] + t[2]) + 7;
        cr_assert_float_eq(w.data[i + m.nx * (j + m.ny * k)], want, 1e-4);
        checked++;
      }
  cr_assert_gt(checked, 500);
  /* last column maps 1.3 mm beyond the last voxel centre (> half a voxel) → outside value */
  cr_assert_eq(w.data[m.nx - 1], -999);
  volume_free(&m), volume_free(&w), rtdata_free_vfield(&u);
}

Test(field, jacobian_of_sinusoid) {
  /* u = (A sin(κx), 0, 0): the central difference gives ∂u/∂x = A cos(κx)·sin(κh)/h exactly,
   * so det J = 1 + A cos(κx) sin(κh)/h at interior voxels (closed form). */
  rert_volume g = grid(40, 3, 3, 1.0, 1.0, 1.0);
  rert_vfield u;
  rert_err e;
  cr_assert(reg_vfield_alloc_like(&u, &g, &e) == RERT_OK);
  double A = 2.0, L = 20.0, kap = 2 * M_PI / L, h = 1.0;
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 3; j++)
      for (int i = 0; i < 40; i++) {
        double x[3];
        world(&g, i, j, k, x);
        u.u_mm[3 * (i + 40 * (j + 3 * k))] = (float)(A * sin(kap * x[0]));
      }
  rert_volume dj;
  cr_assert(reg_vfield_jacobian(&u, &dj, &e) == RERT_OK);
  size_t folded_expected = 0;
  for (int i = 1; i < 39; i++) {
    double x[3];
    world(&g, i, 1, 1, x);
    double want = 1 + A * cos(kap * x[0]) * sin(kap * h) / h;
    cr_assert_float_eq(dj.data[i + 40 * (1 + 3 * 1)], want, 1e-5);
  }
  /* A κ ≈ 0.63 < 1: no folding anywhere */
  reg_qa_stats s;
  cr_assert(reg_qa_field(&u, NULL, NULL, &s, &e) == RERT_OK);
  cr_assert_eq(s.n_folded, folded_expected);
  cr_assert_float_eq(s.detj_min, 1 - A * sin(kap * h) / h, 1e-3);
  /* A = 5 → A sin(κh)/h ≈ 1.545 > 1: folded where cos(κx) < −h/(A sin κh); count by hand formula */
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 3; j++)
      for (int i = 0; i < 40; i++) {
        double x[3];
        world(&g, i, j, k, x);
        u.u_mm[3 * (i + 40 * (j + 3 * k))] = (float)(5 * sin(kap * x[0]));
      }
  size_t want_fold = 0;
  for (int i = 1; i < 39; i++) {
    double x[3];
    world(&g, i, 0, 0, x);
    if (1 + 5 * cos(kap * x[0]) * sin(kap * h) / h <= 0) want_fold += 9;
  }
  cr_assert(reg_qa_field(&u, NULL, NULL, &s, &e) == RERT_OK);
  /* border columns i = 0 and 39 use one-sided differences; x there gives cos(κx) of
   * −10 mm → cos(π) = −1 and 29 mm → cos(2.9π) ≈ −0.95: both fold as well */
  cr_assert_eq(s.n_folded, want_fold + 18);
  volume_free(&g), volume_free(&dj), rtdata_free_vfield(&u);
}

Test(field, invert_translation_and_rotation) {
  rert_volume g = grid(16, 16, 6, 2.0, 2.0, 2.5);
  rert_vfield u, w;
  rert_err e;
  cr_assert(reg_vfield_alloc_like(&u, &g, &e) == RERT_OK);
  /* rotation by 3° about z through the grid centre plus a shift: inverse is the inverse rigid
   * transform, w(y) = M⁻¹y − y (closed form) */
  double c[3] = {5, 20, 3.25}, t[3] = {1.5, -2, 0.5}, m[16], mi[16];
  rot_z(3 * M_PI / 180, c, t, m);
  reg_vfield_set_affine(&u, m);
  cr_assert(reg_affine_invert(m, mi, &e) == RERT_OK);
  reg_invert_report rep;
  reg_invert_opts o = {100, 1e-4};
  cr_assert(reg_vfield_invert(&u, &g, &o, &w, &rep, &e) == RERT_OK);
  cr_assert_lt(rep.max_residual_mm, 1e-3);
  for (int k = 1; k < 5; k++)
    for (int j = 3; j < 13; j++)
      for (int i = 3; i < 13; i++) {
        double y[3], x[3];
        world(&g, i, j, k, y);
        reg_affine_apply(mi, y, x);
        for (int a = 0; a < 3; a++) cr_assert_float_eq(w.u_mm[3 * (i + 16 * (j + 16 * k)) + a], x[a] - y[a], 2e-3);
      }
  /* ICE of (u, w) is ~0; of (u, u) for a pure translation it is 2|t| */
  rert_volume ice;
  cr_assert(reg_vfield_ice(&u, &w, &ice, &e) == RERT_OK);
  cr_assert_lt(ice.data[8 + 16 * (8 + 16 * 3)], 2e-3);
  volume_free(&ice);
  double tt[16] = {1, 0, 0, 3, 0, 1, 0, 4, 0, 0, 1, 0, 0, 0, 0, 1};
  reg_vfield_set_affine(&u, tt);
  cr_assert(reg_vfield_ice(&u, &u, &ice, &e) == RERT_OK);
  cr_assert_float_eq(ice.data[100], 10.0, 1e-5); /* |(3,4,0) + (3,4,0)| = 10 */
  volume_free(&ice), volume_free(&g), rtdata_free_vfield(&u), rtdata_free_vfield(&w);
}

Test(field, compose_rotations_and_dicom_rigid) {
  rert_volume g = grid(10, 10, 4, 2.0, 2.0, 3.0);
  rert_vfield a, b, c;
  rert_err e;
  double ctr[3] = {0, 14, 1.5}, z[3] = {0, 0, 0}, ma[16], mb[16], mab[16];
  rot_z(0.05, ctr, z, ma);
  rot_z(0.08, ctr, z, mb);
  rot_z(0.13, ctr, z, mab); /* rotations about one axis add: 0.05 + 0.08 */
  cr_assert(reg_vfield_alloc_like(&a, &g, &e) == RERT_OK);
  cr_assert(reg_vfield_alloc_like(&b, &g, &e) == RERT_OK);
  reg_vfield_set_affine(&a, ma);
  reg_vfield_set_affine(&b, mb);
  cr_assert(reg_vfield_compose(&a, &b, &c, &e) == RERT_OK);
  /* interior voxels whose image under a stays well inside b's grid; linear fields are
   * reproduced exactly by trilinear interpolation */
  for (int k = 0; k < 4; k++)
    for (int j = 2; j < 8; j++)
      for (int i = 2; i < 8; i++) {
        double x[3], y[3];
        world(&g, i, j, k, x);
        reg_affine_apply(mab, x, y);
        for (int q = 0; q < 3; q++) cr_assert_float_eq(c.u_mm[3 * (i + 10 * (j + 10 * k)) + q], y[q] - x[q], 1e-4);
      }
  rtdata_free_vfield(&c);
  /* compose_affine: field a then rotation b == rotation ab */
  cr_assert(reg_vfield_compose_affine(&a, mb, &c, &e) == RERT_OK);
  double x[3], y[3];
  world(&g, 0, 9, 3, x);
  reg_affine_apply(mab, x, y);
  cr_assert_float_eq(c.u_mm[3 * (0 + 10 * (9 + 10 * 3))], y[0] - x[0], 1e-4);
  rtdata_free_vfield(&c);
  /* DICOM REG matrix maps moving → fixed: a translation by +t yields the pull-back −t */
  rert_rigid_registration r;
  memset(&r, 0, sizeof r);
  double mt[16] = {1, 0, 0, 4, 0, 1, 0, -2, 0, 0, 1, 1.5, 0, 0, 0, 1};
  memcpy(r.matrix, mt, sizeof mt);
  cr_assert(reg_vfield_from_dicom_rigid(&r, &g, &c, &e) == RERT_OK);
  cr_assert_float_eq(c.u_mm[30], -4, 1e-6);
  cr_assert_float_eq(c.u_mm[31], 2, 1e-6);
  cr_assert_float_eq(c.u_mm[32], -1.5, 1e-6);
  rtdata_free_vfield(&c);
  /* DICOM deformable with identity pre/post and a constant grid d: pull-back u = d; with a
   * post matrix translating by p (source→registered): u(x) = d − p */
  rert_deformable_registration dr;
  memset(&dr, 0, sizeof dr);
  double id[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  memcpy(dr.pre_matrix, id, sizeof id);
  memcpy(dr.post_matrix, id, sizeof id);
  dr.post_matrix[3] = 1.0;
  cr_assert(reg_vfield_alloc_like(&dr.field, &g, &e) == RERT_OK);
  for (size_t q = 0; q < reg_vfield_count(&dr.field); q++) dr.field.u_mm[3 * q + 1] = 2.5f;
  cr_assert(reg_vfield_from_dicom_deformable(&dr, &g, &c, &e) == RERT_OK);
  cr_assert_float_eq(c.u_mm[3 * 55 + 0], -1.0, 1e-6);
  cr_assert_float_eq(c.u_mm[3 * 55 + 1], 2.5, 1e-6);
  rtdata_free_vfield(&c), rtdata_free_vfield(&dr.field);
  volume_free(&g), rtdata_free_vfield(&a), rtdata_free_vfield(&b);
}

Test(field, minmax_filter_ball_and_bruteforce) {
  /* a single 1 in zeros: hi = 1 exactly on the voxels within the ball (lattice points with
   * (di·sx)² + (dj·sy)² + (dk·sz)² ≤ r², counted by hand enumeration below) */
  rert_volume v = grid(21, 19, 11, 1.0, 1.5, 2.0);
  v.data[10 + 21 * (9 + 19 * 5)] = 1;
  rert_volume lo, hi;
  rert_err e;
  double r = 4.2;
  cr_assert(reg_minmax_filter(&v, r, &lo, &hi, &e) == RERT_OK);
  size_t want = 0, got = 0;
  for (int dk = -5; dk <= 5; dk++)
    for (int dj = -9; dj <= 9; dj++)
      for (int di = -10; di <= 10; di++)
        if (di * di * 1.0 + dj * dj * 2.25 + dk * dk * 4.0 <= r * r) want++;
  for (size_t i = 0; i < volume_count(&v); i++) {
    got += hi.data[i] == 1;
    cr_assert_eq(lo.data[i], 0);
  }
  cr_assert_eq(got, want);
  volume_free(&lo), volume_free(&hi);
  /* random data: the bounds contain the brute-force min/max over the grid nodes in the ball, and
   * (the field being trilinear between nodes) stay within the min/max of the nodes within one
   * cell of the ball */
  srand(7);
  for (size_t i = 0; i < volume_count(&v); i++) v.data[i] = (float)(rand() % 1000) / 10;
  cr_assert(reg_minmax_filter(&v, 3.1, &lo, &hi, &e) == RERT_OK);
  for (int k = 0; k < v.nz; k += 3)
    for (int j = 0; j < v.ny; j += 2)
      for (int i = 0; i < v.nx; i++) {
        float mn = INFINITY, mx = -INFINITY, omn = INFINITY, omx = -INFINITY;
        for (int dk = -3; dk <= 3; dk++)
          for (int dj = -4; dj <= 4; dj++)
            for (int di = -5; di <= 5; di++) {
              int a = i + di, b = j + dj, c = k + dk;
              if (a < 0 || b < 0 || c < 0 || a >= v.nx || b >= v.ny || c >= v.nz) continue;
              float q = v.data[a + v.nx * (b + v.ny * c)];
              double d2 = di * di * 1.0 + dj * dj * 2.25 + dk * dk * 4.0;
              if (d2 <= 3.1 * 3.1) mn = fminf(mn, q), mx = fmaxf(mx, q);
              /* nodes of cells the ball touches: within r + one cell diagonal (√(1+2.25+4)) */
              if (sqrt(d2) <= 3.1 + sqrt(7.25)) omn = fminf(omn, q), omx = fmaxf(omx, q);
            }
        size_t idx = i + v.nx * (j + v.ny * k);
        cr_assert_leq(lo.data[idx], mn);
        cr_assert_geq(hi.data[idx], mx);
        cr_assert_geq(lo.data[idx], omn);
        cr_assert_leq(hi.data[idx], omx);
      }
  volume_free(&lo), volume_free(&hi);
  /* linear field v = x + 0.5·y (mm; spacing 1, 1.5, 2): trilinear interpolation is exact, and a
   * radius below the spacing still widens the bounds. Of the 26 sampled directions the best is
   * (1,1,0)/√2: hi − v = r·(1 + 0.5)/√2 and v − lo the same (hand calculation), away from edges */
  for (int k = 0; k < v.nz; k++)
    for (int j = 0; j < v.ny; j++)
      for (int i = 0; i < v.nx; i++) v.data[i + v.nx * (j + v.ny * k)] = (float)(i * 1.0 + 0.5 * j * 1.5);
  cr_assert(reg_minmax_filter(&v, 0.8, &lo, &hi, &e) == RERT_OK);
  for (int k = 1; k < v.nz - 1; k++)
    for (int j = 1; j < v.ny - 1; j++)
      for (int i = 1; i < v.nx - 1; i++) {
        size_t idx = i + v.nx * (j + v.ny * k);
        cr_assert_float_eq(hi.data[idx] - v.data[idx], 0.8 * 1.5 / sqrt(2.0), 1e-4);
        cr_assert_float_eq(v.data[idx] - lo.data[idx], 0.8 * 1.5 / sqrt(2.0), 1e-4);
      }
  volume_free(&lo), volume_free(&hi);
  cr_assert(reg_minmax_filter(&v, -1, &lo, &hi, &e) == RERT_EINPUT);
  volume_free(&v);
}

Test(field, landmark_tre_and_percentile) {
  rert_volume g = grid(8, 8, 8, 2, 2, 2);
  rert_vfield u;
  rert_err e;
  cr_assert(reg_vfield_alloc_like(&u, &g, &e) == RERT_OK);
  for (size_t q = 0; q < reg_vfield_count(&u); q++) u.u_mm[3 * q] = 2.0f;
  /* moving landmarks = fixed + (2,0,0) + errors of 0, 3 (3-4-5: |(0,3,4)| = 5) */
  double fx[6] = {-5, 10, 2, -2, 12, 4}, mx[6] = {-3, 10, 2, 0, 15, 8};
  double per[2];
  reg_tre t;
  cr_assert(reg_landmark_tre(&u, fx, mx, 2, per, &t, &e) == RERT_OK);
  cr_assert_float_eq(per[0], 0, 1e-9);
  cr_assert_float_eq(per[1], 5, 1e-9);
  cr_assert_float_eq(t.mean_mm, 2.5, 1e-9);
  float v[5] = {5, 1, 4, 2, 3};
  cr_assert_float_eq(reg_percentile(v, 5, 50), 3, 1e-9);
  cr_assert_float_eq(reg_percentile(v, 5, 95), 4.8, 1e-6); /* 1 + 0.95·4 = 4.8th order stat */
  volume_free(&g), rtdata_free_vfield(&u);
}
