/* box_case.h — a small closed-form re-irradiation patient for the candidate comparison tests
 * (tests/test_compare*.c): box-shaped structures (contours on the dose-grid planes) and
 * piecewise-constant doses, written as real DICOM through rert's io writers with a case file.
 *
 * Geometry: one frame of reference and one dose grid for every course, 60 × 60 × 40 voxels of
 * 3 mm, voxel centres at −88.5 + 3i (x, y) and −58.5 + 3k (z) mm. Each structure is an
 * axis-aligned box; its contours lie on the grid's z planes within the box, so with the half-slice
 * end caps the represented solid reaches 1.5 mm beyond the outer planes. A dose region is a box
 * too (voxel centres inside it take its value; later regions win; elsewhere the course's
 * background). A region that encloses a structure by ≥ 1 voxel makes every trilinear value inside
 * that structure the region's value — the closed forms of the tests rest on this.
 */
#ifndef RERT_TEST_BOX_CASE_H
#define RERT_TEST_BOX_CASE_H

#include <stddef.h>

#include "rert/err.h"

#define BOX_MAX_REGIONS 16
#define BOX_MAX_COURSES 8

typedef struct {
  const char *name, *type;      /* ROIName, RTROIInterpretedType */
  double lo[3], hi[3];          /* mm */
} box_roi;

typedef struct {
  double lo[3], hi[3];
  double dose_gy;
} box_region;

typedef struct {
  const char *id, *role, *modality, *rbe_model, *technique; /* rbe_model NULL = not stated */
  int fractions;
  double prescription_gy;
  const char *start, *end;      /* YYYY-MM-DD */
  double background_gy;
  double grad_gy_per_mm[3];     /* added to every voxel: value + g·(x, y, z), clipped at 0 */
  int nregions;
  box_region region[BOX_MAX_REGIONS];
  const char *extra;            /* raw JSON members added to the course object, e.g. "\"let\":{...}" */
  int with_structures;          /* lists the structure set (the reference anatomy) */
  int no_dose;                  /* no RTDOSE in the case file */
} box_course;

/* The default structure set: External, GTV_rec (GTV), PTV (PTV), SpinalCord, A_Carotid_R,
 * Bone_Mandible, Parotid_L (ORGAN). Boxes in box_case.c; the helpers below return them. */
int box_nrois(void);
const box_roi *box_roi_get(int i);
const box_roi *box_roi_find(const char *name);
/* A region enclosing structure `name` with `margin_mm` all round (the tests' dose regions). */
box_region box_region_around(const char *name, double margin_mm, double dose_gy);

/* Write the case into dir (created): courseid/RD.dcm (+ RP.dcm), RS.dcm, case.json with
 * `root_extra` raw JSON members ("\"protocols\":[...]" etc.). Patient id BOX-1. */
int box_case_write(const char *dir, const box_course *c, int n, const char *root_extra, char *case_path,
                   size_t case_path_len, rert_err *err);
/* A scalar MetaImage on the case's dose grid: value(x, y, z) = a + g·(x, y, z) (mm). */
int box_write_linear_mha(const char *path, double a, const double g[3], rert_err *err);

#endif
