/* dcm_rtdose.cpp — RT Dose read/write.
 *
 * Reading: Rows × Columns × NumberOfFrames grid; frame k lies at IPP + o_k·w with w = row × column
 * direction (PS3.3 C.8.8.3.2). GridFrameOffsetVector is relative when its first value is 0
 * (o_k = GFOV[k]) and absolute otherwise (values are z coordinates: o_k = (GFOV[k] − GFOV[0]) / w_z,
 * allowed by the standard only for axial grids). Frames are re-ordered so k increases along w;
 * unevenly spaced frames are resampled linearly onto the smallest gap (stated in
 * dose.meta.description). Stored values × DoseGridScaling give Gy (or RELATIVE units).
 *
 * Writing: 32-bit unsigned, relative GridFrameOffsetVector, DoseGridScaling chosen so the maximum
 * uses the full range; DS strings are parsed back before quantising so reader and writer agree. */
#include <algorithm>
#include <cmath>
#include <cstring>

#include <dcmtk/dcmdata/dcrleerg.h>

#include "io/dcmtk/dcm_internal.h"
#include "io/dcmtk/dcm_pixels.h"
#include "io/io_internal.h"

extern "C" {
#include "rert/limits.h"
}

using namespace rertdcm;

static const char *const kSumNames[] = {"PLAN", "MULTI_PLAN", "FRACTION", "BEAM", "BRACHY",
                                         "FRACTION_SESSION", "BEAM_SESSION", "BRACHY_SESSION",
                                         "CONTROL_POINT", "RECORD"};

int rertdcm_read_rtdose(DcmDataset *ds, const char *path, rert_rtdose *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  const char *w = short_path(path);
  fill_ident(ds, path, &out->ident);
  std::string mod = get_str(ds, DCM_Modality), cls = get_str(ds, DCM_SOPClassUID);
  if (mod != "RTDOSE" && cls != UID_RTDoseStorage)
    return rert_err_set(err, RERT_EINPUT, "%s: not an RTDOSE (Modality %s, SOPClassUID %s)", w,
                        mod.c_str(), cls.c_str());
  long rows = 0, cols = 0, frames = 1;
  if (!get_long(ds, DCM_Rows, rows) || !get_long(ds, DCM_Columns, cols) || rows < 1 || cols < 1)
    return rert_err_set(err, RERT_EINPUT, "%s: Rows/Columns (0028,0010/0011) missing or zero", w);
  if (has(ds, DCM_NumberOfFrames) && (!get_long(ds, DCM_NumberOfFrames, frames) || frames < 1))
    return rert_err_set(err, RERT_EINPUT, "%s: NumberOfFrames (0028,0008) invalid", w);
  int rc;
  /* declared sizes against the pixel data and the ceiling, before anything is allocated */
  if ((rc = pixels_check(ds, path, (size_t)rows, (size_t)cols, (size_t)frames, err))) return rc;
  std::vector<double> ipp, iop, ps, gf, t;
  if ((rc = get_doubles_req(ds, DCM_ImagePositionPatient, 3, path, ipp, err))) return rc;
  if ((rc = get_doubles_req(ds, DCM_ImageOrientationPatient, 6, path, iop, err))) return rc;
  if ((rc = get_doubles_req(ds, DCM_PixelSpacing, 2, path, ps, err))) return rc;
  if (!(ps[0] > 0 && ps[1] > 0))
    return rert_err_set(err, RERT_EINPUT, "%s: PixelSpacing (0028,0030) must be positive", w);
  /* a single frame needs no offsets (some writers leave a stale vector: ignored) */
  if (frames > 1) {
    if ((rc = get_doubles_req(ds, DCM_GridFrameOffsetVector, (size_t)frames, path, gf, err)))
      return rc;
  } else {
    gf.assign(1, 0.0);
  }
  /* Type 1C, required with Pixel Data (PS3.3 C.8.8.3): without it the stored integers are not
   * doses, and a default of 1 would be off by the (typically 1e-3..1e-6) scale factor. */
  double scaling = 1.0;
  if (get_doubles(ds, DCM_DoseGridScaling, t)) scaling = t[0];
  else if (has(ds, DCM_DoseGridScaling))
    return rert_err_set(err, RERT_EINPUT, "%s: DoseGridScaling (3004,000E) not numeric", w);
  else
    return rert_err_set(err, RERT_EINPUT, "%s: DoseGridScaling (3004,000E) missing (required "
                        "with Pixel Data; stored values cannot be converted to dose)", w);
  if (!(scaling > 0) || !std::isfinite(scaling))
    return rert_err_set(err, RERT_EINPUT, "%s: DoseGridScaling (3004,000E) %g must be > 0", w, scaling);
  out->dose_grid_scaling = scaling;
  std::string units = get_str(ds, DCM_DoseUnits), type = get_str(ds, DCM_DoseType),
              sum = get_str(ds, DCM_DoseSummationType);
  if (units == "GY") out->units = DOSE_UNITS_GY;
  else if (units == "RELATIVE") out->units = DOSE_UNITS_RELATIVE;
  else
    return rert_err_set(err, RERT_EINPUT, "%s: DoseUnits (3004,0002) '%s' is not GY or RELATIVE",
                        w, units.c_str());
  if (type == "PHYSICAL") out->type = DOSE_TYPE_PHYSICAL;
  else if (type == "EFFECTIVE") out->type = DOSE_TYPE_EFFECTIVE;
  else if (type == "ERROR") out->type = DOSE_TYPE_ERROR;
  else
    return rert_err_set(err, RERT_EINPUT, "%s: DoseType (3004,0004) '%s' is not PHYSICAL, "
                        "EFFECTIVE or ERROR", w, type.c_str());
  int si = -1;
  for (int i = 0; i < (int)(sizeof kSumNames / sizeof *kSumNames); i++)
    if (sum == kSumNames[i]) si = i;
  if (si < 0)
    return rert_err_set(err, RERT_EINPUT, "%s: DoseSummationType (3004,000A) '%s' unknown", w,
                        sum.c_str());
  out->summation = (rert_dose_summation)si;
  /* ReferencedRTPlanSequence: one item per plan (several for MULTI_PLAN); the fraction group and
   * beams (PS3.3 C.8.8.3: Type 1C for FRACTION/BEAM/..._SESSION summations) of the first */
  unsigned long nrp = seq_card(ds, DCM_ReferencedRTPlanSequence);
  for (unsigned long i = 0; i < nrp && i < RERT_MAX_REF_PLANS; i++) {
    DcmItem *p = seq_item(ds, DCM_ReferencedRTPlanSequence, i);
    copy_str(out->referenced_plan_uids[i], RERT_UID_LEN, get_str(p, DCM_ReferencedSOPInstanceUID));
    out->nreferenced_plans = (int)i + 1;
    if (i > 0) continue;
    copy_str(out->referenced_plan_uid, RERT_UID_LEN, get_str(p, DCM_ReferencedSOPInstanceUID));
    if (DcmItem *fg = seq_item(p, DCM_ReferencedFractionGroupSequence, 0)) {
      long v;
      if (get_long(fg, DCM_ReferencedFractionGroupNumber, v)) out->referenced_fraction_group = (int)v;
      unsigned long nrb = seq_card(fg, DCM_ReferencedBeamSequence);
      for (unsigned long b = 0; b < nrb && b < RERT_MAX_REF_BEAMS; b++)
        if (get_long(seq_item(fg, DCM_ReferencedBeamSequence, b), DCM_ReferencedBeamNumber, v)) {
          out->referenced_beams[out->nreferenced_beams++] = (int)v;
          if (b == 0) out->referenced_beam_number = (int)v;
        }
    }
  }
  if (nrp > RERT_MAX_REF_PLANS)
    return rert_err_set(err, RERT_EINPUT, "%s: ReferencedRTPlanSequence (300C,0002) has %lu items; "
                        "rert handles at most %d", w, nrp, RERT_MAX_REF_PLANS);
  copy_str(out->dose_comment, sizeof out->dose_comment, get_str(ds, DCM_DoseComment));

  /* geometry */
  double u[3] = {iop[0], iop[1], iop[2]}, v[3] = {iop[3], iop[4], iop[5]};
  double nu = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]),
         nv = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  if (!(nu > 0.5 && nv > 0.5) || std::fabs((u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / nu / nv) > 1e-3)
    return rert_err_set(err, RERT_EINPUT, "%s: ImageOrientationPatient (0020,0037) is not two "
                        "orthogonal unit vectors", w);
  for (int a = 0; a < 3; a++) { u[a] /= nu; v[a] /= nv; }
  double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
  std::vector<double> off((size_t)frames);
  bool absolute = gf[0] != 0.0;
  if (absolute) {
    if (frames > 1 && std::fabs(n[2]) < 0.5)
      return rert_err_set(err, RERT_EINPUT, "%s: GridFrameOffsetVector (3004,000C) is absolute "
                          "(first value %g ≠ 0) but the grid is not axial", w, gf[0]);
    for (long k = 0; k < frames; k++) off[k] = (gf[k] - gf[0]) / (std::fabs(n[2]) > 0.5 ? n[2] : 1);
  } else {
    off = gf;
  }
  std::vector<long> order((size_t)frames);
  for (long k = 0; k < frames; k++) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](long a, long b) { return off[a] < off[b]; });
  double dz = 0;
  bool uneven = false;
  for (long k = 1; k < frames; k++) {
    double g = off[order[k]] - off[order[k - 1]];
    if (g < 1e-4)
      return rert_err_set(err, RERT_EINPUT, "%s: GridFrameOffsetVector (3004,000C) has two frames "
                          "at %g mm", w, off[order[k]]);
    if (k == 1 || g < dz) dz = g;
  }
  for (long k = 1; k < frames; k++) {
    double g = off[order[k]] - off[order[k - 1]];
    if (std::fabs(g - dz) > std::max(0.01 * dz, 1e-3)) uneven = true;
  }
  if (frames == 1) {
    if (get_doubles(ds, DCM_SliceThickness, t) && t[0] > 0) dz = t[0];
    else dz = 1.0;
  }
  rert_volume &d = out->dose;
  d.nx = (int)cols;
  d.ny = (int)rows;
  double o0 = off[order[0]];
  d.nz = uneven ? (int)std::lround((off[order[frames - 1]] - o0) / dz) + 1 : (int)frames;
  if (uneven && ((double)d.nz > 4.0 * frames + 16 ||
                 (double)d.nz * rows * cols > (double)RERT_MAX_GRID_VALUES))
    return rert_err_set(err, RERT_EINPUT, "%s: GridFrameOffsetVector (3004,000C) too irregular "
                        "to resample", w);
  d.spacing_mm[0] = ps[1];
  d.spacing_mm[1] = ps[0];
  d.spacing_mm[2] = dz;
  for (int a = 0; a < 3; a++) {
    d.origin_mm[a] = ipp[a] + o0 * n[a];
    d.dir[a] = u[a];
    d.dir[3 + a] = v[a];
    d.dir[6 + a] = n[a];
  }
  d.meta.quantity = out->type == DOSE_TYPE_PHYSICAL ? QTY_PHYSICAL
                    : out->type == DOSE_TYPE_EFFECTIVE ? QTY_RBE_WEIGHTED : QTY_OTHER;
  d.meta.rbe = out->type == DOSE_TYPE_EFFECTIVE ? RBE_FIXED : RBE_PHYSICAL;
  /* EFFECTIVE: the factor/model is not in the file; NaN marks it unknown (interlock) */
  d.meta.rbe_factor = out->type == DOSE_TYPE_EFFECTIVE ? NAN : 1.0;
  d.meta.alpha_beta_gy = NAN;
  io_meta_from_text(get_str(ds, DCM_ImageComments).c_str(), &d.meta);
  snprintf(d.meta.provenance, sizeof d.meta.provenance, "%s", short_path(path));
  const size_t plane = (size_t)cols * rows;
  std::vector<float> raw(plane * (size_t)frames);
  rc = pixels_to_float(ds, path, raw.size(), scaling, 0.0, raw.data(), err);
  if (rc) return rc;
  rert_err e2;
  if (volume_alloc(&d, &e2)) return rert_err_set(err, RERT_EINTERNAL, "%s: %s", w, e2.msg);
  if (!uneven) {
    for (long k = 0; k < frames; k++)
      memcpy(d.data + (size_t)k * plane, raw.data() + (size_t)order[k] * plane, plane * sizeof(float));
  } else {
    size_t j = 0;
    for (int k = 0; k < d.nz; k++) {
      double pos = o0 + k * dz;
      while (j + 2 < (size_t)frames && off[order[j + 1]] <= pos) j++;
      double t0 = (pos - off[order[j]]) / (off[order[j + 1]] - off[order[j]]);
      t0 = std::min(1.0, std::max(0.0, t0));
      const float *a = raw.data() + (size_t)order[j] * plane, *b = raw.data() + (size_t)order[j + 1] * plane;
      float *o = d.data + (size_t)k * plane;
      for (size_t p = 0; p < plane; p++) o[p] = (float)((1 - t0) * a[p] + t0 * b[p]);
    }
    snprintf(d.meta.description, sizeof d.meta.description,
             "resampled from %ld unevenly spaced frames onto %.3f mm", frames, dz);
  }
  return RERT_OK;
}

extern "C" int io_read_rtdose(const char *path, rert_rtdose *out, rert_err *err) {
  DCM_GUARD_BEGIN
  memset(out, 0, sizeof *out);
  DcmFileFormat ff;
  int rc = load_file(path, ff, err);
  if (rc) return rc;
  rc = rertdcm_read_rtdose(ff.getDataset(), path, out, err);
  if (rc) rtdata_free_rtdose(out);
  return rc;
  DCM_GUARD_END(err)
}

/* ---- writer ---- */

static int write_dose(const char *path, const rert_rtdose *d, const char *const *plan_uids,
                      int nplans, const char *image_comments, const io_write_opts *opts,
                      rert_err *err) {
  register_codecs();
  const rert_volume &v = d->dose;
  if (v.nx < 1 || v.ny < 1 || v.nz < 1 || !v.data)
    return rert_err_set(err, RERT_EINPUT, "%s: empty dose grid", path);
  const double *u = v.dir, *vv = v.dir + 3, *w = v.dir + 6;
  double n[3] = {u[1] * vv[2] - u[2] * vv[1], u[2] * vv[0] - u[0] * vv[2], u[0] * vv[1] - u[1] * vv[0]};
  double sgn = n[0] * w[0] + n[1] * w[1] + n[2] * w[2];
  if (v.nz > 1 && std::fabs(std::fabs(sgn) - 1) > 1e-3)
    return rert_err_set(err, RERT_EINPUT, "%s: slice direction is not perpendicular to the rows "
                        "and columns; RTDOSE cannot store a sheared grid", path);
  sgn = sgn < 0 ? -1 : 1;
  const size_t nvox = (size_t)v.nx * v.ny * v.nz;
  float mx = 0;
  for (size_t i = 0; i < nvox; i++) {
    float x = v.data[i];
    if (!std::isfinite(x))
      return rert_err_set(err, RERT_EINPUT, "%s: dose grid has a non-finite voxel", path);
    if (x < 0)
      return rert_err_set(err, RERT_EINPUT, "%s: dose grid has a negative value %g (RTDOSE "
                          "stores unsigned doses; clamp or offset the map first)", path, x);
    mx = std::max(mx, x);
  }
  const int enc = io_get_dose_encoding();
  const bool b16 = enc == IO_DOSE_16_RAW;
  const double top = b16 ? 65535.0 : 4294967295.0;
  double scale = mx > 0 ? (double)mx / top * (1 + 1e-9) : 1.0;
  std::string sstr = fmt_double(scale, 12);
  scale = atof(sstr.c_str());
  std::vector<Uint32> px(b16 ? 0 : nvox);
  std::vector<Uint16> px16(b16 ? nvox : 0);
  for (size_t i = 0; i < nvox; i++) {
    double q = std::min(top, std::max(0.0, std::nearbyint(v.data[i] / scale)));
    if (b16) px16[i] = (Uint16)q;
    else px[i] = (Uint32)q;
  }
  DcmFileFormat ff;
  DcmDataset *ds = ff.getDataset();
  put_common(ds, d->ident, UID_RTDoseStorage, "RTDOSE", opts);
  put(ds, DCM_FrameOfReferenceUID, d->ident.frame_of_reference_uid);
  put(ds, DCM_PositionReferenceIndicator, "");
  put(ds, DCM_ContentDate, today_da());
  put(ds, DCM_ContentTime, now_tm());
  put(ds, DCM_OperatorsName, "");
  put_doubles(ds, DCM_ImagePositionPatient, v.origin_mm, 3);
  put_doubles(ds, DCM_ImageOrientationPatient, v.dir, 6);
  double ps[2] = {v.spacing_mm[1], v.spacing_mm[0]};
  put_doubles(ds, DCM_PixelSpacing, ps, 2);
  put(ds, DCM_SliceThickness, v.nz > 1 ? fmt_double(v.spacing_mm[2]) : "");
  put_int(ds, DCM_SamplesPerPixel, 1);
  put(ds, DCM_PhotometricInterpretation, "MONOCHROME2");
  /* GridFrameOffsetVector has VM 2-n: a single-frame grid is written without the Multi-frame
   * attributes (dciodvfy flags a one-value vector) */
  if (v.nz > 1) {
    put_int(ds, DCM_NumberOfFrames, v.nz);
    ds->putAndInsertTagKey(DCM_FrameIncrementPointer, DCM_GridFrameOffsetVector);
  }
  put_int(ds, DCM_Rows, v.ny);
  put_int(ds, DCM_Columns, v.nx);
  put_int(ds, DCM_BitsAllocated, b16 ? 16 : 32);
  put_int(ds, DCM_BitsStored, b16 ? 16 : 32);
  put_int(ds, DCM_HighBit, b16 ? 15 : 31);
  put_int(ds, DCM_PixelRepresentation, 0);
  put(ds, DCM_DoseUnits, d->units == DOSE_UNITS_RELATIVE ? "RELATIVE" : "GY");
  put(ds, DCM_DoseType, d->type == DOSE_TYPE_EFFECTIVE ? "EFFECTIVE"
                        : d->type == DOSE_TYPE_ERROR ? "ERROR" : "PHYSICAL");
  if (d->dose_comment[0]) put(ds, DCM_DoseComment, std::string(d->dose_comment).substr(0, 64));
  int si = (int)d->summation;
  if (si < 0 || si >= (int)(sizeof kSumNames / sizeof *kSumNames)) si = 0;
  put(ds, DCM_DoseSummationType, kSumNames[si]);
  std::vector<double> gf((size_t)v.nz);
  for (int k = 0; k < v.nz; k++) gf[k] = sgn * k * v.spacing_mm[2];
  if (v.nz > 1) put_doubles(ds, DCM_GridFrameOffsetVector, gf.data(), gf.size());
  put(ds, DCM_DoseGridScaling, sstr);
  for (int i = 0; i < nplans; i++) {
    if (!plan_uids[i] || !*plan_uids[i]) continue;
    DcmItem *it = new_item(ds, DCM_ReferencedRTPlanSequence);
    put(it, DCM_ReferencedSOPClassUID, UID_RTPlanStorage);
    put(it, DCM_ReferencedSOPInstanceUID, plan_uids[i]);
    /* PS3.3 C.8.8.3: the fraction group is required for every summation below the plan level,
     * the beam for BEAM/BEAM_SESSION, the brachy application setup for BRACHY/BRACHY_SESSION */
    const rert_dose_summation sm = d->summation;
    const bool beam = sm == SUM_BEAM || sm == SUM_BEAM_SESSION || sm == SUM_CONTROL_POINT;
    const bool brachy = sm == SUM_BRACHY || sm == SUM_BRACHY_SESSION;
    if (beam || brachy || sm == SUM_FRACTION || sm == SUM_FRACTION_SESSION) {
      DcmItem *fg = new_item(it, DCM_ReferencedFractionGroupSequence);
      put_int(fg, DCM_ReferencedFractionGroupNumber,
              d->referenced_fraction_group ? d->referenced_fraction_group : 1);
      if (beam) {
        DcmItem *b = new_item(fg, DCM_ReferencedBeamSequence);
        put_int(b, DCM_ReferencedBeamNumber, d->referenced_beam_number ? d->referenced_beam_number : 1);
      }
      if (brachy) {
        DcmItem *b = new_item(fg, DCM_ReferencedBrachyApplicationSetupSequence);
        put_int(b, DCM_ReferencedBrachyApplicationSetupNumber, 1);
      }
    }
  }
  if (image_comments && *image_comments) put(ds, DCM_ImageComments, image_comments);
  if (b16) ds->putAndInsertUint16Array(DCM_PixelData, px16.data(), (unsigned long)nvox);
  else ds->putAndInsertUint16Array(DCM_PixelData, (const Uint16 *)px.data(), (unsigned long)(2 * nvox));
  if (enc == IO_DOSE_32_RLE) {
    if (ds->chooseRepresentation(EXS_RLELossless, NULL).bad() || !ds->canWriteXfer(EXS_RLELossless))
      return rert_err_set(err, RERT_EINTERNAL, "%s: RLE encoding of the dose grid failed", path);
    return save_atomic(ff, path, err, EXS_RLELossless);
  }
  return save_atomic(ff, path, err);
}

static int g_encoding = -1; /* -1: not set, read RERT_DOSE_ENCODING once */

extern "C" int io_set_dose_encoding(int encoding) {
  if (encoding != IO_DOSE_32_RLE && encoding != IO_DOSE_32_RAW && encoding != IO_DOSE_16_RAW)
    return -1;
  int old = io_get_dose_encoding();
  g_encoding = encoding;
  return old;
}

extern "C" int io_get_dose_encoding(void) {
  if (g_encoding < 0) {
    const char *e = getenv("RERT_DOSE_ENCODING");
    int v = e && *e ? io_dose_encoding_parse(e) : -1;
    g_encoding = v >= 0 ? v : IO_DOSE_32_RAW; /* uncompressed: what plastimatch and TPS import */
  }
  return g_encoding;
}

extern "C" int io_dose_encoding_parse(const char *name) {
  if (!name) return -1;
  if (!strcmp(name, "raw32")) return IO_DOSE_32_RAW;
  if (!strcmp(name, "rle32") || !strcmp(name, "rle")) return IO_DOSE_32_RLE;
  if (!strcmp(name, "raw16")) return IO_DOSE_16_RAW;
  return -1;
}

extern "C" const char *io_dose_encoding_name(int encoding) {
  return encoding == IO_DOSE_32_RLE ? "rle32" : encoding == IO_DOSE_16_RAW ? "raw16" : "raw32";
}

extern "C" int io_write_rtdose(const char *path, const rert_rtdose *d, const io_write_opts *opts,
                               rert_err *err) {
  DCM_GUARD_BEGIN
  const char *plan = d->referenced_plan_uid;
  char meta[2048] = "";
  if (d->dose.meta.quantity != QTY_NONE || (opts && opts->note))
    io_meta_to_text(&d->dose.meta, opts ? opts->note : NULL, meta, sizeof meta);
  return write_dose(path, d, &plan, plan[0] ? 1 : 0, meta, opts, err);
  DCM_GUARD_END(err)
}

extern "C" int io_write_derived_dose(const char *path, const rert_volume *dose,
                                     const rert_dicom_ident *source, const char *const *plan_uids,
                                     int nplans, const io_write_opts *opts,
                                     rert_dicom_ident *new_ident, rert_err *err) {
  return io_write_derived_dose_keyed(path, dose, source, plan_uids, nplans, NULL, opts, new_ident,
                                     err);
}

extern "C" int io_write_derived_dose_keyed(const char *path, const rert_volume *dose,
                                           const rert_dicom_ident *source,
                                           const char *const *plan_uids, int nplans,
                                           const char *uid_key, const io_write_opts *opts,
                                           rert_dicom_ident *new_ident, rert_err *err) {
  DCM_GUARD_BEGIN
  rert_rtdose d;
  memset(&d, 0, sizeof d);
  d.dose = *dose; /* shallow: data is only read */
  rert_dicom_ident &id = d.ident;
  strcpy(id.modality, "RTDOSE");
  copy_str(id.sop_class_uid, RERT_UID_LEN, UID_RTDoseStorage);
  memcpy(id.patient_id, source->patient_id, sizeof id.patient_id);
  memcpy(id.patient_name, source->patient_name, sizeof id.patient_name);
  memcpy(id.patient_birth_date, source->patient_birth_date, sizeof id.patient_birth_date);
  memcpy(id.patient_sex, source->patient_sex, sizeof id.patient_sex);
  memcpy(id.study_instance_uid, source->study_instance_uid, sizeof id.study_instance_uid);
  memcpy(id.frame_of_reference_uid, source->frame_of_reference_uid, sizeof id.frame_of_reference_uid);
  memcpy(id.study_date, source->study_date, sizeof id.study_date);
  if (!id.study_instance_uid[0] || !id.frame_of_reference_uid[0] || !id.patient_id[0])
    return rert_err_set(err, RERT_EINPUT, "%s: source object %s lacks StudyInstanceUID, "
                        "FrameOfReferenceUID or PatientID", path, source->path);
  if (uid_key && *uid_key) {
    std::string k(uid_key);
    io_make_uid_from((k + "/series").c_str(), id.series_instance_uid);
    io_make_uid_from((k + "/sop").c_str(), id.sop_instance_uid);
  } else {
    io_make_uid(id.series_instance_uid, err);
    io_make_uid(id.sop_instance_uid, err);
  }
  io_meta_short(&dose->meta, id.series_description, sizeof id.series_description);
  copy_str(d.dose_comment, 65, id.series_description);
  if (opts && opts->series_description && *opts->series_description)
    copy_str(id.series_description, sizeof id.series_description, opts->series_description);
  if (opts && opts->dose_comment && *opts->dose_comment)
    copy_str(d.dose_comment, 65, opts->dose_comment);
  d.units = DOSE_UNITS_GY;
  d.type = dose->meta.quantity == QTY_PHYSICAL ? DOSE_TYPE_PHYSICAL : DOSE_TYPE_EFFECTIVE;
  int nvalid = 0;
  for (int i = 0; i < nplans; i++)
    if (plan_uids[i] && plan_uids[i][0]) nvalid++;
  d.summation = nvalid > 1 ? SUM_MULTI_PLAN : SUM_PLAN;
  char meta[2048];
  io_meta_to_text(&dose->meta, opts ? opts->note : NULL, meta, sizeof meta);
  int rc = write_dose(path, &d, plan_uids, nplans, meta, opts, err);
  if (rc == RERT_OK && new_ident) {
    *new_ident = id;
    copy_str(new_ident->path, sizeof new_ident->path, path);
  }
  return rc;
  DCM_GUARD_END(err)
}
