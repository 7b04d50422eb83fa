/* intent.c — treatment intent and the biological dose targets that go with it (issue #7;
 * S2 dose ranges; domain-reference §5.4 ARS definition of re-irradiation).
 *
 * The intent is the documented goal of care when the case states one; otherwise it is read off
 * the planned course's BED10 against the curative and palliative ranges of
 * data/intent_targets.json. The ARS definition (new course EQD2 ≥ 45 Gy to tissue that had
 * 45–75 Gy EQD2) is evaluated on the prescription doses at the α/β of the same file, because
 * without DICOM the prescription is the only dose known for the overlap region.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/compare.h"
#include "rert/data.h"
#include "rert/radbio.h"

static int course_bed(const case_course *k, double ab, double *bed, rert_err *err) {
  radbio_model m = radbio_model_lq(ab);
  return radbio_bed_gy(k->prescription_gy, k->fractions, &m, bed, err);
}

static int range(const cJSON *doc, const char *key, double *lo, double *hi, rert_err *err) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, key);
  char ctx[96];
  snprintf(ctx, sizeof ctx, "intent_targets.json: %s", key);
  int rc = json_get_number(o, "lo", lo, ctx, err);
  if (!rc) rc = json_get_number(o, "hi", hi, ctx, err);
  return rc;
}

int intent_assess_case(const rert_case *c, intent_result *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->planned_bed10_gy = out->planned_eqd2_gy = out->prior_eqd2_gy = NAN;
  cJSON *doc;
  int rc = data_load_json("intent_targets.json", &doc, err);
  if (rc) return rc;
  double ab, new_min, prior_min, prior_max, min_months = NAN;
  const cJSON *abo = cJSON_GetObjectItemCaseSensitive(doc, "alpha_beta_gy");
  const cJSON *ars = cJSON_GetObjectItemCaseSensitive(doc, "ars_reirradiation");
  rc = json_get_number(abo, "value", &ab, "intent_targets.json: alpha_beta_gy", err);
  if (!rc) rc = range(doc, "curative_bed10_gy", &out->curative_lo_gy, &out->curative_hi_gy, err);
  if (!rc) rc = range(doc, "palliative_bed10_gy", &out->palliative_lo_gy, &out->palliative_hi_gy, err);
  if (!rc) rc = json_get_number(ars, "new_course_eqd2_min_gy", &new_min, "intent_targets.json: ars_reirradiation", err);
  if (!rc) rc = json_get_number(ars, "prior_eqd2_min_gy", &prior_min, "intent_targets.json: ars_reirradiation", err);
  if (!rc) rc = json_get_number(ars, "prior_eqd2_max_gy", &prior_max, "intent_targets.json: ars_reirradiation", err);
  if (!rc) rc = json_get_number(cJSON_GetObjectItemCaseSensitive(doc, "minimum_interval_months"), "value", &min_months,
                                "intent_targets.json: minimum_interval_months", err);
  const char *s1 = "", *s2 = "";
  if (!rc) rc = json_get_string(cJSON_GetObjectItemCaseSensitive(doc, "curative_bed10_gy"), "source", &s1, "intent_targets.json", err);
  if (!rc) rc = json_get_string(ars, "source", &s2, "intent_targets.json", err);
  if (!rc) snprintf(out->source, sizeof out->source, "%s; %s", s1, s2);
  cJSON_Delete(doc);
  if (rc) return rc;

  out->interval_months = NAN;
  const case_course *last = casefile_last_prior(c);
  if (last) {
    rert_err e2;
    if (casefile_interval_months(c, last, &out->interval_months, &e2)) out->interval_months = NAN;
  }
  out->interval_below_minimum = isfinite(out->interval_months) && rert_lt(out->interval_months, min_months);
  const case_course *planned = casefile_planned_course(c);
  if (planned) {
    if ((rc = course_bed(planned, ab, &out->planned_bed10_gy, err))) return rc;
    out->planned_eqd2_gy = radbio_bed_to_eqdx(out->planned_bed10_gy, 2.0, ab);
    double b = out->planned_bed10_gy;
    snprintf(out->bed_range, sizeof out->bed_range, "%s",
             rert_gt(b, out->curative_hi_gy) ? "above_curative" : rert_ge(b, out->curative_lo_gy) ? "curative"
             : rert_gt(b, out->palliative_hi_gy) ? "between" : rert_ge(b, out->palliative_lo_gy) ? "palliative"
             : "below_palliative");
  }
  for (int i = 0; i < c->ncourses; i++) {
    const case_course *k = &c->courses[i];
    if (k->role != COURSE_PRIOR) continue;
    double bed;
    if ((rc = course_bed(k, ab, &bed, err))) return rc;
    double e = radbio_bed_to_eqdx(bed, 2.0, ab);
    if (isnan(out->prior_eqd2_gy) || e > out->prior_eqd2_gy) out->prior_eqd2_gy = e;
  }
  const char *goal = c->clinical.goals_of_care;
  if (!strcmp(goal, "curative") || !strcmp(goal, "palliative")) {
    snprintf(out->intent, sizeof out->intent, "%s", goal);
    snprintf(out->intent_basis, sizeof out->intent_basis, "goals of care stated in the case file");
  } else if (planned) {
    const char *r = out->bed_range;
    snprintf(out->intent, sizeof out->intent, "%s",
             (!strcmp(r, "curative") || !strcmp(r, "above_curative")) ? "curative"
             : (!strcmp(r, "palliative") || !strcmp(r, "below_palliative")) ? "palliative"
             : "indeterminate");
    snprintf(out->intent_basis, sizeof out->intent_basis, "planned-course BED%g = %.1f Gy (%s range)",
             ab, out->planned_bed10_gy, r);
  } else {
    snprintf(out->intent, sizeof out->intent, "indeterminate");
    snprintf(out->intent_basis, sizeof out->intent_basis,
             "no $.clinical.goals_of_care and no planned course");
  }
  if (!planned || isnan(out->prior_eqd2_gy)) {
    out->ars_reirradiation = -1;
    snprintf(out->ars_reason, sizeof out->ars_reason, "needs a prior and a planned course");
  } else {
    int new_ok = rert_ge(out->planned_eqd2_gy, new_min);
    int prior_ok = rert_ge(out->prior_eqd2_gy, prior_min) && rert_le(out->prior_eqd2_gy, prior_max);
    out->ars_reirradiation = new_ok && prior_ok;
    snprintf(out->ars_reason, sizeof out->ars_reason,
             "planned EQD2(a/b %g) %.1f Gy %s %g; prior prescription EQD2 %.1f Gy %s [%g, %g]%s", ab,
             out->planned_eqd2_gy, new_ok ? ">=" : "<", new_min, out->prior_eqd2_gy,
             prior_ok ? "within" : "outside", prior_min, prior_max,
             rert_gt(out->prior_eqd2_gy, prior_max) ? " (prior dose above the ARS range: still a re-irradiation, outside the definition's cohort)" : "");
  }
  return RERT_OK;
}
