/* data.c — data directory lookup, JSON file loading and typed field access (rert/data.h). */
#include "rert/data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef RERT_DATA_DIR
#define RERT_DATA_DIR "/usr/local/share/rert/data"
#endif

const char *data_dir(void) {
  const char *env = getenv("RERT_DATA_DIR");
  if (env && *env) return env;
  struct stat st;
  if (stat(RERT_DATA_DIR, &st) == 0) return RERT_DATA_DIR;
  return "/usr/local/share/rert/data";
}

int file_read_all(const char *path, char **buf, size_t *len, rert_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return rert_err_set(err, RERT_EINPUT, "%s: cannot open (%s)", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap + 1);
  if (!b) {
    fclose(f);
    return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
  }
  for (;;) {
    size_t r = fread(b + n, 1, cap - n, f);
    n += r;
    if (n < cap) break;
    cap *= 2;
    char *nb = realloc(b, cap + 1);
    if (!nb) {
      free(b);
      fclose(f);
      return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
    }
    b = nb;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(b);
    return rert_err_set(err, RERT_EINPUT, "%s: read error", path);
  }
  b[n] = 0;
  *buf = b;
  if (len) *len = n;
  return RERT_OK;
}

int json_load_file(const char *path, cJSON **out, rert_err *err) {
  char *buf;
  size_t n;
  int rc = file_read_all(path, &buf, &n, err);
  if (rc) return rc;
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(buf, n, &end, 0);
  if (!j) {
    long line = 1;
    const char *p = end ? end : buf;
    for (const char *q = buf; q < p && *q; q++)
      if (*q == '\n') line++;
    free(buf);
    return rert_err_set(err, RERT_EINPUT, "%s: invalid JSON near line %ld", path, line);
  }
  free(buf);
  *out = j;
  return RERT_OK;
}

int data_load_json(const char *relpath, cJSON **out, rert_err *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", data_dir(), relpath);
  return json_load_file(path, out, err);
}

int json_get_number(const cJSON *obj, const char *key, double *out, const char *ctx,
                    rert_err *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v) return rert_err_set(err, RERT_EINPUT, "%s: missing field '%s'", ctx, key);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return rert_err_set(err, RERT_EINPUT, "%s: field '%s' must be a number", ctx, key);
  *out = v->valuedouble;
  return RERT_OK;
}

int json_get_string(const cJSON *obj, const char *key, const char **out, const char *ctx,
                    rert_err *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v) return rert_err_set(err, RERT_EINPUT, "%s: missing field '%s'", ctx, key);
  if (!cJSON_IsString(v))
    return rert_err_set(err, RERT_EINPUT, "%s: field '%s' must be a string", ctx, key);
  *out = v->valuestring;
  return RERT_OK;
}

int json_opt_number(const cJSON *obj, const char *key, double *out, const char *ctx,
                    rert_err *err) {
  if (!cJSON_GetObjectItemCaseSensitive(obj, key)) return RERT_OK;
  return json_get_number(obj, key, out, ctx, err);
}

int json_opt_string(const cJSON *obj, const char *key, const char **out, const char *ctx,
                    rert_err *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v || cJSON_IsNull(v)) return RERT_OK;
  return json_get_string(obj, key, out, ctx, err);
}

cJSON *json_add_num(cJSON *obj, const char *key, double v) {
  /* the value as computed: printed at full precision by json_print_full (no rounding here) */
  if (!isfinite(v)) return cJSON_AddNullToObject(obj, key);
  return cJSON_AddNumberToObject(obj, key, v);
}
