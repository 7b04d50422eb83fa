/* dcm_pixels.cpp — bulk conversion of a Pixel Data element to float (RescaleSlope/Intercept or
 * DoseGridScaling applied) for images and dose grids. One pass per frame, no per-voxel calls
 * into DCMTK: the element is fetched once as a byte array and converted in a tight loop. */
#include "io/dcmtk/dcm_pixels.h"

#include <cstring>

namespace rertdcm {

int pixels_check(DcmItem *ds, const char *what, size_t nvox, size_t max_bytes, rert_err *err) {
  long bits_alloc = 0;
  if (!get_long(ds, DCM_BitsAllocated, bits_alloc) ||
      (bits_alloc != 8 && bits_alloc != 16 && bits_alloc != 32))
    return rert_err_set(err, RERT_EINPUT, "%s: BitsAllocated (0028,0100) missing or not 8/16/32",
                        short_path(what));
  const size_t bytes = (size_t)(bits_alloc / 8);
  if (nvox > max_bytes / bytes)
    return rert_err_set(err, RERT_EINPUT, "%s: pixel grid of %zu values is larger than rert "
                        "accepts (%zu MB)", short_path(what), nvox, max_bytes >> 20);
  DcmElement *pe = NULL;
  if (ds->findAndGetElement(DCM_PixelData, pe).bad() || !pe)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) missing", short_path(what));
  DcmDataset *dset = dynamic_cast<DcmDataset *>(ds);
  DcmXfer xf(dset ? dset->getOriginalXfer() : EXS_LittleEndianExplicit);
  if (!xf.isEncapsulated() && !length_ok(pe))
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) declares %lu bytes, more "
                        "than the file holds (corrupt length)", short_path(what),
                        (unsigned long)pe->getLength());
  if (!xf.isEncapsulated() && pe->getLength() < nvox * bytes)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) has %lu bytes, the geometry "
                        "needs %zu (truncated?)", short_path(what), (unsigned long)pe->getLength(),
                        nvox * bytes);
  return RERT_OK;
}

int pixels_to_float(DcmItem *ds, const char *what, size_t nvox, double slope, double intercept,
                    float *out, rert_err *err) {
  DcmDataset *dset = dynamic_cast<DcmDataset *>(ds);
  long bits_alloc = 0, bits_stored = 0, pixrep = 0, spp = 1;
  if (!get_long(ds, DCM_BitsAllocated, bits_alloc))
    return rert_err_set(err, RERT_EINPUT, "%s: BitsAllocated (0028,0100) missing",
                        short_path(what));
  if (!get_long(ds, DCM_BitsStored, bits_stored)) bits_stored = bits_alloc;
  get_long(ds, DCM_PixelRepresentation, pixrep);
  get_long(ds, DCM_SamplesPerPixel, spp);
  if (spp != 1)
    return rert_err_set(err, RERT_EINPUT, "%s: SamplesPerPixel (0028,0002) is %ld, only 1 supported",
                        short_path(what), spp);
  if (bits_alloc != 8 && bits_alloc != 16 && bits_alloc != 32)
    return rert_err_set(err, RERT_EINPUT, "%s: BitsAllocated (0028,0100) %ld not supported (8/16/32)",
                        short_path(what), bits_alloc);
  if (bits_stored < 1 || bits_stored > bits_alloc)
    return rert_err_set(err, RERT_EINPUT, "%s: BitsStored (0028,0101) %ld inconsistent with "
                        "BitsAllocated %ld", short_path(what), bits_stored, bits_alloc);
  if (pixrep != 0 && pixrep != 1)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelRepresentation (0028,0103) %ld invalid",
                        short_path(what), pixrep);
  E_TransferSyntax xfer = dset ? dset->getOriginalXfer() : EXS_LittleEndianExplicit;
  DcmXfer xf(xfer);
  if (xf.isEncapsulated()) {
    if (!dset || dset->chooseRepresentation(EXS_LittleEndianExplicit, NULL).bad() ||
        !dset->canWriteXfer(EXS_LittleEndianExplicit))
      return rert_err_set(err, RERT_EINPUT, "%s: compressed transfer syntax %s is not supported "
                          "(decompress with dcmdjpeg/dcmdrle)", short_path(what), xf.getXferName());
  }
  DcmElement *pe = NULL;
  if (ds->findAndGetElement(DCM_PixelData, pe).bad() || !pe)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) missing", short_path(what));
  const size_t bytes = (size_t)(bits_alloc / 8);
  if (nvox > (size_t)0x7fffffff / bytes * 4)
    return rert_err_set(err, RERT_EINPUT, "%s: grid too large", short_path(what));
  const Uint8 *raw = NULL;
  Uint8 *b8 = NULL;
  Uint16 *b16 = NULL;
  OFCondition c;
  if (pe->getVR() == EVR_OW || pe->ident() == EVR_OW || bits_alloc > 8) {
    c = pe->getUint16Array(b16);
    raw = (const Uint8 *)b16;
    if (c.bad() || !b16) {
      c = pe->getUint8Array(b8);
      raw = b8;
    }
  } else {
    c = pe->getUint8Array(b8);
    raw = b8;
  }
  if (c.bad() || !raw)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) unreadable (%s)",
                        short_path(what), c.text());
  size_t have = pe->getLength();
  if (have < nvox * bytes)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) has %zu bytes, the "
                        "geometry needs %zu (truncated?)", short_path(what), have, nvox * bytes);
  bool big = xf.isBigEndian();
  const int shift = (int)(bits_alloc - bits_stored);
  if (bits_alloc == 16) {
    const Uint16 *p = (const Uint16 *)raw; /* DCMTK already swapped OW to host order */
    if (pixrep) {
      for (size_t n = 0; n < nvox; n++) {
        int16_t v = (int16_t)(Uint16)(p[n] << shift);
        out[n] = (float)(slope * (double)(v >> shift) + intercept);
      }
    } else {
      const Uint16 mask = (Uint16)(bits_stored >= 16 ? 0xFFFFu : ((1u << bits_stored) - 1u));
      for (size_t n = 0; n < nvox; n++) out[n] = (float)(slope * (double)(p[n] & mask) + intercept);
    }
  } else if (bits_alloc == 8) {
    if (pixrep) {
      for (size_t n = 0; n < nvox; n++) {
        int8_t v = (int8_t)(Uint8)(raw[n] << shift);
        out[n] = (float)(slope * (double)(v >> shift) + intercept);
      }
    } else {
      const unsigned mask = bits_stored >= 8 ? 0xFFu : ((1u << bits_stored) - 1u);
      for (size_t n = 0; n < nvox; n++) out[n] = (float)(slope * (double)(raw[n] & mask) + intercept);
    }
  } else {
    for (size_t n = 0; n < nvox; n++) {
      Uint32 u;
      if (b16 && raw == (const Uint8 *)b16) {
        /* OW words are in host order; in a big-endian stream the high word comes first */
        Uint16 w0 = b16[2 * n], w1 = b16[2 * n + 1];
        u = big ? ((Uint32)w0 << 16 | w1) : ((Uint32)w1 << 16 | w0);
      } else {
        const Uint8 *q = raw + 4 * n;
        u = big ? ((Uint32)q[0] << 24 | (Uint32)q[1] << 16 | (Uint32)q[2] << 8 | q[3])
                : ((Uint32)q[3] << 24 | (Uint32)q[2] << 16 | (Uint32)q[1] << 8 | q[0]);
      }
      double v;
      if (shift) {
        if (pixrep) v = (double)((int32_t)(u << shift) >> shift);
        else v = (double)(u & ((1u << bits_stored) - 1u));
      } else {
        v = pixrep ? (double)(int32_t)u : (double)u;
      }
      out[n] = (float)(slope * v + intercept);
    }
  }
  return RERT_OK;
}

}  // namespace rertdcm
