/* test_phase2.c — exact single-stage (A'Hern) and Simon two-stage designs.
 *
 * Sources: domain-reference §10.9 and §10.10 (exact binomial sums, computed independently);
 * Simon R, Control Clin Trials 1989;10:1–10, Table 1 (published optimal/minimax designs, EN0 and
 * PET0 to the printed 1–2 decimals), which clinfun::ph2simon reproduces.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "rert/phase2.h"

#define NEAR(a, b, tol) cr_assert(fabs((a) - (b)) <= (tol), "%s = %.10g, expected %.10g", #a, (double)(a), (double)(b))

Test(single, s3_23_of_37_fails_alpha) {
  rert_single_design d;
  rert_err err;
  cr_assert_eq(phase2_single_eval(37, 23, 0.5, 0.7, &d, &err), 0);
  NEAR(d.alpha, 0.093871, 1e-6); /* §10.9 */
  NEAR(d.power, 0.887040, 1e-6);
  cr_assert_eq(phase2_single_eval(37, 24, 0.5, 0.7, &d, &err), 0);
  NEAR(d.alpha, 0.049436, 1e-6);
  NEAR(d.power, 0.807096, 1e-6);
  cr_assert_eq(phase2_single_eval(37, 22, 0.5, 0.7, &d, &err), 0);
  NEAR(d.alpha, 0.162004, 1e-6);
  cr_assert_eq(phase2_single_eval(36, 24, 0.5, 0.7, &d, &err), 0);
  NEAR(d.alpha, 0.0326, 1e-4);
  NEAR(d.power, 0.7365, 1e-4);
  cr_assert_eq(phase2_single_eval(40, 26, 0.5, 0.7, &d, &err), 0);
  NEAR(d.alpha, 0.0403, 1e-4);
  NEAR(d.power, 0.8074, 1e-4);
}

Test(single, search_finds_37_24) {
  rert_single_design d;
  rert_err err;
  cr_assert_eq(phase2_single_search(0.5, 0.7, 0.05, 0.2, 200, &d, &err), 0);
  cr_assert_eq(d.n, 37); /* §10.9 */
  cr_assert_eq(d.r, 24);
}

Test(single, binomial_hand_values) {
  /* hand: P(X >= 1 | 3, 0.5) = 7/8; pmf(2; 4, 0.3) = 6*0.09*0.49 = 0.2646 */
  NEAR(phase2_binom_upper(1, 3, 0.5), 0.875, 1e-15);
  NEAR(phase2_binom_pmf(2, 4, 0.3), 0.2646, 1e-14);
}

Test(simon, reference_10_10) {
  rert_simon_design opt, mm;
  rert_err err;
  cr_assert_eq(phase2_simon_search(0.5, 0.7, 0.05, 0.2, 100, &opt, &mm, &err), 0, "%s", err.msg);
  cr_assert_eq(opt.r1, 8);
  cr_assert_eq(opt.n1, 15);
  cr_assert_eq(opt.r, 26);
  cr_assert_eq(opt.n, 43);
  NEAR(opt.alpha, 0.049933, 1e-6);
  NEAR(opt.power, 0.804434, 1e-6);
  NEAR(opt.pet0, 0.696381, 1e-6);
  NEAR(opt.en0, 23.501343, 1e-6);
  cr_assert_eq(mm.r1, 12);
  cr_assert_eq(mm.n1, 23);
  cr_assert_eq(mm.r, 23);
  cr_assert_eq(mm.n, 37);
  NEAR(mm.alpha, 0.048237, 1e-6);
  NEAR(mm.power, 0.801054, 1e-6);
  NEAR(mm.pet0, 0.661180, 1e-6);
  NEAR(mm.en0, 27.743476, 1e-6);
}

Test(simon, simon_1989_table) {
  rert_simon_design opt, mm;
  rert_err err;
  /* p0 = 0.1, p1 = 0.3, alpha 0.05, beta 0.2: optimal 1/10, 5/29, EN0 15.0, PET 0.74;
   * minimax 1/15, 5/25, EN0 19.5, PET 0.55 */
  cr_assert_eq(phase2_simon_search(0.1, 0.3, 0.05, 0.2, 100, &opt, &mm, &err), 0);
  cr_assert(opt.r1 == 1 && opt.n1 == 10 && opt.r == 5 && opt.n == 29);
  NEAR(opt.en0, 15.0, 0.05);
  NEAR(opt.pet0, 0.74, 0.005);
  cr_assert(mm.r1 == 1 && mm.n1 == 15 && mm.r == 5 && mm.n == 25);
  NEAR(mm.en0, 19.5, 0.05);
  NEAR(mm.pet0, 0.55, 0.005);
  /* p0 = 0.2, p1 = 0.4, alpha 0.05, beta 0.2: optimal 3/13, 12/43 (EN0 20.6, PET 0.75);
   * minimax 4/18, 10/33 (EN0 22.3, PET 0.72) */
  cr_assert_eq(phase2_simon_search(0.2, 0.4, 0.05, 0.2, 100, &opt, &mm, &err), 0);
  cr_assert(opt.r1 == 3 && opt.n1 == 13 && opt.r == 12 && opt.n == 43, "%d/%d %d/%d", opt.r1,
            opt.n1, opt.r, opt.n);
  NEAR(opt.en0, 20.6, 0.05);
  cr_assert(mm.r1 == 4 && mm.n1 == 18 && mm.r == 10 && mm.n == 33, "%d/%d %d/%d", mm.r1, mm.n1,
            mm.r, mm.n);
  NEAR(mm.en0, 22.3, 0.05);
  /* p0 = 0.05, p1 = 0.25, alpha 0.05, beta 0.2: optimal 0/9, 2/17 (EN0 12.0); minimax 0/12, 2/16 */
  cr_assert_eq(phase2_simon_search(0.05, 0.25, 0.05, 0.2, 100, &opt, &mm, &err), 0);
  cr_assert(opt.r1 == 0 && opt.n1 == 9 && opt.r == 2 && opt.n == 17);
  NEAR(opt.en0, 12.0, 0.05);
  cr_assert(mm.r1 == 0 && mm.n1 == 12 && mm.r == 2 && mm.n == 16);
}

Test(simon, simon_1989_table_more) {
  /* Simon 1989 Table 1: {p0, p1, alpha, beta, opt r1, n1, r, n, EN0, minimax r1, n1, r, n, EN0} */
  const double t[][14] = {
      {0.3, 0.5, 0.05, 0.2, 5, 15, 18, 46, 23.6, 6, 19, 16, 39, 25.7},
      {0.2, 0.4, 0.10, 0.1, 3, 17, 10, 37, 26.0, 3, 19, 10, 36, 28.3},
      {0.05, 0.25, 0.10, 0.1, 0, 9, 2, 24, 14.5, 0, 13, 2, 20, 16.4},
      {0.4, 0.6, 0.05, 0.2, 7, 16, 23, 46, 24.5, 17, 34, 20, 39, 34.4},
      {0.1, 0.3, 0.10, 0.1, 1, 12, 5, 35, 19.8, 1, 16, 4, 25, 20.4},
  };
  for (int i = 0; i < 5; i++) {
    rert_simon_design o, m;
    rert_err err;
    cr_assert_eq(phase2_simon_search(t[i][0], t[i][1], t[i][2], t[i][3], 100, &o, &m, &err), 0);
    cr_assert(o.r1 == t[i][4] && o.n1 == t[i][5] && o.r == t[i][6] && o.n == t[i][7],
              "row %d optimal %d/%d %d/%d", i, o.r1, o.n1, o.r, o.n);
    NEAR(o.en0, t[i][8], 0.05);
    cr_assert(m.r1 == t[i][9] && m.n1 == t[i][10] && m.r == t[i][11] && m.n == t[i][12],
              "row %d minimax %d/%d %d/%d", i, m.r1, m.n1, m.r, m.n);
    NEAR(m.en0, t[i][13], 0.05);
  }
}

Test(simon, eval_and_bad_input) {
  rert_simon_design d;
  rert_err err;
  cr_assert_eq(phase2_simon_eval(12, 23, 23, 37, 0.5, 0.7, &d, &err), 0);
  NEAR(d.alpha, 0.048237, 1e-6); /* §10.10 minimax */
  cr_assert_eq(phase2_simon_eval(5, 4, 10, 20, 0.5, 0.7, &d, &err), RERT_EINPUT);
  cr_assert_eq(phase2_simon_search(0.7, 0.5, 0.05, 0.2, 100, NULL, NULL, &err), RERT_EINPUT);
  cr_assert_eq(phase2_simon_search(0.5, 0.52, 0.05, 0.2, 30, NULL, NULL, &err), RERT_EVERDICT);
}
