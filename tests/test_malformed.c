/* test_malformed.c — runs the malformed-input corpus (tests/malformed/, README there) through the
 * rert binary: one Criterion test per tests/malformed/variants_<module>.py, discovered at run
 * time, so a new module needs no change here. Each test runs
 *   /usr/bin/python3 tests/malformed/run.py --rert RERT_BIN --work BUILD/malformed --module M
 * which asserts, for every variant, the exit status, the file and tag/JSON path named in the
 * one-line message, no output left, inputs unchanged, and computed values against closed forms.
 * The phantom the variants are made from is built once per rert binary (cached in the work
 * directory). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char module[64];
} malformed_module;

ParameterizedTestParameters(malformed, module) {
  static malformed_module mods[64];
  size_t n = 0;
  DIR *d = opendir(RERT_SOURCE_DIR "/tests/malformed");
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
      size_t L = strlen(e->d_name);
      if (strncmp(e->d_name, "variants_", 9) || L < 13 || strcmp(e->d_name + L - 3, ".py")) continue;
      snprintf(mods[n].module, sizeof mods[n].module, "%.*s", (int)(L - 12), e->d_name + 9);
      n++;
    }
    closedir(d);
  }
  return cr_make_param_array(malformed_module, mods, n);
}

ParameterizedTest(malformed_module *m, malformed, module, .timeout = 1800) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 %s/tests/malformed/run.py --rert %s --work %s/malformed --module %s 2>&1",
           RERT_SOURCE_DIR, RERT_BIN, RERT_BUILD_DIR, m->module);
  FILE *p = popen(cmd, "r");
  cr_assert(p != NULL, "cannot run %s", cmd);
  size_t cap = 1 << 16, len = 0;
  char *out = malloc(cap);
  cr_assert(out != NULL);
  size_t k;
  while ((k = fread(out + len, 1, cap - len - 1, p)) > 0) {
    len += k;
    if (len + 1 >= cap) {
      cap *= 2;
      out = realloc(out, cap);
      cr_assert(out != NULL);
    }
  }
  out[len] = 0;
  int st = pclose(p);
  /* the variants that failed, with their commands' messages */
  cr_expect(st == 0, "malformed corpus, module %s:\n%s", m->module, out);
  cr_expect(strstr(out, " 0 failure(s)") != NULL, "module %s did not finish:\n%s", m->module, out);
  free(out);
}
