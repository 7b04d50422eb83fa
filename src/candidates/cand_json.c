/* cand_json.c — the comparison as one JSON object (rert/candidates.h candidates_json): what
 * `rert compare --json` prints and what report.json holds under "candidates". Keys carry units;
 * numbers are unrounded (NaN → null). docs/compare.md lists every key. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cand_internal.h"
#include "rert/data.h"

static const char *verdict_word(accum_verdict v) {
  switch (v) {
  case VERDICT_PASS: return "PASS";
  case VERDICT_FAIL: return "FAIL";
  case VERDICT_NOT_APPLICABLE: return "not applicable";
  case VERDICT_INCOMPLETE: return "INCOMPLETE";
  default: return "not evaluated";
  }
}

static cJSON *row_json(const accum_eval_row *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", e->c->id);
  cJSON_AddStringToObject(o, "structure", e->structure);
  cJSON_AddStringToObject(o, "metric", e->c->metric.text);
  cJSON_AddStringToObject(o, "tier", protocol_tier_name(e->c->tier));
  cJSON_AddStringToObject(o, "scope", protocol_scope_name(e->c->scope));
  cJSON_AddStringToObject(o, "quantity", protocol_quantity_name(e->c->quantity));
  json_add_num(o, "alpha_beta_gy", e->alpha_beta_gy > 0 ? e->alpha_beta_gy : NAN);
  json_add_num(o, "value", e->value);
  cJSON_AddStringToObject(o, "comparator", protocol_cmp_name(e->c->cmp));
  json_add_num(o, "limit", e->limit);
  cJSON_AddStringToObject(o, "unit", e->c->limit_unit);
  json_add_num(o, "margin", e->margin);
  json_add_num(o, "margin_pct", e->margin_pct);
  cJSON_AddStringToObject(o, "verdict", verdict_word(e->verdict));
  json_add_num(o, "worst_value", e->has_worst ? e->worst_value : NAN);
  double wm = NAN, wmp = NAN;
  if (e->has_worst && isfinite(e->worst_value) && isfinite(e->limit)) {
    int upper = e->c->cmp == CMP_LT || e->c->cmp == CMP_LE;
    wm = upper ? e->limit - e->worst_value : e->worst_value - e->limit;
    wmp = e->limit != 0 ? 100.0 * wm / e->limit : NAN;
  }
  json_add_num(o, "worst_margin", wm);
  json_add_num(o, "worst_margin_pct", wmp);
  cJSON_AddStringToObject(o, "worst_verdict", e->has_worst ? verdict_word(e->worst_verdict) : "not evaluated");
  cJSON_AddBoolToObject(o, "complete", e->complete);
  json_add_num(o, "outside_pct", e->outside_pct);
  json_add_num(o, "structure_cc", e->structure_cc);
  cJSON_AddStringToObject(o, "recovery_used", e->recovery_used);
  cJSON_AddStringToObject(o, "explanation", e->explanation);
  cJSON_AddStringToObject(o, "source", e->c->source);
  cJSON_AddBoolToObject(o, "source_verified", e->c->verified);
  return o;
}

static const char *const TM[4] = {"D98%", "D95%", "D50%", "Dmin"};

static cJSON *candidate_json(const cand_comparison *cmp, const cand_result *r) {
  const rert_case *cf = cmp->cf;
  const case_course *co = &cf->courses[r->case_index];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", r->id);
  cJSON_AddStringToObject(o, "role", r->role);
  cJSON_AddNumberToObject(o, "rank", r->rank);
  cJSON_AddStringToObject(o, "rank_note", r->rank_note);
  cJSON_AddStringToObject(o, "verdict", r->verdict);
  cJSON_AddStringToObject(o, "technique", r->technique);
  cJSON_AddStringToObject(o, "modality", rbe_modality_name(r->modality));
  cJSON_AddStringToObject(o, "rbe_model", rbe_model_name(co->rbe));
  cJSON_AddStringToObject(o, "rbe_model_evaluated", rbe_model_name(r->rbe));
  cJSON_AddStringToObject(o, "rbe", r->rbe_text);
  cJSON_AddNumberToObject(o, "fractions", r->fractions);
  cJSON_AddNumberToObject(o, "fractions_per_day", r->fractions_per_day);
  json_add_num(o, "prescription_gy", r->prescription_gy);
  json_add_num(o, "dose_per_fraction_gy", r->prescription_gy / r->fractions);
  cJSON_AddStringToObject(o, "mapping", r->mapping);
  cJSON_AddStringToObject(o, "rtdose", co->rtdose);
  cJSON_AddNumberToObject(o, "hard_rows", r->hard_rows);
  cJSON_AddNumberToObject(o, "hard_failures", r->hard_failures);
  cJSON_AddNumberToObject(o, "worst_case_hard_failures", r->worst_hard_failures);
  cJSON_AddNumberToObject(o, "hard_not_evaluated", r->hard_not_evaluated);
  cJSON_AddStringToObject(o, "hard_not_evaluated_rows", r->not_evaluated_rows);
  cJSON *mm = cJSON_AddObjectToObject(o, "smallest_hard_margin");
  json_add_num(mm, "nominal_pct", r->min_margin_pct);
  json_add_num(mm, "worst_case_pct", r->min_margin_worst_pct);
  json_add_num(mm, "nominal", r->min_margin_abs);
  cJSON_AddStringToObject(mm, "unit", r->min_margin_unit);
  cJSON_AddStringToObject(mm, "row", r->min_margin_row);
  /* tumour coverage */
  cJSON *tu = cJSON_AddArrayToObject(o, "tumour");
  for (int t = 0; t < r->ntargets; t++) {
    const cand_target *x = &r->targets[t];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "structure", x->structure);
    cJSON_AddBoolToObject(e, "recurrence", x->is_recurrence);
    json_add_num(e, "volume_cc", x->volume_cc);
    cJSON_AddBoolToObject(e, "complete", x->complete);
    json_add_num(e, "outside_pct", x->outside_pct);
    cJSON *b = cJSON_AddObjectToObject(e, "bed_gy"), *q = cJSON_AddObjectToObject(e, "eqd2_gy");
    for (int m = 0; m < 4; m++) {
      json_add_num(b, TM[m], x->bed_gy[m]);
      json_add_num(q, TM[m], x->eqd2_gy[m]);
    }
    cJSON_AddItemToArray(tu, e);
  }
  json_add_num(o, "tumour_alpha_beta_gy", cmp->targets.tumour_alpha_beta_gy);
  cJSON_AddStringToObject(o, "tumour_reference", r->tumour_ref >= 0 ? r->targets[r->tumour_ref].structure : "");
  json_add_num(o, "tumour_reference_d98_bed_gy", r->tumour_bed_gy);
  /* NTCP */
  cJSON *nt = cJSON_AddArrayToObject(o, "ntcp");
  for (int i = 0; i < r->nntcp; i++) {
    const cand_ntcp *x = &r->ntcp[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "structure", x->structure);
    cJSON_AddStringToObject(e, "parameters", x->p.id);
    cJSON_AddStringToObject(e, "endpoint", x->p.endpoint);
    json_add_num(e, "td50_gy", x->p.td50_gy);
    json_add_num(e, "m", x->p.m);
    json_add_num(e, "n", x->p.n);
    json_add_num(e, "eud_gy", x->eud_gy);
    json_add_num(e, "ntcp", x->ntcp);
    cJSON_AddBoolToObject(e, "verified", x->p.verified);
    cJSON_AddStringToObject(e, "source", x->p.source);
    cJSON_AddItemToArray(nt, e);
  }
  /* risk tiers */
  cJSON *rk = cJSON_AddArrayToObject(o, "risk");
  for (int i = 0; i < r->nrisk; i++) {
    const cand_risk *x = &r->risk[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "risk", x->organ);
    cJSON_AddStringToObject(e, "structure", x->structure);
    json_add_num(e, "cumulative_eqd2_unrecovered_gy", x->cumulative_eqd2_gy);
    json_add_num(e, "alpha_beta_gy", x->alpha_beta_gy > 0 ? x->alpha_beta_gy : NAN);
    cJSON_AddStringToObject(e, "tier", x->assessed ? risk_tier_name(x->risk.tier) : "not assessed");
    if (x->assessed) {
      cJSON_AddStringToObject(e, "estimate", x->risk.estimate);
      cJSON *f = cJSON_AddArrayToObject(e, "factors");
      for (int k = 0; k < x->risk.nfactors; k++) cJSON_AddItemToArray(f, cJSON_CreateString(x->risk.factors[k]));
      cJSON_AddStringToObject(e, "source", x->risk.source);
    } else {
      cJSON_AddStringToObject(e, "why", x->why);
    }
    cJSON_AddItemToArray(rk, e);
  }
  cJSON *id = cJSON_AddObjectToObject(o, "integral_dose");
  json_add_num(id, "rbe_weighted_gy_l", r->integral_dose_gy_l);
  json_add_num(id, "physical_gy_l", r->integral_physical_gy_l);
  json_add_num(id, "body_cc", r->body_cc);
  json_add_num(id, "mean_body_dose_gy", r->body_mean_gy);
  cJSON_AddStringToObject(id, "basis", r->integral_basis);
  cJSON_AddBoolToObject(id, "complete", r->integral_complete);
  cJSON *hr = cJSON_AddObjectToObject(o, "headroom");
  json_add_num(hr, "scale", r->headroom_scale);
  json_add_num(hr, "worst_case_scale", r->headroom_worst_scale);
  json_add_num(hr, "max_prescription_gy", r->headroom_scale * r->prescription_gy);
  json_add_num(hr, "worst_case_max_prescription_gy", r->headroom_worst_scale * r->prescription_gy);
  json_add_num(hr, "search_limit_scale", cmp->opts.headroom_max_scale);
  cJSON_AddStringToObject(hr, "limiting", r->headroom_limiting);
  if (r->let.data) {
    cJSON *l = cJSON_AddObjectToObject(o, "let");
    cJSON_AddStringToObject(l, "path", co->let_path);
    cJSON_AddStringToObject(l, "unit", "keV/um");
    json_add_num(l, "high_dose_fraction_of_prescription", cmp->opts.let_high_dose_fraction);
    if (r->has_var_rbe) {
      cJSON *vm = cJSON_AddObjectToObject(l, "variable_rbe");
      cJSON_AddStringToObject(vm, "model", r->let_model.name);
      cJSON_AddStringToObject(vm, "title", r->let_model.title);
      json_add_num(vm, "p0", r->let_model.p0);
      json_add_num(vm, "p1", r->let_model.p1);
      json_add_num(vm, "p2", r->let_model.p2);
      json_add_num(vm, "p3", r->let_model.p3);
      json_add_num(vm, "alpha_beta_gy", co->variable_rbe_alpha_beta_gy);
      cJSON_AddStringToObject(vm, "source", r->let_model.source);
      cJSON_AddStringToObject(vm, "verification", r->let_model.verification);
      cJSON_AddBoolToObject(vm, "verified", r->let_model.verified);
      cJSON_AddNumberToObject(vm, "extrapolated_voxels", (double)r->let_extrapolated_voxels);
      json_add_num(vm, "recurrence_dose_weighted_rbe", r->rbe_mean_gtv);
    }
    cJSON *st = cJSON_AddArrayToObject(l, "structures");
    for (int i = 0; i < r->nlet; i++) {
      const cand_let_stats *x = &r->let_stats[i];
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "structure", x->structure);
      cJSON_AddBoolToObject(e, "target", x->is_target);
      cJSON_AddBoolToObject(e, "recurrence", x->is_recurrence);
      json_add_num(e, "volume_cc", x->volume_cc);
      json_add_num(e, "mean_kev_um", x->mean);
      json_add_num(e, "dose_weighted_kev_um", x->dose_weighted);
      json_add_num(e, "min_kev_um", x->min);
      json_add_num(e, "max_kev_um", x->max);
      cJSON_AddBoolToObject(e, "complete", x->complete);
      if (!x->is_target) {
        json_add_num(e, "high_dose_threshold_gy", x->high_dose_threshold_gy);
        json_add_num(e, "high_dose_cc", x->high_dose_cc);
        json_add_num(e, "high_dose_mean_kev_um", x->high_mean);
        json_add_num(e, "high_dose_dose_weighted_kev_um", x->high_dose_weighted);
      }
      cJSON_AddItemToArray(st, e);
    }
  }
  cJSON *evs = cJSON_AddArrayToObject(o, "evaluations");
  for (int p = 0; p < cmp->nprot; p++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "protocol", cmp->prot[p].name);
    cJSON_AddStringToObject(e, "title", cmp->prot[p].title);
    json_add_num(e, "interval_months", r->evs[p].interval_months);
    cJSON *rows = cJSON_AddArrayToObject(e, "constraints");
    for (int k = 0; k < r->evs[p].nrows; k++) cJSON_AddItemToArray(rows, row_json(&r->evs[p].rows[k]));
    cJSON_AddItemToArray(evs, e);
  }
  return o;
}

cJSON *candidates_json(const cand_comparison *cmp) {
  cJSON *o = cJSON_CreateObject();
  const case_course *ref = casefile_reference(cmp->cf);
  cJSON_AddStringToObject(o, "case", cmp->cf->path);
  cJSON_AddStringToObject(o, "reference_course", ref ? ref->id : "");
  json_add_num(o, "uncertainty_mm", cmp->opts.uncertainty_mm);
  cJSON *pr = cJSON_AddArrayToObject(o, "protocols");
  for (int p = 0; p < cmp->nprot; p++) cJSON_AddItemToArray(pr, cJSON_CreateString(cmp->prot[p].name));
  cJSON *pc = cJSON_AddArrayToObject(o, "prior_courses");
  for (int k = 0; k < cmp->base->ncourses; k++) {
    const accum_course *c = &cmp->base->courses[k];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", c->id);
    cJSON_AddNumberToObject(e, "fractions", c->fractions);
    cJSON_AddStringToObject(e, "modality", rbe_modality_name(c->modality));
    cJSON_AddStringToObject(e, "rbe_model", rbe_model_name(c->convert_to_set ? c->convert_to : c->rbe));
    for (int i = 0; i < cmp->ac->in.ncourses; i++)
      if (!strcmp(cmp->ac->in.courses[i].id, c->id)) cJSON_AddStringToObject(e, "mapping", cmp->ac->mapping[i]);
    cJSON_AddItemToArray(pc, e);
  }
  cJSON *rk = cJSON_AddObjectToObject(o, "ranking");
  cJSON_AddStringToObject(rk, "rule", cmp->rule_text);
  cJSON_AddStringToObject(rk, "tumour_reference", cmp->tumour_ref_text);
  cJSON *ord = cJSON_AddArrayToObject(rk, "order");
  for (int j = 0; j < cmp->n; j++) {
    const cand_result *r = &cmp->c[cmp->order[j]];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", r->id);
    cJSON_AddNumberToObject(e, "rank", r->rank);
    cJSON_AddStringToObject(e, "verdict", r->verdict);
    cJSON_AddItemToArray(ord, e);
  }
  cJSON *pa = cJSON_AddArrayToObject(rk, "pairs");
  for (int i = 0; i < cmp->npairs; i++) {
    const cand_pair *p = &cmp->pairs[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "above", p->a);
    cJSON_AddStringToObject(e, "below", p->b);
    cJSON_AddBoolToObject(e, "tie", p->tied);
    cJSON_AddStringToObject(e, "step", p->step);
    cJSON_AddStringToObject(e, "text", p->text);
    cJSON_AddItemToArray(pa, e);
  }
  const cand_result *b = candidates_best(cmp);
  cJSON_AddStringToObject(rk, "best", b ? b->id : "");
  cJSON_AddStringToObject(rk, "best_verdict", b ? b->verdict : "");
  cJSON *cs = cJSON_AddArrayToObject(o, "candidates");
  for (int i = 0; i < cmp->n; i++) cJSON_AddItemToArray(cs, candidate_json(cmp, &cmp->c[i]));
  cJSON_AddItemToObject(o, "notes", cJSON_Duplicate(cmp->notes, 1));
  return o;
}
