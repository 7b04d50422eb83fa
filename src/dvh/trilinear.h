/* trilinear.h — private to src/dvh: the trilinear dose rule of volume_sample_trilinear on a
 * continuous grid index (value, gradient, inside test), shared by the histogram (dvh.c) and the
 * exact extremes (extremes.c). A point within half a voxel beyond the outermost voxel centres
 * takes the clamped (edge) value; farther out it is outside the grid.
 */
#ifndef RERT_DVH_TRILINEAR_H
#define RERT_DVH_TRILINEAR_H

#include <stddef.h>

typedef struct {
  const float *d;
  int n[3];
  size_t sy, sz;
} tri_grid;

/* The trilinear cell holding continuous index p (clamped to the outermost voxel centres): base
 * offset b, fractions f and the neighbour strides (0 along an axis of one voxel). */
static inline void tri_cell(const tri_grid *t, const double p[3], double f[3], size_t *b,
                            size_t *dx, size_t *dy, size_t *dz) {
  int i0[3];
  for (int a = 0; a < 3; a++) {
    double c = p[a] < 0 ? 0 : (p[a] > t->n[a] - 1 ? t->n[a] - 1 : p[a]);
    int i = (int)c;
    if (i >= t->n[a] - 1) i = t->n[a] > 1 ? t->n[a] - 2 : 0;
    i0[a] = i;
    f[a] = t->n[a] > 1 ? c - i : 0;
  }
  *b = i0[0] + t->sy * i0[1] + t->sz * i0[2];
  *dx = t->n[0] > 1 ? 1 : 0;
  *dy = t->n[1] > 1 ? t->sy : 0;
  *dz = t->n[2] > 1 ? t->sz : 0;
}

/* Trilinear value at continuous index p, clamped to the outermost voxel centres. */
static inline double tri_at(const tri_grid *t, const double p[3]) {
  double f[3];
  size_t b, dx, dy, dz;
  tri_cell(t, p, f, &b, &dx, &dy, &dz);
  const float *d = t->d;
  double c00 = d[b] + f[0] * (d[b + dx] - d[b]);
  double c10 = d[b + dy] + f[0] * (d[b + dy + dx] - d[b + dy]);
  double c01 = d[b + dz] + f[0] * (d[b + dz + dx] - d[b + dz]);
  double c11 = d[b + dz + dy] + f[0] * (d[b + dz + dy + dx] - d[b + dz + dy]);
  double c0 = c00 + f[1] * (c10 - c00), c1 = c01 + f[1] * (c11 - c01);
  return c0 + f[2] * (c1 - c0);
}

/* Gradient (per index step) of the trilinear interpolant at p, same cell rule as tri_at. */
static inline void tri_grad(const tri_grid *t, const double p[3], double g[3]) {
  double f[3];
  size_t b, dx, dy, dz;
  tri_cell(t, p, f, &b, &dx, &dy, &dz);
  const float *d = t->d;
  double v000 = d[b], v100 = d[b + dx], v010 = d[b + dy], v110 = d[b + dy + dx];
  double v001 = d[b + dz], v101 = d[b + dz + dx], v011 = d[b + dz + dy], v111 = d[b + dz + dy + dx];
  double fx = f[0], fy = f[1], fz = f[2];
  g[0] = dx ? (1 - fy) * (1 - fz) * (v100 - v000) + fy * (1 - fz) * (v110 - v010) +
                  (1 - fy) * fz * (v101 - v001) + fy * fz * (v111 - v011)
            : 0;
  g[1] = dy ? (1 - fx) * (1 - fz) * (v010 - v000) + fx * (1 - fz) * (v110 - v100) +
                  (1 - fx) * fz * (v011 - v001) + fx * fz * (v111 - v101)
            : 0;
  g[2] = dz ? (1 - fx) * (1 - fy) * (v001 - v000) + fx * (1 - fy) * (v101 - v100) +
                  (1 - fx) * fy * (v011 - v010) + fx * fy * (v111 - v110)
            : 0;
}

static inline int tri_inside(const tri_grid *t, const double p[3]) {
  for (int a = 0; a < 3; a++)
    if (p[a] < -0.5 - 1e-9 || p[a] > t->n[a] - 0.5 + 1e-9) return 0;
  return 1;
}

#endif
