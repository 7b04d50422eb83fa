/* report_fixture.c — see report_fixture.h. */
#include "support/report_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fixture_dose(rert_volume *d, rert_err *err) {
  memset(d, 0, sizeof *d);
  d->nx = 64, d->ny = 64, d->nz = 40;
  d->spacing_mm[0] = d->spacing_mm[1] = d->spacing_mm[2] = 3;
  d->origin_mm[0] = d->origin_mm[1] = -96;
  d->origin_mm[2] = -60;
  int rc = volume_alloc(d, err);
  if (rc) return rc;
  d->meta.quantity = QTY_EQD2;
  for (int k = 0; k < d->nz; k++)
    for (int j = 0; j < d->ny; j++)
      for (int i = 0; i < d->nx; i++) {
        double x = -96 + 3.0 * i, y = -96 + 3.0 * j, z = -60 + 3.0 * k;
        double r = sqrt(x * x + y * y + z * z);
        d->data[i + 64 * (j + 64 * k)] = (float)fmax(0, 80 - r);
      }
  return RERT_OK;
}

int fixture_sphere_mask(rert_volume *m, const rert_volume *like, const double c[3], double rad,
                        rert_err *err) {
  int rc = volume_alloc_like(m, like, err);
  if (rc) return rc;
  m->meta.quantity = QTY_MASK;
  for (int k = 0; k < m->nz; k++)
    for (int j = 0; j < m->ny; j++)
      for (int i = 0; i < m->nx; i++) {
        double ijk[3] = {i, j, k}, p[3];
        volume_index_to_world(m, ijk, p);
        double r = sqrt(pow(p[0] - c[0], 2) + pow(p[1] - c[1], 2) + pow(p[2] - c[2], 2));
        m->data[i + (size_t)m->nx * (j + (size_t)m->ny * k)] = r <= rad ? 1.0f : 0.0f;
      }
  return RERT_OK;
}

int fixture_report(rert_report *r, const char *created, rert_err *err) {
  int rc = report_init(r, "Re-irradiation consult: PHANTOM-001", created, err);
  if (rc) return rc;
  cJSON *s = report_add_section(r, "courses", "1. Patient and courses");
  report_add_kv_table(s, "patient", NULL, "Patient ID", "PHANTOM-001", "Case file", "case.json",
                      NULL);
  static const report_column cc[] = {{"course_id", "Course", 0, NULL},
                                     {"start_date", "Start", 0, NULL},
                                     {"end_date", "End", 0, NULL},
                                     {"interval_months", "Interval (months)", 1, NULL},
                                     {"dose_gy", "Dose (Gy)", 1, NULL},
                                     {"fractions", "Fractions", 0, NULL}};
  cJSON *rows = report_add_table(s, "courses", "Courses", cc, 6);
  cJSON *row = report_table_row(rows);
  cJSON_AddStringToObject(row, "course_id", "course1");
  cJSON_AddStringToObject(row, "start_date", "2022-01-10");
  cJSON_AddStringToObject(row, "end_date", "2022-02-25");
  cJSON_AddNumberToObject(row, "interval_months", 24.3);
  cJSON_AddNumberToObject(row, "dose_gy", 70);
  cJSON_AddNumberToObject(row, "fractions", 35);
  s = report_add_section(r, "assumptions", "2. Assumptions");
  report_add_paragraph(s, "Overlap rule: voxel-wise sum after deformable mapping.");
  report_add_note(s, "warning", "Registration uncertainty radius 3 mm applied for the worst case.");
  s = report_add_section(r, "dvh", "4. Dose-volume histograms");
  for (int o = 0; o < 3; o++) {
    char id[32];
    snprintf(id, sizeof id, "dvh_%d", o);
    cJSON *d = report_add_dvh(s, id, o == 0 ? "SpinalCord" : o == 1 ? "Brainstem" : "Parotid_L",
                              "course EQD2, recovered prior and cumulative");
    double dose[21], vol[21], dose2[21];
    for (int i = 0; i <= 20; i++) {
      dose[i] = 3.0 * i;
      dose2[i] = 4.5 * i;
      vol[i] = 100.0 * (1 - i / 20.0) * (1 - i / 20.0);
    }
    report_dvh_add_curve(d, "course1", "course", dose, vol, 21);
    report_dvh_add_curve(d, "cumulative", "cumulative", dose2, vol, 21);
    report_dvh_add_limit(d, "Dmax 50 Gy", 50, NAN);
    report_dvh_add_limit(d, "D20% 40 Gy", 40, 20);
  }
  s = report_add_section(r, "constraints", "6. Constraints");
  static const report_column kc[] = {{"organ", "Organ", 0, NULL},
                                     {"tier", "Tier", 0, "tier"},
                                     {"value_gy", "Value (Gy)", 1, NULL},
                                     {"limit_gy", "Limit (Gy)", 1, NULL},
                                     {"verdict", "Verdict", 0, "verdict"}};
  rows = report_add_table(s, "constraints", "Constraints, nominal", kc, 5);
  row = report_table_row(rows);
  cJSON_AddStringToObject(row, "organ", "SpinalCord");
  cJSON_AddStringToObject(row, "tier", "mandatory");
  cJSON_AddNumberToObject(row, "value_gy", 47.25);
  cJSON_AddNumberToObject(row, "limit_gy", 50);
  cJSON_AddStringToObject(row, "verdict", "pass");
  row = report_table_row(rows);
  cJSON_AddStringToObject(row, "organ", "Brainstem <&>");
  cJSON_AddStringToObject(row, "tier", "optimal");
  cJSON_AddNullToObject(row, "value_gy");
  cJSON_AddNumberToObject(row, "limit_gy", 54);
  cJSON_AddStringToObject(row, "verdict", "fail");

  s = report_add_section(r, "slices", "5. Slices through the recurrence");
  rert_volume dose, rec, organ;
  rc = fixture_dose(&dose, err);
  if (rc) return rc;
  double c0[3] = {0, 0, 0}, c1[3] = {40, 0, 0};
  if ((rc = fixture_sphere_mask(&rec, &dose, c0, 25, err)) ||
      (rc = fixture_sphere_mask(&organ, &dose, c1, 15, err))) {
    volume_free(&dose);
    return rc;
  }
  report_outline ol[2] = {{"Recurrence", &rec, {255, 0, 0}, 2.0},
                          {"Parotid_L", &organ, {0, 255, 255}, 1.2}};
  double levels[] = {20, 40, 60};
  report_slice_spec spec = {NULL, 40, 400, &dose, levels, 3, ol, 2, {0, 0, 0}, 384};
  for (int p = 0; p < 3 && !rc; p++) {
    unsigned char *png;
    size_t n;
    int w, h;
    rc = report_render_slice_png(&spec, (report_plane)p, &png, &n, &w, &h, err);
    if (!rc) {
      static const char *ids[] = {"slice_axial", "slice_coronal", "slice_sagittal"};
      rc = report_add_image(r, s, ids[p], ids[p] + 6, png, n, w, h, err);
    }
  }
  volume_free(&dose);
  volume_free(&rec);
  volume_free(&organ);
  return rc;
}
