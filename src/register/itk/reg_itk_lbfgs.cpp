// reg_itk_lbfgs.cpp — the L-BFGS optimiser of the built-in B-spline registration: Nocedal's
// limited-memory BFGS with the Moré–Thuente line search, as shipped in ITK's numerics library
// (v3p/netlib `lbfgs`, the routine under vnl_lbfgs). Called through its reverse-communication C
// interface so its diagnostics can be silenced (vnl_lbfgs prints line-search failures on
// stdout, which would corrupt `--json` output) and the best point kept. Thin adapter: the cost and
// its gradient are C callbacks (bspline.c).
#include <v3p_netlib.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <vector>

extern "C" {
#include "register/reg_itk.h"
}

extern "C" int reg_lbfgs_minimize(int n, double *x, reg_lbfgs_fg fg, void *user, const reg_lbfgs_opts *o,
                                  int *evals, double *fval, rert_err *err) {
  if (n <= 0) return rert_err_set(err, RERT_EINPUT, "lbfgs: no parameters");
  try {
    int maxev = o && o->max_evals > 0 ? o->max_evals : 60;
    v3p_netlib_integer N = n, m = o && o->memory > 0 ? o->memory : 5, iflag = 0, diagco = 0;
    v3p_netlib_integer iprint[2] = {-1, 0};
    v3p_netlib_doublereal eps = 1e-6, xtol = 1e-16, f = 0;
    std::vector<double> g(n), diag(n), w((size_t)n * (2 * m + 1) + 2 * m), best(x, x + n);
    v3p_netlib_lbfgs_global_t gl;
    v3p_netlib_lbfgs_init(&gl);
    gl.mp = gl.lp = -1; /* no messages */
    if (o && o->gtol > 0) gl.gtol = o->gtol;
    double best_f = INFINITY, ftol = o && o->ftol > 0 ? o->ftol : 1e-7, prev = INFINITY;
    int ev = 0, stall = 0;
    for (;;) {
      f = fg(x, g.data(), user);
      ev++;
      if (!std::isfinite(f)) f = 1e300;
      if (f < best_f) {
        best_f = f;
        std::memcpy(best.data(), x, sizeof(double) * n);
      }
      if (ev >= maxev) break;
      v3p_netlib_lbfgs_(&N, &m, x, &f, g.data(), &diagco, diag.data(), iprint, &eps, &xtol, w.data(), &iflag, &gl);
      if (iflag <= 0) break; /* 0: converged; < 0: line search or input trouble — keep the best point */
      /* relative-change stop, counted on completed iterations (iflag 1 = a new evaluation) */
      if (std::isfinite(prev) && std::fabs(prev - best_f) <= ftol * std::fabs(best_f)) {
        if (++stall >= 5) break;
      } else {
        stall = 0;
      }
      prev = best_f;
    }
    std::memcpy(x, best.data(), sizeof(double) * n);
    if (evals) *evals = ev;
    if (fval) *fval = best_f;
  } catch (const std::exception &e) {
    return rert_err_set(err, RERT_EINTERNAL, "lbfgs: %s", e.what());
  }
  return RERT_OK;
}
