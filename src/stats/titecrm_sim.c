/* titecrm_sim.c — operating characteristics of a TITE-CRM design by simulation (§9.2).
 *
 * Each trial: patients arrive every `arrival_gap`; a patient at level i has a DLT with the true
 * probability of level i, at a time uniform over the window (dfcrm titesim "uniform"). At each
 * arrival the design (rule + restrictions) is applied to the data observed so far (follow-up =
 * min(now − entry, window), DLTs counted once they have occurred). If the S3 rule finds no
 * admissible dose the trial stops (selection "none"). After the last patient the MTD is chosen
 * from complete data with the rule alone. Each trial has its own xoshiro256** stream seeded from
 * (seed, trial index) by splitmix64, so results do not depend on the number of threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/titecrm.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

typedef struct {
  uint64_t s[4];
} rng;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static double rng_unif(rng *r) {
  uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
  return (res >> 11) * 0x1.0p-53;
}

typedef struct {
  int sel, stopped, n;
  int npat[RERT_CRM_MAX_LEVELS], ndlt[RERT_CRM_MAX_LEVELS];
  double duration;
  int error;
} trial_out;

static void run_trial(const rert_crm_design *d, const rert_crm_sim_spec *s, uint64_t idx,
                      rert_crm_patient *pts, double *entry, double *tdlt, trial_out *o) {
  memset(o, 0, sizeof *o);
  uint64_t sm = s->seed ^ (idx * 0xD1B54A32D192ED03ULL);
  rng r;
  for (int i = 0; i < 4; i++) r.s[i] = splitmix64(&sm);
  rert_crm_result res;
  rert_err err;
  int n = 0;
  double now = 0;
  for (int k = 0; k < s->n_patients; k++) {
    now = k * s->arrival_gap;
    /* data as observed at `now` for the patients already enrolled */
    for (int j = 0; j < n; j++) {
      double fu = fmin(now - entry[j], d->window);
      pts[j].dlt = tdlt[j] >= 0 && tdlt[j] <= now - entry[j];
      pts[j].followup = fu;
      pts[j].weight = -1;
    }
    if (crm_recommend(d, pts, n, &res, &err)) {
      o->error = 1;
      return;
    }
    if (res.state == RERT_CRM_NO_ADMISSIBLE) {
      o->stopped = 1;
      break;
    }
    int lv = res.next_level;
    pts[n].level = lv;
    entry[n] = now;
    tdlt[n] = rng_unif(&r) < s->true_ptox[lv - 1] ? rng_unif(&r) * d->window : -1;
    if (tdlt[n] < 0) (void)rng_unif(&r); /* keep the stream aligned between outcomes */
    n++;
  }
  o->n = n;
  for (int j = 0; j < n; j++) {
    o->npat[pts[j].level - 1]++;
    if (tdlt[j] >= 0) o->ndlt[pts[j].level - 1]++;
  }
  o->duration = n > 0 ? entry[n - 1] + d->window : 0;
  if (o->stopped) {
    o->sel = 0;
    o->duration = now;
    return;
  }
  /* final selection on complete data, rule only */
  rert_crm_design fd = *d;
  fd.restrict_s3 = 0;
  for (int j = 0; j < n; j++) {
    pts[j].dlt = tdlt[j] >= 0;
    pts[j].weight = 1.0;
  }
  if (crm_recommend(&fd, pts, n, &res, &err)) {
    o->error = 1;
    return;
  }
  o->sel = res.state == RERT_CRM_NO_ADMISSIBLE ? 0 : res.model_level;
}

int crm_simulate(const rert_crm_design *d, const rert_crm_sim_spec *s, rert_crm_sim_result *out,
                 rert_err *err) {
  memset(out, 0, sizeof *out);
  int rc = crm_design_check(d, err);
  if (rc) return rc;
  if (s->n_patients < 1 || s->n_patients > 10000)
    return rert_err_set(err, RERT_EINPUT, "patients per trial must be 1..10000");
  if (s->n_trials < 1 || s->n_trials > 10000000)
    return rert_err_set(err, RERT_EINPUT, "number of trials must be 1..1e7");
  if (!(s->arrival_gap >= 0) || !isfinite(s->arrival_gap))
    return rert_err_set(err, RERT_EINPUT, "arrival gap must be >= 0");
  for (int i = 0; i < d->nlevels; i++)
    if (!(s->true_ptox[i] >= 0 && s->true_ptox[i] <= 1))
      return rert_err_set(err, RERT_EINPUT, "true pDLT at level %d is not in [0, 1]", i + 1);
  int L = d->nlevels, errors = 0;
  long sel[RERT_CRM_MAX_LEVELS + 1] = {0}, np[RERT_CRM_MAX_LEVELS] = {0},
       nd[RERT_CRM_MAX_LEVELS] = {0}, nstop = 0, ntot = 0;
  double dur = 0;
#pragma omp parallel reduction(+ : errors, nstop, ntot, dur)
  {
    rert_crm_patient *pts = calloc((size_t)s->n_patients, sizeof *pts);
    double *entry = calloc((size_t)s->n_patients, sizeof *entry);
    double *tdlt = calloc((size_t)s->n_patients, sizeof *tdlt);
    long lsel[RERT_CRM_MAX_LEVELS + 1] = {0}, lnp[RERT_CRM_MAX_LEVELS] = {0},
         lnd[RERT_CRM_MAX_LEVELS] = {0};
    if (!pts || !entry || !tdlt) errors++;
#pragma omp for schedule(dynamic, 8)
    for (long t = 0; t < s->n_trials; t++) {
      if (!pts || !entry || !tdlt) continue;
      trial_out o;
      run_trial(d, s, (uint64_t)t, pts, entry, tdlt, &o);
      if (o.error) {
        errors++;
        continue;
      }
      lsel[o.sel]++;
      nstop += o.stopped;
      ntot += o.n;
      dur += o.duration;
      for (int i = 0; i < L; i++) lnp[i] += o.npat[i], lnd[i] += o.ndlt[i];
    }
#pragma omp critical
    {
      for (int i = 0; i <= L; i++) sel[i] += lsel[i];
      for (int i = 0; i < L; i++) np[i] += lnp[i], nd[i] += lnd[i];
    }
    free(pts), free(entry), free(tdlt);
  }
  if (errors) return rert_err_set(err, RERT_EINTERNAL, "simulation failed in %d trial(s)", errors);
  double T = s->n_trials;
  out->n_trials = s->n_trials;
  for (int i = 0; i <= L; i++) out->p_select[i] = sel[i] / T;
  for (int i = 0; i < L; i++) {
    out->mean_patients[i] = np[i] / T;
    out->mean_dlt[i] = nd[i] / T;
    out->mean_total_dlt += nd[i] / T;
  }
  out->p_stopped = nstop / T;
  out->mean_n = ntot / T;
  out->mean_duration = dur / T;
  return RERT_OK;
}
