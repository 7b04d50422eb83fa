/* doseresp_plot.c — SVG of dose–response fits (rert/doseresp.h): left, the fitted curves of
 * every series with the primary series' observed rates in groups of the metric (Wilson
 * intervals); right, the calibration plot of the primary series (observed vs mean predicted risk
 * per group of predicted risk, with the identity line). Self-contained SVG 1.1, written
 * atomically, in the style of the survival plots (survplot.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/doseresp.h"
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

typedef struct {
  double L, T, W, H, x0, x1;
} panel;

static double px(const panel *p, double x) { return p->L + (x - p->x0) / (p->x1 - p->x0) * p->W; }
static double py(const panel *p, double y) { return p->T + (1 - y) * p->H; }

static double nice_step(double span) {
  double raw = span / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;
  return (r >= 7 ? 10 : r >= 3 ? 5 : r >= 1.5 ? 2 : 1) * mag;
}

static void axes(FILE *f, const panel *p, const char *xlabel, const char *ylabel) {
  for (int i = 0; i <= 5; i++) {
    double v = i / 5.0;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
            p->L, py(p, v), p->L + p->W, py(p, v), p->L - 6, py(p, v) + 4, v);
  }
  double st = nice_step(p->x1 - p->x0);
  for (double t = ceil(p->x0 / st) * st; t <= p->x1 + 1e-9 * st; t += st)
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
            px(p, t), py(p, 0), px(p, t), py(p, 0) + 5, px(p, t), py(p, 0) + 19, t);
  fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n",
          p->L, p->T, p->W, p->H);
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", p->L + p->W / 2, p->T + p->H + 38);
  xml_text(f, xlabel);
  fprintf(f, "</text>\n<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">",
          p->L - 42, p->T + p->H / 2);
  xml_text(f, ylabel);
  fputs("</text>\n", f);
}

static void errbar(FILE *f, double x, double y, double lo, double hi, const char *col) {
  fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\"/>"
             "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\"/>\n",
          x, lo, x, hi, col, x, y, col);
}

int dr_plot_svg(const char *path, const char *title, const char *xlabel, const dr_plot_series *s,
                int ns, int primary, int nbins, rert_err *err) {
  if (ns < 1 || primary < 0 || primary >= ns)
    return rert_err_set(err, RERT_EINPUT, "dose-response plot: no series");
  const dr_plot_series *ps = &s[primary];
  /* observed rates in groups of x (equal counts) for the primary series */
  dr_calibration byx, cal;
  double *pred = malloc((ps->n > 0 ? (size_t)ps->n : 1) * sizeof *pred);
  if (!pred) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < ps->n; i++) pred[i] = dr_predict(ps->fit, ps->x[i]);
  int rc = dr_group_by(ps->x, pred, ps->x, ps->y, ps->n, nbins, 0.95, &byx, err);
  free(pred);
  if (rc) return rc;
  if ((rc = dr_calibrate(ps->fit, ps->x, ps->y, ps->n, nbins, 0.95, &cal, err))) {
    dr_calibration_free(&byx);
    return rc;
  }
  double xmin = INFINITY, xmax = -INFINITY;
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < s[k].n; i++) xmin = fmin(xmin, s[k].x[i]), xmax = fmax(xmax, s[k].x[i]);
  double st = nice_step(xmax - xmin > 0 ? xmax - xmin : 1);
  panel a = {80, 60, 380, 330, floor(xmin / st) * st, ceil(xmax / st) * st};
  if (!(a.x1 > a.x0)) a.x1 = a.x0 + 1;
  panel b = {600, 60, 330, 330, 0, 1};
  double Wt = 960, Ht = 60 + 330 + 60 + 22.0 * ns + 20;
  rert_atomic at;
  if ((rc = atomic_open(&at, path, err))) {
    dr_calibration_free(&byx);
    dr_calibration_free(&cal);
    return rc;
  }
  FILE *f = at.f;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
             "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          Wt, Ht, Wt, Ht);
  fprintf(f, "<text x=\"%.1f\" y=\"25\" font-size=\"15\" text-anchor=\"middle\">", Wt / 2);
  xml_text(f, title);
  fputs("</text>\n", f);
  axes(f, &a, xlabel, "probability of the event");
  axes(f, &b, "predicted risk (group mean)", "observed rate");
  fprintf(f, "<text x=\"%.1f\" y=\"50\" text-anchor=\"middle\">dose-response</text>\n", a.L + a.W / 2);
  fprintf(f, "<text x=\"%.1f\" y=\"50\" text-anchor=\"middle\">calibration (%s, %d groups, HL p = %.3g)</text>\n",
          b.L + b.W / 2, ps->label ? ps->label : "", cal.nbins, cal.hl_p);
  /* curves */
  for (int k = 0; k < ns; k++) {
    const char *col = palette[k % 8];
    fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" d=\"", col, k == primary ? "2.5" : "1.5");
    for (int i = 0; i <= 200; i++) {
      double x = a.x0 + (a.x1 - a.x0) * i / 200.0;
      fprintf(f, "%c%.2f,%.2f", i ? 'L' : 'M', px(&a, x), py(&a, dr_predict(s[k].fit, x)));
    }
    fputs("\"/>\n", f);
  }
  for (int g = 0; g < byx.nbins; g++) {
    const dr_bin *bn = &byx.bins[g];
    errbar(f, px(&a, bn->x_mean), py(&a, bn->observed), py(&a, bn->obs_lo), py(&a, bn->obs_hi), "#222");
  }
  /* calibration */
  fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"6,4\"/>\n",
          px(&b, 0), py(&b, 0), px(&b, 1), py(&b, 1));
  for (int g = 0; g < cal.nbins; g++) {
    const dr_bin *bn = &cal.bins[g];
    errbar(f, px(&b, bn->mean_pred), py(&b, bn->observed), py(&b, bn->obs_lo), py(&b, bn->obs_hi),
           palette[primary % 8]);
  }
  /* legend */
  double ly = 60 + 330 + 60;
  for (int k = 0; k < ns; k++) {
    const dr_fit *ft = s[k].fit;
    fprintf(f, "<line x1=\"80\" y1=\"%.1f\" x2=\"110\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>"
               "<text x=\"118\" y=\"%.1f\">",
            ly + 22 * k - 4, ly + 22 * k - 4, palette[k % 8], ly + 22 * k);
    xml_text(f, s[k].label ? s[k].label : "");
    fprintf(f, ": %s TD50 %.2f, gamma50 %.2f, log-likelihood %.3f, AIC %.2f%s</text>\n",
            dr_model_name(ft->model), ft->td50, ft->gamma50, ft->loglik, ft->aic,
            k == primary ? " (points: observed rate by metric group, 95% Wilson)" : "");
  }
  fputs("</svg>\n", f);
  dr_calibration_free(&byx);
  dr_calibration_free(&cal);
  return atomic_commit(&at, err);
}
