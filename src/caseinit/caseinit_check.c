/* caseinit_check.c — the drafted case through the case-file loader and the DICOM gate
 * (rert/gate.h), exactly as `rert case check` and the consult will read it, before anyone
 * relies on it. A loader error (a required value the export could not give) and every gate
 * refusal become blocking TODOs naming the file and tag or JSON path; gate warnings become
 * review TODOs. The gate runs with the consult's rule (courses in another frame without a
 * registration are registered from their CTs), and once more without it to say whether
 * accumulate / evaluate / case check would accept the case as drafted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseinit/caseinit_internal.h"

#if __has_include("rert/gate.h")
#include "rert/gate.h"
#define CI_HAVE_GATE 1
#endif

static const char *json_path_in(const char *msg, char *out, size_t n) {
  /* "<file>: $.courses[1].fractions: expected ..." → "$.courses[1].fractions" */
  const char *p = strstr(msg, ": $.");
  if (!p) {
    snprintf(out, n, "$");
    return out;
  }
  p += 2;
  size_t k = 0;
  while (p[k] && p[k] != ':' && p[k] != ' ' && k + 1 < n) k++;
  snprintf(out, n, "%.*s", (int)k, p);
  return out;
}

int caseinit_check(caseinit_result *r, rert_err *err) {
  (void)err;
  cJSON_Delete(r->check);
  r->check = cJSON_CreateObject();
  cJSON *dup = cJSON_Duplicate(r->doc, 1);
  rert_case cs;
  rert_err e;
  if (casefile_parse(dup, r->case_path, &cs, &e)) {
    char path[160];
    cJSON_AddBoolToObject(r->check, "loads", 0);
    cJSON_AddStringToObject(r->check, "result", "the draft does not load yet (a required value is "
                            "missing): see the blocking TODOs");
    cJSON_AddStringToObject(r->check, "error", e.msg);
    json_path_in(e.msg, path, sizeof path);
    /* the same field, or a choice in the same course (a plan not chosen leaves its fractions,
     * modality and prescription empty), already has a blocking TODO saying why: do not say it
     * twice (the loader's message stays in check.error) */
    char course[48] = "";
    const char *cb = strncmp(path, "$.courses[", 10) ? NULL : strchr(path, ']');
    if (cb) snprintf(course, sizeof course, "%.*s", (int)(cb - path + 1), path);
    int known = 0;
    for (int i = 0; i < r->ntodo; i++) {
      const caseinit_todo *t = &r->todo[i];
      if (!t->blocking) continue;
      known |= !strncmp(t->path, path, strlen(t->path)) && strlen(t->path) > 2;
      known |= course[0] && t->kind == TODO_CHOOSE && !strncmp(t->path, course, strlen(course));
    }
    if (!known)
      ci_todo(r, TODO_FILL, 1, path, "the case file loader stops here: %s", e.msg);
    ci_sync_todo(r);
    return RERT_OK;
  }
  cJSON_AddBoolToObject(r->check, "loads", 1);
#ifdef CI_HAVE_GATE
  gate_result *g = calloc(1, sizeof *g);
  if (!g) {
    casefile_free(&cs);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  gate_opts go = {GATE_LEVEL_FULL, 0, 1};
  int rc = gate_run(&cs, &go, g, &e);
  if (rc == RERT_EINTERNAL) {
    gate_free(g);
    free(g);
    casefile_free(&cs);
    *err = e;
    return rc;
  }
  cJSON_AddItemToObject(r->check, "findings", gate_findings_json(&g->findings, 0));
  int nref = gate_count(&g->findings, GATE_REFUSAL), nwarn = gate_count(&g->findings, GATE_WARNING);
  char res[256];
  snprintf(res, sizeof res, "%s: %d refusal(s), %d warning(s)",
           nref ? "REFUSED" : "clean", nref, nwarn);
  cJSON_AddStringToObject(r->check, "result", res);
  for (int i = 0; i < g->findings.n; i++) {
    const gate_finding *f = &g->findings.items[i];
    if (f->severity != GATE_REFUSAL && f->severity != GATE_WARNING) continue;
    char path[160];
    if (f->where[0] == '$') snprintf(path, sizeof path, "%s", f->where);
    else {
      int k = 0;
      while (k < cs.ncourses && strcmp(cs.courses[k].id, f->course)) k++;
      if (f->course[0] && k < cs.ncourses) snprintf(path, sizeof path, "$.courses[%d]", k);
      else snprintf(path, sizeof path, "$");
    }
    ci_todo(r, f->severity == GATE_REFUSAL ? TODO_REVIEW : TODO_REVIEW, f->severity == GATE_REFUSAL,
            path, "case check %s [%s%s%s]: %s%s%s%s", f->severity == GATE_REFUSAL ? "refuses" : "warns",
            f->check, f->interlock[0] ? ", interlock " : "", f->interlock, f->file[0] ? f->file : "",
            f->file[0] ? ": " : "", f->where[0] && f->where[0] != '$' ? f->where : "",
            f->where[0] && f->where[0] != '$' ? ": " : "");
    /* the message after the header */
    caseinit_todo *t = &r->todo[r->ntodo - 1];
    size_t L = strlen(t->message);
    snprintf(t->message + L, sizeof t->message - L, "%s", f->message);
  }
  gate_free(g);
  /* what accumulate / evaluate / case check say (no computed registration) */
  memset(g, 0, sizeof *g);
  gate_opts strict = {GATE_LEVEL_IDENTITY, 0, 0};
  rc = gate_run(&cs, &strict, g, &e);
  cJSON_AddBoolToObject(r->check, "accepted_without_computed_registration", rc == RERT_OK);
  gate_free(g);
  free(g);
#else
  cJSON_AddStringToObject(r->check, "result", "loads (the DICOM gate is not in this build)");
#endif
  casefile_free(&cs);
  ci_sync_todo(r);
  return RERT_OK;
}
