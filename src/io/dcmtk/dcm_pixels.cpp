/* dcm_pixels.cpp — bulk conversion of a Pixel Data element to float (RescaleSlope/Intercept or
 * DoseGridScaling applied) for images and dose grids. One pass per frame, no per-voxel calls
 * into DCMTK: the element is fetched once as a byte array and converted in a tight loop. */
#include "io/dcmtk/dcm_pixels.h"

#include <cstring>

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

extern "C" {
#include "rert/limits.h"
}

namespace rertdcm {

/* Bytes `want` of a fragment from offset 0 (fewer when the fragment is shorter), read without
 * loading the fragment. */
static size_t fragment_head(DcmPixelItem *it, Uint8 *buf, size_t want) {
  Uint32 len = it->getLength();
  size_t n = want < len ? want : len;
  if (!n || it->getPartialValue(buf, 0, (Uint32)n).bad()) return 0;
  return n;
}

/* The frame size a JPEG / JPEG-LS code stream declares in its SOF marker (ISO 10918-1 B.2.2,
 * 14495-1 C.2.2: FF Cn|F7, length, P, Y, X); 0 when no SOF is found in the buffer. */
static int jpeg_frame_size(const Uint8 *b, size_t n, unsigned *rows, unsigned *cols) {
  size_t i = 2; /* after SOI */
  while (i + 4 <= n) {
    if (b[i] != 0xFF) return 0;
    Uint8 m = b[i + 1];
    if (m == 0xFF) { i++; continue; } /* fill byte */
    size_t L = (size_t)b[i + 2] << 8 | b[i + 3];
    bool sof = (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) || m == 0xF7;
    if (sof) {
      if (i + 9 > n) return 0;
      *rows = (unsigned)b[i + 5] << 8 | b[i + 6];
      *cols = (unsigned)b[i + 7] << 8 | b[i + 8];
      return 1;
    }
    if (m == 0xDA || L < 2) return 0; /* start of scan before any SOF */
    i += 2 + L;
  }
  return 0;
}

/* Encapsulated Pixel Data: the fragments must be able to hold the declared frames. RLE (PS3.5
 * Annex G): one fragment per frame, a 64-byte header whose first word is the number of
 * segments (one per byte of a sample), and every segment codes at most 128 bytes in 2 bytes, so
 * a frame of Rows × Columns samples needs ≥ 64 + segments · 2 · ⌈R·C/128⌉ bytes. JPEG family:
 * each frame starts a fragment with SOI (FFD8), which never occurs inside entropy-coded data;
 * its SOF marker states the frame's rows and columns. */
static int check_encapsulated(DcmElement *pe, const DcmXfer &xf, const char *w, size_t rows,
                              size_t cols, size_t frames, size_t bytes, rert_err *err) {
  DcmPixelData *pd = dynamic_cast<DcmPixelData *>(pe);
  DcmPixelSequence *seq = NULL;
  E_TransferSyntax rt;
  const DcmRepresentationParameter *rp = NULL;
  if (pd) pd->getOriginalRepresentationKey(rt, rp);
  if (!pd || pd->getEncapsulatedRepresentation(rt, rp, seq).bad() || !seq)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) is not a valid encapsulated "
                        "pixel sequence for transfer syntax %s", w, xf.getXferName());
  const unsigned long nfrag = seq->card() > 0 ? seq->card() - 1 : 0; /* item 0: offset table */
  if (nfrag < frames)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) holds %lu compressed "
                        "fragments but NumberOfFrames (0028,0008) is %zu: the header declares "
                        "more frames than the file holds", w, nfrag, frames);
  const size_t plane = rows * cols;
  if (xf.getXfer() == EXS_RLELossless) {
    if (nfrag != frames)
      return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) holds %lu RLE fragments "
                          "but NumberOfFrames (0028,0008) is %zu (RLE stores one fragment per "
                          "frame, PS3.5 A.4.2)", w, nfrag, frames);
    const size_t need = 64 + bytes * 2 * ((plane + 127) / 128);
    for (unsigned long f = 0; f < nfrag; f++) {
      DcmPixelItem *it = NULL;
      if (seq->getItem(it, f + 1).bad() || !it) break;
      const size_t len = it->getLength();
      Uint8 hdr[4];
      size_t got = fragment_head(it, hdr, 4);
      unsigned long nseg = got == 4 ? (unsigned long)hdr[0] | (unsigned long)hdr[1] << 8 |
                                          (unsigned long)hdr[2] << 16 | (unsigned long)hdr[3] << 24
                                    : 0;
      if (nseg != bytes)
        return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) RLE frame %lu has %lu "
                            "segments; BitsAllocated (0028,0100) %zu needs %zu", w, f + 1, nseg,
                            8 * bytes, bytes);
      if (len < need)
        return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) RLE frame %lu holds %zu "
                            "bytes, too few for Rows (0028,0010) × Columns (0028,0011) = %zu × %zu "
                            "(at least %zu bytes): the header declares more pixels than the file "
                            "holds", w, f + 1, len, rows, cols, need);
      /* every segment must decode to exactly Rows × Columns bytes (PackBits, PS3.5 G.3.1):
       * fewer is a truncated frame, more a frame of another size (a sheared grid) */
      Uint8 *b = NULL;
      if (!length_ok(it) || it->getUint8Array(b).bad() || !b)
        return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) RLE frame %lu unreadable",
                            w, f + 1);
      for (unsigned long sgi = 0; sgi < nseg; sgi++) {
        auto ul = [&](size_t at) {
          return (size_t)b[at] | (size_t)b[at + 1] << 8 | (size_t)b[at + 2] << 16 | (size_t)b[at + 3] << 24;
        };
        size_t a0 = ul(4 + 4 * sgi), a1 = sgi + 1 < nseg ? ul(8 + 4 * sgi) : len;
        if (a0 < 64 || a1 < a0 || a1 > len)
          return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) RLE frame %lu: segment "
                              "%lu offsets are corrupt", w, f + 1, sgi + 1);
        size_t outn = 0;
        for (size_t q = a0; q < a1 && outn <= plane;) {
          const int n = (int8_t)b[q++];
          if (n >= 0) {
            if (q + (size_t)n + 1 > a1) break; /* padding at the segment's end */
            outn += (size_t)n + 1, q += (size_t)n + 1;
          } else if (n != -128) {
            if (q >= a1) break;
            outn += (size_t)(1 - n), q++;
          }
        }
        if (outn > plane)
          return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) RLE frame %lu segment "
                              "%lu decodes to more than Rows (0028,0010) × Columns (0028,0011) = "
                              "%zu × %zu = %zu bytes: more pixel data than the grid holds (a "
                              "sheared grid)", w, f + 1, sgi + 1, rows, cols, plane);
        if (outn < plane)
          return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) RLE frame %lu segment "
                              "%lu decodes to %zu bytes but Rows (0028,0010) × Columns (0028,0011) "
                              "= %zu × %zu = %zu: truncated frame, or the header declares more "
                              "pixels than the file holds", w, f + 1, sgi + 1, outn, rows, cols, plane);
      }
    }
    return RERT_OK;
  }
  unsigned long nframes_found = 0;
  for (unsigned long f = 0; f < nfrag; f++) {
    DcmPixelItem *it = NULL;
    if (seq->getItem(it, f + 1).bad() || !it) break;
    static thread_local Uint8 head[65536];
    size_t got = fragment_head(it, head, sizeof head);
    if (got < 2 || head[0] != 0xFF || head[1] != 0xD8) continue; /* continuation fragment */
    nframes_found++;
    unsigned r = 0, c = 0;
    if (jpeg_frame_size(head, got, &r, &c) && ((r && r != rows) || c != cols))
      return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) frame %lu is a %u × %u "
                          "JPEG image but Rows (0028,0010) × Columns (0028,0011) are %zu × %zu",
                          w, nframes_found, r, c, rows, cols);
  }
  if (nframes_found && nframes_found != frames)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) holds %lu JPEG frames but "
                        "NumberOfFrames (0028,0008) is %zu", w, nframes_found, frames);
  return RERT_OK;
}

int pixels_check(DcmItem *ds, const char *what, size_t rows, size_t cols, size_t frames,
                 rert_err *err) {
  const char *w = short_path(what);
  long bits_alloc = 0, spp = 1;
  if (!get_long(ds, DCM_BitsAllocated, bits_alloc) ||
      (bits_alloc != 8 && bits_alloc != 16 && bits_alloc != 32))
    return rert_err_set(err, RERT_EINPUT, "%s: BitsAllocated (0028,0100) missing or not 8/16/32", w);
  if (has(ds, DCM_SamplesPerPixel) && (!get_long(ds, DCM_SamplesPerPixel, spp) || spp != 1))
    return rert_err_set(err, RERT_EINPUT, "%s: SamplesPerPixel (0028,0002) is not 1 (only "
                        "single-sample grids are doses or CT)", w);
  const size_t bytes = (size_t)(bits_alloc / 8);
  /* rows, cols ≤ 65535 (US) and frames ≤ 2^31: the product fits in 64 bits */
  const unsigned long long nvox = (unsigned long long)rows * cols * frames;
  DcmElement *pe = NULL;
  if (ds->findAndGetElement(DCM_PixelData, pe).bad() || !pe)
    return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) missing", w);
  DcmDataset *dset = dynamic_cast<DcmDataset *>(ds);
  DcmXfer xf(dset ? dset->getOriginalXfer() : EXS_LittleEndianExplicit);
  if (xf.isEncapsulated()) {
    int rc = check_encapsulated(pe, xf, w, rows, cols, frames, bytes, err);
    if (rc) return rc;
  } else {
    if (!length_ok(pe))
      return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) declares %lu bytes, more "
                          "than the file holds (corrupt length)", w, (unsigned long)pe->getLength());
    const unsigned long long need = nvox * bytes, have = pe->getLength();
    /* an odd byte count is padded to even (PS3.5 7.1.1) */
    if (have != need && !(have == need + 1 && (need & 1)))
      return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) holds %llu bytes but "
                          "Rows (0028,0010) × Columns (0028,0011) × NumberOfFrames (0028,0008) × "
                          "BitsAllocated (0028,0100)/8 = %zu × %zu × %zu × %zu = %llu bytes (%s): "
                          "the grid geometry does not match the pixel data",
                          w, have, rows, cols, frames, bytes, need,
                          have < need ? "the header declares more pixels than the file holds"
                                      : "more pixel data than the grid holds: a sheared grid");
  }
  if (nvox > RERT_MAX_GRID_VALUES)
    return rert_err_set(err, RERT_EINPUT, "%s: Rows (0028,0010) × Columns (0028,0011) × "
                        "NumberOfFrames (0028,0008) = %zu × %zu × %zu = %llu values exceeds rert's "
                        "ceiling of %zu per grid (rert/limits.h)",
                        w, rows, cols, frames, nvox, RERT_MAX_GRID_VALUES);
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
    if (!DcmCodecList::canChangeCoding(xfer, EXS_LittleEndianExplicit))
      return rert_err_set(err, RERT_EINPUT, "%s: compressed transfer syntax %s is not supported "
                          "(decompress with dcmdjpeg/dcmdrle)", short_path(what), xf.getXferName());
    if (!dset || dset->chooseRepresentation(EXS_LittleEndianExplicit, NULL).bad() ||
        !dset->canWriteXfer(EXS_LittleEndianExplicit))
      return rert_err_set(err, RERT_EINPUT, "%s: PixelData (7FE0,0010) cannot be decoded from %s "
                          "(corrupt, or inconsistent with Rows/Columns/BitsAllocated)",
                          short_path(what), xf.getXferName());
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
