/* schedule.c — parsing and reporting of the shared biological options (schedule.h). */
#include "cli/schedule.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"

void schedule_note(schedule *s, const char *fmt, ...) {
  if (s->nnotes >= 8) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->notes[s->nnotes++], sizeof s->notes[0], fmt, ap);
  va_end(ap);
}

int schedule_bio_from_args(const rert_args *a, const char *tissue, schedule *s, rert_err *err) {
  int rc;
  double ab = NAN;
  s->model = radbio_model_lq(NAN);
  if (!tissue) tissue = cli_str(a, "tissue");
  if (tissue) {
    if ((rc = tissue_lookup(tissue, &s->tissue, err))) return rc;
    s->has_tissue = 1;
    ab = s->tissue.alpha_beta_gy;
    snprintf(s->alpha_beta_source, sizeof s->alpha_beta_source, "data/tissues.json %s: %s%s",
             s->tissue.id, s->tissue.source, s->tissue.verified ? "" : " [unverified]");
  }
  int nab = cli_has(a, "alpha-beta-gy") + cli_has(a, "alpha-beta");
  if (nab > 1) return rert_err_set(err, RERT_EINPUT, "give --alpha-beta-gy or --alpha-beta, not both");
  if (nab) {
    if ((rc = cli_num(a, cli_has(a, "alpha-beta-gy") ? "alpha-beta-gy" : "alpha-beta", &ab, err)))
      return rc;
    if (s->has_tissue)
      schedule_note(s, "α/β %g Gy given on the command line overrides %s's %g Gy", ab, s->tissue.id,
                    s->tissue.alpha_beta_gy);
    snprintf(s->alpha_beta_source, sizeof s->alpha_beta_source, "given by the user");
  }
  if (isnan(ab))
    return rert_err_set(err, RERT_EINPUT,
                        "no α/β: give --alpha-beta-gy NUM or --tissue NAME (rert eqd2 --list-tissues)");
  if (!(ab > 0)) return rert_err_set(err, RERT_EINPUT, "α/β must be > 0 Gy (got %g)", ab);
  s->model.alpha_beta_gy = ab;

  if ((rc = cli_int(a, "fractions-per-day", &s->model.fractions_per_day, err))) return rc;
  if (s->model.fractions_per_day < 1)
    return rert_err_set(err, RERT_EINPUT, "--fractions-per-day must be >= 1");
  if (cli_has(a, "interval-h") && (rc = cli_num(a, "interval-h", &s->model.interfraction_interval_h, err)))
    return rc;
  if (cli_has(a, "repair-halftime-h")) {
    if ((rc = cli_num(a, "repair-halftime-h", &s->model.repair_halftime_h, err))) return rc;
  } else if (s->model.fractions_per_day > 1 && s->has_tissue && isfinite(s->tissue.repair_halftime_h)) {
    s->model.repair_halftime_h = s->tissue.repair_halftime_h;
    schedule_note(s, "repair half-time %g h taken from data/tissues.json (%s)",
                  s->tissue.repair_halftime_h, s->tissue.id);
  }
  if (s->model.fractions_per_day == 1 && (cli_has(a, "interval-h") || cli_has(a, "repair-halftime-h")))
    schedule_note(s, "interval/repair half-time ignored: one fraction a day means complete repair");

  const char *tm = cli_str(a, "time-model");
  int has_tk = cli_has(a, "tk-days"), has_dp = cli_has(a, "dprolif-gy-per-day");
  if (tm && (has_tk || has_dp))
    return rert_err_set(err, RERT_EINPUT, "give --time-model or --tk-days/--dprolif-gy-per-day, not both");
  if (has_tk != has_dp)
    return rert_err_set(err, RERT_EINPUT, "a time correction needs both --tk-days and --dprolif-gy-per-day");
  if (tm) {
    double tab, tk, dp;
    const char *cite = "";
    if ((rc = radbio_time_params_by_name(tm, &tab, &tk, &dp, &cite, err))) return rc;
    s->model.time_correction = 1;
    s->model.tk_days = tk;
    s->model.dprolif_gy_per_day = dp;
    snprintf(s->time_model, sizeof s->time_model, "%s", tm);
    snprintf(s->time_source, sizeof s->time_source, "%s", cite);
    if (fabs(tab - ab) > 1e-9)
      schedule_note(s, "time set %s was fitted with α/β %g Gy; α/β used here is %g Gy", tm, tab, ab);
  } else if (has_tk) {
    s->model.time_correction = 1;
    if ((rc = cli_num(a, "tk-days", &s->model.tk_days, err))) return rc;
    if ((rc = cli_num(a, "dprolif-gy-per-day", &s->model.dprolif_gy_per_day, err))) return rc;
    snprintf(s->time_model, sizeof s->time_model, "user");
    snprintf(s->time_source, sizeof s->time_source, "given by the user");
  }
  s->model.overall_time_days = -1;
  if (cli_has(a, "overall-time-days")) {
    if ((rc = cli_num(a, "overall-time-days", &s->model.overall_time_days, err))) return rc;
    if (s->model.overall_time_days < 0)
      return rert_err_set(err, RERT_EINPUT, "--overall-time-days must be >= 0");
  }
  if ((rc = cli_int(a, "fractions-per-week", &s->model.fractions_per_week, err))) return rc;
  if (cli_has(a, "lql-dt-gy")) {
    s->model.lql = 1;
    if ((rc = cli_num(a, "lql-dt-gy", &s->model.lql_dt_gy, err))) return rc;
  }
  return radbio_model_check(&s->model, err);
}

static int get_dose(const rert_args *a, const char *with_unit, const char *plain, double *v,
                    int *given, rert_err *err) {
  *given = 0;
  if (cli_has(a, with_unit) && cli_has(a, plain))
    return rert_err_set(err, RERT_EINPUT, "give --%s or --%s, not both", with_unit, plain);
  if (cli_has(a, with_unit) || cli_has(a, plain)) {
    *given = 1;
    return cli_num(a, cli_has(a, plain) ? plain : with_unit, v, err);
  }
  return RERT_OK;
}

/* "--fraction-doses-gy 2,2,3.5" or run-length "25x2,5x3" (25 fractions of 2 Gy, then 5 of 3). */
static int parse_fraction_doses(const rert_args *a, schedule *s, rert_err *err) {
  int n = cli_list_count(a, "fraction-doses-gy");
  s->fraction_dose_gy = malloc(sizeof(double) * SCHEDULE_MAX_FRACTIONS);
  if (!s->fraction_dose_gy) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  s->nonuniform = 1;
  s->fractions = 0;
  s->total_dose_gy = 0;
  for (int i = 0; i < n; i++) {
    const char *item = cli_list_item(a, "fraction-doses-gy", i);
    const char *x = strchr(item, 'x');
    long count = 1;
    const char *dose = item;
    if (x) {
      char *end;
      count = strtol(item, &end, 10);
      if (end != x || count < 1)
        return rert_err_set(err, RERT_EINPUT, "--fraction-doses-gy: '%s' is not COUNTxDOSE (e.g. 25x2)", item);
      dose = x + 1;
    }
    double d;
    int rc = cli_parse_quantity(dose, "Gy", 0, "--fraction-doses-gy", &d, err);
    if (rc) return rc;
    if (!(d >= 0)) return rert_err_set(err, RERT_EINPUT, "--fraction-doses-gy: dose '%s' must be >= 0 Gy", dose);
    if (s->fractions + count > SCHEDULE_MAX_FRACTIONS)
      return rert_err_set(err, RERT_EINPUT, "--fraction-doses-gy: more than %d fractions", SCHEDULE_MAX_FRACTIONS);
    for (long k = 0; k < count; k++) s->fraction_dose_gy[s->fractions++] = d;
    s->total_dose_gy += d * count;
  }
  if (cli_has(a, "fractions")) {
    int nf;
    int rc = cli_int(a, "fractions", &nf, err);
    if (rc) return rc;
    if (nf != s->fractions)
      return rert_err_set(err, RERT_EINPUT, "--fractions %d disagrees with the %d doses of --fraction-doses-gy", nf, s->fractions);
  }
  return RERT_OK;
}

void schedule_free(schedule *s) {
  free(s->fraction_dose_gy);
  s->fraction_dose_gy = NULL;
}

int schedule_from_args(const rert_args *a, int need_dose, schedule *s,
                       rert_err *err) {
  memset(s, 0, sizeof *s);
  int rc;
  if (cli_list_count(a, "fraction-doses-gy") > 0) {
    if ((rc = parse_fraction_doses(a, s, err))) return rc;
    if (cli_has(a, "dose") || cli_has(a, "dose-gy") || cli_has(a, "dose-per-fraction") ||
        cli_has(a, "dose-per-fraction-gy"))
      return rert_err_set(err, RERT_EINPUT, "give --fraction-doses-gy or a total/per-fraction dose, not both");
  } else {
    if (!cli_has(a, "fractions"))
      return rert_err_set(err, RERT_EINPUT, "--fractions is required (number of fractions, >= 1)");
    if ((rc = cli_int(a, "fractions", &s->fractions, err))) return rc;
    if (s->fractions < 1)
      return rert_err_set(err, RERT_EINPUT, "--fractions must be >= 1 (got %d)", s->fractions);
    double total = NAN, dpf = NAN;
    int gt, gd;
    if ((rc = get_dose(a, "dose", "dose-gy", &total, &gt, err))) return rc;
    if ((rc = get_dose(a, "dose-per-fraction", "dose-per-fraction-gy", &dpf, &gd, err))) return rc;
    if (gt && gd) return rert_err_set(err, RERT_EINPUT, "give the total dose or the dose per fraction, not both");
    if (need_dose && !gt && !gd)
      return rert_err_set(err, RERT_EINPUT, "give a dose: --dose 46Gy (total) or --dose-per-fraction 2Gy");
    s->total_dose_gy = gt ? total : dpf * s->fractions;
  }
  if (!(s->total_dose_gy >= 0))
    return rert_err_set(err, RERT_EINPUT, "dose must be >= 0 Gy (got %g)", s->total_dose_gy);
  if ((rc = schedule_bio_from_args(a, NULL, s, err))) return rc;

  /* RBE: what the number means, and conversion to the system the user asked for */
  if ((rc = rbe_modality_parse(cli_str(a, "modality"), &s->modality, err))) return rc;
  const char *rm = cli_str(a, "rbe-model");
  if (rm) {
    if ((rc = rbe_model_parse(rm, &s->rbe, err))) return rc;
  } else {
    switch (s->modality) {
      case MOD_PROTON: s->rbe = RBE_FIXED; break;
      case MOD_CARBON:
      case MOD_OTHER_ION:
        return rert_err_set(err, RERT_EINPUT,
                            "%s dose needs --rbe-model LEM_I or MKM (the RBE system of the plan)",
                            rbe_modality_name(s->modality));
      default: s->rbe = RBE_PHYSICAL;
    }
  }
  s->rbe_factor_applied = 1.0;
  if ((s->modality == MOD_PHOTON || s->modality == MOD_ELECTRON) && s->rbe != RBE_PHYSICAL)
    return rert_err_set(err, RERT_EINPUT, "%s dose with RBE model %s makes no sense (use PHYSICAL)",
                        rbe_modality_name(s->modality), rbe_model_name(s->rbe));
  if (s->modality == MOD_PROTON && s->rbe == RBE_PHYSICAL) {
    double f;
    if ((rc = rbe_fixed_factor(MOD_PROTON, &f, err))) return rc;
    s->rbe_factor_applied = f;
    s->total_dose_gy *= f;
    for (int i = 0; s->nonuniform && i < s->fractions; i++) s->fraction_dose_gy[i] *= f;
    s->rbe = RBE_FIXED;
    schedule_note(s, "physical proton dose weighted by fixed RBE %g (data/rbe.json)", f);
  }
  if (s->modality == MOD_CARBON && (s->rbe == RBE_PHYSICAL || s->rbe == RBE_FIXED))
    return rert_err_set(err, RERT_EINPUT,
                        "carbon dose must be RBE-weighted with LEM_I or MKM; no fixed RBE is defined");
  const char *to = cli_str(a, "convert-to");
  if (to) {
    rbe_model target;
    if ((rc = rbe_model_parse(to, &target, err))) return rc;
    if (target != s->rbe && s->nonuniform)
      return rert_err_set(err, RERT_EINPUT, "--convert-to works on uniform fractions only");
    if (target != s->rbe) {
      double dpf_out;
      if ((rc = rbe_convert_per_fraction(s->total_dose_gy / s->fractions, s->rbe, target, &dpf_out, err)))
        return rc;
      s->converted = 1;
      s->converted_from = s->rbe;
      s->dose_before_conversion_gy = s->total_dose_gy;
      s->total_dose_gy = dpf_out * s->fractions;
      s->rbe = target;
      schedule_note(s, "converted %s → %s per fraction with the Zhang 2020 factors (data/rbe.json)",
                    rbe_model_name(s->converted_from), rbe_model_name(target));
    }
  }
  return RERT_OK;
}

int schedule_evaluate(const schedule *s, double x, schedule_result *r, rert_err *err) {
  memset(r, 0, sizeof *r);
  int rc;
  r->x_gy = x;
  r->dose_per_fraction_gy = s->total_dose_gy / s->fractions;
  r->h_factor = radbio_thames_h(s->model.fractions_per_day, s->model.interfraction_interval_h,
                                s->model.repair_halftime_h);
  radbio_model no_time = s->model;
  no_time.time_correction = 0;
  double bed0, dmax = r->dose_per_fraction_gy;
  if (s->nonuniform) {
    if ((rc = radbio_bed_nonuniform_gy(s->fraction_dose_gy, s->fractions, &s->model, &r->bed_gy, err))) return rc;
    if ((rc = radbio_bed_nonuniform_gy(s->fraction_dose_gy, s->fractions, &no_time, &bed0, err))) return rc;
    dmax = 0;
    for (int i = 0; i < s->fractions; i++)
      if (s->fraction_dose_gy[i] > dmax) dmax = s->fraction_dose_gy[i];
  } else {
    if ((rc = radbio_bed_gy(s->total_dose_gy, s->fractions, &s->model, &r->bed_gy, err))) return rc;
    if ((rc = radbio_bed_gy(s->total_dose_gy, s->fractions, &no_time, &bed0, err))) return rc;
  }
  r->time_term_gy = bed0 - r->bed_gy;
  r->eqd2_gy = radbio_bed_to_eqdx(r->bed_gy, 2.0, s->model.alpha_beta_gy);
  if (!(x > 0)) return rert_err_set(err, RERT_EINPUT, "--x-gy must be > 0");
  r->eqdx_gy = radbio_bed_to_eqdx(r->bed_gy, x, s->model.alpha_beta_gy);
  r->max_dose_per_fraction_gy = dmax;
  if ((rc = radbio_model_dependent_threshold_gy(&r->model_dependent_threshold_gy, err))) return rc;
  r->model_dependent = r->max_dose_per_fraction_gy > r->model_dependent_threshold_gy;
  return RERT_OK;
}

void schedule_bio_to_json(const schedule *s, cJSON *o) {
  json_add_num(o, "alpha_beta_gy", s->model.alpha_beta_gy);
  cJSON_AddStringToObject(o, "alpha_beta_source", s->alpha_beta_source);
  if (s->has_tissue) {
    cJSON *t = cJSON_AddObjectToObject(o, "tissue");
    cJSON_AddStringToObject(t, "id", s->tissue.id);
    cJSON_AddStringToObject(t, "organ", s->tissue.organ);
    cJSON_AddStringToObject(t, "endpoint", s->tissue.endpoint);
    cJSON_AddBoolToObject(t, "verified", s->tissue.verified);
  }
  cJSON *m = cJSON_AddObjectToObject(o, "model");
  cJSON_AddStringToObject(m, "name", s->model.lql ? "LQ-L" : "LQ");
  if (s->model.lql) json_add_num(m, "lql_dt_gy", s->model.lql_dt_gy);
  cJSON_AddNumberToObject(m, "fractions_per_day", s->model.fractions_per_day);
  if (s->model.fractions_per_day > 1) {
    json_add_num(m, "interfraction_interval_h", s->model.interfraction_interval_h);
    json_add_num(m, "repair_halftime_h", s->model.repair_halftime_h);
    json_add_num(m, "thames_h", radbio_thames_h(s->model.fractions_per_day,
                                                s->model.interfraction_interval_h,
                                                s->model.repair_halftime_h));
  }
  if (s->model.time_correction) {
    cJSON *t = cJSON_AddObjectToObject(m, "time_correction");
    cJSON_AddStringToObject(t, "set", s->time_model);
    cJSON_AddStringToObject(t, "source", s->time_source);
    json_add_num(t, "tk_days", s->model.tk_days);
    json_add_num(t, "dprolif_gy_per_day", s->model.dprolif_gy_per_day);
  } else {
    cJSON_AddNullToObject(m, "time_correction");
  }
}

void schedule_to_json(const schedule *s, const schedule_result *r, cJSON *o) {
  cJSON *sc = cJSON_AddObjectToObject(o, "schedule");
  json_add_num(sc, "total_dose_gy", s->total_dose_gy);
  cJSON_AddNumberToObject(sc, "fractions", s->fractions);
  json_add_num(sc, "dose_per_fraction_gy", r->dose_per_fraction_gy);
  if (s->nonuniform) {
    cJSON *fd = cJSON_AddArrayToObject(sc, "fraction_doses_gy");
    for (int i = 0; i < s->fractions; i++) cJSON_AddItemToArray(fd, cJSON_CreateNumber(s->fraction_dose_gy[i]));
    json_add_num(sc, "max_dose_per_fraction_gy", r->max_dose_per_fraction_gy);
  }
  cJSON_AddStringToObject(sc, "modality", rbe_modality_name(s->modality));
  cJSON_AddStringToObject(sc, "rbe_model", rbe_model_name(s->rbe));
  if (s->rbe_factor_applied != 1.0) json_add_num(sc, "rbe_factor_applied", s->rbe_factor_applied);
  if (s->converted) {
    cJSON_AddStringToObject(sc, "converted_from_rbe_model", rbe_model_name(s->converted_from));
    json_add_num(sc, "dose_before_conversion_gy", s->dose_before_conversion_gy);
  }
  if (s->model.time_correction) {
    double T = s->model.overall_time_days >= 0
                   ? s->model.overall_time_days
                   : radbio_overall_time_days(s->fractions, s->model.fractions_per_day,
                                              s->model.fractions_per_week ? s->model.fractions_per_week : 5);
    json_add_num(sc, "overall_time_days", T);
  }
  schedule_bio_to_json(s, o);
  json_add_num(o, "bed_gy", r->bed_gy);
  json_add_num(o, "eqd2_gy", r->eqd2_gy);
  json_add_num(o, "x_gy", r->x_gy);
  json_add_num(o, "eqdx_gy", r->eqdx_gy);
  if (s->model.time_correction) json_add_num(o, "time_correction_bed_gy", r->time_term_gy);
  cJSON_AddBoolToObject(o, "model_dependent", r->model_dependent);
  json_add_num(o, "model_dependent_threshold_gy", r->model_dependent_threshold_gy);
  cJSON *n = cJSON_AddArrayToObject(o, "notes");
  for (int i = 0; i < s->nnotes; i++) cJSON_AddItemToArray(n, cJSON_CreateString(s->notes[i]));
  if (r->model_dependent)
    cJSON_AddItemToArray(n, cJSON_CreateString(
        "dose per fraction above the LQ validity threshold: value is model-dependent (LQ vs LQ-L/USC)"));
}

void schedule_print(const schedule *s, const schedule_result *r, FILE *f) {
  fprintf(f, "schedule      %.4g Gy in %d fractions (%s %.4g Gy/fx), %s, %s\n", s->total_dose_gy,
          s->fractions, s->nonuniform ? "non-uniform, mean" : "", r->dose_per_fraction_gy,
          rbe_modality_name(s->modality), rbe_model_name(s->rbe));
  fprintf(f, "α/β           %.4g Gy (%s)\n", s->model.alpha_beta_gy, s->alpha_beta_source);
  if (s->model.fractions_per_day > 1)
    fprintf(f, "repair        %d fx/day, %.3g h apart, T½ %.3g h → Thames h = %.6f\n",
            s->model.fractions_per_day, s->model.interfraction_interval_h, s->model.repair_halftime_h,
            r->h_factor);
  if (s->model.lql) fprintf(f, "model         LQ-L, d_T = %.4g Gy\n", s->model.lql_dt_gy);
  if (s->model.time_correction)
    fprintf(f, "time          T_k %.4g d, D_prolif %.4g Gy/d (%s) → −%.4f Gy BED\n", s->model.tk_days,
            s->model.dprolif_gy_per_day, s->time_model, r->time_term_gy);
  fprintf(f, "BED           %.4f Gy\n", r->bed_gy);
  fprintf(f, "EQD2          %.4f Gy (α/β %.4g Gy)\n", r->eqd2_gy, s->model.alpha_beta_gy);
  if (fabs(r->x_gy - 2.0) > 1e-12) fprintf(f, "EQD%-.4g       %.4f Gy\n", r->x_gy, r->eqdx_gy);
  for (int i = 0; i < s->nnotes; i++) fprintf(f, "note          %s\n", s->notes[i]);
  if (r->model_dependent)
    fprintf(f, "WARNING       %.4g Gy/fx > %.4g Gy: LQ value is model-dependent (consider --lql-dt-gy)\n",
            r->dose_per_fraction_gy, r->model_dependent_threshold_gy);
}
