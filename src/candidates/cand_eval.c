/* cand_eval.c — every number of one candidate on the shared prior accumulation (rert/candidates.h):
 * constraint rows (accumulation engine, nominal and worst case), tumour coverage and the
 * carotid/mandible doses behind the risk tiers (an in-memory metrics protocol evaluated by the
 * same engine in the same call, so the maps and DVHs are those of the rows), NTCP (LKB,
 * domain-reference §6.7) on the cumulative EQD2, integral dose, LETd statistics and the solver's
 * headroom (accumulate_solve with the candidate's own fractionation). docs/compare.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cand_internal.h"
#include "rert/data.h"
#include "rert/geom.h"

int cand_make_input(const cand_comparison *cmp, const cand_result *r, accum_input **out, rert_err *err) {
  *out = NULL;
  if (cmp->base->ncourses >= ACCUM_MAX_COURSES)
    return rert_err_set(err, RERT_EINPUT, "compare: at most %d courses", ACCUM_MAX_COURSES);
  accum_input *in = malloc(sizeof *in);
  if (!in) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  *in = *cmp->base;
  int k = in->ncourses++;
  in->courses[k] = r->course;
  in->courses[k].is_new = 1;
  for (int s = 0; s < in->nstructs; s++) in->structs[s].recovery[k][0] = 0;
  *out = in;
  return RERT_OK;
}

int cand_dvh(const cand_comparison *cmp, const accum_structure *st, const rert_volume *map,
             rert_dvh *d, rert_err *err) {
  memset(d, 0, sizeof *d);
  if (st->roi) {
    rert_dvh_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.slice_thickness_mm = cmp->slice_mm;
    opt.slices = &cmp->slices; /* as the engine: even GEOM_SLICES_NONE */
    return dvh_compute_rois(&st->roi, 1, map, &opt, d, err);
  }
  rert_mask m;
  memset(&m, 0, sizeof m);
  int rc = geom_mask_from_volume(st->mask, &m, err);
  if (!rc) rc = dvh_compute_mask(&m, map, NULL, d, err);
  geom_mask_free(&m);
  return rc;
}

static double tox_number(const char *section, const char *key, const char *sub, rert_err *err, int *rc) {
  double v = NAN;
  if (*rc) return v;
  cJSON *doc;
  if ((*rc = data_load_json("toxicity_risk.json", &doc, err))) return v;
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, section);
  if (sub) o = cJSON_GetObjectItemCaseSensitive(o, sub);
  char ctx[160];
  snprintf(ctx, sizeof ctx, "toxicity_risk.json: %s%s%s", section, sub ? "." : "", sub ? sub : "");
  *rc = json_get_number(o, key, &v, ctx, err);
  cJSON_Delete(doc);
  return v;
}

static const char *const TUMOUR_METRIC[4] = {"D98%", "D95%", "D50%", "Dmin"};

static void add_row(cJSON *arr, const char *id, const char *organ, const char *metric, const char *cmp,
                    const char *scope, const char *qty, double ab, const char *source) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", id);
  cJSON_AddStringToObject(o, "organ", organ);
  cJSON_AddStringToObject(o, "metric", metric);
  cJSON_AddNullToObject(o, "limit_gy");
  cJSON_AddStringToObject(o, "comparator", cmp);
  cJSON_AddStringToObject(o, "tier", "informational");
  cJSON_AddStringToObject(o, "scope", scope);
  cJSON_AddStringToObject(o, "quantity", qty);
  cJSON_AddNumberToObject(o, "alpha_beta_gy", ab);
  cJSON_AddStringToObject(o, "recovery", "none");
  cJSON_AddStringToObject(o, "source", source);
  cJSON_AddBoolToObject(o, "verified", 1);
  cJSON_AddItemToArray(arr, o);
}

int cand_metrics_protocol(cand_comparison *cmp, rert_err *err) {
  int rc = RERT_OK;
  double ab_car = tox_number("carotid_blowout", "alpha_beta_gy", NULL, err, &rc);
  double ab_orn = tox_number("orn", "alpha_beta_gy", NULL, err, &rc);
  if (rc) return rc;
  const double abt = cmp->targets.tumour_alpha_beta_gy;
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "schema", "rert-protocol/1");
  cJSON_AddStringToObject(root, "name", "compare_metrics");
  cJSON_AddStringToObject(root, "title", "rert compare: tumour coverage and risk-organ doses");
  cJSON_AddStringToObject(root, "source", "rert compare (docs/compare.md)");
  cJSON_AddBoolToObject(root, "verified", 1);
  cJSON *arr = cJSON_AddArrayToObject(root, "constraints");
  char src[320], id[64];
  snprintf(src, sizeof src,
           "tumour coverage of the new course alone, BED at the tumour alpha/beta %.3g Gy (data/regimens.json targets: %s)",
           abt, cmp->targets.source);
  const accum_input *b = cmp->base;
  for (int s = 0; s < b->nstructs; s++) {
    if (!b->structs[s].is_target && s != cmp->recurrence_struct) continue;
    for (int m = 0; m < 4; m++) {
      snprintf(id, sizeof id, "tumour_%d_%d", s, m);
      add_row(arr, id, b->structs[s].name, TUMOUR_METRIC[m], ">=", "new_course", "BED", abt, src);
    }
  }
  add_row(arr, "risk_carotid", "A_Carotid", "Dmax", "<=", "cumulative", "EQD2", ab_car,
          "cumulative carotid EQD2 without recovery discount behind the carotid-blowout tier (data/toxicity_risk.json)");
  add_row(arr, "risk_mandible", "Bone_Mandible", "Dmax", "<=", "cumulative", "EQD2", ab_orn,
          "cumulative mandible EQD2 without recovery discount behind the osteoradionecrosis tier (data/toxicity_risk.json)");
  rc = protocol_from_json(root, "rert compare metrics", &cmp->metrics, err);
  cJSON_Delete(root);
  /* slab thickness of single-plane ROIs in cand_dvh: the median contour-plane spacing */
  double *v = malloc((b->nstructs > 0 ? (size_t)b->nstructs : 1) * sizeof *v);
  if (!v) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int n = 0;
  for (int s = 0; s < b->nstructs; s++) {
    rert_roi_info info;
    rert_err e;
    if (b->structs[s].roi && !geom_roi_info(b->structs[s].roi, 1.0, &info, &e) && info.plane_spacing_mm > 0)
      v[n++] = info.plane_spacing_mm;
  }
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  cmp->slice_mm = n ? v[n / 2] : 0;
  free(v);
  /* the slabs of the engine's contour DVHs (accum_cache_init): the caller's image slices, else
   * inferred from every structure's contour planes together */
  rert_err e2;
  if (!(b->slices && geom_slices_copy(b->slices, &cmp->slices, &e2) == RERT_OK)) {
    const rert_roi **rois = malloc(((size_t)b->nstructs + 1) * sizeof *rois);
    int m = 0;
    for (int s = 0; rois && s < b->nstructs; s++)
      if (b->structs[s].roi) rois[m++] = b->structs[s].roi;
    if (!rois || geom_slices_infer(rois, m, &cmp->slices, &e2)) memset(&cmp->slices, 0, sizeof cmp->slices);
    free(rois);
  }
  return rc;
}

static int is_hard(const accum_eval_row *row) { return protocol_tier_is_hard(row->c->tier); }

/* Verdict, counts and the smallest margins over the hard rows of every protocol. */
static void summarise_rows(const cand_comparison *cmp, cand_result *r) {
  r->hard_failures = r->worst_hard_failures = r->hard_not_evaluated = r->hard_rows = 0;
  r->min_margin_pct = r->min_margin_worst_pct = r->min_margin_abs = NAN;
  r->not_evaluated_rows[0] = r->min_margin_row[0] = 0;
  size_t nl = 0;
  for (int p = 0; p < cmp->nprot; p++) {
    const accum_evaluation *ev = &r->evs[p];
    for (int k = 0; k < ev->nrows; k++) {
      const accum_eval_row *row = &ev->rows[k];
      if (!is_hard(row) || row->verdict == VERDICT_NOT_APPLICABLE) continue;
      r->hard_rows++;
      int nom_fail = row->verdict == VERDICT_FAIL;
      int wc_fail = row->has_worst && row->worst_verdict == VERDICT_FAIL;
      int incomplete = row->verdict == VERDICT_NOT_EVALUATED || row->verdict == VERDICT_INCOMPLETE ||
                       (row->has_worst && row->worst_verdict == VERDICT_INCOMPLETE);
      r->hard_failures += nom_fail;
      r->worst_hard_failures += wc_fail;
      if (incomplete && !nom_fail) {
        r->hard_not_evaluated++;
        int w = snprintf(r->not_evaluated_rows + nl, sizeof r->not_evaluated_rows - nl, "%s%s:%s (%s)",
                         nl ? "; " : "", cmp->prot[p].name, row->c->id, row->structure);
        if (w > 0 && (size_t)w < sizeof r->not_evaluated_rows - nl) nl += (size_t)w;
      }
      if (!(row->verdict == VERDICT_PASS || row->verdict == VERDICT_FAIL) || !isfinite(row->margin_pct))
        continue;
      double m = row->margin_pct, mw = m;
      if (row->has_worst && isfinite(row->worst_value) && row->limit != 0) {
        int upper = row->c->cmp == CMP_LT || row->c->cmp == CMP_LE;
        double wm = upper ? row->limit - row->worst_value : row->worst_value - row->limit;
        mw = 100.0 * wm / row->limit;
        if (mw > m) mw = m;
      }
      if (isnan(r->min_margin_pct) || m < r->min_margin_pct) {
        r->min_margin_pct = m;
        r->min_margin_abs = row->margin;
        snprintf(r->min_margin_unit, sizeof r->min_margin_unit, "%s", row->c->limit_unit);
        snprintf(r->min_margin_row, sizeof r->min_margin_row, "%s:%s (%s %s %s %.4g %s)", cmp->prot[p].name,
                 row->c->id, row->structure, row->c->metric.text, protocol_cmp_name(row->c->cmp), row->limit,
                 row->c->limit_unit);
      }
      if (isnan(r->min_margin_worst_pct) || mw < r->min_margin_worst_pct) r->min_margin_worst_pct = mw;
    }
  }
  snprintf(r->verdict, sizeof r->verdict, "%s",
           r->hard_failures ? "FAIL" : r->hard_not_evaluated ? "INCOMPLETE" : "PASS");
}

static int target_index_rank(const cand_comparison *cmp, const cand_result *r) {
  /* the recurrence GTV, else the first GTV, CTV, PTV among the targets */
  for (int t = 0; t < r->ntargets; t++)
    if (r->targets[t].is_recurrence) return t;
  static const char *const pre[] = {"GTV", "CTV", "PTV"};
  for (int q = 0; q < 3; q++)
    for (int t = 0; t < r->ntargets; t++)
      if (!strncasecmp(r->targets[t].structure, pre[q], 3)) return t;
  (void)cmp;
  return r->ntargets > 0 ? 0 : -1;
}

static void read_metrics(const cand_comparison *cmp, const accum_evaluation *mev, cand_result *r) {
  const double abt = cmp->targets.tumour_alpha_beta_gy;
  r->ntargets = 0;
  for (int s = 0; s < cmp->base->nstructs; s++) {
    if (!cmp->base->structs[s].is_target && s != cmp->recurrence_struct) continue;
    if (r->ntargets >= CAND_MAX_TARGETS) break;
    cand_target *t = &r->targets[r->ntargets];
    memset(t, 0, sizeof *t);
    snprintf(t->structure, sizeof t->structure, "%s", cmp->base->structs[s].name);
    t->is_recurrence = s == cmp->recurrence_struct;
    t->complete = 1;
    int seen = 0;
    for (int m = 0; m < 4; m++) {
      char id[64];
      snprintf(id, sizeof id, "tumour_%d_%d", s, m);
      t->bed_gy[m] = t->eqd2_gy[m] = NAN;
      for (int k = 0; k < mev->nrows; k++) {
        const accum_eval_row *row = &mev->rows[k];
        if (strcmp(row->c->id, id) || strcmp(row->structure, t->structure)) continue;
        seen = 1;
        t->bed_gy[m] = row->value;
        t->eqd2_gy[m] = row->value / (1.0 + 2.0 / abt);
        t->volume_cc = row->structure_cc;
        if (!row->complete) t->complete = 0, t->outside_pct = row->outside_pct;
      }
    }
    if (seen) r->ntargets++;
  }
  r->tumour_ref = target_index_rank(cmp, r);
  r->tumour_bed_gy = r->tumour_ref >= 0 ? r->targets[r->tumour_ref].bed_gy[0] : NAN;
}

static void risk_rows(const cand_comparison *cmp, const accum_evaluation *mev, cand_result *r, rert_err *err) {
  const case_clinical *k = &cmp->cf->clinical;
  int rc = RERT_OK;
  double hypo = tox_number("carotid_blowout", "value", "hypofractionation_min_dose_per_fraction_gy", err, &rc);
  static const char *const ids[2] = {"risk_carotid", "risk_mandible"};
  static const char *const names[2] = {"carotid_blowout", "mandible_orn"};
  r->nrisk = 0;
  for (int q = 0; q < 2; q++) {
    cand_risk *x = &r->risk[r->nrisk++];
    memset(x, 0, sizeof *x);
    snprintf(x->organ, sizeof x->organ, "%s", names[q]);
    x->cumulative_eqd2_gy = NAN;
    for (int i = 0; i < mev->nrows; i++) {
      const accum_eval_row *row = &mev->rows[i];
      if (strcmp(row->c->id, ids[q]) || !isfinite(row->value)) continue;
      x->alpha_beta_gy = row->alpha_beta_gy;
      if (isnan(x->cumulative_eqd2_gy) || row->value > x->cumulative_eqd2_gy) {
        x->cumulative_eqd2_gy = row->value;
        snprintf(x->structure, sizeof x->structure, "%s", row->structure);
      }
    }
    if (isnan(x->cumulative_eqd2_gy)) {
      snprintf(x->why, sizeof x->why, "no %s structure in the reference structure set",
               q == 0 ? "A_Carotid_L/R" : "Bone_Mandible");
      continue;
    }
    rert_err e;
    int ok;
    if (q == 0) {
      carotid_inputs ci;
      memset(&ci, 0, sizeof ci);
      ci.cumulative_eqd2_gy = x->cumulative_eqd2_gy;
      ci.encasement_deg = k->carotid_encasement_deg;
      ci.invasion = k->carotid_invasion;
      ci.ulceration_or_fistula = (k->mucosal_ulceration == CASE_YES || k->fistula == CASE_YES) ? CASE_YES
                                 : (k->mucosal_ulceration == CASE_NO && k->fistula == CASE_NO) ? CASE_NO
                                                                                              : CASE_UNKNOWN;
      ci.skin_invasion = k->skin_invasion;
      ci.neck_dissection = k->neck_dissection;
      ci.flap = k->flap_reconstruction;
      ci.deep_neck_infection = k->deep_neck_infection;
      /* the same rule as rert assess: SBRT technique or a dose per fraction at the data's threshold */
      ci.hypofractionated = !strcmp(r->technique, "SBRT") ||
                            (!rc && r->prescription_gy / r->fractions >= hypo);
      ok = risk_carotid(&ci, &x->risk, &e) == RERT_OK;
    } else {
      ok = risk_orn(x->cumulative_eqd2_gy, k->dental_status, k->planned_extractions, &x->risk, &e) == RERT_OK;
    }
    x->assessed = ok;
    if (!ok) snprintf(x->why, sizeof x->why, "%s", e.msg);
  }
}

static int ntcp_rows(const cand_comparison *cmp, const accum_input *in, cand_result *r, rert_err *err) {
  r->nntcp = 0;
  for (int s = 0; s < in->nstructs; s++) {
    const accum_structure *st = &in->structs[s];
    if (st->is_target) continue;
    lkb_params p[4];
    int np = 0;
    if (ntcp_lkb_lookup(st->name, p, 4, &np, err)) return RERT_EINTERNAL;
    if (np == 0) continue;
    rert_dvh d;
    int rc = cand_dvh(cmp, st, &r->cumulative, &d, err);
    if (rc) return rc;
    for (int i = 0; i < np && r->nntcp < CAND_MAX_NTCP; i++) {
      if (d.status != RERT_OK || !(d.inside_cc > 0)) break;
      rert_dvh_metric m;
      memset(&m, 0, sizeof m);
      m.kind = DVH_GEUD;
      m.param = 1.0 / p[i].n;
      snprintf(m.text, sizeof m.text, "gEUD(a=%g)", m.param);
      rert_dvh_value dv;
      rert_err e;
      if (dvh_metric_eval(&d, &m, &dv, &e)) continue;
      cand_ntcp *x = &r->ntcp[r->nntcp++];
      snprintf(x->structure, sizeof x->structure, "%s", st->name);
      x->p = p[i];
      x->eud_gy = dv.value;
      x->ntcp = ntcp_lkb(dv.value, &p[i]);
    }
    dvh_free(&d);
  }
  return RERT_OK;
}

static int integral_dose(const cand_comparison *cmp, cand_result *r, rert_err *err) {
  const rert_volume *D = r->course.dose;
  const rert_roi *body = NULL;
  const rert_structure_set *ss = &cmp->ac->structure_set;
  for (int i = 0; i < ss->nrois && !body; i++)
    if (!strcasecmp(ss->rois[i].interpreted_type, "EXTERNAL") && ss->rois[i].ncontours > 0) body = &ss->rois[i];
  double integral = NAN;
  r->integral_complete = 1;
  if (body) {
    rert_dvh d;
    rert_dvh_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.slice_thickness_mm = cmp->slice_mm;
    opt.slices = &cmp->slices; /* as the engine: even GEOM_SLICES_NONE */
    int rc = dvh_compute_rois(&body, 1, D, &opt, &d, err);
    if (rc) return rc;
    if (d.status == RERT_OK) {
      integral = d.dmean_gy * d.inside_cc / 1000.0;
      r->body_cc = d.total_cc;
      r->integral_complete = !(d.outside_cc > 0);
      snprintf(r->integral_basis, sizeof r->integral_basis, "%s contour (%s)%s", body->name,
               "EXTERNAL", r->integral_complete ? "" : "; part of the body lies outside the dose grid (dose there 0)");
    }
    dvh_free(&d);
  }
  if (isnan(integral)) {
    const size_t n = volume_count(D);
    double s = 0;
    for (size_t v = 0; v < n; v++) s += D->data[v] > 0 ? D->data[v] : 0;
    const double vcc = D->spacing_mm[0] * D->spacing_mm[1] * D->spacing_mm[2] / 1000.0;
    integral = s * vcc / 1000.0;
    r->body_cc = (double)n * vcc;
    snprintf(r->integral_basis, sizeof r->integral_basis, "whole dose grid (no EXTERNAL contour)");
  }
  r->integral_dose_gy_l = integral;
  r->body_mean_gy = r->body_cc > 0 ? integral * 1000.0 / r->body_cc : NAN;
  /* physical: photons as is; protons the fixed-RBE (or variable-RBE source) dose / RBE; carbon unknown */
  r->integral_physical_gy_l = NAN;
  if (r->modality == MOD_PHOTON || r->modality == MOD_ELECTRON) {
    r->integral_physical_gy_l = integral;
  } else if (r->modality == MOD_PROTON) {
    double f;
    rert_err e;
    if (rbe_fixed_factor(MOD_PROTON, &f, &e) == RERT_OK && f > 0) {
      if (!r->has_var_rbe) r->integral_physical_gy_l = integral / f;
      else {
        /* the variable-RBE dose came from the fixed-RBE dose: the ratio of the two integrals over
         * the grid scales the body integral */
        const rert_volume *F = &cmp->ac->dose[r->case_index];
        double sv = 0, sf = 0;
        const size_t n = volume_count(F);
        for (size_t v = 0; v < n; v++) sv += r->var_dose.data[v], sf += F->data[v];
        r->integral_physical_gy_l = sv > 0 ? integral * (sf / sv) / f : NAN;
      }
    }
  }
  return RERT_OK;
}

static int headroom(const cand_comparison *cmp, const accum_input *in0, cand_result *r, rert_err *err) {
  r->headroom_scale = r->headroom_worst_scale = NAN;
  r->headroom_limiting[0] = 0;
  if (!(r->prescription_gy > 0)) {
    snprintf(r->headroom_limiting, sizeof r->headroom_limiting, "no prescription_gy: headroom not computed");
    return RERT_OK;
  }
  const rert_protocol **ps = calloc((size_t)cmp->nprot, sizeof *ps);
  accum_input *in = malloc(sizeof *in);
  if (!ps || !in) {
    free(ps);
    free(in);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int p = 0; p < cmp->nprot; p++) ps[p] = &cmp->prot[p];
  accum_regimen g;
  memset(&g, 0, sizeof g);
  snprintf(g.name, sizeof g.name, "candidate %s", r->id);
  g.dose_gy = cmp->opts.headroom_max_scale * r->prescription_gy;
  g.dose_min_gy = 1e-3 * r->prescription_gy;
  g.dose_max_gy = g.dose_gy;
  g.fractions = r->fractions;
  g.fractions_per_day = r->fractions_per_day;
  g.interfraction_interval_h = r->interfraction_interval_h;
  g.modality = r->course.modality;
  g.rbe = r->course.rbe;
  snprintf(g.intent, sizeof g.intent, "curative");
  snprintf(g.source, sizeof g.source, "the candidate's own dose distribution and fractionation");
  g.verified = 1;
  *in = *in0;
  accum_solution sol;
  int rc = accumulate_solve(in, ps, cmp->nprot, r->prescription_gy, &g, &cmp->targets, &sol, err);
  if (!rc) {
    /* SOLVE_FULL: every hard row holds up to the search limit (the headroom is at least that) */
    r->headroom_scale = sol.max_prescription_gy / r->prescription_gy;
    r->headroom_worst_scale = sol.has_worst ? sol.worst.max_prescription_gy / r->prescription_gy : r->headroom_scale;
    /* nominally infeasible: the worst case is not searched (it can only be lower) */
    if (isnan(r->headroom_worst_scale)) r->headroom_worst_scale = r->headroom_scale;
    if (sol.status == SOLVE_FULL)
      snprintf(r->headroom_limiting, sizeof r->headroom_limiting, "no hard row limits the dose up to x%.3g (search limit)",
               cmp->opts.headroom_max_scale);
    else
      snprintf(r->headroom_limiting, sizeof r->headroom_limiting, "%s%s", sol.limiting_text,
               sol.limiting.exceeded_by_prior ? " (exceeded by the prior courses alone)" : "");
  }
  free(ps);
  free(in);
  return rc;
}

int cand_evaluate(cand_comparison *cmp, cand_result *r, rert_err *err) {
  accum_input *in = NULL;
  int rc = cand_make_input(cmp, r, &in, err);
  if (rc) return rc;
  /* cumulative EQD2 map (DVH overlays, difference maps, NTCP) */
  accum_result *res = calloc(1, sizeof *res);
  if (!res) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  if (!rc) rc = accumulate_run(in, res, err);
  if (!rc) {
    r->cumulative = res->cumulative;
    res->cumulative.data = NULL;
  }
  if (res) accum_result_free(res);
  free(res);
  /* every row of every protocol and the metrics rows in one call (one DVH per distinct map) */
  int np = cmp->nprot + 1;
  const rert_protocol **ps = calloc((size_t)np, sizeof *ps);
  accum_evaluation *evs = calloc((size_t)np, sizeof *evs);
  if (!rc && (!ps || !evs)) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  if (!rc) {
    for (int p = 0; p < cmp->nprot; p++) ps[p] = &cmp->prot[p];
    ps[cmp->nprot] = &cmp->metrics;
    rc = accumulate_evaluate_protocols(in, ps, np, evs, err);
  }
  free(ps);
  if (!rc) {
    r->evs = evs;
    summarise_rows(cmp, r);
    read_metrics(cmp, &evs[cmp->nprot], r);
    risk_rows(cmp, &evs[cmp->nprot], r, err);
    accum_evaluation_free(&evs[cmp->nprot]);
  } else {
    free(evs);
  }
  if (!rc) rc = ntcp_rows(cmp, in, r, err);
  if (!rc) rc = integral_dose(cmp, r, err);
  if (!rc) rc = cand_let_stats_compute(cmp, in, r, err);
  if (!rc) rc = headroom(cmp, in, r, err);
  free(in);
  return rc;
}
