/* gate.c — the DICOM gate (rert/gate.h): case-file checks, reading every listed object's header,
 * the object graph and its edges (patient, frames of reference, RTSTRUCT → CT, RTPLAN facts
 * against the case file, registrations against the frames they join), then the dose checks of
 * gate_dose.c. Each check adds a finding; refusals stop the command after all were collected.
 *
 * References: DICOM PS3.3 C.7.1.1 (Patient), C.7.4.1 (Frame of Reference), C.8.8.5 (Structure
 * Set: Referenced Frame of Reference / RT Referenced Series), C.8.8.13–C.8.8.16 (RT General Plan,
 * Prescription, Fraction Scheme: NumberOfFractionsPlanned, TargetPrescriptionDose, RadiationType),
 * C.20.2 (Spatial Registration: RegistrationSequence FrameOfReferenceUID), domain-reference §3.10
 * (doses are summed on the reference anatomy through a registration between the two frames).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate/gate_internal.h"
#include "rert/data.h"
#include "rert/dicomio.h"
#include "rert/structmap.h"

void gate_jpath(char *buf, size_t n, int course, const char *field) {
  if (course < 0) snprintf(buf, n, "$.%s", field);
  else snprintf(buf, n, "$.courses[%d].%s", course, field);
}

int gate_obj_add(gate_result *g, gate_obj_kind kind, int course, int reg, const char *path) {
  if (g->nobjects == g->capobjects) {
    int nc = g->capobjects ? 2 * g->capobjects : 32;
    gate_object *no = realloc(g->objects, (size_t)nc * sizeof *no);
    if (!no) return -1;
    g->objects = no, g->capobjects = nc;
  }
  gate_object *x = &g->objects[g->nobjects];
  memset(x, 0, sizeof *x);
  x->kind = kind, x->course = course, x->reg = reg;
  snprintf(x->path, sizeof x->path, "%s", path);
  return g->nobjects++;
}

void gate_free(gate_result *g) {
  if (!g) return;
  gate_findings_free(&g->findings);
  free(g->objects);
  for (int c = 0; c < RERT_CASE_MAX_COURSES; c++) {
    gate_course *k = &g->courses[c];
    rtdata_free_rtdose(&k->total);
    for (int p = 0; p < GATE_MAX_PARTS; p++) volume_free(&k->parts[p].dose);
  }
  memset(g, 0, sizeof *g);
}

int gate_plausibility_load(gate_plausibility *p, rert_err *err) {
  memset(p, 0, sizeof *p);
  cJSON *r = NULL;
  if (data_load_json("dose_plausibility.json", &r, err)) return RERT_EINPUT;
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "max_over_prescription_high");
  const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "max_over_prescription_low");
  const char *src = NULL;
  int rc = json_get_number(h, "value", &p->max_over_rx_high, "dose_plausibility.json: max_over_prescription_high", err);
  if (!rc) rc = json_get_number(l, "value", &p->max_over_rx_low, "dose_plausibility.json: max_over_prescription_low", err);
  if (!rc) rc = json_get_string(r, "source", &src, "dose_plausibility.json", err);
  if (!rc && !(p->max_over_rx_high > 1 && p->max_over_rx_low > 0 && p->max_over_rx_low < 1))
    rc = rert_err_set(err, RERT_EINPUT, "dose_plausibility.json: need 0 < low < 1 < high");
  if (!rc) snprintf(p->source, sizeof p->source, "%s", src);
  cJSON_Delete(r);
  return rc;
}

/* ---- case file ---------------------------------------------------------------------------- */

static int path_is_listed(const rert_case *cs, const char *path) {
  for (int c = 0; c < cs->ncourses; c++) {
    const case_course *k = &cs->courses[c];
    if (!strcmp(k->ct_dir, path) || !strcmp(k->rtstruct, path)) return 1;
    for (int i = 0; i < k->nrtdose; i++) if (!strcmp(k->rtdoses[i], path)) return 1;
    for (int i = 0; i < k->nrtplan; i++) if (!strcmp(k->rtplans[i], path)) return 1;
  }
  for (int r = 0; r < cs->nregistrations; r++)
    if (!strcmp(cs->registrations[r].dicom, path) || !strcmp(cs->registrations[r].mha, path)) return 1;
  return 0;
}

static void check_overrides(gate_work *w) {
  const rert_case *cs = w->cs;
  gate_findings *f = &w->g->findings;
  for (int i = 0; i < cs->noverrides; i++) {
    const case_override *o = &cs->override[i];
    if (o->kind != OVERRIDE_INTERLOCK) continue; /* structure overrides: accumulate applies them */
    const gate_interlock *gi = gate_interlock_find(o->interlock);
    char p[64];
    snprintf(p, sizeof p, "%s.interlock", o->json_path);
    if (!gi) {
      char list[900] = "";
      for (const gate_interlock *x = gate_interlocks; x->id; x++) {
        if (strlen(list) + strlen(x->id) + 3 >= sizeof list) break;
        if (list[0]) strcat(list, ", ");
        strcat(list, x->id);
      }
      gate_add(f, GATE_REFUSAL, "case.override", NULL, cs->path, p,
               "unknown interlock '%s' (known: %s; docs/io.md)", o->interlock, list);
      continue;
    }
    if (o->course[0] && !casefile_course(cs, o->course)) {
      snprintf(p, sizeof p, "%s.course", o->json_path);
      gate_add(f, GATE_REFUSAL, "case.override", NULL, cs->path, p, "'%s' is not the id of a course",
               o->course);
      continue;
    }
    if (o->object[0] && !path_is_listed(cs, o->object)) {
      snprintf(p, sizeof p, "%s.object", o->json_path);
      gate_add(f, GATE_REFUSAL, "case.override", NULL, cs->path, p,
               "'%s' is not an object listed in the case file", o->object);
      continue;
    }
  }
}

/* The same file listed twice (for two courses, or twice in one course as different roles) is
 * one dose counted twice or one plan's dose given to another course. */
static void check_shared_paths(gate_work *w) {
  const rert_case *cs = w->cs;
  gate_findings *f = &w->g->findings;
  /* a CT is its folder and, in a flat export, its series (ct_series_uid): two courses' CTs may
   * share the export folder */
  typedef struct { const char *path, *series; int course; const char *role; int dose_like; } ent;
  int cap = 0;
  for (int c = 0; c < cs->ncourses; c++) cap += 2 + cs->courses[c].nrtdose + cs->courses[c].nrtplan;
  ent *e = calloc((size_t)(cap ? cap : 1), sizeof *e);
  if (!e) return;
  int n = 0;
  for (int c = 0; c < cs->ncourses; c++) {
    const case_course *k = &cs->courses[c];
    if (k->ct_dir[0]) e[n++] = (ent){k->ct_dir, k->ct_series_uid, c, "ct_dir", 0};
    if (k->rtstruct[0]) e[n++] = (ent){k->rtstruct, "", c, "rtstruct", 0};
    for (int i = 0; i < k->nrtdose; i++) e[n++] = (ent){k->rtdoses[i], "", c, "rtdose", 1};
    for (int i = 0; i < k->nrtplan; i++) e[n++] = (ent){k->rtplans[i], "", c, "rtplan", 1};
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) {
      if (strcmp(e[i].path, e[j].path) || strcmp(e[i].series, e[j].series)) continue;
      char p[128];
      snprintf(p, sizeof p, "$.courses[%d].dicom.%s", e[i].course, e[i].role);
      if (e[i].dose_like || e[j].dose_like || e[i].course == e[j].course) {
        gate_add(f, GATE_REFUSAL, "case.shared_object", cs->courses[e[i].course].id, e[i].path, p,
                 "also listed as %s of course '%s': one %s cannot belong to two courses or two roles "
                 "(its dose would be counted twice)", e[j].role, cs->courses[e[j].course].id,
                 e[i].role);
      } else {
        gate_add_interlock(f, cs, "shared_object", "case.shared_object", cs->courses[e[i].course].id,
                           e[i].path, p, "also listed as %s of course '%s'", e[j].role,
                           cs->courses[e[j].course].id);
      }
      break;
    }
  free(e);
}

static void check_case(gate_work *w) {
  const rert_case *cs = w->cs;
  gate_findings *f = &w->g->findings;
  check_overrides(w);
  check_shared_paths(w);
  for (int c = 0; c < cs->ncourses; c++) {
    const case_course *k = &cs->courses[c];
    char p[96];
    /* particle dose is summed only as RBE-weighted dose (domain-reference §4) */
    if ((k->modality == MOD_PROTON || k->modality == MOD_CARBON || k->modality == MOD_OTHER_ION) &&
        k->rbe == RBE_PHYSICAL) {
      gate_jpath(p, sizeof p, c, "rbe_model");
      gate_add_interlock(f, cs, "physical_particle_dose", "case.rbe_model", k->id, cs->path, p,
                         "a %s course with rbe_model PHYSICAL: physical particle dose is never summed "
                         "with photon dose; state RBE_FIXED (protons) with an RBE-weighted RTDOSE",
                         rbe_modality_name(k->modality));
    }
  }
  gate_add(f, GATE_OK, "case.file", NULL, cs->path, "$", "%d course(s), %d registration(s), %d "
           "override(s); keys unique, dates of prior courses not in the future", cs->ncourses,
           cs->nregistrations, cs->noverrides);
}

/* ---- reading headers ---------------------------------------------------------------------- */

static void refuse_read(gate_work *w, const char *check, int course, const char *path,
                        const rert_err *e) {
  const char *id = course >= 0 ? w->cs->courses[course].id : NULL;
  /* reader messages already start with the file name: keep them whole */
  gate_add(&w->g->findings, GATE_REFUSAL, check, id, path, "", "%s", e->msg);
}

static void read_ct(gate_work *w, int c) {
  const case_course *k = &w->cs->courses[c];
  gate_work_course *wc = &w->wc[c];
  int oi = gate_obj_add(w->g, GATE_OBJ_CT, c, -1, k->ct_dir);
  if (oi < 0) return;
  wc->ct_obj = oi;
  io_index ix;
  rert_err e;
  if (io_scan_dir(k->ct_dir, &ix, &e)) {
    refuse_read(w, "ct.read", c, k->ct_dir, &e);
    return;
  }
  /* ct_series_uid names the planning CT in a folder holding other images too (a flat export):
   * only that series counts; it must be there */
  int nimg = 0, first = -1, nseries = 0;
  for (int i = 0; i < ix.nobjects; i++)
    if (ix.objects[i].kind == IO_KIND_IMAGE) {
      nseries++;
      if (k->ct_series_uid[0] && strcmp(ix.objects[i].ident.series_instance_uid, k->ct_series_uid))
        continue;
      if (first < 0) first = i;
      nimg++;
    }
  char p[96];
  gate_jpath(p, sizeof p, c, "dicom.ct_dir");
  if (k->ct_series_uid[0] && nimg == 0) {
    gate_jpath(p, sizeof p, c, "dicom.ct_series_uid");
    gate_add(&w->g->findings, GATE_REFUSAL, "ct.read", k->id, k->ct_dir, p,
             "no image series with SeriesInstanceUID (0020,000E) %s in this directory (%d other "
             "series)", k->ct_series_uid, nseries);
  } else if (nimg == 0) {
    gate_add(&w->g->findings, GATE_REFUSAL, "ct.read", k->id, k->ct_dir, p,
             "no CT/MR image series in this directory%s%s", ix.nproblems ? ": " : "",
             ix.nproblems ? ix.problems[0] : "");
  } else {
    gate_object *x = &w->g->objects[oi];
    x->readable = 1;
    x->ident = ix.objects[first].ident;
    snprintf(x->ident.path, sizeof x->ident.path, "%s", ix.objects[first].files[0]);
    snprintf(x->summary, sizeof x->summary, "%s series, %d image(s) %dx%d", x->ident.modality,
             ix.objects[first].nfiles, ix.objects[first].cols, ix.objects[first].rows);
    if (nimg > 1)
      gate_add(&w->g->findings, GATE_REFUSAL, "ct.series", k->id, k->ct_dir, p,
               "%d image series in one ct_dir (SeriesInstanceUID (0020,000E) %s and %s): which one "
               "the course was planned on is ambiguous; give a directory with one series", nimg,
               ix.objects[first].ident.series_instance_uid,
               ix.objects[first + 1].ident.series_instance_uid);
    else if (ix.nproblems)
      gate_add(&w->g->findings, GATE_REFUSAL, "ct.read", k->id, k->ct_dir, p, "%s", ix.problems[0]);
    /* every slice of the series: one patient, one frame (a foreign slice would be stacked into
     * the volume and its patient never compared) */
    const io_object *ob = &ix.objects[first];
    for (int f = 1; f < ob->nfiles; f++) {
      rert_dicom_ident si;
      rert_err e2;
      if (io_read_ident(ob->files[f], &si, &e2)) {
        gate_add(&w->g->findings, GATE_REFUSAL, "ct.read", k->id, ob->files[f], "", "%s", e2.msg);
        break;
      }
      if (strcmp(si.patient_id, x->ident.patient_id)) {
        gate_add_interlock(&w->g->findings, w->cs, "same_patient", "patient.same", k->id, ob->files[f],
                           "PatientID (0010,0020)", "slice of '%s' in a series of '%s' (%s)",
                           si.patient_id, x->ident.patient_id, k->ct_dir);
        break;
      }
      if (strcmp(si.frame_of_reference_uid, x->ident.frame_of_reference_uid)) {
        gate_add(&w->g->findings, GATE_REFUSAL, "course.frame", k->id, ob->files[f],
                 "FrameOfReferenceUID (0020,0052)", "slice in frame %s, the rest of the series in %s",
                 si.frame_of_reference_uid, x->ident.frame_of_reference_uid);
        break;
      }
    }
  }
  io_index_free(&ix);
}

static void read_rtstruct(gate_work *w, int c) {
  const case_course *k = &w->cs->courses[c];
  int oi = gate_obj_add(w->g, GATE_OBJ_RTSTRUCT, c, -1, k->rtstruct);
  if (oi < 0) return;
  w->wc[c].ss_obj = oi;
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  rert_err e;
  if (io_read_rtstruct(k->rtstruct, &ss, &e)) {
    refuse_read(w, "rtstruct.read", c, k->rtstruct, &e);
    return;
  }
  gate_object *x = &w->g->objects[oi];
  x->readable = 1;
  x->ident = ss.ident;
  snprintf(x->ref_series_uid, sizeof x->ref_series_uid, "%s", ss.referenced_series_uid);
  snprintf(x->summary, sizeof x->summary, "%d ROI(s), label '%s'", ss.nrois, ss.label);
  /* where the contours are: the course's dose grid must overlap them (gate_dose.c) */
  gate_work_course *wc = &w->wc[c];
  for (int r = 0; r < ss.nrois; r++)
    for (int k2 = 0; k2 < ss.rois[r].ncontours; k2++)
      for (int q = 0; q < ss.rois[r].contours[k2].npoints; q++) {
        const double *pt = ss.rois[r].contours[k2].xyz_mm + 3 * q;
        for (int a = 0; a < 3; a++) {
          if (!wc->has_roi_box || pt[a] < wc->roi_lo[a]) wc->roi_lo[a] = pt[a];
          if (!wc->has_roi_box || pt[a] > wc->roi_hi[a]) wc->roi_hi[a] = pt[a];
        }
        wc->has_roi_box = 1;
      }
  /* the reference structure set is the one every constraint is evaluated on: its mapping (the
   * name each ROI is used as and by which rule, unmapped organ-like names, duplicates refused)
   * is part of the gate's findings (rert/structmap.h, docs/structures.md) */
  if (&w->cs->courses[c] == casefile_reference(w->cs))
    structmap_gate_findings(&ss, k->rtstruct, w->cs, k->id, &w->g->findings, NULL);
  /* every ROI must be contoured in the structure set's frame */
  for (int r = 0; r < ss.nrois; r++) {
    const rert_roi *roi = &ss.rois[r];
    if (roi->frame_of_reference_uid[0] && ss.ident.frame_of_reference_uid[0] &&
        strcmp(roi->frame_of_reference_uid, ss.ident.frame_of_reference_uid)) {
      gate_add_interlock(&w->g->findings, w->cs, "frame_of_reference", "rtstruct.frame", k->id,
                         k->rtstruct, "ReferencedFrameOfReferenceUID (3006,0024)",
                         "ROI %d '%s' is in frame %s, the structure set in %s", roi->number,
                         roi->name, roi->frame_of_reference_uid, ss.ident.frame_of_reference_uid);
      break;
    }
  }
  rtdata_free_structure_set(&ss);
}

static void read_plans(gate_work *w, int c) {
  const case_course *k = &w->cs->courses[c];
  gate_work_course *wc = &w->wc[c];
  for (int i = 0; i < k->nrtplan; i++) {
    int oi = gate_obj_add(w->g, GATE_OBJ_RTPLAN, c, -1, k->rtplans[i]);
    if (oi < 0) return;
    wc->plan_obj[i] = oi;
    wc->nplans = i + 1;
    rert_err e;
    if (io_read_rtplan(k->rtplans[i], &wc->plans[i], &e)) {
      refuse_read(w, "rtplan.read", c, k->rtplans[i], &e);
      continue;
    }
    wc->plan_read[i] = 1;
    const rert_rtplan *pl = &wc->plans[i];
    gate_object *x = &w->g->objects[oi];
    x->readable = 1;
    x->ident = pl->ident;
    snprintf(x->ref_struct_uid, sizeof x->ref_struct_uid, "%s", pl->referenced_structure_set_uid);
    size_t L = (size_t)snprintf(x->summary, sizeof x->summary, "'%s' %s, %d fraction group(s):",
                                pl->label, rbe_modality_name(pl->modality), pl->nfraction_groups);
    for (int gi = 0; gi < pl->nfraction_groups && L < sizeof x->summary; gi++)
      L += (size_t)snprintf(x->summary + L, sizeof x->summary - L, " #%d %d fx",
                            pl->fraction_groups[gi].number, pl->fraction_groups[gi].fractions_planned);
  }
}

static void read_dose_headers(gate_work *w, int c) {
  const case_course *k = &w->cs->courses[c];
  gate_work_course *wc = &w->wc[c];
  for (int i = 0; i < k->nrtdose; i++) {
    int oi = gate_obj_add(w->g, GATE_OBJ_RTDOSE, c, -1, k->rtdoses[i]);
    if (oi < 0) return;
    wc->dose_obj[i] = oi;
    wc->ndoses = i + 1;
    if (w->o->level == GATE_LEVEL_FULL) continue; /* gate_dose.c reads the whole object */
    rert_err e;
    gate_object *x = &w->g->objects[oi];
    if (io_read_ident(k->rtdoses[i], &x->ident, &e)) {
      refuse_read(w, "rtdose.read", c, k->rtdoses[i], &e);
      continue;
    }
    x->readable = 1;
    if (strcmp(x->ident.modality, "RTDOSE"))
      gate_add(&w->g->findings, GATE_REFUSAL, "rtdose.read", k->id, k->rtdoses[i],
               "Modality (0008,0060)", "'%s' is not RTDOSE", x->ident.modality);
  }
}

static void read_registrations(gate_work *w) {
  const rert_case *cs = w->cs;
  for (int r = 0; r < cs->nregistrations; r++) {
    const case_registration *g = &cs->registrations[r];
    if (!g->dicom[0]) continue;
    int oi = gate_obj_add(w->g, GATE_OBJ_REG, -1, r, g->dicom);
    if (oi < 0) return;
    gate_object *x = &w->g->objects[oi];
    rert_err e;
    if (io_read_ident(g->dicom, &x->ident, &e)) {
      refuse_read(w, "registration.read", -1, g->dicom, &e);
      continue;
    }
    if (!strcmp(x->ident.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.3")) {
      rert_deformable_registration dr;
      memset(&dr, 0, sizeof dr);
      if (io_read_deformable_registration(g->dicom, &dr, &e)) {
        refuse_read(w, "registration.read", -1, g->dicom, &e);
        continue;
      }
      snprintf(x->reg_fixed_for, sizeof x->reg_fixed_for, "%s", dr.fixed_frame_uid);
      snprintf(x->reg_moving_for, sizeof x->reg_moving_for, "%s", dr.moving_frame_uid);
      snprintf(x->summary, sizeof x->summary, "deformable, grid %dx%dx%d", dr.field.nx, dr.field.ny,
               dr.field.nz);
      rtdata_free_deformable_registration(&dr);
      if (g->type != REG_DEFORMABLE) {
        char p[64];
        snprintf(p, sizeof p, "$.registrations[%d].type", r);
        gate_add(&w->g->findings, GATE_REFUSAL, "registration.type", NULL, g->dicom, p,
                 "the case file says rigid but the file is a Deformable Spatial Registration");
      }
    } else if (!strcmp(x->ident.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.1")) {
      rert_rigid_registration rr;
      memset(&rr, 0, sizeof rr);
      if (io_read_spatial_registration(g->dicom, &rr, &e)) {
        refuse_read(w, "registration.read", -1, g->dicom, &e);
        continue;
      }
      snprintf(x->reg_fixed_for, sizeof x->reg_fixed_for, "%s", rr.fixed_frame_uid);
      snprintf(x->reg_moving_for, sizeof x->reg_moving_for, "%s", rr.moving_frame_uid);
      snprintf(x->summary, sizeof x->summary, "rigid");
      if (g->type != REG_RIGID) {
        char p[64];
        snprintf(p, sizeof p, "$.registrations[%d].type", r);
        gate_add(&w->g->findings, GATE_REFUSAL, "registration.type", NULL, g->dicom, p,
                 "the case file says deformable but the file is a rigid Spatial Registration");
      }
    } else {
      gate_add(&w->g->findings, GATE_REFUSAL, "registration.read", NULL, g->dicom,
               "SOPClassUID (0008,0016)",
               "%s is not a Spatial Registration (…66.1) or Deformable Spatial Registration (…66.3)",
               x->ident.sop_class_uid);
      continue;
    }
    x->readable = 1;
  }
}

/* ---- identity and links ------------------------------------------------------------------ */

static const char *kind_name(gate_obj_kind k) {
  static const char *n[] = {"CT", "RTSTRUCT", "RTPLAN", "RTDOSE", "REG"};
  return n[k];
}

static int same_name(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  while (la && (a[la - 1] == '^' || a[la - 1] == ' ')) la--;
  while (lb && (b[lb - 1] == '^' || b[lb - 1] == ' ')) lb--;
  return la == lb && strncasecmp(a, b, la) == 0;
}

static void add_uid(char (*list)[RERT_UID_LEN], int *n, int max, const char *uid) {
  if (!uid[0]) return;
  for (int i = 0; i < *n; i++)
    if (!strcmp(list[i], uid)) return;
  if (*n < max) snprintf(list[(*n)++], RERT_UID_LEN, "%s", uid);
}

static void check_patient(gate_work *w) {
  gate_result *g = w->g;
  const rert_case *cs = w->cs;
  const gate_object *first = NULL;
  int nread = 0, bad = 0;
  char bd[9] = "";
  if (cs->has_birth_date)
    snprintf(bd, sizeof bd, "%04d%02d%02d", cs->birth_date.year, cs->birth_date.month, cs->birth_date.day);
  for (int i = 0; i < g->nobjects; i++) {
    const gate_object *x = &g->objects[i];
    if (!x->readable) continue;
    nread++;
    const char *course = x->course >= 0 ? cs->courses[x->course].id : NULL;
    /* the case file says who the patient is: every object must carry that PatientID */
    if (strcmp(x->ident.patient_id, cs->patient_id)) {
      bad++;
      gate_add_interlock(&g->findings, cs, "same_patient", "patient.id", course, x->path,
                         "PatientID (0010,0020)", "'%s' but the case file's $.patient.id is '%s'",
                         x->ident.patient_id, cs->patient_id);
      continue;
    }
    if (bd[0] && x->ident.patient_birth_date[0] && strcmp(bd, x->ident.patient_birth_date)) {
      bad++;
      gate_add_interlock(&g->findings, cs, "same_patient", "patient.birth_date", course, x->path,
                         "PatientBirthDate (0010,0030)",
                         "'%s' but the case file's $.patient.birth_date is %.4s-%.2s-%.2s",
                         x->ident.patient_birth_date, bd, bd + 4, bd + 6);
      continue;
    }
    if (!first) {
      first = x;
      continue;
    }
    /* objects against each other: io_check_same_patient's rules (names case-insensitive,
     * trailing '^' ignored, empty name/birth date not compared) */
    const rert_dicom_ident *pair[2] = {&first->ident, &x->ident};
    rert_err e;
    if (io_check_same_patient(pair, 2, 0, &e)) {
      bad++;
      const char *where = strstr(e.msg, "PatientName") ? "PatientName (0010,0010)"
                          : strstr(e.msg, "PatientBirthDate") ? "PatientBirthDate (0010,0030)"
                                                               : "PatientID (0010,0020)";
      gate_add_interlock(&g->findings, cs, "same_patient", "patient.same", course, x->path, where,
                         "%s", e.msg);
    }
  }
  if (first) {
    snprintf(g->patient_id, sizeof g->patient_id, "%s", first->ident.patient_id);
    snprintf(g->patient_name, sizeof g->patient_name, "%s", first->ident.patient_name);
    if (cs->patient_name[0] && first->ident.patient_name[0] &&
        !same_name(cs->patient_name, first->ident.patient_name))
      gate_add(&g->findings, GATE_WARNING, "patient.name", NULL, first->path,
               "PatientName (0010,0010)", "'%s' differs from the case file's $.patient.name '%s' "
               "(names are not compared strictly: formats differ between systems)",
               first->ident.patient_name, cs->patient_name);
  }
  if (nread && !bad)
    gate_add(&g->findings, GATE_OK, "patient.same", NULL, cs->path, "$.patient.id",
             "all %d object(s) read carry PatientID '%s'%s", nread, cs->patient_id,
             bd[0] ? " and the case's birth date" : "");
}

/* Same SOP instance in two places: a copied file listed twice (one dose counted twice). */
static void check_sop_unique(gate_work *w) {
  gate_result *g = w->g;
  for (int i = 0; i < g->nobjects; i++) {
    const gate_object *a = &g->objects[i];
    if (!a->readable || a->kind == GATE_OBJ_CT || !a->ident.sop_instance_uid[0]) continue;
    for (int j = 0; j < i; j++) {
      const gate_object *b = &g->objects[j];
      if (!b->readable || b->kind == GATE_OBJ_CT || strcmp(a->ident.sop_instance_uid, b->ident.sop_instance_uid))
        continue;
      if (!strcmp(a->path, b->path)) continue; /* same path: check_shared_paths said it */
      const char *course = a->course >= 0 ? w->cs->courses[a->course].id : NULL;
      const char *bc = b->course >= 0 ? w->cs->courses[b->course].id : "(registration)";
      if (a->kind == GATE_OBJ_RTDOSE || a->kind == GATE_OBJ_RTPLAN || a->kind != b->kind ||
          a->course == b->course)
        gate_add(&g->findings, GATE_REFUSAL, "case.shared_object", course, a->path,
                 "SOPInstanceUID (0008,0018)",
                 "%s is the same object as %s of course '%s' (%s): one object cannot belong to two "
                 "courses or be listed twice", a->ident.sop_instance_uid, b->path, bc,
                 kind_name(b->kind));
      else
        gate_add_interlock(&g->findings, w->cs, "shared_object", "case.shared_object", course,
                           a->path, "SOPInstanceUID (0008,0018)", "the same %s as %s of course '%s'",
                           kind_name(a->kind), b->path, bc);
      break;
    }
  }
  /* one CT series for two courses */
  for (int i = 0; i < g->nobjects; i++) {
    const gate_object *a = &g->objects[i];
    if (!a->readable || a->kind != GATE_OBJ_CT) continue;
    for (int j = 0; j < i; j++) {
      const gate_object *b = &g->objects[j];
      if (!b->readable || b->kind != GATE_OBJ_CT || strcmp(a->path, b->path) == 0 ||
          strcmp(a->ident.series_instance_uid, b->ident.series_instance_uid))
        continue;
      gate_add_interlock(&g->findings, w->cs, "shared_object", "case.shared_object",
                         w->cs->courses[a->course].id, a->path, "SeriesInstanceUID (0020,000E)",
                         "the same CT series as %s of course '%s'", b->path,
                         w->cs->courses[b->course].id);
      break;
    }
  }
}

/* The course's frame: its CT's, else its RTSTRUCT's, else its first RTDOSE's. Every other
 * object of the course must be in it (PS3.3 C.7.4.1: one FrameOfReferenceUID, one coordinate
 * system; an RTSTRUCT or RTDOSE in another frame is positioned in other coordinates). */
static void check_course_frames(gate_work *w, int c) {
  gate_result *g = w->g;
  gate_work_course *wc = &w->wc[c];
  const case_course *k = &w->cs->courses[c];
  const gate_object *base = NULL;
  for (int i = 0; i < g->nobjects && !base; i++) {
    const gate_object *x = &g->objects[i];
    if (x->course == c && x->readable && x->kind == GATE_OBJ_CT && x->ident.frame_of_reference_uid[0]) base = x;
  }
  for (int i = 0; i < g->nobjects && !base; i++) {
    const gate_object *x = &g->objects[i];
    if (x->course == c && x->readable && x->kind == GATE_OBJ_RTSTRUCT && x->ident.frame_of_reference_uid[0]) base = x;
  }
  for (int i = 0; i < g->nobjects && !base; i++) {
    const gate_object *x = &g->objects[i];
    if (x->course == c && x->readable && x->kind == GATE_OBJ_RTDOSE && x->ident.frame_of_reference_uid[0]) base = x;
  }
  if (!base) return;
  snprintf(wc->frame, sizeof wc->frame, "%s", base->ident.frame_of_reference_uid);
  wc->frame_from = base->path;
  add_uid(g->fors, &g->nfor, (int)(sizeof g->fors / sizeof g->fors[0]), wc->frame);
  int bad = 0;
  for (int i = 0; i < g->nobjects; i++) {
    const gate_object *x = &g->objects[i];
    if (x->course != c || !x->readable || x == base) continue;
    add_uid(g->studies, &g->nstudies, (int)(sizeof g->studies / sizeof g->studies[0]),
            x->ident.study_instance_uid);
    const char *fr = x->ident.frame_of_reference_uid;
    if (!fr[0]) {
      /* RTPLAN: FrameOfReferenceUID is optional (Frame of Reference module is U for RT Plan) */
      if (x->kind == GATE_OBJ_RTPLAN) continue;
      bad++;
      gate_add(&g->findings, GATE_REFUSAL, "course.frame", k->id, x->path,
               "FrameOfReferenceUID (0020,0052)", "missing: the %s cannot be placed in the "
               "course's coordinates", kind_name(x->kind));
      continue;
    }
    if (strcmp(fr, wc->frame)) {
      bad++;
      gate_add_interlock(&g->findings, w->cs, "frame_of_reference", "course.frame", k->id, x->path,
                         "FrameOfReferenceUID (0020,0052)",
                         "%s is in frame %s but the course's %s (%s) is in %s", kind_name(x->kind),
                         fr, kind_name(base->kind), base->path, wc->frame);
    }
  }
  add_uid(g->studies, &g->nstudies, (int)(sizeof g->studies / sizeof g->studies[0]),
          base->ident.study_instance_uid);
  if (!bad)
    gate_add(&g->findings, GATE_OK, "course.frame", k->id, base->path,
             "FrameOfReferenceUID (0020,0052)", "every object of the course is in frame %s", wc->frame);
  /* RTSTRUCT → CT series; RTPLAN → RTSTRUCT */
  if (wc->ss_obj >= 0 && wc->ct_obj >= 0) {
    const gate_object *ss = &g->objects[wc->ss_obj], *ct = &g->objects[wc->ct_obj];
    if (ss->readable && ct->readable && ss->ref_series_uid[0] &&
        strcmp(ss->ref_series_uid, ct->ident.series_instance_uid))
      gate_add(&g->findings, GATE_WARNING, "rtstruct.series", k->id, ss->path,
               "RTReferencedSeriesSequence (3006,0014)",
               "the contours were drawn on series %s, the course's ct_dir holds series %s (same "
               "frame of reference: the coordinates agree)", ss->ref_series_uid,
               ct->ident.series_instance_uid);
    else if (ss->readable && ct->readable)
      gate_add(&g->findings, GATE_OK, "rtstruct.series", k->id, ss->path,
               "RTReferencedSeriesSequence (3006,0014)", "references the course's CT series");
  }
  for (int p = 0; p < wc->nplans; p++) {
    const gate_object *pl = &g->objects[wc->plan_obj[p]];
    if (!pl->readable || wc->ss_obj < 0 || !g->objects[wc->ss_obj].readable || !pl->ref_struct_uid[0])
      continue;
    if (strcmp(pl->ref_struct_uid, g->objects[wc->ss_obj].ident.sop_instance_uid))
      gate_add(&g->findings, GATE_WARNING, "rtplan.structure_set", k->id, pl->path,
               "ReferencedStructureSetSequence (300C,0060)",
               "the plan was made on structure set %s, the course lists %s (a later contour set?)",
               pl->ref_struct_uid, g->objects[wc->ss_obj].ident.sop_instance_uid);
  }
}

/* RTPLAN facts against the case file: total fractions, radiation type, prescription. */
static int near(double a, double b) { return fabs(a - b) <= 0.005 * fmax(fabs(a), fabs(b)) + 0.01; }

static void check_plans(gate_work *w, int c) {
  gate_work_course *wc = &w->wc[c];
  const case_course *k = &w->cs->courses[c];
  gate_course *gc = &w->g->courses[c];
  gate_findings *f = &w->g->findings;
  gc->plan_modality = k->modality;
  gc->plan_prescription_gy = NAN;
  int nread = 0, fx = 0, fx_known = 1;
  double rx_sum_max = 0, rx_sum_all = 0;
  int rx_known = 0;
  const char *pfile = NULL;
  for (int p = 0; p < wc->nplans; p++) {
    if (!wc->plan_read[p]) continue;
    const rert_rtplan *pl = &wc->plans[p];
    if (!pfile) pfile = k->rtplans[p];
    nread++;
    if (gc->nplans < RERT_CASE_MAX_PLANS)
      snprintf(gc->plan_uids[gc->nplans++], RERT_UID_LEN, "%s", pl->ident.sop_instance_uid);
    if (pl->nfraction_groups == 0) {
      fx_known = 0;
      gate_add(f, GATE_WARNING, "plan.fractions", k->id, k->rtplans[p], "FractionGroupSequence (300A,0070)",
               "the plan has no fraction group: fractions are taken from the case file");
    }
    for (int gi = 0; gi < pl->nfraction_groups; gi++) {
      if (pl->fraction_groups[gi].fractions_planned <= 0) fx_known = 0;
      fx += pl->fraction_groups[gi].fractions_planned;
    }
    /* radiation type */
    rert_modality m = pl->modality;
    if (pl->nbeam_defs > 0 && m != k->modality &&
        !(m == MOD_ELECTRON && k->modality == MOD_PHOTON) && !(m == MOD_PHOTON && k->modality == MOD_ELECTRON)) {
      gate_add_interlock(f, w->cs, "modality_mismatch", "plan.radiation_type", k->id, k->rtplans[p],
                         "RadiationType (300A,00C6)",
                         "the plan's beams are %s but the case file's $.courses[%d].modality is %s",
                         rbe_modality_name(m), c, rbe_modality_name(k->modality));
    } else if (pl->nbeam_defs > 0) {
      gate_add(f, GATE_OK, "plan.radiation_type", k->id, k->rtplans[p], "RadiationType (300A,00C6)",
               "%s, as the case file says", rbe_modality_name(m));
    }
    if (p == 0) gc->plan_modality = m;
    /* prescription: largest TargetPrescriptionDose of the plan, or the sum of all of them */
    double mx = NAN, sum = 0;
    for (int r = 0; r < pl->nprescriptions; r++) {
      double v = pl->prescriptions[r].target_dose_gy;
      if (!(v > 0)) continue;
      sum += v;
      if (!(v <= mx)) mx = v;
    }
    for (int gi = 0; gi < pl->nfraction_groups && isnan(mx); gi++) {
      double v = pl->fraction_groups[gi].prescription_gy;
      if (v > 0) sum += v;
    }
    if (isnan(mx) && sum > 0) mx = sum;
    if (!isnan(mx)) {
      rx_known++;
      rx_sum_max += mx;
      rx_sum_all += sum;
    }
  }
  if (!nread) return;
  char p[96];
  /* fractions: Σ over the course's plans and groups (sequential groups and plans) */
  if (fx_known && fx > 0) {
    gate_jpath(p, sizeof p, c, "fractions");
    if (fx != k->fractions)
      gate_add_interlock(f, w->cs, "fractions_mismatch", "plan.fractions", k->id, pfile,
                         "NumberOfFractionsPlanned (300A,0078)",
                         "the plan%s give%s %d fraction(s) but $.courses[%d].fractions is %d",
                         nread > 1 ? "s" : "", nread > 1 ? "" : "s", fx, c, k->fractions);
    else
      gate_add(f, GATE_OK, "plan.fractions", k->id, pfile, "NumberOfFractionsPlanned (300A,0078)",
               "%d fraction(s), as the case file says", fx);
  } else if (!fx_known) {
    gate_add(f, GATE_WARNING, "plan.fractions", k->id, pfile, "NumberOfFractionsPlanned (300A,0078)",
             "empty or zero in a fraction group: the case file's %d fraction(s) are used", k->fractions);
  }
  if (rx_known == nread) {
    gc->plan_prescription_gy = rx_sum_max;
    /* accept the case value if it is the largest prescription or the sum of all stated ones;
     * sequential plans of one course add */
    int ok = near(k->prescription_gy, rx_sum_max) || near(k->prescription_gy, rx_sum_all);
    for (int q = 0; q < wc->nplans && !ok && nread == 1; q++)
      for (int r = 0; wc->plan_read[q] && r < wc->plans[q].nprescriptions; r++)
        ok |= near(k->prescription_gy, wc->plans[q].prescriptions[r].target_dose_gy);
    if (!ok)
      gate_add_interlock(f, w->cs, "prescription_mismatch", "plan.prescription", k->id, pfile,
                         "TargetPrescriptionDose (300A,0026)",
                         "the plan%s prescribe%s %.4g Gy but $.courses[%d].prescription_gy is %.4g Gy",
                         nread > 1 ? "s" : "", nread > 1 ? "" : "s", rx_sum_max, c, k->prescription_gy);
    else
      gate_add(f, GATE_OK, "plan.prescription", k->id, pfile, "TargetPrescriptionDose (300A,0026)",
               "%.4g Gy, as the case file says", k->prescription_gy);
  } else {
    gate_add(f, GATE_OK, "plan.prescription", k->id, pfile, "DoseReferenceSequence (300A,0010)",
             "the plan states no TargetPrescriptionDose: the case file's %.4g Gy is used",
             k->prescription_gy);
  }
}

static const case_registration *find_reg(const rert_case *cs, const char *from, const char *to,
                                          int *index) {
  for (int r = 0; r < cs->nregistrations; r++)
    if (!strcmp(cs->registrations[r].from, from) && !strcmp(cs->registrations[r].to, to)) {
      if (index) *index = r;
      return &cs->registrations[r];
    }
  return NULL;
}

/* A registration joins exactly the frames of its two courses (moving = from, fixed = to); a
 * course in another frame than the reference needs one to the reference. */
static void check_registrations(gate_work *w, int allow_computed) {
  const rert_case *cs = w->cs;
  gate_result *g = w->g;
  gate_findings *f = &g->findings;
  for (int i = 0; i < g->nobjects; i++) {
    const gate_object *x = &g->objects[i];
    if (x->kind != GATE_OBJ_REG || !x->readable) continue;
    const case_registration *r = &cs->registrations[x->reg];
    const case_course *from = casefile_course(cs, r->from), *to = casefile_course(cs, r->to);
    int fi = (int)(from - cs->courses), ti = (int)(to - cs->courses);
    const char *ff = w->wc[fi].frame, *tf = w->wc[ti].frame;
    if (!ff[0] || !tf[0]) continue;
    char p[64];
    snprintf(p, sizeof p, "$.registrations[%d]", x->reg);
    if (!strcmp(x->reg_moving_for, ff) && !strcmp(x->reg_fixed_for, tf)) {
      gate_add(f, GATE_OK, "registration.frames", NULL, x->path, "FrameOfReferenceUID (0020,0052)",
               "maps %s (%s) onto %s (%s)", r->from, ff, r->to, tf);
    } else if (!strcmp(x->reg_moving_for, tf) && !strcmp(x->reg_fixed_for, ff) && strcmp(ff, tf)) {
      gate_add(f, GATE_REFUSAL, "registration.frames", NULL, x->path,
               "FrameOfReferenceUID (0020,0052)",
               "the file maps %s onto %s, the opposite of %s (from '%s' to '%s'): a registration "
               "is not used backwards", tf, ff, p, r->from, r->to);
    } else {
      gate_add(f, GATE_REFUSAL, "registration.frames", NULL, x->path,
               "FrameOfReferenceUID (0020,0052)",
               "the file maps frame %s onto %s but %s joins course '%s' (frame %s) to '%s' (frame %s)",
               x->reg_moving_for[0] ? x->reg_moving_for : "(none)",
               x->reg_fixed_for[0] ? x->reg_fixed_for : "(none)", p, r->from, ff, r->to, tf);
    }
  }
  for (int r = 0; r < cs->nregistrations; r++) {
    const case_registration *rg = &cs->registrations[r];
    if (!rg->dicom[0] && rg->mha[0])
      gate_add(f, GATE_OK, "registration.frames", NULL, rg->mha, "",
               "a MetaImage vector field records no frames of reference: the case file's from/to "
               "('%s' to '%s') are trusted", rg->from, rg->to);
  }
  /* every course reaches the reference course */
  int ri = w->g->reference_course;
  if (ri < 0) return;
  const case_course *ref = &cs->courses[ri];
  for (int c = 0; c < cs->ncourses; c++) {
    if (c == ri) continue;
    const case_course *k = &cs->courses[c];
    const char *cf = w->wc[c].frame, *rf = w->wc[ri].frame;
    if (!cf[0] || !rf[0]) continue;
    int idx = -1;
    const case_registration *rg = find_reg(cs, k->id, ref->id, &idx);
    if (rg && rg->engine[0] && !rg->dicom[0] && !rg->mha[0]) {
      char p[64];
      snprintf(p, sizeof p, "$.registrations[%d].engine", idx);
      if (allow_computed && k->ct_dir[0] && ref->ct_dir[0])
        gate_add(f, GATE_OK, "course.registration", k->id, cs->path, p,
                 "the consult registers the CT of '%s' to '%s' with the %s engine, then checks it "
                 "(registration QA)", k->id, ref->id, rg->engine);
      else
        gate_add(f, GATE_REFUSAL, "course.registration", k->id, cs->path, p,
                 allow_computed ? "the registration from '%s' to '%s' is to be computed (engine %s) but "
                                  "both courses need a CT (ct_dir)"
                                : "the registration from '%s' to '%s' is to be computed (engine %s): only "
                                  "rert consult computes registrations; run rert register and give its "
                                  "field as 'mha'", k->id, ref->id, rg->engine);
      continue;
    }
    if (rg) continue;
    if (!strcmp(cf, rf)) {
      gate_add(f, GATE_OK, "course.registration", k->id, cs->path, "$.registrations",
               "same frame of reference as the reference course '%s': mapped by identity", ref->id);
      continue;
    }
    if (find_reg(cs, ref->id, k->id, NULL)) {
      gate_add(f, GATE_REFUSAL, "course.registration", k->id, cs->path, "$.registrations",
               "course '%s' (frame %s) needs a registration from '%s' to the reference course "
               "'%s' (frame %s); the case file has one in the other direction only", k->id, cf,
               k->id, ref->id, rf);
      continue;
    }
    if (allow_computed && k->ct_dir[0] && ref->ct_dir[0]) {
      gate_add(f, GATE_WARNING, "course.registration", k->id, cs->path, "$.registrations",
               "frames differ (%s, %s) and the case file gives no registration from '%s' to '%s': "
               "the consult registers the two CTs itself (rigid, then demons)", cf, rf, k->id, ref->id);
      continue;
    }
    gate_add_interlock(f, cs, "frame_of_reference", "course.registration", k->id, cs->path,
                       "$.registrations",
                       "course '%s' is in frame %s, the reference course '%s' in %s, and no "
                       "registration from '%s' to '%s' is given", k->id, cf, ref->id, rf, k->id, ref->id);
  }
}

/* Overrides of the gate's interlocks that matched no refusal: not applied, so say so. */
static void check_unused_overrides(gate_work *w) {
  const rert_case *cs = w->cs;
  for (int i = 0; i < cs->noverrides; i++) {
    const case_override *o = &cs->override[i];
    if (o->kind != OVERRIDE_INTERLOCK) continue;
    const gate_interlock *gi = gate_interlock_find(o->interlock);
    if (!gi || strcmp(gi->applied_by, "gate")) continue;
    int used = 0;
    for (int k = 0; k < w->g->findings.n && !used; k++)
      used = w->g->findings.items[k].severity == GATE_OVERRIDDEN &&
             !strcmp(w->g->findings.items[k].override_path, o->json_path);
    if (!used)
      gate_add(&w->g->findings, GATE_WARNING, "case.override", NULL, cs->path, o->json_path,
               "override of interlock '%s' matched no refusal: nothing was overridden", o->interlock);
  }
}

int gate_run(const rert_case *cs, const gate_opts *o, gate_result *g, rert_err *err) {
  memset(g, 0, sizeof *g);
  gate_opts def = {GATE_LEVEL_FULL, 0, 0};
  if (!o) o = &def;
  gate_work *w = calloc(1, sizeof *w);
  if (!w) return rert_err_set(err, RERT_EINTERNAL, "gate: out of memory");
  w->cs = cs, w->o = o, w->g = g;
  g->ncourses = cs->ncourses;
  const case_course *ref = casefile_reference(cs);
  g->reference_course = ref ? (int)(ref - cs->courses) : -1;
  for (int c = 0; c < cs->ncourses; c++) {
    w->wc[c].ct_obj = w->wc[c].ss_obj = -1;
    w->wc[c].rbe = cs->courses[c].rbe;
    w->wc[c].modality = cs->courses[c].modality;
    g->courses[c].index = c;
    g->courses[c].rbe_factor = 1;
    g->courses[c].rbe = cs->courses[c].rbe;
    g->courses[c].plan_modality = cs->courses[c].modality;
    g->courses[c].plan_prescription_gy = NAN;
  }
  int rc = RERT_OK;
  check_case(w);
  if (o->level >= GATE_LEVEL_IDENTITY) {
    for (int c = 0; c < cs->ncourses; c++) {
      const case_course *k = &cs->courses[c];
      if (k->ct_dir[0]) read_ct(w, c);
      if (k->rtstruct[0]) read_rtstruct(w, c);
      read_plans(w, c);
      read_dose_headers(w, c);
    }
    read_registrations(w);
    if (o->level == GATE_LEVEL_FULL) rc = gate_read_doses(w, err);
    if (!rc) {
      check_patient(w);
      check_sop_unique(w);
      for (int c = 0; c < cs->ncourses; c++) {
        check_course_frames(w, c);
        check_plans(w, c);
      }
      check_registrations(w, o->allow_computed_registration);
      if (o->level == GATE_LEVEL_FULL) rc = gate_check_doses(w, err);
    }
  }
  if (!rc) check_unused_overrides(w);
  for (int c = 0; c < RERT_CASE_MAX_COURSES; c++) {
    for (int p = 0; p < w->wc[c].nplans; p++)
      if (w->wc[c].plan_read[p]) rtdata_free_rtplan(&w->wc[c].plans[p]);
    for (int d = 0; d < w->wc[c].ndoses && w->wc[c].doses; d++)
      rtdata_free_rtdose(&w->wc[c].doses[d]);
    free(w->wc[c].doses);
  }
  free(w);
  if (rc) return rc;
  if (!o->keep_doses)
    for (int c = 0; c < RERT_CASE_MAX_COURSES; c++) {
      rtdata_free_rtdose(&g->courses[c].total);
      for (int p = 0; p < GATE_MAX_PARTS; p++) volume_free(&g->courses[c].parts[p].dose);
    }
  return gate_refusal_error(&g->findings, err);
}
