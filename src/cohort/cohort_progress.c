/* cohort_progress.c — one-line progress bar of a cohort run, on terminals only (stderr is a
 * tty); redrawn at most 10 times a second; nothing at all otherwise, so logs stay clean. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cohort_internal.h"

double cohort_now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void cohort_progress_start(cohort_progress *p, int total, int enabled) {
  p->enabled = enabled && isatty(STDERR_FILENO);
  p->total = total;
  p->last_len = 0;
  p->t0 = cohort_now_s();
  p->last_draw = 0;
}

void cohort_progress_update(cohort_progress *p, int done, int ok, int failed, int skipped) {
  if (!p->enabled) return;
  double now = cohort_now_s();
  if (done < p->total && now - p->last_draw < 0.1) return;
  p->last_draw = now;
  const int W = 30;
  int fill = p->total > 0 ? (int)((long long)W * done / p->total) : W;
  char bar[W + 1];
  for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
  bar[W] = 0;
  double el = now - p->t0, rate = el > 0 ? (done - skipped) / el : 0;
  double eta = rate > 0 ? (p->total - done) / rate : 0;
  int n = fprintf(stderr, "\r[%s] %d/%d  ok %d  failed %d  skipped %d  %.1f cases/min  ETA %.0f s ", bar, done,
                  p->total, ok, failed, skipped, 60 * rate, eta);
  for (int i = n; i < p->last_len; i++) fputc(' ', stderr);
  p->last_len = n;
  fflush(stderr);
}

void cohort_progress_finish(cohort_progress *p) {
  if (p->enabled && p->last_len) fputc('\n', stderr);
}
