/* demons.c — diffeomorphic demons deformable registration (Vercauteren et al., NeuroImage
 * 2009;45:S61) for CT→CT re-planning (issue #5).
 *
 * Per level of a coarse-to-fine pyramid, with W(x) = M(x + s(x)) the warped moving image:
 *   J = (∇F + ∇W)/2 (symmetric / ESM forces) or ∇F,   d = F − W
 *   v = d·J / (|J|² + d²/K),  K = max_step²     (|v| ≤ max_step/2 by construction)
 *   v ← G_fluid * v;   v ← exp(v) by scaling and squaring;   s ← v + s∘(x + v)  (φ ← φ∘exp v)
 *   s ← G_diffusion * s
 * Convention: s lives on the fixed grid and pulls (moving point = x + s(x)), rert/register.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"
#include "register/reg_pyramid.h"

void reg_demons_opts_default(reg_demons_opts *o) {
  memset(o, 0, sizeof *o);
  o->levels = 3;
  o->iterations[0] = 40, o->iterations[1] = 20, o->iterations[2] = 5;
  for (int l = 3; l < 8; l++) o->iterations[l] = 20;
  o->sigma_fluid_mm = 3.0;
  o->sigma_diffusion_mm = 6.0;
  o->max_step_mm = 2.0;
  o->hu_min = -1000;
  o->hu_max = 1500;
  o->symmetric = 1;
  o->grid_mm = 2.0;
  o->sigma_scale_levels = 1;
}

static void field_resample(const rert_vfield *src, const rert_volume *g, float *dst) {
  reg_grid gs, gg;
  reg_grid_from_vfield(&gs, src);
  reg_grid_from_volume(&gg, g);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < g->nz; k++)
    for (int j = 0; j < g->ny; j++)
      for (int i = 0; i < g->nx; i++) {
        double x[3], p[3], u[3];
        reg_grid_world(&gg, i, j, k, x);
        reg_grid_index(&gs, x, p);
        reg_interp_vec(src->u_mm, gs.n, p, u);
        float *d = dst + 3 * (i + (size_t)g->nx * (j + (size_t)g->ny * k));
        for (int a = 0; a < 3; a++) d[a] = (float)u[a];
      }
}

/* out(x) = a(x) + b(x + a(x)), all on grid g (out may not alias a or b) */
static void compose_on(const reg_grid *g, const float *a, const float *b, float *out) {
#pragma omp parallel for schedule(static)
  for (int k = 0; k < g->n[2]; k++)
    for (int j = 0; j < g->n[1]; j++)
      for (int i = 0; i < g->n[0]; i++) {
        size_t idx = i + (size_t)g->n[0] * (j + (size_t)g->n[1] * k);
        const float *av = a + 3 * idx;
        double p[3], bv[3];
        /* index-space displacement = ainv · a */
        for (int r = 0; r < 3; r++)
          p[r] = (r == 0 ? i : r == 1 ? j : k) + g->ainv[3 * r] * av[0] + g->ainv[3 * r + 1] * av[1] +
                 g->ainv[3 * r + 2] * av[2];
        reg_interp_vec(b, g->n, p, bv);
        for (int c = 0; c < 3; c++) out[3 * idx + c] = (float)(av[c] + bv[c]);
      }
}

int reg_demons(const rert_volume *fixed, const rert_volume *moving, const rert_volume *mask,
               const reg_demons_opts *opt, const rert_vfield *init, rert_vfield *out, rert_err *err) {
  reg_demons_opts o;
  if (opt) o = *opt;
  else reg_demons_opts_default(&o);
  if (o.levels < 1) o.levels = 1;
  if (o.levels > 8) o.levels = 8;
  double K = o.max_step_mm * o.max_step_mm;
  rert_vfield prev;
  memset(&prev, 0, sizeof prev);
  int have_prev = 0, rc = RERT_OK;
  double base = fmax(fmin(fixed->spacing_mm[0], fixed->spacing_mm[1]), o.grid_mm);
  /* resample both images once onto the finest working grid; coarser levels are derived from
   * those (smoothing a 512² CT once instead of once per level) */
  rert_volume Fb, Mb;
  {
    double tb[3] = {base, base, base};
    rc = reg_resample_coarse(fixed, tb, (float)o.hu_min, (float)o.hu_max, &Fb, err);
    if (rc) return rc;
    rc = reg_resample_coarse(moving, tb, (float)o.hu_min, (float)o.hu_max, &Mb, err);
    if (rc) {
      volume_free(&Fb);
      return rc;
    }
  }
  fixed = &Fb;
  moving = &Mb;
  for (int l = o.levels - 1; l >= 0; l--) {
    double f = (double)(1 << l);
    double target[3] = {base * f, base * f, base * f};
    rert_volume F, M, W;
    memset(&W, 0, sizeof W);
    rc = reg_resample_coarse(fixed, target, (float)o.hu_min, (float)o.hu_max, &F, err);
    if (rc) break;
    rc = reg_resample_coarse(moving, target, (float)o.hu_min, (float)o.hu_max, &M, err);
    if (rc) {
      volume_free(&F);
      break;
    }
    size_t n = volume_count(&F);
    rert_vfield s;
    memset(&s, 0, sizeof s);
    rc = reg_vfield_alloc_like(&s, &F, err);
    unsigned char *mk = mask ? malloc(n) : NULL;
    float *gF = malloc(sizeof(float) * 3 * n), *gW = malloc(sizeof(float) * 3 * n);
    float *v = malloc(sizeof(float) * 3 * n), *tmp = malloc(sizeof(float) * 3 * n);
    if (!rc) rc = volume_alloc_like(&W, &F, err);
    if (!rc && (!gF || !gW || !v || !tmp || (mask && !mk)))
      rc = rert_err_set(err, RERT_EINTERNAL, "demons: out of memory at level %d (%zu voxels)", o.levels - l, n);
    if (rc) {
      free(mk), free(gF), free(gW), free(v), free(tmp);
      volume_free(&F), volume_free(&M), volume_free(&W), rtdata_free_vfield(&s);
      break;
    }
    reg_grid gf, gm;
    reg_grid_from_volume(&gf, &F);
    reg_grid_from_volume(&gm, &M);
    if (mask) {
      reg_grid gk;
      reg_grid_from_volume(&gk, mask);
      for (int k = 0; k < F.nz; k++)
        for (int j = 0; j < F.ny; j++)
          for (int i = 0; i < F.nx; i++) {
            double x[3], p[3];
            reg_grid_world(&gf, i, j, k, x);
            reg_grid_index(&gk, x, p);
            mk[i + (size_t)F.nx * (j + (size_t)F.ny * k)] = reg_interp_nearest(mask->data, gk.n, p, 0) != 0;
          }
    }
    if (have_prev) field_resample(&prev, &F, s.u_mm);
    else if (init) field_resample(init, &F, s.u_mm);
    rtdata_free_vfield(&prev);
    have_prev = 0;
    reg_gradient_world(&F, gF);
    int nf[3] = {F.nx, F.ny, F.nz};
    int iters = o.iterations[o.levels - 1 - l];
    double minsp = fmin(F.spacing_mm[0], fmin(F.spacing_mm[1], F.spacing_mm[2]));
    double mse = 0;
    /* σ are given for the finest level and scale with the grid (constant in voxels, as in
     * ITK/plastimatch demons): coarse levels smooth more in mm, capturing global motion */
    double sig_scale = o.sigma_scale_levels ? f : 1.0;
    for (int it = 0; it <= iters; it++) {
      /* warp */
      double sse = 0;
#pragma omp parallel for schedule(static) reduction(+ : sse)
      for (int k = 0; k < F.nz; k++)
        for (int j = 0; j < F.ny; j++)
          for (int i = 0; i < F.nx; i++) {
            size_t idx = i + (size_t)F.nx * (j + (size_t)F.ny * k);
            double x[3], p[3];
            reg_grid_world(&gf, i, j, k, x);
            for (int a = 0; a < 3; a++) x[a] += s.u_mm[3 * idx + a];
            reg_grid_index(&gm, x, p);
            float w = reg_interp_scalar(M.data, gm.n, p, (float)o.hu_min);
            W.data[idx] = w;
            double d = F.data[idx] - w;
            if (!mk || mk[idx]) sse += d * d;
          }
      mse = sse / (double)n;
      if (o.verbose && (it % 10 == 0 || it == iters))
        fprintf(stderr, "rert register: demons level %d/%d (%.2f mm, %dx%dx%d) iter %3d/%d  RMS %.1f HU\n",
                o.levels - l, o.levels, F.spacing_mm[0], F.nx, F.ny, F.nz, it, iters, sqrt(mse));
      if (it == iters) break;
      if (o.symmetric) reg_gradient_world(&W, gW);
      /* demons force */
      double vmax = 0;
#pragma omp parallel for schedule(static) reduction(max : vmax)
      for (size_t idx = 0; idx < n; idx++) {
        float *vv = v + 3 * idx;
        if (mk && !mk[idx]) {
          vv[0] = vv[1] = vv[2] = 0;
          continue;
        }
        double d = F.data[idx] - W.data[idx], J[3];
        for (int a = 0; a < 3; a++)
          J[a] = o.symmetric ? 0.5 * (gF[3 * idx + a] + gW[3 * idx + a]) : gF[3 * idx + a];
        double den = J[0] * J[0] + J[1] * J[1] + J[2] * J[2] + d * d / K;
        if (den < 1e-9) {
          vv[0] = vv[1] = vv[2] = 0;
          continue;
        }
        double sc = d / den;
        double m2 = 0;
        for (int a = 0; a < 3; a++) {
          vv[a] = (float)(sc * J[a]);
          m2 += vv[a] * vv[a];
        }
        if (m2 > vmax) vmax = m2;
      }
      reg_gauss_smooth(v, 3, nf, F.spacing_mm, o.sigma_fluid_mm * sig_scale);
      /* exp(v): scaling and squaring until each step is < half the smallest voxel */
      vmax = sqrt(vmax);
      int nsq = 0;
      while (vmax / (double)(1 << nsq) > 0.5 * minsp && nsq < 10) nsq++;
      if (nsq) {
        float sc = 1.0f / (float)(1 << nsq);
        for (size_t q = 0; q < 3 * n; q++) v[q] *= sc;
        for (int q = 0; q < nsq; q++) {
          compose_on(&gf, v, v, tmp);
          float *t = v;
          v = tmp, tmp = t;
        }
      }
      /* s ← v + s∘(x + v) */
      compose_on(&gf, v, s.u_mm, tmp);
      float *t = s.u_mm;
      s.u_mm = tmp, tmp = t;
      reg_gauss_smooth(s.u_mm, 3, nf, F.spacing_mm, o.sigma_diffusion_mm * sig_scale);
    }
    free(mk), free(gF), free(gW), free(v), free(tmp);
    volume_free(&F), volume_free(&M), volume_free(&W);
    prev = s;
    have_prev = 1;
  }
  volume_free(&Fb), volume_free(&Mb);
  if (rc) {
    rtdata_free_vfield(&prev);
    return rc;
  }
  *out = prev;
  return RERT_OK;
}
