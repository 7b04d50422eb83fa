/* consult_report.c — the consult's report content: which numbers go into which section, in the
 * order of the ReCOG reporting items (domain-reference Addendum B; docs/report.md). Every
 * number here is copied from a step result (consult_steps.c) or from an input, never
 * recomputed, so report.json is the single source of the printed numbers.
 */
#if __has_include("rert/accumulate.h")
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consult/consult_ctx.h"
#include "rert/data.h"
#include "rert/accumulate_case.h"
#include "rert/dosemeta.h"
#include "rert/rbe.h"
#include "rert/clinical.h"

#ifndef RERT_VERSION
#define RERT_VERSION "0.0.0"
#endif

static void date_text(int has, const rert_date *d, char *buf, size_t n) {
  if (has)
    snprintf(buf, n, "%04d-%02d-%02d", d->year, d->month, d->day);
  else
    snprintf(buf, n, "unknown");
}

static void add_num(cJSON *o, const char *k, double v) {
  if (isfinite(v))
    cJSON_AddNumberToObject(o, k, v);
  else
    cJSON_AddNullToObject(o, k);
}

static void section_courses(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "courses", "1. Patient and courses");
  char dob[16];
  date_text(c->cs.has_birth_date, &c->cs.birth_date, dob, sizeof dob);
  report_add_kv_table(s, "patient", NULL, "Patient ID", c->cs.patient_id, "Patient name",
                      c->cs.patient_name, "Birth date", dob, "Sex", c->cs.sex, "Reference course",
                      c->cs.courses[c->iref].id, NULL);
  static const report_column cols[] = {
      {"course_id", "Course", 0, NULL},          {"role", "Role", 0, NULL},
      {"start_date", "First fraction", 0, NULL}, {"end_date", "Last fraction", 0, NULL},
      {"interval_months", "Interval (months)", 1, NULL},
      {"modality", "Modality", 0, NULL},         {"technique", "Technique", 0, NULL},
      {"prescription_gy", "Prescription (Gy)", 2, NULL},
      {"fractions", "Fractions", 0, NULL},       {"dose_per_fraction_gy", "Gy/fx", 2, NULL},
      {"rbe_model", "RBE model", 0, NULL},       {"dose_max_gy", "RTDOSE max (Gy)", 2, NULL}};
  cJSON *rows = report_add_table(s, "courses", "Courses as given in the case file; dose maximum read from each RTDOSE.",
                                 cols, (int)(sizeof cols / sizeof cols[0]));
  for (int i = 0; i < c->cs.ncourses; i++) {
    const case_course *cc = &c->cs.courses[i];
    cJSON *row = report_table_row(rows);
    char d[16];
    cJSON_AddStringToObject(row, "course_id", cc->id);
    cJSON_AddStringToObject(row, "role", casefile_role_name(cc->role));
    date_text(cc->has_start_date, &cc->start_date, d, sizeof d);
    cJSON_AddStringToObject(row, "start_date", d);
    date_text(cc->has_end_date, &cc->end_date, d, sizeof d);
    cJSON_AddStringToObject(row, "end_date", d);
    add_num(row, "interval_months", c->has_res ? c->res.interval_months[i] : NAN);
    cJSON_AddStringToObject(row, "modality", rbe_modality_name(cc->modality));
    cJSON_AddStringToObject(row, "technique", cc->technique);
    add_num(row, "prescription_gy", cc->prescription_gy);
    cJSON_AddNumberToObject(row, "fractions", cc->fractions);
    add_num(row, "dose_per_fraction_gy", cc->prescription_gy / cc->fractions);
    cJSON_AddStringToObject(row, "rbe_model", rbe_model_name(cc->rbe));
    float mn = 0, mx = 0;
    if (c->has_dose[i]) volume_minmax(&c->dose[i].dose, &mn, &mx);
    add_num(row, "dose_max_gy", c->has_dose[i] ? mx : NAN);
  }
}

static void section_assumptions(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "assumptions", "2. Assumptions");
  char buf[1400];
  snprintf(buf, sizeof buf,
           "Voxel EQD2 uses the local dose per fraction (D/n) with the alpha/beta below. "
           "Overlap rule: %s",
           c->res.rule_text);
  report_add_paragraph(s, buf);
  if (c->o->uncertainty_given || !(c->o->uncertainty_mm > 0))
    snprintf(buf, sizeof buf,
             "Registration uncertainty radius for the worst case: %.1f mm for every course (each course's mapped dose "
             "replaced by its maximum within that radius).%s",
             c->o->uncertainty_mm, c->o->uncertainty_mm > 0 ? "" : " No worst case was computed.");
  else
    snprintf(buf, sizeof buf,
             "Registration uncertainty radius for the worst case: per course (section 3) — the radius its registration QA "
             "supports (2 x the mean propagated-contour distance or the largest landmark TRE, at least the CTs' largest voxel dimension) where the QA measured one, else "
             "%.1f mm; each course's mapped dose is replaced by its maximum within its radius.",
             c->o->uncertainty_mm);
  report_add_paragraph(s, buf);
  static const report_column cols[] = {{"structure", "Structure", 0, NULL},
                                       {"kind", "Kind", 0, NULL},
                                       {"alpha_beta_gy", "\xce\xb1/\xce\xb2 (Gy)", 1, NULL},
                                       {"alpha_beta_from", "\xce\xb1/\xce\xb2 from", 0, NULL},
                                       {"recovery_model", "Recovery model", 0, NULL},
                                       {"recovered_fraction_pct", "Prior dose recovered (%)", 1, NULL},
                                       {"volume_cc", "Volume (cc)", 1, NULL}};
  cJSON *rows = report_add_table(s, "alpha_beta", "Per structure: alpha/beta and recovery of the most recent prior course (data/tissues.json, data/recovery_models.json; the case file's per-organ recovery and structure overrides). A protocol row that states its own alpha/beta (e.g. CARE: 2 Gy for brainstem and cord) is evaluated at that value (section 4).",
                                 cols, 7);
  const case_course *last = casefile_last_prior(&c->cs);
  int il = last ? (int)(last - c->cs.courses) : -1;
  for (int k = 0; k < c->nroi; k++) {
    cJSON *row = report_table_row(rows);
    cJSON_AddStringToObject(row, "structure", c->in.structs[k].name);
    cJSON_AddStringToObject(row, "kind", c->is_target[k] ? "target" : "organ");
    add_num(row, "alpha_beta_gy", c->res.struct_alpha_beta_gy[k]);
    const case_override *ov = accum_case_structure_override(&c->cs, c->in.structs[k].name);
    cJSON_AddStringToObject(row, "alpha_beta_from",
                            ov && isfinite(ov->alpha_beta_gy) ? "case override"
                            : c->is_target[k]                 ? "target default"
                                                              : "data/tissues.json");
    cJSON_AddStringToObject(row, "recovery_model", c->in.structs[k].recovery[il >= 0 ? il : 0]);
    if (ov && ov->recovery[0]) cJSON_AddStringToObject(row, "recovery_from", "case override");
    add_num(row, "recovered_fraction_pct", il >= 0 ? 100.0 * accum_result_recovered(&c->res, il, k) : NAN);
    add_num(row, "volume_cc", c->maskvol[k].data ? geom_mask_volume_cc(&c->mask[k]) : NAN);
  }
  snprintf(buf, sizeof buf,
           "Voxels outside every listed structure: alpha/beta %.1f Gy (targets %.1f Gy), recovery '%s'.",
           c->res.unlisted_alpha_beta_gy, c->res.target_alpha_beta_gy, c->in.default_recovery);
  report_add_paragraph(s, buf);
  if (c->res.high_dose_per_fraction_voxels > 0) {
    snprintf(buf, sizeof buf,
             "%ld voxels receive a dose per fraction above the LQ model-dependence threshold "
             "(domain-reference 1.5); their EQD2 is model dependent.",
             c->res.high_dose_per_fraction_voxels);
    report_add_note(s, "warning", buf);
  }
  /* every override in force, with its reason and where it is applied */
  if (c->cs.noverrides > 0) {
    static const report_column oc[] = {{"kind", "Override", 0, NULL},
                                       {"applies_to", "Applies to", 0, NULL},
                                       {"setting", "Setting", 0, NULL},
                                       {"reason", "Reason", 0, NULL},
                                       {"applied_by", "Applied by", 0, NULL}};
    cJSON *orows = report_add_table(s, "overrides", "Overrides in force (case file $.overrides), each applied and with its reason.", oc, 5);
    for (int i = 0; i < c->cs.noverrides; i++) {
      const case_override *o = &c->cs.override[i];
      cJSON *row = report_table_row(orows);
      char set[200] = "", to[300];
      if (o->kind == OVERRIDE_STRUCTURE) {
        int n = 0;
        if (isfinite(o->alpha_beta_gy)) n = snprintf(set, sizeof set, "alpha/beta %g Gy", o->alpha_beta_gy);
        if (o->recovery[0]) snprintf(set + n, sizeof set - (size_t)n, "%srecovery %s", n ? "; " : "", o->recovery);
        int matched = 0;
        for (int k = 0; k < c->nroi; k++) matched += accum_case_structure_override(&c->cs, c->in.structs[k].name) == o;
        snprintf(to, sizeof to, "structure %s (%d structure(s) of the structure set)", o->structure, matched);
        cJSON_AddStringToObject(row, "kind", "structure alpha/beta and recovery");
        cJSON_AddStringToObject(row, "applied_by",
                                "accumulation (alpha/beta map, recovery), protocol rows without their own alpha/beta, remaining tolerance, regimen solver, toxicity doses");
      } else {
        snprintf(set, sizeof set, "allow interlock %s", o->interlock);
        snprintf(to, sizeof to, "%s%s%s%s", o->course[0] ? "course " : "every course", o->course,
                 o->object[0] ? ", object " : "", o->object);
        cJSON_AddStringToObject(row, "kind", "interlock");
        /* the registry says which module applies it (src/gate/gate_interlocks.c) */
        const gate_interlock *gi = gate_interlock_find(o->interlock);
        int is_reg = gi && strcmp(gi->applied_by, "gate") != 0;
        int used = 0;
        for (int k = 0; is_reg && k < c->cs.ncourses; k++) used |= c->reg[k].override_reason[0] != 0 &&
                                                                  (!o->course[0] || !strcmp(o->course, c->cs.courses[k].id));
        cJSON_AddStringToObject(row, "applied_by", !is_reg ? "DICOM input checks"
                                                   : used  ? "registration QA (section 3): applied"
                                                           : "registration QA (section 3): not applied, the QA did not fail");
      }
      cJSON_AddStringToObject(row, "applies_to", to);
      cJSON_AddStringToObject(row, "setting", set);
      cJSON_AddStringToObject(row, "reason", o->reason);
      cJSON_AddStringToObject(row, "json_path", o->json_path);
    }
  } else {
    report_add_paragraph(s, "Overrides: none.");
  }
  const cJSON *n;
  cJSON_ArrayForEach(n, c->notes) report_add_note(s, "warning", n->valuestring);
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

/* How every ROI of the reference structure set was resolved (rert/structmap.h): the name used,
 * by which rule (case file structure_map, TG-263 name, synonym table), the role and why, and
 * whether the consult used it. Unmapped ROIs are listed, never silently dropped. */
static void table_structure_mapping(consult_ctx *c, cJSON *s) {
  if (!c->has_map) return;
  static const report_column cols[] = {
      {"roi_name", "ROI", 0, NULL},          {"name", "Used as", 0, NULL},
      {"role", "Role", 0, NULL},             {"how_text", "How the name was resolved", 0, NULL},
      {"role_text", "Why this role", 0, NULL}, {"used", "Used", 0, NULL}};
  char cap[1400];
  int unused = 0;
  for (int i = 0; i < c->map.n; i++) unused += c->map.e[i].role != SROLE_ORGAN && c->map.e[i].role != SROLE_TARGET;
  snprintf(cap, sizeof cap,
           "Structure identity: every ROI of %s (%d ROIs, %d not used) resolved by the case file's structure_map, "
           "then the synonym table data/structure_synonyms.json (AAPM TG-263 names), else unmapped. Derived "
           "structures (PRV, opt, z_ helpers, margins) never map to the organ; a constraint whose organ no ROI "
           "resolves to is NOT EVALUATED in section 4.",
           c->map.source, c->map.n, unused);
  cJSON *rows = report_add_table(s, "structure_mapping", cap, cols, (int)(sizeof cols / sizeof cols[0]));
  for (int i = 0; i < c->map.n; i++) {
    const smap_entry *e = &c->map.e[i];
    cJSON *row = report_table_row(rows);
    cJSON_AddStringToObject(row, "roi_name", e->local);
    cJSON_AddNumberToObject(row, "roi_number", e->roi_number);
    cJSON_AddStringToObject(row, "interpreted_type", e->interpreted_type);
    cJSON_AddStringToObject(row, "name", e->name[0] ? e->name : "-");
    cJSON_AddStringToObject(row, "how", structmap_how_name(e->how));
    cJSON_AddStringToObject(row, "role", structmap_role_name(e->role));
    cJSON_AddStringToObject(row, "how_text", e->how_text);
    cJSON_AddStringToObject(row, "role_text", e->role_text);
    int used = c->needed && c->needed[i];
    cJSON_AddStringToObject(row, "used", used ? (e->ncontours ? "yes" : "no (empty)")
                                              : (e->role == SROLE_ORGAN ? "no (not needed)" : "no"));
  }
  for (int w = 0; w < c->map.nwarnings; w++) report_add_note(s, "info", c->map.warnings[w]);
}

static const char *row_status_word(const accum_eval_row *e) {
  switch (e->status) {
    case ROW_EVALUATED: return "evaluated";
    case ROW_PARTLY_OUTSIDE: return "partly outside dose grid";
    case ROW_NOT_APPLICABLE: return "not applicable";
    default: return "NOT EVALUATED";
  }
}

static void section_constraints(consult_ctx *c, rert_report *r, consult_summary *sum) {
  cJSON *s = report_add_section(r, "constraints", "4. Constraint evaluation (nominal and worst case)");
  table_structure_mapping(c, s);
  static const report_column cols[] = {
      {"structure", "Structure", 0, NULL},   {"metric", "Metric", 0, NULL},
      {"tier", "Tier", 0, "tier"},           {"alpha_beta_gy", "\xce\xb1/\xce\xb2 (Gy)", 1, NULL},
      {"status_text", "Status", 0, NULL},
      {"value", "Value", 2, NULL},           {"limit_text", "Limit", 0, NULL},
      {"margin", "Margin", 2, NULL},         {"verdict", "Nominal", 0, "verdict"},
      {"worst_value", "Worst value", 2, NULL}, {"worst_verdict", "Worst case", 0, "verdict"}};
  for (int p = 0; p < c->nprot; p++) {
    const accum_evaluation *ev = &c->ev[p];
    /* accumulate's hard_failures / desirable_failures count a row that fails nominally OR in the
     * worst case; the report keeps the two apart: nominal counts on the nominal map only */
    int hard_nom = 0, hard_wc = 0, des_nom = 0, des_wc = 0;
    for (int k = 0; k < ev->nrows; k++) {
      const accum_eval_row *e = &ev->rows[k];
      int fn = e->verdict == VERDICT_FAIL, fw = e->has_worst && e->worst_verdict == VERDICT_FAIL;
      if (protocol_tier_is_hard(e->c->tier)) hard_nom += fn, hard_wc += fw;
      else if (e->c->tier == TIER_DESIRABLE) des_nom += fn, des_wc += fw;
    }
    char cap[700];
    snprintf(cap, sizeof cap,
             "Protocol %s: %s. Hard failures: %d nominal, %d worst case; desirable failures: %d "
             "nominal, %d worst case; not evaluated: %d (%d mandatory/acceptable).",
             c->prot[p].name, c->prot[p].title, hard_nom, hard_wc, des_nom, des_wc, ev->not_evaluated,
             ev->hard_not_evaluated);
    cJSON *rows = report_add_table(s, c->prot[p].name, cap, cols, (int)(sizeof cols / sizeof cols[0]));
    sum->hard_failures += hard_nom;
    sum->hard_incomplete += ev->hard_incomplete;
    sum->hard_not_evaluated += ev->hard_not_evaluated;
    sum->partial_rows += ev->partial_rows;
    for (int k = 0; k < ev->nrows; k++) {
      const accum_eval_row *e = &ev->rows[k];
      cJSON *row = report_table_row(rows);
      cJSON_AddStringToObject(row, "constraint_id", e->c->id);
      cJSON_AddStringToObject(row, "structure", e->structure);
      if (e->roi_name[0]) cJSON_AddStringToObject(row, "roi_name", e->roi_name);
      /* one status per row (docs/accumulate.md "Every constraint accounted for") */
      cJSON_AddStringToObject(row, "status", accum_row_status_name(e->status));
      if (e->reason != NE_NONE) cJSON_AddStringToObject(row, "reason", accum_ne_reason_name(e->reason));
      {
        char st[96];
        snprintf(st, sizeof st, "%s%s%s", row_status_word(e), e->reason != NE_NONE ? ": " : "",
                 e->reason != NE_NONE ? accum_ne_reason_name(e->reason) : "");
        if (e->status == ROW_PARTLY_OUTSIDE && isfinite(e->outside_pct))
          snprintf(st, sizeof st, "%s (%.1f %% outside)", row_status_word(e), e->outside_pct);
        cJSON_AddStringToObject(row, "status_text", st);
      }
      cJSON_AddBoolToObject(row, "mandatory_not_evaluated", accumulate_row_unevaluated_hard(e));
      add_num(row, "outside_pct", e->outside_pct);
      cJSON_AddStringToObject(row, "metric", e->c->metric.text);
      cJSON_AddStringToObject(row, "tier", protocol_tier_name(e->c->tier));
      cJSON_AddStringToObject(row, "scope", protocol_scope_name(e->c->scope));
      add_num(row, "alpha_beta_gy", e->alpha_beta_gy > 0 ? e->alpha_beta_gy : NAN);
      add_num(row, "value", e->value);
      cJSON_AddStringToObject(row, "comparator", protocol_cmp_name(e->c->cmp));
      add_num(row, "limit", e->limit);
      cJSON_AddStringToObject(row, "unit", e->c->limit_unit);
      char lt[64];
      snprintf(lt, sizeof lt, "%s %.2f %s", protocol_cmp_name(e->c->cmp), e->limit, e->c->limit_unit);
      cJSON_AddStringToObject(row, "limit_text", lt);
      add_num(row, "margin", e->margin);
      add_num(row, "margin_pct", e->margin_pct);
      cJSON_AddStringToObject(row, "verdict", verdict_word(e->verdict));
      add_num(row, "worst_value", e->has_worst ? e->worst_value : NAN);
      cJSON_AddStringToObject(row, "worst_verdict", e->has_worst ? verdict_word(e->worst_verdict) : "not evaluated");
      if (e->has_worst && e->worst_verdict == VERDICT_FAIL && protocol_tier_is_hard(e->c->tier))
        sum->worst_hard_failures++;
      cJSON_AddStringToObject(row, "recovery_used", e->recovery_used);
      cJSON_AddStringToObject(row, "explanation", e->explanation);
      cJSON_AddStringToObject(row, "source", e->c->source);
      cJSON_AddBoolToObject(row, "source_verified", e->c->verified);
      sum->nconstraints++;
    }
    /* sources once per protocol (each row also carries its own in report.json) */
    char src[2048] = "";
    size_t used = 0;
    for (int k = 0; k < ev->nrows; k++) {
      const char *sname = ev->rows[k].c->source;
      if (strstr(src, sname)) continue;
      int w = snprintf(src + used, sizeof src - used, "%s%s%s", used ? "; " : "Sources: ", sname,
                       ev->rows[k].c->verified ? "" : " (unverified)");
      if (w < 0 || (size_t)w >= sizeof src - used) break;
      used += (size_t)w;
    }
    if (used) report_add_paragraph(s, src);
    if (ev->interval_months == ev->interval_months) {
      char iv[160];
      snprintf(iv, sizeof iv, "Interval used for interval-dependent limits: %.1f months (n/a rows: the interval condition does not hold).", ev->interval_months);
      report_add_paragraph(s, iv);
    }
  }
}

/* Curve of a DVH sampled at ≤ 80 points (dose_gy, volume_pct) for the plot. */
static void add_curve(cJSON *dvh, const char *label, const char *kind, const rert_mask *m,
                      const rert_volume *dose) {
  rert_dvh d;
  rert_err e;
  memset(&d, 0, sizeof d);
  if (dvh_compute_mask(m, dose, NULL, &d, &e) == RERT_OK) report_dvh_add_histogram(dvh, label, kind, &d);
  dvh_free(&d);
}

static void section_dvh(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "dvh", "5. Dose-volume histograms (EQD2)");
  report_add_paragraph(s, "Each course in EQD2 at the structure's alpha/beta (dashed), the prior courses after recovery (dotted), the cumulative EQD2 (black) and, when computed, the worst case within the registration uncertainty (red dashed). Red markers are the hard limits of the first protocol: a line for Dmax/Dxcc-type limits, a diamond at (dose, volume) for Dx%.");
  for (int k = 0; k < c->nroi; k++) {
    const char *name = c->in.structs[k].name;
    if (!c->maskvol[k].data) continue; /* empty or unusable contours: nothing to plot */
    /* plot structures that carry a constraint, and the recurrence */
    int constrained = k == c->irec;
    for (int p = 0; p < c->nprot && !constrained; p++)
      for (int q = 0; q < c->ev[p].nrows; q++)
        if (strcmp(c->ev[p].rows[q].structure, name) == 0) constrained = 1;
    if (!constrained) continue;
    char id[96];
    snprintf(id, sizeof id, "dvh_%s", name);
    cJSON *d = report_add_dvh(s, id, name, "");
    for (int i = 0; i < c->cs.ncourses; i++) add_curve(d, c->cs.courses[i].id, "course", &c->mask[k], &c->res.course_eqd2[i]);
    if (c->res.recovered_prior.data) add_curve(d, "prior, recovered", "recovered_prior", &c->mask[k], &c->res.recovered_prior);
    add_curve(d, "cumulative", "cumulative", &c->mask[k], &c->res.cumulative);
    if (c->has_worst) add_curve(d, "worst case", "worst_case", &c->mask[k], &c->worst.cumulative);
    if (c->nprot > 0)
      for (int q = 0; q < c->ev[0].nrows; q++) {
        const accum_eval_row *e = &c->ev[0].rows[q];
        if (strcmp(e->structure, name) != 0 || !protocol_tier_is_hard(e->c->tier)) continue;
        if (e->verdict == VERDICT_NOT_APPLICABLE || e->verdict == VERDICT_NOT_EVALUATED) continue;
        if (strcmp(e->c->limit_unit, "Gy") != 0 || e->c->scope != SCOPE_CUMULATIVE) continue;
        char lab[96];
        snprintf(lab, sizeof lab, "%s %g Gy", e->c->metric.text, e->limit);
        if (e->c->metric.kind == MET_D_PCT)
          report_dvh_add_limit(d, lab, e->limit, e->c->metric.param);
        else if (e->c->metric.kind == MET_DMAX || e->c->metric.kind == MET_D_CC ||
                 e->c->metric.kind == MET_DMEAN)
          report_dvh_add_limit(d, lab, e->limit, NAN);
      }
  }
}

static int section_slices(consult_ctx *c, rert_report *r, rert_err *err) {
  cJSON *s = report_add_section(r, "slices", "6. Cumulative EQD2 through the recurrence");
  double centre[3];
  if (c->irec >= 0 && geom_mask_centroid_mm(&c->mask[c->irec], centre, err) == RERT_OK) {
    report_add_paragraph(s, "Planes through the centroid of the recurrence; cumulative EQD2 isodose lines (per-voxel alpha/beta, recovered prior) over the reference CT; structure outlines as contoured.");
  } else {
    double ijk[3] = {(c->grid.nx - 1) / 2.0, (c->grid.ny - 1) / 2.0, (c->grid.nz - 1) / 2.0};
    volume_index_to_world(&c->grid, ijk, centre);
    report_add_note(s, "info", "No recurrence structure: planes through the centre of the dose grid.");
  }
  float mn, mx;
  volume_minmax(&c->res.cumulative, &mn, &mx);
  double levels[8];
  int nl = 0;
  static const double cand[] = {20, 40, 60, 80, 100, 120, 140};
  for (int q = 0; q < 7 && nl < 7; q++)
    if (cand[q] < mx) levels[nl++] = cand[q];
  report_outline *ol = calloc(c->nroi > 0 ? (size_t)c->nroi : 1, sizeof *ol);
  if (!ol) return rert_err_set(err, RERT_EINTERNAL, "report: out of memory");
  int no = 0;
  for (int k = 0; k < c->nroi; k++) {
    const rert_roi *roi = c->roi[k];
    if (!c->maskvol[k].data) continue;
    ol[no].name = c->in.structs[k].name;
    ol[no].mask = &c->maskvol[k];
    memcpy(ol[no].rgb, roi->color_rgb, 3);
    if (!roi->color_rgb[0] && !roi->color_rgb[1] && !roi->color_rgb[2]) ol[no].rgb[0] = ol[no].rgb[1] = 200;
    ol[no].line_width_px = k == c->irec ? 2.2 : 1.1;
    no++;
  }
  report_slice_spec spec = {c->has_ct ? &c->ct.image : NULL, 40, 400, &c->res.cumulative, levels, nl,
                            ol, no, {centre[0], centre[1], centre[2]}, 420};
  static const char *ids[] = {"slice_axial", "slice_coronal", "slice_sagittal"};
  static const char *caps[] = {"Axial", "Coronal", "Sagittal"};
  for (int p = 0; p < 3; p++) {
    unsigned char *png;
    size_t n;
    int w, h;
    int rc = report_render_slice_png(&spec, (report_plane)p, &png, &n, &w, &h, err);
    if (rc) { free(ol); return rc; }
    char cap[160];
    snprintf(cap, sizeof cap, "%s plane through (%.1f, %.1f, %.1f) mm LPS.", caps[p], centre[0], centre[1], centre[2]);
    rc = report_add_image(r, s, ids[p], cap, png, n, w, h, err);
    if (rc) { free(ol); return rc; }
  }
  free(ol);
  return RERT_OK;
}

static void section_budget(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "budget", "7. Remaining tolerance and regimen solver");
  if (!c->has_budget) {
    report_add_paragraph(s, "No planned course in the case file: no remaining-tolerance map and no regimen solver.");
    return;
  }
  char buf[1400], names[400] = "";
  for (int p = 0; p < c->nprot; p++) {
    size_t L = strlen(names);
    snprintf(names + L, sizeof names - L, "%s%s", p ? ", " : "", c->prot[p].name);
  }
  snprintf(buf, sizeof buf,
           "Remaining cumulative EQD2 per structure under the tightest hard (mandatory/acceptable) "
           "point-like limit (Dmax, Dx cc) of every protocol (%s), minimum over the structure's "
           "voxels, and the largest new physical dose in %d fractions that keeps every voxel within "
           "it (closed form, domain-reference 1.2). Exported as remaining_eqd2.dcm and "
           "max_new_dose.dcm; both hold 0 where no limit applies and where a limit is already "
           "reached, which budget_regions.dcm (RTSTRUCT: Budget_Exhausted, Budget_Limited) tells apart.",
           names, c->budget_fractions);
  report_add_paragraph(s, buf);
  static const report_column cols[] = {{"structure", "Structure", 0, NULL},
                                       {"remaining_eqd2_min_gy", "Remaining EQD2, min (Gy)", 2, NULL},
                                       {"max_new_dose_min_gy", "Max new dose, min (Gy)", 2, NULL},
                                       {"exhausted_pct", "Limit already reached (% of voxels)", 1, NULL}};
  cJSON *rows = report_add_table(s, "remaining", NULL, cols, 4);
  for (int k = 0; k < c->nroi; k++) {
    if (!c->maskvol[k].data) continue;
    double rmin = INFINITY, dmin = INFINITY;
    long nin = 0, nex = 0;
    size_t n = volume_count(&c->remaining);
    for (size_t v = 0; v < n; v++) {
      if (c->maskvol[k].data[v] < 0.5f) continue;
      if (isfinite(c->remaining.data[v]) && c->remaining.data[v] < rmin) rmin = c->remaining.data[v];
      if (isfinite(c->maxnew.data[v]) && c->maxnew.data[v] < dmin) dmin = c->maxnew.data[v];
      if (c->exhausted.data && c->exhausted.data[v] == c->exhausted.data[v]) {
        nin++;
        nex += c->exhausted.data[v] == 1.0f;
      }
    }
    if (!isfinite(rmin) && !isfinite(dmin)) continue;
    cJSON *row = report_table_row(rows);
    cJSON_AddStringToObject(row, "structure", c->in.structs[k].name);
    add_num(row, "remaining_eqd2_min_gy", isfinite(rmin) ? rmin : NAN);
    add_num(row, "max_new_dose_min_gy", dmin);
    add_num(row, "exhausted_pct", nin > 0 ? 100.0 * (double)nex / (double)nin : NAN);
  }
  const case_course *pl = casefile_planned_course(&c->cs);
  if (c->nsolver == 0) {
    report_add_paragraph(s, "Regimen solver not run: the planned course has no prescription_gy to scale its dose distribution.");
    return;
  }
  int hard = c->solver[0].hard_rows;
  snprintf(buf, sizeof buf,
           "Regimen solver: for each regimen of data/regimens.json the planned dose distribution "
           "(normalised to its %.2f Gy prescription) is scaled, in the regimen's fractions, to the "
           "highest prescription within the regimen's clinical range that keeps every one of the "
           "%d hard rows of %s (bisection to 0.01 Gy), nominally and with every mapped prior course at its upper "
           "bound within %.1f mm. The limiting row is the one that fails first above that dose. "
           "Tumour BED10: alpha/beta %g Gy with the Thames same-day repair term for BID regimens "
           "(tumour repair half-time %g h; %s), no repopulation term; bands: curative BED10 %g-%g Gy, "
           "palliative %g-%g Gy (%s). Ranking: %s.",
           pl ? pl->prescription_gy : NAN, hard, names, c->o->uncertainty_mm, c->targets.tumour_alpha_beta_gy,
           c->targets.tumour_repair_halftime_h, c->targets.repair_source, c->targets.curative_min_gy,
           c->targets.curative_max_gy, c->targets.palliative_min_gy, c->targets.palliative_max_gy,
           c->targets.source, ACCUM_RANK_RULE_TEXT);
  static const report_column sc[] = {{"rank", "Rank", 0, NULL},
                                     {"name", "Regimen", 0, NULL},
                                     {"range_text", "Range (Gy)", 0, NULL},
                                     {"statement", "Result (nominal)", 0, NULL},
                                     {"max_prescription_gy", "Max Rx (Gy)", 2, NULL},
                                     {"dose_per_fraction_gy", "Gy/fx", 2, NULL},
                                     {"worst_text", "Worst case", 0, NULL},
                                     {"tumour_bed_gy", "Tumour BED10 (Gy)", 1, NULL},
                                     {"target_band", "Band", 0, NULL}};
  rows = report_add_table(s, "regimens", buf, sc, (int)(sizeof sc / sizeof sc[0]));
  for (int rank = 1; rank <= c->nsolver; rank++)
    for (int q = 0; q < c->nsolver; q++) {
      const accum_solution *so = &c->solver[q];
      if (so->rank != rank) continue;
      cJSON *row = report_table_row(rows);
      accum_solution_to_json(so, row);
      char t[160];
      snprintf(t, sizeof t, "%g-%g in %d fx%s", so->reg.dose_min_gy, so->reg.dose_max_gy, so->reg.fractions,
               so->reg.fractions_per_day > 1 ? " (BID)" : "");
      cJSON_AddStringToObject(row, "range_text", t);
      if (!so->has_worst) snprintf(t, sizeof t, "not computed");
      else if (so->worst.status == SOLVE_FULL) snprintf(t, sizeof t, "full dose");
      else if (!isfinite(so->worst.max_prescription_gy)) snprintf(t, sizeof t, "infeasible (already on the nominal dose)");
      else snprintf(t, sizeof t, "%s %.2f Gy (%s %s)", so->worst.status == SOLVE_REDUCED ? "up to" : "infeasible; at most",
                    so->worst.max_prescription_gy, so->worst.limiting.structure, so->worst.limiting.metric);
      cJSON_AddStringToObject(row, "worst_text", t);
    }
}

/* Course q's unrecovered EQD2 at voxel v at α/β `ab`. The accumulation's map is at the voxel's
 * α/β (overlap rule); where that differs, the LQ relation EQD2 = D·(D/n + α/β)/(2 + α/β)
 * (domain-reference 1.1) is inverted for the (RBE-weighted) dose D and re-applied at `ab`. */
static double course_eqd2_at(const consult_ctx *c, int q, size_t v, double ab) {
  double e = c->res.course_eqd2[q].data[v], abv = c->res.alpha_beta.data[v];
  int nfx = c->in.courses[q].fractions;
  if (!(e > 0) || !(abv > 0) || nfx < 1 || fabs(abv - ab) < 1e-9) return e;
  double D = 0.5 * nfx * (-abv + sqrt(abv * abv + 4.0 * e * (2.0 + abv) / nfx));
  return D * (D / nfx + ab) / (2.0 + ab);
}

/* Organ-dose rows for the toxicity tiers from the DICOM accumulation. The toxicity thresholds
 * (carotid 120–130 Gy, Bots, Chen, Nieder, Ng) are stated for UNDISCOUNTED cumulative doses, so
 * the value per organ is the maximum over its voxels (mask ≥ the accumulation's threshold) of the
 * voxelwise sum of the per-course unrecovered EQD2 maps (accum_result.course_eqd2, at the
 * structure's α/β), over every voxel the structure touches (mask > 0). This is conservative: the
 * constraint table's Dmax is the maximum inside the contours (rert dvh engine) and is lower in
 * steep gradients; a per-voxel sum is kept here because it gives each course's share at one
 * point. clinical_assess sums its rows over courses, so each course's row is that
 * course's EQD2 AT the hottest cumulative voxel: the sum is the organ's cumulative Dmax exactly.
 * (clinical_organ_doses_from_accum gives each course's own maximum instead, whose sum over-states
 * the cumulative maximum when the courses' hot spots lie apart.) hot[] gets the cumulative
 * value and the voxel index per structure (NaN / −1 when not evaluated). */
static int organ_doses_from_dicom(const consult_ctx *c, clinical_organ_dose *out, int max,
                                  double *hot, long *hot_voxel) {
  const accum_input *in = &c->in;
  const accum_result *res = &c->res;
  int n = 0;
  for (int k = 0; k < in->nstructs; k++) {
    hot[k] = NAN;
    hot_voxel[k] = -1;
    const accum_structure *st = &in->structs[k];
    if (st->is_target || !st->mask || !st->mask->data) continue;
    const size_t nv = volume_count(st->mask);
    const float *m = st->mask->data;
    const double ab = res->struct_alpha_beta_gy[k];
    double best = -INFINITY;
    long arg = -1;
    /* every voxel the structure touches (mask > 0), as the constraint evaluation's Dmax */
    for (size_t v = 0; v < nv; v++) {
      if (!(m[v] > 0)) continue;
      double sum = 0;
      for (int q = 0; q < res->ncourses; q++) sum += course_eqd2_at(c, q, v, ab);
      if (sum > best) best = sum, arg = (long)v;
    }
    if (arg < 0) continue;
    hot[k] = best;
    hot_voxel[k] = arg;
    for (int q = 0; q < res->ncourses && n < max; q++) {
      clinical_organ_dose *d = &out[n++];
      memset(d, 0, sizeof *d);
      snprintf(d->course_id, sizeof d->course_id, "%s", in->courses[q].id);
      snprintf(d->organ, sizeof d->organ, "%s", st->name);
      snprintf(d->metric, sizeof d->metric, "Dmax");
      d->eqd2_gy = course_eqd2_at(c, q, (size_t)arg, ab);
      d->alpha_beta_gy = ab;
    }
  }
  return n;
}

/* The organs whose tiers clinical_assess derives from cumulative doses (rert/clinical.h). */
static int is_toxicity_organ(const char *name) {
  static const char *const pre[] = {"A_Carotid", "Bone_Mandible", "BrachialPlex", "SpinalCord",
                                    "Lobe_Temporal"};
  for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
    if (strncmp(name, pre[i], strlen(pre[i])) == 0) return 1;
  return 0;
}

/* The clinical assessment of the case, computed once and shared by the clinical section and
 * the summary. */
typedef struct {
  cJSON *cj;                 /* clinical_assess() document, NULL when it could not run */
  char error[1400];          /* why not */
  int from_dicom;            /* toxicity organ doses from the DICOM accumulation */
  char fallback_note[1400];  /* the DICOM doses could not be used: why */
  double *hot;               /* [nroi] toxicity dose per structure (NaN none) */
  long *hotv;                /* [nroi] its voxel (-1 none) */
  int has_rr;
  double overlap_f;
  recurrence_result rr;
  char rr_error[1100];
} clin_state;

static void clin_run(consult_ctx *c, clin_state *st) {
  memset(st, 0, sizeof *st);
  st->hot = calloc((size_t)c->nroi + 1, sizeof *st->hot);
  st->hotv = calloc((size_t)c->nroi + 1, sizeof *st->hotv);
  for (int k = 0; st->hot && st->hotv && k < c->nroi; k++) st->hot[k] = NAN, st->hotv[k] = -1;
  const case_course *last = casefile_last_prior(&c->cs);
  rert_err e;
  if (c->irec >= 0 && last) {
    int il = (int)(last - c->cs.courses);
    if (recurrence_overlap_fraction(&c->maskvol[c->irec], &c->mapped[il], last->prescription_gy, &st->overlap_f, &e) == RERT_OK &&
        recurrence_classify(st->overlap_f, BOUNDARY_DAWSON, &st->rr, &e) == RERT_OK)
      st->has_rr = 1;
    else
      snprintf(st->rr_error, sizeof st->rr_error, "%s", e.msg);
  }
  clinical_options co = clinical_options_default();
  if (st->has_rr) co.overlap_fraction = st->overlap_f;
  const int MAXROWS = (c->nroi > 0 ? c->nroi : 1) * RERT_CASE_MAX_COURSES;
  clinical_organ_dose *od = calloc((size_t)MAXROWS, sizeof *od);
  int nod = od && st->hot && st->hotv ? organ_doses_from_dicom(c, od, MAXROWS, st->hot, st->hotv) : 0;
  co.organ_doses = od;
  co.norgan_doses = nod;
  st->from_dicom = nod > 0;
  if (clinical_assess(&c->cs, &co, &st->cj, &e) != RERT_OK && st->from_dicom) {
    snprintf(st->fallback_note, sizeof st->fallback_note,
             "toxicity tiers from the case file's point doses, not DICOM: %s", e.msg);
    co.organ_doses = NULL;
    co.norgan_doses = 0;
    st->from_dicom = 0;
    cJSON_Delete(st->cj);
    st->cj = NULL;
    if (clinical_assess(&c->cs, &co, &st->cj, &e) != RERT_OK) st->cj = NULL;
  }
  if (!st->cj) snprintf(st->error, sizeof st->error, "%s", e.msg);
  free(od);
}

static void clin_free(clin_state *st) {
  if (!st) return;
  cJSON_Delete(st->cj);
  free(st->hot);
  free(st->hotv);
  free(st);
}

static const char *js(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}
static double jnum_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}
/* strings of an array joined by "; " into buf */
static void join_strings(const cJSON *arr, char *buf, size_t n) {
  buf[0] = '\0';
  size_t used = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    if (!cJSON_IsString(e)) continue;
    int w = snprintf(buf + used, n - used, "%s%s", used ? "; " : "", e->valuestring);
    if (w < 0 || (size_t)w >= n - used) break;
    used += (size_t)w;
  }
}

/* The contour Dmax of section 4 for a structure (first cumulative Dmax row evaluated), NaN none. */
static double constraint_dmax(const consult_ctx *c, const char *name, char *rec, size_t n) {
  for (int p = 0; p < c->nprot; p++)
    for (int q = 0; q < c->ev[p].nrows; q++) {
      const accum_eval_row *e = &c->ev[p].rows[q];
      if (strcmp(e->structure, name) || e->c->metric.kind != MET_DMAX || e->c->scope != SCOPE_CUMULATIVE ||
          !isfinite(e->value))
        continue;
      snprintf(rec, n, "%s:%s, alpha/beta %g, recovery %s", c->prot[p].name, e->c->id, e->alpha_beta_gy,
               e->recovery_used);
      return e->value;
    }
  return NAN;
}

static const char *const risk_keys[] = {"carotid_blowout", "mandible_orn", "brachial_plexopathy",
                                        "myelopathy", "temporal_lobe_necrosis"};
static const char *const risk_titles[] = {"Carotid blowout", "Mandible osteoradionecrosis",
                                          "Brachial plexopathy", "Myelopathy",
                                          "Temporal lobe necrosis"};

static void section_clinical(consult_ctx *c, rert_report *r, const clin_state *st) {
  cJSON *s = report_add_section(r, "clinical", "8. Clinical assessment");
  const case_course *last = casefile_last_prior(&c->cs);
  char buf[2400];
  /* recurrence pattern from DICOM (domain-reference 7.3) */
  if (st->has_rr) {
    char fs[32], rx[32];
    snprintf(fs, sizeof fs, "%.3f", st->overlap_f);
    snprintf(rx, sizeof rx, "%.2f Gy", last->prescription_gy);
    report_add_kv_table(s, "recurrence_pattern",
                        "Recurrence pattern from DICOM: fraction f of the recurrence inside the 95 % isodose of the most recent prior course (mapped onto the reference).",
                        "Recurrence structure", c->in.structs[c->irec].name, "Prior course", last->id,
                        "Prior prescription", rx, "Overlap fraction f", fs, "Class (f >= 0.95 in-field, Dawson)",
                        st->rr.label, "Target-volume advice", st->rr.advice, "Source", st->rr.source, NULL);
  } else if (st->rr_error[0]) {
    report_add_note(s, "warning", st->rr_error);
  }
  if (!st->cj) {
    snprintf(buf, sizeof buf, "Clinical assessment not made: %s", st->error);
    report_add_note(s, "warning", buf);
    return;
  }
  const cJSON *cj = st->cj;
  /* MIRI RPA */
  const cJSON *o = cJSON_GetObjectItem(cj, "rpa");
  if (o) {
    if (cJSON_IsTrue(cJSON_GetObjectItem(o, "assessable")) || !cJSON_GetObjectItem(o, "assessable")) {
      if (!strcmp(js(o, "class_label"), "indeterminate"))
        snprintf(buf, sizeof buf, "MIRI RPA class indeterminate: %s (decided by %s). %s Source: %s.",
                 js(o, "possible"), js(o, "missing"), js(o, "rationale"), js(o, "source"));
      else
        snprintf(buf, sizeof buf, "MIRI RPA class %s: %s. Reported survival: %s. Source: %s.", js(o, "class_label"),
                 js(o, "rationale"), js(o, "survival"), js(o, "source"));
    } else {
      snprintf(buf, sizeof buf, "MIRI RPA class: not assessable: %s.", js(o, "not_assessable"));
    }
    report_add_paragraph(s, buf);
  }
  /* intent */
  o = cJSON_GetObjectItem(cj, "intent");
  if (o && cJSON_GetObjectItem(o, "intent")) {
    const cJSON *t = cJSON_GetObjectItem(o, "targets_bed10_gy");
    char planned[300] = "";
    if (isfinite(jnum_of(o, "planned_bed10_gy"))) {
      const char *rg = js(o, "bed10_range");
      snprintf(planned, sizeof planned, " The planned course gives the tumour BED10 %.1f Gy (EQD2 %.1f Gy), %s the curative band.",
               jnum_of(o, "planned_bed10_gy"), jnum_of(o, "planned_eqd2_gy"),
               !strcmp(rg, "above_curative") ? "above" : !strcmp(rg, "curative") ? "within" : "below");
    }
    const cJSON *ars = cJSON_GetObjectItem(o, "ars_reirradiation");
    snprintf(buf, sizeof buf,
             "Treatment intent: %s (%s). Tumour targets: curative BED10 %g-%g Gy, palliative BED10 %g-%g Gy.%s "
             "Re-irradiation by the ARS definition: %s (%s).%s%s Source: %s.",
             js(o, "intent"), js(o, "basis"), jnum_of(t, "curative_lo"), jnum_of(t, "curative_hi"), jnum_of(t, "palliative_lo"),
             jnum_of(t, "palliative_hi"), planned,
             cJSON_IsTrue(ars) ? "yes" : cJSON_IsFalse(ars) ? "no" : "unknown", js(o, "ars_reirradiation_reason"),
             js(o, "interval_note")[0] ? " Note: " : "", js(o, "interval_note"), js(o, "source"));
    report_add_paragraph(s, buf);
  } else if (o) {
    snprintf(buf, sizeof buf, "Treatment intent: not assessable: %s.", js(o, "not_assessable"));
    report_add_paragraph(s, buf);
  }
  /* organ doses: both definitions side by side, labelled, with why they differ */
  if (st->fallback_note[0]) report_add_note(s, "warning", st->fallback_note);
  if (st->from_dicom) {
    report_add_paragraph(s,
        "Organ doses: two definitions, shown together. (a) Toxicity dose: cumulative EQD2 WITHOUT "
        "recovery discount (the toxicity thresholds - carotid 120-130 Gy, Bots 100 Gy, Chen 95 Gy, "
        "Nieder BED2 - were derived on undiscounted sums), the maximum over every dose-grid voxel the "
        "structure touches; conservative, it feeds the risk tiers below. (b) Constraint Dmax: the "
        "maximum inside the contours (rert dvh engine, section 4) with the recovery the protocol row "
        "assumes. (a) exceeds (b) where a voxel only partly inside the structure sits in a steep "
        "gradient or where recovery discounts the prior course.");
    static const report_column dcols[] = {
        {"structure", "Structure", 0, NULL},
        {"alpha_beta_gy", "\xce\xb1/\xce\xb2 (Gy)", 1, NULL},
        {"cumulative_eqd2_unrecovered_gy", "(a) Toxicity dose: EQD2 unrecovered, hottest voxel touched (Gy)", 2, NULL},
        {"constraint_dmax_gy", "(b) Constraint Dmax: contours, with recovery (Gy)", 2, NULL},
        {"contributions", "(a) per course at that voxel", 0, NULL}};
    cJSON *rows = report_add_table(s, "clinical_organ_doses",
                                   "Organ doses behind the toxicity tiers (a) next to the constraint table's Dmax (b).", dcols, 5);
    for (int k = 0; k < c->in.nstructs; k++) {
      if (st->hotv[k] < 0 || !is_toxicity_organ(c->in.structs[k].name)) continue;
      cJSON *row = report_table_row(rows);
      cJSON_AddStringToObject(row, "structure", c->in.structs[k].name);
      add_num(row, "alpha_beta_gy", c->res.struct_alpha_beta_gy[k]);
      add_num(row, "cumulative_eqd2_unrecovered_gy", st->hot[k]);
      char rec[300] = "";
      add_num(row, "constraint_dmax_gy", constraint_dmax(c, c->in.structs[k].name, rec, sizeof rec));
      if (rec[0]) cJSON_AddStringToObject(row, "constraint_dmax_row", rec);
      char contrib[512] = "";
      size_t used = 0;
      for (int q = 0; q < c->res.ncourses && used < sizeof contrib; q++) {
        int w = snprintf(contrib + used, sizeof contrib - used, "%s%s %.2f Gy", q ? "; " : "",
                         c->in.courses[q].id,
                         course_eqd2_at(c, q, (size_t)st->hotv[k], c->res.struct_alpha_beta_gy[k]));
        if (w < 0) break;
        used += (size_t)w;
      }
      cJSON_AddStringToObject(row, "contributions", contrib);
      double ijk[3], x[3];
      long nx = c->grid.nx, ny = c->grid.ny;
      ijk[0] = (double)(st->hotv[k] % nx);
      ijk[1] = (double)((st->hotv[k] / nx) % ny);
      ijk[2] = (double)(st->hotv[k] / (nx * ny));
      volume_index_to_world(&c->grid, ijk, x);
      cJSON_AddItemToObject(row, "voxel_mm", cJSON_CreateDoubleArray(x, 3));
    }
  } else {
    report_add_paragraph(s, "Toxicity tiers use the case file's point doses (cumulative EQD2 without recovery discount); the DICOM-derived cumulative values are in the constraint table.");
  }
  /* toxicity risk tiers */
  const cJSON *tox = cJSON_GetObjectItem(cj, "toxicity");
  if (tox) {
    static const report_column tc[] = {{"risk", "Risk", 0, NULL},       {"tier", "Tier", 0, NULL},
                                       {"estimate", "Estimate", 0, NULL}, {"factors", "Driven by", 0, NULL},
                                       {"advice", "Advice", 0, NULL},    {"source", "Source", 0, NULL}};
    cJSON *rows = report_add_table(s, "clinical_toxicity", "Toxicity risk tiers (rert assess) with the factors that drove them.", tc, 6);
    for (int q = 0; q < 5; q++) {
      const cJSON *x = cJSON_GetObjectItem(tox, risk_keys[q]);
      if (!x) continue;
      cJSON *row = report_table_row(rows);
      char f[1200];
      join_strings(cJSON_GetObjectItem(x, "factors"), f, sizeof f);
      if (cJSON_IsFalse(cJSON_GetObjectItem(x, "assessable")))
        snprintf(f, sizeof f, "not assessable: %s", js(x, "not_assessable"));
      cJSON_AddStringToObject(row, "risk", risk_titles[q]);
      cJSON_AddStringToObject(row, "tier", js(x, "tier"));
      cJSON_AddStringToObject(row, "estimate", js(x, "estimate"));
      cJSON_AddStringToObject(row, "factors", f);
      cJSON_AddStringToObject(row, "advice", js(x, "advice"));
      cJSON_AddStringToObject(row, "source", js(x, "source"));
    }
    const cJSON *nt, *arr = cJSON_GetObjectItem(tox, "ntcp_lkb");
    if (cJSON_GetArraySize(arr) > 0) {
      static const report_column nc[] = {{"organ", "Organ", 0, NULL},   {"endpoint", "Endpoint", 0, NULL},
                                         {"ntcp_pct", "NTCP (%)", 1, NULL}, {"eud_gy", "EUD (Gy)", 1, NULL},
                                         {"kind", "Kind", 0, NULL},      {"source", "Source", 0, NULL}};
      cJSON *nrows = report_add_table(s, "clinical_ntcp", "LKB NTCP from the case file's point doses (parameters flagged unverified where so).", nc, 6);
      cJSON_ArrayForEach(nt, arr) {
        cJSON *row = report_table_row(nrows);
        cJSON_AddStringToObject(row, "organ", js(nt, "organ"));
        cJSON_AddStringToObject(row, "endpoint", js(nt, "endpoint"));
        add_num(row, "ntcp_pct", 100.0 * jnum_of(nt, "ntcp"));
        add_num(row, "eud_gy", jnum_of(nt, "eud_gy"));
        cJSON_AddStringToObject(row, "kind", js(nt, "kind"));
        cJSON_AddStringToObject(row, "source", js(nt, "source"));
      }
    }
  }
  /* ARS */
  o = cJSON_GetObjectItem(cj, "ars");
  if (o) {
    if (js(o, "key_question")[0])
      snprintf(buf, sizeof buf, "ARS appropriate-use criteria: %s, panel case %s. Match: %s. Recommendation: %s",
               js(o, "key_question"), js(o, "panel_case"), js(o, "match_reason"), js(o, "recommendation"));
    else
      snprintf(buf, sizeof buf, "ARS appropriate-use criteria: %s",
               js(o, "not_assessable")[0] ? js(o, "not_assessable") : js(o, "match_reason"));
    report_add_paragraph(s, buf);
    const cJSON *arr = cJSON_GetObjectItem(o, "options"), *op;
    if (cJSON_GetArraySize(arr) > 0) {
      static const report_column ac[] = {{"treatment", "Option", 0, NULL},
                                         {"category_text", "Panel rating", 0, NULL},
                                         {"median", "Median", 0, NULL},
                                         {"strength_of_recommendation", "Strength", 0, NULL},
                                         {"strength_of_evidence", "Evidence", 0, NULL}};
      char cap[700];
      snprintf(cap, sizeof cap, "Panel ratings of the matched scenario (1-9; A usually appropriate, M may be, U usually not; * panel disagreement). Source: %s", js(o, "source"));
      cJSON *rows = report_add_table(s, "clinical_ars", cap, ac, 5);
      cJSON_ArrayForEach(op, arr) {
        cJSON *row = report_table_row(rows);
        const char *cat = js(op, "category");
        char ct[96];
        snprintf(ct, sizeof ct, "%s (%s)", cat,
                 cat[0] == 'A' ? "usually appropriate" : cat[0] == 'M' ? "may be appropriate" : "usually not appropriate");
        cJSON_AddStringToObject(row, "treatment", js(op, "treatment"));
        cJSON_AddStringToObject(row, "category", cat);
        cJSON_AddStringToObject(row, "category_text", ct);
        add_num(row, "median", jnum_of(op, "median"));
        cJSON_AddStringToObject(row, "strength_of_recommendation", js(op, "strength_of_recommendation"));
        cJSON_AddStringToObject(row, "strength_of_evidence", js(op, "strength_of_evidence"));
      }
    }
  }
}

static void section_provenance(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "provenance", "9. Provenance");
  char unc[32];
  snprintf(unc, sizeof unc, "%.1f mm", c->o->uncertainty_mm);
  report_add_kv_table(s, "software", NULL, "Software", "rert " RERT_VERSION, "Command",
                      c->o->command_line ? c->o->command_line : "", "Case file", c->o->case_path,
                      "Uncertainty radius", unc, "Digest", "SHA-256 (GNU Nettle)", NULL);
  static const report_column cols[] = {{"role", "Input", 0, NULL}, {"path", "Path", 0, NULL}, {"sha256", "SHA-256", 0, NULL}};
  cJSON *rows = report_add_table(s, "inputs", "Input files (a CT series: SHA-256 over the sorted 'name digest' lines of its files).", cols, 3);
  const cJSON *in;
  cJSON_ArrayForEach(in, c->inputs) cJSON_AddItemToArray(rows, cJSON_Duplicate(in, 1));
}

/* ---- summary ---- */

/* Per-row status for the verdict. The accumulate module's row verdicts map onto it today; a
 * per-row evaluation status (evaluated / not applicable / not evaluated / partly outside) plugs
 * in here without touching the summary. */
typedef enum { RS_PASS = 0, RS_FAIL, RS_NOT_APPLICABLE, RS_NOT_EVALUATED, RS_INCOMPLETE } row_status;

static row_status status_of(accum_verdict v) {
  switch (v) {
    case VERDICT_PASS: return RS_PASS;
    case VERDICT_FAIL: return RS_FAIL;
    case VERDICT_NOT_APPLICABLE: return RS_NOT_APPLICABLE;
    case VERDICT_INCOMPLETE: return RS_INCOMPLETE;
    default: return RS_NOT_EVALUATED;
  }
}

/* One named row of the summary: organ, metric, value, limit, protocol, bound. */
static cJSON *summary_row(const consult_ctx *c, int p, const accum_eval_row *e, int worst, const char *why) {
  cJSON *o = cJSON_CreateObject();
  double v = worst ? e->worst_value : e->value;
  cJSON_AddStringToObject(o, "structure", e->structure);
  cJSON_AddStringToObject(o, "metric", e->c->metric.text);
  add_num(o, "value", v);
  cJSON_AddStringToObject(o, "comparator", protocol_cmp_name(e->c->cmp));
  add_num(o, "limit", e->limit);
  cJSON_AddStringToObject(o, "unit", e->c->limit_unit);
  cJSON_AddStringToObject(o, "protocol", c->prot[p].name);
  cJSON_AddStringToObject(o, "constraint_id", e->c->id);
  cJSON_AddStringToObject(o, "tier", protocol_tier_name(e->c->tier));
  cJSON_AddStringToObject(o, "bound", worst ? "worst case" : "nominal");
  char t[700];
  if (why)
    snprintf(t, sizeof t, "%s %s %s %g %s (%s:%s, %s): not evaluated - %s", e->structure, e->c->metric.text,
             protocol_cmp_name(e->c->cmp), e->limit, e->c->limit_unit, c->prot[p].name, e->c->id,
             protocol_tier_name(e->c->tier), why);
  else
    snprintf(t, sizeof t, "%s %s %.2f %s, limit %s %g %s (%s:%s, %s; %s)", e->structure, e->c->metric.text, v,
             e->c->limit_unit, protocol_cmp_name(e->c->cmp), e->limit, e->c->limit_unit, c->prot[p].name,
             e->c->id, protocol_tier_name(e->c->tier),
             worst ? "worst case within the registration uncertainty" : "nominal");
  cJSON_AddStringToObject(o, "text", t);
  if (why) cJSON_AddStringToObject(o, "reason", why);
  return o;
}

static int tier_rank(const char *t) {
  return !strcmp(t, "high") ? 3 : !strcmp(t, "intermediate") ? 2 : !strcmp(t, "low") ? 1 : 0;
}

/* The summary object that leads report.json and the CLI output. */
static cJSON *summary_build(consult_ctx *c, const clin_state *st, consult_summary *sum) {
  cJSON *sj = cJSON_CreateObject();
  cJSON *fail = cJSON_CreateArray(), *unev = cJSON_CreateArray(), *des = cJSON_CreateArray();
  int nfail_nom = 0, nfail_wc = 0, nunev = 0, nrows = 0, npartial = 0;
  for (int p = 0; p < c->nprot; p++) {
    const accum_evaluation *ev = &c->ev[p];
    for (int k = 0; k < ev->nrows; k++) {
      const accum_eval_row *e = &ev->rows[k];
      nrows++;
      row_status rs = status_of(e->verdict), ws = e->has_worst ? status_of(e->worst_verdict) : RS_NOT_APPLICABLE;
      if (!e->complete && rs != RS_NOT_EVALUATED) npartial++;
      const int hard = protocol_tier_is_hard(e->c->tier);
      if (!hard) {
        if (e->c->tier == TIER_DESIRABLE && (rs == RS_FAIL || ws == RS_FAIL))
          cJSON_AddItemToArray(des, summary_row(c, p, e, rs != RS_FAIL, NULL));
        continue;
      }
      if (rs == RS_FAIL) {
        nfail_nom++;
        cJSON_AddItemToArray(fail, summary_row(c, p, e, 0, NULL));
      }
      if (ws == RS_FAIL) {
        nfail_wc++;
        if (rs != RS_FAIL) cJSON_AddItemToArray(fail, summary_row(c, p, e, 1, NULL));
      }
      if (accumulate_row_unevaluated_hard(e) || rs == RS_NOT_EVALUATED || rs == RS_INCOMPLETE ||
          (rs == RS_PASS && ws == RS_INCOMPLETE)) {
        nunev++;
        char why[400];
        snprintf(why, sizeof why, "%s%s%s", e->reason != NE_NONE ? accum_ne_reason_name(e->reason) : "",
                 e->reason != NE_NONE && e->explanation[0] ? ": " : "",
                 e->explanation[0] ? e->explanation : e->reason != NE_NONE ? "" : "no value");
        cJSON_AddItemToArray(unev, summary_row(c, p, e, 0, why));
      }
    }
  }
  /* the verdict of every protocol together, the one rule of accumulate_overall (rert/accumulate.h):
   * FAIL when a hard row fails nominally or in the worst case (the upper bound within the
   * registration uncertainty is an approximation on the safe side); else INCOMPLETE when a hard
   * row has no verdict; else PASS */
  accum_overall ov;
  accumulate_overall(c->ev, c->nprot, &ov);
  const char *verdict = accumulate_overall_name(ov.verdict);
  /* a dose mapped through a registration that failed its QA (or could not be checked) and no
   * override: at best INCOMPLETE (docs/register.md "QA") */
  int qa_block = 0;
  for (int i = 0; i < c->cs.ncourses; i++) qa_block += c->reg[i].blocks;
  if (qa_block > 0 && !strcmp(verdict, "PASS")) verdict = "INCOMPLETE";
  sum->registration_qa_failed = qa_block;
  sum->hard_not_evaluated = ov.hard_not_evaluated;
  sum->hard_failures = nfail_nom;
  sum->worst_hard_failures = nfail_wc;
  sum->hard_incomplete = nunev;
  sum->partial_rows = npartial;
  sum->nconstraints = nrows;
  char line[1200];
  if (strcmp(verdict, "FAIL") && nfail_nom + nfail_wc > 0) verdict = "FAIL"; /* one rule, never weaker */
  if (!strcmp(verdict, "PASS") && nunev > 0) verdict = "INCOMPLETE";
  snprintf(sum->verdict, sizeof sum->verdict, "%s", verdict);
  if (nfail_nom > 0)
    snprintf(line, sizeof line, "FAIL: %d hard (mandatory/acceptable) constraint row(s) fail on the nominal cumulative dose%s%s.",
             nfail_nom, nunev ? "; some hard rows could not be evaluated" : "",
             nfail_wc > nfail_nom ? "; more fail in the worst case" : "");
  else if (nfail_wc > 0)
    snprintf(line, sizeof line, "FAIL in the worst case: no hard row fails on the nominal dose, but %d hard row(s) fail with every mapped prior course at its maximum within its registration uncertainty radius (section 3)%s.",
             nfail_wc, nunev ? "; some hard rows could not be evaluated" : "");
  else if (nunev > 0)
    snprintf(line, sizeof line, "INCOMPLETE: no hard constraint row fails, but %d hard row(s) could not be evaluated%s; this is not a pass.",
             nunev, qa_block ? ", and a registration failed its QA (section 3)" : "");
  else if (qa_block > 0)
    snprintf(line, sizeof line,
             "INCOMPLETE: no hard constraint row fails, but the registration of %d course(s) failed its QA or could not be "
             "checked (section 3), so the cumulative dose cannot be trusted; this is not a pass.", qa_block);
  else
    snprintf(line, sizeof line, "PASS: every hard constraint row of %d protocol(s) was evaluated and passes, nominally and in the worst case.", c->nprot);
  cJSON_AddStringToObject(sj, "verdict", verdict);
  cJSON_AddStringToObject(sj, "verdict_line", line);
  if (npartial > 0) {
    snprintf(line, sizeof line,
             "%d row(s) are on structures partly outside the dose grid; the dose there is taken as 0 "
             "(each row in section 4 says how much lies outside).", npartial);
    cJSON_AddStringToObject(sj, "partial_rows_note", line);
  }
  cJSON_AddItemToObject(sj, "failing_rows", fail);
  cJSON_AddItemToObject(sj, "unevaluated_rows", unev);
  cJSON_AddItemToObject(sj, "desirable_failures", des);
  /* best regimen */
  if (c->best_regimen >= 0) {
    const accum_solution *so = &c->solver[c->best_regimen];
    cJSON *b = cJSON_AddObjectToObject(sj, "best_regimen");
    cJSON_AddStringToObject(b, "name", so->reg.name);
    cJSON_AddStringToObject(b, "statement", so->statement);
    add_num(b, "max_prescription_gy", so->max_prescription_gy);
    cJSON_AddNumberToObject(b, "fractions", so->reg.fractions);
    add_num(b, "tumour_bed10_gy", so->tumour_bed_gy);
    cJSON_AddStringToObject(b, "target_band", so->target_band);
    snprintf(line, sizeof line, "Best regimen: %s, %s; tumour BED10 %.1f Gy (%s band).", so->reg.name,
             so->statement, so->tumour_bed_gy, so->target_band);
  } else if (c->nsolver > 0) {
    cJSON_AddNullToObject(sj, "best_regimen");
    const accum_solution *so = NULL;
    for (int q = 0; q < c->nsolver; q++)
      if (c->solver[q].rank == 1) so = &c->solver[q];
    snprintf(line, sizeof line, "No regimen of data/regimens.json is feasible%s%s%s%s.", so ? "; closest: " : "",
             so ? so->reg.name : "", so ? ", " : "", so ? so->statement : "");
  } else {
    cJSON_AddNullToObject(sj, "best_regimen");
    snprintf(line, sizeof line, "Regimen solver not run (no planned course with a prescription).");
  }
  cJSON_AddStringToObject(sj, "regimen_line", line);
  /* top risk flags: high before intermediate, at most three */
  cJSON *flags = cJSON_AddArrayToObject(sj, "top_risk_flags");
  const cJSON *tox = st->cj ? cJSON_GetObjectItem(st->cj, "toxicity") : NULL;
  for (int want = 3; want >= 2 && tox; want--)
    for (int q = 0; q < 5 && cJSON_GetArraySize(flags) < 3; q++) {
      const cJSON *x = cJSON_GetObjectItem(tox, risk_keys[q]);
      if (!x || tier_rank(js(x, "tier")) != want) continue;
      char f[900];
      join_strings(cJSON_GetObjectItem(x, "factors"), f, sizeof f);
      snprintf(line, sizeof line, "%s: %s risk (%s)", risk_titles[q], js(x, "tier"), f[0] ? f : js(x, "estimate"));
      cJSON_AddItemToArray(flags, cJSON_CreateString(line));
    }
  const cJSON *in = st->cj ? cJSON_GetObjectItem(st->cj, "intent") : NULL;
  if (in && js(in, "interval_note")[0] && cJSON_GetArraySize(flags) < 4)
    cJSON_AddItemToArray(flags, cJSON_CreateString(js(in, "interval_note")));
  /* ARS guidance in one sentence */
  const cJSON *ars = st->cj ? cJSON_GetObjectItem(st->cj, "ars") : NULL;
  if (ars && js(ars, "key_question")[0]) {
    const cJSON *op, *best = NULL;
    cJSON_ArrayForEach(op, cJSON_GetObjectItem(ars, "options"))
      if (js(op, "category")[0] == 'A' && (!best || jnum_of(op, "median") > jnum_of(best, "median"))) best = op;
    char rec[400];
    snprintf(rec, sizeof rec, "%s", js(ars, "recommendation"));
    char *semi = strchr(rec, ';');
    if (semi) *semi = '\0';
    if (best)
      snprintf(line, sizeof line, "ARS (%s, panel case %s): \"%s\" is usually appropriate (median %g); %s.",
               js(ars, "key_question"), js(ars, "panel_case"), js(best, "treatment"), jnum_of(best, "median"), rec);
    else
      snprintf(line, sizeof line, "ARS (%s, panel case %s): no option is rated usually appropriate; %s.",
               js(ars, "key_question"), js(ars, "panel_case"), rec);
  } else if (ars) {
    snprintf(line, sizeof line, "ARS: %s.", js(ars, "not_assessable")[0] ? js(ars, "not_assessable") : js(ars, "match_reason"));
  } else {
    snprintf(line, sizeof line, "ARS guidance not available: %s", st->error[0] ? st->error : "no clinical facts");
  }
  cJSON_AddStringToObject(sj, "ars_guidance", line);
  cJSON_AddNumberToObject(sj, "hard_failures", nfail_nom);
  cJSON_AddNumberToObject(sj, "worst_case_hard_failures", nfail_wc);
  cJSON_AddNumberToObject(sj, "hard_incomplete", nunev);
  cJSON_AddNumberToObject(sj, "hard_failures_nominal_or_worst", ov.hard_failures);
  cJSON_AddNumberToObject(sj, "hard_not_evaluated", ov.hard_not_evaluated);
  cJSON *ne = cJSON_AddArrayToObject(sj, "not_evaluated_mandatory");
  for (int p = 0; p < c->nprot; p++)
    for (int k = 0; k < c->ev[p].nrows; k++) {
      const accum_eval_row *e = &c->ev[p].rows[k];
      if (!accumulate_row_unevaluated_hard(e)) continue;
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "protocol", c->prot[p].name);
      cJSON_AddStringToObject(x, "constraint_id", e->c->id);
      cJSON_AddStringToObject(x, "structure", e->structure);
      cJSON_AddStringToObject(x, "metric", e->c->metric.text);
      cJSON_AddStringToObject(x, "tier", protocol_tier_name(e->c->tier));
      cJSON_AddStringToObject(x, "reason", e->reason != NE_NONE ? accum_ne_reason_name(e->reason) : accum_verdict_name(e->verdict));
      cJSON_AddItemToArray(ne, x);
    }
  cJSON *um = cJSON_AddArrayToObject(sj, "unmapped_rois");
  for (int i = 0; c->has_map && i < c->map.n; i++)
    if (c->map.e[i].role == SROLE_UNUSED) cJSON_AddItemToArray(um, cJSON_CreateString(c->map.e[i].local));
  cJSON_AddNumberToObject(sj, "rows_partly_outside_dose_grid", npartial);
  cJSON_AddNumberToObject(sj, "constraint_rows", nrows);
  cJSON_AddNumberToObject(sj, "registration_qa_failed", qa_block);
  cJSON_AddNumberToObject(sj, "protocols", c->nprot);
  add_num(sj, "uncertainty_mm", c->o->uncertainty_mm);
  const case_course *pl = casefile_planned_course(&c->cs);
  if (pl) cJSON_AddStringToObject(sj, "planned_course", pl->id);
  return sj;
}

/* Plain-text lines of the summary (terminal, PDF/HTML paragraphs). */
static char *summary_text(const cJSON *sj) {
  size_t cap = 8192, len = 0;
  char *t = malloc(cap);
  if (!t) return NULL;
  t[0] = '\0';
#define LINE(...)                                                                  \
  do {                                                                             \
    int need_ = snprintf(NULL, 0, __VA_ARGS__) + 2;                                \
    if (len + (size_t)need_ >= cap) {                                              \
      char *q_ = realloc(t, cap = (len + (size_t)need_) * 2);                      \
      if (!q_) { free(t); return NULL; }                                           \
      t = q_;                                                                      \
    }                                                                              \
    len += (size_t)snprintf(t + len, cap - len, __VA_ARGS__);                      \
    t[len++] = '\n';                                                               \
    t[len] = '\0';                                                                 \
  } while (0)
  LINE("Verdict: %s", js(sj, "verdict_line"));
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(sj, "failing_rows")) LINE("  fails: %s", js(x, "text"));
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(sj, "unevaluated_rows")) LINE("  not evaluated: %s", js(x, "text"));
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(sj, "desirable_failures")) LINE("  desirable limit exceeded: %s", js(x, "text"));
  if (js(sj, "partial_rows_note")[0]) LINE("  note: %s", js(sj, "partial_rows_note"));
  LINE("%s", js(sj, "regimen_line"));
  int nf = 0;
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(sj, "top_risk_flags")) { LINE("Risk: %s", x->valuestring); nf++; }
  if (!nf) LINE("Risk: no toxicity risk tier above low.");
  LINE("%s", js(sj, "ars_guidance"));
#undef LINE
  return t;
}

static void section_summary(rert_report *r, const cJSON *sj) {
  cJSON *s = report_add_section(r, "summary", "Summary");
  const char *v = js(sj, "verdict");
  report_add_note(s, !strcmp(v, "PASS") && !cJSON_GetArraySize(cJSON_GetObjectItem(sj, "failing_rows")) ? "info" : "warning",
                  js(sj, "verdict_line"));
  int nrow = cJSON_GetArraySize(cJSON_GetObjectItem(sj, "failing_rows")) +
             cJSON_GetArraySize(cJSON_GetObjectItem(sj, "unevaluated_rows")) +
             cJSON_GetArraySize(cJSON_GetObjectItem(sj, "desirable_failures"));
  if (nrow > 0) {
    static const report_column cols[] = {{"status", "Status", 0, NULL},     {"structure", "Organ", 0, NULL},
                                         {"metric", "Metric", 0, NULL},     {"value", "Value", 2, NULL},
                                         {"limit_text", "Limit", 0, NULL},  {"protocol_row", "Protocol row", 0, NULL},
                                         {"bound", "Dose", 0, NULL}};
    cJSON *rows = report_add_table(s, "summary_rows", "Hard rows that fail or could not be evaluated (and desirable limits exceeded).", cols, 7);
    static const char *const lists[] = {"failing_rows", "unevaluated_rows", "desirable_failures"};
    static const char *const stat[] = {"FAIL", "NOT EVALUATED", "desirable exceeded"};
    for (int l = 0; l < 3; l++) {
      const cJSON *x;
      cJSON_ArrayForEach(x, cJSON_GetObjectItem(sj, lists[l])) {
        cJSON *row = report_table_row(rows);
        char lt[64], pr[200];
        snprintf(lt, sizeof lt, "%s %g %s", js(x, "comparator"), jnum_of(x, "limit"), js(x, "unit"));
        snprintf(pr, sizeof pr, "%s:%s (%s)", js(x, "protocol"), js(x, "constraint_id"), js(x, "tier"));
        cJSON_AddStringToObject(row, "status", stat[l]);
        cJSON_AddStringToObject(row, "structure", js(x, "structure"));
        cJSON_AddStringToObject(row, "metric", js(x, "metric"));
        add_num(row, "value", l == 1 ? NAN : jnum_of(x, "value"));
        cJSON_AddStringToObject(row, "limit_text", lt);
        cJSON_AddStringToObject(row, "protocol_row", pr);
        cJSON_AddStringToObject(row, "bound", l == 1 ? js(x, "reason") : js(x, "bound"));
      }
    }
  }
  if (js(sj, "partial_rows_note")[0]) report_add_note(s, "info", js(sj, "partial_rows_note"));
  report_add_paragraph(s, js(sj, "regimen_line"));
  const cJSON *x;
  int nf = 0;
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(sj, "top_risk_flags")) {
    char b[1200];
    snprintf(b, sizeof b, "Risk flag: %s.", x->valuestring);
    report_add_note(s, "warning", b);
    nf++;
  }
  if (!nf) report_add_paragraph(s, "Risk flags: no toxicity risk tier above low.");
  report_add_paragraph(s, js(sj, "ars_guidance"));
  report_add_paragraph(s, "Decision support for a physicist and physician: every number below is traceable to an input file (section 9) or an assumption (section 2) and is in report.json.");
}

int consult_build_report(consult_ctx *c, rert_report *r, consult_summary *sum, rert_err *err) {
  char title[400];
  snprintf(title, sizeof title, "Re-irradiation consult: %s", c->cs.patient_id);
  int rc = report_init(r, title, c->created_utc, err);
  if (rc) return rc;
  clin_state *st = calloc(1, sizeof *st);
  if (!st) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  clin_run(c, st);
  cJSON *sj = summary_build(c, st, sum);
  /* the summary object leads report.json: detach the document's keys, add the summary, put
   * them back in order (AddItemToArray keeps each item's key) */
  cJSON *kids[64];
  int nk = 0;
  while (r->doc->child && nk < 64) kids[nk++] = cJSON_DetachItemViaPointer(r->doc, r->doc->child);
  cJSON_AddItemToObject(r->doc, "summary", sj);
  for (int i = 0; i < nk; i++) cJSON_AddItemToArray(r->doc, kids[i]);
  section_summary(r, sj);
  free(sum->summary_text);
  sum->summary_text = summary_text(sj);
  free(sum->summary_json);
  sum->summary_json = json_print_full(sj, 1);
  consult_summary dummy;
  memset(&dummy, 0, sizeof dummy);
  section_courses(c, r);
  section_assumptions(c, r);
  consult_section_registration(c, r); /* consult_regqa.c */
  section_constraints(c, r, &dummy);
  section_dvh(c, r);
  rc = section_slices(c, r, err);
  if (rc) {
    clin_free(st);
    return rert_err_prefix(err, rc, "slices");
  }
  section_budget(c, r);
  section_clinical(c, r, st);
  section_provenance(c, r);
  clin_free(st);
  rc = consult_add_comparison(c, r, "10", err);
  if (rc) return rert_err_prefix(err, rc, "candidate comparison");
  return RERT_OK;
}
#endif
