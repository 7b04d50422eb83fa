/* test_dvh_real.c — a real RTSTRUCT (dicompyler-core's example breast export, BSD licence,
 * tests/data/real/dicompyler-core/README.md): 8 ROIs, holes in the lung, a 2-plane ROI, an empty
 * ROI, contours of 4 to 300 points on a 3 mm CT.
 *
 * Volumes: through the binary, against an independent even-odd area × 3 mm computation in
 * Python (pydicom + numpy, tests/data/real/dicompyler-core/evenodd_volumes.py), within 1e-6 cc.
 * The slices are inferred from the contour planes (3 mm lattice); the empty ROI is reported.
 * Extremes: Dmin/Dmax of real-shaped contours in a random trilinear dose against the
 * brute-force sampler of tests/support/brute.c (never beyond rert's values; attained within
 * 1e-4 Gy).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dicomio.h"
#include "rert/dvh.h"
#include "support/brute.h"
#include "support/run.h"

#define SLICE_MM 3.0

static char rs[1200];

static void paths(void) {
  snprintf(rs, sizeof rs, "%s/tests/data/real/dicompyler-core/rtss_breast.dcm", RERT_SOURCE_DIR);
}

/* a dose grid around the given ROIs: smooth field (kind 0) or random nodes in [20, 60] (kind 1) */
static void make_dose(const rert_roi *const *rois, int n, double sp, int kind, unsigned seed,
                      rert_volume *dose) {
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int r = 0; r < n; r++)
    for (int c = 0; c < rois[r]->ncontours; c++)
      for (int i = 0; i < rois[r]->contours[c].npoints; i++)
        for (int a = 0; a < 3; a++) {
          lo[a] = fmin(lo[a], rois[r]->contours[c].xyz_mm[3 * i + a]);
          hi[a] = fmax(hi[a], rois[r]->contours[c].xyz_mm[3 * i + a]);
        }
  memset(dose, 0, sizeof *dose);
  int nn[3];
  for (int a = 0; a < 3; a++) {
    dose->spacing_mm[a] = sp;
    dose->origin_mm[a] = lo[a] - 2 * sp - 0.37 * sp;
    nn[a] = (int)ceil((hi[a] - lo[a]) / sp) + 5;
  }
  dose->nx = nn[0], dose->ny = nn[1], dose->nz = nn[2];
  volume_set_identity_dir(dose);
  rert_err err;
  cr_assert_eq(volume_alloc(dose, &err), RERT_OK);
  unsigned s = seed;
  for (int k = 0; k < nn[2]; k++)
    for (int j = 0; j < nn[1]; j++)
      for (int i = 0; i < nn[0]; i++) {
        double x = dose->origin_mm[0] + i * sp, y = dose->origin_mm[1] + j * sp, z = dose->origin_mm[2] + k * sp;
        double v;
        if (kind == 0) v = 40 + 0.2 * x - 0.15 * y + 0.1 * z + 10 * sin(0.05 * x) * cos(0.07 * y);
        else {
          s = s * 1103515245u + 12345u;
          v = 20 + 40 * (((s >> 8) & 0xFFFFFF) / (double)0x1000000);
        }
        dose->data[i + (size_t)nn[0] * (j + (size_t)nn[1] * k)] = (float)fmax(0, v);
      }
}

Test(dvh_real, volumes_against_independent_evenodd) {
  paths();
  if (system("/usr/bin/python3 -c 'import pydicom, numpy' 2>/dev/null") != 0)
    cr_skip_test("pydicom/numpy not installed");
  rert_structure_set ss;
  rert_err err;
  cr_assert_eq(io_read_rtstruct(rs, &ss, &err), RERT_OK, "%s", err.msg);
  const rert_roi **all = calloc(ss.nrois, sizeof *all);
  for (int r = 0; r < ss.nrois; r++) all[r] = &ss.rois[r];
  rert_rtdose d;
  memset(&d, 0, sizeof d);
  make_dose(all, ss.nrois, 5.0, 0, 1, &d.dose);
  free(all);
  snprintf(d.ident.patient_id, sizeof d.ident.patient_id, "%s", ss.ident.patient_id);
  snprintf(d.ident.frame_of_reference_uid, RERT_UID_LEN, "%s", ss.ident.frame_of_reference_uid);
  strcpy(d.ident.modality, "RTDOSE");
  d.units = DOSE_UNITS_GY;
  char rd[1200], args[4096];
  snprintf(rd, sizeof rd, "%s/RD.dcm", test_tmpdir());
  cr_assert_eq(io_write_rtdose(rd, &d, NULL, &err), RERT_OK, "%s", err.msg);
  volume_free(&d.dose);
  rtdata_free_structure_set(&ss);

  snprintf(args, sizeof args, "dvh --dose %s --struct %s --metric Volume --ignore-frame", rd, rs);
  cJSON *j;
  cr_assert_eq(run_rert_json(args, &j), 0);
  cr_assert_str_eq(json_path_str(j, "slices.source"), "inferred (contour-plane lattice)");
  cr_assert_float_eq(json_path_num(j, "slices.spacing_mm"), SLICE_MM, 1e-6);
  char cmd[2600];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/data/real/dicompyler-core/evenodd_volumes.py %s %g",
           RERT_SOURCE_DIR, rs, SLICE_MM);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, p)) {
    char *tab = strchr(line, '\t');
    cr_assert_not_null(tab);
    *tab = 0;
    double v = atof(tab + 1);
    const cJSON *roi = NULL, *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "rois"))
      if (!strcmp(cJSON_GetObjectItem(it, "name")->valuestring, line)) roi = it;
    cr_assert_not_null(roi, "%s", line);
    double got = json_path_num(roi, "volume_cc");
    cr_expect(fabs(got - v) < 1e-6, "%s: rert %.9f, independent %.9f cc", line, got, v);
    cr_expect_str_eq(json_path_str(roi, "geometry.slices"), "inferred (contour-plane lattice)");
    n++;
  }
  pclose(p);
  cr_assert_eq(n, 7);
  /* the empty ROI: an error with its finding, not dropped */
  const cJSON *it, *areola = NULL;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "rois"))
    if (!strcmp(cJSON_GetObjectItem(it, "name")->valuestring, "Areola")) areola = it;
  cr_assert_not_null(areola);
  cr_assert(strstr(json_path_str(areola, "error"), "no contours"));
  cr_assert_str_eq(json_path_str(areola, "findings.0.problem"), "no contours");
  cr_assert_str_eq(json_path_str(areola, "findings.0.rule"), "ROI not computed");
  cJSON_Delete(j);
}

/* Real outlines as brute-force slabs: every contour plane is a 3 mm CT slice, [z − 1.5, z + 1.5]. */
static int to_planes(const rert_roi *r, bf_plane **out) {
  bf_plane *P = calloc(r->ncontours, sizeof *P);
  double *zs = calloc(r->ncontours, sizeof *zs);
  int np = 0;
  for (int c = 0; c < r->ncontours; c++) {
    const rert_contour *ct = &r->contours[c];
    double z = ct->xyz_mm[2];
    int q = -1;
    for (int k = 0; k < np; k++)
      if (fabs(zs[k] - z) < 0.05) q = k;
    if (q < 0) {
      q = np++;
      zs[q] = z;
      P[q].zlo = z - SLICE_MM / 2, P[q].zhi = z + SLICE_MM / 2;
      P[q].poly = calloc(r->ncontours, sizeof(bf_poly));
    }
    bf_poly *pp = &P[q].poly[P[q].npoly++];
    pp->np = ct->npoints;
    pp->xy = malloc(2 * sizeof(double) * ct->npoints);
    for (int i = 0; i < ct->npoints; i++) pp->xy[2 * i] = ct->xyz_mm[3 * i], pp->xy[2 * i + 1] = ct->xyz_mm[3 * i + 1];
  }
  free(zs);
  *out = P;
  return np;
}

static void free_planes(bf_plane *P, int np) {
  for (int q = 0; q < np; q++) {
    for (int p = 0; p < P[q].npoly; p++) free(P[q].poly[p].xy);
    free(P[q].poly);
  }
  free(P);
}

/* the lung's planes that hold holes (contours inside others), as one ROI */
static void lung_holes(const rert_roi *lung, rert_roi *out, int maxplanes) {
  memset(out, 0, sizeof *out);
  strcpy(out->name, "LungHoles");
  out->contours = calloc(lung->ncontours, sizeof(rert_contour));
  int taken = 0;
  for (int c = 0; c < lung->ncontours && taken < maxplanes; c++) {
    double z = lung->contours[c].xyz_mm[2];
    int n = 0, seen = 0;
    for (int d = 0; d < lung->ncontours; d++)
      if (fabs(lung->contours[d].xyz_mm[2] - z) < 0.05) {
        n++;
        if (d < c) seen = 1;
      }
    if (n < 3 || seen) continue;
    for (int d = 0; d < lung->ncontours; d++)
      if (fabs(lung->contours[d].xyz_mm[2] - z) < 0.05) out->contours[out->ncontours++] = lung->contours[d];
    taken++;
  }
}

static void check_roi(const rert_roi *r, const rert_slice_geom *sl, int kind, unsigned seed, double step) {
  const rert_roi *rois[1] = {r};
  rert_volume dose;
  make_dose(rois, 1, 3.0, kind, seed, &dose);
  rert_dvh_opts o;
  memset(&o, 0, sizeof o);
  o.slices = sl;
  rert_dvh d;
  rert_err err;
  cr_assert_eq(dvh_compute_rois(rois, 1, &dose, &o, &d, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(d.status, RERT_OK, "%s: %s", r->name, d.msg);
  cr_assert_eq(d.extremes_exact, 1);
  bf_plane *P;
  int np = to_planes(r, &P);
  bf_grid g;
  memset(&g, 0, sizeof g);
  g.n[0] = dose.nx, g.n[1] = dose.ny, g.n[2] = dose.nz;
  for (int a = 0; a < 3; a++) g.o[a] = dose.origin_mm[a], g.sp[a] = dose.spacing_mm[a];
  g.d = dose.data;
  double bmax = bf_extreme(&g, P, np, +1, step), bmin = bf_extreme(&g, P, np, -1, step);
  printf("%-12s kind %d: Dmax rert %.6f brute %.6f | Dmin rert %.6f brute %.6f\n", r->name, kind,
         d.dmax_gy, bmax, d.dmin_gy, bmin);
  cr_expect(bmax <= d.dmax_gy + 1e-6, "%s: a sample exceeds Dmax: %.6f > %.6f", r->name, bmax, d.dmax_gy);
  cr_expect(bmin >= d.dmin_gy - 1e-6, "%s: a sample is below Dmin: %.6f < %.6f", r->name, bmin, d.dmin_gy);
  cr_expect(d.dmax_gy - bmax <= 1e-4, "%s: Dmax %.6f not attained (brute %.6f)", r->name, d.dmax_gy, bmax);
  cr_expect(bmin - d.dmin_gy <= 1e-4, "%s: Dmin %.6f not attained (brute %.6f)", r->name, d.dmin_gy, bmin);
  free_planes(P, np);
  dvh_free(&d);
  volume_free(&dose);
}

Test(dvh_real, exact_extremes_on_real_contours) {
  paths();
  rert_structure_set ss;
  rert_err err;
  cr_assert_eq(io_read_rtstruct(rs, &ss, &err), RERT_OK, "%s", err.msg);
  const rert_roi **all = calloc(ss.nrois, sizeof *all);
  for (int r = 0; r < ss.nrois; r++) all[r] = &ss.rois[r];
  rert_slice_geom sl;
  cr_assert_eq(geom_slices_infer(all, ss.nrois, &sl, &err), RERT_OK);
  cr_assert_eq(sl.source, GEOM_SLICES_LATTICE);
  free(all);
  const char *names[] = {"Tumor Bed", "Nodes", "Scar", "Borders"};
#ifdef __SANITIZE_ADDRESS__
  const int nroi = 1; /* the sanitizer build checks memory, not numbers: one ROI */
#else
  const int nroi = 4;
#endif
  for (int i = 0; i < nroi; i++) {
    const rert_roi *r = rtdata_find_roi(&ss, names[i]);
    cr_assert_not_null(r, "%s", names[i]);
    for (int kind = 0; kind < 2; kind++) check_roi(r, &sl, kind, 100 + i, 0.4);
  }
  rert_roi holes;
  lung_holes(rtdata_find_roi(&ss, "Lt Lung"), &holes, 3);
  cr_assert(holes.ncontours >= 9, "%d", holes.ncontours);
  check_roi(&holes, &sl, 1, 7, 0.6);
  free(holes.contours); /* the contours belong to the lung */
  geom_slices_free(&sl);
  rtdata_free_structure_set(&ss);
}
