/* model__xacro.h - internals of the xacro expander shared by its source files and tests.
 *
 * Values follow Python's types as far as xacro exposes them: int (64-bit here,
 * overflow is an error), float, bool, str, None, list, tuple, dict (insertion
 * ordered; YAML dicts also allow d.key), builtin functions and bound methods,
 * and namespaces (math, python, xacro, and those made by include ns=).
 * Strings are owned by the value; lists, tuples and dicts are shared,
 * reference-counted and never changed after they are built, so copying a value
 * is cheap. Nothing here is thread-safe beyond "one expansion per thread". */
#ifndef DTW_MODEL__XACRO_H
#define DTW_MODEL__XACRO_H

#include <stddef.h>

typedef enum {
  DTW__XV_INT = 0,
  DTW__XV_FLOAT = 1,
  DTW__XV_BOOL = 2,
  DTW__XV_STR = 3,
  DTW__XV_NONE = 4,
  DTW__XV_LIST = 5,
  DTW__XV_TUPLE = 6,
  DTW__XV_DICT = 7,
  DTW__XV_FUNC = 8, /* i = function id (DTW__XF_* or internal), o = bound object or NULL */
  DTW__XV_NS = 9    /* i = DTW__XNS_*, p = expander namespace for DTW__XNS_USER */
} dtw__xval_kind_t;

typedef struct dtw__xobj dtw__xobj_t;

typedef struct dtw__xval {
  dtw__xval_kind_t kind;
  long long i;    /* INT, BOOL (0/1), FUNC id, NS id */
  double f;       /* FLOAT */
  char *s;        /* STR: malloc'd, NUL-terminated */
  size_t len;     /* STR length */
  dtw__xobj_t *o; /* LIST, TUPLE, DICT contents; FUNC: bound object (1 item) */
  void *p;        /* NS user namespace */
} dtw__xval_t;

/* Shared contents of a list, tuple or dict (and a bound method's object). */
struct dtw__xobj {
  long refs;
  size_t n, cap;
  dtw__xval_t *items; /* list/tuple items, dict values */
  dtw__xval_t *keys;  /* dict keys; NULL for lists and tuples */
  int dotted;         /* dict: d.key works (YAML dicts, xacro.dotify) */
  int depth;          /* nesting depth of containers inside, for bounded recursion */
};

enum { DTW__XNS_MATH = 1, DTW__XNS_PYTHON, DTW__XNS_XACRO, DTW__XNS_USER };

/* Functions the expander implements (called through dtw__xexpr_ctx_t.xcall). */
enum {
  DTW__XF_HOOKS = 1000,
  DTW__XF_LOAD_YAML,
  DTW__XF_ABS_FILENAME,
  DTW__XF_ARG,           /* xacro.arg(name) */
  DTW__XF_MESSAGE,
  DTW__XF_WARNING,
  DTW__XF_ERROR,
  DTW__XF_PRINT_LOCATION,
  DTW__XF_FATAL,
  DTW__XF_EVAL_ARG,      /* $(eval arg('x')): the arg, converted like $(eval) names */
  DTW__XF_EVAL_DIRNAME,  /* $(eval dirname()) */
  DTW__XF_EVAL_ENV,
  DTW__XF_EVAL_OPTENV,
  DTW__XF_EVAL_FIND
};

/* Longest string an expression may build (bytes); longer is DTW_ERANGE. */
#define DTW__XSTR_MAX ((size_t)1 << 20)
/* Most items a list, tuple or dict may hold. */
#define DTW__XLIST_MAX ((size_t)1 << 20)
/* Deepest expression nesting (parentheses, unary operators, ...) and value nesting. */
#define DTW__XEXPR_MAX_DEPTH 100

/* "Not found" from a lookup: distinct from DTW_ENOENT, which a lookup can report for
 * something it did find (a property whose lazy value refers to a missing key). */
#define DTW__XNOTFOUND 1

/* Resolve a name that is not a literal: fill *out (caller frees) and return 0,
 * return DTW__XNOTFOUND (message not needed) when the name is unknown, or a
 * negative code with a message in err. */
typedef int (*dtw__xlookup_fn)(void *user, const char *name, dtw__xval_t *out, char *err,
                               size_t errlen);

typedef struct dtw__xexpr_ctx {
  dtw__xlookup_fn lookup; /* NULL = no properties */
  void *user;
  long *budget; /* work units left, decremented per node and per 64 string bytes; NULL = none */
  /* DTW__XF_* functions; NULL = they fail as unavailable. args are borrowed. */
  int (*xcall)(void *user, int fn, const dtw__xval_t *args, int nargs, dtw__xval_t *out,
               char *err, size_t errlen);
  /* name inside a DTW__XNS_USER namespace (A.name, ns = the value's p); 0,
   * DTW__XNOTFOUND (no message) or an error. NULL = never found. */
  int (*ns_lookup)(void *user, void *ns, const char *name, dtw__xval_t *out, char *err,
                   size_t errlen);
} dtw__xexpr_ctx_t;

/* Evaluate expr[0..len) (the text inside ${...}). On error returns a negative
 * code (DTW_EPARSE syntax or type error, DTW_ENOENT unknown name or key,
 * DTW_ERANGE arithmetic or limits, DTW_EUNSUP unsupported Python) with a
 * message without location. */
int dtw__xexpr_eval(const char *expr, size_t len, const dtw__xexpr_ctx_t *ctx, dtw__xval_t *out,
                    char *err, size_t errlen);
/* Whether name is one of the global symbols xacro predefines (pi, len, math, ...). */
int dtw__xexpr_is_global(const char *name);

/* ---- values (xacro_value.c) ---- */
void dtw__xval_fini(dtw__xval_t *v);
/* Copy (strings duplicated, containers shared); DTW_ENOMEM. */
int dtw__xval_copy(dtw__xval_t *dst, const dtw__xval_t *src);
/* New STR value from bytes; DTW_ENOMEM. */
int dtw__xval_set_str(dtw__xval_t *v, const char *s, size_t len);
void dtw__xval_set_int(dtw__xval_t *v, long long i);
void dtw__xval_set_float(dtw__xval_t *v, double f);
void dtw__xval_set_bool(dtw__xval_t *v, int b);
void dtw__xval_set_none(dtw__xval_t *v);
/* FUNC value for function id fn, bound to a copy of self when self != NULL; DTW_ENOMEM. */
int dtw__xval_set_func(dtw__xval_t *v, int fn, const dtw__xval_t *self);
/* Empty LIST, TUPLE or DICT with room for cap items; DTW_ENOMEM. */
int dtw__xval_new_container(dtw__xval_t *v, dtw__xval_kind_t kind, size_t cap);
/* Append item (moved: *item is zeroed) to a container being built; for dicts key is
 * moved too and replaces an equal key's value. DTW_ENOMEM, DTW_ERANGE (size or
 * nesting limit), DTW_EUNSUP (a namespace inside a container). */
int dtw__xval_append(dtw__xval_t *c, dtw__xval_t *key, dtw__xval_t *item);
/* Dict lookup by Python equality; NULL when absent. */
const dtw__xval_t *dtw__xval_dict_get(const dtw__xval_t *d, const dtw__xval_t *key);
/* Python ==, deep. */
int dtw__xval_equal(const dtw__xval_t *a, const dtw__xval_t *b);
/* Python str(v) / repr(v) into a malloc'd string (*len optional); DTW_ENOMEM, or
 * DTW_ERANGE when longer than DTW__XSTR_MAX. */
int dtw__xval_to_str(const dtw__xval_t *v, char **out, size_t *len);
int dtw__xval_repr(const dtw__xval_t *v, char **out, size_t *len);
/* Python repr() of a float, shortest round-trip ("0.5", "1e-05", "2.0"). buf >= 32 bytes. */
void dtw__xval_format_float(double f, char *buf, size_t n);
/* Python type name ("int", "str", "dict", ...). */
const char *dtw__xval_type_name(const dtw__xval_t *v);
/* xacro's literal conversion of property text: 'quoted' -> str without quotes,
 * text with '_' stays str, else int, else float, else true/True/false/False,
 * else the str itself. */
int dtw__xval_literal(const char *text, size_t len, dtw__xval_t *out);
/* Python's int(text) / float(text) on a string: 0 or -1 (not a number), -2 (int too large). */
int dtw__xval_parse_int(const char *s, size_t len, long long *out);
int dtw__xval_parse_float(const char *s, size_t len, double *out);
/* Python truthiness. */
int dtw__xval_truthy(const dtw__xval_t *v);
/* xacro's get_boolean_value for xacro:if: "true"/"True"/"false"/"False",
 * an integer string, or any non-string value by truthiness. 0 with *out set,
 * or DTW_EPARSE when the value is not a boolean expression. */
int dtw__xval_condition(const dtw__xval_t *v, int *out);

/* Growing string used by the formatters; err latches the first failure. */
typedef struct dtw__xbuf {
  char *s;
  size_t len, cap;
  int err; /* 0, DTW_ENOMEM or DTW_ERANGE (over DTW__XSTR_MAX) */
} dtw__xbuf_t;
void dtw__xbuf_add(dtw__xbuf_t *b, const char *s, size_t n);
void dtw__xbuf_str(dtw__xbuf_t *b, const char *s);
/* Append str(v) (repr when repr != 0). */
void dtw__xbuf_value(dtw__xbuf_t *b, const dtw__xval_t *v, int repr);

/* ---- YAML (xacro_yaml.c) ---- */
/* Load a YAML file as PyYAML's safe_load would type it (YAML 1.1 scalars, !degrees and
 * !radians as xacro adds them), dicts with dotted access. Charges *budget per node.
 * Returns 0 or DTW_ENOENT/DTW_EIO/DTW_EPARSE/DTW_EUNSUP/DTW_ERANGE/DTW_ENOMEM with
 * "file:line:col: ..." in err. */
int dtw__xyaml_load(const char *path, long *budget, dtw__xval_t *out, char *err, size_t errlen);

#endif /* DTW_MODEL__XACRO_H */
