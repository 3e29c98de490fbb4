/* xacro_eval.c - evaluation of parsed ${...} expressions with Python 3 semantics:
 * int / int is a float, // floors, % takes the divisor's sign, ** of ints stays
 * an int, and/or return an operand, comparisons chain, containers compare
 * element-wise. Ints are 64-bit: overflow is an error instead of a big int. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xexpr.h"

#define everr dtw__xeval_err

int dtw__xeval_err(dtw__xeval_t *ev, int code, const char *fmt, ...) {
  if (ev->err != NULL && ev->errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->err, ev->errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

int dtw__xeval_charge(dtw__xeval_t *ev, size_t bytes) {
  if (bytes > DTW__XSTR_MAX)
    return everr(ev, DTW_ERANGE, "string longer than %zu bytes", (size_t)DTW__XSTR_MAX);
  if (ev->ctx != NULL && ev->ctx->budget != NULL) {
    *ev->ctx->budget -= (long)(bytes / 64 + 1);
    if (*ev->ctx->budget < 0) return everr(ev, DTW_ERANGE, "expansion work limit exceeded");
  }
  return 0;
}

static int overflow(dtw__xeval_t *ev) {
  return everr(ev, DTW_ERANGE, "integer overflow (ints are 64-bit here)");
}

static int zero_div(dtw__xeval_t *ev) { return everr(ev, DTW_ERANGE, "division by zero"); }

static int nomem(dtw__xeval_t *ev) { return everr(ev, DTW_ENOMEM, "out of memory"); }

/* Map a failed container append to a message. */
static int append_failed(dtw__xeval_t *ev, int r) {
  if (r == DTW_ERANGE)
    return everr(ev, r, "container larger than %zu items or nested deeper than %d",
                 (size_t)DTW__XLIST_MAX, DTW__XEXPR_MAX_DEPTH);
  if (r == DTW_EUNSUP) return everr(ev, r, "a namespace cannot be stored in a container");
  return nomem(ev);
}

static int float_result(dtw__xeval_t *ev, double f, dtw__xval_t *out) {
  /* Python raises OverflowError where C quietly gives inf */
  if (isinf(f)) return everr(ev, DTW_ERANGE, "float result out of range");
  dtw__xval_set_float(out, f);
  return 0;
}

static int is_num(const dtw__xval_t *v) {
  return v->kind == DTW__XV_INT || v->kind == DTW__XV_FLOAT || v->kind == DTW__XV_BOOL;
}
static int is_seq(const dtw__xval_t *v) {
  return v->kind == DTW__XV_LIST || v->kind == DTW__XV_TUPLE;
}
static double num_f(const dtw__xval_t *v) {
  return v->kind == DTW__XV_FLOAT ? v->f : (double)v->i;
}

static int ipow(dtw__xeval_t *ev, long long b, long long e, long long *out) {
  long long r = 1;
  while (e > 0) {
    if ((e & 1) && __builtin_mul_overflow(r, b, &r)) return overflow(ev);
    e >>= 1;
    if (e > 0 && __builtin_mul_overflow(b, b, &b)) return overflow(ev);
  }
  *out = r;
  return 0;
}

static const char *op_text(int op) {
  static const char *const t[] = {"?",  "+",  "-",  "*",  "/", "//", "%",      "**", "==",
                                  "!=", "<",  "<=", ">",  ">=", "in", "not in", "is", "is not"};
  return op > 0 && op < (int)(sizeof t / sizeof t[0]) ? t[op] : "?";
}

/* ---- comparisons ----------------------------------------------------------------------- */

/* Three-way order of two values for < <= > >=; DTW_EPARSE when Python would raise. */
static int order(dtw__xeval_t *ev, const dtw__xval_t *a, const dtw__xval_t *b, int *c) {
  if (is_num(a) && is_num(b)) {
    if (a->kind != DTW__XV_FLOAT && b->kind != DTW__XV_FLOAT) {
      *c = a->i < b->i ? -1 : a->i > b->i;
    } else {
      double x = num_f(a), y = num_f(b);
      if (isnan(x) || isnan(y)) {
        *c = 2; /* unordered: every ordering comparison is False */
        return 0;
      }
      *c = x < y ? -1 : x > y;
    }
    return 0;
  }
  if (a->kind == DTW__XV_STR && b->kind == DTW__XV_STR) {
    size_t m = a->len < b->len ? a->len : b->len;
    int k = memcmp(a->s, b->s, m);
    *c = k != 0 ? (k < 0 ? -1 : 1) : a->len < b->len ? -1 : a->len > b->len;
    return 0;
  }
  if (is_seq(a) && a->kind == b->kind) {
    size_t n = a->o->n < b->o->n ? a->o->n : b->o->n;
    for (size_t k = 0; k < n; k++) {
      if (dtw__xval_equal(&a->o->items[k], &b->o->items[k])) continue;
      return order(ev, &a->o->items[k], &b->o->items[k], c);
    }
    *c = a->o->n < b->o->n ? -1 : a->o->n > b->o->n;
    return 0;
  }
  return everr(ev, DTW_EPARSE, "'<' not supported between instances of '%s' and '%s'",
               dtw__xval_type_name(a), dtw__xval_type_name(b));
}

int dtw__xeval_less(dtw__xeval_t *ev, const dtw__xval_t *a, const dtw__xval_t *b, int *lt) {
  int c = 0, r = order(ev, a, b, &c);
  *lt = c == -1;
  return r;
}

static int contains(dtw__xeval_t *ev, const dtw__xval_t *item, const dtw__xval_t *box, int *in) {
  *in = 0;
  if (box->kind == DTW__XV_STR) {
    if (item->kind != DTW__XV_STR)
      return everr(ev, DTW_EPARSE, "'in <string>' requires string as left operand, not %s",
                   dtw__xval_type_name(item));
    *in = item->len == 0 || memmem(box->s, box->len, item->s, item->len) != NULL;
    return 0;
  }
  if (is_seq(box)) {
    for (size_t k = 0; k < box->o->n && !*in; k++) *in = dtw__xval_equal(item, &box->o->items[k]);
    return 0;
  }
  if (box->kind == DTW__XV_DICT) {
    *in = dtw__xval_dict_get(box, item) != NULL;
    return 0;
  }
  return everr(ev, DTW_EPARSE, "argument of type '%s' is not iterable",
               dtw__xval_type_name(box));
}

static int compare(dtw__xeval_t *ev, int op, const dtw__xval_t *a, const dtw__xval_t *b,
                   dtw__xval_t *out) {
  int c = 0, r;
  switch (op) {
  case DTW__OP_EQ:
  case DTW__OP_NE:
    dtw__xval_set_bool(out, dtw__xval_equal(a, b) == (op == DTW__OP_EQ));
    return 0;
  case DTW__OP_IN:
  case DTW__OP_NOTIN:
    if ((r = contains(ev, a, b, &c)) < 0) return r;
    dtw__xval_set_bool(out, c == (op == DTW__OP_IN));
    return 0;
  case DTW__OP_IS:
  case DTW__OP_ISNOT: {
    /* identity: shared containers are one object; equal scalars of one type count as one
     * (CPython caches small ints, interns short strings, has one None) */
    int same = a->kind == b->kind &&
               (a->o != NULL || b->o != NULL ? a->o == b->o : dtw__xval_equal(a, b));
    dtw__xval_set_bool(out, same == (op == DTW__OP_IS));
    return 0;
  }
  default:
    break;
  }
  if ((r = order(ev, a, b, &c)) < 0) {
    everr(ev, DTW_EPARSE, "'%s' not supported between instances of '%s' and '%s'", op_text(op),
          dtw__xval_type_name(a), dtw__xval_type_name(b));
    return r;
  }
  int res;
  if (c == 2) res = 0;
  else if (op == DTW__OP_LT) res = c < 0;
  else if (op == DTW__OP_LE) res = c <= 0;
  else if (op == DTW__OP_GT) res = c > 0;
  else res = c >= 0;
  dtw__xval_set_bool(out, res);
  return 0;
}

/* ---- arithmetic ------------------------------------------------------------------------ */

static int concat(dtw__xeval_t *ev, const dtw__xval_t *a, const dtw__xval_t *b, dtw__xval_t *out) {
  int r;
  if (a->kind == DTW__XV_STR) {
    if ((r = dtw__xeval_charge(ev, a->len + b->len)) < 0) return r;
    char *s = malloc(a->len + b->len + 1);
    if (s == NULL) return nomem(ev);
    memcpy(s, a->s, a->len);
    memcpy(s + a->len, b->s, b->len + 1);
    memset(out, 0, sizeof *out);
    out->kind = DTW__XV_STR;
    out->s = s;
    out->len = a->len + b->len;
    return 0;
  }
  if ((r = dtw__xeval_charge(ev, (a->o->n + b->o->n) * 16)) < 0) return r;
  if ((r = dtw__xval_new_container(out, a->kind, a->o->n + b->o->n)) < 0) return nomem(ev);
  for (int side = 0; side < 2; side++) {
    const dtw__xval_t *src = side == 0 ? a : b;
    for (size_t k = 0; k < src->o->n; k++) {
      dtw__xval_t item;
      if (dtw__xval_copy(&item, &src->o->items[k]) < 0 ||
          (r = dtw__xval_append(out, NULL, &item)) < 0) {
        dtw__xval_fini(&item);
        dtw__xval_fini(out);
        return r < 0 ? append_failed(ev, r) : nomem(ev);
      }
    }
  }
  return 0;
}

static int repeat(dtw__xeval_t *ev, const dtw__xval_t *seq, long long k, dtw__xval_t *out) {
  int r;
  if (k < 0) k = 0;
  size_t unit = seq->kind == DTW__XV_STR ? seq->len : seq->o->n;
  size_t limit = seq->kind == DTW__XV_STR ? DTW__XSTR_MAX : DTW__XLIST_MAX;
  if (unit > 0 && (unsigned long long)k > limit / unit)
    return everr(ev, DTW_ERANGE, "%s longer than %zu", seq->kind == DTW__XV_STR ? "string" : "list",
                 limit);
  size_t total = unit * (size_t)k;
  if ((r = dtw__xeval_charge(ev, seq->kind == DTW__XV_STR ? total : total * 16)) < 0) return r;
  if (seq->kind == DTW__XV_STR) {
    char *s = malloc(total + 1);
    if (s == NULL) return nomem(ev);
    for (long long i = 0; i < k; i++) memcpy(s + (size_t)i * unit, seq->s, unit);
    s[total] = '\0';
    memset(out, 0, sizeof *out);
    out->kind = DTW__XV_STR;
    out->s = s;
    out->len = total;
    return 0;
  }
  if (dtw__xval_new_container(out, seq->kind, total) < 0) return nomem(ev);
  for (size_t i = 0; i < total; i++) {
    dtw__xval_t item;
    if (dtw__xval_copy(&item, &seq->o->items[i % unit]) < 0 ||
        (r = dtw__xval_append(out, NULL, &item)) < 0) {
      dtw__xval_fini(&item);
      dtw__xval_fini(out);
      return append_failed(ev, DTW_ENOMEM);
    }
  }
  return 0;
}

int dtw__xeval_binary(dtw__xeval_t *ev, int op, const dtw__xval_t *a, const dtw__xval_t *b,
                      dtw__xval_t *out) {
  int r;
  memset(out, 0, sizeof *out);
  if (op >= DTW__OP_EQ) return compare(ev, op, a, b, out);
  if (!is_num(a) || !is_num(b)) {
    if (op == DTW__OP_ADD && a->kind == b->kind &&
        (a->kind == DTW__XV_STR || is_seq(a)))
      return concat(ev, a, b, out);
    if (op == DTW__OP_MUL) {
      const dtw__xval_t *seq = is_num(a) ? b : a, *cnt = is_num(a) ? a : b;
      if ((seq->kind == DTW__XV_STR || is_seq(seq)) && is_num(cnt) && cnt->kind != DTW__XV_FLOAT)
        return repeat(ev, seq, cnt->i, out);
    }
    if (op == DTW__OP_MOD && a->kind == DTW__XV_STR) return dtw__xfmt_percent(ev, a, b, out);
    return everr(ev, DTW_EPARSE, "unsupported operand types for %s: '%s' and '%s'", op_text(op),
                 dtw__xval_type_name(a), dtw__xval_type_name(b));
  }
  /* both numbers; bools act as ints */
  if (a->kind != DTW__XV_FLOAT && b->kind != DTW__XV_FLOAT) {
    long long x = a->i, y = b->i, z = 0;
    switch (op) {
    case DTW__OP_ADD:
      if (__builtin_add_overflow(x, y, &z)) return overflow(ev);
      dtw__xval_set_int(out, z);
      return 0;
    case DTW__OP_SUB:
      if (__builtin_sub_overflow(x, y, &z)) return overflow(ev);
      dtw__xval_set_int(out, z);
      return 0;
    case DTW__OP_MUL:
      if (__builtin_mul_overflow(x, y, &z)) return overflow(ev);
      dtw__xval_set_int(out, z);
      return 0;
    case DTW__OP_DIV:
      if (y == 0) return zero_div(ev);
      dtw__xval_set_float(out, (double)x / (double)y);
      return 0;
    case DTW__OP_FDIV:
    case DTW__OP_MOD: {
      if (y == 0) return zero_div(ev);
      if (x == LLONG_MIN && y == -1) return overflow(ev);
      long long q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        q -= 1;
        m += y;
      }
      dtw__xval_set_int(out, op == DTW__OP_FDIV ? q : m);
      return 0;
    }
    case DTW__OP_POW:
    default:
      if (y >= 0) {
        if ((r = ipow(ev, x, y, &z)) < 0) return r;
        dtw__xval_set_int(out, z);
        return 0;
      }
      if (x == 0) return zero_div(ev);
      return float_result(ev, pow((double)x, (double)y), out);
    }
  }
  double x = num_f(a), y = num_f(b);
  switch (op) {
  case DTW__OP_ADD: return float_result(ev, x + y, out);
  case DTW__OP_SUB: return float_result(ev, x - y, out);
  case DTW__OP_MUL: return float_result(ev, x * y, out);
  case DTW__OP_DIV:
    if (y == 0.0) return zero_div(ev);
    return float_result(ev, x / y, out);
  case DTW__OP_FDIV:
  case DTW__OP_MOD: {
    if (y == 0.0) return zero_div(ev);
    /* Python's float divmod */
    double m = fmod(x, y), d = (x - m) / y, q;
    if (m != 0.0) {
      if ((y < 0) != (m < 0)) {
        m += y;
        d -= 1.0;
      }
    } else {
      m = copysign(0.0, y);
    }
    if (d != 0.0) {
      q = floor(d);
      if (d - q > 0.5) q += 1.0;
    } else {
      q = copysign(0.0, x / y);
    }
    dtw__xval_set_float(out, op == DTW__OP_MOD ? m : q);
    return 0;
  }
  case DTW__OP_POW:
  default:
    if (x == 0.0 && y < 0) return zero_div(ev);
    if (x < 0 && y != floor(y)) return everr(ev, DTW_EUNSUP, "complex result of ** is not supported");
    return float_result(ev, pow(x, y), out);
  }
}

/* ---- containers ------------------------------------------------------------------------ */

/* Byte offset of code point k in a UTF-8 string (k <= number of code points). */
static size_t utf8_offset(const char *s, size_t len, size_t k) {
  size_t i = 0;
  while (i < len && k > 0) {
    i++;
    while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80) i++;
    k--;
  }
  return i;
}

static size_t utf8_count(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xc0) != 0x80;
  return n;
}

int dtw__xeval_items(dtw__xeval_t *ev, const dtw__xval_t *it, dtw__xval_t *out) {
  int r;
  if (is_seq(it)) {
    if ((r = dtw__xval_copy(out, it)) < 0) return nomem(ev);
    return 0;
  }
  if (it->kind == DTW__XV_DICT) {
    if (dtw__xval_new_container(out, DTW__XV_TUPLE, it->o->n) < 0) return nomem(ev);
    for (size_t k = 0; k < it->o->n; k++) {
      dtw__xval_t key;
      if (dtw__xval_copy(&key, &it->o->keys[k]) < 0 || dtw__xval_append(out, NULL, &key) < 0) {
        dtw__xval_fini(&key);
        dtw__xval_fini(out);
        return nomem(ev);
      }
    }
    return 0;
  }
  if (it->kind == DTW__XV_STR) {
    if ((r = dtw__xeval_charge(ev, it->len * 16)) < 0) return r;
    if (dtw__xval_new_container(out, DTW__XV_TUPLE, utf8_count(it->s, it->len)) < 0)
      return nomem(ev);
    for (size_t i = 0; i < it->len;) {
      size_t j = i + 1;
      while (j < it->len && ((unsigned char)it->s[j] & 0xc0) == 0x80) j++;
      dtw__xval_t ch;
      if (dtw__xval_set_str(&ch, it->s + i, j - i) < 0 || dtw__xval_append(out, NULL, &ch) < 0) {
        dtw__xval_fini(&ch);
        dtw__xval_fini(out);
        return nomem(ev);
      }
      i = j;
    }
    return 0;
  }
  return everr(ev, DTW_EPARSE, "'%s' object is not iterable", dtw__xval_type_name(it));
}

/* Python's slice.indices(): normalised start, stop, step and the item count. */
static int slice_indices(dtw__xeval_t *ev, const dtw__xval_t sl[3], long long n, long long *start,
                         long long *step, long long *count) {
  long long v[3] = {0, 0, 1};
  int given[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++) {
    if (sl[k].kind == DTW__XV_NONE) continue;
    if (sl[k].kind != DTW__XV_INT && sl[k].kind != DTW__XV_BOOL)
      return everr(ev, DTW_EPARSE, "slice indices must be integers or None");
    v[k] = sl[k].i;
    given[k] = 1;
  }
  long long st = v[2];
  if (st == 0) return everr(ev, DTW_EPARSE, "slice step cannot be zero");
  if (st == LLONG_MIN) return overflow(ev);
  long long lo = st < 0 ? -1 : 0, hi = st < 0 ? n - 1 : n;
  long long b = given[0] ? v[0] : (st < 0 ? hi : lo);
  long long e = given[1] ? v[1] : (st < 0 ? lo : hi);
  if (given[0]) {
    if (b < 0) b = b + n < lo ? lo : b + n;
    else if (b > hi) b = hi;
  }
  if (given[1]) {
    if (e < 0) e = e + n < lo ? lo : e + n;
    else if (e > hi) e = hi;
  }
  long long cnt = 0;
  if (st > 0 && b < e) cnt = (e - b - 1) / st + 1;
  if (st < 0 && b > e) cnt = (b - e - 1) / (-st) + 1;
  *start = b;
  *step = st;
  *count = cnt;
  return 0;
}

static int subscript(dtw__xeval_t *ev, const dtw__xval_t *obj, const dtw__xval_t *idx,
                     const dtw__xval_t *slice, dtw__xval_t *out) {
  int r;
  if (obj->kind == DTW__XV_DICT) {
    if (slice != NULL) return everr(ev, DTW_EPARSE, "dict cannot be sliced");
    const dtw__xval_t *v = dtw__xval_dict_get(obj, idx);
    if (v == NULL) {
      char *k = NULL;
      dtw__xval_repr(idx, &k, NULL);
      r = everr(ev, DTW_ENOENT, obj->o->dotted ? "The yaml dictionary has no key %.80s"
                                                 : "KeyError: %.80s",
                k != NULL ? k : "?");
      free(k);
      return r;
    }
    return dtw__xval_copy(out, v) < 0 ? nomem(ev) : 0;
  }
  if (!is_seq(obj) && obj->kind != DTW__XV_STR)
    return everr(ev, DTW_EPARSE, "'%s' object is not subscriptable", dtw__xval_type_name(obj));
  int str = obj->kind == DTW__XV_STR;
  long long n = str ? (long long)utf8_count(obj->s, obj->len) : (long long)obj->o->n;
  if (slice != NULL) {
    long long start = 0, step = 1, count = 0;
    if ((r = slice_indices(ev, slice, n, &start, &step, &count)) < 0) return r;
    if ((r = dtw__xeval_charge(ev, (size_t)count * 16)) < 0) return r;
    if (str) {
      dtw__xbuf_t b = {0};
      for (long long k = 0, i = start; k < count; k++, i += step) {
        size_t o1 = utf8_offset(obj->s, obj->len, (size_t)i);
        size_t o2 = utf8_offset(obj->s, obj->len, (size_t)i + 1);
        dtw__xbuf_add(&b, obj->s + o1, o2 - o1);
      }
      if (b.err == 0 && b.s == NULL) dtw__xbuf_add(&b, "", 0);
      if (b.err != 0) {
        free(b.s);
        return nomem(ev);
      }
      memset(out, 0, sizeof *out);
      out->kind = DTW__XV_STR;
      out->s = b.s;
      out->len = b.len;
      return 0;
    }
    if (dtw__xval_new_container(out, obj->kind, (size_t)count) < 0) return nomem(ev);
    for (long long k = 0, i = start; k < count; k++, i += step) {
      dtw__xval_t item;
      if (dtw__xval_copy(&item, &obj->o->items[i]) < 0 || dtw__xval_append(out, NULL, &item) < 0) {
        dtw__xval_fini(&item);
        dtw__xval_fini(out);
        return nomem(ev);
      }
    }
    return 0;
  }
  if (idx->kind != DTW__XV_INT && idx->kind != DTW__XV_BOOL)
    return everr(ev, DTW_EPARSE, "%s indices must be integers, not %s", dtw__xval_type_name(obj),
                 dtw__xval_type_name(idx));
  long long i = idx->i < 0 ? idx->i + n : idx->i;
  if (i < 0 || i >= n)
    return everr(ev, DTW_ERANGE, "%s index %lld out of range", dtw__xval_type_name(obj), idx->i);
  if (str) {
    size_t o1 = utf8_offset(obj->s, obj->len, (size_t)i);
    size_t o2 = utf8_offset(obj->s, obj->len, (size_t)i + 1);
    return dtw__xval_set_str(out, obj->s + o1, o2 - o1) < 0 ? nomem(ev) : 0;
  }
  return dtw__xval_copy(out, &obj->o->items[i]) < 0 ? nomem(ev) : 0;
}

/* ---- names, attributes, calls ---------------------------------------------------------- */

static int check_name(dtw__xeval_t *ev, const char *name, size_t nlen) {
  if (nlen >= 2 && name[0] == '_' && name[1] == '_')
    return everr(ev, DTW_EUNSUP, "use of invalid name '%.*s'", (int)(nlen > 40 ? 40 : nlen), name);
  if (nlen >= 128)
    return everr(ev, DTW_ENOENT, "name '%.40s...' is not defined", name);
  return 0;
}

static int lookup_name(dtw__xeval_t *ev, const dtw__xnode_t *x, dtw__xval_t *out) {
  char name[128];
  int r;
  if ((r = check_name(ev, x->name, x->nlen)) < 0) return r;
  for (int k = ev->n_locals - 1; k >= 0; k--)
    if (ev->locals[k].nlen == x->nlen && memcmp(ev->locals[k].name, x->name, x->nlen) == 0)
      return dtw__xval_copy(out, &ev->locals[k].v) < 0 ? nomem(ev) : 0;
  memcpy(name, x->name, x->nlen);
  name[x->nlen] = '\0';
  if (ev->ctx != NULL && ev->ctx->lookup != NULL) {
    r = ev->ctx->lookup(ev->ctx->user, name, out, ev->err, ev->errlen);
    if (r != DTW__XNOTFOUND) return r;
  }
  if (dtw__xbuiltin_global(name, x->nlen, out) == 0) return 0;
  return everr(ev, DTW_ENOENT, "name '%s' is not defined", name);
}

static int get_attr(dtw__xeval_t *ev, const dtw__xval_t *obj, const char *name, size_t nlen,
                    dtw__xval_t *out) {
  int r;
  if ((r = check_name(ev, name, nlen)) < 0) return r;
  if (obj->kind == DTW__XV_NS && obj->i == DTW__XNS_USER) {
    char nm[128];
    memcpy(nm, name, nlen);
    nm[nlen] = '\0';
    r = ev->ctx != NULL && ev->ctx->ns_lookup != NULL
            ? ev->ctx->ns_lookup(ev->ctx->user, obj->p, nm, out, ev->err, ev->errlen)
            : DTW__XNOTFOUND;
    if (r == DTW__XNOTFOUND) return everr(ev, DTW_ENOENT, "name '%s' is not defined", nm);
    return r;
  }
  r = dtw__xbuiltin_attr(ev, obj, name, nlen, out);
  if (r != DTW__XNOTFOUND) return r;
  if (obj->kind == DTW__XV_DICT && obj->o->dotted) {
    dtw__xval_t key;
    if (dtw__xval_set_str(&key, name, nlen) < 0) return nomem(ev);
    const dtw__xval_t *v = dtw__xval_dict_get(obj, &key);
    dtw__xval_fini(&key);
    if (v != NULL) return dtw__xval_copy(out, v) < 0 ? nomem(ev) : 0;
    return everr(ev, DTW_ENOENT, "The yaml dictionary has no key '%.*s'", (int)nlen, name);
  }
  if (obj->kind == DTW__XV_NS)
    return everr(ev, DTW_ENOENT, "name '%.*s' is not defined", (int)nlen, name);
  return everr(ev, DTW_EPARSE, "'%s' object has no attribute '%.*s'", dtw__xval_type_name(obj),
               (int)nlen, name);
}

#define MAX_CALL_ARGS 16

static int eval_comp(dtw__xeval_t *ev, const dtw__xnode_t *x, dtw__xval_t *out);

static int eval_call(dtw__xeval_t *ev, const dtw__xnode_t *x, dtw__xval_t *out) {
  dtw__xval_t fn, args[MAX_CALL_ARGS], kwvals[MAX_CALL_ARGS];
  const char *kwnames[MAX_CALL_ARGS];
  size_t kwlens[MAX_CALL_ARGS];
  int nargs = 0, nkw = 0, r;
  if ((r = dtw__xeval_node(ev, x->a, &fn)) < 0) return r;
  for (int a = x->b; a >= 0; a = ev->p->nodes[a].next) {
    const dtw__xnode_t *an = &ev->p->nodes[a];
    if (nargs + nkw >= MAX_CALL_ARGS) {
      r = everr(ev, DTW_EUNSUP, "more than %d arguments", MAX_CALL_ARGS);
      goto done;
    }
    if (an->kind == DTW__N_KW) {
      kwnames[nkw] = an->name;
      kwlens[nkw] = an->nlen;
      if ((r = dtw__xeval_node(ev, an->a, &kwvals[nkw])) < 0) goto done;
      nkw++;
    } else {
      if (nkw > 0) {
        r = everr(ev, DTW_EPARSE, "positional argument follows keyword argument");
        goto done;
      }
      if ((r = dtw__xeval_node(ev, a, &args[nargs])) < 0) goto done;
      nargs++;
    }
  }
  if (fn.kind != DTW__XV_FUNC) {
    r = everr(ev, DTW_EPARSE, "'%s' object is not callable", dtw__xval_type_name(&fn));
    goto done;
  }
  r = dtw__xbuiltin_call(ev, &fn, args, nargs, kwnames, kwlens, kwvals, nkw, out);
done:
  for (int k = 0; k < nargs; k++) dtw__xval_fini(&args[k]);
  for (int k = 0; k < nkw; k++) dtw__xval_fini(&kwvals[k]);
  dtw__xval_fini(&fn);
  return r;
}

/* Bind a for-target (NAME or TUPLE of NAMEs) to item, pushing locals. */
static int bind_target(dtw__xeval_t *ev, int target, const dtw__xval_t *item, int *pushed) {
  const dtw__xnode_t *t = &ev->p->nodes[target];
  int r;
  if (t->kind == DTW__N_NAME) {
    if ((r = check_name(ev, t->name, t->nlen)) < 0) return r;
    if (ev->n_locals >= DTW__XEVAL_MAX_LOCALS)
      return everr(ev, DTW_ERANGE, "comprehensions nested too deeply");
    if (dtw__xval_copy(&ev->locals[ev->n_locals].v, item) < 0) return nomem(ev);
    ev->locals[ev->n_locals].name = t->name;
    ev->locals[ev->n_locals].nlen = t->nlen;
    ev->n_locals++;
    (*pushed)++;
    return 0;
  }
  dtw__xval_t parts;
  if ((r = dtw__xeval_items(ev, item, &parts)) < 0) return r;
  size_t n = 0;
  for (int c = t->a; c >= 0; c = ev->p->nodes[c].next) n++;
  if (n != parts.o->n) {
    dtw__xval_fini(&parts);
    return everr(ev, DTW_EPARSE, "cannot unpack %zu values into %zu names", parts.o->n, n);
  }
  size_t k = 0;
  for (int c = t->a; c >= 0 && r == 0; c = ev->p->nodes[c].next)
    r = bind_target(ev, c, &parts.o->items[k++], pushed);
  dtw__xval_fini(&parts);
  return r;
}

static void pop_locals(dtw__xeval_t *ev, int n) {
  while (n-- > 0) dtw__xval_fini(&ev->locals[--ev->n_locals].v);
}

static int comp_clause(dtw__xeval_t *ev, int clause, int elem, dtw__xval_t *list) {
  int r;
  if (clause < 0) {
    dtw__xval_t item;
    if ((r = dtw__xeval_node(ev, elem, &item)) < 0) return r;
    if ((r = dtw__xval_append(list, NULL, &item)) < 0) {
      dtw__xval_fini(&item);
      return append_failed(ev, r);
    }
    return 0;
  }
  const dtw__xnode_t *c = &ev->p->nodes[clause];
  dtw__xval_t v;
  if ((r = dtw__xeval_node(ev, c->kind == DTW__N_FOR ? c->b : c->a, &v)) < 0) return r;
  if (c->kind == DTW__N_IFC) {
    int keep = dtw__xval_truthy(&v);
    dtw__xval_fini(&v);
    return keep ? comp_clause(ev, c->next, elem, list) : 0;
  }
  dtw__xval_t items;
  r = dtw__xeval_items(ev, &v, &items);
  dtw__xval_fini(&v);
  if (r < 0) return r;
  for (size_t k = 0; k < items.o->n && r == 0; k++) {
    int pushed = 0;
    if ((r = dtw__xeval_charge(ev, 0)) == 0 &&
        (r = bind_target(ev, c->a, &items.o->items[k], &pushed)) == 0)
      r = comp_clause(ev, c->next, elem, list);
    pop_locals(ev, pushed);
  }
  dtw__xval_fini(&items);
  return r;
}

static int eval_comp(dtw__xeval_t *ev, const dtw__xnode_t *x, dtw__xval_t *out) {
  if (dtw__xval_new_container(out, DTW__XV_LIST, 0) < 0) return nomem(ev);
  int r = comp_clause(ev, x->b, x->a, out);
  if (r < 0) dtw__xval_fini(out);
  return r;
}

static int eval_display(dtw__xeval_t *ev, const dtw__xnode_t *x, dtw__xval_t *out) {
  int r = 0;
  dtw__xval_kind_t kind = x->kind == DTW__N_LIST   ? DTW__XV_LIST
                          : x->kind == DTW__N_TUPLE ? DTW__XV_TUPLE
                                                    : DTW__XV_DICT;
  if (dtw__xval_new_container(out, kind, 0) < 0) return nomem(ev);
  for (int c = x->a; c >= 0 && r == 0; c = ev->p->nodes[c].next) {
    dtw__xval_t key, item;
    memset(&key, 0, sizeof key);
    if (kind == DTW__XV_DICT) {
      if ((r = dtw__xeval_node(ev, c, &key)) < 0) break;
      c = ev->p->nodes[c].next;
    }
    if ((r = dtw__xeval_node(ev, c, &item)) < 0) {
      dtw__xval_fini(&key);
      break;
    }
    if ((r = dtw__xval_append(out, kind == DTW__XV_DICT ? &key : NULL, &item)) < 0) {
      r = append_failed(ev, r);
      dtw__xval_fini(&key);
      dtw__xval_fini(&item);
    }
  }
  if (r < 0) dtw__xval_fini(out);
  return r;
}

int dtw__xeval_node(dtw__xeval_t *ev, int idx, dtw__xval_t *out) {
  const dtw__xnode_t *x = &ev->p->nodes[idx];
  dtw__xval_t a, b;
  int r;
  memset(out, 0, sizeof *out);
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  if ((r = dtw__xeval_charge(ev, 0)) < 0) return r;
  switch (x->kind) {
  case DTW__N_LIT:
    if (x->lit.kind == DTW__XV_STR && (r = dtw__xeval_charge(ev, x->lit.len)) < 0) return r;
    return dtw__xval_copy(out, &x->lit) < 0 ? nomem(ev) : 0;
  case DTW__N_NAME:
    return lookup_name(ev, x, out);
  case DTW__N_ATTR:
    if ((r = dtw__xeval_node(ev, x->a, &a)) < 0) return r;
    r = get_attr(ev, &a, x->name, x->nlen, out);
    dtw__xval_fini(&a);
    return r;
  case DTW__N_SUB: {
    if ((r = dtw__xeval_node(ev, x->a, &a)) < 0) return r;
    const dtw__xnode_t *ix = &ev->p->nodes[x->b];
    if (ix->kind == DTW__N_SLICE) {
      dtw__xval_t sl[3];
      const int parts[3] = {ix->a, ix->b, ix->c};
      int k;
      for (k = 0; k < 3; k++) {
        if (parts[k] < 0) dtw__xval_set_none(&sl[k]);
        else if ((r = dtw__xeval_node(ev, parts[k], &sl[k])) < 0) break;
      }
      if (r == 0) r = subscript(ev, &a, NULL, sl, out);
      for (int j = 0; j < k; j++) dtw__xval_fini(&sl[j]);
    } else if ((r = dtw__xeval_node(ev, x->b, &b)) == 0) {
      r = subscript(ev, &a, &b, NULL, out);
    }
    dtw__xval_fini(&a);
    dtw__xval_fini(&b);
    return r;
  }
  case DTW__N_CALL:
    return eval_call(ev, x, out);
  case DTW__N_LIST:
  case DTW__N_TUPLE:
  case DTW__N_DICT:
    return eval_display(ev, x, out);
  case DTW__N_COMP:
    return eval_comp(ev, x, out);
  case DTW__N_NOT:
    if ((r = dtw__xeval_node(ev, x->a, &a)) < 0) return r;
    dtw__xval_set_bool(out, !dtw__xval_truthy(&a));
    dtw__xval_fini(&a);
    return 0;
  case DTW__N_NEG:
  case DTW__N_POS:
    if ((r = dtw__xeval_node(ev, x->a, &a)) < 0) return r;
    if (!is_num(&a)) {
      r = everr(ev, DTW_EPARSE, "bad operand type for unary %s: '%s'",
                x->kind == DTW__N_NEG ? "-" : "+", dtw__xval_type_name(&a));
    } else if (a.kind == DTW__XV_FLOAT) {
      dtw__xval_set_float(out, x->kind == DTW__N_NEG ? -a.f : a.f);
    } else if (x->kind == DTW__N_NEG && a.i == LLONG_MIN) {
      r = overflow(ev);
    } else {
      dtw__xval_set_int(out, x->kind == DTW__N_NEG ? -a.i : a.i);
    }
    dtw__xval_fini(&a);
    return r;
  case DTW__N_AND:
  case DTW__N_OR:
    /* Python returns the deciding operand, evaluating the right one only when needed */
    if ((r = dtw__xeval_node(ev, x->a, &a)) < 0) return r;
    if (dtw__xval_truthy(&a) == (x->kind == DTW__N_OR)) {
      *out = a;
      return 0;
    }
    dtw__xval_fini(&a);
    return dtw__xeval_node(ev, x->b, out);
  case DTW__N_COND:
    if ((r = dtw__xeval_node(ev, x->c, &a)) < 0) return r;
    r = dtw__xval_truthy(&a);
    dtw__xval_fini(&a);
    return dtw__xeval_node(ev, r ? x->a : x->b, out);
  case DTW__N_BIN:
    if ((r = dtw__xeval_node(ev, x->a, &a)) < 0) return r;
    if ((r = dtw__xeval_node(ev, x->b, &b)) == 0) r = dtw__xeval_binary(ev, x->op, &a, &b, out);
    dtw__xval_fini(&a);
    dtw__xval_fini(&b);
    return r;
  default:
    return everr(ev, DTW_EPARSE, "unexpected expression");
  }
}
