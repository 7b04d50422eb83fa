/* consult_compare.c — the consult of a case with candidate courses (issue 17, docs/compare.md):
 * the candidates are compared first (rert/candidates.h, the same computation as `rert compare`),
 * then the consult's detailed sections describe ONE of them — the one named by --candidate, else
 * the rank-1 candidate (the first in case order when several tie at rank 1) — as the planned course,
 * and the comparison is added as its own section. The consult's verdict and exit status are then
 * that candidate's. */
#if __has_include("rert/accumulate.h")
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consult/consult_ctx.h"
#include "rert/candidates.h"

static void add_input(consult_ctx *c, const char *role, const char *path) {
  char hex[65];
  rert_err e;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "role", role);
  cJSON_AddStringToObject(o, "path", path);
  if (report_sha256_file(path, hex, &e) == RERT_OK) cJSON_AddStringToObject(o, "sha256", hex);
  else cJSON_AddNullToObject(o, "sha256");
  cJSON_AddItemToArray(c->inputs, o);
}

int consult_candidates_prepare(consult_ctx *c, rert_err *err) {
  if (casefile_ncandidates(&c->cs) == 0) return RERT_OK;
  c->cand_case = calloc(1, sizeof *c->cand_case);
  c->cmp = calloc(1, sizeof *c->cmp);
  if (!c->cand_case || !c->cmp) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int rc = casefile_load(c->o->case_path, c->cand_case, err);
  if (rc) {
    free(c->cand_case);
    c->cand_case = NULL;
    return rc;
  }
  /* the consult's protocols: the case's, then --protocol ones not already listed */
  const char *names[RERT_CASE_MAX_PROTOCOLS + 64];
  int n = 0;
  for (int p = 0; p < c->cs.nprotocols; p++) names[n++] = c->cs.protocols[p];
  for (int p = 0; p < c->o->nprotocols && n < RERT_CASE_MAX_PROTOCOLS + 64; p++) {
    int dup = 0;
    for (int q = 0; q < n; q++) dup |= !strcmp(names[q], c->o->protocols[p]);
    if (!dup) names[n++] = c->o->protocols[p];
  }
  cand_opts o;
  candidates_opts_default(&o);
  o.uncertainty_mm = c->o->uncertainty_mm;
  o.protocols = names;
  o.nprotocols = n;
  rc = candidates_run(c->cand_case, &o, c->cmp, err);
  if (rc) return rert_err_prefix(err, rc, "comparing the candidates");
  c->has_cmp = 1;
  const cand_result *best = candidates_best(c->cmp);
  const char *chosen = c->o->candidate && *c->o->candidate ? c->o->candidate : best->id;
  int found = 0;
  for (int i = 0; i < c->cmp->n; i++) found |= !strcmp(c->cmp->c[i].id, chosen);
  if (!found)
    return rert_err_set(err, RERT_EINPUT, "--candidate %s: not a candidate or planned course of %s",
                        chosen, c->o->case_path);
  snprintf(c->chosen, sizeof c->chosen, "%s", chosen);
  /* every candidate's dose is an input of the consult (the comparison reads them all) */
  for (int i = 0; i < c->cmp->n; i++) {
    const case_course *k = &c->cand_case->courses[c->cmp->c[i].case_index];
    if (!strcmp(k->id, chosen)) continue;
    char role[120];
    snprintf(role, sizeof role, "RTDOSE %s (%s, compared)", k->id, casefile_role_name(k->role));
    for (int d = 0; d < k->nrtdose; d++) add_input(c, role, k->rtdoses[d]);
    if (k->let_path[0]) {
      snprintf(role, sizeof role, "LETd %s (compared)", k->id);
      add_input(c, role, k->let_path);
    }
  }
  rc = candidates_select_case(&c->cs, chosen, err);
  if (rc) return rc;
  char note[900];
  const cand_result *sel = NULL;
  for (int i = 0; i < c->cmp->n; i++)
    if (!strcmp(c->cmp->c[i].id, chosen)) sel = &c->cmp->c[i];
  snprintf(note, sizeof note,
           "The case lists %d candidate plans for the new course. The detailed sections describe candidate %s "
           "(%s; rank %d of %d by the comparison rule, verdict %s) as the planned course; every candidate is "
           "compared in the section 'Candidate comparison'.",
           c->cmp->n, chosen, c->o->candidate && *c->o->candidate ? "chosen with --candidate" : "the rank-1 candidate",
           sel ? sel->rank : 0, c->cmp->n, sel ? sel->verdict : "-");
  cJSON_AddItemToArray(c->notes, cJSON_CreateString(note));
  return RERT_OK;
}

int consult_add_comparison(consult_ctx *c, rert_report *r, const char *number, rert_err *err) {
  if (!c->has_cmp) return RERT_OK;
  return candidates_add_report(c->cmp, r, number, err);
}

void consult_candidates_free(consult_ctx *c) {
  if (c->cmp) candidates_free(c->cmp);
  free(c->cmp);
  if (c->cand_case) casefile_free(c->cand_case);
  free(c->cand_case);
  c->cmp = NULL;
  c->cand_case = NULL;
  c->has_cmp = 0;
}
#endif
