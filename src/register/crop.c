/* crop.c — where the registration looks: a sub-volume around the region of interest (the dose
 * grids: registering the whole scan spends the time on the head and shoulders, where no dose
 * is, and the regularisation then trades accuracy in the neck for agreement far away), and the
 * BODY mask that keeps the couch, immobilisation mask and air out of the similarity. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"

int reg_volume_crop(const rert_volume *v, const double lo[3], const double hi[3], rert_volume *out, rert_err *err) {
  double pmin[3] = {INFINITY, INFINITY, INFINITY}, pmax[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int c = 0; c < 8; c++) {
    double x[3] = {c & 1 ? hi[0] : lo[0], c & 2 ? hi[1] : lo[1], c & 4 ? hi[2] : lo[2]}, p[3];
    volume_world_to_index(v, x, p);
    for (int a = 0; a < 3; a++) pmin[a] = fmin(pmin[a], p[a]), pmax[a] = fmax(pmax[a], p[a]);
  }
  int n[3] = {v->nx, v->ny, v->nz}, i0[3], i1[3];
  for (int a = 0; a < 3; a++) {
    i0[a] = (int)floor(pmin[a]);
    i1[a] = (int)ceil(pmax[a]);
    if (i0[a] < 0) i0[a] = 0;
    if (i1[a] > n[a] - 1) i1[a] = n[a] - 1;
    if (i1[a] < i0[a])
      return rert_err_set(err, RERT_EINPUT, "crop: the region of interest lies outside the image");
  }
  rert_volume c = *v;
  c.data = NULL;
  c.nx = i1[0] - i0[0] + 1, c.ny = i1[1] - i0[1] + 1, c.nz = i1[2] - i0[2] + 1;
  double ijk[3] = {i0[0], i0[1], i0[2]};
  volume_index_to_world(v, ijk, c.origin_mm);
  int rc = volume_alloc(&c, err);
  if (rc) return rc;
  for (int k = 0; k < c.nz; k++)
    for (int j = 0; j < c.ny; j++)
      memcpy(c.data + (size_t)c.nx * (j + (size_t)c.ny * k),
             v->data + i0[0] + (size_t)v->nx * ((j + i0[1]) + (size_t)v->ny * (k + i0[2])), sizeof(float) * c.nx);
  *out = c;
  return RERT_OK;
}

/* largest 26-connected component of m (1 = candidate), in place; returns its size */
static size_t keep_largest(unsigned char *m, const int n[3]) {
  size_t N = (size_t)n[0] * n[1] * n[2];
  int *lab = calloc(N, sizeof(int));
  size_t *queue = malloc(sizeof(size_t) * N);
  if (!lab || !queue) {
    free(lab), free(queue);
    return 0;
  }
  int cur = 0, best = 0;
  size_t best_n = 0;
  for (size_t s = 0; s < N; s++) {
    if (!m[s] || lab[s]) continue;
    cur++;
    size_t head = 0, tail = 0;
    queue[tail++] = s;
    lab[s] = cur;
    while (head < tail) {
      size_t q = queue[head++];
      int i = (int)(q % n[0]), j = (int)((q / n[0]) % n[1]), k = (int)(q / ((size_t)n[0] * n[1]));
      for (int dk = -1; dk <= 1; dk++)
        for (int dj = -1; dj <= 1; dj++)
          for (int di = -1; di <= 1; di++) {
            int a = i + di, b = j + dj, c = k + dk;
            if (a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2]) continue;
            size_t r = a + (size_t)n[0] * (b + (size_t)n[1] * c);
            if (m[r] && !lab[r]) {
              lab[r] = cur;
              queue[tail++] = r;
            }
          }
    }
    if (tail > best_n) best_n = tail, best = cur;
  }
  for (size_t s = 0; s < N; s++) m[s] = lab[s] == best && best;
  free(lab), free(queue);
  return best_n;
}

/* fill holes of each axial slice: background 4-connected to the slice border stays outside */
static void fill_slices(unsigned char *m, const int n[3]) {
  size_t plane = (size_t)n[0] * n[1];
  unsigned char *out = malloc(plane);
  size_t *queue = malloc(sizeof(size_t) * plane);
  if (!out || !queue) {
    free(out), free(queue);
    return;
  }
  for (int k = 0; k < n[2]; k++) {
    unsigned char *s = m + plane * k;
    memset(out, 0, plane); /* 1 = reached outside */
    size_t head = 0, tail = 0;
    for (int i = 0; i < n[0]; i++)
      for (int e = 0; e < 2; e++) {
        size_t q = i + (size_t)n[0] * (e ? n[1] - 1 : 0);
        if (!s[q] && !out[q]) out[q] = 1, queue[tail++] = q;
      }
    for (int j = 0; j < n[1]; j++)
      for (int e = 0; e < 2; e++) {
        size_t q = (e ? n[0] - 1 : 0) + (size_t)n[0] * j;
        if (!s[q] && !out[q]) out[q] = 1, queue[tail++] = q;
      }
    while (head < tail) {
      size_t q = queue[head++];
      int i = (int)(q % n[0]), j = (int)(q / n[0]);
      int nb[4][2] = {{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}};
      for (int t = 0; t < 4; t++) {
        if (nb[t][0] < 0 || nb[t][1] < 0 || nb[t][0] >= n[0] || nb[t][1] >= n[1]) continue;
        size_t r = nb[t][0] + (size_t)n[0] * nb[t][1];
        if (!s[r] && !out[r]) out[r] = 1, queue[tail++] = r;
      }
    }
    for (size_t q = 0; q < plane; q++) s[q] = !out[q];
  }
  free(out), free(queue);
}

int reg_body_mask(const rert_volume *ct, double thr, double dilate_mm, rert_volume *mask, size_t *nvox, rert_err *err) {
  size_t N = volume_count(ct);
  unsigned char *m = malloc(N);
  if (!m) return rert_err_set(err, RERT_EINTERNAL, "body mask: out of memory");
  for (size_t q = 0; q < N; q++) m[q] = ct->data[q] > thr;
  int n[3] = {ct->nx, ct->ny, ct->nz};
  keep_largest(m, n);
  fill_slices(m, n);
  rert_volume b;
  int rc = volume_alloc_like(&b, ct, err);
  if (rc) {
    free(m);
    return rc;
  }
  size_t cnt = 0;
  for (size_t q = 0; q < N; q++) b.data[q] = m[q], cnt += m[q];
  free(m);
  if (dilate_mm > 0) {
    rert_volume lo, hi;
    rc = reg_minmax_filter(&b, dilate_mm, &lo, &hi, err);
    volume_free(&b);
    if (rc) return rc;
    volume_free(&lo);
    b = hi;
    cnt = 0;
    for (size_t q = 0; q < N; q++) {
      b.data[q] = b.data[q] > 0.5f;
      cnt += b.data[q] != 0;
    }
  }
  memset(&b.meta, 0, sizeof b.meta);
  if (nvox) *nvox = cnt;
  *mask = b;
  return RERT_OK;
}
