/* brute.c — independent brute-force extremes of a trilinear dose over polygon slabs (brute.h). */
#include "support/brute.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int has_dir(const bf_grid *g) {
  for (int a = 0; a < 9; a++)
    if (g->dir[a] != 0) return 1;
  return 0;
}

/* world position of grid node (i, j, k) */
static void node_world(const bf_grid *g, int i, int j, int k, double x[3]) {
  int ii[3] = {i, j, k};
  for (int a = 0; a < 3; a++) {
    x[a] = g->o[a];
    for (int b = 0; b < 3; b++) {
      double d = has_dir(g) ? g->dir[3 * b + a] : (a == b);
      x[a] += ii[b] * g->sp[b] * d;
    }
  }
}

double bf_dose(const bf_grid *g, const double x[3]) {
  double f[3];
  int i0[3];
  int rot = has_dir(g);
  for (int a = 0; a < 3; a++) {
    double r = 0;
    if (rot)
      for (int b = 0; b < 3; b++) r += (x[b] - g->o[b]) * g->dir[3 * a + b];
    else r = x[a] - g->o[a];
    double u = r / g->sp[a];
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
#define BIN_MM 1.0 /* local searches start from the best sample of every 1 mm bin near the best */
typedef struct {
  const bf_grid *g;
  const bf_plane *P;
  int np;
  double sign, extreme;
  double topv[NKEEP], topx[NKEEP][3];
  int ntop;
  double blo[3];
  int nb[3];
  double *binv, *binx; /* per bin: best value and its position */
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
  if (b->binv) {
    size_t idx = 0, mul = 1;
    for (int a = 0; a < 3; a++) {
      int k = (int)floor((x[a] - b->blo[a]) / BIN_MM);
      k = k < 0 ? 0 : (k >= b->nb[a] ? b->nb[a] - 1 : k);
      idx += mul * (size_t)k, mul *= (size_t)b->nb[a];
    }
    if (v > b->binv[idx]) b->binv[idx] = v, memcpy(b->binx + 3 * idx, x, 3 * sizeof(double));
  }
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

/* Search directions: the 26 axis and diagonal moves, 36 quasi-random unit vectors and 24 in the
 * x-y plane (a kink of the dose along an oblique grid plane is a ridge no axis move follows). */
#define NDIR (26 + 36 + 24)
static double dirs[NDIR][3];
static void init_dirs(void) {
  static int done = 0;
  if (done) return;
  int n = 0;
  for (int d = 0; d < 27; d++) {
    int dx = d % 3 - 1, dy = d / 3 % 3 - 1, dz = d / 9 - 1;
    if (dx || dy || dz) dirs[n][0] = dx, dirs[n][1] = dy, dirs[n][2] = dz, n++;
  }
  for (int i = 0; i < 36; i++) { /* spiral points on the unit sphere */
    double z = 1 - (2 * i + 1) / 36.0, r = sqrt(1 - z * z), ph = i * M_PI * (3 - sqrt(5.0));
    dirs[n][0] = r * cos(ph), dirs[n][1] = r * sin(ph), dirs[n][2] = z, n++;
  }
  for (int i = 0; i < 24; i++) dirs[n][0] = cos(i * M_PI / 12 + 0.1), dirs[n][1] = sin(i * M_PI / 12 + 0.1), dirs[n][2] = 0, n++;
  done = 1;
}

/* pattern search from x (shrinking steps), staying inside */
static void refine(bf *b, double x[3]) {
  init_dirs();
  double fx = f_signed(b, x), s = 0.2;
  while (s > 1e-7) {
    int moved = 0;
    for (int d = 0; d < NDIR; d++) {
      double y[3] = {x[0] + s * dirs[d][0], x[1] + s * dirs[d][1], x[2] + s * dirs[d][2]};
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

static int cmp_desc(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? 1 : (a > b ? -1 : 0);
}

double bf_extreme(const bf_grid *g, const bf_plane *P, int np, double sign, double step) {
  bf b;
  memset(&b, 0, sizeof b);
  b.g = g, b.P = P, b.np = np, b.sign = sign, b.extreme = -INFINITY;
  double bhi[3] = {-INFINITY, -INFINITY, -INFINITY};
  b.blo[0] = b.blo[1] = b.blo[2] = INFINITY;
  for (int q = 0; q < np; q++) {
    b.blo[2] = fmin(b.blo[2], P[q].zlo), bhi[2] = fmax(bhi[2], P[q].zhi);
    for (int p = 0; p < P[q].npoly; p++)
      for (int i = 0; i < P[q].poly[p].np; i++)
        for (int a = 0; a < 2; a++)
          b.blo[a] = fmin(b.blo[a], P[q].poly[p].xy[2 * i + a]), bhi[a] = fmax(bhi[a], P[q].poly[p].xy[2 * i + a]);
  }
  size_t nbin = 1;
  for (int a = 0; a < 3; a++) b.nb[a] = (int)ceil((bhi[a] - b.blo[a]) / BIN_MM) + 1, nbin *= (size_t)b.nb[a];
  b.binv = malloc(nbin * sizeof(double));
  b.binx = malloc(3 * nbin * sizeof(double));
  for (size_t i = 0; b.binv && i < nbin; i++) b.binv[i] = -INFINITY;
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
    for (int k = 0; k < g->n[2] && nz < 64 && !has_dir(g); k++) {
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
    /* dose-grid nodes inside the slab (all nodes when the grid is rotated: it is small) */
    int k0 = 0, k1 = g->n[2] - 1, i0 = 0, i1 = g->n[0] - 1, j0 = 0, j1 = g->n[1] - 1;
    if (!has_dir(g)) {
      k0 = (int)floor((P[q].zlo - g->o[2]) / g->sp[2]), k1 = (int)ceil((P[q].zhi - g->o[2]) / g->sp[2]);
      i0 = (int)floor((xmin - g->o[0]) / g->sp[0]), i1 = (int)ceil((xmax - g->o[0]) / g->sp[0]);
      j0 = (int)floor((ymin - g->o[1]) / g->sp[1]), j1 = (int)ceil((ymax - g->o[1]) / g->sp[1]);
    }
    for (int k = k0; k <= k1; k++)
      for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) {
          double x[3];
          node_world(g, i, j, k, x);
          sample(&b, x);
        }
  }
  /* the slabs' vertical edges (at every vertex): sampled every 0.05 mm, then a golden-section
   * search around the best (a dose kink where a cell face crosses the edge is a V-shaped extreme) */
  for (int q = 0; q < np; q++)
    for (int p = 0; p < P[q].npoly; p++)
      for (int i = 0; i < P[q].poly[p].np; i++) {
        const double *v = P[q].poly[p].xy + 2 * i;
        int n = (int)ceil((P[q].zhi - P[q].zlo) / 0.05) + 1;
        double bz = P[q].zlo, bv = -INFINITY;
        for (int k = 0; k <= n; k++) {
          double x[3] = {v[0], v[1], P[q].zlo + (P[q].zhi - P[q].zlo) * k / n};
          double fv = f_signed(&b, x);
          if (fv > b.extreme) b.extreme = fv;
          if (fv > bv) bv = fv, bz = x[2];
        }
        if (!isfinite(bv)) continue;
        double h = (P[q].zhi - P[q].zlo) / n, lo = fmax(P[q].zlo, bz - h), hi = fmin(P[q].zhi, bz + h);
        double gr = 0.5 * (sqrt(5.0) - 1);
        for (int it = 0; it < 60; it++) {
          double z1 = hi - gr * (hi - lo), z2 = lo + gr * (hi - lo);
          double f1 = f_signed(&b, (double[3]){v[0], v[1], z1}), f2 = f_signed(&b, (double[3]){v[0], v[1], z2});
          if (f1 > b.extreme) b.extreme = f1;
          if (f2 > b.extreme) b.extreme = f2;
          if (f1 > f2) hi = z2;
          else lo = z1;
        }
      }
  /* grid lines: along each line of nodes the dose is piecewise linear, so its extremes over the
   * object are at nodes or where the line enters or leaves the object (bisected to 1e-10 mm) —
   * the apexes of the dose on an oblique face, which local searches cannot climb to (grids
   * aligned with the slabs have them at the grid-plane heights sampled above) */
  for (int ax = 0; ax < 3 && has_dir(g); ax++) {
    int u = (ax + 1) % 3, v = (ax + 2) % 3;
    for (int j = 0; j < g->n[v]; j++)
      for (int i = 0; i < g->n[u]; i++) {
        int ii[3];
        ii[u] = i, ii[v] = j, ii[ax] = 0;
        double a0[3], a1[3];
        node_world(g, ii[0], ii[1], ii[2], a0);
        ii[ax] = g->n[ax] - 1;
        node_world(g, ii[0], ii[1], ii[2], a1);
        /* extend half a voxel beyond the outer nodes (clamped border) */
        double d[3], L = 0;
        for (int a = 0; a < 3; a++) d[a] = a1[a] - a0[a], L += d[a] * d[a];
        L = sqrt(L);
        double ext = L > 0 ? 0.5 * g->sp[ax] / L : 0;
        double t0 = -ext, t1 = 1 + ext;
        int n = (int)ceil((t1 - t0) * L / 0.1) + 1;
        int prev_in = 0;
        double tp = t0;
        for (int k = 0; k <= n; k++) {
          double t = t0 + (t1 - t0) * k / n, x[3];
          for (int a = 0; a < 3; a++) x[a] = a0[a] + t * d[a];
          int in = inside(P, np, x) && !isnan(bf_dose(g, x));
          if (in) sample(&b, x);
          if (k > 0 && in != prev_in) {
            double lo = tp, hi = t; /* lo has prev_in, hi has in */
            for (int it = 0; it < 60; it++) {
              double m = 0.5 * (lo + hi), y[3];
              for (int a = 0; a < 3; a++) y[a] = a0[a] + m * d[a];
              int im = inside(P, np, y) && !isnan(bf_dose(g, y));
              if (im == prev_in) lo = m;
              else hi = m;
            }
            double y[3], tt = prev_in ? lo : hi;
            for (int a = 0; a < 3; a++) y[a] = a0[a] + tt * d[a];
            sample(&b, y);
          }
          prev_in = in, tp = t;
        }
      }
  }
  /* refinement: pattern search from the best sample of every bin within 5 Gy of the best (local
   * extremes elsewhere than the best coarse sample), then edges near the best points */
  if (b.binv) {
    /* the 256 best bins within 5 Gy of the best */
    double cut = b.extreme - 5.0, *vals = malloc(nbin * sizeof(double));
    size_t nv = 0;
    for (size_t i = 0; vals && i < nbin; i++)
      if (b.binv[i] >= cut) vals[nv++] = b.binv[i];
    if (vals && nv > 256) {
      qsort(vals, nv, sizeof(double), cmp_desc);
      cut = vals[255];
    }
    free(vals);
    for (size_t i = 0; i < nbin; i++)
      if (b.binv[i] >= cut) {
        double x[3];
        memcpy(x, b.binx + 3 * i, sizeof x);
        refine(&b, x);
        double v = f_signed(&b, x);
        if (isfinite(v)) {
          int w = 0;
          for (int k = 1; k < b.ntop; k++)
            if (b.topv[k] < b.topv[w]) w = k;
          if (b.ntop < NKEEP) w = b.ntop++;
          if (v > b.topv[w] || w == b.ntop - 1) b.topv[w] = v, memcpy(b.topx[w], x, sizeof x);
        }
      }
  }
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
  free(b.binv), free(b.binx);
  return sign * b.extreme;
}
