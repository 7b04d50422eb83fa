/* phantom.h — the synthetic head-and-neck re-irradiation patient (`rert phantom`).
 *
 * A deterministic generator of a patient with two (optionally three) courses, written as real
 * DICOM through the io writers: planning CT, RTSTRUCT, RTDOSE and RTPLAN per course, the
 * ground-truth deformation between courses as a DICOM Deformable Spatial Registration and as a
 * MetaImage displacement field, and the case file (JSON) the consult reads. docs/phantom.md
 * describes the anatomy, doses, deformation and conventions.
 *
 * Everything is analytic, so tests can compare what is read back with closed forms:
 *  - anatomy: a table of primitives (ellipsoids, lofted ellipses, a half elliptic annulus) in
 *    COURSE-1 patient coordinates (LPS, mm);
 *  - course k ≥ 2 anatomy = course-1 anatomy pulled back through a known smooth map
 *    T_k(x) = c + S·(x − c) + Σ A_b·exp(−|x − p_b|² / 2σ_b²) (course-k point → course-1 point);
 *    the written field is u(x) = T(x) − x on the fixed (later course) grid: pull-back, as
 *    ITK/plastimatch/elastix (rert/rtdata.h rert_vfield);
 *  - targets of course k are defined in course-k coordinates;
 *  - dose of course k: per target level D = Dp·[(1 − b)·½erfc((d − δ)/(√2σ)) + b·e^{−max(d,0)/λ}]
 *    with d the (first-order) signed distance to the PTV surface, maximum over levels, 0 outside
 *    the body.
 * Same seed and size → byte-identical output (UIDs are derived from the seed, dates are fixed).
 */
#ifndef RERT_PHANTOM_H
#define RERT_PHANTOM_H

#include "rert/date.h"
#include "rert/err.h"
#include "rert/rtdata.h"

#define PHANTOM_MAX_COURSES 3
#define PHANTOM_MAX_ROIS 40
#define PHANTOM_MAX_KNOTS 12
#define PHANTOM_MAX_BUMPS 4
#define PHANTOM_MAX_LEVELS 2

typedef enum { PHANTOM_SMALL = 0, PHANTOM_CLINICAL } rert_phantom_size;

typedef enum { PRIM_ELLIPSOID = 0, PRIM_LOFT, PRIM_HALF_ANNULUS } rert_phantom_prim_kind;

/* One analytic solid. Volumes are closed form (phantom_prim_volume_mm3). */
typedef struct {
  rert_phantom_prim_kind kind;
  /* ELLIPSOID: centre, semi-axes along axis u (unit vector), v = normalise(ẑ × u) (or x̂ when
   * u ∥ ẑ), w = u × v. Volume 4/3·π·a·b·c. */
  double centre[3];
  double semi[3];
  double axis[3];
  /* LOFT: axial ellipses (centre cx, cy, semi-axes a along x, b along y) linear in z between
   * knots kz[0] < … < kz[n−1]; flat ends. Volume Σ π·h·(a0b0/3 + (a0b1 + a1b0)/6 + a1b1/3). */
  int nknots;
  double kz[PHANTOM_MAX_KNOTS], kcx[PHANTOM_MAX_KNOTS], kcy[PHANTOM_MAX_KNOTS];
  double ka[PHANTOM_MAX_KNOTS], kb[PHANTOM_MAX_KNOTS];
  /* HALF_ANNULUS (mandible): between the axial ellipses (semi[0], semi[1]) and
   * (inner_a, inner_b) around centre[0..1], anterior half (y ≤ centre[1]), z in [z0, z1].
   * Volume π·(a·b − ai·bi)/2·(z1 − z0). */
  double inner_a, inner_b, z0, z1;
} rert_phantom_prim;

/* One structure: union of disjoint parts. course = 0: anatomy (course-1 space, deformed into
 * every course); course = k: target of course k, defined in course-k space. */
typedef struct {
  char name[32];           /* TG-263 name */
  char type[12];           /* RTROIInterpretedType: EXTERNAL, ORGAN, GTV, CTV, PTV */
  unsigned char rgb[3];
  int course;
  int nparts;
  rert_phantom_prim part[2];
} rert_phantom_roi;

typedef struct {
  int nx, ny, nz;
  double spacing_mm[3];
  double origin_mm[3];     /* centre of voxel (0,0,0), identity direction */
} rert_phantom_grid;

typedef struct {
  int roi;                 /* index of the PTV in the ROI table */
  double dose_gy;          /* level dose (the prescription for the highest level) */
} rert_phantom_level;

typedef struct {
  char id[16];             /* course1, course2, … */
  rert_date ct_date, start_date, end_date;
  int fractions;
  double prescription_gy;
  char technique[16];
  int nlevels;
  rert_phantom_level level[PHANTOM_MAX_LEVELS];
  double sigma_mm, shoulder_mm, bath_fraction, bath_length_mm; /* dose fall-off */
  /* map course-k → course-1 (identity for course 1) */
  double scale_xy, scale_centre[2];
  int nbumps;
  double bump_centre[PHANTOM_MAX_BUMPS][3], bump_amp_mm[PHANTOM_MAX_BUMPS][3],
      bump_sigma_mm[PHANTOM_MAX_BUMPS];
  rert_phantom_grid ct, dose, field;
  int gtv_roi, ctv_roi, ptv_roi;
} rert_phantom_course;

typedef struct {
  unsigned long long seed;
  rert_phantom_size size;
  int ncourses;
  char patient_id[32], patient_name[64], patient_sex[4];
  rert_date birth_date;
  rert_phantom_course course[PHANTOM_MAX_COURSES];
  int nrois;
  rert_phantom_roi roi[PHANTOM_MAX_ROIS];
  double noise_hu;         /* CT noise amplitude (standard deviation, HU) */
} rert_phantom_model;

/* Everything written for one course. */
typedef struct {
  rert_image_series ct;
  rert_structure_set rtstruct;
  rert_rtdose rtdose;
  rert_rtplan rtplan;
} rert_phantom_course_data;

/* Fill the model for a seed, size and course count (2 or 3). */
int phantom_model_init(rert_phantom_model *m, unsigned long long seed, rert_phantom_size size,
                       int ncourses, rert_err *err);
/* Index of the ROI with this name, −1 if absent. */
int phantom_roi_index(const rert_phantom_model *m, const char *name);

/* Course-c point → course-1 point (T_c) and its inverse (fixed-point iteration, 1e-9 mm). */
void phantom_map_to_course1(const rert_phantom_model *m, int c, const double x[3], double y[3]);
void phantom_map_from_course1(const rert_phantom_model *m, int c, const double y[3], double x[3]);
/* Course `from` point → course `to` point (both 0-based). */
void phantom_map_between(const rert_phantom_model *m, int from, int to, const double x[3],
                         double y[3]);

/* Implicit value of a primitive at a point of its own space: < 0 inside, roughly mm. */
double phantom_prim_level(const rert_phantom_prim *p, const double x[3]);
double phantom_prim_volume_mm3(const rert_phantom_prim *p);
/* ROI implicit value at a point of course c (0-based) coordinates; < 0 inside. */
double phantom_roi_level(const rert_phantom_model *m, int roi, int c, const double x[3]);
/* Noise-free CT number (HU) at a course-1 point (the anatomy), and in course c. */
double phantom_hu_course1(const rert_phantom_model *m, const double y[3]);
/* Physical dose (Gy) of course c at a course-c point. */
double phantom_dose_gy(const rert_phantom_model *m, int c, const double x[3]);

/* Build course c (0-based) in memory; free with phantom_course_data_free. */
int phantom_build_course(const rert_phantom_model *m, int c, rert_phantom_course_data *out,
                         rert_err *err);
void phantom_course_data_free(rert_phantom_course_data *d);
/* Ground-truth registration from course `from` (moving) to course `to` (fixed, later course):
 * field on to's field grid, u(x) = map_between(to → from)(x) − x, identity pre/post matrices. */
int phantom_build_registration(const rert_phantom_model *m, int from, int to,
                               rert_deformable_registration *out, rert_err *err);

/* Deterministic DICOM UID for a label ("course1/ct/series", …): 2.25.<decimal of a 128-bit hash
 * of seed and label>. */
void phantom_uid(unsigned long long seed, const char *label, char out[RERT_UID_LEN]);

/* Write the whole patient under dir (created): see docs/phantom.md for the layout. */
int phantom_write(const rert_phantom_model *m, const char *dir, rert_err *err);
/* The same patient as an untidy export (`rert phantom --untidy`, docs/phantom.md): every object
 * in one flat folder DIR/export/ named by its SOP instance UID, per-beam RTDOSE for the delivered
 * courses, one RT Beams Treatment Record per session (with an interrupted and continued beam), an
 * unapproved alternative plan (with its own dose) beside the approved planned course, the
 * registrations as DICOM only, and a non-DICOM file; DIR/case.json is the hand-written case for
 * that export (what `rert case init DIR/export` must reproduce). */
int phantom_write_untidy(const rert_phantom_model *m, const char *dir, rert_err *err);
/* The case file (JSON) alone; paths relative to the case file's directory. */
int phantom_write_case(const rert_phantom_model *m, const char *path, rert_err *err);

/* ---- synthetic cohort (`rert phantom --cohort N`, phantom_cohort.c, docs/cohort.md) ----
 * N small cases with randomised anatomy, doses and intervals, outcomes drawn from a stated NTCP
 * model of a stated metric under a stated true recovery model: DIR/manifest.csv (the input of
 * `rert cohort run`), DIR/truth.json (the model, its parameters and each case's true metric and
 * probability) and DIR/cases/<id>/ (case.json + DICOM, or point doses). */
typedef struct {
  int n;
  unsigned long long seed;
  const char *organ;     /* endpoint organ: Brainstem, SpinalCord, Parotid_L, A_Carotid_L */
  const char *metric;    /* Dmax or Dmean (cumulative EQD2 at the organ's alpha/beta) */
  int probit;            /* 0 logistic, 1 probit (LKB) */
  double td50_gy, gamma50;
  const char *recovery;  /* true recovery model (recovery_model_get spec) */
  const char *endpoint;  /* toxicity endpoint name in the manifest */
  int points;            /* point-dose cases instead of DICOM */
} phantom_cohort_opts;

int phantom_cohort_write(const phantom_cohort_opts *o, const char *dir, rert_err *err);

#endif
