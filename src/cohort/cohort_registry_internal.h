/* cohort_registry_internal.h — the registry handle and SQL helpers shared by the registry,
 * export and analysis sources (not public API). */
#ifndef RERT_COHORT_REGISTRY_INTERNAL_H
#define RERT_COHORT_REGISTRY_INTERNAL_H

#include <sqlite3.h>

#include "rert/cohort.h"

struct cohort_registry {
  sqlite3 *db;
  char path[COHORT_PATH_LEN];
};

int cohort_reg_exec(cohort_registry *r, const char *sql, rert_err *err);
int cohort_reg_prepare(cohort_registry *r, const char *sql, sqlite3_stmt **st, rert_err *err);

/* Counts of a finished run (ok, failed incl. refused, skipped); finished = 0 while unfinished. */
int cohort_reg_run_counts(cohort_registry *r, long long run_id, cohort_run_summary *s, rert_err *err);

#endif
