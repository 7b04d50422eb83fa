/* cand_select.c — one candidate as the new course (rert/candidates.h candidates_select_case):
 * `rert evaluate|accumulate|solve --candidate ID` and the consult's detailed sections use the case
 * reduced to the chosen candidate. The reduction itself is the case file's
 * (casefile_select_candidate); this checks the frame of reference it relies on. */
#include <stdio.h>
#include <string.h>

#include "rert/candidates.h"
#include "rert/dicomio.h"

int candidates_select_case(rert_case *cf, const char *id, rert_err *err) {
  const case_course *k = id ? casefile_course(cf, id) : NULL;
  const case_course *ref = casefile_reference(cf);
  if (k && ref && k != ref && ref->role != COURSE_PRIOR && k->role != COURSE_PRIOR) {
    /* the reference course is removed and `id` takes its place: its anatomy (RTSTRUCT, CT) and
     * the registrations targeting it are only valid in the same frame of reference */
    if (!k->rtdose[0] || !ref->rtdose[0])
      return rert_err_set(err, RERT_EINPUT,
                          "%s: $.courses: '%s' and the reference course '%s' both need an rtdose to "
                          "check that they share a frame of reference",
                          cf->path, k->id, ref->id);
    rert_dicom_ident a, b;
    if (io_read_ident(k->rtdose, &a, err) || io_read_ident(ref->rtdose, &b, err)) return RERT_EINPUT;
    if (strcmp(a.frame_of_reference_uid, b.frame_of_reference_uid))
      return rert_err_set(err, RERT_EINPUT,
                          "%s: FrameOfReferenceUID (0020,0052) %s differs from the reference course "
                          "'%s' (%s): candidate '%s' cannot take over its anatomy and registrations; "
                          "set $.reference_course to a course in the candidate's frame",
                          k->rtdose, a.frame_of_reference_uid, ref->id, b.frame_of_reference_uid, k->id);
  }
  return casefile_select_candidate(cf, id, err);
}
