/* radbio.c — LQ BED/EQDx, incomplete repair, repopulation, LQ-L and inverse solves.
 *
 * Implements domain-reference §1.1–§1.5. BED of one fraction of size d:
 *   LQ   : d·(1 + (1 + h_m)·d/(α/β))                               (h_m = 0 for one fraction/day)
 *   LQ-L : above d_T, d_T + d_T²/(α/β) + (1 + 2·d_T/(α/β))·(d − d_T) (Astrahan 2008; slope-continuous)
 * Total BED = n·BED_f − D_prolif·max(0, T − T_k) when a time term is requested (tumour only).
 * LQ-L combined with incomplete repair is not defined by the reference and is refused rather
 * than guessed. Inverse solves use the cancellation-free root 2c/(1 + sqrt(1 + 4qc)).
 */
#include "rert/radbio.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/data.h"

radbio_model radbio_model_lq(double alpha_beta_gy) {
  radbio_model m;
  memset(&m, 0, sizeof m);
  m.alpha_beta_gy = alpha_beta_gy;
  m.fractions_per_day = 1;
  m.overall_time_days = -1;
  return m;
}

int radbio_model_check(const radbio_model *m, rert_err *err) {
  if (!(m->alpha_beta_gy > 0) || !isfinite(m->alpha_beta_gy))
    return rert_err_set(err, RERT_EINPUT, "alpha/beta must be > 0 Gy (got %g)", m->alpha_beta_gy);
  if (m->fractions_per_day < 0 || m->fractions_per_day > 24)
    return rert_err_set(err, RERT_EINPUT, "fractions per day must be 1-24 (got %d)",
                        m->fractions_per_day);
  if (m->fractions_per_day > 1) {
    if (!(m->interfraction_interval_h > 0) || !isfinite(m->interfraction_interval_h))
      return rert_err_set(err, RERT_EINPUT,
                          "%d fractions/day needs the interval between fractions in hours (> 0)",
                          m->fractions_per_day);
    if (!(m->repair_halftime_h > 0) || !isfinite(m->repair_halftime_h))
      return rert_err_set(err, RERT_EINPUT,
                          "%d fractions/day needs the repair half-time in hours (> 0)",
                          m->fractions_per_day);
    if (m->fractions_per_day * m->interfraction_interval_h > 24.0)
      return rert_err_set(err, RERT_EINPUT, "%d fractions %g h apart do not fit in one day",
                          m->fractions_per_day, m->interfraction_interval_h);
  }
  if (m->time_correction) {
    if (!(m->tk_days >= 0) || !isfinite(m->tk_days))
      return rert_err_set(err, RERT_EINPUT, "time correction needs T_k in days (>= 0)");
    if (!(m->dprolif_gy_per_day >= 0) || !isfinite(m->dprolif_gy_per_day))
      return rert_err_set(err, RERT_EINPUT, "time correction needs D_prolif in Gy/day (>= 0)");
    if (m->overall_time_days >= 0 && !isfinite(m->overall_time_days))
      return rert_err_set(err, RERT_EINPUT, "overall time must be finite");
    if (m->fractions_per_week < 0 || m->fractions_per_week > 7)
      return rert_err_set(err, RERT_EINPUT, "treatment days per week must be 1-7");
  }
  if (m->lql) {
    if (!(m->lql_dt_gy > 0) || !isfinite(m->lql_dt_gy))
      return rert_err_set(err, RERT_EINPUT, "LQ-L needs the transition dose d_T in Gy (> 0)");
    if (m->fractions_per_day > 1)
      return rert_err_set(err, RERT_EINPUT,
                          "LQ-L with incomplete repair (several fractions/day) is not defined in "
                          "the reference; use one model or the other");
  }
  return RERT_OK;
}

double radbio_thames_h(int m, double dt_h, double thalf_h) {
  if (m <= 1) return 0.0;
  double phi = exp(-log(2.0) * dt_h / thalf_h);
  if (phi <= 0) return 0.0;
  double phim = pow(phi, m);
  return (2.0 / m) * (phi / (1.0 - phi)) * (m - (1.0 - phim) / (1.0 - phi));
}

double radbio_overall_time_days(int n, int per_day, int per_week) {
  if (n <= 0) return 0;
  if (per_day < 1) per_day = 1;
  if (per_week < 1 || per_week > 7) per_week = 5;
  int days = (n + per_day - 1) / per_day; /* treatment days */
  int k = days - 1;                       /* index of the last treatment day */
  return 7.0 * (k / per_week) + (k % per_week);
}

static double h_of(const radbio_model *m) {
  return radbio_thames_h(m->fractions_per_day, m->interfraction_interval_h, m->repair_halftime_h);
}

double radbio_bed_fraction(double d, const radbio_model *m) {
  double ab = m->alpha_beta_gy;
  if (m->lql && d > m->lql_dt_gy) {
    double dt = m->lql_dt_gy;
    return dt + dt * dt / ab + (1.0 + 2.0 * dt / ab) * (d - dt);
  }
  return d * (1.0 + (1.0 + h_of(m)) * d / ab);
}

static double time_term(const radbio_model *m, double n) {
  if (!m->time_correction) return 0.0;
  double T = m->overall_time_days >= 0
                 ? m->overall_time_days
                 : radbio_overall_time_days((int)ceil(n - 1e-9), m->fractions_per_day > 0 ? m->fractions_per_day : 1,
                                            m->fractions_per_week ? m->fractions_per_week : 5);
  double over = T - m->tk_days;
  return over > 0 ? m->dprolif_gy_per_day * over : 0.0;
}

static int check_schedule(double total, int n, rert_err *err) {
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "number of fractions must be >= 1 (got %d)", n);
  if (!(total >= 0) || !isfinite(total))
    return rert_err_set(err, RERT_EINPUT, "dose must be a finite number >= 0 Gy (got %g)", total);
  return RERT_OK;
}

int radbio_bed_gy(double total, int n, const radbio_model *m, double *bed, rert_err *err) {
  int rc = radbio_model_check(m, err);
  if (!rc) rc = check_schedule(total, n, err);
  if (rc) return rc;
  if (total == 0) { /* no treatment, no repopulation term */
    *bed = 0;
    return RERT_OK;
  }
  *bed = n * radbio_bed_fraction(total / n, m) - time_term(m, n);
  return RERT_OK;
}

double radbio_bed_to_eqdx(double bed, double x, double ab) { return bed / (1.0 + x / ab); }
double radbio_eqdx_to_bed(double eqdx, double x, double ab) { return eqdx * (1.0 + x / ab); }

int radbio_eqdx_gy(double total, int n, double x, const radbio_model *m, double *out,
                   rert_err *err) {
  if (!(x > 0) || !isfinite(x))
    return rert_err_set(err, RERT_EINPUT, "reference dose per fraction x must be > 0 Gy (got %g)", x);
  double bed;
  int rc = radbio_bed_gy(total, n, m, &bed, err);
  if (rc) return rc;
  *out = radbio_bed_to_eqdx(bed, x, m->alpha_beta_gy);
  return RERT_OK;
}

int radbio_eqd2_gy(double total, int n, const radbio_model *m, double *out, rert_err *err) {
  return radbio_eqdx_gy(total, n, 2.0, m, out, err);
}

int radbio_bed_nonuniform_gy(const double *d, int n, const radbio_model *m, double *bed,
                             rert_err *err) {
  int rc = radbio_model_check(m, err);
  if (rc) return rc;
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "number of fractions must be >= 1 (got %d)", n);
  double s = 0, tot = 0;
  for (int i = 0; i < n; i++) {
    if (!(d[i] >= 0) || !isfinite(d[i]))
      return rert_err_set(err, RERT_EINPUT, "fraction %d: dose must be >= 0 Gy (got %g)", i + 1, d[i]);
    s += radbio_bed_fraction(d[i], m);
    tot += d[i];
  }
  *bed = tot > 0 ? s - time_term(m, n) : 0;
  return RERT_OK;
}

/* d with BED_f(d) = b (b ≥ 0): linear branch of LQ-L if above BED_f(d_T), else the LQ root. */
static double solve_fraction(double b, const radbio_model *m) {
  if (b <= 0) return 0;
  double ab = m->alpha_beta_gy;
  if (m->lql) {
    double dt = m->lql_dt_gy;
    double bt = dt + dt * dt / ab;
    if (b > bt) return dt + (b - bt) / (1.0 + 2.0 * dt / ab);
  }
  double q = (1.0 + h_of(m)) / ab;
  return 2.0 * b / (1.0 + sqrt(1.0 + 4.0 * q * b));
}

int radbio_solve_d_for_bed(double bed, int n, const radbio_model *m, double *d, rert_err *err) {
  int rc = radbio_model_check(m, err);
  if (rc) return rc;
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "number of fractions must be >= 1 (got %d)", n);
  if (!isfinite(bed)) return rert_err_set(err, RERT_EINPUT, "target BED must be finite");
  if (bed <= 0) {
    *d = 0;
    return RERT_OK;
  }
  *d = solve_fraction((bed + time_term(m, n)) / n, m);
  return RERT_OK;
}

int radbio_solve_n_for_bed(double bed, double d, const radbio_model *m, double *n_real,
                           rert_err *err) {
  int rc = radbio_model_check(m, err);
  if (rc) return rc;
  if (!(d > 0) || !isfinite(d))
    return rert_err_set(err, RERT_EINPUT, "dose per fraction must be > 0 Gy (got %g)", d);
  if (!(bed > 0) || !isfinite(bed))
    return rert_err_set(err, RERT_EINPUT, "target BED must be > 0 Gy (got %g)", bed);
  double bf = radbio_bed_fraction(d, m);
  double n = bed / bf;
  if (m->time_correction) {
    /* T depends on n; iterate n = (B + time(n))/BED_f, which is monotone and settles quickly */
    for (int it = 0; it < 200; it++) {
      double nn = (bed + time_term(m, n)) / bf;
      if (fabs(nn - n) < 1e-12) break;
      n = nn;
    }
  }
  *n_real = n;
  return RERT_OK;
}

int radbio_solve_n_for_bed_int(double bed, double d, const radbio_model *m, int *n_out,
                               double *bed_at_n, rert_err *err) {
  double nr;
  int rc = radbio_solve_n_for_bed(bed, d, m, &nr, err);
  if (rc) return rc;
  if (nr > 1e6) return rert_err_set(err, RERT_EINPUT, "target needs more than 10^6 fractions");
  int n = (int)ceil(nr - 1e-9);
  if (n < 1) n = 1;
  double b;
  /* with a time term the BED is not monotone in n in general; search upward from the estimate */
  for (;; n++) {
    rc = radbio_bed_gy(n * d, n, m, &b, err);
    if (rc) return rc;
    if (b >= bed - 1e-9 * fabs(bed)) break;
    if (n > 1000000) return rert_err_set(err, RERT_EINPUT, "target BED is not reachable at this dose per fraction");
  }
  *n_out = n;
  if (bed_at_n) *bed_at_n = b;
  return RERT_OK;
}

int radbio_max_new_dose_gy(double eqd2_rem, int n, const radbio_model *m, double *d,
                           double *total, rert_err *err) {
  int rc = radbio_model_check(m, err);
  if (rc) return rc;
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "number of fractions must be >= 1 (got %d)", n);
  if (!isfinite(eqd2_rem)) return rert_err_set(err, RERT_EINPUT, "remaining EQD2 must be finite");
  double dd = 0;
  if (eqd2_rem > 0) {
    rc = radbio_solve_d_for_bed(radbio_eqdx_to_bed(eqd2_rem, 2.0, m->alpha_beta_gy), n, m, &dd, err);
    if (rc) return rc;
  }
  if (d) *d = dd;
  if (total) *total = dd * n;
  return RERT_OK;
}

int radbio_model_dependent_threshold_gy(double *d_gy, rert_err *err) {
  static double cached = -1;
  if (cached > 0) {
    *d_gy = cached;
    return RERT_OK;
  }
  cJSON *j;
  int rc = data_load_json("radbio.json", &j, err);
  if (rc) return rc;
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "model_dependent_dose_per_fraction_gy");
  double v = NAN;
  rc = json_get_number(o, "value", &v, "radbio.json: model_dependent_dose_per_fraction_gy", err);
  cJSON_Delete(j);
  if (rc) return rc;
  cached = v;
  *d_gy = v;
  return RERT_OK;
}

int radbio_time_params_by_name(const char *name, double *ab, double *tk, double *dp,
                               const char **citation, rert_err *err) {
  static char cite[512];
  cJSON *j;
  int rc = data_load_json("radbio.json", &j, err);
  if (rc) return rc;
  const cJSON *sets = cJSON_GetObjectItemCaseSensitive(j, "time_parameter_sets");
  const cJSON *s;
  char names[512] = "";
  cJSON_ArrayForEach(s, sets) {
    const char *nm = NULL;
    if (json_get_string(s, "name", &nm, "radbio.json", err)) break;
    if (strlen(names) + strlen(nm) + 3 < sizeof names) {
      if (names[0]) strcat(names, ", ");
      strcat(names, nm);
    }
    if (strcmp(nm, name) != 0) continue;
    const char *src = "";
    rc = json_get_number(s, "alpha_beta_gy", ab, "radbio.json", err);
    if (!rc) rc = json_get_number(s, "tk_days", tk, "radbio.json", err);
    if (!rc) rc = json_get_number(s, "dprolif_gy_per_day", dp, "radbio.json", err);
    if (!rc) rc = json_get_string(s, "source", &src, "radbio.json", err);
    if (!rc) {
      snprintf(cite, sizeof cite, "%s", src);
      if (citation) *citation = cite;
    }
    cJSON_Delete(j);
    return rc;
  }
  cJSON_Delete(j);
  return rert_err_set(err, RERT_EINPUT, "unknown time parameter set '%s' (known: %s)", name, names);
}
