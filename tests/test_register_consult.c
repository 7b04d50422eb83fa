/* test_register_consult.c — the registration QA inside `rert consult`, through the binary, on
 * the small synthetic patient (rert phantom): the imported ground-truth field passes; the same
 * field exported the wrong way round (its inverse: course 2 → course 1 instead of the
 * pull-back) fails the direction check, and the consult — which would otherwise pass — exits 4
 * (INCOMPLETE) with the report written and the failed check in it; the case file's
 * {"interlock": "registration_qa", "reason": ...} override lets it through and the reason is in
 * the report. Inputs are never modified. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"
#include "rert/imageio.h"
#include "rert/register.h"
#include "support/run.h"

static char patient[4096];

static void need_patient(void) {
  if (patient[0]) return;
  snprintf(patient, sizeof patient, "%s/pt", test_tmpdir());
  char args[4200];
  snprintf(args, sizeof args, "phantom --out %s --size small", patient);
  cr_assert_eq(run_rert(args, NULL, NULL), 0, "rert phantom failed");
}

/* the patient's case.json, parsed */
static cJSON *load_case(void) {
  char p[4400];
  snprintf(p, sizeof p, "%s/case.json", patient);
  cJSON *c = NULL;
  rert_err e;
  cr_assert(json_load_file(p, &c, &e) == RERT_OK, "%s", e.msg);
  return c;
}

/* writes c as patient/name and frees it */
static void save_case(cJSON *c, const char *name) {
  char p[4400];
  char *txt = cJSON_Print(c);
  snprintf(p, sizeof p, "%s/%s", patient, name);
  FILE *f = fopen(p, "w");
  cr_assert(f);
  fputs(txt, f);
  fclose(f);
  free(txt);
  cJSON_Delete(c);
}

/* case.json with the registration's vector field replaced by `mha` (absolute path; NULL keeps
 * it) and, when reason != NULL, a registration_qa override */
static void write_case(const char *name, const char *mha, const char *reason) {
  cJSON *c = load_case();
  cJSON *regs = cJSON_GetObjectItem(c, "registrations");
  cJSON *r0 = cJSON_GetArrayItem(regs, 0);
  cr_assert(r0);
  if (mha) {
    cJSON_DeleteItemFromObject(r0, "dicom");
    cJSON_ReplaceItemInObject(r0, "mha", cJSON_CreateString(mha));
  }
  if (reason) {
    cJSON *ov = cJSON_AddArrayToObject(c, "overrides");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "interlock", "registration_qa");
    cJSON_AddStringToObject(o, "course", "course1");
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddItemToArray(ov, o);
  }
  save_case(c, name);
}

static cJSON *report_json(const char *out) {
  char p[4400];
  snprintf(p, sizeof p, "%s/report.json", out);
  cJSON *j = NULL;
  rert_err e;
  cr_assert(json_load_file(p, &j, &e) == RERT_OK, "%s", e.msg);
  return j;
}

/* status of check `id` of course1 in the report's registration_checks table */
static const char *check_status(const cJSON *rep, const char *id) {
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(rep, "sections")) {
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(s, "blocks")) {
      const cJSON *idb = cJSON_GetObjectItem(b, "id");
      if (!cJSON_IsString(idb) || strcmp(idb->valuestring, "registration_checks") != 0) continue;
      const cJSON *row;
      cJSON_ArrayForEach(row, cJSON_GetObjectItem(b, "rows")) {
        const cJSON *ck = cJSON_GetObjectItem(row, "check");
        if (cJSON_IsString(ck) && strcmp(ck->valuestring, id) == 0) return cJSON_GetObjectItem(row, "status")->valuestring;
      }
    }
  }
  return NULL;
}

static unsigned long sum_file(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "%s", path);
  unsigned long h = 5381;
  int c;
  while ((c = fgetc(f)) != EOF) h = h * 33 + (unsigned)c;
  fclose(f);
  return h;
}

Test(register_consult, wrong_direction_field_makes_consult_incomplete_override_applies) {
  need_patient();
  char p[4400], w[4400], out[4400], args[9000];
  rert_err e;
  /* the wrong-direction field: the ground truth inverted on its own grid */
  snprintf(p, sizeof p, "%s/registration/field_course1_to_course2.mha", patient);
  rert_vfield u, inv;
  cr_assert(imageio_read_vfield(p, &u, &e) == RERT_OK, "%s", e.msg);
  rert_volume g;
  reg_vfield_geometry(&u, &g);
  reg_invert_opts io = {60, 0.01};
  reg_invert_report ir;
  cr_assert(reg_vfield_invert(&u, &g, &io, &inv, &ir, &e) == RERT_OK, "%s", e.msg);
  snprintf(w, sizeof w, "%s/wrongdir.mha", patient);
  cr_assert(imageio_write_vfield(w, &inv, &e) == RERT_OK);
  rtdata_free_vfield(&u), rtdata_free_vfield(&inv);
  unsigned long h_field = sum_file(p), h_w = sum_file(w);

  /* the ground truth passes the QA */
  write_case("case_truth.json", NULL, NULL);
  snprintf(out, sizeof out, "%s/c_truth", patient);
  snprintf(args, sizeof args, "consult %s/case_truth.json --out %s --protocol care_s0 --created 2026-01-01T00:00:00Z", patient, out);
  char *so = NULL, *se = NULL;
  int st = run_rert(args, &so, &se);
  cr_assert(st == 0 || st == 1, "exit %d: %s", st, se ? se : "");
  cJSON *rep = report_json(out);
  cr_assert_str_eq(check_status(rep, "direction"), "pass");
  cr_assert_str_eq(check_status(rep, "similarity"), "pass");
  cr_assert_eq(json_path_num(rep, "summary.registration_qa_failed"), 0);
  cJSON_Delete(rep);
  free(so), free(se), so = se = NULL;

  /* wrong direction: INCOMPLETE, report written, the failed check named */
  write_case("case_wrongdir.json", w, NULL);
  snprintf(out, sizeof out, "%s/c_wrong", patient);
  snprintf(args, sizeof args, "consult %s/case_wrongdir.json --out %s --protocol care_s0 --created 2026-01-01T00:00:00Z", patient, out);
  st = run_rert(args, &so, &se);
  cr_assert_eq(st, 4, "exit %d (stdout %s, stderr %s)", st, so ? so : "", se ? se : "");
  cr_assert(so && strstr(so, "INCOMPLETE"), "stdout: %s", so ? so : "");
  rep = report_json(out);
  cr_assert_str_eq(check_status(rep, "direction"), "fail");
  cr_assert_eq(json_path_num(rep, "summary.registration_qa_failed"), 1);
  cJSON_Delete(rep);
  free(so), free(se), so = se = NULL;

  /* the override lets it through, with its reason in the report */
  write_case("case_wrongdir_override.json", w, "physicist reviewed: test override");
  snprintf(out, sizeof out, "%s/c_override", patient);
  snprintf(args, sizeof args, "consult %s/case_wrongdir_override.json --out %s --protocol care_s0 --created 2026-01-01T00:00:00Z", patient,
           out);
  st = run_rert(args, &so, &se);
  cr_assert(st == 0 || st == 1, "exit %d: %s", st, se ? se : "");
  snprintf(p, sizeof p, "%s/report.json", out);
  char *txt = NULL;
  size_t len = 0;
  cr_assert(file_read_all(p, &txt, &len, &e) == RERT_OK);
  cr_assert(strstr(txt, "physicist reviewed: test override"), "override reason missing from the report");
  free(txt);
  free(so), free(se);
  /* inputs unchanged */
  snprintf(p, sizeof p, "%s/registration/field_course1_to_course2.mha", patient);
  cr_assert_eq(sum_file(p), h_field);
  cr_assert_eq(sum_file(w), h_w);
}

/* case.json with course1 → course2 to be computed by rert with `engine` (and, when mha != NULL,
 * an imported field beside it: a contradiction the case file refuses) */
static void write_engine_case(const char *name, const char *engine, const char *mha) {
  cJSON *c = load_case();
  cJSON *regs = cJSON_CreateArray(), *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "from", "course1");
  cJSON_AddStringToObject(r, "to", "course2");
  cJSON_AddStringToObject(r, "type", "deformable");
  cJSON_AddStringToObject(r, "engine", engine);
  if (mha) cJSON_AddStringToObject(r, "mha", mha);
  cJSON_AddItemToArray(regs, r);
  cJSON_ReplaceItemInObject(c, "registrations", regs);
  save_case(c, name);
}

/* the course-1 registration's method in the report (section "registration") */
static const char *course_method(const cJSON *rep) {
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(rep, "sections")) {
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(s, "blocks")) {
      const cJSON *row;
      cJSON_ArrayForEach(row, cJSON_GetObjectItem(b, "rows")) {
        const cJSON *m = cJSON_GetObjectItem(row, "method");
        if (cJSON_IsString(m) && strstr(m->valuestring, "computed CT to CT")) return m->valuestring;
      }
    }
  }
  return NULL;
}

/* {"engine": ...} in the case file: the consult computes the registration with that engine and
 * the same QA judges it; the case file refuses an engine beside an imported field; commands that
 * do not register (accumulate) refuse a registration that only names an engine. */
Test(register_consult, case_file_engine_is_used_and_checked, .timeout = 400) {
  need_patient();
  char p[4400], out[4400], args[9000];
  snprintf(p, sizeof p, "%s/case.json", patient);
  unsigned long h_case = sum_file(p);
  int have_elastix = system("command -v elastix > /dev/null 2>&1 && command -v transformix > /dev/null 2>&1") == 0;
  const char *engines[2] = {"builtin", "elastix"};
  const char *names[2] = {"built-in: rigid (SSD), cubic B-spline", "elastix (elastix) with 2 parameter file(s)"};
  for (int k = 0; k < 2; k++) {
    if (k == 1 && !have_elastix) {
      cr_log_warn("elastix not installed: the elastix engine through the consult is not tested");
      continue;
    }
    char name[64];
    snprintf(name, sizeof name, "case_engine_%s.json", engines[k]);
    write_engine_case(name, engines[k], NULL);
    snprintf(out, sizeof out, "%s/c_engine_%s", patient, engines[k]);
    snprintf(args, sizeof args, "consult %s/%s --out %s --protocol care_s0 --created 2026-01-01T00:00:00Z", patient, name, out);
    char *so = NULL, *se = NULL;
    int st = run_rert(args, &so, &se);
    cr_assert(st == 0 || st == 1, "%s: exit %d: %s", engines[k], st, se ? se : "");
    cJSON *rep = report_json(out);
    const char *m = course_method(rep);
    cr_assert(m && strstr(m, names[k]), "%s: method '%s'", engines[k], m ? m : "(none)");
    /* the same QA judges a computed field: the images and contours tie it to the anatomy */
    cr_assert_str_eq(check_status(rep, "direction"), "pass", "%s", engines[k]);
    cr_assert_str_eq(check_status(rep, "similarity"), "pass", "%s", engines[k]);
    cr_assert_eq(json_path_num(rep, "summary.registration_qa_failed"), 0);
    cJSON_Delete(rep);
    free(so), free(se);
  }
  /* an engine beside an imported field: refused before anything is read, the JSON path named */
  snprintf(p, sizeof p, "%s/registration/field_course1_to_course2.mha", patient);
  write_engine_case("case_engine_bad.json", "builtin", p);
  snprintf(out, sizeof out, "%s/c_engine_bad", patient);
  snprintf(args, sizeof args, "consult %s/case_engine_bad.json --out %s --protocol care_s0", patient, out);
  char *so = NULL, *se = NULL;
  int st = run_rert(args, &so, &se);
  cr_assert_eq(st, 2, "exit %d", st);
  cr_assert(se && strstr(se, "case_engine_bad.json") && strstr(se, "$.registrations[0].engine"), "stderr: %s", se ? se : "");
  FILE *f = fopen(out, "r");
  cr_assert_null(f, "output left behind: %s", out);
  free(so), free(se), so = se = NULL;
  /* an engine the case file does not know: refused the same way */
  write_engine_case("case_engine_unknown.json", "magic", NULL);
  snprintf(out, sizeof out, "%s/c_engine_unknown", patient);
  snprintf(args, sizeof args, "consult %s/case_engine_unknown.json --out %s --protocol care_s0", patient, out);
  st = run_rert(args, &so, &se);
  cr_assert_eq(st, 2, "exit %d", st);
  cr_assert(se && strstr(se, "case_engine_unknown.json") && strstr(se, "$.registrations[0].engine") && strstr(se, "magic"),
            "stderr: %s", se ? se : "");
  f = fopen(out, "r");
  cr_assert_null(f, "output left behind: %s", out);
  free(so), free(se), so = se = NULL;
  /* accumulate does not register: an engine-only registration is refused, nothing written */
  snprintf(out, sizeof out, "%s/acc_engine", patient);
  snprintf(args, sizeof args, "accumulate %s/case_engine_builtin.json --out %s", patient, out);
  st = run_rert(args, &so, &se);
  cr_assert_eq(st, 2, "exit %d: %s", st, se ? se : "");
  cr_assert(se && strstr(se, "case_engine_builtin.json") && strstr(se, "$.registrations[0].engine") && strstr(se, "rert register"),
            "stderr: %s", se ? se : "");
  f = fopen(out, "r");
  cr_assert_null(f, "output left behind: %s", out);
  free(so), free(se);
  snprintf(p, sizeof p, "%s/case.json", patient);
  cr_assert_eq(sum_file(p), h_case);
}
