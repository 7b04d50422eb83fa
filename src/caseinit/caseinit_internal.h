/* caseinit_internal.h — the export model shared by the caseinit source files (not public API).
 *
 * caseinit_scan.c    index the export, read plans / structure sets / records / registrations
 * caseinit_group.c   courses: plans of one frame, their doses, structure set, CT, records
 * caseinit_dates.c   dates and delivered fractions from records, else from the plan
 * caseinit_draft.c   the case-file JSON with x_source and the TODO list
 * caseinit_struct.c  structure names and roles (rert/structmap.h), recurrence GTV
 * caseinit_output.c  result JSON, text, atomic write, relative paths
 * caseinit_check.c   the DICOM gate on the draft
 */
#ifndef RERT_CASEINIT_INTERNAL_H
#define RERT_CASEINIT_INTERNAL_H

#include <cjson/cJSON.h>

#include "rert/casefile.h"
#include "rert/caseinit.h"
#include "rert/dicomio.h"
#include "rert/rtrecord.h"

#define CI_MAX_PER_COURSE 64

typedef struct {
  int obj;                         /* index into ix.objects */
  char dir[1024];                  /* directory holding every slice ("" when spread) */
  int ndirs;                       /* distinct directories of the slices */
} ci_ct;

typedef struct {
  int obj;
  rert_structure_set ss;           /* ROIs (contours read too: structmap needs the counts) */
  int readable;
  char problem[512];
  int ct;                          /* the referenced CT series in the export, −1 */
} ci_ss;

typedef struct {
  int obj;
  rert_rtplan plan;
  int readable;
  char problem[512];
  char for_uid[RERT_UID_LEN];      /* the plan's frame: own, else its structure set's, else a dose's */
  char for_source[64];
  int ss;                          /* referenced structure set in the export, −1 */
  int nrec;                        /* session/summary records referencing it */
  int cluster;                     /* course candidate it belongs to */
  double rx_gy;                    /* largest TargetPrescriptionDose, NaN */
  int fractions;                   /* Σ NumberOfFractionsPlanned over groups, 0 = unknown */
} ci_plan;

typedef struct {
  int obj;
  int plan;                        /* referenced plan in the export, −1 */
} ci_dose;

typedef struct {
  int obj;
  rert_treatment_record rec;
  int readable;
  char problem[512];
  int plan;                        /* referenced plan in the export, −1 */
} ci_rec;

typedef struct {
  int obj;                         /* REG or DEFORMABLE_REG */
  int deformable;
} ci_reg;

enum {
  CI_DATES_NONE = 0,
  CI_DATES_SESSIONS,               /* RT (Ion) Beams Treatment Records, one per session */
  CI_DATES_SUMMARY,                /* RT Treatment Summary Record */
  CI_DATES_PLAN_TREATMENT,         /* the plan's TreatmentDate / rert's RTPlanDescription dates */
  CI_DATES_PLAN_DATE,              /* RTPlanDate (treatment starts on or after it) */
  CI_DATES_STUDY                   /* StudyDate of the course's objects */
};

/* A pending TODO or note, rendered with the course's final index. */
typedef struct {
  caseinit_todo_kind kind;
  int blocking;
  char field[64];                  /* relative to the course ("start_date", "dicom.rtdose") */
  char message[1536];
} ci_pending;

typedef struct {
  char for_uid[RERT_UID_LEN];
  int nplans, plans[16];           /* every plan of the frame */
  int nused, used[8];              /* the course's plans */
  int ncand, cand[16];             /* undecided: the candidate plans (none used) */
  char plan_rule[256];             /* why these plans */
  int ndoses, doses[CI_MAX_PER_COURSE];
  int ss, ct;                      /* −1 when none / undecided */
  int nrec, recs[2048];            /* records of the used plans */
  /* derived values; *_src say where they came from */
  int fractions;                   /* 0 = unknown */
  char fractions_src[256];
  double rx_gy;                    /* NaN = unknown */
  char rx_src[256];
  int modality_ok;
  rert_modality modality;
  char modality_src[128];
  int has_start, has_end;
  rert_date start, end;
  char dates_src[256];
  int dates_from_records;
  int date_kind;                   /* CI_DATES_* */
  int end_estimated;               /* end = start + the plan's fractions at 5 a week */
  int delivered;                   /* fractions delivered per the records, −1 unknown */
  int per_day;                     /* fractions per day (records), 1 default */
  double interval_h;               /* BID interval from the records, NaN */
  char per_day_src[256];
  int has_key;
  rert_date key;                   /* ordering date */
  int planned;                     /* role planned */
  int index;                       /* final position */
  char id[16];
  int npending;
  ci_pending pending[48];
} ci_course;

typedef struct {
  const caseinit_opts *o;
  caseinit_result *r;
  io_index ix;
  char case_dir[1024];             /* realpath of the case file's directory */
  char patient_id[65];
  int nct, nss, nplan, ndose, nrec, nreg;
  ci_ct *ct;
  ci_ss *ss;
  ci_plan *plan;
  ci_dose *dose;
  ci_rec *rec;
  ci_reg *reg;
  int ncourse;
  ci_course *course;               /* RERT_CASE_MAX_COURSES after sorting */
  int reference;                   /* index of the reference course */
  int *obj_used;                   /* per index object: 1 when the case lists it */
} ci_ctx;

/* caseinit_scan.c */
int ci_scan(ci_ctx *x, rert_err *err);
void ci_free(ci_ctx *x);
const io_object *ci_obj(const ci_ctx *x, int obj);
const char *ci_path(const ci_ctx *x, int obj); /* first file of the object */

/* caseinit_group.c */
int ci_group(ci_ctx *x, rert_err *err);

/* The plans that speak for the course: the used ones, else the undecided candidates. */
static inline const int *ci_course_plans(const ci_course *c, int *n) {
  *n = c->nused ? c->nused : c->ncand;
  return c->nused ? c->used : c->cand;
}

/* caseinit_dates.c */
void ci_dates(ci_ctx *x, ci_course *c);

/* caseinit_struct.c: structure_map, structure_roles, recurrence_roi into doc */
void ci_structures(ci_ctx *x, cJSON *doc);

/* caseinit_draft.c */
int ci_draft(ci_ctx *x, rert_err *err);
void ci_pend(ci_course *c, caseinit_todo_kind kind, int blocking, const char *field,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ci_todo(caseinit_result *r, caseinit_todo_kind kind, int blocking, const char *path,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ci_not_used(ci_ctx *x, int obj, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* (Re)write $.x_case_init.todo and .blocking_todo from r->todo. */
void ci_sync_todo(caseinit_result *r);

/* caseinit_output.c */
int ci_relpath(const char *from_dir, const char *path, char *out, size_t n);
void ci_date_str(rert_date d, char out[11]);

#endif
