/* structmap_findings.c — the structure mapping as findings of the DICOM gate (rert/gate.h), for
 * `rert case check` and every report that prints findings: one finding per ROI saying the name it
 * is used as and by which rule, a warning for each unmapped ROI that contains an organ's name
 * (Cord_PRV5: a derived structure, not the cord) and for each structure_map / structure_roles
 * entry that matches no ROI, and a refusal when two ROIs resolve to one name.
 * docs/structures.md. */
#include <stdio.h>
#include <string.h>

#include "rert/gate.h"
#include "rert/structmap.h"

int structmap_gate_findings(const rert_structure_set *ss, const char *ss_path, const rert_case *cf,
                            const char *course, gate_findings *f, rert_structmap *out) {
  rert_structmap m;
  rert_err err;
  if (structmap_resolve(ss, ss_path, cf, &m, &err)) {
    gate_add(f, GATE_REFUSAL, "structure.duplicate", course, ss_path, "ROIName (3006,0026)", "%s", err.msg);
    if (out) memset(out, 0, sizeof *out);
    return RERT_EINPUT;
  }
  for (int i = 0; i < m.n; i++) {
    const smap_entry *e = &m.e[i];
    char where[128];
    snprintf(where, sizeof where, "ROI %d '%.64s'", e->roi_number, e->local);
    if (e->role == SROLE_ORGAN || e->role == SROLE_TARGET) {
      gate_add(f, e->ncontours ? GATE_OK : GATE_WARNING, "structure.mapped", course, ss_path, where,
               "%s %s (%s; %s)%s", structmap_role_name(e->role), e->name, e->how_text, e->role_text,
               e->ncontours ? "" : "; the ROI has no contours: its constraints will be NOT EVALUATED");
    } else {
      int organish = strstr(e->how_text, "contains '") != NULL;
      gate_add(f, organish ? GATE_WARNING : GATE_OK, "structure.unused", course, ss_path, where, "%s: %s",
               e->role == SROLE_EXTERNAL ? "external" : "not used", e->how == SMAP_UNMAPPED ? e->how_text : e->role_text);
    }
  }
  /* an entry that matches no ROI of the reference structure set is listed, not warned about:
   * structure_map also names the ROIs of the other courses' structure sets, and an entry meant
   * for this set but misspelt leaves its organ missing, which every constraint on it reports
   * (NOT EVALUATED, the verdict INCOMPLETE) */
  for (int w = 0; w < m.nwarnings; w++)
    gate_add(f, GATE_OK, "structure.map_entry", course, cf ? cf->path : ss_path, "$.structure_map", "%s",
             m.warnings[w]);
  if (out) *out = m;
  else structmap_free(&m);
  return RERT_OK;
}
