/* gate_dose.c — dose semantics of the DICOM gate (rert/gate.h): what each RTDOSE of a course is
 * and how the course dose is formed from them, per DICOM PS3.3 C.8.8.3 (RT Dose Module):
 *
 *   DoseUnits         GY only (RELATIVE has no absolute scale: refused).
 *   DoseType          PHYSICAL or EFFECTIVE, checked against the course's modality and RBE model
 *                     (photons: PHYSICAL; protons RBE_FIXED and carbon LEM_I/MKM: EFFECTIVE);
 *                     ERROR (an uncertainty map) refused.
 *   DoseSummationType PLAN        whole delivery of every fraction group of the plan
 *                     MULTI_PLAN  whole delivery of two or more plans
 *                     FRACTION    whole delivery of ONE fraction group (its own fraction count;
 *                                 Pinnacle writes it for full-course doses)
 *                     BEAM        whole delivery of one or more beams: summed when every beam of
 *                                 the group is present, else refused
 *                     BRACHY      whole delivery of brachytherapy application setups
 *                     FRACTION_SESSION / BEAM_SESSION / BRACHY_SESSION
 *                                 one session: × the group's NumberOfFractionsPlanned (stated)
 *                     CONTROL_POINT, RECORD   refused (a part of a fraction; a delivery record)
 *
 * Each fraction group becomes one part with its own fraction count, so the LQ conversion uses
 * each group's own dose per fraction (domain-reference §1.1, non-uniform fractionation:
 * BED = Σ_i d_i(1 + d_i/(α/β))); the sum of a sequential boost's physical doses converted with
 * one fraction count is wrong in both directions. A PLAN dose of a multi-group plan does not say
 * how the dose splits between groups: refused, or (override multigroup_plan_dose) converted with
 * the smallest group fraction count — EQD2 is convex in the split, so taking all dose in the
 * group with the fewest fractions bounds Σ_g D_g(D_g/n_g + a)/(2 + a) from above.
 * Values: non-finite, negative or all-zero grids are refused; a course maximum far from the
 * prescription is refused as implausible (data/dose_plausibility.json, override
 * dose_implausible). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate/gate_internal.h"
#include "rert/dicomio.h"
#include "rert/register.h"

static const char *sum_name(rert_dose_summation s) {
  static const char *n[] = {"PLAN", "MULTI_PLAN", "FRACTION", "BEAM", "BRACHY", "FRACTION_SESSION",
                            "BEAM_SESSION", "BRACHY_SESSION", "CONTROL_POINT", "RECORD"};
  return (unsigned)s < 10 ? n[s] : "?";
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* A label naming a biologically weighted quantity: words EQD2/EQDx/BED/biological. */
static int mentions_biological(const char *s) {
  char tok[32];
  size_t n = 0;
  for (const char *p = s;; p++) {
    if (*p && isalnum((unsigned char)*p)) {
      if (n < sizeof tok - 1) tok[n++] = (char)toupper((unsigned char)*p);
      continue;
    }
    tok[n] = 0;
    if (n && (!strncmp(tok, "EQD", 3) || !strcmp(tok, "BED") || !strncmp(tok, "BIOLOG", 6)))
      return 1;
    n = 0;
    if (!*p) break;
  }
  return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

int gate_read_doses(gate_work *w, rert_err *err) {
  const rert_case *cs = w->cs;
  for (int c = 0; c < cs->ncourses; c++) {
    gate_work_course *wc = &w->wc[c];
    const case_course *k = &cs->courses[c];
    if (!wc->ndoses) continue;
    wc->doses = calloc((size_t)wc->ndoses, sizeof *wc->doses);
    if (!wc->doses) return rert_err_set(err, RERT_EINTERNAL, "gate: out of memory");
    for (int i = 0; i < wc->ndoses; i++) {
      gate_object *x = &w->g->objects[wc->dose_obj[i]];
      rert_err e;
      if (io_read_rtdose(k->rtdoses[i], &wc->doses[i], &e)) {
        int internal = e.msg[0] && strstr(e.msg, "out of memory");
        gate_add(&w->g->findings, GATE_REFUSAL, "rtdose.read", k->id, k->rtdoses[i], "", "%s", e.msg);
        if (internal) return rert_err_set(err, RERT_EINTERNAL, "%s", e.msg);
        continue;
      }
      wc->dose_read[i] = 1;
      const rert_rtdose *d = &wc->doses[i];
      x->readable = 1;
      x->ident = d->ident;
      snprintf(x->ref_plan_uid, sizeof x->ref_plan_uid, "%s", d->referenced_plan_uid);
      snprintf(x->summary, sizeof x->summary, "%s %s %s, %dx%dx%d",
               d->units == DOSE_UNITS_GY ? "GY" : "RELATIVE",
               d->type == DOSE_TYPE_PHYSICAL ? "PHYSICAL" : d->type == DOSE_TYPE_EFFECTIVE ? "EFFECTIVE" : "ERROR",
               sum_name(d->summation), d->dose.nx, d->dose.ny, d->dose.nz);
      if (d->referenced_fraction_group)
        snprintf(x->summary + strlen(x->summary), sizeof x->summary - strlen(x->summary),
                 ", group %d", d->referenced_fraction_group);
      if (d->nreferenced_beams)
        snprintf(x->summary + strlen(x->summary), sizeof x->summary - strlen(x->summary),
                 ", %d beam(s)", d->nreferenced_beams);
    }
  }
  return RERT_OK;
}

/* ---- per-dose semantics ------------------------------------------------------------------- */

/* Units, type against the course, derived-map labels, values. Returns 1 when usable. */
static int check_one(gate_work *w, int c, int i, int *proton_physical) {
  const case_course *k = &w->cs->courses[c];
  const rert_rtdose *d = &w->wc[c].doses[i];
  const char *f = k->rtdoses[i];
  gate_findings *F = &w->g->findings;
  int ok = 1;
  if (d->units != DOSE_UNITS_GY) {
    gate_add(F, GATE_REFUSAL, "dose.units", k->id, f, "DoseUnits (3004,0002)",
             "RELATIVE: a relative dose has no absolute scale; export the dose in GY");
    ok = 0;
  }
  if (d->type == DOSE_TYPE_ERROR) {
    gate_add(F, GATE_REFUSAL, "dose.type", k->id, f, "DoseType (3004,0004)",
             "ERROR: an uncertainty map, not a dose");
    return 0;
  }
  /* rert's own derived maps (EQD2, BED, remaining tolerance...) carry a rert-meta line */
  rert_quantity q = d->dose.meta.quantity;
  if (q != QTY_PHYSICAL && q != QTY_RBE_WEIGHTED) {
    gate_add(F, GATE_REFUSAL, "dose.derived", k->id, f, "ImageComments (0020,4000)",
             "this RTDOSE is a derived map (rert-meta quantity %d: EQD2/BED/remaining/...), not the "
             "course's delivered dose", (int)q);
    return 0;
  }
  const int bio = mentions_biological(d->dose_comment) || mentions_biological(d->ident.series_description);
  const char *btag = mentions_biological(d->dose_comment) ? "DoseComment (3004,0006)" : "SeriesDescription (0008,103E)";
  const int particle = k->modality == MOD_PROTON || k->modality == MOD_CARBON || k->modality == MOD_OTHER_ION;
  if (d->type == DOSE_TYPE_EFFECTIVE && bio) {
    gate_add(F, GATE_REFUSAL, "dose.type", k->id, f, btag,
             "DoseType EFFECTIVE labelled as a biologically weighted dose (EQD2/BED): rert needs the "
             "course's physical (photons) or RBE-weighted (particles) dose and converts it itself");
    return 0;
  }
  if (d->type == DOSE_TYPE_PHYSICAL && bio &&
      gate_add_interlock(F, w->cs, "dose_label", "dose.type", k->id, f, btag,
                         "DoseType PHYSICAL but labelled as a biologically weighted dose (EQD2/BED): "
                         "which one it is is ambiguous") == 0)
    ok = 0;
  if (!particle) {
    if (d->type == DOSE_TYPE_EFFECTIVE &&
        !gate_add_interlock(F, w->cs, "dose_label", "dose.type", k->id, f, "DoseType (3004,0004)",
                            "EFFECTIVE (RBE- or biologically weighted) for a %s course; rert sums "
                            "physical photon dose", rbe_modality_name(k->modality)))
      ok = 0;
  } else if (d->type == DOSE_TYPE_PHYSICAL) {
    if (k->modality == MOD_PROTON) {
      *proton_physical = 1;
      if (!gate_add_interlock(F, w->cs, "physical_particle_dose", "dose.type", k->id, f,
                              "DoseType (3004,0004)",
                              "PHYSICAL for a proton course (rbe_model %s): physical proton dose "
                              "must be RBE-weighted before it is summed", rbe_model_name(k->rbe)))
        ok = 0;
    } else {
      gate_add(F, GATE_REFUSAL, "dose.type", k->id, f, "DoseType (3004,0004)",
               "PHYSICAL for a %s course (rbe_model %s): carbon RBE depends on LET and dose per "
               "fraction, no constant converts it; export the RBE-weighted (EFFECTIVE) dose of the "
               "course's model", rbe_modality_name(k->modality), rbe_model_name(k->rbe));
      ok = 0;
    }
  } else if (d->dose.meta.rbe != RBE_FIXED && d->dose.meta.rbe != k->rbe && isfinite(d->dose.meta.rbe_factor)) {
    /* EFFECTIVE dose written by rert states its model: it must be the course's */
    gate_add(F, GATE_REFUSAL, "dose.type", k->id, f, "ImageComments (0020,4000)",
             "RBE-weighted with %s but $.courses[%d].rbe_model is %s", rbe_model_name(d->dose.meta.rbe),
             c, rbe_model_name(k->rbe));
    ok = 0;
  }
  if (d->summation == SUM_CONTROL_POINT || d->summation == SUM_RECORD) {
    gate_add(F, GATE_REFUSAL, "dose.summation", k->id, f, "DoseSummationType (3004,000A)",
             "%s: %s; rert needs the dose of whole fraction groups or plans", sum_name(d->summation),
             d->summation == SUM_CONTROL_POINT ? "the dose of some control points of one fraction"
                                               : "the dose of a treatment record (delivered sessions)");
    ok = 0;
  }
  /* values */
  size_t n = volume_count(&d->dose), nonfinite = 0, negative = 0, first_bad = 0;
  float mn = INFINITY, mx = -INFINITY;
  for (size_t v = 0; v < n; v++) {
    float x = d->dose.data[v];
    if (!isfinite(x)) {
      if (!nonfinite++) first_bad = v;
      continue;
    }
    if (x < 0) negative++;
    if (x < mn) mn = x;
    if (x > mx) mx = x;
  }
  if (nonfinite) {
    gate_add(F, GATE_REFUSAL, "dose.values", k->id, f, "PixelData (7FE0,0010)",
             "%zu non-finite value(s) (first at voxel %zu)", nonfinite, first_bad);
    ok = 0;
  } else if (negative) {
    gate_add(F, GATE_REFUSAL, "dose.values", k->id, f, "PixelData (7FE0,0010)",
             "%zu negative dose value(s) (minimum %.4g Gy): absorbed dose is never negative", negative,
             (double)mn);
    ok = 0;
  } else if (!(mx > 0)) {
    gate_add(F, GATE_REFUSAL, "dose.values", k->id, f, "PixelData (7FE0,0010)",
             "every value is 0: an empty dose (DoseGridScaling (3004,000E) %g)", d->dose_grid_scaling);
    ok = 0;
  } else if (ok) {
    gate_add(F, GATE_OK, "dose.values", k->id, f, "DoseUnits (3004,0002)", "GY, %s, %s, max %.4g Gy",
             d->type == DOSE_TYPE_PHYSICAL ? "PHYSICAL" : "EFFECTIVE", sum_name(d->summation), (double)mx);
  }
  return ok;
}

/* ---- plans and groups --------------------------------------------------------------------- */

typedef struct {
  int plan;                 /* index in wc->plans, −1 = no plan (the case file's count) */
  int group;                /* index in the plan's fraction_groups */
  int fractions;
  int whole;                /* dose index covering this group as a whole (or −1) */
  int whole_count;
  int nbeam_doses;
  int beam_dose[RERT_CASE_MAX_DOSES];
  int beams_covered[RERT_MAX_REF_BEAMS];
  int nbeams_covered;
  int session;              /* the covering dose is per session (× fractions) */
} gate_slot;

static int plan_of(gate_work *w, int c, const char *uid) {
  for (int p = 0; p < w->wc[c].nplans; p++)
    if (w->wc[c].plan_read[p] && !strcmp(w->wc[c].plans[p].ident.sop_instance_uid, uid)) return p;
  return -1;
}

static int other_course_plan(gate_work *w, int c, const char *uid) {
  for (int o = 0; o < w->cs->ncourses; o++) {
    if (o == c) continue;
    for (int p = 0; p < w->wc[o].nplans; p++)
      if (w->wc[o].plan_read[p] && !strcmp(w->wc[o].plans[p].ident.sop_instance_uid, uid)) return o;
  }
  return -1;
}

/* Plan of dose i: index, −1 when the course has no plan, −2 refused. */
static int match_plan(gate_work *w, int c, int i) {
  const case_course *k = &w->cs->courses[c];
  gate_work_course *wc = &w->wc[c];
  const rert_rtdose *d = &wc->doses[i];
  gate_findings *F = &w->g->findings;
  const char *f = k->rtdoses[i];
  int nplans = 0;
  for (int p = 0; p < wc->nplans; p++) nplans += wc->plan_read[p];
  if (d->nreferenced_plans == 0) {
    if (nplans == 0) return -1;
    if (nplans == 1) {
      for (int p = 0; p < wc->nplans; p++)
        if (wc->plan_read[p]) {
          gate_add(F, GATE_WARNING, "dose.plan", k->id, f, "ReferencedRTPlanSequence (300C,0002)",
                   "absent: the dose is taken as the dose of the course's only plan %s",
                   base_name(k->rtplans[p]));
          return p;
        }
    }
    gate_add(F, GATE_REFUSAL, "dose.plan", k->id, f, "ReferencedRTPlanSequence (300C,0002)",
             "absent, and the course has %d plans: which plan's dose this is is unknown", nplans);
    return -2;
  }
  int first = -1;
  for (int r = 0; r < d->nreferenced_plans; r++) {
    const char *uid = d->referenced_plan_uids[r];
    int p = plan_of(w, c, uid);
    if (p >= 0) {
      if (first < 0) first = p;
      continue;
    }
    int o = other_course_plan(w, c, uid);
    if (o >= 0) {
      gate_add(F, GATE_REFUSAL, "dose.plan", k->id, f, "ReferencedRTPlanSequence (300C,0002)",
               "names plan %s of course '%s': the dose of another course (doses swapped or listed "
               "for the wrong course)", uid, w->cs->courses[o].id);
      return -2;
    }
    if (nplans == 0) {
      gate_add(F, GATE_WARNING, "dose.plan", k->id, f, "ReferencedRTPlanSequence (300C,0002)",
               "names plan %s, which the case file does not list: its fraction groups are unknown, "
               "the case file's %d fraction(s) are used", uid, k->fractions);
      continue;
    }
    int over = gate_add_interlock(F, w->cs, "plan_reference", "dose.plan", k->id, f,
                                  "ReferencedRTPlanSequence (300C,0002)",
                                  "names plan %s, which is not the course's plan%s (%s)", uid,
                                  nplans > 1 ? "s" : "", wc->plans[0].ident.sop_instance_uid);
    if (!over) return -2;
    if (nplans > 1) {
      gate_add(F, GATE_REFUSAL, "dose.plan", k->id, f, "ReferencedRTPlanSequence (300C,0002)",
               "the override of plan_reference needs a course with one plan (this one has %d)", nplans);
      return -2;
    }
    if (first < 0) first = 0;
  }
  if (first < 0 && nplans == 0) return -1;
  if (first >= 0)
    gate_add(F, GATE_OK, "dose.plan", k->id, f, "ReferencedRTPlanSequence (300C,0002)",
             "dose of plan %s", base_name(k->rtplans[first]));
  return first;
}

/* Slot of (plan, group number); group 0 = the only group of the plan. −1 refused. */
static int find_slot(gate_slot *s, int ns, int plan, int group_index) {
  for (int i = 0; i < ns; i++)
    if (s[i].plan == plan && s[i].group == group_index) return i;
  return -1;
}

static int group_of(gate_work *w, int c, int i, int p, gate_slot *s, int ns) {
  const case_course *k = &w->cs->courses[c];
  const rert_rtdose *d = &w->wc[c].doses[i];
  gate_findings *F = &w->g->findings;
  if (p < 0) return find_slot(s, ns, -1, 0);
  const rert_rtplan *pl = &w->wc[c].plans[p];
  if (d->referenced_fraction_group) {
    for (int gi = 0; gi < pl->nfraction_groups; gi++)
      if (pl->fraction_groups[gi].number == d->referenced_fraction_group) return find_slot(s, ns, p, gi);
    gate_add(F, GATE_REFUSAL, "dose.fraction_group", k->id, k->rtdoses[i],
             "ReferencedFractionGroupNumber (300C,0022)",
             "fraction group %d is not in plan %s (groups:%s%s)", d->referenced_fraction_group,
             base_name(k->rtplans[p]), pl->nfraction_groups ? "" : " none", pl->nfraction_groups ? " see the plan" : "");
    return -1;
  }
  if (pl->nfraction_groups <= 1) return find_slot(s, ns, p, 0);
  gate_add(F, GATE_REFUSAL, "dose.fraction_group", k->id, k->rtdoses[i],
           "ReferencedFractionGroupNumber (300C,0022)",
           "absent: a %s dose of plan %s with %d fraction groups does not say which group it is",
           sum_name(d->summation), base_name(k->rtplans[p]), pl->nfraction_groups);
  return -1;
}

/* ---- grids -------------------------------------------------------------------------------- */

/* One grid covering every source: the first's orientation and spacing, extended to the bounding
 * box (in the first's index space) of every source's corners. */
static int union_grid(const rert_volume *const *src, int n, rert_volume *out, rert_err *err) {
  const rert_volume *a = src[0];
  double lo[3] = {0, 0, 0}, hi[3] = {a->nx - 1, a->ny - 1, a->nz - 1};
  for (int s = 1; s < n; s++) {
    const rert_volume *b = src[s];
    for (int q = 0; q < 8; q++) {
      double ijk[3] = {(q & 1) ? b->nx - 1 : 0, (q & 2) ? b->ny - 1 : 0, (q & 4) ? b->nz - 1 : 0}, x[3], t[3];
      volume_index_to_world(b, ijk, x);
      volume_world_to_index(a, x, t);
      for (int ax = 0; ax < 3; ax++) {
        if (floor(t[ax] + 1e-6) < lo[ax]) lo[ax] = floor(t[ax] + 1e-6);
        if (ceil(t[ax] - 1e-6) > hi[ax]) hi[ax] = ceil(t[ax] - 1e-6);
      }
    }
  }
  *out = *a;
  out->data = NULL;
  out->nx = (int)(hi[0] - lo[0]) + 1, out->ny = (int)(hi[1] - lo[1]) + 1, out->nz = (int)(hi[2] - lo[2]) + 1;
  if ((double)out->nx * out->ny * out->nz > 4e8)
    return rert_err_set(err, RERT_EINPUT, "dose grids of one course are too far apart to combine");
  volume_index_to_world(a, lo, out->origin_mm);
  return volume_alloc(out, err);
}

/* dst += scale × src, src resampled onto dst's grid when the geometry differs. */
static int add_onto(rert_volume *dst, const rert_volume *src, double scale, rert_err *err) {
  size_t n = volume_count(dst);
  if (volume_same_geometry(dst, src)) {
    for (size_t v = 0; v < n; v++) dst->data[v] += (float)(scale * src->data[v]);
    return RERT_OK;
  }
  rert_vfield zero;
  rert_volume tmp;
  memset(&zero, 0, sizeof zero);
  memset(&tmp, 0, sizeof tmp);
  int rc = reg_vfield_alloc_like(&zero, dst, err);
  if (!rc) rc = reg_warp_volume_to(src, &zero, dst, REG_INTERP_LINEAR, 0.0f, &tmp, err);
  if (!rc)
    for (size_t v = 0; v < n; v++) dst->data[v] += (float)(scale * tmp.data[v]);
  rtdata_free_vfield(&zero);
  volume_free(&tmp);
  return rc;
}

/* ---- one course --------------------------------------------------------------------------- */

typedef struct {
  int ndose;
  int dose[RERT_CASE_MAX_DOSES];
  int fractions;
  int session;
  int group_number;
  int plan;
  double rx;
  char how[256];
} part_plan;

static int resolve_course(gate_work *w, int c, rert_err *err) {
  const rert_case *cs = w->cs;
  const case_course *k = &cs->courses[c];
  gate_work_course *wc = &w->wc[c];
  gate_course *gc = &w->g->courses[c];
  gate_findings *F = &w->g->findings;
  const int nref0 = gate_count(F, GATE_REFUSAL);
  int usable[RERT_CASE_MAX_DOSES], proton_physical = 0, brachy = 0;
  for (int i = 0; i < wc->ndoses; i++) {
    usable[i] = wc->dose_read[i] && check_one(w, c, i, &proton_physical);
    if (wc->dose_read[i] && (wc->doses[i].summation == SUM_BRACHY || wc->doses[i].summation == SUM_BRACHY_SESSION))
      brachy = 1;
  }
  /* slots: one per fraction group of every plan read, or one for the case file's count */
  int ns = 0, cap = 1;
  for (int p = 0; p < wc->nplans; p++)
    if (wc->plan_read[p]) cap += wc->plans[p].nfraction_groups;
  gate_slot *s = calloc((size_t)cap, sizeof *s);
  part_plan *pp = calloc(GATE_MAX_PARTS + 1, sizeof *pp);
  if (!s || !pp) {
    free(s);
    free(pp);
    return rert_err_set(err, RERT_EINTERNAL, "gate: out of memory");
  }
  int nread_plans = 0, ngroups = 0;
  for (int p = 0; p < wc->nplans; p++)
    if (wc->plan_read[p]) {
      nread_plans++;
      ngroups += wc->plans[p].nfraction_groups;
    }
  for (int p = 0; p < wc->nplans; p++)
    for (int gi = 0; wc->plan_read[p] && gi < wc->plans[p].nfraction_groups; gi++) {
      const rert_fraction_group *fg = &wc->plans[p].fraction_groups[gi];
      int fx = fg->fractions_planned > 0 ? fg->fractions_planned : 0;
      /* NumberOfFractionsPlanned is Type 2 (may be empty): the only group of the only plan takes
       * the case file's count (check_plans warned); in a several-group plan it stays unknown */
      if (!fx && nread_plans == 1 && ngroups == 1) fx = k->fractions;
      s[ns] = (gate_slot){p, gi, fx, -1, 0, 0, {0}, {0}, 0, 0};
      ns++;
    }
  const int pseudo = ns;
  s[ns++] = (gate_slot){-1, 0, k->fractions, -1, 0, 0, {0}, {0}, 0, 0};
  /* a plan without fraction groups (or an unknown count) falls back to the case file */
  int plan_dose_multi[RERT_CASE_MAX_DOSES];
  int multi_cover[RERT_CASE_MAX_DOSES][2]; /* first slot, count for PLAN/MULTI_PLAN doses */
  for (int i = 0; i < wc->ndoses; i++) plan_dose_multi[i] = 0;
  for (int i = 0; i < wc->ndoses; i++) {
    if (!usable[i]) continue;
    const rert_rtdose *d = &wc->doses[i];
    int p = match_plan(w, c, i);
    if (p == -2) { usable[i] = 0; continue; }
    if (p >= 0 && wc->plans[p].nfraction_groups == 0) p = -1;
    switch (d->summation) {
    case SUM_PLAN:
    case SUM_MULTI_PLAN: {
      /* every group of the plan(s) it names */
      int plist[RERT_MAX_REF_PLANS], np = 0;
      if (p < 0) plist[np++] = -1;
      else if (d->summation == SUM_PLAN || d->nreferenced_plans <= 1) plist[np++] = p;
      else
        for (int r = 0; r < d->nreferenced_plans; r++) {
          int q = plan_of(w, c, d->referenced_plan_uids[r]);
          if (q >= 0) plist[np++] = q;
        }
      int cnt = 0, firsts = -1;
      for (int a = 0; a < np; a++)
        for (int q = 0; q < ns; q++)
          if (q != pseudo || plist[a] < 0) {
            if (s[q].plan != plist[a]) continue;
            if (firsts < 0) firsts = q;
            cnt++;
            s[q].whole_count++;
            if (s[q].whole < 0) s[q].whole = i;
          }
      plan_dose_multi[i] = cnt > 1;
      multi_cover[i][0] = firsts;
      multi_cover[i][1] = cnt;
      break;
    }
    case SUM_FRACTION: case SUM_FRACTION_SESSION: case SUM_BRACHY: case SUM_BRACHY_SESSION: {
      int q = group_of(w, c, i, p, s, ns);
      if (q < 0) { usable[i] = 0; break; }
      s[q].whole_count++;
      if (s[q].whole < 0) s[q].whole = i;
      s[q].session = d->summation == SUM_FRACTION_SESSION || d->summation == SUM_BRACHY_SESSION;
      break;
    }
    case SUM_BEAM: case SUM_BEAM_SESSION: {
      if (p < 0) {
        gate_add(F, GATE_REFUSAL, "dose.beams", k->id, k->rtdoses[i], "DoseSummationType (3004,000A)",
                 "%s: the dose of some beams; without the course's RTPLAN rert cannot tell whether "
                 "every beam is present (list the plan in $.courses[%d].dicom.rtplan)",
                 sum_name(d->summation), c);
        usable[i] = 0;
        break;
      }
      int q = group_of(w, c, i, p, s, ns);
      if (q < 0) { usable[i] = 0; break; }
      if (d->nreferenced_beams == 0) {
        gate_add(F, GATE_REFUSAL, "dose.beams", k->id, k->rtdoses[i], "ReferencedBeamNumber (300C,0006)",
                 "absent: a %s dose must say which beam(s) it holds", sum_name(d->summation));
        usable[i] = 0;
        break;
      }
      const rert_fraction_group *fg = &wc->plans[s[q].plan].fraction_groups[s[q].group];
      for (int b = 0; b < d->nreferenced_beams; b++) {
        int bn = d->referenced_beams[b], in_group = 0, dup = 0;
        for (int r = 0; r < fg->nbeam_refs; r++) in_group |= fg->beam_numbers[r] == bn;
        for (int r = 0; r < s[q].nbeams_covered; r++) dup |= s[q].beams_covered[r] == bn;
        if (!in_group) {
          gate_add(F, GATE_REFUSAL, "dose.beams", k->id, k->rtdoses[i], "ReferencedBeamNumber (300C,0006)",
                   "beam %d is not delivered by fraction group %d of %s", bn, fg->number,
                   base_name(k->rtplans[s[q].plan]));
          usable[i] = 0;
        } else if (dup) {
          gate_add(F, GATE_REFUSAL, "dose.beams", k->id, k->rtdoses[i], "ReferencedBeamNumber (300C,0006)",
                   "beam %d has two dose files in this course: its dose would be counted twice", bn);
          usable[i] = 0;
        } else if (s[q].nbeams_covered < RERT_MAX_REF_BEAMS) {
          s[q].beams_covered[s[q].nbeams_covered++] = bn;
        }
      }
      if (usable[i]) {
        s[q].beam_dose[s[q].nbeam_doses++] = i;
        s[q].session = d->summation == SUM_BEAM_SESSION;
      }
      break;
    }
    default:
      usable[i] = 0; /* refused in check_one */
    }
  }
  if (gate_count(F, GATE_REFUSAL) > nref0) goto done;
  /* coverage: every group exactly once, by one whole dose or by all its beams */
  int npart = 0;
  for (int q = 0; q < ns; q++) {
    gate_slot *x = &s[q];
    int has = x->whole_count > 0 || x->nbeam_doses > 0;
    const char *pf = x->plan >= 0 ? k->rtplans[x->plan] : cs->path;
    int gnum = x->plan >= 0 ? wc->plans[x->plan].fraction_groups[x->group].number : 0;
    if (q == pseudo && !has) continue;
    if (has && x->fractions == 0) {
      gate_add(F, GATE_REFUSAL, "dose.fractions", k->id, pf, "NumberOfFractionsPlanned (300A,0078)",
               "empty or zero for fraction group %d of a plan with several groups: its dose cannot "
               "be converted", gnum);
      continue;
    }
    if (!has) {
      if (x->fractions == 0) continue;
      gate_add(F, GATE_REFUSAL, "dose.coverage", k->id, pf, "FractionGroupSequence (300A,0070)",
               "fraction group %d (%d fraction(s)) has no dose among the course's RTDOSE files: the "
               "course dose would miss it", gnum, x->fractions);
      continue;
    }
    if (x->whole_count > 1 || (x->whole_count && x->nbeam_doses)) {
      int a = x->whole, b = x->whole_count > 1 ? -1 : x->beam_dose[0];
      for (int i = 0; b < 0 && i < wc->ndoses; i++)
        if (i != a && usable[i]) b = i;
      gate_add(F, GATE_REFUSAL, "dose.coverage", k->id, k->rtdoses[a], "DoseSummationType (3004,000A)",
               "fraction group %d is covered twice (%s and %s): its dose would be counted twice",
               gnum, base_name(k->rtdoses[a]), b >= 0 ? base_name(k->rtdoses[b]) : "another file");
      continue;
    }
    if (x->nbeam_doses) {
      const rert_fraction_group *fg = &wc->plans[x->plan].fraction_groups[x->group];
      char miss[256] = "";
      int nmiss = 0;
      for (int r = 0; r < fg->nbeam_refs; r++) {
        int bn = fg->beam_numbers[r], got = 0;
        if (fg->beam_meterset[r] == 0) continue; /* a beam without meterset delivers no dose */
        for (int t = 0; t < wc->plans[x->plan].nbeam_defs; t++)
          if (wc->plans[x->plan].beams[t].number == bn && wc->plans[x->plan].beams[t].is_setup) got = 1;
        for (int t = 0; t < x->nbeams_covered; t++) got |= x->beams_covered[t] == bn;
        if (!got) {
          size_t L = strlen(miss);
          snprintf(miss + L, sizeof miss - L, "%s%d", nmiss ? ", " : "", bn);
          nmiss++;
        }
      }
      if (nmiss) {
        gate_add(F, GATE_REFUSAL, "dose.beams", k->id, k->rtdoses[x->beam_dose[0]],
                 "ReferencedBeamNumber (300C,0006)",
                 "BEAM doses of fraction group %d of %s: beam(s) %s of the group have no dose file "
                 "(%d of %d present): the sum would miss them", fg->number,
                 base_name(k->rtplans[x->plan]), miss, x->nbeams_covered, x->nbeams_covered + nmiss);
        continue;
      }
    }
    if (x->whole >= 0 && plan_dose_multi[x->whole]) continue; /* handled below */
    if (npart >= GATE_MAX_PARTS) {
      gate_add(F, GATE_REFUSAL, "dose.coverage", k->id, pf, "FractionGroupSequence (300A,0070)",
               "more than %d fraction groups in one course", GATE_MAX_PARTS);
      goto done;
    }
    part_plan *P = &pp[npart++];
    P->fractions = x->fractions;
    P->session = x->session;
    P->group_number = gnum;
    P->plan = x->plan;
    P->rx = x->plan >= 0 ? wc->plans[x->plan].fraction_groups[x->group].prescription_gy : NAN;
    if (x->whole >= 0) {
      P->dose[P->ndose++] = x->whole;
      const rert_rtdose *d = &wc->doses[x->whole];
      snprintf(P->how, sizeof P->how, "%s %s%s", sum_name(d->summation), base_name(k->rtdoses[x->whole]),
               P->session ? "" : "");
    } else {
      for (int t = 0; t < x->nbeam_doses; t++) P->dose[P->ndose++] = x->beam_dose[t];
      snprintf(P->how, sizeof P->how, "sum of %d %s dose file(s) (beams of group %d)", x->nbeam_doses,
               sum_name(wc->doses[x->beam_dose[0]].summation), gnum);
    }
    if (P->session) {
      size_t L = strlen(P->how);
      snprintf(P->how + L, sizeof P->how - L, " x %d fractions (one session times the group's "
               "NumberOfFractionsPlanned)", P->fractions);
    }
    if (x->plan < 0 && !wc->nplans)
      gate_add(F, GATE_WARNING, "dose.fractions", k->id, k->rtdoses[P->dose[0]], "",
               "no RTPLAN in the case file: the %s dose is taken as the whole course of %d "
               "fraction(s) stated by $.courses[%d].fractions", sum_name(wc->doses[P->dose[0]].summation),
               P->fractions, c);
  }
  /* whole-plan doses over several fraction groups */
  for (int i = 0; i < wc->ndoses; i++) {
    if (!usable[i] || !plan_dose_multi[i]) continue;
    int q0 = multi_cover[i][0], cnt = multi_cover[i][1], nmin = 0, ntot = 0;
    char groups[200] = "";
    for (int q = q0, seen = 0; q < ns && seen < cnt; q++) {
      if (s[q].whole != i) continue;
      seen++;
      ntot += s[q].fractions;
      if (s[q].fractions > 0 && (nmin == 0 || s[q].fractions < nmin)) nmin = s[q].fractions;
      size_t L = strlen(groups);
      snprintf(groups + L, sizeof groups - L, "%s%d fx", L ? " + " : "", s[q].fractions);
    }
    if (!gate_add_interlock(F, cs, "multigroup_plan_dose", "dose.summation", k->id, k->rtdoses[i],
                            "DoseSummationType (3004,000A)",
                            "%s dose of a plan with %d fraction groups (%s): how its dose splits "
                            "between the groups is unknown, so no fraction count converts it; "
                            "export one dose per fraction group (FRACTION) or per plan",
                            sum_name(wc->doses[i].summation), cnt, groups))
      continue;
    if (npart >= GATE_MAX_PARTS) break;
    part_plan *P = &pp[npart++];
    P->dose[P->ndose++] = i;
    P->fractions = nmin;
    P->plan = s[q0].plan;
    P->rx = NAN;
    gc->bounded = ntot;
    snprintf(P->how, sizeof P->how, "%s %s of %d groups (%s) converted with the smallest group's %d "
             "fractions: an UPPER BOUND of the EQD2", sum_name(wc->doses[i].summation),
             base_name(k->rtdoses[i]), cnt, groups, nmin);
  }
  if (gate_count(F, GATE_REFUSAL) > nref0 || npart == 0) goto done;

  /* build the parts on one grid */
  {
    const rert_volume *srcs[RERT_CASE_MAX_DOSES];
    int nsrc = 0, same = 1;
    for (int p = 0; p < npart; p++)
      for (int t = 0; t < pp[p].ndose; t++) {
        srcs[nsrc] = &wc->doses[pp[p].dose[t]].dose;
        if (nsrc && !volume_same_geometry(srcs[0], srcs[nsrc])) same = 0;
        nsrc++;
      }
    rert_volume grid;
    memset(&grid, 0, sizeof grid);
    int rc = union_grid(srcs, same ? 1 : nsrc, &grid, err);
    if (rc) {
      if (rc == RERT_EINPUT) {
        gate_add(F, GATE_REFUSAL, "dose.grid", k->id, k->rtdoses[0], "ImagePositionPatient (0020,0032)",
                 "%s", err->msg);
        rc = RERT_OK;
      }
      free(s);
      free(pp);
      return rc;
    }
    if (!same)
      gate_add(F, GATE_WARNING, "dose.grid", k->id, k->rtdoses[0], "ImagePositionPatient (0020,0032)",
               "the course's dose files are on different grids: resampled (trilinear) onto one %dx%dx%d "
               "grid covering all of them", grid.nx, grid.ny, grid.nz);
    /* a physical proton dose reaches here only through the physical_particle_dose override:
     * RBE-weight it with the fixed proton RBE; the course is then RBE_FIXED */
    double rbe = 1;
    if (proton_physical) {
      rert_err e2;
      if (rbe_fixed_factor(MOD_PROTON, &rbe, &e2)) {
        gate_add(F, GATE_REFUSAL, "dose.rbe", k->id, k->rtdoses[0], "", "%s", e2.msg);
        volume_free(&grid);
        goto done;
      }
      gc->rbe_factor = rbe;
    }
    if (k->modality == MOD_PROTON && (proton_physical || k->rbe == RBE_PHYSICAL)) gc->rbe = RBE_FIXED;
    for (int p = 0; p < npart && !rc; p++) {
      gate_part *G = &gc->parts[p];
      rc = volume_alloc_like(&G->dose, &grid, err);
      for (int t = 0; t < pp[p].ndose && !rc; t++)
        rc = add_onto(&G->dose, &wc->doses[pp[p].dose[t]].dose, (pp[p].session ? pp[p].fractions : 1) * rbe, err);
      G->fractions = pp[p].fractions;
      G->group_number = pp[p].group_number;
      G->prescription_gy = pp[p].rx;
      snprintf(G->how, sizeof G->how, "%s%s", pp[p].how,
               rbe != 1 ? " x fixed proton RBE (override physical_particle_dose)" : "");
      if (pp[p].plan >= 0)
        snprintf(G->plan_label, sizeof G->plan_label, "%s", wc->plans[pp[p].plan].label[0]
                 ? wc->plans[pp[p].plan].label : base_name(k->rtplans[pp[p].plan]));
      G->dose.meta = wc->doses[pp[p].dose[0]].dose.meta;
      G->dose.meta.fractions = G->fractions;
      if (!rc) {
        float mn, mx;
        volume_minmax(&G->dose, &mn, &mx);
        G->max_gy = mx;
      }
      gc->nparts = p + 1;
    }
    volume_free(&grid);
    if (rc) {
      free(s);
      free(pp);
      return rc;
    }
  }
  /* the course total and its description */
  {
    const rert_rtdose *d0 = &wc->doses[pp[0].dose[0]];
    gc->total = *d0;
    memset(&gc->total.dose, 0, sizeof gc->total.dose);
    int rc = volume_alloc_like(&gc->total.dose, &gc->parts[0].dose, err);
    if (rc) {
      free(s);
      free(pp);
      return rc;
    }
    size_t N = volume_count(&gc->total.dose);
    int fx = 0;
    for (int p = 0; p < gc->nparts; p++) {
      for (size_t v = 0; v < N; v++) gc->total.dose.data[v] += gc->parts[p].dose.data[v];
      fx += gc->parts[p].fractions;
    }
    if (gc->bounded) fx = gc->bounded;
    gc->fractions = fx;
    gc->total.dose.meta = d0->dose.meta;
    gc->total.dose.meta.fractions = fx;
    gc->total.summation = gc->nplans > 1 ? SUM_MULTI_PLAN : SUM_PLAN;
    gc->total.type = k->modality == MOD_PHOTON || k->modality == MOD_ELECTRON ? DOSE_TYPE_PHYSICAL : DOSE_TYPE_EFFECTIVE;
    if (gc->rbe_factor != 1) {
      gc->total.dose.meta.quantity = QTY_RBE_WEIGHTED;
      gc->total.dose.meta.rbe = RBE_FIXED;
      gc->total.dose.meta.rbe_factor = gc->rbe_factor;
      for (int p = 0; p < gc->nparts; p++) {
        gc->parts[p].dose.meta.quantity = QTY_RBE_WEIGHTED;
        gc->parts[p].dose.meta.rbe = RBE_FIXED;
        gc->parts[p].dose.meta.rbe_factor = gc->rbe_factor;
      }
      gate_add(F, GATE_WARNING, "dose.rbe", k->id, k->rtdoses[0], "DoseType (3004,0004)",
               "physical proton dose multiplied by the fixed RBE %.3g (data/rbe.json) as the override "
               "asks; the course is summed as RBE_FIXED", gc->rbe_factor);
    }
    gc->has_dose = 1;
    char desc[sizeof gc->dose_desc];
    size_t L = (size_t)snprintf(desc, sizeof desc, "%d part%s, %d fraction(s)%s:", gc->nparts,
                                gc->nparts > 1 ? "s (fraction groups, each converted with its own fractions)" : "",
                                fx, gc->bounded ? " (EQD2 upper bound)" : "");
    for (int p = 0; p < gc->nparts && L < sizeof desc; p++)
      L += (size_t)snprintf(desc + L, sizeof desc - L, "%s %d fx = %s", p ? ";" : "",
                            gc->parts[p].fractions, gc->parts[p].how);
    memcpy(gc->dose_desc, desc, sizeof desc);
    gate_add(F, gc->nparts > 1 || gc->bounded || pp[0].session || pp[0].ndose > 1 ? GATE_WARNING : GATE_OK,
             "dose.course", k->id, k->rtdoses[0], "DoseSummationType (3004,000A)", "course dose: %s",
             gc->dose_desc);
    /* the dose must lie where the course's contours are (a grid moved by ImagePositionPatient
     * or GridFrameOffsetVector, or another site's dose, would miss every structure); 10 mm slack */
    if (wc->has_roi_box) {
      double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
      const rert_volume *g = &gc->total.dose;
      for (int q = 0; q < 8; q++) {
        double ijk[3] = {(q & 1) ? g->nx - 1 : 0, (q & 2) ? g->ny - 1 : 0, (q & 4) ? g->nz - 1 : 0}, x[3];
        volume_index_to_world(g, ijk, x);
        for (int a = 0; a < 3; a++) {
          if (x[a] < lo[a]) lo[a] = x[a];
          if (x[a] > hi[a]) hi[a] = x[a];
        }
      }
      int apart = 0;
      for (int a = 0; a < 3; a++)
        apart |= hi[a] + 10 < wc->roi_lo[a] || lo[a] - 10 > wc->roi_hi[a];
      if (apart)
        gate_add_interlock(F, cs, "frame_of_reference", "dose.geometry", k->id, k->rtdoses[0],
                           "ImagePositionPatient (0020,0032)",
                           "the dose grid (%.0f..%.0f, %.0f..%.0f, %.0f..%.0f mm) does not overlap "
                           "the course's contours (%.0f..%.0f, %.0f..%.0f, %.0f..%.0f mm)", lo[0],
                           hi[0], lo[1], hi[1], lo[2], hi[2], wc->roi_lo[0], wc->roi_hi[0],
                           wc->roi_lo[1], wc->roi_hi[1], wc->roi_lo[2], wc->roi_hi[2]);
    }
    /* plausibility against the prescription */
    float mn, mx;
    volume_minmax(&gc->total.dose, &mn, &mx);
    double rx = gc->plan_prescription_gy > 0 ? gc->plan_prescription_gy : k->prescription_gy;
    const char *rxs = gc->plan_prescription_gy > 0 ? "the plan's prescription" : "$.courses.prescription_gy";
    if (w->have_plaus && rx > 0) {
      double r = mx / rx;
      if ((r > w->plaus.max_over_rx_high && !brachy) || r < w->plaus.max_over_rx_low)
        gate_add_interlock(F, cs, "dose_implausible", "dose.plausible", k->id, k->rtdoses[0],
                           "PixelData (7FE0,0010)",
                           "course dose maximum %.4g Gy is %.3g x %s %.4g Gy (plausible %.2g-%.2g x, "
                           "data/dose_plausibility.json): %s", (double)mx, r, rxs, rx,
                           w->plaus.max_over_rx_low, w->plaus.max_over_rx_high,
                           r < 1 ? "a per-fraction, per-beam or one-group dose taken as the course?"
                                 : "a unit error (cGy as Gy) or another course's dose?");
      else
        gate_add(F, GATE_OK, "dose.plausible", k->id, k->rtdoses[0], "PixelData (7FE0,0010)",
                 "course dose maximum %.4g Gy = %.3g x %s", (double)mx, r, rxs);
    }
  }
done:
  free(s);
  free(pp);
  return RERT_OK;
}

int gate_check_doses(gate_work *w, rert_err *err) {
  rert_err e;
  w->have_plaus = gate_plausibility_load(&w->plaus, &e) == RERT_OK;
  if (!w->have_plaus) gate_add(&w->g->findings, GATE_WARNING, "dose.plausible", NULL, "", "", "%s", e.msg);
  for (int c = 0; c < w->cs->ncourses; c++) {
    gate_work_course *wc = &w->wc[c];
    if (!wc->ndoses) continue;
    int all = 1;
    for (int i = 0; i < wc->ndoses; i++) all &= wc->dose_read[i];
    if (!all) continue; /* unreadable files are already refused */
    int rc = resolve_course(w, c, err);
    if (rc) return rc;
  }
  return RERT_OK;
}
