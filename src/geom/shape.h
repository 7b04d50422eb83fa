/* shape.h — private: an ROI as a stack of planar even-odd polygon slabs in its own frame, and
 * the scanline integrator that geom (masks) and dvh (histograms) share.
 *
 * Frame: e1, e2 span the contour planes, n = e1 × e2 is their normal; a point is
 * p = a·e1 + b·e2 + c·n (LPS mm). Plane p covers the slab [c_lo, c_hi] (half-slice end caps,
 * rert/geom.h). The integrator walks rows (b, c) across each slab at spacing ≤ step_mm, finds
 * the inside intervals of a by the even-odd rule, and splits them where the target grid's
 * continuous index crosses an integer or half-integer, so that every emitted piece lies in
 * one voxel and in one trilinear cell.
 */
#ifndef RERT_GEOM_SHAPE_H
#define RERT_GEOM_SHAPE_H

#include "rert/err.h"
#include "rert/geom.h"
#include "rert/rtdata.h"

typedef struct {
  double c, c_lo, c_hi;
  int e0, ne;           /* edges [e0, e0+ne) in shape.edges */
  double bmin, bmax;    /* extent of its polygons along e2 */
  double area_mm2;      /* even-odd area */
} shape_plane;

typedef struct {
  double a0, b0, a1, b1; /* edge endpoints in (a, b) */
} shape_edge;

typedef struct {
  double e1[3], e2[3], n[3];
  int nplanes;
  shape_plane *planes;
  shape_edge *edges;
  int nedges;
  double *verts_ab;     /* all vertices (a,b) per plane, for extreme-point checks */
  int *plane_v0, *plane_nv;
  rert_roi_info info;
} geom_shape;

/* check_self: also count self-intersecting contours (O(n²) per contour; for reports only). */
int geom_shape_build(const rert_roi *roi, double default_thickness_mm, int check_self,
                     geom_shape *s, rert_err *err);
void geom_shape_free(geom_shape *s);

/* Affine map (a, b, c) → continuous grid index of `grid`: idx = I0 + a·Ia + b·Ib + c·Ic. */
typedef struct {
  double I0[3], Ia[3], Ib[3], Ic[3];
  int n[3];
  int half; /* 1: split at every multiple of 0.5 (voxel faces: masks); 0: at integers (trilinear
               cell faces: DVHs) and at the grid border −0.5 / n−0.5 only */
} shape_gridmap;
void shape_gridmap_init(shape_gridmap *g, const geom_shape *s, const rert_volume *grid, int half);

/* One piece of a scanline inside the shape: continuous grid index of its two ends, its length
 * in mm, and the row's width along e2 (db) and n (dc) in mm; its volume is len·db·dc. */
typedef void (*shape_piece_fn)(void *ctx, const double p0[3], const double p1[3], double len_mm,
                               double db_mm, double dc_mm);

/* Integrate plane `pi` of the shape with rows at spacing ≤ step_mm (along e2 and n). Thread-safe
 * (no shared state besides ctx). Returns RERT_EINTERNAL only on allocation failure. */
int shape_scan_plane(const geom_shape *s, int pi, const shape_gridmap *g, double step_mm,
                     shape_piece_fn fn, void *ctx);

#endif
