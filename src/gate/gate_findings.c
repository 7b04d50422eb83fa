/* gate_findings.c — the findings list of the DICOM gate (rert/gate.h): append, apply interlock
 * overrides, count, render as text and JSON. Every check of rert (gate, structure mapping,
 * registration QA) reports through this one list so that `rert case check` and the consult
 * report show the same items. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/gate.h"

void gate_findings_init(gate_findings *f) { memset(f, 0, sizeof *f); }

void gate_findings_free(gate_findings *f) {
  if (!f) return;
  free(f->items);
  memset(f, 0, sizeof *f);
}

/* messages echo DICOM and JSON values: keep every field on one line */
static void one_line(char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20) *s = ' ';
}

static gate_finding *add_v(gate_findings *f, gate_severity sev, const char *check,
                           const char *course, const char *file, const char *where,
                           const char *fmt, va_list ap) {
  if (f->n == f->cap) {
    int nc = f->cap ? 2 * f->cap : 32;
    gate_finding *ni = realloc(f->items, (size_t)nc * sizeof *ni);
    if (!ni) return NULL;
    f->items = ni, f->cap = nc;
  }
  gate_finding *x = &f->items[f->n++];
  memset(x, 0, sizeof *x);
  x->severity = sev;
  snprintf(x->check, sizeof x->check, "%s", check ? check : "");
  snprintf(x->course, sizeof x->course, "%s", course ? course : "");
  snprintf(x->file, sizeof x->file, "%s", file ? file : "");
  snprintf(x->where, sizeof x->where, "%s", where ? where : "");
  vsnprintf(x->message, sizeof x->message, fmt, ap);
  one_line(x->course);
  one_line(x->file);
  one_line(x->where);
  one_line(x->message);
  return x;
}

gate_finding *gate_add(gate_findings *f, gate_severity sev, const char *check, const char *course,
                       const char *file, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  gate_finding *x = add_v(f, sev, check, course, file, where, fmt, ap);
  va_end(ap);
  return x;
}

int gate_add_interlock(gate_findings *f, const rert_case *cs, const char *interlock,
                       const char *check, const char *course, const char *file, const char *where,
                       const char *fmt, ...) {
  const case_override *o =
      cs ? casefile_find_interlock_override(cs, interlock, course && *course ? course : NULL,
                                            file && *file ? file : NULL)
         : NULL;
  va_list ap;
  va_start(ap, fmt);
  gate_finding *x = add_v(f, o ? GATE_OVERRIDDEN : GATE_REFUSAL, check, course, file, where, fmt, ap);
  va_end(ap);
  if (!x) return 0;
  snprintf(x->interlock, sizeof x->interlock, "%s", interlock);
  if (o) {
    snprintf(x->override_reason, sizeof x->override_reason, "%s", o->reason);
    snprintf(x->override_path, sizeof x->override_path, "%s", o->json_path);
    one_line(x->override_reason);
  }
  return o != NULL;
}

int gate_count(const gate_findings *f, gate_severity sev) {
  int n = 0;
  for (int i = 0; i < f->n; i++) n += f->items[i].severity == sev;
  return n;
}

const gate_finding *gate_first_refusal(const gate_findings *f) {
  for (int i = 0; i < f->n; i++)
    if (f->items[i].severity == GATE_REFUSAL) return &f->items[i];
  return NULL;
}

int gate_refusal_error(const gate_findings *f, rert_err *err) {
  const gate_finding *x = gate_first_refusal(f);
  if (!x) return RERT_OK;
  int more = gate_count(f, GATE_REFUSAL) - 1;
  char extra[96] = "";
  if (more > 0)
    snprintf(extra, sizeof extra, " (and %d more refusal%s: rert case check lists them)", more,
             more > 1 ? "s" : "");
  char hint[128] = "";
  if (x->interlock[0])
    snprintf(hint, sizeof hint, " [interlock '%s': a case-file override with a reason allows it]",
             x->interlock);
  return rert_err_set(err, RERT_EINPUT, "%s: %s%s%s%s%s", x->file[0] ? x->file : "case",
                      x->where, x->where[0] ? ": " : "", x->message, hint, extra);
}

const char *gate_severity_name(gate_severity s) {
  static const char *n[] = {"ok", "warning", "overridden", "refusal"};
  return (unsigned)s < 4 ? n[s] : "?";
}

cJSON *gate_findings_json(const gate_findings *f, int include_ok) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < f->n; i++) {
    const gate_finding *x = &f->items[i];
    if (x->severity == GATE_OK && !include_ok) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "severity", gate_severity_name(x->severity));
    cJSON_AddStringToObject(o, "check", x->check);
    if (x->interlock[0]) cJSON_AddStringToObject(o, "interlock", x->interlock);
    else cJSON_AddNullToObject(o, "interlock");
    cJSON_AddStringToObject(o, "course", x->course);
    cJSON_AddStringToObject(o, "file", x->file);
    cJSON_AddStringToObject(o, "where", x->where);
    cJSON_AddStringToObject(o, "message", x->message);
    if (x->severity == GATE_OVERRIDDEN) {
      cJSON_AddStringToObject(o, "override_reason", x->override_reason);
      cJSON_AddStringToObject(o, "override_path", x->override_path);
    }
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

void gate_print_findings(const gate_findings *f, gate_severity min_sev, FILE *out) {
  static const char *tag[] = {"ok", "WARNING", "OVERRIDDEN", "REFUSED"};
  for (int i = 0; i < f->n; i++) {
    const gate_finding *x = &f->items[i];
    if (x->severity < min_sev) continue;
    fprintf(out, "  %-10s %-22s %s%s%s%s%s%s\n", tag[x->severity], x->check,
            x->course[0] ? x->course : "", x->course[0] ? ": " : "", x->file,
            x->where[0] ? " " : "", x->where, x->file[0] || x->where[0] ? ":" : "");
    fprintf(out, "  %-10s %-22s %s\n", "", "", x->message);
    if (x->severity == GATE_OVERRIDDEN)
      fprintf(out, "  %-10s %-22s override %s (%s): %s\n", "", "", x->override_path, x->interlock,
              x->override_reason);
  }
}
