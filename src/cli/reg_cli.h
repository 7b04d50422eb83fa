/* reg_cli.h — shared input handling of the register / warp / regqa commands: load an image
 * (MetaImage, NIfTI; DICOM series or RTDOSE when the io module provides them), load a
 * deformation (vector-field file), resample a mask onto a grid, derive output names. */
#ifndef RERT_REG_CLI_H
#define RERT_REG_CLI_H
#include "rert/register.h"

int regcli_load_image(const char *path, rert_volume *v, rert_err *err);
int regcli_load_field(const char *path, const rert_volume *like, rert_vfield *f, rert_err *err);
/* Nearest-neighbour resampling of a mask (nonzero inside) onto `grid`'s geometry. */
int regcli_mask_on(const rert_volume *mask, const rert_volume *grid, rert_volume *out, rert_err *err);
/* A mask on `grid`: either an image file (nonzero inside; nearest-neighbour resampled) or
 * "RTSTRUCT.dcm:ROI" (the ROI rasterised onto the grid by geom, occupancy ≥ 0.5 inside). */
int regcli_load_mask(const char *spec, const rert_volume *grid, rert_volume *out, rert_err *err);
/* An RTSTRUCT (the QA compares both courses' contours and POINT landmarks). */
int regcli_load_rtstruct(const char *path, rert_structure_set *ss, rert_err *err);
/* regcli_load_image that also returns the DICOM frame of reference UID ("" for MetaImage/NIfTI). */
int regcli_load_image_frame(const char *path, rert_volume *v, char frame[RERT_UID_LEN], rert_err *err);
/* The registered and source frames of a DICOM (deformable) spatial registration; "" otherwise. */
void regcli_field_frames(const char *path, char fixed[RERT_UID_LEN], char moving[RERT_UID_LEN]);
/* v's extent at a spacing of at least h mm per axis (same origin and directions). */
void regcli_coarse_geometry(const rert_volume *v, double h, rert_volume *g);
/* Axis-aligned world (LPS mm) bounding box of the voxel centres of v. */
void regcli_world_box(const rert_volume *v, double lo[3], double hi[3]);
/* The field read from `path` (f: as regcli_load_field returned it; a DICOM deformable
 * registration is re-read to check its own grid) covers every voxel of `region` with a value
 * > 0 (rert/fieldcheck.h). */
int regcli_check_coverage(const char *path, const rert_vfield *f, const rert_volume *region,
                          const char *region_name, rert_err *err);
/* The file part of a --mask spec ("RS.dcm:ROI" → "RS.dcm"; an image path unchanged). */
void regcli_mask_file(const char *spec, char *buf, size_t n);
/* "<out without .mha/.mhd/.nii/.nii.gz><suffix>" */
void regcli_derive(const char *out, const char *suffix, char *buf, size_t n);
#endif
