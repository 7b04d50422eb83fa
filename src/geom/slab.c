/* slab.c — the slab each contour plane stands for (rert/geom.h; docs/dvh.md "Between contour
 * planes").
 *
 * Rule: a contour plane on image slice k covers half-way to slices k−1 and k+1. Two consecutive
 * contour planes of the ROI with no image slice between them touch (each covers half-way to the
 * other, also when contours are denser than the slices). Image slices without a contour between
 * two contour planes are a gap and stay empty: the planes on either side keep their own slice's
 * half-widths. End caps: half the slice spacing (half-slice end caps), and not more than half
 * the ROI's own plane spacing when its contours are denser than the slices. A plane that is not
 * on an image slice takes the spacing of the slices around it.
 *
 * Slices (rert_slice_geom): IMAGE / LATTICE give positions. Without them (or when the structure
 * set's planes are IRREGULAR, i.e. not one lattice, so other ROIs say nothing reliable about this
 * one), the ROI's own planes are inferred the same way: a lattice when its gaps are multiples of
 * its smallest gap, else "a slice between" means a gap wider than 1.5 × its median spacing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geom/shape.h"

#define PARALLEL_COS 0.999
#define ON_SLICE_TOL_MM 0.05

/* Index of the last position ≤ x (−1 if none). */
static int floor_index(const double *p, int n, double x) {
  int lo = -1, hi = n; /* p[lo] ≤ x < p[hi] */
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (p[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Number of positions strictly inside (a + tol, b − tol). */
static int count_between(const double *p, int n, double a, double b, double tol) {
  int i = floor_index(p, n, a + tol), j = floor_index(p, n, b - tol);
  /* positions in (a+tol, b−tol]: indices i+1..j; drop one equal to b − tol */
  int k = j - i;
  if (j >= 0 && j > i && p[j] >= b - tol) k--;
  return k > 0 ? k : 0;
}

/* Spacing of the slices below and above position x (x on slice k: its two gaps; between
 * slices: the enclosing gap on both sides). *on = distance to the nearest slice. */
static void local_spacing(const double *p, int n, double x, double *sb, double *sa, double *dist) {
  int k = floor_index(p, n, x);
  int near = k < 0 ? 0 : (k + 1 < n && p[k + 1] - x < x - p[k] ? k + 1 : k);
  *dist = fabs(x - p[near]);
  double below = near > 0 ? p[near] - p[near - 1] : NAN, above = near + 1 < n ? p[near + 1] - p[near] : NAN;
  if (isnan(below)) below = above;
  if (isnan(above)) above = below;
  if (*dist <= fmax(ON_SLICE_TOL_MM, 0.05 * fmin(below, above)) + 1e-9) {
    *sb = below, *sa = above, *dist = 0;
    return;
  }
  double g;
  if (k < 0) g = p[1] - p[0];
  else if (k + 1 >= n) g = p[n - 1] - p[n - 2];
  else g = p[k + 1] - p[k];
  *sb = *sa = g;
}

int geom_slabs(const double *c, const int *cidx, int np, const double n[3],
               const rert_slice_geom *slices, double default_thickness_mm, double *lo, double *hi,
               rert_roi_info *info, rert_geom_findings *f, rert_err *err, const char *nm) {
  rert_slice_geom own;
  memset(&own, 0, sizeof own);
  const rert_slice_geom *S = NULL;
  double sign = 1;
  int rc = RERT_OK;
  /* slices that are not one lattice (IRREGULAR) say nothing reliable about this ROI's gaps:
   * then its own planes decide, as when nothing is known */
  if (slices && (slices->source == GEOM_SLICES_IMAGE || slices->source == GEOM_SLICES_LATTICE)) {
    double d = slices->normal[0] * n[0] + slices->normal[1] * n[1] + slices->normal[2] * n[2];
    if (fabs(d) >= PARALLEL_COS) S = slices, sign = d > 0 ? 1 : -1;
    else if (geom_findings_add(f, cidx[0], GEOM_PROBLEM_SLICES_UNKNOWN, GEOM_RULE_LOCAL_SPACING,
                               GEOM_SEV_WARNING,
                               "the image slices are not parallel to the contours (angle %.1f°): "
                               "slices inferred from the ROI's own planes",
                               acos(fmin(1.0, fabs(d))) * 180 / M_PI))
      return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  }
  if (!S) {
    if ((rc = geom_slices_from_planes(c, np, n, &own, err))) return rc;
    S = &own;
  }
  /* positions along n, ascending */
  double *P = NULL;
  int nP = S->source == GEOM_SLICES_NONE ? 0 : S->npos;
  if (nP > 0) {
    P = malloc((size_t)nP * sizeof(double));
    if (!P) {
      geom_slices_free(&own);
      return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
    }
    for (int i = 0; i < nP; i++) P[i] = sign > 0 ? S->pos_mm[i] : -S->pos_mm[nP - 1 - i];
  }
  info->slices_source = nP >= 2 ? S->source : GEOM_SLICES_NONE;
  info->slice_spacing_mm = nP >= 2 ? S->spacing_mm : 0;
  info->ngaps = 0;
  int irregular = S->source == GEOM_SLICES_IRREGULAR;
  double smed = S->spacing_mm;

  if (nP < 2) {
    /* nothing known (a single plane and no image slices): the caller's default thickness */
    if (!(default_thickness_mm > 0)) {
      free(P), geom_slices_free(&own);
      return rert_err_set(err, RERT_EINPUT,
                          "ROI %s: single contour plane and no slice thickness to extrude it", nm);
    }
    for (int q = 0; q < np; q++) lo[q] = c[q] - 0.5 * default_thickness_mm, hi[q] = c[q] + 0.5 * default_thickness_mm;
    if (geom_findings_add(f, cidx[0], GEOM_PROBLEM_SLICES_UNKNOWN, GEOM_RULE_DEFAULT_THICKNESS,
                          GEOM_SEV_WARNING,
                          "single contour plane and no image slices known: slab %.3g mm thick",
                          default_thickness_mm))
      rc = rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
    info->slice_spacing_mm = default_thickness_mm;
    free(P), geom_slices_free(&own);
    return rc;
  }

  double *sb = malloc((size_t)np * 2 * sizeof(double));
  char *gapv = calloc((size_t)np + 1, 1);
  if (!sb || !gapv) {
    free(sb), free(gapv), free(P), geom_slices_free(&own);
    return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  }
  double *sa = sb + np;
  int noff = 0, first_off = -1;
  double worst_off = 0;
  for (int q = 0; q < np; q++) {
    double dist;
    if (irregular) sb[q] = sa[q] = smed, dist = 0;
    else local_spacing(P, nP, c[q], &sb[q], &sa[q], &dist);
    if (dist > 0) {
      if (first_off < 0) first_off = q;
      noff++;
      worst_off = fmax(worst_off, dist);
    }
  }
  /* gaps: an image slice strictly between two consecutive contour planes */
  for (int q = 0; q + 1 < np; q++) {
    double G = c[q + 1] - c[q], s = fmin(sa[q], sb[q + 1]);
    int between = irregular ? (G > 1.5 * smed + ON_SLICE_TOL_MM)
                            : count_between(P, nP, c[q], c[q + 1], 0.25 * s) > 0;
    gapv[q] = (char)between;
  }
  for (int q = 0; q < np; q++) {
    double below, above;
    if (q > 0 && !gapv[q - 1]) below = 0.5 * (c[q] - c[q - 1]);
    else below = 0.5 * sb[q];
    if (q + 1 < np && !gapv[q]) above = 0.5 * (c[q + 1] - c[q]);
    else above = 0.5 * sa[q];
    if (q > 0 && gapv[q - 1]) below = fmin(below, 0.5 * (c[q] - c[q - 1]));
    if (q + 1 < np && gapv[q]) above = fmin(above, 0.5 * (c[q + 1] - c[q]));
    /* end caps: not beyond half the ROI's own spacing when its contours are denser than slices */
    if (q == 0 && np > 1 && !gapv[0]) below = fmin(below, 0.5 * (c[1] - c[0]));
    if (q == np - 1 && np > 1 && !gapv[np - 2]) above = fmin(above, 0.5 * (c[np - 1] - c[np - 2]));
    lo[q] = c[q] - below;
    hi[q] = c[q] + above;
  }
  for (int q = 0; q + 1 < np && !rc; q++) {
    if (!gapv[q]) continue;
    info->ngaps++;
    double G = c[q + 1] - c[q];
    int nmiss = irregular ? (int)floor(G / smed + 0.5) - 1
                          : count_between(P, nP, c[q], c[q + 1], 0.25 * fmin(sa[q], sb[q + 1]));
    if (geom_findings_add(f, cidx[q], GEOM_PROBLEM_GAP, GEOM_RULE_GAP_EMPTY, GEOM_SEV_INFO,
                          "%.2f mm to the next contour plane (%.2f → %.2f mm), %d image slice%s "
                          "without contour: not filled", G, c[q], c[q + 1], nmiss,
                          nmiss == 1 ? "" : "s"))
      rc = rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  }
  if (noff && !rc &&
      geom_findings_add(f, cidx[first_off], GEOM_PROBLEM_OFF_SLICE, GEOM_RULE_LOCAL_SPACING,
                        S->source == GEOM_SLICES_IMAGE ? GEOM_SEV_WARNING : GEOM_SEV_INFO,
                        "%d contour plane%s not on an image slice (up to %.2f mm away, first at "
                        "%.2f mm)", noff, noff == 1 ? " is" : "s are", worst_off, c[first_off]))
    rc = rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  if (!rc && S == &own && S->source == GEOM_SLICES_IRREGULAR &&
      geom_findings_add(f, cidx[0], GEOM_PROBLEM_SLICES_UNKNOWN, GEOM_RULE_LOCAL_SPACING,
                        GEOM_SEV_WARNING,
                        "image slices unknown and the contour planes are not on one lattice: "
                        "gaps wider than 1.5 × the median plane spacing (%.3g mm) left empty",
                        S->spacing_mm))
    rc = rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  if (!rc && S->source == GEOM_SLICES_LATTICE && S->nplanes < 3 &&
      geom_findings_add(f, cidx[0], GEOM_PROBLEM_SLICES_UNKNOWN, GEOM_RULE_LOCAL_SPACING,
                        GEOM_SEV_WARNING,
                        "image slices unknown: spacing %.3g mm inferred from only %d contour planes",
                        S->spacing_mm, S->nplanes))
    rc = rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  free(sb), free(gapv), free(P);
  geom_slices_free(&own);
  return rc;
}
