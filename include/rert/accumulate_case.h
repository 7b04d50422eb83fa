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
#include "rert/structmap.h"

typedef struct {
  accum_input in;
  rert_volume dose[ACCUM_MAX_COURSES], lower[ACCUM_MAX_COURSES], upper[ACCUM_MAX_COURSES];
  /* fraction groups of a course (rert/gate.h parts) on the reference grid, and their bounds */
  rert_volume part[ACCUM_MAX_COURSES][ACCUM_MAX_PARTS];
  rert_volume part_lower[ACCUM_MAX_COURSES][ACCUM_MAX_PARTS], part_upper[ACCUM_MAX_COURSES][ACCUM_MAX_PARTS];
  gate_result *gate;                  /* the DICOM gate's findings (accum_case_load runs it first) */
  int gate_refused;                   /* accum_case_load stopped at the gate's refusal (ac freed) */
  rert_volume *mask;                  /* [in.nstructs] (state != OK: empty volume) */
  rert_dicom_ident reference_ident;   /* of the reference course's RTDOSE (for writing) */
  double planned_prescription_gy;     /* NaN when no planned course */
  double uncertainty_mm;
  char mapping[ACCUM_MAX_COURSES][160]; /* how each course reached the reference grid */
  char plan_uid[ACCUM_MAX_COURSES][RERT_UID_LEN]; /* RTPLAN SOP UID per course (RTDOSE reference) */
  rert_structure_set structure_set;   /* reference RTSTRUCT: in.structs[s].roi point into it */
  int has_map;
  rert_structmap map;                 /* how every ROI of it was resolved (rert/structmap.h) */
  unsigned char *needed;              /* [map.n]: rasterised and used (docs/structures.md) */
} accum_case;

typedef struct {
  double uncertainty_mm;   /* 0 = none; > 0: min/max filter of each mapped prior dose */
  accum_ab_rule rule;
  /* the protocols the structures are needed for (NULL/0: organs with tissue parameters only) */
  const rert_protocol *const *protocols;
  int nprotocols;
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
 * "reason"}) for a TG-263 structure name: an exact match, else one naming the organ without its
 * side (an override of OpticNrv applies to OpticNrv_L and OpticNrv_R). NULL none. Applied by
 * accum_structure_from_map, so every accumulation built from a case file (rert accumulate /
 * evaluate / solve and the consult) uses it. */
const case_override *accum_case_structure_override(const rert_case *cf, const char *name);
/* ---- structures of a resolved structure set (shared by accum_case_load and the consult) ----
 * Needed (rasterised and used): every target, and every organ that a constraint of the given
 * protocols names, that has tissue parameters (data/tissues.json), a per-organ recovery or a
 * structure override in the case file, an explicit structure_roles ORGAN, or is the
 * recurrence_roi. Unmapped and unneeded ROIs are listed in the mapping table only, so a
 * 250-ROI set costs the rasterisation of the few structures that matter. */
int accum_structures_needed(const rert_structmap *m, const rert_case *cf,
                            const rert_protocol *const *ps, int np, unsigned char *need,
                            rert_err *err);
/* Fill name, target flag, local name, state (empty ROI), recovery per course (case file
 * per-organ model) and the case file's structure override (α/β, recovery, with its reason). */
void accum_structure_from_map(const smap_entry *e, const rert_roi *roi, const rert_case *cf,
                              int ncourses, accum_structure *st);

#endif
