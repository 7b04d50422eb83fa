/* imageio.c — format dispatch and volume/vector-field wrappers for MetaImage and NIfTI
 * (rert/imageio.h). */
#include "rert/imageio.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imageio/imageio_internal.h"
#include "rert/fieldcheck.h"

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && !strcasecmp(s + n - m, suf);
}

imageio_format imageio_format_of(const char *path) {
  if (!path) return IMAGEIO_FMT_UNKNOWN;
  if (ends_with(path, ".mha")) return IMAGEIO_FMT_MHA;
  if (ends_with(path, ".mhd")) return IMAGEIO_FMT_MHD;
  if (ends_with(path, ".nii") || ends_with(path, ".nii.gz")) return IMAGEIO_FMT_NIFTI;
  return IMAGEIO_FMT_UNKNOWN;
}

int imageio_read_any(const char *path, rert_volume *geom, int *ncomp, float **data, rert_err *err) {
  switch (imageio_format_of(path)) {
    case IMAGEIO_FMT_MHA:
    case IMAGEIO_FMT_MHD: return mha_read(path, geom, ncomp, data, err);
    case IMAGEIO_FMT_NIFTI: return nii_read(path, geom, ncomp, data, err);
    default:
      return rert_err_set(err, RERT_EINPUT, "%s: unknown image format (use .mha, .mhd, .nii, .nii.gz)",
                          path ? path : "(null)");
  }
}

int imageio_write_any(const char *path, const rert_volume *geom, int ncomp, const float *data,
                      rert_err *err) {
  switch (imageio_format_of(path)) {
    case IMAGEIO_FMT_MHA:
    case IMAGEIO_FMT_MHD: return mha_write(path, geom, ncomp, data, err);
    case IMAGEIO_FMT_NIFTI: return nii_write(path, geom, ncomp, data, err);
    default:
      return rert_err_set(err, RERT_EINPUT, "%s: unknown image format (use .mha, .mhd, .nii, .nii.gz)",
                          path ? path : "(null)");
  }
}

int imageio_read_volume(const char *path, rert_volume *v, rert_err *err) {
  int nc = 0;
  float *d = NULL;
  int rc = imageio_read_any(path, v, &nc, &d, err);
  if (rc) return rc;
  if (nc != 1) {
    free(d);
    return rert_err_set(err, RERT_EINPUT, "%s: expected a scalar image, found %d components", path, nc);
  }
  v->data = d;
  return RERT_OK;
}

int imageio_write_volume(const char *path, const rert_volume *v, rert_err *err) {
  return imageio_write_any(path, v, 1, v->data, err);
}

int imageio_read_vfield(const char *path, rert_vfield *f, rert_err *err) {
  rert_volume g;
  int nc = 0;
  float *d = NULL;
  int rc = imageio_read_any(path, &g, &nc, &d, err);
  if (rc) return rc;
  if (nc != 3) {
    free(d);
    return rert_err_set(err, RERT_EINPUT, "%s: expected a 3-component vector field, found %d", path, nc);
  }
  memset(f, 0, sizeof *f);
  f->nx = g.nx, f->ny = g.ny, f->nz = g.nz;
  memcpy(f->origin_mm, g.origin_mm, sizeof g.origin_mm);
  memcpy(f->spacing_mm, g.spacing_mm, sizeof g.spacing_mm);
  memcpy(f->dir, g.dir, sizeof g.dir);
  f->u_mm = d;
  /* same number of values but transposed dimensions: only the data's smoothness shows it */
  rc = fieldcheck_layout(f, path, imageio_format_of(path) == IMAGEIO_FMT_NIFTI ? "dim[1..3]" : "DimSize", err);
  if (rc) {
    free(f->u_mm);
    f->u_mm = NULL;
  }
  return rc;
}

int imageio_write_vfield(const char *path, const rert_vfield *f, rert_err *err) {
  rert_volume g;
  memset(&g, 0, sizeof g);
  g.nx = f->nx, g.ny = f->ny, g.nz = f->nz;
  memcpy(g.origin_mm, f->origin_mm, sizeof g.origin_mm);
  memcpy(g.spacing_mm, f->spacing_mm, sizeof g.spacing_mm);
  memcpy(g.dir, f->dir, sizeof g.dir);
  return imageio_write_any(path, &g, 3, f->u_mm, err);
}
