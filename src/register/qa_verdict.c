/* qa_verdict.c — the registration QA that decides (rert/regqa.h; AAPM TG-132): frames of
 * reference, coverage of the dose region, folding, image similarity against the rigid baseline,
 * the direction check (the field against its own inverse), and the overall verdict with the
 * dose-mapping uncertainty radius the QA supports. Contours and landmarks are in
 * qa_contours.c.
 *
 * Everything is evaluated on the region grid (the reference dose grid in the consult): that is
 * where the prior dose is read through the field, so that is where the field must be right. The
 * CTs are smoothed to that grid's spacing before sampling (a 0.98 mm CT read at 2.5 mm points
 * would alias). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"
#include "register/reg_pyramid.h"
#include "register/reg_qa_internal.h"
#include "rert/regqa.h"

const char *reg_qa_status_name(reg_qa_status s) {
  switch (s) {
    case REG_QA_NA: return "n/a";
    case REG_QA_PASS: return "pass";
    case REG_QA_WARN: return "warn";
    case REG_QA_FAIL: return "fail";
    default: return "not evaluated";
  }
}

void reg_qa_opts_default(reg_qa_opts *o) {
  o->coverage_fail_pct = 95.0;
  o->coverage_warn_pct = 99.5;
  o->ncc_tol = 0.02;
  o->mad_tol_rel = 0.10;
  o->mad_tol_hu = 2.0;
  o->min_deform_mm = 1.0;
  o->dice_drop_tol = 0.02;
  o->msd_rise_tol_mm = 0.5;
  o->msd_warn_mm = 3.0;
  o->dice_warn = 0.8;
  o->tre_warn_mm = 2.0;
  o->tre_rise_tol_mm = 0.5;
  o->eval_mm = 1.5;
}

static void set_check(reg_qa_report *r, int c, reg_qa_status s, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_check(reg_qa_report *r, int c, reg_qa_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  r->check[c].status = s;
  vsnprintf(r->check[c].detail, sizeof r->check[c].detail, fmt, ap);
  va_end(ap);
}

void qa_set_check(reg_qa_report *r, int c, reg_qa_status s, const char *detail) {
  r->check[c].status = s;
  snprintf(r->check[c].detail, sizeof r->check[c].detail, "%s", detail);
}

/* ct smoothed to g's spacing and sampled on g (−1000 outside) */
static int ct_on_grid(const rert_volume *ct, const rert_volume *g, rert_volume *out, rert_err *err) {
  double lo[3], hi[3];
  for (int a = 0; a < 3; a++) lo[a] = INFINITY, hi[a] = -INFINITY;
  for (int c = 0; c < 8; c++) {
    double p[3] = {c & 1 ? g->nx - 1 : 0, c & 2 ? g->ny - 1 : 0, c & 4 ? g->nz - 1 : 0}, x[3];
    volume_index_to_world(g, p, x);
    for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], x[a] - 10), hi[a] = fmax(hi[a], x[a] + 10);
  }
  rert_volume c, s;
  int rc = reg_volume_crop(ct, lo, hi, &c, err);
  if (rc == RERT_EINPUT) { /* the grid misses the CT: all outside */
    rc = volume_alloc_like(out, g, err);
    for (size_t q = 0; !rc && q < volume_count(out); q++) out->data[q] = -1000.0f;
    return rc;
  }
  if (rc) return rc;
  rc = reg_resample_coarse(&c, g->spacing_mm, -1024.0f, 3071.0f, &s, err);
  volume_free(&c);
  if (rc) return rc;
  rert_vfield z;
  rc = reg_vfield_alloc_like(&z, g, err);
  if (!rc) rc = reg_warp_volume_to(&s, &z, g, REG_INTERP_LINEAR, -1000.0f, out, err);
  if (z.u_mm) rtdata_free_vfield(&z);
  volume_free(&s);
  return rc;
}

/* moving CT crop covering every point x + c(x) of the candidates, smoothed to g's spacing */
static int moving_smoothed(const rert_volume *ct, const rert_vfield *const *cand, int nc, const unsigned char *w,
                           const rert_volume *g, rert_volume *out, rert_err *err) {
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  reg_grid gg;
  reg_grid_from_volume(&gg, g);
  for (int c = 0; c < nc; c++)
    for (int k = 0; k < g->nz; k++)
      for (int j = 0; j < g->ny; j++)
        for (int i = 0; i < g->nx; i++) {
          size_t idx = i + (size_t)g->nx * (j + (size_t)g->ny * k);
          if (!w[idx]) continue;
          double x[3];
          reg_grid_world(&gg, i, j, k, x);
          for (int a = 0; a < 3; a++) {
            double y = x[a] + cand[c]->u_mm[3 * idx + a];
            lo[a] = fmin(lo[a], y), hi[a] = fmax(hi[a], y);
          }
        }
  for (int a = 0; a < 3; a++) lo[a] -= 10, hi[a] += 10;
  rert_volume c;
  int rc = reg_volume_crop(ct, lo, hi, &c, err);
  if (rc) return rc;
  rc = reg_resample_coarse(&c, g->spacing_mm, -1024.0f, 3071.0f, out, err);
  volume_free(&c);
  return rc;
}

/* NCC, mean |ΔHU| and normalised mutual information (H(A)+H(B))/H(A,B), 64 bins over
 * [−1000, 1500] HU, over the voxels with w set */
static reg_qa_sim similarity(const rert_volume *a, const rert_volume *b, const unsigned char *w) {
  reg_qa_sim s = {NAN, NAN, NAN, 0};
  size_t n = volume_count(a), cnt = 0;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, sad = 0;
  enum { NB = 64 };
  static const double lo = -1000, hi = 1500;
  double *joint = calloc(NB * NB, sizeof(double));
  if (!joint) return s;
  for (size_t q = 0; q < n; q++) {
    if (!w[q]) continue;
    double x = a->data[q], y = b->data[q];
    if (!isfinite(x) || !isfinite(y)) continue;
    sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y, sad += fabs(x - y);
    int ix = (int)((fmin(fmax(x, lo), hi - 1e-6) - lo) / (hi - lo) * NB);
    int iy = (int)((fmin(fmax(y, lo), hi - 1e-6) - lo) / (hi - lo) * NB);
    joint[ix * NB + iy] += 1;
    cnt++;
  }
  s.n = cnt;
  if (cnt) {
    double va = saa - sa * sa / cnt, vb = sbb - sb * sb / cnt, cab = sab - sa * sb / cnt;
    s.ncc = va > 0 && vb > 0 ? cab / sqrt(va * vb) : NAN;
    s.mad_hu = sad / cnt;
    double ha = 0, hb = 0, hab = 0;
    for (int i = 0; i < NB; i++) {
      double pa = 0, pb = 0;
      for (int j = 0; j < NB; j++) {
        pa += joint[i * NB + j];
        pb += joint[j * NB + i];
        double p = joint[i * NB + j] / cnt;
        if (p > 0) hab -= p * log(p);
      }
      pa /= cnt, pb /= cnt;
      if (pa > 0) ha -= pa * log(pa);
      if (pb > 0) hb -= pb * log(pb);
    }
    s.nmi = hab > 0 ? (ha + hb) / hab : NAN;
  }
  free(joint);
  return s;
}

static int field_on(const rert_vfield *u, const rert_volume *g, rert_vfield *out, unsigned char *defined, rert_err *err) {
  int rc = reg_vfield_alloc_like(out, g, err);
  if (rc) return rc;
  reg_grid gu, gg;
  reg_grid_from_vfield(&gu, u);
  reg_grid_from_volume(&gg, g);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < g->nz; k++)
    for (int j = 0; j < g->ny; j++)
      for (int i = 0; i < g->nx; i++) {
        size_t idx = i + (size_t)g->nx * (j + (size_t)g->ny * k);
        double x[3], p[3], v[3];
        reg_grid_world(&gg, i, j, k, x);
        reg_grid_index(&gu, x, p);
        int in = reg_interp_vec(u->u_mm, gu.n, p, v);
        if (defined) defined[idx] = (unsigned char)in;
        for (int a = 0; a < 3; a++) out->u_mm[3 * idx + a] = (float)v[a];
      }
  return RERT_OK;
}

static int inside_extent(const reg_grid *g, const double y[3]) {
  double p[3];
  reg_grid_index(g, y, p);
  for (int a = 0; a < 3; a++)
    if (!(p[a] >= -0.5 && p[a] <= g->n[a] - 0.5)) return 0;
  return 1;
}

static int same_uid(const char *a, const char *b) { return a && b && a[0] && b[0] && strcmp(a, b) == 0; }
static int known(const char *a) { return a && a[0]; }

static void check_frames(const reg_qa_input *in, reg_qa_report *r) {
  char buf[400] = "";
  int compared = 0, bad = 0;
  struct { const char *a, *b, *what; } pairs[] = {
      {in->reg_frame_fixed, in->frame_fixed_dose, "registration's registered frame vs reference dose"},
      {in->reg_frame_fixed, in->frame_fixed_ct, "registration's registered frame vs reference CT"},
      {in->reg_frame_moving, in->frame_moving_dose, "registration's source frame vs moving-course dose"},
      {in->reg_frame_moving, in->frame_moving_ct, "registration's source frame vs moving-course CT"},
      {in->frame_fixed_ct, in->frame_fixed_dose, "reference CT vs reference dose"},
      {in->frame_moving_ct, in->frame_moving_dose, "moving-course CT vs its dose"}};
  for (size_t q = 0; q < sizeof pairs / sizeof pairs[0]; q++) {
    if (!known(pairs[q].a) || !known(pairs[q].b)) continue;
    compared++;
    if (!same_uid(pairs[q].a, pairs[q].b)) {
      bad++;
      size_t len = strlen(buf);
      snprintf(buf + len, sizeof buf - len, "%s%s differ", len ? "; " : "", pairs[q].what);
    }
  }
  int swapped = known(in->reg_frame_fixed) && known(in->reg_frame_moving) &&
                (same_uid(in->reg_frame_fixed, in->frame_moving_ct) || same_uid(in->reg_frame_fixed, in->frame_moving_dose)) &&
                (same_uid(in->reg_frame_moving, in->frame_fixed_ct) || same_uid(in->reg_frame_moving, in->frame_fixed_dose));
  if (bad)
    set_check(r, REG_QA_FRAMES, REG_QA_FAIL, "%s%s", buf,
              swapped ? " (the registration goes the other way: reference → moving course)" : "");
  else if (compared)
    set_check(r, REG_QA_FRAMES, REG_QA_PASS, "%d frame-of-reference pair%s consistent%s", compared, compared > 1 ? "s" : "",
              known(in->reg_frame_fixed) ? "" : " (a vector-field file names no frames: the image checks test the pair)");
  else
    set_check(r, REG_QA_FRAMES, REG_QA_NA, "no frame-of-reference UIDs to compare");
}

int reg_qa_run(const reg_qa_input *in, const reg_qa_opts *opt, reg_qa_report *r, rert_err *err) {
  reg_qa_opts o;
  if (opt) o = *opt;
  else reg_qa_opts_default(&o);
  memset(r, 0, sizeof *r);
  static const char *ids[REG_QA_NCHECKS] = {"frames", "coverage", "folding", "similarity", "direction", "contours", "landmarks"};
  for (int c = 0; c < REG_QA_NCHECKS; c++) r->check[c].id = ids[c], r->check[c].status = REG_QA_NOT_EVALUATED;
  r->coverage_field_pct = r->coverage_moving_pct = r->detj_min = r->detj_max = NAN;
  r->deform_mean_mm = r->dice_mean = r->dice_rigid_mean = r->msd_mean_mm = r->msd_rigid_mean_mm = NAN;
  r->tre_mean_mm = r->tre_max_mm = r->tre_rigid_mean_mm = r->radius_mm = NAN;
  reg_qa_sim nan_sim = {NAN, NAN, NAN, 0};
  r->sim_identity = r->sim_rigid = r->sim_field = r->sim_inverse = nan_sim;
  if (!in || !in->field || !in->field->u_mm) return rert_err_set(err, RERT_EINPUT, "regqa: no field");
  rert_volume G;
  if (in->region) {
    G = *in->region;
    G.data = NULL;
  } else {
    reg_vfield_geometry(in->field, &G);
  }
  size_t n = volume_count(&G);
  int have_ct = in->fixed_ct && in->moving_ct;
  unsigned char *W = malloc(n), *defd = malloc(n);
  rert_vfield UG, RG, ZG, IG;
  memset(&UG, 0, sizeof UG), memset(&RG, 0, sizeof RG), memset(&ZG, 0, sizeof ZG), memset(&IG, 0, sizeof IG);
  rert_volume FR, MS, WC, DJ;
  memset(&FR, 0, sizeof FR), memset(&MS, 0, sizeof MS), memset(&WC, 0, sizeof WC), memset(&DJ, 0, sizeof DJ);
  int rc = W && defd ? RERT_OK : rert_err_set(err, RERT_EINTERNAL, "regqa: out of memory");
  if (!rc) rc = field_on(in->field, &G, &UG, defd, err);
  for (size_t q = 0; !rc && q < n; q++) W[q] = !in->region || !in->region->data || in->region->data[q] > 0;
  /* BODY of the reference CT restricts the region (air outside the patient tells nothing) */
  if (!rc && in->fixed_ct) {
    rc = ct_on_grid(in->fixed_ct, &G, &FR, err);
    for (size_t q = 0; !rc && q < n; q++) W[q] = W[q] && FR.data[q] > -400.0f;
  }
  size_t nw = 0;
  for (size_t q = 0; !rc && q < n; q++) nw += W[q];
  r->region_voxels = nw;
  /* rigid baseline */
  if (!rc) {
    static const double id[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    memcpy(r->rigid_fixed_to_moving, id, sizeof id);
    if (in->rigid_fixed_to_moving) {
      memcpy(r->rigid_fixed_to_moving, in->rigid_fixed_to_moving, sizeof id);
    } else if (have_ct) {
      reg_rigid_opts ro;
      reg_rigid_opts_default(&ro);
      ro.levels = 2, ro.finest_mm = 6.0, ro.verbose = in->verbose;
      double rms;
      rc = reg_rigid(in->fixed_ct, in->moving_ct, NULL, &ro, NULL, r->rigid_fixed_to_moving, &rms, err);
      if (rc) rc = rert_err_prefix(err, rc, "regqa: rigid baseline");
      r->rigid_computed = 1;
    }
  }
  if (!rc) rc = reg_vfield_alloc_like(&RG, &G, err);
  if (!rc) reg_vfield_set_affine(&RG, r->rigid_fixed_to_moving);
  if (rc) goto done;
  check_frames(in, r);
  /* coverage */
  {
    const rert_volume *ext = in->moving_ct ? in->moving_ct : in->moving_extent;
    reg_grid ge, gg;
    if (ext) reg_grid_from_volume(&ge, ext);
    reg_grid_from_volume(&gg, &G);
    size_t nd = 0, nm = 0;
    for (int k = 0; k < G.nz; k++)
      for (int j = 0; j < G.ny; j++)
        for (int i = 0; i < G.nx; i++) {
          size_t idx = i + (size_t)G.nx * (j + (size_t)G.ny * k);
          if (!W[idx]) continue;
          nd += defd[idx];
          if (ext && defd[idx]) {
            double x[3];
            reg_grid_world(&gg, i, j, k, x);
            for (int a = 0; a < 3; a++) x[a] += UG.u_mm[3 * idx + a];
            nm += inside_extent(&ge, x);
          }
        }
    if (!nw) {
      set_check(r, REG_QA_COVERAGE, REG_QA_FAIL, "the region holds no voxel inside the body");
    } else {
      r->coverage_field_pct = 100.0 * nd / nw;
      double pct = r->coverage_field_pct;
      if (ext) pct = r->coverage_moving_pct = 100.0 * nm / nw;
      reg_qa_status s = pct < o.coverage_fail_pct ? REG_QA_FAIL : pct < o.coverage_warn_pct ? REG_QA_WARN : REG_QA_PASS;
      set_check(r, REG_QA_COVERAGE, s,
                "%.1f %% of the %zu region voxels in the body lie inside the field's grid%s%.1f %% map into the %s "
                "(fail < %.0f %%, warn < %.1f %%)",
                r->coverage_field_pct, nw, ext ? "; " : "", ext ? r->coverage_moving_pct : 0.0,
                ext ? (in->moving_ct ? "moving CT's field of view" : "moving dose grid") : "", o.coverage_fail_pct,
                o.coverage_warn_pct);
      if (!ext)
        set_check(r, REG_QA_COVERAGE, s, "%.1f %% of the %zu region voxels lie inside the field's grid (moving extent unknown; fail < %.0f %%)",
                  r->coverage_field_pct, nw, o.coverage_fail_pct);
    }
  }
  /* folding */
  {
    rc = reg_vfield_jacobian(&UG, &DJ, err);
    if (rc) goto done;
    double mn = INFINITY, mx = -INFINITY;
    size_t nf = 0;
    for (size_t q = 0; q < n; q++) {
      if (!W[q]) continue;
      double d = DJ.data[q];
      mn = fmin(mn, d), mx = fmax(mx, d);
      nf += d <= 0;
    }
    r->folded = nf;
    r->detj_min = nw ? mn : NAN, r->detj_max = nw ? mx : NAN;
    if (nw)
      set_check(r, REG_QA_FOLDING, nf ? REG_QA_FAIL : REG_QA_PASS, "det J in [%.3f, %.3f] over the region; %zu voxel%s fold (det J <= 0)",
                mn, mx, nf, nf == 1 ? "" : "s");
  }
  /* deformation beyond the rigid baseline */
  {
    double s = 0;
    for (size_t q = 0; q < n; q++) {
      if (!W[q]) continue;
      double d2 = 0;
      for (int a = 0; a < 3; a++) {
        double d = UG.u_mm[3 * q + a] - RG.u_mm[3 * q + a];
        d2 += d * d;
      }
      s += sqrt(d2);
    }
    r->deform_mean_mm = nw ? s / nw : NAN;
  }
  /* similarity and direction */
  if (!have_ct) {
    set_check(r, REG_QA_SIMILARITY, REG_QA_NOT_EVALUATED, "needs both courses' CTs");
    set_check(r, REG_QA_DIRECTION, REG_QA_NOT_EVALUATED, "needs both courses' CTs");
  } else if (nw) {
    reg_invert_opts io = {40, 0.05};
    reg_invert_report irep;
    if ((rc = reg_vfield_alloc_like(&ZG, &G, err))) goto done;
    if ((rc = reg_vfield_invert(in->field, &G, &io, &IG, &irep, err))) goto done;
    const rert_vfield *cand[4] = {&ZG, &RG, &UG, &IG};
    if ((rc = moving_smoothed(in->moving_ct, cand, 4, W, &G, &MS, err))) goto done;
    reg_qa_sim *sims[4] = {&r->sim_identity, &r->sim_rigid, &r->sim_field, &r->sim_inverse};
    for (int c = 0; c < 4; c++) {
      if ((rc = reg_warp_volume_to(&MS, cand[c], &G, REG_INTERP_LINEAR, -1000.0f, &WC, err))) goto done;
      *sims[c] = similarity(&FR, &WC, W);
      volume_free(&WC);
    }
    const reg_qa_sim *f = &r->sim_field, *g = &r->sim_rigid, *v = &r->sim_inverse, *z = &r->sim_identity;
    int worse = f->ncc < g->ncc - o.ncc_tol || f->mad_hu > g->mad_hu * (1 + o.mad_tol_rel) + o.mad_tol_hu;
    reg_qa_status s = worse ? REG_QA_FAIL : (f->mad_hu > g->mad_hu && r->deform_mean_mm >= o.min_deform_mm ? REG_QA_WARN : REG_QA_PASS);
    set_check(r, REG_QA_SIMILARITY, s,
              "inside BODY in the region: NCC %.4f none / %.4f rigid / %.4f field; mean |dHU| %.1f / %.1f / %.1f; NMI %.3f / %.3f / %.3f%s",
              z->ncc, g->ncc, f->ncc, z->mad_hu, g->mad_hu, f->mad_hu, z->nmi, g->nmi, f->nmi,
              worse ? " — the field matches worse than the rigid baseline" : s == REG_QA_WARN ? " — no better than rigid" : "");
    if (r->deform_mean_mm < o.min_deform_mm && f->mad_hu <= v->mad_hu) {
      set_check(r, REG_QA_DIRECTION, REG_QA_NA,
                "field within %.2f mm of the rigid baseline on average: the two directions differ too little to tell (similarity covers it)",
                r->deform_mean_mm);
    } else {
      int reversed = v->ncc > f->ncc && v->mad_hu < f->mad_hu;
      int unclear = !reversed && !(f->ncc > v->ncc && f->mad_hu <= v->mad_hu);
      set_check(r, REG_QA_DIRECTION, reversed ? REG_QA_FAIL : unclear ? REG_QA_WARN : REG_QA_PASS,
                "field NCC %.4f, mean |dHU| %.1f; its inverse used the same way: NCC %.4f, %.1f%s",
                f->ncc, f->mad_hu, v->ncc, v->mad_hu,
                reversed ? " — the inverse matches better: the field points the wrong way (course to reference instead of the pull-back)"
                         : unclear ? " — inconclusive" : "");
    }
  }
  /* contours and landmarks */
  if (in->ss_fixed && in->ss_moving) {
    if ((rc = qa_contours_run(in, &o, &G, r, err))) goto done;
    if ((rc = qa_landmarks_run(in, &o, r, err))) goto done;
  } else {
    set_check(r, REG_QA_CONTOURS, REG_QA_NOT_EVALUATED, "needs both courses' structure sets");
    set_check(r, REG_QA_LANDMARKS, REG_QA_NOT_EVALUATED, "needs both courses' structure sets");
  }
  /* overall: any failure fails; nothing tying the field to the anatomy = not evaluated */
  {
    int any_fail = 0, any_warn = 0;
    for (int c = 0; c < REG_QA_NCHECKS; c++) {
      any_fail |= r->check[c].status == REG_QA_FAIL;
      any_warn |= r->check[c].status == REG_QA_WARN;
    }
    int anatomy = r->check[REG_QA_SIMILARITY].status >= REG_QA_PASS || r->check[REG_QA_CONTOURS].status >= REG_QA_PASS ||
                  r->check[REG_QA_LANDMARKS].status >= REG_QA_PASS;
    r->overall = any_fail ? REG_QA_FAIL : !anatomy ? REG_QA_NOT_EVALUATED : any_warn ? REG_QA_WARN : REG_QA_PASS;
  }
  /* the uncertainty radius this QA supports, on the safe side of the tail: twice the mean
   * propagated-contour distance (for a 3-D error of independent normal components the 95th
   * percentile is 1.75 × the mean, so 2 × covers it) and, with ≥ 3 landmarks, the largest target
   * registration error; the larger of the two, rounded up to 0.5 mm, within [1, 10] mm. A mean
   * alone would leave the worst-case map short of the tail where the dose is steep.
   * Contours and landmarks only see the field where the images have edges; inside featureless
   * soft tissue (where dose edges often lie) the field is the model's interpolation, which no
   * check here measures (Nenoff et al., Phys Med Biol 2023;68:24TR01). So the radius is never
   * below the CTs' largest voxel dimension, the finest accuracy these checks can claim (the
   * scale of AAPM TG-132's DIR tolerances). Measured (bench/register, texture-free phantom):
   * contour distance 0.16 mm and largest TRE 0.57 mm gave 1 mm, the true error where the dose
   * is reached 1.75 mm and the worst case fell short of the true EQD2 by up to 3.8 Gy. */
  {
    double rad = NAN;
    char src[300] = "";
    double vox = 0;
    const rert_volume *cts[2] = {in->fixed_ct, in->moving_ct};
    for (int q = 0; q < 2; q++)
      if (cts[q])
        for (int a = 0; a < 3; a++) vox = fmax(vox, cts[q]->spacing_mm[a]);
    if (r->ncontours > 0 && isfinite(r->msd_mean_mm)) {
      rad = 2.0 * r->msd_mean_mm;
      snprintf(src, sizeof src, "2 x the mean surface distance of %d propagated contour%s (%.2f mm)", r->ncontours,
               r->ncontours > 1 ? "s" : "", r->msd_mean_mm);
    }
    if (r->npoints >= 3 && isfinite(r->tre_max_mm) && !(r->tre_max_mm <= rad)) {
      rad = r->tre_max_mm;
      snprintf(src, sizeof src, "largest target registration error of %d landmarks (%.2f mm)", r->npoints, r->tre_max_mm);
    }
    if (isfinite(rad) && vox > rad) {
      size_t len = strlen(src);
      snprintf(src + len, sizeof src - len, "; raised to the CTs' largest voxel dimension %.2f mm (contours and landmarks do not see featureless tissue)", vox);
      rad = vox;
    }
    if (isfinite(rad)) {
      rad = ceil(rad * 2 - 1e-9) / 2;
      if (rad < 1.0) rad = 1.0;
      if (rad > 10.0) rad = 10.0;
      r->radius_mm = rad;
      snprintf(r->radius_source, sizeof r->radius_source, "registration QA: %s", src);
    }
  }
done:
  free(W), free(defd);
  rtdata_free_vfield(&UG), rtdata_free_vfield(&RG), rtdata_free_vfield(&ZG), rtdata_free_vfield(&IG);
  volume_free(&FR), volume_free(&MS), volume_free(&WC), volume_free(&DJ);
  return rc;
}

void reg_qa_failed_ids(const reg_qa_report *r, char *buf, size_t n) {
  buf[0] = '\0';
  for (int c = 0; c < REG_QA_NCHECKS; c++) {
    if (r->check[c].status != REG_QA_FAIL) continue;
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len ? ", " : "", r->check[c].id);
  }
}

static void add_num(cJSON *o, const char *k, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
  else cJSON_AddNullToObject(o, k);
}

static cJSON *sim_json(const reg_qa_sim *s) {
  cJSON *o = cJSON_CreateObject();
  add_num(o, "ncc", s->ncc);
  add_num(o, "mean_abs_diff_hu", s->mad_hu);
  add_num(o, "nmi", s->nmi);
  cJSON_AddNumberToObject(o, "voxels", (double)s->n);
  return o;
}

cJSON *reg_qa_report_json(const reg_qa_report *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "overall", reg_qa_status_name(r->overall));
  cJSON *ch = cJSON_AddArrayToObject(o, "checks");
  for (int c = 0; c < REG_QA_NCHECKS; c++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", r->check[c].id);
    cJSON_AddStringToObject(e, "status", reg_qa_status_name(r->check[c].status));
    cJSON_AddStringToObject(e, "detail", r->check[c].detail);
    cJSON_AddItemToArray(ch, e);
  }
  cJSON_AddNumberToObject(o, "region_voxels", (double)r->region_voxels);
  add_num(o, "coverage_field_pct", r->coverage_field_pct);
  add_num(o, "coverage_moving_pct", r->coverage_moving_pct);
  add_num(o, "jacobian_min", r->detj_min);
  add_num(o, "jacobian_max", r->detj_max);
  cJSON_AddNumberToObject(o, "folded_voxels", (double)r->folded);
  add_num(o, "deformation_beyond_rigid_mean_mm", r->deform_mean_mm);
  cJSON *s = cJSON_AddObjectToObject(o, "similarity");
  cJSON_AddItemToObject(s, "none", sim_json(&r->sim_identity));
  cJSON_AddItemToObject(s, "rigid", sim_json(&r->sim_rigid));
  cJSON_AddItemToObject(s, "field", sim_json(&r->sim_field));
  cJSON_AddItemToObject(s, "inverse_field", sim_json(&r->sim_inverse));
  cJSON *m = cJSON_AddArrayToObject(o, "rigid_baseline_fixed_to_moving");
  for (int q = 0; q < 16; q++) cJSON_AddItemToArray(m, cJSON_CreateNumber(r->rigid_fixed_to_moving[q]));
  cJSON_AddBoolToObject(o, "rigid_baseline_computed", r->rigid_computed);
  cJSON *cs = cJSON_AddArrayToObject(o, "contours");
  for (int q = 0; q < r->ncontours; q++) {
    const reg_qa_contour *c = &r->contour[q];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "structure", c->name);
    add_num(e, "volume_cc", c->volume_cc);
    add_num(e, "dice_rigid", c->dice_rigid);
    add_num(e, "dice", c->dice);
    add_num(e, "mean_distance_rigid_mm", c->msd_rigid_mm);
    add_num(e, "mean_distance_mm", c->msd_mm);
    cJSON_AddItemToArray(cs, e);
  }
  add_num(o, "dice_mean", r->dice_mean);
  add_num(o, "dice_rigid_mean", r->dice_rigid_mean);
  add_num(o, "mean_distance_mm", r->msd_mean_mm);
  add_num(o, "mean_distance_rigid_mm", r->msd_rigid_mean_mm);
  cJSON *ls = cJSON_AddArrayToObject(o, "landmarks");
  for (int q = 0; q < r->npoints; q++) {
    const reg_qa_point *p = &r->point[q];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", p->name);
    add_num(e, "tre_rigid_mm", p->tre_rigid_mm);
    add_num(e, "tre_mm", p->tre_mm);
    cJSON_AddItemToArray(ls, e);
  }
  add_num(o, "tre_mean_mm", r->tre_mean_mm);
  add_num(o, "tre_max_mm", r->tre_max_mm);
  add_num(o, "tre_rigid_mean_mm", r->tre_rigid_mean_mm);
  add_num(o, "radius_mm", r->radius_mm);
  cJSON_AddStringToObject(o, "radius_source", r->radius_source);
  return o;
}

void reg_qa_report_print(const reg_qa_report *r, const char *indent, FILE *f) {
  fprintf(f, "%sQA overall   %s\n", indent, reg_qa_status_name(r->overall));
  for (int c = 0; c < REG_QA_NCHECKS; c++)
    fprintf(f, "%s  %-10s %-13s %s\n", indent, r->check[c].id, reg_qa_status_name(r->check[c].status), r->check[c].detail);
  for (int q = 0; q < r->ncontours; q++) {
    const reg_qa_contour *c = &r->contour[q];
    fprintf(f, "%s    %-16s %7.1f cc  Dice %.3f (rigid %.3f)  mean distance %.2f mm (rigid %.2f)\n", indent, c->name,
            c->volume_cc, c->dice, c->dice_rigid, c->msd_mm, c->msd_rigid_mm);
  }
  for (int q = 0; q < r->npoints; q++)
    fprintf(f, "%s    %-16s TRE %.2f mm (rigid %.2f)\n", indent, r->point[q].name, r->point[q].tre_mm, r->point[q].tre_rigid_mm);
  if (isfinite(r->radius_mm)) fprintf(f, "%s  radius     %.1f mm (%s)\n", indent, r->radius_mm, r->radius_source);
}
