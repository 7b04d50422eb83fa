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

#include "accum_internal.h"
#include "rert/radbio.h"

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
                          int s, const new_override *ov, double tmin, accum_eval_row *row,
                          rert_err *err) {
  const accum_structure *st = &in->structs[s];
  const int nc = in->ncourses, ni = pp->new_index;
  const double ab = isnan(c->alpha_beta_gy) ? pp->struct_ab[s] : c->alpha_beta_gy;
  row->alpha_beta_gy = ab;
  snprintf(row->alpha_beta_why, sizeof row->alpha_beta_why, "%s",
           isnan(c->alpha_beta_gy) ? "not stated by the source; organ value (data/tissues.json or case)"
                                   : "as the protocol states");
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
    h[k] = pp->h[k][s];
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

  /* voxels of the structure */
  const float *mk = st->mask->data;
  size_t cnt = 0;
  for (size_t v = 0; v < pp->nvox; v++)
    if (mk[v] > 0) cnt++;
  if (cnt == 0) {
    row->verdict = VERDICT_NOT_EVALUATED;
    snprintf(row->explanation, sizeof row->explanation, "structure %s has no voxels on the dose grid", st->name);
    return RERT_OK;
  }
  size_t *idx = malloc(cnt * sizeof *idx);
  double *val = malloc(cnt * sizeof *val), *w = malloc(cnt * sizeof *w);
  if (!idx || !val || !w) {
    free(idx); free(val); free(w);
    return rert_err_set(err, RERT_EINTERNAL, "evaluate: out of memory");
  }
  size_t j = 0;
  for (size_t v = 0; v < pp->nvox; v++)
    if (mk[v] > 0) { idx[j] = v; w[j] = mk[v] * pp->voxel_cc; j++; }

  int rc = RERT_OK;
  double cmax[ACCUM_MAX_COURSES];
  for (int k = 0; k < nc; k++) cmax[k] = 0;
  for (int pass = 0; pass < 2 && !rc; pass++) {
    int any_upper = 0;
    for (int k = 0; k < nc; k++) any_upper |= in->courses[k].dose_upper != NULL;
    if (pass == 1 && !any_upper) break;
    for (j = 0; j < cnt; j++) {
      size_t v = idx[j];
      double sum = 0;
      for (int k = 0; k < nc; k++) {
        const accum_course *co = &in->courses[k];
        int is_new = k == ni;
        if (c->scope == SCOPE_NEW_COURSE && !is_new) continue;
        const rert_volume *dv = pass == 1 && co->dose_upper ? co->dose_upper : co->dose;
        double D = accum_course_dose(pp, co, k, dv->data[v]);
        if (is_new) D *= scale;
        if (c->quantity == PQ_DOSE) {
          sum += D;
          if (pass == 0 && D > cmax[k]) cmax[k] = D;
          continue;
        }
        double q = D > 0 ? accum_eqd2(D, n[k], h[k], ab) : 0;
        if (!is_new && !rec[k].is_limit) q = accum_recover(&rec[k], q, pp->interval_months[k], ab);
        if (pass == 0 && q > cmax[k]) cmax[k] = q;
        sum += q;
      }
      if (c->quantity == PQ_BED) sum *= 1.0 + 2.0 / ab;
      val[j] = sum;
    }
    double r;
    rc = protocol_metric_eval(&c->metric, val, w, cnt, &r, err);
    if (rc) break;
    if (pass == 0) row->value = r;
    else { row->has_worst = 1; row->worst_value = r; }
  }
  free(idx); free(val); free(w);
  if (rc) return rert_err_prefix(err, rc, "constraint %s, structure %s", c->id, st->name);
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
  }
  return RERT_OK;
}

static int evaluate_core(const accum_input *in, const rert_protocol *p, const new_override *ov,
                         accum_evaluation *ev, rert_err *err) {
  memset(ev, 0, sizeof *ev);
  accum_prep *pp = malloc(sizeof *pp);
  if (!pp) return rert_err_set(err, RERT_EINTERNAL, "evaluate: out of memory");
  int rc = accum_prepare(in, pp, err);
  if (rc) { free(pp); return rc; }
  snprintf(ev->protocol, sizeof ev->protocol, "%s", p->name);
  double tmin = accumulate_min_interval_months(in);
  ev->interval_months = tmin;
  int cap = 0;
  for (int i = 0; i < p->nconstraints; i++)
    for (int s = 0; s < in->nstructs; s++)
      cap += protocol_organ_matches(p->constraints[i].organ, in->structs[s].name);
  ev->rows = calloc(cap ? (size_t)cap : 1, sizeof *ev->rows);
  if (!ev->rows) { free(pp); return rert_err_set(err, RERT_EINTERNAL, "evaluate: out of memory"); }
  for (int i = 0; i < p->nconstraints && !rc; i++) {
    const protocol_constraint *c = &p->constraints[i];
    for (int s = 0; s < in->nstructs && !rc; s++) {
      if (!protocol_organ_matches(c->organ, in->structs[s].name)) continue;
      accum_eval_row *row = &ev->rows[ev->nrows++];
      row->c = c;
      snprintf(row->structure, sizeof row->structure, "%s", in->structs[s].name);
      row->value = row->worst_value = row->margin = row->margin_pct = NAN;
      row->limit = c->has_limit ? c->limit : NAN;
      char iv[128];
      int has_cond = c->interval.has_min || c->interval.has_max;
      if (has_cond && isnan(tmin)) {
        row->verdict = VERDICT_NOT_APPLICABLE;
        snprintf(row->explanation, sizeof row->explanation, "interval-dependent row but there is no prior course");
        continue;
      }
      if (has_cond && !protocol_interval_applies(&c->interval, tmin, iv, sizeof iv)) {
        row->verdict = VERDICT_NOT_APPLICABLE;
        snprintf(row->explanation, sizeof row->explanation, "%s; another row of the protocol applies", iv);
        continue;
      }
      if (!has_cond) snprintf(iv, sizeof iv, "no interval condition");
      if (c->scope == SCOPE_NEW_COURSE || c->quantity == PQ_DOSE) {
        if (pp->new_index < 0) {
          row->verdict = VERDICT_NOT_EVALUATED;
          snprintf(row->explanation, sizeof row->explanation, "new-course limit but the case has no planned course");
          continue;
        }
        char why[256];
        const accum_course *nc = &in->courses[pp->new_index];
        if (c->quantity == PQ_DOSE && !rbe_accepts(c, nc->modality, pp->eff_rbe[pp->new_index], why, sizeof why)) {
          row->verdict = VERDICT_NOT_EVALUATED;
          snprintf(row->explanation, sizeof row->explanation, "%s", why);
          continue;
        }
      }
      rc = eval_structure(in, pp, c, s, ov, tmin, row, err);
      if (rc || row->verdict == VERDICT_NOT_EVALUATED) continue;
      char qty[256];
      if (c->quantity == PQ_DOSE)
        snprintf(qty, sizeof qty, "new-course dose%s", c->has_rbe_model ? " Gy(RBE)" : "");
      else
        snprintf(qty, sizeof qty, "%s %s at a/b %.3g Gy (%s)", c->scope == SCOPE_CUMULATIVE ? "cumulative" : "new-course",
                 protocol_quantity_name(c->quantity), row->alpha_beta_gy, row->alpha_beta_why);
      if (row->verdict == VERDICT_NOT_APPLICABLE)
        snprintf(row->explanation, sizeof row->explanation, "%s %s = %.2f; no numeric limit (ALARA)", qty,
                 c->metric.text, row->value);
      else
        snprintf(row->explanation, sizeof row->explanation,
                 "%s; recovery %s; max per course in structure: %s; %s; %s %.2f %s %.4g %s%s -> %s (margin %.2f, %.1f%%)", qty,
                 c->scope == SCOPE_CUMULATIVE ? row->recovery_used : "n/a (new course only)", row->contributions, iv,
                 c->metric.text, row->value, protocol_cmp_name(c->cmp), row->limit, c->limit_unit,
                 row->limit != c->limit ? " (limit x recovery limit factor)" : "",
                 accum_verdict_name(row->verdict), row->margin, row->margin_pct);
    }
  }
  free(pp);
  if (rc) { accum_evaluation_free(ev); return rc; }
  for (int r = 0; r < ev->nrows; r++) {
    const accum_eval_row *row = &ev->rows[r];
    int failed = row->verdict == VERDICT_FAIL || (row->has_worst && row->worst_verdict == VERDICT_FAIL);
    if (row->verdict == VERDICT_NOT_EVALUATED) ev->not_evaluated++;
    if (!failed) continue;
    if (protocol_tier_is_hard(row->c->tier)) ev->hard_failures++;
    else if (row->c->tier == TIER_DESIRABLE) ev->desirable_failures++;
  }
  return RERT_OK;
}

int accumulate_evaluate(const accum_input *in, const rert_protocol *p, accum_evaluation *ev, rert_err *err) {
  return evaluate_core(in, p, NULL, ev, err);
}

int accumulate_evaluate_scaled(const accum_input *in, const rert_protocol *p, double new_scale,
                               int new_fractions, int new_fractions_per_day, double new_interval_h,
                               accum_evaluation *ev, rert_err *err) {
  if (!(new_scale >= 0) || new_fractions < 1)
    return rert_err_set(err, RERT_EINPUT, "evaluate: scale must be >= 0 and fractions >= 1");
  new_override ov = {new_scale, new_fractions, new_fractions_per_day, new_interval_h};
  return evaluate_core(in, p, &ov, ev, err);
}
