/* mask.c — fractional-occupancy masks (rert/geom.h): rasterising ROIs, volume, centroid,
 * bounding box and fuzzy booleans on a shared grid.
 *
 * Rasterising integrates the shape by scanlines (src/geom/shape.c): every piece of a scanline
 * lies in one voxel, so a voxel's occupancy is Σ piece length × row cross-section / voxel
 * volume. Coverage is exact along the scan direction; `supersample` rows per voxel sample the
 * other two directions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geom/shape.h"
#include "rert/geom.h"

static size_t box_count(const rert_mask *m) { return (size_t)m->n[0] * m->n[1] * m->n[2]; }

static double voxel_mm3(const rert_volume *g) {
  return g->spacing_mm[0] * g->spacing_mm[1] * g->spacing_mm[2];
}

void geom_mask_free(rert_mask *m) {
  if (!m) return;
  free(m->frac);
  m->frac = NULL;
  m->n[0] = m->n[1] = m->n[2] = 0;
}

static void set_grid(rert_mask *m, const rert_volume *grid) {
  memset(m, 0, sizeof *m);
  m->grid = *grid;
  m->grid.data = NULL;
  int zero = 1;
  for (int a = 0; a < 9; a++)
    if (grid->dir[a] != 0) zero = 0;
  if (zero) volume_set_identity_dir(&m->grid);
}

static int check_grid(const rert_volume *g, rert_err *err) {
  if (g->nx <= 0 || g->ny <= 0 || g->nz <= 0)
    return rert_err_set(err, RERT_EINPUT, "mask grid: invalid dimensions %dx%dx%d", g->nx, g->ny,
                        g->nz);
  for (int a = 0; a < 3; a++)
    if (!(g->spacing_mm[a] > 0) || !isfinite(g->spacing_mm[a]))
      return rert_err_set(err, RERT_EINPUT, "mask grid: spacing must be positive and finite");
  return RERT_OK;
}

static int alloc_box(rert_mask *m, const int lo[3], const int hi[3], rert_err *err) {
  for (int a = 0; a < 3; a++) {
    m->lo[a] = lo[a];
    m->n[a] = hi[a] >= lo[a] ? hi[a] - lo[a] + 1 : 0;
  }
  if (!m->n[0] || !m->n[1] || !m->n[2]) {
    m->n[0] = m->n[1] = m->n[2] = 0;
    m->frac = NULL;
    return RERT_OK;
  }
  m->frac = calloc(box_count(m), sizeof(float));
  if (!m->frac) return rert_err_set(err, RERT_EINTERNAL, "mask: out of memory");
  return RERT_OK;
}

int geom_mask_empty(const rert_volume *grid, rert_mask *out, rert_err *err) {
  int rc = check_grid(grid, err);
  if (rc) return rc;
  set_grid(out, grid);
  return RERT_OK;
}

float geom_mask_at(const rert_mask *m, int i, int j, int k) {
  i -= m->lo[0], j -= m->lo[1], k -= m->lo[2];
  if (i < 0 || j < 0 || k < 0 || i >= m->n[0] || j >= m->n[1] || k >= m->n[2]) return 0.0f;
  return m->frac[i + (size_t)m->n[0] * (j + (size_t)m->n[1] * k)];
}

typedef struct {
  double *acc;
  int lo[3], n[3], gn[3];
  double outside_mm3;
} raster_ctx;

static void raster_piece(void *vctx, const double p0[3], const double p1[3], double len,
                         double db, double dc) {
  raster_ctx *c = vctx;
  double w = db * dc;
  int v[3], inside = 1;
  for (int q = 0; q < 3; q++) {
    double mid = 0.5 * (p0[q] + p1[q]);
    v[q] = (int)floor(mid + 0.5);
    if (v[q] < 0 || v[q] >= c->gn[q]) inside = 0;
  }
  double dv = len * w;
  if (!inside) {
#pragma omp atomic
    c->outside_mm3 += dv;
    return;
  }
  int i = v[0] - c->lo[0], j = v[1] - c->lo[1], k = v[2] - c->lo[2];
  if (i < 0 || j < 0 || k < 0 || i >= c->n[0] || j >= c->n[1] || k >= c->n[2]) return;
  size_t idx = i + (size_t)c->n[0] * (j + (size_t)c->n[1] * k);
#pragma omp atomic
  c->acc[idx] += dv;
}

int geom_mask_from_roi(const rert_roi *roi, const rert_volume *grid, const rert_raster_opts *opt,
                       rert_mask *out, rert_err *err) {
  int rc = check_grid(grid, err);
  if (rc) return rc;
  set_grid(out, grid);
  int ss = opt && opt->supersample > 0 ? opt->supersample : 4;
  if (ss > 64) ss = 64; /* beyond this, rows cost time and add nothing */
  geom_shape s;
  shape_gridmap g;
  /* slabs from the image slices; a single-plane ROI without known slices: the thickness asked,
   * else the grid spacing along the normal */
  double thick = opt ? opt->slice_thickness_mm : 0;
  geom_build_opts bo = {thick > 0 ? thick : 1.0, opt ? opt->slices : NULL, NULL};
  rc = geom_shape_build(roi, &bo, &s, err);
  if (rc) return rc;
  if (!(thick > 0) && s.info.slices_source == GEOM_SLICES_NONE) {
    double ijk[3], zero[3] = {0, 0, 0}, t[3];
    volume_world_to_index(&out->grid, zero, t);
    volume_world_to_index(&out->grid, s.n, ijk);
    /* 1 mm along n in index steps; the grid spacing along n is its reciprocal length */
    double inv = 0;
    for (int a = 0; a < 3; a++) inv += (ijk[a] - t[a]) * (ijk[a] - t[a]);
    bo.default_thickness_mm = inv > 0 ? 1.0 / sqrt(inv) : out->grid.spacing_mm[2];
    geom_shape_free(&s);
    rc = geom_shape_build(roi, &bo, &s, err);
    if (rc) return rc;
  }
  shape_gridmap_init(&g, &s, &out->grid, 1);

  /* box: index-space image of the shape's (a, b, c) extent, ±1 voxel, clipped to the grid */
  double amin = INFINITY, amax = -INFINITY, bmin = INFINITY, bmax = -INFINITY;
  for (int q = 0; q < s.nplanes; q++)
    for (int i = 0; i < s.plane_nv[q]; i++) {
      const double *v = s.verts_ab + 2 * (s.plane_v0[q] + i);
      amin = fmin(amin, v[0]), amax = fmax(amax, v[0]);
      bmin = fmin(bmin, v[1]), bmax = fmax(bmax, v[1]);
    }
  double cmin = s.planes[0].c_lo, cmax = s.planes[s.nplanes - 1].c_hi;
  int lo[3], hi[3];
  double ilo[3] = {INFINITY, INFINITY, INFINITY}, ihi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int corner = 0; corner < 8; corner++) {
    double a = corner & 1 ? amax : amin, b = corner & 2 ? bmax : bmin, c = corner & 4 ? cmax : cmin;
    for (int q = 0; q < 3; q++) {
      double x = g.I0[q] + a * g.Ia[q] + b * g.Ib[q] + c * g.Ic[q];
      ilo[q] = fmin(ilo[q], x), ihi[q] = fmax(ihi[q], x);
    }
  }
  for (int q = 0; q < 3; q++) {
    double l = floor(ilo[q]) - 1, h = ceil(ihi[q]) + 1;
    lo[q] = l < 0 ? 0 : (l > g.n[q] - 1 ? g.n[q] : (int)l);
    hi[q] = h > g.n[q] - 1 ? g.n[q] - 1 : (h < 0 ? -1 : (int)h);
  }
  raster_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  int empty = 0;
  for (int q = 0; q < 3; q++) {
    ctx.lo[q] = lo[q];
    ctx.n[q] = hi[q] >= lo[q] ? hi[q] - lo[q] + 1 : 0;
    ctx.gn[q] = g.n[q];
    if (!ctx.n[q]) empty = 1;
  }
  if (!empty) {
    ctx.acc = calloc((size_t)ctx.n[0] * ctx.n[1] * ctx.n[2], sizeof(double));
    if (!ctx.acc) {
      geom_shape_free(&s);
      return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory for its mask", roi->name);
    }
  }
  if (empty) {
    out->outside_cc = s.info.volume_cc;
    geom_shape_free(&s);
    return RERT_OK;
  }
  double step = fmin(out->grid.spacing_mm[0], fmin(out->grid.spacing_mm[1], out->grid.spacing_mm[2])) / ss;
  int fail = 0;
#pragma omp parallel for schedule(dynamic, 1)
  for (int q = 0; q < s.nplanes; q++)
    if (shape_scan_plane(&s, q, &g, step, raster_piece, &ctx)) {
#pragma omp atomic write
      fail = 1;
    }
  geom_shape_free(&s);
  if (fail) {
    free(ctx.acc);
    return rert_err_set(err, RERT_EINTERNAL, "ROI %s: out of memory while rasterising", roi->name);
  }
  rc = alloc_box(out, lo, hi, err);
  if (rc) {
    free(ctx.acc);
    return rc;
  }
  double inv = 1.0 / voxel_mm3(&out->grid);
  size_t n = box_count(out);
  for (size_t i = 0; i < n; i++) {
    double f = ctx.acc[i] * inv;
    out->frac[i] = (float)(f > 1 ? 1 : f);
  }
  out->outside_cc = ctx.outside_mm3 / 1000.0;
  free(ctx.acc);
  return RERT_OK;
}

int geom_mask_from_volume(const rert_volume *occ, rert_mask *out, rert_err *err) {
  int rc = check_grid(occ, err);
  if (rc) return rc;
  if (!occ->data) return rert_err_set(err, RERT_EINPUT, "mask from volume: no data");
  set_grid(out, occ);
  int lo[3] = {occ->nx, occ->ny, occ->nz}, hi[3] = {-1, -1, -1};
  for (int k = 0; k < occ->nz; k++)
    for (int j = 0; j < occ->ny; j++)
      for (int i = 0; i < occ->nx; i++) {
        float v = occ->data[i + (size_t)occ->nx * (j + (size_t)occ->ny * k)];
        if (v > 0) {
          int ix[3] = {i, j, k};
          for (int a = 0; a < 3; a++) {
            if (ix[a] < lo[a]) lo[a] = ix[a];
            if (ix[a] > hi[a]) hi[a] = ix[a];
          }
        }
      }
  rc = alloc_box(out, lo, hi, err);
  if (rc || !out->frac) return rc;
  for (int k = 0; k < out->n[2]; k++)
    for (int j = 0; j < out->n[1]; j++)
      for (int i = 0; i < out->n[0]; i++) {
        float v = occ->data[(i + lo[0]) + (size_t)occ->nx * ((j + lo[1]) + (size_t)occ->ny * (k + lo[2]))];
        out->frac[i + (size_t)out->n[0] * (j + (size_t)out->n[1] * k)] =
            v > 1 ? 1.0f : (v > 0 ? v : 0.0f);
      }
  return RERT_OK;
}

int geom_mask_to_volume(const rert_mask *m, rert_volume *out, rert_err *err) {
  *out = m->grid;
  out->data = NULL;
  memset(&out->meta, 0, sizeof out->meta);
  int rc = volume_alloc(out, err);
  if (rc) return rc;
  out->meta.quantity = QTY_MASK;
  for (int k = 0; k < m->n[2]; k++)
    for (int j = 0; j < m->n[1]; j++)
      for (int i = 0; i < m->n[0]; i++)
        out->data[(i + m->lo[0]) + (size_t)out->nx * ((j + m->lo[1]) + (size_t)out->ny * (k + m->lo[2]))] =
            m->frac[i + (size_t)m->n[0] * (j + (size_t)m->n[1] * k)];
  return RERT_OK;
}

int geom_mask_copy(const rert_mask *m, rert_mask *out, rert_err *err) {
  *out = *m;
  out->frac = NULL;
  if (!box_count(m)) return RERT_OK;
  out->frac = malloc(box_count(m) * sizeof(float));
  if (!out->frac) return rert_err_set(err, RERT_EINTERNAL, "mask: out of memory");
  memcpy(out->frac, m->frac, box_count(m) * sizeof(float));
  return RERT_OK;
}

double geom_mask_volume_cc(const rert_mask *m) {
  double s = 0;
  size_t n = box_count(m);
  for (size_t i = 0; i < n; i++) s += m->frac[i];
  return s * voxel_mm3(&m->grid) / 1000.0;
}

int geom_mask_centroid_mm(const rert_mask *m, double c_mm[3], rert_err *err) {
  double s = 0, acc[3] = {0, 0, 0};
  for (int k = 0; k < m->n[2]; k++)
    for (int j = 0; j < m->n[1]; j++)
      for (int i = 0; i < m->n[0]; i++) {
        double f = m->frac[i + (size_t)m->n[0] * (j + (size_t)m->n[1] * k)];
        if (f <= 0) continue;
        s += f;
        acc[0] += f * (i + m->lo[0]), acc[1] += f * (j + m->lo[1]), acc[2] += f * (k + m->lo[2]);
      }
  if (!(s > 0)) return rert_err_set(err, RERT_EINPUT, "mask centroid: the mask is empty");
  double ijk[3] = {acc[0] / s, acc[1] / s, acc[2] / s};
  volume_index_to_world(&m->grid, ijk, c_mm);
  return RERT_OK;
}

int geom_mask_bbox_mm(const rert_mask *m, double lo_mm[3], double hi_mm[3], rert_err *err) {
  int l[3] = {m->n[0], m->n[1], m->n[2]}, h[3] = {-1, -1, -1};
  for (int k = 0; k < m->n[2]; k++)
    for (int j = 0; j < m->n[1]; j++)
      for (int i = 0; i < m->n[0]; i++)
        if (m->frac[i + (size_t)m->n[0] * (j + (size_t)m->n[1] * k)] > 0) {
          int ix[3] = {i, j, k};
          for (int a = 0; a < 3; a++) {
            if (ix[a] < l[a]) l[a] = ix[a];
            if (ix[a] > h[a]) h[a] = ix[a];
          }
        }
  if (h[0] < 0) return rert_err_set(err, RERT_EINPUT, "mask bounding box: the mask is empty");
  for (int a = 0; a < 3; a++) lo_mm[a] = INFINITY, hi_mm[a] = -INFINITY;
  for (int corner = 0; corner < 8; corner++) {
    double ijk[3], x[3];
    for (int a = 0; a < 3; a++) ijk[a] = (corner >> a & 1 ? h[a] + 0.5 : l[a] - 0.5) + m->lo[a];
    volume_index_to_world(&m->grid, ijk, x);
    for (int a = 0; a < 3; a++) lo_mm[a] = fmin(lo_mm[a], x[a]), hi_mm[a] = fmax(hi_mm[a], x[a]);
  }
  return RERT_OK;
}

/* ---- booleans ---- */
typedef enum { OP_UNION, OP_INTERSECT, OP_SUBTRACT } bool_op;

static int boolean(const rert_mask *a, const rert_mask *b, bool_op op, rert_mask *out,
                   rert_err *err) {
  if (!volume_same_geometry(&a->grid, &b->grid))
    return rert_err_set(err, RERT_EINPUT,
                        "mask boolean: the two masks are on different grids (resample first)");
  rert_volume g = a->grid;
  set_grid(out, &g);
  int lo[3], hi[3];
  int ea = box_count(a) == 0, eb = box_count(b) == 0;
  for (int q = 0; q < 3; q++) {
    int alo = a->lo[q], ahi = a->lo[q] + a->n[q] - 1, blo = b->lo[q], bhi = b->lo[q] + b->n[q] - 1;
    switch (op) {
    case OP_UNION:
      lo[q] = ea ? blo : (eb ? alo : (alo < blo ? alo : blo));
      hi[q] = ea ? bhi : (eb ? ahi : (ahi > bhi ? ahi : bhi));
      break;
    case OP_INTERSECT:
      lo[q] = alo > blo ? alo : blo;
      hi[q] = ahi < bhi ? ahi : bhi;
      if (ea || eb) hi[q] = lo[q] - 1;
      break;
    case OP_SUBTRACT:
      lo[q] = alo, hi[q] = ahi;
      if (ea) hi[q] = lo[q] - 1;
      break;
    }
  }
  int rc = alloc_box(out, lo, hi, err);
  if (rc || !out->frac) {
    out->outside_cc = op == OP_UNION ? a->outside_cc + b->outside_cc
                                     : (op == OP_SUBTRACT ? a->outside_cc : 0);
    return rc;
  }
#pragma omp parallel for
  for (int k = 0; k < out->n[2]; k++)
    for (int j = 0; j < out->n[1]; j++)
      for (int i = 0; i < out->n[0]; i++) {
        int gi = i + lo[0], gj = j + lo[1], gk = k + lo[2];
        float va = geom_mask_at(a, gi, gj, gk), vb = geom_mask_at(b, gi, gj, gk), r;
        if (op == OP_UNION) r = va > vb ? va : vb;
        else if (op == OP_INTERSECT) r = va < vb ? va : vb;
        else r = va < 1.0f - vb ? va : 1.0f - vb;
        out->frac[i + (size_t)out->n[0] * (j + (size_t)out->n[1] * k)] = r;
      }
  /* outside-the-grid parts: union keeps both (upper bound), subtract keeps a's, intersect unknown */
  out->outside_cc = op == OP_UNION ? a->outside_cc + b->outside_cc
                                   : (op == OP_SUBTRACT ? a->outside_cc : fmin(a->outside_cc, b->outside_cc));
  return RERT_OK;
}

int geom_mask_union(const rert_mask *a, const rert_mask *b, rert_mask *out, rert_err *err) {
  return boolean(a, b, OP_UNION, out, err);
}
int geom_mask_intersect(const rert_mask *a, const rert_mask *b, rert_mask *out, rert_err *err) {
  return boolean(a, b, OP_INTERSECT, out, err);
}
int geom_mask_subtract(const rert_mask *a, const rert_mask *b, rert_mask *out, rert_err *err) {
  return boolean(a, b, OP_SUBTRACT, out, err);
}

int geom_mask_threshold(const rert_mask *a, double level, rert_mask *out, rert_err *err) {
  int rc = geom_mask_copy(a, out, err);
  if (rc) return rc;
  size_t n = box_count(out);
  for (size_t i = 0; i < n; i++) out->frac[i] = out->frac[i] >= level ? 1.0f : 0.0f;
  return RERT_OK;
}
