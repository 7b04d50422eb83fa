/* phantom_uid.c — reproducible DICOM UIDs for the synthetic patient.
 *
 * PS3.5 §B.2 allows UIDs under the root 2.25 formed from a 128-bit number in decimal. Here the
 * number is a hash of (seed, label), so the same seed always writes the same UIDs (byte-identical
 * output) while different seeds and objects never collide in practice.
 */
#include <stdio.h>
#include <string.h>

#include "rert/phantom.h"

static unsigned long long fnv1a(const char *s, unsigned long long h) {
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001B3ULL;
  }
  return h;
}

static unsigned long long fmix(unsigned long long z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void phantom_uid(unsigned long long seed, const char *label, char out[RERT_UID_LEN]) {
  unsigned long long h = fnv1a(label, 0xCBF29CE484222325ULL ^ fmix(seed + 0x9E3779B97F4A7C15ULL));
  unsigned long long hi = fmix(h ^ 0x243F6A8885A308D3ULL), lo = fmix(h + 0x13198A2E03707344ULL);
  hi &= 0x7FFFFFFFFFFFFFFFULL; /* < 2^127: keeps the decimal at most 39 digits */
  /* 128-bit → decimal by repeated division of the (hi, lo) pair by 10 (32-bit limbs) */
  unsigned int limb[4] = {(unsigned)(hi >> 32), (unsigned)hi, (unsigned)(lo >> 32), (unsigned)lo};
  char dig[48];
  int nd = 0;
  int nonzero = 1;
  while (nonzero) {
    unsigned long long rem = 0;
    nonzero = 0;
    for (int i = 0; i < 4; i++) {
      unsigned long long cur = (rem << 32) | limb[i];
      limb[i] = (unsigned)(cur / 10);
      rem = cur % 10;
      if (limb[i]) nonzero = 1;
    }
    dig[nd++] = (char)('0' + rem);
  }
  char *o = out;
  o += sprintf(o, "2.25.");
  while (nd > 0) *o++ = dig[--nd];
  *o = 0;
}
