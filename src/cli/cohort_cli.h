/* cohort_cli.h — printing helpers of `rert cohort` (cohort_cli.c). */
#ifndef RERT_COHORT_CLI_H
#define RERT_COHORT_CLI_H

#include "cli/cli.h"
#include "rert/cohort.h"

int cohort_cli_analyse(const rert_args *a, rert_err *err);
int cohort_cli_status(const rert_args *a, rert_err *err);
int cohort_cli_count_not_ok(const char *registry, long long run_id, int *n, rert_err *err);

#endif
