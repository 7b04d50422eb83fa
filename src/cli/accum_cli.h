/* accum_cli.h — shared pieces of `rert accumulate`, `rert evaluate` and `rert solve`: the
 * common options, loading a case into an accumulation input, and printing verdicts. */
#ifndef RERT_ACCUM_CLI_H
#define RERT_ACCUM_CLI_H

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "rert/accumulate_case.h"
#include "rert/casefile.h"

#define ACCUM_CLI_COMMON_OPTS                                                                     \
  {"uncertainty-mm", OPT_NUM, "0", "dose-mapping uncertainty radius: prior doses also as min/max over this ball (worst case)", "mm", 1}, \
  {"rule", OPT_STR, "lowest-oar", "alpha/beta overlap rule: lowest-oar (lowest OAR alpha/beta; targets only where no OAR) or list-order", NULL, 0}, \
  {"outside-grid", OPT_STR, "zero", "structures partly outside the dose grid: zero (dose there taken as 0, row flagged incomplete) or strict (verdict INCOMPLETE unless the inside part already fails)", NULL, 0}

/* Case file, then (ps != NULL) its protocols (--protocol or the case file's), then the DICOM
 * accumulation input with the structures those protocols need. On failure nothing is left
 * allocated. */
int accum_cli_load(const rert_args *a, rert_case *cf, accum_case *ac, rert_protocol **ps, int *np,
                   rert_err *err);
/* Protocols from --protocol (repeatable) or else the case file's list; caller frees. */
int accum_cli_protocols(const rert_args *a, const rert_case *cf, rert_protocol **ps, int *n,
                        rert_err *err);
void accum_cli_free_protocols(rert_protocol *ps, int n);
/* Print one evaluation as a table with explanations, or add it to a JSON array. */
void accum_cli_print_evaluation(const accum_evaluation *ev, const rert_protocol *p, int worst);
cJSON *accum_cli_evaluation_json(const accum_evaluation *ev, const rert_protocol *p);
/* The structure mapping table (every ROI: name, how, role; unused ROIs listed). */
void accum_cli_print_mapping(const accum_case *ac);
/* Overall verdict line and every mandatory row not evaluated (text), or the same into root. */
void accum_cli_print_overall(const accum_evaluation *evs, int n, const accum_overall *o);
cJSON *accum_cli_overall_json(const accum_evaluation *evs, int n, const accum_overall *o, cJSON *root);

#endif
