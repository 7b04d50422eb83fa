/* protocol.c — loading and validating constraint protocols (data/protocols/NAME.json; schema in
 * docs/protocols.md; domain-reference §5, §3.4–§3.5, §11.1).
 *
 * Validation is strict because a mistyped comparator or scope silently changes a clinical
 * verdict: every field is checked and the message names file, constraint id and field.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rert/compare.h"
#include "rert/data.h"
#include "rert/protocol.h"
#include "rert/recovery.h"

const char *protocol_cmp_name(protocol_cmp c) {
  static const char *n[] = {"<", "<=", ">", ">="};
  return (unsigned)c < 4 ? n[c] : "?";
}
const char *protocol_tier_name(protocol_tier t) {
  static const char *n[] = {"mandatory", "acceptable", "desirable", "informational"};
  return (unsigned)t < 4 ? n[t] : "?";
}
const char *protocol_scope_name(protocol_scope s) {
  return s == SCOPE_CUMULATIVE ? "cumulative" : "new_course";
}
const char *protocol_quantity_name(protocol_quantity q) {
  static const char *n[] = {"EQD2", "BED", "dose"};
  return (unsigned)q < 3 ? n[q] : "?";
}
int protocol_tier_is_hard(protocol_tier t) { return t == TIER_MANDATORY || t == TIER_ACCEPTABLE; }

/* Decided with the project's one tolerance (rert/compare.h): a value equal to the limit within
 * 1e-6 relative is equal, so float32 storage cannot flip "<= 65" or "< 72". */
int protocol_compare(protocol_cmp c, double v, double l) {
  switch (c) {
  case CMP_LT: return rert_lt(v, l);
  case CMP_LE: return rert_le(v, l);
  case CMP_GT: return rert_gt(v, l);
  case CMP_GE: return rert_ge(v, l);
  }
  return 0;
}

int protocol_interval_applies(const protocol_interval *c, double t, char *why, size_t whylen) {
  int ok = 1;
  char lo[48] = "", hi[48] = "";
  if (c->has_min) {
    ok = ok && (c->min_inclusive ? rert_ge(t, c->min_months) : rert_gt(t, c->min_months));
    snprintf(lo, sizeof lo, "%s %g", c->min_inclusive ? ">=" : ">", c->min_months);
  }
  if (c->has_max) {
    ok = ok && (c->max_inclusive ? rert_le(t, c->max_months) : rert_lt(t, c->max_months));
    snprintf(hi, sizeof hi, "%s%s %g", c->has_min ? " and " : "", c->max_inclusive ? "<=" : "<",
             c->max_months);
  }
  if (why && whylen) {
    if (!c->has_min && !c->has_max)
      snprintf(why, whylen, "no interval condition");
    else
      snprintf(why, whylen, "interval %.1f mo %s condition %s%s mo", t,
               ok ? "meets" : "does not meet", lo, hi);
  }
  return ok;
}

int protocol_organ_matches(const char *organ, const char *name) {
  size_t n = strlen(organ);
  if (!strcasecmp(organ, name)) return 1;
  /* laterality suffixes per TG-263: _L, _R (and the organ itself given as Parotid_L matches
   * only that side, handled by the exact comparison above) */
  if (strncasecmp(organ, name, n) == 0 && (!strcasecmp(name + n, "_L") || !strcasecmp(name + n, "_R")))
    return 1;
  return 0;
}

static int parse_enum(const char *s, const char *const *names, int count, int *out) {
  for (int i = 0; i < count; i++)
    if (!strcmp(s, names[i])) { *out = i; return 1; }
  return 0;
}

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static int get_str(const cJSON *o, const char *key, int required, const char **out,
                   const char *ctx, rert_err *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v || cJSON_IsNull(v)) {
    if (required) return rert_err_set(err, RERT_EINPUT, "%s: missing field \"%s\"", ctx, key);
    *out = "";
    return RERT_OK;
  }
  if (!cJSON_IsString(v)) return rert_err_set(err, RERT_EINPUT, "%s: \"%s\" must be a string", ctx, key);
  *out = v->valuestring;
  return RERT_OK;
}

static int get_bool(const cJSON *o, const char *key, int *out, const char *ctx, rert_err *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return rert_err_set(err, RERT_EINPUT, "%s: missing field \"%s\" (true/false)", ctx, key);
  if (!cJSON_IsBool(v)) return rert_err_set(err, RERT_EINPUT, "%s: \"%s\" must be true or false", ctx, key);
  *out = cJSON_IsTrue(v);
  return RERT_OK;
}

static int parse_interval(const cJSON *o, protocol_interval *iv, const char *ctx, rert_err *err) {
  memset(iv, 0, sizeof *iv);
  if (!o || cJSON_IsNull(o)) return RERT_OK;
  if (!cJSON_IsObject(o)) return rert_err_set(err, RERT_EINPUT, "%s: \"interval\" must be an object", ctx);
  for (const cJSON *f = o->child; f; f = f->next) {
    if (strcmp(f->string, "min_months") && strcmp(f->string, "max_months") &&
        strcmp(f->string, "min_inclusive") && strcmp(f->string, "max_inclusive"))
      return rert_err_set(err, RERT_EINPUT, "%s: interval: unknown field \"%s\"", ctx, f->string);
  }
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "min_months");
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "max_months");
  if (a) {
    if (!cJSON_IsNumber(a) || a->valuedouble < 0)
      return rert_err_set(err, RERT_EINPUT, "%s: interval.min_months must be a number >= 0", ctx);
    iv->has_min = 1;
    iv->min_months = a->valuedouble;
    if (get_bool(o, "min_inclusive", &iv->min_inclusive, ctx, err)) return RERT_EINPUT;
  }
  if (b) {
    if (!cJSON_IsNumber(b) || b->valuedouble < 0)
      return rert_err_set(err, RERT_EINPUT, "%s: interval.max_months must be a number >= 0", ctx);
    iv->has_max = 1;
    iv->max_months = b->valuedouble;
    if (get_bool(o, "max_inclusive", &iv->max_inclusive, ctx, err)) return RERT_EINPUT;
  }
  if (!a && !b) return rert_err_set(err, RERT_EINPUT, "%s: interval needs min_months and/or max_months", ctx);
  if (a && b && iv->min_months > iv->max_months)
    return rert_err_set(err, RERT_EINPUT, "%s: interval.min_months > max_months", ctx);
  return RERT_OK;
}

static const char *const KNOWN_FIELDS[] = {
    "id", "organ", "metric", "limit_gy", "limit", "unit", "comparator", "tier", "scope",
    "quantity", "rbe_model", "interval", "alpha_beta_gy", "recovery", "notes", "source",
    "verified", NULL};

static int parse_constraint(const cJSON *o, const char *file, int idx, protocol_constraint *c,
                            rert_err *err) {
  char ctx[200];
  snprintf(ctx, sizeof ctx, "%s: constraints[%d]", file, idx);
  if (!cJSON_IsObject(o)) return rert_err_set(err, RERT_EINPUT, "%s: must be an object", ctx);
  const char *s = "";
  if (get_str(o, "id", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!*s || strlen(s) >= sizeof c->id) return rert_err_set(err, RERT_EINPUT, "%s: bad id", ctx);
  COPY(c->id, s);
  snprintf(ctx, sizeof ctx, "%s: constraint %s", file, c->id);
  for (const cJSON *f = o->child; f; f = f->next) {
    int known = 0;
    for (int i = 0; KNOWN_FIELDS[i]; i++) known |= !strcmp(f->string, KNOWN_FIELDS[i]);
    if (!known) return rert_err_set(err, RERT_EINPUT, "%s: unknown field \"%s\"", ctx, f->string);
  }
  if (get_str(o, "organ", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!*s || strlen(s) >= sizeof c->organ) return rert_err_set(err, RERT_EINPUT, "%s: bad organ", ctx);
  COPY(c->organ, s);
  if (get_str(o, "metric", 1, &s, ctx, err)) return RERT_EINPUT;
  if (protocol_metric_parse(s, &c->metric, err)) return rert_err_prefix(err, RERT_EINPUT, "%s", ctx);

  static const char *const cmps[] = {"<", "<=", ">", ">="};
  static const char *const tiers[] = {"mandatory", "acceptable", "desirable", "informational"};
  static const char *const scopes[] = {"cumulative", "new_course"};
  static const char *const qtys[] = {"EQD2", "BED", "dose"};
  int e;
  if (get_str(o, "comparator", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!parse_enum(s, cmps, 4, &e))
    return rert_err_set(err, RERT_EINPUT, "%s: comparator \"%s\" must be <, <=, > or >=", ctx, s);
  c->cmp = (protocol_cmp)e;
  if (get_str(o, "tier", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!parse_enum(s, tiers, 4, &e))
    return rert_err_set(err, RERT_EINPUT,
                        "%s: tier \"%s\" must be mandatory, acceptable, desirable or informational", ctx, s);
  c->tier = (protocol_tier)e;
  if (get_str(o, "scope", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!parse_enum(s, scopes, 2, &e))
    return rert_err_set(err, RERT_EINPUT, "%s: scope \"%s\" must be cumulative or new_course", ctx, s);
  c->scope = (protocol_scope)e;
  if (get_str(o, "quantity", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!parse_enum(s, qtys, 3, &e))
    return rert_err_set(err, RERT_EINPUT, "%s: quantity \"%s\" must be EQD2, BED or dose", ctx, s);
  c->quantity = (protocol_quantity)e;
  if (c->scope == SCOPE_CUMULATIVE && c->quantity == PQ_DOSE)
    return rert_err_set(err, RERT_EINPUT,
                        "%s: a cumulative limit must be EQD2 or BED (courses are summed biologically)", ctx);
  if (get_str(o, "rbe_model", 0, &s, ctx, err)) return RERT_EINPUT;
  if (*s) {
    if (rbe_model_parse(s, &c->rbe, err)) return rert_err_prefix(err, RERT_EINPUT, "%s: rbe_model", ctx);
    c->has_rbe_model = 1;
  }

  /* limit: limit_gy for dose metrics, or limit + unit */
  const cJSON *lg = cJSON_GetObjectItemCaseSensitive(o, "limit_gy");
  const cJSON *lv = cJSON_GetObjectItemCaseSensitive(o, "limit");
  int is_volume = c->metric.kind == MET_V_GY || c->metric.kind == MET_CV_GY;
  if (lg && lv) return rert_err_set(err, RERT_EINPUT, "%s: give limit_gy or limit+unit, not both", ctx);
  const cJSON *L = lg ? lg : lv;
  if (!L) return rert_err_set(err, RERT_EINPUT, "%s: missing field \"limit_gy\"", ctx);
  if (cJSON_IsNull(L)) {
    if (c->tier != TIER_INFORMATIONAL)
      return rert_err_set(err, RERT_EINPUT, "%s: limit may be null (ALARA) only for tier informational", ctx);
    c->has_limit = 0;
    c->limit = NAN;
  } else {
    if (!cJSON_IsNumber(L) || !isfinite(L->valuedouble) || L->valuedouble < 0)
      return rert_err_set(err, RERT_EINPUT, "%s: %s must be a number >= 0", ctx, lg ? "limit_gy" : "limit");
    c->has_limit = 1;
    c->limit = L->valuedouble;
  }
  if (lg) {
    if (is_volume)
      return rert_err_set(err, RERT_EINPUT, "%s: metric %s is a volume; use limit + unit (%% or cc)",
                          ctx, c->metric.text);
    COPY(c->limit_unit, c->has_rbe_model && c->quantity == PQ_DOSE ? "Gy(RBE)" : "Gy");
  } else {
    if (get_str(o, "unit", 1, &s, ctx, err)) return RERT_EINPUT;
    const char *want = !is_volume ? "Gy" : c->metric.volume_in_pct ? "%" : "cc";
    if (strcmp(s, want) && !(!is_volume && !strcmp(s, "Gy(RBE)")))
      return rert_err_set(err, RERT_EINPUT, "%s: unit \"%s\" does not match metric %s (expected %s)",
                          ctx, s, c->metric.text, want);
    COPY(c->limit_unit, s);
  }
  if (parse_interval(cJSON_GetObjectItemCaseSensitive(o, "interval"), &c->interval, ctx, err))
    return RERT_EINPUT;

  const cJSON *ab = cJSON_GetObjectItemCaseSensitive(o, "alpha_beta_gy");
  if (!ab) return rert_err_set(err, RERT_EINPUT, "%s: missing field \"alpha_beta_gy\" (null = not stated)", ctx);
  if (cJSON_IsNull(ab)) c->alpha_beta_gy = NAN;
  else if (cJSON_IsNumber(ab) && ab->valuedouble > 0 && isfinite(ab->valuedouble)) c->alpha_beta_gy = ab->valuedouble;
  else return rert_err_set(err, RERT_EINPUT, "%s: alpha_beta_gy must be a number > 0 or null", ctx);

  if (get_str(o, "recovery", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!*s || strlen(s) >= sizeof c->recovery)
    return rert_err_set(err, RERT_EINPUT, "%s: recovery must name a model (\"none\", \"case\", ...)", ctx);
  COPY(c->recovery, s);
  if (strcmp(s, "case")) {
    recovery_model rm;
    if (recovery_model_get(s, &rm, err))
      return rert_err_prefix(err, RERT_EINPUT, "%s: recovery", ctx);
  }
  if (c->scope == SCOPE_NEW_COURSE && strcmp(c->recovery, "none"))
    return rert_err_set(err, RERT_EINPUT, "%s: a new_course limit ignores prior courses; recovery must be \"none\"", ctx);
  if (get_str(o, "notes", 0, &s, ctx, err)) return RERT_EINPUT;
  COPY(c->notes, s);
  if (get_str(o, "source", 1, &s, ctx, err)) return RERT_EINPUT;
  if (!*s) return rert_err_set(err, RERT_EINPUT, "%s: source must cite where the limit comes from", ctx);
  COPY(c->source, s);
  if (get_bool(o, "verified", &c->verified, ctx, err)) return RERT_EINPUT;
  return RERT_OK;
}

void protocol_free(rert_protocol *p) {
  if (!p) return;
  free(p->constraints);
  memset(p, 0, sizeof *p);
}

int protocol_from_json(const void *root_v, const char *file, rert_protocol *p, rert_err *err) {
  const cJSON *root = root_v;
  memset(p, 0, sizeof *p);
  if (!cJSON_IsObject(root)) return rert_err_set(err, RERT_EINPUT, "%s: top level must be an object", file);
  const char *s = "";
  if (get_str(root, "schema", 1, &s, file, err)) return RERT_EINPUT;
  if (strcmp(s, "rert-protocol/1"))
    return rert_err_set(err, RERT_EINPUT, "%s: schema \"%s\" is not rert-protocol/1", file, s);
  if (get_str(root, "name", 1, &s, file, err)) return RERT_EINPUT;
  if (!*s || strlen(s) >= sizeof p->name) return rert_err_set(err, RERT_EINPUT, "%s: bad name", file);
  COPY(p->name, s);
  if (get_str(root, "title", 1, &s, file, err)) return RERT_EINPUT;
  COPY(p->title, s);
  if (get_str(root, "description", 0, &s, file, err)) return RERT_EINPUT;
  COPY(p->description, s);
  if (get_str(root, "applies_to", 0, &s, file, err)) return RERT_EINPUT;
  COPY(p->applies_to, s);
  if (get_str(root, "source", 1, &s, file, err)) return RERT_EINPUT;
  COPY(p->source, s);
  if (get_bool(root, "verified", &p->verified, file, err)) return RERT_EINPUT;
  const cJSON *cf = cJSON_GetObjectItemCaseSensitive(root, "conflicts");
  if (cf) {
    if (!cJSON_IsArray(cf)) return rert_err_set(err, RERT_EINPUT, "%s: conflicts must be an array of strings", file);
    const cJSON *x;
    cJSON_ArrayForEach(x, cf) {
      if (!cJSON_IsString(x)) return rert_err_set(err, RERT_EINPUT, "%s: conflicts must be strings", file);
      if (p->nconflicts < 4) COPY(p->conflicts[p->nconflicts++], x->valuestring);
    }
  }
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "constraints");
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
    return rert_err_set(err, RERT_EINPUT, "%s: \"constraints\" must be a non-empty array", file);
  int n = cJSON_GetArraySize(arr);
  p->constraints = calloc((size_t)n, sizeof *p->constraints);
  if (!p->constraints) return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", file);
  int i = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    if (parse_constraint(o, file, i, &p->constraints[i], err)) {
      protocol_free(p);
      return RERT_EINPUT;
    }
    for (int j = 0; j < i; j++)
      if (!strcmp(p->constraints[j].id, p->constraints[i].id)) {
        rert_err_set(err, RERT_EINPUT, "%s: duplicate constraint id \"%s\"", file, p->constraints[i].id);
        protocol_free(p);
        return RERT_EINPUT;
      }
    i++;
  }
  p->nconstraints = n;
  return RERT_OK;
}

int protocol_load(const char *name, rert_protocol *p, rert_err *err) {
  char path[1024];
  size_t L = strlen(name);
  if (strchr(name, '/') || (L > 5 && !strcmp(name + L - 5, ".json")))
    snprintf(path, sizeof path, "%s", name);
  else
    snprintf(path, sizeof path, "%s/protocols/%s.json", data_dir(), name);
  cJSON *root = NULL;
  int rc = json_load_file(path, &root, err);
  if (rc) {
    if (!strchr(name, '/'))
      rert_err_prefix(err, rc, "protocol \"%s\" (see `rert protocols list`)", name);
    return rc;
  }
  rc = protocol_from_json(root, path, p, err);
  cJSON_Delete(root);
  if (!rc) COPY(p->path, path);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void protocol_names_free(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

int protocol_names(char ***names, int *n, rert_err *err) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/protocols", data_dir());
  *names = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return rert_err_set(err, RERT_EINPUT, "%s: cannot open protocol directory", dir);
  int cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t L = strlen(e->d_name);
    if (L <= 5 || strcmp(e->d_name + L - 5, ".json") || e->d_name[0] == '.') continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 32;
      char **nn = realloc(*names, (size_t)cap * sizeof *nn);
      if (!nn) { closedir(d); protocol_names_free(*names, *n); *names = NULL; *n = 0;
                 return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
      *names = nn;
    }
    (*names)[*n] = strndup(e->d_name, L - 5);
    if (!(*names)[*n]) { closedir(d); protocol_names_free(*names, *n); *names = NULL; *n = 0;
                         return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
    (*n)++;
  }
  closedir(d);
  if (*n) qsort(*names, (size_t)*n, sizeof **names, cmp_str);
  return RERT_OK;
}
