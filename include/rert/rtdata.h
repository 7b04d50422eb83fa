/* rtdata.h — in-memory radiotherapy objects shared by io (DICOM read/write), phantom (synthetic
 * patient), geom (masks) and dvh: image series, structure sets, doses, plans and registrations.
 *
 * All coordinates are DICOM patient coordinates (LPS, mm). Strings are NUL-terminated copies of
 * the DICOM values (UIDs ≤ 64 chars). Ownership: every *_free releases what the matching reader
 * allocated; structs may be zero-initialised and filled by hand (the phantom does this).
 */
#ifndef RERT_RTDATA_H
#define RERT_RTDATA_H

#include "rert/date.h"
#include "rert/rbe.h"
#include "rert/volume.h"

#define RERT_UID_LEN 65

/* Identity of one DICOM object: what the interlocks compare (patient, frame of reference). */
typedef struct {
  char path[1024];               /* file it was read from ("" if built in memory) */
  char modality[17];             /* CT, MR, RTSTRUCT, RTDOSE, RTPLAN, RTIONPLAN, REG */
  char sop_class_uid[RERT_UID_LEN];
  char sop_instance_uid[RERT_UID_LEN];
  char patient_id[65];
  char patient_name[324];
  char patient_birth_date[9];    /* YYYYMMDD or "" */
  char patient_sex[17];
  char study_instance_uid[RERT_UID_LEN];
  char series_instance_uid[RERT_UID_LEN];
  char frame_of_reference_uid[RERT_UID_LEN];
  char series_description[65];
  char study_date[9];
} rert_dicom_ident;

/* ---- image series (CT/MR) ---- */
typedef struct {
  rert_dicom_ident ident;        /* of the first slice; series-level fields */
  rert_volume image;             /* HU for CT (RescaleSlope/Intercept applied) */
  int nslices;
  char (*slice_sop_uids)[RERT_UID_LEN]; /* per k, for RTSTRUCT contour image references */
  int uneven_spacing;            /* set when slices were not evenly spaced (see io docs) */
} rert_image_series;

/* ---- structure set ---- */
typedef enum { CONTOUR_CLOSED_PLANAR = 0, CONTOUR_POINT, CONTOUR_OPEN_PLANAR, CONTOUR_OPEN_NONPLANAR } rert_contour_type;

typedef struct {
  rert_contour_type type;
  int npoints;
  double *xyz_mm;                /* 3·npoints, LPS */
} rert_contour;

typedef struct {
  int number;                    /* ROINumber */
  char name[65];                 /* ROIName as in the file */
  char tg263_name[65];           /* after case-file mapping ("" if unmapped) */
  char interpreted_type[17];     /* RTROIInterpretedType: EXTERNAL, ORGAN, GTV, CTV, PTV, ... */
  char generation_algorithm[17]; /* ROIGenerationAlgorithm: AUTOMATIC, SEMIAUTOMATIC, MANUAL */
  char frame_of_reference_uid[RERT_UID_LEN];
  unsigned char color_rgb[3];
  int ncontours;
  rert_contour *contours;
  /* ContourImageSequence: the image each contour was drawn on (SOPInstanceUID, "" if absent);
   * n_image_uids entries (the reader's contour count) or NULL */
  char (*contour_image_uids)[RERT_UID_LEN];
  int n_image_uids;
} rert_roi;

typedef struct {
  rert_dicom_ident ident;
  char label[65];
  char referenced_series_uid[RERT_UID_LEN];
  int nrois;
  rert_roi *rois;
} rert_structure_set;

/* ---- dose ---- */
typedef enum { DOSE_UNITS_GY = 0, DOSE_UNITS_RELATIVE } rert_dose_units;
typedef enum { DOSE_TYPE_PHYSICAL = 0, DOSE_TYPE_EFFECTIVE, DOSE_TYPE_ERROR } rert_dose_type;
typedef enum {
  SUM_PLAN = 0, SUM_MULTI_PLAN, SUM_FRACTION, SUM_BEAM, SUM_BRACHY, SUM_FRACTION_SESSION,
  SUM_BEAM_SESSION, SUM_BRACHY_SESSION, SUM_CONTROL_POINT, SUM_RECORD
} rert_dose_summation;

#define RERT_MAX_REF_BEAMS 64      /* beams referenced by one fraction group / one RTDOSE */
#define RERT_MAX_REF_PLANS 8       /* plans referenced by one MULTI_PLAN RTDOSE */

typedef struct {
  rert_dicom_ident ident;
  rert_volume dose;              /* Gy after DoseGridScaling (or relative units, see `units`) */
  rert_dose_units units;
  rert_dose_type type;
  rert_dose_summation summation;
  char referenced_plan_uid[RERT_UID_LEN];
  int referenced_fraction_group;  /* 0 if absent */
  int referenced_beam_number;     /* 0 if absent */
  double dose_grid_scaling;
  char dose_comment[1025];
  /* every item of ReferencedRTPlanSequence (MULTI_PLAN references several plans) */
  int nreferenced_plans;
  char referenced_plan_uids[RERT_MAX_REF_PLANS][RERT_UID_LEN];
  /* every ReferencedBeamNumber of the referenced fraction group (BEAM doses of several beams) */
  int nreferenced_beams;
  int referenced_beams[RERT_MAX_REF_BEAMS];
} rert_rtdose;

/* ---- plan ---- */
typedef struct {
  int number;
  int fractions_planned;
  int nbeams;
  int beams_per_fraction_day;     /* NumberOfFractionPatternDigitsPerDay etc. when present, else 0 */
  /* ReferencedBeamSequence of the group: beam numbers and BeamDose (Gy per fraction at the beam
   * dose point, NaN when absent); BeamMeterset (NaN when absent) */
  int nbeam_refs;
  int beam_numbers[RERT_MAX_REF_BEAMS];
  double beam_dose_gy[RERT_MAX_REF_BEAMS];
  double beam_meterset[RERT_MAX_REF_BEAMS];
  int nbrachy_setups;             /* NumberOfBrachyApplicationSetups */
  double prescription_gy;         /* largest TargetPrescriptionDose in the group's
                                     ReferencedDoseReferenceSequence, NaN when absent */
  char description[65];           /* FractionGroupDescription */
} rert_fraction_group;

/* One beam of BeamSequence / IonBeamSequence. */
typedef struct {
  int number;
  char name[65];
  int is_setup;                   /* TreatmentDeliveryType SETUP: no dose */
  rert_modality modality;         /* from RadiationType */
} rert_beam;

typedef struct {
  double target_dose_gy;          /* TargetPrescriptionDose or DoseReferenceDose; NaN if absent */
  int referenced_roi_number;      /* 0 if absent */
  char description[65];
} rert_prescription;

typedef struct {
  rert_dicom_ident ident;
  char label[65];
  char name[65];
  char approval_status[17];       /* ApprovalStatus (300E,0002): APPROVED, UNAPPROVED, REJECTED;
                                     "" when absent (not written then) */
  int is_ion;                     /* RT Ion Plan */
  rert_modality modality;         /* from RadiationType / IonBeamSequence */
  int nfraction_groups;
  rert_fraction_group *fraction_groups;
  int nprescriptions;
  rert_prescription *prescriptions;
  char referenced_structure_set_uid[RERT_UID_LEN];
  int has_plan_date;
  rert_date plan_date;
  int has_treatment_dates;        /* from TreatmentDate or the case file */
  rert_date first_treatment_date, last_treatment_date;
  int nbeam_defs;                 /* BeamSequence / IonBeamSequence items */
  rert_beam *beams;
} rert_rtplan;

/* ---- vector field (displacement, mm, LPS) ----
 * Convention (pull-back, as ITK/plastimatch/elastix deformation fields): for a point x of the
 * FIXED (reference) grid, the corresponding MOVING point is x + u(x). Warping a moving image
 * onto the fixed grid samples it at x + u(x). */
typedef struct {
  int nx, ny, nz;
  double origin_mm[3];
  double spacing_mm[3];
  double dir[9];
  float *u_mm;                    /* 3 floats per voxel, interleaved (ux, uy, uz), i fastest */
} rert_vfield;

/* ---- registrations ---- */
typedef struct {
  rert_dicom_ident ident;
  char fixed_frame_uid[RERT_UID_LEN];   /* registered-to (reference) frame */
  char moving_frame_uid[RERT_UID_LEN];  /* source frame */
  double matrix[16];                    /* row-major 4x4: moving → fixed, as in DICOM REG */
} rert_rigid_registration;

typedef struct {
  rert_dicom_ident ident;
  char fixed_frame_uid[RERT_UID_LEN];
  char moving_frame_uid[RERT_UID_LEN];
  double pre_matrix[16];
  double post_matrix[16];
  rert_vfield field;
} rert_deformable_registration;

void rtdata_free_image_series(rert_image_series *s);
void rtdata_free_structure_set(rert_structure_set *s);
void rtdata_free_rtdose(rert_rtdose *d);
void rtdata_free_rtplan(rert_rtplan *p);
void rtdata_free_vfield(rert_vfield *f);
void rtdata_free_deformable_registration(rert_deformable_registration *r);
/* Find an ROI by TG-263 name (then by file name, case-insensitive); NULL if absent. */
const rert_roi *rtdata_find_roi(const rert_structure_set *s, const char *name);

#endif
