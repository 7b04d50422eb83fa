/* test_geom.c — ROI rasterisation, shape facts, booleans and margins against closed-form
 * geometry (each expected value names its formula). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/geom.h"
#include "support/analytic.h"

static void grid_init(rert_volume *g, int n, double sp, double o) {
  memset(g, 0, sizeof *g);
  g->nx = g->ny = g->nz = n;
  for (int a = 0; a < 3; a++) g->spacing_mm[a] = sp, g->origin_mm[a] = o;
  volume_set_identity_dir(g);
}

/* Axial rectangle [x0,x1]×[y0,y1] on planes z = z0 + (k+0.5)·h, k < nk (a box of height nk·h). */
static void box_roi(rert_roi *r, double x0, double x1, double y0, double y1, double z0, double h,
                    int nk) {
  memset(r, 0, sizeof *r);
  strcpy(r->name, "Box");
  r->ncontours = nk;
  r->contours = calloc(nk, sizeof(rert_contour));
  for (int k = 0; k < nk; k++) {
    rert_contour *c = &r->contours[k];
    c->type = CONTOUR_CLOSED_PLANAR;
    c->npoints = 4;
    c->xyz_mm = malloc(12 * sizeof(double));
    double z = z0 + (k + 0.5) * h;
    double p[12] = {x0, y0, z, x1, y0, z, x1, y1, z, x0, y1, z};
    memcpy(c->xyz_mm, p, sizeof p);
  }
}

static void roi_free(rert_roi *r) { an_roi_free(r); }

/* Box aligned with voxel boundaries: every voxel fully in or out; volume = 10·8·6 mm³. */
Test(geom, box_on_voxel_boundaries) {
  rert_volume g;
  grid_init(&g, 20, 1.0, 0.0); /* voxel i spans [i−0.5, i+0.5] */
  rert_roi r;
  box_roi(&r, 2.5, 12.5, 3.5, 11.5, 4.5, 1.0, 6);
  rert_mask m;
  rert_err err;
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(geom_mask_volume_cc(&m), 0.480, 1e-9);
  cr_assert_float_eq(geom_mask_at(&m, 3, 4, 5), 1.0, 1e-6);
  cr_assert_float_eq(geom_mask_at(&m, 12, 11, 10), 1.0, 1e-6);
  cr_assert_float_eq(geom_mask_at(&m, 2, 4, 5), 0.0, 1e-6);
  cr_assert_float_eq(geom_mask_at(&m, 13, 4, 5), 0.0, 1e-6);
  /* centroid of the box: ((2.5+12.5)/2, (3.5+11.5)/2, 4.5+3) */
  double c[3];
  cr_assert_eq(geom_mask_centroid_mm(&m, c, &err), RERT_OK);
  cr_assert_float_eq(c[0], 7.5, 1e-6);
  cr_assert_float_eq(c[1], 7.5, 1e-6);
  cr_assert_float_eq(c[2], 7.5, 1e-6);
  double lo[3], hi[3];
  cr_assert_eq(geom_mask_bbox_mm(&m, lo, hi, &err), RERT_OK);
  cr_assert_float_eq(lo[0], 2.5, 1e-9);
  cr_assert_float_eq(hi[0], 12.5, 1e-9);
  cr_assert_float_eq(hi[2], 10.5, 1e-9);
  geom_mask_free(&m);
  roi_free(&r);
}

/* Box edges through voxel centres: the edge voxels are half covered (hand count). */
Test(geom, box_half_voxels) {
  rert_volume g;
  grid_init(&g, 20, 1.0, 0.0);
  rert_roi r;
  box_roi(&r, 3.0, 8.0, 3.0, 8.0, 2.5, 1.0, 4);
  rert_mask m;
  rert_err err;
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(geom_mask_at(&m, 3, 5, 4), 0.5, 1e-6);
  cr_assert_float_eq(geom_mask_at(&m, 5, 3, 4), 0.5, 1e-6);
  cr_assert_float_eq(geom_mask_at(&m, 3, 3, 4), 0.25, 1e-6);
  cr_assert_float_eq(geom_mask_at(&m, 5, 5, 4), 1.0, 1e-6);
  cr_assert_float_eq(geom_mask_volume_cc(&m), 0.100, 1e-9); /* 5·5·4 mm³ */
  geom_mask_free(&m);
  roi_free(&r);
}

/* Sphere R = 8 mm on a 1 mm grid: mask volume = 4/3 π R³ within 0.5 %. */
Test(geom, sphere_volume_and_info) {
  an_case c = {0};
  c.shape = AN_SPHERE, c.radius_mm = 8, c.slice_mm = 0.5, c.plane_phase = 0.5, c.nvert = 180;
  c.centre_mm[0] = 15.2, c.centre_mm[1] = 14.9, c.centre_mm[2] = 15.1;
  rert_roi r;
  cr_assert_eq(an_make_roi(&c, &r), 0);
  rert_volume g;
  grid_init(&g, 32, 1.0, 0.0);
  rert_mask m;
  rert_err err;
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK, "%s", err.msg);
  double v = 4.0 / 3.0 * M_PI * 512 / 1000;
  cr_assert(fabs(geom_mask_volume_cc(&m) - v) / v < 0.005, "%g vs %g", geom_mask_volume_cc(&m), v);
  cr_assert_float_eq(m.outside_cc, 0.0, 1e-12);
  double cen[3];
  geom_mask_centroid_mm(&m, cen, &err);
  for (int a = 0; a < 3; a++) cr_assert_float_eq(cen[a], c.centre_mm[a], 0.02);
  rert_roi_info info;
  cr_assert_eq(geom_roi_info(&r, 0, &info, &err), RERT_OK, "%s", err.msg);
  cr_assert(fabs(info.volume_cc - v) / v < 0.005);
  cr_assert_float_eq(info.plane_spacing_mm, 0.5, 1e-9);
  cr_assert_float_eq(info.normal[2], 1.0, 1e-12);
  geom_mask_free(&m);
  an_roi_free(&r);
}

/* Rotated grid (30° about z): volume of a 10×10×10 mm box is preserved within 1 %. */
Test(geom, oblique_grid) {
  rert_volume g;
  grid_init(&g, 40, 0.8, -16.0);
  double th = M_PI / 6;
  double d[9] = {cos(th), sin(th), 0, -sin(th), cos(th), 0, 0, 0, 1};
  memcpy(g.dir, d, sizeof d);
  g.origin_mm[0] = 0, g.origin_mm[1] = -16;
  rert_roi r;
  box_roi(&r, 0.3, 10.3, -5.1, 4.9, -4.0, 1.0, 10);
  rert_mask m;
  rert_err err;
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK, "%s", err.msg);
  cr_assert(fabs(geom_mask_volume_cc(&m) - 1.0) < 0.01, "%g", geom_mask_volume_cc(&m));
  geom_mask_free(&m);
  roi_free(&r);
}

/* Annulus (outer R = 10, hole r = 4, same plane): area π(R² − r²) by the even-odd rule; and two
 * overlapping squares XOR: 2·100 − 2·25 mm². */
Test(geom, holes_and_xor) {
  an_case co = {0};
  co.shape = AN_CYLINDER, co.radius_mm = 10, co.height_mm = 4, co.slice_mm = 1, co.nvert = 256;
  an_case ci = co;
  ci.radius_mm = 4;
  rert_roi a, b;
  an_make_roi(&co, &a);
  an_make_roi(&ci, &b);
  /* merge b's contours into a */
  a.contours = realloc(a.contours, (a.ncontours + b.ncontours) * sizeof(rert_contour));
  memcpy(a.contours + a.ncontours, b.contours, b.ncontours * sizeof(rert_contour));
  a.ncontours += b.ncontours;
  free(b.contours);
  rert_roi_info info;
  rert_err err;
  cr_assert_eq(geom_roi_info(&a, 0, &info, &err), RERT_OK, "%s", err.msg);
  double v = M_PI * (100 - 16) * 4 / 1000;
  cr_assert_float_eq(info.volume_cc, v, 1e-6);
  rert_volume g;
  grid_init(&g, 30, 1.0, -14.5);
  rert_mask m;
  cr_assert_eq(geom_mask_from_roi(&a, &g, NULL, &m, &err), RERT_OK);
  cr_assert(fabs(geom_mask_volume_cc(&m) - v) / v < 0.005, "%g", geom_mask_volume_cc(&m));
  cr_assert_float_eq(geom_mask_at(&m, 14, 14, 14), 0.0, 1e-6); /* centre of the hole (−0.5,…) */
  geom_mask_free(&m);
  an_roi_free(&a);

  rert_roi s1, s2;
  box_roi(&s1, 0, 10, 0, 10, 0, 1, 1);
  box_roi(&s2, 5, 15, 5, 15, 0, 1, 1);
  s1.contours = realloc(s1.contours, 2 * sizeof(rert_contour));
  s1.contours[1] = s2.contours[0];
  s1.ncontours = 2;
  free(s2.contours);
  grid_init(&g, 20, 1.0, -0.5 + 0.5); /* voxel edges on integers */
  g.origin_mm[0] = g.origin_mm[1] = 0.5, g.origin_mm[2] = 0.5;
  cr_assert_eq(geom_mask_from_roi(&s1, &g, NULL, &m, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(geom_mask_volume_cc(&m), 0.150, 1e-9);
  geom_mask_free(&m);
  roi_free(&s1);
}

/* Two spheres R = 6 mm, centres 6 mm apart: lens (intersection) volume π(4R + d)(2R − d)²/12,
 * union = 2·(4/3 π R³) − lens, difference = 4/3 π R³ − lens; 0.5 mm grid, 2 %. */
Test(geom, booleans_two_spheres) {
  an_case c = {0};
  c.shape = AN_SPHERE, c.radius_mm = 6, c.slice_mm = 0.25, c.plane_phase = 0.5, c.nvert = 128;
  c.centre_mm[0] = 10, c.centre_mm[1] = 10, c.centre_mm[2] = 10;
  an_case c2 = c;
  c2.centre_mm[0] = 16;
  rert_roi r1, r2;
  an_make_roi(&c, &r1);
  an_make_roi(&c2, &r2);
  rert_volume g;
  grid_init(&g, 56, 0.5, 0.0);
  rert_mask a, b, u, i, d;
  rert_err err;
  cr_assert_eq(geom_mask_from_roi(&r1, &g, NULL, &a, &err), RERT_OK);
  cr_assert_eq(geom_mask_from_roi(&r2, &g, NULL, &b, &err), RERT_OK);
  cr_assert_eq(geom_mask_union(&a, &b, &u, &err), RERT_OK);
  cr_assert_eq(geom_mask_intersect(&a, &b, &i, &err), RERT_OK);
  cr_assert_eq(geom_mask_subtract(&a, &b, &d, &err), RERT_OK);
  double R = 6, dd = 6, V = 4.0 / 3.0 * M_PI * R * R * R / 1000;
  double lens = M_PI * (4 * R + dd) * (2 * R - dd) * (2 * R - dd) / 12 / 1000;
  cr_assert(fabs(geom_mask_volume_cc(&i) - lens) / lens < 0.02, "%g vs %g", geom_mask_volume_cc(&i), lens);
  cr_assert(fabs(geom_mask_volume_cc(&u) - (2 * V - lens)) / (2 * V - lens) < 0.02);
  cr_assert(fabs(geom_mask_volume_cc(&d) - (V - lens)) / (V - lens) < 0.02);
  /* different grids are refused */
  rert_volume g2;
  grid_init(&g2, 56, 0.6, 0.0);
  rert_mask e, x;
  geom_mask_empty(&g2, &e, &err);
  cr_assert_eq(geom_mask_union(&a, &e, &x, &err), RERT_EINPUT);
  geom_mask_free(&a), geom_mask_free(&b), geom_mask_free(&u), geom_mask_free(&i), geom_mask_free(&d);
  an_roi_free(&r1), an_roi_free(&r2);
}

/* Margins. Box 10×10×10 mm on a 1 mm grid grown by (5, 0, 2) mm: bounding box grows by exactly
 * the margin per side; its volume is a hand count of lattice points (below). */
Test(geom, margins) {
  rert_volume g;
  grid_init(&g, 40, 1.0, 0.0);
  rert_roi r;
  box_roi(&r, 14.5, 24.5, 14.5, 24.5, 14.5, 1.0, 10);
  rert_mask m, o;
  rert_err err;
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK);
  double mg[3] = {5, 0, 2};
  cr_assert_eq(geom_mask_margin(&m, mg, &o, &err), RERT_OK, "%s", err.msg);
  double lo[3], hi[3];
  geom_mask_bbox_mm(&o, lo, hi, &err);
  cr_assert_float_eq(lo[0], 9.5, 1e-9);
  cr_assert_float_eq(hi[0], 29.5, 1e-9);
  cr_assert_float_eq(lo[1], 14.5, 1e-9);
  cr_assert_float_eq(hi[2], 26.5, 1e-9);
  /* lattice count by hand, per y row: the 10×10 xz square of voxels, plus 5 voxels on each x side
   * (2·5·10), plus 2 on each z side (2·2·10), plus corner points (dx, dz) with dx, dz ≥ 1 and
   * (dx/5)² + (dz/2)² ≤ 1: dz = 1 → dx ≤ 4 (4 points), dz = 2 → none; 4 corners → 16.
   * (100 + 100 + 40 + 16) · 10 rows = 2560 mm³. */
  cr_assert_float_eq(geom_mask_volume_cc(&o), 2.560, 1e-9);
  geom_mask_free(&o);
  double mixed[3] = {2, -2, 0};
  cr_assert_eq(geom_mask_margin(&m, mixed, &o, &err), RERT_EINPUT);
  geom_mask_free(&m);
  roi_free(&r);

  /* lattice ball {|p − c| ≤ 8 mm} on the 1 mm grid, grown by 4 and shrunk by 3. Expected voxel
   * counts from a brute-force Minkowski sum / erosion over integer offsets (python3 itertools,
   * independent of the distance transform): 2109 → 6601 (grown), 515 (shrunk). */
  rert_volume occ = g;
  cr_assert_eq(volume_alloc(&occ, &err), RERT_OK);
  for (int k = 0; k < 40; k++)
    for (int j = 0; j < 40; j++)
      for (int i = 0; i < 40; i++)
        if ((i - 20) * (i - 20) + (j - 20) * (j - 20) + (k - 20) * (k - 20) <= 64)
          occ.data[i + 40 * (j + 40 * k)] = 1.0f;
  cr_assert_eq(geom_mask_from_volume(&occ, &m, &err), RERT_OK);
  volume_free(&occ);
  cr_assert_float_eq(geom_mask_volume_cc(&m), 2.109, 1e-9);
  double grow[3] = {4, 4, 4}, shrink[3] = {-3, -3, -3};
  cr_assert_eq(geom_mask_margin(&m, grow, &o, &err), RERT_OK);
  cr_assert_float_eq(geom_mask_volume_cc(&o), 6.601, 1e-9);
  geom_mask_free(&o);
  cr_assert_eq(geom_mask_margin(&m, shrink, &o, &err), RERT_OK);
  cr_assert_float_eq(geom_mask_volume_cc(&o), 0.515, 1e-9);
  geom_mask_free(&o);
  geom_mask_free(&m);
}

/* Bad input: no usable contours, non-parallel contours (left out, reported), self-intersecting
 * contour (kept, counted), a structure half outside the grid (outside_cc = half of the box). */
Test(geom, bad_input) {
  rert_roi r;
  memset(&r, 0, sizeof r);
  strcpy(r.name, "Empty");
  rert_roi_info info;
  rert_err err;
  cr_assert_eq(geom_roi_info(&r, 1, &info, &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "Empty"));

  box_roi(&r, 0, 10, 0, 10, 0, 1, 3);
  /* tilt the second contour about x by 10° (the other two hold most of the area: the stack) */
  for (int i = 0; i < 4; i++) {
    double *p = r.contours[1].xyz_mm + 3 * i;
    p[2] += p[1] * tan(10 * M_PI / 180);
  }
  /* the tilted contour is left out (an error finding: its area is lost), the other one kept */
  rert_geom_findings fnd = {0};
  rert_geom_opts go = {1, NULL};
  cr_assert_eq(geom_roi_info_ex(&r, &go, &info, &fnd, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(info.ncontours_used, 2);
  cr_assert_eq(info.ncontours_skipped, 1);
  cr_assert_eq(fnd.nerrors, 1);
  int fi = -1;
  for (int i = 0; i < fnd.n; i++)
    if (fnd.items[i].severity == GEOM_SEV_ERROR) fi = i;
  cr_assert_eq(fnd.items[fi].contour, 1);
  cr_assert_eq(fnd.items[fi].problem, GEOM_PROBLEM_NOT_PARALLEL);
  cr_assert_eq(fnd.items[fi].rule, GEOM_RULE_EXCLUDED);
  cr_assert(strstr(fnd.items[fi].detail, "10.0°"), "%s", fnd.items[fi].detail);
  geom_findings_free(&fnd);
  roi_free(&r);

  /* bow-tie: (0,0)→(10,6)→(10,0)→(0,10); the edges cross at (6.25, 3.75) */
  box_roi(&r, 0, 10, 0, 10, 0, 1, 1);
  double bow[12] = {0, 0, 0.5, 10, 6, 0.5, 10, 0, 0.5, 0, 10, 0.5};
  memcpy(r.contours[0].xyz_mm, bow, sizeof bow);
  cr_assert_eq(geom_roi_info(&r, 1, &info, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(info.nself_intersecting, 1);
  rert_volume g;
  grid_init(&g, 12, 1.0, 0.0);
  rert_mask m;
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK);
  /* even-odd: triangles (0,0),(6.25,3.75),(0,10) = 31.25 mm² and (6.25,3.75),(10,6),(10,0) =
   * 11.25 mm² (shoelace), × 1 mm slab */
  cr_assert(fabs(geom_mask_volume_cc(&m) - 0.0425) < 0.0005, "%g", geom_mask_volume_cc(&m));
  geom_mask_free(&m);
  roi_free(&r);

  /* 2-point contour only: degenerate */
  box_roi(&r, 0, 10, 0, 10, 0, 1, 1);
  r.contours[0].npoints = 2;
  cr_assert_eq(geom_roi_info(&r, 1, &info, &err), RERT_EINPUT);
  roi_free(&r);

  /* far away (50 m): entirely outside, reported, and fast; beyond 100 m: corrupt, refused */
  box_roi(&r, 5e4, 5e4 + 10, 0, 10, 0, 1, 10);
  grid_init(&g, 30, 1.0, 0.0);
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK);
  cr_assert_float_eq(m.outside_cc, 1.0, 1e-9);
  cr_assert_float_eq(geom_mask_volume_cc(&m), 0.0, 1e-12);
  geom_mask_free(&m);
  roi_free(&r);
  box_roi(&r, 1e9, 1e9 + 10, 0, 10, 0, 1, 10);
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_EINPUT);
  roi_free(&r);

  /* half outside: box x ∈ [−10, 10] on a grid whose first voxel edge is x = −0.5 */
  box_roi(&r, -9.5, 10.5, 0, 10, 0, 1, 10);
  grid_init(&g, 30, 1.0, 0.0);
  cr_assert_eq(geom_mask_from_roi(&r, &g, NULL, &m, &err), RERT_OK);
  cr_assert_float_eq(m.outside_cc, 0.9, 1e-6);
  cr_assert_float_eq(geom_mask_volume_cc(&m), 1.1, 1e-6);
  geom_mask_free(&m);
  roi_free(&r);
}

/* ---- image slices and slabs (docs/dvh.md "Between contour planes") ---- */

/* square contours of side s on the given planes (z values) */
static void squares_roi(rert_roi *r, const char *name, const double *z, int n, double side) {
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  r->ncontours = n;
  r->contours = calloc(n, sizeof(rert_contour));
  for (int k = 0; k < n; k++) {
    rert_contour *c = &r->contours[k];
    c->type = CONTOUR_CLOSED_PLANAR;
    c->npoints = 4;
    c->xyz_mm = malloc(12 * sizeof(double));
    double h = side / 2, p[12] = {-h, -h, z[k], h, -h, z[k], h, h, z[k], -h, h, z[k]};
    memcpy(c->xyz_mm, p, sizeof p);
  }
}

/* Inference: planes every 3 mm (an External) with a sparse ROI 39 and 72 mm apart → a 3 mm
 * lattice with the gaps filled by virtual slices; a sparse ROI alone the same (its gaps are 13,
 * 24 and 1 slices); two ROIs on lattices 2.0 mm and 0.5 mm with a 0.055 mm phase difference →
 * irregular (the smallest gap is no slice spacing); one plane → unknown. */
Test(geom, slices_inferred) {
  double ze[61], zs[4] = {0, 39, 111, 114};
  for (int k = 0; k < 61; k++) ze[k] = -30 + 3 * k;
  rert_roi ext, sp;
  squares_roi(&ext, "External", ze, 61, 30);
  squares_roi(&sp, "Sparse", zs, 4, 5);
  rert_slice_geom sl;
  rert_err err;
  const rert_roi *both[2] = {&sp, &ext}, *alone[1] = {&sp};
  cr_assert_eq(geom_slices_infer(both, 2, &sl, &err), RERT_OK);
  cr_assert_eq(sl.source, GEOM_SLICES_LATTICE);
  cr_assert_float_eq(sl.spacing_mm, 3.0, 1e-9);
  cr_assert_eq(sl.npos, 61);
  geom_slices_free(&sl);
  cr_assert_eq(geom_slices_infer(alone, 1, &sl, &err), RERT_OK);
  cr_assert_eq(sl.source, GEOM_SLICES_LATTICE);
  cr_assert_float_eq(sl.spacing_mm, 3.0, 1e-9);
  cr_assert_eq(sl.npos, 39); /* 0 … 114 every 3 mm */
  /* the sparse ROI's volume with these slices: 4 squares of 25 mm² × 3 mm = 0.3 cc, two gaps */
  rert_roi_info info;
  rert_geom_findings f = {0};
  rert_geom_opts go = {0, &sl};
  cr_assert_eq(geom_roi_info_ex(&sp, &go, &info, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(info.volume_cc, 0.3, 1e-12);
  cr_assert_eq(info.ngaps, 2);
  cr_assert_eq(f.n, 2);
  cr_assert_eq(f.items[0].problem, GEOM_PROBLEM_GAP);
  cr_assert(strstr(f.items[0].detail, "12 image slices"), "%s", f.items[0].detail);
  cr_assert(strstr(f.items[1].detail, "23 image slices"), "%s", f.items[1].detail);
  geom_findings_free(&f);
  geom_slices_free(&sl);

  double za[20], zb[40];
  for (int k = 0; k < 20; k++) za[k] = 0.74 + 2.0 * k;
  for (int k = 0; k < 40; k++) zb[k] = 0.685 + 0.5 * k;
  rert_roi ra, rb;
  squares_roi(&ra, "A", za, 20, 10);
  squares_roi(&rb, "B", zb, 40, 4);
  const rert_roi *ab[2] = {&ra, &rb};
  cr_assert_eq(geom_slices_infer(ab, 2, &sl, &err), RERT_OK);
  cr_assert_eq(sl.source, GEOM_SLICES_IRREGULAR);
  /* IRREGULAR slices say nothing about A: its own 2 mm lattice decides (volume 20 × 100 × 2) */
  go.slices = &sl;
  cr_assert_eq(geom_roi_info_ex(&ra, &go, &info, NULL, &err), RERT_OK);
  cr_assert_float_eq(info.volume_cc, 4.0, 1e-12);
  cr_assert_eq(info.slices_source, GEOM_SLICES_LATTICE);
  geom_slices_free(&sl);
  double z1[1] = {5};
  rert_roi one;
  squares_roi(&one, "One", z1, 1, 10);
  const rert_roi *o1[1] = {&one};
  cr_assert_eq(geom_slices_infer(o1, 1, &sl, &err), RERT_OK);
  cr_assert_eq(sl.source, GEOM_SLICES_NONE);
  geom_slices_free(&sl);
  roi_free(&ext), roi_free(&sp), roi_free(&ra), roi_free(&rb), roi_free(&one);
}

/* Slices from an image series: a 2.5 mm CT from z = −10. Contours every 1 mm (denser than the
 * slices) touch each other and their end caps are half their own spacing: 5 planes × 1 mm ×
 * 100 mm² = 0.5 cc (hand calculation). A single contour on slice z = 5 is one slice thick
 * (0.25 cc); one drawn between slices (z = 6.2) takes the local spacing and is reported. */
Test(geom, slices_from_image) {
  rert_image_series ct;
  memset(&ct, 0, sizeof ct);
  ct.image.nx = ct.image.ny = 4, ct.image.nz = 20;
  for (int a = 0; a < 3; a++) ct.image.spacing_mm[a] = 2.5;
  ct.image.origin_mm[2] = -10;
  volume_set_identity_dir(&ct.image);
  rert_slice_geom sl;
  rert_err err;
  cr_assert_eq(geom_slices_from_image(&ct, &sl, &err), RERT_OK);
  cr_assert_eq(sl.source, GEOM_SLICES_IMAGE);
  cr_assert_eq(sl.npos, 20);
  cr_assert_float_eq(sl.pos_mm[3], -2.5, 1e-12);
  double zd[5] = {0, 1, 2, 3, 4}, zs[1] = {5}, zo[1] = {6.2};
  rert_roi dense, single, off;
  squares_roi(&dense, "Dense", zd, 5, 10);
  squares_roi(&single, "Single", zs, 1, 10);
  squares_roi(&off, "Off", zo, 1, 10);
  rert_roi_info info;
  rert_geom_findings f = {0};
  rert_geom_opts go = {0, &sl};
  cr_assert_eq(geom_roi_info_ex(&dense, &go, &info, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(info.volume_cc, 0.5, 1e-12);
  cr_assert_eq(info.slices_source, GEOM_SLICES_IMAGE);
  geom_findings_free(&f);
  cr_assert_eq(geom_roi_info_ex(&single, &go, &info, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(info.volume_cc, 0.25, 1e-12);
  cr_assert_eq(f.n, 0);
  cr_assert_eq(geom_roi_info_ex(&off, &go, &info, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(info.volume_cc, 0.25, 1e-12);
  cr_assert_eq(f.n, 1);
  cr_assert_eq(f.items[0].problem, GEOM_PROBLEM_OFF_SLICE);
  cr_assert_eq(f.items[0].severity, GEOM_SEV_WARNING);
  geom_findings_free(&f);
  geom_slices_free(&sl);
  /* the same slices from positions read from headers (unsorted, with a missing slice at 7.5):
   * the single contour at z = 5 reaches half-way to 2.5 below and 10 above: 0.1·(1.25 + 2.5) */
  double pos[19];
  int np = 0;
  for (int k = 19; k >= 0; k--)
    if (k != 7) pos[np++] = -10 + 2.5 * k;
  double nz[3] = {0, 0, 2};
  cr_assert_eq(geom_slices_from_positions(pos, np, nz, NULL, &sl, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(sl.source, GEOM_SLICES_IMAGE);
  cr_assert_float_eq(sl.pos_mm[0], -10, 1e-12);
  cr_assert_float_eq(sl.spacing_mm, 2.5, 1e-12);
  go.slices = &sl;
  double z5[1] = {7.5 - 2.5};
  rert_roi s5;
  squares_roi(&s5, "S5", z5, 1, 10);
  cr_assert_eq(geom_roi_info_ex(&s5, &go, &info, NULL, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(info.volume_cc, 0.1 * (1.25 + 2.5), 1e-12);
  geom_slices_free(&sl);
  roi_free(&s5);
  roi_free(&dense), roi_free(&single), roi_free(&off);
}

/* Two overlapping 10 × 10 squares on one plane (offset 5, 5): even-odd area 200 − 2·25 = 150 mm²
 * exactly (the overlap is outside), reported as overlapping; a duplicate outline (same points,
 * other start and direction) is left out instead of cancelling the square. */
Test(geom, crossing_and_duplicate_contours) {
  rert_roi r;
  box_roi(&r, 0, 10, 0, 10, 0, 1, 1);
  rert_roi s2;
  box_roi(&s2, 5, 15, 5, 15, 0, 1, 1);
  r.contours = realloc(r.contours, 3 * sizeof(rert_contour));
  r.contours[1] = s2.contours[0];
  free(s2.contours);
  r.ncontours = 2;
  rert_roi_info info;
  rert_geom_findings f = {0};
  rert_geom_opts go = {1.0, NULL};
  rert_err err;
  cr_assert_eq(geom_roi_info_ex(&r, &go, &info, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(info.volume_cc, 0.150, 1e-12);
  int overlap = 0;
  for (int i = 0; i < f.n; i++) overlap += f.items[i].problem == GEOM_PROBLEM_OVERLAP;
  cr_assert_eq(overlap, 1);
  geom_findings_free(&f);
  /* third contour: the first square again, starting at another corner, reversed */
  rert_contour *d = &r.contours[2];
  d->type = CONTOUR_CLOSED_PLANAR;
  d->npoints = 4;
  d->xyz_mm = malloc(12 * sizeof(double));
  double z = r.contours[0].xyz_mm[2], p[12] = {10, 10, z, 10, 0, z, 0, 0, z, 0, 10, z};
  memcpy(d->xyz_mm, p, sizeof p);
  r.ncontours = 3;
  cr_assert_eq(geom_roi_info_ex(&r, &go, &info, &f, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(info.volume_cc, 0.150, 1e-12);
  int dup = -1;
  for (int i = 0; i < f.n; i++)
    if (f.items[i].problem == GEOM_PROBLEM_DUPLICATE) dup = f.items[i].contour;
  cr_assert_eq(dup, 2);
  geom_findings_free(&f);
  roi_free(&r);
}

/* No fixed limit on points: a 200 001-point outline whose closing legs cross its first edge is
 * found self-intersecting (grid buckets: no quadratic pair test), and its even-odd area is
 * exact (hand calculation below). */
Test(geom, self_intersection_large_contour) {
  int n = 200001;
  rert_roi r;
  memset(&r, 0, sizeof r);
  strcpy(r.name, "Large");
  r.ncontours = 1;
  r.contours = calloc(1, sizeof(rert_contour));
  rert_contour *c = &r.contours[0];
  c->type = CONTOUR_CLOSED_PLANAR;
  c->npoints = n;
  c->xyz_mm = malloc(3 * sizeof(double) * n);
  /* points along a 20 × 10 rectangle (0,0) → (20,0) → (20,10) → (0,10), densely, then a closing
   * leg through (10, −5): the bow at the bottom crosses the edge y = 0 twice */
  int m = n - 1;
  for (int i = 0; i < m; i++) {
    double t = 60.0 * i / m, x, y; /* perimeter 60 */
    if (t < 20) x = t, y = 0;
    else if (t < 30) x = 20, y = t - 20;
    else if (t < 50) x = 50 - t, y = 10;
    else x = 0, y = 60 - t;
    c->xyz_mm[3 * i] = x, c->xyz_mm[3 * i + 1] = y, c->xyz_mm[3 * i + 2] = 0;
  }
  /* replace the last point (0, ~0) by a dip below the bottom edge */
  c->xyz_mm[3 * (m - 1)] = 0, c->xyz_mm[3 * (m - 1) + 1] = 0.5;
  c->xyz_mm[3 * m] = 10, c->xyz_mm[3 * m + 1] = -5, c->xyz_mm[3 * m + 2] = 0;
  rert_roi_info info;
  rert_err err;
  cr_assert_eq(geom_roi_info(&r, 1.0, &info, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(info.nself_intersecting, 1);
  /* even-odd, by hand: the closing legs (0, 0.5) → (10, −5) → (0, 0) cross the bottom edge at
   * x = 0.5·10/5.5. The triangle (0,0), (0.909,0), (0,0.5) inside the rectangle is enclosed twice
   * (left edge drawn down and up again): outside; the triangle (0,0), (0.909,0), (10,−5) below it
   * is enclosed once: inside. Area = 200 − 0.2273 + 2.2727 mm², slab 1 mm. */
  double tri1 = 0.5 * 0.5 * (0.5 * 10 / 5.5);      /* legs 0.5 and 0.909 */
  double tri2 = 0.5 * 5 * (10 * 0.5 / 5.5);          /* base 0.909 on y = 0, height 5 */
  double expect = (200 - tri1 + tri2) / 1000.0;
  cr_assert(fabs(info.volume_cc - expect) < 2e-5, "%.7f vs %.7f", info.volume_cc, expect);
  roi_free(&r);
}
