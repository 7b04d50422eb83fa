/* test_assess.c — `rert assess` end to end on the ARS example case files (examples/).
 *
 * Expected values: the RPA class stated by S2 for each vignette (case 1 and 4: III; case 3: II;
 * 2a/2b/5: the §7.1 rule applied by hand to the vignette — 18 months without organ dysfunction
 * → II; 3 years, unresected → II) and the panel's printed categories and medians from
 * domain-reference §8.2, transcribed here independently of data/ars_2022.json.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *run(const char *args, int *status) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s assess %s 2>&1", RERT_BIN, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t k;
  while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
    n += k;
    if (cap - n < 1024) buf = realloc(buf, cap *= 2);
  }
  buf[n] = 0;
  int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return buf;
}

typedef struct {
  const char *file, *kq, *panel;
  int rpa_class;
  int nopt;
  const char *cat[8];
  double median[8];
} expect;

static const expect CASES[] = {
    {"ars_case1.json", "KQ1", "1", 3, 4, {"U", "U", "A", "M*"}, {2, 2, 7, 5}},
    {"ars_case2a.json", "KQ2", "2a", 2, 3, {"A", "M*", "U"}, {8, 5, 2}},
    {"ars_case2b.json", "KQ2", "2b", 2, 5, {"M*", "A", "M*", "M*", "U"}, {5, 7, 5, 5, 2}},
    {"ars_case3.json", "KQ3", "3", 2, 7, {"U", "U", "A", "U", "U", "M*", "M*"}, {2, 2, 8, 3, 3, 5, 5}},
    {"ars_case4.json", "KQ4", "4", 3, 5, {"U", "M*", "M*", "M*", "M"}, {2, 5, 5, 5, 5}},
    {"ars_case5.json", "KQ5", "5", 2, 4, {"M*", "M", "M*", "M"}, {5, 5, 5, 5}},
};

Test(assess, ars_examples_give_panel_ratings_and_rpa) {
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    const expect *e = &CASES[i];
    char args[1024];
    snprintf(args, sizeof args, "%s/examples/%s --json", RERT_SOURCE_DIR, e->file);
    int st;
    char *out = run(args, &st);
    cr_assert_eq(st, 0, "%s: exit %d: %s", e->file, st, out);
    cJSON *d = cJSON_Parse(out);
    cr_assert_not_null(d, "%s: JSON output", e->file);
    const cJSON *rpa = cJSON_GetObjectItem(d, "rpa");
    cr_assert_eq(cJSON_GetObjectItem(rpa, "class")->valueint, e->rpa_class, "%s: RPA class", e->file);
    const cJSON *ars = cJSON_GetObjectItem(d, "ars");
    cr_assert_str_eq(cJSON_GetObjectItem(ars, "key_question")->valuestring, e->kq, "%s", e->file);
    cr_assert_str_eq(cJSON_GetObjectItem(ars, "panel_case")->valuestring, e->panel, "%s", e->file);
    const cJSON *opts = cJSON_GetObjectItem(ars, "options");
    cr_assert_eq(cJSON_GetArraySize(opts), e->nopt, "%s: option count", e->file);
    for (int j = 0; j < e->nopt; j++) {
      const cJSON *o = cJSON_GetArrayItem(opts, j);
      cr_assert_str_eq(cJSON_GetObjectItem(o, "category")->valuestring, e->cat[j], "%s option %d", e->file, j);
      cr_assert_float_eq(cJSON_GetObjectItem(o, "median")->valuedouble, e->median[j], 1e-9, "%s option %d", e->file, j);
      cr_assert(cJSON_GetObjectItem(o, "strength_of_recommendation")->valuestring[0], "SOR present");
    }
    cr_assert(strlen(cJSON_GetObjectItem(rpa, "source")->valuestring) > 10, "RPA carries its citation");
    cJSON_Delete(d);
    free(out);
  }
}

Test(assess, case4_toxicity_from_point_doses) {
  /* carotid: 70 Gy/35 fx → EQD2(3) 70; SBRT 36 Gy/5 fx → 36·(7.2 + 3)/5 = 73.44; sum 143.44 > 130 → high */
  char args[1024];
  snprintf(args, sizeof args, "%s/examples/ars_case4.json --json", RERT_SOURCE_DIR);
  int st;
  char *out = run(args, &st);
  cr_assert_eq(st, 0, "%s", out);
  cJSON *d = cJSON_Parse(out);
  const cJSON *cb = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "toxicity"), "carotid_blowout");
  cr_assert_str_eq(cJSON_GetObjectItem(cb, "tier")->valuestring, "high");
  char *cbs = cJSON_PrintUnformatted(cb);
  cr_assert(strstr(cbs, "143.4") != NULL, "%s", cbs);
  free(cbs);
  /* recurrence f = 1.0 → in-field */
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "recurrence_pattern"), "class")->valuestring, "in-field");
  cJSON_Delete(d);
  free(out);
}

Test(assess, bad_input_exit_2_with_json_path) {
  char dir[] = "/tmp/rert_assess_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[512];
  snprintf(path, sizeof path, "%s/bad.json", dir);
  FILE *f = fopen(path, "w");
  fputs("{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"X\"},\"courses\":[{\"id\":\"c1\",\"role\":\"prior\","
        "\"start_date\":\"2019-01-07\",\"end_date\":\"2019-02-22\",\"modality\":\"photon\",\"fractions\":0,"
        "\"prescription_gy\":70}]}", f);
  fclose(f);
  int st;
  char *out = run(path, &st);
  cr_assert_eq(st, 2);
  cr_assert(strstr(out, "$.courses[0].fractions") != NULL, "%s", out);
  free(out);
  char args[1024];
  snprintf(args, sizeof args, "%s/examples/ars_case1.json --rpa-origin nonsense", RERT_SOURCE_DIR);
  out = run(args, &st);
  cr_assert_eq(st, 2);
  free(out);
  remove(path);
  rmdir(dir);
}

Test(assess, ars_command_rates_histogram) {
  /* §10.7: C2a definitive reRT [1,0,8,3,1,0,0,0,0] → raw median 3, 4 outside > 3 → M*, 5 */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s ars --counts 1,0,8,3,1,0,0,0,0 --json", RERT_BIN);
  FILE *p = popen(cmd, "r");
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  buf[n] = 0;
  cr_assert_eq(pclose(p), 0);
  cJSON *d = cJSON_Parse(buf);
  cr_assert_not_null(d, "%s", buf);
  cr_assert_str_eq(cJSON_GetObjectItem(d, "category")->valuestring, "M*");
  cr_assert_float_eq(cJSON_GetObjectItem(d, "median")->valuedouble, 5.0, 1e-12);
  cr_assert_float_eq(cJSON_GetObjectItem(d, "raw_median")->valuedouble, 3.0, 1e-12);
  cr_assert_eq(cJSON_GetObjectItem(d, "outside_tier")->valueint, 4);
  cJSON_Delete(d);
}

/* Each clinical fact of examples/ars_case3.json removed in turn (then the whole $.clinical
 * block): `rert assess` still exits 0 and makes every assessment it can; one that needs the
 * missing fact says "not assessable: needs $.clinical.X" (histology: the ARS key question), and
 * an assessment that does not use the fact is unchanged (the RPA class without histology is
 * still II, as S2 states for case 3). Exit 2 stays for invalid input (test above). */
Test(assess, each_fact_missing_degrades_per_assessment) {
  char src[1024];
  snprintf(src, sizeof src, "%s/examples/ars_case3.json", RERT_SOURCE_DIR);
  FILE *f = fopen(src, "r");
  cr_assert_not_null(f);
  char *txt = malloc(1 << 16);
  size_t n = fread(txt, 1, (1 << 16) - 1, f);
  txt[n] = 0;
  fclose(f);
  cJSON *base = cJSON_Parse(txt);
  free(txt);
  cr_assert_not_null(base);
  char dir[] = "/tmp/rert_assess_missing_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  const cJSON *clin = cJSON_GetObjectItem(base, "clinical");
  int nkeys = cJSON_GetArraySize(clin);
  cr_assert_geq(nkeys, 15);
  static const char *const parts[] = {"rpa", "intent", "recurrence_pattern", "toxicity", "ars", "trial_sphic"};
  for (int k = 0; k <= nkeys; k++) {
    cJSON *c = cJSON_Duplicate(base, 1);
    char key[64];
    if (k < nkeys) {
      snprintf(key, sizeof key, "%s", cJSON_GetArrayItem(clin, k)->string);
      cJSON_DeleteItemFromObject(cJSON_GetObjectItem(c, "clinical"), key);
    } else {
      snprintf(key, sizeof key, "(whole $.clinical)");
      cJSON_DeleteItemFromObject(c, "clinical");
    }
    char path[512], args[700];
    snprintf(path, sizeof path, "%s/case_%d.json", dir, k);
    char *js = cJSON_Print(c);
    f = fopen(path, "w");
    fputs(js, f);
    fclose(f);
    free(js);
    cJSON_Delete(c);
    snprintf(args, sizeof args, "%s --json", path);
    int st;
    char *out = run(args, &st);
    cr_assert_eq(st, 0, "%s missing: exit %d: %s", key, st, out);
    cJSON *d = cJSON_Parse(out);
    cr_assert_not_null(d, "%s missing: not JSON: %s", key, out);
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
      const cJSON *o = cJSON_GetObjectItem(d, parts[p]);
      cr_assert_not_null(o, "%s missing: no %s", key, parts[p]);
      if (cJSON_IsFalse(cJSON_GetObjectItem(o, "assessable"))) {
        const char *why = cJSON_GetObjectItem(o, "not_assessable")->valuestring;
        cr_assert(strstr(why, "needs $."), "%s missing: %s says '%s'", key, parts[p], why);
      }
    }
    if (!strcmp(key, "histology")) {
      const cJSON *a = cJSON_GetObjectItem(d, "ars");
      cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(a, "assessable")));
      cr_assert(strstr(cJSON_GetObjectItem(a, "not_assessable")->valuestring, "$.clinical.histology"));
      cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "rpa"), "class_label")->valuestring, "II");
      cr_assert_eq(cJSON_GetObjectItem(d, "not_assessable")->valueint, 1);
      /* the text output says so too, and still prints the RPA class */
      free(out);
      out = run(path, &st);
      cr_assert_eq(st, 0);
      cr_assert(strstr(out, "ARS appropriate use: not assessable: needs $.clinical.histology"), "%s", out);
      cr_assert(strstr(out, "MIRI RPA: class II"), "%s", out);
    }
    cJSON_Delete(d);
    free(out);
    remove(path);
  }
  cJSON_Delete(base);
  rmdir(dir);
}
