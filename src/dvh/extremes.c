/* extremes.c — exact Dmin and Dmax of a trilinear dose over the contour-stack object
 * (docs/dvh.md "Exact Dmin and Dmax").
 *
 * Math. Inside one trilinear cell the dose f = c0 + c1·x + c2·y + c3·z + c4·xy + c5·xz + c6·yz +
 * c7·xyz is harmonic (every second pure derivative is 0), so over any region of the cell its
 * extremes lie on the region's boundary (maximum principle). On a cell face f is bilinear, again
 * harmonic; on a cell edge it is linear. Recursing, the extremes of the dose over the object S
 * (restricted to the dose grid) are attained on the surface of S or at a grid node inside S.
 *
 * When the contour planes are dose-grid planes (normal along grid axis K, the clinical case):
 * for fixed in-plane (u, v) the dose is piecewise linear in the height z with breaks at the
 * integer grid planes, so over a slab [z0, z1] its extremes lie at the heights
 *   H = {z0, z1} ∪ {integer planes between}.
 * At each such height the dose is piecewise bilinear in (u, v), so over the slab's polygon its
 * extremes lie on the polygon's edges or at the lattice nodes (integer u, v) inside it. Along an
 * edge within one cell the bilinear is a quadratic in the edge parameter: its extremes are at the
 * piece's ends (vertices, crossings of grid lines) or at the parabola's vertex. Every candidate is
 * evaluated; nothing is sampled. The grid's half-voxel border (clamped values) and the grid box
 * itself are handled by clipping: clamped values are constant across the border strip.
 *
 * Contour planes oblique to the grid: src/dvh/extremes_oblique.c (the caps and walls cut the
 * cells obliquely; their edges, cell-face cuts and interior critical points are all checked).
 */
#include "dvh/extremes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dvh_extremes_setup(const geom_shape *s, const shape_gridmap *g, ext_setup *e) {
  (void)s;
  memset(e, 0, sizeof *e);
  int K = 0;
  for (int a = 1; a < 3; a++)
    if (fabs(g->Ic[a]) > fabs(g->Ic[K])) K = a;
  double big = fabs(g->Ic[K]), ab = 0;
  for (int a = 0; a < 3; a++) ab = fmax(ab, fmax(fabs(g->Ia[a]), fabs(g->Ib[a])));
  int ok = big > 0;
  for (int a = 0; a < 3 && ok; a++)
    if (a != K && fabs(g->Ic[a]) > 1e-9 * big) ok = 0;
  if (ok && (fabs(g->Ia[K]) > 1e-9 * ab || fabs(g->Ib[K]) > 1e-9 * ab)) ok = 0;
  e->aligned = ok;
  e->K = K;
  e->P = K == 0 ? 1 : 0;
  e->Q = K == 2 ? 1 : 2;
}

static inline void upd(double v, double *mn, double *mx) {
  if (v < *mn) *mn = v;
  if (v > *mx) *mx = v;
}

/* Clip p0 + t·(p1 − p0), t ∈ [0, 1], to the grid box [−0.5, n − 0.5]³ (Liang–Barsky). */
static int clip_box(const tri_grid *t, const double p0[3], const double d[3], double *t0, double *t1) {
  double a = 0, b = 1;
  for (int q = 0; q < 3; q++) {
    double lo = -0.5, hi = t->n[q] - 0.5;
    if (fabs(d[q]) < 1e-15) {
      if (p0[q] < lo - 1e-9 || p0[q] > hi + 1e-9) return 0;
      continue;
    }
    double ta = (lo - p0[q]) / d[q], tb = (hi - p0[q]) / d[q];
    if (ta > tb) {
      double x = ta;
      ta = tb, tb = x;
    }
    if (ta > a) a = ta;
    if (tb < b) b = tb;
  }
  if (a > b) return 0;
  *t0 = a, *t1 = b;
  return 1;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* Cubic through the values at s = 0, 1/3, 2/3, 1 of [ta, tb]: check its stationary points. */
static void piece_cubic(const tri_grid *t, const double p0[3], const double d[3], double ta,
                        double tb, const double y[4], double *mn, double *mx) {
  /* Newton form in x = 3s: p = y0 + Δ1 x + Δ2/2 (x² − x) + Δ3/6 (x³ − 3x² + 2x) */
  double D1 = y[1] - y[0], D2 = y[2] - 2 * y[1] + y[0], D3 = y[3] - 3 * y[2] + 3 * y[1] - y[0];
  double c1 = D1 - 0.5 * D2 + D3 / 3.0, c2 = D2 - D3, c3 = 0.5 * D3; /* p'(x) = c1 + c2 x + c3 x² */
  double scale = fabs(y[0]) + fabs(y[1]) + fabs(y[2]) + fabs(y[3]) + 1e-300;
  double roots[2];
  int nr = 0;
  if (fabs(c3) <= 1e-13 * scale) {
    if (fabs(c2) > 1e-13 * scale) roots[nr++] = -c1 / c2;
  } else {
    double disc = c2 * c2 - 4 * c3 * c1;
    if (disc >= 0) {
      double sq = sqrt(disc), qq = -0.5 * (c2 + (c2 >= 0 ? sq : -sq));
      roots[nr++] = qq / c3;
      if (qq != 0) roots[nr++] = c1 / qq;
    }
  }
  for (int r = 0; r < nr; r++) {
    double x = roots[r];
    if (!(x > 0 && x < 3)) continue;
    double tt = ta + (tb - ta) * x / 3.0, p[3];
    for (int a = 0; a < 3; a++) p[a] = p0[a] + tt * d[a];
    upd(tri_at(t, p), mn, mx);
  }
}

/* The dose along a segment cannot leave [mn, mx] when every grid node of the cells around it
 * lies inside (the trilinear value is a convex combination of them). Checked for segments whose
 * index box holds at most 64 nodes. */
static int segment_inside_range(const tri_grid *t, const double p0[3], const double p1[3],
                                double mn, double mx) {
  int lo[3], hi[3];
  long count = 1;
  for (int a = 0; a < 3; a++) {
    double l = fmin(p0[a], p1[a]), h = fmax(p0[a], p1[a]);
    l = fmax(0, fmin(t->n[a] - 1, l)), h = fmax(0, fmin(t->n[a] - 1, h));
    lo[a] = (int)floor(l), hi[a] = (int)ceil(h);
    count *= hi[a] - lo[a] + 1;
  }
  if (count > 64) return 0;
  for (int k = lo[2]; k <= hi[2]; k++)
    for (int j = lo[1]; j <= hi[1]; j++)
      for (int i = lo[0]; i <= hi[0]; i++) {
        double v = t->d[(size_t)i + t->sy * j + t->sz * k];
        if (v < mn || v > mx) return 0;
      }
  return 1;
}

/* Node range of the trilinear cell holding continuous index p (clamped as tri_at). */
static void cell_nodes_range(const tri_grid *t, const double p[3], double *lo, double *hi) {
  double f[3];
  size_t b, dx, dy, dz;
  tri_cell(t, p, f, &b, &dx, &dy, &dz);
  const float *d = t->d;
  float v[8] = {d[b], d[b + dx], d[b + dy], d[b + dy + dx], d[b + dz], d[b + dz + dx], d[b + dz + dy], d[b + dz + dy + dx]};
  float l = v[0], h = v[0];
  for (int i = 1; i < 8; i++) l = v[i] < l ? v[i] : l, h = v[i] > h ? v[i] : h;
  *lo = l, *hi = h;
}

void dvh_extremes_segment(const tri_grid *t, const double p0[3], const double p1[3], double *mn,
                          double *mx) {
  double d[3] = {p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]}, t0, t1;
  if (segment_inside_range(t, p0, p1, *mn, *mx)) return;
  if (!clip_box(t, p0, d, &t0, &t1)) return;
  if (!(t1 > t0)) { /* a point */
    double p[3];
    for (int a = 0; a < 3; a++) p[a] = p0[a] + t0 * d[a];
    upd(tri_at(t, p), mn, mx);
    return;
  }
  /* walk the pieces between the integer crossings (cell faces; clamping starts at 0 and n − 1)
   * of the three coordinates, merged in order */
  double next[3], step[3];
  for (int a = 0; a < 3; a++) {
    next[a] = step[a] = INFINITY;
    if (fabs(d[a]) < 1e-15 || t->n[a] < 2) continue;
    double x0 = p0[a] + t0 * d[a];
    double k = d[a] > 0 ? floor(x0) + 1 : ceil(x0) - 1;
    if (d[a] > 0 && k < 0) k = 0;
    if (d[a] < 0 && k > t->n[a] - 1) k = t->n[a] - 1;
    if (k < 0 || k > t->n[a] - 1) continue;
    next[a] = (k - p0[a]) / d[a];
    step[a] = 1.0 / fabs(d[a]);
    /* last crossing inside [0, n − 1]: stop there (beyond, the value is clamped) */
  }
  double lim[3];
  for (int a = 0; a < 3; a++) {
    lim[a] = INFINITY;
    if (!isfinite(step[a])) continue;
    double edge = d[a] > 0 ? t->n[a] - 1 : 0;
    lim[a] = (edge - p0[a]) / d[a];
  }
  double ta = t0;
  while (ta < t1) {
    double tb = t1;
    for (int a = 0; a < 3; a++)
      if (next[a] < tb && next[a] <= lim[a] + 1e-12) tb = next[a];
    if (tb > ta + 1e-14) {
      double pm[3], lo, hi;
      for (int a = 0; a < 3; a++) pm[a] = p0[a] + 0.5 * (ta + tb) * d[a];
      cell_nodes_range(t, pm, &lo, &hi);
      if (!(lo >= *mn && hi <= *mx)) {
        double y[4];
        for (int k = 0; k < 4; k++) {
          double tt = ta + (tb - ta) * k / 3.0, p[3];
          for (int a = 0; a < 3; a++) p[a] = p0[a] + tt * d[a];
          y[k] = tri_at(t, p);
          upd(y[k], mn, mx);
        }
        piece_cubic(t, p0, d, ta, tb, y, mn, mx);
      }
    }
    for (int a = 0; a < 3; a++)
      while (next[a] <= tb + 1e-12) next[a] += step[a];
    ta = tb;
  }
}

int dvh_extremes_plane(const geom_shape *s, int q, const shape_gridmap *g, const tri_grid *t,
                       const ext_setup *e, double *mn, double *mx) {
  if (!e->aligned) return dvh_extremes_plane_oblique(s, q, g, t, mn, mx);
  const shape_plane *Pl = &s->planes[q];
  const int K = e->K, P = e->P, Q = e->Q;
  /* heights: the slab's faces and the integer grid planes between, inside the grid */
  double z0 = g->I0[K] + Pl->c_lo * g->Ic[K], z1 = g->I0[K] + Pl->c_hi * g->Ic[K];
  if (z0 > z1) {
    double x = z0;
    z0 = z1, z1 = x;
  }
  if (z1 < -0.5 - 1e-9 || z0 > t->n[K] - 0.5 + 1e-9) return RERT_OK;
  z0 = fmax(z0, -0.5), z1 = fmin(z1, t->n[K] - 0.5);
  int nh = 2 + (int)fmax(0, ceil(z1) - floor(z0));
  double *H = malloc((size_t)nh * sizeof(double));
  if (!H) return RERT_EINTERNAL;
  int h = 0;
  H[h++] = z0;
  for (double k = floor(z0) + 1; k < z1; k += 1) H[h++] = k;
  if (z1 > z0) H[h++] = z1;
  nh = h;

  /* in-plane index coordinates (u along axis P, v along Q) of the vertices */
  const double *ab = s->verts_ab;
  const int v0 = s->plane_v0[q], nv = s->plane_nv[q];
  double *uv = malloc(2 * (size_t)nv * sizeof(double) + 1);
  if (!uv) return free(H), RERT_EINTERNAL;
  double vmin = INFINITY, vmax = -INFINITY;
  for (int i = 0; i < nv; i++) {
    double a = ab[2 * (v0 + i)], b = ab[2 * (v0 + i) + 1];
    uv[2 * i] = g->I0[P] + a * g->Ia[P] + b * g->Ib[P];
    uv[2 * i + 1] = g->I0[Q] + a * g->Ia[Q] + b * g->Ib[Q];
    vmin = fmin(vmin, uv[2 * i + 1]), vmax = fmax(vmax, uv[2 * i + 1]);
  }

  /* 1. the polygon's edges at every height (vertices and parabola vertices per cell). An edge
   * whose dose cannot leave [mn, mx] — every grid node of the cells it touches, over the slab's
   * layers, lies inside — is skipped: the trilinear value is a convex combination of them. */
  const size_t st3[3] = {1, t->sy, t->sz};
  const int kl = (int)floor(fmax(0, fmin(t->n[K] - 1, z0))), kh = (int)ceil(fmax(0, fmin(t->n[K] - 1, z1)));
  for (int l = Pl->l0; l < Pl->l0 + Pl->nl; l++) {
    const shape_loop *L = &s->loops[l];
    int b0 = L->v0 - v0;
    for (int i = 0; i < L->nv; i++) {
      const double *x0 = uv + 2 * (b0 + i), *x1 = uv + 2 * (b0 + (i + 1) % L->nv);
      double ua = fmax(0, fmin(t->n[P] - 1, fmin(x0[0], x1[0]))), ub = fmax(0, fmin(t->n[P] - 1, fmax(x0[0], x1[0])));
      double va = fmax(0, fmin(t->n[Q] - 1, fmin(x0[1], x1[1]))), vb = fmax(0, fmin(t->n[Q] - 1, fmax(x0[1], x1[1])));
      int ia = (int)floor(ua), ib = (int)ceil(ub), ja = (int)floor(va), jb = (int)ceil(vb);
      if ((long)(ib - ia + 1) * (jb - ja + 1) * (kh - kl + 1) <= 64) {
        double nmn = INFINITY, nmx = -INFINITY;
        for (int k = kl; k <= kh; k++)
          for (int j = ja; j <= jb; j++)
            for (int u = ia; u <= ib; u++) {
              double v = t->d[(size_t)u * st3[P] + (size_t)j * st3[Q] + (size_t)k * st3[K]];
              if (v < nmn) nmn = v;
              if (v > nmx) nmx = v;
            }
        if (nmn >= *mn && nmx <= *mx) continue;
      }
      for (int k = 0; k < nh; k++) {
        double p0[3], p1[3];
        p0[P] = x0[0], p0[Q] = x0[1], p0[K] = H[k];
        p1[P] = x1[0], p1[Q] = x1[1], p1[K] = H[k];
        dvh_extremes_segment(t, p0, p1, mn, mx);
      }
    }
  }

  /* 2. lattice nodes (integer u, v) inside the polygon (even-odd), at every height */
  int j0 = (int)fmax(0, ceil(vmin)), j1 = (int)fmin(t->n[Q] - 1, floor(vmax));
  if (j1 >= j0) {
    int nrow = j1 - j0 + 1;
    int *cnt = calloc((size_t)nrow + 1, sizeof(int));
    if (!cnt) return free(H), free(uv), RERT_EINTERNAL;
    /* edge table: a crossing at row j when v0 ≤ j < v1 or v1 ≤ j < v0 (half-open) */
    long total = 0;
    for (int l = Pl->l0; l < Pl->l0 + Pl->nl; l++) {
      const shape_loop *L = &s->loops[l];
      int b0 = L->v0 - v0;
      for (int i = 0; i < L->nv; i++) {
        const double *x0 = uv + 2 * (b0 + i), *x1 = uv + 2 * (b0 + (i + 1) % L->nv);
        double lo = fmin(x0[1], x1[1]), hi = fmax(x0[1], x1[1]);
        if (lo == hi) continue;
        int ja = (int)fmax(j0, ceil(lo)), jb = (int)fmin(j1, ceil(hi) - 1);
        for (int j = ja; j <= jb; j++) cnt[j - j0 + 1]++, total++;
      }
    }
    for (int r = 0; r < nrow; r++) cnt[r + 1] += cnt[r];
    double *xs = malloc((size_t)(total + 1) * sizeof(double));
    int *fill = malloc((size_t)(nrow + 1) * sizeof(int));
    if (!xs || !fill) return free(H), free(uv), free(cnt), free(xs), free(fill), RERT_EINTERNAL;
    memcpy(fill, cnt, (size_t)(nrow + 1) * sizeof(int));
    for (int l = Pl->l0; l < Pl->l0 + Pl->nl; l++) {
      const shape_loop *L = &s->loops[l];
      int b0 = L->v0 - v0;
      for (int i = 0; i < L->nv; i++) {
        const double *x0 = uv + 2 * (b0 + i), *x1 = uv + 2 * (b0 + (i + 1) % L->nv);
        double lo = fmin(x0[1], x1[1]), hi = fmax(x0[1], x1[1]);
        if (lo == hi) continue;
        int ja = (int)fmax(j0, ceil(lo)), jb = (int)fmin(j1, ceil(hi) - 1);
        for (int j = ja; j <= jb; j++)
          xs[fill[j - j0]++] = x0[0] + (j - x0[1]) * (x1[0] - x0[0]) / (x1[1] - x0[1]);
      }
    }
    free(fill);
    /* per height: the two node layers and the weight between them */
    int *k0 = malloc((size_t)nh * 2 * sizeof(int));
    double *tz = malloc((size_t)nh * sizeof(double));
    if (!k0 || !tz) return free(H), free(uv), free(cnt), free(xs), free(k0), free(tz), RERT_EINTERNAL;
    int *k1 = k0 + nh;
    const int nK = t->n[K];
    for (int k = 0; k < nh; k++) {
      double z = H[k] < 0 ? 0 : (H[k] > nK - 1 ? nK - 1 : H[k]);
      int i = (int)z;
      if (i >= nK - 1) i = nK > 1 ? nK - 2 : 0;
      k0[k] = i, k1[k] = nK > 1 ? i + 1 : i;
      tz[k] = nK > 1 ? z - i : 0;
    }
    int klo = k0[0], khi = k1[0];
    for (int k = 1; k < nh; k++) klo = k0[k] < klo ? k0[k] : klo, khi = k1[k] > khi ? k1[k] : khi;
    const size_t st[3] = {1, t->sy, t->sz};
    const size_t sP = st[P], sQ = st[Q], sK = st[K];
    const float *D = t->d;
    for (int r = 0; r < nrow; r++) {
      double *x = xs + cnt[r];
      int m = cnt[r + 1] - cnt[r];
      if (m < 2) continue;
      qsort(x, m, sizeof(double), cmp_double);
      int j = j0 + r;
      for (int w = 0; w + 1 < m; w += 2) {
        int ia = (int)fmax(0, ceil(x[w])), ib = (int)fmin(t->n[P] - 1, floor(x[w + 1]));
        if (ib < ia) continue;
        /* the value at any height lies between the two node layers around it: when every
         * node of the layers this slab uses is within [mn, mx], no height can move them */
        int inside = 1;
        for (int kk = klo; kk <= khi && inside; kk++) {
          const float *L = D + (size_t)j * sQ + (size_t)kk * sK;
          const double a = *mn, b = *mx; /* compared in double: a node may lie between a
                                            double extreme and its float rounding */
          for (int i = ia; i <= ib; i++) {
            double v = L[(size_t)i * sP];
            if (v < a || v > b) {
              inside = 0;
              break;
            }
          }
        }
        if (inside) continue;
        for (int k = 0; k < nh; k++) {
          const float *L0 = D + (size_t)j * sQ + (size_t)k0[k] * sK;
          const float *L1 = D + (size_t)j * sQ + (size_t)k1[k] * sK;
          double wz = tz[k];
          double lmn = *mn, lmx = *mx;
          for (int i = ia; i <= ib; i++) {
            double v = L0[(size_t)i * sP] + wz * (L1[(size_t)i * sP] - L0[(size_t)i * sP]);
            if (v < lmn) lmn = v;
            if (v > lmx) lmx = v;
          }
          *mn = lmn, *mx = lmx;
        }
      }
    }
    free(cnt), free(xs), free(k0), free(tz);
  }
  free(H), free(uv);
  return RERT_OK;
}
