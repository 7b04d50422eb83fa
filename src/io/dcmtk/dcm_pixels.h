/* dcm_pixels.h — Pixel Data → float conversion shared by the image and dose readers. */
#ifndef RERT_IO_DCM_PIXELS_H
#define RERT_IO_DCM_PIXELS_H
#include "io/dcmtk/dcm_internal.h"
namespace rertdcm {
/* Convert the first nvox stored values to out[n] = slope·stored + intercept, honouring
 * BitsAllocated 8/16/32, BitsStored and PixelRepresentation; errors name the file. */
/* Before anything is allocated or decoded: BitsAllocated/SamplesPerPixel are supported, the
 * PixelData element holds exactly rows × cols × frames samples (native: its length; RLE: one
 * fragment per frame, each long enough for the frame; JPEG: one SOI per frame, each SOF of
 * rows × cols), and the grid is within RERT_MAX_GRID_VALUES (rert/limits.h). Messages name the
 * file and the tags whose values disagree. */
int pixels_check(DcmItem *ds, const char *what, size_t rows, size_t cols, size_t frames,
                 rert_err *err);
int pixels_to_float(DcmItem *ds, const char *what, size_t nvox, double slope, double intercept,
                    float *out, rert_err *err);
}
#endif
