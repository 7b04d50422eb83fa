/* consult_ctx.h — state shared by the consult steps (internal to src/consult).
 */
#ifndef RERT_CONSULT_CTX_H
#define RERT_CONSULT_CTX_H

#include <cjson/cJSON.h>

#include "rert/accumulate.h"
#include "rert/casefile.h"
#include "rert/consult.h"
#include "rert/dicomio.h"
#include "rert/dvh.h"
#include "rert/gate.h"
#include "rert/geom.h"
#include "rert/protocol.h"
#include "rert/register.h"
#include "rert/regqa.h"
#include "rert/report.h"
#include "rert/structmap.h"

#define CONSULT_MAX_SOLVER 32

typedef struct {
  char method[400];      /* how the course was mapped onto the reference */
  int has_field;
  reg_qa_stats qa;       /* Jacobian and displacement statistics of the field on the dose grid */
  int has_qa;
  /* registration QA that decides (rert/regqa.h), run for every registration used */
  int has_check;
  reg_qa_report check;
  int blocks;            /* QA failed or not evaluated, no override: verdict at best INCOMPLETE */
  char override_reason[512]; /* the case file's registration_qa override when one applied */
  double radius_mm;      /* worst-case radius for this course's mapped dose */
  rert_vfield u_grid;    /* the field on the reference dose grid (mapped courses): the worst case
                          * is taken around x + u(x) in the course's own frame */
  int has_u_grid;
  char radius_source[420];
} consult_reg;


typedef struct {
  const consult_opts *o;
  rert_case cs;
  int iref;                          /* reference course index */
  int has_ct;
  rert_image_series ct;
  int has_ss;
  rert_structure_set ss;
  rert_slice_geom slices;            /* slices the contours stand for: the CT's, else inferred */
  int has_dose[RERT_CASE_MAX_COURSES];
  rert_rtdose dose[RERT_CASE_MAX_COURSES];
  consult_reg reg[RERT_CASE_MAX_COURSES];
  rert_volume grid;                  /* reference grid geometry (data NULL) */
  rert_volume mapped[RERT_CASE_MAX_COURSES];
  rert_volume upper[RERT_CASE_MAX_COURSES];
  gate_result *gate;                 /* the DICOM gate (rert/gate.h): findings, course doses */
  rert_volume mapped_part[RERT_CASE_MAX_COURSES][ACCUM_MAX_PARTS]; /* fraction groups, mapped */
  rert_volume upper_part[RERT_CASE_MAX_COURSES][ACCUM_MAX_PARTS];
  int has_upper;
  /* structures: every ROI resolved (map), the needed ones rasterised, sorted by name; index k
   * is the same in roi/mask/maskvol/is_target and in.structs (no fixed limit) */
  int has_map;
  rert_structmap map;
  unsigned char *needed;             /* [map.n] */
  int nroi;
  const smap_entry **entry;          /* [nroi]: its entry in map */
  const rert_roi **roi;              /* [nroi] */
  rert_mask *mask;                   /* [nroi]; zeroed (maskvol[k].data NULL) when the ROI is
                                        empty or its contours are not usable */
  rert_volume *maskvol;              /* [nroi] */
  int *is_target;                    /* [nroi] */
  int irec;                          /* recurrence ROI index, −1 none */
  accum_input in;
  accum_result res;
  int has_res;
  accum_result worst;                /* cumulative with every course at its upper bound */
  int has_worst;
  int nprot;
  rert_protocol prot[RERT_CASE_MAX_PROTOCOLS];
  accum_evaluation ev[RERT_CASE_MAX_PROTOCOLS];
  int has_budget;
  rert_volume remaining, maxnew;
  rert_volume exhausted;             /* 1 limit reached/exceeded by the priors, 0 budget, NaN no limit */
  int budget_fractions;
  int nsolver;
  accum_solution solver[CONSULT_MAX_SOLVER]; /* regimens of data/regimens.json, file order */
  accum_targets targets;
  int best_regimen;                  /* index of rank 1, −1 none */
  cJSON *inputs;                     /* provenance: [{role, path, sha256}] */
  cJSON *notes;                      /* warnings for the report: ["text", ...] */
  char tmp_dir[1100];
  char created_utc[32];              /* "YYYY-MM-DDTHH:MM:SSZ": report and DICOM creation time */
  long long created_epoch_s;
  char uid_key[65];                  /* SHA-256 of inputs + parameters: derived-object UIDs */
  /* candidate courses (consult_compare.c): the comparison of all of them on the case as written,
   * and the candidate the detailed sections describe (c->cs is reduced to it) */
  struct cand_comparison *cmp;
  rert_case *cand_case;
  int has_cmp;
  char chosen[65];
} consult_ctx;

/* steps (consult_steps.c) */
int consult_step_load(consult_ctx *c, rert_err *err);
int consult_step_dicom(consult_ctx *c, rert_err *err);
int consult_step_register(consult_ctx *c, rert_err *err);
int consult_step_masks(consult_ctx *c, rert_err *err);
int consult_step_accumulate(consult_ctx *c, rert_err *err);
int consult_step_evaluate(consult_ctx *c, rert_err *err);
int consult_step_budget(consult_ctx *c, rert_err *err);
/* registration section of the report (consult_regqa.c) */
void consult_section_registration(consult_ctx *c, rert_report *r);
/* report (consult_report.c) */
int consult_build_report(consult_ctx *c, rert_report *r, consult_summary *sum, rert_err *err);
/* the interactive review's data for report.html (consult_viewer.c) */
int consult_add_viewer(consult_ctx *c, rert_report *r, rert_err *err);
int consult_write_dicom(consult_ctx *c, const char *dir, int *nfiles, rert_err *err);
int consult_write_rtstruct(consult_ctx *c, const char *dir, int *nfiles, rert_err *err);
/* budget_regions.dcm (consult_rtstruct.c): Budget_Exhausted / Budget_Limited ROIs */
int consult_write_budget_rtstruct(consult_ctx *c, const char *dir, int *nfiles, int *exhausted_voxels,
                                  rert_err *err);
void consult_ctx_free(consult_ctx *c);
/* candidates (consult_compare.c): compare and reduce the case to the chosen candidate (no-op
 * without candidates); add the comparison section; free */
int consult_candidates_prepare(consult_ctx *c, rert_err *err);
int consult_add_comparison(consult_ctx *c, rert_report *r, const char *number, rert_err *err);
void consult_candidates_free(consult_ctx *c);
/* "<uid_key>/<role>" into buf: the key a derived DICOM object's UIDs are made from. */
void consult_object_key(const consult_ctx *c, const char *role, char *buf, size_t n);

#endif
