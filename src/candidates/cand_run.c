/* cand_run.c — the candidate comparison from a case file (rert/candidates.h): every course is
 * mapped onto the reference grid ONCE (accum_case_load), the candidates are set aside from the
 * prior courses, each candidate's dose is made photon-equivalent (fixed RBE, explicit LEM↔MKM
 * conversion, or a variable proton RBE from its LETd map), and each is evaluated against the
 * same prior maps (cand_eval.c) and ranked (cand_rank.c). docs/compare.md. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cand_internal.h"
#include "rert/dicomio.h"

void candidates_opts_default(cand_opts *o) {
  memset(o, 0, sizeof *o);
  o->rule = AB_RULE_LOWEST_OAR;
  o->let_high_dose_fraction = 0.5;
  o->headroom_max_scale = 3.0;
}

static void note(cand_comparison *cmp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(cand_comparison *cmp, const char *fmt, ...) {
  char b[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  cJSON_AddItemToArray(cmp->notes, cJSON_CreateString(b));
}

void cand_file_id(const char *id, char *out, size_t n) {
  size_t i = 0;
  for (; id[i] && i + 1 < n; i++) {
    char ch = id[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
             ch == '_';
    out[i] = ok ? ch : '_';
  }
  out[i] = 0;
}

void candidates_free(cand_comparison *cmp) {
  if (!cmp) return;
  for (int i = 0; i < cmp->n; i++) {
    cand_result *r = &cmp->c[i];
    volume_free(&r->var_dose);
    volume_free(&r->let);
    volume_free(&r->cumulative);
    free(r->let_stats);
    for (int p = 0; r->evs && p < cmp->nprot; p++) accum_evaluation_free(&r->evs[p]);
    free(r->evs);
  }
  free(cmp->c);
  for (int p = 0; p < cmp->nprot; p++) protocol_free(&cmp->prot[p]);
  free(cmp->prot);
  protocol_free(&cmp->metrics);
  geom_slices_free(&cmp->slices);
  volume_free(&cmp->alpha_beta);
  if (cmp->ac) accum_case_free(cmp->ac);
  free(cmp->ac);
  free(cmp->base);
  free(cmp->order);
  free(cmp->pairs);
  cJSON_Delete(cmp->notes);
  memset(cmp, 0, sizeof *cmp);
}

const cand_result *candidates_best(const cand_comparison *cmp) {
  if (!cmp || cmp->n < 1 || !cmp->order) return NULL;
  return &cmp->c[cmp->order[0]];
}

int candidates_status(const cand_comparison *cmp) {
  const cand_result *b = candidates_best(cmp);
  if (!b) return RERT_EINTERNAL;
  if (!strcmp(b->verdict, "FAIL")) return RERT_EVERDICT;
  if (!strcmp(b->verdict, "INCOMPLETE")) return RERT_EINCOMPLETE;
  return RERT_OK;
}

static int load_protocols(const rert_case *cf, const cand_opts *o, cand_comparison *cmp, rert_err *err) {
  int m = o->nprotocols > 0 ? o->nprotocols : cf->nprotocols;
  if (m == 0)
    return rert_err_set(err, RERT_EINPUT,
                        "%s: $.protocols is empty and no --protocol was given: the candidates need the "
                        "constraint protocols they are checked against (rert protocols list)",
                        cf->path);
  cmp->prot = calloc((size_t)m, sizeof *cmp->prot);
  if (!cmp->prot) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < m; i++) {
    const char *name = o->nprotocols > 0 ? o->protocols[i] : cf->protocols[i];
    if (protocol_load(name, &cmp->prot[i], err)) return RERT_EINPUT;
    cmp->nprot = i + 1;
  }
  return RERT_OK;
}

/* Effective RBE model of a course after its explicit conversion. */
static rbe_model eff_model(const accum_course *k) { return k->convert_to_set ? k->convert_to : k->rbe; }

/* Candidate ci can be summed with every prior course (after explicit conversions)? The engine
 * refuses the same, but here the message names the case file, the course's JSON path and the
 * conversion that would make it summable. */
static int check_summable(const cand_comparison *cmp, const cand_result *r, rert_err *err) {
  const rert_case *cf = cmp->cf;
  for (int k = 0; k < cmp->base->ncourses; k++) {
    const accum_course *p = &cmp->base->courses[k];
    rert_err e;
    if (rbe_check_summable(r->course.modality, eff_model(&r->course), p->modality, eff_model(p), &e) == RERT_OK)
      continue;
    const char *hint = "";
    if (eff_model(&r->course) == RBE_LEM_I && eff_model(p) == RBE_MKM) hint = "; add \"x_rbe_convert_to\": \"MKM\" to the candidate (Zhang 2020 factors)";
    else if (eff_model(&r->course) == RBE_MKM && eff_model(p) == RBE_LEM_I) hint = "; add \"x_rbe_convert_to\": \"LEM_I\" to the candidate (Zhang 2020 factors)";
    return rert_err_set(err, RERT_EINPUT, "%s: $.courses[%d] (%s '%s') and prior course '%s': %s%s", cf->path,
                        r->case_index, r->role, r->id, p->id, e.msg, hint);
  }
  return RERT_OK;
}

/* Set the candidates (and a planned course) aside: base = the prior courses only. */
static int split(cand_comparison *cmp, rert_err *err) {
  const rert_case *cf = cmp->cf;
  accum_case *ac = cmp->ac;
  cmp->base = malloc(sizeof *cmp->base);
  cmp->c = calloc(CAND_MAX, sizeof *cmp->c);
  if (!cmp->base || !cmp->c) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  *cmp->base = ac->in;
  accum_input *b = cmp->base;
  const case_course *ref = casefile_reference(cf);
  rert_dicom_ident rid;
  int have_rid = ref && ref->rtdose[0] && io_read_ident(ref->rtdose, &rid, err) == RERT_OK;
  int w = 0;
  for (int i = 0; i < ac->in.ncourses; i++) {
    const accum_course *k = &ac->in.courses[i];
    const case_course *co = casefile_course(cf, k->id);
    if (!co) return rert_err_set(err, RERT_EINTERNAL, "compare: course %s not in the case", k->id);
    if (co->role == COURSE_PRIOR) {
      b->courses[w] = *k;
      for (int s = 0; s < b->nstructs; s++)
        memmove(b->structs[s].recovery[w], ac->in.structs[s].recovery[i], sizeof b->structs[s].recovery[w]);
      w++;
      continue;
    }
    cand_result *r = &cmp->c[cmp->n++];
    r->case_index = (int)(co - cf->courses);
    snprintf(r->id, sizeof r->id, "%s", co->id);
    snprintf(r->role, sizeof r->role, "%s", casefile_role_name(co->role));
    snprintf(r->technique, sizeof r->technique, "%s", co->technique);
    snprintf(r->mapping, sizeof r->mapping, "%s", ac->mapping[i]);
    r->course = *k;
    r->course.is_new = 1;
    r->modality = k->modality;
    r->rbe = eff_model(k);
    r->fractions = k->fractions;
    r->fractions_per_day = k->fractions_per_day;
    r->interfraction_interval_h = k->interfraction_interval_h;
    r->prescription_gy = co->prescription_gy;
    r->rbe_mean_gtv = NAN;
    /* a candidate in the reference frame is not mapped through a registration: its dose has no
     * mapping uncertainty, so the worst case uses its nominal dose */
    rert_dicom_ident cid;
    int same_frame = have_rid && co->rtdose[0] && io_read_ident(co->rtdose, &cid, err) == RERT_OK &&
                     !strcmp(cid.frame_of_reference_uid, rid.frame_of_reference_uid);
    if (same_frame) {
      r->course.dose_lower = r->course.dose_upper = NULL;
#ifdef ACCUM_MAX_PARTS
      for (int p = 0; p < ACCUM_MAX_PARTS; p++) r->course.part_upper[p] = r->course.part_lower[p] = NULL;
#endif
    }
    if (k->convert_to_set)
      snprintf(r->rbe_text, sizeof r->rbe_text, "%s dose converted to %s per voxel and fraction (Zhang 2020, x_rbe_convert_to)",
               rbe_model_name(k->rbe), rbe_model_name(k->convert_to));
    else if (k->rbe == RBE_FIXED) {
      double f = NAN;
      rert_err e;
      rbe_fixed_factor(k->modality, &f, &e);
      snprintf(r->rbe_text, sizeof r->rbe_text, "fixed RBE %.3g (data/rbe.json)", f);
    } else if (k->rbe == RBE_PHYSICAL)
      snprintf(r->rbe_text, sizeof r->rbe_text, "physical dose (%s, RBE 1)", rbe_modality_name(k->modality));
    else
      snprintf(r->rbe_text, sizeof r->rbe_text, "%s Gy(RBE) as planned", rbe_model_name(k->rbe));
  }
  b->ncourses = w;
  for (int i = 0; i < cmp->n; i++) {
    int rc = check_summable(cmp, &cmp->c[i], err);
    if (rc) return rc;
  }
  return RERT_OK;
}

/* The α/β map of the overlap rule (the same for every candidate: it depends on the structures only),
 * from an accumulation of the priors with the first candidate. */
static int alpha_beta_map(cand_comparison *cmp, rert_err *err) {
  accum_input *in = NULL;
  int rc = cand_make_input(cmp, &cmp->c[0], &in, err);
  if (rc) return rc;
  accum_result *res = calloc(1, sizeof *res);
  if (!res) { free(in); return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
  rc = accumulate_run(in, res, err);
  if (!rc) {
    cmp->alpha_beta = res->alpha_beta;
    res->alpha_beta.data = NULL;
  }
  accum_result_free(res);
  free(res);
  free(in);
  return rc;
}

/* Variable proton RBE: the fixed-RBE dose D re-weighted voxel by voxel,
 * D_var = RBE(d, LETd, α/β)·D/RBE_fixed with d = D/(RBE_fixed·n) the physical dose per fraction. */
static int variable_rbe(cand_comparison *cmp, cand_result *r, rert_err *err) {
  const case_course *co = &cmp->cf->courses[r->case_index];
  int rc = rbe_let_model_get(co->variable_rbe, &r->let_model, err);
  if (rc) return rert_err_prefix(err, rc, "%s: $.courses[%d].variable_rbe.model", cmp->cf->path, r->case_index);
  double f;
  if ((rc = rbe_fixed_factor(r->modality, &f, err))) return rc;
  const rert_volume *D = r->course.dose;
  if ((rc = volume_alloc_like(&r->var_dose, D, err))) return rc;
  const size_t nv = volume_count(D);
  const double n = r->fractions, abfix = co->variable_rbe_alpha_beta_gy;
  long extrap = 0;
  double rsum = 0, rw = 0;
  const int irec = cmp->recurrence_struct;
  const float *rec = irec >= 0 ? cmp->base->structs[irec].mask->data : NULL;
  const float thr = (float)(cmp->base->mask_threshold > 0 ? cmp->base->mask_threshold : 0.5);
  for (size_t v = 0; v < nv; v++) {
    double phys = D->data[v] / f;
    if (!(phys > 0)) { r->var_dose.data[v] = 0; continue; }
    double L = r->let.data[v], ab = isnan(abfix) ? cmp->alpha_beta.data[v] : abfix;
    double rbe = rbe_let_rbe(&r->let_model, phys / n, L, ab);
    if (!isfinite(rbe))
      return rert_err_set(err, RERT_EINPUT, "%s: variable RBE undefined at voxel %zu (LETd %g keV/um, alpha/beta %g Gy)",
                          co->let_path, v, L, ab);
    if (L < r->let_model.let_lo || L > r->let_model.let_hi) extrap++;
    if (rec && rec[v] >= thr) rsum += rbe * phys, rw += phys;
    r->var_dose.data[v] = (float)(rbe * phys);
  }
  r->var_dose.meta = D->meta;
  r->var_dose.meta.quantity = QTY_RBE_WEIGHTED;
  r->var_dose.meta.rbe = RBE_FIXED;
  r->var_dose.meta.rbe_factor = NAN;
  snprintf(r->var_dose.meta.description, sizeof r->var_dose.meta.description, "variable RBE %s (LETd)", r->let_model.name);
  r->let_extrapolated_voxels = extrap;
  r->rbe_mean_gtv = rw > 0 ? rsum / rw : NAN;
  r->course.dose = &r->var_dose;
  r->course.dose_upper = r->course.dose_lower = NULL;
  r->has_var_rbe = 1;
  char abtxt[64];
  if (isnan(abfix)) snprintf(abtxt, sizeof abtxt, "each voxel's tissue alpha/beta");
  else snprintf(abtxt, sizeof abtxt, "alpha/beta %.3g Gy", abfix);
  snprintf(r->rbe_text, sizeof r->rbe_text, "variable RBE, %s: RBE(d, LETd, %s) x physical dose (fixed-RBE dose / %.3g)%s",
           r->let_model.title, abtxt, f, r->let_model.verified ? "" : " [parameters not verified against the original paper]");
  if (extrap)
    note(cmp, "candidate %s: %ld dosed voxels have a LETd outside the %s fit range %.3g-%.3g keV/um (extrapolated RBE)",
         r->id, extrap, r->let_model.name, r->let_model.let_lo, r->let_model.let_hi);
  return RERT_OK;
}

static int find_recurrence(cand_comparison *cmp) {
  const rert_case *cf = cmp->cf;
  cmp->recurrence_struct = -1;
  if (!cf->recurrence_roi[0]) return RERT_OK;
  const char *tg = casefile_map_structure(cf, cf->recurrence_roi);
  for (int s = 0; s < cmp->base->nstructs; s++) {
    const accum_structure *st = &cmp->base->structs[s];
    if (!strcmp(st->name, tg) || !strcmp(st->name, cf->recurrence_roi) ||
        (st->roi && !strcmp(st->roi->name, cf->recurrence_roi)))
      cmp->recurrence_struct = s;
  }
  return RERT_OK;
}

int candidates_run(const rert_case *cf, const cand_opts *o, cand_comparison *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->cf = cf;
  if (o) out->opts = *o;
  else candidates_opts_default(&out->opts);
  out->notes = cJSON_CreateArray();
  snprintf(out->rule_text, sizeof out->rule_text, "%s", CAND_RANK_RULE_TEXT);
  int ncand = 0;
  for (int i = 0; i < cf->ncourses; i++) {
    const case_course *k = &cf->courses[i];
    if (k->role == COURSE_PRIOR) continue;
    ncand++;
    if (!k->rtdose[0])
      return rert_err_set(err, RERT_EINPUT,
                          "%s: $.courses[%d].dicom.rtdose: %s course '%s' has no RTDOSE; rert compare "
                          "evaluates every candidate's dose distribution (point doses: rert budget)",
                          cf->path, i, casefile_role_name(k->role), k->id);
  }
  if (ncand == 0)
    return rert_err_set(err, RERT_EINPUT,
                        "%s: $.courses: no course has role candidate (or planned): nothing to compare",
                        cf->path);
  int rc = load_protocols(cf, &out->opts, out, err);
  if (rc) return rc;
  out->ac = calloc(1, sizeof *out->ac);
  if (!out->ac) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  /* the structures needed are those the comparison's protocols constrain (plus targets and organs
   * with tissue parameters: the risk organs and the NTCP organs of data/ntcp_lkb.json) */
  const rert_protocol **pp = calloc((size_t)out->nprot + 1, sizeof *pp);
  if (!pp) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < out->nprot; i++) pp[i] = &out->prot[i];
  accum_case_opts ao;
  memset(&ao, 0, sizeof ao);
  ao.uncertainty_mm = out->opts.uncertainty_mm;
  ao.rule = out->opts.rule;
  ao.keep_candidates = 1;
  ao.protocols = pp;
  ao.nprotocols = out->nprot;
  rc = accum_case_load(cf, &ao, out->ac, err);
  free(pp);
  if (rc) {
    free(out->ac);
    out->ac = NULL;
    return rc;
  }
  out->ac->in.outside_grid_strict = out->opts.outside_grid_strict;
  if ((rc = split(out, err))) return rc;
  find_recurrence(out);
  accum_regimen *regs = NULL;
  int nregs = 0;
  if ((rc = accumulate_regimens_load(NULL, &regs, &nregs, &out->targets, err))) return rc;
  free(regs);
  if ((rc = alpha_beta_map(out, err))) return rc;
  /* LETd maps and variable RBE */
  const case_course *ref = casefile_reference(cf);
  int iref = ref ? (int)(ref - cf->courses) : -1;
  const rert_volume *grid = iref >= 0 ? &out->ac->dose[iref] : NULL;
  for (int i = 0; i < out->n && !rc; i++) {
    cand_result *r = &out->c[i];
    const case_course *co = &cf->courses[r->case_index];
    if (!co->let_path[0]) continue;
    rc = cand_let_load(cf, r->case_index, grid, r->course.dose, &r->let, err);
    if (!rc && co->variable_rbe[0]) {
#ifdef ACCUM_MAX_PARTS
      if (r->course.nparts > 0)
        rc = rert_err_set(err, RERT_EINPUT,
                          "%s: $.courses[%d].variable_rbe: course '%s' has %d fraction groups; a variable "
                          "RBE is applied to one fractionation only",
                          cf->path, r->case_index, r->id, r->course.nparts);
#endif
      if (!rc) rc = variable_rbe(out, r, err);
    }
  }
  if (rc) return rc;
  if ((rc = cand_metrics_protocol(out, err))) return rc;
  for (int i = 0; i < out->n && !rc; i++) {
    rc = cand_evaluate(out, &out->c[i], err);
    if (rc) rert_err_prefix(err, rc, "candidate %s", out->c[i].id);
  }
  if (rc) return rc;
  return cand_rank(out, err);
}
