/* findings.c — the per-contour findings of rert/geom.h: what was wrong with a contour of an ROI
 * (degenerate, not planar, crossing, duplicate, off the image slices, gaps) and which rule rert
 * applied, so that `rert dvh`, the consult report and `rert case check` can say it instead of
 * dropping anything silently (docs/dvh.md "Findings").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/shape.h"

int geom_findings_add(rert_geom_findings *f, int contour, rert_geom_problem p, rert_geom_rule r,
                      rert_geom_severity sev, const char *fmt, ...) {
  if (!f) return RERT_OK;
  if (f->n == f->cap) {
    int nc = f->cap ? 2 * f->cap : 8;
    rert_geom_finding *ni = realloc(f->items, (size_t)nc * sizeof *ni);
    if (!ni) return RERT_EINTERNAL;
    f->items = ni, f->cap = nc;
  }
  rert_geom_finding *x = &f->items[f->n++];
  x->contour = contour, x->problem = p, x->rule = r, x->severity = sev;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->detail, sizeof x->detail, fmt, ap);
  va_end(ap);
  if (sev == GEOM_SEV_WARNING) f->nwarnings++;
  if (sev == GEOM_SEV_ERROR) f->nerrors++;
  return RERT_OK;
}

void geom_findings_free(rert_geom_findings *f) {
  if (!f) return;
  free(f->items);
  memset(f, 0, sizeof *f);
}

int geom_findings_copy(const rert_geom_findings *in, rert_geom_findings *out, rert_err *err) {
  *out = *in;
  out->items = NULL;
  out->cap = 0;
  if (!in->n) return RERT_OK;
  out->items = malloc((size_t)in->n * sizeof *out->items);
  if (!out->items) {
    memset(out, 0, sizeof *out);
    return rert_err_set(err, RERT_EINTERNAL, "findings: out of memory");
  }
  memcpy(out->items, in->items, (size_t)in->n * sizeof *out->items);
  out->cap = in->n;
  return RERT_OK;
}

const char *geom_problem_name(rert_geom_problem p) {
  switch (p) {
  case GEOM_PROBLEM_NO_CONTOURS: return "no contours";
  case GEOM_PROBLEM_NO_VOLUME: return "no contour encloses an area";
  case GEOM_PROBLEM_NOT_CLOSED: return "not a closed planar contour";
  case GEOM_PROBLEM_FEW_POINTS: return "fewer than 3 points";
  case GEOM_PROBLEM_ZERO_AREA: return "encloses no area";
  case GEOM_PROBLEM_NOT_FINITE: return "coordinates not finite";
  case GEOM_PROBLEM_NOT_PARALLEL: return "not parallel to the other contours";
  case GEOM_PROBLEM_NON_PLANAR: return "not planar";
  case GEOM_PROBLEM_SELF_INTERSECTING: return "self-intersecting";
  case GEOM_PROBLEM_OVERLAP: return "crosses another contour of its plane";
  case GEOM_PROBLEM_DUPLICATE: return "duplicate of another contour";
  case GEOM_PROBLEM_OFF_SLICE: return "not on an image slice";
  case GEOM_PROBLEM_REF_MISMATCH: return "referenced image does not match";
  case GEOM_PROBLEM_GAP: return "gap between contour planes";
  case GEOM_PROBLEM_SLICES_UNKNOWN: return "image slices unknown";
  }
  return "?";
}

const char *geom_rule_name(rert_geom_rule r) {
  switch (r) {
  case GEOM_RULE_NONE: return "none";
  case GEOM_RULE_IGNORED: return "ignored (not a volume)";
  case GEOM_RULE_EXCLUDED: return "excluded from the volume";
  case GEOM_RULE_PROJECTED: return "projected onto its plane";
  case GEOM_RULE_EVEN_ODD: return "even-odd rule";
  case GEOM_RULE_GAP_EMPTY: return "gap left empty";
  case GEOM_RULE_LOCAL_SPACING: return "slab from the local slice spacing";
  case GEOM_RULE_DEFAULT_THICKNESS: return "slab from the default thickness";
  case GEOM_RULE_NOT_COMPUTED: return "ROI not computed";
  }
  return "?";
}

const char *geom_severity_name(rert_geom_severity s) {
  switch (s) {
  case GEOM_SEV_INFO: return "info";
  case GEOM_SEV_WARNING: return "warning";
  case GEOM_SEV_ERROR: return "error";
  }
  return "?";
}
