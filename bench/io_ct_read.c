/* io_ct_read.c — timing of the CT series reader (not a test): `io_ct_read write DIR` writes a
 * clinical-size 512×512×150 CT (0.98×0.98×2.5 mm), `io_ct_read read DIR` reads it back.
 * Build: cc -O2 -Iinclude bench/io_ct_read.c BUILD/librert.a -ldcmrt -ldcmdata -loflog -lofstd
 *        -lcjson -lm -lstdc++ -fopenmp; time with farm-bench (docs/io.md has the numbers). */
#include <stdio.h>
#include <string.h>

#include "rert/dicomio.h"

int main(int argc, char **argv) {
  rert_err e;
  if (argc != 3) return 2;
  if (strcmp(argv[1], "write") == 0) {
    rert_image_series s;
    memset(&s, 0, sizeof s);
    strcpy(s.ident.patient_id, "BENCH");
    strcpy(s.ident.modality, "CT");
    s.image.nx = s.image.ny = 512;
    s.image.nz = 150;
    s.image.spacing_mm[0] = s.image.spacing_mm[1] = 0.9765625;
    s.image.spacing_mm[2] = 2.5;
    if (volume_alloc(&s.image, &e)) return 3;
    for (size_t n = 0; n < volume_count(&s.image); n++) s.image.data[n] = (float)((n * 7) % 3000) - 1000;
    int rc = io_write_ct_series(argv[2], &s, NULL, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    return rc;
  }
  rert_image_series r;
  int rc = io_read_image_series(argv[2], NULL, &r, &e);
  if (rc) { fprintf(stderr, "%s\n", e.msg); return rc; }
  printf("%dx%dx%d first %g\n", r.image.nx, r.image.ny, r.image.nz, r.image.data[1]);
  rtdata_free_image_series(&r);
  return 0;
}
