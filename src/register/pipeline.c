/* pipeline.c — the CT→CT registration run by `rert register` and `rert consult`
 * (rert/register.h reg_pipeline_run; issue #14, docs/register.md):
 *
 *   1. rigid on the whole scans (coarse: 6 and 3 mm), so different frames of reference and
 *      set-ups are brought together before anything local;
 *   2. the region of interest (union of the dose grids + margin) is cut from the fixed CT, and
 *      the matching region (through the rigid map, + margin) from the moving CT;
 *   3. a BODY mask of the fixed region restricts the similarity (couch, mask, air excluded);
 *   4. deformable: built-in (multi-level cubic B-spline, then a short diffeomorphic-demons
 *      refinement at the finest grid), ITK's diffeomorphic demons, or Debian's elastix.
 * The field is returned on the working grid of the region; outside, sampling clamps to the
 * border (the consult only samples inside: the region covers the reference dose grid). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "register/reg_internal.h"
#include "register/reg_itk.h"
#include "register/reg_pyramid.h"

static const char *ENGINES[] = {"builtin", "itk", "elastix"};

const char *reg_engine_name(reg_engine e) { return e >= 0 && e <= REG_ENGINE_ELASTIX ? ENGINES[e] : "?"; }

int reg_engine_parse(const char *s) {
  for (int e = 0; e <= REG_ENGINE_ELASTIX; e++)
    if (s && strcmp(s, ENGINES[e]) == 0) return e;
  return -1;
}

void reg_pipeline_opts_default(reg_pipeline_opts *o) {
  memset(o, 0, sizeof *o);
  o->engine = REG_ENGINE_BUILTIN;
  o->do_rigid = o->do_deformable = o->do_bspline = o->do_demons = 1;
  reg_rigid_opts_default(&o->rigid);
  o->rigid.levels = 2;
  o->rigid.finest_mm = 6.0;
  reg_bspline_opts_default(&o->bspline);
  reg_demons_opts_default(&o->demons);
  /* refinement only: one level on the finest B-spline grid, light regularisation (the B-spline
   * already carries the smooth part, so the demons' shrinkage bias acts on a small residual) */
  o->demons.levels = 1;
  o->demons.iterations[0] = 20;
  o->demons.sigma_fluid_mm = 2.0;
  o->demons.sigma_diffusion_mm = 2.0;
  o->demons.grid_mm = 2.0;
  o->margin_mm = 30.0;
  o->body_mask = 1;
  o->body_dilate_mm = 10.0;
  o->threads = 2;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void world_box(const rert_volume *v, double lo[3], double hi[3]) {
  for (int a = 0; a < 3; a++) lo[a] = INFINITY, hi[a] = -INFINITY;
  for (int c = 0; c < 8; c++) {
    double p[3] = {c & 1 ? v->nx - 1 : 0, c & 2 ? v->ny - 1 : 0, c & 4 ? v->nz - 1 : 0}, x[3];
    volume_index_to_world(v, p, x);
    for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], x[a]), hi[a] = fmax(hi[a], x[a]);
  }
}

/* a field equal to the affine map on a coarse (≥ 4 mm) grid over `like`: trilinear interpolation
 * reproduces an affine map exactly, so this loses nothing */
static int affine_field(const rert_volume *like, const double m[16], rert_vfield *f, rert_err *err) {
  rert_volume cg = *like;
  cg.data = NULL;
  int *dims[3] = {&cg.nx, &cg.ny, &cg.nz};
  for (int q = 0; q < 3; q++) {
    int n = *dims[q];
    double sp = fmax(like->spacing_mm[q], 4.0);
    int mm = (int)ceil((n - 1) * like->spacing_mm[q] / sp) + 1;
    cg.spacing_mm[q] = mm > 1 ? (n - 1) * like->spacing_mm[q] / (mm - 1) : like->spacing_mm[q];
    *dims[q] = mm;
  }
  int rc = reg_vfield_alloc_like(f, &cg, err);
  if (!rc) reg_vfield_set_affine(f, m);
  return rc;
}

int reg_pipeline_run(const rert_volume *F, const rert_volume *M, const reg_pipeline_opts *opt, rert_vfield *out,
                     reg_pipeline_report *rep, rert_err *err) {
  reg_pipeline_opts o;
  if (opt) o = *opt;
  else reg_pipeline_opts_default(&o);
  reg_pipeline_report r;
  memset(&r, 0, sizeof r);
  static const double id[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  memcpy(r.m_fixed_to_moving, id, sizeof id);
  memset(out, 0, sizeof *out);
  int rc = RERT_OK;
  double t0 = now_s();
  /* 1. rigid on the whole scans */
  if (o.do_rigid) {
    reg_rigid_opts ro = o.rigid;
    ro.verbose = o.verbose;
    rc = reg_rigid(F, M, NULL, &ro, NULL, r.m_fixed_to_moving, &r.rigid_rms_hu, err);
    if (rc) return rert_err_prefix(err, rc, "rigid stage");
    r.rigid_kept = memcmp(r.m_fixed_to_moving, id, sizeof id) != 0;
  }
  r.seconds_rigid = now_s() - t0;
  /* 2. region of interest */
  double lo[3], hi[3];
  if (o.nroi > 0) {
    for (int a = 0; a < 3; a++) lo[a] = INFINITY, hi[a] = -INFINITY;
    for (int q = 0; q < o.nroi && q < 8; q++)
      for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], o.roi_lo[q][a]), hi[a] = fmax(hi[a], o.roi_hi[q][a]);
    for (int a = 0; a < 3; a++) lo[a] -= o.margin_mm, hi[a] += o.margin_mm;
  } else {
    world_box(F, lo, hi);
  }
  rert_volume Fc, Mc, mk;
  memset(&Fc, 0, sizeof Fc), memset(&Mc, 0, sizeof Mc), memset(&mk, 0, sizeof mk);
  rc = reg_volume_crop(F, lo, hi, &Fc, err);
  if (rc) return rert_err_prefix(err, rc, "fixed image");
  world_box(&Fc, r.crop_lo, r.crop_hi);
  r.crop_dims[0] = Fc.nx, r.crop_dims[1] = Fc.ny, r.crop_dims[2] = Fc.nz;
  {
    /* moving region: the fixed region through the rigid map, + a margin for the deformation */
    double mlo[3] = {INFINITY, INFINITY, INFINITY}, mhi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int c = 0; c < 8; c++) {
      double x[3] = {c & 1 ? r.crop_hi[0] : r.crop_lo[0], c & 2 ? r.crop_hi[1] : r.crop_lo[1],
                     c & 4 ? r.crop_hi[2] : r.crop_lo[2]}, y[3];
      reg_affine_apply(r.m_fixed_to_moving, x, y);
      for (int a = 0; a < 3; a++) mlo[a] = fmin(mlo[a], y[a] - 40), mhi[a] = fmax(mhi[a], y[a] + 40);
    }
    rc = reg_volume_crop(M, mlo, mhi, &Mc, err);
    if (rc) {
      volume_free(&Fc);
      return rert_err_prefix(err, rc, "moving image (region of interest mapped by the rigid stage)");
    }
  }
  /* 3. mask */
  const rert_volume *mask = NULL;
  if (o.mask) {
    rert_vfield z;
    rc = reg_vfield_alloc_like(&z, &Fc, err);
    if (!rc) rc = reg_warp_volume_to(o.mask, &z, &Fc, REG_INTERP_NEAREST, 0.0f, &mk, err);
    if (!z.u_mm) memset(&z, 0, sizeof z);
    rtdata_free_vfield(&z);
    mask = &mk;
    for (size_t q = 0; !rc && q < volume_count(&mk); q++) r.body_voxels += mk.data[q] != 0;
  } else if (o.body_mask) {
    /* on a 2 mm copy: the stages sample the mask by position, none works finer than 2 mm */
    rert_volume F2;
    double t2[3] = {2.0, 2.0, 2.0};
    rc = reg_resample_coarse(&Fc, t2, -1024.0f, 3000.0f, &F2, err);
    if (!rc) {
      rc = reg_body_mask(&F2, -400.0, o.body_dilate_mm, &mk, &r.body_voxels, err);
      volume_free(&F2);
    }
    mask = &mk;
    if (!rc && r.body_voxels == 0) { /* no body found (phantom without air, test grids): all */
      volume_free(&mk);
      mask = NULL;
    }
  }
  double t1 = now_s();
  rert_vfield init;
  memset(&init, 0, sizeof init);
  if (!rc) rc = affine_field(&Fc, r.m_fixed_to_moving, &init, err);
  if (!rc && !o.do_deformable) {
    rc = reg_vfield_alloc_like(out, &Fc, err);
    if (!rc) reg_vfield_set_affine(out, r.m_fixed_to_moving);
    snprintf(r.description, sizeof r.description, "rigid only (SSD, Levenberg-Marquardt)");
  } else if (!rc && o.engine == REG_ENGINE_BUILTIN) {
    reg_bspline_opts bo = o.bspline;
    reg_demons_opts dopt = o.demons;
    bo.verbose = dopt.verbose = o.verbose;
    rert_vfield bs;
    memset(&bs, 0, sizeof bs);
    if (o.do_bspline) rc = reg_bspline(&Fc, &Mc, mask, &bo, &init, &bs, err);
    if (!rc && o.do_demons)
      rc = reg_demons(&Fc, &Mc, mask, &dopt, o.do_bspline ? &bs : &init, out, err);
    else if (!rc) {
      *out = bs;
      memset(&bs, 0, sizeof bs);
    }
    rtdata_free_vfield(&bs);
    snprintf(r.description, sizeof r.description,
             "built-in: rigid (SSD), %s%s%s on the dose region + %.0f mm%s", o.do_bspline ? "cubic B-spline (SSD, L-BFGS, ITK VNL)" : "",
             o.do_bspline && o.do_demons ? " then " : "", o.do_demons ? "diffeomorphic demons" : "", o.margin_mm,
             mask ? ", BODY mask" : "");
  } else if (!rc && o.engine == REG_ENGINE_ITK) {
    /* ITK demons needs both images on one grid: the moving region through the rigid map onto a
     * working grid of the fixed region (o.demons.grid_mm) */
    rert_volume Fw, Mw;
    memset(&Fw, 0, sizeof Fw), memset(&Mw, 0, sizeof Mw);
    double g = o.demons.grid_mm > 0 ? o.demons.grid_mm : 2.0, tgt[3] = {g, g, g};
    rc = reg_resample_coarse(&Fc, tgt, (float)o.demons.hu_min, (float)o.demons.hu_max, &Fw, err);
    if (!rc) rc = reg_warp_volume_to(&Mc, &init, &Fw, REG_INTERP_LINEAR, (float)o.demons.hu_min, &Mw, err);
    if (!rc) {
      size_t n = volume_count(&Mw);
      for (size_t q = 0; q < n; q++) Mw.data[q] = fminf(fmaxf(Mw.data[q], (float)o.demons.hu_min), (float)o.demons.hu_max);
    }
    rert_vfield d;
    memset(&d, 0, sizeof d);
    int its[8];
    for (int l = 0; l < 3; l++) its[l] = (int[]){60, 40, 30}[l];
    double sx = Fw.spacing_mm[0];
    if (!rc) rc = reg_itk_demons(&Fw, &Mw, 3, its, 3.0 / sx, 2.0 / sx, 2.0 / sx, NULL, &d, err);
    /* total pull-back: first the demons field (fixed → rigidly mapped moving), then the rigid map */
    if (!rc) rc = reg_vfield_compose_affine(&d, r.m_fixed_to_moving, out, err);
    rtdata_free_vfield(&d);
    volume_free(&Fw), volume_free(&Mw);
    snprintf(r.description, sizeof r.description,
             "ITK 5 diffeomorphic demons (ESM forces, 3 levels) after the built-in rigid stage, on the dose region + %.0f mm",
             o.margin_mm);
  } else if (!rc && o.engine == REG_ENGINE_ELASTIX) {
    rc = reg_elastix_run_rigid(&Fc, &Mc, mask, r.m_fixed_to_moving, &o, out, err);
    snprintf(r.description, sizeof r.description, "elastix (%s) with %d parameter file(s), on the dose region + %.0f mm",
             o.elastix_exe ? o.elastix_exe : "elastix", o.nelastix_params, o.margin_mm);
  }
  rtdata_free_vfield(&init);
  volume_free(&Fc), volume_free(&Mc), volume_free(&mk);
  r.seconds_deformable = now_s() - t1;
  if (rc) {
    rtdata_free_vfield(out);
    return rc;
  }
  if (rep) *rep = r;
  return RERT_OK;
}

/* the whole-image rigid + demons of issue #5 */
int reg_register_ct(const rert_volume *F, const rert_volume *M, const rert_volume *mask, const reg_rigid_opts *ro,
                    const reg_demons_opts *dopt, double mrig[16], rert_vfield *out, rert_err *err) {
  static const double id[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  memcpy(mrig, id, sizeof id);
  int rc;
  if (ro) {
    double rms;
    if ((rc = reg_rigid(F, M, mask, ro, NULL, mrig, &rms, err))) return rc;
  }
  if (!dopt) {
    if ((rc = reg_vfield_alloc_like(out, F, err))) return rc;
    reg_vfield_set_affine(out, mrig);
    return RERT_OK;
  }
  rert_vfield init;
  if ((rc = affine_field(F, mrig, &init, err))) return rc;
  rc = reg_demons(F, M, mask, dopt, &init, out, err);
  rtdata_free_vfield(&init);
  return rc;
}
