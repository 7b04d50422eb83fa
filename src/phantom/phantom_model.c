/* phantom_model.c — the one table of the synthetic patient: anatomy, targets, courses, grids
 * and the known deformations (docs/phantom.md lists the same numbers).
 *
 * The anatomy is fixed (so closed-form volumes are constants tests can check by hand); the seed
 * only jitters the deformation (bump amplitudes ±20 %, centres ±3 mm) and the recurrence
 * position (±2 mm), and derives every UID. Geometry is in course-1 LPS mm: x → patient left,
 * y → posterior, z → superior; z = 0 is about the level of C2/C3.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/phantom.h"

/* splitmix64: small, well-mixed, and identical on every platform. */
static unsigned long long mix64(unsigned long long *s) {
  unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
/* uniform in [−1, 1] */
static double jitter(unsigned long long *s) {
  return (double)(mix64(s) >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
}

static rert_phantom_roi *add_roi(rert_phantom_model *m, const char *name, const char *type,
                                 int course, unsigned char r, unsigned char g, unsigned char b) {
  rert_phantom_roi *x = &m->roi[m->nrois++];
  memset(x, 0, sizeof *x);
  snprintf(x->name, sizeof x->name, "%s", name);
  snprintf(x->type, sizeof x->type, "%s", type);
  x->course = course;
  x->rgb[0] = r, x->rgb[1] = g, x->rgb[2] = b;
  return x;
}

static void set_ellipsoid(rert_phantom_prim *p, double cx, double cy, double cz, double a, double b,
                          double c, double ux, double uy, double uz) {
  memset(p, 0, sizeof *p);
  p->kind = PRIM_ELLIPSOID;
  p->centre[0] = cx, p->centre[1] = cy, p->centre[2] = cz;
  p->semi[0] = a, p->semi[1] = b, p->semi[2] = c;
  p->axis[0] = ux, p->axis[1] = uy, p->axis[2] = uz;
}

/* knots: n rows of {z, cx, cy, a, b} */
static void set_loft(rert_phantom_prim *p, int n, const double k[][5]) {
  memset(p, 0, sizeof *p);
  p->kind = PRIM_LOFT;
  p->nknots = n;
  for (int i = 0; i < n; i++) {
    p->kz[i] = k[i][0], p->kcx[i] = k[i][1], p->kcy[i] = k[i][2];
    p->ka[i] = k[i][3], p->kb[i] = k[i][4];
  }
}

static void ellipsoid_roi(rert_phantom_model *m, const char *name, const char *type, int course,
                          const unsigned char rgb[3], double cx, double cy, double cz, double a,
                          double b, double c, double ux, double uy, double uz) {
  rert_phantom_roi *r = add_roi(m, name, type, course, rgb[0], rgb[1], rgb[2]);
  r->nparts = 1;
  set_ellipsoid(&r->part[0], cx, cy, cz, a, b, c, ux, uy, uz);
}

static void set_grid(rert_phantom_grid *g, int nx, int ny, int nz, double sx, double sy, double sz,
                     double ox, double oy, double oz) {
  g->nx = nx, g->ny = ny, g->nz = nz;
  g->spacing_mm[0] = sx, g->spacing_mm[1] = sy, g->spacing_mm[2] = sz;
  g->origin_mm[0] = ox, g->origin_mm[1] = oy, g->origin_mm[2] = oz;
}

static rert_date ymd(int y, int mo, int d) {
  rert_date r = {y, mo, d};
  return r;
}

static void anatomy(rert_phantom_model *m) {
  static const unsigned char c_ext[3] = {0, 255, 0}, c_cord[3] = {255, 255, 0},
                             c_bs[3] = {255, 128, 0}, c_par[3] = {0, 160, 255},
                             c_mand[3] = {220, 220, 220}, c_car[3] = {255, 0, 0},
                             c_opt[3] = {255, 0, 255}, c_bp[3] = {128, 255, 128},
                             c_lar[3] = {128, 0, 255}, c_coc[3] = {0, 255, 255};
  /* External: axial ellipses {z, cx, cy, a, b}: chest/shoulders → neck → chin → cranium → vertex */
  static const double body[][5] = {
      {-260, 0, 5, 185, 95}, {-140, 0, 5, 175, 90},  {-115, 0, 0, 80, 75},
      {-60, 0, -5, 62, 68},  {-35, 0, -12, 66, 76},  {-10, 0, -18, 72, 86},
      {30, 0, -10, 76, 98},  {100, 0, -5, 78, 100},  {150, 0, -2, 70, 90},
      {180, 0, 0, 45, 55},   {192, 0, 0, 12, 14}};
  rert_phantom_roi *r = add_roi(m, "External", "EXTERNAL", 0, c_ext[0], c_ext[1], c_ext[2]);
  r->nparts = 1;
  set_loft(&r->part[0], (int)(sizeof body / sizeof body[0]), body);

  static const double cord[][5] = {{-260, 0, 28, 5, 4.5}, {45, 0, 28, 5, 4.5}};
  r = add_roi(m, "SpinalCord", "ORGAN", 0, c_cord[0], c_cord[1], c_cord[2]);
  r->nparts = 1;
  set_loft(&r->part[0], 2, cord);

  static const double bs[][5] = {{45, 0, 20, 14, 13}, {100, 0, 20, 14, 13}};
  r = add_roi(m, "Brainstem", "ORGAN", 0, c_bs[0], c_bs[1], c_bs[2]);
  r->nparts = 1;
  set_loft(&r->part[0], 2, bs);

  ellipsoid_roi(m, "Parotid_L", "ORGAN", 0, c_par, 50, 8, 10, 11, 20, 22, 1, 0, 0);
  ellipsoid_roi(m, "Parotid_R", "ORGAN", 0, c_par, -50, 8, 10, 11, 20, 22, 1, 0, 0);

  r = add_roi(m, "Bone_Mandible", "ORGAN", 0, c_mand[0], c_mand[1], c_mand[2]);
  r->nparts = 1;
  memset(&r->part[0], 0, sizeof r->part[0]);
  r->part[0].kind = PRIM_HALF_ANNULUS;
  r->part[0].centre[0] = 0, r->part[0].centre[1] = -14;
  r->part[0].semi[0] = 52, r->part[0].semi[1] = 62;
  r->part[0].inner_a = 44, r->part[0].inner_b = 54;
  r->part[0].z0 = -25, r->part[0].z1 = 5;

  static const double car_l[][5] = {
      {-150, 22, -8, 3.5, 3.5}, {-60, 26, -5, 3.5, 3.5}, {0, 30, 0, 3.5, 3.5}, {40, 36, 6, 3.5, 3.5}};
  static const double car_r[][5] = {{-150, -22, -8, 3.5, 3.5},
                                    {-60, -26, -5, 3.5, 3.5},
                                    {0, -30, 0, 3.5, 3.5},
                                    {40, -36, 6, 3.5, 3.5}};
  r = add_roi(m, "A_Carotid_L", "ORGAN", 0, c_car[0], c_car[1], c_car[2]);
  r->nparts = 1;
  set_loft(&r->part[0], 4, car_l);
  r = add_roi(m, "A_Carotid_R", "ORGAN", 0, c_car[0], c_car[1], c_car[2]);
  r->nparts = 1;
  set_loft(&r->part[0], 4, car_r);

  /* optic nerves: from the back of the globe (±32, −52, 110) to the chiasm (±7, −18, 112) */
  ellipsoid_roi(m, "OpticNrv_L", "ORGAN", 0, c_opt, 19.5, -35, 111, 21, 2.5, 2.5, -25, 34, 2);
  ellipsoid_roi(m, "OpticNrv_R", "ORGAN", 0, c_opt, -19.5, -35, 111, 21, 2.5, 2.5, 25, 34, 2);
  ellipsoid_roi(m, "OpticChiasm", "ORGAN", 0, c_opt, 0, -15, 113, 8, 4, 2.5, 1, 0, 0);
  /* brachial plexus: from the C5–T1 foramina (±25, 15, −100) to the axilla (±85, 10, −140) */
  ellipsoid_roi(m, "BrachialPlex_L", "ORGAN", 0, c_bp, 55, 12.5, -120, 36, 7, 7, 60, -5, -40);
  ellipsoid_roi(m, "BrachialPlex_R", "ORGAN", 0, c_bp, -55, 12.5, -120, 36, 7, 7, -60, -5, -40);

  static const double lar[][5] = {{-85, 0, -35, 20, 16}, {-45, 0, -35, 20, 16}};
  r = add_roi(m, "Larynx", "ORGAN", 0, c_lar[0], c_lar[1], c_lar[2]);
  r->nparts = 1;
  set_loft(&r->part[0], 2, lar);

  ellipsoid_roi(m, "Cochlea_L", "ORGAN", 0, c_coc, 42, 10, 78, 4, 4, 3.5, 1, 0, 0);
  ellipsoid_roi(m, "Cochlea_R", "ORGAN", 0, c_coc, -42, 10, 78, 4, 4, 3.5, 1, 0, 0);
}

/* GTV/CTV/PTV of course c (1-based) as concentric ellipsoids: CTV and PTV semi-axes grow by
 * the margins (exact margin at the axis tips; docs/phantom.md). Centre in course-c space. */
static void targets(rert_phantom_model *m, int c, const double ctr[3], const double semi[3],
                    double ctv_mm, double ptv_mm) {
  static const unsigned char c_gtv[3] = {255, 0, 0}, c_ctv[3] = {255, 160, 0},
                             c_ptv[3] = {0, 0, 255};
  char name[32];
  rert_phantom_course *k = &m->course[c - 1];
  snprintf(name, sizeof name, "GTV_%d", c);
  k->gtv_roi = m->nrois;
  ellipsoid_roi(m, name, "GTV", c, c_gtv, ctr[0], ctr[1], ctr[2], semi[0], semi[1], semi[2], 1, 0,
                0);
  snprintf(name, sizeof name, "CTV_%d", c);
  k->ctv_roi = m->nrois;
  ellipsoid_roi(m, name, "CTV", c, c_ctv, ctr[0], ctr[1], ctr[2], semi[0] + ctv_mm,
                semi[1] + ctv_mm, semi[2] + ctv_mm, 1, 0, 0);
  snprintf(name, sizeof name, "PTV_%d", c);
  k->ptv_roi = m->nrois;
  ellipsoid_roi(m, name, "PTV", c, c_ptv, ctr[0], ctr[1], ctr[2], semi[0] + ctv_mm + ptv_mm,
                semi[1] + ctv_mm + ptv_mm, semi[2] + ctv_mm + ptv_mm, 1, 0, 0);
}

static void deformation(rert_phantom_course *k, double scale, int nb, const double b[][7],
                        unsigned long long *rng) {
  k->scale_xy = scale;
  k->scale_centre[0] = 0, k->scale_centre[1] = -5;
  k->nbumps = nb;
  for (int i = 0; i < nb; i++) {
    for (int a = 0; a < 3; a++) k->bump_centre[i][a] = b[i][a] + 3.0 * jitter(rng);
    for (int a = 0; a < 3; a++) k->bump_amp_mm[i][a] = b[i][3 + a] * (1.0 + 0.2 * jitter(rng));
    k->bump_sigma_mm[i] = b[i][6];
  }
}

int phantom_model_init(rert_phantom_model *m, unsigned long long seed, rert_phantom_size size,
                       int ncourses, rert_err *err) {
  if (ncourses < 2 || ncourses > PHANTOM_MAX_COURSES)
    return rert_err_set(err, RERT_EINPUT, "phantom: --courses must be 2 or 3 (got %d)", ncourses);
  if (size != PHANTOM_SMALL && size != PHANTOM_CLINICAL)
    return rert_err_set(err, RERT_EINPUT, "phantom: unknown size");
  memset(m, 0, sizeof *m);
  m->seed = seed;
  m->size = size;
  m->ncourses = ncourses;
  m->noise_hu = 10.0;
  snprintf(m->patient_id, sizeof m->patient_id, "RERT-PH-%llu", seed);
  snprintf(m->patient_name, sizeof m->patient_name, "Phantom^HeadNeck^Seed%llu", seed);
  snprintf(m->patient_sex, sizeof m->patient_sex, "M");
  m->birth_date = ymd(1959, 6, 14);
  unsigned long long rng = seed ^ 0x5245525450484eULL; /* "RERTPHN" */

  anatomy(m);

  /* course 1: oropharynx (right tonsil) primary, 70 Gy / 35 fx, elective neck 56 Gy */
  rert_phantom_course *k = &m->course[0];
  snprintf(k->id, sizeof k->id, "course1");
  k->ct_date = ymd(2021, 2, 22), k->start_date = ymd(2021, 3, 8), k->end_date = ymd(2021, 4, 23);
  k->fractions = 35, k->prescription_gy = 70.0;
  snprintf(k->technique, sizeof k->technique, "IMRT");
  k->sigma_mm = 4.0, k->shoulder_mm = 6.6, k->bath_fraction = 0.45, k->bath_length_mm = 35.0;
  {
    const double ctr[3] = {-20, -28, -5}, semi[3] = {14, 12, 16};
    targets(m, 1, ctr, semi, 10, 4);
    static const unsigned char c_low[3] = {100, 100, 255};
    static const double nl[][5] = {{-110, 28, 8, 18, 18}, {-40, 28, 8, 22, 24}, {15, 28, 6, 20, 22}};
    static const double nr[][5] = {
        {-110, -28, 8, 18, 18}, {-40, -28, 8, 22, 24}, {15, -28, 6, 20, 22}};
    rert_phantom_roi *r = add_roi(m, "PTV_1_Low", "PTV", 1, c_low[0], c_low[1], c_low[2]);
    r->nparts = 2;
    set_loft(&r->part[0], 3, nl);
    set_loft(&r->part[1], 3, nr);
    k->nlevels = 2;
    k->level[0].roi = k->ptv_roi, k->level[0].dose_gy = 70.0;
    k->level[1].roi = m->nrois - 1, k->level[1].dose_gy = 56.0;
  }

  /* course 2: recurrence at the inferior-lateral edge of PTV_1, 60 Gy / 30 fx */
  k = &m->course[1];
  snprintf(k->id, sizeof k->id, "course2");
  k->ct_date = ymd(2023, 9, 18), k->start_date = ymd(2023, 10, 2), k->end_date = ymd(2023, 11, 10);
  k->fractions = 30, k->prescription_gy = 60.0;
  snprintf(k->technique, sizeof k->technique, "IMRT");
  k->sigma_mm = 3.5, k->shoulder_mm = 5.8, k->bath_fraction = 0.35, k->bath_length_mm = 25.0;
  {
    static const double b2[][7] = {{-25, -30, -5, -6, -4, 3, 22},
                                   {0, 0, -90, 0, 5, -4, 35},
                                   {120, 10, -160, 0, 0, 7, 40}};
    deformation(k, 1.04, 3, b2, &rng);
  }
  {
    double p1[3] = {-38 + 2 * jitter(&rng), -20 + 2 * jitter(&rng), -30 + 2 * jitter(&rng)};
    double ctr[3];
    phantom_map_from_course1(m, 1, p1, ctr);
    const double semi[3] = {12, 11, 14};
    targets(m, 2, ctr, semi, 5, 3);
    k->nlevels = 1;
    k->level[0].roi = k->ptv_roi, k->level[0].dose_gy = 60.0;
  }

  if (ncourses == 3) {
    /* course 3: left level-III node inside the prior elective region, SBRT 40 Gy / 5 fx */
    k = &m->course[2];
    snprintf(k->id, sizeof k->id, "course3");
    k->ct_date = ymd(2025, 10, 6), k->start_date = ymd(2025, 10, 20),
    k->end_date = ymd(2025, 10, 29);
    k->fractions = 5, k->prescription_gy = 40.0;
    snprintf(k->technique, sizeof k->technique, "SBRT");
    k->sigma_mm = 2.5, k->shoulder_mm = 4.1, k->bath_fraction = 0.25, k->bath_length_mm = 20.0;
    static const double b3[][7] = {{-25, -30, -5, -7, -5, 3, 22},
                                   {30, -10, -50, 4, -3, 2, 25},
                                   {0, 0, -90, 0, -4, 5, 35}};
    deformation(k, 1.06, 3, b3, &rng);
    double p1[3] = {30 + 2 * jitter(&rng), -5 + 2 * jitter(&rng), -60 + 2 * jitter(&rng)};
    double ctr[3];
    phantom_map_from_course1(m, 2, p1, ctr);
    const double semi[3] = {9, 9, 11};
    targets(m, 3, ctr, semi, 3, 2);
    k->nlevels = 1;
    k->level[0].roi = k->ptv_roi, k->level[0].dose_gy = 40.0;
  }

  /* grids: each course has its own CT placement (different couch/FOV), dose and field grids */
  for (int c = 0; c < ncourses; c++) {
    k = &m->course[c];
    double dz = c * -5.0, dx = c * 1.5, dy = c * -2.0;
    if (size == PHANTOM_CLINICAL) {
      double s = 500.0 / 512.0;
      set_grid(&k->ct, 512, 512, 150 - 4 * c, s, s, 2.5, -255.5 * s + dx, -5 - 255.5 * s + dy,
               -181.25 + dz);
      set_grid(&k->dose, 161, 89, 146 - 4 * c, 2.5, 2.5, 2.5, -200 + dx, -115 + dy, -180 + dz);
      set_grid(&k->field, 101, 59, 92, 4, 4, 4, -200 + dx, -120 + dy, -180 + dz);
    } else {
      set_grid(&k->ct, 100, 100, 90 - 2 * c, 3, 3, 3, -148.5 + dx, -153.5 + dy, -133.5 + dz);
      set_grid(&k->dose, 75, 54, 66 - 2 * c, 4, 4, 4, -148 + dx, -112 + dy, -132 + dz);
      /* 51 × 6 mm covers the dose grid (x ±148 mm): a field must cover the dose it maps */
      set_grid(&k->field, 51, 39, 45, 6, 6, 6, -150 + dx, -120 + dy, -132 + dz);
    }
  }
  return RERT_OK;
}
