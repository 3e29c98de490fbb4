/* xacro_expr.c - parser for the Python subset xacro evaluates inside ${...} (tokens
 * come from xacro_lex.c), and the evaluation entry points.
 *
 * Grammar (Python 3, what xacro files use): conditional expressions, or/and/not,
 * comparison chains with in / not in / is / is not, + - * / // % **, unary - +,
 * calls with keyword arguments, attribute access, subscripts and slices,
 * list/tuple/dict displays, list comprehensions and generator arguments, int
 * (decimal, 0x, 0o, 0b, underscores), float, str (u/r prefixes, triple quotes),
 * True/False/None. lambda, sets, f-strings, bytes, starred arguments and
 * bitwise operators are refused as unsupported. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "model__xacro.h"
#include "model__xexpr.h"


/* ---- parser ---------------------------------------------------------------------------- */

static int tok_is_kw(const dtw__xparser_t *p, const char *kw) {
  size_t l = strlen(kw);
  return p->tk == TK_NAME && p->tlen == l && memcmp(p->s + p->tstart, kw, l) == 0;
}

static int tok_is(const dtw__xparser_t *p, int op) { return p->tk == TK_OP && p->op == op; }

static int new_node(dtw__xparser_t *p, int kind) {
  if (p->n == p->cap) {
    int ncap = p->cap ? p->cap * 2 : 16;
    if (ncap > 1000000) return dtw__xperr(p, DTW_ERANGE, "expression too long");
    dtw__xnode_t *nn = realloc(p->nodes, (size_t)ncap * sizeof *nn);
    if (nn == NULL) return DTW_ENOMEM;
    p->nodes = nn;
    p->cap = ncap;
  }
  dtw__xnode_t *x = &p->nodes[p->n];
  memset(x, 0, sizeof *x);
  x->kind = kind;
  x->a = x->b = x->c = x->next = -1;
  return p->n++;
}

/* Set node idx's height from its children; refuse trees evaluation could not recurse. */
static int set_depth(dtw__xparser_t *p, int idx) {
  dtw__xnode_t *x = &p->nodes[idx];
  int d = 0;
  const int kids[3] = {x->a, x->b, x->c};
  for (int k = 0; k < 3; k++)
    for (int c = kids[k]; c >= 0; c = k == 0 && (x->kind == DTW__N_LIST || x->kind == DTW__N_TUPLE ||
                                                   x->kind == DTW__N_DICT)
                                           ? p->nodes[c].next
                                           : -1)
      if (p->nodes[c].depth > d) d = p->nodes[c].depth;
  for (int c = x->kind == DTW__N_CALL || x->kind == DTW__N_COMP ? x->b : -1; c >= 0;
       c = p->nodes[c].next)
    if (p->nodes[c].depth > d) d = p->nodes[c].depth;
  x->depth = d + 1;
  if (x->depth > DTW__XEXPR_MAX_TREE) return dtw__xperr(p, DTW_ERANGE, "expression nested too deeply");
  return idx;
}

static int make(dtw__xparser_t *p, int kind, int op, int a, int b) {
  int idx = new_node(p, kind);
  if (idx < 0) return idx;
  p->nodes[idx].op = op;
  p->nodes[idx].a = a;
  p->nodes[idx].b = b;
  return set_depth(p, idx);
}

static int enter(dtw__xparser_t *p) {
  if (++p->depth > DTW__XEXPR_MAX_DEPTH)
    return dtw__xperr(p, DTW_ERANGE, "expression nested too deeply");
  return 0;
}

static int expect(dtw__xparser_t *p, int op, const char *what) {
  if (!tok_is(p, op)) return dtw__xperr(p, DTW_EPARSE, what);
  return dtw__xlex_next(p);
}

static int parse_test(dtw__xparser_t *p);
static int parse_or(dtw__xparser_t *p);

static const char *const g_keywords[] = {
    "and",    "as",      "assert", "async",  "await",    "break", "class", "continue",
    "def",    "del",     "elif",   "else",   "except",   "finally", "for", "from",
    "global", "if",      "import", "in",     "is",       "lambda", "nonlocal", "not",
    "or",     "pass",    "raise",  "return", "try",      "while", "with",  "yield",
    "True",   "False",   "None"};

static int tok_is_keyword(const dtw__xparser_t *p) {
  for (size_t k = 0; k < sizeof g_keywords / sizeof g_keywords[0]; k++)
    if (tok_is_kw(p, g_keywords[k])) return 1;
  return 0;
}

/* Append child to a chain whose last element is *last (first stored in *first). */
static void chain(dtw__xparser_t *p, int *first, int *last, int child) {
  if (*last < 0) *first = child;
  else p->nodes[*last].next = child;
  *last = child;
}

/* for-target: NAME or NAME, NAME ... (optionally parenthesised) */
static int parse_target(dtw__xparser_t *p) {
  int r, paren = 0;
  if (tok_is(p, P_LP)) {
    paren = 1;
    if ((r = dtw__xlex_next(p)) < 0) return r;
  }
  int first = -1, last = -1, count = 0, comma = 0;
  while (p->tk == TK_NAME && !tok_is_keyword(p)) {
    int idx = new_node(p, DTW__N_NAME);
    if (idx < 0) return idx;
    p->nodes[idx].name = p->s + p->tstart;
    p->nodes[idx].nlen = p->tlen;
    chain(p, &first, &last, idx);
    count++;
    if ((r = dtw__xlex_next(p)) < 0) return r;
    comma = tok_is(p, P_COMMA);
    if (!comma) break;
    if ((r = dtw__xlex_next(p)) < 0) return r;
  }
  if (count == 0) return dtw__xperr(p, DTW_EUNSUP, "comprehension target must be names");
  if (paren && (r = expect(p, P_RP, "expected ')'")) < 0) return r;
  if (count == 1 && !comma && !paren) return first;
  return make(p, DTW__N_TUPLE, 0, first, -1);
}

/* Comprehension clauses after the element: (for target in or_test | if or_test)+ */
static int parse_comp(dtw__xparser_t *p, int elem) {
  int r, first = -1, last = -1;
  while (tok_is_kw(p, "for") || (first >= 0 && tok_is_kw(p, "if"))) {
    int clause;
    if (tok_is_kw(p, "for")) {
      if ((r = dtw__xlex_next(p)) < 0) return r;
      int target = parse_target(p);
      if (target < 0) return target;
      if (!tok_is_kw(p, "in")) return dtw__xperr(p, DTW_EPARSE, "expected 'in'");
      if ((r = dtw__xlex_next(p)) < 0) return r;
      int iter = parse_or(p);
      if (iter < 0) return iter;
      clause = make(p, DTW__N_FOR, 0, target, iter);
    } else {
      if ((r = dtw__xlex_next(p)) < 0) return r;
      int cond = parse_or(p);
      if (cond < 0) return cond;
      clause = make(p, DTW__N_IFC, 0, cond, -1);
    }
    if (clause < 0) return clause;
    chain(p, &first, &last, clause);
  }
  return make(p, DTW__N_COMP, 0, elem, first);
}

/* Items up to close: returns a LIST/TUPLE node (or the single item for a
 * parenthesised expression without a comma). */
static int parse_display(dtw__xparser_t *p, int close, int kind) {
  int r, first = -1, last = -1, count = 0, comma = 0;
  while (!tok_is(p, close)) {
    int item = parse_test(p);
    if (item < 0) return item;
    if (count == 0 && tok_is_kw(p, "for")) {
      int comp = parse_comp(p, item);
      if (comp < 0) return comp;
      if ((r = expect(p, close, close == P_RB ? "expected ']'" : "expected ')'")) < 0) return r;
      return comp;
    }
    chain(p, &first, &last, item);
    count++;
    comma = tok_is(p, P_COMMA);
    if (comma) {
      if ((r = dtw__xlex_next(p)) < 0) return r;
    } else if (!tok_is(p, close)) {
      return dtw__xperr(p, DTW_EPARSE, close == P_RB ? "expected ',' or ']'" : "expected ')'");
    }
  }
  if ((r = dtw__xlex_next(p)) < 0) return r;
  if (kind == DTW__N_TUPLE && count == 1 && !comma) return first;
  return make(p, kind, 0, first, -1);
}

static int parse_dict(dtw__xparser_t *p) {
  int r, first = -1, last = -1;
  while (!tok_is(p, P_RC)) {
    int key = parse_test(p);
    if (key < 0) return key;
    if (!tok_is(p, P_COLON)) return dtw__xperr(p, DTW_EUNSUP, "sets are not supported");
    if ((r = dtw__xlex_next(p)) < 0) return r;
    int val = parse_test(p);
    if (val < 0) return val;
    if (tok_is_kw(p, "for")) return dtw__xperr(p, DTW_EUNSUP, "dict comprehensions are not supported");
    chain(p, &first, &last, key);
    chain(p, &first, &last, val);
    if (tok_is(p, P_COMMA)) {
      if ((r = dtw__xlex_next(p)) < 0) return r;
    } else if (!tok_is(p, P_RC)) {
      return dtw__xperr(p, DTW_EPARSE, "expected ',' or '}'");
    }
  }
  if ((r = dtw__xlex_next(p)) < 0) return r;
  return make(p, DTW__N_DICT, 0, first, -1);
}

static int parse_atom(dtw__xparser_t *p) {
  int r, idx;
  switch (p->tk) {
  case TK_INT:
  case TK_FLOAT:
    if ((idx = new_node(p, DTW__N_LIT)) < 0) return idx;
    if (p->tk == TK_INT) dtw__xval_set_int(&p->nodes[idx].lit, p->ival);
    else dtw__xval_set_float(&p->nodes[idx].lit, p->fval);
    if ((r = dtw__xlex_next(p)) < 0) return r;
    return idx;
  case TK_STR: {
    if ((idx = new_node(p, DTW__N_LIT)) < 0) return idx;
    dtw__xval_t *lit = &p->nodes[idx].lit;
    memset(lit, 0, sizeof *lit);
    lit->kind = DTW__XV_STR;
    lit->s = p->sval;
    lit->len = p->slen;
    p->sval = NULL;
    if ((r = dtw__xlex_next(p)) < 0) return r;
    /* adjacent literals concatenate, as in Python */
    while (p->tk == TK_STR) {
      lit = &p->nodes[idx].lit;
      if (lit->len + p->slen > DTW__XSTR_MAX) return dtw__xperr(p, DTW_ERANGE, "string literal too long");
      char *nb = realloc(lit->s, lit->len + p->slen + 1);
      if (nb == NULL) return DTW_ENOMEM;
      memcpy(nb + lit->len, p->sval, p->slen + 1);
      lit->s = nb;
      lit->len += p->slen;
      if ((r = dtw__xlex_next(p)) < 0) return r;
    }
    return idx;
  }
  case TK_NAME:
    if (tok_is_kw(p, "True") || tok_is_kw(p, "False") || tok_is_kw(p, "None")) {
      if ((idx = new_node(p, DTW__N_LIT)) < 0) return idx;
      if (tok_is_kw(p, "None")) dtw__xval_set_none(&p->nodes[idx].lit);
      else dtw__xval_set_bool(&p->nodes[idx].lit, tok_is_kw(p, "True"));
      if ((r = dtw__xlex_next(p)) < 0) return r;
      return idx;
    }
    if (tok_is_kw(p, "lambda") || tok_is_kw(p, "yield") || tok_is_kw(p, "await"))
      return dtw__xperr(p, DTW_EUNSUP, "unsupported Python syntax");
    if (tok_is_keyword(p)) return dtw__xperr(p, DTW_EPARSE, "unexpected keyword");
    if ((idx = new_node(p, DTW__N_NAME)) < 0) return idx;
    p->nodes[idx].name = p->s + p->tstart;
    p->nodes[idx].nlen = p->tlen;
    if ((r = dtw__xlex_next(p)) < 0) return r;
    return idx;
  case TK_OP:
    if (p->op == P_LP || p->op == P_LB || p->op == P_LC) {
      int open = p->op;
      if ((r = enter(p)) < 0) return r;
      if ((r = dtw__xlex_next(p)) < 0) return r;
      idx = open == P_LP   ? parse_display(p, P_RP, DTW__N_TUPLE)
            : open == P_LB ? parse_display(p, P_RB, DTW__N_LIST)
                           : parse_dict(p);
      p->depth--;
      return idx;
    }
    return dtw__xperr(p, DTW_EPARSE, "syntax error");
  case TK_END:
  default:
    return dtw__xperr(p, DTW_EPARSE, "syntax error: expression expected");
  }
}

/* argument list after '(' up to ')' */
static int parse_call(dtw__xparser_t *p, int callee) {
  int r, first = -1, last = -1, count = 0;
  while (!tok_is(p, P_RP)) {
    if (tok_is(p, DTW__OP_MUL) || tok_is(p, DTW__OP_POW))
      return dtw__xperr(p, DTW_EUNSUP, "starred arguments are not supported");
    int arg;
    if (p->tk == TK_NAME && !tok_is_keyword(p) && p->pos < p->len) {
      /* name=value: look ahead for a single '=' */
      size_t q = p->pos;
      while (q < p->len && isspace((unsigned char)p->s[q])) q++;
      if (q < p->len && p->s[q] == '=' && (q + 1 >= p->len || p->s[q + 1] != '=')) {
        const char *name = p->s + p->tstart;
        size_t nlen = p->tlen;
        if ((r = dtw__xlex_next(p)) < 0 || (r = dtw__xlex_next(p)) < 0) return r;
        int val = parse_test(p);
        if (val < 0) return val;
        if ((arg = make(p, DTW__N_KW, 0, val, -1)) < 0) return arg;
        p->nodes[arg].name = name;
        p->nodes[arg].nlen = nlen;
        goto have_arg;
      }
    }
    if ((arg = parse_test(p)) < 0) return arg;
    if (tok_is_kw(p, "for")) {
      /* f(x for x in y): a generator argument, evaluated as a list */
      if (count > 0) return dtw__xperr(p, DTW_EPARSE, "generator argument must be the only one");
      if ((arg = parse_comp(p, arg)) < 0) return arg;
    }
  have_arg:
    chain(p, &first, &last, arg);
    count++;
    if (tok_is(p, P_COMMA)) {
      if ((r = dtw__xlex_next(p)) < 0) return r;
    } else if (!tok_is(p, P_RP)) {
      return dtw__xperr(p, DTW_EPARSE, "expected ',' or ')'");
    }
  }
  if ((r = dtw__xlex_next(p)) < 0) return r;
  return make(p, DTW__N_CALL, 0, callee, first);
}

/* subscript after '[': test or slice */
static int parse_subscript(dtw__xparser_t *p, int obj) {
  int r, part[3] = {-1, -1, -1}, n = 0, is_slice = 0;
  for (;;) {
    if (!tok_is(p, P_COLON) && !tok_is(p, P_RB)) {
      if ((part[n] = parse_test(p)) < 0) return part[n];
    }
    if (tok_is(p, P_COLON) && n < 2) {
      is_slice = 1;
      n++;
      if ((r = dtw__xlex_next(p)) < 0) return r;
      continue;
    }
    break;
  }
  if (tok_is(p, P_COMMA)) return dtw__xperr(p, DTW_EUNSUP, "tuple subscripts are not supported");
  if ((r = expect(p, P_RB, "expected ']'")) < 0) return r;
  int index = part[0];
  if (is_slice) {
    if ((index = new_node(p, DTW__N_SLICE)) < 0) return index;
    p->nodes[index].a = part[0];
    p->nodes[index].b = part[1];
    p->nodes[index].c = part[2];
    if ((index = set_depth(p, index)) < 0) return index;
  } else if (index < 0) {
    return dtw__xperr(p, DTW_EPARSE, "empty subscript");
  }
  return make(p, DTW__N_SUB, 0, obj, index);
}

static int parse_postfix(dtw__xparser_t *p) {
  int r, x = parse_atom(p);
  int trailers = 0;
  while (x >= 0) {
    if (tok_is(p, P_LP) || tok_is(p, P_LB)) {
      int call = tok_is(p, P_LP);
      if ((r = enter(p)) < 0) return r;
      trailers++;
      if ((r = dtw__xlex_next(p)) < 0) return r;
      x = call ? parse_call(p, x) : parse_subscript(p, x);
    } else if (tok_is(p, P_DOT)) {
      if ((r = enter(p)) < 0) return r;
      trailers++;
      if ((r = dtw__xlex_next(p)) < 0) return r;
      if (p->tk != TK_NAME || tok_is_keyword(p)) return dtw__xperr(p, DTW_EPARSE, "expected a name");
      int attr = make(p, DTW__N_ATTR, 0, x, -1);
      if (attr < 0) return attr;
      p->nodes[attr].name = p->s + p->tstart;
      p->nodes[attr].nlen = p->tlen;
      if ((r = dtw__xlex_next(p)) < 0) return r;
      x = attr;
    } else {
      break;
    }
  }
  p->depth -= trailers;
  return x;
}

static int parse_factor(dtw__xparser_t *p);

/* power: postfix ['**' factor]  (right-assoc, binds tighter than a unary minus on its left) */
static int parse_power(dtw__xparser_t *p) {
  int r, base = parse_postfix(p);
  if (base < 0 || !tok_is(p, DTW__OP_POW)) return base;
  if ((r = dtw__xlex_next(p)) < 0) return r;
  int ex = parse_factor(p);
  if (ex < 0) return ex;
  return make(p, DTW__N_BIN, DTW__OP_POW, base, ex);
}

/* A prefix operator already seen: skip it, parse its operand (depth-limited), wrap it. */
static int parse_prefix(dtw__xparser_t *p, int kind, int (*operand)(dtw__xparser_t *)) {
  int r;
  if ((r = enter(p)) < 0) return r;
  if ((r = dtw__xlex_next(p)) < 0) return r;
  int a = operand(p);
  p->depth--;
  if (a < 0) return a;
  return make(p, kind, 0, a, -1);
}

static int parse_factor(dtw__xparser_t *p) {
  if (tok_is(p, DTW__OP_SUB)) return parse_prefix(p, DTW__N_NEG, parse_factor);
  if (tok_is(p, DTW__OP_ADD)) return parse_prefix(p, DTW__N_POS, parse_factor);
  return parse_power(p);
}

/* level 1: * / // %, level 0: + - */
static int parse_arith(dtw__xparser_t *p, int level) {
  int r, lhs = level == 1 ? parse_factor(p) : parse_arith(p, 1);
  if (lhs < 0) return lhs;
  for (;;) {
    int op = p->tk == TK_OP ? p->op : 0;
    int match = level == 0 ? (op == DTW__OP_ADD || op == DTW__OP_SUB)
                           : (op == DTW__OP_MUL || op == DTW__OP_DIV || op == DTW__OP_FDIV ||
                              op == DTW__OP_MOD);
    if (!match) return lhs;
    if ((r = dtw__xlex_next(p)) < 0) return r;
    int rhs = level == 1 ? parse_factor(p) : parse_arith(p, 1);
    if (rhs < 0) return rhs;
    if ((lhs = make(p, DTW__N_BIN, op, lhs, rhs)) < 0) return lhs;
  }
}

/* The comparison operator at the current token (consumed), or 0. */
static int take_comp_op(dtw__xparser_t *p, int *op) {
  int r;
  *op = 0;
  if (p->tk == TK_OP && p->op >= DTW__OP_EQ && p->op <= DTW__OP_GE) {
    *op = p->op;
  } else if (tok_is_kw(p, "in")) {
    *op = DTW__OP_IN;
  } else if (tok_is_kw(p, "is")) {
    if ((r = dtw__xlex_next(p)) < 0) return r;
    if (tok_is_kw(p, "not")) {
      *op = DTW__OP_ISNOT;
    } else {
      *op = DTW__OP_IS;
      return 0;
    }
  } else if (tok_is_kw(p, "not")) {
    if ((r = dtw__xlex_next(p)) < 0) return r;
    if (!tok_is_kw(p, "in")) return dtw__xperr(p, DTW_EPARSE, "expected 'in' after 'not'");
    *op = DTW__OP_NOTIN;
  } else {
    return 0;
  }
  return dtw__xlex_next(p);
}

/* comparisons chain like Python: a < b < c is (a < b) and (b < c) */
static int parse_comparison(dtw__xparser_t *p) {
  int r, lhs = parse_arith(p, 0);
  if (lhs < 0) return lhs;
  int result = -1;
  for (;;) {
    int op;
    if ((r = take_comp_op(p, &op)) < 0) return r;
    if (op == 0) return result < 0 ? lhs : result;
    int rhs = parse_arith(p, 0);
    if (rhs < 0) return rhs;
    int cmp = make(p, DTW__N_BIN, op, lhs, rhs);
    if (cmp < 0) return cmp;
    result = result < 0 ? cmp : make(p, DTW__N_AND, 0, result, cmp);
    if (result < 0) return result;
    lhs = rhs;
  }
}

static int parse_not(dtw__xparser_t *p) {
  if (tok_is_kw(p, "not")) return parse_prefix(p, DTW__N_NOT, parse_not);
  return parse_comparison(p);
}

/* operand (KW operand)*, left-associative: 'and' over 'not', 'or' over 'and' */
static int parse_kw_chain(dtw__xparser_t *p, const char *kw, int kind,
                          int (*operand)(dtw__xparser_t *)) {
  int r, lhs = operand(p);
  if (lhs < 0) return lhs;
  while (tok_is_kw(p, kw)) {
    if ((r = dtw__xlex_next(p)) < 0) return r;
    int rhs = operand(p);
    if (rhs < 0) return rhs;
    if ((lhs = make(p, kind, 0, lhs, rhs)) < 0) return lhs;
  }
  return lhs;
}

static int parse_and(dtw__xparser_t *p) { return parse_kw_chain(p, "and", DTW__N_AND, parse_not); }
static int parse_or(dtw__xparser_t *p) { return parse_kw_chain(p, "or", DTW__N_OR, parse_and); }

/* test: or_test ['if' or_test 'else' test] */
static int parse_test(dtw__xparser_t *p) {
  int r;
  if ((r = enter(p)) < 0) return r;
  int a = parse_or(p);
  if (a >= 0 && tok_is_kw(p, "if")) {
    if ((r = dtw__xlex_next(p)) < 0) return r;
    int c = parse_or(p);
    if (c < 0) return c;
    if (!tok_is_kw(p, "else")) return dtw__xperr(p, DTW_EPARSE, "expected 'else'");
    if ((r = dtw__xlex_next(p)) < 0) return r;
    int b = parse_test(p);
    if (b < 0) return b;
    int idx = new_node(p, DTW__N_COND);
    if (idx < 0) return idx;
    p->nodes[idx].a = a;
    p->nodes[idx].b = b;
    p->nodes[idx].c = c;
    if ((a = set_depth(p, idx)) < 0) return a;
  }
  p->depth--;
  return a;
}

int dtw__xparse(dtw__xparser_t *p, const char *s, size_t len, int *root, char *err,
                size_t errlen) {
  int r;
  p->s = s;
  p->len = len;
  p->err = err;
  p->errlen = errlen;
  if ((r = dtw__xlex_next(p)) < 0) return r;
  if (p->tk == TK_END) return dtw_errf(err, errlen, DTW_EPARSE, "empty expression");
  /* a bare "a, b" at the top is a tuple, as in Python's eval */
  int first = -1, last = -1, count = 0, comma = 0;
  for (;;) {
    int x = parse_test(p);
    if (x < 0) return x;
    chain(p, &first, &last, x);
    count++;
    comma = tok_is(p, P_COMMA);
    if (!comma) break;
    if ((r = dtw__xlex_next(p)) < 0) return r;
    if (p->tk == TK_END) break;
  }
  if (p->tk != TK_END) return dtw__xperr(p, DTW_EPARSE, "syntax error: unexpected text");
  if (count == 1 && !comma) {
    *root = first;
    return 0;
  }
  int t = make(p, DTW__N_TUPLE, 0, first, -1);
  if (t < 0) return t;
  *root = t;
  return 0;
}

void dtw__xparser_fini(dtw__xparser_t *p) {
  free(p->sval);
  p->sval = NULL;
  for (int i = 0; i < p->n; i++) dtw__xval_fini(&p->nodes[i].lit);
  free(p->nodes);
  p->nodes = NULL;
  p->n = p->cap = 0;
}

/* ---- entry points ---------------------------------------------------------------------- */

int dtw__xexpr_eval(const char *expr, size_t len, const dtw__xexpr_ctx_t *ctx, dtw__xval_t *out,
                    char *err, size_t errlen) {
  dtw__xparser_t p;
  dtw__xeval_t ev;
  int r, root = -1;
  memset(&p, 0, sizeof p);
  memset(out, 0, sizeof *out);
  if ((r = dtw__xparse(&p, expr, len, &root, err, errlen)) < 0) goto done;
  memset(&ev, 0, sizeof ev);
  ev.p = &p;
  ev.ctx = ctx;
  ev.err = err;
  ev.errlen = errlen;
  r = dtw__xeval_node(&ev, root, out);
  for (int k = 0; k < ev.n_locals; k++) dtw__xval_fini(&ev.locals[k].v);
done:
  if (r == DTW_ENOMEM) dtw_errf(err, errlen, r, "out of memory");
  dtw__xparser_fini(&p);
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
  if (r < 0) return dtw_errf(err, errlen, r, "result too long or out of memory");
  if (l >= outlen) {
    free(s);
    return dtw_errf(err, errlen, DTW_ERANGE, "result of %zu bytes does not fit", l);
  }
  memcpy(out, s, l + 1);
  free(s);
  return 0;
}
