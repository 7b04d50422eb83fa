/* test_compare_consult.c — the consult of a case with candidate courses (issue 17): the
 * candidates are compared first; the detailed sections describe the rank-1 candidate (or the one
 * named by --candidate) as the planned course; the comparison is its own section in report.json,
 * report.html and report.pdf; the exit status is the described candidate's verdict. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/box_case.h"
#include "support/run.h"

static void regions(box_course *c, double ptv, double cord, double carotid) {
  c->nregions = 0;
  c->region[c->nregions++] = box_region_around("PTV", 9, ptv);
  c->region[c->nregions++] = box_region_around("SpinalCord", 9, cord);
  c->region[c->nregions++] = box_region_around("A_Carotid_R", 9, carotid);
}

static cJSON *load_json(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
  b[n] = 0;
  fclose(f);
  cJSON *j = cJSON_Parse(b);
  free(b);
  cr_assert_not_null(j, "%s", path);
  return j;
}

static const cJSON *section(const cJSON *doc, const char *id) {
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "sections"))
    if (!strcmp(cJSON_GetObjectItem(s, "id")->valuestring, id)) return s;
  return NULL;
}

Test(compare_consult, consult_describes_rank1_and_compares_all, .timeout = 900) {
  const char *dir = test_tmpdir();
  box_course c[3] = {
      {.id = "prior", .role = "prior", .modality = "photon", .technique = "IMRT", .fractions = 30, .prescription_gy = 60,
       .start = "2019-01-07", .end = "2019-02-15", .background_gy = 5},
      {.id = "A", .role = "candidate", .modality = "photon", .technique = "VMAT", .fractions = 25, .prescription_gy = 50,
       .start = "2024-03-04", .end = "2024-04-05", .background_gy = 2, .with_structures = 1},
      {.id = "B", .role = "candidate", .modality = "photon", .technique = "VMAT", .fractions = 25, .prescription_gy = 50,
       .start = "2024-03-04", .end = "2024-04-05", .background_gy = 2}};
  regions(&c[0], 60, 30, 50);
  regions(&c[1], 50, 20, 30);
  regions(&c[2], 50, 10, 30);
  char cp[1200];
  rert_err e;
  cr_assert_eq(box_case_write(dir, c, 3, "\"protocols\":[\"care_s0\"]", cp, sizeof cp, &e), 0, "%s", e.msg);
  /* care_s0 > 24 months: cord Dmax <= 60 (a/b 2): A 36.5 (39.2 %), B 28.5 (52.5 %); brainstem
   * absent -> the smallest margins are the cord rows: B is rank 1 */
  char out[1300], args[3000];
  snprintf(out, sizeof out, "%s/consult", dir);
  snprintf(args, sizeof args, "consult %s --out %s --uncertainty-mm 0 --no-progress --created 2026-01-01T00:00:00Z", cp, out);
  char *o = NULL, *er = NULL;
  int rc = run_rert(args, &o, &er);
  cr_assert(rc == 0 || rc == 4, "exit %d: %s", rc, er);
  free(o), free(er);
  char p[1400];
  snprintf(p, sizeof p, "%s/report.json", out);
  cJSON *doc = load_json(p);
  cr_assert_not_null(section(doc, "candidates"));
  cr_assert_not_null(section(doc, "candidates_rows"));
  cr_assert_not_null(section(doc, "candidates_metrics"));
  cr_assert_not_null(section(doc, "candidates_dvh"));
  cr_assert_str_eq(json_path_str(doc, "candidates.ranking.order.0.id"), "B");
  /* the detailed sections: B is the planned course; its cord row */
  const cJSON *courses = section(doc, "courses"), *b, *row;
  int planned_b = 0;
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(courses, "blocks"))
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(b, "rows")) {
      const cJSON *id = cJSON_GetObjectItem(row, "course_id"), *role = cJSON_GetObjectItem(row, "role");
      if (cJSON_IsString(id) && !strcmp(id->valuestring, "B") && cJSON_IsString(role) && !strcmp(role->valuestring, "planned"))
        planned_b = 1;
      cr_assert(!(cJSON_IsString(id) && !strcmp(id->valuestring, "A")), "the other candidate is not a course of the detailed sections");
    }
  cr_assert(planned_b, "B is described as the planned course");
  double cord = NAN;
  const cJSON *cons = section(doc, "constraints");
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(cons, "blocks"))
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(b, "rows")) {
      const cJSON *id = cJSON_GetObjectItem(row, "constraint_id");
      if (cJSON_IsString(id) && !strcmp(id->valuestring, "cord_gt24")) cord = cJSON_GetObjectItem(row, "value")->valuedouble;
    }
  cr_assert_float_eq(cord, 28.5, 1e-4);
  cJSON_Delete(doc);
  snprintf(p, sizeof p, "%s/report.html", out);
  FILE *f = fopen(p, "r");
  cr_assert_not_null(f);
  char *html = malloc(1 << 24);
  size_t n = fread(html, 1, (1 << 24) - 1, f);
  html[n] = 0;
  fclose(f);
  cr_assert(strstr(html, "Candidate comparison") && strstr(html, "Candidates: DVH overlays"));
  free(html);
  /* --candidate A: the detailed sections describe A */
  char out2[1300];
  snprintf(out2, sizeof out2, "%s/consult_a", dir);
  snprintf(args, sizeof args, "consult %s --out %s --uncertainty-mm 0 --no-progress --candidate A", cp, out2);
  rc = run_rert(args, NULL, NULL);
  cr_assert(rc == 0 || rc == 4, "exit %d", rc);
  snprintf(p, sizeof p, "%s/report.json", out2);
  doc = load_json(p);
  cons = section(doc, "constraints");
  cord = NAN;
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(cons, "blocks"))
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(b, "rows")) {
      const cJSON *id = cJSON_GetObjectItem(row, "constraint_id");
      if (cJSON_IsString(id) && !strcmp(id->valuestring, "cord_gt24")) cord = cJSON_GetObjectItem(row, "value")->valuedouble;
    }
  cr_assert_float_eq(cord, 36.5, 1e-4);
  cJSON_Delete(doc);
}
