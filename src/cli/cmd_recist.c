/* cmd_recist.c — `rert recist FILE.csv`: per-visit RECIST 1.1 (or S3-legacy) response and best
 * overall response for one or many patients (reference §9.6). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/data.h"
#include "rert/recist.h"
#include "stats/csvtable.h"

static const rert_opt opts[] = {
    {"rule", OPT_STR, "recist1.1", "recist1.1 or s3-legacy (no 5 mm rule, no node rule)", NULL, 0},
    {"confirm-days", OPT_NUM, "0", "CR/PR need a confirming assessment at least this many days later (0 = off)", "d", 1},
    {"min-sd-days", OPT_NUM, "0", "SD counts as best response only this many days after baseline", "d", 1},
    {0}};

typedef struct {
  char id[64];
  int r0, r1; /* row range in the sorted order */
} patient;

static const rert_csv *g_t;
static int g_cp, g_cd;
static int cmp_rows(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  if (g_cp >= 0) {
    int c = strcmp(csv_get(g_t, x, g_cp), csv_get(g_t, y, g_cp));
    if (c) return c;
  }
  double u = strtod(csv_get(g_t, x, g_cd), NULL), v = strtod(csv_get(g_t, y, g_cd), NULL);
  if (u != v) return u < v ? -1 : 1;
  return x - y;
}

static int assess_patient(const rert_csv *t, const int *rows, int nr, int cl, int ck, int cn,
                          int cm, int cs, const rert_recist_criteria *crit, double confirm,
                          double minsd, const char *pid, cJSON *jarr, rert_err *err) {
  int rc = RERT_OK;
  /* visits */
  double days[512];
  int nv = 0;
  for (int i = 0; i < nr; i++) {
    double d = strtod(csv_get(t, rows[i], g_cd), NULL);
    if (nv == 0 || d != days[nv - 1]) {
      if (nv == 512) return rert_err_set(err, RERT_EINPUT, "%s: more than 512 visits", pid);
      days[nv++] = d;
    }
  }
  /* target lesions at baseline */
  const char *tid[64];
  int tnode[64], ntg = 0, has_nt = 0;
  for (int i = 0; i < nr; i++) {
    int r = rows[i];
    if (strtod(csv_get(t, r, g_cd), NULL) != days[0]) break;
    const char *k = csv_get(t, r, ck);
    if (!strcmp(k, "target")) {
      if (ntg == 64) return rert_err_set(err, RERT_EINPUT, "%s: more than 64 target lesions", pid);
      tid[ntg] = cl >= 0 && csv_get(t, r, cl) ? csv_get(t, r, cl) : "";
      tnode[ntg] = cn >= 0 && csv_get(t, r, cn) ? atoi(csv_get(t, r, cn)) != 0 : 0;
      ntg++;
    } else if (!strcmp(k, "nontarget")) {
      has_nt = 1;
    }
  }
  double *mm = malloc((size_t)nv * (ntg + 1) * sizeof *mm);
  rert_recist_visit *v = calloc((size_t)nv, sizeof *v);
  rert_recist_assessment *as = calloc((size_t)nv, sizeof *as);
  if (!mm || !v || !as) {
    free(mm), free(v), free(as);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int i = 0; i < nv * (ntg + 1); i++) mm[i] = NAN;
  for (int j = 0; j < nv; j++) {
    v[j].day = days[j];
    v[j].ntarget = ntg;
    v[j].target_mm = mm + (size_t)j * (ntg + 1);
    v[j].target_node = tnode;
    v[j].nontarget = has_nt ? RECIST_NT_NE : RECIST_NT_NONE;
  }
  int j = -1;
  double cur = NAN;
  int nt_seen = 0;
  for (int i = 0; i < nr && !rc; i++) {
    int r = rows[i];
    double d = strtod(csv_get(t, r, g_cd), NULL);
    if (d != cur) {
      j++, cur = d, nt_seen = 0;
    }
    const char *k = csv_get(t, r, ck), *st = cs >= 0 ? csv_get(t, r, cs) : NULL;
    if (!strcmp(k, "target")) {
      const char *id = cl >= 0 && csv_get(t, r, cl) ? csv_get(t, r, cl) : "";
      int q = -1;
      for (int m = 0; m < ntg; m++)
        if (!strcmp(tid[m], id)) q = m;
      if (q < 0) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: target lesion '%s' not measured at "
                          "baseline", t->path, r + 2, id);
        break;
      }
      const char *s = cm >= 0 ? csv_get(t, r, cm) : NULL;
      if (s) {
        char *end;
        double x = strtod(s, &end);
        if (end == s || *end || x < 0) {
          rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: diameter_mm '%s' is not a size >= 0",
                            t->path, r + 2, s);
          break;
        }
        mm[(size_t)j * (ntg + 1) + q] = x;
      }
    } else if (!strcmp(k, "nontarget")) {
      rert_recist_nt s = RECIST_NT_NE;
      if (st && !strcmp(st, "absent")) s = RECIST_NT_ABSENT;
      else if (st && !strcmp(st, "present")) s = RECIST_NT_PRESENT;
      else if (st && !strcmp(st, "pd")) s = RECIST_NT_PD;
      else if (st && strcmp(st, "ne")) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: non-target status '%s' is not absent, "
                          "present, pd or ne", t->path, r + 2, st);
        break;
      }
      /* worst status of the visit: pd > ne > present > absent */
      static const int sev[] = {0, 1, 2, 4, 3};
      if (!nt_seen || sev[s] > sev[v[j].nontarget]) v[j].nontarget = s;
      nt_seen = 1;
    } else if (!strcmp(k, "new")) {
      if (!st || strcmp(st, "equivocal")) v[j].new_lesion = 1;
    } else {
      rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: kind '%s' is not target, nontarget or new",
                        t->path, r + 2, k);
    }
  }
  rert_recist_response best = RECIST_NE;
  if (!rc) rc = recist_assess(crit, v, nv, confirm, minsd, as, &best, err);
  if (rc) rert_err_prefix(err, rc, "%s: patient %s", t->path, pid);
  if (!rc) {
    if (jarr) {
      cJSON *o = cJSON_CreateObject(), *va = cJSON_AddArrayToObject(o, "visits");
      cJSON_AddStringToObject(o, "patient", pid);
      for (int q = 0; q < nv; q++) {
        cJSON *e = cJSON_CreateObject();
        json_add_num(e, "day", v[q].day);
        json_add_num(e, "sum_mm", as[q].sum_mm);
        json_add_num(e, "change_from_baseline", as[q].change_from_baseline);
        json_add_num(e, "change_from_nadir", as[q].change_from_nadir);
        cJSON_AddStringToObject(e, "target", q ? recist_response_name(as[q].target) : "baseline");
        cJSON_AddStringToObject(e, "nontarget", q ? recist_response_name(as[q].nontarget) : "baseline");
        cJSON_AddBoolToObject(e, "new_lesion", v[q].new_lesion);
        cJSON_AddStringToObject(e, "overall", q ? recist_response_name(as[q].overall) : "baseline");
        cJSON_AddItemToArray(va, e);
      }
      cJSON_AddStringToObject(o, "best_overall_response", recist_response_name(best));
      cJSON_AddItemToArray(jarr, o);
    } else {
      printf("\npatient %s\n%8s %9s %9s %9s %8s %14s %4s %14s\n", pid, "day", "sum_mm", "vs_base",
             "vs_nadir", "target", "non-target", "new", "overall");
      for (int q = 0; q < nv; q++)
        printf("%8g %9.1f %8.1f%% %8.1f%% %8s %14s %4s %14s\n", v[q].day, as[q].sum_mm,
               100 * as[q].change_from_baseline, 100 * as[q].change_from_nadir,
               q ? recist_response_name(as[q].target) : "-",
               q ? recist_response_name(as[q].nontarget) : "-", v[q].new_lesion ? "yes" : "",
               q ? recist_response_name(as[q].overall) : "baseline");
      printf("best overall response: %s\n", recist_response_name(best));
    }
  }
  free(mm), free(v), free(as);
  return rc;
}

static int run(const rert_args *a, rert_err *err) {
  rert_recist_criteria crit;
  double confirm, minsd;
  int rc;
  if ((rc = recist_criteria_load(cli_str(a, "rule"), &crit, err)) ||
      (rc = cli_num(a, "confirm-days", &confirm, err)) ||
      (rc = cli_num(a, "min-sd-days", &minsd, err)))
    return rc;
  rert_csv t;
  if ((rc = csv_read_file(cli_pos(a, 0), &t, err))) return rc;
  int cd = csv_column(&t, "day", err), ck = cd >= 0 ? csv_column(&t, "kind", err) : -1;
  if (cd < 0 || ck < 0) {
    csv_free(&t);
    return RERT_EINPUT;
  }
  int cp = -1, cl = -1, cn = -1, cm = -1, cs = -1;
  for (int i = 0; i < t.ncol; i++) {
    const char *h = t.header[i];
    if (!strcmp(h, "patient")) cp = i;
    if (!strcmp(h, "lesion")) cl = i;
    if (!strcmp(h, "node")) cn = i;
    if (!strcmp(h, "diameter_mm")) cm = i;
    if (!strcmp(h, "status")) cs = i;
  }
  int *rows = malloc((size_t)(t.nrow + 1) * sizeof *rows);
  if (!rows) {
    csv_free(&t);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  int nr = 0;
  for (int r = 0; r < t.nrow; r++) {
    double d;
    if ((rc = csv_number(&t, r, cd, &d, err))) break;
    if (!csv_get(&t, r, ck)) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: kind is empty", t.path, r + 2);
      break;
    }
    if (cp >= 0 && !csv_get(&t, r, cp)) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: patient is empty", t.path, r + 2);
      break;
    }
    rows[nr++] = r;
  }
  if (!rc && nr == 0) rc = rert_err_set(err, RERT_EINPUT, "%s: no rows", t.path);
  cJSON *root = NULL, *arr = NULL;
  if (!rc) {
    g_t = &t, g_cp = cp, g_cd = cd;
    qsort(rows, (size_t)nr, sizeof *rows, cmp_rows);
    if (cli_json(a)) {
      root = cJSON_CreateObject();
      cJSON_AddStringToObject(root, "rule", crit.name);
      arr = cJSON_AddArrayToObject(root, "patients");
    } else {
      printf("Response assessment: %s\n", crit.name);
    }
    for (int i = 0; i < nr && !rc;) {
      int j = i;
      while (j < nr && (cp < 0 || !strcmp(csv_get(&t, rows[j], cp), csv_get(&t, rows[i], cp))))
        j++;
      rc = assess_patient(&t, rows + i, j - i, cl, ck, cn, cm, cs, &crit, confirm, minsd,
                          cp >= 0 ? csv_get(&t, rows[i], cp) : "1", arr, err);
      i = j;
    }
  }
  if (root) {
    if (!rc) cli_print_json(root);
    else cJSON_Delete(root);
  }
  free(rows);
  csv_free(&t);
  return rc;
}

const rert_cmd rert_cmd_recist = {
    "recist",
    "RECIST 1.1 (or S3-legacy) response per visit and best overall response",
    "FILE.csv",
    "Reads one row per lesion per visit with columns day (days from baseline; the first day of a "
    "patient is baseline), kind (target, nontarget, new), lesion (id), node (1 = lymph node, "
    "short axis), diameter_mm (targets; empty = not measured), status (non-target: absent, "
    "present, pd, ne; new: equivocal to ignore) and optionally patient. Prints the sum, changes "
    "from baseline and nadir, target/non-target/overall response per visit (RECIST 1.1 Tables "
    "1-2) and the best overall response up to the first PD (reference 9.6). Thresholds are in "
    "data/recist.json.",
    opts,
    "rert recist lesions.csv\nrert recist lesions.csv --rule s3-legacy --json\n"
    "rert recist cohort.csv --confirm-days 28 --min-sd-days 42",
    1,
    1,
    run};
