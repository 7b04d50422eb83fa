/* cmd_register.c — `rert register`: rigid then deformable (diffeomorphic demons) CT→CT
 * registration (issue #5; docs/register.md). Writes the pull-back field (fixed grid → moving),
 * the moving image resampled onto the fixed grid, and a QA summary (JSON). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/reg_cli.h"
#include "rert/data.h"
#include "rert/fileio.h"
#include "rert/imageio.h"
#include "rert/regqa.h"

static const rert_opt OPTS[] = {
    {"fixed", OPT_STR, NULL, "reference CT (the anatomy doses are mapped onto): DICOM series directory, .mha or .nii", NULL, 0},
    {"moving", OPT_STR, NULL, "CT of the other course: DICOM series directory, .mha or .nii", NULL, 0},
    {"out", OPT_STR, NULL, "output deformation field (.mha/.nii): u(x) on the fixed grid, moving = x + u(x)", NULL, 0},
    {"warped", OPT_STR, NULL, "resampled moving image (default <out>_warped.mha)", NULL, 0},
    {"qa", OPT_STR, NULL, "QA summary JSON (default <out>_qa.json)", NULL, 0},
    {"engine", OPT_STR, "builtin", "deformable engine: builtin (B-spline + demons), itk (ITK diffeomorphic demons) or elastix (Debian's elastix)", NULL, 0},
    {"dose", OPT_LIST, NULL, "dose grid(s) (RTDOSE .dcm or image) whose union + --crop-margin-mm is registered at full working resolution (default: the whole fixed image)", NULL, 0},
    {"crop-margin-mm", OPT_NUM, "30", "margin around the --dose grids", "mm", 1},
    {"mask", OPT_STR, NULL, "mask restricting the similarity: image (nonzero inside) or RTSTRUCT.dcm:ROI (default: BODY from the fixed CT)", NULL, 0},
    {"no-body-mask", OPT_FLAG, NULL, "use every voxel of the region (no BODY mask)", NULL, 0},
    {"rigid-min-gain", OPT_NUM, "0.15", "keep identity unless rigid lowers the coarse MSE by this fraction (0 = always rigid)", "", 0},
    {"rigid-only", OPT_FLAG, NULL, "stop after the rigid step (field = rigid transform)", NULL, 0},
    {"no-rigid", OPT_FLAG, NULL, "skip the rigid step (images already aligned)", NULL, 0},
    {"no-bspline", OPT_FLAG, NULL, "builtin engine: skip the B-spline stage (demons only)", NULL, 0},
    {"no-demons", OPT_FLAG, NULL, "builtin engine: skip the demons refinement (B-spline only)", NULL, 0},
    {"control-mm", OPT_LIST, NULL, "B-spline control-point spacing per level, coarse first (mm); default by the fixed CT: in-plane < 1.5 mm and slices <= 3 mm 40,30,20,20 (no demons), else 40,20,10 (then demons)", NULL, 0},
    {"image-mm", OPT_LIST, NULL, "B-spline working image spacing per level (mm; 0 = the CT's own); default 6,3,2,0 or 6,3,2 (see --control-mm)", NULL, 0},
    {"evals", OPT_LIST, NULL, "B-spline cost evaluations per level; default 60,60,60,40 or 60,60,60; giving --control-mm, --image-mm and --evals runs exactly that schedule", NULL, 0},
    {"lambda", OPT_NUM, "0.02", "B-spline coefficient smoothness weight", "", 0},
    {"inverse", OPT_STR, NULL, "also register moving→fixed, write that field here and report inverse consistency", NULL, 0},
    {"levels", OPT_INT, "1", "demons pyramid levels", NULL, 0},
    {"iterations", OPT_LIST, "20", "demons iterations per level, coarse first", NULL, 0},
    {"grid-mm", OPT_NUM, "2", "finest demons grid spacing in mm (0 = fixed image spacing); the field is written on this grid", "mm", 1},
    {"sigma-fluid-mm", OPT_NUM, "2.0", "demons: Gaussian sigma on each update (mm)", "mm", 1},
    {"sigma-diffusion-mm", OPT_NUM, "2.0", "demons: Gaussian sigma on the total field (mm)", "mm", 1},
    {"max-step-mm", OPT_NUM, "2.0", "demons normaliser: largest update step (mm)", "mm", 1},
    {"elastix-params", OPT_LIST, NULL, "elastix engine: parameter files in order (default data/registration/elastix_rigid.txt, elastix_bspline.txt)", NULL, 0},
    {"work-dir", OPT_STR, NULL, "elastix engine: keep its files in this directory", NULL, 0},
    {"fixed-rs", OPT_STR, NULL, "QA: RTSTRUCT of the fixed course (contours and POINT landmarks compared with --moving-rs)", NULL, 0},
    {"moving-rs", OPT_STR, NULL, "QA: RTSTRUCT of the moving course", NULL, 0},
    {"quiet", OPT_FLAG, NULL, "no progress on stderr", NULL, 0},
    {0}};

static cJSON *qa_json(const reg_qa_stats *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "voxels", (double)s->n_voxels);
  cJSON_AddNumberToObject(o, "jacobian_min", s->detj_min);
  cJSON_AddNumberToObject(o, "jacobian_max", s->detj_max);
  cJSON_AddNumberToObject(o, "jacobian_mean", s->detj_mean);
  cJSON_AddNumberToObject(o, "folded_voxels", (double)s->n_folded);
  cJSON_AddNumberToObject(o, "folded_pct", s->pct_folded);
  cJSON_AddNumberToObject(o, "displacement_mean_mm", s->mag_mean_mm);
  cJSON_AddNumberToObject(o, "displacement_max_mm", s->mag_max_mm);
  if (!isnan(s->ice_mean_mm)) {
    cJSON_AddNumberToObject(o, "ice_mean_mm", s->ice_mean_mm);
    cJSON_AddNumberToObject(o, "ice_p95_mm", s->ice_p95_mm);
    cJSON_AddNumberToObject(o, "ice_max_mm", s->ice_max_mm);
  }
  return o;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* values > 0 (or ≥ 0 with allow_zero) */
static int list_nums(const rert_args *a, const char *name, int allow_zero, double *v, int max, int *n, rert_err *err) {
  *n = cli_list_count(a, name);
  if (*n > max) return rert_err_set(err, RERT_EINPUT, "--%s: at most %d values", name, max);
  for (int i = 0; i < *n; i++) {
    char *end;
    v[i] = strtod(cli_list_item(a, name, i), &end);
    if (*end || !(v[i] > 0 || (allow_zero && v[i] == 0)))
      return rert_err_set(err, RERT_EINPUT, "--%s: bad value '%s'", name, cli_list_item(a, name, i));
  }
  return RERT_OK;
}

/* the pipeline options from the command line; `dose` grids give the region of interest */
static int pipeline_opts(const rert_args *a, int verbose, const rert_volume *mask, reg_pipeline_opts *po, rert_err *err) {
  int rc;
  reg_pipeline_opts_default(po);
  po->verbose = verbose;
  int e = reg_engine_parse(cli_str(a, "engine"));
  if (e < 0) return rert_err_set(err, RERT_EINPUT, "--engine %s: use builtin, itk or elastix", cli_str(a, "engine"));
  po->engine = (reg_engine)e;
  if ((rc = cli_num(a, "rigid-min-gain", &po->rigid.min_gain, err))) return rc;
  if (po->rigid.min_gain < 0 || po->rigid.min_gain >= 1) return rert_err_set(err, RERT_EINPUT, "--rigid-min-gain must be in [0, 1)");
  po->do_rigid = !cli_flag(a, "no-rigid");
  po->do_deformable = !cli_flag(a, "rigid-only");
  po->do_bspline = !cli_flag(a, "no-bspline");
  po->do_demons = !cli_flag(a, "no-demons");
  if (!po->do_bspline && !po->do_demons) return rert_err_set(err, RERT_EINPUT, "--no-bspline and --no-demons leave nothing to run (use --rigid-only)");
  po->body_mask = !cli_flag(a, "no-body-mask");
  po->mask = mask;
  if ((rc = cli_num(a, "crop-margin-mm", &po->margin_mm, err))) return rc;
  if (po->margin_mm < 0 || po->margin_mm > 200) return rert_err_set(err, RERT_EINPUT, "--crop-margin-mm must be in 0..200");
  /* B-spline */
  double img[8], ctl[8], ev[8];
  int ni, nc, ne;
  /* --image-mm 0 = the CT's own spacing */
  if ((rc = list_nums(a, "image-mm", 1, img, 8, &ni, err)) || (rc = list_nums(a, "control-mm", 0, ctl, 8, &nc, err)) ||
      (rc = list_nums(a, "evals", 0, ev, 8, &ne, err)))
    return rc;
  if (ni || nc || ne) { /* all three or none: one value per B-spline level each */
    if (ni != nc || ne != nc)
      return rert_err_set(err, RERT_EINPUT, "--image-mm, --control-mm and --evals need one value per B-spline level each");
    po->bspline.levels = nc;
    po->resolution_schedule = 0; /* the schedule given is the schedule run */
    for (int l = 0; l < nc; l++) po->bspline.image_mm[l] = img[l], po->bspline.control_mm[l] = ctl[l], po->bspline.max_evals[l] = (int)ev[l];
  }
  if ((rc = cli_num(a, "lambda", &po->bspline.lambda, err))) return rc;
  if (po->bspline.lambda < 0) return rert_err_set(err, RERT_EINPUT, "--lambda must be >= 0");
  /* demons */
  reg_demons_opts *o = &po->demons;
  if ((rc = cli_int(a, "levels", &o->levels, err))) return rc;
  if (o->levels < 1 || o->levels > 8) return rert_err_set(err, RERT_EINPUT, "--levels must be 1..8");
  int nit = cli_list_count(a, "iterations");
  if (nit == 0)
    for (int i = 0; i < o->levels; i++) o->iterations[i] = 20;
  else if (nit != o->levels) return rert_err_set(err, RERT_EINPUT, "--iterations needs %d values (one per level)", o->levels);
  for (int i = 0; i < nit; i++) {
    char *end;
    long v = strtol(cli_list_item(a, "iterations", i), &end, 10);
    if (*end || v < 0 || v > 10000) return rert_err_set(err, RERT_EINPUT, "--iterations: bad value '%s'", cli_list_item(a, "iterations", i));
    o->iterations[i] = (int)v;
  }
  if ((rc = cli_num(a, "grid-mm", &o->grid_mm, err)) || (rc = cli_num(a, "sigma-fluid-mm", &o->sigma_fluid_mm, err)) ||
      (rc = cli_num(a, "sigma-diffusion-mm", &o->sigma_diffusion_mm, err)) || (rc = cli_num(a, "max-step-mm", &o->max_step_mm, err)))
    return rc;
  if (!(o->max_step_mm > 0) || o->grid_mm < 0 || o->sigma_fluid_mm < 0 || o->sigma_diffusion_mm < 0)
    return rert_err_set(err, RERT_EINPUT, "--max-step-mm must be > 0; grid and sigmas >= 0");
  /* elastix */
  int np = cli_list_count(a, "elastix-params");
  if (np > 4) return rert_err_set(err, RERT_EINPUT, "--elastix-params: at most 4 files");
  for (int i = 0; i < np; i++) po->elastix_params[i] = cli_list_item(a, "elastix-params", i);
  po->nelastix_params = np;
  po->work_dir = cli_str(a, "work-dir");
  /* region of interest */
  int nd = cli_list_count(a, "dose");
  if (nd > 8) return rert_err_set(err, RERT_EINPUT, "--dose: at most 8 grids");
  for (int i = 0; i < nd; i++) {
    rert_volume d;
    if ((rc = regcli_load_image(cli_list_item(a, "dose", i), &d, err))) return rc;
    regcli_world_box(&d, po->roi_lo[i], po->roi_hi[i]);
    volume_free(&d);
  }
  po->nroi = nd;
  return RERT_OK;
}

/* the QA inputs rert register has: both CTs, the region (first --dose grid or the field's grid),
 * the pipeline's rigid baseline, and the structure sets when given */
static int run_qa(const rert_args *a, const rert_volume *F, const rert_volume *M, const rert_vfield *field,
                  const double *mrig, const rert_vfield *back, reg_qa_report *qr, reg_qa_stats *qs, rert_err *err) {
  rert_volume region;
  memset(&region, 0, sizeof region);
  int rc = RERT_OK;
  if (cli_list_count(a, "dose")) {
    rc = regcli_load_image(cli_list_item(a, "dose", 0), &region, err);
    volume_free(&region); /* geometry only: every voxel of the dose grid counts */
  } else {
    reg_vfield_geometry(field, &region);
  }
  rert_structure_set sf, sm;
  int hf = 0, hm = 0;
  if (!rc && cli_str(a, "fixed-rs")) rc = regcli_load_rtstruct(cli_str(a, "fixed-rs"), &sf, err), hf = !rc;
  if (!rc && cli_str(a, "moving-rs")) rc = regcli_load_rtstruct(cli_str(a, "moving-rs"), &sm, err), hm = !rc;
  if (!rc) {
    reg_qa_input in;
    memset(&in, 0, sizeof in);
    in.field = field, in.fixed_ct = F, in.moving_ct = M, in.region = &region;
    in.rigid_fixed_to_moving = mrig;
    in.ss_fixed = hf && hm ? &sf : NULL, in.ss_moving = hf && hm ? &sm : NULL;
    rc = reg_qa_run(&in, NULL, qr, err);
  }
  if (!rc) rc = reg_qa_field(field, back && back->u_mm ? back : NULL, NULL, qs, err);
  if (hf) rtdata_free_structure_set(&sf);
  if (hm) rtdata_free_structure_set(&sm);
  return rc;
}

static int run(const rert_args *a, rert_err *err) {
  const char *fp = cli_str(a, "fixed"), *mp = cli_str(a, "moving"), *out = cli_str(a, "out");
  if (!fp || !mp || !out) return rert_err_set(err, RERT_EINPUT, "--fixed, --moving and --out are required");
  if (imageio_format_of(out) == IMAGEIO_FMT_UNKNOWN)
    return rert_err_set(err, RERT_EINPUT, "--out %s: use .mha, .mhd, .nii or .nii.gz", out);
  if ((cli_str(a, "fixed-rs") != NULL) != (cli_str(a, "moving-rs") != NULL))
    return rert_err_set(err, RERT_EINPUT, "--fixed-rs and --moving-rs go together");
  int verbose = !cli_flag(a, "quiet");
  char warped_p[4096], qa_p[4096];
  if (cli_str(a, "warped")) snprintf(warped_p, sizeof warped_p, "%s", cli_str(a, "warped"));
  else regcli_derive(out, "_warped.mha", warped_p, sizeof warped_p);
  if (cli_str(a, "qa")) snprintf(qa_p, sizeof qa_p, "%s", cli_str(a, "qa"));
  else regcli_derive(out, "_qa.json", qa_p, sizeof qa_p);
  {
    /* outputs are checked before any work (never an input, each path once; rert/fileio.h) */
    char mask_file[4096] = "";
    if (cli_str(a, "mask")) regcli_mask_file(cli_str(a, "mask"), mask_file, sizeof mask_file);
    const char *outs[] = {out, warped_p, qa_p, cli_str(a, "inverse")};
    const char *names[] = {"--out", "--warped", "--qa", "--inverse"};
    const char *ins[] = {fp, mp, mask_file, cli_str(a, "fixed-rs"), cli_str(a, "moving-rs")};
    int rc0 = fileio_check_outputs(outs, names, 4, ins, 5, err);
    if (rc0) return rc0;
  }
  rert_volume F, M, mask, W, fg;
  memset(&mask, 0, sizeof mask), memset(&W, 0, sizeof W);
  rert_vfield field, back;
  memset(&field, 0, sizeof field), memset(&back, 0, sizeof back);
  cJSON *root = NULL;
  int rc = regcli_load_image(fp, &F, err);
  if (rc) return rc;
  rc = regcli_load_image(mp, &M, err);
  if (rc) {
    volume_free(&F);
    return rc;
  }
  const rert_volume *mk = NULL;
  if (cli_str(a, "mask")) {
    rc = regcli_load_mask(cli_str(a, "mask"), &F, &mask, err);
    if (rc) goto done;
    mk = &mask;
  }
  double t0 = now_s();
  if (verbose) fprintf(stderr, "rert register: fixed %dx%dx%d, moving %dx%dx%d\n", F.nx, F.ny, F.nz, M.nx, M.ny, M.nz);
  reg_pipeline_opts po;
  reg_pipeline_report rep;
  if ((rc = pipeline_opts(a, verbose, mk, &po, err))) goto done;
  if ((rc = reg_pipeline_run(&F, &M, &po, &field, &rep, err))) goto done;
  double t_fwd = now_s() - t0;
  const char *inv_p = cli_str(a, "inverse");
  if (inv_p) {
    if (verbose) fprintf(stderr, "rert register: reverse registration (moving → fixed) for inverse consistency\n");
    reg_pipeline_report rep2;
    po.mask = NULL;
    /* the region of interest in moving coordinates: the boxes through the rigid map */
    for (int q = 0; q < po.nroi; q++) {
      double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
      for (int c = 0; c < 8; c++) {
        double x[3] = {c & 1 ? po.roi_hi[q][0] : po.roi_lo[q][0], c & 2 ? po.roi_hi[q][1] : po.roi_lo[q][1],
                       c & 4 ? po.roi_hi[q][2] : po.roi_lo[q][2]}, y[3];
        reg_affine_apply(rep.m_fixed_to_moving, x, y);
        for (int d = 0; d < 3; d++) lo[d] = y[d] < lo[d] ? y[d] : lo[d], hi[d] = y[d] > hi[d] ? y[d] : hi[d];
      }
      memcpy(po.roi_lo[q], lo, sizeof lo), memcpy(po.roi_hi[q], hi, sizeof hi);
    }
    if ((rc = reg_pipeline_run(&M, &F, &po, &back, &rep2, err))) goto done;
  }
  /* QA (the same checks as rert regqa and the consult) */
  reg_qa_report qr;
  reg_qa_stats qs;
  if (verbose) fprintf(stderr, "rert register: QA\n");
  if ((rc = run_qa(a, &F, &M, &field, po.do_rigid ? rep.m_fixed_to_moving : NULL, &back, &qr, &qs, err))) goto done;
  /* the moving CT resampled onto the field's grid (the registered region) */
  reg_vfield_geometry(&field, &fg);
  if ((rc = reg_warp_volume_to(&M, &field, &fg, REG_INTERP_LINEAR, -1000.0f, &W, err))) goto done;
  /* every output or none: the writes are staged and renamed into place together */
  if ((rc = fileio_txn_begin(err))) goto done;
  rc = imageio_write_vfield(out, &field, err);
  if (!rc) rc = imageio_write_volume(warped_p, &W, err);
  if (!rc && inv_p) rc = imageio_write_vfield(inv_p, &back, err);
  if (rc) {
    fileio_txn_abort();
    goto done;
  }
  root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "fixed", fp);
  cJSON_AddStringToObject(root, "moving", mp);
  cJSON_AddStringToObject(root, "field", out);
  cJSON_AddStringToObject(root, "convention", "pull-back: moving point = x + u(x), x on the fixed grid (LPS mm)");
  cJSON_AddStringToObject(root, "warped", warped_p);
  cJSON_AddStringToObject(root, "engine", reg_engine_name(po.engine));
  cJSON_AddStringToObject(root, "method", rep.description);
  cJSON *rm = cJSON_AddArrayToObject(root, "rigid_fixed_to_moving");
  for (int q = 0; q < 16; q++) cJSON_AddItemToArray(rm, cJSON_CreateNumber(rep.m_fixed_to_moving[q]));
  cJSON_AddBoolToObject(root, "rigid_only", cli_flag(a, "rigid-only"));
  cJSON *reg = cJSON_AddObjectToObject(root, "region");
  cJSON *lo = cJSON_AddArrayToObject(reg, "lo_mm"), *hi = cJSON_AddArrayToObject(reg, "hi_mm"), *dm = cJSON_AddArrayToObject(reg, "dims");
  for (int q = 0; q < 3; q++) {
    cJSON_AddItemToArray(lo, cJSON_CreateNumber(rep.crop_lo[q]));
    cJSON_AddItemToArray(hi, cJSON_CreateNumber(rep.crop_hi[q]));
    cJSON_AddItemToArray(dm, cJSON_CreateNumber(rep.crop_dims[q]));
  }
  cJSON_AddNumberToObject(reg, "body_mask_voxels", (double)rep.body_voxels);
  cJSON_AddItemToObject(root, "field_qa", qa_json(&qs));
  cJSON_AddItemToObject(root, "qa", reg_qa_report_json(&qr));
  cJSON_AddNumberToObject(root, "seconds", t_fwd);
  cJSON_AddNumberToObject(root, "seconds_rigid", rep.seconds_rigid);
  cJSON_AddNumberToObject(root, "seconds_deformable", rep.seconds_deformable);
  char *txt = json_print_full(root, 1);
  rc = txt ? atomic_write_buffer(qa_p, txt, strlen(txt), err) : rert_err_set(err, RERT_EINTERNAL, "out of memory");
  free(txt);
  if (!rc) rc = fileio_txn_commit(err);
  else fileio_txn_abort();
  if (rc) goto done;
  if (cli_json(a)) {
    cli_print_json(root);
    root = NULL;
  } else {
    printf("field      %s (%dx%dx%d, %.2f x %.2f x %.2f mm)\nwarped     %s\nqa         %s\nmethod     %s\n", out, field.nx,
           field.ny, field.nz, field.spacing_mm[0], field.spacing_mm[1], field.spacing_mm[2], warped_p, qa_p, rep.description);
    printf("det J      min %.3f  max %.3f  folded %.4f %% (field grid)\n", qs.detj_min, qs.detj_max, qs.pct_folded);
    printf("|u|        mean %.2f mm  max %.2f mm\n", qs.mag_mean_mm, qs.mag_max_mm);
    if (inv_p) printf("ICE        mean %.2f mm  p95 %.2f mm  max %.2f mm\n", qs.ice_mean_mm, qs.ice_p95_mm, qs.ice_max_mm);
    reg_qa_report_print(&qr, "", stdout);
    printf("time       %.1f s (rigid %.1f s, deformable %.1f s)\n", t_fwd, rep.seconds_rigid, rep.seconds_deformable);
  }
  if (qr.overall == REG_QA_FAIL) {
    char ids[200];
    reg_qa_failed_ids(&qr, ids, sizeof ids);
    rc = rert_err_set(err, RERT_EVERDICT, "%s: registration QA failed (%s); outputs written, see %s", out, ids, qa_p);
    fprintf(stderr, "rert: %s\n", err->msg); /* verdicts are not printed by the CLI */
  }
done:
  cJSON_Delete(root);
  rtdata_free_vfield(&field), rtdata_free_vfield(&back);
  volume_free(&F), volume_free(&M), volume_free(&mask), volume_free(&W);
  return rc;
}

const rert_cmd rert_cmd_register = {
    "register",
    "deformable CT→CT registration where the dose is (rigid, B-spline, demons; ITK or elastix engines) with QA",
    "",
    "Registers the moving CT onto the fixed CT: intensity-based rigid alignment (multi-resolution "
    "Levenberg-Marquardt on HU differences); then, on the union of the --dose grids plus "
    "--crop-margin-mm (default: the body), with a BODY mask, a multi-resolution cubic B-spline "
    "(SSD, L-BFGS from ITK's numerics) refined by diffeomorphic demons; the rest of the body is "
    "registered by coarse demons and the region pasted in. --engine itk uses ITK's diffeomorphic "
    "demons, --engine elastix runs Debian's elastix with the project's parameter files. The field "
    "lives on the fixed side and PULLS: for fixed point x the moving point is x + u(x) "
    "(ITK/plastimatch/elastix convention), so `rert warp --field` maps a moving-course dose onto "
    "the fixed anatomy. Also writes the moving CT resampled onto the fixed grid and a QA summary: "
    "Jacobian, folding, and the decisive QA of `rert regqa` (similarity against rigid, direction, "
    "coverage, contours and landmarks with --fixed-rs/--moving-rs); exit 1 when it fails.",
    OPTS,
    "rert register --fixed ct2024.mha --moving ct2019.mha --out u.mha\n"
    "rert register --fixed ct2024.mha --moving ct2019.mha --out u.mha --mask body.mha --inverse w.mha\n"
    "rert register --fixed CT2/ --moving CT1/ --dose RD2.dcm --dose RD1.dcm --fixed-rs RS2.dcm --moving-rs RS1.dcm --out u.mha",
    0, 0, run};
