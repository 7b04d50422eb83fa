/* schedule.h — the biological options shared by `rert eqd2` and `rert budget` (α/β or tissue,
 * incomplete repair, repopulation, LQ-L, RBE), parsed once so both commands accept the same
 * spelling and print the same provenance. */
#ifndef RERT_CLI_SCHEDULE_H
#define RERT_CLI_SCHEDULE_H

#include <stdio.h>

#include "cli/cli.h"
#include "rert/radbio.h"
#include "rert/rbe.h"
#include "rert/tissue.h"

#define SCHEDULE_BIO_OPTS                                                                          \
  {"alpha-beta-gy", OPT_NUM, NULL, "α/β in Gy (plain number)", "Gy", 1},                           \
  {"alpha-beta", OPT_NUM, NULL, "α/β in Gy, e.g. 3 or 3Gy (α/β has no other unit)", "Gy", 1},                               \
  {"tissue", OPT_STR, NULL, "TG-263 organ/tissue id from data/tissues.json (gives α/β, T½)", NULL, 0}, \
  {"fractions-per-day", OPT_INT, "1", "fractions per day (incomplete repair when > 1)", NULL, 0},  \
  {"interval-h", OPT_NUM, NULL, "hours between same-day fractions", "h", 1},                       \
  {"repair-halftime-h", OPT_NUM, NULL, "repair half-time in hours [default: the tissue's, if listed]", "h", 1}, \
  {"time-model", OPT_STR, NULL, "named repopulation set from data/radbio.json (pedicini2014, withers1988, ...)", NULL, 0}, \
  {"tk-days", OPT_NUM, NULL, "kick-off time T_k in days (with --dprolif-gy-per-day)", "d", 1},      \
  {"dprolif-gy-per-day", OPT_NUM, NULL, "repopulation dose D_prolif in Gy/day", "Gy/d", 1},         \
  {"overall-time-days", OPT_NUM, NULL, "overall time T in days [default: derived, Monday start]", "d", 1}, \
  {"fractions-per-week", OPT_INT, "5", "treatment days per week when T is derived", NULL, 0},        \
  {"lql-dt-gy", OPT_NUM, NULL, "LQ-L transition dose d_T in Gy (linear above it)", "Gy", 1}

#define SCHEDULE_MAX_FRACTIONS 1000

typedef struct {
  double total_dose_gy;          /* as delivered (RBE-weighted for particles after conversion) */
  int fractions;
  int nonuniform;                /* fraction_dose_gy holds each fraction (--fraction-doses-gy) */
  double *fraction_dose_gy;      /* malloc'd when nonuniform; schedule_free releases it */
  radbio_model model;
  int has_tissue;
  tissue_params tissue;
  char alpha_beta_source[400];
  char time_model[64];
  char time_source[300];
  rert_modality modality;
  rbe_model rbe;
  double rbe_factor_applied;     /* 1 unless physical proton dose was weighted */
  int converted;                 /* carbon dose converted between RBE systems */
  rbe_model converted_from;
  double dose_before_conversion_gy;
  int nnotes;
  char notes[8][300];
} schedule;

typedef struct {
  double x_gy;
  double dose_per_fraction_gy;     /* mean for non-uniform schedules */
  double max_dose_per_fraction_gy; /* the largest fraction (model-dependence flag) */
  double h_factor;
  double time_term_gy;
  double bed_gy, eqd2_gy, eqdx_gy;
  int model_dependent;
  double model_dependent_threshold_gy;
} schedule_result;

/* α/β, repair, time and LQ-L from the shared options (needs no dose). `tissue` (may be NULL)
 * names the organ when the command has its own option for it (budget's --organ). */
int schedule_bio_from_args(const rert_args *a, const char *tissue, schedule *s, rert_err *err);
/* eqd2: dose + fractions + bio + RBE. */
int schedule_from_args(const rert_args *a, int need_dose, schedule *s,
                       rert_err *err);
void schedule_free(schedule *s);
int schedule_evaluate(const schedule *s, double x_gy, schedule_result *r, rert_err *err);
void schedule_note(schedule *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void schedule_to_json(const schedule *s, const schedule_result *r, cJSON *obj);
void schedule_bio_to_json(const schedule *s, cJSON *obj);
void schedule_print(const schedule *s, const schedule_result *r, FILE *f);

#endif
