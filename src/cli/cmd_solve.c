/* cmd_solve.c — `rert solve CASE.json`: for each candidate regimen (data/regimens.json), the
 * highest prescription that keeps every hard constraint of the chosen protocols when the planned
 * dose distribution is scaled to it, and the tumour BED10/EQD2 that buys against the S4 curative
 * and palliative targets (domain-reference §1.2, §2, §5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/accum_cli.h"
#include "rert/data.h"

static int run(const rert_args *a, rert_err *err) {
  rert_case cf;
  accum_case *ac = calloc(1, sizeof *ac);
  if (!ac) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  rert_protocol *ps = NULL;
  int np = 0, nr = 0;
  int rc = accum_cli_load(a, &cf, ac, &ps, &np, err);
  if (rc) { free(ac); return rc; }
  const rert_protocol **pp = NULL;
  accum_regimen *regs = NULL;
  accum_targets tg;
  rc = accumulate_regimens_load(cli_str(a, "regimens"), &regs, &nr, &tg, err);
  if (!rc && !(ac->planned_prescription_gy > 0))
    rc = rert_err_set(err, RERT_EINPUT, "%s: the planned course needs prescription_gy to scale its dose", cf.path);
  if (!rc && !(pp = malloc((size_t)np * sizeof *pp))) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; !rc && i < np; i++) pp[i] = &ps[i];
  int json = cli_json(a), nfeas = 0;
  cJSON *root = json ? cJSON_CreateObject() : NULL, *arr = NULL;
  if (!rc) {
    if (json) {
      cJSON_AddStringToObject(root, "case", cf.path);
      cJSON_AddItemToObject(root, "checks", gate_checks_json(ac->gate));
      json_add_num(root, "planned_prescription_gy", ac->planned_prescription_gy);
      cJSON *pl = cJSON_AddArrayToObject(root, "protocols");
      for (int i = 0; i < np; i++) cJSON_AddItemToArray(pl, cJSON_CreateString(ps[i].name));
      cJSON *t = cJSON_AddObjectToObject(root, "targets");
      json_add_num(t, "tumour_alpha_beta_gy", tg.tumour_alpha_beta_gy);
      json_add_num(t, "curative_bed_min_gy", tg.curative_min_gy);
      json_add_num(t, "curative_bed_max_gy", tg.curative_max_gy);
      json_add_num(t, "palliative_bed_min_gy", tg.palliative_min_gy);
      json_add_num(t, "palliative_bed_max_gy", tg.palliative_max_gy);
      json_add_num(t, "tumour_repair_halftime_h", tg.tumour_repair_halftime_h);
      cJSON_AddStringToObject(t, "tumour_repair_source", tg.repair_source);
      cJSON_AddStringToObject(t, "ranking_rule", ACCUM_RANK_RULE_TEXT);
      cJSON_AddStringToObject(t, "source", tg.source);
      arr = cJSON_AddArrayToObject(root, "regimens");
    } else {
      gate_print_notes(ac->gate, stdout);
      printf("case %s: planned distribution scaled from its prescription %.2f Gy; hard limits of:", cf.path,
             ac->planned_prescription_gy);
      for (int i = 0; i < np; i++) printf(" %s", ps[i].name);
      printf("\ntargets (BED%g): curative %g-%g, palliative %g-%g Gy (%s)\n\n", tg.tumour_alpha_beta_gy,
             tg.curative_min_gy, tg.curative_max_gy, tg.palliative_min_gy, tg.palliative_max_gy, tg.source);
      printf("%-26s %-10s %4s %9s %-7s %9s %-10s %9s %-16s %s\n", "REGIMEN", "INTENT", "RANK", "FULL DOSE", "NOMINAL",
             "MAX RX", "WORST CASE", "BED10", "TARGET BAND", "LIMITED BY (nominal)");
    }
  }
  accum_solution *sol = calloc(nr > 0 ? (size_t)nr : 1, sizeof *sol);
  if (!rc && !sol) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int r = 0; r < nr && !rc; r++) {
    rc = accumulate_solve(&ac->in, pp, np, ac->planned_prescription_gy, &regs[r], &tg, &sol[r], err);
    nfeas += !rc && sol[r].feasible;
  }
  if (!rc) accumulate_solutions_rank(sol, nr, &tg);
  for (int r = 0; r < nr && !rc; r++) {
    const accum_solution *so = &sol[r];
    if (json) {
      cJSON *o = cJSON_CreateObject();
      accum_solution_to_json(so, o);
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%-26s %-10s %4d %9.2f %-7s %9.2f %-10s %9.2f %-16s %s\n", regs[r].name, regs[r].intent, so->rank,
             regs[r].dose_max_gy, so->status == SOLVE_FULL ? "full" : so->status == SOLVE_REDUCED ? "reduced" : "NO",
             so->max_prescription_gy,
             !so->has_worst ? "-" : so->worst.status == SOLVE_FULL ? "full" : so->worst.status == SOLVE_REDUCED ? "reduced" : "NO",
             so->tumour_bed_gy, so->target_band, so->limiting.found ? so->limiting.text : "-");
    }
  }
  free(sol);
  /* accounting at the planned dose: a mandatory row that cannot be evaluated (structure missing,
   * empty, outside the grid) could bind any regimen, so the answer is INCOMPLETE, never a PASS */
  accum_overall ov;
  memset(&ov, 0, sizeof ov);
  accum_evaluation *evs = NULL;
  if (!rc) {
    evs = calloc((size_t)np + 1, sizeof *evs);
    if (!evs) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    if (!rc) rc = accumulate_evaluate_protocols(&ac->in, pp, np, evs, err);
    if (!rc) accumulate_overall(evs, np, &ov);
  }
  if (!rc) {
    if (json) {
      /* the constraint accounting at the planned dose; the solver's own verdict is feasibility */
      accum_cli_overall_json(evs, np, &ov, cJSON_AddObjectToObject(root, "planned_dose_evaluation"));
      cJSON_AddStringToObject(root, "verdict", nfeas == 0 ? "FAIL" : ov.hard_not_evaluated ? "INCOMPLETE" : "PASS");
      cJSON_AddItemToObject(root, "not_evaluated_mandatory",
                            cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "planned_dose_evaluation"),
                                                                "not_evaluated_mandatory"), 1));
      cJSON_AddNumberToObject(root, "feasible_regimens", nfeas);
      cli_print_json(root);
      root = NULL;
    } else {
      printf("\nMAX RX: highest prescription <= the regimen's full dose (dose_max_gy) keeping every mandatory/acceptable row\n"
             "of every protocol (0.01 Gy bisection); full = the full dose fits, reduced = a dose >= the regimen's minimum\n"
             "fits, NO = not even the minimum (limited by the tightest row). WORST CASE: the same with every mapped prior at its\n"
             "upper bound within the registration uncertainty radius. RANK: docs/accumulate.md (feasible first, then tumour\n"
             "BED10 up to the curative band's top). Tumour BED: alpha/beta %g with the Thames same-day repair term for BID\n"
             "(tumour repair half-time %g h), no repopulation. LQ is model-dependent above ~6 Gy/fx (SBRT).\n",
             tg.tumour_alpha_beta_gy, tg.tumour_repair_halftime_h);
      if (ov.hard_not_evaluated) {
        printf("\nINCOMPLETE: the solver could not check these mandatory/acceptable rows, any of which may bind:\n");
        accum_cli_print_overall(evs, np, &ov);
      }
    }
    /* no feasible regimen: FAIL (1); else a mandatory row not evaluated: INCOMPLETE (4) */
    if (nfeas == 0) rc = RERT_EVERDICT;
    else if (ov.hard_not_evaluated) rc = RERT_EINCOMPLETE;
  }
  for (int i = 0; evs && i < np; i++) accum_evaluation_free(&evs[i]);
  free(evs);
  cJSON_Delete(root);
  free(pp);
  free(regs);
  accum_cli_free_protocols(ps, np);
  accum_case_free(ac);
  free(ac);
  casefile_free(&cf);
  return rc;
}

static const rert_opt opts[] = {
    {"protocol", OPT_LIST, NULL, "protocol(s) whose hard limits must hold (default: the case file's)", NULL, 0},
    {"regimens", OPT_STR, NULL, "regimen file [default: data/regimens.json]", NULL, 0},
    ACCUM_CLI_COMMON_OPTS,
    {0}};

const rert_cmd rert_cmd_solve = {
    "solve",
    "highest safe prescription per candidate regimen and the tumour BED10 it buys",
    "CASE.json",
    "Scales the planned course's dose distribution (normalised to its prescription) to each regimen "
    "of data/regimens.json (60/30, 66/33, 70/35, 72/60 BID with incomplete repair, SBRT, quad-shot, "
    "palliative, carbon LEM) and finds by bisection the highest prescription up to the regimen's "
    "nominal dose for which every mandatory/acceptable constraint of the protocol(s) holds on the "
    "cumulative dose. Reports tumour BED10/EQD2 against the S4 curative (60-70 Gy10) and palliative "
    "(20-40 Gy10) bands and the constraint that limits it. Exit 1 when no regimen is feasible; exit 4 "
    "(INCOMPLETE) when a mandatory/acceptable constraint could not be evaluated at all (structure "
    "missing, empty, outside the dose grid): it is named, and any regimen could be limited by it.",
    opts,
    "rert solve case.json --protocol care_s0\nrert solve case.json --protocol ng2021_npc --json",
    1, 1, run};
