/* cmd_trial.c — `rert trial design|titecrm|simulate`: phase II designs (reference §9.3–9.4) and
 * TITE-CRM dose finding with its simulator (§9.2). See docs/stats.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/data.h"
#include "rert/phase2.h"
#include "rert/titecrm.h"
#include "stats/csvtable.h"

static const rert_opt opts[] = {
    {"p0", OPT_NUM, NULL, "design: uninteresting response/success rate (H0)", "", 0},
    {"p1", OPT_NUM, NULL, "design: desirable rate (H1)", "", 0},
    {"alpha", OPT_NUM, "0.05", "design: maximum one-sided type I error", "", 0},
    {"beta", OPT_NUM, "0.2", "design: maximum type II error (power >= 1 - beta)", "", 0},
    {"nmax", OPT_INT, "100", "design: largest total sample size searched", NULL, 0},
    {"type", OPT_STR, "both", "design: single, simon or both", NULL, 0},
    {"n", OPT_INT, NULL, "design: evaluate the single-stage design with this n (needs --r)", NULL, 0},
    {"r", OPT_INT, NULL, "design: reject H0 if at least r successes of n (A'Hern)", NULL, 0},
    {"simon", OPT_STR, NULL, "design: evaluate the Simon design r1/n1,r/n (stop if <= r1; reject if > r)", NULL, 0},
    {"skeleton", OPT_LIST, NULL, "titecrm/simulate: prior pDLT per level, e.g. 0.05,0.10,0.20,0.30,0.40,0.50", NULL, 0},
    {"target", OPT_NUM, "0.25", "titecrm/simulate: target DLT probability", "", 0},
    {"patients", OPT_STR, NULL, "titecrm: CSV with columns level,dlt,followup[,weight] in enrolment order", NULL, 0},
    {"model", OPT_STR, "empiric", "titecrm/simulate: empiric (power) or logistic", NULL, 0},
    {"prior-var", OPT_NUM, "1.34", "titecrm/simulate: variance of the normal prior on beta", "", 0},
    {"intercept", OPT_NUM, "3", "titecrm/simulate: logistic model intercept a0", "", 0},
    {"rule", OPT_STR, "s3", "titecrm/simulate: s3 (highest level with pDLT <= target) or closest (dfcrm)", NULL, 0},
    {"window", OPT_NUM, "6", "titecrm/simulate: observation window, in the unit of the followup column", "", 0},
    {"start-level", OPT_INT, "2", "titecrm/simulate: starting level (1-based)", NULL, 0},
    {"start-cohort", OPT_INT, "4", "titecrm/simulate: patients treated at the start level first", NULL, 0},
    {"max-step", OPT_INT, "1", "titecrm/simulate: maximum escalation between consecutive patients", NULL, 0},
    {"no-restrictions", OPT_FLAG, NULL, "titecrm/simulate: use the model's choice directly (dfcrm behaviour)", NULL, 0},
    {"no-complete-requirement", OPT_FLAG, NULL, "titecrm/simulate: escalate without a completed DLT-free patient", NULL, 0},
    {"conf-level", OPT_NUM, "0.9", "titecrm: level of the pDLT interval (dfcrm default 0.9)", "", 0},
    {"doses", OPT_LIST, NULL, "final: dose of each level (e.g. total GyE 52.5,55,...) for the logistic fit", NULL, 0},
    {"true", OPT_LIST, NULL, "simulate: true pDLT per level", NULL, 0},
    {"trials", OPT_INT, "1000", "simulate: number of simulated trials", NULL, 0},
    {"n-patients", OPT_INT, "25", "simulate: patients per trial", NULL, 0},
    {"arrival-gap", OPT_NUM, "0.25", "simulate: time between enrolments (unit of --window)", "", 0},
    {"seed", OPT_INT, "20261123", "simulate: random seed", NULL, 0},
    {0}};

static int num_list(const rert_args *a, const char *name, double *v, int max, int *n,
                    rert_err *err) {
  *n = cli_list_count(a, name);
  if (*n == 0) return rert_err_set(err, RERT_EINPUT, "--%s is required", name);
  if (*n > max) return rert_err_set(err, RERT_EINPUT, "--%s: at most %d values", name, max);
  for (int i = 0; i < *n; i++) {
    const char *s = cli_list_item(a, name, i);
    char *end;
    v[i] = strtod(s, &end);
    if (end == s || *end || !isfinite(v[i]))
      return rert_err_set(err, RERT_EINPUT, "--%s: '%s' is not a number", name, s);
  }
  return RERT_OK;
}

static void add_single(cJSON *o, const rert_single_design *d) {
  cJSON_AddNumberToObject(o, "n", d->n);
  cJSON_AddNumberToObject(o, "r", d->r);
  json_add_num(o, "alpha", d->alpha);
  json_add_num(o, "power", d->power);
}

static void add_simon(cJSON *o, const rert_simon_design *d) {
  cJSON_AddNumberToObject(o, "r1", d->r1);
  cJSON_AddNumberToObject(o, "n1", d->n1);
  cJSON_AddNumberToObject(o, "r", d->r);
  cJSON_AddNumberToObject(o, "n", d->n);
  json_add_num(o, "alpha", d->alpha);
  json_add_num(o, "power", d->power);
  json_add_num(o, "pet0", d->pet0);
  json_add_num(o, "en0", d->en0);
  json_add_num(o, "pet1", d->pet1);
  json_add_num(o, "en1", d->en1);
}

static void print_simon(const char *what, const rert_simon_design *d) {
  printf("%-9s r1/n1 = %d/%d, r/N = %d/%d: alpha = %.6f, power = %.6f, PET(p0) = %.6f, "
         "EN(p0) = %.6f\n", what, d->r1, d->n1, d->r, d->n, d->alpha, d->power, d->pet0, d->en0);
}

static int run_design(const rert_args *a, rert_err *err) {
  double p0, p1, al, be;
  int nmax, rc;
  if (!cli_has(a, "p0") || !cli_has(a, "p1"))
    return rert_err_set(err, RERT_EINPUT, "design needs --p0 and --p1");
  if ((rc = cli_num(a, "p0", &p0, err)) || (rc = cli_num(a, "p1", &p1, err)) ||
      (rc = cli_num(a, "alpha", &al, err)) || (rc = cli_num(a, "beta", &be, err)) ||
      (rc = cli_int(a, "nmax", &nmax, err)))
    return rc;
  const char *type = cli_str(a, "type");
  int want_single = !strcmp(type, "single") || !strcmp(type, "both");
  int want_simon = !strcmp(type, "simon") || !strcmp(type, "both");
  if (!want_single && !want_simon)
    return rert_err_set(err, RERT_EINPUT, "--type: '%s' is not single, simon or both", type);
  cJSON *root = cli_json(a) ? cJSON_CreateObject() : NULL;
  int verdict = RERT_OK;
  if (root) {
    json_add_num(root, "p0", p0);
    json_add_num(root, "p1", p1);
    json_add_num(root, "alpha_max", al);
    json_add_num(root, "beta_max", be);
  } else {
    printf("H0: p <= %g, H1: p >= %g, alpha <= %g, power >= %g (one-sided, exact binomial)\n", p0,
           p1, al, 1 - be);
  }
  /* evaluations of given designs */
  if (cli_has(a, "n") || cli_has(a, "r")) {
    int n, r;
    if (!cli_has(a, "n") || !cli_has(a, "r")) {
      cJSON_Delete(root);
      return rert_err_set(err, RERT_EINPUT, "--n and --r go together");
    }
    rert_single_design d;
    if ((rc = cli_int(a, "n", &n, err)) || (rc = cli_int(a, "r", &r, err)) ||
        (rc = phase2_single_eval(n, r, p0, p1, &d, err))) {
      cJSON_Delete(root);
      return rc;
    }
    int ok = d.alpha <= al && d.power >= 1 - be;
    if (!ok) verdict = RERT_EVERDICT;
    if (root) {
      cJSON *o = cJSON_AddObjectToObject(root, "given_single");
      add_single(o, &d);
      cJSON_AddBoolToObject(o, "meets_constraints", ok);
    } else {
      printf("given single stage: reject H0 if >= %d of %d: alpha = %.6f, power = %.6f -> %s\n",
             r, n, d.alpha, d.power, ok ? "meets both" : "does NOT meet the constraints");
    }
  }
  if (cli_has(a, "simon")) {
    int r1, n1, r, n;
    rert_simon_design d;
    if (sscanf(cli_str(a, "simon"), "%d/%d,%d/%d", &r1, &n1, &r, &n) != 4) {
      cJSON_Delete(root);
      return rert_err_set(err, RERT_EINPUT, "--simon: write r1/n1,r/n, e.g. 12/23,23/37");
    }
    if ((rc = phase2_simon_eval(r1, n1, r, n, p0, p1, &d, err))) {
      cJSON_Delete(root);
      return rc;
    }
    int ok = d.alpha <= al && d.power >= 1 - be;
    if (!ok) verdict = RERT_EVERDICT;
    if (root) {
      cJSON *o = cJSON_AddObjectToObject(root, "given_simon");
      add_simon(o, &d);
      cJSON_AddBoolToObject(o, "meets_constraints", ok);
    } else {
      print_simon("given", &d);
      printf("          -> %s\n", ok ? "meets both" : "does NOT meet the constraints");
    }
  }
  if (want_single) {
    rert_single_design d;
    rc = phase2_single_search(p0, p1, al, be, nmax > 0 ? nmax * 10 : 1000, &d, err);
    if (rc && rc != RERT_EVERDICT) {
      cJSON_Delete(root);
      return rc;
    }
    if (root) {
      if (!rc) add_single(cJSON_AddObjectToObject(root, "single_stage"), &d);
      else cJSON_AddNullToObject(root, "single_stage");
    } else if (!rc) {
      printf("single stage (A'Hern): n = %d, reject H0 if >= %d successes: alpha = %.6f, "
             "power = %.6f\n", d.n, d.r, d.alpha, d.power);
    } else {
      printf("single stage: %s\n", err->msg);
    }
  }
  if (want_simon) {
    rert_simon_design opt, mm;
    rc = phase2_simon_search(p0, p1, al, be, nmax, &opt, &mm, err);
    if (rc && rc != RERT_EVERDICT) {
      cJSON_Delete(root);
      return rc;
    }
    if (root) {
      if (!rc) {
        add_simon(cJSON_AddObjectToObject(root, "simon_optimal"), &opt);
        add_simon(cJSON_AddObjectToObject(root, "simon_minimax"), &mm);
      } else {
        cJSON_AddNullToObject(root, "simon_optimal");
        cJSON_AddNullToObject(root, "simon_minimax");
      }
    } else if (!rc) {
      print_simon("optimal", &opt);
      print_simon("minimax", &mm);
    } else {
      printf("Simon: %s\n", err->msg);
    }
  }
  if (root) cli_print_json(root);
  if (verdict) rert_err_set(err, RERT_EVERDICT, "the given design does not meet alpha/power");
  return verdict;
}

static int read_design(const rert_args *a, rert_crm_design *d, rert_err *err) {
  crm_design_default(d);
  int rc, n;
  if ((rc = num_list(a, "skeleton", d->skeleton, RERT_CRM_MAX_LEVELS, &n, err))) return rc;
  d->nlevels = n;
  const char *m = cli_str(a, "model"), *r = cli_str(a, "rule");
  if (!strcmp(m, "empiric")) d->model = RERT_CRM_EMPIRIC;
  else if (!strcmp(m, "logistic")) d->model = RERT_CRM_LOGISTIC;
  else return rert_err_set(err, RERT_EINPUT, "--model: '%s' is not empiric or logistic", m);
  if (!strcmp(r, "s3")) d->rule = RERT_CRM_RULE_S3;
  else if (!strcmp(r, "closest")) d->rule = RERT_CRM_RULE_CLOSEST;
  else return rert_err_set(err, RERT_EINPUT, "--rule: '%s' is not s3 or closest", r);
  if ((rc = cli_num(a, "target", &d->target, err)) ||
      (rc = cli_num(a, "prior-var", &d->prior_var, err)) ||
      (rc = cli_num(a, "intercept", &d->intercept, err)) ||
      (rc = cli_num(a, "window", &d->window, err)) ||
      (rc = cli_num(a, "conf-level", &d->conf_level, err)) ||
      (rc = cli_int(a, "start-level", &d->start_level, err)) ||
      (rc = cli_int(a, "start-cohort", &d->start_cohort, err)) ||
      (rc = cli_int(a, "max-step", &d->max_step, err)))
    return rc;
  d->restrict_s3 = !cli_flag(a, "no-restrictions");
  d->require_complete = !cli_flag(a, "no-complete-requirement");
  return crm_design_check(d, err);
}

static int read_patients(const char *path, rert_crm_patient **out, int *n, rert_err *err) {
  rert_csv t;
  int rc = csv_read_file(path, &t, err);
  if (rc) return rc;
  int cl = csv_column(&t, "level", err), cd = csv_column(&t, "dlt", err);
  int cf = -1, cw = -1;
  for (int i = 0; i < t.ncol; i++) {
    if (!strcmp(t.header[i], "followup")) cf = i;
    if (!strcmp(t.header[i], "weight")) cw = i;
  }
  if (cl < 0 || cd < 0 || (cf < 0 && cw < 0)) {
    csv_free(&t);
    return rert_err_set(err, RERT_EINPUT, "%s: need columns level, dlt and followup (or weight)",
                        path);
  }
  rert_crm_patient *p = calloc((size_t)t.nrow + 1, sizeof *p);
  if (!p) {
    csv_free(&t);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int r = 0; r < t.nrow; r++) {
    double lv, dl, fu = 0, w = -1;
    if ((rc = csv_number(&t, r, cl, &lv, err)) || (rc = csv_number(&t, r, cd, &dl, err))) break;
    if (cw >= 0 && csv_get(&t, r, cw)) {
      if ((rc = csv_number(&t, r, cw, &w, err))) break;
      if (w < 0) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: weight must be >= 0", path, r + 2);
        break;
      }
    } else if (cf >= 0) {
      if ((rc = csv_number(&t, r, cf, &fu, err))) break;
    } else {
      rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: no weight and no followup", path, r + 2);
      break;
    }
    if (lv != floor(lv) || (dl != 0 && dl != 1)) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: row %d: level must be an integer, dlt 0 or 1",
                        path, r + 2);
      break;
    }
    p[r] = (rert_crm_patient){(int)lv, (int)dl, fu, w};
  }
  *n = t.nrow;
  csv_free(&t);
  if (rc) {
    free(p);
    return rc;
  }
  *out = p;
  return RERT_OK;
}

static int run_titecrm(const rert_args *a, rert_err *err) {
  rert_crm_design d;
  int rc = read_design(a, &d, err);
  if (rc) return rc;
  rert_crm_patient *p = NULL;
  int n = 0;
  if (cli_str(a, "patients") && (rc = read_patients(cli_str(a, "patients"), &p, &n, err)))
    return rc;
  rert_crm_result r;
  rc = crm_recommend(&d, p, n, &r, err);
  if (rc) {
    free(p);
    return rc;
  }
  if (cli_json(a)) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", d.model == RERT_CRM_EMPIRIC ? "empiric" : "logistic");
    cJSON_AddStringToObject(root, "rule", d.rule == RERT_CRM_RULE_S3 ? "s3" : "closest");
    json_add_num(root, "target", d.target);
    json_add_num(root, "prior_var", d.prior_var);
    cJSON_AddNumberToObject(root, "patients", n);
    json_add_num(root, "beta_mean", r.beta_mean);
    json_add_num(root, "beta_var", r.beta_var);
    cJSON *lv = cJSON_AddArrayToObject(root, "levels");
    for (int i = 0; i < d.nlevels; i++) {
      cJSON *o = cJSON_CreateObject();
      int np = 0, nd = 0;
      for (int j = 0; j < n; j++)
        if (p[j].level == i + 1) np++, nd += p[j].dlt;
      cJSON_AddNumberToObject(o, "level", i + 1);
      json_add_num(o, "skeleton", d.skeleton[i]);
      json_add_num(o, "ptox", r.ptox[i]);
      json_add_num(o, "ptox_lower", r.ptox_lower[i]);
      json_add_num(o, "ptox_upper", r.ptox_upper[i]);
      cJSON_AddNumberToObject(o, "patients", np);
      cJSON_AddNumberToObject(o, "dlt", nd);
      cJSON_AddItemToArray(lv, o);
    }
    cJSON_AddNumberToObject(root, "model_level", r.model_level);
    if (r.state == RERT_CRM_NO_ADMISSIBLE) cJSON_AddNullToObject(root, "next_level");
    else cJSON_AddNumberToObject(root, "next_level", r.next_level);
    cJSON_AddStringToObject(root, "state", r.state == RERT_CRM_OK ? "ok" : "no_admissible_dose");
    cJSON_AddStringToObject(root, "note", r.note);
    cli_print_json(root);
  } else {
    printf("TITE-CRM (%s model, prior N(0, %g), %s rule, target %g), %d patient(s)\n",
           d.model == RERT_CRM_EMPIRIC ? "empiric" : "logistic", d.prior_var,
           d.rule == RERT_CRM_RULE_S3 ? "S3 highest-below-target" : "closest", d.target, n);
    printf("posterior mean beta = %.6f, variance = %.6f\n\n", r.beta_mean, r.beta_var);
    printf("%5s %9s %9s %9s %9s %9s %5s\n", "level", "skeleton", "pDLT", "lower", "upper",
           "patients", "DLT");
    for (int i = 0; i < d.nlevels; i++) {
      int np = 0, nd = 0;
      for (int j = 0; j < n; j++)
        if (p[j].level == i + 1) np++, nd += p[j].dlt;
      printf("%5d %9.4f %9.5f %9.5f %9.5f %9d %5d\n", i + 1, d.skeleton[i], r.ptox[i],
             r.ptox_lower[i], r.ptox_upper[i], np, nd);
    }
    printf("(pDLT interval: F at beta -/+ z*sd, %.0f%% level, as dfcrm ptoxL/ptoxU)\n\n",
           d.conf_level * 100);
    if (r.state == RERT_CRM_NO_ADMISSIBLE) printf("NO ADMISSIBLE DOSE: %s\n", r.note);
    else {
      printf("model choice: level %d\nnext patient: level %d\n", r.model_level, r.next_level);
      if (r.note[0]) printf("(%s)\n", r.note);
    }
  }
  free(p);
  /* "no admissible dose" is a stop verdict: exit 1 so scripts cannot miss it */
  if (r.state == RERT_CRM_NO_ADMISSIBLE)
    return rert_err_set(err, RERT_EVERDICT, "%s", r.note);
  return RERT_OK;
}

static int run_simulate(const rert_args *a, rert_err *err) {
  rert_crm_design d;
  int rc = read_design(a, &d, err);
  if (rc) return rc;
  rert_crm_sim_spec s = {0};
  int n, seed;
  if ((rc = num_list(a, "true", s.true_ptox, RERT_CRM_MAX_LEVELS, &n, err))) return rc;
  if (n != d.nlevels)
    return rert_err_set(err, RERT_EINPUT, "--true has %d values, --skeleton %d", n, d.nlevels);
  if ((rc = cli_int(a, "trials", &s.n_trials, err)) ||
      (rc = cli_int(a, "n-patients", &s.n_patients, err)) ||
      (rc = cli_num(a, "arrival-gap", &s.arrival_gap, err)) || (rc = cli_int(a, "seed", &seed, err)))
    return rc;
  s.seed = (uint64_t)(int64_t)seed;
  rert_crm_sim_result r;
  if ((rc = crm_simulate(&d, &s, &r, err))) return rc;
  if (cli_json(a)) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "trials", r.n_trials);
    cJSON_AddNumberToObject(root, "seed", seed);
    json_add_num(root, "p_no_admissible_dose", r.p_select[0]);
    cJSON *lv = cJSON_AddArrayToObject(root, "levels");
    for (int i = 0; i < d.nlevels; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "level", i + 1);
      json_add_num(o, "true_ptox", s.true_ptox[i]);
      json_add_num(o, "p_select", r.p_select[i + 1]);
      json_add_num(o, "mean_patients", r.mean_patients[i]);
      json_add_num(o, "mean_dlt", r.mean_dlt[i]);
      cJSON_AddItemToArray(lv, o);
    }
    json_add_num(root, "mean_patients", r.mean_n);
    json_add_num(root, "mean_dlt", r.mean_total_dlt);
    json_add_num(root, "mean_duration", r.mean_duration);
    cli_print_json(root);
  } else {
    printf("TITE-CRM operating characteristics: %d trials of %d patients, seed %d\n", r.n_trials,
           s.n_patients, seed);
    printf("%5s %9s %9s %10s %10s\n", "level", "true", "P(select)", "patients", "DLTs");
    for (int i = 0; i < d.nlevels; i++)
      printf("%5d %9.3f %9.4f %10.3f %10.3f\n", i + 1, s.true_ptox[i], r.p_select[i + 1],
             r.mean_patients[i], r.mean_dlt[i]);
    printf("%5s %9s %9.4f   (stopped: no admissible dose)\n", "none", "", r.p_select[0]);
    printf("mean patients %.3f, mean DLTs %.3f, mean duration %.3f (window units)\n", r.mean_n,
           r.mean_total_dlt, r.mean_duration);
  }
  return RERT_OK;
}

static int run_final(const rert_args *a, rert_err *err) {
  double doses[RERT_CRM_MAX_LEVELS], target, conf;
  int nd, rc;
  if ((rc = num_list(a, "doses", doses, RERT_CRM_MAX_LEVELS, &nd, err)) ||
      (rc = cli_num(a, "target", &target, err)) || (rc = cli_num(a, "conf-level", &conf, err)))
    return rc;
  if (!(target > 0 && target < 1) || !(conf > 0 && conf < 1))
    return rert_err_set(err, RERT_EINPUT, "--target and --conf-level must be in (0, 1)");
  if (!cli_str(a, "patients")) return rert_err_set(err, RERT_EINPUT, "final needs --patients");
  rert_crm_patient *p = NULL;
  int n = 0;
  if ((rc = read_patients(cli_str(a, "patients"), &p, &n, err))) return rc;
  double *x = malloc((size_t)(n + 1) * sizeof *x);
  int *y = malloc((size_t)(n + 1) * sizeof *y);
  if (!x || !y) {
    free(p), free(x), free(y);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int i = 0; i < n && !rc; i++) {
    if (p[i].level < 1 || p[i].level > nd)
      rc = rert_err_set(err, RERT_EINPUT, "%s: patient %d: level %d has no --doses entry",
                        cli_str(a, "patients"), i + 1, p[i].level);
    else x[i] = doses[p[i].level - 1], y[i] = p[i].dlt;
  }
  rert_logit_fit f;
  if (!rc) rc = crm_final_logistic(x, y, n, &f, err);
  free(x), free(y);
  if (rc) {
    free(p);
    return rc;
  }
  /* z for a two-sided interval at conf */
  double z = 0, lo = 0, hi = 10;
  for (int it = 0; it < 200; it++) {
    double mid = (lo + hi) / 2;
    if (0.5 * erfc(mid / sqrt(2.0)) > (1 - conf) / 2) lo = mid;
    else hi = mid;
  }
  z = (lo + hi) / 2;
  double mtd_dose = (log(target / (1 - target)) - f.a) / f.b;
  int rec = 0;
  double pr[RERT_CRM_MAX_LEVELS], pl[RERT_CRM_MAX_LEVELS], pu[RERT_CRM_MAX_LEVELS];
  for (int i = 0; i < nd; i++) {
    crm_logistic_predict(&f, doses[i], z, &pr[i], &pl[i], &pu[i]);
    if (pr[i] <= target) rec = i + 1;
  }
  if (cli_json(a)) {
    cJSON *root = cJSON_CreateObject();
    json_add_num(root, "a", f.a);
    json_add_num(root, "b", f.b);
    json_add_num(root, "se_a", f.se_a);
    json_add_num(root, "se_b", f.se_b);
    json_add_num(root, "loglik", f.loglik);
    json_add_num(root, "dose_at_target", mtd_dose);
    cJSON *lv = cJSON_AddArrayToObject(root, "levels");
    for (int i = 0; i < nd; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "level", i + 1);
      json_add_num(o, "dose", doses[i]);
      json_add_num(o, "ptox", pr[i]);
      json_add_num(o, "ptox_lower", pl[i]);
      json_add_num(o, "ptox_upper", pu[i]);
      cJSON_AddItemToArray(lv, o);
    }
    if (rec) cJSON_AddNumberToObject(root, "recommended_level", rec);
    else cJSON_AddNullToObject(root, "recommended_level");
    cli_print_json(root);
  } else {
    printf("End-of-trial logistic regression (S3): logit p = a + b*dose, %d patients\n", n);
    printf("a = %.6f (SE %.6f), b = %.6f (SE %.6f), log-likelihood %.6f\n", f.a, f.se_a, f.b,
           f.se_b, f.loglik);
    printf("%5s %9s %9s %9s %9s\n", "level", "dose", "pDLT", "lower", "upper");
    for (int i = 0; i < nd; i++)
      printf("%5d %9g %9.5f %9.5f %9.5f\n", i + 1, doses[i], pr[i], pl[i], pu[i]);
    printf("(Wald interval on the logit scale, level %g)\n", conf);
    printf("dose with estimated pDLT = %g: %.4f\n", target, mtd_dose);
    if (rec) printf("recommended level (highest with pDLT <= target): %d\n", rec);
    else printf("no level has estimated pDLT <= target\n");
  }
  free(p);
  return RERT_OK;
}

static int run(const rert_args *a, rert_err *err) {
  const char *what = cli_pos(a, 0);
  if (!strcmp(what, "final")) return run_final(a, err);
  if (!strcmp(what, "design")) return run_design(a, err);
  if (!strcmp(what, "titecrm")) return run_titecrm(a, err);
  if (!strcmp(what, "simulate")) return run_simulate(a, err);
  return rert_err_set(err, RERT_EINPUT, "unknown trial analysis '%s' (design, titecrm, simulate, final)",
                      what);
}

const rert_cmd rert_cmd_trial = {
    "trial",
    "Phase II designs (exact single-stage, Simon two-stage) and TITE-CRM dose finding",
    "design|titecrm|simulate|final",
    "design: exact single-stage (A'Hern, reject H0 if >= r) and Simon optimal/minimax two-stage "
    "searches (clinfun ph2simon equivalent), and exact alpha/power of a given design (--n/--r or "
    "--simon); exit 1 when a given design misses alpha or power (reference 9.3-9.4). titecrm: "
    "posterior (quadrature) and next dose level for the patients so far (reference 9.2; exit 1 "
    "when no dose is admissible); S3 rule "
    "and restrictions by default, dfcrm behaviour with --rule closest --no-restrictions. "
    "simulate: operating characteristics of the design under --true toxicity probabilities. "
    "final: S3's end-of-trial logistic regression of DLT on --doses (maximum likelihood, as R "
    "glm) with pDLT per level and the dose at the target.",
    opts,
    "rert trial design --p0 0.5 --p1 0.7 --n 37 --r 23\n"
    "rert trial design --p0 0.5 --p1 0.7 --type simon\n"
    "rert trial titecrm --skeleton 0.05,0.10,0.20,0.30,0.40,0.50 --target 0.25 --patients pts.csv\n"
    "rert trial simulate --skeleton 0.05,0.1,0.2,0.3,0.4,0.5 --true 0.05,0.1,0.2,0.3,0.4,0.5 "
    "--trials 2000\n"
    "rert trial final --doses 52.5,55,57.5,60,62.5,65 --patients pts.csv --target 0.25",
    1,
    1,
    run};
