/* reg_cli.c — input helpers of the registration commands (reg_cli.h). */
#include "cli/reg_cli.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rert/imageio.h"

int regcli_load_image(const char *path, rert_volume *v, rert_err *err) {
  if (!path) return rert_err_set(err, RERT_EINPUT, "missing image path");
  if (imageio_format_of(path) != IMAGEIO_FMT_UNKNOWN) return imageio_read_volume(path, v, err);
  return rert_err_set(err, RERT_EINPUT, "%s: unsupported image (use .mha, .mhd, .nii or .nii.gz)", path);
}

int regcli_load_field(const char *path, const rert_volume *like, rert_vfield *f, rert_err *err) {
  (void)like;
  if (!path) return rert_err_set(err, RERT_EINPUT, "missing --field");
  if (imageio_format_of(path) != IMAGEIO_FMT_UNKNOWN) return imageio_read_vfield(path, f, err);
  return rert_err_set(err, RERT_EINPUT, "%s: unsupported field (use .mha, .mhd, .nii or .nii.gz)", path);
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
