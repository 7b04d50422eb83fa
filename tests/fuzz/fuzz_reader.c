/* fuzz_reader.c — libFuzzer target for one rert DICOM reader, chosen at compile time by
 * FUZZ_KIND (IO_KIND_RTDOSE, IO_KIND_RTSTRUCT, ...): the input bytes are parsed by DCMTK from
 * memory and handed to the same reader the file API uses (io_read_buffer). Any return status is
 * fine; crashes, sanitizer reports, leaks and hangs are not. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rert/dicomio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rert_err err;
  union {
    rert_image_series image;
    rert_structure_set ss;
    rert_rtdose dose;
    rert_rtplan plan;
    rert_rigid_registration reg;
    rert_deformable_registration dreg;
  } out;
  memset(&out, 0, sizeof out);
  int rc = io_read_buffer(FUZZ_KIND, data, size, &out, &err);
  if (rc == RERT_OK) {
    switch (FUZZ_KIND) {
      case IO_KIND_IMAGE: rtdata_free_image_series(&out.image); break;
      case IO_KIND_RTSTRUCT:
        io_check_structure_set(&out.ss, NULL, 0, &err);
        rtdata_free_structure_set(&out.ss);
        break;
      case IO_KIND_RTDOSE:
        io_check_dose_usable(&out.dose, NULL, NULL, 0, &err);
        rtdata_free_rtdose(&out.dose);
        break;
      case IO_KIND_RTPLAN: rtdata_free_rtplan(&out.plan); break;
      case IO_KIND_DEFORMABLE_REG: rtdata_free_deformable_registration(&out.dreg); break;
      default: break;
    }
  }
  return 0;
}
