/* fileio.c — atomic files, output transactions and output directories (rert/fileio.h).
 *
 * Invariants: a temporary file or staging directory always lives beside its target (same
 * directory, so the final rename is atomic on one file system); nothing outside rert's own
 * staging names is ever removed, except an earlier rert output directory (it carries the
 * marker) that is being replaced. */
#define _GNU_SOURCE /* renameat2 (RENAME_EXCHANGE), nftw */
#include "rert/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* ---- output transactions: this thread's staged renames ---- */

typedef struct {
  char *tmp, *final;
} staged_file;

static _Thread_local struct {
  int active, n, cap;
  staged_file *v;
} txn;

static void txn_clear(void) {
  for (int i = 0; i < txn.n; i++) free(txn.v[i].tmp), free(txn.v[i].final);
  free(txn.v);
  memset(&txn, 0, sizeof txn);
}

int fileio_txn_begin(rert_err *err) {
  if (txn.active) return rert_err_set(err, RERT_EINTERNAL, "output transaction already open");
  txn_clear();
  txn.active = 1;
  return RERT_OK;
}

int fileio_txn_commit(rert_err *err) {
  int rc = RERT_OK;
  for (int i = 0; i < txn.n; i++) {
    if (rc) {
      unlink(txn.v[i].tmp);
      continue;
    }
    if (rename(txn.v[i].tmp, txn.v[i].final) != 0) {
      rc = rert_err_set(err, RERT_EINTERNAL, "%s: cannot rename into place (%s)", txn.v[i].final,
                        strerror(errno));
      unlink(txn.v[i].tmp);
    }
  }
  txn_clear();
  return rc;
}

void fileio_txn_abort(void) {
  for (int i = 0; i < txn.n; i++) unlink(txn.v[i].tmp);
  txn_clear();
}

static int txn_stage(const char *tmp, const char *path, rert_err *err) {
  if (txn.n == txn.cap) {
    int cap = txn.cap ? 2 * txn.cap : 8;
    staged_file *v = realloc(txn.v, (size_t)cap * sizeof *v);
    if (!v) {
      unlink(tmp);
      return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
    }
    txn.v = v, txn.cap = cap;
  }
  char *a = strdup(tmp), *b = strdup(path);
  if (!a || !b) {
    free(a), free(b);
    unlink(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
  }
  txn.v[txn.n].tmp = a, txn.v[txn.n].final = b;
  txn.n++;
  return RERT_OK;
}

/* ---- atomic files ---- */

int atomic_temp_path(const char *path, char *tmp, size_t tmpsz, rert_err *err) {
  int n = snprintf(tmp, tmpsz, "%s.tmp.XXXXXX", path);
  if (n < 0 || (size_t)n >= tmpsz)
    return rert_err_set(err, RERT_EINPUT, "%s: path too long", path);
  int fd = mkstemp(tmp);
  if (fd < 0)
    return rert_err_set(err, RERT_EINPUT, "%s: cannot create temporary file (%s)", path,
                        strerror(errno));
  /* mkstemp creates 0600; the final file should get the usual 0666 & ~umask like any output */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  close(fd);
  return RERT_OK;
}

int atomic_rename(const char *tmp, const char *path, rert_err *err) {
  if (txn.active) return txn_stage(tmp, path, err);
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: cannot rename into place (%s)", path,
                        strerror(e));
  }
  return RERT_OK;
}

int atomic_open(rert_atomic *a, const char *path, rert_err *err) {
  memset(a, 0, sizeof *a);
  if (strlen(path) >= sizeof a->final_path)
    return rert_err_set(err, RERT_EINPUT, "%s: path too long", path);
  strcpy(a->final_path, path);
  int rc = atomic_temp_path(path, a->tmp_path, sizeof a->tmp_path, err);
  if (rc) return rc;
  a->f = fopen(a->tmp_path, "wb");
  if (!a->f) {
    unlink(a->tmp_path);
    return rert_err_set(err, RERT_EINPUT, "%s: cannot open for writing (%s)", path,
                        strerror(errno));
  }
  return RERT_OK;
}

int atomic_commit(rert_atomic *a, rert_err *err) {
  if (!a->f) return rert_err_set(err, RERT_EINTERNAL, "%s: not open", a->final_path);
  int bad = fflush(a->f) != 0 || ferror(a->f);
  if (!bad) fsync(fileno(a->f));
  bad |= fclose(a->f) != 0;
  a->f = NULL;
  if (bad) {
    unlink(a->tmp_path);
    return rert_err_set(err, RERT_EINTERNAL, "%s: write failed", a->final_path);
  }
  return atomic_rename(a->tmp_path, a->final_path, err);
}

void atomic_abort(rert_atomic *a) {
  if (a->f) fclose(a->f);
  a->f = NULL;
  if (a->tmp_path[0]) unlink(a->tmp_path);
}

int atomic_write_buffer(const char *path, const void *buf, size_t len, rert_err *err) {
  rert_atomic a;
  int rc = atomic_open(&a, path, err);
  if (rc) return rc;
  if (len && fwrite(buf, 1, len, a.f) != len) {
    atomic_abort(&a);
    return rert_err_set(err, RERT_EINTERNAL, "%s: write failed", path);
  }
  return atomic_commit(&a, err);
}

int fileio_mkdirs(const char *path, rert_err *err) {
  char p[4096];
  if (strlen(path) >= sizeof p) return rert_err_set(err, RERT_EINPUT, "%s: path too long", path);
  strcpy(p, path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
      return rert_err_set(err, RERT_EINPUT, "%s: cannot create directory (%s)", p, strerror(errno));
    *s = '/';
  }
  if (mkdir(p, 0777) != 0 && errno != EEXIST)
    return rert_err_set(err, RERT_EINPUT, "%s: cannot create directory (%s)", p, strerror(errno));
  return RERT_OK;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

void fileio_remove_tree(const char *path) {
  if (path && *path) nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- path resolution (for the input/output checks) ---- */

/* Absolute, symlink-free path of p even when its tail does not exist yet: the longest existing
 * prefix goes through realpath, the rest is normalised lexically ("." dropped, ".." pops). */
static int resolve_path(const char *p, char *out, size_t n) {
  char abs[PATH_MAX], cwd[PATH_MAX], pre[PATH_MAX], res[PATH_MAX];
  if (!p || !*p) return -1;
  if (p[0] == '/') {
    if (strlen(p) >= sizeof abs) return -1;
    strcpy(abs, p);
  } else {
    if (!getcwd(cwd, sizeof cwd)) return -1;
    if ((size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, p) >= sizeof abs) return -1;
  }
  char *tok[PATH_MAX / 2];
  int nt = 0;
  for (char *t = strtok(abs, "/"); t && nt < (int)(sizeof tok / sizeof *tok); t = strtok(NULL, "/"))
    tok[nt++] = t;
  int k;
  for (k = nt; k >= 0; k--) {
    size_t L = 0;
    pre[0] = 0;
    for (int i = 0; i < k; i++) L += (size_t)snprintf(pre + L, sizeof pre - L, "/%s", tok[i]);
    if (!k) strcpy(pre, "/");
    if (L < sizeof pre && realpath(pre, res)) break;
  }
  if (k < 0) return -1;
  for (int i = k; i < nt; i++) {
    if (!strcmp(tok[i], ".")) continue;
    if (!strcmp(tok[i], "..")) {
      char *s = strrchr(res, '/');
      if (s && s != res) *s = 0;
      else strcpy(res, "/");
      continue;
    }
    size_t L = strlen(res);
    if (L + strlen(tok[i]) + 2 >= sizeof res) return -1;
    if (!(L == 1 && res[0] == '/')) res[L++] = '/';
    strcpy(res + L, tok[i]);
  }
  if (strlen(res) >= n) return -1;
  strcpy(out, res);
  return 0;
}

/* 1 if `inner` is `outer` or lies below it (both resolved) */
static int path_within(const char *outer, const char *inner) {
  size_t n = strlen(outer);
  if (n == 1 && outer[0] == '/') return 1;
  return strncmp(outer, inner, n) == 0 && (inner[n] == 0 || inner[n] == '/');
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* RERT_EINPUT when the output path `out` (option `opt`) is, contains or lies inside an input. */
static int check_against_inputs(const char *out, const char *opt, int out_is_dir,
                                const char *const *inputs, int ninputs, rert_err *err) {
  char ro[PATH_MAX], ri[PATH_MAX];
  if (resolve_path(out, ro, sizeof ro))
    return rert_err_set(err, RERT_EINPUT, "%s %s: cannot resolve the path", opt, out);
  for (int i = 0; i < ninputs; i++) {
    if (!inputs[i] || !*inputs[i]) continue;
    if (resolve_path(inputs[i], ri, sizeof ri)) continue;
    if (!strcmp(ro, ri))
      return rert_err_set(err, RERT_EINPUT, "%s %s: is an input of this command (%s); rert never "
                          "writes over its inputs", opt, out, inputs[i]);
    if (out_is_dir && path_within(ro, ri))
      return rert_err_set(err, RERT_EINPUT, "%s %s: contains the input %s; choose a directory "
                          "outside the inputs", opt, out, inputs[i]);
    if (path_within(ri, ro) && is_dir(ri))
      return rert_err_set(err, RERT_EINPUT, "%s %s: lies inside the input directory %s; choose a "
                          "path outside the inputs", opt, out, inputs[i]);
  }
  return RERT_OK;
}

/* ---- output directories ---- */

static int marker_ok(const char *dir) {
  char p[4200], line[32] = "";
  snprintf(p, sizeof p, "%s/%s", dir, RERT_OUTPUT_MARKER);
  struct stat st;
  if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  int ok = fgets(line, sizeof line, f) && !strncmp(line, "rert-output/1", 13);
  fclose(f);
  return ok;
}

/* 0 absent, 1 empty directory, 2 earlier rert output; RERT_EINPUT otherwise (err filled) */
static int outdir_state(const char *dir, const char *opt, int *state, rert_err *err) {
  struct stat st;
  if (lstat(dir, &st) != 0) {
    if (errno == ENOENT) {
      *state = 0;
      return RERT_OK;
    }
    return rert_err_set(err, RERT_EINPUT, "%s %s: cannot examine (%s)", opt, dir, strerror(errno));
  }
  if (S_ISLNK(st.st_mode))
    return rert_err_set(err, RERT_EINPUT, "%s %s: is a symbolic link; give the directory itself",
                        opt, dir);
  if (!S_ISDIR(st.st_mode))
    return rert_err_set(err, RERT_EINPUT, "%s %s: exists and is not a directory", opt, dir);
  DIR *d = opendir(dir);
  if (!d) return rert_err_set(err, RERT_EINPUT, "%s %s: cannot list (%s)", opt, dir, strerror(errno));
  int empty = 1;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  if (empty) {
    *state = 1;
    return RERT_OK;
  }
  if (marker_ok(dir)) {
    *state = 2;
    return RERT_OK;
  }
  return rert_err_set(err, RERT_EINPUT, "%s %s: exists, is not empty and is not an earlier rert "
                      "output (no %s marker); choose a new or empty directory", opt, dir,
                      RERT_OUTPUT_MARKER);
}

/* parent directories created for the output are removed again by abort (if still empty) */
static _Thread_local char created_parents[8][4096];
static _Thread_local int ncreated_parents;

static int make_parents(const char *dir, rert_err *err) {
  char p[4096];
  snprintf(p, sizeof p, "%s", dir);
  char *s = strrchr(p, '/');
  if (!s || s == p) return RERT_OK;
  *s = 0;
  if (is_dir(p)) return RERT_OK;
  /* record the missing ancestors, outermost last */
  char q[4096];
  snprintf(q, sizeof q, "%s", p);
  ncreated_parents = 0;
  for (;;) {
    struct stat st;
    if (stat(q, &st) == 0) break;
    if (ncreated_parents < 8) snprintf(created_parents[ncreated_parents++], 4096, "%s", q);
    char *t = strrchr(q, '/');
    if (!t || t == q) break;
    *t = 0;
  }
  return fileio_mkdirs(p, err);
}

static void remove_created_parents(void) {
  for (int i = 0; i < ncreated_parents; i++) rmdir(created_parents[i]);
  ncreated_parents = 0;
}

static int outdir_prepare(rert_outdir *o, const char *dir, const char *opt,
                          const char *const *inputs, int ninputs, rert_err *err) {
  memset(o, 0, sizeof *o);
  ncreated_parents = 0;
  if (!opt) opt = "--out";
  if (!dir || !*dir) return rert_err_set(err, RERT_EINPUT, "%s: missing directory", opt);
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  if (n + 32 >= sizeof o->final) return rert_err_set(err, RERT_EINPUT, "%s %s: path too long", opt, dir);
  memcpy(o->final, dir, n);
  o->final[n] = 0;
  const char *base = strrchr(o->final, '/');
  base = base ? base + 1 : o->final;
  if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(o->final, "/"))
    return rert_err_set(err, RERT_EINPUT, "%s %s: give a directory name, not '.', '..' or '/'", opt, dir);
  /* inputs first: "--out CASE_DIR" is refused as an input, whatever else it holds */
  int rc = check_against_inputs(o->final, opt, 1, inputs, ninputs, err);
  if (rc) return rc;
  int state = 0;
  return outdir_state(o->final, opt, &state, err);
}

int fileio_outdir_check(const char *dir, const char *opt, const char *const *inputs, int ninputs,
                        rert_err *err) {
  rert_outdir o;
  return outdir_prepare(&o, dir, opt, inputs, ninputs, err);
}

int fileio_outdir_begin(rert_outdir *o, const char *dir, const char *opt,
                        const char *const *inputs, int ninputs, rert_err *err) {
  int rc = outdir_prepare(o, dir, opt, inputs, ninputs, err);
  if (rc) return rc;
  if ((rc = make_parents(o->final, err))) {
    remove_created_parents();
    return rc;
  }
  snprintf(o->work, sizeof o->work, "%s.tmp-XXXXXX", o->final);
  if (!mkdtemp(o->work)) {
    remove_created_parents();
    return rert_err_set(err, RERT_EINPUT, "%s: cannot create a directory beside it (%s)", o->final,
                        strerror(errno));
  }
  mode_t um = umask(0);
  umask(um);
  chmod(o->work, 0777 & ~um); /* mkdtemp makes 0700 */
  o->active = 1;
  return RERT_OK;
}

static int write_marker(const char *dir, const char *what, rert_err *err) {
  char p[4200];
  snprintf(p, sizeof p, "%s/%s", dir, RERT_OUTPUT_MARKER);
  FILE *f = fopen(p, "w");
  if (!f) return rert_err_set(err, RERT_EINTERNAL, "%s: cannot write (%s)", p, strerror(errno));
  /* the command line goes on one line whatever it holds */
  fputs("rert-output/1\n", f);
  for (const char *s = what ? what : ""; *s; s++) fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
  fputc('\n', f);
  if (fclose(f) != 0) return rert_err_set(err, RERT_EINTERNAL, "%s: write failed", p);
  return RERT_OK;
}

int fileio_outdir_commit(rert_outdir *o, const char *what, rert_err *err) {
  if (!o->active) return rert_err_set(err, RERT_EINTERNAL, "%s: output directory not open", o->final);
  int rc = write_marker(o->work, what, err);
  if (rc) {
    fileio_outdir_abort(o);
    return rc;
  }
  struct stat st;
  if (lstat(o->final, &st) == 0 && S_ISDIR(st.st_mode) && marker_ok(o->final)) {
    /* one atomic swap; the staging name then holds the earlier output, removed below */
    if (syscall(SYS_renameat2, AT_FDCWD, o->work, AT_FDCWD, o->final, RENAME_EXCHANGE) != 0) {
      /* file systems without RENAME_EXCHANGE: aside, in, remove */
      char old[4200];
      snprintf(old, sizeof old, "%s.old-XXXXXX", o->final);
      if (!mkdtemp(old) || rename(o->final, old) != 0 || rename(o->work, o->final) != 0) {
        int e = errno;
        if (!is_dir(o->final) && is_dir(old)) rename(old, o->final);
        rmdir(old);
        rc = rert_err_set(err, RERT_EINTERNAL, "%s: cannot replace the earlier output (%s)",
                          o->final, strerror(e));
        fileio_outdir_abort(o);
        return rc;
      }
      fileio_remove_tree(old);
    } else {
      fileio_remove_tree(o->work);
    }
  } else if (rename(o->work, o->final) != 0) {
    rc = rert_err_set(err, RERT_EINTERNAL, "%s: cannot move the output into place (%s)", o->final,
                      strerror(errno));
    fileio_outdir_abort(o);
    return rc;
  }
  o->active = 0;
  ncreated_parents = 0;
  return RERT_OK;
}

void fileio_outdir_abort(rert_outdir *o) {
  if (!o || !o->active) return;
  fileio_remove_tree(o->work);
  remove_created_parents();
  o->active = 0;
}

int fileio_outdir_mark(const char *dir, const char *what, rert_err *err) {
  return write_marker(dir, what, err);
}

/* ---- output files ---- */

int fileio_check_outputs(const char *const *outs, const char *const *names, int nout,
                         const char *const *inputs, int ninputs, rert_err *err) {
  char ra[PATH_MAX], rb[PATH_MAX];
  for (int i = 0; i < nout; i++) {
    const char *p = outs[i], *opt = names && names[i] ? names[i] : "--out";
    if (!p) continue;
    if (!*p) return rert_err_set(err, RERT_EINPUT, "%s: empty path", opt);
    if (is_dir(p)) return rert_err_set(err, RERT_EINPUT, "%s %s: is a directory; give a file name", opt, p);
    int rc = check_against_inputs(p, opt, 0, inputs, ninputs, err);
    if (rc) return rc;
    /* a .mhd header writes its voxels to the .raw file beside it */
    size_t n = strlen(p);
    if (n > 4 && !strcasecmp(p + n - 4, ".mhd")) {
      char raw[4200];
      snprintf(raw, sizeof raw, "%.*s.raw", (int)(n - 4), p);
      if ((rc = check_against_inputs(raw, opt, 0, inputs, ninputs, err))) return rc;
    }
    if (resolve_path(p, ra, sizeof ra)) return rert_err_set(err, RERT_EINPUT, "%s %s: cannot resolve the path", opt, p);
    for (int j = 0; j < i; j++) {
      if (!outs[j] || resolve_path(outs[j], rb, sizeof rb)) continue;
      if (!strcmp(ra, rb))
        return rert_err_set(err, RERT_EINPUT, "%s %s: the same file is also given to %s", opt, p,
                            names && names[j] ? names[j] : "--out");
    }
  }
  return RERT_OK;
}
