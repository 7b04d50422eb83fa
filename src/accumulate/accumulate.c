/* accumulate.c — per-course voxel EQD2 with the local dose per fraction, the α/β map from the
 * structures with an explicit overlap rule, recovery of each prior course and the cumulative
 * sum on the reference grid (domain-reference §1.1, §1.4, §2, §3, §3.10, §4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"
#include "rert/radbio.h"
#include "rert/tissue.h"

void accum_input_init(accum_input *in) {
  memset(in, 0, sizeof *in);
  in->rule = AB_RULE_LOWEST_OAR;
  in->mask_threshold = 0.5;
  snprintf(in->default_recovery, sizeof in->default_recovery, "none");
}

int accumulate_interval_months(const accum_input *in, int c, double *months, rert_err *err) {
  rert_date to;
  int have = 0;
  for (int i = 0; i < in->ncourses; i++)
    if (in->courses[i].is_new) { to = in->courses[i].start; have = 1; }
  if (!have && in->has_reference_date) { to = in->reference_date; have = 1; }
  if (!have)
    return rert_err_set(err, RERT_EINPUT,
                        "no new course and no reference date: the recovery interval of %s is undefined",
                        in->courses[c].id);
  long days = date_diff_days(in->courses[c].end, to);
  if (days < 0)
    return rert_err_set(err, RERT_EINPUT, "course %s ends after the new course starts (interval %ld days)",
                        in->courses[c].id, days);
  *months = days / RERT_DAYS_PER_MONTH;
  return RERT_OK;
}

double accumulate_min_interval_months(const accum_input *in) {
  double best = NAN;
  for (int c = 0; c < in->ncourses; c++) {
    if (in->courses[c].is_new) continue;
    double t = NAN;
    rert_err e;
    if (accumulate_interval_months(in, c, &t, &e)) continue;
    if (isnan(best) || t < best) best = t;
  }
  return best;
}

int accum_recovery_setup(const char *spec, double t, accum_recovery *r, rert_err *err) {
  memset(r, 0, sizeof *r);
  if (recovery_model_get(spec, &r->m, err)) return RERT_EINPUT;
  r->is_limit = recovery_is_limit_model(&r->m);
  r->nonlinear = r->m.kind == REC_JONES_GRANT;
  r->limit_factor = recovery_limit_factor(&r->m, t);
  double R = 0;
  if (!r->nonlinear) {
    if (recovery_fraction(&r->m, t, &R, err)) return RERT_EINPUT;
  } else {
    double probe;
    if (recovery_apply_eqd2(&r->m, 1.0, t, 2.0, &probe, err)) return RERT_EINPUT;
  }
  r->keep = 1.0 - R;
  return RERT_OK;
}

static int build_conversion(const accum_course *co, int c, accum_prep *pp, rert_err *err) {
  /* The Zhang 2020 table is tabulated in per-fraction dose; find its valid range once and
   * tabulate the converted/original ratio so the voxel loop does no file or table lookup. */
  double lo = NAN, hi = NAN, step = 0.05, v;
  rert_err e;
  for (double d = step; d <= 20.0; d += step) {
    if (!rbe_convert_per_fraction(d, co->rbe, co->convert_to, &v, &e)) {
      if (isnan(lo)) lo = d;
      hi = d;
    } else if (!isnan(lo)) {
      break;
    }
  }
  if (isnan(lo))
    return rert_err_set(err, RERT_EINPUT, "course %s: no conversion from %s to %s is defined",
                        co->id, rbe_model_name(co->rbe), rbe_model_name(co->convert_to));
  /* refine both ends of the valid range by bisection (the table limits, not the probe step) */
  double a = lo - step, b = lo;
  for (int it = 0; it < 40; it++) {
    double m = 0.5 * (a + b);
    if (m > 0 && !rbe_convert_per_fraction(m, co->rbe, co->convert_to, &v, &e)) b = m; else a = m;
  }
  lo = b;
  a = hi, b = hi + step;
  for (int it = 0; it < 40; it++) {
    double m = 0.5 * (a + b);
    if (!rbe_convert_per_fraction(m, co->rbe, co->convert_to, &v, &e)) a = m; else b = m;
  }
  hi = a;
  if (!(hi > lo))
    return rert_err_set(err, RERT_EINPUT, "course %s: conversion range from %s to %s is empty",
                        co->id, rbe_model_name(co->rbe), rbe_model_name(co->convert_to));
  pp->conv_lo[c] = lo;
  pp->conv_hi[c] = hi;
  for (int i = 0; i < ACCUM_CONV_TAB; i++) {
    double d = lo + (hi - lo) * i / (ACCUM_CONV_TAB - 1);
    if (d > hi) d = hi;
    if (rbe_convert_per_fraction(d, co->rbe, co->convert_to, &v, err))
      return rert_err_prefix(err, RERT_EINPUT, "course %s", co->id);
    pp->conv_ratio[c][i] = (float)(v / d);
  }
  pp->has_conv[c] = 1;
  return RERT_OK;
}

int accum_prepare(const accum_input *in, accum_prep *pp, rert_err *err) {
  memset(pp, 0, sizeof *pp);
  pp->new_index = -1;
  if (in->ncourses < 1 || in->ncourses > ACCUM_MAX_COURSES)
    return rert_err_set(err, RERT_EINPUT, "accumulate: need 1..%d courses (got %d)", ACCUM_MAX_COURSES,
                        in->ncourses);
  if (in->nstructs < 0 || in->nstructs > ACCUM_MAX_STRUCTS)
    return rert_err_set(err, RERT_EINPUT, "accumulate: at most %d structures", ACCUM_MAX_STRUCTS);
  if (!(in->mask_threshold > 0 && in->mask_threshold <= 1))
    return rert_err_set(err, RERT_EINPUT, "accumulate: mask_threshold must be in (0, 1]");
  const rert_volume *ref = in->courses[0].dose;
  for (int c = 0; c < in->ncourses; c++) {
    const accum_course *co = &in->courses[c];
    if (!co->dose || !co->dose->data)
      return rert_err_set(err, RERT_EINPUT, "course %s: no dose", co->id);
    if (!volume_same_geometry(co->dose, ref))
      return rert_err_set(err, RERT_EINPUT,
                          "course %s: dose is not on the reference grid (map it through register first)", co->id);
    for (int b = 0; b < 2; b++) {
      const rert_volume *bd = b ? co->dose_upper : co->dose_lower;
      if (bd && !volume_same_geometry(bd, ref))
        return rert_err_set(err, RERT_EINPUT, "course %s: %s bound map is not on the reference grid",
                            co->id, b ? "upper" : "lower");
    }
    if (co->fractions < 1)
      return rert_err_set(err, RERT_EINPUT,
                          "course %s: number of fractions must be >= 1 (from RTPLAN or the case file)", co->id);
    if (co->nparts < 0 || co->nparts > ACCUM_MAX_PARTS)
      return rert_err_set(err, RERT_EINPUT, "course %s: %d fraction groups (at most %d)", co->id,
                          co->nparts, ACCUM_MAX_PARTS);
    for (int p = 0; p < co->nparts; p++) {
      if (!co->part_dose[p] || !co->part_dose[p]->data || !volume_same_geometry(co->part_dose[p], ref))
        return rert_err_set(err, RERT_EINPUT, "course %s: fraction group %d dose missing or not on "
                            "the reference grid", co->id, p + 1);
      if (co->part_fractions[p] < 1)
        return rert_err_set(err, RERT_EINPUT, "course %s: fraction group %d has %d fractions", co->id,
                            p + 1, co->part_fractions[p]);
      if (co->dose_upper && (!co->part_upper[p] || !volume_same_geometry(co->part_upper[p], ref)))
        return rert_err_set(err, RERT_EINPUT, "course %s: bound maps need one per fraction group",
                            co->id);
    }
    if (co->is_new) {
      if (pp->new_index >= 0)
        return rert_err_set(err, RERT_EINPUT, "courses %s and %s are both marked new",
                            in->courses[pp->new_index].id, co->id);
      pp->new_index = c;
    }
    int m = co->fractions_per_day > 1 ? co->fractions_per_day : 1;
    if (m > 1) {
      if (!(co->interfraction_interval_h > 0))
        return rert_err_set(err, RERT_EINPUT,
                            "course %s: %d fractions/day need interfraction_interval_h > 0", co->id, m);
    }
    pp->eff_rbe[c] = co->rbe;
    if (co->convert_to_set && co->convert_to != co->rbe) {
      if (build_conversion(co, c, pp, err)) return RERT_EINPUT;
      pp->eff_rbe[c] = co->convert_to;
    }
  }
  /* RBE interlock: every pair must be summable on the effective model (§4.3). */
  for (int a = 0; a < in->ncourses; a++)
    for (int b = a + 1; b < in->ncourses; b++)
      if (rbe_check_summable(in->courses[a].modality, pp->eff_rbe[a], in->courses[b].modality,
                             pp->eff_rbe[b], err))
        return rert_err_prefix(err, RERT_EINPUT, "courses %s and %s", in->courses[a].id, in->courses[b].id);
  for (int c = 0; c < in->ncourses; c++) {
    pp->interval_months[c] = NAN;
    if (in->courses[c].is_new) continue;
    if (accumulate_interval_months(in, c, &pp->interval_months[c], err)) return RERT_EINPUT;
  }
  pp->nvox = volume_count(ref);
  pp->voxel_cc = ref->spacing_mm[0] * ref->spacing_mm[1] * ref->spacing_mm[2] / 1000.0;
  if (tissue_default_alpha_beta("target", &pp->target_ab, err)) return RERT_EINPUT;
  if (tissue_default_alpha_beta("unlisted", &pp->unlisted_ab, err)) return RERT_EINPUT;
  for (int s = 0; s < in->nstructs; s++) {
    const accum_structure *st = &in->structs[s];
    if (!st->mask || !st->mask->data || !volume_same_geometry(st->mask, ref))
      return rert_err_set(err, RERT_EINPUT, "structure %s: mask missing or not on the reference grid", st->name);
    double ab = st->alpha_beta_gy;
    tissue_params tp;
    rert_err e2;
    int known = !st->is_target && !tissue_lookup(st->name, &tp, &e2);
    pp->struct_t12[s] = known ? tp.repair_halftime_h : NAN;
    if (isnan(ab)) {
      if (st->is_target) ab = pp->target_ab;
      else if (known) ab = tp.alpha_beta_gy;
      else if (tissue_default_alpha_beta("oar", &ab, err)) return RERT_EINPUT;
    }
    if (!(ab > 0)) return rert_err_set(err, RERT_EINPUT, "structure %s: alpha_beta_gy must be > 0", st->name);
    pp->struct_ab[s] = ab;
  }
  {
    /* longest repair half-time of any tissue: the conservative value (largest h) for tissue
     * whose own T½ is unknown (docs/accumulate.md) */
    tissue_params *tl = calloc(256, sizeof *tl);
    int nt = 0;
    pp->fallback_t12 = NAN;
    if (tl && !tissue_list(tl, 256, &nt, err))
      for (int i = 0; i < nt; i++)
        if (tl[i].repair_halftime_h > 0 && !(tl[i].repair_halftime_h <= pp->fallback_t12))
          pp->fallback_t12 = tl[i].repair_halftime_h;
    free(tl);
  }
  for (int c = 0; c < in->ncourses; c++) {
    const accum_course *co = &in->courses[c];
    int m = co->fractions_per_day > 1 ? co->fractions_per_day : 1;
    /* h depends on the tissue's repair half-time (§1.4): an organ's own T½ from
     * data/tissues.json, else the course's stated repair_halftime_h. */
    for (int s = 0; s <= in->nstructs; s++) {
      pp->h[c][s] = 0;
      if (m <= 1) continue;
      double th = accum_t12(pp, s, in->nstructs, co->repair_halftime_h);
      if (!(th > 0))
        return rert_err_set(err, RERT_EINPUT, "course %s: %d fractions/day need a repair half-time", co->id, m);
      pp->h[c][s] = radbio_thames_h(m, co->interfraction_interval_h, th);
    }
  }
  return RERT_OK;
}

const char *accum_verdict_name(accum_verdict v) {
  static const char *n[] = {"PASS", "FAIL", "not applicable", "not evaluated", "incomplete"};
  return (unsigned)v < 5 ? n[v] : "?";
}

void accum_result_free(accum_result *r) {
  if (!r) return;
  for (int c = 0; c < ACCUM_MAX_COURSES; c++) volume_free(&r->course_eqd2[c]);
  volume_free(&r->recovered_prior);
  volume_free(&r->cumulative);
  volume_free(&r->alpha_beta);
  free(r->governing);
  memset(r, 0, sizeof *r);
}

static void set_meta(rert_volume *v, rert_quantity q, const char *prov, const char *desc,
                     const char *recovery, int fractions) {
  memset(&v->meta, 0, sizeof v->meta);
  v->meta.quantity = q;
  v->meta.bound = BOUND_NOMINAL;
  v->meta.rbe = RBE_PHYSICAL;
  v->meta.rbe_factor = 1;
  v->meta.alpha_beta_gy = q == QTY_ALPHA_BETA ? NAN : 0; /* 0 = per-voxel α/β map */
  v->meta.eqdx_ref_gy = q == QTY_EQD2 ? 2.0 : 0;
  v->meta.fractions = fractions;
  snprintf(v->meta.recovery, sizeof v->meta.recovery, "%s", recovery);
  snprintf(v->meta.provenance, sizeof v->meta.provenance, "%s", prov);
  snprintf(v->meta.description, sizeof v->meta.description, "%s", desc);
}

int accumulate_run(const accum_input *in, accum_result *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  accum_prep *pp = malloc(sizeof *pp);
  if (!pp) return rert_err_set(err, RERT_EINTERNAL, "accumulate: out of memory");
  int rc = accum_prepare(in, pp, err);
  if (rc) { free(pp); return rc; }
  const rert_volume *ref = in->courses[0].dose;
  size_t N = pp->nvox;
  out->ncourses = in->ncourses;
  out->unlisted_alpha_beta_gy = pp->unlisted_ab;
  out->target_alpha_beta_gy = pp->target_ab;
  for (int s = 0; s < in->nstructs; s++) out->struct_alpha_beta_gy[s] = pp->struct_ab[s];

  if (volume_alloc_like(&out->alpha_beta, ref, err) || volume_alloc_like(&out->recovered_prior, ref, err) ||
      volume_alloc_like(&out->cumulative, ref, err) || !(out->governing = malloc(N * sizeof(short)))) {
    accum_result_free(out);
    free(pp);
    return rert_err_set(err, RERT_EINTERNAL, "accumulate: out of memory for %zu voxels", N);
  }
  /* α/β map (structure loops, i fastest inside each; no per-voxel name lookup). */
  float *ab = out->alpha_beta.data;
  short *gov = out->governing;
  unsigned char *oar = calloc(N, 1);
  if (!oar) { accum_result_free(out); free(pp); return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
  for (size_t v = 0; v < N; v++) { ab[v] = NAN; gov[v] = -1; }
  const float thr = (float)in->mask_threshold;
  for (int s = 0; s < in->nstructs; s++) {
    const accum_structure *st = &in->structs[s];
    const float *mk = st->mask->data;
    float sab = (float)pp->struct_ab[s];
    if (in->rule == AB_RULE_LIST_ORDER) {
#pragma omp parallel for schedule(static)
      for (size_t v = 0; v < N; v++)
        if (mk[v] >= thr && gov[v] < 0) { ab[v] = sab; gov[v] = (short)s; }
    } else if (!st->is_target) {
#pragma omp parallel for schedule(static)
      for (size_t v = 0; v < N; v++)
        if (mk[v] >= thr && (!oar[v] || sab < ab[v])) { ab[v] = sab; gov[v] = (short)s; oar[v] = 1; }
    }
  }
  if (in->rule == AB_RULE_LOWEST_OAR)
    for (int s = 0; s < in->nstructs; s++) {
      const accum_structure *st = &in->structs[s];
      if (!st->is_target) continue;
      const float *mk = st->mask->data;
      float sab = (float)pp->struct_ab[s];
#pragma omp parallel for schedule(static)
      for (size_t v = 0; v < N; v++)
        if (mk[v] >= thr && !oar[v] && (gov[v] < 0 || sab < ab[v])) { ab[v] = sab; gov[v] = (short)s; }
    }
  free(oar);
  const float unl = (float)pp->unlisted_ab;
#pragma omp parallel for schedule(static)
  for (size_t v = 0; v < N; v++)
    if (gov[v] < 0) ab[v] = unl;
  snprintf(out->rule_text, sizeof out->rule_text,
           in->rule == AB_RULE_LOWEST_OAR
               ? "alpha/beta per voxel: lowest alpha/beta of the OARs covering it (mask >= %.2f); "
                 "targets (alpha/beta %.3g unless set) only where no OAR overlaps; elsewhere the "
                 "unlisted default %.3g Gy (data/tissues.json). The same structure supplies the recovery model."
               : "alpha/beta per voxel: first listed structure covering it (mask >= %.2f); targets "
                 "default %.3g; elsewhere the unlisted default %.3g Gy (data/tissues.json).",
           in->mask_threshold, pp->target_ab, pp->unlisted_ab);
  set_meta(&out->alpha_beta, QTY_ALPHA_BETA, "", "alpha/beta map (Gy), overlap rule in report", "", 0);

  /* Recovery per (course, structure) — set up once, applied by voxel via the governing index. */
  int S = in->nstructs;
  accum_recovery *rec = calloc((size_t)in->ncourses * (S + 1), sizeof *rec);
  if (!rec) { accum_result_free(out); free(pp); return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
  char prov[256] = "", recdesc[128] = "";
  for (int c = 0; c < in->ncourses; c++) {
    const accum_course *co = &in->courses[c];
    size_t L = strlen(prov);
    snprintf(prov + L, sizeof prov - L, "%s%s", L ? "+" : "", co->id);
    out->interval_months[c] = pp->interval_months[c];
    if (co->is_new) continue;
    for (int s = 0; s <= S; s++) {
      const char *spec = (s < S && in->structs[s].recovery[c][0]) ? in->structs[s].recovery[c] : in->default_recovery;
      accum_recovery *r = &rec[c * (S + 1) + s];
      if (accum_recovery_setup(spec, pp->interval_months[c], r, err)) {
        if (s < S) rert_err_prefix(err, RERT_EINPUT, "structure %s, course %s", in->structs[s].name, co->id);
        else rert_err_prefix(err, RERT_EINPUT, "default recovery, course %s", co->id);
        free(rec); accum_result_free(out); free(pp);
        return RERT_EINPUT;
      }
      /* limit models (CARE, Ng) do not discount the prior dose: recovery is in the limit */
      out->recovered_fraction[c][s] = r->is_limit ? 0 : 1 - r->keep;
    }
  }
  snprintf(recdesc, sizeof recdesc, "per organ (default %s)", in->default_recovery);

  double thr_d = INFINITY;
  {
    rert_err e;
    double t;
    if (!radbio_model_dependent_threshold_gy(&t, &e)) thr_d = t;
  }
  long hi_count = 0;
  float *rp = out->recovered_prior.data, *cum = out->cumulative.data;
  for (int c = 0; c < in->ncourses; c++) {
    const accum_course *co = &in->courses[c];
    rert_volume *E = &out->course_eqd2[c];
    if (volume_alloc_like(E, ref, err)) {
      free(rec); accum_result_free(out); free(pp);
      return rert_err_set(err, RERT_EINTERNAL, "accumulate: out of memory");
    }
    char desc[256];
    snprintf(desc, sizeof desc, "EQD2 of %s, %d fx%s, alpha/beta per voxel, no recovery", co->id,
             co->fractions, co->fractions_per_day > 1 ? ", Thames incomplete repair" : "");
    set_meta(E, QTY_EQD2, co->id, desc, "", co->fractions);
    E->meta.rbe = pp->eff_rbe[c];
    const float *D = co->dose->data;
    float *e = E->data;
    const double n = co->fractions, t = pp->interval_months[c];
    const double *hc_s = pp->h[c];
    const accum_recovery *rc0 = &rec[c * (S + 1)];
    const int is_new = co->is_new;
    long hc = 0, cc = 0;
    const int conv = pp->has_conv[c];
    const double clo = pp->conv_lo[c], chi = pp->conv_hi[c];
#pragma omp parallel for schedule(static) reduction(+ : hc, cc)
    for (size_t v = 0; v < N; v++) {
      if (conv && D[v] > 0 && (D[v] / n < clo || D[v] / n > chi)) cc++;
      if (accum_course_dpf(pp, co, c, v) > thr_d) hc++;
      double a = ab[v];
      int g = gov[v] < 0 ? S : gov[v];
      /* per fraction group with its own fractions when the course has several (§1.1) */
      double q = accum_course_eqd2(pp, co, c, v, 0, 1.0, n, hc_s[g], a);
      e[v] = (float)q;
      if (is_new) {
        cum[v] += (float)q;
      } else {
        const accum_recovery *r = &rc0[g];
        double k = r->is_limit ? q : accum_recover(r, q, t, a);
        rp[v] += (float)k;
        cum[v] += (float)k;
      }
    }
    hi_count += hc;
    out->rbe_conversion_clamped_voxels += cc;
  }
  out->high_dose_per_fraction_voxels = hi_count;
  set_meta(&out->recovered_prior, QTY_EQD2, prov, "recovered prior EQD2 (sum of prior courses after recovery)",
           recdesc, 0);
  set_meta(&out->cumulative, QTY_EQD2, prov, "cumulative EQD2 (recovered prior + new course), alpha/beta per voxel",
           recdesc, 0);
  free(rec);
  free(pp);
  return RERT_OK;
}
