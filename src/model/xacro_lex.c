/* xacro_lex.c - tokens of the Python subset in ${...}: names, int (decimal, 0x, 0o, 0b,
 * underscores), float, str (u/r prefixes, triple quotes, escapes incl. \\x \\u \\U and
 * octal), operators and punctuation. f-strings, bytes, complex numbers, statements
 * (augmented assignment, :=) and bitwise operators are refused as unsupported. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xexpr.h"

int dtw__xperr(dtw__xparser_t *p, int code, const char *what) {
  size_t show = p->tlen > 40 ? 40 : p->tlen;
  if (p->tk == TK_END)
    return dtw_errf(p->err, p->errlen, code, "%s at end of expression", what);
  return dtw_errf(p->err, p->errlen, code, "%s at '%.*s' (column %zu)", what, (int)show,
                  p->s + p->tstart, p->tstart + 1);
}

static int is_name_start(int c) { return isalpha(c) || c == '_' || c >= 0x80; }
int dtw__xis_name_char(int c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* ---- lexer ----------------------------------------------------------------------------- */

static int buf_put(char **buf, size_t *n, size_t *cap, const char *s, size_t len) {
  if (*n + len + 1 > *cap) {
    size_t ncap = *cap ? *cap : 16;
    while (ncap < *n + len + 1) ncap *= 2;
    char *nb = realloc(*buf, ncap);
    if (nb == NULL) return DTW_ENOMEM;
    *buf = nb;
    *cap = ncap;
  }
  memcpy(*buf + *n, s, len);
  *n += len;
  return 0;
}

/* UTF-8 encoding of a code point into out (>= 4 bytes); returns the length. */
static size_t utf8_put(unsigned long cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* One string literal body; p->pos is just after the opening quote(s). */
static int lex_string(dtw__xparser_t *p, char quote, int triple, int raw) {
  size_t cap = 0, n = 0;
  char *buf = NULL;
  int r;
  for (;;) {
    if (p->pos >= p->len) {
      free(buf);
      p->tlen = p->pos - p->tstart;
      return dtw__xperr(p, DTW_EPARSE, "unterminated string");
    }
    char c = p->s[p->pos];
    if (c == quote && (!triple || (p->pos + 2 < p->len + 0 && p->s[p->pos + 1] == quote &&
                                   p->s[p->pos + 2] == quote))) {
      p->pos += triple ? 3 : 1;
      break;
    }
    if (c == '\n' && !triple) {
      free(buf);
      p->tlen = p->pos - p->tstart;
      return dtw__xperr(p, DTW_EPARSE, "unterminated string");
    }
    p->pos++;
    char out[8];
    size_t olen = 1;
    out[0] = c;
    if (c == '\\' && !raw && p->pos < p->len) {
      char e = p->s[p->pos++];
      unsigned long cp = 0;
      int digits = 0;
      switch (e) {
      case 'n': out[0] = '\n'; break;
      case 't': out[0] = '\t'; break;
      case 'r': out[0] = '\r'; break;
      case 'a': out[0] = '\a'; break;
      case 'b': out[0] = '\b'; break;
      case 'f': out[0] = '\f'; break;
      case 'v': out[0] = '\v'; break;
      case '\\': out[0] = '\\'; break;
      case '\'': out[0] = '\''; break;
      case '"': out[0] = '"'; break;
      case '\n': olen = 0; break;
      case 'x':
      case 'u':
      case 'U':
        digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        for (int k = 0; k < digits; k++) {
          if (p->pos >= p->len || !isxdigit((unsigned char)p->s[p->pos])) {
            free(buf);
            return dtw__xperr(p, DTW_EPARSE, "truncated \\x/\\u escape in string");
          }
          char h = p->s[p->pos++];
          cp = cp * 16 + (unsigned long)(isdigit((unsigned char)h) ? h - '0'
                                                                   : tolower((unsigned char)h) - 'a' + 10);
        }
        if (cp > 0x10ffff) {
          free(buf);
          return dtw__xperr(p, DTW_EPARSE, "invalid \\U escape in string");
        }
        olen = utf8_put(cp, out);
        break;
      default:
        if (e >= '0' && e <= '7') {
          cp = (unsigned long)(e - '0');
          for (int k = 0; k < 2 && p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '7';
               k++)
            cp = cp * 8 + (unsigned long)(p->s[p->pos++] - '0');
          olen = utf8_put(cp, out);
        } else {
          /* Python keeps unknown escapes verbatim */
          out[1] = e;
          olen = 2;
        }
        break;
      }
    } else if (c == '\\' && raw && p->pos < p->len) {
      out[1] = p->s[p->pos++];
      olen = 2;
    }
    if ((r = buf_put(&buf, &n, &cap, out, olen)) < 0) {
      free(buf);
      return r;
    }
    if (n > DTW__XSTR_MAX) {
      free(buf);
      return dtw__xperr(p, DTW_ERANGE, "string literal too long");
    }
  }
  if (buf == NULL && (r = buf_put(&buf, &n, &cap, "", 0)) < 0) return r;
  buf[n] = '\0';
  p->sval = buf;
  p->slen = n;
  p->tk = TK_STR;
  p->tlen = p->pos - p->tstart;
  return 0;
}

/* Digits of base with single '_' separators into out (no underscores). -1 if malformed. */
static int take_digits(const dtw__xparser_t *p, size_t *i, int base, char *out, size_t *n,
                       size_t cap) {
  int any = 0;
  while (*i < p->len) {
    char c = p->s[*i];
    int d = isdigit((unsigned char)c) ? c - '0'
            : isalpha((unsigned char)c) ? tolower((unsigned char)c) - 'a' + 10
                                        : -1;
    if (c == '_' && any && *i + 1 < p->len && p->s[*i + 1] != '_') {
      (*i)++;
      continue;
    }
    if (d < 0 || d >= base) break;
    if (*n + 1 >= cap) return -2;
    out[(*n)++] = c;
    (*i)++;
    any = 1;
  }
  out[*n] = '\0';
  return any ? 0 : -1;
}

static int lex_number(dtw__xparser_t *p) {
  size_t i = p->pos;
  char buf[80];
  size_t n = 0;
  int is_float = 0, base = 10;
  if (p->s[i] == '0' && i + 1 < p->len && strchr("xXoObB", p->s[i + 1]) != NULL) {
    char b = (char)tolower((unsigned char)p->s[i + 1]);
    base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
    i += 2;
    if (take_digits(p, &i, base, buf, &n, sizeof buf) != 0) {
      p->tlen = i - p->tstart;
      return dtw__xperr(p, DTW_EPARSE, "invalid number");
    }
  } else {
    if (p->s[i] != '.' && take_digits(p, &i, 10, buf, &n, sizeof buf) == -2)
      return dtw__xperr(p, DTW_ERANGE, "number too long");
    if (i < p->len && p->s[i] == '.') {
      is_float = 1;
      if (n + 2 > sizeof buf) return dtw__xperr(p, DTW_ERANGE, "number too long");
      buf[n++] = '.';
      buf[n] = '\0'; /* "1." ends here: strtod must not read past it */
      i++;
      if (i < p->len && isdigit((unsigned char)p->s[i]) &&
          take_digits(p, &i, 10, buf, &n, sizeof buf) == -2)
        return dtw__xperr(p, DTW_ERANGE, "number too long");
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
      size_t j = i + 1;
      if (j < p->len && (p->s[j] == '+' || p->s[j] == '-')) j++;
      if (j < p->len && isdigit((unsigned char)p->s[j])) {
        is_float = 1;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "e%c", p->s[i + 1] == '-' ? '-' : '+');
        i = j;
        if (take_digits(p, &i, 10, buf, &n, sizeof buf) == -2)
          return dtw__xperr(p, DTW_ERANGE, "number too long");
      }
    }
  }
  p->tlen = i - p->tstart;
  if (i < p->len && (p->s[i] == 'j' || p->s[i] == 'J')) {
    p->tlen++;
    return dtw__xperr(p, DTW_EUNSUP, "complex numbers are not supported");
  }
  if (i < p->len && dtw__xis_name_char((unsigned char)p->s[i])) {
    p->tlen++;
    return dtw__xperr(p, DTW_EPARSE, "invalid number");
  }
  p->pos = i;
  if (is_float) {
    p->tk = TK_FLOAT;
    p->fval = strtod(buf, NULL);
    return 0;
  }
  /* Python 3 forbids leading zeros on non-zero decimal ints (octal ambiguity) */
  if (base == 10 && n > 1 && buf[0] == '0' && strspn(buf, "0") != n)
    return dtw__xperr(p, DTW_EPARSE, "invalid number");
  errno = 0;
  unsigned long long u = strtoull(buf, NULL, base);
  if (errno == ERANGE || u > (unsigned long long)LLONG_MAX)
    return dtw__xperr(p, DTW_ERANGE, "integer literal too large");
  p->ival = (long long)u;
  p->tk = TK_INT;
  return 0;
}

int dtw__xlex_next(dtw__xparser_t *p) {
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
  if (is_name_start(c)) {
    size_t i = p->pos;
    while (i < p->len && dtw__xis_name_char((unsigned char)p->s[i])) i++;
    /* string prefixes: u'' and r'' are plain strings, f'' and b'' are not supported */
    if (i < p->len && (p->s[i] == '\'' || p->s[i] == '"') && i - p->pos <= 2) {
      int raw = 0, ok = 1;
      for (size_t k = p->pos; k < i; k++) {
        char pc = (char)tolower((unsigned char)p->s[k]);
        if (pc == 'r') raw = 1;
        else if (pc != 'u') ok = 0;
      }
      p->tlen = i + 1 - p->pos;
      if (!ok) return dtw__xperr(p, DTW_EUNSUP, "f-strings and bytes are not supported");
      if (i - p->pos == 2 && !raw) return dtw__xperr(p, DTW_EPARSE, "invalid string prefix");
      char q = p->s[i];
      int triple = i + 2 < p->len && p->s[i + 1] == q && p->s[i + 2] == q;
      p->pos = i + (triple ? 3 : 1);
      return lex_string(p, q, triple, raw);
    }
    p->tk = TK_NAME;
    p->tlen = i - p->pos;
    p->pos = i;
    return 0;
  }
  if (c == '\'' || c == '"') {
    int triple = p->pos + 2 < p->len && p->s[p->pos + 1] == (char)c && p->s[p->pos + 2] == (char)c;
    p->pos += triple ? 3 : 1;
    return lex_string(p, (char)c, triple, 0);
  }
  static const struct {
    const char *text;
    int op;
  } ops[] = {{"**", DTW__OP_POW}, {"//", DTW__OP_FDIV}, {"==", DTW__OP_EQ}, {"!=", DTW__OP_NE},
             {"<=", DTW__OP_LE},  {">=", DTW__OP_GE},   {"+", DTW__OP_ADD},  {"-", DTW__OP_SUB},
             {"*", DTW__OP_MUL},  {"/", DTW__OP_DIV},   {"%", DTW__OP_MOD},  {"<", DTW__OP_LT},
             {">", DTW__OP_GT},   {"(", P_LP},          {")", P_RP},         {"[", P_LB},
             {"]", P_RB},         {"{", P_LC},          {"}", P_RC},         {",", P_COMMA},
             {":", P_COLON},      {".", P_DOT},         {"=", P_ASSIGN}};
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    size_t l = strlen(ops[k].text);
    if (p->pos + l <= p->len && memcmp(p->s + p->pos, ops[k].text, l) == 0) {
      /* augmented assignments and walrus are statements, not expressions */
      if (p->pos + l < p->len && p->s[p->pos + l] == '=' && ops[k].op != DTW__OP_LT &&
          ops[k].op != DTW__OP_GT && (ops[k].op <= DTW__OP_POW || ops[k].op == P_COLON))
        break;
      p->tk = TK_OP;
      p->op = ops[k].op;
      p->tlen = l;
      p->pos += l;
      return 0;
    }
  }
  p->tk = TK_OP;
  p->op = P_OTHER;
  p->tlen = 1;
  if (strchr("&|^~@;`=:", c) != NULL || c == '+' || c == '-' || c == '*' || c == '/' ||
      c == '%')
    return dtw__xperr(p, DTW_EUNSUP, "unsupported Python syntax");
  return dtw__xperr(p, DTW_EPARSE, "invalid character");
}

