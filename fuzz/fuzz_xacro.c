/* libFuzzer target: arbitrary bytes through the xacro expander.
 * Small output/recursion limits keep each input fast; includes resolve under a
 * directory that does not exist, so only absolute paths can reach files. */
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "dtw/xacro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const args[] = {"a=1", "flag=true", "name=fz"};
  dtw_xacro_opts_t opts = {
      .package_path = "/nonexistent-dtw-fuzz",
      .args = args,
      .n_args = 3,
      .max_include_depth = 4,
      .max_macro_depth = 20,
      .max_nodes = 20000,
  };
  char err[512];
  xmlDocPtr doc = NULL;
  int r = dtw_xacro_expand_buffer((const char *)data, size, "/nonexistent-dtw-fuzz/in.xacro",
                                  &opts, &doc, err, sizeof err);
  if (r == 0) xmlFreeDoc(doc);
  return 0;
}
