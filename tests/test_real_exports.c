/* test_real_exports.c — rert on small public exports of real planning systems
 * (tests/data/real/<source>/, licence and attribution in each README), through the binary:
 *
 * RayStation 14 proton (APTG 2022_DCPT_LET plan03_ramp_full): an RT Ion Plan of 1 fraction and 2
 * beams with a PLAN RTDOSE and one BEAM RTDOSE per beam (EFFECTIVE, GY), and a plan whose
 * PatientID differs from the doses'. Expected independently of rert (pydicom, README): the
 * PLAN dose equals the sum of the BEAM doses to 4.6e-5 Gy.
 *   - BEAM doses of both beams: computed as their sum; the EQD2 map rert writes equals the
 *     closed form of the PLAN dose, D(D/n + a/b)/(2 + a/b) with n = 1 and a/b from rert's own
 *     alpha_beta map (independent input: the PLAN file, which rert was not given);
 *   - one BEAM dose only, PLAN and BEAM together, no override for the PatientID mismatch: refused
 *     by case check, evaluate and accumulate with the file and tag named, nothing written. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rert/dicomio.h"
#include "support/run.h"

#define RS_DIR RERT_SOURCE_DIR "/tests/data/real/raystation_aptg"

/* one temporary directory per test (tmp() makes a new one at every call) */
static const char *tmp(void) {
  static char d[256];
  if (!d[0]) snprintf(d, sizeof d, "%s", test_tmpdir());
  return d;
}

/* A case file for the RayStation export with the given rtdose list (JSON array text) and
 * overrides (JSON array text or ""). Returns its path (static buffer). */
static const char *raystation_case(const char *rtdoses, int with_override) {
  static char path[1024];
  const char *dir = tmp();
  snprintf(path, sizeof path, "%s/case.json", dir);
  FILE *f = fopen(path, "w");
  cr_assert(f != NULL);
  fprintf(f,
          "{\"schema\": \"rert-case/1\",\n"
          " \"patient\": {\"id\": \"WTR303030\"},\n"
          " \"courses\": [{\"id\": \"proton\", \"role\": \"planned\", \"start_date\": \"2022-11-22\",\n"
          "   \"end_date\": \"2022-11-22\", \"modality\": \"proton\", \"rbe_model\": \"RBE_FIXED\",\n"
          "   \"fractions\": 1, \"prescription_gy\": 2,\n"
          "   \"dicom\": {\"rtplan\": \"%s/RP_ramped_2Gy_ver2_full.dcm\", \"rtstruct\": \"%s/RS.dcm\",\n"
          "             \"rtdose\": %s}}],\n"
          " \"protocols\": [\"care_s0\"]%s}\n",
          RS_DIR, RS_DIR, rtdoses,
          with_override
              ? ",\n \"overrides\": [{\"interlock\": \"same_patient\", \"object\": \"" RS_DIR
                "/RP_ramped_2Gy_ver2_full.dcm\", \"reason\": \"the plan was exported under the "
                "phantom study's ID test_LET_ramp; doses and structures under WTR303030\"}]"
              : "");
  fclose(f);
  return path;
}

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static void expect_refused(const char *cas, const char *what1, const char *what2) {
  char args[2048], *out = NULL, *err = NULL;
  const char *cmds[] = {"case check %s", "evaluate %s --protocol care_s0",
                        "accumulate %s --out %s/acc", "consult %s --protocol care_s0 --out %s/con"};
  for (int i = 0; i < 4; i++) {
    snprintf(args, sizeof args, cmds[i], cas, tmp(), tmp());
    int rc = run_rert(args, &out, &err);
    cr_expect_eq(rc, 2, "%s: exit %d\n%s", args, rc, err);
    cr_expect(strstr(err, what1) && strstr(err, what2), "%s: message lacks '%s' / '%s': %s", args,
              what1, what2, err);
    free(out);
    free(err);
  }
  char acc[1100];
  snprintf(acc, sizeof acc, "%s/acc", tmp());
  cr_expect(!exists(acc), "accumulate left %s", acc);
  snprintf(acc, sizeof acc, "%s/con", tmp());
  cr_expect(!exists(acc), "consult left %s", acc);
}

Test(real_raystation, plan_patient_id_differs_refused_without_override) {
  const char *cas = raystation_case("[\"" RS_DIR "/RD_plan.dcm\"]", 0);
  expect_refused(cas, "RP_ramped_2Gy_ver2_full.dcm", "PatientID (0010,0020)");
}

Test(real_raystation, one_beam_of_two_refused) {
  const char *cas = raystation_case("[\"" RS_DIR "/RD_beam1.dcm\"]", 1);
  expect_refused(cas, "RD_beam1.dcm", "beam(s) 2");
}

Test(real_raystation, plan_and_beam_doses_counted_twice_refused) {
  const char *cas = raystation_case(
      "[\"" RS_DIR "/RD_plan.dcm\", \"" RS_DIR "/RD_beam1.dcm\", \"" RS_DIR "/RD_beam2.dcm\"]", 1);
  expect_refused(cas, "DoseSummationType (3004,000A)", "covered twice");
}

Test(real_raystation, beam_doses_summed_equal_plan_dose_closed_form) {
  const char *cas =
      raystation_case("[\"" RS_DIR "/RD_beam1.dcm\", \"" RS_DIR "/RD_beam2.dcm\"]", 1);
  char args[2048];
  cJSON *j = NULL;
  snprintf(args, sizeof args, "case check %s", cas);
  int rc = run_rert_json(args, &j);
  cr_assert_eq(rc, 0, "case check exit %d", rc);
  cr_assert_not_null(j);
  const char *how = json_path_str(j, "courses.0.dose.parts.0.how");
  cr_expect(how && strstr(how, "sum of 2 BEAM"), "%s", how ? how : "(none)");
  cr_expect_eq(json_path_num(j, "courses.0.dose.fractions"), 1);
  cr_expect_str_eq(json_path_str(j, "overrides_applied.0.interlock"), "same_patient");
  cJSON_Delete(j);

  snprintf(args, sizeof args, "accumulate %s --out %s/acc", cas, tmp());
  rc = run_rert_json(args, &j);
  cr_assert_eq(rc, 0, "accumulate exit %d", rc);
  cr_expect_str_eq(json_path_str(j, "checks.overrides_applied.0.interlock"), "same_patient");
  cJSON_Delete(j);
  rert_rtdose plan, e, ab;
  rert_err err;
  char p[1200];
  cr_assert_eq(io_read_rtdose(RS_DIR "/RD_plan.dcm", &plan, &err), RERT_OK, "%s", err.msg);
  snprintf(p, sizeof p, "%s/acc/EQD2_proton.dcm", tmp());
  cr_assert_eq(io_read_rtdose(p, &e, &err), RERT_OK, "%s", err.msg);
  snprintf(p, sizeof p, "%s/acc/alpha_beta.dcm", tmp());
  cr_assert_eq(io_read_rtdose(p, &ab, &err), RERT_OK, "%s", err.msg);
  cr_assert(volume_same_geometry(&plan.dose, &e.dose), "EQD2 map not on the dose grid");
  size_t n = volume_count(&plan.dose);
  double worst = 0, dmax = 0;
  for (size_t v = 0; v < n; v++) {
    double D = plan.dose.data[v], a = ab.dose.data[v];
    double want = D * (D / 1.0 + a) / (2.0 + a);
    double d = fabs(e.dose.data[v] - want);
    if (d > worst) worst = d;
    if (D > dmax) dmax = D;
  }
  /* sum of the beams vs the PLAN file: 4.6e-5 Gy (README); EQD2 slope at 2.2 Gy in 1 fraction
   * with a/b >= 2 is < 1.6, plus 32-bit output quantisation */
  cr_expect_lt(worst, 2e-4, "EQD2 of the summed BEAM doses differs from the PLAN dose's by %g Gy", worst);
  cr_expect_gt(dmax, 2.0);
  rtdata_free_rtdose(&plan);
  rtdata_free_rtdose(&e);
  rtdata_free_rtdose(&ab);
}
