/* nifti.c — NIfTI-1 (.nii, .nii.gz) scalar volumes and 3-component vector fields through the
 * Debian niftilib (libniftiio). NIfTI positions are RAS: x and y are negated to reach rert's LPS.
 * Vector components are kept unchanged (LPS), as ITK/plastimatch/elastix write them
 * (rert/imageio.h). The sform is preferred over the qform (it is what ITK reads first when set). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <nifti1_io.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imageio/imageio_internal.h"
#include "rert/fileio.h"
#include "rert/limits.h"

/* niftilib reports some header problems on stderr whatever its debug level (ERREX in
 * nifti_convert_nhdr2nim): rert's one-line error says what is wrong, so the library's own lines
 * are silenced around its calls (rert reads files single-threaded). */
static int quiet_begin(void) {
  fflush(stderr);
  int saved = dup(2), nul = open("/dev/null", O_WRONLY);
  if (saved >= 0 && nul >= 0) dup2(nul, 2);
  if (nul >= 0) close(nul);
  return saved;
}
static void quiet_end(int saved) {
  if (saved < 0) return;
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
}

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

/* gzip ISIZE trailer (RFC 1952 2.3.1): the uncompressed size modulo 2^32 of the last member. */
static int gzip_isize(const char *path, uint32_t *isize) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  unsigned char b[4];
  int ok = fseek(f, -4, SEEK_END) == 0 && fread(b, 1, 4, f) == 4;
  fclose(f);
  if (!ok) return -1;
  *isize = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return 0;
}

static int supported_type(int dt) {
  return dt == DT_UINT8 || dt == DT_INT8 || dt == DT_INT16 || dt == DT_UINT16 || dt == DT_INT32 ||
         dt == DT_UINT32 || dt == DT_FLOAT32 || dt == DT_FLOAT64;
}

int nii_read(const char *path, rert_volume *g, int *ncomp, float **data, rert_err *err) {
  struct stat st;
  if (stat(path, &st) != 0) return rert_err_set(err, RERT_EINPUT, "%s: cannot open", path);
  if (!S_ISREG(st.st_mode)) return rert_err_set(err, RERT_EINPUT, "%s: not a regular file", path);
  nifti_set_debug_level(0);
  /* header first: every declared size is checked against the file before the voxels are read */
  int q = quiet_begin();
  nifti_image *nim = nifti_image_read(path, 0);
  quiet_end(q);
  if (!nim) return rert_err_set(err, RERT_EINPUT, "%s: not a readable NIfTI-1 file", path);
  int rc = RERT_OK;
  float *tmp = NULL, *out = NULL;
#define BAD(...) do { rc = rert_err_set(err, RERT_EINPUT, __VA_ARGS__); goto done; } while (0)
  memset(g, 0, sizeof *g);
  int nc = 1;
  if (nim->ndim >= 5 && nim->nu > 1) nc = nim->nu;
  int nt = nim->ndim >= 4 ? (nim->nt > 0 ? nim->nt : 1) : 1;
  if (nim->ndim < 2 || nim->ndim > 5 || (nc != 1 && nc != 3) || nt != 1 || nim->nx <= 0 ||
      nim->ny <= 0 || nim->nz <= 0 || (nim->ndim > 5 && nim->nv > 1))
    BAD("%s: dim[] = %d: %d x %d x %d, t %d, components %d (3-D with 1 or 3 components only; "
        "a vector field is 5-D with dim[5] = 3)", path, (int)nim->ndim, (int)nim->nx, (int)nim->ny,
        (int)nim->nz, nt, nc);
  if (!supported_type(nim->datatype)) BAD("%s: NIfTI datatype %d not supported", path, nim->datatype);
  {
    const size_t nval = (size_t)nim->nx * nim->ny * nim->nz * nc;
    if (nim->nvox != nval)
      BAD("%s: dim[] declares %zu voxels in dimensions rert does not read", path, (size_t)nim->nvox);
    const unsigned long long need = (unsigned long long)nim->iname_offset +
                                    (unsigned long long)nval * (unsigned long long)nim->nbyper;
    const int gz = nifti_is_gzfile(nim->iname);
    struct stat ds;
    if (!nim->iname || stat(nim->iname, &ds) != 0) BAD("%s: cannot open its voxel data", path);
    if (!gz) {
      if ((unsigned long long)ds.st_size != need)
        BAD("%s: holds %lld bytes but vox_offset %d + dim %d x %d x %d x %d x %d bytes = %llu "
            "(%s)", path, (long long)ds.st_size, nim->iname_offset, (int)nim->nx, (int)nim->ny,
            (int)nim->nz, nc, nim->nbyper, need,
            (unsigned long long)ds.st_size < need ? "truncated, or the header declares more voxels "
                                                    "than the file holds"
                                                  : "more data than declared: wrong or transposed "
                                                    "dimensions?");
    } else {
      /* deflate expands at most 1032:1; the trailer holds the size modulo 2^32 */
      uint32_t isize = 0;
      if (need > 1032ULL * (unsigned long long)ds.st_size + 1024 || gzip_isize(nim->iname, &isize) ||
          isize != (uint32_t)need)
        BAD("%s: the compressed file does not hold vox_offset %d + dim %d x %d x %d x %d x %d "
            "bytes = %llu bytes (gzip size %u): truncated, or wrong dimensions in the header",
            path, nim->iname_offset, (int)nim->nx, (int)nim->ny, (int)nim->nz, nc, nim->nbyper,
            need, (unsigned)isize);
    }
    if (nval > RERT_MAX_GRID_VALUES)
      BAD("%s: dim %d x %d x %d x %d exceeds rert's ceiling of %zu values per grid "
          "(rert/limits.h)", path, (int)nim->nx, (int)nim->ny, (int)nim->nz, nc, RERT_MAX_GRID_VALUES);
  }
  g->nx = nim->nx, g->ny = nim->ny, g->nz = nim->nz > 0 ? nim->nz : 1;
  mat44 m;
  const char *xf = "sform";
  if (nim->sform_code > 0) m = nim->sto_xyz;
  else if (nim->qform_code > 0) m = nim->qto_xyz, xf = "qform";
  else {
    xf = "pixdim";
    memset(&m, 0, sizeof m);
    if (!(nim->dx > 0 && nim->dy > 0 && (nim->dz > 0 || nim->nz == 1)) || !isfinite(nim->dx) ||
        !isfinite(nim->dy) || !isfinite(nim->dz))
      BAD("%s: pixdim (voxel sizes) must be positive and finite", path);
    m.m[0][0] = nim->dx;
    m.m[1][1] = nim->dy;
    m.m[2][2] = nim->dz > 0 ? nim->dz : 1;
    m.m[3][3] = 1;
  }
  double col[3][3];
  for (int c = 0; c < 3; c++) {
    col[c][0] = -m.m[0][c], col[c][1] = -m.m[1][c], col[c][2] = m.m[2][c]; /* RAS → LPS */
    double n = sqrt(col[c][0] * col[c][0] + col[c][1] * col[c][1] + col[c][2] * col[c][2]);
    if (!(n > 0) || !isfinite(n) || !isfinite(m.m[c][3])) BAD("%s: degenerate or non-finite %s", path, xf);
    g->spacing_mm[c] = n;
    for (int a = 0; a < 3; a++) g->dir[3 * c + a] = col[c][a] / n;
  }
  /* rert grids are rotations × spacing: a sheared sform cannot be represented and would be read
   * as a different geometry */
  for (int c = 0; c < 3; c++)
    for (int d = c + 1; d < 3; d++) {
      double dot = 0;
      for (int a = 0; a < 3; a++) dot += g->dir[3 * c + a] * g->dir[3 * d + a];
      if (fabs(dot) > 1e-3) BAD("%s: the %s is sheared (voxel axes %d and %d are not orthogonal)", path, xf, c, d);
    }
  g->origin_mm[0] = -m.m[0][3], g->origin_mm[1] = -m.m[1][3], g->origin_mm[2] = m.m[2][3];
  q = quiet_begin();
  int loaded = nifti_image_load(nim) == 0 && nim->data;
  quiet_end(q);
  if (!loaded) BAD("%s: cannot read the voxel data", path);
  size_t nvox = (size_t)g->nx * g->ny * g->nz, nval = nvox * nc;
  tmp = malloc(nval * sizeof(float));
  out = malloc(nval * sizeof(float));
  if (!tmp || !out) {
    rc = rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
    goto done;
  }
  if (to_float(nim, nval, tmp) != 0) BAD("%s: NIfTI datatype %d not supported", path, nim->datatype);
  /* NIfTI stores a 5-D vector image component-slowest; rert interleaves per voxel. */
  for (int c = 0; c < nc; c++)
    for (size_t i = 0; i < nvox; i++) {
      float x = tmp[c * nvox + i];
      if (!isfinite(x))
        BAD("%s: voxel (%zu, %zu, %zu) is %s%s%s: %s must be finite everywhere", path,
            i % (size_t)g->nx, i / (size_t)g->nx % (size_t)g->ny, i / (size_t)g->nx / (size_t)g->ny,
            isnan(x) ? "NaN" : "infinite", nc > 1 ? " in component " : "",
            nc > 1 ? (c == 0 ? "x" : c == 1 ? "y" : "z") : "",
            nc == 3 ? "a displacement field" : "an image");
      out[i * nc + c] = x;
    }
  *ncomp = nc;
  *data = out;
  out = NULL;
#undef BAD
done:
  free(tmp);
  free(out);
  nifti_image_free(nim);
  return rc;
}

int nii_write(const char *path, const rert_volume *g, int ncomp, const float *data, rert_err *err) {
  size_t n = strlen(path);
  int gz = n > 7 && !strcasecmp(path + n - 7, ".nii.gz");
  /* a unique temporary name beside the target that keeps the extension niftilib goes by */
  char tmp[4096];
  const char *ext = gz ? ".nii.gz" : ".nii";
  int w = snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX%s", path, ext);
  if (w < 0 || (size_t)w >= sizeof tmp) return rert_err_set(err, RERT_EINPUT, "%s: path too long", path);
  int fd = mkstemps(tmp, (int)strlen(ext));
  if (fd < 0)
    return rert_err_set(err, RERT_EINPUT, "%s: cannot create temporary file (%s)", path, strerror(errno));
  mode_t um = umask(0);
  umask(um);
  fchmod(fd, 0666 & ~um); /* like any other output, not mkstemps' 0600 */
  close(fd);
  int dims[8] = {ncomp > 1 ? 5 : 3, g->nx, g->ny, g->nz, 1, ncomp, 1, 1};
  nifti_image *nim = nifti_make_new_nim(dims, DT_FLOAT32, 1);
  if (!nim) {
    unlink(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
  }
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
    unlink(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: cannot set output name", path);
  }
  nifti_set_debug_level(0);
  int q = quiet_begin();
  nifti_image_write(nim);
  quiet_end(q);
  nifti_image_free(nim);
  struct stat st;
  if (stat(tmp, &st) != 0 || st.st_size < (gz ? 20 : 348)) {
    unlink(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: NIfTI write failed", path);
  }
  return atomic_rename(tmp, path, err);
}
