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

#endif
