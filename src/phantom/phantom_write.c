/* phantom_write.c — writes the synthetic patient as DICOM (through the io writers), the
 * ground-truth fields as MetaImage (through imageio) and the case file.
 *
 * Layout under DIR (docs/phantom.md):
 *   case.json
 *   courseN/CT/CT.<k>.dcm, courseN/RS_courseN.dcm, courseN/RD_courseN.dcm, courseN/RP_courseN.dcm
 *   registration/REG_courseI_to_courseJ.dcm, registration/field_courseI_to_courseJ.mha
 * All-or-nothing: everything is written into a staging directory next to DIR which is renamed
 * to DIR at the end; on failure the staging directory is removed. DIR must not exist or be empty.
 * One course is held in memory at a time (a clinical-size CT is 150 MB as float).
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "phantom/phantom_internal.h"
#include "rert/dicomio.h"
#include "rert/fileio.h"
#include "rert/imageio.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* 1 if path does not exist or is an empty directory; 0 otherwise */
static int is_absent_or_empty(const char *path, int *exists) {
  struct stat st;
  *exists = 0;
  if (stat(path, &st) != 0) return 1;
  *exists = 1;
  if (!S_ISDIR(st.st_mode)) return 0;
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  return empty;
}

/* Files written through rert/fileio.h's mkstemp-based temp files are 0600; the rest of the
 * output (DICOM via io) is 0666 & ~umask, so give these the same permissions. */
static void chmod_like_umask(const char *path) {
  mode_t um = umask(0);
  umask(um);
  chmod(path, 0666 & ~um);
}

static int join(char *out, size_t n, const char *a, const char *b, rert_err *err) {
  int k = snprintf(out, n, "%s/%s", a, b);
  if (k < 0 || (size_t)k >= n) return rert_err_set(err, RERT_EINPUT, "%s: path too long", a);
  return RERT_OK;
}

/* The io writers stamp ContentDate/Time (and StructureSetDate/Time) from SOURCE_DATE_EPOCH when
 * set: each course's objects get that course's planning date at 12:00 UTC, which is both
 * realistic (objects dated within their course) and reproducible. */
void phantom_set_write_time(rert_date d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)date_to_days(d) * 86400LL + 43200LL);
  setenv("SOURCE_DATE_EPOCH", buf, 1);
}

static int write_course(const rert_phantom_model *m, int c, const char *root,
                        const io_write_opts *wo, rert_err *err) {
  rert_phantom_course_data d;
  int rc = phantom_build_course(m, c, &d, err);
  if (rc) return rc;
  phantom_set_write_time(d.rtplan.plan_date);
  phantom_course_paths p;
  phantom_paths_course(m, c, &p);
  char path[4096];
  if (!(rc = join(path, sizeof path, root, p.ct_dir, err))) rc = fileio_mkdirs(path, err);
  if (!rc) rc = io_write_ct_series(path, &d.ct, wo, err);
  if (!rc && !(rc = join(path, sizeof path, root, p.rtstruct, err)))
    rc = io_write_rtstruct(path, &d.rtstruct, &d.ct, wo, err);
  if (!rc && !(rc = join(path, sizeof path, root, p.rtplan, err)))
    rc = io_write_rtplan(path, &d.rtplan, wo, err);
  if (!rc && !(rc = join(path, sizeof path, root, p.rtdose, err)))
    rc = io_write_rtdose(path, &d.rtdose, wo, err);
  phantom_course_data_free(&d);
  return rc;
}

static int write_registration(const rert_phantom_model *m, int from, int to, const char *root,
                              const io_write_opts *wo, rert_err *err) {
  rert_deformable_registration r;
  int rc = phantom_build_registration(m, from, to, &r, err);
  if (rc) return rc;
  phantom_set_write_time(date_from_days(date_to_days(m->course[to].start_date) - 3));
  phantom_reg_paths p;
  phantom_paths_registration(m, from, to, &p);
  char path[4096];
  if (!(rc = join(path, sizeof path, root, "registration", err))) rc = fileio_mkdirs(path, err);
  if (!rc && !(rc = join(path, sizeof path, root, p.dicom, err)))
    rc = io_write_deformable_registration(path, &r, wo, err);
  if (!rc && !(rc = join(path, sizeof path, root, p.mha, err)))
    rc = imageio_write_vfield(path, &r.field, err);
  if (!rc) chmod_like_umask(path);
  rtdata_free_deformable_registration(&r);
  return rc;
}

static int write_tree(const rert_phantom_model *m, const char *dir, int untidy, rert_err *err) {
  int exists;
  if (!is_absent_or_empty(dir, &exists))
    return rert_err_set(err, RERT_EINPUT,
                        "%s: exists and is not an empty directory (rert phantom writes a new one)",
                        dir);
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  char target[4096], stage[4096 + 16];
  if (n + 32 >= sizeof target) return rert_err_set(err, RERT_EINPUT, "%s: path too long", dir);
  memcpy(target, dir, n);
  target[n] = 0;
  snprintf(stage, sizeof stage, "%s.tmp.XXXXXX", target);
  char *slash = strrchr(target, '/');
  if (slash && slash != target) {
    *slash = 0;
    int rc = fileio_mkdirs(target, err);
    *slash = '/';
    if (rc) return rc;
  }
  if (!mkdtemp(stage))
    return rert_err_set(err, RERT_EINPUT, "%s: cannot create staging directory (%s)", stage,
                        strerror(errno));
  char note[128];
  snprintf(note, sizeof note, "rert phantom --seed %llu --size %s --courses %d%s", m->seed,
           m->size == PHANTOM_CLINICAL ? "clinical" : "small", m->ncourses,
           untidy ? " --untidy" : "");
  /* raw 32-bit RTDOSE: readable by every peer tool (pydicom, plastimatch, dicompyler-core) */
  io_write_opts wo = {.note = note, .software = "rert phantom"};
  int old_encoding = io_set_dose_encoding(IO_DOSE_32_RAW);
  /* keep the caller's SOURCE_DATE_EPOCH (if any) to restore it afterwards */
  const char *old_env = getenv("SOURCE_DATE_EPOCH");
  char old_epoch[64] = "";
  int had_env = old_env != NULL;
  if (had_env) snprintf(old_epoch, sizeof old_epoch, "%s", old_env);
  int rc = RERT_OK;
  char path[4096];
  if (untidy) {
    rc = phantom_untidy_fill(m, stage, &wo, err);
  } else {
    for (int c = 0; c < m->ncourses && !rc; c++) rc = write_course(m, c, stage, &wo, err);
    for (int c = 0; c + 1 < m->ncourses && !rc; c++)
      rc = write_registration(m, c, m->ncourses - 1, stage, &wo, err);
    if (!rc && !(rc = join(path, sizeof path, stage, "case.json", err)))
      rc = phantom_write_case(m, path, err);
    if (!rc) chmod_like_umask(path);
  }
  if (had_env) setenv("SOURCE_DATE_EPOCH", old_epoch, 1);
  else unsetenv("SOURCE_DATE_EPOCH");
  io_set_dose_encoding(old_encoding);
  if (!rc) {
    chmod(stage, 0755); /* mkdtemp makes 0700 */
    if (exists) rmdir(target);
    if (rename(stage, target) != 0)
      rc = rert_err_set(err, RERT_EINTERNAL, "%s: cannot move output into place (%s)", target,
                        strerror(errno));
  }
  if (rc) remove_tree(stage);
  return rc;
}

int phantom_write(const rert_phantom_model *m, const char *dir, rert_err *err) {
  return write_tree(m, dir, 0, err);
}

int phantom_write_untidy(const rert_phantom_model *m, const char *dir, rert_err *err) {
  return write_tree(m, dir, 1, err);
}
