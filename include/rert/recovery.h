/* recovery.h — tissue recovery between courses ("dose discounting") and interval-dependent
 * constraint uplifts (domain-reference §3, Addendum A).
 *
 * Two kinds of named model, both selectable per organ and listed in data/recovery_models.json
 * with their citations:
 *  - PRIOR models discount a prior course's EQD2 before it is summed:
 *      none; stepwise (S4: 0 % < 6 mo, 25 % in [6, 12) mo, 50 % ≥ 12 mo, half-open);
 *      fixed fraction (e.g. SPHIC 70 %); exponential R(t) = R_max(1 − 2^(−t/T½));
 *      Jones & Grant 2014 continuous CNS model (conservative / less conservative r(t)).
 *  - LIMIT models leave the prior dose alone and scale the cumulative limit:
 *      CARE +20 % when the interval exceeds 24 months (S0 Table 2);
 *      Ng 2021 130 % (desirable) / 150 % (acceptable) of the single-course tolerance.
 *  - The verified Nieder spinal-cord rule is a verdict on BED2 sums (recovery_nieder_check).
 * Input and output are EQD2 in Gy at the organ's α/β; intervals in months (days / 30.4375).
 */
#ifndef RERT_RECOVERY_H
#define RERT_RECOVERY_H

#include "rert/err.h"

typedef enum {
  REC_NONE = 0,
  REC_STEPWISE,       /* steps[]: R applies for interval ≥ from_months (half-open intervals) */
  REC_FIXED,          /* R = fraction_recovered regardless of interval */
  REC_EXPONENTIAL,    /* R = r_max·(1 − 2^(−t/T½)) */
  REC_JONES_GRANT,    /* BED_eff = BED_tol·[1 − (1 − BED/BED_tol)^(1/(1+r(t)))], r = a + exp(b(t_y − 1)) */
  REC_LIMIT_UPLIFT,   /* limit × factor when interval > threshold (CARE) */
  REC_LIMIT_SCALE     /* limit × factor always (Ng 130 % / 150 %) */
} recovery_kind;

#define RECOVERY_MAX_STEPS 8

typedef struct {
  char name[64];              /* e.g. "s4_stepwise", "sphic_70", "exponential" */
  recovery_kind kind;
  int nsteps;
  double step_from_months[RECOVERY_MAX_STEPS];
  double step_fraction[RECOVERY_MAX_STEPS];
  double fraction_recovered;  /* REC_FIXED */
  double halftime_years;      /* REC_EXPONENTIAL */
  double r_max;               /* REC_EXPONENTIAL */
  double jg_a, jg_b;          /* REC_JONES_GRANT r(t) = a + exp(b·(t_years − 1)) */
  double bed_tol_gy;          /* REC_JONES_GRANT single-course tolerance BED (per organ!) */
  double limit_factor;        /* REC_LIMIT_* */
  double uplift_after_months; /* REC_LIMIT_UPLIFT: uplift when interval > this (strict) */
  int verified;
  char citation[256];
} recovery_model;

/* Load a named model from data/recovery_models.json. Parameters may be overridden in the
 * name: "exponential:halftime_years=2,r_max=1", "fixed:fraction_recovered=0.5",
 * "jones_grant_2014_conservative:bed_tol_gy=100". Missing required parameters → RERT_EINPUT. */
int recovery_model_get(const char *spec, recovery_model *m, rert_err *err);
/* Names of all models in the data file (for help and `rert protocols --recovery`). */
int recovery_model_names(char names[][64], int max, int *n, rert_err *err);

/* Fraction of the prior dose recovered after interval_months (0 for limit models). */
int recovery_fraction(const recovery_model *m, double interval_months, double *fraction,
                      rert_err *err);
/* Effective (counted) prior EQD2 after recovery. For Jones–Grant the model works in BED, so the
 * organ's α/β is needed (EQD2 → BED2 → discount → EQD2). */
int recovery_apply_eqd2(const recovery_model *m, double prior_eqd2_gy, double interval_months,
                        double alpha_beta_gy, double *effective_eqd2_gy, rert_err *err);
/* Multiplier on the cumulative limit (1 for prior models). */
double recovery_limit_factor(const recovery_model *m, double interval_months);
int recovery_is_limit_model(const recovery_model *m);

/* Nieder 2005/2006 verified rule (§3.6): cumulative BED2 ≤ 135.5 Gy2, each course ≤ 98 Gy2,
 * interval ≥ 6 months → "risk appears small". Thresholds from data/recovery_models.json.
 * Writes a short reason. Optional unverified point score via nieder_score (NULL to skip). */
typedef struct {
  int risk_small;             /* all three conditions hold */
  double cumulative_bed2_gy;
  double max_course_bed2_gy;
  double min_interval_months;
  int cumulative_ok, courses_ok, interval_ok;
  double score_points;        /* unverified point score (§3.6), NaN if not computed */
  char score_group[16];       /* low / intermediate / high */
  char reason[256];
} nieder_result;

int recovery_nieder_check(const double *course_bed2_gy, int ncourses,
                          const double *intervals_months, int nintervals, int with_score,
                          nieder_result *out, rert_err *err);

#endif
