/* accumulate_case.h — building an accumulation input from a case file: run the DICOM gate
 * (rert/gate.h: every object and link checked, each course's dose resolved into fraction groups
 * per DICOM PS3.3 C.8.8.3), map each prior course onto the
 * reference course's dose grid through its registration (register: pull-back warp), add lower/
 * upper bound maps for an uncertainty radius, and rasterise the reference RTSTRUCT into
 * fractional masks (geom). Implements domain-reference §3.10 (sum on the reference anatomy).
 */
#ifndef RERT_ACCUMULATE_CASE_H
#define RERT_ACCUMULATE_CASE_H

#include "rert/accumulate.h"
#include "rert/casefile.h"
#include "rert/gate.h"
#include "rert/rtdata.h"

typedef struct {
  accum_input in;
  rert_volume dose[ACCUM_MAX_COURSES], lower[ACCUM_MAX_COURSES], upper[ACCUM_MAX_COURSES];
  /* fraction groups of a course (rert/gate.h parts) on the reference grid, and their bounds */
  rert_volume part[ACCUM_MAX_COURSES][ACCUM_MAX_PARTS];
  rert_volume part_lower[ACCUM_MAX_COURSES][ACCUM_MAX_PARTS], part_upper[ACCUM_MAX_COURSES][ACCUM_MAX_PARTS];
  gate_result *gate;                  /* the DICOM gate's findings (accum_case_load runs it first) */
  int gate_refused;                   /* accum_case_load stopped at the gate's refusal (ac freed) */
  rert_volume mask[ACCUM_MAX_STRUCTS];
  rert_dicom_ident reference_ident;   /* of the reference course's RTDOSE (for writing) */
  double planned_prescription_gy;     /* NaN when no planned course */
  double uncertainty_mm;
  char mapping[ACCUM_MAX_COURSES][160]; /* how each course reached the reference grid */
  char plan_uid[ACCUM_MAX_COURSES][RERT_UID_LEN]; /* RTPLAN SOP UID per course (RTDOSE reference) */
  rert_structure_set structure_set;   /* reference RTSTRUCT: in.structs[s].roi point into it */
} accum_case;

typedef struct {
  double uncertainty_mm;   /* 0 = none; > 0: min/max filter of each mapped prior dose */
  accum_ab_rule rule;
} accum_case_opts;

/* Runs the gate first (GATE_LEVEL_FULL): a refusal returns RERT_EINPUT with its one-line message
 * before anything is computed; the findings stay in ac->gate for the command's output. */
int accum_case_load(const rert_case *cf, const accum_case_opts *o, accum_case *ac, rert_err *err);
/* Select the lower (upper = 0) or upper (1) bound maps of every prior course of `in` in place of
 * its nominal doses (courses without bound maps are left as they are). */
void accum_input_select_bound(accum_input *in, int upper);
void accum_case_free(accum_case *ac);
/* What-if dose scale of course c: the case-file extension courses[c].x_dose_scale (a number in
 * (0, 3]; 1 when absent), written by report.html's what-if export. The course's dose on the
 * reference grid is multiplied by it before anything else (uncertainty bounds included);
 * `rert evaluate` names it in the mapping line, `rert consult` in a report warning. Anything else
 * than such a number is refused naming the JSON path. */
int accum_case_dose_scale(const rert_case *cf, int c, double *scale, rert_err *err);

/* The case file's structure override ($.overrides {"structure", "alpha_beta_gy"?, "recovery"?,
 * "reason"}) for a TG-263 structure name: an exact match, else one naming the structure without
 * its laterality (an override of A_Carotid applies to A_Carotid_L and A_Carotid_R). NULL none. */
const case_override *accum_case_structure_override(const rert_case *cf, const char *name);
/* Set st->alpha_beta_gy and every course's recovery from that override (the recovery given is
 * the case file's per-organ model otherwise). Used by every accumulation built from a case file
 * (rert accumulate/evaluate/solve and the consult), so the override applies everywhere. */
void accum_case_apply_structure(const rert_case *cf, accum_structure *st, int ncourses);

#endif
