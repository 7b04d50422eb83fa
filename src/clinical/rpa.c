/* rpa.c — MIRI recursive partitioning analysis class (domain-reference §7.1).
 *
 * Class I: interval > 24 months AND salvage resection; class III: interval ≤ 24 months AND
 * organ dysfunction (feeding tube, tracheostomy or soft-tissue defect); class II: all others.
 * The threshold, survival figures and citations come from data/miri_rpa.json. The time origin
 * is a parameter because S2 words it two ways (class I "from initial diagnosis", class III
 * "from initial radiation therapy"); the default is the MIRI abstract's time between RT courses.
 * An unknown fact that would decide the class gives class 0 with the possible classes and the
 * case-file field that is missing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/compare.h"
#include "rert/data.h"

int rpa_origin_parse(const char *s, rpa_origin *o, rert_err *err) {
  if (!strcmp(s, "rt_interval")) *o = RPA_ORIGIN_RT_INTERVAL;
  else if (!strcmp(s, "diagnosis")) *o = RPA_ORIGIN_DIAGNOSIS;
  else if (!strcmp(s, "s2_literal")) *o = RPA_ORIGIN_S2_LITERAL;
  else
    return rert_err_set(err, RERT_EINPUT,
                        "--rpa-origin: '%s' is not one of rt_interval | diagnosis | s2_literal", s);
  return RERT_OK;
}

const char *rpa_origin_name(rpa_origin o) {
  return o == RPA_ORIGIN_DIAGNOSIS ? "diagnosis" : o == RPA_ORIGIN_S2_LITERAL ? "s2_literal" : "rt_interval";
}

case_tri clinical_organ_dysfunction(const case_clinical *k) {
  case_tri v[3] = {k->feeding_tube, k->tracheostomy, k->soft_tissue_defect};
  int unknown = 0;
  for (int i = 0; i < 3; i++) {
    if (v[i] == CASE_YES) return CASE_YES;
    if (v[i] == CASE_UNKNOWN) unknown = 1;
  }
  return unknown ? CASE_UNKNOWN : CASE_NO;
}

static int load_rpa_data(int cls, double *threshold, rpa_result *out, rert_err *err) {
  cJSON *doc;
  int rc = data_load_json("miri_rpa.json", &doc, err);
  if (rc) return rc;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "interval_threshold_months");
  rc = json_get_number(t, "value", threshold, "miri_rpa.json: interval_threshold_months", err);
  const char *src = NULL;
  if (!rc) rc = json_get_string(t, "source", &src, "miri_rpa.json: interval_threshold_months", err);
  if (!rc) snprintf(out->source, sizeof out->source, "%s", src);
  const cJSON *cl, *classes = cJSON_GetObjectItemCaseSensitive(doc, "classes");
  out->survival[0] = 0;
  cJSON_ArrayForEach(cl, classes) {
    double c;
    const char *s = NULL, *cs = NULL;
    if (rc) break;
    rc = json_get_number(cl, "class", &c, "miri_rpa.json: classes", err);
    if (!rc && (int)c == cls) {
      rc = json_get_string(cl, "survival", &s, "miri_rpa.json: classes", err);
      if (!rc) rc = json_get_string(cl, "source", &cs, "miri_rpa.json: classes", err);
      if (!rc) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cl, "verified");
        out->survival_verified = cJSON_IsTrue(v);
        snprintf(out->survival, sizeof out->survival, "%s (%s)", s, cs);
      }
    }
  }
  cJSON_Delete(doc);
  return rc;
}

int rpa_classify(double interval_class1_months, double interval_class3_months, case_tri resected,
                 case_tri organ_dysfunction, rpa_result *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  if (!isfinite(interval_class1_months) || !isfinite(interval_class3_months) ||
      interval_class1_months < 0 || interval_class3_months < 0)
    return rert_err_set(err, RERT_EINPUT, "MIRI RPA: the interval must be a non-negative number of months");
  double thr;
  int rc = load_rpa_data(0, &thr, out, err);
  if (rc) return rc;
  out->threshold_months = thr;
  out->interval_class1_months = interval_class1_months;
  out->interval_months = interval_class3_months;
  /* cut-points decided with the project's tolerance (rert/compare.h) */
  int long1 = rert_gt(interval_class1_months, thr);  /* class I needs "> 2 years" */
  int short3 = rert_le(interval_class3_months, thr); /* class III needs "≤ 2 years" */
  int cls = 0;
  if (long1 && resected == CASE_YES) cls = 1;
  else if (short3 && organ_dysfunction == CASE_YES) cls = 3;
  else {
    /* class II unless an unknown fact could still make it I or III */
    int could1 = long1 && resected == CASE_UNKNOWN;
    int could3 = short3 && organ_dysfunction == CASE_UNKNOWN;
    if (could1 || could3) {
      snprintf(out->possible, sizeof out->possible, "%s", could1 && could3 ? "I/II/III" : could1 ? "I/II" : "II/III");
      snprintf(out->missing, sizeof out->missing, "%s",
               could1 ? "$.clinical.salvage_surgery.status" : "$.clinical.organ_dysfunction");
    } else {
      cls = 2;
    }
  }
  out->rpa_class = cls;
  snprintf(out->rationale, sizeof out->rationale,
           "interval %.1f months %s %.0f (class I test%s), salvage resection %s, organ dysfunction %s",
           interval_class1_months, long1 ? ">" : "<=", thr,
           interval_class1_months != interval_class3_months ? "; class III test uses a different origin" : "",
           casefile_tri_name(resected), casefile_tri_name(organ_dysfunction));
  if (interval_class1_months != interval_class3_months) {
    size_t l = strlen(out->rationale);
    snprintf(out->rationale + l, sizeof out->rationale - l, "; class III interval %.1f months %s %.0f",
             interval_class3_months, short3 ? "<=" : ">", thr);
  }
  if (cls) {
    char src[CLIN_SRC];
    memcpy(src, out->source, sizeof src);
    double t2;
    rc = load_rpa_data(cls, &t2, out, err);
    memcpy(out->source, src, sizeof src);
  }
  return rc;
}

int rpa_assess_case(const rert_case *c, rpa_origin origin, rpa_result *out, rert_err *err) {
  const case_clinical *k = &c->clinical;
  const case_course *prior = casefile_last_prior(c);
  if (!prior)
    return rert_err_set(err, RERT_EINPUT, "%s: $.courses: MIRI RPA needs a prior course with end_date", c->path);
  double rt_months, dx_months = NAN;
  int rc = casefile_interval_months(c, prior, &rt_months, err);
  if (rc) return rc;
  if (origin != RPA_ORIGIN_RT_INTERVAL) {
    if (!k->has_diagnosis_date)
      return rert_err_set(err, RERT_EINPUT, "%s: $.clinical.diagnosis_date: missing; required by --rpa-origin %s",
                          c->path, rpa_origin_name(origin));
    /* same end point as the RT interval: start of reRT, else the recurrence date */
    const case_course *ref = casefile_reference(c);
    rert_date end = (ref && ref != prior && ref->has_start_date) ? ref->start_date : k->recurrence_date;
    if (!(ref && ref != prior && ref->has_start_date) && !k->has_recurrence_date)
      return rert_err_set(err, RERT_EINPUT, "%s: $.clinical.recurrence_date: missing", c->path);
    dx_months = date_interval_months(k->diagnosis_date, end);
  }
  double i1 = origin == RPA_ORIGIN_RT_INTERVAL ? rt_months : dx_months;
  double i3 = origin == RPA_ORIGIN_DIAGNOSIS ? dx_months : rt_months;
  case_tri resected = !k->has_salvage ? CASE_UNKNOWN : k->salvage == SALVAGE_NONE ? CASE_NO : CASE_YES;
  rc = rpa_classify(i1, i3, resected, clinical_organ_dysfunction(k), out, err);
  if (rc) return rc;
  if (k->histology_squamous == 0) {
    size_t l = strlen(out->rationale);
    snprintf(out->rationale + l, sizeof out->rationale - l,
             "; NOTE: MIRI was derived in squamous carcinoma only, histology here is %s", k->histology);
  }
  return RERT_OK;
}
