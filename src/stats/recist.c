/* recist.c — RECIST 1.1 / S3-legacy response classification (see recist.h; §9.6, §10.12). */
#include "rert/recist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"

/* tolerance for comparisons of sums in mm (measurements are recorded to 0.1 mm at best) */
#define MM_TOL 1e-9

const char *recist_response_name(rert_recist_response r) {
  static const char *n[] = {"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "none"};
  return (r >= 0 && r <= RECIST_NONE) ? n[r] : "?";
}

int recist_criteria_load(const char *rule, rert_recist_criteria *c, rert_err *err) {
  memset(c, 0, sizeof *c);
  cJSON *root = NULL;
  int rc = data_load_json("recist.json", &root, err);
  if (rc) return rc;
  const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
  const cJSON *r = rules ? cJSON_GetObjectItemCaseSensitive(rules, rule) : NULL;
  if (!r) {
    cJSON_Delete(root);
    return rert_err_set(err, RERT_EINPUT, "recist.json: no rule set '%s' (recist1.1, s3-legacy)",
                        rule);
  }
  const char *keys[] = {"pr_decrease_fraction", "pd_increase_fraction", "pd_absolute_increase_mm",
                        "node_normal_short_axis_mm", "nodes_count_for_cr"};
  double v[5];
  for (int i = 0; i < 5; i++) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, keys[i]);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "recist.json: %s.%s", rule, keys[i]);
    if (!e) {
      cJSON_Delete(root);
      return rert_err_set(err, RERT_EINPUT, "%s is missing", ctx);
    }
    if ((rc = json_get_number(e, "value", &v[i], ctx, err))) {
      cJSON_Delete(root);
      return rc;
    }
  }
  snprintf(c->name, sizeof c->name, "%s", rule);
  c->pr_decrease_fraction = v[0];
  c->pd_increase_fraction = v[1];
  c->pd_absolute_increase_mm = v[2];
  c->node_normal_short_axis_mm = v[3];
  c->nodes_count_for_cr = v[4] != 0;
  cJSON_Delete(root);
  return RERT_OK;
}

static int is_pd(const rert_recist_criteria *c, double nadir, double cur) {
  return cur - nadir >= c->pd_increase_fraction * nadir - MM_TOL &&
         cur - nadir >= c->pd_absolute_increase_mm - MM_TOL && cur - nadir > MM_TOL;
}

rert_recist_response recist_target_response(const rert_recist_criteria *c, double baseline_mm,
                                            double nadir_mm, double current_mm, int all_gone) {
  if (isnan(current_mm)) return RECIST_NE;
  if (is_pd(c, nadir_mm, current_mm)) return RECIST_PD;
  if (all_gone) return RECIST_CR;
  if (baseline_mm - current_mm >= c->pr_decrease_fraction * baseline_mm - MM_TOL) return RECIST_PR;
  return RECIST_SD;
}

static rert_recist_response nt_response(rert_recist_nt nt) {
  switch (nt) {
  case RECIST_NT_NONE: return RECIST_NONE;
  case RECIST_NT_ABSENT: return RECIST_CR;
  case RECIST_NT_PRESENT: return RECIST_NON_CR_NON_PD;
  case RECIST_NT_PD: return RECIST_PD;
  default: return RECIST_NE;
  }
}

/* RECIST 1.1 Table 1 (targets present) and Table 2 (non-target only) */
static rert_recist_response overall(rert_recist_response t, rert_recist_response nt, int has_t,
                                    int newl) {
  if (newl || t == RECIST_PD || nt == RECIST_PD) return RECIST_PD;
  if (!has_t) {
    if (nt == RECIST_CR) return RECIST_CR;
    if (nt == RECIST_NON_CR_NON_PD) return RECIST_NON_CR_NON_PD;
    return RECIST_NE;
  }
  if (t == RECIST_NE) return RECIST_NE;
  if (t == RECIST_CR) return (nt == RECIST_CR || nt == RECIST_NONE) ? RECIST_CR : RECIST_PR;
  if (t == RECIST_PR) return RECIST_PR;
  return RECIST_SD;
}

static int rank(rert_recist_response r) {
  switch (r) {
  case RECIST_CR: return 0;
  case RECIST_PR: return 1;
  case RECIST_SD: return 2;
  case RECIST_NON_CR_NON_PD: return 3;
  case RECIST_PD: return 4;
  default: return 5;
  }
}

int recist_assess(const rert_recist_criteria *c, const rert_recist_visit *v, int nv,
                  double confirm_days, double min_sd_days, rert_recist_assessment *out,
                  rert_recist_response *best, rert_err *err) {
  if (nv < 1) return rert_err_set(err, RERT_EINPUT, "RECIST: no visits");
  int nt = v[0].ntarget;
  for (int i = 0; i < nv; i++) {
    if (v[i].ntarget != nt)
      return rert_err_set(err, RERT_EINPUT,
                          "RECIST: visit %d (day %g) has %d target lesions, baseline %d", i + 1,
                          v[i].day, v[i].ntarget, nt);
    if (i > 0 && !(v[i].day > v[i - 1].day))
      return rert_err_set(err, RERT_EINPUT, "RECIST: visit days must increase (visit %d)", i + 1);
    for (int k = 0; k < nt; k++)
      if (v[i].target_mm[k] < 0)
        return rert_err_set(err, RERT_EINPUT, "RECIST: visit %d lesion %d: negative diameter",
                            i + 1, k + 1);
  }
  double base = 0;
  for (int k = 0; k < nt; k++) {
    if (isnan(v[0].target_mm[k]))
      return rert_err_set(err, RERT_EINPUT, "RECIST: baseline target lesion %d not measured", k + 1);
    base += v[0].target_mm[k];
  }
  if (nt > 0 && !(base > 0))
    return rert_err_set(err, RERT_EINPUT, "RECIST: baseline sum of target diameters is 0");
  double nadir = base;
  rert_recist_response *ov = malloc((size_t)nv * sizeof *ov);
  if (!ov) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < nv; i++) {
    double sum = 0;
    int missing = 0, gone = 1;
    for (int k = 0; k < nt; k++) {
      double d = v[i].target_mm[k];
      if (isnan(d)) {
        missing = 1;
        continue;
      }
      sum += d;
      if (v[i].target_node[k] && c->nodes_count_for_cr) gone &= d < c->node_normal_short_axis_mm;
      else gone &= d <= 0;
    }
    rert_recist_response tr;
    if (nt == 0) tr = RECIST_NONE;
    else if (missing) /* unmeasured lesions: PD can still be declared from the measured ones */
      tr = is_pd(c, nadir, sum) ? RECIST_PD : RECIST_NE;
    else tr = recist_target_response(c, base, nadir, sum, gone);
    rert_recist_response ntr = nt_response(v[i].nontarget);
    ov[i] = i == 0 ? RECIST_NE : overall(tr, ntr, nt > 0, v[i].new_lesion);
    if (out) {
      out[i].sum_mm = missing ? NAN : sum;
      out[i].nadir_mm = nadir;
      out[i].change_from_baseline = nt ? (sum - base) / base : NAN;
      out[i].change_from_nadir = nt && nadir > 0 ? (sum - nadir) / nadir : NAN;
      out[i].target = i == 0 ? RECIST_NE : tr;
      out[i].nontarget = i == 0 ? RECIST_NE : ntr;
      out[i].overall = ov[i];
    }
    if (!missing && nt > 0 && sum < nadir) nadir = sum;
  }
  /* best overall response up to and including the first PD */
  rert_recist_response b = RECIST_NE;
  int last = nv - 1;
  for (int i = 1; i < nv; i++)
    if (ov[i] == RECIST_PD) {
      last = i;
      break;
    }
  for (int i = 1; i <= last; i++) {
    rert_recist_response r = ov[i];
    if (confirm_days > 0 && (r == RECIST_CR || r == RECIST_PR)) {
      /* needs a later assessment >= confirm_days later that is at least as good (CR needs CR) */
      int ok = 0;
      for (int j = i + 1; j <= last && !ok; j++)
        if (v[j].day - v[i].day >= confirm_days)
          ok = r == RECIST_CR ? ov[j] == RECIST_CR : (ov[j] == RECIST_CR || ov[j] == RECIST_PR);
      if (!ok) r = RECIST_SD; /* unconfirmed response counts as stable disease */
    }
    if ((r == RECIST_SD || r == RECIST_NON_CR_NON_PD) && v[i].day < min_sd_days) r = RECIST_NE;
    if (rank(r) < rank(b)) b = r; /* CR > PR > SD > non-CR/non-PD > PD > NE */
  }
  free(ov);
  if (best) *best = b;
  return RERT_OK;
}
