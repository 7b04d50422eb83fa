/* reg_cli.c — input helpers of the registration commands (reg_cli.h). */
#include "cli/reg_cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rert/dicomio.h"
#include "rert/fieldcheck.h"
#include "rert/geom.h"
#include "rert/imageio.h"

static int is_dicom_path(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return 1;
  size_t n = strlen(path);
  return n > 4 && !strcasecmp(path + n - 4, ".dcm");
}

int regcli_load_image(const char *path, rert_volume *v, rert_err *err) {
  if (!path) return rert_err_set(err, RERT_EINPUT, "missing image path");
  if (imageio_format_of(path) != IMAGEIO_FMT_UNKNOWN) return imageio_read_volume(path, v, err);
  if (!is_dicom_path(path))
    return rert_err_set(err, RERT_EINPUT, "%s: unsupported image (use a DICOM series directory, RTDOSE .dcm, .mha, .mhd, .nii or .nii.gz)", path);
  struct stat st;
  int rc;
  if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
    rert_dicom_ident id;
    if ((rc = io_read_ident(path, &id, err))) return rc;
    if (!strcmp(id.modality, "RTDOSE")) {
      rert_rtdose d;
      if ((rc = io_read_rtdose(path, &d, err))) return rc;
      *v = d.dose;
      d.dose.data = NULL;
      rtdata_free_rtdose(&d);
      return RERT_OK;
    }
  }
  rert_image_series s;
  if ((rc = io_read_image_series(path, NULL, &s, err))) return rc;
  *v = s.image;
  s.image.data = NULL;
  rtdata_free_image_series(&s);
  return RERT_OK;
}

int regcli_load_field(const char *path, const rert_volume *like, rert_vfield *f, rert_err *err) {
  if (!path) return rert_err_set(err, RERT_EINPUT, "missing --field");
  if (imageio_format_of(path) != IMAGEIO_FMT_UNKNOWN) return imageio_read_vfield(path, f, err);
  size_t n = strlen(path);
  if (!(n > 4 && !strcasecmp(path + n - 4, ".dcm")))
    return rert_err_set(err, RERT_EINPUT, "%s: unsupported field (use .mha, .mhd, .nii, .nii.gz or a DICOM REG .dcm)", path);
  rert_dicom_ident id;
  int rc = io_read_ident(path, &id, err);
  if (rc) return rc;
  if (!strcmp(id.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.3")) { /* Deformable Spatial Registration */
    rert_deformable_registration r;
    if ((rc = io_read_deformable_registration(path, &r, err))) return rc;
    rert_volume g;
    reg_vfield_geometry(&r.field, &g);
    rc = reg_vfield_from_dicom_deformable(&r, like ? like : &g, f, err);
    rtdata_free_deformable_registration(&r);
    return rc;
  }
  rert_rigid_registration r;
  if ((rc = io_read_spatial_registration(path, &r, err))) return rc;
  if (!like) return rert_err_set(err, RERT_EINPUT, "%s: a rigid registration needs a grid (--like)", path);
  return reg_vfield_from_dicom_rigid(&r, like, f, err);
}

int regcli_check_coverage(const char *path, const rert_vfield *f, const rert_volume *region,
                          const char *region_name, rert_err *err) {
  if (imageio_format_of(path) != IMAGEIO_FMT_UNKNOWN)
    return fieldcheck_coverage(f, NULL, region, path, region_name, err);
  rert_dicom_ident id;
  int rc = io_read_ident(path, &id, err);
  if (rc || strcmp(id.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.3")) return rc; /* rigid: everywhere */
  /* the deformable grid, before it was resampled: coverage in its own frame z = Post⁻¹(x) */
  rert_deformable_registration r;
  if ((rc = io_read_deformable_registration(path, &r, err))) return rc;
  double post_inv[16];
  rc = reg_affine_invert(r.post_matrix, post_inv, err);
  if (!rc) rc = fieldcheck_coverage(&r.field, post_inv, region, path, region_name, err);
  rtdata_free_deformable_registration(&r);
  return rc;
}

int regcli_mask_on(const rert_volume *mask, const rert_volume *grid, rert_volume *out, rert_err *err) {
  rert_vfield zero;
  int rc = reg_vfield_alloc_like(&zero, grid, err);
  if (rc) return rc;
  rc = reg_warp_volume_to(mask, &zero, grid, REG_INTERP_NEAREST, 0.0f, out, err);
  rtdata_free_vfield(&zero);
  return rc;
}

void regcli_derive(const char *out, const char *suffix, char *buf, size_t n) {
  size_t len = strlen(out);
  static const char *ext[] = {".nii.gz", ".mha", ".mhd", ".nii", NULL};
  for (int i = 0; ext[i]; i++) {
    size_t m = strlen(ext[i]);
    if (len > m && !strcasecmp(out + len - m, ext[i])) {
      len -= m;
      break;
    }
  }
  snprintf(buf, n, "%.*s%s", (int)len, out, suffix);
}

void regcli_mask_file(const char *spec, char *buf, size_t n) {
  const char *sep = strstr(spec, ".dcm:");
  if (!sep) sep = strstr(spec, ".DCM:");
  if (sep) snprintf(buf, n, "%.*s", (int)(sep + 4 - spec), spec);
  else snprintf(buf, n, "%s", spec);
}

int regcli_load_mask(const char *spec, const rert_volume *grid, rert_volume *out, rert_err *err) {
  const char *sep = strstr(spec, ".dcm:");
  if (!sep) sep = strstr(spec, ".DCM:");
  if (!sep) {
    rert_volume raw;
    int rc = regcli_load_image(spec, &raw, err);
    if (rc) return rc;
    rc = regcli_mask_on(&raw, grid, out, err);
    volume_free(&raw);
    return rc;
  }
  char path[4096];
  snprintf(path, sizeof path, "%.*s", (int)(sep + 4 - spec), spec);
  const char *roi_name = sep + 5;
  rert_structure_set ss;
  int rc = io_read_rtstruct(path, &ss, err);
  if (rc) return rc;
  const rert_roi *roi = rtdata_find_roi(&ss, roi_name);
  if (!roi) {
    rtdata_free_structure_set(&ss);
    return rert_err_set(err, RERT_EINPUT, "%s: no ROI named '%s'", path, roi_name);
  }
  rert_volume g = *grid;
  g.data = NULL;
  rert_mask m;
  rc = geom_mask_from_roi(roi, &g, NULL, &m, err);
  rtdata_free_structure_set(&ss);
  if (rc) return rc;
  rc = geom_mask_to_volume(&m, out, err);
  geom_mask_free(&m);
  if (rc) return rc;
  for (size_t i = 0; i < volume_count(out); i++) out->data[i] = out->data[i] >= 0.5f;
  return RERT_OK;
}

void regcli_world_box(const rert_volume *v, double lo[3], double hi[3]) {
  for (int a = 0; a < 3; a++) lo[a] = 1e300, hi[a] = -1e300;
  for (int c = 0; c < 8; c++) {
    double p[3] = {c & 1 ? v->nx - 1 : 0, c & 2 ? v->ny - 1 : 0, c & 4 ? v->nz - 1 : 0}, x[3];
    volume_index_to_world(v, p, x);
    for (int a = 0; a < 3; a++) {
      if (x[a] < lo[a]) lo[a] = x[a];
      if (x[a] > hi[a]) hi[a] = x[a];
    }
  }
}

int regcli_load_rtstruct(const char *path, rert_structure_set *ss, rert_err *err) {
  return io_read_rtstruct(path, ss, err);
}

int regcli_load_image_frame(const char *path, rert_volume *v, char frame[RERT_UID_LEN], rert_err *err) {
  frame[0] = '\0';
  if (!path) return rert_err_set(err, RERT_EINPUT, "missing image path");
  if (imageio_format_of(path) != IMAGEIO_FMT_UNKNOWN || !is_dicom_path(path)) return regcli_load_image(path, v, err);
  struct stat st;
  int rc;
  if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
    rert_dicom_ident id;
    if ((rc = io_read_ident(path, &id, err))) return rc;
    if (!strcmp(id.modality, "RTDOSE")) {
      rert_rtdose d;
      if ((rc = io_read_rtdose(path, &d, err))) return rc;
      snprintf(frame, RERT_UID_LEN, "%s", d.ident.frame_of_reference_uid);
      *v = d.dose;
      d.dose.data = NULL;
      rtdata_free_rtdose(&d);
      return RERT_OK;
    }
  }
  rert_image_series s;
  if ((rc = io_read_image_series(path, NULL, &s, err))) return rc;
  snprintf(frame, RERT_UID_LEN, "%s", s.ident.frame_of_reference_uid);
  *v = s.image;
  s.image.data = NULL;
  rtdata_free_image_series(&s);
  return RERT_OK;
}

void regcli_field_frames(const char *path, char fixed[RERT_UID_LEN], char moving[RERT_UID_LEN]) {
  fixed[0] = moving[0] = '\0';
  size_t n = strlen(path);
  if (!(n > 4 && !strcasecmp(path + n - 4, ".dcm"))) return;
  rert_dicom_ident id;
  rert_err e;
  if (io_read_ident(path, &id, &e)) return;
  if (!strcmp(id.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.3")) {
    rert_deformable_registration r;
    if (io_read_deformable_registration(path, &r, &e)) return;
    snprintf(fixed, RERT_UID_LEN, "%s", r.fixed_frame_uid);
    snprintf(moving, RERT_UID_LEN, "%s", r.moving_frame_uid);
    rtdata_free_deformable_registration(&r);
    return;
  }
  rert_rigid_registration r;
  if (io_read_spatial_registration(path, &r, &e)) return;
  snprintf(fixed, RERT_UID_LEN, "%s", r.fixed_frame_uid);
  snprintf(moving, RERT_UID_LEN, "%s", r.moving_frame_uid);
}

void regcli_coarse_geometry(const rert_volume *v, double h, rert_volume *g) {
  *g = *v;
  g->data = NULL;
  int *n[3] = {&g->nx, &g->ny, &g->nz}, nv[3] = {v->nx, v->ny, v->nz};
  for (int a = 0; a < 3; a++) {
    double sp = v->spacing_mm[a] > h ? v->spacing_mm[a] : h;
    int m = (int)ceil((nv[a] - 1) * v->spacing_mm[a] / sp) + 1;
    g->spacing_mm[a] = m > 1 ? (nv[a] - 1) * v->spacing_mm[a] / (m - 1) : v->spacing_mm[a];
    *n[a] = m;
  }
}
