/* dcm_reg.cpp — Spatial Registration (rigid) and Deformable Spatial Registration objects.
 *
 * PS3.3 C.20.2: each RegistrationSequence item gives a FrameOfReferenceUID and a 4×4 matrix
 * that maps coordinates of that frame into the registration's own frame (top-level
 * FrameOfReferenceUID, the "registered"/fixed frame). rert reads the item whose frame differs
 * from the top-level one as the moving frame (matrix: moving → fixed, row-major). If neither
 * item is the top-level frame, the first item is taken as fixed and the matrices are composed
 * (fixed⁻¹ · moving).
 *
 * Deformable (C.20.3): DeformableRegistrationSequence item with SourceFrameOfReferenceUID (the
 * moving frame), Pre/PostDeformationMatrixRegistrationSequence and a
 * DeformableRegistrationGridSequence (IPP, IOP, GridDimensions, GridResolution, VectorGridData as
 * float triplets, x fastest) defined in the registered (fixed) frame. rert keeps the vectors as
 * stored and interprets them as the pull-back convention of rert_vfield (fixed x → moving
 * x + u(x)); io_write_deformable_registration writes the same, so rert round-trips exactly. */
#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/dcmtk/dcm_internal.h"

extern "C" {
#include "rert/fieldcheck.h"
#include "rert/limits.h"
}

using namespace rertdcm;

static void identity(double m[16]) {
  for (int i = 0; i < 16; i++) m[i] = (i % 5 == 0) ? 1.0 : 0.0;
}

/* A transformation matrix must be usable and be what its FrameOfReferenceTransformationMatrixType
 * (0070,030C) says (PS3.3 C.20.2.1.1): RIGID = rotation + translation (RᵀR = I, det +1),
 * RIGID_SCALE = uniformly scaled rotation (RᵀR = s²I), AFFINE = any invertible matrix. A
 * singular matrix, a reflection or a "RIGID" matrix with scale or shear is refused: mapping a
 * dose through it would silently stretch or mirror the anatomy. Tolerance 1e-3 (DS values are
 * rounded to ≤ 16 characters by every writer). */
static int check_matrix(const double m[16], const std::string &type, const char *w,
                        const char *what, rert_err *err) {
  const double r[9] = {m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]};
  const double det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) +
                     r[2] * (r[3] * r[7] - r[4] * r[6]);
  if (!(std::fabs(det) > 1e-6))
    return rert_err_set(err, RERT_EINPUT, "%s: %s: FrameOfReferenceTransformationMatrix "
                        "(3006,00C6) is singular (determinant %g)", w, what, det);
  if (type.empty() || type == "AFFINE") return RERT_OK;
  if (type != "RIGID" && type != "RIGID_SCALE")
    return rert_err_set(err, RERT_EINPUT, "%s: %s: FrameOfReferenceTransformationMatrixType "
                        "(0070,030C) '%s' is not RIGID, RIGID_SCALE or AFFINE", w, what,
                        type.c_str());
  double g[9], tr = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      g[3 * i + j] = r[i] * r[j] + r[3 + i] * r[3 + j] + r[6 + i] * r[6 + j]; /* (RᵀR)_ij */
      if (i == j) tr += g[3 * i + j];
    }
  const double s2 = type == "RIGID" ? 1.0 : tr / 3.0;
  double dev = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) dev = std::max(dev, std::fabs(g[3 * i + j] - (i == j ? s2 : 0.0)) / s2);
  if (dev > 1e-3 || det < 0)
    return rert_err_set(err, RERT_EINPUT, "%s: %s: FrameOfReferenceTransformationMatrix "
                        "(3006,00C6) is not %s although FrameOfReferenceTransformationMatrixType "
                        "(0070,030C) says %s (determinant %.6g, deviation from orthogonality %.3g)",
                        w, what, type == "RIGID" ? "a rotation plus translation"
                                                 : "a uniformly scaled rotation",
                        type.c_str(), det, dev);
  return RERT_OK;
}

static int read_matrix(DcmItem *mreg, const char *w, const char *what, double m[16], rert_err *err) {
  /* rigid: MatrixRegistrationSequence > MatrixSequence > matrix; deformable pre/post: the
   * matrix sits directly in the item (PS3.3 C.20.3) */
  DcmItem *ms = has(mreg, DCM_FrameOfReferenceTransformationMatrix) ? mreg
                                                                    : seq_item(mreg, DCM_MatrixSequence, 0);
  std::vector<double> v;
  if (!ms || !get_doubles(ms, DCM_FrameOfReferenceTransformationMatrix, v) || v.size() != 16)
    return rert_err_set(err, RERT_EINPUT, "%s: %s: FrameOfReferenceTransformationMatrix "
                        "(3006,00C6) missing, not 16 numbers or not finite", w, what);
  if (std::fabs(v[12]) > 1e-6 || std::fabs(v[13]) > 1e-6 || std::fabs(v[14]) > 1e-6 ||
      std::fabs(v[15] - 1) > 1e-6)
    return rert_err_set(err, RERT_EINPUT, "%s: %s: FrameOfReferenceTransformationMatrix last row "
                        "is not 0\\0\\0\\1", w, what);
  memcpy(m, v.data(), sizeof(double) * 16);
  return check_matrix(m, get_str(ms, DCM_FrameOfReferenceTransformationMatrixType), w, what, err);
}

/* inverse of an affine 4×4 (row-major) */
static int affine_inverse(const double m[16], double r[16]) {
  double a = m[0], b = m[1], c = m[2], d = m[4], e = m[5], f = m[6], g = m[8], h = m[9], i = m[10];
  double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (std::fabs(det) < 1e-12) return -1;
  double inv[9] = {(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
                   (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
                   (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det};
  identity(r);
  for (int row = 0; row < 3; row++) {
    for (int col = 0; col < 3; col++) r[row * 4 + col] = inv[row * 3 + col];
    r[row * 4 + 3] = -(inv[row * 3] * m[3] + inv[row * 3 + 1] * m[7] + inv[row * 3 + 2] * m[11]);
  }
  return 0;
}

static void mul(const double a[16], const double b[16], double r[16]) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      double s = 0;
      for (int k = 0; k < 4; k++) s += a[i * 4 + k] * b[k * 4 + j];
      r[i * 4 + j] = s;
    }
}

int rertdcm_read_reg(DcmDataset *ds, const char *path, rert_rigid_registration *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  const char *w = short_path(path);
  fill_ident(ds, path, &out->ident);
  std::string top = get_str(ds, DCM_FrameOfReferenceUID);
  DcmSequenceOfItems *rs = get_seq(ds, DCM_RegistrationSequence);
  if (!rs || rs->card() < 1)
    return rert_err_set(err, RERT_EINPUT, "%s: RegistrationSequence (0070,0308) missing", w);
  std::vector<std::string> fr;
  std::vector<std::vector<double>> mats;
  for (unsigned long i = 0; i < rs->card(); i++) {
    DcmItem *it = rs->getItem(i);
    std::string f = get_str(it, DCM_FrameOfReferenceUID);
    if (f.empty())
      return rert_err_set(err, RERT_EINPUT, "%s: RegistrationSequence item %lu has no "
                          "FrameOfReferenceUID (image-referenced registrations not supported)",
                          w, i + 1);
    double m[16];
    DcmItem *mr = seq_item(it, DCM_MatrixRegistrationSequence, 0);
    char what[64];
    snprintf(what, sizeof what, "RegistrationSequence item %lu", i + 1);
    if (!mr)
      return rert_err_set(err, RERT_EINPUT, "%s: %s: MatrixRegistrationSequence (0070,0309) "
                          "missing", w, what);
    int rc = read_matrix(mr, w, what, m, err);
    if (rc) return rc;
    fr.push_back(f);
    mats.emplace_back(m, m + 16);
  }
  int fixed = -1, moving = -1;
  for (size_t i = 0; i < fr.size(); i++)
    if (fr[i] == top && fixed < 0) fixed = (int)i;
  for (size_t i = 0; i < fr.size(); i++)
    if ((int)i != fixed && fr[i] != (fixed >= 0 ? fr[fixed] : "") && moving < 0) moving = (int)i;
  if (fixed < 0) {
    fixed = 0;
    moving = fr.size() > 1 ? 1 : -1;
  }
  if (moving < 0)
    return rert_err_set(err, RERT_EINPUT, "%s: RegistrationSequence (0070,0308) does not relate "
                        "two different frames of reference", w);
  copy_str(out->fixed_frame_uid, RERT_UID_LEN, fr[fixed]);
  copy_str(out->moving_frame_uid, RERT_UID_LEN, fr[moving]);
  double finv[16];
  if (affine_inverse(mats[fixed].data(), finv))
    return rert_err_set(err, RERT_EINPUT, "%s: registration matrix of the fixed frame is singular", w);
  mul(finv, mats[moving].data(), out->matrix);
  return RERT_OK;
}

extern "C" int io_read_spatial_registration(const char *path, rert_rigid_registration *out,
                                            rert_err *err) {
  DCM_GUARD_BEGIN
  memset(out, 0, sizeof *out);
  DcmFileFormat ff;
  int rc = load_file(path, ff, err);
  if (rc) return rc;
  return rertdcm_read_reg(ff.getDataset(), path, out, err);
  DCM_GUARD_END(err)
}

int rertdcm_read_dreg(DcmDataset *ds, const char *path, rert_deformable_registration *out,
                      rert_err *err) {
  memset(out, 0, sizeof *out);
  const char *w = short_path(path);
  fill_ident(ds, path, &out->ident);
  copy_str(out->fixed_frame_uid, RERT_UID_LEN, get_str(ds, DCM_FrameOfReferenceUID));
  DcmSequenceOfItems *rs = get_seq(ds, DCM_DeformableRegistrationSequence);
  if (!rs || rs->card() < 1)
    return rert_err_set(err, RERT_EINPUT, "%s: DeformableRegistrationSequence (0064,0002) missing", w);
  /* the item whose source frame differs from the registered frame carries the deformation */
  DcmItem *it = NULL;
  for (unsigned long i = 0; i < rs->card(); i++) {
    DcmItem *c = rs->getItem(i);
    if (get_str(c, DCM_SourceFrameOfReferenceUID) != out->fixed_frame_uid || !it) it = c;
    if (has(c, DCM_DeformableRegistrationGridSequence)) { it = c; break; }
  }
  copy_str(out->moving_frame_uid, RERT_UID_LEN, get_str(it, DCM_SourceFrameOfReferenceUID));
  if (!out->moving_frame_uid[0])
    return rert_err_set(err, RERT_EINPUT, "%s: SourceFrameOfReferenceUID (0064,0003) missing", w);
  identity(out->pre_matrix);
  identity(out->post_matrix);
  int rc;
  if (DcmItem *m = seq_item(it, DCM_PreDeformationMatrixRegistrationSequence, 0))
    if ((rc = read_matrix(m, w, "PreDeformationMatrixRegistrationSequence", out->pre_matrix, err))) return rc;
  if (DcmItem *m = seq_item(it, DCM_PostDeformationMatrixRegistrationSequence, 0))
    if ((rc = read_matrix(m, w, "PostDeformationMatrixRegistrationSequence", out->post_matrix, err))) return rc;
  DcmItem *g = seq_item(it, DCM_DeformableRegistrationGridSequence, 0);
  if (!g)
    return rert_err_set(err, RERT_EINPUT, "%s: DeformableRegistrationGridSequence (0064,0005) "
                        "missing", w);
  std::vector<double> ipp, iop, dims, res;
  if ((rc = get_doubles_req(g, DCM_ImagePositionPatient, 3, path, ipp, err))) return rc;
  if ((rc = get_doubles_req(g, DCM_ImageOrientationPatient, 6, path, iop, err))) return rc;
  if ((rc = get_doubles_req(g, DCM_GridDimensions, 3, path, dims, err))) return rc;
  if ((rc = get_doubles_req(g, DCM_GridResolution, 3, path, res, err))) return rc;
  for (int a = 0; a < 3; a++) {
    if (!(dims[a] >= 1 && dims[a] <= 100000) || dims[a] != std::floor(dims[a]))
      return rert_err_set(err, RERT_EINPUT, "%s: GridDimensions (0064,0007) %g\\%g\\%g are not "
                          "three positive integers", w, dims[0], dims[1], dims[2]);
    if (!(res[a] > 0))
      return rert_err_set(err, RERT_EINPUT, "%s: GridResolution (0064,0008) must be positive", w);
  }
  rert_vfield &f = out->field;
  f.nx = (int)dims[0]; f.ny = (int)dims[1]; f.nz = (int)dims[2];
  double u[3] = {iop[0], iop[1], iop[2]}, v[3] = {iop[3], iop[4], iop[5]};
  double nu = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]),
         nv = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  if (std::fabs(nu - 1) > 1e-3 || std::fabs(nv - 1) > 1e-3 ||
      std::fabs(u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) > 1e-3)
    return rert_err_set(err, RERT_EINPUT, "%s: DeformableRegistrationGridSequence "
                        "ImageOrientationPatient (0020,0037) is not two orthogonal unit vectors", w);
  double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
  double nn = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  for (int a = 0; a < 3; a++) {
    f.origin_mm[a] = ipp[a];
    f.spacing_mm[a] = res[a];
    f.dir[a] = u[a] / nu;
    f.dir[3 + a] = v[a] / nv;
    f.dir[6 + a] = n[a] / nn;
  }
  /* declared size against the data and the ceiling, before anything is loaded or allocated */
  const size_t need = (size_t)f.nx * f.ny * f.nz * 3;
  DcmElement *e = NULL;
  if (ds == NULL || g->findAndGetElement(DCM_VectorGridData, e).bad() || !e)
    return rert_err_set(err, RERT_EINPUT, "%s: VectorGridData (0064,0009) missing", w);
  if (e->ident() != EVR_OF)
    return rert_err_set(err, RERT_EINPUT, "%s: VectorGridData (0064,0009) is not OF (32-bit "
                        "floats)", w);
  if (!length_ok(e))
    return rert_err_set(err, RERT_EINPUT, "%s: VectorGridData (0064,0009) declares %lu bytes, more "
                        "than the file holds (corrupt length)", w, (unsigned long)e->getLength());
  const size_t have = e->getLength() / sizeof(Float32);
  if (have != need || e->getLength() % sizeof(Float32))
    return rert_err_set(err, RERT_EINPUT, "%s: VectorGridData (0064,0009) holds %zu values but "
                        "GridDimensions (0064,0007) %d × %d × %d × 3 components = %zu: the grid "
                        "does not match the data (wrong or transposed dimensions?)", w, have,
                        f.nx, f.ny, f.nz, need);
  if (need > RERT_MAX_GRID_VALUES)
    return rert_err_set(err, RERT_EINPUT, "%s: GridDimensions (0064,0007) %d × %d × %d exceeds "
                        "rert's ceiling of %zu values per grid (rert/limits.h)", w, f.nx, f.ny,
                        f.nz, RERT_MAX_GRID_VALUES);
  Float32 *vals = NULL;
  if (e->getFloat32Array(vals).bad() || !vals)
    return rert_err_set(err, RERT_EINPUT, "%s: VectorGridData (0064,0009) unreadable", w);
  f.u_mm = (float *)malloc(need * sizeof(float));
  if (!f.u_mm) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  memcpy(f.u_mm, vals, need * sizeof(float));
  for (size_t i = 0; i < need; i++)
    if (!std::isfinite(f.u_mm[i])) {
      const size_t vox = i / 3;
      const int ii = (int)(vox % f.nx), jj = (int)(vox / f.nx % f.ny), kk = (int)(vox / f.nx / f.ny);
      const float bad = f.u_mm[i];
      rtdata_free_vfield(&f);
      return rert_err_set(err, RERT_EINPUT, "%s: VectorGridData (0064,0009) has a non-finite "
                          "vector (%s in component %c) at grid voxel (%d, %d, %d): a deformation "
                          "must be defined everywhere on its grid", w,
                          std::isnan(bad) ? "NaN" : "Inf", "xyz"[i % 3], ii, jj, kk);
    }
  if (int lrc = fieldcheck_layout(&f, w, "GridDimensions (0064,0007)", err)) {
    rtdata_free_vfield(&f);
    return lrc;
  }
  return RERT_OK;
}

extern "C" int io_read_deformable_registration(const char *path, rert_deformable_registration *out,
                                               rert_err *err) {
  DCM_GUARD_BEGIN
  memset(out, 0, sizeof *out);
  DcmFileFormat ff;
  int rc = load_file(path, ff, err);
  if (rc) return rc;
  rc = rertdcm_read_dreg(ff.getDataset(), path, out, err);
  if (rc) rtdata_free_deformable_registration(out);
  return rc;
  DCM_GUARD_END(err)
}

/* ---- writers ---- */

/* the type the reader checks (check_matrix): RIGID only for a rotation + translation */
static const char *matrix_type_of(const double m[16]) {
  rert_err e;
  if (check_matrix(m, "RIGID", "", "", &e) == RERT_OK) return "RIGID";
  if (check_matrix(m, "RIGID_SCALE", "", "", &e) == RERT_OK) return "RIGID_SCALE";
  return "AFFINE";
}

static void put_matrix_reg(DcmItem *mreg, const double m[16]) {
  mreg->insertEmptyElement(DCM_RegistrationTypeCodeSequence);
  DcmItem *ms = new_item(mreg, DCM_MatrixSequence);
  put_doubles(ms, DCM_FrameOfReferenceTransformationMatrix, m, 16, 12);
  put(ms, DCM_FrameOfReferenceTransformationMatrixType, matrix_type_of(m));
}

static void put_reg_common(DcmDataset *ds, const rert_dicom_ident &id, const char *cls,
                           const char *fixed, const io_write_opts *opts) {
  rert_dicom_ident i2 = id;
  put_common(ds, i2, cls, "REG", opts);
  put(ds, DCM_FrameOfReferenceUID, fixed);
  put(ds, DCM_PositionReferenceIndicator, "");
  put(ds, DCM_ContentDate, today_da());
  put(ds, DCM_ContentTime, now_tm());
  put(ds, DCM_ContentLabel, "RERT_REG");
  put(ds, DCM_ContentDescription, opts && opts->note ? std::string(opts->note).substr(0, 64) : "");
  put(ds, DCM_ContentCreatorName, "");
  put(ds, DCM_DeviceSerialNumber, "0");
  put(ds, DCM_Laterality, "");
}

extern "C" int io_write_spatial_registration(const char *path, const rert_rigid_registration *r,
                                             const io_write_opts *opts, rert_err *err) {
  DCM_GUARD_BEGIN
  if (!r->fixed_frame_uid[0] || !r->moving_frame_uid[0])
    return rert_err_set(err, RERT_EINPUT, "%s: registration needs fixed and moving frame UIDs", path);
  DcmFileFormat ff;
  DcmDataset *ds = ff.getDataset();
  put_reg_common(ds, r->ident, UID_SpatialRegistrationStorage, r->fixed_frame_uid, opts);
  double id[16];
  identity(id);
  DcmItem *a = new_item(ds, DCM_RegistrationSequence);
  put(a, DCM_FrameOfReferenceUID, r->fixed_frame_uid);
  put_matrix_reg(new_item(a, DCM_MatrixRegistrationSequence), id);
  DcmItem *b = new_item(ds, DCM_RegistrationSequence);
  put(b, DCM_FrameOfReferenceUID, r->moving_frame_uid);
  put_matrix_reg(new_item(b, DCM_MatrixRegistrationSequence), r->matrix);
  return save_atomic(ff, path, err);
  DCM_GUARD_END(err)
}

extern "C" int io_write_deformable_registration(const char *path,
                                                const rert_deformable_registration *r,
                                                const io_write_opts *opts, rert_err *err) {
  DCM_GUARD_BEGIN
  const rert_vfield &f = r->field;
  if (!r->fixed_frame_uid[0] || !r->moving_frame_uid[0])
    return rert_err_set(err, RERT_EINPUT, "%s: registration needs fixed and moving frame UIDs", path);
  if (f.nx < 1 || f.ny < 1 || f.nz < 1 || !f.u_mm)
    return rert_err_set(err, RERT_EINPUT, "%s: empty deformation field", path);
  DcmFileFormat ff;
  DcmDataset *ds = ff.getDataset();
  put_reg_common(ds, r->ident, UID_DeformableSpatialRegistrationStorage, r->fixed_frame_uid, opts);
  double id[16];
  identity(id);
  /* item 1: the registered frame itself (identity), item 2: the deformation from the source */
  DcmItem *a = new_item(ds, DCM_DeformableRegistrationSequence);
  put(a, DCM_SourceFrameOfReferenceUID, r->fixed_frame_uid);
  a->insertEmptyElement(DCM_RegistrationTypeCodeSequence);
  DcmItem *pm = new_item(a, DCM_PreDeformationMatrixRegistrationSequence);
  put_doubles(pm, DCM_FrameOfReferenceTransformationMatrix, id, 16, 12);
  put(pm, DCM_FrameOfReferenceTransformationMatrixType, matrix_type_of(id));
  DcmItem *b = new_item(ds, DCM_DeformableRegistrationSequence);
  put(b, DCM_SourceFrameOfReferenceUID, r->moving_frame_uid);
  b->insertEmptyElement(DCM_RegistrationTypeCodeSequence);
  DcmItem *pre = new_item(b, DCM_PreDeformationMatrixRegistrationSequence);
  put_doubles(pre, DCM_FrameOfReferenceTransformationMatrix, r->pre_matrix, 16, 12);
  put(pre, DCM_FrameOfReferenceTransformationMatrixType, matrix_type_of(r->pre_matrix));
  DcmItem *post = new_item(b, DCM_PostDeformationMatrixRegistrationSequence);
  put_doubles(post, DCM_FrameOfReferenceTransformationMatrix, r->post_matrix, 16, 12);
  put(post, DCM_FrameOfReferenceTransformationMatrixType, matrix_type_of(r->post_matrix));
  DcmItem *g = new_item(b, DCM_DeformableRegistrationGridSequence);
  put_doubles(g, DCM_ImagePositionPatient, f.origin_mm, 3);
  put_doubles(g, DCM_ImageOrientationPatient, f.dir, 6);
  Uint32 dims[3] = {(Uint32)f.nx, (Uint32)f.ny, (Uint32)f.nz};
  DcmUnsignedLong *gd = new DcmUnsignedLong(DcmTag(DCM_GridDimensions));
  gd->putUint32Array(dims, 3);
  g->insert(gd, OFTrue);
  DcmFloatingPointDouble *gr = new DcmFloatingPointDouble(DcmTag(DCM_GridResolution));
  gr->putFloat64Array(f.spacing_mm, 3);
  g->insert(gr, OFTrue);
  size_t n = (size_t)f.nx * f.ny * f.nz * 3;
  g->putAndInsertFloat32Array(DCM_VectorGridData, f.u_mm, (unsigned long)n);
  return save_atomic(ff, path, err);
  DCM_GUARD_END(err)
}
