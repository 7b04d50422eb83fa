/* test_register_dir.c — built-in rigid and demons registration on the analytic phantom of
 * tests/support/reg_synth.c, scored against the KNOWN generating transform (independent of the
 * registration code: the fixed image is the analytic phantom evaluated at x + u(x)). Small
 * grids keep the ASan build fast. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/register.h"
#include "support/reg_synth.h"

static double mean_err_in(const rert_vfield *est, const rert_vfield *truth, const rert_volume *mask, double *p95) {
  size_t n = reg_vfield_count(truth), c = 0;
  float *e = malloc(sizeof(float) * n);
  double s = 0;
  rert_volume g;
  reg_vfield_geometry(truth, &g);
  for (int k = 0; k < truth->nz; k++)
    for (int j = 0; j < truth->ny; j++)
      for (int i = 0; i < truth->nx; i++) {
        size_t idx = i + (size_t)truth->nx * (j + (size_t)truth->ny * k);
        if (mask && mask->data[idx] == 0) continue;
        double ijk[3] = {i, j, k}, x[3], u[3];
        volume_index_to_world(&g, ijk, x);
        reg_vfield_sample(est, x, u);
        double d = 0;
        for (int a = 0; a < 3; a++) d += (u[a] - truth->u_mm[3 * idx + a]) * (u[a] - truth->u_mm[3 * idx + a]);
        e[c++] = (float)sqrt(d);
        s += sqrt(d);
      }
  if (p95) *p95 = reg_percentile(e, c, 95);
  free(e);
  return s / c;
}

Test(dir, rigid_recovers_known_rotation_translation) {
  rert_volume F = synth_grid(56, 64, 40, 3, 3, 4.5), M = synth_grid(56, 64, 40, 3, 3, 4.5);
  synth_motion mo = {{2.0, -1.5, 4.0}, {6.0, -4.0, 5.0}, 0};
  rert_vfield truth, est;
  synth_pair(&mo, &F, &M, &truth);
  reg_rigid_opts o;
  reg_rigid_opts_default(&o);
  o.sample_step_mm = 3;
  o.verbose = 1;
  double m[16], rms;
  rert_err e;
  cr_assert(reg_rigid(&F, &M, NULL, &o, NULL, m, &rms, &e) == RERT_OK, "%s", e.msg);
  cr_assert(reg_vfield_alloc_like(&est, &F, &e) == RERT_OK);
  reg_vfield_set_affine(&est, m);
  rert_volume body = synth_body_mask(&F);
  double p95, me = mean_err_in(&est, &truth, &body, &p95);
  fprintf(stderr, "rigid: mean vector error %.3f mm, p95 %.3f mm, RMS %.1f HU\n", me, p95, rms);
  /* the motion moves body points by up to ~12 mm; a correct solver lands well below a voxel */
  cr_assert_lt(me, 0.5);
  cr_assert_lt(p95, 1.0);
  volume_free(&F), volume_free(&M), volume_free(&body), rtdata_free_vfield(&truth), rtdata_free_vfield(&est);
}

Test(dir, demons_reduces_vector_error_and_stays_diffeomorphic) {
  rert_volume F = synth_grid(48, 56, 36, 3.2, 3.2, 4), M = synth_grid(48, 56, 36, 3.2, 3.2, 4);
  synth_motion mo = {{0, 0, 0}, {0, 0, 0}, 5.0};
  rert_vfield truth, est, zero;
  synth_pair(&mo, &F, &M, &truth);
  rert_err e;
  rert_volume body = synth_body_mask(&F);
  cr_assert(reg_vfield_alloc_like(&zero, &F, &e) == RERT_OK);
  double p0, e0 = mean_err_in(&zero, &truth, &body, &p0);
  reg_demons_opts o;
  reg_demons_opts_default(&o);
  o.levels = 2;
  o.iterations[0] = 40, o.iterations[1] = 30;
  o.sigma_fluid_mm = 2.0, o.sigma_diffusion_mm = 3.0;
  cr_assert(reg_demons(&F, &M, NULL, &o, NULL, &est, &e) == RERT_OK, "%s", e.msg);
  double p1, e1 = mean_err_in(&est, &truth, &body, &p1);
  reg_qa_stats s;
  cr_assert(reg_qa_field(&est, NULL, NULL, &s, &e) == RERT_OK);
  fprintf(stderr, "demons: mean error %.2f → %.2f mm, p95 %.2f → %.2f mm, detJ [%.2f, %.2f]\n", e0, e1, p0, p1,
          s.detj_min, s.detj_max);
  cr_assert_lt(e1, 0.5 * e0);
  cr_assert_eq(s.n_folded, 0);
  volume_free(&F), volume_free(&M), volume_free(&body);
  rtdata_free_vfield(&truth), rtdata_free_vfield(&est), rtdata_free_vfield(&zero);
}
