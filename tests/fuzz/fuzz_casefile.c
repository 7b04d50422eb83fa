/* fuzz_casefile.c — libFuzzer target for the case-file loader and the clinical assessment
 * (casefile.h, clinical.h): any byte string must either be refused with RERT_EINPUT and a
 * one-line message, or load and assess without a crash, leak or undefined behaviour. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rert/casefile.h"
#include "rert/clinical.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *root = cJSON_ParseWithLength((const char *)data, size);
  if (!root) return 0;
  rert_case c;
  rert_err err;
  if (casefile_parse(root, "/fuzz/case.json", &c, &err) != RERT_OK) {
    if (!memchr(err.msg, 0, sizeof err.msg) || strchr(err.msg, '\n')) abort(); /* one line */
    return 0;
  }
  clinical_options o = clinical_options_default();
  cJSON *rep = NULL;
  if (clinical_assess(&c, &o, &rep, &err) == RERT_OK) cJSON_Delete(rep);
  casefile_free(&c);
  return 0;
}
