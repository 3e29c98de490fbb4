/* libFuzzer target: bytes as a robot description through src/model without
 * MuJoCo. A <robot> goes through URDF parsing, validation, MJCF generation
 * and the joint table; a <mujoco> through the MuJoCo 3 -> 2.2.2 translation,
 * a base mode and serialisation (the output must parse again).
 * Seeds: fuzz/corpus/model/, plus the published robots scripts/fuzz.sh copies
 * from $DTW_ROBOT_CORPUS at run time (package:// then resolves against it).
 * Build: see docs/testing.md (-DDTW_FUZZ=ON, clang). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/log.h"
#include "dtw/model.h"
#include "model/model__mjcf.h"
#include "model/model__mjcf_base.h"
#include "model/model__mjcf_compat.h"
#include "model/model__urdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_urdf(xmlDocPtr doc, size_t size) {
  /* relative meshes cannot resolve; package:// ones may, in the robot corpus */
  const char *corpus = getenv("DTW_ROBOT_CORPUS");
  dtw__urdf_ctx_t ctx = {.file = "fuzz.urdf", .dir = "/nonexistent-dtw-fuzz",
                         .package_path = corpus != NULL ? corpus : "/nonexistent-dtw-fuzz"};
  dtw__urdf_t u = {0};
  char err[512];
  if (dtw__urdf_from_doc(doc, &ctx, &u, err, sizeof err) != 0) {
    if (memchr(err, '\0', sizeof err) == NULL) abort(); /* messages are terminated */
    return;
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
  dtw_visual_desc_t *visuals = NULL;
  if (dtw__urdf_visuals(&u, &visuals, &n) == 0) {
    dtw_robot_desc_t tmp = {.visuals = visuals, .n_visuals = n};
    dtw_robot_desc_fini(&tmp);
  }
  dtw__urdf_fini(&u);
}

static void fuzz_mjcf(xmlDocPtr doc, size_t size) {
  char err[512];
  bool changed = false;
  if (dtw__mjcf_compat(doc, "fuzz.xml", &changed, err, sizeof err) != 0) {
    if (memchr(err, '\0', sizeof err) == NULL) abort();
    return;
  }
  dtw_model_opts_t opts;
  dtw_model_opts_default(&opts);
  opts.base = (size & 1) ? DTW_BASE_FLOATING : DTW_BASE_FIXED;
  opts.base_height_m = (size & 2) ? 0 : 1;
  dtw__mjcf_base_t b;
  if (dtw__mjcf_apply_base(doc, "fuzz.xml", &opts, NULL, &b, err, sizeof err) != 0) return;
  char *text = NULL;
  size_t len = 0;
  if (dtw__mjcf_serialize(doc, false, &text, &len) != 0) return;
  /* what is handed to MuJoCo is well-formed XML with a <mujoco> root */
  xmlDocPtr again = NULL;
  if (strlen(text) != len || dtw__xml_read(text, len, "out.xml", &again, err, sizeof err) != 0)
    abort();
  if (strcmp((const char *)xmlDocGetRootElement(again)->name, "mujoco") != 0) abort();
  xmlFreeDoc(again);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool quiet;
  if (!quiet) {
    dtw_log_set_level(DTW_LOG_OFF); /* warnings about what is ignored */
    quiet = true;
  }
  xmlDocPtr doc = NULL;
  char err[512];
  if (dtw__xml_read((const char *)data, size, "fuzz.xml", &doc, err, sizeof err) != 0) return 0;
  const char *root = (const char *)xmlDocGetRootElement(doc)->name;
  if (strcmp(root, "mujoco") == 0)
    fuzz_mjcf(doc, size);
  else
    fuzz_urdf(doc, size);
  xmlFreeDoc(doc);
  return 0;
}
