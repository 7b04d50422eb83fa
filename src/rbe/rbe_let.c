/* rbe_let.c — variable proton RBE from the dose-averaged LET (McNamara 2015, Wedenberg 2013;
 * rert/rbe.h, docs/compare.md). The parameters and their sources live in data/rbe.json
 * ("variable_rbe_models"); the RBE(d) relation is the root of the LQ iso-effect condition, so
 * every model of the RBEmax/RBEmin family is evaluated by the same formula. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/data.h"
#include "rert/rbe.h"

int rbe_let_model_get(const char *name, rbe_let_model *m, rert_err *err) {
  memset(m, 0, sizeof *m);
  cJSON *j;
  int rc = data_load_json("rbe.json", &j, err);
  if (rc) return rc;
  const cJSON *models = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(j, "variable_rbe_models"), "models");
  const cJSON *e;
  char known[256] = "";
  rc = RERT_EINPUT;
  cJSON_ArrayForEach(e, models) {
    const char *n = NULL, *t = NULL, *src = NULL, *ver = NULL;
    const char *ctx = "rbe.json: variable_rbe_models";
    if (json_get_string(e, "name", &n, ctx, err)) { rc = RERT_EINTERNAL; break; }
    size_t kl = strlen(known);
    snprintf(known + kl, sizeof known - kl, "%s%s", kl ? ", " : "", n);
    if (!name || strcmp(n, name)) continue;
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(e, "let_range_kev_um");
    if (json_get_string(e, "title", &t, ctx, err) || json_get_number(e, "p0", &m->p0, ctx, err) ||
        json_get_number(e, "p1", &m->p1, ctx, err) || json_get_number(e, "p2", &m->p2, ctx, err) ||
        json_get_number(e, "p3", &m->p3, ctx, err) ||
        json_get_number(e, "rbemin_ab_exponent", &m->q, ctx, err) ||
        json_get_string(e, "source", &src, ctx, err) ||
        json_get_string(e, "verification", &ver, ctx, err) || !cJSON_IsArray(range) ||
        cJSON_GetArraySize(range) != 2) {
      rc = rert_err_set(err, RERT_EINTERNAL, "rbe.json: variable_rbe_models '%s' is incomplete", n);
      break;
    }
    snprintf(m->name, sizeof m->name, "%s", n);
    snprintf(m->title, sizeof m->title, "%s", t);
    snprintf(m->source, sizeof m->source, "%s", src);
    snprintf(m->verification, sizeof m->verification, "%s", ver);
    m->let_lo = cJSON_GetArrayItem(range, 0)->valuedouble;
    m->let_hi = cJSON_GetArrayItem(range, 1)->valuedouble;
    m->verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "verified"));
    rc = RERT_OK;
    break;
  }
  cJSON_Delete(j);
  if (rc == RERT_EINPUT)
    return rert_err_set(err, RERT_EINPUT, "unknown variable RBE model '%s' (data/rbe.json has: %s)",
                        name ? name : "", known);
  return rc;
}

double rbe_let_rbemax(const rbe_let_model *m, double L, double ab) { return m->p0 + m->p1 * L / ab; }

double rbe_let_rbemin(const rbe_let_model *m, double L, double ab) {
  return m->p2 + m->p3 * (m->q == 0 ? 1.0 : pow(ab, m->q)) * L;
}

double rbe_let_rbe(const rbe_let_model *m, double d, double L, double ab) {
  if (!isfinite(d) || !isfinite(L) || !isfinite(ab) || !(ab > 0) || L < 0 || d < 0) return NAN;
  double rmax = rbe_let_rbemax(m, L, ab), rmin = rbe_let_rbemin(m, L, ab);
  /* (√(ab² + 4d·ab·Rmax + 4d²Rmin²) − ab)/(2d), rationalised: no cancellation at small d */
  double s = sqrt(ab * ab + 4.0 * d * ab * rmax + 4.0 * d * d * rmin * rmin);
  return (2.0 * ab * rmax + 2.0 * d * rmin * rmin) / (s + ab);
}
