/* case_init_cli.h — the `init` subcommand of `rert case` (case_init_cli.c): its options, which
 * cmd_case.c adds to the command's option table, and its handler. */
#ifndef RERT_CASE_INIT_CLI_H
#define RERT_CASE_INIT_CLI_H

#include "cli/cli.h"

#define CASE_INIT_OPTS                                                                                                  \
  {"out", OPT_STR, "case.json", "init: the case file to write (its paths are relative to its directory; never inside the export)", NULL, 0}, \
  {"force", OPT_FLAG, NULL, "init: replace an existing case file", NULL, 0},                                            \
  {"planned", OPT_STR, NULL, "init: the planned (reference) course — courseN (ids in date order) or none (every course prior); default the most recent", NULL, 0}, \
  {"patient", OPT_STR, NULL, "init: the PatientID to draft when the export holds several patients", NULL, 0}

int case_init_run(const rert_args *a, rert_err *err);

#endif
