/* cmd_case.c — `rert case SUBCOMMAND`: work on a case file as a whole.
 *
 *   rert case check CASE.json   the DICOM gate (rert/gate.h) on every object the case lists:
 *                               the object graph and every finding (ok / warning / overridden /
 *                               refusal); exit 2 with one line naming the file and tag (or JSON
 *                               path) of the first refusal.
 *   rert case init EXPORT_DIR   draft a checked case file from a DICOM export (rert/caseinit.h;
 *                               its options and handler are in case_init_cli.c).
 *
 * Subcommands are rows of `subs` below (name, usage, one-line summary, handler); the command
 * table's usage and description list them, so adding one (e.g. `case init`) is one row and one
 * function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/case_init_cli.h"
#include "cli/cli.h"
#include "rert/casefile.h"
#include "rert/gate.h"

typedef struct {
  const char *name;
  const char *usage;   /* positional arguments after the subcommand */
  int nargs;           /* number of them */
  const char *summary;
  int (*run)(const rert_args *a, rert_err *err);
} case_sub;

static int do_check(const rert_args *a, rert_err *err) {
  rert_case cs;
  if (casefile_load(cli_pos(a, 1), &cs, err)) return RERT_EINPUT;
  gate_result *g = calloc(1, sizeof *g);
  if (!g) {
    casefile_free(&cs);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  gate_opts o = {GATE_LEVEL_FULL, 0, 0};
  int rc = gate_run(&cs, &o, g, err);
  if (rc == RERT_OK || rc == RERT_EINPUT) {
    if (cli_json(a)) {
      cJSON *root = gate_result_json(g, &cs, 1);
      cJSON_AddStringToObject(root, "case", cs.path);
      if (rc) {
        cJSON_AddStringToObject(root, "error", err->msg);
        cJSON_AddNumberToObject(root, "exit_code", rc);
      }
      cli_print_json(root);
    } else {
      gate_print_graph(g, &cs, stdout);
      printf("\nchecks:\n");
      gate_print_findings(&g->findings, GATE_OK, stdout);
      printf("\nresult: %d ok, %d warning(s), %d overridden, %d refusal(s)%s\n",
             gate_count(&g->findings, GATE_OK), gate_count(&g->findings, GATE_WARNING),
             gate_count(&g->findings, GATE_OVERRIDDEN), gate_count(&g->findings, GATE_REFUSAL),
             rc ? ": the case is REFUSED" : ": the case may be computed");
    }
  }
  gate_free(g);
  free(g);
  casefile_free(&cs);
  return rc;
}

static const case_sub subs[] = {
    {"check", "CASE.json", 1,
     "check every DICOM object and link of a case (the gate every command runs) and print the "
     "object graph and findings", do_check},
    {"init", "EXPORT_DIR", 1,
     "draft a checked case file from a DICOM export: courses, dates, mapping and a TODO list",
     case_init_run},
    {NULL, NULL, 0, NULL, NULL}};

static int run(const rert_args *a, rert_err *err) {
  const char *name = cli_pos(a, 0);
  for (const case_sub *s = subs; s->name; s++) {
    if (strcmp(s->name, name)) continue;
    if (cli_npos(a) != 1 + s->nargs)
      return rert_err_set(err, RERT_EINPUT, "usage: rert case %s %s", s->name, s->usage);
    return s->run(a, err);
  }
  char list[256] = "";
  for (const case_sub *s = subs; s->name; s++) {
    size_t L = strlen(list);
    snprintf(list + L, sizeof list - L, "%s%s %s", L ? ", " : "", s->name, s->usage);
  }
  return rert_err_set(err, RERT_EINPUT, "case: unknown subcommand \"%s\" (%s)", name, list);
}

static const rert_opt opts[] = {CASE_INIT_OPTS, {0}};

const rert_cmd rert_cmd_case = {
    "case",
    "work on a case file as a whole: draft one from a DICOM export (case init), check every DICOM "
    "object and link (case check)",
    "check CASE.json | init EXPORT_DIR",
    "`rert case check CASE.json` runs the DICOM gate that consult, accumulate, evaluate, solve and "
    "assess run before computing: it reads every object the case file lists (CT series, RTSTRUCT, "
    "RTPLAN, RTDOSE, registrations), prints the object graph (patient, studies, frames of "
    "reference, RTSTRUCT -> CT series, RTDOSE -> RTPLAN, REG -> its two frames) and every finding "
    "as ok, WARNING, OVERRIDDEN (an interlock allowed by a case-file override, with its reason) or "
    "REFUSED. Dose semantics follow DICOM PS3.3 C.8.8.3: GY only; PHYSICAL or EFFECTIVE as the "
    "course's modality and RBE model require; FRACTION = one whole fraction group with its own "
    "fraction count; per-session doses times the group's fractions; BEAM doses summed when every "
    "beam of the group is present; plans with several fraction groups keep each group's fractions "
    "through EQD2. The plan's fractions, radiation type and prescription are compared with the case "
    "file. Exit 2 when anything is refused, with one line naming the file and the DICOM tag or JSON "
    "path at fault. docs/io.md lists every check and the interlock IDs an override may name.\n\n"
    "`rert case init EXPORT_DIR --out case.json` drafts the case file from a DICOM export (any "
    "folder layout, files named by UID): it indexes the export, groups the objects into courses by "
    "frame of reference and references (RTDOSE -> RTPLAN by ReferencedRTPlanSequence with per-beam "
    "and per-fraction-group doses gathered, RTPLAN -> RTSTRUCT -> CT series), reads fractions, "
    "fraction groups, radiation type, prescription and approval from each plan, dates and delivered "
    "fractions from RT treatment records (else the plan's dates, to confirm), proposes the most "
    "recent course as planned and reference (--planned), the registrations of the export "
    "(deformable preferred; else the consult registers the CTs), maps ROI names to TG-263 through "
    "data/structure_synonyms.json and proposes targets and the recurrence GTV. Every inferred value "
    "carries an x_source; what a human must confirm, choose or fill (clinical facts are left null = "
    "unknown) is listed in $.x_case_init.todo; ambiguities (two doses for one plan, two CT series "
    "in one frame, several approved plans without records) are blocking TODOs with the field left "
    "empty, never guesses. The draft is checked with the same DICOM gate. Exit 0 when the draft "
    "checks clean, 4 when it was written with blocking TODOs, 2 when nothing was written (not an "
    "export, several patients without --patient, an existing file without --force, an output "
    "inside the export). The export is never modified; the case file is written atomically "
    "(docs/case-file.md).",
    opts,
    "rert case check case.json\nrert case check case.json --json\n"
    "rert case init export/ --out case.json\nrert case init export/ --out case.json --json",
    2, 2, run};
