/* imageio_internal.h — format back-ends behind rert/imageio.h. */
#ifndef RERT_IMAGEIO_INTERNAL_H
#define RERT_IMAGEIO_INTERNAL_H
#include <strings.h>

#include "rert/imageio.h"

int mha_read(const char *path, rert_volume *g, int *ncomp, float **data, rert_err *err);
int mha_write(const char *path, const rert_volume *g, int ncomp, const float *data, rert_err *err);
int nii_read(const char *path, rert_volume *g, int *ncomp, float **data, rert_err *err);
int nii_write(const char *path, const rert_volume *g, int ncomp, const float *data, rert_err *err);
#endif
