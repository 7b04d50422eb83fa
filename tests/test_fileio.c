/* test_fileio.c — rert/fileio.h: output transactions, output directories and the output-vs-input
 * checks. Expected states are the file system's (stat, readdir, file contents), written out by
 * hand per case; the commands that use these functions are tested through the binary in
 * tests/malformed/safety_outputs.py. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rert/fileio.h"

static char root[256];

static void setup(void) {
  snprintf(root, sizeof root, "/tmp/rert_fileio_%d", (int)getpid());
  fileio_remove_tree(root);
  cr_assert(mkdir(root, 0777) == 0);
}
static void teardown(void) { fileio_remove_tree(root); }
TestSuite(fileio, .init = setup, .fini = teardown);

static const char *P(const char *rel) {
  static char buf[64][512];
  static int k;
  k = (k + 1) % 64;
  snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
  return buf[k];
}
static int exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}
static void put(const char *p, const char *text) {
  FILE *f = fopen(p, "w");
  cr_assert(f);
  fputs(text, f);
  fclose(f);
}
static char *get(const char *p) {
  static char b[256];
  b[0] = 0;
  FILE *f = fopen(p, "r");
  if (!f) return b;
  size_t n = fread(b, 1, sizeof b - 1, f);
  b[n] = 0;
  fclose(f);
  return b;
}
/* entries of a directory other than . and .. */
static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

Test(fileio, transaction_commit_puts_all_files_in_place) {
  rert_err e;
  cr_assert_eq(fileio_txn_begin(&e), RERT_OK);
  cr_assert_eq(atomic_write_buffer(P("a.txt"), "A", 1, &e), RERT_OK);
  cr_assert_eq(atomic_write_buffer(P("b.txt"), "B", 1, &e), RERT_OK);
  /* staged: nothing under the final names yet, only the two temporaries */
  cr_assert(!exists(P("a.txt")) && !exists(P("b.txt")));
  cr_assert_eq(count_entries(root), 2);
  cr_assert_eq(fileio_txn_commit(&e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(get(P("a.txt")), "A");
  cr_assert_str_eq(get(P("b.txt")), "B");
  cr_assert_eq(count_entries(root), 2);
}

Test(fileio, transaction_abort_leaves_nothing_and_keeps_old_file) {
  rert_err e;
  put(P("a.txt"), "old");
  cr_assert_eq(fileio_txn_begin(&e), RERT_OK);
  cr_assert_eq(atomic_write_buffer(P("a.txt"), "new", 3, &e), RERT_OK);
  cr_assert_eq(atomic_write_buffer(P("b.txt"), "B", 1, &e), RERT_OK);
  fileio_txn_abort();
  cr_assert_str_eq(get(P("a.txt")), "old");
  cr_assert(!exists(P("b.txt")));
  cr_assert_eq(count_entries(root), 1);
  /* after the transaction, writes are immediate again */
  cr_assert_eq(atomic_write_buffer(P("c.txt"), "C", 1, &e), RERT_OK);
  cr_assert_str_eq(get(P("c.txt")), "C");
}

Test(fileio, outdir_new_directory_is_staged_then_moved) {
  rert_err e;
  rert_outdir o;
  cr_assert_eq(fileio_outdir_begin(&o, P("out/sub"), "--out", NULL, 0, &e), RERT_OK, "%s", e.msg);
  cr_assert(!exists(P("out/sub")), "DIR appears only at commit");
  char f[4200];
  snprintf(f, sizeof f, "%s/map.dcm", o.work);
  put(f, "map");
  cr_assert_eq(fileio_outdir_commit(&o, "rert test --out out/sub", &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(get(P("out/sub/map.dcm")), "map");
  cr_assert_str_eq(get(P("out/sub/.rert-output")), "rert-output/1\nrert test --out out/sub\n");
  cr_assert_eq(count_entries(P("out")), 1, "no staging directory left");
}

Test(fileio, outdir_abort_removes_staging_and_created_parents) {
  rert_err e;
  rert_outdir o;
  cr_assert_eq(fileio_outdir_begin(&o, P("new/deeper/out"), "--out", NULL, 0, &e), RERT_OK);
  cr_assert(exists(P("new/deeper")));
  fileio_outdir_abort(&o);
  cr_assert(!exists(P("new")), "parents created by begin are removed again");
  cr_assert_eq(count_entries(root), 0);
}

Test(fileio, outdir_replaces_earlier_output_without_stale_files) {
  rert_err e;
  mkdir(P("out"), 0777);
  put(P("out/.rert-output"), "rert-output/1\nearlier\n");
  put(P("out/stale.dcm"), "stale");
  rert_outdir o;
  cr_assert_eq(fileio_outdir_begin(&o, P("out"), "--out", NULL, 0, &e), RERT_OK, "%s", e.msg);
  char f[4200];
  snprintf(f, sizeof f, "%s/new.dcm", o.work);
  put(f, "new");
  cr_assert_str_eq(get(P("out/stale.dcm")), "stale", "the earlier output stays until commit");
  cr_assert_eq(fileio_outdir_commit(&o, "second run", &e), RERT_OK, "%s", e.msg);
  cr_assert(!exists(P("out/stale.dcm")));
  cr_assert_str_eq(get(P("out/new.dcm")), "new");
  cr_assert_eq(count_entries(root), 1, "neither the staging nor the old directory is left");
}

Test(fileio, outdir_abort_keeps_earlier_output) {
  rert_err e;
  mkdir(P("out"), 0777);
  put(P("out/.rert-output"), "rert-output/1\nearlier\n");
  put(P("out/map.dcm"), "earlier");
  rert_outdir o;
  cr_assert_eq(fileio_outdir_begin(&o, P("out"), "--out", NULL, 0, &e), RERT_OK);
  fileio_outdir_abort(&o);
  cr_assert_str_eq(get(P("out/map.dcm")), "earlier");
  cr_assert_eq(count_entries(root), 1);
}

Test(fileio, outdir_refuses_foreign_file_symlink_and_inputs) {
  rert_err e;
  rert_outdir o;
  mkdir(P("foreign"), 0777);
  put(P("foreign/notes.txt"), "mine");
  cr_assert_eq(fileio_outdir_begin(&o, P("foreign"), "--out", NULL, 0, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "not an earlier rert output"), "%s", e.msg);
  put(P("file"), "");
  cr_assert_eq(fileio_outdir_check(P("file"), "--out", NULL, 0, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "not a directory"), "%s", e.msg);
  mkdir(P("target"), 0777);
  cr_assert(symlink(P("target"), P("link")) == 0);
  cr_assert_eq(fileio_outdir_check(P("link"), "--out", NULL, 0, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "symbolic link"), "%s", e.msg);
  /* inputs: the case directory holds case.json; the CT folder is an input directory */
  mkdir(P("case"), 0777);
  mkdir(P("case/CT"), 0777);
  put(P("case/case.json"), "{}");
  const char *in[] = {P("case/case.json"), P("case/CT")};
  cr_assert_eq(fileio_outdir_check(P("case"), "--out", in, 2, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "contains the input"), "%s", e.msg);
  cr_assert_eq(fileio_outdir_check(P("case/CT/out"), "--out", in, 2, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "inside the input directory"), "%s", e.msg);
  /* the same, spelled with .. and . through a directory that does not exist yet */
  cr_assert_eq(fileio_outdir_check(P("case/new/../CT/./x"), "--out", in, 2, &e), RERT_EINPUT);
  /* beside the case file is fine */
  cr_assert_eq(fileio_outdir_check(P("case/acc"), "--out", in, 2, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(count_entries(root), 5, "checks create nothing");
}

Test(fileio, output_files_not_inputs_not_twice) {
  rert_err e;
  put(P("field.mha"), "f");
  mkdir(P("ct"), 0777);
  const char *in[] = {P("field.mha"), P("ct")};
  const char *names[] = {"--out", "--lower"};
  const char *same[] = {P("field.mha"), NULL};
  cr_assert_eq(fileio_check_outputs(same, names, 2, in, 2, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "--out") && strstr(e.msg, "is an input"), "%s", e.msg);
  const char *inside[] = {P("ct/w.mha"), NULL};
  cr_assert_eq(fileio_check_outputs(inside, names, 2, in, 2, &e), RERT_EINPUT);
  const char *twice[] = {P("w.mha"), P("./w.mha")};
  cr_assert_eq(fileio_check_outputs(twice, names, 2, in, 2, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "--lower") && strstr(e.msg, "also given to --out"), "%s", e.msg);
  /* a .mhd writes its voxels to the .raw beside it */
  put(P("img.raw"), "r");
  const char *in2[] = {P("img.raw")};
  const char *mhd[] = {P("img.mhd"), NULL};
  cr_assert_eq(fileio_check_outputs(mhd, names, 2, in2, 1, &e), RERT_EINPUT);
  const char *ok[] = {P("w.mha"), P("l.mha")};
  cr_assert_eq(fileio_check_outputs(ok, names, 2, in, 2, &e), RERT_OK, "%s", e.msg);
}
