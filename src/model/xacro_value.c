/* xacro_value.c - Python-like values for the xacro expander: lifetime, containers,
 * equality, str()/repr(), and xacro's text-to-value conversions. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xexpr.h"

/* ---- lifetime -------------------------------------------------------------------------- */

static void obj_release(dtw__xobj_t *o) {
  if (o == NULL || --o->refs > 0) return;
  for (size_t k = 0; k < o->n; k++) {
    dtw__xval_fini(&o->items[k]);
    if (o->keys != NULL) dtw__xval_fini(&o->keys[k]);
  }
  free(o->items);
  free(o->keys);
  free(o);
}

void dtw__xval_fini(dtw__xval_t *v) {
  if (v == NULL) return;
  free(v->s);
  obj_release(v->o);
  memset(v, 0, sizeof *v);
}

int dtw__xval_set_str(dtw__xval_t *v, const char *s, size_t len) {
  char *copy = malloc(len + 1);
  if (copy == NULL) return DTW_ENOMEM;
  if (len > 0) memcpy(copy, s, len);
  copy[len] = '\0';
  memset(v, 0, sizeof *v);
  v->kind = DTW__XV_STR;
  v->s = copy;
  v->len = len;
  return 0;
}

int dtw__xval_copy(dtw__xval_t *dst, const dtw__xval_t *src) {
  if (src->kind == DTW__XV_STR) return dtw__xval_set_str(dst, src->s, src->len);
  *dst = *src;
  dst->s = NULL;
  dst->len = 0;
  if (dst->o != NULL) dst->o->refs++;
  return 0;
}

void dtw__xval_set_int(dtw__xval_t *v, long long i) {
  memset(v, 0, sizeof *v);
  v->kind = DTW__XV_INT;
  v->i = i;
}

void dtw__xval_set_float(dtw__xval_t *v, double f) {
  memset(v, 0, sizeof *v);
  v->kind = DTW__XV_FLOAT;
  v->f = f;
}

void dtw__xval_set_bool(dtw__xval_t *v, int b) {
  memset(v, 0, sizeof *v);
  v->kind = DTW__XV_BOOL;
  v->i = b != 0;
}

void dtw__xval_set_none(dtw__xval_t *v) {
  memset(v, 0, sizeof *v);
  v->kind = DTW__XV_NONE;
}

int dtw__xval_new_container(dtw__xval_t *v, dtw__xval_kind_t kind, size_t cap) {
  dtw__xobj_t *o = calloc(1, sizeof *o);
  memset(v, 0, sizeof *v);
  if (o == NULL) return DTW_ENOMEM;
  o->refs = 1;
  if (cap > 0) {
    o->items = calloc(cap, sizeof *o->items);
    if (kind == DTW__XV_DICT) o->keys = calloc(cap, sizeof *o->keys);
    if (o->items == NULL || (kind == DTW__XV_DICT && o->keys == NULL)) {
      free(o->items);
      free(o->keys);
      free(o);
      return DTW_ENOMEM;
    }
    o->cap = cap;
  }
  v->kind = kind;
  v->o = o;
  return 0;
}

int dtw__xval_set_func(dtw__xval_t *v, int fn, const dtw__xval_t *self) {
  memset(v, 0, sizeof *v);
  if (self != NULL) {
    dtw__xval_t holder, copy;
    int r = dtw__xval_new_container(&holder, DTW__XV_TUPLE, 1);
    if (r < 0) return r;
    if ((r = dtw__xval_copy(&copy, self)) < 0) {
      dtw__xval_fini(&holder);
      return r;
    }
    holder.o->items[0] = copy;
    holder.o->n = 1;
    v->o = holder.o;
  }
  v->kind = DTW__XV_FUNC;
  v->i = fn;
  return 0;
}

static int value_depth(const dtw__xval_t *v) {
  return (v->kind == DTW__XV_LIST || v->kind == DTW__XV_TUPLE || v->kind == DTW__XV_DICT) &&
                 v->o != NULL
             ? v->o->depth + 1
             : 0;
}

int dtw__xval_append(dtw__xval_t *c, dtw__xval_t *key, dtw__xval_t *item) {
  dtw__xobj_t *o = c->o;
  int is_dict = c->kind == DTW__XV_DICT;
  if ((item->kind == DTW__XV_NS && item->i == DTW__XNS_USER) ||
      (key != NULL && key->kind == DTW__XV_NS && key->i == DTW__XNS_USER))
    return DTW_EUNSUP;
  int d = value_depth(item);
  if (is_dict && value_depth(key) > d) d = value_depth(key);
  if (d >= DTW__XEXPR_MAX_DEPTH) return DTW_ERANGE;
  if (is_dict) {
    for (size_t k = 0; k < o->n; k++) {
      if (dtw__xval_equal(&o->keys[k], key)) {
        dtw__xval_fini(&o->items[k]);
        o->items[k] = *item;
        memset(item, 0, sizeof *item);
        dtw__xval_fini(key);
        if (d > o->depth) o->depth = d;
        return 0;
      }
    }
  }
  if (o->n >= DTW__XLIST_MAX) return DTW_ERANGE;
  if (o->n == o->cap) {
    size_t ncap = o->cap ? o->cap * 2 : 4;
    dtw__xval_t *ni = realloc(o->items, ncap * sizeof *ni);
    if (ni == NULL) return DTW_ENOMEM;
    o->items = ni;
    if (is_dict) {
      dtw__xval_t *nk = realloc(o->keys, ncap * sizeof *nk);
      if (nk == NULL) return DTW_ENOMEM;
      o->keys = nk;
    }
    o->cap = ncap;
  }
  o->items[o->n] = *item;
  memset(item, 0, sizeof *item);
  if (is_dict) {
    o->keys[o->n] = *key;
    memset(key, 0, sizeof *key);
  }
  o->n++;
  if (d > o->depth) o->depth = d;
  return 0;
}

/* ---- comparison ------------------------------------------------------------------------ */

static int is_number(const dtw__xval_t *v) {
  return v->kind == DTW__XV_INT || v->kind == DTW__XV_FLOAT || v->kind == DTW__XV_BOOL;
}

int dtw__xval_equal(const dtw__xval_t *a, const dtw__xval_t *b) {
  if (is_number(a) && is_number(b)) {
    if (a->kind != DTW__XV_FLOAT && b->kind != DTW__XV_FLOAT) return a->i == b->i;
    double x = a->kind == DTW__XV_FLOAT ? a->f : (double)a->i;
    double y = b->kind == DTW__XV_FLOAT ? b->f : (double)b->i;
    return x == y;
  }
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case DTW__XV_STR:
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
  case DTW__XV_NONE:
    return 1;
  case DTW__XV_LIST:
  case DTW__XV_TUPLE:
    if (a->o->n != b->o->n) return 0;
    for (size_t k = 0; k < a->o->n; k++)
      if (!dtw__xval_equal(&a->o->items[k], &b->o->items[k])) return 0;
    return 1;
  case DTW__XV_DICT:
    if (a->o->n != b->o->n) return 0;
    for (size_t k = 0; k < a->o->n; k++) {
      const dtw__xval_t *other = dtw__xval_dict_get(b, &a->o->keys[k]);
      if (other == NULL || !dtw__xval_equal(&a->o->items[k], other)) return 0;
    }
    return 1;
  case DTW__XV_FUNC:
    return a->i == b->i && a->o == b->o;
  case DTW__XV_NS:
    return a->i == b->i && a->p == b->p;
  default:
    return 0;
  }
}

const dtw__xval_t *dtw__xval_dict_get(const dtw__xval_t *d, const dtw__xval_t *key) {
  if (d->kind != DTW__XV_DICT || d->o == NULL) return NULL;
  for (size_t k = 0; k < d->o->n; k++)
    if (dtw__xval_equal(&d->o->keys[k], key)) return &d->o->items[k];
  return NULL;
}

/* ---- formatting ------------------------------------------------------------------------ */

void dtw__xbuf_add(dtw__xbuf_t *b, const char *s, size_t n) {
  if (b->err != 0) return;
  if (b->len + n > DTW__XSTR_MAX) {
    b->err = DTW_ERANGE;
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < b->len + n + 1) ncap *= 2;
    char *ns = realloc(b->s, ncap);
    if (ns == NULL) {
      b->err = DTW_ENOMEM;
      return;
    }
    b->s = ns;
    b->cap = ncap;
  }
  if (n > 0) memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void dtw__xbuf_str(dtw__xbuf_t *b, const char *s) { dtw__xbuf_add(b, s, strlen(s)); }

void dtw__xval_format_float(double f, char *buf, size_t n) {
  char tmp[48];
  char digits[24];
  int nd = 0, exp10 = 0, neg = 0;
  size_t o = 0;

  if (isnan(f)) {
    snprintf(buf, n, "nan");
    return;
  }
  if (isinf(f)) {
    snprintf(buf, n, "%s", f < 0 ? "-inf" : "inf");
    return;
  }
  /* shortest precision that reads back as the same double, as Python's repr */
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
    if (strtod(tmp, NULL) == f) break;
  }
  const char *p = tmp;
  if (*p == '-') {
    neg = 1;
    p++;
  }
  for (; *p != 'e' && *p != '\0'; p++)
    if (isdigit((unsigned char)*p) && nd < (int)sizeof digits - 1) digits[nd++] = *p;
  if (*p == 'e') exp10 = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  digits[nd] = '\0';

  char res[64];
#define PUT(c)                                    \
  do {                                            \
    if (o < sizeof res - 1) res[o++] = (char)(c); \
  } while (0)
  if (neg) PUT('-');
  if (exp10 >= -4 && exp10 < 16) {
    if (exp10 >= 0) {
      for (int i = 0; i <= exp10; i++) PUT(i < nd ? digits[i] : '0');
      PUT('.');
      if (nd > exp10 + 1) {
        for (int i = exp10 + 1; i < nd; i++) PUT(digits[i]);
      } else {
        PUT('0');
      }
    } else {
      PUT('0');
      PUT('.');
      for (int i = 0; i < -exp10 - 1; i++) PUT('0');
      for (int i = 0; i < nd; i++) PUT(digits[i]);
    }
    res[o] = '\0';
  } else {
    PUT(digits[0]);
    if (nd > 1) {
      PUT('.');
      for (int i = 1; i < nd; i++) PUT(digits[i]);
    }
    res[o] = '\0';
    size_t l = strlen(res);
    snprintf(res + l, sizeof res - l, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
  }
#undef PUT
  snprintf(buf, n, "%s", res);
}

/* Python's repr of a str: quotes chosen like Python, control characters escaped. */
static void repr_str(dtw__xbuf_t *b, const char *s, size_t len) {
  char q = memchr(s, '\'', len) != NULL && memchr(s, '"', len) == NULL ? '"' : '\'';
  dtw__xbuf_add(b, &q, 1);
  size_t run = 0;
  for (size_t k = 0; k < len; k++) {
    unsigned char c = (unsigned char)s[k];
    const char *esc = NULL;
    char hex[8];
    if (c == '\\') esc = "\\\\";
    else if (c == (unsigned char)q) esc = q == '\'' ? "\\'" : "\\\"";
    else if (c == '\n') esc = "\\n";
    else if (c == '\r') esc = "\\r";
    else if (c == '\t') esc = "\\t";
    else if (c < 0x20 || c == 0x7f) {
      snprintf(hex, sizeof hex, "\\x%02x", c);
      esc = hex;
    }
    if (esc == NULL) continue;
    dtw__xbuf_add(b, s + run, k - run);
    dtw__xbuf_str(b, esc);
    run = k + 1;
  }
  dtw__xbuf_add(b, s + run, len - run);
  dtw__xbuf_add(b, &q, 1);
}

void dtw__xbuf_value(dtw__xbuf_t *b, const dtw__xval_t *v, int repr) {
  char num[64];
  switch (v->kind) {
  case DTW__XV_INT:
    snprintf(num, sizeof num, "%lld", v->i);
    dtw__xbuf_str(b, num);
    return;
  case DTW__XV_FLOAT:
    dtw__xval_format_float(v->f, num, sizeof num);
    dtw__xbuf_str(b, num);
    return;
  case DTW__XV_BOOL:
    dtw__xbuf_str(b, v->i ? "True" : "False");
    return;
  case DTW__XV_NONE:
    dtw__xbuf_str(b, "None");
    return;
  case DTW__XV_STR:
    if (repr)
      repr_str(b, v->s, v->len);
    else
      dtw__xbuf_add(b, v->s, v->len);
    return;
  case DTW__XV_LIST:
  case DTW__XV_TUPLE:
  case DTW__XV_DICT: {
    int dict = v->kind == DTW__XV_DICT;
    dtw__xbuf_str(b, dict ? "{" : v->kind == DTW__XV_LIST ? "[" : "(");
    for (size_t k = 0; k < v->o->n && b->err == 0; k++) {
      if (k > 0) dtw__xbuf_str(b, ", ");
      if (dict) {
        dtw__xbuf_value(b, &v->o->keys[k], 1);
        dtw__xbuf_str(b, ": ");
      }
      dtw__xbuf_value(b, &v->o->items[k], 1);
    }
    if (v->kind == DTW__XV_TUPLE && v->o->n == 1) dtw__xbuf_str(b, ",");
    dtw__xbuf_str(b, dict ? "}" : v->kind == DTW__XV_LIST ? "]" : ")");
    return;
  }
  case DTW__XV_FUNC:
    dtw__xbuf_str(b, v->o != NULL ? "<built-in method " : "<built-in function ");
    dtw__xbuf_str(b, dtw__xfunc_name(v->i));
    dtw__xbuf_str(b, ">");
    return;
  case DTW__XV_NS:
  default:
    dtw__xbuf_str(b, v->i == DTW__XNS_MATH     ? "<module 'math'>"
                     : v->i == DTW__XNS_PYTHON ? "<namespace 'python'>"
                     : v->i == DTW__XNS_XACRO  ? "<namespace 'xacro'>"
                                               : "<namespace>");
    return;
  }
}

static int format_value(const dtw__xval_t *v, int repr, char **out, size_t *len) {
  dtw__xbuf_t b = {0};
  dtw__xbuf_value(&b, v, repr);
  if (b.err == 0 && b.s == NULL) dtw__xbuf_add(&b, "", 0);
  if (b.err != 0) {
    free(b.s);
    return b.err;
  }
  *out = b.s;
  if (len != NULL) *len = b.len;
  return 0;
}

int dtw__xval_to_str(const dtw__xval_t *v, char **out, size_t *len) {
  if (v->kind == DTW__XV_STR) {
    /* the common case: a plain copy */
    char *s = malloc(v->len + 1);
    if (s == NULL) return DTW_ENOMEM;
    memcpy(s, v->s != NULL ? v->s : "", v->len);
    s[v->len] = '\0';
    *out = s;
    if (len != NULL) *len = v->len;
    return 0;
  }
  return format_value(v, 0, out, len);
}

int dtw__xval_repr(const dtw__xval_t *v, char **out, size_t *len) {
  return format_value(v, 1, out, len);
}

const char *dtw__xval_type_name(const dtw__xval_t *v) {
  switch (v->kind) {
  case DTW__XV_INT: return "int";
  case DTW__XV_FLOAT: return "float";
  case DTW__XV_BOOL: return "bool";
  case DTW__XV_STR: return "str";
  case DTW__XV_NONE: return "NoneType";
  case DTW__XV_LIST: return "list";
  case DTW__XV_TUPLE: return "tuple";
  case DTW__XV_DICT: return "dict";
  case DTW__XV_FUNC: return "builtin_function_or_method";
  case DTW__XV_NS:
  default: return "namespace";
  }
}

/* ---- conversions ----------------------------------------------------------------------- */

/* Python's int(text): optional whitespace, sign, decimal digits with single underscores. */
int dtw__xval_parse_int(const char *s, size_t len, long long *out) {
  size_t a = 0, b = len;
  while (a < b && isspace((unsigned char)s[a])) a++;
  while (b > a && isspace((unsigned char)s[b - 1])) b--;
  char buf[40];
  size_t n = 0;
  size_t i = a;
  if (i < b && (s[i] == '+' || s[i] == '-')) buf[n++] = s[i++];
  if (i == b || !isdigit((unsigned char)s[i])) return -1;
  for (; i < b; i++) {
    if (s[i] == '_' && i + 1 < b && isdigit((unsigned char)s[i + 1]) &&
        isdigit((unsigned char)s[i - 1]))
      continue;
    if (!isdigit((unsigned char)s[i])) return -1;
    if (n >= sizeof buf - 1) return -2;
    buf[n++] = s[i];
  }
  buf[n] = '\0';
  errno = 0;
  long long v = strtoll(buf, NULL, 10);
  if (errno == ERANGE) return -2;
  *out = v;
  return 0;
}

/* Python's float(text): decimal with optional exponent, inf, infinity, nan. */
int dtw__xval_parse_float(const char *s, size_t len, double *out) {
  size_t a = 0, b = len;
  while (a < b && isspace((unsigned char)s[a])) a++;
  while (b > a && isspace((unsigned char)s[b - 1])) b--;
  if (a == b || b - a > 400) return -1;
  char buf[404];
  size_t n = 0;
  for (size_t i = a; i < b; i++) {
    /* single underscores between digits, as Python allows */
    if (s[i] == '_' && i > a && i + 1 < b && isdigit((unsigned char)s[i - 1]) &&
        isdigit((unsigned char)s[i + 1]))
      continue;
    buf[n++] = s[i];
  }
  buf[n] = '\0';
  const char *w = buf;
  if (*w == '+' || *w == '-') w++;
  if (strcasecmp(w, "inf") == 0 || strcasecmp(w, "infinity") == 0 || strcasecmp(w, "nan") == 0) {
    *out = strtod(buf, NULL);
    return 0;
  }
  /* strtod also takes hex and "nan(...)": only let plain decimals through */
  int digits = 0;
  const char *p = w;
  while (isdigit((unsigned char)*p)) {
    p++;
    digits++;
  }
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) {
      p++;
      digits++;
    }
  }
  if (digits == 0) return -1;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p)) p++;
  }
  if (*p != '\0') return -1;
  *out = strtod(buf, NULL);
  return 0;
}

int dtw__xval_literal(const char *text, size_t len, dtw__xval_t *out) {
  long long iv;
  double fv;
  if (len >= 2 && text[0] == '\'' && text[len - 1] == '\'')
    return dtw__xval_set_str(out, text + 1, len - 2);
  /* xacro keeps "1_2_3" a string although Python's int() would accept it */
  if (memchr(text, '_', len) != NULL) return dtw__xval_set_str(out, text, len);
  if (dtw__xval_parse_int(text, len, &iv) == 0) {
    dtw__xval_set_int(out, iv);
    return 0;
  }
  if (dtw__xval_parse_float(text, len, &fv) == 0) {
    dtw__xval_set_float(out, fv);
    return 0;
  }
  if ((len == 4 && (memcmp(text, "true", 4) == 0 || memcmp(text, "True", 4) == 0)) ||
      (len == 5 && (memcmp(text, "false", 5) == 0 || memcmp(text, "False", 5) == 0))) {
    dtw__xval_set_bool(out, len == 4);
    return 0;
  }
  return dtw__xval_set_str(out, text, len);
}

int dtw__xval_truthy(const dtw__xval_t *v) {
  switch (v->kind) {
  case DTW__XV_FLOAT:
    return v->f != 0.0;
  case DTW__XV_STR:
    return v->len > 0;
  case DTW__XV_NONE:
    return 0;
  case DTW__XV_LIST:
  case DTW__XV_TUPLE:
  case DTW__XV_DICT:
    return v->o->n > 0;
  case DTW__XV_FUNC:
  case DTW__XV_NS:
    return 1;
  case DTW__XV_INT:
  case DTW__XV_BOOL:
  default:
    return v->i != 0;
  }
}

int dtw__xval_condition(const dtw__xval_t *v, int *out) {
  if (v->kind != DTW__XV_STR) {
    *out = dtw__xval_truthy(v);
    return 0;
  }
  if (strcmp(v->s, "true") == 0 || strcmp(v->s, "True") == 0) {
    *out = 1;
    return 0;
  }
  if (strcmp(v->s, "false") == 0 || strcmp(v->s, "False") == 0) {
    *out = 0;
    return 0;
  }
  long long iv;
  if (dtw__xval_parse_int(v->s, v->len, &iv) == 0) {
    *out = iv != 0;
    return 0;
  }
  return DTW_EPARSE;
}
