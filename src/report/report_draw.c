/* report_draw.c — cell formatting, verdict/tier colours, pango text and the DVH plot, shared by
 * report_pdf.c and report_html.c (see report_draw.h).
 *
 * DVH plot: cumulative DVH, dose (Gy EQD2) on x, volume (%) on y. Per-course curves are thin
 * and dashed, the recovered prior dotted, the cumulative curve thick black, the worst-case bound
 * thick dashed red. Limits are markers: a Dmax-type limit (no volume) a vertical red line with
 * its label, a Dx%/Vx limit a red diamond at (dose, volume).
 */
#include "report/report_draw.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void report_format_cell(const cJSON *column, const cJSON *row, char *buf, size_t n) {
  const cJSON *k = cJSON_GetObjectItem(column, "key");
  const cJSON *v = k && cJSON_IsString(k) ? cJSON_GetObjectItem(row, k->valuestring) : NULL;
  const cJSON *d = cJSON_GetObjectItem(column, "decimals");
  int dec = d && cJSON_IsNumber(d) ? d->valueint : 1;
  if (!v || cJSON_IsNull(v)) {
    snprintf(buf, n, "\xe2\x80\x93"); /* en dash: no value */
  } else if (cJSON_IsNumber(v)) {
    if (!isfinite(v->valuedouble))
      snprintf(buf, n, "\xe2\x80\x93");
    else
      snprintf(buf, n, "%.*f", dec, v->valuedouble);
    if (strcmp(buf, "-0") == 0 || strcmp(buf, "-0.0") == 0 || strcmp(buf, "-0.00") == 0)
      memmove(buf, buf + 1, strlen(buf));
  } else if (cJSON_IsBool(v)) {
    snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "yes" : "no");
  } else if (cJSON_IsString(v)) {
    snprintf(buf, n, "%s", v->valuestring);
  } else {
    snprintf(buf, n, "?");
  }
}

int report_cell_rgb(const cJSON *column, const char *text, double rgb[3]) {
  const cJSON *st = cJSON_GetObjectItem(column, "style");
  if (!st || !cJSON_IsString(st)) return 0;
  static const struct {
    const char *style, *word;
    double r, g, b;
  } map[] = {
      {"verdict", "pass", 0.78, 0.92, 0.78},       {"verdict", "fail", 0.98, 0.70, 0.70},
      {"verdict", "warn", 1.00, 0.88, 0.60},       {"verdict", "not evaluated", 0.88, 0.88, 0.88},
      {"tier", "mandatory", 0.96, 0.80, 0.80},     {"tier", "hard", 0.96, 0.80, 0.80},
      {"tier", "recommended", 1.00, 0.92, 0.75},   {"tier", "optimal", 0.82, 0.90, 0.98},
      {"tier", "desirable", 0.82, 0.90, 0.98},     {"tier", "informational", 0.90, 0.90, 0.90},
      {"tier", "reported", 0.90, 0.90, 0.90},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(st->valuestring, map[i].style) == 0 && strncasecmp(text, map[i].word, strlen(map[i].word)) == 0) {
      rgb[0] = map[i].r;
      rgb[1] = map[i].g;
      rgb[2] = map[i].b;
      return 1;
    }
  return 0;
}

static PangoLayout *make_layout(cairo_t *cr, double width, const char *text, const char *font) {
  PangoLayout *l = pango_cairo_create_layout(cr);
  PangoFontDescription *fd = pango_font_description_from_string(font);
  pango_layout_set_font_description(l, fd);
  pango_font_description_free(fd);
  if (width > 0) {
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
  }
  pango_layout_set_text(l, text, -1);
  return l;
}

double report_text_height(cairo_t *cr, double width, const char *text, const char *font) {
  PangoLayout *l = make_layout(cr, width, text, font);
  int w, h;
  pango_layout_get_size(l, &w, &h);
  g_object_unref(l);
  return (double)h / PANGO_SCALE;
}

double report_draw_text(cairo_t *cr, double x, double y, double width, const char *text,
                        const char *font, const double rgb[3]) {
  PangoLayout *l = make_layout(cr, width, text, font);
  int w, h;
  pango_layout_get_size(l, &w, &h);
  cairo_save(cr);
  if (rgb)
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  else
    cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, l);
  cairo_restore(cr);
  g_object_unref(l);
  return (double)h / PANGO_SCALE;
}

double report_text_width(cairo_t *cr, const char *text, const char *font) {
  PangoLayout *l = make_layout(cr, -1, text, font);
  int w, h;
  pango_layout_get_size(l, &w, &h);
  g_object_unref(l);
  return (double)w / PANGO_SCALE;
}

void report_curve_style(const char *kind, int i, double rgb[3], double *line_width, int *dashed) {
  static const double course_rgb[][3] = {
      {0.12, 0.47, 0.71}, {0.17, 0.63, 0.17}, {0.58, 0.40, 0.74}, {1.00, 0.50, 0.05},
      {0.55, 0.34, 0.29}, {0.09, 0.75, 0.81}};
  *line_width = 1.2;
  *dashed = 0;
  const double *c = course_rgb[i % 6];
  if (strcmp(kind, "cumulative") == 0) {
    static const double k[3] = {0, 0, 0};
    c = k;
    *line_width = 2.2;
  } else if (strcmp(kind, "worst_case") == 0) {
    static const double r[3] = {0.80, 0.10, 0.10};
    c = r;
    *line_width = 1.6;
    *dashed = 1;
  } else if (strcmp(kind, "recovered_prior") == 0) {
    *dashed = 2;
  } else if (strcmp(kind, "candidate") == 0) {
    /* candidate overlays (rert compare): one solid line per candidate, colour by index */
    *line_width = 1.6;
  } else {
    *dashed = 1;
  }
  memcpy(rgb, c, 3 * sizeof *rgb);
}

static double nice_step(double range) {
  static const double steps[] = {1, 2, 5, 10, 20, 25, 50, 100, 200, 500};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (range / steps[i] <= 8) return steps[i];
  return 1000;
}

void report_draw_dvh(cairo_t *cr, const cJSON *dvh, double w, double h) {
  const char *font = REPORT_FONT " 7";
  const cJSON *curves = cJSON_GetObjectItem(dvh, "curves");
  const cJSON *limits = cJSON_GetObjectItem(dvh, "limits");
  const cJSON *organ = cJSON_GetObjectItem(dvh, "organ");
  double xmax = 10;
  const cJSON *c, *l;
  cJSON_ArrayForEach(c, curves) {
    const cJSON *d;
    const cJSON *vs = cJSON_GetObjectItem(c, "volume_pct");
    int idx = 0;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(c, "dose_gy")) {
      const cJSON *v = cJSON_GetArrayItem(vs, idx++);
      if (cJSON_IsNumber(d) && v && cJSON_IsNumber(v) && v->valuedouble > 0.05 && d->valuedouble > xmax)
        xmax = d->valuedouble;
    }
  }
  cJSON_ArrayForEach(l, limits) {
    const cJSON *d = cJSON_GetObjectItem(l, "dose_gy");
    if (cJSON_IsNumber(d) && d->valuedouble > xmax) xmax = d->valuedouble;
  }
  double step = nice_step(xmax * 1.05);
  xmax = ceil(xmax * 1.05 / step) * step;

  const double ml = 30, mr = 6, mt = 14, mb = 22;
  const double pw = w - ml - mr, ph = h - mt - mb;
  cairo_save(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, 0, 0, w, h);
  cairo_fill(cr);
  /* title */
  report_draw_text(cr, ml, 0, pw, organ && cJSON_IsString(organ) ? organ->valuestring : "",
                   REPORT_FONT " Bold 8", NULL);
  /* grid and ticks */
  cairo_set_line_width(cr, 0.4);
  char buf[32];
  for (double x = 0; x <= xmax + 1e-9; x += step) {
    double px = ml + pw * x / xmax;
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_move_to(cr, px, mt);
    cairo_line_to(cr, px, mt + ph);
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "%g", x);
    report_draw_text(cr, px - report_text_width(cr, buf, font) / 2, mt + ph + 2, -1, buf, font, NULL);
  }
  for (int y = 0; y <= 100; y += 20) {
    double py = mt + ph * (1 - y / 100.0);
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_move_to(cr, ml, py);
    cairo_line_to(cr, ml + pw, py);
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "%d", y);
    report_draw_text(cr, ml - 3 - report_text_width(cr, buf, font), py - 5, -1, buf, font, NULL);
  }
  report_draw_text(cr, ml + pw / 2 - 30, mt + ph + 11, -1, "EQD2 (Gy)", font, NULL);
  cairo_save(cr);
  cairo_translate(cr, 1, mt + ph / 2 + 20);
  cairo_rotate(cr, -M_PI / 2);
  report_draw_text(cr, 0, 0, -1, "Volume (%)", font, NULL);
  cairo_restore(cr);
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  cairo_set_line_width(cr, 0.6);
  cairo_rectangle(cr, ml, mt, pw, ph);
  cairo_stroke(cr);

  /* curves, clipped to the plot box */
  cairo_save(cr);
  cairo_rectangle(cr, ml, mt, pw, ph);
  cairo_clip(cr);
  int ci = 0, ncourse = 0;
  cJSON_ArrayForEach(c, curves) {
    const cJSON *kind = cJSON_GetObjectItem(c, "kind");
    const char *k = kind && cJSON_IsString(kind) ? kind->valuestring : "course";
    double rgb[3], lw;
    int dashed;
    report_curve_style(k, strcmp(k, "course") == 0 || strcmp(k, "recovered_prior") == 0 ? ncourse : ci, rgb, &lw, &dashed);
    if (strcmp(k, "course") == 0) ncourse++;
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, lw);
    static const double dash1[] = {4, 2}, dash2[] = {1, 1.5};
    if (dashed == 1) cairo_set_dash(cr, dash1, 2, 0);
    else if (dashed == 2) cairo_set_dash(cr, dash2, 2, 0);
    else cairo_set_dash(cr, NULL, 0, 0);
    const cJSON *ds = cJSON_GetObjectItem(c, "dose_gy"), *vs = cJSON_GetObjectItem(c, "volume_pct");
    int n = cJSON_GetArraySize(ds), started = 0;
    for (int i = 0; i < n; i++) {
      const cJSON *d = cJSON_GetArrayItem(ds, i), *v = cJSON_GetArrayItem(vs, i);
      if (!cJSON_IsNumber(d) || !v || !cJSON_IsNumber(v)) continue;
      double px = ml + pw * d->valuedouble / xmax, py = mt + ph * (1 - v->valuedouble / 100.0);
      if (!started) cairo_move_to(cr, px, py);
      else cairo_line_to(cr, px, py);
      started = 1;
    }
    if (started) cairo_stroke(cr);
    ci++;
  }
  cairo_set_dash(cr, NULL, 0, 0);
  /* limit markers */
  cJSON_ArrayForEach(l, limits) {
    const cJSON *d = cJSON_GetObjectItem(l, "dose_gy"), *v = cJSON_GetObjectItem(l, "volume_pct");
    if (!cJSON_IsNumber(d)) continue;
    double px = ml + pw * d->valuedouble / xmax;
    cairo_set_source_rgb(cr, 0.85, 0.0, 0.0);
    if (!v || !cJSON_IsNumber(v)) {
      cairo_set_line_width(cr, 1.0);
      static const double dl[] = {2, 2};
      cairo_set_dash(cr, dl, 2, 0);
      cairo_move_to(cr, px, mt);
      cairo_line_to(cr, px, mt + ph);
      cairo_stroke(cr);
      cairo_set_dash(cr, NULL, 0, 0);
      cairo_move_to(cr, px - 4, mt);
      cairo_line_to(cr, px + 4, mt);
      cairo_line_to(cr, px, mt + 6);
      cairo_close_path(cr);
      cairo_fill(cr);
    } else {
      double py = mt + ph * (1 - v->valuedouble / 100.0);
      cairo_move_to(cr, px, py - 4);
      cairo_line_to(cr, px + 4, py);
      cairo_line_to(cr, px, py + 4);
      cairo_line_to(cr, px - 4, py);
      cairo_close_path(cr);
      cairo_fill(cr);
    }
  }
  cairo_restore(cr);

  /* legend (top right inside the box) */
  double ly = mt + 3;
  ci = 0;
  ncourse = 0;
  cJSON_ArrayForEach(c, curves) {
    const cJSON *kind = cJSON_GetObjectItem(c, "kind"), *lab = cJSON_GetObjectItem(c, "label");
    const char *k = kind && cJSON_IsString(kind) ? kind->valuestring : "course";
    double rgb[3], lw;
    int dashed;
    report_curve_style(k, strcmp(k, "course") == 0 || strcmp(k, "recovered_prior") == 0 ? ncourse : ci, rgb, &lw, &dashed);
    if (strcmp(k, "course") == 0) ncourse++;
    const char *txt = lab && cJSON_IsString(lab) ? lab->valuestring : k;
    double tw = report_text_width(cr, txt, REPORT_FONT " 6");
    double lx = ml + pw - tw - 22;
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, lw);
    static const double dash1[] = {4, 2}, dash2[] = {1, 1.5};
    if (dashed == 1) cairo_set_dash(cr, dash1, 2, 0);
    else if (dashed == 2) cairo_set_dash(cr, dash2, 2, 0);
    else cairo_set_dash(cr, NULL, 0, 0);
    cairo_move_to(cr, lx, ly + 4);
    cairo_line_to(cr, lx + 14, ly + 4);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    report_draw_text(cr, lx + 17, ly, -1, txt, REPORT_FONT " 6", NULL);
    ly += 8;
    ci++;
  }
  if (cJSON_GetArraySize(limits) > 0) {
    const char *txt = "limit";
    double tw = report_text_width(cr, txt, REPORT_FONT " 6");
    double lx = ml + pw - tw - 22;
    cairo_set_source_rgb(cr, 0.85, 0, 0);
    cairo_move_to(cr, lx + 7, ly);
    cairo_line_to(cr, lx + 11, ly + 4);
    cairo_line_to(cr, lx + 7, ly + 8);
    cairo_line_to(cr, lx + 3, ly + 4);
    cairo_close_path(cr);
    cairo_fill(cr);
    report_draw_text(cr, lx + 17, ly, -1, txt, REPORT_FONT " 6", NULL);
  }
  cairo_restore(cr);
}

cairo_status_t report_membuf_write(void *closure, const unsigned char *data, unsigned int len) {
  report_membuf *m = closure;
  if (m->n + len > m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 65536;
    while (cap < m->n + len) cap *= 2;
    unsigned char *q = realloc(m->p, cap);
    if (!q) {
      m->oom = 1;
      return CAIRO_STATUS_WRITE_ERROR;
    }
    m->p = q;
    m->cap = cap;
  }
  memcpy(m->p + m->n, data, len);
  m->n += len;
  return CAIRO_STATUS_SUCCESS;
}
