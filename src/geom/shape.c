/* shape.c — ROI contours → stack of even-odd polygon slabs, and the scanline integrator shared
 * by masks (geom) and DVHs (dvh). Conventions: rert/geom.h; design: src/geom/shape.h.
 *
 * Why scanlines: integrating the shape itself (instead of a voxel mask) makes coverage exact
 * along the scan direction at any grid orientation and lets a small organ be sampled far below
 * the dose-voxel size, which is what D0.03cc of a chiasm or cochlea needs.
 */
#include "geom/shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PLANE_TOL_MM 0.05    /* contours closer than this along the normal share a plane */
#define PLANAR_TOL_MM 0.5    /* max distance of a contour point from its contour's plane */
#define PARALLEL_COS 0.999   /* contour normals must agree within ~2.5° */
#define MAX_COORD_MM 1e5     /* 100 m: beyond this a coordinate is corrupt, not anatomy */

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static void cross3(const double *a, const double *b, double *o) {
  o[0] = a[1] * b[2] - a[2] * b[1];
  o[1] = a[2] * b[0] - a[0] * b[2];
  o[2] = a[0] * b[1] - a[1] * b[0];
}
static void norm3(double *a) {
  double l = sqrt(dot3(a, a));
  if (l > 0) a[0] /= l, a[1] /= l, a[2] /= l;
}

/* Newell's method: normal × 2·area of a (possibly non-convex) polygon. */
static void newell(const double *p, int np, double *nv) {
  nv[0] = nv[1] = nv[2] = 0;
  for (int i = 0; i < np; i++) {
    const double *u = p + 3 * i, *w = p + 3 * ((i + 1) % np);
    nv[0] += (u[1] - w[1]) * (u[2] + w[2]);
    nv[1] += (u[2] - w[2]) * (u[0] + w[0]);
    nv[2] += (u[0] - w[0]) * (u[1] + w[1]);
  }
}

typedef struct {
  int idx;      /* contour index in roi */
  double c;     /* plane position along n */
  double area;  /* |signed area| mm² */
  double sarea; /* signed area in (a,b) */
  double ca, cb;/* area centroid in (a,b) */
} cinfo;

static int cmp_cinfo(const void *x, const void *y) {
  double a = ((const cinfo *)x)->c, b = ((const cinfo *)y)->c;
  return a < b ? -1 : a > b;
}
static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* Even-odd point-in-polygon on (a,b) vertex list. */
static int pip(const double *ab, int nv, double a, double b) {
  int in = 0;
  for (int i = 0, j = nv - 1; i < nv; j = i++) {
    double ai = ab[2 * i], bi = ab[2 * i + 1], aj = ab[2 * j], bj = ab[2 * j + 1];
    if ((bi > b) != (bj > b) && a < (aj - ai) * (b - bi) / (bj - bi) + ai) in = !in;
  }
  return in;
}

static int seg_cross(const double *p, const double *q, const double *r, const double *s) {
  double d1 = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
  double d2 = (q[0] - p[0]) * (s[1] - p[1]) - (q[1] - p[1]) * (s[0] - p[0]);
  double d3 = (s[0] - r[0]) * (p[1] - r[1]) - (s[1] - r[1]) * (p[0] - r[0]);
  double d4 = (s[0] - r[0]) * (q[1] - r[1]) - (s[1] - r[1]) * (q[0] - r[0]);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

/* Proper crossings between non-adjacent edges (O(n²); only for contours up to 2000 points). */
static int self_intersects(const double *ab, int nv) {
  if (nv < 4 || nv > 2000) return 0;
  for (int i = 0; i < nv; i++) {
    const double *p = ab + 2 * i, *q = ab + 2 * ((i + 1) % nv);
    for (int j = i + 2; j < nv; j++) {
      if (i == 0 && j == nv - 1) continue;
      if (seg_cross(p, q, ab + 2 * j, ab + 2 * ((j + 1) % nv))) return 1;
    }
  }
  return 0;
}

void geom_shape_free(geom_shape *s) {
  if (!s) return;
  free(s->planes);
  free(s->edges);
  free(s->verts_ab);
  free(s->plane_v0);
  free(s->plane_nv);
  memset(s, 0, sizeof *s);
}

int geom_shape_build(const rert_roi *roi, double default_thickness_mm, int check_self,
                     geom_shape *s, rert_err *err) {
  memset(s, 0, sizeof *s);
  rert_roi_info *info = &s->info;
  const char *nm = roi->name[0] ? roi->name : "(unnamed)";
  /* 1. usable contours and the reference normal (largest contour) */
  double best = 0;
  int nuse = 0, total_pts = 0;
  for (int c = 0; c < roi->ncontours; c++) {
    const rert_contour *ct = &roi->contours[c];
    if (ct->type != CONTOUR_CLOSED_PLANAR || ct->npoints < 3 || !ct->xyz_mm) continue;
    int finite = 1;
    for (int i = 0; i < 3 * ct->npoints; i++)
      if (!isfinite(ct->xyz_mm[i]) || fabs(ct->xyz_mm[i]) > MAX_COORD_MM) finite = 0;
    if (!finite) continue;
    double nv[3];
    newell(ct->xyz_mm, ct->npoints, nv);
    double l = sqrt(dot3(nv, nv));
    if (l < 1e-9) continue;
    if (l > best) {
      best = l;
      memcpy(s->n, nv, sizeof nv);
    }
  }
  if (best <= 0)
    return rert_err_set(err, RERT_EINPUT,
                        "ROI %s: no closed planar contour with at least 3 points and non-zero area",
                        nm);
  norm3(s->n);
  /* orient the normal so its largest component is positive (axial stacks: n = +z) */
  int big = 0;
  for (int a = 1; a < 3; a++)
    if (fabs(s->n[a]) > fabs(s->n[big])) big = a;
  if (s->n[big] < 0)
    for (int a = 0; a < 3; a++) s->n[a] = -s->n[a];
  double ref[3] = {1, 0, 0};
  if (fabs(s->n[0]) > 0.9) ref[0] = 0, ref[1] = 1;
  double d = dot3(ref, s->n);
  for (int a = 0; a < 3; a++) s->e1[a] = ref[a] - d * s->n[a];
  norm3(s->e1);
  cross3(s->n, s->e1, s->e2);

  cinfo *ci = calloc((size_t)roi->ncontours + 1, sizeof *ci);
  if (!ci) return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  for (int c = 0; c < roi->ncontours; c++) {
    const rert_contour *ct = &roi->contours[c];
    if (ct->type != CONTOUR_CLOSED_PLANAR || ct->npoints < 3 || !ct->xyz_mm) {
      info->ncontours_skipped++;
      continue;
    }
    int finite = 1;
    for (int i = 0; i < 3 * ct->npoints; i++)
      if (!isfinite(ct->xyz_mm[i]) || fabs(ct->xyz_mm[i]) > MAX_COORD_MM) finite = 0;
    double nv[3];
    newell(ct->xyz_mm, ct->npoints, nv);
    double l = sqrt(dot3(nv, nv));
    if (!finite || l < 1e-9) {
      info->ncontours_skipped++;
      continue;
    }
    if (fabs(dot3(nv, s->n)) / l < PARALLEL_COS) {
      free(ci);
      return rert_err_set(err, RERT_EINPUT,
                          "ROI %s: contour %d is not parallel to the other contours "
                          "(contours must be a stack of parallel planes)", nm, c + 1);
    }
    double cm = 0;
    for (int i = 0; i < ct->npoints; i++) cm += dot3(ct->xyz_mm + 3 * i, s->n);
    cm /= ct->npoints;
    for (int i = 0; i < ct->npoints; i++)
      if (fabs(dot3(ct->xyz_mm + 3 * i, s->n) - cm) > PLANAR_TOL_MM) {
        free(ci);
        return rert_err_set(err, RERT_EINPUT,
                            "ROI %s: contour %d is not planar (point %d is %.2f mm off its plane)",
                            nm, c + 1, i + 1, fabs(dot3(ct->xyz_mm + 3 * i, s->n) - cm));
      }
    ci[nuse].idx = c;
    ci[nuse].c = cm;
    nuse++;
    total_pts += ct->npoints;
  }
  info->ncontours_used = nuse;
  qsort(ci, nuse, sizeof *ci, cmp_cinfo);

  /* 2. planes */
  int np = 0;
  for (int u = 0; u < nuse; u++)
    if (u == 0 || ci[u].c - ci[u - 1].c > PLANE_TOL_MM) np++;
  s->planes = calloc(np, sizeof *s->planes);
  s->edges = calloc(total_pts, sizeof *s->edges);
  s->verts_ab = calloc(2 * (size_t)total_pts, sizeof(double));
  s->plane_v0 = calloc(np, sizeof(int));
  s->plane_nv = calloc(np, sizeof(int));
  int *cstart = calloc(nuse + 1, sizeof(int)); /* per used contour: first vertex in verts_ab */
  int *cplane = calloc(nuse + 1, sizeof(int));
  double *gaps = calloc(np + 1, sizeof(double));
  if (!s->planes || !s->edges || !s->verts_ab || !s->plane_v0 || !s->plane_nv || !cstart ||
      !cplane || !gaps) {
    free(ci), free(cstart), free(cplane), free(gaps);
    geom_shape_free(s);
    return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
  }
  s->nplanes = np;
  int p = -1, nvert = 0;
  double csum = 0;
  int ccount = 0;
  for (int u = 0; u < nuse; u++) {
    if (u == 0 || ci[u].c - ci[u - 1].c > PLANE_TOL_MM) {
      if (p >= 0) s->planes[p].c = csum / ccount;
      p++;
      csum = 0, ccount = 0;
      s->planes[p].e0 = s->nedges;
      s->plane_v0[p] = nvert;
      s->planes[p].bmin = INFINITY, s->planes[p].bmax = -INFINITY;
    }
    csum += ci[u].c, ccount++;
    const rert_contour *ct = &roi->contours[ci[u].idx];
    cstart[u] = nvert;
    cplane[u] = p;
    double sa = 0, sca = 0, scb = 0;
    for (int i = 0; i < ct->npoints; i++) {
      const double *q = ct->xyz_mm + 3 * i;
      double a = dot3(q, s->e1), b = dot3(q, s->e2);
      s->verts_ab[2 * (nvert + i)] = a;
      s->verts_ab[2 * (nvert + i) + 1] = b;
      if (b < s->planes[p].bmin) s->planes[p].bmin = b;
      if (b > s->planes[p].bmax) s->planes[p].bmax = b;
    }
    for (int i = 0; i < ct->npoints; i++) {
      const double *v0 = s->verts_ab + 2 * (nvert + i);
      const double *v1 = s->verts_ab + 2 * (nvert + (i + 1) % ct->npoints);
      double cr = v0[0] * v1[1] - v1[0] * v0[1];
      sa += cr;
      sca += (v0[0] + v1[0]) * cr;
      scb += (v0[1] + v1[1]) * cr;
      if (v0[1] != v1[1]) {
        shape_edge *e = &s->edges[s->nedges++];
        e->a0 = v0[0], e->b0 = v0[1], e->a1 = v1[0], e->b1 = v1[1];
      }
    }
    sa *= 0.5;
    ci[u].sarea = sa;
    ci[u].area = fabs(sa);
    ci[u].ca = fabs(sa) > 0 ? sca / (6 * sa) : 0;
    ci[u].cb = fabs(sa) > 0 ? scb / (6 * sa) : 0;
    nvert += ct->npoints;
    s->planes[p].ne = s->nedges - s->planes[p].e0;
    s->plane_nv[p] = nvert - s->plane_v0[p];
  }
  if (p >= 0) s->planes[p].c = csum / ccount;
  cstart[nuse] = nvert;

  /* 3. slabs: half-way to neighbours, capped at half the median spacing; half-slice end caps */
  for (int q = 0; q + 1 < np; q++) gaps[q] = s->planes[q + 1].c - s->planes[q].c;
  double med = 0;
  if (np > 1) {
    double *tmp = malloc((np - 1) * sizeof(double));
    if (!tmp) {
      free(ci), free(cstart), free(cplane), free(gaps);
      geom_shape_free(s);
      return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
    }
    memcpy(tmp, gaps, (np - 1) * sizeof(double));
    qsort(tmp, np - 1, sizeof(double), cmp_double);
    med = (np - 1) % 2 ? tmp[(np - 1) / 2] : 0.5 * (tmp[(np - 1) / 2 - 1] + tmp[(np - 1) / 2]);
    free(tmp);
  } else {
    if (!(default_thickness_mm > 0)) {
      free(ci), free(cstart), free(cplane), free(gaps);
      geom_shape_free(s);
      return rert_err_set(err, RERT_EINPUT,
                          "ROI %s: single contour plane and no slice thickness to extrude it", nm);
    }
    med = default_thickness_mm;
  }
  info->plane_spacing_mm = np > 1 ? med : 0;
  for (int q = 0; q < np; q++) {
    double below = q > 0 ? fmin(0.5 * gaps[q - 1], 0.5 * med) : 0.5 * med;
    double above = q + 1 < np ? fmin(0.5 * gaps[q], 0.5 * med) : 0.5 * med;
    s->planes[q].c_lo = s->planes[q].c - below;
    s->planes[q].c_hi = s->planes[q].c + above;
  }

  /* 4. even-odd area per plane (nesting parity of each contour), centroid, bbox, self-crossing */
  double vol = 0, cen[3] = {0, 0, 0};
  for (int u = 0; u < nuse; u++) {
    int pl = cplane[u], depth = 0;
    const double *v = s->verts_ab + 2 * cstart[u];
    for (int w = 0; w < nuse; w++) {
      if (w == u || cplane[w] != pl) continue;
      if (pip(s->verts_ab + 2 * cstart[w], cstart[w + 1] - cstart[w], v[0], v[1])) depth++;
    }
    double sign = depth % 2 ? -1 : 1;
    double t = s->planes[pl].c_hi - s->planes[pl].c_lo;
    s->planes[pl].area_mm2 += sign * ci[u].area;
    double dv = sign * ci[u].area * t;
    vol += dv;
    double cc = 0.5 * (s->planes[pl].c_lo + s->planes[pl].c_hi);
    for (int a = 0; a < 3; a++)
      cen[a] += dv * (ci[u].ca * s->e1[a] + ci[u].cb * s->e2[a] + cc * s->n[a]);
    if (check_self && self_intersects(v, cstart[u + 1] - cstart[u])) info->nself_intersecting++;
  }
  info->volume_cc = vol / 1000.0;
  for (int a = 0; a < 3; a++) {
    info->centroid_mm[a] = vol > 0 ? cen[a] / vol : NAN;
    info->bbox_lo_mm[a] = INFINITY;
    info->bbox_hi_mm[a] = -INFINITY;
    info->normal[a] = s->n[a];
  }
  for (int q = 0; q < np; q++)
    for (int i = 0; i < s->plane_nv[q]; i++) {
      const double *v = s->verts_ab + 2 * (s->plane_v0[q] + i);
      for (int e = 0; e < 2; e++) {
        double cz = e ? s->planes[q].c_hi : s->planes[q].c_lo;
        for (int a = 0; a < 3; a++) {
          double x = v[0] * s->e1[a] + v[1] * s->e2[a] + cz * s->n[a];
          if (x < info->bbox_lo_mm[a]) info->bbox_lo_mm[a] = x;
          if (x > info->bbox_hi_mm[a]) info->bbox_hi_mm[a] = x;
        }
      }
    }
  info->nplanes = np;
  free(ci), free(cstart), free(cplane), free(gaps);
  return RERT_OK;
}

int geom_roi_info(const rert_roi *roi, double default_thickness_mm, rert_roi_info *info,
                  rert_err *err) {
  geom_shape s;
  int rc = geom_shape_build(roi, default_thickness_mm, 1, &s, err);
  if (rc) return rc;
  *info = s.info;
  geom_shape_free(&s);
  return RERT_OK;
}

void shape_gridmap_init(shape_gridmap *g, const geom_shape *s, const rert_volume *grid, int half) {
  g->half = half;
  double zero[3] = {0, 0, 0}, t[3];
  volume_world_to_index(grid, zero, g->I0);
  volume_world_to_index(grid, s->e1, t);
  for (int a = 0; a < 3; a++) g->Ia[a] = t[a] - g->I0[a];
  volume_world_to_index(grid, s->e2, t);
  for (int a = 0; a < 3; a++) g->Ib[a] = t[a] - g->I0[a];
  volume_world_to_index(grid, s->n, t);
  for (int a = 0; a < 3; a++) g->Ic[a] = t[a] - g->I0[a];
  g->n[0] = grid->nx, g->n[1] = grid->ny, g->n[2] = grid->nz;
}

/* Grid-border crossings (index −0.5 and n−0.5) of x ↦ base + x·k inside (lo, hi), sorted. */
static int border_points(const shape_gridmap *g, const double base[3], const double k[3],
                         const int use[3], double lo, double hi, double out[6]) {
  int n = 0;
  for (int q = 0; q < 3; q++) {
    if (!use[q] || fabs(k[q]) < 1e-12) continue;
    double e[2] = {-0.5, g->n[q] - 0.5};
    for (int i = 0; i < 2; i++) {
      double x = (e[i] - base[q]) / k[q];
      if (x > lo && x < hi) out[n++] = x;
    }
  }
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
      double t = out[j];
      out[j] = out[j - 1], out[j - 1] = t;
    }
  return n;
}

/* Split [alo, ahi] of the row through R (index at a = 0) where an index coordinate crosses a
 * cell face (shape_gridmap.half) or the grid border, and emit the pieces. */
static void emit_split(const shape_gridmap *g, const double R[3], double alo, double ahi,
                       double db, double dc, shape_piece_fn fn, void *ctx) {
  double next[4], step[4], u = g->half ? 0.5 : 1.0, bp[6];
  static const int all[3] = {1, 1, 1};
  int nbp = g->half ? 0 : border_points(g, R, g->Ia, all, alo, ahi, bp), ib = 0;
  for (int q = 0; q < 3; q++) {
    double ia = g->Ia[q];
    if (fabs(ia) < 1e-12) {
      next[q] = INFINITY;
      step[q] = INFINITY;
      continue;
    }
    double t0 = (R[q] + alo * ia) / u;
    double tn = ia > 0 ? floor(t0) + 1.0 : ceil(t0) - 1.0;
    next[q] = (u * tn - R[q]) / ia;
    step[q] = u / fabs(ia);
  }
  next[3] = nbp ? bp[0] : INFINITY;
  double a = alo, p0[3], p1[3];
  for (int q = 0; q < 3; q++) p0[q] = R[q] + a * g->Ia[q];
  while (a < ahi) {
    double an = ahi;
    for (int q = 0; q < 4; q++)
      if (next[q] < an) an = next[q];
    if (an > a + 1e-9) {
      for (int q = 0; q < 3; q++) p1[q] = R[q] + an * g->Ia[q];
      fn(ctx, p0, p1, an - a, db, dc);
      memcpy(p0, p1, sizeof p0);
    }
    for (int q = 0; q < 3; q++)
      while (next[q] <= an + 1e-9) next[q] += step[q];
    while (next[3] <= an + 1e-9) next[3] = ++ib < nbp ? bp[ib] : INFINITY;
    a = an;
  }
}

static void emit_whole(const shape_gridmap *g, const double R[3], double a0, double a1, double db,
                       double dc, shape_piece_fn fn, void *ctx) {
  if (!(a1 > a0 + 1e-9)) return;
  double p0[3], p1[3];
  for (int q = 0; q < 3; q++) p0[q] = R[q] + a0 * g->Ia[q], p1[q] = R[q] + a1 * g->Ia[q];
  fn(ctx, p0, p1, a1 - a0, db, dc);
}

/* Emit the pieces of [alo, ahi] on the row through R (index at a = 0): split where an index
 * coordinate crosses a cell face (shape_gridmap.half) or the grid border inside the grid; the
 * parts beyond the grid go out whole (they only count as outside volume, and a far-off contour
 * cannot make the loop run long). */
static void emit_row(const shape_gridmap *g, const double R[3], double alo, double ahi, double db,
                     double dc, shape_piece_fn fn, void *ctx) {
  double ain = -INFINITY, aout = INFINITY;
  for (int q = 0; q < 3; q++) {
    double ia = g->Ia[q], lo = -0.5, hi = g->n[q] - 0.5;
    if (fabs(ia) < 1e-12) {
      if (R[q] < lo || R[q] > hi) ain = INFINITY, aout = -INFINITY;
      continue;
    }
    double x0 = (lo - R[q]) / ia, x1 = (hi - R[q]) / ia;
    if (x0 > x1) {
      double t = x0;
      x0 = x1, x1 = t;
    }
    ain = fmax(ain, x0), aout = fmin(aout, x1);
  }
  if (!(aout > ain) || aout <= alo || ain >= ahi) {
    emit_whole(g, R, alo, ahi, db, dc, fn, ctx);
    return;
  }
  double s0 = fmax(alo, ain), s1 = fmin(ahi, aout);
  emit_whole(g, R, alo, s0, db, dc, fn, ctx);
  emit_split(g, R, s0, s1, db, dc, fn, ctx);
  emit_whole(g, R, s1, ahi, db, dc, fn, ctx);
}

/* Sample positions over [lo, hi]: split first where a grid index that depends on this coordinate
 * alone (coefficient k[q], others zero) crosses a cell face (and the grid border), so that
 * axis-aligned grids are exact in that direction, then into equal parts of at most `step`.
 * Returns the count; mid/width are malloc'ed. */
static int sample_axis(const shape_gridmap *g, double lo, double hi, double step,
                       const double base[3], const double k[3], const int alone[3], double **mid,
                       double **wid) {
  int nb = 0, cap = 16;
  double u = g->half ? 0.5 : 1.0;
  double *br = malloc(cap * sizeof(double));
  if (!br) return -1;
  br[nb++] = lo;
  double bp[6];
  int nbp = g->half ? 0 : border_points(g, base, k, alone, lo, hi, bp);
  for (int q = 0; q < 3 + nbp; q++) {
    if (q < 3 && (!alone[q] || fabs(k[q]) < 1e-12)) continue;
    double t0 = q < 3 ? (base[q] + lo * k[q]) / u : 0, t1 = q < 3 ? (base[q] + hi * k[q]) / u : 0;
    double tl = fmin(t0, t1), th = fmax(t0, t1);
    for (double t = q < 3 ? floor(tl) + 1 : 0; q < 3 ? t < th : t < 1; t += 1) {
      double x = q < 3 ? (u * t - base[q]) / k[q] : bp[q - 3];
      if (x <= lo || x >= hi) continue;
      if (nb + 2 > cap) {
        cap *= 2;
        double *nbr = realloc(br, cap * sizeof(double));
        if (!nbr) return free(br), -1;
        br = nbr;
      }
      br[nb++] = x;
    }
  }
  br[nb++] = hi;
  qsort(br, nb, sizeof(double), cmp_double);
  int n = 0;
  for (int i = 0; i + 1 < nb; i++)
    if (br[i + 1] - br[i] > 1e-9) n += (int)ceil((br[i + 1] - br[i]) / step - 1e-9);
  *mid = malloc((n + 1) * sizeof(double));
  *wid = malloc((n + 1) * sizeof(double));
  if (!*mid || !*wid) return free(br), free(*mid), free(*wid), -1;
  int o = 0;
  for (int i = 0; i + 1 < nb; i++) {
    double L = br[i + 1] - br[i];
    if (L <= 1e-9) continue;
    int m = (int)ceil(L / step - 1e-9);
    for (int s = 0; s < m; s++) {
      (*mid)[o] = br[i] + (s + 0.5) * L / m;
      (*wid)[o++] = L / m;
    }
  }
  free(br);
  return o;
}

int shape_scan_plane(const geom_shape *s, int pi, const shape_gridmap *g, double step_mm,
                     shape_piece_fn fn, void *ctx) {
  const shape_plane *P = &s->planes[pi];
  double T = P->c_hi - P->c_lo, span = P->bmax - P->bmin;
  if (!(T > 0) || !(span > 0) || P->ne < 2) return RERT_OK;
  int aloneb[3], alonec[3];
  for (int q = 0; q < 3; q++) {
    aloneb[q] = fabs(g->Ia[q]) < 1e-12 && fabs(g->Ic[q]) < 1e-12;
    alonec[q] = fabs(g->Ia[q]) < 1e-12 && fabs(g->Ib[q]) < 1e-12;
  }
  double *bm = NULL, *bw = NULL, *cm = NULL, *cw = NULL;
  int nrows = sample_axis(g, P->bmin, P->bmax, step_mm, g->I0, g->Ib, aloneb, &bm, &bw);
  int m = nrows < 0 ? -1 : sample_axis(g, P->c_lo, P->c_hi, step_mm, g->I0, g->Ic, alonec, &cm, &cw);
  double *xs = malloc((size_t)P->ne * sizeof(double));
  if (nrows < 0 || m < 0 || !xs) {
    free(bm), free(bw), free(cm), free(cw), free(xs);
    return RERT_EINTERNAL;
  }
  const shape_edge *E = s->edges + P->e0;
  for (int r = 0; r < nrows; r++) {
    double b = bm[r];
    int nx = 0;
    for (int e = 0; e < P->ne; e++) {
      double b0 = E[e].b0, b1 = E[e].b1;
      if ((b0 <= b && b < b1) || (b1 <= b && b < b0))
        xs[nx++] = E[e].a0 + (b - b0) * (E[e].a1 - E[e].a0) / (b1 - b0);
    }
    if (nx < 2) continue;
    for (int i = 1; i < nx; i++) { /* insertion sort: rows cross few edges */
      double v = xs[i];
      int j = i - 1;
      while (j >= 0 && xs[j] > v) xs[j + 1] = xs[j], j--;
      xs[j + 1] = v;
    }
    for (int sidx = 0; sidx < m; sidx++) {
      double c = cm[sidx], R[3];
      for (int q = 0; q < 3; q++) R[q] = g->I0[q] + b * g->Ib[q] + c * g->Ic[q];
      for (int k = 0; k + 1 < nx; k += 2)
        if (xs[k + 1] > xs[k]) emit_row(g, R, xs[k], xs[k + 1], bw[r], cw[sidx], fn, ctx);
    }
  }
  free(bm), free(bw), free(cm), free(cw), free(xs);
  return RERT_OK;
}
