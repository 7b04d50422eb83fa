/* register.h — deformation fields, rigid and deformable image registration, dose/structure
 * mapping and registration QA (issue #5; AAPM TG-132 quantities; docs/register.md).
 *
 * THE CONVENTION (same as rert_vfield in rert/rtdata.h, ITK, plastimatch, elastix):
 *
 *      FIXED image F (reference anatomy, the grid we report on)      MOVING image M (other course)
 *      x  ──────────────── x + u(x) ───────────────────────────────▶  y = x + u(x)
 *
 *   A field u lives on the FIXED grid and PULLS: for fixed point x the corresponding moving
 *   point is y = x + u(x). Write T: moving → fixed for the physical mapping of tissue; then
 *   T⁻¹(x) = x + u(x), and a moving-course dose D2 mapped onto the fixed anatomy is
 *   D2(T⁻¹(x)) = D2(x + u(x))  (reg_warp_volume). Vectors are LPS mm.
 *   Rigid matrices (4x4 row-major, homogeneous, LPS mm) are named by what they map:
 *   `m_fixed_to_moving` maps fixed points to moving points (pull-back); DICOM REG matrices map
 *   moving (source) → fixed (registered) and are inverted by reg_vfield_from_dicom_rigid.
 *
 * Prefix reg_ ("register" is a C keyword). All functions return RERT_OK or an error code and
 * fill rert_err; outputs are allocated by the callee and released with rtdata_free_vfield /
 * volume_free.
 */
#ifndef RERT_REGISTER_H
#define RERT_REGISTER_H

#include <stddef.h>

#include "rert/err.h"
#include "rert/rtdata.h"
#include "rert/volume.h"

/* ---------------- field basics ---------------- */

/* Allocate a zero field with the geometry of `like` (dims, origin, spacing, dir). */
int reg_vfield_alloc_like(rert_vfield *f, const rert_volume *like, rert_err *err);
/* Allocate a zero field with the geometry already set in f (identity dir if all zero). */
int reg_vfield_alloc(rert_vfield *f, rert_err *err);
size_t reg_vfield_count(const rert_vfield *f);
/* Geometry of the field as a volume header (data = NULL) for index/world conversions. */
void reg_vfield_geometry(const rert_vfield *f, rert_volume *geom);
/* u sampled (trilinear, border values beyond its grid) on the geometry of `like`. */
int reg_vfield_resample(const rert_vfield *u, const rert_volume *like, rert_vfield *out, rert_err *err);
/* Trilinear displacement at world point x (LPS mm). Outside the grid the nearest boundary
 * value is used (displacements extrapolate as constants); returns 1 inside, 0 outside. */
int reg_vfield_sample(const rert_vfield *f, const double x_mm[3], double u_mm[3]);

/* ---------------- rigid transforms ---------------- */

/* y = M·x for a 4x4 row-major homogeneous matrix. */
void reg_affine_apply(const double m[16], const double x[3], double y[3]);
/* Inverse of a 4x4 affine (last row 0 0 0 1); RERT_EINPUT if singular. */
int reg_affine_invert(const double m[16], double inv[16], rert_err *err);
/* c = a·b (apply b first, then a). */
void reg_affine_mul(const double a[16], const double b[16], double c[16]);
/* u(x) = M(x) − x on f's (already allocated) grid, M = fixed → moving. */
void reg_vfield_set_affine(rert_vfield *f, const double m_fixed_to_moving[16]);
/* A DICOM Spatial Registration (matrix moving → fixed) as a pull-back field on `like`'s grid. */
int reg_vfield_from_dicom_rigid(const rert_rigid_registration *r, const rert_volume *like,
                                rert_vfield *out, rert_err *err);
/* A DICOM Deformable Spatial Registration as a pull-back field on `like`'s grid: for fixed x,
 * moving y = Pre⁻¹(z + d(z)) with z = Post⁻¹(x) (DICOM matrices map source → registered; the
 * grid "samples the source into the registered RCS", PS3.3 A.39.2). */
int reg_vfield_from_dicom_deformable(const rert_deformable_registration *r, const rert_volume *like,
                                     rert_vfield *out, rert_err *err);

/* ---------------- field algebra ---------------- */

/* out on a's grid: first a, then b:  x → x + a(x) → (x + a(x)) + b(x + a(x)). */
int reg_vfield_compose(const rert_vfield *a, const rert_vfield *b, rert_vfield *out, rert_err *err);
/* Field then affine:  out(x) = M(x + u(x)) − x   (e.g. an extra rigid step on the moving side). */
int reg_vfield_compose_affine(const rert_vfield *u, const double m[16], rert_vfield *out,
                              rert_err *err);
/* Inverse field on `grid_like`'s grid (may be the moving image): w with
 * w(y) = −u(y + w(y)), by fixed-point iteration. Reports the max and mean residual
 * |w(y) + u(y + w(y))| in mm over points whose pre-image lies inside u's grid. */
typedef struct {
  int iterations;
  double tol_mm;          /* stop when max residual < tol (default 0.01) */
} reg_invert_opts;
typedef struct {
  int iterations_done;
  double max_residual_mm, mean_residual_mm;
} reg_invert_report;
int reg_vfield_invert(const rert_vfield *u, const rert_volume *grid_like, const reg_invert_opts *o,
                      rert_vfield *w, reg_invert_report *rep, rert_err *err);

/* Jacobian determinant of x ↦ x + u(x) at every voxel (central differences, one-sided at the
 * border), as a volume on u's grid. */
int reg_vfield_jacobian(const rert_vfield *u, rert_volume *detj, rert_err *err);
/* Inverse-consistency error |u(x) + w(x + u(x))| per voxel of u's grid (w: the reverse field,
 * on the moving grid). */
int reg_vfield_ice(const rert_vfield *u, const rert_vfield *w, rert_volume *ice_mm, rert_err *err);
/* Magnitude |u| per voxel. */
int reg_vfield_magnitude(const rert_vfield *u, rert_volume *mag_mm, rert_err *err);

/* ---------------- mapping ---------------- */

typedef enum { REG_INTERP_LINEAR = 0, REG_INTERP_NEAREST } reg_interp;
/* out (allocated on the field's grid, meta copied from `moving`) = moving(x + u(x)).
 * Points mapping outside `moving` get `outside`. */
int reg_warp_volume(const rert_volume *moving, const rert_vfield *u, reg_interp interp,
                    float outside, rert_volume *out, rert_err *err);
/* Same, output on an arbitrary grid `out_like` (field sampled there). */
int reg_warp_volume_to(const rert_volume *moving, const rert_vfield *u, const rert_volume *out_like,
                       reg_interp interp, float outside, rert_volume *out, rert_err *err);
/* Binary mask (nonzero = inside) warped by trilinear interpolation of the 0/1 mask, thresholded
 * at 0.5 (a partial-volume-fair rule: keeps volume to first order). Output 0/1 floats. */
int reg_warp_mask(const rert_volume *mask, const rert_vfield *u, rert_volume *out, rert_err *err);

/* ---------------- dose-mapping uncertainty ---------------- */

/* For a map already on its grid (a warped mask, an image): not a bound on a dose mapped through
 * a field, which is reg_bound_mapped's job (resampling first flattens peaks between nodes).
 * lo/hi = min/max of v over the ellipsoid-in-index-space ball of radius `radius_mm` (physical
 * mm along each axis) around every voxel: the dose a voxel could receive if the registration
 * were wrong by up to radius_mm. Separable along i (van Herk–Gil-Werman running min/max), then
 * a union over the (j,k) disc; cost independent of radius along i. radius 0 → copies. The dose
 * between grid nodes counts too (trilinear): the ball's surface is sampled in 26 directions, so
 * a radius below the grid spacing still widens the bounds. */
int reg_minmax_filter(const rert_volume *v, double radius_mm, rert_volume *lo, rert_volume *hi,
                      rert_err *err);
/* The worst case of a mapped dose, in the moving course's own frame: for every node x of
 * `out_like`, the min / max of `moving` over the ball of radius r mm around x + u(x) — nodes inside
 * the ball exactly, the surface along 26 directions at r / 0.886 (on a linear dose at least
 * r·|∇D| in any direction); outside the moving grid the dose is 0, as in the nominal map. A bound
 * on the true mapped dose whenever the field is wrong by at most r; reg_minmax_filter on the
 * resampled dose is not one (it flattens peaks between reference nodes). radius_map_mm (optional,
 * on out_like's grid): a radius per voxel, r_mm its floor. lo/hi carry moving's meta; radius 0
 * gives the nominal map twice. */
int reg_bound_mapped(const rert_volume *moving, const rert_vfield *u, const rert_volume *out_like, double r_mm,
                     const rert_volume *radius_map_mm, rert_volume *lo, rert_volume *hi, rert_err *err);
/* Locally varying radius (e.g. the ICE map): radius per voxel, quantised up to steps of
 * `step_mm`, capped at `max_mm`. */
int reg_minmax_filter_local(const rert_volume *v, const rert_volume *radius_mm, double step_mm,
                            double max_mm, rert_volume *lo, rert_volume *hi, rert_err *err);

/* ---------------- built-in registration ---------------- */

typedef struct {
  int levels;              /* pyramid levels (default 3: 4×, 2×, 1× voxel downsampling) */
  int iterations;          /* Gauss-Newton iterations per level (default 30) */
  double sample_step_mm;   /* metric sampling stride at full resolution (default 4 mm) */
  double hu_min, hu_max;   /* clamp CT intensities (default −1000, 2000) */
  double min_gain;         /* keep identity unless the rigid fit lowers the coarse-level MSE by
                              this fraction (default 0.15; 0 = always accept the rigid fit) */
  double finest_mm;        /* finest level's spacing (default 0 = the fixed image's own; the
                              pipeline uses 3 mm: a deformable stage follows) */
  int verbose;             /* progress on stderr */
} reg_rigid_opts;
void reg_rigid_opts_default(reg_rigid_opts *o);
/* Intensity-based (SSD) rigid CT→CT; out matrix maps fixed → moving (pull-back).
 * `init` may be NULL (identity; the centres of mass are aligned first). */
int reg_rigid(const rert_volume *fixed, const rert_volume *moving, const rert_volume *mask,
              const reg_rigid_opts *o, const double *init, double m_fixed_to_moving[16],
              double *final_rms, rert_err *err);

typedef struct {
  int levels;               /* default 3 (4×, 2×, 1×) */
  int iterations[8];        /* per level, coarse first (default 60, 40, 20) */
  double sigma_fluid_mm;    /* Gaussian σ on the update field at the finest level (default 3 mm) */
  double sigma_diffusion_mm;/* Gaussian σ on the total field at the finest level (default 6 mm) */
  double max_step_mm;       /* cap on an update vector length (default 2.0 mm) */
  double hu_min, hu_max;    /* clamp CT intensities (default −1000, 1500) */
  int symmetric;            /* symmetric (ESM) forces (default 1) */
  double grid_mm;           /* finest working/output grid spacing, mm (default 2 mm; 0 = the fixed
                               image's own spacing; coarser axes are never refined) */
  int sigma_scale_levels;   /* σ scale with the level's grid (constant in voxels; default 1) */
  int verbose;
} reg_demons_opts;
void reg_demons_opts_default(reg_demons_opts *o);
/* Diffeomorphic demons (Vercauteren 2009): multi-resolution, updates exponentiated by scaling
 * and squaring, composed; `init` (a field on fixed's grid, e.g. from reg_rigid) or NULL.
 * Output field on fixed's grid. `mask` (any grid, sampled by position; nonzero inside) or NULL
 * restricts forces. */
int reg_demons(const rert_volume *fixed, const rert_volume *moving, const rert_volume *mask,
               const reg_demons_opts *o, const rert_vfield *init, rert_vfield *out, rert_err *err);

/* Cubic B-spline free-form deformation (bspline.c): multi-level, SSD over the mask + λ·membrane
 * on the coefficients, exact gradient, ITK's L-BFGS. Each level adds a finer B-spline to the
 * previous total field (`init`, e.g. the rigid map, for the first). Output on the finest level's
 * working grid (fixed's origin and directions, spacing max(image_mm, own)). */
typedef struct {
  int levels;               /* default 3 */
  double image_mm[8];       /* working spacing per level, coarse first (default 6, 3, 2 mm) */
  double control_mm[8];     /* control-point spacing per level (default 40, 20, 10 mm) */
  int max_evals[8];         /* cost evaluations per level (default 60) */
  double lambda;            /* coefficient-membrane weight (default 0.02) */
  double hu_min, hu_max;    /* clamp CT numbers (default −1000, 1500) */
  int verbose;
} reg_bspline_opts;
void reg_bspline_opts_default(reg_bspline_opts *o);
int reg_bspline(const rert_volume *fixed, const rert_volume *moving, const rert_volume *mask,
                const reg_bspline_opts *o, const rert_vfield *init, rert_vfield *out, rert_err *err);

/* ---------------- the registration pipeline (rert register, rert consult) ---------------- */

typedef enum { REG_ENGINE_BUILTIN = 0, REG_ENGINE_ITK, REG_ENGINE_ELASTIX } reg_engine;
const char *reg_engine_name(reg_engine e);
/* "builtin" | "itk" | "elastix" → engine; −1 if unknown */
int reg_engine_parse(const char *s);

typedef struct {
  reg_engine engine;
  int do_rigid;             /* default 1 */
  int do_deformable;        /* default 1 */
  int do_bspline;           /* built-in: B-spline stage (default 1) */
  int do_demons;            /* built-in: demons refinement after the B-spline (default 1) */
  int resolution_schedule;  /* built-in: choose the B-spline schedule by the fixed CT's spacing
                               (default 1): in-plane < 1.5 mm and slices ≤ 3 mm → 4 levels, the last
                               at the CT's own resolution (control 40/30/20/20 mm), no demons; else the
                               `bspline` options (3 levels, 40/20/10 mm) then demons. 0 = use the
                               options as given (set when the caller gives a schedule) */
  reg_rigid_opts rigid;
  reg_bspline_opts bspline;
  reg_demons_opts demons;
  /* Region of interest: the union of these world boxes (LPS mm; e.g. the dose grids) plus
   * `margin_mm` is registered at full working resolution; none = the body's bounding box. */
  int nroi;
  double roi_lo[8][3], roi_hi[8][3];
  double margin_mm;         /* default 30 mm */
  int whole_body;           /* also register the whole body at the coarse B-spline levels (image
                               spacing ≥ 3 mm) and return the field over the body's bounding box,
                               the region of interest pasted in (default 1; the consult, which
                               only reads the field on the dose grid, sets 0) */
  int body_mask;            /* restrict the similarity to BODY (+ body_dilate_mm) derived from the
                               fixed CT (HU > −400, largest component, holes filled; default 1) */
  double body_dilate_mm;    /* default 10 mm: the skin edge itself is a strong feature */
  const rert_volume *mask;  /* explicit mask on the fixed grid (overrides body_mask) or NULL */
  /* elastix engine */
  const char *elastix_exe, *transformix_exe; /* default "elastix", "transformix" (PATH) */
  const char *elastix_params[4];            /* parameter files; default data/registration/ */
  int nelastix_params;
  const char *work_dir;     /* scratch directory for elastix (default a temporary one) */
  int threads;              /* for external engines (default 2) */
  int verbose;
} reg_pipeline_opts;
void reg_pipeline_opts_default(reg_pipeline_opts *o);

typedef struct {
  double m_fixed_to_moving[16]; /* rigid stage (identity when skipped or not kept) */
  int rigid_kept;
  double rigid_rms_hu;
  double crop_lo[3], crop_hi[3]; /* registered region (world, fixed side) */
  int crop_dims[3];
  size_t body_voxels;
  double seconds_rigid, seconds_deformable;
  char description[320];         /* what was run, for reports */
} reg_pipeline_report;

/* Registers moving onto fixed. Output: pull-back field on the working grid over the region of
 * interest (outside it reg_vfield_sample extrapolates the border value). */
int reg_pipeline_run(const rert_volume *fixed, const rert_volume *moving, const reg_pipeline_opts *o,
                     rert_vfield *out, reg_pipeline_report *rep, rert_err *err);

/* Sub-volume of v (copy) covering the world box [lo, hi] (+ nothing; callers add margins),
 * clipped to v; RERT_EINPUT when the box misses v. */
int reg_volume_crop(const rert_volume *v, const double lo[3], const double hi[3], rert_volume *out,
                    rert_err *err);
/* BODY mask of a CT on its grid: HU > threshold, the largest 26-connected component, holes
 * filled slice by slice (airways, sinuses), dilated by dilate_mm. Values 0/1. */
int reg_body_mask(const rert_volume *ct, double threshold_hu, double dilate_mm, rert_volume *mask,
                  size_t *nvox, rert_err *err);

/* Legacy entry point (rigid then demons on the whole image), kept for the validation test. */
int reg_register_ct(const rert_volume *fixed, const rert_volume *moving, const rert_volume *mask,
                    const reg_rigid_opts *ro, const reg_demons_opts *dopt,
                    double m_fixed_to_moving[16], rert_vfield *out, rert_err *err);

/* ---------------- QA (AAPM TG-132) ---------------- */

typedef struct {
  double detj_min, detj_max, detj_mean;
  size_t n_folded;             /* det J ≤ 0 */
  double pct_folded;
  double ice_mean_mm, ice_p95_mm, ice_max_mm; /* NaN when no reverse field */
  double mag_mean_mm, mag_max_mm;
  size_t n_voxels;             /* voxels evaluated (inside mask when given) */
} reg_qa_stats;
/* Stats over the voxels of u's grid (mask on u's grid, or NULL = all). w may be NULL. */
int reg_qa_field(const rert_vfield *u, const rert_vfield *w, const rert_volume *mask,
                 reg_qa_stats *s, rert_err *err);
/* Intensity similarity of a on b's grid: mean absolute difference, RMS, normalised
 * cross-correlation, over the voxels (mask or all) where both are defined. */
typedef struct { double mad, rms, ncc; size_t n; } reg_similarity;
int reg_similarity_compute(const rert_volume *a, const rert_volume *b, const rert_volume *mask,
                           reg_similarity *s, rert_err *err);
/* Landmark TRE: pairs (fixed point p, moving point q); error = |p + u(p) − q|. */
typedef struct { double mean_mm, sd_mm, max_mm, p95_mm; int n; } reg_tre;
int reg_landmark_tre(const rert_vfield *u, const double *fixed_xyz, const double *moving_xyz,
                     int n, double *per_point_mm, reg_tre *t, rert_err *err);
/* Read a landmark CSV: header line optional; columns x_fixed,y_fixed,z_fixed,x_moving,y_moving,
 * z_moving (LPS mm); optional leading name column. Returns arrays of 3n doubles. */
int reg_landmarks_read_csv(const char *path, double **fixed_xyz, double **moving_xyz, int *n,
                           rert_err *err);

/* Vector error |est(x) − ref(x)| at the grid points of `ref` (est sampled trilinearly), over
 * `mask` (on ref's grid, nonzero inside) or all points: validation against a known field. */
typedef struct { double mean_mm, p95_mm, max_mm; size_t n; } reg_vector_error;
int reg_vfield_error(const rert_vfield *est, const rert_vfield *ref, const rert_volume *mask,
                     reg_vector_error *out, rert_err *err);

/* Percentile (0..100) of n values (copies; linear interpolation between order statistics). */
double reg_percentile(const float *v, size_t n, double pct);

#endif
