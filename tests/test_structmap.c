/* test_structmap.c — structure identity (rert/structmap.h, data/structure_synonyms.json).
 * Expected names are AAPM TG-263 standard names (Mayo et al. IJROBP 2018;100:1057) for the local
 * spellings found in real exports; the derived structures (PRV, opt, z_ helpers, margins) must
 * stay unmapped (TG-263: _PRVxx suffix, z/_ prefix for non-evaluation structures). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"
#include "rert/structmap.h"

static void expect_map(const char *local, const char *want) {
  char tg[65], how[320];
  rert_err e;
  cr_assert_eq(structmap_lookup(local, tg, sizeof tg, how, sizeof how, &e), RERT_OK, "%s", e.msg);
  cr_expect_str_eq(tg, want, "'%s' -> '%s' (%s), expected '%s'", local, tg, how, want);
}

Test(structmap, tg263_and_variants) {
  expect_map("SpinalCord", "SpinalCord");
  expect_map("Spinal Cord", "SpinalCord");
  expect_map("SPINAL_CORD", "SpinalCord");
  expect_map("spinal-cord", "SpinalCord");
  expect_map("Cord", "SpinalCord");
  expect_map("Myelon", "SpinalCord");
  expect_map("Rückenmark", "SpinalCord");
  expect_map("Moelle épinière", "SpinalCord");
  expect_map("BrainStem", "Brainstem");
  expect_map("Brain Stem", "Brainstem");
  expect_map("Brain_Stem", "Brainstem");
  expect_map("Hirnstamm", "Brainstem");
  expect_map("Chiasm", "OpticChiasm");
  expect_map("Optic Chiasm", "OpticChiasm");
  expect_map("Mandible", "Bone_Mandible");
  expect_map("Mandibula", "Bone_Mandible");
  expect_map("Cord Core", "SpinalCord_Core");
  /* spellings of a clinical H&N study's structure sets (VoxTox ROI names as listed in scikit-rt,
   * examples/voxtox/examples/roi_names/data_mvct.py) */
  expect_map("left parotid", "Parotid_L");
  expect_map("Right parotid", "Parotid_R");
  expect_map("right SMG", "Glnd_Submand_R");
  expect_map("spinal cord", "SpinalCord");
  expect_map("pharyngeal constrictors", "Musc_Constrict");
  expect_map("cord2 for IOV", "");
  expect_map("left parotid 2 for IOV", "");
}

Test(structmap, laterality_prefix_suffix_languages) {
  expect_map("Parotid Lt", "Parotid_L");
  expect_map("L Parotid", "Parotid_L");
  expect_map("Lt_Parotid", "Parotid_L");
  expect_map("Left Parotid", "Parotid_L");
  expect_map("Parotid (R)", "Parotid_R");
  expect_map("PAROTID_RT", "Parotid_R");
  expect_map("ParotidLt", "Parotid_L");
  expect_map("LParotid", "Parotid_L");
  expect_map("Parotis li", "Parotid_L");
  expect_map("Parotis re", "Parotid_R");
  expect_map("Parotide G", "Parotid_L");
  expect_map("Parótida D", "Parotid_R");
  expect_map("OpticNrv_L", "OpticNrv_L");
  expect_map("Optic Nerve R", "OpticNrv_R");
  expect_map("ON_L", "OpticNrv_L");
  expect_map("N. opticus links", "OpticNrv_L");
  expect_map("Brachial Plexus Rt", "BrachialPlex_R");
  expect_map("Plexus brachialis re", "BrachialPlex_R");
  expect_map("Temporal Lobe L", "Lobe_Temporal_L");
  expect_map("Carotid_L", "A_Carotid_L");
  expect_map("Cochlea_Rt", "Cochlea_R");
  /* paired organ without a side: the base name (matches both sides in protocols) */
  expect_map("Optic Nerves", "OpticNrv");
  expect_map("Lung", "Lungs");
  expect_map("Lung_L", "Lung_L");
}

Test(structmap, derived_structures_never_map_to_the_organ) {
  const char *never[] = {"Cord_PRV5", "SpinalCord_PRV05", "PRV_Cord", "Brainstem_03", "Brainstem_PRV03",
                         "z_Cord", "zSpinalCord", "_Parotid_L", "Parotid_L_opt", "opt_Parotid",
                         "Parotid_L-PTV", "Cord+5mm", "Ring_Brainstem", "Chiasm_avoid", "Mandible-PTV",
                         "Cord2", "Brainstem_L", "L Parotid R", "SC", "BS", "Spinal Canal", "Lungs-GTV"};
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) expect_map(never[i], "");
  char tg[65], how[320];
  rert_err e;
  cr_assert_eq(structmap_lookup("Cord_PRV5", tg, sizeof tg, how, sizeof how, &e), 0);
  cr_expect(strstr(how, "prv") && strstr(how, "SpinalCord"), "explains the PRV: %s", how);
  cr_assert_eq(structmap_lookup("z_Cord", tg, sizeof tg, how, sizeof how, &e), 0);
  cr_expect(strstr(how, "helper"), "%s", how);
}

Test(structmap, targets_by_name) {
  char k[4];
  cr_expect(structmap_target_name("H&N PTV_70Gy", k) && !strcmp(k, "PTV"));
  cr_expect(structmap_target_name("PTVp_7000", k) && !strcmp(k, "PTV"));
  cr_expect(structmap_target_name("CTV_High", k) && !strcmp(k, "CTV"));
  cr_expect(structmap_target_name("GTV_Rec", k) && !strcmp(k, "GTV"));
  cr_expect(structmap_target_name("CTV-HR", k));
  cr_expect(structmap_target_name("PTV-70", k));
  const char *helpers[] = {"zPTV_opt", "PTV_ring", "PTVopt", "Ring_PTV", "PTV70-Cord", "PTV_70-PTV_56",
                           "_PTV", "Parotid_L", "Cord"};
  for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++)
    cr_expect(!structmap_target_name(helpers[i], k), "%s is not a target", helpers[i]);
}

Test(structmap, table_is_unambiguous) {
  /* loading validates that no two organs share a normalised variant; every paired organ of the
   * protocols is known as paired */
  cr_expect(structmap_is_paired("OpticNrv"));
  cr_expect(structmap_is_paired("BrachialPlex"));
  cr_expect(!structmap_is_paired("SpinalCord"));
  cr_expect(!structmap_is_paired("OpticChiasm"));
}

static rert_roi roi(int num, const char *name, const char *type) {
  rert_roi r;
  memset(&r, 0, sizeof r);
  r.number = num;
  snprintf(r.name, sizeof r.name, "%s", name);
  snprintf(r.interpreted_type, sizeof r.interpreted_type, "%s", type);
  r.ncontours = 1;
  return r;
}

static int parse_case(const char *extra, rert_case *c) {
  char buf[2048];
  snprintf(buf, sizeof buf,
           "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"T\"},\"courses\":[{\"id\":\"c1\",\"role\":\"prior\","
           "\"start_date\":\"2020-01-01\",\"end_date\":\"2020-02-01\",\"modality\":\"photon\",\"fractions\":30,"
           "\"prescription_gy\":60}]%s}",
           extra);
  rert_err e;
  int rc = casefile_parse(cJSON_Parse(buf), "case.json", c, &e);
  cr_assert_eq(rc, 0, "%s", e.msg);
  return rc;
}

Test(structmap, resolve_roles_and_duplicates) {
  rert_roi rois[6] = {roi(1, "Myelon", "ORGAN"), roi(2, "H&N PTV_70Gy", "ORGAN"), roi(3, "BODY", "ORGAN"),
                      roi(4, "Cord_PRV5", "AVOIDANCE"), roi(5, "GTVp", "GTV"), roi(6, "Couch", "SUPPORT")};
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  ss.nrois = 6;
  ss.rois = rois;
  rert_structmap m;
  rert_err e;
  cr_assert_eq(structmap_resolve(&ss, "RS.dcm", NULL, &m, &e), 0, "%s", e.msg);
  cr_expect_str_eq(m.e[0].name, "SpinalCord");
  cr_expect_eq(m.e[0].role, SROLE_ORGAN);
  cr_expect_eq(m.e[1].role, SROLE_TARGET, "Pinnacle target typed ORGAN: %s", m.e[1].role_text);
  cr_expect_str_eq(m.e[1].target_kind, "PTV");
  cr_expect_eq(m.e[2].role, SROLE_EXTERNAL);
  cr_expect_eq(m.e[3].role, SROLE_UNUSED);
  cr_expect_eq(m.e[4].role, SROLE_TARGET);
  cr_expect(strstr(m.e[4].role_text, "RTROIInterpretedType GTV"));
  cr_expect_eq(m.e[5].role, SROLE_UNUSED);
  structmap_free(&m);

  /* two ROIs resolving to SpinalCord: refused, naming both and the file */
  rois[3] = roi(4, "Spinal Cord", "ORGAN");
  cr_assert_eq(structmap_resolve(&ss, "RS.dcm", NULL, &m, &e), RERT_EINPUT);
  cr_expect(strstr(e.msg, "RS.dcm") && strstr(e.msg, "'Myelon'") && strstr(e.msg, "'Spinal Cord'") &&
                strstr(e.msg, "SpinalCord"),
            "%s", e.msg);
  /* ... unless the case file's structure_map says which one */
  rert_case c;
  parse_case(",\"structure_map\":{\"Spinal Cord\":\"SpinalCord\"},\"structure_roles\":{\"BODY\":\"NONE\"}", &c);
  cr_assert_eq(structmap_resolve(&ss, "RS.dcm", &c, &m, &e), 0, "%s", e.msg);
  cr_expect_eq(m.e[0].role, SROLE_UNUSED, "%s", m.e[0].role_text);
  cr_expect_str_eq(m.e[3].name, "SpinalCord");
  cr_expect_eq(m.e[2].role, SROLE_UNUSED);
  structmap_free(&m);
  casefile_free(&c);
  /* structure_roles makes a Pinnacle ROI a target explicitly; null removes an ROI */
  parse_case(",\"structure_map\":{\"Myelon\":null},\"structure_roles\":{\"Spinal Cord\":\"PTV\"}", &c);
  cr_assert_eq(structmap_resolve(&ss, "RS.dcm", &c, &m, &e), 0, "%s", e.msg);
  cr_expect_eq(m.e[0].role, SROLE_UNUSED);
  cr_expect_eq(m.e[3].role, SROLE_TARGET);
  cr_expect(strstr(m.e[3].role_text, "structure_roles"));
  structmap_free(&m);
  casefile_free(&c);
}

/* A real export (dicompyler-core's example structure set, BSD licence, tests/data/real/
 * dicompyler-core/README.md; the file arrives with the geometry work of issue 13): its local
 * names and RTROIInterpretedTypes as a planning system wrote them. 'Lt Lung' is typed AVOIDANCE
 * but names the left lung (TG-263 Lung_L); Areola/Nodes/Scar are unmapped helpers; the CTV/GTV
 * typed ROIs are targets whatever their names. */
#include "rert/dicomio.h"
#include <sys/stat.h>
Test(structmap, real_export_dicompyler_breast) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/real/dicompyler-core/rtss_breast.dcm", RERT_SOURCE_DIR);
  struct stat st;
  if (stat(path, &st) != 0) cr_skip_test("%s not in this tree yet", path);
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  rert_err e;
  cr_assert_eq(io_read_rtstruct(path, &ss, &e), RERT_OK, "%s", e.msg);
  rert_structmap m;
  cr_assert_eq(structmap_resolve(&ss, path, NULL, &m, &e), RERT_OK, "%s", e.msg);
  int seen = 0;
  for (int i = 0; i < m.n; i++) {
    const smap_entry *x = &m.e[i];
    if (!strcmp(x->local, "Lt Lung")) {
      seen++;
      cr_expect_str_eq(x->name, "Lung_L");
      cr_expect_eq(x->role, SROLE_ORGAN, "%s", x->role_text);
    }
    if (!strcmp(x->local, "Heart")) {
      seen++;
      cr_expect_eq(x->role, SROLE_ORGAN);
    }
    if (!strcmp(x->local, "Tumor Bed")) {
      seen++;
      cr_expect_eq(x->role, SROLE_TARGET);
    }
    if (!strcmp(x->local, "Nodes") || !strcmp(x->local, "Scar") || !strcmp(x->local, "Areola")) {
      seen++;
      cr_expect_eq(x->role, SROLE_UNUSED, "%s: %s", x->local, x->role_text);
    }
  }
  cr_expect_eq(seen, 6);
  structmap_free(&m);
  rtdata_free_structure_set(&ss);
}
