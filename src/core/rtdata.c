/* rtdata.c — freeing and lookup helpers for the shared RT object types (rert/rtdata.h). */
#include "rert/rtdata.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void rtdata_free_image_series(rert_image_series *s) {
  if (!s) return;
  volume_free(&s->image);
  free(s->slice_sop_uids);
  s->slice_sop_uids = NULL;
}

void rtdata_free_structure_set(rert_structure_set *s) {
  if (!s) return;
  for (int r = 0; r < s->nrois; r++) {
    for (int c = 0; c < s->rois[r].ncontours; c++) free(s->rois[r].contours[c].xyz_mm);
    free(s->rois[r].contours);
    free(s->rois[r].contour_image_uids);
  }
  free(s->rois);
  s->rois = NULL;
  s->nrois = 0;
}

void rtdata_free_rtdose(rert_rtdose *d) {
  if (d) volume_free(&d->dose);
}

void rtdata_free_rtplan(rert_rtplan *p) {
  if (!p) return;
  free(p->fraction_groups);
  free(p->prescriptions);
  free(p->beams);
  p->fraction_groups = NULL;
  p->prescriptions = NULL;
  p->beams = NULL;
}

void rtdata_free_vfield(rert_vfield *f) {
  if (!f) return;
  free(f->u_mm);
  f->u_mm = NULL;
}

void rtdata_free_deformable_registration(rert_deformable_registration *r) {
  if (r) rtdata_free_vfield(&r->field);
}

const rert_roi *rtdata_find_roi(const rert_structure_set *s, const char *name) {
  for (int r = 0; r < s->nrois; r++)
    if (s->rois[r].tg263_name[0] && strcmp(s->rois[r].tg263_name, name) == 0) return &s->rois[r];
  for (int r = 0; r < s->nrois; r++)
    if (strcasecmp(s->rois[r].name, name) == 0) return &s->rois[r];
  return NULL;
}
