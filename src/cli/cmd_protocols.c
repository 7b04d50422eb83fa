/* cmd_protocols.c — `rert protocols list|show NAME|check FILE`: the re-irradiation constraint
 * sets shipped in data/protocols/ (domain-reference §5), printed with their sources. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/data.h"
#include "rert/protocol.h"

static void interval_text(const protocol_interval *iv, char *buf, size_t n) {
  if (!iv->has_min && !iv->has_max) { snprintf(buf, n, "any"); return; }
  char a[32] = "", b[32] = "";
  if (iv->has_min) snprintf(a, sizeof a, "%s%g", iv->min_inclusive ? ">=" : ">", iv->min_months);
  if (iv->has_max) snprintf(b, sizeof b, "%s%s%g", iv->has_min ? "," : "", iv->max_inclusive ? "<=" : "<", iv->max_months);
  snprintf(buf, n, "%s%s mo", a, b);
}

static cJSON *constraint_json(const protocol_constraint *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", c->id);
  cJSON_AddStringToObject(o, "organ", c->organ);
  cJSON_AddStringToObject(o, "metric", c->metric.text);
  if (c->has_limit) json_add_num(o, "limit", c->limit); else cJSON_AddNullToObject(o, "limit");
  cJSON_AddStringToObject(o, "unit", c->limit_unit);
  cJSON_AddStringToObject(o, "comparator", protocol_cmp_name(c->cmp));
  cJSON_AddStringToObject(o, "tier", protocol_tier_name(c->tier));
  cJSON_AddStringToObject(o, "scope", protocol_scope_name(c->scope));
  cJSON_AddStringToObject(o, "quantity", protocol_quantity_name(c->quantity));
  if (c->has_rbe_model) cJSON_AddStringToObject(o, "rbe_model", rbe_model_name(c->rbe));
  char iv[64];
  interval_text(&c->interval, iv, sizeof iv);
  cJSON_AddStringToObject(o, "interval", iv);
  if (isnan(c->alpha_beta_gy)) cJSON_AddNullToObject(o, "alpha_beta_gy");
  else json_add_num(o, "alpha_beta_gy", c->alpha_beta_gy);
  cJSON_AddStringToObject(o, "recovery", c->recovery);
  cJSON_AddStringToObject(o, "notes", c->notes);
  cJSON_AddStringToObject(o, "source", c->source);
  cJSON_AddBoolToObject(o, "verified", c->verified);
  return o;
}

static int do_list(const rert_args *args, rert_err *err) {
  char **names;
  int n;
  if (protocol_names(&names, &n, err)) return RERT_EINPUT;
  cJSON *arr = cli_json(args) ? cJSON_CreateArray() : NULL;
  if (!arr) printf("%-22s %-5s %-8s %s\n", "NAME", "ROWS", "VERIFIED", "TITLE");
  int rc = RERT_OK;
  for (int i = 0; i < n; i++) {
    rert_protocol p;
    if ((rc = protocol_load(names[i], &p, err))) break;
    if (arr) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", p.name);
      cJSON_AddStringToObject(o, "title", p.title);
      cJSON_AddNumberToObject(o, "constraints", p.nconstraints);
      cJSON_AddBoolToObject(o, "verified", p.verified);
      cJSON_AddStringToObject(o, "source", p.source);
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%-22s %-5d %-8s %s\n", p.name, p.nconstraints, p.verified ? "yes" : "NO", p.title);
    }
    protocol_free(&p);
  }
  protocol_names_free(names, n);
  if (rc) { cJSON_Delete(arr); return rc; }
  if (arr) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "protocols", arr);
    cli_print_json(root);
  } else {
    printf("\n`rert protocols show NAME` prints the constraints with their sources.\n");
  }
  return RERT_OK;
}

static int do_show(const rert_args *args, const char *name, rert_err *err) {
  rert_protocol p;
  if (protocol_load(name, &p, err)) return RERT_EINPUT;
  if (cli_json(args)) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", p.name);
    cJSON_AddStringToObject(root, "title", p.title);
    cJSON_AddStringToObject(root, "description", p.description);
    cJSON_AddStringToObject(root, "applies_to", p.applies_to);
    cJSON_AddStringToObject(root, "source", p.source);
    cJSON_AddBoolToObject(root, "verified", p.verified);
    cJSON_AddStringToObject(root, "file", p.path);
    cJSON *cf = cJSON_AddArrayToObject(root, "conflicts");
    for (int i = 0; i < p.nconflicts; i++) cJSON_AddItemToArray(cf, cJSON_CreateString(p.conflicts[i]));
    cJSON *arr = cJSON_AddArrayToObject(root, "constraints");
    for (int i = 0; i < p.nconstraints; i++) cJSON_AddItemToArray(arr, constraint_json(&p.constraints[i]));
    cli_print_json(root);
    protocol_free(&p);
    return RERT_OK;
  }
  printf("%s — %s\n", p.name, p.title);
  printf("source:   %s%s\n", p.source, p.verified ? "" : "  [NOT VERIFIED]");
  printf("file:     %s\n", p.path);
  if (*p.applies_to) printf("applies:  %s\n", p.applies_to);
  if (*p.description) printf("note:     %s\n", p.description);
  for (int i = 0; i < p.nconflicts; i++) printf("conflict: %s\n", p.conflicts[i]);
  printf("\n%-24s %-14s %-9s %-12s %-13s %-10s %-8s %-10s %-5s %s\n", "ID", "ORGAN", "METRIC", "LIMIT",
         "TIER", "SCOPE", "QTY", "INTERVAL", "A/B", "RECOVERY");
  for (int i = 0; i < p.nconstraints; i++) {
    const protocol_constraint *c = &p.constraints[i];
    char lim[32], iv[64], ab[16];
    if (c->has_limit) snprintf(lim, sizeof lim, "%s %g %s", protocol_cmp_name(c->cmp), c->limit, c->limit_unit);
    else snprintf(lim, sizeof lim, "ALARA");
    interval_text(&c->interval, iv, sizeof iv);
    if (isnan(c->alpha_beta_gy)) snprintf(ab, sizeof ab, "organ");
    else snprintf(ab, sizeof ab, "%g", c->alpha_beta_gy);
    printf("%-24s %-14s %-9s %-12s %-13s %-10s %-8s %-10s %-5s %s%s\n", c->id, c->organ, c->metric.text, lim,
           protocol_tier_name(c->tier), protocol_scope_name(c->scope),
           c->has_rbe_model ? rbe_model_name(c->rbe) : protocol_quantity_name(c->quantity), iv, ab,
           c->recovery, c->verified ? "" : "  [NOT VERIFIED]");
    if (*c->notes) printf("    %s\n", c->notes);
    if (strcmp(c->source, p.source)) printf("    source: %s\n", c->source);
  }
  printf("\nA/B \"organ\": the source states no alpha/beta; the organ's value from data/tissues.json is used.\n"
         "Tiers: mandatory and acceptable are hard limits (failure -> exit 1); desirable warns; informational reports.\n");
  protocol_free(&p);
  return RERT_OK;
}

static int run(const rert_args *args, rert_err *err) {
  const char *sub = cli_pos(args, 0);
  if (!strcmp(sub, "list")) {
    if (cli_npos(args) != 1) return rert_err_set(err, RERT_EINPUT, "protocols list takes no argument");
    return do_list(args, err);
  }
  if (!strcmp(sub, "show") || !strcmp(sub, "check")) {
    if (cli_npos(args) != 2)
      return rert_err_set(err, RERT_EINPUT, "protocols %s needs one NAME or FILE.json", sub);
    if (!strcmp(sub, "show")) return do_show(args, cli_pos(args, 1), err);
    rert_protocol p;
    if (protocol_load(cli_pos(args, 1), &p, err)) return RERT_EINPUT;
    printf("%s: valid, %d constraints\n", p.path, p.nconstraints);
    protocol_free(&p);
    return RERT_OK;
  }
  return rert_err_set(err, RERT_EINPUT, "protocols: unknown subcommand \"%s\" (list, show NAME, check FILE)", sub);
}

static const rert_opt opts[] = {{0}};

const rert_cmd rert_cmd_protocols = {
    "protocols",
    "list and show the re-irradiation constraint protocols (data/protocols)",
    "list | show NAME | check FILE.json",
    "Prints the constraint sets shipped as data (ARS 2022 Table 2 rows, CARE both variants, "
    "NIRS/SPHIC carbon, S1 composite, S4 textbook, SPHIC 70 % + Emami): organ, metric, limit, "
    "tier, scope (cumulative or new course), interval condition, the alpha/beta and recovery "
    "each limit assumes, notes and citation. `check` validates a user protocol file against "
    "the schema in docs/protocols.md.",
    opts,
    "rert protocols list\nrert protocols show care_s0\nrert protocols show ng2021_npc --json\n"
    "rert protocols check my_protocol.json",
    1, 2, run};
