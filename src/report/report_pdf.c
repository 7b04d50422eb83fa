/* report_pdf.c — the report as an A4 PDF for the chart (cairo + pango).
 *
 * Flow layout, top to bottom: section headings, wrapped paragraphs, boxed notes, tables (column
 * widths from their content, header repeated after a page break, verdict/tier cells coloured),
 * DVH plots two per row and slice pictures three per row. Every page carries the title, the page
 * number and the creation time in its header/footer. The PDF's CreationDate is the document's
 * created_utc, so two runs differ only there.
 */
#include <cairo-pdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_draw.h"
#include "rert/fileio.h"
#include "rert/report.h"

#ifndef RERT_VERSION
#define RERT_VERSION "0.0.0"
#endif

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 42.0
#define TOP (MARGIN + 16)
#define BOTTOM (PAGE_H - MARGIN - 10)
#define CONTENT_W (PAGE_W - 2 * MARGIN)

typedef struct {
  cairo_t *cr;
  const rert_report *r;
  double y;
  int page;
  const char *title, *created;
  /* grid of plots/images */
  const char *grid_type;
  int grid_col;
  double grid_row_h;
} pdf_ctx;

static void page_decor(pdf_ctx *c) {
  static const double grey[3] = {0.4, 0.4, 0.4};
  char buf[128];
  report_draw_text(c->cr, MARGIN, MARGIN - 6, CONTENT_W - 60, c->title, REPORT_FONT " 7", grey);
  snprintf(buf, sizeof buf, "page %d", c->page);
  report_draw_text(c->cr, PAGE_W - MARGIN - 40, MARGIN - 6, -1, buf, REPORT_FONT " 7", grey);
  snprintf(buf, sizeof buf, "rert %s \xc2\xb7 created %s \xc2\xb7 decision support; verify before clinical use",
           RERT_VERSION, c->created);
  report_draw_text(c->cr, MARGIN, PAGE_H - MARGIN, -1, buf, REPORT_FONT " 6.5", grey);
  cairo_set_source_rgb(c->cr, 0.6, 0.6, 0.6);
  cairo_set_line_width(c->cr, 0.5);
  cairo_move_to(c->cr, MARGIN, MARGIN + 6);
  cairo_line_to(c->cr, PAGE_W - MARGIN, MARGIN + 6);
  cairo_stroke(c->cr);
}

static void new_page(pdf_ctx *c) {
  cairo_show_page(c->cr);
  c->page++;
  c->y = TOP;
  page_decor(c);
}

static void need(pdf_ctx *c, double h) {
  if (c->y + h > BOTTOM && c->y > TOP + 1) new_page(c);
}

static void grid_flush(pdf_ctx *c) {
  if (c->grid_type && c->grid_col > 0) c->y += c->grid_row_h + 6;
  c->grid_type = NULL;
  c->grid_col = 0;
  c->grid_row_h = 0;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return v && cJSON_IsString(v) ? v->valuestring : "";
}

static void cell_text(const cJSON *col, const cJSON *row, char *buf, size_t n) {
  if (row)
    report_format_cell(col, row, buf, n);
  else
    snprintf(buf, n, "%s", str(col, "label"));
}

static double row_height(pdf_ctx *c, const cJSON *cols, const cJSON *row, const double *wid) {
  char cell[1024];
  double rh = 0;
  int j = 0;
  const cJSON *col;
  cJSON_ArrayForEach(col, cols) {
    cell_text(col, row, cell, sizeof cell);
    double h = report_text_height(c->cr, wid[j++] - 4, cell,
                                  row ? REPORT_FONT " 7" : REPORT_FONT " Bold 7");
    if (h > rh) rh = h;
  }
  return rh + 4;
}

/* row NULL = header row; stripe = shade odd rows */
static void draw_row(pdf_ctx *c, const cJSON *cols, const cJSON *row, int stripe,
                     const double *wid, double rh) {
  char cell[1024];
  double x = MARGIN;
  int j = 0;
  const cJSON *col;
  cJSON_ArrayForEach(col, cols) {
    cell_text(col, row, cell, sizeof cell);
    double bg[3];
    int fill = row ? report_cell_rgb(col, cell, bg) : 0;
    if (!row) {
      bg[0] = bg[1] = bg[2] = 0.88;
      fill = 1;
    } else if (!fill && stripe) {
      bg[0] = bg[1] = bg[2] = 0.965;
      fill = 1;
    }
    if (fill) {
      cairo_set_source_rgb(c->cr, bg[0], bg[1], bg[2]);
      cairo_rectangle(c->cr, x, c->y, wid[j], rh);
      cairo_fill(c->cr);
    }
    report_draw_text(c->cr, x + 2, c->y + 2, wid[j] - 4, cell,
                     row ? REPORT_FONT " 7" : REPORT_FONT " Bold 7", NULL);
    x += wid[j++];
  }
  cairo_set_source_rgb(c->cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(c->cr, 0.3);
  cairo_move_to(c->cr, MARGIN, c->y + rh);
  cairo_line_to(c->cr, MARGIN + CONTENT_W, c->y + rh);
  cairo_stroke(c->cr);
  c->y += rh;
}

static void draw_table(pdf_ctx *c, const cJSON *b) {
  const cJSON *cols = cJSON_GetObjectItem(b, "columns"), *rows = cJSON_GetObjectItem(b, "rows");
  int nc = cJSON_GetArraySize(cols);
  if (nc <= 0) return;
  double *wid = calloc((size_t)nc, sizeof *wid);
  if (!wid) return;
  char cell[1024];
  /* Column widths: each column needs at least its longest word (header or cell; capped) and
   * would like its longest unwrapped cell (capped). When the natural widths do not fit, every
   * column gets its minimum and the rest of the page is shared in proportion to what each
   * column still wants, so numbers stay on one line and long texts wrap. */
  double *minw = calloc((size_t)nc, sizeof *minw);
  if (!minw) {
    free(wid);
    return;
  }
  int j = 0;
  const cJSON *col, *row;
  cJSON_ArrayForEach(col, cols) {
    double natural = 0, longest_word = 0;
    for (int r = -1; r < cJSON_GetArraySize(rows); r++) {
      const cJSON *rw = r >= 0 ? cJSON_GetArrayItem(rows, r) : NULL;
      cell_text(col, rw, cell, sizeof cell);
      const char *font = rw ? REPORT_FONT " 7" : REPORT_FONT " Bold 7";
      if (rw) {
        double ww = report_text_width(c->cr, cell, font);
        if (ww > natural) natural = ww;
      }
      /* header words may break inside a word when space is short; cell words should not */
      for (char *save = NULL, *t = strtok_r(cell, " /", &save); t; t = strtok_r(NULL, " /", &save)) {
        double ww = report_text_width(c->cr, t, font);
        if (!rw && ww > 28) ww = 28;
        if (ww > longest_word) longest_word = ww;
      }
    }
    if (longest_word > 70) longest_word = 70;
    if (natural < longest_word) natural = longest_word;
    if (natural > 220) natural = 220;
    minw[j] = longest_word + 5;
    wid[j++] = natural + 5;
  }
  double tot = 0, totmin = 0;
  for (j = 0; j < nc; j++) {
    tot += wid[j];
    totmin += minw[j];
  }
  if (tot <= CONTENT_W) {
    for (j = 0; j < nc; j++) wid[j] *= CONTENT_W / tot;
  } else if (totmin >= CONTENT_W) {
    for (j = 0; j < nc; j++) wid[j] = minw[j] * CONTENT_W / totmin;
  } else {
    double extra = CONTENT_W - totmin, want = tot - totmin;
    for (j = 0; j < nc; j++) wid[j] = minw[j] + (wid[j] - minw[j]) * extra / want;
  }
  free(minw);

  const char *cap = str(b, "caption");
  double hh = row_height(c, cols, NULL, wid);
  double capf = *cap ? report_text_height(c->cr, CONTENT_W, cap, REPORT_FONT " Italic 7.5") : 0;
  need(c, capf + 2 * hh + 4);
  if (*cap)
    c->y += report_draw_text(c->cr, MARGIN, c->y, CONTENT_W, cap, REPORT_FONT " Italic 7.5", NULL) + 2;
  draw_row(c, cols, NULL, 0, wid, hh);
  int i = 0;
  cJSON_ArrayForEach(row, rows) {
    double rh = row_height(c, cols, row, wid);
    if (c->y + rh > BOTTOM) {
      new_page(c);
      draw_row(c, cols, NULL, 0, wid, hh); /* header again on the new page */
    }
    draw_row(c, cols, row, i++ % 2, wid, rh);
  }
  c->y += 8;
  free(wid);
}

static cairo_status_t read_png(void *closure, unsigned char *data, unsigned int len) {
  struct { const unsigned char *p; size_t left; } *s = closure;
  if (len > s->left) return CAIRO_STATUS_READ_ERROR;
  memcpy(data, s->p, len);
  s->p += len;
  s->left -= len;
  return CAIRO_STATUS_SUCCESS;
}

/* need_h: the tallest cell this row may get (checked when a row starts, so a row never runs
 * off the page); h: this cell's height */
static void grid_cell(pdf_ctx *c, const char *type, int per_row, double need_h, double h, double *x,
                      double *w) {
  if (!c->grid_type || strcmp(c->grid_type, type) != 0 || c->grid_col >= per_row) {
    grid_flush(c);
    c->grid_type = type;
  }
  *w = (CONTENT_W - 10.0 * (per_row - 1)) / per_row;
  if (c->grid_col == 0) need(c, need_h);
  *x = MARGIN + c->grid_col * (*w + 10);
  if (h > c->grid_row_h) c->grid_row_h = h;
  c->grid_col++;
}

static void draw_dvh(pdf_ctx *c, const cJSON *b) {
  double x, w, h = 175;
  grid_cell(c, "dvh", 2, h, h, &x, &w);
  cairo_save(c->cr);
  cairo_translate(c->cr, x, c->y);
  report_draw_dvh(c->cr, b, w, h);
  cairo_restore(c->cr);
}

static void draw_image(pdf_ctx *c, const cJSON *b) {
  const report_image *im = report_find_image(c->r, str(b, "image_id"));
  if (!im) return;
  double wcell = (CONTENT_W - 20.0) / 3;
  /* one scale for every picture (the largest side of any picture fills a cell), so the three
   * planes are shown at the same mm per point */
  int maxdim = 1;
  for (int q = 0; q < c->r->nimages; q++) {
    if (c->r->images[q].width_px > maxdim) maxdim = c->r->images[q].width_px;
    if (c->r->images[q].height_px > maxdim) maxdim = c->r->images[q].height_px;
  }
  double scale = wcell / maxdim;
  double hpic = im->height_px * scale;
  const char *cap = str(b, "caption");
  double hcap = report_text_height(c->cr, wcell, cap, REPORT_FONT " 6.5");
  double x, w;
  grid_cell(c, "image", 3, wcell + 3 * hcap + 4, hpic + hcap + 4, &x, &w);
  struct { const unsigned char *p; size_t left; } s = {im->png, im->png_len};
  cairo_surface_t *img = cairo_image_surface_create_from_png_stream(read_png, &s);
  if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
    cairo_save(c->cr);
    cairo_translate(c->cr, x, c->y);
    cairo_scale(c->cr, scale, scale);
    cairo_set_source_surface(c->cr, img, 0, 0);
    cairo_paint(c->cr);
    cairo_restore(c->cr);
  }
  cairo_surface_destroy(img);
  report_draw_text(c->cr, x, c->y + hpic + 2, wcell, cap, REPORT_FONT " 6.5", NULL);
}

static void draw_block(pdf_ctx *c, const cJSON *b) {
  const char *type = str(b, "type");
  if (strcmp(type, "dvh") == 0) { draw_dvh(c, b); return; }
  if (strcmp(type, "image") == 0) { draw_image(c, b); return; }
  grid_flush(c);
  if (strcmp(type, "paragraph") == 0) {
    const char *t = str(b, "text");
    double h = report_text_height(c->cr, CONTENT_W, t, REPORT_FONT " 8.5");
    need(c, h);
    c->y += report_draw_text(c->cr, MARGIN, c->y, CONTENT_W, t, REPORT_FONT " 8.5", NULL) + 5;
  } else if (strcmp(type, "note") == 0) {
    const char *t = str(b, "text");
    int warn = strcmp(str(b, "level"), "warning") == 0;
    double h = report_text_height(c->cr, CONTENT_W - 12, t, REPORT_FONT " 8");
    need(c, h + 8);
    cairo_set_source_rgb(c->cr, warn ? 1.0 : 0.90, warn ? 0.93 : 0.94, warn ? 0.80 : 1.0);
    cairo_rectangle(c->cr, MARGIN, c->y, CONTENT_W, h + 8);
    cairo_fill(c->cr);
    cairo_set_source_rgb(c->cr, warn ? 0.85 : 0.3, warn ? 0.55 : 0.45, warn ? 0.0 : 0.8);
    cairo_rectangle(c->cr, MARGIN, c->y, 3, h + 8);
    cairo_fill(c->cr);
    report_draw_text(c->cr, MARGIN + 8, c->y + 4, CONTENT_W - 12, t, REPORT_FONT " 8", NULL);
    c->y += h + 14;
  } else if (strcmp(type, "table") == 0) {
    draw_table(c, b);
  }
}

int report_write_pdf(const rert_report *r, const char *path, rert_err *err) {
  char tmp[4200];
  int rc = atomic_temp_path(path, tmp, sizeof tmp, err);
  if (rc) return rc;
  cairo_surface_t *s = cairo_pdf_surface_create(tmp, PAGE_W, PAGE_H);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    remove(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: cannot create PDF surface", path);
  }
  pdf_ctx c;
  memset(&c, 0, sizeof c);
  c.r = r;
  c.title = str(r->doc, "title");
  c.created = str(r->doc, "created_utc");
  cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, c.title);
  cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "rert " RERT_VERSION);
  {
    /* cairo wants "YYYY-MM-DDThh:mm:ss" (+zone); drop our trailing Z */
    char date[40];
    snprintf(date, sizeof date, "%.19s", c.created);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, date);
  }
  c.cr = cairo_create(s);
  c.page = 1;
  c.y = TOP;
  page_decor(&c);
  c.y += report_draw_text(c.cr, MARGIN, c.y, CONTENT_W, c.title, REPORT_FONT " Bold 15", NULL) + 2;
  char sub[160];
  snprintf(sub, sizeof sub, "Created %s by rert %s. Every number below is in report.json.",
           c.created, RERT_VERSION);
  c.y += report_draw_text(c.cr, MARGIN, c.y, CONTENT_W, sub, REPORT_FONT " 8", NULL) + 8;

  const cJSON *sec;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItem(r->doc, "sections")) {
    grid_flush(&c);
    need(&c, 200); /* keep a heading with the start of its content */
    c.y += 4;
    static const double blue[3] = {0.10, 0.22, 0.45};
    c.y += report_draw_text(c.cr, MARGIN, c.y, CONTENT_W, str(sec, "title"), REPORT_FONT " Bold 11.5", blue) + 4;
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(sec, "blocks")) draw_block(&c, b);
    grid_flush(&c);
  }
  cairo_destroy(c.cr);
  cairo_surface_finish(s);
  cairo_status_t st = cairo_surface_status(s);
  cairo_surface_destroy(s);
  if (st != CAIRO_STATUS_SUCCESS) {
    remove(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: PDF rendering failed (%s)", path,
                        cairo_status_to_string(st));
  }
  return atomic_rename(tmp, path, err);
}
