/* test_compare.c — `rert compare` (issue 17) end to end on closed-form box patients
 * (tests/support/box_case.h): piecewise-constant doses whose regions enclose each structure, so
 * every constraint value is an LQ closed form (domain-reference §1.1: EQD2 = D(D/n + a)/(2 + a)).
 *
 *  - candidate B = candidate A with the dose scaled down inside the spinal-cord region: every
 *    row, margin, the smallest hard margin and the ranking are known (B above A on the margin);
 *  - the same with a dose-mapping uncertainty that makes the smallest margins overlap: a tie;
 *  - a proton candidate with a uniform LETd and the McNamara 2015 / Wedenberg 2013 variable RBE:
 *    the RBE-weighted dose by the model's formula written out here independently;
 *  - a carbon LEM candidate against an MKM prior converted with the Zhang 2020 factors;
 *  - LETd statistics on a linear LETd field (mean over a box = the value at its centroid);
 *  - NTCP (LKB) of a uniform organ dose, the headroom closed forms and the tumour BED10.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/box_case.h"
#include "support/run.h"

#define PRIOR_START "2019-01-07"
#define PRIOR_END "2019-02-15"

/* EQD2 of total dose D in n fractions at alpha/beta a */
static double eqd2(double D, double n, double a) { return D * (D / n + a) / (2 + a); }

static void regions(box_course *c, double ptv, double cord, double carotid, double mandible, double parotid) {
  c->nregions = 0;
  c->region[c->nregions++] = box_region_around("PTV", 9, ptv);
  c->region[c->nregions++] = box_region_around("SpinalCord", 9, cord);
  c->region[c->nregions++] = box_region_around("A_Carotid_R", 9, carotid);
  c->region[c->nregions++] = box_region_around("Bone_Mandible", 9, mandible);
  c->region[c->nregions++] = box_region_around("Parotid_L", 9, parotid);
}

static box_course prior_photon(void) {
  box_course p = {.id = "prior", .role = "prior", .modality = "photon", .technique = "IMRT", .fractions = 30,
                  .prescription_gy = 60, .start = PRIOR_START, .end = PRIOR_END, .background_gy = 5};
  regions(&p, 60, 30, 50, 40, 20);
  return p;
}

static box_course cand_photon(const char *id, double cord) {
  box_course c = {.id = id, .role = "candidate", .modality = "photon", .technique = "VMAT", .fractions = 25,
                  .prescription_gy = 50, .start = "2024-03-04", .end = "2024-04-05", .background_gy = 2};
  regions(&c, 50, cord, 30, 20, 10);
  return c;
}

/* Sided organ names: the box structure set contours one carotid and one parotid, and a bilateral
 * constraint (A_Carotid, Parotid) needs both sides or is NOT EVALUATED (docs/structures.md). */
static const char *write_protocol(const char *dir) {
  static char path[1200];
  snprintf(path, sizeof path, "%s/box_protocol.json", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("{\"schema\":\"rert-protocol/1\",\"name\":\"box_test\",\"title\":\"box test limits\",\"source\":\"test\","
        "\"verified\":true,\"constraints\":["
        "{\"id\":\"cord_dmax\",\"organ\":\"SpinalCord\",\"metric\":\"Dmax\",\"limit_gy\":50,\"comparator\":\"<=\","
        "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"none\","
        "\"source\":\"test\",\"verified\":true},"
        "{\"id\":\"carotid_dmax\",\"organ\":\"A_Carotid_R\",\"metric\":\"Dmax\",\"limit_gy\":120,\"comparator\":\"<=\","
        "\"tier\":\"mandatory\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":3,\"recovery\":\"none\","
        "\"source\":\"test\",\"verified\":true},"
        "{\"id\":\"mandible_dmax\",\"organ\":\"Bone_Mandible\",\"metric\":\"Dmax\",\"limit_gy\":110,\"comparator\":\"<=\","
        "\"tier\":\"acceptable\",\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":3,\"recovery\":\"none\","
        "\"source\":\"test\",\"verified\":true},"
        "{\"id\":\"parotid_mean\",\"organ\":\"Parotid_L\",\"metric\":\"Dmean\",\"limit_gy\":26,\"comparator\":\"<=\","
        "\"tier\":\"desirable\",\"scope\":\"new_course\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":3,\"recovery\":\"none\","
        "\"source\":\"test\",\"verified\":true}]}\n",
        f);
  fclose(f);
  return path;
}

static const cJSON *cand(const cJSON *j, const char *id) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "candidates"))
    if (!strcmp(cJSON_GetObjectItem(c, "id")->valuestring, id)) return c;
  cr_assert_fail("candidate %s not in the output", id);
  return NULL;
}

static const cJSON *row(const cJSON *c, const char *id) {
  const cJSON *ev, *r;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(c, "evaluations"))
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(ev, "constraints"))
      if (!strcmp(cJSON_GetObjectItem(r, "id")->valuestring, id)) return r;
  cr_assert_fail("row %s missing", id);
  return NULL;
}

static double num(const cJSON *o, const char *path) { return json_path_num(o, path); }

static cJSON *compare(const char *case_path, const char *extra, int expect_rc) {
  char args[2600];
  snprintf(args, sizeof args, "compare %s %s", case_path, extra ? extra : "");
  cJSON *j = NULL;
  int rc = run_rert_json(args, &j);
  cr_assert_eq(rc, expect_rc, "rert %s: exit %d, expected %d", args, rc, expect_rc);
  cr_assert_not_null(j, "rert %s: no JSON", args);
  return j;
}

static const char *make_case(const char *dir, box_course *c, int n, const char *root_extra) {
  static char path[1200];
  rert_err e;
  cr_assert_eq(box_case_write(dir, c, n, root_extra, path, sizeof path, &e), 0, "%s", e.msg);
  return path;
}

/* A: cord 20 Gy/25 -> cumulative EQD2(2) 22.5 + 14 = 36.5 (margin 27 %); B: cord 10 Gy -> 22.5 + 6
 * = 28.5 (43 %), carotid 46.667 + 25.2 = 71.867 (40.11 %) for both: B's smallest margin is the
 * carotid's, above A's cord margin -> B rank 1, A rank 2 on the margin step. */
Test(compare, scaled_down_oar_ranks_first) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior_photon(), cand_photon("A", 20), cand_photon("B", 10)};
  c[1].with_structures = 1;
  char extra[1400];
  snprintf(extra, sizeof extra, "\"protocols\":[\"%s\"]", write_protocol(dir));
  const char *cp = make_case(dir, c, 3, extra);
  cJSON *j = compare(cp, "--uncertainty-mm 0", 0);
  const cJSON *a = cand(j, "A"), *b = cand(j, "B");
  double prior_cord = eqd2(30, 30, 2), prior_car = eqd2(50, 30, 3), prior_man = eqd2(40, 30, 3);
  cr_assert_float_eq(num(row(a, "cord_dmax"), "value"), prior_cord + eqd2(20, 25, 2), 1e-4);
  cr_assert_float_eq(num(row(b, "cord_dmax"), "value"), prior_cord + eqd2(10, 25, 2), 1e-4);
  cr_assert_float_eq(num(row(a, "cord_dmax"), "margin"), 50 - 36.5, 1e-4);
  cr_assert_float_eq(num(row(a, "cord_dmax"), "margin_pct"), 27.0, 1e-4);
  cr_assert_float_eq(num(row(b, "carotid_dmax"), "value"), prior_car + eqd2(30, 25, 3), 1e-4);
  cr_assert_float_eq(num(row(a, "mandible_dmax"), "value"), prior_man + eqd2(20, 25, 3), 1e-4);
  cr_assert_float_eq(num(row(a, "parotid_mean"), "value"), eqd2(10, 25, 3), 1e-4);
  cr_assert_float_eq(num(a, "smallest_hard_margin.nominal_pct"), 27.0, 1e-4);
  double carm = 100 * (120 - prior_car - eqd2(30, 25, 3)) / 120;
  cr_assert_float_eq(num(b, "smallest_hard_margin.nominal_pct"), carm, 1e-4);
  cr_assert_str_eq(json_path_str(a, "verdict"), "PASS");
  cr_assert_str_eq(json_path_str(j, "ranking.order.0.id"), "B");
  cr_assert_eq(num(b, "rank"), 1);
  cr_assert_eq(num(a, "rank"), 2);
  cr_assert_str_eq(json_path_str(j, "ranking.pairs.0.step"), "margin");
  /* tumour: uniform 50 Gy / 25 in the GTV: BED10 = 50 (1 + 2/10) = 60, EQD2 = 50 */
  const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "tumour"), 0);
  cr_assert_str_eq(json_path_str(t, "structure"), "GTV_rec");
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(t, "recurrence")));
  for (int m = 0; m < 4; m++) {
    static const char *const k[4] = {"D98%", "D95%", "D50%", "Dmin"};
    cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "bed_gy"), k[m])->valuedouble, 60.0, 1e-4);
    cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "eqd2_gy"), k[m])->valuedouble, 50.0, 1e-4);
  }
  cr_assert_float_eq(num(a, "tumour_reference_d98_bed_gy"), 60.0, 1e-4);
  /* headroom: A's cord 22.5 + 20s(0.8s + 2)/4 = 50 -> 16s^2 + 40s - 110 = 0; B's carotid
   * 46.667 + 30s(1.2s + 3)/5 = 120 -> 7.2s^2 + 18s - 73.333 = 0 (the solver resolves 0.01 Gy) */
  double sa = (-40 + sqrt(1600 + 4 * 16 * 110)) / 32, sb = (-18 + sqrt(324 + 4 * 7.2 * (120 - prior_car))) / 14.4;
  cr_assert_float_eq(num(a, "headroom.scale"), sa, 5e-4);
  cr_assert_float_eq(num(b, "headroom.scale"), sb, 5e-4);
  cr_assert(strstr(json_path_str(a, "headroom.limiting"), "cord_dmax"));
  /* NTCP (LKB, Burman cord: TD50 66.5, m 0.175, n 0.05) of the uniform cumulative cord EQD2 at
   * the cord's alpha/beta 2 (the voxel map's): EUD = 36.5 */
  const cJSON *n;
  int seen = 0;
  cJSON_ArrayForEach(n, cJSON_GetObjectItem(a, "ntcp")) {
    if (strcmp(json_path_str(n, "structure"), "SpinalCord")) continue;
    seen = 1;
    double td50 = num(n, "td50_gy"), m = num(n, "m");
    cr_assert_float_eq(num(n, "eud_gy"), 36.5, 1e-3);
    cr_assert_float_eq(num(n, "ntcp"), 0.5 * erfc(-((36.5 - td50) / (m * td50)) / sqrt(2.0)), 1e-6);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(n, "verified")), "Burman parameters are unverified");
  }
  cr_assert(seen);
  /* risk organs: unrecovered cumulative EQD2 at alpha/beta 3 */
  const cJSON *rk = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "risk"), 0);
  cr_assert_float_eq(num(rk, "cumulative_eqd2_unrecovered_gy"), prior_car + eqd2(30, 25, 3), 1e-4);
  cr_assert_str_eq(json_path_str(rk, "structure"), "A_Carotid_R");
  cJSON_Delete(j);
}

/* A dose-mapping uncertainty of 6 mm reaches a 40 Gy prior slab beyond the cord: the worst-case
 * cord EQD2 is 40(40/30 + 2)/4 = 33.333 prior. A: [5.33 %, 27 %], B (cord 19 Gy): [7.11 %,
 * 28.78 %] overlap -> tied on the margin, equal tumour BED -> one rank, reported as a tie. */
Test(compare, near_tie_within_uncertainty) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior_photon(), cand_photon("A", 20), cand_photon("B", 19)};
  c[1].with_structures = 1;
  /* prior cord region only 3 mm round the cord, then a hot slab behind it */
  c[0].region[1] = box_region_around("SpinalCord", 3, 30);
  box_region hot = box_region_around("SpinalCord", 3, 40);
  hot.lo[1] = 51, hot.hi[1] = 60;
  c[0].region[c[0].nregions++] = hot;
  char extra[1400];
  snprintf(extra, sizeof extra, "\"protocols\":[\"%s\"]", write_protocol(dir));
  const char *cp = make_case(dir, c, 3, extra);
  cJSON *j = compare(cp, "--uncertainty-mm 6", 0);
  const cJSON *a = cand(j, "A"), *b = cand(j, "B");
  cr_assert_float_eq(num(row(a, "cord_dmax"), "value"), 36.5, 1e-4);
  cr_assert_float_eq(num(row(a, "cord_dmax"), "worst_value"), eqd2(40, 30, 2) + 14, 1e-4);
  cr_assert_float_eq(num(a, "smallest_hard_margin.worst_case_pct"), 100 * (50 - eqd2(40, 30, 2) - 14) / 50, 1e-4);
  cr_assert_float_eq(num(b, "smallest_hard_margin.nominal_pct"), 100 * (50 - 22.5 - eqd2(19, 25, 2)) / 50, 1e-4);
  cr_assert_eq(num(a, "rank"), 1);
  cr_assert_eq(num(b, "rank"), 1);
  const cJSON *pair = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ranking"), "pairs"), 0);
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(pair, "tie")));
  cr_assert_str_eq(json_path_str(j, "ranking.pairs.0.step"), "tie");
  cJSON_Delete(j);
  /* without the uncertainty the same two are ordered (B's 28.78 % above A's 27 %) */
  j = compare(cp, "--uncertainty-mm 0", 0);
  cr_assert_str_eq(json_path_str(j, "ranking.order.0.id"), "B");
  cr_assert_eq(num(cand(j, "A"), "rank"), 2);
  cJSON_Delete(j);
}

/* McNamara 2015 / Wedenberg 2013 written out independently of src/rbe/rbe_let.c:
 * RBE = (sqrt(ab^2 + 4 d ab Rmax + 4 d^2 Rmin^2) - ab) / (2d). */
static double rbe_var(int mcnamara, double d, double L, double ab) {
  double rmax = mcnamara ? 0.99064 + 0.35605 * L / ab : 1 + 0.434 * L / ab;
  double rmin = mcnamara ? 1.1012 - 0.0038703 * sqrt(ab) * L : 1;
  return (sqrt(ab * ab + 4 * d * ab * rmax + 4 * d * d * rmin * rmin) - ab) / (2 * d);
}

Test(compare, proton_variable_rbe_uniform_let) {
  const char *dir = test_tmpdir();
  char letp[1200], extra_m[1600], extra_w[1600], extra_o[1600];
  snprintf(letp, sizeof letp, "%s/let.mha", dir);
  rert_err e;
  const double g0[3] = {0, 0, 0};
  cr_assert_eq(box_write_linear_mha(letp, 3.0, g0, &e), 0, "%s", e.msg);
  snprintf(extra_m, sizeof extra_m, "\"let\":{\"path\":\"let.mha\",\"unit\":\"keV/um\"},\"variable_rbe\":{\"model\":\"mcnamara2015\",\"alpha_beta_gy\":2}");
  snprintf(extra_w, sizeof extra_w, "\"let\":{\"path\":\"let.mha\",\"unit\":\"keV/um\"},\"variable_rbe\":{\"model\":\"wedenberg2013\",\"alpha_beta_gy\":2}");
  snprintf(extra_o, sizeof extra_o, "\"let\":{\"path\":\"let.mha\",\"unit\":\"keV/um\"},\"variable_rbe\":{\"model\":\"mcnamara2015\"}");
  box_course c[5] = {prior_photon(), cand_photon("VMAT", 20), cand_photon("IMPT_MCN", 20), cand_photon("IMPT_WED", 20),
                     cand_photon("IMPT_ORG", 20)};
  c[1].with_structures = 1;
  for (int k = 2; k < 5; k++) {
    c[k].modality = "proton", c[k].rbe_model = "RBE_FIXED", c[k].technique = "IMPT";
  }
  /* the LETd map is on each proton candidate's dose grid (the shared box grid) */
  c[2].extra = extra_m, c[3].extra = extra_w, c[4].extra = extra_o;
  char extra[1400];
  snprintf(extra, sizeof extra, "\"protocols\":[\"%s\"]", write_protocol(dir));
  const char *cp = make_case(dir, c, 5, extra);
  cJSON *j = compare(cp, "--uncertainty-mm 0", 0);
  const double phys = 20 / 1.1, d = phys / 25;
  double Dm = rbe_var(1, d, 3.0, 2) * phys, Dw = rbe_var(0, d, 3.0, 2) * phys;
  cr_assert_float_eq(num(row(cand(j, "IMPT_MCN"), "cord_dmax"), "value"), 22.5 + eqd2(Dm, 25, 2), 2e-4);
  cr_assert_float_eq(num(row(cand(j, "IMPT_WED"), "cord_dmax"), "value"), 22.5 + eqd2(Dw, 25, 2), 2e-4);
  /* organ alpha/beta (the voxel map): the cord's own 2 Gy -> the same as the fixed 2 */
  cr_assert_float_eq(num(row(cand(j, "IMPT_ORG"), "cord_dmax"), "value"), 22.5 + eqd2(Dm, 25, 2), 2e-4);
  /* tumour: GTV 50 Gy(RBE 1.1) in 25 with the fixed alpha/beta 2 of the model */
  double pt = 50 / 1.1, Dt = rbe_var(1, pt / 25, 3.0, 2) * pt;
  cr_assert_float_eq(num(cand(j, "IMPT_MCN"), "tumour_reference_d98_bed_gy"), Dt * (1 + Dt / 25 / 10), 2e-4);
  cr_assert_str_eq(json_path_str(cand(j, "IMPT_MCN"), "let.variable_rbe.model"), "mcnamara2015");
  cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cand(j, "IMPT_MCN"), "let"), "variable_rbe"), "verified")));
  /* LETd statistics of a uniform 3 keV/um field: mean and dose-weighted mean 3 everywhere */
  const cJSON *s;
  int n = 0;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(cand(j, "IMPT_MCN"), "let"), "structures")) {
    cr_assert_float_eq(num(s, "mean_kev_um"), 3.0, 1e-5, "%s", json_path_str(s, "structure"));
    cr_assert_float_eq(num(s, "dose_weighted_kev_um"), 3.0, 1e-5, "%s", json_path_str(s, "structure"));
    n++;
  }
  cr_assert_geq(n, 6);
  /* fixed RBE: the photon-equivalent dose as planned; VMAT and the RBE-1.1 dose have the same cord row */
  cr_assert_float_eq(num(row(cand(j, "VMAT"), "cord_dmax"), "value"), 36.5, 1e-4);
  cJSON_Delete(j);
}

/* LETd L = 5 + 0.02 x + 0.01 y (keV/um, mm): its trilinear interpolant is the field itself, so
 * the mean over a box is the value at the box centre; in a uniform-dose region the dose-weighted
 * mean equals it. Integral dose of a uniform candidate: dose x the body volume. */
Test(compare, let_statistics_linear_field_and_integral_dose) {
  const char *dir = test_tmpdir();
  char letp[1200], extra_l[600];
  snprintf(letp, sizeof letp, "%s/let.mha", dir);
  rert_err e;
  const double g[3] = {0.02, 0.01, 0};
  cr_assert_eq(box_write_linear_mha(letp, 5.0, g, &e), 0, "%s", e.msg);
  snprintf(extra_l, sizeof extra_l, "\"let\":{\"path\":\"let.mha\",\"unit\":\"keV/um\"}");
  char extra_v[600];
  snprintf(extra_v, sizeof extra_v, "%s,\"variable_rbe\":{\"model\":\"mcnamara2015\"}", extra_l);
  box_course c[4] = {prior_photon(), cand_photon("P", 20), cand_photon("U", 20), cand_photon("V", 20)};
  c[1].modality = "proton", c[1].rbe_model = "RBE_FIXED", c[1].extra = extra_l, c[1].with_structures = 1;
  c[2].nregions = 0, c[2].background_gy = 4.0, c[2].prescription_gy = 4.0; /* uniform 4 Gy */
  /* V: P with the McNamara RBE — its RBE-weighted dose rises with the LETd inside each region, but
   * the LETd is averaged with the physical dose, uniform there: the same statistics as P */
  c[3].modality = "proton", c[3].rbe_model = "RBE_FIXED", c[3].extra = extra_v;
  char extra[1400];
  snprintf(extra, sizeof extra, "\"protocols\":[\"%s\"]", write_protocol(dir));
  const char *cp = make_case(dir, c, 4, extra);
  cJSON *j = compare(cp, "--uncertainty-mm 0", 0);
  for (int k = 0; k < 2; k++) {
    const cJSON *s;
    int seen = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(cand(j, k ? "V" : "P"), "let"), "structures")) {
      const char *nm = json_path_str(s, "structure");
      const box_roi *b = box_roi_find(nm);
      cr_assert_not_null(b, "%s", nm);
      /* the represented solid's centre: x, y of the box; z of the contour planes (symmetric here) */
      double cx = 0.5 * (b->lo[0] + b->hi[0]), cy = 0.5 * (b->lo[1] + b->hi[1]);
      cr_assert_float_eq(num(s, "mean_kev_um"), 5 + 0.02 * cx + 0.01 * cy, 2e-4, "%s", nm);
      if (strcmp(nm, "External"))
        cr_assert_float_eq(num(s, "dose_weighted_kev_um"), 5 + 0.02 * cx + 0.01 * cy, 2e-4, "%s %s", k ? "V" : "P", nm);
      seen++;
    }
    cr_assert_geq(seen, 6);
  }
  /* integral dose of U: 4 Gy over the External box (168 x 168 mm, 36 contour planes of 3 mm) */
  double body_l = 168.0 * 168.0 * 36 * 3.0 / 1e6;
  cr_assert_float_eq(num(cand(j, "U"), "integral_dose.rbe_weighted_gy_l"), 4.0 * body_l, 1e-3);
  cr_assert_float_eq(num(cand(j, "U"), "integral_dose.mean_body_dose_gy"), 4.0, 1e-4);
  /* the proton candidate's physical integral is its RBE-1.1 integral / 1.1 */
  cr_assert_float_eq(num(cand(j, "P"), "integral_dose.physical_gy_l"),
                     num(cand(j, "P"), "integral_dose.rbe_weighted_gy_l") / 1.1, 1e-9);
  cJSON_Delete(j);
}

/* Carbon LEM candidate (60 Gy(RBE)/20: cord 20 -> 1.0 Gy/fx LEM) with an MKM prior (cord
 * 20 Gy/16): converted to MKM by Zhang 2020's factor CF(1.0) = 3.09 + 0.76 (1.46 - 3.09)/2.46,
 * d_MKM = 1/CF; cumulative cord EQD2(2) = 16.25 + EQD2(20/CF, 20). */
Test(compare, carbon_lem_candidate_converted_to_mkm) {
  const char *dir = test_tmpdir();
  box_course c[3] = {prior_photon(), cand_photon("VMAT", 20), cand_photon("CIRT", 20)};
  c[0].modality = "carbon", c[0].rbe_model = "MKM", c[0].technique = "CIRT", c[0].fractions = 16,
  c[0].prescription_gy = 20; /* its dose maximum: the DICOM gate checks dose against prescription */
  c[0].nregions = 0, c[0].background_gy = 0;
  c[0].region[c[0].nregions++] = box_region_around("SpinalCord", 9, 20);
  c[1].with_structures = 1;
  c[2].modality = "carbon", c[2].rbe_model = "LEM_I", c[2].technique = "CIRT", c[2].fractions = 20, c[2].prescription_gy = 60;
  regions(&c[2], 60, 20, 30, 20, 10);
  c[2].extra = "\"x_rbe_convert_to\":\"MKM\"";
  char extra[1400];
  snprintf(extra, sizeof extra, "\"protocols\":[\"%s\"]", write_protocol(dir));
  const char *cp = make_case(dir, c, 3, extra);
  cJSON *j = compare(cp, "--uncertainty-mm 0", 0);
  double cf = 3.09 + (1.0 - 0.24) * (1.46 - 3.09) / (2.70 - 0.24);
  cr_assert_float_eq(num(row(cand(j, "CIRT"), "cord_dmax"), "value"), eqd2(20, 16, 2) + eqd2(20 / cf, 20, 2), 2e-3);
  /* GTV 3.0 Gy(RBE)/fx LEM -> CF 1.37: BED10 of the MKM dose */
  double Dg = 60 / 1.37;
  cr_assert_float_eq(num(cand(j, "CIRT"), "tumour_reference_d98_bed_gy"), Dg * (1 + Dg / 20 / 10), 2e-3);
  cr_assert(strstr(json_path_str(cand(j, "CIRT"), "rbe"), "Zhang"));
  cJSON_Delete(j);
}
