/* cand_report.c — the comparison as report sections (rert/report.h blocks, so PDF, HTML and JSON
 * render it like every consult section): side-by-side summary, ranking with its rule and the
 * pairwise reasons (ties named as ties), constraint rows per protocol with one value and verdict
 * per candidate, tumour coverage, NTCP, LETd, and DVH overlays per organ with one line per
 * candidate (cumulative EQD2). docs/compare.md, docs/report.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cand_internal.h"

static void num(cJSON *row, const char *k, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(row, k, v);
  else cJSON_AddNullToObject(row, k);
}

static void title(char *buf, size_t n, const char *number, int sub, const char *text) {
  if (number && sub) snprintf(buf, n, "%s.%d %s", number, sub, text);
  else if (number) snprintf(buf, n, "%s. %s", number, text);
  else snprintf(buf, n, "%s", text);
}

static const char *fmt(char *b, size_t n, const char *f, double v) {
  if (!isfinite(v)) snprintf(b, n, "-");
  else snprintf(b, n, f, v);
  return b;
}

/* A table with an "item" column and one column per candidate (keys c0, c1, ...). */
static cJSON *side_table(cJSON *sec, const cand_comparison *cmp, const char *id, const char *caption,
                         const char *first_label) {
  int nc = cmp->n + 1;
  report_column *cols = calloc((size_t)nc, sizeof *cols);
  char (*keys)[16] = calloc((size_t)nc, sizeof *keys);
  if (!cols || !keys) {
    free(cols);
    free(keys);
    return NULL;
  }
  cols[0] = (report_column){"item", first_label, 0, NULL};
  for (int i = 0; i < cmp->n; i++) {
    snprintf(keys[i + 1], sizeof keys[0], "c%d", i);
    cols[i + 1] = (report_column){keys[i + 1], cmp->c[i].id, 2, NULL};
  }
  cJSON *rows = report_add_table(sec, id, caption, cols, nc);
  free(cols);
  free(keys);
  return rows;
}

static void side_row(cJSON *rows, const cand_comparison *cmp, const char *item,
                     void (*cell)(const cand_comparison *, const cand_result *, char *, size_t)) {
  cJSON *row = report_table_row(rows);
  cJSON_AddStringToObject(row, "item", item);
  for (int i = 0; i < cmp->n; i++) {
    char k[16], v[400];
    snprintf(k, sizeof k, "c%d", i);
    cell(cmp, &cmp->c[i], v, sizeof v);
    cJSON_AddStringToObject(row, k, v);
  }
}

#define CELL(name, ...)                                                                        \
  static void name(const cand_comparison *cmp, const cand_result *r, char *v, size_t n) {      \
    (void)cmp;                                                                                 \
    __VA_ARGS__;                                                                               \
  }
CELL(c_rank, snprintf(v, n, "%d%s", r->rank, strstr(r->rank_note, "tied") ? " (tie)" : ""))
CELL(c_role, snprintf(v, n, "%s", r->role))
CELL(c_tech, snprintf(v, n, "%s %s", rbe_modality_name(r->modality), r->technique))
CELL(c_rbe, snprintf(v, n, "%s", r->rbe_text))
CELL(c_fx, snprintf(v, n, "%.2f Gy in %d x %.3f Gy%s", r->prescription_gy, r->fractions,
                    r->prescription_gy / r->fractions, r->fractions_per_day > 1 ? " (BID)" : ""))
CELL(c_verdict, snprintf(v, n, "%s", r->verdict))
CELL(c_fail, snprintf(v, n, "%d of %d (worst case %d); not evaluated %d", r->hard_failures, r->hard_rows,
                      r->worst_hard_failures, r->hard_not_evaluated))
CELL(c_margin, { char a[32], b[32];
     snprintf(v, n, "%s %% (worst case %s %%)", fmt(a, sizeof a, "%.2f", r->min_margin_pct),
              fmt(b, sizeof b, "%.2f", r->min_margin_worst_pct)); })
CELL(c_mrow, snprintf(v, n, "%s", r->min_margin_row[0] ? r->min_margin_row : "-"))
CELL(c_tumour, { char a[32];
     snprintf(v, n, "%s Gy (%s)", fmt(a, sizeof a, "%.2f", r->tumour_bed_gy),
              r->tumour_ref >= 0 ? r->targets[r->tumour_ref].structure : "no target"); })
CELL(c_tumour_eqd2, { char a[32];
     snprintf(v, n, "%s Gy", fmt(a, sizeof a, "%.2f", r->tumour_ref >= 0 ? r->targets[r->tumour_ref].eqd2_gy[0] : NAN)); })
CELL(c_integral, { char a[32], b[32];
     snprintf(v, n, "%s Gy.L (physical %s; mean body dose %.3g Gy)", fmt(a, sizeof a, "%.2f", r->integral_dose_gy_l),
              fmt(b, sizeof b, "%.2f", r->integral_physical_gy_l), r->body_mean_gy); })
CELL(c_head, { char a[32], b[32];
     snprintf(v, n, "x%s (worst case x%s); %s", fmt(a, sizeof a, "%.3f", r->headroom_scale),
              fmt(b, sizeof b, "%.3f", r->headroom_worst_scale), r->headroom_limiting); })
static void risk_cell(const cand_result *r, int q, char *v, size_t n) {
  if (q >= r->nrisk) { snprintf(v, n, "-"); return; }
  const cand_risk *x = &r->risk[q];
  if (!x->assessed) snprintf(v, n, "not assessed: %s", x->why);
  else snprintf(v, n, "%.2f Gy EQD2, a/b %.3g Gy, unrecovered (%s) -> %s", x->cumulative_eqd2_gy, x->alpha_beta_gy, x->structure,
                risk_tier_name(x->risk.tier));
}
CELL(c_carotid, risk_cell(r, 0, v, n))
CELL(c_mandible, risk_cell(r, 1, v, n))

static const char *verdict_word(accum_verdict v) {
  switch (v) {
  case VERDICT_PASS: return "PASS";
  case VERDICT_FAIL: return "FAIL";
  case VERDICT_NOT_APPLICABLE: return "n/a";
  case VERDICT_INCOMPLETE: return "INCOMPLETE";
  default: return "not evaluated";
  }
}

static void rows_section(const cand_comparison *cmp, rert_report *r, const char *number) {
  char t[160];
  title(t, sizeof t, number, 1, "Candidates: constraint rows side by side");
  cJSON *s = report_add_section(r, "candidates_rows", t);
  report_add_paragraph(s, "Each row is evaluated for each candidate on the same prior maps (cumulative rows: prior courses recovered as the row assumes plus the candidate; new-course rows: the candidate alone). Value and verdict per candidate, nominal; the worst case within the dose-mapping uncertainty is in report.json (candidates[].evaluations).");
  int nc = 4 + 2 * cmp->n;
  report_column *cols = calloc((size_t)nc, sizeof *cols);
  char (*keys)[16] = calloc((size_t)nc, sizeof *keys);
  char (*labels)[96] = calloc((size_t)nc, sizeof *labels);
  if (!cols || !keys || !labels) goto out;
  cols[0] = (report_column){"structure", "Structure", 0, NULL};
  cols[1] = (report_column){"metric", "Metric", 0, NULL};
  cols[2] = (report_column){"tier", "Tier", 0, "tier"};
  cols[3] = (report_column){"limit_text", "Limit", 0, NULL};
  for (int i = 0; i < cmp->n; i++) {
    snprintf(keys[4 + 2 * i], sizeof keys[0], "v%d", i);
    snprintf(keys[5 + 2 * i], sizeof keys[0], "s%d", i);
    snprintf(labels[4 + 2 * i], sizeof labels[0], "%s", cmp->c[i].id);
    snprintf(labels[5 + 2 * i], sizeof labels[0], "%s verdict", cmp->c[i].id);
    cols[4 + 2 * i] = (report_column){keys[4 + 2 * i], labels[4 + 2 * i], 2, NULL};
    cols[5 + 2 * i] = (report_column){keys[5 + 2 * i], labels[5 + 2 * i], 0, "verdict"};
  }
  for (int p = 0; p < cmp->nprot; p++) {
    char cap[400];
    snprintf(cap, sizeof cap, "Protocol %s: %s.", cmp->prot[p].name, cmp->prot[p].title);
    char id[96];
    snprintf(id, sizeof id, "candidates_%s", cmp->prot[p].name);
    cJSON *rows = report_add_table(s, id, cap, cols, nc);
    const accum_evaluation *e0 = &cmp->c[0].evs[p];
    for (int k = 0; k < e0->nrows; k++) {
      const accum_eval_row *a = &e0->rows[k];
      cJSON *row = report_table_row(rows);
      cJSON_AddStringToObject(row, "constraint_id", a->c->id);
      cJSON_AddStringToObject(row, "structure", a->structure);
      cJSON_AddStringToObject(row, "metric", a->c->metric.text);
      cJSON_AddStringToObject(row, "tier", protocol_tier_name(a->c->tier));
      char lt[64];
      if (isfinite(a->limit)) snprintf(lt, sizeof lt, "%s %.2f %s", protocol_cmp_name(a->c->cmp), a->limit, a->c->limit_unit);
      else snprintf(lt, sizeof lt, "-");
      cJSON_AddStringToObject(row, "limit_text", lt);
      for (int i = 0; i < cmp->n; i++) {
        const accum_evaluation *ei = &cmp->c[i].evs[p];
        const accum_eval_row *b = k < ei->nrows && !strcmp(ei->rows[k].c->id, a->c->id) &&
                                          !strcmp(ei->rows[k].structure, a->structure)
                                      ? &ei->rows[k]
                                      : NULL;
        char kv[16], ks[16];
        snprintf(kv, sizeof kv, "v%d", i);
        snprintf(ks, sizeof ks, "s%d", i);
        num(row, kv, b ? b->value : NAN);
        cJSON_AddStringToObject(row, ks, b ? verdict_word(b->verdict) : "not evaluated");
      }
    }
  }
out:
  free(cols);
  free(keys);
  free(labels);
}

static void tumour_ntcp_let(const cand_comparison *cmp, rert_report *r, const char *number) {
  char t[160];
  title(t, sizeof t, number, 2, "Candidates: tumour coverage, NTCP and LETd");
  cJSON *s = report_add_section(r, "candidates_metrics", t);
  char cap[400];
  snprintf(cap, sizeof cap, "Tumour coverage of each candidate alone (no prior dose): D98/D95/D50/Dmin of the targets as BED and EQD2 at the tumour alpha/beta %.3g Gy (data/regimens.json), from the DVH engine of rert dvh.",
           cmp->targets.tumour_alpha_beta_gy);
  cJSON *rows = side_table(s, cmp, "candidates_tumour", cap, "Target, metric");
  static const char *const TM[4] = {"D98%", "D95%", "D50%", "Dmin"};
  if (rows && cmp->n > 0)
    for (int tgi = 0; tgi < cmp->c[0].ntargets; tgi++)
      for (int m = 0; m < 4; m++) {
        cJSON *row = report_table_row(rows);
        char item[128];
        snprintf(item, sizeof item, "%s %s%s", cmp->c[0].targets[tgi].structure, TM[m],
                 cmp->c[0].targets[tgi].is_recurrence ? " (recurrence)" : "");
        cJSON_AddStringToObject(row, "item", item);
        for (int i = 0; i < cmp->n; i++) {
          const cand_result *x = &cmp->c[i];
          char k[16], v[96];
          snprintf(k, sizeof k, "c%d", i);
          if (tgi < x->ntargets)
            snprintf(v, sizeof v, "BED %.2f / EQD2 %.2f Gy%s", x->targets[tgi].bed_gy[m], x->targets[tgi].eqd2_gy[m],
                     x->targets[tgi].complete ? "" : " (incomplete)");
          else
            snprintf(v, sizeof v, "-");
          cJSON_AddStringToObject(row, k, v);
        }
      }
  rows = side_table(s, cmp, "candidates_ntcp",
                    "NTCP (Lyman-Kutcher-Burman, domain-reference 6.7) on the cumulative EQD2 of each candidate (recovered priors + candidate, voxel alpha/beta): EUD = gEUD(a = 1/n) of the organ's DVH. Parameters from data/ntcp_lkb.json; entries marked unverified were not checked against their original tables, and reRT use is an extrapolation.",
                    "Organ, model");
  if (rows && cmp->n > 0)
    for (int q = 0; q < cmp->c[0].nntcp; q++) {
      const cand_ntcp *x0 = &cmp->c[0].ntcp[q];
      cJSON *row = report_table_row(rows);
      char item[200];
      snprintf(item, sizeof item, "%s %s (%s; TD50 %.3g, m %.3g, n %.3g)%s", x0->structure, x0->p.endpoint, x0->p.id,
               x0->p.td50_gy, x0->p.m, x0->p.n, x0->p.verified ? "" : " [unverified]");
      cJSON_AddStringToObject(row, "item", item);
      for (int i = 0; i < cmp->n; i++) {
        const cand_result *x = &cmp->c[i];
        char k[16], v[96] = "-";
        snprintf(k, sizeof k, "c%d", i);
        for (int w = 0; w < x->nntcp; w++)
          if (!strcmp(x->ntcp[w].structure, x0->structure) && !strcmp(x->ntcp[w].p.id, x0->p.id))
            snprintf(v, sizeof v, "%.1f %% (EUD %.2f Gy)", 100.0 * x->ntcp[w].ntcp, x->ntcp[w].eud_gy);
        cJSON_AddStringToObject(row, k, v);
      }
    }
  for (int i = 0; i < cmp->n; i++) {
    const cand_result *x = &cmp->c[i];
    if (!x->let.data) continue;
    static const report_column lc[] = {
        {"structure", "Structure", 0, NULL},       {"mean_kev_um", "Mean LETd", 2, NULL},
        {"dose_weighted_kev_um", "Dose-weighted", 2, NULL}, {"min_kev_um", "Min", 2, NULL},
        {"max_kev_um", "Max", 2, NULL},             {"high_dose_cc", "High-dose cc", 2, NULL},
        {"high_dose_mean_kev_um", "High-dose mean", 2, NULL},
        {"high_dose_dose_weighted_kev_um", "High-dose dose-weighted", 2, NULL}};
    char lcap[700], id[96];
    snprintf(lcap, sizeof lcap,
             "LETd (keV/um) of candidate %s per structure: mean over the contours (trilinear map), dose-weighted mean "
             "(integral of D*LETd / integral of D), and in the organ voxels receiving at least %.0f %% of the "
             "prescription (%.2f Gy). %s",
             x->id, 100.0 * cmp->opts.let_high_dose_fraction, cmp->opts.let_high_dose_fraction * x->prescription_gy,
             x->has_var_rbe ? x->rbe_text : "The dose is evaluated with a fixed RBE.");
    snprintf(id, sizeof id, "candidates_let_%d", i);
    cJSON *lr = report_add_table(s, id, lcap, lc, 8);
    for (int k = 0; k < x->nlet; k++) {
      const cand_let_stats *q = &x->let_stats[k];
      cJSON *row = report_table_row(lr);
      char nm[96];
      snprintf(nm, sizeof nm, "%s%s", q->structure, q->is_recurrence ? " (recurrence)" : "");
      cJSON_AddStringToObject(row, "structure", nm);
      num(row, "mean_kev_um", q->mean);
      num(row, "dose_weighted_kev_um", q->dose_weighted);
      num(row, "min_kev_um", q->min);
      num(row, "max_kev_um", q->max);
      num(row, "high_dose_cc", q->is_target ? NAN : q->high_dose_cc);
      num(row, "high_dose_mean_kev_um", q->is_target ? NAN : q->high_mean);
      num(row, "high_dose_dose_weighted_kev_um", q->is_target ? NAN : q->high_dose_weighted);
    }
  }
}

static void add_curve(const cand_comparison *cmp, cJSON *dvh, const char *label, const accum_structure *st,
                      const rert_volume *map) {
  rert_dvh d;
  rert_err e;
  if (cand_dvh(cmp, st, map, &d, &e) == RERT_OK && d.status == RERT_OK) report_dvh_add_histogram(dvh, label, "candidate", &d);
  dvh_free(&d);
}

static void dvh_section(const cand_comparison *cmp, rert_report *r, const char *number) {
  char t[160];
  title(t, sizeof t, number, 3, "Candidates: DVH overlays (cumulative EQD2)");
  cJSON *s = report_add_section(r, "candidates_dvh", t);
  report_add_paragraph(s, "One line per candidate: the cumulative EQD2 (prior courses recovered, voxel alpha/beta by the overlap rule) inside each organ with a constraint row, and the recurrence. Red markers: the hard cumulative limits in Gy of the first protocol.");
  const accum_input *b = cmp->base;
  for (int st = 0; st < b->nstructs; st++) {
    const char *name = b->structs[st].name;
    int constrained = st == cmp->recurrence_struct;
    for (int p = 0; p < cmp->nprot && !constrained; p++)
      for (int q = 0; q < cmp->c[0].evs[p].nrows; q++)
        if (!strcmp(cmp->c[0].evs[p].rows[q].structure, name)) constrained = 1;
    if (!constrained) continue;
    char id[96];
    snprintf(id, sizeof id, "candidates_dvh_%s", name);
    cJSON *d = report_add_dvh(s, id, name, "");
    for (int i = 0; i < cmp->n; i++) add_curve(cmp, d, cmp->c[i].id, &b->structs[st], &cmp->c[i].cumulative);
    if (cmp->nprot > 0)
      for (int q = 0; q < cmp->c[0].evs[0].nrows; q++) {
        const accum_eval_row *e = &cmp->c[0].evs[0].rows[q];
        if (strcmp(e->structure, name) || !protocol_tier_is_hard(e->c->tier) || !isfinite(e->limit)) continue;
        if (e->verdict == VERDICT_NOT_APPLICABLE || e->verdict == VERDICT_NOT_EVALUATED) continue;
        if (strcmp(e->c->limit_unit, "Gy") || e->c->scope != SCOPE_CUMULATIVE) continue;
        char lab[96];
        snprintf(lab, sizeof lab, "%s %g Gy", e->c->metric.text, e->limit);
        if (e->c->metric.kind == MET_D_PCT) report_dvh_add_limit(d, lab, e->limit, e->c->metric.param);
        else if (e->c->metric.kind == MET_DMAX || e->c->metric.kind == MET_D_CC || e->c->metric.kind == MET_DMEAN)
          report_dvh_add_limit(d, lab, e->limit, NAN);
      }
  }
}

int candidates_add_report(const cand_comparison *cmp, rert_report *r, const char *number, rert_err *err) {
  char t[160];
  title(t, sizeof t, number, 0, "Candidate comparison");
  cJSON *s = report_add_section(r, "candidates", t);
  const case_course *ref = casefile_reference(cmp->cf);
  char para[1400];
  size_t L = (size_t)snprintf(para, sizeof para,
                              "%d candidate plan(s) for the new course evaluated against the same prior accumulation: "
                              "prior course(s)",
                              cmp->n);
  for (int k = 0; k < cmp->base->ncourses && L < sizeof para; k++)
    L += (size_t)snprintf(para + L, sizeof para - L, "%s %s", k ? "," : "", cmp->base->courses[k].id);
  if (L < sizeof para)
    snprintf(para + L, sizeof para - L,
             " mapped once onto the reference grid of course %s; protocols as in the constraint table; dose-mapping "
             "uncertainty radius %.1f mm (worst case and near-ties).",
             ref ? ref->id : "-", cmp->opts.uncertainty_mm);
  report_add_paragraph(s, para);
  cJSON *rows = side_table(s, cmp, "candidates_summary", "Candidates side by side.", "Item");
  if (rows) {
    side_row(rows, cmp, "Rank", c_rank);
    side_row(rows, cmp, "Role", c_role);
    side_row(rows, cmp, "Modality, technique", c_tech);
    side_row(rows, cmp, "RBE", c_rbe);
    side_row(rows, cmp, "Prescription", c_fx);
    side_row(rows, cmp, "Verdict (hard rows)", c_verdict);
    side_row(rows, cmp, "Hard rows failing", c_fail);
    side_row(rows, cmp, "Smallest hard margin", c_margin);
    side_row(rows, cmp, "Binding row", c_mrow);
    side_row(rows, cmp, "Tumour D98 BED (tumour a/b)", c_tumour);
    side_row(rows, cmp, "Tumour D98 EQD2 (tumour a/b)", c_tumour_eqd2);
    side_row(rows, cmp, "Integral dose", c_integral);
    side_row(rows, cmp, "Headroom (dose multiple)", c_head);
    side_row(rows, cmp, "Carotid (blowout tier)", c_carotid);
    side_row(rows, cmp, "Mandible (ORN tier)", c_mandible);
  }
  static const report_column rc[] = {
      {"rank", "Rank", 0, NULL},
      {"candidate", "Candidate", 0, NULL},
      {"verdict", "Verdict", 0, "verdict"},
      {"min_margin_pct", "Smallest hard margin (%)", 2, NULL},
      {"min_margin_worst_pct", "Worst case (%)", 2, NULL},
      {"tumour_bed_gy", "Tumour D98 BED (Gy)", 2, NULL},
      {"headroom_scale", "Headroom (x dose)", 3, NULL}};
  char cap[1400];
  snprintf(cap, sizeof cap, "Ranking. Rule: %s.", cmp->rule_text);
  cJSON *rk = report_add_table(s, "candidates_ranking", cap, rc, 7);
  for (int j = 0; j < cmp->n; j++) {
    const cand_result *x = &cmp->c[cmp->order[j]];
    cJSON *row = report_table_row(rk);
    cJSON_AddNumberToObject(row, "rank", x->rank);
    cJSON_AddStringToObject(row, "candidate", x->id);
    cJSON_AddStringToObject(row, "verdict", x->verdict);
    num(row, "min_margin_pct", x->min_margin_pct);
    num(row, "min_margin_worst_pct", x->min_margin_worst_pct);
    num(row, "tumour_bed_gy", x->tumour_bed_gy);
    num(row, "headroom_scale", x->headroom_scale);
  }
  for (int i = 0; i < cmp->npairs; i++) report_add_paragraph(s, cmp->pairs[i].text);
  const cJSON *nt;
  cJSON_ArrayForEach(nt, cmp->notes) report_add_note(s, "warning", nt->valuestring);
  for (int i = 0; i < cmp->n; i++)
    if (cmp->c[i].has_var_rbe && !cmp->c[i].let_model.verified) {
      char w[700];
      snprintf(w, sizeof w, "candidate %s: variable RBE model %s: %s", cmp->c[i].id, cmp->c[i].let_model.name,
               cmp->c[i].let_model.verification);
      report_add_note(s, "warning", w);
    }
  rows_section(cmp, r, number);
  tumour_ntcp_let(cmp, r, number);
  dvh_section(cmp, r, number);
  cJSON *j = candidates_json(cmp);
  if (!j) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  cJSON_AddItemToObject(r->doc, "candidates", j);
  return RERT_OK;
}
