/* eval_metric.c — the map a constraint is checked on (EQD2/BED at the constraint's α/β with
 * its recovery, or the new-course dose; domain-reference §1.1, §3, §5) and its metric: on
 * structures with contours by the DVH engine of `rert dvh` (rert/dvh.h, docs/dvh.md), on
 * contour-less masks by voxel samples (protocol_metric_eval). docs/accumulate.md "One DVH
 * engine" explains the definitions and the incomplete rule. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"
#include "rert/geom.h"

void accum_cache_free(eval_cache *c) {
  for (int i = 0; i < c->n; i++) dvh_free(&c->e[i].dvh);
  free(c->e);
  geom_slices_free(&c->slices);
  memset(c, 0, sizeof *c);
}

/* The image slices every structure's slabs come from (rert/geom.h): the caller's (the reference
 * CT) when given, else inferred from the contour planes of all structures together — the slabs
 * `rert dvh` gives the same structure set. */
void accum_cache_init(eval_cache *c, const accum_input *in) {
  memset(c, 0, sizeof *c);
  rert_err e;
  if (in->slices && geom_slices_copy(in->slices, &c->slices, &e) == RERT_OK) return;
  const rert_roi **rois = malloc(((size_t)in->nstructs + 1) * sizeof *rois);
  int m = 0;
  for (int s = 0; rois && s < in->nstructs; s++)
    if (in->structs[s].roi) rois[m++] = in->structs[s].roi;
  if (!rois || geom_slices_infer(rois, m, &c->slices, &e)) memset(&c->slices, 0, sizeof c->slices);
  free(rois);
}

/* Value of the constraint's map at voxel v (EQD2/BED at the constraint's α/β of the locally
 * converted dose, recovered priors; or the new-course dose). cmax, when given, collects the
 * largest per-course contribution. */
static double map_value(const accum_input *in, const accum_prep *pp, const accum_map_spec *ms,
                        const accum_recovery *rec, size_t v, double *cmax) {
  double sum = 0;
  for (int k = 0; k < in->ncourses; k++) {
    const accum_course *co = &in->courses[k];
    int is_new = k == pp->new_index;
    if (ms->scope == SCOPE_NEW_COURSE && !is_new) continue;
    double q;
    if (ms->quantity == PQ_DOSE) {
      const rert_volume *dv = ms->worst && co->dose_upper ? co->dose_upper : co->dose;
      q = accum_course_dose(pp, co, k, dv->data[v]) * (is_new ? ms->scale : 1.0);
    } else {
      /* each fraction group with its own fractions (accum_course_eqd2) */
      q = accum_course_eqd2(pp, co, k, v, ms->worst, is_new ? ms->scale : 1.0, ms->n[k], ms->h[k], ms->ab);
      if (!is_new && !rec[k].is_limit) q = accum_recover(&rec[k], q, pp->interval_months[k], ms->ab);
    }
    if (cmax && q > cmax[k]) cmax[k] = q;
    sum += q;
  }
  if (ms->quantity == PQ_BED) sum *= 1.0 + 2.0 / ms->ab;
  return sum;
}

static int any_upper(const accum_input *in) {
  for (int k = 0; k < in->ncourses; k++)
    if (in->courses[k].dose_upper) return 1;
  return 0;
}

/* Structures without contours: the protocol metric on the mask's voxel samples (occupancy ×
 * voxel volume at the voxel-centre value). */
int accum_eval_from_mask(const accum_input *in, const accum_prep *pp, const protocol_constraint *c,
                          accum_map_spec *ms, const accum_recovery *rec, accum_eval_row *row,
                          double *cmax, rert_err *err) {
  const accum_structure *st = &in->structs[ms->s];
  const float *mk = st->mask->data;
  size_t cnt = 0;
  for (size_t v = 0; v < pp->nvox; v++)
    if (mk[v] > 0) cnt++;
  if (cnt == 0) {
    row->verdict = VERDICT_NOT_EVALUATED;
    snprintf(row->explanation, sizeof row->explanation, "structure %s has no voxels on the dose grid (outside the dose grid)", st->name);
    return RERT_OK;
  }
  size_t *idx = malloc(cnt * sizeof *idx);
  double *val = malloc(cnt * sizeof *val), *w = malloc(cnt * sizeof *w);
  if (!idx || !val || !w) {
    free(idx); free(val); free(w);
    return rert_err_set(err, RERT_EINTERNAL, "evaluate: out of memory");
  }
  size_t j = 0;
  double vol = 0;
  for (size_t v = 0; v < pp->nvox; v++)
    if (mk[v] > 0) { idx[j] = v; w[j] = mk[v] * pp->voxel_cc; vol += w[j]; j++; }
  row->structure_cc = vol;
  int rc = RERT_OK;
  for (int pass = 0; pass < 2 && !rc; pass++) {
    if (pass == 1 && !any_upper(in)) break;
    ms->worst = pass;
    for (j = 0; j < cnt; j++) val[j] = map_value(in, pp, ms, rec, idx[j], pass == 0 ? cmax : NULL);
    double r;
    rc = protocol_metric_eval(&c->metric, val, w, cnt, &r, err);
    if (rc) break;
    if (pass == 0) row->value = r;
    else { row->has_worst = 1; row->worst_value = r; }
  }
  free(idx); free(val); free(w);
  return rc;
}

/* The protocol metric on a DVH of the contours, with docs/dvh.md's definitions. D_x cc of a
 * structure smaller than x cc is undefined there; a point-like limit then takes Dmax (the
 * hottest point of the whole structure bounds every D_x from above: conservative), said in
 * *note. CV_x = inside volume − V_x. */
static int eval_dvh_metric(const rert_dvh *d, const protocol_metric *pm, double *value,
                           rert_dvh_value *dv, char *note, size_t notelen, rert_err *err) {
  rert_dvh_metric m;
  memset(&m, 0, sizeof m);
  snprintf(m.text, sizeof m.text, "%s", pm->text);
  m.param = pm->param;
  switch (pm->kind) {
  case MET_DMAX: m.kind = DVH_DMAX; break;
  case MET_DMIN: m.kind = DVH_DMIN; break;
  case MET_DMEAN: m.kind = DVH_DMEAN; break;
  case MET_D_CC: m.kind = DVH_D_CC; break;
  case MET_D_PCT: m.kind = DVH_D_PCT; break;
  case MET_V_GY:
  case MET_CV_GY: m.kind = DVH_V_GY_CC; break;
  }
  if (pm->kind == MET_D_CC && d->status == RERT_OK && pm->param > d->total_cc * (1 + 1e-9)) {
    snprintf(note, notelen, "structure is %.4f cc < %g cc: %s undefined, Dmax used (conservative)",
             d->total_cc, pm->param, pm->text);
    m.kind = DVH_DMAX;
  }
  rert_err e;
  int rc = dvh_metric_eval(d, &m, dv, &e);
  if (rc) {
    *err = e;
    return rc;
  }
  double v = dv->value;
  if (pm->kind == MET_CV_GY) v = d->inside_cc - v;
  if ((pm->kind == MET_V_GY || pm->kind == MET_CV_GY) && pm->volume_in_pct) v = 100.0 * v / d->total_cc;
  *value = v;
  return RERT_OK;
}

/* The DVH of the map inside the structure's contours: the map is built on the ROI's bounding
 * box (plus one voxel, clipped to the grid, so trilinear cells and the grid-edge rule are those
 * of the full grid) and integrated by dvh_compute_rois — the engine of `rert dvh`. */
static int dvh_for(const accum_input *in, const accum_prep *pp, const accum_map_spec *ms,
                   const accum_recovery *rec, eval_cache *cache, const eval_entry **out,
                   rert_err *err) {
  for (int i = 0; i < cache->n; i++)
    if (!memcmp(&cache->e[i].key, ms, sizeof *ms)) {
      *out = &cache->e[i];
      return RERT_OK;
    }
  if (cache->n == cache->cap) {
    int nc = cache->cap ? 2 * cache->cap : 64;
    eval_entry *ne = realloc(cache->e, nc * sizeof *ne);
    if (!ne) return rert_err_set(err, RERT_EINTERNAL, "evaluate: out of memory");
    cache->e = ne, cache->cap = nc;
  }
  eval_entry *en = &cache->e[cache->n];
  memset(en, 0, sizeof *en);
  en->key = *ms;
  const accum_structure *st = &in->structs[ms->s];
  const rert_volume *g = st->mask;
  rert_roi_info info;
  rert_err e2;
  double thick = cache->thick_mm > 0 ? cache->thick_mm : g->spacing_mm[2];
  int lo[3] = {0, 0, 0}, hi[3] = {g->nx - 1, g->ny - 1, g->nz - 1};
  rert_geom_opts go = {thick, &cache->slices};
  if (!geom_roi_info_ex(st->roi, &go, &info, NULL, &e2)) {
    double mn[3] = {INFINITY, INFINITY, INFINITY}, mx[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int q = 0; q < 8; q++) {
      double x[3], ijk[3];
      for (int a = 0; a < 3; a++) x[a] = (q >> a) & 1 ? info.bbox_hi_mm[a] : info.bbox_lo_mm[a];
      volume_world_to_index(g, x, ijk);
      for (int a = 0; a < 3; a++) {
        if (ijk[a] < mn[a]) mn[a] = ijk[a];
        if (ijk[a] > mx[a]) mx[a] = ijk[a];
      }
    }
    int n3[3] = {g->nx, g->ny, g->nz};
    for (int a = 0; a < 3; a++) {
      double l = floor(mn[a]) - 1, h = ceil(mx[a]) + 1;
      lo[a] = l < 0 ? 0 : (l > n3[a] - 1 ? n3[a] - 1 : (int)l);
      hi[a] = h > n3[a] - 1 ? n3[a] - 1 : (h < 0 ? 0 : (int)h);
      if (hi[a] < lo[a]) hi[a] = lo[a]; /* entirely outside: a one-voxel box, dvh says so */
    }
  }
  rert_volume b = *g;
  b.data = NULL;
  b.nx = hi[0] - lo[0] + 1, b.ny = hi[1] - lo[1] + 1, b.nz = hi[2] - lo[2] + 1;
  double l3[3] = {lo[0], lo[1], lo[2]};
  volume_index_to_world(g, l3, b.origin_mm);
  if (volume_alloc(&b, err)) return RERT_EINTERNAL;
  const float *mk = g->data;
  const size_t sy = (size_t)g->nx, sz = (size_t)g->nx * g->ny;
#pragma omp parallel for schedule(static)
  for (int k = 0; k < b.nz; k++)
    for (int j = 0; j < b.ny; j++)
      for (int i = 0; i < b.nx; i++) {
        size_t v = (size_t)(i + lo[0]) + sy * (size_t)(j + lo[1]) + sz * (size_t)(k + lo[2]);
        b.data[i + (size_t)b.nx * (j + (size_t)b.ny * k)] = (float)map_value(in, pp, ms, rec, v, NULL);
      }
  if (!ms->worst)
    for (int k = 0; k < b.nz; k++)
      for (int j = 0; j < b.ny; j++)
        for (int i = 0; i < b.nx; i++) {
          size_t v = (size_t)(i + lo[0]) + sy * (size_t)(j + lo[1]) + sz * (size_t)(k + lo[2]);
          if (mk[v] > 0) map_value(in, pp, ms, rec, v, en->cmax);
        }
  rert_dvh_opts opt;
  memset(&opt, 0, sizeof opt);
  opt.slice_thickness_mm = cache->thick_mm;
  opt.slices = &cache->slices;
  const rert_roi *r1 = st->roi;
  int rc = dvh_compute_rois(&r1, 1, &b, &opt, &en->dvh, err);
  volume_free(&b);
  if (rc) return rc;
  cache->n++;
  *out = en;
  return RERT_OK;
}

int accum_eval_from_contours(const accum_input *in, const accum_prep *pp, const protocol_constraint *c,
                              accum_map_spec *ms, const accum_recovery *rec, eval_cache *cache,
                              accum_eval_row *row, double *cmax, rert_err *err) {
  row->from_contours = 1;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1 && !any_upper(in)) break;
    ms->worst = pass;
    const eval_entry *en = NULL;
    int rc = dvh_for(in, pp, ms, rec, cache, &en, err);
    if (rc) return rc;
    const rert_dvh *d = &en->dvh;
    if (d->status != RERT_OK) {
      row->verdict = VERDICT_NOT_EVALUATED;
      snprintf(row->explanation, sizeof row->explanation, "DVH of %s from its contours: %s",
               in->structs[ms->s].name, d->msg);
      return RERT_OK;
    }
    if (d->findings.nerrors > 0) {
      /* part of the drawn structure could not be used (non-finite coordinates, a tilted
       * contour, rert/geom.h severity error): any value would be on a smaller structure than
       * the one drawn, so the row is not evaluated — never a PASS on what is left */
      const rert_geom_finding *f = NULL;
      for (int q = 0; q < d->findings.n && !f; q++)
        if (d->findings.items[q].severity == GEOM_SEV_ERROR) f = &d->findings.items[q];
      row->verdict = VERDICT_NOT_EVALUATED;
      row->reason = NE_STRUCTURE_DEGENERATE;
      snprintf(row->explanation, sizeof row->explanation,
               "%d contour(s) of %s could not be used (contour %d: %s, %s; %s): its DVH would be incomplete",
               d->findings.nerrors, in->structs[ms->s].name, f ? f->contour + 1 : 0,
               f ? geom_problem_name(f->problem) : "", f ? f->detail : "", f ? geom_rule_name(f->rule) : "");
      return RERT_OK;
    }
    row->structure_cc = d->total_cc;
    char note[160] = "";
    rert_dvh_value dv;
    double v = NAN;
    rc = eval_dvh_metric(d, &c->metric, &v, &dv, note, sizeof note, err);
    if (rc) return rc;
    if (pass == 0) {
      memcpy(cmax, en->cmax, sizeof en->cmax);
      row->value = v;
      row->complete = dv.complete;
      row->outside_pct = dv.outside_pct;
      snprintf(row->method_note, sizeof row->method_note, "%s", note);
    } else {
      row->has_worst = 1;
      row->worst_value = v;
    }
  }
  return RERT_OK;
}
