/* cli.h — the command table every `rert` subcommand is declared in, and argument access.
 *
 * Each subcommand lives in src/cli/cmd_<name>.c and defines `const rert_cmd rert_cmd_<name>`
 * (CMake generates the registry). The table is the single description of the command: the
 * parser, `rert help`, `rert CMD --help`, the man page (`rert help --man`) and the markdown
 * reference in docs/cli.md and README (`rert help --markdown`) are all produced from it.
 *
 * Option values may carry their unit when the option declares one: `--dose 46Gy`, `--dose 4600cGy`.
 * A number given without a unit to an option whose name does not already state the unit is
 * refused, so a dose can never be read in the wrong unit.
 */
#ifndef RERT_CLI_H
#define RERT_CLI_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "rert/err.h"

typedef enum {
  OPT_FLAG, /* boolean, no value */
  OPT_STR,
  OPT_INT,
  OPT_NUM,  /* double; `unit` says what suffix is accepted */
  OPT_DATE, /* YYYY-MM-DD */
  OPT_LIST  /* repeatable; each occurrence may also be comma-separated */
} rert_opt_type;

typedef struct {
  const char *name;    /* long option without dashes */
  rert_opt_type type;
  const char *def;     /* default as text, NULL = none (absent) */
  const char *help;
  const char *unit;    /* OPT_NUM: "Gy", "h", "d", "months", "mm", "cc", "" (dimensionless); a
                          value must carry it unless unit_in_name is set */
  int unit_in_name;    /* the option name states the unit (e.g. dose-gy): bare numbers allowed */
} rert_opt;

typedef struct rert_args rert_args;

typedef struct {
  const char *name;
  const char *summary;     /* one line */
  const char *usage;       /* positional part, e.g. "CASE.json" or "" */
  const char *description; /* paragraph(s) */
  const rert_opt *opts;    /* terminated by {0} */
  const char *examples;    /* lines of example invocations, '\n'-separated */
  int min_positional, max_positional; /* max < 0 = unbounded */
  int (*run)(const rert_args *args, rert_err *err);
} rert_cmd;

extern const rert_cmd *const rert_commands[];

/* access (names without dashes) */
int cli_has(const rert_args *a, const char *name);          /* given on the command line */
int cli_flag(const rert_args *a, const char *name);
const char *cli_str(const rert_args *a, const char *name);  /* value, default or NULL */
int cli_int(const rert_args *a, const char *name, int *out, rert_err *err);
int cli_num(const rert_args *a, const char *name, double *out, rert_err *err);
int cli_list_count(const rert_args *a, const char *name);
const char *cli_list_item(const rert_args *a, const char *name, int i);
int cli_npos(const rert_args *a);
const char *cli_pos(const rert_args *a, int i);
int cli_json(const rert_args *a); /* --json was given */
const rert_cmd *cli_command(const rert_args *a);

/* Parse "46Gy", "4600cGy", "46 Gy" for a quantity in unit `unit`; `what` names it in errors.
 * require_unit: a bare number is an error (message says how to write it). */
int cli_parse_quantity(const char *s, const char *unit, int require_unit, const char *what,
                       double *out, rert_err *err);

/* Print a JSON document to stdout (adds "rert_version"); frees it. */
void cli_print_json(cJSON *root);

/* help output */
void cli_print_command_help(const rert_cmd *c, FILE *f);
void cli_print_overview(FILE *f);
void cli_print_man(FILE *f);
void cli_print_markdown(FILE *f);
int cli_main(int argc, char **argv);

#endif
