/* phantom_geom.c — the analytic solids of the synthetic patient and the known deformation
 * between courses (rert/phantom.h, docs/phantom.md).
 *
 * Implicit values are first-order signed distances (level/|∇level| of the quadric), so they are
 * ≈ mm near the surface: marching squares interpolates zero crossings accurately, the dose
 * model uses them as "distance to the PTV surface", and the CT fat layer is "7 mm under the
 * skin". Inside a primitive the value is negative.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "phantom/phantom_internal.h"

/* First-order signed distance to the ellipse (a, b) of a point (dx, dy) from its centre. */
static double ellipse_dist(double dx, double dy, double a, double b) {
  double q = sqrt((dx / a) * (dx / a) + (dy / b) * (dy / b));
  double gx = dx / (a * a), gy = dy / (b * b);
  double g = sqrt(gx * gx + gy * gy);
  if (g < 1e-12) return -(a < b ? a : b);
  return (q - 1.0) * q / g;
}

static void ellipsoid_frame(const rert_phantom_prim *p, double u[3], double v[3], double w[3]) {
  double n = sqrt(p->axis[0] * p->axis[0] + p->axis[1] * p->axis[1] + p->axis[2] * p->axis[2]);
  if (n < 1e-12) {
    u[0] = 1, u[1] = 0, u[2] = 0;
  } else {
    for (int a = 0; a < 3; a++) u[a] = p->axis[a] / n;
  }
  /* v = normalise(ẑ × u) = (−u_y, u_x, 0); x̂ if u ∥ ẑ */
  double vx = -u[1], vy = u[0];
  double vn = sqrt(vx * vx + vy * vy);
  if (vn < 1e-9) {
    v[0] = 1, v[1] = 0, v[2] = 0;
  } else {
    v[0] = vx / vn, v[1] = vy / vn, v[2] = 0;
  }
  w[0] = u[1] * v[2] - u[2] * v[1];
  w[1] = u[2] * v[0] - u[0] * v[2];
  w[2] = u[0] * v[1] - u[1] * v[0];
}

static double lerp(double a, double b, double t) { return a + (b - a) * t; }

double phantom_prim_level(const rert_phantom_prim *p, const double x[3]) {
  switch (p->kind) {
  case PRIM_ELLIPSOID: {
    double u[3], v[3], w[3];
    ellipsoid_frame(p, u, v, w);
    double d[3] = {x[0] - p->centre[0], x[1] - p->centre[1], x[2] - p->centre[2]};
    double l[3] = {d[0] * u[0] + d[1] * u[1] + d[2] * u[2], d[0] * v[0] + d[1] * v[1] + d[2] * v[2],
                   d[0] * w[0] + d[1] * w[1] + d[2] * w[2]};
    double q2 = 0, g2 = 0;
    for (int a = 0; a < 3; a++) {
      double s = p->semi[a];
      q2 += (l[a] / s) * (l[a] / s);
      g2 += (l[a] / (s * s)) * (l[a] / (s * s));
    }
    double q = sqrt(q2), g = sqrt(g2);
    if (g < 1e-12) {
      double mn = p->semi[0];
      if (p->semi[1] < mn) mn = p->semi[1];
      if (p->semi[2] < mn) mn = p->semi[2];
      return -mn;
    }
    return (q - 1.0) * q / g;
  }
  case PRIM_LOFT: {
    int n = p->nknots;
    double z = x[2];
    double dz = fmax(p->kz[0] - z, z - p->kz[n - 1]);
    double zc = z < p->kz[0] ? p->kz[0] : (z > p->kz[n - 1] ? p->kz[n - 1] : z);
    int s = 0;
    while (s < n - 2 && zc > p->kz[s + 1]) s++;
    double t = (zc - p->kz[s]) / (p->kz[s + 1] - p->kz[s]);
    double cx = lerp(p->kcx[s], p->kcx[s + 1], t), cy = lerp(p->kcy[s], p->kcy[s + 1], t);
    double a = lerp(p->ka[s], p->ka[s + 1], t), b = lerp(p->kb[s], p->kb[s + 1], t);
    double dxy = ellipse_dist(x[0] - cx, x[1] - cy, a, b);
    return fmax(dxy, dz);
  }
  case PRIM_HALF_ANNULUS: {
    double dx = x[0] - p->centre[0], dy = x[1] - p->centre[1];
    double d = ellipse_dist(dx, dy, p->semi[0], p->semi[1]);
    d = fmax(d, -ellipse_dist(dx, dy, p->inner_a, p->inner_b));
    d = fmax(d, dy); /* anterior half: y ≤ centre */
    d = fmax(d, fmax(p->z0 - x[2], x[2] - p->z1));
    return d;
  }
  }
  return 1e9;
}

double phantom_prim_volume_mm3(const rert_phantom_prim *p) {
  switch (p->kind) {
  case PRIM_ELLIPSOID:
    return 4.0 / 3.0 * M_PI * p->semi[0] * p->semi[1] * p->semi[2];
  case PRIM_LOFT: {
    double v = 0;
    for (int s = 0; s + 1 < p->nknots; s++) {
      double h = p->kz[s + 1] - p->kz[s];
      double a0 = p->ka[s], b0 = p->kb[s], a1 = p->ka[s + 1], b1 = p->kb[s + 1];
      v += M_PI * h * (a0 * b0 / 3.0 + (a0 * b1 + a1 * b0) / 6.0 + a1 * b1 / 3.0);
    }
    return v;
  }
  case PRIM_HALF_ANNULUS:
    return M_PI * (p->semi[0] * p->semi[1] - p->inner_a * p->inner_b) / 2.0 * (p->z1 - p->z0);
  }
  return 0;
}

/* T_c(x) = c + S·(x − c) + Σ A·exp(−|x − p|²/2σ²), S = diag(s, s, 1). */
void phantom_map_to_course1(const rert_phantom_model *m, int c, const double x[3], double y[3]) {
  const rert_phantom_course *k = &m->course[c];
  if (c == 0) {
    memcpy(y, x, 3 * sizeof(double));
    return;
  }
  y[0] = k->scale_centre[0] + k->scale_xy * (x[0] - k->scale_centre[0]);
  y[1] = k->scale_centre[1] + k->scale_xy * (x[1] - k->scale_centre[1]);
  y[2] = x[2];
  for (int b = 0; b < k->nbumps; b++) {
    double r2 = 0;
    for (int a = 0; a < 3; a++) r2 += (x[a] - k->bump_centre[b][a]) * (x[a] - k->bump_centre[b][a]);
    double g = exp(-r2 / (2.0 * k->bump_sigma_mm[b] * k->bump_sigma_mm[b]));
    for (int a = 0; a < 3; a++) y[a] += k->bump_amp_mm[b][a] * g;
  }
}

/* Fixed point x = c + S⁻¹(y − c − bumps(x)): a contraction because |∇bumps| ≤ 0.25 < s. */
void phantom_map_from_course1(const rert_phantom_model *m, int c, const double y[3], double x[3]) {
  const rert_phantom_course *k = &m->course[c];
  if (c == 0) {
    memcpy(x, y, 3 * sizeof(double));
    return;
  }
  double cur[3] = {y[0], y[1], y[2]};
  for (int it = 0; it < 100; it++) {
    double bump[3] = {0, 0, 0};
    for (int b = 0; b < k->nbumps; b++) {
      double r2 = 0;
      for (int a = 0; a < 3; a++)
        r2 += (cur[a] - k->bump_centre[b][a]) * (cur[a] - k->bump_centre[b][a]);
      double g = exp(-r2 / (2.0 * k->bump_sigma_mm[b] * k->bump_sigma_mm[b]));
      for (int a = 0; a < 3; a++) bump[a] += k->bump_amp_mm[b][a] * g;
    }
    double nx[3];
    nx[0] = k->scale_centre[0] + (y[0] - bump[0] - k->scale_centre[0]) / k->scale_xy;
    nx[1] = k->scale_centre[1] + (y[1] - bump[1] - k->scale_centre[1]) / k->scale_xy;
    nx[2] = y[2] - bump[2];
    double ch = fabs(nx[0] - cur[0]) + fabs(nx[1] - cur[1]) + fabs(nx[2] - cur[2]);
    memcpy(cur, nx, sizeof cur);
    if (ch < 1e-10) break;
  }
  memcpy(x, cur, sizeof cur);
}

void phantom_map_between(const rert_phantom_model *m, int from, int to, const double x[3],
                         double y[3]) {
  double p1[3];
  phantom_map_to_course1(m, from, x, p1);
  phantom_map_from_course1(m, to, p1, y);
}

double phantom_roi_level(const rert_phantom_model *m, int roi, int c, const double x[3]) {
  const rert_phantom_roi *r = &m->roi[roi];
  double p[3];
  if (r->course == 0)
    phantom_map_to_course1(m, c, x, p);
  else if (r->course - 1 == c)
    memcpy(p, x, sizeof p);
  else
    phantom_map_between(m, c, r->course - 1, x, p);
  double l = 1e9;
  for (int i = 0; i < r->nparts; i++) l = fmin(l, phantom_prim_level(&r->part[i], p));
  return l;
}

int phantom_roi_index(const rert_phantom_model *m, const char *name) {
  for (int i = 0; i < m->nrois; i++)
    if (strcmp(m->roi[i].name, name) == 0) return i;
  return -1;
}

int phantom_grid_map_init(const rert_phantom_model *m, int c, const rert_phantom_grid *g,
                          phantom_grid_map *gm, rert_err *err) {
  const rert_phantom_course *k = &m->course[c];
  memset(gm, 0, sizeof *gm);
  gm->nb = c == 0 ? 0 : k->nbumps;
  gm->nx = g->nx, gm->ny = g->ny, gm->nz = g->nz;
  if (gm->nb == 0) return RERT_OK;
  gm->fx = malloc(sizeof(double) * (size_t)gm->nb * (size_t)(g->nx + g->ny + g->nz));
  if (!gm->fx) return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory (map tables)");
  gm->fy = gm->fx + (size_t)gm->nb * g->nx;
  gm->fz = gm->fy + (size_t)gm->nb * g->ny;
  int n[3] = {g->nx, g->ny, g->nz};
  double *t[3] = {gm->fx, gm->fy, gm->fz};
  for (int b = 0; b < gm->nb; b++) {
    double s2 = 2.0 * k->bump_sigma_mm[b] * k->bump_sigma_mm[b];
    for (int a = 0; a < 3; a++)
      for (int i = 0; i < n[a]; i++) {
        double d = g->origin_mm[a] + i * g->spacing_mm[a] - k->bump_centre[b][a];
        t[a][(size_t)b * n[a] + i] = exp(-d * d / s2);
      }
  }
  return RERT_OK;
}

void phantom_grid_map_apply(const rert_phantom_model *m, int c, const rert_phantom_grid *g,
                            const phantom_grid_map *gm, int i, int j, int k, double y[3]) {
  const rert_phantom_course *kc = &m->course[c];
  double x[3] = {g->origin_mm[0] + i * g->spacing_mm[0], g->origin_mm[1] + j * g->spacing_mm[1],
                 g->origin_mm[2] + k * g->spacing_mm[2]};
  if (c == 0) {
    memcpy(y, x, sizeof x);
    return;
  }
  y[0] = kc->scale_centre[0] + kc->scale_xy * (x[0] - kc->scale_centre[0]);
  y[1] = kc->scale_centre[1] + kc->scale_xy * (x[1] - kc->scale_centre[1]);
  y[2] = x[2];
  for (int b = 0; b < gm->nb; b++) {
    double f = gm->fx[(size_t)b * gm->nx + i] * gm->fy[(size_t)b * gm->ny + j] *
               gm->fz[(size_t)b * gm->nz + k];
    for (int a = 0; a < 3; a++) y[a] += kc->bump_amp_mm[b][a] * f;
  }
}

void phantom_grid_map_free(phantom_grid_map *gm) {
  free(gm->fx);
  memset(gm, 0, sizeof *gm);
}
