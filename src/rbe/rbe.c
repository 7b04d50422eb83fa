/* rbe.c — RBE model tags, fixed RBE, LEM I ↔ MKM conversion (Zhang 2020) and the summation
 * interlock (domain-reference §4). Conversion points come from data/rbe.json; between points
 * the factor is interpolated linearly, outside them the conversion is refused (§4.3). */
#include "rert/rbe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rert/data.h"

static const char *const model_names[] = {"PHYSICAL", "RBE_FIXED", "LEM_I", "MKM"};
static const char *const modality_names[] = {"photon", "proton", "carbon", "ion", "electron"};

const char *rbe_model_name(rbe_model m) {
  return (m >= RBE_PHYSICAL && m <= RBE_MKM) ? model_names[m] : "UNKNOWN";
}

int rbe_model_parse(const char *s, rbe_model *m, rert_err *err) {
  static const struct { const char *name; rbe_model m; } tab[] = {
      {"PHYSICAL", RBE_PHYSICAL}, {"none", RBE_PHYSICAL},  {"photon", RBE_PHYSICAL},
      {"RBE_FIXED", RBE_FIXED},   {"fixed", RBE_FIXED},    {"rbe1.1", RBE_FIXED},
      {"LEM_I", RBE_LEM_I},       {"LEM", RBE_LEM_I},      {"LEM1", RBE_LEM_I},
      {"MKM", RBE_MKM},           {"mMKM", RBE_MKM},       {"NIRS", RBE_MKM}};
  for (size_t i = 0; s && i < sizeof tab / sizeof tab[0]; i++)
    if (strcasecmp(s, tab[i].name) == 0) {
      *m = tab[i].m;
      return RERT_OK;
    }
  return rert_err_set(err, RERT_EINPUT,
                      "unknown RBE model '%s' (use PHYSICAL, RBE_FIXED, LEM_I or MKM)", s ? s : "");
}

const char *rbe_modality_name(rert_modality m) {
  return (m >= MOD_PHOTON && m <= MOD_ELECTRON) ? modality_names[m] : "unknown";
}

int rbe_modality_parse(const char *s, rert_modality *m, rert_err *err) {
  static const struct { const char *name; rert_modality m; } tab[] = {
      {"photon", MOD_PHOTON}, {"xray", MOD_PHOTON},   {"imrt", MOD_PHOTON},
      {"proton", MOD_PROTON}, {"carbon", MOD_CARBON}, {"c12", MOD_CARBON},
      {"ion", MOD_OTHER_ION}, {"electron", MOD_ELECTRON}};
  for (size_t i = 0; s && i < sizeof tab / sizeof tab[0]; i++)
    if (strcasecmp(s, tab[i].name) == 0) {
      *m = tab[i].m;
      return RERT_OK;
    }
  return rert_err_set(err, RERT_EINPUT,
                      "unknown modality '%s' (use photon, proton, carbon, ion or electron)",
                      s ? s : "");
}

int rbe_fixed_factor(rert_modality mod, double *rbe, rert_err *err) {
  if (mod == MOD_PHOTON || mod == MOD_ELECTRON) {
    *rbe = 1.0;
    return RERT_OK;
  }
  cJSON *j;
  int rc = data_load_json("rbe.json", &j, err);
  if (rc) return rc;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "fixed_rbe")) {
    const char *m = NULL;
    if (json_get_string(e, "modality", &m, "rbe.json: fixed_rbe", err)) break;
    if (strcasecmp(m, rbe_modality_name(mod)) == 0) {
      rc = json_get_number(e, "rbe", rbe, "rbe.json: fixed_rbe", err);
      cJSON_Delete(j);
      return rc;
    }
  }
  cJSON_Delete(j);
  return rert_err_set(err, RERT_EINPUT,
                      "no fixed RBE for %s in rbe.json (carbon needs LEM_I or MKM, not a fixed factor)",
                      rbe_modality_name(mod));
}

#define MAXPTS 32
static int load_points_file(double *x, double *y, int *n, rert_err *err) {
  cJSON *j;
  int rc = data_load_json("rbe.json", &j, err);
  if (rc) return rc;
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "lem_to_mkm");
  const cJSON *p;
  *n = 0;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "points")) {
    if (*n >= MAXPTS) break;
    rc = json_get_number(p, "lem_dose_per_fraction_gy", &x[*n], "rbe.json: lem_to_mkm", err);
    if (!rc) rc = json_get_number(p, "cf", &y[*n], "rbe.json: lem_to_mkm", err);
    if (rc) break;
    if (*n > 0 && !(x[*n] > x[*n - 1])) {
      rc = rert_err_set(err, RERT_EINPUT, "rbe.json: lem_to_mkm points must increase in dose");
      break;
    }
    (*n)++;
  }
  cJSON_Delete(j);
  if (!rc && *n < 2) rc = rert_err_set(err, RERT_EINPUT, "rbe.json: lem_to_mkm needs >= 2 points");
  return rc;
}

/* The conversion table is read once per process: voxel-wise conversion calls this per voxel
 * dose level, and re-parsing data/rbe.json each time dominated accumulation time. */
static int load_points(double *x, double *y, int *n, rert_err *err) {
  static int loaded = 0, cached_n = 0;
  static double cx[MAXPTS], cy[MAXPTS];
  int rc = RERT_OK;
#pragma omp critical(rbe_points)
  {
    if (!loaded) {
      rc = load_points_file(cx, cy, &cached_n, err);
      if (!rc) loaded = 1;
    }
  }
  if (rc) return rc;
  memcpy(x, cx, sizeof(double) * (size_t)cached_n);
  memcpy(y, cy, sizeof(double) * (size_t)cached_n);
  *n = cached_n;
  return RERT_OK;
}

int rbe_lem_to_mkm_factor(double d, double *cf, rert_err *err) {
  double x[MAXPTS], y[MAXPTS];
  int n, rc = load_points(x, y, &n, err);
  if (rc) return rc;
  if (!(d >= x[0] - 1e-12 && d <= x[n - 1] + 1e-12))
    return rert_err_set(err, RERT_EINPUT,
                        "LEM dose per fraction %.4g Gy(RBE) is outside the Zhang 2020 conversion "
                        "range %.2f-%.2f Gy(RBE); rert does not extrapolate",
                        d, x[0], x[n - 1]);
  for (int i = 0; i < n - 1; i++)
    if (d <= x[i + 1] + 1e-12) {
      double t = (d - x[i]) / (x[i + 1] - x[i]);
      if (t < 0) t = 0;
      if (t > 1) t = 1;
      *cf = y[i] + t * (y[i + 1] - y[i]);
      return RERT_OK;
    }
  *cf = y[n - 1];
  return RERT_OK;
}

int rbe_convert_per_fraction(double d, rbe_model from, rbe_model to, double *out, rert_err *err) {
  if (from == to) {
    *out = d;
    return RERT_OK;
  }
  if (from == RBE_LEM_I && to == RBE_MKM) {
    double cf;
    int rc = rbe_lem_to_mkm_factor(d, &cf, err);
    if (rc) return rc;
    *out = d / cf;
    return RERT_OK;
  }
  if (from == RBE_MKM && to == RBE_LEM_I) {
    /* g(L) = L / CF(L) increases with L (CF falls), so bisection on L in the table range */
    double x[MAXPTS], y[MAXPTS];
    int n, rc = load_points(x, y, &n, err);
    if (rc) return rc;
    double lo = x[0], hi = x[n - 1], glo = lo / y[0], ghi = hi / y[n - 1];
    if (!(d >= glo * (1 - 1e-9) && d <= ghi * (1 + 1e-9)))
      return rert_err_set(err, RERT_EINPUT,
                          "MKM dose per fraction %.4g Gy(RBE) is outside the Zhang 2020 conversion "
                          "range %.4f-%.4f Gy(RBE); rert does not extrapolate",
                          d, glo, ghi);
    for (int it = 0; it < 200 && hi - lo > 1e-14; it++) {
      double mid = 0.5 * (lo + hi), cf;
      rc = rbe_lem_to_mkm_factor(mid, &cf, err);
      if (rc) return rc;
      if (mid / cf < d) lo = mid; else hi = mid;
    }
    *out = 0.5 * (lo + hi);
    return RERT_OK;
  }
  return rert_err_set(err, RERT_EINPUT,
                      "no conversion from %s to %s is defined (only LEM_I <-> MKM, Zhang 2020)",
                      rbe_model_name(from), rbe_model_name(to));
}

static int is_carbon_model(rbe_model m) { return m == RBE_LEM_I || m == RBE_MKM; }

int rbe_check_summable(rert_modality ma, rbe_model a, rert_modality mb, rbe_model b,
                       rert_err *err) {
  rert_modality mods[2] = {ma, mb};
  rbe_model models[2] = {a, b};
  for (int k = 0; k < 2; k++)
    if (models[k] == RBE_PHYSICAL && mods[k] != MOD_PHOTON && mods[k] != MOD_ELECTRON)
      return rert_err_set(err, RERT_EINPUT,
                          "%s dose is PHYSICAL (not RBE-weighted); particle doses must be "
                          "RBE-weighted before they can be summed with other courses",
                          rbe_modality_name(mods[k]));
  if (is_carbon_model(a) && is_carbon_model(b) && a != b)
    return rert_err_set(err, RERT_EINPUT,
                        "cannot sum %s and %s RBE-weighted doses without an explicit conversion "
                        "(convert one course with the Zhang 2020 LEM<->MKM factors first)",
                        rbe_model_name(a), rbe_model_name(b));
  return RERT_OK;
}
