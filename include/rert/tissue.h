/* tissue.h — α/β, repair half-time and repopulation parameters per organ/endpoint
 * (data/tissues.json; domain-reference §1.3, §1.4, §2).
 *
 * Entries are keyed by id ("SpinalCord", "SpinalCord/lumbar", "Tumor_HNSCC") and carry the
 * TG-263 organ name, endpoint, source and a `verified` flag. Lookup by organ name accepts
 * laterality suffixes (Parotid_L → Parotid) and aliases listed in the file.
 */
#ifndef RERT_TISSUE_H
#define RERT_TISSUE_H

#include "rert/err.h"

typedef struct {
  char id[64];
  char organ[64];            /* TG-263 */
  char endpoint[96];
  char kind[16];             /* "oar" or "target" */
  double alpha_beta_gy;
  double repair_halftime_h;  /* NaN if not given */
  double tk_days;            /* NaN if not given */
  double dprolif_gy_per_day; /* NaN if not given */
  int verified;
  char source[256];
  char note[256];
} tissue_params;

/* Look up by id, organ name, alias or laterality-stripped name. Unknown → RERT_EINPUT listing
 * how to see the known names (`rert eqd2 --list-tissues`). */
int tissue_lookup(const char *name, tissue_params *out, rert_err *err);
/* All entries (for listing); *n set to the count written. */
int tissue_list(tissue_params *out, int max, int *n, rert_err *err);
/* Default α/β for voxels not covered by any listed organ (data/tissues.json "defaults"). */
int tissue_default_alpha_beta(const char *which /* "oar" | "target" | "unlisted" */,
                              double *alpha_beta_gy, rert_err *err);

#endif
