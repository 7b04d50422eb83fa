/* reg_synth.c — analytic H&N CT phantom + known deformation (see reg_synth.h). The anatomy is
 * deliberately simple but has what demons needs: bone/air/soft-tissue edges and a mild
 * soft-tissue texture (real CT has it; a flat phantom would make any DIR look bad inside). */
#include "support/reg_synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sstep(double d) { return 0.5 * (1 + tanh(d / 1.2)); } /* ~2 mm edge, CT-like partial volume */

/* signed "inside" distance proxy for an ellipsoid: (1 − r)·min semi-axis */
static double ell(const double y[3], double cx, double cy, double cz, double a, double b, double c) {
  double dx = (y[0] - cx) / a, dy = (y[1] - cy) / b, dz = (y[2] - cz) / c;
  double r = sqrt(dx * dx + dy * dy + dz * dz);
  double m = fmin(a, fmin(b, c));
  return (1 - r) * m;
}
static double cyl(const double y[3], double cx, double cy, double r) {
  return r - sqrt((y[0] - cx) * (y[0] - cx) + (y[1] - cy) * (y[1] - cy));
}

double synth_phantom_hu(const double y[3]) {
  double head = sstep(ell(y, 0, 0, 0, 72, 88, 95));
  if (head < 1e-6) return -1000;
  double tex = 12 * sin(y[0] / 6.0 + 0.3) * sin(y[1] / 7.5 + 1.1) * sin(y[2] / 9.0 + 0.7);
  double hu = 25 + tex;
  /* skull (upper part) */
  double skull = sstep(-ell(y, 0, 0, 5, 64, 80, 86)) * sstep(y[2] - 10) * head;
  hu = hu * (1 - skull) + 750 * skull;
  /* brain */
  double brain = sstep(ell(y, 0, 0, 5, 64, 80, 86)) * sstep(y[2] - 10);
  hu = hu * (1 - brain) + (35 + 0.5 * tex) * brain;
  /* brainstem */
  double bs = sstep(ell(y, 0, 28, 20, 11, 11, 22));
  hu = hu * (1 - bs) + 45 * bs;
  /* airway and oral cavity */
  double air = sstep(cyl(y, 0, -12, 9)) * sstep(15 - y[2]);
  double oral = sstep(ell(y, 0, -40, -5, 20, 14, 10));
  double a = fmax(air, oral);
  hu = hu * (1 - a) - 1000 * a;
  /* vertebral body and canal, spinal cord */
  double vert = sstep(cyl(y, 0, 40, 17)) * sstep(5 - y[2]);
  hu = hu * (1 - vert) + 650 * vert;
  double canal = sstep(cyl(y, 0, 40, 7)) * sstep(5 - y[2]);
  hu = hu * (1 - canal) + 30 * canal;
  /* mandible: elliptic shell in the lower face */
  double mand = sstep(ell(y, 0, -25, -35, 55, 50, 14)) * sstep(-ell(y, 0, -25, -35, 47, 42, 30)) * sstep(-10 - y[1]);
  hu = hu * (1 - mand) + 1100 * mand;
  /* parotids (fatty glands) */
  double pl = sstep(ell(y, 48, 8, -12, 11, 16, 20)), pr = sstep(ell(y, -48, 8, -12, 11, 16, 20));
  hu = hu * (1 - pl - pr) - 40 * (pl + pr);
  /* tumour-ish mass */
  double gtv = sstep(ell(y, -22, -5, 0, 13, 12, 14));
  hu = hu * (1 - gtv) + 70 * gtv;
  return hu * head + (-1000) * (1 - head);
}

void synth_true_u(const synth_motion *m, const double x[3], double u[3]) {
  double ax = m->rot_deg[0] * M_PI / 180, ay = m->rot_deg[1] * M_PI / 180, az = m->rot_deg[2] * M_PI / 180;
  double cx = cos(ax), sx = sin(ax), cy = cos(ay), sy = sin(ay), cz = cos(az), sz = sin(az);
  /* R = Rz·Ry·Rx */
  double R[9] = {cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx,
                 sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx,
                 -sy,     cy * sx,                cy * cx};
  double y[3];
  for (int r = 0; r < 3; r++) y[r] = R[3 * r] * x[0] + R[3 * r + 1] * x[1] + R[3 * r + 2] * x[2] + m->shift_mm[r];
  double b = m->bump_mm;
  /* smooth bumps: parotid-region shrinkage, neck flexion-ish shear, tumour-region push */
  static const double C[4][3] = {{45, 8, -12}, {-45, 8, -12}, {0, 20, -40}, {-20, -5, 0}};
  static const double A[4][3] = {{-0.8, 0.2, 0.3}, {0.7, 0.3, -0.2}, {0.1, -0.6, 0.5}, {0.4, 0.5, 0.6}};
  static const double S[4] = {18, 18, 30, 22};
  for (int r = 0; r < 3; r++) u[r] = y[r] - x[r];
  for (int q = 0; q < 4; q++) {
    double d2 = 0;
    for (int r = 0; r < 3; r++) d2 += (x[r] - C[q][r]) * (x[r] - C[q][r]);
    double g = exp(-d2 / (2 * S[q] * S[q]));
    for (int r = 0; r < 3; r++) u[r] += b * A[q][r] * g;
  }
  u[0] += 0.3 * b * sin(x[2] / 25.0);
  u[1] += 0.2 * b * sin(x[0] / 30.0);
}

rert_volume synth_grid(int nx, int ny, int nz, double sx, double sy, double sz) {
  rert_volume v;
  memset(&v, 0, sizeof v);
  v.nx = nx, v.ny = ny, v.nz = nz;
  v.spacing_mm[0] = sx, v.spacing_mm[1] = sy, v.spacing_mm[2] = sz;
  v.origin_mm[0] = -0.5 * (nx - 1) * sx, v.origin_mm[1] = -0.5 * (ny - 1) * sy, v.origin_mm[2] = -0.5 * (nz - 1) * sz;
  rert_err e;
  volume_alloc(&v, &e);
  return v;
}

void synth_pair(const synth_motion *m, rert_volume *fixed, rert_volume *moving, rert_vfield *truth) {
  rert_err e;
  reg_vfield_alloc_like(truth, fixed, &e);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < fixed->nz; k++)
    for (int j = 0; j < fixed->ny; j++)
      for (int i = 0; i < fixed->nx; i++) {
        double ijk[3] = {i, j, k}, x[3], u[3], y[3];
        size_t idx = i + (size_t)fixed->nx * (j + (size_t)fixed->ny * k);
        volume_index_to_world(fixed, ijk, x);
        synth_true_u(m, x, u);
        for (int a = 0; a < 3; a++) y[a] = x[a] + u[a], truth->u_mm[3 * idx + a] = (float)u[a];
        fixed->data[idx] = (float)synth_phantom_hu(y);
      }
#pragma omp parallel for schedule(static)
  for (int k = 0; k < moving->nz; k++)
    for (int j = 0; j < moving->ny; j++)
      for (int i = 0; i < moving->nx; i++) {
        double ijk[3] = {i, j, k}, y[3];
        volume_index_to_world(moving, ijk, y);
        moving->data[i + (size_t)moving->nx * (j + (size_t)moving->ny * k)] = (float)synth_phantom_hu(y);
      }
}

rert_volume synth_body_mask(const rert_volume *img) {
  rert_volume m;
  rert_err e;
  volume_alloc_like(&m, img, &e);
  for (size_t i = 0; i < volume_count(img); i++) m.data[i] = img->data[i] > -500;
  return m;
}
