/* cmd_budget.c — `rert budget`: parses the organ, prior courses (dates or intervals in months),
 * limit or protocol, and prints the point-dose budget computed by the library (rert/budget.h:
 * row selection, tightest limit, limit × factor − Σ recovered prior; domain-reference §1.2, §3,
 * §10.6) with the maximum new physical dose per fraction count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/schedule.h"
#include "rert/budget.h"
#include "rert/data.h"
#include "rert/date.h"
#include "rert/protocol.h"
#include "rert/radbio.h"
#include "rert/recovery.h"

static const rert_opt budget_opts[] = {
    {"organ", OPT_STR, NULL, "TG-263 organ (gives α/β from data/tissues.json), e.g. SpinalCord", NULL, 0},
    {"prior", OPT_LIST, NULL, "prior course DOSE/FRACTIONS[@END_DATE|@MONTHSmo][:key=value...], e.g. 46Gy/23@2024-03-15, 46Gy/23@18mo (ended 18 months before the new course) or 51Gy/17@2023-01-10:modality=carbon:rbe=LEM_I (keys: modality, rbe, fpd, interval_h, label)", NULL, 0},
    {"prior-eqd2", OPT_LIST, NULL, "prior course known only as EQD2 at the organ's α/β: EQD2[@END_DATE|@MONTHSmo], e.g. 54Gy@2022-01-10 or 54Gy@30mo", NULL, 0},
    {"start", OPT_DATE, NULL, "planned start date of the new course (YYYY-MM-DD); needed when a prior course is given with an end date", NULL, 0},
    {"interval-months", OPT_NUM, NULL, "interval from the end of the prior course(s) given without @ to the new course, in months (the literature's unit; 1 month = 30.4375 days)", NULL, 0},
    {"recovery", OPT_STR, "none", "recovery model from data/recovery_models.json (s4_stepwise, sphic_70, exponential:halftime_years=2, care_uplift, ng2021_130, ...)", NULL, 0},
    {"limit", OPT_NUM, NULL, "cumulative EQD2 limit with unit, e.g. 50Gy", "Gy", 0},
    {"limit-gy", OPT_NUM, NULL, "cumulative EQD2 limit in Gy", "Gy", 1},
    {"protocol", OPT_STR, NULL, "take the limit(s) from a protocol in data/protocols (rert protocols list): every cumulative EQD2 point-dose row for the organ whose interval condition holds; the tightest hard limit governs", NULL, 0},
    {"metric", OPT_STR, "Dmax", "metric the limit applies to (informational for point doses)", NULL, 0},
    {"fractions", OPT_LIST, "1,5,10,15,17,20,25,30,35", "fraction counts to solve the maximum new dose for", NULL, 0},
    SCHEDULE_BIO_OPTS,
    {"modality", OPT_STR, "photon", "modality of the new course (photon, proton, carbon)", NULL, 0},
    {"rbe-model", OPT_STR, NULL, "RBE model of the new course [default: PHYSICAL photon, RBE_FIXED proton]", NULL, 0},
    {0}};

typedef budget_prior prior_course;

static int parse_prior(const char *spec, int eqd2_only, int idx, prior_course *p, rert_err *err) {
  memset(p, 0, sizeof *p);
  p->eqd2_only = eqd2_only;
  p->fpd = 1;
  p->modality = MOD_PHOTON;
  p->rbe = RBE_PHYSICAL;
  snprintf(p->label, sizeof p->label, "prior%d", idx + 1);
  char buf[512], what[64];
  snprintf(what, sizeof what, "--%s '%s'", eqd2_only ? "prior-eqd2" : "prior", spec);
  if (strlen(spec) >= sizeof buf) return rert_err_set(err, RERT_EINPUT, "%s: too long", what);
  strcpy(buf, spec);
  char *opts = strchr(buf, ':');
  if (opts) *opts++ = 0;
  char *at = strchr(buf, '@');
  int rc;
  p->interval_months = NAN; /* NaN: from --interval-months; < 0 marker: from the end date */
  if (at) {
    *at = 0;
    char *end = NULL;
    double mo = strtod(at + 1, &end);
    if (end != at + 1 && end && (!strcasecmp(end, "mo") || !strcasecmp(end, "months") || !strcasecmp(end, "m"))) {
      if (!(mo >= 0) || !isfinite(mo)) return rert_err_set(err, RERT_EINPUT, "%s: interval must be >= 0 months", what);
      p->interval_months = mo;
    } else {
      if ((rc = date_parse(at + 1, what, &p->end, err))) return rc;
      p->interval_months = -1;
    }
  }
  if (eqd2_only) {
    if ((rc = cli_parse_quantity(buf, "Gy", 1, what, &p->eqd2_gy, err))) return rc;
    if (p->eqd2_gy < 0) return rert_err_set(err, RERT_EINPUT, "%s: EQD2 must be >= 0", what);
  } else {
    char *slash = strchr(buf, '/');
    if (!slash) return rert_err_set(err, RERT_EINPUT, "%s: expected DOSE/FRACTIONS (e.g. 46Gy/23)", what);
    *slash = 0;
    if ((rc = cli_parse_quantity(buf, "Gy", 1, what, &p->dose_gy, err))) return rc;
    char *fx = slash + 1, *end;
    long n = strtol(fx, &end, 10);
    if (end == fx || (*end && strcasecmp(end, "fx") != 0 && strcasecmp(end, "fractions") != 0))
      return rert_err_set(err, RERT_EINPUT, "%s: '%s' is not a fraction count", what, fx);
    if (n < 1 || n > 1000) return rert_err_set(err, RERT_EINPUT, "%s: fractions must be >= 1 (got %ld)", what, n);
    p->fractions = (int)n;
    if (p->dose_gy < 0) return rert_err_set(err, RERT_EINPUT, "%s: dose must be >= 0", what);
  }
  int rbe_given = 0;
  for (char *save = NULL, *kv = opts ? strtok_r(opts, ":", &save) : NULL; kv; kv = strtok_r(NULL, ":", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) return rert_err_set(err, RERT_EINPUT, "%s: option '%s' needs key=value", what, kv);
    *eq++ = 0;
    if (strcmp(kv, "modality") == 0) rc = rbe_modality_parse(eq, &p->modality, err);
    else if (strcmp(kv, "rbe") == 0) {
      rc = rbe_model_parse(eq, &p->rbe, err);
      rbe_given = 1;
    } else if (strcmp(kv, "fpd") == 0) {
      p->fpd = atoi(eq);
      if (p->fpd < 1) rc = rert_err_set(err, RERT_EINPUT, "%s: fpd must be >= 1", what);
    } else if (strcmp(kv, "interval_h") == 0) rc = cli_parse_quantity(eq, "h", 0, what, &p->interval_h, err);
    else if (strcmp(kv, "label") == 0) snprintf(p->label, sizeof p->label, "%s", eq);
    else rc = rert_err_set(err, RERT_EINPUT, "%s: unknown key '%s' (modality, rbe, fpd, interval_h, label)", what, kv);
    if (rc) return rc;
  }
  if (!rbe_given && p->modality == MOD_PROTON) p->rbe = RBE_FIXED;
  if (!rbe_given && p->modality == MOD_CARBON)
    return rert_err_set(err, RERT_EINPUT, "%s: carbon course needs :rbe=LEM_I or :rbe=MKM", what);
  return RERT_OK;
}

static void calc_to_json(const budget_calc *b, int n, cJSON *o) {
  char d[11];
  cJSON *r = cJSON_AddObjectToObject(o, "recovery");
  cJSON_AddStringToObject(r, "model", b->rec.name);
  cJSON_AddStringToObject(r, "kind", recovery_is_limit_model(&b->rec) ? "limit" : "prior");
  cJSON_AddStringToObject(r, "source", b->rec.citation);
  cJSON_AddBoolToObject(r, "verified", b->rec.verified);
  json_add_num(o, "alpha_beta_gy", b->alpha_beta_gy);
  cJSON *arr = cJSON_AddArrayToObject(o, "prior_courses");
  for (int i = 0; i < n; i++) {
    const prior_course *p = &b->pc[i];
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "label", p->label);
    if (!p->eqd2_only) {
      json_add_num(c, "dose_gy", p->dose_gy);
      cJSON_AddNumberToObject(c, "fractions", p->fractions);
      json_add_num(c, "dose_per_fraction_gy", p->dose_gy / p->fractions);
      cJSON_AddNumberToObject(c, "fractions_per_day", p->fpd);
    }
    cJSON_AddStringToObject(c, "modality", rbe_modality_name(p->modality));
    cJSON_AddStringToObject(c, "rbe_model", rbe_model_name(p->rbe));
    if (p->end.year > 0) {
      date_format(p->end, d);
      cJSON_AddStringToObject(c, "end_date", d);
    } else {
      cJSON_AddNullToObject(c, "end_date");
    }
    json_add_num(c, "interval_months", p->interval_months);
    json_add_num(c, "bed_gy", p->bed_gy);
    json_add_num(c, "eqd2_gy", p->eqd2_gy);
    json_add_num(c, "recovered_fraction", p->recovered_fraction);
    json_add_num(c, "effective_eqd2_gy", p->effective_eqd2_gy);
    cJSON_AddItemToArray(arr, c);
  }
  json_add_num(o, "prior_eqd2_gy", b->sum_raw);
  json_add_num(o, "recovered_prior_eqd2_gy", b->sum_eff);
}

static void calc_print(const budget_calc *b, int n, const char *metric) {
  printf("recovery      %s (%s)%s\n", b->rec.name, b->rec.citation, b->rec.verified ? "" : " [unverified]");
  printf("\n%-10s %10s %4s %8s %11s %9s %10s %9s %10s\n", "course", "dose_Gy", "fx", "d_Gy", "end",
         "interval", "EQD2_Gy", "recovered", "counted_Gy");
  for (int i = 0; i < n; i++) {
    const prior_course *p = &b->pc[i];
    char d[11] = "-";
    if (p->end.year > 0) date_format(p->end, d);
    if (p->eqd2_only)
      printf("%-10s %10s %4s %8s %11s %7.1fmo %10.3f %8.0f%% %10.3f\n", p->label, "(EQD2)", "-", "-", d,
             p->interval_months, p->eqd2_gy, 100 * p->recovered_fraction, p->effective_eqd2_gy);
    else
      printf("%-10s %10.3f %4d %8.3f %11s %7.1fmo %10.3f %8.0f%% %10.3f\n", p->label, p->dose_gy,
             p->fractions, p->dose_gy / p->fractions, d, p->interval_months, p->eqd2_gy,
             100 * p->recovered_fraction, p->effective_eqd2_gy);
  }
  printf("\nprior EQD2 %.3f Gy (α/β %.4g Gy), counted after recovery %.3f Gy\n", b->sum_raw,
         b->alpha_beta_gy, b->sum_eff);
  printf("limit (%s) %.4g Gy EQD2 × %.4g = %.4g Gy\n", metric, b->limit, b->factor, b->limit_eff);
  printf("remaining     %.4f Gy EQD2%s\n", b->remaining, b->remaining <= 0 ? "  — BUDGET EXHAUSTED" : "");
}

static int parse_fraction_list(const rert_args *a, int *fx, int *nf, rert_err *err) {
  *nf = cli_list_count(a, "fractions");
  if (*nf == 0) {
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s", "1,5,10,15,17,20,25,30,35");
    for (char *sv = NULL, *t = strtok_r(tmp, ",", &sv); t && *nf < 64; t = strtok_r(NULL, ",", &sv))
      fx[(*nf)++] = atoi(t);
    return RERT_OK;
  }
  if (*nf > 64) return rert_err_set(err, RERT_EINPUT, "at most 64 fraction counts");
  for (int i = 0; i < *nf; i++) {
    const char *t = cli_list_item(a, "fractions", i);
    char *end;
    long v = strtol(t, &end, 10);
    if (end == t || *end || v < 1 || v > 1000)
      return rert_err_set(err, RERT_EINPUT, "--fractions: '%s' is not a fraction count >= 1", t);
    fx[i] = (int)v;
  }
  return RERT_OK;
}

static int run_budget(const rert_args *a, rert_err *err) {
  int rc;
  const char *organ = cli_str(a, "organ");
  if (!organ && !cli_has(a, "tissue") && !cli_has(a, "alpha-beta-gy") && !cli_has(a, "alpha-beta"))
    return rert_err_set(err, RERT_EINPUT, "give --organ NAME (TG-263) or --alpha-beta-gy NUM");
  if (organ && cli_has(a, "tissue"))
    return rert_err_set(err, RERT_EINPUT, "give --organ or --tissue, not both");
  schedule s;
  memset(&s, 0, sizeof s);
  if ((rc = schedule_bio_from_args(a, organ, &s, err))) return rc;
  if (!organ && s.has_tissue) organ = s.tissue.organ;
  rert_date start;
  int has_start = cli_has(a, "start");
  if (has_start && (rc = date_parse(cli_str(a, "start"), "--start", &start, err))) return rc;
  double iv_opt = NAN;
  if (cli_has(a, "interval-months")) {
    if ((rc = cli_num(a, "interval-months", &iv_opt, err))) return rc;
    if (!(iv_opt >= 0) || !isfinite(iv_opt))
      return rert_err_set(err, RERT_EINPUT, "--interval-months: must be >= 0 (got %g)", iv_opt);
  }
  int np = cli_list_count(a, "prior"), ne = cli_list_count(a, "prior-eqd2");
  if (np + ne == 0) return rert_err_set(err, RERT_EINPUT, "give at least one --prior DOSE/FRACTIONS@END_DATE");
  if (np + ne > 64) return rert_err_set(err, RERT_EINPUT, "at most 64 prior courses");
  const char *proto_name = cli_str(a, "protocol");
  int has_limit = cli_has(a, "limit") + cli_has(a, "limit-gy");
  if (proto_name && has_limit) return rert_err_set(err, RERT_EINPUT, "give --protocol or an explicit --limit, not both");
  if (!proto_name && has_limit != 1)
    return rert_err_set(err, RERT_EINPUT, "give the cumulative limit once (--limit 50Gy or --limit-gy 50) or --protocol NAME");
  double limit = 0;
  if (!proto_name) {
    if ((rc = cli_num(a, cli_has(a, "limit") ? "limit" : "limit-gy", &limit, err))) return rc;
    if (!(limit > 0)) return rert_err_set(err, RERT_EINPUT, "limit must be > 0 Gy");
  }
  recovery_model user_rec;
  if ((rc = recovery_model_get(cli_str(a, "recovery"), &user_rec, err))) return rc;

  rert_modality new_mod;
  rbe_model new_rbe = RBE_PHYSICAL;
  if ((rc = rbe_modality_parse(cli_str(a, "modality"), &new_mod, err))) return rc;
  if (cli_str(a, "rbe-model")) {
    if ((rc = rbe_model_parse(cli_str(a, "rbe-model"), &new_rbe, err))) return rc;
  } else if (new_mod == MOD_PROTON) new_rbe = RBE_FIXED;
  else if (new_mod == MOD_CARBON) return rert_err_set(err, RERT_EINPUT, "carbon new course needs --rbe-model LEM_I or MKM");

  prior_course pc[64];
  double min_iv = INFINITY;
  for (int i = 0; i < np + ne; i++) {
    int e = i >= np;
    if ((rc = parse_prior(cli_list_item(a, e ? "prior-eqd2" : "prior", e ? i - np : i), e, i, &pc[i], err)))
      return rc;
    prior_course *p = &pc[i];
    if (p->interval_months < 0) { /* given with an end date */
      if (!has_start)
        return rert_err_set(err, RERT_EINPUT, "%s has an end date: give --start YYYY-MM-DD (planned start of the new course)", p->label);
      long days = date_diff_days(p->end, start);
      if (days < 0) {
        char b1[11], b2[11];
        date_format(p->end, b1);
        date_format(start, b2);
        return rert_err_set(err, RERT_EINPUT, "dates in the wrong order: %s ends %s, after the new course starts %s",
                            p->label, b1, b2);
      }
      p->interval_months = days / RERT_DAYS_PER_MONTH;
    } else if (isnan(p->interval_months)) { /* neither @date nor @Nmo */
      if (isnan(iv_opt))
        return rert_err_set(err, RERT_EINPUT, "%s: give its end date (@YYYY-MM-DD with --start), its interval (@18mo) or --interval-months", p->label);
      p->interval_months = iv_opt;
    }
    if (p->interval_months < min_iv) min_iv = p->interval_months;
    if (p->modality == MOD_PROTON && p->rbe == RBE_PHYSICAL)
      return rert_err_set(err, RERT_EINPUT, "%s: physical proton dose; give :rbe=RBE_FIXED if it is RBE-weighted", p->label);
    if ((rc = rbe_check_summable(p->modality, p->rbe, new_mod, new_rbe, err)))
      return rert_err_prefix(err, rc, "%s", p->label);
    for (int k = 0; k < i; k++)
      if ((rc = rbe_check_summable(p->modality, p->rbe, pc[k].modality, pc[k].rbe, err)))
        return rert_err_prefix(err, rc, "%s and %s", pc[k].label, p->label);
  }
  int fx[64], nf;
  if ((rc = parse_fraction_list(a, fx, &nf, err))) return rc;
  double thr;
  if ((rc = radbio_model_dependent_threshold_gy(&thr, err))) return rc;

  /* repair half-time for prior courses with several fractions a day */
  double t12 = s.model.repair_halftime_h;
  if (!(t12 > 0) && s.has_tissue && isfinite(s.tissue.repair_halftime_h)) t12 = s.tissue.repair_halftime_h;
  /* the rows: one explicit limit, or the protocol's usable rows (library: rert/budget.h) */
  static budget_result br;
  memset(&br, 0, sizeof br);
  budget_row *rows = br.rows;
  int nrows = 0, governing = -1;
  rert_protocol proto;
  memset(&proto, 0, sizeof proto);
  cJSON *skipped = cJSON_CreateArray();
  if (proto_name) {
    if (!organ) {
      cJSON_Delete(skipped);
      return rert_err_set(err, RERT_EINPUT, "--protocol needs --organ to select its rows");
    }
    if ((rc = protocol_load(proto_name, &proto, err)) ||
        (rc = budget_point_protocol(&proto, organ, pc, np + ne, s.model.alpha_beta_gy, t12, &user_rec, &br,
                                    skipped, err))) {
      cJSON_Delete(skipped);
      protocol_free(&proto);
      return rc;
    }
    nrows = br.nrows;
    governing = br.governing;
  } else {
    nrows = 1;
    rows[0].c = NULL;
    if ((rc = budget_point_compute(pc, np + ne, s.model.alpha_beta_gy, t12, &user_rec, limit, &rows[0].calc, err))) {
      cJSON_Delete(skipped);
      return rc;
    }
    governing = 0;
  }
  budget_calc *g = &rows[governing].calc;
  radbio_model nm = s.model;
  nm.alpha_beta_gy = g->alpha_beta_gy;
  double dmax[64], Dmax[64];
  for (int i = 0; i < nf; i++)
    if ((rc = radbio_max_new_dose_gy(g->remaining, fx[i], &nm, &dmax[i], &Dmax[i], err))) {
      cJSON_Delete(skipped);
      protocol_free(&proto);
      return rc;
    }
  const char *metric = rows[governing].c ? rows[governing].c->metric.text : cli_str(a, "metric");

  if (cli_json(a)) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "organ", organ ? organ : "");
    schedule_bio_to_json(&s, root);
    char b[11];
    /* one alpha_beta_gy: the α/β the budget is computed at (the governing row's); the organ's
     * own value from data/tissues.json is organ_alpha_beta_gy */
    cJSON_DeleteItemFromObjectCaseSensitive(root, "alpha_beta_gy");
    json_add_num(root, "organ_alpha_beta_gy", s.model.alpha_beta_gy);
    if (has_start) {
      date_format(start, b);
      cJSON_AddStringToObject(root, "new_course_start", b);
    } else {
      cJSON_AddNullToObject(root, "new_course_start");
    }
    cJSON_AddStringToObject(root, "new_course_modality", rbe_modality_name(new_mod));
    cJSON_AddStringToObject(root, "new_course_rbe_model", rbe_model_name(new_rbe));
    calc_to_json(g, np + ne, root);
    cJSON *l = cJSON_AddObjectToObject(root, "limit");
    cJSON_AddStringToObject(l, "metric", metric);
    json_add_num(l, "base_eqd2_gy", g->limit);
    json_add_num(l, "factor", g->factor);
    json_add_num(l, "effective_eqd2_gy", g->limit_eff);
    json_add_num(l, "shortest_interval_months", g->min_iv);
    if (rows[governing].c) {
      const protocol_constraint *c = rows[governing].c;
      cJSON_AddStringToObject(l, "protocol", proto.name);
      cJSON_AddStringToObject(l, "constraint_id", c->id);
      cJSON_AddStringToObject(l, "tier", protocol_tier_name(c->tier));
      cJSON_AddStringToObject(l, "source", c->source);
      cJSON_AddBoolToObject(l, "verified", c->verified);
    }
    json_add_num(root, "remaining_eqd2_gy", g->remaining);
    cJSON_AddBoolToObject(root, "budget_exhausted", g->remaining <= 0);
    cJSON *mx = cJSON_AddArrayToObject(root, "max_new_dose");
    for (int i = 0; i < nf; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "fractions", fx[i]);
      json_add_num(o, "dose_per_fraction_gy", dmax[i]);
      json_add_num(o, "total_dose_gy", Dmax[i]);
      cJSON_AddBoolToObject(o, "model_dependent", dmax[i] > thr);
      cJSON_AddItemToArray(mx, o);
    }
    if (proto_name) {
      cJSON *all = cJSON_AddArrayToObject(root, "protocol_rows");
      for (int r = 0; r < nrows; r++) {
        const protocol_constraint *c = rows[r].c;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", c->id);
        cJSON_AddStringToObject(o, "metric", c->metric.text);
        cJSON_AddStringToObject(o, "tier", protocol_tier_name(c->tier));
        json_add_num(o, "alpha_beta_gy", rows[r].calc.alpha_beta_gy);
        cJSON_AddStringToObject(o, "recovery", rows[r].calc.rec.name);
        json_add_num(o, "limit_eqd2_gy", rows[r].calc.limit_eff);
        json_add_num(o, "counted_prior_eqd2_gy", rows[r].calc.sum_eff);
        json_add_num(o, "remaining_eqd2_gy", rows[r].calc.remaining);
        cJSON_AddBoolToObject(o, "governing", r == governing);
        if (rows[r].why[0]) cJSON_AddStringToObject(o, "interval_condition", rows[r].why);
        cJSON_AddStringToObject(o, "source", c->source);
        cJSON_AddItemToArray(all, o);
      }
      cJSON_AddItemToObject(root, "protocol_rows_skipped", skipped);
      skipped = NULL;
    }
    cJSON *n = cJSON_AddArrayToObject(root, "notes");
    for (int i = 0; i < s.nnotes; i++) cJSON_AddItemToArray(n, cJSON_CreateString(s.notes[i]));
    cli_print_json(root);
  } else {
    printf("organ         %s, α/β %.4g Gy (%s)\n", organ ? organ : "-", s.model.alpha_beta_gy, s.alpha_beta_source);
    if (proto_name) {
      printf("protocol      %s — %s\n", proto.name, proto.title);
      for (int r = 0; r < nrows; r++) {
        const protocol_constraint *c = rows[r].c;
        printf("  %s %-22s %-8s %-13s α/β %-4g limit %7.3f  counted %7.3f  remaining %8.3f %s\n",
               r == governing ? "*" : " ", c->id, c->metric.text, protocol_tier_name(c->tier),
               rows[r].calc.alpha_beta_gy, rows[r].calc.limit_eff, rows[r].calc.sum_eff,
               rows[r].calc.remaining, rows[r].why);
      }
      printf("  (* governing row: the tightest hard limit)\n");
    }
    calc_print(g, np + ne, metric);
    printf("\n%6s %14s %14s\n", "fx", "max d (Gy/fx)", "max total (Gy)");
    for (int i = 0; i < nf; i++)
      printf("%6d %14.4f %14.4f%s\n", fx[i], dmax[i], Dmax[i],
             dmax[i] > thr ? "  model-dependent (d > threshold)" : "");
    for (int i = 0; i < s.nnotes; i++) printf("note: %s\n", s.notes[i]);
  }
  cJSON_Delete(skipped);
  int exhausted = g->remaining <= 0;
  protocol_free(&proto);
  return exhausted ? RERT_EVERDICT : RERT_OK;
}

const rert_cmd rert_cmd_budget = {
    "budget",
    "remaining EQD2 of one organ after prior courses, and the maximum new dose",
    "",
    "For one organ at risk: converts each prior course to EQD2 at the organ's α/β (local dose per "
    "fraction), discounts it with the chosen recovery model for the interval between the end of "
    "that course and the planned start, subtracts the sum from the cumulative limit (scaled by a "
    "limit model such as CARE +20 % or Ng 130/150 %), and solves the largest new physical dose for "
    "each fraction count. Exit status 1 when no budget is left.",
    budget_opts,
    "rert budget --organ Brainstem --prior-eqd2 54Gy@2022-01-10 --start 2024-07-10 --limit 60Gy --recovery care_uplift --fractions 17\n"
    "rert budget --organ SpinalCord --prior 46Gy/23@2024-03-15 --start 2026-01-05 --limit 50Gy --recovery s4_stepwise --json\n"
    "rert budget --organ SpinalCord --prior 70Gy/35@2023-02-01 --start 2026-01-05 --protocol care_s0",
    0,
    0,
    run_budget};
