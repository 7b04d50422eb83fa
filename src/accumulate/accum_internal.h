/* accum_internal.h — shared preparation of an accumulation input (per-course repair factor,
 * RBE conversion table, intervals, structure α/β and recovery models) for accumulate.c,
 * evaluate.c and budget.c. Not public API. */
#ifndef RERT_ACCUM_INTERNAL_H
#define RERT_ACCUM_INTERNAL_H

#include <math.h>

#include "rert/accumulate.h"
#include "rert/recovery.h"

#define ACCUM_CONV_TAB 512

typedef struct {
  int new_index;                         /* −1 when no course is new */
  int nstructs;
  /* Thames h_m per (course, structure): accum_h(pp, c, s); s = nstructs: outside every structure */
  double *h;
  double *struct_t12;                    /* [nstructs] repair T½ from data/tissues.json, NaN if none */
  rbe_model eff_rbe[ACCUM_MAX_COURSES];  /* after explicit conversion */
  int has_conv[ACCUM_MAX_COURSES];
  /* ratio converted/original dose per fraction on [conv_lo, conv_hi], clamped outside */
  float conv_ratio[ACCUM_MAX_COURSES][ACCUM_CONV_TAB];
  double conv_lo[ACCUM_MAX_COURSES], conv_hi[ACCUM_MAX_COURSES];
  double interval_months[ACCUM_MAX_COURSES];
  double *struct_ab;                     /* [nstructs] */
  double target_ab, unlisted_ab;
  double fallback_t12;                   /* longest repair T½ in data/tissues.json (conservative) */
  size_t nvox;
  double voxel_cc;
} accum_prep;

/* Fills pp (its arrays are allocated: accum_prep_free). */
int accum_prepare(const accum_input *in, accum_prep *pp, rert_err *err);
void accum_prep_free(accum_prep *pp);
static inline double accum_h(const accum_prep *pp, int c, int s) {
  return pp->h[(size_t)c * (pp->nstructs + 1) + s];
}

/* The structure names a constraint covers (evaluate.c): every matching structure, plus the
 * organ itself when none matches and each missing side of a paired organ (s = −1 = missing);
 * sorted by name. x needs room for nstructs + 2 entries. */
typedef struct {
  char name[64];
  int s;
} expected_struct;
int accum_expected_structures(const accum_input *in, const protocol_constraint *c, expected_struct *x);

/* Evaluate np protocols sharing one DVH cache (evaluate.c). scale_fx = NULL or {new-course
 * scale, fractions, fractions/day, interfraction interval h} (solver); hard_only skips
 * desirable and informational constraints and stops at the first hard failure (the solver
 * needs only whether one exists, and which comes first). */
int accum_evaluate_core(const accum_input *in, const rert_protocol *const *ps, int np,
                        const double *scale_fx, int hard_only, accum_evaluation *evs,
                        rert_err *err);

/* Repair half-time for structure s (or s = nstructs: unlisted) under a course that states
 * course_t12 (≤ 0 / NaN = not stated): organ value, else the course's, else the fallback. */
static inline double accum_t12(const accum_prep *pp, int s, int nstructs, double course_t12) {
  if (s < nstructs && pp->struct_t12[s] > 0) return pp->struct_t12[s];
  if (course_t12 > 0) return course_t12;
  return pp->fallback_t12;
}

/* Dose D given in n fractions of course c after explicit RBE conversion (per fraction, then
 * × n). */
static inline double accum_course_dose_n(const accum_prep *pp, int c, double D, double n) {
  if (!pp->has_conv[c] || !(D > 0)) return D;
  double d = D / n;
  double lo = pp->conv_lo[c], hi = pp->conv_hi[c];
  double t = (d - lo) / (hi - lo) * (ACCUM_CONV_TAB - 1);
  if (t < 0) t = 0;
  if (t > ACCUM_CONV_TAB - 1) t = ACCUM_CONV_TAB - 1;
  int i = (int)t;
  if (i >= ACCUM_CONV_TAB - 1) i = ACCUM_CONV_TAB - 2;
  double f = t - i;
  return D * ((1 - f) * pp->conv_ratio[c][i] + f * pp->conv_ratio[c][i + 1]);
}

static inline double accum_course_dose(const accum_prep *pp, const accum_course *co, int c,
                                       double D) {
  return accum_course_dose_n(pp, c, D, co->fractions);
}

/* EQD2 of total dose D in n fractions with Thames factor h (§1.1, §1.4):
 * BED = D(1 + (D/n)(1 + h)/(α/β)), EQD2 = BED / (1 + 2/(α/β)). */
static inline double accum_eqd2(double D, double n, double h, double ab) {
  return D * (1.0 + (D / n) * (1.0 + h) / ab) / (1.0 + 2.0 / ab);
}

/* The course uses its fraction groups at this fraction count: n is its own total (a regimen with
 * another count replaces the fractionation of the summed dose). */
static inline int accum_uses_parts(const accum_course *co, double n) {
  return co->nparts > 0 && n == (double)co->fractions;
}

/* EQD2 of course c at voxel v (α/β ab, Thames h, dose × scale; worst: upper-bound maps) when its
 * fractionation is n fractions: with fraction groups, Σ over groups of each group's EQD2 with its
 * own fraction count (§1.1); otherwise the course dose in n fractions. */
static inline double accum_course_eqd2(const accum_prep *pp, const accum_course *co, int c,
                                       size_t v, int worst, double scale, double n, double h,
                                       double ab) {
  if (accum_uses_parts(co, n)) {
    double s = 0;
    for (int p = 0; p < co->nparts; p++) {
      const rert_volume *pv = worst && co->part_upper[p] ? co->part_upper[p] : co->part_dose[p];
      double np = co->part_fractions[p];
      double D = accum_course_dose_n(pp, c, pv->data[v], np) * scale;
      if (D > 0) s += accum_eqd2(D, np, h, ab);
    }
    return s;
  }
  const rert_volume *dv = worst && co->dose_upper ? co->dose_upper : co->dose;
  double D = accum_course_dose_n(pp, c, dv->data[v], co->fractions) * scale;
  return D > 0 ? accum_eqd2(D, n, h, ab) : 0.0;
}

/* Largest dose per fraction of course c at voxel v (over its groups), after RBE conversion. */
static inline double accum_course_dpf(const accum_prep *pp, const accum_course *co, int c,
                                      size_t v) {
  if (co->nparts > 0) {
    double m = 0;
    for (int p = 0; p < co->nparts; p++) {
      double np = co->part_fractions[p];
      double d = accum_course_dose_n(pp, c, co->part_dose[p]->data[v], np) / np;
      if (d > m) m = d;
    }
    return m;
  }
  return accum_course_dose_n(pp, c, co->dose->data[v], co->fractions) / co->fractions;
}

/* Maximum total dose in n fractions with Thames factor h whose EQD2 is E (§1.2 generalised):
 * (1+h)/ab · n d² + n d − B = 0, B = E(1 + 2/ab). */
static inline double accum_max_dose(double E, double n, double h, double ab) {
  if (!(E > 0)) return 0;
  double B = E * (1.0 + 2.0 / ab), a = (1.0 + h) / ab;
  double d = (-1.0 + sqrt(1.0 + 4.0 * a * B / n)) / (2.0 * a);
  return n * d;
}

/* Prior-course recovery as applied per voxel: linear factor (1 − R) unless the model is
 * dose-dependent (Jones–Grant), in which case recovery_apply_eqd2 is called. */
typedef struct {
  recovery_model m;
  int nonlinear;
  int is_limit;
  double keep;          /* 1 − R for linear models */
  double limit_factor;  /* for limit models at this interval, else 1 */
} accum_recovery;

int accum_recovery_setup(const char *spec, double interval_months, accum_recovery *r,
                         rert_err *err);
static inline double accum_recover(const accum_recovery *r, double eqd2, double t, double ab) {
  if (!r->nonlinear) return eqd2 * r->keep;
  double out = eqd2;
  rert_err e;
  if (recovery_apply_eqd2(&r->m, eqd2, t, ab, &out, &e)) return eqd2; /* validated at setup */
  return out;
}

#endif
