/* test_io_jpeg.c — compressed CT as PACS exports it: the synthetic patient's CT re-encoded by
 * DCMTK's own command-line encoders (dcmcjpeg JPEG Lossless SV1, dcmcjpls JPEG-LS lossless) must
 * read back voxel for voxel identical to the uncompressed series (the encodings are lossless, so
 * the uncompressed original is the independent reference). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dicomio.h"
#include "support/run.h"

static void recode(const char *tool, const char *flags, const char *src, const char *dst) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s' && for f in '%s'/*.dcm; do %s %s \"$f\" '%s'/$(basename \"$f\") || exit 1; done",
           dst, src, tool, flags, dst);
  cr_assert_eq(system(cmd), 0, "%s failed", tool);
}

static void same_series(const char *a, const char *b) {
  rert_image_series sa, sb;
  memset(&sa, 0, sizeof sa);
  memset(&sb, 0, sizeof sb);
  rert_err e;
  cr_assert_eq(io_read_image_series(a, NULL, &sa, &e), 0, "%s", e.msg);
  cr_assert_eq(io_read_image_series(b, NULL, &sb, &e), 0, "%s", e.msg);
  cr_assert(volume_same_geometry(&sa.image, &sb.image));
  size_t n = volume_count(&sa.image), bad = 0;
  for (size_t i = 0; i < n; i++) bad += sa.image.data[i] != sb.image.data[i];
  cr_assert_eq(bad, 0, "%zu of %zu voxels differ after lossless recompression", bad, n);
  rtdata_free_image_series(&sa);
  rtdata_free_image_series(&sb);
}

Test(io_jpeg, lossless_ct_reads_identical, .timeout = 300) {
  if (system("command -v dcmcjpeg >/dev/null && command -v dcmcjpls >/dev/null") != 0)
    cr_skip_test("dcmtk command-line tools not installed (scripts/deps.d/io.txt lists dcmtk)");
  char dir[512], cmd[1024], jpg[600], jls[600], ct[600];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  snprintf(cmd, sizeof cmd, "phantom --out %s/pt --size small", dir);
  cr_assert_eq(run_rert(cmd, NULL, NULL), 0);
  snprintf(ct, sizeof ct, "%s/pt/course1/CT", dir);
  snprintf(jpg, sizeof jpg, "%s/jpeg", dir);
  snprintf(jls, sizeof jls, "%s/jpls", dir);
  recode("dcmcjpeg", "--encode-lossless-sv1", ct, jpg);
  recode("dcmcjpls", "--encode-lossless", ct, jls);
  same_series(ct, jpg);
  same_series(ct, jls);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}
