/* toxicity.c — re-irradiation toxicity risk tiers with the factors that drove them
 * (domain-reference §5.2, §6): carotid blowout (S4 factors, McDonald 2012, Yamazaki 2013/2015),
 * mandibular osteoradionecrosis (Bots 2017 bands, S4 dental factors), brachial plexopathy
 * (Chen 2017 three tiers), myelopathy (Nieder verified rule via recovery.h) and temporal-lobe
 * necrosis (Ng 2021 limits). All cut-points, rates and citations come from
 * data/toxicity_risk.json; comparisons are strict exactly as the sources word them, so a value
 * on a cut-point falls on the documented side (e.g. Chen: 95 Gy exactly is intermediate), and
 * "on the cut-point" is decided with the project's tolerance (rert/compare.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/compare.h"
#include "rert/data.h"
#include "rert/recovery.h"

const char *risk_tier_name(risk_tier t) {
  switch (t) {
  case TIER_LOW: return "low";
  case TIER_INTERMEDIATE: return "intermediate";
  case TIER_HIGH: return "high";
  case TIER_VERY_HIGH: return "very_high";
  default: return "unknown";
  }
}

static void add_factor(risk_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_factor(risk_result *r, const char *fmt, ...) {
  if (r->nfactors >= RISK_MAX_FACTORS) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->factors[r->nfactors++], sizeof r->factors[0], fmt, ap);
  va_end(ap);
}

typedef struct {
  cJSON *doc;
  const cJSON *sec;
  const char *name;
  rert_err *err;
  int rc;
} tox_data;

static int tox_open(tox_data *t, const char *section, rert_err *err) {
  t->err = err;
  t->name = section;
  t->rc = data_load_json("toxicity_risk.json", &t->doc, err);
  if (t->rc) return t->rc;
  t->sec = cJSON_GetObjectItemCaseSensitive(t->doc, section);
  if (!cJSON_IsObject(t->sec))
    t->rc = rert_err_set(err, RERT_EINTERNAL, "toxicity_risk.json: section '%s' missing", section);
  return t->rc;
}

/* {"key": {"value": x}} */
static double tox_value(tox_data *t, const char *key) {
  double v = NAN;
  if (t->rc) return v;
  char ctx[128];
  snprintf(ctx, sizeof ctx, "toxicity_risk.json: %s.%s", t->name, key);
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(t->sec, key);
  if (!o) t->rc = rert_err_set(t->err, RERT_EINTERNAL, "%s: missing", ctx);
  else t->rc = json_get_number(o, "value", &v, ctx, t->err);
  return v;
}

static const char *tox_str(tox_data *t, const char *key) {
  const char *s = "";
  if (t->rc) return s;
  char ctx[128];
  snprintf(ctx, sizeof ctx, "toxicity_risk.json: %s", t->name);
  t->rc = json_get_string(t->sec, key, &s, ctx, t->err);
  return s;
}

static const char *tox_rate(tox_data *t, const char *tier) {
  const char *s = "";
  if (t->rc) return s;
  char ctx[128];
  snprintf(ctx, sizeof ctx, "toxicity_risk.json: %s.rates", t->name);
  t->rc = json_get_string(cJSON_GetObjectItemCaseSensitive(t->sec, "rates"), tier, &s, ctx, t->err);
  return s;
}

static int tox_close(tox_data *t) {
  cJSON_Delete(t->doc);
  return t->rc;
}

static void start(risk_result *out, const char *name) {
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", name);
  out->tier = TIER_UNKNOWN;
  out->verified = 1;
}

int risk_carotid(const carotid_inputs *in, risk_result *out, rert_err *err) {
  start(out, "carotid_blowout");
  tox_data t;
  if (tox_open(&t, "carotid_blowout", err)) return tox_close(&t);
  double lo = tox_value(&t, "eqd2_elevated_gt_gy"), hi = tox_value(&t, "eqd2_high_gt_gy");
  double vh = tox_value(&t, "eqd2_very_high_gt_gy"), enc = tox_value(&t, "encasement_gt_deg");
  double min_other = tox_value(&t, "very_high_min_other_factors");
  if (t.rc) return tox_close(&t);
  int major = 0, minor = 0, other = 0;
  double d = in->cumulative_eqd2_gy;
  if (isfinite(d)) {
    if (rert_gt(d, hi)) { major++; add_factor(out, "cumulative carotid EQD2 %.1f Gy > %g Gy", d, hi); }
    else if (rert_gt(d, lo)) { minor++; add_factor(out, "cumulative carotid EQD2 %.1f Gy > %g Gy", d, lo); }
  } else {
    add_factor(out, "cumulative carotid EQD2 unknown (no carotid point dose or DICOM)");
  }
  if (isfinite(in->encasement_deg) && rert_gt(in->encasement_deg, enc)) {
    major++; other++; add_factor(out, "tumour encasement %.0f deg > %g deg", in->encasement_deg, enc);
  }
  if (in->invasion == CASE_YES) { major++; other++; add_factor(out, "carotid invasion"); }
  if (in->ulceration_or_fistula == CASE_YES) { major++; other++; add_factor(out, "mucosal ulceration or fistula exposing the vessel"); }
  if (in->skin_invasion == CASE_YES) { major++; other++; add_factor(out, "skin invasion"); }
  if (in->neck_dissection == CASE_YES) { minor++; other++; add_factor(out, "prior neck dissection"); }
  if (in->flap == CASE_YES) { minor++; other++; add_factor(out, "flap reconstruction / prior surgery"); }
  if (in->deep_neck_infection == CASE_YES) { minor++; other++; add_factor(out, "deep-neck infection"); }
  if (in->hypofractionated) { minor++; add_factor(out, "hypofractionated (SBRT) re-irradiation"); }
  if (isfinite(d) && rert_gt(d, vh) && in->hypofractionated && other >= min_other) out->tier = TIER_VERY_HIGH;
  else if (major) out->tier = TIER_HIGH;
  else if (minor) out->tier = TIER_INTERMEDIATE;
  else if (isfinite(d)) out->tier = TIER_LOW;
  const char *rate = out->tier == TIER_UNKNOWN ? "" : tox_rate(&t, risk_tier_name(out->tier));
  snprintf(out->estimate, sizeof out->estimate, "%s", rate);
  snprintf(out->advice, sizeof out->advice, "%s", tox_str(&t, "advice"));
  snprintf(out->source, sizeof out->source, "%s", tox_str(&t, "source"));
  return tox_close(&t);
}

int risk_orn(double dose, const char *dental, case_tri extractions, risk_result *out, rert_err *err) {
  start(out, "mandible_orn");
  tox_data t;
  if (tox_open(&t, "orn", err)) return tox_close(&t);
  double hi = tox_value(&t, "high_ge_gy"), s4 = tox_value(&t, "s4_constraint_gy");
  if (t.rc) return tox_close(&t);
  int poor = dental && !strcmp(dental, "poor");
  if (isfinite(dose)) {
    if (rert_ge(dose, hi)) {
      out->tier = TIER_HIGH;
      add_factor(out, "cumulative mandible EQD2 %.1f Gy >= %g Gy (Bots 2017 band)", dose, hi);
      if (rert_gt(dose, s4)) add_factor(out, "above the S4 constraint ~%g-120 Gy", s4);
    } else {
      out->tier = (poor || extractions == CASE_YES) ? TIER_INTERMEDIATE : TIER_LOW;
      add_factor(out, "cumulative mandible EQD2 %.1f Gy < %g Gy", dose, hi);
    }
  } else {
    add_factor(out, "cumulative mandible dose unknown");
    if (poor || extractions == CASE_YES) out->tier = TIER_INTERMEDIATE;
  }
  if (poor) add_factor(out, "poor dentition (caries/periodontitis)");
  if (extractions == CASE_YES) add_factor(out, "dental extractions planned");
  snprintf(out->estimate, sizeof out->estimate, "%s",
           out->tier == TIER_UNKNOWN ? "" : tox_rate(&t, risk_tier_name(out->tier)));
  if (extractions == CASE_YES || poor)
    snprintf(out->advice, sizeof out->advice, "%s", tox_str(&t, "advice_extractions"));
  else if (dental && !strcmp(dental, "") )
    snprintf(out->advice, sizeof out->advice, "Dental status unknown: dental assessment before reRT (S4).");
  snprintf(out->source, sizeof out->source, "%s", tox_str(&t, "source"));
  return tox_close(&t);
}

int risk_brachial_plexus(double interval_months, double dmax, risk_result *out, rert_err *err) {
  start(out, "brachial_plexopathy");
  tox_data t;
  if (tox_open(&t, "brachial_plexus", err)) return tox_close(&t);
  double im = tox_value(&t, "interval_months"), dg = tox_value(&t, "dmax_gy");
  if (t.rc) return tox_close(&t);
  if (isfinite(interval_months) && isfinite(dmax)) {
    /* Chen 2017: low = interval > 2 y AND < 95 Gy; high = interval < 2 y AND > 95 Gy */
    if (rert_gt(interval_months, im) && rert_lt(dmax, dg)) out->tier = TIER_LOW;
    else if (rert_lt(interval_months, im) && rert_gt(dmax, dg)) out->tier = TIER_HIGH;
    else out->tier = TIER_INTERMEDIATE;
    add_factor(out, "interval %.1f months (%s %g)", interval_months,
               rert_gt(interval_months, im) ? ">" : rert_lt(interval_months, im) ? "<" : "=", im);
    add_factor(out, "cumulative brachial plexus Dmax %.1f Gy (%s %g)", dmax,
               rert_gt(dmax, dg) ? ">" : rert_lt(dmax, dg) ? "<" : "=", dg);
    snprintf(out->estimate, sizeof out->estimate, "%s", tox_rate(&t, risk_tier_name(out->tier)));
  } else {
    add_factor(out, isfinite(dmax) ? "interval unknown" : "cumulative brachial plexus dose unknown");
  }
  snprintf(out->source, sizeof out->source, "%s", tox_str(&t, "source"));
  snprintf(out->advice, sizeof out->advice, "%s", tox_str(&t, "dose_quantity"));
  return tox_close(&t);
}

int risk_myelopathy(const double *bed2, int ncourses, const double *intervals, int nintervals,
                    int with_points, risk_result *out, rert_err *err) {
  start(out, "myelopathy");
  tox_data t;
  if (tox_open(&t, "myelopathy", err)) return tox_close(&t);
  nieder_result nr;
  int rc = recovery_nieder_check(bed2, ncourses, intervals, nintervals, with_points, &nr, err);
  if (rc) {
    tox_close(&t);
    return rc;
  }
  /* The verified rule only delimits the low-risk region; "high" needs the (unverified) score. */
  out->tier = nr.risk_small ? TIER_LOW
            : (with_points && !strcmp(nr.score_group, "high")) ? TIER_HIGH : TIER_INTERMEDIATE;
  add_factor(out, "cumulative BED2 %.1f Gy2 (%s)", nr.cumulative_bed2_gy, nr.cumulative_ok ? "within" : "above the verified limit");
  add_factor(out, "highest single-course BED2 %.1f Gy2 (%s)", nr.max_course_bed2_gy, nr.courses_ok ? "within" : "above the verified limit");
  add_factor(out, "shortest interval %.1f months (%s)", nr.min_interval_months, nr.interval_ok ? "ok" : "too short");
  if (with_points && isfinite(nr.score_points))
    add_factor(out, "Nieder point score %.1f -> %s [UNVERIFIED]", nr.score_points, nr.score_group);
  snprintf(out->estimate, sizeof out->estimate, "%s", tox_rate(&t, risk_tier_name(out->tier)));
  snprintf(out->advice, sizeof out->advice, "%s", nr.reason);
  snprintf(out->source, sizeof out->source, "%s", tox_str(&t, "source"));
  return tox_close(&t);
}

int risk_temporal_lobe(double d, risk_result *out, rert_err *err) {
  start(out, "temporal_lobe_necrosis");
  tox_data t;
  if (tox_open(&t, "temporal_lobe", err)) return tox_close(&t);
  double des = tox_value(&t, "desirable_le_gy"), acc = tox_value(&t, "acceptable_le_gy");
  if (t.rc) return tox_close(&t);
  if (isfinite(d)) {
    out->tier = rert_le(d, des) ? TIER_LOW : rert_le(d, acc) ? TIER_INTERMEDIATE : TIER_HIGH;
    add_factor(out, "cumulative temporal lobe D0.03cc EQD2 %.1f Gy (desirable <= %g, acceptable <= %g)", d, des, acc);
    snprintf(out->estimate, sizeof out->estimate, "%s", tox_rate(&t, risk_tier_name(out->tier)));
  } else {
    add_factor(out, "cumulative temporal lobe dose unknown");
  }
  snprintf(out->advice, sizeof out->advice, "%s", tox_str(&t, "alpha_beta_note"));
  snprintf(out->source, sizeof out->source, "%s", tox_str(&t, "source"));
  return tox_close(&t);
}
