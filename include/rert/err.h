/* err.h — status codes and the error message every rert function fills on failure.
 *
 * Convention (DEVELOPERS.md): functions return an int status and, on failure, write one
 * human-readable line into rert_err naming the file, tag or field at fault. The CLI prints that
 * line prefixed with "rert: " and exits with the status, so the codes double as exit codes.
 */
#ifndef RERT_ERR_H
#define RERT_ERR_H

#include <stdarg.h>

enum {
  RERT_OK = 0,
  RERT_EVERDICT = 1,  /* a constraint or clinical verdict failed (CLI exit 1) */
  RERT_EINPUT = 2,    /* bad input: file, field, option, unit, date, interlock (CLI exit 2) */
  RERT_EINTERNAL = 3, /* out of memory, I/O failure while writing, a bug (CLI exit 3) */
  /* A verdict could not be established: a mandatory constraint or check was not evaluated
   * (structure missing, outside the dose grid, registration QA failed, ...). Never PASS.
   * Precedence in a verdict: any mandatory FAIL -> RERT_EVERDICT; else anything mandatory not
   * evaluated -> RERT_EINCOMPLETE; else RERT_OK. (CLI exit 4) */
  RERT_EINCOMPLETE = 4
};

typedef struct {
  char msg[1024];
} rert_err;

/* Fill err (may be NULL) with a printf-style message and return code. */
int rert_err_set(rert_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int rert_err_vset(rert_err *err, int code, const char *fmt, va_list ap);
/* Prefix an existing message with "context: " (e.g. a file name), keeping the code. */
int rert_err_prefix(rert_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
