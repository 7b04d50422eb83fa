/* structmap.c — resolve every ROI of a structure set to its organ or target name and role
 * (rert/structmap.h; docs/structures.md; AAPM TG-263).
 *
 * Order: the case file's structure_map, then the synonym table, else unmapped. Roles: the case
 * file's structure_roles, then RTROIInterpretedType, then TG-263 target naming, then organ when
 * mapped. Duplicates (two ROIs → one name) are refused unless structure_map chose one. Every
 * entry records the rule that decided its name and role, for the report and `rert case check`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "structmap_internal.h"

const char *structmap_how_name(smap_how h) {
  static const char *const n[] = {"structure_map", "tg263", "synonym", "own_name", "unmapped"};
  return (unsigned)h < 5 ? n[h] : "?";
}

const char *structmap_role_name(smap_role r) {
  static const char *const n[] = {"organ", "target", "external", "unused"};
  return (unsigned)r < 4 ? n[r] : "?";
}

/* ---- one name against the synonym table ---- */

static smap_how lookup(const smap_table *t, const char *local, char *tg, size_t n, char *how,
                       size_t hn) {
  tg[0] = 0;
  for (int i = 0; i < t->nentries; i++) {
    const smap_table_entry *e = &t->entries[i];
    size_t l = strlen(e->tg263);
    if (!strcmp(local, e->tg263) ||
        (e->paired && !strncmp(local, e->tg263, l) && (!strcmp(local + l, "_L") || !strcmp(local + l, "_R")))) {
      int bare = !strcmp(local, e->tg263);
      snprintf(tg, n, "%s", bare && e->paired ? e->unsided : local);
      snprintf(how, hn, "TG-263 name%s", bare && e->paired ? "; no side given" : "");
      return SMAP_BY_TG263;
    }
  }
  smap_tokens tk;
  smap_tokenize(local, &tk);
  /* TG-263: a leading '_' or 'z' marks a structure not used for evaluation (helper) */
  int helper = local[0] == '_' || (tk.n && (!strcmp(tk.tok[0], "z") || !strcmp(tk.tok[0], "zz")));
  char key[256];
  smap_join(&tk, 0, tk.n, key, sizeof key);
  const smap_variant *v = helper ? NULL : smap_find_variant(t, key);
  if (v) {
    const smap_table_entry *e = &t->entries[v->entry];
    snprintf(tg, n, "%s", e->paired ? e->unsided : e->tg263);
    snprintf(how, hn, "synonym '%s' (%s) of %s%s", v->text, v->lang, e->tg263,
             e->paired ? (strcmp(e->unsided, e->tg263) ? "; no side given" : "; no side given: both sides") : "");
    return SMAP_BY_SYNONYM;
  }
  if (tk.n >= 2 && !helper) {
    int sf = smap_side_word(t, tk.tok[0]), sl = smap_side_word(t, tk.tok[tk.n - 1]);
    if (sf && sl) {
      snprintf(how, hn, "not mapped: side words at both ends ('%s', '%s')", tk.tok[0], tk.tok[tk.n - 1]);
      return SMAP_UNMAPPED;
    }
    if (sf || sl) {
      char rest[256];
      smap_join(&tk, sf ? 1 : 0, sf ? tk.n : tk.n - 1, rest, sizeof rest);
      v = smap_find_variant(t, rest);
      if (v) {
        const smap_table_entry *e = &t->entries[v->entry];
        int side = sf ? sf : sl;
        if (!e->paired) {
          snprintf(how, hn, "not mapped: side word '%s' on %s, which is not a paired organ",
                   sf ? tk.tok[0] : tk.tok[tk.n - 1], e->tg263);
          return SMAP_UNMAPPED;
        }
        snprintf(tg, n, "%s_%c", e->tg263, side);
        snprintf(how, hn, "synonym '%s' (%s) of %s, side word '%s' %s -> _%c", v->text, v->lang,
                 e->tg263, sf ? tk.tok[0] : tk.tok[tk.n - 1], sf ? "first" : "last", side);
        return SMAP_BY_SYNONYM;
      }
    }
  }
  /* unmapped: say why, so a derived structure is recognisably not the organ */
  char why[256] = "";
  size_t u = 0;
#define WHY(...) do { if (u < sizeof why) u += (size_t)snprintf(why + u, sizeof why - u, __VA_ARGS__); } while (0)
  if (helper)
    WHY("%shelper name (TG-263: z/_ prefix = not for evaluation)", u ? "; " : "");
  for (int i = 0; i < tk.n; i++)
    if (smap_marker_word(t, tk.tok[i])) WHY("%sderived-structure word '%s'", u ? "; " : "", tk.tok[i]);
  for (int i = 0; i < tk.n; i++)
    if (tk.tok[i][0] >= '0' && tk.tok[i][0] <= '9') { WHY("%squalifier '%s'", u ? "; " : "", tk.tok[i]); break; }
  int found = 0;
  for (int len = tk.n - 1; len >= 1 && !found; len--)
    for (int i = 0; i + len <= tk.n && !found; i++) {
      char sub[256];
      smap_join(&tk, i, i + len, sub, sizeof sub);
      const smap_variant *sv = smap_find_variant(t, sub);
      if (sv) {
        WHY("%scontains '%s' (%s) but is not that organ", u ? "; " : "", sv->text, t->entries[sv->entry].tg263);
        found = 1;
      }
    }
#undef WHY
  snprintf(how, hn, "not mapped%s%s", u ? ": " : " (no TG-263 name or synonym)", why);
  return SMAP_UNMAPPED;
}

int structmap_lookup(const char *local, char *tg263, size_t n, char *how, size_t hn, rert_err *err) {
  const smap_table *t;
  int rc = smap_table_get(&t, err);
  if (rc) return rc;
  char h[320];
  lookup(t, local, tg263, n, how ? how : h, how ? hn : sizeof h);
  return RERT_OK;
}

/* ---- targets by name ---- */

static const char *const target_prefix[] = {"gtv", "ctv", "itv", "ptv"};

static int starts_with_target(const char *w, char kind[4]) {
  for (int k = 0; k < 4; k++)
    if (!strncmp(w, target_prefix[k], 3)) {
      if (kind) {
        for (int c = 0; c < 3; c++) kind[c] = (char)(w[c] - 'a' + 'A');
        kind[3] = 0;
      }
      return 1;
    }
  return 0;
}

/* The words of a name split only at separators (no camel-case split), lower case. */
static int plain_words(const char *s, char w[][64], int max) {
  int n = 0;
  while (*s && n < max) {
    while (*s && !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) s++;
    if (!*s) break;
    int l = 0;
    while (*s && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) {
      if (l < 63) w[n][l++] = (char)((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
      s++;
    }
    w[n++][l] = 0;
  }
  return n;
}

static int target_name(const smap_table *t, const char *name, char kind[4]) {
  smap_tokens tk;
  smap_tokenize(name, &tk);
  if (name[0] == '_' || (tk.n && (!strcmp(tk.tok[0], "z") || !strcmp(tk.tok[0], "zz")))) return 0;
  for (int i = 0; i < tk.n; i++)
    if (smap_marker_word(t, tk.tok[i])) return 0;
  char w[32][64];
  int nw = plain_words(name, w, 32), hit = -1;
  for (int i = 0; i < nw && hit < 0; i++)
    if (starts_with_target(w[i], kind)) hit = i;
  if (hit < 0) return 0;
  /* PTVopt, PTVring: a helper word glued to the target prefix */
  const char *rest = w[hit] + 3;
  for (int k = 0; k < t->nmarkers; k++)
    if (t->markers[k][0] && !strncmp(rest, t->markers[k], strlen(t->markers[k]))) return 0;
  /* a crop or union with another structure: PTV70-Cord, PTV_70-PTV_56, PTV+Parotid */
  for (const char *p = name; *p; p++) {
    if (*p != '-' && *p != '+' && *p != '^') continue;
    smap_tokens after;
    smap_tokenize(p + 1, &after);
    if (!after.n || (after.tok[0][0] >= '0' && after.tok[0][0] <= '9')) continue;
    if (starts_with_target(after.tok[0], NULL)) return 0;
    for (int len = 1; len <= 3 && len <= after.n; len++) {
      char sub[256];
      smap_join(&after, 0, len, sub, sizeof sub);
      if (smap_find_variant(t, sub)) return 0;
    }
  }
  return 1;
}

int structmap_target_name(const char *name, char kind[4]) {
  const smap_table *t;
  rert_err e;
  if (smap_table_get(&t, &e)) return 0;
  char k[4] = "";
  int r = target_name(t, name, k);
  if (kind) memcpy(kind, k, 4);
  return r;
}

/* ---- a whole structure set ---- */

static int type_is(const char *t, const char *const *list) {
  for (int i = 0; list[i]; i++)
    if (!strcasecmp(t, list[i])) return 1;
  return 0;
}

static void warn(rert_structmap *m, const char *fmt, const char *a, const char *b) {
  char (*w)[320] = realloc(m->warnings, (size_t)(m->nwarnings + 1) * sizeof *w);
  if (!w) return;
  m->warnings = w;
  snprintf(m->warnings[m->nwarnings++], sizeof *w, fmt, a, b);
}

static void resolve_one(const smap_table *t, const rert_roi *roi, const rert_case *cf, smap_entry *e) {
  static const char *const not_tissue[] = {"SUPPORT", "FIXATION", "BOLUS", "MARKER", "REGISTRATION",
                                           "ISOCENTER", "CONTRAST_AGENT", "BRACHY_CHANNEL",
                                           "BRACHY_ACCESSORY", "BRACHY_SRC_APP", "BRACHY_CHNL_SHLD",
                                           "DOSE_MEASUREMENT", NULL};
  static const char *const target_types[] = {"GTV", "CTV", "PTV", NULL};
  snprintf(e->local, sizeof e->local, "%s", roi->name);
  snprintf(e->interpreted_type, sizeof e->interpreted_type, "%s", roi->interpreted_type);
  e->roi_number = roi->number;
  e->ncontours = roi->ncontours;
  const case_name_pair *cp = cf ? casefile_structure_map_entry(cf, roi->name) : NULL;
  const char *role = cf ? casefile_structure_role(cf, roi->name) : NULL;
  char mapped[65] = "";
  if (cp && cp->tg263[0]) {
    snprintf(mapped, sizeof mapped, "%s", cp->tg263);
    e->how = SMAP_BY_CASE_MAP;
    snprintf(e->how_text, sizeof e->how_text, "case file structure_map");
  } else if (cp) {
    e->how = SMAP_BY_CASE_MAP;
    snprintf(e->how_text, sizeof e->how_text, "case file structure_map: null (not used)");
  } else {
    e->how = lookup(t, roi->name, mapped, sizeof mapped, e->how_text, sizeof e->how_text);
  }
  const char *tname = mapped[0] ? mapped : roi->name; /* a target keeps its own name */
  char kind[4] = "";
  e->role = SROLE_UNUSED;
  if (role) {
    if (!strcmp(role, "NONE")) {
      snprintf(e->role_text, sizeof e->role_text, "case file structure_roles: NONE (not used)");
    } else if (!strcmp(role, "ORGAN")) {
      e->role = SROLE_ORGAN;
      snprintf(e->name, sizeof e->name, "%s", tname);
      if (!mapped[0]) {
        e->how = SMAP_BY_OWN_NAME;
        snprintf(e->how_text, sizeof e->how_text, "own name (no TG-263 name: default organ alpha/beta)");
      }
      snprintf(e->role_text, sizeof e->role_text, "case file structure_roles: ORGAN");
    } else {
      e->role = SROLE_TARGET;
      snprintf(e->target_kind, sizeof e->target_kind, "%s", role);
      snprintf(e->name, sizeof e->name, "%s", tname);
      if (!mapped[0]) { e->how = SMAP_BY_OWN_NAME; snprintf(e->how_text, sizeof e->how_text, "target: own name"); }
      snprintf(e->role_text, sizeof e->role_text, "case file structure_roles: %s", role);
    }
    return;
  }
  if (cp && !cp->tg263[0]) {
    snprintf(e->role_text, sizeof e->role_text, "not used (structure_map null)");
    return;
  }
  const char *ty = roi->interpreted_type;
  if (!strcasecmp(ty, "EXTERNAL")) {
    e->role = SROLE_EXTERNAL;
    snprintf(e->name, sizeof e->name, "%s", mapped[0] ? mapped : "External");
    snprintf(e->role_text, sizeof e->role_text, "RTROIInterpretedType EXTERNAL (not used)");
    return;
  }
  if (type_is(ty, target_types)) {
    e->role = SROLE_TARGET;
    snprintf(e->target_kind, sizeof e->target_kind, "%.3s", ty);
    snprintf(e->name, sizeof e->name, "%s", tname);
    if (!mapped[0]) { e->how = SMAP_BY_OWN_NAME; snprintf(e->how_text, sizeof e->how_text, "target: own name"); }
    snprintf(e->role_text, sizeof e->role_text, "RTROIInterpretedType %s", ty);
    return;
  }
  if (type_is(ty, not_tissue)) {
    snprintf(e->role_text, sizeof e->role_text, "RTROIInterpretedType %s: not tissue (not used)", ty);
    return;
  }
  if (mapped[0]) {
    int ext = !strcmp(mapped, "External");
    if (ext) {
      e->role = SROLE_EXTERNAL;
      snprintf(e->name, sizeof e->name, "%s", mapped);
      snprintf(e->role_text, sizeof e->role_text, "name maps to External (body outline; not used)");
      return;
    }
    if (e->how == SMAP_BY_CASE_MAP && target_name(t, mapped, kind)) {
      e->role = SROLE_TARGET;
      snprintf(e->target_kind, sizeof e->target_kind, "%s", kind);
      snprintf(e->name, sizeof e->name, "%s", mapped);
      snprintf(e->role_text, sizeof e->role_text, "TG-263 target naming of the structure_map name (%s)", kind);
      return;
    }
    e->role = SROLE_ORGAN;
    snprintf(e->name, sizeof e->name, "%s", mapped);
    snprintf(e->role_text, sizeof e->role_text, "organ (RTROIInterpretedType %s)", ty[0] ? ty : "empty");
    return;
  }
  if (target_name(t, roi->name, kind)) {
    e->role = SROLE_TARGET;
    snprintf(e->target_kind, sizeof e->target_kind, "%s", kind);
    snprintf(e->name, sizeof e->name, "%s", roi->name);
    e->how = SMAP_BY_OWN_NAME;
    snprintf(e->how_text, sizeof e->how_text, "target: own name");
    snprintf(e->role_text, sizeof e->role_text,
             "TG-263 target naming ('%s' word); RTROIInterpretedType %s is not decisive for targets",
             kind, ty[0] ? ty : "empty");
    return;
  }
  snprintf(e->role_text, sizeof e->role_text, "not used (unmapped)");
}

void structmap_free(rert_structmap *m) {
  if (!m) return;
  free(m->e);
  free(m->warnings);
  memset(m, 0, sizeof *m);
}

int structmap_resolve(const rert_structure_set *ss, const char *ss_path, const rert_case *cf,
                      rert_structmap *m, rert_err *err) {
  memset(m, 0, sizeof *m);
  snprintf(m->source, sizeof m->source, "%s", ss_path ? ss_path : "RTSTRUCT");
  const smap_table *t;
  int rc = smap_table_get(&t, err);
  if (rc) return rc;
  m->e = calloc(ss->nrois > 0 ? (size_t)ss->nrois : 1, sizeof *m->e);
  if (!m->e) return rert_err_set(err, RERT_EINTERNAL, "structure map: out of memory");
  m->n = ss->nrois;
  for (int r = 0; r < ss->nrois; r++) {
    m->e[r].roi_index = r;
    resolve_one(t, &ss->rois[r], cf, &m->e[r]);
  }
  /* one name, one ROI: an explicit structure_map entry decides, else refuse */
  for (int a = 0; a < m->n; a++) {
    smap_entry *ea = &m->e[a];
    if (ea->role != SROLE_ORGAN && ea->role != SROLE_TARGET) continue;
    int nsame = 0, nexplicit = 0, chosen = -1;
    for (int b = 0; b < m->n; b++) {
      const smap_entry *eb = &m->e[b];
      if ((eb->role != SROLE_ORGAN && eb->role != SROLE_TARGET) || strcmp(eb->name, ea->name)) continue;
      nsame++;
      if (eb->how == SMAP_BY_CASE_MAP) nexplicit++, chosen = b;
    }
    if (nsame < 2) continue;
    if (nexplicit == 1) {
      for (int b = 0; b < m->n; b++) {
        smap_entry *eb = &m->e[b];
        if (b == chosen || (eb->role != SROLE_ORGAN && eb->role != SROLE_TARGET) || strcmp(eb->name, ea->name)) continue;
        eb->role = SROLE_UNUSED;
        snprintf(eb->role_text, sizeof eb->role_text, "not used: %s is ROI '%s' by the case file's structure_map",
                 ea->name, m->e[chosen].local);
        eb->name[0] = 0;
      }
      continue;
    }
    int b2 = -1;
    for (int b = 0; b < m->n && b2 < 0; b++)
      if (b != a && (m->e[b].role == SROLE_ORGAN || m->e[b].role == SROLE_TARGET) && !strcmp(m->e[b].name, ea->name)) b2 = b;
    const smap_entry *eb = &m->e[b2];
    int lo = a < b2 ? a : b2, hi = a < b2 ? b2 : a;
    const smap_entry *x = &m->e[lo], *y = &m->e[hi];
    (void)eb;
    rc = rert_err_set(err, RERT_EINPUT,
                      "%s: ROIs '%s' (ROI %d%s, %s) and '%s' (ROI %d%s, %s) both resolve to %s; say in the case "
                      "file's structure_map which one is %s (and set the other to null)",
                      m->source, x->local, x->roi_number, x->ncontours ? "" : ", empty", structmap_how_name(x->how),
                      y->local, y->roi_number, y->ncontours ? "" : ", empty", structmap_how_name(y->how),
                      ea->name, ea->name);
    structmap_free(m);
    return rc;
  }
  if (cf) {
    for (int i = 0; i < cf->nmap; i++) {
      int hit = 0;
      for (int r = 0; r < m->n && !hit; r++) hit = !strcmp(m->e[r].local, cf->structure_map[i].local);
      if (!hit) warn(m, "structure_map entry '%s' matches no ROI in %s", cf->structure_map[i].local, m->source);
    }
    for (int i = 0; i < cf->nroles; i++) {
      int hit = 0;
      for (int r = 0; r < m->n && !hit; r++) hit = !strcmp(m->e[r].local, cf->structure_roles[i].local);
      if (!hit) warn(m, "structure_roles entry '%s' matches no ROI in %s", cf->structure_roles[i].local, m->source);
    }
  }
  return RERT_OK;
}

const smap_entry *structmap_find(const rert_structmap *m, const char *name) {
  for (int i = 0; i < m->n; i++)
    if (m->e[i].name[0] && !strcmp(m->e[i].name, name)) return &m->e[i];
  return NULL;
}

const smap_entry *structmap_find_any(const rert_structmap *m, const char *name) {
  const smap_entry *e = structmap_find(m, name);
  if (e) return e;
  for (int i = 0; i < m->n; i++)
    if (!strcasecmp(m->e[i].local, name)) return &m->e[i];
  return NULL;
}

cJSON *structmap_to_json(const rert_structmap *m) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < m->n; i++) {
    const smap_entry *e = &m->e[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "roi_number", e->roi_number);
    cJSON_AddStringToObject(o, "roi_name", e->local);
    cJSON_AddStringToObject(o, "interpreted_type", e->interpreted_type);
    cJSON_AddNumberToObject(o, "contours", e->ncontours);
    if (e->name[0]) cJSON_AddStringToObject(o, "name", e->name);
    else cJSON_AddNullToObject(o, "name");
    cJSON_AddStringToObject(o, "how", structmap_how_name(e->how));
    cJSON_AddStringToObject(o, "how_text", e->how_text);
    cJSON_AddStringToObject(o, "role", structmap_role_name(e->role));
    cJSON_AddStringToObject(o, "role_text", e->role_text);
    if (e->target_kind[0]) cJSON_AddStringToObject(o, "target_kind", e->target_kind);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}
