/* test_register_peer.c — direction and sign conventions checked against the peer tools
 * plastimatch (Debian plastimatch 1.9.x) and elastix/transformix (Debian elastix 5.x), label
 * "peer". Independent sources: plastimatch's and transformix's own warped images and fields.
 *  1. plastimatch warp with a field WE wrote (MetaImage and NIfTI, oblique direction cosines)
 *     gives the same image as reg_warp_volume (interior voxels) → file geometry, TransformMatrix
 *     layout, NIfTI RAS/LPS handling and the pull-back sign all agree.
 *  2. plastimatch register (translation) --vf_out NIfTI: the vectors we read equal plastimatch's
 *     own translation parameters and point fixed → moving (+shift of the synthetic pair).
 *  3. elastix (translation) + transformix -def all: deformationField read by us ≈ +shift, and
 *     transformix's resampled moving image equals reg_warp_volume with that field. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rert/imageio.h"
#include "rert/register.h"
#include "support/reg_synth.h"

static char dir[256];
static int have(const char *tool) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", tool);
  return system(cmd) == 0;
}
static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/rert_regpeer_%d", (int)getpid());
  char cmd[300];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
  cr_assert(system(cmd) == 0);
}
static void teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)!system(cmd);
}
TestSuite(peer, .init = setup, .fini = teardown, .timeout = 120);

static const double SHIFT[3] = {4.0, -3.0, 6.0};

static void make_pair(int oblique, rert_volume *F, rert_volume *M, rert_vfield *truth) {
  *F = synth_grid(48, 56, 36, 3.2, 3.2, 4);
  *M = synth_grid(48, 56, 36, 3.2, 3.2, 4);
  F->origin_mm[0] += 7, M->origin_mm[0] += 7;
  if (oblique) {
    double c = cos(0.26), s = sin(0.26), d[9] = {c, s, 0, -s, c, 0, 0, 0, 1};
    memcpy(F->dir, d, sizeof d), memcpy(M->dir, d, sizeof d);
  }
  synth_motion mo = {{0, 0, 0}, {SHIFT[0], SHIFT[1], SHIFT[2]}, 0};
  synth_pair(&mo, F, M, truth);
}

static void path(char *b, const char *name) { snprintf(b, 512, "%s/%s", dir, name); }

static double interior_maxdiff(const rert_volume *a, const rert_volume *b) {
  cr_assert(volume_same_geometry(a, b));
  double m = 0;
  for (int k = 3; k < a->nz - 3; k++)
    for (int j = 3; j < a->ny - 3; j++)
      for (int i = 3; i < a->nx - 3; i++) {
        size_t q = i + (size_t)a->nx * (j + (size_t)a->ny * k);
        m = fmax(m, fabs(a->data[q] - b->data[q]));
      }
  return m;
}

static void plastimatch_warp_case(int oblique, const char *vfname) {
  if (!have("plastimatch")) cr_skip_test("plastimatch not installed");
  rert_volume F, M, W, P;
  rert_vfield t;
  rert_err e;
  make_pair(oblique, &F, &M, &t);
  /* a non-uniform field: the true shift plus a smooth sinusoid, so a flipped axis cannot hide */
  for (int k = 0; k < t.nz; k++)
    for (int j = 0; j < t.ny; j++)
      for (int i = 0; i < t.nx; i++) {
        float *u = t.u_mm + 3 * (i + (size_t)t.nx * (j + (size_t)t.ny * k));
        u[0] += (float)(2 * sin(j / 6.0)), u[1] += (float)(1.5 * cos(k / 5.0)), u[2] -= (float)(sin(i / 7.0));
      }
  char mp[512], vp[512], op[512], cmd[2048];
  path(mp, "moving.mha"), path(vp, vfname), path(op, "pl_warped.mha");
  cr_assert(imageio_write_volume(mp, &M, &e) == RERT_OK, "%s", e.msg);
  cr_assert(imageio_write_vfield(vp, &t, &e) == RERT_OK, "%s", e.msg);
  snprintf(cmd, sizeof cmd, "plastimatch warp --input %s --xf %s --output-img %s --default-value -1000 > %s/log 2>&1", mp,
           vp, op, dir);
  cr_assert(system(cmd) == 0, "plastimatch warp failed");
  cr_assert(imageio_read_volume(op, &P, &e) == RERT_OK, "%s", e.msg);
  cr_assert(reg_warp_volume(&M, &t, REG_INTERP_LINEAR, -1000, &W, &e) == RERT_OK);
  double d = interior_maxdiff(&W, &P);
  cr_assert_lt(d, 0.05, "max interior difference vs plastimatch warp: %g HU", d);
  volume_free(&F), volume_free(&M), volume_free(&W), volume_free(&P), rtdata_free_vfield(&t);
}

Test(peer, plastimatch_warp_mha) { plastimatch_warp_case(0, "u.mha"); }
Test(peer, plastimatch_warp_mha_oblique) { plastimatch_warp_case(1, "u.mha"); }
Test(peer, plastimatch_warp_nifti_oblique) { plastimatch_warp_case(1, "u.nii.gz"); }

Test(peer, plastimatch_register_vf_sign) {
  if (!have("plastimatch")) cr_skip_test("plastimatch not installed");
  rert_volume F, M;
  rert_vfield t, u;
  rert_err e;
  make_pair(0, &F, &M, &t);
  char fp[512], mp[512], cp[512], vp[512], xp[512], cmd[2048];
  path(fp, "fixed.mha"), path(mp, "moving.mha"), path(cp, "cmd.txt"), path(vp, "vf.nii.gz"), path(xp, "xf.txt");
  cr_assert(imageio_write_volume(fp, &F, &e) == RERT_OK);
  cr_assert(imageio_write_volume(mp, &M, &e) == RERT_OK);
  FILE *f = fopen(cp, "w");
  fprintf(f, "[GLOBAL]\nfixed=%s\nmoving=%s\nvf_out=%s\nxform_out=%s\n\n[STAGE]\nxform=translation\noptim=rsg\nmax_its=100\nres=2 2 2\n",
          fp, mp, vp, xp);
  fclose(f);
  snprintf(cmd, sizeof cmd, "plastimatch register %s > %s/log 2>&1", cp, dir);
  cr_assert(system(cmd) == 0, "plastimatch register failed");
  double par[3] = {NAN, NAN, NAN};
  f = fopen(xp, "r");
  cr_assert(f);
  char line[512];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "Parameters:", 11)) sscanf(line + 11, "%lf %lf %lf", &par[0], &par[1], &par[2]);
  fclose(f);
  cr_assert(imageio_read_vfield(vp, &u, &e) == RERT_OK, "%s", e.msg);
  size_t c = u.nx / 2 + (size_t)u.nx * (u.ny / 2 + (size_t)u.ny * (u.nz / 2));
  for (int a = 0; a < 3; a++) {
    cr_assert_float_eq(u.u_mm[3 * c + a], par[a], 1e-3); /* NIfTI vectors = plastimatch's own parameters */
    cr_assert_float_eq(par[a], SHIFT[a], 1.0);          /* and they pull fixed → moving (+shift) */
  }
  volume_free(&F), volume_free(&M), rtdata_free_vfield(&t), rtdata_free_vfield(&u);
}

Test(peer, elastix_transformix_deformation_field) {
  if (!have("elastix") || !have("transformix")) cr_skip_test("elastix not installed");
  rert_volume F, M, T, W;
  rert_vfield t, u;
  rert_err e;
  make_pair(1, &F, &M, &t);
  char fp[512], mp[512], pp[512], vp[512], tp[512], cmd[4096];
  path(fp, "fixed.mha"), path(mp, "moving.mha"), path(pp, "par.txt");
  cr_assert(imageio_write_volume(fp, &F, &e) == RERT_OK);
  cr_assert(imageio_write_volume(mp, &M, &e) == RERT_OK);
  FILE *f = fopen(pp, "w");
  fprintf(f, "(FixedInternalImagePixelType \"float\")\n(MovingInternalImagePixelType \"float\")\n"
             "(Registration \"MultiResolutionRegistration\")\n(Interpolator \"BSplineInterpolator\")\n"
             "(ResampleInterpolator \"FinalBSplineInterpolator\")\n(FinalBSplineInterpolationOrder 1)\n"
             "(Resampler \"DefaultResampler\")\n(FixedImagePyramid \"FixedSmoothingImagePyramid\")\n"
             "(MovingImagePyramid \"MovingSmoothingImagePyramid\")\n(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
             "(Transform \"TranslationTransform\")\n(Metric \"AdvancedMeanSquares\")\n(NumberOfResolutions 2)\n"
             "(MaximumNumberOfIterations 200)\n(NumberOfSpatialSamples 4000)\n(ImageSampler \"RandomCoordinate\")\n"
             "(NewSamplesEveryIteration \"true\")\n(DefaultPixelValue -1000)\n(WriteResultImage \"false\")\n"
             "(ResultImageFormat \"mha\")\n(ResultImagePixelType \"float\")\n");
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "elastix -f %s -m %s -p %s -out %s > /dev/null 2>&1 && transformix -def all -in %s -tp %s/TransformParameters.0.txt "
           "-out %s > /dev/null 2>&1",
           fp, mp, pp, dir, mp, dir, dir);
  cr_assert(system(cmd) == 0, "elastix/transformix failed");
  path(vp, "deformationField.mha"), path(tp, "result.mha");
  cr_assert(imageio_read_vfield(vp, &u, &e) == RERT_OK, "%s", e.msg);
  size_t c = u.nx / 2 + (size_t)u.nx * (u.ny / 2 + (size_t)u.ny * (u.nz / 2));
  for (int a = 0; a < 3; a++) cr_assert_float_eq(u.u_mm[3 * c + a], SHIFT[a], 0.3, "component %d: %g", a, u.u_mm[3 * c + a]);
  cr_assert(imageio_read_volume(tp, &T, &e) == RERT_OK, "%s", e.msg);
  cr_assert(reg_warp_volume_to(&M, &u, &F, REG_INTERP_LINEAR, -1000, &W, &e) == RERT_OK);
  double d = interior_maxdiff(&W, &T);
  cr_assert_lt(d, 0.5, "max interior difference vs transformix: %g HU", d);
  volume_free(&F), volume_free(&M), volume_free(&T), volume_free(&W), rtdata_free_vfield(&t), rtdata_free_vfield(&u);
}
