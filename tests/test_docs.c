/* The README command table, docs/cli.md and docs/rert.1 must equal what the command tables
 * generate (rert help --markdown / --man); run scripts/update-docs.sh after changing a command. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"
#include "support/run.h"

static char *file(const char *rel) {
  char path[1024], *buf = NULL;
  snprintf(path, sizeof path, "%s/%s", RERT_SOURCE_DIR, rel);
  rert_err e;
  cr_assert_eq(file_read_all(path, &buf, NULL, &e), 0, "%s", e.msg);
  return buf;
}

Test(docs, cli_md_current) {
  char *gen = NULL, *doc = file("docs/cli.md");
  cr_assert_eq(run_rert("help --markdown", &gen, NULL), 0);
  cr_assert_str_eq(doc, gen, "docs/cli.md is stale: run scripts/update-docs.sh");
  free(gen);
  free(doc);
}

Test(docs, man_current) {
  char *gen = NULL, *doc = file("docs/rert.1");
  cr_assert_eq(run_rert("help --man", &gen, NULL), 0);
  cr_assert_str_eq(doc, gen, "docs/rert.1 is stale: run scripts/update-docs.sh");
  free(gen);
  free(doc);
}

Test(docs, readme_table_current) {
  char *gen = NULL, *readme = file("README.md");
  cr_assert_eq(run_rert("help --markdown", &gen, NULL), 0);
  char *end = strstr(gen, "\n### ");
  cr_assert_not_null(end);
  *end = 0;
  cr_assert(strstr(readme, gen), "README command table is stale: run scripts/update-docs.sh");
  free(gen);
  free(readme);
}
