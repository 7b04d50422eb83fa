/* cmd_dvh.c — `rert dvh`: DVHs and DVH metrics of RTSTRUCT ROIs on an RTDOSE grid (or any
 * dose-like RTDOSE rert wrote: EQD2, cumulative, bounds). Conventions in docs/dvh.md: each
 * contour is the slab of its image slice (the CT given with --ct, else slices inferred from the
 * structure set's contour planes), even-odd contours, trilinear dose, exact Dmin/Dmax, Dx cc
 * interpolation, outside-grid reporting. Metrics computed on a structure that is partly outside
 * the dose grid, or that lost a contour with an area (an error finding), are marked incomplete
 * ("*" in text, "complete": false in JSON), never printed as if whole. Every contour finding
 * (degenerate, non-planar, crossing, duplicate, gaps) is printed with the rule applied. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "rert/dicomio.h"
#include "rert/dvh.h"
#include "rert/fileio.h"
#include "rert/structmap.h"

static const rert_opt dvh_opts[] = {
    {"dose", OPT_STR, NULL, "RTDOSE file (Gy; physical or a dose-like map such as EQD2)", NULL, 0},
    {"struct", OPT_STR, NULL, "RTSTRUCT file with the ROIs", NULL, 0},
    {"roi", OPT_LIST, NULL, "ROI name(s), TG-263 (resolved with data/structure_synonyms.json) or as in the file (default: every ROI)", NULL, 0},
    {"metric", OPT_LIST, NULL,
     "DVH metric(s): Dmax Dmin Dmean Dmedian D95% D0.03cc V20Gy[%] V20Gy[cc] gEUD(a=8) Volume "
     "(default Volume,Dmin,Dmean,Dmax,D0.03cc,D95%,D5%)",
     NULL, 0},
    {"csv", OPT_FLAG, NULL, "print the metric table as CSV", NULL, 0},
    {"curve-out", OPT_STR, NULL, "write cumulative DVH curves (dose_gy, one cc column per ROI) as CSV",
     NULL, 0},
    {"differential", OPT_FLAG, NULL,
     "--curve-out writes the differential DVH (cc per bin, bin lower edge in dose_gy)", NULL, 0},
    {"bin-gy", OPT_NUM, NULL, "histogram bin width (default min(0.01 Gy, range/5000))", "Gy", 1},
    {"sample-mm", OPT_NUM, NULL, "scanline spacing (default: automatic per ROI)", "mm", 1},
    {"ignore-frame", OPT_FLAG, NULL,
     "accept a dose and structure set with different FrameOfReferenceUIDs (same patient space)",
     NULL, 0},
    {"ct", OPT_STR, NULL,
     "folder of the CT series the contours were drawn on: each contour's slab is its CT slice "
     "(default: slices inferred from the contour planes of all ROIs)",
     NULL, 0},
    {0}};

/* Metrics of an ROI are whole only if the structure is inside the dose grid and no contour with
 * an area had to be left out (an error finding). */
static int roi_whole(const rert_dvh *d) { return d->findings.nerrors == 0; }

static cJSON *findings_json(const rert_dvh *d) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < d->findings.n; i++) {
    const rert_geom_finding *f = &d->findings.items[i];
    cJSON *o = cJSON_CreateObject();
    if (f->contour >= 0) cJSON_AddNumberToObject(o, "contour", f->contour + 1);
    else cJSON_AddNullToObject(o, "contour");
    cJSON_AddStringToObject(o, "problem", geom_problem_name(f->problem));
    cJSON_AddStringToObject(o, "rule", geom_rule_name(f->rule));
    cJSON_AddStringToObject(o, "severity", geom_severity_name(f->severity));
    cJSON_AddStringToObject(o, "detail", f->detail);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static void print_findings(const rert_dvh *d, int n) {
  int any = 0;
  for (int r = 0; r < n; r++)
    for (int i = 0; i < d[r].findings.n; i++) {
      const rert_geom_finding *f = &d[r].findings.items[i];
      if (!any)
        printf("Contour findings (contours numbered from 1 in the file's order; !! error: part of "
               "the structure left out, ! warning: a rule decided the shape):\n");
      any = 1;
      char where[32];
      if (f->contour >= 0) snprintf(where, sizeof where, "contour %d", f->contour + 1);
      else snprintf(where, sizeof where, "ROI");
      printf("  %s %s, %s: %s (%s) -> %s\n", f->severity == GEOM_SEV_ERROR ? "!!" : (f->severity == GEOM_SEV_WARNING ? "! " : "  "),
             d[r].name, where, geom_problem_name(f->problem), f->detail, geom_rule_name(f->rule));
    }
}

/* The CT's slices (--ct): the series the RTSTRUCT references when the folder holds several. */
static int read_ct_slices(const char *dir, const rert_structure_set *ss, int ignore_frame,
                          rert_slice_geom *out, rert_err *err) {
  rert_image_series ct;
  memset(&ct, 0, sizeof ct);
  io_read_opts ro;
  memset(&ro, 0, sizeof ro);
  ro.allow_uneven_slices = 1;
  ro.series_uid = ss->referenced_series_uid[0] ? ss->referenced_series_uid : NULL;
  rert_err e1;
  int rc = io_read_image_series(dir, &ro, &ct, &e1);
  if (rc && ro.series_uid) {
    ro.series_uid = NULL; /* the folder's only series, whatever the RTSTRUCT says */
    rc = io_read_image_series(dir, &ro, &ct, err);
  } else if (rc) {
    *err = e1;
  }
  if (rc) return rert_err_prefix(err, rc, "--ct");
  if (!ignore_frame && ct.ident.frame_of_reference_uid[0] && ss->ident.frame_of_reference_uid[0] &&
      strcmp(ct.ident.frame_of_reference_uid, ss->ident.frame_of_reference_uid) != 0) {
    rc = rert_err_set(err, RERT_EINPUT, "--ct %s: FrameOfReferenceUID (0020,0052) differs from the "
                      "structure set's (%s); pass the CT the contours were drawn on or "
                      "--ignore-frame", dir, ss->ident.frame_of_reference_uid);
    rtdata_free_image_series(&ct);
    return rc;
  }
  rc = geom_slices_from_image(&ct, out, err);
  rtdata_free_image_series(&ct);
  return rc;
}

static int write_curves(const char *path, const rert_dvh *d, int n, int diff, rert_err *err) {
  rert_atomic a;
  int rc = atomic_open(&a, path, err);
  if (rc) return rc;
  fprintf(a.f, "dose_gy");
  int nb = 0;
  for (int r = 0; r < n; r++) {
    /* ROI names come from the file: quoted (RFC 4180) when they hold a comma, quote or control
     * character, so a name cannot shift the columns or forge a row */
    const char *nm = d[r].name;
    int quote = strpbrk(nm, ",\"") != NULL;
    for (const char *q = nm; *q; q++) quote |= (unsigned char)*q < 0x20;
    fputs(quote ? ",\"" : ",", a.f);
    for (const char *q = nm; *q; q++) {
      if (*q == '"') fputc('"', a.f);
      fputc((unsigned char)*q < 0x20 ? ' ' : *q, a.f);
    }
    fputs(quote ? "_cc\"" : "_cc", a.f);
    if (d[r].status == RERT_OK && d[r].nbins > nb) nb = d[r].nbins;
  }
  fprintf(a.f, "\n");
  for (int b = 0; b <= nb; b++) {
    int any = 0;
    for (int r = 0; r < n; r++)
      if (d[r].status == RERT_OK && b <= d[r].nbins && d[r].cum_cc[b] > 0) any = 1;
    if (!any && b > 0) break;
    double dose = 0;
    for (int r = 0; r < n; r++)
      if (d[r].status == RERT_OK) {
        dose = d[r].lo_gy + b * d[r].bin_gy;
        break;
      }
    fprintf(a.f, "%.4f", dose);
    for (int r = 0; r < n; r++) {
      int ok = d[r].status == RERT_OK && b < d[r].nbins + (diff ? 0 : 1);
      fprintf(a.f, ",%.6g", ok ? (diff ? d[r].diff_cc[b] : d[r].cum_cc[b]) : (diff ? 0.0 : NAN));
    }
    fprintf(a.f, "\n");
  }
  return atomic_commit(&a, err);
}

static int run_dvh(const rert_args *args, rert_err *err) {
  const char *dose_path = cli_str(args, "dose"), *ss_path = cli_str(args, "struct");
  if (!dose_path || !ss_path)
    return rert_err_set(err, RERT_EINPUT, "dvh: --dose and --struct are required");
  rert_dvh_opts o;
  memset(&o, 0, sizeof o);
  if (cli_has(args, "bin-gy") && cli_num(args, "bin-gy", &o.bin_gy, err)) return RERT_EINPUT;
  if (cli_has(args, "sample-mm") && cli_num(args, "sample-mm", &o.sample_mm, err))
    return RERT_EINPUT;
  if (cli_has(args, "bin-gy") && !(o.bin_gy > 0))
    return rert_err_set(err, RERT_EINPUT, "dvh: --bin-gy must be positive");
  if (cli_has(args, "sample-mm") && !(o.sample_mm > 0))
    return rert_err_set(err, RERT_EINPUT, "dvh: --sample-mm must be positive");

  {
    /* the output is checked before any work: never an input (rert/fileio.h) */
    const char *outs[] = {cli_str(args, "curve-out")}, *names[] = {"--curve-out"};
    const char *ins[] = {dose_path, ss_path};
    int rc0 = fileio_check_outputs(outs, names, 1, ins, 2, err);
    if (rc0) return rc0;
  }
  /* parse the metrics first: a typo fails before any file is read */
  static const char *def_metrics[] = {"Volume", "Dmin", "Dmean", "Dmax", "D0.03cc", "D95%", "D5%"};
  int given = cli_list_count(args, "metric");
  int nm = given > 0 ? given : (int)(sizeof def_metrics / sizeof def_metrics[0]);
  rert_dvh_metric *met = calloc(nm + 1, sizeof *met);
  if (!met) return rert_err_set(err, RERT_EINTERNAL, "dvh: out of memory");
  for (int i = 0; i < nm; i++)
    if (dvh_metric_parse(given > 0 ? cli_list_item(args, "metric", i) : def_metrics[i], &met[i],
                         err)) {
      free(met);
      return RERT_EINPUT;
    }

  rert_rtdose dose;
  rert_structure_set ss;
  rert_slice_geom slices;
  memset(&dose, 0, sizeof dose);
  memset(&ss, 0, sizeof ss);
  memset(&slices, 0, sizeof slices);
  int rc = io_read_rtdose(dose_path, &dose, err);
  if (rc) {
    free(met);
    return rc;
  }
  rc = io_read_rtstruct(ss_path, &ss, err);
  if (rc) goto done;
  if (dose.units == DOSE_UNITS_RELATIVE) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: DoseUnits is RELATIVE; a DVH in Gy needs an absolute "
                      "dose", dose_path);
    goto done;
  }
  if (!cli_flag(args, "ignore-frame") && dose.ident.frame_of_reference_uid[0] &&
      ss.ident.frame_of_reference_uid[0] &&
      strcmp(dose.ident.frame_of_reference_uid, ss.ident.frame_of_reference_uid) != 0) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: FrameOfReferenceUID differs from the structure set's "
                      "(%s); register first or pass --ignore-frame", dose_path,
                      ss.ident.frame_of_reference_uid);
    goto done;
  }

  /* --roi accepts TG-263 names: ROIs are resolved like everywhere else (rert/structmap.h), so
   * "SpinalCord" finds a ROI named "Myelon" or "Spinal Cord" */
  {
    rert_structmap sm;
    rert_err e2;
    if (structmap_resolve(&ss, ss_path, NULL, &sm, &e2) == RERT_OK) {
      for (int r = 0; r < sm.n; r++)
        if (sm.e[r].role == SROLE_ORGAN)
          snprintf(ss.rois[r].tg263_name, sizeof ss.rois[r].tg263_name, "%s", sm.e[r].name);
      structmap_free(&sm);
    }
  }
  int nsel = cli_list_count(args, "roi");
  int nr = nsel > 0 ? nsel : ss.nrois;
  const rert_roi **rois = calloc(nr + 1, sizeof *rois);
  rert_dvh *d = calloc(nr + 1, sizeof *d);
  if (!rois || !d) {
    free(rois), free(d);
    rc = rert_err_set(err, RERT_EINTERNAL, "dvh: out of memory");
    goto done;
  }
  for (int r = 0; r < nr; r++) {
    if (nsel > 0) {
      const char *name = cli_list_item(args, "roi", r);
      rois[r] = rtdata_find_roi(&ss, name);
      if (!rois[r]) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: no ROI named \"%s\"", ss_path, name);
        free(rois), free(d);
        goto done;
      }
    } else {
      rois[r] = &ss.rois[r];
    }
  }
  /* the image slices each contour stands for: the CT's, else inferred from every ROI of the
   * structure set (not only the selected ones: the more planes, the better the lattice) */
  if (cli_has(args, "ct")) {
    rc = read_ct_slices(cli_str(args, "ct"), &ss, cli_flag(args, "ignore-frame"), &slices, err);
  } else {
    const rert_roi **all = calloc((size_t)ss.nrois + 1, sizeof *all);
    if (!all) rc = rert_err_set(err, RERT_EINTERNAL, "dvh: out of memory");
    for (int r = 0; all && r < ss.nrois; r++) all[r] = &ss.rois[r];
    if (all) rc = geom_slices_infer(all, ss.nrois, &slices, err);
    free(all);
  }
  if (rc) {
    free(rois), free(d);
    goto done;
  }
  o.slices = &slices;
  rc = dvh_compute_rois(rois, nr, &dose.dose, &o, d, err);
  if (rc) {
    rert_err_prefix(err, rc, "%s", dose_path);
    free(rois), free(d);
    goto done;
  }
  /* rert dvh names each ROI as the file does (comparable with other tools' output); the TG-263
   * name it resolves to is printed beside it ("tg263_name") */
  for (int r = 0; r < nr; r++) snprintf(d[r].name, sizeof d[r].name, "%s", rois[r]->name);
  if (cli_has(args, "curve-out")) {
    rc = write_curves(cli_str(args, "curve-out"), d, nr, cli_flag(args, "differential"), err);
    if (rc) goto out;
  }

  int nbad = 0, nincomplete = 0;
  if (cli_json(args)) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "dose", dose_path);
    cJSON_AddStringToObject(root, "struct", ss_path);
    cJSON_AddStringToObject(root, "end_caps", "half-slice");
    cJSON *sj = cJSON_AddObjectToObject(root, "slices");
    cJSON_AddStringToObject(sj, "source", geom_slices_source_name(slices.source));
    if (slices.spacing_mm > 0) cJSON_AddNumberToObject(sj, "spacing_mm", slices.spacing_mm);
    else cJSON_AddNullToObject(sj, "spacing_mm");
    cJSON_AddStringToObject(sj, "note", slices.note);
    cJSON *arr = cJSON_AddArrayToObject(root, "rois");
    for (int r = 0; r < nr; r++) {
      cJSON *j = cJSON_CreateObject();
      cJSON_AddItemToArray(arr, j);
      cJSON_AddStringToObject(j, "name", d[r].name);
      if (rois[r]->tg263_name[0] && strcmp(rois[r]->tg263_name, rois[r]->name))
        cJSON_AddStringToObject(j, "tg263_name", rois[r]->tg263_name);
      cJSON_AddItemToObject(j, "findings", findings_json(&d[r]));
      if (d[r].status != RERT_OK) {
        cJSON_AddStringToObject(j, "error", d[r].msg);
        nbad++;
        continue;
      }
      const rert_roi_info *gi = &d[r].geometry;
      cJSON *gj = cJSON_AddObjectToObject(j, "geometry");
      cJSON_AddNumberToObject(gj, "planes", gi->nplanes);
      cJSON_AddNumberToObject(gj, "contours_used", gi->ncontours_used);
      cJSON_AddNumberToObject(gj, "contours_left_out", gi->ncontours_skipped);
      cJSON_AddStringToObject(gj, "slices", geom_slices_source_name(gi->slices_source));
      cJSON_AddNumberToObject(gj, "slice_spacing_mm", gi->slice_spacing_mm);
      cJSON_AddNumberToObject(gj, "gaps", gi->ngaps);
      cJSON_AddNumberToObject(j, "volume_cc", d[r].total_cc);
      cJSON_AddNumberToObject(j, "inside_cc", d[r].inside_cc);
      cJSON_AddNumberToObject(j, "outside_cc", d[r].outside_cc);
      cJSON_AddNumberToObject(j, "sample_mm", d[r].sample_mm);
      cJSON_AddNumberToObject(j, "bin_gy", d[r].bin_gy);
      cJSON_AddStringToObject(j, "extremes", d[r].extremes_exact ? "exact" : "voxel centres");
      cJSON_AddBoolToObject(j, "complete", d[r].outside_cc <= 1e-6 && roi_whole(&d[r]));
      cJSON *mj = cJSON_AddObjectToObject(j, "metrics");
      for (int i = 0; i < nm; i++) {
        rert_dvh_value v;
        rert_err e;
        e.msg[0] = 0;
        int mrc = dvh_metric_eval(&d[r], &met[i], &v, &e);
        if (!roi_whole(&d[r])) {
          v.complete = 0;
          snprintf(e.msg, sizeof e.msg, "%d contour%s with an area left out (see findings)",
                   d[r].findings.nerrors, d[r].findings.nerrors == 1 ? "" : "s");
        }
        cJSON *x = cJSON_AddObjectToObject(mj, met[i].text);
        if (isfinite(v.value)) cJSON_AddNumberToObject(x, "value", v.value);
        else cJSON_AddNullToObject(x, "value");
        cJSON_AddStringToObject(x, "unit", dvh_metric_unit(&met[i]));
        cJSON_AddBoolToObject(x, "complete", mrc == RERT_OK && v.complete);
        if (e.msg[0]) cJSON_AddStringToObject(x, "note", e.msg);
        if (!v.complete) nincomplete++;
      }
    }
    cli_print_json(root);
  } else {
    int csv = cli_flag(args, "csv");
    if (csv) {
      printf("roi,volume_cc,outside_cc");
      for (int i = 0; i < nm; i++) printf(",%s_%s", met[i].text, dvh_metric_unit(&met[i]));
      printf(",note\n");
    } else {
      printf("%-18s %10s %8s", "ROI", "cc", "out%");
      for (int i = 0; i < nm; i++) {
        char h[64];
        snprintf(h, sizeof h, "%s[%s]", met[i].text, dvh_metric_unit(&met[i]));
        printf(" %12s", h);
      }
      printf("\n");
    }
    char **notes = calloc((size_t)nr + 1, sizeof *notes); /* one per ROI: no fixed limit */
    for (int r = 0; r < nr; r++) {
      if (d[r].status != RERT_OK) {
        nbad++;
        if (csv) printf("%s,,,", d[r].name);
        else printf("%-18s  %s\n", d[r].name, d[r].msg);
        if (csv) {
          for (int i = 1; i < nm; i++) printf(",");
          printf("\"%s\"\n", d[r].msg);
        }
        continue;
      }
      double outp = d[r].total_cc > 0 ? 100 * d[r].outside_cc / d[r].total_cc : 0;
      if (csv) printf("%s,%.4f,%.4f", d[r].name, d[r].total_cc, d[r].outside_cc);
      else printf("%-18s %10.3f %8.1f", d[r].name, d[r].total_cc, outp);
      char note[512] = "";
      for (int i = 0; i < nm; i++) {
        rert_dvh_value v;
        rert_err e;
        e.msg[0] = 0;
        int mrc = dvh_metric_eval(&d[r], &met[i], &v, &e);
        if (!roi_whole(&d[r])) {
          v.complete = 0;
          snprintf(e.msg, sizeof e.msg, "%s: %d contour%s with an area left out (see findings)",
                   d[r].name, d[r].findings.nerrors, d[r].findings.nerrors == 1 ? "" : "s");
        }
        int ok = mrc == RERT_OK && v.complete;
        if (!ok) nincomplete++;
        if (e.msg[0] && !note[0]) snprintf(note, sizeof note, "%s", e.msg);
        if (csv) {
          if (isfinite(v.value)) printf(",%.4f%s", v.value, ok ? "" : "*");
          else printf(",");
        } else {
          char cell[32];
          if (isfinite(v.value)) snprintf(cell, sizeof cell, "%.3f%s", v.value, ok ? "" : "*");
          else snprintf(cell, sizeof cell, "n/a*");
          printf(" %12s", cell);
        }
      }
      if (csv) printf(",\"%s\"\n", note);
      else {
        printf("\n");
        if (note[0] && notes) notes[r] = strdup(note);
      }
    }
    if (!csv && notes) {
      for (int r = 0; r < nr; r++)
        if (notes[r]) printf("  * %s\n", notes[r]);
      print_findings(d, nr);
    }
    for (int r = 0; notes && r < nr; r++) free(notes[r]);
    free(notes);
  }
  if (nsel > 0 && nbad > 0) {
    for (int r = 0; r < nr; r++)
      if (d[r].status != RERT_OK) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: %s", ss_path, d[r].msg);
        break;
      }
  }
  (void)nincomplete;
out:
  for (int r = 0; r < nr; r++) dvh_free(&d[r]);
  free(rois), free(d);
done:
  free(met);
  geom_slices_free(&slices);
  rtdata_free_rtdose(&dose);
  rtdata_free_structure_set(&ss);
  return rc;
}

const rert_cmd rert_cmd_dvh = {
    "dvh",
    "dose-volume histograms and DVH metrics of RTSTRUCT ROIs on an RTDOSE grid",
    "",
    "Computes cumulative DVHs of the ROIs of an RTSTRUCT on an RTDOSE (physical dose or any "
    "dose-like map rert wrote, e.g. EQD2) and evaluates DVH metrics. Contours are integrated "
    "directly (even-odd rule, trilinear dose, scanlines finer than the dose grid), so small organs "
    "such as the optic chiasm or cochlea are resolved. Each contour stands for its image slice: "
    "with --ct the CT's slices, else slices inferred from the contour planes of all ROIs (said in "
    "the output); image slices without a contour between two contour planes stay empty. Dmin and "
    "Dmax are exact for the trilinear dose over the contour stack. Dx cc is the minimum dose to "
    "the hottest x cc, interpolated linearly in the cumulative DVH. A metric of a structure that "
    "lies partly outside the dose grid, or lost a contour with an area, is marked with '*' (JSON: "
    "complete=false). Every contour finding (fewer than 3 points, not planar, self-intersecting, "
    "duplicate, gaps) is printed with the rule applied (JSON: findings). See docs/dvh.md.",
    dvh_opts,
    "rert dvh --dose RD.dcm --struct RS.dcm\n"
    "rert dvh --dose RD.dcm --struct RS.dcm --ct CT/ --json\n"
    "rert dvh --dose RD.dcm --struct RS.dcm --roi OpticChiasm,Brainstem --metric D0.03cc,Dmean\n"
    "rert dvh --dose eqd2.dcm --struct RS.dcm --metric 'V20Gy[cc]' --csv --curve-out dvh.csv",
    0,
    0,
    run_dvh};
