/* cmd_accumulate.c — `rert accumulate CASE.json --out DIR`: per-course EQD2, recovered prior,
 * cumulative EQD2 and α/β maps (and, with --protocol, the remaining-tolerance and maximum
 * new-dose maps) written as labelled RTDOSE (domain-reference §1.1, §1.2, §3, §3.10). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/accum_cli.h"
#include "rert/data.h"
#include "rert/dicomio.h"
#include "rert/fileio.h"

/* RTDOSE cannot hold NaN or negative values: NaN ("no limit") is written as 0 and said so. */
static int write_map(const rert_outdir *od, const char *file, const rert_volume *v, const accum_case *ac,
                     int course, const char *note, cJSON *files, rert_err *err) {
  char path[4200], final[4200];
  snprintf(path, sizeof path, "%s/%s", od->work, file);
  snprintf(final, sizeof final, "%s/%s", od->final, file);
  rert_volume w;
  if (volume_alloc_like(&w, v, err)) return RERT_EINTERNAL;
  size_t N = volume_count(v), nans = 0;
  for (size_t i = 0; i < N; i++) {
    float x = v->data[i];
    if (isnan(x)) { nans++; x = 0; }
    w.data[i] = x < 0 ? 0 : x;
  }
  if (nans) {
    size_t L = strlen(w.meta.description);
    snprintf(w.meta.description + L, sizeof w.meta.description - L, "; %zu unconstrained voxels written as 0", nans);
  }
  io_write_opts o = {.note = note, .software = NULL};
  /* the plans it derives from: one course, or every course with a plan */
  const char *uids[ACCUM_MAX_COURSES];
  int nu = 0;
  for (int c = 0; c < ac->in.ncourses; c++)
    if ((course < 0 || c == course) && ac->plan_uid[c][0]) uids[nu++] = ac->plan_uid[c];
  int rc = io_write_derived_dose(path, &w, &ac->reference_ident, nu ? uids : NULL, nu, &o, NULL, err);
  if (!rc) {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "file", final);
    cJSON_AddStringToObject(f, "description", w.meta.description);
    cJSON_AddItemToArray(files, f);
  }
  volume_free(&w);
  return rc;
}

static double struct_max(const rert_volume *v, const rert_volume *mask) {
  double m = NAN;
  if (!mask || !mask->data) return m;
  size_t N = volume_count(v);
  for (size_t i = 0; i < N; i++)
    if (mask->data[i] >= 0.5f && !(v->data[i] <= m)) m = v->data[i];
  return m;
}

/* smallest non-NaN value inside the structure (the binding voxel of a budget map) */
static double struct_min(const rert_volume *v, const rert_volume *mask) {
  double m = NAN;
  if (!mask || !mask->data) return m;
  size_t N = volume_count(v);
  for (size_t i = 0; i < N; i++)
    if (mask->data[i] > 0 && !isnan(v->data[i]) && !(v->data[i] >= m)) m = v->data[i];
  return m;
}

static int run(const rert_args *a, rert_err *err) {
  const char *out = cli_str(a, "out");
  if (!out) return rert_err_set(err, RERT_EINPUT, "--out DIR is required");
  /* --out is checked (new, empty or an earlier rert output; not an input) before any work, and
   * everything is written into a staging directory that replaces it only at the end */
  rert_outdir od;
  {
    rert_case c0;
    if (casefile_load(cli_pos(a, 0), &c0, err)) return RERT_EINPUT;
    const char *in[RERT_CASE_MAX_INPUTS];
    int nin = casefile_input_paths(&c0, in, RERT_CASE_MAX_INPUTS);
    int rc0 = fileio_outdir_begin(&od, out, "--out", in, nin, err);
    casefile_free(&c0);
    if (rc0) return rc0;
  }
  rert_case cf;
  accum_case *ac = calloc(1, sizeof *ac);
  accum_result *res = calloc(1, sizeof *res);
  if (!ac || !res) {
    free(ac), free(res);
    fileio_outdir_abort(&od);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  rert_protocol *ps = NULL;
  int np = 0, bfx = 0;
  int rc = accum_cli_load(a, &cf, ac, cli_has(a, "protocol") ? &ps : NULL, &np, err);
  if (rc) { free(ac); free(res); fileio_outdir_abort(&od); return rc; }
  if (cli_has(a, "protocol")) {
    if (np != 1) rc = rert_err_set(err, RERT_EINPUT, "accumulate: give exactly one --protocol for the budget maps");
    if (!rc && cli_int(a, "budget-fractions", &bfx, err)) rc = RERT_EINPUT;
    if (!rc && bfx < 1) rc = rert_err_set(err, RERT_EINPUT, "--budget-fractions must be >= 1");
  }
  if (!rc) rc = accumulate_run(&ac->in, res, err);
  const int bed = cli_flag(a, "bed");
  /* compute everything before writing anything: bad input never leaves partial output */
  rert_volume rem = {0}, mx = {0}, cum_lo = {0}, cum_hi = {0};
  accum_result *bres = NULL;
  int bfpd = 1;
  double bih = NAN;
  if (!rc && np == 1) {
    if (cli_int(a, "budget-fractions-per-day", &bfpd, err)) rc = RERT_EINPUT;
    if (!rc && cli_num(a, "budget-interval-h", &bih, err)) rc = RERT_EINPUT;
    if (!rc) rc = accumulate_budget(&ac->in, &ps[0], bfx, bfpd, bih, &rem, &mx, err);
  }
  if (!rc && ac->uncertainty_mm > 0) {
    /* cumulative maps with every prior course at its lower / upper bound */
    bres = calloc(2, sizeof *bres);
    accum_input *bi = malloc(sizeof *bi);
    if (!bres || !bi) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    for (int b = 0; b < 2 && !rc; b++) {
      *bi = ac->in;
      accum_input_select_bound(bi, b); /* dose and fraction-group maps */
      rc = accumulate_run(bi, &bres[b], err);
    }
    free(bi);
    if (!rc) {
      bres[0].cumulative.meta.bound = BOUND_LOWER;
      bres[1].cumulative.meta.bound = BOUND_UPPER;
    }
  }
  /* --bed: BED = EQD2·(1 + 2/(α/β)) voxel by voxel with the α/β map (same rule, same recovery) */
  if (!rc && bed) {
    rert_volume *maps[ACCUM_MAX_COURSES + 4];
    int nm = 0;
    for (int c = 0; c < ac->in.ncourses; c++) maps[nm++] = &res->course_eqd2[c];
    maps[nm++] = &res->recovered_prior;
    maps[nm++] = &res->cumulative;
    if (bres) { maps[nm++] = &bres[0].cumulative; maps[nm++] = &bres[1].cumulative; }
    const float *abm = res->alpha_beta.data;
    size_t N = volume_count(&res->alpha_beta);
    for (int m = 0; m < nm; m++) {
      float *x = maps[m]->data;
#pragma omp parallel for schedule(static)
      for (size_t v = 0; v < N; v++) x[v] = (float)(x[v] * (1.0 + 2.0 / abm[v]));
      maps[m]->meta.quantity = QTY_BED;
      maps[m]->meta.eqdx_ref_gy = 0;
      char *d = maps[m]->meta.description, *q = strstr(d, "EQD2");
      if (q) memcpy(q, "BED ", 4);
    }
  }
  const char *qn = bed ? "BED" : "EQD2";
  cJSON *root = cJSON_CreateObject(), *files = cJSON_CreateArray();
  char note[1536], ovn[1024];
  gate_overrides_note(ac->gate, ovn, sizeof ovn);
  snprintf(note, sizeof note, "rert accumulate %s; %s%s%s", cf.path, res->rule_text, ovn[0] ? "; " : "", ovn);
  /* a point-dose case has no DICOM geometry: only accumulate.json is written */
  const int point_case = !ac->reference_ident.frame_of_reference_uid[0];
  for (int c = 0; c < ac->in.ncourses && !rc && !point_case; c++) {
    char f[128];
    snprintf(f, sizeof f, "%s_%s.dcm", qn, ac->in.courses[c].id);
    rc = write_map(&od, f, &res->course_eqd2[c], ac, c, note, files, err);
  }
  char fn[64];
  snprintf(fn, sizeof fn, "%s_recovered_prior.dcm", qn);
  if (!rc && !point_case) rc = write_map(&od, fn, &res->recovered_prior, ac, -1, note, files, err);
  snprintf(fn, sizeof fn, "%s_cumulative.dcm", qn);
  if (!rc && !point_case) rc = write_map(&od, fn, &res->cumulative, ac, -1, note, files, err);
  if (!rc && !point_case) rc = write_map(&od, "alpha_beta.dcm", &res->alpha_beta, ac, -1, note, files, err);
  snprintf(fn, sizeof fn, "%s_cumulative_lower.dcm", qn);
  if (!rc && bres && !point_case) rc = write_map(&od, fn, &bres[0].cumulative, ac, -1, note, files, err);
  snprintf(fn, sizeof fn, "%s_cumulative_upper.dcm", qn);
  if (!rc && bres && !point_case) rc = write_map(&od, fn, &bres[1].cumulative, ac, -1, note, files, err);
  if (!rc && np == 1 && !point_case) {
    char f[128];
    rc = write_map(&od, "remaining_EQD2.dcm", &rem, ac, -1, note, files, err);
    snprintf(f, sizeof f, "max_new_dose_%dfx.dcm", bfx);
    if (!rc) rc = write_map(&od, f, &mx, ac, -1, note, files, err);
  }
  if (!rc) {
    cJSON_AddStringToObject(root, "case", cf.path);
    cJSON_AddItemToObject(root, "checks", gate_checks_json(ac->gate));
    cJSON_AddBoolToObject(root, "point_dose_case", point_case);
    if (np == 1) {
      cJSON_AddStringToObject(root, "budget_protocol", ps[0].name);
      cJSON_AddNumberToObject(root, "budget_fractions", bfx);
    }
    cJSON_AddStringToObject(root, "alpha_beta_rule", res->rule_text);
    cJSON_AddStringToObject(root, "quantity", qn);
    json_add_num(root, "uncertainty_mm", ac->uncertainty_mm);
    cJSON *cs = cJSON_AddArrayToObject(root, "courses");
    for (int c = 0; c < ac->in.ncourses; c++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "id", ac->in.courses[c].id);
      cJSON_AddBoolToObject(o, "planned", ac->in.courses[c].is_new);
      cJSON_AddNumberToObject(o, "fractions", ac->in.courses[c].fractions);
      cJSON_AddStringToObject(o, "mapping", ac->mapping[c]);
      cJSON_AddStringToObject(o, "dose", ac->gate->courses[c].dose_desc);
      if (isnan(res->interval_months[c])) cJSON_AddNullToObject(o, "interval_months");
      else json_add_num(o, "interval_months", res->interval_months[c]);
      cJSON_AddItemToArray(cs, o);
    }
    cJSON *ss = cJSON_AddArrayToObject(root, "structures");
    for (int s = 0; s < ac->in.nstructs; s++) {
      const accum_structure *st = &ac->in.structs[s];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", st->name);
      if (st->local_name[0]) cJSON_AddStringToObject(o, "roi", st->local_name);
      cJSON_AddBoolToObject(o, "target", st->is_target);
      cJSON_AddStringToObject(o, "state", st->state == ACCUM_STRUCT_OK ? "ok" : st->state == ACCUM_STRUCT_EMPTY ? "empty" : "degenerate");
      if (st->state_detail[0]) cJSON_AddStringToObject(o, "state_detail", st->state_detail);
      if (st->override_note[0]) cJSON_AddStringToObject(o, "override", st->override_note);
      json_add_num(o, "alpha_beta_gy", res->struct_alpha_beta_gy[s]);
      cJSON_AddStringToObject(o, "recovery", st->recovery[0][0] ? st->recovery[0] : ac->in.default_recovery);
      double m = struct_max(&res->cumulative, st->mask), p = struct_max(&res->recovered_prior, st->mask);
      if (isnan(m)) cJSON_AddNullToObject(o, "max_cumulative_gy"); else json_add_num(o, "max_cumulative_gy", m);
      if (isnan(p)) cJSON_AddNullToObject(o, "max_recovered_prior_gy"); else json_add_num(o, "max_recovered_prior_gy", p);
      if (np == 1) {
        double r = struct_min(&rem, st->mask), x = struct_min(&mx, st->mask);
        if (isnan(r)) cJSON_AddNullToObject(o, "min_remaining_eqd2_gy"); else json_add_num(o, "min_remaining_eqd2_gy", r);
        if (isnan(x)) cJSON_AddNullToObject(o, "min_max_new_dose_gy"); else json_add_num(o, "min_max_new_dose_gy", x);
      }
      cJSON_AddItemToArray(ss, o);
    }
    if (ac->has_map) cJSON_AddItemToObject(root, "structure_mapping", structmap_to_json(&ac->map));
    if (np == 1) {
      /* organs the budget protocol limits but the structure set lacks: no limit in the maps */
      char (*gaps)[160] = NULL;
      int ng = 0;
      cJSON *g = cJSON_AddArrayToObject(root, "budget_structures_not_evaluated");
      if (!accumulate_budget_gaps(&ac->in, &ps[0], &gaps, &ng, err))
        for (int k = 0; k < ng; k++) cJSON_AddItemToArray(g, cJSON_CreateString(gaps[k]));
      free(gaps);
    }
    cJSON_AddNumberToObject(root, "voxels_above_lq_threshold", (double)res->high_dose_per_fraction_voxels);
    cJSON_AddNumberToObject(root, "rbe_conversion_clamped_voxels", (double)res->rbe_conversion_clamped_voxels);
    cJSON_AddItemToObject(root, "files", files);
    files = NULL;
    char path[4200], *txt = json_print_full(root, 1);
    snprintf(path, sizeof path, "%s/accumulate.json", od.work);
    if (!txt) rc = rert_err_set(err, RERT_EINTERNAL, "cannot format summary");
    else {
      rc = atomic_write_buffer(path, txt, strlen(txt), err);
      free(txt);
    }
  }
  if (!rc) {
    char what[1200];
    snprintf(what, sizeof what, "rert accumulate %s --out %s", cf.path, out);
    rc = fileio_outdir_commit(&od, what, err);
  } else {
    fileio_outdir_abort(&od);
  }
  if (!rc) {
    if (cli_json(a)) {
      cli_print_json(root);
      root = NULL;
    } else {
      gate_print_notes(ac->gate, stdout);
      printf("%s\n", res->rule_text);
      if (point_case) printf("point-dose case: no DICOM maps written, values per organ below\n");
      char h1[32], h2[32];
      snprintf(h1, sizeof h1, "MAX PRIOR %s", qn);
      snprintf(h2, sizeof h2, "MAX CUM %s", qn);
      printf("%-16s %-6s %-6s %-18s %14s %14s", "STRUCTURE", "TARGET", "A/B", "RECOVERY", h1, h2);
      if (np == 1) printf(" %14s %16s", "MIN REMAINING", "MAX NEW (Gy)");
      printf("\n");
      cJSON *ss = cJSON_GetObjectItem(root, "structures"), *o;
      cJSON_ArrayForEach(o, ss) {
        cJSON *mp = cJSON_GetObjectItem(o, "max_recovered_prior_gy"), *mc = cJSON_GetObjectItem(o, "max_cumulative_gy");
        printf("%-16s %-6s %-6g %-18s %14.2f %14.2f", cJSON_GetObjectItem(o, "name")->valuestring,
               cJSON_IsTrue(cJSON_GetObjectItem(o, "target")) ? "yes" : "no",
               cJSON_GetObjectItem(o, "alpha_beta_gy")->valuedouble, cJSON_GetObjectItem(o, "recovery")->valuestring,
               cJSON_IsNumber(mp) ? mp->valuedouble : NAN, cJSON_IsNumber(mc) ? mc->valuedouble : NAN);
        if (np == 1) {
          cJSON *r = cJSON_GetObjectItem(o, "min_remaining_eqd2_gy"), *x = cJSON_GetObjectItem(o, "min_max_new_dose_gy");
          printf(" %14.2f %16.3f", cJSON_IsNumber(r) ? r->valuedouble : NAN, cJSON_IsNumber(x) ? x->valuedouble : NAN);
        }
        printf("\n");
      }
      cJSON *gaps = cJSON_GetObjectItem(root, "budget_structures_not_evaluated");
      cJSON_ArrayForEach(o, gaps)
        printf("warning: no limit of %s in the budget maps for %s\n", ps[0].name, o->valuestring);
      accum_cli_print_mapping(ac);
      cJSON *fl = cJSON_GetObjectItem(root, "files");
      cJSON_ArrayForEach(o, fl) printf("wrote %s\n", cJSON_GetObjectItem(o, "file")->valuestring);
      printf("wrote %s/accumulate.json\n", out);
      if (res->high_dose_per_fraction_voxels)
        printf("note: %ld voxel-course doses exceed the LQ model-dependence threshold per fraction (domain-reference §1.5)\n",
               res->high_dose_per_fraction_voxels);
    }
  }
  cJSON_Delete(root);
  cJSON_Delete(files);
  if (bres) { accum_result_free(&bres[0]); accum_result_free(&bres[1]); free(bres); }
  volume_free(&rem);
  volume_free(&mx);
  (void)cum_lo; (void)cum_hi;
  accum_result_free(res);
  free(res);
  accum_cli_free_protocols(ps, np);
  accum_case_free(ac);
  free(ac);
  casefile_free(&cf);
  return rc;
}

static const rert_opt opts[] = {
    {"out", OPT_STR, NULL, "output directory for the RTDOSE maps and accumulate.json: new, empty or an earlier rert output (replaced as a whole; never an input)", NULL, 0},
    {"bed", OPT_FLAG, NULL, "write BED instead of EQD2 maps (BED = EQD2·(1 + 2/(alpha/beta)) with the alpha/beta map); the structure summary is then BED too", NULL, 0},
    ACCUM_CLI_COMMON_OPTS,
    {"protocol", OPT_LIST, NULL, "with --budget-fractions: write remaining-EQD2 and max-new-dose maps under this protocol", NULL, 0},
    {"budget-fractions", OPT_INT, "30", "fraction count of the max-new-dose map", NULL, 0},
    {"budget-fractions-per-day", OPT_INT, "1", "fractions per day of the new course (Thames repair when > 1)", NULL, 0},
    {"budget-interval-h", OPT_NUM, "6", "interval between same-day fractions (hours)", "h", 1},
    {0}};

const rert_cmd rert_cmd_accumulate = {
    "accumulate",
    "cumulative EQD2 of all courses on the reference anatomy, written as RTDOSE",
    "CASE.json",
    "Reads every course's RTDOSE, maps prior courses onto the reference course's dose grid through "
    "the case file's registrations, converts each voxel to EQD2 with its local dose per fraction and "
    "an alpha/beta from the structures it lies in (overlap rule reported), applies each organ's "
    "recovery model to each prior course and sums. Writes per-course EQD2, recovered prior, "
    "cumulative EQD2 and alpha/beta maps as RTDOSE with their assumptions in DoseComment, plus "
    "accumulate.json. With --protocol, also the remaining-tolerance and maximum-new-dose maps "
    "(voxels under no limit are written as 0 and counted in the description). Every map is written "
    "into a staging directory beside DIR that replaces DIR only when all succeeded; a deformation "
    "field that is not finite, does not match its header or does not cover the reference dose "
    "region is refused (docs/register.md, Field validity).",
    opts,
    "rert accumulate case.json --out acc/\nrert accumulate case.json --out acc/ --protocol care_s0 --budget-fractions 30\n"
    "rert accumulate case.json --out acc/ --uncertainty-mm 3 --json",
    1, 1, run};
