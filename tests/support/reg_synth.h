/* reg_synth.h — analytic head-and-neck-like CT phantom and a known smooth deformation for the
 * registration tests and bench (independent of the registration code: the fixed image is the
 * analytic phantom evaluated at x + u(x), never an interpolated warp). */
#ifndef RERT_TEST_REG_SYNTH_H
#define RERT_TEST_REG_SYNTH_H
#include "rert/register.h"

typedef struct {
  double rot_deg[3];   /* rigid part: rotation about x, y, z through the origin (degrees) */
  double shift_mm[3];
  double bump_mm;      /* amplitude of the smooth deformable part (0 = rigid only) */
} synth_motion;

/* Analytic phantom HU at LPS point y (mm, head centred at the origin). */
double synth_phantom_hu(const double y[3]);
/* True pull-back displacement u(x) (fixed → moving) of the motion. */
void synth_true_u(const synth_motion *m, const double x[3], double u[3]);
/* Grid nx×ny×nz with spacing (sx, sy, sz) centred at the origin. */
rert_volume synth_grid(int nx, int ny, int nz, double sx, double sy, double sz);
/* moving(y) = P(y); fixed(x) = P(x + u(x)); truth = u on the fixed grid. */
void synth_pair(const synth_motion *m, rert_volume *fixed, rert_volume *moving, rert_vfield *truth);
/* Body mask (P > −500) of an image. */
rert_volume synth_body_mask(const rert_volume *img);
#endif
