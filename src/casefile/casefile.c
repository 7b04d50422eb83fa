/* casefile.c — loader and validator for the rert case file (schema rert-case/1, casefile.h).
 *
 * Every check names the file, the JSON path ($.courses[1].fractions) and what was expected, in
 * one line, and returns RERT_EINPUT. Unknown keys are refused so that a misspelt fact is never
 * silently treated as "unknown"; keys starting with "x_" and "comment" are allowed everywhere.
 * The schema itself is documented in docs/case-file.md.
 */
#include "rert/casefile.h"

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rert/data.h"

typedef struct {
  const char *file;
  rert_err *err;
} vctx;

static int fail(const vctx *v, const char *jpath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const vctx *v, const char *jpath, const char *fmt, ...) {
  char what[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  int rc = rert_err_set(v->err, RERT_EINPUT, "%s: %s: %s", v->file, jpath, what);
  /* keys and values from the file are echoed: keep the message on one line */
  if (v->err)
    for (char *p = v->err->msg; *p; p++)
      if ((unsigned char)*p < 0x20) *p = ' ';
  return rc;
}

static void jp(char *out, size_t n, const char *base, const char *key) {
  snprintf(out, n, "%s.%s", base, key);
}

/* Refuse keys not in `allowed` (NULL-terminated), except x_* and comment. */
static int check_keys(const vctx *v, const cJSON *obj, const char *base, const char *const *allowed) {
  for (const cJSON *it = obj->child; it; it = it->next) {
    const char *k = it->string;
    if (!k) continue;
    if (strncmp(k, "x_", 2) == 0 || strcmp(k, "comment") == 0) continue;
    int ok = 0;
    for (const char *const *a = allowed; *a; a++)
      if (strcmp(*a, k) == 0) { ok = 1; break; }
    if (!ok) {
      char list[400] = "";
      for (const char *const *a = allowed; *a; a++) {
        if (strlen(list) + strlen(*a) + 3 >= sizeof list) break;
        if (list[0]) strcat(list, ", ");
        strcat(list, *a);
      }
      return fail(v, base, "unknown field '%s' (expected one of: %s; site extensions start with x_)",
                  k, list);
    }
  }
  return RERT_OK;
}

static int get_obj(const vctx *v, const cJSON *parent, const char *base, const char *key,
                   int required, const cJSON **out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(parent, key);
  char p[256];
  jp(p, sizeof p, base, key);
  *out = NULL;
  if (!it || cJSON_IsNull(it)) return required ? fail(v, p, "missing; expected an object") : RERT_OK;
  if (!cJSON_IsObject(it)) return fail(v, p, "expected an object");
  *out = it;
  return RERT_OK;
}

static int get_str(const vctx *v, const cJSON *parent, const char *base, const char *key,
                   int required, char *dst, size_t dstsz) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(parent, key);
  char p[256];
  jp(p, sizeof p, base, key);
  if (!it || cJSON_IsNull(it)) {
    if (required) return fail(v, p, "missing; expected a string");
    return RERT_OK;
  }
  if (!cJSON_IsString(it)) return fail(v, p, "expected a string");
  if (strlen(it->valuestring) >= dstsz)
    return fail(v, p, "string longer than %zu characters", dstsz - 1);
  if (required && !it->valuestring[0]) return fail(v, p, "expected a non-empty string");
  strcpy(dst, it->valuestring);
  return RERT_OK;
}

/* Identifiers end up in file names (EQD2_<course>.dcm), log lines and report rows: one with a
 * control character could forge a second log line, one with a path separator or "." / ".." could
 * write outside the output directory. Refused: ASCII and C1 controls (U+0000–U+001F, U+007F,
 * U+0080–U+009F), U+2028/U+2029 line separators, and with `is_name` also '/', '\\', "." and
 * "..". */
static int check_id(const vctx *v, const char *jpath, const char *s, int is_name) {
  for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
    int ctl = *q < 0x20 || *q == 0x7f || (q[0] == 0xc2 && q[1] >= 0x80 && q[1] <= 0x9f) ||
              (q[0] == 0xe2 && q[1] == 0x80 && (q[2] == 0xa8 || q[2] == 0xa9));
    if (ctl)
      return fail(v, jpath, "contains a control character (byte %zu); identifiers must be printable",
                  (size_t)(q - (const unsigned char *)s));
    if (is_name && (*q == '/' || *q == '\\'))
      return fail(v, jpath, "'%s' contains a path separator; course ids name output files", s);
  }
  if (is_name && (!strcmp(s, ".") || !strcmp(s, "..")))
    return fail(v, jpath, "'%s' is not a usable id; course ids name output files", s);
  return RERT_OK;
}

/* String restricted to a set of values. */
static int get_enum(const vctx *v, const cJSON *parent, const char *base, const char *key,
                    int required, const char *const *values, char *dst, size_t dstsz) {
  int rc = get_str(v, parent, base, key, required, dst, dstsz);
  if (rc || !dst[0]) return rc;
  for (const char *const *a = values; *a; a++)
    if (strcmp(*a, dst) == 0) return RERT_OK;
  char list[400] = "", p[256];
  for (const char *const *a = values; *a; a++) {
    if (strlen(list) + strlen(*a) + 3 >= sizeof list) break;
    if (list[0]) strcat(list, " | ");
    strcat(list, *a);
  }
  jp(p, sizeof p, base, key);
  return fail(v, p, "'%s' is not one of: %s", dst, list);
}

static int get_num(const vctx *v, const cJSON *parent, const char *base, const char *key,
                   int required, double lo, double hi, double *dst) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(parent, key);
  char p[256];
  jp(p, sizeof p, base, key);
  if (!it || cJSON_IsNull(it)) {
    if (required) return fail(v, p, "missing; expected a number in [%g, %g]", lo, hi);
    *dst = NAN;
    return RERT_OK;
  }
  if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
    return fail(v, p, "expected a number in [%g, %g]", lo, hi);
  if (it->valuedouble < lo || it->valuedouble > hi)
    return fail(v, p, "%g is outside [%g, %g]", it->valuedouble, lo, hi);
  *dst = it->valuedouble;
  return RERT_OK;
}

static int get_int(const vctx *v, const cJSON *parent, const char *base, const char *key,
                   int required, int lo, int hi, int absent, int *dst) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(parent, key);
  char p[256];
  jp(p, sizeof p, base, key);
  if (!it || cJSON_IsNull(it)) {
    if (required) return fail(v, p, "missing; expected an integer in [%d, %d]", lo, hi);
    *dst = absent;
    return RERT_OK;
  }
  if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble))
    return fail(v, p, "expected an integer in [%d, %d]", lo, hi);
  if (it->valuedouble < lo || it->valuedouble > hi)
    return fail(v, p, "%g is outside [%d, %d]", it->valuedouble, lo, hi);
  *dst = (int)it->valuedouble;
  return RERT_OK;
}

static int get_tri(const vctx *v, const cJSON *parent, const char *base, const char *key,
                   case_tri *dst) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(parent, key);
  char p[256];
  jp(p, sizeof p, base, key);
  *dst = CASE_UNKNOWN;
  if (!it || cJSON_IsNull(it)) return RERT_OK;
  if (!cJSON_IsBool(it)) return fail(v, p, "expected true, false or null (unknown)");
  *dst = cJSON_IsTrue(it) ? CASE_YES : CASE_NO;
  return RERT_OK;
}

static int get_date(const vctx *v, const cJSON *parent, const char *base, const char *key,
                    int required, int *has, rert_date *dst) {
  char s[32] = "", p[256];
  *has = 0;
  int rc = get_str(v, parent, base, key, required, s, sizeof s);
  if (rc) return rc;
  if (!s[0]) return RERT_OK;
  jp(p, sizeof p, base, key);
  rert_err e;
  if (date_parse(s, p, dst, &e)) return fail(v, p, "'%s' is not a valid date; expected YYYY-MM-DD", s);
  *has = 1;
  return RERT_OK;
}

/* Resolve a path relative to the case-file directory. */
static int get_path(const vctx *v, const rert_case *c, const cJSON *parent, const char *base,
                    const char *key, char *dst) {
  char raw[RERT_CASE_PATH_LEN] = "";
  int rc = get_str(v, parent, base, key, 0, raw, sizeof raw);
  if (rc || !raw[0]) return rc;
  if (raw[0] == '/' || !c->dir[0]) {
    strcpy(dst, raw);
  } else {
    int n = snprintf(dst, RERT_CASE_PATH_LEN, "%s/%s", c->dir, raw);
    if (n < 0 || n >= RERT_CASE_PATH_LEN) {
      char p[256];
      jp(p, sizeof p, base, key);
      return fail(v, p, "resolved path too long");
    }
  }
  return RERT_OK;
}

/* A path or an array of paths (each resolved like get_path; duplicates refused). */
static int get_path_list(const vctx *v, const rert_case *c, const cJSON *parent, const char *base,
                         const char *key, int max, char (**out)[RERT_CASE_PATH_LEN], int *n) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(parent, key);
  char p[256];
  jp(p, sizeof p, base, key);
  *n = 0;
  if (!it || cJSON_IsNull(it)) return RERT_OK;
  int cnt = cJSON_IsArray(it) ? cJSON_GetArraySize(it) : 1;
  if (!cJSON_IsArray(it) && !cJSON_IsString(it))
    return fail(v, p, "expected a path or an array of paths");
  if (cnt < 1) return fail(v, p, "expected at least one path");
  if (cnt > max) return fail(v, p, "%d paths; at most %d", cnt, max);
  *out = calloc((size_t)cnt, sizeof **out);
  if (!*out) return rert_err_set(v->err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < cnt; i++) {
    const cJSON *e = cJSON_IsArray(it) ? cJSON_GetArrayItem(it, i) : it;
    char ip[300];
    if (cJSON_IsArray(it)) snprintf(ip, sizeof ip, "%s[%d]", p, i);
    else snprintf(ip, sizeof ip, "%s", p);
    if (!cJSON_IsString(e) || !e->valuestring[0]) return fail(v, ip, "expected a non-empty path");
    const char *raw = e->valuestring;
    int w = raw[0] == '/' || !c->dir[0] ? snprintf((*out)[i], RERT_CASE_PATH_LEN, "%s", raw)
                                        : snprintf((*out)[i], RERT_CASE_PATH_LEN, "%s/%s", c->dir, raw);
    if (w < 0 || w >= RERT_CASE_PATH_LEN) return fail(v, ip, "resolved path too long");
    for (int j = 0; j < i; j++)
      if (!strcmp((*out)[j], (*out)[i])) return fail(v, ip, "'%s' is listed twice", raw);
    *n = i + 1;
  }
  return RERT_OK;
}

/* cJSON keeps every member of an object, so {"fractions": 30, "fractions": 35} would silently use
 * the first: any key given twice in one object is refused, naming its JSON path. */
static int check_duplicate_keys(const vctx *v, const cJSON *node, const char *path) {
  if (cJSON_IsObject(node)) {
    for (const cJSON *a = node->child; a; a = a->next) {
      for (const cJSON *b = a->next; b; b = b->next)
        if (a->string && b->string && !strcmp(a->string, b->string))
          return fail(v, path, "key '%s' appears twice in this object (a JSON object's keys "
                               "must be unique; which value is meant is ambiguous)", a->string);
    }
  }
  int i = 0;
  for (const cJSON *a = node->child; a; a = a->next, i++) {
    if (!cJSON_IsObject(a) && !cJSON_IsArray(a)) continue;
    char p[256];
    if (cJSON_IsObject(node)) snprintf(p, sizeof p, "%s.%s", path, a->string ? a->string : "?");
    else snprintf(p, sizeof p, "%s[%d]", path, i);
    int rc = check_duplicate_keys(v, a, p);
    if (rc) return rc;
  }
  return RERT_OK;
}

rert_date casefile_today(void) {
  const char *e = getenv("RERT_TODAY");
  rert_date d;
  rert_err err;
  if (e && *e && date_parse(e, "RERT_TODAY", &d, &err) == RERT_OK) return d;
  return date_from_days((long)(time(NULL) / 86400));
}

/* ---- sections ---- */

static const char *const SEX_VALUES[] = {"M", "F", "O", "", NULL};

static int parse_patient(const vctx *v, const cJSON *root, rert_case *c) {
  const cJSON *p;
  int rc = get_obj(v, root, "$", "patient", 1, &p);
  if (rc) return rc;
  static const char *const keys[] = {"id", "name", "birth_date", "sex", NULL};
  if ((rc = check_keys(v, p, "$.patient", keys))) return rc;
  if ((rc = get_str(v, p, "$.patient", "id", 1, c->patient_id, sizeof c->patient_id))) return rc;
  if ((rc = check_id(v, "$.patient.id", c->patient_id, 0))) return rc;
  if ((rc = get_str(v, p, "$.patient", "name", 0, c->patient_name, sizeof c->patient_name))) return rc;
  if ((rc = get_date(v, p, "$.patient", "birth_date", 0, &c->has_birth_date, &c->birth_date))) return rc;
  if ((rc = get_enum(v, p, "$.patient", "sex", 0, SEX_VALUES, c->sex, sizeof c->sex))) return rc;
  return RERT_OK;
}

static const char *const HISTOLOGY_VALUES[] = {
    "squamous", "adenoid_cystic", "mucoepidermoid", "adenocarcinoma", "salivary_duct",
    "acinic_cell", "undifferentiated_nasopharyngeal", "sinonasal_undifferentiated",
    "melanoma", "sarcoma", "esthesioneuroblastoma", "other_nonsquamous", NULL};
static const char *const SUBSITE_VALUES[] = {
    "oral_cavity", "oropharynx", "larynx", "hypopharynx", "nasopharynx", "sinonasal",
    "salivary", "skin", "skull_base", "neck", "unknown_primary", "other", NULL};

static int parse_clinical(const vctx *v, const cJSON *root, rert_case *c) {
  const cJSON *k;
  int rc = get_obj(v, root, "$", "clinical", 0, &k);
  if (rc) return rc;
  case_clinical *x = &c->clinical;
  /* defaults: everything unknown */
  memset(x, 0, sizeof *x);
  x->histology_squamous = -1;
  x->ecog = x->charlson = x->ace27 = -1;
  x->age_years = x->kps = x->recurrence_size_cm = x->recurrence_volume_cc = NAN;
  x->carotid_encasement_deg = x->recurrence_overlap_fraction = NAN;
  case_tri *tris[] = {&x->p16, &x->ebv, &x->second_primary, &x->rapid_progression,
                      &x->prior_surgery, &x->neck_dissection, &x->flap_reconstruction,
                      &x->resectable, &x->accepts_surgery, &x->acceptable_function,
                      &x->salvage_ene, &x->feeding_tube, &x->tracheostomy,
                      &x->soft_tissue_defect, &x->distant_metastases, &x->carotid_invasion,
                      &x->mucosal_ulceration, &x->fistula, &x->skin_invasion,
                      &x->deep_neck_infection, &x->planned_extractions, &x->pregnant,
                      &x->unresolved_prior_toxicity, &x->other_cancer_5y, &x->other_trial,
                      &x->consent_capable, &x->accepts_cisplatin};
  for (size_t i = 0; i < sizeof tris / sizeof *tris; i++) *tris[i] = CASE_UNKNOWN;
  if (!k) return RERT_OK;
  c->has_clinical = 1;
  const char *B = "$.clinical";
  static const char *const keys[] = {
      "age_years", "ecog", "kps", "histology", "p16", "ebv", "subsite", "rT", "rN",
      "recurrence_size_cm", "recurrence_volume_cc", "diagnosis_date", "recurrence_date",
      "second_primary", "recurrence_overlap_fraction", "recurrence_extent", "rapid_progression",
      "prior_surgery", "neck_dissection", "flap_reconstruction", "resectable", "accepts_surgery",
      "acceptable_function", "salvage_surgery", "organ_dysfunction", "comorbidity",
      "distant_metastases", "carotid", "mucosal_ulceration", "fistula", "skin_invasion",
      "deep_neck_infection", "dental", "goals_of_care", "trial", NULL};
  if ((rc = check_keys(v, k, B, keys))) return rc;
  if ((rc = get_num(v, k, B, "age_years", 0, 0, 130, &x->age_years))) return rc;
  if ((rc = get_int(v, k, B, "ecog", 0, 0, 4, -1, &x->ecog))) return rc;
  if ((rc = get_num(v, k, B, "kps", 0, 0, 100, &x->kps))) return rc;
  if ((rc = get_enum(v, k, B, "histology", 0, HISTOLOGY_VALUES, x->histology, sizeof x->histology))) return rc;
  if (x->histology[0]) x->histology_squamous = strcmp(x->histology, "squamous") == 0;
  if ((rc = get_tri(v, k, B, "p16", &x->p16))) return rc;
  if ((rc = get_tri(v, k, B, "ebv", &x->ebv))) return rc;
  if ((rc = get_enum(v, k, B, "subsite", 0, SUBSITE_VALUES, x->subsite, sizeof x->subsite))) return rc;
  static const char *const RT[] = {"rTx", "rT0", "rTis", "rT1", "rT2", "rT3", "rT4", "rT4a", "rT4b", NULL};
  static const char *const RN[] = {"rNx", "rN0", "rN1", "rN2", "rN2a", "rN2b", "rN2c", "rN3", "rN3a", "rN3b", NULL};
  if ((rc = get_enum(v, k, B, "rT", 0, RT, x->rT, sizeof x->rT))) return rc;
  if ((rc = get_enum(v, k, B, "rN", 0, RN, x->rN, sizeof x->rN))) return rc;
  if ((rc = get_num(v, k, B, "recurrence_size_cm", 0, 0, 100, &x->recurrence_size_cm))) return rc;
  if ((rc = get_num(v, k, B, "recurrence_volume_cc", 0, 0, 10000, &x->recurrence_volume_cc))) return rc;
  if ((rc = get_date(v, k, B, "diagnosis_date", 0, &x->has_diagnosis_date, &x->diagnosis_date))) return rc;
  if ((rc = get_date(v, k, B, "recurrence_date", 0, &x->has_recurrence_date, &x->recurrence_date))) return rc;
  if ((rc = get_tri(v, k, B, "second_primary", &x->second_primary))) return rc;
  if ((rc = get_num(v, k, B, "recurrence_overlap_fraction", 0, 0, 1, &x->recurrence_overlap_fraction))) return rc;
  static const char *const EXT[] = {"local", "regional", "locoregional", NULL};
  if ((rc = get_enum(v, k, B, "recurrence_extent", 0, EXT, x->recurrence_extent, sizeof x->recurrence_extent))) return rc;
  if ((rc = get_tri(v, k, B, "rapid_progression", &x->rapid_progression))) return rc;
  if ((rc = get_tri(v, k, B, "prior_surgery", &x->prior_surgery))) return rc;
  if ((rc = get_tri(v, k, B, "neck_dissection", &x->neck_dissection))) return rc;
  if ((rc = get_tri(v, k, B, "flap_reconstruction", &x->flap_reconstruction))) return rc;
  if ((rc = get_tri(v, k, B, "resectable", &x->resectable))) return rc;
  if ((rc = get_tri(v, k, B, "accepts_surgery", &x->accepts_surgery))) return rc;
  if ((rc = get_tri(v, k, B, "acceptable_function", &x->acceptable_function))) return rc;
  if ((rc = get_tri(v, k, B, "mucosal_ulceration", &x->mucosal_ulceration))) return rc;
  if ((rc = get_tri(v, k, B, "fistula", &x->fistula))) return rc;
  if ((rc = get_tri(v, k, B, "skin_invasion", &x->skin_invasion))) return rc;
  if ((rc = get_tri(v, k, B, "deep_neck_infection", &x->deep_neck_infection))) return rc;
  if ((rc = get_tri(v, k, B, "distant_metastases", &x->distant_metastases))) return rc;
  static const char *const GOALS[] = {"curative", "palliative", "undecided", NULL};
  if ((rc = get_enum(v, k, B, "goals_of_care", 0, GOALS, x->goals_of_care, sizeof x->goals_of_care))) return rc;

  const cJSON *o;
  /* salvage surgery at recurrence */
  if ((rc = get_obj(v, k, B, "salvage_surgery", 0, &o))) return rc;
  if (o) {
    const char *S = "$.clinical.salvage_surgery";
    static const char *const sk[] = {"status", "margins", "ene", NULL};
    if ((rc = check_keys(v, o, S, sk))) return rc;
    static const char *const ST[] = {"none", "planned", "done", NULL};
    char st[16] = "";
    if ((rc = get_enum(v, o, S, "status", 1, ST, st, sizeof st))) return rc;
    x->has_salvage = 1;
    x->salvage = strcmp(st, "done") == 0 ? SALVAGE_DONE : strcmp(st, "planned") == 0 ? SALVAGE_PLANNED : SALVAGE_NONE;
    static const char *const MG[] = {"negative", "close", "positive", NULL};
    if ((rc = get_enum(v, o, S, "margins", 0, MG, x->salvage_margins, sizeof x->salvage_margins))) return rc;
    if ((rc = get_tri(v, o, S, "ene", &x->salvage_ene))) return rc;
  }
  if ((rc = get_obj(v, k, B, "organ_dysfunction", 0, &o))) return rc;
  if (o) {
    const char *S = "$.clinical.organ_dysfunction";
    static const char *const sk[] = {"feeding_tube", "tracheostomy", "soft_tissue_defect", NULL};
    if ((rc = check_keys(v, o, S, sk))) return rc;
    if ((rc = get_tri(v, o, S, "feeding_tube", &x->feeding_tube))) return rc;
    if ((rc = get_tri(v, o, S, "tracheostomy", &x->tracheostomy))) return rc;
    if ((rc = get_tri(v, o, S, "soft_tissue_defect", &x->soft_tissue_defect))) return rc;
  }
  if ((rc = get_obj(v, k, B, "comorbidity", 0, &o))) return rc;
  if (o) {
    const char *S = "$.clinical.comorbidity";
    static const char *const sk[] = {"charlson", "ace27", NULL};
    if ((rc = check_keys(v, o, S, sk))) return rc;
    if ((rc = get_int(v, o, S, "charlson", 0, 0, 40, -1, &x->charlson))) return rc;
    if ((rc = get_int(v, o, S, "ace27", 0, 0, 3, -1, &x->ace27))) return rc;
  }
  if ((rc = get_obj(v, k, B, "carotid", 0, &o))) return rc;
  if (o) {
    const char *S = "$.clinical.carotid";
    static const char *const sk[] = {"encasement_deg", "invasion", NULL};
    if ((rc = check_keys(v, o, S, sk))) return rc;
    if ((rc = get_num(v, o, S, "encasement_deg", 0, 0, 360, &x->carotid_encasement_deg))) return rc;
    if ((rc = get_tri(v, o, S, "invasion", &x->carotid_invasion))) return rc;
  }
  if ((rc = get_obj(v, k, B, "dental", 0, &o))) return rc;
  if (o) {
    const char *S = "$.clinical.dental";
    static const char *const sk[] = {"status", "planned_extractions", NULL};
    if ((rc = check_keys(v, o, S, sk))) return rc;
    static const char *const DS[] = {"good", "fair", "poor", "edentulous", NULL};
    if ((rc = get_enum(v, o, S, "status", 0, DS, x->dental_status, sizeof x->dental_status))) return rc;
    if ((rc = get_tri(v, o, S, "planned_extractions", &x->planned_extractions))) return rc;
  }
  if ((rc = get_obj(v, k, B, "trial", 0, &o))) return rc;
  if (o) {
    const char *S = "$.clinical.trial";
    static const char *const sk[] = {"pregnant", "unresolved_prior_toxicity", "other_cancer_5y",
                                     "other_trial", "consent_capable", "accepts_cisplatin", NULL};
    if ((rc = check_keys(v, o, S, sk))) return rc;
    if ((rc = get_tri(v, o, S, "pregnant", &x->pregnant))) return rc;
    if ((rc = get_tri(v, o, S, "unresolved_prior_toxicity", &x->unresolved_prior_toxicity))) return rc;
    if ((rc = get_tri(v, o, S, "other_cancer_5y", &x->other_cancer_5y))) return rc;
    if ((rc = get_tri(v, o, S, "other_trial", &x->other_trial))) return rc;
    if ((rc = get_tri(v, o, S, "consent_capable", &x->consent_capable))) return rc;
    if ((rc = get_tri(v, o, S, "accepts_cisplatin", &x->accepts_cisplatin))) return rc;
  }
  if (c->has_birth_date && isnan(x->age_years) && x->has_recurrence_date)
    x->age_years = date_diff_days(c->birth_date, x->recurrence_date) / RERT_DAYS_PER_YEAR;
  return RERT_OK;
}

static int parse_points(const vctx *v, const cJSON *pd, const char *base, case_course *co) {
  int rc;
  for (const cJSON *it = pd->child; it; it = it->next) {
    char p[256];
    snprintf(p, sizeof p, "%s.%s", base, it->string ? it->string : "?");
    if (co->npoints >= RERT_CASE_MAX_POINTS) return fail(v, p, "more than %d point doses", RERT_CASE_MAX_POINTS);
    if (strncmp(it->string, "x_", 2) == 0 || strcmp(it->string, "comment") == 0) continue;
    if (!cJSON_IsObject(it)) return fail(v, p, "expected an object {\"dose_gy\": ..., \"metric\": ...}");
    static const char *const keys[] = {"dose_gy", "metric", "quantity", "alpha_beta_gy", NULL};
    if ((rc = check_keys(v, it, p, keys))) return rc;
    case_point_dose *d = &co->points[co->npoints];
    if (strlen(it->string) >= sizeof d->organ) return fail(v, p, "organ name too long");
    strcpy(d->organ, it->string);
    if ((rc = get_num(v, it, p, "dose_gy", 1, 0, 1000, &d->dose_gy))) return rc;
    strcpy(d->metric, "Dmax");
    if ((rc = get_str(v, it, p, "metric", 0, d->metric, sizeof d->metric))) return rc;
    static const char *const Q[] = {"physical", "eqd2", NULL};
    char q[16] = "physical";
    if ((rc = get_enum(v, it, p, "quantity", 0, Q, q, sizeof q))) return rc;
    d->is_eqd2 = strcmp(q, "eqd2") == 0;
    if ((rc = get_num(v, it, p, "alpha_beta_gy", 0, 0.01, 100, &d->alpha_beta_gy))) return rc;
    if (d->is_eqd2 && isnan(d->alpha_beta_gy))
      return fail(v, p, "quantity eqd2 needs alpha_beta_gy (the α/β it was computed with)");
    co->npoints++;
  }
  return RERT_OK;
}

/* $.courses[i].let {"path", "unit"} and $.courses[i].variable_rbe {"model", "alpha_beta_gy"?}
 * (docs/compare.md): only on a planned or candidate particle course; a variable RBE is a proton
 * course's, needs the course's dose as RBE_FIXED (the fixed-RBE dose it re-weights) and a LETd map. */
static int parse_let(const vctx *v, const rert_case *c, const cJSON *it, const char *B, case_course *co) {
  co->variable_rbe_alpha_beta_gy = NAN;
  const cJSON *l, *vr;
  char LB[96], VB[96];
  snprintf(LB, sizeof LB, "%s.let", B);
  snprintf(VB, sizeof VB, "%s.variable_rbe", B);
  int rc = get_obj(v, it, B, "let", 0, &l);
  if (!rc) rc = get_obj(v, it, B, "variable_rbe", 0, &vr);
  if (rc) return rc;
  if ((l || vr) && co->role == COURSE_PRIOR)
    return fail(v, l ? LB : VB, "only a planned or candidate course may carry a LETd map or a variable RBE");
  if (l) {
    static const char *const lk[] = {"path", "unit", NULL};
    static const char *const U[] = {"keV/um", NULL};
    if ((rc = check_keys(v, l, LB, lk))) return rc;
    if (co->modality == MOD_PHOTON || co->modality == MOD_ELECTRON)
      return fail(v, LB, "a LETd map belongs to a particle course; this course is %s",
                  co->modality == MOD_PHOTON ? "photon" : "electron");
    char raw[RERT_CASE_PATH_LEN] = "";
    if ((rc = get_str(v, l, LB, "path", 1, raw, sizeof raw))) return rc;
    if ((rc = get_path(v, c, l, LB, "path", co->let_path))) return rc;
    if ((rc = get_enum(v, l, LB, "unit", 1, U, co->let_unit, sizeof co->let_unit))) return rc;
  }
  if (vr) {
    static const char *const vk[] = {"model", "alpha_beta_gy", NULL};
    static const char *const M[] = {"mcnamara2015", "wedenberg2013", NULL};
    if ((rc = check_keys(v, vr, VB, vk))) return rc;
    if ((rc = get_enum(v, vr, VB, "model", 1, M, co->variable_rbe, sizeof co->variable_rbe))) return rc;
    if ((rc = get_num(v, vr, VB, "alpha_beta_gy", 0, 0.1, 100.0, &co->variable_rbe_alpha_beta_gy))) return rc;
    if (co->modality != MOD_PROTON)
      return fail(v, VB, "variable RBE models (McNamara 2015, Wedenberg 2013) are for protons; carbon "
                         "doses carry their own model (LEM_I or MKM)");
    if (co->rbe != RBE_FIXED)
      return fail(v, VB, "needs the course's dose as RBE_FIXED (the fixed-RBE dose it re-weights), not %s",
                  co->rbe == RBE_PHYSICAL ? "PHYSICAL" : co->rbe == RBE_LEM_I ? "LEM_I" : "MKM");
    if (!l) return fail(v, VB, "a variable RBE needs the course's LETd map ($.courses[i].let)");
  }
  return RERT_OK;
}

static int parse_course(const vctx *v, rert_case *c, const cJSON *it, int idx) {
  char B[64];
  snprintf(B, sizeof B, "$.courses[%d]", idx);
  if (!cJSON_IsObject(it)) return fail(v, B, "expected an object");
  static const char *const keys[] = {
      "id", "role", "start_date", "end_date", "modality", "rbe_model", "technique", "fractions",
      "fractions_per_day", "interfraction_interval_h", "prescription_gy", "elective_nodes",
      "systemic", "dicom", "point_doses", "let", "variable_rbe", NULL};
  int rc = check_keys(v, it, B, keys);
  if (rc) return rc;
  case_course *co = &c->courses[idx];
  memset(co, 0, sizeof *co);
  if ((rc = get_str(v, it, B, "id", 1, co->id, sizeof co->id))) return rc;
  {
    char p[96];
    snprintf(p, sizeof p, "%s.id", B);
    if ((rc = check_id(v, p, co->id, 1))) return rc;
  }
  for (int j = 0; j < idx; j++)
    if (strcmp(c->courses[j].id, co->id) == 0) {
      char p[96];
      snprintf(p, sizeof p, "%s.id", B);
      return fail(v, p, "duplicate course id '%s'", co->id);
    }
  static const char *const ROLES[] = {"prior", "planned", "candidate", NULL};
  char role[16] = "";
  if ((rc = get_enum(v, it, B, "role", 1, ROLES, role, sizeof role))) return rc;
  co->role = strcmp(role, "planned") == 0     ? COURSE_PLANNED
             : strcmp(role, "candidate") == 0 ? COURSE_CANDIDATE
                                              : COURSE_PRIOR;
  /* A prior course needs both dates (intervals, recovery); a planned one at least its start
   * is strongly expected but may be unknown at consult time. */
  if ((rc = get_date(v, it, B, "start_date", co->role == COURSE_PRIOR, &co->has_start_date, &co->start_date))) return rc;
  if ((rc = get_date(v, it, B, "end_date", co->role == COURSE_PRIOR, &co->has_end_date, &co->end_date))) return rc;
  if (co->has_start_date && co->has_end_date && date_diff_days(co->start_date, co->end_date) < 0) {
    char p[96];
    snprintf(p, sizeof p, "%s.end_date", B);
    return fail(v, p, "end date is before start_date");
  }
  if (co->role == COURSE_PRIOR) {
    /* a prior course was delivered: a date after today is a typo (2032 for 2023) that would
     * shrink or negate the recovery interval */
    rert_date today = casefile_today();
    char td[11];
    date_format(today, td);
    for (int k = 0; k < 2; k++) {
      const rert_date *d = k ? &co->end_date : &co->start_date;
      if ((k ? co->has_end_date : co->has_start_date) && date_diff_days(today, *d) > 0) {
        char p[96], ds[11];
        snprintf(p, sizeof p, "%s.%s", B, k ? "end_date" : "start_date");
        date_format(*d, ds);
        return fail(v, p, "%s is in the future (today is %s); a prior course must have been delivered", ds, td);
      }
    }
  }
  static const char *const MOD[] = {"photon", "proton", "carbon", "electron", NULL};
  char mod[16] = "";
  if ((rc = get_enum(v, it, B, "modality", 1, MOD, mod, sizeof mod))) return rc;
  /* rbe.h names; mapped here so the loader does not depend on the rbe implementation */
  co->modality = !strcmp(mod, "photon") ? MOD_PHOTON : !strcmp(mod, "proton") ? MOD_PROTON
               : !strcmp(mod, "carbon") ? MOD_CARBON : MOD_ELECTRON;
  static const char *const RBE[] = {"PHYSICAL", "RBE_FIXED", "LEM_I", "MKM", NULL};
  char rbe[16] = "";
  if ((rc = get_enum(v, it, B, "rbe_model", 0, RBE, rbe, sizeof rbe))) return rc;
  if (!rbe[0]) {
    /* Photons/electrons are physical by definition; a particle course must say its model. */
    if (co->modality == MOD_PHOTON || co->modality == MOD_ELECTRON) strcpy(rbe, "PHYSICAL");
    else {
      char p[96];
      snprintf(p, sizeof p, "%s.rbe_model", B);
      return fail(v, p, "missing; a %s course must state its RBE model (RBE_FIXED | LEM_I | MKM)", mod);
    }
  }
  co->rbe = !strcmp(rbe, "PHYSICAL") ? RBE_PHYSICAL : !strcmp(rbe, "RBE_FIXED") ? RBE_FIXED
          : !strcmp(rbe, "LEM_I") ? RBE_LEM_I : RBE_MKM;
  if (co->modality == MOD_CARBON && (co->rbe == RBE_PHYSICAL || co->rbe == RBE_FIXED)) {
    char p[96];
    snprintf(p, sizeof p, "%s.rbe_model", B);
    return fail(v, p, "a carbon course must use LEM_I or MKM, not %s", rbe);
  }
  if ((rc = get_str(v, it, B, "technique", 0, co->technique, sizeof co->technique))) return rc;
  if ((rc = get_int(v, it, B, "fractions", 1, 1, 200, 0, &co->fractions))) return rc;
  if ((rc = get_int(v, it, B, "fractions_per_day", 0, 1, 4, 1, &co->fractions_per_day))) return rc;
  if ((rc = get_num(v, it, B, "interfraction_interval_h", 0, 0.5, 24, &co->interfraction_interval_h))) return rc;
  if (co->fractions_per_day > 1 && isnan(co->interfraction_interval_h)) {
    char p[96];
    snprintf(p, sizeof p, "%s.interfraction_interval_h", B);
    return fail(v, p, "missing; required when fractions_per_day > 1 (incomplete repair)");
  }
  if ((rc = get_num(v, it, B, "prescription_gy", 1, 0.01, 200, &co->prescription_gy))) return rc;
  if ((rc = get_tri(v, it, B, "elective_nodes", &co->elective_nodes))) return rc;
  if ((rc = get_str(v, it, B, "systemic", 0, co->systemic, sizeof co->systemic))) return rc;
  const cJSON *d;
  char DB[96];
  snprintf(DB, sizeof DB, "%s.dicom", B);
  if ((rc = get_obj(v, it, B, "dicom", 0, &d))) return rc;
  if (d) {
    static const char *const dk[] = {"ct_dir", "ct_series_uid", "rtstruct", "rtdose", "rtplan", NULL};
    if ((rc = check_keys(v, d, DB, dk))) return rc;
    if ((rc = get_path(v, c, d, DB, "ct_dir", co->ct_dir))) return rc;
    if ((rc = get_str(v, d, DB, "ct_series_uid", 0, co->ct_series_uid, sizeof co->ct_series_uid)))
      return rc;
    if (co->ct_series_uid[0]) {
      char p[128];
      snprintf(p, sizeof p, "%s.ct_series_uid", DB);
      if (!co->ct_dir[0]) return fail(v, p, "given without ct_dir (the folder holding the series)");
      if (strspn(co->ct_series_uid, "0123456789.") != strlen(co->ct_series_uid))
        return fail(v, p, "'%s' is not a DICOM UID (digits and dots)", co->ct_series_uid);
    }
    if ((rc = get_path(v, c, d, DB, "rtstruct", co->rtstruct))) return rc;
    if ((rc = get_path_list(v, c, d, DB, "rtdose", RERT_CASE_MAX_DOSES, &co->rtdoses, &co->nrtdose))) return rc;
    if ((rc = get_path_list(v, c, d, DB, "rtplan", RERT_CASE_MAX_PLANS, &co->rtplans, &co->nrtplan))) return rc;
    if (co->nrtdose) strcpy(co->rtdose, co->rtdoses[0]);
    if (co->nrtplan) strcpy(co->rtplan, co->rtplans[0]);
  }
  const cJSON *pd;
  if ((rc = get_obj(v, it, B, "point_doses", 0, &pd))) return rc;
  if (pd) {
    char PB[96];
    snprintf(PB, sizeof PB, "%s.point_doses", B);
    if ((rc = parse_points(v, pd, PB, co))) return rc;
  }
  return parse_let(v, c, it, B, co);
}

static int parse_courses(const vctx *v, const cJSON *root, rert_case *c) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "courses");
  if (!a) return fail(v, "$.courses", "missing; expected an array of at least one course");
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
    return fail(v, "$.courses", "expected an array of at least one course");
  int n = cJSON_GetArraySize(a);
  if (n > RERT_CASE_MAX_COURSES) return fail(v, "$.courses", "more than %d courses", RERT_CASE_MAX_COURSES);
  int i = 0, rc;
  for (const cJSON *it = a->child; it; it = it->next, i++) {
    if ((rc = parse_course(v, c, it, i))) return rc;
    c->ncourses = i + 1;
  }
  int nplanned = 0;
  for (i = 0; i < c->ncourses; i++) nplanned += c->courses[i].role == COURSE_PLANNED;
  if (nplanned > 1) return fail(v, "$.courses", "%d courses have role planned; at most one may", nplanned);
  return RERT_OK;
}

static int course_ref_ok(const rert_case *c, const char *id) { return casefile_course(c, id) != NULL; }

/* One $.overrides entry (casefile.h: case_override). Shape decides the kind; anything else is
 * refused so that no override is ever merely displayed. */
static int parse_override(const vctx *v, rert_case *c, const cJSON *it, const char *p, int i) {
  if (!cJSON_IsObject(it)) return fail(v, p, "expected an object");
  if (i >= RERT_CASE_MAX_OVERRIDES) return fail(v, p, "more than %d overrides", RERT_CASE_MAX_OVERRIDES);
  case_override *o = &c->override[i];
  memset(o, 0, sizeof *o);
  snprintf(o->json_path, sizeof o->json_path, "%s", p);
  o->alpha_beta_gy = NAN;
  int rc;
  /* Every departure from a default must be justified in the record. */
  if ((rc = get_str(v, it, p, "reason", 1, o->reason, sizeof o->reason))) return rc;
  const int has_lock = cJSON_GetObjectItemCaseSensitive(it, "interlock") != NULL;
  const int has_struct = cJSON_GetObjectItemCaseSensitive(it, "structure") != NULL;
  if (has_lock == has_struct)
    return fail(v, p, "expected exactly one of 'interlock' (allow a named check) or 'structure' "
                      "(per-structure alpha_beta_gy / recovery)");
  if (has_lock) {
    static const char *const keys[] = {"interlock", "course", "object", "reason", NULL};
    if ((rc = check_keys(v, it, p, keys))) return rc;
    o->kind = OVERRIDE_INTERLOCK;
    if ((rc = get_str(v, it, p, "interlock", 1, o->interlock, sizeof o->interlock))) return rc;
    if ((rc = get_str(v, it, p, "course", 0, o->course, sizeof o->course))) return rc;
    if ((rc = get_path(v, c, it, p, "object", o->object))) return rc;
  } else {
    static const char *const keys[] = {"structure", "alpha_beta_gy", "recovery", "reason", NULL};
    if ((rc = check_keys(v, it, p, keys))) return rc;
    o->kind = OVERRIDE_STRUCTURE;
    if ((rc = get_str(v, it, p, "structure", 1, o->structure, sizeof o->structure))) return rc;
    if ((rc = get_num(v, it, p, "alpha_beta_gy", 0, 0.1, 100.0, &o->alpha_beta_gy))) return rc;
    if ((rc = get_str(v, it, p, "recovery", 0, o->recovery, sizeof o->recovery))) return rc;
    if (isnan(o->alpha_beta_gy) && !o->recovery[0])
      return fail(v, p, "a structure override needs alpha_beta_gy and/or recovery");
    for (int k = 0; k < i; k++)
      if (c->override[k].kind == OVERRIDE_STRUCTURE && !strcmp(c->override[k].structure, o->structure))
        return fail(v, p, "structure '%s' is already overridden in %s", o->structure,
                    c->override[k].json_path);
  }
  c->noverrides = i + 1;
  return RERT_OK;
}

static int parse_rest(const vctx *v, const cJSON *root, rert_case *c) {
  int rc;
  if ((rc = get_str(v, root, "$", "reference_course", 0, c->reference_course, sizeof c->reference_course))) return rc;
  if ((rc = check_id(v, "$.reference_course", c->reference_course, 1))) return rc;
  if (c->reference_course[0] && !course_ref_ok(c, c->reference_course))
    return fail(v, "$.reference_course", "'%s' is not the id of a course", c->reference_course);
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "registrations");
  if (a && !cJSON_IsNull(a)) {
    if (!cJSON_IsArray(a)) return fail(v, "$.registrations", "expected an array");
    if (cJSON_GetArraySize(a) > RERT_CASE_MAX_REGS) return fail(v, "$.registrations", "more than %d registrations", RERT_CASE_MAX_REGS);
    int i = 0;
    for (const cJSON *it = a->child; it; it = it->next, i++) {
      char B[64];
      snprintf(B, sizeof B, "$.registrations[%d]", i);
      if (!cJSON_IsObject(it)) return fail(v, B, "expected an object");
      static const char *const keys[] = {"from", "to", "type", "dicom", "mha", "engine", NULL};
      if ((rc = check_keys(v, it, B, keys))) return rc;
      case_registration *r = &c->registrations[i];
      memset(r, 0, sizeof *r);
      if ((rc = get_str(v, it, B, "from", 1, r->from, sizeof r->from))) return rc;
      if ((rc = get_str(v, it, B, "to", 1, r->to, sizeof r->to))) return rc;
      char p[96];
      snprintf(p, sizeof p, "%s.from", B);
      if ((rc = check_id(v, p, r->from, 1))) return rc;
      snprintf(p, sizeof p, "%s.to", B);
      if ((rc = check_id(v, p, r->to, 1))) return rc;
      snprintf(p, sizeof p, "%s.from", B);
      if (!course_ref_ok(c, r->from)) return fail(v, p, "'%s' is not the id of a course", r->from);
      snprintf(p, sizeof p, "%s.to", B);
      if (!course_ref_ok(c, r->to)) return fail(v, p, "'%s' is not the id of a course", r->to);
      static const char *const T[] = {"rigid", "deformable", NULL};
      char t[16] = "";
      if ((rc = get_enum(v, it, B, "type", 1, T, t, sizeof t))) return rc;
      r->type = strcmp(t, "deformable") == 0 ? REG_DEFORMABLE : REG_RIGID;
      if ((rc = get_path(v, c, it, B, "dicom", r->dicom))) return rc;
      if ((rc = get_path(v, c, it, B, "mha", r->mha))) return rc;
      static const char *const E[] = {"builtin", "itk", "elastix", NULL};
      if ((rc = get_enum(v, it, B, "engine", 0, E, r->engine, sizeof r->engine))) return rc;
      snprintf(p, sizeof p, "%s.engine", B);
      if (r->engine[0] && (r->dicom[0] || r->mha[0]))
        return fail(v, p, "'engine' asks rert to compute the registration; it cannot be given with an imported 'dicom' or 'mha'");
      if (r->engine[0] && r->type != REG_DEFORMABLE)
        return fail(v, p, "'engine' computes a deformable registration (rigid, then deformable): use \"type\": \"deformable\"");
      if (r->type == REG_DEFORMABLE && !r->dicom[0] && !r->mha[0] && !r->engine[0])
        return fail(v, B, "a deformable registration needs 'dicom' (deformable REG), 'mha' (vector field) or 'engine' (computed by rert consult)");
      c->nregistrations = i + 1;
    }
  }
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "structure_map");
  if (o && !cJSON_IsNull(o)) {
    if (!cJSON_IsObject(o)) return fail(v, "$.structure_map", "expected an object {\"local name\": \"TG-263 name\" or null}");
    int n = cJSON_GetArraySize(o);
    c->structure_map = calloc(n > 0 ? (size_t)n : 1, sizeof *c->structure_map);
    if (!c->structure_map) return rert_err_set(v->err, RERT_EINTERNAL, "%s: out of memory", v->file);
    for (const cJSON *it = o->child; it; it = it->next) {
      char p[256];
      snprintf(p, sizeof p, "$.structure_map.%s", it->string);
      /* null: the ROI is deliberately not used (e.g. an old cord contour beside the new one) */
      if (!cJSON_IsNull(it) && (!cJSON_IsString(it) || !it->valuestring[0]))
        return fail(v, p, "expected a TG-263 name (string) or null (ROI not used)");
      const char *val = cJSON_IsNull(it) ? "" : it->valuestring;
      if (!it->string[0] || strlen(it->string) >= RERT_CASE_NAME_LEN || strlen(val) >= RERT_CASE_NAME_LEN)
        return fail(v, p, "name empty or longer than %d characters", RERT_CASE_NAME_LEN - 1);
      strcpy(c->structure_map[c->nmap].local, it->string);
      strcpy(c->structure_map[c->nmap].tg263, val);
      c->nmap++;
    }
  }
  o = cJSON_GetObjectItemCaseSensitive(root, "structure_roles");
  if (o && !cJSON_IsNull(o)) {
    if (!cJSON_IsObject(o)) return fail(v, "$.structure_roles", "expected an object {\"local ROI name\": \"PTV\"}");
    int n = cJSON_GetArraySize(o);
    c->structure_roles = calloc(n > 0 ? (size_t)n : 1, sizeof *c->structure_roles);
    if (!c->structure_roles) return rert_err_set(v->err, RERT_EINTERNAL, "%s: out of memory", v->file);
    static const char *const R[] = {"GTV", "CTV", "ITV", "PTV", "ORGAN", "NONE", NULL};
    for (const cJSON *it = o->child; it; it = it->next) {
      char p[256];
      snprintf(p, sizeof p, "$.structure_roles.%s", it->string);
      int ok = cJSON_IsString(it);
      for (int k = 0; ok && R[k]; k++)
        if (!strcmp(it->valuestring, R[k])) { ok = 2; break; }
      if (ok != 2) return fail(v, p, "expected one of GTV, CTV, ITV, PTV (target), ORGAN, NONE (not used)");
      if (!it->string[0] || strlen(it->string) >= RERT_CASE_NAME_LEN)
        return fail(v, p, "ROI name empty or longer than %d characters", RERT_CASE_NAME_LEN - 1);
      strcpy(c->structure_roles[c->nroles].local, it->string);
      snprintf(c->structure_roles[c->nroles].role, sizeof c->structure_roles[c->nroles].role, "%s", it->valuestring);
      c->nroles++;
    }
  }
  if ((rc = get_str(v, root, "$", "recurrence_roi", 0, c->recurrence_roi, sizeof c->recurrence_roi))) return rc;
  strcpy(c->recovery_default, "none");
  o = cJSON_GetObjectItemCaseSensitive(root, "recovery");
  if (o && !cJSON_IsNull(o)) {
    if (!cJSON_IsObject(o)) return fail(v, "$.recovery", "expected an object {\"default\": ..., \"per_organ\": {...}}");
    static const char *const keys[] = {"default", "per_organ", NULL};
    if ((rc = check_keys(v, o, "$.recovery", keys))) return rc;
    if ((rc = get_str(v, o, "$.recovery", "default", 0, c->recovery_default, sizeof c->recovery_default))) return rc;
    const cJSON *po;
    if ((rc = get_obj(v, o, "$.recovery", "per_organ", 0, &po))) return rc;
    if (po)
      for (const cJSON *it = po->child; it; it = it->next) {
        char p[256];
        snprintf(p, sizeof p, "$.recovery.per_organ.%s", it->string);
        if (!cJSON_IsString(it) || !it->valuestring[0]) return fail(v, p, "expected a recovery model name (string)");
        if (c->nrecovery >= RERT_CASE_MAX_MAP) return fail(v, p, "too many entries");
        if (strlen(it->string) >= RERT_CASE_NAME_LEN || strlen(it->valuestring) >= 64)
          return fail(v, p, "name too long");
        strcpy(c->recovery[c->nrecovery].organ, it->string);
        strcpy(c->recovery[c->nrecovery].model, it->valuestring);
        c->nrecovery++;
      }
  }
  a = cJSON_GetObjectItemCaseSensitive(root, "protocols");
  if (a && !cJSON_IsNull(a)) {
    if (!cJSON_IsArray(a)) return fail(v, "$.protocols", "expected an array of protocol names");
    int i = 0;
    for (const cJSON *it = a->child; it; it = it->next, i++) {
      char p[64];
      snprintf(p, sizeof p, "$.protocols[%d]", i);
      if (i >= RERT_CASE_MAX_PROTOCOLS) return fail(v, p, "more than %d protocols", RERT_CASE_MAX_PROTOCOLS);
      if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) >= 64)
        return fail(v, p, "expected a protocol name (string, < 64 characters)");
      strcpy(c->protocols[i], it->valuestring);
      c->nprotocols = i + 1;
    }
  }
  a = cJSON_GetObjectItemCaseSensitive(root, "overrides");
  if (a && !cJSON_IsNull(a)) {
    if (!cJSON_IsArray(a)) return fail(v, "$.overrides", "expected an array of objects");
    int i = 0;
    for (const cJSON *it = a->child; it; it = it->next, i++) {
      char p[64];
      snprintf(p, sizeof p, "$.overrides[%d]", i);
      if ((rc = parse_override(v, c, it, p, i))) return rc;
    }
    c->overrides = a;
  }
  return RERT_OK;
}

int casefile_parse(cJSON *root, const char *path, rert_case *c, rert_err *err) {
  memset(c, 0, sizeof *c);
  c->root = root;
  if (path) {
    snprintf(c->path, sizeof c->path, "%s", path);
    const char *slash = strrchr(path, '/');
    if (slash) {
      size_t n = (size_t)(slash - path);
      if (n == 0) n = 1; /* "/case.json" */
      if (n >= sizeof c->dir) n = sizeof c->dir - 1;
      memcpy(c->dir, path, n);
      c->dir[n] = 0;
    }
  }
  vctx v = {path ? path : "case", err};
  int rc = RERT_OK;
  if (!cJSON_IsObject(root)) rc = fail(&v, "$", "expected a JSON object");
  static const char *const keys[] = {"schema", "patient", "clinical", "courses", "reference_course",
                                     "registrations", "structure_map", "structure_roles", "recurrence_roi",
                                     "recovery", "protocols", "overrides", NULL};
  if (!rc) rc = check_duplicate_keys(&v, root, "$");
  if (!rc) rc = check_keys(&v, root, "$", keys);
  char schema[32] = "";
  if (!rc) rc = get_str(&v, root, "$", "schema", 1, schema, sizeof schema);
  if (!rc && strcmp(schema, RERT_CASE_SCHEMA) != 0)
    rc = fail(&v, "$.schema", "'%s' is not supported; expected \"%s\"", schema, RERT_CASE_SCHEMA);
  if (!rc) rc = parse_patient(&v, root, c);
  if (!rc) rc = parse_clinical(&v, root, c);
  if (!rc) rc = parse_courses(&v, root, c);
  if (!rc) rc = parse_rest(&v, root, c);
  if (rc) casefile_free(c);
  return rc;
}

int casefile_load(const char *path, rert_case *c, rert_err *err) {
  cJSON *root = NULL;
  memset(c, 0, sizeof *c);
  int rc = json_load_file(path, &root, err);
  if (rc) return rc;
  return casefile_parse(root, path, c, err);
}

void casefile_free(rert_case *c) {
  if (!c) return;
  for (int i = 0; i < RERT_CASE_MAX_COURSES; i++) {
    free(c->courses[i].rtdoses);
    free(c->courses[i].rtplans);
    c->courses[i].rtdoses = c->courses[i].rtplans = NULL;
    c->courses[i].nrtdose = c->courses[i].nrtplan = 0;
  }
  cJSON_Delete(c->root);
  c->root = NULL;
  free(c->structure_map);
  free(c->structure_roles);
  c->structure_map = NULL;
  c->structure_roles = NULL;
  c->nmap = c->nroles = 0;
  c->overrides = NULL;
}

const case_course *casefile_course(const rert_case *c, const char *id) {
  for (int i = 0; i < c->ncourses; i++)
    if (strcmp(c->courses[i].id, id) == 0) return &c->courses[i];
  return NULL;
}

const case_course *casefile_planned_course(const rert_case *c) {
  for (int i = 0; i < c->ncourses; i++)
    if (c->courses[i].role == COURSE_PLANNED) return &c->courses[i];
  return NULL;
}

int casefile_ncandidates(const rert_case *c) {
  int n = 0;
  for (int i = 0; i < c->ncourses; i++) n += c->courses[i].role == COURSE_CANDIDATE;
  return n;
}

const char *casefile_role_name(case_course_role r) {
  return r == COURSE_PLANNED ? "planned" : r == COURSE_CANDIDATE ? "candidate" : "prior";
}

static void list_candidates(const rert_case *c, char *buf, size_t n) {
  buf[0] = 0;
  size_t used = 0;
  for (int i = 0; i < c->ncourses; i++) {
    if (c->courses[i].role == COURSE_PRIOR) continue;
    int w = snprintf(buf + used, n - used, "%s%s (%s)", used ? ", " : "", c->courses[i].id,
                     casefile_role_name(c->courses[i].role));
    if (w < 0 || (size_t)w >= n - used) break;
    used += (size_t)w;
  }
}

int casefile_select_candidate(rert_case *c, const char *id, rert_err *err) {
  const case_course *k = id ? casefile_course(c, id) : NULL;
  if (!k || k->role == COURSE_PRIOR) {
    char list[600];
    list_candidates(c, list, sizeof list);
    return rert_err_set(err, RERT_EINPUT, "%s: $.courses: '%s' is not a candidate or planned course (%s)",
                        c->path, id ? id : "", list[0] ? list : "the case has none");
  }
  int ik = (int)(k - c->courses);
  const case_course *ref = casefile_reference(c);
  int iref = ref ? (int)(ref - c->courses) : -1;
  char refid[RERT_CASE_NAME_LEN] = "";
  if (iref >= 0 && iref != ik && c->courses[iref].role != COURSE_PRIOR) {
    /* the reference anatomy moves to the chosen course */
    case_course *kk = &c->courses[ik];
    snprintf(refid, sizeof refid, "%s", ref->id);
    if (!kk->ct_dir[0]) memcpy(kk->ct_dir, ref->ct_dir, sizeof kk->ct_dir);
    if (!kk->rtstruct[0]) memcpy(kk->rtstruct, ref->rtstruct, sizeof kk->rtstruct);
    for (int r = 0; r < c->nregistrations; r++) {
      if (!strcmp(c->registrations[r].to, refid)) snprintf(c->registrations[r].to, sizeof c->registrations[r].to, "%s", id);
      if (!strcmp(c->registrations[r].from, refid)) snprintf(c->registrations[r].from, sizeof c->registrations[r].from, "%s", id);
    }
    for (int o = 0; o < c->noverrides; o++)
      if (!strcmp(c->override[o].course, refid)) snprintf(c->override[o].course, sizeof c->override[o].course, "%s", id);
    snprintf(c->reference_course, sizeof c->reference_course, "%s", id);
  }
  /* remove every other new-course alternative (index order kept; $.courses items too) */
  cJSON *arr = cJSON_GetObjectItemCaseSensitive(c->root, "courses");
  char keep_id[RERT_CASE_NAME_LEN];
  snprintf(keep_id, sizeof keep_id, "%s", id);
  int w = 0;
  for (int i = 0; i < c->ncourses; i++) {
    case_course *ci = &c->courses[i];
    if (ci->role == COURSE_PRIOR || !strcmp(ci->id, keep_id)) {
      if (w != i) c->courses[w] = *ci;
      w++;
      continue;
    }
    /* drop registrations and interlock overrides naming the removed course */
    int rw = 0;
    for (int r = 0; r < c->nregistrations; r++)
      if (strcmp(c->registrations[r].from, ci->id) && strcmp(c->registrations[r].to, ci->id))
        c->registrations[rw++] = c->registrations[r];
    c->nregistrations = rw;
    int ow = 0;
    for (int o = 0; o < c->noverrides; o++)
      if (strcmp(c->override[o].course, ci->id)) c->override[ow++] = c->override[o];
    c->noverrides = ow;
    if (!strcmp(c->reference_course, ci->id)) c->reference_course[0] = 0;
    if (arr) cJSON_DeleteItemFromArray(arr, w);
    /* the removed course's heap arrays (the kept ones move with their struct) */
    free(ci->rtdoses);
    free(ci->rtplans);
    ci->rtdoses = ci->rtplans = NULL;
    ci->nrtdose = ci->nrtplan = 0;
  }
  /* the slots behind the kept courses no longer own anything (moved or freed above) */
  for (int i = w; i < c->ncourses; i++) {
    c->courses[i].rtdoses = c->courses[i].rtplans = NULL;
    c->courses[i].nrtdose = c->courses[i].nrtplan = 0;
  }
  c->ncourses = w;
  for (int i = 0; i < c->ncourses; i++)
    if (!strcmp(c->courses[i].id, keep_id)) c->courses[i].role = COURSE_PLANNED;
  return RERT_OK;
}

const case_course *casefile_reference(const rert_case *c) {
  if (c->reference_course[0]) return casefile_course(c, c->reference_course);
  const case_course *p = casefile_planned_course(c);
  if (p) return p;
  /* candidates share the reference anatomy: the first one carries it unless named otherwise */
  for (int i = 0; i < c->ncourses; i++)
    if (c->courses[i].role == COURSE_CANDIDATE) return &c->courses[i];
  return c->ncourses ? &c->courses[c->ncourses - 1] : NULL;
}

const case_course *casefile_last_prior(const rert_case *c) {
  const case_course *best = NULL;
  for (int i = 0; i < c->ncourses; i++) {
    const case_course *k = &c->courses[i];
    if (k->role != COURSE_PRIOR || !k->has_end_date) continue;
    if (!best || date_diff_days(best->end_date, k->end_date) > 0) best = k;
  }
  return best;
}

const char *casefile_map_structure(const rert_case *c, const char *local) {
  const case_name_pair *p = casefile_structure_map_entry(c, local);
  return p && p->tg263[0] ? p->tg263 : local;
}

const case_name_pair *casefile_structure_map_entry(const rert_case *c, const char *local) {
  for (int i = 0; i < c->nmap; i++)
    if (strcmp(c->structure_map[i].local, local) == 0) return &c->structure_map[i];
  return NULL;
}

const char *casefile_structure_role(const rert_case *c, const char *local) {
  for (int i = 0; i < c->nroles; i++)
    if (strcmp(c->structure_roles[i].local, local) == 0) return c->structure_roles[i].role;
  return NULL;
}

const char *casefile_recovery_model(const rert_case *c, const char *organ) {
  for (int i = 0; i < c->nrecovery; i++)
    if (strcmp(c->recovery[i].organ, organ) == 0) return c->recovery[i].model;
  return c->recovery_default[0] ? c->recovery_default : "none";
}

int casefile_interval_months(const rert_case *c, const case_course *prior, double *months,
                             rert_err *err) {
  if (!prior || !prior->has_end_date)
    return rert_err_set(err, RERT_EINPUT, "%s: prior course has no end_date", c->path);
  const case_course *ref = casefile_reference(c);
  if (ref && ref != prior && ref->has_start_date) {
    *months = date_interval_months(prior->end_date, ref->start_date);
    return RERT_OK;
  }
  if (c->clinical.has_recurrence_date) {
    *months = date_interval_months(prior->end_date, c->clinical.recurrence_date);
    return RERT_OK;
  }
  return rert_err_set(err, RERT_EINPUT,
                      "%s: $.courses: the planned course has no start_date and "
                      "$.clinical.recurrence_date is missing; cannot compute the interval", c->path);
}

const case_override *casefile_find_interlock_override(const rert_case *c, const char *interlock,
                                                      const char *course, const char *object) {
  for (int i = 0; i < c->noverrides; i++) {
    const case_override *o = &c->override[i];
    if (o->kind != OVERRIDE_INTERLOCK || strcmp(o->interlock, interlock)) continue;
    if (o->course[0] && (!course || strcmp(o->course, course))) continue;
    if (o->object[0] && (!object || strcmp(o->object, object))) continue;
    return o;
  }
  return NULL;
}

const case_override *casefile_find_structure_override(const rert_case *c, const char *structure) {
  for (int i = 0; i < c->noverrides; i++)
    if (c->override[i].kind == OVERRIDE_STRUCTURE && !strcmp(c->override[i].structure, structure))
      return &c->override[i];
  return NULL;
}

const char *casefile_tri_name(case_tri t) {
  return t == CASE_YES ? "yes" : t == CASE_NO ? "no" : "unknown";
}

int casefile_input_paths(const rert_case *c, const char **paths, int max) {
  int n = 0;
#define ADD(p) do { if ((p)[0] && n < max) paths[n++] = (p); } while (0)
  ADD(c->path);
  for (int i = 0; i < c->ncourses; i++) {
    const case_course *co = &c->courses[i];
    ADD(co->ct_dir);
    ADD(co->rtstruct);
    ADD(co->rtdose);
    ADD(co->rtplan);
  }
  for (int r = 0; r < c->nregistrations; r++) {
    ADD(c->registrations[r].dicom);
    ADD(c->registrations[r].mha);
  }
#undef ADD
  return n;
}
