/* gate_interlocks.c — the one registry of interlock IDs a case-file override may name
 * ({"interlock": ID, "course": ID?, "object": PATH?, "reason": TEXT}, casefile.h). An override
 * naming an ID that is not in this table is refused by the gate; a module that applies its own
 * interlock adds its row here (applied_by names it). docs/io.md "Interlocks and overrides"
 * is generated from the same words. */
#include <string.h>

#include "rert/gate.h"

const gate_interlock gate_interlocks[] = {
    {"same_patient", "gate",
     "objects whose PatientID / PatientName / PatientBirthDate differ from each other or from "
     "$.patient (e.g. an export re-identified by the hospital): the objects are used as listed"},
    {"frame_of_reference", "gate",
     "an object of a course in another FrameOfReferenceUID than the course's CT, or two courses "
     "in different frames without a registration: the frames are taken as identical (identity "
     "mapping) — only when the exports are known to share scanner coordinates"},
    {"plan_reference", "gate",
     "an RTDOSE whose ReferencedRTPlanSequence names no plan of its course (e.g. a plan re-exported "
     "with a new SOP Instance UID): the dose is taken as the course plan's (only when the course "
     "has one plan)"},
    {"fractions_mismatch", "gate",
     "the case file's fractions differ from the RTPLAN's NumberOfFractionsPlanned: the RTPLAN's "
     "fraction counts are used for the dose (they describe the dose file), the case file's for "
     "the clinical facts"},
    {"prescription_mismatch", "gate",
     "the case file's prescription_gy differs from the RTPLAN's TargetPrescriptionDose: the case "
     "file's value is used"},
    {"modality_mismatch", "gate",
     "the case file's modality differs from the RTPLAN's RadiationType: the case file's modality "
     "and rbe_model are used"},
    {"dose_implausible", "gate",
     "the course dose maximum is far above or below the prescription "
     "(data/dose_plausibility.json): the dose is used as it is"},
    {"dose_label", "gate",
     "a PHYSICAL RTDOSE whose DoseComment or SeriesDescription names a biologically weighted "
     "quantity (EQD2, BED): the values are taken as physical dose"},
    {"physical_particle_dose", "gate",
     "a proton course whose RTDOSE is PHYSICAL (or whose rbe_model is PHYSICAL): the dose is "
     "multiplied by the fixed proton RBE of data/rbe.json (1.1) and the course is RBE_FIXED; never "
     "possible for carbon (no constant RBE)"},
    {"multigroup_plan_dose", "gate",
     "a plan with several fraction groups whose dose is one PLAN-summed grid: the whole dose is "
     "converted with the smallest group fraction count, an upper bound of the EQD2 (never an "
     "under-estimate), stated in every output"},
    {"shared_object", "gate",
     "one CT series or RTSTRUCT listed for two courses (an RTDOSE or RTPLAN never may be): the "
     "object is used for both"},
    {"registration_qa", "registration QA",
     "a registration whose QA fails (frames, coverage, folding, similarity worse than rigid, wrong "
     "direction, propagated contours, landmarks; docs/register.md) or cannot be evaluated: the "
     "mapped dose is used, the consult verdict may be PASS, and the failed checks and the reason "
     "are in the report"},
    {NULL, NULL, NULL}};

const gate_interlock *gate_interlock_find(const char *id) {
  for (const gate_interlock *g = gate_interlocks; g->id; g++)
    if (!strcmp(g->id, id)) return g;
  return NULL;
}
