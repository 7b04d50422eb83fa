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

#include "imageio/imageio_internal.h"
#include "rert/fileio.h"

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

int mha_read(const char *path, rert_volume *g, int *ncomp, float **data, rert_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return rert_err_set(err, RERT_EINPUT, "%s: cannot open", path);
  memset(g, 0, sizeof *g);
  int ndims = 0, dims[3] = {1, 1, 1}, nc = 1, have_dims = 0, big = 0;
  double sp[3] = {1, 1, 1}, off[3] = {0, 0, 0}, tm[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const met_type *type = NULL;
  char datafile[1024] = "";
  char line[4096];
  int rc = RERT_OK;
  long header_lines = 0;
  while (fgets(line, sizeof line, f)) {
    if (++header_lines > 200) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: no ElementDataFile in the first 200 lines", path);
      goto done;
    }
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    char *key = trim(line), *val = trim(eq + 1);
    if (!strcasecmp(key, "NDims")) {
      ndims = atoi(val);
      if (ndims < 2 || ndims > 3) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: NDims = %d (only 2 or 3 supported)", path, ndims);
        goto done;
      }
    } else if (!strcasecmp(key, "DimSize")) {
      double d[3] = {1, 1, 1};
      int n = parse_doubles(val, d, 3);
      for (int a = 0; a < n; a++) dims[a] = (int)d[a];
      have_dims = n >= 2;
    } else if (!strcasecmp(key, "ElementSpacing") || !strcasecmp(key, "ElementSize")) {
      if (!strcasecmp(key, "ElementSpacing") || sp[0] == 1) parse_doubles(val, sp, 3);
    } else if (!strcasecmp(key, "Offset") || !strcasecmp(key, "Origin") ||
               !strcasecmp(key, "Position")) {
      parse_doubles(val, off, 3);
    } else if (!strcasecmp(key, "TransformMatrix") || !strcasecmp(key, "Rotation") ||
               !strcasecmp(key, "Orientation")) {
      double m[9];
      int n = parse_doubles(val, m, 9);
      if (n == 9) memcpy(tm, m, sizeof tm);
      else if (n == 4 && ndims == 2) {
        tm[0] = m[0]; tm[1] = m[1]; tm[3] = m[2]; tm[4] = m[3];
      }
    } else if (!strcasecmp(key, "ElementNumberOfChannels")) {
      nc = atoi(val);
    } else if (!strcasecmp(key, "ElementType")) {
      for (const met_type *t = MET_TYPES; t->name; t++)
        if (!strcasecmp(val, t->name)) type = t;
      if (!type) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: ElementType %s not supported", path, val);
        goto done;
      }
    } else if (!strcasecmp(key, "BinaryDataByteOrderMSB") || !strcasecmp(key, "ElementByteOrderMSB")) {
      big = !strcasecmp(val, "True");
    } else if (!strcasecmp(key, "CompressedData")) {
      if (!strcasecmp(val, "True")) {
        rc = rert_err_set(err, RERT_EINPUT,
                          "%s: CompressedData = True not supported (write uncompressed)", path);
        goto done;
      }
    } else if (!strcasecmp(key, "ElementDataFile")) {
      snprintf(datafile, sizeof datafile, "%s", val);
      break;
    }
  }
  if (!datafile[0] || !have_dims || !type) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: MetaImage header lacks %s", path,
                      !datafile[0] ? "ElementDataFile" : !have_dims ? "DimSize" : "ElementType");
    goto done;
  }
  if (nc != 1 && nc != 3) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: ElementNumberOfChannels = %d (1 or 3 supported)", path, nc);
    goto done;
  }
  for (int a = 0; a < 3; a++)
    if (dims[a] <= 0 || dims[a] > 100000 || !(sp[a] > 0) || !isfinite(sp[a]) || !isfinite(off[a])) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: invalid DimSize/ElementSpacing/Offset", path);
      goto done;
    }
  size_t nvox = (size_t)dims[0] * dims[1] * dims[2];
  if (nvox > (size_t)1 << 31) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: image too large (%zu voxels)", path, nvox);
    goto done;
  }
  FILE *df = f;
  FILE *opened = NULL;
  if (strcasecmp(datafile, "LOCAL")) {
    if (!strcasecmp(datafile, "LIST") || strchr(datafile, '%')) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: ElementDataFile = %s not supported", path, datafile);
      goto done;
    }
    char full[4096];
    const char *slash = strrchr(path, '/');
    if (datafile[0] != '/' && slash)
      snprintf(full, sizeof full, "%.*s/%s", (int)(slash - path), path, datafile);
    else
      snprintf(full, sizeof full, "%s", datafile);
    opened = df = fopen(full, "rb");
    if (!df) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: cannot open data file %s", path, full);
      goto done;
    }
  }
  size_t nval = nvox * (size_t)nc, bytes = nval * (size_t)type->size;
  unsigned char *raw = malloc(bytes ? bytes : 1);
  float *out = malloc(nval * sizeof(float));
  if (!raw || !out) {
    free(raw), free(out);
    if (opened) fclose(opened);
    rc = rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
    goto done;
  }
  if (fread(raw, 1, bytes, df) != bytes) {
    free(raw), free(out);
    if (opened) fclose(opened);
    rc = rert_err_set(err, RERT_EINPUT, "%s: truncated voxel data (expected %zu bytes)", path, bytes);
    goto done;
  }
  if (opened) fclose(opened);
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
  free(raw);
  g->nx = dims[0], g->ny = dims[1], g->nz = dims[2];
  memcpy(g->spacing_mm, sp, sizeof sp);
  memcpy(g->origin_mm, off, sizeof off);
  if (ndims == 2) {
    tm[2] = tm[5] = tm[6] = tm[7] = 0;
    tm[8] = 1;
  }
  memcpy(g->dir, tm, sizeof tm);
  *ncomp = nc;
  *data = out;
done:
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
