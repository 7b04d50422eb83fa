/* caseinit_struct.c — structure names and roles of the drafted case (rert/caseinit.h, step 6).
 *
 * Every course's structure set goes through the structure-identity module (rert/structmap.h:
 * the TG-263 names and local variants of data/structure_synonyms.json; nothing is re-implemented
 * here). The draft writes what it resolved explicitly, so the case does not change meaning when
 * the synonym table grows and a human reviews one table:
 *   - structure_map {"local": "name"} for every ROI with a name (organ, target, external), its
 *     rule in $.x_structure_sources;
 *   - structure_roles {"local": "PTV"} for targets recognised by their name only (types ORGAN,
 *     as Pinnacle writes every ROI);
 *   - recurrence_roi: the reference course's only GTV, or the only GTV whose name says
 *     recurrence (rec, recur, rGTV …); several candidates are a TODO.
 * Unmapped ROIs are listed in x_case_init (those whose name contains an organ's — a PRV, a
 * helper — also in the TODO list: never silently taken for the organ). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caseinit/caseinit_internal.h"

#if __has_include("rert/structmap.h")
#include "rert/structmap.h"

static int says_recurrence(const char *name) {
  char low[96];
  size_t n = 0;
  for (; name[n] && n + 1 < sizeof low; n++) low[n] = (char)tolower((unsigned char)name[n]);
  low[n] = 0;
  return strstr(low, "rec") || strstr(low, "rgtv") || strstr(low, "relapse") ||
         strstr(low, "rezidiv");
}

void ci_structures(ci_ctx *x, cJSON *doc) {
  cJSON *map = cJSON_CreateObject(), *roles = cJSON_CreateObject(), *srcs = cJSON_CreateObject();
  cJSON *unmapped = cJSON_CreateArray();
  char organ_like[1400] = "";
  int norgan_like = 0;
  for (int k = 0; k < x->ncourse; k++) {
    const ci_course *c = &x->course[k];
    if (c->ss < 0 || !x->ss[c->ss].readable) continue;
    const ci_ss *s = &x->ss[c->ss];
    rert_structmap m;
    rert_err e;
    if (structmap_resolve(&s->ss, ci_path(x, s->obj), NULL, &m, &e)) {
      char path[96];
      snprintf(path, sizeof path, "$.structure_map");
      ci_todo(x->r, TODO_CHOOSE, 1, path, "%s: %s", c->id, e.msg);
      continue;
    }
    for (int i = 0; i < m.n; i++) {
      const smap_entry *en = &m.e[i];
      if (!en->name[0] || en->role == SROLE_UNUSED) {
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "course", c->id);
        cJSON_AddStringToObject(u, "roi", en->local);
        cJSON_AddStringToObject(u, "why", en->how_text);
        cJSON_AddItemToArray(unmapped, u);
        if (strstr(en->how_text, "contains") && norgan_like < 12) {
          size_t L = strlen(organ_like);
          snprintf(organ_like + L, sizeof organ_like - L, "%s'%s' (%s)", norgan_like ? "; " : "",
                   en->local, c->id);
          norgan_like++;
        }
        continue;
      }
      const cJSON *have = cJSON_GetObjectItemCaseSensitive(map, en->local);
      if (have && strcmp(have->valuestring, en->name)) {
        ci_todo(x->r, TODO_REVIEW, 1, "$.structure_map",
                "ROI '%s' is %s in one course and %s in another (%s): the case file's "
                "structure_map holds one name per local name", en->local, have->valuestring,
                en->name, c->id);
        continue;
      }
      if (!have) {
        cJSON_AddStringToObject(map, en->local, en->name);
        char s[400];
        snprintf(s, sizeof s, "%s; role %s (%s)", en->how_text, structmap_role_name(en->role),
                 en->role_text);
        cJSON_AddStringToObject(srcs, en->local, s);
      }
      const int typed_target = !strcasecmp(en->interpreted_type, "GTV") ||
                               !strcasecmp(en->interpreted_type, "CTV") ||
                               !strcasecmp(en->interpreted_type, "PTV");
      if (en->role == SROLE_TARGET && !typed_target && en->target_kind[0] &&
          !cJSON_GetObjectItemCaseSensitive(roles, en->local))
        cJSON_AddStringToObject(roles, en->local, en->target_kind);
    }
    /* the recurrence GTV, in the reference course */
    if (k == x->reference) {
      int gtv[32], ng = 0, rec = -1, nrec = 0;
      for (int i = 0; i < m.n && ng < 32; i++)
        if (m.e[i].role == SROLE_TARGET && !strcmp(m.e[i].target_kind, "GTV")) {
          gtv[ng++] = i;
          if (says_recurrence(m.e[i].local)) rec = i, nrec++;
        }
      int pick = ng == 1 ? gtv[0] : nrec == 1 ? rec : -1;
      if (pick >= 0) {
        cJSON_AddStringToObject(doc, "recurrence_roi", m.e[pick].local);
        char s[300];
        snprintf(s, sizeof s, "%s of the reference course's structure set (%s)",
                 ng == 1 ? "the only GTV" : "the only GTV whose name says recurrence",
                 m.e[pick].role_text);
        cJSON *xs = cJSON_GetObjectItem(doc, "x_source");
        if (xs) cJSON_AddStringToObject(xs, "recurrence_roi", s);
        ci_todo(x->r, TODO_CONFIRM, 0, "$.recurrence_roi",
                "recurrence_roi '%s' (%s): confirm it is the recurrent tumour's GTV", m.e[pick].local, s);
      } else if (ng > 1) {
        char list[600] = "";
        for (int i = 0; i < ng; i++) {
          size_t L = strlen(list);
          snprintf(list + L, sizeof list - L, "%s'%s'", i ? ", " : "", m.e[gtv[i]].local);
        }
        ci_todo(x->r, TODO_CHOOSE, 0, "$.recurrence_roi",
                "%d GTVs in the reference course's structure set (%s): name the recurrence in "
                "recurrence_roi (none was chosen; the recurrence-pattern analysis needs it)", ng, list);
      } else {
        ci_todo(x->r, TODO_FILL, 0, "$.recurrence_roi",
                "no GTV in the reference course's structure set: contour the recurrence (or name "
                "its ROI in recurrence_roi) for the recurrence-pattern analysis");
      }
    }
    structmap_free(&m);
  }
  cJSON_AddItemToObject(doc, "structure_map", map);
  if (cJSON_GetArraySize(roles)) cJSON_AddItemToObject(doc, "structure_roles", roles);
  else cJSON_Delete(roles);
  cJSON_AddItemToObject(doc, "x_structure_sources", srcs);
  cJSON_AddItemToObject(doc, "x_unmapped_rois", unmapped);
  if (norgan_like)
    ci_todo(x->r, TODO_REVIEW, 0, "$.structure_map",
            "%d ROI(s) whose name contains an organ's but are not that organ (PRV, helper, crop…) "
            "stay unmapped: %s%s — map one in structure_map only if it IS the organ", norgan_like,
            organ_like, norgan_like == 12 ? "; …" : "");
}

#else /* the structure-identity module is not in this build */

void ci_structures(ci_ctx *x, cJSON *doc) {
  (void)doc;
  ci_todo(x->r, TODO_FILL, 0, "$.structure_map",
          "structure names were not mapped (no structure-identity module in this build)");
}

#endif
