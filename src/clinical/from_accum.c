/* from_accum.c — organ dose rows for the clinical assessment from a DICOM accumulation (#6).
 *
 * The toxicity thresholds (carotid 120–130 Gy, Bots 100 Gy, Chen 95 Gy, Nieder BED2, Ng 91/105
 * Gy) are stated for undiscounted cumulative doses, so the rows are the per-course UNRECOVERED
 * EQD2 maps (accum_result.course_eqd2) reduced to the maximum over each organ; the assessment
 * sums them over courses (clinical_cumulative_eqd2). A voxel belongs to an organ when its mask
 * is ≥ the accumulation's own mask_threshold, the same membership the accumulation used.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/clinical.h"

int clinical_organ_doses_from_accum(const accum_input *in, const accum_result *res,
                                    clinical_organ_dose *out, int max, int *count, rert_err *err) {
  *count = 0;
  if (!in || !res) return rert_err_set(err, RERT_EINPUT, "clinical: no accumulation given");
  const float thr = (float)(in->mask_threshold > 0 ? in->mask_threshold : 0.5);
  for (int s = 0; s < in->nstructs; s++) {
    const accum_structure *st = &in->structs[s];
    if (st->is_target || !st->mask || !st->mask->data) continue;
    for (int c = 0; c < in->ncourses && c < res->ncourses; c++) {
      const rert_volume *E = &res->course_eqd2[c];
      if (!E->data) continue;
      if (!volume_same_geometry(E, st->mask))
        return rert_err_set(err, RERT_EINPUT, "clinical: mask of %s is not on the accumulation grid", st->name);
      const size_t n = volume_count(E);
      const float *m = st->mask->data, *e = E->data;
      float mx = -INFINITY;
#pragma omp parallel for reduction(max : mx) schedule(static)
      for (size_t i = 0; i < n; i++)
        if (m[i] >= thr && e[i] > mx) mx = e[i];
      if (mx == -INFINITY) continue; /* organ has no voxel at the threshold */
      if (*count >= max) return rert_err_set(err, RERT_EINPUT, "clinical: more than %d organ dose rows", max);
      clinical_organ_dose *d = &out[(*count)++];
      memset(d, 0, sizeof *d);
      snprintf(d->course_id, sizeof d->course_id, "%s", in->courses[c].id);
      snprintf(d->organ, sizeof d->organ, "%s", st->name);
      snprintf(d->metric, sizeof d->metric, "Dmax");
      d->eqd2_gy = mx;
      d->alpha_beta_gy = res->struct_alpha_beta_gy[s];
    }
  }
  return RERT_OK;
}
