/* solve.c — regimen solver: the highest prescription of each candidate regimen, within its
 * clinical range, that keeps every hard row of every selected protocol; the row that limits it
 * (the tightest); the tumour BED10/EQD2 it buys with the same-day repair term for BID regimens
 * (domain-reference §1.1, §1.2, §1.4, §2 tumour α/β 10, S4 curative BED10 60–70 / palliative
 * 20–40; regimens in data/regimens.json); and the ranking rule of docs/accumulate.md. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"
#include "rert/accumulate.h"
#include "rert/data.h"
#include "rert/radbio.h"

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
  t->tumour_repair_halftime_h = NAN;
  const char *rsrc = "";
  if (json_get_number(tg, "tumour_alpha_beta_gy", &t->tumour_alpha_beta_gy, c2, err) ||
      json_opt_number(tg, "tumour_repair_halftime_h", &t->tumour_repair_halftime_h, c2, err) ||
      json_opt_string(tg, "tumour_repair_source", &rsrc, c2, err) ||
      json_get_number(cu, "min", &t->curative_min_gy, c2, err) ||
      json_get_number(cu, "max", &t->curative_max_gy, c2, err) ||
      json_get_number(pa, "min", &t->palliative_min_gy, c2, err) ||
      json_get_number(pa, "max", &t->palliative_max_gy, c2, err) ||
      json_get_string(tg, "source", &s, c2, err)) {
    cJSON_Delete(root);
    return RERT_EINPUT;
  }
  snprintf(t->source, sizeof t->source, "%s", s);
  snprintf(t->repair_source, sizeof t->repair_source, "%s", rsrc ? rsrc : "");
  if (!isnan(t->tumour_repair_halftime_h) && !(t->tumour_repair_halftime_h > 0)) {
    cJSON_Delete(root);
    return rert_err_set(err, RERT_EINPUT, "%s: tumour_repair_halftime_h must be > 0", c2);
  }
  int m = cJSON_GetArraySize(arr), i = 0;
  accum_regimen *r = calloc((size_t)m, sizeof *r);
  if (!r) { cJSON_Delete(root); return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    accum_regimen *g = &r[i];
    snprintf(c2, sizeof c2, "%s: regimens[%d]", ctx, i);
    double fx = 0, fpd = 1, ih = NAN;
    const char *name, *mod, *rbe, *intent, *src, *rsrc2 = "";
    rc = json_get_string(o, "name", &name, c2, err);
    if (!rc) rc = json_get_number(o, "dose_gy", &g->dose_gy, c2, err);
    g->dose_min_gy = g->dose_gy;
    if (!rc) rc = json_opt_number(o, "dose_min_gy", &g->dose_min_gy, c2, err);
    g->dose_max_gy = g->dose_gy;
    if (!rc) rc = json_opt_number(o, "dose_max_gy", &g->dose_max_gy, c2, err);
    if (!rc) rc = json_opt_string(o, "dose_range_source", &rsrc2, c2, err);
    if (!rc) rc = json_get_number(o, "fractions", &fx, c2, err);
    if (!rc) rc = json_opt_number(o, "fractions_per_day", &fpd, c2, err);
    if (!rc) rc = json_opt_number(o, "interfraction_interval_h", &ih, c2, err);
    if (!rc) rc = json_get_string(o, "modality", &mod, c2, err);
    if (!rc) rc = json_get_string(o, "rbe_model", &rbe, c2, err);
    if (!rc) rc = json_get_string(o, "intent", &intent, c2, err);
    if (!rc) rc = json_get_string(o, "source", &src, c2, err);
    if (!rc && rbe_modality_parse(mod, &g->modality, err)) rc = rert_err_prefix(err, RERT_EINPUT, "%s", c2);
    if (!rc && rbe_model_parse(rbe, &g->rbe, err)) rc = rert_err_prefix(err, RERT_EINPUT, "%s", c2);
    if (!rc && (!(g->dose_gy > 0) || !(g->dose_min_gy > 0) || g->dose_min_gy > g->dose_gy ||
                g->dose_gy > g->dose_max_gy || fx < 1 ||
                fx != floor(fx) || fpd < 1 || fpd != floor(fpd) || (fpd > 1 && !(ih > 0))))
      rc = rert_err_set(err, RERT_EINPUT,
                        "%s: need dose_max_gy >= dose_gy >= dose_min_gy > 0, integer fractions >= 1, and interfraction_interval_h for > 1 fraction/day", c2);
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
    snprintf(g->range_source, sizeof g->range_source, "%s", rsrc2 ? rsrc2 : "");
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


/* Copy of the protocols keeping only their hard rows (mandatory/acceptable): the solver's
 * constraint set. Rows of a copy point into it, so limiting rows are copied out as text. */
typedef struct {
  rert_protocol *ps;
  const rert_protocol **pp;
  int np, nrows;
  unsigned char *failed;         /* per constraint of the copies (flattened): failed at the last
                                    evaluation that recorded failures */
} hard_set;

static void hard_set_free(hard_set *h) {
  for (int k = 0; h->ps && k < h->np; k++) free(h->ps[k].constraints);
  free(h->ps);
  free(h->pp);
  free(h->failed);
  memset(h, 0, sizeof *h);
}

/* index of constraint c (a pointer into one of h's copies) in the flattened failed[] */
static int hard_index(const hard_set *h, const protocol_constraint *c) {
  int base = 0;
  for (int k = 0; k < h->np; k++) {
    if (c >= h->ps[k].constraints && c < h->ps[k].constraints + h->ps[k].nconstraints)
      return base + (int)(c - h->ps[k].constraints);
    base += h->ps[k].nconstraints;
  }
  return -1;
}

/* The rows that can still limit below a prescription at which the evaluation recorded its
 * failures: every metric rises with the prescription, so an upper-limit row that passed there
 * passes at every lower one (lower-limit rows are kept). A smaller set evaluates faster. */
static int hard_set_reduce(const hard_set *h, hard_set *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->ps = calloc(h->np > 0 ? (size_t)h->np : 1, sizeof *out->ps);
  out->pp = calloc(h->np > 0 ? (size_t)h->np : 1, sizeof *out->pp);
  out->failed = calloc(h->nrows > 0 ? (size_t)h->nrows : 1, 1);
  if (!out->ps || !out->pp || !out->failed) { hard_set_free(out); return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory"); }
  out->np = h->np;
  int base = 0;
  for (int k = 0; k < h->np; k++) {
    out->ps[k] = h->ps[k];
    out->ps[k].constraints = calloc(h->ps[k].nconstraints > 0 ? (size_t)h->ps[k].nconstraints : 1,
                                    sizeof *out->ps[k].constraints);
    if (!out->ps[k].constraints) { hard_set_free(out); return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory"); }
    int m = 0;
    for (int i = 0; i < h->ps[k].nconstraints; i++) {
      const protocol_constraint *c = &h->ps[k].constraints[i];
      if (h->failed[base + i] || c->cmp == CMP_GT || c->cmp == CMP_GE) out->ps[k].constraints[m++] = *c;
    }
    base += h->ps[k].nconstraints;
    out->ps[k].nconstraints = m;
    out->nrows += m;
    out->pp[k] = &out->ps[k];
  }
  return RERT_OK;
}

static int hard_set_make(const rert_protocol *const *ps, int np, hard_set *h, rert_err *err) {
  memset(h, 0, sizeof *h);
  h->ps = calloc(np > 0 ? (size_t)np : 1, sizeof *h->ps);
  h->pp = calloc(np > 0 ? (size_t)np : 1, sizeof *h->pp);
  if (!h->ps || !h->pp) { hard_set_free(h); return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory"); }
  h->np = np;
  for (int k = 0; k < np; k++) {
    h->ps[k] = *ps[k];
    h->ps[k].constraints = calloc(ps[k]->nconstraints > 0 ? (size_t)ps[k]->nconstraints : 1,
                                  sizeof *h->ps[k].constraints);
    if (!h->ps[k].constraints) { hard_set_free(h); return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory"); }
    int m = 0;
    for (int i = 0; i < ps[k]->nconstraints; i++)
      if (protocol_tier_is_hard(ps[k]->constraints[i].tier)) h->ps[k].constraints[m++] = ps[k]->constraints[i];
    h->ps[k].nconstraints = m;
    h->nrows += m;
    h->pp[k] = &h->ps[k];
  }
  h->failed = calloc(h->nrows > 0 ? (size_t)h->nrows : 1, 1);
  if (!h->failed) { hard_set_free(h); return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory"); }
  return RERT_OK;
}

/* Every hard row at prescription P (on the input's doses: nominal or upper bound): *failed when
 * one fails, *gmin = the smallest relative margin (margin_pct, or the margin where the limit is
 * 0) over the rows evaluated — negative on the failing side; the tightest failing row (most
 * negative relative margin) into *lim. */
static int eval_at(const accum_input *in, hard_set *h, double P, double planned_rx,
                   const accum_regimen *g, int *failed, double *gmin, accum_limiting *lim, rert_err *err) {
  *failed = 0;
  *gmin = INFINITY;
  accum_evaluation *evs = calloc(h->np > 0 ? (size_t)h->np : 1, sizeof *evs);
  if (!evs) return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory");
  double sf[4] = {P / planned_rx, g->fractions, g->fractions_per_day, g->interfraction_interval_h};
  int rc = accum_evaluate_core(in, h->pp, h->np, sf, 0, evs, err);
  if (rc) { free(evs); return rc; }
  accum_limiting best;
  memset(&best, 0, sizeof best);
  double worst = INFINITY;
  for (int k = 0; k < h->np; k++) {
    const accum_evaluation *ev = &evs[k];
    for (int r = 0; r < ev->nrows; r++) {
      const accum_eval_row *row = &ev->rows[r];
      if (row->verdict != VERDICT_FAIL && row->verdict != VERDICT_PASS) continue;
      double m = isfinite(row->margin_pct) ? row->margin_pct : row->margin;
      if (!isfinite(m)) continue;
      if (row->verdict == VERDICT_FAIL && m >= 0) m = -1e-12; /* strict limit met with equality */
      if (m < *gmin) *gmin = m;
      if (row->verdict != VERDICT_FAIL) continue;
      if (!*failed) memset(h->failed, 0, (size_t)h->nrows);
      *failed = 1;
      int ix = hard_index(h, row->c);
      if (ix >= 0) h->failed[ix] = 1;
      if (!best.found || m < worst) {
        worst = m;
        memset(&best, 0, sizeof best);
        best.found = 1;
        snprintf(best.protocol, sizeof best.protocol, "%s", h->ps[k].name);
        snprintf(best.constraint_id, sizeof best.constraint_id, "%s", row->c->id);
        snprintf(best.structure, sizeof best.structure, "%s", row->structure);
        snprintf(best.metric, sizeof best.metric, "%s", row->c->metric.text);
        snprintf(best.comparator, sizeof best.comparator, "%s", protocol_cmp_name(row->c->cmp));
        best.limit = row->limit;
        snprintf(best.unit, sizeof best.unit, "%s", row->c->limit_unit);
        snprintf(best.tier, sizeof best.tier, "%s", protocol_tier_name(row->c->tier));
        best.value_above = row->value;
      }
    }
  }
  if (lim && best.found) *lim = best;
  for (int k = 0; k < h->np; k++) accum_evaluation_free(&evs[k]);
  free(evs);
  return RERT_OK;
}

static void limiting_text(accum_limiting *l) {
  if (!l->found) return;
  snprintf(l->text, sizeof l->text, "%s %s %s %g %s (%s:%s, %s)%s", l->structure, l->metric,
           l->comparator, l->limit, l->unit, l->protocol, l->constraint_id, l->tier,
           l->exceeded_by_prior ? "; already exceeded by the prior courses" : "");
}

#define SOLVE_TOL_GY 0.005

/* Highest prescription in [0, dose_max] with no hard failure on the doses of `in`, to
 * SOLVE_TOL_GY: a bracket [lo passes, hi fails] narrowed by the Illinois variant of regula falsi
 * on the smallest relative margin (cumulative EQD2 is a quadratic in the prescription, so a
 * handful of evaluations suffice), each step kept at least SOLVE_TOL_GY inside the bracket and
 * bisection when the bracket does not halve. The row failing at the final hi is the tightest.
 * hint (≤ dose_max, or NaN): a prescription expected near the answer (the nominal optimum for
 * the worst case, which can only be lower). */
static int solve_bound_in(const accum_input *in, hard_set *h, double planned_rx,
                          const accum_regimen *g, double hint, accum_bound_solution *b, hard_set *red,
                          rert_err *err);

static int solve_bound(const accum_input *in, hard_set *h, double planned_rx,
                       const accum_regimen *g, double hint, accum_bound_solution *b, rert_err *err) {
  hard_set red;
  memset(&red, 0, sizeof red);
  int rc = solve_bound_in(in, h, planned_rx, g, hint, b, &red, err);
  hard_set_free(&red);
  return rc;
}

/* red: filled with the rows that failed at the upper end of the bracket (hard_set_reduce); every
 * evaluation below that point uses it. */
static int solve_bound_in(const accum_input *in, hard_set *h, double planned_rx,
                          const accum_regimen *g, double hint, accum_bound_solution *b, hard_set *red,
                          rert_err *err) {
  memset(b, 0, sizeof *b);
  const double top = g->dose_max_gy;
  int failed, rc;
  double gv, lo = 0, hi = top, glo = NAN, ghi = NAN;
  accum_limiting lim;
  memset(&lim, 0, sizeof lim);
  if (isfinite(hint) && hint < top - SOLVE_TOL_GY && hint > SOLVE_TOL_GY) {
    rc = eval_at(in, h, hint, planned_rx, g, &failed, &gv, &lim, err);
    if (rc) return rc;
    if (failed) hi = hint, ghi = gv;
    else lo = hint, glo = gv;
  }
  if (isnan(ghi)) {
    rc = eval_at(in, h, top, planned_rx, g, &failed, &gv, &lim, err);
    if (rc) return rc;
    if (!failed) {
      b->status = SOLVE_FULL;
      b->max_prescription_gy = top;
      return RERT_OK;
    }
    ghi = gv;
  }
  /* from here on only the rows failing at hi can limit */
  rc = hard_set_reduce(h, red, err);
  if (rc) return rc;
  h = red;
  if (isnan(glo)) {
    accum_limiting l0;
    memset(&l0, 0, sizeof l0);
    rc = eval_at(in, h, 0, planned_rx, g, &failed, &gv, &l0, err);
    if (rc) return rc;
    if (failed) {
      /* no new dose at all keeps every hard row: the prior courses alone exceed one */
      b->limiting = l0;
      b->limiting.exceeded_by_prior = 1;
      limiting_text(&b->limiting);
      b->max_prescription_gy = 0;
      b->status = g->dose_min_gy > 0 ? SOLVE_INFEASIBLE : SOLVE_REDUCED;
      return RERT_OK;
    }
    glo = gv;
  }
  int side = 0, guard = 0;
  while (hi - lo > 2 * SOLVE_TOL_GY && guard++ < 60) {
    double w = hi - lo, x;
    if (isfinite(glo) && isfinite(ghi) && glo > ghi && guard % 4 != 0)
      x = lo + w * glo / (glo - ghi); /* regula falsi (every 4th step bisects: guaranteed progress) */
    else
      x = lo + 0.5 * w;
    if (x < lo + SOLVE_TOL_GY) x = lo + SOLVE_TOL_GY;
    if (x > hi - SOLVE_TOL_GY) x = hi - SOLVE_TOL_GY;
    accum_limiting lx;
    memset(&lx, 0, sizeof lx);
    rc = eval_at(in, h, x, planned_rx, g, &failed, &gv, &lx, err);
    if (rc) return rc;
    if (failed) {
      hi = x, ghi = gv, lim = lx;
      if (side == -1) glo *= 0.5; /* Illinois: the stagnant end's value halved */
      side = -1;
    } else {
      lo = x, glo = gv;
      if (side == 1) ghi *= 0.5;
      side = 1;
    }
  }
  b->limiting = lim;
  limiting_text(&b->limiting);
  /* lo passed; reported rounded down to 0.01 Gy */
  b->max_prescription_gy = floor(lo * 100.0 + 1e-9) / 100.0;
  b->status = b->max_prescription_gy >= g->dose_min_gy - 1e-9 ? SOLVE_REDUCED : SOLVE_INFEASIBLE;
  return RERT_OK;
}

double accumulate_tumour_bed(const accum_regimen *g, const accum_targets *t, double D, double *hp) {
  double h = 0;
  if (g->fractions_per_day > 1 && t->tumour_repair_halftime_h > 0)
    h = radbio_thames_h(g->fractions_per_day, g->interfraction_interval_h, t->tumour_repair_halftime_h);
  if (hp) *hp = h;
  double ab = t->tumour_alpha_beta_gy, d = D / g->fractions;
  return D * (1 + d * (1 + h) / ab);
}

const char *accumulate_solve_status_name(accum_solve_status s) {
  return s == SOLVE_FULL ? "feasible at full dose" : s == SOLVE_REDUCED ? "feasible at reduced dose"
                                                                        : "infeasible";
}

static void statement(const accum_solution *o, char *buf, size_t n) {
  const accum_regimen *g = &o->reg;
  if (o->status == SOLVE_FULL)
    snprintf(buf, n, "feasible at its full dose %g Gy in %d fx", g->dose_max_gy, g->fractions);
  else if (o->status == SOLVE_REDUCED)
    snprintf(buf, n, "feasible up to %.2f Gy in %d fx (full dose %g Gy; limited by %s)",
             o->max_prescription_gy, g->fractions, g->dose_max_gy, o->limiting.text);
  else if (o->limiting.exceeded_by_prior)
    snprintf(buf, n, "infeasible even at its minimum %g Gy (limited by %s)", g->dose_min_gy,
             o->limiting.text);
  else
    snprintf(buf, n, "infeasible even at its minimum %g Gy: at most %.2f Gy (limited by %s)",
             g->dose_min_gy, o->max_prescription_gy, o->limiting.text);
}

int accumulate_solve(const accum_input *in0, const rert_protocol *const *ps, int np,
                     double planned_rx_gy, const accum_regimen *g, const accum_targets *t,
                     accum_solution *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->reg = *g;
  if (!(planned_rx_gy > 0))
    return rert_err_set(err, RERT_EINPUT, "solve: the planned course needs prescription_gy > 0 to scale its dose");
  int ni = -1;
  for (int c = 0; c < in0->ncourses; c++)
    if (in0->courses[c].is_new) ni = c;
  if (ni < 0) return rert_err_set(err, RERT_EINPUT, "solve: the case has no planned course to scale");
  hard_set h;
  int rc = hard_set_make(ps, np, &h, err);
  if (rc) return rc;
  out->hard_rows = h.nrows;
  /* nominal doses (no bound maps: one bisection per bound, each stopping at its first failure) */
  accum_input *in = malloc(sizeof *in);
  if (!in) { hard_set_free(&h); return rert_err_set(err, RERT_EINTERNAL, "solve: out of memory"); }
  *in = *in0;
  /* the regimen's modality and RBE model replace the planned course's (summability rechecked) */
  in->courses[ni].modality = g->modality;
  in->courses[ni].rbe = g->rbe;
  in->courses[ni].convert_to_set = 0;
  int has_upper = 0;
  for (int c = 0; c < in->ncourses; c++) {
    has_upper |= in->courses[c].dose_upper != NULL;
    in->courses[c].dose_lower = in->courses[c].dose_upper = NULL;
  }
  accum_bound_solution nb;
  rc = solve_bound(in, &h, planned_rx_gy, g, NAN, &nb, err);
  if (!rc && has_upper && nb.status == SOLVE_INFEASIBLE) {
    /* the upper bound can only lower the optimum: infeasible already, no second search */
    memset(&out->worst, 0, sizeof out->worst);
    out->worst.status = SOLVE_INFEASIBLE;
    out->worst.max_prescription_gy = NAN;
    out->has_worst = 1;
  } else if (!rc && has_upper) {
    for (int c = 0; c < in->ncourses; c++)
      if (in0->courses[c].dose_upper) in->courses[c].dose = in0->courses[c].dose_upper;
    /* the upper-bound doses can only lower the optimum: start just above the nominal one */
    double hint = nb.status == SOLVE_FULL ? NAN : nb.max_prescription_gy + 0.01;
    rc = solve_bound(in, &h, planned_rx_gy, g, hint, &out->worst, err);
    out->has_worst = !rc;
  }
  free(in);
  hard_set_free(&h);
  if (rc) return rc;
  out->status = nb.status;
  out->max_prescription_gy = nb.max_prescription_gy;
  out->limiting = nb.limiting;
  out->nominal_feasible = nb.status == SOLVE_FULL;
  out->feasible = nb.status != SOLVE_INFEASIBLE;
  out->dose_per_fraction_gy = out->max_prescription_gy / g->fractions;
  snprintf(out->limiting_text, sizeof out->limiting_text, "%s",
           nb.limiting.found ? nb.limiting.text : "none: the full dose keeps every hard row");
  double ab = t->tumour_alpha_beta_gy;
  out->tumour_bed_gy = accumulate_tumour_bed(g, t, out->max_prescription_gy, &out->tumour_thames_h);
  out->tumour_eqd2_gy = out->tumour_bed_gy / (1 + 2 / ab);
  const double B = out->tumour_bed_gy;
  const char *band = B > t->curative_max_gy        ? "above curative"
                     : B >= t->curative_min_gy      ? "curative"
                     : B > t->palliative_max_gy     ? "between bands"
                     : B >= t->palliative_min_gy    ? "palliative"
                                                    : "below palliative";
  snprintf(out->target_band, sizeof out->target_band, "%s", band);
  statement(out, out->statement, sizeof out->statement);
  return RERT_OK;
}

static double rank_key_bed(const accum_solution *s, const accum_targets *t) {
  return s->tumour_bed_gy < t->curative_max_gy ? s->tumour_bed_gy : t->curative_max_gy;
}

/* < 0 when a ranks before b (rule in accumulate.h / docs/accumulate.md) */
static int rank_cmp(const accum_solution *a, int ia, const accum_solution *b, int ib,
                    const accum_targets *t) {
  if (a->feasible != b->feasible) return a->feasible ? -1 : 1;
  if (a->feasible) {
    int wa = !a->has_worst || a->worst.status != SOLVE_INFEASIBLE;
    int wb = !b->has_worst || b->worst.status != SOLVE_INFEASIBLE;
    if (wa != wb) return wa ? -1 : 1;
    double ka = rank_key_bed(a, t), kb = rank_key_bed(b, t);
    if (fabs(ka - kb) > 1e-9) return ka > kb ? -1 : 1;
    double sa = a->max_prescription_gy / a->reg.dose_max_gy, sb = b->max_prescription_gy / b->reg.dose_max_gy;
    if (fabs(sa - sb) > 1e-12) return sa > sb ? -1 : 1;
  } else {
    double sa = a->max_prescription_gy / a->reg.dose_min_gy, sb = b->max_prescription_gy / b->reg.dose_min_gy;
    if (fabs(sa - sb) > 1e-12) return sa > sb ? -1 : 1;
  }
  return ia < ib ? -1 : ia > ib;
}

void accumulate_solutions_rank(accum_solution *s, int n, const accum_targets *t) {
  for (int i = 0; i < n; i++) {
    int r = 1;
    for (int j = 0; j < n; j++)
      if (j != i && rank_cmp(&s[j], j, &s[i], i, t) < 0) r++;
    s[i].rank = r;
  }
}

static void limiting_json(const accum_limiting *l, cJSON *o) {
  if (!l->found) {
    cJSON_AddNullToObject(o, "limiting");
    return;
  }
  cJSON *j = cJSON_AddObjectToObject(o, "limiting");
  cJSON_AddStringToObject(j, "protocol", l->protocol);
  cJSON_AddStringToObject(j, "constraint_id", l->constraint_id);
  cJSON_AddStringToObject(j, "structure", l->structure);
  cJSON_AddStringToObject(j, "metric", l->metric);
  cJSON_AddStringToObject(j, "comparator", l->comparator);
  json_add_num(j, "limit", l->limit);
  cJSON_AddStringToObject(j, "unit", l->unit);
  cJSON_AddStringToObject(j, "tier", l->tier);
  json_add_num(j, "value_just_above", l->value_above);
  cJSON_AddBoolToObject(j, "exceeded_by_prior_courses", l->exceeded_by_prior);
  cJSON_AddStringToObject(j, "text", l->text);
}

static const char *status_key(accum_solve_status s) {
  return s == SOLVE_FULL ? "full_dose" : s == SOLVE_REDUCED ? "reduced_dose" : "infeasible";
}

void accum_solution_to_json(const accum_solution *s, cJSON *o) {
  const accum_regimen *g = &s->reg;
  cJSON_AddStringToObject(o, "name", g->name);
  cJSON_AddStringToObject(o, "intent", g->intent);
  cJSON_AddNumberToObject(o, "rank", s->rank);
  json_add_num(o, "nominal_dose_gy", g->dose_gy);
  json_add_num(o, "min_dose_gy", g->dose_min_gy);
  json_add_num(o, "max_dose_gy", g->dose_max_gy);
  cJSON_AddStringToObject(o, "dose_range_source", g->range_source);
  cJSON_AddNumberToObject(o, "fractions", g->fractions);
  cJSON_AddNumberToObject(o, "fractions_per_day", g->fractions_per_day);
  json_add_num(o, "interfraction_interval_h", g->interfraction_interval_h);
  cJSON_AddStringToObject(o, "modality", rbe_modality_name(g->modality));
  cJSON_AddStringToObject(o, "rbe_model", rbe_model_name(g->rbe));
  cJSON_AddStringToObject(o, "status", status_key(s->status));
  cJSON_AddStringToObject(o, "statement", s->statement);
  json_add_num(o, "max_prescription_gy", s->max_prescription_gy);
  json_add_num(o, "dose_per_fraction_gy", s->dose_per_fraction_gy);
  cJSON_AddBoolToObject(o, "feasible", s->feasible);
  cJSON_AddBoolToObject(o, "nominal_feasible", s->nominal_feasible);
  limiting_json(&s->limiting, o);
  cJSON_AddNumberToObject(o, "hard_rows", s->hard_rows);
  if (s->has_worst) {
    cJSON *w = cJSON_AddObjectToObject(o, "worst_case");
    cJSON_AddStringToObject(w, "status", status_key(s->worst.status));
    json_add_num(w, "max_prescription_gy", s->worst.max_prescription_gy);
    limiting_json(&s->worst.limiting, w);
  } else {
    cJSON_AddNullToObject(o, "worst_case");
  }
  json_add_num(o, "tumour_thames_h", s->tumour_thames_h);
  json_add_num(o, "tumour_bed_gy", s->tumour_bed_gy);
  json_add_num(o, "tumour_eqd2_gy", s->tumour_eqd2_gy);
  cJSON_AddStringToObject(o, "target_band", s->target_band);
  cJSON_AddStringToObject(o, "source", g->source);
  cJSON_AddBoolToObject(o, "verified", g->verified);
}
