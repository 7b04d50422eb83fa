/* caseinit_draft.c — the drafted case file (rert/caseinit.h, steps 4–7): courses with the values
 * the grouping found, each traced in an `x_source` object beside it ({"field": "where it came
 * from"}), the registrations found in the export, clinical facts left null (unknown), and the
 * TODO list (pending notes of the grouping rendered with each course's final JSON path, plus the
 * case-wide ones). Schema: docs/case-file.md (rert-case/1); every x_ key is ignored by the
 * loader. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseinit/caseinit_internal.h"
#include "rert/data.h"

#ifndef RERT_VERSION
#define RERT_VERSION "0.0.0"
#endif

/* ---- TODOs and notes ------------------------------------------------------------------------ */

void ci_pend(ci_course *c, caseinit_todo_kind kind, int blocking, const char *field,
             const char *fmt, ...) {
  if (c->npending >= (int)(sizeof c->pending / sizeof c->pending[0])) return;
  ci_pending *p = &c->pending[c->npending++];
  p->kind = kind;
  p->blocking = blocking;
  snprintf(p->field, sizeof p->field, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->message, sizeof p->message, fmt, ap);
  va_end(ap);
}

void ci_todo(caseinit_result *r, caseinit_todo_kind kind, int blocking, const char *path,
             const char *fmt, ...) {
  if (r->ntodo == r->captodo) {
    int cap = r->captodo ? 2 * r->captodo : 32;
    caseinit_todo *t = realloc(r->todo, (size_t)cap * sizeof *t);
    if (!t) return;
    r->todo = t;
    r->captodo = cap;
  }
  caseinit_todo *t = &r->todo[r->ntodo++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->blocking = blocking;
  snprintf(t->path, sizeof t->path, "%s", path);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->message, sizeof t->message, fmt, ap);
  va_end(ap);
  if (blocking) r->nblocking++;
}

void ci_not_used(ci_ctx *x, int obj, const char *fmt, ...) {
  if (!x->r->not_used) x->r->not_used = cJSON_CreateArray();
  /* one entry per object: the first reason given */
  const char *path = ci_path(x, obj);
  cJSON *it;
  cJSON_ArrayForEach(it, x->r->not_used) {
    const cJSON *p = cJSON_GetObjectItem(it, "path");
    if (p && cJSON_IsString(p) && !strcmp(p->valuestring, path)) return;
  }
  char why[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "path", path);
  const io_object *ob = ci_obj(x, obj);
  cJSON_AddStringToObject(o, "kind", ob->kind == IO_KIND_IMAGE ? ob->ident.modality : io_kind_name(ob->kind));
  if (ob->nfiles > 1) cJSON_AddNumberToObject(o, "files", ob->nfiles);
  cJSON_AddStringToObject(o, "why", why);
  cJSON_AddItemToArray(x->r->not_used, o);
}

const char *caseinit_todo_kind_name(caseinit_todo_kind k) {
  switch (k) {
    case TODO_CONFIRM: return "confirm";
    case TODO_CHOOSE: return "choose";
    case TODO_FILL: return "fill";
    default: return "review";
  }
}

/* ---- paths ---------------------------------------------------------------------------------- */

/* The path written in the case file: relative to the case file's directory. */
static void case_path_of(const ci_ctx *x, const char *file, char *out, size_t n) {
  char real[PATH_MAX];
  if (!realpath(file, real)) snprintf(real, sizeof real, "%s", file);
  if (ci_relpath(x->case_dir, real, out, n)) snprintf(out, n, "%s", real);
}

static void add_obj_path(ci_ctx *x, cJSON *o, const char *key, int obj) {
  char p[PATH_MAX];
  case_path_of(x, ci_path(x, obj), p, sizeof p);
  cJSON_AddStringToObject(o, key, p);
  x->obj_used[obj] = 1;
}

static void add_date(cJSON *o, const char *key, rert_date d) {
  char b[11];
  ci_date_str(d, b);
  cJSON_AddStringToObject(o, key, b);
}

/* ---- one course ----------------------------------------------------------------------------- */

static const char *modality_name(rert_modality m) {
  switch (m) {
    case MOD_PROTON: return "proton";
    case MOD_CARBON: return "carbon";
    case MOD_ELECTRON: return "electron";
    default: return "photon";
  }
}

static void course_dicom(ci_ctx *x, ci_course *c, cJSON *co, cJSON *src) {
  cJSON *d = cJSON_AddObjectToObject(co, "dicom");
  if (c->ct >= 0) {
    const ci_ct *ct = &x->ct[c->ct];
    char p[PATH_MAX];
    case_path_of(x, ct->dir[0] ? ct->dir : ".", p, sizeof p);
    cJSON_AddStringToObject(d, "ct_dir", p[0] ? p : ".");
    cJSON_AddStringToObject(d, "ct_series_uid", ci_obj(x, ct->obj)->ident.series_instance_uid);
    x->obj_used[ct->obj] = 1;
    char s[512];
    snprintf(s, sizeof s, "%s series of %d images%s", ci_obj(x, ct->obj)->ident.modality,
             ci_obj(x, ct->obj)->nfiles,
             c->ss >= 0 && x->ss[c->ss].ct == c->ct ? ", referenced by the structure set"
                                                    : ", the only one in the course's frame");
    cJSON_AddStringToObject(src, "dicom.ct_series_uid", s);
  }
  if (c->ss >= 0) {
    add_obj_path(x, d, "rtstruct", x->ss[c->ss].obj);
    cJSON_AddStringToObject(src, "dicom.rtstruct",
                            c->nused && x->plan[c->used[0]].ss == c->ss
                                ? "referenced by the plan (ReferencedStructureSetSequence)"
                                : "the only structure set in the course's frame of reference");
  }
  if (c->ndoses == 1) {
    add_obj_path(x, d, "rtdose", x->dose[c->doses[0]].obj);
  } else if (c->ndoses > 1) {
    cJSON *a = cJSON_AddArrayToObject(d, "rtdose");
    for (int i = 0; i < c->ndoses; i++) {
      char p[PATH_MAX];
      case_path_of(x, ci_path(x, x->dose[c->doses[i]].obj), p, sizeof p);
      cJSON_AddItemToArray(a, cJSON_CreateString(p));
      x->obj_used[x->dose[c->doses[i]].obj] = 1;
    }
  }
  if (c->ndoses) {
    char s[512];
    const io_object *o = ci_obj(x, x->dose[c->doses[0]].obj);
    snprintf(s, sizeof s, "%d RTDOSE (%s%s, %s, %s) %s", c->ndoses, o->dose_summation,
             c->ndoses > 1 ? " each" : "", o->dose_units, o->dose_type,
             c->nused ? "referencing the course's plan(s) (ReferencedRTPlanSequence)"
                      : "in the course's frame (their plan is not in the export)");
    cJSON_AddStringToObject(src, "dicom.rtdose", s);
  }
  if (c->nused == 1) {
    add_obj_path(x, d, "rtplan", x->plan[c->used[0]].obj);
  } else if (c->nused > 1) {
    cJSON *a = cJSON_AddArrayToObject(d, "rtplan");
    for (int i = 0; i < c->nused; i++) {
      char p[PATH_MAX];
      case_path_of(x, ci_path(x, x->plan[c->used[i]].obj), p, sizeof p);
      cJSON_AddItemToArray(a, cJSON_CreateString(p));
      x->obj_used[x->plan[c->used[i]].obj] = 1;
    }
  }
  if (c->nused) cJSON_AddStringToObject(src, "dicom.rtplan", c->plan_rule);
  for (int i = 0; i < c->nrec; i++) x->obj_used[x->rec[c->recs[i]].obj] = 1;
  if (!cJSON_GetArraySize(d)) cJSON_DeleteItemFromObject(co, "dicom");
}

static const char *dose_type_of(const ci_ctx *x, const ci_course *c) {
  return c->ndoses ? ci_obj(x, x->dose[c->doses[0]].obj)->dose_type : "";
}

static cJSON *course_json(ci_ctx *x, ci_course *c) {
  cJSON *co = cJSON_CreateObject();
  cJSON *src = cJSON_CreateObject();
  cJSON_AddStringToObject(co, "id", c->id);
  cJSON_AddStringToObject(co, "role", c->planned ? "planned" : "prior");
  cJSON_AddStringToObject(src, "role",
                          c->planned ? (x->o->planned && x->o->planned[0] ? "--planned"
                                                                          : "the most recent course")
                                     : "an earlier course (or --planned)");
  /* dates */
  if (c->has_start) add_date(co, "start_date", c->start);
  if (c->has_end && (!c->planned || !c->end_estimated)) add_date(co, "end_date", c->end);
  if (c->has_start) {
    char s[512];
    snprintf(s, sizeof s, "%s%s", c->dates_src,
             c->end_estimated && !c->planned
                 ? "; end_date estimated from start_date and the planned fractions at five a week"
                 : "");
    cJSON_AddStringToObject(src, "start_date", s);
  }
  char d0[11] = "", d1[11] = "";
  if (c->has_start) ci_date_str(c->start, d0);
  if (c->has_end) ci_date_str(c->end, d1);
  switch (c->date_kind) {
    case CI_DATES_SESSIONS:
    case CI_DATES_SUMMARY:
      break;
    case CI_DATES_PLAN_TREATMENT:
      ci_pend(c, TODO_CONFIRM, 0, "start_date",
              "dates %s..%s are the treatment dates stated in the plan, not in treatment records: "
              "confirm the first and last fraction dates", d0, d1);
      break;
    case CI_DATES_PLAN_DATE:
      if (c->planned)
        ci_pend(c, TODO_CONFIRM, 0, "start_date",
                "start_date %s is the plan's RTPlanDate (no treatment record, no scheduled date): "
                "give the first fraction date of the new course (it sets the interval since the "
                "prior courses)", d0);
      else
        ci_pend(c, TODO_CONFIRM, 0, "end_date",
                "no treatment records: start_date %s is the plan's RTPlanDate and end_date %s an "
                "estimate (%d fractions at five a week); the real dates are likely later — a later "
                "end date shortens the interval to the next course (less recovery): confirm both "
                "from the treatment chart", d0, c->has_end ? d1 : "(unknown)", c->fractions);
      if (!c->planned && !c->has_end)
        ci_pend(c, TODO_FILL, 1, "end_date", "no end date: give the last fraction date");
      break;
    case CI_DATES_STUDY:
      ci_pend(c, TODO_FILL, !c->planned, c->planned ? "start_date" : "end_date",
              "no plan or record date: start_date %s is the StudyDate of the course's objects; "
              "give the first and last fraction dates", d0);
      break;
    default:
      if (!c->planned)
        ci_pend(c, TODO_FILL, 1, "start_date",
                "no date anywhere in the course's objects: give start_date and end_date (first "
                "and last fraction)");
      break;
  }
  if (c->dates_from_records && c->delivered >= 0)
    cJSON_AddNumberToObject(co, "x_delivered_fractions", c->delivered);
  /* modality, RBE */
  if (c->modality_ok) {
    cJSON_AddStringToObject(co, "modality", modality_name(c->modality));
    cJSON_AddStringToObject(src, "modality", c->modality_src);
    const char *dt = dose_type_of(x, c);
    if (c->modality == MOD_PHOTON || c->modality == MOD_ELECTRON) {
      cJSON_AddStringToObject(co, "rbe_model", "PHYSICAL");
      cJSON_AddStringToObject(src, "rbe_model", "photons and electrons: physical dose");
    } else if (c->modality == MOD_PROTON) {
      cJSON_AddStringToObject(co, "rbe_model", "RBE_FIXED");
      cJSON_AddStringToObject(src, "rbe_model", "protons: the clinical fixed RBE (1.1) the planning "
                              "system applies to an EFFECTIVE dose");
      if (!strcmp(dt, "PHYSICAL"))
        ci_pend(c, TODO_REVIEW, 1, "rbe_model",
                "the proton dose is PHYSICAL (DoseType (3004,0004)): the RBE-weighted dose needs "
                "the fixed RBE applied — add an override {\"interlock\": \"physical_particle_dose\", "
                "\"course\": \"%s\", \"reason\": ...} if that is right", c->id);
      else
        ci_pend(c, TODO_CONFIRM, 0, "rbe_model",
                "proton course: rbe_model RBE_FIXED (dose type %s) — confirm the planning system's "
                "RBE convention", dt[0] ? dt : "unknown");
    } else if (c->modality == MOD_CARBON) {
      ci_pend(c, TODO_FILL, 1, "rbe_model",
              "carbon course: give rbe_model LEM_I or MKM (the planning system's biological "
              "model); DICOM does not state it");
    }
  }
  /* fractionation */
  if (c->fractions > 0) {
    cJSON_AddNumberToObject(co, "fractions", c->fractions);
    cJSON_AddStringToObject(src, "fractions", c->fractions_src);
  }
  cJSON_AddNumberToObject(co, "fractions_per_day", c->per_day);
  if (c->per_day > 1) {
    cJSON_AddStringToObject(src, "fractions_per_day", c->per_day_src);
    if (isfinite(c->interval_h) && c->interval_h >= 0.5 && c->interval_h <= 24) {
      json_add_num(co, "interfraction_interval_h", round(c->interval_h * 100) / 100);
      ci_pend(c, TODO_CONFIRM, 0, "interfraction_interval_h",
              "%d fractions a day in the treatment records with %.2f h between them (the shortest "
              "gap of a day): confirm the schedule", c->per_day, c->interval_h);
    } else {
      ci_pend(c, TODO_FILL, 1, "interfraction_interval_h",
              "%d fractions a day in the treatment records but no usable times: give the interval "
              "between fractions (hours)", c->per_day);
    }
  } else {
    cJSON_AddStringToObject(src, "fractions_per_day",
                            c->dates_from_records ? "treatment records: one fraction a day"
                                                  : "default (no treatment records)");
  }
  if (isfinite(c->rx_gy)) {
    json_add_num(co, "prescription_gy", c->rx_gy);
    cJSON_AddStringToObject(src, "prescription_gy", c->rx_src);
  }
  course_dicom(x, c, co, src);
  cJSON_AddItemToObject(co, "x_source", src);
  ci_pend(c, TODO_FILL, 0, "technique",
          "technique (IMRT, VMAT, 3DCRT, SBRT, PBS, CIRT, …), elective_nodes and systemic "
          "(concurrent therapy) are clinical facts DICOM does not state reliably: unknown until "
          "given%s",
          c->fractions > 0 && isfinite(c->rx_gy) && c->rx_gy / c->fractions >= 5.0
              ? " (the dose per fraction suggests SBRT, which selects the hypofractionation risk "
                "factors)"
              : "");
  return co;
}

/* ---- registrations -------------------------------------------------------------------------- */

static void registrations(ci_ctx *x, cJSON *doc) {
  cJSON *regs = cJSON_AddArrayToObject(doc, "registrations");
  const ci_course *ref = &x->course[x->reference];
  for (int k = 0; k < x->ncourse; k++) {
    ci_course *c = &x->course[k];
    if (k == x->reference) continue;
    if (!strcmp(c->for_uid, ref->for_uid) && c->for_uid[0]) continue; /* same frame: none needed */
    int def[8], nd = 0, rig[8], nr = 0, rev = -1;
    for (int g = 0; g < x->nreg; g++) {
      const io_object *o = ci_obj(x, x->reg[g].obj);
      if (!strcmp(o->reg_fixed_frame_uid, ref->for_uid) && !strcmp(o->reg_moving_frame_uid, c->for_uid)) {
        if (x->reg[g].deformable && nd < 8) def[nd++] = g;
        else if (!x->reg[g].deformable && nr < 8) rig[nr++] = g;
      } else if (!strcmp(o->reg_fixed_frame_uid, c->for_uid) &&
                 !strcmp(o->reg_moving_frame_uid, ref->for_uid)) {
        rev = g;
      }
    }
    char path[64];
    snprintf(path, sizeof path, "$.registrations");
    int use = nd == 1 ? def[0] : (nd == 0 && nr == 1) ? rig[0] : -1;
    if (use >= 0) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "from", c->id);
      cJSON_AddStringToObject(o, "to", ref->id);
      cJSON_AddStringToObject(o, "type", x->reg[use].deformable ? "deformable" : "rigid");
      add_obj_path(x, o, "dicom", x->reg[use].obj);
      cJSON *src = cJSON_AddObjectToObject(o, "x_source");
      char s[512];
      snprintf(s, sizeof s, "%s Spatial Registration in the export from %s's frame (moving) to "
               "%s's (fixed)%s", x->reg[use].deformable ? "Deformable" : "rigid", c->id, ref->id,
               nd == 1 && nr ? "; the rigid registration(s) of the same frames are not used (the "
                               "deformable one is preferred)" : "");
      cJSON_AddStringToObject(src, "dicom", s);
      cJSON_AddItemToArray(regs, o);
      for (int i = 0; i < nr && nd == 1; i++)
        ci_not_used(x, x->reg[rig[i]].obj, "rigid registration of %s → %s; the deformable one is used",
                    c->id, ref->id);
      continue;
    }
    if (nd > 1 || nr > 1) {
      char list[1024] = "";
      const int *set = nd > 1 ? def : rig;
      int ns = nd > 1 ? nd : nr;
      for (int i = 0; i < ns; i++) {
        size_t L = strlen(list);
        snprintf(list + L, sizeof list - L, "%s%s", i ? "; " : "", ci_path(x, x->reg[set[i]].obj));
        ci_not_used(x, x->reg[set[i]].obj, "one of %d candidate registrations %s → %s (TODO)", ns,
                    c->id, ref->id);
      }
      ci_todo(x->r, TODO_CHOOSE, 0, path,
              "%d %s registrations map %s's frame onto %s's: %s — add the one to use as "
              "{\"from\": \"%s\", \"to\": \"%s\", \"type\": ..., \"dicom\": ...} (none was chosen; "
              "without one rert consult registers the CTs)", ns, nd > 1 ? "deformable" : "rigid",
              c->id, ref->id, list, c->id, ref->id);
      continue;
    }
    if (rev >= 0) {
      ci_not_used(x, x->reg[rev].obj, "registration in the other direction (%s → %s)", ref->id, c->id);
      ci_todo(x->r, TODO_REVIEW, 0, path,
              "registration %s maps %s onto %s, the other direction from the one dose "
              "accumulation needs (%s → %s); it is not used", ci_path(x, x->reg[rev].obj), ref->id,
              c->id, c->id, ref->id);
    }
    ci_todo(x->r, TODO_REVIEW, 0, path,
            "no registration between %s's frame and %s's (the reference) in the export: rert "
            "consult registers the CTs itself (built-in deformable registration; review its QA "
            "in the report); rert accumulate, evaluate and case check need a registration "
            "(DICOM REG or a vector field) in $.registrations", c->id, ref->id);
  }
  for (int g = 0; g < x->nreg; g++)
    if (!x->obj_used[x->reg[g].obj])
      ci_not_used(x, x->reg[g].obj, "registration between frames that are not a prior course and "
                  "the reference course");
}

/* ---- clinical template ---------------------------------------------------------------------- */

static cJSON *clinical_unknown(void) {
  static const char *const flat[] = {
      "age_years", "ecog", "kps", "histology", "p16", "ebv", "subsite", "rT", "rN",
      "recurrence_size_cm", "recurrence_volume_cc", "diagnosis_date", "recurrence_date",
      "second_primary", "recurrence_overlap_fraction", "recurrence_extent", "rapid_progression",
      "prior_surgery", "neck_dissection", "flap_reconstruction", "resectable", "accepts_surgery",
      "acceptable_function", "salvage_surgery", "distant_metastases", "mucosal_ulceration",
      "fistula", "skin_invasion", "deep_neck_infection", "goals_of_care", NULL};
  cJSON *c = cJSON_CreateObject();
  for (int i = 0; flat[i]; i++) cJSON_AddNullToObject(c, flat[i]);
  cJSON *o = cJSON_AddObjectToObject(c, "organ_dysfunction");
  cJSON_AddNullToObject(o, "feeding_tube");
  cJSON_AddNullToObject(o, "tracheostomy");
  cJSON_AddNullToObject(o, "soft_tissue_defect");
  o = cJSON_AddObjectToObject(c, "comorbidity");
  cJSON_AddNullToObject(o, "charlson");
  cJSON_AddNullToObject(o, "ace27");
  o = cJSON_AddObjectToObject(c, "carotid");
  cJSON_AddNullToObject(o, "encasement_deg");
  cJSON_AddNullToObject(o, "invasion");
  o = cJSON_AddObjectToObject(c, "dental");
  cJSON_AddNullToObject(o, "status");
  cJSON_AddNullToObject(o, "planned_extractions");
  o = cJSON_AddObjectToObject(c, "trial");
  static const char *const tr[] = {"pregnant", "unresolved_prior_toxicity", "other_cancer_5y",
                                   "other_trial", "consent_capable", "accepts_cisplatin", NULL};
  for (int i = 0; tr[i]; i++) cJSON_AddNullToObject(o, tr[i]);
  cJSON_AddStringToObject(c, "comment",
                          "clinical facts are not in DICOM: null = unknown (docs/case-file.md); "
                          "fill what is known — each assessment says which facts it needs");
  return c;
}

/* ---- the document --------------------------------------------------------------------------- */

static void patient(ci_ctx *x, cJSON *doc) {
  const rert_dicom_ident *id = NULL;
  const ci_course *ref = &x->course[x->reference];
  if (ref->nused) id = &ci_obj(x, x->plan[ref->used[0]].obj)->ident;
  else if (ref->ss >= 0) id = &ci_obj(x, x->ss[ref->ss].obj)->ident;
  else if (ref->ndoses) id = &ci_obj(x, x->dose[ref->doses[0]].obj)->ident;
  else id = &x->ix.objects[0].ident;
  cJSON *p = cJSON_AddObjectToObject(doc, "patient");
  cJSON_AddStringToObject(p, "id", x->patient_id[0] ? x->patient_id : id->patient_id);
  if (id->patient_name[0]) cJSON_AddStringToObject(p, "name", id->patient_name);
  rert_date bd;
  rert_err e;
  if (id->patient_birth_date[0] && !date_parse(id->patient_birth_date, "PatientBirthDate", &bd, &e))
    add_date(p, "birth_date", bd);
  if (!strcmp(id->patient_sex, "M") || !strcmp(id->patient_sex, "F") || !strcmp(id->patient_sex, "O"))
    cJSON_AddStringToObject(p, "sex", id->patient_sex);
  cJSON *src = cJSON_AddObjectToObject(p, "x_source");
  char s[256];
  snprintf(s, sizeof s, "PatientID, PatientName, PatientBirthDate, PatientSex of %s",
           id->path[0] ? id->path : "the export");
  cJSON_AddStringToObject(src, "id", s);
  if (!x->patient_id[0] && !id->patient_id[0])
    ci_todo(x->r, TODO_FILL, 1, "$.patient.id", "the export's objects have no PatientID: give one");
}

static void render_pending(ci_ctx *x) {
  for (int k = 0; k < x->ncourse; k++) {
    const ci_course *c = &x->course[k];
    for (int i = 0; i < c->npending; i++) {
      const ci_pending *p = &c->pending[i];
      char path[160];
      snprintf(path, sizeof path, "$.courses[%d].%s", k, p->field);
      /* messages say $.courses[i]: name the course */
      char msg[1600];
      const char *at = strstr(p->message, "$.courses[i]");
      if (at) {
        char idx[32];
        snprintf(idx, sizeof idx, "$.courses[%d]", k);
        snprintf(msg, sizeof msg, "%s: %.*s%s%s", c->id, (int)(at - p->message), p->message, idx,
                 at + strlen("$.courses[i]"));
      } else {
        snprintf(msg, sizeof msg, "%s: %s", c->id, p->message);
      }
      ci_todo(x->r, p->kind, p->blocking, path, "%s", msg);
    }
  }
}

/* Rewrite $.x_case_init.todo from r->todo (blocking first, in order found). */
void ci_sync_todo(caseinit_result *r) {
  cJSON *ci = cJSON_GetObjectItem(r->doc, "x_case_init");
  if (!ci) return;
  cJSON_DeleteItemFromObject(ci, "todo");
  cJSON *a = cJSON_AddArrayToObject(ci, "todo");
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < r->ntodo; i++) {
      const caseinit_todo *t = &r->todo[i];
      if (t->blocking != !pass) continue;
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "kind", caseinit_todo_kind_name(t->kind));
      cJSON_AddBoolToObject(o, "blocking", t->blocking);
      cJSON_AddStringToObject(o, "path", t->path);
      cJSON_AddStringToObject(o, "message", t->message);
      cJSON_AddItemToArray(a, o);
    }
  cJSON_DeleteItemFromObject(ci, "blocking_todo");
  cJSON_AddNumberToObject(ci, "blocking_todo", r->nblocking);
}

int ci_draft(ci_ctx *x, rert_err *err) {
  (void)err;
  cJSON *doc = cJSON_CreateObject();
  x->r->doc = doc;
  cJSON_AddStringToObject(doc, "schema", RERT_CASE_SCHEMA);
  cJSON_AddStringToObject(doc, "comment",
                          "drafted by rert case init from a DICOM export: every inferred value says "
                          "where it came from in the x_source object beside it; what a human must "
                          "confirm, choose or fill is listed in $.x_case_init.todo (blocking items "
                          "first). Clinical facts are null = unknown.");
  patient(x, doc);
  cJSON_AddItemToObject(doc, "clinical", clinical_unknown());
  cJSON *cs = cJSON_AddArrayToObject(doc, "courses");
  for (int k = 0; k < x->ncourse; k++) cJSON_AddItemToArray(cs, course_json(x, &x->course[k]));
  cJSON_AddStringToObject(doc, "reference_course", x->course[x->reference].id);
  cJSON *rs = cJSON_AddObjectToObject(doc, "x_source");
  cJSON_AddStringToObject(rs, "reference_course",
                          x->o->planned && x->o->planned[0]
                              ? "--planned (none: the most recent course)"
                              : "the planned course: the most recent course in the export");
  registrations(x, doc);
  ci_structures(x, doc);
  cJSON *rec = cJSON_AddObjectToObject(doc, "recovery");
  cJSON_AddStringToObject(rec, "default", "none");
  cJSON_AddObjectToObject(rec, "per_organ");
  cJSON_AddStringToObject(rec, "comment", "no tissue recovery credited (the conservative default); "
                          "choose per organ (docs/accumulate.md, rert/recovery.h models)");
  cJSON_AddArrayToObject(doc, "protocols");
  render_pending(x);
  /* case-wide TODOs */
  ci_todo(x->r, TODO_FILL, 0, "$.clinical",
          "clinical facts (histology, stage, dates of diagnosis and recurrence, performance "
          "status, surgery, organ dysfunction, goals of care, …) are not in DICOM: null = "
          "unknown; rert assess and the consult say which assessment needs which fact");
  ci_todo(x->r, TODO_FILL, 0, "$.protocols",
          "no constraint protocol chosen (rert protocols list): list them here or pass --protocol "
          "to rert consult / evaluate");
  ci_todo(x->r, TODO_CONFIRM, 0, "$.recovery",
          "recovery: none credited for any organ (the conservative default); choose a model per "
          "organ if the interval and the evidence allow");
  cJSON *ci = cJSON_AddObjectToObject(doc, "x_case_init");
  cJSON_AddStringToObject(ci, "rert_version", RERT_VERSION);
  char ep[PATH_MAX];
  case_path_of(x, x->o->export_dir, ep, sizeof ep);
  cJSON_AddStringToObject(ci, "export", ep[0] ? ep : ".");
  cJSON_AddNumberToObject(ci, "objects", x->ix.nobjects);
  cJSON_AddNumberToObject(ci, "non_dicom_files", x->ix.nskipped);
  /* objects the case does not list and nobody explained yet */
  for (int i = 0; i < x->ix.nobjects; i++)
    if (!x->obj_used[i])
      ci_not_used(x, i, "%s",
                  x->ix.objects[i].kind == IO_KIND_IMAGE ? "image series outside the courses' frames"
                                                         : "not part of any course");
  /* paths of not-used objects relative to the case file */
  cJSON *nu = cJSON_AddArrayToObject(ci, "not_used");
  cJSON *it;
  cJSON_ArrayForEach(it, x->r->not_used) {
    cJSON *o = cJSON_Duplicate(it, 1);
    const cJSON *p = cJSON_GetObjectItem(o, "path");
    char rel[PATH_MAX];
    case_path_of(x, p->valuestring, rel, sizeof rel);
    cJSON_ReplaceItemInObject(o, "path", cJSON_CreateString(rel));
    cJSON_AddItemToArray(nu, o);
  }
  for (int i = 0; i < x->ix.nproblems; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "unreadable");
    cJSON_AddStringToObject(o, "why", x->ix.problems[i]);
    cJSON_AddItemToArray(nu, o);
  }
  ci_sync_todo(x->r);
  return RERT_OK;
}
