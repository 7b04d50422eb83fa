/* consult_seams.h — weak references to module functions that may not be merged yet (see
 * consult_ctx.h). A weak undefined function has address NULL; CONSULT_NEED() turns that into a
 * clear error instead of a link failure. Delete this file's pragmas once every module is merged. */
#ifndef RERT_CONSULT_SEAMS_H
#define RERT_CONSULT_SEAMS_H

#pragma weak geom_mask_from_roi
#pragma weak geom_mask_to_volume
#pragma weak geom_mask_free
#pragma weak geom_mask_centroid_mm
#pragma weak geom_mask_volume_cc
#pragma weak dvh_compute_mask
#pragma weak dvh_free
#pragma weak accum_input_init
#pragma weak accumulate_run
#pragma weak accum_result_free
#pragma weak accumulate_evaluate
#pragma weak accumulate_evaluate_scaled
#pragma weak accum_evaluation_free
#pragma weak accum_verdict_name
#pragma weak accumulate_budget
#pragma weak accumulate_interval_months

#define CONSULT_NEED(fn, module, err)                                                            \
  do {                                                                                           \
    if (!(fn))                                                                                   \
      return rert_err_set(err, RERT_EINTERNAL, "the %s module is not in this build (%s)",       \
                          module, #fn);                                                          \
  } while (0)

#endif
