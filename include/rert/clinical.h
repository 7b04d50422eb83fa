/* clinical.h — clinical decision support for head-and-neck re-irradiation: MIRI RPA class,
 * treatment intent and dose targets, recurrence pattern and target-volume advice, toxicity
 * risk tiers, the ARS appropriate-use ratings (UCLA/RAND method) and SPHIC trial eligibility.
 *
 * Domain reference: §3.6 (Nieder), §5 and §6 (toxicity thresholds), §7.1 (MIRI RPA), §7.3–§7.4
 * (recurrence pattern, margins), §8 (ARS criteria), S3 Table 2 (trial eligibility), §10.7
 * (classification vectors). Every threshold, rate and recommendation is read from data/ JSON files
 * (miri_rpa.json, intent_targets.json, recurrence_pattern.json, target_margins.json,
 * toxicity_risk.json, ntcp_lkb.json, ars_2022.json, sphic_eligibility.json) with its citation;
 * each result carries the citation so the output can show it.
 *
 * Each assessment is a pure function of numbers/enums (testable without a case file) plus a
 * case-level wrapper in the CLI (src/cli/cmd_assess.c). Unknown facts give "indeterminate"
 * results that name the missing case-file field, never a silent default.
 */
#ifndef RERT_CLINICAL_H
#define RERT_CLINICAL_H

#include "rert/accumulate.h"
#include "rert/casefile.h"
#include "rert/err.h"
#include "rert/geom.h"
#include "rert/volume.h"

#define CLIN_TEXT 512
#define CLIN_SRC 320

/* ---------------- ARS appropriate-use rating (§8.1) ---------------- */

typedef enum {
  ARS_RULE_OUTSIDE_TIER = 0, /* default: disagree = #outside median tier > agreement threshold(n) */
  ARS_RULE_BOTH_EXTREMES,    /* classic RAND: ≥ k ratings in 1–3 AND ≥ k in 7–9 */
  ARS_RULE_IPRAS             /* RAND IPR > IPRAS (P30/P70, linear interpolation) */
} ars_rule;

typedef enum { ARS_U = 0, ARS_M, ARS_A } ars_category;

typedef struct {
  int n;                    /* panellists */
  double median;            /* raw median of the ratings */
  double reported_median;   /* 5 when disagreement (S2 footnote), else the raw median */
  int median_tier;          /* 1 (1–3), 2 (4–6), 3 (7–9) — tier of the category */
  int outside_tier;         /* ratings outside the tier holding the median */
  int low, high;            /* ratings in 1–3 and in 7–9 */
  double p30, p70, ipr, ipras;
  int threshold;            /* agreement threshold (outside-tier rule) or k (both-extremes) */
  int threshold_extrapolated; /* panel size outside the RAND table 8–16 */
  int disagreement;         /* the row is flagged X */
  ars_category category;    /* A / M / U by median; M when disagreement */
} ars_rating;

int ars_rule_parse(const char *s, ars_rule *r, rert_err *err); /* outside_tier|both_extremes|ipras */
const char *ars_rule_name(ars_rule r);
/* "A", "M", "U", or "M*" when disagreement */
const char *ars_category_label(const ars_rating *r);
/* Rate one histogram counts[0..8] = number of panellists rating 1..9. Agreement thresholds per
 * panel size come from data/ars_2022.json ("rand_thresholds"). */
int ars_rate(const int counts[9], ars_rule rule, ars_rating *out, rert_err *err);

/* ---------------- MIRI RPA (§7.1) ---------------- */

typedef enum {
  RPA_ORIGIN_RT_INTERVAL = 0, /* end of prior RT → start of reRT (MIRI abstract; default) */
  RPA_ORIGIN_DIAGNOSIS,       /* initial diagnosis → start of reRT (S2 class I wording) */
  RPA_ORIGIN_S2_LITERAL       /* class I by diagnosis interval, class III by RT interval (S2 text) */
} rpa_origin;

typedef struct {
  int rpa_class;               /* 1, 2, 3; 0 = indeterminate */
  char possible[16];            /* when indeterminate: e.g. "II/III" */
  char missing[128];           /* case-file field that would decide it */
  double interval_months;      /* interval used for the class III test */
  double interval_class1_months; /* interval used for the class I test */
  double threshold_months;
  char rationale[CLIN_TEXT];
  char survival[CLIN_TEXT];    /* reported figures with [UNVERIFIED] marks */
  int survival_verified;
  char source[CLIN_SRC];
} rpa_result;

int rpa_origin_parse(const char *s, rpa_origin *o, rert_err *err);
const char *rpa_origin_name(rpa_origin o);
/* Pure classifier. resected/dysfunction are tri-state; intervals in months (class-I interval
 * and class-III interval differ only for RPA_ORIGIN_S2_LITERAL). */
int rpa_classify(double interval_class1_months, double interval_class3_months, case_tri resected,
                 case_tri organ_dysfunction, rpa_result *out, rert_err *err);
/* From a case: salvage done/planned = resected; dysfunction = any of the three components. */
int rpa_assess_case(const rert_case *c, rpa_origin origin, rpa_result *out, rert_err *err);
/* Organ-dysfunction composite: yes if any component yes, no if all three no, else unknown. */
case_tri clinical_organ_dysfunction(const case_clinical *k);

/* ---------------- Treatment intent and dose targets (§5.4, S2) ---------------- */

typedef struct {
  char intent[16];             /* "curative", "palliative", "indeterminate" */
  char intent_basis[128];      /* goals_of_care or planned-course BED10 */
  double planned_bed10_gy;     /* NaN without planned course */
  double planned_eqd2_gy;      /* at the ARS α/β */
  double prior_eqd2_gy;        /* highest prior-course prescription EQD2 at the ARS α/β */
  double curative_lo_gy, curative_hi_gy, palliative_lo_gy, palliative_hi_gy;
  char bed_range[32];          /* "curative", "palliative", "between", "above_curative", "below_palliative" */
  int ars_reirradiation;       /* 1 / 0 / −1 unknown: ARS reRT definition met */
  char ars_reason[CLIN_TEXT];
  double interval_months;      /* prior RT end → reRT start (NaN unknown) */
  int interval_below_minimum;  /* < 6 months: below what RTOG reRT trials required (S2) */
  char source[CLIN_SRC];
} intent_result;

int intent_assess_case(const rert_case *c, intent_result *out, rert_err *err);

/* ---------------- Recurrence pattern (§7.3, §7.4) ---------------- */

typedef enum { BOUNDARY_DAWSON = 0 /* f ≥ 0.95 in-field */, BOUNDARY_S4 /* f > 0.95 */ } recurrence_boundary;
typedef enum { RECUR_IN_FIELD = 0, RECUR_MARGINAL, RECUR_OUT_OF_FIELD, RECUR_UNKNOWN } recurrence_class;

typedef struct {
  recurrence_class cls;
  double overlap_fraction;     /* f */
  char label[24];              /* in-field / marginal / out-of-field */
  char advice[CLIN_TEXT];      /* target-volume strategy (S4, S2) */
  char source[CLIN_SRC];
} recurrence_result;

int recurrence_boundary_parse(const char *s, recurrence_boundary *b, rert_err *err);
int recurrence_classify(double overlap_fraction, recurrence_boundary b, recurrence_result *out,
                        rert_err *err);
/* f = Σ w·[D ≥ 0.95·Rx] / Σ w over the recurrence mask (weights 0..1) on the SAME grid as the
 * mapped prior dose (map first with the registration, #5). Geometry mismatch → RERT_EINPUT. */
int recurrence_overlap_fraction(const rert_volume *recurrence_mask, const rert_volume *prior_dose_gy,
                                double prior_prescription_gy, double *f, rert_err *err);
/* Same for a geom.h mask (box-stored fractional occupancy) whose grid is the dose grid. */
int recurrence_overlap_fraction_mask(const rert_mask *recurrence,
                                     const rert_volume *prior_dose_gy, double prior_prescription_gy,
                                     double *f, rert_err *err);

/* ---------------- Toxicity risk (§6) ---------------- */

typedef enum { TIER_LOW = 0, TIER_INTERMEDIATE, TIER_HIGH, TIER_VERY_HIGH, TIER_UNKNOWN } risk_tier;
const char *risk_tier_name(risk_tier t);

#define RISK_MAX_FACTORS 12
typedef struct {
  char name[48];               /* "carotid_blowout", ... */
  risk_tier tier;
  char estimate[CLIN_TEXT];    /* reported rate for the tier, with source */
  int nfactors;
  char factors[RISK_MAX_FACTORS][160];
  char advice[CLIN_TEXT];
  char source[CLIN_SRC];
  int verified;
} risk_result;

typedef struct {
  double cumulative_eqd2_gy;   /* carotid Dmax-type cumulative EQD2 (α/β 3), NaN unknown */
  double encasement_deg;       /* NaN unknown */
  case_tri invasion, ulceration_or_fistula, skin_invasion, neck_dissection, flap,
      deep_neck_infection;
  int hypofractionated;        /* planned course SBRT-like (dose/fx ≥ data threshold) */
} carotid_inputs;
int risk_carotid(const carotid_inputs *in, risk_result *out, rert_err *err);

int risk_orn(double cumulative_mandible_eqd2_gy, const char *dental_status,
             case_tri planned_extractions, risk_result *out, rert_err *err);
/* Chen 2017: interval in months, cumulative brachial-plexus Dmax in Gy. */
int risk_brachial_plexus(double interval_months, double cumulative_dmax_gy, risk_result *out,
                         rert_err *err);
/* Nieder verified rule via recovery_nieder_check; BED2 per course, intervals between courses. */
int risk_myelopathy(const double *course_bed2_gy, int ncourses, const double *intervals_months,
                    int nintervals, int with_points, risk_result *out, rert_err *err);
/* Ng 2021: cumulative temporal-lobe D0.03cc EQD2. */
int risk_temporal_lobe(double cumulative_d003_eqd2_gy, risk_result *out, rert_err *err);

/* LKB NTCP (§6.7): EUD = (Σ v_i D_i^(1/n))^n over a differential DVH (v sums to 1). */
typedef struct {
  char id[64], organ[64], endpoint[96];
  double td50_gy, m, n;
  int verified;
  char source[CLIN_SRC];
} lkb_params;
int ntcp_lkb_lookup(const char *organ, lkb_params *out, int max, int *count, rert_err *err);
double ntcp_lkb_eud_gy(const double *dose_gy, const double *vol_frac, int nbins, double n);
double ntcp_lkb(double eud_gy, const lkb_params *p);

/* ---------------- ARS scenario matching (§8.2, §8.3) ---------------- */

#define ARS_MAX_OPTIONS 8
typedef struct {
  char treatment[160];
  int counts[9];
  ars_rating rating;
  char printed_category[4];    /* as printed in S2 */
  double printed_median;
  int printed_disagreement;
  int agrees_with_print;
  char sq[8], soe[8], sor[8];  /* study quality, strength of evidence, strength of recommendation */
  char artefact[CLIN_TEXT];    /* extraction-artefact note, "" if none */
} ars_option;

typedef struct {
  char key_question[8];        /* "KQ1".."KQ5", "" = no match */
  char case_id[8];             /* "1", "2a", "2b", "3", "4", "5" */
  char scenario[CLIN_TEXT];
  char match_reason[CLIN_TEXT];
  char recommendation[CLIN_TEXT]; /* S2 summary recommendation for this key question */
  int noptions;
  ars_option options[ARS_MAX_OPTIONS];
  char source[CLIN_SRC];
} ars_match;

/* Rate the rows of one panel case ("1", "2a", ...) from data/ars_2022.json. */
int ars_case_options(const char *case_id, ars_rule rule, ars_match *out, rert_err *err);
/* Match a case file to the panel scenario (decision rules of §8.3) and rate its options. */
int ars_match_case(const rert_case *c, const rpa_result *rpa, ars_rule rule, ars_match *out,
                   rert_err *err);

/* ---------------- SPHIC trial eligibility (S3 Table 2) ---------------- */

#define TRIAL_MAX_CRITERIA 24
typedef enum { CRIT_MET = 0, CRIT_NOT_MET, CRIT_UNKNOWN } crit_status;
typedef struct {
  char id[16];
  char kind[12];               /* inclusion / exclusion */
  char text[256];
  crit_status status;          /* inclusion: met = satisfied; exclusion: met = patient excluded */
  char detail[200];
} trial_criterion;

typedef struct {
  char trial[256];
  char verdict[16];            /* "eligible", "ineligible", "undetermined" */
  int ncriteria;
  trial_criterion criteria[TRIAL_MAX_CRITERIA];
  char source[CLIN_SRC];
} trial_result;

int trial_sphic_check(const rert_case *c, trial_result *out, rert_err *err);

/* ---------------- whole-case assessment (rert assess) ---------------- */

/* One organ metric of one course from DICOM (e.g. the accumulation's per-course, UNRECOVERED
 * EQD2 map evaluated with a DVH metric), fed to clinical_assess instead of the case's point
 * doses. eqd2_gy is at alpha_beta_gy (the organ's α/β in data/tissues.json). */
typedef struct {
  char course_id[RERT_CASE_NAME_LEN];
  char organ[RERT_CASE_NAME_LEN];  /* TG-263, laterality suffix allowed */
  char metric[16];                 /* "Dmax", "D0.03cc", "Dmean", ... */
  double eqd2_gy;
  double alpha_beta_gy;
} clinical_organ_dose;

typedef struct {
  rpa_origin origin;
  recurrence_boundary boundary;
  ars_rule rule;
  int nieder_points;           /* also compute the unverified Nieder point score */
  /* DICOM hooks (consult / accumulate): NULL/0 and NaN = use the case file's facts */
  const clinical_organ_dose *organ_doses;
  int norgan_doses;
  double overlap_fraction;     /* f from recurrence_overlap_fraction() on the mapped recurrence */
} clinical_options;

clinical_options clinical_options_default(void);
/* Cumulative EQD2 (Gy, at alpha_beta_gy) of an organ from the case's point doses, summed over
 * courses (no recovery discount); organ "A_Carotid" also matches A_Carotid_L/_R and the worst
 * side is returned. *found = number of courses contributing (0 → NaN). */
int clinical_cumulative_point_eqd2(const rert_case *c, const char *organ, const char *metric,
                                   double alpha_beta_gy, double *eqd2_gy, int *found, rert_err *err);
/* Same from clinical_options.organ_doses when it has entries for the organ, else point doses. */
int clinical_cumulative_eqd2(const rert_case *c, const clinical_options *o, const char *organ,
                             const char *metric, double alpha_beta_gy, double *eqd2_gy, int *found,
                             rert_err *err);
/* Build clinical_organ_dose rows from an accumulation (accumulate.h): for every structure of
 * `in` that is not a target and every course, the maximum of that course's UNRECOVERED EQD2 map
 * (res->course_eqd2) over voxels with mask ≥ in->mask_threshold, metric "Dmax", at the
 * structure's α/β (res->struct_alpha_beta_gy). Course ids are in->courses[].id. */
int clinical_organ_doses_from_accum(const accum_input *in, const accum_result *res,
                                    clinical_organ_dose *out, int max, int *count, rert_err *err);

/* Run every assessment on a case; *report is a JSON document (caller frees) with one object
 * per assessment, each carrying its "source". Missing facts give "indeterminate" entries; only
 * inconsistent input returns RERT_EINPUT. */
int clinical_assess(const rert_case *c, const clinical_options *o, cJSON **report, rert_err *err);

#endif
