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
      json_add_num(root, "planned_prescription_gy", ac->planned_prescription_gy);
      cJSON *pl = cJSON_AddArrayToObject(root, "protocols");
      for (int i = 0; i < np; i++) cJSON_AddItemToArray(pl, cJSON_CreateString(ps[i].name));
      cJSON *t = cJSON_AddObjectToObject(root, "targets");
      json_add_num(t, "tumour_alpha_beta_gy", tg.tumour_alpha_beta_gy);
      json_add_num(t, "curative_bed_min_gy", tg.curative_min_gy);
      json_add_num(t, "curative_bed_max_gy", tg.curative_max_gy);
      json_add_num(t, "palliative_bed_min_gy", tg.palliative_min_gy);
      json_add_num(t, "palliative_bed_max_gy", tg.palliative_max_gy);
      cJSON_AddStringToObject(t, "source", tg.source);
      arr = cJSON_AddArrayToObject(root, "regimens");
    } else {
      printf("case %s: planned distribution scaled from its prescription %.2f Gy; hard limits of:", cf.path,
             ac->planned_prescription_gy);
      for (int i = 0; i < np; i++) printf(" %s", ps[i].name);
      printf("\ntargets (BED%g): curative %g-%g, palliative %g-%g Gy (%s)\n\n", tg.tumour_alpha_beta_gy,
             tg.curative_min_gy, tg.curative_max_gy, tg.palliative_min_gy, tg.palliative_max_gy, tg.source);
      printf("%-26s %-10s %9s %9s %-8s %9s %9s %-16s %s\n", "REGIMEN", "INTENT", "NOMINAL", "MAX RX", "FEASIBLE",
             "BED10", "EQD2_10", "TARGET BAND", "LIMITED BY");
    }
  }
  for (int r = 0; r < nr && !rc; r++) {
    accum_solution so;
    rc = accumulate_solve(&ac->in, pp, np, ac->planned_prescription_gy, &regs[r], &tg, &so, err);
    if (rc) break;
    nfeas += so.feasible;
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", regs[r].name);
      cJSON_AddStringToObject(o, "intent", regs[r].intent);
      json_add_num(o, "nominal_dose_gy", regs[r].dose_gy);
      json_add_num(o, "min_dose_gy", regs[r].dose_min_gy);
      cJSON_AddNumberToObject(o, "fractions", regs[r].fractions);
      cJSON_AddNumberToObject(o, "fractions_per_day", regs[r].fractions_per_day);
      cJSON_AddStringToObject(o, "rbe_model", rbe_model_name(regs[r].rbe));
      json_add_num(o, "max_prescription_gy", so.max_prescription_gy);
      cJSON_AddBoolToObject(o, "nominal_feasible", so.nominal_feasible);
      cJSON_AddBoolToObject(o, "feasible", so.feasible);
      json_add_num(o, "tumour_bed_gy", so.tumour_bed_gy);
      json_add_num(o, "tumour_eqd2_gy", so.tumour_eqd2_gy);
      cJSON_AddStringToObject(o, "target_band", so.target_band);
      cJSON_AddStringToObject(o, "limiting", so.limiting);
      cJSON_AddStringToObject(o, "source", regs[r].source);
      cJSON_AddBoolToObject(o, "verified", regs[r].verified);
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%-26s %-10s %9.2f %9.2f %-8s %9.2f %9.2f %-16s %s\n", regs[r].name, regs[r].intent, regs[r].dose_gy,
             so.max_prescription_gy, so.nominal_feasible ? "yes" : so.feasible ? "reduced" : "NO", so.tumour_bed_gy,
             so.tumour_eqd2_gy, so.target_band, so.limiting);
    }
  }
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
      printf("\nMAX RX: highest prescription <= nominal keeping every mandatory/acceptable limit (0.01 Gy bisection);\n"
             "FEASIBLE: yes = nominal fits, reduced = a dose >= the regimen's minimum fits, NO = none does.\n"
             "Tumour BED uses alpha/beta %g without repopulation or same-day repair terms. LQ is model-dependent above ~6 Gy/fx (SBRT).\n",
             tg.tumour_alpha_beta_gy);
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
