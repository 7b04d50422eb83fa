/* synonyms.c — the structure-name synonym table (data/structure_synonyms.json) and the name
 * normalisation it is matched with (docs/structures.md, AAPM TG-263).
 *
 * Normalisation: diacritics folded to ASCII (UTF-8 or Latin-1 bytes), the name split into words
 * at every non-alphanumeric character, at lower→upper case changes (SpinalCord → Spinal|Cord,
 * LParotid → L|Parotid) and at letter↔digit changes (PRV5 → PRV|5); words compared lower-case
 * and joined without separators. A name maps only when the joined words equal a variant, or —
 * for a paired organ — when one laterality word at the start or end is removed and the rest
 * equals a variant. No fuzzy matching: a derived structure (Cord_PRV5) never maps to its organ.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"
#include "structmap_internal.h"

/* ---- normalisation ---- */

/* Latin-1 code points 0xC0..0xFF folded to ASCII (lower case); "" = not a letter (× ÷). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};

enum { CL_SEP = 0, CL_LOWER, CL_UPPER, CL_DIGIT };

/* One character: folded ASCII text and its class; returns bytes consumed. */
static int next_char(const unsigned char *s, char out[4], int *cls) {
  unsigned c = s[0];
  out[0] = out[1] = out[2] = 0;
  if (c < 0x80) {
    if (isdigit(c)) { out[0] = (char)c; *cls = CL_DIGIT; }
    else if (isupper(c)) { out[0] = (char)tolower(c); *cls = CL_UPPER; }
    else if (islower(c)) { out[0] = (char)c; *cls = CL_LOWER; }
    else *cls = CL_SEP;
    return 1;
  }
  unsigned cp = 0;
  int used = 1;
  if ((c == 0xC3 || c == 0xC2) && (s[1] & 0xC0) == 0x80) { cp = ((c & 0x1F) << 6) | (s[1] & 0x3F); used = 2; }
  else if (c == 0xC5 && (s[1] == 0x92 || s[1] == 0x93)) { /* Œ œ */
    strcpy(out, "oe");
    *cls = s[1] == 0x92 ? CL_UPPER : CL_LOWER;
    return 2;
  } else if (c >= 0xC0 && c < 0xF8 && (s[1] & 0xC0) == 0x80) {
    /* another UTF-8 sequence: keep it as one opaque lower-case "letter" (never matches ASCII) */
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    for (int k = 1; k < len; k++)
      if ((s[k] & 0xC0) != 0x80) len = k;
    out[0] = '?';
    *cls = CL_LOWER;
    return len;
  } else {
    cp = c; /* Latin-1 byte */
  }
  if (cp >= 0xC0) {
    const char *f = latin1_fold[cp - 0xC0];
    if (!*f) { *cls = CL_SEP; return used; }
    strcpy(out, f);
    *cls = (cp < 0xDF && cp != 0xD7) ? CL_UPPER : CL_LOWER;
    return used;
  }
  *cls = CL_SEP; /* other Latin-1 punctuation, ° etc. */
  return used;
}

void smap_tokenize(const char *name, smap_tokens *t) {
  memset(t, 0, sizeof *t);
  const unsigned char *s = (const unsigned char *)name;
  /* first pass: characters with classes */
  char txt[160][4];
  int cls[160], nc = 0;
  while (*s && nc < 160) {
    int c;
    s += next_char(s, txt[nc], &c);
    cls[nc++] = c;
  }
  size_t used = 0;
  int open = 0;
  for (int i = 0; i < nc; i++) {
    int c = cls[i];
    int brk = 0;
    if (c == CL_SEP) { open = 0; continue; }
    if (open) {
      int p = cls[i - 1];
      if ((p == CL_DIGIT) != (c == CL_DIGIT)) brk = 1;                       /* letter <-> digit */
      else if (p == CL_LOWER && c == CL_UPPER) brk = 1;                      /* spinalCord */
      else if (p == CL_UPPER && c == CL_UPPER && i + 1 < nc && cls[i + 1] == CL_LOWER) brk = 1; /* LParotid */
    }
    if (!open || brk) {
      if (t->n >= SMAP_MAX_TOKENS) break;
      if (t->n) t->buf[used++] = 0;
      t->tok[t->n++] = t->buf + used;
      open = 1;
    }
    size_t l = strlen(txt[i]);
    if (used + l + 2 >= sizeof t->buf) break;
    memcpy(t->buf + used, txt[i], l);
    used += l;
  }
  t->buf[used] = 0;
}

void smap_join(const smap_tokens *t, int from, int to, char *out, size_t n) {
  size_t u = 0;
  out[0] = 0;
  for (int i = from; i < to; i++) {
    size_t l = strlen(t->tok[i]);
    if (u + l + 1 > n) break;
    memcpy(out + u, t->tok[i], l + 1);
    u += l;
  }
}

void smap_normalise(const char *name, char *out, size_t n) {
  smap_tokens t;
  smap_tokenize(name, &t);
  smap_join(&t, 0, t.n, out, n);
}

/* ---- the table ---- */

static smap_table *g_table;
static char g_table_dir[1024];

static int has_word(char (*list)[24], int n, const char *w) {
  for (int i = 0; i < n; i++)
    if (!strcmp(list[i], w)) return 1;
  return 0;
}

int smap_side_word(const smap_table *t, const char *w) {
  if (has_word((char(*)[24])t->left, t->nleft, w)) return 'L';
  if (has_word((char(*)[24])t->right, t->nright, w)) return 'R';
  return 0;
}

int smap_marker_word(const smap_table *t, const char *w) {
  return has_word((char(*)[24])t->markers, t->nmarkers, w);
}

static int load_words(const cJSON *arr, char (*dst)[24], int max, int *n, const char *ctx,
                      rert_err *err) {
  *n = 0;
  const cJSON *it;
  if (!cJSON_IsArray(arr)) return rert_err_set(err, RERT_EINTERNAL, "structure_synonyms.json: %s must be an array", ctx);
  cJSON_ArrayForEach(it, arr) {
    if (!cJSON_IsString(it) || *n >= max)
      return rert_err_set(err, RERT_EINTERNAL, "structure_synonyms.json: %s: strings, at most %d", ctx, max);
    smap_normalise(it->valuestring, dst[*n], 24);
    (*n)++;
  }
  return RERT_OK;
}

static void table_free(smap_table *t) {
  if (!t) return;
  free(t->entries);
  free(t->variants);
  free(t);
}

static int table_load(smap_table **out, rert_err *err) {
  cJSON *doc;
  int rc = data_load_json("structure_synonyms.json", &doc, err);
  if (rc) return rc;
  smap_table *t = calloc(1, sizeof *t);
  if (!t) { cJSON_Delete(doc); return rert_err_set(err, RERT_EINTERNAL, "out of memory"); }
  const cJSON *lat = cJSON_GetObjectItemCaseSensitive(doc, "laterality");
  rc = load_words(cJSON_GetObjectItemCaseSensitive(lat, "left"), t->left, SMAP_MAX_WORDS, &t->nleft, "laterality.left", err);
  if (!rc) rc = load_words(cJSON_GetObjectItemCaseSensitive(lat, "right"), t->right, SMAP_MAX_WORDS, &t->nright, "laterality.right", err);
  const cJSON *dm = cJSON_GetObjectItemCaseSensitive(doc, "derived_markers");
  if (!rc) rc = load_words(cJSON_GetObjectItemCaseSensitive(dm, "words"), t->markers, SMAP_MAX_WORDS, &t->nmarkers, "derived_markers.words", err);
  const cJSON *ss = cJSON_GetObjectItemCaseSensitive(doc, "structures");
  if (!rc && !cJSON_IsArray(ss)) rc = rert_err_set(err, RERT_EINTERNAL, "structure_synonyms.json: structures must be an array");
  int ne = rc ? 0 : cJSON_GetArraySize(ss), nv = 0;
  const cJSON *e, *lang, *v;
  if (!rc) cJSON_ArrayForEach(e, ss) cJSON_ArrayForEach(lang, cJSON_GetObjectItemCaseSensitive(e, "variants")) nv += cJSON_GetArraySize(lang);
  if (!rc) {
    t->entries = calloc(ne ? (size_t)ne : 1, sizeof *t->entries);
    t->variants = calloc(nv ? (size_t)nv : 1, sizeof *t->variants);
    if (!t->entries || !t->variants) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  if (!rc) cJSON_ArrayForEach(e, ss) {
    smap_table_entry *te = &t->entries[t->nentries];
    const char *tg = NULL, *uns = NULL;
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(e, "paired");
    if ((rc = json_get_string(e, "tg263", &tg, "structure_synonyms.json: structures", err))) break;
    if ((rc = json_opt_string(e, "unsided", &uns, "structure_synonyms.json: structures", err))) break;
    if (!cJSON_IsBool(pj) || strlen(tg) >= sizeof te->tg263) {
      rc = rert_err_set(err, RERT_EINTERNAL, "structure_synonyms.json: %s: paired must be true/false", tg);
      break;
    }
    snprintf(te->tg263, sizeof te->tg263, "%s", tg);
    snprintf(te->unsided, sizeof te->unsided, "%s", uns ? uns : tg);
    te->paired = cJSON_IsTrue(pj);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind");
    te->external = cJSON_IsString(kind) && !strcmp(kind->valuestring, "external");
    cJSON_ArrayForEach(lang, cJSON_GetObjectItemCaseSensitive(e, "variants")) {
      cJSON_ArrayForEach(v, lang) {
        if (!cJSON_IsString(v)) continue;
        smap_variant *sv = &t->variants[t->nvariants];
        sv->entry = t->nentries;
        snprintf(sv->text, sizeof sv->text, "%s", v->valuestring);
        snprintf(sv->lang, sizeof sv->lang, "%s", lang->string);
        smap_normalise(v->valuestring, sv->key, sizeof sv->key);
        /* one normalised variant, one organ: the table must never be ambiguous */
        for (int k = 0; k < t->nvariants; k++)
          if (!strcmp(t->variants[k].key, sv->key) && t->variants[k].entry != sv->entry) {
            rc = rert_err_set(err, RERT_EINTERNAL,
                              "structure_synonyms.json: variant '%s' of %s normalises like '%s' of %s",
                              sv->text, tg, t->variants[k].text, t->entries[t->variants[k].entry].tg263);
            break;
          }
        if (rc) break;
        t->nvariants++;
      }
      if (rc) break;
    }
    if (rc) break;
    t->nentries++;
  }
  cJSON_Delete(doc);
  if (rc) { table_free(t); return rc; }
  *out = t;
  return RERT_OK;
}

int smap_table_get(const smap_table **out, rert_err *err) {
  const char *dir = data_dir();
  if (g_table && !strcmp(g_table_dir, dir)) {
    *out = g_table;
    return RERT_OK;
  }
  smap_table *t = NULL;
  int rc = table_load(&t, err);
  if (rc) return rc;
  table_free(g_table); /* RERT_DATA_DIR changed (tests): reload */
  g_table = t;
  snprintf(g_table_dir, sizeof g_table_dir, "%s", dir);
  *out = t;
  return RERT_OK;
}

const smap_variant *smap_find_variant(const smap_table *t, const char *key) {
  if (!*key) return NULL;
  for (int i = 0; i < t->nvariants; i++)
    if (!strcmp(t->variants[i].key, key)) return &t->variants[i];
  return NULL;
}

int structmap_is_paired(const char *tg263) {
  const smap_table *t;
  rert_err e;
  if (smap_table_get(&t, &e)) return 0;
  for (int i = 0; i < t->nentries; i++)
    if (!strcmp(t->entries[i].tg263, tg263)) return t->entries[i].paired;
  return 0;
}
