/* cohort_cli.c — printing for `rert cohort analyse` and `rert cohort status` (cmd_cohort.c):
 * the recovery sensitivity table of a dose–response fit, Kaplan–Meier and Cox on columns of the
 * registry's wide table (the same estimators as `rert survival`, src/stats), and the status. */
#include "cli/cohort_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"
#include "rert/survival.h"
#include "stats/csvtable.h"
#include "stats/survdata.h"
#include "stats/survplot.h"

int cohort_cli_count_not_ok(const char *registry, long long run_id, int *n, rert_err *err) {
  cohort_registry *r;
  int rc = cohort_registry_open(registry, 0, &r, err);
  if (rc) return rc;
  rc = cohort_registry_not_ok(r, run_id, n, err);
  cohort_registry_close(r);
  return rc;
}

static void ci_text(char *b, size_t n, const dr_interval *iv, const char *fmt) {
  char lo[32], hi[32];
  if (iv->lo_bounded) snprintf(lo, sizeof lo, fmt, iv->lo);
  else snprintf(lo, sizeof lo, "-inf");
  if (iv->hi_bounded) snprintf(hi, sizeof hi, fmt, iv->hi);
  else snprintf(hi, sizeof hi, "+inf");
  snprintf(b, n, "%s-%s", lo, hi);
}

static cJSON *ci_json(const dr_interval *iv) {
  cJSON *a = cJSON_CreateArray();
  cJSON_AddItemToArray(a, iv->lo_bounded ? cJSON_CreateNumber(iv->lo) : cJSON_CreateNull());
  cJSON_AddItemToArray(a, iv->hi_bounded ? cJSON_CreateNumber(iv->hi) : cJSON_CreateNull());
  return a;
}

static int analyse_dose_response(const rert_args *a, cohort_registry *r, rert_err *err) {
  cohort_dr_spec s;
  memset(&s, 0, sizeof s);
  s.endpoint = cli_str(a, "endpoint");
  s.structure = cli_str(a, "structure");
  if (!s.endpoint || !s.structure)
    return rert_err_set(err, RERT_EINPUT, "analyse dose-response: --endpoint and --structure are required");
  if (cli_list_count(a, "metric") != 1 && cli_has(a, "metric"))
    return rert_err_set(err, RERT_EINPUT, "analyse dose-response: one --metric");
  s.metric = cli_has(a, "metric") ? cli_list_item(a, "metric", 0) : "Dmax";
  int rc = cli_int(a, "grade", &s.grade_min, err);
  if (!rc && (s.grade_min < 1 || s.grade_min > 5)) rc = rert_err_set(err, RERT_EINPUT, "--grade must be 1..5");
  if (!rc) rc = cli_num(a, "conf-level", &s.conf_level, err);
  if (!rc && !(s.conf_level > 0 && s.conf_level < 1)) rc = rert_err_set(err, RERT_EINPUT, "--conf-level must be in (0, 1)");
  if (!rc) rc = cli_num(a, "min-followup-months", &s.min_followup_months, err);
  int pid = 0;
  if (!rc) rc = cli_int(a, "param-set", &pid, err);
  s.param_id = pid;
  const char *bound = cli_str(a, "bound");
  if (!rc && strcmp(bound, "nominal") && strcmp(bound, "worst")) rc = rert_err_set(err, RERT_EINPUT, "--bound: nominal or worst");
  s.worst = !strcmp(bound, "worst");
  s.nmodels = cli_list_count(a, "model");
  if (s.nmodels > 2) s.nmodels = 2;
  for (int i = 0; i < s.nmodels && !rc; i++) rc = dr_model_parse(cli_list_item(a, "model", i), &s.models[i], err);
  if (s.nmodels == 0) s.nmodels = 2, s.models[0] = DR_LOGISTIC, s.models[1] = DR_PROBIT;
  const char *labels[COHORT_MAX_RECOVERY];
  if (cli_has(a, "recovery")) {
    s.nlabels = cli_list_count(a, "recovery");
    if (s.nlabels > COHORT_MAX_RECOVERY) s.nlabels = COHORT_MAX_RECOVERY;
    for (int i = 0; i < s.nlabels; i++) labels[i] = cli_list_item(a, "recovery", i);
    s.labels = labels;
  }
  int groups = 10;
  if (!rc) rc = cli_int(a, "groups", &groups, err);
  if (rc) return rc;
  cohort_dr_result d;
  if ((rc = cohort_dose_response(r, &s, &d, err))) return rc;
  if (d.n < 3) {
    cohort_dr_result_free(&d);
    return rert_err_set(err, RERT_EINPUT, "dose-response: %d usable case(s) (excluded: %d not ok, %d without the outcome, %d without the metric, %d short follow-up)",
                        d.n, d.excluded_status, d.excluded_missing_outcome, d.excluded_missing_metric, d.excluded_followup);
  }
  /* the preferred assumption of the first model is the one plotted and calibrated */
  int best = -1;
  for (int k = 0; k < d.nrows; k++)
    if (d.rows[k].ok[0] && d.rows[k].rank[0] == 1) best = k;
  if (!rc && cli_str(a, "plot") && best >= 0) {
    dr_plot_series ps[COHORT_MAX_RECOVERY];
    char lab[COHORT_MAX_RECOVERY][64];
    int np = 0, prim = 0;
    for (int k = 0; k < d.nrows; k++) {
      if (!d.rows[k].ok[0]) continue;
      if (k == best) prim = np;
      snprintf(lab[np], sizeof lab[np], "%s", d.rows[k].label);
      ps[np] = (dr_plot_series){lab[np], &d.rows[k].fit[0], &d.x[(size_t)k * d.n], d.y, d.n};
      np++;
    }
    char title[256], xl[256];
    snprintf(title, sizeof title, "%s grade >= %d vs %s %s (%s fits; preferred: %s)", s.endpoint, s.grade_min, s.structure,
             s.metric, dr_model_name(s.models[0]), d.rows[best].label);
    snprintf(xl, sizeof xl, "%s %s cumulative EQD2%s (Gy)", s.structure, s.metric, s.worst ? " worst case" : "");
    rc = dr_plot_svg(cli_str(a, "plot"), title, xl, ps, np, prim, groups, err);
  }
  dr_calibration cal;
  memset(&cal, 0, sizeof cal);
  if (!rc && best >= 0) rc = dr_calibrate(&d.rows[best].fit[0], &d.x[(size_t)best * d.n], d.y, d.n, groups, 0.95, &cal, err);
  if (!rc && cli_json(a)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "analysis", "dose-response");
    cJSON_AddStringToObject(o, "endpoint", s.endpoint);
    cJSON_AddNumberToObject(o, "grade_min", s.grade_min);
    cJSON_AddStringToObject(o, "structure", s.structure);
    cJSON_AddStringToObject(o, "metric", s.metric);
    cJSON_AddStringToObject(o, "bound", bound);
    cJSON_AddNumberToObject(o, "n", d.n);
    cJSON_AddNumberToObject(o, "events", d.events);
    cJSON *ex = cJSON_AddObjectToObject(o, "excluded");
    cJSON_AddNumberToObject(ex, "status_not_ok", d.excluded_status);
    cJSON_AddNumberToObject(ex, "missing_outcome", d.excluded_missing_outcome);
    cJSON_AddNumberToObject(ex, "missing_metric", d.excluded_missing_metric);
    cJSON_AddNumberToObject(ex, "short_followup", d.excluded_followup);
    json_add_num(o, "conf_level", s.conf_level);
    cJSON *arr = cJSON_AddArrayToObject(o, "fits");
    for (int k = 0; k < d.nrows; k++)
      for (int m = 0; m < s.nmodels; m++) {
        const cohort_dr_row *x = &d.rows[k];
        const dr_fit *f = &x->fit[m];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "recovery", x->label);
        cJSON_AddStringToObject(e, "recovery_spec", x->spec);
        cJSON_AddStringToObject(e, "recovery_kind", x->kind);
        cJSON_AddStringToObject(e, "column", x->column);
        cJSON_AddStringToObject(e, "model", dr_model_name(s.models[m]));
        if (!x->ok[m]) {
          cJSON_AddStringToObject(e, "error", x->error[m]);
          cJSON_AddItemToArray(arr, e);
          continue;
        }
        json_add_num(e, "td50", f->td50);
        cJSON_AddItemToObject(e, "td50_ci", ci_json(&f->td50_ci));
        json_add_num(e, "gamma50", f->gamma50);
        cJSON_AddItemToObject(e, "gamma50_ci", ci_json(&f->gamma50_ci));
        if (s.models[m] == DR_PROBIT) {
          json_add_num(e, "m", f->m);
          cJSON_AddItemToObject(e, "m_ci", ci_json(&f->m_ci));
        }
        json_add_num(e, "alpha", f->alpha);
        json_add_num(e, "beta", f->beta);
        cJSON_AddItemToObject(e, "beta_ci", ci_json(&f->beta_ci));
        json_add_num(e, "loglik", f->loglik);
        json_add_num(e, "aic", f->aic);
        json_add_num(e, "delta_aic", x->delta_aic[m]);
        json_add_num(e, "akaike_weight", x->weight[m]);
        cJSON_AddNumberToObject(e, "rank", x->rank[m]);
        json_add_num(e, "lr_chisq", f->lr_chisq);
        json_add_num(e, "lr_p", f->lr_p);
        cJSON_AddItemToArray(arr, e);
      }
    if (best >= 0) {
      cJSON_AddStringToObject(o, "preferred_recovery", d.rows[best].label);
      cJSON *c = cJSON_AddObjectToObject(o, "calibration");
      cJSON_AddStringToObject(c, "recovery", d.rows[best].label);
      json_add_num(c, "hosmer_lemeshow_chisq", cal.hl_chisq);
      cJSON_AddNumberToObject(c, "df", cal.hl_df);
      json_add_num(c, "p", cal.hl_p);
      cJSON *g = cJSON_AddArrayToObject(c, "groups");
      for (int i = 0; i < cal.nbins; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "n", cal.bins[i].n);
        cJSON_AddNumberToObject(e, "events", cal.bins[i].events);
        json_add_num(e, "mean_predicted", cal.bins[i].mean_pred);
        json_add_num(e, "observed", cal.bins[i].observed);
        cJSON_AddItemToArray(g, e);
      }
    }
    cli_print_json(o);
  } else if (!rc) {
    printf("dose-response: %s grade >= %d against %s %s%s (cumulative EQD2), %d case(s), %d event(s)\n", s.endpoint,
           s.grade_min, s.structure, s.metric, s.worst ? " worst case" : "", d.n, d.events);
    printf("excluded: %d not ok, %d without the outcome, %d without the metric under every assumption, %d short follow-up\n",
           d.excluded_status, d.excluded_missing_outcome, d.excluded_missing_metric, d.excluded_followup);
    printf("profile-likelihood %g%% intervals; same cases under every assumption; limit models by effective dose (value / factor)\n",
           100 * s.conf_level);
    for (int m = 0; m < s.nmodels; m++) {
      printf("\n%s model\n", dr_model_name(s.models[m]));
      printf("%-4s %-20s %8s %17s %7s %15s %11s %9s %8s %7s\n", "RANK", "RECOVERY", "TD50", "TD50 CI", "GAMMA50",
             "GAMMA50 CI", "LOGLIK", "AIC", "dAIC", "WEIGHT");
      for (int rk = 1; rk <= d.nrows; rk++)
        for (int k = 0; k < d.nrows; k++) {
          const cohort_dr_row *x = &d.rows[k];
          if (!x->ok[m] || x->rank[m] != rk) continue;
          char c1[40], c2[40];
          ci_text(c1, sizeof c1, &x->fit[m].td50_ci, "%.1f");
          ci_text(c2, sizeof c2, &x->fit[m].gamma50_ci, "%.2f");
          printf("%-4d %-20s %8.2f %17s %7.2f %15s %11.3f %9.2f %8.2f %7.3f\n", rk, x->label, x->fit[m].td50, c1,
                 x->fit[m].gamma50, c2, x->fit[m].loglik, x->fit[m].aic, x->delta_aic[m], x->weight[m]);
        }
      for (int k = 0; k < d.nrows; k++)
        if (!d.rows[k].ok[m]) printf("---- %-20s not fitted: %s\n", d.rows[k].label, d.rows[k].error[m]);
    }
    if (best >= 0)
      printf("\npreferred recovery (%s, highest likelihood): %s; calibration over %d groups: Hosmer-Lemeshow %.2f, df %d, p %.3g\n",
             dr_model_name(s.models[0]), d.rows[best].label, cal.nbins, cal.hl_chisq, cal.hl_df, cal.hl_p);
    if (cli_str(a, "plot") && best >= 0) printf("plot: %s\n", cli_str(a, "plot"));
  }
  dr_calibration_free(&cal);
  cohort_dr_result_free(&d);
  return rc;
}

static int analyse_survival(const rert_args *a, cohort_registry *r, int cox, rert_err *err) {
  if (!cli_str(a, "time") || !cli_str(a, "event"))
    return rert_err_set(err, RERT_EINPUT, "analyse %s: --time COL and --event COL are required (columns of `rert cohort export`)", cox ? "cox" : "km");
  int pid = 0;
  double conf = 0.95;
  int rc = cli_int(a, "param-set", &pid, err);
  if (!rc) rc = cli_num(a, "conf-level", &conf, err);
  if (rc) return rc;
  cohort_table t;
  if ((rc = cohort_table_build(r, COHORT_TABLE_WIDE, pid, &t, err))) return rc;
  /* the wide table has the layout of a named-column CSV */
  rert_csv csv;
  memset(&csv, 0, sizeof csv);
  csv.ncol = t.ncol, csv.nrow = t.nrow, csv.header = t.header, csv.cell = t.cell;
  snprintf(csv.path, sizeof csv.path, "%s", cli_str(a, "registry"));
  int ncov = cli_list_count(a, "covariate");
  const char *cov[64];
  if (ncov > 64) ncov = 64;
  for (int i = 0; i < ncov; i++) cov[i] = cli_list_item(a, "covariate", i);
  if (cox && ncov == 0) rc = rert_err_set(err, RERT_EINPUT, "analyse cox: --covariate COL (repeatable)");
  rert_survdata_spec spec = {cli_str(a, "time"), cli_str(a, "event"), cox ? NULL : cli_str(a, "group"),
                             cox ? cov : NULL, cox ? ncov : 0, NULL, 0, 0, 0};
  rert_survdata d;
  memset(&d, 0, sizeof d);
  if (!rc) rc = survdata_load(&csv, &spec, &d, err);
  if (rc) {
    cohort_table_free(&t);
    return rc;
  }
  cJSON *o = cli_json(a) ? cJSON_CreateObject() : NULL;
  if (cox) {
    rert_cox f;
    rc = surv_cox_fit(d.time, d.status, d.x, d.n, d.p, RERT_TIES_EFRON, &f, err);
    if (!rc) {
      double z = stats_qnorm(0.5 + conf / 2);
      if (o) {
        cJSON_AddStringToObject(o, "analysis", "cox");
        cJSON_AddNumberToObject(o, "n", f.n);
        cJSON_AddNumberToObject(o, "events", f.n_events);
        cJSON_AddNumberToObject(o, "rows_dropped_missing", d.dropped);
        cJSON *arr = cJSON_AddArrayToObject(o, "coefficients");
        for (int j = 0; j < f.p; j++) {
          cJSON *e = cJSON_CreateObject();
          cJSON_AddStringToObject(e, "term", d.xname[j]);
          json_add_num(e, "coef", f.coef[j]);
          json_add_num(e, "se", f.se[j]);
          json_add_num(e, "hr", exp(f.coef[j]));
          json_add_num(e, "hr_lower", exp(f.coef[j] - z * f.se[j]));
          json_add_num(e, "hr_upper", exp(f.coef[j] + z * f.se[j]));
          json_add_num(e, "p", 2 * stats_pnorm_upper(fabs(f.coef[j] / f.se[j])));
          cJSON_AddItemToArray(arr, e);
        }
        json_add_num(o, "lr_chisq", f.lr_chisq);
        json_add_num(o, "lr_p", f.lr_p);
      } else {
        printf("Cox regression (Efron ties) of %s on %s: n %d, events %d, %d row(s) dropped for missing values\n",
               cli_str(a, "event"), cli_str(a, "time"), f.n, f.n_events, d.dropped);
        printf("%-28s %10s %9s %9s %19s %9s\n", "TERM", "COEF", "SE", "HR", "HR CI", "P");
        for (int j = 0; j < f.p; j++)
          printf("%-28s %10.5f %9.5f %9.4f %9.4f-%-9.4f %9.3g\n", d.xname[j], f.coef[j], f.se[j], exp(f.coef[j]),
                 exp(f.coef[j] - z * f.se[j]), exp(f.coef[j] + z * f.se[j]), 2 * stats_pnorm_upper(fabs(f.coef[j] / f.se[j])));
        printf("likelihood ratio test %.4f on %d df, p %.3g\n", f.lr_chisq, f.p, f.lr_p);
      }
      surv_cox_free(&f);
    }
  } else {
    int ng = d.group ? d.ngroups : 1;
    if (o) {
      cJSON_AddStringToObject(o, "analysis", "kaplan-meier");
      cJSON_AddNumberToObject(o, "rows_dropped_missing", d.dropped);
    } else {
      printf("Kaplan-Meier of %s over %s (log CI, level %g), %d row(s) dropped for missing values\n", cli_str(a, "event"),
             cli_str(a, "time"), conf, d.dropped);
      printf("%-16s %6s %7s %10s %21s\n", "GROUP", "N", "EVENTS", "MEDIAN", "MEDIAN CI");
    }
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "curves") : NULL;
    rert_km *km = calloc((size_t)ng, sizeof *km);
    double *tt = malloc((size_t)(d.n > 0 ? d.n : 1) * sizeof *tt);
    int *ss = malloc((size_t)(d.n > 0 ? d.n : 1) * sizeof *ss);
    if (!km || !tt || !ss) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    int fitted = 0;
    for (int g = 0; g < ng && !rc; g++) {
      int m = 0;
      for (int i = 0; i < d.n; i++)
        if (!d.group || d.group[i] == g) tt[m] = d.time[i], ss[m] = d.status[i], m++;
      if ((rc = surv_km_fit(tt, ss, m, RERT_CI_LOG, conf, &km[g], err))) break;
      fitted++;
      const char *gl = d.group ? d.levels[g] : "all";
      if (o) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "group", gl);
        cJSON_AddNumberToObject(e, "n", km[g].n);
        cJSON_AddNumberToObject(e, "events", km[g].n_events);
        json_add_num(e, "median", km[g].median);
        json_add_num(e, "median_lower", km[g].median_lower);
        json_add_num(e, "median_upper", km[g].median_upper);
        cJSON *at = cJSON_AddArrayToObject(e, "at");
        for (int i = 0; i < cli_list_count(a, "at"); i++) {
          double x = atof(cli_list_item(a, "at", i));
          cJSON *p = cJSON_CreateObject();
          json_add_num(p, "time", x);
          json_add_num(p, "surv", surv_km_value_at(&km[g], x));
          cJSON_AddNumberToObject(p, "n_risk", surv_km_risk_at(&km[g], x));
          cJSON_AddItemToArray(at, p);
        }
        cJSON_AddItemToArray(arr, e);
      } else {
        printf("%-16s %6d %7d %10.2f %10.2f-%-10.2f\n", gl, km[g].n, km[g].n_events, km[g].median, km[g].median_lower,
               km[g].median_upper);
        for (int i = 0; i < cli_list_count(a, "at"); i++) {
          double x = atof(cli_list_item(a, "at", i));
          printf("    S(%g) = %.4f, at risk %d\n", x, surv_km_value_at(&km[g], x), surv_km_risk_at(&km[g], x));
        }
      }
    }
    if (!rc && cli_str(a, "plot")) {
      rert_plot_curve pc[16];
      char lab[16][96];
      double tmax = 0;
      for (int i = 0; i < d.n; i++) tmax = fmax(tmax, d.time[i]);
      double ticks[7];
      for (int i = 0; i < 7; i++) ticks[i] = tmax * i / 6;
      int npc = ng < 16 ? ng : 16;
      for (int g = 0; g < npc; g++) {
        snprintf(lab[g], sizeof lab[g], "%s", d.group ? d.levels[g] : "all");
        pc[g] = (rert_plot_curve){lab[g], km[g].nt, km[g].time, km[g].surv, 1.0, NULL, 0, NULL, NULL, g, 0};
      }
      rc = surv_plot_svg(cli_str(a, "plot"), "Kaplan-Meier estimate (cohort registry)", "probability without the event",
                         pc, npc, ticks, 7, err);
    }
    for (int g = 0; km && g < fitted; g++) surv_km_free(&km[g]);
    free(km), free(tt), free(ss);
  }
  if (o && !rc) cli_print_json(o);
  else cJSON_Delete(o);
  survdata_free(&d);
  cohort_table_free(&t);
  return rc;
}

int cohort_cli_analyse(const rert_args *a, rert_err *err) {
  const char *reg = cli_str(a, "registry");
  if (!reg) return rert_err_set(err, RERT_EINPUT, "cohort analyse: --registry FILE is required");
  if (cli_npos(a) != 2) return rert_err_set(err, RERT_EINPUT, "cohort analyse: give the analysis (dose-response, km or cox)");
  const char *what = cli_pos(a, 1);
  int kind = !strcmp(what, "dose-response") ? 0 : !strcmp(what, "km") ? 1 : !strcmp(what, "cox") ? 2 : -1;
  if (kind < 0) return rert_err_set(err, RERT_EINPUT, "cohort analyse: unknown analysis '%s' (dose-response, km, cox)", what);
  cohort_registry *r;
  int rc = cohort_registry_open(reg, 0, &r, err);
  if (rc) return rc;
  rc = kind == 0 ? analyse_dose_response(a, r, err) : analyse_survival(a, r, kind == 2, err);
  cohort_registry_close(r);
  return rc;
}

int cohort_cli_status(const rert_args *a, rert_err *err) {
  const char *reg = cli_str(a, "registry");
  if (!reg) return rert_err_set(err, RERT_EINPUT, "cohort status: --registry FILE is required");
  cohort_registry *r;
  int rc = cohort_registry_open(reg, 0, &r, err);
  if (rc) return rc;
  cJSON *o = NULL;
  rc = cohort_registry_status(r, &o, err);
  cohort_registry_close(r);
  if (rc) return rc;
  if (cli_json(a)) {
    cli_print_json(o);
    return RERT_OK;
  }
  printf("registry %s (schema %d)\n", reg, COHORT_SCHEMA_VERSION);
  const cJSON *x;
  printf("parameter sets:\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(o, "parameter_sets"))
    printf("  #%g: %g case(s), %g ok; metrics %s; protocols %s; uncertainty %g mm; recovery: %s\n",
           cJSON_GetObjectItem(x, "param_id")->valuedouble, cJSON_GetObjectItem(x, "cases")->valuedouble,
           cJSON_GetObjectItem(x, "ok")->valuedouble, cJSON_GetStringValue(cJSON_GetObjectItem(x, "metrics")),
           cJSON_GetStringValue(cJSON_GetObjectItem(x, "protocols")),
           cJSON_GetObjectItem(x, "uncertainty_mm")->valuedouble,
           cJSON_GetStringValue(cJSON_GetObjectItem(x, "assumptions")));
  printf("runs:\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(o, "runs")) {
    const char *fin = cJSON_GetStringValue(cJSON_GetObjectItem(x, "finished_at"));
    printf("  run %g (%s, parameter set %g) %s..%s: %g case(s), %g ok, %g failed, %g skipped\n",
           cJSON_GetObjectItem(x, "run_id")->valuedouble, cJSON_GetStringValue(cJSON_GetObjectItem(x, "engine")),
           cJSON_GetObjectItem(x, "param_id")->valuedouble, cJSON_GetStringValue(cJSON_GetObjectItem(x, "started_at")),
           fin ? fin : "(not finished)", cJSON_GetObjectItem(x, "n_cases")->valuedouble,
           cJSON_GetObjectItem(x, "n_ok")->valuedouble, cJSON_GetObjectItem(x, "n_failed")->valuedouble,
           cJSON_GetObjectItem(x, "n_skipped")->valuedouble);
  }
  int n = cJSON_GetArraySize(cJSON_GetObjectItem(o, "not_ok"));
  printf("cases not ok: %d\n", n);
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(o, "not_ok")) {
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(x, "error_kind"));
    printf("  %s [%s, %s]: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(x, "case_id")),
           cJSON_GetStringValue(cJSON_GetObjectItem(x, "status")), kind ? kind : "-",
           cJSON_GetStringValue(cJSON_GetObjectItem(x, "error")));
  }
  cJSON_Delete(o);
  return RERT_OK;
}
