/* nifti.c — NIfTI-1 (.nii, .nii.gz) scalar volumes and 3-component vector fields through the
 * Debian niftilib (libniftiio). NIfTI positions are RAS: x and y are negated to reach rert's LPS.
 * Vector components are kept unchanged (LPS), as ITK/plastimatch/elastix write them
 * (rert/imageio.h). The sform is preferred over the qform (it is what ITK reads first when set). */
#include <math.h>
#include <nifti1_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imageio/imageio_internal.h"
#include "rert/fileio.h"

static int to_float(const nifti_image *nim, size_t n, float *out) {
  const void *d = nim->data;
  double slope = nim->scl_slope, inter = nim->scl_inter;
  int scale = slope != 0 && isfinite(slope) && !(slope == 1 && inter == 0);
  for (size_t i = 0; i < n; i++) {
    double v;
    switch (nim->datatype) {
      case DT_UINT8: v = ((const unsigned char *)d)[i]; break;
      case DT_INT8: v = ((const signed char *)d)[i]; break;
      case DT_INT16: v = ((const short *)d)[i]; break;
      case DT_UINT16: v = ((const unsigned short *)d)[i]; break;
      case DT_INT32: v = ((const int *)d)[i]; break;
      case DT_UINT32: v = ((const unsigned int *)d)[i]; break;
      case DT_FLOAT32: v = ((const float *)d)[i]; break;
      case DT_FLOAT64: v = ((const double *)d)[i]; break;
      default: return -1;
    }
    out[i] = (float)(scale ? v * slope + inter : v);
  }
  return 0;
}

int nii_read(const char *path, rert_volume *g, int *ncomp, float **data, rert_err *err) {
  struct stat st;
  if (stat(path, &st) != 0) return rert_err_set(err, RERT_EINPUT, "%s: cannot open", path);
  nifti_set_debug_level(0);
  nifti_image *nim = nifti_image_read(path, 1);
  if (!nim || !nim->data) {
    if (nim) nifti_image_free(nim);
    return rert_err_set(err, RERT_EINPUT, "%s: not a readable NIfTI-1 file", path);
  }
  memset(g, 0, sizeof *g);
  int nc = 1;
  if (nim->ndim >= 5 && nim->nu > 1) nc = nim->nu;
  int nt = nim->ndim >= 4 ? (nim->nt > 0 ? nim->nt : 1) : 1;
  if ((nc != 1 && nc != 3) || nt != 1 || nim->nx <= 0 || nim->ny <= 0 || nim->nz <= 0) {
    int rc = rert_err_set(err, RERT_EINPUT,
                          "%s: dims %dx%dx%d t=%d components=%d (3-D, 1 or 3 components only)",
                          path, (int)nim->nx, (int)nim->ny, (int)nim->nz, nt, nc);
    nifti_image_free(nim);
    return rc;
  }
  g->nx = nim->nx, g->ny = nim->ny, g->nz = nim->nz > 0 ? nim->nz : 1;
  mat44 m;
  if (nim->sform_code > 0) m = nim->sto_xyz;
  else if (nim->qform_code > 0) m = nim->qto_xyz;
  else {
    memset(&m, 0, sizeof m);
    m.m[0][0] = nim->dx > 0 ? nim->dx : 1;
    m.m[1][1] = nim->dy > 0 ? nim->dy : 1;
    m.m[2][2] = nim->dz > 0 ? nim->dz : 1;
    m.m[3][3] = 1;
  }
  for (int c = 0; c < 3; c++) {
    double col[3] = {-m.m[0][c], -m.m[1][c], m.m[2][c]}; /* RAS → LPS */
    double s = sqrt(col[0] * col[0] + col[1] * col[1] + col[2] * col[2]);
    if (!(s > 0) || !isfinite(s)) {
      nifti_image_free(nim);
      return rert_err_set(err, RERT_EINPUT, "%s: degenerate sform/qform", path);
    }
    g->spacing_mm[c] = s;
    for (int a = 0; a < 3; a++) g->dir[3 * c + a] = col[a] / s;
  }
  g->origin_mm[0] = -m.m[0][3], g->origin_mm[1] = -m.m[1][3], g->origin_mm[2] = m.m[2][3];
  size_t nvox = (size_t)g->nx * g->ny * g->nz, nval = nvox * nc;
  float *tmp = malloc(nval * sizeof(float)), *out = malloc(nval * sizeof(float));
  if (!tmp || !out) {
    free(tmp), free(out);
    nifti_image_free(nim);
    return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
  }
  if (to_float(nim, nval, tmp) != 0) {
    free(tmp), free(out);
    int rc = rert_err_set(err, RERT_EINPUT, "%s: NIfTI datatype %d not supported", path, nim->datatype);
    nifti_image_free(nim);
    return rc;
  }
  nifti_image_free(nim);
  /* NIfTI stores a 5-D vector image component-slowest; rert interleaves per voxel. */
  for (int c = 0; c < nc; c++)
    for (size_t i = 0; i < nvox; i++) out[i * nc + c] = tmp[c * nvox + i];
  free(tmp);
  *ncomp = nc;
  *data = out;
  return RERT_OK;
}

int nii_write(const char *path, const rert_volume *g, int ncomp, const float *data, rert_err *err) {
  size_t n = strlen(path);
  int gz = n > 7 && !strcasecmp(path + n - 7, ".nii.gz");
  char tmp[4096];
  int w = snprintf(tmp, sizeof tmp, "%s.tmp%ld%s", path, (long)getpid(), gz ? ".nii.gz" : ".nii");
  if (w < 0 || (size_t)w >= sizeof tmp) return rert_err_set(err, RERT_EINPUT, "%s: path too long", path);
  int dims[8] = {ncomp > 1 ? 5 : 3, g->nx, g->ny, g->nz, 1, ncomp, 1, 1};
  nifti_image *nim = nifti_make_new_nim(dims, DT_FLOAT32, 1);
  if (!nim) return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
  size_t nvox = (size_t)g->nx * g->ny * g->nz;
  float *d = nim->data;
  for (int c = 0; c < ncomp; c++)
    for (size_t i = 0; i < nvox; i++) d[c * nvox + i] = data[i * ncomp + c];
  mat44 m;
  memset(&m, 0, sizeof m);
  for (int c = 0; c < 3; c++)
    for (int a = 0; a < 3; a++)
      m.m[a][c] = (float)(g->dir[3 * c + a] * g->spacing_mm[c] * (a < 2 ? -1 : 1));
  m.m[0][3] = (float)-g->origin_mm[0], m.m[1][3] = (float)-g->origin_mm[1];
  m.m[2][3] = (float)g->origin_mm[2], m.m[3][3] = 1;
  nim->sform_code = nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->sto_xyz = m;
  nim->sto_ijk = nifti_mat44_inverse(m);
  nifti_mat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x,
                         &nim->qoffset_y, &nim->qoffset_z, NULL, NULL, NULL, &nim->qfac);
  nim->qto_xyz = nifti_quatern_to_mat44(nim->quatern_b, nim->quatern_c, nim->quatern_d,
                                        nim->qoffset_x, nim->qoffset_y, nim->qoffset_z,
                                        (float)g->spacing_mm[0], (float)g->spacing_mm[1],
                                        (float)g->spacing_mm[2], nim->qfac);
  nim->qto_ijk = nifti_mat44_inverse(nim->qto_xyz);
  nim->dx = nim->pixdim[1] = (float)g->spacing_mm[0];
  nim->dy = nim->pixdim[2] = (float)g->spacing_mm[1];
  nim->dz = nim->pixdim[3] = (float)g->spacing_mm[2];
  nim->xyz_units = NIFTI_UNITS_MM;
  if (ncomp == 3) nim->intent_code = NIFTI_INTENT_VECTOR;
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  if (nifti_set_filenames(nim, tmp, 0, 1) != 0) {
    nifti_image_free(nim);
    return rert_err_set(err, RERT_EINTERNAL, "%s: cannot set output name", path);
  }
  nifti_set_debug_level(0);
  nifti_image_write(nim);
  nifti_image_free(nim);
  struct stat st;
  if (stat(tmp, &st) != 0 || st.st_size < (gz ? 20 : 348)) {
    unlink(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: NIfTI write failed", path);
  }
  return atomic_rename(tmp, path, err);
}
