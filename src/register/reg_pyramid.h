/* reg_pyramid.h — multi-resolution helpers (pyramid.c) for rigid.c and demons.c. */
#ifndef RERT_REG_PYRAMID_H
#define RERT_REG_PYRAMID_H
#include "rert/register.h"
/* Clamp to [lo, hi], smooth and resample onto a grid with spacing max(target, own) per axis
 * (same origin and directions). */
int reg_resample_coarse(const rert_volume *v, const double target_mm[3], float lo, float hi,
                        rert_volume *out, rert_err *err);
/* World-coordinate gradient (3 interleaved floats per voxel), central differences. */
void reg_gradient_world(const rert_volume *v, float *g);
#endif
