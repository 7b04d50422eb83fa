/* pipeline.c — rigid then deformable CT→CT registration as run by `rert register`
 * (rert/register.h reg_register_ct). The rigid result seeds demons through a coarse (≥ 4 mm)
 * field: an affine map is reproduced exactly by trilinear interpolation, so nothing is lost. */
#include <math.h>
#include <string.h>

#include "register/reg_internal.h"

int reg_register_ct(const rert_volume *F, const rert_volume *M, const rert_volume *mask, const reg_rigid_opts *ro,
                    const reg_demons_opts *dopt, double mrig[16], rert_vfield *out, rert_err *err) {
  static const double id[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  memcpy(mrig, id, sizeof id);
  int rc;
  if (ro) {
    double rms;
    if ((rc = reg_rigid(F, M, mask, ro, NULL, mrig, &rms, err))) return rc;
  }
  if (!dopt) {
    if ((rc = reg_vfield_alloc_like(out, F, err))) return rc;
    reg_vfield_set_affine(out, mrig);
    return RERT_OK;
  }
  rert_volume cg = *F;
  cg.data = NULL;
  int *dims[3] = {&cg.nx, &cg.ny, &cg.nz};
  for (int q = 0; q < 3; q++) {
    int n = *dims[q];
    double sp = fmax(F->spacing_mm[q], 4.0);
    int m = (int)ceil((n - 1) * F->spacing_mm[q] / sp) + 1;
    cg.spacing_mm[q] = m > 1 ? (n - 1) * F->spacing_mm[q] / (m - 1) : F->spacing_mm[q];
    *dims[q] = m;
  }
  rert_vfield init;
  if ((rc = reg_vfield_alloc_like(&init, &cg, err))) return rc;
  reg_vfield_set_affine(&init, mrig);
  rc = reg_demons(F, M, mask, dopt, &init, out, err);
  rtdata_free_vfield(&init);
  return rc;
}
