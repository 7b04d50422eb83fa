/* err.c — filling rert_err messages (see include/rert/err.h). */
#include "rert/err.h"

#include <stdio.h>
#include <string.h>

int rert_err_vset(rert_err *err, int code, const char *fmt, va_list ap) {
  if (err) vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  return code;
}

int rert_err_set(rert_err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rert_err_vset(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int rert_err_prefix(rert_err *err, int code, const char *fmt, ...) {
  if (!err) return code;
  char head[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  /* shift the old message right and put "head: " in front, truncating the tail if needed */
  size_t hl = strlen(head) + 2, cap = sizeof err->msg - 1;
  if (hl > cap) hl = cap;
  size_t ol = strnlen(err->msg, cap);
  if (hl + ol > cap) ol = cap - hl;
  memmove(err->msg + hl, err->msg, ol);
  memcpy(err->msg, head, hl - 2);
  err->msg[hl - 2] = ':';
  err->msg[hl - 1] = ' ';
  err->msg[hl + ol] = 0;
  return code;
}
