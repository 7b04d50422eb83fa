/* consult_rtstruct.c — the derived RTSTRUCT of the consult: the recurrence split into its part
 * inside the 95 % isodose of the most recent prior course (mapped onto the reference) and the
 * rest (domain-reference 7.3: in-field vs marginal), as closed planar contours on the reference
 * dose grid's slices.
 *
 * Contours: marching squares on the binary mask of each slice, padded with a ring of outside
 * voxels so every contour closes. A crossing lies at the midpoint of a grid edge; segments are
 * chained into polygons through the edge they share (exact integer keys, no tolerance).
 */
#if __has_include("rert/accumulate.h")
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consult/consult_ctx.h"

typedef struct {
  int a, b; /* edge keys */
  int used;
} seg;

/* edge key in the padded (W+2)×(H+2) lattice: horizontal edge right of node (i, j) → even,
 * vertical edge below node (i, j) → odd; nodes i in −1..W, j in −1..H */
static int hkey(int i, int j, int W) { return 2 * ((j + 1) * (W + 2) + (i + 1)); }
static int vkey(int i, int j, int W) { return 2 * ((j + 1) * (W + 2) + (i + 1)) + 1; }

/* t: position of the crossing along the edge (0 at node (i, j)) */
static void key_point(int key, int W, double t, double *x, double *y) {
  int node = key / 2, i = node % (W + 2) - 1, j = node / (W + 2) - 1;
  if (key % 2 == 0) {
    *x = i + t;
    *y = j;
  } else {
    *x = i;
    *y = j + t;
  }
}

static int add_contour(rert_roi *roi, const rert_volume *g, int k, const double *px, const double *py,
                       int n) {
  rert_contour *nc = realloc(roi->contours, (size_t)(roi->ncontours + 1) * sizeof *nc);
  if (!nc) return -1;
  roi->contours = nc;
  rert_contour *ct = &roi->contours[roi->ncontours];
  ct->type = CONTOUR_CLOSED_PLANAR;
  ct->npoints = n;
  ct->xyz_mm = malloc(sizeof(double) * 3 * (size_t)n);
  if (!ct->xyz_mm) return -1;
  for (int q = 0; q < n; q++) {
    double ijk[3] = {px[q], py[q], k};
    volume_index_to_world(g, ijk, ct->xyz_mm + 3 * q);
  }
  roi->ncontours++;
  return 0;
}

/* Contours of the 0.5 level of occupancy m (W×H×D, 0..1) on grid g into roi; the crossing on an
 * edge is placed by linear interpolation of the occupancy (sub-voxel, keeps volume). */
static int mask_contours(const float *m, const rert_volume *g, rert_roi *roi) {
  int W = g->nx, H = g->ny;
  size_t nkeys = (size_t)2 * (W + 2) * (H + 2) + 2;
  int *first = malloc(nkeys * sizeof *first), *second = malloc(nkeys * sizeof *second);
  double *pos = malloc(nkeys * sizeof *pos);
  size_t cap = 1024;
  seg *s = malloc(cap * sizeof *s);
  double *px = NULL, *py = NULL;
  int rc = 0;
  if (!first || !second || !s || !pos) rc = -1;
  for (int k = 0; k < g->nz && !rc; k++) {
    const float *sl = m + (size_t)W * H * k;
#define VAL(i, j) ((i) >= 0 && (j) >= 0 && (i) < W && (j) < H ? (double)sl[(size_t)(j) * W + (i)] : 0.0)
#define IN(i, j) (VAL(i, j) >= 0.5)
#define CROSS(v0, v1) ((0.5 - (v0)) / ((v1) - (v0)))
    size_t ns = 0;
    for (int j = -1; j < H && !rc; j++)
      for (int i = -1; i < W && !rc; i++) {
        int a = IN(i, j), b = IN(i + 1, j), c = IN(i + 1, j + 1), d = IN(i, j + 1);
        int code = a | b << 1 | c << 2 | d << 3;
        if (code == 0 || code == 15) continue;
        int e[4], ne = 0; /* crossings in order top, right, bottom, left */
        double va = VAL(i, j), vb = VAL(i + 1, j), vc = VAL(i + 1, j + 1), vd = VAL(i, j + 1);
        if (a != b) { e[ne] = hkey(i, j, W); pos[e[ne++]] = CROSS(va, vb); }
        if (b != c) { e[ne] = vkey(i + 1, j, W); pos[e[ne++]] = CROSS(vb, vc); }
        if (c != d) { e[ne] = hkey(i, j + 1, W); pos[e[ne++]] = CROSS(vd, vc); }
        if (d != a) { e[ne] = vkey(i, j, W); pos[e[ne++]] = CROSS(va, vd); }
        int pairs[2][2], np = 0;
        if (ne == 2) {
          pairs[np][0] = e[0], pairs[np++][1] = e[1];
        } else { /* saddle: keep the inside corners apart (4-connected) */
          if (a) { pairs[0][0] = e[0], pairs[0][1] = e[3], pairs[1][0] = e[1], pairs[1][1] = e[2]; }
          else { pairs[0][0] = e[0], pairs[0][1] = e[1], pairs[1][0] = e[2], pairs[1][1] = e[3]; }
          np = 2;
        }
        for (int q = 0; q < np; q++) {
          if (ns == cap) {
            cap *= 2;
            seg *t = realloc(s, cap * sizeof *s);
            if (!t) { rc = -1; break; }
            s = t;
          }
          s[ns].a = pairs[q][0], s[ns].b = pairs[q][1], s[ns].used = 0;
          ns++;
        }
      }
#undef IN
#undef VAL
#undef CROSS
    if (rc || ns == 0) continue;
    /* edge → the (at most two) segments that touch it */
    for (size_t q = 0; q < ns; q++) first[s[q].a] = first[s[q].b] = second[s[q].a] = second[s[q].b] = -1;
    for (size_t q = 0; q < ns; q++) {
      int ks[2] = {s[q].a, s[q].b};
      for (int t = 0; t < 2; t++) {
        if (first[ks[t]] < 0) first[ks[t]] = (int)q;
        else second[ks[t]] = (int)q;
      }
    }
    free(px);
    free(py);
    px = malloc(sizeof(double) * (ns + 1));
    py = malloc(sizeof(double) * (ns + 1));
    if (!px || !py) { rc = -1; break; }
    for (size_t q0 = 0; q0 < ns && !rc; q0++) {
      if (s[q0].used) continue;
      int n = 0, q = (int)q0, key = s[q0].a;
      while (q >= 0 && !s[q].used) {
        s[q].used = 1;
        key_point(key, W, pos[key], &px[n], &py[n]);
        n++;
        key = s[q].a == key ? s[q].b : s[q].a; /* leave through the other edge */
        q = first[key] == q ? second[key] : first[key];
      }
      if (n >= 3 && add_contour(roi, g, k, px, py, n) != 0) rc = -1;
    }
  }
  free(first);
  free(second);
  free(pos);
  free(s);
  free(px);
  free(py);
  return rc;
}

int consult_write_rtstruct(consult_ctx *c, const char *dir, int *nfiles, rert_err *err) {
  const case_course *last = casefile_last_prior(&c->cs);
  if (c->irec < 0 || !last || !(last->prescription_gy > 0)) return RERT_OK;
  int il = (int)(last - c->cs.courses);
  size_t n = volume_count(&c->maskvol[c->irec]);
  float *in = calloc(n, sizeof *in), *out = calloc(n, sizeof *out);
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  rert_roi rois[2];
  memset(rois, 0, sizeof rois);
  int rc = RERT_OK;
  if (!in || !out) rc = rert_err_set(err, RERT_EINTERNAL, "derived RTSTRUCT: out of memory");
  const double thr = 0.95 * last->prescription_gy;
  for (size_t v = 0; v < n && !rc; v++) {
    float f = c->maskvol[c->irec].data[v];
    if (c->mapped[il].data[v] >= thr) in[v] = f;
    else out[v] = f;
  }
  static const char *names[2] = {"GTV_Rec_InField", "GTV_Rec_Marginal"};
  static const unsigned char rgb[2][3] = {{255, 0, 0}, {255, 160, 0}};
  for (int r = 0; r < 2 && !rc; r++) {
    rert_roi *roi = &rois[r];
    roi->number = r + 1;
    snprintf(roi->name, sizeof roi->name, "%s", names[r]);
    snprintf(roi->tg263_name, sizeof roi->tg263_name, "%s", names[r]);
    snprintf(roi->interpreted_type, sizeof roi->interpreted_type, "GTV");
    snprintf(roi->generation_algorithm, sizeof roi->generation_algorithm, "AUTOMATIC");
    snprintf(roi->frame_of_reference_uid, sizeof roi->frame_of_reference_uid, "%s",
             c->dose[c->iref].ident.frame_of_reference_uid);
    memcpy(roi->color_rgb, rgb[r], 3);
    if (mask_contours(r == 0 ? in : out, &c->grid, roi) != 0)
      rc = rert_err_set(err, RERT_EINTERNAL, "derived RTSTRUCT: out of memory");
  }
  if (!rc) {
    /* identity: patient, study and frame of the reference dose */
    const rert_dicom_ident *src = &c->dose[c->iref].ident;
    snprintf(ss.ident.patient_id, sizeof ss.ident.patient_id, "%s", src->patient_id);
    snprintf(ss.ident.patient_name, sizeof ss.ident.patient_name, "%s", src->patient_name);
    snprintf(ss.ident.patient_birth_date, sizeof ss.ident.patient_birth_date, "%s", src->patient_birth_date);
    snprintf(ss.ident.patient_sex, sizeof ss.ident.patient_sex, "%s", src->patient_sex);
    snprintf(ss.ident.study_instance_uid, sizeof ss.ident.study_instance_uid, "%s", src->study_instance_uid);
    snprintf(ss.ident.frame_of_reference_uid, sizeof ss.ident.frame_of_reference_uid, "%s",
             src->frame_of_reference_uid);
    snprintf(ss.ident.study_date, sizeof ss.ident.study_date, "%s", src->study_date);
    /* series and instance UIDs from the consult's input digests (deterministic output) */
    char key[160], k2[200];
    consult_object_key(c, "recurrence_parts.dcm", key, sizeof key);
    snprintf(k2, sizeof k2, "%s/series", key);
    io_make_uid_from(k2, ss.ident.series_instance_uid);
    snprintf(k2, sizeof k2, "%s/sop", key);
    io_make_uid_from(k2, ss.ident.sop_instance_uid);
    snprintf(ss.label, sizeof ss.label, "rert recurrence");
    ss.nrois = 2;
    ss.rois = rois;
    char note[256], path[2200];
    snprintf(note, sizeof note,
             "recurrence %s split at 95%% of the %.2f Gy prescription of %s (mapped onto %s)",
             c->in.structs[c->irec].name, last->prescription_gy, last->id, c->cs.courses[c->iref].id);
    io_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.note = note;
    wo.software = "rert";
    snprintf(path, sizeof path, "%s/recurrence_parts.dcm", dir);
    int empty = rois[0].ncontours == 0 && rois[1].ncontours == 0;
    if (!empty) {
      rc = io_write_rtstruct(path, &ss, NULL, &wo, err);
      if (!rc) (*nfiles)++;
    }
  }
  for (int r = 0; r < 2; r++) {
    for (int q = 0; q < rois[r].ncontours; q++) free(rois[r].contours[q].xyz_mm);
    free(rois[r].contours);
  }
  free(in);
  free(out);
  return rc;
}
#endif
