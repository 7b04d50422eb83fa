/* cmd_evaluate.c — `rert evaluate CASE.json --protocol NAME`: every constraint's value on the
 * cumulative (or new-course) dose, limit, margin and verdict with its explanation (domain-
 * reference §5); exit 1 when a mandatory/acceptable constraint fails. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/accum_cli.h"
#include "rert/structmap.h"
#include "rert/data.h"

static int run(const rert_args *a, rert_err *err) {
  rert_case cf;
  accum_case *ac = calloc(1, sizeof *ac);
  if (!ac) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  rert_protocol *ps = NULL;
  int np = 0;
  int rc = accum_cli_load(a, &cf, ac, &ps, &np, err);
  if (rc) { free(ac); return rc; }
  cJSON *root = NULL, *arr = NULL;
  if (cli_json(a)) {
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "case", cf.path);
    cJSON_AddItemToObject(root, "checks", gate_checks_json(ac->gate));
    json_add_num(root, "uncertainty_mm", ac->uncertainty_mm);
    cJSON_AddNumberToObject(root, "structures_used", ac->in.nstructs);
    if (ac->has_map) cJSON_AddItemToObject(root, "structure_mapping", structmap_to_json(&ac->map));
    arr = cJSON_AddArrayToObject(root, "evaluations");
  } else {
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
    accum_cli_print_mapping(ac);
  }
  /* all protocols in one call: the DVH of each distinct map is computed once and shared */
  accum_evaluation *evs = NULL;
  const rert_protocol **pp = calloc(np > 0 ? (size_t)np : 1, sizeof *pp);
  evs = calloc(np > 0 ? (size_t)np : 1, sizeof *evs);
  if (!pp || !evs) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < np && !rc; i++) pp[i] = &ps[i];
  if (!rc) rc = accumulate_evaluate_protocols(&ac->in, pp, np, evs, err);
  free(pp);
  if (!rc) {
    for (int i = 0; i < np; i++) {
      if (root) cJSON_AddItemToArray(arr, accum_cli_evaluation_json(&evs[i], &ps[i]));
      else accum_cli_print_evaluation(&evs[i], &ps[i], ac->uncertainty_mm > 0);
    }
    /* PASS only when every mandatory/acceptable row was evaluated and passed; a failure makes
     * it FAIL (exit 1), a row without a verdict INCOMPLETE (exit 4) — docs/accumulate.md */
    accum_overall ov;
    accumulate_overall(evs, np, &ov);
    if (root) {
      accum_cli_overall_json(evs, np, &ov, root);
      cli_print_json(root);
      root = NULL;
    } else {
      accum_cli_print_overall(evs, np, &ov);
    }
    rc = accumulate_verdict_status(ov.verdict);
  }
  for (int i = 0; evs && i < np; i++) accum_evaluation_free(&evs[i]);
  free(evs);
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
    "DVH engine of `rert dvh` (same numbers). Every constraint appears with one status: evaluated, "
    "not applicable (its interval condition does not hold), not evaluated (structure missing, empty, "
    "degenerate, outside the dose grid) or partly outside the dose grid; ROI names are resolved by the "
    "case file's structure_map, then data/structure_synonyms.json, and the mapping is printed. Verdict "
    "PASS only when every mandatory/acceptable row was evaluated and passed; FAIL (exit 1) when one "
    "fails; otherwise INCOMPLETE (exit 4), naming every mandatory row not evaluated.",
    opts,
    "rert evaluate case.json --protocol care_s0\nrert evaluate case.json --protocol ng2021_npc --protocol ecog_ea3191 --json\n"
    "rert evaluate case.json --protocol care_s0 --uncertainty-mm 3",
    1, 1, run};
