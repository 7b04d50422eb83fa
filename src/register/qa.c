/* qa.c — registration QA quantities of AAPM TG-132 (Brock et al. 2017): Jacobian determinant
 * statistics and folding, inverse-consistency error, intensity similarity, landmark TRE. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

double reg_percentile(const float *v, size_t n, double pct) {
  if (!n) return NAN;
  float *c = malloc(n * sizeof(float));
  if (!c) return NAN;
  memcpy(c, v, n * sizeof(float));
  qsort(c, n, sizeof(float), cmp_float);
  double pos = pct / 100.0 * (double)(n - 1);
  if (pos < 0) pos = 0;
  if (pos > n - 1) pos = (double)(n - 1);
  size_t lo = (size_t)pos;
  double f = pos - lo, r = lo + 1 < n ? c[lo] + f * (c[lo + 1] - c[lo]) : c[lo];
  free(c);
  return r;
}

int reg_qa_field(const rert_vfield *u, const rert_vfield *w, const rert_volume *mask, reg_qa_stats *s,
                 rert_err *err) {
  memset(s, 0, sizeof *s);
  s->ice_mean_mm = s->ice_p95_mm = s->ice_max_mm = NAN;
  rert_volume dj, mag, ice;
  memset(&ice, 0, sizeof ice);
  int rc = reg_vfield_jacobian(u, &dj, err);
  if (rc) return rc;
  rc = reg_vfield_magnitude(u, &mag, err);
  if (rc) {
    volume_free(&dj);
    return rc;
  }
  if (mask && !volume_same_geometry(mask, &dj)) {
    volume_free(&dj), volume_free(&mag);
    return rert_err_set(err, RERT_EINPUT, "regqa: mask is not on the field's grid");
  }
  if (w) {
    rc = reg_vfield_ice(u, w, &ice, err);
    if (rc) {
      volume_free(&dj), volume_free(&mag);
      return rc;
    }
  }
  size_t n = volume_count(&dj), cnt = 0;
  float *icev = w ? malloc(n * sizeof(float)) : NULL;
  double mn = INFINITY, mx = -INFINITY, sum = 0, msum = 0, mmax = 0, isum = 0, imax = 0;
  for (size_t i = 0; i < n; i++) {
    if (mask && mask->data[i] == 0) continue;
    double d = dj.data[i];
    if (d < mn) mn = d;
    if (d > mx) mx = d;
    sum += d;
    if (d <= 0) s->n_folded++;
    msum += mag.data[i];
    if (mag.data[i] > mmax) mmax = mag.data[i];
    if (w && icev) {
      icev[cnt] = ice.data[i];
      isum += ice.data[i];
      if (ice.data[i] > imax) imax = ice.data[i];
    }
    cnt++;
  }
  s->n_voxels = cnt;
  if (cnt) {
    s->detj_min = mn, s->detj_max = mx, s->detj_mean = sum / cnt;
    s->pct_folded = 100.0 * s->n_folded / cnt;
    s->mag_mean_mm = msum / cnt, s->mag_max_mm = mmax;
    if (w && icev) {
      s->ice_mean_mm = isum / cnt, s->ice_max_mm = imax;
      s->ice_p95_mm = reg_percentile(icev, cnt, 95);
    }
  }
  free(icev);
  volume_free(&dj), volume_free(&mag), volume_free(&ice);
  return RERT_OK;
}

int reg_similarity_compute(const rert_volume *a, const rert_volume *b, const rert_volume *mask,
                           reg_similarity *s, rert_err *err) {
  memset(s, 0, sizeof *s);
  if (!volume_same_geometry(a, b))
    return rert_err_set(err, RERT_EINPUT, "similarity: images are not on the same grid");
  if (mask && !volume_same_geometry(mask, b))
    return rert_err_set(err, RERT_EINPUT, "similarity: mask is not on the image grid");
  size_t n = volume_count(a), cnt = 0;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, sad = 0, ssd = 0;
  for (size_t i = 0; i < n; i++) {
    if (mask && mask->data[i] == 0) continue;
    double x = a->data[i], y = b->data[i];
    if (!isfinite(x) || !isfinite(y)) continue;
    sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
    sad += fabs(x - y), ssd += (x - y) * (x - y);
    cnt++;
  }
  s->n = cnt;
  if (!cnt) return RERT_OK;
  s->mad = sad / cnt;
  s->rms = sqrt(ssd / cnt);
  double va = saa - sa * sa / cnt, vb = sbb - sb * sb / cnt, cab = sab - sa * sb / cnt;
  s->ncc = va > 0 && vb > 0 ? cab / sqrt(va * vb) : NAN;
  return RERT_OK;
}

int reg_landmark_tre(const rert_vfield *u, const double *fx, const double *mx, int n, double *per,
                     reg_tre *t, rert_err *err) {
  memset(t, 0, sizeof *t);
  if (n <= 0) return rert_err_set(err, RERT_EINPUT, "landmarks: no pairs");
  float *e = malloc(sizeof(float) * n);
  if (!e) return rert_err_set(err, RERT_EINTERNAL, "landmarks: out of memory");
  double sum = 0, sum2 = 0, mxe = 0;
  for (int q = 0; q < n; q++) {
    double d[3];
    reg_vfield_sample(u, fx + 3 * q, d);
    double r = 0;
    for (int a = 0; a < 3; a++) {
      double z = fx[3 * q + a] + d[a] - mx[3 * q + a];
      r += z * z;
    }
    r = sqrt(r);
    if (per) per[q] = r;
    e[q] = (float)r;
    sum += r, sum2 += r * r;
    if (r > mxe) mxe = r;
  }
  t->n = n;
  t->mean_mm = sum / n;
  t->sd_mm = n > 1 ? sqrt((sum2 - sum * sum / n) / (n - 1)) : 0;
  t->max_mm = mxe;
  t->p95_mm = reg_percentile(e, n, 95);
  free(e);
  return RERT_OK;
}

int reg_landmarks_read_csv(const char *path, double **fx, double **mx, int *n, rert_err *err) {
  FILE *f = fopen(path, "r");
  if (!f) return rert_err_set(err, RERT_EINPUT, "%s: cannot open", path);
  int cap = 16, cnt = 0, lineno = 0;
  double *a = malloc(sizeof(double) * 3 * cap), *b = malloc(sizeof(double) * 3 * cap);
  char line[1024];
  int rc = RERT_OK;
  while (a && b && fgets(line, sizeof line, f)) {
    lineno++;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '\n' || *p == '\r' || *p == '#') continue;
    double v[7];
    int got = 0;
    char *s = p, *end;
    for (got = 0; got < 7 && *s; got++) {
      v[got] = strtod(s, &end);
      if (end == s) { /* non-numeric field: a name column or a header */
        if (got == 0) {
          char *c = strchr(s, ',');
          if (!c) break;
          s = c + 1;
          got = -1;
          continue;
        }
        break;
      }
      s = end;
      while (*s == ' ' || *s == '\t') s++;
      if (*s == ',' || *s == ';') s++;
    }
    if (got < 6) {
      if (cnt == 0 && got <= 0) continue; /* header line */
      rc = rert_err_set(err, RERT_EINPUT, "%s:%d: expected 6 numbers (x,y,z fixed, x,y,z moving)", path, lineno);
      break;
    }
    if (cnt == cap) {
      cap *= 2;
      double *na = realloc(a, sizeof(double) * 3 * cap), *nb = realloc(b, sizeof(double) * 3 * cap);
      if (na) a = na;
      if (nb) b = nb;
      if (!na || !nb) break;
    }
    int o = got == 7 ? 1 : 0;
    for (int q = 0; q < 3; q++) a[3 * cnt + q] = v[o + q], b[3 * cnt + q] = v[o + 3 + q];
    cnt++;
  }
  fclose(f);
  if (!a || !b) rc = rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
  if (!rc && cnt == 0) rc = rert_err_set(err, RERT_EINPUT, "%s: no landmark pairs", path);
  if (rc) {
    free(a), free(b);
    return rc;
  }
  *fx = a, *mx = b, *n = cnt;
  return RERT_OK;
}

int reg_vfield_error(const rert_vfield *est, const rert_vfield *ref, const rert_volume *mask, reg_vector_error *out,
                     rert_err *err) {
  memset(out, 0, sizeof *out);
  size_t n = reg_vfield_count(ref);
  if (mask && (size_t)mask->nx * mask->ny * mask->nz != n)
    return rert_err_set(err, RERT_EINPUT, "vector error: mask is not on the reference field's grid");
  float *e = malloc(sizeof(float) * (n ? n : 1));
  if (!e) return rert_err_set(err, RERT_EINTERNAL, "vector error: out of memory");
  reg_grid gr, ge;
  reg_grid_from_vfield(&gr, ref);
  reg_grid_from_vfield(&ge, est);
  size_t c = 0;
  double s = 0, mx = 0;
  for (int k = 0; k < ref->nz; k++)
    for (int j = 0; j < ref->ny; j++)
      for (int i = 0; i < ref->nx; i++) {
        size_t idx = i + (size_t)ref->nx * (j + (size_t)ref->ny * k);
        if (mask && mask->data[idx] == 0) continue;
        double x[3], p[3], u[3];
        reg_grid_world(&gr, i, j, k, x);
        reg_grid_index(&ge, x, p);
        reg_interp_vec(est->u_mm, ge.n, p, u);
        double d = 0;
        for (int a = 0; a < 3; a++) d += (u[a] - ref->u_mm[3 * idx + a]) * (u[a] - ref->u_mm[3 * idx + a]);
        d = sqrt(d);
        e[c++] = (float)d;
        s += d;
        if (d > mx) mx = d;
      }
  out->n = c;
  if (c) {
    out->mean_mm = s / c;
    out->max_mm = mx;
    out->p95_mm = reg_percentile(e, c, 95);
  }
  free(e);
  return RERT_OK;
}
