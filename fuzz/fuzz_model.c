/* libFuzzer target: bytes as a URDF document through parse, validation, MJCF
 * generation and the joint table (src/model; no MuJoCo compile).
 * Seeds: fuzz/corpus/model/. Build: see docs/testing.md (-DDTW_FUZZ=ON, clang). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/log.h"
#include "dtw/model.h"
#include "model/model__mjcf.h"
#include "model/model__urdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool quiet;
  if (!quiet) {
    dtw_log_set_level(DTW_LOG_OFF); /* <mimic> warnings */
    quiet = true;
  }
  /* no directory: relative and package:// meshes cannot resolve, absolute ones may */
  dtw__urdf_ctx_t ctx = {.file = "fuzz.urdf", .dir = "/nonexistent-dtw-fuzz",
                         .package_path = "/nonexistent-dtw-fuzz"};
  dtw__urdf_t u = {0};
  char err[512];
  if (dtw__urdf_parse_buffer((const char *)data, size, &ctx, &u, err, sizeof err) != 0) {
    if (memchr(err, '\0', sizeof err) == NULL) abort(); /* messages are terminated */
    return 0;
  }
  if (u.root < 0 || (size_t)u.root >= u.n_links) abort();
  dtw_model_opts_t opts;
  dtw_model_opts_default(&opts);
  opts.base = (size & 1) ? DTW_BASE_FLOATING : DTW_BASE_FIXED;
  char *mjcf = NULL;
  size_t len = 0;
  if (dtw__mjcf_generate(&u, &opts, NULL, NULL, &mjcf, &len, err, sizeof err) == 0) {
    if (strlen(mjcf) != len || strncmp(mjcf, "<?xml", 5) != 0) abort();
    free(mjcf);
  }
  dtw_joint_desc_t *joints = NULL;
  size_t n = 0;
  if (dtw__urdf_joint_table(&u, &joints, &n) == 0) {
    for (size_t i = 0; i < n; i++)
      if (joints[i].limited && joints[i].lower > joints[i].upper) abort();
    free(joints);
  }
  dtw__urdf_fini(&u);
  return 0;
}
