/* crossing.c — crossing edges among the contours of one plane, and the exact even-odd area of
 * contours that cross (self-intersecting or overlapping outlines).
 *
 * Crossings: edges go into uniform-grid buckets over the plane's bounding box (about √E × √E
 * cells for E edges), and only edges sharing a bucket are tested, so the check is about linear
 * in the number of points instead of quadratic — no limit on points per contour.
 *
 * Even-odd area: along a line b = const the inside of the plane is a union of intervals of a;
 * its length L(b) and first moment ∫a da are, between two consecutive "events" (vertex or
 * crossing ordinates), a linear and a quadratic function of b (every edge is a straight line
 * there and their order does not change). Two-point Gauss–Legendre quadrature per interval is
 * therefore exact for the area and both first moments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geom/shape.h"

typedef struct {
  double x0, y0, x1, y1;
  int loop, i;
} xedge;

static int seg_cross(const xedge *p, const xedge *q, double *yb) {
  double ax = p->x1 - p->x0, ay = p->y1 - p->y0, bx = q->x1 - q->x0, by = q->y1 - q->y0;
  double d1 = ax * (q->y0 - p->y0) - ay * (q->x0 - p->x0);
  double d2 = ax * (q->y1 - p->y0) - ay * (q->x1 - p->x0);
  double d3 = bx * (p->y0 - q->y0) - by * (p->x0 - q->x0);
  double d4 = bx * (p->y1 - q->y0) - by * (p->x1 - q->x0);
  if (!(((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))))
    return 0;
  double t = d3 / (d3 - d4); /* along p */
  *yb = p->y0 + t * ay;
  return 1;
}

static int push(double **a, int *n, int *cap, double v) {
  if (*n == *cap) {
    int nc = *cap ? 2 * *cap : 16;
    double *na = realloc(*a, (size_t)nc * sizeof(double));
    if (!na) return -1;
    *a = na, *cap = nc;
  }
  (*a)[(*n)++] = v;
  return 0;
}

/* Buckets an edge passes through: its bounding box when small, else the cells the segment
 * crosses (grid traversal, Amanatides & Woo), so a long edge costs O(G), not O(G²).
 * cells must hold 4·G + 8 entries. */
static int edge_cells(const xedge *e, double xmin, double ymin, double cw, double ch, int G,
                      int *cells) {
  double fx0 = (e->x0 - xmin) / cw, fy0 = (e->y0 - ymin) / ch;
  double fx1 = (e->x1 - xmin) / cw, fy1 = (e->y1 - ymin) / ch;
  int i0 = (int)fmin(fx0, fx1), i1 = (int)fmax(fx0, fx1), j0 = (int)fmin(fy0, fy1),
      j1 = (int)fmax(fy0, fy1);
  if (i1 >= G) i1 = G - 1;
  if (j1 >= G) j1 = G - 1;
  if (i0 >= G) i0 = G - 1;
  if (j0 >= G) j0 = G - 1;
  int n = 0;
  if ((i1 - i0 + 1) * (j1 - j0 + 1) <= 16) {
    for (int j = j0; j <= j1; j++)
      for (int i = i0; i <= i1; i++) cells[n++] = j * G + i;
    return n;
  }
  int i = (int)fx0, j = (int)fy0, ie = (int)fx1, je = (int)fy1;
  if (i >= G) i = G - 1;
  if (j >= G) j = G - 1;
  if (ie >= G) ie = G - 1;
  if (je >= G) je = G - 1;
  double dx = fx1 - fx0, dy = fy1 - fy0;
  int si = dx > 0 ? 1 : -1, sj = dy > 0 ? 1 : -1;
  double tdx = dx != 0 ? fabs(1.0 / dx) : INFINITY, tdy = dy != 0 ? fabs(1.0 / dy) : INFINITY;
  double tx = dx > 0 ? (floor(fx0) + 1 - fx0) * tdx : (dx < 0 ? (fx0 - floor(fx0)) * tdx : INFINITY);
  double ty = dy > 0 ? (floor(fy0) + 1 - fy0) * tdy : (dy < 0 ? (fy0 - floor(fy0)) * tdy : INFINITY);
  int limit = abs(ie - i) + abs(je - j) + 1;
  for (int k = 0; k < limit + 2 && n < 4 * G + 6; k++) {
    if (i >= 0 && j >= 0 && i < G && j < G) cells[n++] = j * G + i;
    /* also the diagonal neighbour when the segment passes (nearly) through a cell corner */
    if (fabs(tx - ty) < 1e-12 && i + si >= 0 && i + si < G && j >= 0 && j < G) cells[n++] = j * G + i + si;
    if (i == ie && j == je) break;
    if (tx < ty) i += si, tx += tdx;
    else j += sj, ty += tdy;
  }
  return n;
}

int geom_loops_crossings(const double *ab, const shape_loop *loops, int nl, int *self, int *other,
                         double **x_b, int *nx_b) {
  *x_b = NULL;
  *nx_b = 0;
  int ne = 0;
  for (int l = 0; l < nl; l++) {
    self[l] = 0, other[l] = -1;
    ne += loops[l].nv;
  }
  if (ne < 3) return RERT_OK;
  xedge *E = malloc((size_t)ne * sizeof *E);
  if (!E) return RERT_EINTERNAL;
  int m = 0;
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (int l = 0; l < nl; l++)
    for (int i = 0; i < loops[l].nv; i++) {
      const double *p = ab + 2 * (loops[l].v0 + i), *q = ab + 2 * (loops[l].v0 + (i + 1) % loops[l].nv);
      if (p[0] == q[0] && p[1] == q[1]) continue;
      E[m] = (xedge){p[0], p[1], q[0], q[1], l, i};
      xmin = fmin(xmin, fmin(p[0], q[0])), xmax = fmax(xmax, fmax(p[0], q[0]));
      ymin = fmin(ymin, fmin(p[1], q[1])), ymax = fmax(ymax, fmax(p[1], q[1]));
      m++;
    }
  int G = (int)ceil(sqrt((double)m));
  if (G < 1) G = 1;
  if (G > 1024) G = 1024;
  double cw = (xmax - xmin) / G, ch = (ymax - ymin) / G;
  if (!(cw > 0)) cw = 1;
  if (!(ch > 0)) ch = 1;
  size_t ncell = (size_t)G * G;
  size_t *cnt = calloc(ncell + 1, sizeof(size_t));
  int *cells = malloc((size_t)(4 * G + 8) * sizeof(int));
  if (!cnt || !cells) return free(E), free(cnt), free(cells), RERT_EINTERNAL;
  /* pass 1: count bucket entries, pass 2: fill (CSR) */
  int *ids = NULL;
  size_t *fill = NULL;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      size_t acc = 0;
      for (size_t c = 0; c < ncell; c++) {
        size_t t = cnt[c];
        cnt[c] = acc;
        acc += t;
      }
      cnt[ncell] = acc;
      ids = malloc((acc + 1) * sizeof(int));
      fill = malloc((ncell + 1) * sizeof(size_t));
      if (!ids || !fill) return free(E), free(cnt), free(cells), free(ids), free(fill), RERT_EINTERNAL;
      memcpy(fill, cnt, (ncell + 1) * sizeof(size_t));
    }
    for (int e = 0; e < m; e++) {
      int nc = edge_cells(&E[e], xmin, ymin, cw, ch, G, cells);
      for (int u = 0; u < nc; u++) {
        if (pass == 0) cnt[cells[u]]++;
        else ids[fill[cells[u]]++] = e;
      }
    }
  }
  free(fill), free(cells);
  int cap = 0, bad = 0;
  for (size_t c = 0; c < ncell && !bad; c++)
    for (size_t u = cnt[c]; u < cnt[c + 1] && !bad; u++)
      for (size_t v = u + 1; v < cnt[c + 1]; v++) {
        const xedge *p = &E[ids[u]], *q = &E[ids[v]];
        if (p->loop == q->loop) {
          int nv = loops[p->loop].nv, d = abs(p->i - q->i);
          if (d == 1 || d == nv - 1) continue; /* adjacent edges share a vertex */
        }
        double yb;
        if (!seg_cross(p, q, &yb)) continue;
        if (p->loop == q->loop) self[p->loop] = 1;
        else {
          if (other[p->loop] < 0) other[p->loop] = q->loop;
          if (other[q->loop] < 0) other[q->loop] = p->loop;
        }
        if (push(x_b, nx_b, &cap, yb)) {
          bad = 1;
          break;
        }
      }
  free(ids);
  if (bad) {
    free(E), free(cnt), free(*x_b);
    *x_b = NULL, *nx_b = 0;
    return RERT_EINTERNAL;
  }
  free(E), free(cnt);
  return RERT_OK;
}

typedef struct {
  double a0, b0, a1, b1, bmin, bmax;
} sedge;

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}
static int cmp_sedge(const void *x, const void *y) {
  double a = ((const sedge *)x)->bmin, b = ((const sedge *)y)->bmin;
  return a < b ? -1 : a > b;
}

/* Inside length and ∫a da along b = y over the active edges (xs: scratch). */
static void line_moments(const sedge *const *act, int na, double y, double *xs, double *L, double *Ma) {
  int nx = 0;
  for (int i = 0; i < na; i++) {
    const sedge *e = act[i];
    if (e->bmin < y && y < e->bmax) xs[nx++] = e->a0 + (y - e->b0) * (e->a1 - e->a0) / (e->b1 - e->b0);
  }
  qsort(xs, nx, sizeof(double), cmp_double);
  double l = 0, ma = 0;
  for (int k = 0; k + 1 < nx; k += 2) {
    l += xs[k + 1] - xs[k];
    ma += 0.5 * (xs[k + 1] * xs[k + 1] - xs[k] * xs[k]);
  }
  *L = l, *Ma = ma;
}

int geom_loops_evenodd(const double *ab, const shape_loop *loops, int nl, const double *x_b,
                       int nx_b, double *area, double *ma, double *mb) {
  *area = *ma = *mb = 0;
  int nv = 0;
  for (int l = 0; l < nl; l++) nv += loops[l].nv;
  sedge *E = malloc((size_t)(nv + 1) * sizeof *E);
  double *ev = malloc((size_t)(nv + nx_b + 1) * sizeof(double));
  const sedge **act = malloc((size_t)(nv + 1) * sizeof *act);
  double *xs = malloc((size_t)(nv + 1) * sizeof(double));
  if (!E || !ev || !act || !xs) return free(E), free(ev), free(act), free(xs), RERT_EINTERNAL;
  int ne = 0, nev = 0;
  for (int l = 0; l < nl; l++)
    for (int i = 0; i < loops[l].nv; i++) {
      const double *p = ab + 2 * (loops[l].v0 + i), *q = ab + 2 * (loops[l].v0 + (i + 1) % loops[l].nv);
      ev[nev++] = p[1];
      if (p[1] == q[1]) continue;
      E[ne++] = (sedge){p[0], p[1], q[0], q[1], fmin(p[1], q[1]), fmax(p[1], q[1])};
    }
  for (int i = 0; i < nx_b; i++) ev[nev++] = x_b[i];
  qsort(ev, nev, sizeof(double), cmp_double);
  qsort(E, ne, sizeof *E, cmp_sedge);
  const double g = 0.5 / sqrt(3.0);
  int next = 0, na = 0;
  for (int k = 0; k + 1 < nev; k++) {
    double lo = ev[k], hi = ev[k + 1], h = hi - lo;
    if (!(h > 1e-12)) continue;
    int w = 0; /* drop edges that ended */
    for (int i = 0; i < na; i++)
      if (act[i]->bmax > lo) act[w++] = act[i];
    na = w;
    while (next < ne && E[next].bmin < hi) {
      if (E[next].bmax > lo) act[na++] = &E[next];
      next++;
    }
    double mid = 0.5 * (lo + hi), y1 = mid - g * h, y2 = mid + g * h, L1, L2, M1, M2;
    line_moments(act, na, y1, xs, &L1, &M1);
    line_moments(act, na, y2, xs, &L2, &M2);
    *area += 0.5 * h * (L1 + L2);
    *ma += 0.5 * h * (M1 + M2);
    *mb += 0.5 * h * (y1 * L1 + y2 * L2);
  }
  free(E), free(ev), free(act), free(xs);
  return RERT_OK;
}
