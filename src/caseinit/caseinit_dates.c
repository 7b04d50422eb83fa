/* caseinit_dates.c — a course's dates and delivered fractions (rert/caseinit.h, step 4).
 *
 * From session records (RT Beams / Ion Beams Treatment Records of the course's plans): every beam
 * delivery of type TREATMENT or CONTINUATION (not SETUP, VERIFICATION, …) with a delivered
 * meterset above zero (or none stated) counts toward the fraction (plan, ReferencedFractionGroup
 * Number, CurrentFractionNumber) it names; the delivered fraction count is the number of distinct
 * fractions (an interrupted beam completed by a CONTINUATION the same day is one fraction), the
 * first and last treatment dates are those of the counted deliveries. Several fractions on one day
 * are BID (or TID) sessions: fractions per day and the shortest gap between the fractions of a day
 * (the interfraction interval incomplete repair needs). Without session records, an RT Treatment
 * Summary Record gives FirstTreatmentDate, MostRecentTreatmentDate and NumberOfFractionsDelivered.
 * Without records, the plan's own treatment dates (TreatmentDate, or rert's RTPlanDescription
 * convention), else RTPlanDate (treatment starts on or after it; the end date is then estimated at
 * five fractions a week) — marked "to confirm" by the draft. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseinit/caseinit_internal.h"

typedef struct {
  int plan, group, fraction;
  rert_date date;
  int has_date;
  double t_h;                      /* time of day of its first delivery, hours; NaN */
} fx_key;

static double time_h(const char *tm) {
  /* DICOM TM: HH[MM[SS[.FFFFFF]]] */
  int n = 0;
  while (tm[n] >= '0' && tm[n] <= '9') n++;
  if (n < 2) return NAN;
  double h = (tm[0] - '0') * 10 + (tm[1] - '0');
  double m = n >= 4 ? (tm[2] - '0') * 10 + (tm[3] - '0') : 0;
  double s = n >= 6 ? (tm[4] - '0') * 10 + (tm[5] - '0') : 0;
  return h + m / 60.0 + s / 3600.0;
}

static int counts(const rert_record_beam *b) {
  const char *t = b->delivery_type;
  if (t[0] && strcmp(t, "TREATMENT") && strcmp(t, "CONTINUATION")) return 0;
  return !(b->delivered_meterset <= 0);
}

static void from_sessions(ci_ctx *x, ci_course *c, int *nsessions) {
  int cap = 64, n = 0;
  fx_key *k = malloc((size_t)cap * sizeof *k);
  char interrupted[1024] = "";
  int ninterrupted = 0;
  *nsessions = 0;
  if (!k) return;
  for (int i = 0; i < c->nrec; i++) {
    const ci_rec *r = &x->rec[c->recs[i]];
    if (!r->readable || r->rec.kind == RECORD_SUMMARY) continue;
    (*nsessions)++;
    if (r->rec.kind == RECORD_BRACHY_SESSION) continue;
    for (int b = 0; b < r->rec.nbeams; b++) {
      const rert_record_beam *bm = &r->rec.beams[b];
      if (strcmp(bm->termination_status, "NORMAL") && bm->termination_status[0] &&
          counts(bm) && ninterrupted < 6) {
        /* completed later by a CONTINUATION of the same beam and fraction? */
        int completed = 0;
        for (int j = 0; j < c->nrec && !completed; j++) {
          const ci_rec *r2 = &x->rec[c->recs[j]];
          if (!r2->readable || r2->plan != r->plan) continue;
          for (int b2 = 0; b2 < r2->rec.nbeams; b2++) {
            const rert_record_beam *c2 = &r2->rec.beams[b2];
            if (c2->beam_number == bm->beam_number && c2->fraction_number == bm->fraction_number &&
                !strcmp(c2->delivery_type, "CONTINUATION") && !strcmp(c2->termination_status, "NORMAL"))
              completed = 1;
          }
        }
        size_t L = strlen(interrupted);
        snprintf(interrupted + L, sizeof interrupted - L,
                 "%sfraction %d beam %d terminated %s (%g of %g MU, %s)%s", ninterrupted ? "; " : "",
                 bm->fraction_number, bm->beam_number, bm->termination_status,
                 bm->delivered_meterset, bm->specified_meterset, ci_path(x, r->obj),
                 completed ? ", completed by a CONTINUATION" : ", NOT completed by a continuation");
        ninterrupted++;
      }
      if (!counts(bm)) continue;
      fx_key key = {r->plan, r->rec.fraction_group, bm->fraction_number,
                    bm->has_date ? bm->date : r->rec.treatment_date,
                    bm->has_date || r->rec.has_treatment_date,
                    time_h(bm->time[0] ? bm->time : r->rec.treatment_time)};
      int j = 0;
      if (key.fraction > 0)
        while (j < n && !(k[j].plan == key.plan && k[j].group == key.group && k[j].fraction == key.fraction)) j++;
      else
        j = n; /* no fraction number: every delivery is its own session */
      if (j < n) {
        /* keep the earliest delivery of the fraction */
        if (key.has_date && (!k[j].has_date || date_diff_days(key.date, k[j].date) > 0 ||
                             (date_diff_days(key.date, k[j].date) == 0 && key.t_h < k[j].t_h)))
          k[j] = key;
        continue;
      }
      if (n == cap) {
        fx_key *nk = realloc(k, (size_t)(cap *= 2) * sizeof *k);
        if (!nk) {
          free(k);
          return;
        }
        k = nk;
      }
      k[n++] = key;
    }
  }
  if (ninterrupted)
    ci_pend(c, TODO_REVIEW, 0, "fractions",
            "treatment records show interrupted beams: %s", interrupted);
  if (!n) {
    free(k);
    return;
  }
  c->delivered = n;
  int any = 0;
  for (int i = 0; i < n; i++) {
    if (!k[i].has_date) continue;
    if (!any || date_diff_days(c->start, k[i].date) < 0) c->start = k[i].date;
    if (!any || date_diff_days(c->end, k[i].date) > 0) c->end = k[i].date;
    any = 1;
  }
  c->has_start = c->has_end = any;
  if (any) {
    c->date_kind = CI_DATES_SESSIONS;
    c->dates_from_records = 1;
    snprintf(c->dates_src, sizeof c->dates_src,
             "first and last of %d delivered fractions in %d RT treatment record(s) of the "
             "course's plan(s) (TreatmentDate (3008,0250) / TreatmentControlPointDate (3008,0024))",
             n, *nsessions);
  }
  /* fractions per day and the shortest gap between fractions of one day */
  int per_day = 1;
  double gap = NAN;
  for (int i = 0; i < n; i++) {
    if (!k[i].has_date) continue;
    int same = 0;
    for (int j = 0; j < n; j++)
      if (k[j].has_date && !date_diff_days(k[i].date, k[j].date)) {
        same++;
        if (j != i && isfinite(k[i].t_h) && isfinite(k[j].t_h)) {
          double g = fabs(k[i].t_h - k[j].t_h);
          if (g > 0 && !(g >= gap)) gap = g;
        }
      }
    if (same > per_day) per_day = same;
  }
  if (per_day > 1) {
    c->per_day = per_day;
    c->interval_h = gap;
    snprintf(c->per_day_src, sizeof c->per_day_src,
             "treatment records: up to %d fractions on one day; shortest gap between them %s",
             per_day, isfinite(gap) ? "from TreatmentTime (3008,0251)" : "unknown (no times)");
  }
  free(k);
}

static void from_summary(ci_ctx *x, ci_course *c) {
  for (int i = 0; i < c->nrec; i++) {
    const ci_rec *r = &x->rec[c->recs[i]];
    if (!r->readable || r->rec.kind != RECORD_SUMMARY) continue;
    if (r->rec.has_first_date && r->rec.has_last_date) {
      c->has_start = c->has_end = 1;
      c->start = r->rec.first_date;
      c->end = r->rec.last_date;
      c->date_kind = CI_DATES_SUMMARY;
      c->dates_from_records = 1;
      snprintf(c->dates_src, sizeof c->dates_src,
               "RT Treatment Summary Record %s: FirstTreatmentDate (3008,0054) and "
               "MostRecentTreatmentDate (3008,0056)", ci_path(x, r->obj));
    }
    int del = 0, known = r->rec.ngroups > 0;
    for (int g = 0; g < r->rec.ngroups; g++) {
      if (r->rec.groups[g].fractions_delivered < 0) known = 0;
      else del += r->rec.groups[g].fractions_delivered;
    }
    if (known) c->delivered = del;
    if (c->has_start) return;
  }
}

static void from_plans(ci_ctx *x, ci_course *c) {
  int any = 0, np = 0;
  const int *pls = ci_course_plans(c, &np);
  for (int i = 0; i < np; i++) {
    const rert_rtplan *p = &x->plan[pls[i]].plan;
    if (!p->has_treatment_dates) continue;
    if (!any || date_diff_days(c->start, p->first_treatment_date) < 0) c->start = p->first_treatment_date;
    if (!any || date_diff_days(c->end, p->last_treatment_date) > 0) c->end = p->last_treatment_date;
    any = 1;
  }
  if (any) {
    c->has_start = c->has_end = 1;
    c->date_kind = CI_DATES_PLAN_TREATMENT;
    snprintf(c->dates_src, sizeof c->dates_src,
             "treatment dates stated in the plan (TreatmentDate (3008,0250) or rert's "
             "\"treatment YYYY-MM-DD..YYYY-MM-DD\" in RTPlanDescription), not treatment records");
    return;
  }
  for (int i = 0; i < np; i++) {
    const rert_rtplan *p = &x->plan[pls[i]].plan;
    if (!p->has_plan_date) continue;
    if (!any || date_diff_days(c->start, p->plan_date) < 0) c->start = p->plan_date;
    any = 1;
  }
  if (!any) return;
  c->has_start = 1;
  c->date_kind = CI_DATES_PLAN_DATE;
  snprintf(c->dates_src, sizeof c->dates_src,
           "RTPlanDate (300A,0006) of the plan (treatment starts on or after it)");
  if (c->fractions > 0) {
    /* five fractions a week: n fractions span 7·⌊(n−1)/5⌋ + (n−1) mod 5 days */
    int n = c->fractions;
    long span = 7L * ((n - 1) / 5) + (n - 1) % 5;
    c->end = date_from_days(date_to_days(c->start) + span);
    c->has_end = 1;
    c->end_estimated = 1;
  }
}

static void from_study(ci_ctx *x, ci_course *c) {
  int objs[3] = {c->ss >= 0 ? x->ss[c->ss].obj : -1, c->ndoses ? x->dose[c->doses[0]].obj : -1,
                 c->ct >= 0 ? x->ct[c->ct].obj : -1};
  for (int i = 0; i < 3; i++) {
    if (objs[i] < 0) continue;
    const char *sd = ci_obj(x, objs[i])->ident.study_date;
    rert_err e;
    if (sd[0] && !date_parse(sd, "StudyDate", &c->start, &e)) {
      c->has_start = 1;
      c->date_kind = CI_DATES_STUDY;
      snprintf(c->dates_src, sizeof c->dates_src, "StudyDate (0008,0020) of %s (no plan date)",
               ci_path(x, objs[i]));
      return;
    }
  }
}

void ci_dates(ci_ctx *x, ci_course *c) {
  int nsessions = 0;
  from_sessions(x, c, &nsessions);
  if (!c->has_start) from_summary(x, c);
  if (!c->has_start) from_plans(x, c);
  if (!c->has_start) from_study(x, c);
  if (c->has_start) {
    c->has_key = 1;
    c->key = c->start;
  }
  if (c->delivered >= 0 && c->fractions > 0 && c->delivered != c->fractions)
    ci_pend(c, TODO_REVIEW, c->delivered > c->fractions, "fractions",
            "the treatment records show %d fraction(s) delivered of the %d planned: the plan's "
            "dose (and the case's fraction count, which must match the plan) describe the whole "
            "plan — %s", c->delivered, c->fractions,
            c->delivered < c->fractions
                ? "the course's dose is overestimated (on the safe side for a prior course's organ "
                  "doses). To account for the delivered dose instead: fractions = delivered, "
                  "x_dose_scale = delivered/planned (the same dose per fraction) and an override "
                  "{\"interlock\": \"fractions_mismatch\", \"reason\": ...}"
                : "more fractions were delivered than planned: the dose is UNDERestimated; check "
                  "the records and the plan");
}
