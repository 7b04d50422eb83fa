/* phantom_internal.h — shared between the phantom's source files only (not public API). */
#ifndef RERT_PHANTOM_INTERNAL_H
#define RERT_PHANTOM_INTERNAL_H

#include "rert/phantom.h"

/* Order of the anatomy ROIs in the model table (phantom_model.c anatomy()). */
enum {
  PH_EXTERNAL = 0, PH_CORD, PH_BRAINSTEM, PH_PAROTID_L, PH_PAROTID_R, PH_MANDIBLE, PH_CAROTID_L,
  PH_CAROTID_R, PH_OPTNRV_L, PH_OPTNRV_R, PH_CHIASM, PH_BP_L, PH_BP_R, PH_LARYNX, PH_COCHLEA_L,
  PH_COCHLEA_R, PH_NANATOMY
};

/* Closed planar contours of ROI `roi` on the axial plane z of course c, traced by marching
 * squares on the implicit value sampled every step_mm over [x0,x1]×[y0,y1]. Appends to
 * *contours (realloc'd), counter-clockwise seen from +z, vertices in mm. */
int phantom_contour_slice(const rert_phantom_model *m, int roi, int c, double z, double step_mm,
                          const double box[4], rert_contour **contours, int *ncontours,
                          rert_err *err);



/* T_c on a regular axis-aligned grid: the Gaussian bumps are separable, so per-axis factor
 * tables make the map a few multiply-adds per voxel (identical to phantom_map_to_course1 up to
 * rounding). */
typedef struct {
  int nb;
  double *fx, *fy, *fz; /* nb × n{x,y,z} */
  int nx, ny, nz;
} phantom_grid_map;
int phantom_grid_map_init(const rert_phantom_model *m, int c, const rert_phantom_grid *g,
                          phantom_grid_map *gm, rert_err *err);
void phantom_grid_map_apply(const rert_phantom_model *m, int c, const rert_phantom_grid *g,
                            const phantom_grid_map *gm, int i, int j, int k, double y[3]);
void phantom_grid_map_free(phantom_grid_map *gm);

/* Output layout (relative to the output directory), shared by the writer and the case file. */
typedef struct {
  char ct_dir[64], rtstruct[64], rtdose[64], rtplan[64];
} phantom_course_paths;
typedef struct {
  char dicom[96], mha[96];
} phantom_reg_paths;
void phantom_paths_course(const rert_phantom_model *m, int c, phantom_course_paths *p);
void phantom_paths_registration(const rert_phantom_model *m, int from, int to,
                                phantom_reg_paths *p);
/* Axial box [x0, x1, y0, y1] and z range that contain ROI r in course c's coordinates (padded by
 * the largest displacement the deformation can make), and the ROI's smaller in-plane width. */
void phantom_roi_box(const rert_phantom_model *m, int r, int c, double box[4], double zr[2],
                     double *width_mm);

/* The case file of the tidy layout as a cJSON tree (phantom_case.c); the untidy export
 * (phantom_untidy.c) rewrites its DICOM paths. Caller frees. */
#include <cjson/cJSON.h>
cJSON *phantom_case_json(const rert_phantom_model *m);
/* ContentDate/Time of the objects written next: date d at 12:00 UTC (SOURCE_DATE_EPOCH). */
void phantom_set_write_time(rert_date d);
/* The untidy export (rert phantom --untidy, docs/phantom.md) under root: root/export/ (every
 * object in one flat folder, files named by SOP instance UID) and root/case.json. */
#include "rert/dicomio.h"
int phantom_untidy_fill(const rert_phantom_model *m, const char *root, const io_write_opts *wo,
                        rert_err *err);
#endif
