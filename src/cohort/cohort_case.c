/* cohort_case.c — one cohort case from case file to result document (rert/cohort.h).
 *
 * Steps: load the case file → digest every input (case key; equal to the registry's → skipped) →
 * DICOM gate → map every course onto the reference grid (accum_case_load, with the uncertainty
 * radius) → one evaluation call for all protocols: the case's (or --protocol) constraint protocols
 * for the verdict, plus one in-memory "metrics protocol" per recovery assumption holding an
 * informational constraint per (structure, metric) with that assumption as its recovery — so every
 * metric is computed by the same DVH engine and map definitions as `rert evaluate` (contours,
 * trilinear EQD2 at the organ's α/β, docs/accumulate.md) and each distinct map once.
 *
 * Limit models (care_uplift, ng2021_*) do not discount the prior dose; they scale the limit. Their
 * metric rows keep the undiscounted value and add the limit factor at the case's shortest interval
 * and the effective value = value / factor (the dose that, under the model, is as close to
 * tolerance as `value` is without it), so dose–response fits can compare them with prior models.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"
#include "rert/accumulate_case.h"
#include "rert/consult.h"
#include "rert/data.h"
#include "rert/fileio.h"
#include "rert/recovery.h"
#include "rert/report.h"

static const char *kind_of(int rc) {
  return rc == RERT_EINPUT ? "input" : rc == RERT_EINCOMPLETE ? "incomplete" : "internal";
}

static void set_failed(cJSON *r, const char *status, int rc, const char *msg) {
  cJSON_ReplaceItemInObject(r, "status", cJSON_CreateString(status));
  cJSON_AddNumberToObject(r, "exit_status", rc);
  cJSON_AddStringToObject(r, "error_kind", kind_of(rc));
  cJSON_AddStringToObject(r, "error", msg);
}

/* limit factor of the recovery spec for structure s at the shortest prior interval */
static double limit_factor(const accum_input *in, int s, const char *spec) {
  double t = accumulate_min_interval_months(in);
  if (isnan(t)) return 1;
  if (!strcmp(spec, "case")) {
    /* the most recent prior course's model for this structure */
    int best = -1;
    double bt = INFINITY;
    for (int k = 0; k < in->ncourses; k++) {
      double m;
      rert_err e;
      if (in->courses[k].is_new || accumulate_interval_months(in, k, &m, &e)) continue;
      if (m < bt) bt = m, best = k;
    }
    if (best < 0) return 1;
    spec = in->structs[s].recovery[best][0] ? in->structs[s].recovery[best] : in->default_recovery;
  }
  recovery_model m;
  rert_err e;
  if (recovery_model_get(spec, &m, &e) || !recovery_is_limit_model(&m)) return 1;
  return recovery_limit_factor(&m, t);
}

static void add_courses(cJSON *r, const rert_case *cf, const accum_case *ac) {
  cJSON *arr = cJSON_AddArrayToObject(r, "courses");
  for (int c = 0; c < cf->ncourses; c++) {
    const case_course *co = &cf->courses[c];
    cJSON *x = cJSON_CreateObject();
    char d[11];
    cJSON_AddStringToObject(x, "id", co->id);
    cJSON_AddStringToObject(x, "role", co->role == COURSE_PLANNED ? "planned" : "prior");
    if (co->has_start_date) date_format(co->start_date, d), cJSON_AddStringToObject(x, "start_date", d);
    if (co->has_end_date) date_format(co->end_date, d), cJSON_AddStringToObject(x, "end_date", d);
    cJSON_AddStringToObject(x, "modality", rbe_modality_name(co->modality));
    cJSON_AddStringToObject(x, "rbe_model", rbe_model_name(co->rbe));
    cJSON_AddNumberToObject(x, "fractions", co->fractions);
    cJSON_AddNumberToObject(x, "fractions_per_day", co->fractions_per_day);
    if (!isnan(co->prescription_gy)) json_add_num(x, "prescription_gy", co->prescription_gy);
    double t;
    rert_err e;
    if (ac && c < ac->in.ncourses && !ac->in.courses[c].is_new && !accumulate_interval_months(&ac->in, c, &t, &e))
      json_add_num(x, "interval_months", t);
    if (ac && c < ac->in.ncourses) cJSON_AddStringToObject(x, "mapping", ac->mapping[c]);
    cJSON_AddItemToArray(arr, x);
  }
}

/* The metrics protocol of one recovery assumption. */
static int metrics_protocol(const cohort_params *p, int r, const accum_input *in, rert_protocol *pr,
                            rert_err *err) {
  memset(pr, 0, sizeof *pr);
  snprintf(pr->name, sizeof pr->name, "cohort-metrics:%s", p->recovery[r].label);
  snprintf(pr->title, sizeof pr->title, "cohort metrics under recovery %s", p->recovery[r].spec);
  snprintf(pr->source, sizeof pr->source, "rert cohort (no limits: metrics only)");
  pr->verified = 1;
  int n = in->nstructs * p->nmetrics;
  pr->constraints = calloc(n > 0 ? (size_t)n : 1, sizeof *pr->constraints);
  if (!pr->constraints) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int s = 0; s < in->nstructs; s++)
    for (int m = 0; m < p->nmetrics; m++) {
      protocol_constraint *c = &pr->constraints[pr->nconstraints++];
      snprintf(c->id, sizeof c->id, "%s", p->metrics[m]);
      snprintf(c->organ, sizeof c->organ, "%s", in->structs[s].name);
      if (protocol_metric_parse(p->metrics[m], &c->metric, err)) return RERT_EINPUT;
      c->has_limit = 0;
      c->limit = NAN;
      snprintf(c->limit_unit, sizeof c->limit_unit, "Gy");
      c->cmp = CMP_LE;
      c->tier = TIER_INFORMATIONAL;
      c->scope = SCOPE_CUMULATIVE;
      c->quantity = PQ_EQD2;
      c->alpha_beta_gy = p->alpha_beta_gy;
      snprintf(c->recovery, sizeof c->recovery, "%s", p->recovery[r].spec);
      snprintf(c->source, sizeof c->source, "rert cohort");
      c->verified = 1;
    }
  return RERT_OK;
}

static cJSON *jnum(double v) { return isnan(v) || isinf(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

static int evaluate(const cohort_params *p, const rert_case *cf, accum_case *ac, cJSON *r,
                    rert_err *err) {
  const accum_input *in = &ac->in;
  int nreal = p->nprotocols ? p->nprotocols : cf->nprotocols;
  int np = p->nrecovery + nreal;
  rert_protocol *ps = calloc((size_t)np, sizeof *ps);
  const rert_protocol **pp = calloc((size_t)np, sizeof *pp);
  accum_evaluation *evs = calloc((size_t)np, sizeof *evs);
  int rc = ps && pp && evs ? RERT_OK : rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int loaded = 0;
  for (int i = 0; i < p->nrecovery && !rc; i++, loaded++) rc = metrics_protocol(p, i, in, &ps[i], err);
  for (int i = 0; i < nreal && !rc; i++, loaded++)
    rc = protocol_load(p->nprotocols ? p->protocols[i] : cf->protocols[i], &ps[p->nrecovery + i], err);
  for (int i = 0; i < np && !rc; i++) pp[i] = &ps[i];
  if (!rc) rc = accumulate_evaluate_protocols(in, pp, np, evs, err);
  if (!rc) {
    cJSON *st = cJSON_AddArrayToObject(r, "structures");
    for (int s = 0; s < in->nstructs; s++) {
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "name", in->structs[s].name);
      cJSON_AddBoolToObject(x, "is_target", in->structs[s].is_target);
      cJSON_AddBoolToObject(x, "contours", in->structs[s].roi != NULL);
      cJSON_AddItemToArray(st, x);
    }
    cJSON *ms = cJSON_AddArrayToObject(r, "metrics");
    for (int i = 0; i < p->nrecovery; i++) {
      const accum_evaluation *ev = &evs[i];
      for (int k = 0; k < ev->nrows; k++) {
        const accum_eval_row *row = &ev->rows[k];
        int ci = (int)(row->c - ps[i].constraints), s = ci / p->nmetrics;
        if (strcmp(row->structure, in->structs[s].name)) continue; /* Parotid also matched Parotid_L */
        double f = limit_factor(in, s, p->recovery[i].spec);
        double worst = row->has_worst ? row->worst_value : row->value;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "recovery", p->recovery[i].label);
        cJSON_AddStringToObject(x, "structure", row->structure);
        cJSON_AddStringToObject(x, "metric", row->c->metric.text);
        cJSON_AddItemToObject(x, "alpha_beta_gy", jnum(row->alpha_beta_gy));
        cJSON_AddItemToObject(x, "nominal", jnum(row->value));
        cJSON_AddItemToObject(x, "worst", jnum(worst));
        cJSON_AddItemToObject(x, "limit_factor", jnum(f));
        cJSON_AddItemToObject(x, "effective", jnum(row->value / f));
        cJSON_AddItemToObject(x, "effective_worst", jnum(worst / f));
        cJSON_AddBoolToObject(x, "complete", row->complete);
        cJSON_AddItemToObject(x, "outside_pct", jnum(row->outside_pct));
        cJSON_AddItemToObject(x, "structure_cc", jnum(row->structure_cc));
        cJSON_AddStringToObject(x, "recovery_used", row->recovery_used);
        cJSON_AddItemToArray(ms, x);
      }
    }
    cJSON *vs = cJSON_AddArrayToObject(r, "verdicts");
    cJSON *cs = cJSON_AddArrayToObject(r, "constraints");
    int hard = 0, incomplete = 0;
    for (int i = p->nrecovery; i < np; i++) {
      const accum_evaluation *ev = &evs[i];
      hard += ev->hard_failures;
      /* mandatory rows without a verdict: incomplete, structure missing, empty, off the grid */
      incomplete += ev->hard_not_evaluated;
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "protocol", ps[i].name);
      cJSON_AddStringToObject(x, "verdict", ev->hard_failures ? "FAIL" : ev->hard_not_evaluated ? "INCOMPLETE" : "PASS");
      cJSON_AddNumberToObject(x, "hard_failures", ev->hard_failures);
      cJSON_AddNumberToObject(x, "hard_incomplete", ev->hard_incomplete);
      cJSON_AddNumberToObject(x, "desirable_failures", ev->desirable_failures);
      cJSON_AddNumberToObject(x, "not_evaluated", ev->not_evaluated);
      cJSON_AddItemToArray(vs, x);
      for (int k = 0; k < ev->nrows; k++) {
        const accum_eval_row *row = &ev->rows[k];
        cJSON *y = cJSON_CreateObject();
        cJSON_AddStringToObject(y, "protocol", ps[i].name);
        cJSON_AddStringToObject(y, "id", row->c->id);
        cJSON_AddStringToObject(y, "structure", row->structure);
        cJSON_AddStringToObject(y, "metric", row->c->metric.text);
        cJSON_AddStringToObject(y, "tier", protocol_tier_name(row->c->tier));
        cJSON_AddItemToObject(y, "value", jnum(row->value));
        cJSON_AddItemToObject(y, "worst_value", jnum(row->has_worst ? row->worst_value : NAN));
        cJSON_AddItemToObject(y, "limit", jnum(row->limit));
        cJSON_AddStringToObject(y, "verdict", accum_verdict_name(row->verdict));
        cJSON_AddStringToObject(y, "worst_verdict", row->has_worst ? accum_verdict_name(row->worst_verdict) : "");
        cJSON_AddItemToArray(cs, y);
      }
    }
    /* exit-status precedence of the project: any hard FAIL, else anything incomplete, else PASS */
    cJSON_AddStringToObject(r, "verdict", nreal == 0 ? "NONE" : hard ? "FAIL" : incomplete ? "INCOMPLETE" : "PASS");
  }
  for (int i = 0; evs && i < np; i++) accum_evaluation_free(&evs[i]);
  for (int i = 0; i < loaded && ps; i++) protocol_free(&ps[i]);
  free(evs), free(pp), free(ps);
  return rc;
}

static void safe_name(const char *id, char *out, size_t n) {
  size_t k = 0;
  for (; *id && k + 1 < n; id++) out[k++] = (*id == '/' || *id == ' ') ? '_' : *id;
  out[k] = 0;
  if (!strcmp(out, ".") || !strcmp(out, "..")) snprintf(out, n, "case");
}

/* A case that fails before its inputs can be listed still gets a key, so a deterministic input
 * error is not recomputed on every run: the digest of the case file's bytes when it can be read,
 * else of its path (a file that appears later changes the key). */
static int early_key(cJSON *r, const char *param_sha256, const char *what, const char *path,
                     const char *known_key, double t0) {
  char fh[65], key[65], text[COHORT_PATH_LEN + 256];
  rert_err e;
  int n;
  if (!strcmp(what, "case") && !report_sha256_file(path, fh, &e))
    n = snprintf(text, sizeof text, "rert-cohort-key/1\n%s\ncase %s\n", param_sha256, fh);
  else
    n = snprintf(text, sizeof text, "rert-cohort-key/1\n%s\nunreadable %s %s\n", param_sha256, what, path ? path : "");
  report_sha256_buffer(text, (size_t)(n > 0 && (size_t)n < sizeof text ? n : 0), key);
  cJSON_AddStringToObject(r, "key", key);
  if (known_key && !strcmp(known_key, key)) cJSON_ReplaceItemInObject(r, "status", cJSON_CreateString("skipped"));
  cJSON_AddNumberToObject(r, "seconds", cohort_now_s() - t0);
  return RERT_OK;
}

int cohort_case_run(const cohort_params *p, const char *param_sha256, const cohort_case_ref *c,
                    cJSON **result, rert_err *err) {
  double t0 = cohort_now_s();
  cJSON *r = cJSON_CreateObject();
  if (!r) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  cJSON_AddNumberToObject(r, "index", c->index);
  cJSON_AddStringToObject(r, "id", c->id);
  cJSON_AddStringToObject(r, "case_path", c->case_path ? c->case_path : "");
  cJSON_AddStringToObject(r, "status", "ok");
  *result = r;
  rert_err e;
  if (!c->case_path || !*c->case_path) {
    set_failed(r, "failed", RERT_EINPUT, "export folders need `rert case init` (issue 16), which is not in this build; give a case file");
    return early_key(r, param_sha256, "export", c->export_dir, c->known_key, t0);
  }
  rert_case cf;
  int rc = casefile_load(c->case_path, &cf, &e);
  if (rc) {
    set_failed(r, "failed", rc, e.msg);
    return early_key(r, param_sha256, "case", c->case_path, c->known_key, t0);
  }
  cJSON *inputs = NULL;
  char key[65] = "";
  rc = cohort_digest_inputs(&cf, param_sha256, &inputs, key, &e);
  if (rc) {
    set_failed(r, "failed", rc, e.msg);
    goto done;
  }
  cJSON_AddStringToObject(r, "key", key);
  if (c->known_key && !strcmp(c->known_key, key)) {
    cJSON_ReplaceItemInObject(r, "status", cJSON_CreateString("skipped"));
    cJSON_Delete(inputs);
    goto done;
  }
  cJSON_AddItemToObject(r, "inputs", inputs);
  cJSON *pt = cJSON_AddObjectToObject(r, "patient");
  cJSON_AddStringToObject(pt, "id", cf.patient_id);
  cJSON_AddStringToObject(pt, "sex", cf.sex);
  if (cf.has_birth_date) cJSON_AddNumberToObject(pt, "birth_year", cf.birth_date.year);
  const case_course *ref = casefile_planned_course(&cf);
  if (!ref) ref = casefile_reference(&cf);
  if (ref && ref->has_start_date) {
    char d[11];
    date_format(ref->start_date, d);
    cJSON_AddStringToObject(r, "origin_date", d);
  }
  cJSON_AddItemToObject(r, "clinical", cohort_clinical_json(&cf));
  accum_case *ac = calloc(1, sizeof *ac);
  if (!ac) {
    set_failed(r, "failed", RERT_EINTERNAL, "out of memory");
    goto done;
  }
  accum_case_opts o;
  memset(&o, 0, sizeof o);
  o.uncertainty_mm = p->uncertainty_mm;
  o.rule = p->rule;
  /* the structures needed (rasterised) are those the verdict protocols constrain, plus every
   * organ with tissue parameters and every target (docs/structures.md) */
  int nreal = p->nprotocols ? p->nprotocols : cf.nprotocols, nl = 0;
  rert_protocol *vp = calloc((size_t)nreal + 1, sizeof *vp);
  const rert_protocol **vpp = calloc((size_t)nreal + 1, sizeof *vpp);
  rc = vp && vpp ? RERT_OK : rert_err_set(&e, RERT_EINTERNAL, "out of memory");
  for (; nl < nreal && !rc; nl++) {
    rc = protocol_load(p->nprotocols ? p->protocols[nl] : cf.protocols[nl], &vp[nl], &e);
    vpp[nl] = &vp[nl];
  }
  o.protocols = vpp;
  o.nprotocols = rc ? 0 : nreal;
  if (!rc) rc = accum_case_load(&cf, &o, ac, &e); /* runs the DICOM gate first */
  for (int i = 0; i < nl && vp; i++) protocol_free(&vp[i]);
  free(vp);
  free(vpp);
  char gate[96];
  cohort_gate_status(ac, gate, sizeof gate);
  cJSON_AddStringToObject(r, "gate", gate);
  if (rc && cohort_gate_refused(ac)) {
    add_courses(r, &cf, NULL);
    accum_case_free(ac);
    free(ac);
    set_failed(r, "refused", rc, e.msg);
    goto done;
  }
  if (!rc) {
    ac->in.outside_grid_strict = p->outside_grid_strict;
    add_courses(r, &cf, ac);
    json_add_num(r, "uncertainty_mm", ac->uncertainty_mm);
    rc = evaluate(p, &cf, ac, r, &e);
  } else {
    add_courses(r, &cf, NULL);
  }
  accum_case_free(ac);
  free(ac);
  if (rc) {
    set_failed(r, "failed", rc, e.msg);
    goto done;
  }
  if (p->report_dir[0]) {
    char out[COHORT_PATH_LEN + 160], nm[128];
    safe_name(c->id, nm, sizeof nm);
    snprintf(out, sizeof out, "%s/%s", p->report_dir, nm);
    consult_opts co = {0};
    co.case_path = c->case_path;
    co.uncertainty_mm = p->uncertainty_mm;
    consult_summary cs;
    /* each report directory is an output directory of its own (rert/fileio.h): new, empty or an
     * earlier rert output, replaced as a whole, never the case's own folder */
    rert_outdir od;
    const char *in[] = {c->case_path};
    int rr = fileio_outdir_begin(&od, out, "--report-dir", in, 1, &e);
    if (!rr) {
      co.out_dir = od.work;
      rr = consult_run(&co, &cs, &e);
      if (rr == RERT_OK || rr == RERT_EVERDICT || rr == RERT_EINCOMPLETE) {
        int crc = fileio_outdir_commit(&od, "rert cohort run --report-dir", &e);
        if (crc) rr = crc;
      } else {
        fileio_outdir_abort(&od);
      }
    }
    if (rr == RERT_OK || rr == RERT_EVERDICT || rr == RERT_EINCOMPLETE) cJSON_AddStringToObject(r, "report", out);
    else cJSON_AddStringToObject(r, "report_error", e.msg);
  }
done:
  cJSON_AddNumberToObject(r, "seconds", cohort_now_s() - t0);
  casefile_free(&cf);
  return RERT_OK;
}
