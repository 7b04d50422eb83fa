/* dcm_pixels.h — Pixel Data → float conversion shared by the image and dose readers. */
#ifndef RERT_IO_DCM_PIXELS_H
#define RERT_IO_DCM_PIXELS_H
#include "io/dcmtk/dcm_internal.h"
namespace rertdcm {
/* Convert the first nvox stored values to out[n] = slope·stored + intercept, honouring
 * BitsAllocated 8/16/32, BitsStored and PixelRepresentation; errors name the file. */
/* Before allocating: the pixel description is supported and (uncompressed) PixelData holds
 * nvox values; refuses grids over max_bytes decoded. */
int pixels_check(DcmItem *ds, const char *what, size_t nvox, size_t max_bytes, rert_err *err);
int pixels_to_float(DcmItem *ds, const char *what, size_t nvox, double slope, double intercept,
                    float *out, rert_err *err);
}
#endif
