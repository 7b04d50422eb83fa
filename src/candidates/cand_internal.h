/* cand_internal.h — pieces of the candidate comparison shared by src/candidates/ (not public). */
#ifndef RERT_CAND_INTERNAL_H
#define RERT_CAND_INTERNAL_H

#include "rert/candidates.h"
#include "rert/dvh.h"

/* cand_let.c: the LETd map of case course ci on the reference grid `grid` (dose-weighted when it
 * must be resampled: L = map(D·L)/map(D)); refusals name the file and the JSON path. */
int cand_let_load(const rert_case *cf, int ci, const rert_volume *grid, const rert_volume *dose_on_grid,
                  rert_volume *let, rert_err *err);
/* cand_let.c: LETd statistics of every structure of `in` for candidate r (dose = its evaluated
 * RBE-weighted dose on the reference grid). */
int cand_let_stats_compute(const cand_comparison *cmp, const accum_input *in, cand_result *r,
                           rert_err *err);

/* cand_eval.c: "priors + candidate r as the new course" into *in (caller frees with free()). */
int cand_make_input(const cand_comparison *cmp, const cand_result *r, accum_input **in, rert_err *err);
/* cand_eval.c: every number of candidate r (rows, tumour, risk, NTCP, integral, headroom, LETd). */
int cand_evaluate(cand_comparison *cmp, cand_result *r, rert_err *err);
/* cand_eval.c: the in-memory metrics protocol (tumour coverage and risk-organ rows). */
int cand_metrics_protocol(cand_comparison *cmp, rert_err *err);

/* cand_eval.c: DVH of `map` over structure st: its contours by the engine of `rert dvh` (the
 * structure set's plane spacing for single-plane ROIs), else its mask's voxels. */
int cand_dvh(const cand_comparison *cmp, const accum_structure *st, const rert_volume *map,
             rert_dvh *d, rert_err *err);

/* cand_rank.c: ranks, ordered indices and neighbour pairs (rule: CAND_RANK_RULE_TEXT). */
int cand_rank(cand_comparison *cmp, rert_err *err);

/* Candidate id made safe for a file name (letters, digits, '-', '_'; others → '_'). */
void cand_file_id(const char *id, char *out, size_t n);

#endif
