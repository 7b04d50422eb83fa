/* recurrence.c — recurrence pattern relative to the prior 95 % isodose and the matching
 * target-volume advice (domain-reference §7.3, §7.4).
 *
 * f = fraction of the recurrence GTV (mapped onto the prior plan) inside the prior 95 % isodose.
 * In-field when f ≥ 0.95 (Dawson 2000, default) or f > 0.95 (S4) — the boundary convention is a
 * parameter; marginal when 0.20 ≤ f below in-field; out-of-field below 0.20. Thresholds and the
 * advice text come from data/recurrence_pattern.json.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/compare.h"
#include "rert/data.h"
#include "rert/geom.h"

int recurrence_boundary_parse(const char *s, recurrence_boundary *b, rert_err *err) {
  if (!strcmp(s, "dawson")) *b = BOUNDARY_DAWSON;
  else if (!strcmp(s, "s4")) *b = BOUNDARY_S4;
  else return rert_err_set(err, RERT_EINPUT, "--boundary: '%s' is not one of dawson | s4", s);
  return RERT_OK;
}

int recurrence_classify(double f, recurrence_boundary b, recurrence_result *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->overlap_fraction = f;
  if (!isfinite(f) || f < 0 || f > 1)
    return rert_err_set(err, RERT_EINPUT, "recurrence overlap fraction %g is outside [0, 1]", f);
  cJSON *doc;
  int rc = data_load_json("recurrence_pattern.json", &doc, err);
  if (rc) return rc;
  double in_min, marg_min;
  rc = json_get_number(cJSON_GetObjectItemCaseSensitive(doc, "in_field_min_fraction"), "value", &in_min,
                       "recurrence_pattern.json: in_field_min_fraction", err);
  if (!rc)
    rc = json_get_number(cJSON_GetObjectItemCaseSensitive(doc, "marginal_min_fraction"), "value",
                         &marg_min, "recurrence_pattern.json: marginal_min_fraction", err);
  if (!rc) {
    /* boundaries decided with the project's tolerance (rert/compare.h): 0.6/3.0 = 0.2 is
     * marginal and 2.85/3.0 = 0.95 is in-field under Dawson's >= and marginal under S4's >,
     * whatever float32 storage of the volumes did to the last bits */
    int in = b == BOUNDARY_DAWSON ? rert_ge(f, in_min) : rert_gt(f, in_min);
    out->cls = in ? RECUR_IN_FIELD : rert_ge(f, marg_min) ? RECUR_MARGINAL : RECUR_OUT_OF_FIELD;
    snprintf(out->label, sizeof out->label, "%s",
             out->cls == RECUR_IN_FIELD ? "in-field" : out->cls == RECUR_MARGINAL ? "marginal" : "out-of-field");
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "classes"), out->label);
    const char *adv = NULL, *src = NULL, *bsrc = NULL;
    rc = json_get_string(cl, "advice", &adv, "recurrence_pattern.json: classes", err);
    if (!rc) rc = json_get_string(cl, "source", &src, "recurrence_pattern.json: classes", err);
    if (!rc) rc = json_get_string(cJSON_GetObjectItemCaseSensitive(doc, "in_field_min_fraction"), "source", &bsrc,
                                  "recurrence_pattern.json: in_field_min_fraction", err);
    if (!rc) {
      snprintf(out->advice, sizeof out->advice, "%s", adv);
      snprintf(out->source, sizeof out->source, "%s; boundary %s: %s", src,
               b == BOUNDARY_DAWSON ? "f >= 95% (Dawson)" : "f > 95% (S4)", bsrc);
    }
  }
  cJSON_Delete(doc);
  return rc;
}

static int load_isodose(double *iso, rert_err *err) {
  cJSON *doc;
  int rc = data_load_json("recurrence_pattern.json", &doc, err);
  if (rc) return rc;
  rc = json_get_number(cJSON_GetObjectItemCaseSensitive(doc, "isodose_fraction"), "value", iso,
                       "recurrence_pattern.json: isodose_fraction", err);
  cJSON_Delete(doc);
  return rc;
}

int recurrence_overlap_fraction_mask(const rert_mask *m, const rert_volume *dose, double rx_gy,
                                     double *f, rert_err *err) {
  if (!m || !dose || !dose->data)
    return rert_err_set(err, RERT_EINPUT, "recurrence overlap: mask or dose grid is empty");
  if (!volume_same_geometry(&m->grid, dose))
    return rert_err_set(err, RERT_EINPUT,
                        "recurrence overlap: recurrence mask and mapped prior dose are on different grids "
                        "(resample the dose onto the mask grid first)");
  if (!(rx_gy > 0)) return rert_err_set(err, RERT_EINPUT, "recurrence overlap: prior prescription must be > 0 Gy");
  double iso;
  int rc = load_isodose(&iso, err);
  if (rc) return rc;
  const float level = (float)(iso * rx_gy);
  double in = 0, tot = 0;
  const int nx = dose->nx, ny = dose->ny;
#pragma omp parallel for reduction(+ : in, tot) schedule(static)
  for (int k = 0; k < m->n[2]; k++)
    for (int j = 0; j < m->n[1]; j++)
      for (int i = 0; i < m->n[0]; i++) {
        float w = m->frac[i + (size_t)m->n[0] * (j + (size_t)m->n[1] * k)];
        if (!(w > 0)) continue;
        size_t g = (size_t)(m->lo[0] + i) + (size_t)nx * ((size_t)(m->lo[1] + j) + (size_t)ny * (m->lo[2] + k));
        tot += w;
        if (dose->data[g] >= level) in += w;
      }
  if (!(tot > 0)) return rert_err_set(err, RERT_EINPUT, "recurrence overlap: the recurrence mask is empty");
  *f = in / tot;
  return RERT_OK;
}

int recurrence_overlap_fraction(const rert_volume *mask, const rert_volume *dose, double rx_gy,
                                double *f, rert_err *err) {
  if (!mask || !dose || !mask->data || !dose->data)
    return rert_err_set(err, RERT_EINPUT, "recurrence overlap: mask or dose grid is empty");
  if (!volume_same_geometry(mask, dose))
    return rert_err_set(err, RERT_EINPUT,
                        "recurrence overlap: recurrence mask and mapped prior dose are on different grids "
                        "(resample the dose onto the mask grid first)");
  if (!(rx_gy > 0)) return rert_err_set(err, RERT_EINPUT, "recurrence overlap: prior prescription must be > 0 Gy");
  cJSON *doc;
  double iso;
  int rc = data_load_json("recurrence_pattern.json", &doc, err);
  if (rc) return rc;
  rc = json_get_number(cJSON_GetObjectItemCaseSensitive(doc, "isodose_fraction"), "value", &iso,
                       "recurrence_pattern.json: isodose_fraction", err);
  cJSON_Delete(doc);
  if (rc) return rc;
  const float level = (float)(iso * rx_gy);
  const size_t n = volume_count(mask);
  double in = 0, tot = 0;
  const float *m = mask->data, *d = dose->data;
#pragma omp parallel for reduction(+ : in, tot) schedule(static)
  for (size_t i = 0; i < n; i++) {
    float w = m[i];
    if (w > 0) {
      tot += w;
      if (d[i] >= level) in += w;
    }
  }
  if (!(tot > 0)) return rert_err_set(err, RERT_EINPUT, "recurrence overlap: the recurrence mask is empty");
  *f = in / tot;
  return RERT_OK;
}
