/* structures.c — from a resolved structure set (rert/structmap.h) to the structures an
 * accumulation uses: which ROIs are needed (so a 250-ROI export rasterises only the few that
 * carry a constraint, a tissue parameter or a target role) and how each becomes an
 * accum_structure (name, role, recovery, the case file's structure override).
 * docs/structures.md, docs/accumulate.md. Shared by accum_case_load and the consult. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rert/accumulate_case.h"
#include "rert/tissue.h"

const case_override *accum_case_structure_override(const rert_case *cf, const char *name) {
  if (!cf) return NULL;
  const case_override *o = casefile_find_structure_override(cf, name);
  if (o) return o;
  /* an override for the organ applies to each side (OpticNrv → OpticNrv_L, _R) */
  for (int i = 0; i < cf->noverrides; i++)
    if (cf->override[i].kind == OVERRIDE_STRUCTURE && protocol_organ_matches(cf->override[i].structure, name))
      return &cf->override[i];
  return NULL;
}

int accum_structures_needed(const rert_structmap *m, const rert_case *cf,
                            const rert_protocol *const *ps, int np, unsigned char *need,
                            rert_err *err) {
  (void)err;
  for (int i = 0; i < m->n; i++) {
    const smap_entry *e = &m->e[i];
    need[i] = 0;
    if (e->role == SROLE_TARGET) { need[i] = 1; continue; }
    if (e->role != SROLE_ORGAN) continue;
    int n = 0;
    for (int p = 0; p < np && !n; p++)
      for (int k = 0; k < ps[p]->nconstraints && !n; k++)
        n = protocol_organ_matches(ps[p]->constraints[k].organ, e->name);
    if (!n) {
      tissue_params tp;
      rert_err e2;
      n = !tissue_lookup(e->name, &tp, &e2);
    }
    if (!n && cf) {
      for (int k = 0; k < cf->nrecovery && !n; k++) n = !strcmp(cf->recovery[k].organ, e->name);
      n = n || accum_case_structure_override(cf, e->name) || casefile_structure_role(cf, e->local) ||
          (cf->recurrence_roi[0] && (!strcasecmp(cf->recurrence_roi, e->local) || !strcmp(cf->recurrence_roi, e->name)));
    }
    need[i] = (unsigned char)n;
  }
  return RERT_OK;
}

void accum_structure_from_map(const smap_entry *e, const rert_roi *roi, const rert_case *cf,
                              int ncourses, accum_structure *st) {
  snprintf(st->name, sizeof st->name, "%s", e->name);
  snprintf(st->local_name, sizeof st->local_name, "%s", e->local);
  st->roi = roi;
  st->is_target = e->role == SROLE_TARGET;
  st->alpha_beta_gy = NAN;
  if (!roi || roi->ncontours == 0) {
    st->state = ACCUM_STRUCT_EMPTY;
    snprintf(st->state_detail, sizeof st->state_detail, "the ROI has no contours (empty ContourSequence)");
  }
  const char *rm = cf ? casefile_recovery_model(cf, e->name) : "none";
  for (int c = 0; c < ncourses && c < ACCUM_MAX_COURSES; c++)
    snprintf(st->recovery[c], sizeof st->recovery[c], "%s", rm);
  const case_override *o = accum_case_structure_override(cf, e->name);
  if (o) {
    char what[160] = "";
    if (!isnan(o->alpha_beta_gy)) {
      st->alpha_beta_gy = o->alpha_beta_gy;
      snprintf(what, sizeof what, "alpha/beta %g Gy", o->alpha_beta_gy);
    }
    if (o->recovery[0]) {
      for (int c = 0; c < ncourses && c < ACCUM_MAX_COURSES; c++)
        snprintf(st->recovery[c], sizeof st->recovery[c], "%s", o->recovery);
      size_t L = strlen(what);
      snprintf(what + L, sizeof what - L, "%srecovery %s", L ? ", " : "", o->recovery);
    }
    snprintf(st->override_note, sizeof st->override_note, "%s (%s): %s; reason: %s", o->json_path,
             o->structure, what, o->reason);
  }
}
