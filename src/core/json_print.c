/* json_print.c — JSON text with every number at full precision (rert/data.h json_print_full).
 * cJSON_Print writes 15 significant digits whenever they read back within a tolerance, which
 * loses the last bits; reports and --json output promise the numbers as computed. The layout
 * (tabs, ":\t", ",\n") is cJSON_Print's so readers and diffs see the same shape. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"

typedef struct {
  char *b;
  size_t len, cap;
  int oom;
} sbuf;

static void put(sbuf *s, const char *t, size_t n) {
  if (s->oom) return;
  if (s->len + n + 1 > s->cap) {
    size_t c = (s->cap ? s->cap : 256);
    while (c < s->len + n + 1) c *= 2;
    char *q = realloc(s->b, c);
    if (!q) { s->oom = 1; return; }
    s->b = q;
    s->cap = c;
  }
  memcpy(s->b + s->len, t, n);
  s->len += n;
  s->b[s->len] = '\0';
}
static void puts_(sbuf *s, const char *t) { put(s, t, strlen(t)); }

static void put_number(sbuf *s, double d) {
  char buf[40];
  if (!isfinite(d)) {
    puts_(s, "null");
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  puts_(s, buf);
}

static void put_string(sbuf *s, const char *t) {
  put(s, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)(t ? t : ""); *p; p++) {
    char e[8];
    switch (*p) {
      case '"': puts_(s, "\\\""); break;
      case '\\': puts_(s, "\\\\"); break;
      case '\b': puts_(s, "\\b"); break;
      case '\f': puts_(s, "\\f"); break;
      case '\n': puts_(s, "\\n"); break;
      case '\r': puts_(s, "\\r"); break;
      case '\t': puts_(s, "\\t"); break;
      default:
        if (*p < 0x20) {
          snprintf(e, sizeof e, "\\u%04x", *p);
          puts_(s, e);
        } else {
          put(s, (const char *)p, 1);
        }
    }
  }
  put(s, "\"", 1);
}

static void indent(sbuf *s, int depth) {
  for (int i = 0; i < depth; i++) put(s, "\t", 1);
}

static void put_item(sbuf *s, const cJSON *it, int fmt, int depth) {
  if (cJSON_IsNumber(it)) put_number(s, it->valuedouble);
  else if (cJSON_IsString(it)) put_string(s, it->valuestring);
  else if (cJSON_IsTrue(it)) puts_(s, "true");
  else if (cJSON_IsFalse(it)) puts_(s, "false");
  else if (cJSON_IsRaw(it)) puts_(s, it->valuestring ? it->valuestring : "null");
  else if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
    int obj = cJSON_IsObject(it);
    put(s, obj ? "{" : "[", 1);
    const cJSON *c = it->child;
    if (obj && fmt && c) put(s, "\n", 1);
    for (; c; c = c->next) {
      if (obj) {
        if (fmt) indent(s, depth + 1);
        put_string(s, c->string);
        puts_(s, fmt ? ":\t" : ":");
      }
      put_item(s, c, fmt, depth + 1);
      if (c->next) puts_(s, fmt && !obj ? ", " : ",");
      if (obj && fmt) put(s, "\n", 1);
    }
    if (obj && fmt && it->child) indent(s, depth);
    put(s, obj ? "}" : "]", 1);
  } else {
    puts_(s, "null");
  }
}

char *json_print_full(const cJSON *item, int formatted) {
  sbuf s = {0};
  put_item(&s, item, formatted, 0);
  if (s.oom) {
    free(s.b);
    return NULL;
  }
  return s.b;
}
