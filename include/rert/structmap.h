/* structmap.h — structure identity: which ROI of a structure set is which organ or target.
 *
 * Every command that reads an RTSTRUCT (evaluate, accumulate, solve, consult, case check, dvh)
 * resolves its ROI names here, once, the same way:
 *   1. the case file's `structure_map` ({"local ROI name": "TG-263 name"}, or null = not used);
 *   2. the synonym table data/structure_synonyms.json (AAPM TG-263 names and the local variants
 *      of real exports: case, spaces/underscores, laterality as prefix or suffix in several
 *      languages, abbreviations, other languages — Cord, Myelon, Brain Stem, Parotid Lt,
 *      L Parotid ...). A name maps only when its normalised words ARE a variant (plus one side
 *      word for a paired organ): Cord_PRV5, Brainstem_03, z_Parotid, Parotid_opt never map to
 *      the organ (docs/structures.md has the rules);
 *   3. otherwise the ROI is unmapped: listed, never silently taken for an organ.
 * Roles (docs/case-file.md): the case file's `structure_roles`, else RTROIInterpretedType
 * (GTV/CTV/PTV target, EXTERNAL; SUPPORT, MARKER, BOLUS, ... not tissue), else TG-263 target
 * naming (a word starting GTV/CTV/ITV/PTV, e.g. Pinnacle's "H&N PTV_70Gy" typed ORGAN), else
 * organ when mapped. Each entry says which rule decided its name and its role.
 * Two ROIs resolving to one name are refused (RERT_EINPUT naming both ROIs and the file) unless
 * the structure_map names one of them explicitly; the other is then listed as not used.
 */
#ifndef RERT_STRUCTMAP_H
#define RERT_STRUCTMAP_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "rert/casefile.h"
#include "rert/err.h"
#include "rert/rtdata.h"

typedef enum {
  SMAP_BY_CASE_MAP = 0, /* the case file's structure_map */
  SMAP_BY_TG263,        /* the ROI name is a TG-263 name of the synonym table */
  SMAP_BY_SYNONYM,      /* normalised name = a variant in data/structure_synonyms.json */
  SMAP_BY_OWN_NAME,     /* a target (or a structure_roles ORGAN) keeps its own name */
  SMAP_UNMAPPED
} smap_how;

typedef enum {
  SROLE_ORGAN = 0,  /* organ at risk: constraints, α/β map */
  SROLE_TARGET,     /* GTV/CTV/ITV/PTV: target α/β where no organ overlaps */
  SROLE_EXTERNAL,   /* body outline: not used */
  SROLE_UNUSED      /* unmapped, helper, not tissue, explicitly null/NONE, or superseded */
} smap_role;

typedef struct {
  int roi_index;               /* into the structure set's rois[] */
  int roi_number;              /* ROINumber */
  char local[65];              /* ROIName as in the file */
  char interpreted_type[17];
  int ncontours;
  char name[65];               /* the name used everywhere (TG-263 organ, target name); "" unused */
  smap_how how;
  char how_text[320];          /* e.g. "synonym 'Myelon' (de) of SpinalCord" / why unmapped */
  smap_role role;
  char role_text[256];         /* which rule decided the role */
  char target_kind[4];         /* GTV, CTV, ITV, PTV, "" */
} smap_entry;

typedef struct {
  char source[1024];           /* the RTSTRUCT (for messages) */
  int n;
  smap_entry *e;               /* one per ROI, in file order */
  int nwarnings;
  char (*warnings)[320];       /* structure_map / structure_roles entries that match no ROI */
} rert_structmap;

/* Resolve every ROI of `ss` (file `ss_path`, for messages) with the case file `cf` (may be
 * NULL: synonym table only). RERT_EINPUT when two ROIs resolve to one name without an explicit
 * structure_map choice, or when the synonym table is invalid. */
int structmap_resolve(const rert_structure_set *ss, const char *ss_path, const rert_case *cf,
                      rert_structmap *m, rert_err *err);
void structmap_free(rert_structmap *m);

/* The entry whose resolved name is `name` (exact), NULL if none. */
const smap_entry *structmap_find(const rert_structmap *m, const char *name);
/* The entry whose local ROI name or resolved name is `name` (local: case-insensitive). */
const smap_entry *structmap_find_any(const rert_structmap *m, const char *name);

/* The synonym table alone: TG-263 name of one local name ("" when unmapped) and how. */
int structmap_lookup(const char *local, char *tg263, size_t n, char *how, size_t hn, rert_err *err);
/* Is the TG-263 base name a paired organ of the synonym table (OpticNrv, Parotid)? */
int structmap_is_paired(const char *tg263);
/* Does the local name look like a target by TG-263 target naming (and not a helper)?
 * kind (4 bytes) gets GTV/CTV/ITV/PTV. */
int structmap_target_name(const char *name, char kind[4]);

const char *structmap_how_name(smap_how h);   /* "structure_map", "tg263", "synonym", ... */
const char *structmap_role_name(smap_role r); /* "organ", "target", "external", "unused" */
/* [{roi_number, roi_name, type, contours, name, how, how_text, role, role_text}] */
cJSON *structmap_to_json(const rert_structmap *m);

#include "rert/gate.h"
/* The mapping of ss as findings (rert/gate.h) for `rert case check`: structure.mapped (ok; warning
 * when the ROI is empty), structure.unused (warning when the name contains an organ's, e.g. a
 * PRV), structure.map_entry (ok: a structure_map/structure_roles entry matches no ROI of this set),
 * structure.duplicate (refusal). *out (optional) receives the map (structmap_free). */
int structmap_gate_findings(const rert_structure_set *ss, const char *ss_path, const rert_case *cf,
                            const char *course, gate_findings *f, rert_structmap *out);

#endif
