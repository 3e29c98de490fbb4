/* dtw/xacro.h - a native expander for the xacro subset real robot descriptions use.
 *
 * Supported: xacro:property (value= and block bodies), xacro:macro with params,
 * defaults (p:=1, p:=^, p:=^|1), *block and **block params with
 * xacro:insert_block, xacro:include filename="..." (relative to the including
 * file, or $(find pkg)/...), xacro:arg with $(arg name), xacro:if / xacro:unless
 * value="...", ${...} expressions (arithmetic, comparisons, and/or/not, pi, e,
 * sin cos tan asin acos atan atan2 sqrt exp log radians degrees abs min max
 * floor ceil, "a if c else b", string literals and concatenation) and
 * $(find pkg), $(arg x), $(eval expr) substitutions.
 * Anything else in the xacro namespace is refused with file:line and the
 * construct's name. Parsing uses libxml2 (never fetches network entities).
 * Thread-safe as long as each call uses its own opts. */
#ifndef DTW_XACRO_H
#define DTW_XACRO_H

#include <stddef.h>

#include <libxml/tree.h>

typedef struct dtw_xacro_opts {
  /* Colon-separated directories searched for $(find pkg): pkg is DIR/pkg if
   * that directory exists. NULL = only ROS_PACKAGE_PATH / AMENT_PREFIX_PATH
   * (DIR/share/pkg) from the environment. */
  const char *package_path;
  /* "name=value" values for xacro:arg, overriding their defaults. */
  const char *const *args;
  size_t n_args;
  /* Limits against runaway input: include depth and macro recursion. 0 = defaults (32 / 100). */
  int max_include_depth;
  int max_macro_depth;
  /* Output size limit against macro bombs: elements + attributes + text nodes; output text
   * is limited to 64 bytes per node, processing work to 4 steps per node.
   * 0 = default (1000000). */
  long max_nodes;
} dtw_xacro_opts_t;

/* Expand a xacro file (or a plain XML file: it comes back unchanged, minus
 * xacro) into a new document. The result has no xacro elements or attributes
 * left and no xmlns:xacro; element line numbers point at the source line that
 * produced them where possible. *out is owned by the caller (xmlFreeDoc).
 * Returns 0, DTW_ENOENT, DTW_EPARSE, DTW_EUNSUP, DTW_ERANGE or DTW_ENOMEM with
 * "file:line: <construct>: <what>" in err. */
int dtw_xacro_expand_file(const char *path, const dtw_xacro_opts_t *opts, xmlDocPtr *out,
                          char *err, size_t errlen);
/* Same from a buffer; name is used in messages and as the base for relative includes. */
int dtw_xacro_expand_buffer(const char *data, size_t len, const char *name,
                            const dtw_xacro_opts_t *opts, xmlDocPtr *out, char *err,
                            size_t errlen);

/* Evaluate one expression as xacro would inside ${...} with no properties
 * defined; result formatted like Python's str() of the value (e.g. "0.5",
 * "3", "True"). Exposed for tests. */
int dtw_xacro_eval(const char *expr, char *out, size_t outlen, char *err, size_t errlen);

#endif /* DTW_XACRO_H */
