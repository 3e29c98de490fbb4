/* xacro_builtins.c - the names ros/xacro predefines for ${...}: Python builtins
 * (list dict map len str float int min max round sorted range, and abs all any
 * bool sum tuple zip enumerate reversed repr ord divmod, also as python.<name>),
 * the math module (bare and as math.<name>), the xacro namespace (load_yaml, arg,
 * print_location, message/warning/error/fatal, abs_filename, dotify, tokenize),
 * and the methods of str, list, tuple and dict that robot descriptions use. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xexpr.h"

/* where a name is visible */
#define W_G 1u  /* bare global */
#define W_M 2u  /* math.<name> */
#define W_P 4u  /* python.<name> */
#define W_X 8u  /* xacro.<name> */

typedef struct {
  const char *name;
  int id;
  unsigned where;
  int min_args, max_args; /* -1 = any */
} func_t;

static const func_t g_funcs[] = {
    {"list", F_LIST, W_G | W_P, 0, 1},          {"dict", F_DICT, W_G | W_P, 0, 1},
    {"map", F_MAP, W_G | W_P, 2, 2},            {"len", F_LEN, W_G | W_P, 1, 1},
    {"str", F_STR, W_G | W_P, 0, 1},            {"float", F_FLOAT, W_G | W_P, 0, 1},
    {"int", F_INT, W_G | W_P, 0, 2},            {"min", F_MIN, W_G | W_P, 1, -1},
    {"max", F_MAX, W_G | W_P, 1, -1},           {"round", F_ROUND, W_G | W_P, 1, 2},
    {"sorted", F_SORTED, W_G | W_P, 1, 1},      {"range", F_RANGE, W_G | W_P, 1, 3},
    {"abs", F_ABS, W_G | W_P, 1, 1},            {"all", F_ALL, W_G | W_P, 1, 1},
    {"any", F_ANY, W_G | W_P, 1, 1},            {"bool", F_BOOL, W_G | W_P, 0, 1},
    {"sum", F_SUM, W_G | W_P, 1, 2},            {"tuple", F_TUPLE, W_G | W_P, 0, 1},
    {"zip", F_ZIP, W_G | W_P, 0, -1},           {"enumerate", F_ENUMERATE, W_G | W_P, 1, 2},
    {"reversed", F_REVERSED, W_G | W_P, 1, 1},  {"repr", F_REPR, W_G | W_P, 1, 1},
    {"ord", F_ORD, W_G | W_P, 1, 1},            {"divmod", F_DIVMOD, W_G | W_P, 2, 2},
    {"sin", F_SIN, W_G | W_M, 1, 1},            {"cos", F_COS, W_G | W_M, 1, 1},
    {"tan", F_TAN, W_G | W_M, 1, 1},            {"asin", F_ASIN, W_G | W_M, 1, 1},
    {"acos", F_ACOS, W_G | W_M, 1, 1},          {"atan", F_ATAN, W_G | W_M, 1, 1},
    {"atan2", F_ATAN2, W_G | W_M, 2, 2},        {"sinh", F_SINH, W_G | W_M, 1, 1},
    {"cosh", F_COSH, W_G | W_M, 1, 1},          {"tanh", F_TANH, W_G | W_M, 1, 1},
    {"asinh", F_ASINH, W_G | W_M, 1, 1},        {"acosh", F_ACOSH, W_G | W_M, 1, 1},
    {"atanh", F_ATANH, W_G | W_M, 1, 1},        {"sqrt", F_SQRT, W_G | W_M, 1, 1},
    {"exp", F_EXP, W_G | W_M, 1, 1},            {"expm1", F_EXPM1, W_G | W_M, 1, 1},
    {"log", F_LOG, W_G | W_M, 1, 2},            {"log10", F_LOG10, W_G | W_M, 1, 1},
    {"log2", F_LOG2, W_G | W_M, 1, 1},          {"log1p", F_LOG1P, W_G | W_M, 1, 1},
    {"pow", F_POW, W_G | W_M, 2, 2},            {"fabs", F_FABS, W_G | W_M, 1, 1},
    {"floor", F_FLOOR, W_G | W_M, 1, 1},        {"ceil", F_CEIL, W_G | W_M, 1, 1},
    {"trunc", F_TRUNC, W_G | W_M, 1, 1},        {"radians", F_RADIANS, W_G | W_M, 1, 1},
    {"degrees", F_DEGREES, W_G | W_M, 1, 1},    {"hypot", F_HYPOT, W_G | W_M, 0, -1},
    {"copysign", F_COPYSIGN, W_G | W_M, 2, 2},  {"fmod", F_FMOD, W_G | W_M, 2, 2},
    {"isinf", F_ISINF, W_G | W_M, 1, 1},        {"isnan", F_ISNAN, W_G | W_M, 1, 1},
    {"isfinite", F_ISFINITE, W_G | W_M, 1, 1},  {"isclose", F_ISCLOSE, W_G | W_M, 2, 2},
    {"factorial", F_FACTORIAL, W_G | W_M, 1, 1}, {"gcd", F_GCD, W_G | W_M, 0, -1},
    {"erf", F_ERF, W_G | W_M, 1, 1},            {"erfc", F_ERFC, W_G | W_M, 1, 1},
    {"gamma", F_GAMMA, W_G | W_M, 1, 1},        {"lgamma", F_LGAMMA, W_G | W_M, 1, 1},
    {"ldexp", F_LDEXP, W_G | W_M, 2, 2},        {"remainder", F_REMAINDER, W_G | W_M, 2, 2},
    {"fsum", F_FSUM, W_G | W_M, 1, 1},
    {"load_yaml", DTW__XF_LOAD_YAML, W_G | W_X, 1, 1},
    {"abs_filename", DTW__XF_ABS_FILENAME, W_G | W_X, 1, 1},
    {"dotify", F_DOTIFY, W_G | W_X, 0, 1},      {"tokenize", F_TOKENIZE, W_X, 1, 3},
    {"arg", DTW__XF_ARG, W_X, 1, 1},            {"message", DTW__XF_MESSAGE, W_X, 0, -1},
    {"warning", DTW__XF_WARNING, W_X, 0, -1},   {"error", DTW__XF_ERROR, W_X, 0, -1},
    {"print_location", DTW__XF_PRINT_LOCATION, W_X, 0, 0},
    {"fatal", DTW__XF_FATAL, W_X, 0, -1},
    /* names only $(eval ...) sees (its lookup hands them out) */
    {"arg", DTW__XF_EVAL_ARG, 0, 1, 1},         {"dirname", DTW__XF_EVAL_DIRNAME, 0, 0, 0},
    {"env", DTW__XF_EVAL_ENV, 0, 1, 1},         {"optenv", DTW__XF_EVAL_OPTENV, 0, 1, 2},
    {"find", DTW__XF_EVAL_FIND, 0, 1, 1},
};

/* methods: receiver kinds as a bit set of 1 << kind */
#define K(k) (1u << (k))
static const struct {
  const char *name;
  int id;
  unsigned kinds;
  int min_args, max_args;
} g_methods[] = {
    {"lower", M_LOWER, K(DTW__XV_STR), 0, 0},
    {"upper", M_UPPER, K(DTW__XV_STR), 0, 0},
    {"strip", M_STRIP, K(DTW__XV_STR), 0, 1},
    {"lstrip", M_LSTRIP, K(DTW__XV_STR), 0, 1},
    {"rstrip", M_RSTRIP, K(DTW__XV_STR), 0, 1},
    {"split", M_SPLIT, K(DTW__XV_STR), 0, 2},
    {"join", M_JOIN, K(DTW__XV_STR), 1, 1},
    {"replace", M_REPLACE, K(DTW__XV_STR), 2, 3},
    {"startswith", M_STARTSWITH, K(DTW__XV_STR), 1, 1},
    {"endswith", M_ENDSWITH, K(DTW__XV_STR), 1, 1},
    {"find", M_FIND, K(DTW__XV_STR), 1, 1},
    {"rfind", M_RFIND, K(DTW__XV_STR), 1, 1},
    {"count", M_COUNT, K(DTW__XV_STR) | K(DTW__XV_LIST) | K(DTW__XV_TUPLE), 1, 1},
    {"format", M_FORMAT, K(DTW__XV_STR), 0, -1},
    {"capitalize", M_CAPITALIZE, K(DTW__XV_STR), 0, 0},
    {"title", M_TITLE, K(DTW__XV_STR), 0, 0},
    {"isdigit", M_ISDIGIT, K(DTW__XV_STR), 0, 0},
    {"isalpha", M_ISALPHA, K(DTW__XV_STR), 0, 0},
    {"isalnum", M_ISALNUM, K(DTW__XV_STR), 0, 0},
    {"isspace", M_ISSPACE, K(DTW__XV_STR), 0, 0},
    {"zfill", M_ZFILL, K(DTW__XV_STR), 1, 1},
    {"index", M_INDEX, K(DTW__XV_STR) | K(DTW__XV_LIST) | K(DTW__XV_TUPLE), 1, 1},
    {"keys", M_KEYS, K(DTW__XV_DICT), 0, 0},
    {"values", M_VALUES, K(DTW__XV_DICT), 0, 0},
    {"items", M_ITEMS, K(DTW__XV_DICT), 0, 0},
    {"get", M_GET, K(DTW__XV_DICT), 1, 2},
};

/* math names we know but do not implement: refused by name instead of "not defined" */
static const char *const g_math_unsupported[] = {"comb", "dist", "frexp", "isqrt", "lcm", "modf",
                                                 "nextafter", "perm", "prod", "ulp", "cbrt",
                                                 "exp2"};

static const struct {
  const char *name;
  double v;
} g_consts[] = {{"pi", M_PI}, {"e", M_E}, {"tau", 2 * M_PI}, {"inf", INFINITY}, {"nan", NAN}};

#define everr dtw__xeval_err

static int nomem(dtw__xeval_t *ev) { return everr(ev, DTW_ENOMEM, "out of memory"); }

const char *dtw__xfunc_name(long long fn) {
  for (size_t k = 0; k < sizeof g_funcs / sizeof g_funcs[0]; k++)
    if (g_funcs[k].id == fn) return g_funcs[k].name;
  for (size_t k = 0; k < sizeof g_methods / sizeof g_methods[0]; k++)
    if (g_methods[k].id == fn) return g_methods[k].name;
  return "?";
}

static int name_is(const char *a, const char *name, size_t nlen) {
  return strlen(a) == nlen && memcmp(a, name, nlen) == 0;
}

/* Look name up among entries visible under mask. */
static int find_in(unsigned mask, const char *name, size_t nlen, dtw__xval_t *out) {
  if (mask & (W_G | W_M)) {
    for (size_t k = 0; k < sizeof g_consts / sizeof g_consts[0]; k++)
      if (name_is(g_consts[k].name, name, nlen)) {
        dtw__xval_set_float(out, g_consts[k].v);
        return 0;
      }
  }
  for (size_t k = 0; k < sizeof g_funcs / sizeof g_funcs[0]; k++)
    if ((g_funcs[k].where & mask) && name_is(g_funcs[k].name, name, nlen))
      return dtw__xval_set_func(out, g_funcs[k].id, NULL);
  return DTW__XNOTFOUND;
}

int dtw__xbuiltin_global(const char *name, size_t nlen, dtw__xval_t *out) {
  static const struct {
    const char *name;
    int ns;
  } spaces[] = {{"math", DTW__XNS_MATH}, {"python", DTW__XNS_PYTHON}, {"xacro", DTW__XNS_XACRO}};
  for (size_t k = 0; k < sizeof spaces / sizeof spaces[0]; k++)
    if (name_is(spaces[k].name, name, nlen)) {
      memset(out, 0, sizeof *out);
      out->kind = DTW__XV_NS;
      out->i = spaces[k].ns;
      return 0;
    }
  return find_in(W_G, name, nlen, out);
}

int dtw__xexpr_is_global(const char *name) {
  dtw__xval_t v;
  memset(&v, 0, sizeof v);
  int r = dtw__xbuiltin_global(name, strlen(name), &v);
  dtw__xval_fini(&v);
  return r == 0;
}

/* Function id by name among the $(eval) helpers (for the expander's lookup). */
int dtw__xfunc_id(const char *name, int first, int last);
int dtw__xfunc_id(const char *name, int first, int last) {
  for (size_t k = 0; k < sizeof g_funcs / sizeof g_funcs[0]; k++)
    if (g_funcs[k].id >= first && g_funcs[k].id <= last && strcmp(g_funcs[k].name, name) == 0)
      return g_funcs[k].id;
  return 0;
}

int dtw__xbuiltin_attr(dtw__xeval_t *ev, const dtw__xval_t *obj, const char *name, size_t nlen,
                       dtw__xval_t *out) {
  if (obj->kind == DTW__XV_NS) {
    unsigned mask = obj->i == DTW__XNS_MATH ? W_M : obj->i == DTW__XNS_PYTHON ? W_P : W_X;
    int r = find_in(mask, name, nlen, out);
    if (r == 0) return 0;
    if (mask == W_M)
      for (size_t k = 0; k < sizeof g_math_unsupported / sizeof g_math_unsupported[0]; k++)
        if (name_is(g_math_unsupported[k], name, nlen))
          return everr(ev, DTW_EUNSUP, "math.%s is not supported", g_math_unsupported[k]);
    return DTW__XNOTFOUND;
  }
  for (size_t k = 0; k < sizeof g_methods / sizeof g_methods[0]; k++)
    if ((g_methods[k].kinds & K(obj->kind)) && name_is(g_methods[k].name, name, nlen))
      return dtw__xval_set_func(out, g_methods[k].id, obj) < 0 ? nomem(ev) : 0;
  return DTW__XNOTFOUND;
}

/* ---- helpers --------------------------------------------------------------------------- */

static int is_num(const dtw__xval_t *v) {
  return v->kind == DTW__XV_INT || v->kind == DTW__XV_FLOAT || v->kind == DTW__XV_BOOL;
}
static double num_f(const dtw__xval_t *v) {
  return v->kind == DTW__XV_FLOAT ? v->f : (double)v->i;
}

int dtw__xval_float_to_int(dtw__xeval_t *ev, double f, dtw__xval_t *out) {
  if (isnan(f) || isinf(f))
    return everr(ev, DTW_ERANGE, "cannot convert %s to integer", isnan(f) ? "nan" : "inf");
  if (f >= 9223372036854775808.0 || f < -9223372036854775808.0)
    return everr(ev, DTW_ERANGE, "integer overflow (ints are 64-bit here)");
  dtw__xval_set_int(out, (long long)f);
  return 0;
}

static int new_str(dtw__xeval_t *ev, dtw__xval_t *out, const char *s, size_t n) {
  return dtw__xval_set_str(out, s, n) < 0 ? nomem(ev) : 0;
}

/* Append a copy of item to container c. */
static int push(dtw__xeval_t *ev, dtw__xval_t *c, const dtw__xval_t *item) {
  dtw__xval_t v;
  int r;
  if (dtw__xval_copy(&v, item) < 0) return nomem(ev);
  if ((r = dtw__xval_append(c, NULL, &v)) < 0) {
    dtw__xval_fini(&v);
    return r == DTW_ERANGE ? everr(ev, r, "container too large or nested too deeply") : nomem(ev);
  }
  return 0;
}

/* Append a new tuple (a, b) to c (takes a and b). */
static int push_pair(dtw__xeval_t *ev, dtw__xval_t *c, dtw__xval_t *a, dtw__xval_t *b) {
  dtw__xval_t t;
  int r;
  if (dtw__xval_new_container(&t, DTW__XV_TUPLE, 2) < 0) return nomem(ev);
  if (dtw__xval_append(&t, NULL, a) < 0 || dtw__xval_append(&t, NULL, b) < 0 ||
      (r = dtw__xval_append(c, NULL, &t)) < 0) {
    dtw__xval_fini(&t);
    return everr(ev, DTW_ERANGE, "container too large or nested too deeply");
  }
  return 0;
}

static int call_value(dtw__xeval_t *ev, const dtw__xval_t *fn, const dtw__xval_t *arg,
                      dtw__xval_t *out) {
  if (fn->kind != DTW__XV_FUNC)
    return everr(ev, DTW_EPARSE, "'%s' object is not callable", dtw__xval_type_name(fn));
  return dtw__xbuiltin_call(ev, fn, arg, 1, NULL, NULL, NULL, 0, out);
}

/* ---- python builtins ------------------------------------------------------------------- */

static int to_number(dtw__xeval_t *ev, int fn, const dtw__xval_t *args, int n, dtw__xval_t *out) {
  if (n == 0) {
    if (fn == F_INT) dtw__xval_set_int(out, 0);
    else dtw__xval_set_float(out, 0.0);
    return 0;
  }
  const dtw__xval_t *v = &args[0];
  if (v->kind == DTW__XV_STR) {
    long long iv;
    double fv;
    if (fn == F_INT && n == 2) {
      if (args[1].kind != DTW__XV_INT || args[1].i < 2 || args[1].i > 36)
        return everr(ev, DTW_EPARSE, "int() base must be >= 2 and <= 36");
      char buf[80];
      size_t l = v->len < sizeof buf - 1 ? v->len : sizeof buf - 1;
      memcpy(buf, v->s, l);
      buf[l] = '\0';
      char *end = NULL;
      long long x = strtoll(buf, &end, (int)args[1].i);
      while (end != NULL && isspace((unsigned char)*end)) end++;
      if (end == NULL || *end != '\0' || end == buf || v->len >= sizeof buf - 1)
        return everr(ev, DTW_EPARSE, "invalid literal for int() with base %lld: '%.40s'",
                     args[1].i, v->s);
      dtw__xval_set_int(out, x);
      return 0;
    }
    if (fn == F_INT) {
      int r = dtw__xval_parse_int(v->s, v->len, &iv);
      if (r == -2) return everr(ev, DTW_ERANGE, "integer overflow (ints are 64-bit here)");
      if (r == 0) {
        dtw__xval_set_int(out, iv);
        return 0;
      }
    } else if (dtw__xval_parse_float(v->s, v->len, &fv) == 0) {
      dtw__xval_set_float(out, fv);
      return 0;
    }
    return everr(ev, DTW_EPARSE, "invalid literal for %s(): '%.40s'", fn == F_INT ? "int" : "float",
                 v->s);
  }
  if (!is_num(v) || n == 2)
    return everr(ev, DTW_EPARSE, "%s() argument must be a string or a number, not '%s'",
                 fn == F_INT ? "int" : "float", dtw__xval_type_name(v));
  if (fn == F_FLOAT) {
    dtw__xval_set_float(out, num_f(v));
    return 0;
  }
  if (v->kind == DTW__XV_FLOAT) return dtw__xval_float_to_int(ev, trunc(v->f), out);
  dtw__xval_set_int(out, v->i);
  return 0;
}

static int minmax(dtw__xeval_t *ev, int fn, const dtw__xval_t *args, int n, dtw__xval_t *out) {
  dtw__xval_t items;
  const dtw__xval_t *list = args;
  int count = n, r = 0;
  memset(&items, 0, sizeof items);
  if (n == 1) {
    if ((r = dtw__xeval_items(ev, &args[0], &items)) < 0) return r;
    list = items.o->items;
    count = (int)items.o->n;
  }
  if (count == 0) {
    dtw__xval_fini(&items);
    return everr(ev, DTW_EPARSE, "%s() arg is an empty sequence", fn == F_MIN ? "min" : "max");
  }
  int best = 0;
  for (int k = 1; k < count && r == 0; k++) {
    int lt;
    r = fn == F_MIN ? dtw__xeval_less(ev, &list[k], &list[best], &lt)
                    : dtw__xeval_less(ev, &list[best], &list[k], &lt);
    if (r == 0 && lt) best = k;
  }
  if (r == 0 && dtw__xval_copy(out, &list[best]) < 0) r = nomem(ev);
  dtw__xval_fini(&items);
  return r;
}

/* insertion sort keeps equal items in order (Python's sort is stable) */
static int sort_items(dtw__xeval_t *ev, dtw__xval_t *list, int reverse) {
  dtw__xval_t *a = list->o->items;
  int r;
  for (size_t i = 1; i < list->o->n; i++) {
    if ((r = dtw__xeval_charge(ev, i * 4)) < 0) return r;
    dtw__xval_t key = a[i];
    size_t j = i;
    while (j > 0) {
      int lt;
      if ((r = reverse ? dtw__xeval_less(ev, &a[j - 1], &key, &lt)
                       : dtw__xeval_less(ev, &key, &a[j - 1], &lt)) < 0) {
        a[j] = key;
        return r;
      }
      if (!lt) break;
      a[j] = a[j - 1];
      j--;
    }
    a[j] = key;
  }
  return 0;
}

static int do_round(dtw__xeval_t *ev, const dtw__xval_t *args, int n, dtw__xval_t *out) {
  if (!is_num(&args[0]))
    return everr(ev, DTW_EPARSE, "type %s doesn't define __round__", dtw__xval_type_name(&args[0]));
  double x = num_f(&args[0]);
  if (n == 1 || args[1].kind == DTW__XV_NONE) {
    if (args[0].kind != DTW__XV_FLOAT) dtw__xval_set_int(out, args[0].i);
    else return dtw__xval_float_to_int(ev, nearbyint(x), out); /* half to even, as Python 3 */
    return 0;
  }
  if (args[1].kind != DTW__XV_INT && args[1].kind != DTW__XV_BOOL)
    return everr(ev, DTW_EPARSE, "round(): ndigits must be an int");
  long long nd = args[1].i;
  if (args[0].kind != DTW__XV_FLOAT && nd >= 0) {
    dtw__xval_set_int(out, args[0].i);
    return 0;
  }
  if (nd > 300 || nd < -300 || isinf(x) || isnan(x)) {
    dtw__xval_set_float(out, nd < -300 && !isnan(x) && !isinf(x) ? 0.0 * x : x);
    return 0;
  }
  if (nd >= 0) {
    /* decimal rounding through text, which avoids x * 10**nd losing digits */
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", (int)nd, x);
    dtw__xval_set_float(out, strtod(buf, NULL));
  } else {
    double scale = pow(10.0, (double)-nd);
    dtw__xval_set_float(out, nearbyint(x / scale) * scale);
  }
  if (args[0].kind != DTW__XV_FLOAT) return dtw__xval_float_to_int(ev, out->f, out);
  return 0;
}

static int python_builtin(dtw__xeval_t *ev, int fn, const dtw__xval_t *args, int n,
                          const char *const *kwn, const size_t *kwl, const dtw__xval_t *kwv,
                          int nkw, dtw__xval_t *out) {
  dtw__xval_t items;
  int r = 0;
  memset(&items, 0, sizeof items);
  switch (fn) {
  case F_LEN:
    if (args[0].kind == DTW__XV_STR) {
      size_t c = 0;
      for (size_t i = 0; i < args[0].len; i++) c += ((unsigned char)args[0].s[i] & 0xc0) != 0x80;
      dtw__xval_set_int(out, (long long)c);
    } else if (args[0].kind == DTW__XV_LIST || args[0].kind == DTW__XV_TUPLE ||
               args[0].kind == DTW__XV_DICT) {
      dtw__xval_set_int(out, (long long)args[0].o->n);
    } else {
      return everr(ev, DTW_EPARSE, "object of type '%s' has no len()",
                   dtw__xval_type_name(&args[0]));
    }
    return 0;
  case F_STR:
  case F_REPR: {
    if (n == 0) return new_str(ev, out, "", 0);
    char *s;
    size_t l;
    r = fn == F_STR ? dtw__xval_to_str(&args[0], &s, &l) : dtw__xval_repr(&args[0], &s, &l);
    if (r < 0) return r == DTW_ERANGE ? everr(ev, r, "string too long") : nomem(ev);
    memset(out, 0, sizeof *out);
    out->kind = DTW__XV_STR;
    out->s = s;
    out->len = l;
    return 0;
  }
  case F_FLOAT:
  case F_INT:
    return to_number(ev, fn, args, n, out);
  case F_BOOL:
    dtw__xval_set_bool(out, n > 0 && dtw__xval_truthy(&args[0]));
    return 0;
  case F_MIN:
  case F_MAX:
    return minmax(ev, fn, args, n, out);
  case F_ROUND:
    return do_round(ev, args, n, out);
  case F_ABS:
    if (args[0].kind == DTW__XV_FLOAT) dtw__xval_set_float(out, fabs(args[0].f));
    else if (!is_num(&args[0]))
      return everr(ev, DTW_EPARSE, "bad operand type for abs(): '%s'", dtw__xval_type_name(&args[0]));
    else if (args[0].i == LLONG_MIN) return everr(ev, DTW_ERANGE, "integer overflow");
    else dtw__xval_set_int(out, args[0].i < 0 ? -args[0].i : args[0].i);
    return 0;
  case F_ORD:
    if (args[0].kind != DTW__XV_STR || args[0].len == 0)
      return everr(ev, DTW_EPARSE, "ord() expected a character");
    {
      const unsigned char *s = (const unsigned char *)args[0].s;
      unsigned long cp = s[0];
      size_t need = cp < 0x80 ? 1 : cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;
      if (need != args[0].len) return everr(ev, DTW_EPARSE, "ord() expected a character");
      if (need > 1) cp &= need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07;
      for (size_t k = 1; k < need; k++) cp = (cp << 6) | (s[k] & 0x3f);
      dtw__xval_set_int(out, (long long)cp);
    }
    return 0;
  case F_DIVMOD: {
    dtw__xval_t q, m;
    if ((r = dtw__xeval_binary(ev, DTW__OP_FDIV, &args[0], &args[1], &q)) < 0) return r;
    if ((r = dtw__xeval_binary(ev, DTW__OP_MOD, &args[0], &args[1], &m)) < 0) {
      dtw__xval_fini(&q);
      return r;
    }
    if (dtw__xval_new_container(out, DTW__XV_TUPLE, 2) < 0) return nomem(ev);
    dtw__xval_append(out, NULL, &q);
    dtw__xval_append(out, NULL, &m);
    return 0;
  }
  case F_RANGE: {
    long long v[3] = {0, 0, 1};
    for (int k = 0; k < n; k++)
      if (args[k].kind != DTW__XV_INT && args[k].kind != DTW__XV_BOOL)
        return everr(ev, DTW_EPARSE, "range() arguments must be integers");
    if (n == 1) v[1] = args[0].i;
    for (int k = 0; n > 1 && k < n; k++) v[k] = args[k].i;
    if (v[2] == 0) return everr(ev, DTW_EPARSE, "range() arg 3 must not be zero");
    if (dtw__xval_new_container(out, DTW__XV_LIST, 0) < 0) return nomem(ev);
    for (long long i = v[0]; v[2] > 0 ? i < v[1] : i > v[1]; i += v[2]) {
      dtw__xval_t x;
      dtw__xval_set_int(&x, i);
      if ((r = dtw__xeval_charge(ev, 16)) < 0 || (r = push(ev, out, &x)) < 0) {
        dtw__xval_fini(out);
        return r;
      }
      if ((v[2] > 0 && i > LLONG_MAX - v[2]) || (v[2] < 0 && i < LLONG_MIN - v[2])) break;
    }
    return 0;
  }
  case F_DICT:
    if (dtw__xval_new_container(out, DTW__XV_DICT, 0) < 0) return nomem(ev);
    if (n == 1 && args[0].kind == DTW__XV_DICT) {
      for (size_t k = 0; k < args[0].o->n && r == 0; k++) {
        dtw__xval_t key, val;
        if (dtw__xval_copy(&key, &args[0].o->keys[k]) < 0 ||
            dtw__xval_copy(&val, &args[0].o->items[k]) < 0 ||
            dtw__xval_append(out, &key, &val) < 0)
          r = nomem(ev);
      }
    } else if (n == 1) {
      if ((r = dtw__xeval_items(ev, &args[0], &items)) == 0) {
        for (size_t k = 0; k < items.o->n && r == 0; k++) {
          dtw__xval_t pair;
          if ((r = dtw__xeval_items(ev, &items.o->items[k], &pair)) < 0) break;
          if (pair.o->n != 2) {
            r = everr(ev, DTW_EPARSE, "dictionary update sequence element has length %zu; 2 is "
                      "required", pair.o->n);
          } else {
            dtw__xval_t key, val;
            if (dtw__xval_copy(&key, &pair.o->items[0]) < 0 ||
                dtw__xval_copy(&val, &pair.o->items[1]) < 0 ||
                dtw__xval_append(out, &key, &val) < 0)
              r = nomem(ev);
          }
          dtw__xval_fini(&pair);
        }
      }
    }
    for (int k = 0; k < nkw && r == 0; k++) {
      dtw__xval_t key, val;
      if (dtw__xval_set_str(&key, kwn[k], kwl[k]) < 0 || dtw__xval_copy(&val, &kwv[k]) < 0 ||
          dtw__xval_append(out, &key, &val) < 0)
        r = nomem(ev);
    }
    dtw__xval_fini(&items);
    if (r < 0) dtw__xval_fini(out);
    return r;
  case F_DOTIFY:
    if (n == 0) {
      if (dtw__xval_new_container(out, DTW__XV_DICT, 0) < 0) return nomem(ev);
      out->o->dotted = 1;
      return 0;
    }
    if (args[0].kind != DTW__XV_DICT) return everr(ev, DTW_EPARSE, "dotify() needs a dict");
    /* a dotted copy: values are shared */
    if ((r = python_builtin(ev, F_DICT, args, 1, NULL, NULL, NULL, 0, out)) < 0) return r;
    out->o->dotted = 1;
    return 0;
  default:
    break;
  }
  /* the rest take an iterable */
  if (n == 0) {
    if (fn == F_LIST || fn == F_TUPLE || fn == F_ZIP)
      return dtw__xval_new_container(out, fn == F_TUPLE ? DTW__XV_TUPLE : DTW__XV_LIST, 0) < 0
                 ? nomem(ev)
                 : 0;
    return everr(ev, DTW_EPARSE, "%s() takes at least 1 argument", dtw__xfunc_name(fn));
  }
  if (fn == F_ZIP) {
    dtw__xval_t lists[16];
    size_t shortest = (size_t)-1;
    int got = 0;
    if (n > 16) return everr(ev, DTW_EUNSUP, "zip() of more than 16 iterables");
    for (; got < n && r == 0; got++) {
      if ((r = dtw__xeval_items(ev, &args[got], &lists[got])) < 0) break;
      if (lists[got].o->n < shortest) shortest = lists[got].o->n;
    }
    if (r == 0 && dtw__xval_new_container(out, DTW__XV_LIST, 0) < 0) r = nomem(ev);
    for (size_t i = 0; r == 0 && i < shortest; i++) {
      dtw__xval_t t;
      if (dtw__xval_new_container(&t, DTW__XV_TUPLE, (size_t)n) < 0) {
        r = nomem(ev);
        break;
      }
      for (int k = 0; k < n && r == 0; k++) r = push(ev, &t, &lists[k].o->items[i]);
      if (r == 0 && (r = dtw__xval_append(out, NULL, &t)) < 0) r = nomem(ev);
      if (r < 0) dtw__xval_fini(&t);
    }
    for (int k = 0; k < got; k++) dtw__xval_fini(&lists[k]);
    if (r < 0 && out->o != NULL) dtw__xval_fini(out);
    return r;
  }
  if ((r = dtw__xeval_items(ev, &args[fn == F_MAP ? 1 : 0], &items)) < 0) return r;
  const dtw__xval_t *it = items.o->items;
  size_t cnt = items.o->n;
  switch (fn) {
  case F_LIST:
  case F_TUPLE:
  case F_REVERSED:
  case F_SORTED:
  case F_MAP:
  case F_ENUMERATE: {
    int reverse = 0;
    for (int k = 0; k < nkw; k++) {
      if (fn == F_SORTED && name_is("reverse", kwn[k], kwl[k])) reverse = dtw__xval_truthy(&kwv[k]);
      else r = everr(ev, DTW_EUNSUP, "%s(): keyword argument '%.*s' is not supported",
                     dtw__xfunc_name(fn), (int)kwl[k], kwn[k]);
    }
    if (r < 0) break;
    if (dtw__xval_new_container(out, fn == F_TUPLE ? DTW__XV_TUPLE : DTW__XV_LIST, cnt) < 0) {
      r = nomem(ev);
      break;
    }
    long long start = fn == F_ENUMERATE && n > 1 ? args[1].i : 0;
    for (size_t k = 0; k < cnt && r == 0; k++) {
      const dtw__xval_t *src = &it[fn == F_REVERSED ? cnt - 1 - k : k];
      if (fn == F_MAP) {
        dtw__xval_t y;
        if ((r = call_value(ev, &args[0], src, &y)) == 0 && dtw__xval_append(out, NULL, &y) < 0) {
          dtw__xval_fini(&y);
          r = nomem(ev);
        }
      } else if (fn == F_ENUMERATE) {
        dtw__xval_t i, v;
        dtw__xval_set_int(&i, start + (long long)k);
        if (dtw__xval_copy(&v, src) < 0) r = nomem(ev);
        else r = push_pair(ev, out, &i, &v);
      } else {
        r = push(ev, out, src);
      }
    }
    if (r == 0 && fn == F_SORTED) r = sort_items(ev, out, reverse);
    if (r < 0) dtw__xval_fini(out);
    break;
  }
  case F_ALL:
  case F_ANY: {
    int res = fn == F_ALL;
    for (size_t k = 0; k < cnt; k++)
      if (dtw__xval_truthy(&it[k]) != (fn == F_ALL)) {
        res = !res;
        break;
      }
    dtw__xval_set_bool(out, res);
    break;
  }
  case F_SUM: {
    dtw__xval_t acc;
    if (n > 1) {
      if (args[1].kind == DTW__XV_STR) {
        r = everr(ev, DTW_EPARSE, "sum() can't sum strings");
        break;
      }
      dtw__xval_copy(&acc, &args[1]);
    } else {
      dtw__xval_set_int(&acc, 0);
    }
    for (size_t k = 0; k < cnt && r == 0; k++) {
      dtw__xval_t next;
      if ((r = dtw__xeval_binary(ev, DTW__OP_ADD, &acc, &it[k], &next)) == 0) {
        dtw__xval_fini(&acc);
        acc = next;
      }
    }
    if (r == 0) *out = acc;
    else dtw__xval_fini(&acc);
    break;
  }
  default:
    r = everr(ev, DTW_EUNSUP, "function '%s' is not supported", dtw__xfunc_name(fn));
    break;
  }
  dtw__xval_fini(&items);
  return r;
}

/* ---- xacro.tokenize -------------------------------------------------------------------- */

static int tokenize(dtw__xeval_t *ev, const dtw__xval_t *args, int n, const char *const *kwn,
                    const size_t *kwl, const dtw__xval_t *kwv, int nkw, dtw__xval_t *out) {
  const char *sep = ",; ";
  size_t seplen = 3;
  int skip_empty = 1, r;
  if (args[0].kind != DTW__XV_STR) return everr(ev, DTW_EPARSE, "tokenize() needs a string");
  if (n > 1) {
    if (args[1].kind != DTW__XV_STR) return everr(ev, DTW_EPARSE, "tokenize(): sep must be a str");
    sep = args[1].s;
    seplen = args[1].len;
  }
  if (n > 2) skip_empty = dtw__xval_truthy(&args[2]);
  for (int k = 0; k < nkw; k++) {
    if (name_is("sep", kwn[k], kwl[k]) && kwv[k].kind == DTW__XV_STR) {
      sep = kwv[k].s;
      seplen = kwv[k].len;
    } else if (name_is("skip_empty", kwn[k], kwl[k])) {
      skip_empty = dtw__xval_truthy(&kwv[k]);
    } else {
      return everr(ev, DTW_EPARSE, "tokenize(): unexpected keyword '%.*s'", (int)kwl[k], kwn[k]);
    }
  }
  if (dtw__xval_new_container(out, DTW__XV_LIST, 0) < 0) return nomem(ev);
  const char *s = args[0].s;
  size_t start = 0;
  for (size_t i = 0; i <= args[0].len; i++) {
    if (i < args[0].len && memchr(sep, s[i], seplen) == NULL) continue;
    if (i > start || !skip_empty) {
      dtw__xval_t tok;
      if (dtw__xval_set_str(&tok, s + start, i - start) < 0 ||
          (r = dtw__xval_append(out, NULL, &tok)) < 0) {
        dtw__xval_fini(&tok);
        dtw__xval_fini(out);
        return nomem(ev);
      }
    }
    start = i + 1;
  }
  return 0;
}

/* ---- dispatch -------------------------------------------------------------------------- */

int dtw__xmethod_call(dtw__xeval_t *ev, int fn, const dtw__xval_t *self, const dtw__xval_t *args,
                      int n, const char *const *kwn, const size_t *kwl, const dtw__xval_t *kwv,
                      int nkw, dtw__xval_t *out);

int dtw__xbuiltin_call(dtw__xeval_t *ev, const dtw__xval_t *fn, const dtw__xval_t *args,
                       int nargs, const char *const *kwnames, const size_t *kwlens,
                       const dtw__xval_t *kwvals, int nkw, dtw__xval_t *out) {
  int id = (int)fn->i, min_args = 0, max_args = -1;
  const char *name = dtw__xfunc_name(id);
  int r;
  memset(out, 0, sizeof *out);
  if ((r = dtw__xeval_charge(ev, 0)) < 0) return r;
  if (fn->o != NULL) {
    for (size_t k = 0; k < sizeof g_methods / sizeof g_methods[0]; k++)
      if (g_methods[k].id == id) {
        min_args = g_methods[k].min_args;
        max_args = g_methods[k].max_args;
      }
  } else {
    for (size_t k = 0; k < sizeof g_funcs / sizeof g_funcs[0]; k++)
      if (g_funcs[k].id == id) {
        min_args = g_funcs[k].min_args;
        max_args = g_funcs[k].max_args;
      }
  }
  if (nargs < min_args || (max_args >= 0 && nargs > max_args)) {
    if (min_args == max_args)
      return everr(ev, DTW_EPARSE, "%s() takes %d argument%s (%d given)", name, min_args,
                   min_args == 1 ? "" : "s", nargs);
    if (max_args < 0)
      return everr(ev, DTW_EPARSE, "%s() takes at least %d argument%s (%d given)", name,
                   min_args, min_args == 1 ? "" : "s", nargs);
    return everr(ev, DTW_EPARSE, "%s() takes from %d to %d arguments (%d given)", name, min_args,
                 max_args, nargs);
  }
  if (fn->o != NULL)
    return dtw__xmethod_call(ev, id, &fn->o->items[0], args, nargs, kwnames, kwlens, kwvals, nkw,
                             out);
  if (id == F_TOKENIZE) return tokenize(ev, args, nargs, kwnames, kwlens, kwvals, nkw, out);
  if (id > DTW__XF_HOOKS) {
    int loc = id == DTW__XF_WARNING || id == DTW__XF_ERROR;
    for (int k = 0; k < nkw; k++) {
      if ((id == DTW__XF_MESSAGE || id == DTW__XF_WARNING || id == DTW__XF_ERROR) &&
          name_is("print_location", kwnames[k], kwlens[k]))
        loc = dtw__xval_truthy(&kwvals[k]);
      else
        return everr(ev, DTW_EPARSE, "%s() got an unexpected keyword argument '%.*s'", name,
                     (int)kwlens[k], kwnames[k]);
    }
    if (ev->ctx == NULL || ev->ctx->xcall == NULL)
      return everr(ev, DTW_EUNSUP, "xacro.%s() is not available here", name);
    r = ev->ctx->xcall(ev->ctx->user, id, args, nargs, out, ev->err, ev->errlen);
    if (r == 0 && loc && id != DTW__XF_PRINT_LOCATION) {
      dtw__xval_t ignored;
      r = ev->ctx->xcall(ev->ctx->user, DTW__XF_PRINT_LOCATION, NULL, 0, &ignored, ev->err,
                         ev->errlen);
      dtw__xval_fini(&ignored);
    }
    return r;
  }
  if (nkw > 0 && id != F_DICT && id != F_SORTED)
    return everr(ev, DTW_EPARSE, "%s() takes no keyword arguments", name);
  if (id >= F_SIN && id <= F_FSUM) return dtw__xmath_call(ev, id, args, nargs, out);
  return python_builtin(ev, id, args, nargs, kwnames, kwlens, kwvals, nkw, out);
}
