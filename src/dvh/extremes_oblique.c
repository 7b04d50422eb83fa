/* extremes_oblique.c — exact Dmin/Dmax over a slab whose contour plane is oblique to the dose
 * grid (docs/dvh.md "Exact Dmin and Dmax", oblique planes).
 *
 * The maximum principle (extremes.c) still applies: over the slab the extremes of the trilinear
 * dose lie on the slab's surface or at grid nodes inside it. The surface is planar patches (the
 * two caps and one wall rectangle per polygon edge), oblique to the cells, so the candidates are:
 *   1. grid nodes inside the slab;
 *   2. the patches' edges (cap polygons, vertical wall edges) and the lines where cell faces cut
 *      the patches — on a cell face the dose is bilinear, so along such a line it is a
 *      quadratic; along any line in a cell, a cubic (dvh_extremes_segment fits it exactly);
 *   3. critical points of the dose restricted to a patch inside a cell. In a plane, take the
 *      direction w along which grid coordinate X is constant (w = e_X × m, m the plane's
 *      normal) and u ⊥ w in the plane: g(s, t) = c2(s)·t² + c1(s)·t + c0(s) with c2, c1, c0 of
 *      degree 1, 2, 3 in s (the dose is bilinear on each plane X = const). ∂g/∂t = 0 gives
 *      t = −c1 / (2 c2); then ∂g/∂s = 0 becomes 4 c2² c0' − 2 c1 c1' c2 + c1² c2' = 0, a quartic
 *      in s whose real roots are isolated through its derivatives' roots and bisected. Cells
 *      whose eight node values cannot leave the extremes found so far are skipped (the dose is
 *      a convex combination of them).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dvh/extremes.h"

static inline void upd(double v, double *mn, double *mx) {
  if (v < *mn) *mn = v;
  if (v > *mx) *mx = v;
}

static void cross(const double *a, const double *b, double *o) {
  o[0] = a[1] * b[2] - a[2] * b[1];
  o[1] = a[2] * b[0] - a[0] * b[2];
  o[2] = a[0] * b[1] - a[1] * b[0];
}
static double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static inline void to_index(const shape_gridmap *g, double a, double b, double c, double p[3]) {
  for (int q = 0; q < 3; q++) p[q] = g->I0[q] + a * g->Ia[q] + b * g->Ib[q] + c * g->Ic[q];
}

/* ---- polynomial roots on [lo, hi] (degree ≤ 4, c[k] the coefficient of x^k) ---- */
static double peval(const double *c, int deg, double x) {
  double v = 0;
  for (int k = deg; k >= 0; k--) v = v * x + c[k];
  return v;
}

static int proots(const double *c, int deg, double lo, double hi, double *r) {
  while (deg > 0 && fabs(c[deg]) <= 1e-14 * (fabs(c[0]) + fabs(c[1]) + 1e-300)) deg--;
  if (deg <= 0) return 0;
  if (deg == 1) {
    double x = -c[0] / c[1];
    if (x >= lo && x <= hi) return r[0] = x, 1;
    return 0;
  }
  /* split [lo, hi] at the roots of the derivative: p is monotone between them */
  double d[4], cr[4], pts[6];
  for (int k = 1; k <= deg; k++) d[k - 1] = k * c[k];
  int nc = proots(d, deg - 1, lo, hi, cr), np = 0, n = 0;
  pts[np++] = lo;
  for (int i = 0; i < nc; i++) pts[np++] = cr[i];
  pts[np++] = hi;
  for (int i = 1; i < np; i++)
    for (int j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
      double x = pts[j];
      pts[j] = pts[j - 1], pts[j - 1] = x;
    }
  for (int i = 0; i + 1 < np; i++) {
    double a = pts[i], b = pts[i + 1], fa = peval(c, deg, a), fb = peval(c, deg, b);
    if (fa == 0) {
      r[n++] = a;
      continue;
    }
    if ((fa > 0) == (fb > 0)) continue;
    for (int it = 0; it < 80; it++) {
      double m = 0.5 * (a + b), fm = peval(c, deg, m);
      if ((fm > 0) == (fa > 0)) a = m, fa = fm;
      else b = m;
    }
    r[n++] = 0.5 * (a + b);
  }
  if (peval(c, deg, hi) == 0) r[n++] = hi;
  return n;
}

/* ---- one cell's trilinear polynomial (extrapolated beyond the cell, for fitting) ----
 * cell[a] ∈ {−1: border strip below 0, 0 … n−2: interior, n−1: border strip above n−1}. */
static double cell_eval(const tri_grid *t, const int cell[3], const double p[3]) {
  int i0[3], i1[3];
  double f[3];
  for (int a = 0; a < 3; a++) {
    if (t->n[a] < 2 || cell[a] < 0) i0[a] = i1[a] = 0, f[a] = 0;
    else if (cell[a] >= t->n[a] - 1) i0[a] = i1[a] = t->n[a] - 1, f[a] = 0;
    else i0[a] = cell[a], i1[a] = cell[a] + 1, f[a] = p[a] - cell[a];
  }
  const size_t st[3] = {1, t->sy, t->sz};
  double v = 0;
  for (int c = 0; c < 8; c++) {
    double w = 1;
    size_t idx = 0;
    for (int a = 0; a < 3; a++) {
      int b = (c >> a) & 1;
      w *= b ? f[a] : 1 - f[a];
      idx += (size_t)(b ? i1[a] : i0[a]) * st[a];
    }
    v += w * t->d[idx];
  }
  return v;
}

static void cell_range(const tri_grid *t, const int cell[3], double *lo, double *hi) {
  int i0[3], i1[3];
  for (int a = 0; a < 3; a++) {
    if (t->n[a] < 2 || cell[a] < 0) i0[a] = i1[a] = 0;
    else if (cell[a] >= t->n[a] - 1) i0[a] = i1[a] = t->n[a] - 1;
    else i0[a] = cell[a], i1[a] = cell[a] + 1;
  }
  *lo = INFINITY, *hi = -INFINITY;
  for (int c = 0; c < 8; c++) {
    size_t idx = (size_t)((c & 1) ? i1[0] : i0[0]) + t->sy * ((c & 2) ? i1[1] : i0[1]) +
                 t->sz * ((c & 4) ? i1[2] : i0[2]);
    double v = t->d[idx];
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
  }
}

/* Cell box in index space: [lo, hi] per axis (border strips to ±0.5 beyond the outer nodes). */
static void cell_box(const tri_grid *t, const int cell[3], double lo[3], double hi[3]) {
  for (int a = 0; a < 3; a++) {
    if (cell[a] < 0) lo[a] = -0.5, hi[a] = 0;
    else if (cell[a] >= t->n[a] - 1) lo[a] = t->n[a] - 1, hi[a] = t->n[a] - 0.5;
    else lo[a] = cell[a], hi[a] = cell[a] + 1;
    if (t->n[a] < 2) lo[a] = -0.5, hi[a] = 0.5;
  }
}

/* A planar patch p0 + α·d1 + β·d2 (index space) and the test of (α, β) membership. */
typedef struct {
  double p0[3], d1[3], d2[3];
  double G11, G12, G22, det; /* Gram matrix of d1, d2 */
  int (*in)(const void *ctx, double al, double be);
  const void *ctx;
} patch;

static void patch_init(patch *P) {
  P->G11 = dot(P->d1, P->d1), P->G12 = dot(P->d1, P->d2), P->G22 = dot(P->d2, P->d2);
  P->det = P->G11 * P->G22 - P->G12 * P->G12;
}

static int patch_coords(const patch *P, const double p[3], double *al, double *be) {
  double r[3] = {p[0] - P->p0[0], p[1] - P->p0[1], p[2] - P->p0[2]};
  double b1 = dot(r, P->d1), b2 = dot(r, P->d2);
  if (!(fabs(P->det) > 0)) return 0;
  *al = (P->G22 * b1 - P->G12 * b2) / P->det;
  *be = (P->G11 * b2 - P->G12 * b1) / P->det;
  return 1;
}

/* Critical points of the cell's dose restricted to the patch plane, inside cell and patch. */
static void cell_critical(const tri_grid *t, const int cell[3], const patch *P, double *mn,
                          double *mx) {
  double m[3];
  cross(P->d1, P->d2, m);
  if (!(dot(m, m) > 0)) return;
  /* axis X: the one with the largest normal component (w = e_X × m is then well defined) */
  int X = 0;
  for (int a = 1; a < 3; a++)
    if (fabs(m[a]) > fabs(m[X])) X = a;
  double eX[3] = {0, 0, 0}, w[3], u[3];
  eX[X] = 1;
  cross(eX, m, w);
  cross(m, w, u);
  double ww = dot(w, w), uu = dot(u, u);
  if (!(ww > 0) || !(uu > 0)) return;
  /* s, t ranges over the cell's corners */
  double blo[3], bhi[3];
  cell_box(t, cell, blo, bhi);
  double slo = INFINITY, shi = -INFINITY, tlo = INFINITY, thi = -INFINITY;
  for (int c = 0; c < 8; c++) {
    double p[3] = {c & 1 ? bhi[0] : blo[0], c & 2 ? bhi[1] : blo[1], c & 4 ? bhi[2] : blo[2]};
    double r[3] = {p[0] - P->p0[0], p[1] - P->p0[1], p[2] - P->p0[2]};
    double s = dot(r, u) / uu, tt = dot(r, w) / ww;
    slo = fmin(slo, s), shi = fmax(shi, s), tlo = fmin(tlo, tt), thi = fmax(thi, tt);
  }
  if (!(shi > slo) || !(thi > tlo)) return;
  /* fit: at 4 values of x = (s − slo)/(shi − slo), the quadratic in t from 3 values */
  double C[3][4]; /* C[k][i]: coefficient of t^k at x_i */
  const double xs[4] = {0, 1.0 / 3, 2.0 / 3, 1};
  for (int i = 0; i < 4; i++) {
    double s = slo + xs[i] * (shi - slo), y[3];
    for (int j = 0; j < 3; j++) {
      double tt = tlo + 0.5 * j * (thi - tlo), p[3];
      for (int a = 0; a < 3; a++) p[a] = P->p0[a] + s * u[a] + tt * w[a];
      y[j] = cell_eval(t, cell, p);
    }
    /* in τ = (t − tlo)/(thi − tlo) ∈ {0, ½, 1}: q = y0 + b τ + a τ² */
    double a2 = 2 * (y[0] + y[2] - 2 * y[1]), b1 = y[2] - y[0] - a2;
    C[0][i] = y[0], C[1][i] = b1, C[2][i] = a2;
  }
  /* each C[k](x) as a polynomial (Newton forward differences at step 1/3), truncated to its
   * exact degree: c2 linear, c1 quadratic, c0 cubic */
  double P0[4], P1[4], P2[4];
  double *Pk[3] = {P0, P1, P2};
  for (int k = 0; k < 3; k++) {
    const double *y = C[k];
    double D1 = y[1] - y[0], D2 = y[2] - 2 * y[1] + y[0], D3 = y[3] - 3 * y[2] + 3 * y[1] - y[0];
    /* p(x) = y0 + D1·3x + D2/2·3x(3x−1) + D3/6·3x(3x−1)(3x−2) */
    double c0 = y[0], c1 = 3 * D1 - 1.5 * D2 + D3, c2 = 4.5 * D2 - 4.5 * D3, c3 = 4.5 * D3;
    Pk[k][0] = c0, Pk[k][1] = c1, Pk[k][2] = c2, Pk[k][3] = c3;
  }
  P2[2] = P2[3] = 0;
  P1[3] = 0;
  if (fabs(P2[0]) + fabs(P2[1]) < 1e-13 * (fabs(P0[0]) + 1)) return; /* no t² term: linear in t */
  /* Q = 4 c2² c0' − 2 c1 c1' c2 + c1² c2' */
  double c0d[3] = {P0[1], 2 * P0[2], 3 * P0[3]}, c1d[2] = {P1[1], 2 * P1[2]}, c2d = P2[1];
  double Q[5] = {0, 0, 0, 0, 0};
  double c2sq[3] = {P2[0] * P2[0], 2 * P2[0] * P2[1], P2[1] * P2[1]};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) Q[i + j] += 4 * c2sq[i] * c0d[j];
  double c1c1d[4] = {0, 0, 0, 0};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++) c1c1d[i + j] += P1[i] * c1d[j];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 2; j++) Q[i + j] -= 2 * c1c1d[i] * P2[j];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) Q[i + j] += P1[i] * P1[j] * c2d;
  double roots[8];
  int nr = proots(Q, 4, 0, 1, roots);
  for (int r = 0; r < nr; r++) {
    double x = roots[r];
    double c2v = P2[0] + P2[1] * x, c1v = P1[0] + x * (P1[1] + x * P1[2]);
    if (!(fabs(c2v) > 0)) continue;
    double tau = -c1v / (2 * c2v);
    double s = slo + x * (shi - slo), tt = tlo + tau * (thi - tlo), p[3];
    for (int a = 0; a < 3; a++) p[a] = P->p0[a] + s * u[a] + tt * w[a];
    int ok = 1;
    for (int a = 0; a < 3 && ok; a++)
      if (p[a] < blo[a] - 1e-9 || p[a] > bhi[a] + 1e-9) ok = 0;
    double al, be;
    if (!ok || !patch_coords(P, p, &al, &be) || !P->in(P->ctx, al, be)) continue;
    upd(tri_at(t, p), mn, mx);
  }
}

/* Cell holding index coordinate x: −1 (border strip below 0), 0 … n−2, n−1 (strip above). */
static int cell_of(double x, int n) {
  if (n < 2) return 0;
  if (x < 0) return -1;
  if (x >= n - 1) return n - 1;
  int i = (int)floor(x);
  return i > n - 2 ? n - 2 : i;
}

/* Every cell the patch's bounding box in index space meets (clipped to the grid), that the
 * patch plane crosses, and whose node values could move the extremes. */
static void patch_cells(const tri_grid *t, const patch *P, const double *corners, int nc,
                        double *mn, double *mx) {
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int i = 0; i < nc; i++)
    for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], corners[3 * i + a]), hi[a] = fmax(hi[a], corners[3 * i + a]);
  int c0[3], c1[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = fmax(lo[a], -0.5), hi[a] = fmin(hi[a], t->n[a] - 0.5);
    if (lo[a] > hi[a]) return;
    c0[a] = cell_of(lo[a], t->n[a]), c1[a] = cell_of(hi[a], t->n[a]);
  }
  double m[3];
  cross(P->d1, P->d2, m);
  double off = dot(m, P->p0);
  /* walk the columns along the axis Z most normal to the plane; in each, only the cells the
   * plane crosses (from the plane's height at the column's four corners) */
  int Z = 0;
  for (int a = 1; a < 3; a++)
    if (fabs(m[a]) > fabs(m[Z])) Z = a;
  if (!(fabs(m[Z]) > 0)) return;
  int U = Z == 0 ? 1 : 0, V = Z == 2 ? 1 : 2;
  for (int j = c0[V]; j <= c1[V]; j++)
    for (int i = c0[U]; i <= c1[U]; i++) {
      int cell[3];
      cell[U] = i, cell[V] = j, cell[Z] = 0;
      double blo[3], bhi[3];
      cell_box(t, cell, blo, bhi);
      double zlo = INFINITY, zhi = -INFINITY;
      for (int c = 0; c < 4; c++) {
        double pu = c & 1 ? bhi[U] : blo[U], pv = c & 2 ? bhi[V] : blo[V];
        double z = (off - m[U] * pu - m[V] * pv) / m[Z];
        zlo = fmin(zlo, z), zhi = fmax(zhi, z);
      }
      zlo = fmax(zlo, lo[Z]), zhi = fmin(zhi, hi[Z]);
      if (zlo > zhi + 1e-9) continue;
      int k0 = cell_of(zlo - 1e-9, t->n[Z]), k1 = cell_of(zhi + 1e-9, t->n[Z]);
      if (k0 < c0[Z]) k0 = c0[Z];
      if (k1 > c1[Z]) k1 = c1[Z];
      for (int k = k0; k <= k1; k++) {
        cell[Z] = k;
        double vlo, vhi;
        cell_range(t, cell, &vlo, &vhi);
        if (vlo >= *mn && vhi <= *mx) continue;
        cell_critical(t, cell, P, mn, mx);
      }
    }
}

typedef struct {
  const geom_shape *s;
  int q;
  double b0, inv;
  int nb;
  int *start, *ids; /* bucket k: ids[start[k] .. start[k+1]) */
} pip_index;

static int pip_build(const geom_shape *s, int q, pip_index *x) {
  memset(x, 0, sizeof *x);
  x->s = s, x->q = q;
  const shape_plane *P = &s->planes[q];
  x->nb = P->ne > 16 ? P->ne : 16;
  x->b0 = P->bmin;
  double span = P->bmax - P->bmin;
  x->inv = span > 0 ? x->nb / span : 0;
  x->start = calloc((size_t)x->nb + 2, sizeof(int));
  if (!x->start) return RERT_EINTERNAL;
  for (int pass = 0; pass < 2; pass++) {
    for (int e = 0; e < P->ne; e++) {
      const shape_edge *E = &s->edges[P->e0 + e];
      int k0 = (int)floor((fmin(E->b0, E->b1) - x->b0) * x->inv), k1 = (int)floor((fmax(E->b0, E->b1) - x->b0) * x->inv);
      k0 = k0 < 0 ? 0 : (k0 >= x->nb ? x->nb - 1 : k0);
      k1 = k1 < 0 ? 0 : (k1 >= x->nb ? x->nb - 1 : k1);
      for (int k = k0; k <= k1; k++) {
        if (pass == 0) x->start[k + 1]++;
        else x->ids[x->start[k]++] = e;
      }
    }
    if (pass == 0) {
      for (int k = 0; k < x->nb; k++) x->start[k + 1] += x->start[k];
      x->ids = malloc(sizeof(int) * ((size_t)x->start[x->nb] + 1));
      if (!x->ids) return free(x->start), RERT_EINTERNAL;
    }
  }
  for (int k = x->nb; k > 0; k--) x->start[k] = x->start[k - 1]; /* pass 2 advanced each start */
  x->start[0] = 0;
  return RERT_OK;
}

static void pip_free(pip_index *x) {
  free(x->start), free(x->ids);
  memset(x, 0, sizeof *x);
}

static int in_polygon(const pip_index *x, double a, double b) {
  const geom_shape *s = x->s;
  const shape_plane *P = &s->planes[x->q];
  if (b >= P->bmin && b <= P->bmax && x->nb > 0) {
    int k = (int)floor((b - x->b0) * x->inv);
    k = k < 0 ? 0 : (k >= x->nb ? x->nb - 1 : k);
    int in = 0;
    for (int u = x->start[k]; u < x->start[k + 1]; u++) {
      const shape_edge *E = &s->edges[P->e0 + x->ids[u]];
      if ((E->b1 > b) != (E->b0 > b) && a < (E->a0 - E->a1) * (b - E->b1) / (E->b0 - E->b1) + E->a1) in = !in;
    }
    if (in) return 1;
  }
  /* points on the boundary need no test: the edges and cuts evaluate the whole boundary */
  return 0;
}

static int in_cap(const void *ctx, double a, double b) { return in_polygon(ctx, a, b); }

static int in_rect(const void *ctx, double al, double be) {
  (void)ctx;
  return al >= -1e-9 && al <= 1 + 1e-9 && be >= -1e-9 && be <= 1 + 1e-9;
}

/* Cut values along one axis: the grid border −0.5, the node planes 0 … n−1, the border n − 0.5
 * (cell faces, and the faces of the clamped border strips and of the grid box). */
static double cut_first(double lo, int n) {
  if (lo <= -0.5) return -0.5;
  if (lo <= 0) return 0;
  if (lo > n - 1) return lo <= n - 0.5 ? n - 0.5 : INFINITY;
  return ceil(lo);
}
static double cut_next(double v, int n) {
  if (v < 0) return 0;
  if (v < n - 1) return v + 1 > n - 1 ? n - 1 : v + 1;
  if (v < n - 0.5) return n - 0.5;
  return INFINITY;
}

/* The segments where the planes "index_X = integer" cut the cap polygon at height cz. */
static void cap_cuts(const geom_shape *s, int q, const shape_gridmap *g, const tri_grid *t,
                     double cz, double *mn, double *mx) {
  const shape_plane *P = &s->planes[q];
  int nv = s->plane_nv[q];
  double *xs = malloc(sizeof(double) * (size_t)(nv + 1));
  if (!xs) return;
  for (int X = 0; X < 3; X++) {
    double ka = g->Ia[X], kb = g->Ib[X], k0 = g->I0[X] + cz * g->Ic[X];
    double kk = ka * ka + kb * kb;
    if (!(kk > 1e-24)) continue;
    double vlo = INFINITY, vhi = -INFINITY;
    for (int i = 0; i < nv; i++) {
      const double *v = s->verts_ab + 2 * (s->plane_v0[q] + i);
      double x = k0 + ka * v[0] + kb * v[1];
      vlo = fmin(vlo, x), vhi = fmax(vhi, x);
    }
    double vals_lo = vlo, vals_hi = vhi;
    for (double val = cut_first(vals_lo, t->n[X]); val <= vals_hi; val = cut_next(val, t->n[X])) {
      /* line: points (a, b) = base + τ·dir with k0 + ka·a + kb·b = val */
      double base[2] = {ka * (val - k0) / kk, kb * (val - k0) / kk}, dir[2] = {-kb, ka};
      int n = 0;
      for (int l = P->l0; l < P->l0 + P->nl; l++) {
        const shape_loop *L = &s->loops[l];
        for (int i = 0; i < L->nv; i++) {
          const double *a0 = s->verts_ab + 2 * (L->v0 + i), *a1 = s->verts_ab + 2 * (L->v0 + (i + 1) % L->nv);
          double f0 = k0 + ka * a0[0] + kb * a0[1] - val, f1 = k0 + ka * a1[0] + kb * a1[1] - val;
          if ((f0 > 0) == (f1 > 0)) continue;
          double r = f0 / (f0 - f1), pa = a0[0] + r * (a1[0] - a0[0]), pb = a0[1] + r * (a1[1] - a0[1]);
          xs[n++] = ((pa - base[0]) * dir[0] + (pb - base[1]) * dir[1]) / kk;
        }
      }
      for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && xs[j - 1] > xs[j]; j--) {
          double x = xs[j];
          xs[j] = xs[j - 1], xs[j - 1] = x;
        }
      for (int i = 0; i + 1 < n; i += 2) {
        double p0[3], p1[3];
        to_index(g, base[0] + xs[i] * dir[0], base[1] + xs[i] * dir[1], cz, p0);
        to_index(g, base[0] + xs[i + 1] * dir[0], base[1] + xs[i + 1] * dir[1], cz, p1);
        dvh_extremes_segment(t, p0, p1, mn, mx);
      }
    }
  }
  free(xs);
}

/* The segments where the planes "index_X = integer" cut a wall rectangle (edge × [c_lo, c_hi]). */
static void wall_cuts(const shape_gridmap *g, const tri_grid *t, const double *v0, const double *v1,
                      double clo, double chi, double *mn, double *mx) {
  for (int X = 0; X < 3; X++) {
    /* index_X(σ, γ) = A + B·σ + C·γ, σ ∈ [0, 1] along the edge, γ ∈ [0, 1] across the slab */
    double A = g->I0[X] + v0[0] * g->Ia[X] + v0[1] * g->Ib[X] + clo * g->Ic[X];
    double B = (v1[0] - v0[0]) * g->Ia[X] + (v1[1] - v0[1]) * g->Ib[X];
    double C = (chi - clo) * g->Ic[X];
    double lo = A + fmin(0, B) + fmin(0, C), hi = A + fmax(0, B) + fmax(0, C);
    for (double val = cut_first(lo, t->n[X]); val <= hi; val = cut_next(val, t->n[X])) {
      /* clip the line B σ + C γ = val − A to the unit square */
      double pts[4][2];
      int n = 0;
      double r = val - A;
      if (fabs(C) > 1e-15)
        for (int e = 0; e < 2; e++) {
          double gm = (r - B * e) / C;
          if (gm >= 0 && gm <= 1) pts[n][0] = e, pts[n][1] = gm, n++;
        }
      if (fabs(B) > 1e-15)
        for (int e = 0; e < 2 && n < 4; e++) {
          double sg = (r - C * e) / B;
          if (sg >= 0 && sg <= 1) pts[n][0] = sg, pts[n][1] = e, n++;
        }
      if (n < 2) continue;
      double p0[3], p1[3];
      for (int k = 0; k < 2; k++) {
        double sg = pts[k == 0 ? 0 : n - 1][0], gm = pts[k == 0 ? 0 : n - 1][1];
        to_index(g, v0[0] + sg * (v1[0] - v0[0]), v0[1] + sg * (v1[1] - v0[1]), clo + gm * (chi - clo),
                 k ? p1 : p0);
      }
      dvh_extremes_segment(t, p0, p1, mn, mx);
    }
  }
}

/* Grid nodes inside the slab: the index box of the slab, each node mapped back to (a, b, c). */
static void slab_nodes(const geom_shape *s, int q, const pip_index *pi, const shape_gridmap *g,
                       const tri_grid *t, double *mn, double *mx) {
  const shape_plane *P = &s->planes[q];
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  double amin = INFINITY, amax = -INFINITY, bmin = INFINITY, bmax = -INFINITY;
  for (int i = 0; i < s->plane_nv[q]; i++) {
    const double *v = s->verts_ab + 2 * (s->plane_v0[q] + i);
    amin = fmin(amin, v[0]), amax = fmax(amax, v[0]), bmin = fmin(bmin, v[1]), bmax = fmax(bmax, v[1]);
  }
  for (int c = 0; c < 8; c++) {
    double p[3];
    to_index(g, c & 1 ? amax : amin, c & 2 ? bmax : bmin, c & 4 ? P->c_hi : P->c_lo, p);
    for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], p[a]), hi[a] = fmax(hi[a], p[a]);
  }
  int i0[3], i1[3];
  for (int a = 0; a < 3; a++) {
    i0[a] = (int)fmax(0, ceil(lo[a])), i1[a] = (int)fmin(t->n[a] - 1, floor(hi[a]));
    if (i1[a] < i0[a]) return;
  }
  /* (a, b, c) of an index point: the frame is orthonormal, so invert the 3×3 map */
  double M[9] = {g->Ia[0], g->Ib[0], g->Ic[0], g->Ia[1], g->Ib[1], g->Ic[1], g->Ia[2], g->Ib[2], g->Ic[2]};
  double det = M[0] * (M[4] * M[8] - M[5] * M[7]) - M[1] * (M[3] * M[8] - M[5] * M[6]) +
               M[2] * (M[3] * M[7] - M[4] * M[6]);
  if (!(fabs(det) > 0)) return;
  double Inv[9] = {(M[4] * M[8] - M[5] * M[7]) / det, (M[2] * M[7] - M[1] * M[8]) / det,
                   (M[1] * M[5] - M[2] * M[4]) / det, (M[5] * M[6] - M[3] * M[8]) / det,
                   (M[0] * M[8] - M[2] * M[6]) / det, (M[2] * M[3] - M[0] * M[5]) / det,
                   (M[3] * M[7] - M[4] * M[6]) / det, (M[1] * M[6] - M[0] * M[7]) / det,
                   (M[0] * M[4] - M[1] * M[3]) / det};
  for (int k = i0[2]; k <= i1[2]; k++)
    for (int j = i0[1]; j <= i1[1]; j++)
      for (int i = i0[0]; i <= i1[0]; i++) {
        double r[3] = {i - g->I0[0], j - g->I0[1], k - g->I0[2]};
        double a = Inv[0] * r[0] + Inv[1] * r[1] + Inv[2] * r[2];
        double b = Inv[3] * r[0] + Inv[4] * r[1] + Inv[5] * r[2];
        double c = Inv[6] * r[0] + Inv[7] * r[1] + Inv[8] * r[2];
        if (c < P->c_lo - 1e-9 || c > P->c_hi + 1e-9) continue;
        if (!in_polygon(pi, a, b)) continue;
        upd(t->d[(size_t)i + t->sy * j + t->sz * k], mn, mx);
      }
}

int dvh_extremes_plane_oblique(const geom_shape *s, int q, const shape_gridmap *g,
                               const tri_grid *t, double *mn, double *mx) {
  const shape_plane *P = &s->planes[q];
  pip_index pi;
  if (pip_build(s, q, &pi)) return RERT_EINTERNAL;
  /* 1. nodes; 2. edges of the caps, vertical wall edges, and cell-face cuts of both */
  slab_nodes(s, q, &pi, g, t, mn, mx);
  for (int l = P->l0; l < P->l0 + P->nl; l++) {
    const shape_loop *L = &s->loops[l];
    for (int i = 0; i < L->nv; i++) {
      const double *v0 = s->verts_ab + 2 * (L->v0 + i), *v1 = s->verts_ab + 2 * (L->v0 + (i + 1) % L->nv);
      double a0[3], a1[3];
      for (int f = 0; f < 2; f++) {
        double cz = f ? P->c_hi : P->c_lo;
        to_index(g, v0[0], v0[1], cz, a0);
        to_index(g, v1[0], v1[1], cz, a1);
        dvh_extremes_segment(t, a0, a1, mn, mx);
      }
      to_index(g, v0[0], v0[1], P->c_lo, a0);
      to_index(g, v0[0], v0[1], P->c_hi, a1);
      dvh_extremes_segment(t, a0, a1, mn, mx);
      wall_cuts(g, t, v0, v1, P->c_lo, P->c_hi, mn, mx);
    }
  }
  cap_cuts(s, q, g, t, P->c_lo, mn, mx);
  cap_cuts(s, q, g, t, P->c_hi, mn, mx);
  /* 3. critical points inside the caps and walls, cell by cell */
  int nv = s->plane_nv[q];
  double *corners = malloc(sizeof(double) * 3 * (size_t)(nv > 4 ? nv : 4));
  if (!corners) return pip_free(&pi), RERT_EINTERNAL;
  for (int f = 0; f < 2; f++) {
    double cz = f ? P->c_hi : P->c_lo;
    patch pt;
    to_index(g, 0, 0, cz, pt.p0);
    memcpy(pt.d1, g->Ia, sizeof pt.d1);
    memcpy(pt.d2, g->Ib, sizeof pt.d2);
    pt.in = in_cap, pt.ctx = &pi;
    patch_init(&pt);
    for (int i = 0; i < nv; i++) {
      const double *v = s->verts_ab + 2 * (s->plane_v0[q] + i);
      to_index(g, v[0], v[1], cz, corners + 3 * i);
    }
    patch_cells(t, &pt, corners, nv, mn, mx);
  }
  for (int l = P->l0; l < P->l0 + P->nl; l++) {
    const shape_loop *L = &s->loops[l];
    for (int i = 0; i < L->nv; i++) {
      const double *v0 = s->verts_ab + 2 * (L->v0 + i), *v1 = s->verts_ab + 2 * (L->v0 + (i + 1) % L->nv);
      patch pt;
      to_index(g, v0[0], v0[1], P->c_lo, pt.p0);
      for (int a = 0; a < 3; a++) {
        pt.d1[a] = (v1[0] - v0[0]) * g->Ia[a] + (v1[1] - v0[1]) * g->Ib[a];
        pt.d2[a] = (P->c_hi - P->c_lo) * g->Ic[a];
      }
      pt.in = in_rect, pt.ctx = NULL;
      patch_init(&pt);
      if (!(fabs(pt.det) > 0)) continue;
      double cr[12];
      to_index(g, v0[0], v0[1], P->c_lo, cr);
      to_index(g, v1[0], v1[1], P->c_lo, cr + 3);
      to_index(g, v0[0], v0[1], P->c_hi, cr + 6);
      to_index(g, v1[0], v1[1], P->c_hi, cr + 9);
      patch_cells(t, &pt, cr, 4, mn, mx);
    }
  }
  free(corners);
  pip_free(&pi);
  return RERT_OK;
}
