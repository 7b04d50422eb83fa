/* analytic.c — analytic DVH test cases (see analytic.h for the closed forms). */
#include "support/analytic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double half_extent_u(const an_case *c) {
  if (c->shape == AN_SPHERE) return c->radius_mm;
  return c->grad_axis == 2 ? 0.5 * c->height_mm : c->radius_mm;
}

int an_supported(const an_case *c) { return !(c->shape == AN_CONE && c->grad_axis != 2); }

double an_volume_cc(const an_case *c) {
  double R = c->radius_mm, H = c->height_mm;
  switch (c->shape) {
  case AN_SPHERE: return 4.0 / 3.0 * M_PI * R * R * R / 1000.0;
  case AN_CYLINDER: return M_PI * R * R * H / 1000.0;
  case AN_CONE: return M_PI * R * R * H / 3.0 / 1000.0;
  }
  return 0;
}

/* Volume (mm³) with offset along u ≥ t. */
static double cum_mm3(const an_case *c, double t) {
  double R = c->radius_mm, H = c->height_mm;
  double e = half_extent_u(c);
  if (t <= -e) return an_volume_cc(c) * 1000.0;
  if (t >= e) return 0;
  switch (c->shape) {
  case AN_SPHERE: {
    double h = R - t;
    return M_PI * h * h * (3 * R - h) / 3.0;
  }
  case AN_CYLINDER:
    if (c->grad_axis == 2) return M_PI * R * R * (0.5 * H - t);
    return H * (R * R * acos(t / R) - t * sqrt(R * R - t * t));
  case AN_CONE: {
    double r = R * (0.5 * H - t) / H;
    return M_PI / 3.0 * r * r * (0.5 * H - t);
  }
  }
  return 0;
}

static double t_of_dose(const an_case *c, double d) { return (d - c->d0_gy) / c->grad_gy_per_mm; }

double an_cum_cc(const an_case *c, double dose_gy) {
  double t = t_of_dose(c, dose_gy);
  /* positive gradient: higher dose = larger t */
  if (c->grad_gy_per_mm > 0) return cum_mm3(c, t) / 1000.0;
  return (an_volume_cc(c) * 1000.0 - cum_mm3(c, t)) / 1000.0;
}

double an_dmin(const an_case *c) {
  double e = half_extent_u(c), g = c->grad_gy_per_mm;
  return c->d0_gy - fabs(g) * e;
}
double an_dmax(const an_case *c) {
  double e = half_extent_u(c), g = c->grad_gy_per_mm;
  return c->d0_gy + fabs(g) * e;
}
double an_dmean(const an_case *c) {
  double cu = 0; /* centroid offset along u */
  if (c->shape == AN_CONE && c->grad_axis == 2) cu = -0.25 * c->height_mm;
  return c->d0_gy + c->grad_gy_per_mm * cu;
}

double an_d_at_cc(const an_case *c, double v_cc) {
  double lo = an_dmin(c), hi = an_dmax(c);
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi);
    if (an_cum_cc(c, mid) >= v_cc) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

void an_stack_zrange(const an_case *c, double *lo, double *hi) {
  double h = c->slice_mm;
  if (c->shape != AN_SPHERE) {
    *lo = -0.5 * c->height_mm, *hi = 0.5 * c->height_mm;
    return;
  }
  double R = c->radius_mm;
  double kmin = ceil(-R / h - c->plane_phase), kmax = floor(R / h - c->plane_phase);
  if ((kmin + c->plane_phase) * h <= -R) kmin += 1;
  if ((kmax + c->plane_phase) * h >= R) kmax -= 1;
  *lo = (kmin + c->plane_phase) * h - 0.5 * h;
  *hi = (kmax + c->plane_phase) * h + 0.5 * h;
}

static int add_circle(rert_roi *roi, double cx, double cy, double z, double r, int n) {
  rert_contour *ct = &roi->contours[roi->ncontours];
  ct->type = CONTOUR_CLOSED_PLANAR;
  ct->npoints = n;
  ct->xyz_mm = malloc(3 * (size_t)n * sizeof(double));
  if (!ct->xyz_mm) return -1;
  /* equal-area polygon: its area equals π r² exactly */
  double re = r * sqrt(2 * M_PI / (n * sin(2 * M_PI / n)));
  for (int i = 0; i < n; i++) {
    double a = 2 * M_PI * i / n;
    ct->xyz_mm[3 * i] = cx + re * cos(a);
    ct->xyz_mm[3 * i + 1] = cy + re * sin(a);
    ct->xyz_mm[3 * i + 2] = z;
  }
  roi->ncontours++;
  return 0;
}

int an_make_roi(const an_case *c, rert_roi *roi) {
  memset(roi, 0, sizeof *roi);
  snprintf(roi->name, sizeof roi->name, "%s", c->shape == AN_SPHERE ? "Sphere"
                                              : c->shape == AN_CYLINDER ? "Cylinder" : "Cone");
  double R = c->radius_mm, H = c->height_mm, h = c->slice_mm;
  const double *ce = c->centre_mm;
  int n = c->nvert > 2 ? c->nvert : 256;
  int maxc = (int)ceil((c->shape == AN_SPHERE ? 2 * R : H) / h) + 4;
  roi->contours = calloc(maxc, sizeof(rert_contour));
  if (!roi->contours) return -1;
  if (c->shape == AN_SPHERE) {
    int k0 = (int)floor(-R / h - c->plane_phase) - 1;
    for (int k = k0; k < k0 + maxc; k++) {
      double dz = (k + c->plane_phase) * h;
      if (fabs(dz) >= R || roi->ncontours >= maxc) continue;
      if (add_circle(roi, ce[0], ce[1], ce[2] + dz, sqrt(R * R - dz * dz), n)) return -1;
    }
  } else {
    int np = (int)lround(H / h);
    for (int k = 0; k < np && roi->ncontours < maxc; k++) {
      double dz = -0.5 * H + (k + 0.5) * h;
      double r = c->shape == AN_CYLINDER ? R : R * (0.5 * H - dz) / H;
      if (add_circle(roi, ce[0], ce[1], ce[2] + dz, r, n)) return -1;
    }
  }
  return 0;
}

void an_roi_free(rert_roi *roi) {
  for (int i = 0; i < roi->ncontours; i++) free(roi->contours[i].xyz_mm);
  free(roi->contours);
  roi->contours = NULL;
  roi->ncontours = 0;
}

int an_make_dose(const an_case *c, const double sp[3], const double offset[3], rert_volume *dose) {
  memset(dose, 0, sizeof *dose);
  double ext[3] = {c->radius_mm, c->radius_mm,
                   c->shape == AN_SPHERE ? c->radius_mm : 0.5 * c->height_mm};
  int n[3];
  for (int a = 0; a < 3; a++) {
    dose->spacing_mm[a] = sp[a];
    dose->origin_mm[a] = c->centre_mm[a] - ext[a] - 2.5 * sp[a] + offset[a] * sp[a];
    n[a] = (int)ceil((2 * ext[a] + 5 * sp[a]) / sp[a]) + 1;
  }
  dose->nx = n[0], dose->ny = n[1], dose->nz = n[2];
  rert_err e;
  if (volume_alloc(dose, &e)) return -1;
  for (int k = 0; k < n[2]; k++)
    for (int j = 0; j < n[1]; j++)
      for (int i = 0; i < n[0]; i++) {
        double x[3] = {dose->origin_mm[0] + i * sp[0], dose->origin_mm[1] + j * sp[1],
                       dose->origin_mm[2] + k * sp[2]};
        int g = c->grad_axis;
        dose->data[i + (size_t)n[0] * (j + (size_t)n[1] * k)] =
            (float)(c->d0_gy + c->grad_gy_per_mm * (x[g] - c->centre_mm[g]));
      }
  dose->meta.quantity = QTY_PHYSICAL;
  return 0;
}
