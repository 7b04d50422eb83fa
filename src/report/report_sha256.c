/* report_sha256.c — SHA-256 of input files for the report's provenance section.
 *
 * Uses GNU Nettle (Debian nettle-dev) rather than a home-made digest: FIPS 180-4 SHA-256.
 * Files are streamed in 64 KiB blocks so a large CT series costs no memory.
 */
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "rert/report.h"

static void to_hex(const unsigned char *d, char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  hex[64] = '\0';
}

void report_sha256_buffer(const void *buf, size_t len, char hex[65]) {
  struct sha256_ctx c;
  unsigned char d[SHA256_DIGEST_SIZE];
  sha256_init(&c);
  sha256_update(&c, len, buf);
  sha256_digest(&c, sizeof d, d);
  to_hex(d, hex);
}

int report_sha256_file(const char *path, char hex[65], rert_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return rert_err_set(err, RERT_EINPUT, "%s: cannot open (%s)", path, strerror(errno));
  struct sha256_ctx c;
  sha256_init(&c);
  static _Thread_local unsigned char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&c, n, buf);
  int bad = ferror(f);
  fclose(f);
  if (bad) return rert_err_set(err, RERT_EINPUT, "%s: read error", path);
  unsigned char d[SHA256_DIGEST_SIZE];
  sha256_digest(&c, sizeof d, d);
  to_hex(d, hex);
  return RERT_OK;
}
