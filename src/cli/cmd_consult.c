/* cmd_consult.c — `rert consult CASE.json --out DIR`: the whole re-irradiation consult, from the
 * case file's DICOM objects to report.pdf / report.html / report.json and derived RTDOSEs
 * (rert/consult.h). Exit 0 all hard constraints pass, 1 a hard constraint fails (the report is
 * still written), 2 bad input, 3 internal error; 2 and 3 write nothing. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rert/casefile.h"
#include "rert/consult.h"
#include "rert/fileio.h"

static const rert_opt consult_opts_tbl[] = {
    {"out", OPT_STR, NULL, "output directory for the report and DICOM outputs: new, empty or an earlier rert output (replaced as a whole; never an input)", NULL, 0},
    {"uncertainty-mm", OPT_NUM, "3", "worst-case radius for every course (0 = none); when not given, a mapped course uses the radius its registration QA supports (propagated-contour distance or landmark TRE) and the others 3 mm", "mm", 1},
    {"protocol", OPT_LIST, NULL, "protocol to evaluate besides the case file's (rert protocols list); the first one drives the budget and regimen solver when the case names none", NULL, 0},
    {"candidate", OPT_STR, NULL, "case with candidate courses: the candidate the detailed sections describe (default: the rank-1 candidate of the comparison, which is added as its own section)", NULL, 0},
    {"created", OPT_STR, NULL, "creation time of the report and DICOM outputs (ISO 8601 UTC, e.g. 2026-01-01T00:00:00Z) instead of now or SOURCE_DATE_EPOCH; for reproducible output", NULL, 0},
    {"no-progress", OPT_FLAG, NULL, "no progress indicator on stderr (it is shown only on a terminal anyway)", NULL, 0},
    {"dose-encoding", OPT_STR, "raw32", "pixel encoding of the derived RTDOSEs: raw32 (uncompressed 32-bit, what plastimatch and planning systems import), rle32 (RLE Lossless, on request), raw16", NULL, 0},
    {0}};

int consult_print_result(const rert_args *a, const consult_summary *s, int rc);

int consult_print_result(const rert_args *a, const consult_summary *s, int rc) {
  if (cli_json(a)) {
    cJSON *o = cJSON_CreateObject();
    /* the report's summary object first, as in report.json */
    cJSON *sj = s->summary_json ? cJSON_Parse(s->summary_json) : NULL;
    if (sj) cJSON_AddItemToObject(o, "summary", sj);
    cJSON_AddStringToObject(o, "verdict", s->verdict);
    cJSON_AddStringToObject(o, "out_dir", s->out_dir);
    char p[1200];
    snprintf(p, sizeof p, "%s/report.pdf", s->out_dir);
    cJSON_AddStringToObject(o, "report_pdf", p);
    snprintf(p, sizeof p, "%s/report.html", s->out_dir);
    cJSON_AddStringToObject(o, "report_html", p);
    snprintf(p, sizeof p, "%s/report.json", s->out_dir);
    cJSON_AddStringToObject(o, "report_json", p);
    cJSON_AddNumberToObject(o, "files", s->nfiles);
    cJSON_AddNumberToObject(o, "constraint_rows", s->nconstraints);
    cJSON_AddNumberToObject(o, "hard_failures", s->hard_failures);
    cJSON_AddNumberToObject(o, "worst_case_hard_failures", s->worst_hard_failures);
    cJSON_AddNumberToObject(o, "hard_not_evaluated", s->hard_not_evaluated);
    cJSON_AddNumberToObject(o, "registration_qa_failed", s->registration_qa_failed);
    cli_print_json(o);
  } else {
    if (s->summary_text) fputs(s->summary_text, stdout);
    if (s->registration_qa_failed)
      printf("Registration QA failed or could not be evaluated for %d course%s: verdict at best INCOMPLETE "
             "(report section 3)\n", s->registration_qa_failed, s->registration_qa_failed > 1 ? "s" : "");
    printf("Report: %s/report.pdf (also report.html, report.json; %d files) -> %s\n", s->out_dir, s->nfiles,
           s->verdict);
  }
  return rc;
}

static int run_consult(const rert_args *a, rert_err *err) {
  const char *out = cli_str(a, "out");
  if (!out || !*out) return rert_err_set(err, RERT_EINPUT, "consult: --out DIR is required");
  consult_opts o;
  memset(&o, 0, sizeof o);
  o.case_path = cli_pos(a, 0);
  int rc = cli_num(a, "uncertainty-mm", &o.uncertainty_mm, err);
  o.uncertainty_given = cli_has(a, "uncertainty-mm");
  if (rc) return rc;
  if (o.uncertainty_mm < 0 || o.uncertainty_mm > 20)
    return rert_err_set(err, RERT_EINPUT, "--uncertainty-mm: %g is outside 0..20 mm", o.uncertainty_mm);
  o.created_utc = cli_str(a, "created");
  o.candidate = cli_str(a, "candidate");
  const char *prots[64];
  o.nprotocols = cli_list_count(a, "protocol");
  if (o.nprotocols > 64) return rert_err_set(err, RERT_EINPUT, "--protocol: too many");
  for (int i = 0; i < o.nprotocols; i++) prots[i] = cli_list_item(a, "protocol", i);
  o.protocols = prots;
  o.progress = !cli_flag(a, "no-progress") && isatty(2);
  o.dose_encoding = cli_str(a, "dose-encoding");
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rert consult %s --out %s --uncertainty-mm %g", o.case_path, out, o.uncertainty_mm);
  o.command_line = cmd;
  /* --out: new, empty or an earlier rert output, never an input (rert/fileio.h); the consult
   * writes into a staging directory that replaces it only when the consult succeeded */
  rert_case c0;
  const char *in[RERT_CASE_MAX_INPUTS];
  int nin = 0, loaded = casefile_load(o.case_path, &c0, err) == RERT_OK;
  if (loaded) nin = casefile_input_paths(&c0, in, RERT_CASE_MAX_INPUTS);
  else in[nin++] = o.case_path; /* consult_run reports the case file's problem */
  rert_outdir od;
  rc = fileio_outdir_begin(&od, out, "--out", in, nin, err);
  if (loaded) casefile_free(&c0);
  if (rc) return rc;
  o.out_dir = od.work;
  consult_summary s;
  rc = consult_run(&o, &s, err);
  if (rc != RERT_OK && rc != RERT_EVERDICT && rc != RERT_EINCOMPLETE) {
    fileio_outdir_abort(&od);
    return rc;
  }
  rert_err e2;
  int crc = fileio_outdir_commit(&od, cmd, &e2);
  if (crc) {
    consult_summary_free(&s);
    *err = e2;
    return crc;
  }
  snprintf(s.out_dir, sizeof s.out_dir, "%s", od.final);
  rc = consult_print_result(a, &s, rc);
  consult_summary_free(&s);
  return rc;
}

const rert_cmd rert_cmd_consult = {
    "consult",
    "run the re-irradiation consult on a case file and write the report",
    "CASE.json",
    "Runs the whole pipeline on the case file's DICOM objects: checks the inputs (same patient, "
    "dose units, frames), maps every course onto the reference course's dose grid (imported "
    "registration, or rert's own CT registration on the dose region; either way its QA must pass or be "
    "overridden for a PASS), converts each course to EQD2 with per-voxel "
    "alpha/beta, discounts prior courses for recovery, sums, evaluates the case's protocols "
    "nominally and in the worst case within the registration uncertainty radius, computes the "
    "remaining-tolerance map and the regimen solver, and writes report.pdf, report.html, "
    "report.json and derived RTDOSEs (cumulative EQD2, worst case upper bound, remaining EQD2, maximum new "
    "dose, each with its own series description), an RTSTRUCT of the regions whose budget is "
    "exhausted and the recurrence parts into DIR, and prints the summary (verdict, failing rows, "
    "best regimen, risk flags, ARS guidance). Output is written to a temporary directory and moved "
    "into place at the end; a failure names the step and writes nothing. Exit 1 when a hard "
    "constraint fails, 4 when none fails but one could not be evaluated (the report is written "
    "in both cases). See docs/report.md.",
    consult_opts_tbl,
    "rert consult case.json --out consult/\n"
    "rert consult case.json --out consult/ --uncertainty-mm 5 --json",
    1, 1, run_consult};
