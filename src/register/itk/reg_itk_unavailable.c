/* reg_itk_unavailable.c — the ITK adapter's C API for builds that cannot compile ITK: Debian's
 * ITK 5.2 headers accept only GCC (itk_compiler_detection.h: "Unsupported compiler"), and the
 * libFuzzer configuration is built with clang. Only that configuration compiles this file
 * (cmake/deps_register.cmake); its fuzz targets read files and never register images. Every call
 * fails with a message instead of computing anything. */
#include "register/reg_itk.h"

int reg_lbfgs_minimize(int n, double *x, reg_lbfgs_fg fg, void *user, const reg_lbfgs_opts *o,
                       int *evals, double *fval, rert_err *err) {
  (void)n, (void)x, (void)fg, (void)user, (void)o, (void)evals, (void)fval;
  return rert_err_set(err, RERT_EINTERNAL, "registration: ITK is not in this build (fuzz configuration)");
}

int reg_itk_demons(const rert_volume *fixed, const rert_volume *moving_on_fixed, int levels,
                   const int *iterations, double sigma_field_vox, double sigma_update_vox,
                   double max_step_vox, const rert_vfield *init, rert_vfield *out, rert_err *err) {
  (void)fixed, (void)moving_on_fixed, (void)levels, (void)iterations, (void)sigma_field_vox;
  (void)sigma_update_vox, (void)max_step_vox, (void)init, (void)out;
  return rert_err_set(err, RERT_EINTERNAL, "registration: ITK is not in this build (fuzz configuration)");
}

int reg_itk_signed_distance(const rert_volume *mask, rert_volume *dist_mm, rert_err *err) {
  (void)mask, (void)dist_mm;
  return rert_err_set(err, RERT_EINTERNAL, "registration QA: ITK is not in this build (fuzz configuration)");
}
