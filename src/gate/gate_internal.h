/* gate_internal.h — state shared by the gate's files (not public API): the objects read for each
 * course while the gate runs. */
#ifndef RERT_GATE_INTERNAL_H
#define RERT_GATE_INTERNAL_H

#include "rert/gate.h"

typedef struct {
  int ct_obj, ss_obj;                      /* object indices, −1 = none */
  int nplans;
  int plan_obj[RERT_CASE_MAX_PLANS];
  int plan_read[RERT_CASE_MAX_PLANS];      /* plans[p] holds a plan */
  rert_rtplan plans[RERT_CASE_MAX_PLANS];
  int ndoses;
  int dose_obj[RERT_CASE_MAX_DOSES];
  rert_rtdose *doses;                      /* GATE_LEVEL_FULL: ndoses read doses */
  int dose_read[RERT_CASE_MAX_DOSES];
  char frame[RERT_UID_LEN];                /* the course's frame of reference ("" unknown) */
  const char *frame_from;                  /* which object set it */
  int has_roi_box;                         /* bounding box of every contour point (RTSTRUCT) */
  double roi_lo[3], roi_hi[3];
  rbe_model rbe;                           /* effective RBE model of the course dose */
  rert_modality modality;
} gate_work_course;

typedef struct {
  const rert_case *cs;
  const gate_opts *o;
  gate_result *g;
  gate_work_course wc[RERT_CASE_MAX_COURSES];
  gate_plausibility plaus;
  int have_plaus;
} gate_work;

/* gate_objects.c: add an object to the graph, returns its index (−1 out of memory) */
int gate_obj_add(gate_result *g, gate_obj_kind kind, int course, int reg, const char *path);
/* gate_dose.c: read every RTDOSE (GATE_LEVEL_FULL) into the graph. */
int gate_read_doses(gate_work *w, rert_err *err);
/* gate_dose.c: DoseType / values / summation / parts of every course (GATE_LEVEL_FULL). */
int gate_check_doses(gate_work *w, rert_err *err);
/* JSON path of course i's field, e.g. "$.courses[1].fractions". */
void gate_jpath(char *buf, size_t n, int course, const char *field);

#endif
