/* tissue.c — α/β and repair/repopulation parameters from data/tissues.json (rert/tissue.h,
 * domain-reference §2). Lookup order: exact id, organ (default entry), alias, then the name with
 * a laterality suffix (_L/_R) removed — so Parotid_L and OpticNrv_R find their organ entry. */
#include "rert/tissue.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rert/data.h"

static int fill(const cJSON *e, tissue_params *t, rert_err *err) {
  memset(t, 0, sizeof *t);
  const char *id = NULL, *organ = NULL, *s = NULL;
  char ctx[128];
  int rc = json_get_string(e, "id", &id, "tissues.json", err);
  if (rc) return rc;
  snprintf(ctx, sizeof ctx, "tissues.json: %s", id);
  snprintf(t->id, sizeof t->id, "%s", id);
  if ((rc = json_get_string(e, "organ", &organ, ctx, err))) return rc;
  snprintf(t->organ, sizeof t->organ, "%s", organ);
  if ((rc = json_get_number(e, "alpha_beta_gy", &t->alpha_beta_gy, ctx, err))) return rc;
  if (!(t->alpha_beta_gy > 0))
    return rert_err_set(err, RERT_EINPUT, "%s: alpha_beta_gy must be > 0", ctx);
  if ((rc = json_get_string(e, "source", &s, ctx, err))) return rc;
  snprintf(t->source, sizeof t->source, "%s", s);
  t->repair_halftime_h = t->tk_days = t->dprolif_gy_per_day = NAN;
  if ((rc = json_opt_number(e, "repair_halftime_h", &t->repair_halftime_h, ctx, err))) return rc;
  if ((rc = json_opt_number(e, "tk_days", &t->tk_days, ctx, err))) return rc;
  if ((rc = json_opt_number(e, "dprolif_gy_per_day", &t->dprolif_gy_per_day, ctx, err))) return rc;
  s = NULL;
  if ((rc = json_opt_string(e, "endpoint", &s, ctx, err))) return rc;
  if (s) snprintf(t->endpoint, sizeof t->endpoint, "%s", s);
  s = "oar";
  if ((rc = json_opt_string(e, "kind", &s, ctx, err))) return rc;
  snprintf(t->kind, sizeof t->kind, "%s", s);
  s = NULL;
  if ((rc = json_opt_string(e, "note", &s, ctx, err))) return rc;
  if (s) snprintf(t->note, sizeof t->note, "%s", s);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "verified");
  if (!cJSON_IsBool(v)) return rert_err_set(err, RERT_EINPUT, "%s: 'verified' must be true/false", ctx);
  t->verified = cJSON_IsTrue(v);
  return RERT_OK;
}

static int is_default(const cJSON *e) {
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "default_for_organ");
  return !d || cJSON_IsTrue(d);
}

static const cJSON *find_entry(const cJSON *list, const char *name) {
  const cJSON *e;
  cJSON_ArrayForEach(e, list) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    if (cJSON_IsString(id) && strcasecmp(id->valuestring, name) == 0) return e;
  }
  cJSON_ArrayForEach(e, list) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "organ");
    if (is_default(e) && cJSON_IsString(o) && strcasecmp(o->valuestring, name) == 0) return e;
  }
  cJSON_ArrayForEach(e, list) {
    const cJSON *a;
    if (!is_default(e)) continue;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(e, "aliases")) {
      if (cJSON_IsString(a) && strcasecmp(a->valuestring, name) == 0) return e;
    }
  }
  return NULL;
}

int tissue_lookup(const char *name, tissue_params *out, rert_err *err) {
  if (!name || !*name) return rert_err_set(err, RERT_EINPUT, "empty tissue name");
  cJSON *j;
  int rc = data_load_json("tissues.json", &j, err);
  if (rc) return rc;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "tissues");
  const cJSON *e = find_entry(list, name);
  char base[128];
  if (!e) {
    /* strip laterality (_L, _R) and TG-263 numbered/qualified suffixes after the first '_' */
    snprintf(base, sizeof base, "%s", name);
    size_t n = strlen(base);
    if (n > 2 && base[n - 2] == '_' && (base[n - 1] == 'L' || base[n - 1] == 'R' ||
                                        base[n - 1] == 'l' || base[n - 1] == 'r')) {
      base[n - 2] = 0;
      e = find_entry(list, base);
    }
  }
  if (!e) {
    cJSON_Delete(j);
    return rert_err_set(err, RERT_EINPUT,
                        "unknown tissue '%s' (not in data/tissues.json; `rert eqd2 --list-tissues` "
                        "lists the names, or give --alpha-beta-gy)",
                        name);
  }
  rc = fill(e, out, err);
  cJSON_Delete(j);
  return rc;
}

int tissue_list(tissue_params *out, int max, int *n, rert_err *err) {
  cJSON *j;
  int rc = data_load_json("tissues.json", &j, err);
  if (rc) return rc;
  *n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "tissues")) {
    if (*n >= max) break;
    if ((rc = fill(e, &out[*n], err))) break;
    (*n)++;
  }
  cJSON_Delete(j);
  return rc;
}

int tissue_default_alpha_beta(const char *which, double *ab, rert_err *err) {
  cJSON *j;
  int rc = data_load_json("tissues.json", &j, err);
  if (rc) return rc;
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "defaults"), which);
  if (!d) rc = rert_err_set(err, RERT_EINPUT, "tissues.json: no default '%s'", which);
  else rc = json_get_number(d, "alpha_beta_gy", ab, "tissues.json: defaults", err);
  cJSON_Delete(j);
  return rc;
}
