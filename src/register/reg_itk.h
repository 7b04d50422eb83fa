/* reg_itk.h — plain C API of the ITK adapter (the .cpp files in src/register/itk; ITK 5.2, Debian).
 * Only this header is seen by the C code of the register module; ITK's C++ stays in the two
 * adapter translation units (ITK headers compile slowly). */
#ifndef RERT_REG_ITK_H
#define RERT_REG_ITK_H

#include "rert/register.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reg_itk_lbfgs.cpp: limited-memory BFGS (VNL's vnl_lbfgs, Nocedal's algorithm) ---- */

/* Cost function: returns f(x) and writes the gradient into g (both length n). */
typedef double (*reg_lbfgs_fg)(const double *x, double *g, void *user);
typedef struct {
  int max_evals;   /* function evaluations (default 60) */
  int memory;      /* correction pairs (default 5) */
  double gtol;     /* line-search accuracy (vnl default 0.9) */
  double ftol;     /* relative change of f that stops (default 1e-6) */
} reg_lbfgs_opts;
/* Minimises f from x (in place; on return x is the best point evaluated). evals/fval may be
 * NULL. Never fails for lack of convergence: the best point is kept. */
int reg_lbfgs_minimize(int n, double *x, reg_lbfgs_fg fg, void *user, const reg_lbfgs_opts *o,
                       int *evals, double *fval, rert_err *err);

/* ---- reg_itk_filters.cpp: image filters ---- */

/* ITK multi-resolution diffeomorphic demons (itk::DiffeomorphicDemonsRegistrationFilter, ESM
 * symmetric forces) of `moving` (already on fixed's grid) to `fixed`; output pull-back field on
 * fixed's grid. iterations[levels], coarse first. `init` (on fixed's grid) or NULL. */
int reg_itk_demons(const rert_volume *fixed, const rert_volume *moving_on_fixed, int levels,
                   const int *iterations, double sigma_field_vox, double sigma_update_vox,
                   double max_step_vox, const rert_vfield *init, rert_vfield *out, rert_err *err);

/* Signed Euclidean distance (mm; negative inside) to the boundary of a binary mask (nonzero =
 * inside), itk::SignedMaurerDistanceMapImageFilter with image spacing. */
int reg_itk_signed_distance(const rert_volume *mask, rert_volume *dist_mm, rert_err *err);

#ifdef __cplusplus
}
#endif
#endif
