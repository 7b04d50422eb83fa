/* interlock.c — the checks that stop rert from combining DICOM objects that do not belong
 * together (issue #3 "Interlocks"; the DICOM gate, rert/gate.h, calls io_check_same_patient and
 * implements the rest per object graph): different patients, unusable dose (RELATIVE units
 * without a normalisation, FRACTION (one whole fraction group, PS3.3 C.8.8.3) or per-session
 * summation without the fraction count, BEAM without the other beams, CONTROL_POINT/RECORD,
 * EFFECTIVE dose without an RBE model, ERROR dose), EFFECTIVE mixed with PHYSICAL, frames of
 * reference with no registration, and broken structure sets (empty or non-planar contours).
 *
 * Every refusal is RERT_EINPUT naming the files and tags. An explicit override (`allow`) turns
 * the refusal into RERT_OK but leaves the message, prefixed "OVERRIDDEN: ", in err so callers
 * record it in their outputs (io_write_opts.note). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rert/dicomio.h"

static int refuse(rert_err *err, int allow, const char *msg) {
  if (allow) {
    if (err) snprintf(err->msg, sizeof err->msg, "OVERRIDDEN: %s", msg);
    return RERT_OK;
  }
  return rert_err_set(err, RERT_EINPUT, "%s", msg);
}

static void clear(rert_err *err) {
  if (err) err->msg[0] = '\0';
}

static const char *name_of(const rert_dicom_ident *id) {
  return id->path[0] ? id->path : (id->modality[0] ? id->modality : "(object)");
}

/* PatientName compared case-insensitively with trailing '^' and spaces ignored */
static int same_name(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  while (la && (a[la - 1] == '^' || a[la - 1] == ' ')) la--;
  while (lb && (b[lb - 1] == '^' || b[lb - 1] == ' ')) lb--;
  if (la != lb) return 0;
  for (size_t i = 0; i < la; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return 0;
  return 1;
}

int io_check_same_patient(const rert_dicom_ident *const *ids, int n, int allow, rert_err *err) {
  clear(err);
  char msg[1000];
  for (int i = 1; i < n; i++) {
    const rert_dicom_ident *a = ids[0], *b = ids[i];
    const char *tag = NULL, *va = NULL, *vb = NULL;
    if (strcmp(a->patient_id, b->patient_id) != 0) {
      tag = "PatientID (0010,0020)"; va = a->patient_id; vb = b->patient_id;
    } else if (a->patient_name[0] && b->patient_name[0] &&
               !same_name(a->patient_name, b->patient_name)) {
      tag = "PatientName (0010,0010)"; va = a->patient_name; vb = b->patient_name;
    } else if (a->patient_birth_date[0] && b->patient_birth_date[0] &&
               strcmp(a->patient_birth_date, b->patient_birth_date) != 0) {
      tag = "PatientBirthDate (0010,0030)"; va = a->patient_birth_date; vb = b->patient_birth_date;
    }
    if (tag) {
      snprintf(msg, sizeof msg, "%.300s and %.300s are from different patients: %s '%.40s' vs '%.40s'",
               name_of(a), name_of(b), tag, va, vb);
      return refuse(err, allow, msg);
    }
  }
  return RERT_OK;
}

int io_check_dose_usable(const rert_rtdose *d, const rert_rtplan *plan, const io_dose_context *ctx,
                         int allow, rert_err *err) {
  clear(err);
  io_dose_context c = {NAN, 0, 0, 0};
  if (ctx) c = *ctx;
  char msg[1000];
  const char *f = name_of(&d->ident);
  if (d->type == DOSE_TYPE_ERROR) {
    snprintf(msg, sizeof msg, "%.500s: DoseType (3004,0004) is ERROR: an uncertainty map, not a dose", f);
    return refuse(err, allow, msg);
  }
  if (d->units == DOSE_UNITS_RELATIVE && !(c.normalisation_gy > 0 && isfinite(c.normalisation_gy))) {
    snprintf(msg, sizeof msg, "%.500s: DoseUnits (3004,0002) is RELATIVE and no normalisation (Gy) "
             "was given", f);
    return refuse(err, allow, msg);
  }
  /* BRACHY_SESSION is one brachytherapy session ("fraction", PS3.3 C.8.8.3.1) like
   * FRACTION_SESSION: the course dose needs the session count too */
  if (d->summation == SUM_FRACTION || d->summation == SUM_FRACTION_SESSION ||
      d->summation == SUM_BRACHY_SESSION) {
    int fx = c.fractions;
    if (!fx && plan) {
      for (int g = 0; g < plan->nfraction_groups; g++)
        if (!d->referenced_fraction_group || plan->fraction_groups[g].number == d->referenced_fraction_group)
          fx = plan->fraction_groups[g].fractions_planned;
    }
    if (fx <= 0) {
      snprintf(msg, sizeof msg, "%.500s: DoseSummationType (3004,000A) is %s (%s) "
               "and the fraction count is unknown (no RTPLAN NumberOfFractionsPlanned (300A,0078), "
               "none given)", f, d->summation == SUM_FRACTION ? "FRACTION"
               : d->summation == SUM_FRACTION_SESSION ? "FRACTION_SESSION" : "BRACHY_SESSION",
               d->summation == SUM_FRACTION ? "the whole delivery of one fraction group, whose own "
               "fraction count converts it" : "one session, to be multiplied by the count");
      return refuse(err, allow, msg);
    }
  }
  if (d->summation == SUM_CONTROL_POINT || d->summation == SUM_RECORD) {
    snprintf(msg, sizeof msg, "%.500s: DoseSummationType (3004,000A) is %s: not the dose of whole "
             "fraction groups", f, d->summation == SUM_CONTROL_POINT ? "CONTROL_POINT" : "RECORD");
    return refuse(err, allow, msg);
  }
  if ((d->summation == SUM_BEAM || d->summation == SUM_BEAM_SESSION) && !c.all_beams_present) {
    snprintf(msg, sizeof msg, "%.500s: DoseSummationType (3004,000A) is BEAM: the dose of some "
             "beams; the doses of the other beams of the plan are needed", f);
    return refuse(err, allow, msg);
  }
  if (d->type == DOSE_TYPE_EFFECTIVE && !c.rbe_model_known &&
      !(d->dose.meta.rbe != RBE_PHYSICAL && isfinite(d->dose.meta.rbe_factor))) {
    snprintf(msg, sizeof msg, "%.500s: DoseType (3004,0004) is EFFECTIVE (RBE-weighted) and the "
             "RBE model is not known (state it in the case)", f);
    return refuse(err, allow, msg);
  }
  size_t n = volume_count(&d->dose);
  if (!d->dose.data || n == 0) {
    snprintf(msg, sizeof msg, "%.500s: empty dose grid", f);
    return refuse(err, allow, msg);
  }
  for (size_t i = 0; i < n; i++)
    if (!isfinite(d->dose.data[i])) {
      snprintf(msg, sizeof msg, "%.500s: dose grid has a non-finite value at voxel %zu", f, i);
      return refuse(err, allow, msg);
    }
  return RERT_OK;
}

int io_check_dose_types(const rert_rtdose *const *doses, int n, int allow, rert_err *err) {
  clear(err);
  for (int i = 1; i < n; i++) {
    if ((doses[i]->type == DOSE_TYPE_EFFECTIVE) != (doses[0]->type == DOSE_TYPE_EFFECTIVE)) {
      char msg[1000];
      snprintf(msg, sizeof msg, "%.300s (DoseType %s) and %.300s (DoseType %s) mix RBE-weighted "
               "and physical dose; convert explicitly before summing", name_of(&doses[0]->ident),
               doses[0]->type == DOSE_TYPE_EFFECTIVE ? "EFFECTIVE" : "PHYSICAL",
               name_of(&doses[i]->ident), doses[i]->type == DOSE_TYPE_EFFECTIVE ? "EFFECTIVE" : "PHYSICAL");
      return refuse(err, allow, msg);
    }
  }
  return RERT_OK;
}

static int links(const char *fa, const char *fb, const char *x, const char *y) {
  return (strcmp(fa, x) == 0 && strcmp(fb, y) == 0) || (strcmp(fa, y) == 0 && strcmp(fb, x) == 0);
}

int io_check_frames(const rert_dicom_ident *a, const rert_dicom_ident *b,
                    const rert_rigid_registration *rigid, int nrigid,
                    const rert_deformable_registration *deformable, int ndeformable, int allow,
                    rert_err *err) {
  clear(err);
  char msg[1000];
  if (!a->frame_of_reference_uid[0] || !b->frame_of_reference_uid[0]) {
    snprintf(msg, sizeof msg, "%.300s / %.300s: FrameOfReferenceUID (0020,0052) missing",
             name_of(a), name_of(b));
    return refuse(err, allow, msg);
  }
  if (strcmp(a->frame_of_reference_uid, b->frame_of_reference_uid) == 0) return RERT_OK;
  for (int i = 0; i < nrigid; i++)
    if (links(a->frame_of_reference_uid, b->frame_of_reference_uid, rigid[i].fixed_frame_uid,
              rigid[i].moving_frame_uid))
      return RERT_OK;
  for (int i = 0; i < ndeformable; i++)
    if (links(a->frame_of_reference_uid, b->frame_of_reference_uid, deformable[i].fixed_frame_uid,
              deformable[i].moving_frame_uid))
      return RERT_OK;
  snprintf(msg, sizeof msg, "%.250s and %.250s have different FrameOfReferenceUID (0020,0052) "
           "(%s vs %s) and no registration links them", name_of(a), name_of(b),
           a->frame_of_reference_uid, b->frame_of_reference_uid);
  return refuse(err, allow, msg);
}

/* max distance of the points from their least-squares plane (normal from Newell's method) */
static double planarity_mm(const rert_contour *c) {
  double n[3] = {0, 0, 0}, cen[3] = {0, 0, 0};
  for (int i = 0; i < c->npoints; i++) {
    const double *p = c->xyz_mm + 3 * i, *q = c->xyz_mm + 3 * ((i + 1) % c->npoints);
    n[0] += (p[1] - q[1]) * (p[2] + q[2]);
    n[1] += (p[2] - q[2]) * (p[0] + q[0]);
    n[2] += (p[0] - q[0]) * (p[1] + q[1]);
    for (int a = 0; a < 3; a++) cen[a] += p[a] / c->npoints;
  }
  double nn = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  if (nn < 1e-12) return 0; /* degenerate (collinear): no plane to be off */
  double dmax = 0;
  for (int i = 0; i < c->npoints; i++) {
    const double *p = c->xyz_mm + 3 * i;
    double d = fabs((p[0] - cen[0]) * n[0] + (p[1] - cen[1]) * n[1] + (p[2] - cen[2]) * n[2]) / nn;
    if (d > dmax) dmax = d;
  }
  return dmax;
}

int io_check_structure_set(const rert_structure_set *s, const char *roi_name, int allow,
                           rert_err *err) {
  clear(err);
  char msg[1000];
  const char *f = name_of(&s->ident);
  int found = 0;
  for (int r = 0; r < s->nrois; r++) {
    const rert_roi *roi = &s->rois[r];
    if (roi_name && strcasecmp(roi->name, roi_name) != 0 && strcmp(roi->tg263_name, roi_name) != 0)
      continue;
    found = 1;
    if (roi->ncontours == 0) {
      snprintf(msg, sizeof msg, "%.500s: ROI %d '%s' has no contours (ROIContourSequence/"
               "ContourSequence empty)", f, roi->number, roi->name);
      return refuse(err, allow, msg);
    }
    for (int c = 0; c < roi->ncontours; c++) {
      const rert_contour *ct = &roi->contours[c];
      if (ct->type != CONTOUR_CLOSED_PLANAR) continue;
      if (ct->npoints < 3) {
        snprintf(msg, sizeof msg, "%.500s: ROI %d '%s' contour %d is CLOSED_PLANAR with %d "
                 "point(s) (ContourData (3006,0050))", f, roi->number, roi->name, c + 1, ct->npoints);
        return refuse(err, allow, msg);
      }
      double d = planarity_mm(ct);
      if (d > 0.01) {
        snprintf(msg, sizeof msg, "%.500s: ROI %d '%s' contour %d is CLOSED_PLANAR but its points "
                 "lie up to %.3f mm off one plane (ContourData (3006,0050))", f, roi->number,
                 roi->name, c + 1, d);
        return refuse(err, allow, msg);
      }
    }
  }
  if (roi_name && !found) {
    snprintf(msg, sizeof msg, "%.500s: no ROI named '%s'", f, roi_name);
    return rert_err_set(err, RERT_EINPUT, "%s", msg);
  }
  return RERT_OK;
}
