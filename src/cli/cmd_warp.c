/* cmd_warp.c — `rert warp`: map a dose (or image, or mask) from the moving course's anatomy onto
 * the fixed anatomy with a pull-back field: out(x) = D2(T⁻¹(x)) = D2(x + u(x)) (domain
 * reference §3.10; docs/register.md), and optional dose-mapping uncertainty bounds. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/reg_cli.h"
#include "rert/fieldcheck.h"
#include "rert/fileio.h"
#include "rert/imageio.h"

static const rert_opt OPTS[] = {
    {"moving", OPT_STR, NULL, "map to warp (dose, image or mask on the moving course's grid): RTDOSE .dcm, DICOM series dir, .mha/.nii", NULL, 0},
    {"field", OPT_STR, NULL, "pull-back field on the fixed grid (.mha/.nii as written by rert register, plastimatch --output-vf or transformix -def; or a DICOM (deformable) spatial registration .dcm)", NULL, 0},
    {"out", OPT_STR, NULL, "warped map (.mha/.nii)", NULL, 0},
    {"like", OPT_STR, NULL, "image whose grid the output uses (default: the field's grid)", NULL, 0},
    {"nearest", OPT_FLAG, NULL, "nearest-neighbour instead of trilinear interpolation", NULL, 0},
    {"mask", OPT_FLAG, NULL, "input is a binary mask: trilinear on 0/1 then threshold 0.5", NULL, 0},
    {"outside", OPT_NUM, "0", "value where x + u(x) falls outside the moving map", "", 0},
    {"radius-mm", OPT_NUM, NULL, "registration-uncertainty radius (mm): write --lower/--upper bound maps", "mm", 1},
    {"reverse-field", OPT_STR, NULL, "moving→fixed field: radius estimated per voxel from the inverse-consistency error", NULL, 0},
    {"max-radius-mm", OPT_NUM, "10", "cap on the locally estimated radius (mm)", "mm", 1},
    {"lower", OPT_STR, NULL, "output: per-voxel minimum of the warped map within the radius", NULL, 0},
    {"upper", OPT_STR, NULL, "output: per-voxel maximum of the warped map within the radius", NULL, 0},
    {0}};

static int run(const rert_args *a, rert_err *err) {
  const char *mp = cli_str(a, "moving"), *fp = cli_str(a, "field"), *op = cli_str(a, "out");
  if (!mp || !fp || !op) return rert_err_set(err, RERT_EINPUT, "--moving, --field and --out are required");
  int want_bounds = cli_has(a, "radius-mm") || cli_str(a, "reverse-field");
  if (want_bounds && (!cli_str(a, "lower") || !cli_str(a, "upper")))
    return rert_err_set(err, RERT_EINPUT, "--radius-mm/--reverse-field need --lower and --upper");
  if ((cli_str(a, "lower") || cli_str(a, "upper")) && !want_bounds)
    return rert_err_set(err, RERT_EINPUT, "--lower/--upper need --radius-mm or --reverse-field");
  double outside = 0, radius = 0, rmax = 10;
  int rc = cli_num(a, "outside", &outside, err);
  if (!rc && cli_has(a, "radius-mm")) rc = cli_num(a, "radius-mm", &radius, err);
  if (!rc) rc = cli_num(a, "max-radius-mm", &rmax, err);
  if (rc) return rc;
  if (radius < 0 || !(rmax > 0)) return rert_err_set(err, RERT_EINPUT, "--radius-mm must be ≥ 0 and --max-radius-mm > 0");
  {
    /* outputs are checked before any work: never an input, each path once (rert/fileio.h) */
    const char *outs[] = {op, cli_str(a, "lower"), cli_str(a, "upper")};
    const char *names[] = {"--out", "--lower", "--upper"};
    const char *ins[] = {mp, fp, cli_str(a, "like"), cli_str(a, "reverse-field")};
    if ((rc = fileio_check_outputs(outs, names, 3, ins, 4, err))) return rc;
    for (int i = 0; i < 3; i++)
      if (outs[i] && imageio_format_of(outs[i]) == IMAGEIO_FMT_UNKNOWN)
        return rert_err_set(err, RERT_EINPUT, "%s %s: use .mha, .mhd, .nii or .nii.gz", names[i], outs[i]);
  }
  rert_volume M, like, out, lo, hi;
  memset(&like, 0, sizeof like), memset(&out, 0, sizeof out), memset(&lo, 0, sizeof lo), memset(&hi, 0, sizeof hi);
  rert_vfield u, w;
  memset(&w, 0, sizeof w);
  if ((rc = regcli_load_image(mp, &M, err))) return rc;
  if (cli_str(a, "like") && (rc = regcli_load_image(cli_str(a, "like"), &like, err))) {
    volume_free(&M);
    return rc;
  }
  if ((rc = regcli_load_field(fp, like.data ? &like : NULL, &u, err))) {
    volume_free(&M), volume_free(&like);
    return rc;
  }
  rert_volume grid;
  reg_vfield_geometry(&u, &grid);
  if (like.data) {
    grid = like;
    grid.data = NULL;
  }
  if (cli_flag(a, "mask")) {
    rert_volume bin;
    rc = volume_alloc_like(&bin, &M, err);
    if (rc) goto done;
    for (size_t i = 0; i < volume_count(&M); i++) bin.data[i] = M.data[i] != 0;
    rc = reg_warp_volume_to(&bin, &u, &grid, REG_INTERP_LINEAR, 0.0f, &out, err);
    volume_free(&bin);
    if (!rc)
      for (size_t i = 0; i < volume_count(&out); i++) out.data[i] = out.data[i] >= 0.5f;
  } else {
    rc = reg_warp_volume_to(&M, &u, &grid, cli_flag(a, "nearest") ? REG_INTERP_NEAREST : REG_INTERP_LINEAR,
                            (float)outside, &out, err);
  }
  if (rc) goto done;
  /* on a --like grid the field is sampled where it may have no data: refuse a field that does
   * not cover the voxels the warped map reaches (rert/fieldcheck.h) */
  if (like.data && (rc = regcli_check_coverage(fp, &u, &out, "the warped map on the --like grid", err)))
    goto done;
  double ice_mean = NAN;
  if (want_bounds) {
    if (cli_str(a, "reverse-field")) {
      if ((rc = regcli_load_field(cli_str(a, "reverse-field"), &M, &w, err))) goto done;
      /* ICE of the forward field at the output grid points: |u(x) + w(x + u(x))| */
      rert_vfield ug;
      rc = reg_vfield_alloc_like(&ug, &grid, err);
      if (rc) goto done;
      rert_vfield zero;
      memcpy(&zero, &ug, sizeof zero);
      rert_vfield comp;
      /* u resampled onto the output grid: compose(zero, u) = u(x) */
      rc = reg_vfield_compose(&zero, &u, &comp, err);
      rtdata_free_vfield(&ug);
      if (rc) goto done;
      rert_volume ice;
      rc = reg_vfield_ice(&comp, &w, &ice, err);
      rtdata_free_vfield(&comp);
      if (rc) goto done;
      double s = 0;
      for (size_t i = 0; i < volume_count(&ice); i++) {
        if (radius > ice.data[i]) ice.data[i] = (float)radius; /* --radius-mm acts as a floor */
        s += ice.data[i];
        /* rounded up to 0.5 mm steps, capped at --max-radius-mm */
        double ri = ceil(ice.data[i] / 0.5 - 1e-9) * 0.5;
        ice.data[i] = (float)(ri > rmax ? rmax : ri);
      }
      ice_mean = s / (double)volume_count(&ice);
      rc = cli_flag(a, "mask") ? reg_minmax_filter_local(&out, &ice, 0.5, rmax, &lo, &hi, err)
                               : reg_bound_mapped(&M, &u, &grid, 0.0, &ice, &lo, &hi, err);
      volume_free(&ice);
    } else {
      /* doses: the extremes over the ball in the moving image's own frame (rert/register.h) */
      rc = cli_flag(a, "mask") ? reg_minmax_filter(&out, radius, &lo, &hi, err)
                               : reg_bound_mapped(&M, &u, &grid, radius, NULL, &lo, &hi, err);
    }
    if (rc) goto done;
  }
  /* every output or none: the writes are staged and renamed into place together */
  if ((rc = fileio_txn_begin(err))) goto done;
  rc = imageio_write_volume(op, &out, err);
  if (!rc && want_bounds) rc = imageio_write_volume(cli_str(a, "lower"), &lo, err);
  if (!rc && want_bounds) rc = imageio_write_volume(cli_str(a, "upper"), &hi, err);
  if (!rc) rc = fileio_txn_commit(err);
  else fileio_txn_abort();
  if (rc) goto done;
  float mn, mx;
  volume_minmax(&out, &mn, &mx);
  if (cli_json(a)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "out", op);
    cJSON_AddStringToObject(o, "convention", "out(x) = moving(x + u(x)); u on the fixed grid");
    cJSON_AddNumberToObject(o, "min", mn);
    cJSON_AddNumberToObject(o, "max", mx);
    if (want_bounds) {
      cJSON_AddStringToObject(o, "lower", cli_str(a, "lower"));
      cJSON_AddStringToObject(o, "upper", cli_str(a, "upper"));
      if (!isnan(ice_mean)) cJSON_AddNumberToObject(o, "mean_radius_mm", ice_mean);
      else cJSON_AddNumberToObject(o, "radius_mm", radius);
    }
    cli_print_json(o);
  } else {
    printf("warped %s → %s (%dx%dx%d), range [%g, %g]\n", mp, op, out.nx, out.ny, out.nz, mn, mx);
    if (want_bounds) printf("bounds %s, %s (%s)\n", cli_str(a, "lower"), cli_str(a, "upper"),
                            isnan(ice_mean) ? "fixed radius" : "local radius from inverse consistency");
  }
done:
  volume_free(&M), volume_free(&like), volume_free(&out), volume_free(&lo), volume_free(&hi);
  rtdata_free_vfield(&u), rtdata_free_vfield(&w);
  return rc;
}

const rert_cmd rert_cmd_warp = {
    "warp",
    "map a dose/image/mask onto the fixed anatomy with a deformation field",
    "",
    "Pull-back mapping: out(x) = moving(x + u(x)) where u is defined on the fixed (reference) grid, "
    "i.e. D2(T^-1(x)) with T the tissue mapping moving → fixed (domain reference 3.10). This is the "
    "direction of fields written by `rert register`, `plastimatch register --output-vf` and "
    "`transformix -def all` (deformationField). Trilinear by default. With --radius-mm (or "
    "--reverse-field, which sets a per-voxel radius from the inverse-consistency error) the "
    "per-voxel min and max of the mapped dose within that radius are written as lower/upper "
    "bound maps for worst-case constraint evaluation: taken over the ball around x + u(x) in the "
    "moving image itself (its nodes inside the ball, and its surface along 26 directions at "
    "radius/0.886, so a linear dose gets at least radius x its gradient; 0 outside the image).",
    OPTS,
    "rert warp --moving dose2019.mha --field u.mha --out dose2019_on_2024.mha\n"
    "rert warp --moving dose2019.mha --field u.mha --out d.mha --radius-mm 3 --lower dlo.mha --upper dhi.mha",
    0, 0, run};
