/* report_viewer.c — the data behind report.html's interactive review (slice viewer, DVH panel,
 * what-if panel): a JSON description plus binary voxel arrays, and the viewer's own JavaScript
 * and CSS (the .js and .css files of src/report/viewer, turned into C strings at build time by
 * cmake/deps_report.cmake so the page needs no file beside it and no network).
 *
 * Arrays are byte-shuffled (all first bytes, then all second bytes, ...) before zlib: the high
 * bytes of smooth float32 doses and of CT numbers are nearly constant, so shuffling halves the
 * compressed size (the clinical phantom's 2 × 8 MB dose grids become ≈ 1.6 MB each). The page
 * inflates them with the browser's built-in DecompressionStream("deflate"); no library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rert/report.h"

void report_viewer_set(rert_report *r, cJSON *meta) {
  cJSON_Delete(r->viewer);
  r->viewer = meta;
}

int report_viewer_add_blob(rert_report *r, const char *id, const void *data, size_t len,
                           int elem_size, rert_err *err) {
  if (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8)
    return rert_err_set(err, RERT_EINTERNAL, "viewer blob %s: element size %d", id, elem_size);
  if (len % (size_t)elem_size)
    return rert_err_set(err, RERT_EINTERNAL, "viewer blob %s: %zu bytes is not a multiple of %d", id, len,
                        elem_size);
  const unsigned char *p = data;
  unsigned char *sh = malloc(len ? len : 1);
  uLongf zcap = compressBound((uLong)len);
  unsigned char *z = malloc(zcap ? zcap : 1);
  report_blob *nb = realloc(r->blobs, (size_t)(r->nblobs + 1) * sizeof *nb);
  if (!sh || !z || !nb) {
    free(sh);
    free(z);
    if (nb) r->blobs = nb;
    return rert_err_set(err, RERT_EINTERNAL, "viewer blob %s: out of memory (%zu bytes)", id, len);
  }
  r->blobs = nb;
  size_t n = len / (size_t)elem_size;
  for (int b = 0; b < elem_size; b++)
    for (size_t i = 0; i < n; i++) sh[(size_t)b * n + i] = p[i * (size_t)elem_size + (size_t)b];
  int zrc = compress2(z, &zcap, sh, (uLong)len, 6);
  free(sh);
  if (zrc != Z_OK) {
    free(z);
    return rert_err_set(err, RERT_EINTERNAL, "viewer blob %s: zlib error %d", id, zrc);
  }
  report_blob *b = &r->blobs[r->nblobs++];
  memset(b, 0, sizeof *b);
  snprintf(b->id, sizeof b->id, "%s", id);
  b->z = z;
  b->zlen = zcap;
  b->len = len;
  b->elem_size = elem_size;
  return RERT_OK;
}
