/* case_input.c — case file → accum_input: the DICOM gate (rert/gate.h: every object and link,
 * dose semantics, fraction groups), doses mapped onto the reference grid, fractional structure
 * masks, per-organ recovery.
 * domain-reference §3.10; conventions: the reference grid is the reference course's dose grid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rert/accumulate_case.h"
#include "rert/dicomio.h"
#include "rert/fieldcheck.h"
#include "rert/geom.h"
#include "rert/imageio.h"
#include "rert/register.h"

void accum_case_free(accum_case *ac) {
  if (!ac) return;
  for (int c = 0; c < ACCUM_MAX_COURSES; c++) {
    volume_free(&ac->dose[c]);
    volume_free(&ac->lower[c]);
    volume_free(&ac->upper[c]);
  }
  for (int c = 0; c < ACCUM_MAX_COURSES; c++)
    for (int p = 0; p < ACCUM_MAX_PARTS; p++) {
      volume_free(&ac->part[c][p]);
      volume_free(&ac->part_lower[c][p]);
      volume_free(&ac->part_upper[c][p]);
    }
  for (int s = 0; ac->mask && s < ac->in.nstructs; s++) volume_free(&ac->mask[s]);
  free(ac->mask);
  accum_input_free(&ac->in);
  if (ac->has_map) structmap_free(&ac->map);
  free(ac->needed);
  rtdata_free_structure_set(&ac->structure_set);
  if (ac->gate) gate_free(ac->gate);
  free(ac->gate);
  memset(ac, 0, sizeof *ac);
}

static const case_registration *find_reg(const rert_case *cf, const char *from, const char *to) {
  for (int r = 0; r < cf->nregistrations; r++)
    if (!strcmp(cf->registrations[r].from, from) && !strcmp(cf->registrations[r].to, to))
      return &cf->registrations[r];
  return NULL;
}

/* Field on the reference grid taking reference points to course points (pull-back). */
static int course_field(const rert_case *cf, const case_course *co, const case_course *ref,
                        const rert_volume *grid, const rert_dicom_ident *did,
                        const rert_dicom_ident *rid, rert_vfield *f, char *how, size_t hn,
                        rert_err *err) {
  const case_registration *r = find_reg(cf, co->id, ref->id);
  if (r && *r->mha) {
    /* reg_warp_volume_to samples the field wherever it lives, so no resampling here */
    if (imageio_read_vfield(r->mha, f, err)) return RERT_EINPUT;
    /* the field must cover the reference dose region (rert/fieldcheck.h): sampled outside its
     * grid it would be extrapolated */
    if (fieldcheck_coverage(f, NULL, grid, r->mha, ref->rtdose, err)) {
      rtdata_free_vfield(f);
      return RERT_EINPUT;
    }
    snprintf(how, hn, "deformable field %s", r->mha);
    return RERT_OK;
  }
  if (r && *r->dicom) {
    rert_dicom_ident id;
    if (io_read_ident(r->dicom, &id, err)) return RERT_EINPUT;
    /* choose the reader by SOP class: Deformable (…66.3) or Spatial (…66.1) Registration */
    if (!strcmp(id.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.3")) {
      rert_deformable_registration dr;
      memset(&dr, 0, sizeof dr);
      if (io_read_deformable_registration(r->dicom, &dr, err)) return RERT_EINPUT;
      /* coverage in the grid's own frame: z = Post⁻¹(x) (rert/fieldcheck.h) */
      double post_inv[16];
      int rc = reg_affine_invert(dr.post_matrix, post_inv, err);
      if (!rc) rc = fieldcheck_coverage(&dr.field, post_inv, grid, r->dicom, ref->rtdose, err);
      if (!rc) rc = reg_vfield_from_dicom_deformable(&dr, grid, f, err);
      rtdata_free_deformable_registration(&dr);
      snprintf(how, hn, "DICOM deformable registration %s", r->dicom);
      return rc;
    }
    if (strcmp(id.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.1"))
      return rert_err_set(err, RERT_EINPUT, "%s: not a DICOM (deformable) spatial registration (SOP class %s)",
                          r->dicom, id.sop_class_uid);
    rert_rigid_registration rr;
    memset(&rr, 0, sizeof rr);
    if (io_read_spatial_registration(r->dicom, &rr, err)) return RERT_EINPUT;
    snprintf(how, hn, "DICOM rigid registration %s", r->dicom);
    return reg_vfield_from_dicom_rigid(&rr, grid, f, err);
  }
  /* no registration: only allowed in the same frame of reference (identity resampling), or
   * across frames when the case overrides the frame_of_reference interlock (the gate reported it) */
  if (strcmp(did->frame_of_reference_uid, rid->frame_of_reference_uid) &&
      casefile_find_interlock_override(cf, "frame_of_reference", co->id, cf->path)) {
    snprintf(how, hn, "frames differ, identity mapping by override (frame_of_reference)");
    return reg_vfield_alloc_like(f, grid, err);
  }
  if (strcmp(did->frame_of_reference_uid, rid->frame_of_reference_uid))
    return rert_err_set(err, RERT_EINPUT,
                        "%s: course %s is in another frame of reference than %s and the case file has no registration from %s to %s",
                        cf->path, co->id, ref->id, co->id, ref->id);
  snprintf(how, hn, "same frame of reference (identity resampling)");
  return reg_vfield_alloc_like(f, grid, err);
}

/* Point-dose case (no DICOM): one 1-cc voxel per organ named in any course's point_doses, so
 * every metric of that organ equals its point dose. Doses stated as EQD2 are converted back to
 * the course's physical dose with the stated α/β (exact LQ inverse, §1.2) so the engine can
 * re-convert them at whatever α/β a constraint assumes. A planned course without a point for an
 * organ gets its prescription (uniform target dose: the organ is assumed inside the target);
 * a prior course without one gets 0 Gy — both are stated in the mapping text. */
static int load_points_organs(const rert_case *cf, accum_case *ac, char (*organs)[64], int no,
                              rert_err *err);

static int load_points(const rert_case *cf, accum_case *ac, rert_err *err) {
  int npts = 0;
  for (int c = 0; c < cf->ncourses; c++) npts += cf->courses[c].npoints;
  char (*organs)[64] = calloc(npts > 0 ? (size_t)npts : 1, sizeof *organs);
  if (!organs) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int no = 0;
  for (int c = 0; c < cf->ncourses; c++)
    for (int p = 0; p < cf->courses[c].npoints; p++) {
      const char *o = cf->courses[c].points[p].organ;
      int seen = 0;
      for (int k = 0; k < no; k++) seen |= !strcmp(organs[k], o);
      if (seen) continue;
      snprintf(organs[no++], sizeof organs[0], "%s", o);
    }
  int rc = load_points_organs(cf, ac, organs, no, err);
  free(organs);
  return rc;
}

static int load_points_organs(const rert_case *cf, accum_case *ac, char (*organs)[64], int no,
                              rert_err *err) {
  accum_input *in = &ac->in;
  if (no == 0)
    return rert_err_set(err, RERT_EINPUT, "%s: no course has an rtdose or point_doses; nothing to accumulate", cf->path);
  rert_volume g;
  memset(&g, 0, sizeof g);
  g.nx = no;
  g.ny = g.nz = 1;
  g.spacing_mm[0] = g.spacing_mm[1] = g.spacing_mm[2] = 10.0; /* 1 cc voxels */
  int rc = RERT_OK;
  for (int c = 0; c < cf->ncourses && !rc; c++) {
    const case_course *co = &cf->courses[c];
    accum_course *k = &in->courses[c];
    if (!co->has_start_date || !co->has_end_date)
      return rert_err_set(err, RERT_EINPUT, "%s: course %s needs start_date and end_date (recovery interval)", cf->path, co->id);
    ac->dose[c] = g;
    if ((rc = volume_alloc(&ac->dose[c], err))) break;
    ac->dose[c].meta.quantity = QTY_PHYSICAL;
    memset(k, 0, sizeof *k);
    snprintf(k->id, sizeof k->id, "%s", co->id);
    k->is_new = co->role == COURSE_PLANNED && co == casefile_planned_course(cf);
    size_t L = 0;
    ac->mapping[c][0] = 0;
    for (int o = 0; o < no; o++) {
      const case_point_dose *pd = NULL;
      for (int p = 0; p < co->npoints; p++)
        if (!strcmp(co->points[p].organ, organs[o])) pd = &co->points[p];
      double D;
      if (pd && pd->is_eqd2) {
        if (!(pd->alpha_beta_gy > 0))
          return rert_err_set(err, RERT_EINPUT, "%s: course %s point %s: eqd2 needs alpha_beta_gy", cf->path, co->id, pd->organ);
        /* D(D/n + a)/(2 + a) = E solved for D */
        double a = pd->alpha_beta_gy, E = pd->dose_gy, n = co->fractions;
        D = E > 0 ? n * (-a + sqrt(a * a + 4 * (2 + a) * E / n)) / 2 : 0;
      } else if (pd) {
        D = pd->dose_gy;
      } else {
        D = k->is_new && co->prescription_gy > 0 ? co->prescription_gy : 0;
        L += (size_t)snprintf(ac->mapping[c] + L, L < sizeof ac->mapping[c] ? sizeof ac->mapping[c] - L : 0, "%s%s=%s",
                              L ? ", " : "no point for ", organs[o], k->is_new ? "prescription" : "0 Gy");
        if (L >= sizeof ac->mapping[c]) L = sizeof ac->mapping[c] - 1;
      }
      ac->dose[c].data[o] = (float)D;
    }
    if (!ac->mapping[c][0]) snprintf(ac->mapping[c], sizeof ac->mapping[c], "point doses");
  }
  if (rc) return rc;
  ac->mask = calloc((size_t)no, sizeof *ac->mask);
  if (!ac->mask) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int o = 0; o < no; o++) {
    accum_structure *st;
    if ((rc = accum_input_add_structure(in, &st, err))) return rc;
    rert_volume *m = &ac->mask[o];
    *m = g;
    if ((rc = volume_alloc(m, err))) return rc;
    m->data[o] = 1;
    /* a point dose names its organ: the same resolution as ROIs (TG-263 names, targets) */
    smap_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.name, sizeof e.name, "%s", organs[o]);
    snprintf(e.local, sizeof e.local, "%s", organs[o]);
    char kind[4];
    e.role = structmap_target_name(organs[o], kind) ? SROLE_TARGET : SROLE_ORGAN;
    accum_structure_from_map(&e, NULL, cf, cf->ncourses, st);
    st->state = ACCUM_STRUCT_OK; /* a point, not contours */
    st->state_detail[0] = 0;
    st->local_name[0] = 0;
    st->mask = m;
  }
  return RERT_OK;
}

static void fill_course_common(const rert_case *cf, const case_course *co, accum_course *k, accum_case *ac) {
  k->modality = co->modality;
  k->rbe = co->rbe;
  k->fractions = co->fractions;
  k->fractions_per_day = co->fractions_per_day > 0 ? co->fractions_per_day : 1;
  k->interfraction_interval_h = co->interfraction_interval_h;
  k->repair_halftime_h = NAN;
  k->start = co->start_date;
  k->end = co->end_date;
  k->is_new = co->role == COURSE_PLANNED && co == casefile_planned_course(cf);
  if (k->is_new) ac->planned_prescription_gy = co->prescription_gy;
}

static int read_conversion(const rert_case *cf, int c, accum_course *k, rert_err *err) {
  /* explicit RBE conversion: courses[i].x_rbe_convert_to in the case file (site extension) */
  const cJSON *cs = cJSON_GetObjectItemCaseSensitive(cf->root, "courses");
  const cJSON *cj = cJSON_GetArrayItem(cs, c);
  const cJSON *cv = cJSON_GetObjectItemCaseSensitive(cj, "x_rbe_convert_to");
  if (!cJSON_IsString(cv)) return RERT_OK;
  if (rbe_model_parse(cv->valuestring, &k->convert_to, err))
    return rert_err_prefix(err, RERT_EINPUT, "%s: courses[%d].x_rbe_convert_to", cf->path, c);
  k->convert_to_set = 1;
  return RERT_OK;
}

void accum_input_select_bound(accum_input *in, int upper) {
  for (int c = 0; c < in->ncourses; c++) {
    accum_course *k = &in->courses[c];
    if (k->is_new) continue;
    const rert_volume *b = upper ? k->dose_upper : k->dose_lower;
    if (!b) continue;
    k->dose = b;
    for (int p = 0; p < k->nparts; p++) {
      const rert_volume *pb = upper ? k->part_upper[p] : k->part_lower[p];
      if (pb) k->part_dose[p] = pb;
    }
  }
}

/* Map volume `src` of course co onto the reference grid through field f (identity in-frame). */
static int map_onto(const rert_volume *src, const rert_vfield *f, const rert_volume *grid, int is_ref,
                    rert_volume *out, rert_err *err) {
  if (is_ref) {
    int rc = volume_alloc_like(out, grid, err);
    if (!rc) memcpy(out->data, src->data, volume_count(grid) * sizeof(float));
    if (!rc) out->meta = src->meta;
    return rc;
  }
  int rc = reg_warp_volume_to(src, f, grid, REG_INTERP_LINEAR, 0.0f, out, err);
  if (!rc) out->meta = src->meta;
  return rc;
}

/* Resolve the reference RTSTRUCT (ac->structure_set), rasterise the needed ROIs onto the
 * reference grid and append them to ac->in, sorted by name so that nothing depends on the ROI
 * order of the file. An empty ROI or one that cannot be rasterised stays in the list with its
 * state: its constraint rows are NOT EVALUATED, never dropped. */
static int cmp_entry_name(const void *a, const void *b) {
  const smap_entry *x = *(const smap_entry *const *)a, *y = *(const smap_entry *const *)b;
  return strcmp(x->name, y->name);
}

static int accum_case_structures(const rert_case *cf, const accum_case_opts *o, const char *path,
                                 const rert_volume *grid, accum_case *ac, rert_err *err) {
  rert_structure_set *ss = &ac->structure_set;
  int rc = structmap_resolve(ss, path, cf, &ac->map, err);
  if (rc) return rc;
  ac->has_map = 1;
  for (int r = 0; r < ac->map.n; r++)
    snprintf(ss->rois[r].tg263_name, sizeof ss->rois[r].tg263_name, "%s", ac->map.e[r].name);
  ac->needed = calloc(ac->map.n > 0 ? (size_t)ac->map.n : 1, 1);
  const smap_entry **sel = calloc(ac->map.n > 0 ? (size_t)ac->map.n : 1, sizeof *sel);
  if (!ac->needed || !sel) { free(sel); return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
  rc = accum_structures_needed(&ac->map, cf, o ? o->protocols : NULL, o ? o->nprotocols : 0, ac->needed, err);
  int nsel = 0;
  for (int r = 0; r < ac->map.n; r++)
    if (ac->needed[r]) sel[nsel++] = &ac->map.e[r];
  qsort(sel, (size_t)nsel, sizeof *sel, cmp_entry_name);
  ac->mask = calloc(nsel > 0 ? (size_t)nsel : 1, sizeof *ac->mask);
  if (!rc && !ac->mask) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  accum_input *in = &ac->in;
  for (int k = 0; k < nsel && !rc; k++) {
    const smap_entry *e = sel[k];
    const rert_roi *roi = &ss->rois[e->roi_index];
    accum_structure *st;
    if ((rc = accum_input_add_structure(in, &st, err))) break;
    const int s = in->nstructs - 1;
    accum_structure_from_map(e, roi, cf, in->ncourses, st);
    st->list_order = e->roi_index; /* --rule list-order: the structure set's order */
    if (st->state != ACCUM_STRUCT_OK) continue;
    rert_mask m;
    memset(&m, 0, sizeof m);
    rert_err e2;
    if (geom_mask_from_roi(roi, grid, NULL, &m, &e2)) {
      /* never dropped: the rows on it say why they were not evaluated */
      st->state = ACCUM_STRUCT_DEGENERATE;
      snprintf(st->state_detail, sizeof st->state_detail, "contours not usable: %.200s", e2.msg);
      st->roi = NULL;
      continue;
    }
    rc = geom_mask_to_volume(&m, &ac->mask[s], err);
    geom_mask_free(&m);
    if (!rc) st->mask = &ac->mask[s];
  }
  free(sel);
  return rc;
}

int accum_case_dose_scale(const rert_case *cf, int c, double *scale, rert_err *err) {
  *scale = 1.0;
  const cJSON *cj = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cf->root, "courses"), c);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cj, "x_dose_scale");
  if (!v) return RERT_OK;
  if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 3))
    return rert_err_set(err, RERT_EINPUT, "%s: $.courses[%d].x_dose_scale: expected a number in (0, 3]",
                        cf->path, c);
  *scale = v->valuedouble;
  return RERT_OK;
}

/* Multiply a course's dose on the reference grid by its what-if scale (accum_case_dose_scale). */
static int apply_dose_scale(const rert_case *cf, int c, rert_volume *dose, char *how, size_t hn,
                            rert_err *err) {
  double f;
  int rc = accum_case_dose_scale(cf, c, &f, err);
  if (rc || f == 1.0) return rc;
  volume_scale(dose, f);
  size_t L = strlen(how);
  snprintf(how + L, hn - L, "; dose x %.4g (x_dose_scale: what-if)", f);
  return RERT_OK;
}

int accum_case_load(const rert_case *cf, const accum_case_opts *o, accum_case *ac, rert_err *err) {
  memset(ac, 0, sizeof *ac);
  accum_input *in = &ac->in;
  accum_input_init(in);
  in->rule = o ? o->rule : AB_RULE_LOWEST_OAR;
  ac->uncertainty_mm = o ? o->uncertainty_mm : 0;
  ac->planned_prescription_gy = NAN;
  snprintf(in->default_recovery, sizeof in->default_recovery, "%s",
           *cf->recovery_default ? cf->recovery_default : "none");
  const case_course *ref = casefile_reference(cf);
  if (cf->ncourses > ACCUM_MAX_COURSES)
    return rert_err_set(err, RERT_EINPUT, "%s: at most %d courses", cf->path, ACCUM_MAX_COURSES);
  if (!(o && o->keep_candidates) && casefile_ncandidates(cf) > 0) {
    /* a candidate is never summed as if delivered: one must be chosen (or all compared) */
    char list[400] = "";
    for (int c = 0; c < cf->ncourses; c++)
      if (cf->courses[c].role == COURSE_CANDIDATE && strlen(list) + strlen(cf->courses[c].id) + 3 < sizeof list)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "", cf->courses[c].id);
    return rert_err_set(err, RERT_EINPUT,
                        "%s: $.courses: the case has candidate courses (%s): choose one with --candidate "
                        "ID, or compare them with rert compare",
                        cf->path, list);
  }
  /* the DICOM gate: every object and link is checked, and every course's dose resolved into
   * fraction groups, before anything is computed */
  ac->gate = calloc(1, sizeof *ac->gate);
  if (!ac->gate) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  gate_opts go = {GATE_LEVEL_FULL, 1, 0};
  int rc = gate_run(cf, &go, ac->gate, err);
  if (rc) {
    int refused = gate_count(&ac->gate->findings, GATE_REFUSAL) > 0;
    accum_case_free(ac);
    ac->gate_refused = refused;
    return rc;
  }
  int any_dose = 0;
  for (int c = 0; c < cf->ncourses; c++) any_dose |= cf->courses[c].nrtdose > 0;
  if (!any_dose) {
    rc = load_points(cf, ac, err);
    for (int c = 0; !rc && c < cf->ncourses; c++) {
      fill_course_common(cf, &cf->courses[c], &in->courses[c], ac);
      snprintf(in->courses[c].id, sizeof in->courses[c].id, "%s", cf->courses[c].id);
      in->courses[c].dose = &ac->dose[c];
      rc = read_conversion(cf, c, &in->courses[c], err);
      if (!rc) rc = apply_dose_scale(cf, c, &ac->dose[c], ac->mapping[c], sizeof ac->mapping[c], err);
    }
    if (rc) { accum_case_free(ac); return rc; }
    in->ncourses = cf->ncourses;
    return RERT_OK;
  }
  const int iref = (int)(ref - cf->courses);
  const gate_course *gref = &ac->gate->courses[iref];
  if (!ref || !gref->has_dose) {
    accum_case_free(ac);
    return rert_err_set(err, RERT_EINPUT, "%s: the reference course '%s' needs an rtdose (voxel "
                        "accumulation)", cf->path, ref ? ref->id : "?");
  }
  ac->reference_ident = gref->total.ident;
  const rert_volume *grid = &gref->total.dose;
  for (int c = 0; c < cf->ncourses && !rc; c++) {
    const case_course *co = &cf->courses[c];
    const gate_course *gc = &ac->gate->courses[c];
    accum_course *k = &in->courses[in->ncourses];
    memset(k, 0, sizeof *k);
    snprintf(k->id, sizeof k->id, "%s", co->id);
    if (!gc->has_dose) { rc = rert_err_set(err, RERT_EINPUT, "%s: course %s has no rtdose", cf->path, co->id); break; }
    if (!co->has_start_date || !co->has_end_date) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: $.courses[%d].%s: %s course %s needs start_date and end_date (the "
                        "interval since the prior courses decides their recovery; no date is assumed)",
                        cf->path, c, co->has_start_date ? "end_date" : "start_date", casefile_role_name(co->role), co->id);
      break;
    }
    snprintf(ac->plan_uid[c], sizeof ac->plan_uid[c], "%s",
             gc->nplans ? gc->plan_uids[0] : gc->total.referenced_plan_uid);
    const int is_ref = c == iref;
    rert_vfield f;
    memset(&f, 0, sizeof f);
    if (is_ref) snprintf(ac->mapping[c], sizeof ac->mapping[c], "reference grid");
    else rc = course_field(cf, co, ref, grid, &gc->total.ident, &gref->total.ident, &f, ac->mapping[c],
                           sizeof ac->mapping[c], err);
    if (!rc) rc = map_onto(&gc->total.dose, &f, grid, is_ref, &ac->dose[c], err);
    /* fraction groups: own maps when the course has several groups, or one group converted with
     * another count than the course total (the stated upper bound of a plan-summed dose) */
    const int use_parts = gate_course_uses_parts(gc);
    for (int p = 0; use_parts && p < gc->nparts && !rc; p++) {
      rc = map_onto(&gc->parts[p].dose, &f, grid, is_ref, &ac->part[c][p], err);
      k->part_dose[p] = &ac->part[c][p];
      k->part_fractions[p] = gc->parts[p].fractions;
      k->nparts = p + 1;
    }
    /* a candidate in the reference frame is resampled, not registered: no mapping uncertainty
     * (rert/candidates.h drops its bounds), so none is computed. The bounds are taken in the
     * course's own frame around x + u(x) (reg_bound_mapped: filtering the resampled dose
     * flattens peaks and is no bound), before the what-if scale, which then applies to them too. */
    const int cand_same_frame = co->role == COURSE_CANDIDATE &&
                                !strcmp(gc->total.ident.frame_of_reference_uid, gref->total.ident.frame_of_reference_uid);
    const int bounded = !rc && !is_ref && ac->uncertainty_mm > 0 && !cand_same_frame;
    if (bounded) {
      rc = reg_bound_mapped(&gc->total.dose, &f, grid, ac->uncertainty_mm, NULL, &ac->lower[c], &ac->upper[c], err);
      if (!rc) ac->lower[c].meta = ac->upper[c].meta = ac->dose[c].meta;
      k->dose_lower = &ac->lower[c];
      k->dose_upper = &ac->upper[c];
      for (int p = 0; p < k->nparts && !rc; p++) {
        rc = reg_bound_mapped(&gc->parts[p].dose, &f, grid, ac->uncertainty_mm, NULL, &ac->part_lower[c][p],
                              &ac->part_upper[c][p], err);
        if (!rc) ac->part_lower[c][p].meta = ac->part_upper[c][p].meta = ac->part[c][p].meta;
        k->part_lower[p] = &ac->part_lower[c][p];
        k->part_upper[p] = &ac->part_upper[c][p];
      }
    }
    rtdata_free_vfield(&f);
    /* what-if scale of the course (x_dose_scale, report.html's export): total and groups alike,
     * their bounds too */
    if (!rc) rc = apply_dose_scale(cf, c, &ac->dose[c], ac->mapping[c], sizeof ac->mapping[c], err);
    for (int p = 0; p < k->nparts && !rc; p++) {
      char scratch[160] = "";
      rc = apply_dose_scale(cf, c, &ac->part[c][p], scratch, sizeof scratch, err);
    }
    double scale = 1.0;
    if (!rc && bounded && !(rc = accum_case_dose_scale(cf, c, &scale, err))) {
      volume_scale(&ac->lower[c], scale), volume_scale(&ac->upper[c], scale);
      for (int p = 0; p < k->nparts; p++) volume_scale(&ac->part_lower[c][p], scale), volume_scale(&ac->part_upper[c][p], scale);
    }
    if (rc) break;
    k->dose = &ac->dose[c];
    fill_course_common(cf, co, k, ac);
    /* the gate's view of the course: fractions from the plan(s), RBE model after any override */
    k->fractions = gc->fractions;
    k->rbe = gc->rbe;
    if ((rc = read_conversion(cf, c, k, err))) break;
    if (gc->bounded)
      snprintf(ac->mapping[c] + strlen(ac->mapping[c]), sizeof ac->mapping[c] - strlen(ac->mapping[c]),
               "; EQD2 upper bound (plan-summed dose of %d fraction groups)", gc->nparts);
    in->ncourses++;
  }
  if (rc) { accum_case_free(ac); return rc; }
  /* every course is on the reference grid now: the gate's copies are no longer needed (its
   * findings and descriptions stay); ac->reference_ident keeps the identity written out */
  for (int c = 0; c < cf->ncourses; c++) {
    gate_course *gc = &ac->gate->courses[c];
    volume_free(&gc->total.dose);
    for (int p = 0; p < GATE_MAX_PARTS; p++) volume_free(&gc->parts[p].dose);
  }
  grid = &ac->dose[iref]; /* same geometry, data kept */

  /* structures from the reference course's RTSTRUCT: every ROI resolved (structure_map, then
   * the synonym table), only the needed ones rasterised (docs/structures.md) */
  if (*ref->rtstruct) {
    /* kept in ac: constraints are evaluated on the contours (dvh engine), not only the masks */
    if ((rc = io_read_rtstruct(ref->rtstruct, &ac->structure_set, err))) { accum_case_free(ac); return rc; }
    rc = accum_case_structures(cf, o, ref->rtstruct, grid, ac, err);
  }
  if (rc) { accum_case_free(ac); return rc; }
  /* the accum_input points into ac: fix pointers after any copy by the caller (don't copy ac) */
  return RERT_OK;
}
