/* test_clinical.c — classification rules and risk-tier boundaries (domain-reference §10.7, §5,
 * §6, §7). Expected values: the §10.7 vectors, the cut-points as worded by the cited sources
 * (Chen 2017 interval 2 y / 95 Gy, Garg/S4 120–130–150 Gy, Bots 100 Gy, Ng 91/105 Gy, MIRI
 * 2 years, Dawson ≥ 95 % vs S4 > 95 %), each tested on both sides, and closed-form hand
 * calculations (LQ, normal CDF) noted beside each assertion.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/casefile.h"
#include "rert/clinical.h"

/* ---- MIRI RPA, §10.7 ---- */
static int rpa(double months, case_tri resected, case_tri dysf) {
  rpa_result r;
  rert_err err = {{0}};
  cr_assert_eq(rpa_classify(months, months, resected, dysf, &r, &err), RERT_OK, "%s", err.msg);
  return r.rpa_class;
}

Test(rpa, reference_vectors) {
  cr_assert_eq(rpa(30, CASE_YES, CASE_YES), 1, "(30 mo, resected, PEG) → I");
  cr_assert_eq(rpa(30, CASE_NO, CASE_YES), 2, "(30 mo, unresected) → II");
  cr_assert_eq(rpa(13, CASE_NO, CASE_YES), 3, "(13 mo, PEG) → III (S2 case 4)");
  cr_assert_eq(rpa(30, CASE_NO, CASE_NO), 2, "(30 mo, unresected, no dysfunction) → II (S2 case 3)");
  cr_assert_eq(rpa(7, CASE_NO, CASE_YES), 3, "(7 mo, trach + PEG) → III (S2 case 1)");
}

Test(rpa, boundary_two_years) {
  /* S2: class I "> 2 years", class III "≤ 2 years" */
  cr_assert_eq(rpa(24.0, CASE_YES, CASE_NO), 2, "exactly 24 months is not > 2 y");
  cr_assert_eq(rpa(24.01, CASE_YES, CASE_NO), 1);
  cr_assert_eq(rpa(24.0, CASE_NO, CASE_YES), 3, "exactly 24 months is ≤ 2 y");
  cr_assert_eq(rpa(24.01, CASE_NO, CASE_YES), 2);
  cr_assert_eq(rpa(12, CASE_YES, CASE_YES), 3, "resection does not rescue ≤ 2 y with dysfunction");
}

Test(rpa, unknown_facts_are_indeterminate) {
  rpa_result r;
  rert_err err;
  cr_assert_eq(rpa_classify(30, 30, CASE_UNKNOWN, CASE_NO, &r, &err), RERT_OK);
  cr_assert_eq(r.rpa_class, 0);
  cr_assert_str_eq(r.possible, "I/II");
  cr_assert_eq(rpa_classify(10, 10, CASE_NO, CASE_UNKNOWN, &r, &err), RERT_OK);
  cr_assert_str_eq(r.possible, "II/III");
  cr_assert_eq(rpa(10, CASE_UNKNOWN, CASE_NO), 2, "resection cannot matter at ≤ 2 y");
  cr_assert_eq(rpa_classify(-1, -1, CASE_NO, CASE_NO, &r, &err), RERT_EINPUT);
}

Test(rpa, s2_literal_origin_uses_two_intervals) {
  rpa_result r;
  rert_err err;
  /* diagnosis 30 months before, RT ended 20 months before: class I by the diagnosis wording */
  cr_assert_eq(rpa_classify(30, 20, CASE_YES, CASE_NO, &r, &err), RERT_OK);
  cr_assert_eq(r.rpa_class, 1);
  /* same with the RT interval only → II */
  cr_assert_eq(rpa(20, CASE_YES, CASE_NO), 2);
}

/* ---- recurrence pattern, §10.7 ---- */
static recurrence_class rec(double f, recurrence_boundary b) {
  recurrence_result r;
  rert_err err = {{0}};
  cr_assert_eq(recurrence_classify(f, b, &r, &err), RERT_OK, "%s", err.msg);
  return r.cls;
}

Test(recurrence, reference_vectors) {
  cr_assert_eq(rec(0.97, BOUNDARY_DAWSON), RECUR_IN_FIELD);
  cr_assert_eq(rec(0.95, BOUNDARY_DAWSON), RECUR_IN_FIELD, "Dawson: f ≥ 95 %");
  cr_assert_eq(rec(0.95, BOUNDARY_S4), RECUR_MARGINAL, "S4: f > 95 %");
  cr_assert_eq(rec(0.50, BOUNDARY_DAWSON), RECUR_MARGINAL);
  cr_assert_eq(rec(0.20, BOUNDARY_DAWSON), RECUR_MARGINAL);
  cr_assert_eq(rec(0.19, BOUNDARY_DAWSON), RECUR_OUT_OF_FIELD);
  recurrence_result r;
  rert_err err;
  cr_assert_eq(recurrence_classify(1.2, BOUNDARY_DAWSON, &r, &err), RERT_EINPUT);
}

Test(recurrence, overlap_fraction_from_mask) {
  /* 2×2×1 grid; mask weights 1,1,1,0.5; prior dose 66.5, 60, 70, 80 Gy; Rx 70 → level 66.5.
   * Inside: voxel 0 (66.5 ≥ 66.5), 2, 3 (w 0.5) → (1 + 1 + 0.5) / 3.5 = 0.714285714 */
  rert_volume m = {0}, d = {0};
  rert_err err;
  m.nx = d.nx = 2; m.ny = d.ny = 2; m.nz = d.nz = 1;
  for (int a = 0; a < 3; a++) m.spacing_mm[a] = d.spacing_mm[a] = 2.0;
  cr_assert_eq(volume_alloc(&m, &err), RERT_OK);
  cr_assert_eq(volume_alloc(&d, &err), RERT_OK);
  float mw[4] = {1, 1, 1, 0.5f}, dv[4] = {66.5f, 60, 70, 80};
  memcpy(m.data, mw, sizeof mw);
  memcpy(d.data, dv, sizeof dv);
  double f;
  cr_assert_eq(recurrence_overlap_fraction(&m, &d, 70.0, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(f, 2.5 / 3.5, 1e-9);
  /* the same through a geom.h box mask: box = voxels 2..3 (j = 1 row) with weights 1, 0.5 →
   * both inside (70, 80 ≥ 66.5) → f = 1 */
  rert_mask bm;
  memset(&bm, 0, sizeof bm);
  bm.grid = d;
  bm.grid.data = NULL;
  bm.lo[1] = 1;
  bm.n[0] = 2; bm.n[1] = 1; bm.n[2] = 1;
  float bw[2] = {1, 0.5f};
  bm.frac = bw;
  cr_assert_eq(recurrence_overlap_fraction_mask(&bm, &d, 70.0, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(f, 1.0, 1e-12);
  bm.lo[1] = 0; /* row j = 0: 66.5 in (w 1), 60 out (w 0.5) → 1/1.5 */
  cr_assert_eq(recurrence_overlap_fraction_mask(&bm, &d, 70.0, &f, &err), RERT_OK);
  cr_assert_float_eq(f, 1.0 / 1.5, 1e-9);
  d.nx = 1; /* geometry mismatch */
  cr_assert_eq(recurrence_overlap_fraction(&m, &d, 70.0, &f, &err), RERT_EINPUT);
  d.nx = 2;
  volume_free(&m);
  volume_free(&d);
}

/* ---- toxicity tiers, both sides of every cut-point ---- */
static risk_tier chen(double months, double gy) {
  risk_result r;
  rert_err err = {{0}};
  cr_assert_eq(risk_brachial_plexus(months, gy, &r, &err), RERT_OK, "%s", err.msg);
  return r.tier;
}

Test(toxicity, chen_brachial_plexus) {
  /* §10.7 */
  cr_assert_eq(chen(36, 90), TIER_LOW);
  cr_assert_eq(chen(18, 100), TIER_HIGH);
  cr_assert_eq(chen(18, 90), TIER_INTERMEDIATE);
  cr_assert_eq(chen(36, 100), TIER_INTERMEDIATE);
  /* Chen: low needs "> 2 y and < 95 Gy", high "< 2 y and > 95 Gy" */
  cr_assert_eq(chen(24, 90), TIER_INTERMEDIATE);
  cr_assert_eq(chen(24.01, 90), TIER_LOW);
  cr_assert_eq(chen(36, 95), TIER_INTERMEDIATE);
  cr_assert_eq(chen(36, 94.99), TIER_LOW);
  cr_assert_eq(chen(23.99, 95.01), TIER_HIGH);
  cr_assert_eq(chen(18, 95), TIER_INTERMEDIATE);
  cr_assert_eq(chen(NAN, 95), TIER_UNKNOWN);
}

static risk_tier carotid(double eqd2, double enc, int hypo, case_tri ulcer) {
  carotid_inputs in = {eqd2, enc, CASE_NO, ulcer, CASE_NO, CASE_NO, CASE_NO, CASE_NO, hypo};
  risk_result r;
  rert_err err = {{0}};
  cr_assert_eq(risk_carotid(&in, &r, &err), RERT_OK, "%s", err.msg);
  return r.tier;
}

Test(toxicity, carotid_blowout_tiers) {
  /* S4 / Garg 2016: risk rises above 120; high above 130; > 150 + hypofractionation + encasement exceptional */
  cr_assert_eq(carotid(120.0, 0, 0, CASE_NO), TIER_LOW);
  cr_assert_eq(carotid(120.01, 0, 0, CASE_NO), TIER_INTERMEDIATE);
  cr_assert_eq(carotid(130.0, 0, 0, CASE_NO), TIER_INTERMEDIATE);
  cr_assert_eq(carotid(130.01, 0, 0, CASE_NO), TIER_HIGH);
  /* Yamazaki 2015: encasement > 180° */
  cr_assert_eq(carotid(100, 180, 0, CASE_NO), TIER_LOW);
  cr_assert_eq(carotid(100, 181, 0, CASE_NO), TIER_HIGH);
  cr_assert_eq(carotid(100, 0, 0, CASE_YES), TIER_HIGH, "ulceration/fistula");
  cr_assert_eq(carotid(100, 0, 1, CASE_NO), TIER_INTERMEDIATE, "hypofractionation alone");
  cr_assert_eq(carotid(150.0, 200, 1, CASE_NO), TIER_HIGH);
  cr_assert_eq(carotid(150.01, 200, 1, CASE_NO), TIER_VERY_HIGH);
  cr_assert_eq(carotid(150.01, 200, 0, CASE_NO), TIER_HIGH, "very high needs hypofractionation");
  cr_assert_eq(carotid(150.01, 0, 1, CASE_NO), TIER_HIGH, "very high needs a non-dose factor");
  cr_assert_eq(carotid(NAN, NAN, 0, CASE_UNKNOWN), TIER_UNKNOWN);
}

Test(toxicity, orn_bots_bands) {
  risk_result r;
  rert_err err;
  /* Bots 2017: 0 % below 100 Gy, 27 % at 104–128 Gy */
  cr_assert_eq(risk_orn(99.99, "good", CASE_NO, &r, &err), RERT_OK);
  cr_assert_eq(r.tier, TIER_LOW);
  cr_assert_eq(risk_orn(100.0, "good", CASE_NO, &r, &err), RERT_OK);
  cr_assert_eq(r.tier, TIER_HIGH);
  cr_assert_eq(risk_orn(90, "poor", CASE_NO, &r, &err), RERT_OK);
  cr_assert_eq(r.tier, TIER_INTERMEDIATE, "S4: poor dentition");
  cr_assert_eq(risk_orn(90, "good", CASE_YES, &r, &err), RERT_OK);
  cr_assert_eq(r.tier, TIER_INTERMEDIATE);
  cr_assert(strstr(r.advice, "BEFORE reRT") != NULL, "extraction timing advice (S4)");
}

Test(toxicity, temporal_lobe_ng2021) {
  risk_result r;
  rert_err err;
  double v[] = {91.0, 91.01, 105.0, 105.01};
  risk_tier t[] = {TIER_LOW, TIER_INTERMEDIATE, TIER_INTERMEDIATE, TIER_HIGH};
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(risk_temporal_lobe(v[i], &r, &err), RERT_OK);
    cr_assert_eq(r.tier, t[i], "%g Gy", v[i]);
  }
}

Test(toxicity, myelopathy_nieder_verified_rule) {
  /* §10.6: 46 Gy/23 fx (BED2 92) + 20 Gy/10 fx (BED2 40) = 132 ≤ 135.5, interval ≥ 6 mo → small */
  risk_result r;
  rert_err err = {{0}};
  double b1[2] = {92, 40}, iv[1] = {12};
  cr_assert_eq(risk_myelopathy(b1, 2, iv, 1, 0, &r, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(r.tier, TIER_LOW);
  /* 30 Gy/10 fx at 3 Gy: BED2 75 → 167 Gy2 fails */
  double b2[2] = {92, 75};
  cr_assert_eq(risk_myelopathy(b2, 2, iv, 1, 0, &r, &err), RERT_OK);
  cr_assert_eq(r.tier, TIER_INTERMEDIATE);
  /* interval 5 months < 6 */
  double iv5[1] = {5};
  cr_assert_eq(risk_myelopathy(b1, 2, iv5, 1, 0, &r, &err), RERT_OK);
  cr_assert_eq(r.tier, TIER_INTERMEDIATE);
}

Test(ntcp, lkb_closed_form) {
  lkb_params p = {.td50_gy = 66.5, .m = 0.175, .n = 0.05};
  /* EUD = TD50 → Φ(0) = 0.5; EUD = TD50·(1 + m) → Φ(1) = 0.841344746 */
  cr_assert_float_eq(ntcp_lkb(66.5, &p), 0.5, 1e-12);
  cr_assert_float_eq(ntcp_lkb(66.5 * 1.175, &p), 0.8413447460685429, 1e-12);
  /* two-bin DVH, v = 0.5/0.5, D = 10/40: n = 1 → mean 25; n = 0.5 → (0.5·100 + 0.5·1600)^0.5 = 29.1547595 */
  double d[2] = {10, 40}, v[2] = {0.5, 0.5};
  cr_assert_float_eq(ntcp_lkb_eud_gy(d, v, 2, 1.0), 25.0, 1e-12);
  cr_assert_float_eq(ntcp_lkb_eud_gy(d, v, 2, 0.5), sqrt(850.0), 1e-12);
  lkb_params ps[8];
  int n;
  rert_err err;
  cr_assert_eq(ntcp_lkb_lookup("Parotid_L", ps, 8, &n, &err), RERT_OK);
  cr_assert_eq(n, 3, "Burman, Eisbruch and Dijkema parotid entries (§6.7)");
  for (int i = 0; i < n; i++) cr_assert(!ps[i].verified, "all LKB entries are unverified (§6.7)");
}

/* ---- intent and trial eligibility on small case documents ---- */
static void load(const char *json, rert_case *c) {
  rert_err err = {{0}};
  cJSON *root = cJSON_Parse(json);
  cr_assert_not_null(root);
  cr_assert_eq(casefile_parse(root, "t.json", c, &err), RERT_OK, "%s", err.msg);
}

#define NPC_CASE(REC_DATE, AGE, TECH)                                                              \
  "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"N1\",\"sex\":\"M\"},"                          \
  "\"clinical\":{\"age_years\":" AGE ",\"kps\":80,\"histology\":\"undifferentiated_nasopharyngeal\","\
  "\"subsite\":\"nasopharynx\",\"recurrence_date\":\"" REC_DATE "\",\"distant_metastases\":false,"   \
  "\"trial\":{\"pregnant\":false,\"unresolved_prior_toxicity\":false,\"other_cancer_5y\":false,"    \
  "\"other_trial\":false,\"consent_capable\":true,\"accepts_cisplatin\":true}},"                     \
  "\"courses\":[{\"id\":\"c1\",\"role\":\"prior\",\"start_date\":\"2018-11-19\",\"end_date\":\"2019-01-01\"," \
  "\"modality\":\"photon\",\"technique\":\"" TECH "\",\"fractions\":33,\"prescription_gy\":70}," \
  "{\"id\":\"c2\",\"role\":\"planned\",\"modality\":\"carbon\",\"rbe_model\":\"LEM_I\",\"technique\":\"CIRT\"," \
  "\"fractions\":10,\"prescription_gy\":25}]}"

Test(trial, sphic_eligibility) {
  rert_case c;
  trial_result t;
  rert_err err = {{0}};
  /* S3 Table 2: > 12 months after IMXT ≥ 66 Gy, 18 ≤ age < 70, KPS ≥ 70 → eligible */
  load(NPC_CASE("2020-06-01", "50", "IMRT"), &c);
  cr_assert_eq(trial_sphic_check(&c, &t, &err), RERT_OK, "%s", err.msg);
  cr_assert_str_eq(t.verdict, "eligible");
  casefile_free(&c);
  /* 2019-01-01 → 2020-01-01 = 365 d = 11.99 months: within 12 months → ineligible */
  load(NPC_CASE("2020-01-01", "50", "IMRT"), &c);
  cr_assert_eq(trial_sphic_check(&c, &t, &err), RERT_OK);
  cr_assert_str_eq(t.verdict, "ineligible");
  casefile_free(&c);
  load(NPC_CASE("2020-06-01", "70", "IMRT"), &c); /* age < 70 required */
  cr_assert_eq(trial_sphic_check(&c, &t, &err), RERT_OK);
  cr_assert_str_eq(t.verdict, "ineligible");
  casefile_free(&c);
  load(NPC_CASE("2020-06-01", "69.9", "3DCRT"), &c); /* initial technique other than IMXT */
  cr_assert_eq(trial_sphic_check(&c, &t, &err), RERT_OK);
  cr_assert_str_eq(t.verdict, "ineligible");
  casefile_free(&c);
}

Test(intent, bed10_ranges_and_ars_definition) {
  rert_case c;
  intent_result r;
  rert_err err = {{0}};
  /* prior 70/35 (EQD2 10 = 70); planned 30 Gy/10 fx: BED10 = 30·1.3 = 39 → palliative range;
   * EQD2 = 39/1.2 = 32.5 < 45 → not a reRT by the ARS definition */
  load("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"I1\"},\"clinical\":{},\"courses\":["
       "{\"id\":\"c1\",\"role\":\"prior\",\"start_date\":\"2019-01-07\",\"end_date\":\"2019-02-22\","
       "\"modality\":\"photon\",\"fractions\":35,\"prescription_gy\":70},"
       "{\"id\":\"c2\",\"role\":\"planned\",\"start_date\":\"2021-01-04\",\"modality\":\"photon\","
       "\"fractions\":10,\"prescription_gy\":30}]}", &c);
  cr_assert_eq(intent_assess_case(&c, &r, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(r.planned_bed10_gy, 39.0, 1e-9);
  cr_assert_float_eq(r.planned_eqd2_gy, 32.5, 1e-9);
  cr_assert_str_eq(r.intent, "palliative");
  cr_assert_eq(r.ars_reirradiation, 0);
  casefile_free(&c);
  /* planned 50 Gy/25 fx: BED10 = 60 (curative lower bound, inclusive); EQD2 = 50 ≥ 45 → reRT */
  load("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"I1\"},\"clinical\":{},\"courses\":["
       "{\"id\":\"c1\",\"role\":\"prior\",\"start_date\":\"2019-01-07\",\"end_date\":\"2019-02-22\","
       "\"modality\":\"photon\",\"fractions\":35,\"prescription_gy\":70},"
       "{\"id\":\"c2\",\"role\":\"planned\",\"start_date\":\"2021-01-04\",\"modality\":\"photon\","
       "\"fractions\":25,\"prescription_gy\":50}]}", &c);
  cr_assert_eq(intent_assess_case(&c, &r, &err), RERT_OK);
  cr_assert_float_eq(r.planned_bed10_gy, 60.0, 1e-9);
  cr_assert_str_eq(r.intent, "curative");
  cr_assert_eq(r.ars_reirradiation, 1);
  casefile_free(&c);
}

Test(assess_hook, organ_doses_and_overlap_from_dicom_replace_point_doses) {
  /* examples/ars_case4.json (SBRT planned, encasement 120°). Organ EQD2 from "DICOM":
   * carotid 70 + 50 = 120 Gy → not > 120; hypofractionation → intermediate (S4 factor list).
   * Overlap f = 0.5 from the mask → marginal. */
  rert_case c;
  rert_err err = {{0}};
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/ars_case4.json", RERT_SOURCE_DIR);
  cr_assert_eq(casefile_load(path, &c, &err), RERT_OK, "%s", err.msg);
  clinical_organ_dose od[2] = {{"course1", "A_Carotid_L", "Dmax", 70.0, 3.0},
                               {"course2", "A_Carotid_L", "Dmax", 50.0, 3.0}};
  clinical_options o = clinical_options_default();
  o.organ_doses = od;
  o.norgan_doses = 2;
  o.overlap_fraction = 0.5;
  cJSON *rep;
  cr_assert_eq(clinical_assess(&c, &o, &rep, &err), RERT_OK, "%s", err.msg);
  const cJSON *cb = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "toxicity"), "carotid_blowout");
  cr_assert_str_eq(cJSON_GetObjectItem(cb, "tier")->valuestring, "intermediate");
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "recurrence_pattern"), "class")->valuestring,
                   "marginal");
  cJSON_Delete(rep);
  od[1].alpha_beta_gy = 10.0; /* wrong α/β for the carotid → refused, not silently mixed: that
                                 risk is not assessable and says why; the others are still made */
  cr_assert_eq(clinical_assess(&c, &o, &rep, &err), RERT_OK, "%s", err.msg);
  cb = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "toxicity"), "carotid_blowout");
  cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cb, "assessable")));
  cr_assert(strstr(cJSON_GetObjectItem(cb, "not_assessable")->valuestring, "alpha/beta 10"), "%s",
            cJSON_GetObjectItem(cb, "not_assessable")->valuestring);
  cr_assert_str_eq(cJSON_GetObjectItem(cb, "tier")->valuestring, "unknown");
  cr_assert_not_null(cJSON_GetObjectItem(rep, "rpa"));
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "rpa"), "assessable")));
  cJSON_Delete(rep);
  casefile_free(&c);
}

/* ---- data files: every clinical number carries a source and a verified flag (project rule) ---- */
#include "rert/data.h"

static int walk_missing(const cJSON *o, char *where, size_t n) {
  if (cJSON_IsObject(o)) {
    int numeric_entry = cJSON_GetObjectItem(o, "value") || cJSON_GetObjectItem(o, "td50_gy") ||
                        cJSON_GetObjectItem(o, "counts") || cJSON_GetObjectItem(o, "gtv_to_ctv");
    if (numeric_entry && !(cJSON_IsString(cJSON_GetObjectItem(o, "source")) &&
                           cJSON_IsBool(cJSON_GetObjectItem(o, "verified")))) {
      char *s = cJSON_PrintUnformatted(o);
      snprintf(where, n, "%.200s", s);
      free(s);
      return 1;
    }
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, o) if (walk_missing(c, where, n)) return 1;
  return 0;
}

Test(data, clinical_numbers_have_source_and_verified) {
  const char *files[] = {"ars_2022.json", "miri_rpa.json", "intent_targets.json", "recurrence_pattern.json",
                         "target_margins.json", "toxicity_risk.json", "ntcp_lkb.json", "sphic_eligibility.json"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    cJSON *d;
    rert_err err;
    cr_assert_eq(data_load_json(files[i], &d, &err), RERT_OK, "%s", err.msg);
    char where[256] = "";
    cr_assert(!walk_missing(d, where, sizeof where), "%s: entry without source/verified: %s", files[i], where);
    cJSON_Delete(d);
  }
}

Test(ars_match, decision_rules) {
  /* §8.3 decision rules on small cases; expected panel case from the rule text */
  const char *base =
      "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"M\"},\"clinical\":{\"histology\":\"%s\",%s"
      "\"organ_dysfunction\":{\"feeding_tube\":%s,\"tracheostomy\":false,\"soft_tissue_defect\":false}},"
      "\"courses\":[{\"id\":\"c1\",\"role\":\"prior\",\"start_date\":\"2019-01-07\",\"end_date\":\"%s\","
      "\"modality\":\"photon\",\"fractions\":35,\"prescription_gy\":70},"
      "{\"id\":\"c2\",\"role\":\"planned\",\"start_date\":\"2021-01-04\",\"modality\":\"photon\","
      "\"fractions\":5,\"prescription_gy\":40}]}";
  struct { const char *hist, *extra, *peg, *end, *expect; } v[] = {
      /* 2019-02-22 → 2021-01-04 = 682 d = 22.4 mo; PEG → RPA III; unresectable → KQ4 */
      {"squamous", "\"resectable\":false,\"salvage_surgery\":{\"status\":\"none\"},", "true", "2019-02-22", "4"},
      /* no dysfunction → RPA II → KQ3 */
      {"squamous", "\"resectable\":false,\"salvage_surgery\":{\"status\":\"none\"},", "false", "2019-02-22", "3"},
      /* 2020-08-04 → 2021-01-04 = 153 d = 5.0 mo < 6 (RTOG, S2), rapid not stated → KQ1 */
      {"squamous", "\"resectable\":false,\"salvage_surgery\":{\"status\":\"none\"},", "true", "2020-08-04", "1"},
      /* same but rapid_progression explicitly false → KQ4 */
      {"squamous", "\"rapid_progression\":false,\"resectable\":false,\"salvage_surgery\":{\"status\":\"none\"},", "true", "2020-08-04", "4"},
      {"squamous", "\"resectable\":true,\"accepts_surgery\":true,\"salvage_surgery\":{\"status\":\"planned\"},", "false", "2019-02-22", "2a"},
      {"squamous", "\"salvage_surgery\":{\"status\":\"done\",\"margins\":\"negative\",\"ene\":true},", "false", "2019-02-22", "2b"},
      {"mucoepidermoid", "\"resectable\":false,", "false", "2019-02-22", "5"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char json[2048];
    snprintf(json, sizeof json, base, v[i].hist, v[i].extra, v[i].peg, v[i].end);
    rert_case c;
    load(json, &c);
    rpa_result r;
    ars_match m;
    rert_err err = {{0}};
    cr_assert_eq(rpa_assess_case(&c, RPA_ORIGIN_RT_INTERVAL, &r, &err), RERT_OK, "%s", err.msg);
    cr_assert_eq(ars_match_case(&c, &r, ARS_RULE_OUTSIDE_TIER, &m, &err), RERT_OK, "%s", err.msg);
    cr_assert_str_eq(m.case_id, v[i].expect, "vector %zu: %s", i, m.match_reason);
    casefile_free(&c);
  }
}

Test(rpa, case_level_time_origin) {
  /* diagnosis 2018-07-02, prior RT ended 2019-05-03, reRT starts 2021-01-04:
   * diagnosis interval 917 d = 30.1 mo (> 24), RT interval 612 d = 20.1 mo (≤ 24). */
  const char *fmt =
      "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"O\"},\"clinical\":{\"histology\":\"squamous\","
      "\"diagnosis_date\":\"2018-07-02\",\"salvage_surgery\":{\"status\":\"%s\"},"
      "\"organ_dysfunction\":{\"feeding_tube\":%s,\"tracheostomy\":false,\"soft_tissue_defect\":false}},"
      "\"courses\":[{\"id\":\"c1\",\"role\":\"prior\",\"start_date\":\"2019-03-20\",\"end_date\":\"2019-05-03\","
      "\"modality\":\"photon\",\"fractions\":35,\"prescription_gy\":70},"
      "{\"id\":\"c2\",\"role\":\"planned\",\"start_date\":\"2021-01-04\",\"modality\":\"photon\","
      "\"fractions\":30,\"prescription_gy\":60}]}";
  struct { const char *salv, *peg; rpa_origin o; int cls; } v[] = {
      {"done", "false", RPA_ORIGIN_RT_INTERVAL, 2}, {"done", "false", RPA_ORIGIN_DIAGNOSIS, 1},
      {"done", "false", RPA_ORIGIN_S2_LITERAL, 1},  {"none", "true", RPA_ORIGIN_RT_INTERVAL, 3},
      {"none", "true", RPA_ORIGIN_DIAGNOSIS, 2},    {"none", "true", RPA_ORIGIN_S2_LITERAL, 3},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char json[2048];
    snprintf(json, sizeof json, fmt, v[i].salv, v[i].peg);
    rert_case c;
    load(json, &c);
    rpa_result r;
    rert_err err = {{0}};
    cr_assert_eq(rpa_assess_case(&c, v[i].o, &r, &err), RERT_OK, "%s", err.msg);
    cr_assert_eq(r.rpa_class, v[i].cls, "vector %zu (%s)", i, r.rationale);
    casefile_free(&c);
  }
}

Test(assess_hook, organ_doses_from_accumulation) {
  /* 2×1×1 grid; A_Carotid_L mask (1, 0.2) with threshold 0.5 → only voxel 0 belongs.
   * course EQD2 maps: course1 (70, 90), course2 (50, 100) → rows Dmax 70 and 50 at α/β 3;
   * the 90/100 Gy voxel outside the organ must not count. */
  static accum_input in;
  static accum_result res;
  memset(&in, 0, sizeof in);
  memset(&res, 0, sizeof res);
  rert_volume mask = {0};
  rert_err err = {{0}};
  mask.nx = 2; mask.ny = 1; mask.nz = 1;
  for (int a = 0; a < 3; a++) mask.spacing_mm[a] = 1.0;
  cr_assert_eq(volume_alloc(&mask, &err), RERT_OK);
  mask.data[0] = 1.0f;
  mask.data[1] = 0.2f;
  accum_structure *st0;
  cr_assert_eq(accum_input_add_structure(&in, &st0, &err), RERT_OK);
  snprintf(in.structs[0].name, sizeof in.structs[0].name, "A_Carotid_L");
  in.structs[0].mask = &mask;
  in.mask_threshold = 0.5;
  in.ncourses = 2;
  snprintf(in.courses[0].id, sizeof in.courses[0].id, "course1");
  snprintf(in.courses[1].id, sizeof in.courses[1].id, "course2");
  res.ncourses = 2;
  double ab3[1] = {3.0};
  res.nstructs = 1;
  res.struct_alpha_beta_gy = ab3;
  float v[2][2] = {{70, 90}, {50, 100}};
  for (int c = 0; c < 2; c++) {
    cr_assert_eq(volume_alloc_like(&res.course_eqd2[c], &mask, &err), RERT_OK);
    memcpy(res.course_eqd2[c].data, v[c], sizeof v[c]);
  }
  clinical_organ_dose od[8];
  int n;
  cr_assert_eq(clinical_organ_doses_from_accum(&in, &res, od, 8, &n, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(od[0].course_id, "course1");
  cr_assert_float_eq(od[0].eqd2_gy, 70.0, 1e-6);
  cr_assert_float_eq(od[1].eqd2_gy, 50.0, 1e-6);
  cr_assert_float_eq(od[1].alpha_beta_gy, 3.0, 1e-12);
  /* fed to the assessment: 70 + 50 = 120 Gy, not > 120 → no dose factor */
  rert_case c;
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/ars_case2a.json", RERT_SOURCE_DIR);
  cr_assert_eq(casefile_load(path, &c, &err), RERT_OK, "%s", err.msg);
  clinical_options o = clinical_options_default();
  o.organ_doses = od;
  o.norgan_doses = n;
  double cum;
  int found;
  cr_assert_eq(clinical_cumulative_eqd2(&c, &o, "A_Carotid", NULL, 3.0, &cum, &found, &err), RERT_OK);
  cr_assert_float_eq(cum, 120.0, 1e-6);
  cr_assert_eq(found, 2);
  casefile_free(&c);
  for (int k = 0; k < 2; k++) volume_free(&res.course_eqd2[k]);
  volume_free(&mask);
  accum_input_free(&in);
}
