/* test_case_init.c — `rert case init` through the rert binary, on exports the project did not
 * draft the case for:
 *  - the untidy phantom export (rert phantom --untidy: one flat folder named by UID, per-beam
 *    doses, treatment records, an unapproved alternative plan): the drafted case has the
 *    hand-written case's courses, objects, dates, fractions, registrations and mapping
 *    (tests/case_init/case_tools.py compare, plain JSON), passes `rert case check`, and the
 *    consult from it — clinical facts added as a human would — equals the consult from the
 *    hand-written case apart from provenance (tests/case_init/compare_consults.py, pydicom);
 *  - variants written by pydicom (tests/case_init/make_variants.py, from what PS3.3 says the
 *    objects mean): ambiguities are blocking TODOs at the field left empty, never guesses;
 *  - a real Eclipse/ARIA export named by UID (tests/data/real/eclipse_aptg, CC BY 4.0);
 *  - refusals: exit 2, one line naming the path, nothing written, the export unchanged.
 * Independent sources: the phantom's hand-written case.json (docs/phantom.md), pydicom, the DICOM
 * attributes each variant changes. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/run.h"

static char root[512], phantom[600], variants[600];

static void set_paths(void) {
  snprintf(root, sizeof root, "%s/case_init_test", RERT_BUILD_DIR);
  snprintf(phantom, sizeof phantom, "%s/p", root);
  snprintf(variants, sizeof variants, "%s/var", root);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *const VARIANTS =
    "two_plan_doses two_cts_one_for two_cts_referenced approved_twice no_records partial_delivery "
    "bid two_patients missing_beam_dose no_registration rigid_and_deformable reversed_registration "
    "multigroup";

ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  (void)set;
  set_paths();
  sh("rm -rf '%s' && mkdir -p '%s'", root, root);
  if (sh("'%s' phantom --out '%s' --untidy >/dev/null", RERT_BIN, phantom) ||
      sh("/usr/bin/python3 '%s/tests/case_init/make_variants.py' '%s/export' '%s' %s", RERT_SOURCE_DIR,
         phantom, variants, VARIANTS)) {
    fprintf(stderr, "test_case_init: fixture generation failed\n");
    exit(3);
  }
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  (void)stats;
  set_paths();
  sh("rm -rf '%s'", root);
}

static cJSON *load_json(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  size_t got = fread(b, 1, (size_t)n, f);
  fclose(f);
  b[got] = 0;
  cJSON *j = cJSON_Parse(b);
  free(b);
  return j;
}

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* Draft `export` into `out` (removed first); returns the exit status, *doc the case written. */
static int draft(const char *export_dir, const char *out, cJSON **doc, char **err_out) {
  remove(out);
  char args[2048];
  snprintf(args, sizeof args, "case init '%s' --out '%s'", export_dir, out);
  int rc = run_rert(args, NULL, err_out);
  *doc = load_json(out);
  return rc;
}

/* The TODO at `path` (exact) of `kind` with `blocking`, whose message contains `what`. */
static int has_todo(const cJSON *doc, int blocking, const char *kind, const char *path,
                    const char *what) {
  const cJSON *todo = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "x_case_init"), "todo");
  const cJSON *t;
  cJSON_ArrayForEach(t, todo) {
    const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(t, "kind"));
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(t, "path"));
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(t, "message"));
    if (!!cJSON_IsTrue(cJSON_GetObjectItem(t, "blocking")) == !!blocking && k && !strcmp(k, kind) &&
        p && !strcmp(p, path) && m && (!what || strstr(m, what)))
      return 1;
  }
  return 0;
}

static int nblocking(const cJSON *doc) {
  const cJSON *todo = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "x_case_init"), "todo");
  int n = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, todo) n += cJSON_IsTrue(cJSON_GetObjectItem(t, "blocking"));
  return n;
}

static const cJSON *course_dicom(const cJSON *doc, int i) {
  return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "courses"), i), "dicom");
}

/* ---- the untidy phantom export reproduces the hand-written case ------------------------------ */

Test(case_init, untidy_export_reproduces_the_hand_written_case) {
  set_paths();
  char out[700], exp[700];
  snprintf(out, sizeof out, "%s/drafted.json", phantom);
  snprintf(exp, sizeof exp, "%s/export", phantom);
  cJSON *doc = NULL;
  char *err = NULL;
  int rc = draft(exp, out, &doc, &err);
  cr_assert_eq(rc, 0, "case init exit %d: %s", rc, err);
  cr_assert_not_null(doc);
  cr_expect_eq(nblocking(doc), 0);
  /* courses, objects, dates, fractions, registrations, structure map, recurrence ROI */
  cr_assert_eq(sh("/usr/bin/python3 '%s/tests/case_init/case_tools.py' compare '%s/case.json' '%s'",
                  RERT_SOURCE_DIR, phantom, out), 0, "drafted case differs from the hand-written one");
  /* every inferred value traced; what DICOM cannot say is a TODO */
  const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "courses"), 0);
  cr_expect_not_null(cJSON_GetObjectItem(c0, "x_source"));
  cr_expect(has_todo(doc, 0, "fill", "$.clinical", NULL));
  cr_expect(has_todo(doc, 0, "fill", "$.courses[0].technique", NULL));
  /* the records: 35 fractions delivered, an interrupted beam completed by a continuation */
  cr_expect_eq(json_path_num(doc, "courses.0.x_delivered_fractions"), 35);
  cr_expect(has_todo(doc, 0, "review", "$.courses[0].fractions", "CONTINUATION"));
  /* no treatment record for the planned course: its dates are to confirm */
  cr_expect(has_todo(doc, 0, "confirm", "$.courses[1].start_date", NULL));
  /* the unapproved alternative plan is proposed, not used */
  cr_expect(has_todo(doc, 0, "review", "$.courses[1].dicom.rtplan", "UNAPPROVED"));
  cJSON_Delete(doc);
  free(err);
  /* the draft passes the gate every command runs */
  char args[800];
  snprintf(args, sizeof args, "case check '%s'", out);
  char *o = NULL;
  rc = run_rert(args, &o, &err);
  cr_expect_eq(rc, 0, "case check exit %d: %s%s", rc, err, o);
  free(o);
  free(err);
}

Test(case_init, json_output_lists_the_same_findings) {
  set_paths();
  char out[700], args[2048];
  snprintf(out, sizeof out, "%s/drafted_json.json", phantom);
  remove(out);
  snprintf(args, sizeof args, "case init '%s/export' --out '%s'", phantom, out);
  cJSON *j = NULL;
  int rc = run_rert_json(args, &j);
  cr_assert_eq(rc, 0);
  cr_assert_not_null(j, "--json output is not JSON");
  cJSON *doc = load_json(out);
  cr_assert_not_null(doc);
  const cJSON *ft = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "x_case_init"), "todo");
  const cJSON *jt = cJSON_GetObjectItem(j, "todo");
  cr_assert(cJSON_IsArray(jt));
  cr_expect_eq(cJSON_GetArraySize(jt), cJSON_GetArraySize(ft));
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "courses")), 2);
  cJSON_Delete(j);
  cJSON_Delete(doc);
}

/* The consult from the drafted case, with only the clinical facts added, equals the consult from
 * the hand-written case apart from provenance. */
Test(case_init, consult_from_the_draft_equals_the_hand_written_consult, .timeout = 1500) {
  set_paths();
  char out[700], filled[700], exp[700];
  snprintf(out, sizeof out, "%s/drafted_consult.json", phantom);
  snprintf(filled, sizeof filled, "%s/filled.json", phantom);
  snprintf(exp, sizeof exp, "%s/export", phantom);
  cJSON *doc = NULL;
  int rc = draft(exp, out, &doc, NULL);
  cr_assert_eq(rc, 0);
  cJSON_Delete(doc);
  cr_assert_eq(sh("/usr/bin/python3 '%s/tests/case_init/case_tools.py' fill '%s/case.json' '%s' '%s'",
                  RERT_SOURCE_DIR, phantom, out, filled), 0);
  const char *common = "--protocol care_s0 --created 2026-01-01T00:00:00Z >/dev/null";
  cr_assert_eq(sh("'%s' consult '%s/case.json' --out '%s/consult_hand' %s", RERT_BIN, phantom, root,
                  common), 0);
  cr_assert_eq(sh("'%s' consult '%s' --out '%s/consult_draft' %s", RERT_BIN, filled, root, common), 0);
  cr_expect_eq(sh("/usr/bin/python3 '%s/tests/case_init/compare_consults.py' '%s/consult_hand' "
                  "'%s/consult_draft'", RERT_SOURCE_DIR, root, root), 0,
               "the consults differ beyond provenance");
}

/* ---- ambiguous and incomplete exports: TODOs, not guesses ----------------------------------- */

typedef struct {
  int rc;
  cJSON *doc;
} vres;

static vres run_variant(const char *name) {
  set_paths();
  char exp[700], out[700];
  snprintf(exp, sizeof exp, "%s/%s/export", variants, name);
  snprintf(out, sizeof out, "%s/%s/case.json", variants, name);
  vres v;
  char *err = NULL;
  v.rc = draft(exp, out, &v.doc, &err);
  cr_assert_not_null(v.doc, "%s: no case written (exit %d: %s)", name, v.rc, err);
  free(err);
  return v;
}

Test(case_init, two_candidate_doses_for_one_plan_are_a_choice) {
  vres v = run_variant("two_plan_doses");
  cr_expect_eq(v.rc, 4);
  cr_expect(has_todo(v.doc, 1, "choose", "$.courses[1].dicom.rtdose", "2 candidate"));
  cr_expect_null(cJSON_GetObjectItem(course_dicom(v.doc, 1), "rtdose"), "a dose was guessed");
  cJSON_Delete(v.doc);
}

Test(case_init, two_ct_series_in_one_frame_are_a_choice) {
  vres v = run_variant("two_cts_one_for");
  cr_expect_eq(v.rc, 4);
  cr_expect(has_todo(v.doc, 1, "choose", "$.courses[0].dicom.ct_series_uid", "2 image series"));
  cr_expect_null(cJSON_GetObjectItem(course_dicom(v.doc, 0), "ct_series_uid"), "a CT was guessed");
  cJSON_Delete(v.doc);
}

Test(case_init, the_structure_sets_series_is_the_planning_ct) {
  vres v = run_variant("two_cts_referenced");
  cr_expect_eq(v.rc, 0);
  /* the series the structure set references (the hand-written case's), the copy noted */
  cr_expect_str_eq(json_path_str(v.doc, "courses.0.dicom.ct_series_uid"),
                   "2.25.28997238680936299308858882538766011899");
  cr_expect(has_todo(v.doc, 0, "review", "$.courses[0].dicom.ct_series_uid", "shares the course's frame"));
  cJSON_Delete(v.doc);
}

Test(case_init, two_approved_plans_without_records_are_a_choice) {
  vres v = run_variant("approved_twice");
  cr_expect_eq(v.rc, 4);
  cr_expect(has_todo(v.doc, 1, "choose", "$.courses[1].dicom.rtplan", "2 candidate plans"));
  cr_expect_null(cJSON_GetObjectItem(course_dicom(v.doc, 1), "rtplan"), "a plan was guessed");
  /* one reason given once: the loader's consequence is not a second blocking TODO */
  cr_expect_eq(nblocking(v.doc), 1);
  cJSON_Delete(v.doc);
}

Test(case_init, without_records_the_dates_are_to_confirm) {
  vres v = run_variant("no_records");
  cr_expect_eq(v.rc, 0);
  /* RTPlanDate of the prior plan (docs/phantom.md: 3 days before the first fraction) */
  cr_expect_str_eq(json_path_str(v.doc, "courses.0.start_date"), "2021-03-05");
  cr_expect(has_todo(v.doc, 0, "confirm", "$.courses[0].end_date", "no treatment records"));
  cJSON_Delete(v.doc);
}

Test(case_init, partial_delivery_is_flagged) {
  vres v = run_variant("partial_delivery");
  cr_expect_eq(v.rc, 0);
  cr_expect_eq(json_path_num(v.doc, "courses.0.x_delivered_fractions"), 30);
  cr_expect_eq(json_path_num(v.doc, "courses.0.fractions"), 35);
  cr_expect(has_todo(v.doc, 0, "review", "$.courses[0].fractions", "30 fraction(s) delivered of the 35"));
  cJSON_Delete(v.doc);
}

Test(case_init, twice_daily_records_give_the_schedule) {
  vres v = run_variant("bid");
  cr_expect_eq(v.rc, 0);
  cr_expect_eq(json_path_num(v.doc, "courses.0.fractions_per_day"), 2);
  /* 08:00 and 14:30 */
  cr_expect_float_eq(json_path_num(v.doc, "courses.0.interfraction_interval_h"), 6.5, 1e-9);
  /* make_variants.py: fraction n on day (n - 1) / 2 after 2021-03-08, so fraction 35 on day 17 */
  cr_expect_str_eq(json_path_str(v.doc, "courses.0.end_date"), "2021-03-25");
  cr_expect(has_todo(v.doc, 0, "confirm", "$.courses[0].interfraction_interval_h", NULL));
  cJSON_Delete(v.doc);
}

Test(case_init, a_missing_beam_dose_is_refused_by_the_gate) {
  vres v = run_variant("missing_beam_dose");
  cr_expect_eq(v.rc, 4);
  cr_expect(has_todo(v.doc, 1, "review", "$.courses[0]", "dose.beams"));
  cJSON_Delete(v.doc);
}

Test(case_init, without_a_registration_rert_registers_the_cts) {
  vres v = run_variant("no_registration");
  cr_expect_eq(v.rc, 0);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v.doc, "registrations")), 0);
  cr_expect(has_todo(v.doc, 0, "review", "$.registrations", "registers the CTs"));
  cJSON_Delete(v.doc);
}

Test(case_init, deformable_registration_preferred_over_rigid) {
  vres v = run_variant("rigid_and_deformable");
  cr_expect_eq(v.rc, 0);
  cr_expect_str_eq(json_path_str(v.doc, "registrations.0.type"), "deformable");
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v.doc, "registrations")), 1);
  cJSON_Delete(v.doc);
}

Test(case_init, a_registration_the_wrong_way_is_not_used) {
  vres v = run_variant("reversed_registration");
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v.doc, "registrations")), 0);
  cr_expect(has_todo(v.doc, 0, "review", "$.registrations", "the other direction"));
  cJSON_Delete(v.doc);
}

Test(case_init, multigroup_plan_gathers_one_dose_per_group) {
  vres v = run_variant("multigroup");
  cr_expect_eq(v.rc, 0);
  const cJSON *d = cJSON_GetObjectItem(course_dicom(v.doc, 0), "rtdose");
  cr_expect(cJSON_IsArray(d) && cJSON_GetArraySize(d) == 2, "expected the two FRACTION doses");
  cr_expect_eq(json_path_num(v.doc, "courses.0.fractions"), 35);
  cJSON_Delete(v.doc);
}

/* ---- a real export: Eclipse/ARIA RT Ion Plans named by UID ---------------------------------- */

Test(case_init, real_eclipse_export_lists_the_plan_choice) {
  set_paths();
  char exp[700], out[700];
  snprintf(exp, sizeof exp, "%s/tests/data/real/eclipse_aptg", RERT_SOURCE_DIR);
  snprintf(out, sizeof out, "%s/aptg.json", root);
  sh("sha256sum '%s'/* > '%s/aptg.before'", exp, root);
  cJSON *doc = NULL;
  int rc = draft(exp, out, &doc, NULL);
  cr_expect_eq(rc, 4);
  cr_assert_not_null(doc);
  /* two APPROVED plans of one frame, no record: none chosen, both listed by label */
  cr_expect(has_todo(doc, 1, "choose", "$.courses[0].dicom.rtplan", "1_SOBP_1Gy"));
  cr_expect(has_todo(doc, 1, "choose", "$.courses[0].dicom.rtplan", "1_SOBP_.5Gy"));
  cr_expect_null(cJSON_GetObjectItem(course_dicom(doc, 0), "rtplan"));
  cr_expect(has_todo(doc, 0, "review", "$.courses[0].dicom.ct_dir", "no image series"));
  cr_expect_eq(nblocking(doc), 1);
  cJSON_Delete(doc);
  sh("sha256sum '%s'/* > '%s/aptg.after'", exp, root);
  cr_expect_eq(sh("cmp -s '%s/aptg.before' '%s/aptg.after'", root, root), 0, "the export changed");
}

/* RayStation 14 proton export (tests/data/real/raystation_aptg, CC BY 4.0): PLAN dose and BEAM
 * doses of one plan, no TargetPrescriptionDose, the plan's PatientID differs from the doses' and
 * the structure set's (README there, read with pydicom). */
Test(case_init, real_raystation_export_lists_precise_todos) {
  set_paths();
  char exp[700], out[700];
  snprintf(exp, sizeof exp, "%s/tests/data/real/raystation_aptg", RERT_SOURCE_DIR);
  snprintf(out, sizeof out, "%s/raystation.json", root);
  cJSON *doc = NULL;
  int rc = draft(exp, out, &doc, NULL);
  cr_expect_eq(rc, 4);
  cr_assert_not_null(doc);
  /* two PatientIDs that reference each other: one patient only with a reasoned override */
  cr_expect(has_todo(doc, 1, "review", "$.patient.id", "same_patient"));
  /* no prescription in the plan: to fill, not guessed from the dose */
  cr_expect(has_todo(doc, 1, "fill", "$.courses[0].prescription_gy", "TargetPrescriptionDose (300A,0026)"));
  cr_expect_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "courses"), 0),
                                     "prescription_gy"));
  cr_expect_eq(nblocking(doc), 2);
  /* the PLAN dose holds every beam: it is the course dose, the BEAM doses are listed as not used */
  const char *d = json_path_str(doc, "courses.0.dicom.rtdose");
  cr_expect(d && strstr(d, "RD_plan.dcm"), "rtdose %s", d ? d : "(none)");
  cr_expect_str_eq(json_path_str(doc, "courses.0.modality"), "proton");
  cr_expect_str_eq(json_path_str(doc, "courses.0.rbe_model"), "RBE_FIXED");
  cr_expect(has_todo(doc, 0, "confirm", "$.courses[0].rbe_model", "EFFECTIVE"));
  cr_expect_eq(json_path_num(doc, "courses.0.fractions"), 1);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "x_case_init"), "not_used")), 2);
  cJSON_Delete(doc);
}

/* ---- refusals -------------------------------------------------------------------------------- */

Test(case_init, refusals_write_nothing_and_leave_the_export_unchanged) {
  set_paths();
  char exp[700], out[700], args[2048];
  snprintf(exp, sizeof exp, "%s/two_patients/export", variants);
  snprintf(out, sizeof out, "%s/refuse.json", root);
  sh("cd '%s' && sha256sum * > '%s/refuse.before'; ls -a > '%s/refuse.ls.before'", exp, root, root);
  /* several patients: one must be chosen */
  char *err = NULL;
  cJSON *doc = NULL;
  int rc = draft(exp, out, &doc, &err);
  cr_expect_eq(rc, 2);
  cr_expect(err && strstr(err, "PatientID (0010,0020)") && strstr(err, exp), "stderr: %s", err);
  cr_expect_not(exists(out), "a case was written");
  free(err);
  /* with --patient the other patient's plan is left out */
  snprintf(args, sizeof args, "case init '%s' --out '%s' --patient RERT-PH-1", exp, out);
  rc = run_rert(args, NULL, &err);
  cr_expect_eq(rc, 0, "%s", err);
  free(err);
  /* an existing case file is never replaced without --force */
  sh("cp '%s' '%s.keep'", out, out);
  rc = run_rert(args, NULL, &err);
  cr_expect_eq(rc, 2);
  cr_expect(err && strstr(err, out), "stderr: %s", err);
  cr_expect_eq(sh("cmp -s '%s' '%s.keep'", out, out), 0, "the existing case file changed");
  free(err);
  char force[2100];
  snprintf(force, sizeof force, "%s --force", args);
  cr_expect_eq(run_rert(force, NULL, NULL), 0, "--force replaces it");
  /* never inside the export */
  snprintf(args, sizeof args, "case init '%s' --out '%s/case.json' --patient RERT-PH-1", exp, exp);
  rc = run_rert(args, NULL, &err);
  cr_expect_eq(rc, 2);
  free(err);
  /* not an export */
  snprintf(args, sizeof args, "case init '%s/nonexistent' --out '%s/x.json'", root, root);
  rc = run_rert(args, NULL, &err);
  cr_expect_eq(rc, 2);
  cr_expect(err && strstr(err, "nonexistent"), "stderr: %s", err);
  free(err);
  sh("mkdir -p '%s/empty'", root);
  snprintf(args, sizeof args, "case init '%s/empty' --out '%s/x.json'", root, root);
  rc = run_rert(args, NULL, &err);
  cr_expect_eq(rc, 2);
  cr_expect(err && strstr(err, "empty"), "stderr: %s", err);
  free(err);
  char x[700];
  snprintf(x, sizeof x, "%s/x.json", root);
  cr_expect_not(exists(x));
  /* the export: same files, same bytes, nothing added (no temp file left) */
  sh("cd '%s' && sha256sum * > '%s/refuse.after'; ls -a > '%s/refuse.ls.after'", exp, root, root);
  cr_expect_eq(sh("cmp -s '%s/refuse.before' '%s/refuse.after'", root, root), 0);
  cr_expect_eq(sh("cmp -s '%s/refuse.ls.before' '%s/refuse.ls.after'", root, root), 0);
  cJSON_Delete(doc);
}

/* ---- ct_series_uid: the planning CT of a flat export, checked by the command a user runs ----- */

Test(case_init, a_series_not_in_the_folder_is_refused_by_case_check) {
  set_paths();
  char out[700], bad[700], args[1600];
  snprintf(out, sizeof out, "%s/series_ok.json", root);
  snprintf(bad, sizeof bad, "%s/series_bad.json", root);
  char exp[700];
  snprintf(exp, sizeof exp, "%s/export", phantom);
  cJSON *doc = NULL;
  draft(exp, out, &doc, NULL);
  cr_assert_not_null(doc);
  /* a series UID that is not in the export (valid syntax) */
  cJSON *d = (cJSON *)course_dicom(doc, 0);
  cJSON_ReplaceItemInObject(d, "ct_series_uid", cJSON_CreateString("1.2.3.4.5"));
  char *txt = cJSON_Print(doc);
  FILE *f = fopen(bad, "w");
  fputs(txt, f);
  fclose(f);
  free(txt);
  snprintf(args, sizeof args, "case check '%s'", bad);
  char *err = NULL;
  int rc = run_rert(args, NULL, &err);
  cr_expect_eq(rc, 2);
  cr_expect(err && strstr(err, "1.2.3.4.5") && strstr(err, "SeriesInstanceUID (0020,000E)"),
            "stderr: %s", err);
  free(err);
  /* not a UID: the loader names the JSON path */
  cJSON_ReplaceItemInObject(d, "ct_series_uid", cJSON_CreateString("CT series 1"));
  txt = cJSON_Print(doc);
  f = fopen(bad, "w");
  fputs(txt, f);
  fclose(f);
  free(txt);
  rc = run_rert(args, NULL, &err);
  cr_expect_eq(rc, 2);
  cr_expect(err && strstr(err, "$.courses[0].dicom.ct_series_uid"), "stderr: %s", err);
  free(err);
  cJSON_Delete(doc);
}

/* --planned: the default (most recent course planned) can be changed, never silently */
Test(case_init, planned_option_sets_the_roles) {
  set_paths();
  char out[700], args[1600];
  snprintf(out, sizeof out, "%s/planned_none.json", root);
  remove(out);
  snprintf(args, sizeof args, "case init '%s/export' --out '%s' --planned none", phantom, out);
  cr_assert_eq(run_rert(args, NULL, NULL), 0);
  cJSON *doc = load_json(out);
  cr_assert_not_null(doc);
  /* every course prior, the last one the reference */
  cr_expect_str_eq(json_path_str(doc, "courses.0.role"), "prior");
  cr_expect_str_eq(json_path_str(doc, "courses.1.role"), "prior");
  cr_expect_str_eq(json_path_str(doc, "reference_course"), "course2");
  cJSON_Delete(doc);
  /* a course that does not exist: refused, nothing written */
  snprintf(out, sizeof out, "%s/planned_bad.json", root);
  snprintf(args, sizeof args, "case init '%s/export' --out '%s' --planned course9", phantom, out);
  char *err = NULL;
  cr_expect_eq(run_rert(args, NULL, &err), 2);
  cr_expect(err && strstr(err, "course9"), "stderr: %s", err);
  cr_expect_not(exists(out));
  free(err);
}
