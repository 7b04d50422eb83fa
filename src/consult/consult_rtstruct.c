/* consult_rtstruct.c — the derived RTSTRUCT of the consult: the recurrence split into its part
 * inside the 95 % isodose of the most recent prior course (mapped onto the reference) and the
 * rest (domain-reference 7.3: in-field vs marginal), and the target volumes the planned
 * technique's margin recipe implies (domain-reference 7.4, data/target_margins.json): CTV =
 * recurrence + GTV→CTV margin cropped to the body (EXTERNAL), PTV = CTV + CTV→PTV margin.
 *
 * Drawn on a grid finer than the dose grid around the recurrence (1 mm in-plane, planes on the
 * CT slices): the recurrence ROI is rasterised there directly, so the parts keep its volume, and
 * margins of a few mm are not lost to a 2.5–4 mm dose grid.
 *
 * Contours: marching squares on the occupancy of each slice, padded with a ring of outside
 * voxels so every contour closes. The crossing on a grid edge is placed by linear interpolation
 * of the occupancy; segments are chained into polygons through the edge they share (exact
 * integer keys, no tolerance).
 */
#if __has_include("rert/accumulate.h")
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consult/consult_ctx.h"
#include "rert/data.h"

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

/* First whole number in a recipe text ("3-7 mm, anatomically constrained" → 3: the lower end
 * of a recommended range); 0 when the text gives none or says there is no such margin ("no
 * CTV", "-", "minimize with IGRT"). */
static double recipe_mm(const char *t) {
  if (!t || strstr(t, "no CTV") || strstr(t, "GTV only")) return 0;
  for (const char *q = t; *q; q++)
    if (*q >= '0' && *q <= '9') return strtod(q, NULL);
  return 0;
}

/* Recipe of data/target_margins.json for the planned course's technique (VMAT / 3DCRT → IMRT),
 * first match in file order. Returns 1 and fills the margins and a description, 0 when none. */
static int find_recipe(const char *technique, double *ctv_mm, double *ptv_mm, char *desc, size_t n) {
  const char *want = technique;
  if (!strcmp(technique, "VMAT") || !strcmp(technique, "3DCRT")) want = "IMRT";
  cJSON *doc = NULL;
  rert_err e;
  if (data_load_json("target_margins.json", &doc, &e) != RERT_OK) return 0;
  const cJSON *r;
  int found = 0;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "recipes")) {
    const cJSON *t = cJSON_GetObjectItem(r, "technique");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, want)) continue;
    const cJSON *id = cJSON_GetObjectItem(r, "id"), *g = cJSON_GetObjectItem(r, "gtv_to_ctv"),
                *pp = cJSON_GetObjectItem(r, "ctv_to_ptv"), *src = cJSON_GetObjectItem(r, "source"),
                *ver = cJSON_GetObjectItem(r, "verified");
    const char *gs = cJSON_IsString(g) ? g->valuestring : "", *ps = cJSON_IsString(pp) ? pp->valuestring : "";
    *ctv_mm = recipe_mm(gs);
    *ptv_mm = recipe_mm(ps);
    snprintf(desc, n, "margins from data/target_margins.json recipe %s (%s; GTV->CTV '%s', CTV->PTV '%s'; source %s%s): CTV = GTV + %g mm cropped to the body, PTV = CTV + %g mm (lower end of each range; edit before planning)",
             cJSON_IsString(id) ? id->valuestring : "?", technique, gs, ps,
             cJSON_IsString(src) ? src->valuestring : "?", cJSON_IsTrue(ver) ? "" : ", unverified",
             *ctv_mm, *ptv_mm);
    found = 1;
    break;
  }
  cJSON_Delete(doc);
  return found;
}

/* The grid the derived structures are drawn on: the reference dose grid's orientation around
 * the recurrence (plus `pad_mm`), 1 mm in-plane and the CT slice spacing across (planes on the
 * CT slices) — finer than the dose grid, so the parts keep the recurrence's volume and a 3 mm
 * margin is not lost on a 4 mm dose grid. */
static int fine_grid(const consult_ctx *c, double pad_mm, rert_volume *f, rert_err *err) {
  const rert_volume *g = &c->grid;
  const rert_mask *m = &c->mask[c->irec];
  *f = *g;
  f->data = NULL;
  double zs = 1.0;
  if (c->has_ct && c->ct.image.spacing_mm[2] > 0) zs = c->ct.image.spacing_mm[2];
  if (zs > g->spacing_mm[2]) zs = g->spacing_mm[2];
  double fs[3] = {fmin(1.0, g->spacing_mm[0]), fmin(1.0, g->spacing_mm[1]), zs};
  double lo_idx[3], n_mm[3];
  for (int a = 0; a < 3; a++) {
    lo_idx[a] = m->lo[a] - 0.5 - pad_mm / g->spacing_mm[a];
    n_mm[a] = (m->n[a] * g->spacing_mm[a]) + 2 * pad_mm;
  }
  double o[3];
  volume_index_to_world(g, lo_idx, o);
  /* first voxel centre half a fine voxel inside the box corner */
  for (int a = 0; a < 3; a++)
    for (int q = 0; q < 3; q++) o[q] += 0.5 * fs[a] * g->dir[3 * a + q];
  if (c->has_ct) {
    /* put the planes on the CT slices when the CT stack runs along the same normal */
    const double *w = g->dir + 6, *wc = c->ct.image.dir + 6;
    double cosn = w[0] * wc[0] + w[1] * wc[1] + w[2] * wc[2];
    if (fabs(fabs(cosn) - 1) < 1e-6 && fabs(c->ct.image.spacing_mm[2] - zs) < 1e-6) {
      double t0 = o[0] * w[0] + o[1] * w[1] + o[2] * w[2];
      const double *co = c->ct.image.origin_mm;
      double tc = co[0] * w[0] + co[1] * w[1] + co[2] * w[2];
      double shift = tc + floor((t0 - tc) / zs) * zs - t0;
      for (int q = 0; q < 3; q++) o[q] += shift * w[q];
      n_mm[2] += zs;
    }
  }
  memcpy(f->origin_mm, o, sizeof o);
  memcpy(f->spacing_mm, fs, sizeof fs);
  f->nx = (int)ceil(n_mm[0] / fs[0]);
  f->ny = (int)ceil(n_mm[1] / fs[1]);
  f->nz = (int)ceil(n_mm[2] / fs[2]);
  if ((double)f->nx * f->ny * f->nz > 4e7)
    return rert_err_set(err, RERT_EINPUT, "derived RTSTRUCT: recurrence %s too large for its drawing grid",
                        c->in.structs[c->irec].name);
  return RERT_OK;
}

/* GTV parts (in-field, marginal) and, when a recipe applies, CTV and PTV occupancies on grid f.
 * Returns the number of structures (2 or 4) or a negative status. */
static int derived_volumes(consult_ctx *c, const rert_volume *f, const rert_volume *prior, double thr,
                           rert_volume occ[4], char *desc, size_t n, rert_err *err) {
  const case_course *pl = casefile_planned_course(&c->cs);
  double cm = 0, pm = 0;
  int with_margins = pl && find_recipe(pl->technique, &cm, &pm, desc, n);
  rert_mask gtv, body, ctv0, ctvc, ptvm;
  memset(&gtv, 0, sizeof gtv);
  memset(&body, 0, sizeof body);
  memset(&ctv0, 0, sizeof ctv0);
  memset(&ctvc, 0, sizeof ctvc);
  memset(&ptvm, 0, sizeof ptvm);
  int rc = geom_mask_from_roi(c->roi[c->irec], f, NULL, &gtv, err);
  rert_volume gv;
  memset(&gv, 0, sizeof gv);
  if (!rc) rc = geom_mask_to_volume(&gtv, &gv, err);
  if (!rc) rc = volume_alloc_like(&occ[0], &gv, err);
  if (!rc) rc = volume_alloc_like(&occ[1], &gv, err);
  if (!rc) {
    /* split by the mapped prior dose sampled at each fine voxel centre */
    for (int k = 0; k < f->nz; k++)
      for (int j = 0; j < f->ny; j++)
        for (int i = 0; i < f->nx; i++) {
          size_t v = (size_t)i + (size_t)f->nx * ((size_t)j + (size_t)f->ny * k);
          float o = gv.data[v];
          if (!(o > 0)) continue;
          double ijk[3] = {i, j, k}, x[3];
          volume_index_to_world(f, ijk, x);
          if (volume_sample_trilinear(prior, x, 0.0f) >= thr) occ[0].data[v] = o;
          else occ[1].data[v] = o;
        }
  }
  int have_body = 0;
  if (!rc && with_margins) {
    for (int r = 0; r < c->ss.nrois && !have_body; r++) {
      const rert_roi *roi = &c->ss.rois[r];
      if (strcasecmp(roi->interpreted_type, "EXTERNAL") || roi->ncontours == 0) continue;
      rert_err e;
      have_body = geom_mask_from_roi(roi, f, NULL, &body, &e) == RERT_OK;
    }
    double m1[3] = {cm, cm, cm}, m2[3] = {pm, pm, pm};
    rc = geom_mask_margin(&gtv, m1, &ctv0, err);
    if (!rc && have_body) rc = geom_mask_crop(&ctv0, &body, &ctvc, err);
    else if (!rc) rc = geom_mask_copy(&ctv0, &ctvc, err);
    if (!rc) rc = geom_mask_margin(&ctvc, m2, &ptvm, err);
    if (!rc) rc = geom_mask_to_volume(&ctvc, &occ[2], err);
    if (!rc) rc = geom_mask_to_volume(&ptvm, &occ[3], err);
    if (!rc && !have_body) {
      size_t u = strlen(desc);
      snprintf(desc + u, n - u, "; no EXTERNAL structure, CTV not cropped");
    }
  }
  volume_free(&gv);
  geom_mask_free(&gtv);
  geom_mask_free(&body);
  geom_mask_free(&ctv0);
  geom_mask_free(&ctvc);
  geom_mask_free(&ptvm);
  if (rc) return -rc;
  return with_margins ? 4 : 2;
}

int consult_write_rtstruct(consult_ctx *c, const char *dir, int *nfiles, rert_err *err) {
  const case_course *last = casefile_last_prior(&c->cs);
  if (c->irec < 0 || !last || !(last->prescription_gy > 0)) return RERT_OK;
  int il = (int)(last - c->cs.courses);
  rert_structure_set ss;
  memset(&ss, 0, sizeof ss);
  rert_roi rois[4];
  memset(rois, 0, sizeof rois);
  rert_volume occ[4], f;
  memset(occ, 0, sizeof occ);
  char mdesc[700] = "";
  const double thr = 0.95 * last->prescription_gy;
  /* pad: the largest margin any recipe could give plus a voxel ring */
  int rc = fine_grid(c, 20.0, &f, err), nroi = 0;
  if (!rc) {
    nroi = derived_volumes(c, &f, &c->mapped[il], thr, occ, mdesc, sizeof mdesc, err);
    if (nroi < 0) rc = -nroi, nroi = 0;
  }
  static const char *names[4] = {"GTV_Rec_InField", "GTV_Rec_Marginal", "CTV_Rec", "PTV_Rec"};
  static const char *types[4] = {"GTV", "GTV", "CTV", "PTV"};
  static const unsigned char rgb[4][3] = {{255, 0, 0}, {255, 160, 0}, {0, 160, 255}, {0, 80, 255}};
  for (int r = 0; r < nroi && !rc; r++) {
    rert_roi *roi = &rois[r];
    roi->number = r + 1;
    snprintf(roi->name, sizeof roi->name, "%s", names[r]);
    snprintf(roi->tg263_name, sizeof roi->tg263_name, "%s", names[r]);
    snprintf(roi->interpreted_type, sizeof roi->interpreted_type, "%s", types[r]);
    snprintf(roi->generation_algorithm, sizeof roi->generation_algorithm, "AUTOMATIC");
    snprintf(roi->frame_of_reference_uid, sizeof roi->frame_of_reference_uid, "%s",
             c->dose[c->iref].ident.frame_of_reference_uid);
    memcpy(roi->color_rgb, rgb[r], 3);
    if (mask_contours(occ[r].data, &f, roi) != 0)
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
    ss.nrois = nroi;
    ss.rois = rois;
    char note[1100], path[2200];
    snprintf(note, sizeof note,
             "recurrence %s split at 95%% of the %.2f Gy prescription of %s (mapped onto %s)%s%s",
             c->in.structs[c->irec].name, last->prescription_gy, last->id, c->cs.courses[c->iref].id,
             mdesc[0] ? "; " : "", mdesc);
    io_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.note = note;
    wo.software = "rert";
    snprintf(path, sizeof path, "%s/recurrence_parts.dcm", dir);
    int empty = 1;
    for (int r = 0; r < nroi; r++) empty &= rois[r].ncontours == 0;
    if (!empty) {
      rc = io_write_rtstruct(path, &ss, NULL, &wo, err);
      if (!rc) (*nfiles)++;
    }
  }
  for (int r = 0; r < 4; r++) {
    for (int q = 0; q < rois[r].ncontours; q++) free(rois[r].contours[q].xyz_mm);
    free(rois[r].contours);
  }
  for (int r = 0; r < 4; r++) volume_free(&occ[r]);
  return rc;
}

/* Identity of a derived RTSTRUCT: patient, study and frame of the reference dose; series and
 * instance UIDs from the consult's key and the file name (deterministic output). */
static void derived_ident(const consult_ctx *c, const char *file, rert_structure_set *ss) {
  const rert_dicom_ident *src = &c->dose[c->iref].ident;
  snprintf(ss->ident.patient_id, sizeof ss->ident.patient_id, "%s", src->patient_id);
  snprintf(ss->ident.patient_name, sizeof ss->ident.patient_name, "%s", src->patient_name);
  snprintf(ss->ident.patient_birth_date, sizeof ss->ident.patient_birth_date, "%s", src->patient_birth_date);
  snprintf(ss->ident.patient_sex, sizeof ss->ident.patient_sex, "%s", src->patient_sex);
  snprintf(ss->ident.study_instance_uid, sizeof ss->ident.study_instance_uid, "%s", src->study_instance_uid);
  snprintf(ss->ident.frame_of_reference_uid, sizeof ss->ident.frame_of_reference_uid, "%s",
           src->frame_of_reference_uid);
  snprintf(ss->ident.study_date, sizeof ss->ident.study_date, "%s", src->study_date);
  char key[160], k2[200];
  consult_object_key(c, file, key, sizeof key);
  snprintf(k2, sizeof k2, "%s/series", key);
  io_make_uid_from(k2, ss->ident.series_instance_uid);
  snprintf(k2, sizeof k2, "%s/sop", key);
  io_make_uid_from(k2, ss->ident.sop_instance_uid);
}

/* budget_regions.dcm: where the remaining-tolerance and maximum-new-dose RTDOSEs hold 0 for two
 * different reasons. Budget_Exhausted = voxels where a hard limit is already reached or exceeded
 * by the prior courses (no new dose allowed); Budget_Limited = voxels under at least one hard
 * limit (outside it no limit applies, and the maps' 0 means "no limit"). Contoured on the dose
 * grid (marching squares at occupancy 0.5 of the voxel indicator). */
int consult_write_budget_rtstruct(consult_ctx *c, const char *dir, int *nfiles, int *exhausted_voxels,
                                  rert_err *err) {
  *exhausted_voxels = 0;
  if (!c->has_budget || !c->exhausted.data) return RERT_OK;
  const size_t N = volume_count(&c->exhausted);
  float *occ[2] = {malloc(N * sizeof(float)), malloc(N * sizeof(float))};
  int rc = RERT_OK;
  if (!occ[0] || !occ[1]) rc = rert_err_set(err, RERT_EINTERNAL, "budget RTSTRUCT: out of memory");
  long nex = 0, nlim = 0;
  for (size_t v = 0; !rc && v < N; v++) {
    float e = c->exhausted.data[v];
    occ[0][v] = e == 1.0f ? 1.0f : 0.0f;
    occ[1][v] = e == e ? 1.0f : 0.0f; /* not NaN: some hard limit applies */
    nex += e == 1.0f;
    nlim += e == e;
  }
  *exhausted_voxels = (int)nex;
  rert_roi rois[2];
  memset(rois, 0, sizeof rois);
  static const char *names[2] = {"Budget_Exhausted", "Budget_Limited"};
  static const unsigned char rgb[2][3] = {{255, 0, 255}, {255, 255, 0}};
  for (int r = 0; r < 2 && !rc; r++) {
    rert_roi *roi = &rois[r];
    roi->number = r + 1;
    snprintf(roi->name, sizeof roi->name, "%s", names[r]);
    snprintf(roi->tg263_name, sizeof roi->tg263_name, "%s", names[r]);
    snprintf(roi->interpreted_type, sizeof roi->interpreted_type, "%s", r == 0 ? "AVOIDANCE" : "DOSE_REGION");
    snprintf(roi->generation_algorithm, sizeof roi->generation_algorithm, "AUTOMATIC");
    snprintf(roi->frame_of_reference_uid, sizeof roi->frame_of_reference_uid, "%s",
             c->dose[c->iref].ident.frame_of_reference_uid);
    memcpy(roi->color_rgb, rgb[r], 3);
    if (mask_contours(occ[r], &c->grid, roi) != 0)
      rc = rert_err_set(err, RERT_EINTERNAL, "budget RTSTRUCT: out of memory");
  }
  if (!rc && (rois[0].ncontours > 0 || rois[1].ncontours > 0)) {
    rert_structure_set ss;
    memset(&ss, 0, sizeof ss);
    derived_ident(c, "budget_regions.dcm", &ss);
    snprintf(ss.label, sizeof ss.label, "rert budget");
    /* drop an empty first ROI (no voxel exhausted): the set keeps the ROIs with contours */
    rert_roi keep[2];
    int nk = 0;
    for (int r = 0; r < 2; r++)
      if (rois[r].ncontours > 0) keep[nk++] = rois[r];
    for (int r = 0; r < nk; r++) keep[r].number = r + 1;
    ss.nrois = nk;
    ss.rois = keep;
    char note[600], path[2200];
    snprintf(note, sizeof note,
             "remaining_eqd2.dcm and max_new_dose.dcm hold 0 both where no limit applies and where a "
             "hard limit is already reached by the prior courses: Budget_Exhausted = limit reached "
             "(%ld voxels), Budget_Limited = a hard limit applies (%ld voxels; outside: no limit)",
             nex, nlim);
    io_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.note = note;
    wo.software = "rert";
    snprintf(path, sizeof path, "%s/budget_regions.dcm", dir);
    rc = io_write_rtstruct(path, &ss, NULL, &wo, err);
    if (!rc) (*nfiles)++;
  }
  for (int r = 0; r < 2; r++) {
    for (int q = 0; q < rois[r].ncontours; q++) free(rois[r].contours[q].xyz_mm);
    free(rois[r].contours);
  }
  free(occ[0]);
  free(occ[1]);
  return rc;
}
#endif
