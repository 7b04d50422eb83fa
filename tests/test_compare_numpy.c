/* test_compare_numpy.c — one candidate's cumulative EQD2 rows of `rert compare` recomputed
 * independently with pydicom and numpy (tests/compare_recompute.py: exact maximum and exact
 * integral of the trilinear EQD2 interpolant over each box structure), on a box patient whose
 * doses carry linear gradients on top of their regions; and the difference maps written by
 * `rert compare --out` read back and checked voxel by voxel against the per-candidate cumulative
 * maps. /usr/bin/python3 is Debian's (pydicom, numpy). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/box_case.h"
#include "support/run.h"

static void regions(box_course *c, double ptv, double cord, double carotid, double mandible, double parotid) {
  c->nregions = 0;
  c->region[c->nregions++] = box_region_around("PTV", 9, ptv);
  c->region[c->nregions++] = box_region_around("SpinalCord", 6, cord);
  c->region[c->nregions++] = box_region_around("A_Carotid_R", 6, carotid);
  c->region[c->nregions++] = box_region_around("Bone_Mandible", 3, mandible);
  c->region[c->nregions++] = box_region_around("Parotid_L", 6, parotid);
}

Test(compare_numpy, rows_recomputed_by_pydicom_numpy, .timeout = 600) {
  const char *dir = test_tmpdir();
  box_course c[3] = {
      {.id = "prior", .role = "prior", .modality = "photon", .technique = "IMRT", .fractions = 30,
       .prescription_gy = 60, .start = "2021-01-04", .end = "2021-02-12", .background_gy = 6,
       .grad_gy_per_mm = {0.05, 0.03, -0.02}},
      {.id = "A", .role = "candidate", .modality = "photon", .technique = "VMAT", .fractions = 25,
       .prescription_gy = 50, .start = "2024-03-04", .end = "2024-04-05", .background_gy = 3,
       .grad_gy_per_mm = {-0.04, 0.02, 0.03}, .with_structures = 1},
      {.id = "B", .role = "candidate", .modality = "photon", .technique = "VMAT", .fractions = 25,
       .prescription_gy = 50, .start = "2024-03-04", .end = "2024-04-05", .background_gy = 3,
       .grad_gy_per_mm = {-0.04, 0.02, 0.03}}};
  regions(&c[0], 60, 32, 48, 44, 22);
  regions(&c[1], 50, 18, 31, 24, 12);
  regions(&c[2], 50, 9, 31, 24, 12);
  char prot[1200];
  snprintf(prot, sizeof prot, "%s/p.json", dir);
  FILE *f = fopen(prot, "w");
  cr_assert_not_null(f);
  fputs("{\"schema\":\"rert-protocol/1\",\"name\":\"numpy_rows\",\"title\":\"rows for the numpy recomputation\","
        "\"source\":\"test\",\"verified\":true,\"constraints\":["
        "{\"id\":\"cord_dmax\",\"organ\":\"SpinalCord\",\"metric\":\"Dmax\",\"limit_gy\":60,\"comparator\":\"<=\",\"tier\":\"mandatory\","
        "\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"none\",\"source\":\"t\",\"verified\":true},"
        "{\"id\":\"cord_mean_rec\",\"organ\":\"SpinalCord\",\"metric\":\"Dmean\",\"limit_gy\":60,\"comparator\":\"<=\",\"tier\":\"acceptable\","
        "\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":2,\"recovery\":\"s4_stepwise\",\"source\":\"t\",\"verified\":true},"
        "{\"id\":\"carotid_dmax_rec\",\"organ\":\"A_Carotid_R\",\"metric\":\"Dmax\",\"limit_gy\":120,\"comparator\":\"<=\",\"tier\":\"mandatory\","
        "\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":3,\"recovery\":\"s4_stepwise\",\"source\":\"t\",\"verified\":true},"
        "{\"id\":\"mandible_dmax\",\"organ\":\"Bone_Mandible\",\"metric\":\"Dmax\",\"limit_gy\":110,\"comparator\":\"<=\",\"tier\":\"mandatory\","
        "\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":3,\"recovery\":\"none\",\"source\":\"t\",\"verified\":true},"
        "{\"id\":\"parotid_mean\",\"organ\":\"Parotid_L\",\"metric\":\"Dmean\",\"limit_gy\":40,\"comparator\":\"<=\",\"tier\":\"desirable\","
        "\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":3,\"recovery\":\"none\",\"source\":\"t\",\"verified\":true},"
        "{\"id\":\"mandible_mean_new\",\"organ\":\"Bone_Mandible\",\"metric\":\"Dmean\",\"limit_gy\":40,\"comparator\":\"<=\",\"tier\":\"desirable\","
        "\"scope\":\"new_course\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":3,\"recovery\":\"none\",\"source\":\"t\",\"verified\":true}]}\n",
        f);
  fclose(f);
  char cp[1200], extra[1400];
  snprintf(extra, sizeof extra, "\"protocols\":[\"%s\"]", prot);
  rert_err e;
  cr_assert_eq(box_case_write(dir, c, 3, extra, cp, sizeof cp, &e), 0, "%s", e.msg);
  char args[4000], json[1300], out[1300];
  snprintf(json, sizeof json, "%s/compare.json", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(args, sizeof args, "%s compare %s --uncertainty-mm 0 --out %s --json > %s", RERT_BIN, cp, out, json);
  int rc = system(args);
  cr_assert(WIFEXITED(rc) && (WEXITSTATUS(rc) == 0 || WEXITSTATUS(rc) == 1), "%s", args);
  for (int k = 0; k < 2; k++) {
    snprintf(args, sizeof args, "/usr/bin/python3 %s/tests/compare_recompute.py %s %s %s %s 2>&1", RERT_SOURCE_DIR, cp,
             json, k ? "B" : "A", prot);
    FILE *p = popen(args, "r");
    char buf[8192] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s\n%s", args, buf);
    cr_assert(strstr(buf, "cord_dmax") && strstr(buf, "parotid_mean"), "%s", buf);
  }
  snprintf(args, sizeof args, "/usr/bin/python3 %s/tests/compare_recompute.py --maps %s A B 2>&1", RERT_SOURCE_DIR, out);
  FILE *p = popen(args, "r");
  char buf[4096] = "";
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  buf[n] = 0;
  int st = pclose(p);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s\n%s", args, buf);
}
