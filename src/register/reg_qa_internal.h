/* reg_qa_internal.h — shared between the QA files of the register module (qa_verdict.c,
 * qa_contours.c). */
#ifndef RERT_REG_QA_INTERNAL_H
#define RERT_REG_QA_INTERNAL_H
#include "rert/regqa.h"

void qa_set_check(reg_qa_report *r, int c, reg_qa_status s, const char *detail);
/* Propagated contours: organs contoured in both courses (region G = where doses are mapped). */
int qa_contours_run(const reg_qa_input *in, const reg_qa_opts *o, const rert_volume *G, reg_qa_report *r,
                    rert_err *err);
/* Landmark TRE from POINT ROIs with the same name in both structure sets. */
int qa_landmarks_run(const reg_qa_input *in, const reg_qa_opts *o, reg_qa_report *r, rert_err *err);
#endif
