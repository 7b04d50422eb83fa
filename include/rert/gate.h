/* gate.h — the DICOM gate: one validation pass that every command reading a case runs before
 * computing anything (issue 12, "No silent PASS").
 *
 * The gate reads every object the case file lists (CT series headers, RTSTRUCT, RTPLAN(s),
 * RTDOSE(s), registrations), builds the object graph — patient, studies, frames of reference,
 * CT series, RTSTRUCT → CT series and FoR, RTDOSE → RTPLAN, REG → its two FoRs — and checks
 * every node and edge. It then resolves each course's dose per DICOM PS3.3 C.8.8.3 (RT Dose
 * Module, DoseSummationType): whole-plan, whole-fraction-group, per-beam and per-session doses
 * become a list of *parts*, one per fraction group, each with its own fraction count, so that
 * the LQ conversion keeps each group's dose per fraction (domain-reference §1.1: sequential
 * boosts are summed in EQD2, never as physical dose). Pipeline code below the gate may assume a
 * consistent case: one patient, known units and summation, doses that belong to the course's
 * plan and frame of reference, registrations between exactly the frames they join.
 *
 * Findings are an API: a list of {severity, check id, course, file, tag or JSON path, message}
 * that other modules (structure mapping, registration QA, ...) extend with gate_add and that
 * reports print (gate_findings_json, gate_print_findings). A refusal stops the command: the first
 * one becomes the one-line error "<file>: <tag>: <message>" (exit 2).
 *
 * Interlock overrides ({"interlock": ID, "course"?, "object"?, "reason"} in the case file) turn a
 * named refusal into an OVERRIDDEN finding that every output shows with its reason. The known
 * IDs are one registry (gate_interlocks, src/gate/gate_interlocks.c); an override naming an ID
 * no module knows is refused. docs/io.md ("The DICOM gate") lists every check and ID.
 */
#ifndef RERT_GATE_H
#define RERT_GATE_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "rert/casefile.h"
#include "rert/err.h"
#include "rert/rtdata.h"

/* ---- findings ------------------------------------------------------------------------------ */

typedef enum {
  GATE_OK = 0,      /* a check that passed (printed by `rert case check`, counted elsewhere) */
  GATE_WARNING,     /* computed, but the user should know (e.g. fraction count from the case) */
  GATE_OVERRIDDEN,  /* a refusal allowed by a case-file interlock override (reason attached) */
  GATE_REFUSAL      /* the case cannot be computed safely: the command stops, exit 2 */
} gate_severity;

typedef struct {
  gate_severity severity;
  char check[48];          /* check id, e.g. "dose.units", "plan.fractions" (docs/io.md) */
  char interlock[48];      /* interlock id an override may name, "" = not overridable */
  char course[65];         /* course id, "" = case-wide */
  char file[1024];         /* file at fault (or the case file for JSON-path findings) */
  char where[128];         /* DICOM tag "DoseUnits (3004,0002)" or JSON path "$.courses[0].fractions" */
  char message[768];
  char override_reason[512]; /* GATE_OVERRIDDEN: the case file's reason */
  char override_path[32];  /* GATE_OVERRIDDEN: "$.overrides[2]" */
} gate_finding;

typedef struct {
  int n, cap;
  gate_finding *items;
} gate_findings;

void gate_findings_init(gate_findings *f);
void gate_findings_free(gate_findings *f);
/* Append a finding (printf-style message). Returns the new finding, NULL when out of memory. */
gate_finding *gate_add(gate_findings *f, gate_severity sev, const char *check, const char *course,
                       const char *file, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Append a refusal that the interlock `interlock` may override: when the case has a matching
 * override (casefile_find_interlock_override on course and file) the finding becomes
 * GATE_OVERRIDDEN with the override's reason and path; returns 1 when it was overridden. */
int gate_add_interlock(gate_findings *f, const rert_case *cs, const char *interlock,
                       const char *check, const char *course, const char *file, const char *where,
                       const char *fmt, ...) __attribute__((format(printf, 8, 9)));
int gate_count(const gate_findings *f, gate_severity sev);
/* The first refusal, NULL when none. */
const gate_finding *gate_first_refusal(const gate_findings *f);
/* "<file>: <where>: <message>" of the first refusal into err; RERT_EINPUT, or RERT_OK if none. */
int gate_refusal_error(const gate_findings *f, rert_err *err);
/* [{severity, check, interlock, course, file, where, message, override_reason, override_path}] */
cJSON *gate_findings_json(const gate_findings *f, int include_ok);
const char *gate_severity_name(gate_severity s); /* "ok", "warning", "overridden", "refusal" */
/* One line per finding with severity >= min_sev ("  WARNING  check  course  file  where: msg"). */
void gate_print_findings(const gate_findings *f, gate_severity min_sev, FILE *out);

/* ---- interlock registry ------------------------------------------------------------------- */

typedef struct {
  const char *id;          /* the value of "interlock" in a case-file override */
  const char *applied_by;  /* module that applies it: "gate", "registration QA", ... */
  const char *allows;      /* what the override permits, and what rert then does */
} gate_interlock;

/* The registry (NULL-terminated). Modules that apply their own interlocks add a row in
 * src/gate/gate_interlocks.c so that one table decides which IDs are known. */
extern const gate_interlock gate_interlocks[];
const gate_interlock *gate_interlock_find(const char *id);

/* ---- object graph ------------------------------------------------------------------------- */

typedef enum {
  GATE_OBJ_CT = 0, GATE_OBJ_RTSTRUCT, GATE_OBJ_RTPLAN, GATE_OBJ_RTDOSE, GATE_OBJ_REG
} gate_obj_kind;

typedef struct {
  gate_obj_kind kind;
  int course;              /* course index, −1 for registrations */
  int reg;                 /* registration index for GATE_OBJ_REG, else −1 */
  int readable;            /* the header was read */
  rert_dicom_ident ident;  /* CT: of the first slice */
  char path[1024];         /* as listed (CT: the directory) */
  char summary[256];       /* e.g. "90 slices", "GY PHYSICAL PLAN", "PHOTON 1 group 35 fx" */
  char ref_series_uid[RERT_UID_LEN];   /* RTSTRUCT → CT series */
  char ref_plan_uid[RERT_UID_LEN];     /* RTDOSE → RTPLAN */
  char ref_struct_uid[RERT_UID_LEN];   /* RTPLAN → RTSTRUCT */
  char reg_fixed_for[RERT_UID_LEN], reg_moving_for[RERT_UID_LEN]; /* REG */
} gate_object;

/* ---- resolved course doses ---------------------------------------------------------------- */

#define GATE_MAX_PARTS 8

/* One fraction group's dose (or the whole course when it has one group): physical dose in Gy or
 * RBE-weighted dose in Gy(RBE) for the whole delivery of that group, with its fraction count. */
typedef struct {
  rert_volume dose;        /* on the course dose grid (all parts of a course share it) */
  int fractions;
  int group_number;        /* FractionGroupNumber in its plan, 0 = from the case file */
  char plan_label[96];     /* RTPlanLabel or file name */
  char how[256];           /* e.g. "FRACTION_SESSION x 35 fractions", "sum of 7 BEAM doses" */
  double prescription_gy;  /* of this group when the plan says so, NaN otherwise */
  double max_gy;           /* maximum of `dose` */
} gate_part;

typedef struct {
  int index;               /* course index in the case */
  int has_dose;            /* the course lists at least one RTDOSE and it resolved */
  rert_rtdose total;       /* sum of the parts on the course grid; ident/units/type/plan
                              reference of the course's first RTDOSE, summation PLAN or
                              MULTI_PLAN as applicable; dose.meta.fractions = total fractions */
  int nparts;
  gate_part parts[GATE_MAX_PARTS];
  int fractions;           /* Σ parts' fractions (= the plan's, checked against the case) */
  int bounded;             /* several groups but one PLAN-summed dose: the whole dose takes the
                              smallest group fraction count (override multigroup_plan_dose): an
                              upper bound of the EQD2, stated in every output */
  double rbe_factor;       /* 1, or the fixed RBE applied to a physical proton dose (override) */
  rbe_model rbe;           /* RBE model of the course dose as summed (the case's, or RBE_FIXED
                              after the physical_particle_dose override) */
  rert_modality plan_modality; /* from the RTPLAN(s); the case's when there is none */
  double plan_prescription_gy; /* from the RTPLAN(s), NaN when they state none */
  int nplans;
  char plan_uids[RERT_CASE_MAX_PLANS][RERT_UID_LEN];
  char dose_desc[512];     /* one line: how the course dose was formed */
} gate_course;

/* The course's dose must be converted per part (several fraction groups, or one group with
 * another fraction count than the course: the stated bound); else `total` in `fractions`. */
static inline int gate_course_uses_parts(const gate_course *gc) {
  return gc->nparts > 1 || (gc->nparts == 1 && gc->parts[0].fractions != gc->fractions);
}

typedef struct {
  gate_findings findings;
  int nobjects, capobjects;
  gate_object *objects;
  int ncourses;
  gate_course courses[RERT_CASE_MAX_COURSES];
  char patient_id[65];     /* DICOM PatientID shared by every object ("" when none read) */
  char patient_name[324];
  int nfor;                /* distinct frames of reference */
  char fors[2 * RERT_CASE_MAX_COURSES + 4][RERT_UID_LEN];
  int nstudies;
  char studies[2 * RERT_CASE_MAX_COURSES + 4][RERT_UID_LEN];
  int reference_course;    /* index of casefile_reference() */
} gate_result;

typedef enum {
  GATE_LEVEL_CASE = 0,     /* case-file checks only (overrides, dates, ids): no file is opened */
  GATE_LEVEL_IDENTITY,     /* + DICOM headers: patient, studies, frames, links, plans */
  GATE_LEVEL_FULL          /* + dose values and semantics; the course doses are resolved */
} gate_level;

typedef struct {
  gate_level level;
  int keep_doses;          /* GATE_LEVEL_FULL: keep gate_course.total/parts for the caller */
  int allow_computed_registration; /* courses in other frames without a registration are
                              registered by the caller from their CTs (the consult): a warning,
                              not a refusal, when both CTs are listed */
} gate_opts;

/* Run every check of `level` on the case. Returns RERT_OK when nothing was refused, RERT_EINPUT
 * with the first refusal in err otherwise (all findings are still in g), RERT_EINTERNAL on
 * out-of-memory. g must be freed with gate_free in every case. */
int gate_run(const rert_case *cs, const gate_opts *o, gate_result *g, rert_err *err);
void gate_free(gate_result *g);

/* The whole result as JSON: {"patient", "courses": [{id, objects, dose: {parts}}],
 * "registrations", "frames_of_reference", "studies", "findings", "counts", "overrides_applied"}. */
cJSON *gate_result_json(const gate_result *g, const rert_case *cs, int include_ok);
/* What a command's --json carries: {"findings": [non-ok findings], "overrides_applied": [...],
 * "counts": {...}}. */
cJSON *gate_checks_json(const gate_result *g);
/* "override $.overrides[0] same_patient: <reason>; ..." for every applied override ("" if none):
 * the note writers record in derived DICOM objects. */
void gate_overrides_note(const gate_result *g, char *buf, size_t n);
/* Human-readable object graph (tree) for `rert case check`. */
void gate_print_graph(const gate_result *g, const rert_case *cs, FILE *out);
/* One line per applied override and warning, for command outputs ("check: ..."), to `out`. */
void gate_print_notes(const gate_result *g, FILE *out);

/* Plausibility thresholds of the course dose against the plan's prescription
 * (data/dose_plausibility.json: named values with their rationale). */
typedef struct {
  double max_over_rx_high;  /* Dmax above this × prescription: implausible (refused) */
  double max_over_rx_low;   /* Dmax below this × prescription: implausible (refused) */
  char source[512];
} gate_plausibility;
int gate_plausibility_load(gate_plausibility *p, rert_err *err);

#endif
