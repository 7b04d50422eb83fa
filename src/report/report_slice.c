/* report_slice.c — axial, coronal and sagittal pictures through the recurrence: CT in grey,
 * cumulative-EQD2 isodose lines and organ outlines, as PNG (cairo image surface).
 *
 * Every volume is sampled in world coordinates (trilinear, rert/volume.h), so CT, dose and masks
 * may sit on different grids. The field of view is the dose grid's axis-aligned bounding box.
 * Display conventions (radiological): axial seen from the feet (patient right on the image
 * left, anterior up); coronal seen from the front (right on the left, superior up); sagittal
 * seen from the patient's left (anterior on the left, superior up). Lines are marching-squares
 * contours of the sampled raster (level crossing by linear interpolation along cell edges).
 */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_draw.h"
#include "rert/report.h"

void report_isodose_rgb(int i, int n, unsigned char rgb[3]) {
  static const unsigned char pal[][3] = {{40, 90, 255},  {0, 200, 230}, {40, 210, 60}, {250, 230, 0},
                                         {255, 140, 0},  {240, 20, 20}, {230, 0, 230}};
  int np = (int)(sizeof pal / sizeof pal[0]);
  int k = n <= 1 ? np - 1 : (int)lround((double)i * (np - 1) / (n - 1));
  if (k < 0) k = 0;
  if (k >= np) k = np - 1;
  memcpy(rgb, pal[k], 3);
}


/* pixel (u, v) → world: fixed axis `fa` at c; u along axis ua (sign su); v along va (sign sv) */
typedef struct {
  int ua, va, fa;
  double su, sv;
  double u0, v0, c, mm_per_px;
} plane_map;

static void px_to_world(const plane_map *m, double pu, double pv, double xyz[3]) {
  xyz[m->fa] = m->c;
  xyz[m->ua] = m->u0 + m->su * pu * m->mm_per_px;
  xyz[m->va] = m->v0 + m->sv * pv * m->mm_per_px;
}

static void sample(const rert_volume *v, const plane_map *m, int w, int h, float outside, float *out) {
#pragma omp parallel for schedule(static)
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++) {
      double xyz[3];
      px_to_world(m, i + 0.5, j + 0.5, xyz);
      out[(size_t)j * w + i] = volume_sample_trilinear(v, xyz, outside);
    }
}

/* Marching squares on raster f (w×h, sample at pixel centres) at level L, stroked into cr. */
static void contour(cairo_t *cr, const float *f, int w, int h, double L) {
  for (int j = 0; j + 1 < h; j++)
    for (int i = 0; i + 1 < w; i++) {
      double a = f[(size_t)j * w + i], b = f[(size_t)j * w + i + 1];
      double c = f[(size_t)(j + 1) * w + i + 1], d = f[(size_t)(j + 1) * w + i];
      int ia = a >= L, ib = b >= L, ic = c >= L, id = d >= L;
      if (ia == ib && ib == ic && ic == id) continue;
      double px[4], py[4];
      int n = 0;
      double x0 = i + 0.5, y0 = j + 0.5;
      if (ia != ib) { px[n] = x0 + (L - a) / (b - a); py[n++] = y0; }          /* top edge */
      if (ib != ic) { px[n] = x0 + 1; py[n++] = y0 + (L - b) / (c - b); }      /* right */
      if (ic != id) { px[n] = x0 + (L - d) / (c - d); py[n++] = y0 + 1; }      /* bottom */
      if (id != ia) { px[n] = x0; py[n++] = y0 + (L - a) / (d - a); }          /* left */
      if (n == 2) {
        cairo_move_to(cr, px[0], py[0]);
        cairo_line_to(cr, px[1], py[1]);
      } else if (n == 4) {
        /* saddle: the centre value decides which corners connect */
        int centre = (a + b + c + d) / 4 >= L;
        if (centre == ia) {
          cairo_move_to(cr, px[0], py[0]); cairo_line_to(cr, px[1], py[1]);
          cairo_move_to(cr, px[2], py[2]); cairo_line_to(cr, px[3], py[3]);
        } else {
          cairo_move_to(cr, px[0], py[0]); cairo_line_to(cr, px[3], py[3]);
          cairo_move_to(cr, px[1], py[1]); cairo_line_to(cr, px[2], py[2]);
        }
      }
    }
  cairo_stroke(cr);
}

static const char *plane_name[] = {"axial", "coronal", "sagittal"};

int report_render_slice_png(const report_slice_spec *spec, report_plane plane,
                            unsigned char **png, size_t *png_len, int *width_px, int *height_px,
                            rert_err *err) {
  *png = NULL;
  *png_len = 0;
  const rert_volume *dv = spec->dose;
  if (!dv || !dv->data || dv->nx < 1 || dv->ny < 1 || dv->nz < 1)
    return rert_err_set(err, RERT_EINTERNAL, "report slice: no dose grid");
  if ((int)plane < 0 || plane > REPORT_SAGITTAL)
    return rert_err_set(err, RERT_EINTERNAL, "report slice: bad plane %d", (int)plane);
  /* bounding box of the dose grid in world coordinates (all 8 corners, ± half a voxel) */
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int corner = 0; corner < 8; corner++) {
    double ijk[3] = {corner & 1 ? dv->nx - 0.5 : -0.5, corner & 2 ? dv->ny - 0.5 : -0.5,
                     corner & 4 ? dv->nz - 0.5 : -0.5};
    double xyz[3];
    volume_index_to_world(dv, ijk, xyz);
    for (int a = 0; a < 3; a++) {
      if (xyz[a] < lo[a]) lo[a] = xyz[a];
      if (xyz[a] > hi[a]) hi[a] = xyz[a];
    }
  }
  plane_map m;
  memset(&m, 0, sizeof m);
  switch (plane) {
    case REPORT_AXIAL: m.ua = 0; m.su = 1; m.va = 1; m.sv = 1; m.fa = 2; break;
    case REPORT_CORONAL: m.ua = 0; m.su = 1; m.va = 2; m.sv = -1; m.fa = 1; break;
    default: m.ua = 1; m.su = 1; m.va = 2; m.sv = -1; m.fa = 0; break;
  }
  double ext_u = hi[m.ua] - lo[m.ua], ext_v = hi[m.va] - lo[m.va];
  int max_px = spec->max_px > 16 ? spec->max_px : 480;
  /* one scale for the three planes: the longest side of the dose box spans max_px */
  double ext_max = fmax(hi[0] - lo[0], fmax(hi[1] - lo[1], hi[2] - lo[2]));
  m.mm_per_px = ext_max / max_px;
  if (!(m.mm_per_px > 0)) return rert_err_set(err, RERT_EINTERNAL, "report slice: empty dose grid");
  int w = (int)lround(ext_u / m.mm_per_px), h = (int)lround(ext_v / m.mm_per_px);
  if (w < 8) w = 8;
  if (h < 8) h = 8;
  m.u0 = m.su > 0 ? lo[m.ua] : hi[m.ua];
  m.v0 = m.sv > 0 ? lo[m.va] : hi[m.va];
  m.c = spec->center_mm[m.fa];

  size_t npx = (size_t)w * h;
  float *dose = malloc(npx * sizeof *dose), *tmp = malloc(npx * sizeof *tmp);
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  if (!dose || !tmp || cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    free(dose);
    free(tmp);
    cairo_surface_destroy(s);
    return rert_err_set(err, RERT_EINTERNAL, "report slice: out of memory");
  }
  sample(dv, &m, w, h, 0.0f, dose);

  /* background: CT window, or dark grey where there is no CT */
  cairo_surface_flush(s);
  unsigned char *pix = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  if (spec->background) {
    sample(spec->background, &m, w, h, -1000.0f, tmp);
    double ww = spec->window_width_hu > 1 ? spec->window_width_hu : 400;
    double lo_hu = spec->window_center_hu - ww / 2;
    for (int j = 0; j < h; j++)
      for (int i = 0; i < w; i++) {
        double g = (tmp[(size_t)j * w + i] - lo_hu) / ww;
        g = g < 0 ? 0 : g > 1 ? 1 : g;
        unsigned v = (unsigned)lround(g * 255);
        ((uint32_t *)(pix + (size_t)j * stride))[i] = v << 16 | v << 8 | v;
      }
  } else {
    for (int j = 0; j < h; j++)
      for (int i = 0; i < w; i++) ((uint32_t *)(pix + (size_t)j * stride))[i] = 0x202020;
  }
  cairo_surface_mark_dirty(s);

  cairo_t *cr = cairo_create(s);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  /* organ outlines first, isodose lines on top */
  double ly = 4;
  for (int o = 0; o < spec->noutlines; o++) {
    const report_outline *ol = &spec->outlines[o];
    if (!ol->mask || !ol->mask->data) continue;
    sample(ol->mask, &m, w, h, 0.0f, tmp);
    int present = 0;
    for (size_t q = 0; q < npx && !present; q++) present = tmp[q] >= 0.5f;
    if (!present) continue;
    cairo_set_source_rgb(cr, ol->rgb[0] / 255.0, ol->rgb[1] / 255.0, ol->rgb[2] / 255.0);
    cairo_set_line_width(cr, ol->line_width_px > 0 ? ol->line_width_px : 1.2);
    contour(cr, tmp, w, h, 0.5);
    double rgb[3] = {ol->rgb[0] / 255.0, ol->rgb[1] / 255.0, ol->rgb[2] / 255.0};
    ly += report_draw_text(cr, 4, ly, -1, ol->name, REPORT_FONT " 7", rgb);
  }
  double ry = 4;
  for (int l = 0; l < spec->nlevels; l++) {
    unsigned char c8[3];
    report_isodose_rgb(l, spec->nlevels, c8);
    double rgb[3] = {c8[0] / 255.0, c8[1] / 255.0, c8[2] / 255.0};
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, 1.5);
    contour(cr, dose, w, h, spec->levels_gy[l]);
    char lab[32];
    snprintf(lab, sizeof lab, "%g Gy", spec->levels_gy[l]);
    ry += report_draw_text(cr, w - 4 - report_text_width(cr, lab, REPORT_FONT " 7"), ry, -1, lab,
                           REPORT_FONT " 7", rgb);
  }
  /* marker at the recurrence centre, orientation letters, plane name */
  double cu = (spec->center_mm[m.ua] - m.u0) * m.su / m.mm_per_px;
  double cv = (spec->center_mm[m.va] - m.v0) * m.sv / m.mm_per_px;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, cu - 6, cv);
  cairo_line_to(cr, cu + 6, cv);
  cairo_move_to(cr, cu, cv - 6);
  cairo_line_to(cr, cu, cv + 6);
  cairo_stroke(cr);
  static const char *lr[3][4] = {{"R", "L", "A", "P"}, {"R", "L", "S", "I"}, {"A", "P", "S", "I"}};
  static const double white[3] = {1, 1, 1};
  const char **o = lr[plane];
  report_draw_text(cr, 3, h / 2.0 - 6, -1, o[0], REPORT_FONT " Bold 9", white);
  report_draw_text(cr, w - 11, h / 2.0 - 6, -1, o[1], REPORT_FONT " Bold 9", white);
  report_draw_text(cr, w / 2.0 - 4, 2, -1, o[2], REPORT_FONT " Bold 9", white);
  report_draw_text(cr, w / 2.0 - 4, h - 15, -1, o[3], REPORT_FONT " Bold 9", white);
  char cap[96];
  static const char axis_name[] = "xyz";
  snprintf(cap, sizeof cap, "%s %c = %.1f mm", plane_name[plane], axis_name[m.fa], m.c);
  report_draw_text(cr, 4, h - 14, -1, cap, REPORT_FONT " 7", white);
  cairo_destroy(cr);

  report_membuf pb = {0};
  cairo_status_t st = cairo_surface_write_to_png_stream(s, report_membuf_write, &pb);
  cairo_surface_destroy(s);
  free(dose);
  free(tmp);
  if (st != CAIRO_STATUS_SUCCESS || pb.oom) {
    free(pb.p);
    return rert_err_set(err, RERT_EINTERNAL, "report slice: PNG encoding failed");
  }
  *png = pb.p;
  *png_len = pb.n;
  *width_px = w;
  *height_px = h;
  return RERT_OK;
}
