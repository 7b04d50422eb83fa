/* elastix.c — `--engine elastix`: Debian's elastix (Klein et al., IEEE TMI 2010) as the
 * deformable engine for sites that require the reference tool. rert does the rigid stage, the
 * region of interest and the BODY mask as for the built-in engine, writes the two regions as
 * MetaImage, runs `elastix` with the project's parameter files (the data/registration parameter files unless
 * given), exports the field with `transformix -def all` and composes it with the rigid map, so
 * the result is the same pull-back field the built-in engine returns and goes through the same
 * QA. The programs are run with posix_spawnp (no shell), their output kept in the work
 * directory's log files. */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>

#include "register/reg_internal.h"
#include "rert/data.h"
#include "rert/imageio.h"

extern char **environ;

static int run_prog(const char *const argv[], const char *log, rert_err *err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e) return rert_err_set(err, RERT_EINPUT, "%s: cannot run (%s); install elastix or use --engine builtin", argv[0], strerror(e));
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return rert_err_set(err, RERT_EINTERNAL, "%s failed (status %d); see %s", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1, log);
  return RERT_OK;
}

static void remove_dir(const char *d) {
  DIR *dd = opendir(d);
  if (!dd) return;
  struct dirent *e;
  while ((e = readdir(dd))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", d, e->d_name);
    unlink(p);
  }
  closedir(dd);
  rmdir(d);
}

/* affine field over F on a coarse grid (pipeline.c has the same helper for the built-in path) */
static int rigid_on(const rert_volume *like, const double m[16], rert_vfield *f, rert_err *err) {
  int rc = reg_vfield_alloc_like(f, like, err);
  if (!rc) reg_vfield_set_affine(f, m);
  return rc;
}

int reg_elastix_run_rigid(const rert_volume *F, const rert_volume *M, const rert_volume *mask, const double m[16],
                          const reg_pipeline_opts *o, rert_vfield *out, rert_err *err) {
  char dir[4096];
  int own_dir = 0;
  if (o->work_dir && o->work_dir[0]) {
    snprintf(dir, sizeof dir, "%s", o->work_dir);
    mkdir(dir, 0755);
  } else {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/rert-elastix-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return rert_err_set(err, RERT_EINTERNAL, "%s: cannot create a work directory (%s)", dir, strerror(errno));
    own_dir = 1;
  }
  char fp[4200], mp[4200], kp[4200], log1[4200], log2[4200], tp[4200], dfp[4200];
  snprintf(fp, sizeof fp, "%s/fixed.mha", dir);
  snprintf(mp, sizeof mp, "%s/moving.mha", dir);
  snprintf(kp, sizeof kp, "%s/mask.mha", dir);
  snprintf(log1, sizeof log1, "%s/elastix.log", dir);
  snprintf(log2, sizeof log2, "%s/transformix.log", dir);
  snprintf(dfp, sizeof dfp, "%s/deformationField.mha", dir);
  /* the moving region through the rigid map onto the fixed region's grid extended by 30 mm, so
   * elastix starts aligned and can pull from beyond the fixed region's border */
  rert_volume Mw, ext;
  memset(&Mw, 0, sizeof Mw);
  ext = *F;
  ext.data = NULL;
  int pad[3];
  for (int a = 0; a < 3; a++) pad[a] = (int)ceil(30.0 / F->spacing_mm[a]);
  ext.nx += 2 * pad[0], ext.ny += 2 * pad[1], ext.nz += 2 * pad[2];
  {
    double p[3] = {-pad[0], -pad[1], -pad[2]};
    volume_index_to_world(F, p, ext.origin_mm);
  }
  rert_vfield rg;
  memset(&rg, 0, sizeof rg);
  int rc = rigid_on(&ext, m, &rg, err);
  if (!rc) rc = reg_warp_volume_to(M, &rg, &ext, REG_INTERP_LINEAR, -1000.0f, &Mw, err);
  rtdata_free_vfield(&rg);
  if (!rc) rc = imageio_write_volume(fp, F, err);
  if (!rc) rc = imageio_write_volume(mp, &Mw, err);
  if (!rc && mask) rc = imageio_write_volume(kp, mask, err);
  volume_free(&Mw);
  char pf[4][4200];
  int np = o->nelastix_params;
  if (!rc) {
    if (np <= 0) {
      snprintf(pf[0], sizeof pf[0], "%s/registration/elastix_rigid.txt", data_dir());
      snprintf(pf[1], sizeof pf[1], "%s/registration/elastix_bspline.txt", data_dir());
      np = 2;
    } else {
      for (int q = 0; q < np && q < 4; q++) snprintf(pf[q], sizeof pf[q], "%s", o->elastix_params[q]);
    }
    const char *exe = o->elastix_exe && *o->elastix_exe ? o->elastix_exe : "elastix";
    char thr[16];
    snprintf(thr, sizeof thr, "%d", o->threads > 0 ? o->threads : 2);
    const char *argv[24];
    int n = 0;
    argv[n++] = exe, argv[n++] = "-f", argv[n++] = fp, argv[n++] = "-m", argv[n++] = mp;
    if (mask) argv[n++] = "-fMask", argv[n++] = kp;
    for (int q = 0; q < np && q < 4; q++) argv[n++] = "-p", argv[n++] = pf[q];
    argv[n++] = "-out", argv[n++] = dir, argv[n++] = "-threads", argv[n++] = thr;
    argv[n] = NULL;
    if (o->verbose) fprintf(stderr, "rert register: running %s (%d parameter files) in %s\n", exe, np, dir);
    rc = run_prog(argv, log1, err);
  }
  if (!rc) {
    snprintf(tp, sizeof tp, "%s/TransformParameters.%d.txt", dir, np - 1);
    const char *exe = o->transformix_exe && *o->transformix_exe ? o->transformix_exe : "transformix";
    const char *argv[] = {exe, "-def", "all", "-tp", tp, "-out", dir, NULL};
    rc = run_prog(argv, log2, err);
  }
  rert_vfield d;
  memset(&d, 0, sizeof d);
  if (!rc) rc = imageio_read_vfield(dfp, &d, err);
  /* total pull-back: elastix's field (fixed → rigidly aligned moving), then the rigid map */
  if (!rc) rc = reg_vfield_compose_affine(&d, m, out, err);
  rtdata_free_vfield(&d);
  if (own_dir && !getenv("RERT_KEEP_ELASTIX")) remove_dir(dir);
  return rc;
}
