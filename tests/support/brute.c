/* brute.c — independent brute-force extremes of a trilinear dose over polygon slabs (brute.h). */
#include "support/brute.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double bf_dose(const bf_grid *g, const double x[3]) {
  double f[3];
  int i0[3];
  for (int a = 0; a < 3; a++) {
    double u = (x[a] - g->o[a]) / g->sp[a];
    if (u < -0.5 - 1e-12 || u > g->n[a] - 0.5 + 1e-12) return NAN;
    if (u < 0) u = 0;
    if (u > g->n[a] - 1) u = g->n[a] - 1;
    int i = (int)floor(u);
    if (i > g->n[a] - 2) i = g->n[a] - 2;
    if (i < 0) i = 0;
    i0[a] = i, f[a] = g->n[a] > 1 ? u - i : 0;
  }
  double v = 0;
  for (int c = 0; c < 8; c++) {
    double w = 1;
    int ii[3];
    for (int a = 0; a < 3; a++) {
      int b = (c >> a) & 1;
      w *= b ? f[a] : 1 - f[a];
      ii[a] = i0[a] + (g->n[a] > 1 ? b : 0);
    }
    if (w != 0) v += w * g->d[ii[0] + (size_t)g->n[0] * (ii[1] + (size_t)g->n[1] * ii[2])];
  }
  return v;
}

static int pip(const double *xy, int n, double x, double y) {
  int in = 0;
  for (int i = 0, j = n - 1; i < n; j = i++) {
    double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
    if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

/* On an edge (within 1e-9 mm): the boundary belongs to the closed object, whatever the
 * half-open ray test says about it. */
static int on_edge(const double *xy, int n, double x, double y) {
  for (int i = 0, j = n - 1; i < n; j = i++) {
    double ax = xy[2 * j], ay = xy[2 * j + 1], vx = xy[2 * i] - ax, vy = xy[2 * i + 1] - ay;
    double L2 = vx * vx + vy * vy, t = L2 > 0 ? ((x - ax) * vx + (y - ay) * vy) / L2 : 0;
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    double dx = ax + t * vx - x, dy = ay + t * vy - y;
    if (dx * dx + dy * dy <= 1e-18) return 1;
  }
  return 0;
}

static int inside(const bf_plane *P, int np, const double x[3]) {
  for (int q = 0; q < np; q++) {
    if (x[2] < P[q].zlo - 1e-12 || x[2] > P[q].zhi + 1e-12) continue;
    int in = 0;
    for (int p = 0; p < P[q].npoly; p++) in ^= pip(P[q].poly[p].xy, P[q].poly[p].np, x[0], x[1]);
    if (in) return 1;
    for (int p = 0; p < P[q].npoly; p++)
      if (on_edge(P[q].poly[p].xy, P[q].poly[p].np, x[0], x[1])) return 1;
  }
  return 0;
}

#define NKEEP 24
typedef struct {
  const bf_grid *g;
  const bf_plane *P;
  int np;
  double sign, extreme;
  double topv[NKEEP], topx[NKEEP][3];
  int ntop;
} bf;

static double f_signed(bf *b, const double x[3]) {
  if (!inside(b->P, b->np, x)) return -INFINITY;
  double v = bf_dose(b->g, x);
  return isnan(v) ? -INFINITY : b->sign * v;
}

static void sample(bf *b, const double x[3]) {
  double v = f_signed(b, x);
  if (!isfinite(v)) return;
  if (v > b->extreme) b->extreme = v;
  int w = 0;
  if (b->ntop < NKEEP) w = b->ntop++;
  else {
    for (int i = 1; i < NKEEP; i++)
      if (b->topv[i] < b->topv[w]) w = i;
    if (v <= b->topv[w]) return;
  }
  b->topv[w] = v;
  memcpy(b->topx[w], x, sizeof b->topx[w]);
}

/* pattern search from x (axis and diagonal moves, shrinking steps), staying inside */
static void refine(bf *b, double x[3]) {
  double fx = f_signed(b, x), s = 0.2;
  while (s > 1e-7) {
    int moved = 0;
    for (int d = 0; d < 27; d++) {
      int dx = d % 3 - 1, dy = d / 3 % 3 - 1, dz = d / 9 - 1;
      if (!dx && !dy && !dz) continue;
      double y[3] = {x[0] + s * dx, x[1] + s * dy, x[2] + s * dz};
      double fy = f_signed(b, y);
      if (fy > fx) {
        memcpy(x, y, sizeof y);
        fx = fy;
        moved = 1;
      }
    }
    if (!moved) s *= 0.5;
  }
  if (fx > b->extreme) b->extreme = fx;
}

/* golden-section along the edge p → q at height z, around the best of fine samples */
static void edge_search(bf *b, const double *p, const double *q, double z) {
  double L = hypot(q[0] - p[0], q[1] - p[1]);
  int n = (int)ceil(L / 0.01) + 1;
  double bt = 0, bv = -INFINITY;
  for (int i = 0; i <= n; i++) {
    double t = (double)i / n, x[3] = {p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]), z};
    double v = f_signed(b, x);
    if (v > b->extreme) b->extreme = v;
    if (v > bv) bv = v, bt = t;
  }
  if (!isfinite(bv)) return;
  double lo = fmax(0, bt - 1.0 / n), hi = fmin(1, bt + 1.0 / n), gr = 0.5 * (sqrt(5.0) - 1);
  for (int it = 0; it < 60; it++) {
    double t1 = hi - gr * (hi - lo), t2 = lo + gr * (hi - lo);
    double x1[3] = {p[0] + t1 * (q[0] - p[0]), p[1] + t1 * (q[1] - p[1]), z};
    double x2[3] = {p[0] + t2 * (q[0] - p[0]), p[1] + t2 * (q[1] - p[1]), z};
    double v1 = f_signed(b, x1), v2 = f_signed(b, x2);
    if (v1 > b->extreme) b->extreme = v1;
    if (v2 > b->extreme) b->extreme = v2;
    if (v1 > v2) hi = t2;
    else lo = t1;
  }
  double x[3] = {p[0] + lo * (q[0] - p[0]), p[1] + lo * (q[1] - p[1]), z};
  sample(b, x);
}

double bf_extreme(const bf_grid *g, const bf_plane *P, int np, double sign, double step) {
  bf b;
  memset(&b, 0, sizeof b);
  b.g = g, b.P = P, b.np = np, b.sign = sign, b.extreme = -INFINITY;
  for (int q = 0; q < np; q++) {
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int p = 0; p < P[q].npoly; p++)
      for (int i = 0; i < P[q].poly[p].np; i++) {
        const double *v = P[q].poly[p].xy + 2 * i;
        xmin = fmin(xmin, v[0]), xmax = fmax(xmax, v[0]), ymin = fmin(ymin, v[1]), ymax = fmax(ymax, v[1]);
      }
    /* heights: both faces, 7 between, and the dose-grid planes inside the slab */
    double zs[64];
    int nz = 0;
    for (int i = 0; i <= 8; i++) zs[nz++] = P[q].zlo + (P[q].zhi - P[q].zlo) * i / 8.0;
    for (int k = 0; k < g->n[2] && nz < 64; k++) {
      double zk = g->o[2] + k * g->sp[2];
      if (zk > P[q].zlo && zk < P[q].zhi) zs[nz++] = zk;
    }
    for (int iz = 0; iz < nz; iz++) {
      for (double y = ymin; y <= ymax; y += step)
        for (double x = xmin; x <= xmax; x += step) sample(&b, (double[3]){x, y, zs[iz]});
      for (int p = 0; p < P[q].npoly; p++)
        for (int i = 0; i < P[q].poly[p].np; i++) {
          const double *a = P[q].poly[p].xy + 2 * i, *c = P[q].poly[p].xy + 2 * ((i + 1) % P[q].poly[p].np);
          int ns = (int)ceil(hypot(c[0] - a[0], c[1] - a[1]) / (step / 10)) + 1;
          for (int s = 0; s <= ns; s++) {
            double t = (double)s / ns;
            sample(&b, (double[3]){a[0] + t * (c[0] - a[0]), a[1] + t * (c[1] - a[1]), zs[iz]});
          }
        }
    }
    /* dose-grid nodes inside the slab */
    int k0 = (int)floor((P[q].zlo - g->o[2]) / g->sp[2]), k1 = (int)ceil((P[q].zhi - g->o[2]) / g->sp[2]);
    int i0 = (int)floor((xmin - g->o[0]) / g->sp[0]), i1 = (int)ceil((xmax - g->o[0]) / g->sp[0]);
    int j0 = (int)floor((ymin - g->o[1]) / g->sp[1]), j1 = (int)ceil((ymax - g->o[1]) / g->sp[1]);
    for (int k = k0; k <= k1; k++)
      for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++)
          sample(&b, (double[3]){g->o[0] + i * g->sp[0], g->o[1] + j * g->sp[1], g->o[2] + k * g->sp[2]});
  }
  /* refinement from the best samples: pattern search, then edges near them at their height */
  for (int i = 0; i < b.ntop; i++) refine(&b, b.topx[i]);
  for (int i = 0; i < b.ntop; i++) {
    const double *x = b.topx[i];
    for (int q = 0; q < np; q++) {
      if (x[2] < P[q].zlo - 1e-9 || x[2] > P[q].zhi + 1e-9) continue;
      for (int p = 0; p < P[q].npoly; p++)
        for (int e = 0; e < P[q].poly[p].np; e++) {
          const double *a = P[q].poly[p].xy + 2 * e, *c = P[q].poly[p].xy + 2 * ((e + 1) % P[q].poly[p].np);
          double dx = c[0] - a[0], dy = c[1] - a[1], L2 = dx * dx + dy * dy;
          double t = L2 > 0 ? ((x[0] - a[0]) * dx + (x[1] - a[1]) * dy) / L2 : 0;
          t = fmax(0, fmin(1, t));
          double ex = a[0] + t * dx - x[0], ey = a[1] + t * dy - x[1];
          if (ex * ex + ey * ey < 0.25) edge_search(&b, a, c, x[2]);
        }
    }
  }
  /* a last pattern search from the best points (the edge searches offered theirs) */
  for (int i = 0; i < b.ntop; i++) refine(&b, b.topx[i]);
  return sign * b.extreme;
}
