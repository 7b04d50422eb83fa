/* consult_viewer.c — gathers what report.html's interactive review needs from a finished
 * consult (docs/report.md "Interactive review"): the reference CT (block-averaged to ≤ 256
 * pixels in-plane), every course's mapped physical dose and its upper bound on the reference
 * dose grid (exact float32: the what-if engine recomputes the signed numbers from them), each
 * structure's contours, mask (occupancy ≥ the accumulation's threshold) and assumptions, the
 * recovery models, and every constraint row with the numbers the C engine gave.
 *
 * Only copies: nothing here computes a clinical number. The JavaScript engine
 * (src/report/viewer/engine.js) is a port of accumulate/evaluate and is checked against them.
 */
#if __has_include("rert/accumulate.h")
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consult/consult_ctx.h"
#include "rert/data.h"
#include "rert/recovery.h"
#include "rert/tissue.h"

#define VIEWER_CT_MAX_PX 256

static void add_num(cJSON *o, const char *k, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
  else cJSON_AddNullToObject(o, k);
}

static cJSON *geometry(const rert_volume *v) {
  cJSON *g = cJSON_CreateObject();
  int n[3] = {v->nx, v->ny, v->nz};
  cJSON_AddItemToObject(g, "n", cJSON_CreateIntArray(n, 3));
  cJSON_AddItemToObject(g, "origin", cJSON_CreateDoubleArray(v->origin_mm, 3));
  cJSON_AddItemToObject(g, "spacing", cJSON_CreateDoubleArray(v->spacing_mm, 3));
  cJSON_AddItemToObject(g, "dir", cJSON_CreateDoubleArray(v->dir, 9));
  return g;
}

static int add_volume_blob(rert_report *r, const char *id, const rert_volume *v, rert_err *err) {
  return report_viewer_add_blob(r, id, v->data, volume_count(v) * sizeof(float), 4, err);
}

/* The reference CT, block-averaged in-plane to at most VIEWER_CT_MAX_PX pixels (a real CT at
 * 512² would not fit the 20 MB budget), HU + 1024 clamped to [0, 4095] as uint16. */
static int add_ct(consult_ctx *c, rert_report *r, cJSON *meta, rert_err *err) {
  const rert_volume *ct = &c->ct.image;
  int f = 1;
  while ((ct->nx + f - 1) / f > VIEWER_CT_MAX_PX || (ct->ny + f - 1) / f > VIEWER_CT_MAX_PX) f++;
  rert_volume g = *ct;
  g.data = NULL;
  g.nx = ct->nx / f, g.ny = ct->ny / f;
  if (g.nx < 1 || g.ny < 1) return RERT_OK;
  g.spacing_mm[0] *= f, g.spacing_mm[1] *= f;
  double ijk[3] = {(f - 1) / 2.0, (f - 1) / 2.0, 0};
  volume_index_to_world(ct, ijk, g.origin_mm);
  size_t n = (size_t)g.nx * g.ny * g.nz;
  unsigned short *px = malloc(n * sizeof *px);
  if (!px) return rert_err_set(err, RERT_EINTERNAL, "viewer: out of memory for the CT");
  for (int k = 0; k < g.nz; k++)
    for (int j = 0; j < g.ny; j++)
      for (int i = 0; i < g.nx; i++) {
        double s = 0;
        for (int b = 0; b < f; b++)
          for (int a = 0; a < f; a++)
            s += ct->data[(size_t)(i * f + a) + (size_t)ct->nx * ((size_t)(j * f + b) + (size_t)ct->ny * k)];
        double hu = s / (f * f) + 1024.0;
        px[(size_t)i + (size_t)g.nx * ((size_t)j + (size_t)g.ny * k)] =
            (unsigned short)(hu < 0 ? 0 : hu > 4095 ? 4095 : hu + 0.5);
      }
  int rc = report_viewer_add_blob(r, "ct", px, n * sizeof *px, 2, err);
  free(px);
  if (rc) return rc;
  cJSON *o = geometry(&g);
  cJSON_AddStringToObject(o, "blob", "ct");
  cJSON_AddStringToObject(o, "encoding", "uint16 HU+1024");
  cJSON_AddNumberToObject(o, "block", f);
  cJSON_AddItemToObject(meta, "ct", o);
  return RERT_OK;
}

static cJSON *recovery_models(void) {
  cJSON *arr = cJSON_CreateArray();
  char (*names)[64] = calloc(128, 64);
  int n = 0;
  rert_err e;
  if (!names || recovery_model_names(names, 128, &n, &e)) n = 0;
  cJSON *root = NULL;
  if (data_load_json("recovery_models.json", &root, &e)) root = NULL;
  for (int i = 0; i < n; i++) {
    recovery_model m;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", names[i]);
    /* models that need a parameter (fixed, exponential, jones_grant) fail here and are listed
     * with their kind only: the page composes "name:key=value" for them */
    int ok = recovery_model_get(names[i], &m, &e) == RERT_OK;
    const cJSON *ent, *found = NULL;
    const cJSON *models = root ? cJSON_GetObjectItemCaseSensitive(root, "models") : NULL;
    cJSON_ArrayForEach(ent, models) {
      const cJSON *nm = cJSON_GetObjectItemCaseSensitive(ent, "name");
      if (cJSON_IsString(nm) && !strcmp(nm->valuestring, names[i])) found = ent;
    }
    const cJSON *kind = found ? cJSON_GetObjectItemCaseSensitive(found, "kind") : NULL;
    static const char *const kinds[] = {"none", "stepwise", "fixed", "exponential", "jones_grant",
                                        "limit_uplift", "limit_scale"};
    cJSON_AddStringToObject(o, "kind", ok && (unsigned)m.kind < 7 ? kinds[m.kind]
                                       : cJSON_IsString(kind) ? kind->valuestring : "none");
    const cJSON *al = found ? cJSON_GetObjectItemCaseSensitive(found, "aliases") : NULL;
    if (al) cJSON_AddItemToObject(o, "aliases", cJSON_Duplicate(al, 1));
    const cJSON *src = found ? cJSON_GetObjectItemCaseSensitive(found, "source") : NULL;
    if (cJSON_IsString(src)) cJSON_AddStringToObject(o, "source", src->valuestring);
    const cJSON *req = found ? cJSON_GetObjectItemCaseSensitive(found, "required") : NULL;
    if (req) cJSON_AddItemToObject(o, "required", cJSON_Duplicate(req, 1));
    /* parameters from the data entry (so a model needing one still has its defaults) */
    static const char *const keys[] = {"fraction_recovered", "halftime_years", "r_max", "jg_a", "jg_b",
                                       "bed_tol_gy", "limit_factor", "uplift_after_months"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
      double v = NAN;
      if (ok) {
        const double *slots[] = {&m.fraction_recovered, &m.halftime_years, &m.r_max, &m.jg_a, &m.jg_b,
                                 &m.bed_tol_gy, &m.limit_factor, &m.uplift_after_months};
        v = *slots[k];
      } else if (found) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(found, keys[k]);
        if (cJSON_IsNumber(x)) v = x->valuedouble;
      }
      if (isfinite(v)) cJSON_AddNumberToObject(o, keys[k], v);
    }
    cJSON *steps = cJSON_AddArrayToObject(o, "steps");
    if (ok)
      for (int s = 0; s < m.nsteps; s++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddNumberToObject(st, "from_months", m.step_from_months[s]);
        cJSON_AddNumberToObject(st, "fraction_recovered", m.step_fraction[s]);
        cJSON_AddItemToArray(steps, st);
      }
    cJSON_AddItemToArray(arr, o);
  }
  cJSON_Delete(root);
  free(names);
  return arr;
}

static const char *verdict_word(accum_verdict v) {
  switch (v) {
    case VERDICT_PASS: return "pass";
    case VERDICT_FAIL: return "fail";
    case VERDICT_NOT_APPLICABLE: return "n/a";
    case VERDICT_INCOMPLETE: return "incomplete";
    default: return "not evaluated";
  }
}

static cJSON *protocol_rows(consult_ctx *c, int rbe_converted) {
  cJSON *arr = cJSON_CreateArray();
  static const char *const mk[] = {"Dmax", "Dmin", "Dmean", "D_cc", "D_pct", "V_Gy", "CV_Gy"};
  static const char *const qn[] = {"EQD2", "BED", "dose"};
  for (int p = 0; p < c->nprot; p++) {
    cJSON *po = cJSON_CreateObject();
    cJSON_AddStringToObject(po, "name", c->prot[p].name);
    cJSON_AddStringToObject(po, "title", c->prot[p].title);
    cJSON *rows = cJSON_AddArrayToObject(po, "rows");
    const accum_evaluation *ev = &c->ev[p];
    for (int k = 0; k < ev->nrows; k++) {
      const accum_eval_row *e = &ev->rows[k];
      const protocol_constraint *pc = e->c;
      int s = -1;
      for (int q = 0; q < c->in.nstructs; q++)
        if (!strcmp(c->in.structs[q].name, e->structure)) s = q;
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "constraint_id", pc->id);
      cJSON_AddStringToObject(o, "structure", e->structure);
      cJSON_AddNumberToObject(o, "s", s);
      cJSON *m = cJSON_AddObjectToObject(o, "metric");
      cJSON_AddStringToObject(m, "kind", (unsigned)pc->metric.kind < 7 ? mk[pc->metric.kind] : "?");
      cJSON_AddNumberToObject(m, "param", pc->metric.param);
      cJSON_AddBoolToObject(m, "volume_in_pct", pc->metric.volume_in_pct);
      cJSON_AddStringToObject(m, "text", pc->metric.text);
      cJSON_AddBoolToObject(o, "has_limit", pc->has_limit);
      add_num(o, "limit_base", pc->limit);
      cJSON_AddStringToObject(o, "limit_unit", pc->limit_unit);
      cJSON_AddStringToObject(o, "cmp", protocol_cmp_name(pc->cmp));
      cJSON_AddStringToObject(o, "tier", protocol_tier_name(pc->tier));
      cJSON_AddBoolToObject(o, "hard", protocol_tier_is_hard(pc->tier));
      cJSON_AddStringToObject(o, "scope", protocol_scope_name(pc->scope));
      cJSON_AddStringToObject(o, "quantity", (unsigned)pc->quantity < 3 ? qn[pc->quantity] : "?");
      add_num(o, "alpha_beta_gy", pc->alpha_beta_gy); /* null: the organ's */
      cJSON_AddStringToObject(o, "recovery", pc->recovery);
      cJSON *iv = cJSON_AddObjectToObject(o, "interval");
      cJSON_AddBoolToObject(iv, "has_min", pc->interval.has_min);
      cJSON_AddBoolToObject(iv, "min_inclusive", pc->interval.min_inclusive);
      add_num(iv, "min_months", pc->interval.min_months);
      cJSON_AddBoolToObject(iv, "has_max", pc->interval.has_max);
      cJSON_AddBoolToObject(iv, "max_inclusive", pc->interval.max_inclusive);
      add_num(iv, "max_months", pc->interval.max_months);
      /* what the C engine gave (the signed numbers) */
      add_num(o, "c_value", e->value);
      add_num(o, "c_limit", e->limit);
      cJSON_AddStringToObject(o, "c_verdict", verdict_word(e->verdict));
      add_num(o, "c_worst_value", e->has_worst ? e->worst_value : NAN);
      cJSON_AddStringToObject(o, "c_worst_verdict", e->has_worst ? verdict_word(e->worst_verdict) : "not evaluated");
      add_num(o, "c_alpha_beta_gy", e->alpha_beta_gy);
      cJSON_AddStringToObject(o, "c_recovery_used", e->recovery_used);
      cJSON_AddStringToObject(o, "explanation", e->explanation);
      cJSON_AddStringToObject(o, "source", pc->source);
      /* rows the what-if cannot change (no planned course, RBE model of the limit) or cannot
       * recompute (structures without contours, RBE-converted courses) keep the signed result */
      const char *fixed = NULL;
      if (e->verdict == VERDICT_NOT_EVALUATED) fixed = "not evaluated in the signed consult";
      else if (s < 0 || !c->in.structs[s].roi) fixed = "structure without contours";
      else if (rbe_converted) fixed = "a course is RBE-converted: what-if not available";
      if (fixed) cJSON_AddStringToObject(o, "fixed", fixed);
      cJSON_AddItemToArray(rows, o);
    }
    cJSON_AddItemToArray(arr, po);
  }
  return arr;
}

int consult_add_viewer(consult_ctx *c, rert_report *r, rert_err *err) {
  if (!c->has_res) return RERT_OK;
  cJSON *meta = cJSON_CreateObject();
  cJSON_AddStringToObject(meta, "format", "rert-viewer/1");
  cJSON_AddStringToObject(meta, "patient_id", c->cs.patient_id);
  cJSON_AddStringToObject(meta, "created_utc", c->created_utc);
  cJSON_AddItemToObject(meta, "grid", geometry(&c->grid));
  int rc = RERT_OK;
  if (c->has_ct) rc = add_ct(c, r, meta, err);
  /* courses: mapped physical dose (exact float32) and the upper bound */
  cJSON *courses = cJSON_AddArrayToObject(meta, "courses");
  int rbe_converted = 0;
  const case_course *pl = casefile_planned_course(&c->cs);
  for (int i = 0; i < c->in.ncourses && !rc; i++) {
    const accum_course *a = &c->in.courses[i];
    const case_course *cc = &c->cs.courses[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", a->id);
    cJSON_AddStringToObject(o, "role", a->is_new ? "planned" : "prior");
    cJSON_AddBoolToObject(o, "is_new", a->is_new);
    cJSON_AddBoolToObject(o, "is_reference", i == c->iref);
    cJSON_AddNumberToObject(o, "fractions", a->fractions);
    cJSON_AddNumberToObject(o, "fractions_per_day", a->fractions_per_day);
    add_num(o, "interfraction_interval_h", a->interfraction_interval_h);
    add_num(o, "repair_halftime_h", a->repair_halftime_h);
    add_num(o, "prescription_gy", cc->prescription_gy);
    cJSON_AddStringToObject(o, "modality", rbe_modality_name(a->modality));
    cJSON_AddStringToObject(o, "rbe_model", rbe_model_name(a->rbe));
    char d[11];
    if (cc->has_start_date) { date_format(cc->start_date, d); cJSON_AddStringToObject(o, "start_date", d); }
    if (cc->has_end_date) { date_format(cc->end_date, d); cJSON_AddStringToObject(o, "end_date", d); }
    if (!a->is_new) {
      rert_date to = c->in.has_reference_date ? c->in.reference_date : a->end;
      for (int q = 0; q < c->in.ncourses; q++)
        if (c->in.courses[q].is_new) to = c->in.courses[q].start;
      cJSON_AddNumberToObject(o, "interval_days", (double)date_diff_days(a->end, to));
      add_num(o, "interval_months", c->res.interval_months[i]);
    }
    cJSON_AddStringToObject(o, "mapping", c->reg[i].method);
    if (a->convert_to_set && a->convert_to != a->rbe) rbe_converted = 1;
    char id[32];
    snprintf(id, sizeof id, "dose%d", i);
    cJSON_AddStringToObject(o, "dose", id);
    rc = add_volume_blob(r, id, &c->mapped[i], err);
    if (!rc && c->has_upper) {
      snprintf(id, sizeof id, "upper%d", i);
      cJSON_AddStringToObject(o, "upper", id);
      rc = add_volume_blob(r, id, &c->upper[i], err);
    }
    cJSON_AddItemToArray(courses, o);
  }
  if (pl && pl->has_start_date) {
    char d[11];
    date_format(pl->start_date, d);
    cJSON_AddStringToObject(meta, "new_course_start", d);
  }
  /* structures: assumptions, mask (occupancy ≥ threshold on its box), contours */
  cJSON *structs = cJSON_AddArrayToObject(meta, "structures");
  const float thr = (float)c->in.mask_threshold;
  for (int k = 0; k < c->in.nstructs && !rc; k++) {
    const accum_structure *st = &c->in.structs[k];
    const rert_roi *roi = c->roi[k];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", st->name);
    cJSON_AddStringToObject(o, "roi_name", roi->name);
    cJSON_AddBoolToObject(o, "is_target", st->is_target);
    cJSON_AddBoolToObject(o, "is_recurrence", k == c->irec);
    int rgb[3] = {roi->color_rgb[0], roi->color_rgb[1], roi->color_rgb[2]};
    if (!rgb[0] && !rgb[1] && !rgb[2]) rgb[0] = rgb[1] = rgb[2] = 200;
    cJSON_AddItemToObject(o, "rgb", cJSON_CreateIntArray(rgb, 3));
    add_num(o, "alpha_beta_gy", c->res.struct_alpha_beta_gy[k]);
    cJSON *rec = cJSON_AddArrayToObject(o, "recovery");
    for (int i = 0; i < c->in.ncourses; i++) cJSON_AddItemToArray(rec, cJSON_CreateString(st->recovery[i]));
    tissue_params tp;
    rert_err e2;
    double t12 = NAN;
    if (!st->is_target && !tissue_lookup(st->name, &tp, &e2)) t12 = tp.repair_halftime_h;
    add_num(o, "t12_h", t12);
    add_num(o, "volume_cc", geom_mask_volume_cc(&c->mask[k]));
    /* mask bits on the mask's box, as accumulate_run reads them (maskvol ≥ threshold) */
    const rert_mask *mk = &c->mask[k];
    size_t nb = (size_t)mk->n[0] * mk->n[1] * mk->n[2];
    unsigned char *bits = malloc(nb ? nb : 1);
    if (!bits) { cJSON_Delete(o); rc = rert_err_set(err, RERT_EINTERNAL, "viewer: out of memory"); break; }
    const rert_volume *mv = &c->maskvol[k];
    for (int z = 0; z < mk->n[2]; z++)
      for (int y = 0; y < mk->n[1]; y++)
        for (int x = 0; x < mk->n[0]; x++) {
          size_t gi = (size_t)(x + mk->lo[0]) + (size_t)mv->nx * ((size_t)(y + mk->lo[1]) + (size_t)mv->ny * (size_t)(z + mk->lo[2]));
          bits[(size_t)x + (size_t)mk->n[0] * ((size_t)y + (size_t)mk->n[1] * z)] = mv->data[gi] >= thr;
        }
    char id[32];
    snprintf(id, sizeof id, "mask%d", k);
    cJSON *mo = cJSON_AddObjectToObject(o, "mask");
    cJSON_AddItemToObject(mo, "lo", cJSON_CreateIntArray(mk->lo, 3));
    cJSON_AddItemToObject(mo, "n", cJSON_CreateIntArray(mk->n, 3));
    cJSON_AddStringToObject(mo, "blob", id);
    rc = report_viewer_add_blob(r, id, bits, nb, 1, err);
    free(bits);
    /* closed planar contours as float64 x,y,z (exact: the engine rebuilds the shape of C) */
    size_t npts = 0;
    int ncont = 0;
    for (int q = 0; q < roi->ncontours; q++)
      if (roi->contours[q].type == CONTOUR_CLOSED_PLANAR && roi->contours[q].xyz_mm) npts += (size_t)roi->contours[q].npoints, ncont++;
    if (!rc && npts) {
      double *xyz = malloc(3 * npts * sizeof *xyz);
      cJSON *counts = cJSON_CreateArray();
      if (!xyz) { cJSON_Delete(counts); cJSON_Delete(o); rc = rert_err_set(err, RERT_EINTERNAL, "viewer: out of memory"); break; }
      size_t w = 0;
      for (int q = 0; q < roi->ncontours; q++) {
        const rert_contour *ct = &roi->contours[q];
        if (ct->type != CONTOUR_CLOSED_PLANAR || !ct->xyz_mm) continue;
        memcpy(xyz + 3 * w, ct->xyz_mm, 3 * (size_t)ct->npoints * sizeof *xyz);
        w += (size_t)ct->npoints;
        cJSON_AddItemToArray(counts, cJSON_CreateNumber(ct->npoints));
      }
      snprintf(id, sizeof id, "roi%d", k);
      cJSON *co = cJSON_AddObjectToObject(o, "contours");
      cJSON_AddStringToObject(co, "blob", id);
      cJSON_AddItemToObject(co, "counts", counts);
      rc = report_viewer_add_blob(r, id, xyz, 3 * npts * sizeof *xyz, 8, err);
      free(xyz);
    }
    cJSON_AddItemToArray(structs, o);
  }
  cJSON *df = cJSON_AddObjectToObject(meta, "defaults");
  add_num(df, "unlisted_alpha_beta_gy", c->res.unlisted_alpha_beta_gy);
  add_num(df, "target_alpha_beta_gy", c->res.target_alpha_beta_gy);
  cJSON_AddStringToObject(df, "rule", c->in.rule == AB_RULE_LIST_ORDER ? "list-order" : "lowest-oar");
  cJSON_AddStringToObject(df, "rule_text", c->res.rule_text);
  cJSON_AddNumberToObject(df, "mask_threshold", c->in.mask_threshold);
  cJSON_AddStringToObject(df, "default_recovery", c->in.default_recovery);
  cJSON_AddBoolToObject(df, "outside_grid_strict", c->in.outside_grid_strict);
  {
    /* longest repair half-time of any tissue: accum_prepare's fallback for tissue without one */
    tissue_params *tl = calloc(256, sizeof *tl);
    int nt = 0;
    double fb = NAN;
    rert_err e3;
    if (tl && !tissue_list(tl, 256, &nt, &e3))
      for (int i = 0; i < nt; i++)
        if (tl[i].repair_halftime_h > 0 && !(tl[i].repair_halftime_h <= fb)) fb = tl[i].repair_halftime_h;
    free(tl);
    add_num(df, "fallback_t12_h", fb);
  }
  cJSON_AddNumberToObject(meta, "uncertainty_mm", c->o->uncertainty_mm);
  cJSON_AddItemToObject(meta, "recovery_models", recovery_models());
  cJSON_AddItemToObject(meta, "protocols", protocol_rows(c, rbe_converted));
  cJSON_AddBoolToObject(meta, "whatif_available", !rbe_converted);
  if (c->cs.root) cJSON_AddItemToObject(meta, "case_file", cJSON_Duplicate(c->cs.root, 1));
  if (rc) {
    cJSON_Delete(meta);
    return rc;
  }
  report_viewer_set(r, meta);
  return RERT_OK;
}
#endif
