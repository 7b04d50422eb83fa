/* phase2.h — exact binomial phase II designs: single-stage (A'Hern) and Simon two-stage.
 *
 * Implements domain-reference §9.3 (single stage) and §9.4 (Simon 1989). Conventions:
 *  - single stage: reject H0 (declare the treatment promising) if X >= r responses of n
 *    (A'Hern's "r or more"); alpha = P(X >= r | p0), power = P(X >= r | p1).
 *  - Simon two stage: stop for futility if X1 <= r1 of n1; otherwise treat n - n1 more and
 *    reject H0 if X1 + X2 > r (Simon's "more than r"). r1 = -1 means no futility stop.
 * Searches accept a design when alpha <= alpha_max and power >= 1 - beta_max.
 * The Simon search mirrors clinfun::ph2simon: for every N the design with the smallest EN(p0)
 * (first found in n1 ascending, r1 descending, r descending order, i.e. the largest feasible r);
 * minimax = smallest N (ties: smallest EN0), optimal = smallest EN0 (ties: smallest N).
 * Like clinfun, the search returns only designs with a futility stop (r1 >= 0) and r <= n2 + r1.
 */
#ifndef RERT_PHASE2_H
#define RERT_PHASE2_H

#include "rert/err.h"

typedef struct {
  int n, r;           /* reject H0 if X >= r */
  double alpha, power;
} rert_single_design;

typedef struct {
  int r1, n1, r, n;   /* stop if X1 <= r1; reject H0 if X1 + X2 > r */
  double alpha, power;
  double pet0, en0;   /* probability of early termination and expected N under p0 */
  double pet1, en1;   /* same under p1 */
} rert_simon_design;

/* Binomial helpers (exact, stable for n <= 10000). */
double phase2_binom_pmf(int k, int n, double p);
double phase2_binom_upper(int k, int n, double p); /* P(X >= k) */

int phase2_single_eval(int n, int r, double p0, double p1, rert_single_design *out, rert_err *err);
/* Smallest n (then the smallest r meeting both) with alpha <= alpha_max, power >= 1-beta_max. */
int phase2_single_search(double p0, double p1, double alpha_max, double beta_max, int nmax,
                         rert_single_design *out, rert_err *err);

int phase2_simon_eval(int r1, int n1, int r, int n, double p0, double p1, rert_simon_design *out,
                      rert_err *err);
/* Either output may be NULL. RERT_EVERDICT when no design with N <= nmax exists. */
int phase2_simon_search(double p0, double p1, double alpha_max, double beta_max, int nmax,
                        rert_simon_design *optimal, rert_simon_design *minimax, rert_err *err);

#endif
