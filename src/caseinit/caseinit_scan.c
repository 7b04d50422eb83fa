/* caseinit_scan.c — index the export (io_scan_dir: headers only, recursive) and read what the
 * grouping needs: every RTPLAN (fraction groups, prescriptions, approval, dates), every RTSTRUCT
 * (ROI names and types), every treatment record (rert/rtrecord.h), the frames of the
 * registrations. Doses are not read (their headers in the index say what they are). Objects that
 * cannot be read are kept with their problem and listed as not used. */
#define _XOPEN_SOURCE 700
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseinit/caseinit_internal.h"

const io_object *ci_obj(const ci_ctx *x, int obj) { return &x->ix.objects[obj]; }

const char *ci_path(const ci_ctx *x, int obj) {
  const io_object *o = ci_obj(x, obj);
  return o->nfiles ? o->files[0] : o->ident.path;
}

static int find_sop(const ci_ctx *x, io_kind k, const char *uid) {
  if (!uid || !uid[0]) return -1;
  for (int i = 0; i < x->ix.nobjects; i++)
    if (x->ix.objects[i].kind == k && !strcmp(x->ix.objects[i].ident.sop_instance_uid, uid))
      return i;
  return -1;
}

/* directories of a series' slices: one when every slice is in the same folder */
static void ct_dirs(const io_object *o, ci_ct *c) {
  c->ndirs = 0;
  c->dir[0] = 0;
  char first[1024] = "";
  for (int f = 0; f < o->nfiles; f++) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", o->files[f]);
    const char *d = dirname(tmp);
    if (f == 0) {
      snprintf(first, sizeof first, "%s", d);
      c->ndirs = 1;
    } else if (strcmp(first, d)) {
      c->ndirs = 2;
      return;
    }
  }
  snprintf(c->dir, sizeof c->dir, "%s", first);
}

static double plan_rx(const rert_rtplan *p) {
  double rx = NAN;
  for (int i = 0; i < p->nprescriptions; i++)
    if (isfinite(p->prescriptions[i].target_dose_gy) && !(p->prescriptions[i].target_dose_gy <= rx))
      rx = p->prescriptions[i].target_dose_gy;
  return rx;
}

int ci_scan(ci_ctx *x, rert_err *err) {
  int rc = io_scan_dir(x->o->export_dir, &x->ix, err);
  if (rc) return rc;
  const int n = x->ix.nobjects;
  x->r->nobjects = n;
  x->r->nskipped = x->ix.nskipped;
  x->obj_used = calloc((size_t)(n ? n : 1), sizeof *x->obj_used);
  x->ct = calloc((size_t)(n ? n : 1), sizeof *x->ct);
  x->ss = calloc((size_t)(n ? n : 1), sizeof *x->ss);
  x->plan = calloc((size_t)(n ? n : 1), sizeof *x->plan);
  x->dose = calloc((size_t)(n ? n : 1), sizeof *x->dose);
  x->rec = calloc((size_t)(n ? n : 1), sizeof *x->rec);
  x->reg = calloc((size_t)(n ? n : 1), sizeof *x->reg);
  if (!x->obj_used || !x->ct || !x->ss || !x->plan || !x->dose || !x->rec || !x->reg)
    return rert_err_set(err, RERT_EINTERNAL, "case init: out of memory");
  /* one patient: choose, or refuse a mixed export */
  char ids[8][65];
  int nid = 0, count[8] = {0};
  for (int i = 0; i < n; i++) {
    const char *pid = x->ix.objects[i].ident.patient_id;
    int k = 0;
    while (k < nid && strcmp(ids[k], pid)) k++;
    if (k == nid && nid < 8) snprintf(ids[nid++], 65, "%s", pid);
    if (k < 8) count[k]++;
  }
  if (x->o->patient_id && x->o->patient_id[0]) {
    snprintf(x->patient_id, sizeof x->patient_id, "%s", x->o->patient_id);
    int k = 0;
    while (k < nid && strcmp(ids[k], x->patient_id)) k++;
    if (k == nid)
      return rert_err_set(err, RERT_EINPUT, "%s: no object of PatientID (0010,0020) '%s' in the "
                          "export", x->o->export_dir, x->patient_id);
  } else if (nid == 1) {
    snprintf(x->patient_id, sizeof x->patient_id, "%s", ids[0]);
  }
  /* else: several IDs — decided below from the references (one patient with mismatched IDs,
   * as some vendors write, or several patients) */
  const int filter = x->o->patient_id && x->o->patient_id[0];
  for (int i = 0; i < n; i++) {
    const io_object *o = &x->ix.objects[i];
    if (filter && strcmp(o->ident.patient_id, x->patient_id)) {
      ci_not_used(x, i, "PatientID (0010,0020) '%s', not the patient drafted ('%s', --patient)",
                  o->ident.patient_id, x->patient_id);
      continue;
    }
    switch (o->kind) {
      case IO_KIND_IMAGE: {
        ci_ct *c = &x->ct[x->nct++];
        c->obj = i;
        ct_dirs(o, c);
        break;
      }
      case IO_KIND_RTSTRUCT: {
        ci_ss *s = &x->ss[x->nss++];
        s->obj = i;
        s->ct = -1;
        rert_err e;
        if (io_read_rtstruct(ci_path(x, i), &s->ss, &e)) snprintf(s->problem, sizeof s->problem, "%s", e.msg);
        else s->readable = 1;
        break;
      }
      case IO_KIND_RTPLAN: {
        ci_plan *p = &x->plan[x->nplan++];
        p->obj = i;
        p->ss = -1;
        p->cluster = -1;
        p->rx_gy = NAN;
        rert_err e;
        if (io_read_rtplan(ci_path(x, i), &p->plan, &e)) {
          snprintf(p->problem, sizeof p->problem, "%s", e.msg);
        } else {
          p->readable = 1;
          p->rx_gy = plan_rx(&p->plan);
          for (int g = 0; g < p->plan.nfraction_groups; g++) {
            if (p->plan.fraction_groups[g].fractions_planned <= 0) {
              p->fractions = 0;
              break;
            }
            p->fractions += p->plan.fraction_groups[g].fractions_planned;
          }
        }
        break;
      }
      case IO_KIND_RTDOSE: {
        ci_dose *d = &x->dose[x->ndose++];
        d->obj = i;
        d->plan = -1;
        break;
      }
      case IO_KIND_RTRECORD: {
        ci_rec *r = &x->rec[x->nrec++];
        r->obj = i;
        r->plan = -1;
        rert_err e;
        if (io_read_treatment_record(ci_path(x, i), &r->rec, &e)) snprintf(r->problem, sizeof r->problem, "%s", e.msg);
        else r->readable = 1;
        break;
      }
      case IO_KIND_REG:
      case IO_KIND_DEFORMABLE_REG: {
        ci_reg *g = &x->reg[x->nreg++];
        g->obj = i;
        g->deformable = o->kind == IO_KIND_DEFORMABLE_REG;
        break;
      }
      default:
        break;
    }
  }
  /* references */
  for (int s = 0; s < x->nss; s++) {
    const char *series = ci_obj(x, x->ss[s].obj)->ref_series_uid;
    for (int c = 0; c < x->nct && series[0]; c++)
      if (!strcmp(ci_obj(x, x->ct[c].obj)->ident.series_instance_uid, series)) x->ss[s].ct = c;
  }
  for (int p = 0; p < x->nplan; p++) {
    ci_plan *pl = &x->plan[p];
    const io_object *o = ci_obj(x, pl->obj);
    int so = find_sop(x, IO_KIND_RTSTRUCT, o->ref_struct_uid);
    for (int s = 0; s < x->nss && so >= 0; s++)
      if (x->ss[s].obj == so) pl->ss = s;
    if (o->ident.frame_of_reference_uid[0]) {
      snprintf(pl->for_uid, sizeof pl->for_uid, "%s", o->ident.frame_of_reference_uid);
      snprintf(pl->for_source, sizeof pl->for_source, "the plan's FrameOfReferenceUID");
    } else if (pl->ss >= 0 && ci_obj(x, x->ss[pl->ss].obj)->ident.frame_of_reference_uid[0]) {
      snprintf(pl->for_uid, sizeof pl->for_uid, "%s",
               ci_obj(x, x->ss[pl->ss].obj)->ident.frame_of_reference_uid);
      snprintf(pl->for_source, sizeof pl->for_source, "its structure set's frame");
    }
  }
  for (int d = 0; d < x->ndose; d++) {
    int po = find_sop(x, IO_KIND_RTPLAN, ci_obj(x, x->dose[d].obj)->ref_plan_uid);
    for (int p = 0; p < x->nplan && po >= 0; p++)
      if (x->plan[p].obj == po) {
        x->dose[d].plan = p;
        if (!x->plan[p].for_uid[0]) {
          snprintf(x->plan[p].for_uid, sizeof x->plan[p].for_uid, "%s",
                   ci_obj(x, x->dose[d].obj)->ident.frame_of_reference_uid);
          snprintf(x->plan[p].for_source, sizeof x->plan[p].for_source, "its dose's frame");
        }
      }
  }
  for (int r = 0; r < x->nrec; r++) {
    int po = find_sop(x, IO_KIND_RTPLAN, ci_obj(x, x->rec[r].obj)->ref_plan_uid);
    for (int p = 0; p < x->nplan && po >= 0; p++)
      if (x->plan[p].obj == po) {
        x->rec[r].plan = p;
        x->plan[p].nrec++;
      }
  }
  /* several PatientIDs: one patient whose objects disagree (linked by references — the gate
   * refuses it unless an override says why), or several patients (choose one) */
  if (!x->patient_id[0]) {
    int linked = 0;
    for (int d = 0; d < x->ndose; d++)
      if (x->dose[d].plan >= 0 &&
          strcmp(ci_obj(x, x->dose[d].obj)->ident.patient_id,
                 ci_obj(x, x->plan[x->dose[d].plan].obj)->ident.patient_id))
        linked = 1;
    for (int p = 0; p < x->nplan; p++)
      if (x->plan[p].ss >= 0 && strcmp(ci_obj(x, x->plan[p].obj)->ident.patient_id,
                                       ci_obj(x, x->ss[x->plan[p].ss].obj)->ident.patient_id))
        linked = 1;
    if (!linked) {
      char list[512] = "";
      for (int k = 0; k < nid; k++) {
        size_t L = strlen(list);
        snprintf(list + L, sizeof list - L, "%s'%s' (%d objects)", k ? ", " : "", ids[k], count[k]);
      }
      return rert_err_set(err, RERT_EINPUT, "%s: the export holds %d patients (PatientID (0010,0020) "
                          "%s); choose one with --patient ID", x->o->export_dir, nid, list);
    }
    /* the plan's patient (or the first object's) names the case; the gate reports the rest */
    const char *pid = x->nplan ? ci_obj(x, x->plan[0].obj)->ident.patient_id : ids[0];
    snprintf(x->patient_id, sizeof x->patient_id, "%s", pid);
    char list[512] = "";
    for (int k = 0; k < nid; k++) {
      size_t L = strlen(list);
      snprintf(list + L, sizeof list - L, "%s'%s' (%d objects)", k ? ", " : "", ids[k], count[k]);
    }
    ci_todo(x->r, TODO_REVIEW, 1, "$.patient.id",
            "the export's objects carry %d PatientIDs (%s) but reference each other (plan, dose, "
            "structure set): confirm they are one patient and add an override {\"interlock\": "
            "\"same_patient\", \"reason\": ...} — the DICOM gate refuses the mix otherwise", nid,
            list);
  }
  int rt = x->nplan + x->nss + x->ndose;
  if (!rt)
    return rert_err_set(err, RERT_EINPUT, "%s: no RTPLAN, RTSTRUCT or RTDOSE in the export (%d "
                        "object(s), %d non-DICOM file(s)); rert case init drafts a case from "
                        "radiotherapy objects", x->o->export_dir, n, x->ix.nskipped);
  return RERT_OK;
}

void ci_free(ci_ctx *x) {
  for (int s = 0; s < x->nss; s++) rtdata_free_structure_set(&x->ss[s].ss);
  for (int p = 0; p < x->nplan; p++) rtdata_free_rtplan(&x->plan[p].plan);
  for (int r = 0; r < x->nrec; r++) rtrecord_free(&x->rec[r].rec);
  free(x->ct);
  free(x->ss);
  free(x->plan);
  free(x->dose);
  free(x->rec);
  free(x->reg);
  free(x->obj_used);
  free(x->course);
  io_index_free(&x->ix);
  memset(x, 0, sizeof *x);
}
