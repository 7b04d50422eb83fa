/* dcm_rtplan.cpp — RT Plan and RT Ion Plan read/write: what dose accounting needs from a plan —
 * fractions planned per fraction group, prescriptions, radiation type, plan and treatment dates.
 *
 * Radiation type: BeamSequence / IonBeamSequence RadiationType (PHOTON, ELECTRON, PROTON, ION
 * with RadiationAtomicNumber 6 = carbon). Beams of different particle types in one plan are
 * refused (they need separate RBE handling). Prescription dose: DoseReferenceSequence
 * TargetPrescriptionDose (Gy); NaN when absent. Treatment dates: TreatmentDate (3008,0250) when a
 * vendor put it in the plan, or "treatment YYYY-MM-DD..YYYY-MM-DD" in RTPlanDescription (what
 * io_write_rtplan writes, as plans have no standard attribute for them). */
#include <cmath>
#include <cstring>

#include "io/dcmtk/dcm_internal.h"

extern "C" {
#include "rert/date.h"
}

using namespace rertdcm;

static int parse_da(const std::string &s, rert_date *d) {
  rert_err e;
  return s.size() >= 8 && date_parse(s.substr(0, 8).c_str(), "date", d, &e) == 0;
}

int rertdcm_read_rtplan(DcmDataset *ds, const char *path, rert_rtplan *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  const char *w = short_path(path);
  fill_ident(ds, path, &out->ident);
  std::string mod = get_str(ds, DCM_Modality), cls = get_str(ds, DCM_SOPClassUID);
  if (mod != "RTPLAN" && cls != UID_RTPlanStorage && cls != UID_RTIonPlanStorage)
    return rert_err_set(err, RERT_EINPUT, "%s: not an RTPLAN (Modality %s)", w, mod.c_str());
  out->is_ion = cls == UID_RTIonPlanStorage || has(ds, DCM_IonBeamSequence);
  if (!out->ident.modality[0]) strcpy(out->ident.modality, "RTPLAN");
  if (out->is_ion) strcpy(out->ident.modality, "RTIONPLAN");
  copy_str(out->label, sizeof out->label, get_str(ds, DCM_RTPlanLabel));
  copy_str(out->name, sizeof out->name, get_str(ds, DCM_RTPlanName));
  copy_str(out->approval_status, sizeof out->approval_status, get_str(ds, DCM_ApprovalStatus));
  if (DcmItem *r = seq_item(ds, DCM_ReferencedStructureSetSequence, 0))
    copy_str(out->referenced_structure_set_uid, RERT_UID_LEN, get_str(r, DCM_ReferencedSOPInstanceUID));
  out->has_plan_date = parse_da(get_str(ds, DCM_RTPlanDate), &out->plan_date);
  /* radiation type */
  const DcmTagKey beamseq = out->is_ion ? DCM_IonBeamSequence : DCM_BeamSequence;
  unsigned long nb = seq_card(ds, beamseq);
  int mod_set = 0;
  out->modality = MOD_PHOTON;
  out->beams = (rert_beam *)calloc(nb ? nb : 1, sizeof(rert_beam));
  if (!out->beams) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (unsigned long b = 0; b < nb; b++) {
    DcmItem *it = seq_item(ds, beamseq, b);
    std::string rt = get_str(it, DCM_RadiationType);
    rert_beam &bd = out->beams[b];
    long bn = 0;
    bd.number = get_long(it, DCM_BeamNumber, bn) ? (int)bn : (int)b + 1;
    copy_str(bd.name, sizeof bd.name, get_str(it, DCM_BeamName));
    /* setup fields (portal images) deliver no therapeutic dose and have no dose file */
    bd.is_setup = get_str(it, DCM_TreatmentDeliveryType) == "SETUP";
    out->nbeam_defs = (int)b + 1;
    rert_modality m;
    if (rt == "PHOTON") m = MOD_PHOTON;
    else if (rt == "ELECTRON") m = MOD_ELECTRON;
    else if (rt == "PROTON") m = MOD_PROTON;
    else if (rt == "ION") {
      long z = 0;
      get_long(it, DCM_RadiationAtomicNumber, z);
      m = z == 6 ? MOD_CARBON : MOD_OTHER_ION;
    } else if (rt.empty()) {
      continue;
    } else {
      return rert_err_set(err, RERT_EINPUT, "%s: beam %lu RadiationType (300A,00C6) '%s' is not "
                          "supported", w, b + 1, rt.c_str());
    }
    bd.modality = m;
    if (bd.is_setup) continue; /* a setup field's type does not say how the patient is treated */
    bool particle = m == MOD_PROTON || m == MOD_CARBON || m == MOD_OTHER_ION;
    if (mod_set && m != out->modality) {
      bool prev_particle = out->modality == MOD_PROTON || out->modality == MOD_CARBON ||
                           out->modality == MOD_OTHER_ION;
      if (particle || prev_particle)
        return rert_err_set(err, RERT_EINPUT, "%s: beams with different RadiationType (300A,00C6) "
                            "(%s and %s) in one plan", w, rbe_modality_name(out->modality),
                            rbe_modality_name(m));
      if (out->modality == MOD_ELECTRON) out->modality = m; /* photon+electron → photon */
      continue;
    }
    out->modality = m;
    mod_set = 1;
  }
  /* fraction groups */
  DcmSequenceOfItems *fgs = get_seq(ds, DCM_FractionGroupSequence);
  unsigned long nfg = fgs ? fgs->card() : 0;
  out->fraction_groups = (rert_fraction_group *)calloc(nfg ? nfg : 1, sizeof(rert_fraction_group));
  if (!out->fraction_groups) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (unsigned long i = 0; i < nfg; i++) {
    DcmItem *it = fgs->getItem(i);
    rert_fraction_group &g = out->fraction_groups[i];
    long v = 0;
    g.number = get_long(it, DCM_FractionGroupNumber, v) ? (int)v : (int)i + 1;
    if (get_long(it, DCM_NumberOfFractionsPlanned, v)) {
      if (v < 0)
        return rert_err_set(err, RERT_EINPUT, "%s: fraction group %d NumberOfFractionsPlanned "
                            "(300A,0078) %ld is negative", w, g.number, v);
      g.fractions_planned = (int)v;
    }
    if (get_long(it, DCM_NumberOfBeams, v) && v >= 0) g.nbeams = (int)v;
    if (get_long(it, DCM_NumberOfFractionPatternDigitsPerDay, v) && v >= 0) g.beams_per_fraction_day = (int)v;
    if (get_long(it, DCM_NumberOfBrachyApplicationSetups, v) && v >= 0) g.nbrachy_setups = (int)v;
    copy_str(g.description, sizeof g.description, get_str(it, DCM_FractionGroupDescription));
    /* the beams this group delivers: a BEAM dose set is complete only when it has all of them */
    unsigned long nrb = seq_card(it, DCM_ReferencedBeamSequence);
    if (nrb > RERT_MAX_REF_BEAMS)
      return rert_err_set(err, RERT_EINPUT, "%s: fraction group %d references %lu beams "
                          "(ReferencedBeamSequence (300C,0004)); rert handles at most %d", w,
                          g.number, nrb, RERT_MAX_REF_BEAMS);
    for (unsigned long b = 0; b < nrb; b++) {
      DcmItem *rb = seq_item(it, DCM_ReferencedBeamSequence, b);
      std::vector<double> dv;
      g.beam_numbers[b] = get_long(rb, DCM_ReferencedBeamNumber, v) ? (int)v : 0;
      g.beam_dose_gy[b] = get_doubles(rb, DCM_BeamDose, dv) ? dv[0] : NAN;
      g.beam_meterset[b] = get_doubles(rb, DCM_BeamMeterset, dv) ? dv[0] : NAN;
      g.nbeam_refs = (int)b + 1;
    }
    /* a prescription stated for this group (Type 3; Pinnacle and Eclipse often leave it out) */
    g.prescription_gy = NAN;
    for (unsigned long r = 0; r < seq_card(it, DCM_ReferencedDoseReferenceSequence); r++) {
      std::vector<double> dv;
      DcmItem *rr = seq_item(it, DCM_ReferencedDoseReferenceSequence, r);
      if (get_doubles(rr, DCM_TargetPrescriptionDose, dv) && std::isfinite(dv[0]) &&
          !(dv[0] <= g.prescription_gy))
        g.prescription_gy = dv[0];
    }
    out->nfraction_groups = (int)i + 1;
  }
  /* prescriptions */
  DcmSequenceOfItems *drs = get_seq(ds, DCM_DoseReferenceSequence);
  unsigned long ndr = drs ? drs->card() : 0;
  out->prescriptions = (rert_prescription *)calloc(ndr ? ndr : 1, sizeof(rert_prescription));
  if (!out->prescriptions) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (unsigned long i = 0; i < ndr; i++) {
    DcmItem *it = drs->getItem(i);
    rert_prescription &p = out->prescriptions[i];
    std::vector<double> v;
    p.target_dose_gy = get_doubles(it, DCM_TargetPrescriptionDose, v) ? v[0] : NAN;
    long r = 0;
    if (get_long(it, DCM_ReferencedROINumber, r)) p.referenced_roi_number = (int)r;
    copy_str(p.description, sizeof p.description, get_str(it, DCM_DoseReferenceDescription));
    out->nprescriptions = (int)i + 1;
  }
  /* treatment dates */
  rert_date a, b;
  std::string td = get_str(ds, DCM_TreatmentDate);
  if (parse_da(td, &a)) {
    out->has_treatment_dates = 1;
    out->first_treatment_date = out->last_treatment_date = a;
  }
  std::string desc = get_str(ds, DCM_RTPlanDescription);
  size_t pos = desc.find("treatment ");
  if (pos != std::string::npos && desc.size() >= pos + 10 + 22) {
    std::string s1 = desc.substr(pos + 10, 10), s2 = desc.substr(pos + 22, 10);
    rert_err e;
    if (desc.compare(pos + 20, 2, "..") == 0 && date_parse(s1.c_str(), "d", &a, &e) == 0 &&
        date_parse(s2.c_str(), "d", &b, &e) == 0) {
      out->has_treatment_dates = 1;
      out->first_treatment_date = a;
      out->last_treatment_date = b;
    }
  }
  return RERT_OK;
}

extern "C" int io_read_rtplan(const char *path, rert_rtplan *out, rert_err *err) {
  DCM_GUARD_BEGIN
  memset(out, 0, sizeof *out);
  DcmFileFormat ff;
  int rc = load_file(path, ff, err);
  if (rc) return rc;
  rc = rertdcm_read_rtplan(ff.getDataset(), path, out, err);
  if (rc) rtdata_free_rtplan(out);
  return rc;
  DCM_GUARD_END(err)
}

static std::string da(rert_date d) {
  char b[16];
  snprintf(b, sizeof b, "%04d%02d%02d", d.year, d.month, d.day);
  return b;
}

extern "C" int io_write_rtplan(const char *path, const rert_rtplan *p, const io_write_opts *opts,
                               rert_err *err) {
  DCM_GUARD_BEGIN
  DcmFileFormat ff;
  DcmDataset *ds = ff.getDataset();
  put_common(ds, p->ident, p->is_ion ? UID_RTIonPlanStorage : UID_RTPlanStorage, "RTPLAN", opts);
  put(ds, DCM_OperatorsName, "");
  if (p->ident.frame_of_reference_uid[0]) {
    put(ds, DCM_FrameOfReferenceUID, p->ident.frame_of_reference_uid);
    put(ds, DCM_PositionReferenceIndicator, "");
  }
  put(ds, DCM_RTPlanLabel, p->label[0] ? p->label : "rert");
  if (p->approval_status[0]) {
    /* Approval module (C.8.8.16): reviewer and review date/time are Type 2C when APPROVED or
     * REJECTED; the plan date stands for the review date */
    put(ds, DCM_ApprovalStatus, p->approval_status);
    if (strcmp(p->approval_status, "UNAPPROVED")) {
      put(ds, DCM_ReviewDate, p->has_plan_date ? da(p->plan_date) : "");
      put(ds, DCM_ReviewTime, p->has_plan_date ? "120000" : "");
      put(ds, DCM_ReviewerName, "");
    }
  }
  if (p->name[0]) put(ds, DCM_RTPlanName, p->name);
  put(ds, DCM_RTPlanDate, p->has_plan_date ? da(p->plan_date) : "");
  put(ds, DCM_RTPlanTime, p->has_plan_date ? "120000" : "");
  std::string desc;
  if (p->has_treatment_dates) {
    char b[64];
    char d1[11], d2[11];
    date_format(p->first_treatment_date, d1);
    date_format(p->last_treatment_date, d2);
    snprintf(b, sizeof b, "treatment %s..%s", d1, d2);
    desc = b;
  }
  if (opts && opts->note && *opts->note) desc += (desc.empty() ? "" : "; ") + std::string(opts->note);
  if (!desc.empty()) put(ds, DCM_RTPlanDescription, desc.substr(0, 1024));
  if (p->referenced_structure_set_uid[0]) {
    put(ds, DCM_RTPlanGeometry, "PATIENT");
    DcmItem *r = new_item(ds, DCM_ReferencedStructureSetSequence);
    put(r, DCM_ReferencedSOPClassUID, UID_RTStructureSetStorage);
    put(r, DCM_ReferencedSOPInstanceUID, p->referenced_structure_set_uid);
  } else {
    put(ds, DCM_RTPlanGeometry, "TREATMENT_DEVICE");
  }
  for (int i = 0; i < p->nprescriptions; i++) {
    const rert_prescription &rx = p->prescriptions[i];
    DcmItem *it = new_item(ds, DCM_DoseReferenceSequence);
    put_int(it, DCM_DoseReferenceNumber, i + 1);
    put(it, DCM_DoseReferenceUID, "");
    char key[200];
    snprintf(key, sizeof key, "%s/doseref/%d", p->ident.sop_instance_uid, i + 1);
    char u[RERT_UID_LEN];
    io_make_uid_from(key, u);
    put(it, DCM_DoseReferenceUID, u);
    put(it, DCM_DoseReferenceStructureType, rx.referenced_roi_number ? "VOLUME" : "SITE");
    if (rx.description[0]) put(it, DCM_DoseReferenceDescription, rx.description);
    if (rx.referenced_roi_number) put_int(it, DCM_ReferencedROINumber, rx.referenced_roi_number);
    put(it, DCM_DoseReferenceType, "TARGET");
    if (std::isfinite(rx.target_dose_gy)) put(it, DCM_TargetPrescriptionDose, fmt_double(rx.target_dose_gy));
  }
  /* patient setup + one beam per counted beam so the plan is self-consistent */
  DcmItem *su = new_item(ds, DCM_PatientSetupSequence);
  put(su, DCM_PatientPosition, "HFS");
  put_int(su, DCM_PatientSetupNumber, 1);
  int nbeams = 0;
  for (int g = 0; g < p->nfraction_groups; g++) nbeams += p->fraction_groups[g].nbeams;
  int beam = 1;
  for (int g = 0; g < p->nfraction_groups; g++) {
    const rert_fraction_group &fg = p->fraction_groups[g];
    DcmItem *it = new_item(ds, DCM_FractionGroupSequence);
    put_int(it, DCM_FractionGroupNumber, fg.number ? fg.number : g + 1);
    put_int(it, DCM_NumberOfFractionsPlanned, fg.fractions_planned);
    if (fg.beams_per_fraction_day) put_int(it, DCM_NumberOfFractionPatternDigitsPerDay, fg.beams_per_fraction_day);
    put_int(it, DCM_NumberOfBeams, fg.nbeams);
    put_int(it, DCM_NumberOfBrachyApplicationSetups, 0);
    for (int b = 0; b < fg.nbeams; b++) {
      DcmItem *rb = new_item(it, DCM_ReferencedBeamSequence);
      put_int(rb, DCM_ReferencedBeamNumber, beam + b);
    }
    beam += fg.nbeams;
  }
  const char *rad = p->modality == MOD_PROTON ? "PROTON"
                    : (p->modality == MOD_CARBON || p->modality == MOD_OTHER_ION) ? "ION"
                    : p->modality == MOD_ELECTRON ? "ELECTRON" : "PHOTON";
  for (int b = 1; b <= nbeams; b++) {
    DcmItem *it = new_item(ds, p->is_ion ? DCM_IonBeamSequence : DCM_BeamSequence);
    put_int(it, DCM_BeamNumber, b);
    put(it, DCM_BeamName, "B" + std::to_string(b));
    put(it, DCM_BeamType, "STATIC");
    put(it, DCM_RadiationType, rad);
    if (p->is_ion && p->modality == MOD_CARBON) {
      put_int(it, DCM_RadiationMassNumber, 12);
      put_int(it, DCM_RadiationAtomicNumber, 6);
      put_int(it, DCM_RadiationChargeState, 6);
    }
    put(it, DCM_TreatmentMachineName, "rert");
    put(it, DCM_PrimaryDosimeterUnit, "MU");
    put_int(it, DCM_ReferencedPatientSetupNumber, 1);
    put(it, DCM_TreatmentDeliveryType, "TREATMENT");
    put_int(it, DCM_NumberOfWedges, 0);
    put_int(it, DCM_NumberOfCompensators, 0);
    put_int(it, DCM_NumberOfBoli, 0);
    put_int(it, DCM_NumberOfBlocks, 0);
    put(it, DCM_FinalCumulativeMetersetWeight, "1");
    put_int(it, DCM_NumberOfControlPoints, 2);
    if (p->is_ion) {
      put(it, DCM_ScanMode, "NONE");
      put_int(it, DCM_NumberOfRangeShifters, 0);
      put_int(it, DCM_NumberOfLateralSpreadingDevices, 0);
      put_int(it, DCM_NumberOfRangeModulators, 0);
      put(it, DCM_PatientSupportType, "TABLE");
      put(it, DCM_VirtualSourceAxisDistances, "2000\\2000");
    } else {
      put(it, DCM_SourceAxisDistance, "1000");
      DcmItem *bl = new_item(it, DCM_BeamLimitingDeviceSequence);
      put(bl, DCM_RTBeamLimitingDeviceType, "ASYMX");
      put_int(bl, DCM_NumberOfLeafJawPairs, 1);
      bl = new_item(it, DCM_BeamLimitingDeviceSequence);
      put(bl, DCM_RTBeamLimitingDeviceType, "ASYMY");
      put_int(bl, DCM_NumberOfLeafJawPairs, 1);
    }
    const DcmTagKey cps = p->is_ion ? DCM_IonControlPointSequence : DCM_ControlPointSequence;
    for (int c = 0; c < 2; c++) {
      DcmItem *cp = new_item(it, cps);
      put_int(cp, DCM_ControlPointIndex, c);
      put(cp, DCM_CumulativeMetersetWeight, c ? "1" : "0");
      if (c == 0) {
        put(cp, DCM_GantryAngle, std::to_string((b - 1) * 360 / (nbeams ? nbeams : 1)));
        put(cp, DCM_GantryRotationDirection, "NONE");
        put(cp, DCM_BeamLimitingDeviceAngle, "0");
        put(cp, DCM_BeamLimitingDeviceRotationDirection, "NONE");
        put(cp, DCM_PatientSupportAngle, "0");
        put(cp, DCM_PatientSupportRotationDirection, "NONE");
        if (!p->is_ion) {
          put(cp, DCM_TableTopEccentricAngle, "0");
          put(cp, DCM_TableTopEccentricRotationDirection, "NONE");
        }
        put(cp, DCM_IsocenterPosition, "0\\0\\0");
        put(cp, DCM_NominalBeamEnergy, p->is_ion ? "150" : "6");
      }
    }
  }
  return save_atomic(ff, path, err);
  DCM_GUARD_END(err)
}
