/* recist.h — tumour response classification: RECIST 1.1 and the S3 protocol's legacy rule.
 *
 * Implements domain-reference §9.6 and §10.12. Thresholds come from data/recist.json
 * ("recist1.1": PR −30 % vs baseline, PD +20 % and +5 mm vs nadir, nodes < 10 mm short axis for
 * CR; "s3-legacy": the same without the 5 mm rule and without the node rule). The nadir is the
 * smallest sum so far including baseline. Overall response per visit follows RECIST 1.1
 * Tables 1–2 (target, non-target, new lesions); best overall response is the best visit
 * response up to and including the first PD, with optional confirmation of CR/PR (a second
 * assessment ≥ confirm_days later) and a minimum time from baseline for SD.
 */
#ifndef RERT_RECIST_H
#define RERT_RECIST_H

#include "rert/err.h"

typedef enum {
  RECIST_CR = 0,
  RECIST_PR = 1,
  RECIST_SD = 2,
  RECIST_NON_CR_NON_PD = 3, /* non-target disease only */
  RECIST_PD = 4,
  RECIST_NE = 5,            /* not evaluable */
  RECIST_NONE = 6           /* no lesions of this kind (non-target column) */
} rert_recist_response;

typedef enum {
  RECIST_NT_NONE = 0,   /* no non-target lesions at baseline */
  RECIST_NT_ABSENT = 1, /* all disappeared (and nodes normal): non-target CR */
  RECIST_NT_PRESENT = 2,/* persistence: non-CR/non-PD */
  RECIST_NT_PD = 3,     /* unequivocal progression */
  RECIST_NT_NE = 4      /* not assessed */
} rert_recist_nt;

typedef struct {
  char name[32];
  double pr_decrease_fraction, pd_increase_fraction, pd_absolute_increase_mm;
  double node_normal_short_axis_mm;
  int nodes_count_for_cr;
} rert_recist_criteria;

typedef struct {
  double day;               /* days from baseline (baseline visit first, day 0) */
  int ntarget;
  const double *target_mm;  /* longest diameter, or short axis for nodes; NAN = not measured */
  const int *target_node;   /* 1 = lymph node */
  rert_recist_nt nontarget;
  int new_lesion;           /* unequivocal new lesion */
} rert_recist_visit;

typedef struct {
  double sum_mm, nadir_mm;          /* nadir before this visit (incl. baseline) */
  double change_from_baseline, change_from_nadir; /* fractions */
  rert_recist_response target, nontarget, overall;
} rert_recist_assessment;

/* rule: "recist1.1" or "s3-legacy" (data/recist.json). */
int recist_criteria_load(const char *rule, rert_recist_criteria *c, rert_err *err);

/* Target-lesion response from sums alone (all_gone: every lesion counts as disappeared). */
rert_recist_response recist_target_response(const rert_recist_criteria *c, double baseline_mm,
                                            double nadir_mm, double current_mm, int all_gone);

const char *recist_response_name(rert_recist_response r);

/* visits[0] is baseline. out (nvisits, may be NULL) receives each visit's assessment (the
 * baseline row has overall = NE). confirm_days <= 0: no confirmation; min_sd_days: SD must be
 * at least this long after baseline to count as best response. */
int recist_assess(const rert_recist_criteria *c, const rert_recist_visit *visits, int nvisits,
                  double confirm_days, double min_sd_days, rert_recist_assessment *out,
                  rert_recist_response *best, rert_err *err);

#endif
