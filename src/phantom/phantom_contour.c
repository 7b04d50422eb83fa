/* phantom_contour.c — RTSTRUCT contours of the analytic ROIs: marching squares on one axial
 * plane (docs/phantom.md "Contours").
 *
 * The ROI's implicit value (≈ signed distance, mm) is sampled on a square lattice over a box
 * that encloses the ROI with margin, zero crossings are placed by linear interpolation along
 * lattice edges, and crossings are chained into closed loops through the two cells that share
 * each edge. Saddle cells are resolved by the cell-centre average. Every edge crossing belongs
 * to exactly two cells because the box border is forced outside, so every loop closes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "phantom/phantom_internal.h"

/* Edge ids: horizontal (i,j)-(i+1,j) → j·(nx−1)+i; vertical (i,j)-(i,j+1) → H + j·nx + i. */
typedef struct {
  int nx, ny, nh;
  const float *g;
} lattice;

static int inside(float v) { return v < 0.0f; }

static void link(int *adj, int a, int b) {
  if (adj[2 * a] < 0) adj[2 * a] = b;
  else adj[2 * a + 1] = b;
  if (adj[2 * b] < 0) adj[2 * b] = a;
  else adj[2 * b + 1] = a;
}

static void edge_point(const lattice *L, int e, double x0, double y0, double h, double *x,
                       double *y) {
  int i, j;
  float g0, g1;
  if (e < L->nh) {
    j = e / (L->nx - 1), i = e % (L->nx - 1);
    g0 = L->g[j * L->nx + i], g1 = L->g[j * L->nx + i + 1];
    double t = g0 / (double)(g0 - g1);
    *x = x0 + (i + t) * h, *y = y0 + j * h;
  } else {
    e -= L->nh;
    j = e / L->nx, i = e % L->nx;
    g0 = L->g[j * L->nx + i], g1 = L->g[(j + 1) * L->nx + i];
    double t = g0 / (double)(g0 - g1);
    *x = x0 + i * h, *y = y0 + (j + t) * h;
  }
}

static int append_contour(rert_contour **cs, int *n, double *xy, int np, double z, rert_err *err) {
  double area2 = 0;
  for (int p = 0; p < np; p++) {
    int q = (p + 1) % np;
    area2 += xy[2 * p] * xy[2 * q + 1] - xy[2 * q] * xy[2 * p + 1];
  }
  rert_contour *nc = realloc(*cs, (size_t)(*n + 1) * sizeof **cs);
  if (!nc) return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory (contours)");
  *cs = nc;
  rert_contour *c = &nc[*n];
  c->type = CONTOUR_CLOSED_PLANAR;
  c->npoints = np;
  c->xyz_mm = malloc((size_t)np * 3 * sizeof(double));
  if (!c->xyz_mm) return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory (contours)");
  for (int p = 0; p < np; p++) {
    int s = area2 >= 0 ? p : np - 1 - p; /* counter-clockwise in (x, y) */
    c->xyz_mm[3 * p] = xy[2 * s];
    c->xyz_mm[3 * p + 1] = xy[2 * s + 1];
    c->xyz_mm[3 * p + 2] = z;
  }
  (*n)++;
  return RERT_OK;
}

/* Shrink the search box to where the ROI can be on this plane: a coarse pass at 4h keeps the
 * samples whose implicit value (≈ signed distance) is below 4h, i.e. within one coarse step of
 * the surface, so nothing the fine pass would find is lost. Returns 0 if the plane misses it. */
static int tighten_box(const rert_phantom_model *m, int roi, int c, double z, double h,
                       const double box[4], double out[4]) {
  double H = 4.0 * h;
  int nx = (int)ceil((box[1] - box[0]) / H) + 1, ny = (int)ceil((box[3] - box[2]) / H) + 1;
  double lo[2] = {1e30, 1e30}, hi[2] = {-1e30, -1e30};
  int any = 0;
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      double p[3] = {box[0] + i * H, box[2] + j * H, z};
      if (phantom_roi_level(m, roi, c, p) < H) {
        any = 1;
        lo[0] = fmin(lo[0], p[0]), hi[0] = fmax(hi[0], p[0]);
        lo[1] = fmin(lo[1], p[1]), hi[1] = fmax(hi[1], p[1]);
      }
    }
  if (!any) return 0;
  out[0] = fmax(box[0], lo[0] - 2 * H), out[1] = fmin(box[1], hi[0] + 2 * H);
  out[2] = fmax(box[2], lo[1] - 2 * H), out[3] = fmin(box[3], hi[1] + 2 * H);
  return 1;
}

int phantom_contour_slice(const rert_phantom_model *m, int roi, int c, double z, double h,
                          const double box_in[4], rert_contour **contours, int *ncontours,
                          rert_err *err) {
  double box[4];
  if (!tighten_box(m, roi, c, z, h, box_in, box)) return RERT_OK;
  int nx = (int)ceil((box[1] - box[0]) / h) + 1, ny = (int)ceil((box[3] - box[2]) / h) + 1;
  if (nx < 3 || ny < 3) return RERT_OK;
  size_t ng = (size_t)nx * ny;
  int nh = (nx - 1) * ny, nv = nx * (ny - 1);
  float *g = malloc(ng * sizeof *g);
  int *adj = malloc((size_t)(nh + nv) * 2 * sizeof *adj);
  unsigned char *seen = calloc((size_t)(nh + nv), 1);
  double *xy = malloc((size_t)(nh + nv) * 2 * sizeof *xy);
  int rc = RERT_OK;
  if (!g || !adj || !seen || !xy) {
    rc = rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory (contour lattice)");
    goto done;
  }
  int any_in = 0;
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++) {
      double p[3] = {box[0] + i * h, box[2] + j * h, z};
      float v = (float)phantom_roi_level(m, roi, c, p);
      if (v == 0.0f) v = 1e-6f; /* keep crossings strictly between samples */
      if (i == 0 || j == 0 || i == nx - 1 || j == ny - 1) v = fmaxf(v, 1e-3f);
      if (v < 0) any_in = 1;
      g[(size_t)j * nx + i] = v;
    }
  if (!any_in) goto done;
  for (int e = 0; e < 2 * (nh + nv); e++) adj[e] = -1;
  lattice L = {nx, ny, nh, g};
  for (int j = 0; j + 1 < ny; j++)
    for (int i = 0; i + 1 < nx; i++) {
      float c0 = g[j * nx + i], c1 = g[j * nx + i + 1], c2 = g[(j + 1) * nx + i + 1],
            c3 = g[(j + 1) * nx + i];
      int code = inside(c0) | inside(c1) << 1 | inside(c2) << 2 | inside(c3) << 3;
      if (code == 0 || code == 15) continue;
      int e0 = j * (nx - 1) + i, e2 = (j + 1) * (nx - 1) + i;
      int e3 = nh + j * nx + i, e1 = nh + j * nx + i + 1;
      if (code == 5 || code == 10) {
        int centre_in = (c0 + c1 + c2 + c3) < 0;
        int cut_c0_c2 = (code == 5) != centre_in; /* segments around corners 0 and 2 */
        if (cut_c0_c2) {
          link(adj, e3, e0);
          link(adj, e1, e2);
        } else {
          link(adj, e0, e1);
          link(adj, e2, e3);
        }
        continue;
      }
      int es[4] = {e0, e1, e2, e3}, k = 0, pair[2];
      float cv[4] = {c0, c1, c2, c3};
      for (int s = 0; s < 4; s++)
        if (inside(cv[s]) != inside(cv[(s + 1) % 4])) pair[k++] = es[s];
      if (k == 2) link(adj, pair[0], pair[1]);
    }
  for (int start = 0; start < nh + nv && rc == RERT_OK; start++) {
    if (seen[start] || adj[2 * start] < 0) continue;
    int np = 0, prev = -1, cur = start, closed = 0;
    while (1) {
      seen[cur] = 1;
      edge_point(&L, cur, box[0], box[2], h, &xy[2 * np], &xy[2 * np + 1]);
      np++;
      int n0 = adj[2 * cur], n1 = adj[2 * cur + 1];
      int nxt = (n0 != prev) ? n0 : n1;
      if (nxt == start) {
        closed = 1;
        break;
      }
      if (nxt < 0 || seen[nxt]) break;
      prev = cur;
      cur = nxt;
    }
    if (closed && np >= 3) rc = append_contour(contours, ncontours, xy, np, z, err);
  }
done:
  free(g);
  free(adj);
  free(seen);
  free(xy);
  return rc;
}
