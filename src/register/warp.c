/* warp.c — dose/image/mask mapping with a pull-back field (rert/register.h, docs/register.md):
 * out(x) = moving(x + u(x)) = D2(T⁻¹(x)), domain-reference §3.10. Trilinear or nearest. */
#include <stdlib.h>
#include <string.h>

#include "register/reg_internal.h"

int reg_warp_volume_to(const rert_volume *moving, const rert_vfield *u, const rert_volume *out_like,
                       reg_interp interp, float outside, rert_volume *out, rert_err *err) {
  if (!moving || !moving->data || !u || !u->u_mm)
    return rert_err_set(err, RERT_EINPUT, "warp: missing image or field");
  rert_volume o;
  int rc = volume_alloc_like(&o, out_like, err);
  if (rc) return rc;
  o.meta = moving->meta;
  reg_grid go, gu, gm;
  reg_grid_from_volume(&go, &o);
  reg_grid_from_vfield(&gu, u);
  reg_grid_from_volume(&gm, moving);
  const int same = reg_grid_same(&go, &gu);
#pragma omp parallel for schedule(static)
  for (int k = 0; k < o.nz; k++)
    for (int j = 0; j < o.ny; j++) {
      size_t row = (size_t)o.nx * (j + (size_t)o.ny * k);
      for (int i = 0; i < o.nx; i++) {
        double x[3], p[3], y[3];
        reg_grid_world(&go, i, j, k, x);
        reg_pullback_point(u->u_mm, &gu, same, row + i, x, y);
        reg_grid_index(&gm, y, p);
        o.data[row + i] = interp == REG_INTERP_NEAREST ? reg_interp_nearest(moving->data, gm.n, p, outside)
                                                       : reg_interp_scalar(moving->data, gm.n, p, outside);
      }
    }
  *out = o;
  return RERT_OK;
}

int reg_warp_volume(const rert_volume *moving, const rert_vfield *u, reg_interp interp, float outside,
                    rert_volume *out, rert_err *err) {
  rert_volume g;
  reg_vfield_geometry(u, &g);
  return reg_warp_volume_to(moving, u, &g, interp, outside, out, err);
}

int reg_warp_mask(const rert_volume *mask, const rert_vfield *u, rert_volume *out, rert_err *err) {
  rert_volume bin;
  int rc = volume_alloc_like(&bin, mask, err);
  if (rc) return rc;
  size_t n = volume_count(mask);
  for (size_t i = 0; i < n; i++) bin.data[i] = mask->data[i] != 0;
  rc = reg_warp_volume(&bin, u, REG_INTERP_LINEAR, 0.0f, out, err);
  volume_free(&bin);
  if (rc) return rc;
  size_t m = volume_count(out);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < m; i++) out->data[i] = out->data[i] >= 0.5f ? 1.0f : 0.0f;
  return RERT_OK;
}
