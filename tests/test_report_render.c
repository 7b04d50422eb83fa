/* The rendered report as a person sees it: the PDF rasterised by poppler (pdftoppm) and its text
 * extracted (pdftotext) must show every section title; the HTML must render in headless
 * Chromium to a non-blank screenshot. Peer tools: poppler-utils, chromium (Debian). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/report_fixture.h"
#include "support/run.h"

static void render(const char *dir) {
  rert_report r;
  rert_err err;
  cr_assert_eq(fixture_report(&r, "2026-01-02T03:04:05Z", &err), 0, "%s", err.msg);
  char p[4200];
  snprintf(p, sizeof p, "%s/report.html", dir);
  cr_assert_eq(report_write_html(&r, p, &err), 0, "%s", err.msg);
  snprintf(p, sizeof p, "%s/report.pdf", dir);
  cr_assert_eq(report_write_pdf(&r, p, &err), 0, "%s", err.msg);
  report_free(&r);
}

static long file_size(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

Test(report_render, pdf_poppler) {
  const char *dir = test_tmpdir();
  render(dir);
  char cmd[8800];
  snprintf(cmd, sizeof cmd, "pdftoppm -r 50 -png %s/report.pdf %s/page 2>%s/pdftoppm.err", dir, dir, dir);
  cr_assert_eq(system(cmd), 0, "pdftoppm failed");
  char p[4400];
  snprintf(p, sizeof p, "%s/pdftoppm.err", dir);
  cr_assert_eq(file_size(p), 0, "poppler reported errors");
  snprintf(p, sizeof p, "%s/page-1.png", dir);
  cr_assert(file_size(p) > 5000, "page 1 rendered");
  snprintf(cmd, sizeof cmd, "pdftotext -layout %s/report.pdf %s/report.txt", dir, dir);
  cr_assert_eq(system(cmd), 0);
  snprintf(p, sizeof p, "%s/report.txt", dir);
  FILE *f = fopen(p, "r");
  cr_assert_not_null(f);
  static char txt[1 << 20];
  size_t n = fread(txt, 1, sizeof txt - 1, f);
  txt[n] = 0;
  fclose(f);
  static const char *titles[] = {"1. Patient and courses", "2. Assumptions", "4. Dose-volume histograms",
                                 "5. Slices through the recurrence", "6. Constraints", "PHANTOM-001",
                                 "SpinalCord", "47.2"};
  for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
    cr_assert(strstr(txt, titles[i]), "PDF text lacks '%s'", titles[i]);
}

Test(report_render, html_chromium, .timeout = 300) {
  if (system("command -v chromium >/dev/null 2>&1") != 0) cr_skip_test("chromium not installed");
  const char *dir = test_tmpdir();
  render(dir);
  char cmd[12000];
  snprintf(cmd, sizeof cmd,
           "cd %s && timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
           "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
           "--user-data-dir=%s/profile --window-size=1000,1400 --screenshot=%s/shot.png "
           "file://%s/report.html >%s/chromium.log 2>&1",
           dir, dir, dir, dir, dir);
  cr_assert_eq(system(cmd), 0, "chromium failed (see %s/chromium.log)", dir);
  char p[4400];
  snprintf(p, sizeof p, "%s/shot.png", dir);
  /* a blank 1000x1400 PNG compresses to a few kB; the report page is far larger */
  cr_assert(file_size(p) > 30000, "screenshot is blank or missing (%ld bytes)", file_size(p));
}
