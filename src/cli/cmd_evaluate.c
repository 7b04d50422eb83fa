/* cmd_evaluate.c — `rert evaluate CASE.json --protocol NAME`: every constraint's value on the
 * cumulative (or new-course) dose, limit, margin and verdict with its explanation (domain-
 * reference §5); exit 1 when a mandatory/acceptable constraint fails. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/accum_cli.h"
#include "rert/data.h"

static int run(const rert_args *a, rert_err *err) {
  rert_case cf;
  accum_case *ac = calloc(1, sizeof *ac);
  if (!ac) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int rc = accum_cli_load(a, &cf, ac, err);
  if (rc) { free(ac); return rc; }
  rert_protocol *ps = NULL;
  int np = 0, hard = 0;
  rc = accum_cli_protocols(a, &cf, &ps, &np, err);
  cJSON *root = NULL, *arr = NULL;
  if (!rc && cli_json(a)) {
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "case", cf.path);
    cJSON_AddItemToObject(root, "checks", gate_checks_json(ac->gate));
    json_add_num(root, "uncertainty_mm", ac->uncertainty_mm);
    arr = cJSON_AddArrayToObject(root, "evaluations");
  }
  if (!rc && !root) {
    printf("case %s: %d course(s), %d structure(s) on the reference grid; uncertainty radius %.1f mm\n", cf.path,
           ac->in.ncourses, ac->in.nstructs, ac->uncertainty_mm);
    for (int c = 0; c < ac->in.ncourses; c++) {
      const accum_course *k = &ac->in.courses[c];
      double t;
      rert_err e2;
      char iv[64] = "";
      if (!k->is_new && !accumulate_interval_months(&ac->in, c, &t, &e2))
        snprintf(iv, sizeof iv, ", %.1f months before the new course", t);
      printf("  %s: %d fx, %s %s%s%s, mapped by %s\n", k->id, k->fractions, rbe_modality_name(k->modality),
             rbe_model_name(k->rbe), k->is_new ? " (planned)" : "", iv, ac->mapping[c]);
    }
    gate_print_notes(ac->gate, stdout);
  }
  /* all protocols in one call: the DVH of each distinct map is computed once and shared */
  accum_evaluation *evs = NULL;
  int incomplete = 0;
  if (!rc) {
    const rert_protocol **pp = calloc(np > 0 ? (size_t)np : 1, sizeof *pp);
    evs = calloc(np > 0 ? (size_t)np : 1, sizeof *evs);
    if (!pp || !evs) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    for (int i = 0; i < np && !rc; i++) pp[i] = &ps[i];
    if (!rc) rc = accumulate_evaluate_protocols(&ac->in, pp, np, evs, err);
    free(pp);
  }
  for (int i = 0; i < np && !rc; i++) {
    accum_evaluation *ev = &evs[i];
    hard += ev->hard_failures;
    incomplete += ev->hard_incomplete;
    if (root) cJSON_AddItemToArray(arr, accum_cli_evaluation_json(ev, &ps[i]));
    else accum_cli_print_evaluation(ev, &ps[i], ac->uncertainty_mm > 0);
  }
  for (int i = 0; evs && i < np; i++) accum_evaluation_free(&evs[i]);
  free(evs);
  if (!rc) {
    /* a hard row that could not be completed (structure partly outside the dose grid) is
     * not a pass: the overall verdict says INCOMPLETE and the exit code is 1 */
    const char *verdict = hard ? "FAIL" : incomplete ? "INCOMPLETE" : "PASS";
    if (root) {
      cJSON_AddNumberToObject(root, "hard_failures", hard);
      cJSON_AddNumberToObject(root, "hard_incomplete", incomplete);
      cJSON_AddStringToObject(root, "verdict", verdict);
      cli_print_json(root);
      root = NULL;
    } else {
      printf("\nverdict: %s (%d hard constraint failure(s), %d hard constraint(s) incomplete, over %d protocol(s))\n",
             verdict, hard, incomplete, np);
    }
    if (hard || incomplete) rc = RERT_EVERDICT;
  }
  cJSON_Delete(root);
  accum_cli_free_protocols(ps, np);
  accum_case_free(ac);
  free(ac);
  casefile_free(&cf);
  return rc;
}

static const rert_opt opts[] = {
    {"protocol", OPT_LIST, NULL, "protocol name (rert protocols list) or FILE.json; repeatable; default: the case file's \"protocols\"", NULL, 0},
    ACCUM_CLI_COMMON_OPTS,
    {0}};

const rert_cmd rert_cmd_evaluate = {
    "evaluate",
    "check the cumulative dose of a case against re-irradiation constraint protocols",
    "CASE.json",
    "Maps every course onto the reference grid, converts each voxel to EQD2 with the local dose per "
    "fraction and evaluates every constraint of the protocol(s) inside each matching structure, with "
    "the alpha/beta and prior-dose recovery that constraint assumes and the row its interval "
    "condition selects. Prints value, limit, margin (Gy and %), tier and verdict with an explanation; "
    "with --uncertainty-mm also the worst case. Structures with RTSTRUCT contours are evaluated by the "
    "DVH engine of `rert dvh` (same numbers). Exit 1 when a mandatory or acceptable constraint fails or "
    "is incomplete (structure partly outside the dose grid).",
    opts,
    "rert evaluate case.json --protocol care_s0\nrert evaluate case.json --protocol ng2021_npc --protocol ecog_ea3191 --json\n"
    "rert evaluate case.json --protocol care_s0 --uncertainty-mm 3",
    1, 1, run};
