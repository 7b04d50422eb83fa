/* analytic.h — generator of analytic DVH test cases: spheres, cylinders and cones contoured on
 * axial planes, in linear dose gradients, with closed-form volume and DVH metrics.
 *
 * The closed forms are those of the TRUE solid (not of its contour stack): for a dose
 * D(p) = D0 + g·(p − centre)·u, the cumulative DVH is D0 + g·t ↦ C(t), the solid's volume on the
 * side t' ≥ t of a plane ⟂ u, which is elementary for
 *   sphere radius R, any u:           C = π h² (3R − h) / 3, h = R − t        (spherical cap)
 *   cylinder (axis z) R, H, u = z:    C = π R² (H/2 − t)
 *   cylinder (axis z) R, H, u ⟂ z:    C = H (R² acos(t/R) − t √(R² − t²))    (circular segment)
 *   cone (axis z, base R at −H/2, apex at +H/2), u = z:  C = π/3 r(t)² (H/2 − t), r = R (H/2 − t)/H
 * Dx % / Dx cc invert C by bisection (C is monotone); Dmean = D0 + g·(centroid offset along u).
 */
#ifndef RERT_TEST_ANALYTIC_H
#define RERT_TEST_ANALYTIC_H

#include "rert/rtdata.h"
#include "rert/volume.h"

typedef enum { AN_SPHERE = 0, AN_CYLINDER, AN_CONE } an_shape;

typedef struct {
  an_shape shape;
  double radius_mm;
  double height_mm;      /* cylinder / cone */
  double centre_mm[3];
  double slice_mm;       /* contour plane spacing */
  double plane_phase;    /* sphere: planes at zc + (k + phase)·slice (0 ≤ phase < 1) */
  int nvert;             /* vertices per circle (equal-area polygon) */
  int grad_axis;         /* 0 = x, 1 = y, 2 = z */
  double grad_gy_per_mm; /* dose gradient along grad_axis */
  double d0_gy;          /* dose at the centre */
} an_case;

/* Contours of the case's solid (caller frees with rtdata_free_structure_set on a wrapper or
 * an_roi_free). */
int an_make_roi(const an_case *c, rert_roi *roi);
void an_roi_free(rert_roi *roi);
/* Linear dose on an axis-aligned grid of spacing sp covering the solid with ≥ 2 voxels margin;
 * origin shifted by `offset` (fractions of a voxel) for sub-voxel placement. */
int an_make_dose(const an_case *c, const double sp[3], const double offset[3], rert_volume *dose);

/* Closed-form truth. */
double an_volume_cc(const an_case *c);
double an_cum_cc(const an_case *c, double dose_gy);   /* volume receiving ≥ dose */
double an_dmin(const an_case *c);
double an_dmax(const an_case *c);
double an_dmean(const an_case *c);
double an_d_at_cc(const an_case *c, double v_cc);     /* D(v): C(D) = v */
/* Extent along z (relative to the centre) of the contour stack with half-slice end caps: the
 * represented solid's Dmin/Dmax for a z gradient (the true solid's are ±R; the difference is the
 * contour sampling, not the DVH algorithm). */
void an_stack_zrange(const an_case *c, double *lo_mm, double *hi_mm);
/* Whether the closed form is implemented for this shape/gradient combination. */
int an_supported(const an_case *c);

#endif
