/* rigid.c — intensity-based rigid CT→CT registration (issue #5): sum of squared HU
 * differences minimised by Levenberg–Marquardt over 6 parameters (rotation vector, translation)
 * on a coarse-to-fine pyramid, after aligning the centres of mass of the body (HU > −500).
 * Model: moving point y = R(x − c) + c + t for fixed point x (pull-back), c = fixed body centre.
 * Linearisation: ∂M(y)/∂ω = (R(x − c)) × ∇M(y), ∂M(y)/∂t = ∇M(y). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"
#include "register/reg_pyramid.h"

void reg_rigid_opts_default(reg_rigid_opts *o) {
  o->levels = 3;
  o->iterations = 30;
  o->sample_step_mm = 4.0;
  o->hu_min = -1000;
  o->hu_max = 2000;
  o->verbose = 0;
  o->min_gain = 0.15;
  o->finest_mm = 0;
}

static void body_com(const rert_volume *v, const rert_volume *mask, double c[3]) {
  reg_grid g;
  reg_grid_from_volume(&g, v);
  double s[3] = {0, 0, 0};
  double w = 0;
  for (int k = 0; k < v->nz; k++)
    for (int j = 0; j < v->ny; j++)
      for (int i = 0; i < v->nx; i++) {
        size_t idx = i + (size_t)v->nx * (j + (size_t)v->ny * k);
        if (v->data[idx] <= -500) continue;
        if (mask && mask->data[idx] == 0) continue;
        double x[3];
        reg_grid_world(&g, i, j, k, x);
        for (int a = 0; a < 3; a++) s[a] += x[a];
        w += 1;
      }
  if (w > 0)
    for (int a = 0; a < 3; a++) c[a] = s[a] / w;
  else {
    double mid[3] = {(v->nx - 1) / 2.0, (v->ny - 1) / 2.0, (v->nz - 1) / 2.0};
    volume_index_to_world(v, mid, c);
  }
}

static void rodrigues(const double w[3], double R[9]) {
  double th = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
  double K[9] = {0, -w[2], w[1], w[2], 0, -w[0], -w[1], w[0], 0};
  double a = th > 1e-12 ? sin(th) / th : 1, b = th > 1e-12 ? (1 - cos(th)) / (th * th) : 0.5;
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) {
      double kk = 0;
      for (int q = 0; q < 3; q++) kk += K[3 * r + q] * K[3 * q + c];
      R[3 * r + c] = (r == c) + a * K[3 * r + c] + b * kk;
    }
}

static void to_matrix(const double R[9], const double c[3], const double t[3], double m[16]) {
  memset(m, 0, 16 * sizeof(double));
  for (int r = 0; r < 3; r++) {
    double s = 0;
    for (int q = 0; q < 3; q++) {
      m[4 * r + q] = R[3 * r + q];
      s += R[3 * r + q] * c[q];
    }
    m[4 * r + 3] = c[r] + t[r] - s;
  }
  m[15] = 1;
}

/* cost and normal equations at (R, t) over the sample points */
static double accumulate(const rert_volume *F, const rert_volume *mask, const rert_volume *M, const float *gM,
                         int stride[3], const double R[9], const double c[3], const double t[3], double H[36],
                         double b[6], size_t *nused) {
  reg_grid gf, gm;
  reg_grid_from_volume(&gf, F);
  reg_grid_from_volume(&gm, M);
  double cost = 0;
  double Hs[36] = {0}, bs[6] = {0};
  size_t cnt = 0;
#pragma omp parallel
  {
    double Hl[36] = {0}, bl[6] = {0}, cl = 0;
    size_t nl = 0;
#pragma omp for schedule(static) nowait
    for (int k = 0; k < F->nz; k += stride[2])
      for (int j = 0; j < F->ny; j += stride[1])
        for (int i = 0; i < F->nx; i += stride[0]) {
          size_t idx = i + (size_t)F->nx * (j + (size_t)F->ny * k);
          if (mask && mask->data[idx] == 0) continue;
          double x[3], y[3], p[3], g[3], d[3];
          reg_grid_world(&gf, i, j, k, x);
          for (int r = 0; r < 3; r++) d[r] = x[r] - c[r];
          double yr[3];
          for (int r = 0; r < 3; r++) {
            yr[r] = R[3 * r] * d[0] + R[3 * r + 1] * d[1] + R[3 * r + 2] * d[2];
            y[r] = yr[r] + c[r] + t[r];
          }
          reg_grid_index(&gm, y, p);
          /* points beyond the moving FOV take the nearest border value instead of being
           * dropped: dropping them lets the optimiser lower the mean cost by pushing poorly
           * matching samples out of the FOV (a translation bias along z when the two scans
           * cover different slabs) */
          for (int a = 0; a < 3; a++) p[a] = p[a] < 0 ? 0 : (p[a] > gm.n[a] - 1 ? gm.n[a] - 1 : p[a]);
          float mv = reg_interp_scalar(M->data, gm.n, p, 0);
          if (!gM) {
            double r0 = mv - F->data[idx];
            cl += r0 * r0;
            nl++;
            continue;
          }
          reg_interp_vec(gM, gm.n, p, g);
          double res = mv - F->data[idx];
          double J[6] = {yr[1] * g[2] - yr[2] * g[1], yr[2] * g[0] - yr[0] * g[2], yr[0] * g[1] - yr[1] * g[0],
                         g[0], g[1], g[2]};
          for (int a = 0; a < 6; a++) {
            bl[a] += J[a] * res;
            for (int q = a; q < 6; q++) Hl[6 * a + q] += J[a] * J[q];
          }
          cl += res * res;
          nl++;
        }
#pragma omp critical
    {
      for (int a = 0; a < 36; a++) Hs[a] += Hl[a];
      for (int a = 0; a < 6; a++) bs[a] += bl[a];
      cost += cl;
      cnt += nl;
    }
  }
  for (int a = 0; a < 6; a++)
    for (int q = 0; q < a; q++) Hs[6 * a + q] = Hs[6 * q + a];
  if (H) memcpy(H, Hs, sizeof Hs);
  if (b) memcpy(b, bs, sizeof bs);
  *nused = cnt;
  return cnt ? cost / cnt : INFINITY;
}

static int solve6(double A[36], double b[6], double x[6]) {
  double M[6][7];
  for (int r = 0; r < 6; r++) {
    for (int c = 0; c < 6; c++) M[r][c] = A[6 * r + c];
    M[r][6] = b[r];
  }
  for (int c = 0; c < 6; c++) {
    int piv = c;
    for (int r = c + 1; r < 6; r++)
      if (fabs(M[r][c]) > fabs(M[piv][c])) piv = r;
    if (fabs(M[piv][c]) < 1e-30) return -1;
    for (int q = 0; q < 7; q++) {
      double t = M[c][q];
      M[c][q] = M[piv][q];
      M[piv][q] = t;
    }
    for (int r = 0; r < 6; r++) {
      if (r == c) continue;
      double f = M[r][c] / M[c][c];
      for (int q = c; q < 7; q++) M[r][q] -= f * M[c][q];
    }
  }
  for (int r = 0; r < 6; r++) x[r] = M[r][6] / M[r][r];
  return 0;
}

int reg_rigid(const rert_volume *fixed, const rert_volume *moving, const rert_volume *mask,
              const reg_rigid_opts *opt, const double *init, double m_out[16], double *final_rms,
              rert_err *err) {
  reg_rigid_opts o;
  if (opt) o = *opt;
  else reg_rigid_opts_default(&o);
  if (o.levels < 1) o.levels = 1;
  if (mask && !volume_same_geometry(mask, fixed))
    return rert_err_set(err, RERT_EINPUT, "rigid: mask is not on the fixed image grid");
  double c[3], cm[3], R[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, t[3];
  body_com(fixed, mask, c);
  if (init) {
    /* init = fixed → moving matrix: R = its 3x3, t = M(c) − c */
    double y[3];
    reg_affine_apply(init, c, y);
    for (int r = 0; r < 3; r++) {
      for (int q = 0; q < 3; q++) R[3 * r + q] = init[4 * r + q];
      t[r] = y[r] - c[r];
    }
  } else {
    /* start from identity (same scanner frame: often already close) or from the body centres of
     * mass (different frames); keep whichever matches better at the coarsest level. COM alone
     * is biased when the two scans cut the body at different levels. */
    body_com(moving, NULL, cm);
    for (int a = 0; a < 3; a++) t[a] = cm[a] - c[a];
    double f = (double)(1 << (o.levels - 1)), base = fmin(fixed->spacing_mm[0], fixed->spacing_mm[1]);
    double t0 = o.finest_mm > 0 ? o.finest_mm * f : base * f * 1.5;
    double target[3] = {t0, t0, t0};
    rert_volume F0, M0;
    if (reg_resample_coarse(fixed, target, (float)o.hu_min, (float)o.hu_max, &F0, err) == RERT_OK) {
      if (reg_resample_coarse(moving, target, (float)o.hu_min, (float)o.hu_max, &M0, err) == RERT_OK) {
        int stride[3] = {1, 1, 1};
        size_t nu;
        double z[3] = {0, 0, 0};
        double c_com = accumulate(&F0, NULL, &M0, NULL, stride, R, c, t, NULL, NULL, &nu);
        double c_id = accumulate(&F0, NULL, &M0, NULL, stride, R, c, z, NULL, NULL, &nu);
        if (c_id <= c_com) memcpy(t, z, sizeof z);
        if (o.verbose)
          fprintf(stderr, "rert register: rigid start: %s (RMS %.1f HU; other %.1f HU)\n",
                  c_id <= c_com ? "identity" : "centres of mass", sqrt(fmin(c_id, c_com)), sqrt(fmax(c_id, c_com)));
        volume_free(&M0);
      }
      volume_free(&F0);
    }
  }
  double rms = INFINITY;
  for (int l = o.levels - 1; l >= 0; l--) {
    double f = (double)(1 << l), base = fmin(fixed->spacing_mm[0], fixed->spacing_mm[1]);
    double tl = o.finest_mm > 0 ? o.finest_mm * f : (l == 0 ? 0 : base * f * 1.5);
    double target[3] = {tl, tl, tl};
    rert_volume F, M, Mk;
    memset(&Mk, 0, sizeof Mk);
    int rc = reg_resample_coarse(fixed, target, (float)o.hu_min, (float)o.hu_max, &F, err);
    if (rc) return rc;
    rc = reg_resample_coarse(moving, target, (float)o.hu_min, (float)o.hu_max, &M, err);
    if (rc) {
      volume_free(&F);
      return rc;
    }
    rert_volume Fm;
    const rert_volume *mk = NULL;
    memset(&Fm, 0, sizeof Fm);
    if (mask) { /* nearest-neighbour mask on the level grid */
      rc = volume_alloc_like(&Fm, &F, err);
      if (rc) {
        volume_free(&F), volume_free(&M);
        return rc;
      }
      reg_grid gl, gk;
      reg_grid_from_volume(&gl, &F);
      reg_grid_from_volume(&gk, mask);
      for (int k = 0; k < F.nz; k++)
        for (int j = 0; j < F.ny; j++)
          for (int i = 0; i < F.nx; i++) {
            double x[3], p[3];
            reg_grid_world(&gl, i, j, k, x);
            reg_grid_index(&gk, x, p);
            Fm.data[i + (size_t)F.nx * (j + (size_t)F.ny * k)] = reg_interp_nearest(mask->data, gk.n, p, 0);
          }
      mk = &Fm;
    }
    float *gM = malloc(sizeof(float) * 3 * volume_count(&M));
    if (!gM) {
      volume_free(&F), volume_free(&M), volume_free(&Fm);
      return rert_err_set(err, RERT_EINTERNAL, "rigid: out of memory");
    }
    reg_gradient_world(&M, gM);
    int stride[3];
    for (int a = 0; a < 3; a++) {
      stride[a] = (int)floor(o.sample_step_mm * (l == 0 ? 1 : 1) / F.spacing_mm[a]);
      if (stride[a] < 1) stride[a] = 1;
    }
    double lambda = 1e-3, H[36], b[6];
    size_t nused = 0;
    double cost = accumulate(&F, mk, &M, gM, stride, R, c, t, H, b, &nused);
    int it;
    for (it = 0; it < o.iterations; it++) {
      double A[36], dx[6], nb[6];
      memcpy(A, H, sizeof A);
      for (int a = 0; a < 6; a++) {
        A[7 * a] *= 1 + lambda;
        nb[a] = -b[a];
      }
      if (solve6(A, nb, dx) != 0) break;
      double Rn[9], dR[9], tn[3];
      rodrigues(dx, dR);
      for (int r = 0; r < 3; r++)
        for (int q = 0; q < 3; q++)
          Rn[3 * r + q] = dR[3 * r] * R[q] + dR[3 * r + 1] * R[3 + q] + dR[3 * r + 2] * R[6 + q];
      for (int a = 0; a < 3; a++) tn[a] = t[a] + dx[3 + a];
      double Hn[36], bn[6];
      size_t nn = 0;
      double cn = accumulate(&F, mk, &M, gM, stride, Rn, c, tn, Hn, bn, &nn);
      if (cn < cost) {
        memcpy(R, Rn, sizeof R), memcpy(t, tn, sizeof t), memcpy(H, Hn, sizeof H), memcpy(b, bn, sizeof b);
        double step = sqrt(dx[3] * dx[3] + dx[4] * dx[4] + dx[5] * dx[5]) + 100 * sqrt(dx[0] * dx[0] + dx[1] * dx[1] + dx[2] * dx[2]);
        double rel = (cost - cn) / cost;
        cost = cn;
        lambda = fmax(lambda / 10, 1e-7);
        if (step < 1e-3 || rel < 1e-6) break;
      } else {
        lambda *= 10;
        if (lambda > 1e6) break;
      }
    }
    rms = sqrt(cost);
    /* early exit: at the coarsest level decide whether the scans are already aligned */
    if (l == o.levels - 1 && o.min_gain > 0 && !init) {
      double z[3] = {0, 0, 0}, I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
      size_t nu;
      int all[3] = {1, 1, 1};
      double c_rig = accumulate(&F, mk, &M, NULL, all, R, c, t, NULL, NULL, &nu);
      double c_id = accumulate(&F, mk, &M, NULL, all, I, c, z, NULL, NULL, &nu);
      if (c_rig > (1 - o.min_gain) * c_id) {
        if (o.verbose)
          fprintf(stderr, "rert register: rigid vs identity at the coarsest level: RMS %.1f vs %.1f HU → "
                          "images already aligned, keeping identity\n", sqrt(c_rig), sqrt(c_id));
        free(gM);
        volume_free(&F), volume_free(&M), volume_free(&Fm);
        static const double idm[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
        memcpy(m_out, idm, sizeof idm);
        if (final_rms) *final_rms = sqrt(c_id);
        return RERT_OK;
      }
    }
    if (o.verbose)
      fprintf(stderr, "rert register: rigid level %d (%.1f mm): %d iterations, RMS %.1f HU over %zu samples\n",
              o.levels - l, F.spacing_mm[0], it, rms, nused);
    free(gM);
    volume_free(&F), volume_free(&M), volume_free(&Fm);
  }
  to_matrix(R, c, t, m_out);
  if (final_rms) *final_rms = rms;
  if (o.verbose)
    fprintf(stderr, "rert register: rigid result (fixed → moving): translation at body centre %.2f %.2f %.2f mm, "
                    "rotation %.2f°\n", t[0], t[1], t[2],
            acos(fmax(-1, fmin(1, (R[0] + R[4] + R[8] - 1) / 2))) * 180 / M_PI);
  return RERT_OK;
}
