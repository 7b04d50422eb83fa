/* evaluate.c — verdicts of a constraint protocol on the accumulated dose (domain-reference §5,
 * §3.4–§3.5 interval-dependent limits, §2 "evaluate CARE only with its α/β").
 *
 * Each constraint is evaluated inside each matching structure with the α/β and the prior-dose
 * recovery that constraint assumes (not the α/β map's overlap winner): a CARE brainstem limit
 * is checked on EQD2 at α/β 2 even where the voxel map used another value. The explanation
 * string says which α/β, recovery and interval condition produced the number and the limit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"
#include "rert/radbio.h"
#include "rert/structmap.h"

void accum_evaluation_free(accum_evaluation *ev) {
  if (!ev) return;
  free(ev->rows);
  memset(ev, 0, sizeof *ev);
}

typedef struct {
  double scale;          /* new-course dose multiplier */
  int nfx;               /* new-course fractions */
  int fpd;               /* new-course fractions per day */
  double interval_h;
} new_override;

/* The limit's RBE model accepts the course's effective model? Photon physical dose is Gy(RBE)
 * with RBE 1, so a fixed-RBE (proton) limit accepts photons; carbon models must match. */
static int rbe_accepts(const protocol_constraint *c, rert_modality mod, rbe_model eff, char *why, size_t n) {
  if (!c->has_rbe_model) {
    if (eff == RBE_LEM_I || eff == RBE_MKM) {
      snprintf(why, n, "limit is in Gy (photon/proton); the course dose is carbon %s Gy(RBE)", rbe_model_name(eff));
      return 0;
    }
    return 1;
  }
  if (c->rbe == RBE_FIXED || c->rbe == RBE_PHYSICAL) {
    if (eff == RBE_FIXED || (eff == RBE_PHYSICAL && (mod == MOD_PHOTON || mod == MOD_ELECTRON))) return 1;
  } else if (c->rbe == eff) {
    return 1;
  }
  snprintf(why, n, "limit is in %s Gy(RBE) but the new course dose is %s; convert explicitly (case file rbe_convert_to)",
           rbe_model_name(c->rbe), rbe_model_name(eff));
  return 0;
}

static int eval_structure(const accum_input *in, const accum_prep *pp, const protocol_constraint *c,
                          int s, const new_override *ov, double tmin, eval_cache *cache,
                          accum_eval_row *row, rert_err *err) {
  const accum_structure *st = &in->structs[s];
  const int nc = in->ncourses, ni = pp->new_index;
  const double ab = isnan(c->alpha_beta_gy) ? pp->struct_ab[s] : c->alpha_beta_gy;
  row->alpha_beta_gy = ab;
  snprintf(row->alpha_beta_why, sizeof row->alpha_beta_why, "%s",
           !isnan(c->alpha_beta_gy) ? "as the protocol states"
           : !isnan(st->alpha_beta_gy) && st->override_note[0] ? "not stated by the source; case-file override"
           : "not stated by the source; organ value (data/tissues.json or case)");
  /* recovery per prior course */
  accum_recovery rec[ACCUM_MAX_COURSES];
  double limit_factor = 1;
  row->recovery_used[0] = 0;
  for (int k = 0; k < nc; k++) {
    if (in->courses[k].is_new) continue;
    const char *spec = c->recovery;
    if (!strcmp(spec, "case")) spec = st->recovery[k][0] ? st->recovery[k] : in->default_recovery;
    if (accum_recovery_setup(spec, pp->interval_months[k], &rec[k], err))
      return rert_err_prefix(err, RERT_EINPUT, "constraint %s, structure %s", c->id, st->name);
    if (rec[k].is_limit && rec[k].limit_factor > limit_factor) limit_factor = rec[k].limit_factor;
    size_t L = strlen(row->recovery_used);
    snprintf(row->recovery_used + L, sizeof row->recovery_used - L, "%s%s: %s R=%.3g", L ? "; " : "",
             in->courses[k].id, spec, rec[k].is_limit ? 0.0 : 1 - rec[k].keep);
  }
  if (!row->recovery_used[0]) snprintf(row->recovery_used, sizeof row->recovery_used, "no prior course");
  if (!strcmp(c->recovery, "case")) {
    size_t L = strlen(row->recovery_used);
    snprintf(row->recovery_used + L, sizeof row->recovery_used - L, " (from case file)");
  }
  /* the limit-model factor uses the shortest interval (most recent prior) */
  if (limit_factor != 1 && !isnan(tmin)) {
    for (int k = 0; k < nc; k++)
      if (!in->courses[k].is_new && rec[k].is_limit) {
        limit_factor = recovery_limit_factor(&rec[k].m, tmin);
        break;
      }
  }
  row->limit = c->limit * limit_factor;

  /* h per course for this structure; new course may be overridden by the solver */
  double h[ACCUM_MAX_COURSES], n[ACCUM_MAX_COURSES];
  for (int k = 0; k < nc; k++) {
    h[k] = accum_h(pp, k, s);
    n[k] = in->courses[k].fractions;
  }
  double scale = 1;
  if (ov && ni >= 0) {
    scale = ov->scale;
    n[ni] = ov->nfx;
    h[ni] = 0;
    if (ov->fpd > 1) {
      double th = accum_t12(pp, s, in->nstructs, in->courses[ni].repair_halftime_h);
      if (!(th > 0))
        return rert_err_set(err, RERT_EINPUT, "constraint %s: %d fractions/day need a repair half-time for %s",
                            c->id, ov->fpd, st->name);
      h[ni] = radbio_thames_h(ov->fpd, ov->interval_h, th);
    }
  }

  /* the map of this constraint inside the structure: nominal and, with bounds, worst case */
  accum_map_spec ms;
  memset(&ms, 0, sizeof ms);
  ms.s = s, ms.scope = c->scope, ms.quantity = c->quantity, ms.ab = ab, ms.scale = scale;
  for (int k = 0; k < nc; k++) {
    ms.n[k] = n[k], ms.h[k] = h[k];
    if (!in->courses[k].is_new) {
      const char *spec = c->recovery;
      if (!strcmp(spec, "case")) spec = st->recovery[k][0] ? st->recovery[k] : in->default_recovery;
      snprintf(ms.rec[k], sizeof ms.rec[k], "%s", spec);
    }
  }
  double cmax[ACCUM_MAX_COURSES];
  for (int k = 0; k < nc; k++) cmax[k] = 0;
  int rc = RERT_OK;
  row->complete = 1;
  row->outside_pct = 0;
  if (st->roi && cache) {
    rc = accum_eval_from_contours(in, pp, c, &ms, rec, cache, row, cmax, err);
  } else {
    rc = accum_eval_from_mask(in, pp, c, &ms, rec, row, cmax, err);
  }
  if (rc) return rert_err_prefix(err, rc, "constraint %s, structure %s", c->id, st->name);
  if (row->verdict == VERDICT_NOT_EVALUATED) return RERT_OK;
  {
    size_t L = 0;
    row->contributions[0] = 0;
    for (int k = 0; k < nc; k++) {
      if (c->scope == SCOPE_NEW_COURSE && k != ni) continue;
      int w2 = snprintf(row->contributions + L, sizeof row->contributions - L, "%s%s %.2f%s", L ? ", " : "",
                        in->courses[k].id, cmax[k], k == ni ? " (new)" : "");
      if (w2 < 0 || (size_t)w2 >= sizeof row->contributions - L) break;
      L += (size_t)w2;
    }
  }

  if (!c->has_limit) {
    row->verdict = VERDICT_NOT_APPLICABLE;
    row->limit = NAN;
    row->margin = row->margin_pct = NAN;
  } else {
    int upper = c->cmp == CMP_LT || c->cmp == CMP_LE;
    row->verdict = protocol_compare(c->cmp, row->value, row->limit) ? VERDICT_PASS : VERDICT_FAIL;
    row->margin = upper ? row->limit - row->value : row->value - row->limit;
    row->margin_pct = row->limit != 0 ? 100.0 * row->margin / row->limit : NAN;
    if (row->has_worst)
      row->worst_verdict = protocol_compare(c->cmp, row->worst_value, row->limit) ? VERDICT_PASS : VERDICT_FAIL;
    if (!row->complete && isnan(row->value)) row->verdict = VERDICT_INCOMPLETE;
    if (!row->complete && in->outside_grid_strict) {
      /* the value covers only the part inside the dose grid: a failure stands only where that
       * part bounds the whole structure's value from the failing side */
      /* the missing part can only raise Dmax, D_x, V_x and CV_x (inside − V_x) and lower Dmin */
      int proven = upper ? (c->metric.kind == MET_DMAX || c->metric.kind == MET_D_CC ||
                            c->metric.kind == MET_D_PCT || c->metric.kind == MET_V_GY ||
                            c->metric.kind == MET_CV_GY)
                         : c->metric.kind == MET_DMIN;
      if (!(row->verdict == VERDICT_FAIL && proven)) row->verdict = VERDICT_INCOMPLETE;
      if (row->has_worst && !(row->worst_verdict == VERDICT_FAIL && proven))
        row->worst_verdict = VERDICT_INCOMPLETE;
    }
  }
  return RERT_OK;
}

/* The structure names a constraint covers: every structure its organ matches, plus — so that a
 * missing organ is a row, never a silent absence — the organ itself when nothing matches, and
 * each side of a paired organ (OpticNrv → OpticNrv_L, OpticNrv_R) that the structure set lacks
 * when it has no combined structure of that name. s = −1 marks a missing one. Sorted by name:
 * the rows do not depend on the ROI order. */
static int cmp_expected(const void *a, const void *b) {
  return strcmp(((const expected_struct *)a)->name, ((const expected_struct *)b)->name);
}

int accum_expected_structures(const accum_input *in, const protocol_constraint *c, expected_struct *x) {
  int n = 0, bare = 0;
  for (int s = 0; s < in->nstructs; s++) {
    if (!protocol_organ_matches(c->organ, in->structs[s].name)) continue;
    snprintf(x[n].name, sizeof x[n].name, "%s", in->structs[s].name);
    x[n++].s = s;
    bare |= !strcmp(in->structs[s].name, c->organ);
  }
  if (!bare && structmap_is_paired(c->organ)) {
    for (int side = 0; side < 2; side++) {
      char nm[64];
      snprintf(nm, sizeof nm, "%s_%c", c->organ, side ? 'R' : 'L');
      int have = 0;
      for (int k = 0; k < n; k++) have |= !strcmp(x[k].name, nm);
      if (!have) {
        snprintf(x[n].name, sizeof x[n].name, "%s", nm);
        x[n++].s = -1;
      }
    }
  } else if (n == 0) {
    snprintf(x[n].name, sizeof x[n].name, "%s", c->organ);
    x[n++].s = -1;
  }
  qsort(x, (size_t)n, sizeof *x, cmp_expected);
  return n;
}

static void not_evaluated(accum_eval_row *row, accum_ne_reason why, const char *fmt, const char *a) {
  row->verdict = VERDICT_NOT_EVALUATED;
  row->status = ROW_NOT_EVALUATED;
  row->reason = why;
  snprintf(row->explanation, sizeof row->explanation, fmt, a);
}

/* The one status of an evaluated row (docs/accumulate.md "Every constraint accounted for"). */
static void set_status(accum_eval_row *row) {
  if (row->status == ROW_NOT_EVALUATED || row->status == ROW_NOT_APPLICABLE) return;
  switch (row->verdict) {
  case VERDICT_NOT_EVALUATED:
    row->status = ROW_NOT_EVALUATED;
    if (row->reason == NE_NONE)
      row->reason = strstr(row->explanation, "outside the dose grid") ? NE_OUTSIDE_DOSE_GRID : NE_STRUCTURE_DEGENERATE;
    break;
  case VERDICT_INCOMPLETE:
    if (isnan(row->value)) {
      row->status = ROW_NOT_EVALUATED;
      row->reason = NE_OUTSIDE_DOSE_GRID;
    } else {
      row->status = ROW_PARTLY_OUTSIDE;
      row->reason = NE_PARTLY_OUTSIDE_STRICT;
    }
    break;
  default: /* PASS, FAIL, or an ALARA row (no numeric limit) with its value */
    row->status = row->complete ? ROW_EVALUATED : ROW_PARTLY_OUTSIDE;
  }
}

static int evaluate_one(const accum_input *in, const accum_prep *pp, const rert_protocol *p,
                        const new_override *ov, int hard_only, eval_cache *cache,
                        accum_evaluation *ev, rert_err *err) {
  int rc = RERT_OK;
  memset(ev, 0, sizeof *ev);
  snprintf(ev->protocol, sizeof ev->protocol, "%s", p->name);
  double tmin = accumulate_min_interval_months(in);
  ev->interval_months = tmin;
  size_t cap = 0;
  for (int i = 0; i < p->nconstraints; i++) {
    cap += 2;
    for (int s = 0; s < in->nstructs; s++) cap += protocol_organ_matches(p->constraints[i].organ, in->structs[s].name);
  }
  ev->rows = calloc(cap ? cap : 1, sizeof *ev->rows);
  expected_struct *ex = calloc((size_t)in->nstructs + 2, sizeof *ex);
  if (!ev->rows || !ex) {
    free(ex);
    accum_evaluation_free(ev);
    return rert_err_set(err, RERT_EINTERNAL, "evaluate: out of memory");
  }
  int stop = 0;
  for (int i = 0; i < p->nconstraints && !rc && !stop; i++) {
    const protocol_constraint *c = &p->constraints[i];
    if (hard_only && !protocol_tier_is_hard(c->tier)) continue;
    int nx = accum_expected_structures(in, c, ex);
    for (int q = 0; q < nx && !rc && !stop; q++) {
      const int s = ex[q].s;
      accum_eval_row *row = &ev->rows[ev->nrows++];
      row->c = c;
      row->complete = 1;
      snprintf(row->structure, sizeof row->structure, "%s", ex[q].name);
      if (s >= 0) snprintf(row->roi_name, sizeof row->roi_name, "%s", in->structs[s].local_name);
      row->value = row->worst_value = row->margin = row->margin_pct = row->structure_cc = NAN;
      row->outside_pct = NAN;
      row->limit = c->has_limit ? c->limit : NAN;
      char iv[128];
      int has_cond = c->interval.has_min || c->interval.has_max;
      if (has_cond && isnan(tmin)) {
        row->verdict = VERDICT_NOT_APPLICABLE;
        row->status = ROW_NOT_APPLICABLE;
        snprintf(row->explanation, sizeof row->explanation, "interval-dependent row but there is no prior course");
        continue;
      }
      if (has_cond && !protocol_interval_applies(&c->interval, tmin, iv, sizeof iv)) {
        row->verdict = VERDICT_NOT_APPLICABLE;
        row->status = ROW_NOT_APPLICABLE;
        snprintf(row->explanation, sizeof row->explanation, "%s; another row of the protocol applies", iv);
        continue;
      }
      if (s < 0) {
        not_evaluated(row, NE_STRUCTURE_MISSING,
                      "NOT EVALUATED: no structure of the structure set resolves to %s (structure_map, then "
                      "data/structure_synonyms.json; the mapping table lists the unmapped ROIs)", ex[q].name);
        continue;
      }
      const accum_structure *st = &in->structs[s];
      if (st->state != ACCUM_STRUCT_OK) {
        char msg[320];
        snprintf(msg, sizeof msg, "NOT EVALUATED: structure %s%s%s%s: %s", st->name,
                 st->local_name[0] ? " (ROI '" : "", st->local_name, st->local_name[0] ? "')" : "",
                 st->state_detail[0] ? st->state_detail : st->state == ACCUM_STRUCT_EMPTY ? "no contours" : "unusable contours");
        not_evaluated(row, st->state == ACCUM_STRUCT_EMPTY ? NE_STRUCTURE_EMPTY : NE_STRUCTURE_DEGENERATE, "%s", msg);
        continue;
      }
      if (!has_cond) snprintf(iv, sizeof iv, "no interval condition");
      if (c->scope == SCOPE_NEW_COURSE || c->quantity == PQ_DOSE) {
        if (pp->new_index < 0) {
          not_evaluated(row, NE_NO_PLANNED_COURSE, "%s", "new-course limit but the case has no planned course");
          continue;
        }
        char why[256];
        const accum_course *nc = &in->courses[pp->new_index];
        if (c->quantity == PQ_DOSE && !rbe_accepts(c, nc->modality, pp->eff_rbe[pp->new_index], why, sizeof why)) {
          not_evaluated(row, NE_RBE_MODEL, "%s", why);
          continue;
        }
      }
      rc = eval_structure(in, pp, c, s, ov, tmin, cache, row, err);
      if (!rc) set_status(row);
      if (rc || row->verdict == VERDICT_NOT_EVALUATED) continue;
      /* the solver only needs to know whether some hard row fails: stop at the first */
      if (hard_only && (row->verdict == VERDICT_FAIL || (row->has_worst && row->worst_verdict == VERDICT_FAIL)))
        stop = 1;
      char qty[256], how[320];
      if (c->quantity == PQ_DOSE)
        snprintf(qty, sizeof qty, "new-course dose%s", c->has_rbe_model ? " Gy(RBE)" : "");
      else
        snprintf(qty, sizeof qty, "%s %s at a/b %.3g Gy (%s)", c->scope == SCOPE_CUMULATIVE ? "cumulative" : "new-course",
                 protocol_quantity_name(c->quantity), row->alpha_beta_gy, row->alpha_beta_why);
      snprintf(how, sizeof how, "%s%s%s%s",
               row->from_contours ? "DVH of the contours (rert dvh engine, map interpolated trilinearly)"
                                  : "voxel samples of the mask (no contours)",
               row->method_note[0] ? "; " : "", row->method_note,
               row->complete ? ""
               : in->outside_grid_strict ? "; INCOMPLETE: part of the structure lies outside the dose grid"
                                         : "; incomplete DVH: part of the structure lies outside the dose grid, where the dose is taken as 0 (--outside-grid strict refuses this)");
      if (!row->complete) {
        size_t L = strlen(how);
        snprintf(how + L, sizeof how - L, " (%.1f%%)", row->outside_pct);
      }
      if (row->verdict == VERDICT_NOT_APPLICABLE)
        snprintf(row->explanation, sizeof row->explanation, "%s %s = %.2f; no numeric limit (ALARA); %s", qty,
                 c->metric.text, row->value, how);
      else
        snprintf(row->explanation, sizeof row->explanation,
                 "%s; recovery %s; max per course in structure: %s; %s; %s %.2f %s %.4g %s%s -> %s (margin %.2f, %.1f%%); %s", qty,
                 c->scope == SCOPE_CUMULATIVE ? row->recovery_used : "n/a (new course only)", row->contributions, iv,
                 c->metric.text, row->value, protocol_cmp_name(c->cmp), row->limit, c->limit_unit,
                 row->limit != c->limit ? " (limit x recovery limit factor)" : "",
                 accum_verdict_name(row->verdict), row->margin, row->margin_pct, how);
    }
  }
  free(ex);
  if (rc) { accum_evaluation_free(ev); return rc; }
  for (int r = 0; r < ev->nrows; r++) {
    const accum_eval_row *row = &ev->rows[r];
    int failed = row->verdict == VERDICT_FAIL || (row->has_worst && row->worst_verdict == VERDICT_FAIL);
    int incomplete = row->verdict == VERDICT_INCOMPLETE || (row->has_worst && row->worst_verdict == VERDICT_INCOMPLETE);
    if (row->verdict == VERDICT_NOT_EVALUATED) ev->not_evaluated++;
    if (row->status == ROW_PARTLY_OUTSIDE) ev->partial_rows++;
    if (accumulate_row_unevaluated_hard(row)) ev->hard_not_evaluated++;
    if (incomplete && !failed) {
      ev->incomplete++;
      if (protocol_tier_is_hard(row->c->tier)) ev->hard_incomplete++;
    }
    if (!failed) continue;
    if (protocol_tier_is_hard(row->c->tier)) ev->hard_failures++;
    else if (row->c->tier == TIER_DESIRABLE) ev->desirable_failures++;
  }
  return RERT_OK;
}

int accumulate_row_failed_hard(const accum_eval_row *r) {
  return protocol_tier_is_hard(r->c->tier) &&
         (r->verdict == VERDICT_FAIL || (r->has_worst && r->worst_verdict == VERDICT_FAIL));
}

int accumulate_row_unevaluated_hard(const accum_eval_row *r) {
  if (!protocol_tier_is_hard(r->c->tier) || accumulate_row_failed_hard(r)) return 0;
  return r->verdict == VERDICT_NOT_EVALUATED || r->verdict == VERDICT_INCOMPLETE ||
         (r->has_worst && r->worst_verdict == VERDICT_INCOMPLETE);
}

void accumulate_overall(const accum_evaluation *evs, int n, accum_overall *o) {
  memset(o, 0, sizeof *o);
  for (int i = 0; i < n; i++)
    for (int r = 0; r < evs[i].nrows; r++) {
      const accum_eval_row *row = &evs[i].rows[r];
      o->rows++;
      if (accumulate_row_failed_hard(row)) o->hard_failures++;
      else if (accumulate_row_unevaluated_hard(row)) o->hard_not_evaluated++;
      if (row->status == ROW_NOT_APPLICABLE) o->not_applicable++;
      if (row->status == ROW_PARTLY_OUTSIDE) o->partial_rows++;
    }
  o->verdict = o->hard_failures ? VERDICT_FAIL : o->hard_not_evaluated ? VERDICT_INCOMPLETE : VERDICT_PASS;
}

const char *accumulate_overall_name(accum_verdict v) {
  return v == VERDICT_FAIL ? "FAIL" : v == VERDICT_PASS ? "PASS" : "INCOMPLETE";
}

int accumulate_verdict_status(accum_verdict v) {
  return v == VERDICT_FAIL ? RERT_EVERDICT : v == VERDICT_PASS ? RERT_OK : RERT_EINCOMPLETE;
}

const char *accum_row_status_name(accum_row_status s) {
  static const char *const n[] = {"evaluated", "partly_outside", "not_applicable", "not_evaluated"};
  return (unsigned)s < 4 ? n[s] : "?";
}

const char *accum_ne_reason_name(accum_ne_reason r) {
  static const char *const n[] = {"", "structure_missing", "structure_empty", "structure_degenerate",
                                  "outside_dose_grid", "partly_outside_dose_grid_strict",
                                  "no_planned_course", "rbe_model", "other"};
  return (unsigned)r < 9 ? n[r] : "?";
}

/* Several protocols over one preparation and one DVH cache. */
int accum_evaluate_core(const accum_input *in, const rert_protocol *const *ps, int np,
                        const double *scale_fx, int hard_only, accum_evaluation *evs,
                        rert_err *err) {
  new_override ov, *pov = NULL;
  if (scale_fx) {
    if (!(scale_fx[0] >= 0) || !(scale_fx[1] >= 1))
      return rert_err_set(err, RERT_EINPUT, "evaluate: scale must be >= 0 and fractions >= 1");
    ov = (new_override){scale_fx[0], (int)scale_fx[1], (int)scale_fx[2], scale_fx[3]};
    pov = &ov;
  }
  for (int i = 0; i < np; i++) memset(&evs[i], 0, sizeof evs[i]);
  accum_prep *pp = malloc(sizeof *pp);
  if (!pp) return rert_err_set(err, RERT_EINTERNAL, "evaluate: out of memory");
  int rc = accum_prepare(in, pp, err);
  if (rc) { free(pp); return rc; }
  eval_cache cache;
  accum_cache_init(&cache, in);
  for (int i = 0; i < np && !rc; i++) {
    rc = evaluate_one(in, pp, ps[i], pov, hard_only, &cache, &evs[i], err);
    if (!rc && hard_only && evs[i].hard_failures) break; /* solver: one failure decides */
  }
  accum_cache_free(&cache);
  accum_prep_free(pp);
  free(pp);
  if (rc)
    for (int i = 0; i < np; i++) accum_evaluation_free(&evs[i]);
  return rc;
}

int accumulate_evaluate_protocols(const accum_input *in, const rert_protocol *const *ps, int np,
                                  accum_evaluation *evs, rert_err *err) {
  return accum_evaluate_core(in, ps, np, NULL, 0, evs, err);
}

int accumulate_evaluate(const accum_input *in, const rert_protocol *p, accum_evaluation *ev, rert_err *err) {
  return accum_evaluate_core(in, &p, 1, NULL, 0, ev, err);
}

int accumulate_evaluate_scaled(const accum_input *in, const rert_protocol *p, double new_scale,
                               int new_fractions, int new_fractions_per_day, double new_interval_h,
                               accum_evaluation *ev, rert_err *err) {
  double sf[4] = {new_scale, new_fractions, new_fractions_per_day, new_interval_h};
  return accum_evaluate_core(in, &p, 1, sf, 0, ev, err);
}
