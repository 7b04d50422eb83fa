/* recovery.c — named tissue-recovery models and the Nieder cord rule (rert/recovery.h).
 *
 * Models and their parameters come from data/recovery_models.json (domain-reference §3,
 * Addendum A); a spec "name:key=value,..." overrides parameters, so a user can say
 * "exponential:halftime_years=1.5" without a new data entry. Stepwise boundaries are half-open:
 * the step with from_months = 6 applies for 6 ≤ t < 12 (§3.1). CARE's uplift applies for
 * t > 24 months strictly (S0: "≤ 24 / > 24"; §11.1 notes S2's "< 2 y / ≥ 2 y" wording).
 */
#include "rert/recovery.h"
#include "rert/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rert/data.h"

static int kind_parse(const char *s, recovery_kind *k) {
  static const struct { const char *n; recovery_kind k; } tab[] = {
      {"none", REC_NONE},           {"stepwise", REC_STEPWISE},         {"fixed", REC_FIXED},
      {"exponential", REC_EXPONENTIAL}, {"jones_grant", REC_JONES_GRANT},
      {"limit_uplift", REC_LIMIT_UPLIFT}, {"limit_scale", REC_LIMIT_SCALE}};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp(s, tab[i].n) == 0) {
      *k = tab[i].k;
      return 1;
    }
  return 0;
}

static double *param_slot(recovery_model *m, const char *key) {
  if (strcmp(key, "fraction_recovered") == 0) return &m->fraction_recovered;
  if (strcmp(key, "halftime_years") == 0) return &m->halftime_years;
  if (strcmp(key, "r_max") == 0) return &m->r_max;
  if (strcmp(key, "jg_a") == 0) return &m->jg_a;
  if (strcmp(key, "jg_b") == 0) return &m->jg_b;
  if (strcmp(key, "bed_tol_gy") == 0) return &m->bed_tol_gy;
  if (strcmp(key, "limit_factor") == 0) return &m->limit_factor;
  if (strcmp(key, "uplift_after_months") == 0) return &m->uplift_after_months;
  return NULL;
}

static const char *const param_keys[] = {"fraction_recovered", "halftime_years", "r_max", "jg_a",
                                         "jg_b", "bed_tol_gy", "limit_factor", "uplift_after_months"};

static int check_params(const recovery_model *m, rert_err *err) {
  const char *n = m->name;
  switch (m->kind) {
    case REC_FIXED:
      if (!(m->fraction_recovered >= 0 && m->fraction_recovered <= 1))
        return rert_err_set(err, RERT_EINPUT, "recovery '%s': fraction_recovered must be in [0, 1]", n);
      break;
    case REC_EXPONENTIAL:
      if (!(m->halftime_years > 0) || !isfinite(m->halftime_years))
        return rert_err_set(err, RERT_EINPUT,
                            "recovery '%s': needs halftime_years > 0 (e.g. exponential:halftime_years=2)", n);
      if (!(m->r_max >= 0 && m->r_max <= 1))
        return rert_err_set(err, RERT_EINPUT, "recovery '%s': r_max must be in [0, 1]", n);
      break;
    case REC_JONES_GRANT:
      if (!(m->bed_tol_gy > 0) || !isfinite(m->bed_tol_gy))
        return rert_err_set(err, RERT_EINPUT,
                            "recovery '%s': needs the organ's single-course tolerance bed_tol_gy > 0 "
                            "(e.g. %s:bed_tol_gy=100)", n, n);
      break;
    case REC_STEPWISE:
      for (int i = 0; i < m->nsteps; i++)
        if (!(m->step_fraction[i] >= 0 && m->step_fraction[i] <= 1) ||
            (i > 0 && !(m->step_from_months[i] > m->step_from_months[i - 1])))
          return rert_err_set(err, RERT_EINPUT,
                              "recovery '%s': steps must increase and fractions lie in [0, 1]", n);
      break;
    case REC_LIMIT_UPLIFT:
    case REC_LIMIT_SCALE:
      if (!(m->limit_factor > 0) || !isfinite(m->limit_factor))
        return rert_err_set(err, RERT_EINPUT, "recovery '%s': limit_factor must be > 0", n);
      break;
    case REC_NONE: break;
  }
  return RERT_OK;
}

static int load_entry(const cJSON *e, recovery_model *m, rert_err *err) {
  const char *name = NULL, *kind = NULL, *src = "";
  int rc = json_get_string(e, "name", &name, "recovery_models.json", err);
  if (rc) return rc;
  char ctx[128];
  snprintf(ctx, sizeof ctx, "recovery_models.json: %s", name);
  if ((rc = json_get_string(e, "kind", &kind, ctx, err))) return rc;
  if ((rc = json_get_string(e, "source", &src, ctx, err))) return rc;
  snprintf(m->name, sizeof m->name, "%s", name);
  snprintf(m->citation, sizeof m->citation, "%s", src);
  if (!kind_parse(kind, &m->kind))
    return rert_err_set(err, RERT_EINPUT, "%s: unknown kind '%s'", ctx, kind);
  m->verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "verified"));
  m->r_max = 1.0;
  for (size_t i = 0; i < sizeof param_keys / sizeof param_keys[0]; i++)
    if ((rc = json_opt_number(e, param_keys[i], param_slot(m, param_keys[i]), ctx, err))) return rc;
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(e, "steps")) {
    if (m->nsteps >= RECOVERY_MAX_STEPS)
      return rert_err_set(err, RERT_EINPUT, "%s: too many steps", ctx);
    if ((rc = json_get_number(s, "from_months", &m->step_from_months[m->nsteps], ctx, err))) return rc;
    if ((rc = json_get_number(s, "fraction_recovered", &m->step_fraction[m->nsteps], ctx, err)))
      return rc;
    m->nsteps++;
  }
  return RERT_OK;
}

int recovery_model_get(const char *spec, recovery_model *m, rert_err *err) {
  memset(m, 0, sizeof *m);
  if (!spec || !*spec) spec = "none";
  char name[64];
  const char *colon = strchr(spec, ':');
  size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
  if (len >= sizeof name) return rert_err_set(err, RERT_EINPUT, "recovery model name too long");
  memcpy(name, spec, len);
  name[len] = 0;
  cJSON *j;
  int rc = data_load_json("recovery_models.json", &j, err);
  if (rc) return rc;
  const cJSON *e, *found = NULL;
  char known[1024] = "";
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "models")) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
    if (!cJSON_IsString(n)) continue;
    if (strlen(known) + strlen(n->valuestring) + 3 < sizeof known) {
      if (known[0]) strcat(known, ", ");
      strcat(known, n->valuestring);
    }
    if (strcmp(n->valuestring, name) == 0) found = e;
    const cJSON *al;
    cJSON_ArrayForEach(al, cJSON_GetObjectItemCaseSensitive(e, "aliases")) {
      if (!found && cJSON_IsString(al) && strcasecmp(al->valuestring, name) == 0) found = e;
    }
  }
  if (!found) {
    rc = rert_err_set(err, RERT_EINPUT, "unknown recovery model '%s' (known: %s)", name, known);
    cJSON_Delete(j);
    return rc;
  }
  rc = load_entry(found, m, err);
  cJSON_Delete(j);
  if (rc) return rc;
  if (colon) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", colon + 1);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
      char *eq = strchr(kv, '=');
      if (!eq) return rert_err_set(err, RERT_EINPUT, "recovery '%s': parameter '%s' needs key=value", name, kv);
      *eq = 0;
      double *slot = param_slot(m, kv);
      if (!slot) return rert_err_set(err, RERT_EINPUT, "recovery '%s': unknown parameter '%s'", name, kv);
      char *end;
      double v = strtod(eq + 1, &end);
      if (end == eq + 1 || *end || !isfinite(v))
        return rert_err_set(err, RERT_EINPUT, "recovery '%s': %s='%s' is not a number", name, kv, eq + 1);
      *slot = v;
    }
    /* the spec now differs from the data entry: record it in the name used in outputs */
    snprintf(m->name, sizeof m->name, "%.63s", spec);
  }
  return check_params(m, err);
}

int recovery_model_names(char names[][64], int max, int *n, rert_err *err) {
  cJSON *j;
  int rc = data_load_json("recovery_models.json", &j, err);
  if (rc) return rc;
  *n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "models")) {
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
    if (*n < max && cJSON_IsString(nm)) snprintf(names[(*n)++], 64, "%s", nm->valuestring);
  }
  cJSON_Delete(j);
  return RERT_OK;
}

static int check_interval(double t, rert_err *err) {
  if (!isfinite(t) || t < 0)
    return rert_err_set(err, RERT_EINPUT,
                        "interval between courses must be >= 0 months (got %g): is the new course "
                        "starting before the prior one ended?", t);
  return RERT_OK;
}

int recovery_fraction(const recovery_model *m, double t, double *f, rert_err *err) {
  int rc = check_interval(t, err);
  if (rc) return rc;
  double r = 0;
  switch (m->kind) {
    case REC_STEPWISE:
      for (int i = 0; i < m->nsteps; i++)
        if (rert_ge(t, m->step_from_months[i])) r = m->step_fraction[i];
      break;
    case REC_FIXED: r = m->fraction_recovered; break;
    case REC_EXPONENTIAL:
      r = m->r_max * (1.0 - pow(2.0, -(t / 12.0) / m->halftime_years));
      break;
    case REC_JONES_GRANT:
      return rert_err_set(err, RERT_EINPUT,
                          "recovery '%s' depends on the prior dose; use recovery_apply_eqd2", m->name);
    default: r = 0;
  }
  *f = r;
  return RERT_OK;
}

int recovery_apply_eqd2(const recovery_model *m, double prior, double t, double ab, double *eff,
                        rert_err *err) {
  int rc = check_interval(t, err);
  if (rc) return rc;
  if (!isfinite(prior) || prior < 0)
    return rert_err_set(err, RERT_EINPUT, "prior EQD2 must be >= 0 Gy (got %g)", prior);
  if (m->kind == REC_JONES_GRANT) {
    if (!(ab > 0)) return rert_err_set(err, RERT_EINPUT, "Jones-Grant recovery needs alpha/beta > 0");
    double bed = prior * (1.0 + 2.0 / ab);
    double tol = m->bed_tol_gy;
    double out = bed;
    if (bed < tol) {
      double r = m->jg_a + exp(m->jg_b * (t / 12.0 - 1.0));
      out = tol * (1.0 - pow(1.0 - bed / tol, 1.0 / (1.0 + r)));
    }
    *eff = out / (1.0 + 2.0 / ab);
    return RERT_OK;
  }
  double f;
  rc = recovery_fraction(m, t, &f, err);
  if (rc) return rc;
  *eff = prior * (1.0 - f);
  return RERT_OK;
}

int recovery_is_limit_model(const recovery_model *m) {
  return m->kind == REC_LIMIT_UPLIFT || m->kind == REC_LIMIT_SCALE;
}

double recovery_limit_factor(const recovery_model *m, double t) {
  if (m->kind == REC_LIMIT_SCALE) return m->limit_factor;
  if (m->kind == REC_LIMIT_UPLIFT) return rert_gt(t, m->uplift_after_months) ? m->limit_factor : 1.0;
  return 1.0;
}

int recovery_nieder_check(const double *bed2, int n, const double *iv, int niv, int with_score,
                          nieder_result *r, rert_err *err) {
  memset(r, 0, sizeof *r);
  r->score_points = NAN;
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "Nieder rule needs at least one course");
  cJSON *j;
  int rc = data_load_json("recovery_models.json", &j, err);
  if (rc) return rc;
  const cJSON *nr = cJSON_GetObjectItemCaseSensitive(j, "nieder_rule");
  double cum_max, course_max, iv_min;
  rc = json_get_number(nr, "cumulative_bed2_max_gy", &cum_max, "recovery_models.json: nieder_rule", err);
  if (!rc) rc = json_get_number(nr, "course_bed2_max_gy", &course_max, "recovery_models.json: nieder_rule", err);
  if (!rc) rc = json_get_number(nr, "interval_min_months", &iv_min, "recovery_models.json: nieder_rule", err);
  if (rc) {
    cJSON_Delete(j);
    return rc;
  }
  r->min_interval_months = INFINITY;
  for (int i = 0; i < n; i++) {
    r->cumulative_bed2_gy += bed2[i];
    if (bed2[i] > r->max_course_bed2_gy) r->max_course_bed2_gy = bed2[i];
  }
  for (int i = 0; i < niv; i++)
    if (iv[i] < r->min_interval_months) r->min_interval_months = iv[i];
  r->cumulative_ok = rert_le(r->cumulative_bed2_gy, cum_max);
  r->courses_ok = rert_le(r->max_course_bed2_gy, course_max);
  r->interval_ok = niv == 0 || rert_ge(r->min_interval_months, iv_min);
  r->risk_small = r->cumulative_ok && r->courses_ok && r->interval_ok;
  snprintf(r->reason, sizeof r->reason,
           "cumulative BED2 %.1f Gy2 %s %.1f; highest course %.1f Gy2 %s %.0f; shortest interval "
           "%.1f months %s %.0f",
           r->cumulative_bed2_gy, r->cumulative_ok ? "<=" : ">", cum_max, r->max_course_bed2_gy,
           r->courses_ok ? "<=" : ">", course_max, niv ? r->min_interval_months : NAN,
           r->interval_ok ? ">=" : "<", iv_min);
  if (with_score) {
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(nr, "score");
    double pts = 0, v;
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(sc, "cumulative_bands")) {
      const cJSON *up = cJSON_GetObjectItemCaseSensitive(b, "upto_gy");
      json_get_number(b, "points", &v, "nieder score", err);
      if (cJSON_IsNull(up) || !up || rert_le(r->cumulative_bed2_gy, up->valuedouble)) {
        pts = v;
        break;
      }
    }
    double thr = 0, cp = 0, ib = 0, ip = 0;
    rc = json_get_number(sc, "course_bed2_at_least_gy", &thr, "nieder score", err);
    if (!rc) rc = json_get_number(sc, "course_points", &cp, "nieder score", err);
    if (!rc) rc = json_get_number(sc, "interval_below_months", &ib, "nieder score", err);
    if (!rc) rc = json_get_number(sc, "interval_points", &ip, "nieder score", err);
    if (rc) {
      cJSON_Delete(j);
      return rc;
    }
    if (rert_ge(r->max_course_bed2_gy, thr)) pts += cp;
    if (niv && rert_lt(r->min_interval_months, ib)) pts += ip;
    r->score_points = pts;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(sc, "groups")) {
      const cJSON *up = cJSON_GetObjectItemCaseSensitive(b, "upto_points");
      const cJSON *g = cJSON_GetObjectItemCaseSensitive(b, "group");
      if (!up || cJSON_IsNull(up) || rert_le(pts, up->valuedouble)) {
        snprintf(r->score_group, sizeof r->score_group, "%s", cJSON_IsString(g) ? g->valuestring : "?");
        break;
      }
    }
  }
  cJSON_Delete(j);
  return RERT_OK;
}
