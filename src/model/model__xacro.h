/* model__xacro.h - internals of the xacro expander shared by xacro.c, xacro_expr.c and tests.
 *
 * Values follow Python's types as far as xacro exposes them: int (64-bit here,
 * overflow is an error), float, bool and str. Strings are owned by the value. */
#ifndef DTW_MODEL__XACRO_H
#define DTW_MODEL__XACRO_H

#include <stddef.h>

typedef enum {
  DTW__XV_INT = 0,
  DTW__XV_FLOAT = 1,
  DTW__XV_BOOL = 2,
  DTW__XV_STR = 3
} dtw__xval_kind_t;

typedef struct dtw__xval {
  dtw__xval_kind_t kind;
  long long i; /* INT, BOOL (0/1) */
  double f;    /* FLOAT */
  char *s;     /* STR: malloc'd, NUL-terminated */
  size_t len;  /* STR length */
} dtw__xval_t;

/* Longest string an expression may build (bytes); longer is DTW_ERANGE. */
#define DTW__XSTR_MAX ((size_t)1 << 20)
/* Deepest expression nesting (parentheses, unary operators, ...). */
#define DTW__XEXPR_MAX_DEPTH 100

/* Resolve a name that is not a literal: fill *out (caller frees) and return 0,
 * return DTW_ENOENT (message not needed) when the name is unknown, or another
 * negative code with a message in err. */
typedef int (*dtw__xlookup_fn)(void *user, const char *name, dtw__xval_t *out, char *err,
                               size_t errlen);

typedef struct dtw__xexpr_ctx {
  dtw__xlookup_fn lookup; /* NULL = no properties */
  void *user;
  long *budget; /* work units left, decremented per node and per 64 string bytes; NULL = none */
} dtw__xexpr_ctx_t;

/* Evaluate expr[0..len) (the text inside ${...}). On error returns a negative
 * code (DTW_EPARSE syntax, DTW_ENOENT unknown name, DTW_ERANGE arithmetic or
 * limits, DTW_EUNSUP unsupported Python) with a message without location. */
int dtw__xexpr_eval(const char *expr, size_t len, const dtw__xexpr_ctx_t *ctx, dtw__xval_t *out,
                    char *err, size_t errlen);

void dtw__xval_fini(dtw__xval_t *v);
/* Deep copy; DTW_ENOMEM. */
int dtw__xval_copy(dtw__xval_t *dst, const dtw__xval_t *src);
/* New STR value from bytes; DTW_ENOMEM. */
int dtw__xval_set_str(dtw__xval_t *v, const char *s, size_t len);
/* Python str(v) into a malloc'd string (*len optional); DTW_ENOMEM. */
int dtw__xval_to_str(const dtw__xval_t *v, char **out, size_t *len);
/* Python repr() of a float, shortest round-trip ("0.5", "1e-05", "2.0"). buf >= 32 bytes. */
void dtw__xval_format_float(double f, char *buf, size_t n);
/* xacro's literal conversion of property text: 'quoted' -> str without quotes,
 * else int, else float, else true/True/false/False, else the str itself. */
int dtw__xval_literal(const char *text, size_t len, dtw__xval_t *out);
/* Python truthiness. */
int dtw__xval_truthy(const dtw__xval_t *v);
/* xacro's get_boolean_value for xacro:if: "true"/"True"/"false"/"False",
 * an integer string, or any non-string value by truthiness. 0 with *out set,
 * or DTW_EPARSE when the value is not a boolean expression. */
int dtw__xval_condition(const dtw__xval_t *v, int *out);

#endif /* DTW_MODEL__XACRO_H */
