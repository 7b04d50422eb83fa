/* cmd_case.c — TEMPORARY (init16 before gate12 lands): `rert case init`. Replaced by gate12's
 * cmd_case.c with one more row in its subcommand table. */
#include <string.h>

#include "cli/case_init_cli.h"
#include "cli/cli.h"

static int run(const rert_args *a, rert_err *err) {
  if (strcmp(cli_pos(a, 0), "init"))
    return rert_err_set(err, RERT_EINPUT, "case: unknown subcommand \"%s\" (init EXPORT_DIR)", cli_pos(a, 0));
  return case_init_run(a, err);
}

static const rert_opt opts[] = {CASE_INIT_OPTS, {0}};

const rert_cmd rert_cmd_case = {
    "case", "work on a case file as a whole (case init)", "init EXPORT_DIR", "temporary", opts,
    "rert case init export/ --out case.json", 2, 2, run};
