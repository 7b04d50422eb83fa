/* dosedesc.c — the text that says what a written dose grid is (quantity, α/β, recovery, RBE
 * model, provenance), in two forms: a short one for the 64-character DICOM fields DoseComment
 * and SeriesDescription, and a machine-readable "rert-meta:" line stored in ImageComments so a
 * derived RTDOSE read back by rert recovers its full rert_dose_meta. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "rert/dicomio.h"

static const char *const qnames[] = {"NONE", "IMAGE", "MASK", "PHYSICAL", "RBE_WEIGHTED", "BED",
                                     "EQD2", "EQDX", "REMAINING_EQD2", "MAX_NEW_DOSE",
                                     "ALPHA_BETA", "OTHER"};
static const char *const bnames[] = {"NOMINAL", "LOWER", "UPPER"};

const char *io_quantity_name(rert_quantity q) {
  if ((int)q < 0 || (int)q >= (int)(sizeof qnames / sizeof *qnames)) return "OTHER";
  return qnames[q];
}

/* copy without ';' and newlines so the line stays parseable */
static void clean(char *dst, size_t n, const char *src) {
  size_t j = 0;
  for (size_t i = 0; src && src[i] && j + 1 < n; i++) {
    char c = src[i];
    dst[j++] = (c == ';' || c == '\n' || c == '\r' || c == '\\') ? ',' : c;
  }
  dst[j] = '\0';
}

void io_meta_to_text(const rert_dose_meta *m, const char *note, char *buf, size_t n) {
  char rec[96], prov[256], desc[256], nt[600];
  clean(rec, sizeof rec, m->recovery);
  clean(prov, sizeof prov, m->provenance);
  clean(desc, sizeof desc, m->description);
  clean(nt, sizeof nt, note);
  snprintf(buf, n,
           "rert-meta: quantity=%s; bound=%s; rbe=%s; rbe_factor=%.17g; alpha_beta_gy=%.17g; "
           "eqdx_ref_gy=%.17g; fractions=%d; recovery=%s; provenance=%s; description=%s; note=%s",
           io_quantity_name(m->quantity),
           bnames[m->bound >= BOUND_NOMINAL && m->bound <= BOUND_UPPER ? m->bound : 0],
           rbe_model_name(m->rbe), m->rbe_factor, m->alpha_beta_gy, m->eqdx_ref_gy, m->fractions,
           rec, prov, desc, nt);
}

static void copy_field(char *dst, size_t n, const char *src) {
  size_t l = strlen(src);
  if (l >= n) l = n - 1;
  memcpy(dst, src, l);
  dst[l] = '\0';
}

int io_meta_from_text(const char *text, rert_dose_meta *m) {
  const char *p = text ? strstr(text, "rert-meta:") : NULL;
  if (!p) return 0;
  p += 10;
  while (*p) {
    while (*p == ' ' || *p == ';') p++;
    const char *eq = strchr(p, '=');
    if (!eq) break;
    const char *end = strchr(eq, ';');
    if (!end) end = eq + strlen(eq);
    char key[32], val[600];
    size_t kl = (size_t)(eq - p), vl = (size_t)(end - eq - 1);
    if (kl >= sizeof key) kl = sizeof key - 1;
    if (vl >= sizeof val) vl = sizeof val - 1;
    memcpy(key, p, kl);
    key[kl] = 0;
    memcpy(val, eq + 1, vl);
    val[vl] = 0;
    if (!strcmp(key, "quantity")) {
      for (int q = 0; q < (int)(sizeof qnames / sizeof *qnames); q++)
        if (!strcmp(val, qnames[q])) m->quantity = (rert_quantity)q;
    } else if (!strcmp(key, "bound")) {
      for (int b = 0; b < 3; b++)
        if (!strcmp(val, bnames[b])) m->bound = (rert_bound)b;
    } else if (!strcmp(key, "rbe")) {
      rbe_model r;
      if (rbe_model_parse(val, &r, NULL) == 0) m->rbe = r;
    } else if (!strcmp(key, "rbe_factor")) {
      m->rbe_factor = strtod(val, NULL);
    } else if (!strcmp(key, "alpha_beta_gy")) {
      m->alpha_beta_gy = strtod(val, NULL);
    } else if (!strcmp(key, "eqdx_ref_gy")) {
      m->eqdx_ref_gy = strtod(val, NULL);
    } else if (!strcmp(key, "fractions")) {
      m->fractions = atoi(val);
    } else if (!strcmp(key, "recovery")) {
      copy_field(m->recovery, sizeof m->recovery, val);
    } else if (!strcmp(key, "provenance")) {
      copy_field(m->provenance, sizeof m->provenance, val);
    } else if (!strcmp(key, "description")) {
      copy_field(m->description, sizeof m->description, val);
    }
    p = end;
  }
  return 1;
}

void io_meta_short(const rert_dose_meta *m, char *buf, size_t n) {
  char ab[32] = "";
  if (m->alpha_beta_gy > 0 && isfinite(m->alpha_beta_gy)) snprintf(ab, sizeof ab, " a/b=%gGy", m->alpha_beta_gy);
  else if (m->alpha_beta_gy == 0 && (m->quantity == QTY_BED || m->quantity == QTY_EQD2 ||
                                     m->quantity == QTY_EQDX || m->quantity == QTY_REMAINING_EQD2))
    snprintf(ab, sizeof ab, " a/b=organ");
  const char *b = m->bound == BOUND_LOWER ? " lower" : m->bound == BOUND_UPPER ? " upper" : "";
  char s[256];
  snprintf(s, sizeof s, "%s%s%s rec=%s RBE=%s", io_quantity_name(m->quantity), b, ab,
           m->recovery[0] ? m->recovery : "none", rbe_model_name(m->rbe));
  snprintf(buf, n, "%.64s", s);
}

void io_describe_dose_meta(const rert_dose_meta *meta, char *buf, size_t bufsz) {
  io_meta_short(meta, buf, bufsz);
}
