/* test_register_cli.c — `rert register`, `rert warp`, `rert regqa` end to end on tiny files.
 * Independent expected values: a constant-translation field applied to a linear ramp (closed
 * form), the min/max of a ramp over a ball (ramp ± slope·radius), landmark TRE of a known
 * offset (hand calculation), exit codes from the CLI contract (2 = bad input). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rert/imageio.h"
#include "rert/register.h"
#include "support/reg_synth.h"

static char dir[256];
static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/rert_regcli_%d", (int)getpid());
  char cmd[300];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
  cr_assert(system(cmd) == 0);
}
static void teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)!system(cmd);
}
TestSuite(cli, .init = setup, .fini = teardown, .timeout = 300);

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char args[3000], cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "cd %s && %s %s > out.txt 2> err.txt", dir, RERT_BIN, args);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_ramp_and_shift(void) {
  rert_volume v = synth_grid(20, 18, 12, 2, 2, 3);
  for (int k = 0; k < v.nz; k++)
    for (int j = 0; j < v.ny; j++)
      for (int i = 0; i < v.nx; i++) {
        double ijk[3] = {i, j, k}, x[3];
        volume_index_to_world(&v, ijk, x);
        v.data[i + v.nx * (j + v.ny * k)] = (float)(40 + 2 * x[0] + x[2]); /* Gy-like ramp */
      }
  rert_vfield u;
  rert_err e;
  cr_assert(reg_vfield_alloc_like(&u, &v, &e) == RERT_OK);
  for (size_t q = 0; q < reg_vfield_count(&u); q++) u.u_mm[3 * q] = 1.5f, u.u_mm[3 * q + 2] = -1.0f;
  char p[512];
  snprintf(p, sizeof p, "%s/ramp.mha", dir);
  cr_assert(imageio_write_volume(p, &v, &e) == RERT_OK);
  snprintf(p, sizeof p, "%s/u.nii.gz", dir);
  cr_assert(imageio_write_vfield(p, &u, &e) == RERT_OK);
  volume_free(&v), rtdata_free_vfield(&u);
}

/* A dose peak between the output nodes: a single 60 Gy node (trilinear: a tent of half-width one
 * voxel) and a constant field u = (1, 1, 1) mm on 2 mm voxels, so every output node reads the
 * moving dose half a voxel off in each axis and the warped maximum is 60 · 0.5³ = 7.5 Gy (hand
 * calculation). With a 2 mm uncertainty the peak node is √3 = 1.73 mm from x + u(x) for the output
 * node just below it: the true dose there may be 60 Gy, so the upper bound must be 60. Filtering
 * the warped map instead (the consult before this fix) gave 7.5. */
Test(cli, warp_bound_reaches_a_peak_between_output_nodes) {
  rert_volume v = synth_grid(12, 12, 12, 2, 2, 2);
  memset(v.data, 0, volume_count(&v) * sizeof(float));
  const int c = 6;
  v.data[c + v.nx * (c + v.ny * c)] = 60.0f;
  rert_vfield u;
  rert_err e;
  cr_assert(reg_vfield_alloc_like(&u, &v, &e) == RERT_OK);
  for (size_t q = 0; q < reg_vfield_count(&u); q++) u.u_mm[3 * q] = u.u_mm[3 * q + 1] = u.u_mm[3 * q + 2] = 1.0f;
  char p[512];
  snprintf(p, sizeof p, "%s/peak.mha", dir);
  cr_assert(imageio_write_volume(p, &v, &e) == RERT_OK);
  snprintf(p, sizeof p, "%s/u1.mha", dir);
  cr_assert(imageio_write_vfield(p, &u, &e) == RERT_OK);
  cr_assert_eq(run("warp --moving peak.mha --field u1.mha --out w.mha --radius-mm 2 --lower lo.mha --upper hi.mha"), 0);
  rert_volume w, hi;
  snprintf(p, sizeof p, "%s/w.mha", dir);
  cr_assert(imageio_read_volume(p, &w, &e) == RERT_OK, "%s", e.msg);
  snprintf(p, sizeof p, "%s/hi.mha", dir);
  cr_assert(imageio_read_volume(p, &hi, &e) == RERT_OK, "%s", e.msg);
  size_t q = (c - 1) + w.nx * ((c - 1) + w.ny * (c - 1)); /* x + u(x) is (0.5, 0.5, 0.5) voxel below the peak */
  float mx, mn;
  volume_minmax(&w, &mn, &mx);
  cr_assert_float_eq(mx, 7.5, 1e-4);
  cr_assert_float_eq(w.data[q], 7.5, 1e-4);
  cr_assert_float_eq(hi.data[q], 60.0, 1e-4);
  volume_free(&v), volume_free(&w), volume_free(&hi);
  rtdata_free_vfield(&u);
}

Test(cli, warp_ramp_and_bounds) {
  write_ramp_and_shift();
  cr_assert_eq(run("warp --moving ramp.mha --field u.nii.gz --out w.mha --radius-mm 2 --lower lo.mha --upper hi.mha"), 0);
  char p[512];
  rert_volume w, lo, hi;
  rert_err e;
  snprintf(p, sizeof p, "%s/w.mha", dir);
  cr_assert(imageio_read_volume(p, &w, &e) == RERT_OK, "%s", e.msg);
  snprintf(p, sizeof p, "%s/lo.mha", dir);
  cr_assert(imageio_read_volume(p, &lo, &e) == RERT_OK);
  snprintf(p, sizeof p, "%s/hi.mha", dir);
  cr_assert(imageio_read_volume(p, &hi, &e) == RERT_OK);
  /* interior voxel: warped = 40 + 2(x + 1.5) + (z − 1), gradient (2, 0, 1) Gy/mm, so the true
   * extremes over a 2 mm ball are ± 2·√5 = ± 4.4721 Gy. The bound reads the ramp's nodes inside the
   * ball around x + u(x) (at most that) and its surface along 26 directions at 2 / 0.886 mm; the
   * largest is along (±1, 0, ±1)/√2: 2 / 0.886 · (2 + 1)/√2 = 4.7886 Gy — above the true 4.4721
   * (the surface at exactly 2 mm gave 4.2426, an under-estimate) */
  int i = 8, j = 9, k = 6;
  size_t q = i + 20 * (j + 18 * k);
  double ijk[3] = {i, j, k}, x[3];
  volume_index_to_world(&w, ijk, x);
  double want = 40 + 2 * (x[0] + 1.5) + (x[2] - 1.0);
  cr_assert_float_eq(w.data[q], want, 1e-3);
  cr_assert_float_eq(lo.data[q], want - 2 / 0.886 * 3 / sqrt(2.0), 1e-3);
  cr_assert_float_eq(hi.data[q], want + 2 / 0.886 * 3 / sqrt(2.0), 1e-3);
  cr_assert_geq(hi.data[q] - want, 2 * sqrt(5.0) - 1e-4, "upper bound below the true maximum over the ball");
  volume_free(&w), volume_free(&lo), volume_free(&hi);
}

Test(cli, regqa_landmarks_json_and_verdict) {
  write_ramp_and_shift();
  FILE *f;
  char p[512];
  snprintf(p, sizeof p, "%s/lm.csv", dir);
  f = fopen(p, "w");
  /* moving = fixed + (1.5, 0, −1) exactly for A; B is off by (0, 3, 4) → TRE 5 */
  fprintf(f, "name,xf,yf,zf,xm,ym,zm\nA,0,0,0,1.5,0,-1\nB,2,2,3,3.5,5,6\n");
  fclose(f);
  cr_assert_eq(run("regqa --field u.nii.gz --landmarks lm.csv --json"), 0);
  snprintf(p, sizeof p, "%s/out.txt", dir);
  f = fopen(p, "r");
  char buf[8192] = {0};
  fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  cr_assert(strstr(buf, "\"mean_mm\":\t2.5") || strstr(buf, "\"mean_mm\": 2.5"), "%s", buf);
  cr_assert(strstr(buf, "\"folded_voxels\":\t0") || strstr(buf, "\"folded_voxels\": 0"), "%s", buf);
  /* a constant field never folds: the verdict passes even at 0 % */
  cr_assert_eq(run("regqa --field u.nii.gz --max-folded-pct 0"), 0);
}

Test(cli, register_small_pair_and_bad_inputs) {
  rert_volume F = synth_grid(40, 46, 30, 4, 4, 5), M = synth_grid(40, 46, 30, 4, 4, 5);
  synth_motion mo = {{0, 0, 3}, {4, -3, 2}, 3.0};
  rert_vfield t;
  synth_pair(&mo, &F, &M, &t);
  char p[512];
  rert_err e;
  snprintf(p, sizeof p, "%s/f.mha", dir);
  cr_assert(imageio_write_volume(p, &F, &e) == RERT_OK);
  snprintf(p, sizeof p, "%s/m.nii", dir);
  cr_assert(imageio_write_volume(p, &M, &e) == RERT_OK);
  snprintf(p, sizeof p, "%s/t.mha", dir);
  cr_assert(imageio_write_vfield(p, &t, &e) == RERT_OK);
  cr_assert_eq(run("register --fixed f.mha --moving m.nii --out u.mha --levels 2 --iterations 30,10 --grid-mm 4 --quiet"), 0);
  snprintf(p, sizeof p, "%s/u_qa.json", dir);
  cr_assert(access(p, F_OK) == 0);
  snprintf(p, sizeof p, "%s/u_warped.mha", dir);
  cr_assert(access(p, F_OK) == 0);
  rert_vfield u;
  snprintf(p, sizeof p, "%s/u.mha", dir);
  cr_assert(imageio_read_vfield(p, &u, &e) == RERT_OK);
  rert_volume body = synth_body_mask(&F);
  reg_vector_error ve, v0;
  rert_vfield z;
  cr_assert(reg_vfield_alloc_like(&z, &F, &e) == RERT_OK);
  cr_assert(reg_vfield_error(&u, &t, &body, &ve, &e) == RERT_OK);
  cr_assert(reg_vfield_error(&z, &t, &body, &v0, &e) == RERT_OK);
  cr_assert_lt(ve.mean_mm, 0.35 * v0.mean_mm, "%.2f vs identity %.2f mm", ve.mean_mm, v0.mean_mm);
  /* --truth in regqa reports the same number as the library */
  cr_assert_eq(run("regqa --field u.mha --truth t.mha"), 0);
  /* bad inputs: exit 2, no output written */
  cr_assert_eq(run("register --fixed nope.mha --moving m.nii --out v.mha --quiet"), 2);
  snprintf(p, sizeof p, "%s/v.mha", dir);
  cr_assert(access(p, F_OK) != 0);
  cr_assert_eq(run("register --fixed f.mha --moving m.nii --out v.png --quiet"), 2);
  cr_assert_eq(run("warp --moving f.mha --field f.mha --out w.mha"), 2); /* scalar file as field */
  cr_assert_eq(run("warp --moving f.mha --field u.mha --out w.mha --lower a.mha"), 2);
  volume_free(&F), volume_free(&M), volume_free(&body);
  rtdata_free_vfield(&t), rtdata_free_vfield(&u), rtdata_free_vfield(&z);
}

Test(cli, dicom_registration_and_rtstruct_masks) {
  /* The phantom writes the same analytic course-1 → course-2 field twice: as a MetaImage and as a
   * DICOM Deformable Spatial Registration. Importing the DICOM object (pull-back, identity
   * pre/post) must reproduce the MetaImage field exactly (vector error 0), and ROI masks taken
   * from the RTSTRUCT must be non-empty. */
  cr_assert_eq(run("phantom --out ph --size small"), 0);
  cr_assert_eq(run("regqa --field ph/registration/REG_course1_to_course2.dcm --truth "
                   "ph/registration/field_course1_to_course2.mha --mask ph/course2/RS_course2.dcm:External "
                   "--roi Parotid_L=ph/course2/RS_course2.dcm:Parotid_L --json"),
               0);
  char p[512], buf[16384] = {0};
  snprintf(p, sizeof p, "%s/out.txt", dir);
  FILE *f = fopen(p, "r");
  fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  cJSON *o = cJSON_Parse(buf);
  cr_assert(o, "%s", buf);
  cJSON *ve = cJSON_GetObjectItem(o, "vector_error");
  cr_assert(ve);
  cr_assert_float_eq(cJSON_GetObjectItem(ve, "max_mm")->valuedouble, 0, 1e-4);
  cr_assert_gt(cJSON_GetObjectItem(ve, "points")->valuedouble, 1000);
  cJSON *rois = cJSON_GetObjectItem(o, "rois");
  cr_assert_gt(cJSON_GetObjectItem(cJSON_GetArrayItem(rois, 0), "voxels")->valuedouble, 10);
  cJSON_Delete(o);
  /* dose mapping straight from DICOM: RTDOSE + REG onto the course-2 dose grid */
  cr_assert_eq(run("warp --moving ph/course1/RD_course1.dcm --field ph/registration/REG_course1_to_course2.dcm "
                   "--like ph/course2/RD_course2.dcm --out d.mha"),
               0);
  /* a rigid-looking request without a grid is refused */
  cr_assert_eq(run("regqa --field ph/course2/RD_course2.dcm"), 2);
}

Test(cli, local_radius_from_inverse_consistency) {
  /* reverse field w = −u + (0, 2, 0): ICE |u + w(x + u)| = 2 mm everywhere, so the locally
   * estimated bounds must equal the fixed-radius 2 mm bounds */
  write_ramp_and_shift();
  rert_vfield w;
  rert_err e;
  char p[512];
  snprintf(p, sizeof p, "%s/u.nii.gz", dir);
  cr_assert(imageio_read_vfield(p, &w, &e) == RERT_OK);
  for (size_t q = 0; q < reg_vfield_count(&w); q++)
    w.u_mm[3 * q] = -1.5f, w.u_mm[3 * q + 1] = 2.0f, w.u_mm[3 * q + 2] = 1.0f;
  snprintf(p, sizeof p, "%s/w.mha", dir);
  cr_assert(imageio_write_vfield(p, &w, &e) == RERT_OK);
  rtdata_free_vfield(&w);
  cr_assert_eq(run("warp --moving ramp.mha --field u.nii.gz --out a.mha --radius-mm 2 --lower lo1.mha --upper hi1.mha"), 0);
  cr_assert_eq(run("warp --moving ramp.mha --field u.nii.gz --out b.mha --reverse-field w.mha --lower lo2.mha --upper hi2.mha"), 0);
  const char *names[2][2] = {{"lo1.mha", "lo2.mha"}, {"hi1.mha", "hi2.mha"}};
  for (int t = 0; t < 2; t++) {
    rert_volume a, b;
    snprintf(p, sizeof p, "%s/%s", dir, names[t][0]);
    cr_assert(imageio_read_volume(p, &a, &e) == RERT_OK);
    snprintf(p, sizeof p, "%s/%s", dir, names[t][1]);
    cr_assert(imageio_read_volume(p, &b, &e) == RERT_OK);
    for (size_t q = 0; q < volume_count(&a); q++) cr_assert_float_eq(a.data[q], b.data[q], 1e-4, "voxel %zu", q);
    volume_free(&a), volume_free(&b);
  }
}
