/* report_draw.h — drawing shared by the PDF and the HTML renderings (internal to src/report).
 * The DVH plot is drawn once with cairo: onto the PDF page, and onto an SVG surface for the
 * HTML, so both renderings show the same picture from the same numbers. */
#ifndef RERT_REPORT_DRAW_H
#define RERT_REPORT_DRAW_H

#include <cairo.h>
#include <cjson/cJSON.h>
#include <stddef.h>

#define REPORT_FONT "DejaVu Sans"

/* Text of one table cell as printed (numbers with the column's decimals; null → "–"). */
void report_format_cell(const cJSON *column, const cJSON *row, char *buf, size_t n);
/* Background colour of a styled cell (verdict / tier); 0 when the cell is not coloured. */
int report_cell_rgb(const cJSON *column, const char *text, double rgb[3]);
/* Draw the DVH block into the box (0,0)-(w,h) of cr (points). */
void report_draw_dvh(cairo_t *cr, const cJSON *dvh, double w, double h);
/* Draw text with pango at (x,y), wrapped to width (pt, <=0: no wrap); returns its height. */
double report_draw_text(cairo_t *cr, double x, double y, double width, const char *text,
                        const char *font, const double rgb[3]);
/* Unwrapped width of text (pt). */
double report_text_width(cairo_t *cr, const char *text, const char *font);
double report_text_height(cairo_t *cr, double width, const char *text, const char *font);
/* Growable byte buffer that cairo streams (SVG, PNG) write into; oom is set on allocation failure
 * and the stream then reports CAIRO_STATUS_WRITE_ERROR. Free p when done. */
typedef struct {
  unsigned char *p;
  size_t n, cap;
  int oom;
} report_membuf;
cairo_status_t report_membuf_write(void *closure, const unsigned char *data, unsigned int len);

/* Curve colour for curve i of a plot, from its kind. */
void report_curve_style(const char *kind, int i, double rgb[3], double *line_width, int *dashed);

#endif
