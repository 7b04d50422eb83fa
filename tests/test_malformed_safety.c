/* test_malformed_safety.c — corrupted copies of the phantom through the rert binary (issue 12
 * items 5–7): tests/malformed/safety_sizes.py (declared sizes vs the file, before allocation),
 * safety_fields.py (vector fields and registrations), safety_outputs.py (--out rules, output
 * files, ids). Each variant asserts the exit status, the file and tag / JSON path in the one-line
 * message, no output left and inputs unchanged (SHA-256 before and after); see
 * tests/malformed/safety_lib.py. The expectations come from what pydicom / the MetaImage text /
 * the case file show is wrong, not from rert's output. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static void run_module(const char *module) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/malformed/safety_run.py %s %s 2>&1",
           RERT_SOURCE_DIR, RERT_BIN, module);
  FILE *p = popen(cmd, "r");
  cr_assert(p, "cannot run %s", cmd);
  char line[4096];
  while (fgets(line, sizeof line, p)) fputs(line, stderr);
  int st = pclose(p);
  cr_assert_eq(st, 0, "%s: some variants failed (see above)", module);
}

TestSuite(malformed_safety, .timeout = 3000);

Test(malformed_safety, sizes_before_allocation) { run_module("safety_sizes"); }
Test(malformed_safety, vector_fields_and_registrations) { run_module("safety_fields"); }
Test(malformed_safety, outputs_and_identifiers) { run_module("safety_outputs"); }
