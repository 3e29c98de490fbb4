/* dtw/xacro.h - a native expander for the xacro subset real robot descriptions use.
 *
 * Supported (semantics of xacro in ROS 2 Humble): xacro:property (value=,
 * default=, scope="parent"/"global", block bodies; values evaluated lazily in
 * the scope that defines them), xacro:macro with params, defaults (p:=1,
 * p:=^, p:=^|1, p:='quoted text'), *block and **block params with
 * xacro:insert_block (macro scope is dynamic: the body sees the caller's
 * properties), xacro:include filename="..." (relative to the including file,
 * or $(find pkg)/...), xacro:arg with $(arg name), xacro:if / xacro:unless
 * value="..." (true/True/false/False, an integer, or a typed ${} result),
 * ${...} expressions (Python 3 semantics: ints, floats, bools, strings;
 * + - * / // % **, comparisons incl. chains, and/or/not, "a if c else b",
 * pi e tau inf nan, sin cos tan asin acos atan atan2 sqrt exp log log10 pow
 * abs fabs min max floor ceil radians degrees round int float str, also as
 * math.<name>), results printed like Python's str() ("0.5", "3", "2.0",
 * "1e-05", "True"), $${ and $$( escapes, and $(find pkg), $(arg x),
 * $(eval expr) (names are the args), $(env VAR), $(optenv VAR default),
 * $(dirname), $(cwd) substitutions. Ints are 64-bit: overflow is an error.
 * Refused with file:line and the construct's name: xacro:element,
 * xacro:attribute, xacro:call, xacro:load_yaml / load_yaml(), dotted names,
 * include ns= and globs, lists/dicts/other Python builtins.
 * Parsing uses libxml2 without network access and without entities (a DOCTYPE
 * declaring an ENTITY is refused); libxml2 messages never reach stderr.
 * Nesting, macro recursion, includes and total output are bounded.
 * Allocates. Thread-safe as long as each call uses its own opts (libxml2's
 * xmlInitParser() should have run once before concurrent use). */
#ifndef DTW_XACRO_H
#define DTW_XACRO_H

#include <stddef.h>

#include <libxml/tree.h>

typedef struct dtw_xacro_opts {
  /* Colon-separated directories searched first for $(find pkg): pkg is DIR/pkg
   * if that directory exists. Then (also when NULL) ROS_PACKAGE_PATH (DIR/pkg)
   * and AMENT_PREFIX_PATH (DIR/share/pkg) from the environment. */
  const char *package_path;
  /* "name=value" (or "name:=value") values for xacro:arg, overriding their defaults. */
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
 * Returns 0, DTW_ENOENT (file, include, property, macro, arg or package not
 * found), DTW_EPARSE (malformed XML or expression, bad macro call),
 * DTW_EUNSUP, DTW_ERANGE (limits, arithmetic), DTW_EIO, DTW_EINVAL (bad opts)
 * or DTW_ENOMEM with "file:line: <construct>: <what>" in err; errors inside a
 * macro body name the body's line and end with "(in xacro:NAME called at
 * file:line)". *out is untouched on failure. */
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
