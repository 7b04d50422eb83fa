/* dvh.c — dose-volume histograms from ROI contours or masks on any dose-like grid (rert/dvh.h).
 *
 * Contours: the shape is integrated by the scanlines of src/geom/shape.c at a spacing chosen per
 * ROI (≈3·10⁵ sample cells, never coarser than half a dose voxel), so a 0.03 cc chiasm tip is
 * resolved far below the dose-voxel size. Each scanline piece lies in one trilinear cell where
 * the dose along the line is (very nearly) linear; the piece's volume is spread uniformly over
 * [d(start), d(end)] in the differential histogram instead of being dropped into one bin. This
 * makes the DVH exact along the scan direction and removes the staircase error of voxel
 * counting. Dmin/Dmax are computed exactly over the object (src/dvh/extremes.c), not sampled.
 *
 * Slabs come from the image slices (the CT when the caller passes it, else inferred from all
 * ROIs of the call); contour findings are returned per ROI (rert/geom.h).
 *
 * The trilinear rule is that of volume_sample_trilinear (src/dvh/trilinear.h): a point within
 * half a voxel outside the outermost voxel centres takes the clamped (edge) value; farther out it
 * is outside the grid.
 */
#include "rert/dvh.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvh/extremes.h"
#include "dvh/trilinear.h"
#include "geom/shape.h"

#define TARGET_CELLS 3.0e5
#define LARGE_ROI_CC 1000.0 /* bodies: one row per dose cell is plenty (Dmean exact, Dx% averaged) */
#define MIN_STEP_MM 0.01

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
  geom_findings_free(&d->findings);
}

static int dvh_one_roi(const rert_roi *roi, const rert_volume *dose, const tri_grid *tg,
                       const rert_dvh_opts *opt, const rert_slice_geom *slices, double thick,
                       double lo, double bw, int nbins, int nth, rert_dvh *out) {
  rert_err e;
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", roi->tg263_name[0] ? roi->tg263_name : roi->name);
  geom_shape s;
  geom_build_opts bo = {thick, slices, &out->findings};
  int brc = geom_shape_build(roi, &bo, &s, &e);
  if (brc) {
    roi_fail(out, brc, e.msg);
    return brc == RERT_EINTERNAL ? RERT_EINTERNAL : RERT_OK;
  }
  out->geometry = s.info;
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
  ext_setup ex;
  dvh_extremes_setup(&s, &g, &ex);
  out->extremes_exact = 1; /* aligned or oblique planes: src/dvh/extremes*.c */
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
        /* exact extremes over the slab (src/dvh/extremes.c) */
        if (dvh_extremes_plane(&s, q, &g, &c.t, &ex, &c.dmin, &c.dmax)) {
#pragma omp atomic write
          fail = 1;
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
   * edges; the analytic (even-odd area × slab) volume is the better total, so rescale both
   * parts to it */
  double scan = inside + outside, exact = info.volume_cc * 1000.0;
  if (scan > 0 && exact > 0) {
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
  /* a single-plane ROI without known slices: the thickness asked, else the dose spacing along z */
  double thick = opt && opt->slice_thickness_mm > 0 ? opt->slice_thickness_mm : dose->spacing_mm[2];
  rert_slice_geom own;
  memset(&own, 0, sizeof own);
  const rert_slice_geom *slices = opt ? opt->slices : NULL;
  if (!slices) {
    if ((rc = geom_slices_infer(rois, nrois, &own, err))) return rc;
    slices = &own;
  }
  /* Threads: small ROIs one per thread (no barrier per ROI), large ROIs (contour bounding box
   * > 200 cc, e.g. the body) one at a time with their planes across threads. */
  int nth = opt && opt->nthreads > 0 ? opt->nthreads : omp_get_max_threads();
  int *large = calloc(nrois + 1, sizeof(int)), *rcs = calloc(nrois + 1, sizeof(int));
  if (!large || !rcs) {
    free(large), free(rcs);
    geom_slices_free(&own);
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
    if (!large[r]) rcs[r] = dvh_one_roi(rois[r], dose, &tg, opt, slices, thick, lo, bw, nbins, 1, &out[r]);
  for (int r = 0; r < nrois; r++)
    if (large[r]) rcs[r] = dvh_one_roi(rois[r], dose, &tg, opt, slices, thick, lo, bw, nbins, nth, &out[r]);
  int bad = -1;
  for (int r = 0; r < nrois; r++)
    if (rcs[r] && bad < 0) bad = r;
  free(large), free(rcs);
  geom_slices_free(&own);
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
