/* fieldcheck.h — is a deformation field fit to map dose? (issue 12 item 5; docs/register.md
 * "Field validity").
 *
 * The readers (rert/imageio.h for MetaImage/NIfTI, rert/dicomio.h for DICOM Deformable Spatial
 * Registration) already refuse fields whose header disagrees with their data, whose direction
 * is not orthonormal, or which hold a non-finite vector. What a reader cannot know is where the
 * field will be used: a field sampled outside its grid is extrapolated (the boundary vector is
 * repeated), which silently moves dose by an arbitrary amount. fieldcheck_coverage refuses a
 * field that does not cover the region the dose is evaluated in.
 */
#ifndef RERT_FIELDCHECK_H
#define RERT_FIELDCHECK_H

#include "rert/err.h"
#include "rert/rtdata.h"
#include "rert/volume.h"

/* Every voxel of `region` whose value is > 0 (the reference dose, or a warped map) must lie on
 * the field's grid: within half a voxel of its outermost nodes along each axis (where the
 * trilinear sampler interpolates rather than extrapolates). `world_to_field` (4×4 row-major, or
 * NULL = identity) maps a region position to the coordinates the field grid is defined in (for
 * a DICOM deformable registration: the inverse of the post-deformation matrix). Returns
 * RERT_EINPUT naming `field_path` and `region_path`, the number of uncovered voxels, their
 * largest value and their LPS bounding box; RERT_OK when covered. */
int fieldcheck_coverage(const rert_vfield *f, const double *world_to_field, const rert_volume *region,
                        const char *field_path, const char *region_path, rert_err *err);

/* Are the declared dimensions the data's? A field read with transposed dimensions (e.g. DimSize
 * "39 51 45" for data laid out as 51 × 39 × 45) holds the same number of values, so no size
 * check can see it, but its rows wrap at the wrong place and neighbouring vectors stop being
 * neighbours. The roughness R = Σ over the three axes of the mean |u(next voxel) − u(voxel)| is
 * computed for the declared layout and for the other five orders of the same three sizes; when
 * another order is markedly smoother (R < ½ of the declared layout's, and the declared R >
 * 0.01 mm) the dimensions are refused as transposed. A constant or noise-like field, for which
 * every layout is equally smooth, passes (transposing it would change nothing). `dims_name`
 * names the header field in the message (e.g. "DimSize", "GridDimensions (0064,0007)"). */
int fieldcheck_layout(const rert_vfield *f, const char *path, const char *dims_name, rert_err *err);

#endif
