/* test_accumulate_case.c — end to end through DICOM: two RTDOSE files with uniform dose blocks
 * and an RTSTRUCT with box organs (written with io), a case file, then `rert evaluate` and
 * `rert accumulate`; every expected number is a hand calculation with
 * EQD2 = D(D/n + a)/(2 + a) (domain-reference §1.1) and the S4 stepwise recovery (§3.1).
 *
 * Grid 20×20×10 voxels of 5 mm (origin 0): voxel i covers x ∈ [5i − 2.5, 5i + 2.5].
 * Course 1 (prior, 27 fx, ends 2020-02-12): 54 Gy for i ≤ 9 (x < 47.5), 30 Gy for i ≥ 10.
 * Course 2 (planned, 10 fx, starts 2022-08-08: 908 d = 29.8 months > 24): 30 Gy everywhere.
 * Organs (x ranges on voxel edges, y ∈ [7.5, 32.5], planes z = 10..30):
 *   Brainstem i 2..6 (a/b 2), OpticChiasm i 6..8 (a/b 3; i = 6 overlaps the brainstem),
 *   PTV i 8..12 (target a/b 10), SpinalCord i 12..16 (a/b 2, s4_stepwise in the case file).
 * Per voxel (j = k = 4):
 *   prior 54 Gy/27 fx: EQD2 = 54 at any a/b (d = 2); prior 30 Gy/27 fx: a/b 2 → 30(1.1111+2)/4 = 23.3333,
 *   a/b 10 → 30(11.1111)/12 = 27.7778; new 30 Gy/10 fx: a/b 2 → 37.5, a/b 3 → 36, a/b 10 → 32.5.
 *   i = 4 (brainstem): 91.5; i = 6 (brainstem ∩ chiasm → a/b 2): 91.5; i = 7 (chiasm): 90;
 *   i = 9 (PTV only): 54 + 32.5 = 86.5; i = 10 (PTV only): 27.7778 + 32.5 = 60.2778;
 *   i = 12 (cord ∩ PTV → a/b 2, cord recovery R = 0.5 at ≥ 12 months): 11.6667 + 37.5 = 49.1667;
 *   i = 18 (unlisted, a/b 2, no recovery): 23.3333 + 37.5 = 60.8333.
 * CARE S0 (> 24 months, recovery built into the limit so the cord prior counts in full):
 *   brainstem Dmax 91.5 > 72 FAIL; chiasm Dmax at a/b 3 over i 6..8: 54 + 36 = 90 > 64.8 FAIL;
 *   cord Dmax 23.3333 + 37.5 = 60.8333 > 60 FAIL (margin −0.8333). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dicomio.h"
#include "rert/imageio.h"
#include "rert/register.h"
#include "support/run.h"

static rert_dicom_ident base_ident(const char *modality, const char *sop_class, const char *frame) {
  rert_dicom_ident id;
  memset(&id, 0, sizeof id);
  rert_err e;
  snprintf(id.modality, sizeof id.modality, "%s", modality);
  snprintf(id.sop_class_uid, sizeof id.sop_class_uid, "%s", sop_class);
  io_make_uid(id.sop_instance_uid, &e);
  io_make_uid(id.series_instance_uid, &e);
  io_make_uid_from("accumulate-test/study", id.study_instance_uid);
  snprintf(id.frame_of_reference_uid, sizeof id.frame_of_reference_uid, "%s", frame);
  snprintf(id.patient_id, sizeof id.patient_id, "ACC-T1");
  snprintf(id.patient_name, sizeof id.patient_name, "Test^Accumulate");
  snprintf(id.patient_birth_date, sizeof id.patient_birth_date, "19600101");
  snprintf(id.patient_sex, sizeof id.patient_sex, "F");
  snprintf(id.study_date, sizeof id.study_date, "20200101");
  return id;
}

/* hot_gy > 0: one voxel (4, 4, 4) gets hot_gy instead */
static void write_dose(const char *path, float lo_x_gy, float hi_x_gy, const char *frame, float hot_gy) {
  rert_rtdose d;
  memset(&d, 0, sizeof d);
  d.ident = base_ident("RTDOSE", "1.2.840.10008.5.1.4.1.1.481.2", frame);
  d.dose.nx = d.dose.ny = 20;
  d.dose.nz = 10;
  d.dose.spacing_mm[0] = d.dose.spacing_mm[1] = d.dose.spacing_mm[2] = 5;
  rert_err e = {{0}};
  cr_assert_eq(volume_alloc(&d.dose, &e), RERT_OK);
  for (int k = 0; k < 10; k++)
    for (int j = 0; j < 20; j++)
      for (int i = 0; i < 20; i++) d.dose.data[i + 20 * (j + 20 * k)] = i <= 9 ? lo_x_gy : hi_x_gy;
  if (hot_gy > 0) d.dose.data[4 + 20 * (4 + 20 * 4)] = hot_gy;
  d.dose.meta.quantity = QTY_PHYSICAL;
  d.units = DOSE_UNITS_GY;
  d.type = DOSE_TYPE_PHYSICAL;
  d.summation = SUM_PLAN;
  io_make_uid(d.referenced_plan_uid, &e);
  d.dose_grid_scaling = 1;
  cr_assert_eq(io_write_rtdose(path, &d, NULL, &e), RERT_OK, "%s", e.msg);
  volume_free(&d.dose);
}

static void box_roi(rert_roi *r, int number, const char *name, const char *type, double x0, double x1,
                    const char *frame) {
  memset(r, 0, sizeof *r);
  r->number = number;
  snprintf(r->name, sizeof r->name, "%s", name);
  snprintf(r->interpreted_type, sizeof r->interpreted_type, "%s", type);
  snprintf(r->frame_of_reference_uid, sizeof r->frame_of_reference_uid, "%s", frame);
  r->ncontours = 5;
  r->contours = calloc(5, sizeof *r->contours);
  for (int c = 0; c < 5; c++) {
    rert_contour *ct = &r->contours[c];
    ct->type = CONTOUR_CLOSED_PLANAR;
    ct->npoints = 4;
    ct->xyz_mm = malloc(12 * sizeof(double));
    double z = 10 + 5 * c, pts[12] = {x0, 7.5, z, x1, 7.5, z, x1, 32.5, z, x0, 32.5, z};
    memcpy(ct->xyz_mm, pts, sizeof pts);
  }
}

static const char *make_case(void) {
  static char dir[900];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  char frame[RERT_UID_LEN], p[1024];
  io_make_uid_from("accumulate-test/frame", frame);
  snprintf(p, sizeof p, "%s/RD1.dcm", dir);
  write_dose(p, 54, 30, frame, 0);
  snprintf(p, sizeof p, "%s/RD2.dcm", dir);
  write_dose(p, 30, 30, frame, 0);
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  ss.ident = base_ident("RTSTRUCT", "1.2.840.10008.5.1.4.1.1.481.3", frame);
  snprintf(ss.label, sizeof ss.label, "test");
  ss.nrois = 4;
  ss.rois = calloc(4, sizeof *ss.rois);
  box_roi(&ss.rois[0], 1, "BS", "ORGAN", 7.5, 32.5, frame);
  box_roi(&ss.rois[1], 2, "Chiasm", "ORGAN", 27.5, 42.5, frame);
  box_roi(&ss.rois[2], 3, "PTV", "PTV", 37.5, 62.5, frame);
  box_roi(&ss.rois[3], 4, "Cord", "ORGAN", 57.5, 82.5, frame);
  rert_err e = {{0}};
  snprintf(p, sizeof p, "%s/RS2.dcm", dir);
  cr_assert_eq(io_write_rtstruct(p, &ss, NULL, NULL, &e), RERT_OK, "%s", e.msg);
  rtdata_free_structure_set(&ss);
  static char cpath[1024];
  snprintf(cpath, sizeof cpath, "%s/case.json", dir);
  FILE *f = fopen(cpath, "w");
  cr_assert_not_null(f);
  fprintf(f,
          "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"ACC-T1\",\"name\":\"Test^Accumulate\",\"sex\":\"F\"},"
          "\"courses\":[{\"id\":\"c1\",\"role\":\"prior\",\"start_date\":\"2020-01-06\",\"end_date\":\"2020-02-12\","
          "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":27,\"prescription_gy\":54,"
          "\"dicom\":{\"rtdose\":\"RD1.dcm\"}},"
          "{\"id\":\"c2\",\"role\":\"planned\",\"start_date\":\"2022-08-08\",\"end_date\":\"2022-08-19\","
          "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":10,\"prescription_gy\":30,"
          "\"dicom\":{\"rtdose\":\"RD2.dcm\",\"rtstruct\":\"RS2.dcm\"}}],"
          "\"structure_map\":{\"BS\":\"Brainstem\",\"Chiasm\":\"OpticChiasm\",\"Cord\":\"SpinalCord\",\"PTV\":\"PTV\"},"
          "\"recovery\":{\"default\":\"none\",\"per_organ\":{\"SpinalCord\":\"s4_stepwise\"}}}\n");
  fclose(f);
  return cpath;
}

static const cJSON *row(const cJSON *root, const char *id) {
  const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "evaluations"), 0), *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(ev, "constraints"))
    if (!strcmp(cJSON_GetObjectItem(r, "id")->valuestring, id)) return r;
  cr_assert_fail("row %s missing", id);
  return NULL;
}

Test(accumulate_case, dicom_blocks_evaluate_and_maps) {
  const char *cs = make_case();
  char tmp[900];
  snprintf(tmp, sizeof tmp, "%s", test_tmpdir());
  char args[1400];
  snprintf(args, sizeof args, "evaluate %s --protocol care_s0", cs);
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 1);
  cr_assert_not_null(j);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "value")->valuedouble, 91.5, 1e-3);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "chiasm_gt24"), "value")->valuedouble, 90.0, 1e-3);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "cord_gt24"), "value")->valuedouble, 23.3333 + 37.5, 1e-3);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "cord_gt24"), "margin")->valuedouble, -0.8333, 1e-3);
  cr_assert_str_eq(cJSON_GetObjectItem(row(j, "cord_le24"), "verdict")->valuestring, "not applicable");
  /* RTSTRUCT structures are evaluated on their contours by the DVH engine (docs/accumulate.md);
   * the blocks are uniform inside each box, so the values above are those of the blocks */
  cr_assert_str_eq(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "dvh_method")->valuestring, "contours");
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "complete")));
  cJSON_Delete(j);

  /* Worst case with a 16-mm mapping uncertainty: the cord's hottest voxel (i = 12) sees the
   * 54-Gy block 15 mm away (i = 9) → 54 + 37.5 = 91.5; the brainstem stays 91.5. With 4 mm the
   * cord block neighbourhood is all 30 Gy → worst = nominal 60.8333. */
  snprintf(args, sizeof args, "evaluate %s --protocol care_s0 --uncertainty-mm 16", cs);
  cr_assert_eq(run_rert_json(args, &j), 1);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "cord_gt24"), "worst_value")->valuedouble, 91.5, 1e-3);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "cord_gt24"), "value")->valuedouble, 60.8333, 1e-3);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "worst_value")->valuedouble, 91.5, 1e-3);
  cJSON_Delete(j);
  snprintf(args, sizeof args, "evaluate %s --protocol care_s0 --uncertainty-mm 4", cs);
  cr_assert_eq(run_rert_json(args, &j), 1);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "cord_gt24"), "worst_value")->valuedouble, 60.8333, 1e-3);
  cJSON_Delete(j);

  snprintf(args, sizeof args, "accumulate %s --out %s/acc", cs, tmp);
  char *out = NULL, *err = NULL;
  cr_assert_eq(run_rert(args, &out, &err), 0, "%s", err ? err : "");
  free(out);
  free(err);
  rert_rtdose cum, ab;
  rert_err e = {{0}};
  char p[1100];
  snprintf(p, sizeof p, "%s/acc/EQD2_cumulative.dcm", tmp);
  cr_assert_eq(io_read_rtdose(p, &cum, &e), RERT_OK, "%s", e.msg);
  snprintf(p, sizeof p, "%s/acc/alpha_beta.dcm", tmp);
  cr_assert_eq(io_read_rtdose(p, &ab, &e), RERT_OK, "%s", e.msg);
  const struct { int i; double eqd2, ab; } want[] = {
      {4, 91.5, 2}, {6, 91.5, 2}, {7, 90.0, 3}, {9, 86.5, 10}, {10, 27.7778 + 32.5, 10},
      {12, 11.6667 + 37.5, 2}, {18, 23.3333 + 37.5, 2}};
  for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
    size_t v = (size_t)want[w].i + 20 * (4 + 20 * 4);
    cr_assert_float_eq(cum.dose.data[v], want[w].eqd2, 2e-3, "i=%d", want[w].i);
    cr_assert_float_eq(ab.dose.data[v], want[w].ab, 1e-4, "i=%d", want[w].i);
  }
  rtdata_free_rtdose(&cum);
  rtdata_free_rtdose(&ab);

  /* --bed: BED = EQD2(1 + 2/a): i = 7 (a/b 3) 90·5/3 = 150; i = 9 (a/b 10) 86.5·1.2 = 103.8 */
  snprintf(args, sizeof args, "accumulate %s --out %s/bed --bed", cs, tmp);
  out = err = NULL;
  cr_assert_eq(run_rert(args, &out, &err), 0, "%s", err ? err : "");
  free(out);
  free(err);
  snprintf(p, sizeof p, "%s/bed/BED_cumulative.dcm", tmp);
  cr_assert_eq(io_read_rtdose(p, &cum, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(cum.dose.data[7 + 20 * (4 + 20 * 4)], 150.0, 3e-3);
  cr_assert_float_eq(cum.dose.data[9 + 20 * (4 + 20 * 4)], 103.8, 3e-3);
  rtdata_free_rtdose(&cum);
}

/* The worst case of a mapped prior dose reaches a hot spot that the nominal map only grazes
 * (rert evaluate, then rert consult on the same case).
 * Course 1 (its own frame) as above but one 80 Gy voxel at i = j = k = 4 (x = 20 mm, inside the
 * brainstem); the registration (MetaImage field on course 2's grid) pulls every point back by
 * u = (+2.5, 0, 0) mm, half a voxel. Nominal: brainstem voxel i = 3 reads x = 17.5, halfway
 * between the 54 Gy and 80 Gy nodes: 67 Gy/27 fx at a/b 2 → 67(67/27 + 2)/4 = 75.0648, + 37.5 =
 * 112.5648 (voxel i = 4 reads 22.5: (80 + 54)/2, the same). With a 5 mm uncertainty the 80 Gy node
 * (2.5 mm from x + u(x)) may be the true correspondent: 80(80/27 + 2)/4 = 99.2593, + 37.5 =
 * 136.7593. Filtering the mapped dose instead (before 2026-12-08) gave 112.5648: every mapped
 * node had at most 67 Gy. */
Test(accumulate_case, worst_case_reaches_a_prior_hot_spot_between_mapped_nodes) {
  const char *cs = make_case();
  char dir[900], p[1024], frame1[RERT_UID_LEN];
  snprintf(dir, sizeof dir, "%s", cs);
  *strrchr(dir, '/') = 0;
  io_make_uid_from("accumulate-test/frame-course1", frame1);
  snprintf(p, sizeof p, "%s/RD1.dcm", dir);
  write_dose(p, 54, 30, frame1, 80);
  rert_vfield u;
  memset(&u, 0, sizeof u);
  u.nx = u.ny = 20, u.nz = 10;
  u.spacing_mm[0] = u.spacing_mm[1] = u.spacing_mm[2] = 5;
  u.dir[0] = u.dir[4] = u.dir[8] = 1;
  rert_err e = {{0}};
  cr_assert_eq(reg_vfield_alloc(&u, &e), RERT_OK, "%s", e.msg);
  for (size_t q = 0; q < (size_t)20 * 20 * 10; q++) u.u_mm[3 * q] = 2.5f;
  snprintf(p, sizeof p, "%s/u.mha", dir);
  cr_assert_eq(imageio_write_vfield(p, &u, &e), RERT_OK, "%s", e.msg);
  rtdata_free_vfield(&u);
  /* the case with the registration course 1 → course 2 */
  FILE *f = fopen(cs, "r");
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *end = strrchr(buf, '}');
  cr_assert_not_null(end);
  *end = 0;
  f = fopen(cs, "w");
  fprintf(f, "%s,\"registrations\":[{\"from\":\"c1\",\"to\":\"c2\",\"type\":\"deformable\",\"mha\":\"u.mha\"}]}\n", buf);
  fclose(f);
  char args[1400];
  cJSON *j = NULL;
  snprintf(args, sizeof args, "evaluate %s --protocol care_s0 --uncertainty-mm 5", cs);
  cr_assert_eq(run_rert_json(args, &j), 1);
  cr_assert_not_null(j);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "value")->valuedouble, 67.0 * (67.0 / 27 + 2) / 4 + 37.5, 1e-3);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "worst_value")->valuedouble, 80.0 * (80.0 / 27 + 2) / 4 + 37.5,
                     1e-3);
  cJSON_Delete(j);
  /* the consult takes its worst case the same way: its care_s0 brainstem Dmax row (limit 72 Gy) */
  snprintf(args, sizeof args, "consult %s --protocol care_s0 --uncertainty-mm 5 --no-progress --out %s/consult", cs, dir);
  char *out = NULL, *errtxt = NULL;
  cr_assert_eq(run_rert(args, &out, &errtxt), 1, "%s", errtxt ? errtxt : "");
  free(out), free(errtxt);
  snprintf(p, sizeof p, "%s/consult/report.json", dir);
  f = fopen(p, "r");
  cr_assert_not_null(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  rewind(f);
  char *txt = malloc((size_t)len + 1);
  cr_assert_eq(fread(txt, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  txt[len] = 0;
  j = cJSON_Parse(txt);
  free(txt);
  cr_assert_not_null(j);
  const cJSON *sec, *blk, *r, *hit = NULL;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItem(j, "sections")) cJSON_ArrayForEach(blk, cJSON_GetObjectItem(sec, "blocks"))
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(blk, "rows")) {
      const cJSON *st = cJSON_GetObjectItem(r, "structure"), *me = cJSON_GetObjectItem(r, "metric"), *li = cJSON_GetObjectItem(r, "limit");
      if (cJSON_IsString(st) && !strcmp(st->valuestring, "Brainstem") && cJSON_IsString(me) && !strcmp(me->valuestring, "Dmax") &&
          cJSON_IsNumber(li) && li->valuedouble == 72)
        hit = r;
    }
  cr_assert_not_null(hit, "no care_s0 brainstem Dmax row in the consult report");
  cr_assert_float_eq(cJSON_GetObjectItem(hit, "value")->valuedouble, 67.0 * (67.0 / 27 + 2) / 4 + 37.5, 1e-3);
  cr_assert_float_eq(cJSON_GetObjectItem(hit, "worst_value")->valuedouble, 80.0 * (80.0 / 27 + 2) / 4 + 37.5, 1e-3);
  cJSON_Delete(j);
}
