/* The C side of report.html's interactive review (src/report/report_viewer.c,
 * src/consult/consult_viewer.c): blobs inflate (zlib, an independent decoder) and unshuffle to
 * the exact bytes given; the page embeds them and the JSON safely; the PDF and report.json do not
 * change when viewer data is attached; the what-if course scale of the case file
 * (x_dose_scale) is applied by `rert evaluate` (closed form on a point case) and refused, naming
 * its JSON path and leaving no output, when it is not a number in (0, 3]. The page itself is
 * tested in a browser by tests/browser (label "browser"). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "rert/report.h"
#include "support/report_fixture.h"
#include "support/run.h"

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)len + 1);
  if (fread(b, 1, (size_t)len, f) != (size_t)len) len = 0;
  b[len] = 0;
  fclose(f);
  if (n) *n = (size_t)len;
  return b;
}

Test(report_viewer, blob_roundtrip_shuffled_zlib) {
  rert_report r;
  rert_err err;
  cr_assert_eq(report_init(&r, "t", "2026-01-01T00:00:00Z", &err), 0);
  float v[1000];
  for (int i = 0; i < 1000; i++) v[i] = (float)(70.0 * exp(-i / 300.0)) + (float)i * 1e-6f;
  cr_assert_eq(report_viewer_add_blob(&r, "f", v, sizeof v, 4, &err), 0, "%s", err.msg);
  cr_assert_eq(report_viewer_add_blob(&r, "bad", v, 7, 4, &err), RERT_EINTERNAL, "7 bytes are not floats");
  cr_assert_eq(r.nblobs, 1);
  const report_blob *b = &r.blobs[0];
  cr_assert_eq(b->len, sizeof v);
  cr_assert(b->zlen < b->len, "compressed (%zu < %zu)", b->zlen, b->len);
  unsigned char sh[sizeof v], back[sizeof v];
  uLongf n = sizeof sh;
  cr_assert_eq(uncompress(sh, &n, b->z, b->zlen), Z_OK);
  cr_assert_eq(n, sizeof v);
  /* plane b holds byte b of every element */
  for (size_t i = 0; i < 1000; i++)
    for (int k = 0; k < 4; k++) back[4 * i + (size_t)k] = sh[(size_t)k * 1000 + i];
  cr_assert_eq(memcmp(back, v, sizeof v), 0, "unshuffled bytes equal the input");
  report_free(&r);
}

Test(report_viewer, html_embeds_viewer_pdf_and_json_unchanged) {
  const char *dir = test_tmpdir();
  rert_report r;
  rert_err err;
  cr_assert_eq(fixture_report(&r, "2026-01-02T03:04:05Z", &err), 0, "%s", err.msg);
  char p[4200], q[4200];
  snprintf(p, sizeof p, "%s/plain.pdf", dir);
  cr_assert_eq(report_write_pdf(&r, p, &err), 0, "%s", err.msg);
  snprintf(p, sizeof p, "%s/plain.json", dir);
  cr_assert_eq(report_write_json(&r, p, &err), 0, "%s", err.msg);
  snprintf(p, sizeof p, "%s/plain.html", dir);
  cr_assert_eq(report_write_html(&r, p, &err), 0, "%s", err.msg);
  cJSON *meta = cJSON_CreateObject();
  cJSON_AddStringToObject(meta, "format", "rert-viewer/1");
  cJSON_AddStringToObject(meta, "patient_id", "</script><script>alert(1)</script>");
  report_viewer_set(&r, meta);
  unsigned short px[64];
  for (int i = 0; i < 64; i++) px[i] = (unsigned short)(1000 + i);
  cr_assert_eq(report_viewer_add_blob(&r, "ct", px, sizeof px, 2, &err), 0);
  snprintf(q, sizeof q, "%s/viewer.pdf", dir);
  cr_assert_eq(report_write_pdf(&r, q, &err), 0, "%s", err.msg);
  snprintf(q, sizeof q, "%s/viewer.json", dir);
  cr_assert_eq(report_write_json(&r, q, &err), 0, "%s", err.msg);
  snprintf(q, sizeof q, "%s/viewer.html", dir);
  cr_assert_eq(report_write_html(&r, q, &err), 0, "%s", err.msg);
  report_free(&r);
  static const char *const ext[] = {"pdf", "json"};
  for (int e = 0; e < 2; e++) {
    size_t na, nb;
    snprintf(p, sizeof p, "%s/plain.%s", dir, ext[e]);
    snprintf(q, sizeof q, "%s/viewer.%s", dir, ext[e]);
    char *a = slurp(p, &na), *b = slurp(q, &nb);
    cr_assert(a && b);
    cr_assert(na == nb && memcmp(a, b, na) == 0, "report.%s is unchanged by the viewer data", ext[e]);
    free(a);
    free(b);
  }
  size_t nh;
  snprintf(q, sizeof q, "%s/viewer.html", dir);
  char *h = slurp(q, &nh);
  cr_assert(strstr(h, "id=\"rert-viewer\""), "viewer container");
  cr_assert(strstr(h, "id=\"rert-viewer-data\""), "viewer JSON");
  cr_assert(strstr(h, "class=\"rert-blob\" data-id=\"ct\" data-bytes=\"128\" data-elem=\"2\""), "blob element");
  cr_assert(strstr(h, "RertEngine"), "engine.js embedded");
  cr_assert(strstr(h, "rertViewer"), "viewer.js embedded");
  cr_assert(strstr(h, "<\\/script><script>alert(1)<\\/script>"), "</ inside the JSON is written <\\/");
  cr_assert_null(strstr(h, "alert(1)</script>"), "JSON cannot close its script element");
  cr_assert_null(strstr(h, "http://"), "no external resource");
  cr_assert_null(strstr(h, "https://"), "no external resource");
  free(h);
  snprintf(p, sizeof p, "%s/plain.html", dir);
  h = slurp(p, &nh);
  cr_assert_null(strstr(h, "rert-viewer"), "no viewer without viewer data");
  free(h);
}

/* A point-dose case: brainstem 54 Gy physical in 27 fx (prior, ended 2022-01-10), new course
 * 2 Gy x 30 with the organ at its prescription (docs/accumulate.md "Point-dose cases"). */
static void write_case(const char *path, const char *scale_json) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fprintf(f,
          "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"VIEWER-SCALE\"},\n"
          "\"courses\":[{\"id\":\"c1\",\"role\":\"prior\",\"start_date\":\"2021-11-29\",\"end_date\":\"2022-01-10\","
          "\"modality\":\"photon\",\"fractions\":27,\"prescription_gy\":54%s,"
          "\"point_doses\":{\"Brainstem\":{\"dose_gy\":54,\"metric\":\"Dmax\"}}},\n"
          "{\"id\":\"c2\",\"role\":\"planned\",\"start_date\":\"2024-07-10\",\"end_date\":\"2024-08-20\",\"modality\":\"photon\",\"fractions\":30,"
          "\"prescription_gy\":60,\"point_doses\":{\"Brainstem\":{\"dose_gy\":20,\"metric\":\"Dmax\"}}}],\n"
          "\"protocols\":[\"care_s0\"]}\n",
          scale_json);
  fclose(f);
}

static double brainstem_value(const cJSON *j) {
  const cJSON *ev, *c;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(j, "evaluations")) cJSON_ArrayForEach(c, cJSON_GetObjectItem(ev, "constraints")) {
    const cJSON *v = cJSON_GetObjectItem(c, "value");
    if (!strcmp(cJSON_GetObjectItem(c, "structure")->valuestring, "Brainstem") && cJSON_IsNumber(v)) return v->valuedouble;
  }
  return NAN;
}

Test(report_viewer, x_dose_scale_applied_by_rert_evaluate) {
  const char *dir = test_tmpdir();
  char cp[4200], args[8600];
  snprintf(cp, sizeof cp, "%s/case.json", dir);
  /* prior 54 Gy/27 fx scaled by 0.5 = 27 Gy/27 fx: EQD2 at a/b 2 = 27 (1 + 2) / 4 = 20.25 Gy;
   * new course 20 Gy/30 fx: 20 (2/3 + 2)/4 = 13.3333 Gy; CARE counts the prior in full (limit model) */
  write_case(cp, ",\"x_dose_scale\":0.5");
  snprintf(args, sizeof args, "evaluate %s", cp);
  cJSON *j = NULL;
  int st = run_rert_json(args, &j);
  /* the point case holds only the brainstem: care_s0's cord, chiasm and optic-nerve rows are not
   * evaluated, so the verdict is INCOMPLETE (exit 4); the value checked here is the brainstem's */
  cr_assert(st == 0 || st == 1 || st == 4, "exit %d", st);
  cr_assert_not_null(j);
  double v = brainstem_value(j);
  cr_assert_float_eq(v, 20.25 + 20.0 * (20.0 / 30.0 + 2.0) / 4.0, 1e-6, "cumulative EQD2 %g", v);
  cJSON_Delete(j);
}

Test(report_viewer, x_dose_scale_refused_with_its_path) {
  const char *dir = test_tmpdir();
  static const char *const bad[] = {",\"x_dose_scale\":-1", ",\"x_dose_scale\":\"0.8\"", ",\"x_dose_scale\":3.5"};
  for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
    char cp[4200], args[8600], out[4200];
    snprintf(cp, sizeof cp, "%s/case%zu.json", dir, q);
    write_case(cp, bad[q]);
    char *e = NULL;
    snprintf(args, sizeof args, "evaluate %s", cp);
    int st = run_rert(args, NULL, &e);
    cr_assert_eq(st, 2, "rert evaluate exit %d for %s", st, bad[q]);
    cr_assert(e && strstr(e, "$.courses[0].x_dose_scale") && strstr(e, cp), "message names file and path: %s", e ? e : "");
    free(e);
    e = NULL;
    snprintf(out, sizeof out, "%s/out%zu", dir, q);
    snprintf(args, sizeof args, "accumulate %s --out %s", cp, out);
    st = run_rert(args, NULL, &e);
    cr_assert_eq(st, 2, "rert accumulate exit %d", st);
    cr_assert(e && strstr(e, "x_dose_scale"), "%s", e ? e : "");
    struct stat sb;
    cr_assert_neq(stat(out, &sb), 0, "no output left");
    free(e);
  }
}
