/* caseinit_group.c — objects into courses (rert/caseinit.h, steps 2–5).
 *
 * A course is what was (or will be) delivered on one planning CT, i.e. in one frame of reference
 * (FrameOfReferenceUID of the plan, else of its structure set, else of its dose). Within a frame:
 *   - the plans with treatment records are the delivered ones, and the course (a sequential
 *     boost delivered as a second plan is part of it);
 *   - without records, the approved plans (ApprovalStatus APPROVED), else plans without an
 *     approval status, else the unapproved ones (proposed, flagged): ONE candidate is the course,
 *     several are a decision for a human (a boost, or alternatives?) and none is chosen;
 *   - REJECTED plans are never used.
 * Per plan: one PLAN dose; else one FRACTION dose per fraction group; else its BEAM doses (one
 * per beam: the gate checks that every treatment beam has one); else per-session doses. Two
 * candidate doses of one kind for one plan (two PLAN doses, two doses of one beam) are a TODO.
 * Structure set: the one the plans reference, else the only one in the frame. CT: the series the
 * structure set references, else the only image series in the frame; two series in the frame
 * with nothing choosing between them are a TODO. A frame with a structure set but no plan or
 * dose is a course only when it is the most recent (the new course being planned). Courses are
 * ordered by date and named course1, course2, …; the last is the planned (and reference) course
 * unless caseinit_opts.planned says otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseinit/caseinit_internal.h"

static const char *plan_label(const ci_ctx *x, int p) {
  const rert_rtplan *pl = &x->plan[p].plan;
  return pl->label[0] ? pl->label : pl->name[0] ? pl->name : "(no RTPlanLabel)";
}

/* "'label' (APPROVED, 70 Gy / 35 fx, 2021-03-05, path)" */
static void plan_desc(const ci_ctx *x, int p, char *buf, size_t n) {
  const ci_plan *pl = &x->plan[p];
  char d[11] = "no date", rx[32] = "no prescription";
  if (pl->plan.has_plan_date) ci_date_str(pl->plan.plan_date, d);
  if (isfinite(pl->rx_gy)) snprintf(rx, sizeof rx, "%g Gy", pl->rx_gy);
  snprintf(buf, n, "'%s' (%s, %s / %d fx in %d group(s), RTPlanDate %s, %s)", plan_label(x, p),
           pl->plan.approval_status[0] ? pl->plan.approval_status : "no ApprovalStatus", rx,
           pl->fractions, pl->plan.nfraction_groups, d, ci_path(x, pl->obj));
}

static int course_add_dose(ci_course *c, int d) {
  if (c->ndoses >= CI_MAX_PER_COURSE) return 0;
  for (int i = 0; i < c->ndoses; i++)
    if (c->doses[i] == d) return 1;
  c->doses[c->ndoses++] = d;
  return 1;
}

static int for_equal(const char *a, const char *b) { return a[0] && b[0] && !strcmp(a, b); }

/* ---- doses of one plan ---------------------------------------------------------------------- */

static void plan_doses(ci_ctx *x, ci_course *c, int p) {
  int plan_d[16], np = 0, frac_d[64], nf = 0, beam_d[64], nb = 0, other_d[64], no = 0;
  for (int d = 0; d < x->ndose; d++) {
    if (x->dose[d].plan != p) continue;
    const io_object *o = ci_obj(x, x->dose[d].obj);
    const char *s = o->dose_summation;
    if (!strcmp(s, "PLAN") || !strcmp(s, "MULTI_PLAN")) {
      if (np < 16) plan_d[np++] = d;
    } else if (!strcmp(s, "FRACTION")) {
      if (nf < 64) frac_d[nf++] = d;
    } else if (!strcmp(s, "BEAM")) {
      if (nb < 64) beam_d[nb++] = d;
    } else if (no < 64) {
      other_d[no++] = d;
    }
  }
  char pd[768];
  plan_desc(x, p, pd, sizeof pd);
  if (np > 1) {
    char list[1024] = "";
    for (int i = 0; i < np; i++) {
      size_t L = strlen(list);
      const io_object *o = ci_obj(x, x->dose[plan_d[i]].obj);
      snprintf(list + L, sizeof list - L, "%s%s (%s %s, %dx%dx%d)", i ? "; " : "",
               ci_path(x, x->dose[plan_d[i]].obj), o->dose_summation, o->dose_type, o->cols,
               o->rows, o->nframes);
    }
    ci_pend(c, TODO_CHOOSE, 1, "dicom.rtdose",
            "%d candidate whole-plan doses for plan %s: %s — put the one that is the plan's "
            "dose in $.courses[i].dicom.rtdose (none was chosen)", np, pd, list);
    for (int i = 0; i < np; i++)
      ci_not_used(x, x->dose[plan_d[i]].obj, "one of %d candidate PLAN doses of plan '%s' (TODO)",
                  np, plan_label(x, p));
    return;
  }
  if (np == 1) {
    course_add_dose(c, plan_d[0]);
    for (int i = 0; i < nf; i++)
      ci_not_used(x, x->dose[frac_d[i]].obj, "FRACTION dose of plan '%s', whose PLAN dose is used "
                  "(it holds the whole plan)", plan_label(x, p));
    for (int i = 0; i < nb; i++)
      ci_not_used(x, x->dose[beam_d[i]].obj, "BEAM dose of plan '%s', whose PLAN dose is used (it "
                  "holds every beam)", plan_label(x, p));
    for (int i = 0; i < no; i++)
      ci_not_used(x, x->dose[other_d[i]].obj, "%s dose of plan '%s', whose PLAN dose is used",
                  ci_obj(x, x->dose[other_d[i]].obj)->dose_summation, plan_label(x, p));
    return;
  }
  /* FRACTION: one per fraction group; BEAM: one per (group, beam) */
  const int use_frac = nf > 0;
  const int *set = use_frac ? frac_d : nb ? beam_d : other_d;
  const int ns = use_frac ? nf : nb ? nb : no;
  if (!ns) {
    ci_pend(c, TODO_FILL, 1, "dicom.rtdose",
            "no RTDOSE in the export references plan %s: export its dose (whole plan, per "
            "fraction group or per beam) and run rert case init again", pd);
    return;
  }
  int dup = 0;
  char list[1024] = "";
  for (int i = 0; i < ns; i++)
    for (int j = i + 1; j < ns; j++) {
      const io_object *a = ci_obj(x, x->dose[set[i]].obj), *b = ci_obj(x, x->dose[set[j]].obj);
      if (a->ref_fraction_group == b->ref_fraction_group &&
          (use_frac || nb == 0 || a->ref_beam_number == b->ref_beam_number)) {
        size_t L = strlen(list);
        snprintf(list + L, sizeof list - L, "%s%s and %s (%s, fraction group %d%s%.0d)",
                 dup ? "; " : "", ci_path(x, x->dose[set[i]].obj), ci_path(x, x->dose[set[j]].obj),
                 a->dose_summation, a->ref_fraction_group, use_frac || !nb ? "" : ", beam ",
                 use_frac || !nb ? 0 : a->ref_beam_number);
        dup++;
      }
    }
  if (dup) {
    ci_pend(c, TODO_CHOOSE, 1, "dicom.rtdose",
            "plan %s has two candidate doses for the same part: %s — list one per part in "
            "$.courses[i].dicom.rtdose (none was chosen)", pd, list);
    for (int i = 0; i < ns; i++)
      ci_not_used(x, x->dose[set[i]].obj, "a candidate dose of plan '%s' with a duplicate (TODO)",
                  plan_label(x, p));
    return;
  }
  /* sorted by fraction group, then beam (deterministic order in the case file) */
  int order[64];
  for (int i = 0; i < ns; i++) order[i] = set[i];
  for (int i = 1; i < ns; i++)
    for (int j = i; j > 0; j--) {
      const io_object *a = ci_obj(x, x->dose[order[j - 1]].obj), *b = ci_obj(x, x->dose[order[j]].obj);
      long ka = a->ref_fraction_group * 100000L + a->ref_beam_number;
      long kb = b->ref_fraction_group * 100000L + b->ref_beam_number;
      if (ka <= kb) break;
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  for (int i = 0; i < ns; i++)
    if (!course_add_dose(c, order[i]))
      ci_pend(c, TODO_REVIEW, 1, "dicom.rtdose", "more than %d doses in one course", CI_MAX_PER_COURSE);
  if (use_frac) {
    for (int i = 0; i < nb; i++)
      ci_not_used(x, x->dose[beam_d[i]].obj, "BEAM dose of plan '%s', whose FRACTION doses are used",
                  plan_label(x, p));
  } else if (nb) {
    for (int i = 0; i < no; i++)
      ci_not_used(x, x->dose[other_d[i]].obj, "%s dose of plan '%s', whose BEAM doses are used",
                  ci_obj(x, x->dose[other_d[i]].obj)->dose_summation, plan_label(x, p));
  }
}

/* ---- plans of one frame --------------------------------------------------------------------- */

static void select_plans(ci_ctx *x, ci_course *c) {
  int delivered[16], nd = 0, appr[16], na = 0, unk[16], nu = 0, unappr[16], nn = 0;
  for (int i = 0; i < c->nplans; i++) {
    int p = c->plans[i];
    const ci_plan *pl = &x->plan[p];
    if (!pl->readable) {
      ci_not_used(x, pl->obj, "unreadable plan: %s", pl->problem);
      ci_pend(c, TODO_REVIEW, 0, "dicom.rtplan", "plan %s could not be read (%s)", ci_path(x, pl->obj),
              pl->problem);
      continue;
    }
    const char *st = pl->plan.approval_status;
    const char *intent = ci_obj(x, pl->obj)->plan_intent;
    if (!strcmp(intent, "VERIFICATION") || !strcmp(intent, "MACHINE_QA") || !strcmp(intent, "SERVICE")) {
      ci_not_used(x, pl->obj, "plan '%s' has PlanIntent (300A,000A) %s: not a treatment of the "
                  "patient", plan_label(x, p), intent);
      for (int d = 0; d < x->ndose; d++)
        if (x->dose[d].plan == p)
          ci_not_used(x, x->dose[d].obj, "dose of the %s plan '%s'", intent, plan_label(x, p));
      continue;
    }
    if (!strcmp(st, "REJECTED")) {
      ci_not_used(x, pl->obj, "plan '%s' is REJECTED (ApprovalStatus (300E,0002))", plan_label(x, p));
      continue;
    }
    if (pl->nrec) delivered[nd++] = p;
    if (!strcmp(st, "APPROVED")) appr[na++] = p;
    else if (!strcmp(st, "UNAPPROVED")) unappr[nn++] = p;
    else unk[nu++] = p;
  }
  const int *cand;
  int ncand;
  const char *why;
  if (nd) {
    cand = delivered, ncand = nd;
    why = "the plan(s) of this frame with treatment records (delivered)";
  } else if (na) {
    cand = appr, ncand = na;
    why = "the APPROVED plan(s) of this frame (no treatment records in the export)";
  } else if (nu) {
    cand = unk, ncand = nu;
    why = "the plan(s) of this frame without ApprovalStatus (no approved plan, no records)";
  } else {
    cand = unappr, ncand = nn;
    why = "the UNAPPROVED plan(s) of this frame (nothing approved or delivered)";
  }
  if (!ncand) return;
  if (nd || ncand == 1) {
    for (int i = 0; i < ncand && c->nused < 8; i++) c->used[c->nused++] = cand[i];
    snprintf(c->plan_rule, sizeof c->plan_rule, "%s", why);
  } else {
    char list[1400] = "";
    for (int i = 0; i < ncand; i++) {
      char pd[768];
      plan_desc(x, cand[i], pd, sizeof pd);
      size_t L = strlen(list);
      snprintf(list + L, sizeof list - L, "%s%s", i ? "; " : "", pd);
    }
    ci_pend(c, TODO_CHOOSE, 1, "dicom.rtplan",
            "%d candidate plans in one frame of reference and no treatment record to tell which "
            "were delivered: %s — a sequential boost (list every plan in $.courses[i].dicom.rtplan "
            "and their doses in .rtdose, fractions and prescription summed) or alternatives (keep "
            "the one delivered or to be evaluated)? None was chosen", ncand, list);
    snprintf(c->plan_rule, sizeof c->plan_rule, "undecided: %d candidate plans (TODO)", ncand);
    for (int i = 0; i < ncand && c->ncand < 16; i++) {
      c->cand[c->ncand++] = cand[i];
      ci_not_used(x, x->plan[cand[i]].obj, "one of %d candidate plans of its frame, none chosen (TODO)",
                  ncand);
      for (int d = 0; d < x->ndose; d++)
        if (x->dose[d].plan == cand[i])
          ci_not_used(x, x->dose[d].obj, "dose of candidate plan '%s' (TODO)", plan_label(x, cand[i]));
    }
  }
  /* every other plan of the frame is listed with the reason it is not used */
  for (int i = 0; i < c->nplans; i++) {
    int p = c->plans[i], used = 0;
    for (int k = 0; k < c->nused; k++) used |= c->used[k] == p;
    const ci_plan *pl = &x->plan[p];
    if (used || !pl->readable || !strcmp(pl->plan.approval_status, "REJECTED")) continue;
    int cands = 0;
    for (int k = 0; k < ncand; k++) cands |= cand[k] == p;
    if (cands) continue; /* undecided candidates are in the TODO */
    char pd[768];
    plan_desc(x, p, pd, sizeof pd);
    if (nd)
      ci_not_used(x, pl->obj, "plan '%s' has no treatment record while other plans of its frame "
                  "were delivered", plan_label(x, p));
    else
      ci_not_used(x, pl->obj, "%s plan '%s' beside the %s plan(s) of its frame",
                  pl->plan.approval_status[0] ? pl->plan.approval_status : "unstated-approval",
                  plan_label(x, p), na ? "APPROVED" : "chosen");
    if (!strcmp(pl->plan.approval_status, "UNAPPROVED") || !pl->plan.approval_status[0])
      ci_pend(c, TODO_REVIEW, 0, "dicom.rtplan",
              "alternative plan %s is not used (%s); to evaluate it instead, put it and its "
              "dose in $.courses[i].dicom", pd, why);
    /* its doses are not used either */
    for (int d = 0; d < x->ndose; d++)
      if (x->dose[d].plan == p)
        ci_not_used(x, x->dose[d].obj, "dose of plan '%s', which is not used", plan_label(x, p));
  }
  for (int i = 0; i < c->nused; i++) {
    const ci_plan *pl = &x->plan[c->used[i]];
    if (!strcmp(pl->plan.approval_status, "UNAPPROVED")) {
      char pd[768];
      plan_desc(x, c->used[i], pd, sizeof pd);
      ci_pend(c, TODO_CONFIRM, 0, "dicom.rtplan",
              "plan %s is UNAPPROVED (ApprovalStatus (300E,0002)); it is proposed because it is "
              "the only candidate of its frame: confirm it is the plan to %s", pd,
              pl->nrec ? "account for (it has treatment records)" : "evaluate");
    }
  }
}

/* ---- structure set and CT ------------------------------------------------------------------- */

static const char *obj_for(const ci_ctx *x, int obj) { return ci_obj(x, obj)->ident.frame_of_reference_uid; }

static void select_ss_ct(ci_ctx *x, ci_course *c) {
  int refs[8], nr = 0, np = 0;
  const int *pls = ci_course_plans(c, &np);
  for (int i = 0; i < np; i++) {
    int s = x->plan[pls[i]].ss;
    if (s < 0) continue;
    int k = 0;
    while (k < nr && refs[k] != s) k++;
    if (k == nr && nr < 8) refs[nr++] = s;
  }
  int in_for[64], nf = 0;
  for (int s = 0; s < x->nss; s++)
    if (for_equal(obj_for(x, x->ss[s].obj), c->for_uid) && nf < 64) in_for[nf++] = s;
  c->ss = -1;
  if (nr == 1) {
    c->ss = refs[0];
  } else if (nr > 1) {
    char list[1024] = "";
    for (int i = 0; i < nr; i++) {
      size_t L = strlen(list);
      snprintf(list + L, sizeof list - L, "%s%s ('%s', %d ROIs)", i ? "; " : "",
               ci_path(x, x->ss[refs[i]].obj), ci_obj(x, x->ss[refs[i]].obj)->ident.series_description,
               ci_obj(x, x->ss[refs[i]].obj)->nrois);
    }
    ci_pend(c, TODO_CHOOSE, 1, "dicom.rtstruct",
            "the course's plans reference %d structure sets: %s — choose the one whose contours "
            "are the course's (none was chosen)", nr, list);
  } else if (nf == 1) {
    c->ss = in_for[0];
    ci_pend(c, TODO_CONFIRM, 0, "dicom.rtstruct",
            "no plan references a structure set in the export; %s is the only one in the "
            "course's frame of reference and is proposed", ci_path(x, x->ss[in_for[0]].obj));
  } else if (nf > 1) {
    char list[1024] = "";
    for (int i = 0; i < nf; i++) {
      size_t L = strlen(list);
      snprintf(list + L, sizeof list - L, "%s%s", i ? "; " : "", ci_path(x, x->ss[in_for[i]].obj));
    }
    ci_pend(c, TODO_CHOOSE, 1, "dicom.rtstruct",
            "%d structure sets in the course's frame of reference and no plan references one: "
            "%s (none was chosen)", nf, list);
  }
  for (int i = 0; i < nf; i++)
    if (in_for[i] != c->ss && !(nr > 1))
      ci_not_used(x, x->ss[in_for[i]].obj, "structure set in the frame of course plans that use "
                  "%s", c->ss >= 0 ? ci_path(x, x->ss[c->ss].obj) : "another structure set");
  if (c->ss >= 0 && !x->ss[c->ss].readable)
    ci_pend(c, TODO_REVIEW, 1, "dicom.rtstruct", "structure set %s cannot be read: %s",
            ci_path(x, x->ss[c->ss].obj), x->ss[c->ss].problem);
  /* CT */
  int cts[32], nc = 0;
  for (int k = 0; k < x->nct; k++)
    if (for_equal(obj_for(x, x->ct[k].obj), c->for_uid) && nc < 32) cts[nc++] = k;
  c->ct = -1;
  int ref = c->ss >= 0 ? x->ss[c->ss].ct : -1;
  const char *ref_uid = c->ss >= 0 ? ci_obj(x, x->ss[c->ss].obj)->ref_series_uid : "";
  if (ref >= 0) {
    c->ct = ref;
    for (int i = 0; i < nc; i++)
      if (cts[i] != ref) {
        const io_object *o = ci_obj(x, x->ct[cts[i]].obj);
        ci_pend(c, TODO_REVIEW, 0, "dicom.ct_series_uid",
                "image series %s ('%s', %s, %d images) shares the course's frame of reference; "
                "the structure set references series %s, which is used", o->ident.series_instance_uid,
                o->ident.series_description, o->ident.modality, o->nfiles, ref_uid);
        ci_not_used(x, x->ct[cts[i]].obj, "image series in the course's frame; the structure set "
                    "references another series");
      }
  } else if (nc == 1) {
    c->ct = cts[0];
    if (ref_uid[0])
      ci_pend(c, TODO_CONFIRM, 0, "dicom.ct_series_uid",
              "the structure set references series %s, which is not in the export; %s is the only "
              "image series of the course's frame of reference and is proposed", ref_uid,
              ci_obj(x, x->ct[cts[0]].obj)->ident.series_instance_uid);
    else
      ci_pend(c, TODO_CONFIRM, 0, "dicom.ct_series_uid",
              "series %s is the only image series of the course's frame of reference and is "
              "proposed as its planning CT (no structure set names one)",
              ci_obj(x, x->ct[cts[0]].obj)->ident.series_instance_uid);
  } else if (nc > 1) {
    char list[1400] = "";
    for (int i = 0; i < nc; i++) {
      const io_object *o = ci_obj(x, x->ct[cts[i]].obj);
      size_t L = strlen(list);
      snprintf(list + L, sizeof list - L, "%s%s ('%s', %s, %d images, study date %s)", i ? "; " : "",
               o->ident.series_instance_uid, o->ident.series_description, o->ident.modality,
               o->nfiles, o->ident.study_date[0] ? o->ident.study_date : "none");
      ci_not_used(x, x->ct[cts[i]].obj, "one of %d image series in one frame of reference (TODO)", nc);
    }
    ci_pend(c, TODO_CHOOSE, 1, "dicom.ct_series_uid",
            "%d image series share the course's frame of reference and %s: %s — set "
            "$.courses[i].dicom.ct_dir and .ct_series_uid to the planning CT (none was chosen)", nc,
            ref_uid[0] ? "the structure set references a series not in the export"
                       : "no structure set says which one the course was planned on",
            list);
  } else {
    char refd[200] = "";
    if (ref_uid[0]) snprintf(refd, sizeof refd, " (the structure set references series %s)", ref_uid);
    ci_pend(c, TODO_REVIEW, 0, "dicom.ct_dir",
            "no image series of the course's frame of reference in the export%s: the consult "
            "needs the reference course's CT for its slices and to register courses without a "
            "registration", refd);
  }
  if (c->ct >= 0 && x->ct[c->ct].ndirs != 1)
    ci_pend(c, TODO_REVIEW, 1, "dicom.ct_dir",
            "the slices of series %s are spread over several directories; rert reads a series "
            "from one directory: gather them", ci_obj(x, x->ct[c->ct].obj)->ident.series_instance_uid);
}

/* ---- frames → courses ----------------------------------------------------------------------- */

static int cluster_of(ci_ctx *x, const char *for_uid, int create) {
  for (int i = 0; i < x->ncourse; i++)
    if (for_uid[0] && !strcmp(x->course[i].for_uid, for_uid)) return i;
  if (!create || x->ncourse >= 4 * RERT_CASE_MAX_COURSES) return -1;
  ci_course *c = &x->course[x->ncourse];
  memset(c, 0, sizeof *c);
  snprintf(c->for_uid, sizeof c->for_uid, "%s", for_uid);
  c->ss = c->ct = -1;
  c->rx_gy = NAN;
  c->interval_h = NAN;
  c->delivered = -1;
  c->per_day = 1;
  return x->ncourse++;
}

static int date_cmp(const ci_course *a, const ci_course *b) {
  if (a->has_key != b->has_key) return a->has_key ? -1 : 1;
  if (a->has_key) {
    long d = date_diff_days(b->key, a->key);
    if (d) return d < 0 ? -1 : 1;
  }
  return strcmp(a->for_uid, b->for_uid);
}

static void derive(ci_ctx *x, ci_course *c) {
  /* fractions, prescription, modality from the used plans */
  c->fractions = 0;
  int known = c->nused > 0;
  double rx = 0;
  int rx_known = c->nused > 0;
  c->modality_ok = c->nused > 0;
  char fsrc[256] = "", rsrc[256] = "";
  for (int i = 0; i < c->nused; i++) {
    const ci_plan *pl = &x->plan[c->used[i]];
    if (pl->fractions <= 0) known = 0;
    c->fractions += pl->fractions;
    if (!isfinite(pl->rx_gy)) rx_known = 0;
    else rx += pl->rx_gy;
    if (i == 0) c->modality = pl->plan.modality;
    else if (pl->plan.modality != c->modality) c->modality_ok = 0;
    size_t L = strlen(fsrc);
    snprintf(fsrc + L, sizeof fsrc - L, "%s'%s' ", i ? " + " : "", plan_label(x, c->used[i]));
    for (int g = 0; g < pl->plan.nfraction_groups; g++) {
      L = strlen(fsrc);
      snprintf(fsrc + L, sizeof fsrc - L, "%s%d", g ? "+" : "", pl->plan.fraction_groups[g].fractions_planned);
    }
    if (pl->plan.nfraction_groups > 1) {
      L = strlen(fsrc);
      snprintf(fsrc + L, sizeof fsrc - L, " (%d fraction groups)", pl->plan.nfraction_groups);
    }
    L = strlen(rsrc);
    if (isfinite(pl->rx_gy))
      snprintf(rsrc + L, sizeof rsrc - L, "%s'%s' %g Gy", i ? " + " : "", plan_label(x, c->used[i]),
               pl->rx_gy);
    else
      snprintf(rsrc + L, sizeof rsrc - L, "%s'%s' none", i ? " + " : "", plan_label(x, c->used[i]));
  }
  if (known) {
    snprintf(c->fractions_src, sizeof c->fractions_src,
             "RTPLAN NumberOfFractionsPlanned (300A,0078) summed over fraction groups%s: %s",
             c->nused > 1 ? " and plans" : "", fsrc);
  } else {
    c->fractions = 0;
    if (c->nused)
      ci_pend(c, TODO_FILL, 1, "fractions",
              "a plan of the course states no NumberOfFractionsPlanned (300A,0078) for a fraction "
              "group (%s): give the course's fraction count", fsrc);
  }
  if (rx_known) {
    c->rx_gy = rx;
    snprintf(c->rx_src, sizeof c->rx_src,
             "RTPLAN DoseReferenceSequence: largest TargetPrescriptionDose (300A,0026)%s: %s",
             c->nused > 1 ? ", summed over plans" : "", rsrc);
  } else if (c->nused) {
    ci_pend(c, TODO_FILL, 1, "prescription_gy",
            "the plan states no TargetPrescriptionDose (300A,0026) in its DoseReferenceSequence "
            "(%s): give the course's total prescribed dose in Gy (Gy(RBE) for particles)", rsrc);
  }
  if (c->nused && !c->modality_ok)
    ci_pend(c, TODO_FILL, 1, "modality",
            "the course's plans have different radiation types: split them into courses or give "
            "the modality");
  if (c->modality_ok) {
    snprintf(c->modality_src, sizeof c->modality_src, "RTPLAN RadiationType (300A,00C6) of the "
             "treatment beams%s", c->nused > 1 ? " of every plan" : "");
    if (c->modality == MOD_OTHER_ION) {
      c->modality_ok = 0;
      ci_pend(c, TODO_FILL, 1, "modality",
              "ion beams other than carbon (RadiationAtomicNumber ≠ 6): rert handles photon, "
              "electron, proton and carbon courses");
    }
  }
  if (!c->nused && c->ndoses == 0 && !c->npending) {
    /* an anatomy-only course: a new course being planned */
    ci_pend(c, TODO_FILL, 1, "fractions",
            "no plan in the course's frame of reference (only a structure set): give the planned "
            "fractions, prescription_gy and modality, or export the plan");
  }
}

int ci_group(ci_ctx *x, rert_err *err) {
  x->course = calloc(4 * RERT_CASE_MAX_COURSES + 1, sizeof *x->course);
  if (!x->course) return rert_err_set(err, RERT_EINTERNAL, "case init: out of memory");
  /* frames with plans (plans without any frame each form their own candidate) */
  for (int p = 0; p < x->nplan; p++) {
    int k = cluster_of(x, x->plan[p].for_uid, 1);
    if (k < 0) return rert_err_set(err, RERT_EINPUT, "%s: more than %d frames of reference with "
                                   "plans", x->o->export_dir, 4 * RERT_CASE_MAX_COURSES);
    ci_course *c = &x->course[k];
    if (c->nplans < 16) c->plans[c->nplans++] = p;
    x->plan[p].cluster = k;
  }
  /* doses whose plan is not in the export: their frame's course, or a course of their own */
  for (int d = 0; d < x->ndose; d++) {
    if (x->dose[d].plan >= 0) continue;
    const io_object *o = ci_obj(x, x->dose[d].obj);
    int k = cluster_of(x, o->ident.frame_of_reference_uid, 0);
    if (k >= 0 && x->course[k].nplans) {
      ci_course *c = &x->course[k];
      ci_pend(c, TODO_REVIEW, 0, "dicom.rtdose",
              "RTDOSE %s (%s) is in the course's frame but references %s: not used",
              ci_path(x, x->dose[d].obj), o->dose_summation,
              o->ref_plan_uid[0] ? "a plan that is not in the export" : "no plan");
      ci_not_used(x, x->dose[d].obj, "dose without its plan in the export (frame of a course with plans)");
      continue;
    }
    if (k < 0) k = cluster_of(x, o->ident.frame_of_reference_uid, 1);
    if (k < 0) continue;
    ci_course *c = &x->course[k];
    course_add_dose(c, d);
  }
  /* courses of dose-only frames: the doses without plans are the course's candidates */
  for (int k = 0; k < x->ncourse; k++) {
    ci_course *c = &x->course[k];
    if (c->nplans || !c->ndoses) continue;
    if (c->ndoses > 1) {
      int plan_sum = 0;
      for (int i = 0; i < c->ndoses; i++)
        plan_sum += !strcmp(ci_obj(x, x->dose[c->doses[i]].obj)->dose_summation, "PLAN");
      if (plan_sum > 1) {
        char list[1024] = "";
        for (int i = 0; i < c->ndoses; i++) {
          size_t L = strlen(list);
          snprintf(list + L, sizeof list - L, "%s%s (%s)", i ? "; " : "",
                   ci_path(x, x->dose[c->doses[i]].obj),
                   ci_obj(x, x->dose[c->doses[i]].obj)->dose_summation);
        }
        ci_pend(c, TODO_CHOOSE, 1, "dicom.rtdose",
                "%d doses in one frame of reference without their plan: %s — which is the "
                "course's dose? (none was chosen)", c->ndoses, list);
        c->ndoses = 0;
      }
    }
    ci_pend(c, TODO_FILL, 1, "fractions",
            "the course's plan is not in the export (only its dose): give fractions, "
            "prescription_gy and modality, or export the plan");
  }
  /* frames with a structure set and neither plan nor dose: the newest is the course being
   * planned, older ones are not used */
  rert_date newest = {0, 0, 0};
  int have_newest = 0;
  for (int p = 0; p < x->nplan; p++)
    if (x->plan[p].readable && x->plan[p].plan.has_plan_date &&
        (!have_newest || date_diff_days(newest, x->plan[p].plan.plan_date) > 0))
      newest = x->plan[p].plan.plan_date, have_newest = 1;
  for (int s = 0; s < x->nss; s++) {
    const io_object *o = ci_obj(x, x->ss[s].obj);
    if (cluster_of(x, o->ident.frame_of_reference_uid, 0) >= 0) continue;
    rert_date d;
    rert_err e;
    int dated = o->ident.study_date[0] && !date_parse(o->ident.study_date, "StudyDate", &d, &e);
    if (!have_newest || (dated && date_diff_days(newest, d) > 0)) {
      int k = cluster_of(x, o->ident.frame_of_reference_uid, 1);
      if (k < 0) continue;
      if (dated) newest = d, have_newest = 1;
    } else {
      ci_not_used(x, x->ss[s].obj, "structure set in a frame of reference without plan or dose, "
                  "older than the newest plan");
    }
  }
  /* per course: plans, doses, structure set, CT, records, values, dates */
  for (int k = 0; k < x->ncourse; k++) {
    ci_course *c = &x->course[k];
    select_plans(x, c);
    if (c->nplans && !c->nused && !c->ncand && !c->ndoses) {
      /* every plan of the frame excluded (verification, rejected, unreadable): not a course */
      x->course[k] = x->course[--x->ncourse];
      k--;
      continue;
    }
    for (int i = 0; i < c->nused; i++) plan_doses(x, c, c->used[i]);
    select_ss_ct(x, c);
    for (int r = 0; r < x->nrec; r++) {
      int used = 0;
      for (int i = 0; i < c->nused; i++) used |= x->rec[r].plan == c->used[i];
      if (used && c->nrec < 2048) c->recs[c->nrec++] = r;
    }
    derive(x, c);
    ci_dates(x, c);
  }
  /* records of plans not used, records whose plan is not in the export */
  for (int r = 0; r < x->nrec; r++) {
    int used = 0;
    for (int k = 0; k < x->ncourse; k++)
      for (int i = 0; i < x->course[k].nrec; i++) used |= x->course[k].recs[i] == r;
    if (!used)
      ci_not_used(x, x->rec[r].obj, "%s", x->rec[r].plan >= 0 ? "treatment record of a plan that is not used"
                  : !x->rec[r].readable ? x->rec[r].problem : "treatment record whose plan is not in the export");
  }
  if (x->ncourse == 0)
    return rert_err_set(err, RERT_EINPUT, "%s: no course found (no plan, dose, or structure set "
                        "with a frame of reference)", x->o->export_dir);
  if (x->ncourse > RERT_CASE_MAX_COURSES)
    return rert_err_set(err, RERT_EINPUT, "%s: %d frames of reference with plans or doses; a case "
                        "holds at most %d courses (split the export)", x->o->export_dir,
                        x->ncourse, RERT_CASE_MAX_COURSES);
  /* order by date, name course1..N */
  for (int i = 1; i < x->ncourse; i++)
    for (int j = i; j > 0 && date_cmp(&x->course[j - 1], &x->course[j]) > 0; j--) {
      ci_course t = x->course[j];
      x->course[j] = x->course[j - 1];
      x->course[j - 1] = t;
    }
  for (int k = 0; k < x->ncourse; k++) {
    x->course[k].index = k;
    snprintf(x->course[k].id, sizeof x->course[k].id, "course%d", k + 1);
  }
  /* planned / reference */
  const char *pl = x->o->planned;
  x->reference = x->ncourse - 1;
  if (!pl || !pl[0]) {
    x->course[x->ncourse - 1].planned = 1;
  } else if (strcmp(pl, "none")) {
    int k = 0;
    while (k < x->ncourse && strcmp(x->course[k].id, pl)) k++;
    if (k == x->ncourse)
      return rert_err_set(err, RERT_EINPUT, "--planned %s: the export's courses are course1..course%d "
                          "(in date order; run without --planned to see them)", pl, x->ncourse);
    x->course[k].planned = 1;
    x->reference = k;
  }
  return RERT_OK;
}
