/* dcm_rtstruct.cpp — RT Structure Set read/write.
 *
 * Reading joins the three parallel sequences by ROI number: StructureSetROISequence (number,
 * name, frame of reference, generation algorithm), ROIContourSequence (colour, contours) and
 * RTROIObservationsSequence (RTROIInterpretedType). Contours keep their geometric type; POINT
 * contours stay points. Inconsistent files (ContourData not 3 × NumberOfContourPoints, contours
 * for an ROI that is not declared, duplicate ROI numbers) are refused with the tag named. */
#include <cmath>
#include <cstring>
#include <map>

#include "io/dcmtk/dcm_internal.h"

extern "C" {
#include "rert/limits.h"
}

using namespace rertdcm;

static int contour_type(const std::string &s, rert_contour_type *t) {
  if (s == "CLOSED_PLANAR") *t = CONTOUR_CLOSED_PLANAR;
  else if (s == "POINT") *t = CONTOUR_POINT;
  else if (s == "OPEN_PLANAR") *t = CONTOUR_OPEN_PLANAR;
  else if (s == "OPEN_NONPLANAR") *t = CONTOUR_OPEN_NONPLANAR;
  else return -1;
  return 0;
}
static const char *contour_type_name(rert_contour_type t) {
  switch (t) {
    case CONTOUR_POINT: return "POINT";
    case CONTOUR_OPEN_PLANAR: return "OPEN_PLANAR";
    case CONTOUR_OPEN_NONPLANAR: return "OPEN_NONPLANAR";
    default: return "CLOSED_PLANAR";
  }
}

int rertdcm_read_rtstruct(DcmDataset *ds, const char *path, rert_structure_set *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  const char *w = short_path(path);
  fill_ident(ds, path, &out->ident);
  std::string mod = get_str(ds, DCM_Modality), cls = get_str(ds, DCM_SOPClassUID);
  if (mod != "RTSTRUCT" && cls != UID_RTStructureSetStorage)
    return rert_err_set(err, RERT_EINPUT, "%s: not an RTSTRUCT (Modality %s)", w, mod.c_str());
  copy_str(out->label, sizeof out->label, get_str(ds, DCM_StructureSetLabel));
  if (DcmItem *fr = seq_item(ds, DCM_ReferencedFrameOfReferenceSequence, 0))
    if (DcmItem *st = seq_item(fr, DCM_RTReferencedStudySequence, 0))
      if (DcmItem *se = seq_item(st, DCM_RTReferencedSeriesSequence, 0))
        copy_str(out->referenced_series_uid, RERT_UID_LEN, get_str(se, DCM_SeriesInstanceUID));
  DcmSequenceOfItems *roiseq = get_seq(ds, DCM_StructureSetROISequence);
  if (!roiseq)
    return rert_err_set(err, RERT_EINPUT, "%s: StructureSetROISequence (3006,0020) missing", w);
  unsigned long nroi = roiseq->card();
  out->rois = (rert_roi *)calloc(nroi ? nroi : 1, sizeof(rert_roi));
  if (!out->rois) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  std::map<long, int> by_number;
  for (unsigned long r = 0; r < nroi; r++) {
    DcmItem *it = roiseq->getItem(r);
    rert_roi &roi = out->rois[r];
    long num;
    if (!get_long(it, DCM_ROINumber, num))
      return rert_err_set(err, RERT_EINPUT, "%s: StructureSetROISequence item %lu: ROINumber "
                          "(3006,0022) missing", w, r + 1);
    if (by_number.count(num))
      return rert_err_set(err, RERT_EINPUT, "%s: ROINumber (3006,0022) %ld used twice", w, num);
    by_number[num] = (int)r;
    roi.number = (int)num;
    copy_str(roi.name, sizeof roi.name, get_str(it, DCM_ROIName));
    copy_str(roi.generation_algorithm, sizeof roi.generation_algorithm,
             get_str(it, DCM_ROIGenerationAlgorithm));
    copy_str(roi.frame_of_reference_uid, RERT_UID_LEN, get_str(it, DCM_ReferencedFrameOfReferenceUID));
    out->nrois = (int)r + 1;
  }
  if (DcmSequenceOfItems *obs = get_seq(ds, DCM_RTROIObservationsSequence)) {
    for (unsigned long i = 0; i < obs->card(); i++) {
      DcmItem *it = obs->getItem(i);
      long num;
      if (!get_long(it, DCM_ReferencedROINumber, num) || !by_number.count(num)) continue;
      copy_str(out->rois[by_number[num]].interpreted_type, 17, get_str(it, DCM_RTROIInterpretedType));
    }
  }
  size_t total_points = 0;
  if (DcmSequenceOfItems *cs = get_seq(ds, DCM_ROIContourSequence)) {
    for (unsigned long i = 0; i < cs->card(); i++) {
      DcmItem *it = cs->getItem(i);
      long num;
      if (!get_long(it, DCM_ReferencedROINumber, num))
        return rert_err_set(err, RERT_EINPUT, "%s: ROIContourSequence item %lu: "
                            "ReferencedROINumber (3006,0084) missing", w, i + 1);
      if (!by_number.count(num))
        return rert_err_set(err, RERT_EINPUT, "%s: ROIContourSequence references ROINumber %ld "
                            "not declared in StructureSetROISequence", w, num);
      rert_roi &roi = out->rois[by_number[num]];
      if (roi.contours)
        return rert_err_set(err, RERT_EINPUT, "%s: ROIContourSequence has two items for ROI %ld",
                            w, num);
      std::vector<double> col;
      if (get_doubles(it, DCM_ROIDisplayColor, col) && col.size() == 3)
        for (int a = 0; a < 3; a++)
          roi.color_rgb[a] = (unsigned char)std::max(0.0, std::min(255.0, col[a]));
      DcmSequenceOfItems *cont = get_seq(it, DCM_ContourSequence);
      unsigned long nc = cont ? cont->card() : 0;
      roi.contours = (rert_contour *)calloc(nc ? nc : 1, sizeof(rert_contour));
      roi.contour_image_uids = (char(*)[RERT_UID_LEN])calloc(nc ? nc : 1, RERT_UID_LEN);
      if (!roi.contours || !roi.contour_image_uids)
        return rert_err_set(err, RERT_EINTERNAL, "out of memory");
      roi.n_image_uids = (int)nc;
      for (unsigned long c = 0; c < nc; c++) {
        DcmItem *ci = cont->getItem(c);
        rert_contour &ct = roi.contours[c];
        std::string gt = get_str(ci, DCM_ContourGeometricType);
        if (contour_type(gt, &ct.type))
          return rert_err_set(err, RERT_EINPUT, "%s: ROI %ld '%s' contour %lu: "
                              "ContourGeometricType (3006,0042) '%s' unknown", w, num, roi.name,
                              c + 1, gt.c_str());
        long np;
        const bool has_np = get_long(ci, DCM_NumberOfContourPoints, np);
        if (has_np && np < 0)
          return rert_err_set(err, RERT_EINPUT, "%s: ROI %ld '%s' contour %lu: "
                              "NumberOfContourPoints (3006,0046) %ld is negative", w, num,
                              roi.name, c + 1, np);
        {
          /* before parsing: a DS value holds at least one character per number plus the
           * separators, so NumberOfContourPoints·3 numbers need ≥ 6·np − 1 bytes */
          DcmElement *cd = NULL;
          unsigned long len = ci->findAndGetElement(DCM_ContourData, cd).good() && cd ? cd->getLength() : 0;
          if (has_np && np > 0 && (unsigned long long)np * 6 - 1 > len)
            return rert_err_set(err, RERT_EINPUT, "%s: ROI %ld '%s' contour %lu: "
                                "NumberOfContourPoints (3006,0046) %ld but ContourData (3006,0050) "
                                "holds only %lu bytes", w, num, roi.name, c + 1, np, len);
        }
        std::vector<double> pts;
        if (!get_doubles(ci, DCM_ContourData, pts) || pts.size() % 3)
          return rert_err_set(err, RERT_EINPUT, "%s: ROI %ld '%s' contour %lu: ContourData "
                              "(3006,0050) missing, not numeric or not x\\y\\z triplets", w, num,
                              roi.name, c + 1);
        if (has_np && (size_t)np * 3 != pts.size())
          return rert_err_set(err, RERT_EINPUT, "%s: ROI %ld '%s' contour %lu: "
                              "NumberOfContourPoints (3006,0046) %ld but ContourData has %zu "
                              "points", w, num, roi.name, c + 1, np, pts.size() / 3);
        total_points += pts.size() / 3;
        if (total_points > RERT_MAX_CONTOUR_POINTS)
          return rert_err_set(err, RERT_EINPUT, "%s: more than %zu contour points in all "
                              "ContourData (3006,0050) (rert's ceiling, rert/limits.h)", w,
                              RERT_MAX_CONTOUR_POINTS);
        ct.npoints = (int)(pts.size() / 3);
        ct.xyz_mm = (double *)malloc(pts.size() * sizeof(double));
        if (!ct.xyz_mm) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
        memcpy(ct.xyz_mm, pts.data(), pts.size() * sizeof(double));
        if (DcmItem *im = seq_item(ci, DCM_ContourImageSequence, 0)) /* slab = that image slice */
          copy_str(roi.contour_image_uids[c], RERT_UID_LEN, get_str(im, DCM_ReferencedSOPInstanceUID));
        roi.ncontours = (int)c + 1;
      }
    }
  }
  return RERT_OK;
}

extern "C" int io_read_rtstruct(const char *path, rert_structure_set *out, rert_err *err) {
  DCM_GUARD_BEGIN
  memset(out, 0, sizeof *out);
  DcmFileFormat ff;
  int rc = load_file(path, ff, err);
  if (rc) return rc;
  rc = rertdcm_read_rtstruct(ff.getDataset(), path, out, err);
  if (rc) rtdata_free_structure_set(out);
  return rc;
  DCM_GUARD_END(err)
}

extern "C" int io_write_rtstruct(const char *path, const rert_structure_set *s,
                                 const rert_image_series *ref, const io_write_opts *opts,
                                 rert_err *err) {
  DCM_GUARD_BEGIN
  rert_dicom_ident id = s->ident;
  if (ref) {
    /* patient/study/frame come from the image the contours were drawn on when not set */
    if (!id.patient_id[0]) {
      memcpy(id.patient_id, ref->ident.patient_id, sizeof id.patient_id);
      memcpy(id.patient_name, ref->ident.patient_name, sizeof id.patient_name);
      memcpy(id.patient_birth_date, ref->ident.patient_birth_date, sizeof id.patient_birth_date);
      memcpy(id.patient_sex, ref->ident.patient_sex, sizeof id.patient_sex);
    }
    if (!id.study_instance_uid[0]) memcpy(id.study_instance_uid, ref->ident.study_instance_uid, RERT_UID_LEN);
    if (!id.frame_of_reference_uid[0])
      memcpy(id.frame_of_reference_uid, ref->ident.frame_of_reference_uid, RERT_UID_LEN);
  }
  if (!id.frame_of_reference_uid[0])
    return rert_err_set(err, RERT_EINPUT, "%s: structure set has no FrameOfReferenceUID", path);
  if (!id.study_instance_uid[0]) io_make_uid(id.study_instance_uid, NULL);
  DcmFileFormat ff;
  DcmDataset *ds = ff.getDataset();
  put_common(ds, id, UID_RTStructureSetStorage, "RTSTRUCT", opts);
  put(ds, DCM_OperatorsName, "");
  put(ds, DCM_FrameOfReferenceUID, id.frame_of_reference_uid);
  put(ds, DCM_PositionReferenceIndicator, "");
  put(ds, DCM_StructureSetLabel, s->label[0] ? s->label : "rert");
  put(ds, DCM_StructureSetDate, today_da());
  put(ds, DCM_StructureSetTime, now_tm());
  if (opts && opts->note && *opts->note)
    put(ds, DCM_StructureSetDescription, std::string(opts->note).substr(0, 1024));
  DcmItem *fr = new_item(ds, DCM_ReferencedFrameOfReferenceSequence);
  put(fr, DCM_FrameOfReferenceUID, id.frame_of_reference_uid);
  const char *img_class = NULL;
  std::vector<std::string> slice_uids;
  if (ref) {
    img_class = strcmp(ref->ident.modality, "MR") == 0 ? UID_MRImageStorage : UID_CTImageStorage;
    DcmItem *st = new_item(fr, DCM_RTReferencedStudySequence);
    put(st, DCM_ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1");
    put(st, DCM_ReferencedSOPInstanceUID, ref->ident.study_instance_uid);
    DcmItem *se = new_item(st, DCM_RTReferencedSeriesSequence);
    put(se, DCM_SeriesInstanceUID, ref->ident.series_instance_uid);
    for (int k = 0; k < ref->image.nz; k++) {
      char u[RERT_UID_LEN];
      if (ref->slice_sop_uids) copy_str(u, RERT_UID_LEN, ref->slice_sop_uids[k]);
      else {
        char key[128];
        snprintf(key, sizeof key, "%s/slice/%d", ref->ident.series_instance_uid, k + 1);
        io_make_uid_from(key, u);
      }
      slice_uids.push_back(u);
      DcmItem *ci = new_item(se, DCM_ContourImageSequence);
      put(ci, DCM_ReferencedSOPClassUID, img_class);
      put(ci, DCM_ReferencedSOPInstanceUID, u);
    }
  }
  for (int r = 0; r < s->nrois; r++) {
    const rert_roi &roi = s->rois[r];
    DcmItem *it = new_item(ds, DCM_StructureSetROISequence);
    put_int(it, DCM_ROINumber, roi.number ? roi.number : r + 1);
    put(it, DCM_ReferencedFrameOfReferenceUID,
        roi.frame_of_reference_uid[0] ? roi.frame_of_reference_uid : id.frame_of_reference_uid);
    put(it, DCM_ROIName, roi.name);
    put(it, DCM_ROIGenerationAlgorithm, roi.generation_algorithm);
  }
  for (int r = 0; r < s->nrois; r++) {
    const rert_roi &roi = s->rois[r];
    DcmItem *it = new_item(ds, DCM_ROIContourSequence);
    char col[32];
    snprintf(col, sizeof col, "%d\\%d\\%d", roi.color_rgb[0], roi.color_rgb[1], roi.color_rgb[2]);
    put(it, DCM_ROIDisplayColor, col);
    put_int(it, DCM_ReferencedROINumber, roi.number ? roi.number : r + 1);
    if (roi.ncontours == 0) continue; /* ContourSequence is type 3: an empty ROI stays declared */
    for (int c = 0; c < roi.ncontours; c++) {
      const rert_contour &ct = roi.contours[c];
      if (ct.npoints < 1 || !ct.xyz_mm)
        return rert_err_set(err, RERT_EINPUT, "%s: ROI '%s' contour %d has no points", path,
                            roi.name, c + 1);
      DcmItem *ci = new_item(it, DCM_ContourSequence);
      if (ref && ct.type == CONTOUR_CLOSED_PLANAR) {
        /* the slice whose plane holds the contour (nearest along w) */
        const rert_volume &im = ref->image;
        double dd = 0;
        for (int a = 0; a < 3; a++) dd += (ct.xyz_mm[a] - im.origin_mm[a]) * im.dir[6 + a];
        long k = std::lround(dd / im.spacing_mm[2]);
        if (k >= 0 && k < im.nz && std::fabs(dd - k * im.spacing_mm[2]) < 0.5 * im.spacing_mm[2]) {
          DcmItem *ii = new_item(ci, DCM_ContourImageSequence);
          put(ii, DCM_ReferencedSOPClassUID, img_class);
          put(ii, DCM_ReferencedSOPInstanceUID, slice_uids[(size_t)k]);
        }
      }
      put_int(ci, DCM_ContourNumber, c + 1);
      put(ci, DCM_ContourGeometricType, contour_type_name(ct.type));
      put_int(ci, DCM_NumberOfContourPoints, ct.npoints);
      std::string data;
      data.reserve((size_t)ct.npoints * 3 * 12);
      for (int p = 0; p < 3 * ct.npoints; p++) {
        if (p) data += '\\';
        data += fmt_double(ct.xyz_mm[p], 10);
      }
      put(ci, DCM_ContourData, data);
    }
  }
  for (int r = 0; r < s->nrois; r++) {
    const rert_roi &roi = s->rois[r];
    DcmItem *it = new_item(ds, DCM_RTROIObservationsSequence);
    put_int(it, DCM_ObservationNumber, r + 1);
    put_int(it, DCM_ReferencedROINumber, roi.number ? roi.number : r + 1);
    put(it, DCM_RTROIInterpretedType, roi.interpreted_type);
    put(it, DCM_ROIInterpreter, "");
  }
  return save_atomic(ff, path, err);
  DCM_GUARD_END(err)
}
