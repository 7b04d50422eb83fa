/* mha.c — MetaImage (.mha with LOCAL data, .mhd + raw file) reader and writer for scalar
 * volumes and 3-component vector fields (rert/imageio.h states the direction conventions).
 * MetaImage is a short text header of "Key = value" lines followed by raw voxels; we parse only
 * the keys that define geometry and storage and ignore the rest (AnatomicalOrientation is
 * informative in ITK files; positions are always LPS in ITK-written MetaImage). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "imageio/imageio_internal.h"
#include "rert/fileio.h"
#include "rert/limits.h"

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  return s;
}

static int parse_doubles(const char *s, double *out, int n) {
  int got = 0;
  char *end;
  while (got < n) {
    double d = strtod(s, &end);
    if (end == s) break;
    out[got++] = d;
    s = end;
  }
  return got;
}

typedef struct {
  const char *name;
  int size;
  int is_float, is_signed;
} met_type;

static const met_type MET_TYPES[] = {
    {"MET_UCHAR", 1, 0, 0}, {"MET_CHAR", 1, 0, 1},   {"MET_USHORT", 2, 0, 0},
    {"MET_SHORT", 2, 0, 1}, {"MET_UINT", 4, 0, 0},   {"MET_INT", 4, 0, 1},
    {"MET_FLOAT", 4, 1, 1}, {"MET_DOUBLE", 8, 1, 1}, {0, 0, 0, 0}};

static double convert_one(const unsigned char *p, const met_type *t, int swap) {
  unsigned char b[8];
  for (int i = 0; i < t->size; i++) b[i] = swap ? p[t->size - 1 - i] : p[i];
  switch (t->size) {
    case 1: return t->is_signed ? (double)(int8_t)b[0] : (double)b[0];
    case 2: {
      uint16_t u;
      memcpy(&u, b, 2);
      return t->is_signed ? (double)(int16_t)u : (double)u;
    }
    case 4: {
      if (t->is_float) {
        float f;
        memcpy(&f, b, 4);
        return f;
      }
      uint32_t u;
      memcpy(&u, b, 4);
      return t->is_signed ? (double)(int32_t)u : (double)u;
    }
    default: {
      double d;
      memcpy(&d, b, 8);
      return d;
    }
  }
}

/* Strict list of numbers: exactly `n` finite values and nothing else. */
static int parse_exact(const char *s, double *out, int n) {
  int got = parse_doubles(s, out, n);
  if (got != n) return 0;
  for (int i = 0; i < n; i++)
    if (!isfinite(out[i])) return 0;
  /* trailing garbage or extra numbers */
  char *end;
  const char *p = s;
  for (int i = 0; i < n; i++) {
    strtod(p, &end);
    p = end;
  }
  while (isspace((unsigned char)*p)) p++;
  return *p == 0;
}

/* Columns of a direction matrix must be orthonormal (ITK direction cosines): a sheared or
 * scaled matrix would silently be read as a rotation. */
static int direction_ok(const double *tm) {
  for (int c = 0; c < 3; c++) {
    double n2 = 0;
    for (int r = 0; r < 3; r++) n2 += tm[3 * c + r] * tm[3 * c + r];
    if (fabs(n2 - 1) > 2e-3) return 0;
    for (int d = c + 1; d < 3; d++) {
      double dot = 0;
      for (int r = 0; r < 3; r++) dot += tm[3 * c + r] * tm[3 * d + r];
      if (fabs(dot) > 1e-3) return 0;
    }
  }
  return 1;
}

int mha_read(const char *path, rert_volume *g, int *ncomp, float **data, rert_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return rert_err_set(err, RERT_EINPUT, "%s: cannot open", path);
  memset(g, 0, sizeof *g);
  int ndims = 0, dims[3] = {1, 1, 1}, nc = 1, have_dims = 0, big = 0;
  long header_size = 0;
  double sp[3] = {1, 1, 1}, off[3] = {0, 0, 0}, tm[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const met_type *type = NULL;
  char datafile[1024] = "";
  char line[4096];
  int rc = RERT_OK;
  long header_lines = 0;
  FILE *opened = NULL;
  unsigned char *raw = NULL;
  float *out = NULL;
#define BAD(...) do { rc = rert_err_set(err, RERT_EINPUT, __VA_ARGS__); goto done; } while (0)
  while (fgets(line, sizeof line, f)) {
    if (++header_lines > 200) BAD("%s: no ElementDataFile in the first 200 header lines", path);
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    char *key = trim(line), *val = trim(eq + 1);
    if (!strcasecmp(key, "NDims")) {
      ndims = atoi(val);
      if (ndims < 2 || ndims > 3) BAD("%s: NDims = %s (only 2 or 3 supported)", path, val);
    } else if (!strcasecmp(key, "DimSize")) {
      double d[3] = {1, 1, 1};
      int n = ndims ? ndims : parse_doubles(val, d, 3);
      if (n < 2 || n > 3 || !parse_exact(val, d, n)) BAD("%s: DimSize = %s: expected %d integers", path, val, ndims ? ndims : 3);
      for (int a = 0; a < n; a++) {
        if (d[a] != floor(d[a]) || d[a] < 1 || d[a] > 100000)
          BAD("%s: DimSize = %s: each size must be an integer in 1..100000", path, val);
        dims[a] = (int)d[a];
      }
      if (!ndims) ndims = n;
      have_dims = 1;
    } else if (!strcasecmp(key, "ElementSpacing") || !strcasecmp(key, "ElementSize")) {
      double v[3] = {1, 1, 1};
      int n = ndims ? ndims : 3;
      if (!parse_exact(val, v, n)) BAD("%s: %s = %s: expected %d finite numbers", path, key, val, n);
      if (!strcasecmp(key, "ElementSpacing") || sp[0] == 1) memcpy(sp, v, sizeof v);
    } else if (!strcasecmp(key, "Offset") || !strcasecmp(key, "Origin") ||
               !strcasecmp(key, "Position")) {
      double v[3] = {0, 0, 0};
      int n = ndims ? ndims : 3;
      if (!parse_exact(val, v, n)) BAD("%s: %s = %s: expected %d finite numbers", path, key, val, n);
      memcpy(off, v, sizeof v);
    } else if (!strcasecmp(key, "TransformMatrix") || !strcasecmp(key, "Rotation") ||
               !strcasecmp(key, "Orientation")) {
      double m[9];
      if (ndims == 2 && parse_exact(val, m, 4)) {
        tm[0] = m[0]; tm[1] = m[1]; tm[3] = m[2]; tm[4] = m[3];
      } else if (parse_exact(val, m, 9)) {
        memcpy(tm, m, sizeof tm);
      } else {
        BAD("%s: %s = %s: expected %d finite numbers", path, key, val, ndims == 2 ? 4 : 9);
      }
    } else if (!strcasecmp(key, "ElementNumberOfChannels")) {
      nc = atoi(val);
    } else if (!strcasecmp(key, "HeaderSize")) {
      double h;
      if (!parse_exact(val, &h, 1) || h != floor(h) || h < -1) BAD("%s: HeaderSize = %s is not an integer >= -1", path, val);
      header_size = (long)h;
    } else if (!strcasecmp(key, "BinaryData")) {
      if (strcasecmp(val, "True")) BAD("%s: BinaryData = %s: only binary voxel data is supported", path, val);
    } else if (!strcasecmp(key, "ElementType")) {
      for (const met_type *t = MET_TYPES; t->name; t++)
        if (!strcasecmp(val, t->name)) type = t;
      if (!type) BAD("%s: ElementType %s not supported", path, val);
    } else if (!strcasecmp(key, "BinaryDataByteOrderMSB") || !strcasecmp(key, "ElementByteOrderMSB")) {
      big = !strcasecmp(val, "True");
    } else if (!strcasecmp(key, "CompressedData")) {
      if (!strcasecmp(val, "True")) BAD("%s: CompressedData = True not supported (write uncompressed)", path);
    } else if (!strcasecmp(key, "ElementDataFile")) {
      snprintf(datafile, sizeof datafile, "%s", val);
      break;
    }
  }
  if (!datafile[0] || !have_dims || !type)
    BAD("%s: MetaImage header lacks %s", path,
        !datafile[0] ? "ElementDataFile" : !have_dims ? "DimSize" : "ElementType");
  if (nc != 1 && nc != 3) BAD("%s: ElementNumberOfChannels = %d (1 or 3 supported)", path, nc);
  for (int a = 0; a < 3; a++)
    if (!(sp[a] > 0)) BAD("%s: ElementSpacing must be positive", path);
  if (ndims == 2) {
    tm[2] = tm[5] = tm[6] = tm[7] = 0;
    tm[8] = 1;
  }
  if (!direction_ok(tm))
    BAD("%s: TransformMatrix is not orthonormal (its columns must be unit direction cosines; "
        "scaling belongs in ElementSpacing)", path);
  /* where the voxels are and how many bytes the file really holds there: checked against the
   * declared DimSize × channels × element size before anything is allocated */
  const size_t nvox = (size_t)dims[0] * dims[1] * dims[2], nval = nvox * (size_t)nc;
  const size_t bytes = nval * (size_t)type->size;
  FILE *df = f;
  char full[4096];
  snprintf(full, sizeof full, "%s", path);
  if (strcasecmp(datafile, "LOCAL")) {
    if (!strcasecmp(datafile, "LIST") || strchr(datafile, '%'))
      BAD("%s: ElementDataFile = %s not supported", path, datafile);
    const char *slash = strrchr(path, '/');
    if (datafile[0] != '/' && slash)
      snprintf(full, sizeof full, "%.*s/%s", (int)(slash - path), path, datafile);
    else
      snprintf(full, sizeof full, "%s", datafile);
    opened = df = fopen(full, "rb");
    if (!df) BAD("%s: cannot open data file %s", path, full);
  } else if (header_size) {
    BAD("%s: HeaderSize with ElementDataFile = LOCAL is not supported", path);
  }
  long start = opened ? 0 : ftell(f);
  struct stat st;
  if (start < 0 || fstat(fileno(df), &st) != 0 || !S_ISREG(st.st_mode))
    BAD("%s: cannot examine the voxel data in %s", path, full);
  const size_t filesz = (size_t)st.st_size;
  if (header_size == -1) { /* ITK: the voxels are the last bytes of the file */
    if (filesz < bytes) BAD("%s: %s holds %zu bytes, fewer than the %zu bytes DimSize × "
                            "ElementNumberOfChannels × %s declare", path, full, filesz, bytes, type->name);
    start = (long)(filesz - bytes);
  } else {
    start += header_size;
    size_t avail = filesz > (size_t)start ? filesz - (size_t)start : 0;
    if (avail != bytes)
      BAD("%s: %s holds %zu bytes of voxel data but DimSize %d %d %d × ElementNumberOfChannels %d "
          "× %s (%d bytes) = %zu bytes (%s)", path, full, avail, dims[0], dims[1], dims[2], nc,
          type->name, type->size, bytes,
          avail < bytes ? "truncated, or the header declares more voxels than the file holds"
                        : "more data than declared: wrong or transposed dimensions?");
  }
  if (nval > RERT_MAX_GRID_VALUES)
    BAD("%s: DimSize %d %d %d × %d channels exceeds rert's ceiling of %zu values per grid "
        "(rert/limits.h)", path, dims[0], dims[1], dims[2], nc, RERT_MAX_GRID_VALUES);
  if (fseek(df, start, SEEK_SET) != 0) BAD("%s: cannot seek to the voxel data in %s", path, full);
  raw = malloc(bytes ? bytes : 1);
  out = malloc(nval * sizeof(float));
  if (!raw || !out) {
    rc = rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
    goto done;
  }
  if (fread(raw, 1, bytes, df) != bytes) BAD("%s: truncated voxel data (expected %zu bytes)", path, bytes);
  int host_big = 0;
  {
    uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    host_big = c == 0;
  }
  int swap = big != host_big;
  if (type->is_float && type->size == 4 && !swap) {
    memcpy(out, raw, bytes);
  } else {
    for (size_t i = 0; i < nval; i++) out[i] = (float)convert_one(raw + i * type->size, type, swap);
  }
  /* finite values only: a NaN displacement or dose would silently drop dose where it sits */
  for (size_t i = 0; i < nval; i++)
    if (!isfinite(out[i])) {
      size_t v = i / (size_t)nc;
      char where[96];
      if (nc > 1) snprintf(where, sizeof where, " in component %c", "xyz"[i % (size_t)nc]);
      else where[0] = 0;
      BAD("%s: voxel (%zu, %zu, %zu) is %s%s: %s must be finite everywhere", path,
          v % (size_t)dims[0], v / (size_t)dims[0] % (size_t)dims[1],
          v / (size_t)dims[0] / (size_t)dims[1], isnan(out[i]) ? "NaN" : "infinite", where,
          nc == 3 ? "a displacement field" : "an image");
    }
  g->nx = dims[0], g->ny = dims[1], g->nz = dims[2];
  memcpy(g->spacing_mm, sp, sizeof sp);
  memcpy(g->origin_mm, off, sizeof off);
  memcpy(g->dir, tm, sizeof tm);
  *ncomp = nc;
  *data = out;
  out = NULL;
#undef BAD
done:
  free(raw);
  free(out);
  if (opened) fclose(opened);
  fclose(f);
  return rc;
}

int mha_write(const char *path, const rert_volume *g, int ncomp, const float *data, rert_err *err) {
  int is_mhd = imageio_format_of(path) == IMAGEIO_FMT_MHD;
  char rawpath[4096] = "", rawname[1024] = "LOCAL";
  size_t nval = (size_t)g->nx * g->ny * g->nz * (size_t)ncomp;
  if (is_mhd) {
    size_t n = strlen(path);
    snprintf(rawpath, sizeof rawpath, "%.*s.raw", (int)(n - 4), path);
    const char *slash = strrchr(rawpath, '/');
    snprintf(rawname, sizeof rawname, "%s", slash ? slash + 1 : rawpath);
    int rc = atomic_write_buffer(rawpath, data, nval * sizeof(float), err);
    if (rc) return rc;
  }
  rert_atomic a;
  int rc = atomic_open(&a, path, err);
  if (rc) return rc;
  const double *d = g->dir;
  fprintf(a.f,
          "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
          "CompressedData = False\n"
          "TransformMatrix = %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n"
          "Offset = %.17g %.17g %.17g\nCenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\n"
          "ElementSpacing = %.17g %.17g %.17g\nDimSize = %d %d %d\n",
          d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], g->origin_mm[0], g->origin_mm[1],
          g->origin_mm[2], g->spacing_mm[0], g->spacing_mm[1], g->spacing_mm[2], g->nx, g->ny, g->nz);
  if (ncomp > 1) fprintf(a.f, "ElementNumberOfChannels = %d\n", ncomp);
  fprintf(a.f, "ElementType = MET_FLOAT\nElementDataFile = %s\n", rawname);
  if (!is_mhd && fwrite(data, sizeof(float), nval, a.f) != nval) {
    atomic_abort(&a);
    return rert_err_set(err, RERT_EINTERNAL, "%s: write failed", path);
  }
  return atomic_commit(&a, err);
}
