/* test_compare_refusals.c — every refusal of the candidate comparison through the `rert` binary
 * (brief: "a check counts only when the command a user runs trips it"): a corrupted or
 * inconsistent copy of a box case is fed to rert compare (and evaluate/consult where the check
 * is theirs); each test asserts exit status 2, the file and the JSON path or DICOM tag named in
 * the one-line message, no output directory left behind, and the inputs unchanged. */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rert/report.h"
#include "support/box_case.h"
#include "support/run.h"

/* digest of every regular file under the case directory (inputs unchanged) */
static char digest_acc[65 * 256];
static size_t digest_len;
static int digest_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)ftw;
  if (flag != FTW_F) return 0;
  char hex[65];
  rert_err e;
  if (report_sha256_file(path, hex, &e) == RERT_OK && digest_len + 65 < sizeof digest_acc) {
    memcpy(digest_acc + digest_len, hex, 64);
    digest_len += 64;
  }
  return 0;
}
static void dir_digest(const char *dir, char out[65]) {
  digest_len = 0;
  nftw(dir, digest_one, 16, FTW_PHYS);
  report_sha256_buffer(digest_acc, digest_len, out);
}

static void regions(box_course *c, double ptv, double cord) {
  c->nregions = 0;
  c->region[c->nregions++] = box_region_around("PTV", 9, ptv);
  c->region[c->nregions++] = box_region_around("SpinalCord", 9, cord);
}

static box_course prior(void) {
  box_course p = {.id = "prior", .role = "prior", .modality = "photon", .technique = "IMRT", .fractions = 30,
                  .prescription_gy = 60, .start = "2019-01-07", .end = "2019-02-15", .background_gy = 5};
  regions(&p, 60, 30);
  return p;
}

static box_course cand(const char *id) {
  box_course c = {.id = id, .role = "candidate", .modality = "photon", .technique = "VMAT", .fractions = 25,
                  .prescription_gy = 50, .start = "2024-03-04", .end = "2024-04-05", .background_gy = 2};
  regions(&c, 50, 20);
  return c;
}

static const char *make_case(const char *dir, box_course *c, int n) {
  static char path[1200];
  rert_err e;
  cr_assert_eq(box_case_write(dir, c, n, "\"protocols\":[\"care_s0\"]", path, sizeof path, &e), 0, "%s", e.msg);
  return path;
}

/* Run `rert <cmd> <case> --out <dir>/out <extra>`: exit 2, message contains every needle, no
 * output (nor staging directory) left, inputs unchanged. */
static void refused(const char *dir, const char *cmd, const char *case_path, const char *extra,
                    const char *const *needles) {
  char before[65], after[65], args[3000], out[1300];
  dir_digest(dir, before);
  snprintf(out, sizeof out, "%s.out", dir);
  snprintf(args, sizeof args, "%s %s --out %s %s", cmd, case_path, out, extra ? extra : "");
  char *o = NULL, *e = NULL;
  int rc = run_rert(args, &o, &e);
  cr_assert_eq(rc, 2, "rert %s: exit %d (stderr: %s)", args, rc, e);
  for (const char *const *n = needles; *n; n++) cr_assert(strstr(e, *n), "'%s' not named in: %s", *n, e);
  cr_assert_eq(strchr(e, '\n'), strrchr(e, '\n'), "one line expected: %s", e);
  struct stat st;
  cr_assert_neq(stat(out, &st), 0, "%s left behind", out);
  dir_digest(dir, after);
  cr_assert_str_eq(before, after, "inputs modified");
  free(o);
  free(e);
}

Test(compare_refusals, carbon_mixed_rbe_without_conversion) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior(), cand("VMAT"), cand("CIRT")};
  c[0].modality = "carbon", c[0].rbe_model = "MKM";
  c[1].with_structures = 1;
  c[2].modality = "carbon", c[2].rbe_model = "LEM_I", c[2].fractions = 20;
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {cp, "$.courses[2]", "CIRT", "prior", "LEM_I", "MKM", "x_rbe_convert_to", NULL};
  refused(dir, "compare", cp, NULL, n);
}

Test(compare_refusals, let_map_on_another_grid) {
  const char *dir = test_tmpdir();
  /* a LETd map with another spacing than the candidate's RTDOSE */
  char letp[1200];
  snprintf(letp, sizeof letp, "%s/let_other.mha", dir);
  FILE *f = fopen(letp, "wb");
  cr_assert_not_null(f);
  fprintf(f, "ObjectType = Image\nNDims = 3\nDimSize = 10 10 10\nElementSpacing = 2 2 2\nOffset = 0 0 0\n"
             "TransformMatrix = 1 0 0 0 1 0 0 0 1\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n");
  float v[1000];
  for (int i = 0; i < 1000; i++) v[i] = 2.0f;
  fwrite(v, sizeof v, 1, f);
  fclose(f);
  box_course c[3] = {prior(), cand("VMAT"), cand("IMPT")};
  c[1].with_structures = 1;
  c[2].modality = "proton", c[2].rbe_model = "RBE_FIXED";
  c[2].extra = "\"let\":{\"path\":\"let_other.mha\",\"unit\":\"keV/um\"}";
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {"let_other.mha", "$.courses[2].let.path", "IMPT/RD.dcm", NULL};
  refused(dir, "compare", cp, NULL, n);
}

Test(compare_refusals, let_values_not_a_letd) {
  const char *dir = test_tmpdir();
  char letp[1200];
  snprintf(letp, sizeof letp, "%s/let_neg.mha", dir);
  rert_err e;
  const double g[3] = {0.05, 0, 0};
  cr_assert_eq(box_write_linear_mha(letp, 0.0, g, &e), 0, "%s", e.msg); /* negative for x < 0 */
  box_course c[3] = {prior(), cand("VMAT"), cand("IMPT")};
  c[1].with_structures = 1;
  c[2].modality = "proton", c[2].rbe_model = "RBE_FIXED";
  c[2].extra = "\"let\":{\"path\":\"let_neg.mha\",\"unit\":\"keV/um\"}";
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {"let_neg.mha", "$.courses[2].let.path", "keV/um", NULL};
  refused(dir, "compare", cp, NULL, n);
}

Test(compare_refusals, let_dicom_of_another_patient) {
  /* a DICOM RTDOSE-like LETd object from another patient (the prior's RTDOSE of a second box
   * case written with another patient id is not available; reuse the candidate's own RTDOSE:
   * the LETd object may not be the dose itself) */
  const char *dir = test_tmpdir();
  box_course c[3] = {prior(), cand("VMAT"), cand("IMPT")};
  c[1].with_structures = 1;
  c[2].modality = "proton", c[2].rbe_model = "RBE_FIXED";
  c[2].extra = "\"let\":{\"path\":\"IMPT/RD.dcm\",\"unit\":\"keV/um\"}";
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {"IMPT/RD.dcm", "SOPInstanceUID (0008,0018)", "$.courses[2].let.path", NULL};
  refused(dir, "compare", cp, NULL, n);
}

Test(compare_refusals, variable_rbe_without_let_or_for_photons) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior(), cand("VMAT"), cand("IMPT")};
  c[1].with_structures = 1;
  c[2].modality = "proton", c[2].rbe_model = "RBE_FIXED";
  c[2].extra = "\"variable_rbe\":{\"model\":\"mcnamara2015\"}";
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {cp, "$.courses[2].variable_rbe", "LETd", NULL};
  refused(dir, "compare", cp, NULL, n);
  const char *d2 = test_tmpdir();
  box_course p[3] = {prior(), cand("VMAT"), cand("VMAT2")};
  p[1].with_structures = 1;
  p[2].extra = "\"let\":{\"path\":\"x.mha\",\"unit\":\"keV/um\"},\"variable_rbe\":{\"model\":\"mcnamara2015\"}";
  const char *cp2 = make_case(d2, p, 3);
  const char *n2[] = {cp2, "$.courses[2].let", "photon", NULL};
  refused(d2, "compare", cp2, NULL, n2);
  const char *d3 = test_tmpdir();
  box_course q[3] = {prior(), cand("VMAT"), cand("IMPT")};
  q[1].with_structures = 1;
  q[2].modality = "proton", q[2].rbe_model = "RBE_FIXED";
  q[2].extra = "\"let\":{\"path\":\"x.mha\",\"unit\":\"MeV/cm\"}";
  const char *cp3 = make_case(d3, q, 3);
  const char *n3[] = {cp3, "$.courses[2].let.unit", "keV/um", NULL};
  refused(d3, "compare", cp3, NULL, n3);
}

Test(compare_refusals, candidate_without_rtdose_and_no_candidate) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior(), cand("VMAT"), cand("IMPT")};
  c[1].with_structures = 1;
  c[2].no_dose = 1;
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {cp, "$.courses[2].dicom.rtdose", "IMPT", NULL};
  refused(dir, "compare", cp, NULL, n);
  const char *d2 = test_tmpdir();
  box_course p[1] = {prior()};
  p[0].with_structures = 1;
  const char *cp2 = make_case(d2, p, 1);
  const char *n2[] = {cp2, "$.courses", "candidate", NULL};
  refused(d2, "compare", cp2, NULL, n2);
}

/* A candidate without dates: the interval since the priors decides their recovery, and no date is
 * assumed — refused naming the JSON path. */
Test(compare_refusals, candidate_without_dates) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior(), cand("VMAT"), cand("IMPT")};
  c[1].with_structures = 1;
  c[2].start = c[2].end = NULL;
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {cp, "$.courses[2].start_date", "IMPT", "recovery", NULL};
  refused(dir, "compare", cp, NULL, n);
}

/* A case with candidates is never summed as if every course were delivered: evaluate and
 * accumulate need --candidate (or rert compare), and an unknown --candidate is refused. */
Test(compare_refusals, evaluate_needs_a_chosen_candidate) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior(), cand("VMAT"), cand("IMPT")};
  c[1].with_structures = 1;
  const char *cp = make_case(dir, c, 3);
  const char *n[] = {cp, "$.courses", "VMAT", "IMPT", "--candidate", NULL};
  refused(dir, "accumulate", cp, NULL, n);
  char args[1400], *o = NULL, *e = NULL;
  snprintf(args, sizeof args, "evaluate %s", cp);
  cr_assert_eq(run_rert(args, &o, &e), 2);
  cr_assert(strstr(e, "--candidate"), "%s", e);
  free(o), free(e), o = e = NULL;
  const char *n2[] = {"--candidate NOPE", "$.courses", "VMAT (candidate)", NULL};
  refused(dir, "accumulate", cp, "--candidate NOPE", n2);
  /* the chosen one evaluates: VMAT cord 30/30 + 20/25 -> EQD2(2) 36.5 */
  snprintf(args, sizeof args, "evaluate %s --candidate VMAT --protocol care_s0", cp);
  cJSON *j = NULL;
  int rc = run_rert_json(args, &j);
  cr_assert(rc == 0 || rc == 1 || rc == 4, "exit %d", rc);
  cr_assert_not_null(j);
  const cJSON *ev, *r;
  int seen = 0;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(j, "evaluations"))
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(ev, "constraints")) {
      if (strcmp(cJSON_GetObjectItem(r, "id")->valuestring, "cord_gt24")) continue;
      cr_assert_float_eq(cJSON_GetObjectItem(r, "value")->valuedouble, 36.5, 1e-4);
      seen = 1;
    }
  cr_assert(seen);
  cJSON_Delete(j);
}
