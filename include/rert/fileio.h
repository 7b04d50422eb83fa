/* fileio.h — how rert writes: atomic files, output transactions and output directories.
 *
 * DEVELOPERS.md: bad input never writes partial output and inputs are never modified. This
 * header is the ONE place that rule is implemented; every command with an output uses it:
 *
 *  - Files: every writer goes through atomic_open/atomic_commit (or atomic_write_buffer,
 *    atomic_temp_path + atomic_rename): the data goes to a temporary name beside the target and
 *    is renamed into place, so a failure leaves the old file or nothing, never half a file.
 *  - Several files of one command (warp --out/--lower/--upper, register --out/--warped/--qa):
 *    fileio_txn_begin() ... fileio_txn_commit(). Between the two every atomic write of this
 *    thread is staged under its temporary name; commit renames them all into place, abort (or
 *    any failure) removes them. Computation errors therefore leave no output at all.
 *  - Output directories (--out DIR of accumulate, consult, phantom, demo): fileio_outdir_*.
 *    DIR must be absent, an empty directory, or an earlier rert output (it holds the marker file
 *    RERT_OUTPUT_MARKER that rert writes into every output directory); it must not be, contain
 *    or lie inside any input of the command. The command writes into a fresh staging directory
 *    beside DIR (DIR.tmp-XXXXXX); commit writes the marker and swaps the staging directory with
 *    DIR in one rename (renameat2 RENAME_EXCHANGE), then removes the earlier output, so no file
 *    of an earlier run survives beside the new ones and a failure leaves the earlier output as
 *    it was.
 *  - Output files given by option (warp --out, dvh --curve-out, ...): fileio_check_outputs()
 *    refuses a path that is an input of the command (or inside an input directory), an
 *    existing directory, or the same path given twice.
 * Every refusal is RERT_EINPUT with a message naming the option and the path.
 */
#ifndef RERT_FILEIO_H
#define RERT_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "rert/err.h"

/* ---- atomic files ---- */

typedef struct {
  FILE *f;
  char tmp_path[4096];
  char final_path[4096];
} rert_atomic;

int atomic_open(rert_atomic *a, const char *path, rert_err *err);
/* Flush, fsync, close and rename into place (staged instead inside a transaction). */
int atomic_commit(rert_atomic *a, rert_err *err);
/* Close and remove the temporary file (safe to call after a failed commit). */
void atomic_abort(rert_atomic *a);
int atomic_write_buffer(const char *path, const void *buf, size_t len, rert_err *err);
/* Temporary path next to `path` for writers (e.g. DCMTK) that need a file name, not a FILE*. */
int atomic_temp_path(const char *path, char *tmp, size_t tmpsz, rert_err *err);
/* Rename tmp to path (inside a transaction: record the pair; the rename happens at commit). */
int atomic_rename(const char *tmp, const char *path, rert_err *err);
/* mkdir -p */
int fileio_mkdirs(const char *path, rert_err *err);
/* rm -r without following symbolic links (for rert's own staging directories). */
void fileio_remove_tree(const char *path);

/* ---- output transactions (several files that appear together or not at all) ---- */

/* Start staging this thread's atomic writes. Transactions do not nest. */
int fileio_txn_begin(rert_err *err);
/* Rename every staged file into place, in the order written; ends the transaction. */
int fileio_txn_commit(rert_err *err);
/* Remove every staged temporary file; ends the transaction (no-op without one). */
void fileio_txn_abort(void);

/* ---- output directories ---- */

/* Marker file in every directory rert writes as a whole (first line "rert-output/1"). */
#define RERT_OUTPUT_MARKER ".rert-output"

typedef struct {
  char final[4096]; /* DIR as given (trailing slashes removed) */
  char work[4096];  /* the staging directory beside it, where the command writes */
  int active;
} rert_outdir;

/* RERT_OK when DIR (option name `opt` for messages, e.g. "--out") may receive a command's
 * output: absent, an empty directory or an earlier rert output, and neither an input, nor
 * containing one, nor inside an input directory. `inputs` are the paths (files or directories)
 * the command reads; NULL entries are skipped. RERT_EINPUT otherwise. */
int fileio_outdir_check(const char *dir, const char *opt, const char *const *inputs, int ninputs,
                        rert_err *err);
/* fileio_outdir_check, then create the staging directory o->work (and DIR's missing parents,
 * removed again by abort). */
int fileio_outdir_begin(rert_outdir *o, const char *dir, const char *opt,
                        const char *const *inputs, int ninputs, rert_err *err);
/* Write the marker (`what`: the command line, recorded in it) and put o->work in place of DIR. */
int fileio_outdir_commit(rert_outdir *o, const char *what, rert_err *err);
/* Remove the staging directory (and the parents begin created); DIR is left as it was. */
void fileio_outdir_abort(rert_outdir *o);
/* Write the marker into an existing directory a command filled itself (e.g. `rert demo`, whose
 * patient/ and consult/ are each committed output directories). */
int fileio_outdir_mark(const char *dir, const char *what, rert_err *err);

/* ---- output files ---- */

/* outs[i] is the path given to option names[i] (NULL entries skipped). Refuses a path that
 * resolves to an input (or, for .mhd, whose .raw companion does), lies inside an input
 * directory, is an existing directory, or equals another output. */
int fileio_check_outputs(const char *const *outs, const char *const *names, int nout,
                         const char *const *inputs, int ninputs, rert_err *err);

#endif
