/* cohort_task.c — what a worker process runs: cases of a plan, one JSON line per case.
 * Stream mode (local engine): indices arrive on a pipe, results go back on another, so the parent
 * balances the load case by case. Slice mode (Slurm array task): every index ≡ slice (mod
 * nslices), results appended to the task's result file line by line (a task killed half-way
 * leaves the lines it finished, which the gather job merges). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cohort_internal.h"

static int write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, s, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    s += k, n -= (size_t)k;
  }
  return 0;
}

static int run_one(const cohort_plan *pl, int i, int fd, rert_err *err) {
  cJSON *r = NULL;
  if (cohort_case_run(&pl->params, pl->param_sha256, &pl->cases[i], &r, err)) return RERT_EINTERNAL;
  char *s = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  if (!s) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  size_t n = strlen(s);
  char *line = realloc(s, n + 2);
  if (!line) {
    free(s);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  line[n] = '\n', line[n + 1] = 0;
  int bad = write_all(fd, line, n + 1);
  free(line);
  if (bad) return rert_err_set(err, RERT_EINTERNAL, "cohort task: cannot write a result (%s)", strerror(errno));
  return RERT_OK;
}

int cohort_task_stream(const cohort_plan *pl, int in_fd, int out_fd, rert_err *err) {
  char buf[64];
  size_t len = 0;
  for (;;) {
    ssize_t k = read(in_fd, buf + len, 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return RERT_OK; /* parent closed the pipe: no more work */
    if (buf[len] != '\n') {
      if (++len >= sizeof buf - 1) return rert_err_set(err, RERT_EINTERNAL, "cohort task: bad request");
      continue;
    }
    buf[len] = 0;
    len = 0;
    char *end;
    long i = strtol(buf, &end, 10);
    if (end == buf || i < 0 || i >= pl->n) return rert_err_set(err, RERT_EINTERNAL, "cohort task: bad case index '%s'", buf);
    int rc = run_one(pl, (int)i, out_fd, err);
    if (rc) return rc;
  }
}

int cohort_task_slice(const cohort_plan *pl, int slice, int nslices, const char *out_path,
                      rert_err *err) {
  if (nslices < 1 || slice < 0 || slice >= nslices)
    return rert_err_set(err, RERT_EINPUT, "cohort task: slice %d of %d", slice, nslices);
  /* a requeued task starts its file again */
  int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return rert_err_set(err, RERT_EINPUT, "%s: cannot create the result file (%s)", out_path, strerror(errno));
  int rc = RERT_OK;
  for (int i = slice; i < pl->n && !rc; i += nslices) rc = run_one(pl, i, fd, err);
  if (!rc && fsync(fd)) rc = rert_err_set(err, RERT_EINTERNAL, "%s: %s", out_path, strerror(errno));
  close(fd);
  return rc;
}
