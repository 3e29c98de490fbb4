/* xacro_format.c - methods of str, list, tuple and dict for ${...} expressions, and
 * Python's string formatting: 'fmt' % args and 'fmt'.format(...), with the
 * common format specifications ([[fill]align][sign][#][0][width][.precision][type]).
 * Text case and character classes are ASCII (other bytes pass through). */
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

/* method ids: must match xacro_builtins.c (they follow its function ids) */
int dtw__xmethod_call(dtw__xeval_t *ev, int fn, const dtw__xval_t *self, const dtw__xval_t *args,
                      int n, const char *const *kwn, const size_t *kwl, const dtw__xval_t *kwv,
                      int nkw, dtw__xval_t *out);

#define MAX_FORMAT_WIDTH 1000

#define everr dtw__xeval_err

static int nomem(dtw__xeval_t *ev) { return everr(ev, DTW_ENOMEM, "out of memory"); }

static int finish(dtw__xeval_t *ev, dtw__xbuf_t *b, dtw__xval_t *out) {
  if (b->err == 0 && b->s == NULL) dtw__xbuf_add(b, "", 0);
  if (b->err != 0) {
    int code = b->err;
    free(b->s);
    return code == DTW_ERANGE
               ? everr(ev, code, "string longer than %zu bytes", (size_t)DTW__XSTR_MAX)
               : nomem(ev);
  }
  memset(out, 0, sizeof *out);
  out->kind = DTW__XV_STR;
  out->s = b->s;
  out->len = b->len;
  return dtw__xeval_charge(ev, b->len);
}

static int is_num(const dtw__xval_t *v) {
  return v->kind == DTW__XV_INT || v->kind == DTW__XV_FLOAT || v->kind == DTW__XV_BOOL;
}

static size_t cp_count(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xc0) != 0x80;
  return n;
}

/* ---- format specifications ------------------------------------------------------------- */

typedef struct spec {
  char fill;
  char align; /* 0, '<', '>', '^', '=' */
  char sign;  /* 0, '+', '-', ' ' */
  int alt;
  int width;     /* -1 = none */
  int precision; /* -1 = none */
  char type;     /* 0 = none */
} spec_t;

static int parse_spec(dtw__xeval_t *ev, const char *s, size_t n, spec_t *sp) {
  size_t i = 0;
  memset(sp, 0, sizeof *sp);
  sp->fill = ' ';
  sp->width = sp->precision = -1;
  if (n >= 2 && strchr("<>=^", s[1]) != NULL) {
    sp->fill = s[0];
    sp->align = s[1];
    i = 2;
  } else if (n >= 1 && strchr("<>=^", s[0]) != NULL) {
    sp->align = s[0];
    i = 1;
  }
  if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp->sign = s[i++];
  if (i < n && s[i] == '#') {
    sp->alt = 1;
    i++;
  }
  if (i < n && s[i] == '0') {
    if (sp->align == 0) {
      sp->fill = '0';
      sp->align = '=';
    }
    i++;
  }
  for (; i < n && isdigit((unsigned char)s[i]); i++) {
    sp->width = (sp->width < 0 ? 0 : sp->width) * 10 + (s[i] - '0');
    if (sp->width > MAX_FORMAT_WIDTH) return everr(ev, DTW_ERANGE, "format width too large");
  }
  if (i < n && (s[i] == ',' || s[i] == '_'))
    return everr(ev, DTW_EUNSUP, "digit grouping in format specifications is not supported");
  if (i < n && s[i] == '.') {
    i++;
    sp->precision = 0;
    if (i >= n || !isdigit((unsigned char)s[i]))
      return everr(ev, DTW_EPARSE, "format specifier missing precision");
    for (; i < n && isdigit((unsigned char)s[i]); i++) {
      sp->precision = sp->precision * 10 + (s[i] - '0');
      if (sp->precision > MAX_FORMAT_WIDTH) return everr(ev, DTW_ERANGE, "precision too large");
    }
  }
  if (i < n && strchr("bcdeEfFgGnosxX%", s[i]) != NULL) sp->type = s[i++];
  if (i != n) return everr(ev, DTW_EPARSE, "invalid format specifier '%.*s'", (int)n, s);
  return 0;
}

/* Pad body (its first sign_len bytes are a sign kept before '=' padding) to the width. */
static void pad(dtw__xbuf_t *b, const spec_t *sp, const char *body, size_t len, size_t sign_len,
                char default_align) {
  size_t w = cp_count(body, len);
  char align = sp->align ? sp->align : default_align;
  size_t fill = sp->width > 0 && (size_t)sp->width > w ? (size_t)sp->width - w : 0;
  size_t left = align == '<' ? 0 : align == '^' ? fill / 2 : fill;
  if (align == '=') {
    dtw__xbuf_add(b, body, sign_len);
    body += sign_len;
    len -= sign_len;
  }
  for (size_t k = 0; k < left; k++) dtw__xbuf_add(b, &sp->fill, 1);
  dtw__xbuf_add(b, body, len);
  for (size_t k = left; k < fill; k++) dtw__xbuf_add(b, &sp->fill, 1);
}

/* format(v, spec) into b */
static int format_one(dtw__xeval_t *ev, dtw__xbuf_t *b, const dtw__xval_t *v, const char *specs,
                      size_t specn) {
  spec_t sp;
  int r;
  if ((r = parse_spec(ev, specs, specn, &sp)) < 0) return r;
  char type = sp.type;
  if (v->kind == DTW__XV_STR || !is_num(v) || (v->kind == DTW__XV_BOOL && type == 0)) {
    if (type != 0 && type != 's')
      return everr(ev, DTW_EPARSE, "unknown format code '%c' for object of type '%s'", type,
                   dtw__xval_type_name(v));
    if (v->kind != DTW__XV_STR && !is_num(v) && specn > 0 && sp.width < 0 && sp.precision < 0)
      return everr(ev, DTW_EPARSE, "unsupported format string passed to %s.__format__",
                   dtw__xval_type_name(v));
    char *s;
    size_t l;
    if ((r = dtw__xval_to_str(v, &s, &l)) < 0) return nomem(ev);
    if (sp.precision >= 0 && cp_count(s, l) > (size_t)sp.precision) {
      size_t i = 0, k = 0;
      while (i < l && k < (size_t)sp.precision) {
        i++;
        while (i < l && ((unsigned char)s[i] & 0xc0) == 0x80) i++;
        k++;
      }
      l = i;
    }
    pad(b, &sp, s, l, 0, '<');
    free(s);
    return 0;
  }
  char fmt[32], body[1200];
  const char *flags = sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "";
  int prec = sp.precision;
  if (v->kind != DTW__XV_FLOAT && (type == 0 || type == 'd' || type == 'n' || type == 'x' ||
                                   type == 'X' || type == 'o' || type == 'b' || type == 'c')) {
    if (sp.precision >= 0) return everr(ev, DTW_EPARSE, "precision not allowed in integer format");
    long long x = v->i;
    if (type == 'c') {
      char one = (char)x;
      pad(b, &sp, &one, 1, 0, '<');
      return 0;
    }
    if (type == 'b') {
      char bits[80];
      size_t n = 0;
      unsigned long long u = x < 0 ? (unsigned long long)(-(x + 1)) + 1 : (unsigned long long)x;
      if (x < 0) bits[n++] = '-';
      else if (*flags) bits[n++] = *flags;
      if (sp.alt) {
        bits[n++] = '0';
        bits[n++] = 'b';
      }
      char rev[70];
      size_t m = 0;
      do {
        rev[m++] = (char)('0' + (u & 1));
        u >>= 1;
      } while (u != 0);
      while (m > 0) bits[n++] = rev[--m];
      pad(b, &sp, bits, n, x < 0 || *flags ? 1 : 0, '>');
      return 0;
    }
    char conv = type == 'x' ? 'x' : type == 'X' ? 'X' : type == 'o' ? 'o' : 'd';
    snprintf(fmt, sizeof fmt, "%%%s%sll%c", flags, sp.alt && conv != 'd' ? "#" : "", conv);
    int l = snprintf(body, sizeof body, fmt, x);
    if (sp.alt && conv == 'o' && x != 0) {
      /* Python writes 0o17 where C writes 017 */
      char *z = strchr(body, '0');
      if (z != NULL) {
        memmove(z + 2, z + 1, strlen(z + 1) + 1);
        z[1] = 'o';
        l++;
      }
    }
    pad(b, &sp, body, (size_t)l, body[0] == '-' || body[0] == '+' || body[0] == ' ', '>');
    return 0;
  }
  if (type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b' || type == 'c' ||
      type == 'n')
    return everr(ev, DTW_EPARSE, "unknown format code '%c' for object of type 'float'", type);
  double x = v->kind == DTW__XV_FLOAT ? v->f : (double)v->i;
  int l;
  if (type == 0 && prec < 0) {
    char tmp[64];
    dtw__xval_format_float(x, tmp, sizeof tmp);
    l = snprintf(body, sizeof body, "%s%s", x >= 0 && !signbit(x) ? flags : "", tmp);
  } else {
    char conv = type == 0 ? 'g' : type == '%' ? 'f' : type;
    if (prec < 0) prec = 6;
    if (type == '%') x *= 100.0;
    snprintf(fmt, sizeof fmt, "%%%s%s.%d%c", flags, sp.alt ? "#" : "", prec, conv);
    l = snprintf(body, sizeof body, fmt, x);
    if (type == '%' && l + 1 < (int)sizeof body) body[l++] = '%';
    if (l >= (int)sizeof body) l = (int)sizeof body - 1;
  }
  pad(b, &sp, body, (size_t)l, body[0] == '-' || body[0] == '+' || body[0] == ' ', '>');
  return 0;
}

/* 'fmt'.format(*args, **kw) */
static int str_format(dtw__xeval_t *ev, const dtw__xval_t *self, const dtw__xval_t *args, int n,
                      const char *const *kwn, const size_t *kwl, const dtw__xval_t *kwv, int nkw,
                      dtw__xval_t *out) {
  dtw__xbuf_t b = {0};
  const char *s = self->s;
  size_t len = self->len, i = 0;
  int auto_index = 0, r = 0;
  while (i < len && r == 0) {
    char c = s[i];
    if (c == '}' ) {
      if (i + 1 < len && s[i + 1] == '}') {
        dtw__xbuf_add(&b, "}", 1);
        i += 2;
        continue;
      }
      r = everr(ev, DTW_EPARSE, "single '}' encountered in format string");
      break;
    }
    if (c != '{') {
      size_t j = i;
      while (j < len && s[j] != '{' && s[j] != '}') j++;
      dtw__xbuf_add(&b, s + i, j - i);
      i = j;
      continue;
    }
    if (i + 1 < len && s[i + 1] == '{') {
      dtw__xbuf_add(&b, "{", 1);
      i += 2;
      continue;
    }
    const char *end = memchr(s + i, '}', len - i);
    if (end == NULL) {
      r = everr(ev, DTW_EPARSE, "single '{' encountered in format string");
      break;
    }
    const char *field = s + i + 1;
    size_t flen = (size_t)(end - field);
    const char *colon = memchr(field, ':', flen);
    size_t namelen = colon != NULL ? (size_t)(colon - field) : flen;
    char conv = 0;
    const char *bang = memchr(field, '!', namelen);
    if (bang != NULL) {
      conv = bang + 1 < field + namelen ? bang[1] : 0;
      namelen = (size_t)(bang - field);
    }
    const dtw__xval_t *v = NULL;
    if (memchr(field, '{', flen) != NULL || memchr(field, '.', namelen) != NULL ||
        memchr(field, '[', namelen) != NULL) {
      r = everr(ev, DTW_EUNSUP, "format field '{%.*s}' is not supported", (int)flen, field);
      break;
    }
    if (namelen == 0) {
      if (auto_index >= n) {
        r = everr(ev, DTW_EPARSE, "format: replacement index %d out of range", auto_index);
        break;
      }
      v = &args[auto_index++];
    } else if (isdigit((unsigned char)field[0])) {
      int k = atoi(field);
      if (k >= n) {
        r = everr(ev, DTW_EPARSE, "format: replacement index %d out of range", k);
        break;
      }
      v = &args[k];
    } else {
      for (int k = 0; k < nkw; k++)
        if (kwl[k] == namelen && memcmp(kwn[k], field, namelen) == 0) v = &kwv[k];
      if (v == NULL) {
        r = everr(ev, DTW_ENOENT, "format: no argument named '%.*s'", (int)namelen, field);
        break;
      }
    }
    const char *sp = colon != NULL ? colon + 1 : "";
    size_t spn = colon != NULL ? (size_t)(end - colon - 1) : 0;
    if (conv == 'r' || conv == 's' || conv == 'a') {
      dtw__xval_t t;
      char *txt;
      size_t tl;
      if ((r = conv == 's' ? dtw__xval_to_str(v, &txt, &tl) : dtw__xval_repr(v, &txt, &tl)) < 0) {
        r = nomem(ev);
        break;
      }
      memset(&t, 0, sizeof t);
      t.kind = DTW__XV_STR;
      t.s = txt;
      t.len = tl;
      r = format_one(ev, &b, &t, sp, spn);
      free(txt);
    } else if (conv != 0) {
      r = everr(ev, DTW_EPARSE, "unknown conversion specifier '%c'", conv);
    } else {
      r = format_one(ev, &b, v, sp, spn);
    }
    i = (size_t)(end - s) + 1;
  }
  if (r < 0) {
    free(b.s);
    return r;
  }
  return finish(ev, &b, out);
}

/* 'fmt' % args */
int dtw__xfmt_percent(dtw__xeval_t *ev, const dtw__xval_t *fmt, const dtw__xval_t *args,
                      dtw__xval_t *out) {
  dtw__xbuf_t b = {0};
  const dtw__xval_t *list = args;
  size_t nargs = 1, used = 0;
  int r = 0;
  if (args->kind == DTW__XV_TUPLE) {
    list = args->o->items;
    nargs = args->o->n;
  }
  const char *s = fmt->s;
  size_t len = fmt->len, i = 0;
  while (i < len && r == 0) {
    if (s[i] != '%') {
      const char *pct = memchr(s + i, '%', len - i);
      size_t j = pct != NULL ? (size_t)(pct - s) : len;
      dtw__xbuf_add(&b, s + i, j - i);
      i = j;
      continue;
    }
    i++;
    if (i < len && s[i] == '%') {
      dtw__xbuf_add(&b, "%", 1);
      i++;
      continue;
    }
    if (i < len && s[i] == '(') {
      r = everr(ev, DTW_EUNSUP, "%%(name) formatting is not supported");
      break;
    }
    char spec[40];
    size_t sn = 0;
    char flags[8];
    size_t fn = 0;
    while (i < len && strchr("-+ #0", s[i]) != NULL && fn < sizeof flags - 1) flags[fn++] = s[i++];
    flags[fn] = '\0';
    int width = -1, prec = -1;
    if (i < len && s[i] == '*') {
      r = everr(ev, DTW_EUNSUP, "'*' width in %% formatting is not supported");
      break;
    }
    while (i < len && isdigit((unsigned char)s[i]) && width < MAX_FORMAT_WIDTH)
      width = (width < 0 ? 0 : width * 10) + (s[i++] - '0');
    if (i < len && s[i] == '.') {
      i++;
      prec = 0;
      while (i < len && isdigit((unsigned char)s[i]) && prec < MAX_FORMAT_WIDTH)
        prec = prec * 10 + (s[i++] - '0');
    }
    while (i < len && strchr("hlL", s[i]) != NULL) i++;
    if (i >= len) {
      r = everr(ev, DTW_EPARSE, "incomplete format");
      break;
    }
    char type = s[i++];
    if (used >= nargs) {
      r = everr(ev, DTW_EPARSE, "not enough arguments for format string");
      break;
    }
    const dtw__xval_t *v = &list[used++];
    int left = strchr(flags, '-') != NULL;
    if (type == 's' || type == 'r' || type == 'a') {
      char *t;
      size_t tl;
      if ((r = type == 's' ? dtw__xval_to_str(v, &t, &tl) : dtw__xval_repr(v, &t, &tl)) < 0) {
        r = nomem(ev);
        break;
      }
      if (prec >= 0 && (size_t)prec < tl) tl = (size_t)prec;
      size_t w = cp_count(t, tl);
      size_t fill = width > 0 && (size_t)width > w ? (size_t)width - w : 0;
      if (!left)
        for (size_t k = 0; k < fill; k++) dtw__xbuf_add(&b, " ", 1);
      dtw__xbuf_add(&b, t, tl);
      if (left)
        for (size_t k = 0; k < fill; k++) dtw__xbuf_add(&b, " ", 1);
      free(t);
      continue;
    }
    if (strchr("diuoxXeEfFgGc", type) == NULL) {
      r = everr(ev, DTW_EPARSE, "unsupported format character '%c'", type);
      break;
    }
    if (!is_num(v) && !(type == 'c' && v->kind == DTW__XV_STR && v->len == 1)) {
      r = everr(ev, DTW_EPARSE, "%%%c format: a real number is required, not %s", type,
                dtw__xval_type_name(v));
      break;
    }
    char body[2200];
    int l;
    sn = (size_t)snprintf(spec, sizeof spec, "%%%s", flags);
    if (width >= 0) sn += (size_t)snprintf(spec + sn, sizeof spec - sn, "%d", width);
    if (prec >= 0) sn += (size_t)snprintf(spec + sn, sizeof spec - sn, ".%d", prec);
    if (type == 'c') {
      char ch = v->kind == DTW__XV_STR ? v->s[0] : (char)v->i;
      snprintf(spec + sn, sizeof spec - sn, "c");
      l = snprintf(body, sizeof body, spec, ch);
    } else if (strchr("diuoxX", type) != NULL) {
      if (v->kind == DTW__XV_FLOAT && strchr("oxX", type) != NULL) {
        r = everr(ev, DTW_EPARSE, "%%%c format: an integer is required, not float", type);
        break;
      }
      long long x = v->kind == DTW__XV_FLOAT ? (long long)trunc(v->f) : v->i;
      snprintf(spec + sn, sizeof spec - sn, "ll%c", type == 'i' || type == 'u' ? 'd' : type);
      l = snprintf(body, sizeof body, spec, x);
    } else {
      double x = v->kind == DTW__XV_FLOAT ? v->f : (double)v->i;
      snprintf(spec + sn, sizeof spec - sn, "%c", type);
      l = snprintf(body, sizeof body, spec, x);
    }
    if (l >= (int)sizeof body) l = (int)sizeof body - 1;
    dtw__xbuf_add(&b, body, (size_t)(l < 0 ? 0 : l));
  }
  if (r == 0 && used < nargs && args->kind == DTW__XV_TUPLE)
    r = everr(ev, DTW_EPARSE, "not all arguments converted during string formatting");
  if (r == 0 && used == 0 && args->kind != DTW__XV_TUPLE && args->kind != DTW__XV_DICT)
    r = everr(ev, DTW_EPARSE, "not all arguments converted during string formatting");
  if (r < 0) {
    free(b.s);
    return r;
  }
  return finish(ev, &b, out);
}

/* ---- methods --------------------------------------------------------------------------- */

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static int strip(dtw__xeval_t *ev, const dtw__xval_t *self, const dtw__xval_t *chars, int left,
                 int right, dtw__xval_t *out) {
  size_t a = 0, b = self->len;
  const char *set = NULL;
  size_t setn = 0;
  if (chars != NULL && chars->kind == DTW__XV_STR) {
    set = chars->s;
    setn = chars->len;
  } else if (chars != NULL && chars->kind != DTW__XV_NONE) {
    return everr(ev, DTW_EPARSE, "strip arg must be None or str");
  }
#define STRIPPED(c) (set != NULL ? memchr(set, (c), setn) != NULL : is_ws(c))
  while (left && a < b && STRIPPED(self->s[a])) a++;
  while (right && b > a && STRIPPED(self->s[b - 1])) b--;
#undef STRIPPED
  return dtw__xval_set_str(out, self->s + a, b - a) < 0 ? nomem(ev) : 0;
}

static int split(dtw__xeval_t *ev, const dtw__xval_t *self, const dtw__xval_t *sep,
                 long long maxsplit, dtw__xval_t *out) {
  const char *s = self->s;
  size_t len = self->len, i = 0;
  int r;
  if (dtw__xval_new_container(out, DTW__XV_LIST, 0) < 0) return nomem(ev);
  if (sep != NULL && sep->kind == DTW__XV_STR && sep->len == 0) {
    dtw__xval_fini(out);
    return everr(ev, DTW_EPARSE, "empty separator");
  }
  for (long long done = 0;; done++) {
    size_t start, end;
    if (sep == NULL || sep->kind == DTW__XV_NONE) {
      while (i < len && is_ws(s[i])) i++;
      if (i >= len) break;
      start = i;
      if (maxsplit >= 0 && done >= maxsplit) {
        end = len;
        while (end > start && is_ws(s[end - 1])) end--;
        i = len;
      } else {
        while (i < len && !is_ws(s[i])) i++;
        end = i;
      }
    } else {
      start = i;
      const char *hit = maxsplit >= 0 && done >= maxsplit
                            ? NULL
                            : memmem(s + i, len - i, sep->s, sep->len);
      end = hit != NULL ? (size_t)(hit - s) : len;
      i = hit != NULL ? end + sep->len : len + 1;
    }
    dtw__xval_t part;
    if ((r = dtw__xeval_charge(ev, end - start)) < 0) {
      dtw__xval_fini(out);
      return r;
    }
    if (dtw__xval_set_str(&part, s + start, end - start) < 0 ||
        dtw__xval_append(out, NULL, &part) < 0) {
      dtw__xval_fini(&part);
      dtw__xval_fini(out);
      return nomem(ev);
    }
    if (i > len) break;
  }
  return 0;
}

/* byte offset -> code point index */
static long long cp_index(const char *s, size_t off) { return (long long)cp_count(s, off); }

int dtw__xmethod_call(dtw__xeval_t *ev, int fn, const dtw__xval_t *self, const dtw__xval_t *args,
                      int n, const char *const *kwn, const size_t *kwl, const dtw__xval_t *kwv,
                      int nkw, dtw__xval_t *out) {
  const char *name = dtw__xfunc_name(fn);
  dtw__xbuf_t b = {0};
  int r = 0;
  if (strcmp(name, "format") == 0) return str_format(ev, self, args, n, kwn, kwl, kwv, nkw, out);
  if (strcmp(name, "split") == 0) {
    const dtw__xval_t *sep = n > 0 ? &args[0] : NULL;
    long long maxsplit = n > 1 && args[1].kind == DTW__XV_INT ? args[1].i : -1;
    for (int k = 0; k < nkw; k++) {
      if (kwl[k] == 3 && memcmp(kwn[k], "sep", 3) == 0) sep = &kwv[k];
      else if (kwl[k] == 8 && memcmp(kwn[k], "maxsplit", 8) == 0 && kwv[k].kind == DTW__XV_INT)
        maxsplit = kwv[k].i;
      else return everr(ev, DTW_EPARSE, "split() got an unexpected keyword argument");
    }
    if (sep != NULL && sep->kind != DTW__XV_STR && sep->kind != DTW__XV_NONE)
      return everr(ev, DTW_EPARSE, "must be str or None, not %s", dtw__xval_type_name(sep));
    return split(ev, self, sep, maxsplit, out);
  }
  if (nkw > 0) return everr(ev, DTW_EPARSE, "%s() takes no keyword arguments", name);
  /* string arguments where the method needs them */
  for (int k = 0; k < n && self->kind == DTW__XV_STR; k++) {
    int want_str = strcmp(name, "join") != 0 && strcmp(name, "zfill") != 0 &&
                   strcmp(name, "startswith") != 0 && strcmp(name, "endswith") != 0 &&
                   !(strcmp(name, "replace") == 0 && k == 2) &&
                   !(strstr(name, "strip") != NULL && args[k].kind == DTW__XV_NONE);
    if (want_str && args[k].kind != DTW__XV_STR)
      return everr(ev, DTW_EPARSE, "%s() argument must be str, not %s", name,
                   dtw__xval_type_name(&args[k]));
  }
  if (strcmp(name, "lower") == 0 || strcmp(name, "upper") == 0 ||
      strcmp(name, "capitalize") == 0 || strcmp(name, "title") == 0) {
    if (dtw__xval_set_str(out, self->s, self->len) < 0) return nomem(ev);
    int word_start = 1;
    for (size_t i = 0; i < out->len; i++) {
      char c = out->s[i];
      if (name[0] == 'l') c = (char)tolower((unsigned char)c);
      else if (name[0] == 'u') c = (char)toupper((unsigned char)c);
      else if (name[0] == 'c') c = (char)(i == 0 ? toupper((unsigned char)c) : tolower((unsigned char)c));
      else c = (char)(word_start ? toupper((unsigned char)c) : tolower((unsigned char)c));
      word_start = !isalpha((unsigned char)c);
      out->s[i] = c;
    }
    return 0;
  }
  if (strcmp(name, "strip") == 0 || strcmp(name, "lstrip") == 0 || strcmp(name, "rstrip") == 0)
    return strip(ev, self, n > 0 ? &args[0] : NULL, name[0] != 'r', name[0] != 'l', out);
  if (strcmp(name, "join") == 0) {
    dtw__xval_t items;
    if ((r = dtw__xeval_items(ev, &args[0], &items)) < 0) return r;
    for (size_t k = 0; k < items.o->n && r == 0; k++) {
      const dtw__xval_t *it = &items.o->items[k];
      if (it->kind != DTW__XV_STR) {
        r = everr(ev, DTW_EPARSE, "sequence item %zu: expected str instance, %s found", k,
                  dtw__xval_type_name(it));
        break;
      }
      if (k > 0) dtw__xbuf_add(&b, self->s, self->len);
      dtw__xbuf_add(&b, it->s, it->len);
    }
    dtw__xval_fini(&items);
    if (r < 0) {
      free(b.s);
      return r;
    }
    return finish(ev, &b, out);
  }
  if (strcmp(name, "replace") == 0) {
    long long count = n > 2 ? (args[2].kind == DTW__XV_INT ? args[2].i : -2) : -1;
    if (count == -2) return everr(ev, DTW_EPARSE, "replace() count must be an int");
    const dtw__xval_t *old = &args[0], *rep = &args[1];
    size_t i = 0;
    long long done = 0;
    while (i <= self->len && b.err == 0) {
      const char *hit = count >= 0 && done >= count ? NULL
                        : old->len == 0 ? (i <= self->len ? self->s + i : NULL)
                                        : memmem(self->s + i, self->len - i, old->s, old->len);
      if (hit == NULL) {
        dtw__xbuf_add(&b, self->s + i, self->len - i);
        break;
      }
      dtw__xbuf_add(&b, self->s + i, (size_t)(hit - (self->s + i)));
      dtw__xbuf_add(&b, rep->s, rep->len);
      done++;
      if (old->len == 0) {
        if (hit < self->s + self->len) dtw__xbuf_add(&b, hit, 1);
        i = (size_t)(hit - self->s) + 1;
      } else {
        i = (size_t)(hit - self->s) + old->len;
      }
    }
    return finish(ev, &b, out);
  }
  if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0) {
    const dtw__xval_t *cands = &args[0];
    size_t nc = 1;
    if (args[0].kind == DTW__XV_TUPLE) {
      cands = args[0].o->items;
      nc = args[0].o->n;
    }
    int hit = 0;
    for (size_t k = 0; k < nc && !hit; k++) {
      if (cands[k].kind != DTW__XV_STR)
        return everr(ev, DTW_EPARSE, "%s first arg must be str or a tuple of str", name);
      size_t l = cands[k].len;
      hit = l <= self->len && memcmp(name[0] == 's' ? self->s : self->s + self->len - l,
                                     cands[k].s, l) == 0;
    }
    dtw__xval_set_bool(out, hit);
    return 0;
  }
  if (self->kind == DTW__XV_STR &&
      (strcmp(name, "find") == 0 || strcmp(name, "rfind") == 0 || strcmp(name, "index") == 0)) {
    const char *hit = NULL;
    if (name[0] == 'r') {
      for (size_t i = self->len + 1; i-- > 0 && hit == NULL;)
        if (i + args[0].len <= self->len && memcmp(self->s + i, args[0].s, args[0].len) == 0)
          hit = self->s + i;
    } else {
      hit = args[0].len == 0 ? self->s : memmem(self->s, self->len, args[0].s, args[0].len);
    }
    if (hit == NULL && name[0] == 'i') return everr(ev, DTW_ENOENT, "substring not found");
    dtw__xval_set_int(out, hit != NULL ? cp_index(self->s, (size_t)(hit - self->s)) : -1);
    return 0;
  }
  if (strcmp(name, "count") == 0 && self->kind == DTW__XV_STR) {
    long long c = 0;
    if (args[0].len == 0) {
      c = (long long)cp_count(self->s, self->len) + 1;
    } else {
      for (const char *p = self->s; (p = memmem(p, self->len - (size_t)(p - self->s), args[0].s,
                                                args[0].len)) != NULL;
           p += args[0].len)
        c++;
    }
    dtw__xval_set_int(out, c);
    return 0;
  }
  if (strcmp(name, "count") == 0 || strcmp(name, "index") == 0) {
    long long c = 0, at = -1;
    for (size_t k = 0; k < self->o->n; k++)
      if (dtw__xval_equal(&self->o->items[k], &args[0])) {
        if (at < 0) at = (long long)k;
        c++;
      }
    if (name[0] == 'i' && at < 0)
      return everr(ev, DTW_ENOENT, "%s.index(x): x not in %s", dtw__xval_type_name(self),
                   dtw__xval_type_name(self));
    dtw__xval_set_int(out, name[0] == 'i' ? at : c);
    return 0;
  }
  if (strncmp(name, "is", 2) == 0) {
    int ok = self->len > 0;
    for (size_t i = 0; i < self->len && ok; i++) {
      unsigned char c = (unsigned char)self->s[i];
      ok = name[2] == 'd'   ? isdigit(c) != 0
           : name[2] == 's' ? isspace(c) != 0
           : name[4] == 'n' ? isalnum(c) != 0
                            : isalpha(c) != 0;
    }
    dtw__xval_set_bool(out, ok);
    return 0;
  }
  if (strcmp(name, "zfill") == 0) {
    if (args[0].kind != DTW__XV_INT) return everr(ev, DTW_EPARSE, "zfill() needs an int");
    long long w = args[0].i > MAX_FORMAT_WIDTH ? MAX_FORMAT_WIDTH : args[0].i;
    size_t have = cp_count(self->s, self->len), sign = self->len > 0 && strchr("+-", self->s[0]) &&
                                                           self->s[0] != '\0';
    dtw__xbuf_add(&b, self->s, sign);
    for (long long k = (long long)have; k < w; k++) dtw__xbuf_add(&b, "0", 1);
    dtw__xbuf_add(&b, self->s + sign, self->len - sign);
    return finish(ev, &b, out);
  }
  if (strcmp(name, "keys") == 0 || strcmp(name, "values") == 0 || strcmp(name, "items") == 0) {
    if (dtw__xval_new_container(out, DTW__XV_LIST, self->o->n) < 0) return nomem(ev);
    for (size_t k = 0; k < self->o->n && r == 0; k++) {
      dtw__xval_t a, v;
      memset(&v, 0, sizeof v);
      if (dtw__xval_copy(&a, name[0] == 'v' ? &self->o->items[k] : &self->o->keys[k]) < 0) {
        r = nomem(ev);
        break;
      }
      if (name[0] == 'i') {
        dtw__xval_t t;
        if (dtw__xval_copy(&v, &self->o->items[k]) < 0 ||
            dtw__xval_new_container(&t, DTW__XV_TUPLE, 2) < 0) {
          dtw__xval_fini(&a);
          dtw__xval_fini(&v);
          r = nomem(ev);
          break;
        }
        dtw__xval_append(&t, NULL, &a);
        dtw__xval_append(&t, NULL, &v);
        a = t;
      }
      if (dtw__xval_append(out, NULL, &a) < 0) {
        dtw__xval_fini(&a);
        r = nomem(ev);
      }
    }
    if (r < 0) dtw__xval_fini(out);
    return r;
  }
  if (strcmp(name, "get") == 0) {
    const dtw__xval_t *v = dtw__xval_dict_get(self, &args[0]);
    if (v == NULL && n > 1) v = &args[1];
    if (v == NULL) {
      dtw__xval_set_none(out);
      return 0;
    }
    return dtw__xval_copy(out, v) < 0 ? nomem(ev) : 0;
  }
  return everr(ev, DTW_EUNSUP, "method '%s' is not supported", name);
}
