/* consult_regqa.c — section 3 of the consult report: how each course was mapped onto the
 * reference and the registration QA that decided whether the mapping can be trusted (AAPM
 * TG-132; rert/regqa.h): every check with its numbers and tolerance, the propagated contours,
 * the landmarks, the worst-case radius and its source, and whether the QA blocks a PASS or an
 * override let it through. */
#if __has_include("rert/accumulate.h")
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "consult/consult_ctx.h"

static void num(cJSON *o, const char *k, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
  else cJSON_AddNullToObject(o, k);
}

void consult_section_registration(consult_ctx *c, rert_report *r) {
  cJSON *s = report_add_section(r, "registration", "3. Registration and its quality (AAPM TG-132)");
  static const report_column cols[] = {
      {"course_id", "Course", 0, NULL},           {"method", "Mapping onto the reference", 0, NULL},
      {"detj_min", "det J min", 3, NULL},         {"detj_max", "det J max", 3, NULL},
      {"folded_pct", "Folded voxels (%)", 3, NULL}, {"displacement_mean_mm", "|u| mean (mm)", 2, NULL},
      {"displacement_max_mm", "|u| max (mm)", 2, NULL}, {"radius_mm", "Worst-case radius (mm)", 1, NULL},
      {"verdict", "QA", 0, "verdict"}};
  cJSON *rows = report_add_table(s, "registration_qa",
                                 "Each course's mapping onto the reference dose grid: Jacobian determinant and displacement on the "
                                 "dose grid, the radius of its worst case, and the overall registration QA (checks below).",
                                 cols, 9);
  int nblock = 0;
  for (int i = 0; i < c->cs.ncourses; i++) {
    const consult_reg *g = &c->reg[i];
    cJSON *row = report_table_row(rows);
    cJSON_AddStringToObject(row, "course_id", c->cs.courses[i].id);
    cJSON_AddStringToObject(row, "method", g->method);
    const reg_qa_stats *q = &g->qa;
    int h = g->has_qa;
    num(row, "detj_min", h ? q->detj_min : NAN);
    num(row, "detj_max", h ? q->detj_max : NAN);
    num(row, "folded_pct", h ? q->pct_folded : NAN);
    num(row, "displacement_mean_mm", h ? q->mag_mean_mm : NAN);
    num(row, "displacement_max_mm", h ? q->mag_max_mm : NAN);
    num(row, "radius_mm", c->has_upper ? g->radius_mm : NAN);
    const char *v = i == c->iref ? "n/a" : !g->has_check ? "n/a" : reg_qa_status_name(g->check.overall);
    char vb[64];
    if (g->has_check && g->override_reason[0]) {
      snprintf(vb, sizeof vb, "%s (overridden)", v);
      v = vb;
    }
    cJSON_AddStringToObject(row, "verdict", v);
    nblock += g->blocks;
  }
  static const report_column ccols[] = {{"course_id", "Course", 0, NULL},
                                        {"check", "Check", 0, NULL},
                                        {"status", "Result", 0, "verdict"},
                                        {"detail", "Measured (tolerance)", 0, NULL}};
  cJSON *crow = report_add_table(s, "registration_checks",
                                 "Registration QA per course: frames of reference, coverage of the dose grid, folding, image "
                                 "similarity against the rigid baseline, direction (the field against its inverse), propagated "
                                 "contours and landmarks. A failed check makes the consult verdict at best INCOMPLETE unless the "
                                 "case file overrides it with a reason.",
                                 ccols, 4);
  for (int i = 0; i < c->cs.ncourses; i++) {
    const consult_reg *g = &c->reg[i];
    if (!g->has_check) continue;
    for (int k = 0; k < REG_QA_NCHECKS; k++) {
      cJSON *row = report_table_row(crow);
      cJSON_AddStringToObject(row, "course_id", c->cs.courses[i].id);
      cJSON_AddStringToObject(row, "check", g->check.check[k].id);
      cJSON_AddStringToObject(row, "status", reg_qa_status_name(g->check.check[k].status));
      cJSON_AddStringToObject(row, "detail", g->check.check[k].detail);
    }
  }
  static const report_column kcols[] = {{"course_id", "Course", 0, NULL},       {"structure", "Structure", 0, NULL},
                                        {"volume_cc", "Volume (cc)", 1, NULL},  {"dice", "Dice", 3, NULL},
                                        {"dice_rigid", "Dice rigid", 3, NULL},  {"distance_mm", "Mean distance (mm)", 2, NULL},
                                        {"distance_rigid_mm", "Distance rigid (mm)", 2, NULL}};
  int any_contour = 0, any_point = 0;
  for (int i = 0; i < c->cs.ncourses; i++) {
    any_contour |= c->reg[i].has_check && c->reg[i].check.ncontours > 0;
    any_point |= c->reg[i].has_check && c->reg[i].check.npoints > 0;
  }
  if (any_contour) {
    cJSON *t = report_add_table(s, "registration_contours",
                                "Organs contoured in both courses, carried from the course onto the reference by its field "
                                "(and by the rigid baseline) and compared with the reference contour.",
                                kcols, 7);
    for (int i = 0; i < c->cs.ncourses; i++) {
      const consult_reg *g = &c->reg[i];
      for (int q = 0; g->has_check && q < g->check.ncontours; q++) {
        const reg_qa_contour *k = &g->check.contour[q];
        cJSON *row = report_table_row(t);
        cJSON_AddStringToObject(row, "course_id", c->cs.courses[i].id);
        cJSON_AddStringToObject(row, "structure", k->name);
        num(row, "volume_cc", k->volume_cc);
        num(row, "dice", k->dice);
        num(row, "dice_rigid", k->dice_rigid);
        num(row, "distance_mm", k->msd_mm);
        num(row, "distance_rigid_mm", k->msd_rigid_mm);
      }
    }
  }
  if (any_point) {
    static const report_column pcols[] = {{"course_id", "Course", 0, NULL},
                                          {"landmark", "Landmark (POINT ROI)", 0, NULL},
                                          {"tre_mm", "TRE (mm)", 2, NULL},
                                          {"tre_rigid_mm", "TRE rigid (mm)", 2, NULL}};
    cJSON *t = report_add_table(s, "registration_landmarks", "Target registration error of landmarks present in both structure sets.",
                                pcols, 4);
    for (int i = 0; i < c->cs.ncourses; i++) {
      const consult_reg *g = &c->reg[i];
      for (int q = 0; g->has_check && q < g->check.npoints; q++) {
        cJSON *row = report_table_row(t);
        cJSON_AddStringToObject(row, "course_id", c->cs.courses[i].id);
        cJSON_AddStringToObject(row, "landmark", g->check.point[q].name);
        num(row, "tre_mm", g->check.point[q].tre_mm);
        num(row, "tre_rigid_mm", g->check.point[q].tre_rigid_mm);
      }
    }
  }
  for (int i = 0; i < c->cs.ncourses; i++) {
    const consult_reg *g = &c->reg[i];
    char buf[700];
    if (c->has_upper) {
      snprintf(buf, sizeof buf, "Course %s: worst case within %.1f mm (%s).", c->cs.courses[i].id, g->radius_mm,
               g->radius_source[0] ? g->radius_source : "default");
      report_add_paragraph(s, buf);
    }
    if (g->has_check && g->override_reason[0]) {
      snprintf(buf, sizeof buf, "Registration QA of course %s is %s; overridden by the case file: %s", c->cs.courses[i].id,
               reg_qa_status_name(g->check.overall), g->override_reason);
      report_add_note(s, "warning", buf);
    } else if (g->blocks) {
      char ids[200];
      reg_qa_failed_ids(&g->check, ids, sizeof ids);
      snprintf(buf, sizeof buf,
               "Registration QA of course %s %s (%s): the dose mapped through it cannot be trusted, so the consult verdict is at "
               "best INCOMPLETE.",
               c->cs.courses[i].id, g->check.overall == REG_QA_FAIL ? "FAILED" : "could not be evaluated",
               ids[0] ? ids : "no CT pair, common contours or landmarks");
      report_add_note(s, "warning", buf);
    }
  }
  (void)nblock;
}
#endif
