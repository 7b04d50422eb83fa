/* cohort_clinical.c — the case file's clinical facts as a flat JSON object for the registry's
 * clinical table (one row per known fact; unknown facts are absent, never defaulted). Names are
 * the case-file field names (docs/case-file.md). */
#include <math.h>

#include "cohort_internal.h"
#include "rert/data.h"

static void tri(cJSON *o, const char *k, case_tri t) {
  if (t != CASE_UNKNOWN) cJSON_AddStringToObject(o, k, casefile_tri_name(t));
}
static void num(cJSON *o, const char *k, double v) {
  if (!isnan(v)) json_add_num(o, k, v);
}
static void integer(cJSON *o, const char *k, int v) {
  if (v >= 0) cJSON_AddNumberToObject(o, k, v);
}
static void str(cJSON *o, const char *k, const char *v) {
  if (v && *v) cJSON_AddStringToObject(o, k, v);
}

cJSON *cohort_clinical_json(const rert_case *cf) {
  cJSON *o = cJSON_CreateObject();
  if (!cf->has_clinical) return o;
  const case_clinical *c = &cf->clinical;
  num(o, "age_years", c->age_years);
  integer(o, "ecog", c->ecog);
  num(o, "kps", c->kps);
  str(o, "histology", c->histology);
  tri(o, "p16", c->p16);
  tri(o, "ebv", c->ebv);
  str(o, "subsite", c->subsite);
  str(o, "rT", c->rT);
  str(o, "rN", c->rN);
  num(o, "recurrence_size_cm", c->recurrence_size_cm);
  num(o, "recurrence_volume_cc", c->recurrence_volume_cc);
  tri(o, "second_primary", c->second_primary);
  str(o, "recurrence_extent", c->recurrence_extent);
  tri(o, "prior_surgery", c->prior_surgery);
  tri(o, "neck_dissection", c->neck_dissection);
  tri(o, "flap_reconstruction", c->flap_reconstruction);
  tri(o, "resectable", c->resectable);
  if (c->has_salvage)
    cJSON_AddStringToObject(o, "salvage_surgery", c->salvage == SALVAGE_DONE ? "done" : c->salvage == SALVAGE_PLANNED ? "planned" : "none");
  str(o, "salvage_margins", c->salvage_margins);
  tri(o, "feeding_tube", c->feeding_tube);
  tri(o, "tracheostomy", c->tracheostomy);
  tri(o, "soft_tissue_defect", c->soft_tissue_defect);
  integer(o, "charlson", c->charlson);
  integer(o, "ace27", c->ace27);
  tri(o, "distant_metastases", c->distant_metastases);
  num(o, "carotid_encasement_deg", c->carotid_encasement_deg);
  tri(o, "carotid_invasion", c->carotid_invasion);
  tri(o, "mucosal_ulceration", c->mucosal_ulceration);
  tri(o, "fistula", c->fistula);
  tri(o, "skin_invasion", c->skin_invasion);
  str(o, "dental_status", c->dental_status);
  str(o, "goals_of_care", c->goals_of_care);
  return o;
}
