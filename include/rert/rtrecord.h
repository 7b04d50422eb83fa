/* rtrecord.h — RT treatment records: what was actually delivered, as opposed to what was planned.
 *
 * DICOM PS3.3 A.29 (RT Beams Treatment Record), A.36 (RT Ion Beams Treatment Record) and A.30
 * (RT Treatment Summary Record), read through DCMTK (src/io/dcmtk/dcm_rtrecord.cpp; DICOM is
 * never parsed by hand). A session record describes one treatment session: the plan it delivered
 * (ReferencedRTPlanSequence), the fraction group, the date and, per beam, the fraction number
 * (CurrentFractionNumber), whether the beam ran to its end (TreatmentTerminationStatus) and the
 * metersets. A summary record gives the first and most recent treatment date and the fractions
 * delivered per fraction group.
 *
 * Used by `rert case init` (rert/caseinit.h) for the course dates and the delivered fraction
 * count, and written by `rert phantom --untidy` so that path is tested on files the project
 * generates. All strings are trimmed DICOM values; dates are calendar dates (rert/date.h).
 */
#ifndef RERT_RTRECORD_H
#define RERT_RTRECORD_H

#include "rert/dicomio.h"
#include "rert/err.h"
#include "rert/rtdata.h"

typedef enum {
  RECORD_BEAMS_SESSION = 0, /* RT Beams Treatment Record (1.2.840.10008.5.1.4.1.1.481.4) */
  RECORD_ION_SESSION,       /* RT Ion Beams Treatment Record (…481.9) */
  RECORD_BRACHY_SESSION,    /* RT Brachy Treatment Record (…481.6): dates only */
  RECORD_SUMMARY            /* RT Treatment Summary Record (…481.7) */
} rert_record_kind;

/* One item of TreatmentSessionBeamSequence / TreatmentSessionIonBeamSequence. */
typedef struct {
  int beam_number;             /* ReferencedBeamNumber (300C,0006), 0 when absent */
  char beam_name[65];          /* BeamName (300A,00C2) */
  int fraction_number;         /* CurrentFractionNumber (3008,0022), 0 when absent */
  char delivery_type[17];      /* TreatmentDeliveryType (300A,00CE): TREATMENT, CONTINUATION,
                                  SETUP, VERIFICATION, ... */
  char termination_status[17]; /* TreatmentTerminationStatus (3008,002A): NORMAL, OPERATOR,
                                  MACHINE, UNKNOWN */
  double specified_meterset;   /* SpecifiedPrimaryMeterset (3008,0032), NaN when absent */
  double delivered_meterset;   /* DeliveredPrimaryMeterset (3008,0036), NaN when absent */
  int has_date;                /* first TreatmentControlPointDate (3008,0024) of the beam */
  rert_date date;
  char time[17];               /* first TreatmentControlPointTime (3008,0025), "" */
} rert_record_beam;

/* One item of FractionGroupSummarySequence (summary records). */
typedef struct {
  int group_number;            /* ReferencedFractionGroupNumber (300C,0022), 0 when absent */
  char type[17];               /* FractionGroupType (3008,0224): EXTERNAL_BEAM, BRACHY, ... */
  int fractions_planned;       /* NumberOfFractionsPlanned (300A,0078), −1 when absent */
  int fractions_delivered;     /* NumberOfFractionsDelivered (3008,005A), −1 when absent */
} rert_record_group;

typedef struct {
  rert_dicom_ident ident;
  rert_record_kind kind;
  char referenced_plan_uid[RERT_UID_LEN]; /* ReferencedRTPlanSequence[0] SOP instance, "" */
  int has_treatment_date;      /* TreatmentDate (3008,0250), else the first beam's date */
  rert_date treatment_date;
  char treatment_time[17];     /* TreatmentTime (3008,0251) (or the first beam's), "" */
  char date_source[64];        /* "TreatmentDate (3008,0250)" / "TreatmentControlPointDate (3008,0024)" */
  /* session records */
  int fraction_group;          /* ReferencedFractionGroupNumber (300C,0022), 0 when absent */
  int fractions_planned;       /* NumberOfFractionsPlanned (300A,0078), 0 when absent */
  int nbeams;
  rert_record_beam *beams;
  /* summary records (and the optional summary module of a session record) */
  int has_first_date, has_last_date;
  rert_date first_date, last_date; /* FirstTreatmentDate (3008,0054), MostRecentTreatmentDate (3008,0056) */
  char current_status[17];     /* CurrentTreatmentStatus (3008,0200) */
  int ngroups;
  rert_record_group *groups;
} rert_treatment_record;

/* Read any of the four record kinds. RERT_EINPUT (naming the file and tag) when the file is not a
 * treatment record or an attribute is malformed; absent optional attributes are left empty. */
int io_read_treatment_record(const char *path, rert_treatment_record *out, rert_err *err);
void rtrecord_free(rert_treatment_record *r);

/* Is this SOP class UID one of the treatment records above? (0 / 1) */
int io_is_treatment_record_class(const char *sop_class_uid);

/* Write a session record (RECORD_BEAMS_SESSION or RECORD_ION_SESSION) with the RT General
 * Treatment Record, RT Treatment Machine Record and RT (Ion) Beams Session Record modules: one
 * TreatmentSessionBeamSequence item per beam with one delivered control point pair. Atomic.
 * Used by the synthetic patient (`rert phantom --untidy`). */
int io_write_treatment_record(const char *path, const rert_treatment_record *r,
                              const char *machine_name, const io_write_opts *opts,
                              rert_err *err);

#endif
