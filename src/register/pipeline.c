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
  o->resolution_schedule = 1;
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
  o->whole_body = 1;
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

/* bounding box (world) of the body in F: 6 mm copy, HU > −400, largest component */
static int body_box(const rert_volume *F, double lo[3], double hi[3], rert_err *err) {
  rert_volume c, m;
  double t[3] = {6.0, 6.0, 6.0};
  int rc = reg_resample_coarse(F, t, -1024.0f, 3000.0f, &c, err);
  if (rc) return rc;
  size_t nb = 0;
  rc = reg_body_mask(&c, -400.0, 0.0, &m, &nb, err);
  volume_free(&c);
  if (rc) return rc;
  world_box(F, lo, hi);
  if (nb) {
    double blo[3] = {INFINITY, INFINITY, INFINITY}, bhi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < m.nz; k++)
      for (int j = 0; j < m.ny; j++)
        for (int i = 0; i < m.nx; i++) {
          if (m.data[i + (size_t)m.nx * (j + (size_t)m.ny * k)] == 0) continue;
          double p[3] = {i, j, k}, x[3];
          volume_index_to_world(&m, p, x);
          for (int a = 0; a < 3; a++) blo[a] = fmin(blo[a], x[a] - 6), bhi[a] = fmax(bhi[a], x[a] + 6);
        }
    for (int a = 0; a < 3; a++) lo[a] = fmax(lo[a], blo[a]), hi[a] = fmin(hi[a], bhi[a]);
  }
  volume_free(&m);
  return RERT_OK;
}

/* the moving image's part that the fixed box [lo, hi] maps to through m, + pad mm */
static int crop_moving(const rert_volume *M, const double m[16], const double lo[3], const double hi[3], double pad,
                       rert_volume *out, rert_err *err) {
  double mlo[3] = {INFINITY, INFINITY, INFINITY}, mhi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int c = 0; c < 8; c++) {
    double x[3] = {c & 1 ? hi[0] : lo[0], c & 2 ? hi[1] : lo[1], c & 4 ? hi[2] : lo[2]}, y[3];
    reg_affine_apply(m, x, y);
    for (int a = 0; a < 3; a++) mlo[a] = fmin(mlo[a], y[a] - pad), mhi[a] = fmax(mhi[a], y[a] + pad);
  }
  int rc = reg_volume_crop(M, mlo, mhi, out, err);
  return rc ? rert_err_prefix(err, rc, "moving image (the region mapped by the rigid stage)") : RERT_OK;
}

/* The voxels of the fixed region the similarity may use, on a 2 mm copy (the stages sample the
 * mask by position): BODY (or the given mask), and only where the rigidly mapped point lies at
 * least 10 mm inside the moving scan — where the moving scan has no data the border would be
 * read, and the cut surface of a head or shoulder at the edge of the field of view then drags the
 * field (measured: the head top pulled 6 mm down). Those voxels follow the smooth field. */
static int region_mask(const rert_volume *Fc, const rert_volume *M, const double m[16], const reg_pipeline_opts *o,
                       rert_volume *mk, size_t *nvox, int *use, rert_err *err) {
  *use = 0;
  *nvox = 0;
  memset(mk, 0, sizeof *mk);
  rert_volume F2;
  double t2[3] = {2.0, 2.0, 2.0};
  int rc = reg_resample_coarse(Fc, t2, -1024.0f, 3000.0f, &F2, err);
  if (rc) return rc;
  if (o->mask) {
    rert_vfield z;
    rc = reg_vfield_alloc_like(&z, &F2, err);
    if (!rc) rc = reg_warp_volume_to(o->mask, &z, &F2, REG_INTERP_NEAREST, 0.0f, mk, err);
    if (z.u_mm) rtdata_free_vfield(&z);
  } else if (o->body_mask) {
    size_t nb = 0;
    rc = reg_body_mask(&F2, -400.0, o->body_dilate_mm, mk, &nb, err);
    if (!rc && nb == 0) volume_free(mk); /* no body (test grids without air): every voxel */
  }
  if (!rc && !mk->data) {
    rc = volume_alloc_like(mk, &F2, err);
    for (size_t q = 0; !rc && q < volume_count(mk); q++) mk->data[q] = 1.0f;
  }
  volume_free(&F2);
  if (rc) return rc;
  reg_grid gk, gm;
  reg_grid_from_volume(&gk, mk);
  reg_grid_from_volume(&gm, M);
  size_t cnt = 0, all = volume_count(mk);
  for (int k = 0; k < mk->nz; k++)
    for (int j = 0; j < mk->ny; j++)
      for (int i = 0; i < mk->nx; i++) {
        size_t q = i + (size_t)mk->nx * (j + (size_t)mk->ny * k);
        if (mk->data[q] == 0) continue;
        double x[3], y[3], p[3];
        reg_grid_world(&gk, i, j, k, x);
        reg_affine_apply(m, x, y);
        reg_grid_index(&gm, y, p);
        int in = 1;
        for (int a = 0; a < 3; a++) {
          double marg = 10.0 / M->spacing_mm[a];
          if (gm.n[a] > 1 && !(p[a] >= marg - 0.5 && p[a] <= gm.n[a] - 0.5 - marg)) in = 0;
        }
        if (!in) mk->data[q] = 0;
        cnt += in;
      }
  *nvox = cnt;
  *use = cnt > 0 && cnt < all;
  if (!*use) volume_free(mk);
  return RERT_OK;
}

/* geometry with spacing max(own, h) over v's extent, as reg_resample_coarse makes it */
static void coarse_geometry(const rert_volume *v, double h, rert_volume *g) {
  *g = *v;
  g->data = NULL;
  int *n[3] = {&g->nx, &g->ny, &g->nz}, nv[3] = {v->nx, v->ny, v->nz};
  for (int a = 0; a < 3; a++) {
    double sp = fmax(h, v->spacing_mm[a]);
    g->spacing_mm[a] = sp;
    *n[a] = (int)ceil(nv[a] / (sp / v->spacing_mm[a]) - 1e-6);
  }
}

/* out on grid g: the fine field inside the region box [lo, hi], ramping over `ramp` mm to the
 * global field at the box faces (both are smooth and close there, so the blend keeps det J > 0) */
static int blend_fields(const rert_volume *g, const rert_vfield *glob, const rert_vfield *fine, const double lo[3],
                        const double hi[3], double ramp, rert_vfield *out, rert_err *err) {
  int rc = reg_vfield_alloc_like(out, g, err);
  if (rc) return rc;
  reg_grid gg, g1, g2;
  reg_grid_from_volume(&gg, g);
  reg_grid_from_vfield(&g1, glob);
  reg_grid_from_vfield(&g2, fine);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < g->nz; k++)
    for (int j = 0; j < g->ny; j++)
      for (int i = 0; i < g->nx; i++) {
        double x[3], p[3], a[3], b[3], w = 1;
        reg_grid_world(&gg, i, j, k, x);
        for (int d = 0; d < 3; d++) {
          double dist = fmin(x[d] - lo[d], hi[d] - x[d]);
          w = fmin(w, dist / ramp);
        }
        w = w < 0 ? 0 : (w > 1 ? 1 : w);
        w = w * w * (3 - 2 * w);
        reg_grid_index(&g1, x, p);
        reg_interp_vec(glob->u_mm, g1.n, p, a);
        if (w > 0) {
          reg_grid_index(&g2, x, p);
          reg_interp_vec(fine->u_mm, g2.n, p, b);
        }
        float *o = out->u_mm + 3 * (i + (size_t)g->nx * (j + (size_t)g->ny * k));
        for (int d = 0; d < 3; d++) o[d] = (float)(w > 0 ? a[d] + w * (b[d] - a[d]) : a[d]);
      }
  return RERT_OK;
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
  /* 2. regions: the region of interest (dose grids + margin, or the body) and, for a whole-body
   * field, the body's box */
  double blo[3], bhi[3], lo[3], hi[3];
  int need_body = o.nroi == 0 || (o.whole_body && o.engine == REG_ENGINE_BUILTIN && o.do_deformable);
  if (need_body && (rc = body_box(F, blo, bhi, err))) return rc;
  if (o.nroi > 0) {
    for (int a = 0; a < 3; a++) lo[a] = INFINITY, hi[a] = -INFINITY;
    for (int q = 0; q < o.nroi && q < 8; q++)
      for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], o.roi_lo[q][a]), hi[a] = fmax(hi[a], o.roi_hi[q][a]);
    for (int a = 0; a < 3; a++) lo[a] -= o.margin_mm, hi[a] += o.margin_mm;
  } else {
    for (int a = 0; a < 3; a++) lo[a] = blo[a] - 10, hi[a] = bhi[a] + 10;
  }
  int global = o.nroi > 0 && need_body;
  rert_volume Fc, Mc, mk, Fg, Mg, mg;
  memset(&Fc, 0, sizeof Fc), memset(&Mc, 0, sizeof Mc), memset(&mk, 0, sizeof mk);
  memset(&Fg, 0, sizeof Fg), memset(&Mg, 0, sizeof Mg), memset(&mg, 0, sizeof mg);
  rert_vfield init, ug, fine;
  memset(&init, 0, sizeof init), memset(&ug, 0, sizeof ug), memset(&fine, 0, sizeof fine);
  int use_mask = 0;
  rc = reg_volume_crop(F, lo, hi, &Fc, err);
  if (rc) return rert_err_prefix(err, rc, "fixed image");
  world_box(&Fc, r.crop_lo, r.crop_hi);
  r.crop_dims[0] = Fc.nx, r.crop_dims[1] = Fc.ny, r.crop_dims[2] = Fc.nz;
  if (!rc) rc = crop_moving(M, r.m_fixed_to_moving, r.crop_lo, r.crop_hi, 40.0, &Mc, err);
  /* 3. masks */
  if (!rc) rc = region_mask(&Fc, M, r.m_fixed_to_moving, &o, &mk, &r.body_voxels, &use_mask, err);
  double t1 = now_s();
  if (!rc) rc = affine_field(&Fc, r.m_fixed_to_moving, &init, err);
  if (!rc && !o.do_deformable) {
    rc = reg_vfield_alloc_like(out, &Fc, err);
    if (!rc) reg_vfield_set_affine(out, r.m_fixed_to_moving);
    snprintf(r.description, sizeof r.description, "rigid only (SSD, Levenberg-Marquardt)");
  } else if (!rc && o.engine == REG_ENGINE_BUILTIN) {
    reg_bspline_opts bo = o.bspline, bf;
    reg_demons_opts dopt = o.demons;
    /* Full-resolution schedule for fine CTs: a last B-spline level on the CT's own grid uses all
     * of the image (a 2 mm level averages away half of what a 0.98 mm scan shows), and the demons
     * refinement on its 2 mm grid then only blurs the result. Measured where the planned dose >
     * 5 % (bench/register, mean / p95): textured phantom 0.42 / 0.75 → 0.28 / 0.48 mm, texture-free
     * 0.73 / 1.22 → 0.37 / 0.64 mm; closed-form test motion at 1 × 1 × 2.5 mm 0.46 → 0.39 mm at
     * edges. On coarse CTs it was worse: 3.75 mm voxels 1.65 / 3.31 against 1.02 / 1.86 mm with
     * 40/20/10 mm then demons, and 4.5 mm slices 0.92 against 0.76 mm — so only CTs fine in all
     * three axes (in-plane < 1.5 mm, slices ≤ 3 mm, as clinical H&N planning CTs are) get it. */
    int full_res = 0;
    if (o.resolution_schedule && o.do_bspline && fmin(Fc.spacing_mm[0], Fc.spacing_mm[1]) < 1.5 && Fc.spacing_mm[2] <= 3.0) {
      static const double img[4] = {6.0, 3.0, 2.0, 0.0}, ctl[4] = {40.0, 30.0, 20.0, 20.0};
      static const int ev[4] = {60, 60, 60, 40};
      bo.levels = 4;
      for (int l = 0; l < 4; l++) bo.image_mm[l] = img[l], bo.control_mm[l] = ctl[l], bo.max_evals[l] = ev[l];
      /* A light demons step (5 iterations) stays when the field is wanted beyond the dose region
       * (rert register's whole-body field): away from the planned dose the spline alone drifted
       * (textured phantom BODY mean 0.78 mm; 0.64 with 5 iterations, 0.53 with 20), while the
       * dose region is best without (0.36 / 0.64 mm; 0.33 / 0.65 with 5, 0.39 / 0.73 with 20;
       * texture-free phantom 0.41 / 0.76, 0.43 / 0.78 and 0.62 / 1.05). The consult reads the
       * field on the dose grid only and runs no demons. */
      if (!global) o.do_demons = 0;
      else dopt.levels = 1, dopt.iterations[0] = 5;
      full_res = 1;
    }
    bo.verbose = dopt.verbose = o.verbose;
    /* whole-body field: the issue-#5 demons over the body (its Gaussian regularisation keeps the
     * head and shoulders, where little moves, on the rigid map: 0.41 mm there), the region of
     * interest registered on its own and pasted in */
    const rert_vfield *fine_init = &init;
    if (global) {
      double glo[3], ghi[3];
      for (int a = 0; a < 3; a++) glo[a] = blo[a] - 10, ghi[a] = bhi[a] + 10;
      rc = reg_volume_crop(F, glo, ghi, &Fg, err);
      if (!rc) rc = crop_moving(M, r.m_fixed_to_moving, glo, ghi, 40.0, &Mg, err);
      rert_vfield ginit;
      memset(&ginit, 0, sizeof ginit);
      if (!rc) rc = affine_field(&Fg, r.m_fixed_to_moving, &ginit, err);
      reg_demons_opts gd;
      reg_demons_opts_default(&gd);
      gd.verbose = o.verbose;
      if (!rc) rc = reg_demons(&Fg, &Mg, NULL, &gd, &ginit, &ug, err);
      rtdata_free_vfield(&ginit);
    }
    bf = bo;
    rert_vfield bs;
    memset(&bs, 0, sizeof bs);
    if (!rc && o.do_bspline) rc = reg_bspline(&Fc, &Mc, use_mask ? &mk : NULL, &bf, fine_init, &bs, err);
    if (!rc && o.do_demons)
      rc = reg_demons(&Fc, &Mc, use_mask ? &mk : NULL, &dopt, o.do_bspline ? &bs : &init, &fine, err);
    else if (!rc) {
      fine = bs;
      memset(&bs, 0, sizeof bs);
    }
    rtdata_free_vfield(&bs);
    if (!rc && global) {
      rert_volume og;
      coarse_geometry(&Fg, fine.spacing_mm[0], &og);
      double ramp = fmax(5.0, fmin(15.0, 0.5 * o.margin_mm));
      rc = blend_fields(&og, &ug, &fine, r.crop_lo, r.crop_hi, ramp, out, err);
    } else if (!rc) {
      *out = fine;
      memset(&fine, 0, sizeof fine);
    }
    snprintf(r.description, sizeof r.description,
             "built-in: rigid (SSD), %s%s%s on %s%s%s", o.do_bspline ? (full_res ? "cubic B-spline (SSD, L-BFGS from ITK/VNL; last level at the CT's resolution)" : "cubic B-spline (SSD, L-BFGS from ITK/VNL)") : "",
             o.do_bspline && o.do_demons ? " then " : "", o.do_demons ? "diffeomorphic demons" : "",
             o.nroi ? "the dose region + margin" : "the body", global ? " (whole body: demons, issue #5 settings)" : "",
             use_mask ? ", BODY mask" : "");
    if (o.nroi) {
      size_t len = strlen(r.description);
      snprintf(r.description + len, sizeof r.description - len, " (margin %.0f mm)", o.margin_mm);
    }
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
    int its[3] = {60, 40, 30};
    double sx = Fw.spacing_mm[0];
    if (!rc) rc = reg_itk_demons(&Fw, &Mw, 3, its, 3.0 / sx, 2.0 / sx, 2.0 / sx, NULL, &d, err);
    /* total pull-back: first the demons field (fixed → rigidly mapped moving), then the rigid map */
    if (!rc) rc = reg_vfield_compose_affine(&d, r.m_fixed_to_moving, out, err);
    rtdata_free_vfield(&d);
    volume_free(&Fw), volume_free(&Mw);
    snprintf(r.description, sizeof r.description,
             "ITK 5 diffeomorphic demons (ESM forces, 3 levels) after the built-in rigid stage, on %s",
             o.nroi ? "the dose region + margin" : "the body");
  } else if (!rc && o.engine == REG_ENGINE_ELASTIX) {
    rc = reg_elastix_run_rigid(&Fc, &Mc, use_mask ? &mk : NULL, r.m_fixed_to_moving, &o, out, err);
    snprintf(r.description, sizeof r.description, "elastix (%s) with %d parameter file(s) after the built-in rigid stage, on %s",
             o.elastix_exe ? o.elastix_exe : "elastix", o.nelastix_params ? o.nelastix_params : 2,
             o.nroi ? "the dose region + margin" : "the body");
  }
  rtdata_free_vfield(&init), rtdata_free_vfield(&ug), rtdata_free_vfield(&fine);
  volume_free(&Fc), volume_free(&Mc), volume_free(&mk), volume_free(&Fg), volume_free(&Mg), volume_free(&mg);
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
