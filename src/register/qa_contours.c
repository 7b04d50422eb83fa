/* qa_contours.c — anatomy-based registration QA (AAPM TG-132 §IV): the organs contoured in both
 * courses, carried by the field from the moving course onto the reference (Dice similarity and
 * mean surface distance against the reference contour, with the rigid baseline beside it), and
 * the target registration error of POINT ROIs (fiducials) present in both structure sets.
 *
 * Per organ: the reference contour is rasterised (geom, occupancy ≥ 0.5) on a grid of
 * `eval_mm` over its box + 10 mm inside the region; the moving contour's occupancy is
 * rasterised on its own box in moving coordinates and read at x + u(x) (trilinear, ≥ 0.5: the
 * partial-volume-fair rule of reg_warp_mask). Voxels whose moving point lies outside the moving
 * CT count for neither. Surface distances come from ITK's signed Maurer distance maps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "register/reg_internal.h"
#include "register/reg_itk.h"
#include "register/reg_qa_internal.h"
#include "rert/geom.h"

static const char *roi_key(const rert_roi *r) { return r->tg263_name[0] ? r->tg263_name : r->name; }

static int same_key(const rert_roi *a, const rert_roi *b) {
  const char *ka = roi_key(a);
  return strcasecmp(ka, roi_key(b)) == 0 || strcasecmp(ka, b->name) == 0 || strcasecmp(a->name, b->name) == 0;
}

static int is_point_roi(const rert_roi *r) {
  for (int c = 0; c < r->ncontours; c++)
    if (r->contours[c].type == CONTOUR_POINT && r->contours[c].npoints >= 1) return 1;
  return 0;
}

static int organ_roi(const rert_roi *r) {
  const char *t = r->interpreted_type, *n = roi_key(r);
  if (!strcasecmp(t, "EXTERNAL") || !strcasecmp(t, "MARKER") || !strcasecmp(t, "GTV") || !strcasecmp(t, "CTV") ||
      !strcasecmp(t, "PTV") || !strcasecmp(t, "ITV") || !strcasecmp(t, "REGISTRATION") || !strcasecmp(t, "ISOCENTER"))
    return 0;
  /* targets change between courses by definition; the body outline is dominated by its volume */
  static const char *pre[] = {"GTV", "CTV", "PTV", "ITV", "BODY", "External", "Skin", NULL};
  for (int q = 0; pre[q]; q++)
    if (!strncasecmp(n, pre[q], strlen(pre[q])) || !strncasecmp(r->name, pre[q], strlen(pre[q]))) return 0;
  for (int c = 0; c < r->ncontours; c++)
    if (r->contours[c].type == CONTOUR_CLOSED_PLANAR && r->contours[c].npoints >= 3) return 1;
  return 0;
}

static const rert_roi *find_match(const rert_structure_set *s, const rert_roi *a, int (*pred)(const rert_roi *)) {
  for (int q = 0; q < s->nrois; q++)
    if (pred(&s->rois[q]) && same_key(a, &s->rois[q])) return &s->rois[q];
  return NULL;
}

/* axis-aligned grid of spacing h over [lo, hi] */
static void box_grid(const double lo[3], const double hi[3], double h, rert_volume *g) {
  memset(g, 0, sizeof *g);
  int *n[3] = {&g->nx, &g->ny, &g->nz};
  for (int a = 0; a < 3; a++) {
    *n[a] = (int)floor((hi[a] - lo[a]) / h) + 1;
    if (*n[a] < 1) *n[a] = 1;
    g->origin_mm[a] = lo[a];
    g->spacing_mm[a] = h;
  }
  g->dir[0] = g->dir[4] = g->dir[8] = 1;
}

static int occupancy(const rert_roi *roi, const rert_volume *g, rert_volume *out, rert_err *err) {
  rert_mask m;
  int rc = geom_mask_from_roi(roi, g, NULL, &m, err);
  if (rc) return rc;
  rc = geom_mask_to_volume(&m, out, err);
  geom_mask_free(&m);
  return rc;
}

typedef struct { double dice, msd; size_t na; } overlap;

/* Dice and symmetric mean surface distance of binary masks a, b on grid g */
static int compare(const rert_volume *g, const unsigned char *a, const unsigned char *b, overlap *ov, rert_err *err) {
  size_t n = volume_count(g), na = 0, nb = 0, nab = 0;
  for (size_t q = 0; q < n; q++) na += a[q], nb += b[q], nab += a[q] && b[q];
  ov->na = na;
  ov->dice = na + nb ? 2.0 * nab / (double)(na + nb) : NAN;
  ov->msd = NAN;
  if (!na || !nb) return RERT_OK;
  rert_volume va, vb, da, db;
  memset(&da, 0, sizeof da), memset(&db, 0, sizeof db);
  int rc = volume_alloc_like(&va, g, err);
  if (rc) return rc;
  rc = volume_alloc_like(&vb, g, err);
  if (rc) {
    volume_free(&va);
    return rc;
  }
  for (size_t q = 0; q < n; q++) va.data[q] = a[q], vb.data[q] = b[q];
  rc = reg_itk_signed_distance(&va, &da, err);
  if (!rc) rc = reg_itk_signed_distance(&vb, &db, err);
  if (!rc) {
    double s = 0;
    size_t cnt = 0;
    int nn[3] = {g->nx, g->ny, g->nz};
    size_t st[3] = {1, (size_t)g->nx, (size_t)g->nx * g->ny};
    for (int k = 0; k < g->nz; k++)
      for (int j = 0; j < g->ny; j++)
        for (int i = 0; i < g->nx; i++) {
          size_t q = i + st[1] * j + st[2] * k;
          int ijk[3] = {i, j, k};
          for (int side = 0; side < 2; side++) {
            const unsigned char *m = side ? b : a;
            if (!m[q]) continue;
            int edge = 0;
            for (int ax = 0; ax < 3 && !edge; ax++) {
              if (ijk[ax] > 0 && !m[q - st[ax]]) edge = 1;
              if (ijk[ax] < nn[ax] - 1 && !m[q + st[ax]]) edge = 1;
            }
            if (!edge) continue;
            s += fabs((side ? da : db).data[q]);
            cnt++;
          }
        }
    ov->msd = cnt ? s / cnt : NAN;
  }
  volume_free(&va), volume_free(&vb), volume_free(&da), volume_free(&db);
  return rc;
}

int qa_contours_run(const reg_qa_input *in, const reg_qa_opts *o, const rert_volume *G, reg_qa_report *r, rert_err *err) {
  double glo[3] = {INFINITY, INFINITY, INFINITY}, ghi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int c = 0; c < 8; c++) {
    double p[3] = {c & 1 ? G->nx - 1 : 0, c & 2 ? G->ny - 1 : 0, c & 4 ? G->nz - 1 : 0}, x[3];
    volume_index_to_world(G, p, x);
    for (int a = 0; a < 3; a++) glo[a] = fmin(glo[a], x[a]), ghi[a] = fmax(ghi[a], x[a]);
  }
  reg_grid gm, gu;
  if (in->moving_ct) reg_grid_from_volume(&gm, in->moving_ct);
  reg_grid_from_vfield(&gu, in->field);
  const double *M = r->rigid_fixed_to_moving;
  double wsum = 0, dsum = 0, drsum = 0, msum = 0, mrsum = 0;
  int nwarn = 0;
  char warn_names[200] = "";
  for (int q = 0; q < in->ss_fixed->nrois && r->ncontours < REG_QA_MAX_CONTOURS; q++) {
    const rert_roi *A = &in->ss_fixed->rois[q];
    if (!organ_roi(A)) continue;
    const rert_roi *B = find_match(in->ss_moving, A, organ_roi);
    if (!B) continue;
    rert_roi_info ia, ib;
    rert_err e2;
    if (geom_roi_info(A, 0, &ia, &e2) || geom_roi_info(B, 0, &ib, &e2)) continue;
    double lo[3], hi[3], blo[3], bhi[3];
    int empty = 0;
    for (int a = 0; a < 3; a++) {
      lo[a] = fmax(ia.bbox_lo_mm[a] - 10, glo[a]);
      hi[a] = fmin(ia.bbox_hi_mm[a] + 10, ghi[a]);
      if (hi[a] <= lo[a]) empty = 1;
      blo[a] = ib.bbox_lo_mm[a] - 10, bhi[a] = ib.bbox_hi_mm[a] + 10;
    }
    if (empty) continue;
    rert_volume GA, GB, OA, OB;
    box_grid(lo, hi, o->eval_mm, &GA);
    box_grid(blo, bhi, o->eval_mm, &GB);
    memset(&OA, 0, sizeof OA), memset(&OB, 0, sizeof OB);
    int rc = occupancy(A, &GA, &OA, err);
    if (!rc) rc = occupancy(B, &GB, &OB, err);
    if (rc) {
      volume_free(&OA), volume_free(&OB);
      return rert_err_prefix(err, rc, "regqa: contour %s", A->name);
    }
    size_t n = volume_count(&GA);
    unsigned char *a_f = malloc(n), *b_f = malloc(n), *a_r = malloc(n), *b_r = malloc(n);
    if (!a_f || !b_f || !a_r || !b_r) {
      free(a_f), free(b_f), free(a_r), free(b_r), volume_free(&OA), volume_free(&OB);
      return rert_err_set(err, RERT_EINTERNAL, "regqa: out of memory");
    }
    reg_grid ga, gb;
    reg_grid_from_volume(&ga, &GA);
    reg_grid_from_volume(&gb, &OB);
#pragma omp parallel for schedule(static)
    for (int k = 0; k < GA.nz; k++)
      for (int j = 0; j < GA.ny; j++)
        for (int i = 0; i < GA.nx; i++) {
          size_t idx = i + (size_t)GA.nx * (j + (size_t)GA.ny * k);
          double x[3], p[3], u[3], yf[3], yr[3];
          reg_grid_world(&ga, i, j, k, x);
          reg_grid_index(&gu, x, p);
          reg_interp_vec(in->field->u_mm, gu.n, p, u);
          for (int a = 0; a < 3; a++) yf[a] = x[a] + u[a];
          reg_affine_apply(M, x, yr);
          int ina = OA.data[idx] >= 0.5f;
          for (int cand = 0; cand < 2; cand++) {
            const double *y = cand ? yr : yf;
            int valid = 1;
            if (in->moving_ct) {
              reg_grid_index(&gm, y, p);
              for (int a = 0; a < 3; a++) valid &= p[a] >= -0.5 && p[a] <= gm.n[a] - 0.5;
            }
            reg_grid_index(&gb, y, p);
            int inb = valid && reg_interp_scalar(OB.data, gb.n, p, 0.0f) >= 0.5f;
            (cand ? a_r : a_f)[idx] = (unsigned char)(valid && ina);
            (cand ? b_r : b_f)[idx] = (unsigned char)inb;
          }
        }
    overlap of, orr;
    rc = compare(&GA, a_f, b_f, &of, err);
    if (!rc) rc = compare(&GA, a_r, b_r, &orr, err);
    free(a_f), free(b_f), free(a_r), free(b_r), volume_free(&OA), volume_free(&OB);
    if (rc) return rc;
    double vcc = of.na * o->eval_mm * o->eval_mm * o->eval_mm / 1000.0;
    if (vcc < 0.5 || !isfinite(of.dice)) continue;
    reg_qa_contour *c = &r->contour[r->ncontours++];
    snprintf(c->name, sizeof c->name, "%s", roi_key(A));
    c->volume_cc = vcc;
    c->dice = of.dice, c->dice_rigid = orr.dice, c->msd_mm = of.msd, c->msd_rigid_mm = orr.msd;
    wsum += vcc;
    dsum += vcc * of.dice, drsum += vcc * (isfinite(orr.dice) ? orr.dice : 0);
    msum += isfinite(of.msd) ? of.msd : 0, mrsum += isfinite(orr.msd) ? orr.msd : 0;
    if ((vcc >= 5 && of.dice < o->dice_warn) || of.msd > o->msd_warn_mm) {
      nwarn++;
      size_t len = strlen(warn_names);
      snprintf(warn_names + len, sizeof warn_names - len, "%s%s", len ? ", " : "", c->name);
    }
  }
  if (!r->ncontours) {
    qa_set_check(r, REG_QA_CONTOURS, REG_QA_NA, "no organ contoured in both courses within the region");
    return RERT_OK;
  }
  r->dice_mean = dsum / wsum, r->dice_rigid_mean = drsum / wsum;
  r->msd_mean_mm = msum / r->ncontours, r->msd_rigid_mean_mm = mrsum / r->ncontours;
  int worse = r->dice_mean < r->dice_rigid_mean - o->dice_drop_tol || r->msd_mean_mm > r->msd_rigid_mean_mm + o->msd_rise_tol_mm;
  char buf[400];
  snprintf(buf, sizeof buf,
           "%d organ%s contoured in both courses: volume-weighted Dice %.3f (rigid %.3f), mean surface distance %.2f mm (rigid %.2f)%s%s%s",
           r->ncontours, r->ncontours > 1 ? "s" : "", r->dice_mean, r->dice_rigid_mean, r->msd_mean_mm, r->msd_rigid_mean_mm,
           worse ? " — the field carries the contours worse than the rigid baseline" : "",
           !worse && nwarn ? "; below tolerance (Dice < 0.8 or distance > 3 mm): " : "", !worse && nwarn ? warn_names : "");
  qa_set_check(r, REG_QA_CONTOURS, worse ? REG_QA_FAIL : nwarn ? REG_QA_WARN : REG_QA_PASS, buf);
  return RERT_OK;
}

int qa_landmarks_run(const reg_qa_input *in, const reg_qa_opts *o, reg_qa_report *r, rert_err *err) {
  (void)err;
  const double *M = r->rigid_fixed_to_moving;
  double s = 0, sr = 0, mx = 0;
  int outside = 0;
  for (int q = 0; q < in->ss_fixed->nrois && r->npoints < REG_QA_MAX_POINTS; q++) {
    const rert_roi *A = &in->ss_fixed->rois[q];
    if (!is_point_roi(A)) continue;
    const rert_roi *B = find_match(in->ss_moving, A, is_point_roi);
    if (!B) continue;
    const double *p = NULL, *qm = NULL;
    for (int c = 0; c < A->ncontours && !p; c++)
      if (A->contours[c].type == CONTOUR_POINT && A->contours[c].npoints >= 1) p = A->contours[c].xyz_mm;
    for (int c = 0; c < B->ncontours && !qm; c++)
      if (B->contours[c].type == CONTOUR_POINT && B->contours[c].npoints >= 1) qm = B->contours[c].xyz_mm;
    double u[3], y[3];
    if (!reg_vfield_sample(in->field, p, u)) {
      outside++;
      continue;
    }
    reg_affine_apply(M, p, y);
    double e = 0, er = 0;
    for (int a = 0; a < 3; a++) {
      e += (p[a] + u[a] - qm[a]) * (p[a] + u[a] - qm[a]);
      er += (y[a] - qm[a]) * (y[a] - qm[a]);
    }
    reg_qa_point *pt = &r->point[r->npoints++];
    snprintf(pt->name, sizeof pt->name, "%s", roi_key(A));
    memcpy(pt->fixed_mm, p, sizeof pt->fixed_mm);
    memcpy(pt->moving_mm, qm, sizeof pt->moving_mm);
    pt->tre_mm = sqrt(e), pt->tre_rigid_mm = sqrt(er);
    s += pt->tre_mm, sr += pt->tre_rigid_mm;
    mx = fmax(mx, pt->tre_mm);
  }
  char buf[400];
  if (!r->npoints) {
    snprintf(buf, sizeof buf, "no POINT ROIs with the same name in both structure sets%s",
             outside ? " inside the field's grid" : "");
    qa_set_check(r, REG_QA_LANDMARKS, REG_QA_NA, buf);
    return RERT_OK;
  }
  r->tre_mean_mm = s / r->npoints, r->tre_rigid_mean_mm = sr / r->npoints, r->tre_max_mm = mx;
  int worse = r->tre_mean_mm > r->tre_rigid_mean_mm + o->tre_rise_tol_mm && r->tre_mean_mm > 1.0;
  int warn = r->tre_mean_mm > o->tre_warn_mm;
  snprintf(buf, sizeof buf, "%d landmark%s: TRE mean %.2f mm, max %.2f mm (rigid mean %.2f mm)%s%s", r->npoints,
           r->npoints > 1 ? "s" : "", r->tre_mean_mm, r->tre_max_mm, r->tre_rigid_mean_mm,
           worse ? " — worse than the rigid baseline" : warn ? " — above the 2 mm tolerance" : "",
           outside ? " (landmarks outside the field's grid skipped)" : "");
  qa_set_check(r, REG_QA_LANDMARKS, worse ? REG_QA_FAIL : warn ? REG_QA_WARN : REG_QA_PASS, buf);
  return RERT_OK;
}
