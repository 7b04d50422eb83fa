/* dcm_object.cpp — object kind detection, header-only identity and the in-memory readers used
 * by the fuzz targets. */
#include <cstring>

#include "io/dcmtk/dcm_internal.h"

extern "C" {
#include "rert/rtrecord.h"
}

using namespace rertdcm;

io_kind rertdcm_kind(DcmDataset *ds) {
  std::string m = get_str(ds, DCM_Modality), c = get_str(ds, DCM_SOPClassUID);
  if (m == "RTDOSE" || c == UID_RTDoseStorage) return IO_KIND_RTDOSE;
  if (m == "RTSTRUCT" || c == UID_RTStructureSetStorage) return IO_KIND_RTSTRUCT;
  if (m == "RTPLAN" || c == UID_RTPlanStorage || c == UID_RTIonPlanStorage) return IO_KIND_RTPLAN;
  if (m == "RTRECORD" || io_is_treatment_record_class(c.c_str())) return IO_KIND_RTRECORD;
  if (c == UID_SpatialRegistrationStorage) return IO_KIND_REG;
  if (c == UID_DeformableSpatialRegistrationStorage) return IO_KIND_DEFORMABLE_REG;
  if (m == "REG") return has(ds, DCM_DeformableRegistrationSequence) ? IO_KIND_DEFORMABLE_REG
                                                                    : IO_KIND_REG;
  /* headers may be read without PixelData (io_scan_dir stops before it) */
  if ((has(ds, DCM_PixelData) || has(ds, DCM_Rows)) && has(ds, DCM_ImagePositionPatient) &&
      m != "RTIMAGE")
    return IO_KIND_IMAGE;
  return IO_KIND_OTHER;
}

extern "C" const char *io_kind_name(io_kind k) {
  switch (k) {
    case IO_KIND_IMAGE: return "IMAGE";
    case IO_KIND_RTSTRUCT: return "RTSTRUCT";
    case IO_KIND_RTDOSE: return "RTDOSE";
    case IO_KIND_RTPLAN: return "RTPLAN";
    case IO_KIND_REG: return "REG";
    case IO_KIND_DEFORMABLE_REG: return "DEFORMABLE_REG";
    case IO_KIND_OTHER: return "OTHER";
    case IO_KIND_RTRECORD: return "RTRECORD";
    default: return "UNKNOWN";
  }
}

extern "C" int io_read_ident(const char *path, rert_dicom_ident *id, rert_err *err) {
  DCM_GUARD_BEGIN
  memset(id, 0, sizeof *id);
  DcmFileFormat ff;
  int rc = load_file(path, ff, err, true);
  if (rc) return rc;
  fill_ident(ff.getDataset(), path, id);
  return RERT_OK;
  DCM_GUARD_END(err)
}

extern "C" int io_read_buffer(io_kind kind, const void *buf, size_t len, void *out, rert_err *err) {
  DCM_GUARD_BEGIN
  if (kind == IO_KIND_IMAGE)
    return rertdcm_read_image_buffer(buf, len, (rert_image_series *)out, err);
  DcmFileFormat ff;
  MemFile mf;
  int rc;
  switch (kind) {
    case IO_KIND_RTSTRUCT: memset(out, 0, sizeof(rert_structure_set)); break;
    case IO_KIND_RTDOSE: memset(out, 0, sizeof(rert_rtdose)); break;
    case IO_KIND_RTPLAN: memset(out, 0, sizeof(rert_rtplan)); break;
    case IO_KIND_REG: memset(out, 0, sizeof(rert_rigid_registration)); break;
    case IO_KIND_DEFORMABLE_REG: memset(out, 0, sizeof(rert_deformable_registration)); break;
    default: return rert_err_set(err, RERT_EINPUT, "io_read_buffer: unsupported kind");
  }
  if ((rc = load_buffer(buf, len, ff, mf, err))) return rc;
  DcmDataset *ds = ff.getDataset();
  switch (kind) {
    case IO_KIND_RTSTRUCT:
      rc = rertdcm_read_rtstruct(ds, NULL, (rert_structure_set *)out, err);
      if (rc) rtdata_free_structure_set((rert_structure_set *)out);
      return rc;
    case IO_KIND_RTDOSE:
      rc = rertdcm_read_rtdose(ds, NULL, (rert_rtdose *)out, err);
      if (rc) rtdata_free_rtdose((rert_rtdose *)out);
      return rc;
    case IO_KIND_RTPLAN:
      rc = rertdcm_read_rtplan(ds, NULL, (rert_rtplan *)out, err);
      if (rc) rtdata_free_rtplan((rert_rtplan *)out);
      return rc;
    case IO_KIND_REG:
      return rertdcm_read_reg(ds, NULL, (rert_rigid_registration *)out, err);
    default:
      rc = rertdcm_read_dreg(ds, NULL, (rert_deformable_registration *)out, err);
      if (rc) rtdata_free_deformable_registration((rert_deformable_registration *)out);
      return rc;
  }
  DCM_GUARD_END(err)
}
