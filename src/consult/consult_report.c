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
    cJSON_AddStringToObject(row, "role", cc->role == COURSE_PLANNED ? "planned" : "prior");
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
  snprintf(buf, sizeof buf,
           "Registration uncertainty radius for the worst case: %.1f mm (each course's mapped dose "
           "replaced by its maximum within that radius).%s",
           c->o->uncertainty_mm, c->o->uncertainty_mm > 0 ? "" : " No worst case was computed.");
  report_add_paragraph(s, buf);
  static const report_column cols[] = {{"structure", "Structure", 0, NULL},
                                       {"kind", "Kind", 0, NULL},
                                       {"alpha_beta_gy", "\xce\xb1/\xce\xb2 (Gy)", 1, NULL},
                                       {"recovery_model", "Recovery model", 0, NULL},
                                       {"recovered_fraction_pct", "Prior dose recovered (%)", 1, NULL},
                                       {"volume_cc", "Volume (cc)", 1, NULL}};
  cJSON *rows = report_add_table(s, "alpha_beta", "Per structure: alpha/beta and recovery of the most recent prior course (data/tissues.json, data/recovery models; case file overrides).",
                                 cols, 6);
  const case_course *last = casefile_last_prior(&c->cs);
  int il = last ? (int)(last - c->cs.courses) : -1;
  for (int k = 0; k < c->nroi; k++) {
    cJSON *row = report_table_row(rows);
    cJSON_AddStringToObject(row, "structure", c->in.structs[k].name);
    cJSON_AddStringToObject(row, "kind", c->is_target[k] ? "target" : "organ");
    add_num(row, "alpha_beta_gy", c->res.struct_alpha_beta_gy[k]);
    cJSON_AddStringToObject(row, "recovery_model", c->in.structs[k].recovery[il >= 0 ? il : 0]);
    add_num(row, "recovered_fraction_pct", il >= 0 ? 100.0 * c->res.recovered_fraction[il][k] : NAN);
    add_num(row, "volume_cc", geom_mask_volume_cc(&c->mask[k]));
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
  const cJSON *ov = c->cs.overrides, *o;
  if (ov && cJSON_GetArraySize(ov) > 0) {
    cJSON_ArrayForEach(o, ov) {
      char *t = cJSON_PrintUnformatted(o);
      snprintf(buf, sizeof buf, "Override in force: %s", t ? t : "?");
      free(t);
      report_add_note(s, "warning", buf);
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

static void section_constraints(consult_ctx *c, rert_report *r, consult_summary *sum) {
  cJSON *s = report_add_section(r, "constraints", "4. Constraint evaluation (nominal and worst case)");
  static const report_column cols[] = {
      {"structure", "Structure", 0, NULL},   {"metric", "Metric", 0, NULL},
      {"tier", "Tier", 0, "tier"},           {"alpha_beta_gy", "\xce\xb1/\xce\xb2 (Gy)", 1, NULL},
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
    char cap[600];
    snprintf(cap, sizeof cap,
             "Protocol %s: %s. Hard failures: %d nominal, %d worst case; desirable failures: %d "
             "nominal, %d worst case; not evaluated: %d.",
             c->prot[p].name, c->prot[p].title, hard_nom, hard_wc, des_nom, des_wc, ev->not_evaluated);
    cJSON *rows = report_add_table(s, c->prot[p].name, cap, cols, (int)(sizeof cols / sizeof cols[0]));
    sum->hard_failures += hard_nom;
    sum->hard_incomplete += ev->hard_incomplete;
    sum->partial_rows += ev->partial_rows;
    for (int k = 0; k < ev->nrows; k++) {
      const accum_eval_row *e = &ev->rows[k];
      cJSON *row = report_table_row(rows);
      cJSON_AddStringToObject(row, "constraint_id", e->c->id);
      cJSON_AddStringToObject(row, "structure", e->structure);
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
  if (dvh_compute_mask(m, dose, NULL, &d, &e) != RERT_OK || d.nbins <= 0 || !(d.inside_cc > 0)) {
    dvh_free(&d);
    return;
  }
  int step = d.nbins / 80 + 1, n = 0;
  double *x = malloc(sizeof(double) * (size_t)(d.nbins / step + 3));
  double *y = malloc(sizeof(double) * (size_t)(d.nbins / step + 3));
  if (x && y) {
    for (int b = 0; b <= d.nbins; b += step) {
      x[n] = d.lo_gy + b * d.bin_gy;
      y[n++] = 100.0 * d.cum_cc[b] / d.inside_cc;
    }
    if ((d.nbins % step) != 0) {
      x[n] = d.lo_gy + d.nbins * d.bin_gy;
      y[n++] = 100.0 * d.cum_cc[d.nbins] / d.inside_cc;
    }
    report_dvh_add_curve(dvh, label, kind, x, y, n);
  }
  free(x);
  free(y);
  dvh_free(&d);
}

static void section_dvh(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "dvh", "5. Dose-volume histograms (EQD2)");
  report_add_paragraph(s, "Each course in EQD2 at the structure's alpha/beta (dashed), the prior courses after recovery (dotted), the cumulative EQD2 (black) and, when computed, the worst case within the registration uncertainty (red dashed). Red markers are the hard limits of the first protocol: a line for Dmax/Dxcc-type limits, a diamond at (dose, volume) for Dx%.");
  for (int k = 0; k < c->nroi; k++) {
    const char *name = c->in.structs[k].name;
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
  report_outline ol[CONSULT_MAX_ROIS];
  int no = 0;
  for (int k = 0; k < c->nroi; k++) {
    const rert_roi *roi = c->roi[k];
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
    if (rc) return rc;
    char cap[160];
    snprintf(cap, sizeof cap, "%s plane through (%.1f, %.1f, %.1f) mm LPS.", caps[p], centre[0], centre[1], centre[2]);
    rc = report_add_image(r, s, ids[p], cap, png, n, w, h, err);
    if (rc) return rc;
  }
  return RERT_OK;
}

static void section_budget(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "budget", "7. Remaining tolerance and regimen solver");
  if (!c->has_budget) {
    report_add_paragraph(s, "No planned course in the case file: no remaining-tolerance map.");
    return;
  }
  char buf[600];
  snprintf(buf, sizeof buf,
           "Remaining cumulative EQD2 per structure under the hard point-like limits of protocol %s "
           "(minimum over the structure's voxels), and the largest new dose in %d fractions that "
           "keeps every voxel within it (closed form, domain-reference 1.2). Exported as "
           "remaining_eqd2.dcm and max_new_dose.dcm.",
           c->prot[0].name, c->budget_fractions);
  report_add_paragraph(s, buf);
  static const report_column cols[] = {{"structure", "Structure", 0, NULL},
                                       {"remaining_eqd2_min_gy", "Remaining EQD2, min (Gy)", 2, NULL},
                                       {"max_new_dose_min_gy", "Max new dose, min (Gy)", 2, NULL}};
  cJSON *rows = report_add_table(s, "remaining", NULL, cols, 3);
  for (int k = 0; k < c->nroi; k++) {
    double rmin = INFINITY, dmin = INFINITY;
    size_t n = volume_count(&c->remaining);
    for (size_t v = 0; v < n; v++) {
      if (c->maskvol[k].data[v] < 0.5f) continue;
      if (isfinite(c->remaining.data[v]) && c->remaining.data[v] < rmin) rmin = c->remaining.data[v];
      if (isfinite(c->maxnew.data[v]) && c->maxnew.data[v] < dmin) dmin = c->maxnew.data[v];
    }
    if (!isfinite(rmin)) continue;
    cJSON *row = report_table_row(rows);
    cJSON_AddStringToObject(row, "structure", c->in.structs[k].name);
    add_num(row, "remaining_eqd2_min_gy", rmin);
    add_num(row, "max_new_dose_min_gy", dmin);
  }
  if (c->nsolver > 0) {
    static const report_column sc[] = {{"fractions", "Fractions", 0, NULL},
                                       {"max_scale_pct", "Max scale of planned dose (%)", 1, NULL},
                                       {"max_prescription_gy", "Max prescription (Gy)", 2, NULL},
                                       {"dose_per_fraction_gy", "Gy/fx", 2, NULL},
                                       {"limiting", "Limiting constraint", 0, NULL}};
    const case_course *pl = casefile_planned_course(&c->cs);
    snprintf(buf, sizeof buf,
             "Regimen solver: the planned dose distribution scaled, in other fraction numbers, to the "
             "largest dose with no hard failure, nominal or worst case, in protocol %s (bisection to 1/128 of 200 %% of "
             "the planned %.2f Gy).",
             c->prot[0].name, pl ? pl->prescription_gy : NAN);
    rows = report_add_table(s, "regimens", buf, sc, 5);
    for (int q = 0; q < c->nsolver; q++) {
      cJSON *row = report_table_row(rows);
      cJSON_AddNumberToObject(row, "fractions", c->solver[q].fractions);
      add_num(row, "max_scale_pct", 100.0 * c->solver[q].max_scale);
      add_num(row, "max_prescription_gy", c->solver[q].max_prescription_gy);
      add_num(row, "dose_per_fraction_gy", c->solver[q].dose_per_fraction_gy);
      cJSON_AddStringToObject(row, "limiting", c->solver[q].limiting);
    }
  }
}

/* One assessment object of clinical_assess() as item/value rows (nested keys joined by '.',
 * lists joined by '; '), so every number it reports appears in the report. */
static void flatten(cJSON *rows, const char *prefix, const cJSON *o) {
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    char key[256];
    snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", v->string ? v->string : "");
    if (cJSON_IsObject(v)) {
      flatten(rows, key, v);
      continue;
    }
    char *txt = NULL;
    if (cJSON_IsString(v)) {
      txt = strdup(v->valuestring);
    } else if (cJSON_IsArray(v)) {
      size_t cap = 1, len = 0;
      txt = calloc(1, 1);
      const cJSON *e;
      cJSON_ArrayForEach(e, v) {
        char *t = cJSON_IsString(e) ? strdup(e->valuestring) : cJSON_PrintUnformatted(e);
        if (!t || !txt) { free(t); break; }
        size_t tl = strlen(t);
        char *q = realloc(txt, cap + tl + 2);
        if (!q) { free(t); break; }
        txt = q;
        cap += tl + 2;
        len += (size_t)sprintf(txt + len, "%s%s", len ? "; " : "", t);
        free(t);
      }
    } else {
      txt = cJSON_PrintUnformatted(v);
    }
    if (!txt) continue;
    if (*txt) {
      cJSON *row = report_table_row(rows);
      cJSON_AddStringToObject(row, "item", key);
      cJSON_AddStringToObject(row, "value", txt);
    }
    free(txt);
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

static void section_clinical(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "clinical", "8. Clinical assessment");
  /* recurrence pattern from DICOM: overlap of the recurrence with the 95 % isodose of the most
   * recent prior course, mapped onto the reference (domain-reference 7.3) */
  const case_course *last = casefile_last_prior(&c->cs);
  if (c->irec >= 0 && last) {
    int il = (int)(last - c->cs.courses);
    double f;
    recurrence_result rr;
    rert_err e;
    if (recurrence_overlap_fraction(&c->maskvol[c->irec], &c->mapped[il], last->prescription_gy, &f, &e) == RERT_OK &&
        recurrence_classify(f, BOUNDARY_DAWSON, &rr, &e) == RERT_OK) {
      char fs[32], rx[32];
      snprintf(fs, sizeof fs, "%.3f", f);
      snprintf(rx, sizeof rx, "%.2f Gy", last->prescription_gy);
      report_add_kv_table(s, "recurrence_pattern",
                          "Recurrence pattern from DICOM: fraction f of the recurrence inside the 95 % isodose of the most recent prior course (mapped onto the reference).",
                          "Recurrence structure", c->in.structs[c->irec].name, "Prior course", last->id,
                          "Prior prescription", rx, "Overlap fraction f", fs, "Class (f >= 0.95 in-field, Dawson)",
                          rr.label, "Target-volume advice", rr.advice, "Source", rr.source, NULL);
    } else {
      report_add_note(s, "warning", e.msg);
    }
  }
  clinical_options co = clinical_options_default();
  enum { MAXROWS = CONSULT_MAX_ROIS * RERT_CASE_MAX_COURSES };
  clinical_organ_dose *od = calloc(MAXROWS, sizeof *od);
  double hot[CONSULT_MAX_ROIS];
  long hotv[CONSULT_MAX_ROIS];
  int nod = od ? organ_doses_from_dicom(c, od, MAXROWS, hot, hotv) : 0;
  co.organ_doses = od;
  co.norgan_doses = nod;
  cJSON *cj = NULL;
  rert_err e;
  int from_dicom = nod > 0;
  if (clinical_assess(&c->cs, &co, &cj, &e) != RERT_OK && from_dicom) {
    /* e.g. the case overrides an organ's α/β so the DICOM EQD2 is not at the α/β the toxicity
     * data is stated at: fall back to the case file's point doses and say so */
    char note[1400];
    snprintf(note, sizeof note, "toxicity tiers from the case file's point doses, not DICOM: %s", e.msg);
    report_add_note(s, "warning", note);
    co.organ_doses = NULL;
    co.norgan_doses = 0;
    from_dicom = 0;
    cJSON_Delete(cj);
    cj = NULL;
    if (clinical_assess(&c->cs, &co, &cj, &e) != RERT_OK) cj = NULL;
  }
  if (!cj) {
    report_add_note(s, "warning", e.msg);
    free(od);
    return;
  }
  report_add_paragraph(s, from_dicom
      ? "Assessments from the case file's clinical facts (rert assess): RPA class, intent, toxicity risk tiers and ARS guidance. The cumulative doses behind the toxicity tiers (carotid, mandible, brachial plexus, spinal cord, temporal lobe) come from the DICOM accumulation (table below: cumulative EQD2 without recovery discount, maximum over every dose-grid voxel the structure touches, a conservative value that can exceed the contour-based Dmax of section 4 in steep gradients); an organ the structure set lacks falls back to the case file's point doses."
      : "Assessments from the case file's clinical facts (rert assess): RPA class, intent, toxicity risk tiers and ARS guidance. Toxicity tiers here use the case file's point doses; the DICOM-derived cumulative values are in the constraint table.");
  if (from_dicom) {
    static const report_column dcols[] = {
        {"structure", "Structure", 0, NULL},
        {"alpha_beta_gy", "\xce\xb1/\xce\xb2 (Gy)", 1, NULL},
        {"cumulative_eqd2_unrecovered_gy", "EQD2 sum (Gy)", 2, NULL},
        {"contributions", "Per course at that voxel", 0, NULL},
        {"source", "Source", 0, NULL}};
    cJSON *rows = report_add_table(s, "clinical_organ_doses",
                                   "Organ doses used for the toxicity tiers (from DICOM): cumulative EQD2 without recovery discount at the organ's alpha/beta, maximum over the organ.", dcols, 5);
    for (int k = 0; k < c->in.nstructs; k++) {
      if (hotv[k] < 0 || !is_toxicity_organ(c->in.structs[k].name)) continue;
      cJSON *row = report_table_row(rows);
      cJSON_AddStringToObject(row, "structure", c->in.structs[k].name);
      add_num(row, "alpha_beta_gy", c->res.struct_alpha_beta_gy[k]);
      add_num(row, "cumulative_eqd2_unrecovered_gy", hot[k]);
      char contrib[512] = "";
      size_t used = 0;
      for (int q = 0; q < c->res.ncourses && used < sizeof contrib; q++) {
        int w = snprintf(contrib + used, sizeof contrib - used, "%s%s %.2f Gy", q ? "; " : "",
                         c->in.courses[q].id,
                         course_eqd2_at(c, q, (size_t)hotv[k], c->res.struct_alpha_beta_gy[k]));
        if (w < 0) break;
        used += (size_t)w;
      }
      cJSON_AddStringToObject(row, "contributions", contrib);
      double ijk[3], x[3];
      long nx = c->grid.nx, ny = c->grid.ny;
      ijk[0] = (double)(hotv[k] % nx);
      ijk[1] = (double)((hotv[k] / nx) % ny);
      ijk[2] = (double)(hotv[k] / (nx * ny));
      volume_index_to_world(&c->grid, ijk, x);
      cJSON_AddItemToObject(row, "voxel_mm", cJSON_CreateDoubleArray(x, 3));
      char src[256];
      snprintf(src, sizeof src, "DICOM accumulation: voxelwise sum, maximum at (%.1f, %.1f, %.1f) mm",
               x[0], x[1], x[2]);
      cJSON_AddStringToObject(row, "source", src);
    }
  }
  free(od);
  static const char *const parts[] = {"rpa", "intent", "toxicity", "ars"};
  static const char *const titles[] = {"Recursive partitioning (MIRI RPA)", "Treatment intent", "Toxicity risk", "ARS appropriate-use guidance"};
  static const report_column cols[] = {{"item", "Item", 0, NULL}, {"value", "Value", 0, NULL}};
  for (int q = 0; q < 4; q++) {
    const cJSON *o = cJSON_GetObjectItem(cj, parts[q]);
    if (!o) continue;
    char id[32];
    snprintf(id, sizeof id, "clinical_%s", parts[q]);
    cJSON *rows = report_add_table(s, id, titles[q], cols, 2);
    flatten(rows, "", o);
  }
  cJSON_Delete(cj);
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

static void section_summary(consult_ctx *c, rert_report *r, const consult_summary *sum) {
  cJSON *s = report_add_section(r, "summary", "Summary");
  char buf[1200];
  const case_course *pl = casefile_planned_course(&c->cs);
  snprintf(buf, sizeof buf,
           "%d constraint rows evaluated in %d protocol(s); hard failures: %d nominal, %d worst case "
           "(doses at their maximum within %.1f mm registration uncertainty; a row can fail in both)."
           "%s%s",
           sum->nconstraints, c->nprot, sum->hard_failures, sum->worst_hard_failures,
           c->o->uncertainty_mm, pl ? " Planned course: " : "", pl ? pl->id : "");
  if (sum->hard_incomplete || sum->partial_rows) {
    size_t L = strlen(buf);
    snprintf(buf + L, sizeof buf - L,
             " %d hard row(s) could not be evaluated (structure outside the dose grid); %d row(s) are on "
             "structures partly outside the dose grid, where the dose is taken as 0 (see each row).",
             sum->hard_incomplete, sum->partial_rows);
  }
  report_add_note(s, sum->hard_failures || sum->worst_hard_failures || sum->hard_incomplete ? "warning" : "info", buf);
  report_add_paragraph(s, "Decision support for a physicist and physician: every number below is traceable to an input file (section 9) or an assumption (section 2) and is in report.json.");
}

int consult_build_report(consult_ctx *c, rert_report *r, rert_err *err) {
  char title[400];
  snprintf(title, sizeof title, "Re-irradiation consult: %s", c->cs.patient_id);
  int rc = report_init(r, title, c->created_utc, err);
  if (rc) return rc;
  consult_summary sum;
  memset(&sum, 0, sizeof sum);
  /* the summary is computed from the constraint rows: build those first into a scratch report */
  rert_report scratch;
  rc = report_init(&scratch, "", "x", err);
  if (rc) return rc;
  section_constraints(c, &scratch, &sum);
  report_free(&scratch);
  consult_summary dummy;
  memset(&dummy, 0, sizeof dummy);
  section_summary(c, r, &sum);
  section_courses(c, r);
  section_assumptions(c, r);
  consult_section_registration(c, r); /* consult_regqa.c */
  section_constraints(c, r, &dummy);
  section_dvh(c, r);
  rc = section_slices(c, r, err);
  if (rc) return rert_err_prefix(err, rc, "slices");
  section_budget(c, r);
  section_clinical(c, r);
  section_provenance(c, r);
  cJSON *sj = cJSON_AddObjectToObject(r->doc, "summary");
  cJSON_AddNumberToObject(sj, "hard_failures", sum.hard_failures);
  cJSON_AddNumberToObject(sj, "worst_case_hard_failures", sum.worst_hard_failures);
  cJSON_AddNumberToObject(sj, "hard_incomplete", sum.hard_incomplete);
  cJSON_AddNumberToObject(sj, "rows_partly_outside_dose_grid", sum.partial_rows);
  cJSON_AddNumberToObject(sj, "constraint_rows", sum.nconstraints);
  cJSON_AddNumberToObject(sj, "uncertainty_mm", c->o->uncertainty_mm);
  int qa_block = 0;
  for (int i = 0; i < c->cs.ncourses; i++) qa_block += c->reg[i].blocks;
  cJSON_AddNumberToObject(sj, "registration_qa_failed", qa_block);
  return RERT_OK;
}
#endif
