/* uid.c — DICOM UIDs for written objects: random (fresh objects) and key-derived (the
 * deterministic phantom). Both use the "2.25." root for UUID-derived UIDs (PS3.5 B.2), so no
 * organisational root is needed; a 128-bit integer in decimal gives ≤ 44 characters. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rert/dicomio.h"

/* 128-bit value (4 × 32-bit words, most significant first) to decimal. */
static void u128_to_decimal(uint32_t w[4], char *out) {
  char tmp[48];
  int n = 0;
  int nonzero = 1;
  while (nonzero) {
    uint64_t rem = 0;
    nonzero = 0;
    for (int i = 0; i < 4; i++) {
      uint64_t cur = (rem << 32) | w[i];
      w[i] = (uint32_t)(cur / 10);
      rem = cur % 10;
      if (w[i]) nonzero = 1;
    }
    tmp[n++] = (char)('0' + rem);
  }
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
}

static void bytes_to_uid(const unsigned char b[16], char uid[RERT_UID_LEN]) {
  uint32_t w[4];
  for (int i = 0; i < 4; i++)
    w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 |
           b[4 * i + 3];
  /* UUID version 4 / variant bits, as a random UUID would carry (PS3.5 B.2). */
  w[1] = (w[1] & 0xFFFF0FFFu) | 0x00004000u;
  w[2] = (w[2] & 0x3FFFFFFFu) | 0x80000000u;
  strcpy(uid, "2.25.");
  u128_to_decimal(w, uid + 5);
}

int io_make_uid(char uid[RERT_UID_LEN], rert_err *err) {
  unsigned char b[16];
  int fd = open("/dev/urandom", O_RDONLY);
  ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
  if (fd >= 0) close(fd);
  if (got != (ssize_t)sizeof b) {
    /* fall back to time and address entropy; uniqueness, not secrecy, is what matters */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char key[128];
    static unsigned long counter;
    snprintf(key, sizeof key, "%ld.%ld.%d.%lu.%p", (long)ts.tv_sec, ts.tv_nsec, (int)getpid(),
             counter++, (void *)uid);
    io_make_uid_from(key, uid);
    (void)err;
    return RERT_OK;
  }
  bytes_to_uid(b, uid);
  return RERT_OK;
}

/* Two independent 64-bit FNV-1a/splitmix streams give 128 well-mixed bits for a key. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void io_make_uid_from(const char *key, char uid[RERT_UID_LEN]) {
  uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
    h1 = (h1 ^ *p) * 0x100000001b3ull;
    h2 = (h2 ^ *p) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
  }
  h1 = mix64(h1);
  h2 = mix64(h2 ^ h1);
  unsigned char b[16];
  for (int i = 0; i < 8; i++) {
    b[i] = (unsigned char)(h1 >> (56 - 8 * i));
    b[8 + i] = (unsigned char)(h2 >> (56 - 8 * i));
  }
  bytes_to_uid(b, uid);
}

int io_series_fill_slice_uids(rert_image_series *s, rert_err *err) {
  if (s->slice_sop_uids) return RERT_OK;
  int n = s->image.nz > 0 ? s->image.nz : 0;
  s->slice_sop_uids = calloc((size_t)(n ? n : 1), sizeof *s->slice_sop_uids);
  if (!s->slice_sop_uids) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int k = 0; k < n; k++) {
    char key[128];
    snprintf(key, sizeof key, "%s/slice/%d", s->ident.series_instance_uid, k + 1);
    io_make_uid_from(key, s->slice_sop_uids[k]);
  }
  return RERT_OK;
}
