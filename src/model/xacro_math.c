/* xacro_math.c - the math module as ros/xacro exposes it in ${...} (bare and as
 * math.<name>): Python's results and errors (math domain error, OverflowError for
 * results out of range, ints from floor/ceil/trunc). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xexpr.h"

#define everr dtw__xeval_err

static int is_num(const dtw__xval_t *v) {
  return v->kind == DTW__XV_INT || v->kind == DTW__XV_FLOAT || v->kind == DTW__XV_BOOL;
}
static double num_f(const dtw__xval_t *v) {
  return v->kind == DTW__XV_FLOAT ? v->f : (double)v->i;
}

static int float_result(dtw__xeval_t *ev, double f, dtw__xval_t *out) {
  if (isinf(f)) return everr(ev, DTW_ERANGE, "float result out of range");
  dtw__xval_set_float(out, f);
  return 0;
}

static int domain_error(dtw__xeval_t *ev, const char *fn) {
  return everr(ev, DTW_ERANGE, "%s(): math domain error", fn);
}

int dtw__xmath_call(dtw__xeval_t *ev, int fn, const dtw__xval_t *args, int n, dtw__xval_t *out) {
  int r;
  if (fn == F_FSUM) {
    dtw__xval_t items;
    if ((r = dtw__xeval_items(ev, &args[0], &items)) < 0) return r;
    double acc = 0.0;
    for (size_t k = 0; k < items.o->n && r == 0; k++) {
      if (!is_num(&items.o->items[k])) r = everr(ev, DTW_EPARSE, "fsum(): must be real numbers");
      else acc += num_f(&items.o->items[k]);
    }
    dtw__xval_fini(&items);
    return r < 0 ? r : float_result(ev, acc, out);
  }
  const char *name = dtw__xfunc_name(fn);
  for (int k = 0; k < n; k++)
    if (!is_num(&args[k]))
      return everr(ev, DTW_EPARSE, "%s(): must be a real number, not %s", name,
                   dtw__xval_type_name(&args[k]));
  double x = n > 0 ? num_f(&args[0]) : 0.0, y = n > 1 ? num_f(&args[1]) : 0.0;
  switch (fn) {
  case F_SIN: return isinf(x) ? domain_error(ev, name) : float_result(ev, sin(x), out);
  case F_COS: return isinf(x) ? domain_error(ev, name) : float_result(ev, cos(x), out);
  case F_TAN: return isinf(x) ? domain_error(ev, name) : float_result(ev, tan(x), out);
  case F_ASIN: return x < -1 || x > 1 ? domain_error(ev, name) : float_result(ev, asin(x), out);
  case F_ACOS: return x < -1 || x > 1 ? domain_error(ev, name) : float_result(ev, acos(x), out);
  case F_ATAN: return float_result(ev, atan(x), out);
  case F_ATAN2: return float_result(ev, atan2(x, y), out);
  case F_SINH: return float_result(ev, sinh(x), out);
  case F_COSH: return float_result(ev, cosh(x), out);
  case F_TANH: return float_result(ev, tanh(x), out);
  case F_ASINH: return float_result(ev, asinh(x), out);
  case F_ACOSH: return x < 1 ? domain_error(ev, name) : float_result(ev, acosh(x), out);
  case F_ATANH: return x <= -1 || x >= 1 ? domain_error(ev, name) : float_result(ev, atanh(x), out);
  case F_SQRT: return x < 0 ? domain_error(ev, name) : float_result(ev, sqrt(x), out);
  case F_EXP: return float_result(ev, exp(x), out);
  case F_EXPM1: return float_result(ev, expm1(x), out);
  case F_LOG:
    if (x <= 0 || (n == 2 && y <= 0)) return domain_error(ev, name);
    if (n == 2 && y == 1.0) return everr(ev, DTW_ERANGE, "division by zero");
    return float_result(ev, n == 2 ? log(x) / log(y) : log(x), out);
  case F_LOG10: return x <= 0 ? domain_error(ev, name) : float_result(ev, log10(x), out);
  case F_LOG2: return x <= 0 ? domain_error(ev, name) : float_result(ev, log2(x), out);
  case F_LOG1P: return x <= -1 ? domain_error(ev, name) : float_result(ev, log1p(x), out);
  case F_POW:
    /* math.pow always gives a float */
    if (x == 0.0 && y < 0) return domain_error(ev, name);
    if (x < 0 && y != floor(y)) return domain_error(ev, name);
    return float_result(ev, pow(x, y), out);
  case F_FABS: dtw__xval_set_float(out, fabs(x)); return 0;
  case F_FLOOR:
  case F_CEIL:
  case F_TRUNC:
    if (args[0].kind != DTW__XV_FLOAT) {
      dtw__xval_set_int(out, args[0].i);
      return 0;
    }
    return dtw__xval_float_to_int(ev, fn == F_FLOOR ? floor(x) : fn == F_CEIL ? ceil(x) : trunc(x),
                                  out);
  case F_RADIANS: return float_result(ev, x * M_PI / 180.0, out);
  case F_DEGREES: return float_result(ev, x * 180.0 / M_PI, out);
  case F_HYPOT: {
    double acc = 0.0;
    for (int k = 0; k < n; k++) acc = hypot(acc, num_f(&args[k]));
    return float_result(ev, acc, out);
  }
  case F_COPYSIGN: dtw__xval_set_float(out, copysign(x, y)); return 0;
  case F_FMOD:
    if (y == 0.0 || isinf(x)) return domain_error(ev, name);
    dtw__xval_set_float(out, fmod(x, y));
    return 0;
  case F_REMAINDER:
    if (y == 0.0 || isinf(x)) return domain_error(ev, name);
    dtw__xval_set_float(out, remainder(x, y));
    return 0;
  case F_ISINF: dtw__xval_set_bool(out, isinf(x)); return 0;
  case F_ISNAN: dtw__xval_set_bool(out, isnan(x)); return 0;
  case F_ISFINITE: dtw__xval_set_bool(out, isfinite(x)); return 0;
  case F_ISCLOSE: {
    double tol = 1e-09 * fmax(fabs(x), fabs(y));
    dtw__xval_set_bool(out, x == y || fabs(x - y) <= tol);
    return 0;
  }
  case F_FACTORIAL: {
    if (args[0].kind == DTW__XV_FLOAT || args[0].i < 0)
      return everr(ev, DTW_EPARSE, "factorial() only accepts non-negative integers");
    long long acc = 1;
    for (long long k = 2; k <= args[0].i; k++)
      if (__builtin_mul_overflow(acc, k, &acc))
        return everr(ev, DTW_ERANGE, "integer overflow (ints are 64-bit here)");
    dtw__xval_set_int(out, acc);
    return 0;
  }
  case F_GCD: {
    long long g = 0;
    for (int k = 0; k < n; k++) {
      if (args[k].kind == DTW__XV_FLOAT) return everr(ev, DTW_EPARSE, "gcd() needs integers");
      long long a = llabs(args[k].i == LLONG_MIN ? 0 : args[k].i), b = g;
      while (b != 0) {
        long long t = a % b;
        a = b;
        b = t;
      }
      g = a;
    }
    dtw__xval_set_int(out, g);
    return 0;
  }
  case F_ERF: dtw__xval_set_float(out, erf(x)); return 0;
  case F_ERFC: dtw__xval_set_float(out, erfc(x)); return 0;
  case F_GAMMA:
    if (x <= 0 && x == floor(x)) return domain_error(ev, name);
    return float_result(ev, tgamma(x), out);
  case F_LGAMMA:
    if (x <= 0 && x == floor(x)) return domain_error(ev, name);
    return float_result(ev, lgamma(x), out);
  case F_LDEXP:
    if (args[1].kind == DTW__XV_FLOAT) return everr(ev, DTW_EPARSE, "ldexp(): expected an int");
    r = args[1].i > 100000 ? 100000 : args[1].i < -100000 ? -100000 : (int)args[1].i;
    return float_result(ev, ldexp(x, r), out);
  default:
    return everr(ev, DTW_EUNSUP, "function '%s' is not supported", name);
  }
}

