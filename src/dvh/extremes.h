/* extremes.h — private to src/dvh: exact Dmin and Dmax of the trilinear dose over the
 * contour-stack object (docs/dvh.md "Exact Dmin and Dmax" has the proof).
 */
#ifndef RERT_DVH_EXTREMES_H
#define RERT_DVH_EXTREMES_H

#include "dvh/trilinear.h"
#include "geom/shape.h"

typedef struct {
  int aligned; /* 1: the contour planes are dose-grid planes (normal along grid axis K) */
  int K, P, Q;
} ext_setup;

/* Decide whether the stack normal runs along a dose-grid axis (then the extremes are exact). */
void dvh_extremes_setup(const geom_shape *s, const shape_gridmap *g, ext_setup *e);

/* Exact extremes of the dose over slab q of the shape, inside the dose grid, merged into *mn /
 * *mx (planes along a grid axis: extremes.c; oblique planes: extremes_oblique.c). Returns
 * RERT_EINTERNAL on lack of memory. */
int dvh_extremes_plane(const geom_shape *s, int q, const shape_gridmap *g, const tri_grid *t,
                       const ext_setup *e, double *mn, double *mx);

/* Extremes of the dose along the segment p0 → p1 (continuous grid index), clipped to the grid:
 * the restriction of a trilinear function to a line is a cubic in each cell, so every piece
 * between cell faces is fitted exactly from four values and its stationary points are checked. */
void dvh_extremes_segment(const tri_grid *t, const double p0[3], const double p1[3], double *mn,
                          double *mx);

int dvh_extremes_plane_oblique(const geom_shape *s, int q, const shape_gridmap *g,
                               const tri_grid *t, double *mn, double *mx);

#endif
