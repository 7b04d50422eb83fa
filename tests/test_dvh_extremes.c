/* test_dvh_extremes.c — Dmin and Dmax of the contour DVH are exact for the trilinear dose over
 * the contour-stack object (docs/dvh.md "Exact Dmin and Dmax"). Independent source: the dense
 * brute-force sampler of tests/support/brute.c (its own trilinear interpolation, even-odd
 * point-in-polygon; slabs by the rule stated here), refined by a pattern search from its best
 * samples and a golden-section search along the polygon edges. Two properties are asserted on irregular shapes (concave notches,
 * holes with islands, sparse planes with gaps, a self-intersecting outline) in random and smooth
 * oblique dose fields:
 *   (1) no sample of the object exceeds rert's Dmax or falls below its Dmin (never
 *       under-estimated — the clinical safety rule), to 1e-6 Gy;
 *   (2) the refined brute force reaches rert's values within 1e-4 Gy (they are attained).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dvh.h"
#include "support/brute.h"

/* The sanitizer build checks memory, not numbers: it runs one case of each family (the brute
 * force is slow there). */
#ifdef __SANITIZE_ADDRESS__
#define SEEDS(n) 1
#else
#define SEEDS(n) (n)
#endif

/* ---- the dose: an axis-aligned grid ---- */
typedef struct {
  int n[3];
  double o[3], sp[3];
  float *d;
  double dir[9]; /* all 0: axial; else the grid's axes (contour planes oblique to its planes) */
} grid;

static unsigned rng = 12345u;
static double urand(void) {
  rng = rng * 1103515245u + 12345u;
  return ((rng >> 8) & 0xFFFFFF) / (double)0x1000000;
}

static int grid_rotated = 0; /* 1: rotate the dose grid 25° about x then 15° about z */

static void grid_make(grid *g, int kind) {
  memset(g, 0, sizeof *g);
  g->n[0] = 18, g->n[1] = 16, g->n[2] = 12;
  g->sp[0] = 2.5, g->sp[1] = 2.5, g->sp[2] = 3.0;
  g->o[0] = -21.1, g->o[1] = -18.7, g->o[2] = -16.3;
  if (grid_rotated) {
    double ax = 25 * M_PI / 180, az = 15 * M_PI / 180;
    double Rx[9] = {1, 0, 0, 0, cos(ax), -sin(ax), 0, sin(ax), cos(ax)};
    double Rz[9] = {cos(az), -sin(az), 0, sin(az), cos(az), 0, 0, 0, 1}, R[9];
    for (int r = 0; r < 3; r++)
      for (int c = 0; c < 3; c++) {
        R[3 * r + c] = 0;
        for (int k = 0; k < 3; k++) R[3 * r + c] += Rz[3 * r + k] * Rx[3 * k + c];
      }
    /* axis a of the grid = column a of R (dir[3a..3a+2]); a larger grid, centred on the object */
    for (int a = 0; a < 3; a++)
      for (int r = 0; r < 3; r++) g->dir[3 * a + r] = R[3 * r + a];
    g->n[0] = g->n[1] = g->n[2] = 20;
    double c[3] = {1.5, 0.5, 0.0};
    for (int r = 0; r < 3; r++) {
      g->o[r] = c[r];
      for (int a = 0; a < 3; a++) g->o[r] -= 0.5 * (g->n[a] - 1) * g->sp[a] * g->dir[3 * a + r];
    }
  }
  g->d = malloc(sizeof(float) * g->n[0] * g->n[1] * g->n[2]);
  for (int k = 0; k < g->n[2]; k++)
    for (int j = 0; j < g->n[1]; j++)
      for (int i = 0; i < g->n[0]; i++) {
        double w[3], ii[3] = {i, j, k};
        for (int r = 0; r < 3; r++) {
          w[r] = g->o[r];
          for (int a = 0; a < 3; a++) w[r] += ii[a] * g->sp[a] * (grid_rotated ? g->dir[3 * a + r] : (a == r));
        }
        double x = w[0], y = w[1], z = w[2];
        double v;
        if (kind == 0) v = 20 + 40 * urand(); /* random nodes: saddles and extremes everywhere */
        else /* oblique gradient + hot spot + saddle */
          v = 40 + 0.9 * x - 0.6 * y + 0.45 * z + 25 * exp(-((x - 3) * (x - 3) + (y + 2) * (y + 2) + (z - 1) * (z - 1)) / 40.0) +
              0.02 * x * y;
        g->d[i + g->n[0] * (j + g->n[1] * k)] = (float)v;
      }
}

/* ---- the object: polygons on planes z_k = Z0 + H·k (k in the list), slab [z − H/2, z + H/2] ---- */
#define H 2.0
#define Z0 (-7.0)
#define MAXP 8

typedef struct {
  int np[MAXP];          /* points per polygon */
  double *xy[MAXP];
  int npoly;
  double z;
} plane;

/* star with concave notches: radius R·(1 + a·cos(m·θ + φ)) */
static double *star(int n, double cx, double cy, double R, double a, int m, double phi, int rev) {
  double *xy = malloc(2 * sizeof(double) * n);
  for (int i = 0; i < n; i++) {
    double t = 2 * M_PI * (rev ? n - i : i) / n;
    double r = R * (1 + a * cos(m * t + phi));
    xy[2 * i] = cx + r * cos(t), xy[2 * i + 1] = cy + r * sin(t);
  }
  return xy;
}

/* planes k = 0..7 except the sparse gap at k = 4, 5; hole + island on k = 2; a bow-tie on k = 6;
 * sc scales the outlines (0.3: an organ of a few mm, inside one or two dose cells) */
static int nvert_base = 37; /* points of the outer outline (7: long straight edges) */
static int make_object(plane *P, double sc) {
  int ks[] = {0, 1, 2, 3, 6, 7}, np = 0;
  for (int u = 0; u < 6; u++) {
    int k = ks[u];
    plane *p = &P[np++];
    memset(p, 0, sizeof *p);
    p->z = Z0 + H * k;
    int nv = nvert_base + (nvert_base > 10 ? 6 * k : k % 3);
    p->xy[0] = star(nv, 1.3 + 0.4 * k, -0.8 + 0.3 * k, sc * (8.5 - 0.4 * k), 0.35, nv > 10 ? 5 : 2, 0.7 * k, 0);
    p->np[0] = nv;
    p->npoly = 1;
    if (k == 2) { /* hole, and an island inside the hole */
      p->xy[1] = star(23, 2.1 - (1 - sc) * 0.8, -0.2 + (1 - sc) * 0.7, sc * 3.6, 0.2, 3, 0.3, 1);
      p->np[1] = 23;
      p->xy[2] = star(11, 2.3 - (1 - sc) * 0.8, -0.1 + (1 - sc) * 0.7, sc * 1.2, 0.0, 1, 0.0, 0);
      p->np[2] = 11;
      p->npoly = 3;
    }
    if (k == 6) { /* a second lobe drawn as a bow-tie (self-intersecting) */
      double bow[8] = {sc * 10.5, sc * 4.0, sc * 16.0, sc * 9.0, sc * 16.0, sc * 4.0, sc * 10.5, sc * 9.0};
      p->xy[1] = malloc(sizeof bow);
      memcpy(p->xy[1], bow, sizeof bow);
      p->np[1] = 4;
      p->npoly = 2;
    }
  }
  return np;
}

static void object_roi(const plane *P, int np, rert_roi *r) {
  memset(r, 0, sizeof *r);
  strcpy(r->name, "Irregular");
  int nc = 0;
  for (int q = 0; q < np; q++) nc += P[q].npoly;
  r->contours = calloc(nc, sizeof(rert_contour));
  for (int q = 0; q < np; q++)
    for (int p = 0; p < P[q].npoly; p++) {
      rert_contour *c = &r->contours[r->ncontours++];
      c->type = CONTOUR_CLOSED_PLANAR;
      c->npoints = P[q].np[p];
      c->xyz_mm = malloc(3 * sizeof(double) * c->npoints);
      for (int i = 0; i < c->npoints; i++) {
        c->xyz_mm[3 * i] = P[q].xy[p][2 * i];
        c->xyz_mm[3 * i + 1] = P[q].xy[p][2 * i + 1];
        c->xyz_mm[3 * i + 2] = P[q].z;
      }
    }
}

/* the brute force's view: slabs [z − H/2, z + H/2] (every plane is on the 2 mm lattice and the
 * gap k = 4, 5 is simply absent) */
static double brute(const grid *g, const plane *P, int np, double sign) {
  bf_grid bg;
  memset(&bg, 0, sizeof bg);
  for (int a = 0; a < 3; a++) bg.n[a] = g->n[a], bg.o[a] = g->o[a], bg.sp[a] = g->sp[a];
  bg.d = g->d;
  memcpy(bg.dir, g->dir, sizeof bg.dir);
  bf_plane bp[MAXP];
  bf_poly polys[MAXP][MAXP];
  for (int q = 0; q < np; q++) {
    bp[q].zlo = P[q].z - H / 2, bp[q].zhi = P[q].z + H / 2;
    bp[q].npoly = P[q].npoly;
    bp[q].poly = polys[q];
    for (int p = 0; p < P[q].npoly; p++) polys[q][p].np = P[q].np[p], polys[q][p].xy = P[q].xy[p];
  }
  return bf_extreme(&bg, bp, np, sign, 0.3);
}

static void run(int kind, unsigned seed, double sc) {
  grid g;
  rng = 777u + seed;
  grid_make(&g, kind);
  plane P[MAXP];
  int np = make_object(P, sc);
  rert_roi roi;
  object_roi(P, np, &roi);
  rert_volume dose;
  memset(&dose, 0, sizeof dose);
  dose.nx = g.n[0], dose.ny = g.n[1], dose.nz = g.n[2];
  for (int a = 0; a < 3; a++) dose.spacing_mm[a] = g.sp[a], dose.origin_mm[a] = g.o[a];
  volume_set_identity_dir(&dose);
  if (grid_rotated) memcpy(dose.dir, g.dir, sizeof dose.dir);
  rert_err err;
  cr_assert_eq(volume_alloc(&dose, &err), RERT_OK);
  memcpy(dose.data, g.d, sizeof(float) * volume_count(&dose));
  const rert_roi *rois[1] = {&roi};
  rert_dvh d;
  cr_assert_eq(dvh_compute_rois(rois, 1, &dose, NULL, &d, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(d.status, RERT_OK, "%s", d.msg);
  cr_assert_eq(d.extremes_exact, 1);
  /* the slabs are the 2 mm lattice with the gap at k = 4, 5 left empty (independent rule) */
  cr_assert_eq(d.geometry.ngaps, 1);
  double bmax = brute(&g, P, np, +1), bmin = brute(&g, P, np, -1);
  printf("kind %d seed %u scale %.2f: Dmax rert %.6f brute %.6f | Dmin rert %.6f brute %.6f\n", kind,
         seed, sc, d.dmax_gy, bmax, d.dmin_gy, bmin);
  cr_expect(bmax <= d.dmax_gy + 1e-6, "a sample exceeds Dmax: %.6f > %.6f", bmax, d.dmax_gy);
  cr_expect(bmin >= d.dmin_gy - 1e-6, "a sample is below Dmin: %.6f < %.6f", bmin, d.dmin_gy);
  cr_expect(d.dmax_gy - bmax <= 1e-4, "Dmax %.6f not attained (brute %.6f)", d.dmax_gy, bmax);
  cr_expect(bmin - d.dmin_gy <= 1e-4, "Dmin %.6f not attained (brute %.6f)", d.dmin_gy, bmin);
  dvh_free(&d);
  volume_free(&dose);
  for (int c = 0; c < roi.ncontours; c++) free(roi.contours[c].xyz_mm);
  free(roi.contours);
  for (int q = 0; q < np; q++)
    for (int p = 0; p < P[q].npoly; p++) free(P[q].xy[p]);
  free(g.d);
}

Test(dvh_extremes, random_dose_irregular_object) { run(0, 0, 1.0); }
Test(dvh_extremes, smooth_oblique_dose_irregular_object) { run(1, 0, 1.0); }
/* organs of a few mm in a random dose: no grid node inside most slabs, so the extremes lie on
 * the polygon edges (often between vertices) and on the slab faces */
Test(dvh_extremes, random_dose_small_object) {
  for (unsigned seed = 1; seed <= SEEDS(6); seed++) run(0, seed, 0.3);
}
/* coarse outlines (7–9 points, notched): edges several mm long cross dose cells diagonally, where
 * the bilinear dose along them peaks between vertices */
Test(dvh_extremes, random_dose_long_edges) {
  nvert_base = 7;
  for (unsigned seed = 11; seed < 11 + SEEDS(6); seed++) run(0, seed, 1.0);
  run(1, 21, 1.0);
  nvert_base = 37;
}

/* Contour planes oblique to the dose grid (the grid rotated 25° about x and 15° about z): the
 * caps and walls cut the cells obliquely, so extremes also lie inside them (critical points of
 * a cubic on a plane) and on the lines where cell faces cut them. */
Test(dvh_extremes, oblique_dose_grid) {
  grid_rotated = 1;
  for (unsigned seed = 31; seed < 31 + SEEDS(3); seed++) run(0, seed, 1.0);
  run(0, 34, 0.3);
  if (SEEDS(2) > 1) run(1, 35, 1.0);
  nvert_base = 7;
  for (unsigned seed = 36; seed < 36 + SEEDS(2); seed++) run(0, seed, 1.0);
  nvert_base = 37;
  grid_rotated = 0;
}

/* Closed form: a dose that is 0 at every node but (2, 2, k), where it is V = 40 Gy. In the cell
 * [0, 2]² the dose is V·(x/2)(y/2) = 10·x·y (bilinear, hand calculation). The pentagon (0,0),
 * (2,0), (2,0.4), (0.4,2), (0,2) has its largest vertex dose 10·2·0.4 = 8 Gy, and along its edge
 * x + y = 2.4 the dose 10·x·(2.4 − x) peaks at x = y = 1.2, between two vertices:
 * Dmax = 10·1.44 = 14.4 Gy. With the values inverted (V everywhere, 0 at (2, 2)) Dmin = 25.6 Gy.
 * (Sampling rows across the edge miss the peak by 10·Δy², Δy the row offset.) */
Test(dvh_extremes, closed_form_peak_between_vertices) {
  for (int inv = 0; inv < 2; inv++) {
    rert_volume dose;
    memset(&dose, 0, sizeof dose);
    dose.nx = dose.ny = 4, dose.nz = 4;
    for (int a = 0; a < 3; a++) dose.spacing_mm[a] = 2;
    dose.origin_mm[2] = -1;
    volume_set_identity_dir(&dose);
    rert_err err;
    cr_assert_eq(volume_alloc(&dose, &err), RERT_OK);
    for (int k = 0; k < 4; k++)
      for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++)
          dose.data[i + 4 * (j + 4 * k)] = (float)((i == 1 && j == 1) != inv ? 40 : 0);
    rert_roi r;
    memset(&r, 0, sizeof r);
    strcpy(r.name, "Triangle");
    r.ncontours = 2;
    r.contours = calloc(2, sizeof(rert_contour));
    for (int c = 0; c < 2; c++) {
      double z = 2.0 + 2.0 * c, p[15] = {0, 0, z, 2, 0, z, 2, 0.4, z, 0.4, 2, z, 0, 2, z};
      r.contours[c].type = CONTOUR_CLOSED_PLANAR;
      r.contours[c].npoints = 5;
      r.contours[c].xyz_mm = malloc(sizeof p);
      memcpy(r.contours[c].xyz_mm, p, sizeof p);
    }
    const rert_roi *rois[1] = {&r};
    rert_dvh d;
    cr_assert_eq(dvh_compute_rois(rois, 1, &dose, NULL, &d, &err), RERT_OK, "%s", err.msg);
    cr_assert_eq(d.status, RERT_OK, "%s", d.msg);
    if (!inv) cr_expect_float_eq(d.dmax_gy, 14.4, 1e-9, "Dmax %.9f", d.dmax_gy);
    else cr_expect_float_eq(d.dmin_gy, 25.6, 1e-9, "Dmin %.9f", d.dmin_gy);
    /* volume: (4 − 1.6²/2) mm² × 2 planes × 2 mm = 2.72 × 4 mm³ */
    cr_expect_float_eq(d.total_cc, 0.01088, 1e-12);
    dvh_free(&d);
    volume_free(&dose);
    for (int c = 0; c < 2; c++) free(r.contours[c].xyz_mm);
    free(r.contours);
  }
}
