/* Peer check: rert's DVH against dicompyler-core (Debian python3-dicompylercore,
 * dvhcalc.get_dvh with default settings) on an analytic 30 cc sphere in a linear gradient,
 * written as RTSTRUCT/RTDOSE by rert's writers. dicompyler rasterises on the dose grid (voxel
 * centres inside the polygons), so agreement is expected within its own resolution: volume 3 %,
 * Dmean 1 %, D50% 1 % for a structure of this size (docs/validation.md "DVH"). Label: peer. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dicomio.h"
#include "rert/dvh.h"
#include "support/analytic.h"
#include "support/run.h"

Test(dvh_peer, dicompyler_sphere) {
  if (system("/usr/bin/python3 -c 'import dicompylercore' 2>/dev/null") != 0)
    cr_skip_test("python3-dicompylercore not installed");
  const char *dir = test_tmpdir();
  char rd[1100], rs[1100], cmd[4096];
  snprintf(rd, sizeof rd, "%s/RD.dcm", dir);
  snprintf(rs, sizeof rs, "%s/RS.dcm", dir);
  an_case c = {0};
  c.shape = AN_SPHERE, c.radius_mm = cbrt(3 * 30000 / (4 * M_PI)), c.slice_mm = 2.0;
  c.plane_phase = 0.5, c.nvert = 128, c.grad_axis = 0, c.grad_gy_per_mm = 0.5, c.d0_gy = 30;
  rert_rtdose d;
  memset(&d, 0, sizeof d);
  double sp[3] = {2.5, 2.5, 2.0}, off[3] = {0, 0, 0};
  cr_assert_eq(an_make_dose(&c, sp, off, &d.dose), 0);
  strcpy(d.ident.patient_id, "PEER");
  strcpy(d.ident.frame_of_reference_uid, "1.2.826.0.1.3680043.2.1125.7.2");
  d.units = DOSE_UNITS_GY;
  rert_err err;
  cr_assert_eq(io_write_rtdose(rd, &d, NULL, &err), RERT_OK, "%s", err.msg);
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  strcpy(ss.ident.patient_id, "PEER");
  strcpy(ss.ident.frame_of_reference_uid, d.ident.frame_of_reference_uid);
  ss.nrois = 1;
  ss.rois = calloc(1, sizeof(rert_roi));
  an_make_roi(&c, &ss.rois[0]);
  ss.rois[0].number = 1;
  strcpy(ss.rois[0].name, "Sphere30");
  strcpy(ss.rois[0].interpreted_type, "ORGAN");
  cr_assert_eq(io_write_rtstruct(rs, &ss, NULL, NULL, &err), RERT_OK, "%s", err.msg);

  const rert_roi *rois[1] = {&ss.rois[0]};
  rert_dvh dv;
  cr_assert_eq(dvh_compute_rois(rois, 1, &d.dose, NULL, &dv, &err), RERT_OK);
  rert_dvh_value med;
  dvh_metric_eval_str(&dv, "Dmedian", &med, &err);

  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c \"import pydicom; from dicompylercore import dvhcalc; "
           "d = dvhcalc.get_dvh(pydicom.dcmread('%s'), pydicom.dcmread('%s'), 1); "
           "print(d.volume, d.mean, d.statistic('D50').value)\" 2>/dev/null", rs, rd);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  double vol = NAN, mean = NAN, d50 = NAN;
  int n = fscanf(p, "%lf %lf %lf", &vol, &mean, &d50);
  pclose(p);
  cr_assert_eq(n, 3, "dicompyler-core output not parsed");
  cr_assert(fabs(dv.total_cc - vol) < 0.03 * vol, "volume rert %g dicompyler %g", dv.total_cc, vol);
  cr_assert(fabs(dv.dmean_gy - mean) < 0.01 * mean, "Dmean rert %g dicompyler %g", dv.dmean_gy, mean);
  cr_assert(fabs(med.value - d50) < 0.01 * d50, "D50 rert %g dicompyler %g", med.value, d50);
  dvh_free(&dv);
  rtdata_free_structure_set(&ss);
  volume_free(&d.dose);
}
