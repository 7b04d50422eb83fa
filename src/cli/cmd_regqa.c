/* cmd_regqa.c — `rert regqa`: registration QA quantities of AAPM TG-132 for a deformation field:
 * Jacobian determinant statistics and folding, inverse-consistency error (with the reverse
 * field), intensity similarity before/after, landmark TRE and per-ROI mean displacement. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/reg_cli.h"
#include "rert/fileio.h"
#include "rert/imageio.h"
#include "rert/regqa.h"

static const rert_opt OPTS[] = {
    {"field", OPT_STR, NULL, "pull-back field on the fixed grid (.mha/.nii)", NULL, 0},
    {"inverse", OPT_STR, NULL, "reverse (moving→fixed) field for the inverse-consistency error", NULL, 0},
    {"fixed", OPT_STR, NULL, "fixed image, for HU similarity before/after", NULL, 0},
    {"moving", OPT_STR, NULL, "moving image, for HU similarity before/after", NULL, 0},
    {"mask", OPT_STR, NULL, "restrict statistics to this mask: image (nonzero inside) or RTSTRUCT.dcm:ROI", NULL, 0},
    {"landmarks", OPT_STR, NULL, "CSV of landmark pairs: [name,]x_f,y_f,z_f,x_m,y_m,z_m (LPS mm)", NULL, 0},
    {"roi", OPT_LIST, NULL, "NAME=mask.mha or NAME=RTSTRUCT.dcm:ROI: per-ROI mean displacement and Jacobian (repeatable)", NULL, 0},
    {"truth", OPT_STR, NULL, "reference (e.g. ground-truth) field: vector error mean/p95/max inside --mask and each --roi", NULL, 0},
    {"jacobian", OPT_STR, NULL, "write the Jacobian determinant map here", NULL, 0},
    {"max-folded-pct", OPT_NUM, NULL, "verdict: exit 1 if more voxels than this percentage fold", "", 0},
    {"fixed-rs", OPT_STR, NULL, "RTSTRUCT of the fixed course: propagated-contour Dice/distance and POINT-landmark TRE against --moving-rs", NULL, 0},
    {"moving-rs", OPT_STR, NULL, "RTSTRUCT of the moving course", NULL, 0},
    {"region", OPT_STR, NULL, "grid where doses are mapped (e.g. the reference RTDOSE): the decisive checks are evaluated there (default: the field's grid at >= 2 mm)", NULL, 0},
    {"moving-dose", OPT_STR, NULL, "the moving course's RTDOSE: its frame of reference, and its grid as the moving extent when there is no --moving CT", NULL, 0},
    {0}};

static cJSON *num_obj(const char **k, const double *v, int n) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; i < n; i++) cJSON_AddNumberToObject(o, k[i], isfinite(v[i]) ? v[i] : 0);
  return o;
}

/* the inputs of the decisive QA from the command line */
static int decisive_qa(const rert_args *a, const char *fp, const rert_vfield *u, reg_qa_report *qr, rert_err *err) {
  rert_volume F, M, region, mdose;
  memset(&F, 0, sizeof F), memset(&M, 0, sizeof M), memset(&region, 0, sizeof region), memset(&mdose, 0, sizeof mdose);
  char ff[RERT_UID_LEN] = "", mf[RERT_UID_LEN] = "", rf[RERT_UID_LEN] = "", df[RERT_UID_LEN] = "";
  char regf[RERT_UID_LEN] = "", regm[RERT_UID_LEN] = "";
  rert_structure_set sf, sm;
  int hf = 0, hm = 0, rc = RERT_OK;
  if (cli_str(a, "fixed") && cli_str(a, "moving")) {
    if (!rc) rc = regcli_load_image_frame(cli_str(a, "fixed"), &F, ff, err);
    if (!rc) rc = regcli_load_image_frame(cli_str(a, "moving"), &M, mf, err);
  }
  if (!rc && cli_str(a, "region")) {
    rc = regcli_load_image_frame(cli_str(a, "region"), &region, rf, err);
    volume_free(&region); /* geometry only */
  } else if (!rc) {
    rert_volume g;
    reg_vfield_geometry(u, &g);
    regcli_coarse_geometry(&g, 2.0, &region);
  }
  if (!rc && cli_str(a, "moving-dose")) rc = regcli_load_image_frame(cli_str(a, "moving-dose"), &mdose, df, err);
  if (!rc && cli_str(a, "fixed-rs") && cli_str(a, "moving-rs")) {
    rc = regcli_load_rtstruct(cli_str(a, "fixed-rs"), &sf, err);
    hf = !rc;
    if (!rc) rc = regcli_load_rtstruct(cli_str(a, "moving-rs"), &sm, err), hm = !rc;
  }
  if (!rc) regcli_field_frames(fp, regf, regm);
  if (!rc) {
    reg_qa_input in;
    memset(&in, 0, sizeof in);
    in.field = u;
    in.fixed_ct = F.data ? &F : NULL, in.moving_ct = M.data ? &M : NULL;
    in.region = &region;
    in.moving_extent = mdose.data ? &mdose : NULL;
    in.ss_fixed = hf && hm ? &sf : NULL, in.ss_moving = hf && hm ? &sm : NULL;
    in.frame_fixed_ct = ff, in.frame_moving_ct = mf, in.frame_fixed_dose = rf, in.frame_moving_dose = df;
    in.reg_frame_fixed = regf, in.reg_frame_moving = regm;
    rc = reg_qa_run(&in, NULL, qr, err);
  }
  if (hf) rtdata_free_structure_set(&sf);
  if (hm) rtdata_free_structure_set(&sm);
  volume_free(&F), volume_free(&M), volume_free(&mdose);
  return rc;
}

static int run(const rert_args *a, rert_err *err) {
  const char *fp = cli_str(a, "field");
  if (!fp) return rert_err_set(err, RERT_EINPUT, "--field is required");
  if ((cli_str(a, "fixed") != NULL) != (cli_str(a, "moving") != NULL))
    return rert_err_set(err, RERT_EINPUT, "--fixed and --moving go together");
  if ((cli_str(a, "fixed-rs") != NULL) != (cli_str(a, "moving-rs") != NULL))
    return rert_err_set(err, RERT_EINPUT, "--fixed-rs and --moving-rs go together");
  if (cli_str(a, "jacobian")) {
    /* the output is checked before any work: never an input (rert/fileio.h) */
    char mask_file[4096] = "";
    if (cli_str(a, "mask")) regcli_mask_file(cli_str(a, "mask"), mask_file, sizeof mask_file);
    const char *ins[12 + 64] = {fp, cli_str(a, "inverse"), cli_str(a, "fixed"), cli_str(a, "moving"), mask_file,
                                cli_str(a, "landmarks"), cli_str(a, "truth"), cli_str(a, "fixed-rs"), cli_str(a, "moving-rs"),
                                cli_str(a, "region"), cli_str(a, "moving-dose")};
    char roi_files[64][1024];
    int nin = 11;
    for (int q = 0; q < cli_list_count(a, "roi") && q < 64; q++) {
      const char *eq = strchr(cli_list_item(a, "roi", q), '=');
      regcli_mask_file(eq ? eq + 1 : "", roi_files[q], sizeof roi_files[q]);
      ins[nin++] = roi_files[q];
    }
    const char *outs[] = {cli_str(a, "jacobian")}, *names[] = {"--jacobian"};
    int rc0 = fileio_check_outputs(outs, names, 1, ins, nin, err);
    if (rc0) return rc0;
  }
  rert_vfield u, w, tr;
  memset(&w, 0, sizeof w), memset(&tr, 0, sizeof tr);
  rert_volume tgrid;
  memset(&tgrid, 0, sizeof tgrid);
  rert_volume grid, mask, F, M, W, R0, dj;
  memset(&mask, 0, sizeof mask), memset(&F, 0, sizeof F), memset(&M, 0, sizeof M), memset(&W, 0, sizeof W);
  memset(&R0, 0, sizeof R0), memset(&dj, 0, sizeof dj);
  int rc = regcli_load_field(fp, NULL, &u, err);
  if (rc) return rc;
  reg_vfield_geometry(&u, &grid);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "field", fp);
  if (cli_str(a, "inverse") && (rc = regcli_load_field(cli_str(a, "inverse"), NULL, &w, err))) goto done;
  if (cli_str(a, "mask")) {
    if ((rc = regcli_load_mask(cli_str(a, "mask"), &grid, &mask, err))) goto done;
  }
  reg_qa_stats s;
  if ((rc = reg_qa_field(&u, w.u_mm ? &w : NULL, mask.data ? &mask : NULL, &s, err))) goto done;
  {
    const char *k[] = {"voxels", "jacobian_min", "jacobian_max", "jacobian_mean", "folded_voxels", "folded_pct",
                       "displacement_mean_mm", "displacement_max_mm"};
    double v[] = {(double)s.n_voxels, s.detj_min, s.detj_max, s.detj_mean, (double)s.n_folded, s.pct_folded,
                  s.mag_mean_mm, s.mag_max_mm};
    cJSON_AddItemToObject(root, "field_qa", num_obj(k, v, 8));
    if (w.u_mm) {
      const char *k2[] = {"mean_mm", "p95_mm", "max_mm"};
      double v2[] = {s.ice_mean_mm, s.ice_p95_mm, s.ice_max_mm};
      cJSON_AddItemToObject(root, "inverse_consistency", num_obj(k2, v2, 3));
    }
  }
  if (!cli_json(a)) {
    printf("field          %s (%dx%dx%d)\n", fp, u.nx, u.ny, u.nz);
    printf("det J          min %.3f  mean %.3f  max %.3f\n", s.detj_min, s.detj_mean, s.detj_max);
    printf("folding        %zu voxels (%.4f %%)\n", s.n_folded, s.pct_folded);
    printf("|u|            mean %.2f mm  max %.2f mm\n", s.mag_mean_mm, s.mag_max_mm);
    if (w.u_mm) printf("ICE            mean %.2f mm  p95 %.2f mm  max %.2f mm\n", s.ice_mean_mm, s.ice_p95_mm, s.ice_max_mm);
  }
  /* written at the end, when every other input has been read */
  if (cli_str(a, "jacobian") && (rc = reg_vfield_jacobian(&u, &dj, err))) goto done;
  if (cli_str(a, "landmarks")) {
    double *fx = NULL, *mx = NULL;
    int n = 0;
    if ((rc = reg_landmarks_read_csv(cli_str(a, "landmarks"), &fx, &mx, &n, err))) goto done;
    double *per = malloc(sizeof(double) * n);
    reg_tre t;
    rc = per ? reg_landmark_tre(&u, fx, mx, n, per, &t, err) : rert_err_set(err, RERT_EINTERNAL, "out of memory");
    if (!rc) {
      const char *k[] = {"n", "mean_mm", "sd_mm", "p95_mm", "max_mm"};
      double v[] = {t.n, t.mean_mm, t.sd_mm, t.p95_mm, t.max_mm};
      cJSON *o = num_obj(k, v, 5);
      cJSON *arr = cJSON_AddArrayToObject(o, "per_point_mm");
      for (int q = 0; q < n; q++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(per[q]));
      cJSON_AddItemToObject(root, "landmark_tre", o);
      if (!cli_json(a))
        printf("landmark TRE   n=%d  mean %.2f ± %.2f mm  p95 %.2f  max %.2f mm\n", t.n, t.mean_mm, t.sd_mm, t.p95_mm, t.max_mm);
    }
    free(fx), free(mx), free(per);
    if (rc) goto done;
  }
  if (cli_str(a, "truth")) {
    if ((rc = regcli_load_field(cli_str(a, "truth"), NULL, &tr, err))) goto done;
    reg_vfield_geometry(&tr, &tgrid);
    rert_volume mt;
    memset(&mt, 0, sizeof mt);
    if (mask.data && (rc = regcli_mask_on(&mask, &tgrid, &mt, err))) goto done;
    reg_vector_error ve;
    rc = reg_vfield_error(&u, &tr, mt.data ? &mt : NULL, &ve, err);
    volume_free(&mt);
    if (rc) goto done;
    const char *k[] = {"mean_mm", "p95_mm", "max_mm", "points"};
    double v[] = {ve.mean_mm, ve.p95_mm, ve.max_mm, (double)ve.n};
    cJSON_AddItemToObject(root, "vector_error", num_obj(k, v, 4));
    if (!cli_json(a)) printf("vector error   mean %.2f  p95 %.2f  max %.2f mm over %zu points\n", ve.mean_mm, ve.p95_mm, ve.max_mm, ve.n);
  }
  int nroi = cli_list_count(a, "roi");
  if (nroi) {
    cJSON *rois = cJSON_AddArrayToObject(root, "rois");
    for (int q = 0; q < nroi; q++) {
      const char *item = cli_list_item(a, "roi", q), *eq = strchr(item, '=');
      if (!eq || eq == item || !eq[1]) {
        rc = rert_err_set(err, RERT_EINPUT, "--roi '%s': expected NAME=mask.mha", item);
        goto done;
      }
      char name[128];
      snprintf(name, sizeof name, "%.*s", (int)(eq - item), item);
      rert_volume ron;
      if ((rc = regcli_load_mask(eq + 1, &grid, &ron, err))) goto done;
      rert_volume rm_keep;
      if ((rc = volume_alloc_like(&rm_keep, &ron, err))) {
        volume_free(&ron);
        goto done;
      }
      memcpy(rm_keep.data, ron.data, sizeof(float) * volume_count(&ron));
      reg_qa_stats rs;
      rc = reg_qa_field(&u, w.u_mm ? &w : NULL, &ron, &rs, err);
      /* mean displacement VECTOR as well as magnitude (TG-132 reports both) */
      double mv[3] = {0, 0, 0};
      size_t cnt = 0;
      for (size_t i = 0; i < volume_count(&ron); i++)
        if (ron.data[i] != 0) {
          for (int c = 0; c < 3; c++) mv[c] += u.u_mm[3 * i + c];
          cnt++;
        }
      volume_free(&ron);
      if (rc) {
        volume_free(&rm_keep);
        goto done;
      }
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", name);
      cJSON_AddNumberToObject(o, "voxels", (double)rs.n_voxels);
      cJSON_AddNumberToObject(o, "mean_displacement_mm", rs.mag_mean_mm);
      cJSON *vec = cJSON_AddArrayToObject(o, "mean_vector_mm");
      for (int c = 0; c < 3; c++) cJSON_AddItemToArray(vec, cJSON_CreateNumber(cnt ? mv[c] / cnt : 0));
      cJSON_AddNumberToObject(o, "jacobian_mean", rs.detj_mean);
      cJSON_AddNumberToObject(o, "jacobian_min", rs.detj_min);
      cJSON_AddNumberToObject(o, "jacobian_max", rs.detj_max);
      if (tr.u_mm) {
        rert_volume rt;
        memset(&rt, 0, sizeof rt);
        reg_vector_error ve;
        rc = regcli_mask_on(&rm_keep, &tgrid, &rt, err);
        if (!rc) rc = reg_vfield_error(&u, &tr, &rt, &ve, err);
        volume_free(&rt);
        if (rc) {
          volume_free(&rm_keep);
          cJSON_Delete(o);
          goto done;
        }
        cJSON_AddNumberToObject(o, "vector_error_mean_mm", ve.mean_mm);
        cJSON_AddNumberToObject(o, "vector_error_p95_mm", ve.p95_mm);
        if (!cli_json(a)) printf("    %-10s vector error mean %.2f  p95 %.2f mm (%zu points)\n", name, ve.mean_mm, ve.p95_mm, ve.n);
      }
      volume_free(&rm_keep);
      cJSON_AddItemToArray(rois, o);
      if (!cli_json(a))
        printf("ROI %-10s  n=%zu  mean |u| %.2f mm  mean u (%.2f, %.2f, %.2f) mm  det J mean %.3f [%.3f, %.3f]\n", name,
               rs.n_voxels, rs.mag_mean_mm, cnt ? mv[0] / cnt : 0, cnt ? mv[1] / cnt : 0, cnt ? mv[2] / cnt : 0,
               rs.detj_mean, rs.detj_min, rs.detj_max);
    }
  }
  /* the decisive QA (rert/regqa.h): frames, coverage, folding, similarity against rigid,
   * direction, propagated contours, landmarks — whenever its inputs are given */
  int decisive = (cli_str(a, "fixed") && cli_str(a, "moving")) || (cli_str(a, "fixed-rs") && cli_str(a, "moving-rs"));
  reg_qa_report qr;
  if (decisive) {
    if ((rc = decisive_qa(a, fp, &u, &qr, err))) goto done;
    cJSON_AddItemToObject(root, "qa", reg_qa_report_json(&qr));
    if (!cli_json(a)) reg_qa_report_print(&qr, "", stdout);
  }
  if (cli_has(a, "max-folded-pct")) {
    double lim;
    if ((rc = cli_num(a, "max-folded-pct", &lim, err))) goto done;
    int pass = s.pct_folded <= lim;
    cJSON_AddBoolToObject(root, "folding_ok", pass);
    if (!cli_json(a)) printf("verdict        folding %.4f %% %s limit %.4f %%\n", s.pct_folded, pass ? "≤" : ">", lim);
    if (!pass) rc = rert_err_set(err, RERT_EVERDICT, "%s: %.4f %% of voxels fold (limit %.4f %%)", fp, s.pct_folded, lim);
  }
  if (dj.data) {
    rert_err e2;
    int wrc = imageio_write_volume(cli_str(a, "jacobian"), &dj, &e2);
    if (wrc) {
      rc = wrc;
      *err = e2;
      goto done;
    }
  }
  if (!rc && decisive && qr.overall == REG_QA_FAIL) {
    char ids[200];
    reg_qa_failed_ids(&qr, ids, sizeof ids);
    rc = rert_err_set(err, RERT_EVERDICT, "%s: registration QA failed (%s)", fp, ids);
  } else if (!rc && decisive && qr.overall == REG_QA_NOT_EVALUATED) {
    rc = rert_err_set(err, RERT_EINCOMPLETE, "%s: registration QA could not be evaluated (no check ties the field to the anatomy)", fp);
  }
  /* a verdict is a result, not an error: the CLI prints no message for it, so say it here */
  if (rc == RERT_EVERDICT || rc == RERT_EINCOMPLETE) fprintf(stderr, "rert: %s\n", err->msg);
  if (cli_json(a)) {
    cli_print_json(root);
    root = NULL;
  }
done:
  cJSON_Delete(root);
  rtdata_free_vfield(&u), rtdata_free_vfield(&w), rtdata_free_vfield(&tr);
  volume_free(&mask), volume_free(&F), volume_free(&M), volume_free(&W), volume_free(&R0), volume_free(&dj);
  return rc;
}

const rert_cmd rert_cmd_regqa = {
    "regqa",
    "registration QA (AAPM TG-132) that decides: frames, coverage, folding, similarity vs rigid, direction, contours, TRE",
    "",
    "Reports for a pull-back deformation field: Jacobian determinant min/mean/max and folded "
    "voxels (det J <= 0); the inverse-consistency error |u(x) + w(x + u(x))| when the reverse "
    "field is given; landmark TRE from a CSV of pairs; per-ROI displacement and Jacobian; the "
    "vector error against a --truth field. With --fixed and --moving CTs (and/or --fixed-rs and "
    "--moving-rs structure sets) it runs the decisive QA of docs/register.md on the --region "
    "grid (e.g. the reference RTDOSE): frames of reference, coverage of the region, folding, NCC / "
    "mean |dHU| / NMI inside BODY for no registration, the rigid baseline and the field (worse than "
    "rigid fails: a wrong pair), the direction check (the field's inverse used the same way "
    "explains the images better: exported the wrong way round), Dice and mean surface distance "
    "of the contours both courses share and the TRE of POINT ROIs of the same name. Exit 1 when a "
    "check fails, 4 when nothing ties the field to the anatomy; --max-folded-pct turns folding "
    "alone into a verdict (exit 1).",
    OPTS,
    "rert regqa --field u.mha --inverse w.mha --fixed ct2024.mha --moving ct2019.mha\n"
    "rert regqa --field u.mha --landmarks pairs.csv --roi Parotid_L=parotid_l.mha --json\n"
    "rert regqa --field u.mha --fixed ct2.mha --moving ct1.mha --fixed-rs RS2.dcm --moving-rs RS1.dcm --region RD2.dcm",
    0, 0, run};
