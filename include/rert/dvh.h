/* dvh.h — dose-volume histograms and DVH metrics on any dose-like map (physical dose, EQD2,
 * cumulative EQD2, uncertainty bounds: whatever rert_volume holds, in its unit, called "Gy").
 *
 * From contours (dvh_compute_rois): the ROI's shape (rert/geom.h conventions: even-odd rule,
 * half-slice end caps) is integrated directly by scanlines finer than the dose grid, with
 * trilinear dose; along a scanline the dose is piecewise linear between dose-grid planes and
 * each linear piece deposits its volume uniformly over its dose range, so the histogram is
 * exact along the scan direction. This is accurate for organs much smaller than a dose voxel
 * (docs/validation.md "DVH"). From a mask (dvh_compute_mask): each voxel's occupancy × volume
 * at the trilinear dose at the voxel centre (for masks built by booleans/margins).
 *
 * Histogram: bins of width bin_gy from lo_gy; diff_cc[b] is the volume with dose in
 * [lo + b·w, lo + (b+1)·w); cum_cc[b] the volume with dose ≥ lo + b·w (nbins + 1 entries, last 0).
 * Dmin/Dmax are EXACT for the trilinear dose over the contour-stack object (docs/dvh.md "Exact
 * Dmin and Dmax": the dose is harmonic in each cell, so its extremes are on the object's surface
 * or at grid nodes, and every candidate there is evaluated — for contour planes along a grid axis
 * and for oblique ones); Dmean is the volume integral of the scanlines. Neither is binned.
 *
 * Slabs: each contour stands for its image slice (rert/geom.h); pass the CT's slices in
 * rert_dvh_opts.slices when known, else they are inferred from all ROIs of the call.
 * Findings (degenerate, non-planar, crossing contours, gaps) are returned per ROI.
 *
 * Completeness: volume outside the dose grid is reported (outside_cc) and never silently
 * dropped: every metric evaluated on a DVH with outside_cc > 0 says so (rert_dvh_value.complete).
 */
#ifndef RERT_DVH_H
#define RERT_DVH_H

#include "rert/err.h"
#include "rert/geom.h"
#include "rert/rtdata.h"
#include "rert/volume.h"

typedef struct {
  char name[65];          /* ROI name (TG-263 if mapped) */
  int status;             /* RERT_OK, or the error of this ROI (msg says why); other fields 0 */
  char msg[256];
  double lo_gy, bin_gy;
  int nbins;
  double *diff_cc;        /* nbins */
  double *cum_cc;         /* nbins + 1 */
  double total_cc;        /* whole structure volume (inside + outside the dose grid) */
  double inside_cc;       /* part inside the dose grid: what the histogram holds */
  double outside_cc;      /* part outside the dose grid */
  double dmin_gy, dmax_gy, dmean_gy; /* over the inside part */
  double sample_mm;       /* scanline spacing used (0 for mask DVHs) */
  int extremes_exact;     /* 1: Dmin/Dmax exact over the contour stack (contour DVHs); 0: over
                             the voxel centres of a mask (dvh_compute_mask) */
  rert_roi_info geometry; /* shape facts (planes, contours used/skipped, slices, gaps) */
  rert_geom_findings findings; /* every contour finding and the rule applied (owned: dvh_free);
                                  also filled for an ROI that failed */
} rert_dvh;

typedef struct {
  double bin_gy;              /* 0 = auto: min(0.01, dose range / 5000) */
  double sample_mm;           /* scanline spacing; 0 = auto per ROI (≈2e6 samples, ≤ half voxel) */
  double slice_thickness_mm;  /* thickness of a single-plane ROI when no image slices are known;
                                 0 = dose-grid spacing along the normal */
  int nthreads;               /* 0 = OpenMP default */
  const rert_slice_geom *slices; /* image slices the contours were drawn on (the CT:
                                 geom_slices_from_image); NULL = inferred from the contour planes
                                 of all ROIs of the call (geom_slices_infer) */
} rert_dvh_opts;

/* DVHs of nrois ROIs (one pass over the dose per ROI slab, OpenMP across planes). out[r] is
 * filled for every ROI; a bad ROI gets out[r].status != RERT_OK and a message (its findings say
 * why), the others are still computed. Returns RERT_OK unless the dose itself is unusable (or out
 * of memory). Pass all ROIs of a structure set when slices are inferred: the more contour planes,
 * the better the slice lattice. */
int dvh_compute_rois(const rert_roi *const *rois, int nrois, const rert_volume *dose,
                     const rert_dvh_opts *opt, rert_dvh *out, rert_err *err);
/* DVH of a mask on any grid (the mask's outside_cc is carried over). */
int dvh_compute_mask(const rert_mask *m, const rert_volume *dose, const rert_dvh_opts *opt,
                     rert_dvh *out, rert_err *err);
void dvh_free(rert_dvh *d);

/* ---- metrics ---- */
typedef enum {
  DVH_DMAX = 0, DVH_DMIN, DVH_DMEAN, DVH_DMEDIAN,
  DVH_D_PCT,      /* Dx%: minimum dose to the hottest x % of the volume, Gy */
  DVH_D_CC,       /* Dx cc: minimum dose to the hottest x cc, Gy */
  DVH_V_GY_CC,    /* Vx Gy: volume receiving ≥ x Gy, cc */
  DVH_V_GY_PCT,   /* same, % of the structure volume */
  DVH_GEUD,       /* (Σ v_i d_i^a / V)^(1/a), Gy */
  DVH_VOLUME      /* structure volume, cc */
} rert_dvh_metric_kind;

typedef struct {
  rert_dvh_metric_kind kind;
  double param;        /* x of Dx / Vx, a of gEUD */
  char text[48];       /* canonical spelling, e.g. "D0.03cc", "V20Gy[%]", "gEUD(a=8)" */
} rert_dvh_metric;

typedef struct {
  double value;        /* NaN when undefined */
  int complete;        /* 0 when part of the structure is outside the dose grid */
  double outside_pct;  /* % of the structure volume outside the dose grid */
} rert_dvh_value;

/* Parse "Dmax", "Dmin", "Dmean", "Dmedian", "D95%", "D0.03cc", "D2cc", "V20Gy" (= %),
 * "V20Gy[%]", "V20Gy[cc]", "gEUD(a=8)" / "gEUD(8)", "Volume" (case-insensitive keywords).
 * A trailing "[Gy]" on D metrics is accepted. RERT_EINPUT with a message for anything else. */
int dvh_metric_parse(const char *s, rert_dvh_metric *m, rert_err *err);
/* Unit of the metric's value: "Gy", "cc" or "%". */
const char *dvh_metric_unit(const rert_dvh_metric *m);
/* Evaluate on a DVH. Dx cc / Dx %: the cumulative DVH is linear within a bin, so D is the
 * linear interpolation between the bin edges where V(≥D) crosses the requested volume,
 * clamped to [Dmin, Dmax]; D0.03cc of a structure smaller than 0.03 cc is undefined
 * (RERT_EINPUT). Percentages are of the whole structure volume (total_cc). On a DVH with
 * volume outside the dose grid, the value is computed on the inside part and complete = 0
 * (err explains); the status is still RERT_OK. */
int dvh_metric_eval(const rert_dvh *d, const rert_dvh_metric *m, rert_dvh_value *out,
                    rert_err *err);
/* Convenience: parse + eval. */
int dvh_metric_eval_str(const rert_dvh *d, const char *metric, rert_dvh_value *out,
                        rert_err *err);

#endif
