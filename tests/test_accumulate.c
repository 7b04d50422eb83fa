/* test_accumulate.c — cumulative EQD2, α/β overlap rule, recovery, RBE interlock, verdicts and
 * the remaining-tolerance budget on synthetic uniform dose blocks. Every expected value is a
 * hand calculation with the LQ formula EQD2 = D(D/n + a)/(2 + a) (domain-reference §1.1) or a
 * §10.6 vector; the formula used is named next to each assertion. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/accumulate.h"

/* 4 x 4 x 4 grid of 10-mm voxels: 1 cc per voxel. */
static void grid(rert_volume *v) {
  memset(v, 0, sizeof *v);
  v->nx = v->ny = v->nz = 4;
  v->spacing_mm[0] = v->spacing_mm[1] = v->spacing_mm[2] = 10;
  rert_err e;
  cr_assert_eq(volume_alloc(v, &e), RERT_OK);
}
static void fill(rert_volume *v, float x) {
  for (size_t i = 0; i < volume_count(v); i++) v->data[i] = x;
}
/* mask of voxels with i in [i0, i1] (all j, k) */
static void slab(rert_volume *m, int i0, int i1) {
  grid(m);
  for (int k = 0; k < 4; k++)
    for (int j = 0; j < 4; j++)
      for (int i = i0; i <= i1; i++) m->data[i + 4 * (j + 4 * k)] = 1;
}
static rert_date D(int y, int m, int d) { return (rert_date){y, m, d}; }

static void course(accum_input *in, const char *id, const rert_volume *dose, int n, rert_date s,
                   rert_date e, int is_new) {
  accum_course *c = &in->courses[in->ncourses++];
  memset(c, 0, sizeof *c);
  snprintf(c->id, sizeof c->id, "%s", id);
  c->dose = dose;
  c->modality = MOD_PHOTON;
  c->rbe = RBE_PHYSICAL;
  c->fractions = n;
  c->start = s;
  c->end = e;
  c->is_new = is_new;
}
static accum_structure *structure(accum_input *in, const char *name, const rert_volume *m, int target) {
  accum_structure *s;
  rert_err e;
  cr_assert_eq(accum_input_add_structure(in, &s, &e), RERT_OK);
  snprintf(s->name, sizeof s->name, "%s", name);
  s->mask = m;
  s->is_target = target;
  s->alpha_beta_gy = NAN;
  return s;
}
static float at(const rert_volume *v, int i) { return v->data[i]; } /* j = k = 0 */

/* Local dose per fraction: 30 Gy in 30 fx in the cord → d = 1 Gy, EQD2(2) = 30·3/4 = 22.5, not
 * the 30 a prescription d of 2 Gy would give (§1.1). */
Test(accumulate, local_dose_per_fraction) {
  rert_volume d1, cord;
  grid(&d1);
  fill(&d1, 30);
  slab(&cord, 0, 3);
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "c1", &d1, 30, D(2020, 1, 1), D(2020, 2, 11), 1);
  structure(&in, "SpinalCord", &cord, 0);
  accum_result r;
  rert_err err = {{0}};
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(at(&r.cumulative, 0), 22.5, 1e-4);
  cr_assert_float_eq(at(&r.alpha_beta, 0), 2.0, 1e-6);
  accum_result_free(&r);
  volume_free(&d1);
  volume_free(&cord);
  accum_input_free(&in);
}

/* Overlap rule: slab i=0 Brainstem (a/b 2) ∩ OpticChiasm (3); i=1 chiasm ∩ PTV; i=2 PTV only;
 * i=3 nothing. 30 Gy in 10 fx (d = 3): EQD2 = 30(3 + a)/(2 + a): a=2 → 37.5, a=3 → 36,
 * a=10 → 32.5, unlisted default 2 → 37.5. */
Test(accumulate, overlap_rule_lowest_oar) {
  rert_volume d, bs, ch, ptv;
  grid(&d);
  fill(&d, 30);
  slab(&bs, 0, 0);
  slab(&ch, 0, 1);
  slab(&ptv, 1, 2);
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "c1", &d, 10, D(2020, 1, 1), D(2020, 1, 14), 1);
  structure(&in, "PTV_High", &ptv, 1);
  structure(&in, "OpticChiasm", &ch, 0);
  structure(&in, "Brainstem", &bs, 0);
  accum_result r;
  rert_err err = {{0}};
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(at(&r.alpha_beta, 0), 2, 1e-6);
  cr_assert_float_eq(at(&r.alpha_beta, 1), 3, 1e-6);
  cr_assert_float_eq(at(&r.alpha_beta, 2), 10, 1e-6);
  cr_assert_float_eq(at(&r.alpha_beta, 3), 2, 1e-6);
  cr_assert_float_eq(at(&r.cumulative, 0), 37.5, 1e-4);
  cr_assert_float_eq(at(&r.cumulative, 1), 36.0, 1e-4);
  cr_assert_float_eq(at(&r.cumulative, 2), 32.5, 1e-4);
  cr_assert_float_eq(at(&r.cumulative, 3), 37.5, 1e-4);
  cr_assert_eq(r.governing[0], 2);
  cr_assert_eq(r.governing[1], 1);
  cr_assert_eq(r.governing[2], 0);
  cr_assert_eq(r.governing[3], -1);
  cr_assert(strstr(r.rule_text, "lowest alpha/beta"));
  accum_result_free(&r);
  /* list order: PTV listed first wins at i=1 → a/b 10 → 32.5 */
  in.rule = AB_RULE_LIST_ORDER;
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(at(&r.alpha_beta, 1), 10, 1e-6);
  cr_assert_float_eq(at(&r.cumulative, 1), 32.5, 1e-4);
  accum_result_free(&r);
  volume_free(&d); volume_free(&bs); volume_free(&ch); volume_free(&ptv);
  accum_input_free(&in);
}

/* §10.6 stepwise vector: prior cord EQD2 50 (50 Gy / 25 fx, a/b 2 → 50), new 20 Gy / 10 fx
 * (EQD2 20). t = 8 mo → 0.75·50 + 20 = 57.5; t < 6 mo → 70; t ≥ 12 mo → 0.5·50 + 20 = 45. */
static double stepwise_case(rert_date new_start) {
  rert_volume d1, d2, cord;
  grid(&d1); fill(&d1, 50);
  grid(&d2); fill(&d2, 20);
  slab(&cord, 0, 3);
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "c1", &d1, 25, D(2023, 11, 20), D(2024, 1, 1), 0);
  course(&in, "c2", &d2, 10, new_start, new_start, 1);
  accum_structure *s = structure(&in, "SpinalCord", &cord, 0);
  snprintf(s->recovery[0], sizeof s->recovery[0], "s4_stepwise");
  accum_result r;
  rert_err err = {{0}};
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  double v = at(&r.cumulative, 0);
  cr_assert_float_eq(at(&r.course_eqd2[0], 0), 50, 1e-4);
  cr_assert_float_eq(at(&r.recovered_prior, 0) + 20, v, 1e-4);
  accum_result_free(&r);
  volume_free(&d1); volume_free(&d2); volume_free(&cord);
  accum_input_free(&in);
  return v;
}
Test(accumulate, stepwise_recovery_vectors) {
  cr_assert_float_eq(stepwise_case(D(2024, 9, 1)), 57.5, 1e-4);  /* 244 d = 8.02 mo */
  cr_assert_float_eq(stepwise_case(D(2024, 6, 1)), 70.0, 1e-4);  /* 152 d = 4.99 mo */
  cr_assert_float_eq(stepwise_case(D(2025, 1, 1)), 45.0, 1e-4);  /* 366 d = 12.02 mo */
}

/* Three courses, exponential (R_max 1, T½ 2 y) per §3.2: remaining = 2^(−t/2y).
 * c1: 50 Gy/25 fx (EQD2 50) ended 2020-01-01; c2: 30 Gy/15 fx (EQD2 30) ended 2022-01-01;
 * new 2024-01-02: t1 = 1462 d, t2 = 731 d; years = d/365.25.
 * Hand: 50·2^(−1462/730.5) + 30·2^(−731/730.5) + 10 (10 Gy/5 fx → EQD2 10). */
Test(accumulate, three_courses_exponential) {
  rert_volume d1, d2, d3, cord;
  grid(&d1); fill(&d1, 50);
  grid(&d2); fill(&d2, 30);
  grid(&d3); fill(&d3, 10);
  slab(&cord, 0, 3);
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "c1", &d1, 25, D(2019, 11, 20), D(2020, 1, 1), 0);
  course(&in, "c2", &d2, 15, D(2021, 12, 10), D(2022, 1, 1), 0);
  course(&in, "c3", &d3, 5, D(2024, 1, 2), D(2024, 1, 8), 1);
  snprintf(in.default_recovery, sizeof in.default_recovery, "exponential:halftime_years=2");
  structure(&in, "SpinalCord", &cord, 0);
  accum_result r;
  rert_err err = {{0}};
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  double expect = 50 * pow(2, -1462 / 730.5) + 30 * pow(2, -731 / 730.5) + 10;
  cr_assert_float_eq(at(&r.cumulative, 0), expect, 1e-3);
  cr_assert_float_eq(r.interval_months[0], 1462 / 30.4375, 1e-9);
  accum_result_free(&r);
  volume_free(&d1); volume_free(&d2); volume_free(&d3); volume_free(&cord);
  accum_input_free(&in);
}

/* Fixed SPHIC 70 %: prior brainstem 60 → 18 counted (§10.6). Jones–Grant conservative
 * (Addendum A): BED1 = 2·60 = 120 > BED_tol 100 → no discount (formula's second branch) →
 * 60; with prior 40 Gy/20 fx: BED1 = 80, t = 1 y (2023-01-01 → 2024-01-01, 365 d = 0.99932 y),
 * r = 1.5 + exp(1.2(t − 1)), BED_eff = 100[1 − (1 − 0.8)^(1/(1+r))], EQD2 = BED_eff/2. */
static double one_prior(double dose, int n, const char *rec, rert_date end, rert_date start2) {
  rert_volume d1, d2, bs;
  grid(&d1); fill(&d1, (float)dose);
  grid(&d2);
  slab(&bs, 0, 3);
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "c1", &d1, n, end, end, 0);
  course(&in, "c2", &d2, 10, start2, start2, 1);
  accum_structure *s = structure(&in, "Brainstem", &bs, 0);
  snprintf(s->recovery[0], sizeof s->recovery[0], "%s", rec);
  accum_result r;
  rert_err err = {{0}};
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  double v = at(&r.recovered_prior, 0);
  accum_result_free(&r);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  accum_input_free(&in);
  return v;
}
Test(accumulate, fixed_and_jones_grant) {
  cr_assert_float_eq(one_prior(60, 30, "sphic_70", D(2023, 1, 1), D(2024, 6, 1)), 18.0, 1e-4);
  cr_assert_float_eq(one_prior(60, 30, "jones_grant_2014_conservative:bed_tol_gy=100", D(2023, 1, 1), D(2024, 1, 1)),
                     60.0, 1e-4);
  double t = 365 / 365.25, rr = 1.5 + exp(1.2 * (t - 1));
  double expect = 100 * (1 - pow(1 - 0.8, 1 / (1 + rr))) / 2;
  cr_assert_float_eq(one_prior(40, 20, "jones_grant_2014_conservative:bed_tol_gy=100", D(2023, 1, 1), D(2024, 1, 1)),
                     expect, 1e-3);
  /* limit model as a voxel recovery: CARE does not discount the prior dose */
  cr_assert_float_eq(one_prior(60, 30, "care_uplift", D(2020, 1, 1), D(2024, 1, 1)), 60.0, 1e-4);
}

/* Mixed carbon models are refused; an explicit MKM → LEM conversion makes them summable.
 * Zhang 2020 (§10.6): MKM 2.189781 Gy(RBE)/fx ↔ LEM 3.00 Gy(RBE)/fx (CF 1.37). */
Test(accumulate, mixed_rbe_refused_unless_converted) {
  rert_volume d1, d2;
  grid(&d1); fill(&d1, 3.0f * 10);
  grid(&d2); fill(&d2, (float)(2.189781 * 10));
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "lem", &d1, 10, D(2020, 1, 1), D(2020, 1, 14), 0);
  course(&in, "mkm", &d2, 10, D(2023, 1, 1), D(2023, 1, 14), 1);
  in.courses[0].modality = in.courses[1].modality = MOD_CARBON;
  in.courses[0].rbe = RBE_LEM_I;
  in.courses[1].rbe = RBE_MKM;
  accum_result r;
  rert_err err = {{0}};
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "lem") && strstr(err.msg, "mkm"), "%s", err.msg);
  in.courses[1].convert_to_set = 1;
  in.courses[1].convert_to = RBE_LEM_I;
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  /* both courses now 30 Gy(RBE) LEM in 10 fx; unlisted a/b 2: EQD2 = 30·5/4 = 37.5 each */
  cr_assert_float_eq(at(&r.course_eqd2[1], 0), 37.5, 0.05);
  cr_assert_float_eq(at(&r.cumulative, 0), 75.0, 0.05);
  accum_result_free(&r);
  /* a particle dose that is not RBE-weighted is refused */
  in.courses[1].convert_to_set = 0;
  in.courses[1].rbe = RBE_PHYSICAL;
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_EINPUT);
  volume_free(&d1); volume_free(&d2);
  accum_input_free(&in);
}

/* BID incomplete repair (§1.4): 72 Gy / 60 fx, 2 fx/day 6 h apart, cord T½ 5 h
 * (data/tissues.json, overrides the course's 4 h): φ = exp(−ln2·6/5), h2 = φ,
 * EQD2 = 72(1 + 1.2(1 + φ)/2)/2 = 67.0019. */
Test(accumulate, bid_incomplete_repair) {
  rert_volume d, cord;
  grid(&d); fill(&d, 72);
  slab(&cord, 0, 3);
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "bid", &d, 60, D(2024, 1, 1), D(2024, 2, 9), 1);
  in.courses[0].fractions_per_day = 2;
  in.courses[0].interfraction_interval_h = 6;
  in.courses[0].repair_halftime_h = 4; /* used only outside organs with their own T½ */
  structure(&in, "SpinalCord", &cord, 0);
  accum_result r;
  rert_err err = {{0}};
  cr_assert_eq(accumulate_run(&in, &r, &err), RERT_OK, "%s", err.msg);
  double phi = exp(-log(2) * 6 / 5.0);
  cr_assert_float_eq(at(&r.cumulative, 0), 72 * (1 + 1.2 * (1 + phi) / 2) / 2, 1e-3);
  accum_result_free(&r);
  volume_free(&d); volume_free(&cord);
  accum_input_free(&in);
}

/* CARE (S0) §10.6: brainstem prior EQD2 54 (54 Gy/27 fx, a/b 2), interval 30 months → limit 72;
 * new 20 Gy / 10 fx (EQD2 20) → cumulative 74 → FAIL, margin −2 Gy (−2.78 %). At 23 months the
 * ≤24 row applies: limit 60, margin −14. */
static void care_case(accum_input *in, rert_volume *d1, rert_volume *d2, rert_volume *bs, rert_date start2) {
  grid(d1); fill(d1, 54);
  grid(d2); fill(d2, 20);
  slab(bs, 0, 3);
  accum_input_free(in);
  accum_input_init(in);
  course(in, "c1", d1, 27, D(2021, 1, 1), D(2021, 2, 6), 0);
  course(in, "c2", d2, 10, start2, start2, 1);
  structure(in, "Brainstem", bs, 0);
}
Test(accumulate, care_verdicts_both_sides_of_24_months) {
  rert_volume d1, d2, bs;
  accum_input in = {0};
  rert_protocol p;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("care_s0", &p, &err), RERT_OK, "%s", err.msg);
  care_case(&in, &d1, &d2, &bs, D(2023, 8, 8)); /* 913 d = 30.0 mo */
  accum_evaluation ev;
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  int seen = 0;
  for (int i = 0; i < ev.nrows; i++) {
    accum_eval_row *r = &ev.rows[i];
    if (!strcmp(r->c->id, "brainstem_gt24")) {
      seen++;
      cr_assert_eq(r->verdict, VERDICT_FAIL);
      cr_assert_float_eq(r->value, 74, 1e-4);
      cr_assert_float_eq(r->limit, 72, 1e-9);
      cr_assert_float_eq(r->margin, -2, 1e-4);
      cr_assert_float_eq(r->margin_pct, -200.0 / 72, 1e-4);
      cr_assert(strstr(r->explanation, "a/b 2"), "%s", r->explanation);
    }
    if (!strcmp(r->c->id, "brainstem_le24")) cr_assert_eq(r->verdict, VERDICT_NOT_APPLICABLE);
  }
  cr_assert_eq(seen, 1);
  cr_assert_eq(ev.hard_failures, 1);
  accum_evaluation_free(&ev);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);

  care_case(&in, &d1, &d2, &bs, D(2022, 12, 31)); /* 693 d = 22.8 mo */
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  for (int i = 0; i < ev.nrows; i++)
    if (!strcmp(ev.rows[i].c->id, "brainstem_le24")) {
      cr_assert_eq(ev.rows[i].verdict, VERDICT_FAIL);
      cr_assert_float_eq(ev.rows[i].margin, -14, 1e-4);
    }
  accum_evaluation_free(&ev);

  /* new course of 10 Gy / 10 fx: EQD2(2) = 10·3/4 = 7.5 → 61.5 ≤ 72 at 30 mo → pass */
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  care_case(&in, &d1, &d2, &bs, D(2023, 8, 8));
  fill(&d2, 10);
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(ev.hard_failures, 0);
  accum_evaluation_free(&ev);
  protocol_free(&p);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  accum_input_free(&in);
}

/* Budget, §10.6: remaining 18 Gy EQD2 at 30 months → D = 21.8973 Gy in 17 fx; at ≤ 24 months
 * remaining 6 → D = 9.40076 Gy. */
Test(accumulate, budget_care_vector) {
  rert_volume d1, d2, bs, rem, mx;
  accum_input in = {0};
  rert_protocol p;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("care_s0", &p, &err), RERT_OK, "%s", err.msg);
  care_case(&in, &d1, &d2, &bs, D(2023, 8, 8));
  cr_assert_eq(accumulate_budget(&in, &p, 17, 1, 0, &rem, &mx, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(at(&rem, 0), 18, 1e-4);
  cr_assert_float_eq(at(&mx, 0), 21.8973, 1e-3);
  cr_assert_eq(mx.meta.quantity, QTY_MAX_NEW_DOSE);
  volume_free(&rem); volume_free(&mx);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  care_case(&in, &d1, &d2, &bs, D(2022, 12, 31));
  cr_assert_eq(accumulate_budget(&in, &p, 17, 1, 0, &rem, &mx, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(at(&rem, 0), 6, 1e-4);
  cr_assert_float_eq(at(&mx, 0), 9.40076, 1e-3);
  volume_free(&rem); volume_free(&mx);
  protocol_free(&p);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  accum_input_free(&in);
}

/* New-course-only limits ignore the prior dose; Gy(RBE) limits refuse another RBE model.
 * ECOG EA3191 brainstem D0.03cc ≤ 14 acceptable: new 20 Gy → FAIL (margin −6), whatever the
 * prior. NIRS MKM limits with a photon course → not evaluated. */
Test(accumulate, new_course_scope_and_rbe) {
  rert_volume d1, d2, bs;
  accum_input in = {0};
  rert_protocol p;
  rert_err err = {{0}};
  care_case(&in, &d1, &d2, &bs, D(2023, 8, 8));
  cr_assert_eq(protocol_load("ecog_ea3191", &p, &err), RERT_OK, "%s", err.msg);
  accum_evaluation ev;
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  for (int i = 0; i < ev.nrows; i++)
    if (!strcmp(ev.rows[i].c->id, "brainstem_acceptable")) {
      cr_assert_float_eq(ev.rows[i].value, 20, 1e-5);
      cr_assert_float_eq(ev.rows[i].margin, -6, 1e-5);
    }
  cr_assert_eq(ev.hard_failures, 1);
  accum_evaluation_free(&ev);
  protocol_free(&p);
  cr_assert_eq(protocol_load("nirs_carbon", &p, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  /* every NIRS row is accounted for: brainstem (RBE model), cord, chiasm, both optic nerves
   * (structures missing) — 5 rows, none a pass, the overall verdict INCOMPLETE */
  cr_assert_eq(ev.nrows, 5);
  for (int i = 0; i < ev.nrows; i++) {
    cr_assert_eq(ev.rows[i].verdict, VERDICT_NOT_EVALUATED);
    cr_assert_eq(ev.rows[i].status, ROW_NOT_EVALUATED);
    cr_assert_eq(ev.rows[i].reason, !strcmp(ev.rows[i].structure, "Brainstem") ? NE_RBE_MODEL : NE_STRUCTURE_MISSING,
                 "%s", ev.rows[i].structure);
  }
  cr_assert_eq(ev.hard_failures, 0);
  cr_assert_eq(ev.hard_not_evaluated, 5);
  accum_overall ov;
  accumulate_overall(&ev, 1, &ov);
  cr_assert_eq(ov.verdict, VERDICT_INCOMPLETE);
  cr_assert_eq(accumulate_verdict_status(ov.verdict), RERT_EINCOMPLETE);
  accum_evaluation_free(&ev);
  protocol_free(&p);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  accum_input_free(&in);
}

/* Worst case: an upper-bound map of the new course (18 Gy / 10 fx) raises the cumulative to
 * 54 + 18·(1.8 + 2)/4 = 71.1 ≤ 72 → pass; 20 Gy → 54 + 20·4/4 = 74 → worst-case FAIL. */
Test(accumulate, worst_case_upper_bound) {
  rert_volume d1, d2, bs, up;
  accum_input in = {0};
  rert_protocol p;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("care_s0", &p, &err), RERT_OK, "%s", err.msg);
  care_case(&in, &d1, &d2, &bs, D(2023, 8, 8));
  fill(&d2, 10);
  grid(&up);
  fill(&up, 18);
  in.courses[1].dose_upper = &up;
  accum_evaluation ev;
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  for (int i = 0; i < ev.nrows; i++)
    if (!strcmp(ev.rows[i].c->id, "brainstem_gt24")) {
      cr_assert(ev.rows[i].has_worst);
      cr_assert_float_eq(ev.rows[i].worst_value, 71.1, 1e-4);
      cr_assert_eq(ev.rows[i].worst_verdict, VERDICT_PASS);
    }
  cr_assert_eq(ev.hard_failures, 0);
  accum_evaluation_free(&ev);
  fill(&up, 20);
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(ev.hard_failures, 1);
  accum_evaluation_free(&ev);
  protocol_free(&p);
  volume_free(&d1); volume_free(&d2); volume_free(&bs); volume_free(&up);
  accum_input_free(&in);
}

/* Solver on the CARE case (prior brainstem EQD2 54, 30 months → limit 72, remaining 18):
 * the planned distribution gives the brainstem 1/3 of the prescription.
 * 60 Gy/30 fx: brainstem 20 Gy, EQD2 = 20(0.667 + 2)/4 = 13.33 → 67.3 ≤ 72, nominal feasible.
 * SBRT 44 Gy/5 fx: closed form §1.2, d = [−2 + sqrt(4 + 4·4·18/5)]/2 = 2.924365, brainstem
 * D = 14.6218 Gy → prescription 3·14.6218 = 43.865 Gy < 44 → limited by care_s0:brainstem_gt24.
 * Tumour BED10 at 60/30 = 60(1 + 2/10) = 72 (curative band ≥ 70 → "above curative"). */
Test(accumulate, solver_sbrt_and_conventional) {
  rert_volume d1, d2, bs;
  accum_input in = {0};
  rert_protocol p;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("care_s0", &p, &err), RERT_OK, "%s", err.msg);
  care_case(&in, &d1, &d2, &bs, D(2023, 8, 8));
  fill(&d2, 20); /* planned: 60 Gy prescription, brainstem 20 Gy */
  accum_regimen *regs;
  accum_targets tg;
  int n;
  cr_assert_eq(accumulate_regimens_load(NULL, &regs, &n, &tg, &err), RERT_OK, "%s", err.msg);
  cr_assert_float_eq(tg.curative_min_gy, 60, 1e-12);
  cr_assert_float_eq(tg.palliative_max_gy, 40, 1e-12);
  const rert_protocol *ps[] = {&p};
  int seen = 0;
  for (int i = 0; i < n; i++) {
    accum_solution so;
    cr_assert_eq(accumulate_solve(&in, ps, 1, 60, &regs[i], &tg, &so, &err), RERT_OK, "%s", err.msg);
    if (!strcmp(regs[i].name, "60Gy_30fx")) {
      seen++;
      cr_assert(so.nominal_feasible);
      cr_assert_float_eq(so.max_prescription_gy, 60, 1e-9);
      cr_assert_float_eq(so.tumour_bed_gy, 72, 1e-9);
      cr_assert_str_eq(so.target_band, "above curative");
    }
    if (!strcmp(regs[i].name, "SBRT_44Gy_5fx")) {
      seen++;
      cr_assert(!so.nominal_feasible);
      cr_assert(so.feasible);
      cr_assert_float_eq(so.max_prescription_gy, 43.865, 0.02);
      cr_assert_str_eq(so.limiting.constraint_id, "brainstem_gt24");
      cr_assert_str_eq(so.limiting.protocol, "care_s0");
      cr_assert_eq(so.status, SOLVE_REDUCED);
    }
  }
  cr_assert_eq(seen, 2);
  free(regs);
  protocol_free(&p);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  accum_input_free(&in);
}

/* A second protocol whose rows are tighter than CARE's: the solver's constraint set is every
 * hard row of every protocol, the tightest governs and is named; desirable and informational
 * rows never limit. Brainstem prior EQD2 54 (α/β 2), interval 30 months.
 *  - CARE brainstem_gt24 ≤ 72 → remaining 18; "tight" ≤ 66 (mandatory) → remaining 12;
 *    "wish" ≤ 60 (desirable) → 6, must NOT limit.
 *  - 60 Gy/30 fx, brainstem at 1/3 of the prescription: D(D/30 + 2)/4 = 12 →
 *    D = 15(−2 + √10.4) = 18.373546 Gy → prescription 55.1206 Gy (≥ 50 minimum: reduced).
 *  - quad shot 14.8 Gy/4 fx BID: brainstem 4.933 Gy, EQD2 with h (cord/brainstem T½ from
 *    data/tissues.json, at most h = 1) < 4.933·(1.2333·2 + 2)/4 = 5.51 < 12 → its full dose,
 *    never more (range 14-14.8 Gy).
 *  - "over" ≤ 50 (mandatory): the prior alone (54) exceeds it → infeasible at 0, named. */
static const char *tight_protocol =
    "{\"schema\": \"rert-protocol/1\", \"name\": \"tight\", \"title\": \"t\", \"source\": \"test\", \"verified\": true,"
    " \"constraints\": ["
    "{\"id\": \"tight\", \"organ\": \"Brainstem\", \"metric\": \"Dmax\", \"limit_gy\": 66, \"comparator\": \"<=\", \"tier\": \"mandatory\","
    " \"scope\": \"cumulative\", \"quantity\": \"EQD2\", \"alpha_beta_gy\": 2, \"recovery\": \"none\", \"source\": \"test\", \"verified\": true},"
    "{\"id\": \"wish\", \"organ\": \"Brainstem\", \"metric\": \"Dmax\", \"limit_gy\": 60, \"comparator\": \"<=\", \"tier\": \"desirable\","
    " \"scope\": \"cumulative\", \"quantity\": \"EQD2\", \"alpha_beta_gy\": 2, \"recovery\": \"none\", \"source\": \"test\", \"verified\": true}"
    "%s]}";
static const char *over_row =
    ", {\"id\": \"over\", \"organ\": \"Brainstem\", \"metric\": \"Dmax\", \"limit_gy\": 50, \"comparator\": \"<=\", \"tier\": \"mandatory\","
    " \"scope\": \"cumulative\", \"quantity\": \"EQD2\", \"alpha_beta_gy\": 2, \"recovery\": \"none\", \"source\": \"test\", \"verified\": true}";

static void load_tight(rert_protocol *p, int with_over) {
  char js[4096];
  snprintf(js, sizeof js, tight_protocol, with_over ? over_row : "");
  cJSON *r = cJSON_Parse(js);
  cr_assert_not_null(r);
  rert_err err;
  cr_assert_eq(protocol_from_json(r, "tight.json", p, &err), RERT_OK, "%s", err.msg);
  cJSON_Delete(r);
}

Test(accumulate, solver_tightest_row_of_all_protocols) {
  rert_volume d1, d2, bs;
  accum_input in = {0};
  rert_protocol care, tight;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("care_s0", &care, &err), RERT_OK, "%s", err.msg);
  load_tight(&tight, 0);
  care_case(&in, &d1, &d2, &bs, D(2023, 8, 8));
  fill(&d2, 20); /* planned 60 Gy prescription: brainstem 20 Gy */
  accum_regimen *regs;
  accum_targets tg;
  int n;
  cr_assert_eq(accumulate_regimens_load(NULL, &regs, &n, &tg, &err), RERT_OK, "%s", err.msg);
  const rert_protocol *ps[] = {&care, &tight};
  accum_solution *sol = calloc((size_t)n, sizeof *sol);
  int seen = 0;
  for (int i = 0; i < n; i++) {
    cr_assert_eq(accumulate_solve(&in, ps, 2, 60, &regs[i], &tg, &sol[i], &err), RERT_OK, "%s", err.msg);
    const accum_solution *so = &sol[i];
    /* never above the regimen's range */
    cr_assert_leq(so->max_prescription_gy, regs[i].dose_max_gy + 1e-9, "%s", regs[i].name);
    if (so->limiting.found) cr_assert_str_eq(so->limiting.protocol, "tight", "%s: %s", regs[i].name, so->limiting.text);
    if (!strcmp(regs[i].name, "60Gy_30fx")) {
      seen++;
      cr_assert_eq(so->status, SOLVE_REDUCED);
      cr_assert_float_eq(so->max_prescription_gy, 55.1206, 0.011);
      cr_assert_str_eq(so->limiting.constraint_id, "tight");
      cr_assert_str_eq(so->limiting.structure, "Brainstem");
      cr_assert(strstr(so->statement, "feasible up to 55.1"), "%s", so->statement);
      /* tumour BED10 at that prescription, one fraction a day: P(1 + P/30/10) */
      double P = so->max_prescription_gy;
      cr_assert_float_eq(so->tumour_bed_gy, P * (1 + P / 30 / 10), 1e-9);
    }
    if (!strcmp(regs[i].name, "quad_shot_14.8Gy_4fx_BID")) {
      seen++;
      cr_assert_eq(so->status, SOLVE_FULL);
      cr_assert_float_eq(so->max_prescription_gy, 14.8, 1e-12);
      cr_assert(!so->limiting.found);
    }
  }
  cr_assert_eq(seen, 2);
  /* ranking: feasible first (rank 1 is feasible), ranks are a permutation */
  accumulate_solutions_rank(sol, n, &tg);
  int used[64] = {0};
  for (int i = 0; i < n; i++) {
    cr_assert(sol[i].rank >= 1 && sol[i].rank <= n);
    cr_assert(!used[sol[i].rank]);
    used[sol[i].rank] = 1;
    if (sol[i].rank == 1) cr_assert(sol[i].feasible);
    for (int j = 0; j < n; j++)
      if (sol[i].feasible && !sol[j].feasible) cr_assert_lt(sol[i].rank, sol[j].rank);
  }
  free(sol);
  /* the prior alone exceeds a hard row: no dose at all is feasible, and the row is named */
  protocol_free(&tight);
  load_tight(&tight, 1);
  accum_solution so;
  for (int i = 0; i < n; i++) {
    if (strcmp(regs[i].name, "60Gy_30fx")) continue;
    cr_assert_eq(accumulate_solve(&in, ps, 2, 60, &regs[i], &tg, &so, &err), RERT_OK, "%s", err.msg);
    cr_assert_eq(so.status, SOLVE_INFEASIBLE);
    cr_assert_float_eq(so.max_prescription_gy, 0, 1e-12);
    cr_assert_str_eq(so.limiting.constraint_id, "over");
    cr_assert(so.limiting.exceeded_by_prior);
    cr_assert(strstr(so.statement, "infeasible even at its minimum 50 Gy"), "%s", so.statement);
  }
  free(regs);
  protocol_free(&care);
  protocol_free(&tight);
  volume_free(&d1); volume_free(&d2); volume_free(&bs);
  accum_input_free(&in);
}

/* Tumour BED of a BID regimen with the Thames same-day repair term (domain-reference 1.4):
 * m = 2, Δt = 6 h, T½ = 1.5 h → φ = 2^(−4) = 0.0625 = h₂; 72 Gy/60 fx: d = 1.2,
 * BED = 72(1 + 1.2·1.0625/10) = 81.18 (vs 80.64 without the term). Once a day: h = 0. */
Test(accumulate, tumour_bed_same_day_repair) {
  accum_regimen g;
  memset(&g, 0, sizeof g);
  g.dose_gy = g.dose_min_gy = g.dose_max_gy = 72;
  g.fractions = 60;
  g.fractions_per_day = 2;
  g.interfraction_interval_h = 6;
  accum_targets t;
  memset(&t, 0, sizeof t);
  t.tumour_alpha_beta_gy = 10;
  t.tumour_repair_halftime_h = 1.5;
  double h;
  cr_assert_float_eq(accumulate_tumour_bed(&g, &t, 72, &h), 81.18, 1e-9);
  cr_assert_float_eq(h, 0.0625, 1e-12);
  g.fractions_per_day = 1;
  cr_assert_float_eq(accumulate_tumour_bed(&g, &t, 72, &h), 80.64, 1e-9);
  cr_assert_float_eq(h, 0, 0);
  /* the shipped data: every regimen has dose_min <= dose <= dose_max and a range source */
  accum_regimen *regs;
  int n;
  rert_err err;
  cr_assert_eq(accumulate_regimens_load(NULL, &regs, &n, &t, &err), RERT_OK, "%s", err.msg);
  cr_assert(t.tumour_repair_halftime_h > 0);
  for (int i = 0; i < n; i++) {
    cr_assert(regs[i].dose_min_gy <= regs[i].dose_gy && regs[i].dose_gy <= regs[i].dose_max_gy, "%s", regs[i].name);
    cr_assert(strlen(regs[i].range_source) > 10, "%s: no source for its range", regs[i].name);
  }
  free(regs);
}

/* Limit models through a "case" row: s4_textbook cord D0.1cc ≤ 60 with recovery "case"; the case
 * gives the cord ng2021_130 (limit × 1.3 → 78, prior not discounted) — cord prior 50 Gy/25 fx
 * (EQD2 50) + new 20 Gy/10 fx (EQD2 20) = 70 ≤ 78 → PASS, margin 8 (§3.5: 60 × 1.3 = 78). With
 * care_uplift at 30 months the factor is 1.2 → limit 72, margin 2; at 12 months 1.0 → 60, FAIL. */
static accum_eval_row cord_row(const char *rec, rert_date start2) {
  rert_volume d1, d2, cord;
  grid(&d1); fill(&d1, 50);
  grid(&d2); fill(&d2, 20);
  slab(&cord, 0, 3);
  accum_input in = {0};
  accum_input_init(&in);
  course(&in, "c1", &d1, 25, D(2020, 12, 1), D(2021, 1, 1), 0);
  course(&in, "c2", &d2, 10, start2, start2, 1);
  accum_structure *s = structure(&in, "SpinalCord", &cord, 0);
  snprintf(s->recovery[0], sizeof s->recovery[0], "%s", rec);
  rert_protocol p;
  rert_err err = {{0}};
  cr_assert_eq(protocol_load("s4_textbook", &p, &err), RERT_OK, "%s", err.msg);
  accum_evaluation ev;
  cr_assert_eq(accumulate_evaluate(&in, &p, &ev, &err), RERT_OK, "%s", err.msg);
  accum_eval_row out = {0};
  for (int i = 0; i < ev.nrows; i++)
    if (!strcmp(ev.rows[i].c->id, "cord_d01cc")) { out = ev.rows[i]; out.c = NULL; }
  accum_evaluation_free(&ev);
  protocol_free(&p);
  volume_free(&d1); volume_free(&d2); volume_free(&cord);
  accum_input_free(&in);
  return out;
}
Test(accumulate, limit_models_via_case_rows) {
  accum_eval_row r = cord_row("ng2021_130", D(2023, 7, 1));
  cr_assert_float_eq(r.value, 70, 1e-4);
  cr_assert_float_eq(r.limit, 78, 1e-9);
  cr_assert_eq(r.verdict, VERDICT_PASS);
  r = cord_row("care_uplift", D(2023, 7, 1)); /* 2021-01-01 → 2023-07-01: 911 d = 29.9 mo */
  cr_assert_float_eq(r.limit, 72, 1e-9);
  cr_assert_float_eq(r.margin, 2, 1e-4);
  r = cord_row("care_uplift", D(2022, 1, 5)); /* 369 d = 12.1 months: no uplift */
  cr_assert_float_eq(r.limit, 60, 1e-9);
  cr_assert_eq(r.verdict, VERDICT_FAIL);
  r = cord_row("s4_stepwise", D(2022, 1, 5)); /* 12.1 mo ≥ 12: 0.5·50 + 20 = 45 ≤ 60 (365 d would be 11.99 mo) */
  cr_assert_float_eq(r.value, 45, 1e-4);
  cr_assert_eq(r.verdict, VERDICT_PASS);
}
