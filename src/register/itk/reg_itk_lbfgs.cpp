// reg_itk_lbfgs.cpp — the L-BFGS optimiser of the built-in B-spline registration, from ITK's
// numerics library (VNL vnl_lbfgs: Nocedal's limited-memory BFGS with a Moré–Thuente line
// search). Thin adapter: the cost function and its gradient are C callbacks (bspline.c).
#include <vnl/algo/vnl_lbfgs.h>
#include <vnl/vnl_cost_function.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <vector>

extern "C" {
#include "register/reg_itk.h"
}

namespace {
class CFn : public vnl_cost_function {
 public:
  CFn(int n, reg_lbfgs_fg fg, void *user) : vnl_cost_function(n), fg_(fg), user_(user), best_x_(n) {}
  void compute(vnl_vector<double> const &x, double *f, vnl_vector<double> *g) override {
    std::vector<double> gg(x.size());
    double v = fg_(x.data_block(), gg.data(), user_);
    evals_++;
    if (!std::isfinite(v)) v = 1e300;
    if (f) *f = v;
    if (g) std::memcpy(g->data_block(), gg.data(), sizeof(double) * gg.size());
    if (v < best_f_) {
      best_f_ = v;
      std::memcpy(best_x_.data(), x.data_block(), sizeof(double) * x.size());
    }
  }
  reg_lbfgs_fg fg_;
  void *user_;
  std::vector<double> best_x_;
  double best_f_ = INFINITY;
  int evals_ = 0;
};
}  // namespace

extern "C" int reg_lbfgs_minimize(int n, double *x, reg_lbfgs_fg fg, void *user, const reg_lbfgs_opts *o,
                                  int *evals, double *fval, rert_err *err) {
  if (n <= 0) return rert_err_set(err, RERT_EINPUT, "lbfgs: no parameters");
  try {
    CFn f(n, fg, user);
    vnl_lbfgs opt(f);
    opt.memory = o && o->memory > 0 ? o->memory : 5;
    opt.line_search_accuracy = o && o->gtol > 0 ? o->gtol : 0.9;
    opt.set_max_function_evals(o && o->max_evals > 0 ? o->max_evals : 60);
    opt.set_f_tolerance(o && o->ftol > 0 ? o->ftol : 1e-6);
    opt.set_x_tolerance(1e-4);
    opt.set_g_tolerance(1e-9);
    opt.set_trace(false);
    opt.set_verbose(false);
    vnl_vector<double> v(x, n);
    opt.minimize(v);  // false on line-search trouble or the evaluation limit: keep the best point
    if (f.evals_ > 0 && std::isfinite(f.best_f_)) std::memcpy(x, f.best_x_.data(), sizeof(double) * n);
    if (evals) *evals = f.evals_;
    if (fval) *fval = f.best_f_;
  } catch (const std::exception &e) {
    return rert_err_set(err, RERT_EINTERNAL, "lbfgs: %s", e.what());
  }
  return RERT_OK;
}
