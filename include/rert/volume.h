/* volume.h — a 3-D float grid in DICOM patient coordinates (LPS, mm), the one image/dose type
 * every rert module shares (io, geom, dvh, register, accumulate).
 *
 * Geometry: voxel (i, j, k) has its centre at  origin + i·sx·u + j·sy·v + k·sz·w  where
 * u = dir[0..2] (direction of increasing column index i, = first ImageOrientationPatient
 * triplet), v = dir[3..5] (increasing row index j, second triplet) and w = dir[6..8] (increasing
 * slice index k; u×v for a right-handed stack). Storage is i fastest: idx = i + nx·(j + ny·k).
 * Values are float; doses are Gy (or Gy(RBE)) as stated by `meta`.
 */
#ifndef RERT_VOLUME_H
#define RERT_VOLUME_H

#include <stddef.h>

#include "rert/dosemeta.h"
#include "rert/err.h"

typedef struct {
  int nx, ny, nz;
  double origin_mm[3];
  double spacing_mm[3];
  double dir[9];
  float *data;
  rert_dose_meta meta;
} rert_volume;

/* Allocate data (zeroed) for the geometry already set in v; identity dir if dir is all zero. */
int volume_alloc(rert_volume *v, rert_err *err);
/* Allocate a volume with the same geometry as `like` (data zeroed, meta copied). */
int volume_alloc_like(rert_volume *v, const rert_volume *like, rert_err *err);
/* A copy of src (geometry, meta and data) in v. */
int volume_copy(rert_volume *v, const rert_volume *src, rert_err *err);
void volume_free(rert_volume *v);
size_t volume_count(const rert_volume *v);
void volume_set_identity_dir(rert_volume *v);

/* Continuous index (i, j, k) → LPS mm and back (inverse uses the orthonormalised dir). */
void volume_index_to_world(const rert_volume *v, const double ijk[3], double xyz_mm[3]);
void volume_world_to_index(const rert_volume *v, const double xyz_mm[3], double ijk[3]);
/* Trilinear value at a world point; returns `outside` beyond the outermost voxel centres
 * (half a voxel of clamping is allowed so the boundary voxels are fully usable). */
float volume_sample_trilinear(const rert_volume *v, const double xyz_mm[3], float outside);
/* Same at a continuous index (i, j, k) — for callers that already work in index space. */
float volume_sample_index(const rert_volume *v, const double ijk[3], float outside);
/* Same geometry (dims, origin, spacing, dir within 1e-4 mm / 1e-6). */
int volume_same_geometry(const rert_volume *a, const rert_volume *b);
void volume_minmax(const rert_volume *v, float *mn, float *mx);
/* Every voxel multiplied by f (a no-op when f is 1 or the volume has no data). */
void volume_scale(rert_volume *v, double f);

#endif
