/* ntcp.c — Lyman–Kutcher–Burman NTCP (domain-reference §6.7) with parameters from
 * data/ntcp_lkb.json (every entry carries verified=false until checked against Burman 1991 /
 * QUANTEC). EUD = (Σ v_i D_i^(1/n))^n over a differential DVH; NTCP = Φ((EUD − TD50)/(m·TD50)).
 * Doses are conventional-fractionation doses: for reRT feed cumulative EQD2, an extrapolation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/data.h"

double ntcp_lkb_eud_gy(const double *dose_gy, const double *vol_frac, int nbins, double n) {
  double s = 0, vt = 0;
  for (int i = 0; i < nbins; i++) {
    vt += vol_frac[i];
    if (vol_frac[i] > 0) s += vol_frac[i] * pow(dose_gy[i], 1.0 / n);
  }
  if (!(vt > 0)) return NAN;
  return pow(s / vt, n); /* normalise so a DVH that does not sum to 1 still gives a mean */
}

double ntcp_lkb(double eud_gy, const lkb_params *p) {
  double t = (eud_gy - p->td50_gy) / (p->m * p->td50_gy);
  return 0.5 * erfc(-t / sqrt(2.0));
}

int ntcp_lkb_lookup(const char *organ, lkb_params *out, int max, int *count, rert_err *err) {
  cJSON *doc;
  *count = 0;
  int rc = data_load_json("ntcp_lkb.json", &doc, err);
  if (rc) return rc;
  /* laterality suffix: Parotid_L → Parotid */
  char base[64];
  snprintf(base, sizeof base, "%s", organ);
  size_t l = strlen(base);
  if (l > 2 && base[l - 2] == '_' && (base[l - 1] == 'L' || base[l - 1] == 'R')) base[l - 2] = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "entries")) {
    const char *o = NULL, *id = NULL, *ep = NULL, *src = NULL;
    if (json_get_string(e, "organ", &o, "ntcp_lkb.json: entries", err) ||
        json_get_string(e, "id", &id, "ntcp_lkb.json: entries", err)) { rc = RERT_EINTERNAL; break; }
    if (strcmp(o, base) != 0 && strcmp(id, organ) != 0) continue;
    if (*count >= max) break;
    lkb_params *p = &out[*count];
    memset(p, 0, sizeof *p);
    rc = json_get_string(e, "endpoint", &ep, "ntcp_lkb.json: entries", err);
    if (!rc) rc = json_get_string(e, "source", &src, "ntcp_lkb.json: entries", err);
    if (!rc) rc = json_get_number(e, "td50_gy", &p->td50_gy, "ntcp_lkb.json: entries", err);
    if (!rc) rc = json_get_number(e, "m", &p->m, "ntcp_lkb.json: entries", err);
    if (!rc) rc = json_get_number(e, "n", &p->n, "ntcp_lkb.json: entries", err);
    if (rc) break;
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->organ, sizeof p->organ, "%s", o);
    snprintf(p->endpoint, sizeof p->endpoint, "%s", ep);
    snprintf(p->source, sizeof p->source, "%s", src);
    p->verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "verified"));
    (*count)++;
  }
  cJSON_Delete(doc);
  return rc;
}
