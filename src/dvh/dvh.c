/* dvh.c — dose-volume histograms from ROI contours or masks on any dose-like grid (rert/dvh.h).
 *
 * Contours: the shape is integrated by the scanlines of src/geom/shape.c at a spacing chosen per
 * ROI (≈2·10⁶ sample cells, never coarser than half a dose voxel), so a 0.03 cc chiasm tip is
 * resolved far below the dose-voxel size. Each scanline piece lies in one trilinear cell where
 * the dose along the line is (very nearly) linear; the piece's volume is spread uniformly over
 * [d(start), d(end)] in the differential histogram instead of being dropped into one bin. This
 * makes the DVH exact along the scan direction and removes the staircase error of voxel
 * counting. Dmin/Dmax additionally check every contour vertex at the slab faces, where the
 * extremes of a linear dose over the (polygonal prism) shape are attained.
 *
 * The trilinear rule is that of volume_sample_trilinear: a point within half a voxel outside the
 * outermost voxel centres takes the clamped (edge) value; farther out it is outside the grid.
 */
#include "rert/dvh.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/shape.h"

#define TARGET_CELLS 3.0e5
#define LARGE_ROI_CC 1000.0 /* bodies: one row per dose cell is plenty (Dmean exact, Dx% averaged) */
#define MIN_STEP_MM 0.01

typedef struct {
  const float *d;
  int n[3];
  size_t sy, sz;
} tri_grid;

/* The trilinear cell holding continuous index p (clamped to the outermost voxel centres): base
 * offset b, fractions f and the neighbour strides (0 along an axis of one voxel). */
static void tri_cell(const tri_grid *t, const double p[3], double f[3], size_t *b, size_t *dx,
                     size_t *dy, size_t *dz) {
  int i0[3];
  for (int a = 0; a < 3; a++) {
    double c = p[a] < 0 ? 0 : (p[a] > t->n[a] - 1 ? t->n[a] - 1 : p[a]);
    int i = (int)c;
    if (i >= t->n[a] - 1) i = t->n[a] > 1 ? t->n[a] - 2 : 0;
    i0[a] = i;
    f[a] = t->n[a] > 1 ? c - i : 0;
  }
  *b = i0[0] + t->sy * i0[1] + t->sz * i0[2];
  *dx = t->n[0] > 1 ? 1 : 0;
  *dy = t->n[1] > 1 ? t->sy : 0;
  *dz = t->n[2] > 1 ? t->sz : 0;
}

/* Trilinear value at continuous index p, clamped to the outermost voxel centres. */
static double tri_at(const tri_grid *t, const double p[3]) {
  double f[3];
  size_t b, dx, dy, dz;
  tri_cell(t, p, f, &b, &dx, &dy, &dz);
  const float *d = t->d;
  double c00 = d[b] + f[0] * (d[b + dx] - d[b]);
  double c10 = d[b + dy] + f[0] * (d[b + dy + dx] - d[b + dy]);
  double c01 = d[b + dz] + f[0] * (d[b + dz + dx] - d[b + dz]);
  double c11 = d[b + dz + dy] + f[0] * (d[b + dz + dy + dx] - d[b + dz + dy]);
  double c0 = c00 + f[1] * (c10 - c00), c1 = c01 + f[1] * (c11 - c01);
  return c0 + f[2] * (c1 - c0);
}

/* Gradient (per index step) of the trilinear interpolant at p, same cell rule as tri_at. */
static void tri_grad(const tri_grid *t, const double p[3], double g[3]) {
  double f[3];
  size_t b, dx, dy, dz;
  tri_cell(t, p, f, &b, &dx, &dy, &dz);
  const float *d = t->d;
  double v000 = d[b], v100 = d[b + dx], v010 = d[b + dy], v110 = d[b + dy + dx];
  double v001 = d[b + dz], v101 = d[b + dz + dx], v011 = d[b + dz + dy], v111 = d[b + dz + dy + dx];
  double fx = f[0], fy = f[1], fz = f[2];
  g[0] = dx ? (1 - fy) * (1 - fz) * (v100 - v000) + fy * (1 - fz) * (v110 - v010) +
                  (1 - fy) * fz * (v101 - v001) + fy * fz * (v111 - v011)
            : 0;
  g[1] = dy ? (1 - fx) * (1 - fz) * (v010 - v000) + fx * (1 - fz) * (v110 - v100) +
                  (1 - fx) * fz * (v011 - v001) + fx * fz * (v111 - v101)
            : 0;
  g[2] = dz ? (1 - fx) * (1 - fy) * (v001 - v000) + fx * (1 - fy) * (v101 - v100) +
                  (1 - fx) * fy * (v011 - v010) + fx * fy * (v111 - v110)
            : 0;
}

static int tri_inside(const tri_grid *t, const double p[3]) {
  for (int a = 0; a < 3; a++)
    if (p[a] < -0.5 - 1e-9 || p[a] > t->n[a] - 0.5 + 1e-9) return 0;
  return 1;
}

typedef struct {
  tri_grid t;
  double Ib[3], Ic[3]; /* index change per mm along the row (e2) and slab (n) directions */
  double lo, invw;
  int nbins;
  double *hist;   /* point masses per bin */
  double *ramp;   /* ramp representation of uniform deposits, (slope, offset) pairs per edge */
  double inside_mm3, outside_mm3, sum_dv, dmin, dmax;
  double last_p[3], last_d;
  int have_last;
} acc_ctx;

/* A piece of volume W with dose uniform over [d0, d1] adds the ramp
 *   F(e) = W/(x1−x0) · ((e − x0)₊ − (e − x1)₊)        (mass below bin edge e, x in bin units)
 * to the cumulative-from-below function. A hinge s·(e − x)₊ at integer edges e ≥ ⌈x⌉ is stored as
 * slope[⌈x⌉] += s, offset[⌈x⌉] −= s·x; prefix sums give F(e) = e·Σslope + Σoffs in O(nbins) once,
 * so each deposit is O(1) however many bins a steep gradient spans. */
static inline void hinge(acc_ctx *c, double x, double s) {
  int k = (int)x;
  if (k < x) k++; /* ceil for x ≥ 0 */
  if (k < 0) k = 0;
  if (k > c->nbins) return;
  c->ramp[2 * k] += s;
  c->ramp[2 * k + 1] -= s * x;
}

static void deposit(acc_ctx *c, double d0, double d1, double W) {
  if (d0 > d1) {
    double t = d0;
    d0 = d1, d1 = t;
  }
  double x0 = (d0 - c->lo) * c->invw, x1 = (d1 - c->lo) * c->invw;
  if (x1 - x0 < 1e-6) {
    int b = (int)floor(x0);
    if (b < 0) b = 0;
    if (b > c->nbins - 1) b = c->nbins - 1;
    c->hist[b] += W;
    return;
  }
  double s = W / (x1 - x0);
  hinge(c, x0, s);
  hinge(c, x1, -s);
}

/* Fold the ramps into the per-bin histogram (hist[b] += F(b+1) − F(b)). */
static void deposit_finish(acc_ctx *c) {
  double sl = 0, of = 0, Fprev = 0;
  for (int e = 0; e <= c->nbins; e++) {
    sl += c->ramp[2 * e];
    of += c->ramp[2 * e + 1];
    double F = e * sl + of;
    if (e > 0) c->hist[e - 1] += F - Fprev;
    Fprev = F;
  }
}

static void dvh_piece(void *vctx, const double p0[3], const double p1[3], double len, double db,
                      double dc) {
  acc_ctx *c = vctx;
  double W = len * db * dc, mid[3];
  for (int a = 0; a < 3; a++) mid[a] = 0.5 * (p0[a] + p1[a]);
  if (!tri_inside(&c->t, mid)) {
    c->outside_mm3 += W;
    c->have_last = 0;
    return;
  }
  double d0 = (c->have_last && memcmp(p0, c->last_p, sizeof c->last_p) == 0) ? c->last_d
                                                                            : tri_at(&c->t, p0);
  double d1 = tri_at(&c->t, p1);
  memcpy(c->last_p, p1, sizeof c->last_p);
  c->last_d = d1;
  c->have_last = 1;
  c->inside_mm3 += W;
  c->sum_dv += W * 0.5 * (d0 + d1);
  if (d0 < c->dmin) c->dmin = d0;
  if (d1 < c->dmin) c->dmin = d1;
  if (d0 > c->dmax) c->dmax = d0;
  if (d1 > c->dmax) c->dmax = d1;
  /* The piece stands for a db × dc cross-section, across which the dose also varies. Its dose
   * distribution is the convolution of three uniforms (widths |Δa|, |Δb|, |Δc|); it is
   * deposited as the uniform with the same mean and variance, width √(Δa² + Δb² + Δc²). This
   * removes the row-sampling staircase in gradients across the rows. */
  double g[3];
  tri_grad(&c->t, mid, g);
  double Db = (g[0] * c->Ib[0] + g[1] * c->Ib[1] + g[2] * c->Ib[2]) * db;
  double Dc = (g[0] * c->Ic[0] + g[1] * c->Ic[1] + g[2] * c->Ic[2]) * dc;
  double Da = d1 - d0, m = 0.5 * (d0 + d1);
  double hw = 0.5 * sqrt(Da * Da + Db * Db + Dc * Dc);
  deposit(c, m - hw, m + hw, W);
}

static int check_dose(const rert_volume *dose, rert_err *err) {
  if (!dose || !dose->data || dose->nx <= 0 || dose->ny <= 0 || dose->nz <= 0)
    return rert_err_set(err, RERT_EINPUT, "DVH: dose grid is empty");
  for (int a = 0; a < 3; a++)
    if (!(dose->spacing_mm[a] > 0) || !isfinite(dose->spacing_mm[a]))
      return rert_err_set(err, RERT_EINPUT, "DVH: dose grid spacing must be positive");
  return RERT_OK;
}

/* Histogram layout shared by all ROIs of one dose. */
static int bins_for(const rert_volume *dose, const rert_dvh_opts *opt, double *lo, double *w,
                    int *nbins, rert_err *err) {
  float mn, mx;
  volume_minmax(dose, &mn, &mx);
  if (!isfinite(mn) || !isfinite(mx))
    return rert_err_set(err, RERT_EINPUT, "DVH: dose grid contains NaN or infinite values");
  *lo = mn < 0 ? mn : 0;
  double range = mx - *lo;
  double bw = opt && opt->bin_gy > 0 ? opt->bin_gy : fmin(0.01, range > 0 ? range / 5000 : 0.01);
  double nb = ceil(range / bw) + 2;
  if (nb > 5e6)
    return rert_err_set(err, RERT_EINPUT, "DVH: bin width %g Gy gives %.0f bins over %g Gy", bw,
                        nb, range);
  *w = bw;
  *nbins = (int)nb;
  return RERT_OK;
}

static int dvh_alloc(rert_dvh *d, double lo, double w, int nbins) {
  d->lo_gy = lo, d->bin_gy = w, d->nbins = nbins;
  d->diff_cc = calloc(nbins, sizeof(double));
  d->cum_cc = calloc((size_t)nbins + 1, sizeof(double));
  return d->diff_cc && d->cum_cc ? RERT_OK : RERT_EINTERNAL;
}

static void dvh_finish(rert_dvh *d, const double *hist_mm3, double inside_mm3,
                       double outside_mm3, double sum_dv, double dmin, double dmax) {
  for (int b = 0; b < d->nbins; b++) d->diff_cc[b] = hist_mm3[b] / 1000.0;
  d->cum_cc[d->nbins] = 0;
  for (int b = d->nbins - 1; b >= 0; b--) d->cum_cc[b] = d->cum_cc[b + 1] + d->diff_cc[b];
  d->inside_cc = inside_mm3 / 1000.0;
  d->outside_cc = outside_mm3 / 1000.0;
  d->total_cc = d->inside_cc + d->outside_cc;
  if (inside_mm3 > 0) {
    d->dmean_gy = sum_dv / inside_mm3;
    d->dmin_gy = dmin, d->dmax_gy = dmax;
  } else {
    d->dmean_gy = d->dmin_gy = d->dmax_gy = NAN;
  }
}

static void roi_fail(rert_dvh *d, int code, const char *msg) {
  d->status = code;
  snprintf(d->msg, sizeof d->msg, "%.255s", msg);
}

void dvh_free(rert_dvh *d) {
  if (!d) return;
  free(d->diff_cc);
  free(d->cum_cc);
  d->diff_cc = d->cum_cc = NULL;
}

static double median_plane_spacing(const rert_roi *const *rois, int nrois) {
  /* the structure set's slice spacing: median over all ROIs of their median spacing */
  double *v = malloc((nrois + 1) * sizeof(double));
  int n = 0;
  if (!v) return 0;
  for (int r = 0; r < nrois; r++) {
    geom_shape s;
    rert_err e;
    if (geom_shape_build(rois[r], 1.0, 0, &s, &e) == RERT_OK) {
      if (s.info.plane_spacing_mm > 0) v[n++] = s.info.plane_spacing_mm;
      geom_shape_free(&s);
    }
  }
  double m = 0;
  if (n) {
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
        double t = v[j];
        v[j] = v[j - 1], v[j - 1] = t;
      }
    m = v[n / 2];
  }
  free(v);
  return m;
}

static int dvh_one_roi(const rert_roi *roi, const rert_volume *dose, const tri_grid *tg,
                       const rert_dvh_opts *opt, double thick, double lo, double bw, int nbins,
                       int nth, rert_dvh *out) {
  rert_err e;
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", roi->tg263_name[0] ? roi->tg263_name : roi->name);
  geom_shape s;
  if (geom_shape_build(roi, thick, 0, &s, &e)) {
    roi_fail(out, RERT_EINPUT, e.msg);
    return RERT_OK;
  }
  if (dvh_alloc(out, lo, bw, nbins)) {
    geom_shape_free(&s);
    roi_fail(out, RERT_EINTERNAL, "out of memory");
    return RERT_EINTERNAL;
  }
  if (!(s.info.volume_cc > 0)) {
    char m[256];
    snprintf(m, sizeof m, "ROI %s has zero volume (%d contours, %d degenerate)", out->name,
             s.info.ncontours_used, s.info.ncontours_skipped);
    geom_shape_free(&s);
    roi_fail(out, RERT_EINPUT, m);
    return RERT_OK;
  }
  double smin = fmin(dose->spacing_mm[0], fmin(dose->spacing_mm[1], dose->spacing_mm[2]));
  double step = opt && opt->sample_mm > 0 ? opt->sample_mm
                                          : cbrt(s.info.volume_cc * 1000.0 / TARGET_CELLS);
  double cap = s.info.volume_cc > LARGE_ROI_CC ? smin : 0.5 * smin;
  if (!(opt && opt->sample_mm > 0) && step > cap) step = cap;
  if (step < MIN_STEP_MM) step = MIN_STEP_MM;
  /* a user-chosen spacing must not turn a body into 10¹⁰ cells */
  double vmm3 = s.info.volume_cc * 1000.0;
  if (vmm3 / (step * step * step) > 2e9) step = cbrt(vmm3 / 2e9);
  out->sample_mm = step;
  shape_gridmap g;
  shape_gridmap_init(&g, &s, dose, 0);
  double *hist = calloc(nbins, sizeof(double));
  double inside = 0, outside = 0, sum = 0, dmin = INFINITY, dmax = -INFINITY;
  int fail = !hist;
  if (!fail) {
#pragma omp parallel num_threads(nth)
    {
      acc_ctx c;
      memset(&c, 0, sizeof c);
      c.t = *tg;
      memcpy(c.Ib, g.Ib, sizeof c.Ib);
      memcpy(c.Ic, g.Ic, sizeof c.Ic);
      c.lo = lo, c.invw = 1.0 / bw, c.nbins = nbins;
      c.dmin = INFINITY, c.dmax = -INFINITY;
      c.hist = calloc(nbins, sizeof(double));
      c.ramp = calloc(2 * ((size_t)nbins + 2), sizeof(double));
      if (!c.hist || !c.ramp) {
        free(c.hist), free(c.ramp);
        c.hist = NULL;
#pragma omp atomic write
        fail = 1;
      }
#pragma omp for schedule(dynamic, 1)
      for (int q = 0; q < s.nplanes; q++) {
        if (!c.hist) continue;
        c.have_last = 0;
        if (shape_scan_plane(&s, q, &g, step, dvh_piece, &c)) {
#pragma omp atomic write
          fail = 1;
        }
        /* extremes of a linear dose over a polygonal slab are at its vertices on the faces */
        const shape_plane *P = &s.planes[q];
        for (int i = 0; i < s.plane_nv[q]; i++) {
          const double *v = s.verts_ab + 2 * (s.plane_v0[q] + i);
          for (int f = 0; f < 2; f++) {
            double cz = f ? P->c_hi : P->c_lo, p[3];
            for (int a = 0; a < 3; a++)
              p[a] = g.I0[a] + v[0] * g.Ia[a] + v[1] * g.Ib[a] + cz * g.Ic[a];
            if (!tri_inside(&c.t, p)) continue;
            double dv = tri_at(&c.t, p);
            if (dv < c.dmin) c.dmin = dv;
            if (dv > c.dmax) c.dmax = dv;
          }
        }
      }
      if (c.hist) deposit_finish(&c);
#pragma omp critical(dvh_merge)
      {
        if (c.hist)
          for (int b = 0; b < nbins; b++) hist[b] += c.hist[b];
        inside += c.inside_mm3, outside += c.outside_mm3, sum += c.sum_dv;
        if (c.dmin < dmin) dmin = c.dmin;
        if (c.dmax > dmax) dmax = c.dmax;
      }
      free(c.hist), free(c.ramp);
    }
  }
  rert_roi_info info = s.info;
  geom_shape_free(&s);
  if (fail) {
    free(hist);
    roi_fail(out, RERT_EINTERNAL, "out of memory while integrating");
    return RERT_EINTERNAL;
  }
  /* the scanline total differs from the analytic volume only by the row sampling of curved
   * edges; the analytic (shoelace) volume is the better total, so rescale both parts to it —
   * unless they differ by more than 2 %, which means contours of one plane cross each other
   * and the nesting-parity area is not the even-odd area (then the scan is the right one) */
  double scan = inside + outside, exact = info.volume_cc * 1000.0;
  if (scan > 0 && exact > 0 && fabs(exact / scan - 1) < 0.02) {
    double f = exact / scan;
    for (int b = 0; b < nbins; b++) hist[b] *= f;
    inside *= f, outside *= f, sum *= f;
  }
  dvh_finish(out, hist, inside, outside, sum, dmin, dmax);
  free(hist);
  if (out->inside_cc <= 0) {
    char m[256];
    snprintf(m, sizeof m, "ROI %s lies entirely outside the dose grid (%.3f cc)", out->name,
             out->total_cc);
    out->status = RERT_EINPUT;
    snprintf(out->msg, sizeof out->msg, "%s", m);
  }
  return RERT_OK;
}

int dvh_compute_rois(const rert_roi *const *rois, int nrois, const rert_volume *dose,
                     const rert_dvh_opts *opt, rert_dvh *out, rert_err *err) {
  int rc = check_dose(dose, err);
  if (rc) return rc;
  double lo, bw;
  int nbins;
  rc = bins_for(dose, opt, &lo, &bw, &nbins, err);
  if (rc) return rc;
  tri_grid tg = {dose->data, {dose->nx, dose->ny, dose->nz}, (size_t)dose->nx,
                 (size_t)dose->nx * dose->ny};
  double thick = opt && opt->slice_thickness_mm > 0 ? opt->slice_thickness_mm : 0;
  if (!(thick > 0)) thick = median_plane_spacing(rois, nrois);
  if (!(thick > 0)) thick = dose->spacing_mm[2];
  /* Threads: small ROIs one per thread (no barrier per ROI), large ROIs (contour bounding box
   * > 200 cc, e.g. the body) one at a time with their planes across threads. */
  int nth = opt && opt->nthreads > 0 ? opt->nthreads : omp_get_max_threads();
  int *large = calloc(nrois + 1, sizeof(int)), *rcs = calloc(nrois + 1, sizeof(int));
  if (!large || !rcs) {
    free(large), free(rcs);
    return rert_err_set(err, RERT_EINTERNAL, "DVH: out of memory");
  }
  for (int r = 0; r < nrois; r++) {
    double blo[3] = {INFINITY, INFINITY, INFINITY}, bhi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int c = 0; c < rois[r]->ncontours; c++) {
      const rert_contour *ct = &rois[r]->contours[c];
      for (int i = 0; ct->xyz_mm && i < ct->npoints; i++)
        for (int a = 0; a < 3; a++) {
          double x = ct->xyz_mm[3 * i + a];
          if (x < blo[a]) blo[a] = x;
          if (x > bhi[a]) bhi[a] = x;
        }
    }
    double bv = (bhi[0] - blo[0]) * (bhi[1] - blo[1]) * (bhi[2] - blo[2] + thick);
    large[r] = isfinite(bv) && bv > 200e3;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
  for (int r = 0; r < nrois; r++)
    if (!large[r]) rcs[r] = dvh_one_roi(rois[r], dose, &tg, opt, thick, lo, bw, nbins, 1, &out[r]);
  for (int r = 0; r < nrois; r++)
    if (large[r]) rcs[r] = dvh_one_roi(rois[r], dose, &tg, opt, thick, lo, bw, nbins, nth, &out[r]);
  int bad = -1;
  for (int r = 0; r < nrois; r++)
    if (rcs[r] && bad < 0) bad = r;
  free(large), free(rcs);
  if (bad >= 0) {
    for (int q = 0; q < nrois; q++) dvh_free(&out[q]);
    return rert_err_set(err, RERT_EINTERNAL, "DVH: out of memory for ROI %s", rois[bad]->name);
  }
  return RERT_OK;
}

int dvh_compute_mask(const rert_mask *m, const rert_volume *dose, const rert_dvh_opts *opt,
                     rert_dvh *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  int rc = check_dose(dose, err);
  if (rc) return rc;
  double lo, bw;
  int nbins;
  rc = bins_for(dose, opt, &lo, &bw, &nbins, err);
  if (rc) return rc;
  if (dvh_alloc(out, lo, bw, nbins)) {
    dvh_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "DVH: out of memory");
  }
  tri_grid tg = {dose->data, {dose->nx, dose->ny, dose->nz}, (size_t)dose->nx,
                 (size_t)dose->nx * dose->ny};
  /* mask index → dose index is affine: precompute it */
  double o[3], e[3][3], zero[3] = {0, 0, 0}, x[3];
  volume_index_to_world(&m->grid, zero, x);
  volume_world_to_index(dose, x, o);
  for (int a = 0; a < 3; a++) {
    double u[3] = {0, 0, 0}, y[3];
    u[a] = 1;
    volume_index_to_world(&m->grid, u, x);
    volume_world_to_index(dose, x, y);
    for (int q = 0; q < 3; q++) e[a][q] = y[q] - o[q];
  }
  double vox = m->grid.spacing_mm[0] * m->grid.spacing_mm[1] * m->grid.spacing_mm[2];
  acc_ctx c;
  memset(&c, 0, sizeof c);
  c.t = tg, c.lo = lo, c.invw = 1.0 / bw, c.nbins = nbins;
  c.dmin = INFINITY, c.dmax = -INFINITY;
  c.hist = calloc(nbins, sizeof(double));
  if (!c.hist) {
    dvh_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "DVH: out of memory");
  }
  for (int k = 0; k < m->n[2]; k++)
    for (int j = 0; j < m->n[1]; j++)
      for (int i = 0; i < m->n[0]; i++) {
        float f = m->frac[i + (size_t)m->n[0] * (j + (size_t)m->n[1] * k)];
        if (f <= 0) continue;
        double W = f * vox, p[3];
        int gi = i + m->lo[0], gj = j + m->lo[1], gk = k + m->lo[2];
        for (int q = 0; q < 3; q++) p[q] = o[q] + gi * e[0][q] + gj * e[1][q] + gk * e[2][q];
        if (!tri_inside(&tg, p)) {
          c.outside_mm3 += W;
          continue;
        }
        double d = tri_at(&tg, p);
        c.inside_mm3 += W;
        c.sum_dv += W * d;
        if (d < c.dmin) c.dmin = d;
        if (d > c.dmax) c.dmax = d;
        deposit(&c, d, d, W);
      }
  dvh_finish(out, c.hist, c.inside_mm3, c.outside_mm3 + m->outside_cc * 1000.0, c.sum_dv, c.dmin,
             c.dmax);
  free(c.hist);
  if (out->inside_cc <= 0) {
    out->status = RERT_EINPUT;
    snprintf(out->msg, sizeof out->msg, "mask is empty or entirely outside the dose grid");
  }
  return RERT_OK;
}
