/* candidates.h — choosing the new course: candidate plans (VMAT, IMPT, carbon, SBRT, ...) for the
 * same re-irradiation compared on ONE prior accumulation (issue 17; docs/compare.md).
 *
 * A case may list several courses with role "candidate" (and at most one "planned" course, which
 * is compared with them). They share the prior courses, the reference anatomy (the reference
 * course's RTSTRUCT) and the registrations; each has its own RTPLAN/RTDOSE, modality, RBE model
 * and fractionation, optionally a LETd map and a variable proton RBE (rert/rbe.h).
 *
 * Pipeline (candidates_run): every course is mapped onto the reference grid once
 * (accum_case_load; prior doses and their uncertainty bounds are the same maps for every
 * candidate) → the candidates are set aside → for each candidate an accumulation input "priors +
 * this candidate as the new course" → per candidate: every constraint row of every protocol
 * (nominal and worst case, margin, per-row status) by the accumulation engine, tumour coverage
 * (D98/D95/D50/Dmin in BED and EQD2 at the tumour α/β, new course alone) and the carotid/mandible
 * doses behind the risk tiers through an in-memory metrics protocol (same DVH engine and maps as
 * the rows), NTCP (LKB, data/ntcp_lkb.json) on the cumulative EQD2, integral dose, LETd statistics
 * per structure, and the solver's headroom (largest multiple of the candidate's dose in its own
 * fractionation that keeps every hard row) → ranking by the documented rule
 * (CAND_RANK_RULE_TEXT) with ties and near-ties within the dose-mapping uncertainty reported as
 * ties.
 */
#ifndef RERT_CANDIDATES_H
#define RERT_CANDIDATES_H

#include <cjson/cJSON.h>

#include "rert/accumulate.h"
#include "rert/accumulate_case.h"
#include "rert/casefile.h"
#include "rert/clinical.h"
#include "rert/geom.h"
#include "rert/err.h"
#include "rert/protocol.h"
#include "rert/rbe.h"
#include "rert/report.h"
#include "rert/volume.h"

#define CAND_MAX ACCUM_MAX_COURSES
#define CAND_MAX_TARGETS 16
#define CAND_MAX_NTCP 48
#define CAND_MAX_RISK_ORGANS 8

#define CAND_RANK_RULE_TEXT                                                                       \
  "1. feasibility: candidates whose every hard (mandatory or acceptable) row is evaluated and "   \
  "passes nominally (PASS) before those with a hard row not evaluated (INCOMPLETE), before those " \
  "with a failing hard row (FAIL); 2. the largest smallest margin over the hard rows, as a "      \
  "percentage of each row's limit; two candidates whose smallest-margin ranges [worst case, "     \
  "nominal] overlap within the dose-mapping uncertainty are tied on this step; 3. the higher "    \
  "tumour BED (D98 of the recurrence GTV, else of the first GTV, CTV, PTV; new course alone, "   \
  "tumour alpha/beta); candidates tied on every step share a rank"

typedef struct {
  double uncertainty_mm;         /* dose-mapping uncertainty radius (worst case, near-ties) */
  accum_ab_rule rule;
  int outside_grid_strict;
  const char *const *protocols;  /* names or files; NULL/0 = the case file's "protocols" */
  int nprotocols;
  double let_high_dose_fraction; /* "high-dose" OAR voxels: candidate dose ≥ this × prescription */
  double headroom_max_scale;     /* the headroom search stops at this multiple (default 3) */
} cand_opts;

void candidates_opts_default(cand_opts *o);

/* Tumour coverage of one target structure: the candidate's own dose as BED/EQD2 at the tumour
 * α/β (data/regimens.json targets), D98/D95/D50/Dmin by the DVH engine of `rert dvh`. */
typedef struct {
  char structure[64];
  int is_recurrence;
  double volume_cc;
  double bed_gy[4];              /* D98%, D95%, D50%, Dmin */
  double eqd2_gy[4];
  int complete;
  double outside_pct;
} cand_target;

typedef struct {
  char structure[64];
  lkb_params p;
  double eud_gy, ntcp;
} cand_ntcp;

/* LETd statistics of one structure (keV/µm). Over the contours (DVH engine, trilinear map):
 * volume-weighted mean, min, max, and the dose-weighted mean ∫D·L/∫D (D = the candidate's plan
 * dose as planned: fixed-RBE for protons, i.e. proportional to the physical dose, even when a
 * variable RBE is applied; RBE-weighted for carbon). High-dose voxels (organs at risk): mask
 * voxels (occupancy ≥ the accumulation's threshold) with that dose ≥ let_high_dose_fraction ×
 * prescription. */
typedef struct {
  char structure[64];
  int is_target, is_recurrence;
  double volume_cc;
  double mean, dose_weighted, min, max;
  double high_dose_threshold_gy, high_dose_cc, high_mean, high_dose_weighted;
  int complete;
} cand_let_stats;

typedef struct {
  char organ[64];                /* "carotid_blowout" / "mandible_orn" */
  char structure[64];            /* hottest side, e.g. A_Carotid_R */
  double cumulative_eqd2_gy;     /* Dmax of the unrecovered cumulative EQD2 at the toxicity α/β */
  double alpha_beta_gy;
  risk_result risk;
  int assessed;
  char why[256];                 /* when not assessed */
} cand_risk;

typedef struct {
  int case_index;                /* index in the case file's courses */
  char id[65];
  char role[16];                 /* "candidate" or "planned" */
  char technique[32];
  rert_modality modality;
  rbe_model rbe;                 /* model of the dose as evaluated (photon-equivalent Gy(RBE)) */
  char rbe_text[256];            /* how the dose became photon-equivalent */
  int fractions, fractions_per_day;
  double interfraction_interval_h, prescription_gy;
  char mapping[200];
  accum_course course;           /* the candidate as the new course (pointers into storage) */
  rert_volume var_dose;          /* variable-RBE dose on the reference grid (data NULL: none) */
  rert_volume let;               /* LETd on the reference grid (data NULL: none) */
  rbe_let_model let_model;
  int has_var_rbe;
  long let_extrapolated_voxels;  /* voxels with dose whose LETd lies outside the model's fit */
  double rbe_mean_gtv;           /* mean variable RBE in the recurrence GTV (NaN: none) */
  /* evaluation */
  accum_evaluation *evs;         /* one per protocol (nprot of the comparison) */
  char verdict[16];              /* PASS / FAIL / INCOMPLETE */
  int hard_failures, worst_hard_failures, hard_not_evaluated, hard_rows;
  char not_evaluated_rows[512];  /* hard rows without a value, named */
  double min_margin_pct, min_margin_worst_pct; /* smallest margin over hard rows (% of limit) */
  double min_margin_abs;         /* that row's margin in its unit */
  char min_margin_row[256];      /* protocol:constraint (structure) */
  char min_margin_unit[12];
  int ntargets;
  cand_target targets[CAND_MAX_TARGETS];
  int tumour_ref;                /* index into targets of the ranking target, −1 none */
  double tumour_bed_gy;          /* its D98 BED (NaN when none) */
  int nntcp;
  cand_ntcp ntcp[CAND_MAX_NTCP];
  int nrisk;
  cand_risk risk[CAND_MAX_RISK_ORGANS];
  double integral_dose_gy_l;     /* ∫ D dV over the body (Gy·L = J for unit density), RBE-weighted */
  double integral_physical_gy_l; /* physical (NaN for carbon: the RBE is not known per voxel) */
  double body_cc, body_mean_gy;
  char integral_basis[160];      /* "External contour" / "dose grid (no EXTERNAL ROI)" */
  int integral_complete;
  /* headroom: largest s (≤ headroom_max_scale) with every hard row passing (nominal) at s × dose */
  double headroom_scale, headroom_worst_scale;
  char headroom_limiting[320];
  int nlet;
  cand_let_stats *let_stats;      /* owned, [nlet] (one per structure at most) */
  rert_volume cumulative;        /* cumulative EQD2 (voxel α/β, recovered priors + candidate) */
  int rank;                      /* 1 = best; equal ranks = tie */
  char rank_note[512];
} cand_result;

typedef struct {
  char a[65], b[65];             /* candidate ids, a ranked at or above b */
  int tied;                      /* 1: reported as a tie */
  char step[24];                 /* deciding step: "feasibility", "margin", "tumour BED", "tie" */
  char text[512];
} cand_pair;

typedef struct cand_comparison {
  const rert_case *cf;           /* borrowed */
  accum_case *ac;                /* owned: every course on the reference grid */
  accum_input *base;             /* owned: prior courses only (candidates set aside) */
  cand_opts opts;
  int nprot;                     /* case/option protocols (evaluation order); the metrics protocol is kept apart */
  rert_protocol *prot;
  rert_protocol metrics;         /* in-memory: tumour coverage and risk-organ rows */
  accum_targets targets;         /* tumour α/β and bands (data/regimens.json) */
  rert_volume alpha_beta;        /* α/β map (overlap rule) shared by every candidate */
  int n;
  cand_result *c;                /* case order */
  int *order;                    /* indices by rank */
  int npairs;
  cand_pair *pairs;              /* neighbours in the ranked order */
  char rule_text[1024];
  char tumour_ref_text[160];
  int recurrence_struct;         /* index into base->structs, −1 none */
  double slice_mm;               /* structure-set plane spacing (single-plane ROIs in DVHs) */
  rert_slice_geom slices;        /* the image slices of the rows' DVHs (base->slices, else inferred
                                    from every structure's contours as the engine does): NTCP, LETd,
                                    integral dose and overlays use the same slabs as the rows */
  cJSON *notes;                  /* warnings: ["text", ...] */
} cand_comparison;

/* Reduce a case with candidates to one new course `id` (casefile_select_candidate) after checking
 * that a removed reference course shares `id`'s frame of reference (RTDOSE FrameOfReferenceUID),
 * so the registrations and the reference anatomy it inherits are valid. */
int candidates_select_case(rert_case *cf, const char *id, rert_err *err);

/* The whole comparison. RERT_EINPUT naming file and JSON path/tag for an unusable case (no
 * candidate, point doses only, LETd map on another grid, mixed RBE systems without conversion,
 * ...). cf must outlive out. */
int candidates_run(const rert_case *cf, const cand_opts *o, cand_comparison *out, rert_err *err);
void candidates_free(cand_comparison *cmp);

/* Exit status of the comparison: the verdict of the rank-1 candidate (0 PASS, 1 FAIL, 4
 * INCOMPLETE); the first in case order among several at rank 1. */
int candidates_status(const cand_comparison *cmp);
const cand_result *candidates_best(const cand_comparison *cmp);

/* Everything as one JSON object (candidates in case order with their rows, metrics, rank; the
 * ranking with pairs and rule). Numbers unrounded. */
cJSON *candidates_json(const cand_comparison *cmp);

/* The comparison as report sections (side-by-side table, per-candidate verdicts and margins,
 * tumour coverage, NTCP, risk tiers, integral dose, headroom, LETd, ranking with ties, DVH overlays
 * per organ with one line per candidate). `number` prefixes the section titles ("10" → "10.
 * Candidate comparison"), NULL for none. The JSON object of candidates_json is added to the
 * report document under "candidates". */
int candidates_add_report(const cand_comparison *cmp, rert_report *r, const char *number,
                          rert_err *err);

/* Derived maps into dir: per candidate cumulative_eqd2_<id>.dcm; per pair (a, b) the EQD2
 * difference as two RTDOSE (diff_<a>_minus_<b>.dcm where a exceeds b, diff_<b>_minus_<a>.dcm
 * where b exceeds a; RTDOSE holds no negative numbers) and the signed difference as MetaImage
 * (diff_<a>_minus_<b>.mha). uid_key makes the UIDs reproducible ("" = random). */
int candidates_write_maps(const cand_comparison *cmp, const char *dir, const char *uid_key,
                          int *nfiles, rert_err *err);

/* `rert compare --out DIR`: report.json / report.html / report.pdf of the comparison and the maps
 * of candidates_write_maps, written into a staging directory beside DIR and moved into place only
 * when everything succeeded (a failure leaves no output). created_utc NULL = now / SOURCE_DATE_EPOCH. */
int candidates_write_output(const cand_comparison *cmp, const char *out_dir, const char *created_utc,
                            const char *command_line, int *nfiles, rert_err *err);

#endif
