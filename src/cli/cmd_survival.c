/* cmd_survival.c — `rert survival km|logrank|cox|cif FILE.csv`: time-to-event analyses on a
 * named-column CSV, matching R survival/cmprsk defaults (docs/stats.md, reference §9.5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/data.h"
#include "rert/survival.h"
#include "rert/fileio.h"
#include "stats/csvtable.h"
#include "stats/survdata.h"
#include "stats/survplot.h"

static const rert_opt opts[] = {
    {"time", OPT_STR, "time", "column with follow-up time (any unit)", NULL, 0},
    {"event", OPT_STR, "status", "column with status: 0/1, or 1/2 as R Surv(); for cif the cause codes", NULL, 0},
    {"group", OPT_STR, NULL, "column defining groups (curves per group; log-rank and Gray tests)", NULL, 0},
    {"covariate", OPT_LIST, NULL, "cox: covariate column (numeric, or text = factor with the first sorted level as reference)", NULL, 0},
    {"factor", OPT_LIST, NULL, "cox: treat these numeric covariates as factors (R factor())", NULL, 0},
    {"conf-type", OPT_STR, "log", "km: CI transform log (R default), log-log or plain", NULL, 0},
    {"conf-level", OPT_NUM, "0.95", "confidence level", "", 0},
    {"ties", OPT_STR, "efron", "cox: tie handling efron (R default) or breslow", NULL, 0},
    {"at", OPT_LIST, NULL, "times for estimates and the numbers-at-risk table", NULL, 0},
    {"table", OPT_FLAG, NULL, "km/cif: print the estimate at every distinct time (km: censor-only times too, with n.censor, as R's survfit)", NULL, 0},
    {"rho", OPT_NUM, "0", "cif: Gray's test weight exponent, (1 - F(t-))^rho, as cmprsk::cuminc's rho", "", 0},
    {"cencode", OPT_INT, "0", "cif: status code meaning censored", NULL, 0},
    {"failcode", OPT_INT, "1", "cif: cause code for Gray's test (all causes are estimated)", NULL, 0},
    {"plot", OPT_STR, NULL, "write an SVG plot of the KM/CIF curves with numbers at risk", NULL, 0},
    {0}};

typedef struct {
  rert_csv csv;
  rert_survdata d;
  double *ticks;
  int nticks;
  double conf;
} ctx;

static int sub_index(const rert_survdata *d, int g, double *t, int *s, double *x, int p) {
  int m = 0;
  for (int i = 0; i < d->n; i++) {
    if (d->group && d->group[i] != g) continue;
    t[m] = d->time[i];
    s[m] = d->status[i];
    if (x)
      for (int q = 0; q < p; q++) x[m * p + q] = d->x[i * p + q];
    m++;
  }
  return m;
}

static void nice_ticks(const rert_survdata *d, double **ticks, int *n) {
  double tmax = 0;
  for (int i = 0; i < d->n; i++) tmax = fmax(tmax, d->time[i]);
  if (tmax <= 0) tmax = 1;
  /* about five intervals, step 1, 2 or 5 times a power of ten */
  double raw = tmax / 5, mag = pow(10, floor(log10(raw))), step = mag;
  if (raw / mag >= 7) step = 10 * mag;
  else if (raw / mag >= 3) step = 5 * mag;
  else if (raw / mag >= 1.5) step = 2 * mag;
  int k = (int)floor(tmax / step) + 1;
  *ticks = malloc((size_t)k * sizeof **ticks);
  if (!*ticks) {
    *n = 0;
    return;
  }
  for (int i = 0; i < k; i++) (*ticks)[i] = i * step;
  *n = k;
}

static int parse_at(const rert_args *a, ctx *c, rert_err *err) {
  int n = cli_list_count(a, "at");
  if (n == 0) {
    nice_ticks(&c->d, &c->ticks, &c->nticks);
    return RERT_OK;
  }
  c->ticks = malloc((size_t)n * sizeof *c->ticks);
  if (!c->ticks) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < n; i++) {
    char *end;
    const char *s = cli_list_item(a, "at", i);
    c->ticks[i] = strtod(s, &end);
    if (end == s || *end || c->ticks[i] < 0)
      return rert_err_set(err, RERT_EINPUT, "--at: '%s' is not a time >= 0", s);
    if (i > 0 && c->ticks[i] <= c->ticks[i - 1])
      return rert_err_set(err, RERT_EINPUT, "--at: times must increase");
  }
  c->nticks = n;
  return RERT_OK;
}

/* R prints NA for undefined values */
static const char *fmtv(char *buf, size_t n, const char *fmt, double v) {
  if (isnan(v)) snprintf(buf, n, "NA");
  else snprintf(buf, n, fmt, v);
  return buf;
}

static const char *glabel(const rert_survdata *d, int g) { return d->group ? d->levels[g] : "all"; }

static int run_km(const rert_args *a, ctx *c, rert_err *err) {
  const char *ct = cli_str(a, "conf-type");
  rert_ci_type ci;
  if (!strcmp(ct, "log")) ci = RERT_CI_LOG;
  else if (!strcmp(ct, "log-log")) ci = RERT_CI_LOGLOG;
  else if (!strcmp(ct, "plain")) ci = RERT_CI_PLAIN;
  else return rert_err_set(err, RERT_EINPUT, "--conf-type: '%s' is not log, log-log or plain", ct);
  int ng = c->d.group ? c->d.ngroups : 1;
  rert_km *km = calloc((size_t)ng, sizeof *km);
  double *t = malloc((size_t)c->d.n * sizeof *t);
  int *s = malloc((size_t)c->d.n * sizeof *s);
  int rc = RERT_OK;
  if (!km || !t || !s) {
    free(km), free(t), free(s);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int g = 0; g < ng && !rc; g++) {
    int m = sub_index(&c->d, g, t, s, NULL, 0);
    rc = surv_km_fit(t, s, m, ci, c->conf, &km[g], err);
    if (rc) rert_err_prefix(err, rc, "group %s", glabel(&c->d, g));
  }
  if (!rc && cli_str(a, "plot")) {
    rert_plot_curve *pc = calloc((size_t)ng, sizeof *pc);
    int **risk = calloc((size_t)ng, sizeof *risk);
    double **cens = calloc((size_t)ng, sizeof *cens);
    char (*lab)[128] = calloc((size_t)ng, sizeof *lab);
    for (int g = 0; pc && risk && cens && lab && g < ng; g++) {
      /* R-style curve names: column=level */
      if (c->d.group) snprintf(lab[g], sizeof lab[g], "%s=%s", cli_str(a, "group"), glabel(&c->d, g));
      else snprintf(lab[g], sizeof lab[g], "all");
      risk[g] = malloc((size_t)(c->nticks + 1) * sizeof(int));
      cens[g] = malloc((size_t)(km[g].nt + 1) * sizeof(double));
      if (!risk[g] || !cens[g]) continue;
      for (int i = 0; i < c->nticks; i++) risk[g][i] = surv_km_risk_at(&km[g], c->ticks[i]);
      int nc = 0;
      for (int i = 0; i < km[g].nt; i++)
        if (km[g].n_censor[i]) cens[g][nc++] = km[g].time[i];
      pc[g] = (rert_plot_curve){lab[g], km[g].nt, km[g].time, km[g].surv, 1.0,
                                cens[g], nc, risk[g], NULL, g, 0};
    }
    rc = pc && risk && cens && lab ? surv_plot_svg(cli_str(a, "plot"), "Kaplan-Meier estimate",
                                            "Survival probability", pc, ng, c->ticks, c->nticks, err)
                            : rert_err_set(err, RERT_EINTERNAL, "out of memory");
    for (int g = 0; g < ng; g++) {
      if (risk) free(risk[g]);
      if (cens) free(cens[g]);
    }
    free(pc), free(risk), free(cens), free(lab);
  }
  if (!rc) {
    if (cli_json(a)) {
      cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "curves");
      cJSON_AddStringToObject(root, "analysis", "kaplan-meier");
      cJSON_AddStringToObject(root, "conf_type", ct);
      json_add_num(root, "conf_level", c->conf);
      cJSON_AddNumberToObject(root, "rows_dropped_missing", c->d.dropped);
      for (int g = 0; g < ng; g++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "group", glabel(&c->d, g));
        cJSON_AddNumberToObject(o, "n", km[g].n);
        cJSON_AddNumberToObject(o, "events", km[g].n_events);
        json_add_num(o, "median", km[g].median);
        json_add_num(o, "median_lower", km[g].median_lower);
        json_add_num(o, "median_upper", km[g].median_upper);
        cJSON *at = cJSON_AddArrayToObject(o, "at");
        for (int i = 0; i < c->nticks; i++) {
          cJSON *e = cJSON_CreateObject();
          double tt = c->ticks[i];
          int j = -1;
          for (int q = 0; q < km[g].nt && km[g].time[q] <= tt; q++) j = q;
          json_add_num(e, "time", tt);
          cJSON_AddNumberToObject(e, "n_risk", surv_km_risk_at(&km[g], tt));
          json_add_num(e, "surv", j < 0 ? 1.0 : km[g].surv[j]);
          json_add_num(e, "std_err", j < 0 ? 0.0 : sqrt(km[g].var_surv[j]));
          json_add_num(e, "lower", j < 0 ? 1.0 : km[g].lower[j]);
          json_add_num(e, "upper", j < 0 ? 1.0 : km[g].upper[j]);
          cJSON_AddItemToArray(at, e);
        }
        /* every distinct time, censor-only rows included, as R's survfit object
         * (time, n.risk, n.event, n.censor, surv, std.err, lower, upper) */
        cJSON *tb = cJSON_AddArrayToObject(o, "table");
        for (int i = 0; i < km[g].nt; i++) {
          cJSON *e = cJSON_CreateObject();
          json_add_num(e, "time", km[g].time[i]);
          cJSON_AddNumberToObject(e, "n_risk", km[g].n_risk[i]);
          cJSON_AddNumberToObject(e, "n_event", km[g].n_event[i]);
          cJSON_AddNumberToObject(e, "n_censor", km[g].n_censor[i]);
          json_add_num(e, "surv", km[g].surv[i]);
          json_add_num(e, "std_err", sqrt(km[g].var_surv[i]));
          json_add_num(e, "lower", km[g].lower[i]);
          json_add_num(e, "upper", km[g].upper[i]);
          cJSON_AddItemToArray(tb, e);
        }
        cJSON_AddItemToArray(arr, o);
      }
      cli_print_json(root);
    } else {
      printf("Kaplan-Meier (Greenwood variance, %s CI, level %g)%s\n", ct, c->conf,
             c->d.dropped ? "" : "");
      if (c->d.dropped) printf("%d row(s) dropped for missing values\n", c->d.dropped);
      printf("%-16s %6s %7s %10s %10s %10s\n", "group", "n", "events", "median", "lower", "upper");
      for (int g = 0; g < ng; g++) {
        char b1[32], b2[32], b3[32];
        printf("%-16s %6d %7d %10s %10s %10s\n", glabel(&c->d, g), km[g].n, km[g].n_events,
               fmtv(b1, 32, "%.6g", km[g].median), fmtv(b2, 32, "%.6g", km[g].median_lower),
               fmtv(b3, 32, "%.6g", km[g].median_upper));
      }
      for (int g = 0; g < ng; g++) {
        if (cli_flag(a, "table"))
          printf("\n%s:\n%10s %7s %8s %9s %10s %10s %10s %10s\n", glabel(&c->d, g), "time", "n.risk",
                 "n.event", "n.censor", "survival", "std.err", "lower", "upper");
        else
          printf("\n%s:\n%10s %7s %8s %10s %10s %10s %10s\n", glabel(&c->d, g), "time", "n.risk",
                 "n.event", "survival", "std.err", "lower", "upper");
        /* --table: every distinct time, censor-only rows included, as R's survfit */
        for (int i = 0; i < km[g].nt && cli_flag(a, "table"); i++) {
          char b1[32], b2[32], b3[32];
          printf("%10g %7d %8d %9d %10.6f %10s %10s %10s\n", km[g].time[i], km[g].n_risk[i],
                 km[g].n_event[i], km[g].n_censor[i], km[g].surv[i],
                 fmtv(b1, 32, "%.6f", sqrt(km[g].var_surv[i])), fmtv(b2, 32, "%.6f", km[g].lower[i]),
                 fmtv(b3, 32, "%.6f", km[g].upper[i]));
        }
        for (int i = 0; i < c->nticks && !cli_flag(a, "table"); i++) {
          double tt = c->ticks[i];
          int j = -1;
          for (int q = 0; q < km[g].nt && km[g].time[q] <= tt; q++) j = q;
          int ev = 0;
          for (int q = 0; q <= j; q++) ev += km[g].n_event[q];
          char b1[32], b2[32], b3[32];
          printf("%10g %7d %8d %10.6f %10s %10s %10s\n", tt, surv_km_risk_at(&km[g], tt), ev,
                 j < 0 ? 1.0 : km[g].surv[j],
                 fmtv(b1, 32, "%.6f", j < 0 ? 0.0 : sqrt(km[g].var_surv[j])),
                 fmtv(b2, 32, "%.6f", j < 0 ? 1.0 : km[g].lower[j]),
                 fmtv(b3, 32, "%.6f", j < 0 ? 1.0 : km[g].upper[j]));
        }
      }
      if (!cli_flag(a, "table")) printf("\n(n.event = cumulative events up to the time)\n");
    }
  }
  for (int g = 0; g < ng; g++) surv_km_free(&km[g]);
  free(km), free(t), free(s);
  return rc;
}

static int run_logrank(const rert_args *a, ctx *c, rert_err *err) {
  if (!c->d.group) return rert_err_set(err, RERT_EINPUT, "logrank needs --group COLUMN");
  rert_logrank lr;
  int rc = surv_logrank_test(c->d.time, c->d.status, c->d.group, c->d.n, c->d.ngroups, &lr, err);
  if (rc) return rc;
  if (cli_json(a)) {
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "groups");
    cJSON_AddStringToObject(root, "analysis", "log-rank");
    for (int g = 0; g < lr.ngroups; g++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "group", c->d.levels[g]);
      cJSON_AddNumberToObject(o, "n", lr.n[g]);
      json_add_num(o, "observed", lr.observed[g]);
      json_add_num(o, "expected", lr.expected[g]);
      json_add_num(o, "variance", lr.var[g * lr.ngroups + g]);
      cJSON_AddItemToArray(arr, o);
    }
    json_add_num(root, "chisq", lr.chisq);
    cJSON_AddNumberToObject(root, "df", lr.df);
    json_add_num(root, "p_value", lr.p_value);
    cli_print_json(root);
  } else {
    printf("Log-rank test (R survdiff, rho = 0)\n%-16s %6s %10s %10s %12s %12s\n", "group", "N",
           "Observed", "Expected", "(O-E)^2/E", "(O-E)^2/V");
    for (int g = 0; g < lr.ngroups; g++) {
      double oe = lr.observed[g] - lr.expected[g], v = lr.var[g * lr.ngroups + g];
      printf("%-16s %6d %10g %10.4f %12.4f %12.4f\n", c->d.levels[g], lr.n[g], lr.observed[g],
             lr.expected[g], oe * oe / lr.expected[g], v > 0 ? oe * oe / v : NAN);
    }
    printf("\nChisq = %.10g on %d degrees of freedom, p = %.6g\n", lr.chisq, lr.df, lr.p_value);
  }
  surv_logrank_free(&lr);
  return RERT_OK;
}

static int run_cox(const rert_args *a, ctx *c, rert_err *err) {
  if (c->d.p < 1) return rert_err_set(err, RERT_EINPUT, "cox needs --covariate COLUMN");
  const char *ts = cli_str(a, "ties");
  rert_ties ties;
  if (!strcmp(ts, "efron")) ties = RERT_TIES_EFRON;
  else if (!strcmp(ts, "breslow")) ties = RERT_TIES_BRESLOW;
  else return rert_err_set(err, RERT_EINPUT, "--ties: '%s' is not efron or breslow", ts);
  rert_cox cx;
  int rc = surv_cox_fit(c->d.time, c->d.status, c->d.x, c->d.n, c->d.p, ties, &cx, err);
  if (rc) return rc;
  double z = stats_qnorm(1 - (1 - c->conf) / 2);
  if (cli_json(a)) {
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "coefficients");
    cJSON_AddStringToObject(root, "analysis", "cox");
    cJSON_AddStringToObject(root, "ties", ts);
    cJSON_AddNumberToObject(root, "n", cx.n);
    cJSON_AddNumberToObject(root, "events", cx.n_events);
    for (int q = 0; q < cx.p; q++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", c->d.xname[q]);
      json_add_num(o, "coef", cx.coef[q]);
      json_add_num(o, "hr", exp(cx.coef[q]));
      json_add_num(o, "se", cx.se[q]);
      json_add_num(o, "z", cx.coef[q] / cx.se[q]);
      json_add_num(o, "p", 2 * stats_pnorm_upper(fabs(cx.coef[q] / cx.se[q])));
      json_add_num(o, "hr_lower", exp(cx.coef[q] - z * cx.se[q]));
      json_add_num(o, "hr_upper", exp(cx.coef[q] + z * cx.se[q]));
      cJSON_AddItemToArray(arr, o);
    }
    json_add_num(root, "loglik0", cx.loglik0);
    json_add_num(root, "loglik", cx.loglik);
    json_add_num(root, "lr_chisq", cx.lr_chisq);
    json_add_num(root, "lr_p", cx.lr_p);
    json_add_num(root, "wald_chisq", cx.wald_chisq);
    json_add_num(root, "wald_p", cx.wald_p);
    json_add_num(root, "score_chisq", cx.score_chisq);
    json_add_num(root, "score_p", cx.score_p);
    cJSON_AddNumberToObject(root, "df", cx.p);
    cJSON_AddNumberToObject(root, "iterations", cx.iterations);
    cli_print_json(root);
  } else {
    printf("Cox proportional hazards (%s ties), n = %d, events = %d\n", ts, cx.n, cx.n_events);
    printf("%-20s %12s %10s %10s %8s %10s %10s %10s\n", "", "coef", "HR", "se(coef)", "z", "p",
           "HR lower", "HR upper");
    for (int q = 0; q < cx.p; q++)
      printf("%-20s %12.9f %10.6f %10.6f %8.4f %10.4g %10.6f %10.6f\n", c->d.xname[q], cx.coef[q],
             exp(cx.coef[q]), cx.se[q], cx.coef[q] / cx.se[q],
             2 * stats_pnorm_upper(fabs(cx.coef[q] / cx.se[q])), exp(cx.coef[q] - z * cx.se[q]),
             exp(cx.coef[q] + z * cx.se[q]));
    printf("\nLikelihood ratio test = %.6f on %d df, p = %.6g\n", cx.lr_chisq, cx.p, cx.lr_p);
    printf("Wald test             = %.6f on %d df, p = %.6g\n", cx.wald_chisq, cx.p, cx.wald_p);
    printf("Score (logrank) test  = %.6f on %d df, p = %.6g\n", cx.score_chisq, cx.p, cx.score_p);
  }
  surv_cox_free(&cx);
  return RERT_OK;
}

static int run_cif(const rert_args *a, ctx *c, rert_err *err) {
  int fail;
  int rc = cli_int(a, "failcode", &fail, err);
  if (rc) return rc;
  int fk = 0; /* cause index of failcode */
  for (int k = 0; k < c->d.ncause; k++)
    if (c->d.cause_code[k] == fail) fk = k + 1;
  if (!fk) return rert_err_set(err, RERT_EINPUT, "--failcode %d does not occur in the data", fail);
  int ng = c->d.group ? c->d.ngroups : 1, K = c->d.ncause;
  rert_cif *cf = calloc((size_t)ng, sizeof *cf);
  double *t = malloc((size_t)c->d.n * sizeof *t);
  int *s = malloc((size_t)c->d.n * sizeof *s);
  if (!cf || !t || !s) {
    free(cf), free(t), free(s);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int g = 0; g < ng && !rc; g++) {
    int m = sub_index(&c->d, g, t, s, NULL, 0);
    rc = surv_cif_fit(t, s, m, &cf[g], err);
    if (rc) rert_err_prefix(err, rc, "group %s", glabel(&c->d, g));
    else cf[g].ncause = K; /* a group may lack the highest cause: keep K columns */
  }
  rert_gray gt[64];
  int ntest = 0;
  double rho = 0;
  if (!rc) rc = cli_num(a, "rho", &rho, err);
  if (!rc && c->d.group && ng >= 2) {
    for (int k = 1; k <= K && k <= 64 && !rc; k++, ntest++)
      rc = surv_gray_test_rho(c->d.time, c->d.status, c->d.group, c->d.n, ng, k, rho, &gt[k - 1], err);
  }
  if (!rc && cli_str(a, "plot")) {
    rert_plot_curve *pc = calloc((size_t)ng * K, sizeof *pc);
    double **vals = calloc((size_t)ng * K, sizeof *vals);
    int **risk = calloc((size_t)ng, sizeof *risk);
    char (*lab)[96] = calloc((size_t)ng * K, sizeof *lab);
    int okm = pc && vals && risk && lab;
    for (int g = 0; okm && g < ng; g++) {
      risk[g] = malloc((size_t)(c->nticks + 1) * sizeof(int));
      if (!risk[g]) continue;
      for (int i = 0; i < c->nticks; i++) {
        int r = 0;
        for (int q = 0; q < cf[g].nt; q++)
          if (cf[g].time[q] >= c->ticks[i]) {
            r = cf[g].n_risk[q];
            break;
          }
        risk[g][i] = r;
      }
      for (int k = 0; k < K; k++) {
        double *v = malloc((size_t)(cf[g].nt + 1) * sizeof *v);
        vals[g * K + k] = v;
        if (!v) continue;
        for (int i = 0; i < cf[g].nt; i++) v[i] = cf[g].cif[(size_t)i * cf[g].ncause + k];
        snprintf(lab[g * K + k], 96, "%s cause %g", glabel(&c->d, g), c->d.cause_code[k]);
        /* colour = group, line style = cause; one numbers-at-risk row per group */
        pc[g * K + k] = (rert_plot_curve){lab[g * K + k], cf[g].nt, cf[g].time, v, 0.0, NULL, 0,
                                          k == 0 ? risk[g] : NULL, glabel(&c->d, g), g, k % 3};
      }
    }
    rc = okm ? surv_plot_svg(cli_str(a, "plot"), "Cumulative incidence (Aalen-Johansen)",
                             "Cumulative incidence", pc, ng * K, c->ticks, c->nticks, err)
             : rert_err_set(err, RERT_EINTERNAL, "out of memory");
    for (int i = 0; vals && i < ng * K; i++) free(vals[i]);
    for (int g = 0; risk && g < ng; g++) free(risk[g]);
    free(pc), free(vals), free(risk), free(lab);
  }
  if (!rc) {
    cJSON *root = cli_json(a) ? cJSON_CreateObject() : NULL;
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "curves") : NULL;
    if (root) cJSON_AddStringToObject(root, "analysis", "cumulative-incidence");
    if (!root) printf("Cumulative incidence (Aalen-Johansen; variance as cmprsk::cuminc)\n");
    for (int g = 0; g < ng; g++)
      for (int k = 0; k < K; k++) {
        cJSON *o = NULL, *at = NULL;
        if (root) {
          o = cJSON_CreateObject();
          cJSON_AddStringToObject(o, "group", glabel(&c->d, g));
          json_add_num(o, "cause", c->d.cause_code[k]);
          at = cJSON_AddArrayToObject(o, "at");
          cJSON_AddItemToArray(arr, o);
        } else {
          printf("\n%s, cause %g:\n%10s %10s %12s\n", glabel(&c->d, g), c->d.cause_code[k], "time",
                 "estimate", "variance");
        }
        int nrow = cli_flag(a, "table") ? cf[g].nt : c->nticks;
        for (int i = 0; i < nrow; i++) {
          double tt;
          int j = -1;
          if (cli_flag(a, "table")) {
            tt = cf[g].time[i];
            j = i;
          } else {
            tt = c->ticks[i];
            for (int q = 0; q < cf[g].nt && cf[g].time[q] <= tt; q++) j = q;
          }
          double est = j < 0 ? 0 : cf[g].cif[(size_t)j * K + k];
          double var = j < 0 ? 0 : cf[g].var[(size_t)j * K + k];
          /* beyond the group's last follow-up time the estimate is undefined (cmprsk: NA) */
          if (cf[g].nt > 0 && tt > cf[g].time[cf[g].nt - 1]) est = var = NAN;
          if (root) {
            cJSON *e = cJSON_CreateObject();
            json_add_num(e, "time", tt);
            json_add_num(e, "estimate", est);
            json_add_num(e, "variance", var);
            cJSON_AddItemToArray(at, e);
          } else {
            char b1[32], b2[32];
            printf("%10g %10s %12s\n", tt, fmtv(b1, 32, "%.6f", est), fmtv(b2, 32, "%.8f", var));
          }
        }
      }
    if (ntest) {
      cJSON *tests = root ? cJSON_AddArrayToObject(root, "gray_tests") : NULL;
      if (root) json_add_num(root, "gray_rho", rho);
      if (!root) printf("\nGray's test (rho = %g):\n%8s %14s %12s %4s\n", rho, "cause", "stat", "p", "df");
      for (int k = 0; k < ntest; k++) {
        if (root) {
          cJSON *e = cJSON_CreateObject();
          json_add_num(e, "cause", c->d.cause_code[k]);
          json_add_num(e, "stat", gt[k].stat);
          json_add_num(e, "p_value", gt[k].p_value);
          cJSON_AddNumberToObject(e, "df", gt[k].df);
          cJSON_AddItemToArray(tests, e);
        } else {
          printf("%8g %14.10g %12.6g %4d%s\n", c->d.cause_code[k], gt[k].stat, gt[k].p_value,
                 gt[k].df, k + 1 == fk ? "   <- failcode" : "");
        }
      }
    }
    if (root) cli_print_json(root);
  }
  for (int g = 0; g < ng; g++) surv_cif_free(&cf[g]);
  free(cf), free(t), free(s);
  return rc;
}

static int run(const rert_args *a, rert_err *err) {
  const char *what = cli_pos(a, 0), *file = cli_pos(a, 1);
  int kind = !strcmp(what, "km") ? 0 : !strcmp(what, "logrank") ? 1 : !strcmp(what, "cox") ? 2
           : !strcmp(what, "cif") ? 3 : -1;
  if (kind < 0)
    return rert_err_set(err, RERT_EINPUT, "unknown analysis '%s' (km, logrank, cox, cif)", what);
  ctx c = {0};
  int rc = cli_num(a, "conf-level", &c.conf, err);
  if (rc) return rc;
  if (!(c.conf > 0 && c.conf < 1))
    return rert_err_set(err, RERT_EINPUT, "--conf-level must be in (0, 1)");
  int cen = 0;
  if ((rc = cli_int(a, "cencode", &cen, err))) return rc;
  {
    const char *outs[] = {cli_str(a, "plot")}, *names[] = {"--plot"}, *ins[] = {file};
    if ((rc = fileio_check_outputs(outs, names, 1, ins, 1, err))) return rc;
  }
  if ((rc = csv_read_file(file, &c.csv, err))) return rc;
  int ncov = cli_list_count(a, "covariate");
  const char **cov = calloc((size_t)ncov + 1, sizeof *cov);
  if (!cov) {
    csv_free(&c.csv);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int i = 0; i < ncov; i++) cov[i] = cli_list_item(a, "covariate", i);
  int nfac = cli_list_count(a, "factor");
  const char *fac[64];
  if (nfac > 64) nfac = 64;
  for (int i = 0; i < nfac; i++) {
    fac[i] = cli_list_item(a, "factor", i);
    int found = 0;
    for (int q = 0; q < ncov; q++) found |= !strcmp(cov[q], fac[i]);
    if (!found) {
      free(cov);
      csv_free(&c.csv);
      return rert_err_set(err, RERT_EINPUT, "--factor %s is not one of the --covariate columns",
                          fac[i]);
    }
  }
  rert_survdata_spec spec = {cli_str(a, "time"), cli_str(a, "event"), cli_str(a, "group"),
                             kind == 2 ? cov : NULL, kind == 2 ? ncov : 0, fac, nfac,
                             kind == 3, cen};
  rc = survdata_load(&c.csv, &spec, &c.d, err);
  free(cov);
  if (!rc) rc = parse_at(a, &c, err);
  if (!rc) {
    switch (kind) {
    case 0: rc = run_km(a, &c, err); break;
    case 1: rc = run_logrank(a, &c, err); break;
    case 2: rc = run_cox(a, &c, err); break;
    default: rc = run_cif(a, &c, err); break;
    }
  }
  free(c.ticks);
  survdata_free(&c.d);
  csv_free(&c.csv);
  return rc;
}

const rert_cmd rert_cmd_survival = {
    "survival",
    "Kaplan-Meier, log-rank, Cox and competing-risks analyses of a CSV (R-equivalent)",
    "km|logrank|cox|cif FILE.csv",
    "Time-to-event statistics for reRT cohorts (domain-reference 9.5), matching R survival and "
    "cmprsk defaults: km = Kaplan-Meier with Greenwood variance, CI (log transform as R survfit, "
    "or log-log/plain), median and its CI, numbers at risk; logrank = k-group log-rank test "
    "(survdiff); cox = Cox regression (Efron or Breslow ties) with HR, CI and LR/Wald/score tests; "
    "cif = Aalen-Johansen cumulative incidence of every cause (cuminc) with Gray's test across "
    "--group. Rows with a missing value in a used column are dropped. --plot writes an SVG.",
    opts,
    "rert survival km lung.csv --time time --event status --group sex --plot km.svg\n"
    "rert survival logrank aml.csv --group x\n"
    "rert survival cox aml.csv --covariate x --ties breslow --json\n"
    "rert survival cox lung.csv --covariate age,ph.ecog --factor ph.ecog\n"
    "rert survival cif crr.csv --group group --failcode 1 --at 5,10,20",
    2,
    2,
    run};
