/* cohort_gate.c — the DICOM gate's verdict on one cohort case (issue 12). The cohort runner loads
 * every case through accum_case_load, which runs the gate (rert/gate.h, GATE_LEVEL_FULL) before
 * anything is computed; this file only turns the gate's findings into the registry's cases.gate
 * column and decides whether a load failure was the gate's refusal ("refused": the input is
 * wrong, rerunning cannot help) or something else ("failed"). No check lives here. */
#include <stdio.h>

#include "cohort_internal.h"

void cohort_gate_status(const accum_case *ac, char *status, size_t n) {
  const gate_result *g = ac->gate;
  if (ac->gate_refused) {
    snprintf(status, n, "refused");
    return;
  }
  if (!g) {
    snprintf(status, n, "not run");
    return;
  }
  int refused = gate_count(&g->findings, GATE_REFUSAL);
  int overridden = gate_count(&g->findings, GATE_OVERRIDDEN);
  int warnings = gate_count(&g->findings, GATE_WARNING);
  if (refused) snprintf(status, n, "refused");
  else if (overridden || warnings) snprintf(status, n, "passed (%d overridden, %d warnings)", overridden, warnings);
  else snprintf(status, n, "passed");
}

int cohort_gate_refused(const accum_case *ac) {
  return ac->gate_refused || (ac->gate && gate_count(&ac->gate->findings, GATE_REFUSAL) > 0);
}
