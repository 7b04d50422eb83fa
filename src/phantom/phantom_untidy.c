/* phantom_untidy.c — the synthetic patient as an untidy export (`rert phantom --untidy`), the
 * shape a physicist receives from a planning system or PACS, so that `rert case init` is tested
 * end to end on files the project generates itself (docs/phantom.md, "Untidy export"):
 *
 *   root/export/<SOPInstanceUID>.dcm   every object in one flat folder, named by UID only
 *     - per course: the CT slices, the RTSTRUCT, the approved RTPLAN (ApprovalStatus APPROVED);
 *     - delivered (prior) courses: one RTDOSE per beam (DoseSummationType BEAM, unequal beam
 *       weights), no dates in the plan, and one RT Beams Treatment Record per session — fraction
 *       12 is interrupted (beam 5 TreatmentTerminationStatus MACHINE) and completed by a second
 *       record the same day (TreatmentDeliveryType CONTINUATION), as a record-and-verify system
 *       writes it;
 *     - the planned course: one RTDOSE (PLAN), its scheduled dates in RTPlanDescription (rert's
 *       convention, docs/io.md), and an UNAPPROVED alternative plan dated a day later (66 Gy in
 *       33 fractions for 60/30: 1.1 × prescription and fractions) with its own PLAN dose;
 *     - the ground-truth registrations as DICOM Deformable Spatial Registrations only;
 *   root/export/export_log.txt         a non-DICOM file, as exports often carry;
 *   root/case.json                     the hand-written case for that export: the tidy phantom's
 *                                      case file with the export's paths (ct_dir + ct_series_uid,
 *                                      the beam doses as a list, the DICOM registrations).
 * Deterministic: same seed, size and course count → byte-identical files.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "phantom/phantom_internal.h"
#include "rert/data.h"
#include "rert/fileio.h"
#include "rert/rtrecord.h"

#define UNTIDY_INTERRUPTED_FRACTION 12
#define UNTIDY_INTERRUPTED_BEAM 5

/* What the case file needs to know about one course's files. */
typedef struct {
  char ct_series[RERT_UID_LEN];
  char rtstruct[RERT_UID_LEN], rtplan[RERT_UID_LEN];
  int ndoses;
  char doses[16][RERT_UID_LEN];
} untidy_course;

static int path_of(char *out, size_t n, const char *root, const char *uid, rert_err *err) {
  int k = snprintf(out, n, "%s/export/%s.dcm", root, uid);
  if (k < 0 || (size_t)k >= n) return rert_err_set(err, RERT_EINPUT, "%s: path too long", root);
  return RERT_OK;
}

/* The CT series: written into a scratch folder by the io writer, then every slice moved into
 * the flat folder under its SOP instance UID. */
static int write_ct(rert_image_series *ct, const char *root, int c, const io_write_opts *wo,
                    rert_err *err) {
  char tmp[4096], from[4200], to[4200];
  snprintf(tmp, sizeof tmp, "%s/.ct%d", root, c);
  int rc = fileio_mkdirs(tmp, err);
  if (!rc) rc = io_series_fill_slice_uids(ct, err);
  if (!rc) rc = io_write_ct_series(tmp, ct, wo, err);
  for (int k = 0; k < ct->nslices && !rc; k++) {
    snprintf(from, sizeof from, "%s/CT.%d.dcm", tmp, k + 1);
    if ((rc = path_of(to, sizeof to, root, ct->slice_sop_uids[k], err))) break;
    if (rename(from, to) != 0)
      rc = rert_err_set(err, RERT_EINTERNAL, "%s: cannot move to %s (%s)", from, to,
                        strerror(errno));
  }
  if (!rc && rmdir(tmp) != 0)
    rc = rert_err_set(err, RERT_EINTERNAL, "%s: cannot remove (%s)", tmp, strerror(errno));
  return rc;
}

/* Dates of the n sessions of course k: weekdays from the first fraction when that ends on the
 * last fraction date (the phantom's courses do), else spread evenly over the course. */
static void session_dates(const rert_phantom_course *k, rert_date *out) {
  int n = k->fractions;
  long d0 = date_to_days(k->start_date), d1 = date_to_days(k->end_date), d = d0;
  int i = 0;
  while (i < n && d <= d1) {
    if (date_weekday(date_from_days(d)) < 5) out[i++] = date_from_days(d);
    d++;
  }
  if (i == n && date_to_days(out[n - 1]) == d1) return;
  for (i = 0; i < n; i++)
    out[i] = date_from_days(d0 + (n > 1 ? (long)llround((double)(d1 - d0) * i / (n - 1)) : 0));
}

static double beam_meterset(int b) { return 100.0 + 10.0 * b; }

/* One RT Beams Treatment Record per session of a delivered course. */
static int write_records(const rert_phantom_model *m, int c, const rert_rtplan *plan,
                         const char *root, const io_write_opts *wo, rert_err *err) {
  const rert_phantom_course *k = &m->course[c];
  int nb = plan->fraction_groups[0].nbeams;
  rert_date *dates = calloc((size_t)k->fractions, sizeof *dates);
  rert_record_beam *beams = calloc((size_t)nb, sizeof *beams);
  if (!dates || !beams) {
    free(dates), free(beams);
    return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory");
  }
  session_dates(k, dates);
  int rc = RERT_OK;
  for (int f = 1; f <= k->fractions && !rc; f++) {
    const int interrupted = f == UNTIDY_INTERRUPTED_FRACTION && nb >= UNTIDY_INTERRUPTED_BEAM;
    for (int part = 0; part < 1 + interrupted && !rc; part++) {
      rert_treatment_record r;
      memset(&r, 0, sizeof r);
      r.kind = RECORD_BEAMS_SESSION;
      r.ident = plan->ident;
      char label[96];
      snprintf(label, sizeof label, "%s/record/%d%s/sop", k->id, f, part ? "/continuation" : "");
      phantom_uid(m->seed, label, r.ident.sop_instance_uid);
      snprintf(label, sizeof label, "%s/record/series", k->id);
      phantom_uid(m->seed, label, r.ident.series_instance_uid);
      snprintf(r.ident.series_description, sizeof r.ident.series_description,
               "Treatment records (rert phantom)");
      snprintf(r.referenced_plan_uid, sizeof r.referenced_plan_uid, "%s",
               plan->ident.sop_instance_uid);
      r.has_treatment_date = 1;
      r.treatment_date = dates[f - 1];
      snprintf(r.treatment_time, sizeof r.treatment_time, part ? "091000" : "083000");
      r.fraction_group = 1;
      r.fractions_planned = k->fractions;
      r.beams = beams;
      r.nbeams = 0;
      for (int b = 1; b <= nb; b++) {
        if (part && b != UNTIDY_INTERRUPTED_BEAM) continue;
        rert_record_beam *rb = &beams[r.nbeams++];
        memset(rb, 0, sizeof *rb);
        rb->beam_number = b;
        snprintf(rb->beam_name, sizeof rb->beam_name, "B%d", b);
        rb->fraction_number = f;
        rb->has_date = 1;
        rb->date = dates[f - 1];
        snprintf(rb->time, sizeof rb->time, "%s", part ? "091000" : "083000");
        snprintf(rb->delivery_type, sizeof rb->delivery_type, "%s", part ? "CONTINUATION" : "TREATMENT");
        const int cut = interrupted && !part && b == UNTIDY_INTERRUPTED_BEAM;
        snprintf(rb->termination_status, sizeof rb->termination_status, "%s", cut ? "MACHINE" : "NORMAL");
        const double mu = beam_meterset(b), first = 40.0;
        rb->specified_meterset = part ? mu - first : mu;
        rb->delivered_meterset = cut ? first : part ? mu - first : mu;
      }
      phantom_set_write_time(dates[f - 1]);
      char path[4200];
      if (!(rc = path_of(path, sizeof path, root, r.ident.sop_instance_uid, err)))
        rc = io_write_treatment_record(path, &r, "rert-linac", wo, err);
    }
  }
  free(dates);
  free(beams);
  return rc;
}

/* Per-beam doses of a delivered course: beam b carries weight (nb + 1 − b) / Σ of the course
 * dose (unequal, so a dose file standing for another beam would be noticed), BEAM summation
 * referencing beam b of fraction group 1. */
static int write_beam_doses(const rert_phantom_model *m, int c, const rert_rtdose *total,
                            const rert_rtplan *plan, const char *root, const io_write_opts *wo,
                            untidy_course *uc, rert_err *err) {
  int nb = plan->fraction_groups[0].nbeams;
  if (nb > 16) nb = 16;
  double wsum = 0;
  for (int b = 1; b <= nb; b++) wsum += nb + 1 - b;
  int rc = RERT_OK;
  for (int b = 1; b <= nb && !rc; b++) {
    rert_rtdose d = *total;
    memset(&d.dose, 0, sizeof d.dose);
    if ((rc = volume_alloc_like(&d.dose, &total->dose, err))) break;
    const double w = (nb + 1 - b) / wsum;
    const size_t n = volume_count(&d.dose);
    for (size_t i = 0; i < n; i++) d.dose.data[i] = (float)(w * total->dose.data[i]);
    d.summation = SUM_BEAM;
    d.referenced_fraction_group = 1;
    d.referenced_beam_number = b;
    char label[96];
    snprintf(label, sizeof label, "%s/rtdose/beam%d/sop", m->course[c].id, b);
    phantom_uid(m->seed, label, d.ident.sop_instance_uid);
    snprintf(d.dose_comment, sizeof d.dose_comment, "beam B%d of %s (rert phantom)", b,
             m->course[c].id);
    snprintf(uc->doses[uc->ndoses++], RERT_UID_LEN, "%s", d.ident.sop_instance_uid);
    char path[4200];
    if (!(rc = path_of(path, sizeof path, root, d.ident.sop_instance_uid, err)))
      rc = io_write_rtdose(path, &d, wo, err);
    volume_free(&d.dose);
  }
  return rc;
}

/* The unapproved alternative of the planned course: 1.1 × prescription and fractions, its own
 * plan (a day later) and PLAN dose (1.1 × the approved plan's). */
static int write_alternative(const rert_phantom_model *m, int c, rert_phantom_course_data *d,
                             const char *root, const io_write_opts *wo, rert_err *err) {
  const rert_phantom_course *k = &m->course[c];
  rert_rtplan p = d->rtplan;
  const int fx = (int)lround(1.1 * k->fractions);
  const double rx = 1.1 * k->prescription_gy;
  rert_fraction_group g = p.fraction_groups[0];
  g.fractions_planned = fx;
  p.fraction_groups = &g;
  p.nfraction_groups = 1;
  rert_prescription rxs[PHANTOM_MAX_LEVELS];
  for (int l = 0; l < p.nprescriptions && l < PHANTOM_MAX_LEVELS; l++) {
    rxs[l] = d->rtplan.prescriptions[l];
    rxs[l].target_dose_gy *= 1.1;
  }
  p.prescriptions = rxs;
  char label[96];
  snprintf(label, sizeof label, "%s/rtplan-alternative/sop", k->id);
  phantom_uid(m->seed, label, p.ident.sop_instance_uid);
  snprintf(p.label, sizeof p.label, "%s_alt_%.0fGy", k->id, rx);
  snprintf(p.name, sizeof p.name, "%s alternative %.0f Gy/%d fx", k->id, rx, fx);
  snprintf(p.approval_status, sizeof p.approval_status, "UNAPPROVED");
  p.plan_date = date_from_days(date_to_days(d->rtplan.plan_date) + 1);
  p.has_treatment_dates = 0;
  phantom_set_write_time(p.plan_date);
  char path[4200];
  int rc = path_of(path, sizeof path, root, p.ident.sop_instance_uid, err);
  if (!rc) rc = io_write_rtplan(path, &p, wo, err);
  if (rc) return rc;
  rert_rtdose ds = d->rtdose;
  memset(&ds.dose, 0, sizeof ds.dose);
  if ((rc = volume_alloc_like(&ds.dose, &d->rtdose.dose, err))) return rc;
  const size_t n = volume_count(&ds.dose);
  for (size_t i = 0; i < n; i++) ds.dose.data[i] = (float)(1.1 * d->rtdose.dose.data[i]);
  ds.dose.meta.fractions = fx;
  snprintf(label, sizeof label, "%s/rtdose-alternative/sop", k->id);
  phantom_uid(m->seed, label, ds.ident.sop_instance_uid);
  snprintf(label, sizeof label, "%s/rtdose-alternative/series", k->id);
  phantom_uid(m->seed, label, ds.ident.series_instance_uid);
  snprintf(ds.referenced_plan_uid, sizeof ds.referenced_plan_uid, "%s", p.ident.sop_instance_uid);
  snprintf(ds.dose_comment, sizeof ds.dose_comment, "alternative plan %s (rert phantom)", p.label);
  if (!(rc = path_of(path, sizeof path, root, ds.ident.sop_instance_uid, err)))
    rc = io_write_rtdose(path, &ds, wo, err);
  volume_free(&ds.dose);
  return rc;
}

static int write_course(const rert_phantom_model *m, int c, const char *root,
                        const io_write_opts *wo, untidy_course *uc, rert_err *err) {
  const int planned = c == m->ncourses - 1;
  rert_phantom_course_data d;
  int rc = phantom_build_course(m, c, &d, err);
  if (rc) return rc;
  snprintf(d.rtplan.approval_status, sizeof d.rtplan.approval_status, "APPROVED");
  /* a delivered course's dates are in its treatment records, not in the plan */
  if (!planned) d.rtplan.has_treatment_dates = 0;
  phantom_set_write_time(d.rtplan.plan_date);
  snprintf(uc->ct_series, sizeof uc->ct_series, "%s", d.ct.ident.series_instance_uid);
  snprintf(uc->rtstruct, sizeof uc->rtstruct, "%s", d.rtstruct.ident.sop_instance_uid);
  snprintf(uc->rtplan, sizeof uc->rtplan, "%s", d.rtplan.ident.sop_instance_uid);
  char path[4200];
  rc = write_ct(&d.ct, root, c, wo, err);
  if (!rc && !(rc = path_of(path, sizeof path, root, uc->rtstruct, err)))
    rc = io_write_rtstruct(path, &d.rtstruct, &d.ct, wo, err);
  if (!rc && !(rc = path_of(path, sizeof path, root, uc->rtplan, err)))
    rc = io_write_rtplan(path, &d.rtplan, wo, err);
  if (!rc && planned) {
    snprintf(uc->doses[uc->ndoses++], RERT_UID_LEN, "%s", d.rtdose.ident.sop_instance_uid);
    if (!(rc = path_of(path, sizeof path, root, d.rtdose.ident.sop_instance_uid, err)))
      rc = io_write_rtdose(path, &d.rtdose, wo, err);
    if (!rc) rc = write_alternative(m, c, &d, root, wo, err);
  } else if (!rc) {
    rc = write_beam_doses(m, c, &d.rtdose, &d.rtplan, root, wo, uc, err);
    if (!rc) rc = write_records(m, c, &d.rtplan, root, wo, err);
  }
  phantom_course_data_free(&d);
  return rc;
}

static int write_registration(const rert_phantom_model *m, int from, int to, const char *root,
                              const io_write_opts *wo, char uid[RERT_UID_LEN], rert_err *err) {
  rert_deformable_registration r;
  int rc = phantom_build_registration(m, from, to, &r, err);
  if (rc) return rc;
  phantom_set_write_time(date_from_days(date_to_days(m->course[to].start_date) - 3));
  snprintf(uid, RERT_UID_LEN, "%s", r.ident.sop_instance_uid);
  char path[4200];
  if (!(rc = path_of(path, sizeof path, root, uid, err)))
    rc = io_write_deformable_registration(path, &r, wo, err);
  rtdata_free_deformable_registration(&r);
  return rc;
}

static cJSON *export_path(const char *uid) {
  char p[128];
  snprintf(p, sizeof p, "export/%s.dcm", uid);
  return cJSON_CreateString(p);
}

/* The tidy case file with the export's paths. */
static int write_case(const rert_phantom_model *m, const untidy_course *uc,
                      char reg_uids[][RERT_UID_LEN], const char *root, rert_err *err) {
  cJSON *root_j = phantom_case_json(m);
  if (!root_j) return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory (case)");
  cJSON_ReplaceItemInObject(root_j, "comment",
                            cJSON_CreateString("rert synthetic head-and-neck re-irradiation patient "
                                               "(rert phantom --untidy): the hand-written case "
                                               "file of the untidy export in export/"));
  cJSON *courses = cJSON_GetObjectItem(root_j, "courses");
  int c = 0;
  for (cJSON *co = courses ? courses->child : NULL; co; co = co->next, c++) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "ct_dir", "export");
    cJSON_AddStringToObject(d, "ct_series_uid", uc[c].ct_series);
    cJSON_AddItemToObject(d, "rtstruct", export_path(uc[c].rtstruct));
    if (uc[c].ndoses == 1) {
      cJSON_AddItemToObject(d, "rtdose", export_path(uc[c].doses[0]));
    } else {
      cJSON *a = cJSON_AddArrayToObject(d, "rtdose");
      for (int i = 0; i < uc[c].ndoses; i++) cJSON_AddItemToArray(a, export_path(uc[c].doses[i]));
    }
    cJSON_AddItemToObject(d, "rtplan", export_path(uc[c].rtplan));
    cJSON_ReplaceItemInObject(co, "dicom", d);
  }
  cJSON *regs = cJSON_GetObjectItem(root_j, "registrations");
  int r = 0;
  for (cJSON *rg = regs ? regs->child : NULL; rg; rg = rg->next, r++) {
    cJSON_ReplaceItemInObject(rg, "dicom", export_path(reg_uids[r]));
    cJSON_DeleteItemFromObject(rg, "mha");
  }
  char *s = json_print_full(root_j, 1);
  cJSON_Delete(root_j);
  if (!s) return rert_err_set(err, RERT_EINTERNAL, "phantom: cannot format case file");
  size_t n = strlen(s);
  s[n] = '\n';
  char path[4200];
  snprintf(path, sizeof path, "%s/case.json", root);
  int rc = atomic_write_buffer(path, s, n + 1, err);
  free(s);
  if (!rc) {
    mode_t um = umask(0);
    umask(um);
    chmod(path, 0666 & ~um);
  }
  return rc;
}

static int write_log(const char *root, const rert_phantom_model *m, rert_err *err) {
  char path[4200], text[512];
  snprintf(path, sizeof path, "%s/export/export_log.txt", root);
  int n = snprintf(text, sizeof text,
                   "Synthetic export written by rert phantom --untidy (seed %llu, %d courses).\n"
                   "Not a patient. Every DICOM object is named by its SOP instance UID.\n",
                   m->seed, m->ncourses);
  int rc = atomic_write_buffer(path, text, (size_t)n, err);
  if (!rc) {
    mode_t um = umask(0);
    umask(um);
    chmod(path, 0666 & ~um);
  }
  return rc;
}

int phantom_untidy_fill(const rert_phantom_model *m, const char *root, const io_write_opts *wo,
                        rert_err *err) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/export", root);
  int rc = fileio_mkdirs(dir, err);
  untidy_course uc[PHANTOM_MAX_COURSES];
  memset(uc, 0, sizeof uc);
  char reg_uids[PHANTOM_MAX_COURSES][RERT_UID_LEN];
  for (int c = 0; c < m->ncourses && !rc; c++) rc = write_course(m, c, root, wo, &uc[c], err);
  for (int c = 0; c + 1 < m->ncourses && !rc; c++)
    rc = write_registration(m, c, m->ncourses - 1, root, wo, reg_uids[c], err);
  if (!rc) rc = write_log(root, m, err);
  if (!rc) rc = write_case(m, uc, reg_uids, root, err);
  return rc;
}
