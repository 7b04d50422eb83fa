/* geom.h — structure masks: rasterising RTSTRUCT ROIs onto any grid as fractional occupancy,
 * structure volume / centroid / bounding box, boolean operations and margins; the image slices
 * contours stand for, and the per-contour findings (degenerate, non-planar, self-intersecting
 * contours, gaps) with the rule applied to each.
 *
 * Shape convention (docs/dvh.md "Conventions"): an ROI is a stack of CLOSED_PLANAR contours.
 * Contours on the same plane are combined by the even-odd rule (holes, islands, overlapping and
 * self-intersecting contours XOR). Each contour stands for the IMAGE SLICE it was drawn on: its
 * slab reaches half-way to the neighbouring image slices (half-slice end caps, the convention
 * of the Nelms et al. 2015 analytic DVH data sets and of most TPS). Consecutive contour planes
 * with no image slice between them touch (each reaches half-way to the other); image slices
 * without a contour between two contour planes are a GAP and stay empty — a sparse ROI is not
 * extruded across it. The image slices come from the referenced CT when the caller knows it
 * (rert_slice_geom from geom_slices_from_image), else they are inferred from the contour planes
 * of the whole structure set (geom_slices_infer), and the source is reported.
 *
 * Masks store occupancy in [0, 1] for the voxels of a sub-box of a reference grid (so a small
 * organ on a CT grid costs kilobytes, not the whole grid). Occupancy is the fraction of the
 * voxel's volume inside the shape, computed by scanline integration: exact along the scan
 * direction (intervals are split at voxel boundaries) and sampled at `supersample` rows per
 * voxel along the other two directions, in any grid orientation.
 *
 * No fixed limits: any number of ROIs, contours per ROI and points per contour.
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

/* ---- image slices: what a contour's slab is ---------------------------------------------- */
typedef enum {
  GEOM_SLICES_NONE = 0,   /* unknown: single-plane ROIs take the caller's default thickness */
  GEOM_SLICES_IMAGE,      /* positions of the referenced image series (CT): exact */
  GEOM_SLICES_LATTICE,    /* inferred: every gap between the structure set's contour planes is a
                             whole multiple of the smallest, so the slices are that lattice */
  GEOM_SLICES_IRREGULAR   /* inferred: contour planes not on one lattice; a gap wider than 1.5 ×
                             the median plane spacing is a gap (the rule before the CT was known) */
} rert_slices_source;

typedef struct {
  rert_slices_source source;
  double normal[3];          /* unit slice normal (LPS) */
  int npos;                  /* IMAGE, LATTICE: slice positions along `normal`, ascending */
  double *pos_mm;            /* owned (geom_slices_free) */
  char (*sop_uids)[RERT_UID_LEN]; /* IMAGE: SOPInstanceUID of each position (or NULL), owned */
  double spacing_mm;         /* median slice spacing (IRREGULAR: of the contour planes) */
  int nplanes;               /* LATTICE, IRREGULAR: distinct contour planes the inference saw */
  char note[256];            /* where the slices came from, one line for reports */
} rert_slice_geom;

/* Slices of an image series (the CT the structure set was drawn on): positions of its k planes
 * along its slice normal, and their SOP instance UIDs when the series has them (to check each
 * contour's ContourImageSequence reference). An unevenly spaced series that the reader
 * resampled keeps the resampled positions, and the note says so. */
int geom_slices_from_image(const rert_image_series *s, rert_slice_geom *out, rert_err *err);
/* Slices from known positions along `normal` (any order; e.g. ImagePositionPatient · normal of
 * each CT slice read from the headers), with their SOP instance UIDs when known (may be NULL):
 * source IMAGE. Fails for fewer than one position or a zero normal. */
int geom_slices_from_positions(const double *pos_mm, int n, const double normal[3],
                               const char (*sop_uids)[RERT_UID_LEN], rert_slice_geom *out,
                               rert_err *err);
/* Infer the slices from the contour planes of a whole structure set (every ROI passed; contours
 * of the most common orientation): the union of their plane positions, completed to a lattice
 * when every gap is a whole multiple of the smallest one (LATTICE), else IRREGULAR. With fewer
 * than two distinct planes the source is NONE. Never fails except for lack of memory. */
int geom_slices_infer(const rert_roi *const *rois, int nrois, rert_slice_geom *out, rert_err *err);
void geom_slices_free(rert_slice_geom *s);
int geom_slices_copy(const rert_slice_geom *in, rert_slice_geom *out, rert_err *err);
/* "image series", "inferred (contour-plane lattice)", "inferred (irregular contour planes)",
 * "unknown" */
const char *geom_slices_source_name(rert_slices_source s);

/* ---- findings: what was wrong with a contour and what rert did about it --------------------- */
typedef enum {
  GEOM_PROBLEM_NO_CONTOURS = 0, /* the ROI has no contour data */
  GEOM_PROBLEM_NO_VOLUME,       /* no contour encloses an area: the ROI has no volume */
  GEOM_PROBLEM_NOT_CLOSED,      /* POINT / OPEN_PLANAR / OPEN_NONPLANAR: not a volume */
  GEOM_PROBLEM_FEW_POINTS,      /* CLOSED_PLANAR with fewer than 3 points */
  GEOM_PROBLEM_ZERO_AREA,       /* ≥ 3 points enclosing no area (collinear or repeated) */
  GEOM_PROBLEM_NOT_FINITE,      /* a coordinate is NaN, infinite or beyond 100 m */
  GEOM_PROBLEM_NOT_PARALLEL,    /* plane tilted more than 2.6° from the ROI's stack */
  GEOM_PROBLEM_NON_PLANAR,      /* points more than 0.5 mm off the contour's plane */
  GEOM_PROBLEM_SELF_INTERSECTING, /* two edges of the contour cross */
  GEOM_PROBLEM_OVERLAP,         /* the contour crosses another contour of its plane */
  GEOM_PROBLEM_DUPLICATE,       /* same outline as another contour of its plane */
  GEOM_PROBLEM_OFF_SLICE,       /* the plane is not on an image slice */
  GEOM_PROBLEM_REF_MISMATCH,    /* ContourImageSequence names an image elsewhere / not in the series */
  GEOM_PROBLEM_GAP,             /* image slices without contour between two contour planes */
  GEOM_PROBLEM_SLICES_UNKNOWN   /* slab thickness from a fallback (no image slices known) */
} rert_geom_problem;

typedef enum {
  GEOM_RULE_NONE = 0,        /* informational */
  GEOM_RULE_IGNORED,         /* not a volume contour: left out, nothing lost */
  GEOM_RULE_EXCLUDED,        /* left out of the volume */
  GEOM_RULE_PROJECTED,       /* points projected onto the contour's plane (median position) */
  GEOM_RULE_EVEN_ODD,        /* even-odd rule: inside where a ray crosses the plane's edges an odd
                                number of times */
  GEOM_RULE_GAP_EMPTY,       /* the slices between stay empty (not extruded) */
  GEOM_RULE_LOCAL_SPACING,   /* slab from the spacing of the slices around the plane */
  GEOM_RULE_DEFAULT_THICKNESS, /* slab from the caller's default thickness */
  GEOM_RULE_NOT_COMPUTED     /* the ROI has no volume: its DVH and metrics are not computed */
} rert_geom_rule;

typedef enum {
  GEOM_SEV_INFO = 0,   /* documented convention; nothing of the drawn structure is lost */
  GEOM_SEV_WARNING,    /* a rule decided the shape (or dropped an outline without area) */
  GEOM_SEV_ERROR       /* part of the drawn structure could not be used: results incomplete */
} rert_geom_severity;

typedef struct {
  int contour;               /* 0-based index in roi->contours; −1 for the whole ROI */
  rert_geom_problem problem;
  rert_geom_rule rule;
  rert_geom_severity severity;
  char detail[160];          /* one line, e.g. "2 points", "point 7 is 12.30 mm off its plane" */
} rert_geom_finding;

typedef struct {
  int n, cap;
  rert_geom_finding *items;  /* owned (geom_findings_free) */
  int nwarnings, nerrors;
} rert_geom_findings;

void geom_findings_free(rert_geom_findings *f);
int geom_findings_copy(const rert_geom_findings *in, rert_geom_findings *out, rert_err *err);
const char *geom_problem_name(rert_geom_problem p);   /* "fewer than 3 points", ... */
const char *geom_rule_name(rert_geom_rule r);         /* "excluded from the volume", ... */
const char *geom_severity_name(rert_geom_severity s); /* "info", "warning", "error" */

typedef struct {
  int supersample;            /* rows per voxel along the two sampled directions; 0 = 4, ≤ 64 */
  double slice_thickness_mm;  /* thickness of a single-plane ROI when no slices are known;
                                 0 = grid spacing along the normal */
  const rert_slice_geom *slices; /* image slices (NULL: inferred from this ROI's own planes) */
} rert_raster_opts;

/* Analytic shape facts of an ROI (independent of any grid). */
typedef struct {
  double volume_cc;          /* Σ polygon area (even-odd) × slab thickness */
  double centroid_mm[3];     /* LPS */
  double bbox_lo_mm[3], bbox_hi_mm[3]; /* LPS axis-aligned box incl. end caps */
  int nplanes;               /* distinct contour planes */
  int ncontours_used;        /* closed planar contours that enclose an area, in the volume */
  int ncontours_skipped;     /* contours left out (findings say which and why) */
  int nself_intersecting;    /* contours whose edges cross (kept; even-odd rule applies) */
  double plane_spacing_mm;   /* median spacing of contour planes (0 for one plane) */
  double normal[3];          /* unit contour-plane normal */
  rert_slices_source slices_source; /* where the slab thicknesses came from */
  double slice_spacing_mm;   /* median image-slice spacing used (0 if unknown) */
  int ngaps;                 /* gaps between contour planes left empty */
} rert_roi_info;

/* Shape facts computed from the contours (no grid). Fails for an ROI without usable contours.
 * default_thickness_mm is the slab of a single-plane ROI when no slices are known (0 = 1 mm
 * would be a guess, so single-plane ROIs then fail). Slices are inferred from the ROI alone. */
int geom_roi_info(const rert_roi *roi, double default_thickness_mm, rert_roi_info *info,
                  rert_err *err);

typedef struct {
  double default_thickness_mm;    /* as geom_roi_info */
  const rert_slice_geom *slices;  /* NULL: inferred from this ROI's own planes */
} rert_geom_opts;

/* The same with the image slices, and every finding (may be NULL). Fails (RERT_EINPUT) for an
 * ROI without usable contours, after recording why in `findings`. */
int geom_roi_info_ex(const rert_roi *roi, const rert_geom_opts *opt, rert_roi_info *info,
                     rert_geom_findings *findings, rert_err *err);

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
