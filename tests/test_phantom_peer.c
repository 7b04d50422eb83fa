/* test_phantom_peer.c — the small synthetic patient read by pydicom (Debian python3-pydicom),
 * a reader independent of DCMTK and of rert: dose, contours, plan, deformation grid and CT must
 * decode to the closed-form values of docs/phantom.md. Label "peer"; skipped without pydicom. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rert/phantom.h"

#define MAXL 64
static char lines[MAXL][256];
static int nlines;

static const char *get(const char *key) {
  size_t n = strlen(key);
  for (int i = 0; i < nlines; i++)
    if (strncmp(lines[i], key, n) == 0 && lines[i][n] == ' ') return lines[i] + n + 1;
  cr_assert_fail("pydicom output has no '%s'", key);
  return NULL;
}

static void nums(const char *key, double *v, int n) {
  const char *s = get(key);
  char *end;
  for (int i = 0; i < n; i++) {
    v[i] = strtod(s, &end);
    cr_assert_neq(end, s, "%s: expected %d numbers", key, n);
    s = end;
  }
}

Test(phantom_peer, pydicom_reads_closed_form_values) {
  if (system("/usr/bin/python3 -c 'import pydicom, numpy' >/dev/null 2>&1") != 0)
    cr_skip_test("python3-pydicom not installed");
  char dir[256], cmd[1024];
  snprintf(dir, sizeof dir, "/tmp/rert_phantom_peer_%d", (int)getpid());
  rert_phantom_model m;
  rert_err e;
  cr_assert_eq(phantom_model_init(&m, 1, PHANTOM_SMALL, 2, &e), RERT_OK);
  cr_assert_eq(phantom_write(&m, dir, &e), RERT_OK, "%s", e.msg);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 -W ignore %s/tests/phantom_peer.py %s", RERT_SOURCE_DIR,
           dir);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  while (nlines < MAXL && fgets(lines[nlines], sizeof lines[0], p)) {
    lines[nlines][strcspn(lines[nlines], "\n")] = 0;
    nlines++;
  }
  cr_assert_eq(pclose(p), 0, "pydicom script failed");
  double v[3];
  /* dose grid (docs/phantom.md): 75 × 54 × 66 from (−148, −112, −132), GY PHYSICAL PLAN */
  nums("dose_dims", v, 3);
  cr_assert(v[0] == 75 && v[1] == 54 && v[2] == 66);
  nums("dose_ipp", v, 3);
  cr_assert_float_eq(v[0], -148, 1e-6);
  cr_assert_float_eq(v[2], -132, 1e-6);
  cr_assert_str_eq(get("dose_units"), "GY PHYSICAL PLAN");
  nums("dose_max", v, 1);
  cr_assert_float_eq(v[0], 70.0, 1e-3); /* prescription */
  nums("dose_min", v, 1);
  cr_assert_float_eq(v[0], 0.0, 1e-9); /* outside the body */
  /* voxel (32, 21, 32) = (−20, −28, −4): 1 mm from the PTV_1 centre, d ≈ −25 mm: erfc(−5.6) = 2
   * to 1e-14, bath term 1 → exactly the prescription */
  nums("dose_at_32_21_32", v, 1);
  cr_assert_float_eq(v[0], 70.0, 1e-4);
  /* contour volumes (shoelace × 3 mm) vs 4/3·π·a·b·c within the 3 % slice-sampling tolerance */
  const char *s = get("volume_cc Parotid_L");
  cr_assert_float_eq(atof(s), 4.0 / 3.0 * M_PI * 11 * 20 * 22 / 1000, 0.03 * 20.27);
  s = get("volume_cc PTV_1");
  cr_assert_float_eq(atof(s), 4.0 / 3.0 * M_PI * 28 * 26 * 30 / 1000, 0.03 * 91.48);
  nums("fractions", v, 1);
  cr_assert_eq((int)v[0], 35);
  nums("rx_gy", v, 1);
  cr_assert_float_eq(v[0], 70.0, 1e-9);
  /* deformation grid: 51 × 39 × 45 at 6 mm; vectors = T(x) − x written out by hand */
  nums("field_dims", v, 3);
  cr_assert(v[0] == 51 && v[1] == 39 && v[2] == 45);
  double ipp[3], res[3];
  nums("field_ipp", ipp, 3);
  nums("field_res", res, 3);
  const rert_phantom_course *k = &m.course[1];
  int pts[2][3] = {{24, 19, 22}, {10, 30, 5}};
  const char *keys[2] = {"field_u_24_19_22", "field_u_10_30_5"};
  for (int t = 0; t < 2; t++) {
    double x[3], u[3], got[3];
    for (int a = 0; a < 3; a++) x[a] = ipp[a] + pts[t][a] * res[a];
    u[0] = (k->scale_xy - 1) * (x[0] - k->scale_centre[0]);
    u[1] = (k->scale_xy - 1) * (x[1] - k->scale_centre[1]);
    u[2] = 0;
    for (int b = 0; b < k->nbumps; b++) {
      double r2 = 0;
      for (int a = 0; a < 3; a++) r2 += pow(x[a] - k->bump_centre[b][a], 2);
      for (int a = 0; a < 3; a++)
        u[a] += k->bump_amp_mm[b][a] * exp(-r2 / (2 * pow(k->bump_sigma_mm[b], 2)));
    }
    nums(keys[t], got, 3);
    for (int a = 0; a < 3; a++) cr_assert_float_eq(got[a], u[a], 1e-4, "%s[%d]", keys[t], a);
  }
  nums("ct_slices", v, 1);
  cr_assert_eq((int)v[0], 90);
  nums("ct_corner_hu", v, 1);
  cr_assert_float_eq(v[0], -1000, 1e-9); /* air */
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)!system(cmd);
}
