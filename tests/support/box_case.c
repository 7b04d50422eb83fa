/* box_case.c — see box_case.h. */
#include "support/box_case.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rert/dicomio.h"
#include "rert/fileio.h"
#include "rert/imageio.h"
#include "rert/rbe.h"
#include "rert/rtdata.h"

#define NX 60
#define NY 60
#define NZ 40
#define SP 3.0
static const double ORIGIN[3] = {-88.5, -88.5, -58.5};

static const box_roi ROIS[] = {
    {"External", "EXTERNAL", {-84, -84, -54}, {84, 84, 54}},
    {"GTV_rec", "GTV", {-9, -9, -9}, {9, 9, 9}},
    {"PTV", "PTV", {-15, -15, -15}, {15, 15, 15}},
    {"SpinalCord", "ORGAN", {-6, 36, -36}, {6, 48, 36}},
    {"A_Carotid_R", "ORGAN", {-54, -6, -30}, {-42, 6, 30}},
    {"Bone_Mandible", "ORGAN", {-18, -60, -36}, {18, -48, -24}},
    {"Parotid_L", "ORGAN", {42, -9, 15}, {60, 9, 33}},
};

int box_nrois(void) { return (int)(sizeof ROIS / sizeof ROIS[0]); }
const box_roi *box_roi_get(int i) { return i >= 0 && i < box_nrois() ? &ROIS[i] : NULL; }
const box_roi *box_roi_find(const char *name) {
  for (int i = 0; i < box_nrois(); i++)
    if (!strcmp(ROIS[i].name, name)) return &ROIS[i];
  return NULL;
}

box_region box_region_around(const char *name, double margin_mm, double dose_gy) {
  box_region r;
  memset(&r, 0, sizeof r);
  const box_roi *b = box_roi_find(name);
  for (int a = 0; b && a < 3; a++) {
    r.lo[a] = b->lo[a] - margin_mm;
    r.hi[a] = b->hi[a] + margin_mm;
  }
  r.dose_gy = dose_gy;
  return r;
}

static void grid(rert_volume *v) {
  memset(v, 0, sizeof *v);
  v->nx = NX, v->ny = NY, v->nz = NZ;
  for (int a = 0; a < 3; a++) v->origin_mm[a] = ORIGIN[a], v->spacing_mm[a] = SP;
  volume_set_identity_dir(v);
}

static void ident(rert_dicom_ident *id, const char *modality, const char *sop_class, const char *key,
                  const char *study) {
  memset(id, 0, sizeof *id);
  char k[160];
  snprintf(id->modality, sizeof id->modality, "%s", modality);
  snprintf(id->sop_class_uid, sizeof id->sop_class_uid, "%s", sop_class);
  snprintf(k, sizeof k, "box/%s/sop", key);
  io_make_uid_from(k, id->sop_instance_uid);
  snprintf(k, sizeof k, "box/%s/series", key);
  io_make_uid_from(k, id->series_instance_uid);
  snprintf(k, sizeof k, "box/%s/study", study);
  io_make_uid_from(k, id->study_instance_uid);
  io_make_uid_from("box/frame", id->frame_of_reference_uid);
  snprintf(id->patient_id, sizeof id->patient_id, "BOX-1");
  snprintf(id->patient_name, sizeof id->patient_name, "Box^Patient");
  snprintf(id->patient_birth_date, sizeof id->patient_birth_date, "19600101");
  snprintf(id->patient_sex, sizeof id->patient_sex, "O");
}

static int write_structures(const char *path, rert_err *err) {
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  ident(&ss.ident, "RTSTRUCT", "1.2.840.10008.5.1.4.1.1.481.3", "rs", "ref");
  snprintf(ss.label, sizeof ss.label, "BOX");
  ss.nrois = box_nrois();
  ss.rois = calloc((size_t)ss.nrois, sizeof *ss.rois);
  if (!ss.rois) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int rc = RERT_OK;
  for (int r = 0; r < ss.nrois && !rc; r++) {
    const box_roi *b = &ROIS[r];
    rert_roi *o = &ss.rois[r];
    o->number = r + 1;
    snprintf(o->name, sizeof o->name, "%s", b->name);
    snprintf(o->interpreted_type, sizeof o->interpreted_type, "%s", b->type);
    snprintf(o->generation_algorithm, sizeof o->generation_algorithm, "MANUAL");
    snprintf(o->frame_of_reference_uid, sizeof o->frame_of_reference_uid, "%s", ss.ident.frame_of_reference_uid);
    o->color_rgb[0] = (unsigned char)(40 * r), o->color_rgb[1] = 120, o->color_rgb[2] = 200;
    o->contours = calloc(NZ, sizeof *o->contours);
    if (!o->contours) { rc = rert_err_set(err, RERT_EINTERNAL, "out of memory"); break; }
    for (int k = 0; k < NZ; k++) {
      double z = ORIGIN[2] + k * SP;
      if (z < b->lo[2] - 1e-9 || z > b->hi[2] + 1e-9) continue;
      rert_contour *c = &o->contours[o->ncontours++];
      c->type = CONTOUR_CLOSED_PLANAR;
      c->npoints = 4;
      c->xyz_mm = malloc(12 * sizeof(double));
      double xs[4] = {b->lo[0], b->hi[0], b->hi[0], b->lo[0]}, ys[4] = {b->lo[1], b->lo[1], b->hi[1], b->hi[1]};
      for (int p = 0; p < 4; p++) c->xyz_mm[3 * p] = xs[p], c->xyz_mm[3 * p + 1] = ys[p], c->xyz_mm[3 * p + 2] = z;
    }
  }
  io_write_opts wo = {.software = "rert tests (box case)"};
  if (!rc) rc = io_write_rtstruct(path, &ss, NULL, &wo, err);
  rtdata_free_structure_set(&ss);
  return rc;
}

static int write_course(const char *dir, const box_course *c, rert_err *err) {
  char sub[1200], path[1400];
  snprintf(sub, sizeof sub, "%s/%s", dir, c->id);
  int rc = fileio_mkdirs(sub, err);
  if (rc) return rc;
  const int ion = strcmp(c->modality, "photon") != 0;
  rert_rtplan p;
  memset(&p, 0, sizeof p);
  char key[128];
  snprintf(key, sizeof key, "%s/rp", c->id);
  ident(&p.ident, ion ? "RTIONPLAN" : "RTPLAN",
        ion ? "1.2.840.10008.5.1.4.1.1.481.8" : "1.2.840.10008.5.1.4.1.1.481.5", key, c->id);
  snprintf(p.label, sizeof p.label, "%s", c->id);
  snprintf(p.name, sizeof p.name, "%s %s", c->id, c->technique ? c->technique : "");
  p.is_ion = ion;
  p.modality = !strcmp(c->modality, "proton") ? MOD_PROTON : !strcmp(c->modality, "carbon") ? MOD_CARBON : MOD_PHOTON;
  p.nfraction_groups = 1;
  rert_fraction_group fg = {.number = 1, .fractions_planned = c->fractions, .nbeams = 2};
  p.fraction_groups = &fg;
  rert_dicom_ident rs;
  ident(&rs, "RTSTRUCT", "1.2.840.10008.5.1.4.1.1.481.3", "rs", "ref");
  snprintf(p.referenced_structure_set_uid, sizeof p.referenced_structure_set_uid, "%s", rs.sop_instance_uid);
  io_write_opts wo = {.software = "rert tests (box case)"};
  snprintf(path, sizeof path, "%s/RP.dcm", sub);
  rc = io_write_rtplan(path, &p, &wo, err);
  if (rc) return rc;
  rert_rtdose d;
  memset(&d, 0, sizeof d);
  snprintf(key, sizeof key, "%s/rd", c->id);
  ident(&d.ident, "RTDOSE", "1.2.840.10008.5.1.4.1.1.481.2", key, c->id);
  grid(&d.dose);
  d.units = DOSE_UNITS_GY;
  d.type = ion ? DOSE_TYPE_EFFECTIVE : DOSE_TYPE_PHYSICAL;
  d.summation = SUM_PLAN;
  d.referenced_fraction_group = 1;
  snprintf(d.referenced_plan_uid, sizeof d.referenced_plan_uid, "%s", p.ident.sop_instance_uid);
  d.dose.meta.quantity = ion ? QTY_RBE_WEIGHTED : QTY_PHYSICAL;
  /* the RTDOSE states its RBE model like a planning system's (the DICOM gate checks it against the
   * case file's rbe_model) */
  d.dose.meta.rbe = RBE_PHYSICAL;
  d.dose.meta.rbe_factor = 1.0;
  if (ion && c->rbe_model && rbe_model_parse(c->rbe_model, &d.dose.meta.rbe, err) != RERT_OK) return RERT_EINTERNAL;
  if (ion && d.dose.meta.rbe == RBE_FIXED) d.dose.meta.rbe_factor = 1.1;
  d.dose.meta.fractions = c->fractions;
  if ((rc = volume_alloc(&d.dose, err))) return rc;
  for (int k = 0; k < NZ; k++)
    for (int j = 0; j < NY; j++)
      for (int i = 0; i < NX; i++) {
        double x[3] = {ORIGIN[0] + i * SP, ORIGIN[1] + j * SP, ORIGIN[2] + k * SP}, v = c->background_gy;
        for (int r = 0; r < c->nregions; r++) {
          const box_region *g = &c->region[r];
          if (x[0] >= g->lo[0] && x[0] <= g->hi[0] && x[1] >= g->lo[1] && x[1] <= g->hi[1] && x[2] >= g->lo[2] &&
              x[2] <= g->hi[2])
            v = g->dose_gy;
        }
        v += c->grad_gy_per_mm[0] * x[0] + c->grad_gy_per_mm[1] * x[1] + c->grad_gy_per_mm[2] * x[2];
        d.dose.data[i + NX * (j + NY * k)] = (float)(v > 0 ? v : 0);
      }
  snprintf(path, sizeof path, "%s/RD.dcm", sub);
  int old = io_set_dose_encoding(IO_DOSE_32_RAW);
  rc = io_write_rtdose(path, &d, &wo, err);
  io_set_dose_encoding(old);
  volume_free(&d.dose);
  return rc;
}

int box_case_write(const char *dir, const box_course *c, int n, const char *root_extra, char *case_path,
                   size_t case_path_len, rert_err *err) {
  int rc = fileio_mkdirs(dir, err);
  char path[1400];
  snprintf(path, sizeof path, "%s/RS.dcm", dir);
  if (!rc) rc = write_structures(path, err);
  for (int i = 0; i < n && !rc; i++) rc = write_course(dir, &c[i], err);
  if (rc) return rc;
  snprintf(case_path, case_path_len, "%s/case.json", dir);
  FILE *f = fopen(case_path, "w");
  if (!f) return rert_err_set(err, RERT_EINTERNAL, "%s: cannot write", case_path);
  fprintf(f, "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"BOX-1\",\"name\":\"Box^Patient\",\"sex\":\"O\"},"
             "\"clinical\":{\"dental\":{\"status\":\"good\",\"planned_extractions\":false},"
             "\"carotid\":{\"encasement_deg\":0,\"invasion\":false},\"mucosal_ulceration\":false},"
             "\"recurrence_roi\":\"GTV_rec\",\"courses\":[");
  for (int i = 0; i < n; i++) {
    const box_course *k = &c[i];
    fprintf(f, "%s{\"id\":\"%s\",\"role\":\"%s\",\"modality\":\"%s\",", i ? "," : "", k->id, k->role, k->modality);
    if (k->start) fprintf(f, "\"start_date\":\"%s\",", k->start); /* NULL: left out */
    if (k->end) fprintf(f, "\"end_date\":\"%s\",", k->end);
    if (k->rbe_model) fprintf(f, "\"rbe_model\":\"%s\",", k->rbe_model);
    if (k->technique) fprintf(f, "\"technique\":\"%s\",", k->technique);
    fprintf(f, "\"fractions\":%d,\"prescription_gy\":%.17g,\"dicom\":{", k->fractions, k->prescription_gy);
    int first = 1;
    if (!k->no_dose) {
      fprintf(f, "\"rtdose\":\"%s/RD.dcm\",\"rtplan\":\"%s/RP.dcm\"", k->id, k->id);
      first = 0;
    }
    if (k->with_structures) fprintf(f, "%s\"rtstruct\":\"RS.dcm\"", first ? "" : ",");
    fprintf(f, "}%s%s}", k->extra ? "," : "", k->extra ? k->extra : "");
  }
  fprintf(f, "]%s%s}\n", root_extra ? "," : "", root_extra ? root_extra : "");
  fclose(f);
  return RERT_OK;
}

int box_write_linear_mha(const char *path, double a, const double g[3], rert_err *err) {
  rert_volume v;
  grid(&v);
  int rc = volume_alloc(&v, err);
  if (rc) return rc;
  for (int k = 0; k < NZ; k++)
    for (int j = 0; j < NY; j++)
      for (int i = 0; i < NX; i++) {
        double x[3] = {ORIGIN[0] + i * SP, ORIGIN[1] + j * SP, ORIGIN[2] + k * SP};
        v.data[i + NX * (j + NY * k)] = (float)(a + g[0] * x[0] + g[1] * x[1] + g[2] * x[2]);
      }
  rc = imageio_write_volume(path, &v, err);
  volume_free(&v);
  return rc;
}
