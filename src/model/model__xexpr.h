/* model__xexpr.h - the ${...} expression engine, split over xacro_expr.c (lexer,
 * parser), xacro_eval.c (evaluation, operators) and xacro_builtins.c (functions,
 * methods, namespaces). The text is parsed into a node array first, then
 * evaluated, so `a if c else b`, `and` and `or` evaluate only what Python would. */
#ifndef DTW_MODEL__XEXPR_H
#define DTW_MODEL__XEXPR_H

#include <stddef.h>

#include "model__xacro.h"

/* Binary and comparison operators. */
enum {
  DTW__OP_ADD = 1,
  DTW__OP_SUB,
  DTW__OP_MUL,
  DTW__OP_DIV,
  DTW__OP_FDIV,
  DTW__OP_MOD,
  DTW__OP_POW,
  DTW__OP_EQ,
  DTW__OP_NE,
  DTW__OP_LT,
  DTW__OP_LE,
  DTW__OP_GT,
  DTW__OP_GE,
  DTW__OP_IN,
  DTW__OP_NOTIN,
  DTW__OP_IS,
  DTW__OP_ISNOT
};

/* Node kinds. Children are node indexes (-1 = none); lists of children are chained by next. */
enum {
  DTW__N_LIT,   /* lit */
  DTW__N_NAME,  /* name */
  DTW__N_CALL,  /* a = callee, b = first argument (DTW__N_KW for name=value) */
  DTW__N_KW,    /* name = a */
  DTW__N_ATTR,  /* a.name */
  DTW__N_SUB,   /* a[b] */
  DTW__N_SLICE, /* a:b:c inside [] */
  DTW__N_LIST,  /* a = first item */
  DTW__N_TUPLE, /* a = first item */
  DTW__N_DICT,  /* a = first key, key.next = its value, value.next = next key */
  DTW__N_COMP,  /* [a for ...]: b = first clause */
  DTW__N_FOR,   /* for a (NAME or TUPLE of NAMEs) in b */
  DTW__N_IFC,   /* if a (comprehension filter) */
  DTW__N_NEG,
  DTW__N_POS,
  DTW__N_NOT,
  DTW__N_BIN, /* a op b */
  DTW__N_AND,
  DTW__N_OR,
  DTW__N_COND /* a if c else b */
};

typedef struct dtw__xnode {
  int kind, op;
  int a, b, c, next;
  dtw__xval_t lit;
  const char *name; /* into the expression text */
  size_t nlen;
  int depth; /* height of the subtree: evaluation recurses this deep */
} dtw__xnode_t;

/* Highest expression tree (long operator chains nest too). */
#define DTW__XEXPR_MAX_TREE 1000

typedef struct dtw__xparser {
  const char *s;
  size_t len, pos;
  /* current token */
  int tk, op;
  size_t tstart, tlen;
  long long ival;
  double fval;
  char *sval;
  size_t slen;
  dtw__xnode_t *nodes;
  int n, cap;
  int depth;
  char *err;
  size_t errlen;
} dtw__xparser_t;

/* token kinds and punctuation (operators use the DTW__OP_ values) */
enum { TK_END, TK_INT, TK_FLOAT, TK_STR, TK_NAME, TK_OP };

/* punctuation besides the binary operators */
enum {
  P_LP = 100,
  P_RP,
  P_LB,
  P_RB,
  P_LC,
  P_RC,
  P_COMMA,
  P_COLON,
  P_DOT,
  P_ASSIGN,
  P_OTHER
};


/* Read the next token into p (xacro_lex.c); a located message on failure. */
int dtw__xlex_next(dtw__xparser_t *p);
/* "what at 'token' (column N)" into p->err; returns code. */
int dtw__xperr(dtw__xparser_t *p, int code, const char *what);
int dtw__xis_name_char(int c);

/* Parse s[0..len) into p (zeroed by the caller); *root is the top node. */
int dtw__xparse(dtw__xparser_t *p, const char *s, size_t len, int *root, char *err,
                size_t errlen);
void dtw__xparser_fini(dtw__xparser_t *p);

#define DTW__XEVAL_MAX_LOCALS 16

typedef struct dtw__xeval {
  const dtw__xparser_t *p;
  const dtw__xexpr_ctx_t *ctx;
  char *err;
  size_t errlen;
  /* comprehension variables, innermost last */
  struct {
    const char *name;
    size_t nlen;
    dtw__xval_t v;
  } locals[DTW__XEVAL_MAX_LOCALS];
  int n_locals;
} dtw__xeval_t;

int dtw__xeval_node(dtw__xeval_t *ev, int idx, dtw__xval_t *out);
/* Charge the work budget for one step plus bytes of produced data; DTW_ERANGE when spent. */
int dtw__xeval_charge(dtw__xeval_t *ev, size_t bytes);
/* Binary operator or comparison on two values. */
int dtw__xeval_binary(dtw__xeval_t *ev, int op, const dtw__xval_t *a, const dtw__xval_t *b,
                      dtw__xval_t *out);
/* Items of an iterable as a fresh tuple value (str: characters, dict: keys). */
int dtw__xeval_items(dtw__xeval_t *ev, const dtw__xval_t *it, dtw__xval_t *out);
/* Python's a < b for sorting, min and max: *lt set; DTW_EPARSE when not comparable. */
int dtw__xeval_less(dtw__xeval_t *ev, const dtw__xval_t *a, const dtw__xval_t *b, int *lt);

/* "fmt" into ev->err; returns code (shared by the evaluator's files). */
int dtw__xeval_err(dtw__xeval_t *ev, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Builtin function and method ids (the DTW__XF_* hooks live in model__xacro.h). */
enum {
  /* python builtins */
  F_LIST = 1, F_DICT, F_MAP, F_LEN, F_STR, F_FLOAT, F_INT, F_MIN, F_MAX, F_ROUND, F_SORTED,
  F_RANGE, F_ABS, F_ALL, F_ANY, F_BOOL, F_SUM, F_TUPLE, F_ZIP, F_ENUMERATE, F_REVERSED, F_REPR,
  F_ORD, F_DIVMOD,
  /* math */
  F_SIN, F_COS, F_TAN, F_ASIN, F_ACOS, F_ATAN, F_ATAN2, F_SINH, F_COSH, F_TANH, F_ASINH,
  F_ACOSH, F_ATANH, F_SQRT, F_EXP, F_EXPM1, F_LOG, F_LOG10, F_LOG2, F_LOG1P, F_POW, F_FABS,
  F_FLOOR, F_CEIL, F_TRUNC, F_RADIANS, F_DEGREES, F_HYPOT, F_COPYSIGN, F_FMOD, F_ISINF, F_ISNAN,
  F_ISFINITE, F_ISCLOSE, F_FACTORIAL, F_GCD, F_ERF, F_ERFC, F_GAMMA, F_LGAMMA, F_LDEXP,
  F_REMAINDER, F_FSUM,
  /* xacro namespace, pure */
  F_DOTIFY, F_TOKENIZE,
  /* methods */
  M_LOWER, M_UPPER, M_STRIP, M_LSTRIP, M_RSTRIP, M_SPLIT, M_JOIN, M_REPLACE, M_STARTSWITH,
  M_ENDSWITH, M_FIND, M_RFIND, M_COUNT, M_FORMAT, M_CAPITALIZE, M_TITLE, M_ISDIGIT, M_ISALPHA,
  M_ISALNUM, M_ISSPACE, M_ZFILL, M_INDEX, M_KEYS, M_VALUES, M_ITEMS, M_GET
};

/* ---- builtins (xacro_builtins.c, xacro_math.c) ---- */
/* A math function (F_SIN .. F_FSUM) on its checked arguments. */
/* float -> int into out, with Python's errors for inf/nan/out of 64-bit range. */
int dtw__xval_float_to_int(dtw__xeval_t *ev, double f, dtw__xval_t *out);
int dtw__xmath_call(dtw__xeval_t *ev, int fn, const dtw__xval_t *args, int n, dtw__xval_t *out);
/* A predefined global name (functions, math constants, namespaces): 0 or DTW__XNOTFOUND. */
int dtw__xbuiltin_global(const char *name, size_t nlen, dtw__xval_t *out);
/* obj.name for namespaces and methods of str, list and dict: 0, DTW__XNOTFOUND or an error. */
int dtw__xbuiltin_attr(dtw__xeval_t *ev, const dtw__xval_t *obj, const char *name, size_t nlen,
                       dtw__xval_t *out);
/* Call a FUNC value. Positional args first, then nkw keyword arguments. */
int dtw__xbuiltin_call(dtw__xeval_t *ev, const dtw__xval_t *fn, const dtw__xval_t *args,
                       int nargs, const char *const *kwnames, const size_t *kwlens,
                       const dtw__xval_t *kwvals, int nkw, dtw__xval_t *out);
/* Name of a function id, for messages and repr. */
const char *dtw__xfunc_name(long long fn);
/* str % args (printf-style) and str.format(...). */
int dtw__xfmt_percent(dtw__xeval_t *ev, const dtw__xval_t *fmt, const dtw__xval_t *args,
                      dtw__xval_t *out);

#endif /* DTW_MODEL__XEXPR_H */
