/* dtw/xacro.h - a native expander for xacro documents, following ros/xacro's ROS 2
 * branch (in-order processing), so published robot descriptions expand to the same
 * robot as the xacro command gives.
 *
 * Elements and attributes are xacro's by their "xacro:" prefix whatever URI it is
 * bound to (http(s)://[www.|wiki.]ros.org/[wiki/]xacro[/] are also recognised under
 * another prefix). Supported: xacro:property (value=, default=, remove=, lazy_eval=,
 * scope="parent"/"global", block bodies; lazy values evaluated in the table that
 * defines them), xacro:macro (params with defaults p:=1, p:=^, p:=^|1, p:='text',
 * p:=${expr}, *block and **block), macro calls and xacro:call macro="...",
 * xacro:insert_block, xacro:include filename= (relative to the including file or
 * $(find pkg)/..., globs, optional=, ns= namespaces), xacro:arg (defaults in document
 * order, given args win), xacro:if / xacro:unless (true/True/false/False, an integer
 * string, or a typed ${} value by Python truthiness; anything else is an error),
 * xacro:element xacro:name=, xacro:attribute name= value=, xacro:targetNamespace,
 * <!-- xacro:eval-comments -->, comments right before xacro elements dropped.
 * ${...}: Python 3 expressions (ints, floats, bools, str, None, lists, tuples, dicts,
 * indexing and slices, d.key on YAML dicts, list comprehensions, conditional
 * expressions, in/not in/is, % and str.format formatting, common str/list/dict
 * methods), ros/xacro's global names (list dict map len str float int min max round
 * sorted range; the math module bare and as math.x; python.x; xacro.load_yaml,
 * xacro.arg, xacro.print_location, xacro.message/warning/error/fatal,
 * xacro.abs_filename, xacro.dotify, xacro.tokenize; load_yaml bare) and, beyond
 * ros/xacro, abs all any bool sum tuple zip enumerate reversed repr ord divmod bare.
 * load_yaml types values as PyYAML's safe_load (YAML 1.1) and knows !degrees and
 * !radians. $(...): arg, find, env, optenv, dirname, eval (args typed, with arg(),
 * find(), env(), optenv(), dirname()), cwd; $${ and $$( escape.
 * Ints are 64-bit: overflow is an error. Refused with file:line and the construct's
 * name: lambda, sets, f-strings, bytes, starred arguments, dict comprehensions,
 * YAML anchors/aliases and other YAML tags.
 * Parsing uses libxml2 without network access and without entities (a DOCTYPE
 * declaring an ENTITY is refused); libxml2 messages never reach stderr;
 * xacro.message() and friends print to stderr as ros/xacro does.
 * Nesting, macro recursion, includes and total output are bounded.
 * Allocates. Thread-safe as long as each call uses its own opts (libxml2's
 * xmlInitParser() should have run once before concurrent use). */
#ifndef DTW_XACRO_H
#define DTW_XACRO_H

#include <stddef.h>
#include <stdio.h>

#include <libxml/tree.h>

typedef struct dtw_xacro_opts {
  /* Colon-separated directories searched first for $(find pkg): pkg is DIR/pkg
   * if that directory exists. Then (also when NULL) ROS_PACKAGE_PATH (DIR/pkg)
   * and AMENT_PREFIX_PATH (DIR/share/pkg) from the environment. */
  const char *package_path;
  /* "name:=value" (or "name=value") values for xacro:arg, overriding their defaults.
   * As on the xacro command line, spaces around name and value are dropped and an
   * empty value or a "_name" (parameter assignment) is ignored. */
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

/* Print doc as the xacro command prints its result (see ros/xacro: minidom's pretty
 * printer, attributes sorted, the "autogenerated by xacro from SOURCE" banner unless
 * source is NULL). Returns 0, or DTW_EIO (with errno's text) when writing to fp failed,
 * or DTW_ENOMEM. */
int dtw_xacro_write(FILE *fp, xmlDocPtr doc, const char *source, char *err, size_t errlen);

/* Whether href is one of the URIs xacro documents bind the xacro: prefix to
 * (http(s)://[www.|wiki.]ros.org/[wiki/]xacro, with or without a trailing slash). */
int dtw_xacro_is_namespace(const char *href);

/* Evaluate one expression as xacro would inside ${...} with no properties
 * defined; result formatted like Python's str() of the value (e.g. "0.5",
 * "3", "True"). Exposed for tests. */
int dtw_xacro_eval(const char *expr, char *out, size_t outlen, char *err, size_t errlen);

#endif /* DTW_XACRO_H */
