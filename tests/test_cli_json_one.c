/* test_cli_json_one.c — issue 13 item 9: with --json every command prints exactly ONE JSON
 * document on stdout, whatever happens: success, a verdict, bad input, a failure after the
 * result was built (`rert dvh --json` with a ROI that cannot be computed used to print the
 * result and then an error object), and --help. The expected behaviour is the documented CLI
 * contract (README "Exit status", src/cli/cli.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/run.h"

/* stdout of `rert ARGS --json` is one JSON value followed only by white space */
static cJSON *one_doc(const char *args, int *rc) {
  char a[4096], *out = NULL;
  snprintf(a, sizeof a, "%s --json", args);
  *rc = run_rert(a, &out, NULL);
  cr_assert_not_null(out);
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithOpts(out, &end, 0);
  cr_assert_not_null(j, "rert %s: stdout is not JSON: %.200s", a, out);
  while (end && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) end++;
  cr_assert(end && !*end, "rert %s: more than one document on stdout: ...%.120s", a, end);
  free(out);
  return j;
}

Test(cli_json_one, every_outcome_one_document) {
  const char *t = test_tmpdir();
  char ph[1200], a[4096];
  snprintf(ph, sizeof ph, "%s/ph", t);
  snprintf(a, sizeof a, "phantom --out %s", ph);
  int rc;
  cJSON *j = one_doc(a, &rc);
  cr_assert_eq(rc, 0);
  cJSON_Delete(j);
  struct {
    const char *fmt;
    int rc;
    const char *key; /* a key the document must have */
  } cases[] = {
      {"dvh --dose %s/course2/RD_course2.dcm --struct %s/course2/RS_course2.dcm --roi SpinalCord", 0, "rois"},
      {"dvh --dose %s/course2/RD_course2.dcm --struct %s/course2/RS_course2.dcm --roi NoSuchROI", 2, "error"},
      {"evaluate %s/case.json --protocol care_s0 --struct-unused %s", 2, "error"},
      {"evaluate %s/case.json --protocol no_such_protocol%.0s", 2, "error"},
      {"evaluate %s/case.json --protocol care_s0%.0s", 0, "verdict"},
      {"solve %s/case.json --protocol care_s0%.0s", 0, "verdict"},
      {"assess %s/case.json%.0s", 0, "rpa"},
      {"protocols show care_s0%.0s%.0s", 0, NULL},
      {"evaluate --help%.0s%.0s", 0, "help"},
      {"dvh --help%.0s%.0s", 0, "help"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    snprintf(a, sizeof a, cases[k].fmt, ph, ph);
    j = one_doc(a, &rc);
    cr_expect_eq(rc, cases[k].rc, "rert %s: exit %d", a, rc);
    if (cases[k].key) cr_expect_not_null(cJSON_GetObjectItem(j, cases[k].key), "rert %s: no '%s'", a, cases[k].key);
    cJSON_Delete(j);
  }
  snprintf(a, sizeof a, "accumulate %s/case.json --out %s/acc", ph, t);
  j = one_doc(a, &rc);
  cr_expect_eq(rc, 0);
  cJSON_Delete(j);
}

/* A ROI that cannot be computed after the others were: the result and the error in one
 * document (the error and exit_code join the result). */
Test(cli_json_one, dvh_error_after_result) {
  if (system("/usr/bin/python3 -c 'import pydicom' 2>/dev/null") != 0) cr_skip_test("python3-pydicom not installed");
  const char *t = test_tmpdir();
  char ph[1200], v[1300], a[4096];
  snprintf(ph, sizeof ph, "%s/ph", t);
  snprintf(v, sizeof v, "%s/empty_cord", t);
  snprintf(a, sizeof a, "phantom --out %s > /dev/null", ph);
  cr_assert_eq(run_rert(a, NULL, NULL), 0);
  snprintf(a, sizeof a, "/usr/bin/python3 %s/tests/structures/make_variants.py %s %s empty_cord", RERT_SOURCE_DIR,
           ph, v);
  cr_assert_eq(system(a), 0);
  snprintf(a, sizeof a, "dvh --dose %s/course2/RD_course2.dcm --struct %s/course2/RS_course2.dcm --roi Brainstem,SpinalCord", v, v);
  int rc;
  cJSON *j = one_doc(a, &rc);
  cr_expect_eq(rc, 2);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rois")), 2);
  cr_expect(strstr(json_path_str(j, "error"), "SpinalCord"), "%s", json_path_str(j, "error"));
  cr_expect_eq(json_path_num(j, "exit_code"), 2);
  cJSON_Delete(j);
}
