/* eval_internal.h — the maps constraints are evaluated on and their metrics (eval_metric.c),
 * shared with evaluate.c. Not public API. */
#ifndef RERT_EVAL_INTERNAL_H
#define RERT_EVAL_INTERNAL_H

#include "accum_internal.h"
#include "rert/dvh.h"

/* ---- the map a constraint is evaluated on ----
 * Inside structure s the constraint's map is fixed by: α/β, the prior-course recovery specs,
 * per-course fractions and Thames factors, the new-course scale, scope, quantity and whether
 * the nominal or the upper-bound doses are used. Equal specs give equal maps, so their DVH is
 * computed once per evaluation call and shared by every constraint and protocol. */
typedef struct {
  int s, scope, quantity, worst;
  double ab, scale;
  double n[ACCUM_MAX_COURSES], h[ACCUM_MAX_COURSES];
  char rec[ACCUM_MAX_COURSES][96];
} accum_map_spec;

typedef struct {
  accum_map_spec key;
  rert_dvh dvh;
  double cmax[ACCUM_MAX_COURSES];
} eval_entry;

typedef struct {
  eval_entry *e;
  int n, cap;
  double thick_mm; /* slab of a single-plane ROI when no slices are known (0: dose grid's) */
  rert_slice_geom slices; /* image slices of the structures (in->slices, else inferred) */
} eval_cache;

void accum_cache_init(eval_cache *c, const accum_input *in);
void accum_cache_free(eval_cache *c);
/* Structures without contours: protocol metric on the mask's voxel samples. */
int accum_eval_from_mask(const accum_input *in, const accum_prep *pp, const protocol_constraint *c,
                         accum_map_spec *ms, const accum_recovery *rec, accum_eval_row *row,
                         double *cmax, rert_err *err);
/* Structures with contours: the DVH engine on the constraint's map (cached by map spec). */
int accum_eval_from_contours(const accum_input *in, const accum_prep *pp,
                             const protocol_constraint *c, accum_map_spec *ms,
                             const accum_recovery *rec, eval_cache *cache, accum_eval_row *row,
                             double *cmax, rert_err *err);

#endif
