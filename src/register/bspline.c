/* bspline.c — cubic B-spline free-form deformation registration (Rueckert et al., IEEE TMI
 * 1999;18:712), the smooth model of the built-in engine (issue #14; docs/register.md).
 *
 * The field u(x) = Σ c_m β³(x/h − m) lives on a uniform control grid of spacing h (mm) aligned
 * with the working grid; the cost is the mean squared HU difference between F(x) and
 * M(x + u₀(x) + u(x)) over the mask (u₀: the result of the previous, coarser level, so each level
 * adds a finer correction) plus λ times the mean squared difference of neighbouring coefficients
 * (a membrane on the coefficients; it keeps homogeneous regions from drifting without biasing a
 * smooth field the image does support). The gradient is exact (adjoint of the separable B-spline
 * evaluation); the optimiser is ITK's L-BFGS (reg_itk.h). Why a B-spline and not only demons:
 * demons' Gaussian smoothing of the total field shrinks large smooth displacements wherever the
 * image has little texture (measured in docs/register.md); a coarse-to-fine B-spline has no
 * such bias, and the demons step that follows only refines a small residual.
 *
 * Evaluation is separable: T1 = Bz·C, T2 = By·T1, U = Bx·T2 (4 taps per axis per voxel); the
 * gradient applies the transposes in reverse order. Storage is x fastest everywhere. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"
#include "register/reg_itk.h"
#include "register/reg_pyramid.h"
#include <time.h>

static double bs_now(void) { /* process CPU time: wall time means little on a shared machine */
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

void reg_bspline_opts_default(reg_bspline_opts *o) {
  memset(o, 0, sizeof *o);
  o->levels = 3;
  /* The schedule for CTs coarser than 2 mm in-plane; finer CTs get the pipeline's full-resolution
   * schedule instead (reg_pipeline_run, docs/register.md). */
  static const double img[3] = {6.0, 3.0, 2.0}, ctl[3] = {40.0, 20.0, 10.0};
  for (int l = 0; l < 3; l++) {
    o->image_mm[l] = img[l];
    o->control_mm[l] = ctl[l];
    o->max_evals[l] = 60;
  }
  o->lambda = 0.02;
  o->hu_min = -1000;
  o->hu_max = 1500;
}

/* per-axis tap table: voxel t → first control index and 4 weights */
typedef struct {
  int n, m;       /* voxels, control points (incl. padding) */
  int *base;      /* [n] */
  float *w;       /* [4n] */
} axis_taps;

static int taps_make(axis_taps *t, int n, double sp, double h) {
  double s = h / sp; /* control spacing in voxels */
  if (s < 1) s = 1;
  int cells = (int)floor((n - 1) / s) + 1;
  t->n = n;
  t->m = cells + 3;
  t->base = malloc(sizeof(int) * n);
  t->w = malloc(sizeof(float) * 4 * n);
  if (!t->base || !t->w) return -1;
  for (int i = 0; i < n; i++) {
    double u = i / s;
    int b = (int)floor(u);
    if (b > cells - 1) b = cells - 1;
    double f = u - b, f2 = f * f, f3 = f2 * f;
    t->base[i] = b;
    t->w[4 * i + 0] = (float)((1 - f) * (1 - f) * (1 - f) / 6.0);
    t->w[4 * i + 1] = (float)((3 * f3 - 6 * f2 + 4) / 6.0);
    t->w[4 * i + 2] = (float)((-3 * f3 + 3 * f2 + 3 * f + 1) / 6.0);
    t->w[4 * i + 3] = (float)(f3 / 6.0);
  }
  return 0;
}
static void taps_free(axis_taps *t) { free(t->base), free(t->w); }

typedef struct {
  const rert_volume *F, *M;   /* level images (fixed on the working grid; moving on its own) */
  const float *gM;            /* world gradient of M, 3 per voxel */
  const unsigned char *mask;  /* working grid, 1 = counts */
  const float *u0;            /* previous total field on the working grid */
  reg_grid gf, gm;
  axis_taps tx, ty, tz;
  float *T1, *T2, *U, *GU;    /* work buffers (3 components) */
  double lambda;
  size_t nmask;
  double last_ssd;
  float outside;
} bs_ctx;

/* U = B(C) */
static void bs_eval(bs_ctx *c, const double *C) {
  int mx = c->tx.m, my = c->ty.m, nx = c->tx.n, ny = c->ty.n, nz = c->tz.n;
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nz; k++) {
    const float *w = c->tz.w + 4 * k;
    int b = c->tz.base[k];
    float *t1 = c->T1 + (size_t)3 * mx * my * k;
    for (size_t q = 0; q < (size_t)3 * mx * my; q++) {
      const size_t pl = (size_t)3 * mx * my;
      t1[q] = (float)(w[0] * C[(size_t)b * pl + q] + w[1] * C[(size_t)(b + 1) * pl + q] +
                      w[2] * C[(size_t)(b + 2) * pl + q] + w[3] * C[(size_t)(b + 3) * pl + q]);
    }
  }
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++) {
      const float *w = c->ty.w + 4 * j;
      int b = c->ty.base[j];
      const float *s = c->T1 + (size_t)3 * mx * (my * (size_t)k + b);
      float *d = c->T2 + (size_t)3 * mx * (ny * (size_t)k + j);
      size_t rl = (size_t)3 * mx;
      for (size_t q = 0; q < rl; q++) d[q] = w[0] * s[q] + w[1] * s[rl + q] + w[2] * s[2 * rl + q] + w[3] * s[3 * rl + q];
    }
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++) {
      const float *s = c->T2 + (size_t)3 * mx * (ny * (size_t)k + j);
      float *d = c->U + (size_t)3 * nx * (ny * (size_t)k + j);
      for (int i = 0; i < nx; i++) {
        const float *w = c->tx.w + 4 * i;
        const float *p = s + 3 * c->tx.base[i];
        for (int a = 0; a < 3; a++) d[3 * i + a] = w[0] * p[a] + w[1] * p[3 + a] + w[2] * p[6 + a] + w[3] * p[9 + a];
      }
    }
}

/* G (coefficient gradient) += Bᵀ(GU) */
static void bs_adjoint(bs_ctx *c, double *G) {
  int mx = c->tx.m, my = c->ty.m, mz = c->tz.m, nx = c->tx.n, ny = c->ty.n, nz = c->tz.n;
  memset(c->T2, 0, sizeof(float) * 3 * (size_t)mx * ny * nz);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++) {
      const float *s = c->GU + (size_t)3 * nx * (ny * (size_t)k + j);
      float *d = c->T2 + (size_t)3 * mx * (ny * (size_t)k + j);
      for (int i = 0; i < nx; i++) {
        const float *w = c->tx.w + 4 * i;
        float *p = d + 3 * c->tx.base[i];
        for (int a = 0; a < 3; a++) {
          float g = s[3 * i + a];
          p[a] += w[0] * g, p[3 + a] += w[1] * g, p[6 + a] += w[2] * g, p[9 + a] += w[3] * g;
        }
      }
    }
  memset(c->T1, 0, sizeof(float) * 3 * (size_t)mx * my * nz);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++) {
      const float *w = c->ty.w + 4 * j;
      int b = c->ty.base[j];
      const float *s = c->T2 + (size_t)3 * mx * (ny * (size_t)k + j);
      float *d = c->T1 + (size_t)3 * mx * (my * (size_t)k + b);
      size_t rl = (size_t)3 * mx;
      for (size_t q = 0; q < rl; q++) {
        float g = s[q];
        d[q] += w[0] * g, d[rl + q] += w[1] * g, d[2 * rl + q] += w[2] * g, d[3 * rl + q] += w[3] * g;
      }
    }
  size_t pl = (size_t)3 * mx * my;
  (void)mz;
#pragma omp parallel for schedule(static)
  for (size_t q = 0; q < pl; q++)
    for (int k = 0; k < nz; k++) {
      const float *w = c->tz.w + 4 * k;
      int b = c->tz.base[k];
      float g = c->T1[(size_t)k * pl + q];
      if (g == 0) continue;
      for (int t = 0; t < 4; t++) G[(size_t)(b + t) * pl + q] += w[t] * g;
    }
}

static double bs_cost(const double *C, double *G, void *user) {
  bs_ctx *c = user;
  int nx = c->tx.n, ny = c->ty.n, nz = c->tz.n;
  bs_eval(c, C);
  double ssd = 0;
  double inv_n = c->nmask ? 1.0 / (double)c->nmask : 0;
#pragma omp parallel for schedule(static) reduction(+ : ssd)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        size_t idx = i + (size_t)nx * (j + (size_t)ny * k);
        float *gu = c->GU + 3 * idx;
        if (!c->mask[idx]) {
          gu[0] = gu[1] = gu[2] = 0;
          continue;
        }
        double x[3], p[3], g[3];
        reg_grid_world(&c->gf, i, j, k, x);
        for (int a = 0; a < 3; a++) x[a] += c->u0[3 * idx + a] + c->U[3 * idx + a];
        reg_grid_index(&c->gm, x, p);
        /* beyond the moving field of view the border value is read (as in reg_rigid): the cost is
         * then constant along the clamped axes, so their gradient component is 0 and the others
         * stay exact (a zeroed gradient there stalls the line search) */
        int clamped[3];
        for (int a = 0; a < 3; a++) {
          clamped[a] = 0;
          if (p[a] < 0) p[a] = 0, clamped[a] = 1;
          if (p[a] > c->gm.n[a] - 1) p[a] = c->gm.n[a] - 1, clamped[a] = 1;
        }
        double gi[3];
        double m = reg_interp_scalar_grad(c->M->data, c->gm.n, p, gi);
        double r = m - c->F->data[idx];
        ssd += r * r;
        /* index gradient of the interpolant → world (∂p/∂x = ainv); the clamped axes read the
         * border value, constant along them, so their component is 0 */
        for (int a = 0; a < 3; a++)
          if (clamped[a]) gi[a] = 0;
        for (int b = 0; b < 3; b++) g[b] = c->gm.ainv[3 * 0 + b] * gi[0] + c->gm.ainv[3 * 1 + b] * gi[1] + c->gm.ainv[3 * 2 + b] * gi[2];
        for (int a = 0; a < 3; a++) gu[a] = (float)(2.0 * r * g[a] * inv_n);
      }
  ssd *= inv_n;
  c->last_ssd = ssd;
  size_t ncoef = (size_t)3 * c->tx.m * c->ty.m * c->tz.m;
  memset(G, 0, sizeof(double) * ncoef);
  bs_adjoint(c, G);
  /* membrane on the coefficients: λ · mean over neighbour pairs of |Δc|², in HU²/mm² units so
   * that λ is comparable across levels (SSD is HU²) */
  double reg = 0;
  if (c->lambda > 0) {
    int m[3] = {c->tx.m, c->ty.m, c->tz.m};
    size_t st[3] = {3, (size_t)3 * m[0], (size_t)3 * m[0] * m[1]};
    double npairs = 0;
    for (int a = 0; a < 3; a++) npairs += (double)(m[a] - 1) * m[(a + 1) % 3] * m[(a + 2) % 3] * 3;
    double w = c->lambda * 1e4 / (npairs > 0 ? npairs : 1); /* 1e4: 100 HU per mm of mismatch */
    for (int kz = 0; kz < m[2]; kz++)
      for (int ky = 0; ky < m[1]; ky++)
        for (int kx = 0; kx < m[0]; kx++) {
          size_t b = 3 * (kx + (size_t)m[0] * (ky + (size_t)m[1] * kz));
          int q[3] = {kx, ky, kz};
          for (int a = 0; a < 3; a++) {
            if (q[a] + 1 >= m[a]) continue;
            for (int cc = 0; cc < 3; cc++) {
              double d = C[b + st[a] + cc] - C[b + cc];
              reg += w * d * d;
              G[b + st[a] + cc] += 2 * w * d;
              G[b + cc] -= 2 * w * d;
            }
          }
        }
  }
  return ssd + reg;
}

int reg_bspline(const rert_volume *fixed, const rert_volume *moving, const rert_volume *mask, const reg_bspline_opts *opt,
                const rert_vfield *init, rert_vfield *out, rert_err *err) {
  reg_bspline_opts o;
  if (opt) o = *opt;
  else reg_bspline_opts_default(&o);
  if (o.levels < 1 || o.levels > 8) return rert_err_set(err, RERT_EINPUT, "bspline: levels must be 1..8");
  rert_vfield prev;
  memset(&prev, 0, sizeof prev);
  int have_prev = 0, rc = RERT_OK;
  for (int l = 0; l < o.levels && !rc; l++) {
    double tl0 = bs_now();
    double target[3] = {o.image_mm[l], o.image_mm[l], o.image_mm[l]};
    rert_volume F, M;
    memset(&F, 0, sizeof F), memset(&M, 0, sizeof M);
    if ((rc = reg_resample_coarse(fixed, target, (float)o.hu_min, (float)o.hu_max, &F, err))) break;
    if ((rc = reg_resample_coarse(moving, target, (float)o.hu_min, (float)o.hu_max, &M, err))) {
      volume_free(&F);
      break;
    }
    bs_ctx c;
    memset(&c, 0, sizeof c);
    c.F = &F, c.M = &M, c.lambda = o.lambda, c.outside = (float)o.hu_min;
    reg_grid_from_volume(&c.gf, &F);
    reg_grid_from_volume(&c.gm, &M);
    size_t n = volume_count(&F), nm = volume_count(&M);
    rert_vfield s;
    memset(&s, 0, sizeof s);
    unsigned char *mk = malloc(n);
    float *gM = malloc(sizeof(float) * 3 * nm);
    double *C = NULL;
    rc = reg_vfield_alloc_like(&s, &F, err);
    int bad = !mk || !gM || rc;
    if (!bad) bad = taps_make(&c.tx, F.nx, F.spacing_mm[0], o.control_mm[l]) ||
                    taps_make(&c.ty, F.ny, F.spacing_mm[1], o.control_mm[l]) ||
                    taps_make(&c.tz, F.nz, F.spacing_mm[2], o.control_mm[l]);
    size_t ncoef = bad ? 0 : (size_t)3 * c.tx.m * c.ty.m * c.tz.m;
    if (!bad) {
      c.T1 = malloc(sizeof(float) * 3 * (size_t)c.tx.m * c.ty.m * F.nz);
      c.T2 = malloc(sizeof(float) * 3 * (size_t)c.tx.m * F.ny * F.nz);
      c.U = malloc(sizeof(float) * 3 * n);
      c.GU = malloc(sizeof(float) * 3 * n);
      C = calloc(ncoef, sizeof(double));
      bad = !c.T1 || !c.T2 || !c.U || !c.GU || !C;
    }
    if (bad && !rc) rc = rert_err_set(err, RERT_EINTERNAL, "bspline: out of memory at level %d (%zu voxels)", l + 1, n);
    if (!rc) {
      /* mask on the level grid (nearest); all voxels when none */
      size_t cnt = 0;
      reg_grid gk;
      if (mask) reg_grid_from_volume(&gk, mask);
      for (int k = 0; k < F.nz; k++)
        for (int j = 0; j < F.ny; j++)
          for (int i = 0; i < F.nx; i++) {
            size_t idx = i + (size_t)F.nx * (j + (size_t)F.ny * k);
            unsigned char v = 1;
            if (mask) {
              double x[3], p[3];
              reg_grid_world(&c.gf, i, j, k, x);
              reg_grid_index(&gk, x, p);
              v = reg_interp_nearest(mask->data, gk.n, p, 0) != 0;
            }
            mk[idx] = v;
            cnt += v;
          }
      c.mask = mk, c.nmask = cnt;
      reg_gradient_world(&M, gM);
      c.gM = gM;
      /* previous total field (or init) on this level's grid */
      const rert_vfield *src = have_prev ? &prev : init;
      if (src) {
        reg_grid gs;
        reg_grid_from_vfield(&gs, src);
#pragma omp parallel for schedule(static)
        for (int k = 0; k < F.nz; k++)
          for (int j = 0; j < F.ny; j++)
            for (int i = 0; i < F.nx; i++) {
              double x[3], p[3], u[3];
              reg_grid_world(&c.gf, i, j, k, x);
              reg_grid_index(&gs, x, p);
              reg_interp_vec(src->u_mm, gs.n, p, u);
              float *d = s.u_mm + 3 * (i + (size_t)F.nx * (j + (size_t)F.ny * k));
              for (int a = 0; a < 3; a++) d[a] = (float)u[a];
            }
      }
      c.u0 = s.u_mm;
      if (cnt) {
        reg_lbfgs_opts lo = {o.max_evals[l], 5, 0.9, 1e-7};
        int evals = 0;
        double f0 = 0, f1 = 0, *g0 = malloc(sizeof(double) * ncoef);
        if (g0) {
          f0 = bs_cost(C, g0, &c);
          free(g0);
        }
        double ssd0 = c.last_ssd;
        rc = reg_lbfgs_minimize((int)ncoef, C, bs_cost, &c, &lo, &evals, &f1, err);
        if (!rc) {
          bs_eval(&c, C);
          for (size_t q = 0; q < 3 * n; q++) s.u_mm[q] += c.U[q];
          if (o.verbose)
            fprintf(stderr, "rert register: B-spline level %d/%d (image %.1f mm, %dx%dx%d; control %.0f mm, %d coefficients): "
                            "%d evaluations, RMS %.1f → %.1f HU (cost %.4g → %.4g), %.2f s CPU\n",
                    l + 1, o.levels, F.spacing_mm[0], F.nx, F.ny, F.nz, o.control_mm[l], (int)ncoef, evals, sqrt(ssd0),
                    sqrt(c.last_ssd), f0, f1, bs_now() - tl0);
        }
      }
    }
    taps_free(&c.tx), taps_free(&c.ty), taps_free(&c.tz);
    free(c.T1), free(c.T2), free(c.U), free(c.GU), free(C), free(mk), free(gM);
    volume_free(&F), volume_free(&M);
    if (rc) {
      rtdata_free_vfield(&s);
      break;
    }
    rtdata_free_vfield(&prev);
    prev = s;
    have_prev = 1;
  }
  if (rc) {
    rtdata_free_vfield(&prev);
    return rc;
  }
  *out = prev;
  return RERT_OK;
}
