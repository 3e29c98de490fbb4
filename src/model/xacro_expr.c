/* xacro_expr.c - the Python subset xacro evaluates inside ${...}.
 *
 * The text is parsed into a small tree first (so `a if c else b`, `and` and
 * `or` evaluate only the branch Python would), then evaluated. Semantics
 * follow Python 3: int / int is a float, // floors, % takes the divisor's
 * sign, ** of ints stays an int, and/or return an operand, floats print as
 * their shortest round-trip repr. Ints are 64-bit: overflow is an error
 * instead of a big int. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "model__xacro.h"

/* ---- values ---------------------------------------------------------------------------- */

void dtw__xval_fini(dtw__xval_t *v) {
  if (v == NULL) return;
  free(v->s);
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
  return 0;
}

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
#define PUT(c)                                      \
  do {                                              \
    if (o < sizeof res - 1) res[o++] = (char)(c);   \
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

int dtw__xval_to_str(const dtw__xval_t *v, char **out, size_t *len) {
  char buf[64];
  const char *src = buf;
  size_t l;
  switch (v->kind) {
  case DTW__XV_INT:
    snprintf(buf, sizeof buf, "%lld", v->i);
    break;
  case DTW__XV_FLOAT:
    dtw__xval_format_float(v->f, buf, sizeof buf);
    break;
  case DTW__XV_BOOL:
    src = v->i ? "True" : "False";
    break;
  case DTW__XV_STR:
  default:
    src = v->s != NULL ? v->s : "";
    break;
  }
  l = v->kind == DTW__XV_STR ? v->len : strlen(src);
  *out = malloc(l + 1);
  if (*out == NULL) return DTW_ENOMEM;
  memcpy(*out, src, l);
  (*out)[l] = '\0';
  if (len != NULL) *len = l;
  return 0;
}

/* Python's int(text): optional whitespace, sign, decimal digits. */
static int parse_int(const char *s, size_t len, long long *out) {
  size_t a = 0, b = len;
  while (a < b && isspace((unsigned char)s[a])) a++;
  while (b > a && isspace((unsigned char)s[b - 1])) b--;
  size_t i = a;
  if (i < b && (s[i] == '+' || s[i] == '-')) i++;
  if (i == b) return -1;
  for (size_t k = i; k < b; k++)
    if (!isdigit((unsigned char)s[k])) return -1;
  char buf[32];
  if (b - a >= sizeof buf) return -2; /* too long for 64 bits */
  memcpy(buf, s + a, b - a);
  buf[b - a] = '\0';
  errno = 0;
  long long v = strtoll(buf, NULL, 10);
  if (errno == ERANGE) return -2;
  *out = v;
  return 0;
}

/* Python's float(text): decimal with optional exponent, inf, infinity, nan. */
static int parse_float(const char *s, size_t len, double *out) {
  size_t a = 0, b = len;
  while (a < b && isspace((unsigned char)s[a])) a++;
  while (b > a && isspace((unsigned char)s[b - 1])) b--;
  if (a == b || b - a > 400) return -1;
  char buf[404];
  memcpy(buf, s + a, b - a);
  buf[b - a] = '\0';
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
  memset(out, 0, sizeof *out);
  int r = parse_int(text, len, &iv);
  if (r == 0) {
    out->kind = DTW__XV_INT;
    out->i = iv;
    return 0;
  }
  if (parse_float(text, len, &fv) == 0) {
    out->kind = DTW__XV_FLOAT;
    out->f = fv;
    return 0;
  }
  if ((len == 4 && (memcmp(text, "true", 4) == 0 || memcmp(text, "True", 4) == 0)) ||
      (len == 5 && (memcmp(text, "false", 5) == 0 || memcmp(text, "False", 5) == 0))) {
    out->kind = DTW__XV_BOOL;
    out->i = len == 4;
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
  if (parse_int(v->s, v->len, &iv) == 0) {
    *out = iv != 0;
    return 0;
  }
  return DTW_EPARSE;
}

/* ---- parser ---------------------------------------------------------------------------- */

enum {
  TK_END,
  TK_INT,
  TK_FLOAT,
  TK_STR,
  TK_NAME,
  TK_OP
};

enum {
  OP_ADD = 1,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_FDIV,
  OP_MOD,
  OP_POW,
  OP_EQ,
  OP_NE,
  OP_LT,
  OP_LE,
  OP_GT,
  OP_GE,
  OP_LP,
  OP_RP,
  OP_COMMA,
  OP_OTHER
};

enum {
  N_LIT,
  N_NAME,
  N_CALL,
  N_NEG,
  N_POS,
  N_NOT,
  N_BIN,
  N_AND,
  N_OR,
  N_COND
};

typedef struct xnode {
  int kind;
  int op;
  int a, b, c;    /* children; -1 = none. N_CALL: a = first argument */
  int next;       /* next argument of a call */
  dtw__xval_t lit;
  const char *name; /* N_NAME, N_CALL: into the expression text */
  size_t nlen;
} xnode_t;

typedef struct parser {
  const char *s;
  size_t len, pos;
  /* current token */
  int tk, op;
  size_t tstart, tlen;
  long long ival;
  double fval;
  char *sval;
  size_t slen;
  xnode_t *nodes;
  int n, cap;
  int depth;
  char *err;
  size_t errlen;
} parser_t;

static int perr(parser_t *p, int code, const char *what) {
  size_t show = p->tlen > 40 ? 40 : p->tlen;
  if (p->tk == TK_END)
    return dtw_errf(p->err, p->errlen, code, "%s at end of expression", what);
  return dtw_errf(p->err, p->errlen, code, "%s at '%.*s' (column %zu)", what, (int)show,
                  p->s + p->tstart, p->tstart + 1);
}

static int is_name_start(int c) { return isalpha(c) || c == '_'; }
static int is_name_char(int c) { return isalnum(c) || c == '_'; }

/* Read one string literal body starting after the quote at p->pos - 1. */
static int lex_string(parser_t *p, char quote) {
  size_t cap = 16, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return DTW_ENOMEM;
  for (;;) {
    if (p->pos >= p->len) {
      free(buf);
      p->tlen = p->pos - p->tstart;
      return perr(p, DTW_EPARSE, "unterminated string");
    }
    char c = p->s[p->pos++];
    if (c == quote) break;
    if (c == '\\' && p->pos < p->len) {
      char e = p->s[p->pos++];
      switch (e) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case '\\': c = '\\'; break;
      case '\'': c = '\''; break;
      case '"': c = '"'; break;
      default:
        /* Python keeps unknown escapes verbatim */
        if (n + 1 >= cap) {
          char *nb = realloc(buf, cap * 2);
          if (nb == NULL) {
            free(buf);
            return DTW_ENOMEM;
          }
          buf = nb;
          cap *= 2;
        }
        buf[n++] = '\\';
        c = e;
        break;
      }
    }
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        return DTW_ENOMEM;
      }
      buf = nb;
      cap *= 2;
    }
    buf[n++] = c;
  }
  buf[n] = '\0';
  p->sval = buf;
  p->slen = n;
  p->tk = TK_STR;
  p->tlen = p->pos - p->tstart;
  return 0;
}

static int lex_number(parser_t *p) {
  size_t i = p->pos;
  int is_float = 0;
  while (i < p->len && isdigit((unsigned char)p->s[i])) i++;
  if (i < p->len && p->s[i] == '.') {
    is_float = 1;
    i++;
    while (i < p->len && isdigit((unsigned char)p->s[i])) i++;
  }
  if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
    size_t j = i + 1;
    if (j < p->len && (p->s[j] == '+' || p->s[j] == '-')) j++;
    if (j < p->len && isdigit((unsigned char)p->s[j])) {
      is_float = 1;
      i = j;
      while (i < p->len && isdigit((unsigned char)p->s[i])) i++;
    }
  }
  p->tlen = i - p->tstart;
  if (i < p->len && is_name_char((unsigned char)p->s[i])) {
    p->pos = i;
    p->tlen = i + 1 - p->tstart;
    return perr(p, DTW_EPARSE, "invalid number");
  }
  char buf[64];
  size_t l = i - p->pos;
  if (l >= sizeof buf) {
    p->pos = i;
    return perr(p, DTW_ERANGE, "number too long");
  }
  memcpy(buf, p->s + p->pos, l);
  buf[l] = '\0';
  p->pos = i;
  if (is_float) {
    p->tk = TK_FLOAT;
    p->fval = strtod(buf, NULL);
    return 0;
  }
  /* Python 3 forbids leading zeros on non-zero ints (octal ambiguity) */
  if (l > 1 && buf[0] == '0' && strspn(buf, "0") != l) return perr(p, DTW_EPARSE, "invalid number");
  errno = 0;
  p->ival = strtoll(buf, NULL, 10);
  if (errno == ERANGE) return perr(p, DTW_ERANGE, "integer literal too large");
  p->tk = TK_INT;
  return 0;
}

static int lex_next(parser_t *p) {
  free(p->sval);
  p->sval = NULL;
  while (p->pos < p->len && isspace((unsigned char)p->s[p->pos])) p->pos++;
  p->tstart = p->pos;
  p->tlen = 0;
  if (p->pos >= p->len) {
    p->tk = TK_END;
    return 0;
  }
  unsigned char c = (unsigned char)p->s[p->pos];
  if (isdigit(c) ||
      (c == '.' && p->pos + 1 < p->len && isdigit((unsigned char)p->s[p->pos + 1])))
    return lex_number(p);
  if (c == '\'' || c == '"') {
    p->pos++;
    return lex_string(p, (char)c);
  }
  if (is_name_start(c)) {
    size_t i = p->pos;
    while (i < p->len && is_name_char((unsigned char)p->s[i])) i++;
    /* math.<name> is the same as <name>; other dotted access (yaml dicts) is refused */
    if (i < p->len && p->s[i] == '.') {
      size_t j = i + 1;
      while (j < p->len && is_name_char((unsigned char)p->s[j])) j++;
      p->tlen = j - p->tstart;
      if (i - p->pos == 4 && memcmp(p->s + p->pos, "math", 4) == 0 && j > i + 1) {
        p->tstart = i + 1;
        p->tlen = j - i - 1;
        p->pos = j;
        p->tk = TK_NAME;
        return 0;
      }
      p->tk = TK_NAME;
      return perr(p, DTW_EUNSUP, "dotted names are not supported");
    }
    p->tk = TK_NAME;
    p->tlen = i - p->pos;
    p->pos = i;
    return 0;
  }
  static const struct {
    const char *text;
    int op;
  } ops[] = {{"**", OP_POW}, {"//", OP_FDIV}, {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE},
             {">=", OP_GE},  {"+", OP_ADD},   {"-", OP_SUB},  {"*", OP_MUL},  {"/", OP_DIV},
             {"%", OP_MOD},  {"<", OP_LT},    {">", OP_GT},   {"(", OP_LP},   {")", OP_RP},
             {",", OP_COMMA}};
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    size_t l = strlen(ops[k].text);
    if (p->pos + l <= p->len && memcmp(p->s + p->pos, ops[k].text, l) == 0) {
      p->tk = TK_OP;
      p->op = ops[k].op;
      p->tlen = l;
      p->pos += l;
      return 0;
    }
  }
  p->tk = TK_OP;
  p->op = OP_OTHER;
  p->tlen = 1;
  if (strchr("[]{}&|^~@:;=`", c) != NULL)
    return perr(p, DTW_EUNSUP, "unsupported Python syntax");
  return perr(p, DTW_EPARSE, "invalid character");
}

static int tok_is_kw(const parser_t *p, const char *kw) {
  size_t l = strlen(kw);
  return p->tk == TK_NAME && p->tlen == l && memcmp(p->s + p->tstart, kw, l) == 0;
}

static int tok_is_op(const parser_t *p, int op) { return p->tk == TK_OP && p->op == op; }

static int new_node(parser_t *p, int kind) {
  if (p->n == p->cap) {
    int ncap = p->cap ? p->cap * 2 : 16;
    xnode_t *nn = realloc(p->nodes, (size_t)ncap * sizeof *nn);
    if (nn == NULL) return DTW_ENOMEM;
    p->nodes = nn;
    p->cap = ncap;
  }
  xnode_t *x = &p->nodes[p->n];
  memset(x, 0, sizeof *x);
  x->kind = kind;
  x->a = x->b = x->c = x->next = -1;
  return p->n++;
}

static int parse_cond(parser_t *p);

static int enter(parser_t *p) {
  if (++p->depth > DTW__XEXPR_MAX_DEPTH)
    return perr(p, DTW_ERANGE, "expression nested too deeply");
  return 0;
}

static int parse_primary(parser_t *p) {
  int r, idx;
  switch (p->tk) {
  case TK_INT:
  case TK_FLOAT:
    if ((idx = new_node(p, N_LIT)) < 0) return idx;
    p->nodes[idx].lit.kind = p->tk == TK_INT ? DTW__XV_INT : DTW__XV_FLOAT;
    p->nodes[idx].lit.i = p->ival;
    p->nodes[idx].lit.f = p->fval;
    if ((r = lex_next(p)) < 0) return r;
    return idx;
  case TK_STR: {
    if ((idx = new_node(p, N_LIT)) < 0) return idx;
    /* adjacent literals concatenate, as in Python */
    char *acc = p->sval;
    size_t alen = p->slen;
    p->sval = NULL;
    p->nodes[idx].lit.kind = DTW__XV_STR;
    p->nodes[idx].lit.s = acc;
    p->nodes[idx].lit.len = alen;
    if ((r = lex_next(p)) < 0) return r;
    while (p->tk == TK_STR) {
      char *nb = realloc(p->nodes[idx].lit.s, p->nodes[idx].lit.len + p->slen + 1);
      if (nb == NULL) return DTW_ENOMEM;
      memcpy(nb + p->nodes[idx].lit.len, p->sval, p->slen + 1);
      p->nodes[idx].lit.s = nb;
      p->nodes[idx].lit.len += p->slen;
      if ((r = lex_next(p)) < 0) return r;
    }
    return idx;
  }
  case TK_NAME: {
    static const char *const reserved[] = {"and", "or", "not", "if", "else", "in", "is",
                                           "lambda", "for", "None", "import"};
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
      if (tok_is_kw(p, reserved[k]))
        return perr(p, strcmp(reserved[k], "None") == 0 || strcmp(reserved[k], "lambda") == 0 ||
                               strcmp(reserved[k], "for") == 0 || strcmp(reserved[k], "import") == 0
                           ? DTW_EUNSUP
                           : DTW_EPARSE,
                    "unexpected keyword");
    if (tok_is_kw(p, "True") || tok_is_kw(p, "False")) {
      if ((idx = new_node(p, N_LIT)) < 0) return idx;
      p->nodes[idx].lit.kind = DTW__XV_BOOL;
      p->nodes[idx].lit.i = tok_is_kw(p, "True");
      if ((r = lex_next(p)) < 0) return r;
      return idx;
    }
    const char *name = p->s + p->tstart;
    size_t nlen = p->tlen;
    if ((r = lex_next(p)) < 0) return r;
    if (tok_is_op(p, OP_LP)) {
      if ((idx = new_node(p, N_CALL)) < 0) return idx;
      p->nodes[idx].name = name;
      p->nodes[idx].nlen = nlen;
      if ((r = lex_next(p)) < 0) return r;
      int last = -1;
      while (!tok_is_op(p, OP_RP)) {
        int arg = parse_cond(p);
        if (arg < 0) return arg;
        if (last < 0)
          p->nodes[idx].a = arg;
        else
          p->nodes[last].next = arg;
        last = arg;
        if (tok_is_op(p, OP_COMMA)) {
          if ((r = lex_next(p)) < 0) return r;
        } else if (!tok_is_op(p, OP_RP)) {
          return perr(p, DTW_EPARSE, "expected ',' or ')'");
        }
      }
      if ((r = lex_next(p)) < 0) return r;
      return idx;
    }
    if ((idx = new_node(p, N_NAME)) < 0) return idx;
    p->nodes[idx].name = name;
    p->nodes[idx].nlen = nlen;
    return idx;
  }
  case TK_OP:
    if (p->op == OP_LP) {
      if ((r = lex_next(p)) < 0) return r;
      if ((idx = parse_cond(p)) < 0) return idx;
      if (tok_is_op(p, OP_COMMA)) return perr(p, DTW_EUNSUP, "tuples are not supported");
      if (!tok_is_op(p, OP_RP)) return perr(p, DTW_EPARSE, "expected ')'");
      if ((r = lex_next(p)) < 0) return r;
      return idx;
    }
    return perr(p, DTW_EPARSE, "syntax error");
  case TK_END:
  default:
    return perr(p, DTW_EPARSE, "syntax error: expression expected");
  }
}

static int parse_unary(parser_t *p);

/* power: primary ['**' unary]  (right-assoc, binds tighter than a unary minus on its left) */
static int parse_power(parser_t *p) {
  int r, base = parse_primary(p);
  if (base < 0) return base;
  if (tok_is_op(p, OP_POW)) {
    if ((r = lex_next(p)) < 0) return r;
    int ex = parse_unary(p);
    if (ex < 0) return ex;
    int idx = new_node(p, N_BIN);
    if (idx < 0) return idx;
    p->nodes[idx].op = OP_POW;
    p->nodes[idx].a = base;
    p->nodes[idx].b = ex;
    return idx;
  }
  return base;
}

/* A prefix operator already seen: skip it, parse its operand with operand
 * (depth-limited: prefixes nest), wrap it in a node of kind. */
static int parse_prefix(parser_t *p, int kind, int (*operand)(parser_t *)) {
  int r;
  if ((r = enter(p)) < 0) return r;
  if ((r = lex_next(p)) < 0) return r;
  int a = operand(p);
  p->depth--;
  if (a < 0) return a;
  int idx = new_node(p, kind);
  if (idx < 0) return idx;
  p->nodes[idx].a = a;
  return idx;
}

static int parse_unary(parser_t *p) {
  if (tok_is_op(p, OP_SUB)) return parse_prefix(p, N_NEG, parse_unary);
  if (tok_is_op(p, OP_ADD)) return parse_prefix(p, N_POS, parse_unary);
  return parse_power(p);
}

static int parse_binary_level(parser_t *p, int level);

static int make_bin(parser_t *p, int kind, int op, int a, int b) {
  int idx = new_node(p, kind);
  if (idx < 0) return idx;
  p->nodes[idx].op = op;
  p->nodes[idx].a = a;
  p->nodes[idx].b = b;
  return idx;
}

/* level 0: + -, level 1: * / // % */
static int parse_binary_level(parser_t *p, int level) {
  int r, lhs = level == 1 ? parse_unary(p) : parse_binary_level(p, 1);
  if (lhs < 0) return lhs;
  for (;;) {
    int op = p->tk == TK_OP ? p->op : 0;
    int match = level == 0 ? (op == OP_ADD || op == OP_SUB)
                           : (op == OP_MUL || op == OP_DIV || op == OP_FDIV || op == OP_MOD);
    if (!match) return lhs;
    if ((r = lex_next(p)) < 0) return r;
    int rhs = level == 1 ? parse_unary(p) : parse_binary_level(p, 1);
    if (rhs < 0) return rhs;
    if ((lhs = make_bin(p, N_BIN, op, lhs, rhs)) < 0) return lhs;
  }
}

/* comparisons chain like Python: a < b < c is (a < b) and (b < c) */
static int parse_comparison(parser_t *p) {
  int r, lhs = parse_binary_level(p, 0);
  if (lhs < 0) return lhs;
  int result = -1;
  for (;;) {
    int op = p->tk == TK_OP ? p->op : 0;
    if (tok_is_kw(p, "in") || tok_is_kw(p, "is"))
      return perr(p, DTW_EUNSUP, "'in' and 'is' are not supported");
    if (!(op == OP_EQ || op == OP_NE || op == OP_LT || op == OP_LE || op == OP_GT || op == OP_GE))
      return result < 0 ? lhs : result;
    if ((r = lex_next(p)) < 0) return r;
    int rhs = parse_binary_level(p, 0);
    if (rhs < 0) return rhs;
    int cmp = make_bin(p, N_BIN, op, lhs, rhs);
    if (cmp < 0) return cmp;
    result = result < 0 ? cmp : make_bin(p, N_AND, 0, result, cmp);
    if (result < 0) return result;
    lhs = rhs;
  }
}

static int parse_not(parser_t *p) {
  if (tok_is_kw(p, "not")) return parse_prefix(p, N_NOT, parse_not);
  return parse_comparison(p);
}

/* operand (KW operand)*, left-associative: 'and' over 'not', 'or' over 'and' */
static int parse_kw_chain(parser_t *p, const char *kw, int kind, int (*operand)(parser_t *)) {
  int r, lhs = operand(p);
  if (lhs < 0) return lhs;
  while (tok_is_kw(p, kw)) {
    if ((r = lex_next(p)) < 0) return r;
    int rhs = operand(p);
    if (rhs < 0) return rhs;
    if ((lhs = make_bin(p, kind, 0, lhs, rhs)) < 0) return lhs;
  }
  return lhs;
}

static int parse_and(parser_t *p) { return parse_kw_chain(p, "and", N_AND, parse_not); }
static int parse_or(parser_t *p) { return parse_kw_chain(p, "or", N_OR, parse_and); }

/* a if c else b */
static int parse_cond(parser_t *p) {
  int r;
  if ((r = enter(p)) < 0) return r;
  int a = parse_or(p);
  if (a >= 0 && tok_is_kw(p, "if")) {
    if ((r = lex_next(p)) < 0) return r;
    int c = parse_or(p);
    if (c < 0) return c;
    if (!tok_is_kw(p, "else")) return perr(p, DTW_EPARSE, "expected 'else'");
    if ((r = lex_next(p)) < 0) return r;
    int b = parse_cond(p);
    if (b < 0) return b;
    int idx = new_node(p, N_COND);
    if (idx < 0) return idx;
    p->nodes[idx].a = a;
    p->nodes[idx].b = b;
    p->nodes[idx].c = c;
    a = idx;
  }
  p->depth--;
  return a;
}

/* ---- evaluation ------------------------------------------------------------------------ */

typedef struct evaluator {
  const parser_t *p;
  const dtw__xexpr_ctx_t *ctx;
  char *err;
  size_t errlen;
} evaluator_t;

static const char *type_name(const dtw__xval_t *v) {
  switch (v->kind) {
  case DTW__XV_INT: return "int";
  case DTW__XV_FLOAT: return "float";
  case DTW__XV_BOOL: return "bool";
  case DTW__XV_STR:
  default: return "str";
  }
}

static int is_num(const dtw__xval_t *v) { return v->kind != DTW__XV_STR; }
static double num_f(const dtw__xval_t *v) {
  return v->kind == DTW__XV_FLOAT ? v->f : (double)v->i;
}

static int charge(evaluator_t *ev, size_t bytes) {
  if (bytes > DTW__XSTR_MAX)
    return dtw_errf(ev->err, ev->errlen, DTW_ERANGE, "string longer than %zu bytes",
                    (size_t)DTW__XSTR_MAX);
  if (ev->ctx != NULL && ev->ctx->budget != NULL) {
    *ev->ctx->budget -= (long)(bytes / 64 + 1);
    if (*ev->ctx->budget < 0)
      return dtw_errf(ev->err, ev->errlen, DTW_ERANGE, "expansion work limit exceeded");
  }
  return 0;
}

static void set_int(dtw__xval_t *out, long long i) {
  memset(out, 0, sizeof *out);
  out->kind = DTW__XV_INT;
  out->i = i;
}

static void set_float(dtw__xval_t *out, double f) {
  memset(out, 0, sizeof *out);
  out->kind = DTW__XV_FLOAT;
  out->f = f;
}

static void set_bool(dtw__xval_t *out, int b) {
  memset(out, 0, sizeof *out);
  out->kind = DTW__XV_BOOL;
  out->i = b != 0;
}

static int overflow(evaluator_t *ev) {
  return dtw_errf(ev->err, ev->errlen, DTW_ERANGE, "integer overflow (ints are 64-bit here)");
}

static int zero_div(evaluator_t *ev) {
  return dtw_errf(ev->err, ev->errlen, DTW_ERANGE, "division by zero");
}

static int float_result(evaluator_t *ev, double f, dtw__xval_t *out) {
  /* Python raises OverflowError where C quietly gives inf */
  if (isinf(f)) return dtw_errf(ev->err, ev->errlen, DTW_ERANGE, "float result out of range");
  set_float(out, f);
  return 0;
}

static int ipow(evaluator_t *ev, long long b, long long e, long long *out) {
  long long r = 1;
  while (e > 0) {
    if (e & 1) {
      if (__builtin_mul_overflow(r, b, &r)) return overflow(ev);
    }
    e >>= 1;
    if (e > 0 && __builtin_mul_overflow(b, b, &b)) return overflow(ev);
  }
  *out = r;
  return 0;
}

static int compare(evaluator_t *ev, int op, const dtw__xval_t *a, const dtw__xval_t *b,
                   dtw__xval_t *out) {
  int c;
  if (is_num(a) && is_num(b)) {
    if (a->kind != DTW__XV_FLOAT && b->kind != DTW__XV_FLOAT) {
      c = a->i < b->i ? -1 : a->i > b->i;
    } else {
      double x = num_f(a), y = num_f(b);
      if (isnan(x) || isnan(y)) {
        set_bool(out, op == OP_NE);
        return 0;
      }
      c = x < y ? -1 : x > y;
    }
  } else if (a->kind == DTW__XV_STR && b->kind == DTW__XV_STR) {
    size_t m = a->len < b->len ? a->len : b->len;
    c = memcmp(a->s, b->s, m);
    if (c == 0) c = a->len < b->len ? -1 : a->len > b->len;
  } else {
    if (op == OP_EQ || op == OP_NE) {
      set_bool(out, op == OP_NE);
      return 0;
    }
    return dtw_errf(ev->err, ev->errlen, DTW_EPARSE, "cannot compare %s and %s", type_name(a),
                    type_name(b));
  }
  int r;
  switch (op) {
  case OP_EQ: r = c == 0; break;
  case OP_NE: r = c != 0; break;
  case OP_LT: r = c < 0; break;
  case OP_LE: r = c <= 0; break;
  case OP_GT: r = c > 0; break;
  default: r = c >= 0; break;
  }
  set_bool(out, r);
  return 0;
}

static const char *op_text(int op) {
  switch (op) {
  case OP_ADD: return "+";
  case OP_SUB: return "-";
  case OP_MUL: return "*";
  case OP_DIV: return "/";
  case OP_FDIV: return "//";
  case OP_MOD: return "%";
  case OP_POW: return "**";
  default: return "?";
  }
}

static int arith(evaluator_t *ev, int op, const dtw__xval_t *a, const dtw__xval_t *b,
                 dtw__xval_t *out) {
  int r;
  if (op >= OP_EQ && op <= OP_GE) return compare(ev, op, a, b, out);
  /* strings: concatenation and repetition only */
  if (a->kind == DTW__XV_STR || b->kind == DTW__XV_STR) {
    if (op == OP_ADD && a->kind == DTW__XV_STR && b->kind == DTW__XV_STR) {
      if ((r = charge(ev, a->len + b->len)) < 0) return r;
      char *s = malloc(a->len + b->len + 1);
      if (s == NULL) return DTW_ENOMEM;
      memcpy(s, a->s, a->len);
      memcpy(s + a->len, b->s, b->len + 1);
      memset(out, 0, sizeof *out);
      out->kind = DTW__XV_STR;
      out->s = s;
      out->len = a->len + b->len;
      return 0;
    }
    if (op == OP_MUL && (a->kind == DTW__XV_STR) != (b->kind == DTW__XV_STR)) {
      const dtw__xval_t *str = a->kind == DTW__XV_STR ? a : b;
      const dtw__xval_t *cnt = a->kind == DTW__XV_STR ? b : a;
      if (cnt->kind == DTW__XV_FLOAT) goto type_error;
      long long k = cnt->i < 0 ? 0 : cnt->i;
      if (str->len > 0 && (unsigned long long)k > DTW__XSTR_MAX / str->len)
        return charge(ev, DTW__XSTR_MAX + 1);
      size_t total = str->len * (size_t)k;
      if ((r = charge(ev, total)) < 0) return r;
      char *s = malloc(total + 1);
      if (s == NULL) return DTW_ENOMEM;
      for (long long i = 0; i < k; i++) memcpy(s + (size_t)i * str->len, str->s, str->len);
      s[total] = '\0';
      memset(out, 0, sizeof *out);
      out->kind = DTW__XV_STR;
      out->s = s;
      out->len = total;
      return 0;
    }
    if (op == OP_MOD && a->kind == DTW__XV_STR)
      return dtw_errf(ev->err, ev->errlen, DTW_EUNSUP, "string formatting with %% is not supported");
    goto type_error;
  }
  /* both numbers; bools act as ints */
  if (a->kind != DTW__XV_FLOAT && b->kind != DTW__XV_FLOAT) {
    long long x = a->i, y = b->i, z = 0;
    switch (op) {
    case OP_ADD:
      if (__builtin_add_overflow(x, y, &z)) return overflow(ev);
      set_int(out, z);
      return 0;
    case OP_SUB:
      if (__builtin_sub_overflow(x, y, &z)) return overflow(ev);
      set_int(out, z);
      return 0;
    case OP_MUL:
      if (__builtin_mul_overflow(x, y, &z)) return overflow(ev);
      set_int(out, z);
      return 0;
    case OP_DIV:
      if (y == 0) return zero_div(ev);
      set_float(out, (double)x / (double)y);
      return 0;
    case OP_FDIV:
    case OP_MOD: {
      if (y == 0) return zero_div(ev);
      if (x == LLONG_MIN && y == -1) return overflow(ev);
      long long q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        q -= 1;
        m += y;
      }
      set_int(out, op == OP_FDIV ? q : m);
      return 0;
    }
    case OP_POW:
      if (y >= 0) {
        if ((r = ipow(ev, x, y, &z)) < 0) return r;
        set_int(out, z);
        return 0;
      }
      if (x == 0) return zero_div(ev);
      return float_result(ev, pow((double)x, (double)y), out);
    default:
      goto type_error;
    }
  }
  double x = num_f(a), y = num_f(b);
  switch (op) {
  case OP_ADD: return float_result(ev, x + y, out);
  case OP_SUB: return float_result(ev, x - y, out);
  case OP_MUL: return float_result(ev, x * y, out);
  case OP_DIV:
    if (y == 0.0) return zero_div(ev);
    return float_result(ev, x / y, out);
  case OP_FDIV:
  case OP_MOD: {
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
    set_float(out, op == OP_MOD ? m : q);
    return 0;
  }
  case OP_POW:
    if (x == 0.0 && y < 0) return zero_div(ev);
    if (x < 0 && y != floor(y))
      return dtw_errf(ev->err, ev->errlen, DTW_EUNSUP, "complex result of ** is not supported");
    return float_result(ev, pow(x, y), out);
  default:
    goto type_error;
  }
type_error:
  return dtw_errf(ev->err, ev->errlen, DTW_EPARSE, "unsupported operand types for %s: '%s' and '%s'",
                  op_text(op), type_name(a), type_name(b));
}

static int eval_node(evaluator_t *ev, int idx, dtw__xval_t *out);

/* Builtin functions: math module (also as math.<name>) and a few Python builtins. */
enum { F_SIN = 1, F_COS, F_TAN, F_ASIN, F_ACOS, F_ATAN, F_ATAN2, F_SQRT, F_EXP, F_LOG, F_LOG10,
       F_POW, F_ABS, F_FABS, F_MIN, F_MAX, F_FLOOR, F_CEIL, F_RADIANS, F_DEGREES, F_ROUND,
       F_INT, F_FLOAT, F_STR };

static const struct {
  const char *name;
  int fn;
  int min_args, max_args; /* max -1 = any */
} g_funcs[] = {
    {"sin", F_SIN, 1, 1},       {"cos", F_COS, 1, 1},         {"tan", F_TAN, 1, 1},
    {"asin", F_ASIN, 1, 1},     {"acos", F_ACOS, 1, 1},       {"atan", F_ATAN, 1, 1},
    {"atan2", F_ATAN2, 2, 2},   {"sqrt", F_SQRT, 1, 1},       {"exp", F_EXP, 1, 1},
    {"log", F_LOG, 1, 2},       {"log10", F_LOG10, 1, 1},     {"pow", F_POW, 2, 2},
    {"abs", F_ABS, 1, 1},       {"fabs", F_FABS, 1, 1},       {"min", F_MIN, 2, -1},
    {"max", F_MAX, 2, -1},      {"floor", F_FLOOR, 1, 1},     {"ceil", F_CEIL, 1, 1},
    {"radians", F_RADIANS, 1, 1}, {"degrees", F_DEGREES, 1, 1}, {"round", F_ROUND, 1, 2},
    {"int", F_INT, 1, 1},       {"float", F_FLOAT, 1, 1},     {"str", F_STR, 1, 1},
};

static int domain_error(evaluator_t *ev, const char *fn) {
  return dtw_errf(ev->err, ev->errlen, DTW_ERANGE, "%s(): math domain error", fn);
}

/* float(x) -> int with Python's errors for inf/nan/out of range */
static int float_to_int(evaluator_t *ev, double f, dtw__xval_t *out) {
  if (isnan(f) || isinf(f))
    return dtw_errf(ev->err, ev->errlen, DTW_ERANGE, "cannot convert %s to integer",
                    isnan(f) ? "nan" : "inf");
  if (f >= 9223372036854775808.0 || f < -9223372036854775808.0) return overflow(ev);
  set_int(out, (long long)f);
  return 0;
}

/* round half to even, as Python 3 */
static double round_even(double x) {
  double r = nearbyint(x);
  return r;
}

static int call_builtin(evaluator_t *ev, const xnode_t *call, dtw__xval_t *out) {
  int r = 0, fn = 0, min_args = 0, max_args = 0, n = 0;
  const char *fname = NULL;
  dtw__xval_t args[8];
  memset(args, 0, sizeof args);
  for (size_t k = 0; k < sizeof g_funcs / sizeof g_funcs[0]; k++) {
    if (strlen(g_funcs[k].name) == call->nlen &&
        memcmp(g_funcs[k].name, call->name, call->nlen) == 0) {
      fn = g_funcs[k].fn;
      fname = g_funcs[k].name;
      min_args = g_funcs[k].min_args;
      max_args = g_funcs[k].max_args;
    }
  }
  if (fn == 0) {
    return dtw_errf(ev->err, ev->errlen, DTW_EUNSUP, "function '%.*s' is not supported",
                    (int)(call->nlen > 40 ? 40 : call->nlen), call->name);
  }
  for (int a = call->a; a >= 0; a = ev->p->nodes[a].next) {
    if (n == (int)(sizeof args / sizeof args[0])) {
      r = dtw_errf(ev->err, ev->errlen, DTW_EUNSUP, "%s(): too many arguments", fname);
      goto done;
    }
    if ((r = eval_node(ev, a, &args[n])) < 0) goto done;
    n++;
  }
  if (n < min_args || (max_args >= 0 && n > max_args)) {
    r = dtw_errf(ev->err, ev->errlen, DTW_EPARSE, "%s() takes %d%s argument%s, %d given", fname,
                 min_args, max_args != min_args ? " or more" : "", min_args == 1 ? "" : "s", n);
    goto done;
  }
  if (fn == F_STR) {
    char *s;
    size_t l;
    if ((r = dtw__xval_to_str(&args[0], &s, &l)) < 0) goto done;
    memset(out, 0, sizeof *out);
    out->kind = DTW__XV_STR;
    out->s = s;
    out->len = l;
    goto done;
  }
  if (fn == F_INT || fn == F_FLOAT) {
    dtw__xval_t v = args[0];
    if (v.kind == DTW__XV_STR) {
      long long iv;
      double fv;
      if (fn == F_INT && parse_int(v.s, v.len, &iv) == 0) {
        set_int(out, iv);
      } else if (fn == F_FLOAT && parse_float(v.s, v.len, &fv) == 0) {
        set_float(out, fv);
      } else {
        r = dtw_errf(ev->err, ev->errlen, DTW_EPARSE, "%s(): invalid literal '%.40s'", fname,
                     v.s);
      }
    } else if (fn == F_INT) {
      if (v.kind == DTW__XV_FLOAT)
        r = float_to_int(ev, trunc(v.f), out);
      else
        set_int(out, v.i);
    } else {
      set_float(out, num_f(&v));
    }
    goto done;
  }
  for (int k = 0; k < n; k++) {
    if (!is_num(&args[k])) {
      if ((fn == F_MIN || fn == F_MAX) && args[0].kind == DTW__XV_STR) continue;
      r = dtw_errf(ev->err, ev->errlen, DTW_EPARSE, "%s(): must be a number, not str", fname);
      goto done;
    }
  }
  double x = n > 0 && is_num(&args[0]) ? num_f(&args[0]) : 0.0;
  double y = n > 1 && is_num(&args[1]) ? num_f(&args[1]) : 0.0;
  switch (fn) {
  case F_SIN: r = float_result(ev, isinf(x) ? NAN : sin(x), out); break;
  case F_COS: r = float_result(ev, isinf(x) ? NAN : cos(x), out); break;
  case F_TAN: r = float_result(ev, isinf(x) ? NAN : tan(x), out); break;
  case F_ASIN:
    r = x < -1 || x > 1 ? domain_error(ev, fname) : float_result(ev, asin(x), out);
    break;
  case F_ACOS:
    r = x < -1 || x > 1 ? domain_error(ev, fname) : float_result(ev, acos(x), out);
    break;
  case F_ATAN: r = float_result(ev, atan(x), out); break;
  case F_ATAN2: r = float_result(ev, atan2(x, y), out); break;
  case F_SQRT: r = x < 0 ? domain_error(ev, fname) : float_result(ev, sqrt(x), out); break;
  case F_EXP: r = float_result(ev, exp(x), out); break;
  case F_LOG:
    if (x <= 0 || (n == 2 && (y <= 0 || y == 1.0))) {
      r = n == 2 && y == 1.0 ? zero_div(ev) : domain_error(ev, fname);
      break;
    }
    r = float_result(ev, n == 2 ? log(x) / log(y) : log(x), out);
    break;
  case F_LOG10: r = x <= 0 ? domain_error(ev, fname) : float_result(ev, log10(x), out); break;
  case F_POW:
    /* math.pow and builtin pow share the name; ints keep builtin pow's exact result */
    r = arith(ev, OP_POW, &args[0], &args[1], out);
    break;
  case F_ABS:
    if (args[0].kind == DTW__XV_FLOAT) {
      set_float(out, fabs(x));
    } else if (args[0].i == LLONG_MIN) {
      r = overflow(ev);
    } else {
      set_int(out, args[0].i < 0 ? -args[0].i : args[0].i);
    }
    break;
  case F_FABS: set_float(out, fabs(x)); break;
  case F_MIN:
  case F_MAX: {
    int best = 0;
    for (int k = 1; k < n; k++) {
      dtw__xval_t c;
      if ((r = compare(ev, fn == F_MIN ? OP_LT : OP_GT, &args[k], &args[best], &c)) < 0) break;
      if (c.i) best = k;
    }
    if (r == 0) r = dtw__xval_copy(out, &args[best]);
    break;
  }
  case F_FLOOR:
  case F_CEIL:
    if (args[0].kind != DTW__XV_FLOAT)
      set_int(out, args[0].i);
    else
      r = float_to_int(ev, fn == F_FLOOR ? floor(x) : ceil(x), out);
    break;
  case F_RADIANS: r = float_result(ev, x * M_PI / 180.0, out); break;
  case F_DEGREES: r = float_result(ev, x * 180.0 / M_PI, out); break;
  case F_ROUND:
    if (n == 1) {
      if (args[0].kind != DTW__XV_FLOAT)
        set_int(out, args[0].i);
      else
        r = float_to_int(ev, round_even(x), out);
    } else {
      if (args[1].kind == DTW__XV_FLOAT) {
        r = dtw_errf(ev->err, ev->errlen, DTW_EPARSE, "round(): ndigits must be an int");
        break;
      }
      long long nd = args[1].i;
      if (args[0].kind != DTW__XV_FLOAT && nd >= 0) {
        set_int(out, args[0].i);
        break;
      }
      if (nd > 300 || nd < -300 || isinf(x) || isnan(x)) {
        set_float(out, nd < -300 && !isnan(x) && !isinf(x) ? 0.0 * x : x);
        break;
      }
      /* decimal rounding through text, which avoids x * 10**nd losing digits */
      char buf[400];
      if (nd >= 0) {
        snprintf(buf, sizeof buf, "%.*f", (int)nd, x);
        set_float(out, strtod(buf, NULL));
      } else {
        double scale = pow(10.0, (double)-nd);
        set_float(out, round_even(x / scale) * scale);
      }
    }
    break;
  default:
    r = dtw_errf(ev->err, ev->errlen, DTW_EUNSUP, "function '%s' is not supported", fname);
    break;
  }
done:
  for (int k = 0; k < n; k++) dtw__xval_fini(&args[k]);
  return r;
}

static int lookup_name(evaluator_t *ev, const xnode_t *x, dtw__xval_t *out) {
  char name[128];
  if (x->nlen >= sizeof name)
    return dtw_errf(ev->err, ev->errlen, DTW_ENOENT, "name '%.40s...' is not defined", x->name);
  memcpy(name, x->name, x->nlen);
  name[x->nlen] = '\0';
  if (ev->ctx != NULL && ev->ctx->lookup != NULL) {
    int r = ev->ctx->lookup(ev->ctx->user, name, out, ev->err, ev->errlen);
    if (r != DTW_ENOENT) return r;
  }
  static const struct {
    const char *name;
    double v;
  } consts[] = {{"pi", M_PI}, {"e", M_E}, {"tau", 2 * M_PI}, {"inf", INFINITY}, {"nan", NAN}};
  for (size_t k = 0; k < sizeof consts / sizeof consts[0]; k++) {
    if (strcmp(name, consts[k].name) == 0) {
      set_float(out, consts[k].v);
      return 0;
    }
  }
  for (size_t k = 0; k < sizeof g_funcs / sizeof g_funcs[0]; k++)
    if (strcmp(name, g_funcs[k].name) == 0)
      return dtw_errf(ev->err, ev->errlen, DTW_EUNSUP, "function '%s' used as a value", name);
  return dtw_errf(ev->err, ev->errlen, DTW_ENOENT, "name '%s' is not defined", name);
}

static int eval_node(evaluator_t *ev, int idx, dtw__xval_t *out) {
  const xnode_t *x = &ev->p->nodes[idx];
  dtw__xval_t a, b;
  int r;
  memset(out, 0, sizeof *out);
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  if ((r = charge(ev, 0)) < 0) return r;
  switch (x->kind) {
  case N_LIT:
    if (x->lit.kind == DTW__XV_STR && (r = charge(ev, x->lit.len)) < 0) return r;
    return dtw__xval_copy(out, &x->lit);
  case N_NAME:
    return lookup_name(ev, x, out);
  case N_CALL:
    return call_builtin(ev, x, out);
  case N_NOT:
    if ((r = eval_node(ev, x->a, &a)) < 0) return r;
    set_bool(out, !dtw__xval_truthy(&a));
    dtw__xval_fini(&a);
    return 0;
  case N_NEG:
  case N_POS:
    if ((r = eval_node(ev, x->a, &a)) < 0) return r;
    if (a.kind == DTW__XV_STR) {
      r = dtw_errf(ev->err, ev->errlen, DTW_EPARSE, "bad operand type for unary %s: 'str'",
                   x->kind == N_NEG ? "-" : "+");
    } else if (a.kind == DTW__XV_FLOAT) {
      set_float(out, x->kind == N_NEG ? -a.f : a.f);
    } else if (x->kind == N_NEG && a.i == LLONG_MIN) {
      r = overflow(ev);
    } else {
      set_int(out, x->kind == N_NEG ? -a.i : a.i);
    }
    dtw__xval_fini(&a);
    return r;
  case N_AND:
  case N_OR:
    /* Python returns the deciding operand, evaluating the right one only when needed */
    if ((r = eval_node(ev, x->a, &a)) < 0) return r;
    if (dtw__xval_truthy(&a) == (x->kind == N_OR)) {
      *out = a;
      return 0;
    }
    dtw__xval_fini(&a);
    return eval_node(ev, x->b, out);
  case N_COND:
    if ((r = eval_node(ev, x->c, &a)) < 0) return r;
    r = dtw__xval_truthy(&a);
    dtw__xval_fini(&a);
    return eval_node(ev, r ? x->a : x->b, out);
  case N_BIN:
  default:
    if ((r = eval_node(ev, x->a, &a)) < 0) return r;
    if ((r = eval_node(ev, x->b, &b)) < 0) goto bin_done;
    r = arith(ev, x->op, &a, &b, out);
  bin_done:
    dtw__xval_fini(&a);
    dtw__xval_fini(&b);
    return r;
  }
}

int dtw__xexpr_eval(const char *expr, size_t len, const dtw__xexpr_ctx_t *ctx, dtw__xval_t *out,
                    char *err, size_t errlen) {
  parser_t p;
  int r, root;
  memset(&p, 0, sizeof p);
  memset(out, 0, sizeof *out);
  p.s = expr;
  p.len = len;
  p.err = err;
  p.errlen = errlen;
  if ((r = lex_next(&p)) < 0) goto done;
  if (p.tk == TK_END) {
    r = dtw_errf(err, errlen, DTW_EPARSE, "empty expression");
    goto done;
  }
  if ((root = parse_cond(&p)) < 0) {
    r = root;
    goto done;
  }
  if (p.tk != TK_END) {
    r = perr(&p, DTW_EPARSE, "syntax error: unexpected text");
    goto done;
  }
  evaluator_t ev = {.p = &p, .ctx = ctx, .err = err, .errlen = errlen};
  r = eval_node(&ev, root, out);
done:
  free(p.sval);
  for (int i = 0; i < p.n; i++) dtw__xval_fini(&p.nodes[i].lit);
  free(p.nodes);
  if (r < 0) dtw__xval_fini(out);
  return r;
}

int dtw_xacro_eval(const char *expr, char *out, size_t outlen, char *err, size_t errlen) {
  dtw__xval_t v;
  char *s = NULL;
  size_t l = 0;
  if (expr == NULL || out == NULL || outlen == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "xacro eval: NULL argument");
  int r = dtw__xexpr_eval(expr, strlen(expr), NULL, &v, err, errlen);
  if (r < 0) return r;
  r = dtw__xval_to_str(&v, &s, &l);
  dtw__xval_fini(&v);
  if (r < 0) return dtw_errf(err, errlen, r, "out of memory");
  if (l >= outlen) {
    free(s);
    return dtw_errf(err, errlen, DTW_ERANGE, "result of %zu bytes does not fit", l);
  }
  memcpy(out, s, l + 1);
  free(s);
  return 0;
}
