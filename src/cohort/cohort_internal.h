/* cohort_internal.h — pieces shared by the cohort sources (not public API). */
#ifndef RERT_COHORT_INTERNAL_H
#define RERT_COHORT_INTERNAL_H

#include <cjson/cJSON.h>

#include "rert/casefile.h"
#include "rert/cohort.h"
#include "rert/accumulate_case.h"

/* Every input file of a case (case file, CT slices, RTSTRUCT, RTDOSE, RTPLAN, registrations)
 * with its SHA-256, as a JSON array [{role, path, sha256, bytes}], and the case key: SHA-256 of
 * the parameter digest and the sorted role/digest lines (paths are not part of the key, so a
 * moved cohort is not recomputed). */
int cohort_digest_inputs(const rert_case *cf, const char *param_sha256, cJSON **inputs,
                         char key[65], rert_err *err);

/* The DICOM gate's verdict on a case loaded by accum_case_load (which runs the gate, issue 12):
 * "passed", "passed (N overridden, M warnings)", "refused" or "not run" (the load stopped
 * before the gate). cohort_gate_refused: the gate refused the case (status "refused"). */
void cohort_gate_status(const accum_case *ac, char *status, size_t n);
int cohort_gate_refused(const accum_case *ac);

/* Clinical facts of the case file as a flat JSON object (known facts only). */
cJSON *cohort_clinical_json(const rert_case *cf);

/* Terminal progress bar on stderr (nothing when stderr is not a terminal). */
typedef struct {
  int enabled, total, last_len;
  double t0, last_draw;
} cohort_progress;
void cohort_progress_start(cohort_progress *p, int total, int enabled);
void cohort_progress_update(cohort_progress *p, int done, int ok, int failed, int skipped);
void cohort_progress_finish(cohort_progress *p);
double cohort_now_s(void);

/* Work directory of a run: <registry>.work/run-<id> (or under work_dir). Created. */
int cohort_work_dir(const char *registry, const char *work_dir, long long run_id, char *out,
                    size_t n, rert_err *err);
/* Prepare a run: open/create the registry, store the parameter set and the manifest's outcomes,
 * start a run row and build the plan (known keys unless force). */
int cohort_prepare(const char *manifest, const char *registry, const cohort_params *p,
                   const cohort_engine_opts *o, const char *engine, cohort_registry **reg,
                   long long *param_id, cohort_plan *pl, rert_err *err);
/* A "failed" result for a case that produced none (worker crash, timeout, lost Slurm task). */
cJSON *cohort_result_lost(const cohort_case_ref *c, const char *kind, const char *msg);
/* Count a result in the summary. */
void cohort_summary_count(cohort_run_summary *s, const cJSON *result);

#endif
