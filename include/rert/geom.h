/* geom.h — structure masks: rasterising RTSTRUCT ROIs onto any grid as fractional occupancy,
 * structure volume / centroid / bounding box, boolean operations and margins.
 *
 * Shape convention (docs/dvh.md "Conventions"): an ROI is a stack of CLOSED_PLANAR contours.
 * Contours on the same plane are combined by the even-odd rule (holes, islands, overlapping
 * contours XOR). Each contour plane represents a slab that extends half-way to the neighbouring
 * contour planes, and half a contour spacing beyond the first and last plane ("half-slice end
 * caps", the convention of the Nelms et al. 2015 analytic DVH data sets and of most TPS). Half
 * a spacing is capped at half the ROI's typical (median) plane spacing so that a gap in the
 * stack (an organ absent on some slices) stays empty. A single-plane ROI gets the thickness
 * given in rert_raster_opts (default: the target grid spacing along the contour normal).
 *
 * Masks store occupancy in [0, 1] for the voxels of a sub-box of a reference grid (so a small
 * organ on a CT grid costs kilobytes, not the whole grid). Occupancy is the fraction of the
 * voxel's volume inside the shape, computed by scanline integration: exact along the scan
 * direction (intervals are split at voxel boundaries) and sampled at `supersample` rows per
 * voxel along the other two directions, in any grid orientation.
 */
#ifndef RERT_GEOM_H
#define RERT_GEOM_H

#include "rert/err.h"
#include "rert/rtdata.h"
#include "rert/volume.h"

typedef struct {
  rert_volume grid;   /* geometry of the reference grid; grid.data is always NULL */
  int lo[3];          /* grid index of the first voxel of the stored box */
  int n[3];           /* box dimensions; all 0 for an empty mask */
  float *frac;        /* n[0]·n[1]·n[2] occupancies in [0,1], i fastest within the box */
  double outside_cc;  /* volume of the shape that fell outside the grid when rasterised */
} rert_mask;

typedef struct {
  int supersample;            /* rows per voxel along the two sampled directions; 0 = 4, ≤ 64 */
  double slice_thickness_mm;  /* thickness of a single-plane ROI; 0 = grid spacing along normal */
} rert_raster_opts;

/* Analytic shape facts of an ROI (independent of any grid). */
typedef struct {
  double volume_cc;          /* Σ polygon area (even-odd) × slab thickness */
  double centroid_mm[3];     /* LPS */
  double bbox_lo_mm[3], bbox_hi_mm[3]; /* LPS axis-aligned box incl. end caps */
  int nplanes;               /* distinct contour planes */
  int ncontours_used;        /* closed planar contours with ≥ 3 points and non-zero area */
  int ncontours_skipped;     /* degenerate, open or point contours ignored */
  int nself_intersecting;    /* contours whose edges cross (kept; even-odd rule applies) */
  double plane_spacing_mm;   /* median spacing of contour planes (0 for one plane) */
  double normal[3];          /* unit contour-plane normal */
} rert_roi_info;

/* Shape facts computed from the contours (no grid). Fails for an ROI without usable contours
 * or with non-coplanar / non-parallel contours. default_thickness_mm is the slab of a
 * single-plane ROI (0 = 1 mm would be a guess, so single-plane ROIs then fail). */
int geom_roi_info(const rert_roi *roi, double default_thickness_mm, rert_roi_info *info,
                  rert_err *err);

/* Rasterise an ROI onto `grid` (only its geometry is used) as fractional occupancy. The part of
 * the shape outside the grid is reported in out->outside_cc. opt may be NULL. */
int geom_mask_from_roi(const rert_roi *roi, const rert_volume *grid, const rert_raster_opts *opt,
                       rert_mask *out, rert_err *err);
/* An empty mask (no voxels) on `grid`. */
int geom_mask_empty(const rert_volume *grid, rert_mask *out, rert_err *err);
/* A mask from a full-grid occupancy volume (values clamped to [0,1]; box cropped to >0). */
int geom_mask_from_volume(const rert_volume *occ, rert_mask *out, rert_err *err);
/* Expand to a full-grid float volume (meta.quantity = QTY_MASK). */
int geom_mask_to_volume(const rert_mask *m, rert_volume *out, rert_err *err);
int geom_mask_copy(const rert_mask *m, rert_mask *out, rert_err *err);
void geom_mask_free(rert_mask *m);

/* Occupancy at a grid index (0 outside the box or the grid). */
float geom_mask_at(const rert_mask *m, int i, int j, int k);
/* Σ occupancy × voxel volume, cc (inside the grid only; add outside_cc for the whole shape). */
double geom_mask_volume_cc(const rert_mask *m);
/* Occupancy-weighted centroid (LPS mm); RERT_EINPUT for an empty mask. */
int geom_mask_centroid_mm(const rert_mask *m, double c_mm[3], rert_err *err);
/* LPS axis-aligned box of the occupied voxels (voxel extents, not centres); RERT_EINPUT if empty. */
int geom_mask_bbox_mm(const rert_mask *m, double lo_mm[3], double hi_mm[3], rert_err *err);

/* Booleans on fractional occupancy (fuzzy-set rules): union max(a,b), intersection min(a,b),
 * difference min(a, 1−b). Both masks must be on the same grid geometry. out may alias neither. */
int geom_mask_union(const rert_mask *a, const rert_mask *b, rert_mask *out, rert_err *err);
int geom_mask_intersect(const rert_mask *a, const rert_mask *b, rert_mask *out, rert_err *err);
int geom_mask_subtract(const rert_mask *a, const rert_mask *b, rert_mask *out, rert_err *err);
/* Crop to a body/external mask (= intersection) and subtract an avoidance structure. */
#define geom_mask_crop geom_mask_intersect
/* Binary mask: 1 where occupancy ≥ level (0.5 = the usual "voxel centre inside" convention). */
int geom_mask_threshold(const rert_mask *a, double level, rert_mask *out, rert_err *err);

/* Margin in mm along the grid's i, j, k axes (for axial grids: R–L, A–P, I–S); positive grows,
 * negative shrinks (all three must have the same sign or be 0). Anisotropic margins grow by
 * the ellipsoid with these semi-axes (exact Euclidean distance transform, scaled per axis).
 * The input is binarised at 0.5 occupancy first; the result is binary. The box grows by the
 * margin, clipped to the grid (what would fall outside is lost and counted in outside_cc as 0:
 * margins are meant for targets well inside the image grid). */
int geom_mask_margin(const rert_mask *in, const double margin_mm[3], rert_mask *out,
                     rert_err *err);

#endif
