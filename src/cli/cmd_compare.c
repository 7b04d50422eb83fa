/* cmd_compare.c — `rert compare CASE.json [--out DIR]`: candidate plans for the new course side by
 * side on the same prior accumulation, ranked by the documented rule (rert/candidates.h,
 * docs/compare.md). Prints the comparison (text or --json); with --out also writes the report
 * (PDF/HTML/JSON) and the derived maps. Exit status: the rank-1 candidate's verdict (0 PASS, 1
 * FAIL, 4 INCOMPLETE); 2 bad input, 3 internal error (2 and 3 write nothing). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/candidates.h"

static void print_text(const cand_comparison *cmp) {
  const case_course *ref = casefile_reference(cmp->cf);
  printf("case %s: reference course %s; %d prior course(s) mapped once; %d candidate(s); uncertainty radius %.1f mm\n",
         cmp->cf->path, ref ? ref->id : "-", cmp->base->ncourses, cmp->n, cmp->opts.uncertainty_mm);
  printf("protocols:");
  for (int p = 0; p < cmp->nprot; p++) printf(" %s", cmp->prot[p].name);
  printf("\n\n%-4s %-14s %-10s %-9s %-10s %4s %8s  %-10s %17s %10s %9s\n", "rank", "candidate", "technique",
         "modality", "RBE", "fx", "Rx (Gy)", "verdict", "margin % (worst)", "tumour BED", "headroom");
  for (int j = 0; j < cmp->n; j++) {
    const cand_result *r = &cmp->c[cmp->order[j]];
    char mg[40], hb[24], hr[24];
    snprintf(mg, sizeof mg, "%.2f (%.2f)", r->min_margin_pct,
             isnan(r->min_margin_worst_pct) ? r->min_margin_pct : r->min_margin_worst_pct);
    snprintf(hb, sizeof hb, "%.2f", r->tumour_bed_gy);
    snprintf(hr, sizeof hr, "x%.3f", r->headroom_scale);
    printf("%-4d %-14s %-10s %-9s %-10s %4d %8.2f  %-10s %17s %10s %9s\n", r->rank, r->id,
           r->technique[0] ? r->technique : "-", rbe_modality_name(r->modality), rbe_model_name(r->rbe),
           r->fractions, r->prescription_gy, r->verdict, mg, hb, hr);
  }
  printf("\n");
  for (int i = 0; i < cmp->n; i++) {
    const cand_result *r = &cmp->c[i];
    printf("%s: %s; smallest hard margin %s; %d hard row(s), %d failing, %d failing in the worst case, %d not evaluated%s%s\n",
           r->id, r->rbe_text, r->min_margin_row[0] ? r->min_margin_row : "-", r->hard_rows, r->hard_failures,
           r->worst_hard_failures, r->hard_not_evaluated, r->not_evaluated_rows[0] ? ": " : "", r->not_evaluated_rows);
    for (int t = 0; t < r->ntargets; t++)
      printf("  %-16s D98 %.2f  D95 %.2f  D50 %.2f  Dmin %.2f Gy BED%.3g%s\n", r->targets[t].structure,
             r->targets[t].bed_gy[0], r->targets[t].bed_gy[1], r->targets[t].bed_gy[2], r->targets[t].bed_gy[3],
             cmp->targets.tumour_alpha_beta_gy, r->targets[t].is_recurrence ? " (recurrence)" : "");
    for (int k = 0; k < r->nrisk; k++)
      if (r->risk[k].assessed)
        printf("  %-16s %s: cumulative EQD2 %.2f Gy (unrecovered, %s) -> %s\n", r->risk[k].organ,
               r->risk[k].structure, r->risk[k].cumulative_eqd2_gy, "Dmax", risk_tier_name(r->risk[k].risk.tier));
    printf("  integral dose %.3f Gy.L (%s); headroom x%.3f (worst case x%.3f): %s\n", r->integral_dose_gy_l,
           r->integral_basis, r->headroom_scale, r->headroom_worst_scale, r->headroom_limiting);
    for (int k = 0; k < r->nlet; k++)
      if (r->let_stats[k].is_recurrence)
        printf("  LETd in %s: mean %.3f, dose-weighted %.3f keV/um\n", r->let_stats[k].structure,
               r->let_stats[k].mean, r->let_stats[k].dose_weighted);
  }
  printf("\nranking rule: %s\n", cmp->rule_text);
  for (int i = 0; i < cmp->npairs; i++) printf("  %s\n", cmp->pairs[i].text);
  const cJSON *nt;
  cJSON_ArrayForEach(nt, cmp->notes) printf("note: %s\n", nt->valuestring);
  const cand_result *b = candidates_best(cmp);
  printf("\nrank 1: %s (%s)\n", b ? b->id : "-", b ? b->verdict : "-");
}

static int run(const rert_args *a, rert_err *err) {
  cand_opts o;
  candidates_opts_default(&o);
  int rc = cli_num(a, "uncertainty-mm", &o.uncertainty_mm, err);
  if (rc) return rc;
  if (!(o.uncertainty_mm >= 0) || o.uncertainty_mm > 20)
    return rert_err_set(err, RERT_EINPUT, "--uncertainty-mm: %g is outside 0..20 mm", o.uncertainty_mm);
  const char *rule = cli_str(a, "rule");
  if (!strcmp(rule, "lowest-oar")) o.rule = AB_RULE_LOWEST_OAR;
  else if (!strcmp(rule, "list-order")) o.rule = AB_RULE_LIST_ORDER;
  else return rert_err_set(err, RERT_EINPUT, "--rule %s: use lowest-oar or list-order", rule);
  const char *og = cli_str(a, "outside-grid");
  if (!strcmp(og, "strict")) o.outside_grid_strict = 1;
  else if (strcmp(og, "zero")) return rert_err_set(err, RERT_EINPUT, "--outside-grid %s: use zero or strict", og);
  double pct;
  if ((rc = cli_num(a, "let-high-dose-pct", &pct, err))) return rc;
  if (!(pct > 0 && pct <= 200)) return rert_err_set(err, RERT_EINPUT, "--let-high-dose-pct: %g is outside (0, 200]", pct);
  o.let_high_dose_fraction = pct / 100.0;
  if ((rc = cli_num(a, "headroom-max-scale", &o.headroom_max_scale, err))) return rc;
  if (!(o.headroom_max_scale >= 1 && o.headroom_max_scale <= 10))
    return rert_err_set(err, RERT_EINPUT, "--headroom-max-scale: %g is outside [1, 10]", o.headroom_max_scale);
  const char *prots[64];
  o.nprotocols = cli_list_count(a, "protocol");
  if (o.nprotocols > 64) return rert_err_set(err, RERT_EINPUT, "--protocol: at most 64");
  for (int i = 0; i < o.nprotocols; i++) prots[i] = cli_list_item(a, "protocol", i);
  o.protocols = prots;
  rert_case cf;
  if ((rc = casefile_load(cli_pos(a, 0), &cf, err))) return rc;
  cand_comparison *cmp = calloc(1, sizeof *cmp);
  if (!cmp) {
    casefile_free(&cf);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  rc = candidates_run(&cf, &o, cmp, err);
  const char *out = cli_str(a, "out");
  int nfiles = 0;
  if (!rc && out && *out) {
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "rert compare %s --out %s --uncertainty-mm %g", cf.path, out, o.uncertainty_mm);
    rc = candidates_write_output(cmp, out, cli_str(a, "created"), cmd, &nfiles, err);
  }
  if (!rc) {
    if (cli_json(a)) {
      cJSON *j = candidates_json(cmp);
      if (out && *out) {
        cJSON_AddStringToObject(j, "out_dir", out);
        cJSON_AddNumberToObject(j, "files", nfiles);
      }
      cli_print_json(j);
    } else {
      print_text(cmp);
      if (out && *out) printf("report and maps in %s (%d files)\n", out, nfiles);
    }
    rc = candidates_status(cmp);
  }
  candidates_free(cmp);
  free(cmp);
  casefile_free(&cf);
  return rc;
}

static const rert_opt opts[] = {
    {"out", OPT_STR, NULL, "output directory: report.pdf/html/json of the comparison, cumulative EQD2 per candidate and EQD2 difference maps (RTDOSE and MetaImage); created, written all or nothing", NULL, 0},
    {"protocol", OPT_LIST, NULL, "protocol name (rert protocols list) or FILE.json; repeatable; default: the case file's \"protocols\"", NULL, 0},
    {"uncertainty-mm", OPT_NUM, "3", "dose-mapping uncertainty radius: prior doses also as min/max over this ball (worst case); smallest margins that overlap within it are ties", "mm", 1},
    {"rule", OPT_STR, "lowest-oar", "alpha/beta overlap rule: lowest-oar or list-order", NULL, 0},
    {"outside-grid", OPT_STR, "zero", "structures partly outside the dose grid: zero (dose there taken as 0, row flagged incomplete) or strict", NULL, 0},
    {"let-high-dose-pct", OPT_NUM, "50", "LETd statistics: high-dose organ voxels receive at least this % of the candidate's prescription", "", 0},
    {"headroom-max-scale", OPT_NUM, "3", "headroom search: the largest multiple of each candidate's dose tried", "", 0},
    {"created", OPT_STR, NULL, "creation time of the report and DICOM outputs (ISO 8601 UTC) for reproducible output", NULL, 0},
    {0}};

const rert_cmd rert_cmd_compare = {
    "compare",
    "compare candidate plans for the new course on the same prior accumulation and rank them",
    "CASE.json",
    "The case lists several courses with role \"candidate\" (and at most one \"planned\" course): "
    "alternative plans for the re-irradiation, each with its own RTPLAN/RTDOSE, modality, RBE model "
    "and fractionation, sharing the prior courses, the reference anatomy and the registrations. "
    "Every course is mapped onto the reference grid once; each candidate is then evaluated as the "
    "new course against the same prior maps: every constraint row of every protocol (nominal and "
    "worst case, margin, status), tumour coverage (D98/D95/D50/Dmin of the targets and the "
    "recurrence GTV in BED and EQD2 at the tumour alpha/beta, the new course alone), NTCP (LKB, "
    "data/ntcp_lkb.json, unverified parameters flagged), integral dose, the cumulative carotid and "
    "mandible doses with their risk tiers, the headroom (largest multiple of the candidate's dose "
    "keeping every hard row) and, for particle candidates with a LETd map, LETd statistics per "
    "structure and an optional variable proton RBE (McNamara 2015, Wedenberg 2013). Candidates are "
    "ranked: feasible on every hard limit first, then the largest smallest hard margin (% of the "
    "limit), then the tumour D98 BED; near-ties within the dose-mapping uncertainty are ties. Exit "
    "status: the rank-1 candidate's verdict (0 PASS, 1 FAIL, 4 INCOMPLETE). See docs/compare.md.",
    opts,
    "rert compare case.json\nrert compare case.json --out compare/ --json\n"
    "rert compare case.json --protocol care_s0 --uncertainty-mm 5",
    1, 1, run};
