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

int accum_input_add_structure(accum_input *in, accum_structure **out, rert_err *err) {
  if (in->nstructs == in->cap_structs) {
    int cap = in->cap_structs ? 2 * in->cap_structs : 32;
    accum_structure *ns = realloc(in->structs, (size_t)cap * sizeof *ns);
    if (!ns) return rert_err_set(err, RERT_EINTERNAL, "accumulate: out of memory for %d structures", cap);
    in->structs = ns;
    in->cap_structs = cap;
  }
  accum_structure *st = &in->structs[in->nstructs];
  memset(st, 0, sizeof *st);
  st->alpha_beta_gy = NAN;
  st->list_order = in->nstructs;
  in->nstructs++;
  *out = st;
  return RERT_OK;
}

void accum_input_free(accum_input *in) {
  if (!in) return;
  free(in->structs);
  in->structs = NULL;
  in->nstructs = in->cap_structs = 0;
}

void accum_prep_free(accum_prep *pp) {
  if (!pp) return;
  free(pp->h);
  free(pp->struct_t12);
  free(pp->struct_ab);
  pp->h = pp->struct_t12 = pp->struct_ab = NULL;
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

static int prepare(const accum_input *in, accum_prep *pp, rert_err *err);

int accum_prepare(const accum_input *in, accum_prep *pp, rert_err *err) {
  memset(pp, 0, sizeof *pp);
  int rc = prepare(in, pp, err);
  if (rc) accum_prep_free(pp);
  return rc;
}

static int prepare(const accum_input *in, accum_prep *pp, rert_err *err) {
  pp->new_index = -1;
  if (in->ncourses < 1 || in->ncourses > ACCUM_MAX_COURSES)
    return rert_err_set(err, RERT_EINPUT, "accumulate: need 1..%d courses (got %d)", ACCUM_MAX_COURSES,
                        in->ncourses);
  if (in->nstructs < 0 || (in->nstructs > 0 && !in->structs))
    return rert_err_set(err, RERT_EINPUT, "accumulate: structure list missing");
  const int S = in->nstructs;
  pp->nstructs = S;
  pp->h = calloc((size_t)in->ncourses * (S + 1), sizeof *pp->h);
  pp->struct_t12 = calloc((size_t)S + 1, sizeof *pp->struct_t12);
  pp->struct_ab = calloc((size_t)S + 1, sizeof *pp->struct_ab);
  if (!pp->h || !pp->struct_t12 || !pp->struct_ab) {
    accum_prep_free(pp);
    return rert_err_set(err, RERT_EINTERNAL, "accumulate: out of memory for %d structures", S);
  }
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
    if (st->state == ACCUM_STRUCT_OK && (!st->mask || !st->mask->data || !volume_same_geometry(st->mask, ref)))
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
      double *hc = &pp->h[(size_t)c * (S + 1) + s];
      *hc = 0;
      if (m <= 1) continue;
      double th = accum_t12(pp, s, in->nstructs, co->repair_halftime_h);
      if (!(th > 0))
        return rert_err_set(err, RERT_EINPUT, "course %s: %d fractions/day need a repair half-time", co->id, m);
      *hc = radbio_thames_h(m, co->interfraction_interval_h, th);
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
  free(r->recovered_fraction);
  free(r->struct_alpha_beta_gy);
  memset(r, 0, sizeof *r);
}

/* Precedence of the structures in the α/β map, best first (docs/accumulate.md step 3):
 * lowest-oar — lower α/β, then less recovery (larger kept fraction summed over the prior
 * courses: the conservative model), then longer repair half-time (larger Thames factor), then
 * the name; never the ROI order. list-order — list_order, then index. */
typedef struct {
  const accum_input *in;
  const accum_prep *pp;
  const double *keep;   /* [s] kept fraction of the prior dose summed over prior courses */
} order_ctx;
static order_ctx g_order; /* qsort has no context argument; set and used on the calling thread */

static int cmp_precedence(const void *pa, const void *pb) {
  int a = *(const int *)pa, b = *(const int *)pb;
  const order_ctx *o = &g_order;
  if (o->in->rule == AB_RULE_LIST_ORDER) {
    int la = o->in->structs[a].list_order, lb = o->in->structs[b].list_order;
    if (la != lb) return la < lb ? -1 : 1;
    return (a > b) - (a < b);
  }
  double x = o->pp->struct_ab[a], y = o->pp->struct_ab[b];
  if (x != y) return x < y ? -1 : 1;
  if (o->keep[a] != o->keep[b]) return o->keep[a] > o->keep[b] ? -1 : 1;
  double ta = o->pp->struct_t12[a], tb = o->pp->struct_t12[b];
  ta = ta > 0 ? ta : o->pp->fallback_t12;
  tb = tb > 0 ? tb : o->pp->fallback_t12;
  if (ta != tb && !(isnan(ta) && isnan(tb))) return (isnan(tb) || ta > tb) ? -1 : 1;
  int c = strcmp(o->in->structs[a].name, o->in->structs[b].name);
  if (c) return c;
  return (a > b) - (a < b);
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
  const int S = in->nstructs;
  out->ncourses = in->ncourses;
  out->nstructs = S;
  out->unlisted_alpha_beta_gy = pp->unlisted_ab;
  out->target_alpha_beta_gy = pp->target_ab;
  accum_recovery *rec = calloc((size_t)in->ncourses * (S + 1), sizeof *rec);
  double *keep = calloc((size_t)S + 1, sizeof *keep);
  int *order = calloc((size_t)S + 1, sizeof *order);
  out->struct_alpha_beta_gy = calloc((size_t)S + 1, sizeof *out->struct_alpha_beta_gy);
  out->recovered_fraction = calloc((size_t)in->ncourses * (S + 1), sizeof *out->recovered_fraction);
  if (!rec || !keep || !order || !out->struct_alpha_beta_gy || !out->recovered_fraction ||
      volume_alloc_like(&out->alpha_beta, ref, err) || volume_alloc_like(&out->recovered_prior, ref, err) ||
      volume_alloc_like(&out->cumulative, ref, err) || !(out->governing = malloc(N * sizeof(int)))) {
    free(rec); free(keep); free(order);
    accum_result_free(out);
    accum_prep_free(pp);
    free(pp);
    return rert_err_set(err, RERT_EINTERNAL, "accumulate: out of memory for %zu voxels", N);
  }
  for (int s = 0; s < S; s++) out->struct_alpha_beta_gy[s] = pp->struct_ab[s];

  /* Recovery per (course, structure) — set up once, applied by voxel via the governing index. */
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
        free(rec); free(keep); free(order); accum_result_free(out); accum_prep_free(pp); free(pp);
        return RERT_EINPUT;
      }
      /* limit models (CARE, Ng) do not discount the prior dose: recovery is in the limit */
      out->recovered_fraction[(size_t)c * (S + 1) + s] = r->is_limit ? 0 : 1 - r->keep;
      if (s < S) {
        double k = 1;
        if (!r->is_limit) {
          if (r->nonlinear) {
            /* dose-dependent (Jones-Grant): kept fraction of a 50 Gy EQD2 prior dose */
            double e = 50.0;
            k = accum_recover(r, e, pp->interval_months[c], pp->struct_ab[s]) / e;
          } else {
            k = r->keep;
          }
        }
        keep[s] += k;
      }
    }
  }
  snprintf(recdesc, sizeof recdesc, "per organ (default %s)", in->default_recovery);

  /* α/β map: structures in precedence order, best first; a voxel keeps the first structure
   * that claims it (OARs before targets under lowest-oar). No per-voxel name lookup. */
  for (int s = 0; s < S; s++) order[s] = s;
  g_order = (order_ctx){in, pp, keep};
  qsort(order, (size_t)S, sizeof *order, cmp_precedence);
  float *ab = out->alpha_beta.data;
  int *gov = out->governing;
  for (size_t v = 0; v < N; v++) { ab[v] = NAN; gov[v] = -1; }
  const float thr = (float)in->mask_threshold;
  long ties = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int q = 0; q < S; q++) {
      const int s = order[q];
      const accum_structure *st = &in->structs[s];
      if (st->state != ACCUM_STRUCT_OK) continue;
      if (in->rule == AB_RULE_LOWEST_OAR && (pass == 0) == (st->is_target != 0)) continue;
      if (in->rule == AB_RULE_LIST_ORDER && pass == 1) continue;
      const float *mk = st->mask->data;
      const float sab = (float)pp->struct_ab[s];
      const double ks = keep[s];
      long t = 0;
#pragma omp parallel for schedule(static) reduction(+ : t)
      for (size_t v = 0; v < N; v++) {
        if (!(mk[v] >= thr)) continue;
        int g = gov[v];
        if (g < 0) { ab[v] = sab; gov[v] = s; }
        else if (ab[v] == sab && keep[g] != ks) t++; /* equal α/β, other recovery: g kept (less recovery) */
      }
      ties += t;
    }
  }
  out->recovery_ties = ties;
  const float unl = (float)pp->unlisted_ab;
#pragma omp parallel for schedule(static)
  for (size_t v = 0; v < N; v++)
    if (gov[v] < 0) ab[v] = unl;
  snprintf(out->rule_text, sizeof out->rule_text,
           in->rule == AB_RULE_LOWEST_OAR
               ? "alpha/beta per voxel: lowest alpha/beta of the OARs covering it (mask >= %.2f); "
                 "targets (alpha/beta %.3g unless set) only where no OAR overlaps; elsewhere the "
                 "unlisted default %.3g Gy (data/tissues.json). The same structure supplies the recovery model; "
                 "where OARs of equal alpha/beta overlap, the one with the smaller prior-dose recovery governs "
                 "(conservative; %ld voxels), then the longer repair half-time, then the name: "
                 "independent of the ROI order."
               : "alpha/beta per voxel: first listed structure covering it (mask >= %.2f); targets "
                 "default %.3g; elsewhere the unlisted default %.3g Gy (data/tissues.json). "
                 "Order: the structure set's ROI order (%ld equal-alpha/beta overlaps with different recovery).",
           in->mask_threshold, pp->target_ab, pp->unlisted_ab, ties);
  set_meta(&out->alpha_beta, QTY_ALPHA_BETA, "", "alpha/beta map (Gy), overlap rule in report", "", 0);
  free(keep);
  free(order);

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
      free(rec); accum_result_free(out); accum_prep_free(pp); free(pp);
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
    const double *hc_s = &pp->h[(size_t)c * (S + 1)];
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
  accum_prep_free(pp);
  free(pp);
  return RERT_OK;
}
