/* caseinit_output.c — caseinit_draft (the pipeline), the result as JSON and text, the atomic
 * write of the drafted case, and the relative paths written in it. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caseinit/caseinit_internal.h"
#include "rert/data.h"
#include "rert/fileio.h"

void ci_date_str(rert_date d, char out[11]) { date_format(d, out); }

/* Relative path from directory from_dir to path (both absolute, normalised). */
int ci_relpath(const char *from_dir, const char *path, char *out, size_t n) {
  if (from_dir[0] != '/' || path[0] != '/') return -1;
  /* common prefix on whole components */
  size_t i = 0, last = 0;
  while (from_dir[i] && path[i] && from_dir[i] == path[i]) {
    if (from_dir[i] == '/') last = i;
    i++;
  }
  if (!from_dir[i] && (path[i] == '/' || !path[i])) last = i;
  else if (from_dir[i] == '/' && !path[i]) last = i;
  if (!strcmp(from_dir, "/")) last = 0;
  out[0] = 0;
  size_t len = 0;
  /* one ".." per remaining component of from_dir */
  for (const char *p = from_dir + last; *p; p++)
    if (*p == '/' && p[1]) {
      int k = snprintf(out + len, n - len, "../");
      if (k < 0 || (size_t)k >= n - len) return -1;
      len += (size_t)k;
    }
  const char *rest = path + last;
  while (*rest == '/') rest++;
  int k = snprintf(out + len, n - len, "%s", rest);
  if (k < 0 || (size_t)k >= n - len) return -1;
  len += (size_t)k;
  if (len && out[len - 1] == '/') out[--len] = 0;
  if (!len) snprintf(out, n, ".");
  return 0;
}

static cJSON *course_summary(ci_ctx *x, const ci_course *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", c->id);
  cJSON_AddStringToObject(o, "role", c->planned ? "planned" : "prior");
  cJSON_AddBoolToObject(o, "reference", c->index == x->reference);
  cJSON_AddStringToObject(o, "frame_of_reference_uid", c->for_uid);
  cJSON *pl = cJSON_AddArrayToObject(o, "plans");
  for (int i = 0; i < c->nused; i++) {
    const ci_plan *p = &x->plan[c->used[i]];
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "path", ci_path(x, p->obj));
    cJSON_AddStringToObject(q, "label", p->plan.label);
    cJSON_AddStringToObject(q, "approval_status", p->plan.approval_status);
    cJSON_AddNumberToObject(q, "fraction_groups", p->plan.nfraction_groups);
    cJSON_AddNumberToObject(q, "fractions", p->fractions);
    if (isfinite(p->rx_gy)) json_add_num(q, "prescription_gy", p->rx_gy);
    cJSON_AddNumberToObject(q, "treatment_records", p->nrec);
    cJSON_AddItemToArray(pl, q);
  }
  cJSON_AddStringToObject(o, "plan_rule", c->plan_rule);
  cJSON *ds = cJSON_AddArrayToObject(o, "doses");
  for (int i = 0; i < c->ndoses; i++) {
    const io_object *d = ci_obj(x, x->dose[c->doses[i]].obj);
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "path", ci_path(x, x->dose[c->doses[i]].obj));
    cJSON_AddStringToObject(q, "summation", d->dose_summation);
    cJSON_AddStringToObject(q, "type", d->dose_type);
    if (d->ref_beam_number) cJSON_AddNumberToObject(q, "beam", d->ref_beam_number);
    cJSON_AddItemToArray(ds, q);
  }
  if (c->ss >= 0) cJSON_AddStringToObject(o, "rtstruct", ci_path(x, x->ss[c->ss].obj));
  if (c->ct >= 0) {
    cJSON_AddStringToObject(o, "ct_series_uid", ci_obj(x, x->ct[c->ct].obj)->ident.series_instance_uid);
    cJSON_AddNumberToObject(o, "ct_images", ci_obj(x, x->ct[c->ct].obj)->nfiles);
  }
  cJSON_AddNumberToObject(o, "treatment_records", c->nrec);
  if (c->fractions > 0) cJSON_AddNumberToObject(o, "fractions", c->fractions);
  if (c->delivered >= 0) cJSON_AddNumberToObject(o, "delivered_fractions", c->delivered);
  if (isfinite(c->rx_gy)) json_add_num(o, "prescription_gy", c->rx_gy);
  char d[11];
  if (c->has_start) ci_date_str(c->start, d), cJSON_AddStringToObject(o, "start_date", d);
  if (c->has_end && !(c->planned && c->end_estimated))
    ci_date_str(c->end, d), cJSON_AddStringToObject(o, "end_date", d);
  cJSON_AddStringToObject(o, "dates_from", c->dates_src);
  return o;
}

int caseinit_draft(const caseinit_opts *o, caseinit_result *r, rert_err *err) {
  memset(r, 0, sizeof *r);
  snprintf(r->case_path, sizeof r->case_path, "%s", o->case_path);
  ci_ctx x;
  memset(&x, 0, sizeof x);
  x.o = o;
  x.r = r;
  struct stat st;
  if (stat(o->export_dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return rert_err_set(err, RERT_EINPUT, "%s: not a directory (rert case init reads an export "
                        "folder)", o->export_dir);
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", o->case_path);
  const char *dir = dirname(tmp);
  if (!realpath(dir, x.case_dir))
    return rert_err_set(err, RERT_EINPUT, "%s: the directory of the case file does not exist (%s)",
                        o->case_path, strerror(errno));
  int rc = ci_scan(&x, err);
  if (!rc) rc = ci_group(&x, err);
  if (!rc) rc = ci_draft(&x, err);
  if (!rc) {
    r->courses = cJSON_CreateArray();
    for (int k = 0; k < x.ncourse; k++) cJSON_AddItemToArray(r->courses, course_summary(&x, &x.course[k]));
    if (!r->not_used) r->not_used = cJSON_CreateArray();
  }
  ci_free(&x);
  if (rc) caseinit_free(r);
  return rc;
}

void caseinit_free(caseinit_result *r) {
  if (!r) return;
  cJSON_Delete(r->doc);
  cJSON_Delete(r->courses);
  cJSON_Delete(r->not_used);
  cJSON_Delete(r->check);
  free(r->todo);
  memset(r, 0, sizeof *r);
}

/* ---- output --------------------------------------------------------------------------------- */

cJSON *caseinit_result_json(const caseinit_result *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "case_file", r->case_path);
  cJSON *cnt = cJSON_AddObjectToObject(o, "counts");
  cJSON_AddNumberToObject(cnt, "objects", r->nobjects);
  cJSON_AddNumberToObject(cnt, "non_dicom_files", r->nskipped);
  cJSON_AddNumberToObject(cnt, "courses", cJSON_GetArraySize(r->courses));
  cJSON_AddNumberToObject(cnt, "todo", r->ntodo);
  cJSON_AddNumberToObject(cnt, "blocking_todo", r->nblocking);
  cJSON_AddNumberToObject(cnt, "not_used", cJSON_GetArraySize(r->not_used));
  cJSON_AddItemToObject(o, "courses", cJSON_Duplicate(r->courses, 1));
  const cJSON *regs = r->doc ? cJSON_GetObjectItem(r->doc, "registrations") : NULL;
  cJSON_AddItemToObject(o, "registrations", regs ? cJSON_Duplicate(regs, 1) : cJSON_CreateArray());
  const cJSON *ci = r->doc ? cJSON_GetObjectItem(r->doc, "x_case_init") : NULL;
  const cJSON *todo = ci ? cJSON_GetObjectItem(ci, "todo") : NULL;
  cJSON_AddItemToObject(o, "todo", todo ? cJSON_Duplicate(todo, 1) : cJSON_CreateArray());
  const cJSON *nu = ci ? cJSON_GetObjectItem(ci, "not_used") : NULL;
  cJSON_AddItemToObject(o, "not_used", nu ? cJSON_Duplicate(nu, 1) : cJSON_CreateArray());
  if (r->check) cJSON_AddItemToObject(o, "check", cJSON_Duplicate(r->check, 1));
  cJSON_AddItemToObject(o, "case", r->doc ? cJSON_Duplicate(r->doc, 1) : cJSON_CreateNull());
  return o;
}

void caseinit_print(const caseinit_result *r, FILE *out) {
  fprintf(out, "rert case init: %d object(s), %d non-DICOM file(s) skipped; %d course(s)\n",
          r->nobjects, r->nskipped, cJSON_GetArraySize(r->courses));
  const cJSON *c;
  cJSON_ArrayForEach(c, r->courses) {
    const cJSON *id = cJSON_GetObjectItem(c, "id"), *role = cJSON_GetObjectItem(c, "role");
    fprintf(out, "\n  %s (%s%s)\n", id->valuestring, role->valuestring,
            cJSON_IsTrue(cJSON_GetObjectItem(c, "reference")) ? ", reference" : "");
    const cJSON *f = cJSON_GetObjectItem(c, "fractions"), *rx = cJSON_GetObjectItem(c, "prescription_gy");
    const cJSON *s = cJSON_GetObjectItem(c, "start_date"), *e = cJSON_GetObjectItem(c, "end_date");
    const cJSON *dl = cJSON_GetObjectItem(c, "delivered_fractions");
    fprintf(out, "    %s..%s", s ? s->valuestring : "?", e ? e->valuestring : "?");
    if (rx) fprintf(out, "  %g Gy", rx->valuedouble);
    if (f) fprintf(out, " / %d fx", f->valueint);
    if (dl) fprintf(out, "  (%d delivered)", dl->valueint);
    fprintf(out, "\n    dates: %s\n", cJSON_GetObjectItem(c, "dates_from")->valuestring);
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(c, "plans"))
      fprintf(out, "    plan    %s '%s' %s, %d record(s)\n", cJSON_GetObjectItem(p, "path")->valuestring,
              cJSON_GetObjectItem(p, "label")->valuestring,
              cJSON_GetObjectItem(p, "approval_status")->valuestring[0]
                  ? cJSON_GetObjectItem(p, "approval_status")->valuestring : "(no approval status)",
              cJSON_GetObjectItem(p, "treatment_records")->valueint);
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(c, "doses")) {
      const cJSON *b = cJSON_GetObjectItem(p, "beam");
      fprintf(out, "    dose    %s %s %s", cJSON_GetObjectItem(p, "path")->valuestring,
              cJSON_GetObjectItem(p, "summation")->valuestring, cJSON_GetObjectItem(p, "type")->valuestring);
      if (b) fprintf(out, " beam %d", b->valueint);
      fprintf(out, "\n");
    }
    const cJSON *ss = cJSON_GetObjectItem(c, "rtstruct"), *ct = cJSON_GetObjectItem(c, "ct_series_uid");
    if (ss) fprintf(out, "    rtstruct %s\n", ss->valuestring);
    if (ct) fprintf(out, "    CT      series %s (%d images)\n", ct->valuestring,
                    cJSON_GetObjectItem(c, "ct_images")->valueint);
  }
  const cJSON *regs = r->doc ? cJSON_GetObjectItem(r->doc, "registrations") : NULL;
  if (regs && cJSON_GetArraySize(regs)) {
    fprintf(out, "\n  registrations\n");
    const cJSON *g;
    cJSON_ArrayForEach(g, regs)
      fprintf(out, "    %s -> %s %s %s\n", cJSON_GetObjectItem(g, "from")->valuestring,
              cJSON_GetObjectItem(g, "to")->valuestring, cJSON_GetObjectItem(g, "type")->valuestring,
              cJSON_GetObjectItem(g, "dicom")->valuestring);
  }
  int nnu = cJSON_GetArraySize(r->not_used);
  if (nnu) {
    fprintf(out, "\n  not used (%d object(s); all in $.x_case_init.not_used)\n", nnu);
    int i = 0;
    const cJSON *u;
    cJSON_ArrayForEach(u, r->not_used) {
      if (i++ == 12) {
        fprintf(out, "    …\n");
        break;
      }
      fprintf(out, "    %-9s %s: %s\n", cJSON_GetObjectItem(u, "kind")->valuestring,
              cJSON_GetObjectItem(u, "path")->valuestring, cJSON_GetObjectItem(u, "why")->valuestring);
    }
  }
  if (r->check) {
    const cJSON *res = cJSON_GetObjectItem(r->check, "result");
    fprintf(out, "\n  check of the draft (DICOM gate): %s\n", res ? res->valuestring : "?");
  }
  fprintf(out, "\nTODO (%d, %d blocking):\n", r->ntodo, r->nblocking);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < r->ntodo; i++) {
      const caseinit_todo *t = &r->todo[i];
      if (t->blocking != !pass) continue;
      fprintf(out, "  %s %-7s %s: %s\n", t->blocking ? "BLOCKING" : "        ",
              caseinit_todo_kind_name(t->kind), t->path, t->message);
    }
  fprintf(out, "\ncase file: %s%s\n", r->case_path,
          r->nblocking ? " — INCOMPLETE: resolve the blocking TODOs before computing"
                       : " — checks clean; confirm the TODOs, fill the clinical facts");
}

/* ---- writing -------------------------------------------------------------------------------- */

static int inside(const char *dir_real, const char *path_real) {
  size_t n = strlen(dir_real);
  return !strncmp(dir_real, path_real, n) && (path_real[n] == '/' || !path_real[n]);
}

int caseinit_write(const caseinit_result *r, const char *path, const char *export_dir, int force,
                   rert_err *err) {
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return rert_err_set(err, RERT_EINPUT, "%s: is a directory (--out names the case file)", path);
    if (!force)
      return rert_err_set(err, RERT_EINPUT, "%s: exists; rert case init never overwrites a case "
                          "file (--force to replace it)", path);
    if (S_ISLNK(st.st_mode))
      return rert_err_set(err, RERT_EINPUT, "%s: is a symbolic link; not replaced", path);
  }
  /* never inside the export (inputs stay untouched) */
  char ed[PATH_MAX], tmp[PATH_MAX], cd[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  if (realpath(export_dir, ed) && realpath(dirname(tmp), cd)) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char full[PATH_MAX + 256];
    snprintf(full, sizeof full, "%s/%s", cd, base);
    if (inside(ed, full))
      return rert_err_set(err, RERT_EINPUT, "%s: inside the export %s; rert case init leaves the "
                          "export untouched — write the case file beside it", path, export_dir);
  }
  char *s = json_print_full(r->doc, 1);
  if (!s) return rert_err_set(err, RERT_EINTERNAL, "%s: cannot format the case file", path);
  size_t n = strlen(s);
  s[n] = '\n';
  int rc = atomic_write_buffer(path, s, n + 1, err);
  free(s);
  if (!rc) {
    mode_t um = umask(0);
    umask(um);
    chmod(path, 0666 & ~um);
  }
  return rc;
}
