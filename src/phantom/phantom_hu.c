/* phantom_hu.c — CT numbers and physical dose of the synthetic patient (docs/phantom.md).
 *
 * CT: a piecewise-constant tissue model in course-1 space (air, lung, fat, muscle, brain, CSF,
 * cord, parotid, cartilage-like larynx, contrast-free vessels, cancellous/cortical bone). A
 * course-k CT is this model evaluated at T_k(x), i.e. the course-1 anatomy warped by the known
 * field, plus independent noise (each scan has its own).
 * Dose: see rert/phantom.h; prescription inside the PTV, erfc fall-off of width σ whose 50 %
 * point lies δ outside the PTV surface, a low-dose bath b·exp(−d/λ), zero outside the body.
 */
#include <math.h>

#include "phantom/phantom_internal.h"

/* tissue numbers (HU), named so the CT test and docs/phantom.md can quote them */
#define HU_AIR -1000.0
#define HU_LUNG -820.0
#define HU_FAT -90.0
#define HU_MUSCLE 45.0
#define HU_BRAIN 35.0
#define HU_CSF 15.0
#define HU_CORD 38.0
#define HU_PAROTID 10.0
#define HU_LARYNX 70.0
#define HU_VESSEL 50.0
#define HU_EYE 10.0
#define HU_VERT_BODY 400.0
#define HU_DISC 80.0
#define HU_CORTICAL 1100.0
#define HU_MANDIBLE 1200.0
#define HU_PETROUS 1300.0
#define HU_HUMERUS 700.0

static double sq(double v) { return v * v; }

/* axial ellipse membership */
static int in_ellipse(double x, double y, double cx, double cy, double a, double b) {
  return sq((x - cx) / a) + sq((y - cy) / b) <= 1.0;
}

/* Loft section at x[2]: squared normalised radius q² of (x, y) and min(a, b); q² = ∞ outside the
 * z range. level ≤ 0 ⇔ z in range and q² ≤ 1 (the first-order distance has the sign of q − 1). */
static double loft_q2(const rert_phantom_prim *p, const double x[3], double *minab) {
  int n = p->nknots;
  double z = x[2];
  if (z < p->kz[0] || z > p->kz[n - 1]) return INFINITY;
  int s = 0;
  while (s < n - 2 && z > p->kz[s + 1]) s++;
  double t = (z - p->kz[s]) / (p->kz[s + 1] - p->kz[s]);
  double cx = p->kcx[s] + (p->kcx[s + 1] - p->kcx[s]) * t;
  double cy = p->kcy[s] + (p->kcy[s + 1] - p->kcy[s]) * t;
  double a = p->ka[s] + (p->ka[s + 1] - p->ka[s]) * t, b = p->kb[s] + (p->kb[s + 1] - p->kb[s]) * t;
  *minab = a < b ? a : b;
  return sq((x[0] - cx) / a) + sq((x[1] - cy) / b);
}

/* Membership with cheap rejects first: the CT loop calls this ~10⁸ times. */
static int in_prim(const rert_phantom_prim *p, const double x[3]) {
  if (p->kind == PRIM_ELLIPSOID) {
    double r = fmax(p->semi[0], fmax(p->semi[1], p->semi[2]));
    if (sq(x[0] - p->centre[0]) + sq(x[1] - p->centre[1]) + sq(x[2] - p->centre[2]) > r * r)
      return 0;
  } else if (p->kind == PRIM_LOFT) {
    double mab;
    return loft_q2(p, x, &mab) <= 1.0;
  } else if (p->kind == PRIM_HALF_ANNULUS) {
    if (x[2] < p->z0 || x[2] > p->z1 || x[1] > p->centre[1]) return 0;
  }
  return phantom_prim_level(p, x) <= 0;
}

double phantom_hu_course1(const rert_phantom_model *m, const double p[3]) {
  const double x = p[0], y = p[1], z = p[2];
  const rert_phantom_prim *ext = &m->roi[PH_EXTERNAL].part[0];
  double minab, q2 = loft_q2(ext, p, &minab);
  if (q2 > 1.0) return HU_AIR;
  /* the first-order distance satisfies |d| ≥ (1 − q)·min(a, b): deeper than 10 mm (the deepest
   * layer boundary used below) needs no exact value */
  double body;
  if ((1.0 - sqrt(q2)) * minab > 10.5 && z - ext->kz[0] > 10.5 && ext->kz[ext->nknots - 1] - z > 10.5)
    body = -11.0;
  else
    body = phantom_prim_level(ext, p);
  if (body > 0) return HU_AIR;
  /* airway: trachea → larynx → oro/nasopharynx */
  if (z < 45) {
    double acx = 0, acy, aa, ab;
    if (z < -85) acy = -25, aa = 9, ab = 8;
    else if (z < -45) acy = -32, aa = 7, ab = 5;
    else if (z < 20) acy = -20, aa = 14, ab = 7;
    else acy = -24, aa = 12, ab = 8;
    if (in_ellipse(x, y, acx, acy, aa, ab)) return HU_AIR;
  }
  /* lung apices */
  if (z < -140 && (sq((x - 70) / 45) + sq((y - 10) / 45) + sq((z + 200) / 60) <= 1 ||
                   sq((x + 70) / 45) + sq((y - 10) / 45) + sq((z + 200) / 60) <= 1))
    return HU_LUNG;
  /* humeral heads */
  if (z < -140 && (sq(x - 165) + sq(y - 12) + sq(z + 170) <= 24 * 24 ||
                   sq(x + 165) + sq(y - 12) + sq(z + 170) <= 24 * 24))
    return HU_HUMERUS;
  if (in_prim(&m->roi[PH_MANDIBLE].part[0], p)) return HU_MANDIBLE;
  if (z < 45) {
    /* cervical/upper thoracic spine: 16 mm vertebral bodies, 4 mm discs */
    if (in_ellipse(x, y, 0, 4, 16, 11)) {
      double ph = fmod(z + 400.0, 20.0);
      return ph < 16.0 ? HU_VERT_BODY : HU_DISC;
    }
    double r2 = sq(x) + sq(y - 28);
    if (r2 <= 8.5 * 8.5) {
      if (in_prim(&m->roi[PH_CORD].part[0], p)) return HU_CORD;
      return HU_CSF;
    }
    if (r2 <= 13.0 * 13.0 || in_ellipse(x, y, 0, 48, 4, 9)) return HU_CORTICAL;
  } else {
    /* cranium: 3 mm scalp, 7 mm skull, brain inside */
    if (body > -3.0) return HU_MUSCLE;
    if (body > -10.0) return HU_CORTICAL;
    if (in_prim(&m->roi[PH_COCHLEA_L].part[0], p) ||
        in_prim(&m->roi[PH_COCHLEA_R].part[0], p))
      return HU_CSF;
    if (sq((fabs(x) - 40) / 14) + sq((y - 12) / 10) + sq((z - 78) / 8) <= 1) return HU_PETROUS;
    if (sq(fabs(x) - 32) + sq(y + 62) + sq(z - 110) <= 12 * 12) return HU_EYE;
    if (in_prim(&m->roi[PH_BRAINSTEM].part[0], p)) return HU_CORD;
    return HU_BRAIN;
  }
  if (body > -7.0) return HU_FAT;
  if (in_prim(&m->roi[PH_PAROTID_L].part[0], p) ||
      in_prim(&m->roi[PH_PAROTID_R].part[0], p))
    return HU_PAROTID;
  if (in_prim(&m->roi[PH_CAROTID_L].part[0], p) ||
      in_prim(&m->roi[PH_CAROTID_R].part[0], p))
    return HU_VESSEL;
  if (in_prim(&m->roi[PH_LARYNX].part[0], p)) return HU_LARYNX;
  return HU_MUSCLE;
}

double phantom_dose_gy(const rert_phantom_model *m, int c, const double x[3]) {
  const rert_phantom_course *k = &m->course[c];
  if (phantom_roi_level(m, PH_EXTERNAL, c, x) > 0) return 0.0;
  double best = 0.0;
  for (int l = 0; l < k->nlevels; l++) {
    double d = phantom_roi_level(m, k->level[l].roi, c, x);
    double edge = 0.5 * erfc((d - k->shoulder_mm) / (M_SQRT2 * k->sigma_mm));
    double bath = exp(-fmax(d, 0.0) / k->bath_length_mm);
    double v = k->level[l].dose_gy * ((1.0 - k->bath_fraction) * edge + k->bath_fraction * bath);
    if (v > best) best = v;
  }
  return best;
}
