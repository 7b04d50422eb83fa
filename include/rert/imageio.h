/* imageio.h — MetaImage (.mha / .mhd+.raw) and NIfTI-1 (.nii / .nii.gz) reading and writing of
 * scalar volumes (rert_volume) and 3-component displacement fields (rert_vfield), so that rert
 * can exchange images and deformations with plastimatch, elastix/transformix, ITK-SNAP and 3D
 * Slicer (issue #3 / #5; conventions in docs/register.md "File formats").
 *
 * Coordinate conventions (the part peer tools get wrong most often):
 *  - rert works in DICOM patient coordinates, LPS mm, for both positions and vector components.
 *  - MetaImage (as written by ITK, plastimatch, elastix): Offset = LPS position of voxel 0,
 *    ElementSpacing = sx sy sz, TransformMatrix = 9 numbers whose first triplet is the LPS direction
 *    of increasing i, second of j, third of k — exactly rert's `dir` layout. Vector fields are
 *    ElementNumberOfChannels = 3, components LPS mm, interleaved per voxel. Read: MET_UCHAR/CHAR/
 *    SHORT/USHORT/INT/UINT/FLOAT/DOUBLE, little or big endian, ElementDataFile LOCAL or a raw file
 *    next to the .mhd; no compression (CompressedData = True is refused with a clear error).
 *    Written: MET_FLOAT, little endian, Offset/TransformMatrix/ElementSpacing as above.
 *  - NIfTI-1: positions are RAS in the file (sform preferred, then qform, then pixdim only);
 *    rert negates x and y to get LPS. Vector fields are 5-D (nx,ny,nz,1,3) with intent
 *    NIFTI_INTENT_VECTOR or DISPVECT. ITK (and therefore plastimatch and elastix) write the
 *    vector COMPONENTS in LPS even in NIfTI files (ITK does not flip vector values); rert follows
 *    ITK: components are read and written unchanged as LPS. See docs/register.md.
 * Format is chosen by the file extension (.mha, .mhd, .nii, .nii.gz; case-insensitive).
 * Writers are atomic (rert/fileio.h); readers never modify their input.
 */
#ifndef RERT_IMAGEIO_H
#define RERT_IMAGEIO_H

#include "rert/err.h"
#include "rert/rtdata.h"
#include "rert/volume.h"

typedef enum { IMAGEIO_FMT_UNKNOWN = 0, IMAGEIO_FMT_MHA, IMAGEIO_FMT_MHD, IMAGEIO_FMT_NIFTI } imageio_format;

/* Format from the file name extension. */
imageio_format imageio_format_of(const char *path);

/* Scalar volume (1 component); any stored type is converted to float. The volume's meta is
 * zeroed (the caller says what the numbers are). */
int imageio_read_volume(const char *path, rert_volume *v, rert_err *err);
int imageio_write_volume(const char *path, const rert_volume *v, rert_err *err);

/* 3-component displacement field, components LPS mm (see above), pull-back convention of
 * rert_vfield (rert/rtdata.h). A scalar file is refused. */
int imageio_read_vfield(const char *path, rert_vfield *f, rert_err *err);
int imageio_write_vfield(const char *path, const rert_vfield *f, rert_err *err);

/* Low level: read any image with up to 3 components per voxel into a float buffer
 * (ncomp interleaved, i fastest) and its geometry (in a volume with data = NULL). */
int imageio_read_any(const char *path, rert_volume *geom, int *ncomp, float **data, rert_err *err);
int imageio_write_any(const char *path, const rert_volume *geom, int ncomp, const float *data,
                      rert_err *err);

#endif
