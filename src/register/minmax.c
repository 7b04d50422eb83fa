/* minmax.c — dose-mapping uncertainty bounds (issue #5): per-voxel min and max of a mapped
 * dose over a ball of radius r mm, i.e. the dose the voxel would get if the registration were
 * off by up to r. The ball is decomposed into rows along i: for every (dj, dk) offset inside
 * the ellipse (dj·sy)² + (dk·sz)² ≤ r², the row half-width is w = ⌊√(r² − …)/sx⌋ and the row
 * min/max over [i−w, i+w] comes from a van Herk–Gil-Werman running filter (3 comparisons per
 * voxel whatever w). One pass per distinct w, then a union over the (dj, dk) disc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"

/* vHGW 1-D min and max with half-width w over n samples (window clipped at the ends). */
static void vhgw_row(const float *in, int n, int w, float *mn, float *mx, float *g1, float *h1,
                     float *g2, float *h2) {
  if (w <= 0) {
    memcpy(mn, in, n * sizeof(float));
    memcpy(mx, in, n * sizeof(float));
    return;
  }
  int L = 2 * w + 1;
  /* forward (g) and backward (h) block prefix min/max, blocks of length L */
  for (int i = 0; i < n; i++) {
    if (i % L == 0) g1[i] = g2[i] = in[i];
    else {
      g1[i] = fminf(g1[i - 1], in[i]);
      g2[i] = fmaxf(g2[i - 1], in[i]);
    }
  }
  for (int i = n - 1; i >= 0; i--) {
    if (i == n - 1 || (i + 1) % L == 0) h1[i] = h2[i] = in[i];
    else {
      h1[i] = fminf(h1[i + 1], in[i]);
      h2[i] = fmaxf(h2[i + 1], in[i]);
    }
  }
  for (int i = 0; i < n; i++) {
    int a = i - w, b = i + w;
    if (a < 0 || b > n - 1) { /* clipped window: direct (only near the ends) */
      if (a < 0) a = 0;
      if (b > n - 1) b = n - 1;
      float lo = in[a], hi = in[a];
      for (int q = a + 1; q <= b; q++) {
        lo = fminf(lo, in[q]);
        hi = fmaxf(hi, in[q]);
      }
      mn[i] = lo, mx[i] = hi;
    } else {
      /* [a, b] spans at most two blocks: h at a covers a..end of its block, g at b the rest */
      mn[i] = fminf(h1[a], g1[b]);
      mx[i] = fmaxf(h2[a], g2[b]);
    }
  }
}

typedef struct {
  int dj, dk, w;
} row_off;


/* The grid-node pass alone misses the dose between nodes: with a radius below the grid spacing
 * no neighbour is inside the ball and the bounds would equal the nominal map. The dose field is
 * taken as trilinear between nodes, whose extremes over the ball lie at nodes inside it or on
 * its surface, so the surface is sampled along the 26 axis/edge/corner directions as well. */
static void minmax_surface(const rert_volume *v, double r, rert_volume *lo, rert_volume *hi) {
  double dir[26][3];
  int nd = 0;
  for (int a = -1; a <= 1; a++)
    for (int b = -1; b <= 1; b++)
      for (int c = -1; c <= 1; c++) {
        if (!a && !b && !c) continue;
        double len = sqrt((double)(a * a + b * b + c * c));
        dir[nd][0] = r * a / len / v->spacing_mm[0];
        dir[nd][1] = r * b / len / v->spacing_mm[1];
        dir[nd][2] = r * c / len / v->spacing_mm[2];
        nd++;
      }
  int nx = v->nx, ny = v->ny, nz = v->nz;
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        size_t idx = (size_t)i + (size_t)nx * (j + (size_t)ny * k);
        float l = lo->data[idx], h = hi->data[idx];
        for (int q = 0; q < nd; q++) {
          double p[3] = {i + dir[q][0], j + dir[q][1], k + dir[q][2]};
          /* only points between voxel centres: beyond the outermost centre there is no dose */
          if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[0] > nx - 1 || p[1] > ny - 1 || p[2] > nz - 1) continue;
          float s = volume_sample_index(v, p, NAN);
          if (isnan(s)) continue;
          if (s < l) l = s;
          if (s > h) h = s;
        }
        lo->data[idx] = l;
        hi->data[idx] = h;
      }
}

int reg_minmax_filter(const rert_volume *v, double r, rert_volume *lo, rert_volume *hi, rert_err *err) {
  if (!(r >= 0) || !isfinite(r)) return rert_err_set(err, RERT_EINPUT, "uncertainty radius must be ≥ 0 mm");
  int rc = volume_alloc_like(lo, v, err);
  if (rc) return rc;
  rc = volume_alloc_like(hi, v, err);
  if (rc) {
    volume_free(lo);
    return rc;
  }
  int nx = v->nx, ny = v->ny, nz = v->nz;
  double sx = v->spacing_mm[0], sy = v->spacing_mm[1], sz = v->spacing_mm[2];
  int rj = (int)floor(r / sy + 1e-9), rk = (int)floor(r / sz + 1e-9), rw = (int)floor(r / sx + 1e-9);
  if (rj > ny) rj = ny;
  if (rk > nz) rk = nz;
  if (rw > nx) rw = nx;
  int noff = 0;
  row_off *off = malloc(sizeof(row_off) * (size_t)(2 * rj + 1) * (2 * rk + 1));
  int *widx = calloc((size_t)rw + 1, sizeof(int)); /* width → slot */
  if (!off || !widx) {
    free(off), free(widx), volume_free(lo), volume_free(hi);
    return rert_err_set(err, RERT_EINTERNAL, "minmax filter: out of memory");
  }
  int nw = 0;
  for (int w = 0; w <= rw; w++) widx[w] = -1;
  for (int dk = -rk; dk <= rk; dk++)
    for (int dj = -rj; dj <= rj; dj++) {
      double rem = r * r - (dj * sy) * (dj * sy) - (dk * sz) * (dk * sz);
      if (rem < -1e-9) continue;
      int w = (int)floor(sqrt(rem > 0 ? rem : 0) / sx + 1e-9);
      if (w > rw) w = rw;
      if (widx[w] < 0) widx[w] = nw++;
      off[noff++] = (row_off){dj, dk, w};
    }
  size_t n = volume_count(v);
  float *rmin = malloc(sizeof(float) * n * nw), *rmax = malloc(sizeof(float) * n * nw);
  if (!rmin || !rmax) {
    free(rmin), free(rmax), free(off), free(widx), volume_free(lo), volume_free(hi);
    return rert_err_set(err, RERT_EINTERNAL, "minmax filter: out of memory (%d row widths)", nw);
  }
  /* pass 1: row min/max for every distinct width */
#pragma omp parallel
  {
    float *buf = malloc(sizeof(float) * 4 * (size_t)nx);
#pragma omp for schedule(static)
    for (int k = 0; k < nz; k++)
      for (int j = 0; j < ny; j++) {
        size_t row = (size_t)nx * (j + (size_t)ny * k);
        for (int w = 0; w <= rw; w++) {
          if (widx[w] < 0) continue;
          size_t s = (size_t)widx[w] * n;
          if (buf) vhgw_row(v->data + row, nx, w, rmin + s + row, rmax + s + row, buf, buf + nx, buf + 2 * nx, buf + 3 * nx);
        }
      }
    free(buf);
  }
  /* pass 2: union over the (dj, dk) disc */
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++) {
      size_t row = (size_t)nx * (j + (size_t)ny * k);
      float *l = lo->data + row, *h = hi->data + row;
      for (int i = 0; i < nx; i++) l[i] = INFINITY, h[i] = -INFINITY;
      for (int q = 0; q < noff; q++) {
        int jj = j + off[q].dj, kk = k + off[q].dk;
        if (jj < 0 || jj >= ny || kk < 0 || kk >= nz) continue;
        size_t s = (size_t)widx[off[q].w] * n + (size_t)nx * (jj + (size_t)ny * kk);
        const float *a = rmin + s, *b = rmax + s;
        for (int i = 0; i < nx; i++) {
          l[i] = fminf(l[i], a[i]);
          h[i] = fmaxf(h[i], b[i]);
        }
      }
    }
  free(rmin), free(rmax), free(off), free(widx);
  if (r > 0) minmax_surface(v, r, lo, hi);
  return RERT_OK;
}

int reg_minmax_filter_local(const rert_volume *v, const rert_volume *radius, double step, double max_mm,
                            rert_volume *lo, rert_volume *hi, rert_err *err) {
  if (!volume_same_geometry(v, radius))
    return rert_err_set(err, RERT_EINPUT, "uncertainty: radius map is not on the dose grid");
  if (!(step > 0)) step = 1.0;
  if (!(max_mm > 0)) max_mm = 10.0;
  int rc = volume_alloc_like(lo, v, err);
  if (rc) return rc;
  rc = volume_alloc_like(hi, v, err);
  if (rc) {
    volume_free(lo);
    return rc;
  }
  size_t n = volume_count(v);
  int nlev = (int)ceil(max_mm / step - 1e-9);
  /* level q covers radii in ((q−1)·step, q·step]; rounding UP keeps the bound conservative */
  for (int q = 0; q <= nlev; q++) {
    double r = q * step > max_mm ? max_mm : q * step;
    int used = 0;
    for (size_t i = 0; i < n && !used; i++) {
      double ri = radius->data[i] > max_mm ? max_mm : radius->data[i];
      int lv = ri <= 0 ? 0 : (int)ceil(ri / step - 1e-9);
      if (lv > nlev) lv = nlev;
      used = lv == q;
    }
    if (!used) continue;
    rert_volume l, h;
    rc = reg_minmax_filter(v, r, &l, &h, err);
    if (rc) {
      volume_free(lo), volume_free(hi);
      return rc;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
      double ri = radius->data[i] > max_mm ? max_mm : radius->data[i];
      int lv = ri <= 0 ? 0 : (int)ceil(ri / step - 1e-9);
      if (lv > nlev) lv = nlev;
      if (lv == q) lo->data[i] = l.data[i], hi->data[i] = h.data[i];
    }
    volume_free(&l), volume_free(&h);
  }
  return RERT_OK;
}
