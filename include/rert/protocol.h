/* protocol.h — re-irradiation constraint protocols as data (data/protocols/NAME.json) and the
 * dose-volume metric strings they use.
 *
 * Implements domain-reference §5 (constraint tables), §3.4/§3.5 (interval-dependent and
 * 130 %/150 % limits) and §11.1 (the two CARE variants). Every constraint names its TG-263
 * organ, metric ("D0.03cc", "Dmax", "V20Gy[%]"), limit, comparator, tier, scope (cumulative or
 * new course only), interval condition, the α/β and prior-dose recovery the limit assumes, and
 * its citation with a `verified` flag. The schema is documented in docs/protocols.md.
 */
#ifndef RERT_PROTOCOL_H
#define RERT_PROTOCOL_H

#include <stddef.h>

#include "rert/err.h"
#include "rert/rbe.h"

typedef enum { CMP_LT = 0, CMP_LE, CMP_GT, CMP_GE } protocol_cmp;
/* mandatory and acceptable limits are hard (their failure is a failing verdict, exit 1);
 * desirable is an objective (warning); informational is reported only. */
typedef enum { TIER_MANDATORY = 0, TIER_ACCEPTABLE, TIER_DESIRABLE, TIER_INFORMATIONAL } protocol_tier;
typedef enum { SCOPE_CUMULATIVE = 0, SCOPE_NEW_COURSE } protocol_scope;
/* What the limit is expressed in: EQD2 at alpha_beta_gy, BED, or the delivered dose itself
 * (physical Gy, or Gy(RBE) under rbe_model). */
typedef enum { PQ_EQD2 = 0, PQ_BED, PQ_DOSE } protocol_quantity;

/* ---- metric strings ---- */
typedef enum {
  MET_DMAX = 0,  /* "Dmax" */
  MET_DMIN,      /* "Dmin" */
  MET_DMEAN,     /* "Dmean" */
  MET_D_CC,      /* "D0.03cc": minimum dose to the hottest x cc */
  MET_D_PCT,     /* "D95%", "D20%": minimum dose to the hottest x % */
  MET_V_GY,      /* "V20Gy[%]" / "V20Gy[cc]": volume receiving >= x Gy */
  MET_CV_GY      /* "CV15Gy[cc]": complement volume, receiving < x Gy */
} metric_kind;

typedef struct {
  metric_kind kind;
  double param;        /* cc, %, or Gy by kind */
  int volume_in_pct;   /* MET_V_GY / MET_CV_GY result unit: 1 = % of organ, 0 = cc */
  char text[32];
} protocol_metric;

int protocol_metric_parse(const char *s, protocol_metric *m, rert_err *err);
/* Does the metric bound the hottest voxels (Dmax, Dxcc)? Such limits can be applied voxel by
 * voxel (remaining-tolerance map). */
int protocol_metric_is_pointlike(const protocol_metric *m);
/* Evaluate on weighted samples: values[i] with volume_cc[i] (fractional occupancy × voxel
 * volume; samples with volume ≤ 0 are ignored). D_x is the minimum dose of the hottest x cc or
 * x % (the sample at which the hottest-first cumulative volume reaches x); beyond the organ
 * volume → the minimum. Empty organ → RERT_EINPUT. Result in Gy, % or cc per the metric. */
int protocol_metric_eval(const protocol_metric *m, const double *values, const double *volume_cc,
                         size_t n, double *result, rert_err *err);

/* ---- constraints and protocols ---- */
typedef struct {
  int has_min, min_inclusive;
  double min_months;
  int has_max, max_inclusive;
  double max_months;
} protocol_interval;

typedef struct {
  char id[64];
  char organ[64];             /* TG-263 without laterality: matches Parotid, Parotid_L, Parotid_R */
  protocol_metric metric;
  int has_limit;              /* 0 = ALARA / no numeric limit (informational only) */
  double limit;               /* Gy, %, or cc (see limit_unit) */
  char limit_unit[12];        /* "Gy", "Gy(RBE)", "%", "cc" */
  protocol_cmp cmp;
  protocol_tier tier;
  protocol_scope scope;
  protocol_quantity quantity;
  int has_rbe_model;
  rbe_model rbe;              /* for PQ_DOSE limits in Gy(RBE) */
  protocol_interval interval; /* applies only when the interval satisfies it (none = always) */
  double alpha_beta_gy;       /* NaN = not stated → organ α/β from data/tissues.json */
  char recovery[96];          /* prior-course recovery the limit assumes; "case" = case file's */
  char notes[512];
  char source[320];
  int verified;
} protocol_constraint;

typedef struct {
  char name[64];
  char title[160];
  char description[512];
  char applies_to[64];
  char source[320];
  int verified;
  int nconflicts;
  char conflicts[4][512];
  int nconstraints;
  protocol_constraint *constraints;
  char path[1024];
} rert_protocol;

/* Load and validate one protocol: NAME (data/protocols/NAME.json) or a path to a .json file.
 * Errors name the file, the constraint id and the field. */
int protocol_load(const char *name_or_path, rert_protocol *p, rert_err *err);
/* Parse from an already-loaded JSON document (ctx names it in messages). */
int protocol_from_json(const void *cjson_root, const char *ctx, rert_protocol *p, rert_err *err);
void protocol_free(rert_protocol *p);
/* Names of data/protocols/NAME.json, sorted; caller frees with protocol_names_free. */
int protocol_names(char ***names, int *n, rert_err *err);
void protocol_names_free(char **names, int n);

/* Does the interval (months) satisfy the condition? A constraint without a condition always
 * applies. Writes a short human explanation ("interval 30.0 mo > 24") when why != NULL. */
int protocol_interval_applies(const protocol_interval *c, double interval_months, char *why,
                              size_t whylen);
/* Does the TG-263 structure name (e.g. "OpticNrv_L") fall under the constraint organ? */
int protocol_organ_matches(const char *constraint_organ, const char *structure_name);
int protocol_compare(protocol_cmp c, double value, double limit);

const char *protocol_cmp_name(protocol_cmp c);     /* "<", "<=", ">", ">=" */
const char *protocol_tier_name(protocol_tier t);
const char *protocol_scope_name(protocol_scope s); /* "cumulative", "new_course" */
const char *protocol_quantity_name(protocol_quantity q);
int protocol_tier_is_hard(protocol_tier t);        /* mandatory or acceptable */

#endif
