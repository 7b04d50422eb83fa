/* rbe.h — RBE systems for particle doses (domain-reference §4).
 *
 * Every dose carries the model that produced it. Photon dose is PHYSICAL (RBE 1 by definition).
 * Proton dose is RBE_FIXED (1.1 by clinical convention, value from data/rbe.json). Carbon dose is
 * LEM_I (Europe, SPHIC) or MKM (Japan, NIRS/mMKM). LEM I and MKM numbers for the same physical
 * dose differ by a dose-per-fraction dependent factor (Zhang 2020), so they are never added
 * without an explicit conversion; rbe_check_summable enforces that.
 */
#ifndef RERT_RBE_H
#define RERT_RBE_H

#include "rert/err.h"

typedef enum {
  RBE_PHYSICAL = 0, /* absorbed dose; for photons this is the clinical dose (RBE 1) */
  RBE_FIXED,        /* RBE-weighted with a constant factor (protons 1.1) */
  RBE_LEM_I,        /* carbon, local effect model I */
  RBE_MKM           /* carbon, (modified) microdosimetric kinetic model */
} rbe_model;

typedef enum { MOD_PHOTON = 0, MOD_PROTON, MOD_CARBON, MOD_OTHER_ION, MOD_ELECTRON } rert_modality;

const char *rbe_model_name(rbe_model m);              /* "PHYSICAL", "RBE_FIXED", "LEM_I", "MKM" */
int rbe_model_parse(const char *s, rbe_model *m, rert_err *err); /* also accepts lem, mkm, fixed */
const char *rbe_modality_name(rert_modality m);
int rbe_modality_parse(const char *s, rert_modality *m, rert_err *err);

/* Fixed RBE for a modality from data/rbe.json (protons 1.1). */
int rbe_fixed_factor(rert_modality m, double *rbe, rert_err *err);

/* Zhang 2020 conversion factor CF = D_LEM / D_MKM as a function of LEM dose per fraction,
 * piecewise-linear through the published points; outside 0.24–3.00 Gy(RBE)/fx → RERT_EINPUT. */
int rbe_lem_to_mkm_factor(double lem_dose_per_fraction_gy, double *cf, rert_err *err);
/* Convert a per-fraction RBE-weighted dose between LEM I and MKM (inverse solved numerically). */
int rbe_convert_per_fraction(double dose_per_fraction_gy, rbe_model from, rbe_model to,
                             double *out_gy, rert_err *err);

/* Can doses of (modality a, model a) and (modality b, model b) be summed as EQD2 without a
 * conversion? Photon PHYSICAL is the reference scale; particle PHYSICAL dose is never summable;
 * LEM_I and MKM never mix. On refusal fills err naming both and the conversion to use. */
int rbe_check_summable(rert_modality ma, rbe_model a, rert_modality mb, rbe_model b, rert_err *err);

/* ---- variable proton RBE from the dose-averaged LET (rbe_let.c; docs/compare.md) ----
 * Phenomenological LQ models (McNamara 2015, Wedenberg 2013; parameters and sources in
 * data/rbe.json "variable_rbe_models"): with physical dose per fraction d (Gy), LETd L (keV/µm)
 * and the tissue's photon α/β ab (Gy),
 *   RBEmax = p0 + p1·L/ab,  RBEmin = p2 + p3·ab^q·L,
 *   RBE(d) = (√(ab² + 4·d·ab·RBEmax + 4·d²·RBEmin²) − ab) / (2d)   (→ RBEmax as d → 0),
 * the iso-effect root of α_x·Dx + β_x·Dx² = RBEmax·α_x·d + RBEmin²·β_x·d². The RBE-weighted dose
 * is RBE(d)·d per fraction. A variable-RBE dose is photon-equivalent Gy(RBE) like a fixed-RBE one
 * (summable with photon and RBE 1.1 doses); the model name travels with it. */
typedef struct {
  char name[32];           /* "mcnamara2015" */
  char title[128];
  double p0, p1, p2, p3, q;
  double let_lo, let_hi;   /* LETd range of the fit, keV/µm (outside: extrapolation, warned) */
  char source[400];
  char verification[900];
  int verified;
} rbe_let_model;

/* Model by name from data/rbe.json; RERT_EINPUT naming the known models otherwise. */
int rbe_let_model_get(const char *name, rbe_let_model *m, rert_err *err);
double rbe_let_rbemax(const rbe_let_model *m, double let_kev_um, double alpha_beta_gy);
double rbe_let_rbemin(const rbe_let_model *m, double let_kev_um, double alpha_beta_gy);
/* RBE at physical dose per fraction d ≥ 0 (numerically stable form, exact at d = 0). NaN when
 * ab ≤ 0, L < 0 or a non-finite argument. */
double rbe_let_rbe(const rbe_let_model *m, double dose_per_fraction_gy, double let_kev_um,
                   double alpha_beta_gy);

#endif
