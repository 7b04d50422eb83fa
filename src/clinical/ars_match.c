/* ars_match.c — the ARS key questions as decision rules (domain-reference §8.2, §8.3): match a
 * case to the panel scenario it resembles and list that scenario's rated options, each rated
 * from its histogram with ars_rate() and compared with the category printed in S2.
 *
 * Rules, in order (first match wins):
 *   distant metastases            → no panel scenario (all S2 cases are locoregional-only)
 *   non-squamous histology        → KQ5, case 5
 *   salvage resection done        → KQ2, case 2b (adjuvant question)
 *   rapid progression (or, when not stated, an interval below the 6 months RTOG trials
 *   required, S2)                 → KQ1, case 1 (rapid, large, incurable recurrence)
 *   resectable, accepts surgery, acceptable function → KQ2, case 2a
 *   otherwise (unresectable or declines surgery):
 *       MIRI RPA class III        → KQ4, case 4 (SBRT role, unfavourable prognosis)
 *       MIRI RPA class I/II       → KQ3, case 3 (non-operative, favourable prognosis)
 * The panel rated specific vignettes; the match says which vignette is closest, not that the
 * ratings transfer unchanged — the output says so.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/compare.h"
#include "rert/data.h"

static const char *str_or(const cJSON *o, const char *k, const char *dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : dflt;
}

int ars_case_options(const char *case_id, ars_rule rule, ars_match *out, rert_err *err) {
  cJSON *doc;
  int rc = data_load_json("ars_2022.json", &doc, err);
  if (rc) return rc;
  const cJSON *cs, *found = NULL;
  cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(doc, "cases")) {
    if (!strcmp(str_or(cs, "id", ""), case_id)) found = cs;
  }
  if (!found) {
    cJSON_Delete(doc);
    return rert_err_set(err, RERT_EINPUT, "ars_2022.json: no panel case '%s' (1, 2a, 2b, 3, 4, 5)", case_id);
  }
  snprintf(out->case_id, sizeof out->case_id, "%s", case_id);
  snprintf(out->key_question, sizeof out->key_question, "%s", str_or(found, "key_question", ""));
  snprintf(out->scenario, sizeof out->scenario, "%s", str_or(found, "scenario", ""));
  snprintf(out->recommendation, sizeof out->recommendation, "%s", str_or(found, "recommendation", ""));
  out->noptions = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(found, "rows")) {
    if (out->noptions >= ARS_MAX_OPTIONS) break;
    ars_option *o = &out->options[out->noptions];
    memset(o, 0, sizeof *o);
    snprintf(o->treatment, sizeof o->treatment, "%s", str_or(r, "treatment", ""));
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(r, "counts");
    if (!cJSON_IsArray(cnt) || cJSON_GetArraySize(cnt) != 9) {
      rc = rert_err_set(err, RERT_EINTERNAL, "ars_2022.json: case %s: '%s': counts must have 9 cells", case_id, o->treatment);
      break;
    }
    for (int i = 0; i < 9; i++) o->counts[i] = (int)cJSON_GetArrayItem(cnt, i)->valuedouble;
    if ((rc = ars_rate(o->counts, rule, &o->rating, err))) break;
    snprintf(o->printed_category, sizeof o->printed_category, "%s", str_or(r, "printed_category", ""));
    rc = json_get_number(r, "printed_median", &o->printed_median, "ars_2022.json: rows", err);
    if (rc) break;
    o->printed_disagreement = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "printed_disagreement"));
    snprintf(o->sq, sizeof o->sq, "%s", str_or(r, "sq", ""));
    snprintf(o->soe, sizeof o->soe, "%s", str_or(r, "soe", ""));
    snprintf(o->sor, sizeof o->sor, "%s", str_or(r, "sor", ""));
    snprintf(o->artefact, sizeof o->artefact, "%s", str_or(r, "artefact", ""));
    const char *lab = ars_category_label(&o->rating);
    o->agrees_with_print = lab[0] == o->printed_category[0] &&
                           o->rating.disagreement == o->printed_disagreement &&
                           fabs(o->rating.reported_median - o->printed_median) < 1e-9;
    out->noptions++;
  }
  const char *src = NULL;
  if (!rc) rc = json_get_string(cJSON_GetObjectItemCaseSensitive(doc, "rating_method"), "source", &src, "ars_2022.json", err);
  if (!rc)
    snprintf(out->source, sizeof out->source,
             "Ward MC et al. ARS appropriate use criteria, IJROBP 2022;113:759-786 (S2), case %s; %s", case_id, src);
  cJSON_Delete(doc);
  return rc;
}

int ars_match_case(const rert_case *c, const rpa_result *rpa, ars_rule rule, ars_match *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  const case_clinical *k = &c->clinical;
  const char *id = NULL;
  char why[CLIN_TEXT] = "";
  if (k->distant_metastases == CASE_YES) {
    snprintf(out->match_reason, sizeof out->match_reason,
             "distant metastases: the ARS panel scenarios are locoregional-only; R1 (systemic therapy +/- palliative RT) applies");
    return RERT_OK;
  }
  /* S2: RTOG reRT trials required >= 6 months since the prior course (data/intent_targets.json) */
  double min_months = 0;
  {
    cJSON *doc;
    int rc0 = data_load_json("intent_targets.json", &doc, err);
    if (rc0) return rc0;
    rc0 = json_get_number(cJSON_GetObjectItemCaseSensitive(doc, "minimum_interval_months"), "value", &min_months,
                          "intent_targets.json: minimum_interval_months", err);
    cJSON_Delete(doc);
    if (rc0) return rc0;
  }
  if (k->histology_squamous < 0)
    return rert_err_set(err, RERT_EINPUT, "%s: $.clinical.histology: missing; needed to match an ARS key question", c->path);
  if (k->histology_squamous == 0) {
    id = "5";
    snprintf(why, sizeof why, "non-squamous histology (%s) -> KQ5", k->histology);
  } else if (k->salvage == SALVAGE_DONE) {
    id = "2b";
    snprintf(why, sizeof why, "salvage resection done (margins %s, ENE %s) -> KQ2 adjuvant scenario",
             k->salvage_margins[0] ? k->salvage_margins : "unknown", casefile_tri_name(k->salvage_ene));
  } else if (k->rapid_progression == CASE_YES ||
             (k->rapid_progression == CASE_UNKNOWN && rpa && min_months > 0 && rert_lt(rpa->interval_months, min_months))) {
    id = "1";
    if (k->rapid_progression == CASE_YES)
      snprintf(why, sizeof why, "rapid locoregional recurrence -> KQ1 (incurable, RPA class %d)", rpa ? rpa->rpa_class : 0);
    else
      snprintf(why, sizeof why,
               "recurrence %.1f months after prior RT, below the %g months RTOG reRT trials required (S2) -> KQ1",
               rpa->interval_months, min_months);
  } else if (k->resectable == CASE_YES && k->accepts_surgery != CASE_NO && k->acceptable_function != CASE_NO) {
    id = "2a";
    snprintf(why, sizeof why, "resectable with acceptable function, patient %s surgery -> KQ2",
             k->accepts_surgery == CASE_YES ? "accepts" : "not asked about");
  } else if (k->resectable == CASE_UNKNOWN && k->accepts_surgery != CASE_NO) {
    return rert_err_set(err, RERT_EINPUT, "%s: $.clinical.resectable: missing; needed to choose between ARS KQ2 and KQ3/KQ4", c->path);
  } else {
    const char *how = k->resectable == CASE_NO ? "unresectable" : k->accepts_surgery == CASE_NO ? "patient declines surgery"
                    : "resection would not leave acceptable function";
    if (!rpa || rpa->rpa_class == 0) {
      snprintf(out->match_reason, sizeof out->match_reason,
               "%s but MIRI RPA class indeterminate (%s): cannot choose KQ3 (favourable) vs KQ4 (unfavourable)",
               how, rpa ? rpa->missing : "no RPA");
      return RERT_OK;
    }
    if (rpa->rpa_class == 3) {
      id = "4";
      snprintf(why, sizeof why, "%s, MIRI RPA class III (unfavourable) -> KQ4 (role of SBRT)", how);
    } else {
      id = "3";
      snprintf(why, sizeof why, "%s, MIRI RPA class %s (favourable) -> KQ3 (non-operative)", how,
               rpa->rpa_class == 1 ? "I" : "II");
    }
  }
  int rc = ars_case_options(id, rule, out, err);
  if (rc) return rc;
  size_t l = strlen(why);
  snprintf(why + l, sizeof why - l, "; the panel rated case %s's vignette, apply by similarity", id);
  memcpy(out->match_reason, why, sizeof why);
  return RERT_OK;
}
