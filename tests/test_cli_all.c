/* Every subcommand listed by `rert help` honours the command-table contract of issue #2:
 * `--help` prints its usage and exits 0; a bad option exits 2 with one line on stderr naming the
 * option, and with --json the same error is a JSON object on stdout (exit_code 2). The expected
 * behaviour is the documented contract (README "Exit status", src/cli/cli.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/run.h"

Test(cli_all, every_command_help_and_json_errors) {
  char *out = NULL;
  cr_assert_eq(run_rert("help", &out, NULL), 0);
  int ncmd = 0;
  char *save = NULL;
  for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char name[64];
    if (strncmp(line, "  ", 2) != 0 || sscanf(line + 2, "%63s", name) != 1) continue;
    if (strcmp(name, "help") == 0) continue;
    ncmd++;
    char args[256], *h = NULL, *err = NULL;
    snprintf(args, sizeof args, "%s --help", name);
    cr_assert_eq(run_rert(args, &h, NULL), 0, "rert %s --help", name);
    char want[96];
    snprintf(want, sizeof want, "usage: rert %s", name);
    cr_assert(strncmp(h, want, strlen(want)) == 0, "rert %s --help starts with: %.60s", name, h);
    free(h);
    snprintf(args, sizeof args, "%s --no-such-option-xyz", name);
    cr_assert_eq(run_rert(args, NULL, &err), 2, "rert %s with a bad option", name);
    cr_assert(strstr(err, "no-such-option-xyz"), "rert %s: stderr should name the option: %s", name, err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "rert %s: one line on stderr: %s", name, err);
    free(err);
    cJSON *j = NULL;
    snprintf(args, sizeof args, "%s --no-such-option-xyz", name);
    cr_assert_eq(run_rert_json(args, &j), 2);
    cr_assert_not_null(j, "rert %s --json: stdout is not JSON", name);
    cr_assert_not_null(json_path_str(j, "error"));
    cr_assert_eq(json_path_num(j, "exit_code"), 2);
    cJSON_Delete(j);
  }
  cr_assert_geq(ncmd, 10, "only %d commands listed", ncmd);
  free(out);
}
