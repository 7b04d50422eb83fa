/* budget.c — remaining-tolerance map and maximum new dose per voxel (domain-reference §1.2
 * "remaining budget" closed form, generalised to the Thames factor of §1.4; §3 recovery; §5
 * limits; §10.6 CARE vector).
 *
 * For every structure with a hard (mandatory/acceptable), point-like (Dmax, Dxcc), applicable
 * cumulative limit L at α/β a of any of the protocols (row selection shared with the point-dose
 * budget, rert/budget.h): remaining(v) = L·f − Σ_prior recovered EQD2_c(v; a), and
 * max_new(v) = n·d with n d (1 + d(1+h)/a) = remaining·(1 + 2/a). A voxel covered by several
 * structures/limits keeps the smallest max_new (and that limit's remaining EQD2). Point-like
 * new-course dose limits cap max_new directly; new-course EQD2/BED limits are inverted the
 * same way. Voxels governed by no limit stay NaN.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"
#include "rert/budget.h"
#include "rert/radbio.h"

int accumulate_budget(const accum_input *in, const rert_protocol *p, int fractions, int fpd,
                      double interval_h, rert_volume *remaining, rert_volume *maxnew, rert_err *err) {
  return accumulate_budget_protocols(in, &p, 1, fractions, fpd, interval_h, remaining, maxnew, NULL, err);
}

int accumulate_budget_protocols(const accum_input *in, const rert_protocol *const *ps, int np,
                                int fractions, int fpd, double interval_h, rert_volume *remaining,
                                rert_volume *maxnew, rert_volume *exhausted, rert_err *err) {
  memset(remaining, 0, sizeof *remaining);
  memset(maxnew, 0, sizeof *maxnew);
  if (exhausted) memset(exhausted, 0, sizeof *exhausted);
  if (np < 1) return rert_err_set(err, RERT_EINPUT, "budget: no protocol");
  if (fractions < 1) return rert_err_set(err, RERT_EINPUT, "budget: fractions must be >= 1");
  accum_prep *pp = malloc(sizeof *pp);
  if (!pp) return rert_err_set(err, RERT_EINTERNAL, "budget: out of memory");
  int rc = accum_prepare(in, pp, err);
  if (rc) { free(pp); return rc; }
  const rert_volume *ref = in->courses[0].dose;
  if (volume_alloc_like(remaining, ref, err) || volume_alloc_like(maxnew, ref, err) ||
      (exhausted && volume_alloc_like(exhausted, ref, err))) {
    volume_free(remaining); volume_free(maxnew); if (exhausted) volume_free(exhausted);
    accum_prep_free(pp); free(pp);
    return rert_err_set(err, RERT_EINTERNAL, "budget: out of memory");
  }
  const size_t N = pp->nvox;
  float *rem = remaining->data, *mx = maxnew->data, *ex = exhausted ? exhausted->data : NULL;
  for (size_t v = 0; v < N; v++) rem[v] = mx[v] = NAN;
  if (ex)
    for (size_t v = 0; v < N; v++) ex[v] = NAN;
  double tmin = accumulate_min_interval_months(in);
  int used = 0;
  char names[256] = "";
  for (int k = 0; k < np; k++) {
    size_t L = strlen(names);
    snprintf(names + L, sizeof names - L, "%s%s", k ? "+" : "", ps[k]->name);
  }
  for (int pi = 0; pi < np && !rc; pi++)
  for (int i = 0; i < ps[pi]->nconstraints && !rc; i++) {
    const protocol_constraint *c = &ps[pi]->constraints[i];
    /* the row selection of the point-dose budget (rert/budget.h), new-course rows included */
    if (!protocol_tier_is_hard(c->tier) || budget_row_skip_reason(c, tmin, 1, NULL, 0)) continue;
    const protocol_quantity q0 = c->quantity;
    for (int s = 0; s < in->nstructs && !rc; s++) {
      const accum_structure *st = &in->structs[s];
      /* an empty or unusable structure has no voxels: its rows are "not evaluated" in the
       * verdict, and the map has no limit there (NaN), never a wrong one */
      if (st->state != ACCUM_STRUCT_OK || !protocol_organ_matches(c->organ, st->name)) continue;
      const double ab = isnan(c->alpha_beta_gy) ? pp->struct_ab[s] : c->alpha_beta_gy;
      double h = 0;
      if (fpd > 1) {
        double th = accum_t12(pp, s, in->nstructs,
                              pp->new_index >= 0 ? in->courses[pp->new_index].repair_halftime_h : NAN);
        if (!(th > 0)) {
          rc = rert_err_set(err, RERT_EINPUT, "budget: %d fractions/day need a repair half-time for %s", fpd, st->name);
          break;
        }
        h = radbio_thames_h(fpd, interval_h, th);
      }
      accum_recovery rec[ACCUM_MAX_COURSES];
      double lf = 1;
      for (int k = 0; k < in->ncourses && !rc; k++) {
        if (in->courses[k].is_new) continue;
        const char *spec = c->recovery;
        if (!strcmp(spec, "case")) spec = st->recovery[k][0] ? st->recovery[k] : in->default_recovery;
        if (accum_recovery_setup(spec, pp->interval_months[k], &rec[k], err)) {
          rc = rert_err_prefix(err, RERT_EINPUT, "budget: constraint %s, structure %s", c->id, st->name);
          break;
        }
        if (rec[k].is_limit) lf = recovery_limit_factor(&rec[k].m, tmin);
      }
      if (rc) break;
      const double L = (q0 == PQ_DOSE ? c->limit : budget_row_limit_eqd2(c, ab)) * lf;
      const double Le = L;
      const float *mk = st->mask->data;
      const int nc = in->ncourses, ni = pp->new_index;
      const int cumulative = c->scope == SCOPE_CUMULATIVE;
      const protocol_quantity q = q0;
      used++;
#pragma omp parallel for schedule(static)
      for (size_t v = 0; v < N; v++) {
        if (!(mk[v] > 0)) continue;
        double prior = 0;
        if (cumulative)
          for (int k = 0; k < nc; k++) {
            if (k == ni) continue;
            const accum_course *co = &in->courses[k];
            double e = accum_course_eqd2(pp, co, k, v, 0, 1.0, co->fractions, accum_h(pp, k, s), ab);
            if (!rec[k].is_limit) e = accum_recover(&rec[k], e, pp->interval_months[k], ab);
            prior += e;
          }
        double r, m;
        int gone = 0;
        if (q == PQ_DOSE) {
          r = NAN;
          m = L;
          gone = !(L > 0);
        } else {
          /* limit × factor − Σ recovered prior (rert/budget.h) */
          r = Le - prior;
          gone = !(r > 0);
          if (r < 0) r = 0;
          m = accum_max_dose(r, fractions, h, ab);
        }
        if (ex && (isnan(ex[v]) || gone)) ex[v] = gone ? 1.0f : 0.0f;
        if (isnan(mx[v]) || m < mx[v]) {
          mx[v] = (float)m;
          if (!isnan(r)) rem[v] = (float)r;
        }
      }
    }
  }
  rbe_model new_rbe = pp->new_index >= 0 ? pp->eff_rbe[pp->new_index] : RBE_PHYSICAL;
  accum_prep_free(pp);
  free(pp);
  if (rc) { volume_free(remaining); volume_free(maxnew); if (exhausted) volume_free(exhausted); return rc; }
  memset(&remaining->meta, 0, sizeof remaining->meta);
  remaining->meta.quantity = QTY_REMAINING_EQD2;
  remaining->meta.alpha_beta_gy = 0;
  remaining->meta.eqdx_ref_gy = 2;
  remaining->meta.rbe_factor = 1;
  snprintf(remaining->meta.description, sizeof remaining->meta.description,
           "remaining cumulative EQD2 under %s (%d limits; NaN = no limit)", names, used);
  snprintf(remaining->meta.provenance, sizeof remaining->meta.provenance, "%s", names);
  maxnew->meta = remaining->meta;
  maxnew->meta.quantity = QTY_MAX_NEW_DOSE;
  maxnew->meta.fractions = fractions;
  maxnew->meta.rbe = new_rbe;      /* the new course's dose scale (physical or Gy(RBE)) */
  maxnew->meta.rbe_factor = 1;
  maxnew->meta.eqdx_ref_gy = 0;
  snprintf(maxnew->meta.description, sizeof maxnew->meta.description,
           "max new dose in %d fx%s under %s (NaN = no limit)", fractions, fpd > 1 ? " (multi-fraction days)" : "", names);
  if (exhausted) {
    exhausted->meta = remaining->meta;
    exhausted->meta.quantity = QTY_MASK;
    snprintf(exhausted->meta.description, sizeof exhausted->meta.description,
             "1 = hard limit reached or exceeded by the prior courses, 0 = budget left, NaN = no limit (%s)", names);
  }
  return RERT_OK;
}

int accumulate_budget_gaps(const accum_input *in, const rert_protocol *p, char (**names)[160], int *n,
                           rert_err *err) {
  *names = NULL;
  *n = 0;
  expected_struct *x = calloc((size_t)in->nstructs + 2, sizeof *x);
  if (!x) return rert_err_set(err, RERT_EINTERNAL, "budget: out of memory");
  int cap = 0;
  for (int i = 0; i < p->nconstraints; i++) {
    const protocol_constraint *c = &p->constraints[i];
    if (!c->has_limit || !protocol_tier_is_hard(c->tier) || !protocol_metric_is_pointlike(&c->metric)) continue;
    int nx = accum_expected_structures(in, c, x);
    for (int k = 0; k < nx; k++) {
      const char *why = x[k].s < 0 ? "structure missing"
                      : in->structs[x[k].s].state == ACCUM_STRUCT_EMPTY ? "structure empty"
                      : in->structs[x[k].s].state != ACCUM_STRUCT_OK ? "contours not usable" : NULL;
      if (!why) continue;
      int dup = 0;
      for (int q = 0; q < *n; q++) dup |= !strncmp((*names)[q], x[k].name, strlen(x[k].name)) && (*names)[q][strlen(x[k].name)] == ' ';
      if (dup) continue;
      if (*n == cap) {
        cap = cap ? 2 * cap : 8;
        char (*nn)[160] = realloc(*names, (size_t)cap * sizeof *nn);
        if (!nn) { free(x); return rert_err_set(err, RERT_EINTERNAL, "budget: out of memory"); }
        *names = nn;
      }
      snprintf((*names)[(*n)++], 160, "%s (%s)", x[k].name, why);
    }
  }
  free(x);
  return RERT_OK;
}
