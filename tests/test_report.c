/* The report renderers (src/report): SHA-256 against FIPS 180-2 vectors, JSON/HTML/PDF content,
 * byte-identical output for identical input, and slice pictures against closed-form geometry. */
#include <cairo.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_draw.h"
#include "support/report_fixture.h"
#include "support/run.h"

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)len + 1);
  cr_assert_eq(fread(b, 1, (size_t)len, f), (size_t)len);
  b[len] = 0;
  fclose(f);
  if (n) *n = (size_t)len;
  return b;
}

/* FIPS 180-2 Appendix B.1 ("abc") and the well-known digest of the empty string */
Test(report, sha256_vectors) {
  char hex[65];
  report_sha256_buffer("abc", 3, hex);
  cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  report_sha256_buffer("", 0, hex);
  cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  char path[4200];
  snprintf(path, sizeof path, "%s/abc.txt", test_tmpdir());
  FILE *f = fopen(path, "wb");
  fputs("abc", f);
  fclose(f);
  rert_err err;
  cr_assert_eq(report_sha256_file(path, hex, &err), 0);
  cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  cr_assert_eq(report_sha256_file("/nonexistent/x", hex, &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "/nonexistent/x"));
}

/* Printed cells: decimals as the column says, null → en dash, tier/verdict colours */
Test(report, cell_format) {
  cJSON *col = cJSON_Parse("{\"key\":\"value_gy\",\"decimals\":1,\"style\":\"verdict\"}");
  cJSON *row = cJSON_Parse("{\"value_gy\":47.26,\"x\":null}");
  char buf[64];
  report_format_cell(col, row, buf, sizeof buf);
  cr_assert_str_eq(buf, "47.3");
  cJSON_ReplaceItemInObject(col, "key", cJSON_CreateString("x"));
  report_format_cell(col, row, buf, sizeof buf);
  cr_assert_str_eq(buf, "\xe2\x80\x93");
  double rgb[3];
  cr_assert(report_cell_rgb(col, "fail", rgb));
  cr_assert(rgb[0] > rgb[1]); /* red */
  cr_assert(report_cell_rgb(col, "pass", rgb));
  cr_assert(rgb[1] > rgb[0]); /* green */
  cJSON_Delete(col);
  cJSON_Delete(row);
}

static void render(const char *dir) {
  rert_report r;
  rert_err err;
  cr_assert_eq(fixture_report(&r, "2026-01-02T03:04:05Z", &err), 0, "%s", err.msg);
  char p[4200];
  snprintf(p, sizeof p, "%s/report.json", dir);
  cr_assert_eq(report_write_json(&r, p, &err), 0, "%s", err.msg);
  snprintf(p, sizeof p, "%s/report.html", dir);
  cr_assert_eq(report_write_html(&r, p, &err), 0, "%s", err.msg);
  snprintf(p, sizeof p, "%s/report.pdf", dir);
  cr_assert_eq(report_write_pdf(&r, p, &err), 0, "%s", err.msg);
  report_free(&r);
}

Test(report, renders_all_formats) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  render(dir);
  char p[4200];
  snprintf(p, sizeof p, "%s/report.json", dir);
  char *js = slurp(p, NULL);
  cJSON *j = cJSON_Parse(js);
  cr_assert_not_null(j);
  cr_assert_str_eq(cJSON_GetObjectItem(j, "report_format")->valuestring, REPORT_FORMAT);
  cr_assert_str_eq(cJSON_GetObjectItem(j, "created_utc")->valuestring, "2026-01-02T03:04:05Z");
  cJSON *secs = cJSON_GetObjectItem(j, "sections");
  cr_assert_eq(cJSON_GetArraySize(secs), 5);
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(secs, 3), "id")->valuestring, "constraints");
  /* the number as given, units in the key */
  cr_assert_float_eq(json_path_num(j, "sections.3.blocks.0.rows.0.value_gy"), 47.25, 1e-12);
  cJSON_Delete(j);
  free(js);

  snprintf(p, sizeof p, "%s/report.html", dir);
  char *html = slurp(p, NULL);
  cr_assert(strstr(html, "<section id=\"constraints\">"));
  cr_assert(strstr(html, "Brainstem &lt;&amp;&gt;"), "HTML escaping");
  cr_assert(strstr(html, "data:image/png;base64,"));
  cr_assert(strstr(html, "data:image/svg+xml;base64,"));
  cr_assert_null(strstr(html, "src=\"http"), "self-contained: no external resources");
  cr_assert_null(strstr(html, "href=\"http"));
  cr_assert(strstr(html, "background:#fab3b3"), "fail cell coloured");
  free(html);

  snprintf(p, sizeof p, "%s/report.pdf", dir);
  size_t n;
  char *pdf = slurp(p, &n);
  cr_assert(n > 1000 && memcmp(pdf, "%PDF-", 5) == 0);
  free(pdf);
}

/* Same inputs → identical bytes (the creation time is an input here) */
Test(report, deterministic) {
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s", test_tmpdir());
  snprintf(b, sizeof b, "%s", test_tmpdir());
  cr_assert_str_neq(a, b);
  render(a);
  render(b);
  static const char *files[] = {"report.json", "report.html", "report.pdf"};
  for (int i = 0; i < 3; i++) {
    char pa[4200], pb[4200];
    snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
    snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
    size_t na, nb;
    char *x = slurp(pa, &na), *y = slurp(pb, &nb);
    cr_assert_eq(na, nb, "%s differs in size", files[i]);
    cr_assert_eq(memcmp(x, y, na), 0, "%s differs", files[i]);
    free(x);
    free(y);
  }
}

typedef struct {
  const unsigned char *p;
  size_t left;
} rd;
static cairo_status_t rdfn(void *c, unsigned char *d, unsigned int n) {
  rd *s = c;
  if (n > s->left) return CAIRO_STATUS_READ_ERROR;
  memcpy(d, s->p, n);
  s->p += n;
  s->left -= n;
  return CAIRO_STATUS_SUCCESS;
}

/* A line pixel is the line colour blended over the background (0x202020 when there is no CT):
 * px = a*rgb + (1-a)*bg with coverage a >= 0.5 somewhere within 2 px. */
static int has_colour_near(cairo_surface_t *s, int u, int v, const unsigned char rgb[3]) {
  unsigned char *pix = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  const double bg = 0x20;
  for (int dv = -2; dv <= 2; dv++)
    for (int du = -2; du <= 2; du++) {
      uint32_t px = ((uint32_t *)(pix + (size_t)(v + dv) * stride))[u + du];
      double c[3] = {(px >> 16) & 255, (px >> 8) & 255, px & 255};
      int best = 0;
      for (int q = 1; q < 3; q++)
        if (fabs(rgb[q] - bg) > fabs(rgb[best] - bg)) best = q;
      double a = (c[best] - bg) / (rgb[best] - bg);
      if (a < 0.5 || a > 1.05) continue;
      int ok = 1;
      for (int q = 0; q < 3; q++) ok &= fabs(c[q] - (a * rgb[q] + (1 - a) * bg)) < 25;
      if (ok) return 1;
    }
  return 0;
}

/* D(r) = 80 − r: the 40 Gy line is the circle r = 40 mm in every plane through the origin.
 * Field of view: x from −97.5 to 94.5 mm (64 voxels of 3 mm), 384 px → 0.5 mm/px, so the
 * origin is pixel 195 and r = 40 mm is 80 px away (closed-form geometry). */
Test(report, slice_isodose_geometry) {
  rert_volume dose;
  rert_err err;
  cr_assert_eq(fixture_dose(&dose, &err), 0);
  double levels[] = {20, 40, 60};
  report_slice_spec spec = {NULL, 40, 400, &dose, levels, 3, NULL, 0, {0, 0, 0}, 384};
  unsigned char c40[3], c20[3];
  report_isodose_rgb(1, 3, c40);
  report_isodose_rgb(0, 3, c20);
  for (int p = 0; p < 3; p++) {
    unsigned char *png;
    size_t n;
    int w, h;
    cr_assert_eq(report_render_slice_png(&spec, (report_plane)p, &png, &n, &w, &h, &err), 0);
    cr_assert_eq(w, 384);
    rd s = {png, n};
    cairo_surface_t *img = cairo_image_surface_create_from_png_stream(rdfn, &s);
    cr_assert_eq(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    cr_assert_eq(cairo_image_surface_get_width(img), w);
    int u0 = 195;
    /* v axis: axial y from −97.5 (row 0) → origin at row 195; coronal/sagittal z from +58.5
     * (row 0) downwards → origin at row 117 */
    int v0 = p == 0 ? 195 : 117;
    cr_assert(has_colour_near(img, u0 + 80, v0, c40), "plane %d: 40 Gy line at +40 mm", p);
    cr_assert(has_colour_near(img, u0 - 80, v0, c40), "plane %d: 40 Gy line at -40 mm", p);
    cr_assert(has_colour_near(img, u0 + 120, v0, c20), "plane %d: 20 Gy line at +60 mm", p);
    cr_assert(!has_colour_near(img, u0 + 100, v0, c40), "plane %d: nothing at +50 mm", p);
    cairo_surface_destroy(img);
    free(png);
  }
  volume_free(&dose);
}
