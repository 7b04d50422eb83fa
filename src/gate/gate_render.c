/* gate_render.c — the gate's object graph and findings as text (`rert case check`) and JSON
 * (`rert case check --json`, and the "checks" object of every command that reads a case). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/data.h"
#include "rert/gate.h"

static const char *kind_name(gate_obj_kind k) {
  static const char *n[] = {"CT", "RTSTRUCT", "RTPLAN", "RTDOSE", "REG"};
  return n[k];
}

static cJSON *object_json(const gate_object *x) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "kind", kind_name(x->kind));
  cJSON_AddStringToObject(o, "path", x->path);
  cJSON_AddBoolToObject(o, "readable", x->readable);
  if (x->readable) {
    cJSON_AddStringToObject(o, "patient_id", x->ident.patient_id);
    cJSON_AddStringToObject(o, "study_instance_uid", x->ident.study_instance_uid);
    cJSON_AddStringToObject(o, "series_instance_uid", x->ident.series_instance_uid);
    cJSON_AddStringToObject(o, "sop_instance_uid", x->ident.sop_instance_uid);
    cJSON_AddStringToObject(o, "frame_of_reference_uid", x->ident.frame_of_reference_uid);
    cJSON_AddStringToObject(o, "summary", x->summary);
  }
  if (x->kind == GATE_OBJ_RTSTRUCT) cJSON_AddStringToObject(o, "references_series_uid", x->ref_series_uid);
  if (x->kind == GATE_OBJ_RTDOSE) cJSON_AddStringToObject(o, "references_plan_uid", x->ref_plan_uid);
  if (x->kind == GATE_OBJ_RTPLAN) cJSON_AddStringToObject(o, "references_structure_set_uid", x->ref_struct_uid);
  if (x->kind == GATE_OBJ_REG) {
    cJSON_AddStringToObject(o, "moving_frame_uid", x->reg_moving_for);
    cJSON_AddStringToObject(o, "fixed_frame_uid", x->reg_fixed_for);
  }
  return o;
}

static void add_counts(cJSON *o, const gate_findings *f) {
  cJSON *c = cJSON_AddObjectToObject(o, "counts");
  cJSON_AddNumberToObject(c, "ok", gate_count(f, GATE_OK));
  cJSON_AddNumberToObject(c, "warning", gate_count(f, GATE_WARNING));
  cJSON_AddNumberToObject(c, "overridden", gate_count(f, GATE_OVERRIDDEN));
  cJSON_AddNumberToObject(c, "refusal", gate_count(f, GATE_REFUSAL));
}

static void add_checks(cJSON *root, const gate_result *g, int include_ok);

cJSON *gate_result_json(const gate_result *g, const rert_case *cs, int include_ok) {
  cJSON *root = cJSON_CreateObject();
  cJSON *pt = cJSON_AddObjectToObject(root, "patient");
  cJSON_AddStringToObject(pt, "case_id", cs->patient_id);
  cJSON_AddStringToObject(pt, "dicom_patient_id", g->patient_id);
  cJSON_AddStringToObject(pt, "dicom_patient_name", g->patient_name);
  cJSON *st = cJSON_AddArrayToObject(root, "studies");
  for (int i = 0; i < g->nstudies; i++) cJSON_AddItemToArray(st, cJSON_CreateString(g->studies[i]));
  cJSON *fr = cJSON_AddArrayToObject(root, "frames_of_reference");
  for (int i = 0; i < g->nfor; i++) cJSON_AddItemToArray(fr, cJSON_CreateString(g->fors[i]));
  cJSON *courses = cJSON_AddArrayToObject(root, "courses");
  for (int c = 0; c < cs->ncourses; c++) {
    const case_course *k = &cs->courses[c];
    const gate_course *gc = &g->courses[c];
    cJSON *co = cJSON_CreateObject();
    cJSON_AddStringToObject(co, "id", k->id);
    cJSON_AddBoolToObject(co, "reference", c == g->reference_course);
    cJSON *objs = cJSON_AddArrayToObject(co, "objects");
    for (int i = 0; i < g->nobjects; i++)
      if (g->objects[i].course == c) cJSON_AddItemToArray(objs, object_json(&g->objects[i]));
    if (gc->has_dose) {
      cJSON *d = cJSON_AddObjectToObject(co, "dose");
      cJSON_AddNumberToObject(d, "fractions", gc->fractions);
      cJSON_AddBoolToObject(d, "eqd2_upper_bound", gc->bounded != 0);
      cJSON_AddStringToObject(d, "rbe_model", rbe_model_name(gc->rbe));
      json_add_num(d, "rbe_factor_applied", gc->rbe_factor);
      cJSON_AddStringToObject(d, "description", gc->dose_desc);
      cJSON *parts = cJSON_AddArrayToObject(d, "parts");
      for (int p = 0; p < gc->nparts; p++) {
        const gate_part *P = &gc->parts[p];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "fractions", P->fractions);
        cJSON_AddNumberToObject(x, "fraction_group", P->group_number);
        cJSON_AddStringToObject(x, "plan", P->plan_label);
        cJSON_AddStringToObject(x, "how", P->how);
        json_add_num(x, "max_gy", P->max_gy);
        cJSON_AddItemToArray(parts, x);
      }
    }
    cJSON_AddItemToArray(courses, co);
  }
  cJSON *regs = cJSON_AddArrayToObject(root, "registrations");
  for (int r = 0; r < cs->nregistrations; r++) {
    const case_registration *rg = &cs->registrations[r];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "from", rg->from);
    cJSON_AddStringToObject(o, "to", rg->to);
    cJSON_AddStringToObject(o, "type", rg->type == REG_RIGID ? "rigid" : "deformable");
    for (int i = 0; i < g->nobjects; i++)
      if (g->objects[i].kind == GATE_OBJ_REG && g->objects[i].reg == r)
        cJSON_AddItemToObject(o, "dicom", object_json(&g->objects[i]));
    if (rg->mha[0]) cJSON_AddStringToObject(o, "mha", rg->mha);
    if (rg->engine[0]) cJSON_AddStringToObject(o, "engine", rg->engine);
    cJSON_AddItemToArray(regs, o);
  }
  add_checks(root, g, include_ok);
  cJSON_AddStringToObject(root, "status", gate_count(&g->findings, GATE_REFUSAL) ? "refused" : "ok");
  return root;
}

cJSON *gate_checks_json(const gate_result *g) {
  cJSON *o = cJSON_CreateObject();
  add_checks(o, g, 0);
  return o;
}

static void add_checks(cJSON *root, const gate_result *g, int include_ok) {
  cJSON_AddItemToObject(root, "findings", gate_findings_json(&g->findings, include_ok));
  cJSON *ov = cJSON_AddArrayToObject(root, "overrides_applied");
  for (int i = 0; i < g->findings.n; i++) {
    const gate_finding *x = &g->findings.items[i];
    if (x->severity != GATE_OVERRIDDEN) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "interlock", x->interlock);
    cJSON_AddStringToObject(o, "override", x->override_path);
    cJSON_AddStringToObject(o, "reason", x->override_reason);
    cJSON_AddStringToObject(o, "course", x->course);
    cJSON_AddStringToObject(o, "file", x->file);
    cJSON_AddStringToObject(o, "allowed", x->message);
    cJSON_AddItemToArray(ov, o);
  }
  add_counts(root, &g->findings);
}

static void print_obj(const gate_object *x, const char *indent, FILE *out) {
  fprintf(out, "%s%-8s %s\n", indent, kind_name(x->kind), x->path);
  if (!x->readable) {
    fprintf(out, "%s         (not readable)\n", indent);
    return;
  }
  fprintf(out, "%s         %s; FoR %s\n", indent, x->summary,
          x->ident.frame_of_reference_uid[0] ? x->ident.frame_of_reference_uid : "(none)");
  if (x->kind == GATE_OBJ_RTSTRUCT && x->ref_series_uid[0])
    fprintf(out, "%s         -> CT series %s\n", indent, x->ref_series_uid);
  if (x->kind == GATE_OBJ_RTDOSE && x->ref_plan_uid[0])
    fprintf(out, "%s         -> RTPLAN %s\n", indent, x->ref_plan_uid);
  if (x->kind == GATE_OBJ_RTPLAN && x->ref_struct_uid[0])
    fprintf(out, "%s         -> RTSTRUCT %s\n", indent, x->ref_struct_uid);
}

void gate_print_graph(const gate_result *g, const rert_case *cs, FILE *out) {
  fprintf(out, "case %s\n", cs->path);
  fprintf(out, "patient %s (case file)%s%s%s%s\n", cs->patient_id, g->patient_id[0] ? "; DICOM PatientID " : "",
          g->patient_id, g->patient_name[0] ? " " : "", g->patient_name);
  fprintf(out, "studies %d, frames of reference %d\n", g->nstudies, g->nfor);
  for (int c = 0; c < cs->ncourses; c++) {
    const case_course *k = &cs->courses[c];
    const gate_course *gc = &g->courses[c];
    fprintf(out, "course %s (%s%s, %s %s, %d fx, %.4g Gy)\n", k->id,
            casefile_role_name(k->role), c == g->reference_course ? ", reference" : "",
            rbe_modality_name(k->modality), rbe_model_name(k->rbe), k->fractions, k->prescription_gy);
    for (int i = 0; i < g->nobjects; i++)
      if (g->objects[i].course == c) print_obj(&g->objects[i], "  ", out);
    if (gc->has_dose) fprintf(out, "  dose     %s\n", gc->dose_desc);
  }
  for (int r = 0; r < cs->nregistrations; r++) {
    const case_registration *rg = &cs->registrations[r];
    fprintf(out, "registration %s -> %s (%s)\n", rg->from, rg->to, rg->type == REG_RIGID ? "rigid" : "deformable");
    for (int i = 0; i < g->nobjects; i++)
      if (g->objects[i].kind == GATE_OBJ_REG && g->objects[i].reg == r) {
        print_obj(&g->objects[i], "  ", out);
        fprintf(out, "           frames: moving %s -> fixed %s\n", g->objects[i].reg_moving_for,
                g->objects[i].reg_fixed_for);
      }
    if (rg->mha[0]) fprintf(out, "  MHA      %s\n", rg->mha);
    if (rg->engine[0]) fprintf(out, "  ENGINE   %s (computed by rert consult)\n", rg->engine);
  }
}

void gate_print_notes(const gate_result *g, FILE *out) {
  for (int i = 0; i < g->findings.n; i++) {
    const gate_finding *x = &g->findings.items[i];
    if (x->severity == GATE_WARNING)
      fprintf(out, "check: WARNING %s%s%s: %s%s%s\n", x->course, x->course[0] ? " " : "", x->check,
              x->where, x->where[0] ? ": " : "", x->message);
    else if (x->severity == GATE_OVERRIDDEN)
      fprintf(out, "check: OVERRIDDEN %s%s%s: %s (override %s, interlock %s: %s)\n", x->course,
              x->course[0] ? " " : "", x->check, x->message, x->override_path, x->interlock,
              x->override_reason);
  }
}

void gate_overrides_note(const gate_result *g, char *buf, size_t n) {
  size_t L = 0;
  buf[0] = 0;
  for (int i = 0; g && i < g->findings.n && L < n; i++) {
    const gate_finding *x = &g->findings.items[i];
    if (x->severity != GATE_OVERRIDDEN) continue;
    int dup = 0;
    for (int j = 0; j < i; j++)
      dup |= g->findings.items[j].severity == GATE_OVERRIDDEN &&
             !strcmp(g->findings.items[j].override_path, x->override_path);
    if (dup) continue;
    L += (size_t)snprintf(buf + L, n - L, "%soverride %s %s: %s", L ? "; " : "", x->override_path,
                          x->interlock, x->override_reason);
  }
}
