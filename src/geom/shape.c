/* shape.c — ROI contours → stack of even-odd polygon slabs, and the scanline integrator shared
 * by masks (geom) and DVHs (dvh). Conventions: rert/geom.h; design: src/geom/shape.h.
 *
 * Every contour is classified first. Contours that enclose no area (fewer than 3 points,
 * collinear), are not CLOSED_PLANAR, have non-finite coordinates, are tilted against the stack or
 * repeat another outline of their plane are left out, and each one is a finding. Points off the
 * contour's plane are projected onto it (the plane is the median of the points' positions, so
 * one stray point does not move it). Crossing edges (self-intersecting or overlapping contours)
 * are kept and the even-odd rule decides; the plane's area is then integrated exactly by a sweep
 * (src/geom/crossing.c) instead of the nesting-parity sum. Slabs come from the image slices
 * (src/geom/slab.c).
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
#define AREA_EPS_MM2 1e-6    /* an outline enclosing less encloses nothing */
#define DUP_TOL_MM 1e-6      /* duplicate outlines: same points within this */

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

/* Newell's method: normal × 2·area of a (possibly non-convex) polygon. Centred on the first
 * point so that far-off coordinates do not cost precision. */
static void newell(const double *p, int np, double *nv) {
  nv[0] = nv[1] = nv[2] = 0;
  const double *o = p;
  for (int i = 0; i < np; i++) {
    const double *u = p + 3 * i, *w = p + 3 * ((i + 1) % np);
    double ux = u[0] - o[0], uy = u[1] - o[1], uz = u[2] - o[2];
    double wx = w[0] - o[0], wy = w[1] - o[1], wz = w[2] - o[2];
    nv[0] += (uy - wy) * (uz + wz);
    nv[1] += (uz - wz) * (ux + wx);
    nv[2] += (ux - wx) * (uy + wy);
  }
}

static int finite_points(const rert_contour *ct, int *bad) {
  for (int i = 0; i < 3 * ct->npoints; i++)
    if (!isfinite(ct->xyz_mm[i]) || fabs(ct->xyz_mm[i]) > MAX_COORD_MM) {
      *bad = i / 3;
      return 0;
    }
  return 1;
}

int geom_contour_usable(const rert_contour *ct, double nv[3], double *a2) {
  int bad;
  if (ct->type != CONTOUR_CLOSED_PLANAR || ct->npoints < 3 || !ct->xyz_mm) return 0;
  if (!finite_points(ct, &bad)) return 0;
  newell(ct->xyz_mm, ct->npoints, nv);
  *a2 = sqrt(dot3(nv, nv));
  return *a2 > 2 * AREA_EPS_MM2;
}

void geom_orient_normal(double n[3]) {
  norm3(n);
  int big = 0;
  for (int a = 1; a < 3; a++)
    if (fabs(n[a]) > fabs(n[big])) big = a;
  if (n[big] < 0)
    for (int a = 0; a < 3; a++) n[a] = -n[a];
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

int geom_contour_plane(const rert_contour *ct, const double n[3], double *c, double *maxdev,
                       int *devidx) {
  int np = ct->npoints;
  if (np < 1 || !ct->xyz_mm) {
    *c = 0, *maxdev = 0, *devidx = 0;
    return 0;
  }
  double *t = malloc((size_t)np * sizeof(double));
  if (!t) return -1;
  int same = 1;
  for (int i = 0; i < np; i++) {
    t[i] = dot3(ct->xyz_mm + 3 * i, n);
    if (t[i] != t[0]) same = 0;
  }
  double med = t[0];
  if (!same) {
    double *s = malloc((size_t)np * sizeof(double));
    if (!s) return free(t), -1;
    memcpy(s, t, (size_t)np * sizeof(double));
    qsort(s, np, sizeof(double), cmp_double);
    med = np % 2 ? s[np / 2] : 0.5 * (s[np / 2 - 1] + s[np / 2]);
    free(s);
  }
  double md = 0;
  int mi = 0;
  for (int i = 0; i < np; i++)
    if (fabs(t[i] - med) > md) md = fabs(t[i] - med), mi = i;
  free(t);
  *c = med, *maxdev = md, *devidx = mi;
  return 0;
}

/* Fraction of a contour's points within PLANAR_TOL_MM of the plane at c along n. */
static double on_plane_fraction(const rert_contour *ct, const double n[3], double c) {
  int k = 0;
  for (int i = 0; i < ct->npoints; i++)
    if (fabs(dot3(ct->xyz_mm + 3 * i, n) - c) <= PLANAR_TOL_MM) k++;
  return ct->npoints > 0 ? (double)k / ct->npoints : 0;
}

typedef struct {
  int idx;      /* contour index in roi */
  double c;     /* plane position along n */
  double a2;    /* |Newell| = 2·area */
  int plane;
  int dup;      /* duplicate of an earlier outline of its plane: left out */
} cinfo;

static int cmp_cinfo(const void *x, const void *y) {
  const cinfo *a = x, *b = y;
  if (a->c != b->c) return a->c < b->c ? -1 : 1;
  return a->idx - b->idx;
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

/* Same closed outline (any starting point, either direction), within DUP_TOL_MM. */
static int same_outline(const rert_contour *x, const rert_contour *y) {
  int n = x->npoints;
  if (y->npoints != n) return 0;
  const double *p = x->xyz_mm, *q = y->xyz_mm;
  for (int s = 0; s < n; s++) {
    const double *q0 = q + 3 * s;
    if (fabs(q0[0] - p[0]) > DUP_TOL_MM || fabs(q0[1] - p[1]) > DUP_TOL_MM ||
        fabs(q0[2] - p[2]) > DUP_TOL_MM)
      continue;
    for (int dir = -1; dir <= 1; dir += 2) {
      int ok = 1;
      for (int i = 1; i < n && ok; i++) {
        const double *a = p + 3 * i, *b = q + 3 * (((s + dir * i) % n + n) % n);
        if (fabs(a[0] - b[0]) > DUP_TOL_MM || fabs(a[1] - b[1]) > DUP_TOL_MM ||
            fabs(a[2] - b[2]) > DUP_TOL_MM)
          ok = 0;
      }
      if (ok) return 1;
    }
  }
  return 0;
}

/* Area of the usable contours parallel to unit n (and the total area). */
static double area_along(const rert_roi *roi, const double n[3], double *total) {
  double a = 0, t = 0;
  for (int c = 0; c < roi->ncontours; c++) {
    double nv[3], a2;
    if (!geom_contour_usable(&roi->contours[c], nv, &a2)) continue;
    t += a2;
    if (fabs(dot3(nv, n)) / a2 >= PARALLEL_COS) a += a2;
  }
  if (total) *total = t;
  return a;
}

/* n: on entry the largest contour's Newell vector; on exit the orientation holding most area. */
static int pick_normal(const rert_roi *roi, double n[3]) {
  double u[3] = {n[0], n[1], n[2]}, total;
  norm3(u);
  double best = area_along(roi, u, &total);
  if (best >= 0.5 * total) return 0;
  for (int c = 0; c < roi->ncontours; c++) {
    double nv[3], a2;
    if (!geom_contour_usable(&roi->contours[c], nv, &a2)) continue;
    double w[3] = {nv[0] / a2, nv[1] / a2, nv[2] / a2};
    double a = area_along(roi, w, NULL);
    if (a > best) best = a, n[0] = w[0], n[1] = w[1], n[2] = w[2];
    if (best >= 0.5 * total) break;
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
  free(s->loops);
  memset(s, 0, sizeof *s);
}

#define ADD(...)                                                                                 \
  do {                                                                                           \
    if (geom_findings_add(F, __VA_ARGS__)) goto oom;                                             \
  } while (0)

/* Findings of one ROI in contour order (ROI-wide first), stable. */
static void sort_findings(rert_geom_findings *f, int from) {
  for (int i = from + 1; i < f->n; i++) {
    rert_geom_finding x = f->items[i];
    int j = i - 1;
    while (j >= from && f->items[j].contour > x.contour) f->items[j + 1] = f->items[j], j--;
    f->items[j + 1] = x;
  }
}

static int shape_build(const rert_roi *roi, const geom_build_opts *o, geom_shape *s, rert_err *err,
                       rert_geom_findings *F);

int geom_shape_build(const rert_roi *roi, const geom_build_opts *o, geom_shape *s, rert_err *err) {
  rert_geom_findings local;
  memset(&local, 0, sizeof local);
  rert_geom_findings *F = o && o->findings ? o->findings : &local;
  int n0 = F->n;
  int rc = shape_build(roi, o, s, err, F);
  sort_findings(F, n0);
  geom_findings_free(&local);
  return rc;
}

static int shape_build(const rert_roi *roi, const geom_build_opts *o, geom_shape *s, rert_err *err,
                       rert_geom_findings *F) {
  memset(s, 0, sizeof *s);
  rert_roi_info *info = &s->info;
  const char *nm = roi->name[0] ? roi->name : "(unnamed)";
  cinfo *ci = NULL;
  double *cpos = NULL, *lo = NULL, *hi = NULL;
  int *cidx = NULL, *self = NULL, *other = NULL;
  int rc = RERT_OK;

  if (roi->ncontours <= 0 || !roi->contours) {
    ADD(-1, GEOM_PROBLEM_NO_CONTOURS, GEOM_RULE_NOT_COMPUTED, GEOM_SEV_ERROR, "the ROI has no contour data");
    return rert_err_set(err, RERT_EINPUT, "ROI %s has no contours", nm);
  }
  /* 1. classify; the reference normal is that of the largest usable contour */
  double best = 0;
  int ncand = 0;
  for (int c = 0; c < roi->ncontours; c++) {
    const rert_contour *ct = &roi->contours[c];
    double nv[3], a2;
    int bad;
    if (ct->type != CONTOUR_CLOSED_PLANAR) {
      static const char *tn[] = {"CLOSED_PLANAR", "POINT", "OPEN_PLANAR", "OPEN_NONPLANAR"};
      ADD(c, GEOM_PROBLEM_NOT_CLOSED, GEOM_RULE_IGNORED, GEOM_SEV_INFO, "%s, %d point%s",
          tn[ct->type < 4 ? ct->type : 0], ct->npoints, ct->npoints == 1 ? "" : "s");
      continue;
    }
    if (ct->npoints < 3 || !ct->xyz_mm) {
      ADD(c, GEOM_PROBLEM_FEW_POINTS, GEOM_RULE_EXCLUDED, GEOM_SEV_WARNING,
          "%d point%s: no area", ct->npoints, ct->npoints == 1 ? "" : "s");
      continue;
    }
    if (!finite_points(ct, &bad)) {
      ADD(c, GEOM_PROBLEM_NOT_FINITE, GEOM_RULE_EXCLUDED, GEOM_SEV_ERROR,
          "point %d is (%g, %g, %g) mm", bad + 1, ct->xyz_mm[3 * bad], ct->xyz_mm[3 * bad + 1],
          ct->xyz_mm[3 * bad + 2]);
      continue;
    }
    newell(ct->xyz_mm, ct->npoints, nv);
    a2 = sqrt(dot3(nv, nv));
    if (!(a2 > 2 * AREA_EPS_MM2)) {
      ADD(c, GEOM_PROBLEM_ZERO_AREA, GEOM_RULE_EXCLUDED, GEOM_SEV_WARNING,
          "%d points enclosing %.2g mm²", ct->npoints, 0.5 * a2);
      continue;
    }
    ncand++;
    if (a2 > best) {
      best = a2;
      for (int a = 0; a < 3; a++) s->n[a] = nv[a];
    }
  }
  if (ncand == 0) {
    ADD(-1, GEOM_PROBLEM_NO_VOLUME, GEOM_RULE_NOT_COMPUTED, GEOM_SEV_ERROR,
        "none of its %d contours is a closed planar outline enclosing an area", roi->ncontours);
    return rert_err_set(err, RERT_EINPUT,
                        "ROI %s: no closed planar contour with at least 3 points and non-zero area",
                        nm);
  }
  /* the stack's orientation is that of most contour area: the largest contour's, unless contours
   * parallel to it hold less than half the area (then vote among the distinct orientations) */
  if (pick_normal(roi, s->n)) goto oom;
  geom_orient_normal(s->n);
  double ref[3] = {1, 0, 0};
  if (fabs(s->n[0]) > 0.9) ref[0] = 0, ref[1] = 1;
  double d = dot3(ref, s->n);
  for (int a = 0; a < 3; a++) s->e1[a] = ref[a] - d * s->n[a];
  norm3(s->e1);
  cross3(s->n, s->e1, s->e2);

  /* 2. orientation and plane of each usable contour */
  ci = calloc((size_t)ncand + 1, sizeof *ci);
  if (!ci) goto oom;
  int nuse = 0;
  for (int c = 0; c < roi->ncontours; c++) {
    const rert_contour *ct = &roi->contours[c];
    double nv[3], a2, cm, dev;
    int di;
    if (!geom_contour_usable(ct, nv, &a2)) continue;
    double cosang = fabs(dot3(nv, s->n)) / a2;
    if (geom_contour_plane(ct, s->n, &cm, &dev, &di)) goto oom;
    /* tilted: left out, unless most points lie on one plane of the stack and a few stray
     * points tilt it (those are projected, below) */
    if (cosang < PARALLEL_COS && on_plane_fraction(ct, s->n, cm) < 0.75) {
      ADD(c, GEOM_PROBLEM_NOT_PARALLEL, GEOM_RULE_EXCLUDED, GEOM_SEV_ERROR,
          "tilted %.1f° from the other contours", acos(fmin(1.0, cosang)) * 180 / M_PI);
      continue;
    }
    if (dev > PLANAR_TOL_MM)
      ADD(c, GEOM_PROBLEM_NON_PLANAR, GEOM_RULE_PROJECTED, GEOM_SEV_WARNING,
          "point %d is %.2f mm off the contour's plane (at %.2f mm)", di + 1, dev, cm);
    ci[nuse].idx = c;
    ci[nuse].c = cm;
    ci[nuse].a2 = a2;
    nuse++;
  }
  qsort(ci, nuse, sizeof *ci, cmp_cinfo);
  int np = 0;
  for (int u = 0; u < nuse; u++) {
    if (u > 0 && ci[u].c - ci[u - 1].c > PLANE_TOL_MM) np++;
    ci[u].plane = np;
  }
  np++;
  /* 3. duplicate outlines on one plane: the even-odd rule would cancel both (the organ would
   * vanish from that slice), so the copy is left out */
  for (int u = 0; u < nuse; u++)
    for (int w = u + 1; w < nuse && ci[w].plane == ci[u].plane; w++) {
      if (ci[w].dup || ci[u].dup) continue;
      if (fabs(ci[w].a2 - ci[u].a2) > 1e-9 * ci[u].a2 + 1e-12) continue;
      const rert_contour *x = &roi->contours[ci[u].idx], *y = &roi->contours[ci[w].idx];
      if (!same_outline(x, y)) continue;
      int keep = ci[u].idx < ci[w].idx ? u : w, drop = keep == u ? w : u;
      ci[drop].dup = 1;
      ADD(ci[drop].idx, GEOM_PROBLEM_DUPLICATE, GEOM_RULE_EXCLUDED, GEOM_SEV_WARNING,
          "same outline as contour %d (the even-odd rule would cancel both)", ci[keep].idx + 1);
    }
  int total_pts = 0, nloops = 0;
  for (int u = 0; u < nuse; u++)
    if (!ci[u].dup) total_pts += roi->contours[ci[u].idx].npoints, nloops++;

  /* 4. planes, loops, vertices, scan edges */
  s->planes = calloc((size_t)np, sizeof *s->planes);
  s->edges = calloc((size_t)total_pts, sizeof *s->edges);
  s->verts_ab = calloc(2 * (size_t)total_pts, sizeof(double));
  s->plane_v0 = calloc((size_t)np, sizeof(int));
  s->plane_nv = calloc((size_t)np, sizeof(int));
  s->loops = calloc((size_t)nloops + 1, sizeof *s->loops);
  cpos = calloc((size_t)np, sizeof(double));
  cidx = calloc((size_t)np, sizeof(int));
  lo = calloc((size_t)np, sizeof(double));
  hi = calloc((size_t)np, sizeof(double));
  self = calloc((size_t)nloops + 1, sizeof(int));
  other = calloc((size_t)nloops + 1, sizeof(int));
  if (!s->planes || !s->edges || !s->verts_ab || !s->plane_v0 || !s->plane_nv || !s->loops ||
      !cpos || !cidx || !lo || !hi || !self || !other)
    goto oom;
  s->nplanes = np;
  int nvert = 0;
  double csum = 0;
  int ccount = 0;
  for (int u = 0; u < nuse; u++) {
    int p = ci[u].plane;
    shape_plane *P = &s->planes[p];
    if (u == 0 || ci[u - 1].plane != p) {
      if (u > 0) s->planes[p - 1].c = csum / ccount;
      csum = 0, ccount = 0;
      P->e0 = s->nedges;
      P->l0 = s->nloops;
      s->plane_v0[p] = nvert;
      P->bmin = INFINITY, P->bmax = -INFINITY;
      cidx[p] = ci[u].idx;
    }
    csum += ci[u].c, ccount++;
    if (ci[u].idx < cidx[p]) cidx[p] = ci[u].idx;
    if (ci[u].dup) continue;
    const rert_contour *ct = &roi->contours[ci[u].idx];
    shape_loop *L = &s->loops[s->nloops++];
    L->v0 = nvert, L->nv = ct->npoints, L->contour = ci[u].idx;
    for (int i = 0; i < ct->npoints; i++) {
      const double *q = ct->xyz_mm + 3 * i;
      double a = dot3(q, s->e1), b = dot3(q, s->e2);
      s->verts_ab[2 * (nvert + i)] = a;
      s->verts_ab[2 * (nvert + i) + 1] = b;
      if (b < P->bmin) P->bmin = b;
      if (b > P->bmax) P->bmax = b;
    }
    for (int i = 0; i < ct->npoints; i++) {
      const double *v0 = s->verts_ab + 2 * (nvert + i);
      const double *v1 = s->verts_ab + 2 * (nvert + (i + 1) % ct->npoints);
      if (v0[1] != v1[1]) {
        shape_edge *e = &s->edges[s->nedges++];
        e->a0 = v0[0], e->b0 = v0[1], e->a1 = v1[0], e->b1 = v1[1];
      }
    }
    nvert += ct->npoints;
    P->ne = s->nedges - P->e0;
    P->nl = s->nloops - P->l0;
    s->plane_nv[p] = nvert - s->plane_v0[p];
  }
  s->planes[np - 1].c = csum / ccount;
  for (int q = 0; q < np; q++) cpos[q] = s->planes[q].c;

  /* 5. crossings (findings; exact even-odd area where they occur), areas and moments */
  double vol = 0, cen[3] = {0, 0, 0};
  double *pa = calloc((size_t)np * 3, sizeof(double)); /* per plane: area, ∫a, ∫b */
  if (!pa) goto oom;
  for (int q = 0; q < np; q++) {
    shape_plane *P = &s->planes[q];
    const shape_loop *L = s->loops + P->l0;
    double *xb = NULL;
    int nxb = 0;
    if (geom_loops_crossings(s->verts_ab, L, P->nl, self + P->l0, other + P->l0, &xb, &nxb)) {
      free(pa);
      goto oom;
    }
    for (int l = 0; l < P->nl; l++) {
      if (self[P->l0 + l]) {
        info->nself_intersecting++;
        P->crossings = 1;
        if (geom_findings_add(F, L[l].contour, GEOM_PROBLEM_SELF_INTERSECTING, GEOM_RULE_EVEN_ODD,
                              GEOM_SEV_WARNING, "edges cross; parts enclosed twice are outside"))
          goto oom_pa;
      }
      if (other[P->l0 + l] >= 0) {
        int o2 = other[P->l0 + l];
        P->crossings = 1;
        if (L[l].contour < L[o2].contour &&
            geom_findings_add(F, L[l].contour, GEOM_PROBLEM_OVERLAP, GEOM_RULE_EVEN_ODD,
                              GEOM_SEV_WARNING,
                              "crosses contour %d on the plane at %.2f mm; the overlap is outside",
                              L[o2].contour + 1, P->c))
          goto oom_pa;
      }
    }
    double A = 0, Ma = 0, Mb = 0;
    if (P->crossings) {
      if (geom_loops_evenodd(s->verts_ab, L, P->nl, xb, nxb, &A, &Ma, &Mb)) {
        free(xb);
        goto oom_pa;
      }
    } else {
      /* no crossings: each loop is a simple polygon; its sign is the parity of the loops
       * enclosing it (holes, islands in holes) */
      for (int l = 0; l < P->nl; l++) {
        const double *v = s->verts_ab + 2 * L[l].v0;
        int nv = L[l].nv, depth = 0;
        double sa = 0, sca = 0, scb = 0;
        for (int i = 0; i < nv; i++) {
          const double *v0 = v + 2 * i, *v1 = v + 2 * ((i + 1) % nv);
          double cr = v0[0] * v1[1] - v1[0] * v0[1];
          sa += cr, sca += (v0[0] + v1[0]) * cr, scb += (v0[1] + v1[1]) * cr;
        }
        for (int w = 0; w < P->nl; w++)
          if (w != l && pip(s->verts_ab + 2 * L[w].v0, L[w].nv, v[0], v[1])) depth++;
        double sg = (depth % 2 ? -1.0 : 1.0) * (sa < 0 ? -1.0 : 1.0);
        A += sg * 0.5 * sa;
        Ma += sg * sca / 6.0;
        Mb += sg * scb / 6.0;
      }
    }
    free(xb);
    P->area_mm2 = A;
    pa[3 * q] = A, pa[3 * q + 1] = Ma, pa[3 * q + 2] = Mb;
  }

  /* 6. slabs from the image slices */
  rc = geom_slabs(cpos, cidx, np, s->n, o ? o->slices : NULL, o ? o->default_thickness_mm : 0, lo,
                  hi, info, F, err, nm);
  if (rc) {
    free(pa);
    goto fail;
  }
  for (int q = 0; q < np; q++) s->planes[q].c_lo = lo[q], s->planes[q].c_hi = hi[q];

  /* 7. ContourImageSequence references against the image slices */
  const rert_slice_geom *SL = o ? o->slices : NULL;
  if (SL && SL->source == GEOM_SLICES_IMAGE && SL->sop_uids && SL->npos > 0) {
    double dn = dot3(SL->normal, s->n);
    for (int u = 0; u < nuse && fabs(dn) >= PARALLEL_COS; u++) {
      if (!roi->contour_image_uids || ci[u].idx >= roi->n_image_uids) break;
      const char *ref = roi->contour_image_uids[ci[u].idx];
      if (!ref[0]) continue;
      int k = -1;
      for (int j = 0; j < SL->npos && k < 0; j++)
        if (!strncmp(SL->sop_uids[j], ref, RERT_UID_LEN)) k = j;
      if (k < 0) {
        if (geom_findings_add(F, ci[u].idx, GEOM_PROBLEM_REF_MISMATCH, GEOM_RULE_NONE,
                              GEOM_SEV_WARNING,
                              "references image %.64s, which is not in the image series", ref))
          goto oom_pa;
        continue;
      }
      double zk = (dn > 0 ? 1 : -1) * SL->pos_mm[k];
      if (fabs(zk - ci[u].c) > PLANAR_TOL_MM &&
          geom_findings_add(F, ci[u].idx, GEOM_PROBLEM_REF_MISMATCH, GEOM_RULE_NONE,
                            GEOM_SEV_WARNING,
                            "drawn at %.2f mm but references image %d of the series, at %.2f mm",
                            ci[u].c, k + 1, zk))
        goto oom_pa;
    }
  }

  /* 8. volume, centroid, bounding box */
  for (int q = 0; q < np; q++) {
    double t = s->planes[q].c_hi - s->planes[q].c_lo, A = pa[3 * q];
    vol += A * t;
    double cc = 0.5 * (s->planes[q].c_lo + s->planes[q].c_hi);
    for (int a = 0; a < 3; a++)
      cen[a] += t * (pa[3 * q + 1] * s->e1[a] + pa[3 * q + 2] * s->e2[a] + A * cc * s->n[a]);
  }
  free(pa);
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
  if (np > 1) {
    for (int q = 0; q + 1 < np; q++) lo[q] = cpos[q + 1] - cpos[q];
    qsort(lo, np - 1, sizeof(double), cmp_double);
    info->plane_spacing_mm = (np - 1) % 2 ? lo[(np - 1) / 2] : 0.5 * (lo[(np - 1) / 2 - 1] + lo[(np - 1) / 2]);
  }
  info->nplanes = np;
  info->ncontours_used = s->nloops;
  info->ncontours_skipped = roi->ncontours - s->nloops;
  free(ci), free(cpos), free(cidx), free(lo), free(hi), free(self), free(other);
  return RERT_OK;
oom_pa:
  free(pa);
oom:
  rc = rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory", nm);
fail:
  free(ci), free(cpos), free(cidx), free(lo), free(hi), free(self), free(other);
  geom_shape_free(s);
  return rc;
}

int geom_roi_info_ex(const rert_roi *roi, const rert_geom_opts *opt, rert_roi_info *info,
                     rert_geom_findings *findings, rert_err *err) {
  geom_shape s;
  geom_build_opts o = {opt ? opt->default_thickness_mm : 0, opt ? opt->slices : NULL, findings};
  memset(info, 0, sizeof *info);
  int rc = geom_shape_build(roi, &o, &s, err);
  if (rc) return rc;
  *info = s.info;
  geom_shape_free(&s);
  return RERT_OK;
}

int geom_roi_info(const rert_roi *roi, double default_thickness_mm, rert_roi_info *info,
                  rert_err *err) {
  rert_geom_opts o = {default_thickness_mm, NULL};
  return geom_roi_info_ex(roi, &o, info, NULL, err);
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
