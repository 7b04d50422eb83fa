/* test_protocol.c — protocol data files, schema validation and metric evaluation.
 * Expected values: the constraint tables of domain-reference §5 / S0 Table 2 / S2 Table 2 and
 * hand-summed voxel volumes. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "rert/protocol.h"

static const protocol_constraint *find(const rert_protocol *p, const char *id) {
  for (int i = 0; i < p->nconstraints; i++)
    if (!strcmp(p->constraints[i].id, id)) return &p->constraints[i];
  return NULL;
}

Test(protocol, every_shipped_file_validates) {
  char **names;
  int n;
  rert_err err = {{0}};
  cr_assert_eq(protocol_names(&names, &n, &err), RERT_OK, "%s", err.msg);
  cr_assert_geq(n, 15);
  for (int i = 0; i < n; i++) {
    rert_protocol p;
    cr_assert_eq(protocol_load(names[i], &p, &err), RERT_OK, "%s: %s", names[i], err.msg);
    cr_assert_str_eq(p.name, names[i], "file name and \"name\" must agree");
    protocol_free(&p);
  }
  protocol_names_free(names, n);
}

/* S0 Table 2 vs S2 Table 2 CARE rows (domain-reference §5.1, §11.1). */
Test(protocol, care_variants_both_present) {
  rert_protocol a, b;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("care_s0", &a, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(protocol_load("care_s2", &b, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(find(&a, "brainstem_gt24")->limit, 72, 1e-12);
  cr_assert_float_eq(find(&b, "brainstem_ge24")->limit, 78, 1e-12);
  cr_assert_float_eq(find(&a, "cord_le24")->limit, 50, 1e-12);
  cr_assert_float_eq(find(&a, "cord_gt24")->limit, 60, 1e-12);
  cr_assert_float_eq(find(&b, "cord_lt24")->limit, 45, 1e-12);
  cr_assert_float_eq(find(&b, "cord_ge24")->limit, 54, 1e-12);
  cr_assert_float_eq(find(&a, "chiasm_gt24")->alpha_beta_gy, 3, 1e-12);
  cr_assert_gt(a.nconflicts, 0);
  cr_assert_gt(b.nconflicts, 0);
  /* S0: <=24 vs >24; exactly 24 months selects the <=24 row */
  cr_assert(protocol_interval_applies(&find(&a, "brainstem_le24")->interval, 24.0, NULL, 0));
  cr_assert(!protocol_interval_applies(&find(&a, "brainstem_gt24")->interval, 24.0, NULL, 0));
  /* S2: <2 y vs >=2 y; exactly 24 months selects the >=2 y row */
  cr_assert(!protocol_interval_applies(&find(&b, "brainstem_lt24")->interval, 24.0, NULL, 0));
  cr_assert(protocol_interval_applies(&find(&b, "brainstem_ge24")->interval, 24.0, NULL, 0));
  protocol_free(&a);
  protocol_free(&b);
}

/* Ng 130/150 %: 54 -> 70.2/81, 45 -> 58.5/67.5, 70 -> 91/105 (domain-reference §10.6). */
Test(protocol, ng_limits) {
  rert_protocol p;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("ng2021_npc", &p, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(find(&p, "brainstem_desirable")->limit, 54 * 1.3, 1e-9);
  cr_assert_float_eq(find(&p, "brainstem_acceptable")->limit, 54 * 1.5, 1e-9);
  cr_assert_float_eq(find(&p, "cord_acceptable")->limit, 45 * 1.5, 1e-9);
  cr_assert_float_eq(find(&p, "temporal_acceptable")->limit, 70 * 1.5, 1e-9);
  cr_assert_eq(find(&p, "brainstem_desirable")->metric.kind, MET_D_CC);
  cr_assert(isnan(find(&p, "brainstem_desirable")->alpha_beta_gy));
  protocol_free(&p);
}

static int parse_str(const char *json, rert_err *err) {
  cJSON *r = cJSON_Parse(json);
  cr_assert_not_null(r);
  rert_protocol p;
  int rc = protocol_from_json(r, "t.json", &p, err);
  cJSON_Delete(r);
  if (!rc) protocol_free(&p);
  return rc;
}

#define HEAD "{\"schema\":\"rert-protocol/1\",\"name\":\"t\",\"title\":\"t\",\"source\":\"x\",\"verified\":true,\"constraints\":[{\"id\":\"c1\",\"organ\":\"Brainstem\",\"metric\":\"Dmax\","
Test(protocol, validation_errors_name_the_field) {
  rert_err err = {{0}};
  cr_assert_eq(parse_str(HEAD "\"limit_gy\":60,\"comparator\":\"<=\",\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"none\",\"source\":\"x\",\"verified\":true}]}", &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(parse_str(HEAD "\"limit_gy\":60,\"comparator\":\"=<\",\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"none\",\"source\":\"x\",\"verified\":true}]}", &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "t.json: constraint c1: comparator"), "%s", err.msg);
  cr_assert_eq(parse_str(HEAD "\"limit_gy\":60,\"comparator\":\"<=\",\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"nonexistent_model\",\"source\":\"x\",\"verified\":true}]}", &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "recovery"), "%s", err.msg);
  cr_assert_eq(parse_str(HEAD "\"limit_gy\":60,\"comparator\":\"<=\",\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"dose\",\"alpha_beta_gy\":2,\"recovery\":\"none\",\"source\":\"x\",\"verified\":true}]}", &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "cumulative limit must be EQD2"), "%s", err.msg);
  cr_assert_eq(parse_str(HEAD "\"limit_gy\":null,\"comparator\":\"<=\",\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"none\",\"source\":\"x\",\"verified\":true}]}", &err), RERT_EINPUT);
  cr_assert_eq(parse_str(HEAD "\"limit_gy\":60,\"comparator\":\"<=\",\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"none\",\"source\":\"x\",\"verified\":true,\"limt\":3}]}", &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "unknown field \"limt\""), "%s", err.msg);
  cr_assert_eq(parse_str(HEAD "\"limit_gy\":60,\"comparator\":\"<=\",\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"none\",\"source\":\"x\"}]}", &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "verified"), "%s", err.msg);
}

Test(protocol, metric_parse) {
  protocol_metric m;
  rert_err err = {{0}};
  cr_assert_eq(protocol_metric_parse("D0.03cc", &m, &err), RERT_OK);
  cr_assert_eq(m.kind, MET_D_CC);
  cr_assert_float_eq(m.param, 0.03, 1e-12);
  cr_assert_eq(protocol_metric_parse("V20Gy[%]", &m, &err), RERT_OK);
  cr_assert_eq(m.kind, MET_V_GY);
  cr_assert(m.volume_in_pct);
  cr_assert_eq(protocol_metric_parse("CV15Gy[cc]", &m, &err), RERT_OK);
  cr_assert_eq(m.kind, MET_CV_GY);
  cr_assert_eq(protocol_metric_parse("D95%", &m, &err), RERT_OK);
  cr_assert_eq(protocol_metric_parse("Dfoo", &m, &err), RERT_EINPUT);
  cr_assert_eq(protocol_metric_parse("V20Gy", &m, &err), RERT_EINPUT);
  cr_assert_eq(protocol_metric_parse("D120%", &m, &err), RERT_EINPUT);
}

/* Four samples, hand-summed: doses 10, 20, 30, 40 Gy with 1, 2, 3, 4 cc (total 10 cc). */
Test(protocol, metric_eval_hand) {
  const double v[] = {30, 10, 40, 20}, w[] = {3, 1, 4, 2};
  protocol_metric m;
  rert_err err = {{0}};
  double r;
  protocol_metric_parse("Dmax", &m, &err);
  protocol_metric_eval(&m, v, w, 4, &r, &err);
  cr_assert_float_eq(r, 40, 1e-12);
  protocol_metric_parse("Dmean", &m, &err);
  protocol_metric_eval(&m, v, w, 4, &r, &err);
  cr_assert_float_eq(r, (30 * 3 + 10 + 160 + 40) / 10.0, 1e-12); /* = 30 */
  protocol_metric_parse("D0.03cc", &m, &err);
  protocol_metric_eval(&m, v, w, 4, &r, &err);
  cr_assert_float_eq(r, 40, 1e-12);
  protocol_metric_parse("D5cc", &m, &err); /* hottest 4 cc at 40, next 3 cc at 30 → 30 */
  protocol_metric_eval(&m, v, w, 4, &r, &err);
  cr_assert_float_eq(r, 30, 1e-12);
  protocol_metric_parse("D95%", &m, &err); /* 9.5 cc reached only in the 10-Gy cc → 10 */
  protocol_metric_eval(&m, v, w, 4, &r, &err);
  cr_assert_float_eq(r, 10, 1e-12);
  protocol_metric_parse("V20Gy[%]", &m, &err); /* 2+3+4 of 10 cc */
  protocol_metric_eval(&m, v, w, 4, &r, &err);
  cr_assert_float_eq(r, 90, 1e-12);
  protocol_metric_parse("CV25Gy[cc]", &m, &err); /* 1 + 2 cc below 25 Gy */
  protocol_metric_eval(&m, v, w, 4, &r, &err);
  cr_assert_float_eq(r, 3, 1e-12);
  const double z[] = {0, 0};
  cr_assert_eq(protocol_metric_eval(&m, v, z, 2, &r, &err), RERT_EINPUT);
}

Test(protocol, organ_laterality) {
  cr_assert(protocol_organ_matches("OpticNrv", "OpticNrv_L"));
  cr_assert(protocol_organ_matches("OpticNrv", "OpticNrv_R"));
  cr_assert(protocol_organ_matches("Brainstem", "Brainstem"));
  cr_assert(!protocol_organ_matches("Brainstem", "Brainstem_Core"));
  cr_assert(!protocol_organ_matches("Parotid_L", "Parotid_R"));
}
