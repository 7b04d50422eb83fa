/* dcm_scan.cpp — index a DICOM export: every file under a directory (recursive), grouped into
 * image series and RT objects with the references between them (RTSTRUCT → image series,
 * RTPLAN → RTSTRUCT, RTDOSE → RTPLAN, REG → frames). Headers only: pixel data is never loaded. */
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "io/dcmtk/dcm_internal.h"

using namespace rertdcm;

namespace {

void walk(const std::string &dir, std::vector<std::string> &files, int depth) {
  if (depth > 32) return;
  DIR *d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (struct dirent *e = readdir(d))
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  for (auto &n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) walk(p, files, depth + 1);
    else if (S_ISREG(st.st_mode)) files.push_back(p);
    /* a symbolic link to a file is read like the file (exports assembled from links, as the
     * other readers do); links to directories are not followed (no cycles) */
    else if (S_ISLNK(st.st_mode) && stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.push_back(p);
  }
}

char **dup_list(const std::vector<std::string> &v) {
  char **r = (char **)calloc(v.size() ? v.size() : 1, sizeof(char *));
  if (!r) throw std::bad_alloc();
  for (size_t i = 0; i < v.size(); i++) {
    r[i] = strdup(v[i].c_str());
    if (!r[i]) throw std::bad_alloc();
  }
  return r;
}

int kind_rank(io_kind k) {
  switch (k) {
    case IO_KIND_IMAGE: return 0;
    case IO_KIND_RTSTRUCT: return 1;
    case IO_KIND_RTPLAN: return 2;
    case IO_KIND_RTDOSE: return 3;
    case IO_KIND_REG: return 4;
    case IO_KIND_DEFORMABLE_REG: return 5;
    case IO_KIND_RTRECORD: return 6;
    default: return 7;
  }
}

}  // namespace

extern "C" void io_index_free(io_index *ix) {
  if (!ix) return;
  for (int i = 0; i < ix->nobjects; i++) {
    for (int f = 0; f < ix->objects[i].nfiles; f++) free(ix->objects[i].files[f]);
    free(ix->objects[i].files);
  }
  free(ix->objects);
  free(ix->problems);
  memset(ix, 0, sizeof *ix);
}

extern "C" int io_scan_dir(const char *dir, io_index *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  DCM_GUARD_BEGIN
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return rert_err_set(err, RERT_EINPUT, "%s: not a directory", dir);
  std::vector<std::string> files;
  walk(dir, files, 0);
  std::vector<io_object> objs;
  std::vector<std::vector<std::string>> objfiles;
  std::map<std::string, size_t> series_index; /* image series UID → object */
  std::vector<std::string> problems;
  for (auto &p : files) {
    DcmFileFormat ff;
    rert_err e;
    /* quick rejection of non-DICOM files: DICM magic or a plausible implicit-VR start */
    if (load_file(p.c_str(), ff, &e, true)) {
      FILE *fp = fopen(p.c_str(), "rb");
      unsigned char head[132] = {0};
      size_t got = fp ? fread(head, 1, sizeof head, fp) : 0;
      if (fp) fclose(fp);
      if (got == 132 && memcmp(head + 128, "DICM", 4) == 0) problems.push_back(p + ": " + e.msg);
      else out->nskipped++;
      continue;
    }
    DcmDataset *ds = ff.getDataset();
    io_kind k = rertdcm_kind(ds);
    if (k == IO_KIND_OTHER && get_str(ds, DCM_SOPInstanceUID).empty()) {
      out->nskipped++;
      continue;
    }
    io_object o;
    memset(&o, 0, sizeof o);
    o.kind = k;
    fill_ident(ds, p.c_str(), &o.ident);
    long v;
    if (get_long(ds, DCM_Rows, v)) o.rows = (int)v;
    if (get_long(ds, DCM_Columns, v)) o.cols = (int)v;
    if (get_long(ds, DCM_NumberOfFrames, v)) o.nframes = (int)v;
    if (k == IO_KIND_IMAGE) {
      std::string s = o.ident.series_instance_uid;
      auto it = series_index.find(s);
      if (it != series_index.end()) {
        objfiles[it->second].push_back(p);
        objs[it->second].nframes++;
        continue;
      }
      o.nframes = 1;
      series_index[s] = objs.size();
    } else if (k == IO_KIND_RTDOSE) {
      copy_str(o.dose_units, 17, get_str(ds, DCM_DoseUnits));
      copy_str(o.dose_type, 17, get_str(ds, DCM_DoseType));
      copy_str(o.dose_summation, 17, get_str(ds, DCM_DoseSummationType));
      if (DcmItem *r = seq_item(ds, DCM_ReferencedRTPlanSequence, 0)) {
        copy_str(o.ref_plan_uid, RERT_UID_LEN, get_str(r, DCM_ReferencedSOPInstanceUID));
        if (DcmItem *fg = seq_item(r, DCM_ReferencedFractionGroupSequence, 0)) {
          if (get_long(fg, DCM_ReferencedFractionGroupNumber, v)) o.ref_fraction_group = (int)v;
          if (DcmItem *b = seq_item(fg, DCM_ReferencedBeamSequence, 0))
            if (get_long(b, DCM_ReferencedBeamNumber, v)) o.ref_beam_number = (int)v;
        }
      }
      o.nref_plans = (int)seq_card(ds, DCM_ReferencedRTPlanSequence);
      if (!o.nframes) o.nframes = 1;
    } else if (k == IO_KIND_RTSTRUCT) {
      o.nrois = (int)seq_card(ds, DCM_StructureSetROISequence);
      copy_str(o.approval_status, 17, get_str(ds, DCM_ApprovalStatus));
      if (DcmItem *fr = seq_item(ds, DCM_ReferencedFrameOfReferenceSequence, 0))
        if (DcmItem *st2 = seq_item(fr, DCM_RTReferencedStudySequence, 0))
          if (DcmItem *se = seq_item(st2, DCM_RTReferencedSeriesSequence, 0))
            copy_str(o.ref_series_uid, RERT_UID_LEN, get_str(se, DCM_SeriesInstanceUID));
    } else if (k == IO_KIND_RTRECORD) {
      if (DcmItem *r = seq_item(ds, DCM_ReferencedRTPlanSequence, 0))
        copy_str(o.ref_plan_uid, RERT_UID_LEN, get_str(r, DCM_ReferencedSOPInstanceUID));
    } else if (k == IO_KIND_RTPLAN) {
      copy_str(o.approval_status, 17, get_str(ds, DCM_ApprovalStatus));
      copy_str(o.plan_intent, 17, get_str(ds, DCM_PlanIntent));
      copy_str(o.plan_label, 65, get_str(ds, DCM_RTPlanLabel));
      o.nfraction_groups = (int)seq_card(ds, DCM_FractionGroupSequence);
      if (DcmItem *fg = seq_item(ds, DCM_FractionGroupSequence, 0))
        if (get_long(fg, DCM_NumberOfFractionsPlanned, v)) o.fractions_planned = (int)v;
      DcmItem *b = seq_item(ds, DCM_BeamSequence, 0);
      if (!b) b = seq_item(ds, DCM_IonBeamSequence, 0);
      copy_str(o.radiation_type, 17, get_str(b, DCM_RadiationType));
      if (DcmItem *r = seq_item(ds, DCM_ReferencedStructureSetSequence, 0))
        copy_str(o.ref_struct_uid, RERT_UID_LEN, get_str(r, DCM_ReferencedSOPInstanceUID));
    } else if (k == IO_KIND_REG || k == IO_KIND_DEFORMABLE_REG) {
      copy_str(o.reg_fixed_frame_uid, RERT_UID_LEN, get_str(ds, DCM_FrameOfReferenceUID));
      const DcmTagKey sq = k == IO_KIND_REG ? DCM_RegistrationSequence : DCM_DeformableRegistrationSequence;
      const DcmTagKey ft = k == IO_KIND_REG ? DCM_FrameOfReferenceUID : DCM_SourceFrameOfReferenceUID;
      for (unsigned long i = 0; i < seq_card(ds, sq); i++) {
        std::string f = get_str(seq_item(ds, sq, i), ft);
        if (!f.empty() && f != o.reg_fixed_frame_uid) copy_str(o.reg_moving_frame_uid, RERT_UID_LEN, f);
      }
    }
    objs.push_back(o);
    objfiles.push_back({p});
  }
  std::vector<size_t> order(objs.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const io_object &x = objs[a], &y = objs[b];
    int c = strcmp(x.ident.patient_id, y.ident.patient_id);
    if (c) return c < 0;
    c = strcmp(x.ident.study_instance_uid, y.ident.study_instance_uid);
    if (c) return c < 0;
    if (kind_rank(x.kind) != kind_rank(y.kind)) return kind_rank(x.kind) < kind_rank(y.kind);
    return strcmp(x.ident.series_instance_uid, y.ident.series_instance_uid) < 0;
  });
  out->objects = (io_object *)calloc(objs.size() ? objs.size() : 1, sizeof(io_object));
  if (!out->objects) throw std::bad_alloc();
  for (size_t i = 0; i < order.size(); i++) {
    out->objects[i] = objs[order[i]];
    out->objects[i].nfiles = (int)objfiles[order[i]].size();
    out->objects[i].files = dup_list(objfiles[order[i]]);
    out->nobjects = (int)i + 1;
  }
  out->problems = (char(*)[512])calloc(problems.size() ? problems.size() : 1, 512);
  if (!out->problems) throw std::bad_alloc();
  for (size_t i = 0; i < problems.size(); i++) copy_str(out->problems[i], 512, problems[i]);
  out->nproblems = (int)problems.size();
  return RERT_OK;
  DCM_GUARD_END(err)
}
