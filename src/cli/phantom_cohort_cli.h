/* phantom_cohort_cli.h — the --cohort options of `rert phantom` (phantom_cohort_cli.c). */
#ifndef RERT_PHANTOM_COHORT_CLI_H
#define RERT_PHANTOM_COHORT_CLI_H

#include "cli/cli.h"

#define PHANTOM_COHORT_OPTS                                                                                          \
  {"cohort", OPT_INT, NULL, "write a synthetic cohort of N small cases with outcomes (manifest.csv, truth.json, cases/)", NULL, 0}, \
  {"cohort-kind", OPT_STR, "dicom", "cohort: dicom (CT, RTSTRUCT, RTPLAN, RTDOSE per case) or points (point-dose case files)", NULL, 0}, \
  {"truth-organ", OPT_STR, "Brainstem", "cohort: endpoint organ (Brainstem, SpinalCord, Parotid_L, A_Carotid_L)", NULL, 0}, \
  {"truth-metric", OPT_STR, "Dmax", "cohort: metric of the true model, Dmax or Dmean of cumulative EQD2", NULL, 0}, \
  {"truth-model", OPT_STR, "logistic", "cohort: true NTCP model, logistic or probit (LKB)", NULL, 0}, \
  {"truth-td50-gy", OPT_NUM, "70", "cohort: true TD50 (Gy EQD2)", "Gy", 1}, \
  {"truth-gamma50", OPT_NUM, "2", "cohort: true normalised slope gamma50", "", 0}, \
  {"truth-recovery", OPT_STR, "s4_stepwise", "cohort: true recovery model of the prior courses", NULL, 0}, \
  {"endpoint", OPT_STR, "necrosis", "cohort: toxicity endpoint name (manifest column tox_<endpoint>_grade)", NULL, 0}

int phantom_cli_cohort(const rert_args *a, rert_err *err);

#endif
