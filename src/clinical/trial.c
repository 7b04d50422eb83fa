/* trial.c — eligibility for the SPHIC phase I/II carbon-ion RT + concurrent cisplatin protocol
 * for locally recurrent nasopharyngeal carcinoma (seed S3, Table 2).
 *
 * The criteria text and numeric parameters (12-month interval, ≥ 66 Gy prior IMXT, age 18–<70,
 * KPS ≥ 70) live in data/sphic_eligibility.json; each criterion names a check implemented here.
 * A criterion is met / not met / unknown; unknown facts never count as met. Verdict: ineligible
 * if any inclusion is not met or any exclusion is met, else undetermined if anything is
 * unknown, else eligible.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/compare.h"
#include "rert/data.h"

static double param(const cJSON *doc, const char *k, rert_err *err, int *rc) {
  double v = NAN;
  if (*rc) return v;
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "parameters"), k);
  char ctx[96];
  snprintf(ctx, sizeof ctx, "sphic_eligibility.json: parameters.%s", k);
  *rc = json_get_number(p, "value", &v, ctx, err);
  return v;
}

static crit_status from_tri(case_tri t, int yes_means_met) {
  if (t == CASE_UNKNOWN) return CRIT_UNKNOWN;
  return ((t == CASE_YES) == yes_means_met) ? CRIT_MET : CRIT_NOT_MET;
}

static int is_imxt(const case_course *k) {
  const char *t = k->technique;
  return k->modality == MOD_PHOTON &&
         (!strcmp(t, "IMRT") || !strcmp(t, "VMAT") || !strcmp(t, "IMXT") || !strcmp(t, "TOMO"));
}

int trial_sphic_check(const rert_case *c, trial_result *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  cJSON *doc;
  int rc = data_load_json("sphic_eligibility.json", &doc, err);
  if (rc) return rc;
  double min_int = param(doc, "min_interval_months", err, &rc);
  double min_dose = param(doc, "min_prior_dose_gy", err, &rc);
  double age_min = param(doc, "age_min_years", err, &rc);
  double age_max = param(doc, "age_max_lt_years", err, &rc);
  double kps_min = param(doc, "kps_min", err, &rc);
  const char *s;
  if (!rc && !json_get_string(doc, "trial", &s, "sphic_eligibility.json", err)) snprintf(out->trial, sizeof out->trial, "%s", s);
  if (!rc && !json_get_string(doc, "source", &s, "sphic_eligibility.json", err)) snprintf(out->source, sizeof out->source, "%s", s);
  if (rc) {
    cJSON_Delete(doc);
    return rc;
  }
  const case_clinical *k = &c->clinical;
  const case_course *prior = casefile_last_prior(c);
  double interval = NAN;
  if (prior && prior->has_end_date && k->has_recurrence_date)
    interval = date_interval_months(prior->end_date, k->recurrence_date);
  int nprior = 0, all_imxt = 1, technique_known = 1;
  double max_imxt_dose = NAN;
  for (int i = 0; i < c->ncourses; i++) {
    const case_course *p = &c->courses[i];
    if (p->role != COURSE_PRIOR) continue;
    nprior++;
    if (!p->technique[0]) technique_known = 0;
    else if (!is_imxt(p)) all_imxt = 0;
    if (is_imxt(p) && (isnan(max_imxt_dose) || p->prescription_gy > max_imxt_dose)) max_imxt_dose = p->prescription_gy;
  }
  const int male = !strcmp(c->sex, "M");
  const cJSON *cr;
  cJSON_ArrayForEach(cr, cJSON_GetObjectItemCaseSensitive(doc, "criteria")) {
    if (out->ncriteria >= TRIAL_MAX_CRITERIA) break;
    trial_criterion *t = &out->criteria[out->ncriteria++];
    const char *id = "", *kind = "", *text = "", *check = "";
    rc = json_get_string(cr, "id", &id, "sphic_eligibility.json: criteria", err);
    if (!rc) rc = json_get_string(cr, "kind", &kind, "sphic_eligibility.json: criteria", err);
    if (!rc) rc = json_get_string(cr, "text", &text, "sphic_eligibility.json: criteria", err);
    if (!rc) rc = json_get_string(cr, "check", &check, "sphic_eligibility.json: criteria", err);
    if (rc) break;
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->kind, sizeof t->kind, "%s", kind);
    snprintf(t->text, sizeof t->text, "%s", text);
    t->status = CRIT_UNKNOWN;
    if (!strcmp(check, "recurrent_npc_after_12m")) {
      if (k->subsite[0] && strcmp(k->subsite, "nasopharynx")) {
        t->status = CRIT_NOT_MET;
        snprintf(t->detail, sizeof t->detail, "subsite %s is not nasopharynx", k->subsite);
      } else if (!k->subsite[0] || isnan(interval)) {
        snprintf(t->detail, sizeof t->detail, "needs $.clinical.subsite, recurrence_date and the prior course end date");
      } else {
        t->status = rert_gt(interval, min_int) ? CRIT_MET : CRIT_NOT_MET;
        snprintf(t->detail, sizeof t->detail, "recurrence %.1f months after the end of prior RT (> %g required)", interval, min_int);
      }
    } else if (!strcmp(check, "recurrence_within_12m")) {
      if (!isnan(interval)) {
        t->status = rert_le(interval, min_int) ? CRIT_MET : CRIT_NOT_MET;
        snprintf(t->detail, sizeof t->detail, "interval %.1f months", interval);
      } else snprintf(t->detail, sizeof t->detail, "needs $.clinical.recurrence_date");
    } else if (!strcmp(check, "prior_imxt_ge_66")) {
      if (!isnan(max_imxt_dose) && rert_ge(max_imxt_dose, min_dose)) t->status = CRIT_MET;
      else if (technique_known && nprior) t->status = CRIT_NOT_MET;
      snprintf(t->detail, sizeof t->detail, isnan(max_imxt_dose) ? "no prior IMXT course with a stated technique"
               : "highest prior IMXT prescription %.1f Gy (>= %g required)", max_imxt_dose, min_dose);
    } else if (!strcmp(check, "non_imxt_initial")) {
      if (nprior && technique_known) t->status = all_imxt ? CRIT_NOT_MET : CRIT_MET;
      snprintf(t->detail, sizeof t->detail, "%s", !technique_known ? "prior technique not stated"
               : all_imxt ? "all prior courses IMXT" : "a prior course used another technique");
    } else if (!strcmp(check, "age")) {
      if (!isnan(k->age_years)) {
        t->status = (k->age_years >= age_min && k->age_years < age_max) ? CRIT_MET : CRIT_NOT_MET;
        snprintf(t->detail, sizeof t->detail, "age %.0f", k->age_years);
      } else snprintf(t->detail, sizeof t->detail, "needs $.clinical.age_years");
    } else if (!strcmp(check, "kps")) {
      if (!isnan(k->kps)) {
        t->status = k->kps >= kps_min ? CRIT_MET : CRIT_NOT_MET;
        snprintf(t->detail, sizeof t->detail, "KPS %.0f", k->kps);
      } else snprintf(t->detail, sizeof t->detail, "needs $.clinical.kps (ECOG is not converted)");
    } else if (!strcmp(check, "consent_capable")) {
      t->status = from_tri(k->consent_capable, 1);
    } else if (!strcmp(check, "accepts_cisplatin")) {
      t->status = from_tri(k->accepts_cisplatin, 1);
    } else if (!strcmp(check, "contraception")) {
      if (male) { t->status = CRIT_MET; snprintf(t->detail, sizeof t->detail, "not applicable (male)"); }
      else snprintf(t->detail, sizeof t->detail, "not recorded in the case file");
    } else if (!strcmp(check, "distant_metastases")) {
      t->status = from_tri(k->distant_metastases, 1);
    } else if (!strcmp(check, "pregnant")) {
      if (male) t->status = CRIT_NOT_MET;
      else t->status = from_tri(k->pregnant, 1);
    } else if (!strcmp(check, "unresolved_prior_toxicity")) {
      t->status = from_tri(k->unresolved_prior_toxicity, 1);
    } else if (!strcmp(check, "other_cancer_5y")) {
      t->status = from_tri(k->other_cancer_5y, 1);
    } else if (!strcmp(check, "other_trial")) {
      t->status = from_tri(k->other_trial, 1);
    } else {
      rc = rert_err_set(err, RERT_EINTERNAL, "sphic_eligibility.json: criterion %s: unknown check '%s'", id, check);
      break;
    }
  }
  cJSON_Delete(doc);
  if (rc) return rc;
  int excluded = 0, unknown = 0;
  for (int i = 0; i < out->ncriteria; i++) {
    const trial_criterion *t = &out->criteria[i];
    int incl = !strcmp(t->kind, "inclusion");
    if (t->status == CRIT_UNKNOWN) unknown = 1;
    else if (incl ? t->status == CRIT_NOT_MET : t->status == CRIT_MET) excluded = 1;
  }
  snprintf(out->verdict, sizeof out->verdict, "%s", excluded ? "ineligible" : unknown ? "undetermined" : "eligible");
  return RERT_OK;
}
