/* cohort_params.c — the parameter set of a cohort run: recovery assumptions (each validated
 * against data/recovery_models.json), metrics (protocol metric strings), protocols, uncertainty
 * radius, α/β rule; its JSON form (plan files, registry) and its digest (part of every case key).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/cohort.h"
#include "rert/data.h"
#include "rert/protocol.h"
#include "rert/recovery.h"
#include "rert/report.h"

#ifndef RERT_VERSION
#define RERT_VERSION "0.0.0"
#endif

void cohort_params_init(cohort_params *p) {
  memset(p, 0, sizeof *p);
  const char *rec[] = {"none", "s4_stepwise", "exp2y=exponential:halftime_years=2", "care_uplift"};
  const char *met[] = {"Dmax", "D0.03cc", "D2cc", "Dmean"};
  rert_err e;
  cohort_params_set_recovery(p, rec, 4, &e);
  cohort_params_set_metrics(p, met, 4, &e);
  p->alpha_beta_gy = NAN;
  p->rule = AB_RULE_LOWEST_OAR;
}

/* column-safe label: letters, digits and '_' */
static void make_label(const char *spec, char *out, size_t n) {
  size_t k = 0;
  for (const char *s = spec; *s && k + 1 < n; s++) {
    char c = *s;
    if (isalnum((unsigned char)c)) out[k++] = c;
    else if (k > 0 && out[k - 1] != '_') out[k++] = '_';
  }
  while (k > 0 && out[k - 1] == '_') k--;
  out[k] = 0;
}

int cohort_params_set_recovery(cohort_params *p, const char *const *items, int n, rert_err *err) {
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "--recovery: at least one assumption");
  if (n > COHORT_MAX_RECOVERY)
    return rert_err_set(err, RERT_EINPUT, "--recovery: at most %d assumptions", COHORT_MAX_RECOVERY);
  for (int i = 0; i < n; i++) {
    cohort_recovery *r = &p->recovery[i];
    const char *it = items[i], *eq = strchr(it, '='), *colon = strchr(it, ':');
    /* LABEL=SPEC when '=' comes before any ':' (specs use '=' only after ':') */
    if (eq && (!colon || eq < colon)) {
      snprintf(r->label, sizeof r->label, "%.*s", (int)(eq - it), it);
      snprintf(r->spec, sizeof r->spec, "%s", eq + 1);
      for (const char *s = r->label; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
          return rert_err_set(err, RERT_EINPUT, "--recovery %s: label may hold letters, digits and _ only", it);
    } else {
      snprintf(r->spec, sizeof r->spec, "%s", it);
      make_label(it, r->label, sizeof r->label);
    }
    if (!r->label[0] || !r->spec[0]) return rert_err_set(err, RERT_EINPUT, "--recovery '%s': empty", it);
    if (strcmp(r->spec, "case") != 0) {
      recovery_model m;
      if (recovery_model_get(r->spec, &m, err))
        return rert_err_prefix(err, RERT_EINPUT, "--recovery %s", it);
    }
    for (int j = 0; j < i; j++)
      if (!strcmp(p->recovery[j].label, r->label))
        return rert_err_set(err, RERT_EINPUT, "--recovery: label %s given twice", r->label);
  }
  p->nrecovery = n;
  return RERT_OK;
}

int cohort_params_set_metrics(cohort_params *p, const char *const *items, int n, rert_err *err) {
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "--metric: at least one metric");
  if (n > COHORT_MAX_METRICS)
    return rert_err_set(err, RERT_EINPUT, "--metric: at most %d metrics", COHORT_MAX_METRICS);
  for (int i = 0; i < n; i++) {
    protocol_metric m;
    if (protocol_metric_parse(items[i], &m, err)) return rert_err_prefix(err, RERT_EINPUT, "--metric");
    snprintf(p->metrics[i], sizeof p->metrics[i], "%s", m.text);
    for (int j = 0; j < i; j++)
      if (!strcmp(p->metrics[j], p->metrics[i]))
        return rert_err_set(err, RERT_EINPUT, "--metric %s given twice", items[i]);
  }
  p->nmetrics = n;
  return RERT_OK;
}

static cJSON *params_json(const cohort_params *p, int with_report) {
  cJSON *o = cJSON_CreateObject();
  cJSON *r = cJSON_AddArrayToObject(o, "recovery");
  for (int i = 0; i < p->nrecovery; i++) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "label", p->recovery[i].label);
    cJSON_AddStringToObject(x, "spec", p->recovery[i].spec);
    cJSON_AddItemToArray(r, x);
  }
  cJSON *m = cJSON_AddArrayToObject(o, "metrics");
  for (int i = 0; i < p->nmetrics; i++) cJSON_AddItemToArray(m, cJSON_CreateString(p->metrics[i]));
  cJSON *pr = cJSON_AddArrayToObject(o, "protocols");
  for (int i = 0; i < p->nprotocols; i++) cJSON_AddItemToArray(pr, cJSON_CreateString(p->protocols[i]));
  json_add_num(o, "uncertainty_mm", p->uncertainty_mm);
  if (isnan(p->alpha_beta_gy)) cJSON_AddNullToObject(o, "alpha_beta_gy");
  else json_add_num(o, "alpha_beta_gy", p->alpha_beta_gy);
  cJSON_AddStringToObject(o, "alpha_beta_rule", p->rule == AB_RULE_LIST_ORDER ? "list-order" : "lowest-oar");
  cJSON_AddStringToObject(o, "outside_grid", p->outside_grid_strict ? "strict" : "zero");
  if (with_report) cJSON_AddStringToObject(o, "report_dir", p->report_dir);
  return o;
}

cJSON *cohort_params_to_json(const cohort_params *p) { return params_json(p, 1); }

void cohort_params_digest(const cohort_params *p, char hex[65]) {
  cJSON *o = params_json(p, 0);
  /* the rert version is part of the key: a new release recomputes */
  cJSON_AddStringToObject(o, "rert_version", RERT_VERSION);
  char *s = cJSON_PrintUnformatted(o);
  report_sha256_buffer(s, strlen(s), hex);
  free(s);
  cJSON_Delete(o);
}

int cohort_params_from_json(const cJSON *j, cohort_params *p, rert_err *err) {
  cohort_params_init(p);
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "recovery");
  const char *items[COHORT_MAX_RECOVERY];
  char buf[COHORT_MAX_RECOVERY][160];
  int n = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, r) {
    if (n >= COHORT_MAX_RECOVERY) break;
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(x, "label"), *s = cJSON_GetObjectItemCaseSensitive(x, "spec");
    if (!cJSON_IsString(l) || !cJSON_IsString(s)) return rert_err_set(err, RERT_EINPUT, "params: recovery entry needs label and spec");
    snprintf(buf[n], sizeof buf[n], "%s=%s", l->valuestring, s->valuestring);
    items[n] = buf[n];
    n++;
  }
  if (cohort_params_set_recovery(p, items, n, err)) return RERT_EINPUT;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "metrics");
  const char *mi[COHORT_MAX_METRICS];
  n = 0;
  cJSON_ArrayForEach(x, m) if (cJSON_IsString(x) && n < COHORT_MAX_METRICS) mi[n++] = x->valuestring;
  if (cohort_params_set_metrics(p, mi, n, err)) return RERT_EINPUT;
  p->nprotocols = 0;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "protocols")) {
    if (cJSON_IsString(x) && p->nprotocols < COHORT_MAX_PROTOCOLS)
      snprintf(p->protocols[p->nprotocols++], sizeof p->protocols[0], "%s", x->valuestring);
  }
  x = cJSON_GetObjectItemCaseSensitive(j, "uncertainty_mm");
  p->uncertainty_mm = cJSON_IsNumber(x) ? x->valuedouble : 0;
  x = cJSON_GetObjectItemCaseSensitive(j, "alpha_beta_gy");
  p->alpha_beta_gy = cJSON_IsNumber(x) ? x->valuedouble : NAN;
  x = cJSON_GetObjectItemCaseSensitive(j, "alpha_beta_rule");
  p->rule = cJSON_IsString(x) && !strcmp(x->valuestring, "list-order") ? AB_RULE_LIST_ORDER : AB_RULE_LOWEST_OAR;
  x = cJSON_GetObjectItemCaseSensitive(j, "outside_grid");
  p->outside_grid_strict = cJSON_IsString(x) && !strcmp(x->valuestring, "strict");
  x = cJSON_GetObjectItemCaseSensitive(j, "report_dir");
  if (cJSON_IsString(x)) snprintf(p->report_dir, sizeof p->report_dir, "%s", x->valuestring);
  return RERT_OK;
}
