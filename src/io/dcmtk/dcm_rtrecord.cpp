/* dcm_rtrecord.cpp — RT treatment records (rert/rtrecord.h): RT Beams / RT Ion Beams Treatment
 * Record (one session), RT Brachy Treatment Record (dates only) and RT Treatment Summary Record,
 * read and (session records) written through DCMTK dcmdata.
 *
 * PS3.3 modules used: RT General Treatment Record (C.8.8.17: TreatmentDate/Time Type 2,
 * ReferencedRTPlanSequence), RT Beams Session Record (C.8.8.21) / RT Ion Beams Session Record
 * (C.8.8.26: ReferencedFractionGroupNumber, NumberOfFractionsPlanned, TreatmentSession(Ion)Beam
 * Sequence with CurrentFractionNumber Type 1 and TreatmentTerminationStatus Type 1, the
 * ControlPointDeliverySequence with TreatmentControlPointDate/Time Type 1) and RT Treatment
 * Summary Record (C.8.8.23: FirstTreatmentDate, MostRecentTreatmentDate, CurrentTreatmentStatus,
 * FractionGroupSummarySequence with NumberOfFractionsDelivered). The session date is
 * TreatmentDate when present (Type 2: it may be empty), else the first beam's first
 * TreatmentControlPointDate, which is Type 1.
 */
#include <cmath>
#include <cstring>

#include "io/dcmtk/dcm_internal.h"

extern "C" {
#include "rert/date.h"
#include "rert/rtrecord.h"
}

using namespace rertdcm;

static int parse_da(const std::string &s, rert_date *d) {
  rert_err e;
  return s.size() >= 8 && date_parse(s.substr(0, 8).c_str(), "date", d, &e) == 0;
}

extern "C" int io_is_treatment_record_class(const char *c) {
  return c && (!strcmp(c, UID_RTBeamsTreatmentRecordStorage) ||
               !strcmp(c, UID_RTIonBeamsTreatmentRecordStorage) ||
               !strcmp(c, UID_RTBrachyTreatmentRecordStorage) ||
               !strcmp(c, UID_RTTreatmentSummaryRecordStorage));
}

extern "C" void rtrecord_free(rert_treatment_record *r) {
  if (!r) return;
  free(r->beams);
  free(r->groups);
  r->beams = NULL;
  r->groups = NULL;
  r->nbeams = r->ngroups = 0;
}

static int read_record(DcmDataset *ds, const char *path, rert_treatment_record *out,
                       rert_err *err) {
  const char *w = short_path(path);
  fill_ident(ds, path, &out->ident);
  std::string cls = get_str(ds, DCM_SOPClassUID), mod = get_str(ds, DCM_Modality);
  if (cls == UID_RTBeamsTreatmentRecordStorage) out->kind = RECORD_BEAMS_SESSION;
  else if (cls == UID_RTIonBeamsTreatmentRecordStorage) out->kind = RECORD_ION_SESSION;
  else if (cls == UID_RTBrachyTreatmentRecordStorage) out->kind = RECORD_BRACHY_SESSION;
  else if (cls == UID_RTTreatmentSummaryRecordStorage) out->kind = RECORD_SUMMARY;
  else if (mod == "RTRECORD" && has(ds, DCM_TreatmentSessionIonBeamSequence)) out->kind = RECORD_ION_SESSION;
  else if (mod == "RTRECORD" && has(ds, DCM_TreatmentSessionBeamSequence)) out->kind = RECORD_BEAMS_SESSION;
  else if (mod == "RTRECORD") out->kind = RECORD_SUMMARY;
  else
    return rert_err_set(err, RERT_EINPUT, "%s: not an RT treatment record (SOPClassUID (0008,0016) "
                        "%s, Modality (0008,0060) %s)", w, cls.c_str(), mod.c_str());
  if (DcmItem *r = seq_item(ds, DCM_ReferencedRTPlanSequence, 0))
    copy_str(out->referenced_plan_uid, RERT_UID_LEN, get_str(r, DCM_ReferencedSOPInstanceUID));
  std::string td = get_str(ds, DCM_TreatmentDate);
  if (!td.empty() && !parse_da(td, &out->treatment_date))
    return rert_err_set(err, RERT_EINPUT, "%s: TreatmentDate (3008,0250) '%s' is not a date", w,
                        td.c_str());
  if (!td.empty()) {
    out->has_treatment_date = 1;
    copy_str(out->date_source, sizeof out->date_source, "TreatmentDate (3008,0250)");
    copy_str(out->treatment_time, sizeof out->treatment_time, get_str(ds, DCM_TreatmentTime));
  }
  long v = 0;
  if (get_long(ds, DCM_ReferencedFractionGroupNumber, v) && v > 0) out->fraction_group = (int)v;
  if (get_long(ds, DCM_NumberOfFractionsPlanned, v) && v > 0) out->fractions_planned = (int)v;
  /* beams of the session */
  const DcmTagKey bs = out->kind == RECORD_ION_SESSION ? DCM_TreatmentSessionIonBeamSequence
                                                       : DCM_TreatmentSessionBeamSequence;
  unsigned long nb = seq_card(ds, bs);
  if (nb > 4096)
    return rert_err_set(err, RERT_EINPUT, "%s: %s has %lu items; at most 4096 are read", w,
                        tag_name(bs).c_str(), nb);
  out->beams = (rert_record_beam *)calloc(nb ? nb : 1, sizeof(rert_record_beam));
  if (!out->beams) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (unsigned long b = 0; b < nb; b++) {
    DcmItem *it = seq_item(ds, bs, b);
    rert_record_beam &rb = out->beams[b];
    rb.beam_number = get_long(it, DCM_ReferencedBeamNumber, v) ? (int)v : 0;
    copy_str(rb.beam_name, sizeof rb.beam_name, get_str(it, DCM_BeamName));
    if (get_long(it, DCM_CurrentFractionNumber, v)) {
      if (v < 0)
        return rert_err_set(err, RERT_EINPUT, "%s: beam item %lu CurrentFractionNumber (3008,0022) "
                            "%ld is negative", w, b + 1, v);
      rb.fraction_number = (int)v;
    }
    copy_str(rb.delivery_type, sizeof rb.delivery_type, get_str(it, DCM_TreatmentDeliveryType));
    copy_str(rb.termination_status, sizeof rb.termination_status,
             get_str(it, DCM_TreatmentTerminationStatus));
    std::vector<double> dv;
    rb.specified_meterset = get_doubles(it, DCM_SpecifiedPrimaryMeterset, dv) ? dv[0] : NAN;
    rb.delivered_meterset = get_doubles(it, DCM_DeliveredPrimaryMeterset, dv) ? dv[0] : NAN;
    if (DcmItem *cp = seq_item(it, DCM_ControlPointDeliverySequence, 0)) {
      std::string cd = get_str(cp, DCM_TreatmentControlPointDate);
      if (!cd.empty() && !parse_da(cd, &rb.date))
        return rert_err_set(err, RERT_EINPUT, "%s: beam item %lu TreatmentControlPointDate "
                            "(3008,0024) '%s' is not a date", w, b + 1, cd.c_str());
      rb.has_date = !cd.empty();
      copy_str(rb.time, sizeof rb.time, get_str(cp, DCM_TreatmentControlPointTime));
    }
    out->nbeams = (int)b + 1;
  }
  if (!out->has_treatment_date)
    for (int b = 0; b < out->nbeams; b++)
      if (out->beams[b].has_date) {
        out->has_treatment_date = 1;
        out->treatment_date = out->beams[b].date;
        copy_str(out->treatment_time, sizeof out->treatment_time, out->beams[b].time);
        copy_str(out->date_source, sizeof out->date_source,
                 "TreatmentControlPointDate (3008,0024)");
        break;
      }
  /* treatment summary (the Summary Record IOD, or the optional module in a session record) */
  std::string fd = get_str(ds, DCM_FirstTreatmentDate), ld = get_str(ds, DCM_MostRecentTreatmentDate);
  if (!fd.empty() && !(out->has_first_date = parse_da(fd, &out->first_date)))
    return rert_err_set(err, RERT_EINPUT, "%s: FirstTreatmentDate (3008,0054) '%s' is not a date",
                        w, fd.c_str());
  if (!ld.empty() && !(out->has_last_date = parse_da(ld, &out->last_date)))
    return rert_err_set(err, RERT_EINPUT, "%s: MostRecentTreatmentDate (3008,0056) '%s' is not a "
                        "date", w, ld.c_str());
  copy_str(out->current_status, sizeof out->current_status, get_str(ds, DCM_CurrentTreatmentStatus));
  unsigned long ng = seq_card(ds, DCM_FractionGroupSummarySequence);
  if (ng > 1024)
    return rert_err_set(err, RERT_EINPUT, "%s: FractionGroupSummarySequence (3008,0220) has %lu "
                        "items; at most 1024 are read", w, ng);
  out->groups = (rert_record_group *)calloc(ng ? ng : 1, sizeof(rert_record_group));
  if (!out->groups) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (unsigned long g = 0; g < ng; g++) {
    DcmItem *it = seq_item(ds, DCM_FractionGroupSummarySequence, g);
    rert_record_group &rg = out->groups[g];
    rg.group_number = get_long(it, DCM_ReferencedFractionGroupNumber, v) ? (int)v : 0;
    copy_str(rg.type, sizeof rg.type, get_str(it, DCM_FractionGroupType));
    rg.fractions_planned = get_long(it, DCM_NumberOfFractionsPlanned, v) && v >= 0 ? (int)v : -1;
    rg.fractions_delivered = get_long(it, DCM_NumberOfFractionsDelivered, v) && v >= 0 ? (int)v : -1;
    out->ngroups = (int)g + 1;
  }
  if (!out->has_treatment_date && out->has_last_date) {
    out->has_treatment_date = 1;
    out->treatment_date = out->last_date;
    copy_str(out->date_source, sizeof out->date_source, "MostRecentTreatmentDate (3008,0056)");
  }
  return RERT_OK;
}

extern "C" int io_read_treatment_record(const char *path, rert_treatment_record *out,
                                        rert_err *err) {
  memset(out, 0, sizeof *out);
  DCM_GUARD_BEGIN
  DcmFileFormat ff;
  int rc = load_file(path, ff, err);
  if (rc) return rc;
  rc = read_record(ff.getDataset(), path, out, err);
  if (rc) rtrecord_free(out);
  return rc;
  DCM_GUARD_END(err)
}

static std::string da(rert_date d) {
  char b[16];
  snprintf(b, sizeof b, "%04d%02d%02d", d.year, d.month, d.day);
  return b;
}

extern "C" int io_write_treatment_record(const char *path, const rert_treatment_record *r,
                                         const char *machine_name, const io_write_opts *opts,
                                         rert_err *err) {
  DCM_GUARD_BEGIN
  if (r->kind != RECORD_BEAMS_SESSION && r->kind != RECORD_ION_SESSION)
    return rert_err_set(err, RERT_EINTERNAL, "%s: only session records are written", path);
  const bool ion = r->kind == RECORD_ION_SESSION;
  DcmFileFormat ff;
  DcmDataset *ds = ff.getDataset();
  put_common(ds, r->ident, ion ? UID_RTIonBeamsTreatmentRecordStorage
                               : UID_RTBeamsTreatmentRecordStorage, "RTRECORD", opts);
  put(ds, DCM_OperatorsName, "");
  /* RT General Treatment Record */
  put(ds, DCM_TreatmentDate, r->has_treatment_date ? da(r->treatment_date) : "");
  put(ds, DCM_TreatmentTime, r->treatment_time);
  if (r->referenced_plan_uid[0]) {
    DcmItem *p = new_item(ds, DCM_ReferencedRTPlanSequence);
    put(p, DCM_ReferencedSOPClassUID, ion ? UID_RTIonPlanStorage : UID_RTPlanStorage);
    put(p, DCM_ReferencedSOPInstanceUID, r->referenced_plan_uid);
  }
  /* RT Treatment Machine Record */
  DcmItem *m = new_item(ds, DCM_TreatmentMachineSequence);
  put(m, DCM_TreatmentMachineName, machine_name ? machine_name : "rert");
  put(m, DCM_Manufacturer, "rert");
  put(m, DCM_InstitutionName, "");
  put(m, DCM_ManufacturerModelName, "rert");
  put(m, DCM_DeviceSerialNumber, "0");
  /* RT (Ion) Beams Session Record */
  put(ds, DCM_PrimaryDosimeterUnit, "MU");
  if (r->fraction_group) put_int(ds, DCM_ReferencedFractionGroupNumber, r->fraction_group);
  put_int(ds, DCM_NumberOfFractionsPlanned, r->fractions_planned);
  for (int b = 0; b < r->nbeams; b++) {
    const rert_record_beam &rb = r->beams[b];
    DcmItem *it = new_item(ds, ion ? DCM_TreatmentSessionIonBeamSequence
                                   : DCM_TreatmentSessionBeamSequence);
    put_int(it, DCM_ReferencedBeamNumber, rb.beam_number);
    if (rb.beam_name[0]) put(it, DCM_BeamName, rb.beam_name);
    put(it, DCM_BeamType, "STATIC");
    put(it, DCM_RadiationType, ion ? "PROTON" : "PHOTON");
    put_int(it, DCM_CurrentFractionNumber, rb.fraction_number);
    put(it, DCM_TreatmentDeliveryType, rb.delivery_type[0] ? rb.delivery_type : "TREATMENT");
    put(it, DCM_TreatmentTerminationStatus,
        rb.termination_status[0] ? rb.termination_status : "NORMAL");
    put(it, DCM_TreatmentVerificationStatus, "");
    if (std::isfinite(rb.specified_meterset))
      put(it, DCM_SpecifiedPrimaryMeterset, fmt_double(rb.specified_meterset));
    if (std::isfinite(rb.delivered_meterset))
      put(it, DCM_DeliveredPrimaryMeterset, fmt_double(rb.delivered_meterset));
    put_int(it, DCM_NumberOfWedges, 0);
    put_int(it, DCM_NumberOfCompensators, 0);
    put_int(it, DCM_NumberOfBoli, 0);
    put_int(it, DCM_NumberOfBlocks, 0);
    if (!ion)
      for (const char *t : {"ASYMX", "ASYMY"}) {
        DcmItem *bl = new_item(it, DCM_BeamLimitingDeviceLeafPairsSequence);
        put(bl, DCM_RTBeamLimitingDeviceType, t);
        put_int(bl, DCM_NumberOfLeafJawPairs, 1);
      }
    if (ion) {
      put_int(it, DCM_NumberOfRangeShifters, 0);
      put_int(it, DCM_NumberOfLateralSpreadingDevices, 0);
      put_int(it, DCM_NumberOfRangeModulators, 0);
      put(it, DCM_PatientSupportType, "TABLE");
    }
    put_int(it, DCM_NumberOfControlPoints, 2);
    const std::string date = rb.has_date ? da(rb.date)
                             : r->has_treatment_date ? da(r->treatment_date) : "";
    const std::string time = rb.time[0] ? rb.time : r->treatment_time;
    for (int c = 0; c < 2; c++) {
      DcmItem *cp = new_item(it, DCM_ControlPointDeliverySequence);
      put_int(cp, DCM_ReferencedControlPointIndex, c);
      put(cp, DCM_TreatmentControlPointDate, date);
      put(cp, DCM_TreatmentControlPointTime, time);
      put(cp, DCM_SpecifiedMeterset, c ? fmt_double(std::isfinite(rb.specified_meterset) ? rb.specified_meterset : 0) : "0");
      put(cp, DCM_DeliveredMeterset, c ? fmt_double(std::isfinite(rb.delivered_meterset) ? rb.delivered_meterset : 0) : "0");
      put(cp, DCM_DoseRateDelivered, "600");
      put(cp, DCM_DoseRateSet, "600");
      if (c == 0) {
        put(cp, DCM_NominalBeamEnergy, ion ? "150" : "6");
        put(cp, DCM_NominalBeamEnergyUnit, ion ? "MEV" : "MV");
        put(cp, DCM_GantryAngle, "0");
        put(cp, DCM_GantryRotationDirection, "NONE");
        put(cp, DCM_BeamLimitingDeviceAngle, "0");
        put(cp, DCM_BeamLimitingDeviceRotationDirection, "NONE");
        put(cp, DCM_PatientSupportAngle, "0");
        put(cp, DCM_PatientSupportRotationDirection, "NONE");
      }
    }
  }
  return save_atomic(ff, path, err);
  DCM_GUARD_END(err)
}
