/* shape.h — private: an ROI as a stack of planar even-odd polygon slabs in its own frame, and
 * the scanline integrator that geom (masks) and dvh (histograms) share.
 *
 * Frame: e1, e2 span the contour planes, n = e1 × e2 is their normal; a point is
 * p = a·e1 + b·e2 + c·n (LPS mm). Plane p covers the slab [c_lo, c_hi]: half-way to the
 * neighbouring image slices (rert/geom.h; src/geom/slab.c). The integrator walks rows (b, c)
 * across each slab at spacing ≤ step_mm, finds the inside intervals of a by the even-odd rule,
 * and splits them where the target grid's continuous index crosses an integer or half-integer,
 * so that every emitted piece lies in one voxel and in one trilinear cell.
 *
 * Contours that enclose no area, are not parallel to the stack, are not finite, or duplicate
 * another outline of their plane are left out of the shape; each such contour, and every rule
 * applied to the others (projection, even-odd for crossings, gaps), is a finding (geom.h).
 */
#ifndef RERT_GEOM_SHAPE_H
#define RERT_GEOM_SHAPE_H

#include "rert/err.h"
#include "rert/geom.h"
#include "rert/rtdata.h"

typedef struct {
  double c, c_lo, c_hi;
  int e0, ne;           /* scan edges [e0, e0+ne) in shape.edges (horizontal edges left out) */
  int l0, nl;           /* loops [l0, l0+nl) in shape.loops */
  double bmin, bmax;    /* extent of its polygons along e2 */
  double area_mm2;      /* even-odd area */
  int crossings;        /* edges of this plane cross (self or mutual) */
} shape_plane;

typedef struct {
  double a0, b0, a1, b1; /* edge endpoints in (a, b) */
} shape_edge;

typedef struct {
  int v0, nv;           /* vertices [v0, v0+nv) in verts_ab (closed: last joins first) */
  int contour;          /* index in roi->contours */
} shape_loop;

typedef struct {
  double e1[3], e2[3], n[3];
  int nplanes;
  shape_plane *planes;
  shape_edge *edges;
  int nedges;
  double *verts_ab;     /* all vertices (a,b), plane by plane, loop by loop */
  int *plane_v0, *plane_nv;
  shape_loop *loops;
  int nloops;
  rert_roi_info info;
} geom_shape;

typedef struct {
  double default_thickness_mm;   /* slab of a single-plane ROI when no slices are known */
  const rert_slice_geom *slices; /* NULL: inferred from the ROI's own planes */
  rert_geom_findings *findings;  /* NULL: not kept */
} geom_build_opts;

/* Build the slab stack. Fails (RERT_EINPUT, findings recorded) when no contour encloses an area. */
int geom_shape_build(const rert_roi *roi, const geom_build_opts *o, geom_shape *s, rert_err *err);
void geom_shape_free(geom_shape *s);

/* ---- helpers shared by shape.c, slab.c, crossing.c, slices.c ---- */
/* A CLOSED_PLANAR contour with ≥ 3 finite points enclosing an area: 1, with its Newell vector
 * nv (normal × 2·area) and |nv| in *a2; else 0. */
int geom_contour_usable(const rert_contour *ct, double nv[3], double *a2);
/* Orient a unit normal so that its largest component is positive (axial stacks: n = +z). */
void geom_orient_normal(double n[3]);
/* Plane of a contour along unit n: the median of its points' positions (one stray point does
 * not move it), the largest distance of a point from it and that point's index. −1: no memory. */
int geom_contour_plane(const rert_contour *ct, const double n[3], double *c, double *maxdev,
                       int *devidx);
/* Slices inferred from distinct ascending plane positions (slices.c). */
int geom_slices_from_planes(const double *pos, int n, const double normal[3], rert_slice_geom *out,
                            rert_err *err);

/* Append a finding (counts warnings/errors). Returns RERT_EINTERNAL on lack of memory. */
int geom_findings_add(rert_geom_findings *f, int contour, rert_geom_problem p, rert_geom_rule r,
                      rert_geom_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Proper crossings between the edges of the loops of one plane (uniform-grid buckets: about
 * linear in the number of edges). self[l] = 1 when two non-adjacent edges of loop l cross;
 * other[l] = index of another loop that loop l crosses, or −1. *nx_b / *x_b receive the
 * ordinates (b) of every crossing (malloc'ed; the even-odd area sweep needs them).
 * Returns RERT_EINTERNAL on lack of memory. */
int geom_loops_crossings(const double *ab, const shape_loop *loops, int nl, int *self, int *other,
                         double **x_b, int *nx_b);
/* Exact even-odd area and first moments (∫a, ∫b) of the loops, for planes whose loops cross. */
int geom_loops_evenodd(const double *ab, const shape_loop *loops, int nl, const double *x_b,
                       int nx_b, double *area, double *ma, double *mb);

/* Slab of each plane (src/geom/slab.c): c[np] ascending plane positions along n (unit), slices
 * the image slices (may be NULL or not parallel: then inferred from c alone). Fills lo[], hi[]
 * and info->slices_source / slice_spacing_mm / ngaps, and records GAP / OFF_SLICE /
 * SLICES_UNKNOWN findings (first contour index of each plane in cidx[]). */
int geom_slabs(const double *c, const int *cidx, int np, const double n[3],
               const rert_slice_geom *slices, double default_thickness_mm, double *lo, double *hi,
               rert_roi_info *info, rert_geom_findings *f, rert_err *err, const char *roi_name);

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
