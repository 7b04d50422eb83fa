/* phantom_cohort_cli.c — `rert phantom --cohort N`: parse the truth options and write the
 * synthetic cohort (src/phantom/phantom_cohort.c). */
#include "cli/phantom_cohort_cli.h"

#include <stdio.h>
#include <string.h>

#include <unistd.h>

#include "rert/data.h"
#include "rert/fileio.h"
#include "rert/phantom.h"

int phantom_cli_cohort(const rert_args *a, rert_err *err) {
  phantom_cohort_opts o;
  memset(&o, 0, sizeof o);
  int seed = 1;
  int rc = cli_int(a, "cohort", &o.n, err);
  if (!rc) rc = cli_int(a, "seed", &seed, err);
  if (!rc && seed < 0) rc = rert_err_set(err, RERT_EINPUT, "phantom: --seed must be >= 0");
  if (!rc) rc = cli_num(a, "truth-td50-gy", &o.td50_gy, err);
  if (!rc) rc = cli_num(a, "truth-gamma50", &o.gamma50, err);
  if (rc) return rc;
  o.seed = (unsigned long long)seed;
  o.organ = cli_str(a, "truth-organ");
  o.metric = cli_str(a, "truth-metric");
  o.recovery = cli_str(a, "truth-recovery");
  o.endpoint = cli_str(a, "endpoint");
  const char *model = cli_str(a, "truth-model"), *kind = cli_str(a, "cohort-kind");
  if (!strcmp(model, "probit") || !strcmp(model, "lkb")) o.probit = 1;
  else if (strcmp(model, "logistic")) return rert_err_set(err, RERT_EINPUT, "--truth-model: logistic or probit");
  if (!strcmp(kind, "points")) o.points = 1;
  else if (strcmp(kind, "dicom")) return rert_err_set(err, RERT_EINPUT, "--cohort-kind: dicom or points");
  for (const char *s = o.endpoint; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return rert_err_set(err, RERT_EINPUT, "--endpoint %s: lower-case letters, digits and _ only", o.endpoint);
  const char *out = cli_str(a, "out");
  /* --out: new, empty or an earlier rert output, replaced as a whole (rert/fileio.h).
   * phantom_cohort_write stages a NEW directory itself (manifest paths are relative), so it is
   * given the staging directory's name, freed for it. */
  rert_outdir od;
  if ((rc = fileio_outdir_begin(&od, out, "--out", NULL, 0, err))) return rc;
  rmdir(od.work);
  rc = phantom_cohort_write(&o, od.work, err);
  char what[1200];
  snprintf(what, sizeof what, "rert phantom --out %s --cohort %d --seed %d", out, o.n, seed);
  if (!rc) rc = fileio_outdir_commit(&od, what, err);
  else fileio_outdir_abort(&od);
  if (rc) return rc;
  if (cli_json(a)) {
    cJSON *j = cJSON_CreateObject();
    char p[4200];
    cJSON_AddStringToObject(j, "out", out);
    snprintf(p, sizeof p, "%s/manifest.csv", out);
    cJSON_AddStringToObject(j, "manifest", p);
    snprintf(p, sizeof p, "%s/truth.json", out);
    cJSON_AddStringToObject(j, "truth", p);
    cJSON_AddNumberToObject(j, "cases", o.n);
    cli_print_json(j);
  } else {
    printf("rert phantom: wrote a synthetic cohort of %d %s case(s) to %s\n", o.n, o.points ? "point-dose" : "DICOM", out);
    printf("  truth: %s grade >= 3 ~ %s(%s %s EQD2; TD50 %g Gy, gamma50 %g) under recovery %s (%s/truth.json)\n",
           o.endpoint, o.probit ? "probit" : "logistic", o.organ, o.metric, o.td50_gy, o.gamma50, o.recovery, out);
    printf("  next: rert cohort run %s/manifest.csv --registry cohort.sqlite\n", out);
  }
  return RERT_OK;
}
