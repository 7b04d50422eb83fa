/* test_geom.c — ROI rasterisation, shape facts, booleans and margins against closed-form
 * geometry (each expected value names its formula). */
#include <criterion/criterion.h>
#include <math.h>
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
