/* run.c — see run.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "support/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp(FILE *f) {
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  size_t r;
  while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n < 2) b = realloc(b, cap *= 2);
  }
  b[n] = 0;
  return b;
}

int run_rert(const char *args, char **out, char **err_out) {
  char errfile[] = "/tmp/rert-test-stderr-XXXXXX";
  int fd = mkstemp(errfile);
  if (fd >= 0) close(fd);
  size_t len = strlen(args) + strlen(RERT_BIN) + sizeof errfile + 16;
  char *cmd = malloc(len);
  snprintf(cmd, len, "%s %s 2>%s", RERT_BIN, args, errfile);
  FILE *p = popen(cmd, "r");
  free(cmd);
  if (!p) return -1;
  char *o = slurp(p);
  int st = pclose(p);
  if (out) *out = o; else free(o);
  if (err_out) {
    FILE *e = fopen(errfile, "r");
    *err_out = e ? slurp(e) : strdup("");
    if (e) fclose(e);
  }
  remove(errfile);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int run_rert_json(const char *args, cJSON **json) {
  size_t len = strlen(args) + 16;
  char *a = malloc(len);
  snprintf(a, len, "%s --json", args);
  char *o = NULL;
  int rc = run_rert(a, &o, NULL);
  free(a);
  *json = o ? cJSON_Parse(o) : NULL;
  free(o);
  return rc;
}

static const cJSON *walk(const cJSON *root, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *c = root;
  for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && c; t = strtok_r(NULL, ".", &save)) {
    if (cJSON_IsArray(c)) c = cJSON_GetArrayItem(c, atoi(t));
    else c = cJSON_GetObjectItemCaseSensitive(c, t);
  }
  return c;
}

double json_path_num(const cJSON *root, const char *path) {
  const cJSON *c = walk(root, path);
  return cJSON_IsNumber(c) ? c->valuedouble : NAN;
}

const char *json_path_str(const cJSON *root, const char *path) {
  const cJSON *c = walk(root, path);
  return cJSON_IsString(c) ? c->valuestring : NULL;
}

/* Directories made by test_tmpdir() are removed when the test process exits (Criterion runs
 * each test in its own process), so test runs do not litter /tmp. RERT_KEEP_TEST_DIRS=1 keeps
 * them for debugging. */
#define MAX_TMPDIRS 64
static char tmpdirs[MAX_TMPDIRS][256];
static int ntmpdirs;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path); /* best effort: keep walking even if one entry cannot be removed */
  return 0;
}

static void remove_tmpdirs(void) {
  const char *keep = getenv("RERT_KEEP_TEST_DIRS");
  if (keep && *keep == '1') return;
  for (int i = 0; i < ntmpdirs; i++) nftw(tmpdirs[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *test_tmpdir(void) {
  static char dir[256];
  const char *base = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/rert-test-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(dir)) return "/tmp";
  if (ntmpdirs < MAX_TMPDIRS) {
    if (ntmpdirs == 0) atexit(remove_tmpdirs);
    snprintf(tmpdirs[ntmpdirs++], sizeof tmpdirs[0], "%s", dir);
  }
  return dir;
}
