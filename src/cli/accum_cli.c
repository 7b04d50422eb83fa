/* accum_cli.c — shared loading and printing for the accumulate/evaluate/solve commands. */
#include "cli/accum_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"

int accum_cli_load(const rert_args *a, rert_case *cf, accum_case *ac, rert_protocol **ps, int *np,
                   rert_err *err) {
  accum_case_opts o;
  memset(&o, 0, sizeof o);
  o.rule = AB_RULE_LOWEST_OAR;
  if (ps) *ps = NULL, *np = 0;
  if (cli_num(a, "uncertainty-mm", &o.uncertainty_mm, err)) return RERT_EINPUT;
  if (!(o.uncertainty_mm >= 0) || o.uncertainty_mm > 50)
    return rert_err_set(err, RERT_EINPUT, "--uncertainty-mm must be in [0, 50]");
  const char *rule = cli_str(a, "rule");
  if (!strcmp(rule, "lowest-oar")) o.rule = AB_RULE_LOWEST_OAR;
  else if (!strcmp(rule, "list-order")) o.rule = AB_RULE_LIST_ORDER;
  else return rert_err_set(err, RERT_EINPUT, "--rule %s: use lowest-oar or list-order", rule);
  const char *og = cli_str(a, "outside-grid");
  int strict = 0;
  if (!strcmp(og, "strict")) strict = 1;
  else if (strcmp(og, "zero") != 0)
    return rert_err_set(err, RERT_EINPUT, "--outside-grid %s: use zero or strict", og);
  if (casefile_load(cli_pos(a, 0), cf, err)) return RERT_EINPUT;
  /* protocols first: the structures needed (rasterised) are those they constrain */
  const rert_protocol **pp = NULL;
  int rc = RERT_OK;
  if (ps) {
    rc = accum_cli_protocols(a, cf, ps, np, err);
    if (!rc && !(pp = calloc((size_t)*np + 1, sizeof *pp))) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    for (int i = 0; !rc && i < *np; i++) pp[i] = &(*ps)[i];
    o.protocols = pp;
    o.nprotocols = rc ? 0 : *np;
  }
  if (!rc) rc = accum_case_load(cf, &o, ac, err);
  free(pp);
  if (rc) {
    if (ps) { accum_cli_free_protocols(*ps, *np); *ps = NULL; *np = 0; }
    casefile_free(cf);
  } else {
    ac->in.outside_grid_strict = strict;
  }
  return rc;
}

void accum_cli_free_protocols(rert_protocol *ps, int n) {
  for (int i = 0; i < n; i++) protocol_free(&ps[i]);
  free(ps);
}

int accum_cli_protocols(const rert_args *a, const rert_case *cf, rert_protocol **ps, int *n,
                        rert_err *err) {
  int m = cli_list_count(a, "protocol");
  int from_case = m == 0;
  if (from_case) m = cf->nprotocols;
  if (m == 0)
    return rert_err_set(err, RERT_EINPUT,
                        "no protocol: give --protocol NAME (see `rert protocols list`) or list them in the case file's \"protocols\"");
  *ps = calloc((size_t)m, sizeof **ps);
  if (!*ps) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < m; i++) {
    const char *name = from_case ? cf->protocols[i] : cli_list_item(a, "protocol", i);
    if (protocol_load(name, &(*ps)[i], err)) {
      accum_cli_free_protocols(*ps, i);
      *ps = NULL;
      return RERT_EINPUT;
    }
  }
  *n = m;
  return RERT_OK;
}

static const char *fmt_num(char *b, size_t n, double v, const char *unit) {
  if (isnan(v)) snprintf(b, n, "-");
  else snprintf(b, n, "%.2f%s", v, unit);
  return b;
}

void accum_cli_print_evaluation(const accum_evaluation *ev, const rert_protocol *p, int worst) {
  printf("\n== %s — %s\n", p->name, p->title);
  printf("source: %s%s\n", p->source, p->verified ? "" : " [NOT VERIFIED]");
  for (int i = 0; i < p->nconflicts; i++) printf("conflict: %s\n", p->conflicts[i]);
  if (!isnan(ev->interval_months)) printf("interval (most recent prior -> new course): %.1f months\n", ev->interval_months);
  printf("%-22s %-15s %-8s %9s %12s %9s %8s %-13s %-14s%s\n", "CONSTRAINT", "STRUCTURE", "METRIC", "VALUE",
         "LIMIT", "MARGIN", "MARGIN%", "TIER", "VERDICT", worst ? "  WORST-CASE" : "");
  for (int r = 0; r < ev->nrows; r++) {
    const accum_eval_row *row = &ev->rows[r];
    const protocol_constraint *c = row->c;
    char v[32], l[40], m[32], mp[32], w[48] = "";
    const char *u = c->limit_unit[0] == 'G' ? "" : c->limit_unit;
    fmt_num(v, sizeof v, row->value, u);
    if (isnan(row->limit)) snprintf(l, sizeof l, c->has_limit ? "-" : "ALARA");
    else snprintf(l, sizeof l, "%s%.4g%s", protocol_cmp_name(c->cmp), row->limit, u);
    fmt_num(m, sizeof m, row->margin, "");
    fmt_num(mp, sizeof mp, row->margin_pct, "%");
    if (worst && row->has_worst)
      snprintf(w, sizeof w, "  %.2f %s", row->worst_value, accum_verdict_name(row->worst_verdict));
    printf("%-22s %-15s %-8s %9s %12s %9s %8s %-13s %-14s%s\n", c->id, row->structure, c->metric.text, v, l, m,
           mp, protocol_tier_name(c->tier), accum_verdict_name(row->verdict), w);
  }
  printf("why:\n");
  for (int r = 0; r < ev->nrows; r++)
    printf("  %s/%s: %s\n", ev->rows[r].c->id, ev->rows[r].structure, ev->rows[r].explanation);
  printf("result: %d hard (mandatory/acceptable) failure(s), %d desirable not met, %d not evaluated "
         "(%d of them mandatory/acceptable), %d incomplete\n", ev->hard_failures, ev->desirable_failures,
         ev->not_evaluated, ev->hard_not_evaluated, ev->incomplete);
}

cJSON *accum_cli_evaluation_json(const accum_evaluation *ev, const rert_protocol *p) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "protocol", p->name);
  cJSON_AddStringToObject(o, "title", p->title);
  cJSON_AddStringToObject(o, "source", p->source);
  cJSON_AddBoolToObject(o, "verified", p->verified);
  if (isnan(ev->interval_months)) cJSON_AddNullToObject(o, "interval_months");
  else json_add_num(o, "interval_months", ev->interval_months);
  cJSON_AddNumberToObject(o, "hard_failures", ev->hard_failures);
  cJSON_AddNumberToObject(o, "desirable_failures", ev->desirable_failures);
  cJSON_AddNumberToObject(o, "not_evaluated", ev->not_evaluated);
  cJSON_AddNumberToObject(o, "incomplete", ev->incomplete);
  cJSON_AddNumberToObject(o, "hard_incomplete", ev->hard_incomplete);
  cJSON_AddNumberToObject(o, "rows_partly_outside_dose_grid", ev->partial_rows);
  cJSON_AddNumberToObject(o, "hard_not_evaluated", ev->hard_not_evaluated);
  cJSON *arr = cJSON_AddArrayToObject(o, "constraints");
  for (int r = 0; r < ev->nrows; r++) {
    const accum_eval_row *row = &ev->rows[r];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "id", row->c->id);
    cJSON_AddStringToObject(x, "structure", row->structure);
    cJSON_AddStringToObject(x, "metric", row->c->metric.text);
    cJSON_AddStringToObject(x, "tier", protocol_tier_name(row->c->tier));
    cJSON_AddStringToObject(x, "scope", protocol_scope_name(row->c->scope));
    cJSON_AddStringToObject(x, "quantity", protocol_quantity_name(row->c->quantity));
    cJSON_AddStringToObject(x, "comparator", protocol_cmp_name(row->c->cmp));
    cJSON_AddStringToObject(x, "unit", row->c->limit_unit);
#define NUM(k, v) do { if (isnan(v)) cJSON_AddNullToObject(x, k); else json_add_num(x, k, v); } while (0)
    NUM("value", row->value);
    NUM("limit", row->limit);
    NUM("margin", row->margin);
    NUM("margin_pct", row->margin_pct);
    NUM("alpha_beta_gy", row->alpha_beta_gy);
    cJSON_AddStringToObject(x, "status", accum_row_status_name(row->status));
    if (row->reason != NE_NONE) cJSON_AddStringToObject(x, "reason", accum_ne_reason_name(row->reason));
    if (row->roi_name[0]) cJSON_AddStringToObject(x, "roi", row->roi_name);
    cJSON_AddStringToObject(x, "verdict", accum_verdict_name(row->verdict));
    if (row->has_worst) {
      NUM("worst_value", row->worst_value);
      cJSON_AddStringToObject(x, "worst_verdict", accum_verdict_name(row->worst_verdict));
    }
    cJSON_AddStringToObject(x, "dvh_method", row->from_contours ? "contours" : isnan(row->value) ? "none" : "mask_samples");
    cJSON_AddBoolToObject(x, "complete", row->complete);
    NUM("outside_pct", row->outside_pct);
    NUM("structure_cc", row->structure_cc);
#undef NUM
    cJSON_AddStringToObject(x, "recovery", row->recovery_used);
    cJSON_AddStringToObject(x, "contributions", row->contributions);
    cJSON_AddStringToObject(x, "explanation", row->explanation);
    cJSON_AddStringToObject(x, "source", row->c->source);
    cJSON_AddBoolToObject(x, "verified", row->c->verified);
    cJSON_AddItemToArray(arr, x);
  }
  return o;
}

void accum_cli_print_mapping(const accum_case *ac) {
  if (!ac->has_map) return;
  const rert_structmap *m = &ac->map;
  printf("\nstructures of %s (%d ROIs; structure_map, then data/structure_synonyms.json):\n", m->source, m->n);
  int nun = 0;
  for (int i = 0; i < m->n; i++) {
    const smap_entry *e = &m->e[i];
    if (e->role != SROLE_ORGAN && e->role != SROLE_TARGET) { nun++; continue; }
    printf("  %-18s <- '%s' (%s; %s)%s\n", e->name, e->local, e->how_text, e->role_text,
           ac->needed && !ac->needed[i] ? " [not needed: no constraint or tissue parameter]" : "");
  }
  if (nun) {
    printf("  not used (%d):", nun);
    for (int i = 0; i < m->n; i++) {
      const smap_entry *e = &m->e[i];
      if (e->role == SROLE_ORGAN || e->role == SROLE_TARGET) continue;
      printf(" '%s' [%s]%s", e->local, e->role == SROLE_EXTERNAL ? "external" : e->how == SMAP_UNMAPPED ? e->how_text : e->role_text,
             --nun ? ";" : "\n");
    }
  }
  for (int w = 0; w < m->nwarnings; w++) printf("  warning: %s\n", m->warnings[w]);
}

void accum_cli_print_overall(const accum_evaluation *evs, int n, const accum_overall *o) {
  printf("\nverdict: %s (%d hard constraint failure(s), %d mandatory/acceptable row(s) not evaluated, %d row(s) "
         "partly outside the dose grid, %d row(s) over %d protocol(s))\n",
         accumulate_overall_name(o->verdict), o->hard_failures, o->hard_not_evaluated, o->partial_rows, o->rows, n);
  if (o->hard_not_evaluated) {
    printf("not evaluated (mandatory/acceptable; the verdict cannot be PASS):\n");
    for (int i = 0; i < n; i++)
      for (int r = 0; r < evs[i].nrows; r++) {
        const accum_eval_row *row = &evs[i].rows[r];
        if (!accumulate_row_unevaluated_hard(row)) continue;
        printf("  %s/%s %s %s: %s\n", evs[i].protocol, row->c->id, row->structure, row->c->metric.text,
               accum_ne_reason_name(row->reason)[0] ? accum_ne_reason_name(row->reason) : accum_verdict_name(row->verdict));
      }
  }
}

cJSON *accum_cli_overall_json(const accum_evaluation *evs, int n, const accum_overall *o, cJSON *root) {
  cJSON_AddStringToObject(root, "verdict", accumulate_overall_name(o->verdict));
  cJSON_AddNumberToObject(root, "hard_failures", o->hard_failures);
  cJSON_AddNumberToObject(root, "hard_not_evaluated", o->hard_not_evaluated);
  cJSON_AddNumberToObject(root, "rows_partly_outside_dose_grid", o->partial_rows);
  cJSON_AddNumberToObject(root, "constraint_rows", o->rows);
  cJSON *a = cJSON_AddArrayToObject(root, "not_evaluated_mandatory");
  for (int i = 0; i < n; i++)
    for (int r = 0; r < evs[i].nrows; r++) {
      const accum_eval_row *row = &evs[i].rows[r];
      if (!accumulate_row_unevaluated_hard(row)) continue;
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "protocol", evs[i].protocol);
      cJSON_AddStringToObject(x, "id", row->c->id);
      cJSON_AddStringToObject(x, "structure", row->structure);
      cJSON_AddStringToObject(x, "metric", row->c->metric.text);
      cJSON_AddStringToObject(x, "tier", protocol_tier_name(row->c->tier));
      cJSON_AddStringToObject(x, "reason", accum_ne_reason_name(row->reason)[0] ? accum_ne_reason_name(row->reason)
                                                                               : accum_verdict_name(row->verdict));
      cJSON_AddItemToArray(a, x);
    }
  return root;
}
