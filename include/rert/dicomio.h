/* dicomio.h — reading and writing DICOM RT objects, indexing an export, and the interlocks that
 * refuse to combine objects that do not belong together.
 *
 * Implementation: a thin C++ adapter over DCMTK (dcmdata + dcmrt) in src/io/dcmtk/; DICOM is
 * never parsed by hand. Everything here is plain C. All geometry is DICOM patient coordinates
 * (LPS, mm) in the rert_volume convention (rert/volume.h): dir[0..2] = first
 * ImageOrientationPatient triplet (increasing column i), dir[3..5] = second triplet (increasing
 * row j), dir[6..8] = slice direction (increasing k, = row × column for readers; files whose
 * positions run the other way are re-sorted so k follows the normal). See docs/io.md.
 *
 * Status: every function returns RERT_OK, RERT_EINPUT (bad/unsupported file, interlock) or
 * RERT_EINTERNAL (I/O while writing, out of memory) and fills rert_err with one line naming the
 * file and the tag at fault. Readers never modify their input; writers are atomic (temp file +
 * rename, rert/fileio.h) and leave nothing behind on failure.
 */
#ifndef RERT_DICOMIO_H
#define RERT_DICOMIO_H

#include <stddef.h>

#include "rert/err.h"
#include "rert/rtdata.h"

/* ------------------------------------------------------------------------------------------- */
/* UIDs                                                                                          */

/* A fresh globally unique UID ("2.25.<128-bit random decimal>", ≤ 64 chars). */
int io_make_uid(char uid[RERT_UID_LEN], rert_err *err);
/* A deterministic UID derived from `key` ("2.25.<decimal of a 128-bit hash of key>"): the same
 * key always gives the same UID (the phantom uses "<seed>/<course>/<object>" keys). */
void io_make_uid_from(const char *key, char uid[RERT_UID_LEN]);
/* Allocate and fill s->slice_sop_uids (if NULL) deterministically from the series UID. */
int io_series_fill_slice_uids(rert_image_series *s, rert_err *err);

/* ------------------------------------------------------------------------------------------- */
/* Reading                                                                                       */

typedef struct {
  /* Image series: accept slices whose gap differs from the median gap by more than 1 % (or a
   * missing slice). The stack is then resampled linearly along the normal at the median gap and
   * rert_image_series.uneven_spacing is set; the default (0) is an error naming the two slices. */
  int allow_uneven_slices;
  /* Image series: which series to read when a folder holds several (NULL/"" = the only one;
   * several → error listing them). */
  const char *series_uid;
} io_read_opts;

/* Header-only: identity (patient, study, series, frame of reference, modality) of one file. */
int io_read_ident(const char *path, rert_dicom_ident *id, rert_err *err);

/* CT/MR series from a directory (non-recursive) or a single file (its directory is used and the
 * series of that file selected). Slices are sorted along the slice normal; pixel values are
 * RescaleSlope·stored + RescaleIntercept (HU for CT). opts may be NULL. */
int io_read_image_series(const char *dir_or_file, const io_read_opts *opts,
                         rert_image_series *out, rert_err *err);
/* Same from an explicit list of slice files (all must belong to one series). */
int io_read_image_files(const char *const *paths, int npaths, const io_read_opts *opts,
                        rert_image_series *out, rert_err *err);

/* RTSTRUCT: every StructureSetROI with its observations (RTROIInterpretedType) and contours.
 * CLOSED_PLANAR, OPEN_PLANAR, OPEN_NONPLANAR and POINT contours are kept with their type;
 * tg263_name is left "" (mapping is the case file's job). */
int io_read_rtstruct(const char *path, rert_structure_set *out, rert_err *err);

/* RTDOSE: a 3-D grid (single- or multi-frame, 16- or 32-bit) in Gy·DoseGridScaling applied.
 * GridFrameOffsetVector may be relative (first 0) or absolute (first = z of IPP); both are
 * converted to positions along the slice normal. RELATIVE units are read as is (the interlock
 * io_check_dose_usable refuses them without a normalisation). dose.meta.quantity is
 * QTY_PHYSICAL for PHYSICAL, QTY_RBE_WEIGHTED for EFFECTIVE, QTY_OTHER for ERROR. */
int io_read_rtdose(const char *path, rert_rtdose *out, rert_err *err);

/* RTPLAN or RT ION PLAN: fraction groups (NumberOfFractionsPlanned, beams), prescriptions
 * (DoseReferenceSequence target/prescription dose), radiation type (photon/electron/proton/ion),
 * RTPlanDate and treatment dates when present (TreatmentDate of a session record is not read). */
int io_read_rtplan(const char *path, rert_rtplan *out, rert_err *err);

/* Spatial Registration (rigid): the matrix mapping the moving frame to the fixed frame (the
 * registration's own FrameOfReferenceUID is the fixed frame; the other RegistrationSequence item
 * with a non-identity RIGID matrix is the moving frame). */
int io_read_spatial_registration(const char *path, rert_rigid_registration *out, rert_err *err);
/* Deformable Spatial Registration: pre/post matrices and the deformation grid (vectors in mm). */
int io_read_deformable_registration(const char *path, rert_deformable_registration *out,
                                    rert_err *err);

/* In-memory readers (used by the fuzz targets): `kind` is one of the IO_KIND_* below; `out`
 * points to the matching struct; the result must be freed like the file readers' results. */
typedef enum {
  IO_KIND_UNKNOWN = 0, IO_KIND_IMAGE, IO_KIND_RTSTRUCT, IO_KIND_RTDOSE, IO_KIND_RTPLAN,
  IO_KIND_REG, IO_KIND_DEFORMABLE_REG, IO_KIND_OTHER,
  IO_KIND_RTRECORD /* RT (Ion/Brachy) Beams Treatment Record or Treatment Summary Record
                      (rert/rtrecord.h); io_read_buffer does not read it */
} io_kind;
int io_read_buffer(io_kind kind, const void *buf, size_t len, void *out, rert_err *err);
const char *io_kind_name(io_kind k);

/* ------------------------------------------------------------------------------------------- */
/* Writing                                                                                       */

/* RTDOSE pixel encodings (io_set_dose_encoding). Debian's dciodvfy aborts on every uncompressed
 * 32-bit PixelData (assertion in its OW reader), while plastimatch 1.9 crashes on RLE RTDOSE and
 * several planning systems cannot import a compressed RTDOSE; so the default is the uncompressed
 * form every planning system and plastimatch read, and RLE is available on request (it is the
 * variant the tests validate with dciodvfy). */
enum {
  IO_DOSE_32_RLE = 0, /* 32-bit unsigned, RLE Lossless transfer syntax (dciodvfy, pydicom, DCMTK) */
  IO_DOSE_32_RAW,     /* default: 32-bit unsigned, Explicit VR Little Endian (pydicom,
                         plastimatch, planning systems) */
  IO_DOSE_16_RAW      /* 16-bit unsigned, Explicit VR Little Endian (every reader; resolution
                         max/65535) */
};

typedef struct {
  /* Free text recorded in the written object (RTDOSE: ImageComments "note=" of the rert-meta line;
   * CT: ImageComments; RTSTRUCT: StructureSetDescription; RTPLAN: RTPlanDescription; REG:
   * ContentDescription, 64 chars): the overrides in force and the command line. */
  const char *note;
  /* Manufacturer model name stored in the file ("rert" when NULL). */
  const char *software;
  /* Derived RTDOSE only (NULL = from the dose's rert_dose_meta, io_describe_dose_meta):
   * SeriesDescription and DoseComment (each ≤ 64 characters, DICOM LO; longer text is cut), so
   * maps of the same quantity (nominal / upper bound / remaining) are told apart in a planning
   * system's series list. */
  const char *series_description;
  const char *dose_comment;
} io_write_opts;

/* The RTDOSE pixel encoding used by every dose writer in this process (an output-format
 * preference like a locale). Default IO_DOSE_32_RAW (uncompressed), or the environment variable
 * RERT_DOSE_ENCODING = rle32 | raw32 | raw16 when set. Returns the previous value, or -1 (and
 * changes nothing) for an unknown encoding. */
int io_set_dose_encoding(int encoding);
int io_get_dose_encoding(void);
/* "raw32" | "rle32" | "raw16" → IO_DOSE_*, −1 for anything else; and back. */
int io_dose_encoding_parse(const char *name);
const char *io_dose_encoding_name(int encoding);

/* Creation date/time written into objects (ContentDate/Time, StructureSetDate/Time, StudyDate
 * when the identity has none), process-wide like the encoding: epoch_s seconds since 1970 UTC,
 * or −1 (default) for now — or SOURCE_DATE_EPOCH when that environment variable is set. Returns
 * the previous setting. The consult sets it to its --created time so its DICOM outputs carry the
 * same creation time as its report. */
long long io_set_write_time(long long epoch_s);

/* CT (or MR when ident.modality is "MR") slices CT.<k+1>.dcm into `dir` (created). Pixels are
 * stored as signed 16-bit with RescaleSlope/Intercept chosen to hold the volume's range;
 * s->slice_sop_uids is used when set (else derived from the series UID as
 * io_series_fill_slice_uids would). Identity fields that are empty are filled with fresh UIDs. */
int io_write_ct_series(const char *dir, const rert_image_series *s, const io_write_opts *opts,
                       rert_err *err);

/* RTSTRUCT. `ref` (may be NULL) is the image series the contours were drawn on: its series /
 * slice UIDs go into ReferencedFrameOfReferenceSequence and each contour's ContourImageSequence. */
int io_write_rtstruct(const char *path, const rert_structure_set *s, const rert_image_series *ref,
                      const io_write_opts *opts, rert_err *err);

/* RTDOSE from a full rert_rtdose (ident, units, type, summation, plan reference). The grid is
 * written as 32-bit unsigned (16 with IO_DOSE_16_RAW) with DoseGridScaling ≈ max/(2^bits−1)
 * (negative values are an error), multi-frame with relative GridFrameOffsetVector. */
int io_write_rtdose(const char *path, const rert_rtdose *d, const io_write_opts *opts,
                    rert_err *err);

/* RTDOSE for a derived map (EQD2, BED, remaining tolerance, bound, ...): new SOP and series UIDs,
 * patient/study/frame of reference copied from `source` (the dose or image it was derived
 * from), DoseType EFFECTIVE unless dose->meta.quantity is QTY_PHYSICAL, DoseSummationType PLAN
 * for one referenced plan and MULTI_PLAN for several (plan_uids: the RTPLAN SOP instance UIDs of
 * the courses it derives from; DICOM requires at least one reference for these types),
 * DoseComment and SeriesDescription stating quantity, α/β, recovery and RBE model, and the full
 * rert_dose_meta plus opts->note (overrides) as a "rert-meta:" line in ImageComments, which
 * io_read_rtdose parses back. Encoding per io_get_dose_encoding() (32-bit by default); negative
 * values are an error. The identity written is returned in new_ident when not NULL. */
int io_write_derived_dose(const char *path, const rert_volume *dose,
                          const rert_dicom_ident *source, const char *const *plan_uids,
                          int nplans, const io_write_opts *opts, rert_dicom_ident *new_ident,
                          rert_err *err);
/* Same, with the new SOP Instance and Series UIDs derived from uid_key (io_make_uid_from of
 * "<uid_key>/sop" and "<uid_key>/series") instead of drawn at random, so a pipeline that runs
 * twice on the same inputs writes the same object (the consult keys on its input digests and the
 * output's role). uid_key NULL or "" = random, as io_write_derived_dose. */
int io_write_derived_dose_keyed(const char *path, const rert_volume *dose,
                                const rert_dicom_ident *source, const char *const *plan_uids,
                                int nplans, const char *uid_key, const io_write_opts *opts,
                                rert_dicom_ident *new_ident, rert_err *err);
/* The text io_write_derived_dose puts in DoseComment and SeriesDescription (≤ 64 chars, DICOM
 * LO), e.g. "EQD2 upper a/b=2Gy rec=stepwise RBE=PHYSICAL". */
void io_describe_dose_meta(const rert_dose_meta *meta, char *buf, size_t bufsz);

/* RTPLAN (or RT ION PLAN when p->is_ion) with fraction groups, dose references (prescriptions),
 * RTPlanDate and the patient setup/beam sequences a minimal valid plan needs (two control points
 * per beam, no MLC).
 * DICOM RT plans have no standard attribute for the delivered treatment dates, so when
 * has_treatment_dates is set they are written into RTPlanDescription as
 * "treatment YYYY-MM-DD..YYYY-MM-DD", which io_read_rtplan parses back. */
int io_write_rtplan(const char *path, const rert_rtplan *p, const io_write_opts *opts,
                    rert_err *err);

int io_write_spatial_registration(const char *path, const rert_rigid_registration *r,
                                  const io_write_opts *opts, rert_err *err);
int io_write_deformable_registration(const char *path, const rert_deformable_registration *r,
                                     const io_write_opts *opts, rert_err *err);

/* ------------------------------------------------------------------------------------------- */
/* Directory index (`rert info`)                                                                 */

typedef struct {
  io_kind kind;
  rert_dicom_ident ident;        /* of the first file */
  int nfiles;
  char **files;                  /* images: all slices of the series; RT objects: one file */
  /* summaries */
  int rows, cols;                /* images, dose */
  int nframes;                   /* dose frames / image slice count */
  char dose_units[17], dose_type[17], dose_summation[17];
  int nrois;                     /* RTSTRUCT */
  int nfraction_groups, fractions_planned; /* RTPLAN (first fraction group) */
  char radiation_type[17];
  char approval_status[17];      /* RTPLAN, RTSTRUCT: ApprovalStatus (300E,0002), "" if absent */
  char plan_intent[17];          /* RTPLAN: PlanIntent (300A,000A): CURATIVE, PALLIATIVE,
                                    PROPHYLACTIC, VERIFICATION, MACHINE_QA, RESEARCH, SERVICE */
  char plan_label[65];           /* RTPLAN: RTPlanLabel (300A,0002) */
  /* references between objects (UIDs, "" if absent) */
  char ref_series_uid[RERT_UID_LEN];   /* RTSTRUCT → image series */
  char ref_struct_uid[RERT_UID_LEN];   /* RTPLAN → RTSTRUCT */
  char ref_plan_uid[RERT_UID_LEN];     /* RTDOSE, RTRECORD → RTPLAN */
  int ref_fraction_group, ref_beam_number; /* RTDOSE: ReferencedFractionGroupNumber and the first
                                              ReferencedBeamNumber (0 when absent) */
  int nref_plans;                      /* RTDOSE: items of ReferencedRTPlanSequence (MULTI_PLAN) */
  char reg_fixed_frame_uid[RERT_UID_LEN], reg_moving_frame_uid[RERT_UID_LEN]; /* REG */
} io_object;

typedef struct {
  int nobjects;
  io_object *objects;            /* sorted: patient, study, modality order, series */
  int nskipped;                  /* files that are not DICOM or not readable */
  int nproblems;
  char (*problems)[512];         /* one line each: file and reason */
} io_index;

/* Recursively index every DICOM file under `dir` (files that are not DICOM are counted in
 * nskipped; unreadable DICOM files are listed in problems, the scan continues). */
int io_scan_dir(const char *dir, io_index *out, rert_err *err);
void io_index_free(io_index *ix);

/* ------------------------------------------------------------------------------------------- */
/* Interlocks                                                                                    *
 * Each check returns RERT_EINPUT with a message naming the files and tags when the objects may  *
 * not be combined. When `allow` is non-zero the check returns RERT_OK instead but still writes  *
 * the message, prefixed "OVERRIDDEN: ", into err so the caller records it in every output (an  *
 * empty err->msg means nothing was found).                                                      */

/* PatientID, PatientName and PatientBirthDate must agree (an empty name or birth date, as left by
 * partial anonymisation, is not compared; names compare case-insensitively ignoring trailing '^'). */
int io_check_same_patient(const rert_dicom_ident *const *ids, int n, int allow, rert_err *err);

typedef struct {
  double normalisation_gy;   /* multiply RELATIVE dose to Gy; NaN/0 = not given */
  int fractions;             /* fraction count known from the case (0 = unknown) */
  int all_beams_present;     /* BEAM summation: the caller has every beam dose of the plan */
  int rbe_model_known;       /* EFFECTIVE dose: the case states the RBE model */
} io_dose_context;

/* RELATIVE units without normalisation; FRACTION (the whole delivery of ONE fraction group, PS3.3
 * C.8.8.3 — not one fraction) or FRACTION_SESSION/BRACHY_SESSION (one session) without a fraction
 * count (from the plan's fraction group or ctx->fractions); BEAM summation without all beams;
 * CONTROL_POINT and RECORD (never a course dose); EFFECTIVE dose without a known RBE model;
 * DoseType ERROR (never a dose); empty or non-finite grid. The DICOM gate (rert/gate.h) applies
 * these rules to a whole course, with the plan's groups and beams. */
int io_check_dose_usable(const rert_rtdose *d, const rert_rtplan *plan, const io_dose_context *ctx,
                         int allow, rert_err *err);
/* EFFECTIVE and PHYSICAL doses mixed in one sum. */
int io_check_dose_types(const rert_rtdose *const *doses, int n, int allow, rert_err *err);

/* Objects a and b must share a FrameOfReferenceUID or be linked by one of the registrations
 * (in either direction). */
int io_check_frames(const rert_dicom_ident *a, const rert_dicom_ident *b,
                    const rert_rigid_registration *rigid, int nrigid,
                    const rert_deformable_registration *deformable, int ndeformable, int allow,
                    rert_err *err);

/* Structure set sanity: ROI with no contour data (when `roi_name` is NULL every ROI is checked,
 * else only that one), a contour with < 3 points (CLOSED_PLANAR), a CLOSED_PLANAR contour whose
 * points are not coplanar (> 0.01 mm off the best plane). */
int io_check_structure_set(const rert_structure_set *s, const char *roi_name, int allow,
                           rert_err *err);

#endif
