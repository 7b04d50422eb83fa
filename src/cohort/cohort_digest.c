/* cohort_digest.c — provenance digests of a case's inputs and the case key (cohort_internal.h).
 * Every file the case reads is hashed (SHA-256, nettle via report_sha256_file): the case file,
 * every file of each course's CT directory, RTSTRUCT, RTDOSE, RTPLAN, and registration files. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cohort_internal.h"
#include "rert/report.h"

typedef struct {
  char role[96];
  char path[COHORT_PATH_LEN];
} input_ref;

typedef struct {
  input_ref *v;
  int n, cap;
} input_list;

static int add(input_list *l, const char *role, const char *path) {
  if (!path || !*path) return 0;
  for (int i = 0; i < l->n; i++)
    if (!strcmp(l->v[i].path, path)) return 0; /* one object shared by several courses */
  if (l->n == l->cap) {
    int nc = l->cap ? 2 * l->cap : 32;
    input_ref *nv = realloc(l->v, (size_t)nc * sizeof *nv);
    if (!nv) return -1;
    l->v = nv, l->cap = nc;
  }
  snprintf(l->v[l->n].role, sizeof l->v[0].role, "%s", role);
  snprintf(l->v[l->n].path, sizeof l->v[0].path, "%s", path);
  l->n++;
  return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* regular files of a directory, sorted by name */
static int add_dir(input_list *l, const char *role, const char *dir, rert_err *err) {
  DIR *d = opendir(dir);
  if (!d) return rert_err_set(err, RERT_EINPUT, "%s: cannot open the CT directory", dir);
  char **names = NULL;
  int n = 0, cap = 0, rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char p[COHORT_PATH_LEN];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(p, &st) || !S_ISREG(st.st_mode)) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **nn = realloc(names, (size_t)cap * sizeof *nn);
      if (!nn) { rc = -1; break; }
      names = nn;
    }
    names[n++] = strdup(p);
  }
  closedir(d);
  if (!rc) qsort(names, (size_t)n, sizeof *names, cmp_str);
  for (int i = 0; i < n; i++) {
    if (!rc && names[i] && add(l, role, names[i])) rc = -1;
    free(names[i]);
  }
  free(names);
  return rc ? rert_err_set(err, RERT_EINTERNAL, "out of memory") : RERT_OK;
}

int cohort_digest_inputs(const rert_case *cf, const char *param_sha256, cJSON **inputs,
                         char key[65], rert_err *err) {
  input_list l = {0};
  int rc = RERT_OK;
  *inputs = NULL;
  if (add(&l, "case", cf->path)) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int c = 0; c < cf->ncourses && !rc; c++) {
    const case_course *co = &cf->courses[c];
    char role[96];
    if (co->ct_dir[0]) {
      snprintf(role, sizeof role, "%s/ct", co->id);
      rc = add_dir(&l, role, co->ct_dir, err);
    }
    const char *kinds[3] = {"rtstruct", "rtdose", "rtplan"};
    const char *paths[3] = {co->rtstruct, co->rtdose, co->rtplan};
    for (int k = 0; k < 3 && !rc; k++) {
      snprintf(role, sizeof role, "%s/%s", co->id, kinds[k]);
      if (add(&l, role, paths[k])) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    }
  }
  for (int r = 0; r < cf->nregistrations && !rc; r++) {
    char role[96];
    snprintf(role, sizeof role, "registration/%s->%s", cf->registrations[r].from, cf->registrations[r].to);
    if (add(&l, role, cf->registrations[r].dicom) || add(&l, role, cf->registrations[r].mha))
      rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  /* key = sha256(param digest, then "role sha256" per input in list order) */
  size_t cap = 128 + (size_t)l.n * 200, len = 0;
  char *text = rc ? NULL : malloc(cap);
  if (!rc && !text) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  cJSON *arr = rc ? NULL : cJSON_CreateArray();
  if (text) len = (size_t)snprintf(text, cap, "rert-cohort-key/1\n%s\n", param_sha256);
  for (int i = 0; i < l.n && !rc; i++) {
    char hex[65];
    struct stat st;
    if ((rc = report_sha256_file(l.v[i].path, hex, err))) break;
    if (stat(l.v[i].path, &st)) st.st_size = 0;
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "role", l.v[i].role);
    cJSON_AddStringToObject(x, "path", l.v[i].path);
    cJSON_AddStringToObject(x, "sha256", hex);
    cJSON_AddNumberToObject(x, "bytes", (double)st.st_size);
    cJSON_AddItemToArray(arr, x);
    len += (size_t)snprintf(text + len, cap - len, "%s %s\n", l.v[i].role, hex);
  }
  if (!rc) {
    report_sha256_buffer(text, len, key);
    *inputs = arr;
  } else {
    cJSON_Delete(arr);
  }
  free(text);
  free(l.v);
  return rc;
}
