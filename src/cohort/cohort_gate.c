/* cohort_gate.c — the validation gate of each cohort case. Every case-reading command runs the
 * DICOM gate (issue 12: `rert case check`); the cohort runner calls it through this one function
 * so a case the gate refuses is recorded with the gate's message (status "refused") and the
 * cohort goes on. Until the gate is part of the library this reports "not available in this
 * build" and the registry records that status for every case (cases.gate), so no result can be
 * mistaken for a gated one. */
#include <stdio.h>

#include "cohort_internal.h"

int cohort_gate_check(const rert_case *cf, char *status, size_t n, rert_err *err) {
  (void)cf, (void)err;
  snprintf(status, n, "not available in this build");
  return RERT_OK;
}
