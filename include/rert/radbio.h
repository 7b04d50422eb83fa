/* radbio.h — linear-quadratic radiobiology: BED, EQD2/EQDx and their inverse solves.
 *
 * Implements domain-reference §1: LQ BED/EQDx for uniform and non-uniform fractions (§1.1),
 * closed-form inverse problems (§1.2), overall-time repopulation with explicit T_k and D_prolif
 * (§1.3), Thames incomplete repair for m fractions/day (§1.4) and LQ-L above an explicit
 * transition dose d_T (§1.5). Nothing has a hidden default: a model with a time term or LQ-L
 * must say so in radbio_model, and named parameter sets come from data/radbio.json.
 */
#ifndef RERT_RADBIO_H
#define RERT_RADBIO_H

#include "rert/err.h"

typedef struct {
  double alpha_beta_gy;          /* required, > 0 */
  /* incomplete repair (§1.4): m fractions per day, Δt between them, mono-exponential T½ */
  int fractions_per_day;         /* 0 or 1 = one fraction a day (h = 0) */
  double interfraction_interval_h;
  double repair_halftime_h;
  /* repopulation (§1.3), tumour only: BED −= D_prolif · max(0, T − T_k) */
  int time_correction;           /* 0 = none */
  double tk_days;
  double dprolif_gy_per_day;
  double overall_time_days;      /* T; if < 0 it is derived from n (radbio_overall_time_days) */
  int fractions_per_week;        /* used only when T is derived; 5 if 0 */
  /* LQ-L (§1.5): linear above d_T */
  int lql;                       /* 0 = pure LQ */
  double lql_dt_gy;
} radbio_model;

/* A model with only α/β set (pure LQ, daily fractions, no time term). */
radbio_model radbio_model_lq(double alpha_beta_gy);
/* Validate parameters; messages name the field (alpha_beta_gy must be > 0, …). */
int radbio_model_check(const radbio_model *m, rert_err *err);

/* Thames h_m(φ) with φ = exp(−ln2·Δt/T½); 0 for m ≤ 1. */
double radbio_thames_h(int fractions_per_day, double interval_h, double repair_halftime_h);
/* Calendar days from first to last fraction for n fractions at m/day, `per_week` treatment
 * days a week starting on a Monday (35 fx, 1/day, 5/week → 46 d; domain-reference §0.2). */
double radbio_overall_time_days(int n, int fractions_per_day, int fractions_per_week);

/* BED of one fraction of size d (LQ or LQ-L, including the h factor), no time term. */
double radbio_bed_fraction(double d_gy, const radbio_model *m);
/* BED of n equal fractions totalling D, with the time term if enabled. */
int radbio_bed_gy(double total_dose_gy, int fractions, const radbio_model *m, double *bed_gy,
                  rert_err *err);
/* EQDx = BED / (1 + x/(α/β)); x = 2 for EQD2. */
int radbio_eqdx_gy(double total_dose_gy, int fractions, double x_gy, const radbio_model *m,
                   double *eqdx_gy, rert_err *err);
int radbio_eqd2_gy(double total_dose_gy, int fractions, const radbio_model *m, double *eqd2_gy,
                   rert_err *err);
/* Non-uniform fractions: BED = Σ BED_f(d_i) (− time term). */
int radbio_bed_nonuniform_gy(const double *d_gy, int n, const radbio_model *m, double *bed_gy,
                             rert_err *err);
double radbio_bed_to_eqdx(double bed_gy, double x_gy, double alpha_beta_gy);
double radbio_eqdx_to_bed(double eqdx_gy, double x_gy, double alpha_beta_gy);

/* Inverse solves (§1.2), generalised to the h factor, LQ-L and the time term:
 * dose per fraction giving BED `bed_gy` in n fractions; */
int radbio_solve_d_for_bed(double bed_gy, int fractions, const radbio_model *m, double *d_gy,
                           rert_err *err);
/* real-valued n for BED at fixed d (caller rounds up: radbio_solve_n_for_bed_int); */
int radbio_solve_n_for_bed(double bed_gy, double d_gy, const radbio_model *m, double *n_real,
                           rert_err *err);
/* smallest integer n with BED(n·d) ≥ target, and that BED. */
int radbio_solve_n_for_bed_int(double bed_gy, double d_gy, const radbio_model *m, int *n,
                               double *bed_at_n_gy, rert_err *err);
/* Maximum new physical dose in n fractions whose EQD2 equals eqd2_remaining_gy (≤ 0 → 0). */
int radbio_max_new_dose_gy(double eqd2_remaining_gy, int fractions, const radbio_model *m,
                           double *d_gy, double *total_gy, rert_err *err);

/* Voxel-wise EQD2 for a dose delivered in n fractions using the LOCAL dose per fraction D/n
 * (pure LQ, daily) — the hot-loop form used by accumulation (§1.1). */
static inline double radbio_eqd2_voxel(double dose_gy, double fractions, double alpha_beta_gy) {
  return dose_gy * (dose_gy / fractions + alpha_beta_gy) / (2.0 + alpha_beta_gy);
}

/* Data-driven thresholds (data/radbio.json): dose per fraction above which LQ values are
 * flagged model-dependent (§1.5, ~6 Gy). */
int radbio_model_dependent_threshold_gy(double *d_gy, rert_err *err);
/* Named repopulation parameter sets from data/radbio.json (e.g. "pedicini2014"). */
int radbio_time_params_by_name(const char *name, double *alpha_beta_gy, double *tk_days,
                               double *dprolif_gy_per_day, const char **citation, rert_err *err);

#endif
