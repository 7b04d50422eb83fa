/* budget.h — the point-dose re-irradiation budget of one organ: which protocol rows apply, the
 * tightest limit, and what remains after the prior courses (domain-reference §1.2, §3, §5,
 * §10.6). One implementation shared by `rert budget` (point doses), the voxel remaining-
 * tolerance map (accumulate_budget) and the consult's regimen solver (row selection):
 *
 *   EQD2_i    = prior course i at the row's α/β (local dose per fraction, own fractions/day)
 *   eff_i     = recovery(EQD2_i, interval_i)          (prior models; limit models: eff = EQD2)
 *   limit     = row limit (BED limits converted to EQD2) × limit factor(shortest interval)
 *   remaining = limit − Σ eff_i ;  D_max(n): n·d·(1 + d(1+h)/α/β) = remaining·(1 + 2/α/β)
 */
#ifndef RERT_BUDGET_H
#define RERT_BUDGET_H

#include <cjson/cJSON.h>

#include "rert/date.h"
#include "rert/err.h"
#include "rert/protocol.h"
#include "rert/rbe.h"
#include "rert/recovery.h"

#define BUDGET_MAX_PRIORS 64
#define BUDGET_MAX_ROWS 64

/* Can row c drive a remaining-tolerance budget at the shortest prior interval min_iv (months,
 * NaN = no prior)? NULL when it can, else the reason ("no numeric limit (ALARA)", the interval
 * condition that fails, ...; written into why when it is composed). Usable rows are upper
 * limits (<, <=) with a numeric limit on a point-like metric (Dmax, Dx cc) whose interval
 * condition holds, and cumulative EQD2/BED rows; with allow_new_course, also new-course rows
 * (the voxel map caps the maximum new dose with them). The tier is not checked here. */
const char *budget_row_skip_reason(const protocol_constraint *c, double min_iv, int allow_new_course,
                                   char *why, size_t whylen);

/* Limit of row c in cumulative EQD2 at α/β ab (a BED limit converted, §1.1). */
double budget_row_limit_eqd2(const protocol_constraint *c, double ab);

typedef struct {
  char label[64];
  int eqd2_only;                 /* known only as EQD2 at the organ's α/β */
  double dose_gy;
  int fractions;
  int fpd;
  double interval_h;
  rert_modality modality;
  rbe_model rbe;
  rert_date end;
  double interval_months;        /* end of this course → start of the new one */
  /* computed by budget_point_compute */
  double bed_gy, eqd2_gy, recovered_fraction, effective_eqd2_gy;
} budget_prior;

typedef struct {
  double alpha_beta_gy;
  recovery_model rec;
  double sum_raw, sum_eff, min_iv, factor, limit, limit_eff, remaining;
  int npriors;
  budget_prior pc[BUDGET_MAX_PRIORS];
} budget_calc;

/* The budget of n prior courses against a cumulative EQD2 limit at α/β ab with recovery rec;
 * repair_halftime_h is used for priors with more than one fraction a day (NaN = none given:
 * an error for such a course). */
int budget_point_compute(const budget_prior *priors, int n, double ab, double repair_halftime_h,
                         const recovery_model *rec, double limit_eqd2, budget_calc *b, rert_err *err);

typedef struct {
  const protocol_constraint *c;  /* NULL: an explicit user limit */
  budget_calc calc;
  char why[128];                 /* interval condition text */
} budget_row;

typedef struct {
  int nrows;
  budget_row rows[BUDGET_MAX_ROWS];
  int governing;                 /* index into rows */
} budget_result;

/* Every usable row of protocol p for `organ` (TG-263, laterality matched), each computed with
 * the α/β the row states (else organ_ab) and the recovery it assumes (else case_rec); rows not
 * usable are appended to `skipped` ({"id", "reason"}) when it is not NULL. The governing row
 * is the tightest hard row (smallest remaining); desirable rows govern only when there is no
 * hard row; informational rows never. RERT_EINPUT when no row is usable. */
int budget_point_protocol(const rert_protocol *p, const char *organ, const budget_prior *priors,
                          int n, double organ_ab, double repair_halftime_h,
                          const recovery_model *case_rec, budget_result *out, cJSON *skipped,
                          rert_err *err);

/* Index of the governing row among rows[0..n) (same rule), −1 when none may govern. */
int budget_governing_row(const budget_row *rows, int n);

#endif
