/* variants.c — see variants.h. Each directory is built under a per-process temporary name and
 * renamed into place, so two test processes never see half a variant. */
#include "support/variants.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/run.h"

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* rename tmp → dst; when another process got there first, drop ours */
static void publish(const char *tmp, const char *dst) {
  if (rename(tmp, dst) != 0 && exists(dst)) {
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) { /* best effort */ }
  }
}

const char *structure_variant(const char *source_dir, const char *build_dir, const char *v) {
  static char path[1400];
  if (system("/usr/bin/python3 -c 'import pydicom' 2>/dev/null") != 0) return NULL;
  char base[1100], ph[1200], tmp[1300], cmd[4096];
  snprintf(base, sizeof base, "%s/test_structures_data", build_dir);
  mkdir(base, 0755);
  snprintf(ph, sizeof ph, "%s/phantom", base);
  if (!exists(ph)) {
    snprintf(tmp, sizeof tmp, "%s.tmp%d", ph, (int)getpid());
    snprintf(cmd, sizeof cmd, "phantom --out %s > /dev/null", tmp);
    cr_assert_eq(run_rert(cmd, NULL, NULL), 0, "rert phantom");
    publish(tmp, ph);
  }
  snprintf(path, sizeof path, "%s/%s", base, v);
  if (!exists(path)) {
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/structures/make_variants.py %s %s %s", source_dir, ph,
             tmp, v);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    publish(tmp, path);
  }
  return path;
}
