/* casefile.h — the rert case file (schema "rert-case/1"): one JSON document per patient that
 * says who the patient is, the clinical facts the decision support needs, every course (prior
 * and planned) with its dates, modality, fractionation and DICOM objects, the registrations
 * between course frames, the structure-name map to TG-263, the recovery model per organ and the
 * protocols to check. docs/case-file.md is the user-facing description of every field.
 *
 * Design:
 *  - The loader validates the whole document and stops at the first problem with ONE line:
 *    (also: a key given twice in one object — cJSON would keep both silently — and prior courses
 *    dated after today are refused);
 *    "<file>: $.courses[1].fractions: expected an integer >= 1" (exit code 2, RERT_EINPUT).
 *  - Unknown keys are refused (typos must not silently drop a fact) except keys starting with
 *    "x_" (site extensions) and "comment".
 *  - Clinical facts are individually optional: unknown is a state, not a default. Booleans are
 *    tri-state (CASE_UNKNOWN/CASE_NO/CASE_YES), numbers are NaN when absent, integers −1.
 *    Each assessment states which facts it needs (clinical_require_* in clinical.h).
 *  - Paths in the file are relative to the directory of the case file; the loader resolves them
 *    (absolute paths are kept). Nothing in the case file is modified.
 *  - The parsed JSON is kept (rert_case.root) so modules can read their own x_ extensions.
 */
#ifndef RERT_CASEFILE_H
#define RERT_CASEFILE_H

#include <cjson/cJSON.h>

#include "rert/date.h"
#include "rert/err.h"
#include "rert/rbe.h"

#define RERT_CASE_SCHEMA "rert-case/1"
#define RERT_CASE_MAX_COURSES 16
#define RERT_CASE_MAX_POINTS 32
#define RERT_CASE_MAX_REGS 16
#define RERT_CASE_MAX_MAP 256
#define RERT_CASE_MAX_PROTOCOLS 16
#define RERT_CASE_PATH_LEN 1024
#define RERT_CASE_MAX_DOSES 64   /* RTDOSE files per course (per-beam exports) */
#define RERT_CASE_MAX_PLANS 8    /* RTPLAN files per course */
#define RERT_CASE_NAME_LEN 65

typedef enum { CASE_UNKNOWN = -1, CASE_NO = 0, CASE_YES = 1 } case_tri;

/* prior: delivered before; planned: the new course; candidate: one of several alternative plans for
 * the new course (VMAT, IMPT, carbon, ...), compared by `rert compare` on the same prior
 * accumulation (docs/compare.md). Candidates share the prior courses, the reference anatomy and
 * the registrations; each has its own RTPLAN/RTDOSE, modality, RBE model and fractionation. */
typedef enum { COURSE_PRIOR = 0, COURSE_PLANNED, COURSE_CANDIDATE } case_course_role;

/* One point dose of one course in one organ, for consults without DICOM. */
typedef struct {
  char organ[RERT_CASE_NAME_LEN];  /* TG-263 name */
  double dose_gy;                  /* as stated in `quantity` */
  char metric[16];                 /* "Dmax", "D0.03cc", "Dmean", ... */
  int is_eqd2;                     /* 0: physical/RBE-weighted dose of the course; 1: already EQD2 */
  double alpha_beta_gy;            /* for is_eqd2: the α/β it was computed with (NaN if absent) */
} case_point_dose;

typedef struct {
  char id[RERT_CASE_NAME_LEN];
  case_course_role role;
  int has_start_date, has_end_date;
  rert_date start_date, end_date;  /* first and last fraction */
  rert_modality modality;
  rbe_model rbe;
  char technique[32];              /* IMRT, VMAT, 3DCRT, SBRT, PBS, CIRT, BRACHY, ... */
  int fractions;                   /* >= 1 */
  int fractions_per_day;           /* 1 default */
  double interfraction_interval_h; /* NaN if not given (needed when fractions_per_day > 1) */
  double prescription_gy;          /* total prescribed dose, Gy or Gy(RBE) */
  case_tri elective_nodes;         /* elective nodal irradiation in this course */
  char systemic[64];               /* concurrent systemic therapy, "" = none/unknown */
  /* DICOM objects, resolved paths, "" when absent */
  char ct_dir[RERT_CASE_PATH_LEN];
  char ct_series_uid[65];          /* SeriesInstanceUID of the planning CT when ct_dir holds other
                                      images too (a flat export folder); "" = the only series */
  char rtstruct[RERT_CASE_PATH_LEN];
  char rtdose[RERT_CASE_PATH_LEN]; /* the first of rtdoses (compatibility; read doses through
                                      the DICOM gate, rert/gate.h, which combines all of them) */
  char rtplan[RERT_CASE_PATH_LEN]; /* the first of rtplans */
  /* $.courses[i].dicom.rtdose / .rtplan: a path or an array of paths (per-beam or per-fraction-
   * group doses, several plans of one course). Heap arrays owned by the case (casefile_free). */
  int nrtdose, nrtplan;
  char (*rtdoses)[RERT_CASE_PATH_LEN];
  char (*rtplans)[RERT_CASE_PATH_LEN];
  int npoints;
  case_point_dose points[RERT_CASE_MAX_POINTS];
  /* planned or candidate particle course (docs/compare.md): $.courses[i].let, the dose-averaged
   * LET map on the course's dose grid, and $.courses[i].variable_rbe (protons) */
  char let_path[RERT_CASE_PATH_LEN]; /* resolved path, "" = none: MetaImage/NIfTI or DICOM RTDOSE-like */
  char let_unit[16];                 /* "keV/um" (the only unit accepted) */
  char variable_rbe[32];             /* "" = fixed RBE; else a model of data/rbe.json variable_rbe_models */
  double variable_rbe_alpha_beta_gy; /* NaN = each voxel's tissue α/β (the accumulation's map) */
} case_course;

typedef enum { REG_RIGID = 0, REG_DEFORMABLE } case_reg_type;

typedef struct {
  char from[RERT_CASE_NAME_LEN];   /* course id whose frame is mapped (moving) */
  char to[RERT_CASE_NAME_LEN];     /* course id of the target frame (fixed) */
  case_reg_type type;
  char dicom[RERT_CASE_PATH_LEN];  /* DICOM REG / deformable REG file, "" if absent */
  char mha[RERT_CASE_PATH_LEN];    /* vector field (MetaImage), "" if absent */
  char engine[16];                 /* "builtin" | "itk" | "elastix": rert consult computes this
                                      deformable registration with that engine (no dicom/mha);
                                      "" = imported, or computed with the default engine when
                                      the case gives none */
} case_registration;

typedef struct {
  char local[RERT_CASE_NAME_LEN];
  char tg263[RERT_CASE_NAME_LEN];  /* "" = the file says null: this ROI is deliberately not used */
} case_name_pair;

/* $.structure_roles entry: the role of one local ROI, overriding RTROIInterpretedType and the
 * name (docs/case-file.md): GTV, CTV, ITV, PTV (target), ORGAN (organ at risk), NONE (unused). */
typedef struct {
  char local[RERT_CASE_NAME_LEN];
  char role[8];
} case_structure_role;

typedef struct {
  char organ[RERT_CASE_NAME_LEN];
  char model[64];                  /* recovery model name (recovery.h), "none" */
} case_recovery_entry;

/* One entry of $.overrides: a deliberate, reasoned departure from a default or an interlock.
 * Every entry is either applied by the module it names or refused (never just displayed):
 *  - OVERRIDE_INTERLOCK {"interlock": ID, "course": ID?, "object": PATH?, "reason": TEXT}
 *    allows the named interlock/check (IDs are the DICOM gate's and registration QA's; an ID no
 *    module knows is refused by the gate), optionally only for one course or one object;
 *  - OVERRIDE_STRUCTURE {"structure": TG263, "alpha_beta_gy": X?, "recovery": MODEL?,
 *    "reason": TEXT} sets one structure's α/β and/or recovery model everywhere (accumulate,
 *    budget, solver, toxicity, report). At least one of the two values is required. */
typedef enum { OVERRIDE_INTERLOCK = 0, OVERRIDE_STRUCTURE } case_override_kind;

typedef struct {
  case_override_kind kind;
  char json_path[32];              /* "$.overrides[3]" for messages */
  char reason[512];
  /* OVERRIDE_INTERLOCK */
  char interlock[64];
  char course[RERT_CASE_NAME_LEN]; /* "" = every course */
  char object[RERT_CASE_PATH_LEN]; /* resolved path, "" = every object */
  /* OVERRIDE_STRUCTURE */
  char structure[RERT_CASE_NAME_LEN];
  double alpha_beta_gy;            /* NaN = not overridden */
  char recovery[96];               /* "" = not overridden (recovery_model_get spec) */
} case_override;

#define RERT_CASE_MAX_OVERRIDES 64

typedef enum { SALVAGE_NONE = 0, SALVAGE_PLANNED, SALVAGE_DONE } case_salvage_status;

typedef struct {
  /* demographics and performance */
  double age_years;                /* NaN unknown */
  int ecog;                        /* 0–4, −1 unknown */
  double kps;                      /* 0–100, NaN unknown */
  /* tumour */
  char histology[48];              /* "squamous" or a non-squamous subtype (see docs) */
  int histology_squamous;          /* derived: 1 squamous, 0 non-squamous, −1 unknown */
  case_tri p16, ebv;
  char subsite[32];                /* oral_cavity, oropharynx, larynx, hypopharynx, nasopharynx, ... */
  char rT[8], rN[8];               /* recurrent stage, e.g. "rT3", "rN0" */
  double recurrence_size_cm, recurrence_volume_cc;
  int has_diagnosis_date, has_recurrence_date;
  rert_date diagnosis_date, recurrence_date;
  case_tri second_primary;         /* clinician judges the lesion a second primary */
  double recurrence_overlap_fraction; /* f of §7.3 when known without DICOM, NaN otherwise */
  char recurrence_extent[32];      /* "local", "regional", "locoregional", "" */
  case_tri rapid_progression;      /* KQ1 "rapid" recurrence */
  /* surgery */
  case_tri prior_surgery, neck_dissection, flap_reconstruction;
  case_tri resectable, accepts_surgery;
  case_tri acceptable_function;    /* resection with acceptable functional outcome */
  int has_salvage;                 /* salvage_surgery given (else salvage is unknown) */
  case_salvage_status salvage;     /* salvage resection at recurrence */
  char salvage_margins[16];        /* "negative", "close", "positive", "" */
  case_tri salvage_ene;            /* extranodal extension in the salvage specimen */
  /* organ dysfunction (MIRI/Tanvetyanon composite) */
  case_tri feeding_tube, tracheostomy, soft_tissue_defect;
  int charlson, ace27;             /* −1 unknown */
  case_tri distant_metastases;
  /* carotid and soft tissue */
  double carotid_encasement_deg;   /* NaN unknown */
  case_tri carotid_invasion;
  case_tri mucosal_ulceration, fistula, skin_invasion, deep_neck_infection;
  /* dental */
  char dental_status[16];          /* "good", "fair", "poor", "edentulous", "" */
  case_tri planned_extractions;
  /* goals and trial-relevant facts */
  char goals_of_care[16];          /* "curative", "palliative", "undecided", "" */
  case_tri pregnant, unresolved_prior_toxicity, other_cancer_5y, other_trial;
  case_tri consent_capable, accepts_cisplatin;
} case_clinical;

typedef struct {
  char path[RERT_CASE_PATH_LEN];   /* case file as given */
  char dir[RERT_CASE_PATH_LEN];    /* its directory (base of relative paths) */
  cJSON *root;                     /* parsed document, owned */
  /* patient */
  char patient_id[65];
  char patient_name[324];
  int has_birth_date;
  rert_date birth_date;
  char sex[17];
  int has_clinical;
  case_clinical clinical;
  int ncourses;
  case_course courses[RERT_CASE_MAX_COURSES];
  char reference_course[RERT_CASE_NAME_LEN]; /* "" = the planned course, else the last course */
  int nregistrations;
  case_registration registrations[RERT_CASE_MAX_REGS];
  int nmap;                        /* $.structure_map, in file order (no fixed limit) */
  case_name_pair *structure_map;
  int nroles;                      /* $.structure_roles, in file order */
  case_structure_role *structure_roles;
  char recurrence_roi[RERT_CASE_NAME_LEN];
  char recovery_default[64];       /* "none" if absent */
  int nrecovery;
  case_recovery_entry recovery[RERT_CASE_MAX_MAP];
  int nprotocols;
  char protocols[RERT_CASE_MAX_PROTOCOLS][64];
  const cJSON *overrides;          /* $.overrides array (borrowed from root) or NULL */
  int noverrides;                  /* typed entries of $.overrides, in file order */
  case_override override[RERT_CASE_MAX_OVERRIDES];
} rert_case;

/* Today's date for the "prior course in the future" check: the UTC date now, or the
 * environment variable RERT_TODAY (YYYY-MM-DD) when set (tests, re-running an archived case). */
rert_date casefile_today(void);

/* Load and validate a case file. On failure fills err with "<path>: $.json.path: expected ..."
 * and returns RERT_EINPUT; *c is then freed. */
int casefile_load(const char *path, rert_case *c, rert_err *err);
/* Validate an already parsed document; takes ownership of root on success AND on failure.
 * `path` is used in messages and to resolve relative paths (may be NULL: cwd). */
int casefile_parse(cJSON *root, const char *path, rert_case *c, rert_err *err);
void casefile_free(rert_case *c);

/* Course by id, NULL if absent. */
const case_course *casefile_course(const rert_case *c, const char *id);
/* The planned course (first with role planned), NULL if none. */
const case_course *casefile_planned_course(const rert_case *c);
/* Number of courses with role candidate. */
int casefile_ncandidates(const rert_case *c);
/* "prior", "planned", "candidate". */
const char *casefile_role_name(case_course_role r);
/* Reduce a case with candidates to the case of ONE new course: course `id` (a candidate, or the
 * planned course) becomes the planned course and every other candidate and planned course is
 * removed, together with its $.courses item in c->root (so site extensions found by index stay
 * aligned), the registrations that move or target it and the interlock overrides naming it. When
 * the reference course is removed, `id` takes its place: it inherits the reference anatomy
 * (ct_dir, rtstruct) it does not list itself, and registrations, overrides and reference_course
 * naming the old reference are re-pointed at `id` — valid only when `id` is in the reference's
 * frame of reference, which the caller checks (candidates_select_case, rert/candidates.h).
 * RERT_EINPUT naming the candidates when `id` is not one. */
int casefile_select_candidate(rert_case *c, const char *id, rert_err *err);
/* The reference course: reference_course if set, else the planned course, else the first
 * candidate, else the last course. */
const case_course *casefile_reference(const rert_case *c);
/* Most recent prior course (latest end date), NULL if none. */
const case_course *casefile_last_prior(const rert_case *c);
/* TG-263 name for a local structure name (map miss or null entry → returns the local name
 * itself). Structure-set ROIs are resolved by rert/structmap.h (structure_map, then the synonym
 * table), which is what every command uses; this is the structure_map part alone. */
const char *casefile_map_structure(const rert_case *c, const char *local);
/* The structure_map entry for a local ROI name (exact), NULL when absent; tg263 "" = null. */
const case_name_pair *casefile_structure_map_entry(const rert_case *c, const char *local);
/* The structure_roles role ("PTV", "ORGAN", "NONE", ...) of a local ROI name, NULL when absent. */
const char *casefile_structure_role(const rert_case *c, const char *local);
/* Recovery model name for an organ: per-organ entry, else the default ("none"). */
const char *casefile_recovery_model(const rert_case *c, const char *organ);
/* Interval in months (days / 30.4375) from the end of course `prior` to the start of the
 * reference course (or of the recurrence date when the reference has no start date). */
int casefile_interval_months(const rert_case *c, const case_course *prior, double *months,
                             rert_err *err);

const char *casefile_tri_name(case_tri t);

/* Every file and directory the case makes a command read (the case file itself, each course's
 * ct_dir/rtstruct/rtdose/rtplan, each registration's dicom/mha), for the output checks of
 * rert/fileio.h. Fills up to `max` borrowed pointers; returns the count. */
#define RERT_CASE_MAX_INPUTS (1 + 4 * RERT_CASE_MAX_COURSES + 2 * RERT_CASE_MAX_REGS)
int casefile_input_paths(const rert_case *c, const char **paths, int max);

/* The interlock override for `interlock` that applies to `course` (NULL/"" = any) and `object`
 * (resolved path, NULL/"" = any), NULL when none. An entry without course/object applies to all. */
const case_override *casefile_find_interlock_override(const rert_case *c, const char *interlock,
                                                      const char *course, const char *object);
/* The structure override for a TG-263 name (exact match), NULL when none. */
const case_override *casefile_find_structure_override(const rert_case *c, const char *structure); /* "unknown", "no", "yes" */

#endif
