/* slices.c — the image slices contours stand for (rert/geom.h rert_slice_geom): from the image
 * series the structure set was drawn on, or inferred from the contour planes of the whole
 * structure set.
 *
 * Why: a contour represents one image slice. Its slab must be that slice's thickness, not the
 * gap to the ROI's next contour: a sparse ROI contoured on 4 of 39 slices of a 3 mm CT is 4 slabs
 * of 3 mm, not a 114 mm extrusion (issue 13). With the CT the slice positions are known. Without
 * it, the planes of all contours of the structure set are the best evidence: TPSs export
 * contours on the image planes, so every gap between two distinct planes is a whole number of
 * slices, and the smallest gap is the slice spacing when all gaps are its multiples (LATTICE).
 * When they are not (contours from different images, uneven series), the older rule applies:
 * a gap wider than 1.5 × the median plane spacing is a gap (IRREGULAR).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/shape.h"

#define MERGE_TOL_MM 0.05 /* planes closer than this are one plane (as shape.c PLANE_TOL_MM) */
#define PARALLEL_COS 0.999

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

void geom_slices_free(rert_slice_geom *s) {
  if (!s) return;
  free(s->pos_mm);
  free(s->sop_uids);
  memset(s, 0, sizeof *s);
}

int geom_slices_copy(const rert_slice_geom *in, rert_slice_geom *out, rert_err *err) {
  *out = *in;
  out->pos_mm = NULL;
  out->sop_uids = NULL;
  if (in->npos > 0 && in->pos_mm) {
    out->pos_mm = malloc((size_t)in->npos * sizeof(double));
    if (!out->pos_mm) goto oom;
    memcpy(out->pos_mm, in->pos_mm, (size_t)in->npos * sizeof(double));
  }
  if (in->npos > 0 && in->sop_uids) {
    out->sop_uids = malloc((size_t)in->npos * sizeof *out->sop_uids);
    if (!out->sop_uids) goto oom;
    memcpy(out->sop_uids, in->sop_uids, (size_t)in->npos * sizeof *out->sop_uids);
  }
  return RERT_OK;
oom:
  geom_slices_free(out);
  return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
}

const char *geom_slices_source_name(rert_slices_source s) {
  switch (s) {
  case GEOM_SLICES_NONE: return "unknown";
  case GEOM_SLICES_IMAGE: return "image series";
  case GEOM_SLICES_LATTICE: return "inferred (contour-plane lattice)";
  case GEOM_SLICES_IRREGULAR: return "inferred (irregular contour planes)";
  }
  return "?";
}

int geom_slices_from_image(const rert_image_series *s, rert_slice_geom *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  const rert_volume *v = &s->image;
  if (v->nz < 1 || !(v->spacing_mm[2] > 0) || !isfinite(v->spacing_mm[2]))
    return rert_err_set(err, RERT_EINPUT, "image series %s: no slices", s->ident.series_instance_uid);
  double w[3] = {v->dir[6], v->dir[7], v->dir[8]};
  double l = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
  if (!(l > 0)) w[0] = 0, w[1] = 0, w[2] = 1, l = 1;
  for (int a = 0; a < 3; a++) out->normal[a] = w[a] / l;
  out->pos_mm = malloc((size_t)v->nz * sizeof(double));
  if (!out->pos_mm) return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
  double o = v->origin_mm[0] * out->normal[0] + v->origin_mm[1] * out->normal[1] +
             v->origin_mm[2] * out->normal[2];
  for (int k = 0; k < v->nz; k++) out->pos_mm[k] = o + k * v->spacing_mm[2];
  out->npos = v->nz;
  if (s->slice_sop_uids && s->nslices == v->nz) {
    out->sop_uids = malloc((size_t)v->nz * sizeof *out->sop_uids);
    if (!out->sop_uids) {
      geom_slices_free(out);
      return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
    }
    memcpy(out->sop_uids, s->slice_sop_uids, (size_t)v->nz * sizeof *out->sop_uids);
  }
  out->source = GEOM_SLICES_IMAGE;
  out->spacing_mm = v->spacing_mm[2];
  snprintf(out->note, sizeof out->note, "image series %.64s: %d slices, %.3g mm%s",
           s->ident.series_instance_uid[0] ? s->ident.series_instance_uid : "(no UID)", v->nz,
           v->spacing_mm[2],
           s->uneven_spacing ? " (resampled from unevenly spaced slices)" : "");
  return RERT_OK;
}

int geom_slices_from_positions(const double *pos_mm, int n, const double normal[3],
                               const char (*sop_uids)[RERT_UID_LEN], rert_slice_geom *out,
                               rert_err *err) {
  memset(out, 0, sizeof *out);
  double l = sqrt(normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]);
  if (n < 1 || !(l > 0)) return rert_err_set(err, RERT_EINPUT, "slices: no positions or no normal");
  for (int a = 0; a < 3; a++) out->normal[a] = normal[a] / l;
  int *ord = malloc(sizeof(int) * (size_t)n);
  out->pos_mm = malloc(sizeof(double) * (size_t)n);
  if (sop_uids) out->sop_uids = malloc((size_t)n * sizeof *out->sop_uids);
  if (!ord || !out->pos_mm || (sop_uids && !out->sop_uids)) {
    free(ord);
    geom_slices_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
  }
  for (int i = 0; i < n; i++) {
    if (!isfinite(pos_mm[i])) {
      free(ord);
      geom_slices_free(out);
      return rert_err_set(err, RERT_EINPUT, "slices: position %d is not finite", i + 1);
    }
    ord[i] = i;
  }
  for (int i = 1; i < n; i++) /* insertion sort of the indices by position */
    for (int j = i; j > 0 && pos_mm[ord[j - 1]] > pos_mm[ord[j]]; j--) {
      int t = ord[j];
      ord[j] = ord[j - 1], ord[j - 1] = t;
    }
  for (int i = 0; i < n; i++) {
    out->pos_mm[i] = pos_mm[ord[i]];
    if (sop_uids) memcpy(out->sop_uids[i], sop_uids[ord[i]], RERT_UID_LEN);
  }
  free(ord);
  out->npos = n;
  out->source = GEOM_SLICES_IMAGE;
  double *g = malloc(sizeof(double) * (size_t)(n > 1 ? n - 1 : 1));
  if (g && n > 1) {
    for (int i = 0; i + 1 < n; i++) g[i] = out->pos_mm[i + 1] - out->pos_mm[i];
    qsort(g, n - 1, sizeof(double), cmp_double);
    out->spacing_mm = g[(n - 1) / 2];
  }
  free(g);
  snprintf(out->note, sizeof out->note, "%d image slice positions, median spacing %.3g mm", n,
           out->spacing_mm);
  return RERT_OK;
}

/* pos[n] ascending, distinct (≥ MERGE_TOL apart). */
int geom_slices_from_planes(const double *pos, int n, const double normal[3], rert_slice_geom *out,
                            rert_err *err) {
  memset(out, 0, sizeof *out);
  memcpy(out->normal, normal, sizeof out->normal);
  out->nplanes = n;
  if (n < 2) {
    out->source = GEOM_SLICES_NONE;
    snprintf(out->note, sizeof out->note, "%d contour plane%s: slice spacing unknown", n,
             n == 1 ? "" : "s");
    return RERT_OK;
  }
  double g = INFINITY;
  for (int i = 0; i + 1 < n; i++) g = fmin(g, pos[i + 1] - pos[i]);
  /* the slice spacing: the mean of the gaps within 20 % of the smallest (adjacent slices) */
  double sum1 = 0;
  int n1 = 0;
  for (int i = 0; i + 1 < n; i++)
    if (pos[i + 1] - pos[i] <= 1.2 * g) sum1 += pos[i + 1] - pos[i], n1++;
  g = sum1 / n1;
  /* Lattice when every gap is a whole multiple of it (within 0.05 mm + 10 % of a slice for
   * rounded coordinates, never more than 20 % of a slice: with a tiny spacing any gap would be
   * "a multiple"), and adjacent slices are common enough to trust it: at least a fifth of the
   * gaps are one slice. Two ROIs drawn on different lattices (synthetic data, contours from
   * another image) fail this and are IRREGULAR. */
  int lattice = n1 >= 1 && n1 >= 0.2 * (n - 1);
  double sum_m = 0, tol = fmin(MERGE_TOL_MM + 0.1 * g, 0.2 * g);
  for (int i = 0; i + 1 < n && lattice; i++) {
    double G = pos[i + 1] - pos[i], m = floor(G / g + 0.5);
    if (m < 1 || fabs(G - m * g) > tol) lattice = 0;
    sum_m += m;
  }
  double *gaps = malloc((size_t)(n - 1) * sizeof(double));
  if (!gaps) return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
  for (int i = 0; i + 1 < n; i++) gaps[i] = pos[i + 1] - pos[i];
  qsort(gaps, n - 1, sizeof(double), cmp_double);
  double med = (n - 1) % 2 ? gaps[(n - 1) / 2] : 0.5 * (gaps[(n - 1) / 2 - 1] + gaps[(n - 1) / 2]);
  free(gaps);
  if (lattice) {
    double s = g;
    double total = sum_m + 1;
    if (total > 4.0 * n + 100000) lattice = 0; /* absurd filling (corrupt coordinates): irregular */
    else {
      out->pos_mm = malloc((size_t)total * sizeof(double));
      if (!out->pos_mm) return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
      int k = 0;
      for (int i = 0; i + 1 < n; i++) {
        double G = pos[i + 1] - pos[i];
        int m = (int)floor(G / g + 0.5);
        for (int j = 0; j < m; j++) out->pos_mm[k++] = pos[i] + j * G / m;
      }
      out->pos_mm[k++] = pos[n - 1];
      out->npos = k;
      out->spacing_mm = s;
      out->source = GEOM_SLICES_LATTICE;
      snprintf(out->note, sizeof out->note,
               "inferred from %d contour planes: every gap is a multiple of %.3g mm%s", n, s,
               n < 3 ? " (only two planes: weak evidence)" : "");
      return RERT_OK;
    }
  }
  out->pos_mm = malloc((size_t)n * sizeof(double));
  if (!out->pos_mm) return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
  memcpy(out->pos_mm, pos, (size_t)n * sizeof(double));
  out->npos = n;
  out->spacing_mm = med;
  out->source = GEOM_SLICES_IRREGULAR;
  snprintf(out->note, sizeof out->note,
           "inferred from %d contour planes not on one lattice: median spacing %.3g mm", n, med);
  return RERT_OK;
}

/* Sort and merge positions closer than MERGE_TOL (cluster means). Returns the new count. */
static int merge_positions(double *p, int n) {
  qsort(p, n, sizeof(double), cmp_double);
  int m = 0;
  for (int i = 0; i < n;) {
    int j = i;
    double s = 0;
    while (j < n && p[j] - p[i] <= MERGE_TOL_MM) s += p[j++];
    p[m++] = s / (j - i);
    i = j;
  }
  return m;
}

int geom_slices_infer(const rert_roi *const *rois, int nrois, rert_slice_geom *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  /* reference orientation: the largest contour of all */
  double best = 0, n[3] = {0, 0, 1};
  long total = 0;
  for (int r = 0; r < nrois; r++)
    for (int c = 0; rois[r] && c < rois[r]->ncontours; c++) {
      double nv[3], a2;
      if (!geom_contour_usable(&rois[r]->contours[c], nv, &a2)) continue;
      total++;
      if (a2 > best) best = a2, n[0] = nv[0] / a2, n[1] = nv[1] / a2, n[2] = nv[2] / a2;
    }
  geom_orient_normal(n);
  double *pos = malloc((size_t)(total + 1) * sizeof(double));
  if (!pos) return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
  int np = 0;
  for (int r = 0; r < nrois; r++)
    for (int c = 0; rois[r] && c < rois[r]->ncontours; c++) {
      const rert_contour *ct = &rois[r]->contours[c];
      double nv[3], a2, cpos, dev;
      int idx;
      if (!geom_contour_usable(ct, nv, &a2)) continue;
      if (fabs(nv[0] * n[0] + nv[1] * n[1] + nv[2] * n[2]) / a2 < PARALLEL_COS) continue;
      if (geom_contour_plane(ct, n, &cpos, &dev, &idx)) {
        free(pos);
        return rert_err_set(err, RERT_EINTERNAL, "slices: out of memory");
      }
      pos[np++] = cpos;
    }
  np = merge_positions(pos, np);
  int rc = geom_slices_from_planes(pos, np, n, out, err);
  free(pos);
  return rc;
}
