/* report.h — the consult report: one document model, three renderings (PDF, HTML, JSON).
 *
 * The document is a cJSON tree (exactly what report.json contains): a title, the creation time
 * (the only field allowed to differ between two runs on the same inputs) and an ordered list of
 * sections, each an ordered list of blocks:
 *   {"type":"paragraph","text":...}
 *   {"type":"note","level":"warning"|"info","text":...}
 *   {"type":"table","id":...,"caption":...,"columns":[{"key","label","decimals","style"}],
 *    "rows":[{<key>: number|string|bool|null, ...}]}      keys carry units: limit_gy, volume_cc
 *   {"type":"dvh","id":...,"organ":...,"caption":...,
 *    "curves":[{"label","kind","dose_gy":[...],"volume_pct":[...]}],
 *    "limits":[{"label","dose_gy","volume_pct"|null}]}    volume_pct null = a Dmax-type limit
 *   {"type":"image","image_id":...,"caption":...,"width_px","height_px"}
 * Images (PNG slices) are held beside the tree in rert_report and referenced by image_id; the
 * HTML embeds them as data URIs, the PDF draws them, report.json only names them.
 * The section order follows the ReCOG reporting items (domain-reference Addendum B); the
 * consult (src/consult/) decides the content, this module only lays it out, so every number a
 * reader sees is a number in report.json. See docs/report.md.
 *
 * Determinism: renderers iterate the tree in order and never read the clock; the PDF creation
 * date is taken from the document's "created_utc".
 */
#ifndef RERT_REPORT_H
#define RERT_REPORT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "rert/dvh.h"
#include "rert/err.h"
#include "rert/volume.h"

#define REPORT_FORMAT "rert-consult-report/1"

typedef struct {
  char id[64];
  unsigned char *png;
  size_t png_len;
  int width_px, height_px;
} report_image;

/* A binary array for the interactive viewer of report.html (report_viewer.c): stored
 * byte-shuffled (elem_size planes) and zlib-compressed; the page inflates it with the browser's
 * own DecompressionStream. */
typedef struct {
  char id[48];
  unsigned char *z;    /* zlib stream of the shuffled bytes */
  size_t zlen, len;    /* compressed and raw byte counts */
  int elem_size;       /* 1, 2, 4 or 8: shuffle width */
} report_blob;

typedef struct {
  cJSON *doc;
  report_image *images;
  int nimages;
  cJSON *viewer;       /* interactive review data (HTML only; NULL = static report) */
  report_blob *blobs;
  int nblobs;
} rert_report;

typedef struct {
  const char *key;     /* row key, with unit suffix (value_gy, margin_gy, interval_months) */
  const char *label;   /* column header as printed, with unit: "Limit (Gy)" */
  int decimals;        /* for numbers; ignored for text */
  const char *style;   /* NULL, "verdict" (pass/fail/warn colour) or "tier" (tier colour) */
} report_column;

/* created_utc: ISO-8601 text (NULL = now). Deterministic tests pass a fixed value. */
int report_init(rert_report *r, const char *title, const char *created_utc, rert_err *err);
void report_free(rert_report *r);

cJSON *report_add_section(rert_report *r, const char *id, const char *title);
void report_add_paragraph(cJSON *section, const char *text);
void report_add_note(cJSON *section, const char *level, const char *text);
/* Returns the rows array: append rows with report_table_row and fill with cJSON_Add*. */
cJSON *report_add_table(cJSON *section, const char *id, const char *caption,
                        const report_column *cols, int ncols);
cJSON *report_table_row(cJSON *rows);
/* A two-column "item / value" table from alternating key,value string pairs (NULL-terminated). */
cJSON *report_add_kv_table(cJSON *section, const char *id, const char *caption, ...);

cJSON *report_add_dvh(cJSON *section, const char *id, const char *organ, const char *caption);
/* kind: "course", "recovered_prior", "cumulative", "worst_case", "candidate" (drawing style follows it). */
void report_dvh_add_curve(cJSON *dvh, const char *label, const char *kind, const double *dose_gy,
                          const double *volume_pct, int n);
/* A cumulative DVH (rert/dvh.h) as a curve of at most ~80 points in % of the volume inside the
 * grid, the last bin always kept; nothing when the histogram is empty. */
void report_dvh_add_histogram(cJSON *dvh, const char *label, const char *kind, const rert_dvh *d);
void report_dvh_add_limit(cJSON *dvh, const char *label, double dose_gy, double volume_pct);

/* Takes ownership of png (malloc'd) on success and on failure. */
int report_add_image(rert_report *r, cJSON *section, const char *image_id, const char *caption,
                     unsigned char *png, size_t png_len, int width_px, int height_px,
                     rert_err *err);
const report_image *report_find_image(const rert_report *r, const char *image_id);

/* Renderers. Each writes atomically (temp file + rename). */
int report_write_json(const rert_report *r, const char *path, rert_err *err);
int report_write_html(const rert_report *r, const char *path, rert_err *err);
int report_write_pdf(const rert_report *r, const char *path, rert_err *err);

/* ---- slices through the recurrence: CT + isodose lines + organ outlines → PNG ---- */
typedef enum { REPORT_AXIAL = 0, REPORT_CORONAL, REPORT_SAGITTAL } report_plane;

typedef struct {
  const char *name;
  const rert_volume *mask; /* occupancy 0..1 (any grid); outline drawn at 0.5 */
  unsigned char rgb[3];
  double line_width_px;
} report_outline;

typedef struct {
  const rert_volume *background; /* CT in HU (any grid) or NULL */
  double window_center_hu, window_width_hu;
  const rert_volume *dose;       /* cumulative EQD2; its bounding box is the field of view */
  const double *levels_gy;       /* isodose levels, ascending */
  int nlevels;
  const report_outline *outlines;
  int noutlines;
  double center_mm[3];           /* the planes pass through this point (recurrence centroid) */
  int max_px;                    /* longest side of the picture (e.g. 480) */
} report_slice_spec;

/* Colour of isodose level i of n (shared by the slice pictures and their legend). */
void report_isodose_rgb(int i, int n, unsigned char rgb[3]);
int report_render_slice_png(const report_slice_spec *spec, report_plane plane,
                            unsigned char **png, size_t *png_len, int *width_px, int *height_px,
                            rert_err *err);

/* ---- interactive viewer (report.html only; the PDF and report.json ignore it) ----
 * `meta` (taken over) describes the grid, courses, structures, protocol rows and recovery
 * models (format "rert-viewer/1", docs/report.md); blobs hold the voxel arrays it names. */
void report_viewer_set(rert_report *r, cJSON *meta);
/* Copy, shuffle (elem_size 1/2/4/8) and compress `len` bytes under `id`. */
int report_viewer_add_blob(rert_report *r, const char *id, const void *data, size_t len,
                           int elem_size, rert_err *err);
/* The viewer's JavaScript and CSS (src/report/viewer/, embedded at build time). */
const char *report_viewer_js(void);
const char *report_viewer_css(void);

/* ---- provenance ---- */
/* SHA-256 of a file's bytes as 64 lower-case hex digits (GNU Nettle). */
int report_sha256_file(const char *path, char hex[65], rert_err *err);
void report_sha256_buffer(const void *buf, size_t len, char hex[65]);

#endif
