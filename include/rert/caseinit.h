/* caseinit.h — from a DICOM export to a drafted, checked case file (`rert case init`).
 *
 * A physicist's starting point is a folder exported from a planning system or PACS: every course
 * of the patient, often untidy (several CTs, approved and unapproved plans, per-beam doses,
 * treatment records, registrations, files named by UID in one flat folder). caseinit reads it
 * and drafts the case file (schema rert-case/1, docs/case-file.md) that every other command
 * reads:
 *
 *  1. index the export (io_scan_dir, headers only) and read the plans, structure-set ROI lists,
 *     treatment records (rert/rtrecord.h) and registration headers;
 *  2. group objects into courses by their references and frames of reference: a course is the
 *     plans of one frame of reference (the planning CT's); within it the delivered plans (those
 *     with treatment records), else the approved ones, else the unapproved ones (proposed but
 *     flagged); RTDOSE ↔ RTPLAN by ReferencedRTPlanSequence (a PLAN dose, one FRACTION dose per
 *     fraction group or the BEAM doses of the plan); RTPLAN → RTSTRUCT; RTSTRUCT → CT series;
 *  3. from each plan: fraction groups and fractions, radiation type, prescription, approval;
 *  4. dates from the treatment records (first and last session, delivered fractions, BID
 *     sessions); otherwise the plan's dates, marked "to confirm";
 *  5. the most recent course as the planned and reference course (or caseinit_opts.planned);
 *     registrations found in the export between a prior course's frame and the reference
 *     frame (deformable preferred), else "rert registers the CTs";
 *  6. ROI names through the structure-identity module (rert/structmap.h: structure_map, then
 *     data/structure_synonyms.json), target roles, the recurrence GTV of the reference course;
 *  7. the drafted case: every inferred value traced in an `x_source` object beside it, clinical
 *     facts left null (unknown), and a TODO list ($.x_case_init.todo) of what a human must
 *     confirm or decide. Ambiguities (two candidate doses for one plan, two CT series in one
 *     frame and nothing choosing between them, several approved plans without records) are
 *     TODOs, never guesses: the field stays empty and the candidates are listed.
 * The draft is then checked with the DICOM gate (rert/gate.h, as `rert case check` and the
 * consult run it), and its findings are part of the result.
 *
 * Nothing in the export is modified; the case file is written atomically and never over an
 * existing file unless asked (caseinit_write).
 */
#ifndef RERT_CASEINIT_H
#define RERT_CASEINIT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "rert/err.h"

typedef struct {
  const char *export_dir;  /* the export (searched recursively) */
  const char *case_path;   /* where the case file will be written: its paths are relative to
                              its directory (which must exist) */
  const char *planned;     /* NULL/"" = the most recent course is planned (and the reference);
                              "none" = every course is prior (the last is the reference);
                              "courseN" = that course (ids are assigned in date order) */
  const char *patient_id;  /* the PatientID to draft when the export holds several patients */
} caseinit_opts;

typedef enum {
  TODO_CONFIRM = 0,        /* a proposed value a human must confirm (dates from a plan, ...) */
  TODO_CHOOSE,             /* several candidates, none chosen: pick one */
  TODO_FILL,               /* a value DICOM does not hold (clinical facts, technique, ...) */
  TODO_REVIEW              /* something to look at (delivered ≠ planned, unused objects, ...) */
} caseinit_todo_kind;

typedef struct {
  caseinit_todo_kind kind;
  int blocking;            /* the case cannot be computed correctly until this is resolved */
  char path[160];          /* JSON path in the drafted case ("$.courses[0].start_date") */
  char message[1536];
} caseinit_todo;

typedef struct {
  cJSON *doc;              /* the drafted case file (owned); $.x_case_init holds the TODO list,
                              the objects not used and the grouping decisions */
  cJSON *courses;          /* per course: id, role, frame, plans, doses, CT, structure set,
                              records, dates and where each value came from (owned) */
  cJSON *not_used;         /* [{path, kind, why}] objects of the export not in the case (owned) */
  cJSON *check;            /* the DICOM gate on the draft: {"ran", "result", "findings"} (owned) */
  int ntodo, captodo;
  caseinit_todo *todo;
  int nblocking;           /* blocking TODOs (including gate refusals on the draft) */
  int nobjects, nskipped;  /* export objects indexed, non-DICOM files skipped */
  char case_path[1024];
} caseinit_result;

/* Index and group the export and draft the case (in r->doc). RERT_EINPUT (one line naming the
 * directory or file) when the export has no RT objects, holds several patients and none was
 * chosen, or the case file's directory does not exist. */
int caseinit_draft(const caseinit_opts *o, caseinit_result *r, rert_err *err);
/* Run the DICOM gate on the draft (as `rert case check` does, with the consult's rule that
 * courses without a registration are registered from their CTs); refusals become blocking
 * TODOs. Needs r->case_path's directory to resolve the draft's relative paths. */
int caseinit_check(caseinit_result *r, rert_err *err);
/* Write r->doc to `path` atomically (temp + rename). An existing file is refused unless
 * `force`; a path inside the export directory or equal to one of its files is refused. */
int caseinit_write(const caseinit_result *r, const char *path, const char *export_dir, int force,
                   rert_err *err);
/* {"case_file", "courses", "registrations", "todo", "not_used", "check", "counts"}. */
cJSON *caseinit_result_json(const caseinit_result *r);
/* The same as text. */
void caseinit_print(const caseinit_result *r, FILE *out);
void caseinit_free(caseinit_result *r);

const char *caseinit_todo_kind_name(caseinit_todo_kind k); /* confirm, choose, fill, review */

#endif
