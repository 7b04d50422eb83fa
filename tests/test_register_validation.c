/* test_register_validation.c — validation of `rert register` on the synthetic patient of
 * rert/phantom.h, whose course-1 → course-2 deformation is known analytically (label "bench":
 * too slow for CI; run by bench/register/run.sh and for docs/validation.md "Registration").
 * Independent reference: the phantom's analytic map (phantom_map_between), analytic ROI
 * membership (phantom_roi_level) and analytic dose (phantom_dose_gy) — never the code under test.
 *
 * Environment: RERT_VALIDATION_SIZE=small|clinical (default small), RERT_VALIDATION_SEED (1),
 * RERT_VALIDATION_GRID_MM (demons grid, default 0 = CT spacing), RERT_VALIDATION_FIELDS
 * ("name=path,name=path": also score these fields, e.g. plastimatch/elastix results; they must
 * pull course-2 (fixed) points to course 1), RERT_VALIDATION_MD (append the markdown table),
 * RERT_VALIDATION_SKIP_RERT=1 (only score the given fields), RERT_VALIDATION_WRITE=DIR (write
 * fixed.mha, moving.mha, truth.mha, dose1.mha, dose2grid.mha for the peers;
 * RERT_VALIDATION_WRITE_ONLY=1 stops there). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rert/imageio.h"
#include "rert/phantom.h"
#include "rert/register.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static rert_volume grid_of(const rert_phantom_grid *g) {
  rert_volume v;
  memset(&v, 0, sizeof v);
  v.nx = g->nx, v.ny = g->ny, v.nz = g->nz;
  memcpy(v.spacing_mm, g->spacing_mm, sizeof v.spacing_mm);
  memcpy(v.origin_mm, g->origin_mm, sizeof v.origin_mm);
  rert_err e;
  cr_assert(volume_alloc(&v, &e) == RERT_OK);
  return v;
}

static void roi_mask(const rert_phantom_model *m, int roi, int course, rert_volume *v) {
#pragma omp parallel for schedule(static)
  for (int k = 0; k < v->nz; k++)
    for (int j = 0; j < v->ny; j++)
      for (int i = 0; i < v->nx; i++) {
        double ijk[3] = {i, j, k}, x[3];
        volume_index_to_world(v, ijk, x);
        v->data[i + (size_t)v->nx * (j + (size_t)v->ny * k)] = phantom_roi_level(m, roi, course, x) < 0;
      }
}

static double dice(const rert_volume *a, const rert_volume *b) {
  size_t ab = 0, na = 0, nb = 0;
  for (size_t i = 0; i < volume_count(a); i++) {
    int x = a->data[i] != 0, y = b->data[i] != 0;
    ab += x && y, na += x, nb += y;
  }
  return na + nb ? 2.0 * ab / (na + nb) : 1.0;
}

typedef struct {
  const char *name;
  rert_vfield f;
  double seconds;
} scored;

static FILE *md;

/* per-ROI masks, computed once: truth-grid mask (course 2), course-2 dose-grid mask (the
 * reference for Dice), course-1 dose-grid mask (what gets warped), Dice of the true-field warp */
typedef struct {
  rert_volume on_truth, fixed, moving;
  double dice_true;
} roi_cache;

static void score(const rert_phantom_model *m, const scored *s, const rert_vfield *truth, const rert_volume *dose1,
                  const rert_volume *dose_grid2, int nroi, const int *rois, const roi_cache *rc) {
  rert_err e;
  fprintf(md, "\n#### %s\n\n", s->name);
  if (s->seconds > 0) fprintf(md, "Registration time: %.1f s (wall, this machine).\n\n", s->seconds);
  fprintf(md, "| ROI | mean vector error (mm) | p95 (mm) | max (mm) | Dice warped vs true | Dice with true field |\n");
  fprintf(md, "|---|---|---|---|---|---|\n");
  double body_mean = 0, body_dice = 0;
  for (int q = 0; q < nroi; q++) {
    reg_vector_error ve;
    cr_assert(reg_vfield_error(&s->f, truth, &rc[q].on_truth, &ve, &e) == RERT_OK);
    rert_volume wr;
    cr_assert(reg_warp_volume_to(&rc[q].moving, &s->f, dose_grid2, REG_INTERP_LINEAR, 0, &wr, &e) == RERT_OK);
    for (size_t i = 0; i < volume_count(&wr); i++) wr.data[i] = wr.data[i] >= 0.5f;
    double d = dice(&wr, &rc[q].fixed);
    fprintf(md, "| %s | %.2f | %.2f | %.2f | %.3f | %.3f |\n", m->roi[rois[q]].name, ve.mean_mm, ve.p95_mm, ve.max_mm, d,
            rc[q].dice_true);
    if (q == 0) body_mean = ve.mean_mm, body_dice = d;
    volume_free(&wr);
  }
  /* dose mapping: course-1 dose warped with this field vs with the true field, inside the body */
  rert_volume d_est, d_true;
  const rert_volume *body2 = &rc[0].fixed;
  cr_assert(reg_warp_volume_to(dose1, &s->f, dose_grid2, REG_INTERP_LINEAR, 0, &d_est, &e) == RERT_OK);
  cr_assert(reg_warp_volume_to(dose1, truth, dose_grid2, REG_INTERP_LINEAR, 0, &d_true, &e) == RERT_OK);
  size_t n = volume_count(&d_est), c = 0, over1 = 0, over3 = 0;
  float *err = malloc(sizeof(float) * n);
  double sum = 0, mx = 0;
  for (size_t i = 0; i < n; i++) {
    if (body2->data[i] == 0) continue;
    double a = fabs(d_est.data[i] - d_true.data[i]);
    err[c++] = (float)a, sum += a, mx = fmax(mx, a);
    over1 += a > 1.0, over3 += a > 3.0;
  }
  fprintf(md, "\nDose mapping (course-1 dose onto the course-2 dose grid, inside External, vs. warping with the "
              "true field): mean |ΔD| %.3f Gy, p95 %.3f Gy, max %.2f Gy; %.2f %% of voxels > 1 Gy, %.2f %% > 3 Gy.\n",
          sum / c, reg_percentile(err, c, 95), mx, 100.0 * over1 / c, 100.0 * over3 / c);
  reg_qa_stats qs;
  cr_assert(reg_qa_field(&s->f, NULL, NULL, &qs, &e) == RERT_OK);
  fprintf(md, "Field: det J in [%.3f, %.3f], %zu folded voxels (%.4f %%).\n", qs.detj_min, qs.detj_max, qs.n_folded,
          qs.pct_folded);
  fflush(md);
  fprintf(stderr, "%s: body vector error %.2f mm, body Dice %.3f, dose mean |ΔD| %.3f Gy\n", s->name, body_mean,
          body_dice, sum / c);
  free(err);
  volume_free(&d_est), volume_free(&d_true);
}

Test(validation, synthetic_patient, .timeout = 3600) {
  const char *size = getenv("RERT_VALIDATION_SIZE");
  int clinical = size && !strcmp(size, "clinical");
  unsigned long long seed = getenv("RERT_VALIDATION_SEED") ? strtoull(getenv("RERT_VALIDATION_SEED"), NULL, 10) : 1;
  const char *mdp = getenv("RERT_VALIDATION_MD");
  md = mdp ? fopen(mdp, "a") : stdout;
  cr_assert(md);
  static rert_phantom_model m;
  rert_err e;
  cr_assert(phantom_model_init(&m, seed, clinical ? PHANTOM_CLINICAL : PHANTOM_SMALL, 2, &e) == RERT_OK, "%s", e.msg);
  rert_phantom_course_data c1, c2;
  cr_assert(phantom_build_course(&m, 0, &c1, &e) == RERT_OK, "%s", e.msg);
  cr_assert(phantom_build_course(&m, 1, &c2, &e) == RERT_OK, "%s", e.msg);
  rert_deformable_registration reg;
  cr_assert(phantom_build_registration(&m, 0, 1, &reg, &e) == RERT_OK, "%s", e.msg);
  /* analytic course-1 dose on its dose grid */
  rert_volume dose1 = grid_of(&m.course[0].dose), dg2 = grid_of(&m.course[1].dose);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < dose1.nz; k++)
    for (int j = 0; j < dose1.ny; j++)
      for (int i = 0; i < dose1.nx; i++) {
        double ijk[3] = {i, j, k}, y[3];
        volume_index_to_world(&dose1, ijk, y);
        dose1.data[i + (size_t)dose1.nx * (j + (size_t)dose1.ny * k)] = (float)phantom_dose_gy(&m, 0, y);
      }
  const char *wdir = getenv("RERT_VALIDATION_WRITE");
  if (wdir) {
    char p[1024];
    snprintf(p, sizeof p, "%s/fixed.mha", wdir);
    cr_assert(imageio_write_volume(p, &c2.ct.image, &e) == RERT_OK, "%s", e.msg);
    snprintf(p, sizeof p, "%s/moving.mha", wdir);
    cr_assert(imageio_write_volume(p, &c1.ct.image, &e) == RERT_OK);
    snprintf(p, sizeof p, "%s/truth.mha", wdir);
    cr_assert(imageio_write_vfield(p, &reg.field, &e) == RERT_OK);
    snprintf(p, sizeof p, "%s/dose1.mha", wdir);
    cr_assert(imageio_write_volume(p, &dose1, &e) == RERT_OK);
    snprintf(p, sizeof p, "%s/dose2grid.mha", wdir);
    cr_assert(imageio_write_volume(p, &dg2, &e) == RERT_OK);
    if (getenv("RERT_VALIDATION_WRITE_ONLY")) {
      volume_free(&dose1), volume_free(&dg2);
      rtdata_free_deformable_registration(&reg);
      phantom_course_data_free(&c1), phantom_course_data_free(&c2);
      if (md != stdout) fclose(md);
      return;
    }
  }
  int rois[PHANTOM_MAX_ROIS], nroi = 0;
  rois[nroi++] = phantom_roi_index(&m, "External");
  for (int r = 0; r < m.nrois; r++)
    if (m.roi[r].course == 0 && strcmp(m.roi[r].name, "External")) rois[nroi++] = r;
  fprintf(md, "\n### Synthetic patient, %s size, seed %llu: course-1 CT (moving) → course-2 CT (fixed)\n\n"
              "CT %dx%dx%d (%.2f×%.2f×%.2f mm); true field on %dx%dx%d (%.0f mm) grid; errors evaluated at "
              "true-field grid points inside each ROI (course-2 space).\n",
          clinical ? "clinical" : "small", seed, c2.ct.image.nx, c2.ct.image.ny, c2.ct.image.nz, c2.ct.image.spacing_mm[0],
          c2.ct.image.spacing_mm[1], c2.ct.image.spacing_mm[2], reg.field.nx, reg.field.ny, reg.field.nz,
          reg.field.spacing_mm[0]);
  static roi_cache rc[PHANTOM_MAX_ROIS];
  for (int q = 0; q < nroi; q++) {
    rert_volume tg;
    reg_vfield_geometry(&reg.field, &tg);
    cr_assert(volume_alloc(&tg, &e) == RERT_OK);
    roi_mask(&m, rois[q], 1, &tg);
    rc[q].on_truth = tg;
    rc[q].fixed = grid_of(&m.course[1].dose);
    roi_mask(&m, rois[q], 1, &rc[q].fixed);
    rc[q].moving = grid_of(&m.course[0].dose);
    roi_mask(&m, rois[q], 0, &rc[q].moving);
    rert_volume wt;
    cr_assert(reg_warp_volume_to(&rc[q].moving, &reg.field, &dg2, REG_INTERP_LINEAR, 0, &wt, &e) == RERT_OK);
    for (size_t i = 0; i < volume_count(&wt); i++) wt.data[i] = wt.data[i] >= 0.5f;
    rc[q].dice_true = dice(&wt, &rc[q].fixed);
    volume_free(&wt);
  }
  fprintf(md, "Dice is evaluated on the dose grids (course-1 ROI mask on its dose grid, warped onto the course-2 "
              "dose grid, vs the analytic course-2 ROI); \"Dice with true field\" is the same warp with the true "
              "field — the discretisation ceiling.\n");
  /* baselines: identity */
  scored id = {"identity (no registration)", {0}, 0};
  cr_assert(reg_vfield_alloc_like(&id.f, &c2.ct.image, &e) == RERT_OK);
  score(&m, &id, &reg.field, &dose1, &dg2, nroi, rois, rc);
  rtdata_free_vfield(&id.f);
  if (!getenv("RERT_VALIDATION_SKIP_RERT")) {
    reg_rigid_opts ro;
    reg_demons_opts dopt;
    reg_rigid_opts_default(&ro);
    reg_demons_opts_default(&dopt);
    ro.verbose = dopt.verbose = 1;
    if (getenv("RERT_VALIDATION_GRID_MM")) dopt.grid_mm = atof(getenv("RERT_VALIDATION_GRID_MM"));
    if (getenv("RERT_VALIDATION_DEMONS")) /* experiments: "fluid,diffusion,max_step,it0,it1,it2" */
      sscanf(getenv("RERT_VALIDATION_DEMONS"), "%lf,%lf,%lf,%d,%d,%d", &dopt.sigma_fluid_mm, &dopt.sigma_diffusion_mm,
             &dopt.max_step_mm, &dopt.iterations[0], &dopt.iterations[1], &dopt.iterations[2]);
    scored r = {"rert register (rigid + demons, defaults)", {0}, 0};
    double t0 = now_s(), mr[16];
    cr_assert(reg_register_ct(&c2.ct.image, &c1.ct.image, NULL, getenv("RERT_VALIDATION_NORIGID") ? NULL : &ro, &dopt, mr, &r.f, &e) == RERT_OK, "%s", e.msg);
    r.seconds = now_s() - t0;
    score(&m, &r, &reg.field, &dose1, &dg2, nroi, rois, rc);
    reg_vector_error ve;
    rert_volume tg;
    reg_vfield_geometry(&reg.field, &tg);
    cr_assert(volume_alloc(&tg, &e) == RERT_OK);
    roi_mask(&m, rois[0], 1, &tg);
    cr_assert(reg_vfield_error(&r.f, &reg.field, &tg, &ve, &e) == RERT_OK);
    rert_vfield z;
    reg_vector_error v0;
    cr_assert(reg_vfield_alloc_like(&z, &c2.ct.image, &e) == RERT_OK);
    cr_assert(reg_vfield_error(&z, &reg.field, &tg, &v0, &e) == RERT_OK);
    /* acceptance (TG-132 recommends ≤ voxel-size mean error on digital phantoms) */
    cr_assert_lt(ve.mean_mm, 0.5 * v0.mean_mm);
    cr_assert_lt(ve.mean_mm, 2.0);
    if (wdir) {
      char p[1024];
      snprintf(p, sizeof p, "%s/rert_u.mha", wdir);
      imageio_write_vfield(p, &r.f, &e);
    }
    rtdata_free_vfield(&z), rtdata_free_vfield(&r.f), volume_free(&tg);
  }
  const char *fl = getenv("RERT_VALIDATION_FIELDS");
  if (fl) {
    char *list = strdup(fl), *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      char *eq = strchr(tok, '=');
      cr_assert(eq, "RERT_VALIDATION_FIELDS item '%s' is not name=path", tok);
      *eq = 0;
      scored s = {tok, {0}, 0};
      cr_assert(imageio_read_vfield(eq + 1, &s.f, &e) == RERT_OK, "%s", e.msg);
      score(&m, &s, &reg.field, &dose1, &dg2, nroi, rois, rc);
      rtdata_free_vfield(&s.f);
    }
    free(list);
  }
  if (md != stdout) fclose(md);
  for (int q = 0; q < nroi; q++) volume_free(&rc[q].on_truth), volume_free(&rc[q].fixed), volume_free(&rc[q].moving);
  volume_free(&dose1), volume_free(&dg2);
  rtdata_free_deformable_registration(&reg);
  phantom_course_data_free(&c1), phantom_course_data_free(&c2);
}
