/* dcm_common.cpp — loading, attribute access, identity and atomic saving shared by the DCMTK
 * adapter (see dcm_internal.h). Nothing here interprets RT semantics. */
#include "io/dcmtk/dcm_internal.h"

#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

extern "C" {
#include "rert/fileio.h"
}

namespace rertdcm {

void register_codecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    DcmRLEDecoderRegistration::registerCodecs();
    DcmRLEEncoderRegistration::registerCodecs();
    /* PACS exports are often JPEG Lossless (process 14) or JPEG-LS compressed: decode them too */
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    /* elements stored with VR UN (after a PACS round trip) get their dictionary VR */
    dcmEnableUnknownVRConversion.set(OFTrue);
    /* Quiet DCMTK's own logger: problems are reported through rert_err. */
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
  });
}

const char *short_path(const char *path) {
  if (!path || !*path) return "(memory)";
  return path;
}

thread_local size_t g_source_bytes = 0;

bool length_ok(DcmElement *e) {
  if (!e) return false;
  Uint32 n = e->getLength();
  return n <= DCM_MaxReadLength || g_source_bytes == 0 || (size_t)n <= g_source_bytes;
}

int load_file(const char *path, DcmFileFormat &ff, rert_err *err, bool until_pixels) {
  register_codecs();
  struct stat st;
  if (stat(path, &st) != 0)
    return rert_err_set(err, RERT_EINPUT, "%s: cannot open (%s)", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return rert_err_set(err, RERT_EINPUT, "%s: not a regular file", path);
  OFCondition c = until_pixels
                      ? ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                            ERM_autoDetect, DCM_PixelData)
                      : ff.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                    ERM_autoDetect);
  if (c.bad())
    return rert_err_set(err, RERT_EINPUT, "%s: not a readable DICOM file (%s)", path, c.text());
  if (!ff.getDataset() || ff.getDataset()->card() == 0)
    return rert_err_set(err, RERT_EINPUT, "%s: empty DICOM dataset", path);
  g_source_bytes = (size_t)st.st_size;
  /* Names and descriptions in UTF-8 whatever SpecificCharacterSet (0008,0005) the writer used:
   * a Latin-1 CT and a UTF-8 RTDOSE of the same patient must compare equal in the patient
   * interlock, and rert's text/JSON outputs are UTF-8. Only values affected by the character set
   * are touched; a set DCMTK cannot convert leaves the values as stored. */
  DcmDataset *ds = ff.getDataset();
  OFString cs;
  if (ds->findAndGetOFStringArray(DCM_SpecificCharacterSet, cs).good() && !cs.empty() &&
      cs != "ISO_IR 192" && cs != "ISO_IR 6")
    (void)ff.convertToUTF8();
  return RERT_OK;
}

MemFile::~MemFile() {
  if (fd >= 0) close(fd);
}

int load_buffer(const void *buf, size_t len, DcmFileFormat &ff, MemFile &mf, rert_err *err) {
  register_codecs();
  mf.fd = memfd_create("rert-dicom", MFD_CLOEXEC);
  if (mf.fd < 0)
    return rert_err_set(err, RERT_EINTERNAL, "(memory): memfd_create failed (%s)", strerror(errno));
  const char *p = (const char *)buf;
  size_t left = len;
  while (left) {
    ssize_t w = write(mf.fd, p, left);
    if (w <= 0) return rert_err_set(err, RERT_EINTERNAL, "(memory): write to memfd failed");
    p += w;
    left -= (size_t)w;
  }
  mf.path = "/proc/self/fd/" + std::to_string(mf.fd);
  int rc = load_file(mf.path.c_str(), ff, err);
  if (rc) {
    /* name the source as memory, not the /proc path */
    if (err) {
      std::string m = err->msg;
      size_t at = m.find(mf.path);
      if (at != std::string::npos) m.replace(at, mf.path.size(), "(memory)");
      copy_str(err->msg, sizeof err->msg, m);
    }
    return rc;
  }
  return RERT_OK;
}

std::string tag_name(const DcmTagKey &tag) {
  DcmTag t(tag);
  char buf[128];
  snprintf(buf, sizeof buf, "%s (%04X,%04X)", t.getTagName(), tag.getGroup(), tag.getElement());
  return buf;
}

bool has(DcmItem *it, const DcmTagKey &tag) { return it && it->tagExists(tag); }

std::string get_str(DcmItem *it, const DcmTagKey &tag) {
  OFString s;
  DcmElement *e = NULL;
  if (!it || it->findAndGetElement(tag, e).bad() || !length_ok(e) || e->getOFStringArray(s).bad())
    return "";
  /* trim leading/trailing spaces (DICOM padding) */
  size_t a = 0, b = s.length();
  while (a < b && (s[a] == ' ' || s[a] == '\0')) a++;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\0')) b--;
  return std::string(s.c_str() + a, b - a);
}

void copy_str(char *dst, size_t n, const std::string &s) {
  if (!n) return;
  size_t m = s.size() < n - 1 ? s.size() : n - 1;
  memcpy(dst, s.data(), m);
  dst[m] = '\0';
}

int get_str_req(DcmItem *it, const DcmTagKey &tag, const char *what, char *out, size_t n,
                rert_err *err) {
  std::string s = get_str(it, tag);
  if (s.empty())
    return rert_err_set(err, RERT_EINPUT, "%s: required attribute %s is missing or empty",
                        short_path(what), tag_name(tag).c_str());
  copy_str(out, n, s);
  return RERT_OK;
}

bool get_doubles(DcmItem *it, const DcmTagKey &tag, std::vector<double> &out) {
  out.clear();
  DcmElement *e = NULL;
  if (!it || it->findAndGetElement(tag, e).bad() || !e || !length_ok(e)) return false;
  unsigned long vm = e->getVM();
  if (e->getLength() == 0) return false;
  DcmEVR vr = e->ident();
  if (vr == EVR_DS) {
    /* one parse for the whole value (ContourData can hold 10^5 numbers) */
    OFVector<Float64> fv;
    DcmDecimalString *dsx = dynamic_cast<DcmDecimalString *>(e);
    if (!dsx || dsx->getFloat64Vector(fv).bad()) return false;
    for (size_t i = 0; i < fv.size(); i++) {
      if (!std::isfinite(fv[i])) return false;
      out.push_back(fv[i]);
    }
    return !out.empty();
  }
  for (unsigned long i = 0; i < vm; i++) {
    double v = NAN;
    switch (vr) {
      case EVR_FD: { Float64 x; if (e->getFloat64(x, i).bad()) return false; v = x; break; }
      case EVR_FL: case EVR_OF: { Float32 x; if (e->getFloat32(x, i).bad()) return false; v = x; break; }
      case EVR_OD: { Float64 x; if (e->getFloat64(x, i).bad()) return false; v = x; break; }
      case EVR_US: { Uint16 x; if (e->getUint16(x, i).bad()) return false; v = x; break; }
      case EVR_SS: { Sint16 x; if (e->getSint16(x, i).bad()) return false; v = x; break; }
      case EVR_UL: { Uint32 x; if (e->getUint32(x, i).bad()) return false; v = x; break; }
      case EVR_SL: { Sint32 x; if (e->getSint32(x, i).bad()) return false; v = x; break; }
      default: {
        OFString s;
        if (e->getOFString(s, i, OFTrue).bad()) return false;
        const char *p = s.c_str();
        while (*p == ' ') p++;
        char *end = NULL;
        errno = 0;
        v = strtod(p, &end);
        if (end == p || errno == ERANGE) return false;
        while (*end == ' ') end++;
        if (*end) return false;
      }
    }
    if (!std::isfinite(v)) return false;
    out.push_back(v);
  }
  return !out.empty();
}

int get_doubles_req(DcmItem *it, const DcmTagKey &tag, size_t count, const char *what,
                    std::vector<double> &out, rert_err *err) {
  if (!get_doubles(it, tag, out))
    return rert_err_set(err, RERT_EINPUT, "%s: required attribute %s is missing or not numeric",
                        short_path(what), tag_name(tag).c_str());
  if (count && out.size() != count)
    return rert_err_set(err, RERT_EINPUT, "%s: %s has %zu values, expected %zu", short_path(what),
                        tag_name(tag).c_str(), out.size(), count);
  return RERT_OK;
}

bool get_long(DcmItem *it, const DcmTagKey &tag, long &out) {
  std::vector<double> v;
  if (!get_doubles(it, tag, v)) return false;
  if (v[0] < -2147483648.0 || v[0] > 2147483647.0 || v[0] != std::floor(v[0])) return false;
  out = (long)v[0];
  return true;
}

DcmSequenceOfItems *get_seq(DcmItem *it, const DcmTagKey &tag) {
  DcmSequenceOfItems *s = NULL;
  if (!it || it->findAndGetSequence(tag, s).bad()) return NULL;
  return s;
}

unsigned long seq_card(DcmItem *it, const DcmTagKey &tag) {
  DcmSequenceOfItems *s = get_seq(it, tag);
  return s ? s->card() : 0;
}

DcmItem *seq_item(DcmItem *it, const DcmTagKey &tag, unsigned long i) {
  DcmSequenceOfItems *s = get_seq(it, tag);
  if (!s || i >= s->card()) return NULL;
  return s->getItem(i);
}

void fill_ident(DcmItem *ds, const char *path, rert_dicom_ident *id) {
  memset(id, 0, sizeof *id);
  if (path) copy_str(id->path, sizeof id->path, path);
  copy_str(id->modality, sizeof id->modality, get_str(ds, DCM_Modality));
  copy_str(id->sop_class_uid, sizeof id->sop_class_uid, get_str(ds, DCM_SOPClassUID));
  copy_str(id->sop_instance_uid, sizeof id->sop_instance_uid, get_str(ds, DCM_SOPInstanceUID));
  copy_str(id->patient_id, sizeof id->patient_id, get_str(ds, DCM_PatientID));
  copy_str(id->patient_name, sizeof id->patient_name, get_str(ds, DCM_PatientName));
  copy_str(id->patient_birth_date, sizeof id->patient_birth_date, get_str(ds, DCM_PatientBirthDate));
  copy_str(id->patient_sex, sizeof id->patient_sex, get_str(ds, DCM_PatientSex));
  copy_str(id->study_instance_uid, sizeof id->study_instance_uid, get_str(ds, DCM_StudyInstanceUID));
  copy_str(id->series_instance_uid, sizeof id->series_instance_uid,
           get_str(ds, DCM_SeriesInstanceUID));
  copy_str(id->frame_of_reference_uid, sizeof id->frame_of_reference_uid,
           get_str(ds, DCM_FrameOfReferenceUID));
  copy_str(id->series_description, sizeof id->series_description,
           get_str(ds, DCM_SeriesDescription));
  copy_str(id->study_date, sizeof id->study_date, get_str(ds, DCM_StudyDate));
  if (!id->frame_of_reference_uid[0]) {
    /* RTSTRUCT: the frame is in ReferencedFrameOfReferenceSequence */
    DcmItem *r = seq_item(ds, DCM_ReferencedFrameOfReferenceSequence, 0);
    if (r) copy_str(id->frame_of_reference_uid, sizeof id->frame_of_reference_uid,
                    get_str(r, DCM_FrameOfReferenceUID));
  }
}

/* ---- writing ---- */

std::string fmt_double(double v, int prec) {
  char buf[64];
  if (v == 0 || std::fabs(v) < 1e-300) return "0";
  for (int p = prec; p >= 1; p--) {
    snprintf(buf, sizeof buf, "%.*g", p, v);
    if (strlen(buf) <= 16) return buf;
  }
  snprintf(buf, sizeof buf, "%.6e", v);
  return buf;
}

void put(DcmItem *it, const DcmTagKey &tag, const std::string &v) {
  it->putAndInsertString(tag, v.c_str());
}

void put_doubles(DcmItem *it, const DcmTagKey &tag, const double *v, size_t n, int prec) {
  std::string s;
  for (size_t i = 0; i < n; i++) {
    if (i) s += '\\';
    s += fmt_double(v[i], prec);
  }
  put(it, tag, s);
}

void put_int(DcmItem *it, const DcmTagKey &tag, long v) { put(it, tag, std::to_string(v)); }

DcmItem *new_item(DcmItem *it, const DcmTagKey &seq) {
  DcmItem *item = NULL;
  it->findOrCreateSequenceItem(seq, item, -2 /* append */);
  return item;
}

/* Creation time of written objects: now, or SOURCE_DATE_EPOCH (seconds since 1970, the
 * reproducible-builds.org convention) when set, so generators such as `rert phantom` can write
 * byte-identical files. */
static time_t write_time() {
  const char *e = getenv("SOURCE_DATE_EPOCH");
  if (e && *e) {
    char *end = NULL;
    long long v = strtoll(e, &end, 10);
    if (end && *end == 0 && v >= 0) return (time_t)v;
  }
  return time(NULL);
}

std::string today_da() {
  time_t t = write_time();
  struct tm tm;
  gmtime_r(&t, &tm);
  char b[16];
  strftime(b, sizeof b, "%Y%m%d", &tm);
  return b;
}

std::string now_tm() {
  time_t t = write_time();
  struct tm tm;
  gmtime_r(&t, &tm);
  char b[16];
  strftime(b, sizeof b, "%H%M%S", &tm);
  return b;
}

static std::string uid_or_new(const char *u) {
  if (u && *u) return u;
  char b[RERT_UID_LEN];
  io_make_uid(b, NULL);
  return b;
}

void put_common(DcmItem *ds, const rert_dicom_ident &id, const char *sop_class,
                const char *modality, const io_write_opts *opts) {
  put(ds, DCM_SpecificCharacterSet, "ISO_IR 192");
  put(ds, DCM_SOPClassUID, sop_class);
  put(ds, DCM_SOPInstanceUID, uid_or_new(id.sop_instance_uid));
  std::string d = id.study_date[0] ? id.study_date : today_da();
  put(ds, DCM_StudyDate, d);
  put(ds, DCM_StudyTime, "120000");
  put(ds, DCM_AccessionNumber, "");
  put(ds, DCM_Modality, modality);
  put(ds, DCM_Manufacturer, "rert");
  put(ds, DCM_ReferringPhysicianName, "");
  if (id.series_description[0]) put(ds, DCM_SeriesDescription, id.series_description);
  put(ds, DCM_ManufacturerModelName, opts && opts->software ? opts->software : "rert");
  put(ds, DCM_PatientName, id.patient_name);
  put(ds, DCM_PatientID, id.patient_id);
  put(ds, DCM_PatientBirthDate, id.patient_birth_date);
  put(ds, DCM_PatientSex, id.patient_sex);
  put(ds, DCM_SoftwareVersions, RERT_VERSION);
  put(ds, DCM_StudyInstanceUID, uid_or_new(id.study_instance_uid));
  put(ds, DCM_SeriesInstanceUID, uid_or_new(id.series_instance_uid));
  put(ds, DCM_StudyID, "1");
  put(ds, DCM_SeriesNumber, "1");
  put(ds, DCM_InstanceNumber, "1");
}

int save_atomic(DcmFileFormat &ff, const char *path, rert_err *err, E_TransferSyntax xfer) {
  char tmp[4200];
  int rc = atomic_temp_path(path, tmp, sizeof tmp, err);
  if (rc) return rc;
  OFCondition c = ff.saveFile(tmp, xfer, EET_ExplicitLength, EGL_recalcGL,
                              EPD_noChange, 0, 0, EWM_createNewMeta);
  if (c.bad()) {
    remove(tmp);
    return rert_err_set(err, RERT_EINTERNAL, "%s: cannot write DICOM (%s)", path, c.text());
  }
  /* mkstemp creates 0600; a written DICOM file gets the usual 0666 & ~umask */
  mode_t um = umask(0);
  umask(um);
  chmod(tmp, 0666 & ~um);
  rc = atomic_rename(tmp, path, err);
  if (rc) remove(tmp);
  return rc;
}

}  // namespace rertdcm
