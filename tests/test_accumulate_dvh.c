/* test_accumulate_dvh.c — constraint values of `accumulate_evaluate` on structures with RTSTRUCT
 * contours come from the DVH engine (rert/dvh.h), so they equal `rert dvh` on the same map and
 * the closed-form DVH of the solid.
 *
 * Independent values: a sphere (R = 10 mm, tests/support/analytic.h) in an EQD2 map that is
 * linear in x, E = 40 Gy + 1 Gy/mm · x. Its closed forms (spherical cap volume, analytic.h):
 * Dmax = 50, Dmean = 40, D0.03cc = an_d_at_cc(0.03), V45Gy = π h²(3R − h)/3 with h = 5 mm,
 * CV45Gy = 4/3 π R³ − V45Gy. The physical dose that has this EQD2 at α/β 2 in 30 fractions is
 * the root of the LQ quadratic, n d²/(α/β) + n d − E(1 + 2/(α/β)) = 0 (hand-derived §1.2).
 * Tolerances are those of tests/test_dvh_analytic.c (1 % or 0.5 % of the dose range for
 * structures ≥ 1 cc). Equality with the DVH engine run directly on the full EQD2 map (what
 * `rert dvh` does with a written map) is asserted to 1e-9 Gy / 1e-9 cc: the evaluation
 * integrates the same map on a sub-box of the grid, which changes only index rounding.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/accumulate.h"
#include "rert/dvh.h"
#include "rert/geom.h"
#include "support/analytic.h"

#define AB 2.0
#define NFX 30

static const char *PROTO =
    "{\"schema\":\"rert-protocol/1\",\"name\":\"t\",\"title\":\"t\",\"description\":\"t\","
    "\"applies_to\":\"t\",\"source\":\"test\",\"verified\":false,\"constraints\":["
    "{\"id\":\"dmax\",\"organ\":\"Brainstem\",\"metric\":\"Dmax\",\"limit_gy\":100,\"comparator\":\"<=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false},"
    "{\"id\":\"d003\",\"organ\":\"Brainstem\",\"metric\":\"D0.03cc\",\"limit_gy\":49.5,\"comparator\":\"<=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false},"
    "{\"id\":\"dmean\",\"organ\":\"Brainstem\",\"metric\":\"Dmean\",\"limit_gy\":100,\"comparator\":\"<=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false},"
    "{\"id\":\"v45\",\"organ\":\"Brainstem\",\"metric\":\"V45Gy[cc]\",\"limit\":100,\"unit\":\"cc\",\"comparator\":\"<=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false},"
    "{\"id\":\"cv45\",\"organ\":\"Brainstem\",\"metric\":\"CV45Gy[cc]\",\"limit\":0.1,\"unit\":\"cc\",\"comparator\":\">=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false},"
    "{\"id\":\"cord_pass\",\"organ\":\"SpinalCord\",\"metric\":\"Dmax\",\"limit_gy\":100,\"comparator\":\"<=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false},"
    "{\"id\":\"cord_fail\",\"organ\":\"SpinalCord\",\"metric\":\"Dmax\",\"limit_gy\":10,\"comparator\":\"<=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false},"
    "{\"id\":\"coch\",\"organ\":\"Cochlea\",\"metric\":\"D0.03cc\",\"limit_gy\":100,\"comparator\":\"<=\","
    "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,"
    "\"recovery\":\"none\",\"notes\":\"\",\"source\":\"test\",\"verified\":false}]}";

/* EQD2 at α/β 2 of total dose D in NFX fractions — written exactly as the accumulation engine
 * evaluates it so the two maps hold identical floats (the value itself is §1.1). */
static double eqd2(double D) { return D * (1.0 + (D / NFX) * (1.0 + 0.0) / AB) / (1.0 + 2.0 / AB); }

/* physical total dose whose EQD2 is E: n d²/ab + n d − B = 0, B = E(1 + 2/ab) */
static double phys_for(double E) {
  double B = E * (1.0 + 2.0 / AB);
  double d = (-1.0 + sqrt(1.0 + 4.0 * B / (NFX * AB))) / (2.0 / AB);
  return NFX * d;
}

static const accum_eval_row *row_of(const accum_evaluation *ev, const char *id, const char *st) {
  for (int i = 0; i < ev->nrows; i++)
    if (!strcmp(ev->rows[i].c->id, id) && !strcmp(ev->rows[i].structure, st)) return &ev->rows[i];
  cr_assert_fail("row %s/%s missing", id, st);
  return NULL;
}

Test(accumulate_dvh, sphere_in_linear_eqd2_matches_closed_form_and_dvh_engine) {
  an_case c = {AN_SPHERE, 10, 0, {0, 0, 0}, 2.0, 0.37, 96, 0, 1.0, 40.0};
  rert_roi roi, cord;
  cr_assert_eq(an_make_roi(&c, &roi), 0);
  snprintf(roi.name, sizeof roi.name, "Brainstem");
  /* the "cord": the same sphere 12 mm further in +x, so a cap of it lies beyond the dose grid
   * (an_make_dose covers the first sphere with >= 2 voxels of 2 mm margin) */
  an_case c2 = c;
  c2.centre_mm[0] = 12;
  cr_assert_eq(an_make_roi(&c2, &cord), 0);
  snprintf(cord.name, sizeof cord.name, "SpinalCord");
  /* a 0.014 cc "cochlea" (R = 1.5 mm) centred at x = −3 mm: D0.03cc is undefined (docs/dvh.md),
   * the constraint takes its Dmax = 40 − 3 + 1.5 = 38.5 Gy (closed form of the linear map) */
  an_case c3 = c;
  c3.radius_mm = 1.5;
  c3.slice_mm = 0.5;
  c3.centre_mm[0] = -3;
  rert_roi coch;
  cr_assert_eq(an_make_roi(&c3, &coch), 0);
  snprintf(coch.name, sizeof coch.name, "Cochlea_L");
  double sp[3] = {2, 2, 2}, off[3] = {0.3, 0.1, 0.6};
  rert_volume lin, phys, emap;
  rert_err err = {0};
  cr_assert_eq(an_make_dose(&c, sp, off, &lin), 0);
  cr_assert_eq(volume_alloc_like(&phys, &lin, &err), 0);
  cr_assert_eq(volume_alloc_like(&emap, &lin, &err), 0);
  for (size_t v = 0; v < volume_count(&lin); v++) {
    phys.data[v] = (float)phys_for(lin.data[v]);
    emap.data[v] = (float)eqd2(phys.data[v]); /* = lin within float rounding */
  }
  rert_mask m1, m2, m3;
  rert_volume mv1, mv2, mv3;
  cr_assert_eq(geom_mask_from_roi(&roi, &lin, NULL, &m1, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(geom_mask_from_roi(&cord, &lin, NULL, &m2, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(geom_mask_to_volume(&m1, &mv1, &err), RERT_OK);
  cr_assert_eq(geom_mask_to_volume(&m2, &mv2, &err), RERT_OK);
  cr_assert_eq(geom_mask_from_roi(&coch, &lin, NULL, &m3, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(geom_mask_to_volume(&m3, &mv3, &err), RERT_OK);

  accum_input *in = calloc(1, sizeof *in);
  accum_input_init(in);
  accum_course *co = &in->courses[in->ncourses++];
  snprintf(co->id, sizeof co->id, "new");
  co->dose = &phys;
  co->dose_upper = &phys; /* worst case on the same doses: equal values, computed separately */
  co->modality = MOD_PHOTON;
  co->rbe = RBE_PHYSICAL;
  co->fractions = NFX;
  co->fractions_per_day = 1;
  co->start = (rert_date){2024, 1, 1};
  co->end = (rert_date){2024, 2, 10};
  co->is_new = 1;
  const rert_roi *rois[3] = {&roi, &cord, &coch};
  const rert_volume *masks[3] = {&mv1, &mv2, &mv3};
  for (int s = 0; s < 3; s++) {
    accum_structure *st;
    cr_assert_eq(accum_input_add_structure(in, &st, &err), RERT_OK);
    snprintf(st->name, sizeof st->name, "%s", rois[s]->name);
    st->mask = masks[s];
    st->roi = rois[s];
    st->alpha_beta_gy = AB;
  }
  cJSON *js = cJSON_Parse(PROTO);
  cr_assert(js);
  rert_protocol p;
  cr_assert_eq(protocol_from_json(js, "test", &p, &err), RERT_OK, "%s", err.msg);
  cJSON_Delete(js);
  accum_evaluation ev;
  in->outside_grid_strict = 1; /* first the strict policy; the default is checked further down */
  cr_assert_eq(accumulate_evaluate(in, &p, &ev, &err), RERT_OK, "%s", err.msg);

  /* the DVH engine on the full EQD2 map (`rert dvh` on the written map) */
  rert_dvh d[3];
  cr_assert_eq(dvh_compute_rois(rois, 3, &emap, NULL, d, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(d[0].status, RERT_OK, "%s", d[0].msg);

  double V = an_volume_cc(&c), range = an_dmax(&c) - an_dmin(&c);
  double h = 5.0, capv = M_PI * h * h * (3 * 10.0 - h) / 3.0 / 1000.0; /* cc above 45 Gy */
  struct {
    const char *id, *dvh_metric;
    double truth, tol;
  } chk[] = {
      {"dmax", "Dmax", 50.0, 0.005 * range},
      {"d003", "D0.03cc", an_d_at_cc(&c, 0.03), 0.005 * range},
      {"dmean", "Dmean", 40.0, 0.005 * range},
      {"v45", "V45Gy[cc]", capv, 0.01 * capv},
      {"cv45", NULL, V - capv, 0.01 * (V - capv)},
  };
  rert_dvh_value vv;
  for (size_t i = 0; i < sizeof chk / sizeof chk[0]; i++) {
    const accum_eval_row *r = row_of(&ev, chk[i].id, "Brainstem");
    cr_assert(r->from_contours);
    cr_assert(r->complete);
    cr_assert_eq(r->verdict, VERDICT_PASS, "%s: %s", chk[i].id, r->explanation);
    cr_expect(fabs(r->value - chk[i].truth) <= chk[i].tol, "%s: %.6f vs closed form %.6f (tol %.3g)",
              chk[i].id, r->value, chk[i].truth, chk[i].tol);
    cr_assert(r->has_worst);
    cr_expect(fabs(r->worst_value - r->value) <= 1e-9, "%s worst %.9f nominal %.9f", chk[i].id,
              r->worst_value, r->value);
    double eng;
    if (chk[i].dvh_metric) {
      cr_assert_eq(dvh_metric_eval_str(&d[0], chk[i].dvh_metric, &vv, &err), RERT_OK, "%s", err.msg);
      eng = vv.value;
    } else { /* CV45 = volume − V45 (docs/accumulate.md) */
      cr_assert_eq(dvh_metric_eval_str(&d[0], "V45Gy[cc]", &vv, &err), RERT_OK, "%s", err.msg);
      eng = d[0].inside_cc - vv.value;
    }
    cr_expect(fabs(r->value - eng) <= 1e-9, "%s: evaluate %.12f vs dvh engine %.12f", chk[i].id,
              r->value, eng);
  }
  /* D0.03cc ≈ 49.0: the hottest 0.03 cc is a cap of height ≈ 1 mm under the 50 Gy pole */
  cr_assert(row_of(&ev, "d003", "Brainstem")->value < 49.5);

  /* the cord sticks out of the dose grid: never a pass; a failure on the inside part stands */
  const accum_eval_row *cp = row_of(&ev, "cord_pass", "SpinalCord");
  const accum_eval_row *cf = row_of(&ev, "cord_fail", "SpinalCord");
  cr_assert(d[1].outside_cc > 0.1, "outside %.3f cc", d[1].outside_cc);
  cr_assert_eq(cp->complete, 0);
  cr_assert_eq(cp->verdict, VERDICT_INCOMPLETE, "%s", cp->explanation);
  cr_assert_eq(cp->worst_verdict, VERDICT_INCOMPLETE);
  cr_assert_float_eq(cp->outside_pct, 100.0 * d[1].outside_cc / d[1].total_cc, 1e-6);
  cr_assert_eq(cf->verdict, VERDICT_FAIL, "%s", cf->explanation);
  cr_assert(strstr(cp->explanation, "INCOMPLETE"), "%s", cp->explanation);
  cr_assert_eq(ev.hard_failures, 1);
  cr_assert_eq(ev.hard_incomplete, 1);
  cr_assert_eq(dvh_metric_eval_str(&d[1], "Dmax", &vv, &err), RERT_OK);
  cr_expect(fabs(cp->value - vv.value) <= 1e-9, "cord Dmax %.9f vs dvh %.9f", cp->value, vv.value);

  /* default policy: the dose outside the grid counts as 0, so the inside part decides (the cord's
   * inside Dmax is below the pass limit → pass), the row still says it is incomplete */
  in->outside_grid_strict = 0;
  accum_evaluation evz;
  cr_assert_eq(accumulate_evaluate(in, &p, &evz, &err), RERT_OK, "%s", err.msg);
  const accum_eval_row *cz = row_of(&evz, "cord_pass", "SpinalCord");
  cr_assert_eq(cz->complete, 0);
  cr_assert_eq(cz->verdict, VERDICT_PASS, "%s", cz->explanation);
  cr_assert(strstr(cz->explanation, "taken as 0"), "%s", cz->explanation);
  cr_assert_eq(row_of(&evz, "cord_fail", "SpinalCord")->verdict, VERDICT_FAIL);
  cr_assert_eq(evz.hard_incomplete, 0);
  cr_assert_geq(evz.partial_rows, 2);
  accum_evaluation_free(&evz);
  in->outside_grid_strict = 1;

  /* structure smaller than 0.03 cc: Dmax of the contours, said in the explanation */
  const accum_eval_row *ck = row_of(&ev, "coch", "Cochlea_L");
  cr_assert(d[2].total_cc < 0.03, "%.4f cc", d[2].total_cc);
  cr_assert(strstr(ck->explanation, "Dmax used"), "%s", ck->explanation);
  cr_assert_eq(dvh_metric_eval_str(&d[2], "Dmax", &vv, &err), RERT_OK);
  cr_expect(fabs(ck->value - vv.value) <= 1e-9, "cochlea %.9f vs dvh Dmax %.9f", ck->value, vv.value);
  cr_expect(fabs(ck->value - 38.5) <= 0.015 * (2 * c3.radius_mm * c.grad_gy_per_mm),
            "cochlea Dmax %.4f vs closed form 38.5", ck->value);

  /* the same structures without contours fall back to mask samples (voxel-centre maximum) */
  in->structs[0].roi = in->structs[1].roi = in->structs[2].roi = NULL;
  accum_evaluation ev2;
  cr_assert_eq(accumulate_evaluate(in, &p, &ev2, &err), RERT_OK, "%s", err.msg);
  const accum_eval_row *r2 = row_of(&ev2, "dmax", "Brainstem");
  cr_assert_eq(r2->from_contours, 0);
  float mx = -1;
  for (size_t v = 0; v < volume_count(&mv1); v++)
    if (mv1.data[v] > 0 && emap.data[v] > mx) mx = emap.data[v];
  cr_assert_float_eq(r2->value, mx, 1e-4); /* hottest voxel centre of the mask */

  accum_evaluation_free(&ev);
  accum_evaluation_free(&ev2);
  dvh_free(&d[0]);
  dvh_free(&d[1]);
  dvh_free(&d[2]);
  geom_mask_free(&m3);
  volume_free(&mv3);
  an_roi_free(&coch);
  protocol_free(&p);
  accum_input_free(in);
  free(in);
  geom_mask_free(&m1);
  geom_mask_free(&m2);
  volume_free(&mv1);
  volume_free(&mv2);
  volume_free(&lin);
  volume_free(&phys);
  volume_free(&emap);
  an_roi_free(&roi);
  an_roi_free(&cord);
}
