/* test_verdict_boundaries.c — issue 13 item 7: a value equal to a limit is decided as the source
 * words the limit, whatever float32 storage did to its last bits; every clinical cut-point uses
 * the one documented tolerance (rert/compare.h: equal within 1e-9 + 1e-6 relative).
 *
 * Independent values: EQD2 = D(D/n + a)/(2 + a) by hand (domain-reference §1.1); CARE S0 cord
 * ≤ 60 Gy after 24 months, Jensen cord < 50 Gy with 50 % recovery (S0; data/protocols); the
 * recurrence-pattern vectors of domain-reference §10.7 (0.97 in, 0.95 Dawson in / S4 marginal,
 * 0.50 and 0.20 marginal, 0.19 out); Chen 2017 tiers (§10.7: 95 Gy and 24 months are the
 * cut-points, on the cut-point intermediate); MIRI interval > 24 / ≤ 24 months (§7.1). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/compare.h"
#include "rert/protocol.h"
#include "support/run.h"

Test(compare, tolerance_and_float32) {
  /* 65 stored in float32 and rescaled reads 65.0000027 (issue 13): equal to 65 */
  cr_expect(rert_le(65.0000027, 65.0));
  cr_expect(!rert_lt(65.0000027, 65.0) && !rert_gt(65.0000027, 65.0));
  /* 72 read back as 71.99999455 is equal to 72: "< 72" fails, as it does for 72 exactly */
  cr_expect(!rert_lt(71.99999455, 72.0));
  cr_expect(!protocol_compare(CMP_LT, 71.99999455, 72.0));
  cr_expect(!protocol_compare(CMP_LT, 72.0, 72.0));
  cr_expect(protocol_compare(CMP_LE, 65.0000027, 65.0));
  cr_expect(protocol_compare(CMP_LE, 65.0, 65.0));
  /* a real difference decides: 65.001 > 65, 71.999 < 72 */
  cr_expect(!protocol_compare(CMP_LE, 65.001, 65.0));
  cr_expect(protocol_compare(CMP_LT, 71.999, 72.0));
  cr_expect(protocol_compare(CMP_GE, 94.99999, 95.0) && !protocol_compare(CMP_GT, 95.00001, 95.0));
  /* float32 neighbours of the limit are equal to it */
  float f = 60.0f;
  cr_expect(rert_eq(nextafterf(f, 61.0f), 60.0) && rert_eq(nextafterf(f, 59.0f), 60.0));
  cr_expect(!rert_lt(NAN, 1) && !rert_le(NAN, 1) && !rert_ge(NAN, 1) && rert_cmp(NAN, 1) == 2);
  cr_expect(rert_eq(0.0, 1e-10) && !rert_eq(0.0, 1e-8));
}

static const char *cls(double f, recurrence_boundary b) {
  static recurrence_result r;
  rert_err e;
  cr_assert_eq(recurrence_classify(f, b, &r, &e), RERT_OK, "%s", e.msg);
  return r.label;
}

Test(compare, recurrence_pattern_boundaries) {
  /* §10.7 vectors, and the same ratios computed from float32 volumes (0.6/3.0 cc, 2.85/3.0 cc) */
  float v06 = 0.6f, v285 = 2.85f, v3 = 3.0f;
  double f20 = (double)v06 / (double)v3, f95 = (double)v285 / (double)v3;
  cr_expect_str_eq(cls(0.97, BOUNDARY_DAWSON), "in-field");
  cr_expect_str_eq(cls(0.95, BOUNDARY_DAWSON), "in-field");
  cr_expect_str_eq(cls(0.95, BOUNDARY_S4), "marginal");
  cr_expect_str_eq(cls(f95, BOUNDARY_DAWSON), "in-field", "f = %.10f", f95);
  cr_expect_str_eq(cls(f95, BOUNDARY_S4), "marginal", "f = %.10f (float32 must not make it > 95 %%)", f95);
  cr_expect_str_eq(cls(0.50, BOUNDARY_DAWSON), "marginal");
  cr_expect_str_eq(cls(0.20, BOUNDARY_DAWSON), "marginal");
  cr_expect_str_eq(cls(f20, BOUNDARY_DAWSON), "marginal", "f = %.10f", f20);
  cr_expect_str_eq(cls(f20, BOUNDARY_S4), "marginal");
  cr_expect_str_eq(cls(0.19, BOUNDARY_DAWSON), "out-of-field");
  cr_expect_str_eq(cls(0.9499, BOUNDARY_DAWSON), "marginal");
}

static const char *chen(double months, double dmax) {
  static risk_result r;
  rert_err e;
  cr_assert_eq(risk_brachial_plexus(months, dmax, &r, &e), RERT_OK, "%s", e.msg);
  return risk_tier_name(r.tier);
}

Test(compare, chen_and_miri_cut_points) {
  /* §10.7: (36, 90) low, (18, 100) high, (18, 90) and (36, 100) intermediate */
  cr_expect_str_eq(chen(36, 90), "low");
  cr_expect_str_eq(chen(18, 100), "high");
  cr_expect_str_eq(chen(18, 90), "intermediate");
  cr_expect_str_eq(chen(36, 100), "intermediate");
  /* on the cut-points (95 Gy, 24 months), also as float32 read-backs: intermediate */
  cr_expect_str_eq(chen(36, 95.0), "intermediate");
  cr_expect_str_eq(chen(36, (double)nextafterf(95.0f, 0.0f)), "intermediate");
  cr_expect_str_eq(chen(18, (double)nextafterf(95.0f, 100.0f)), "intermediate");
  cr_expect_str_eq(chen(24.0, 90), "intermediate");
  cr_expect_str_eq(chen(24.0000001, 90), "intermediate");
  cr_expect_str_eq(chen(24.01, 90), "low");
  /* MIRI: class I needs > 24 months, class III ≤ 24 months (resected, dysfunction) */
  rpa_result r;
  rert_err e;
  cr_assert_eq(rpa_classify(24.0, 24.0, CASE_YES, CASE_YES, &r, &e), RERT_OK, "%s", e.msg);
  cr_expect_eq(r.rpa_class, 3, "24 months is <= 24: class III");
  cr_assert_eq(rpa_classify(24.0000001, 24.0000001, CASE_YES, CASE_YES, &r, &e), RERT_OK);
  cr_expect_eq(r.rpa_class, 3, "equal to 24 within the tolerance");
  cr_assert_eq(rpa_classify(24.05, 24.05, CASE_YES, CASE_NO, &r, &e), RERT_OK);
  cr_expect_eq(r.rpa_class, 1);
}

Test(compare, care_interval_condition) {
  /* CARE rows: <= 24 and > 24 months; a float interval of 24 + 1 ulp belongs to <= 24 */
  protocol_interval le = {0, 0, 0, 1, 1, 24}, gt = {1, 0, 24, 0, 0, 0};
  double t = nextafter(24.0, 25.0);
  cr_expect(protocol_interval_applies(&le, t, NULL, 0));
  cr_expect(!protocol_interval_applies(&gt, t, NULL, 0));
  cr_expect(protocol_interval_applies(&gt, 24.01, NULL, 0));
}

/* ---- through the binary: point-dose cases at, above and below the limit ---- */

/* Prior course: cord stated as EQD2 `prior` at a/b 2; planned course 10 Gy / 10 fx to the cord
 * (EQD2(2) = 10·(1 + 2)/4 = 7.5), 0 Gy to the other CARE organs; 30 months apart. The point
 * doses are held as float32 physical dose, so the cumulative value is the limit plus rounding. */
static const char *point_case(double prior) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/case.json", test_tmpdir());
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fprintf(f,
          "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"B\",\"name\":\"b\",\"sex\":\"F\"},"
          "\"courses\":[{\"id\":\"course1\",\"role\":\"prior\",\"start_date\":\"2020-11-04\",\"end_date\":\"2021-02-06\","
          "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":30,\"prescription_gy\":70,"
          "\"point_doses\":{\"SpinalCord\":{\"dose_gy\":%.6f,\"metric\":\"Dmax\",\"quantity\":\"eqd2\",\"alpha_beta_gy\":2}}},"
          "{\"id\":\"course2\",\"role\":\"planned\",\"start_date\":\"2023-08-08\",\"end_date\":\"2023-08-20\","
          "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":10,\"prescription_gy\":30,"
          "\"point_doses\":{\"SpinalCord\":{\"dose_gy\":10,\"metric\":\"Dmax\"},\"Brainstem\":{\"dose_gy\":0,\"metric\":\"Dmax\"},"
          "\"OpticChiasm\":{\"dose_gy\":0,\"metric\":\"Dmax\"},\"OpticNrv_L\":{\"dose_gy\":0,\"metric\":\"Dmax\"},"
          "\"OpticNrv_R\":{\"dose_gy\":0,\"metric\":\"Dmax\"}}}],"
          "\"recovery\":{\"default\":\"none\"}}\n",
          prior);
  fclose(f);
  return path;
}

static double cord_row(const cJSON *j, const char *id, const char **verdict) {
  const cJSON *ev, *r;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(j, "evaluations"))
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(ev, "constraints"))
      if (!strcmp(cJSON_GetObjectItem(r, "id")->valuestring, id)) {
        *verdict = cJSON_GetObjectItem(r, "verdict")->valuestring;
        return cJSON_GetObjectItem(r, "value")->valuedouble;
      }
  cr_assert_fail("row %s missing", id);
  return NAN;
}

static int run_case(double prior, const char *protocol, const char *id, double *value, const char **verdict,
                    cJSON **j) {
  char args[1400];
  snprintf(args, sizeof args, "evaluate %s --protocol %s", point_case(prior), protocol);
  int rc = run_rert_json(args, j);
  cr_assert_not_null(*j);
  *value = cord_row(*j, id, verdict);
  return rc;
}

Test(verdict_boundaries, care_cord_at_above_below_60) {
  double v;
  const char *vd;
  cJSON *j;
  /* 52.5 + 7.5 = 60 = the limit "<= 60": PASS whatever float32 did */
  cr_expect_eq(run_case(52.5, "care_s0", "cord_gt24", &v, &vd, &j), 0);
  cr_expect_float_eq(v, 60.0, 1e-4);
  cr_expect_str_eq(vd, "PASS", "value %.9f", v);
  cJSON_Delete(j);
  cr_expect_eq(run_case(52.51, "care_s0", "cord_gt24", &v, &vd, &j), 1);
  cr_expect_float_eq(v, 60.01, 1e-4);
  cr_expect_str_eq(vd, "FAIL");
  cJSON_Delete(j);
  cr_expect_eq(run_case(52.49, "care_s0", "cord_gt24", &v, &vd, &j), 0);
  cr_expect_str_eq(vd, "PASS");
  cJSON_Delete(j);
}

Test(verdict_boundaries, jensen_cord_strict_below_50) {
  double v;
  const char *vd;
  cJSON *j;
  /* Jensen: 50 % of the prior kept. 85/2 + 7.5 = 50: "< 50" FAILS (equal is not less) */
  run_case(85.0, "jensen2015", "cord_cum", &v, &vd, &j);
  cr_expect_float_eq(v, 50.0, 1e-4);
  cr_expect_str_eq(vd, "FAIL", "value %.9f", v);
  cJSON_Delete(j);
  run_case(84.98, "jensen2015", "cord_cum", &v, &vd, &j); /* 49.99 */
  cr_expect_str_eq(vd, "PASS");
  cJSON_Delete(j);
}

/* `rert assess` decides the recurrence pattern on both sides of each boundary (§10.7). */
Test(verdict_boundaries, assess_recurrence_pattern) {
  static const double f[] = {0.97, 0.95, 0.95, 0.2, 0.19};
  static const char *const b[] = {"dawson", "dawson", "s4", "dawson", "dawson"};
  static const char *const want[] = {"in-field", "in-field", "marginal", "marginal", "out-of-field"};
  char src[1024];
  snprintf(src, sizeof src, "%s/examples/ars_case4.json", RERT_SOURCE_DIR);
  FILE *in = fopen(src, "r");
  cr_assert_not_null(in);
  char buf[16384];
  size_t n = fread(buf, 1, sizeof buf - 1, in);
  fclose(in);
  buf[n] = 0;
  char *p = strstr(buf, "\"recurrence_overlap_fraction\": 1.0");
  cr_assert_not_null(p, "ars_case4.json states f = 1.0");
  for (int k = 0; k < 5; k++) {
    char path[1024], args[1400];
    snprintf(path, sizeof path, "%s/case.json", test_tmpdir());
    FILE *o = fopen(path, "w");
    fprintf(o, "%.*s\"recurrence_overlap_fraction\": %.2f%s", (int)(p - buf), buf, f[k],
            p + strlen("\"recurrence_overlap_fraction\": 1.0"));
    fclose(o);
    snprintf(args, sizeof args, "assess %s --boundary %s", path, b[k]);
    cJSON *j = NULL;
    cr_assert_eq(run_rert_json(args, &j), 0, "%s", args);
    cr_assert_not_null(j);
    cr_expect_str_eq(json_path_str(j, "recurrence_pattern.class"), want[k], "f %.2f %s", f[k], b[k]);
    cJSON_Delete(j);
  }
}
