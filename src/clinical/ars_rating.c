/* ars_rating.c — UCLA/RAND appropriateness rating of one panel histogram (domain-reference §8.1).
 *
 * Median of the 1–9 ratings → category (7–9 A, 4–6 M, 1–3 U; half-point medians 3.5 and 6.5
 * fall in M because they are not inside the A or U tier). Disagreement rules:
 *  - outside_tier (default): ratings outside the 3-point tier that holds the median exceed the
 *    RAND agreement threshold for the panel size. This is the rule that reproduces the X flags
 *    printed by the ARS panel (S2) — an inference documented in §8.1, S2 does not state it.
 *  - both_extremes: classic RAND, ≥ k ratings in 1–3 and ≥ k in 7–9.
 *  - ipras: IPR = P70 − P30 > IPRAS = a + b·|5 − (P30 + P70)/2| (RAND manual).
 * A disagreeing row becomes M* with the reported median set to 5 (S2 footnote). Thresholds per
 * panel size and the IPRAS constants come from data/ars_2022.json.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/data.h"

int ars_rule_parse(const char *s, ars_rule *r, rert_err *err) {
  if (!strcmp(s, "outside_tier")) *r = ARS_RULE_OUTSIDE_TIER;
  else if (!strcmp(s, "both_extremes")) *r = ARS_RULE_BOTH_EXTREMES;
  else if (!strcmp(s, "ipras")) *r = ARS_RULE_IPRAS;
  else
    return rert_err_set(err, RERT_EINPUT,
                        "--disagreement: '%s' is not one of outside_tier | both_extremes | ipras", s);
  return RERT_OK;
}

const char *ars_rule_name(ars_rule r) {
  return r == ARS_RULE_BOTH_EXTREMES ? "both_extremes" : r == ARS_RULE_IPRAS ? "ipras" : "outside_tier";
}

const char *ars_category_label(const ars_rating *r) {
  if (r->disagreement) return "M*";
  return r->category == ARS_A ? "A" : r->category == ARS_U ? "U" : "M";
}

/* k-th smallest rating (0-based) of the histogram */
static int kth(const int c[9], int k) {
  int acc = 0;
  for (int i = 0; i < 9; i++) {
    acc += c[i];
    if (k < acc) return i + 1;
  }
  return 9;
}

/* percentile, linear interpolation between order statistics (R type 7) */
static double pct(const int c[9], int n, double p) {
  double h = (n - 1) * p;
  int lo = (int)floor(h);
  double frac = h - lo;
  double a = kth(c, lo), b = lo + 1 < n ? kth(c, lo + 1) : a;
  return a + frac * (b - a);
}

typedef struct {
  int agree_max_outside, each_extreme, extrapolated;
  double ipras_a, ipras_b, disagreement_median;
} rand_params;

static int load_params(int n, rand_params *p, rert_err *err) {
  cJSON *doc;
  int rc = data_load_json("ars_2022.json", &doc, err);
  if (rc) return rc;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "rand_thresholds");
  const cJSON *rows = t ? cJSON_GetObjectItemCaseSensitive(t, "rows") : NULL;
  const cJSON *ip = t ? cJSON_GetObjectItemCaseSensitive(t, "ipras") : NULL;
  if (!cJSON_IsArray(rows) || !ip) {
    cJSON_Delete(doc);
    return rert_err_set(err, RERT_EINTERNAL, "ars_2022.json: rand_thresholds.rows/ipras missing");
  }
  const cJSON *rm = cJSON_GetObjectItemCaseSensitive(doc, "rating_method");
  rc = json_get_number(rm, "disagreement_reported_median", &p->disagreement_median,
                       "ars_2022.json: rating_method", err);
  if (!rc) rc = json_get_number(ip, "a", &p->ipras_a, "ars_2022.json: rand_thresholds.ipras", err);
  if (!rc) rc = json_get_number(ip, "b", &p->ipras_b, "ars_2022.json: rand_thresholds.ipras", err);
  p->extrapolated = 1;
  /* pattern of the RAND table (8–10: 2, 11–13: 3, 14–16: 4) used outside its rows */
  p->agree_max_outside = n >= 2 ? (n - 2) / 3 : 0;
  p->each_extreme = p->agree_max_outside + 1;
  const cJSON *r;
  cJSON_ArrayForEach(r, rows) {
    double lo, hi, a, e;
    if (rc) break;
    rc = json_get_number(r, "n_min", &lo, "ars_2022.json: rand_thresholds.rows", err);
    if (!rc) rc = json_get_number(r, "n_max", &hi, "ars_2022.json: rand_thresholds.rows", err);
    if (!rc) rc = json_get_number(r, "agreement_max_outside", &a, "ars_2022.json: rand_thresholds.rows", err);
    if (!rc) rc = json_get_number(r, "disagreement_each_extreme", &e, "ars_2022.json: rand_thresholds.rows", err);
    if (!rc && n >= lo && n <= hi) {
      p->agree_max_outside = (int)a;
      p->each_extreme = (int)e;
      p->extrapolated = 0;
    }
  }
  cJSON_Delete(doc);
  return rc;
}

int ars_rate(const int counts[9], ars_rule rule, ars_rating *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  int n = 0;
  for (int i = 0; i < 9; i++) {
    if (counts[i] < 0)
      return rert_err_set(err, RERT_EINPUT, "rating histogram: count for rating %d is negative", i + 1);
    n += counts[i];
  }
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "rating histogram: no ratings");
  rand_params p;
  int rc = load_params(n, &p, err);
  if (rc) return rc;
  out->n = n;
  out->median = (n % 2) ? kth(counts, n / 2) : 0.5 * (kth(counts, n / 2 - 1) + kth(counts, n / 2));
  out->median_tier = out->median >= 7 ? 3 : out->median <= 3 ? 1 : 2;
  int tier_lo = 3 * (out->median_tier - 1) + 1;
  for (int i = 0; i < 9; i++) {
    int rating = i + 1;
    if (rating < tier_lo || rating > tier_lo + 2) out->outside_tier += counts[i];
    if (rating <= 3) out->low += counts[i];
    if (rating >= 7) out->high += counts[i];
  }
  out->p30 = pct(counts, n, 0.30);
  out->p70 = pct(counts, n, 0.70);
  out->ipr = out->p70 - out->p30;
  out->ipras = p.ipras_a + p.ipras_b * fabs(5.0 - 0.5 * (out->p30 + out->p70));
  out->threshold_extrapolated = p.extrapolated;
  switch (rule) {
  case ARS_RULE_OUTSIDE_TIER:
    out->threshold = p.agree_max_outside;
    out->disagreement = out->outside_tier > p.agree_max_outside;
    break;
  case ARS_RULE_BOTH_EXTREMES:
    out->threshold = p.each_extreme;
    out->disagreement = out->low >= p.each_extreme && out->high >= p.each_extreme;
    break;
  case ARS_RULE_IPRAS:
    out->threshold = 0;
    out->threshold_extrapolated = 0;
    out->disagreement = out->ipr > out->ipras;
    break;
  }
  out->category = out->median_tier == 3 ? ARS_A : out->median_tier == 1 ? ARS_U : ARS_M;
  if (out->disagreement) {
    out->category = ARS_M;
    out->reported_median = p.disagreement_median; /* S2 footnote: set to 5 on disagreement */
  } else {
    out->reported_median = out->median;
  }
  return RERT_OK;
}
