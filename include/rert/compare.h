/* compare.h — the one comparison every clinical decision uses: a metric against a limit, an
 * interval against a cut-point, an overlap fraction against a class boundary.
 *
 * Why a tolerance: doses reach rert as float32 (RTDOSE pixel data × DoseGridScaling, dose maps
 * held in float) and pass through the LQ conversion and DVH interpolation, so a cumulative EQD2
 * that is 65 Gy by construction reads back as 65.0000027 and a limit decision "≤ 65" would
 * flip on the last bit; 72 Gy can read 71.99999455 and pass "< 72". Two numbers are therefore
 * EQUAL when they differ by at most
 *
 *     RERT_CMP_ABS_TOL + RERT_CMP_REL_TOL × max(|a|, |b|)      (1e-9 + 1e-6 × max)
 *
 * and every comparator is decided on that: "<" and ">" are strict (equal is not less),
 * "≤" and "≥" include equal. 1e-6 relative is about 17 float32 ulps — above the storage and
 * arithmetic noise, far below anything clinical (0.000065 Gy at 65 Gy; 1e-6 of an overlap
 * fraction). A value equal to a limit is decided as the source words the limit, whatever the
 * float32 rounding did. NaN is never less, equal or greater: every predicate is false.
 *
 * Used by protocol verdicts (protocol_compare), interval conditions (CARE/Ng/Heidelberg rows,
 * MIRI, Chen, recovery steps) and the recurrence-pattern boundaries (Dawson ≥ 95 %, S4 > 95 %,
 * marginal ≥ 20 %). docs/accumulate.md "Verdict arithmetic".
 */
#ifndef RERT_COMPARE_H
#define RERT_COMPARE_H

#define RERT_CMP_REL_TOL 1e-6
#define RERT_CMP_ABS_TOL 1e-9

/* -1 when a < b, 0 when a and b are equal within the tolerance, +1 when a > b, 2 when either is
 * NaN (unordered). */
int rert_cmp(double a, double b);

static inline int rert_lt(double a, double b) { return rert_cmp(a, b) == -1; }
static inline int rert_le(double a, double b) { int c = rert_cmp(a, b); return c == -1 || c == 0; }
static inline int rert_gt(double a, double b) { return rert_cmp(a, b) == 1; }
static inline int rert_ge(double a, double b) { int c = rert_cmp(a, b); return c == 1 || c == 0; }
static inline int rert_eq(double a, double b) { return rert_cmp(a, b) == 0; }

#endif
