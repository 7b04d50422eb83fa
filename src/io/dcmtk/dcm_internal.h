/* dcm_internal.h — helpers shared by the DCMTK adapter files (C++ only, not installed).
 *
 * Every extern "C" entry point wraps its body in DCM_GUARD so that no C++ exception (bad_alloc
 * from a hostile length field) ever crosses into C; it becomes RERT_EINTERNAL with a message.
 */
#ifndef RERT_IO_DCM_INTERNAL_H
#define RERT_IO_DCM_INTERNAL_H

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <string>
#include <vector>

extern "C" {
#include "rert/dicomio.h"
#include "rert/err.h"
}

#define UID_RTDoseStorage_ "1.2.840.10008.5.1.4.1.1.481.2"

#define DCM_GUARD_BEGIN try {
#define DCM_GUARD_END(err)                                                              \
  }                                                                                     \
  catch (const std::bad_alloc &) {                                                      \
    return rert_err_set(err, RERT_EINTERNAL, "out of memory reading/writing DICOM");    \
  }                                                                                     \
  catch (const std::exception &e) {                                                     \
    return rert_err_set(err, RERT_EINTERNAL, "DICOM adapter: %s", e.what());            \
  }                                                                                     \
  catch (...) {                                                                         \
    return rert_err_set(err, RERT_EINTERNAL, "DICOM adapter: unexpected exception");    \
  }

namespace rertdcm {

/* Load a file (values > 4 KB stay lazy: loaded from the file on first access). */
int load_file(const char *path, DcmFileFormat &ff, rert_err *err, bool until_pixels = false);
/* Load a memory buffer through an anonymous in-memory file (memfd), so it is parsed exactly like
 * a file, lazily: DCMTK would otherwise allocate every declared value length up front (a corrupt
 * length asks for 4 GB). The MemFile must outlive every access to ff. */
struct MemFile {
  int fd = -1;
  std::string path;
  ~MemFile();
};
int load_buffer(const void *buf, size_t len, DcmFileFormat &ff, MemFile &mf, rert_err *err);
void register_codecs();

/* Size in bytes of the file/buffer last loaded on this thread. DCMTK allocates a value's declared
 * length before reading it (for lazily loaded values: on first access), so a corrupt length
 * field could ask for 4 GB; values declared longer than their source are treated as absent. */
extern thread_local size_t g_source_bytes;
bool length_ok(DcmElement *e);

/* Attribute access on an item; `what` is the file name used in messages. */
std::string get_str(DcmItem *it, const DcmTagKey &tag);           /* "" if absent; whole value */
bool has(DcmItem *it, const DcmTagKey &tag);
int get_str_req(DcmItem *it, const DcmTagKey &tag, const char *what, char *out, size_t n,
                rert_err *err);
void copy_str(char *dst, size_t n, const std::string &s);
/* Numeric multi-valued (DS/IS/FD/FL/US/UL/SS/SL) → doubles; false if absent or unparsable. */
bool get_doubles(DcmItem *it, const DcmTagKey &tag, std::vector<double> &out);
int get_doubles_req(DcmItem *it, const DcmTagKey &tag, size_t count, const char *what,
                    std::vector<double> &out, rert_err *err);
bool get_long(DcmItem *it, const DcmTagKey &tag, long &out);
DcmSequenceOfItems *get_seq(DcmItem *it, const DcmTagKey &tag); /* NULL if absent */
DcmItem *seq_item(DcmItem *it, const DcmTagKey &tag, unsigned long i); /* NULL if absent */
unsigned long seq_card(DcmItem *it, const DcmTagKey &tag);
std::string tag_name(const DcmTagKey &tag); /* "ImagePositionPatient (0020,0032)" */

void fill_ident(DcmItem *ds, const char *path, rert_dicom_ident *id);
const char *short_path(const char *path);

/* Writing */
void put(DcmItem *it, const DcmTagKey &tag, const std::string &v);
void put_doubles(DcmItem *it, const DcmTagKey &tag, const double *v, size_t n, int prec = 10);
void put_int(DcmItem *it, const DcmTagKey &tag, long v);
DcmItem *new_item(DcmItem *it, const DcmTagKey &seq); /* append an item to a sequence */
/* Patient, study, series, equipment, SOP common from ident (empty UIDs generated). */
void put_common(DcmItem *ds, const rert_dicom_ident &id, const char *sop_class,
                const char *modality, const io_write_opts *opts);
/* Save via a temporary file beside `path` and rename into place. */
int save_atomic(DcmFileFormat &ff, const char *path, rert_err *err,
                E_TransferSyntax xfer = EXS_LittleEndianExplicit);
std::string fmt_double(double v, int prec = 10); /* DS-safe (≤ 16 chars) */
std::string today_da();
std::string now_tm();

}  // namespace rertdcm

/* Object readers on a loaded dataset (path only for messages and ident.path). */
int rertdcm_read_rtdose(DcmDataset *ds, const char *path, rert_rtdose *out, rert_err *err);
int rertdcm_read_rtstruct(DcmDataset *ds, const char *path, rert_structure_set *out, rert_err *err);
int rertdcm_read_rtplan(DcmDataset *ds, const char *path, rert_rtplan *out, rert_err *err);
int rertdcm_read_reg(DcmDataset *ds, const char *path, rert_rigid_registration *out, rert_err *err);
int rertdcm_read_dreg(DcmDataset *ds, const char *path, rert_deformable_registration *out,
                      rert_err *err);
int rertdcm_read_image_buffer(const void *buf, size_t len, rert_image_series *out, rert_err *err);
io_kind rertdcm_kind(DcmDataset *ds);

#endif
