/* budget_point.c — the point-dose budget of one organ (rert/budget.h): row selection, the
 * tightest limit and limit × factor − Σ recovered prior. `rert budget` prints it; the voxel
 * map (budget.c) uses the same row selection and limit conversion per voxel.
 * References: domain-reference §1.1, §1.2, §1.4, §3, §5, §10.6. */
#include "rert/budget.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/radbio.h"

const char *budget_row_skip_reason(const protocol_constraint *c, double min_iv, int allow_new_course,
                                   char *why, size_t whylen) {
  if (why && whylen) why[0] = '\0';
  if (!allow_new_course && c->scope != SCOPE_CUMULATIVE)
    return "new-course-only limit (needs the planned dose, not a budget)";
  if (!c->has_limit) return "no numeric limit (ALARA)";
  if (!allow_new_course && c->quantity == PQ_DOSE) return "limit on delivered dose, not EQD2";
  if (!protocol_metric_is_pointlike(&c->metric)) return "volume metric cannot be evaluated from a point dose";
  if (c->cmp != CMP_LT && c->cmp != CMP_LE) return "lower limit (a minimum dose) is no budget";
  if (c->interval.has_min || c->interval.has_max) {
    if (isnan(min_iv)) return "interval-dependent row but there is no prior course";
    char tmp[128];
    if (!protocol_interval_applies(&c->interval, min_iv, tmp, sizeof tmp)) {
      if (why && whylen) {
        snprintf(why, whylen, "%s", tmp);
        return why;
      }
      return "interval condition does not hold";
    }
    if (why && whylen) snprintf(why, whylen, "%s", tmp);
  }
  return NULL;
}

double budget_row_limit_eqd2(const protocol_constraint *c, double ab) {
  return c->quantity == PQ_BED ? radbio_bed_to_eqdx(c->limit, 2.0, ab) : c->limit;
}

int budget_point_compute(const budget_prior *in, int n, double ab, double t12,
                         const recovery_model *rec, double limit, budget_calc *b, rert_err *err) {
  memset(b, 0, sizeof *b);
  if (n > BUDGET_MAX_PRIORS) return rert_err_set(err, RERT_EINPUT, "at most %d prior courses", BUDGET_MAX_PRIORS);
  b->alpha_beta_gy = ab;
  b->rec = *rec;
  b->min_iv = INFINITY;
  b->limit = limit;
  b->npriors = n;
  int rc;
  for (int i = 0; i < n; i++) {
    budget_prior *p = &b->pc[i];
    *p = in[i];
    if (p->interval_months < b->min_iv) b->min_iv = p->interval_months;
    if (!p->eqd2_only) {
      radbio_model m = radbio_model_lq(ab);
      m.fractions_per_day = p->fpd;
      if (p->fpd > 1) {
        m.interfraction_interval_h = p->interval_h;
        m.repair_halftime_h = t12;
      }
      if ((rc = radbio_bed_gy(p->dose_gy, p->fractions, &m, &p->bed_gy, err)))
        return rert_err_prefix(err, rc, "%s", p->label);
      p->eqd2_gy = radbio_bed_to_eqdx(p->bed_gy, 2.0, ab);
    } else {
      p->bed_gy = radbio_eqdx_to_bed(p->eqd2_gy, 2.0, ab);
    }
    if ((rc = recovery_apply_eqd2(rec, p->eqd2_gy, p->interval_months, ab, &p->effective_eqd2_gy, err)))
      return rc;
    p->recovered_fraction = p->eqd2_gy > 0 ? 1.0 - p->effective_eqd2_gy / p->eqd2_gy : 0;
    b->sum_raw += p->eqd2_gy;
    b->sum_eff += p->effective_eqd2_gy;
  }
  b->factor = recovery_limit_factor(rec, b->min_iv);
  b->limit_eff = limit * b->factor;
  b->remaining = b->limit_eff - b->sum_eff;
  return RERT_OK;
}

/* hard tiers (or an explicit limit) 2, desirable 1, informational 0 (never governs) */
static int row_rank(const budget_row *r) {
  if (!r->c || protocol_tier_is_hard(r->c->tier)) return 2;
  return r->c->tier == TIER_DESIRABLE ? 1 : 0;
}

int budget_governing_row(const budget_row *rows, int n) {
  int g = -1;
  for (int r = 0; r < n; r++) {
    int rank = row_rank(&rows[r]);
    if (rank == 0) continue;
    if (g < 0 || rank > row_rank(&rows[g]) ||
        (rank == row_rank(&rows[g]) && rows[r].calc.remaining < rows[g].calc.remaining))
      g = r;
  }
  return g;
}

int budget_point_protocol(const rert_protocol *p, const char *organ, const budget_prior *priors,
                          int n, double organ_ab, double t12, const recovery_model *case_rec,
                          budget_result *out, cJSON *skipped, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->governing = -1;
  double min_iv = INFINITY;
  for (int i = 0; i < n; i++)
    if (priors[i].interval_months < min_iv) min_iv = priors[i].interval_months;
  if (n == 0) min_iv = NAN;
  for (int i = 0; i < p->nconstraints; i++) {
    const protocol_constraint *c = &p->constraints[i];
    if (!protocol_organ_matches(c->organ, organ)) continue;
    char why[128];
    const char *skip = budget_row_skip_reason(c, min_iv, 0, why, sizeof why);
    if (skip) {
      if (skipped) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", c->id);
        cJSON_AddStringToObject(o, "reason", skip);
        cJSON_AddItemToArray(skipped, o);
      }
      continue;
    }
    if (out->nrows >= BUDGET_MAX_ROWS)
      return rert_err_set(err, RERT_EINPUT, "%s: too many constraints for %s", p->name, organ);
    budget_row *r = &out->rows[out->nrows++];
    r->c = c;
    snprintf(r->why, sizeof r->why, "%s", why);
    /* the limit is defined at the row's α/β (§2) and with the recovery it assumes */
    double ab = isfinite(c->alpha_beta_gy) ? c->alpha_beta_gy : organ_ab;
    recovery_model rec = *case_rec;
    int rc;
    if (c->recovery[0] && strcmp(c->recovery, "case") != 0 &&
        (rc = recovery_model_get(c->recovery, &rec, err)))
      return rert_err_prefix(err, rc, "%s:%s", p->name, c->id);
    if ((rc = budget_point_compute(priors, n, ab, t12, &rec, budget_row_limit_eqd2(c, ab), &r->calc, err)))
      return rc;
  }
  if (out->nrows == 0)
    return rert_err_set(err, RERT_EINPUT,
                        "protocol %s has no cumulative point-dose EQD2 limit for %s at an interval of %.1f months",
                        p->name, organ, min_iv);
  out->governing = budget_governing_row(out->rows, out->nrows);
  if (out->governing < 0) out->governing = 0;
  return RERT_OK;
}
