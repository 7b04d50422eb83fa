/* cmd_demo.c — `rert demo`: write the synthetic re-irradiation patient (rert/phantom.h) into a
 * work directory and run the consult on it (rert/consult.h); prints where the report is. The
 * first command a newcomer runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rert/consult.h"
#include "rert/fileio.h"
#include "rert/phantom.h"

static const rert_opt demo_opts[] = {
    {"out", OPT_STR, "rert-demo", "work directory: patient/ (phantom DICOM + case.json) and consult/ (report)", NULL, 0},
    {"size", OPT_STR, "clinical", "phantom size: small or clinical", NULL, 0},
    {"seed", OPT_INT, "1", "phantom seed", NULL, 0},
    {"protocol", OPT_LIST, NULL, "protocols to evaluate [default: care_s0, s4_textbook]", NULL, 0},
    {0}};

int consult_print_result(const rert_args *a, const consult_summary *s, int rc);

static int run_demo(const rert_args *a, rert_err *err) {
  const char *out = cli_str(a, "out"), *size_s = cli_str(a, "size");
  rert_phantom_size size;
  if (strcasecmp(size_s, "small") == 0)
    size = PHANTOM_SMALL;
  else if (strcasecmp(size_s, "clinical") == 0)
    size = PHANTOM_CLINICAL;
  else
    return rert_err_set(err, RERT_EINPUT, "demo: --size '%s' is not small or clinical", size_s);
  int seed = 1, rc;
  if ((rc = cli_int(a, "seed", &seed, err))) return rc;
  char patient[1100], consult_dir[1100], case_path[1200];
  snprintf(patient, sizeof patient, "%s/patient", out);
  snprintf(consult_dir, sizeof consult_dir, "%s/consult", out);
  snprintf(case_path, sizeof case_path, "%s/case.json", patient);
  /* OUT holds two output directories, each written as a whole (rert/fileio.h): patient/ (kept
   * from an earlier demo run when complete) and consult/ */
  if ((rc = fileio_outdir_check(out, "--out", NULL, 0, err))) return rc;
  if ((rc = fileio_mkdirs(out, err))) return rc;
  char pmarker[1200];
  snprintf(pmarker, sizeof pmarker, "%s/%s", patient, RERT_OUTPUT_MARKER);
  struct stat st;
  int progress = isatty(2);
  if (stat(case_path, &st) != 0 || stat(pmarker, &st) != 0) {
    if (progress) fprintf(stderr, "rert demo: writing the synthetic patient to %s ...\n", patient);
    rert_outdir pd;
    if ((rc = fileio_outdir_begin(&pd, patient, "--out", NULL, 0, err))) return rc;
    rert_phantom_model *m = calloc(1, sizeof *m);
    if (!m) {
      fileio_outdir_abort(&pd);
      return rert_err_set(err, RERT_EINTERNAL, "demo: out of memory");
    }
    rc = phantom_model_init(m, (unsigned long long)(seed < 0 ? 0 : seed), size, 2, err);
    if (!rc) rc = phantom_write(m, pd.work, err);
    free(m);
    if (!rc) rc = fileio_outdir_commit(&pd, "rert demo (patient)", err);
    else fileio_outdir_abort(&pd);
    if (rc) return rert_err_prefix(err, rc, "demo: phantom");
  }
  consult_opts o;
  memset(&o, 0, sizeof o);
  o.case_path = case_path;
  o.uncertainty_mm = 3;
  o.progress = progress;
  static const char *const default_protocols[] = {"care_s0", "s4_textbook"};
  const char *prots[64];
  int np = cli_list_count(a, "protocol");
  if (np > 64) return rert_err_set(err, RERT_EINPUT, "--protocol: too many");
  for (int i = 0; i < np; i++) prots[i] = cli_list_item(a, "protocol", i);
  o.protocols = np ? prots : default_protocols;
  o.nprotocols = np ? np : 2;
  char cmd[2600];
  snprintf(cmd, sizeof cmd, "rert demo --out %s --size %s --seed %d (consult %s --out %s --uncertainty-mm 3)",
           out, size_s, seed, case_path, consult_dir);
  o.command_line = cmd;
  rert_outdir cd;
  const char *in[] = {patient};
  if ((rc = fileio_outdir_begin(&cd, consult_dir, "--out", in, 1, err))) return rc;
  o.out_dir = cd.work;
  consult_summary s;
  rc = consult_run(&o, &s, err);
  if (rc != RERT_OK && rc != RERT_EVERDICT && rc != RERT_EINCOMPLETE) {
    fileio_outdir_abort(&cd);
    return rert_err_prefix(err, rc, "demo");
  }
  int crc = fileio_outdir_commit(&cd, cmd, err);
  if (!crc) crc = fileio_outdir_mark(out, cmd, err);
  if (crc) {
    consult_summary_free(&s);
    return crc;
  }
  snprintf(s.out_dir, sizeof s.out_dir, "%s", cd.final);
  consult_print_result(a, &s, rc);
  consult_summary_free(&s);
  return RERT_OK; /* the demo itself succeeded whatever the verdict */
}

const rert_cmd rert_cmd_demo = {
    "demo",
    "generate the synthetic patient and run the consult on it",
    "",
    "Writes the synthetic head-and-neck re-irradiation patient (rert phantom) into OUT/patient and "
    "runs rert consult on it into OUT/consult, then prints where the report is. OUT must be new, "
    "empty or an earlier rert output; a complete OUT/patient from an earlier demo run is reused. Exit 0 whatever the constraint verdict of the demo patient.",
    demo_opts,
    "rert demo\nrert demo --out /tmp/demo --size small",
    0, 0, run_demo};
