/* cohort_local.c — the local engine: a pool of worker processes on this machine.
 *
 * Each worker is the rert binary itself (fork + exec of `rert cohort task PLAN --stream`), so a
 * case that crashes or leaks cannot take the cohort down and each worker has its own address
 * space (the library's OpenMP loops use one thread per worker: OMP_NUM_THREADS=1 unless the user
 * set it). The parent hands out one case index at a time over a pipe (load balancing without any
 * scheduler of our own: the kernel's pipes and poll()), reads one JSON line per case back, and is
 * the registry's only writer. A worker that dies or exceeds --case-timeout-s is killed, its case
 * recorded as failed (kind "crash"/"timeout", retried on the next run) and a new worker started.
 * Worker stderr goes to a log file in the run's work directory, kept only when not empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cohort_internal.h"
#include "rert/fileio.h"

typedef struct {
  pid_t pid;
  int in_fd, out_fd; /* parent's ends: write indices, read results */
  int busy;          /* case index being run, −1 idle */
  double started;
  char *buf;
  size_t len, cap;
  char log[COHORT_PATH_LEN + 32];
} worker;

static int spawn(worker *w, int k, const char *self, const char *plan, const char *work, rert_err *err) {
  int a[2], b[2];
  if (pipe(a)) return rert_err_set(err, RERT_EINTERNAL, "pipe: %s", strerror(errno));
  if (pipe(b)) {
    close(a[0]), close(a[1]);
    return rert_err_set(err, RERT_EINTERNAL, "pipe: %s", strerror(errno));
  }
  snprintf(w->log, sizeof w->log, "%s/worker-%d.log", work, k);
  pid_t pid = fork();
  if (pid < 0) {
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
    return rert_err_set(err, RERT_EINTERNAL, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    dup2(a[0], STDIN_FILENO);
    dup2(b[1], STDOUT_FILENO);
    int lf = open(w->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (lf >= 0) dup2(lf, STDERR_FILENO);
    /* close every other descriptor (other workers' pipes, the registry) */
    for (int fd = 3; fd < 1024; fd++) close(fd);
    if (!getenv("OMP_NUM_THREADS")) setenv("OMP_NUM_THREADS", "1", 1);
    signal(SIGPIPE, SIG_DFL);
    execl(self, self, "cohort", "task", plan, "--stream", (char *)NULL);
    fprintf(stderr, "rert cohort: cannot exec %s: %s\n", self, strerror(errno));
    _exit(127);
  }
  close(a[0]), close(b[1]);
  fcntl(a[1], F_SETFD, FD_CLOEXEC);
  fcntl(b[0], F_SETFD, FD_CLOEXEC);
  w->pid = pid, w->in_fd = a[1], w->out_fd = b[0], w->busy = -1, w->len = 0;
  return RERT_OK;
}

static void reap(worker *w, int kill_it, char *why, size_t n) {
  if (w->in_fd >= 0) close(w->in_fd);
  if (w->out_fd >= 0) close(w->out_fd);
  w->in_fd = w->out_fd = -1;
  if (w->pid > 0) {
    if (kill_it) kill(w->pid, SIGKILL);
    int st = 0;
    while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR) {}
    if (why) {
      if (WIFSIGNALED(st)) snprintf(why, n, "worker killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
      else snprintf(why, n, "worker exited with status %d", WEXITSTATUS(st));
    }
  }
  w->pid = 0;
}

static int send_index(worker *w, int i, double now) {
  char line[32];
  int n = snprintf(line, sizeof line, "%d\n", i);
  if (write(w->in_fd, line, (size_t)n) != n) return -1;
  w->busy = i, w->started = now;
  return 0;
}

static int store(cohort_registry *reg, long long run_id, long long param_id, cJSON *res,
                 cohort_run_summary *s, rert_err *err) {
  cohort_summary_count(s, res);
  int rc = cohort_registry_store_result(reg, run_id, param_id, res, err);
  cJSON_Delete(res);
  return rc;
}

static void remove_if_empty(const char *path) {
  struct stat st;
  if (!stat(path, &st) && st.st_size == 0) unlink(path);
}

int cohort_run_local(const char *manifest, const char *registry, const cohort_params *p,
                     const cohort_engine_opts *o, cohort_run_summary *s, rert_err *err) {
  memset(s, 0, sizeof *s);
  double t0 = cohort_now_s();
  cohort_registry *reg;
  long long param_id;
  cohort_plan pl;
  int rc = cohort_prepare(manifest, registry, p, o, "local", &reg, &param_id, &pl, err);
  if (rc) return rc;
  s->run_id = pl.run_id;
  char work[COHORT_PATH_LEN + 64], plan[COHORT_PATH_LEN + 96];
  rc = cohort_work_dir(registry, o->work_dir, pl.run_id, work, sizeof work, err);
  snprintf(plan, sizeof plan, "%s/plan.json", work);
  if (!rc) rc = cohort_plan_write(plan, &pl, err);
  snprintf(s->work_dir, sizeof s->work_dir, "%s", work);
  int nw = o->jobs > 0 ? o->jobs : 1;
  if (nw > pl.n) nw = pl.n;
  worker *w = calloc(nw > 0 ? (size_t)nw : 1, sizeof *w);
  if (!w && !rc) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN); /* a dead worker must not kill the parent */
  for (int k = 0; k < nw; k++) w[k].in_fd = w[k].out_fd = -1;
  for (int k = 0; k < nw && !rc; k++) rc = spawn(&w[k], k, o->self_exe, plan, work, err);
  cohort_progress prog;
  cohort_progress_start(&prog, pl.n, o->progress);
  int next = 0, done = 0, idle_deaths = 0;
  struct pollfd *pf = calloc(nw > 0 ? (size_t)nw : 1, sizeof *pf);
  if (!pf && !rc) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  while (!rc && done < pl.n) {
    double now = cohort_now_s();
    for (int k = 0; k < nw && !rc; k++) {
      if (w[k].pid <= 0 && next < pl.n) rc = spawn(&w[k], k, o->self_exe, plan, work, err);
      if (!rc && w[k].pid > 0 && w[k].busy < 0 && next < pl.n) {
        if (send_index(&w[k], next, now) == 0) next++;
        else { /* the worker is gone: the EOF below restarts it */ }
      }
    }
    for (int k = 0; k < nw; k++) pf[k] = (struct pollfd){w[k].pid > 0 ? w[k].out_fd : -1, POLLIN, 0};
    int pr = poll(pf, (nfds_t)nw, 200);
    if (pr < 0 && errno != EINTR) rc = rert_err_set(err, RERT_EINTERNAL, "poll: %s", strerror(errno));
    now = cohort_now_s();
    for (int k = 0; k < nw && !rc; k++) {
      worker *x = &w[k];
      if (x->pid <= 0) continue;
      int eof = 0;
      if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (x->cap - x->len < 65536) {
          size_t nc = x->cap ? 2 * x->cap : 262144;
          char *nb = realloc(x->buf, nc);
          if (!nb) { rc = rert_err_set(err, RERT_EINTERNAL, "out of memory"); break; }
          x->buf = nb, x->cap = nc;
        }
        ssize_t got = read(x->out_fd, x->buf + x->len, x->cap - x->len - 1);
        if (got > 0) x->len += (size_t)got;
        else if (got == 0 || errno != EINTR) eof = 1;
      }
      /* complete lines */
      char *nl;
      while (!rc && x->len && (nl = memchr(x->buf, '\n', x->len))) {
        *nl = 0;
        cJSON *res = cJSON_Parse(x->buf);
        size_t used = (size_t)(nl - x->buf) + 1;
        memmove(x->buf, nl + 1, x->len - used);
        x->len -= used;
        if (!res && x->busy >= 0) res = cohort_result_lost(&pl.cases[x->busy], "internal", "worker wrote an unreadable result");
        /* The deadline is the case's, not the poll loop's: a result read after it (the loop wakes
         * every 200 ms) is a timeout too, so the outcome does not depend on the machine's speed. */
        else if (res && x->busy >= 0 && o->case_timeout_s > 0 && now - x->started > o->case_timeout_s) {
          char msg[256];
          snprintf(msg, sizeof msg, "result after --case-timeout-s %g s (%.3g s): recorded as timeout", o->case_timeout_s, now - x->started);
          cJSON_Delete(res);
          res = cohort_result_lost(&pl.cases[x->busy], "timeout", msg);
        }
        if (res) {
          rc = store(reg, pl.run_id, param_id, res, s, err);
          done++;
          idle_deaths = 0;
        }
        x->busy = -1;
      }
      int timeout = x->busy >= 0 && o->case_timeout_s > 0 && now - x->started > o->case_timeout_s;
      if (eof || timeout) {
        char why[128] = "";
        int lost = x->busy;
        reap(x, timeout, why, sizeof why);
        if (lost >= 0 && !rc) {
          char msg[256];
          if (timeout) snprintf(msg, sizeof msg, "no result within --case-timeout-s %g s: worker killed", o->case_timeout_s);
          else snprintf(msg, sizeof msg, "%s while running this case (log: %s)", why, x->log);
          rc = store(reg, pl.run_id, param_id, cohort_result_lost(&pl.cases[lost], timeout ? "timeout" : "crash", msg), s, err);
          done++;
        }
        else if (lost < 0 && ++idle_deaths > 3 * nw && !rc)
          rc = rert_err_set(err, RERT_EINTERNAL, "cohort workers exit before running a case (%s; log: %s)", why, x->log);
        x->busy = -1;
      }
    }
    cohort_progress_update(&prog, done, s->ok, s->failed + s->refused, s->skipped);
  }
  cohort_progress_finish(&prog);
  for (int k = 0; k < nw; k++) {
    reap(&w[k], rc != 0, NULL, 0); /* closing stdin ends an idle worker */
    free(w[k].buf);
    if (w[k].log[0]) remove_if_empty(w[k].log);
  }
  signal(SIGPIPE, old_pipe);
  free(pf);
  free(w);
  int rc2 = cohort_registry_run_end(reg, pl.run_id, s->ok, s->failed + s->refused, s->skipped, rc ? NULL : err);
  if (!rc) rc = rc2;
  cohort_registry_close(reg);
  if (!rc) {
    unlink(plan);
    rmdir(work); /* only when no log was kept */
    char parent[COHORT_PATH_LEN + 64];
    snprintf(parent, sizeof parent, "%s", work);
    char *sl = strrchr(parent, '/');
    if (sl) *sl = 0, rmdir(parent);
  }
  cohort_plan_free(&pl);
  s->seconds = cohort_now_s() - t0;
  return rc;
}
