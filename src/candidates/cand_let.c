/* cand_let.c — LETd maps of particle candidates: import (MetaImage/NIfTI or a DICOM RTDOSE-like
 * object, keV/µm, on the candidate's own dose grid), mapping onto the reference grid, and LETd
 * statistics per structure (docs/compare.md "LETd"). S0 names LET mapping within the target and
 * its relation to in-field recurrence as the way forward for carbon re-irradiation; S2 warns of a
 * higher proton RBE at the distal edge — both need the LETd where the dose is. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cand_internal.h"
#include "rert/dicomio.h"
#include "rert/dvh.h"
#include "rert/geom.h"
#include "rert/imageio.h"
#include "rert/register.h"

/* LETd above this is not a proton or carbon LETd in keV/µm (carbon SOBP: 40–80, S0). */
#define LET_PLAUSIBLE_MAX_KEV_UM 1000.0

static void geom_text(const rert_volume *v, char *b, size_t n) {
  snprintf(b, n, "%dx%dx%d at (%.2f, %.2f, %.2f) mm, spacing %.3g/%.3g/%.3g mm", v->nx, v->ny, v->nz,
           v->origin_mm[0], v->origin_mm[1], v->origin_mm[2], v->spacing_mm[0], v->spacing_mm[1],
           v->spacing_mm[2]);
}

static int resample_identity(const rert_volume *src, const rert_volume *grid, rert_volume *out, rert_err *err) {
  rert_vfield f;
  memset(&f, 0, sizeof f);
  int rc = reg_vfield_alloc_like(&f, grid, err);
  if (!rc) rc = reg_warp_volume_to(src, &f, grid, REG_INTERP_LINEAR, 0.0f, out, err);
  rtdata_free_vfield(&f);
  return rc;
}

int cand_let_load(const rert_case *cf, int ci, const rert_volume *grid, const rert_volume *dose_on_grid,
                  rert_volume *let, rert_err *err) {
  const case_course *co = &cf->courses[ci];
  char jp[96];
  snprintf(jp, sizeof jp, "$.courses[%d].let.path", ci);
  /* the candidate's own dose grid (the LETd must be on it) */
  rert_rtdose rd;
  memset(&rd, 0, sizeof rd);
  int rc = io_read_rtdose(co->rtdose, &rd, err);
  if (rc) return rc;
  rert_volume L;
  memset(&L, 0, sizeof L);
  const char *how;
  if (imageio_format_of(co->let_path) != IMAGEIO_FMT_UNKNOWN) {
    rc = imageio_read_volume(co->let_path, &L, err);
    if (rc) rert_err_prefix(err, rc, "%s: %s", cf->path, jp);
    how = "image";
  } else {
    /* a DICOM RTDOSE-like object whose pixel values are LETd (planning systems export LETd maps
     * this way); its patient and frame must be the candidate's */
    rert_rtdose ld;
    memset(&ld, 0, sizeof ld);
    rc = io_read_rtdose(co->let_path, &ld, err);
    if (rc) rert_err_prefix(err, rc, "%s: %s (LETd as a DICOM RTDOSE-like object)", cf->path, jp);
    if (!rc && !strcmp(ld.ident.sop_instance_uid, rd.ident.sop_instance_uid))
      rc = rert_err_set(err, RERT_EINPUT, "%s: SOPInstanceUID (0008,0018): the LETd object is the candidate's RTDOSE itself (%s)",
                        co->let_path, jp);
    if (!rc && strcmp(ld.ident.patient_id, rd.ident.patient_id))
      rc = rert_err_set(err, RERT_EINPUT, "%s: PatientID (0010,0020) '%s' differs from the candidate's RTDOSE ('%s'): %s",
                        co->let_path, ld.ident.patient_id, rd.ident.patient_id, jp);
    if (!rc && strcmp(ld.ident.frame_of_reference_uid, rd.ident.frame_of_reference_uid))
      rc = rert_err_set(err, RERT_EINPUT,
                        "%s: FrameOfReferenceUID (0020,0052) %s differs from the candidate's RTDOSE (%s): %s",
                        co->let_path, ld.ident.frame_of_reference_uid, rd.ident.frame_of_reference_uid, jp);
    if (!rc) {
      L = ld.dose;
      ld.dose.data = NULL;
    }
    rtdata_free_rtdose(&ld);
    how = "DICOM";
  }
  if (!rc && !volume_same_geometry(&L, &rd.dose)) {
    char a[200], b[200];
    geom_text(&L, a, sizeof a);
    geom_text(&rd.dose, b, sizeof b);
    rc = rert_err_set(err, RERT_EINPUT,
                      "%s: the LETd grid (%s) is not the dose grid of %s (%s): %s must be on the candidate's dose grid",
                      co->let_path, a, co->rtdose, b, jp);
  }
  const size_t nv = rc ? 0 : volume_count(&L);
  for (size_t v = 0; v < nv && !rc; v++) {
    double x = L.data[v];
    if (!isfinite(x) || x < 0 || x > LET_PLAUSIBLE_MAX_KEV_UM)
      rc = rert_err_set(err, RERT_EINPUT,
                        "%s: LETd value %g at voxel %zu is not a LETd in keV/um (finite, 0-%g): %s",
                        co->let_path, x, v, LET_PLAUSIBLE_MAX_KEV_UM, jp);
  }
  (void)how;
  if (rc) {
    volume_free(&L);
    rtdata_free_rtdose(&rd);
    return rc;
  }
  if (volume_same_geometry(&rd.dose, grid)) {
    rc = volume_alloc_like(let, grid, err);
    if (!rc) memcpy(let->data, L.data, volume_count(grid) * sizeof(float));
  } else {
    /* another grid in the same frame: LETd is dose-averaged, so the product D·L and D are
     * resampled and divided (L = map(D·L)/map(D)); where no dose arrives, the plain trilinear L */
    const case_course *ref = casefile_reference(cf);
    rert_dicom_ident rid;
    rc = io_read_ident(ref->rtdose, &rid, err);
    if (!rc && strcmp(rid.frame_of_reference_uid, rd.ident.frame_of_reference_uid))
      rc = rert_err_set(err, RERT_EINPUT,
                        "%s: FrameOfReferenceUID (0020,0052): course '%s' is registered to the reference "
                        "frame; rert maps a LETd map only within the reference frame (%s): %s",
                        co->rtdose, co->id, ref->id, jp);
    rert_volume P, Pr, Lr;
    memset(&P, 0, sizeof P);
    memset(&Pr, 0, sizeof Pr);
    memset(&Lr, 0, sizeof Lr);
    if (!rc) rc = volume_alloc_like(&P, &rd.dose, err);
    if (!rc) {
      for (size_t v = 0; v < nv; v++) P.data[v] = rd.dose.data[v] * L.data[v];
      rc = resample_identity(&P, grid, &Pr, err);
    }
    if (!rc) rc = resample_identity(&L, grid, &Lr, err);
    if (!rc) rc = volume_alloc_like(let, grid, err);
    if (!rc) {
      const size_t ng = volume_count(grid);
      for (size_t v = 0; v < ng; v++) {
        double d = dose_on_grid->data[v];
        let->data[v] = d > 1e-6 ? (float)(Pr.data[v] / d) : Lr.data[v];
        if (!(let->data[v] >= 0)) let->data[v] = 0;
      }
    }
    volume_free(&P);
    volume_free(&Pr);
    volume_free(&Lr);
  }
  if (!rc) {
    memset(&let->meta, 0, sizeof let->meta);
    let->meta.quantity = QTY_OTHER;
    snprintf(let->meta.description, sizeof let->meta.description, "LETd keV/um (%s)", co->id);
  }
  volume_free(&L);
  rtdata_free_rtdose(&rd);
  return rc;
}

int cand_let_stats_compute(const cand_comparison *cmp, const accum_input *in, cand_result *r,
                           rert_err *err) {
  r->nlet = 0;
  if (!r->let.data) return RERT_OK;
  free(r->let_stats);
  r->let_stats = calloc(in->nstructs > 0 ? (size_t)in->nstructs : 1, sizeof *r->let_stats);
  if (!r->let_stats) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  /* LETd is averaged with the physical dose; the plan's own dose on the reference grid (fixed-RBE
   * or physical, before any variable RBE) is proportional to it voxel by voxel for protons, and its
   * units are those of the prescription the high-dose threshold refers to. A variable-RBE dose
   * is not: it rises with the LETd itself and would bias the average upwards. Carbon: the
   * RBE-weighted plan dose (the physical dose is not known per voxel; stated in docs/compare.md). */
  const rert_volume *D = &cmp->ac->dose[r->case_index];
  rert_volume P;
  memset(&P, 0, sizeof P);
  int rc = volume_alloc_like(&P, D, err);
  if (rc) return rc;
  const size_t nv = volume_count(D);
  for (size_t v = 0; v < nv; v++) P.data[v] = D->data[v] * r->let.data[v];
  const double voxel_cc = D->spacing_mm[0] * D->spacing_mm[1] * D->spacing_mm[2] / 1000.0;
  const float thr = (float)(in->mask_threshold > 0 ? in->mask_threshold : 0.5);
  const double hd = cmp->opts.let_high_dose_fraction * r->prescription_gy;
  for (int s = 0; s < in->nstructs && !rc; s++) {
    const accum_structure *st = &in->structs[s];
    cand_let_stats *q = &r->let_stats[r->nlet];
    memset(q, 0, sizeof *q);
    snprintf(q->structure, sizeof q->structure, "%s", st->name);
    q->is_target = st->is_target;
    q->is_recurrence = s == cmp->recurrence_struct;
    rert_dvh dl, dp, dd;
    memset(&dl, 0, sizeof dl);
    memset(&dp, 0, sizeof dp);
    memset(&dd, 0, sizeof dd);
    rc = cand_dvh(cmp, st, &r->let, &dl, err);
    if (!rc) rc = cand_dvh(cmp, st, &P, &dp, err);
    if (!rc) rc = cand_dvh(cmp, st, D, &dd, err);
    if (!rc && dl.status == RERT_OK && dl.inside_cc > 0) {
      q->volume_cc = dl.total_cc;
      q->mean = dl.dmean_gy;
      q->min = dl.dmin_gy;
      q->max = dl.dmax_gy;
      q->complete = !(dl.outside_cc > 0);
      q->dose_weighted = dd.status == RERT_OK && dd.dmean_gy > 0 ? dp.dmean_gy / dd.dmean_gy : NAN;
      /* high-dose voxels of organs at risk */
      q->high_dose_threshold_gy = hd;
      q->high_mean = q->high_dose_weighted = NAN;
      if (!st->is_target && st->mask && st->mask->data) {
        double w = 0, wl = 0, wd = 0, wdl = 0;
        const float *m = st->mask->data;
        for (size_t v = 0; v < nv; v++) {
          if (!(m[v] >= thr) || !(D->data[v] >= hd)) continue;
          w += m[v];
          wl += m[v] * r->let.data[v];
          wd += m[v] * D->data[v];
          wdl += m[v] * D->data[v] * r->let.data[v];
        }
        q->high_dose_cc = w * voxel_cc;
        if (w > 0) q->high_mean = wl / w;
        if (wd > 0) q->high_dose_weighted = wdl / wd;
      }
      r->nlet++;
    }
    dvh_free(&dl);
    dvh_free(&dp);
    dvh_free(&dd);
  }
  volume_free(&P);
  return rc;
}
