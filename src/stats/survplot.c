/* survplot.c — SVG step-curve plot with numbers at risk (see survplot.h).
 * Written atomically; self-contained SVG 1.1 with no external fonts or scripts. */
#include "survplot.h"

#include <math.h>
#include <stdio.h>

#include "rert/fileio.h"

static const char *palette[] = {"#1b6ca8", "#d1495b", "#2e933c", "#8d6a9f", "#edae49", "#00798c",
                                "#5c5c5c", "#a05195"};

static void xml_text(FILE *f, const char *s) {
  for (; s && *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

int surv_plot_svg(const char *path, const char *title, const char *ylabel,
                  const rert_plot_curve *c, int nc, const double *ticks, int nticks,
                  rert_err *err) {
  rert_atomic a;
  int rc = atomic_open(&a, path, err);
  if (rc) return rc;
  FILE *f = a.f;
  const double W = 760, L = 90, R = 30, T = 50, PH = 330;
  double tmax = nticks > 0 ? ticks[nticks - 1] : 1;
  for (int k = 0; k < nc; k++)
    if (c[k].nt > 0 && c[k].time[c[k].nt - 1] > tmax) tmax = c[k].time[c[k].nt - 1];
  int nrows = 0;
  for (int k = 0; k < nc; k++) nrows += c[k].at_risk != NULL;
  double H = T + PH + 60 + 20.0 * (nrows + 1) + 20;
  double pw = W - L - R;
#define X(t) (L + (t) / tmax * pw)
#define Y(v) (T + (1 - (v)) * PH)
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
             "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          W, H, W, H);
  fprintf(f, "<text x=\"%.1f\" y=\"25\" font-size=\"15\" text-anchor=\"middle\">", W / 2);
  xml_text(f, title);
  fputs("</text>\n", f);
  /* axes and grid */
  for (int i = 0; i <= 5; i++) {
    double v = i / 5.0;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
            L, Y(v), L + pw, Y(v), L - 6, Y(v) + 4, v);
  }
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L,
          Y(0), L + pw, Y(0));
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L,
          Y(0), L, Y(1));
  for (int i = 0; i < nticks; i++)
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
            X(ticks[i]), Y(0), X(ticks[i]), Y(0) + 5, X(ticks[i]), Y(0) + 19, ticks[i]);
  fprintf(f, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">", 30.0,
          T + PH / 2);
  xml_text(f, ylabel);
  fputs("</text>\n", f);
  /* curves */
  for (int k = 0; k < nc; k++) {
    const char *col = palette[c[k].color % 8];
    const char *dash = c[k].dash == 1 ? " stroke-dasharray=\"8,4\"" : c[k].dash == 2 ? " stroke-dasharray=\"2,3\"" : "";
    fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"M%.2f,%.2f", col, dash,
            X(0.0), Y(c[k].start));
    double prev = c[k].start;
    for (int i = 0; i < c[k].nt; i++) {
      double v = isnan(c[k].value[i]) ? prev : c[k].value[i];
      fprintf(f, " H%.2f V%.2f", X(c[k].time[i]), Y(v));
      prev = v;
    }
    if (c[k].nt > 0) fprintf(f, " H%.2f", X(c[k].time[c[k].nt - 1]));
    fputs("\"/>\n", f);
    for (int i = 0; i < c[k].ncensor; i++) {
      double t = c[k].censor[i], v = c[k].start;
      for (int j = 0; j < c[k].nt && c[k].time[j] <= t; j++)
        if (!isnan(c[k].value[j])) v = c[k].value[j];
      fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\"/>\n", X(t),
              Y(v) - 4, X(t), Y(v) + 4, col);
    }
    /* legend */
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
               "stroke-width=\"2\"%s/><text x=\"%.1f\" y=\"%.1f\">", L + pw - 185,
            T + 13 + 16.0 * k, L + pw - 165, T + 13 + 16.0 * k, col, dash, L + pw - 160,
            T + 17 + 16.0 * k);
    xml_text(f, c[k].label);
    fputs("</text>\n", f);
  }
  /* numbers at risk */
  double ry = Y(0) + 50;
  fprintf(f, "<text x=\"10\" y=\"%.1f\" font-weight=\"bold\">Number at risk</text>\n", ry);
  int row = 0;
  for (int k = 0; k < nc; k++) {
    if (!c[k].at_risk) continue;
    double y = ry + 20 + 20.0 * row++;
    fprintf(f, "<text x=\"10\" y=\"%.1f\" fill=\"%s\">", y, palette[c[k].color % 8]);
    xml_text(f, c[k].risk_label ? c[k].risk_label : c[k].label);
    fputs("</text>\n", f);
    for (int i = 0; i < nticks; i++)
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", X(ticks[i]), y,
              c[k].at_risk[i]);
  }
  fputs("</svg>\n", f);
#undef X
#undef Y
  if (ferror(f)) {
    atomic_abort(&a);
    return rert_err_set(err, RERT_EINTERNAL, "%s: write error", path);
  }
  return atomic_commit(&a, err);
}
