/* phantom_case.c — the case file (JSON) of the synthetic patient: patient, clinical facts,
 * courses with dates/fractions/prescriptions and the paths of their DICOM objects, the
 * ground-truth registrations, and the structure map. The consult reads this file.
 *
 * Schema "rert-case/1" (owned by the clinical module, include/rert/casefile.h, docs/case-file.md;
 * phantom-only keys start with x_). Everything that depends on that schema is in case_json() so
 * it can follow schema changes in one place.
 * Paths are relative to the case file's directory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "phantom/phantom_internal.h"
#include "rert/data.h"
#include "rert/fileio.h"

static void add_date(cJSON *o, const char *key, rert_date d) {
  char buf[11];
  date_format(d, buf);
  cJSON_AddStringToObject(o, key, buf);
}

/* whole years of age on date d */
static int age_years(rert_date birth, rert_date d) {
  int a = d.year - birth.year;
  if (d.month < birth.month || (d.month == birth.month && d.day < birth.day)) a--;
  return a;
}

void phantom_paths_course(const rert_phantom_model *m, int c, phantom_course_paths *p) {
  const char *id = m->course[c].id;
  snprintf(p->ct_dir, sizeof p->ct_dir, "%s/CT", id);
  snprintf(p->rtstruct, sizeof p->rtstruct, "%s/RS_%s.dcm", id, id);
  snprintf(p->rtdose, sizeof p->rtdose, "%s/RD_%s.dcm", id, id);
  snprintf(p->rtplan, sizeof p->rtplan, "%s/RP_%s.dcm", id, id);
}

void phantom_paths_registration(const rert_phantom_model *m, int from, int to,
                                phantom_reg_paths *p) {
  snprintf(p->dicom, sizeof p->dicom, "registration/REG_%s_to_%s.dcm", m->course[from].id,
           m->course[to].id);
  snprintf(p->mha, sizeof p->mha, "registration/field_%s_to_%s.mha", m->course[from].id,
           m->course[to].id);
}

/* Ground truth for scoring: fraction of the latest GTV's volume inside the 95 % isodose of prior
 * course `prior`, by sampling the GTV every 0.5 mm (course-own space) and mapping each sample
 * into the prior course through the known deformation. */
static double overlap_fraction(const rert_phantom_model *m, int prior) {
  int last = m->ncourses - 1;
  const rert_phantom_prim *g = &m->roi[m->course[last].gtv_roi].part[0];
  double rmax = fmax(g->semi[0], fmax(g->semi[1], g->semi[2]));
  int n = (int)ceil(rmax / 0.5);
  long in = 0, hot = 0;
  double thr = 0.95 * m->course[prior].prescription_gy;
#pragma omp parallel for collapse(2) reduction(+ : in, hot) schedule(static)
  for (int k = -n; k <= n; k++)
    for (int j = -n; j <= n; j++)
      for (int i = -n; i <= n; i++) {
        double x[3] = {g->centre[0] + 0.5 * i, g->centre[1] + 0.5 * j, g->centre[2] + 0.5 * k}, y[3];
        if (phantom_prim_level(g, x) > 0) continue;
        in++;
        phantom_map_between(m, last, prior, x, y);
        if (phantom_dose_gy(m, prior, y) >= thr) hot++;
      }
  return in ? (double)hot / (double)in : 0.0;
}

/* Ground truth per course and structure of that course: volume, maximum and mean dose of the
 * course's own dose over the continuous (analytic) shape within the course's CT (slab from the
 * first to the last slice ± half a slice, in-plane field of view), sampled on a 1 mm lattice in
 * course coordinates. DVH tools working from the
 * contours and the dose grid should approach these. */
static void structure_truth(const rert_phantom_model *m, int c, int r, double *volume_cc,
                            double *dmax_gy, double *dmean_gy) {
  const rert_phantom_grid *ct = &m->course[c].ct;
  double box[4], zr[2], w;
  phantom_roi_box(m, r, c, box, zr, &w);
  zr[0] -= 2.0, zr[1] += 2.0; /* the box's z range is exact at flat ends */
  double lo[3], hi[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = ct->origin_mm[a] - 0.5 * ct->spacing_mm[a];
    hi[a] = lo[a] + (a == 0 ? ct->nx : a == 1 ? ct->ny : ct->nz) * ct->spacing_mm[a];
  }
  box[0] = fmax(box[0], lo[0]), box[1] = fmin(box[1], hi[0]);
  box[2] = fmax(box[2], lo[1]), box[3] = fmin(box[3], hi[1]);
  zr[0] = fmax(zr[0], lo[2]), zr[1] = fmin(zr[1], hi[2]);
  const double h = 1.0;
  (void)w;
  int nx = (int)floor((box[1] - box[0]) / h), ny = (int)floor((box[3] - box[2]) / h);
  int nz = (int)floor((zr[1] - zr[0]) / h);
  long n = 0;
  double sum = 0, mx = 0;
  if (nx > 0 && ny > 0 && nz > 0) {
#pragma omp parallel for reduction(+ : n, sum) reduction(max : mx) schedule(dynamic)
    for (int k = 0; k < nz; k++) {
      double z = zr[0] + (k + 0.5) * h;
      /* coarse pass (4 h) for this plane's in-plane extent, as in the contour tracer */
      int i0 = nx, i1 = -1, j0 = ny, j1 = -1, step = 4;
      for (int j = 0; j < ny; j += step)
        for (int i = 0; i < nx; i += step) {
          double x[3] = {box[0] + (i + 0.5) * h, box[2] + (j + 0.5) * h, z};
          if (phantom_roi_level(m, r, c, x) < step * h) {
            if (i < i0) i0 = i;
            if (i > i1) i1 = i;
            if (j < j0) j0 = j;
            if (j > j1) j1 = j;
          }
        }
      if (i1 < 0) continue;
      i0 = i0 - 2 * step < 0 ? 0 : i0 - 2 * step, j0 = j0 - 2 * step < 0 ? 0 : j0 - 2 * step;
      i1 = i1 + 2 * step >= nx ? nx - 1 : i1 + 2 * step, j1 = j1 + 2 * step >= ny ? ny - 1 : j1 + 2 * step;
      for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) {
          double x[3] = {box[0] + (i + 0.5) * h, box[2] + (j + 0.5) * h, z};
          if (phantom_roi_level(m, r, c, x) > 0) continue;
          double d = phantom_dose_gy(m, c, x);
          n++;
          sum += d;
          if (d > mx) mx = d;
        }
    }
  }
  *volume_cc = (double)n * h * h * h / 1000.0;
  *dmax_gy = mx;
  *dmean_gy = n ? sum / (double)n : 0.0;
}

/* 10 significant digits: the sums behind these values are OpenMP reductions whose last bits
 * depend on the thread schedule, and case.json must be byte-identical for the same seed
 * (JSON numbers are otherwise printed at full precision, json_print_full). */
static double sig10(double v) {
  char b[40];
  snprintf(b, sizeof b, "%.10g", v);
  return strtod(b, NULL);
}

static cJSON *organ_truth(const rert_phantom_model *m, int c) {
  cJSON *o = cJSON_CreateObject();
  for (int r = 0; r < m->nrois; r++) {
    const rert_phantom_roi *roi = &m->roi[r];
    if (r == PH_EXTERNAL || (roi->course != 0 && roi->course != c + 1)) continue;
    double v, dmax, dmean;
    structure_truth(m, c, r, &v, &dmax, &dmean);
    cJSON *e = cJSON_AddObjectToObject(o, roi->name);
    json_add_num(e, "volume_cc", sig10(v));
    json_add_num(e, "dmax_gy", sig10(dmax));
    json_add_num(e, "dmean_gy", sig10(dmean));
  }
  return o;
}

cJSON *phantom_case_json(const rert_phantom_model *m) {
  int last = m->ncourses - 1;
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "schema", "rert-case/1");
  cJSON_AddStringToObject(root, "comment",
                          "rert synthetic head-and-neck re-irradiation patient (rert phantom)");
  cJSON *pt = cJSON_AddObjectToObject(root, "patient");
  cJSON_AddStringToObject(pt, "id", m->patient_id);
  cJSON_AddStringToObject(pt, "name", m->patient_name);
  add_date(pt, "birth_date", m->birth_date);
  cJSON_AddStringToObject(pt, "sex", m->patient_sex);

  /* clinical facts at the time of the latest recurrence (synthetic, documented in
   * docs/phantom.md; chosen so the decision tools have every field they ask for) */
  cJSON *cl = cJSON_AddObjectToObject(root, "clinical");
  cJSON_AddNumberToObject(cl, "age_years", age_years(m->birth_date, m->course[last].start_date));
  cJSON_AddNumberToObject(cl, "ecog", 1);
  cJSON_AddStringToObject(cl, "histology", "squamous");
  cJSON_AddNumberToObject(cl, "kps", 80);
  cJSON_AddBoolToObject(cl, "p16", 0);
  cJSON_AddStringToObject(cl, "subsite", "oropharynx");
  cJSON_AddStringToObject(cl, "rT", "rT2");
  cJSON_AddStringToObject(cl, "rN", "rN0");
  const rert_phantom_roi *gtv = &m->roi[m->course[last].gtv_roi];
  json_add_num(cl, "recurrence_volume_cc", phantom_prim_volume_mm3(&gtv->part[0]) / 1000.0);
  double dmax = gtv->part[0].semi[0];
  for (int a = 1; a < 3; a++)
    if (gtv->part[0].semi[a] > dmax) dmax = gtv->part[0].semi[a];
  json_add_num(cl, "recurrence_size_cm", 2.0 * dmax / 10.0); /* greatest diameter */
  cJSON_AddStringToObject(cl, "recurrence_extent", "local");
  add_date(cl, "diagnosis_date", date_from_days(date_to_days(m->course[0].ct_date) - 33));
  add_date(cl, "recurrence_date", date_from_days(date_to_days(m->course[last].ct_date) - 21));
  cJSON_AddBoolToObject(cl, "prior_surgery", 0);
  cJSON_AddBoolToObject(cl, "neck_dissection", 0);
  cJSON_AddBoolToObject(cl, "flap_reconstruction", 0);
  cJSON_AddBoolToObject(cl, "resectable", 0);
  cJSON_AddBoolToObject(cl, "accepts_surgery", 0);
  cJSON *sv = cJSON_AddObjectToObject(cl, "salvage_surgery");
  cJSON_AddStringToObject(sv, "status", "none");
  cJSON *od = cJSON_AddObjectToObject(cl, "organ_dysfunction");
  cJSON_AddBoolToObject(od, "feeding_tube", 0);
  cJSON_AddBoolToObject(od, "tracheostomy", 0);
  cJSON_AddBoolToObject(od, "soft_tissue_defect", 0);
  cJSON_AddBoolToObject(cl, "distant_metastases", 0);
  cJSON *ca = cJSON_AddObjectToObject(cl, "carotid");
  cJSON_AddNumberToObject(ca, "encasement_deg", 0);
  cJSON_AddBoolToObject(ca, "invasion", 0);
  cJSON_AddBoolToObject(cl, "mucosal_ulceration", 0);
  cJSON *dn = cJSON_AddObjectToObject(cl, "dental");
  cJSON_AddStringToObject(dn, "status", "good");
  cJSON_AddBoolToObject(dn, "planned_extractions", 0);
  cJSON_AddStringToObject(cl, "goals_of_care", "curative");

  cJSON *cs = cJSON_AddArrayToObject(root, "courses");
  for (int c = 0; c < m->ncourses; c++) {
    const rert_phantom_course *k = &m->course[c];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", k->id);
    cJSON_AddStringToObject(o, "role", c == last ? "planned" : "prior");
    add_date(o, "start_date", k->start_date);
    add_date(o, "end_date", k->end_date);
    cJSON_AddStringToObject(o, "modality", "photon");
    cJSON_AddStringToObject(o, "rbe_model", "PHYSICAL");
    cJSON_AddStringToObject(o, "technique", k->technique);
    cJSON_AddNumberToObject(o, "fractions", k->fractions);
    cJSON_AddNumberToObject(o, "fractions_per_day", 1);
    json_add_num(o, "prescription_gy", k->prescription_gy);
    cJSON_AddBoolToObject(o, "elective_nodes", k->nlevels > 1);
    if (c == 0) cJSON_AddStringToObject(o, "systemic", "cisplatin");
    cJSON_AddStringToObject(o, "x_target_roi", m->roi[k->ptv_roi].name);
    phantom_course_paths p;
    phantom_paths_course(m, c, &p);
    cJSON *d = cJSON_AddObjectToObject(o, "dicom");
    cJSON_AddStringToObject(d, "ct_dir", p.ct_dir);
    cJSON_AddStringToObject(d, "rtstruct", p.rtstruct);
    cJSON_AddStringToObject(d, "rtdose", p.rtdose);
    cJSON_AddStringToObject(d, "rtplan", p.rtplan);
    cJSON_AddItemToArray(cs, o);
  }
  cJSON_AddStringToObject(root, "reference_course", m->course[last].id);
  cJSON *rg = cJSON_AddArrayToObject(root, "registrations");
  for (int c = 0; c < last; c++) {
    phantom_reg_paths p;
    phantom_paths_registration(m, c, last, &p);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "from", m->course[c].id);
    cJSON_AddStringToObject(o, "to", m->course[last].id);
    cJSON_AddStringToObject(o, "type", "deformable");
    cJSON_AddStringToObject(o, "dicom", p.dicom);
    cJSON_AddStringToObject(o, "mha", p.mha);
    cJSON_AddStringToObject(o, "x_convention",
                            "pull-back: course-'from' point = x + u(x) for x on the 'to' grid");
    cJSON_AddBoolToObject(o, "x_ground_truth", 1);
    cJSON_AddItemToArray(rg, o);
  }
  cJSON *sm = cJSON_AddObjectToObject(root, "structure_map");
  for (int r = 0; r < m->nrois; r++) cJSON_AddStringToObject(sm, m->roi[r].name, m->roi[r].name);
  cJSON_AddStringToObject(root, "recurrence_roi", gtv->name);
  cJSON *rv = cJSON_AddObjectToObject(root, "recovery");
  cJSON_AddStringToObject(rv, "default", "none");
  cJSON_AddObjectToObject(rv, "per_organ");
  cJSON_AddArrayToObject(root, "protocols");
  cJSON *gt = cJSON_AddObjectToObject(root, "x_ground_truth");
  cJSON_AddStringToObject(gt, "comment",
                          "analytic values of the synthetic patient for scoring (docs/phantom.md)");
  cJSON *ov = cJSON_AddObjectToObject(gt, "recurrence_overlap_fraction");
  for (int c = 0; c < last; c++)
    json_add_num(ov, m->course[c].id, overlap_fraction(m, c));
  cJSON *og = cJSON_AddObjectToObject(gt, "structures");
  for (int c = 0; c < m->ncourses; c++) cJSON_AddItemToObject(og, m->course[c].id, organ_truth(m, c));
  cJSON_AddStringToObject(gt, "structures_definition",
                          "per course: volume, Dmax and Dmean of that course's physical dose over "
                          "the analytic shape in that course's anatomy, within that course's CT, "
                          "1 mm lattice");
  cJSON_AddStringToObject(gt, "recurrence_overlap_definition",
                          "fraction of the recurrence GTV volume inside the prior course's 95 % "
                          "isodose, analytic (0.5 mm sampling through the known deformation)");
  return root;
}

int phantom_write_case(const rert_phantom_model *m, const char *path, rert_err *err) {
  cJSON *root = phantom_case_json(m);
  char *s = root ? json_print_full(root, 1) : NULL;
  cJSON_Delete(root);
  if (!s) return rert_err_set(err, RERT_EINTERNAL, "%s: cannot format case file", path);
  size_t n = 0;
  while (s[n]) n++;
  s[n] = '\n'; /* replace the terminator: the file ends with a newline */
  int rc = atomic_write_buffer(path, s, n + 1, err);
  free(s);
  return rc;
}
