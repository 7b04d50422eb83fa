/* cmd_phantom.c — `rert phantom`: write the synthetic head-and-neck re-irradiation patient
 * (DICOM CT/RTSTRUCT/RTDOSE/RTPLAN per course, ground-truth deformable registration as DICOM and
 * MetaImage, case file). See docs/phantom.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/phantom_cohort_cli.h"
#include "rert/data.h"
#include "rert/fileio.h"
#include "rert/phantom.h"

static const rert_opt phantom_opts[] = {
    {"out", OPT_STR, NULL, "output directory: new, empty or an earlier rert output (replaced as a whole)", NULL, 0},
    {"seed", OPT_INT, "1", "seed: deformation jitter, recurrence position and all UIDs", NULL, 0},
    {"size", OPT_STR, "small", "small (100×100×~90 CT at 3 mm, for tests) or clinical (512×512×~150 at 0.98×0.98×2.5 mm)", NULL, 0},
    {"courses", OPT_INT, "2", "number of courses: 2 (prior + planned) or 3 (two priors + planned)", NULL, 0},
    {"untidy", OPT_FLAG, NULL, "write the patient as an untidy export: every object in one flat folder DIR/export/ named by its UID, per-beam doses, treatment records, an unapproved alternative plan; DIR/case.json is its hand-written case (what rert case init must reproduce)", NULL, 0},
    PHANTOM_COHORT_OPTS,
    {0}};

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int run_phantom(const rert_args *a, rert_err *err) {
  const char *out = cli_str(a, "out");
  if (!out || !*out) return rert_err_set(err, RERT_EINPUT, "phantom: --out DIR is required");
  if (cli_has(a, "cohort")) return phantom_cli_cohort(a, err);
  int seed = 1, courses = 2, rc;
  if ((rc = cli_int(a, "seed", &seed, err))) return rc;
  if ((rc = cli_int(a, "courses", &courses, err))) return rc;
  if (seed < 0) return rert_err_set(err, RERT_EINPUT, "phantom: --seed must be >= 0");
  const char *size_s = cli_str(a, "size");
  rert_phantom_size size;
  if (strcmp(size_s, "small") == 0) size = PHANTOM_SMALL;
  else if (strcmp(size_s, "clinical") == 0) size = PHANTOM_CLINICAL;
  else
    return rert_err_set(err, RERT_EINPUT, "phantom: --size must be small or clinical (got '%s')",
                        size_s);
  rert_outdir od;
  if ((rc = fileio_outdir_begin(&od, out, "--out", NULL, 0, err))) return rc;
  rert_phantom_model *m = malloc(sizeof *m);
  if (!m) {
    fileio_outdir_abort(&od);
    return rert_err_set(err, RERT_EINTERNAL, "phantom: out of memory");
  }
  double t0 = now_s();
  rc = phantom_model_init(m, (unsigned long long)seed, size, courses, err);
  int untidy = cli_flag(a, "untidy");
  if (!rc) rc = untidy ? phantom_write_untidy(m, od.work, err) : phantom_write(m, od.work, err);
  char what[1200];
  snprintf(what, sizeof what, "rert phantom --out %s --seed %d --size %s --courses %d%s", out, seed,
           size_s, courses, untidy ? " --untidy" : "");
  if (!rc) rc = fileio_outdir_commit(&od, what, err);
  else fileio_outdir_abort(&od);
  double dt = now_s() - t0;
  if (rc) {
    free(m);
    return rc;
  }
  const rert_phantom_course *last = &m->course[m->ncourses - 1];
  if (cli_json(a)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "out", out);
    char cp[4200];
    snprintf(cp, sizeof cp, "%s/case.json", out);
    cJSON_AddStringToObject(o, "case_file", cp);
    cJSON_AddStringToObject(o, "patient_id", m->patient_id);
    cJSON_AddNumberToObject(o, "seed", seed);
    cJSON_AddStringToObject(o, "size", size_s);
    cJSON *cs = cJSON_AddArrayToObject(o, "courses");
    for (int c = 0; c < m->ncourses; c++) {
      const rert_phantom_course *k = &m->course[c];
      cJSON *x = cJSON_CreateObject();
      char d0[11], d1[11];
      date_format(k->start_date, d0);
      date_format(k->end_date, d1);
      cJSON_AddStringToObject(x, "id", k->id);
      cJSON_AddStringToObject(x, "start_date", d0);
      cJSON_AddStringToObject(x, "end_date", d1);
      json_add_num(x, "prescription_gy", k->prescription_gy);
      cJSON_AddNumberToObject(x, "fractions", k->fractions);
      cJSON_AddStringToObject(x, "target_roi", m->roi[k->ptv_roi].name);
      cJSON *g = cJSON_AddArrayToObject(x, "ct_dims");
      cJSON_AddItemToArray(g, cJSON_CreateNumber(k->ct.nx));
      cJSON_AddItemToArray(g, cJSON_CreateNumber(k->ct.ny));
      cJSON_AddItemToArray(g, cJSON_CreateNumber(k->ct.nz));
      cJSON_AddItemToArray(cs, x);
    }
    json_add_num(o, "seconds", dt);
    cli_print_json(o);
  } else {
    printf("rert phantom: wrote %s (patient %s, %d courses, %s)\n", out, m->patient_id,
           m->ncourses, size_s);
    for (int c = 0; c < m->ncourses; c++) {
      const rert_phantom_course *k = &m->course[c];
      char d0[11], d1[11];
      date_format(k->start_date, d0);
      date_format(k->end_date, d1);
      printf("  %s: %s..%s  %.0f Gy / %d fx to %s  CT %dx%dx%d\n", k->id, d0, d1,
             k->prescription_gy, k->fractions, m->roi[k->ptv_roi].name, k->ct.nx, k->ct.ny,
             k->ct.nz);
    }
    printf("  case file: %s/case.json  (reference course %s)\n", out, last->id);
    printf("  %.1f s\n", dt);
  }
  free(m);
  return RERT_OK;
}

const rert_cmd rert_cmd_phantom = {
    "phantom",
    "write the synthetic head-and-neck re-irradiation patient (DICOM + case file)",
    "",
    "Generates a deterministic synthetic patient: per course a planning CT, RTSTRUCT (TG-263 "
    "names), RTPLAN and RTDOSE in its own frame of reference; course 1 70 Gy/35 fx to an "
    "oropharynx primary with 56 Gy elective neck, course 2 (2.5 years later) 60 Gy/30 fx to a "
    "recurrence at the edge of the prior high-dose region, optional course 3 SBRT 40 Gy/5 fx. The "
    "later anatomy is the earlier one moved by a known smooth deformation, written as a DICOM "
    "Deformable Spatial Registration and as MetaImage (pull-back: moving point = x + u(x)) so "
    "registration can be scored. The case file case.json describes the patient, clinical facts, "
    "courses and files. Same seed and size give byte-identical output. See docs/phantom.md. With --cohort N: a "
    "synthetic cohort of N small cases with outcomes drawn from a stated NTCP model under a stated true recovery "
    "(manifest.csv for rert cohort run, truth.json, cases/; docs/cohort.md).",
    phantom_opts,
    "rert phantom --out /tmp/pt\n"
    "rert phantom --out /tmp/pt3 --size clinical --courses 3 --seed 7 --json\n"
    "rert phantom --out /tmp/cohort --cohort 200 --truth-recovery s4_stepwise --truth-td50-gy 70 --truth-gamma50 2",
    0,
    0,
    run_phantom};
