/* structmap_internal.h — the synonym table and name normalisation shared by synonyms.c and
 * structmap.c. Not public API. */
#ifndef RERT_STRUCTMAP_INTERNAL_H
#define RERT_STRUCTMAP_INTERNAL_H

#include <stddef.h>

#include "rert/structmap.h"

#define SMAP_MAX_TOKENS 64
#define SMAP_MAX_WORDS 64

/* A name split into normalised words (docs/structures.md). */
typedef struct {
  int n;
  char *tok[SMAP_MAX_TOKENS];
  char buf[512];
} smap_tokens;

typedef struct {
  char tg263[65];
  char unsided[65];    /* name of a paired organ written without a side (Lung -> Lungs) */
  int paired;
  int external;        /* kind "external" (the body outline) */
} smap_table_entry;

typedef struct {
  int entry;
  char text[80];       /* as written in the table */
  char lang[8];        /* tg263, en, la, de, ... */
  char key[128];       /* normalised */
} smap_variant;

typedef struct {
  int nentries, nvariants;
  smap_table_entry *entries;
  smap_variant *variants;
  int nleft, nright, nmarkers;
  char left[SMAP_MAX_WORDS][24], right[SMAP_MAX_WORDS][24], markers[SMAP_MAX_WORDS][24];
} smap_table;

void smap_tokenize(const char *name, smap_tokens *t);
void smap_join(const smap_tokens *t, int from, int to, char *out, size_t n);
void smap_normalise(const char *name, char *out, size_t n);
/* The loaded table (data/structure_synonyms.json, cached per data directory). */
int smap_table_get(const smap_table **t, rert_err *err);
const smap_variant *smap_find_variant(const smap_table *t, const char *key);
int smap_side_word(const smap_table *t, const char *w); /* 'L', 'R' or 0 */
int smap_marker_word(const smap_table *t, const char *w);

#endif
