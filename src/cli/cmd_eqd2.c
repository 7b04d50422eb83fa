/* cmd_eqd2.c — `rert eqd2`: BED / EQD2 / EQDx of one schedule (domain-reference §1, §2, §4).
 * The point-dose calculator most consults start with: no DICOM, just "46 Gy in 23 fractions". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/schedule.h"
#include "rert/data.h"
#include "rert/radbio.h"
#include "rert/tissue.h"

static const rert_opt eqd2_opts[] = {
    {"dose", OPT_NUM, NULL, "total dose with its unit, e.g. 46Gy or 4600cGy", "Gy", 0},
    {"dose-gy", OPT_NUM, NULL, "total dose in Gy (plain number)", "Gy", 1},
    {"dose-per-fraction", OPT_NUM, NULL, "dose per fraction with unit, e.g. 2Gy (instead of total)", "Gy", 0},
    {"dose-per-fraction-gy", OPT_NUM, NULL, "dose per fraction in Gy (instead of total)", "Gy", 1},
    {"fractions", OPT_INT, NULL, "number of fractions (required unless --fraction-doses-gy, >= 1)", NULL, 0},
    {"fraction-doses-gy", OPT_LIST, NULL, "non-uniform schedule: each fraction's dose in Gy, or COUNTxDOSE runs, e.g. 25x2,5x3", "Gy", 1},
    SCHEDULE_BIO_OPTS,
    {"target-eqd2-gy", OPT_NUM, NULL, "inverse solve: EQD2 to reach; with --fractions gives the dose per fraction, with --dose-per-fraction the number of fractions", "Gy", 1},
    {"target-bed-gy", OPT_NUM, NULL, "inverse solve: BED to reach (as --target-eqd2-gy)", "Gy", 1},
    {"x-gy", OPT_NUM, "2", "reference dose per fraction of EQDx (2 gives EQD2)", "Gy", 1},
    {"modality", OPT_STR, "photon", "photon, proton, carbon, ion or electron", NULL, 0},
    {"rbe-model", OPT_STR, NULL, "RBE model of the dose: PHYSICAL, RBE_FIXED, LEM_I, MKM [default: PHYSICAL for photons, RBE_FIXED for protons]", NULL, 0},
    {"convert-to", OPT_STR, NULL, "convert a carbon RBE-weighted dose to LEM_I or MKM first (Zhang 2020 per-fraction factors)", NULL, 0},
    {"list-tissues", OPT_FLAG, NULL, "list the tissue names, α/β and sources in data/tissues.json", NULL, 0},
    {0}};

static int list_tissues(const rert_args *a, rert_err *err) {
  tissue_params t[128];
  int n;
  int rc = tissue_list(t, 128, &n, err);
  if (rc) return rc;
  if (cli_json(a)) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "id", t[i].id);
      cJSON_AddStringToObject(o, "organ", t[i].organ);
      cJSON_AddStringToObject(o, "endpoint", t[i].endpoint);
      json_add_num(o, "alpha_beta_gy", t[i].alpha_beta_gy);
      json_add_num(o, "repair_halftime_h", t[i].repair_halftime_h);
      cJSON_AddBoolToObject(o, "verified", t[i].verified);
      cJSON_AddStringToObject(o, "source", t[i].source);
      cJSON_AddItemToArray(arr, o);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "tissues", arr);
    cli_print_json(root);
    return RERT_OK;
  }
  printf("%-28s %-14s %8s %6s  %s\n", "id", "organ", "a/b(Gy)", "verif", "source");
  for (int i = 0; i < n; i++)
    printf("%-28s %-14s %8.2f %6s  %s\n", t[i].id, t[i].organ, t[i].alpha_beta_gy,
           t[i].verified ? "yes" : "NO", t[i].source);
  return RERT_OK;
}

/* Inverse problems of domain-reference §1.2: d for a target in n fractions, or n at fixed d. */
static int run_solve(const rert_args *a, rert_err *err) {
  if (cli_has(a, "target-eqd2-gy") && cli_has(a, "target-bed-gy"))
    return rert_err_set(err, RERT_EINPUT, "give --target-eqd2-gy or --target-bed-gy, not both");
  schedule s;
  memset(&s, 0, sizeof s);
  int rc = schedule_bio_from_args(a, NULL, &s, err);
  if (rc) return rc;
  double ab = s.model.alpha_beta_gy, target, bed;
  int is_eqd2 = cli_has(a, "target-eqd2-gy");
  if ((rc = cli_num(a, is_eqd2 ? "target-eqd2-gy" : "target-bed-gy", &target, err))) return rc;
  if (!(target > 0)) return rert_err_set(err, RERT_EINPUT, "the target must be > 0 Gy");
  bed = is_eqd2 ? radbio_eqdx_to_bed(target, 2.0, ab) : target;
  int has_n = cli_has(a, "fractions");
  int has_d = cli_has(a, "dose-per-fraction") || cli_has(a, "dose-per-fraction-gy");
  if (cli_has(a, "dose") || cli_has(a, "dose-gy") || cli_list_count(a, "fraction-doses-gy"))
    return rert_err_set(err, RERT_EINPUT, "an inverse solve takes --fractions or --dose-per-fraction, not a total dose");
  if (has_n == has_d)
    return rert_err_set(err, RERT_EINPUT, "inverse solve: give --fractions N (solves the dose per fraction) or --dose-per-fraction D (solves the number of fractions)");
  double thr;
  if ((rc = radbio_model_dependent_threshold_gy(&thr, err))) return rc;
  cJSON *root = cJSON_CreateObject();
  schedule_bio_to_json(&s, root);
  json_add_num(root, "target_bed_gy", bed);
  json_add_num(root, "target_eqd2_gy", radbio_bed_to_eqdx(bed, 2.0, ab));
  double d = 0, n_real = 0, bed_at = 0;
  int n = 0;
  if (has_n) {
    if ((rc = cli_int(a, "fractions", &n, err)) || (n < 1 && (rc = rert_err_set(err, RERT_EINPUT, "--fractions must be >= 1"))) ||
        (rc = radbio_solve_d_for_bed(bed, n, &s.model, &d, err)) ||
        (rc = radbio_bed_gy(d * n, n, &s.model, &bed_at, err))) {
      cJSON_Delete(root);
      return rc;
    }
    cJSON_AddStringToObject(root, "solved", "dose_per_fraction");
  } else {
    if ((rc = cli_num(a, cli_has(a, "dose-per-fraction-gy") ? "dose-per-fraction-gy" : "dose-per-fraction", &d, err)) ||
        (rc = radbio_solve_n_for_bed(bed, d, &s.model, &n_real, err)) ||
        (rc = radbio_solve_n_for_bed_int(bed, d, &s.model, &n, &bed_at, err))) {
      cJSON_Delete(root);
      return rc;
    }
    cJSON_AddStringToObject(root, "solved", "fractions");
    json_add_num(root, "fractions_real", n_real);
  }
  cJSON_AddNumberToObject(root, "fractions", n);
  json_add_num(root, "dose_per_fraction_gy", d);
  json_add_num(root, "total_dose_gy", d * n);
  json_add_num(root, "bed_gy", bed_at);
  json_add_num(root, "eqd2_gy", radbio_bed_to_eqdx(bed_at, 2.0, ab));
  cJSON_AddBoolToObject(root, "model_dependent", d > thr);
  if (cli_json(a)) {
    cli_print_json(root);
    return RERT_OK;
  }
  printf("α/β           %.4g Gy (%s)\n", ab, s.alpha_beta_source);
  printf("target        BED %.4f Gy = EQD2 %.4f Gy\n", bed, radbio_bed_to_eqdx(bed, 2.0, ab));
  if (has_n)
    printf("solution      %.6f Gy/fx × %d = %.4f Gy\n", d, n, d * n);
  else
    printf("solution      %.6g fractions exactly; %d fractions of %.4g Gy = %.4f Gy (BED %.4f Gy)\n",
           n_real, n, d, d * n, bed_at);
  if (d > thr) printf("WARNING       %.4g Gy/fx > %.4g Gy: LQ value is model-dependent\n", d, thr);
  cJSON_Delete(root);
  return RERT_OK;
}

static int run_eqd2(const rert_args *a, rert_err *err) {
  if (cli_flag(a, "list-tissues")) return list_tissues(a, err);
  if (cli_has(a, "target-eqd2-gy") || cli_has(a, "target-bed-gy")) return run_solve(a, err);
  schedule s;
  int rc = schedule_from_args(a, 1, &s, err);
  double x = 2;
  if (!rc) rc = cli_num(a, "x-gy", &x, err);
  if (rc) {
    schedule_free(&s);
    return rc;
  }
  schedule_result r;
  if ((rc = schedule_evaluate(&s, x, &r, err))) {
    schedule_free(&s);
    return rc;
  }
  if (cli_json(a)) {
    cJSON *root = cJSON_CreateObject();
    schedule_to_json(&s, &r, root);
    cli_print_json(root);
  } else {
    schedule_print(&s, &r, stdout);
  }
  schedule_free(&s);
  return RERT_OK;
}

const rert_cmd rert_cmd_eqd2 = {
    "eqd2",
    "BED, EQD2 and EQDx of a fractionation schedule",
    "",
    "Converts one schedule to BED and EQD2/EQDx (or, with --target-eqd2-gy / --target-bed-gy, solves the dose per fraction or the number of fractions that reach a target) with the linear-quadratic model, using the local "
    "dose per fraction. Options add incomplete repair between same-day fractions (Thames), an "
    "overall-time repopulation term (tumour only), LQ-L above a transition dose, and RBE "
    "weighting/conversion for particle doses. Give α/β directly or a TG-263 tissue name from "
    "data/tissues.json; the α/β used and its source are always printed. Values computed with a "
    "dose per fraction above the data/radbio.json threshold (6 Gy) are flagged model-dependent.",
    eqd2_opts,
    "rert eqd2 --dose 46Gy --fractions 23 --tissue SpinalCord\n"
    "rert eqd2 --dose 72Gy --fractions 60 --alpha-beta-gy 2 --fractions-per-day 2 --interval-h 6 --repair-halftime-h 4\n"
    "rert eqd2 --dose 70Gy --fractions 35 --alpha-beta-gy 10 --time-model pedicini2014\n"
    "rert eqd2 --dose 44Gy --fractions 5 --alpha-beta-gy 10 --lql-dt-gy 6.2 --json\n"
    "rert eqd2 --fraction-doses-gy 25x2,5x3 --tissue SpinalCord\n"
    "rert eqd2 --target-bed-gy 72 --fractions 30 --alpha-beta-gy 10\n"
    "rert eqd2 --target-bed-gy 72 --dose-per-fraction 2.5Gy --alpha-beta-gy 10",
    0,
    0,
    run_eqd2};
