/* fuzz_geom.c — libFuzzer target for the contour geometry and the DVH engine (src/geom,
 * src/dvh): bytes become an ROI (contours of any type, point count and coordinates, including
 * NaN, huge values, repeated points, crossings, tilts) and optionally image slices, on a small
 * dose grid that may be rotated. Checks: no crash, no leak, and the invariants of rert/dvh.h
 * (finite volume ≥ 0; Dmin ≤ Dmean ≤ Dmax when computed; findings counts consistent). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dvh.h"

typedef struct {
  const uint8_t *p;
  size_t n, i;
} rd;

static int byte(rd *r) { return r->i < r->n ? r->p[r->i++] : 0; }
static double coord(rd *r) {
  int k = byte(r);
  if (k == 255) return NAN;
  if (k == 254) return 1e12;
  int v = (int)(int8_t)byte(r);
  return k % 64 + v * 0.37; /* a few coarse positions and fine offsets: coincidences happen */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rd r = {data, size, 0};
  rert_roi roi;
  memset(&roi, 0, sizeof roi);
  strcpy(roi.name, "Fuzz");
  int nc = byte(&r) % 12;
  roi.ncontours = nc;
  roi.contours = calloc(nc ? nc : 1, sizeof(rert_contour));
  for (int c = 0; c < nc; c++) {
    rert_contour *ct = &roi.contours[c];
    int t = byte(&r);
    ct->type = t < 200 ? CONTOUR_CLOSED_PLANAR : (rert_contour_type)(t % 4);
    int np = byte(&r) % 24;
    double z = (byte(&r) % 16) * 1.5, tilt = (byte(&r) % 8 == 0) ? 0.3 : 0;
    ct->npoints = np;
    ct->xyz_mm = malloc(sizeof(double) * 3 * (np ? np : 1));
    for (int i = 0; i < np; i++) {
      ct->xyz_mm[3 * i] = coord(&r);
      ct->xyz_mm[3 * i + 1] = coord(&r);
      ct->xyz_mm[3 * i + 2] = z + tilt * ct->xyz_mm[3 * i] + (byte(&r) == 7 ? 2.0 : 0);
    }
  }
  rert_volume dose;
  memset(&dose, 0, sizeof dose);
  dose.nx = 8 + byte(&r) % 8, dose.ny = 8, dose.nz = 1 + byte(&r) % 10;
  for (int a = 0; a < 3; a++) dose.spacing_mm[a] = 2 + (byte(&r) % 4) * 0.5;
  dose.origin_mm[0] = dose.origin_mm[1] = -2, dose.origin_mm[2] = -1;
  volume_set_identity_dir(&dose);
  if (byte(&r) % 3 == 0) {
    double th = 0.3;
    double R[9] = {cos(th), sin(th), 0, -sin(th) * cos(0.2), cos(th) * cos(0.2), sin(0.2), 0, 0, 0};
    R[6] = R[1] * R[5] - R[2] * R[4], R[7] = R[2] * R[3] - R[0] * R[5], R[8] = R[0] * R[4] - R[1] * R[3];
    memcpy(dose.dir, R, sizeof R);
  }
  rert_err err;
  if (volume_alloc(&dose, &err) == RERT_OK) {
    for (size_t v = 0; v < volume_count(&dose); v++) dose.data[v] = (float)(byte(&r) % 61);
    rert_slice_geom sl;
    memset(&sl, 0, sizeof sl);
    const rert_roi *rois[1] = {&roi};
    int use_slices = byte(&r) % 2 && geom_slices_infer(rois, 1, &sl, &err) == RERT_OK;
    rert_dvh_opts o;
    memset(&o, 0, sizeof o);
    o.slices = use_slices ? &sl : NULL;
    o.sample_mm = 0.25;
    rert_dvh d;
    if (dvh_compute_rois(rois, 1, &dose, &o, &d, &err) == RERT_OK) {
      if (d.status == RERT_OK) {
        if (!(d.total_cc >= 0) || !isfinite(d.total_cc)) abort();
        if (d.inside_cc > 0 && !(d.dmin_gy <= d.dmax_gy)) abort();
        if (d.inside_cc > 0 && !(d.dmean_gy >= d.dmin_gy - 1e-6 && d.dmean_gy <= d.dmax_gy + 1e-6)) abort();
      }
      int w = 0, e = 0;
      for (int i = 0; i < d.findings.n; i++) {
        w += d.findings.items[i].severity == GEOM_SEV_WARNING;
        e += d.findings.items[i].severity == GEOM_SEV_ERROR;
        if (d.findings.items[i].contour < -1 || d.findings.items[i].contour >= nc) abort();
      }
      if (w != d.findings.nwarnings || e != d.findings.nerrors) abort();
      dvh_free(&d);
    }
    rert_roi_info info;
    rert_geom_findings f;
    memset(&f, 0, sizeof f);
    rert_geom_opts go = {1.0, use_slices ? &sl : NULL};
    (void)geom_roi_info_ex(&roi, &go, &info, &f, &err);
    geom_findings_free(&f);
    geom_slices_free(&sl);
    volume_free(&dose);
  }
  for (int c = 0; c < nc; c++) free(roi.contours[c].xyz_mm);
  free(roi.contours);
  return 0;
}
