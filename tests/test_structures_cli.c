/* test_structures_cli.c — issue 13 through the `rert` binary on structure-set variants of the
 * phantom written by pydicom (tests/structures/make_variants.py, no rert code): local ROI
 * names, a cord that is a PRV, empty, degenerate or off the dose grid, 140/250 helper ROIs,
 * shuffled ROI order, duplicates, Pinnacle-style all-ORGAN sets (`rert evaluate`; solve and consult:
 * test_structures_consult; order independence through accumulate: test_structures_order).
 *
 * Independent expectations: care_s0 has 8 constraints, two of them on the paired optic nerves,
 * so 10 rows (S0 Table 2 as shipped in data/protocols/care_s0.json) — no variant may show fewer;
 * the clinical safety rule "PASS only when every mandatory row was evaluated" (brief; issue 13);
 * permutation invariance (results of the shuffled set equal the original's, bit for bit); the
 * conservative overlap rule (recovery 'none' on the cord kept against an s4_stepwise organ of the
 * same alpha/beta: the recovered prior EQD2 is not halved, domain-reference §3.1). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/run.h"

#include "support/variants.h"

static const char *variant(const char *v) { return structure_variant(RERT_SOURCE_DIR, RERT_BUILD_DIR, v); }

static cJSON *evaluate(const char *v, int *rc, const char *extra) {
  const char *d = variant(v);
  if (!d) cr_skip_test("python3-pydicom not installed");
  char args[2048];
  snprintf(args, sizeof args, "evaluate %s/case.json --protocol care_s0 %s", d, extra ? extra : "");
  cJSON *j = NULL;
  *rc = run_rert_json(args, &j);
  cr_assert_not_null(j, "rert %s: stdout is not one JSON document", args);
  return j;
}

static const cJSON *rows(const cJSON *j) {
  return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "evaluations"), 0), "constraints");
}

static const cJSON *row(const cJSON *j, const char *id, const char *structure) {
  const cJSON *r;
  cJSON_ArrayForEach(r, rows(j))
    if (!strcmp(cJSON_GetObjectItem(r, "id")->valuestring, id) &&
        !strcmp(cJSON_GetObjectItem(r, "structure")->valuestring, structure))
      return r;
  return NULL;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(x) ? x->valuestring : "";
}

static double num(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItem(o, k);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* the 10 care_s0 rows: 8 constraints, the optic-nerve pair per side */
static void expect_all_rows(const cJSON *j, const char *v) {
  static const char *const ids[] = {"brainstem_le24", "brainstem_gt24", "chiasm_le24", "chiasm_gt24",
                                    "cord_le24",      "cord_gt24"};
  static const char *const st[] = {"Brainstem", "Brainstem", "OpticChiasm", "OpticChiasm", "SpinalCord", "SpinalCord"};
  cr_expect_eq(cJSON_GetArraySize(rows(j)), 10, "%s: %d rows", v, cJSON_GetArraySize(rows(j)));
  for (int i = 0; i < 6; i++) cr_expect_not_null(row(j, ids[i], st[i]), "%s: %s %s", v, ids[i], st[i]);
  cr_expect_not_null(row(j, "opticnrv_gt24", "OpticNrv_L"), "%s", v);
  cr_expect_not_null(row(j, "opticnrv_gt24", "OpticNrv_R"), "%s", v);
}

/* Variants that are the same patient under other names or with extra helpers: every row, the
 * same verdict and the same numbers as the original structure set. */
Test(structures_cli, no_row_vanishes_and_values_do_not_move) {
  int rc;
  cJSON *clean = evaluate("clean", &rc, NULL);
  cr_assert_eq(rc, 0, "the clean phantom passes care_s0");
  expect_all_rows(clean, "clean");
  double cord = num(row(clean, "cord_gt24", "SpinalCord"), "value");
  cr_assert(cord > 20 && cord < 40, "cord %g", cord);
  static const char *const same[] = {"no_map", "renamed", "extra140", "extra250", "permuted", "pinnacle", "pinnacle_roles"};
  for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
    cJSON *j = evaluate(same[k], &rc, NULL);
    cr_expect_eq(rc, 0, "%s exit %d", same[k], rc);
    cr_expect_str_eq(str(j, "verdict"), "PASS", "%s", same[k]);
    expect_all_rows(j, same[k]);
    const cJSON *r, *c;
    cJSON_ArrayForEach(c, rows(clean)) {
      r = row(j, str(c, "id"), str(c, "structure"));
      if (!r) continue;
      cr_expect_str_eq(str(r, "status"), str(c, "status"), "%s %s", same[k], str(c, "id"));
      double a = num(r, "value"), b = num(c, "value");
      cr_expect(isnan(a) == isnan(b) && (isnan(a) || a == b), "%s %s %s: %g vs %g", same[k], str(c, "id"),
                str(c, "structure"), a, b);
    }
    cJSON_Delete(j);
  }
  cJSON_Delete(clean);
}

/* The renamed set resolves every local name by the synonym table and says how. */
Test(structures_cli, renamed_rois_resolve_and_say_how) {
  int rc;
  cJSON *j = evaluate("renamed", &rc, NULL);
  const cJSON *m = cJSON_GetObjectItem(j, "structure_mapping"), *e;
  int myelon = 0, body = 0;
  cJSON_ArrayForEach(e, m) {
    if (!strcmp(str(e, "roi_name"), "Myelon")) {
      myelon = 1;
      cr_expect_str_eq(str(e, "name"), "SpinalCord");
      cr_expect_str_eq(str(e, "how"), "synonym");
      cr_expect(strstr(str(e, "how_text"), "Myelon"), "%s", str(e, "how_text"));
    }
    if (!strcmp(str(e, "roi_name"), "BODY")) body = !strcmp(str(e, "role"), "external");
    if (!strcmp(str(e, "roi_name"), "Plexus brachialis li")) cr_expect_str_eq(str(e, "name"), "BrachialPlex_L");
    if (!strcmp(str(e, "roi_name"), "RT CAROTID")) cr_expect_str_eq(str(e, "name"), "A_Carotid_R");
  }
  cr_expect(myelon && body);
  cr_expect_str_eq(str(row(j, "cord_gt24", "SpinalCord"), "roi"), "Myelon");
  cJSON_Delete(j);
}

/* A cord that is only a PRV, empty, degenerate or off the dose grid: the cord row stays, NOT
 * EVALUATED with its reason; the verdict is INCOMPLETE (exit 4), never PASS, and names it. */
Test(structures_cli, unevaluable_cord_is_incomplete_never_pass) {
  static const char *const v[] = {"cord_prv_only", "empty_cord", "degenerate_cord", "cord_outside", "corrupt_cord"};
  static const char *const why[] = {"structure_missing", "structure_empty", "structure_degenerate", "outside_dose_grid",
                                    "structure_degenerate"};
  for (int k = 0; k < 5; k++) {
    int rc;
    cJSON *j = evaluate(v[k], &rc, NULL);
    cr_expect_eq(rc, 4, "%s exit %d", v[k], rc);
    cr_expect_str_eq(str(j, "verdict"), "INCOMPLETE", "%s", v[k]);
    expect_all_rows(j, v[k]);
    const cJSON *r = row(j, "cord_gt24", "SpinalCord");
    cr_assert_not_null(r, "%s", v[k]);
    cr_expect_str_eq(str(r, "status"), "not_evaluated", "%s", v[k]);
    cr_expect_str_eq(str(r, "reason"), why[k], "%s", v[k]);
    cr_expect(isnan(num(r, "value")), "%s: no value", v[k]);
    const cJSON *ne = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "not_evaluated_mandatory"), 0);
    cr_expect_str_eq(str(ne, "id"), "cord_gt24", "%s", v[k]);
    cJSON_Delete(j);
  }
  /* the text summary names the row too */
  char args[2048], *out = NULL;
  snprintf(args, sizeof args, "evaluate %s/case.json --protocol care_s0", variant("empty_cord"));
  cr_expect_eq(run_rert(args, &out, NULL), 4);
  cr_expect(strstr(out, "verdict: INCOMPLETE") && strstr(out, "care_s0/cord_gt24 SpinalCord Dmax: structure_empty"), "%s", out);
  free(out);
  /* the PRV is listed as unmapped, with why */
  int rc;
  cJSON *j = evaluate("cord_prv_only", &rc, NULL);
  const cJSON *e;
  int seen = 0;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "structure_mapping"))
    if (!strcmp(str(e, "roi_name"), "Cord_PRV5")) {
      seen = 1;
      cr_expect_str_eq(str(e, "role"), "unused");
      cr_expect(strstr(str(e, "how_text"), "prv") && strstr(str(e, "how_text"), "SpinalCord"), "%s", str(e, "how_text"));
    }
  cr_expect(seen);
  cJSON_Delete(j);
}

/* Two ROIs resolving to SpinalCord: refused naming both and the file; accepted when the case
 * file's structure_map chooses, and then that ROI is the one evaluated. */
Test(structures_cli, duplicate_refused_unless_mapped) {
  const char *d = variant("duplicate");
  if (!d) cr_skip_test("python3-pydicom not installed");
  char args[2048], *err = NULL;
  snprintf(args, sizeof args, "evaluate %s/case.json --protocol care_s0", d);
  cr_expect_eq(run_rert(args, NULL, &err), 2);
  cr_expect(strstr(err, "RS_course2.dcm") && strstr(err, "'SpinalCord'") && strstr(err, "'Spinal Cord'") &&
                strstr(err, "structure_map"),
            "%s", err);
  free(err);
  int rc;
  cJSON *j = evaluate("duplicate_mapped", &rc, NULL);
  cr_expect_eq(rc, 0);
  cr_expect_str_eq(str(row(j, "cord_gt24", "SpinalCord"), "roi"), "Spinal Cord");
  cJSON_Delete(j);
}

/* Pinnacle marks every ROI ORGAN: targets by TG-263 naming, or by the case file's role. */
Test(structures_cli, pinnacle_targets_and_roles) {
  static const char *const v[] = {"pinnacle", "pinnacle_roles"};
  static const char *const rule[] = {"TG-263 target naming", "structure_roles"};
  for (int k = 0; k < 2; k++) {
    int rc;
    cJSON *j = evaluate(v[k], &rc, NULL);
    const cJSON *e;
    int ptv = 0, ctv = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "structure_mapping")) {
      if (!strcmp(str(e, "roi_name"), "H&N PTV_60Gy")) {
        ptv = 1;
        cr_expect_str_eq(str(e, "role"), "target");
        cr_expect(strstr(str(e, "role_text"), rule[k]), "%s: %s", v[k], str(e, "role_text"));
      }
      if (!strcmp(str(e, "roi_name"), "H&N CTV_60")) ctv = !strcmp(str(e, "role"), "target");
      if (!strcmp(str(e, "roi_name"), "External")) cr_expect_str_eq(str(e, "role"), "external");
    }
    cr_expect(ptv && ctv, "%s", v[k]);
    cJSON_Delete(j);
  }
}

/* 250 helper ROIs: all listed, the needed few rasterised. */
Test(structures_cli, many_rois_only_needed_rasterised) {
  int rc;
  cJSON *j = evaluate("extra250", &rc, NULL);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "structure_mapping")), 269);
  /* 18 phantom organs and targets + the 25 helpers typed PTV (RTROIInterpretedType decides) */
  cr_expect_leq(num(j, "structures_used"), 43);
  cJSON_Delete(j);
}


/* `rert case check` shows the structure mapping of the reference structure set as gate findings
 * and refuses two ROIs resolving to one name, before any dose is read (issue 12 + 13). */
Test(structures_cli, case_check_reports_mapping_and_refuses_duplicates) {
  const char *d = variant("renamed");
  if (!d) cr_skip_test("python3-pydicom not installed");
  char args[2048], *out = NULL, *err = NULL;
  snprintf(args, sizeof args, "case check %s/case.json --json", d);
  cJSON *j = NULL;
  int rc = run_rert_json(args, &j);
  cr_assert(rc == 0, "renamed ROIs are not a refusal: exit %d", rc);
  cr_assert_not_null(j);
  char *txt = cJSON_PrintUnformatted(j);
  cr_expect(strstr(txt, "structure.mapped") && strstr(txt, "Myelon") && strstr(txt, "SpinalCord"),
            "the mapping is a finding: %.2000s", txt);
  free(txt);
  cJSON_Delete(j);
  const char *dup = variant("duplicate");
  snprintf(args, sizeof args, "case check %s/case.json", dup);
  cr_expect_eq(run_rert(args, &out, &err), 2);
  cr_expect(strstr(err, "RS_course2.dcm") && strstr(err, "'SpinalCord'"), "%s", err);
  free(out), free(err);
}
