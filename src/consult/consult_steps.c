/* consult_steps.c — the computational steps of the consult (rert/consult.h): load and check
 * inputs, registration and mapping onto the reference dose grid, structure masks, per-course
 * EQD2 / recovery / cumulative (accumulate.h), worst case within the registration uncertainty
 * radius (register.h min/max filter, domain-reference §3.10), protocol verdicts and the
 * remaining-tolerance map with the regimen solver.
 *
 * The reference grid is the reference course's RTDOSE grid: the planned dose is then never
 * resampled, and prior doses are pulled onto it through the registration field.
 */
#if __has_include("rert/accumulate.h")
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consult/consult_ctx.h"
#include "rert/accumulate_case.h"
#include "rert/fieldcheck.h"
#include "rert/imageio.h"

static void add_input(consult_ctx *c, const char *role, const char *path) {
  char hex[65];
  rert_err e;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "role", role);
  cJSON_AddStringToObject(o, "path", path);
  if (report_sha256_file(path, hex, &e) == RERT_OK)
    cJSON_AddStringToObject(o, "sha256", hex);
  else
    cJSON_AddNullToObject(o, "sha256");
  cJSON_AddItemToArray(c->inputs, o);
}

/* A directory (CT series) is hashed as the SHA-256 of "name sha256\n" lines of its regular
 * files in byte order of their names, so the digest does not depend on readdir order. */
static void add_input_dir(consult_ctx *c, const char *role, const char *dir) {
  struct dirent **list = NULL;
  int n = scandir(dir, &list, NULL, alphasort);
  if (n < 0) {
    add_input(c, role, dir);
    return;
  }
  size_t cap = 1024, len = 0;
  char *lines = malloc(cap);
  int nfiles = 0;
  for (int i = 0; i < n; i++) {
    if (list[i]->d_name[0] != '.' && lines) {
      char p[2048], hex[65];
      rert_err e;
      snprintf(p, sizeof p, "%s/%s", dir, list[i]->d_name);
      if (report_sha256_file(p, hex, &e) == RERT_OK) {
        size_t need = strlen(list[i]->d_name) + 67;
        if (len + need + 1 > cap) {
          cap = (len + need + 1) * 2;
          char *q = realloc(lines, cap);
          if (!q) {
            free(lines);
            lines = NULL;
          } else {
            lines = q;
          }
        }
        if (lines) len += (size_t)snprintf(lines + len, cap - len, "%s %s\n", list[i]->d_name, hex);
        nfiles++;
      }
    }
    free(list[i]);
  }
  free(list);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "role", role);
  cJSON_AddStringToObject(o, "path", dir);
  if (lines) {
    char hex[65];
    report_sha256_buffer(lines, len, hex);
    cJSON_AddStringToObject(o, "sha256", hex);
  } else {
    cJSON_AddNullToObject(o, "sha256");
  }
  cJSON_AddNumberToObject(o, "files", nfiles);
  cJSON_AddItemToArray(c->inputs, o);
  free(lines);
}

int consult_step_load(consult_ctx *c, rert_err *err) {
  int rc = casefile_load(c->o->case_path, &c->cs, err);
  if (rc) return rc;
  /* candidate courses: compared first, then the case is reduced to the chosen one */
  if ((rc = consult_candidates_prepare(c, err))) return rc;
  const case_course *ref = casefile_reference(&c->cs);
  if (!ref) return rert_err_set(err, RERT_EINPUT, "%s: no courses", c->o->case_path);
  c->iref = (int)(ref - c->cs.courses);
  add_input(c, "case file", c->o->case_path);
  for (int i = 0; i < c->cs.ncourses; i++)
    if (!c->cs.courses[i].rtdose[0])
      return rert_err_set(err, RERT_EINPUT,
                          "%s: course '%s' has no rtdose; a DICOM consult needs a dose per course "
                          "(point-dose questions: rert budget)",
                          c->o->case_path, c->cs.courses[i].id);
  return RERT_OK;
}

int consult_step_dicom(consult_ctx *c, rert_err *err) {
  const rert_dicom_ident *ids[RERT_CASE_MAX_COURSES + 2];
  int nid = 0;
  /* the DICOM gate: every object and link checked and each course's dose resolved (fraction
   * groups, per-beam and per-session doses) before anything is computed (rert/gate.h) */
  c->gate = calloc(1, sizeof *c->gate);
  if (!c->gate) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  gate_opts go = {GATE_LEVEL_FULL, 1, 1};
  int grc = gate_run(&c->cs, &go, c->gate, err);
  if (grc) return grc;
  for (int k = 0; k < c->gate->findings.n; k++) {
    const gate_finding *x = &c->gate->findings.items[k];
    if (x->severity != GATE_WARNING && x->severity != GATE_OVERRIDDEN) continue;
    char note[2048];
    if (x->severity == GATE_OVERRIDDEN)
      snprintf(note, sizeof note, "OVERRIDDEN interlock %s (%s: %s): %s %s %s: %s", x->interlock,
               x->override_path, x->override_reason, x->course, x->file, x->where, x->message);
    else
      snprintf(note, sizeof note, "check %s: %s %s %s: %s", x->check, x->course, x->file, x->where,
               x->message);
    cJSON_AddItemToArray(c->notes, cJSON_CreateString(note));
  }
  for (int i = 0; i < c->cs.ncourses; i++) {
    const case_course *cc = &c->cs.courses[i];
    gate_course *gc = &c->gate->courses[i];
    /* the course dose as the gate resolved it (ownership moves to the consult) */
    c->dose[i] = gc->total;
    memset(&gc->total.dose, 0, sizeof gc->total.dose);
    c->has_dose[i] = 1;
    char role[96];
    for (int d = 0; d < cc->nrtdose; d++) {
      if (cc->nrtdose > 1) snprintf(role, sizeof role, "RTDOSE %s #%d", cc->id, d + 1);
      else snprintf(role, sizeof role, "RTDOSE %s", cc->id);
      add_input(c, role, cc->rtdoses[d]);
    }
    for (int p = 0; p < cc->nrtplan; p++) {
      if (cc->nrtplan > 1) snprintf(role, sizeof role, "RTPLAN %s #%d", cc->id, p + 1);
      else snprintf(role, sizeof role, "RTPLAN %s", cc->id);
      add_input(c, role, cc->rtplans[p]);
    }
    ids[nid++] = &c->dose[i].ident;
  }
  const case_course *ref = &c->cs.courses[c->iref];
  c->grid = c->dose[c->iref].dose;
  c->grid.data = NULL;
  if (ref->ct_dir[0]) {
    io_read_opts ro = {0, ref->ct_series_uid};
    int rc = io_read_image_series(ref->ct_dir, &ro, &c->ct, err);
    if (rc) return rc;
    c->has_ct = 1;
    add_input_dir(c, "CT (reference)", ref->ct_dir);
    ids[nid++] = &c->ct.ident;
  }
  if (ref->rtstruct[0]) {
    int rc = io_read_rtstruct(ref->rtstruct, &c->ss, err);
    if (rc) return rc;
    c->has_ss = 1;
    add_input(c, "RTSTRUCT (reference)", ref->rtstruct);
    ids[nid++] = &c->ss.ident;
    /* each contour's slab is its CT slice (rert/geom.h); without the CT, inferred from all ROIs */
    if (c->has_ct) rc = geom_slices_from_image(&c->ct, &c->slices, err);
    else {
      const rert_roi **all = malloc(((size_t)c->ss.nrois + 1) * sizeof *all);
      if (!all) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
      for (int r = 0; r < c->ss.nrois; r++) all[r] = &c->ss.rois[r];
      rc = geom_slices_infer(all, c->ss.nrois, &c->slices, err);
      free(all);
    }
    if (rc) return rc;
  } else {
    return rert_err_set(err, RERT_EINPUT, "%s: reference course '%s' has no rtstruct",
                        c->o->case_path, ref->id);
  }
  for (int r = 0; r < c->cs.nregistrations; r++) {
    const case_registration *g = &c->cs.registrations[r];
    if (g->dicom[0]) add_input(c, "registration (DICOM)", g->dicom);
    if (g->mha[0]) add_input(c, "registration (vector field)", g->mha);
  }
  return io_check_same_patient(ids, nid, 0, err);
}

static const case_registration *find_reg(const rert_case *cs, const char *from, const char *to) {
  for (int r = 0; r < cs->nregistrations; r++)
    if (strcmp(cs->registrations[r].from, from) == 0 && strcmp(cs->registrations[r].to, to) == 0)
      return &cs->registrations[r];
  return NULL;
}

/* The registration of course i onto the reference: the field (pull-back, on the reference side)
 * and what the QA needs to judge it. `mct` receives the course's CT when the case gives one (the
 * QA's image checks use it for imported registrations too). */
typedef struct {
  rert_image_series mct;
  int has_mct;
  double rigid[16];       /* rigid baseline of a computed registration */
  int has_rigid;
  char reg_fixed_frame[RERT_UID_LEN], reg_moving_frame[RERT_UID_LEN]; /* a DICOM REG's frames */
  int same_frame;         /* no registration needed */
} course_reg_inputs;

static int course_field(consult_ctx *c, int i, rert_vfield *f, course_reg_inputs *ri, rert_err *err) {
  const case_course *cc = &c->cs.courses[i], *ref = &c->cs.courses[c->iref];
  consult_reg *rg = &c->reg[i];
  const case_registration *g = find_reg(&c->cs, cc->id, ref->id);
  int rc;
  if (cc->ct_dir[0] && (g || strcmp(c->dose[i].ident.frame_of_reference_uid,
                                    c->dose[c->iref].ident.frame_of_reference_uid) != 0)) {
    io_read_opts cro = {0, cc->ct_series_uid};
    rc = io_read_image_series(cc->ct_dir, &cro, &ri->mct, err);
    if (rc) return rc;
    ri->has_mct = 1;
    char role[96];
    snprintf(role, sizeof role, "CT %s", cc->id);
    add_input_dir(c, role, cc->ct_dir);
  }
  if (g && g->mha[0]) {
    rc = imageio_read_vfield(g->mha, f, err);
    if (rc) return rc;
    /* the field must cover the reference dose region (rert/fieldcheck.h) */
    if ((rc = fieldcheck_coverage(f, NULL, &c->dose[c->iref].dose, g->mha, ref->rtdose, err))) {
      rtdata_free_vfield(f);
      return rc;
    }
    snprintf(rg->method, sizeof rg->method, "imported deformable vector field (%s)", g->mha);
    rg->has_field = 1;
    return RERT_OK;
  }
  if (g && g->dicom[0]) {
    if (g->type == REG_RIGID) {
      rert_rigid_registration rr;
      rc = io_read_spatial_registration(g->dicom, &rr, err);
      if (rc) return rc;
      snprintf(ri->reg_fixed_frame, sizeof ri->reg_fixed_frame, "%s", rr.fixed_frame_uid);
      snprintf(ri->reg_moving_frame, sizeof ri->reg_moving_frame, "%s", rr.moving_frame_uid);
      rc = reg_vfield_from_dicom_rigid(&rr, &c->grid, f, err);
      snprintf(rg->method, sizeof rg->method, "imported rigid DICOM REG");
      return rc;
    }
    rert_deformable_registration dr;
    memset(&dr, 0, sizeof dr);
    rc = io_read_deformable_registration(g->dicom, &dr, err);
    if (rc) return rc;
    snprintf(ri->reg_fixed_frame, sizeof ri->reg_fixed_frame, "%s", dr.fixed_frame_uid);
    snprintf(ri->reg_moving_frame, sizeof ri->reg_moving_frame, "%s", dr.moving_frame_uid);
    /* coverage in the grid's own frame z = Post⁻¹(x) (rert/fieldcheck.h) */
    double post_inv[16];
    rc = reg_affine_invert(dr.post_matrix, post_inv, err);
    if (!rc) rc = fieldcheck_coverage(&dr.field, post_inv, &c->dose[c->iref].dose, g->dicom, ref->rtdose, err);
    if (!rc) rc = reg_vfield_from_dicom_deformable(&dr, &c->grid, f, err);
    rtdata_free_deformable_registration(&dr);
    snprintf(rg->method, sizeof rg->method, "imported deformable DICOM REG");
    rg->has_field = 1;
    return rc;
  }
  /* a registration the case asks rert to compute ({"engine": ...}) is computed even within one
   * frame of reference: the anatomy may have changed on the same couch frame */
  int computed = g && g->engine[0];
  if (!computed && strcmp(c->dose[i].ident.frame_of_reference_uid, c->dose[c->iref].ident.frame_of_reference_uid) == 0) {
    memset(f, 0, sizeof *f);
    rc = reg_vfield_alloc_like(f, &c->grid, err);
    snprintf(rg->method, sizeof rg->method, "none needed: same frame of reference");
    ri->same_frame = 1;
    return rc;
  }
  /* no registration given and the frames differ, or the case asks for one: register the course
   * CT to the reference CT */
  if (!ri->has_mct || !c->has_ct) {
    if (computed)
      return rert_err_set(err, RERT_EINPUT, "%s: $.registrations: '%s' to '%s' is to be computed (engine %s) but %s has no CT (ct_dir)",
                          c->o->case_path, cc->id, ref->id, g->engine, ri->has_mct ? ref->id : cc->id);
    return rert_err_set(err, RERT_EINPUT,
                        "%s: course '%s' is in another frame of reference and the case gives no "
                        "registration to '%s' nor both CTs",
                        c->o->case_path, cc->id, ref->id);
  }
  /* The registration pipeline (rert/register.h): rigid on the whole scans, then the B-spline on
   * the reference dose grid + 30 mm, down to the CT's own resolution on fine CTs (demons after it
   * on coarse ones) — the field is only read on the dose grid, so that is where it must be
   * accurate. The engine is the case file's when it names one. */
  reg_pipeline_opts po;
  reg_pipeline_opts_default(&po);
  if (computed) po.engine = (reg_engine)reg_engine_parse(g->engine); /* validated by the case file */
  po.whole_body = 0;
  po.nroi = 1;
  for (int a = 0; a < 3; a++) po.roi_lo[0][a] = INFINITY, po.roi_hi[0][a] = -INFINITY;
  for (int q = 0; q < 8; q++) {
    double p[3] = {q & 1 ? c->grid.nx - 1 : 0, q & 2 ? c->grid.ny - 1 : 0, q & 4 ? c->grid.nz - 1 : 0}, x[3];
    volume_index_to_world(&c->grid, p, x);
    for (int a = 0; a < 3; a++) po.roi_lo[0][a] = fmin(po.roi_lo[0][a], x[a]), po.roi_hi[0][a] = fmax(po.roi_hi[0][a], x[a]);
  }
  reg_pipeline_report rep;
  rc = reg_pipeline_run(&c->ct.image, &ri->mct.image, &po, f, &rep, err);
  if (rc) return rert_err_prefix(err, rc, "registering course '%s' CT to '%s'", cc->id, ref->id);
  memcpy(ri->rigid, rep.m_fixed_to_moving, sizeof ri->rigid);
  ri->has_rigid = 1;
  snprintf(rg->method, sizeof rg->method, "computed CT to CT: %s (%.1f s)", rep.description,
           rep.seconds_rigid + rep.seconds_deformable);
  rg->has_field = 1;
  return RERT_OK;
}

/* The registration QA (rert/regqa.h) of course i's field; a failed or unevaluable QA blocks a
 * PASS unless the case file overrides {"interlock": "registration_qa", "course": ID?}. */
static int course_qa(consult_ctx *c, int i, const rert_vfield *f, course_reg_inputs *ri, rert_err *err) {
  const case_course *cc = &c->cs.courses[i];
  consult_reg *rg = &c->reg[i];
  rert_structure_set sm;
  int has_sm = 0, rc = RERT_OK;
  if (cc->rtstruct[0] && c->has_ss) {
    rc = io_read_rtstruct(cc->rtstruct, &sm, err);
    if (rc) return rc;
    has_sm = 1;
    for (int r = 0; r < sm.nrois; r++)
      if (!sm.rois[r].tg263_name[0])
        snprintf(sm.rois[r].tg263_name, sizeof sm.rois[r].tg263_name, "%s", casefile_map_structure(&c->cs, sm.rois[r].name));
    char role[96];
    snprintf(role, sizeof role, "RTSTRUCT %s", cc->id);
    add_input(c, role, cc->rtstruct);
  }
  reg_qa_input in;
  memset(&in, 0, sizeof in);
  in.field = f;
  in.fixed_ct = c->has_ct ? &c->ct.image : NULL;
  in.moving_ct = ri->has_mct ? &ri->mct.image : NULL;
  in.region = &c->grid; /* every voxel of the reference dose grid inside the body counts */
  in.moving_extent = &c->dose[i].dose;
  in.rigid_fixed_to_moving = ri->has_rigid ? ri->rigid : NULL;
  in.ss_fixed = has_sm ? &c->ss : NULL;
  in.ss_moving = has_sm ? &sm : NULL;
  in.frame_fixed_ct = c->has_ct ? c->ct.ident.frame_of_reference_uid : "";
  in.frame_fixed_dose = c->dose[c->iref].ident.frame_of_reference_uid;
  in.frame_moving_ct = ri->has_mct ? ri->mct.ident.frame_of_reference_uid : "";
  in.frame_moving_dose = c->dose[i].ident.frame_of_reference_uid;
  in.reg_frame_fixed = ri->reg_fixed_frame;
  in.reg_frame_moving = ri->reg_moving_frame;
  rc = reg_qa_run(&in, NULL, &rg->check, err);
  if (has_sm) rtdata_free_structure_set(&sm);
  if (rc) return rert_err_prefix(err, rc, "registration QA of course '%s'", cc->id);
  rg->has_check = 1;
  rg->radius_mm = rg->check.radius_mm;
  {
    /* memcpy, not snprintf: gcc's -Wrestrict takes two members of one struct for an overlap */
    size_t len = strnlen(rg->check.radius_source, sizeof rg->check.radius_source);
    if (len >= sizeof rg->radius_source) len = sizeof rg->radius_source - 1;
    memcpy(rg->radius_source, rg->check.radius_source, len);
    rg->radius_source[len] = '\0';
  }
  if (rg->check.overall == REG_QA_FAIL || rg->check.overall == REG_QA_NOT_EVALUATED) {
    const case_override *ov = casefile_find_interlock_override(&c->cs, "registration_qa", cc->id, NULL);
    char ids[200], note[700];
    reg_qa_failed_ids(&rg->check, ids, sizeof ids);
    if (ov) {
      snprintf(rg->override_reason, sizeof rg->override_reason, "%s", ov->reason);
      snprintf(note, sizeof note, "Registration QA of course %s %s (%s); overridden by %s: %s", cc->id,
               rg->check.overall == REG_QA_FAIL ? "failed" : "could not be evaluated", ids[0] ? ids : "no anatomy check possible",
               ov->json_path, ov->reason);
    } else {
      rg->blocks = 1;
      snprintf(note, sizeof note,
               "Registration QA of course %s %s (%s): the verdict is at best INCOMPLETE. Fix the registration, or "
               "override with {\"interlock\": \"registration_qa\", \"course\": \"%s\", \"reason\": ...}",
               cc->id, rg->check.overall == REG_QA_FAIL ? "failed" : "could not be evaluated",
               ids[0] ? ids : "no CT pair, common contours or landmarks", cc->id);
    }
    cJSON_AddItemToArray(c->notes, cJSON_CreateString(note));
  }
  return RERT_OK;
}

/* The fraction-group doses of course i onto the reference grid through f (NULL: reference). */
static int map_parts(consult_ctx *c, int i, const rert_vfield *f, rert_err *err) {
  const gate_course *gc = &c->gate->courses[i];
  if (!gate_course_uses_parts(gc)) return RERT_OK;
  for (int p = 0; p < gc->nparts; p++) {
    int rc;
    if (!f) {
      rc = volume_copy(&c->mapped_part[i][p], &gc->parts[p].dose, err);
    } else {
      rc = reg_warp_volume_to(&gc->parts[p].dose, f, &c->grid, REG_INTERP_LINEAR, 0.0f,
                              &c->mapped_part[i][p], err);
    }
    if (rc) return rc;
    c->mapped_part[i][p].meta = gc->parts[p].dose.meta;
  }
  return RERT_OK;
}

int consult_step_register(consult_ctx *c, rert_err *err) {
  for (int i = 0; i < c->cs.ncourses; i++) {
    c->reg[i].radius_mm = NAN;
    if (i == c->iref) {
      int rc = volume_copy(&c->mapped[i], &c->dose[i].dose, err);
      if (rc) return rc;
      snprintf(c->reg[i].method, sizeof c->reg[i].method, "reference course (not mapped)");
      if ((rc = map_parts(c, i, NULL, err))) return rc;
      continue;
    }
    rert_vfield f;
    memset(&f, 0, sizeof f);
    course_reg_inputs ri;
    memset(&ri, 0, sizeof ri);
    int rc = course_field(c, i, &f, &ri, err);
    /* the field on the reference dose grid: where the dose is read (Jacobian statistics) and
     * where the worst case is taken (consult_step_accumulate) */
    if (!rc) rc = reg_vfield_resample(&f, &c->grid, &c->reg[i].u_grid, err);
    if (!rc) c->reg[i].has_u_grid = 1;
    if (!rc && c->reg[i].has_field && reg_qa_field(&c->reg[i].u_grid, NULL, NULL, &c->reg[i].qa, err) == RERT_OK)
      c->reg[i].has_qa = 1;
    if (!rc && !ri.same_frame) rc = course_qa(c, i, &f, &ri, err);
    if (!rc)
      rc = reg_warp_volume_to(&c->dose[i].dose, &f, &c->grid, REG_INTERP_LINEAR, 0.0f,
                              &c->mapped[i], err);
    if (!rc) rc = map_parts(c, i, &f, err);
    rtdata_free_vfield(&f);
    if (ri.has_mct) rtdata_free_image_series(&ri.mct);
    if (rc) return rert_err_prefix(err, rc, "course '%s'", c->cs.courses[i].id);
    c->mapped[i].meta = c->dose[i].dose.meta;
  }
  /* what-if dose scale (case file x_dose_scale, from report.html's export): applied to the
   * mapped dose before anything else and said in the report */
  for (int i = 0; i < c->cs.ncourses; i++) {
    double f;
    int rc = accum_case_dose_scale(&c->cs, i, &f, err);
    if (rc) return rc;
    if (f == 1.0) continue;
    volume_scale(&c->mapped[i], f);
    for (int p = 0; p < ACCUM_MAX_PARTS; p++) volume_scale(&c->mapped_part[i][p], f); /* the fraction groups alike */
    char note[300];
    snprintf(note, sizeof note,
             "course %s: dose multiplied by %.4g (case file x_dose_scale): a what-if, not the planned "
             "or delivered dose", c->cs.courses[i].id, f);
    cJSON_AddItemToArray(c->notes, cJSON_CreateString(note));
  }
  return RERT_OK;
}

/* The protocols of the case file and --protocol, loaded once (the structures needed depend on
 * them; consult_step_evaluate evaluates them). */
static int load_protocols(consult_ctx *c, rert_err *err) {
  if (c->nprot > 0) return RERT_OK;
  const char *names[RERT_CASE_MAX_PROTOCOLS];
  int n = 0;
  for (int p = 0; p < c->cs.nprotocols && n < RERT_CASE_MAX_PROTOCOLS; p++) names[n++] = c->cs.protocols[p];
  for (int p = 0; p < c->o->nprotocols; p++) {
    int dup = 0;
    for (int q = 0; q < n; q++) dup |= strcmp(names[q], c->o->protocols[p]) == 0;
    if (dup) continue;
    if (n >= RERT_CASE_MAX_PROTOCOLS)
      return rert_err_set(err, RERT_EINPUT, "--protocol: more than %d protocols", RERT_CASE_MAX_PROTOCOLS);
    names[n++] = c->o->protocols[p];
  }
  if (n == 0)
    return rert_err_set(err, RERT_EINPUT,
                        "%s: $.protocols is empty and no --protocol was given (rert protocols list)",
                        c->o->case_path);
  for (int p = 0; p < n; p++) {
    int rc = protocol_load(names[p], &c->prot[p], err);
    if (rc) return rc;
    c->nprot = p + 1;
  }
  return RERT_OK;
}

static int cmp_entry_name(const void *a, const void *b) {
  const smap_entry *x = *(const smap_entry *const *)a, *y = *(const smap_entry *const *)b;
  return strcmp(x->name, y->name);
}

/* Every ROI resolved (structure_map, synonym table; rert/structmap.h); the needed ones —
 * targets, organs with a constraint or tissue parameters, the recurrence — rasterised, in name
 * order so that nothing depends on the ROI order of the file. An empty ROI or one whose contours
 * cannot be rasterised stays (its constraint rows are NOT EVALUATED) and is noted. */
int consult_step_masks(consult_ctx *c, rert_err *err) {
  c->irec = -1;
  const char *ss_path = c->cs.courses[c->iref].rtstruct;
  int rc = load_protocols(c, err);
  if (rc) return rc;
  rc = structmap_resolve(&c->ss, ss_path, &c->cs, &c->map, err);
  if (rc) return rc;
  c->has_map = 1;
  for (int r = 0; r < c->map.n; r++)
    snprintf(c->ss.rois[r].tg263_name, sizeof c->ss.rois[r].tg263_name, "%s", c->map.e[r].name);
  const rert_protocol *pp[RERT_CASE_MAX_PROTOCOLS];
  for (int p = 0; p < c->nprot; p++) pp[p] = &c->prot[p];
  size_t n = c->map.n > 0 ? (size_t)c->map.n : 1;
  c->needed = calloc(n, 1);
  const smap_entry **sel = calloc(n, sizeof *sel);
  c->roi = calloc(n, sizeof *c->roi);
  c->entry = calloc(n, sizeof *c->entry);
  c->mask = calloc(n, sizeof *c->mask);
  c->maskvol = calloc(n, sizeof *c->maskvol);
  c->is_target = calloc(n, sizeof *c->is_target);
  if (!c->needed || !sel || !c->roi || !c->entry || !c->mask || !c->maskvol || !c->is_target) {
    free(sel);
    return rert_err_set(err, RERT_EINTERNAL, "consult: out of memory for %d structures", c->map.n);
  }
  rc = accum_structures_needed(&c->map, &c->cs, pp, c->nprot, c->needed, err);
  int nsel = 0;
  for (int r = 0; r < c->map.n; r++)
    if (c->needed[r]) sel[nsel++] = &c->map.e[r];
  qsort(sel, (size_t)nsel, sizeof *sel, cmp_entry_name);
  const char *rn = c->cs.recurrence_roi;
  for (int q = 0; q < nsel && !rc; q++) {
    const smap_entry *e = sel[q];
    const rert_roi *roi = &c->ss.rois[e->roi_index];
    int k = c->nroi++;
    c->roi[k] = roi;
    c->entry[k] = e;
    c->is_target[k] = e->role == SROLE_TARGET;
    if (rn[0] && (strcasecmp(rn, roi->name) == 0 || strcmp(rn, e->name) == 0)) c->irec = k;
    if (roi->ncontours == 0) continue;
    rert_err e2;
    rert_raster_opts ro = {0, 0, &c->slices}; /* each contour's slab is its image slice */
    if (geom_mask_from_roi(roi, &c->grid, &ro, &c->mask[k], &e2) != RERT_OK) {
      memset(&c->mask[k], 0, sizeof c->mask[k]);
      char note[1400];
      snprintf(note, sizeof note, "structure %s (ROI '%s'): contours not usable, its constraints are NOT EVALUATED: %s",
               e->name, roi->name, e2.msg);
      cJSON_AddItemToArray(c->notes, cJSON_CreateString(note));
      continue;
    }
    rc = geom_mask_to_volume(&c->mask[k], &c->maskvol[k], err);
    if (rc) rert_err_prefix(err, rc, "structure %s", roi->name);
  }
  free(sel);
  if (rc) return rc;
  if (rn[0] && c->irec < 0)
    return rert_err_set(err, RERT_EINPUT, "%s: recurrence_roi '%s' is not in %s", c->o->case_path, rn, ss_path);
  if (c->irec >= 0 && !c->maskvol[c->irec].data)
    return rert_err_set(err, RERT_EINPUT, "%s: recurrence_roi '%s' in %s has no usable contours", c->o->case_path,
                        rn, ss_path);
  return RERT_OK;
}

static void fill_input(consult_ctx *c, accum_input *in, int use_upper) {
  accum_input_init(in);
  in->ncourses = c->cs.ncourses;
  for (int i = 0; i < c->cs.ncourses; i++) {
    const case_course *cc = &c->cs.courses[i];
    accum_course *a = &in->courses[i];
    snprintf(a->id, sizeof a->id, "%s", cc->id);
    a->dose = use_upper && c->has_upper ? &c->upper[i] : &c->mapped[i];
    a->dose_upper = c->has_upper ? &c->upper[i] : NULL;
    a->modality = cc->modality;
    /* the gate's view: fractions from the RTPLAN(s), RBE model after any override, groups */
    const gate_course *gc = &c->gate->courses[i];
    a->rbe = gc->rbe;
    a->fractions = gc->fractions > 0 ? gc->fractions : cc->fractions;
    for (int p = 0; gate_course_uses_parts(gc) && p < gc->nparts; p++) {
      a->part_dose[p] = use_upper && c->has_upper ? &c->upper_part[i][p] : &c->mapped_part[i][p];
      a->part_upper[p] = c->has_upper ? &c->upper_part[i][p] : NULL;
      a->part_fractions[p] = gc->parts[p].fractions;
      a->nparts = p + 1;
    }
    a->fractions_per_day = cc->fractions_per_day > 0 ? cc->fractions_per_day : 1;
    a->interfraction_interval_h = cc->interfraction_interval_h;
    a->repair_halftime_h = NAN;
    if (cc->has_start_date) a->start = cc->start_date;
    if (cc->has_end_date) a->end = cc->end_date;
    a->is_new = cc->role == COURSE_PLANNED;
  }
  const case_course *ref = &c->cs.courses[c->iref];
  if (!casefile_planned_course(&c->cs) && ref->has_start_date) {
    in->has_reference_date = 1;
    in->reference_date = ref->start_date;
  }
  snprintf(in->default_recovery, sizeof in->default_recovery, "%s",
           c->cs.recovery_default[0] ? c->cs.recovery_default : "none");
  in->slices = &c->slices;
  /* the same structures, in the same (name) order as consult_step_masks */
  for (int k = 0; k < c->nroi; k++) {
    accum_structure *s;
    rert_err e2;
    if (accum_input_add_structure(in, &s, &e2)) break; /* out of memory: accumulate_run reports the shortfall */
    accum_structure_from_map(c->entry[k], c->roi[k], &c->cs, c->cs.ncourses, s);
    if (c->maskvol[k].data) {
      s->mask = &c->maskvol[k]; /* contours: constraint metrics use the rert dvh engine (docs/accumulate.md) */
    } else if (s->state == ACCUM_STRUCT_OK) {
      s->state = ACCUM_STRUCT_DEGENERATE;
      snprintf(s->state_detail, sizeof s->state_detail, "contours could not be rasterised (see the report notes)");
      s->roi = NULL;
    }
  }
}

/* Upper bound of one mapped dose: the nominal map itself when the radius is 0 (the reference
 * course), else the maximum of the course's own dose over the ball (reg_bound_mapped) × scale. */
static int upper_bound(const rert_volume *own, const rert_vfield *u, const rert_volume *grid, double radius_mm, double scale,
                       const rert_volume *mapped, rert_volume *upper, rert_err *err) {
  int rc;
  if (!(radius_mm > 0)) {
    rc = volume_copy(upper, mapped, err);
  } else {
    rert_volume lo;
    memset(&lo, 0, sizeof lo);
    rc = reg_bound_mapped(own, u, grid, radius_mm, NULL, &lo, upper, err);
    volume_free(&lo);
    if (!rc) volume_scale(upper, scale);
  }
  if (!rc) {
    upper->meta = mapped->meta;
    upper->meta.bound = BOUND_UPPER;
  }
  return rc;
}

int consult_step_accumulate(consult_ctx *c, rert_err *err) {
  /* worst case: each mapped course's dose maximised within its radius — the command line's when
   * given, else the radius its registration QA supports, else the default. The reference course
   * is on its own grid (no mapping): its upper bound is its dose, the same rule as rert
   * evaluate/accumulate (case_input.c) */
  int any = 0;
  for (int i = 0; i < c->cs.ncourses; i++) {
    consult_reg *rg = &c->reg[i];
    if (i == c->iref) {
      rg->radius_mm = 0;
      snprintf(rg->radius_source, sizeof rg->radius_source, "reference course (not mapped)");
    } else if (c->o->uncertainty_given || !(rg->radius_mm > 0)) {
      rg->radius_mm = c->o->uncertainty_mm;
      snprintf(rg->radius_source, sizeof rg->radius_source, "%s",
               c->o->uncertainty_given ? "--uncertainty-mm" : "default (no QA-derived estimate)");
    }
    any |= i != c->iref && rg->radius_mm > 0;
  }
  if (any) {
    for (int i = 0; i < c->cs.ncourses; i++) {
      const double radius_mm = i == c->iref ? 0.0 : c->reg[i].radius_mm;
      if (radius_mm > 0 && !c->reg[i].has_u_grid)
        return rert_err_set(err, RERT_EINTERNAL, "course '%s': no field on the reference grid for the uncertainty bound",
                            c->cs.courses[i].id);
      /* the maximum over the ball around x + u(x) in the course's own dose (reg_bound_mapped),
       * then the case's what-if scale as on the nominal map */
      double scale = 1.0;
      int rc = accum_case_dose_scale(&c->cs, i, &scale, err);
      if (!rc) rc = upper_bound(&c->dose[i].dose, &c->reg[i].u_grid, &c->grid, radius_mm, scale, &c->mapped[i],
                                &c->upper[i], err);
      if (rc) return rert_err_prefix(err, rc, "course '%s' uncertainty bound", c->cs.courses[i].id);
      for (int p = 0; gate_course_uses_parts(&c->gate->courses[i]) && p < c->gate->courses[i].nparts; p++) {
        rc = upper_bound(&c->gate->courses[i].parts[p].dose, &c->reg[i].u_grid, &c->grid, radius_mm, scale,
                         &c->mapped_part[i][p], &c->upper_part[i][p], err);
        if (rc) return rert_err_prefix(err, rc, "course '%s' uncertainty bound", c->cs.courses[i].id);
      }
    }
    c->has_upper = 1;
  }
  fill_input(c, &c->in, 0);
  int rc = accumulate_run(&c->in, &c->res, err);
  if (rc) return rc;
  c->has_res = 1;
  if (c->has_upper) {
    accum_input *w = malloc(sizeof *w);
    if (!w) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
    fill_input(c, w, 1);
    rc = accumulate_run(w, &c->worst, err);
    accum_input_free(w);
    free(w);
    if (rc) return rert_err_prefix(err, rc, "worst case");
    c->has_worst = 1;
  }
  return RERT_OK;
}

int consult_step_evaluate(consult_ctx *c, rert_err *err) {
  int rc = load_protocols(c, err);
  if (rc) return rc;
  const rert_protocol *pp[RERT_CASE_MAX_PROTOCOLS];
  for (int p = 0; p < c->nprot; p++) pp[p] = &c->prot[p];
  /* one call: the DVHs of each map are computed once and shared by every protocol */
  return accumulate_evaluate_protocols(&c->in, pp, c->nprot, c->ev, err);
}

int consult_step_budget(consult_ctx *c, rert_err *err) {
  c->best_regimen = -1;
  const case_course *pl = casefile_planned_course(&c->cs);
  if (!pl) return RERT_OK; /* prior-only sum: nothing to budget */
  c->budget_fractions = pl->fractions;
  const rert_protocol *pp[RERT_CASE_MAX_PROTOCOLS];
  for (int p = 0; p < c->nprot; p++) pp[p] = &c->prot[p];
  /* remaining tolerance under every hard point-like row of every protocol (tightest governs) */
  int rc = accumulate_budget_protocols(&c->in, pp, c->nprot, pl->fractions, pl->fractions_per_day,
                                       pl->interfraction_interval_h, &c->remaining, &c->maxnew,
                                       &c->exhausted, err);
  if (rc) return rert_err_prefix(err, rc, "remaining tolerance");
  c->has_budget = 1;
  /* Regimen solver: every regimen of data/regimens.json against every hard row of every
   * protocol, within the regimen's clinical range (accumulate_solve), ranked. */
  accum_regimen *regs = NULL;
  int nr = 0;
  rc = accumulate_regimens_load(NULL, &regs, &nr, &c->targets, err);
  if (rc) return rert_err_prefix(err, rc, "regimen solver");
  if (!(pl->prescription_gy > 0)) {
    free(regs);
    return RERT_OK; /* nothing to scale; the report says so */
  }
  for (int r = 0; r < nr && r < CONSULT_MAX_SOLVER; r++) {
    rc = accumulate_solve(&c->in, pp, c->nprot, pl->prescription_gy, &regs[r], &c->targets,
                          &c->solver[c->nsolver], err);
    if (rc) {
      rert_err_prefix(err, rc, "regimen solver (%s)", regs[r].name);
      free(regs);
      return rc;
    }
    c->nsolver++;
  }
  free(regs);
  accumulate_solutions_rank(c->solver, c->nsolver, &c->targets);
  for (int r = 0; r < c->nsolver; r++)
    if (c->solver[r].rank == 1 && c->solver[r].feasible) c->best_regimen = r;
  return RERT_OK;
}

void consult_ctx_free(consult_ctx *c) {
  for (int i = 0; i < RERT_CASE_MAX_COURSES; i++) {
    if (c->has_dose[i]) rtdata_free_rtdose(&c->dose[i]);
    volume_free(&c->mapped[i]);
    volume_free(&c->upper[i]);
    if (c->reg[i].has_u_grid) rtdata_free_vfield(&c->reg[i].u_grid);
    for (int p = 0; p < ACCUM_MAX_PARTS; p++) {
      volume_free(&c->mapped_part[i][p]);
      volume_free(&c->upper_part[i][p]);
    }
  }
  if (c->gate) gate_free(c->gate);
  free(c->gate);
  c->gate = NULL;
  if (c->has_ct) rtdata_free_image_series(&c->ct);
  if (c->has_ss) rtdata_free_structure_set(&c->ss);
  geom_slices_free(&c->slices);
  for (int k = 0; k < c->nroi; k++) {
    geom_mask_free(&c->mask[k]);
    volume_free(&c->maskvol[k]);
  }
  free(c->mask);
  free(c->maskvol);
  free(c->roi);
  free(c->entry);
  free(c->is_target);
  free(c->needed);
  if (c->has_map) structmap_free(&c->map);
  accum_input_free(&c->in);
  if (c->has_res) accum_result_free(&c->res);
  if (c->has_worst) accum_result_free(&c->worst);
  for (int p = 0; p < c->nprot; p++) {
    if (c->ev[p].rows) accum_evaluation_free(&c->ev[p]);
    protocol_free(&c->prot[p]);
  }
  volume_free(&c->remaining);
  volume_free(&c->maxnew);
  volume_free(&c->exhausted);
  cJSON_Delete(c->inputs);
  cJSON_Delete(c->notes);
  consult_candidates_free(c);
  casefile_free(&c->cs);
}
#endif
