/* dcm_image.cpp — CT/MR image series: read (select a series, sort slices along the slice
 * normal, check spacing, convert to float via RescaleSlope/Intercept) and write (one file per
 * slice, signed 16-bit with a rescale that holds the volume's range).
 *
 * Geometry (rert/volume.h): u = first IOP triplet (column i), v = second (row j), w = u × v;
 * PixelSpacing is "row spacing \ column spacing" = (sy, sx). Slices are ordered by IPP·w so k
 * always increases along w whatever order the files or InstanceNumbers have. */
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "io/dcmtk/dcm_internal.h"
#include "io/dcmtk/dcm_pixels.h"

extern "C" {
#include "rert/fileio.h"
#include "rert/limits.h"
}

using namespace rertdcm;

namespace {

struct Slice {
  std::string path;
  std::unique_ptr<DcmFileFormat> ff;
  double ipp[3], iop[6], ps[2];
  long rows, cols;
  double slope, intercept;
  std::string series, sop;
  double d;  /* position along the normal */
  size_t bytes = 0; /* file size, bounds declared value lengths (g_source_bytes) */
  std::string corrupt; /* folder scan: a DICOM file (DICM magic) that failed to load: why */
};

/* A file that carries the DICOM magic ("DICM" after the 128-byte preamble) but cannot be loaded
 * is a corrupt/truncated DICOM file, not a stray non-DICOM file: it must not vanish from a
 * series silently (a truncated first/last slice would otherwise shorten the volume). */
bool has_dicom_magic(const std::string &path) {
  FILE *f = fopen(path.c_str(), "rb");
  if (!f) return false;
  char b[132];
  bool ok = fread(b, 1, sizeof b, f) == sizeof b && memcmp(b + 128, "DICM", 4) == 0;
  fclose(f);
  return ok;
}

bool is_image_modality(const std::string &m) {
  return !(m == "RTSTRUCT" || m == "RTDOSE" || m == "RTPLAN" || m == "RTIMAGE" || m == "REG" ||
           m == "RTRECORD" || m == "SR" || m == "PR" || m == "KO" || m == "SEG" || m == "RTSEGANN");
}

/* Header of one candidate slice; returns 0 = image slice, 1 = not an image (skip), or error. */
int read_slice_header(Slice &s, rert_err *err) {
  DcmDataset *ds = s.ff->getDataset();
  std::string mod = get_str(ds, DCM_Modality);
  if (!is_image_modality(mod) || !has(ds, DCM_PixelData)) return 1;
  const char *w = s.path.c_str();
  long nf = 1;
  if (get_long(ds, DCM_NumberOfFrames, nf) && nf > 1)
    return rert_err_set(err, RERT_EINPUT, "%s: multi-frame image (NumberOfFrames %ld) is not "
                        "supported as a slice series", w, nf);
  std::vector<double> v;
  int rc;
  if ((rc = get_doubles_req(ds, DCM_ImagePositionPatient, 3, w, v, err))) return rc;
  std::copy(v.begin(), v.end(), s.ipp);
  if ((rc = get_doubles_req(ds, DCM_ImageOrientationPatient, 6, w, v, err))) return rc;
  std::copy(v.begin(), v.end(), s.iop);
  if ((rc = get_doubles_req(ds, DCM_PixelSpacing, 2, w, v, err))) return rc;
  s.ps[0] = v[0];
  s.ps[1] = v[1];
  if (!(s.ps[0] > 0 && s.ps[1] > 0))
    return rert_err_set(err, RERT_EINPUT, "%s: PixelSpacing (0028,0030) must be positive", w);
  if (!get_long(ds, DCM_Rows, s.rows) || !get_long(ds, DCM_Columns, s.cols) || s.rows < 1 ||
      s.cols < 1)
    return rert_err_set(err, RERT_EINPUT, "%s: Rows/Columns (0028,0010/0011) missing or zero", w);
  s.slope = 1;
  s.intercept = 0;
  if (get_doubles(ds, DCM_RescaleSlope, v)) s.slope = v[0];
  if (get_doubles(ds, DCM_RescaleIntercept, v)) s.intercept = v[0];
  s.series = get_str(ds, DCM_SeriesInstanceUID);
  s.sop = get_str(ds, DCM_SOPInstanceUID);
  if (s.series.empty())
    return rert_err_set(err, RERT_EINPUT, "%s: SeriesInstanceUID (0020,000E) missing", w);
  return 0;
}

bool norm3(double *a) {
  double n = std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
  if (!(n > 1e-6)) return false;
  a[0] /= n; a[1] /= n; a[2] /= n;
  return true;
}

double extent_of(const std::vector<Slice *> &sel) {
  return sel.size() > 1 ? sel.back()->d - sel.front()->d : 0;
}

int read_series(std::vector<Slice> &all, const char *label, const io_read_opts *opts,
                rert_image_series *out, rert_err *err) {
  const char *want = opts && opts->series_uid && *opts->series_uid ? opts->series_uid : NULL;
  std::vector<Slice *> sel;
  std::map<std::string, int> counts;
  for (auto &s : all)
    if (s.corrupt.empty()) counts[s.series]++;
  if (counts.empty())
    return rert_err_set(err, RERT_EINPUT, "%s: no CT/MR image slices found", label);
  std::string uid;
  if (want) {
    if (!counts.count(want))
      return rert_err_set(err, RERT_EINPUT, "%s: no slices of SeriesInstanceUID %s (found %zu "
                          "series)", label, want, counts.size());
    uid = want;
  } else if (counts.size() > 1) {
    std::string list;
    for (auto &c : counts) list += (list.empty() ? "" : ", ") + c.first + " (" +
                                   std::to_string(c.second) + " slices)";
    return rert_err_set(err, RERT_EINPUT, "%s: %zu image series in one folder, select one by "
                        "SeriesInstanceUID: %.700s", label, counts.size(), list.c_str());
  } else {
    uid = counts.begin()->first;
  }
  for (auto &s : all)
    if (!s.corrupt.empty() && (s.series == uid || s.series.empty()))
      return rert_err_set(err, RERT_EINPUT, "%s: corrupt or truncated DICOM file in the series "
                          "folder (%s)", s.path.c_str(), s.corrupt.c_str());
  for (auto &s : all)
    if (s.series == uid && s.corrupt.empty()) sel.push_back(&s);
  Slice &f = *sel[0];
  double u[3] = {f.iop[0], f.iop[1], f.iop[2]}, v[3] = {f.iop[3], f.iop[4], f.iop[5]};
  if (!norm3(u) || !norm3(v) || std::fabs(u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) > 1e-3)
    return rert_err_set(err, RERT_EINPUT, "%s: ImageOrientationPatient (0020,0037) is not two "
                        "orthogonal unit vectors", f.path.c_str());
  double w[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
  norm3(w);
  for (Slice *s : sel) {
    for (int a = 0; a < 6; a++)
      if (std::fabs(s->iop[a] - f.iop[a]) > 1e-4)
        return rert_err_set(err, RERT_EINPUT, "%s and %s: ImageOrientationPatient (0020,0037) "
                            "differs within one series", f.path.c_str(), s->path.c_str());
    if (s->rows != f.rows || s->cols != f.cols || std::fabs(s->ps[0] - f.ps[0]) > 1e-4 ||
        std::fabs(s->ps[1] - f.ps[1]) > 1e-4)
      return rert_err_set(err, RERT_EINPUT, "%s and %s: Rows (0028,0010) / Columns (0028,0011) / "
                          "PixelSpacing (0028,0030) differ within one series (%ld × %ld at %g × %g "
                          "mm vs %ld × %ld at %g × %g mm)", f.path.c_str(), s->path.c_str(), f.rows,
                          f.cols, f.ps[0], f.ps[1], s->rows, s->cols, s->ps[0], s->ps[1]);
    s->d = s->ipp[0] * w[0] + s->ipp[1] * w[1] + s->ipp[2] * w[2];
  }
  std::stable_sort(sel.begin(), sel.end(), [](const Slice *a, const Slice *b) { return a->d < b->d; });
  const size_t n = sel.size();
  for (size_t k = 0; k < n; k++) {
    double dx[3] = {sel[k]->ipp[0] - sel[0]->ipp[0], sel[k]->ipp[1] - sel[0]->ipp[1],
                    sel[k]->ipp[2] - sel[0]->ipp[2]};
    double pu = dx[0] * u[0] + dx[1] * u[1] + dx[2] * u[2];
    double pv = dx[0] * v[0] + dx[1] * v[1] + dx[2] * v[2];
    if (std::fabs(pu) > 0.05 || std::fabs(pv) > 0.05)
      return rert_err_set(err, RERT_EINPUT, "%s: ImagePositionPatient (0020,0032) is shifted "
                          "%.2f/%.2f mm in-plane from %s (tilted or sheared stack not supported)",
                          sel[k]->path.c_str(), pu, pv, sel[0]->path.c_str());
    if (k && sel[k]->d - sel[k - 1]->d < 1e-3)
      return rert_err_set(err, RERT_EINPUT, "%s and %s: two slices at the same position %.3f mm",
                          sel[k - 1]->path.c_str(), sel[k]->path.c_str(), sel[k]->d);
  }
  double dz = 0;
  int uneven = 0;
  std::vector<double> gaps;
  for (size_t k = 1; k < n; k++) gaps.push_back(sel[k]->d - sel[k - 1]->d);
  if (n == 1) {
    std::vector<double> t;
    DcmDataset *ds = f.ff->getDataset();
    if (get_doubles(ds, DCM_SpacingBetweenSlices, t) && t[0] > 0) dz = t[0];
    else if (get_doubles(ds, DCM_SliceThickness, t) && t[0] > 0) dz = t[0];
    else dz = 1.0;
  } else {
    std::vector<double> g = gaps;
    std::nth_element(g.begin(), g.begin() + g.size() / 2, g.end());
    dz = g[g.size() / 2];
    for (size_t k = 0; k < gaps.size(); k++) {
      if (std::fabs(gaps[k] - dz) > std::max(0.01 * dz, 0.01)) {
        if (!(opts && opts->allow_uneven_slices)) {
          bool missing = gaps[k] > 1.5 * dz;
          return rert_err_set(err, RERT_EINPUT, "%s and %s: slice gap %.3f mm differs from the "
                              "series spacing %.3f mm (%s); pass allow_uneven_slices to resample",
                              sel[k]->path.c_str(), sel[k + 1]->path.c_str(), gaps[k], dz,
                              missing ? "missing slice" : "uneven spacing");
        }
        uneven = 1;
      }
    }
  }
  for (Slice *s : sel) {
    g_source_bytes = s->bytes;
    int rc = pixels_check(s->ff->getDataset(), s->path.c_str(), (size_t)f.rows, (size_t)f.cols, 1,
                          err);
    if (rc) return rc;
  }
  if ((double)f.rows * f.cols * (uneven ? (extent_of(sel) / dz + 1) : n) > (double)RERT_MAX_GRID_VALUES)
    return rert_err_set(err, RERT_EINPUT, "%s: image series of %zu slices of Rows × Columns %ld × "
                        "%ld exceeds rert's ceiling of %zu values per grid (rert/limits.h)", label,
                        n, f.rows, f.cols, RERT_MAX_GRID_VALUES);
  /* output grid */
  memset(out, 0, sizeof *out);
  rert_volume &im = out->image;
  im.nx = (int)f.cols;
  im.ny = (int)f.rows;
  double extent = n > 1 ? sel[n - 1]->d - sel[0]->d : 0;
  im.nz = uneven ? (int)std::lround(extent / dz) + 1 : (int)n;
  im.spacing_mm[0] = f.ps[1];
  im.spacing_mm[1] = f.ps[0];
  im.spacing_mm[2] = dz;
  for (int a = 0; a < 3; a++) {
    im.origin_mm[a] = sel[0]->ipp[a];
    im.dir[a] = u[a];
    im.dir[3 + a] = v[a];
    im.dir[6 + a] = w[a];
  }
  im.meta.quantity = QTY_IMAGE;
  rert_err e2;
  if (volume_alloc(&im, &e2)) return rert_err_set(err, RERT_EINTERNAL, "%s: %s", label, e2.msg);
  out->nslices = im.nz;
  out->uneven_spacing = uneven;
  out->slice_sop_uids = (char(*)[RERT_UID_LEN])calloc((size_t)im.nz, RERT_UID_LEN);
  if (!out->slice_sop_uids) {
    rtdata_free_image_series(out);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  fill_ident(f.ff->getDataset(), f.path.c_str(), &out->ident);
  const size_t plane = (size_t)im.nx * im.ny;
  if (!uneven) {
    for (size_t k = 0; k < n; k++) {
      Slice &s = *sel[k];
      g_source_bytes = s.bytes;
      int rc = pixels_to_float(s.ff->getDataset(), s.path.c_str(), plane, s.slope, s.intercept,
                               im.data + k * plane, err);
      if (rc) { rtdata_free_image_series(out); return rc; }
      copy_str(out->slice_sop_uids[k], RERT_UID_LEN, s.sop);
      s.ff.reset(); /* release the pixel buffer as soon as it is copied */
    }
  } else {
    /* resample along w at the median gap by linear interpolation between the two bracketing
     * slices (documented in docs/io.md; flagged in uneven_spacing) */
    std::vector<float> a(plane), b(plane);
    size_t ia = (size_t)-1, ib = (size_t)-1;
    for (int k = 0; k < im.nz; k++) {
      double pos = sel[0]->d + k * dz;
      size_t j = 0;
      while (j + 2 < n && sel[j + 1]->d <= pos) j++;
      double t = (pos - sel[j]->d) / (sel[j + 1]->d - sel[j]->d);
      t = std::min(1.0, std::max(0.0, t));
      if (ia != j) {
        g_source_bytes = sel[j]->bytes;
        int rc = pixels_to_float(sel[j]->ff->getDataset(), sel[j]->path.c_str(), plane,
                                 sel[j]->slope, sel[j]->intercept, a.data(), err);
        if (rc) { rtdata_free_image_series(out); return rc; }
        ia = j;
      }
      if (ib != j + 1) {
        g_source_bytes = sel[j + 1]->bytes;
        int rc = pixels_to_float(sel[j + 1]->ff->getDataset(), sel[j + 1]->path.c_str(), plane,
                                 sel[j + 1]->slope, sel[j + 1]->intercept, b.data(), err);
        if (rc) { rtdata_free_image_series(out); return rc; }
        ib = j + 1;
      }
      float *o = im.data + (size_t)k * plane;
      for (size_t p = 0; p < plane; p++) o[p] = (float)((1 - t) * a[p] + t * b[p]);
      copy_str(out->slice_sop_uids[k], RERT_UID_LEN, sel[t < 0.5 ? j : j + 1]->sop);
    }
  }
  return RERT_OK;
}

int load_candidates(const std::vector<std::string> &paths, bool strict, std::vector<Slice> &all,
                    rert_err *err) {
  for (const auto &p : paths) {
    Slice s;
    s.path = p;
    s.ff.reset(new DcmFileFormat);
    rert_err e;
    if (load_file(p.c_str(), *s.ff, &e)) {
      if (strict) { if (err) *err = e; return RERT_EINPUT; }
      if (!has_dicom_magic(p)) continue; /* not DICOM: ignore in a folder scan */
      /* corrupt DICOM: remember it with its series (if the header still loads) so that reading
       * that series fails instead of silently losing a slice */
      DcmFileFormat hdr;
      rert_err e2;
      s.corrupt = e.msg;
      if (load_file(p.c_str(), hdr, &e2, true) == RERT_OK) {
        DcmDataset *hd = hdr.getDataset();
        if (!is_image_modality(get_str(hd, DCM_Modality))) continue;
        s.series = get_str(hd, DCM_SeriesInstanceUID);
      }
      all.push_back(std::move(s));
      continue;
    }
    s.bytes = g_source_bytes;
    int rc = read_slice_header(s, err);
    if (rc == 1) {
      if (strict) return rert_err_set(err, RERT_EINPUT, "%s: not a CT/MR image slice", p.c_str());
      continue;
    }
    if (rc) return rc;
    all.push_back(std::move(s));
  }
  return RERT_OK;
}

}  // namespace

extern "C" int io_read_image_files(const char *const *paths, int npaths, const io_read_opts *opts,
                                   rert_image_series *out, rert_err *err) {
  DCM_GUARD_BEGIN
  memset(out, 0, sizeof *out);
  if (npaths < 1) return rert_err_set(err, RERT_EINPUT, "no image files given");
  std::vector<std::string> p(paths, paths + npaths);
  std::vector<Slice> all;
  int rc = load_candidates(p, true, all, err);
  if (rc) return rc;
  return read_series(all, paths[0], opts, out, err);
  DCM_GUARD_END(err)
}

extern "C" int io_read_image_series(const char *dir_or_file, const io_read_opts *opts,
                                    rert_image_series *out, rert_err *err) {
  DCM_GUARD_BEGIN
  memset(out, 0, sizeof *out);
  struct stat st;
  if (stat(dir_or_file, &st) != 0)
    return rert_err_set(err, RERT_EINPUT, "%s: no such file or directory", dir_or_file);
  std::string dir = dir_or_file;
  io_read_opts o = opts ? *opts : io_read_opts{0, NULL};
  std::string file_series;
  if (!S_ISDIR(st.st_mode)) {
    DcmFileFormat ff;
    int rc = load_file(dir_or_file, ff, err, true);
    if (rc) return rc;
    file_series = get_str(ff.getDataset(), DCM_SeriesInstanceUID);
    if (!o.series_uid || !*o.series_uid) o.series_uid = file_series.c_str();
    size_t sl = dir.find_last_of('/');
    dir = sl == std::string::npos ? "." : dir.substr(0, sl ? sl : 1);
  }
  DIR *d = opendir(dir.c_str());
  if (!d) return rert_err_set(err, RERT_EINPUT, "%s: cannot open directory", dir.c_str());
  std::vector<std::string> paths;
  while (struct dirent *e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string p = dir + "/" + e->d_name;
    struct stat fs;
    if (stat(p.c_str(), &fs) == 0 && S_ISREG(fs.st_mode)) paths.push_back(p);
  }
  closedir(d);
  std::sort(paths.begin(), paths.end());
  std::vector<Slice> all;
  int rc = load_candidates(paths, false, all, err);
  if (rc) return rc;
  return read_series(all, dir.c_str(), &o, out, err);
  DCM_GUARD_END(err)
}

/* ---- writer ---- */

extern "C" int io_write_ct_series(const char *dir, const rert_image_series *s,
                                  const io_write_opts *opts, rert_err *err) {
  DCM_GUARD_BEGIN
  const rert_volume &im = s->image;
  if (im.nx < 1 || im.ny < 1 || im.nz < 1 || !im.data)
    return rert_err_set(err, RERT_EINPUT, "%s: empty image volume", dir);
  int rc = fileio_mkdirs(dir, err);
  if (rc) return rc;
  bool mr = strcmp(s->ident.modality, "MR") == 0;
  const size_t plane = (size_t)im.nx * im.ny, nvox = plane * im.nz;
  float mn = im.data[0], mx = im.data[0];
  bool integral = true;
  for (size_t n = 0; n < nvox; n++) {
    float x = im.data[n];
    if (!std::isfinite(x))
      return rert_err_set(err, RERT_EINPUT, "%s: image has a non-finite voxel", dir);
    mn = std::min(mn, x);
    mx = std::max(mx, x);
    if (integral && x != std::nearbyint(x)) integral = false;
  }
  double slope = 1, intercept = 0;
  if (!(integral && mn >= -32768 && mx <= 32767)) {
    slope = mx > mn ? ((double)mx - mn) / 65534.0 : 1.0;
    intercept = (double)mn + 32767.0 * slope;
    /* DS has 16 characters: round-trip the rounded values */
    slope = atof(fmt_double(slope).c_str());
    intercept = atof(fmt_double(intercept).c_str());
  }
  rert_dicom_ident id = s->ident;
  char uid[RERT_UID_LEN];
  if (!id.study_instance_uid[0]) { io_make_uid(uid, NULL); strcpy(id.study_instance_uid, uid); }
  if (!id.series_instance_uid[0]) { io_make_uid(uid, NULL); strcpy(id.series_instance_uid, uid); }
  if (!id.frame_of_reference_uid[0]) { io_make_uid(uid, NULL); strcpy(id.frame_of_reference_uid, uid); }
  double w[3] = {im.dir[6], im.dir[7], im.dir[8]};
  std::vector<std::string> written;
  std::vector<Sint16> px(plane);
  for (int k = 0; k < im.nz; k++) {
    DcmFileFormat ff;
    DcmDataset *ds = ff.getDataset();
    rert_dicom_ident sid = id;
    if (s->slice_sop_uids) copy_str(sid.sop_instance_uid, RERT_UID_LEN, s->slice_sop_uids[k]);
    else {
      char key[128];
      snprintf(key, sizeof key, "%s/slice/%d", id.series_instance_uid, k + 1);
      io_make_uid_from(key, sid.sop_instance_uid);
    }
    put_common(ds, sid, mr ? UID_MRImageStorage : UID_CTImageStorage, mr ? "MR" : "CT", opts);
    put_int(ds, DCM_InstanceNumber, k + 1);
    put(ds, DCM_ImageType, mr ? "ORIGINAL\\PRIMARY\\OTHER" : "ORIGINAL\\PRIMARY\\AXIAL");
    put(ds, DCM_FrameOfReferenceUID, id.frame_of_reference_uid);
    put(ds, DCM_PositionReferenceIndicator, "");
    put(ds, DCM_PatientPosition, "HFS");
    put(ds, DCM_Laterality, "");
    put(ds, DCM_AcquisitionNumber, "1");
    put(ds, DCM_PatientOrientation, "");
    double ipp[3];
    for (int a = 0; a < 3; a++) ipp[a] = im.origin_mm[a] + k * im.spacing_mm[2] * im.dir[6 + a];
    put_doubles(ds, DCM_ImagePositionPatient, ipp, 3);
    put_doubles(ds, DCM_ImageOrientationPatient, im.dir, 6);
    double ps[2] = {im.spacing_mm[1], im.spacing_mm[0]};
    put_doubles(ds, DCM_PixelSpacing, ps, 2);
    put(ds, DCM_SliceThickness, fmt_double(im.spacing_mm[2]));
    put(ds, DCM_SliceLocation, fmt_double(ipp[0] * w[0] + ipp[1] * w[1] + ipp[2] * w[2]));
    put_int(ds, DCM_SamplesPerPixel, 1);
    put(ds, DCM_PhotometricInterpretation, "MONOCHROME2");
    put_int(ds, DCM_Rows, im.ny);
    put_int(ds, DCM_Columns, im.nx);
    put_int(ds, DCM_BitsAllocated, 16);
    put_int(ds, DCM_BitsStored, 16);
    put_int(ds, DCM_HighBit, 15);
    put_int(ds, DCM_PixelRepresentation, 1);
    put(ds, DCM_RescaleIntercept, fmt_double(intercept));
    put(ds, DCM_RescaleSlope, fmt_double(slope));
    if (mr) {
      put(ds, DCM_ScanningSequence, "RM");
      put(ds, DCM_SequenceVariant, "NONE");
      put(ds, DCM_ScanOptions, "");
      put(ds, DCM_MRAcquisitionType, "3D");
      put(ds, DCM_EchoTime, "");
      put(ds, DCM_EchoTrainLength, "");
      put(ds, DCM_RepetitionTime, "");
    } else {
      put(ds, DCM_RescaleType, "HU");
      put(ds, DCM_KVP, "");
    }
    if (opts && opts->note && *opts->note) put(ds, DCM_ImageComments, opts->note);
    const float *src = im.data + (size_t)k * plane;
    for (size_t p = 0; p < plane; p++) {
      double q = std::nearbyint((src[p] - intercept) / slope);
      px[p] = (Sint16)std::max(-32768.0, std::min(32767.0, q));
    }
    ds->putAndInsertUint16Array(DCM_PixelData, (const Uint16 *)px.data(), (unsigned long)plane);
    char name[64];
    snprintf(name, sizeof name, "/%s.%d.dcm", mr ? "MR" : "CT", k + 1);
    std::string path = std::string(dir) + name;
    rc = save_atomic(ff, path.c_str(), err);
    if (rc) {
      for (auto &p : written) remove(p.c_str());
      return rc;
    }
    written.push_back(path);
  }
  return RERT_OK;
  DCM_GUARD_END(err)
}

int rertdcm_read_image_buffer(const void *buf, size_t len, rert_image_series *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  std::vector<Slice> all(1);
  Slice &s = all[0];
  s.path = "(memory)";
  s.ff.reset(new DcmFileFormat);
  MemFile mf; /* open until read_series has copied the pixels */
  int rc = load_buffer(buf, len, *s.ff, mf, err);
  if (rc) return rc;
  s.bytes = len;
  rc = read_slice_header(s, err);
  if (rc == 1) return rert_err_set(err, RERT_EINPUT, "(memory): not a CT/MR image slice");
  if (rc) return rc;
  return read_series(all, "(memory)", NULL, out, err);
}
