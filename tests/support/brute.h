/* brute.h — an independent brute-force sampler of the extremes of a trilinear dose over a stack
 * of polygon slabs: the test-side reference for rert's exact Dmin/Dmax (tests/test_dvh_extremes.c,
 * tests/test_dvh_real.c). It shares no code with src/dvh or src/geom: its own trilinear
 * interpolation (rule of volume_sample_trilinear: clamped within half a voxel, outside beyond),
 * even-odd point-in-polygon and slabs given by the caller. Dense samples (interior grid, edges,
 * grid nodes, slab faces and the grid planes crossing each slab), then a pattern search from
 * the best samples and a golden-section search along nearby edges.
 */
#ifndef RERT_TEST_BRUTE_H
#define RERT_TEST_BRUTE_H

typedef struct {
  int n[3];
  double o[3], sp[3]; /* voxel centres o + Σ i_a·sp_a·dir_a */
  const float *d;     /* i fastest */
  double dir[9];      /* unit axis directions (dir[0..2] = i axis, …); all 0 = identity */
} bf_grid;

typedef struct {
  int np;
  double *xy;         /* np points (x, y), closed */
} bf_poly;

typedef struct {
  double zlo, zhi;    /* the slab (the caller's rule) */
  int npoly;
  bf_poly *poly;      /* even-odd over all polygons of the plane */
} bf_plane;

/* Trilinear dose at x (NaN outside the grid). */
double bf_dose(const bf_grid *g, const double x[3]);
/* Largest (sign = +1) or smallest (sign = −1) dose over the slabs, inside the grid. step_mm is
 * the interior sampling step (edges are sampled 10× finer). */
double bf_extreme(const bf_grid *g, const bf_plane *P, int np, double sign, double step_mm);

#endif
