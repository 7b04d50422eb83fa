/* test_imageio.c — MetaImage and NIfTI reading/writing (rert/imageio.h).
 * Independent sources: hand-written MetaImage headers with hand-computed voxel values (big-endian
 * shorts), a NIfTI file built directly with niftilib whose RAS sform gives the LPS geometry by
 * negating x and y (NIfTI-1 standard, nifti1.h comments), and exact round trips. */
#include <criterion/criterion.h>
#include <math.h>
#include <nifti1_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rert/imageio.h"
#include "rert/register.h"

static char dir[256];
static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/rert_imageio_%d", (int)getpid());
  char cmd[300];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
  cr_assert(system(cmd) == 0);
}
static void teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)!system(cmd);
}
TestSuite(imageio, .init = setup, .fini = teardown);

static rert_volume oblique_volume(void) {
  rert_volume v;
  memset(&v, 0, sizeof v);
  v.nx = 4, v.ny = 3, v.nz = 2;
  v.origin_mm[0] = -12.5, v.origin_mm[1] = 33.25, v.origin_mm[2] = 7;
  v.spacing_mm[0] = 0.9, v.spacing_mm[1] = 1.1, v.spacing_mm[2] = 2.5;
  /* rotation by 30° about z: u = (cos, sin, 0), v = (−sin, cos, 0), w = z */
  double c = cos(M_PI / 6), s = sin(M_PI / 6);
  double d[9] = {c, s, 0, -s, c, 0, 0, 0, 1};
  memcpy(v.dir, d, sizeof d);
  rert_err e;
  cr_assert(volume_alloc(&v, &e) == RERT_OK);
  for (size_t i = 0; i < volume_count(&v); i++) v.data[i] = (float)(i * 1.5 - 7);
  return v;
}

static void check_same(const rert_volume *a, const rert_volume *b) {
  cr_assert_eq(a->nx, b->nx);
  cr_assert_eq(a->ny, b->ny);
  cr_assert_eq(a->nz, b->nz);
  for (int q = 0; q < 3; q++) {
    cr_assert_float_eq(a->origin_mm[q], b->origin_mm[q], 1e-4);
    cr_assert_float_eq(a->spacing_mm[q], b->spacing_mm[q], 1e-5);
  }
  for (int q = 0; q < 9; q++) cr_assert_float_eq(a->dir[q], b->dir[q], 1e-5);
  for (size_t i = 0; i < volume_count(a); i++) cr_assert_eq(a->data[i], b->data[i]);
}

static void roundtrip(const char *name) {
  rert_volume v = oblique_volume(), r;
  rert_err e;
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  cr_assert(imageio_write_volume(p, &v, &e) == RERT_OK, "%s", e.msg);
  cr_assert(imageio_read_volume(p, &r, &e) == RERT_OK, "%s", e.msg);
  check_same(&v, &r);
  volume_free(&v), volume_free(&r);
}

Test(imageio, roundtrip_mha) { roundtrip("a.mha"); }
Test(imageio, roundtrip_mhd) { roundtrip("a.mhd"); }
Test(imageio, roundtrip_nii) { roundtrip("a.nii"); }
Test(imageio, roundtrip_niigz) { roundtrip("a.nii.gz"); }

Test(imageio, handwritten_mha_big_endian_short) {
  /* 3x2x1 MET_SHORT big-endian values 1, -2, 300, 4, 5, -32768 (hand-encoded bytes) */
  char p[512];
  snprintf(p, sizeof p, "%s/h.mha", dir);
  FILE *f = fopen(p, "wb");
  fprintf(f, "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = True\n"
             "TransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = -100 -50.5 20\nElementSpacing = 2 3 4\n"
             "DimSize = 3 2 1\nElementType = MET_SHORT\nElementDataFile = LOCAL\n");
  unsigned char b[12] = {0x00, 0x01, 0xFF, 0xFE, 0x01, 0x2C, 0x00, 0x04, 0x00, 0x05, 0x80, 0x00};
  fwrite(b, 1, 12, f);
  fclose(f);
  rert_volume v;
  rert_err e;
  cr_assert(imageio_read_volume(p, &v, &e) == RERT_OK, "%s", e.msg);
  float want[6] = {1, -2, 300, 4, 5, -32768};
  for (int i = 0; i < 6; i++) cr_assert_eq(v.data[i], want[i]);
  cr_assert_float_eq(v.origin_mm[1], -50.5, 1e-12);
  cr_assert_float_eq(v.spacing_mm[2], 4, 1e-12);
  /* voxel (2,1,0) centre = origin + (2·2, 1·3, 0) = (−96, −47.5, 20) */
  double ijk[3] = {2, 1, 0}, x[3];
  volume_index_to_world(&v, ijk, x);
  cr_assert_float_eq(x[0], -96, 1e-9);
  cr_assert_float_eq(x[1], -47.5, 1e-9);
  volume_free(&v);
}

Test(imageio, nifti_ras_to_lps) {
  /* NIfTI sform (RAS): x_ras = −2·i + 10, y_ras = −3·j + 20, z = 4·k − 30 → in LPS the i axis
   * points +x with spacing 2, origin (−10, −20, −30). */
  int dims[8] = {3, 2, 2, 2, 1, 1, 1, 1};
  nifti_image *nim = nifti_make_new_nim(dims, DT_INT16, 1);
  short *d = nim->data;
  for (int i = 0; i < 8; i++) d[i] = (short)(10 * i);
  mat44 m;
  memset(&m, 0, sizeof m);
  m.m[0][0] = -2, m.m[1][1] = -3, m.m[2][2] = 4, m.m[3][3] = 1;
  m.m[0][3] = 10, m.m[1][3] = 20, m.m[2][3] = -30;
  nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->sto_xyz = m;
  nim->pixdim[1] = 2, nim->pixdim[2] = 3, nim->pixdim[3] = 4;
  char p[512];
  snprintf(p, sizeof p, "%s/ras.nii", dir);
  nifti_set_filenames(nim, p, 0, 1);
  nifti_image_write(nim);
  nifti_image_free(nim);
  rert_volume v;
  rert_err e;
  cr_assert(imageio_read_volume(p, &v, &e) == RERT_OK, "%s", e.msg);
  cr_assert_float_eq(v.origin_mm[0], -10, 1e-5);
  cr_assert_float_eq(v.origin_mm[1], -20, 1e-5);
  cr_assert_float_eq(v.origin_mm[2], -30, 1e-5);
  cr_assert_float_eq(v.spacing_mm[0], 2, 1e-5);
  cr_assert_float_eq(v.dir[0], 1, 1e-6);
  cr_assert_float_eq(v.dir[4], 1, 1e-6);
  cr_assert_float_eq(v.dir[8], 1, 1e-6);
  cr_assert_eq(v.data[7], 70);
  volume_free(&v);
}

static void vf_roundtrip(const char *name) {
  rert_volume g = oblique_volume();
  rert_vfield f, r;
  rert_err e;
  cr_assert(reg_vfield_alloc_like(&f, &g, &e) == RERT_OK);
  for (size_t i = 0; i < 3 * reg_vfield_count(&f); i++) f.u_mm[i] = (float)(0.25 * i - 3);
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  cr_assert(imageio_write_vfield(p, &f, &e) == RERT_OK, "%s", e.msg);
  cr_assert(imageio_read_vfield(p, &r, &e) == RERT_OK, "%s", e.msg);
  cr_assert_eq(r.nx, 4);
  for (size_t i = 0; i < 3 * reg_vfield_count(&f); i++) cr_assert_eq(r.u_mm[i], f.u_mm[i]);
  for (int q = 0; q < 9; q++) cr_assert_float_eq(r.dir[q], f.dir[q], 1e-5);
  /* a scalar reader must refuse the vector file */
  rert_volume s;
  cr_assert(imageio_read_volume(p, &s, &e) == RERT_EINPUT);
  rtdata_free_vfield(&f), rtdata_free_vfield(&r), volume_free(&g);
}
Test(imageio, vfield_roundtrip_mha) { vf_roundtrip("f.mha"); }
Test(imageio, vfield_roundtrip_nii) { vf_roundtrip("f.nii.gz"); }

Test(imageio, bad_inputs) {
  rert_volume v;
  rert_err e;
  char p[512];
  cr_assert(imageio_read_volume("/nonexistent/x.mha", &v, &e) == RERT_EINPUT);
  cr_assert(imageio_read_volume("x.png", &v, &e) == RERT_EINPUT);
  snprintf(p, sizeof p, "%s/t.mha", dir);
  FILE *f = fopen(p, "wb");
  fprintf(f, "NDims = 3\nDimSize = 10 10 10\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n");
  fwrite("abcd", 1, 4, f);
  fclose(f);
  cr_assert(imageio_read_volume(p, &v, &e) == RERT_EINPUT);
  cr_assert(strstr(e.msg, "truncated") != NULL, "%s", e.msg);
  f = fopen(p, "wb");
  fprintf(f, "NDims = 3\nDimSize = 1 1 1\nCompressedData = True\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n");
  fclose(f);
  cr_assert(imageio_read_volume(p, &v, &e) == RERT_EINPUT);
  snprintf(p, sizeof p, "%s/bad.nii", dir);
  f = fopen(p, "wb");
  fprintf(f, "not a nifti");
  fclose(f);
  cr_assert(imageio_read_volume(p, &v, &e) == RERT_EINPUT);
}
