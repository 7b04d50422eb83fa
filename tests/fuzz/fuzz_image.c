/* fuzz_image.c — libFuzzer target for the MetaImage / NIfTI readers and the field checks
 * (rert/imageio.h, rert/fieldcheck.h). The format is chosen at compile time by FUZZ_EXT (".mha",
 * ".nii", ".nii.gz"): the readers go by file name, so each input is written to one temporary file
 * with that extension and read back. Any byte string must be refused with one line or read
 * without a crash, leak, sanitizer report or an allocation beyond what the file can justify
 * (libFuzzer's -malloc_limit_mb catches the latter). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rert/fieldcheck.h"
#include "rert/imageio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int write_input(const uint8_t *data, size_t size) {
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/rert-fuzz-XXXXXX%s", FUZZ_EXT);
    int fd = mkstemps(path, (int)strlen(FUZZ_EXT));
    if (fd < 0) abort();
    close(fd);
  }
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  write_input(data, size);
  rert_err err;
  rert_volume g;
  int nc = 0;
  float *vals = NULL;
  int rc = imageio_read_any(path, &g, &nc, &vals, &err);
  if (rc != RERT_OK) {
    if (!memchr(err.msg, 0, sizeof err.msg) || strchr(err.msg, '\n')) abort(); /* one line */
    return 0;
  }
  if (nc == 3) {
    rert_vfield f;
    memset(&f, 0, sizeof f);
    f.nx = g.nx, f.ny = g.ny, f.nz = g.nz;
    memcpy(f.origin_mm, g.origin_mm, sizeof f.origin_mm);
    memcpy(f.spacing_mm, g.spacing_mm, sizeof f.spacing_mm);
    memcpy(f.dir, g.dir, sizeof f.dir);
    f.u_mm = vals;
    fieldcheck_layout(&f, path, "DimSize", &err);
    /* coverage of a small dose-like region around the field's origin */
    rert_volume r;
    memset(&r, 0, sizeof r);
    r.nx = r.ny = r.nz = 4;
    r.spacing_mm[0] = r.spacing_mm[1] = r.spacing_mm[2] = 5;
    memcpy(r.origin_mm, g.origin_mm, sizeof r.origin_mm);
    if (volume_alloc(&r, &err) == RERT_OK) {
      for (size_t i = 0; i < volume_count(&r); i++) r.data[i] = (float)(i % 3);
      fieldcheck_coverage(&f, NULL, &r, path, "region", &err);
      volume_free(&r);
    }
  }
  free(vals);
  return 0;
}
