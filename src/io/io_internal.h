/* io_internal.h — helpers shared between the C side of src/io and the DCMTK adapter. */
#ifndef RERT_IO_INTERNAL_H
#define RERT_IO_INTERNAL_H

#include <stddef.h>

#include "rert/dosemeta.h"

#ifdef __cplusplus
extern "C" {
#endif

const char *io_quantity_name(rert_quantity q);
/* Machine-readable "rert-meta: key=value; ..." line (ImageComments of written RTDOSE) and its
 * parser (returns 0 if `text` is not such a line; fills only the keys present). */
void io_meta_to_text(const rert_dose_meta *m, const char *note, char *buf, size_t n);
int io_meta_from_text(const char *text, rert_dose_meta *m);
/* Short (≤ 64 chars, DICOM LO) statement of quantity, α/β, recovery and RBE model. */
void io_meta_short(const rert_dose_meta *m, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
