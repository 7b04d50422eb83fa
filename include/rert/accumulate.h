/* accumulate.h — cumulative biologically weighted dose over any number of courses, constraint
 * verdicts, remaining-tolerance budget and safe-dose (regimen) search.
 *
 * Implements domain-reference §1.1 (voxel EQD2 with the LOCAL dose per fraction D_v/n), §1.4
 * (Thames incomplete repair for BID schedules), §2 (α/β per organ), §3 (recovery of each prior
 * course before summing: EQD2_cum = Σ (1 − R_c(t_c))·EQD2_c + EQD2_new), §3.10 (sum on the
 * reference anatomy), §4 (RBE models never mixed without conversion) and §5 (limits).
 *
 * Everything here works on in-memory rert_volumes already on the reference grid; mapping a
 * course onto that grid (register) and reading/writing DICOM (io) are done by the caller
 * (`rert accumulate` does both). Structures are fractional masks on the same grid.
 *
 * α/β overlap rule (an output, reported in accum_result.rule_text):
 *   AB_RULE_LOWEST_OAR (default): a voxel covered by one or more OARs (mask ≥ mask_threshold)
 *   takes the lowest OAR α/β; a voxel covered only by targets takes the target α/β; any other
 *   voxel takes the "unlisted" default of data/tissues.json. Among structures with EQUAL α/β
 *   the conservative one governs: the least prior-dose recovery (largest kept fraction), then
 *   the longest repair half-time (largest Thames factor), then the name — so no result depends
 *   on the order of the ROIs in the RTSTRUCT (accum_result.recovery_ties counts such voxels).
 *   AB_RULE_LIST_ORDER: the first listed structure covering the voxel wins (OAR or target);
 *   "listed" = accum_structure.list_order (the RTSTRUCT order for case files).
 * The organ that supplied the α/β also supplies the recovery model for that voxel.
 *
 * Structures: any number (accum_input_add_structure); one whose ROI is empty or could not be
 * rasterised keeps state != ACCUM_STRUCT_OK, takes no part in the maps, and every constraint row
 * on it is reported NOT EVALUATED with that reason (never dropped).
 */
#ifndef RERT_ACCUMULATE_H
#define RERT_ACCUMULATE_H

#include <cjson/cJSON.h>

#include "rert/date.h"
#include "rert/err.h"
#include "rert/geom.h"
#include "rert/protocol.h"
#include "rert/rbe.h"
#include "rert/rtdata.h"
#include "rert/volume.h"

#define ACCUM_MAX_COURSES 16
#define ACCUM_MAX_PARTS 8            /* fraction groups per course (rert/gate.h GATE_MAX_PARTS) */

typedef struct {
  char id[64];                 /* "course1", used in provenance */
  const rert_volume *dose;     /* on the reference grid: physical Gy or Gy(RBE) */
  const rert_volume *dose_lower, *dose_upper; /* optional bound maps (uncertainty radius) */
  rert_modality modality;
  rbe_model rbe;               /* model of `dose` (PHYSICAL for photons) */
  int convert_to_set;          /* explicit RBE conversion (LEM_I <-> MKM) before summing */
  rbe_model convert_to;
  int fractions;               /* n, from RTPLAN or the case file (never inferred from d) */
  int fractions_per_day;       /* > 1: Thames incomplete repair applies */
  double interfraction_interval_h;
  double repair_halftime_h;    /* T½ for h when fractions_per_day > 1 and the organ has none in
                                  data/tissues.json (organs with their own T½ use it) */
  rert_date start, end;        /* first and last fraction */
  int is_new;                  /* the planned course (exactly one, or none for a prior-only sum) */
  /* Fraction groups (sequential boosts, several plans; rert/gate.h parts). nparts > 0: the
   * course's EQD2 is Σ_p EQD2(part_dose[p] in part_fractions[p]) — each group keeps its own dose
   * per fraction (domain-reference §1.1, non-uniform fractionation) — while `dose` is their
   * physical sum (new-course dose limits, the solver's scale) and `fractions` the course total.
   * A regimen that replaces the course's fractionation (solver: another fraction count) applies
   * to `dose`. With bound maps (dose_upper) every part needs its part_upper. nparts = 0: `dose`
   * in `fractions`. A part may also carry fewer fractions than the course (a stated upper bound
   * for a plan-summed dose of a several-group plan, rert/gate.h). */
  int nparts;
  const rert_volume *part_dose[ACCUM_MAX_PARTS];
  const rert_volume *part_upper[ACCUM_MAX_PARTS];
  const rert_volume *part_lower[ACCUM_MAX_PARTS]; /* only for accum_input_select_bound */
  int part_fractions[ACCUM_MAX_PARTS];
} accum_course;

/* Why a structure cannot be evaluated (its rows are NOT EVALUATED with this reason). */
typedef enum {
  ACCUM_STRUCT_OK = 0,
  ACCUM_STRUCT_EMPTY,       /* the ROI has no contours (empty ContourSequence) */
  ACCUM_STRUCT_DEGENERATE   /* its contours could not be rasterised (geom: open, < 3 points, ...) */
} accum_struct_state;

typedef struct {
  char name[64];               /* TG-263 */
  const rert_volume *mask;     /* fractional occupancy 0..1 on the reference grid (NULL unless OK) */
  const rert_roi *roi;         /* its RTSTRUCT contours, or NULL (booleans, margins, point cases):
                                  with contours, constraints are evaluated by the DVH engine of
                                  rert/dvh.h (the same numbers as `rert dvh`); without, on the
                                  mask's voxel samples */
  int is_target;
  double alpha_beta_gy;        /* NaN = look up data/tissues.json by name (target: "target" default) */
  /* recovery model spec per prior course index (recovery_model_get syntax); "" = default_recovery */
  char recovery[ACCUM_MAX_COURSES][96];
  accum_struct_state state;    /* != OK: no mask; constraint rows are NOT EVALUATED (state_detail) */
  char state_detail[256];
  char local_name[65];         /* ROI name in the structure set ("" for in-memory structures) */
  char override_note[256];     /* case-file override applied to α/β / recovery, "" none */
  int list_order;              /* priority under AB_RULE_LIST_ORDER (ties: index order) */
} accum_structure;

typedef enum { AB_RULE_LOWEST_OAR = 0, AB_RULE_LIST_ORDER } accum_ab_rule;

typedef struct {
  accum_course courses[ACCUM_MAX_COURSES];
  int ncourses;
  accum_structure *structs;    /* owned: accum_input_add_structure, accum_input_free */
  int nstructs, cap_structs;
  accum_ab_rule rule;
  double mask_threshold;       /* voxel belongs to a structure when mask ≥ this (default 0.5) */
  char default_recovery[96];   /* for voxels outside every structure and structures without one */
  /* Structures partly outside the dose grid (their DVH is incomplete): 0 (default) evaluates the
   * part inside, i.e. takes the dose outside the RTDOSE grid as 0 as planning systems do, and marks
   * the row incomplete with the outside volume; 1 (strict) makes every such row INCOMPLETE unless
   * the inside part already proves a failure. */
  int outside_grid_strict;
  int has_reference_date;      /* start of the new course when no course is_new */
  rert_date reference_date;
  /* Image slices the structures were drawn on (the reference course's CT, geom_slices_from_image):
   * each contour's slab is its slice (rert/geom.h). NULL: inferred from the structures' contours. */
  const rert_slice_geom *slices;
} accum_input;

void accum_input_init(accum_input *in);
/* Append a structure (zeroed, alpha_beta_gy NaN, list_order = its index); *out points into
 * in->structs, valid until the next call. */
int accum_input_add_structure(accum_input *in, accum_structure **out, rert_err *err);
/* Frees the structure array (not the volumes it points to). */
void accum_input_free(accum_input *in);

typedef struct {
  int ncourses;
  rert_volume course_eqd2[ACCUM_MAX_COURSES]; /* per course, unrecovered, per-voxel α/β */
  rert_volume recovered_prior;                /* Σ over prior courses of recovered EQD2 */
  rert_volume cumulative;                     /* recovered_prior + new-course EQD2 */
  rert_volume alpha_beta;                     /* α/β map (Gy) */
  int *governing;                             /* per voxel: structure index that set α/β, −1 none */
  double interval_months[ACCUM_MAX_COURSES];  /* prior course → new course (NaN for the new one) */
  int nstructs;
  double *recovered_fraction;                 /* [c·(nstructs+1) + s], s = nstructs: default;
                                                 use accum_result_recovered() */
  double *struct_alpha_beta_gy;               /* [nstructs] */
  long recovery_ties;                         /* voxels where equal-α/β organs with different
                                                 recovery met: the smaller recovery was taken */
  double unlisted_alpha_beta_gy, target_alpha_beta_gy;
  long high_dose_per_fraction_voxels;         /* d > model-dependence threshold (§1.5) */
  long rbe_conversion_clamped_voxels;
  char rule_text[512];
} accum_result;

/* Validate the input (grids, fractions, dates, RBE summability) and compute every map.
 * Mixed RBE models without an explicit conversion → RERT_EINPUT naming both courses. */
int accumulate_run(const accum_input *in, accum_result *out, rert_err *err);
void accum_result_free(accum_result *r);
/* Fraction of course c's EQD2 recovered in structure s (s = nstructs: voxels outside all). */
static inline double accum_result_recovered(const accum_result *r, int c, int s) {
  return r->recovered_fraction ? r->recovered_fraction[(size_t)c * (r->nstructs + 1) + s] : 0.0;
}

/* Interval in months from the end of course c to the start of the new course. */
int accumulate_interval_months(const accum_input *in, int c, double *months, rert_err *err);
/* The smallest interval over prior courses (the most recent prior), NaN if none. */
double accumulate_min_interval_months(const accum_input *in);

/* ---- evaluation against a protocol ---- */
/* VERDICT_INCOMPLETE: part of the structure lies outside the dose grid and the value on the
 * inside part does not prove a failure (it is never reported as a pass). */
typedef enum {
  VERDICT_PASS = 0, VERDICT_FAIL, VERDICT_NOT_APPLICABLE, VERDICT_NOT_EVALUATED, VERDICT_INCOMPLETE
} accum_verdict;

/* Accounting (docs/accumulate.md "Every constraint accounted for"): every constraint of every
 * selected protocol yields at least one row, and each row has exactly one status. */
typedef enum {
  ROW_EVALUATED = 0,    /* value compared with the limit (verdict PASS/FAIL; ALARA rows: no limit) */
  ROW_PARTLY_OUTSIDE,   /* evaluated on the part inside the dose grid (outside_pct says how much) */
  ROW_NOT_APPLICABLE,   /* its condition does not hold (interval row of the other branch) */
  ROW_NOT_EVALUATED     /* no value: see `reason` */
} accum_row_status;

typedef enum {
  NE_NONE = 0,
  NE_STRUCTURE_MISSING,     /* no ROI resolves to the organ (or to one side of a paired organ) */
  NE_STRUCTURE_EMPTY,       /* the ROI has no contours */
  NE_STRUCTURE_DEGENERATE,  /* its contours could not be used */
  NE_OUTSIDE_DOSE_GRID,     /* wholly outside the dose grid */
  NE_PARTLY_OUTSIDE_STRICT, /* partly outside, --outside-grid strict, no proven failure */
  NE_NO_PLANNED_COURSE,     /* new-course limit without a planned course */
  NE_RBE_MODEL,             /* Gy(RBE) limit in another RBE model than the course dose */
  NE_OTHER
} accum_ne_reason;

typedef struct {
  const protocol_constraint *c;
  char structure[64];          /* the structure evaluated (one row per matching side) */
  char roi_name[65];           /* its ROI in the structure set ("" none / in-memory) */
  accum_row_status status;
  accum_ne_reason reason;      /* for ROW_NOT_EVALUATED (and strict partly-outside rows) */
  accum_verdict verdict;
  double value;                /* nominal */
  double limit;                /* after any limit-model factor */
  double margin;               /* limit − value for upper limits, value − limit for lower (Gy, %, cc) */
  double margin_pct;           /* margin / limit × 100 */
  int has_worst;
  double worst_value;          /* on the upper-bound (worst-case) doses */
  accum_verdict worst_verdict;
  double alpha_beta_gy;
  char alpha_beta_why[96];
  char recovery_used[160];
  char contributions[256];     /* max per-course contribution inside the structure */
  char explanation[1024];
  int from_contours;           /* 1: DVH engine on the RTSTRUCT contours; 0: mask voxel samples */
  int complete;                /* 0 when part of the structure is outside the dose grid */
  double outside_pct;          /* % of the structure volume outside the dose grid */
  double structure_cc;         /* structure volume (contours: analytic, incl. any outside part) */
  char method_note[160];       /* e.g. D0.03cc of a structure smaller than 0.03 cc → Dmax */
} accum_eval_row;

typedef struct {
  char protocol[64];
  int nrows;
  accum_eval_row *rows;
  int hard_failures, desirable_failures, not_evaluated;
  int incomplete;              /* rows with verdict (or worst-case verdict) incomplete */
  int hard_incomplete;         /* of which mandatory/acceptable */
  int partial_rows;            /* rows evaluated on a structure partly outside the dose grid */
  int hard_not_evaluated;      /* mandatory/acceptable rows without a verdict (not evaluated or
                                  incomplete, and not failed): each makes the verdict INCOMPLETE */
  double interval_months;
} accum_evaluation;

/* Evaluate every constraint of `p` (each matching structure separately). The maps are
 * recomputed per constraint inside the structure with the α/β and recovery the constraint
 * assumes. Structures with contours (roi != NULL) are evaluated by dvh_compute_rois on that map
 * (trilinear EQD2, docs/dvh.md definitions: the numbers of `rert dvh`); others on the mask's
 * voxel samples (protocol_metric_eval). A structure partly outside the dose grid gives
 * VERDICT_INCOMPLETE unless the inside part already proves a failure (docs/accumulate.md).
 * Returns RERT_OK even when constraints fail (see hard_failures). */
int accumulate_evaluate(const accum_input *in, const rert_protocol *p, accum_evaluation *ev,
                        rert_err *err);
/* Same, with the new course's dose scaled by `new_scale` and the new course's fractions
 * replaced by `new_fractions` (> 0) — used by the regimen solver. */
int accumulate_evaluate_scaled(const accum_input *in, const rert_protocol *p, double new_scale,
                               int new_fractions, int new_fractions_per_day, double new_interval_h,
                               accum_evaluation *ev, rert_err *err);
/* Several protocols at once: evs[i] for ps[i]. The DVH of each distinct map (structure, α/β,
 * recovery, scope, quantity, nominal/worst) is computed once and shared by every constraint and
 * protocol that needs it — use this for many protocols (rert evaluate, consult). */
int accumulate_evaluate_protocols(const accum_input *in, const rert_protocol *const *ps, int np,
                                  accum_evaluation *evs, rert_err *err);
void accum_evaluation_free(accum_evaluation *ev);
const char *accum_verdict_name(accum_verdict v);
const char *accum_row_status_name(accum_row_status s); /* "evaluated", "partly_outside", ... */
const char *accum_ne_reason_name(accum_ne_reason r);   /* "structure_missing", ... ("" for none) */

/* The overall verdict of one or more evaluations (docs/accumulate.md): FAIL when any
 * mandatory/acceptable row fails (nominal or worst case); else INCOMPLETE when any of them was
 * not evaluated or is incomplete; else PASS. Desirable and informational rows never change it.
 * The exit status of a command reporting it: accumulate_verdict_status(). */
typedef struct {
  accum_verdict verdict;       /* VERDICT_PASS, VERDICT_FAIL or VERDICT_INCOMPLETE */
  int rows, hard_failures, hard_not_evaluated, not_applicable, partial_rows;
} accum_overall;
void accumulate_overall(const accum_evaluation *evs, int n, accum_overall *o);
/* "PASS", "FAIL", "INCOMPLETE". */
const char *accumulate_overall_name(accum_verdict overall);
/* RERT_OK (PASS), RERT_EVERDICT (FAIL), RERT_EINCOMPLETE (INCOMPLETE). */
int accumulate_verdict_status(accum_verdict overall);
/* Does a row count as "mandatory, not evaluated" in the overall verdict? */
int accumulate_row_unevaluated_hard(const accum_eval_row *r);
/* Does a row count as a hard failure (nominal or worst case)? */
int accumulate_row_failed_hard(const accum_eval_row *r);

/* ---- remaining tolerance ---- */
/* Per voxel: cumulative EQD2 still allowed by the most restrictive applicable hard point-like
 * (Dmax, Dxcc) cumulative limit of the organs covering it, after recovery of the prior courses;
 * and the maximum new dose in `fractions` (closed form, §1.2, with the Thames factor when
 * fractions_per_day > 1). New-course dose limits cap the max-dose map. Voxels governed by no
 * limit are NaN in both maps (documented: the RTDOSE export writes them as 0 and says so). */
int accumulate_budget(const accum_input *in, const rert_protocol *p, int fractions,
                      int fractions_per_day, double interfraction_interval_h,
                      rert_volume *remaining_eqd2, rert_volume *max_new_dose, rert_err *err);

/* Same over every protocol of ps (the tightest row governs each voxel); `exhausted` (optional,
 * NULL = not wanted) gets 1 where a hard limit is already reached or exceeded by the prior
 * courses (remaining <= 0), 0 where a limit applies with budget left, NaN where no limit
 * applies — what the RTDOSE export cannot show (it writes 0 for both). */
int accumulate_budget_protocols(const accum_input *in, const rert_protocol *const *ps, int np,
                                int fractions, int fractions_per_day, double interfraction_interval_h,
                                rert_volume *remaining_eqd2, rert_volume *max_new_dose,
                                rert_volume *exhausted, rert_err *err);

/* Organs a hard point-like limit of `p` names that have no usable structure: the budget maps
 * carry no limit there. *names (malloc'd, "OpticNrv_R (structure missing)") for the report. */
int accumulate_budget_gaps(const accum_input *in, const rert_protocol *p, char (**names)[160], int *n,
                           rert_err *err);

/* ---- regimen solver ---- */
typedef struct {
  char name[64];
  double dose_gy;                /* nominal prescription (the regimen as usually written) */
  double dose_min_gy, dose_max_gy; /* clinical range: the solver never prescribes above dose_max_gy
                                    and calls a result below dose_min_gy infeasible */
  int fractions, fractions_per_day;
  double interfraction_interval_h;
  rert_modality modality;
  rbe_model rbe;
  char intent[16];               /* curative / palliative */
  char source[320];
  char range_source[320];        /* where dose_min_gy..dose_max_gy come from */
  int verified;
} accum_regimen;

typedef struct {
  double tumour_alpha_beta_gy;
  double tumour_repair_halftime_h; /* same-day repair of tumour cells (Thames h for BID), NaN = none */
  double curative_min_gy, curative_max_gy, palliative_min_gy, palliative_max_gy; /* BED10 */
  char source[320];
  char repair_source[320];
} accum_targets;

/* data/regimens.json (path NULL) or a user file. */
int accumulate_regimens_load(const char *path, accum_regimen **regs, int *n, accum_targets *t,
                             rert_err *err);

/* The row that limits a prescription: the hard row that fails first when the dose rises above
 * the solver's optimum (the tightest of every hard row of every protocol). */
typedef struct {
  int found;
  char protocol[64];
  char constraint_id[64];
  char structure[64];
  char metric[32];
  char comparator[4];
  double limit;                  /* after any limit-model factor */
  char unit[12];
  char tier[16];
  double value_above;            /* the row's value just above the optimum (> limit) */
  int exceeded_by_prior;         /* fails even with no new dose: prior courses alone exceed it */
  char text[320];                /* "Bone_Mandible Dmax <= 120 Gy (s4_textbook:mandible_cum_upper, acceptable)" */
} accum_limiting;

typedef enum {
  SOLVE_FULL = 0,                /* the regimen's full dose (dose_max_gy) keeps every hard row */
  SOLVE_REDUCED,                 /* feasible up to max_prescription_gy in [dose_min, dose_max) */
  SOLVE_INFEASIBLE               /* not even dose_min_gy keeps every hard row */
} accum_solve_status;

typedef struct {
  accum_solve_status status;
  double max_prescription_gy;    /* highest prescription in [0, dose_max] passing (0.01 Gy) */
  accum_limiting limiting;       /* found = 0 for SOLVE_FULL */
} accum_bound_solution;

typedef struct {
  accum_regimen reg;
  int feasible;                  /* nominal: a prescription >= dose_min_gy keeps every hard row */
  int nominal_feasible;          /* nominal: the full dose does (status SOLVE_FULL) */
  accum_solve_status status;     /* nominal doses */
  double max_prescription_gy;    /* nominal: highest feasible prescription <= dose_max_gy */
  double dose_per_fraction_gy;
  accum_limiting limiting;       /* nominal */
  int has_worst;                 /* computed on the upper-bound doses too */
  accum_bound_solution worst;    /* every course at its upper bound within the uncertainty radius */
  int hard_rows;                 /* hard rows in the constraint set (all protocols) */
  /* tumour effect at max_prescription_gy: BED at the tumour α/β with the Thames same-day
   * repair factor for > 1 fraction a day, no repopulation term */
  double tumour_thames_h;
  double tumour_bed_gy, tumour_eqd2_gy;
  char target_band[32];          /* "curative", "palliative", "between bands", "below palliative", "above curative" */
  char limiting_text[256];       /* compatibility: limiting.text or "none: full dose feasible" */
  int rank;                      /* 1 = best, after accumulate_solutions_rank */
  char statement[512];           /* "feasible up to 52.3 Gy (limited by ...)" */
} accum_solution;

/* Scale the planned course's dose (normalised so planned_prescription_gy ↦ the prescription)
 * to the highest prescription ≤ the regimen's dose_max_gy for which no hard (mandatory or
 * acceptable) row of any protocol fails, by bisection to 0.01 Gy over [0, dose_max_gy]
 * (cumulative EQD2 and every metric rise monotonically with the scale), separately on the
 * nominal doses and, when the input carries upper-bound doses, on the upper bounds. The
 * regimen's fraction count, pattern and RBE model replace the planned course's. The limiting
 * row is the hard row that fails just above the optimum (several: the most negative relative
 * margin), i.e. the tightest row. */
int accumulate_solve(const accum_input *in, const rert_protocol *const *protocols, int nprotocols,
                     double planned_prescription_gy, const accum_regimen *reg,
                     const accum_targets *t, accum_solution *out, rert_err *err);

/* Tumour BED of a prescription (§1.1, §1.4): D(1 + (D/n)(1 + h)/(α/β)), h = Thames factor for
 * the regimen's fractions per day and interval with the tumour repair half-time (0 for one
 * fraction a day or no half-time). */
double accumulate_tumour_bed(const accum_regimen *reg, const accum_targets *t, double dose_gy,
                             double *thames_h);

/* Rank solutions in place (rank field; order of the array unchanged). Rule (docs/accumulate.md):
 * 1. feasible regimens (nominal, a dose >= its minimum) before infeasible;
 * 2. feasible ones also under the worst case before those feasible only nominally;
 * 3. higher tumour BED10 at the feasible prescription, counted up to the top of the curative
 *    band (more tumour dose beyond the band buys nothing);
 * 4. a larger share of the regimen's full dose; 5. file order.
 * Infeasible regimens: larger share of their minimum dose reachable, then file order. */
void accumulate_solutions_rank(accum_solution *s, int n, const accum_targets *t);
#define ACCUM_RANK_RULE_TEXT                                                                    \
  "feasible regimens (a prescription within the regimen's range keeps every hard row) first; "  \
  "then those also feasible under the worst case; then higher tumour BED10 counted up to the "  \
  "top of the curative band; then a larger share of the full dose; infeasible regimens by the " \
  "share of their minimum dose reachable"
/* The solution as JSON keys of `o` (regimen, range, status, prescription, limiting row,
 * worst case, tumour BED/EQD2 and band, rank, statement). Numbers unrounded. */
void accum_solution_to_json(const accum_solution *s, cJSON *o);
const char *accumulate_solve_status_name(accum_solve_status s);

#endif
