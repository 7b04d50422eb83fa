/* assess.c — the whole-case clinical assessment behind `rert assess` (issue #7): MIRI RPA,
 * intent and dose targets, recurrence pattern, toxicity risk tiers, LKB NTCP, ARS scenario and
 * ratings, SPHIC eligibility — collected into one JSON document, each part with its source.
 *
 * Doses: without DICOM the case's per-course point doses are the only dose information. They
 * are converted per course to EQD2 with the course's own dose per fraction at the α/β the
 * toxicity data names, and summed over courses WITHOUT recovery discount, because the cited
 * thresholds (carotid 120–130 Gy, Bots 100 Gy, Chen 95 Gy, Nieder BED2) were derived on
 * undiscounted sums. Summing per-course maxima over-estimates a cumulative maximum when the
 * hot spots do not coincide (conservative); the report says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/clinical.h"
#include "rert/data.h"
#include "rert/radbio.h"
#include "rert/tissue.h"

clinical_options clinical_options_default(void) {
  clinical_options o = {RPA_ORIGIN_RT_INTERVAL, BOUNDARY_DAWSON, ARS_RULE_OUTSIDE_TIER, 0, NULL, 0, NAN};
  return o;
}

/* Side of a TG-263 name relative to a base: 0 = bare, 1 = _L, 2 = _R, −1 = other organ. */
static int organ_side(const char *name, const char *base) {
  size_t l = strlen(base);
  if (strncmp(name, base, l) != 0) return -1;
  if (name[l] == 0) return 0;
  if (!strcmp(name + l, "_L")) return 1;
  if (!strcmp(name + l, "_R")) return 2;
  return -1;
}

static int point_eqd2(const rert_case *c, const case_course *k, const case_point_dose *p, double ab,
                      double *eqd2, rert_err *err) {
  if (p->is_eqd2) {
    if (fabs(p->alpha_beta_gy - ab) > 1e-9)
      return rert_err_set(err, RERT_EINPUT,
                          "%s: $.courses[%s].point_doses.%s: given as EQD2 at alpha/beta %g but this "
                          "assessment needs alpha/beta %g; give the physical dose instead",
                          c->path, k->id, p->organ, p->alpha_beta_gy, ab);
    *eqd2 = p->dose_gy;
    return RERT_OK;
  }
  /* local dose per fraction = point dose / fractions (pure LQ, §1.1) */
  *eqd2 = radbio_eqd2_voxel(p->dose_gy, k->fractions, ab);
  return RERT_OK;
}

int clinical_cumulative_point_eqd2(const rert_case *c, const char *organ, const char *metric,
                                   double ab, double *eqd2_gy, int *found, rert_err *err) {
  double side[3] = {0, 0, 0};
  int has[3] = {0, 0, 0};
  *found = 0;
  *eqd2_gy = NAN;
  for (int i = 0; i < c->ncourses; i++) {
    const case_course *k = &c->courses[i];
    int contributed = 0;
    for (int j = 0; j < k->npoints; j++) {
      const case_point_dose *p = &k->points[j];
      int s = organ_side(casefile_map_structure(c, p->organ), organ);
      if (s < 0 || (metric && strcmp(p->metric, metric) != 0)) continue;
      double e = 0;
      int rc = point_eqd2(c, k, p, ab, &e, err);
      if (rc) return rc;
      if (s == 0) {
        for (int q = 0; q < 3; q++) { side[q] += e; has[q] = 1; }
      } else {
        side[s] += e;
        has[s] = 1;
      }
      contributed = 1;
    }
    *found += contributed;
  }
  for (int q = 0; q < 3; q++)
    if (has[q] && (isnan(*eqd2_gy) || side[q] > *eqd2_gy)) *eqd2_gy = side[q];
  return RERT_OK;
}

int clinical_cumulative_eqd2(const rert_case *c, const clinical_options *o, const char *organ,
                             const char *metric, double ab, double *eqd2_gy, int *found, rert_err *err) {
  double side[3] = {0, 0, 0};
  int has[3] = {0, 0, 0};
  *found = 0;
  *eqd2_gy = NAN;
  for (int i = 0; o && i < o->norgan_doses; i++) {
    const clinical_organ_dose *d = &o->organ_doses[i];
    int s = organ_side(d->organ, organ);
    if (s < 0 || (metric && strcmp(d->metric, metric) != 0)) continue;
    /* the accumulation converts with the organ's α/β from data/tissues.json; the toxicity data
     * names the same values (carotid, mandible, plexus 3; CNS 2) — a mismatch is reported */
    if (isfinite(d->alpha_beta_gy) && fabs(d->alpha_beta_gy - ab) > 1e-9)
      return rert_err_set(err, RERT_EINPUT,
                          "clinical assessment: %s EQD2 of %s is at alpha/beta %g, the assessment needs %g",
                          d->organ, d->course_id, d->alpha_beta_gy, ab);
    if (s == 0) {
      for (int q = 0; q < 3; q++) { side[q] += d->eqd2_gy; has[q] = 1; }
    } else {
      side[s] += d->eqd2_gy;
      has[s] = 1;
    }
    (*found)++;
  }
  if (!*found) return clinical_cumulative_point_eqd2(c, organ, metric, ab, eqd2_gy, found, err);
  for (int q = 0; q < 3; q++)
    if (has[q] && (isnan(*eqd2_gy) || side[q] > *eqd2_gy)) *eqd2_gy = side[q];
  return RERT_OK;
}

static double tox_ab(const char *section, rert_err *err, int *rc) {
  cJSON *doc;
  double v = NAN;
  if (*rc) return v;
  *rc = data_load_json("toxicity_risk.json", &doc, err);
  if (*rc) return v;
  char ctx[96];
  snprintf(ctx, sizeof ctx, "toxicity_risk.json: %s", section);
  *rc = json_get_number(cJSON_GetObjectItemCaseSensitive(doc, section), "alpha_beta_gy", &v, ctx, err);
  cJSON_Delete(doc);
  return v;
}

/* α/β of a toxicity organ: the case file's structure override (for the organ or either side)
 * when there is one — applied everywhere, toxicity included — else the toxicity data's value. */
static double organ_ab(const rert_case *c, const char *base, double data_ab, const char **from) {
  char n[RERT_CASE_NAME_LEN + 4];
  const char *sfx[] = {"", "_L", "_R"};
  for (int i = 0; i < 3; i++) {
    snprintf(n, sizeof n, "%s%s", base, sfx[i]);
    const case_override *o = casefile_find_structure_override(c, n);
    if (o && isfinite(o->alpha_beta_gy)) {
      *from = "case override";
      return o->alpha_beta_gy;
    }
  }
  *from = "data/toxicity_risk.json";
  return data_ab;
}

static double hypo_threshold(rert_err *err, int *rc) {
  cJSON *doc;
  double v = NAN;
  if (*rc) return v;
  *rc = data_load_json("toxicity_risk.json", &doc, err);
  if (*rc) return v;
  *rc = json_get_number(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "carotid_blowout"),
                                                         "hypofractionation_min_dose_per_fraction_gy"),
                        "value", &v, "toxicity_risk.json: carotid_blowout.hypofractionation_min_dose_per_fraction_gy", err);
  cJSON_Delete(doc);
  return v;
}

static cJSON *risk_json(const risk_result *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "tier", risk_tier_name(r->tier));
  cJSON_AddStringToObject(o, "estimate", r->estimate);
  cJSON *f = cJSON_AddArrayToObject(o, "factors");
  for (int i = 0; i < r->nfactors; i++) cJSON_AddItemToArray(f, cJSON_CreateString(r->factors[i]));
  cJSON_AddStringToObject(o, "advice", r->advice);
  cJSON_AddStringToObject(o, "source", r->source);
  return o;
}

static cJSON *rating_json(const ars_option *op) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "treatment", op->treatment);
  cJSON_AddStringToObject(o, "category", ars_category_label(&op->rating));
  json_add_num(o, "median", op->rating.reported_median);
  json_add_num(o, "raw_median", op->rating.median);
  cJSON_AddBoolToObject(o, "disagreement", op->rating.disagreement);
  cJSON_AddNumberToObject(o, "n", op->rating.n);
  cJSON_AddNumberToObject(o, "outside_tier", op->rating.outside_tier);
  cJSON_AddItemToObject(o, "counts", cJSON_CreateIntArray(op->counts, 9));
  cJSON_AddStringToObject(o, "strength_of_recommendation", op->sor);
  cJSON_AddStringToObject(o, "strength_of_evidence", op->soe);
  cJSON_AddStringToObject(o, "study_quality", op->sq);
  cJSON_AddStringToObject(o, "printed_category", op->printed_category);
  cJSON_AddBoolToObject(o, "agrees_with_print", op->agrees_with_print);
  if (op->artefact[0]) cJSON_AddStringToObject(o, "extraction_artefact", op->artefact);
  return o;
}

static int add_toxicity(const rert_case *c, const clinical_options *opt, cJSON *root, rert_err *err) {
  const case_clinical *k = &c->clinical;
  cJSON *tox = cJSON_AddObjectToObject(root, "toxicity");
  cJSON_AddStringToObject(tox, "dose_basis",
                          opt->norgan_doses > 0
                              ? "per-course organ EQD2 metrics from the DICOM accumulation (unrecovered), summed "
                                "over courses (sums of per-course maxima over-estimate a cumulative maximum)"
                              : "per-course point doses from the case file, EQD2 per course, summed without recovery "
                                "discount (sums of per-course maxima over-estimate a cumulative maximum)");
  int rc = RERT_OK, n;
  risk_result r;
  const case_course *planned = casefile_planned_course(c);
  double hypo_d = hypo_threshold(err, &rc);
  double ab_car = tox_ab("carotid_blowout", err, &rc), ab_orn = tox_ab("orn", err, &rc);
  double ab_bp = tox_ab("brachial_plexus", err, &rc), ab_tl = tox_ab("temporal_lobe", err, &rc);
  double ab_cord = tox_ab("myelopathy", err, &rc);
  if (rc) return rc;
  const char *f_car, *f_orn, *f_bp, *f_tl, *f_cord;
  ab_car = organ_ab(c, "A_Carotid", ab_car, &f_car);
  ab_orn = organ_ab(c, "Bone_Mandible", ab_orn, &f_orn);
  ab_bp = organ_ab(c, "BrachialPlex", ab_bp, &f_bp);
  ab_tl = organ_ab(c, "Lobe_Temporal", ab_tl, &f_tl);
  ab_cord = organ_ab(c, "SpinalCord", ab_cord, &f_cord);

  /* each risk on its own: a missing or unusable dose makes only that risk not assessable */
#define RISK(key, ab, from, ...)                                                         \
  do {                                                                                   \
    rc = RERT_OK;                                                                        \
    do __VA_ARGS__ while (0);                                                            \
    if (rc == RERT_EINPUT) {                                                             \
      cJSON_DeleteItemFromObjectCaseSensitive(tox, key);                                 \
      cJSON *o_ = cJSON_AddObjectToObject(tox, key);                                     \
      cJSON_AddStringToObject(o_, "tier", "unknown");                                    \
      cJSON_AddBoolToObject(o_, "assessable", 0);                                        \
      const char *d_ = strstr(err->msg, "$.");                                           \
      char b_[sizeof err->msg + 16];                                                     \
      snprintf(b_, sizeof b_, "needs %s", d_ ? d_ : err->msg);                           \
      cJSON_AddStringToObject(o_, "not_assessable", b_);                                 \
      rc = RERT_OK;                                                                      \
    } else if (rc) {                                                                     \
      return rc;                                                                         \
    } else {                                                                             \
      cJSON *o_ = cJSON_GetObjectItemCaseSensitive(tox, key);                            \
      if (o_) {                                                                          \
        json_add_num(o_, "alpha_beta_gy", ab);                                           \
        cJSON_AddStringToObject(o_, "alpha_beta_from", from);                            \
      }                                                                                  \
    }                                                                                    \
  } while (0)
  /* carotid blowout */
  carotid_inputs ci;
  RISK("carotid_blowout", ab_car, f_car, {
  if ((rc = clinical_cumulative_eqd2(c, opt, "A_Carotid", NULL, ab_car, &ci.cumulative_eqd2_gy, &n, err))) break;
  ci.encasement_deg = k->carotid_encasement_deg;
  ci.invasion = k->carotid_invasion;
  ci.ulceration_or_fistula = (k->mucosal_ulceration == CASE_YES || k->fistula == CASE_YES) ? CASE_YES
                           : (k->mucosal_ulceration == CASE_NO && k->fistula == CASE_NO) ? CASE_NO : CASE_UNKNOWN;
  ci.skin_invasion = k->skin_invasion;
  ci.neck_dissection = k->neck_dissection;
  ci.flap = k->flap_reconstruction;
  ci.deep_neck_infection = k->deep_neck_infection;
  ci.hypofractionated = planned && (!strcmp(planned->technique, "SBRT") ||
                                    planned->prescription_gy / planned->fractions >= hypo_d);
  if ((rc = risk_carotid(&ci, &r, err))) break;
  cJSON_AddItemToObject(tox, "carotid_blowout", risk_json(&r));
  });

  double d;
  RISK("mandible_orn", ab_orn, f_orn, {
  if ((rc = clinical_cumulative_eqd2(c, opt, "Bone_Mandible", NULL, ab_orn, &d, &n, err))) break;
  if ((rc = risk_orn(d, k->dental_status, k->planned_extractions, &r, err))) break;
  cJSON_AddItemToObject(tox, "mandible_orn", risk_json(&r));
  });

  double interval = NAN;
  const case_course *prior = casefile_last_prior(c);
  if (prior) {
    rert_err e2;
    if (casefile_interval_months(c, prior, &interval, &e2)) interval = NAN;
  }
  RISK("brachial_plexopathy", ab_bp, f_bp, {
  if ((rc = clinical_cumulative_eqd2(c, opt, "BrachialPlex", NULL, ab_bp, &d, &n, err))) break;
  if ((rc = risk_brachial_plexus(interval, d, &r, err))) break;
  cJSON_AddItemToObject(tox, "brachial_plexopathy", risk_json(&r));
  });

  /* myelopathy: BED2 per course from the cord point doses; intervals between consecutive courses */
  double bed2[RERT_CASE_MAX_COURSES], ints[RERT_CASE_MAX_COURSES];
  int nb = 0, ni = 0;
  const case_course *prev = NULL;
  int cord_ok = 1;
  for (int i = 0; i < c->ncourses; i++) {
    const case_course *kc = &c->courses[i];
    double e = NAN;
    for (int j = 0; j < opt->norgan_doses; j++) {
      const clinical_organ_dose *od = &opt->organ_doses[j];
      if (strcmp(od->course_id, kc->id) || organ_side(od->organ, "SpinalCord") < 0) continue;
      if (isnan(e) || od->eqd2_gy > e) e = od->eqd2_gy;
    }
    for (int j = 0; isnan(e) && j < kc->npoints; j++) {
      const case_point_dose *p = &kc->points[j];
      if (organ_side(casefile_map_structure(c, p->organ), "SpinalCord") < 0) continue;
      double v = NAN;
      if ((rc = point_eqd2(c, kc, p, ab_cord, &v, err))) break;
      if (isnan(e) || v > e) e = v;
    }
    if (rc) break;
    if (isnan(e)) {
      cord_ok = 0;
      continue;
    }
    bed2[nb++] = radbio_eqdx_to_bed(e, 2.0, ab_cord);
    if (prev) {
      rert_date start = kc->has_start_date ? kc->start_date : c->clinical.recurrence_date;
      if (!prev->has_end_date || (!kc->has_start_date && !c->clinical.has_recurrence_date)) cord_ok = 0;
      else ints[ni++] = date_interval_months(prev->end_date, start);
    }
    prev = kc;
  }
  int cord_rc = rc;
  RISK("myelopathy", ab_cord, f_cord, {
  if ((rc = cord_rc)) break;
  if (nb >= 1 && cord_ok) {
    if ((rc = risk_myelopathy(bed2, nb, ints, ni, opt->nieder_points, &r, err))) break;
    cJSON_AddItemToObject(tox, "myelopathy", risk_json(&r));
  } else {
    cJSON *o = cJSON_AddObjectToObject(tox, "myelopathy");
    cJSON_AddStringToObject(o, "tier", "unknown");
    cJSON_AddBoolToObject(o, "assessable", 0);
    cJSON_AddStringToObject(o, "not_assessable", "needs a SpinalCord point dose for every course (or DICOM) and the courses' dates");
    cJSON_AddStringToObject(o, "estimate", "needs a SpinalCord point dose for every course (or DICOM)");
    cJSON_AddStringToObject(o, "source", "Nieder C et al. IJROBP 2005;61:851-855 and 2006;66:1446-1449");
  }
  });

  RISK("temporal_lobe_necrosis", ab_tl, f_tl, {
  if ((rc = clinical_cumulative_eqd2(c, opt, "Lobe_Temporal", NULL, ab_tl, &d, &n, err))) break;
  if ((rc = risk_temporal_lobe(d, &r, err))) break;
  cJSON_AddItemToObject(tox, "temporal_lobe_necrosis", risk_json(&r));
  });

  /* LKB NTCP where a point dose allows it: Dmean with n = 1 is exact; Dmax bounds EUD (n ≤ 1) */
  cJSON *nt = cJSON_AddArrayToObject(tox, "ntcp_lkb");
  char seen[RERT_CASE_MAX_POINTS * RERT_CASE_MAX_COURSES][RERT_CASE_NAME_LEN + 16];
  int nseen = 0;
  for (int i = 0; i < c->ncourses; i++)
    for (int j = 0; j < c->courses[i].npoints; j++) {
      const case_point_dose *p = &c->courses[i].points[j];
      const char *organ = casefile_map_structure(c, p->organ);
      char key[RERT_CASE_NAME_LEN + 16];
      snprintf(key, sizeof key, "%s|%s", organ, p->metric);
      int dup = 0;
      for (int q = 0; q < nseen; q++) dup |= !strcmp(seen[q], key);
      if (dup || nseen >= (int)(sizeof seen / sizeof seen[0])) continue;
      memcpy(seen[nseen++], key, sizeof key);
      lkb_params lp[8];
      int np;
      if ((rc = ntcp_lkb_lookup(organ, lp, 8, &np, err))) return rc;
      for (int q = 0; q < np; q++) {
        int is_mean = !strcmp(p->metric, "Dmean"), is_max = !strcmp(p->metric, "Dmax");
        if (!(is_mean && lp[q].n == 1.0) && !is_max) continue;
        /* α/β of the EQD2 fed to LKB: the organ's entry in data/tissues.json, else the OAR default */
        double abt;
        tissue_params tp;
        rert_err e3;
        if (tissue_lookup(organ, &tp, &e3) == RERT_OK) abt = tp.alpha_beta_gy;
        else if ((rc = tissue_default_alpha_beta("oar", &abt, err))) return rc;
        double eqd2;
        int nf;
        if ((rc = clinical_cumulative_eqd2(c, opt, organ, p->metric, abt, &eqd2, &nf, err))) return rc;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "organ", organ);
        cJSON_AddStringToObject(o, "endpoint", lp[q].endpoint);
        cJSON_AddStringToObject(o, "metric", p->metric);
        json_add_num(o, "alpha_beta_gy", abt);
        json_add_num(o, "eud_gy", eqd2);
        json_add_num(o, "ntcp", ntcp_lkb(eqd2, &lp[q]));
        cJSON_AddStringToObject(o, "kind", is_mean ? "exact (n = 1: EUD = mean dose)" : "upper bound (EUD <= Dmax)");
        cJSON_AddBoolToObject(o, "verified", lp[q].verified);
        cJSON_AddStringToObject(o, "source", lp[q].source);
        cJSON_AddItemToArray(nt, o);
      }
    }
  return RERT_OK;
}

/* One assessment that could not be made for want of a fact: its object says so and what it
 * needs (the message of the assessment that refused, which names the case-file field). */
static void not_assessable(cJSON *root, const char *key, const rert_err *e) {
  cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
  if (o) cJSON_DeleteItemFromObjectCaseSensitive(root, key);
  o = cJSON_AddObjectToObject(root, key);
  cJSON_AddBoolToObject(o, "assessable", 0);
  const char *m = e->msg;
  /* drop the case path prefix: "case.json: $.clinical.histology: missing; ..." -> "$.clinical..." */
  const char *d = strstr(m, "$.");
  char buf[sizeof e->msg + 16];
  snprintf(buf, sizeof buf, "needs %s", d ? d : m);
  cJSON_AddStringToObject(o, "not_assessable", buf);
}

/* Run one part: RERT_EINPUT (a fact it needs is missing or unusable) makes that part "not
 * assessable" and the others go on; any other error aborts. */
#define PART(key, call)                                                  \
  do {                                                                   \
    rert_err e_;                                                         \
    memset(&e_, 0, sizeof e_);                                           \
    int rc_ = (call);                                                    \
    if (rc_ == RERT_EINPUT) {                                            \
      not_assessable(root, key, &e_);                                    \
      nna++;                                                             \
    } else if (rc_) {                                                    \
      *err = e_;                                                         \
      cJSON_Delete(root);                                                \
      return rc_;                                                        \
    } else {                                                             \
      cJSON *o_ = cJSON_GetObjectItemCaseSensitive(root, key);           \
      if (o_ && !cJSON_GetObjectItemCaseSensitive(o_, "assessable"))     \
        cJSON_AddBoolToObject(o_, "assessable", 1);                      \
    }                                                                    \
  } while (0)

static int part_rpa(const rert_case *c, const clinical_options *o, cJSON *root, rpa_result *rpa, rert_err *err) {
  int rc = rpa_assess_case(c, o->origin, rpa, err);
  if (rc) return rc;
  cJSON *jr = cJSON_AddObjectToObject(root, "rpa");
  cJSON_AddNumberToObject(jr, "class", rpa->rpa_class);
  cJSON_AddStringToObject(jr, "class_label", rpa->rpa_class == 1 ? "I" : rpa->rpa_class == 2 ? "II"
                                             : rpa->rpa_class == 3 ? "III" : "indeterminate");
  if (!rpa->rpa_class) {
    cJSON_AddStringToObject(jr, "possible", rpa->possible);
    cJSON_AddStringToObject(jr, "missing", rpa->missing);
  }
  json_add_num(jr, "interval_months", rpa->interval_months);
  json_add_num(jr, "interval_class1_months", rpa->interval_class1_months);
  cJSON_AddStringToObject(jr, "rationale", rpa->rationale);
  cJSON_AddStringToObject(jr, "survival", rpa->survival);
  cJSON_AddBoolToObject(jr, "survival_verified", rpa->survival_verified);
  cJSON_AddStringToObject(jr, "source", rpa->source);
  return RERT_OK;
}

static int part_intent(const rert_case *c, cJSON *root, rert_err *err) {
  intent_result in;
  int rc = intent_assess_case(c, &in, err);
  if (rc) return rc;
  cJSON *ji = cJSON_AddObjectToObject(root, "intent");
  cJSON_AddStringToObject(ji, "intent", in.intent);
  cJSON_AddStringToObject(ji, "basis", in.intent_basis);
  json_add_num(ji, "planned_bed10_gy", in.planned_bed10_gy);
  json_add_num(ji, "planned_eqd2_gy", in.planned_eqd2_gy);
  json_add_num(ji, "prior_eqd2_gy", in.prior_eqd2_gy);
  cJSON_AddStringToObject(ji, "bed10_range", in.bed_range);
  cJSON *tg = cJSON_AddObjectToObject(ji, "targets_bed10_gy");
  json_add_num(tg, "curative_lo", in.curative_lo_gy);
  json_add_num(tg, "curative_hi", in.curative_hi_gy);
  json_add_num(tg, "palliative_lo", in.palliative_lo_gy);
  json_add_num(tg, "palliative_hi", in.palliative_hi_gy);
  if (in.ars_reirradiation < 0) cJSON_AddNullToObject(ji, "ars_reirradiation");
  else cJSON_AddBoolToObject(ji, "ars_reirradiation", in.ars_reirradiation);
  cJSON_AddStringToObject(ji, "ars_reirradiation_reason", in.ars_reason);
  json_add_num(ji, "interval_months", in.interval_months);
  if (in.interval_below_minimum)
    cJSON_AddStringToObject(ji, "interval_note",
                            "interval below 6 months: RTOG reRT trials required >= 6 months since the prior "
                            "course; the exception is an inadequate initial course (S2)");
  cJSON_AddStringToObject(ji, "source", in.source);
  return RERT_OK;
}

static int part_recurrence(const rert_case *c, const clinical_options *o, cJSON *root, rert_err *err) {
  const case_clinical *k = &c->clinical;
  cJSON *jp = cJSON_AddObjectToObject(root, "recurrence_pattern");
  int rc;
  if (k->second_primary == CASE_YES) {
    recurrence_result rr;
    if ((rc = recurrence_classify(0.0, o->boundary, &rr, err))) return rc;
    cJSON_AddStringToObject(jp, "class", "out-of-field");
    cJSON_AddStringToObject(jp, "basis", "clinician judges the lesion a second primary");
    cJSON_AddStringToObject(jp, "advice", rr.advice);
    cJSON_AddStringToObject(jp, "source", rr.source);
  } else if (!isnan(o->overlap_fraction) || !isnan(k->recurrence_overlap_fraction)) {
    recurrence_result rr;
    int from_dicom = !isnan(o->overlap_fraction);
    double f = from_dicom ? o->overlap_fraction : k->recurrence_overlap_fraction;
    if ((rc = recurrence_classify(f, o->boundary, &rr, err))) return rc;
    cJSON_AddStringToObject(jp, "class", rr.label);
    json_add_num(jp, "overlap_fraction", rr.overlap_fraction);
    cJSON_AddStringToObject(jp, "basis", from_dicom ? "recurrence ROI against the mapped prior dose (DICOM)"
                                                    : "$.clinical.recurrence_overlap_fraction");
    cJSON_AddStringToObject(jp, "advice", rr.advice);
    cJSON_AddStringToObject(jp, "source", rr.source);
  } else {
    cJSON_AddStringToObject(jp, "class", "unknown");
    cJSON_AddStringToObject(jp, "basis",
                            "needs $.clinical.recurrence_overlap_fraction, or DICOM (recurrence_roi + mapped "
                            "prior dose: recurrence_overlap_fraction())");
  }
  /* margin recipes that match the planned technique */
  cJSON *doc;
  if ((rc = data_load_json("target_margins.json", &doc, err))) return rc;
  const case_course *pl = casefile_planned_course(c);
  const char *tech = pl ? pl->technique : "";
  int carbon = pl && pl->modality == MOD_CARBON;
  cJSON *arr = cJSON_AddArrayToObject(jp, "margin_recipes");
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "recipes")) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "technique");
    const char *rt = cJSON_IsString(t) ? t->valuestring : "";
    int match = !strcmp(rt, "any") || (carbon && !strcmp(rt, "CIRT")) ||
                (!carbon && tech[0] && !strcmp(rt, tech)) ||
                (!carbon && (!strcmp(tech, "VMAT") || !strcmp(tech, "IMPT") || !strcmp(tech, "PBS")) && !strcmp(rt, "IMRT")) ||
                (k->salvage == SALVAGE_DONE && !strcmp(rt, "postoperative"));
    if (match) cJSON_AddItemToArray(arr, cJSON_Duplicate(r, 1));
  }
  cJSON_Delete(doc);
  return RERT_OK;
}

static int part_ars(const rert_case *c, const clinical_options *o, const rpa_result *rpa, cJSON *root,
                    rert_err *err) {
  ars_match am;
  int rc = ars_match_case(c, rpa, o->rule, &am, err);
  if (rc) return rc;
  cJSON *ja = cJSON_AddObjectToObject(root, "ars");
  cJSON_AddStringToObject(ja, "key_question", am.key_question);
  cJSON_AddStringToObject(ja, "panel_case", am.case_id);
  cJSON_AddStringToObject(ja, "match_reason", am.match_reason);
  cJSON_AddStringToObject(ja, "scenario", am.scenario);
  cJSON_AddStringToObject(ja, "recommendation", am.recommendation);
  cJSON *jo = cJSON_AddArrayToObject(ja, "options");
  for (int i = 0; i < am.noptions; i++) cJSON_AddItemToArray(jo, rating_json(&am.options[i]));
  cJSON_AddStringToObject(ja, "source", am.source);
  return RERT_OK;
}

static int part_trial(const rert_case *c, cJSON *root, rert_err *err) {
  trial_result tr;
  int rc = trial_sphic_check(c, &tr, err);
  if (rc) return rc;
  cJSON *jt = cJSON_AddObjectToObject(root, "trial_sphic");
  cJSON_AddStringToObject(jt, "trial", tr.trial);
  cJSON_AddStringToObject(jt, "verdict", tr.verdict);
  cJSON *jc = cJSON_AddArrayToObject(jt, "criteria");
  for (int i = 0; i < tr.ncriteria; i++) {
    const trial_criterion *t = &tr.criteria[i];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "id", t->id);
    cJSON_AddStringToObject(x, "kind", t->kind);
    cJSON_AddStringToObject(x, "status", t->status == CRIT_MET ? "met" : t->status == CRIT_NOT_MET ? "not_met" : "unknown");
    cJSON_AddStringToObject(x, "text", t->text);
    if (t->detail[0]) cJSON_AddStringToObject(x, "detail", t->detail);
    cJSON_AddItemToArray(jc, x);
  }
  cJSON_AddStringToObject(jt, "source", tr.source);
  return RERT_OK;
}

int clinical_assess(const rert_case *c, const clinical_options *o, cJSON **report, rert_err *err) {
  *report = NULL;
  cJSON *root = cJSON_CreateObject();
  if (!root) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int nna = 0;
  cJSON_AddStringToObject(root, "case", c->path);
  cJSON_AddStringToObject(root, "patient_id", c->patient_id);
  cJSON *opts = cJSON_AddObjectToObject(root, "options");
  cJSON_AddStringToObject(opts, "rpa_origin", rpa_origin_name(o->origin));
  cJSON_AddStringToObject(opts, "boundary", o->boundary == BOUNDARY_S4 ? "s4" : "dawson");
  cJSON_AddStringToObject(opts, "disagreement", ars_rule_name(o->rule));
  if (!c->has_clinical)
    cJSON_AddStringToObject(root, "note", "the case file has no $.clinical block: every clinical fact is unknown");
  /* each assessment on its own: one missing fact makes only that one "not assessable" */
  rpa_result rpa;
  memset(&rpa, 0, sizeof rpa);
  PART("rpa", part_rpa(c, o, root, &rpa, &e_));
  PART("intent", part_intent(c, root, &e_));
  PART("recurrence_pattern", part_recurrence(c, o, root, &e_));
  PART("toxicity", add_toxicity(c, o, root, &e_));
  PART("ars", part_ars(c, o, &rpa, root, &e_));
  PART("trial_sphic", part_trial(c, root, &e_));
  cJSON_AddNumberToObject(root, "not_assessable", nna);
  *report = root;
  return RERT_OK;
}
#undef PART
