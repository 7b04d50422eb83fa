/* consult.h — the re-irradiation special physics consult: one call from a case file to a report
 * directory (report.pdf, report.html, report.json and derived DICOM objects).
 *
 * Pipeline (each step named in progress output and in error messages, "consult: step 4/12
 * (map doses): ..."): load and check the case and its DICOM objects → registration (imported
 * or computed) → map each course onto the reference grid → structure masks → per-course EQD2,
 * recovery, cumulative (accumulate.h) → worst case within the registration uncertainty radius
 * → protocol verdicts, nominal and worst case → remaining-tolerance map and regimen solver →
 * clinical assessment → DVHs → report and DICOM outputs. Everything is written into a temporary
 * directory beside the output and moved into place at the end, so a failed run leaves no half
 * report. Implements the reporting items of domain-reference Addendum B (ReCOG).
 */
#ifndef RERT_CONSULT_H
#define RERT_CONSULT_H

#include "rert/err.h"

typedef struct {
  const char *case_path;
  const char *out_dir;
  double uncertainty_mm;   /* registration uncertainty radius for the worst case; 0 = none */
  int uncertainty_given;   /* uncertainty_mm was given: every course uses it. Otherwise a mapped
                              course uses the radius its registration QA supports (propagated-
                              contour distance, landmark TRE) when there is one */
  int progress;            /* print step progress on stderr */
  const char *created_utc; /* NULL = now (tests pass a fixed time for byte-identical output) */
  const char *command_line;/* recorded in the provenance section */
  const char *const *protocols; /* extra protocols (data/protocols/NAME.json) besides the case's */
  int nprotocols;
  const char *dose_encoding; /* RTDOSE pixel encoding: NULL = the process default (uncompressed
                                32-bit, raw32), "rle32" (RLE Lossless) or "raw16" */
  const char *candidate;   /* case with candidate courses: the one the detailed sections describe
                              (NULL = the rank-1 candidate of the comparison); docs/compare.md */
} consult_opts;

typedef struct {
  int hard_failures;       /* nominal hard-constraint failures over all protocols */
  int worst_hard_failures; /* same on the worst-case bound */
  int hard_incomplete;     /* hard rows with no value (structure outside the dose grid) */
  int hard_not_evaluated;  /* mandatory/acceptable rows without a verdict (structure missing, empty,
                              degenerate, outside the dose grid, ...): the verdict is INCOMPLETE */
  char verdict[16];        /* "PASS", "FAIL", "INCOMPLETE" (accumulate_overall over every protocol) */
  int partial_rows;        /* rows on structures partly outside the dose grid (dose there = 0) */
  int registration_qa_failed; /* courses whose registration QA failed or could not be evaluated
                                 and no {"interlock": "registration_qa"} override applies */
  int nconstraints;
  int nfiles;              /* files written */
  char out_dir[1024];
  char *summary_json;      /* the report's summary object, printed (malloc'd; consult_summary_free) */
  char *summary_text;      /* the same as plain-text lines for a terminal (malloc'd) */
} consult_summary;

void consult_summary_free(consult_summary *s);

/* Returns RERT_OK (PASS: every mandatory/acceptable constraint evaluated and passed, every
 * registration QA passed or overridden), RERT_EVERDICT (report written, a hard constraint fails,
 * nominal or worst case), RERT_EINCOMPLETE (report written, none fails but a hard constraint could
 * not be evaluated, or a registration failed its QA or could not be checked and no override
 * applies), RERT_EINPUT / RERT_EINTERNAL (no report; err names the step and the reason). */
int consult_run(const consult_opts *o, consult_summary *s, rert_err *err);

#endif
