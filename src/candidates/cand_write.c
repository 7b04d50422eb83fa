/* cand_write.c — the comparison's files (rert/candidates.h): report.json/html/pdf, each
 * candidate's cumulative EQD2 and the pairwise EQD2 difference maps as RTDOSE a planning system
 * imports (RTDOSE holds no negative numbers: each direction of a difference is its own object)
 * and as signed MetaImage. Everything goes into a staging directory beside the output, moved
 * into place only when every file was written. docs/compare.md "Outputs". */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cand_internal.h"
#include "rert/dicomio.h"
#include "rert/fileio.h"
#include "rert/imageio.h"

static int plan_uids(const cand_comparison *cmp, const cand_result *a, const cand_result *b,
                     const char **uids, int max) {
  int n = 0;
  const accum_case *ac = cmp->ac;
  for (int i = 0; i < ac->in.ncourses && n < max; i++) {
    const accum_course *k = &ac->in.courses[i];
    int use = 0;
    for (int p = 0; p < cmp->base->ncourses; p++) use |= !strcmp(cmp->base->courses[p].id, k->id);
    use |= (a && !strcmp(a->id, k->id)) || (b && !strcmp(b->id, k->id));
    if (use && ac->plan_uid[i][0]) uids[n++] = ac->plan_uid[i];
  }
  return n;
}

static int write_dose(const cand_comparison *cmp, const char *dir, const char *name, const rert_volume *v,
                      const char *note, const char *series, const cand_result *a, const cand_result *b,
                      const char *uid_key, int *nfiles, rert_err *err) {
  rert_volume w;
  memset(&w, 0, sizeof w);
  int rc = volume_alloc_like(&w, v, err);
  if (rc) return rc;
  const size_t n = volume_count(v);
  for (size_t i = 0; i < n; i++) w.data[i] = isfinite(v->data[i]) && v->data[i] > 0 ? v->data[i] : 0.0f;
  const char *uids[ACCUM_MAX_COURSES];
  int nu = plan_uids(cmp, a, b, uids, ACCUM_MAX_COURSES);
  io_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.note = note;
  wo.software = "rert";
  (void)series;
  char path[2400], key[400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(key, sizeof key, "%s/%s", uid_key ? uid_key : "", name);
  rc = io_write_derived_dose_keyed(path, &w, &cmp->ac->reference_ident, uids, nu,
                                   uid_key && *uid_key ? key : NULL, &wo, NULL, err);
  volume_free(&w);
  if (!rc) (*nfiles)++;
  return rc;
}

int candidates_write_maps(const cand_comparison *cmp, const char *dir, const char *uid_key, int *nfiles,
                          rert_err *err) {
  int rc = RERT_OK;
  for (int i = 0; i < cmp->n && !rc; i++) {
    const cand_result *r = &cmp->c[i];
    char fid[80], name[160], note[300];
    cand_file_id(r->id, fid, sizeof fid);
    snprintf(name, sizeof name, "cumulative_eqd2_%s.dcm", fid);
    snprintf(note, sizeof note, "cumulative EQD2 with candidate %s as the new course, per-voxel alpha/beta, prior courses recovered", r->id);
    rc = write_dose(cmp, dir, name, &r->cumulative, note, NULL, r, NULL, uid_key, nfiles, err);
  }
  for (int i = 0; i < cmp->n && !rc; i++)
    for (int j = i + 1; j < cmp->n && !rc; j++) {
      const cand_result *a = &cmp->c[i], *b = &cmp->c[j];
      rert_volume d, neg;
      memset(&d, 0, sizeof d);
      memset(&neg, 0, sizeof neg);
      rc = volume_alloc_like(&d, &a->cumulative, err);
      if (!rc) rc = volume_alloc_like(&neg, &a->cumulative, err);
      if (!rc) {
        const size_t n = volume_count(&d);
        for (size_t v = 0; v < n; v++) {
          d.data[v] = a->cumulative.data[v] - b->cumulative.data[v];
          neg.data[v] = -d.data[v];
        }
        d.meta.quantity = neg.meta.quantity = QTY_EQD2;
        snprintf(d.meta.description, sizeof d.meta.description, "EQD2 difference %s - %s", a->id, b->id);
        snprintf(neg.meta.description, sizeof neg.meta.description, "EQD2 difference %s - %s", b->id, a->id);
        char fa[80], fb[80], name[240], note[400];
        cand_file_id(a->id, fa, sizeof fa);
        cand_file_id(b->id, fb, sizeof fb);
        snprintf(name, sizeof name, "diff_%s_minus_%s.dcm", fa, fb);
        snprintf(note, sizeof note, "cumulative EQD2 of candidate %s minus candidate %s where positive (0 where %s is lower; the other direction is diff_%s_minus_%s.dcm)",
                 a->id, b->id, a->id, fb, fa);
        rc = write_dose(cmp, dir, name, &d, note, NULL, a, b, uid_key, nfiles, err);
        if (!rc) {
          snprintf(name, sizeof name, "diff_%s_minus_%s.dcm", fb, fa);
          snprintf(note, sizeof note, "cumulative EQD2 of candidate %s minus candidate %s where positive (0 where %s is lower)",
                   b->id, a->id, b->id);
          rc = write_dose(cmp, dir, name, &neg, note, NULL, a, b, uid_key, nfiles, err);
        }
        if (!rc) {
          char path[2400];
          snprintf(path, sizeof path, "%s/diff_%s_minus_%s.mha", dir, fa, fb);
          rc = imageio_write_volume(path, &d, err);
          if (!rc) (*nfiles)++;
        }
      }
      volume_free(&d);
      volume_free(&neg);
    }
  return rc;
}

/* ISO 8601 UTC text → epoch seconds and canonical text; NULL/"" = SOURCE_DATE_EPOCH or now. */
static int created_time(const char *s, char *txt, size_t n, long long *epoch, rert_err *err) {
  time_t t;
  if (s && *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int used = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &used) < 6 ||
        !(s[used] == 0 || !strcmp(s + used, "Z")) || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1970)
      return rert_err_set(err, RERT_EINPUT, "--created: '%s' is not a UTC time like 2026-01-01T00:00:00Z", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
  } else {
    const char *e = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long v = e && *e ? strtoll(e, &end, 10) : -1;
    t = v >= 0 && end && *end == 0 ? (time_t)v : time(NULL);
  }
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(txt, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
  *epoch = (long long)t;
  return RERT_OK;
}

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char p[2400];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

static int move_into_place(const char *tmp, const char *out, rert_err *err) {
  int rc = fileio_mkdirs(out, err);
  if (rc) return rc;
  DIR *d = opendir(tmp);
  if (!d) return rert_err_set(err, RERT_EINTERNAL, "%s: cannot list (%s)", tmp, strerror(errno));
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char a[2400], b[2400];
    snprintf(a, sizeof a, "%s/%s", tmp, e->d_name);
    snprintf(b, sizeof b, "%s/%s", out, e->d_name);
    if (rename(a, b)) {
      closedir(d);
      return rert_err_set(err, RERT_EINTERNAL, "%s: cannot move into place (%s)", b, strerror(errno));
    }
  }
  closedir(d);
  rmdir(tmp);
  return RERT_OK;
}

int candidates_write_output(const cand_comparison *cmp, const char *out_dir, const char *created_utc,
                            const char *command_line, int *nfiles, rert_err *err) {
  *nfiles = 0;
  char created[32];
  long long epoch = 0;
  int rc = created_time(created_utc, created, sizeof created, &epoch, err);
  if (rc) return rc;
  rert_report r;
  memset(&r, 0, sizeof r);
  rc = report_init(&r, "Re-irradiation: candidate plans compared", created, err);
  if (rc) return rc;
  cJSON *s = report_add_section(&r, "compare_provenance", "Provenance");
  report_add_kv_table(s, "compare_software", NULL, "Software", "rert " RERT_VERSION, "Command",
                      command_line ? command_line : "", "Case file", cmp->cf->path, NULL);
  rc = candidates_add_report(cmp, &r, NULL, err);
  char tmp[1200] = "";
  if (!rc) {
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", out_dir);
    if (!mkdtemp(tmp)) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: cannot create a directory beside it (%s)", out_dir, strerror(errno));
      tmp[0] = 0;
    }
  }
  char p[1400];
  if (!rc) { snprintf(p, sizeof p, "%s/report.json", tmp); rc = report_write_json(&r, p, err); }
  if (!rc) { snprintf(p, sizeof p, "%s/report.html", tmp); rc = report_write_html(&r, p, err); }
  if (!rc) { snprintf(p, sizeof p, "%s/report.pdf", tmp); rc = report_write_pdf(&r, p, err); }
  if (!rc) {
    *nfiles = 3;
    /* reproducible UIDs: the case file's digest and the candidates */
    char key[65] = "";
    if (report_sha256_file(cmp->cf->path, key, err) == RERT_OK) {
      char buf[200];
      snprintf(buf, sizeof buf, "rert-compare/1 %s %.17g", key, cmp->opts.uncertainty_mm);
      report_sha256_buffer(buf, strlen(buf), key);
    } else {
      key[0] = 0;
    }
    long long prev = io_set_write_time(epoch);
    rc = candidates_write_maps(cmp, tmp, key, nfiles, err);
    io_set_write_time(prev);
  }
  if (!rc) rc = move_into_place(tmp, out_dir, err);
  if (rc && tmp[0]) remove_tree(tmp);
  report_free(&r);
  return rc;
}
