/* metric.c — DVH metric names ("D0.03cc", "V20Gy[%]", "gEUD(a=8)", ...) and their evaluation
 * on a rert_dvh (rert/dvh.h).
 *
 * Definitions (docs/dvh.md):
 *   Dx cc  the minimum dose received by the hottest x cc: V(≥D) = x, with V(≥d) linear between
 *          bin edges (the histogram is a uniform density within a bin), clamped to [Dmin, Dmax];
 *   Dx %   the same with x % of the whole structure volume; Dmedian = D50 %;
 *   Vx Gy  V(≥ x Gy) in cc, or in % of the whole structure volume;
 *   gEUD   (Σ v_i d_i^a / V)^(1/a) over the bins (bin centre dose; Niemierko 1999);
 * A metric on a DVH with volume outside the dose grid is computed on the inside part and
 * flagged incomplete — never silently reported as if complete.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rert/dvh.h"

#define OUTSIDE_TOL_CC 1e-6

static int bad(rert_err *err, const char *s, const char *why) {
  return rert_err_set(err, RERT_EINPUT, "DVH metric \"%s\": %s", s, why);
}

/* Parse a positive finite number at *p; advance p. */
static int num(const char **p, double *v) {
  char *end;
  if (!isdigit((unsigned char)**p) && **p != '.') return 0;
  double x = strtod(*p, &end);
  if (end == *p || !isfinite(x)) return 0;
  *v = x;
  *p = end;
  return 1;
}

static int eat(const char **p, const char *word) {
  size_t n = strlen(word);
  if (strncasecmp(*p, word, n) == 0) {
    *p += n;
    return 1;
  }
  return 0;
}

static void skipsp(const char **p) {
  while (**p == ' ' || **p == '\t') (*p)++;
}

int dvh_metric_parse(const char *s, rert_dvh_metric *m, rert_err *err) {
  memset(m, 0, sizeof *m);
  if (!s) return bad(err, "(null)", "empty metric");
  char buf[128];
  size_t L = strlen(s);
  while (L && isspace((unsigned char)s[L - 1])) L--;
  while (L && isspace((unsigned char)*s)) s++, L--;
  if (L == 0) return bad(err, "", "empty metric");
  if (L >= sizeof buf) return bad(err, "...", "metric name too long");
  memcpy(buf, s, L);
  buf[L] = 0;
  const char *p = buf;
  static const struct { const char *name; rert_dvh_metric_kind kind; const char *canon; } kw[] = {
      {"dmax", DVH_DMAX, "Dmax"},       {"max", DVH_DMAX, "Dmax"},
      {"dmin", DVH_DMIN, "Dmin"},       {"min", DVH_DMIN, "Dmin"},
      {"dmean", DVH_DMEAN, "Dmean"},    {"mean", DVH_DMEAN, "Dmean"},
      {"dmedian", DVH_DMEDIAN, "Dmedian"}, {"median", DVH_DMEDIAN, "Dmedian"},
      {"volume", DVH_VOLUME, "Volume"}, {"vol", DVH_VOLUME, "Volume"},
  };
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
    if (strcasecmp(buf, kw[i].name) == 0 ||
        (kw[i].kind != DVH_VOLUME && strncasecmp(buf, kw[i].name, strlen(kw[i].name)) == 0 &&
         strcasecmp(buf + strlen(kw[i].name), "[Gy]") == 0)) {
      m->kind = kw[i].kind;
      snprintf(m->text, sizeof m->text, "%s", kw[i].canon);
      return RERT_OK;
    }
  if (eat(&p, "geud")) {
    skipsp(&p);
    if (*p != '(') return bad(err, buf, "write gEUD(a=8)");
    p++;
    skipsp(&p);
    if (eat(&p, "a")) {
      skipsp(&p);
      if (*p != '=') return bad(err, buf, "write gEUD(a=8)");
      p++;
      skipsp(&p);
    }
    char *end;
    double a = strtod(p, &end);
    if (end == p || !isfinite(a)) return bad(err, buf, "gEUD parameter a is not a number");
    p = end;
    skipsp(&p);
    if (*p != ')' || p[1]) return bad(err, buf, "write gEUD(a=8)");
    if (a == 0) return bad(err, buf, "gEUD parameter a must not be 0");
    m->kind = DVH_GEUD;
    m->param = a;
    snprintf(m->text, sizeof m->text, "gEUD(a=%g)", a);
    return RERT_OK;
  }
  if (*p == 'D' || *p == 'd') {
    p++;
    double x;
    if (!num(&p, &x)) return bad(err, buf, "expected a number after D (D95%, D0.03cc, Dmax, ...)");
    if (*p == '%') {
      p++;
      m->kind = DVH_D_PCT;
      if (!(x > 0 && x <= 100)) return bad(err, buf, "Dx% needs 0 < x <= 100");
    } else if (eat(&p, "cc") || eat(&p, "cm3")) {
      m->kind = DVH_D_CC;
      if (!(x > 0)) return bad(err, buf, "Dx cc needs x > 0");
    } else if (*p == 0) {
      return bad(err, buf, "ambiguous: write the volume unit, e.g. D95% or D2cc");
    } else {
      return bad(err, buf, "unknown volume unit after D (use % or cc)");
    }
    if (*p && strcasecmp(p, "[Gy]") != 0) return bad(err, buf, "unexpected text after the volume");
    m->param = x;
    snprintf(m->text, sizeof m->text, m->kind == DVH_D_PCT ? "D%g%%" : "D%gcc", x);
    return RERT_OK;
  }
  if (*p == 'V' || *p == 'v') {
    p++;
    double x;
    if (!num(&p, &x)) return bad(err, buf, "expected a dose after V (V20Gy[%], V20Gy[cc])");
    if (eat(&p, "cGy")) x /= 100.0;
    else if (!eat(&p, "Gy"))
      return bad(err, buf, *p == '%' ? "relative-dose Vx% needs a prescription; give the dose in Gy"
                                     : "write the dose unit, e.g. V20Gy[%] or V20Gy[cc]");
    m->param = x;
    if (*p == 0 || strcmp(p, "[%]") == 0 || strcmp(p, "%") == 0) m->kind = DVH_V_GY_PCT;
    else if (strcasecmp(p, "[cc]") == 0 || strcasecmp(p, "cc") == 0) m->kind = DVH_V_GY_CC;
    else return bad(err, buf, "unexpected text after the dose (use [%] or [cc])");
    snprintf(m->text, sizeof m->text, m->kind == DVH_V_GY_PCT ? "V%gGy[%%]" : "V%gGy[cc]", x);
    return RERT_OK;
  }
  return bad(err, buf,
             "unknown metric (Dmax, Dmin, Dmean, Dmedian, D95%, D0.03cc, V20Gy[%], V20Gy[cc], "
             "gEUD(a=8), Volume)");
}

const char *dvh_metric_unit(const rert_dvh_metric *m) {
  switch (m->kind) {
  case DVH_V_GY_CC:
  case DVH_VOLUME: return "cc";
  case DVH_V_GY_PCT: return "%";
  default: return "Gy";
  }
}

/* Dose D with V(≥D) = v cc; the caller guarantees 0 < v ≤ inside volume. */
static double dose_at_volume(const rert_dvh *d, double v) {
  const double *cum = d->cum_cc;
  if (v >= cum[0]) return d->dmin_gy;
  /* largest b with cum[b] ≥ v (cum is non-increasing) */
  int lo = 0, hi = d->nbins; /* cum[lo] ≥ v, cum[hi] < v */
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (cum[mid] >= v) lo = mid;
    else hi = mid;
  }
  double c0 = cum[lo], c1 = cum[lo + 1];
  double t = c0 > c1 ? (c0 - v) / (c0 - c1) : 0;
  double D = d->lo_gy + (lo + t) * d->bin_gy;
  if (D < d->dmin_gy) D = d->dmin_gy;
  if (D > d->dmax_gy) D = d->dmax_gy;
  return D;
}

static double volume_at_dose(const rert_dvh *d, double x) {
  if (x <= d->dmin_gy) return d->inside_cc;
  if (x > d->dmax_gy) return 0;
  double t = (x - d->lo_gy) / d->bin_gy;
  int b = (int)floor(t);
  if (b < 0) return d->inside_cc;
  if (b >= d->nbins) return 0;
  return d->cum_cc[b] - (t - b) * d->diff_cc[b];
}

int dvh_metric_eval(const rert_dvh *d, const rert_dvh_metric *m, rert_dvh_value *out,
                    rert_err *err) {
  out->value = NAN;
  out->complete = 1;
  out->outside_pct = d->total_cc > 0 ? 100.0 * d->outside_cc / d->total_cc : 0;
  if (m->kind == DVH_VOLUME && d->total_cc > 0) {
    out->value = d->total_cc;
    return RERT_OK;
  }
  if (d->status != RERT_OK)
    return rert_err_set(err, d->status, "%s: %s: %s", d->name, m->text, d->msg);
  if (!(d->inside_cc > 0))
    return rert_err_set(err, RERT_EINPUT, "%s: %s: no volume inside the dose grid", d->name,
                        m->text);
  if (d->outside_cc > OUTSIDE_TOL_CC) {
    out->complete = 0;
    rert_err_set(err, RERT_OK, "%s: %s is incomplete: %.3f cc (%.1f %%) of the structure lies "
                 "outside the dose grid", d->name, m->text, d->outside_cc, out->outside_pct);
  }
  double v;
  switch (m->kind) {
  case DVH_DMAX: out->value = d->dmax_gy; break;
  case DVH_DMIN: out->value = d->dmin_gy; break;
  case DVH_DMEAN: out->value = d->dmean_gy; break;
  case DVH_DMEDIAN:
  case DVH_D_PCT:
    v = (m->kind == DVH_DMEDIAN ? 50.0 : m->param) / 100.0 * d->total_cc;
    if (v > d->inside_cc * (1 + 1e-9)) {
      out->complete = 0;
      return rert_err_set(err, RERT_OK, "%s: %s undefined: %.1f %% of the structure lies outside "
                          "the dose grid", d->name, m->text, out->outside_pct);
    }
    out->value = dose_at_volume(d, v);
    break;
  case DVH_D_CC:
    if (m->param > d->total_cc * (1 + 1e-9))
      return rert_err_set(err, RERT_EINPUT, "%s: %s undefined: the structure is only %.4f cc",
                          d->name, m->text, d->total_cc);
    if (m->param > d->inside_cc * (1 + 1e-9)) {
      out->complete = 0;
      return rert_err_set(err, RERT_OK, "%s: %s undefined: only %.4f cc lies inside the dose grid",
                          d->name, m->text, d->inside_cc);
    }
    out->value = dose_at_volume(d, m->param);
    break;
  case DVH_V_GY_CC: out->value = volume_at_dose(d, m->param); break;
  case DVH_V_GY_PCT: out->value = 100.0 * volume_at_dose(d, m->param) / d->total_cc; break;
  case DVH_GEUD: {
    double a = m->param;
    if (a == 1) {
      out->value = d->dmean_gy;
      break;
    }
    double s = 0, vt = 0;
    for (int b = 0; b < d->nbins; b++) {
      if (d->diff_cc[b] <= 0) continue;
      double c = d->lo_gy + (b + 0.5) * d->bin_gy;
      if (c < d->dmin_gy) c = d->dmin_gy;
      if (c > d->dmax_gy) c = d->dmax_gy;
      if (c < 0) return rert_err_set(err, RERT_EINPUT, "%s: %s needs non-negative doses", d->name,
                                     m->text);
      if (c == 0 && a < 0) {
        out->value = 0; /* limit: a cold spot of zero dose drives gEUD(a<0) to 0 */
        return RERT_OK;
      }
      s += d->diff_cc[b] * pow(c, a);
      vt += d->diff_cc[b];
    }
    out->value = pow(s / vt, 1.0 / a);
    break;
  }
  case DVH_VOLUME: out->value = d->total_cc; break;
  }
  return RERT_OK;
}

int dvh_metric_eval_str(const rert_dvh *d, const char *metric, rert_dvh_value *out,
                        rert_err *err) {
  rert_dvh_metric m;
  int rc = dvh_metric_parse(metric, &m, err);
  if (rc) {
    out->value = NAN;
    out->complete = 0;
    return rc;
  }
  return dvh_metric_eval(d, &m, out, err);
}
