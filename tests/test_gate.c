/* test_gate.c — the gate's library pieces without DICOM: the findings API and interlock registry
 * (rert/gate.h), and the accumulation engine's fraction groups (accumulate.h accum_course.nparts)
 * against hand calculations with EQD2 = Σ_g D_g (D_g/n_g + a)/(2 + a) (domain-reference §1.1,
 * non-uniform fractionation). The DICOM paths are tested through the binary by test_malformed
 * and test_real_exports. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/accumulate.h"
#include "rert/gate.h"

Test(gate, interlock_registry) {
  cr_assert_not_null(gate_interlock_find("same_patient"));
  cr_assert_not_null(gate_interlock_find("multigroup_plan_dose"));
  cr_assert_str_eq(gate_interlock_find("registration_qa")->applied_by, "registration QA");
  cr_assert_null(gate_interlock_find("no_such_check"));
  int n = 0;
  for (const gate_interlock *g = gate_interlocks; g->id; g++, n++) {
    cr_assert(g->allows && *g->allows && g->applied_by && *g->applied_by, "%s", g->id);
    for (const gate_interlock *h = gate_interlocks; h != g; h++) cr_assert_str_neq(g->id, h->id);
  }
  cr_assert_geq(n, 12);
}

Test(gate, findings_and_error_line) {
  gate_findings f;
  gate_findings_init(&f);
  gate_add(&f, GATE_OK, "dose.values", "c1", "RD.dcm", "DoseUnits (3004,0002)", "GY");
  gate_add(&f, GATE_WARNING, "dose.course", "c1", "RD.dcm", "", "two\nlines");
  rert_err e;
  cr_assert_eq(gate_refusal_error(&f, &e), RERT_OK);
  /* an interlock refusal without a case: stays a refusal, names file and tag, says how to allow */
  cr_assert_eq(gate_add_interlock(&f, NULL, "same_patient", "patient.id", "c1", "RS.dcm",
                                  "PatientID (0010,0020)", "'A' but '%s'", "B"), 0);
  gate_add(&f, GATE_REFUSAL, "dose.units", "c2", "RD2.dcm", "DoseUnits (3004,0002)", "RELATIVE");
  cr_assert_eq(gate_count(&f, GATE_REFUSAL), 2);
  cr_assert_eq(gate_refusal_error(&f, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "RS.dcm: PatientID (0010,0020): 'A' but 'B'") == e.msg, "%s", e.msg);
  cr_assert(strstr(e.msg, "same_patient") && strstr(e.msg, "1 more refusal"), "%s", e.msg);
  cr_assert_null(strchr(f.items[1].message, '\n'), "messages stay on one line");
  cJSON *j = gate_findings_json(&f, 0);
  cr_assert_eq(cJSON_GetArraySize(j), 3, "ok findings left out");
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "interlock")->valuestring, "same_patient");
  cJSON_Delete(j);
  gate_findings_free(&f);
}

/* ---- fraction groups in the engine ---- */

static void grid(rert_volume *v, float x) {
  memset(v, 0, sizeof *v);
  v->nx = v->ny = v->nz = 2;
  v->spacing_mm[0] = v->spacing_mm[1] = v->spacing_mm[2] = 10;
  rert_err e;
  cr_assert_eq(volume_alloc(v, &e), RERT_OK);
  for (size_t i = 0; i < volume_count(v); i++) v->data[i] = x;
}

/* One planned course, 25 fx of 2 Gy (50 Gy) + a 5-fraction boost of 4 Gy (20 Gy), in an organ
 * with α/β 3 (BrachialPlex_L, data/tissues.json) — by hand:
 *   group 1: 50 (2 + 3)/(2 + 3) = 50;  group 2: 20 (4 + 3)/5 = 28;  Σ = 78 Gy
 *   summed physical 70 Gy in 30 fx (wrong): 70 (70/30 + 3)/5 = 74.67 Gy. */
Test(gate, sequential_boost_keeps_each_groups_fractions) {
  rert_volume tot, g1, g2, mask;
  grid(&tot, 70);
  grid(&g1, 50);
  grid(&g2, 20);
  grid(&mask, 1);
  accum_input *in = calloc(1, sizeof *in);
  accum_input_init(in);
  accum_course *c = &in->courses[in->ncourses++];
  snprintf(c->id, sizeof c->id, "boost");
  c->dose = &tot;
  c->fractions = 30;
  c->modality = MOD_PHOTON;
  c->rbe = RBE_PHYSICAL;
  c->start = (rert_date){2024, 1, 8};
  c->end = (rert_date){2024, 2, 16};
  c->is_new = 1;
  c->nparts = 2;
  c->part_dose[0] = &g1;
  c->part_fractions[0] = 25;
  c->part_dose[1] = &g2;
  c->part_fractions[1] = 5;
  accum_structure *s = NULL;
  rert_err e0;
  cr_assert_eq(accum_input_add_structure(in, &s, &e0), RERT_OK);
  snprintf(s->name, sizeof s->name, "BrachialPlex_L");
  s->mask = &mask;
  s->alpha_beta_gy = NAN;
  accum_result r;
  rert_err e;
  cr_assert_eq(accumulate_run(in, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(r.struct_alpha_beta_gy[0], 3.0, 1e-9);
  cr_assert_float_eq(r.course_eqd2[0].data[0], 78.0, 1e-4);
  cr_assert_float_eq(r.cumulative.data[7], 78.0, 1e-4);
  accum_result_free(&r);
  /* without the groups: the (wrong) single-count value, so the test can fail */
  c->nparts = 0;
  cr_assert_eq(accumulate_run(in, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(r.course_eqd2[0].data[0], 70.0 * (70.0 / 30 + 3) / 5, 1e-4);
  accum_result_free(&r);
  /* a stated bound: the whole 70 Gy in the smallest group's 5 fractions, 70 (14 + 3)/5 = 238 */
  c->nparts = 1;
  c->part_dose[0] = &tot;
  c->part_fractions[0] = 5;
  cr_assert_eq(accumulate_run(in, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(r.course_eqd2[0].data[0], 238.0, 1e-3);
  accum_result_free(&r);
  /* a group with 0 fractions or off the grid is refused */
  c->nparts = 2;
  c->part_dose[0] = &g1;
  c->part_fractions[0] = 0;
  cr_assert_eq(accumulate_run(in, &r, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "fraction group 1"), "%s", e.msg);
  volume_free(&tot);
  volume_free(&g1);
  volume_free(&g2);
  volume_free(&mask);
  accum_input_free(in);
  free(in);
}

/* The same course evaluated: the cumulative Dmax in the organ is 78 Gy (groups), and a regimen
 * that replaces the fractionation (the solver: another fraction count) applies to the summed
 * dose. Protocol: a one-row file written here (Dmax ≤ 76 Gy EQD2, α/β 3, cumulative). */
Test(gate, evaluate_with_groups_and_solver_override) {
  rert_volume tot, g1, g2, mask;
  grid(&tot, 70);
  grid(&g1, 50);
  grid(&g2, 20);
  grid(&mask, 1);
  accum_input *in = calloc(1, sizeof *in);
  accum_input_init(in);
  accum_course *c = &in->courses[in->ncourses++];
  snprintf(c->id, sizeof c->id, "boost");
  c->dose = &tot;
  c->fractions = 30;
  c->modality = MOD_PHOTON;
  c->rbe = RBE_PHYSICAL;
  c->start = (rert_date){2024, 1, 8};
  c->end = (rert_date){2024, 2, 16};
  c->is_new = 1;
  c->nparts = 2;
  c->part_dose[0] = &g1;
  c->part_fractions[0] = 25;
  c->part_dose[1] = &g2;
  c->part_fractions[1] = 5;
  accum_structure *s = NULL;
  rert_err e0;
  cr_assert_eq(accum_input_add_structure(in, &s, &e0), RERT_OK);
  snprintf(s->name, sizeof s->name, "BrachialPlex_L");
  s->mask = &mask;
  s->alpha_beta_gy = NAN;
  char path[] = "/tmp/rert-gate-protocol-XXXXXX.json";
  int fd = mkstemps(path, 5);
  cr_assert_geq(fd, 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "{\"schema\": \"rert-protocol/1\", \"name\": \"t\", \"title\": \"t\", \"source\": \"test\", "
             "\"verified\": false, \"constraints\": [{\"id\": \"bp\", \"organ\": \"BrachialPlex_L\", "
             "\"metric\": \"Dmax\", \"limit_gy\": 76, \"comparator\": \"<=\", "
             "\"tier\": \"mandatory\", \"scope\": \"cumulative\", \"quantity\": \"EQD2\", "
             "\"alpha_beta_gy\": 3, \"recovery\": \"none\", \"source\": \"test\", \"verified\": false}]}\n");
  fclose(f);
  rert_protocol p;
  rert_err e;
  int prc = protocol_load(path, &p, &e);
  remove(path);
  cr_assert_eq(prc, RERT_OK, "%s", e.msg);
  accum_evaluation ev;
  cr_assert_eq(accumulate_evaluate(in, &p, &ev, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(ev.nrows, 1);
  cr_assert_float_eq(ev.rows[0].value, 78.0, 1e-3);
  cr_assert_eq(ev.rows[0].verdict, VERDICT_FAIL);
  accum_evaluation_free(&ev);
  /* the course's own count: its own groups */
  cr_assert_eq(accumulate_evaluate_scaled(in, &p, 1.0, 30, 1, NAN, &ev, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(ev.rows[0].value, 78.0, 1e-3);
  accum_evaluation_free(&ev);
  /* another regimen (15 fx) replaces the fractionation of the summed dose: 70 (70/15 + 3)/5 */
  cr_assert_eq(accumulate_evaluate_scaled(in, &p, 1.0, 15, 1, NAN, &ev, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(ev.rows[0].value, 70.0 * (70.0 / 15 + 3) / 5, 1e-3);
  accum_evaluation_free(&ev);
  /* half the dose in 30 fx: each group halved, 25·1·4/5 + 10·(2 + 3)/5 = 20 + 10 = 30 Gy */
  cr_assert_eq(accumulate_evaluate_scaled(in, &p, 0.5, 30, 1, NAN, &ev, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(ev.rows[0].value, 30.0, 1e-3);
  cr_assert_eq(ev.rows[0].verdict, VERDICT_PASS);
  accum_evaluation_free(&ev);
  protocol_free(&p);
  volume_free(&tot);
  volume_free(&g1);
  volume_free(&g2);
  volume_free(&mask);
  accum_input_free(in);
  free(in);
}
