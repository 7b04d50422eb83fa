/* report_doc.c — building the report document model (rert/report.h): sections, blocks,
 * tables, DVH plot data and the PNG images the blocks reference.
 *
 * The tree is built in the order the consult adds things and never re-sorted, so the output
 * order is the consult's order (deterministic). NaN numbers become JSON null (cJSON would
 * print them as null anyway; doing it here keeps the tree honest for the renderers).
 */
#include "rert/data.h"
#include "rert/report.h"

#include "rert/fileio.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int report_init(rert_report *r, const char *title, const char *created_utc, rert_err *err) {
  memset(r, 0, sizeof *r);
  r->doc = cJSON_CreateObject();
  if (!r->doc) return rert_err_set(err, RERT_EINTERNAL, "report: out of memory");
  char now[32];
  if (!created_utc) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    created_utc = now;
  }
  cJSON_AddStringToObject(r->doc, "report_format", REPORT_FORMAT);
  cJSON_AddStringToObject(r->doc, "title", title ? title : "rert consult report");
  cJSON_AddStringToObject(r->doc, "created_utc", created_utc);
  cJSON_AddArrayToObject(r->doc, "sections");
  return RERT_OK;
}

void report_free(rert_report *r) {
  if (!r) return;
  cJSON_Delete(r->doc);
  for (int i = 0; i < r->nimages; i++) free(r->images[i].png);
  free(r->images);
  cJSON_Delete(r->viewer);
  for (int i = 0; i < r->nblobs; i++) free(r->blobs[i].z);
  free(r->blobs);
  memset(r, 0, sizeof *r);
}

cJSON *report_add_section(rert_report *r, const char *id, const char *title) {
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "id", id);
  cJSON_AddStringToObject(s, "title", title);
  cJSON_AddArrayToObject(s, "blocks");
  cJSON_AddItemToArray(cJSON_GetObjectItem(r->doc, "sections"), s);
  return s;
}

static cJSON *add_block(cJSON *section, const char *type) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "type", type);
  cJSON_AddItemToArray(cJSON_GetObjectItem(section, "blocks"), b);
  return b;
}

void report_add_paragraph(cJSON *section, const char *text) {
  cJSON *b = add_block(section, "paragraph");
  cJSON_AddStringToObject(b, "text", text ? text : "");
}

void report_add_note(cJSON *section, const char *level, const char *text) {
  cJSON *b = add_block(section, "note");
  cJSON_AddStringToObject(b, "level", level ? level : "info");
  cJSON_AddStringToObject(b, "text", text ? text : "");
}

cJSON *report_add_table(cJSON *section, const char *id, const char *caption,
                        const report_column *cols, int ncols) {
  cJSON *b = add_block(section, "table");
  cJSON_AddStringToObject(b, "id", id);
  cJSON_AddStringToObject(b, "caption", caption ? caption : "");
  cJSON *c = cJSON_AddArrayToObject(b, "columns");
  for (int i = 0; i < ncols; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", cols[i].key);
    cJSON_AddStringToObject(o, "label", cols[i].label);
    cJSON_AddNumberToObject(o, "decimals", cols[i].decimals);
    if (cols[i].style) cJSON_AddStringToObject(o, "style", cols[i].style);
    cJSON_AddItemToArray(c, o);
  }
  return cJSON_AddArrayToObject(b, "rows");
}

cJSON *report_table_row(cJSON *rows) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToArray(rows, o);
  return o;
}

cJSON *report_add_kv_table(cJSON *section, const char *id, const char *caption, ...) {
  static const report_column cols[] = {{"item", "Item", 0, NULL}, {"value", "Value", 0, NULL}};
  cJSON *rows = report_add_table(section, id, caption, cols, 2);
  va_list ap;
  va_start(ap, caption);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k) break;
    const char *v = va_arg(ap, const char *);
    cJSON *row = report_table_row(rows);
    cJSON_AddStringToObject(row, "item", k);
    cJSON_AddStringToObject(row, "value", v ? v : "");
  }
  va_end(ap);
  return rows;
}

cJSON *report_add_dvh(cJSON *section, const char *id, const char *organ, const char *caption) {
  cJSON *b = add_block(section, "dvh");
  cJSON_AddStringToObject(b, "id", id);
  cJSON_AddStringToObject(b, "organ", organ);
  cJSON_AddStringToObject(b, "caption", caption ? caption : "");
  cJSON_AddArrayToObject(b, "curves");
  cJSON_AddArrayToObject(b, "limits");
  return b;
}

static cJSON *num_or_null(double v) {
  return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

void report_dvh_add_curve(cJSON *dvh, const char *label, const char *kind, const double *dose_gy,
                          const double *volume_pct, int n) {
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "label", label);
  cJSON_AddStringToObject(c, "kind", kind);
  cJSON *d = cJSON_AddArrayToObject(c, "dose_gy");
  cJSON *v = cJSON_AddArrayToObject(c, "volume_pct");
  for (int i = 0; i < n; i++) {
    cJSON_AddItemToArray(d, num_or_null(dose_gy[i]));
    cJSON_AddItemToArray(v, num_or_null(volume_pct[i]));
  }
  cJSON_AddItemToArray(cJSON_GetObjectItem(dvh, "curves"), c);
}

void report_dvh_add_histogram(cJSON *dvh, const char *label, const char *kind, const rert_dvh *d) {
  if (d->nbins <= 0 || !(d->inside_cc > 0)) return;
  int step = d->nbins / 80 + 1, n = 0;
  double *x = malloc(sizeof(double) * (size_t)(d->nbins / step + 3));
  double *y = malloc(sizeof(double) * (size_t)(d->nbins / step + 3));
  if (x && y) {
    for (int b = 0; b <= d->nbins; b += step) {
      x[n] = d->lo_gy + b * d->bin_gy;
      y[n++] = 100.0 * d->cum_cc[b] / d->inside_cc;
    }
    if ((d->nbins % step) != 0) {
      x[n] = d->lo_gy + d->nbins * d->bin_gy;
      y[n++] = 100.0 * d->cum_cc[d->nbins] / d->inside_cc;
    }
    report_dvh_add_curve(dvh, label, kind, x, y, n);
  }
  free(x);
  free(y);
}

void report_dvh_add_limit(cJSON *dvh, const char *label, double dose_gy, double volume_pct) {
  cJSON *l = cJSON_CreateObject();
  cJSON_AddStringToObject(l, "label", label);
  cJSON_AddItemToObject(l, "dose_gy", num_or_null(dose_gy));
  cJSON_AddItemToObject(l, "volume_pct", num_or_null(volume_pct));
  cJSON_AddItemToArray(cJSON_GetObjectItem(dvh, "limits"), l);
}

int report_add_image(rert_report *r, cJSON *section, const char *image_id, const char *caption,
                     unsigned char *png, size_t png_len, int width_px, int height_px,
                     rert_err *err) {
  if (strlen(image_id) >= sizeof r->images[0].id) {
    free(png);
    return rert_err_set(err, RERT_EINTERNAL, "report: image id '%s' too long", image_id);
  }
  report_image *n = realloc(r->images, (size_t)(r->nimages + 1) * sizeof *n);
  if (!n) {
    free(png);
    return rert_err_set(err, RERT_EINTERNAL, "report: out of memory");
  }
  r->images = n;
  report_image *im = &r->images[r->nimages++];
  memset(im, 0, sizeof *im);
  strcpy(im->id, image_id);
  im->png = png;
  im->png_len = png_len;
  im->width_px = width_px;
  im->height_px = height_px;
  cJSON *b = add_block(section, "image");
  cJSON_AddStringToObject(b, "image_id", image_id);
  cJSON_AddStringToObject(b, "caption", caption ? caption : "");
  cJSON_AddNumberToObject(b, "width_px", width_px);
  cJSON_AddNumberToObject(b, "height_px", height_px);
  return RERT_OK;
}

const report_image *report_find_image(const rert_report *r, const char *image_id) {
  for (int i = 0; i < r->nimages; i++)
    if (strcmp(r->images[i].id, image_id) == 0) return &r->images[i];
  return NULL;
}

int report_write_json(const rert_report *r, const char *path, rert_err *err) {
  char *s = json_print_full(r->doc, 1);
  if (!s) return rert_err_set(err, RERT_EINTERNAL, "%s: out of memory printing JSON", path);
  rert_atomic a;
  int rc = atomic_open(&a, path, err);
  if (rc == RERT_OK) {
    if (fputs(s, a.f) < 0 || fputc('\n', a.f) < 0) {
      atomic_abort(&a);
      rc = rert_err_set(err, RERT_EINTERNAL, "%s: write failed", path);
    } else {
      rc = atomic_commit(&a, err);
    }
  }
  free(s);
  return rc;
}
