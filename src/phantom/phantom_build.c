/* phantom_build.c — the synthetic patient's RT objects in memory (CT series, RTSTRUCT, RTDOSE,
 * RTPLAN per course; ground-truth deformable registration between courses), ready for the io
 * writers. See docs/phantom.md for what each object contains.
 *
 * Voxel loops run over (k, j) in parallel with i fastest; every voxel is a closed-form function
 * of its position (and, for CT noise, of a hash of its index), so output does not depend on the
 * thread count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantom/phantom_internal.h"

#define SOP_CT "1.2.840.10008.5.1.4.1.1.2"
#define SOP_RTSTRUCT "1.2.840.10008.5.1.4.1.1.481.3"
#define SOP_RTDOSE "1.2.840.10008.5.1.4.1.1.481.2"
#define SOP_RTPLAN "1.2.840.10008.5.1.4.1.1.481.5"
#define SOP_DEFORMABLE_REG "1.2.840.10008.5.1.4.1.1.66.3"

static void date_dicom(rert_date d, char out[9]) {
  unsigned y = (unsigned)d.year % 10000u, mo = (unsigned)d.month % 100u, dd = (unsigned)d.day % 100u;
  snprintf(out, 9, "%04u%02u%02u", y, mo, dd);
}

static void uid_for(const rert_phantom_model *m, int c, const char *what, char out[RERT_UID_LEN]) {
  char label[96];
  snprintf(label, sizeof label, "%s/%s", m->course[c].id, what);
  phantom_uid(m->seed, label, out);
}

static void ident_fill(const rert_phantom_model *m, int c, rert_dicom_ident *id,
                       const char *modality, const char *sop_class, const char *what,
                       const char *description) {
  memset(id, 0, sizeof *id);
  snprintf(id->modality, sizeof id->modality, "%s", modality);
  snprintf(id->sop_class_uid, sizeof id->sop_class_uid, "%s", sop_class);
  char lbl[64];
  snprintf(lbl, sizeof lbl, "%s/sop", what);
  uid_for(m, c, lbl, id->sop_instance_uid);
  snprintf(lbl, sizeof lbl, "%s/series", what);
  uid_for(m, c, lbl, id->series_instance_uid);
  uid_for(m, c, "study", id->study_instance_uid);
  uid_for(m, c, "frame", id->frame_of_reference_uid);
  snprintf(id->patient_id, sizeof id->patient_id, "%s", m->patient_id);
  snprintf(id->patient_name, sizeof id->patient_name, "%s", m->patient_name);
  date_dicom(m->birth_date, id->patient_birth_date);
  snprintf(id->patient_sex, sizeof id->patient_sex, "%s", m->patient_sex);
  date_dicom(m->course[c].ct_date, id->study_date);
  snprintf(id->series_description, sizeof id->series_description, "%s", description);
}

static void grid_to_volume(const rert_phantom_grid *g, rert_volume *v) {
  memset(v, 0, sizeof *v);
  v->nx = g->nx, v->ny = g->ny, v->nz = g->nz;
  for (int a = 0; a < 3; a++) v->origin_mm[a] = g->origin_mm[a], v->spacing_mm[a] = g->spacing_mm[a];
  volume_set_identity_dir(v);
}

/* Deterministic noise in [−√3σ·…]: sum of two uniforms (triangular), scaled to s.d. `sd`. */
static float noise_hu(unsigned long long seed, int c, size_t idx, double sd) {
  unsigned long long z = seed * 0x9E3779B97F4A7C15ULL + (unsigned long long)idx * 0xD1B54A32D192ED03ULL +
                         (unsigned long long)(c + 1) * 0x8CB92BA72F3D8DD7ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  double u1 = (double)(z >> 40) / (double)(1ULL << 24), u2 = (double)(z & 0xFFFFFF) / (double)(1 << 24);
  return (float)((u1 + u2 - 1.0) * sd * sqrt(6.0)); /* var(u1+u2−1) = 1/6 */
}

static int build_ct(const rert_phantom_model *m, int c, rert_image_series *s, rert_err *err) {
  const rert_phantom_course *k = &m->course[c];
  memset(s, 0, sizeof *s);
  ident_fill(m, c, &s->ident, "CT", SOP_CT, "ct", "Planning CT (rert phantom)");
  grid_to_volume(&k->ct, &s->image);
  s->image.meta.quantity = QTY_IMAGE;
  int rc = volume_alloc(&s->image, err);
  if (rc) return rc;
  s->nslices = k->ct.nz;
  s->slice_sop_uids = calloc((size_t)k->ct.nz, RERT_UID_LEN);
  if (!s->slice_sop_uids) return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory");
  for (int z = 0; z < k->ct.nz; z++) {
    char lbl[48];
    snprintf(lbl, sizeof lbl, "ct/slice/%d", z);
    uid_for(m, c, lbl, s->slice_sop_uids[z]);
  }
  /* slice 0 carries the series' first SOP instance */
  snprintf(s->ident.sop_instance_uid, sizeof s->ident.sop_instance_uid, "%s", s->slice_sop_uids[0]);
  const int nx = k->ct.nx, ny = k->ct.ny, nz = k->ct.nz;
  float *data = s->image.data;
  phantom_grid_map gm;
  rc = phantom_grid_map_init(m, c, &k->ct, &gm, err);
  if (rc) return rc;
#pragma omp parallel for collapse(2) schedule(static)
  for (int z = 0; z < nz; z++)
    for (int j = 0; j < ny; j++) {
      for (int i = 0; i < nx; i++) {
        double y[3];
        phantom_grid_map_apply(m, c, &k->ct, &gm, i, j, z, y);
        size_t idx = (size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * z);
        double hu = phantom_hu_course1(m, y);
        if (hu > -1000.0) hu += noise_hu(m->seed, c, idx, m->noise_hu);
        if (hu < -1000.0) hu = -1000.0;
        data[idx] = (float)nearbyint(hu); /* integer HU: what a 16-bit CT stores */
      }
    }
  phantom_grid_map_free(&gm);
  return RERT_OK;
}

/* Box that contains ROI r in course c: its course-own bounding box, widened by the largest
 * displacement the map to course c can make there (6 % scaling + ≤ 12 mm bumps). */
void phantom_roi_box(const rert_phantom_model *m, int r, int c, double box[4], double zr[2],
                     double *width_mm) {
  const rert_phantom_roi *roi = &m->roi[r];
  double lo[3] = {1e9, 1e9, 1e9}, hi[3] = {-1e9, -1e9, -1e9};
  for (int p = 0; p < roi->nparts; p++) {
    const rert_phantom_prim *q = &roi->part[p];
    double l[3], h[3];
    if (q->kind == PRIM_ELLIPSOID) {
      double rmax = fmax(q->semi[0], fmax(q->semi[1], q->semi[2]));
      for (int a = 0; a < 3; a++) l[a] = q->centre[a] - rmax, h[a] = q->centre[a] + rmax;
    } else if (q->kind == PRIM_LOFT) {
      l[0] = l[1] = 1e9, h[0] = h[1] = -1e9;
      for (int n = 0; n < q->nknots; n++) {
        l[0] = fmin(l[0], q->kcx[n] - q->ka[n]), h[0] = fmax(h[0], q->kcx[n] + q->ka[n]);
        l[1] = fmin(l[1], q->kcy[n] - q->kb[n]), h[1] = fmax(h[1], q->kcy[n] + q->kb[n]);
      }
      l[2] = q->kz[0], h[2] = q->kz[q->nknots - 1];
    } else {
      l[0] = q->centre[0] - q->semi[0], h[0] = q->centre[0] + q->semi[0];
      l[1] = q->centre[1] - q->semi[1], h[1] = q->centre[1];
      l[2] = q->z0, h[2] = q->z1;
    }
    for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], l[a]), hi[a] = fmax(hi[a], h[a]);
  }
  *width_mm = fmin(hi[0] - lo[0], hi[1] - lo[1]);
  int own = roi->course == 0 ? 0 : roi->course - 1;
  double pad = 3.0;
  if (own != c) {
    double ext = fmax(fmax(fabs(lo[0]), fabs(hi[0])), fmax(fabs(lo[1]), fabs(hi[1])));
    pad += 0.08 * ext + 15.0;
  }
  box[0] = lo[0] - pad, box[1] = hi[0] + pad, box[2] = lo[1] - pad, box[3] = hi[1] + pad;
  zr[0] = lo[2] - (own != c ? 15.0 : 0.0), zr[1] = hi[2] + (own != c ? 15.0 : 0.0);
}

static int build_rtstruct(const rert_phantom_model *m, int c, const rert_image_series *ct,
                          rert_structure_set *ss, rert_err *err) {
  const rert_phantom_course *k = &m->course[c];
  memset(ss, 0, sizeof *ss);
  ident_fill(m, c, &ss->ident, "RTSTRUCT", SOP_RTSTRUCT, "rtstruct", "Structures (rert phantom)");
  snprintf(ss->label, sizeof ss->label, "RS_%s", k->id);
  snprintf(ss->referenced_series_uid, sizeof ss->referenced_series_uid, "%s",
           ct->ident.series_instance_uid);
  ss->rois = calloc(PHANTOM_MAX_ROIS, sizeof *ss->rois);
  if (!ss->rois) return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory");
  int rc = RERT_OK;
  for (int r = 0; r < m->nrois && rc == RERT_OK; r++) {
    const rert_phantom_roi *pr = &m->roi[r];
    if (pr->course != 0 && pr->course != c + 1) continue;
    rert_roi *o = &ss->rois[ss->nrois++];
    o->number = ss->nrois;
    snprintf(o->name, sizeof o->name, "%s", pr->name);
    snprintf(o->tg263_name, sizeof o->tg263_name, "%s", pr->name);
    snprintf(o->interpreted_type, sizeof o->interpreted_type, "%s", pr->type);
    snprintf(o->generation_algorithm, sizeof o->generation_algorithm, "AUTOMATIC");
    snprintf(o->frame_of_reference_uid, sizeof o->frame_of_reference_uid, "%s",
             ct->ident.frame_of_reference_uid);
    memcpy(o->color_rgb, pr->rgb, 3);
    double box[4], zr[2];
    double w;
    phantom_roi_box(m, r, c, box, zr, &w);
    double step = fmin(1.5, fmax(0.3, w / 40.0)); /* ≥ 40 samples across the ROI */
    /* one contour list per slice, filled in parallel, then concatenated in slice order */
    int nz = k->ct.nz;
    rert_contour **per = calloc((size_t)nz, sizeof *per);
    int *nper = calloc((size_t)nz, sizeof *nper);
    int *rcs = calloc((size_t)nz, sizeof *rcs);
    if (!per || !nper || !rcs) {
      free(per), free(nper), free(rcs);
      return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory");
    }
#pragma omp parallel for schedule(dynamic)
    for (int z = 0; z < nz; z++) {
      double zz = k->ct.origin_mm[2] + z * k->ct.spacing_mm[2];
      if (zz < zr[0] - 1 || zz > zr[1] + 1) continue;
      rert_err e;
      rcs[z] = phantom_contour_slice(m, r, c, zz, step, box, &per[z], &nper[z], &e);
    }
    int total = 0;
    for (int z = 0; z < nz; z++) {
      if (rcs[z]) rc = rert_err_set(err, rcs[z], "phantom: %s: contouring failed", pr->name);
      total += nper[z];
    }
    o->contours = calloc(total > 0 ? (size_t)total : 1, sizeof *o->contours);
    if (!o->contours && rc == RERT_OK) rc = rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory");
    for (int z = 0; z < nz; z++) {
      for (int q = 0; q < nper[z]; q++) {
        if (o->contours) o->contours[o->ncontours++] = per[z][q];
        else free(per[z][q].xyz_mm);
      }
      free(per[z]);
    }
    free(per), free(nper), free(rcs);
  }
  return rc;
}

static int build_rtdose(const rert_phantom_model *m, int c, const rert_rtplan *plan,
                        rert_rtdose *d, rert_err *err) {
  const rert_phantom_course *k = &m->course[c];
  memset(d, 0, sizeof *d);
  ident_fill(m, c, &d->ident, "RTDOSE", SOP_RTDOSE, "rtdose", "Plan dose (rert phantom)");
  grid_to_volume(&k->dose, &d->dose);
  d->dose.meta.quantity = QTY_PHYSICAL;
  d->dose.meta.rbe = RBE_PHYSICAL;
  d->dose.meta.rbe_factor = 1.0;
  d->dose.meta.alpha_beta_gy = NAN;
  d->dose.meta.fractions = k->fractions;
  snprintf(d->dose.meta.provenance, sizeof d->dose.meta.provenance, "%s", k->id);
  snprintf(d->dose.meta.description, sizeof d->dose.meta.description,
           "physical dose, %s, %.0f Gy in %d fractions (rert phantom)", k->id, k->prescription_gy,
           k->fractions);
  d->units = DOSE_UNITS_GY;
  d->type = DOSE_TYPE_PHYSICAL;
  d->summation = SUM_PLAN;
  snprintf(d->referenced_plan_uid, sizeof d->referenced_plan_uid, "%s",
           plan->ident.sop_instance_uid);
  d->referenced_fraction_group = 1;
  snprintf(d->dose_comment, sizeof d->dose_comment, "%s", d->dose.meta.description);
  int rc = volume_alloc(&d->dose, err);
  if (rc) return rc;
  const int nx = k->dose.nx, ny = k->dose.ny, nz = k->dose.nz;
  float *data = d->dose.data;
#pragma omp parallel for collapse(2) schedule(static)
  for (int z = 0; z < nz; z++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        double x[3] = {k->dose.origin_mm[0] + i * k->dose.spacing_mm[0],
                       k->dose.origin_mm[1] + j * k->dose.spacing_mm[1],
                       k->dose.origin_mm[2] + z * k->dose.spacing_mm[2]};
        data[(size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * z)] =
            (float)phantom_dose_gy(m, c, x);
      }
  return RERT_OK;
}

static int build_rtplan(const rert_phantom_model *m, int c, const rert_structure_set *ss,
                        rert_rtplan *p, rert_err *err) {
  const rert_phantom_course *k = &m->course[c];
  memset(p, 0, sizeof *p);
  ident_fill(m, c, &p->ident, "RTPLAN", SOP_RTPLAN, "rtplan", "Plan (rert phantom)");
  snprintf(p->label, sizeof p->label, "%s_%.0fGy", k->id, k->prescription_gy);
  snprintf(p->name, sizeof p->name, "%s %s %.0f Gy/%d fx", k->id, k->technique, k->prescription_gy,
           k->fractions);
  p->modality = MOD_PHOTON;
  p->nfraction_groups = 1;
  p->fraction_groups = calloc(1, sizeof *p->fraction_groups);
  p->nprescriptions = k->nlevels;
  p->prescriptions = calloc((size_t)k->nlevels, sizeof *p->prescriptions);
  if (!p->fraction_groups || !p->prescriptions)
    return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory");
  p->fraction_groups[0].number = 1;
  p->fraction_groups[0].fractions_planned = k->fractions;
  /* static-field IMRT: 7 coplanar beams; SBRT: 9 (io writes minimal beams with RadiationType) */
  p->fraction_groups[0].nbeams = strcmp(k->technique, "SBRT") == 0 ? 9 : 7;
  for (int l = 0; l < k->nlevels; l++) {
    rert_prescription *rx = &p->prescriptions[l];
    rx->target_dose_gy = k->level[l].dose_gy;
    const char *nm = m->roi[k->level[l].roi].name;
    const rert_roi *roi = rtdata_find_roi(ss, nm);
    rx->referenced_roi_number = roi ? roi->number : 0;
    snprintf(rx->description, sizeof rx->description, "%s %.0f Gy", nm, k->level[l].dose_gy);
  }
  snprintf(p->referenced_structure_set_uid, sizeof p->referenced_structure_set_uid, "%s",
           ss->ident.sop_instance_uid);
  p->has_plan_date = 1;
  p->plan_date = date_from_days(date_to_days(k->start_date) - 3);
  p->has_treatment_dates = 1;
  p->first_treatment_date = k->start_date;
  p->last_treatment_date = k->end_date;
  return RERT_OK;
}

int phantom_build_course(const rert_phantom_model *m, int c, rert_phantom_course_data *out,
                         rert_err *err) {
  memset(out, 0, sizeof *out);
  if (c < 0 || c >= m->ncourses)
    return rert_err_set(err, RERT_EINPUT, "phantom: no course %d", c + 1);
  int rc = build_ct(m, c, &out->ct, err);
  if (!rc) rc = build_rtstruct(m, c, &out->ct, &out->rtstruct, err);
  if (!rc) rc = build_rtplan(m, c, &out->rtstruct, &out->rtplan, err);
  if (!rc) rc = build_rtdose(m, c, &out->rtplan, &out->rtdose, err);
  if (rc) phantom_course_data_free(out);
  return rc;
}

void phantom_course_data_free(rert_phantom_course_data *d) {
  if (!d) return;
  rtdata_free_image_series(&d->ct);
  rtdata_free_structure_set(&d->rtstruct);
  rtdata_free_rtdose(&d->rtdose);
  rtdata_free_rtplan(&d->rtplan);
}

int phantom_build_registration(const rert_phantom_model *m, int from, int to,
                               rert_deformable_registration *r, rert_err *err) {
  memset(r, 0, sizeof *r);
  if (from < 0 || to < 0 || from >= m->ncourses || to >= m->ncourses || from == to)
    return rert_err_set(err, RERT_EINPUT, "phantom: no registration course%d → course%d", from + 1,
                        to + 1);
  char what[48];
  snprintf(what, sizeof what, "reg/from-%s", m->course[from].id);
  char desc[64];
  snprintf(desc, sizeof desc, "Ground truth %s to %s (rert phantom)", m->course[from].id,
           m->course[to].id);
  ident_fill(m, to, &r->ident, "REG", SOP_DEFORMABLE_REG, what, desc);
  uid_for(m, to, "frame", r->fixed_frame_uid);
  uid_for(m, from, "frame", r->moving_frame_uid);
  for (int a = 0; a < 16; a++) r->pre_matrix[a] = r->post_matrix[a] = (a % 5 == 0) ? 1.0 : 0.0;
  const rert_phantom_grid *g = &m->course[to].field;
  rert_vfield *f = &r->field;
  f->nx = g->nx, f->ny = g->ny, f->nz = g->nz;
  for (int a = 0; a < 3; a++) f->origin_mm[a] = g->origin_mm[a], f->spacing_mm[a] = g->spacing_mm[a];
  for (int a = 0; a < 9; a++) f->dir[a] = (a % 4 == 0) ? 1.0 : 0.0;
  size_t n = (size_t)g->nx * g->ny * g->nz;
  f->u_mm = malloc(n * 3 * sizeof(float));
  if (!f->u_mm) return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory (field)");
  const int nx = g->nx, ny = g->ny, nz = g->nz;
#pragma omp parallel for collapse(2) schedule(static)
  for (int z = 0; z < nz; z++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        double x[3] = {g->origin_mm[0] + i * g->spacing_mm[0], g->origin_mm[1] + j * g->spacing_mm[1],
                       g->origin_mm[2] + z * g->spacing_mm[2]};
        double y[3];
        phantom_map_between(m, to, from, x, y);
        size_t idx = (size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * z);
        for (int a = 0; a < 3; a++) f->u_mm[3 * idx + a] = (float)(y[a] - x[a]);
      }
  return RERT_OK;
}
