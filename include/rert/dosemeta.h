/* dosemeta.h — what a dose-like grid means: quantity, unit, α/β, recovery, RBE and provenance.
 *
 * DEVELOPERS.md: every derived dose carries its α/β, recovery model, RBE model and course
 * provenance. Writers (RTDOSE DoseComment, report tables, JSON) print it from here, so a number
 * can always be traced to the assumptions that produced it.
 */
#ifndef RERT_DOSEMETA_H
#define RERT_DOSEMETA_H

#include "rert/rbe.h"

typedef enum {
  QTY_NONE = 0,
  QTY_IMAGE,          /* CT/MR intensities (HU for CT) */
  QTY_MASK,           /* fractional occupancy 0..1 */
  QTY_PHYSICAL,       /* absorbed dose, Gy */
  QTY_RBE_WEIGHTED,   /* Gy(RBE), model in rbe_model */
  QTY_BED,            /* Gy_{α/β} */
  QTY_EQD2,           /* Gy, at alpha_beta_gy */
  QTY_EQDX,           /* Gy, reference dose/fraction in eqdx_ref_gy */
  QTY_REMAINING_EQD2, /* allowed cumulative EQD2 still unused */
  QTY_MAX_NEW_DOSE,   /* maximum new physical (or RBE-weighted) dose in `fractions` */
  QTY_ALPHA_BETA,     /* α/β map, Gy */
  QTY_OTHER
} rert_quantity;

typedef enum { BOUND_NOMINAL = 0, BOUND_LOWER, BOUND_UPPER } rert_bound;

typedef struct {
  rert_quantity quantity;
  rert_bound bound;
  rbe_model rbe;             /* RBE model of the underlying dose */
  double rbe_factor;         /* for RBE_FIXED; 1 otherwise */
  double alpha_beta_gy;      /* NaN or 0 when not a biological quantity (0 = per-voxel map) */
  double eqdx_ref_gy;        /* reference dose/fraction of EQDx (2 for EQD2) */
  int fractions;             /* fraction count the dose was delivered in (0 unknown) */
  char recovery[96];         /* recovery model applied, "" if none */
  char provenance[256];      /* course id(s), e.g. "course1+course2" */
  char description[256];     /* free text, e.g. "cumulative EQD2 (a/b per organ)" */
} rert_dose_meta;

#endif
