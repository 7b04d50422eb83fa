/* metric.c — dose-volume metric strings used by constraint protocols and their evaluation on
 * weighted voxel samples (domain-reference §0.2: D0.03cc/D0.05cc/D0.1cc are single-voxel-maximum
 * surrogates; §5 metrics).
 *
 * Convention: D_x (x cc or x %) is the minimum dose received by the hottest x of the organ,
 * i.e. the dose of the sample at which the cumulative volume (hottest first) first reaches x.
 * When x is smaller than the hottest voxel's volume this is that voxel's dose, so D0.03cc on a
 * 1-cc-voxel grid equals Dmax, the conservative reading S2 intends.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/protocol.h"

static int parse_num(const char *s, const char *end, double *out) {
  char buf[32];
  size_t n = (size_t)(end - s);
  if (n == 0 || n >= sizeof buf) return 0;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *e = NULL;
  double v = strtod(buf, &e);
  if (e == buf || *e || !isfinite(v) || v < 0) return 0;
  *out = v;
  return 1;
}

int protocol_metric_parse(const char *s, protocol_metric *m, rert_err *err) {
  memset(m, 0, sizeof *m);
  if (!s || !*s || strlen(s) >= sizeof m->text)
    return rert_err_set(err, RERT_EINPUT, "metric \"%s\": empty or too long", s ? s : "");
  snprintf(m->text, sizeof m->text, "%s", s);
  if (!strcmp(s, "Dmax")) { m->kind = MET_DMAX; return RERT_OK; }
  if (!strcmp(s, "Dmin")) { m->kind = MET_DMIN; return RERT_OK; }
  if (!strcmp(s, "Dmean")) { m->kind = MET_DMEAN; return RERT_OK; }
  size_t L = strlen(s);
  if (s[0] == 'D' && L > 3 && !strcmp(s + L - 2, "cc")) {
    if (parse_num(s + 1, s + L - 2, &m->param) && m->param > 0) { m->kind = MET_D_CC; return RERT_OK; }
  } else if (s[0] == 'D' && L > 2 && s[L - 1] == '%') {
    if (parse_num(s + 1, s + L - 1, &m->param) && m->param > 0 && m->param <= 100) {
      m->kind = MET_D_PCT;
      return RERT_OK;
    }
  } else if ((s[0] == 'V' || (s[0] == 'C' && s[1] == 'V'))) {
    const char *p = s[0] == 'V' ? s + 1 : s + 2;
    const char *gy = strstr(p, "Gy[");
    if (gy && (!strcmp(gy, "Gy[%]") || !strcmp(gy, "Gy[cc]")) && parse_num(p, gy, &m->param)) {
      m->kind = s[0] == 'V' ? MET_V_GY : MET_CV_GY;
      m->volume_in_pct = !strcmp(gy, "Gy[%]");
      return RERT_OK;
    }
  }
  return rert_err_set(err, RERT_EINPUT,
                      "metric \"%s\" not understood (use Dmax, Dmin, Dmean, D0.03cc, D95%%, "
                      "V20Gy[%%], V20Gy[cc], CV15Gy[cc])", s);
}

int protocol_metric_is_pointlike(const protocol_metric *m) {
  return m->kind == MET_DMAX || m->kind == MET_D_CC;
}

/* Sort (value, volume) pairs by value, descending. */
typedef struct {
  double v, w;
} vw_pair;

static int cmp_desc(const void *a, const void *b) {
  double x = ((const vw_pair *)a)->v, y = ((const vw_pair *)b)->v;
  return (x < y) - (x > y);
}

int protocol_metric_eval(const protocol_metric *m, const double *values, const double *volume_cc,
                         size_t n, double *result, rert_err *err) {
  double total = 0, vmax = -INFINITY, vmin = INFINITY, wsum = 0;
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(volume_cc[i] > 0)) continue;
    used++;
    total += volume_cc[i];
    wsum += values[i] * volume_cc[i];
    if (values[i] > vmax) vmax = values[i];
    if (values[i] < vmin) vmin = values[i];
  }
  if (used == 0 || !(total > 0))
    return rert_err_set(err, RERT_EINPUT, "metric %s: structure has no volume on the dose grid",
                        m->text);
  switch (m->kind) {
  case MET_DMAX: *result = vmax; return RERT_OK;
  case MET_DMIN: *result = vmin; return RERT_OK;
  case MET_DMEAN: *result = wsum / total; return RERT_OK;
  case MET_V_GY:
  case MET_CV_GY: {
    double v = 0;
    for (size_t i = 0; i < n; i++)
      if (volume_cc[i] > 0 && ((values[i] >= m->param) == (m->kind == MET_V_GY))) v += volume_cc[i];
    *result = m->volume_in_pct ? 100.0 * v / total : v;
    return RERT_OK;
  }
  case MET_D_CC:
  case MET_D_PCT: {
    double target = m->kind == MET_D_CC ? m->param : m->param / 100.0 * total;
    vw_pair *pr = malloc(used * sizeof *pr);
    if (!pr) return rert_err_set(err, RERT_EINTERNAL, "metric %s: out of memory", m->text);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (volume_cc[i] > 0) pr[k++] = (vw_pair){values[i], volume_cc[i]};
    qsort(pr, used, sizeof *pr, cmp_desc);
    double cum = 0, r = pr[used - 1].v;
    /* relative tolerance so D100% lands on the last sample despite rounding */
    for (size_t i = 0; i < used; i++) {
      cum += pr[i].w;
      if (cum >= target * (1 - 1e-12)) { r = pr[i].v; break; }
    }
    free(pr);
    *result = r;
    return RERT_OK;
  }
  }
  return rert_err_set(err, RERT_EINTERNAL, "metric %s: unknown kind", m->text);
}
