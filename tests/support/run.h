/* run.h — test helpers: run the rert binary and capture stdout/exit status, parse JSON output. */
#ifndef RERT_TEST_RUN_H
#define RERT_TEST_RUN_H

#include <cjson/cJSON.h>

/* Runs "RERT_BIN <args>" through the shell; returns the exit status, *out gets stdout (malloc'd,
 * caller frees; may be NULL). stderr is appended to *err_out when err_out is not NULL. */
int run_rert(const char *args, char **out, char **err_out);
/* Runs rert with --json appended and parses stdout; returns exit status; *json NULL if unparsable. */
int run_rert_json(const char *args, cJSON **json);
/* Number at a dotted path ("limit.effective_eqd2_gy", "max_new_dose.0.total_dose_gy"). NaN if absent. */
double json_path_num(const cJSON *root, const char *path);
const char *json_path_str(const cJSON *root, const char *path);
/* Fresh temporary directory (mkdtemp under $TMPDIR or /tmp); caller may leave it. */
const char *test_tmpdir(void);

#endif
