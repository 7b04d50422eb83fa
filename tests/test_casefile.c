/* test_casefile.c — case-file loader (docs/case-file.md): valid documents parse to the stated
 * values; each invalid field gives one line naming the file, the JSON path and exit status 2.
 * Expected values are the literals written in the JSON below (the schema is the source). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "rert/casefile.h"

#define MINIMAL_COURSES                                                                    \
  "\"courses\":[{\"id\":\"course1\",\"role\":\"prior\",\"start_date\":\"2019-01-07\","     \
  "\"end_date\":\"2019-02-22\",\"modality\":\"photon\",\"fractions\":35,\"prescription_gy\":70,"  \
  "\"dicom\":{\"rtdose\":\"c1/RD.dcm\"}},"                                                \
  "{\"id\":\"course2\",\"role\":\"planned\",\"start_date\":\"2021-02-22\",\"modality\":\"carbon\","\
  "\"rbe_model\":\"LEM_I\",\"fractions\":22,\"prescription_gy\":55}]"

static int parse(const char *json, rert_case *c, rert_err *err) {
  cJSON *root = cJSON_Parse(json);
  cr_assert_not_null(root, "test JSON must parse: %s", json);
  return casefile_parse(root, "/data/p1/case.json", c, err);
}

static void expect_error(const char *json, const char *needle) {
  rert_case c;
  rert_err err = {{0}};
  int rc = parse(json, &c, &err);
  cr_assert_eq(rc, RERT_EINPUT, "expected exit 2 for: %s", json);
  cr_assert(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
  cr_assert(strstr(err.msg, "/data/p1/case.json: ") == err.msg, "message names the file: %s", err.msg);
  cr_assert(strchr(err.msg, '\n') == NULL, "one line");
}

Test(casefile, minimal_valid_case) {
  rert_case c;
  rert_err err = {{0}};
  int rc = parse("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
                 ",\"clinical\":{\"ecog\":1,\"organ_dysfunction\":{\"feeding_tube\":true}},"
                 "\"structure_map\":{\"Cord\":\"SpinalCord\"},"
                 "\"recovery\":{\"default\":\"none\",\"per_organ\":{\"SpinalCord\":\"s4_stepwise\"}}}",
                 &c, &err);
  cr_assert_eq(rc, RERT_OK, "%s", err.msg);
  cr_assert_eq(c.ncourses, 2);
  cr_assert_eq(c.courses[0].fractions, 35);
  cr_assert_eq(c.courses[1].rbe, RBE_LEM_I);
  cr_assert_eq(c.courses[0].rbe, RBE_PHYSICAL, "photon defaults to PHYSICAL");
  /* relative paths resolve against the case-file directory */
  cr_assert_str_eq(c.courses[0].rtdose, "/data/p1/c1/RD.dcm");
  cr_assert_str_eq(casefile_map_structure(&c, "Cord"), "SpinalCord");
  cr_assert_str_eq(casefile_recovery_model(&c, "SpinalCord"), "s4_stepwise");
  cr_assert_str_eq(casefile_recovery_model(&c, "Brainstem"), "none");
  cr_assert_eq(c.clinical.feeding_tube, CASE_YES);
  cr_assert_eq(c.clinical.tracheostomy, CASE_UNKNOWN, "absent means unknown, not no");
  cr_assert(isnan(c.clinical.age_years));
  cr_assert_str_eq(casefile_reference(&c)->id, "course2");
  /* 2019-02-22 → 2021-02-22 = 731 days = 24.0164 months (days / 30.4375) */
  double m;
  cr_assert_eq(casefile_interval_months(&c, casefile_last_prior(&c), &m, &err), RERT_OK);
  cr_assert_float_eq(m, 731.0 / 30.4375, 1e-9);
  casefile_free(&c);
}

Test(casefile, errors_name_json_path) {
  expect_error("{\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES "}", "$.schema: missing");
  expect_error("{\"schema\":\"rert-case/2\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES "}",
               "$.schema: 'rert-case/2' is not supported");
  expect_error("{\"schema\":\"rert-case/1\"," MINIMAL_COURSES "}", "$.patient: missing");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}}", "$.courses: missing");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"},\"courses\":[]}",
               "$.courses: expected an array of at least one course");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"clinical\":{\"ecgo\":1}}", "$.clinical: unknown field 'ecgo'");
  /* fuzz finding: a key with a newline must not break the one-line message */
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"clinical\":{\"ec\\nog\":1}}", "unknown field 'ec og'");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"clinical\":{\"ecog\":7}}", "$.clinical.ecog: 7 is outside [0, 4]");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"clinical\":{\"p16\":\"yes\"}}", "$.clinical.p16: expected true, false or null");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"clinical\":{\"histology\":\"scc\"}}", "$.clinical.histology: 'scc' is not one of");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"clinical\":{\"recurrence_date\":\"2021-13-01\"}}",
               "$.clinical.recurrence_date: '2021-13-01' is not a valid date");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"},\"courses\":[{\"id\":\"a\","
               "\"role\":\"prior\",\"start_date\":\"2019-01-07\",\"end_date\":\"2019-02-22\","
               "\"modality\":\"photon\",\"fractions\":-3,\"prescription_gy\":70}]}",
               "$.courses[0].fractions: -3 is outside [1, 200]");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"},\"courses\":[{\"id\":\"a\","
               "\"role\":\"prior\",\"start_date\":\"2019-01-07\",\"modality\":\"photon\","
               "\"fractions\":3,\"prescription_gy\":70}]}", "$.courses[0].end_date: missing");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"},\"courses\":[{\"id\":\"a\","
               "\"role\":\"planned\",\"modality\":\"carbon\",\"fractions\":3,\"prescription_gy\":70}]}",
               "$.courses[0].rbe_model: missing");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"},\"courses\":[{\"id\":\"a\","
               "\"role\":\"planned\",\"modality\":\"photon\",\"fractions\":60,\"fractions_per_day\":2,"
               "\"prescription_gy\":72}]}", "$.courses[0].interfraction_interval_h: missing");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"},\"courses\":[{\"id\":\"a\","
               "\"role\":\"prior\",\"start_date\":\"2019-03-07\",\"end_date\":\"2019-02-22\","
               "\"modality\":\"photon\",\"fractions\":3,\"prescription_gy\":70}]}",
               "$.courses[0].end_date: end date is before start_date");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"registrations\":[{\"from\":\"course1\",\"to\":\"course9\",\"type\":\"rigid\"}]}",
               "$.registrations[0].to: 'course9' is not the id of a course");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"registrations\":[{\"from\":\"course1\",\"to\":\"course2\",\"type\":\"deformable\"}]}",
               "a deformable registration needs");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"overrides\":[{\"organ\":\"SpinalCord\"}]}", "$.overrides[0].reason: missing");
  /* typed overrides: shape decides the kind, anything else is refused (never merely shown) */
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"overrides\":[{\"organ\":\"SpinalCord\",\"reason\":\"r\"}]}",
               "$.overrides[0]: expected exactly one of 'interlock'");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"overrides\":[{\"structure\":\"SpinalCord\",\"reason\":\"r\"}]}",
               "$.overrides[0]: a structure override needs alpha_beta_gy and/or recovery");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"overrides\":[{\"structure\":\"SpinalCord\",\"alpha_beta_gy\":0,\"reason\":\"r\"}]}",
               "$.overrides[0].alpha_beta_gy: 0 is outside");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"overrides\":[{\"structure\":\"SpinalCord\",\"alpha_beta_gy\":3,\"reason\":\"r\"},"
               "{\"structure\":\"SpinalCord\",\"recovery\":\"s4_stepwise\",\"reason\":\"r\"}]}",
               "$.overrides[1]: structure 'SpinalCord' is already overridden in $.overrides[0]");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"overrides\":[{\"interlock\":\"same_patient\",\"alpha_beta_gy\":3,\"reason\":\"r\"}]}",
               "$.overrides[0]: unknown field 'alpha_beta_gy'");
  expect_error("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
               ",\"reference_course\":\"c3\"}", "$.reference_course: 'c3' is not the id of a course");
}

Test(casefile, extensions_allowed) {
  rert_case c;
  rert_err err = {{0}};
  int rc = parse("{\"schema\":\"rert-case/1\",\"x_site\":{\"a\":1},\"comment\":\"hi\","
                 "\"patient\":{\"id\":\"P1\",\"x_mrn\":\"7\"}," MINIMAL_COURSES "}", &c, &err);
  cr_assert_eq(rc, RERT_OK, "%s", err.msg);
  casefile_free(&c);
}

Test(casefile, typed_overrides) {
  rert_case c;
  rert_err err = {{0}};
  cJSON *root = cJSON_Parse("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"P1\"}," MINIMAL_COURSES
                            ",\"overrides\":[{\"interlock\":\"dose_implausible\",\"course\":\"course1\","
                            "\"reason\":\"boost plan, checked by hand\"},"
                            "{\"structure\":\"OpticNrv_L\",\"alpha_beta_gy\":2,\"reason\":\"physician\"}]}");
  cr_assert_not_null(root);
  cr_assert_eq(casefile_parse(root, "t/case.json", &c, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(c.noverrides, 2);
  cr_assert_eq(c.override[0].kind, OVERRIDE_INTERLOCK);
  cr_assert_not_null(casefile_find_interlock_override(&c, "dose_implausible", "course1", NULL));
  cr_assert_null(casefile_find_interlock_override(&c, "dose_implausible", "course2", NULL));
  cr_assert_null(casefile_find_interlock_override(&c, "same_patient", "course1", NULL));
  const case_override *so = casefile_find_structure_override(&c, "OpticNrv_L");
  cr_assert_not_null(so);
  cr_assert_float_eq(so->alpha_beta_gy, 2.0, 0);
  cr_assert_eq(so->recovery[0], 0);
  cr_assert_null(casefile_find_structure_override(&c, "OpticNrv_R"));
  casefile_free(&c);
}
