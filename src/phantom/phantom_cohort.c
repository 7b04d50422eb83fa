/* phantom_cohort.c — a synthetic re-irradiation cohort with outcomes from a stated NTCP model
 * under a stated true recovery model (`rert phantom --cohort N`), so cohort analyses can be
 * checked against known parameters (docs/cohort.md, "Synthetic cohorts").
 *
 * Each case is small on purpose (fast cohorts of hundreds): one 40×40×24 CT at 4 mm, an RTSTRUCT
 * with External, Brainstem (sphere), SpinalCord and A_Carotid_L (cylinders), Parotid_L (sphere)
 * and the new course's PTV; per course an RTPLAN and an RTDOSE on the same grid and frame of
 * reference (prior doses as re-exported on the current planning CT). Randomised per case: organ
 * positions (±6 mm) and sizes (±15 %), 1 or 2 prior courses (60–70 Gy in 2 Gy fractions), the new
 * regimen, the intervals (log-uniform 3–96 months), and for the endpoint organ the fraction of
 * each course's prescription it receives (target placed at the matching distance). Dose of a
 * course: D = Dp·[(1 − b)·½erfc((r − R)/(√2σ)) + b·e^(−max(r − R, 0)/λ)], σ 5 mm, b 0.12,
 * λ 35 mm, r the distance to the target centre, 0 outside the body.
 *
 * Truth: the endpoint organ's metric (Dmax or Dmean of cumulative EQD2 at the organ's α/β, with
 * the TRUE recovery of each prior course; a limit model enters as value / limit factor) is
 * computed as docs/accumulate.md defines it — voxel EQD2 from the local dose per fraction,
 * interpolated trilinearly — by sampling the analytic shape every 0.5 mm; the event is drawn with
 * the stated logistic or probit probability of that value. Grades, dates, survival (exponential,
 * hazard ratio 2 for ECOG ≥ 2) and local failure are drawn as documented. Everything is written to
 * DIR/manifest.csv, DIR/truth.json and DIR/cases/<id>/; same options → identical files.
 * --cohort-kind points writes point-dose case files instead (no DICOM; per-course organ maxima).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rert/data.h"
#include "rert/dicomio.h"
#include "rert/fileio.h"
#include "rert/phantom.h"
#include "rert/recovery.h"
#include "rert/tissue.h"

#define NX 40
#define NY 40
#define NZ 24
#define SP 4.0
#define SIGMA_MM 5.0
#define BATH 0.12
#define BATH_MM 35.0
#define MAXC 3
#define COHORT_PATH_LEN_PH 4096

typedef struct {
  int cyl;          /* 0 sphere, 1 cylinder along z */
  double c[3], r, z0, z1;
} shape;

enum { R_EXT = 0, R_BRAINSTEM, R_CORD, R_PAROTID, R_CAROTID, R_PTV, NROI };
static const char *roi_names[NROI] = {"External", "Brainstem", "SpinalCord", "Parotid_L", "A_Carotid_L", "PTV_new"};

typedef struct {
  unsigned long long s;
} rng;

static double urand(rng *g) {
  unsigned long long z = (g->s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (double)(z >> 11) / 9007199254740992.0;
}
static double unif(rng *g, double a, double b) { return a + (b - a) * urand(g); }

typedef struct {
  int ncourses;               /* priors + new (last) */
  double dp[MAXC];            /* prescription Gy */
  int nfx[MAXC];
  rert_date start[MAXC], end[MAXC];
  double t[MAXC][3], R[MAXC]; /* target centre and radius */
  shape roi[NROI];
} cohort_case;

static double profile(double d) {
  return (1 - BATH) * 0.5 * erfc(d / (M_SQRT2 * SIGMA_MM)) + BATH * exp(-fmax(d, 0) / BATH_MM);
}

static double course_dose(const cohort_case *k, int c, const double x[3]) {
  double ex = x[0] / 72.0, ey = x[1] / 68.0;
  if (ex * ex + ey * ey > 1) return 0;
  double dx = x[0] - k->t[c][0], dy = x[1] - k->t[c][1], dz = x[2] - k->t[c][2];
  return k->dp[c] * profile(sqrt(dx * dx + dy * dy + dz * dz) - k->R[c]);
}

static const double ORIGIN[3] = {-78, -78, -46};

/* Radius of the structure's contour on CT slice k (0 = no contour there). The RTSTRUCT holds
 * these circles; the truth samples the shape they define (docs/dvh.md: each contour is a slab
 * reaching half-way to its neighbours, half a slice beyond the first and last). */
static double contour_radius(const shape *s, int k) {
  double zz = ORIGIN[2] + SP * k;
  if (s->cyl) return zz >= s->z0 && zz <= s->z1 ? s->r : 0;
  double dz = zz - s->c[2];
  if (fabs(dz) >= s->r) return 0;
  double r = sqrt(s->r * s->r - dz * dz);
  return r < 0.5 ? 0 : r;
}

static int inside(const shape *s, const double x[3]) {
  int k = (int)lround((x[2] - ORIGIN[2]) / SP);
  if (k < 0 || k >= NZ) return 0;
  double r = contour_radius(s, k), dx = x[0] - s->c[0], dy = x[1] - s->c[1];
  return r > 0 && dx * dx + dy * dy <= r * r;
}

/* distance from the surface such that the profile equals f (bisection) */
static double distance_for(double f) {
  double lo = -20, hi = 300;
  for (int i = 0; i < 100; i++) {
    double mid = 0.5 * (lo + hi);
    if (profile(mid) > f) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

static void make_case(rng *g, int npoints_only, cohort_case *k, const char *organ) {
  memset(k, 0, sizeof *k);
  double j = 6;
  k->roi[R_EXT] = (shape){1, {0, 0, 0}, 0, -46, 46};
  k->roi[R_BRAINSTEM] = (shape){0, {unif(g, -j, j), 20 + unif(g, -j, j), 25 + unif(g, -j, j)}, 11 * unif(g, 0.85, 1.15), 0, 0};
  double cx = unif(g, -3, 3), cy = 32 + unif(g, -3, 3);
  k->roi[R_CORD] = (shape){1, {cx, cy, 0}, 5 * unif(g, 0.85, 1.15), -38, k->roi[R_BRAINSTEM].c[2] - 12};
  k->roi[R_PAROTID] = (shape){0, {40 + unif(g, -j, j), 5 + unif(g, -j, j), 5 + unif(g, -j, j)}, 14 * unif(g, 0.85, 1.15), 0, 0};
  k->roi[R_CAROTID] = (shape){1, {22 + unif(g, -3, 3), -2 + unif(g, -3, 3), 0}, 4 * unif(g, 0.85, 1.15), -38, 15};
  int ep = R_BRAINSTEM;
  for (int r = 1; r < R_PTV; r++)
    if (!strcmp(roi_names[r], organ)) ep = r;
  const shape *o = &k->roi[ep];
  k->ncourses = urand(g) < 0.2 ? 3 : 2;
  static const double pri[3] = {60, 66, 70};
  static const double newd[6][2] = {{60, 30}, {54, 27}, {50, 25}, {45, 15}, {40, 20}, {36, 12}};
  /* dates backwards from the new course */
  rert_date new_start = date_from_days(date_to_days((rert_date){2022, 1, 3}) + (long)unif(g, 0, 900));
  int last = k->ncourses - 1;
  int ni = (int)(urand(g) * 6);
  k->dp[last] = newd[ni][0], k->nfx[last] = (int)newd[ni][1];
  k->start[last] = new_start;
  k->end[last] = date_from_days(date_to_days(new_start) + (long)ceil(k->nfx[last] / 5.0 * 7) - 3);
  rert_date next_start = new_start;
  for (int c = last - 1; c >= 0; c--) {
    k->dp[c] = pri[(int)(urand(g) * 3)];
    k->nfx[c] = (int)(k->dp[c] / 2);
    double months = c == last - 1 ? exp(unif(g, log(3.0), log(96.0))) : unif(g, 12, 60);
    k->end[c] = date_from_days(date_to_days(next_start) - (long)round(months * 30.4375));
    k->start[c] = date_from_days(date_to_days(k->end[c]) - (long)ceil(k->nfx[c] / 5.0 * 7) + 3);
    next_start = k->start[c];
  }
  /* targets: each course gives the endpoint organ a random fraction of its prescription */
  for (int c = 0; c < k->ncourses; c++) {
    double f = unif(g, 0.5, 1.0);
    k->R[c] = unif(g, 12, 22);
    double d = distance_for(f);
    /* direction mostly in-plane, away from the organ into the body */
    double ang = unif(g, 0, 2 * M_PI), u[3] = {cos(ang), sin(ang), unif(g, -0.3, 0.3)};
    double nu = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    double ref[3] = {o->c[0], o->c[1], o->cyl ? unif(g, o->z0 + 8, o->z1 - 8) : o->c[2]};
    double reach = o->r + k->R[c] + d;
    for (int a = 0; a < 3; a++) k->t[c][a] = ref[a] + u[a] / nu * reach;
    if (npoints_only) continue;
    /* keep the target inside the grid: move along the same direction as little as needed */
    for (int a = 0; a < 3; a++) {
      double lo = ORIGIN[a] + 2, hi = ORIGIN[a] + SP * ((a == 2 ? NZ : NX) - 1) - 2;
      k->t[c][a] = fmin(hi, fmax(lo, k->t[c][a]));
    }
  }
  k->roi[R_PTV] = (shape){0, {k->t[last][0], k->t[last][1], k->t[last][2]}, k->R[last], 0, 0};
}

/* ---- truth: the metric as rert defines it, by sampling ---- */
static double eqd2(double D, double n, double ab) { return D * (D / n + ab) / (2 + ab); }

typedef struct {
  double ab;
  double keep[MAXC];     /* 1 − R per prior course (1 for limit models and the new course) */
  double limit_factor;   /* limit models at the shortest interval, else 1 */
} truth_model;

/* recovered cumulative EQD2 at a point: trilinear interpolation of the node values */
static double cum_at(const cohort_case *k, const truth_model *tm, float *const dose[MAXC], const double p[3]) {
  double fi = (p[0] - ORIGIN[0]) / SP, fj = (p[1] - ORIGIN[1]) / SP, fk = (p[2] - ORIGIN[2]) / SP;
  if (fi < 0 || fj < 0 || fk < 0 || fi > NX - 1 || fj > NY - 1 || fk > NZ - 1) return NAN;
  int i0 = (int)fi, j0 = (int)fj, k0 = (int)fk;
  if (i0 > NX - 2) i0 = NX - 2;
  if (j0 > NY - 2) j0 = NY - 2;
  if (k0 > NZ - 2) k0 = NZ - 2;
  double wx = fi - i0, wy = fj - j0, wz = fk - k0, v = 0;
  for (int dk = 0; dk < 2; dk++)
    for (int dj = 0; dj < 2; dj++)
      for (int di = 0; di < 2; di++) {
        size_t idx = (size_t)(i0 + di) + NX * ((size_t)(j0 + dj) + NY * (size_t)(k0 + dk));
        double e = 0;
        for (int c = 0; c < k->ncourses; c++) e += tm->keep[c] * eqd2(dose[c][idx], k->nfx[c], tm->ab);
        v += (di ? wx : 1 - wx) * (dj ? wy : 1 - wy) * (dk ? wz : 1 - wz) * e;
      }
  return v;
}

/* voxel EQD2 grids per course on the dose grid, then trilinear samples of the recovered sum */
static void truth_metric(const cohort_case *k, int roi, const truth_model *tm, float *const dose[MAXC],
                         double *dmax, double *dmean) {
  const shape *s = &k->roi[roi];
  double lo[3], hi[3];
  for (int a = 0; a < 3; a++) {
    double r = s->r + (a == 2 ? SP : 0);
    lo[a] = s->c[a] - r, hi[a] = s->c[a] + r;
  }
  if (s->cyl) lo[2] = s->z0 - SP, hi[2] = s->z1 + SP;
  /* the lattice is offset by a quarter step so no sample sits on a slab boundary */
  for (int a = 0; a < 3; a++) lo[a] += 0.125;
  double mx = -INFINITY, sum = 0;
  long n = 0;
  /* interior lattice (mean and max) */
  for (double z = lo[2]; z <= hi[2] + 1e-9; z += 0.5)
    for (double y = lo[1]; y <= hi[1] + 1e-9; y += 0.5)
      for (double x = lo[0]; x <= hi[0] + 1e-9; x += 0.5) {
        double p[3] = {x, y, z};
        if (!inside(s, p)) continue;
        double v = cum_at(k, tm, dose, p);
        if (isnan(v)) continue;
        mx = fmax(mx, v), sum += v, n++;
      }
  /* the boundary, where the maximum of a steep field lies: each contour circle every 0.5°
   * at 17 heights through its slab (faces included) */
  for (int kz = 0; kz < NZ; kz++) {
    double r = contour_radius(s, kz);
    if (r <= 0) continue;
    for (int h = 0; h <= 16; h++) {
      double z = ORIGIN[2] + SP * kz + SP * (h / 16.0 - 0.5) * 0.99999;
      for (int t = 0; t < 720; t++) {
        double a = 2 * M_PI * t / 720, p[3] = {s->c[0] + r * cos(a), s->c[1] + r * sin(a), z};
        double v = cum_at(k, tm, dose, p);
        if (!isnan(v)) mx = fmax(mx, v);
      }
    }
  }
  *dmax = mx / tm->limit_factor;
  *dmean = n ? sum / n / tm->limit_factor : NAN;
}

/* ---- DICOM ---- */
static void uid(unsigned long long seed, int ci, const char *what, char out[RERT_UID_LEN]) {
  char key[160];
  snprintf(key, sizeof key, "rert-phantom-cohort/%llu/%d/%s", seed, ci, what);
  io_make_uid_from(key, out);
}

static void ident(rert_dicom_ident *id, unsigned long long seed, int ci, int course, const char *mod, const char *sop,
                  const char *what, const char *pid, rert_date study) {
  memset(id, 0, sizeof *id);
  char w[64];
  snprintf(id->modality, sizeof id->modality, "%s", mod);
  snprintf(id->sop_class_uid, sizeof id->sop_class_uid, "%s", sop);
  snprintf(w, sizeof w, "%s/sop", what), uid(seed, ci, w, id->sop_instance_uid);
  snprintf(w, sizeof w, "%s/series", what), uid(seed, ci, w, id->series_instance_uid);
  snprintf(w, sizeof w, "course%d/study", course + 1), uid(seed, ci, w, id->study_instance_uid);
  uid(seed, ci, "frame", id->frame_of_reference_uid);
  snprintf(id->patient_id, sizeof id->patient_id, "%s", pid);
  snprintf(id->patient_name, sizeof id->patient_name, "Cohort^Synthetic^%s", pid);
  snprintf(id->patient_birth_date, sizeof id->patient_birth_date, "19550101");
  snprintf(id->patient_sex, sizeof id->patient_sex, "M");
  snprintf(id->study_date, sizeof id->study_date, "%04d%02d%02d", study.year % 10000, study.month % 100, study.day % 100);
}

static void grid(rert_volume *v) {
  memset(v, 0, sizeof *v);
  v->nx = NX, v->ny = NY, v->nz = NZ;
  for (int a = 0; a < 3; a++) v->origin_mm[a] = ORIGIN[a], v->spacing_mm[a] = SP;
  volume_set_identity_dir(v);
}

/* one closed contour: circle (or the body ellipse) on plane z */
static int circle(rert_contour *ct, double cx, double cy, double rx, double ry, double z) {
  const int np = 48;
  ct->type = CONTOUR_CLOSED_PLANAR;
  ct->npoints = np;
  ct->xyz_mm = malloc(3 * np * sizeof(double));
  if (!ct->xyz_mm) return -1;
  for (int i = 0; i < np; i++) {
    double a = 2 * M_PI * i / np;
    ct->xyz_mm[3 * i] = cx + rx * cos(a), ct->xyz_mm[3 * i + 1] = cy + ry * sin(a), ct->xyz_mm[3 * i + 2] = z;
  }
  return 0;
}

static int write_dicom_case(const cohort_case *k, unsigned long long seed, int ci, const char *pid, const char *dir,
                            float *const dose[MAXC], rert_err *err) {
  const int last = k->ncourses - 1;
  io_write_opts wo = {.note = "rert phantom --cohort (synthetic cohort case)", .software = "rert phantom"};
  char path[COHORT_PATH_LEN_PH];
  int rc = RERT_OK;
  /* CT of the new course */
  rert_image_series ct;
  memset(&ct, 0, sizeof ct);
  ident(&ct.ident, seed, ci, last, "CT", "1.2.840.10008.5.1.4.1.1.2", "ct", pid, k->start[last]);
  snprintf(ct.ident.series_description, sizeof ct.ident.series_description, "Planning CT (synthetic cohort)");
  grid(&ct.image);
  ct.image.meta.quantity = QTY_IMAGE;
  if ((rc = volume_alloc(&ct.image, err))) return rc;
  ct.nslices = NZ;
  ct.slice_sop_uids = calloc(NZ, RERT_UID_LEN);
  if (!ct.slice_sop_uids) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int z = 0; z < NZ && !rc; z++) {
    char w[32];
    snprintf(w, sizeof w, "ct/slice/%d", z);
    uid(seed, ci, w, ct.slice_sop_uids[z]);
  }
  if (!rc) snprintf(ct.ident.sop_instance_uid, sizeof ct.ident.sop_instance_uid, "%s", ct.slice_sop_uids[0]);
  for (int z = 0; z < NZ && !rc; z++)
    for (int j = 0; j < NY; j++)
      for (int i = 0; i < NX; i++) {
        double x = ORIGIN[0] + SP * i, y = ORIGIN[1] + SP * j, ex = x / 72.0, ey = y / 68.0;
        ct.image.data[(size_t)i + NX * ((size_t)j + NY * (size_t)z)] = ex * ex + ey * ey <= 1 ? 20.0f : -1000.0f;
      }
  snprintf(path, sizeof path, "%s/CT", dir);
  if (!rc) rc = fileio_mkdirs(path, err);
  if (!rc) rc = io_write_ct_series(path, &ct, &wo, err);
  /* RTSTRUCT */
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  ident(&ss.ident, seed, ci, last, "RTSTRUCT", "1.2.840.10008.5.1.4.1.1.481.3", "rtstruct", pid, k->start[last]);
  snprintf(ss.label, sizeof ss.label, "synthetic cohort");
  snprintf(ss.referenced_series_uid, sizeof ss.referenced_series_uid, "%s", ct.ident.series_instance_uid);
  ss.rois = calloc(NROI, sizeof *ss.rois);
  if (!ss.rois && !rc) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  static const unsigned char rgb[NROI][3] = {{0, 200, 0}, {200, 120, 0}, {255, 255, 0}, {0, 120, 255}, {200, 0, 0}, {255, 0, 255}};
  for (int r = 0; r < NROI && !rc; r++) {
    rert_roi *o = &ss.rois[ss.nrois++];
    const shape *s = &k->roi[r];
    o->number = r + 1;
    snprintf(o->name, sizeof o->name, "%s", roi_names[r]);
    snprintf(o->interpreted_type, sizeof o->interpreted_type, "%s", r == R_EXT ? "EXTERNAL" : r == R_PTV ? "PTV" : "ORGAN");
    snprintf(o->generation_algorithm, sizeof o->generation_algorithm, "AUTOMATIC");
    snprintf(o->frame_of_reference_uid, sizeof o->frame_of_reference_uid, "%s", ct.ident.frame_of_reference_uid);
    memcpy(o->color_rgb, rgb[r], 3);
    o->contours = calloc(NZ, sizeof *o->contours);
    if (!o->contours) { rc = rert_err_set(err, RERT_EINTERNAL, "out of memory"); break; }
    for (int z = 0; z < NZ && !rc; z++) {
      double zz = ORIGIN[2] + SP * z, rx, ry;
      if (r == R_EXT) rx = 72, ry = 68;
      else if (!(rx = ry = contour_radius(s, z))) continue;
      if (circle(&o->contours[o->ncontours++], r == R_EXT ? 0 : s->c[0], r == R_EXT ? 0 : s->c[1], rx, ry, zz))
        rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    }
  }
  snprintf(path, sizeof path, "%s/RS.dcm", dir);
  if (!rc) rc = io_write_rtstruct(path, &ss, &ct, &wo, err);
  /* per course: RTPLAN and RTDOSE on the same grid and frame */
  for (int c = 0; c < k->ncourses && !rc; c++) {
    char w[32];
    rert_rtplan p;
    memset(&p, 0, sizeof p);
    snprintf(w, sizeof w, "course%d/rtplan", c + 1);
    ident(&p.ident, seed, ci, c, "RTPLAN", "1.2.840.10008.5.1.4.1.1.481.5", w, pid, k->start[c]);
    snprintf(p.label, sizeof p.label, "course%d_%.0fGy", c + 1, k->dp[c]);
    snprintf(p.name, sizeof p.name, "course%d IMRT %.0f Gy/%d fx", c + 1, k->dp[c], k->nfx[c]);
    p.modality = MOD_PHOTON;
    rert_fraction_group fg = {.number = 1, .fractions_planned = k->nfx[c], .nbeams = 7};
    rert_prescription rx = {k->dp[c], c == last ? R_PTV + 1 : 0, "PTV"};
    p.nfraction_groups = 1, p.fraction_groups = &fg;
    p.nprescriptions = 1, p.prescriptions = &rx;
    snprintf(p.referenced_structure_set_uid, sizeof p.referenced_structure_set_uid, "%s", ss.ident.sop_instance_uid);
    p.has_plan_date = 1;
    p.plan_date = date_from_days(date_to_days(k->start[c]) - 3);
    p.has_treatment_dates = 1;
    p.first_treatment_date = k->start[c], p.last_treatment_date = k->end[c];
    snprintf(path, sizeof path, "%s/RP_course%d.dcm", dir, c + 1);
    rc = io_write_rtplan(path, &p, &wo, err);
    rert_rtdose d;
    memset(&d, 0, sizeof d);
    snprintf(w, sizeof w, "course%d/rtdose", c + 1);
    ident(&d.ident, seed, ci, c, "RTDOSE", "1.2.840.10008.5.1.4.1.1.481.2", w, pid, k->start[c]);
    grid(&d.dose);
    d.dose.data = dose[c];
    d.dose.meta.quantity = QTY_PHYSICAL;
    d.dose.meta.rbe = RBE_PHYSICAL;
    d.dose.meta.rbe_factor = 1;
    d.dose.meta.alpha_beta_gy = NAN;
    d.dose.meta.fractions = k->nfx[c];
    d.units = DOSE_UNITS_GY, d.type = DOSE_TYPE_PHYSICAL, d.summation = SUM_PLAN;
    snprintf(d.referenced_plan_uid, sizeof d.referenced_plan_uid, "%s", p.ident.sop_instance_uid);
    d.referenced_fraction_group = 1;
    snprintf(d.dose_comment, sizeof d.dose_comment, "course%d physical dose %.0f Gy/%d fx (synthetic cohort)", c + 1,
             k->dp[c], k->nfx[c]);
    snprintf(path, sizeof path, "%s/RD_course%d.dcm", dir, c + 1);
    if (!rc) rc = io_write_rtdose(path, &d, &wo, err);
  }
  rtdata_free_structure_set(&ss);
  rtdata_free_image_series(&ct);
  return rc;
}

/* ---- files ---- */
static int rm_entry(const char *p, const struct stat *sb, int f, struct FTW *w) {
  (void)sb, (void)f, (void)w;
  return remove(p);
}

static void add_date(cJSON *o, const char *key, rert_date d) {
  char b[11];
  date_format(d, b);
  cJSON_AddStringToObject(o, key, b);
}

static int write_json(const char *path, cJSON *o, rert_err *err) {
  char *s = cJSON_Print(o);
  if (!s) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int rc = atomic_write_buffer(path, s, strlen(s), err);
  free(s);
  if (!rc) chmod(path, 0644);
  return rc;
}

static double draw_exp(rng *g, double median) { return -median / M_LN2 * log(1 - urand(g)); }

int phantom_cohort_write(const phantom_cohort_opts *o, const char *dir, rert_err *err) {
  if (o->n < 1 || o->n > 100000) return rert_err_set(err, RERT_EINPUT, "--cohort: 1..100000 cases");
  if (!(o->td50_gy > 0) || !(o->gamma50 > 0)) return rert_err_set(err, RERT_EINPUT, "--truth-td50-gy and --truth-gamma50 must be > 0");
  int ep = -1;
  for (int r = 1; r < R_PTV; r++)
    if (!strcmp(roi_names[r], o->organ)) ep = r;
  if (ep < 0) return rert_err_set(err, RERT_EINPUT, "--truth-organ %s: one of Brainstem, SpinalCord, Parotid_L, A_Carotid_L", o->organ);
  int use_mean = !strcmp(o->metric, "Dmean");
  if (!use_mean && strcmp(o->metric, "Dmax")) return rert_err_set(err, RERT_EINPUT, "--truth-metric: Dmax or Dmean");
  recovery_model rm;
  if (recovery_model_get(o->recovery, &rm, err)) return rert_err_prefix(err, RERT_EINPUT, "--truth-recovery");
  tissue_params tp;
  if (tissue_lookup(o->organ, &tp, err)) return RERT_EINPUT;
  struct stat st;
  if (!stat(dir, &st)) return rert_err_set(err, RERT_EINPUT, "%s: exists (rert phantom --cohort writes a new directory)", dir);
  char stage[COHORT_PATH_LEN_PH];
  snprintf(stage, sizeof stage, "%s.tmp.XXXXXX", dir);
  char *sl = strrchr(dir, '/');
  if (sl && sl != dir) {
    char parent[COHORT_PATH_LEN_PH];
    snprintf(parent, sizeof parent, "%.*s", (int)(sl - dir), dir);
    if (fileio_mkdirs(parent, err)) return RERT_EINPUT;
  }
  if (!mkdtemp(stage)) return rert_err_set(err, RERT_EINPUT, "%s: cannot create (%s)", stage, strerror(errno));
  chmod(stage, 0755);
  int old_enc = io_set_dose_encoding(IO_DOSE_32_RAW); /* readable by every peer tool */
  long long old_time = io_set_write_time(1640995200LL); /* fixed creation time: reproducible files */
  cJSON *truth = cJSON_CreateObject(), *tcases = NULL;
  cJSON_AddStringToObject(truth, "schema", "rert-cohort-truth/1");
  cJSON_AddNumberToObject(truth, "n", o->n);
  cJSON_AddNumberToObject(truth, "seed", (double)o->seed);
  cJSON_AddStringToObject(truth, "kind", o->points ? "points" : "dicom");
  cJSON_AddStringToObject(truth, "endpoint", o->endpoint);
  cJSON_AddNumberToObject(truth, "grade_min", 3);
  cJSON_AddStringToObject(truth, "organ", o->organ);
  cJSON_AddStringToObject(truth, "metric", o->metric);
  json_add_num(truth, "alpha_beta_gy", tp.alpha_beta_gy);
  cJSON_AddStringToObject(truth, "model", o->probit ? "probit" : "logistic");
  json_add_num(truth, "td50_gy", o->td50_gy);
  json_add_num(truth, "gamma50", o->gamma50);
  cJSON_AddStringToObject(truth, "recovery", o->recovery);
  cJSON_AddStringToObject(truth, "recovery_kind", recovery_is_limit_model(&rm) ? "limit" : "prior");
  json_add_num(truth, "os_median_months_ecog_lt2", 30);
  json_add_num(truth, "os_hazard_ratio_ecog_ge2", 2.0);
  cJSON_AddStringToObject(truth, "definition",
                          "metric = Dmax/Dmean over the organ of cumulative EQD2 at alpha_beta_gy: voxel EQD2 of each course from its "
                          "local dose per fraction, prior courses times (1 - R(interval)) of the true recovery, interpolated "
                          "trilinearly, sampled every 0.5 mm (limit models: value / limit factor); event ~ Bernoulli(NTCP(metric)) "
                          "with grade 3-5, non-events grade 0-2");
  tcases = cJSON_AddArrayToObject(truth, "cases");
  /* manifest */
  size_t mcap = (size_t)o->n * 256 + 512, mlen = 0;
  char *man = malloc(mcap);
  int rc = man ? RERT_OK : rert_err_set(err, RERT_EINTERNAL, "out of memory");
  if (man)
    mlen = (size_t)snprintf(man, mcap, "id,case,centre,tox_%s_grade,tox_%s_date,local_failure,local_failure_date,death,death_date,last_followup\n",
                            o->endpoint, o->endpoint);
  float *dose[MAXC] = {0};
  size_t nvox = (size_t)NX * NY * NZ;
  for (int c = 0; c < MAXC && !rc; c++)
    if (!(dose[c] = malloc(nvox * sizeof(float)))) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < o->n && !rc; i++) {
    rng g = {o->seed * 0x2545F4914F6CDD1DULL + (unsigned long long)i * 0x9E3779B97F4A7C15ULL + 1};
    cohort_case k;
    make_case(&g, o->points, &k, o->organ);
    const int last = k.ncourses - 1;
    char id[32], pid[48], cdir[COHORT_PATH_LEN_PH], path[COHORT_PATH_LEN_PH];
    snprintf(id, sizeof id, "c%04d", i + 1);
    snprintf(pid, sizeof pid, "COH-%llu-%04d", o->seed, i + 1);
    snprintf(cdir, sizeof cdir, "%s/cases/%s", stage, id);
    if ((rc = fileio_mkdirs(cdir, err))) break;
    /* truth model of this case */
    truth_model tm = {tp.alpha_beta_gy, {0}, 1};
    double tmin = INFINITY, iv[MAXC];
    for (int c = 0; c < k.ncourses; c++) {
      tm.keep[c] = 1;
      iv[c] = NAN;
      if (c == last) continue;
      iv[c] = (double)(date_to_days(k.start[last]) - date_to_days(k.end[c])) / 30.4375;
      tmin = fmin(tmin, iv[c]);
      double R = 0;
      if (!recovery_is_limit_model(&rm) && (rc = recovery_fraction(&rm, iv[c], &R, err))) break;
      tm.keep[c] = 1 - R;
    }
    if (rc) break;
    if (recovery_is_limit_model(&rm)) tm.limit_factor = recovery_limit_factor(&rm, tmin);
    double dmax, dmean, metric;
    cJSON *cj = cJSON_CreateObject(), *pts[MAXC] = {0};
    if (o->points) {
      /* per-course maximum dose of each organ: its share of the prescription */
      double cum = 0;
      for (int c = 0; c < k.ncourses; c++) {
        pts[c] = cJSON_CreateObject();
        for (int r = 1; r < R_PTV; r++) {
          double f = r == ep ? 0 : unif(&g, 0.1, 0.9);
          const shape *s = &k.roi[r];
          if (r == ep) {
            double dx = s->c[0] - k.t[c][0], dy = s->c[1] - k.t[c][1], dz = s->c[2] - k.t[c][2];
            f = profile(sqrt(dx * dx + dy * dy + dz * dz) - s->r - k.R[c]);
          }
          double D = round(k.dp[c] * f * 100) / 100;
          cJSON *p = cJSON_AddObjectToObject(pts[c], roi_names[r]);
          json_add_num(p, "dose_gy", D);
          cJSON_AddStringToObject(p, "metric", "Dmax");
          if (r == ep) cum += tm.keep[c] * eqd2(D, k.nfx[c], tm.ab);
        }
      }
      dmax = dmean = cum / tm.limit_factor;
    } else {
      for (int c = 0; c < k.ncourses; c++)
        for (int z = 0; z < NZ; z++)
          for (int j = 0; j < NY; j++)
            for (int ii = 0; ii < NX; ii++) {
              double x[3] = {ORIGIN[0] + SP * ii, ORIGIN[1] + SP * j, ORIGIN[2] + SP * z};
              /* the value the RTDOSE will hold: float, as written (32-bit scaling is exact to ~1e-7 relative) */
              dose[c][(size_t)ii + NX * ((size_t)j + NY * (size_t)z)] = (float)course_dose(&k, c, x);
            }
      truth_metric(&k, ep, &tm, dose, &dmax, &dmean);
      rc = write_dicom_case(&k, o->seed, i, pid, cdir, dose, err);
      if (rc) {
        cJSON_Delete(cj);
        break;
      }
    }
    metric = use_mean ? dmean : dmax;
    double p = o->probit ? 0.5 * erfc(-(metric - o->td50_gy) * o->gamma50 * sqrt(2 * M_PI) / o->td50_gy / M_SQRT2)
                         : 1 / (1 + exp(4 * o->gamma50 * (1 - metric / o->td50_gy)));
    int event = urand(&g) < p;
    double u = urand(&g);
    int grade = event ? (u < 0.6 ? 3 : u < 0.9 ? 4 : 5) : (u < 0.6 ? 0 : u < 0.9 ? 1 : 2);
    int ecog = (int)(urand(&g) * 4);
    double age = round(unif(&g, 42, 82));
    double fu = unif(&g, 12, 72), tox_m = unif(&g, 2, fmin(36, fu)), os = draw_exp(&g, ecog >= 2 ? 15 : 30);
    int death = os < fu;
    if (death) fu = os;
    if (event && tox_m > fu) tox_m = fu * unif(&g, 0.3, 0.95);
    double lf_m = draw_exp(&g, 20);
    int lf = lf_m < fu;
    long d0 = date_to_days(k.start[last]);
    rert_date d_tox = date_from_days(d0 + (long)round(tox_m * 30.4375)), d_fu = date_from_days(d0 + (long)round(fu * 30.4375)),
              d_lf = date_from_days(d0 + (long)round(lf_m * 30.4375));
    /* case file */
    cJSON *cf = cJSON_CreateObject();
    cJSON_AddStringToObject(cf, "schema", "rert-case/1");
    cJSON *pt = cJSON_AddObjectToObject(cf, "patient");
    cJSON_AddStringToObject(pt, "id", pid);
    cJSON_AddStringToObject(pt, "name", "Cohort^Synthetic");
    cJSON_AddStringToObject(pt, "birth_date", "1955-01-01");
    cJSON_AddStringToObject(pt, "sex", "M");
    cJSON *cl = cJSON_AddObjectToObject(cf, "clinical");
    cJSON_AddNumberToObject(cl, "age_years", age);
    cJSON_AddNumberToObject(cl, "ecog", ecog);
    cJSON_AddStringToObject(cl, "histology", "squamous");
    static const char *sub[4] = {"oropharynx", "oral_cavity", "larynx", "nasopharynx"};
    cJSON_AddStringToObject(cl, "subsite", sub[(int)(urand(&g) * 4)]);
    cJSON *cs = cJSON_AddArrayToObject(cf, "courses");
    for (int c = 0; c < k.ncourses; c++) {
      cJSON *x = cJSON_CreateObject();
      char cid[16];
      snprintf(cid, sizeof cid, "course%d", c + 1);
      cJSON_AddStringToObject(x, "id", cid);
      cJSON_AddStringToObject(x, "role", c == last ? "planned" : "prior");
      add_date(x, "start_date", k.start[c]);
      add_date(x, "end_date", k.end[c]);
      cJSON_AddStringToObject(x, "modality", "photon");
      cJSON_AddStringToObject(x, "technique", "IMRT");
      cJSON_AddNumberToObject(x, "fractions", k.nfx[c]);
      json_add_num(x, "prescription_gy", k.dp[c]);
      if (o->points) {
        cJSON_AddItemToObject(x, "point_doses", pts[c]);
        pts[c] = NULL;
      } else {
        cJSON *d = cJSON_AddObjectToObject(x, "dicom");
        char rp[32], rd[32];
        snprintf(rp, sizeof rp, "RP_course%d.dcm", c + 1);
        snprintf(rd, sizeof rd, "RD_course%d.dcm", c + 1);
        if (c == last) {
          cJSON_AddStringToObject(d, "ct_dir", "CT");
          cJSON_AddStringToObject(d, "rtstruct", "RS.dcm");
        }
        cJSON_AddStringToObject(d, "rtplan", rp);
        cJSON_AddStringToObject(d, "rtdose", rd);
      }
      cJSON_AddItemToArray(cs, x);
    }
    for (int c = 0; c < MAXC; c++) cJSON_Delete(pts[c]);
    cJSON *rec = cJSON_AddObjectToObject(cf, "recovery");
    cJSON_AddStringToObject(rec, "default", "none");
    cJSON *pr = cJSON_AddArrayToObject(cf, "protocols");
    cJSON_AddItemToArray(pr, cJSON_CreateString("care_s0"));
    snprintf(path, sizeof path, "%s/case.json", cdir);
    rc = write_json(path, cf, err);
    cJSON_Delete(cf);
    /* truth row */
    cJSON_AddStringToObject(cj, "id", id);
    cJSON_AddNumberToObject(cj, "courses", k.ncourses);
    cJSON *ivs = cJSON_AddArrayToObject(cj, "interval_months");
    for (int c = 0; c < last; c++) cJSON_AddItemToArray(ivs, cJSON_CreateNumber(round(iv[c] * 1e6) / 1e6));
    json_add_num(cj, "limit_factor", tm.limit_factor);
    json_add_num(cj, "metric_true", metric);
    json_add_num(cj, "dmax_true", dmax);
    json_add_num(cj, "dmean_true", dmean);
    json_add_num(cj, "probability", p);
    cJSON_AddNumberToObject(cj, "event", event);
    cJSON_AddNumberToObject(cj, "grade", grade);
    cJSON_AddNumberToObject(cj, "ecog", ecog);
    cJSON_AddItemToArray(tcases, cj);
    /* manifest row */
    char dt[11], dfu[11], dlf[11], dd[11];
    date_format(d_tox, dt), date_format(d_fu, dfu), date_format(d_lf, dlf), date_format(d_fu, dd);
    static const char *centre[3] = {"A", "B", "C"};
    if (mlen + 400 > mcap) {
      char *nm = realloc(man, mcap *= 2);
      if (!nm) { rc = rert_err_set(err, RERT_EINTERNAL, "out of memory"); break; }
      man = nm;
    }
    mlen += (size_t)snprintf(man + mlen, mcap - mlen, "%s,cases/%s/case.json,%s,%d,%s,%d,%s,%d,%s,%s\n", id, id,
                             centre[(int)(urand(&g) * 3)], grade, grade > 0 ? dt : "", lf, lf ? dlf : "", death,
                             death ? dd : "", dfu);
  }
  char path[COHORT_PATH_LEN_PH];
  if (!rc) {
    snprintf(path, sizeof path, "%s/manifest.csv", stage);
    rc = atomic_write_buffer(path, man, mlen, err);
    if (!rc) chmod(path, 0644);
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/truth.json", stage);
    rc = write_json(path, truth, err);
  }
  io_set_dose_encoding(old_enc);
  io_set_write_time(old_time);
  for (int c = 0; c < MAXC; c++) free(dose[c]);
  free(man);
  cJSON_Delete(truth);
  if (!rc && rename(stage, dir)) rc = rert_err_set(err, RERT_EINTERNAL, "%s: cannot move into place (%s)", dir, strerror(errno));
  if (rc) nftw(stage, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return rc;
}
