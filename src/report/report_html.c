/* report_html.c — the report as one self-contained HTML file, readable offline.
 *
 * No external resources: CSS is inline, DVH plots are SVG drawn by the same cairo code as the
 * PDF (embedded as data:image/svg+xml so each plot's glyph ids stay private to it), slice
 * pictures are PNG data URIs. Tables carry the JSON keys as data-key attributes so a reader can
 * match a printed number to report.json.
 *
 * When the consult attached viewer data (report_viewer.c), the page also carries the interactive
 * review — slice viewer, DVH panel, what-if panel — as the project's own JavaScript and CSS, the
 * viewer description as JSON and the voxel arrays as base64 of zlib streams, all inline, so the
 * file still opens from a USB stick with no network (docs/report.md "Interactive review").
 */
#include <cairo-svg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_draw.h"
#include "rert/data.h"
#include "rert/fileio.h"
#include "rert/report.h"

#ifndef RERT_VERSION
#define RERT_VERSION "0.0.0"
#endif

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return v && cJSON_IsString(v) ? v->valuestring : "";
}

static void esc(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '&': fputs("&amp;", f); break;
      case '"': fputs("&quot;", f); break;
      default: fputc(*s, f);
    }
  }
}

static void base64(FILE *f, const unsigned char *p, size_t n) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    fputc(t[v >> 18], f);
    fputc(t[(v >> 12) & 63], f);
    fputc(t[(v >> 6) & 63], f);
    fputc(t[v & 63], f);
  }
  if (i < n) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
    fputc(t[v >> 18], f);
    fputc(t[(v >> 12) & 63], f);
    fputc(i + 1 < n ? t[(v >> 6) & 63] : '=', f);
    fputc('=', f);
  }
}


/* cairo numbers SVG surfaces with a process-wide counter ("surface17"); renumber them in order of
 * first appearance so the same plot gives the same bytes however many were drawn before it. */
static void renumber_surfaces(report_membuf *m) {
  static const char key[] = "surface";
  const size_t kl = sizeof key - 1;
  long seen[64];
  int nseen = 0;
  unsigned char *out = malloc(m->n + 64 * 8); /* slack: a renumbered id may gain a digit */
  if (!out) return;
  size_t o = 0;
  for (size_t i = 0; i < m->n;) {
    if (i + kl < m->n && memcmp(m->p + i, key, kl) == 0 && m->p[i + kl] >= '0' && m->p[i + kl] <= '9') {
      size_t j = i + kl;
      long v = 0;
      while (j < m->n && m->p[j] >= '0' && m->p[j] <= '9' && v < 100000000) v = v * 10 + (m->p[j++] - '0');
      int id = -1;
      for (int q = 0; q < nseen; q++)
        if (seen[q] == v) id = q;
      if (id < 0 && nseen < 64) seen[id = nseen++] = v;
      if (id < 0) { /* too many surfaces: leave as is */
        memcpy(out + o, m->p + i, j - i);
        o += j - i;
      } else {
        char num[24];
        int nn = snprintf(num, sizeof num, "%d", id + 1);
        memcpy(out + o, key, kl);
        o += kl;
        memcpy(out + o, num, (size_t)nn);
        o += (size_t)nn;
      }
      i = j;
    } else {
      out[o++] = m->p[i++];
    }
  }
  free(m->p);
  m->p = out;
  m->n = o;
  m->cap = m->n + 1;
}

static int write_dvh_svg(FILE *f, const cJSON *b) {
  const double w = 300, h = 215;
  report_membuf m = {0};
  cairo_surface_t *s = cairo_svg_surface_create_for_stream(report_membuf_write, &m, w, h);
  cairo_t *cr = cairo_create(s);
  report_draw_dvh(cr, b, w, h);
  cairo_destroy(cr);
  cairo_surface_finish(s);
  int ok = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS && !m.oom;
  cairo_surface_destroy(s);
  if (ok && m.p) renumber_surfaces(&m);
  if (ok) {
    fputs("<figure class=\"dvh\"><img alt=\"DVH ", f);
    esc(f, str(b, "organ"));
    fputs("\" width=\"450\" src=\"data:image/svg+xml;base64,", f);
    base64(f, m.p, m.n);
    fputs("\"><figcaption>", f);
    esc(f, str(b, "caption"));
    fputs("</figcaption></figure>\n", f);
  }
  free(m.p);
  return ok;
}

static void write_table(FILE *f, const cJSON *b) {
  const cJSON *cols = cJSON_GetObjectItem(b, "columns"), *rows = cJSON_GetObjectItem(b, "rows");
  const cJSON *col, *row;
  char cell[1024];
  fputs("<table id=\"", f);
  esc(f, str(b, "id"));
  fputs("\">", f);
  if (*str(b, "caption")) {
    fputs("<caption>", f);
    esc(f, str(b, "caption"));
    fputs("</caption>", f);
  }
  fputs("\n<thead><tr>", f);
  cJSON_ArrayForEach(col, cols) {
    fputs("<th>", f);
    esc(f, str(col, "label"));
    fputs("</th>", f);
  }
  fputs("</tr></thead>\n<tbody>\n", f);
  cJSON_ArrayForEach(row, rows) {
    fputs("<tr>", f);
    cJSON_ArrayForEach(col, cols) {
      report_format_cell(col, row, cell, sizeof cell);
      double rgb[3];
      fputs("<td data-key=\"", f);
      esc(f, str(col, "key"));
      fputc('"', f);
      if (report_cell_rgb(col, cell, rgb))
        fprintf(f, " style=\"background:#%02x%02x%02x\"", (int)(rgb[0] * 255 + 0.5),
                (int)(rgb[1] * 255 + 0.5), (int)(rgb[2] * 255 + 0.5));
      fputc('>', f);
      esc(f, cell);
      fputs("</td>", f);
    }
    fputs("</tr>\n", f);
  }
  fputs("</tbody></table>\n", f);
}

static const char css[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:13px;max-width:1000px;margin:1em auto;"
    "padding:0 1em;color:#111}\n"
    "h1{font-size:22px;margin-bottom:2px}h2{font-size:17px;color:#1a3873;border-bottom:1px solid #ccd;"
    "margin-top:1.6em}\n"
    ".sub{color:#555;font-size:12px}\n"
    "table{border-collapse:collapse;margin:.4em 0 1em;font-size:12px;width:100%}\n"
    "caption{text-align:left;font-style:italic;padding:2px 0}\n"
    "th{background:#e0e0e0;text-align:left;padding:3px 5px}td{padding:2px 5px;border-bottom:1px solid "
    "#ddd;vertical-align:top}\n"
    "tbody tr:nth-child(even) td{background-color:#f7f7f7}\n"
    ".note{padding:6px 10px;margin:.5em 0;border-left:4px solid #4a78cc;background:#e6efff}\n"
    ".note.warning{border-color:#d98c00;background:#fff0cc}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:10px}\n"
    "figure{margin:0}figcaption{font-size:11px;color:#333;max-width:450px}\n"
    "footer{margin-top:2em;color:#666;font-size:11px}\n";

/* JSON inside <script>: "</" would end the element, so it is written "<\/" (same JSON value). */
static void write_script_json(FILE *f, const cJSON *j) {
  char *t = json_print_full(j, 0); /* numbers at full precision, as report.json */
  if (!t) return;
  for (const char *p = t; *p; p++) {
    if (p[0] == '<' && p[1] == '/') fputs("<\\", f);
    else fputc(*p, f);
  }
  free(t);
}

static void write_viewer_data(const rert_report *r, FILE *f) {
  fputs("<script type=\"application/json\" id=\"rert-viewer-data\">", f);
  write_script_json(f, r->viewer);
  fputs("</script>\n", f);
  for (int i = 0; i < r->nblobs; i++) {
    const report_blob *b = &r->blobs[i];
    fprintf(f, "<script type=\"application/octet-stream\" class=\"rert-blob\" data-id=\"%s\" data-bytes=\"%zu\" "
               "data-elem=\"%d\">", b->id, b->len, b->elem_size);
    base64(f, b->z, b->zlen);
    fputs("</script>\n", f);
  }
  fputs("<script>\n", f);
  fputs(report_viewer_js(), f);
  fputs("\n</script>\n", f);
}

static int write_all(const rert_report *r, FILE *f) {
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
  esc(f, str(r->doc, "title"));
  fputs("</title>\n<style>\n", f);
  fputs(css, f);
  if (r->viewer) fputs(report_viewer_css(), f);
  fputs("</style></head><body>\n<h1>", f);
  esc(f, str(r->doc, "title"));
  fputs("</h1>\n<p class=\"sub\">Created ", f);
  esc(f, str(r->doc, "created_utc"));
  fputs(" by rert " RERT_VERSION ". Every number below is in report.json.</p>\n", f);
  if (r->viewer)
    fputs("<section id=\"review\"><h2>Interactive review</h2><div id=\"rert-viewer\">"
          "<p class=\"rv-loading\">Loading the interactive review (slices, DVHs, what-if) ...</p>"
          "<noscript>The interactive review needs JavaScript; the signed report follows.</noscript>"
          "</div></section>\n", f);
  const cJSON *sec, *b;
  int ok = 1;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItem(r->doc, "sections")) {
    fputs("<section id=\"", f);
    esc(f, str(sec, "id"));
    fputs("\">\n<h2>", f);
    esc(f, str(sec, "title"));
    fputs("</h2>\n", f);
    const char *open_grid = NULL; /* "dvh" or "image" while a flex row is open */
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(sec, "blocks")) {
      const char *type = str(b, "type");
      int gridded = strcmp(type, "dvh") == 0 || strcmp(type, "image") == 0;
      if (open_grid && (!gridded || strcmp(open_grid, type) != 0)) {
        fputs("</div>\n", f);
        open_grid = NULL;
      }
      if (gridded && !open_grid) {
        fputs("<div class=\"grid\">\n", f);
        open_grid = strcmp(type, "dvh") == 0 ? "dvh" : "image";
      }
      if (strcmp(type, "paragraph") == 0) {
        fputs("<p>", f);
        esc(f, str(b, "text"));
        fputs("</p>\n", f);
      } else if (strcmp(type, "note") == 0) {
        fprintf(f, "<div class=\"note %s\">", strcmp(str(b, "level"), "warning") == 0 ? "warning" : "info");
        esc(f, str(b, "text"));
        fputs("</div>\n", f);
      } else if (strcmp(type, "table") == 0) {
        write_table(f, b);
      } else if (strcmp(type, "dvh") == 0) {
        ok &= write_dvh_svg(f, b);
      } else if (strcmp(type, "image") == 0) {
        const report_image *im = report_find_image(r, str(b, "image_id"));
        if (!im) continue;
        int maxdim = 1; /* one scale for every picture, as in the PDF */
        for (int q = 0; q < r->nimages; q++) {
          if (r->images[q].width_px > maxdim) maxdim = r->images[q].width_px;
          if (r->images[q].height_px > maxdim) maxdim = r->images[q].height_px;
        }
        fprintf(f, "<figure><img alt=\"%s\" width=\"%d\" height=\"%d\" src=\"data:image/png;base64,",
                im->id, im->width_px * 320 / maxdim, im->height_px * 320 / maxdim);
        base64(f, im->png, im->png_len);
        fputs("\"><figcaption>", f);
        esc(f, str(b, "caption"));
        fputs("</figcaption></figure>\n", f);
      }
    }
    if (open_grid) fputs("</div>\n", f);
    fputs("</section>\n", f);
  }
  fputs("<footer>rert " RERT_VERSION " \xc2\xb7 created ", f);
  esc(f, str(r->doc, "created_utc"));
  fputs(" \xc2\xb7 decision support; verify before clinical use.</footer>\n", f);
  if (r->viewer) write_viewer_data(r, f);
  fputs("</body></html>\n", f);
  return ok;
}

int report_write_html(const rert_report *r, const char *path, rert_err *err) {
  rert_atomic a;
  int rc = atomic_open(&a, path, err);
  if (rc) return rc;
  if (!write_all(r, a.f)) {
    atomic_abort(&a);
    return rert_err_set(err, RERT_EINTERNAL, "%s: drawing a DVH plot failed", path);
  }
  return atomic_commit(&a, err);
}
