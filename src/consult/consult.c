/* consult.c — runs the consult steps in order (rert/consult.h), shows progress on a terminal,
 * and writes the report and DICOM outputs into a temporary directory beside the output that is
 * moved into place only when everything succeeded. A failure names the step.
 */
#include "rert/consult.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rert/fileio.h"

#if __has_include("rert/accumulate.h")
#include <dirent.h>
#include <math.h>

#include "consult/consult_ctx.h"

static const char *const step_names[] = {
    "load case file",   "read DICOM",         "register and map doses", "structure masks",
    "EQD2, recovery and cumulative sum", "evaluate protocols", "remaining tolerance and regimens",
    "build report",     "write outputs"};
#define NSTEPS ((int)(sizeof step_names / sizeof step_names[0]))

static void progress(const consult_opts *o, int step) {
  if (!o->progress) return;
  if (step < NSTEPS)
    fprintf(stderr, "\r\033[K[%d/%d] %s ...", step + 1, NSTEPS, step_names[step]);
  else
    fprintf(stderr, "\r\033[K");
  fflush(stderr);
}

/* Remove the regular files of dir and the directory itself (our own temporary directory). */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char p[2200];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

/* Creation time: --created (ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SS" with an optional "Z"), else
 * SOURCE_DATE_EPOCH (reproducible-builds convention, as the io module), else now. One value
 * drives the report's created_utc and the DICOM outputs' content/structure-set date and time. */
static int resolve_created(consult_ctx *c, rert_err *err) {
  time_t t;
  const char *s = c->o->created_utc;
  if (s && *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char z[4] = "";
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n%3s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n, z) < 6 ||
        !(s[n] == '\0' || strcmp(s + n, "Z") == 0) || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
        tm.tm_year < 1970)
      return rert_err_set(err, RERT_EINPUT,
                          "--created: '%s' is not a UTC time like 2026-01-01T00:00:00Z", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
  } else {
    const char *e = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long v = e && *e ? strtoll(e, &end, 10) : -1;
    t = v >= 0 && end && *end == '\0' ? (time_t)v : time(NULL);
  }
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(c->created_utc, sizeof c->created_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
  c->created_epoch_s = (long long)t;
  return RERT_OK;
}

/* Key of the derived objects' UIDs: SHA-256 over the rert version, every input's role and
 * digest (case file, RTDOSEs, plans, CT series, RTSTRUCT, registrations) and the parameters that
 * change the outputs (uncertainty radius, protocols in order). Not the output directory or the
 * creation time, so the same consult gives the same UIDs wherever and whenever it is written. */
static void make_uid_key(consult_ctx *c) {
  size_t cap = 4096, len = 0;
  char *b = malloc(cap);
  if (!b) return;
#define APPEND(...)                                                                         \
  do {                                                                                      \
    int need_ = snprintf(NULL, 0, __VA_ARGS__);                                             \
    if (need_ > 0 && len + (size_t)need_ + 1 > cap) {                                       \
      char *q_ = realloc(b, cap = (len + (size_t)need_ + 1) * 2);                           \
      if (!q_) { free(b); return; }                                                         \
      b = q_;                                                                               \
    }                                                                                       \
    if (need_ > 0) len += (size_t)snprintf(b + len, cap - len, __VA_ARGS__);                \
  } while (0)
  APPEND("rert-consult-uid/1 %s\n", RERT_VERSION);
  const cJSON *it;
  cJSON_ArrayForEach(it, c->inputs) {
    const cJSON *role = cJSON_GetObjectItem(it, "role"), *h = cJSON_GetObjectItem(it, "sha256");
    APPEND("%s\t%s\n", cJSON_IsString(role) ? role->valuestring : "",
           cJSON_IsString(h) ? h->valuestring : "-");
  }
  APPEND("uncertainty_mm %.17g\n", c->o->uncertainty_mm);
  for (int p = 0; p < c->nprot; p++) APPEND("protocol %s\n", c->prot[p].name);
#undef APPEND
  report_sha256_buffer(b, len, c->uid_key);
  free(b);
}

void consult_object_key(const consult_ctx *c, const char *role, char *buf, size_t n) {
  snprintf(buf, n, "%s/%s", c->uid_key, role);
}

/* One derived RTDOSE: `label` becomes its SeriesDescription (so the maps are told apart in a
 * planning system's series list), `comment` its DoseComment, `bound` its rert metadata bound
 * (the worst case is an UPPER bound), `note` the free text of its rert-meta line. */
static int write_derived(consult_ctx *c, const char *dir, const char *name, const rert_volume *v,
                         const char *label, const char *comment, rert_bound bound, const char *note,
                         int *nfiles, rert_err *err) {
  /* RTDOSE cannot hold negative numbers or NaN: those voxels are written as 0 (said in `note`) */
  rert_volume w;
  memset(&w, 0, sizeof w);
  int rc = volume_alloc_like(&w, v, err);
  if (rc) return rc;
  size_t n = volume_count(v);
  for (size_t i = 0; i < n; i++) w.data[i] = isfinite(v->data[i]) && v->data[i] > 0 ? v->data[i] : 0.0f;
  w.meta = v->meta;
  w.meta.bound = bound;
  const char *plans[RERT_CASE_MAX_COURSES];
  int np = 0;
  for (int i = 0; i < c->cs.ncourses; i++)
    if (c->dose[i].referenced_plan_uid[0]) plans[np++] = c->dose[i].referenced_plan_uid;
  io_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.note = note;
  wo.software = "rert";
  wo.series_description = label;
  wo.dose_comment = comment;
  char path[2200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char key[160];
  consult_object_key(c, name, key, sizeof key);
  rc = io_write_derived_dose_keyed(path, &w, &c->dose[c->iref].ident, plans, np, key, &wo, NULL,
                                   err);
  volume_free(&w);
  if (!rc) (*nfiles)++;
  return rc;
}

int consult_write_dicom(consult_ctx *c, const char *dir, int *nfiles, rert_err *err) {
  char note[700], label[80], comment[80];
  snprintf(note, sizeof note,
           "NOMINAL cumulative EQD2: per-voxel alpha/beta, prior courses after recovery, mapped dose "
           "as registered; protocols evaluated on it in report.json");
  int rc = write_derived(c, dir, "cumulative_eqd2.dcm", &c->res.cumulative, "rert NOMINAL cumulative EQD2",
                         "NOMINAL cumulative EQD2 (Gy), per-voxel a/b, recovered prior",
                         BOUND_NOMINAL, note, nfiles, err);
  if (!rc && c->has_worst) {
    snprintf(note, sizeof note,
             "WORST CASE = UPPER BOUND of the cumulative EQD2: every mapped prior course's dose replaced by "
             "its maximum within the %.1f mm registration uncertainty radius; not a deliverable dose",
             c->o->uncertainty_mm);
    snprintf(label, sizeof label, "rert WORST CASE (upper bound %.1fmm) cum EQD2", c->o->uncertainty_mm);
    snprintf(comment, sizeof comment, "UPPER BOUND cumulative EQD2 (Gy), max within %.1f mm", c->o->uncertainty_mm);
    rc = write_derived(c, dir, "worst_case_eqd2.dcm", &c->worst.cumulative, label, comment,
                       BOUND_UPPER, note, nfiles, err);
  }
  if (!rc && c->has_budget) {
    rc = write_derived(c, dir, "remaining_eqd2.dcm", &c->remaining, "rert REMAINING tolerance EQD2",
                       "REMAINING cum EQD2 (Gy), tightest hard limit; 0: see RTSTRUCT",
                       BOUND_NOMINAL,
                       "REMAINING cumulative EQD2 under the tightest hard point-like limit of every "
                       "protocol; 0 where no limit applies AND where the limit is already reached: "
                       "budget_regions.dcm (Budget_Exhausted / Budget_Limited) tells them apart",
                       nfiles, err);
    if (!rc) {
      snprintf(label, sizeof label, "rert MAX NEW DOSE in %d fx", c->budget_fractions);
      snprintf(comment, sizeof comment, "MAX NEW physical dose (Gy) in %d fx; 0: see RTSTRUCT", c->budget_fractions);
      rc = write_derived(c, dir, "max_new_dose.dcm", &c->maxnew, label, comment, BOUND_NOMINAL,
                         "MAXIMUM NEW physical dose in the planned fractions that keeps each voxel "
                         "within remaining_eqd2; 0 where no limit applies AND where the limit is "
                         "already reached: budget_regions.dcm tells them apart",
                         nfiles, err);
    }
    int nex = 0;
    if (!rc) rc = consult_write_budget_rtstruct(c, dir, nfiles, &nex, err);
  }
  /* derived RTSTRUCT: the recurrence's in-field and marginal parts, CTV and PTV by the recipe */
  if (!rc) rc = consult_write_rtstruct(c, dir, nfiles, err);
  return rc;
}

/* Move every file of tmp into out (created when missing), then remove tmp. */
static int move_into_place(const char *tmp, const char *out, rert_err *err) {
  int rc = fileio_mkdirs(out, err);
  if (rc) return rc;
  DIR *d = opendir(tmp);
  if (!d) return rert_err_set(err, RERT_EINTERNAL, "%s: cannot list (%s)", tmp, strerror(errno));
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char a[2200], b[2200];
    snprintf(a, sizeof a, "%s/%s", tmp, e->d_name);
    snprintf(b, sizeof b, "%s/%s", out, e->d_name);
    if (rename(a, b) != 0) {
      closedir(d);
      return rert_err_set(err, RERT_EINTERNAL, "%s: cannot move into place (%s)", b, strerror(errno));
    }
  }
  closedir(d);
  rmdir(tmp);
  return RERT_OK;
}

void consult_summary_free(consult_summary *s) {
  free(s->summary_json);
  free(s->summary_text);
  s->summary_json = s->summary_text = NULL;
}

int consult_run(const consult_opts *o, consult_summary *sum, rert_err *err) {
  memset(sum, 0, sizeof *sum);
  consult_ctx *c = calloc(1, sizeof *c);
  if (!c) return rert_err_set(err, RERT_EINTERNAL, "consult: out of memory");
  c->o = o;
  c->inputs = cJSON_CreateArray();
  c->notes = cJSON_CreateArray();
  rert_report r;
  memset(&r, 0, sizeof r);
  int rc = resolve_created(c, err), failed = -1, loaded = 0;
  if (!rc && o->dose_encoding && io_dose_encoding_parse(o->dose_encoding) < 0)
    rc = rert_err_set(err, RERT_EINPUT, "--dose-encoding: '%s' is not raw32, rle32 or raw16", o->dose_encoding);
  if (rc) {
    cJSON_Delete(c->inputs);
    cJSON_Delete(c->notes);
    free(c);
    return rc;
  }
  int (*const steps[])(consult_ctx *, rert_err *) = {
      consult_step_load,       consult_step_dicom,    consult_step_register,
      consult_step_masks,      consult_step_accumulate, consult_step_evaluate,
      consult_step_budget};
  for (int s = 0; s < (int)(sizeof steps / sizeof steps[0]); s++) {
    progress(o, s);
    rc = steps[s](c, err);
    if (s == 0) loaded = c->cs.root != NULL;
    if (rc) {
      failed = s;
      break;
    }
  }
  if (!rc) {
    progress(o, 7);
    rc = consult_build_report(c, &r, sum, err);
    if (!rc) rc = consult_add_viewer(c, &r, err);
    if (rc) failed = 7;
    /* the gate's findings and applied overrides, structured (rert/gate.h) */
    if (!rc && c->gate) cJSON_AddItemToObject(r.doc, "checks", gate_checks_json(c->gate));
  }
  if (!rc) {
    progress(o, 8);
    /* temporary directory beside the output, so the final moves are renames */
    snprintf(c->tmp_dir, sizeof c->tmp_dir, "%s.tmp-XXXXXX", o->out_dir);
    if (!mkdtemp(c->tmp_dir)) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: cannot create a directory beside it (%s)", o->out_dir,
                        strerror(errno));
      c->tmp_dir[0] = '\0';
    }
    char p[2200];
    if (!rc) { snprintf(p, sizeof p, "%s/report.json", c->tmp_dir); rc = report_write_json(&r, p, err); }
    if (!rc) { snprintf(p, sizeof p, "%s/report.html", c->tmp_dir); rc = report_write_html(&r, p, err); }
    if (!rc) { snprintf(p, sizeof p, "%s/report.pdf", c->tmp_dir); rc = report_write_pdf(&r, p, err); }
    if (!rc) {
      sum->nfiles = 3;
      make_uid_key(c);
      long long prev = io_set_write_time(c->created_epoch_s);
      int enc = o->dose_encoding ? io_dose_encoding_parse(o->dose_encoding) : -1;
      int prev_enc = enc >= 0 ? io_set_dose_encoding(enc) : -1;
      rc = consult_write_dicom(c, c->tmp_dir, &sum->nfiles, err);
      if (prev_enc >= 0) io_set_dose_encoding(prev_enc);
      io_set_write_time(prev);
    }
    if (!rc) rc = move_into_place(c->tmp_dir, o->out_dir, err);
    if (rc && c->tmp_dir[0]) remove_tree(c->tmp_dir);
    if (rc) failed = 8;
  }
  progress(o, NSTEPS);
  if (rc) {
    rert_err_prefix(err, rc, "consult: step %d/%d (%s)", failed + 1, NSTEPS, step_names[failed]);
    consult_summary_free(sum);
  } else {
    snprintf(sum->out_dir, sizeof sum->out_dir, "%s", o->out_dir);
  }
  report_free(&r);
  if (!loaded) {
    cJSON_Delete(c->inputs);
    cJSON_Delete(c->notes);
    c->inputs = c->notes = NULL;
    free(c);
    return rc;
  }
  consult_ctx_free(c);
  free(c);
  if (rc) return rc;
  /* the summary's verdict: any hard row failing nominally → FAIL; else any hard row not
   * evaluated → INCOMPLETE (never a pass); else PASS */
  return !strcmp(sum->verdict, "FAIL") ? RERT_EVERDICT
         : !strcmp(sum->verdict, "INCOMPLETE") ? RERT_EINCOMPLETE
                                                : RERT_OK;
}

#else /* the accumulate module is not merged into this tree */

void consult_summary_free(consult_summary *s) { (void)s; }

int consult_run(const consult_opts *o, consult_summary *sum, rert_err *err) {
  (void)o;
  memset(sum, 0, sizeof *sum);
  return rert_err_set(err, RERT_EINTERNAL,
                      "consult: this build lacks the accumulate module (rert/accumulate.h)");
}

#endif
