/* fileio.c — temp-file-then-rename writes (rert/fileio.h). */
#include "rert/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
