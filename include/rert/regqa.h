/* regqa.h — registration QA that decides (AAPM TG-132, Brock et al., Med Phys 2017;44:e43):
 * the checks `rert regqa`, `rert register` and `rert consult` run on every registration,
 * computed or imported, and the verdict they give (docs/register.md "QA").
 *
 * Checks (each pass / warn / fail / not applicable / not evaluated, with one line of numbers):
 *  frames      frames of reference: a DICOM REG's registered/source frames are the reference
 *              and the moving course's; each course's CT and dose share a frame
 *  coverage    share of the region (reference dose grid inside BODY) where the field is defined
 *              and maps into the moving CT's field of view (fail < 95 %, warn < 99.5 %)
 *  folding     det J ≤ 0 anywhere in the region fails
 *  similarity  NCC, mean |ΔHU| and normalised mutual information inside BODY in the region for
 *              no registration, the rigid baseline and the field: a field that matches worse
 *              than rigid fails (the wrong-pair check)
 *  direction   the field against its own inverse used the same way: when the inverse explains
 *              the images better the field was exported the wrong way round (course 1 → 2
 *              instead of the pull-back) and fails
 *  contours    organs contoured in both courses: the moving course's contour carried by the
 *              field onto the reference grid against the reference contour, Dice and mean
 *              surface distance, rigid baseline beside it: worse than rigid fails, mean
 *              distance > 3 mm or Dice < 0.8 warns
 *  landmarks   POINT ROIs with the same name in both structure sets: target registration error
 *              |p + u(p) − q|; worse than rigid fails, mean > 2 mm warns
 * Overall: fail if any check fails; "not evaluated" when nothing ties the field to the anatomy
 * (no CTs, no common contours, no landmarks); otherwise warn or pass.
 */
#ifndef RERT_REGQA_H
#define RERT_REGQA_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "rert/register.h"

typedef enum {
  REG_QA_NOT_EVALUATED = 0, REG_QA_NA, REG_QA_PASS, REG_QA_WARN, REG_QA_FAIL
} reg_qa_status;
const char *reg_qa_status_name(reg_qa_status s); /* "not evaluated", "n/a", "pass", "warn", "fail" */

enum {
  REG_QA_FRAMES = 0, REG_QA_COVERAGE, REG_QA_FOLDING, REG_QA_SIMILARITY, REG_QA_DIRECTION,
  REG_QA_CONTOURS, REG_QA_LANDMARKS, REG_QA_NCHECKS
};

typedef struct {
  const char *id;          /* "frames", "coverage", ... */
  reg_qa_status status;
  char detail[400];        /* the numbers and the tolerance applied */
} reg_qa_check;

typedef struct { double ncc, mad_hu, nmi; size_t n; } reg_qa_sim;

typedef struct {
  char name[65];
  double volume_cc;        /* reference contour, inside the region's field of view */
  double dice_rigid, dice; /* rigid baseline, the field */
  double msd_rigid_mm, msd_mm; /* mean symmetric surface distance */
} reg_qa_contour;

typedef struct {
  char name[65];
  double fixed_mm[3], moving_mm[3];
  double tre_rigid_mm, tre_mm;
} reg_qa_point;

#define REG_QA_MAX_CONTOURS 48
#define REG_QA_MAX_POINTS 48

typedef struct {
  reg_qa_status overall;
  reg_qa_check check[REG_QA_NCHECKS];
  /* numbers behind the checks (NaN when not computed) */
  double coverage_field_pct, coverage_moving_pct;
  double detj_min, detj_max;
  size_t folded;
  reg_qa_sim sim_identity, sim_rigid, sim_field, sim_inverse;
  double deform_mean_mm;   /* mean |u − rigid| in the region */
  double rigid_fixed_to_moving[16];
  int rigid_computed;      /* the rigid baseline was registered here (not given) */
  int ncontours;
  reg_qa_contour contour[REG_QA_MAX_CONTOURS];
  double dice_mean, dice_rigid_mean, msd_mean_mm, msd_rigid_mean_mm; /* volume-weighted Dice */
  int npoints;
  reg_qa_point point[REG_QA_MAX_POINTS];
  double tre_mean_mm, tre_max_mm, tre_rigid_mean_mm;
  size_t region_voxels;
  /* dose-mapping uncertainty radius supported by this QA (NaN when nothing measured it) */
  double radius_mm;
  char radius_source[400];
} reg_qa_report;

typedef struct {
  const rert_vfield *field;          /* pull-back field (required) */
  const rert_volume *fixed_ct;       /* reference CT; NULL: image checks not evaluated */
  const rert_volume *moving_ct;      /* other course's CT; NULL: image checks not evaluated */
  /* Where doses are mapped: the geometry of `region` (e.g. the reference dose grid); its data,
   * when not NULL, marks the voxels that count (> 0). NULL: the field's own grid. */
  const rert_volume *region;
  /* Extent counted as imaged on the moving side (coverage) when there is no moving CT, e.g.
   * the moving dose grid; NULL: moving_ct. */
  const rert_volume *moving_extent;
  const double *rigid_fixed_to_moving; /* rigid baseline; NULL: registered here from the CTs */
  const rert_structure_set *ss_fixed, *ss_moving; /* NULL: no contour / landmark checks */
  /* frames of reference ("" or NULL = unknown) */
  const char *frame_fixed_ct, *frame_fixed_dose, *frame_moving_ct, *frame_moving_dose;
  const char *reg_frame_fixed, *reg_frame_moving; /* a DICOM REG's registered / source frames */
  int verbose;
} reg_qa_input;

typedef struct {
  double coverage_fail_pct;   /* 95 */
  double coverage_warn_pct;   /* 99.5 */
  double ncc_tol;             /* a field may lose this much NCC against rigid (0.02) */
  double mad_tol_rel;         /* ... and this much mean |ΔHU| (10 % + 2 HU) */
  double mad_tol_hu;
  double min_deform_mm;       /* below this mean |u − rigid| the direction check is n/a (1 mm) */
  double dice_drop_tol;       /* contours: Dice may drop this much against rigid (0.02) */
  double msd_rise_tol_mm;     /* ... and the mean distance rise this much (0.5 mm) */
  double msd_warn_mm;         /* 3 mm */
  double dice_warn;           /* 0.8 (organs ≥ 5 cc) */
  double tre_warn_mm;         /* 2 mm */
  double tre_rise_tol_mm;     /* 0.5 mm */
  double eval_mm;             /* contour evaluation grid spacing (1.5 mm) */
} reg_qa_opts;
void reg_qa_opts_default(reg_qa_opts *o);

/* Runs every check it has the inputs for. Fails only on bad input or out of memory; a failed
 * check is a result (rep->overall == REG_QA_FAIL). */
int reg_qa_run(const reg_qa_input *in, const reg_qa_opts *o, reg_qa_report *rep, rert_err *err);

/* The report as JSON {overall, checks: [{id, status, detail}], similarity: {...}, contours: [...],
 * landmarks: [...], radius_mm, radius_source}. */
cJSON *reg_qa_report_json(const reg_qa_report *r);
/* One line per check on f, each prefixed with `indent`. */
void reg_qa_report_print(const reg_qa_report *r, const char *indent, FILE *f);
/* "similarity, direction" — the ids of the failed checks (or "" when none). */
void reg_qa_failed_ids(const reg_qa_report *r, char *buf, size_t n);

#endif
