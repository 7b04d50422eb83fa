/* cmd_ars.c — `rert ars`: the ARS / RAND-UCLA rating engine on its own (domain-reference §8.1):
 * rate a panel histogram, or list a panel case's rated options from data/ars_2022.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/clinical.h"
#include "rert/data.h"

static const rert_opt ars_opts[] = {
    {"counts", OPT_STR, NULL, "nine comma-separated counts of panellists rating 1..9, e.g. 1,0,8,3,1,0,0,0,0", NULL, 0},
    {"case", OPT_STR, NULL, "list the rated options of an S2 panel case: 1, 2a, 2b, 3, 4, 5", NULL, 0},
    {"disagreement", OPT_STR, "outside_tier", "disagreement rule: outside_tier | both_extremes | ipras", NULL, 0},
    {0}};

static int parse_counts(const char *s, int c[9], rert_err *err) {
  int n = 0;
  const char *p = s;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 0 || v > 1000 || n >= 9)
      return rert_err_set(err, RERT_EINPUT, "--counts: expected nine non-negative integers separated by commas, got '%s'", s);
    c[n++] = (int)v;
    p = end;
    if (*p == ',') p++;
    else if (*p) return rert_err_set(err, RERT_EINPUT, "--counts: unexpected '%c' in '%s'", *p, s);
  }
  if (n != 9) return rert_err_set(err, RERT_EINPUT, "--counts: expected 9 counts (ratings 1..9), got %d", n);
  return RERT_OK;
}

static cJSON *rating_obj(const ars_rating *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "category", ars_category_label(r));
  json_add_num(o, "median", r->reported_median);
  json_add_num(o, "raw_median", r->median);
  cJSON_AddBoolToObject(o, "disagreement", r->disagreement);
  cJSON_AddNumberToObject(o, "n", r->n);
  cJSON_AddNumberToObject(o, "outside_tier", r->outside_tier);
  cJSON_AddNumberToObject(o, "low_1_3", r->low);
  cJSON_AddNumberToObject(o, "high_7_9", r->high);
  json_add_num(o, "p30", r->p30);
  json_add_num(o, "p70", r->p70);
  json_add_num(o, "ipr", r->ipr);
  json_add_num(o, "ipras", r->ipras);
  cJSON_AddNumberToObject(o, "threshold", r->threshold);
  cJSON_AddBoolToObject(o, "threshold_extrapolated", r->threshold_extrapolated);
  return o;
}

static int run_ars(const rert_args *a, rert_err *err) {
  ars_rule rule;
  int rc = ars_rule_parse(cli_str(a, "disagreement"), &rule, err);
  if (rc) return rc;
  const char *counts = cli_str(a, "counts"), *cs = cli_str(a, "case");
  if (!counts == !cs) return rert_err_set(err, RERT_EINPUT, "give exactly one of --counts or --case");
  if (counts) {
    int c[9];
    ars_rating r;
    if ((rc = parse_counts(counts, c, err)) || (rc = ars_rate(c, rule, &r, err))) return rc;
    if (cli_json(a)) {
      cJSON *o = rating_obj(&r);
      cJSON_AddStringToObject(o, "rule", ars_rule_name(rule));
      cli_print_json(o);
    } else {
      printf("%s  median %g (raw %g)  n %d  outside tier %d (threshold %d%s)  1-3: %d  7-9: %d  "
             "IPR %.3g vs IPRAS %.3g  [rule %s]\n",
             ars_category_label(&r), r.reported_median, r.median, r.n, r.outside_tier, r.threshold,
             r.threshold_extrapolated ? ", extrapolated" : "", r.low, r.high, r.ipr, r.ipras, ars_rule_name(rule));
    }
    return RERT_OK;
  }
  ars_match m;
  memset(&m, 0, sizeof m);
  if ((rc = ars_case_options(cs, rule, &m, err))) return rc;
  if (cli_json(a)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "panel_case", m.case_id);
    cJSON_AddStringToObject(o, "key_question", m.key_question);
    cJSON_AddStringToObject(o, "scenario", m.scenario);
    cJSON *arr = cJSON_AddArrayToObject(o, "options");
    for (int i = 0; i < m.noptions; i++) {
      cJSON *x = rating_obj(&m.options[i].rating);
      cJSON_AddStringToObject(x, "treatment", m.options[i].treatment);
      cJSON_AddItemToObject(x, "counts", cJSON_CreateIntArray(m.options[i].counts, 9));
      cJSON_AddStringToObject(x, "printed_category", m.options[i].printed_category);
      cJSON_AddBoolToObject(x, "agrees_with_print", m.options[i].agrees_with_print);
      cJSON_AddStringToObject(x, "strength_of_recommendation", m.options[i].sor);
      cJSON_AddItemToArray(arr, x);
    }
    cJSON_AddStringToObject(o, "source", m.source);
    cli_print_json(o);
  } else {
    printf("ARS case %s (%s): %s\n", m.case_id, m.key_question, m.scenario);
    for (int i = 0; i < m.noptions; i++) {
      const ars_option *x = &m.options[i];
      printf("  %-3s median %-3g SOR %-6s %s%s\n", ars_category_label(&x->rating), x->rating.reported_median,
             x->sor, x->treatment, x->agrees_with_print ? "" : "  [differs from the printed rating]");
    }
    printf("  source: %s\n", m.source);
  }
  return RERT_OK;
}

const rert_cmd rert_cmd_ars = {
    "ars",
    "ARS appropriate-use ratings: rate a panel histogram (RAND/UCLA) or list an S2 panel case",
    "",
    "Rates a histogram of panellist ratings 1..9 with the RAND/UCLA method used by the ARS "
    "appropriate-use criteria (S2): median -> usually appropriate (A, 7-9), may be appropriate "
    "(M, 4-6), usually not appropriate (U, 1-3); disagreement -> M* with median 5. The default "
    "disagreement rule (outside_tier) reproduces the flags printed in S2 (docs/clinical.md).",
    ars_opts,
    "rert ars --counts 1,0,8,3,1,0,0,0,0\nrert ars --case 3 --json",
    0,
    0,
    run_ars};
