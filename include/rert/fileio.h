/* fileio.h — atomic output: write to a temporary file beside the target, then rename.
 *
 * DEVELOPERS.md: bad input never writes partial output and inputs are never modified. Every
 * writer in rert goes through atomic_open/atomic_commit (or atomic_write_buffer) so that a
 * failure leaves either the old file or nothing, never half a file.
 */
#ifndef RERT_FILEIO_H
#define RERT_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "rert/err.h"

typedef struct {
  FILE *f;
  char tmp_path[4096];
  char final_path[4096];
} rert_atomic;

int atomic_open(rert_atomic *a, const char *path, rert_err *err);
/* Flush, fsync, close and rename into place. */
int atomic_commit(rert_atomic *a, rert_err *err);
/* Close and remove the temporary file (safe to call after a failed commit). */
void atomic_abort(rert_atomic *a);
int atomic_write_buffer(const char *path, const void *buf, size_t len, rert_err *err);
/* Temporary path next to `path` for writers (e.g. DCMTK) that need a file name, not a FILE*. */
int atomic_temp_path(const char *path, char *tmp, size_t tmpsz, rert_err *err);
int atomic_rename(const char *tmp, const char *path, rert_err *err);
/* mkdir -p */
int fileio_mkdirs(const char *path, rert_err *err);

#endif
