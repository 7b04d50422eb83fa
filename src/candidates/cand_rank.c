/* cand_rank.c — ranking candidates by the documented rule (CAND_RANK_RULE_TEXT, docs/compare.md):
 * feasibility first, then the largest smallest hard margin, then tumour BED; a step that cannot
 * separate two candidates — their smallest-margin ranges [worst case, nominal] overlap within the
 * dose-mapping uncertainty, or their numbers agree within the comparison tolerance — passes to
 * the next, and candidates no step separates share a rank. The relation "separated by the rule"
 * need not be transitive when near-ties chain (A ~ B ~ C but A > C): neighbours in the order are
 * then reported as ties, never an ordering the data cannot support. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cand_internal.h"

/* equal within 1e-9 + 1e-6 relative: the verdict comparison tolerance of rert (rounding noise) */
static double tol(double a, double b) {
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return 1e-9 + 1e-6 * m;
}

static int group(const cand_result *r) {
  return !strcmp(r->verdict, "PASS") ? 0 : !strcmp(r->verdict, "INCOMPLETE") ? 1 : 2;
}

/* < 0: a ranks above b; > 0: b above a; 0: tie. *step names the deciding step. */
static int compare(const cand_result *a, const cand_result *b, const char **step) {
  int ga = group(a), gb = group(b);
  if (ga != gb) {
    *step = "feasibility";
    return ga - gb;
  }
  double ha = a->min_margin_pct, hb = b->min_margin_pct;
  double la = a->min_margin_worst_pct, lb = b->min_margin_worst_pct;
  if (isfinite(ha) && isfinite(hb)) {
    if (isnan(la)) la = ha;
    if (isnan(lb)) lb = hb;
    /* overlapping ranges: not separable within the dose-mapping uncertainty */
    int overlap = la <= hb + tol(la, hb) && lb <= ha + tol(lb, ha);
    if (!overlap) {
      *step = "margin";
      return ha > hb ? -1 : 1;
    }
  }
  double ba = a->tumour_bed_gy, bb = b->tumour_bed_gy;
  if (isfinite(ba) && isfinite(bb) && fabs(ba - bb) > tol(ba, bb)) {
    *step = "tumour BED";
    return ba > bb ? -1 : 1;
  }
  *step = "tie";
  return 0;
}

static void describe(const cand_comparison *cmp, const cand_result *a, const cand_result *b, int c,
                     const char *step, char *buf, size_t n) {
  char ma[160], mb[160];
  snprintf(ma, sizeof ma, "%.2f %% (worst case %.2f %%)", a->min_margin_pct,
           isnan(a->min_margin_worst_pct) ? a->min_margin_pct : a->min_margin_worst_pct);
  snprintf(mb, sizeof mb, "%.2f %% (worst case %.2f %%)", b->min_margin_pct,
           isnan(b->min_margin_worst_pct) ? b->min_margin_pct : b->min_margin_worst_pct);
  const char *tgt = a->tumour_ref >= 0 ? a->targets[a->tumour_ref].structure : "no target";
  if (!strcmp(step, "feasibility"))
    snprintf(buf, n, "%s ranks above %s on feasibility: %s is %s (%d hard failure(s), %d hard row(s) not evaluated), %s is %s (%d, %d)",
             a->id, b->id, a->id, a->verdict, a->hard_failures, a->hard_not_evaluated, b->id, b->verdict,
             b->hard_failures, b->hard_not_evaluated);
  else if (!strcmp(step, "margin"))
    snprintf(buf, n, "%s ranks above %s on the smallest hard margin: %s vs %s, apart beyond the dose-mapping uncertainty",
             a->id, b->id, ma, mb);
  else if (!strcmp(step, "tumour BED"))
    snprintf(buf, n, "%s ranks above %s on tumour BED: smallest hard margins %s and %s overlap within the dose-mapping "
             "uncertainty (a near-tie); D98 BED%.3g of %s %.2f vs %.2f Gy",
             a->id, b->id, ma, mb, cmp->targets.tumour_alpha_beta_gy, tgt, a->tumour_bed_gy, b->tumour_bed_gy);
  else
    snprintf(buf, n, "%s and %s tie: same feasibility (%s), smallest hard margins %s and %s overlap within the "
             "dose-mapping uncertainty, tumour D98 BED %.2f and %.2f Gy equal or not available",
             a->id, b->id, a->verdict, ma, mb, a->tumour_bed_gy, b->tumour_bed_gy);
  (void)c;
}

int cand_rank(cand_comparison *cmp, rert_err *err) {
  const int n = cmp->n;
  cmp->order = calloc((size_t)(n > 0 ? n : 1), sizeof *cmp->order);
  cmp->pairs = calloc((size_t)(n > 1 ? n - 1 : 1), sizeof *cmp->pairs);
  if (!cmp->order || !cmp->pairs) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < n; i++) cmp->order[i] = i;
  /* start from (feasibility, nominal smallest margin, tumour BED, case order), then settle
   * neighbours by the rule's own comparison (bounded: the rule may not be transitive) */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0; j--) {
      const cand_result *a = &cmp->c[cmp->order[j - 1]], *b = &cmp->c[cmp->order[j]];
      int ga = group(a), gb = group(b);
      double ma = isnan(a->min_margin_pct) ? -INFINITY : a->min_margin_pct;
      double mb = isnan(b->min_margin_pct) ? -INFINITY : b->min_margin_pct;
      int swap = gb < ga || (gb == ga && mb > ma);
      if (!swap) break;
      int t = cmp->order[j];
      cmp->order[j] = cmp->order[j - 1];
      cmp->order[j - 1] = t;
    }
  for (int pass = 0; pass < n * n; pass++) {
    int swapped = 0;
    for (int j = 0; j + 1 < n; j++) {
      const char *step;
      if (compare(&cmp->c[cmp->order[j]], &cmp->c[cmp->order[j + 1]], &step) > 0) {
        int t = cmp->order[j];
        cmp->order[j] = cmp->order[j + 1];
        cmp->order[j + 1] = t;
        swapped = 1;
      }
    }
    if (!swapped) break;
  }
  /* competition ranks: a tie with the neighbour above keeps its rank */
  cmp->npairs = 0;
  for (int j = 0; j < n; j++) {
    cand_result *r = &cmp->c[cmp->order[j]];
    if (j == 0) {
      r->rank = 1;
      continue;
    }
    const cand_result *a = &cmp->c[cmp->order[j - 1]];
    const char *step;
    int c = compare(a, r, &step);
    r->rank = c == 0 ? a->rank : j + 1;
    cand_pair *p = &cmp->pairs[cmp->npairs++];
    snprintf(p->a, sizeof p->a, "%s", a->id);
    snprintf(p->b, sizeof p->b, "%s", r->id);
    p->tied = c == 0;
    snprintf(p->step, sizeof p->step, "%s", step);
    describe(cmp, a, r, c, step, p->text, sizeof p->text);
  }
  for (int j = 0; j < n; j++) {
    cand_result *r = &cmp->c[cmp->order[j]];
    int ties = 0;
    for (int k = 0; k < n; k++) ties += k != cmp->order[j] && cmp->c[k].rank == r->rank;
    snprintf(r->rank_note, sizeof r->rank_note, "rank %d of %d%s", r->rank, n,
             ties ? " (tied)" : "");
  }
  const cand_result *t0 = n > 0 ? &cmp->c[cmp->order[0]] : NULL;
  snprintf(cmp->tumour_ref_text, sizeof cmp->tumour_ref_text, "D98 BED%.3g of %s",
           cmp->targets.tumour_alpha_beta_gy,
           t0 && t0->tumour_ref >= 0 ? t0->targets[t0->tumour_ref].structure : "(no target structure)");
  return RERT_OK;
}
