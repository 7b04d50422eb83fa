/* margin.c — isotropic and anisotropic margins on masks (GTV→CTV→PTV expansion, shrinking),
 * rert/geom.h.
 *
 * A voxel joins the expanded mask when its centre lies within the ellipsoid with semi-axes
 * (mx, my, mz) mm around the centre of some inside voxel: that is a squared distance
 * Σ (Δ_q·s_q / m_q)² ≤ 1, computed exactly with the separable squared-distance transform of
 * Felzenszwalb & Huttenlocher (2012, Theory of Computing 8:415) with per-axis weights
 * (s_q / m_q)². Shrinking is the dual: a voxel stays when no outside voxel centre (the region
 * beyond the grid counts as outside) lies within the ellipsoid.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/geom.h"

#define BIG 1e30

/* 1-D lower envelope of parabolas w·(p−q)² + f(q); f ≥ BIG means "no seed". */
static void edt1d(const double *f, int n, double w, double *d, int *v, double *z) {
  int k = -1;
  for (int q = 0; q < n; q++) {
    if (f[q] >= BIG) continue;
    double fq = f[q] + w * (double)q * q;
    while (k >= 0) {
      double fv = f[v[k]] + w * (double)v[k] * v[k];
      double s = (fq - fv) / (2.0 * w * (q - v[k]));
      if (s <= z[k]) k--;
      else {
        k++;
        v[k] = q;
        z[k] = s;
        break;
      }
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -INFINITY;
    }
  }
  if (k < 0) {
    for (int p = 0; p < n; p++) d[p] = BIG;
    return;
  }
  z[k + 1] = INFINITY;
  int j = 0;
  for (int p = 0; p < n; p++) {
    while (z[j + 1] < p) j++;
    double dp = p - v[j];
    d[p] = w * dp * dp + f[v[j]];
  }
}

/* In-place squared weighted distance transform of g (box dims n), weights w[3]. */
static int edt3d(double *g, const int n[3], const double w[3]) {
  int mx = n[0] > n[1] ? n[0] : n[1];
  if (n[2] > mx) mx = n[2];
  int fail = 0;
  for (int axis = 0; axis < 3; axis++) {
    int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    size_t st[3] = {1, (size_t)n[0], (size_t)n[0] * n[1]};
#pragma omp parallel
    {
      double *f = malloc(mx * sizeof(double)), *d = malloc(mx * sizeof(double));
      double *z = malloc((mx + 1) * sizeof(double));
      int *v = malloc(mx * sizeof(int));
      if (!f || !d || !z || !v) {
#pragma omp atomic write
        fail = 1;
      } else {
#pragma omp for collapse(2)
        for (int y = 0; y < n[a2]; y++)
          for (int x = 0; x < n[a1]; x++) {
            size_t base = x * st[a1] + y * st[a2];
            for (int p = 0; p < n[axis]; p++) f[p] = g[base + p * st[axis]];
            edt1d(f, n[axis], w[axis], d, v, z);
            for (int p = 0; p < n[axis]; p++) g[base + p * st[axis]] = d[p];
          }
      }
      free(f), free(d), free(z), free(v);
    }
    if (fail) return 1;
  }
  return 0;
}

int geom_mask_margin(const rert_mask *in, const double margin_mm[3], rert_mask *out,
                     rert_err *err) {
  int pos = 0, neg = 0;
  for (int q = 0; q < 3; q++) {
    if (!isfinite(margin_mm[q]))
      return rert_err_set(err, RERT_EINPUT, "margin: value %d is not finite", q + 1);
    if (margin_mm[q] > 0) pos = 1;
    if (margin_mm[q] < 0) neg = 1;
  }
  if (pos && neg)
    return rert_err_set(err, RERT_EINPUT,
                        "margin: mixed growing and shrinking margins (%g, %g, %g mm); apply them "
                        "in two steps", margin_mm[0], margin_mm[1], margin_mm[2]);
  if (!pos && !neg) return geom_mask_threshold(in, 0.5, out, err);
  const rert_volume *G = &in->grid;
  int gn[3] = {G->nx, G->ny, G->nz};
  double w[3];
  int r[3];
  for (int q = 0; q < 3; q++) {
    double m = fabs(margin_mm[q]);
    w[q] = m > 0 ? (G->spacing_mm[q] / m) * (G->spacing_mm[q] / m) : 1e12;
    r[q] = m > 0 ? (int)ceil(m / G->spacing_mm[q]) : 0;
  }
  *out = *in;
  out->frac = NULL;
  out->outside_cc = 0;
  size_t nin = (size_t)in->n[0] * in->n[1] * in->n[2];
  if (!nin) {
    out->n[0] = out->n[1] = out->n[2] = 0;
    return RERT_OK;
  }
  /* working box: dilation grows by r (clipped to the grid); erosion keeps the box plus a
   * one-voxel outside rim (the grid border also counts as outside) */
  int lo[3], n[3];
  for (int q = 0; q < 3; q++) {
    int grow = pos ? r[q] : 1;
    lo[q] = in->lo[q] - grow;
    int hi = in->lo[q] + in->n[q] - 1 + grow;
    if (pos) {
      if (lo[q] < 0) lo[q] = 0;
      if (hi > gn[q] - 1) hi = gn[q] - 1;
    }
    n[q] = hi - lo[q] + 1;
  }
  size_t N = (size_t)n[0] * n[1] * n[2];
  double *g = malloc(N * sizeof(double));
  if (!g) return rert_err_set(err, RERT_EINTERNAL, "margin: out of memory");
  for (int k = 0; k < n[2]; k++)
    for (int j = 0; j < n[1]; j++)
      for (int i = 0; i < n[0]; i++) {
        int inside = geom_mask_at(in, i + lo[0], j + lo[1], k + lo[2]) >= 0.5f;
        /* dilation seeds: inside voxels; erosion seeds: outside voxels */
        g[i + (size_t)n[0] * (j + (size_t)n[1] * k)] = (pos ? inside : !inside) ? 0.0 : BIG;
      }
  if (edt3d(g, n, w)) {
    free(g);
    return rert_err_set(err, RERT_EINTERNAL, "margin: out of memory");
  }
  /* result box: for erosion drop the rim, and clip to the grid */
  int rlo[3], rhi[3];
  for (int q = 0; q < 3; q++) {
    rlo[q] = pos ? lo[q] : in->lo[q];
    rhi[q] = pos ? lo[q] + n[q] - 1 : in->lo[q] + in->n[q] - 1;
  }
  for (int q = 0; q < 3; q++) {
    out->lo[q] = rlo[q];
    out->n[q] = rhi[q] - rlo[q] + 1;
  }
  out->frac = calloc((size_t)out->n[0] * out->n[1] * out->n[2], sizeof(float));
  if (!out->frac) {
    free(g);
    return rert_err_set(err, RERT_EINTERNAL, "margin: out of memory");
  }
  const double tol = 1e-9;
  for (int k = 0; k < out->n[2]; k++)
    for (int j = 0; j < out->n[1]; j++)
      for (int i = 0; i < out->n[0]; i++) {
        int gi = i + rlo[0] - lo[0], gj = j + rlo[1] - lo[1], gk = k + rlo[2] - lo[2];
        double d2 = g[gi + (size_t)n[0] * (gj + (size_t)n[1] * gk)];
        int keep;
        if (pos) keep = d2 <= 1.0 + tol;
        else keep = geom_mask_at(in, i + rlo[0], j + rlo[1], k + rlo[2]) >= 0.5f && d2 > 1.0 + tol;
        out->frac[i + (size_t)out->n[0] * (j + (size_t)out->n[1] * k)] = keep ? 1.0f : 0.0f;
      }
  free(g);
  return RERT_OK;
}
