/* solve.c — regimen solver: the highest prescription of each candidate regimen that keeps
 * every hard constraint, and the tumour BED10/EQD2 it buys (domain-reference §1.1, §1.2, §2
 * tumour α/β 10, S4 curative BED10 60–70 / palliative 20–40; regimens in data/regimens.json). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"
#include "rert/accumulate.h"
#include "rert/data.h"

int accumulate_regimens_load(const char *path, accum_regimen **regs, int *n, accum_targets *t,
                             rert_err *err) {
  cJSON *root = NULL;
  const char *ctx = path ? path : "regimens.json";
  int rc = path ? json_load_file(path, &root, err) : data_load_json("regimens.json", &root, err);
  if (rc) return rc;
  *regs = NULL;
  *n = 0;
  const cJSON *tg = cJSON_GetObjectItemCaseSensitive(root, "targets");
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "regimens");
  char c2[160];
  const char *s;
  memset(t, 0, sizeof *t);
  if (!cJSON_IsObject(tg) || !cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1) {
    cJSON_Delete(root);
    return rert_err_set(err, RERT_EINPUT, "%s: needs \"targets\" and a non-empty \"regimens\" array", ctx);
  }
  snprintf(c2, sizeof c2, "%s: targets", ctx);
  const cJSON *cu = cJSON_GetObjectItemCaseSensitive(tg, "curative_bed10_gy");
  const cJSON *pa = cJSON_GetObjectItemCaseSensitive(tg, "palliative_bed10_gy");
  if (json_get_number(tg, "tumour_alpha_beta_gy", &t->tumour_alpha_beta_gy, c2, err) ||
      json_get_number(cu, "min", &t->curative_min_gy, c2, err) ||
      json_get_number(cu, "max", &t->curative_max_gy, c2, err) ||
      json_get_number(pa, "min", &t->palliative_min_gy, c2, err) ||
      json_get_number(pa, "max", &t->palliative_max_gy, c2, err) ||
      json_get_string(tg, "source", &s, c2, err)) {
    cJSON_Delete(root);
    return RERT_EINPUT;
  }
  snprintf(t->source, sizeof t->source, "%s", s);
  int m = cJSON_GetArraySize(arr), i = 0;
  accum_regimen *r = calloc((size_t)m, sizeof *r);
  if (!r) { cJSON_Delete(root); return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    accum_regimen *g = &r[i];
    snprintf(c2, sizeof c2, "%s: regimens[%d]", ctx, i);
    double fx = 0, fpd = 1, ih = NAN;
    const char *name, *mod, *rbe, *intent, *src;
    rc = json_get_string(o, "name", &name, c2, err);
    if (!rc) rc = json_get_number(o, "dose_gy", &g->dose_gy, c2, err);
    g->dose_min_gy = g->dose_gy;
    if (!rc) rc = json_opt_number(o, "dose_min_gy", &g->dose_min_gy, c2, err);
    if (!rc) rc = json_get_number(o, "fractions", &fx, c2, err);
    if (!rc) rc = json_opt_number(o, "fractions_per_day", &fpd, c2, err);
    if (!rc) rc = json_opt_number(o, "interfraction_interval_h", &ih, c2, err);
    if (!rc) rc = json_get_string(o, "modality", &mod, c2, err);
    if (!rc) rc = json_get_string(o, "rbe_model", &rbe, c2, err);
    if (!rc) rc = json_get_string(o, "intent", &intent, c2, err);
    if (!rc) rc = json_get_string(o, "source", &src, c2, err);
    if (!rc && rbe_modality_parse(mod, &g->modality, err)) rc = rert_err_prefix(err, RERT_EINPUT, "%s", c2);
    if (!rc && rbe_model_parse(rbe, &g->rbe, err)) rc = rert_err_prefix(err, RERT_EINPUT, "%s", c2);
    if (!rc && (!(g->dose_gy > 0) || !(g->dose_min_gy > 0) || g->dose_min_gy > g->dose_gy || fx < 1 ||
                fx != floor(fx) || fpd < 1 || fpd != floor(fpd) || (fpd > 1 && !(ih > 0))))
      rc = rert_err_set(err, RERT_EINPUT,
                        "%s: need dose_gy >= dose_min_gy > 0, integer fractions >= 1, and interfraction_interval_h for > 1 fraction/day", c2);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "verified");
    if (!rc && !cJSON_IsBool(ver)) rc = rert_err_set(err, RERT_EINPUT, "%s: verified must be true/false", c2);
    if (rc) {
      free(r);
      cJSON_Delete(root);
      return RERT_EINPUT;
    }
    snprintf(g->name, sizeof g->name, "%s", name);
    snprintf(g->intent, sizeof g->intent, "%s", intent);
    snprintf(g->source, sizeof g->source, "%s", src);
    g->fractions = (int)fx;
    g->fractions_per_day = (int)fpd;
    g->interfraction_interval_h = ih;
    g->verified = cJSON_IsTrue(ver);
    i++;
  }
  cJSON_Delete(root);
  *regs = r;
  *n = m;
  return RERT_OK;
}

/* Hard failures across protocols at prescription P; the first failing row named in *why. */
static int hard_fail(const accum_input *in, const rert_protocol *const *ps, int np, double scale,
                     const accum_regimen *g, char *why, size_t whylen, int *failed, rert_err *err) {
  *failed = 0;
  accum_evaluation *evs = calloc(np > 0 ? (size_t)np : 1, sizeof *evs);
  if (!evs) return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory");
  /* all protocols at once: maps shared between protocols are integrated once (hard rows only) */
  double sf[4] = {scale, g->fractions, g->fractions_per_day, g->interfraction_interval_h};
  int rc = accum_evaluate_core(in, ps, np, sf, 1, evs, err);
  if (rc) { free(evs); return rc; }
  for (int k = 0; k < np && !*failed; k++) {
    const accum_evaluation *ev = &evs[k];
    for (int r = 0; r < ev->nrows && !*failed; r++) {
      const accum_eval_row *row = &ev->rows[r];
      if (!protocol_tier_is_hard(row->c->tier)) continue;
      if (row->verdict == VERDICT_FAIL || (row->has_worst && row->worst_verdict == VERDICT_FAIL)) {
        *failed = 1;
        if (why) snprintf(why, whylen, "%s:%s (%s)", ps[k]->name, row->c->id, row->structure);
      }
    }
  }
  for (int k = 0; k < np; k++) accum_evaluation_free(&evs[k]);
  free(evs);
  return RERT_OK;
}

int accumulate_solve(const accum_input *in0, const rert_protocol *const *ps, int np,
                     double planned_rx_gy, const accum_regimen *g, const accum_targets *t,
                     accum_solution *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->reg = *g;
  if (!(planned_rx_gy > 0))
    return rert_err_set(err, RERT_EINPUT, "solve: the planned course needs prescription_gy > 0 to scale its dose");
  accum_input *in = malloc(sizeof *in);
  if (!in) return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory");
  *in = *in0;
  int ni = -1;
  for (int c = 0; c < in->ncourses; c++)
    if (in->courses[c].is_new) ni = c;
  if (ni < 0) { free(in); return rert_err_set(err, RERT_EINPUT, "solve: the case has no planned course to scale"); }
  /* the regimen's modality and RBE model replace the planned course's (summability rechecked) */
  in->courses[ni].modality = g->modality;
  in->courses[ni].rbe = g->rbe;
  in->courses[ni].convert_to_set = 0;
  int failed, rc;
  char why[256] = "";
  rc = hard_fail(in, ps, np, g->dose_gy / planned_rx_gy, g, why, sizeof why, &failed, err);
  if (rc) { free(in); return rc; }
  double best = 0;
  if (!failed) {
    best = g->dose_gy;
    out->nominal_feasible = 1;
    snprintf(out->limiting, sizeof out->limiting, "none at the nominal dose");
  } else {
    snprintf(out->limiting, sizeof out->limiting, "%s", why);
    double lo = 0, hi = g->dose_gy;
    while (hi - lo > 0.01) {
      double mid = 0.5 * (lo + hi);
      rc = hard_fail(in, ps, np, mid / planned_rx_gy, g, why, sizeof why, &failed, err);
      if (rc) { free(in); return rc; }
      if (failed) { hi = mid; snprintf(out->limiting, sizeof out->limiting, "%s", why); }
      else lo = mid;
    }
    /* lo passed (or is 0); report it rounded down to 0.01 Gy */
    best = floor(lo * 100.0) / 100.0;
  }
  free(in);
  out->max_prescription_gy = best;
  out->feasible = best >= g->dose_min_gy - 1e-9;
  double ab = t->tumour_alpha_beta_gy, d = best / g->fractions;
  out->tumour_bed_gy = best * (1 + d / ab);
  out->tumour_eqd2_gy = out->tumour_bed_gy / (1 + 2 / ab);
  const char *band = out->tumour_bed_gy >= t->curative_max_gy   ? "above curative"
                     : out->tumour_bed_gy >= t->curative_min_gy ? "curative"
                     : out->tumour_bed_gy > t->palliative_max_gy ? "between bands"
                     : out->tumour_bed_gy >= t->palliative_min_gy ? "palliative"
                                                                 : "below palliative";
  snprintf(out->target_band, sizeof out->target_band, "%s", band);
  return RERT_OK;
}
