/* case_init_cli.c — `rert case init EXPORT_DIR [--out case.json] [--json]`: parse, call the
 * caseinit module (rert/caseinit.h), print. One row of cmd_case.c's subcommand table.
 *
 * Exit status: 0 the case file was written and its check is clean (the TODOs left are
 * confirmations and clinical facts); 4 (RERT_EINCOMPLETE) the case file was written but blocking
 * TODOs remain (an ambiguity, a value DICOM does not hold, a gate refusal): nothing may be
 * computed from it until they are resolved; 2 nothing was written (not an export, several
 * patients without --patient, the output exists without --force, …). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/case_init_cli.h"
#include "rert/caseinit.h"

int case_init_run(const rert_args *a, rert_err *err) {
  caseinit_opts o;
  memset(&o, 0, sizeof o);
  o.export_dir = cli_pos(a, 1);
  o.case_path = cli_str(a, "out");
  if (!o.case_path || !*o.case_path) o.case_path = "case.json";
  o.planned = cli_str(a, "planned");
  o.patient_id = cli_str(a, "patient");
  caseinit_result r;
  int rc = caseinit_draft(&o, &r, err);
  if (rc) return rc;
  if ((rc = caseinit_check(&r, err))) {
    caseinit_free(&r);
    return rc;
  }
  if ((rc = caseinit_write(&r, o.case_path, o.export_dir, cli_flag(a, "force"), err))) {
    caseinit_free(&r);
    return rc;
  }
  if (cli_json(a)) cli_print_json(caseinit_result_json(&r));
  else caseinit_print(&r, stdout);
  rc = r.nblocking ? RERT_EINCOMPLETE : RERT_OK;
  if (rc) rert_err_set(err, rc, "%s: written with %d blocking TODO(s) ($.x_case_init.todo): "
                       "resolve them before computing", o.case_path, r.nblocking);
  caseinit_free(&r);
  return rc;
}
