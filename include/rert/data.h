/* data.h — locating and loading rert's JSON data tables (the files under data/).
 *
 * Clinical numbers (α/β, recovery factors, constraint limits, RBE conversion points) live in
 * data/ with a citation on every entry, never as C literals. The directory is taken from the
 * RERT_DATA_DIR environment variable, else the source tree's data/ compiled in at build time,
 * else <prefix>/share/rert/data.
 */
#ifndef RERT_DATA_H
#define RERT_DATA_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "rert/err.h"

const char *data_dir(void);
/* Parse data/<relpath>; caller owns the result (cJSON_Delete). */
int data_load_json(const char *relpath, cJSON **out, rert_err *err);
/* Parse any JSON file; messages name the file and the offending position. */
int json_load_file(const char *path, cJSON **out, rert_err *err);
/* Read a whole file into a NUL-terminated malloc'd buffer. */
int file_read_all(const char *path, char **buf, size_t *len, rert_err *err);

/* Typed field access with messages like "tissues.json: SpinalCord: alpha_beta_gy must be a number". */
int json_get_number(const cJSON *obj, const char *key, double *out, const char *ctx, rert_err *err);
int json_get_string(const cJSON *obj, const char *key, const char **out, const char *ctx,
                    rert_err *err);
/* Optional variants: return RERT_OK and leave *out unchanged when the key is absent. */
int json_opt_number(const cJSON *obj, const char *key, double *out, const char *ctx, rert_err *err);
int json_opt_string(const cJSON *obj, const char *key, const char **out, const char *ctx,
                    rert_err *err);
/* Add a number as computed (NaN/Inf as null); json_print_full prints it at full precision. */
cJSON *json_add_num(cJSON *obj, const char *key, double v);
/* JSON text of `item` with every number at full precision: the shortest of %.15g/%.16g/%.17g
 * that reads back to the same double (so nothing is lost, unlike cJSON_Print's 15 digits with a
 * tolerance); NaN/Inf as null; layout as cJSON_Print (formatted) or cJSON_PrintUnformatted.
 * malloc'd, NULL when out of memory. */
char *json_print_full(const cJSON *item, int formatted);

#endif
