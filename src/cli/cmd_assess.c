/* cmd_assess.c — `rert assess CASE.json`: the clinical decision-support summary (issue #7).
 *
 * Loads and validates the case file (exit 2 with the JSON path on invalid input), runs every
 * assessment of clinical.h — each on its own: one that lacks a fact says "not assessable: needs
 * $.clinical.X" and the others are still made — and prints them with their citations, or the
 * same document as JSON with --json. Informational: exit 0 whatever the tiers are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/casefile.h"
#include "rert/clinical.h"
#include "rert/gate.h"

static const rert_opt assess_opts[] = {
    {"rpa-origin", OPT_STR, "rt_interval",
     "MIRI RPA time origin: rt_interval (end of prior RT to reRT, MIRI abstract) | diagnosis | "
     "s2_literal (class I from diagnosis, class III from prior RT, as S2 words it)", NULL, 0},
    {"boundary", OPT_STR, "dawson",
     "in-field boundary of the recurrence overlap f: dawson (f >= 95%) | s4 (f > 95%)", NULL, 0},
    {"disagreement", OPT_STR, "outside_tier",
     "ARS/RAND disagreement rule: outside_tier (reproduces S2's flags) | both_extremes | ipras", NULL, 0},
    {"nieder-points", OPT_FLAG, NULL, "also compute the UNVERIFIED Nieder point score", NULL, 0},
    {0}};

static const char *js(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}
static double jnum(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* "needs ..." when the case lacks a fact this assessment needs, else NULL */
static const char *na(const cJSON *r) {
  return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "assessable")) ? js(r, "not_assessable") : NULL;
}

static void print_risk(const char *title, const cJSON *r) {
  if (na(r)) {
    printf("  %-26s not assessable: %s\n", title, na(r));
    return;
  }
  printf("  %-26s %s", title, js(r, "tier"));
  if (js(r, "estimate")[0]) printf(" — %s", js(r, "estimate"));
  printf("\n");
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "factors")) printf("      factor: %s\n", f->valuestring);
  if (js(r, "advice")[0]) printf("      note: %s\n", js(r, "advice"));
  if (js(r, "source")[0]) printf("      source: %s\n", js(r, "source"));
}

static void print_text(const cJSON *d) {
  printf("rert assess — %s (patient %s)\n", js(d, "case"), js(d, "patient_id"));
  if (js(d, "note")[0]) printf("note: %s\n", js(d, "note"));
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "rpa");
  if (na(r)) {
    printf("\nMIRI RPA: not assessable: %s\n", na(r));
  } else {
    printf("\nMIRI RPA: class %s", js(r, "class_label"));
    if (js(r, "possible")[0]) printf(" (%s; decided by %s)", js(r, "possible"), js(r, "missing"));
    printf("\n  %s\n  reported survival: %s\n  source: %s\n", js(r, "rationale"), js(r, "survival"), js(r, "source"));
  }
  r = cJSON_GetObjectItemCaseSensitive(d, "intent");
  if (na(r)) printf("\nIntent: not assessable: %s\n", na(r));
  else {
  printf("\nIntent: %s (%s)\n", js(r, "intent"), js(r, "basis"));
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "targets_bed10_gy");
  printf("  targets: curative BED10 %g-%g Gy, palliative BED10 %g-%g Gy\n", jnum(t, "curative_lo"),
         jnum(t, "curative_hi"), jnum(t, "palliative_lo"), jnum(t, "palliative_hi"));
  if (!isnan(jnum(r, "planned_bed10_gy")))
    printf("  planned course: BED10 %.1f Gy, EQD2 %.1f Gy (%s range)\n", jnum(r, "planned_bed10_gy"),
           jnum(r, "planned_eqd2_gy"), js(r, "bed10_range"));
  if (!isnan(jnum(r, "interval_months"))) printf("  interval since prior RT: %.1f months\n", jnum(r, "interval_months"));
  if (js(r, "interval_note")[0]) printf("  NOTE: %s\n", js(r, "interval_note"));
  const cJSON *ars = cJSON_GetObjectItemCaseSensitive(r, "ars_reirradiation");
  printf("  ARS re-irradiation definition: %s — %s\n  source: %s\n",
         cJSON_IsTrue(ars) ? "met" : cJSON_IsFalse(ars) ? "not met" : "unknown", js(r, "ars_reirradiation_reason"),
         js(r, "source"));
  }
  const cJSON *m;
  r = cJSON_GetObjectItemCaseSensitive(d, "recurrence_pattern");
  if (na(r)) printf("\nRecurrence pattern: not assessable: %s\n", na(r));
  else {
  printf("\nRecurrence pattern: %s", js(r, "class"));
  if (!isnan(jnum(r, "overlap_fraction"))) printf(" (f = %.3f)", jnum(r, "overlap_fraction"));
  printf("\n  basis: %s\n", js(r, "basis"));
  if (js(r, "advice")[0]) printf("  advice: %s\n  source: %s\n", js(r, "advice"), js(r, "source"));
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "margin_recipes"))
    printf("  margins [%s, %s]: GTV->CTV %s; CTV->PTV %s; elective nodes %s (%s)\n", js(m, "centre"),
           js(m, "technique"), js(m, "gtv_to_ctv"), js(m, "ctv_to_ptv"), js(m, "elective_nodes"), js(m, "source"));
  }
  r = cJSON_GetObjectItemCaseSensitive(d, "toxicity");
  if (na(r)) printf("\nToxicity risk: not assessable: %s\n", na(r));
  else {
  printf("\nToxicity risk (%s)\n", js(r, "dose_basis"));
  print_risk("carotid blowout", cJSON_GetObjectItemCaseSensitive(r, "carotid_blowout"));
  print_risk("mandible ORN", cJSON_GetObjectItemCaseSensitive(r, "mandible_orn"));
  print_risk("brachial plexopathy", cJSON_GetObjectItemCaseSensitive(r, "brachial_plexopathy"));
  print_risk("myelopathy", cJSON_GetObjectItemCaseSensitive(r, "myelopathy"));
  print_risk("temporal lobe necrosis", cJSON_GetObjectItemCaseSensitive(r, "temporal_lobe_necrosis"));
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "ntcp_lkb"))
    printf("  NTCP %s %s: %.3f from %s %.1f Gy EQD2 (%s)%s\n      source: %s\n", js(m, "organ"), js(m, "endpoint"),
           jnum(m, "ntcp"), js(m, "metric"), jnum(m, "eud_gy"), js(m, "kind"),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "verified")) ? "" : " [UNVERIFIED parameters]",
           js(m, "source"));
  }
  r = cJSON_GetObjectItemCaseSensitive(d, "ars");
  if (na(r)) printf("\nARS appropriate use: not assessable: %s\n", na(r));
  else {
  printf("\nARS appropriate use: %s", js(r, "key_question")[0] ? js(r, "key_question") : "no panel scenario");
  if (js(r, "panel_case")[0]) printf(", panel case %s", js(r, "panel_case"));
  printf("\n  match: %s\n", js(r, "match_reason"));
  if (js(r, "recommendation")[0]) printf("  recommendation: %s\n", js(r, "recommendation"));
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "options"))
    printf("  %-3s median %-3g SOR %-6s %s%s\n", js(m, "category"), jnum(m, "median"), js(m, "strength_of_recommendation"),
           js(m, "treatment"), js(m, "extraction_artefact")[0] ? " [histogram column-shift corrected]" : "");
  if (js(r, "source")[0]) printf("  source: %s\n", js(r, "source"));
  }
  r = cJSON_GetObjectItemCaseSensitive(d, "trial_sphic");
  if (na(r)) {
    printf("\nTrial eligibility: not assessable: %s\n", na(r));
    return;
  }
  printf("\nTrial eligibility: %s\n  %s\n", js(r, "verdict"), js(r, "trial"));
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "criteria"))
    printf("  %-3s %-9s %-7s %s%s%s\n", js(m, "id"), js(m, "kind"), js(m, "status"), js(m, "text"),
           js(m, "detail")[0] ? " — " : "", js(m, "detail"));
  printf("  source: %s\n", js(r, "source"));
}

static int run_assess(const rert_args *a, rert_err *err) {
  clinical_options o = clinical_options_default();
  int rc = rpa_origin_parse(cli_str(a, "rpa-origin"), &o.origin, err);
  if (!rc) rc = recurrence_boundary_parse(cli_str(a, "boundary"), &o.boundary, err);
  if (!rc) rc = ars_rule_parse(cli_str(a, "disagreement"), &o.rule, err);
  if (rc) return rc;
  o.nieder_points = cli_flag(a, "nieder-points");
  rert_case c;
  rc = casefile_load(cli_pos(a, 0), &c, err);
  if (rc) return rc;
  /* the gate's case-file and identity checks (patient, frames, plans against the case; dose
   * values are not read: assess works on cases without DICOM too) */
  gate_result *g = calloc(1, sizeof *g);
  if (!g) {
    casefile_free(&c);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  gate_opts go = {GATE_LEVEL_IDENTITY, 0, 1};
  rc = gate_run(&c, &go, g, err);
  cJSON *rep = NULL;
  if (!rc) rc = clinical_assess(&c, &o, &rep, err);
  casefile_free(&c);
  if (rc) {
    gate_free(g);
    free(g);
    return rc;
  }
  if (cli_json(a)) {
    cJSON_AddItemToObject(rep, "checks", gate_checks_json(g));
    cli_print_json(rep);
  } else {
    gate_print_notes(g, stdout);
    print_text(rep);
    cJSON_Delete(rep);
  }
  gate_free(g);
  free(g);
  return RERT_OK;
}

const rert_cmd rert_cmd_assess = {
    "assess",
    "clinical decision support: MIRI RPA, intent, recurrence pattern, toxicity risk, ARS ratings, trial eligibility",
    "CASE.json",
    "Reads a case file (docs/case-file.md) and prints the MIRI RPA class with reported survival, the "
    "treatment intent and its BED10 targets, the ARS re-irradiation definition, the recurrence pattern "
    "with target-volume advice and margin recipes, toxicity risk tiers (carotid blowout, mandibular ORN, "
    "brachial plexopathy, myelopathy, temporal-lobe necrosis) with the factors that drove them, LKB NTCP "
    "where point doses allow, the matching ARS appropriate-use scenario with its rated options, and the "
    "SPHIC CIRT + cisplatin trial eligibility. Every item carries its citation (docs/clinical.md). "
    "An assessment that needs a fact the case file lacks is reported \"not assessable: needs X\" and "
    "the others are still made; exit 2 only for an invalid case file.",
    assess_opts,
    "rert assess examples/ars_case4.json\nrert assess case.json --rpa-origin s2_literal --json",
    1,
    1,
    run_assess};
