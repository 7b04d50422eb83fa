/* test_dvh_geometry.c — `rert dvh` on structure sets with sparse and degenerate contours, through
 * the binary (RTSTRUCT, RTDOSE and CT written with rert's DICOM writers).
 *
 * Sparse ROI (issue 13's real case, reconstructed): 4 contours on planes 39, 72 and 3 mm apart
 * on a 3 mm CT. Each contour stands for its CT slice, so the volume is Σ area × 3 mm =
 * (60 + 60 + 5 + 5) mm² × 3 mm = 0.39 cc (hand calculation), not the 4.89 cc of slabs reaching
 * half-way to the next contour plane. In a dose rising linearly along z by 43.4/18 Gy/mm the
 * minimum is on the lowest slab's bottom face, 1.5 mm below the first plane: 64.4 Gy (closed
 * form; the 19.5 mm half-slabs gave 21.0 Gy). Checked with the CT (--ct), with the slices
 * inferred from an External drawn on every slice, and with the sparse ROI alone.
 *
 * Degenerate contours: 2-point, 1-point, POINT, duplicate, one point 5 mm off its plane, a
 * bow-tie, a coordinate beyond 100 m. Each is reported in JSON (contour number, problem, rule);
 * the volume follows the rules (hand calculation below); only the lost contour with an area makes
 * the metrics incomplete.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dicomio.h"
#include "support/run.h"

#define G_PER_MM (43.4 / 18.0)
static double dose_z(double z) { return 64.4 + G_PER_MM * (z + 1.5); }

static char rd[1100], rs[1100], rs_alone[1100], rs_otherct[1100], ctdir[1100];

static void ident(rert_dicom_ident *id, const char *key, const char *modality) {
  memset(id, 0, sizeof *id);
  strcpy(id->patient_id, "GEOM13");
  strcpy(id->patient_name, "Sparse^Contours");
  strcpy(id->modality, modality);
  io_make_uid_from("geom13/study", id->study_instance_uid);
  io_make_uid_from("geom13/frame", id->frame_of_reference_uid);
  char k[128];
  snprintf(k, sizeof k, "geom13/%s/series", key);
  io_make_uid_from(k, id->series_instance_uid);
  snprintf(k, sizeof k, "geom13/%s/sop", key);
  io_make_uid_from(k, id->sop_instance_uid);
}

static void contour(rert_contour *c, rert_contour_type t, int n, const double *xyz) {
  c->type = t;
  c->npoints = n;
  c->xyz_mm = malloc(sizeof(double) * 3 * (n ? n : 1));
  memcpy(c->xyz_mm, xyz, sizeof(double) * 3 * n);
}

static void square(rert_contour *c, double area, double z) {
  double h = 0.5 * sqrt(area), p[12] = {-h, -h, z, h, -h, z, h, h, z, -h, h, z};
  contour(c, CONTOUR_CLOSED_PLANAR, 4, p);
}

#define NCIRC 32
static double circle_area(double r) { return 0.5 * NCIRC * r * r * sin(2 * M_PI / NCIRC); }
static void circle(rert_contour *c, double r, double z, double dz_first) {
  double p[3 * NCIRC];
  for (int i = 0; i < NCIRC; i++) {
    double t = 2 * M_PI * i / NCIRC;
    p[3 * i] = r * cos(t), p[3 * i + 1] = r * sin(t), p[3 * i + 2] = z + (i == 0 ? dz_first : 0);
  }
  contour(c, CONTOUR_CLOSED_PLANAR, NCIRC, p);
}

static rert_roi *add_roi(rert_structure_set *ss, const char *name, int ncont) {
  ss->rois = realloc(ss->rois, sizeof(rert_roi) * (ss->nrois + 1));
  rert_roi *r = &ss->rois[ss->nrois++];
  memset(r, 0, sizeof *r);
  r->number = ss->nrois;
  snprintf(r->name, sizeof r->name, "%s", name);
  strcpy(r->interpreted_type, "ORGAN");
  r->contours = calloc(ncont, sizeof(rert_contour));
  r->ncontours = ncont;
  return r;
}

static void write_case(void) {
  const char *dir = test_tmpdir();
  snprintf(rd, sizeof rd, "%s/RD.dcm", dir);
  snprintf(rs, sizeof rs, "%s/RS.dcm", dir);
  snprintf(rs_alone, sizeof rs_alone, "%s/RS_alone.dcm", dir);
  snprintf(ctdir, sizeof ctdir, "%s/CT", dir);
  snprintf(rs_otherct, sizeof rs_otherct, "%s/RS_otherct.dcm", dir);
  rert_err err;
  /* CT: 61 slices, 3 mm, z = −30 … 150 */
  rert_image_series ct;
  memset(&ct, 0, sizeof ct);
  ident(&ct.ident, "ct", "CT");
  ct.image.nx = ct.image.ny = 8, ct.image.nz = 61;
  ct.image.spacing_mm[0] = ct.image.spacing_mm[1] = 4, ct.image.spacing_mm[2] = 3;
  ct.image.origin_mm[0] = ct.image.origin_mm[1] = -14, ct.image.origin_mm[2] = -30;
  volume_set_identity_dir(&ct.image);
  cr_assert_eq(volume_alloc(&ct.image, &err), RERT_OK);
  cr_assert_eq(io_series_fill_slice_uids(&ct, &err), RERT_OK);
  cr_assert_eq(io_write_ct_series(ctdir, &ct, NULL, &err), RERT_OK, "%s", err.msg);
  /* dose: linear in z on a 2.5 mm grid covering z −10 … 155 (the External sticks out below) */
  rert_rtdose d;
  memset(&d, 0, sizeof d);
  ident(&d.ident, "rd", "RTDOSE");
  d.dose.nx = d.dose.ny = 16, d.dose.nz = 67;
  for (int a = 0; a < 3; a++) d.dose.spacing_mm[a] = 2.5;
  d.dose.origin_mm[0] = d.dose.origin_mm[1] = -18.75, d.dose.origin_mm[2] = -10;
  volume_set_identity_dir(&d.dose);
  cr_assert_eq(volume_alloc(&d.dose, &err), RERT_OK);
  for (int k = 0; k < 67; k++)
    for (int v = 0; v < 256; v++) d.dose.data[v + 256 * k] = (float)dose_z(-10 + 2.5 * k);
  d.units = DOSE_UNITS_GY, d.type = DOSE_TYPE_PHYSICAL, d.summation = SUM_PLAN;
  cr_assert_eq(io_write_rtdose(rd, &d, NULL, &err), RERT_OK, "%s", err.msg);
  volume_free(&d.dose);

  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  ident(&ss.ident, "rs", "RTSTRUCT");
  strcpy(ss.label, "sparse");
  rert_roi *p = add_roi(&ss, "PTV_tip", 4);
  square(&p->contours[0], 60, 0), square(&p->contours[1], 60, 39);
  square(&p->contours[2], 5, 111), square(&p->contours[3], 5, 114);
  /* the sparse ROI alone */
  cr_assert_eq(io_write_rtstruct(rs_alone, &ss, NULL, NULL, &err), RERT_OK, "%s", err.msg);
  rert_roi *ext = add_roi(&ss, "External", 61);
  strcpy(ext->interpreted_type, "EXTERNAL");
  for (int k = 0; k < 61; k++) square(&ext->contours[k], 900, -30 + 3 * k);
  /* Cord: circles r = 5 at z = 0, 3, 6, 9 (one point 5 mm off), a bow-tie at 12; then a
   * 2-point and a 1-point contour, a POINT, a duplicate of the z = 6 circle */
  rert_roi *c = add_roi(&ss, "Cord", 9);
  circle(&c->contours[0], 5, 0, 0), circle(&c->contours[1], 5, 3, 0), circle(&c->contours[2], 5, 6, 0);
  circle(&c->contours[3], 5, 9, 5.0);
  double bow[12] = {0, 0, 12, 10, 6, 12, 10, 0, 12, 0, 10, 12};
  contour(&c->contours[4], CONTOUR_CLOSED_PLANAR, 4, bow);
  double two[6] = {0, 0, 15, 4, 0, 15}, one[3] = {1, 1, 18}, pt[3] = {0, 0, 6};
  contour(&c->contours[5], CONTOUR_CLOSED_PLANAR, 2, two);
  contour(&c->contours[6], CONTOUR_CLOSED_PLANAR, 1, one);
  contour(&c->contours[7], CONTOUR_POINT, 1, pt);
  circle(&c->contours[8], 5, 6, 0);
  /* Bad: circles at z = 30, 33, 36, the middle one with a corrupt coordinate (beyond 100 m) */
  rert_roi *b = add_roi(&ss, "Bad", 3);
  circle(&b->contours[0], 5, 30, 0), circle(&b->contours[1], 5, 33, 0), circle(&b->contours[2], 5, 36, 0);
  b->contours[1].xyz_mm[3] = 1e9;
  cr_assert_eq(io_write_rtstruct(rs, &ss, &ct, NULL, &err), RERT_OK, "%s", err.msg);
  /* the same contours referencing the images of another series (same frame) */
  rert_image_series other = ct;
  other.slice_sop_uids = NULL;
  ident(&other.ident, "other-ct", "CT");
  cr_assert_eq(io_series_fill_slice_uids(&other, &err), RERT_OK);
  cr_assert_eq(io_write_rtstruct(rs_otherct, &ss, &other, NULL, &err), RERT_OK, "%s", err.msg);
  free(other.slice_sop_uids);
  rtdata_free_structure_set(&ss);
  rtdata_free_image_series(&ct);
}

static const cJSON *roi_named(const cJSON *j, const char *name) {
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "rois")) {
    const cJSON *n = cJSON_GetObjectItem(r, "name");
    if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) return r;
  }
  cr_assert_fail("ROI %s missing from the JSON", name);
  return NULL;
}

static double metric(const cJSON *roi, const char *m) {
  const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(roi, "metrics"), m), "value");
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int has_finding(const cJSON *roi, int contour, const char *problem, const char *rule) {
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(roi, "findings")) {
    const cJSON *c = cJSON_GetObjectItem(f, "contour");
    if (contour > 0 && !(cJSON_IsNumber(c) && c->valueint == contour)) continue;
    if (!strcmp(cJSON_GetObjectItem(f, "problem")->valuestring, problem) &&
        !strcmp(cJSON_GetObjectItem(f, "rule")->valuestring, rule))
      return 1;
  }
  return 0;
}

static void check_sparse(const cJSON *j, const char *source) {
  const cJSON *p = roi_named(j, "PTV_tip");
  cr_assert_float_eq(metric(p, "Volume"), 0.39, 1e-9, "volume %.6f", metric(p, "Volume"));
  cr_assert_float_eq(metric(p, "Dmin"), 64.4, 1e-3, "Dmin %.6f", metric(p, "Dmin"));
  /* Dmax: top face of the z = 114 slab, 1.5 mm above */
  cr_assert_float_eq(metric(p, "Dmax"), dose_z(115.5), 2e-3, "Dmax %.6f", metric(p, "Dmax"));
  cr_assert_str_eq(json_path_str(p, "geometry.slices"), source);
  cr_assert_float_eq(json_path_num(p, "geometry.slice_spacing_mm"), 3.0, 1e-6);
  cr_assert_eq((int)json_path_num(p, "geometry.gaps"), 2);
  cr_assert(has_finding(p, 1, "gap between contour planes", "gap left empty"));
  cr_assert(has_finding(p, 2, "gap between contour planes", "gap left empty"));
  cr_assert_str_eq(json_path_str(p, "extremes"), "exact");
}

Test(dvh_geometry, sparse_roi_slabs_are_ct_slices) {
  write_case();
  char args[4096];
  cJSON *j;
  /* slices inferred from the External (every slice) */
  snprintf(args, sizeof args, "dvh --dose %s --struct %s --metric Volume,Dmin,Dmax", rd, rs);
  cr_assert_eq(run_rert_json(args, &j), 0);
  cr_assert_str_eq(json_path_str(j, "slices.source"), "inferred (contour-plane lattice)");
  check_sparse(j, "inferred (contour-plane lattice)");
  cJSON_Delete(j);
  /* the CT given */
  snprintf(args, sizeof args, "dvh --dose %s --struct %s --ct %s --metric Volume,Dmin,Dmax", rd, rs, ctdir);
  cr_assert_eq(run_rert_json(args, &j), 0);
  cr_assert_str_eq(json_path_str(j, "slices.source"), "image series");
  check_sparse(j, "image series");
  /* every contour references its CT slice: nothing to report about references */
  const cJSON *p = roi_named(j, "PTV_tip");
  cr_assert(!has_finding(p, 0, "referenced image does not match", "none"));
  cJSON_Delete(j);
  /* contours that reference another series' images: each is reported (warning), the slabs are
   * still the CT's slices */
  snprintf(args, sizeof args, "dvh --dose %s --struct %s --ct %s --metric Volume --roi PTV_tip", rd,
           rs_otherct, ctdir);
  cr_assert_eq(run_rert_json(args, &j), 0);
  p = roi_named(j, "PTV_tip");
  for (int c = 1; c <= 4; c++) cr_assert(has_finding(p, c, "referenced image does not match", "none"), "contour %d", c);
  cr_assert_float_eq(metric(p, "Volume"), 0.39, 1e-9);
  cJSON_Delete(j);
  /* the sparse ROI alone: its own planes are 13, 24 and 1 slices of 3 mm apart */
  snprintf(args, sizeof args, "dvh --dose %s --struct %s --metric Volume,Dmin,Dmax", rd, rs_alone);
  cr_assert_eq(run_rert_json(args, &j), 0);
  check_sparse(j, "inferred (contour-plane lattice)");
  cJSON_Delete(j);
  /* a CT of another frame of reference is refused (exit 2, names the option) */
  char *out = NULL, *er = NULL;
  snprintf(args, sizeof args, "dvh --dose %s --struct %s --ct %s/nowhere", rd, rs, ctdir);
  cr_assert_eq(run_rert(args, &out, &er), 2);
  cr_assert(er && strstr(er, "--ct"), "%s", er ? er : "");
  free(out), free(er);
}

Test(dvh_geometry, degenerate_contours_reported) {
  write_case();
  char args[4096];
  cJSON *j;
  snprintf(args, sizeof args, "dvh --dose %s --struct %s --roi Cord,Bad --metric Volume,Dmin,Dmax", rd, rs);
  cr_assert_eq(run_rert_json(args, &j), 0);
  const cJSON *c = roi_named(j, "Cord");
  /* contours numbered from 1 in the file's order */
  cr_assert(has_finding(c, 4, "not planar", "projected onto its plane"));
  cr_assert(has_finding(c, 5, "self-intersecting", "even-odd rule"));
  cr_assert(has_finding(c, 6, "fewer than 3 points", "excluded from the volume"));
  cr_assert(has_finding(c, 7, "fewer than 3 points", "excluded from the volume"));
  cr_assert(has_finding(c, 8, "not a closed planar contour", "ignored (not a volume)"));
  cr_assert(has_finding(c, 9, "duplicate of another contour", "excluded from the volume"));
  /* volume: four 32-gons r = 5 (the off-plane point projected) and the bow-tie's even-odd area
   * 31.25 + 11.25 mm² (two triangles, shoelace by hand), each a 3 mm slab */
  double v = 3.0 * (4 * circle_area(5) + 42.5) / 1000.0;
  cr_assert_float_eq(metric(c, "Volume"), v, 1e-9, "volume %.9f vs %.9f", metric(c, "Volume"), v);
  cr_assert_float_eq(metric(c, "Dmin"), 64.4, 1e-3);
  cr_assert_float_eq(metric(c, "Dmax"), dose_z(13.5), 2e-3);
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "complete")));
  cr_assert_eq((int)json_path_num(c, "geometry.contours_used"), 5);
  cr_assert_eq((int)json_path_num(c, "geometry.contours_left_out"), 4);
  /* Bad: the corrupt contour is left out (error), the metrics say they are incomplete */
  const cJSON *b = roi_named(j, "Bad");
  cr_assert(has_finding(b, 2, "coordinates not finite", "excluded from the volume"));
  cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(b, "complete")));
  const cJSON *bm = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "metrics"), "Dmax");
  cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(bm, "complete")));
  cr_assert(strstr(cJSON_GetObjectItem(bm, "note")->valuestring, "left out"));
  cJSON_Delete(j);
  /* text output: the findings are listed with the rule; Bad's values carry '*' */
  char *out = NULL;
  snprintf(args, sizeof args, "dvh --dose %s --struct %s --roi Cord,Bad --metric Dmax", rd, rs);
  cr_assert_eq(run_rert(args, &out, NULL), 0);
  cr_assert(strstr(out, "Cord, contour 6: fewer than 3 points (2 points: no area) -> excluded from the volume"), "%s", out);
  cr_assert(strstr(out, "Cord, contour 5: self-intersecting"), "%s", out);
  cr_assert(strstr(out, "Bad, contour 2: coordinates not finite"), "%s", out);
  const char *bl = strstr(out, "\nBad ");
  cr_assert(bl && strchr(bl + 1, '*') && strchr(bl + 1, '*') < strchr(bl + 1, '\n'), "%s", out);
  free(out);
}
