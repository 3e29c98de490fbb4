/* xacro.c - expand xacro documents into plain XML (see dtw/xacro.h).
 *
 * The source documents stay untouched; the expansion is built node by node in
 * a new document. Scoping follows xacro (ROS 2 Humble): properties live in a
 * chain of tables, a macro call opens a new table whose parent is the call
 * site (dynamic scope), property values are evaluated lazily on first use in
 * the table that defines them, macro arguments eagerly at the call site.
 * Every recursion (elements, macros, includes, lazy properties) is bounded and
 * all work is charged to one budget so hostile input cannot run away. */
#include "dtw/xacro.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "dtw/err.h"
#include "model__xacro.h"

#define XACRO_MAX_DEPTH 512        /* element + macro nesting while expanding */
#define XACRO_MAX_OUT_DEPTH 1024   /* depth of the output tree */
#define XACRO_MAX_LAZY_DEPTH 100   /* properties defined through other properties */
#define XACRO_DEFAULT_MAX_NODES 1000000L
#define XACRO_MAX_FILE_BYTES (64L << 20)

/* ---- data ------------------------------------------------------------------------------ */

typedef struct xfile {
  char *name; /* path used in messages */
  char *real; /* realpath, for include cycles; may equal name */
  char *dir;  /* base for relative includes and $(dirname) */
  xmlDocPtr doc;
  struct xfile *next;
} xfile_t;

typedef enum { ENT_VALUE, ENT_LAZY, ENT_BLOCK } ent_kind_t;

typedef struct entry {
  char *name; /* blocks are stored as "*name" (one element) or "**name" (children) */
  ent_kind_t kind;
  dtw__xval_t val;  /* ENT_VALUE */
  char *text;       /* ENT_LAZY: unevaluated text */
  int resolving;    /* ENT_LAZY: being evaluated (cycle check) */
  xmlNodePtr block; /* ENT_BLOCK */
  int expanded;     /* ENT_BLOCK: nodes are finished output (copy) or source (expand) */
  xfile_t *file;    /* ENT_BLOCK source file */
  struct entry *next;
} entry_t;

typedef struct scope {
  struct scope *parent;
  entry_t *head;
} scope_t;

typedef struct param {
  char *name; /* without the '*' */
  int block;  /* 0 value, 1 '*', 2 '**' */
  int forward;
  char *def; /* NULL = no default */
} param_t;

typedef struct macro {
  char *name;
  xmlNodePtr body;
  xfile_t *file;
  param_t *params;
  size_t n_params;
  struct macro *next;
} macro_t;

typedef struct xarg {
  char *name;
  char *value;
  struct xarg *next;
} xarg_t;

typedef struct xctx {
  const dtw_xacro_opts_t *opts;
  xmlDocPtr out;
  xfile_t *files;
  xfile_t *inc_stack[256];
  int inc_depth; /* index of the top of inc_stack */
  int max_inc, max_macro;
  int depth, macro_depth, lazy_depth;
  macro_t *macros;
  macro_t *retired; /* replaced definitions, freed at the end */
  xarg_t *args;
  scope_t global;
  long work;       /* budget: processed nodes, expression steps */
  long nodes_left; /* budget: output nodes */
  long bytes_left; /* budget: output text */
  char *err;
  size_t errlen;
} xctx_t;

/* A parse-time error recorded by the libxml2 hooks. */
typedef struct xparse_state {
  int failed;
  int code;
  long line;
  char msg[256];
} xparse_state_t;

/* ---- small helpers --------------------------------------------------------------------- */

static char *xstrndup(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d == NULL) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

static long node_line(xmlNodePtr n) {
  long l = n != NULL ? xmlGetLineNo(n) : 0;
  return l < 0 ? 0 : l;
}

/* "file:line: message" into ctx->err. */
static int xerr(xctx_t *c, const xfile_t *f, xmlNodePtr n, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int xerr(xctx_t *c, const xfile_t *f, xmlNodePtr n, int code, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dtw_errf(c->err, c->errlen, code, "%s:%ld: %s", f != NULL ? f->name : "<input>",
                  node_line(n), msg);
}

static int is_xacro_href(const xmlChar *href) {
  static const char suffix[] = "ros.org/wiki/xacro";
  size_t l = href != NULL ? strlen((const char *)href) : 0;
  if (l < sizeof suffix - 1) return 0;
  return strcmp((const char *)href + l - (sizeof suffix - 1), suffix) == 0 ||
         (l > 0 && href[l - 1] == '/' && l >= sizeof suffix &&
          strncmp((const char *)href + l - sizeof suffix, suffix, sizeof suffix - 1) == 0);
}

/* The xacro local name of an element, or NULL when it is not a xacro element.
 * An undeclared "xacro:" prefix counts too (minidom-based xacro accepts it). */
static const char *xacro_name(xmlNodePtr n) {
  if (n->type != XML_ELEMENT_NODE) return NULL;
  if (n->ns != NULL) return is_xacro_href(n->ns->href) ? (const char *)n->name : NULL;
  if (strncmp((const char *)n->name, "xacro:", 6) == 0) return (const char *)n->name + 6;
  return NULL;
}

static int is_xacro_attr(xmlAttrPtr a) {
  if (a->ns != NULL) return is_xacro_href(a->ns->href);
  return strncmp((const char *)a->name, "xacro:", 6) == 0;
}

static const char *attr(xmlNodePtr n, const char *name) {
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
      return a->children != NULL && a->children->content != NULL
                 ? (const char *)a->children->content
                 : "";
  }
  return NULL;
}

static int spend_work(xctx_t *c, const xfile_t *f, xmlNodePtr n, long units) {
  c->work -= units;
  if (c->work < 0)
    return xerr(c, f, n, DTW_ERANGE, "expansion work limit exceeded (macro bomb?)");
  return 0;
}

static int spend_output(xctx_t *c, const xfile_t *f, xmlNodePtr n, long nodes, size_t bytes) {
  c->nodes_left -= nodes;
  c->bytes_left -= (long)(bytes > (size_t)LONG_MAX ? LONG_MAX : bytes);
  if (c->nodes_left < 0 || c->bytes_left < 0)
    return xerr(c, f, n, DTW_ERANGE, "expansion exceeds the output limit of %ld nodes",
                c->opts != NULL && c->opts->max_nodes > 0 ? c->opts->max_nodes
                                                          : XACRO_DEFAULT_MAX_NODES);
  return 0;
}

static int is_identifier(const char *s) {
  static const char *const keywords[] = {"and",   "or",     "not",    "if",     "else",
                                         "in",    "is",     "None",   "True",   "False",
                                         "def",   "for",    "while",  "return", "lambda",
                                         "class", "import", "from",   "pass",   "with",
                                         "as",    "del",    "global", "try",    "yield"};
  if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
  for (const char *p = s; *p; p++)
    if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9')))
      return 0;
  for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
    if (strcmp(s, keywords[k]) == 0) return 0;
  return 1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- scopes ---------------------------------------------------------------------------- */

static void entry_free(entry_t *e) {
  free(e->name);
  free(e->text);
  dtw__xval_fini(&e->val);
  free(e);
}

static void scope_fini(scope_t *s) {
  entry_t *e = s->head;
  while (e != NULL) {
    entry_t *next = e->next;
    entry_free(e);
    e = next;
  }
  s->head = NULL;
}

static entry_t *scope_find_local(scope_t *s, const char *name) {
  for (entry_t *e = s->head; e != NULL; e = e->next)
    if (strcmp(e->name, name) == 0) return e;
  return NULL;
}

static entry_t *scope_find(scope_t *s, const char *name, scope_t **owner) {
  for (; s != NULL; s = s->parent) {
    entry_t *e = scope_find_local(s, name);
    if (e != NULL) {
      if (owner != NULL) *owner = s;
      return e;
    }
  }
  return NULL;
}

/* Replace or add name in s; takes ownership of nothing, returns the entry reset to empty. */
static entry_t *scope_slot(scope_t *s, const char *name) {
  entry_t *e = scope_find_local(s, name);
  if (e != NULL) {
    free(e->text);
    e->text = NULL;
    dtw__xval_fini(&e->val);
    e->block = NULL;
    e->resolving = 0;
    return e;
  }
  e = calloc(1, sizeof *e);
  if (e == NULL) return NULL;
  e->name = xstrdup(name);
  if (e->name == NULL) {
    free(e);
    return NULL;
  }
  e->next = s->head;
  s->head = e;
  return e;
}

/* xacro's Table._setitem: literal conversion, then lazy if still text and allowed. */
static int scope_set(scope_t *s, const char *name, dtw__xval_t *val, int lazy) {
  dtw__xval_t conv;
  int r;
  if (val->kind == DTW__XV_STR) {
    if ((r = dtw__xval_literal(val->s, val->len, &conv)) < 0) return r;
    dtw__xval_fini(val);
    *val = conv;
  }
  entry_t *e = scope_slot(s, name);
  if (e == NULL) return DTW_ENOMEM;
  if (lazy && val->kind == DTW__XV_STR) {
    e->kind = ENT_LAZY;
    e->text = val->s;
    val->s = NULL;
    dtw__xval_fini(val);
    return 0;
  }
  e->kind = ENT_VALUE;
  e->val = *val;
  memset(val, 0, sizeof *val);
  return 0;
}

/* ---- text evaluation ------------------------------------------------------------------- */

static int eval_text(xctx_t *c, scope_t *s, const char *text, size_t len, dtw__xval_t *out,
                     char *msg, size_t msglen);

typedef struct lookup_user {
  xctx_t *c;
  scope_t *scope;
} lookup_user_t;

/* Value of property name seen from scope s, evaluating a lazy definition in its own table. */
static int resolve_property(xctx_t *c, scope_t *s, const char *name, dtw__xval_t *out, char *msg,
                            size_t msglen) {
  scope_t *owner = NULL;
  entry_t *e = scope_find(s, name, &owner);
  int r;
  if (e == NULL || e->kind == ENT_BLOCK) return DTW_ENOENT;
  if (e->kind == ENT_LAZY) {
    if (e->resolving)
      return dtw_errf(msg, msglen, DTW_EPARSE, "recursive definition of property '%s'", name);
    if (c->lazy_depth >= XACRO_MAX_LAZY_DEPTH)
      return dtw_errf(msg, msglen, DTW_ERANGE, "properties nested deeper than %d",
                      XACRO_MAX_LAZY_DEPTH);
    dtw__xval_t v;
    char inner[512];
    e->resolving = 1;
    c->lazy_depth++;
    r = eval_text(c, owner, e->text, strlen(e->text), &v, inner, sizeof inner);
    c->lazy_depth--;
    e->resolving = 0;
    if (r < 0) return dtw_errf(msg, msglen, r, "property '%s': %s", name, inner);
    /* the entry may have moved? no: entries are never freed while their scope lives */
    if ((r = scope_set(owner, name, &v, 0)) < 0) {
      dtw__xval_fini(&v);
      return dtw_errf(msg, msglen, r, "out of memory");
    }
    e = scope_find_local(owner, name);
  }
  if ((r = dtw__xval_copy(out, &e->val)) < 0) return dtw_errf(msg, msglen, r, "out of memory");
  return 0;
}

static int lookup_cb(void *user, const char *name, dtw__xval_t *out, char *err, size_t errlen) {
  lookup_user_t *u = user;
  return resolve_property(u->c, u->scope, name, out, err, errlen);
}

/* Names inside $(eval ...) are the xacro args, as strings. */
static int lookup_arg_cb(void *user, const char *name, dtw__xval_t *out, char *err,
                         size_t errlen) {
  xctx_t *c = user;
  for (xarg_t *a = c->args; a != NULL; a = a->next)
    if (strcmp(a->name, name) == 0) {
      if (dtw__xval_set_str(out, a->value, strlen(a->value)) < 0)
        return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
      return 0;
    }
  return DTW_ENOENT;
}

static const char *find_arg(xctx_t *c, const char *name) {
  for (xarg_t *a = c->args; a != NULL; a = a->next)
    if (strcmp(a->name, name) == 0) return a->value;
  return NULL;
}

static int add_arg(xctx_t *c, const char *name, size_t nlen, const char *value, size_t vlen) {
  xarg_t *a = calloc(1, sizeof *a);
  if (a == NULL) return DTW_ENOMEM;
  a->name = xstrndup(name, nlen);
  a->value = xstrndup(value, vlen);
  if (a->name == NULL || a->value == NULL) {
    free(a->name);
    free(a->value);
    free(a);
    return DTW_ENOMEM;
  }
  a->next = c->args;
  c->args = a;
  return 0;
}

/* Search DIR/pkg in a colon-separated list (with an optional middle part such as "share"). */
static char *search_pkg(const char *list, const char *mid, const char *pkg) {
  const char *p = list;
  while (p != NULL && *p != '\0') {
    const char *colon = strchr(p, ':');
    size_t l = colon != NULL ? (size_t)(colon - p) : strlen(p);
    if (l > 0) {
      size_t need = l + strlen(mid) + strlen(pkg) + 3;
      char *path = malloc(need);
      if (path == NULL) return NULL;
      snprintf(path, need, "%.*s/%s%s%s", (int)l, p, mid, *mid ? "/" : "", pkg);
      if (is_dir(path)) return path;
      free(path);
    }
    p = colon != NULL ? colon + 1 : NULL;
  }
  return NULL;
}

static char *find_package(xctx_t *c, const char *pkg) {
  char *path = NULL;
  if (c->opts != NULL && c->opts->package_path != NULL)
    path = search_pkg(c->opts->package_path, "", pkg);
  if (path == NULL) path = search_pkg(getenv("ROS_PACKAGE_PATH"), "", pkg);
  if (path == NULL) path = search_pkg(getenv("AMENT_PREFIX_PATH"), "share", pkg);
  return path;
}

/* $(...) substitution args: arg, find, env, optenv, eval, dirname, cwd. */
static int eval_extension(xctx_t *c, const char *s, char **out, char *msg, size_t msglen) {
  const char *p = s;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  const char *cmd = p;
  while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') p++;
  size_t clen = (size_t)(p - cmd);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  const char *rest = p;
  size_t rlen = strlen(rest);
  while (rlen > 0 && (rest[rlen - 1] == ' ' || rest[rlen - 1] == '\t' || rest[rlen - 1] == '\n' ||
                      rest[rlen - 1] == '\r'))
    rlen--;
  char word[256];
  /* first word of rest (name of arg/env/package) */
  size_t wlen = strcspn(rest, " \t\r\n");
  if (wlen > rlen) wlen = rlen;
  if (wlen >= sizeof word)
    return dtw_errf(msg, msglen, DTW_ERANGE, "$(%.*s): argument too long", (int)clen, cmd);
  memcpy(word, rest, wlen);
  word[wlen] = '\0';

#define CMD_IS(lit) (clen == sizeof(lit) - 1 && memcmp(cmd, lit, clen) == 0)
  if (CMD_IS("arg")) {
    const char *v = find_arg(c, word);
    if (v == NULL)
      return dtw_errf(msg, msglen, DTW_ENOENT, "undefined substitution argument '%s'", word);
    *out = xstrdup(v);
  } else if (CMD_IS("find")) {
    char *dir = find_package(c, word);
    if (dir == NULL) return dtw_errf(msg, msglen, DTW_ENOENT, "package not found: '%s'", word);
    *out = dir;
  } else if (CMD_IS("env") || CMD_IS("optenv")) {
    const char *v = getenv(word);
    if (v == NULL && CMD_IS("env"))
      return dtw_errf(msg, msglen, DTW_ENOENT, "environment variable '%s' is not set", word);
    if (v == NULL) {
      const char *d = rest + wlen;
      while (*d == ' ' || *d == '\t') d++;
      *out = xstrndup(d, rlen - (size_t)(d - rest));
    } else {
      *out = xstrdup(v);
    }
  } else if (CMD_IS("eval")) {
    dtw__xval_t v;
    dtw__xexpr_ctx_t ectx = {.lookup = lookup_arg_cb, .user = c, .budget = &c->work};
    int r = dtw__xexpr_eval(rest, rlen, &ectx, &v, msg, msglen);
    if (r < 0) return r;
    r = dtw__xval_to_str(&v, out, NULL);
    dtw__xval_fini(&v);
    if (r < 0) return dtw_errf(msg, msglen, r, "out of memory");
  } else if (CMD_IS("dirname")) {
    *out = xstrdup(c->inc_stack[c->inc_depth]->dir);
  } else if (CMD_IS("cwd")) {
    char buf[4096];
    if (getcwd(buf, sizeof buf) == NULL)
      return dtw_errf(msg, msglen, DTW_EIO, "$(cwd): %s", strerror(errno));
    *out = xstrdup(buf);
  } else {
    return dtw_errf(msg, msglen, DTW_EUNSUP, "substitution $(%.*s ...) is not supported",
                    (int)(clen > 40 ? 40 : clen), cmd);
  }
#undef CMD_IS
  if (*out == NULL) return dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
  return 0;
}

/* Growing output buffer for eval_text. */
typedef struct sbuf {
  char *s;
  size_t len, cap;
} sbuf_t;

static int sbuf_add(sbuf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < b->len + n + 1) ncap *= 2;
    char *ns = realloc(b->s, ncap);
    if (ns == NULL) return DTW_ENOMEM;
    b->s = ns;
    b->cap = ncap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

/* xacro's eval_text: ${expr}, $(ext), $${ / $$( escapes, plain text. A text that
 * is exactly one ${...} keeps the value's type; anything else becomes a str.
 * msg gets a message without location. */
static int eval_text(xctx_t *c, scope_t *s, const char *text, size_t len, dtw__xval_t *out,
                     char *msg, size_t msglen) {
  sbuf_t buf = {0};
  dtw__xval_t single;
  int ntok = 0, r = 0;
  size_t i = 0;
  memset(&single, 0, sizeof single);
  memset(out, 0, sizeof *out);
  while (i < len) {
    dtw__xval_t v;
    memset(&v, 0, sizeof v);
    if (text[i] == '$') {
      size_t k = 0;
      while (i + k < len && text[i + k] == '$') k++;
      if (k >= 2 && i + k < len && (text[i + k] == '{' || text[i + k] == '(')) {
        /* $${ -> ${ : drop one dollar */
        r = dtw__xval_set_str(&v, text + i + 1, k);
        i += k + 1;
      } else if (k == 1 && i + 1 < len && (text[i + 1] == '{' || text[i + 1] == '(')) {
        char close = text[i + 1] == '{' ? '}' : ')';
        const char *end = memchr(text + i + 2, close, len - i - 2);
        if (end == NULL) {
          r = dtw_errf(msg, msglen, DTW_EPARSE, "unterminated '%.2s' in '%.60s'", text + i,
                       text + i);
          goto fail;
        }
        size_t ilen = (size_t)(end - (text + i + 2));
        dtw__xval_t inner;
        char *istr = NULL;
        size_t islen = 0;
        /* substitutions inside the braces first, as xacro does */
        if ((r = eval_text(c, s, text + i + 2, ilen, &inner, msg, msglen)) < 0) goto fail;
        r = dtw__xval_to_str(&inner, &istr, &islen);
        dtw__xval_fini(&inner);
        if (r < 0) goto nomem;
        if (close == '}') {
          lookup_user_t u = {c, s};
          dtw__xexpr_ctx_t ectx = {.lookup = lookup_cb, .user = &u, .budget = &c->work};
          char emsg[512];
          r = dtw__xexpr_eval(istr, islen, &ectx, &v, emsg, sizeof emsg);
          if (r < 0) {
            if (strstr(emsg, "when evaluating") != NULL)
              dtw_errf(msg, msglen, r, "%s", emsg);
            else
              dtw_errf(msg, msglen, r, "%s when evaluating '${%.80s}'", emsg, istr);
          }
        } else {
          char *res = NULL;
          r = eval_extension(c, istr, &res, msg, msglen);
          if (r == 0) {
            memset(&v, 0, sizeof v);
            v.kind = DTW__XV_STR;
            v.s = res;
            v.len = strlen(res);
          }
        }
        free(istr);
        if (r < 0) goto fail;
        i = (size_t)(end - text) + 1;
      } else {
        /* a run of dollars not followed by { or ( is text */
        r = dtw__xval_set_str(&v, text + i, k);
        i += k;
      }
    } else {
      const char *d = memchr(text + i, '$', len - i);
      size_t n = d != NULL ? (size_t)(d - (text + i)) : len - i;
      r = dtw__xval_set_str(&v, text + i, n);
      i += n;
    }
    if (r < 0) goto nomem;
    ntok++;
    if (ntok == 1) {
      single = v;
      continue;
    }
    if (ntok == 2) {
      char *t;
      size_t tl;
      if ((r = dtw__xval_to_str(&single, &t, &tl)) < 0) {
        dtw__xval_fini(&v);
        goto nomem;
      }
      r = sbuf_add(&buf, t, tl);
      free(t);
      dtw__xval_fini(&single);
      if (r < 0) {
        dtw__xval_fini(&v);
        goto nomem;
      }
    }
    char *t;
    size_t tl;
    r = dtw__xval_to_str(&v, &t, &tl);
    dtw__xval_fini(&v);
    if (r < 0) goto nomem;
    r = sbuf_add(&buf, t, tl);
    free(t);
    if (r < 0) goto nomem;
    if (buf.len > DTW__XSTR_MAX) {
      r = dtw_errf(msg, msglen, DTW_ERANGE, "text longer than %zu bytes", (size_t)DTW__XSTR_MAX);
      goto fail;
    }
  }
  if (ntok == 0) return dtw__xval_set_str(out, "", 0) < 0 ? dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory") : 0;
  if (ntok == 1) {
    *out = single;
    return 0;
  }
  out->kind = DTW__XV_STR;
  out->s = buf.s;
  out->len = buf.len;
  return 0;
nomem:
  r = dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
fail:
  dtw__xval_fini(&single);
  free(buf.s);
  return r;
}

/* eval_text to a malloc'd string, with "file:line: what: msg" on failure. */
static int eval_str(xctx_t *c, const xfile_t *f, xmlNodePtr n, scope_t *s, const char *what,
                    const char *text, char **out, size_t *olen) {
  dtw__xval_t v;
  char msg[640];
  int r = eval_text(c, s, text, strlen(text), &v, msg, sizeof msg);
  if (r < 0) return xerr(c, f, n, r, "%s: %s", what, msg);
  r = dtw__xval_to_str(&v, out, olen);
  dtw__xval_fini(&v);
  if (r < 0) return xerr(c, f, n, r, "out of memory");
  return 0;
}

/* ---- parsing --------------------------------------------------------------------------- */

static void on_xml_error(void *user, xmlErrorPtr e) {
  xmlParserCtxtPtr pc = user;
  xparse_state_t *st = pc->_private;
  /* namespace complaints (an undeclared xacro: prefix) are not fatal for us */
  if (st == NULL || st->failed || e == NULL || e->domain == XML_FROM_NAMESPACE ||
      e->level < XML_ERR_ERROR)
    return;
  st->failed = 1;
  st->code = DTW_EPARSE;
  st->line = e->line;
  snprintf(st->msg, sizeof st->msg, "XML error: %s", e->message != NULL ? e->message : "?");
  size_t l = strlen(st->msg);
  while (l > 0 && (st->msg[l - 1] == '\n' || st->msg[l - 1] == ' ')) st->msg[--l] = '\0';
}

/* Refuse entity declarations outright: no XXE, no entity expansion bombs. */
static void on_entity_decl(void *user, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content) {
  xmlParserCtxtPtr pc = user;
  xparse_state_t *st = pc->_private;
  if (st != NULL && !st->failed) {
    st->failed = 1;
    st->code = DTW_EUNSUP;
    st->line = pc->input != NULL ? pc->input->line : 0;
    snprintf(st->msg, sizeof st->msg, "DOCTYPE with ENTITY declarations is not supported");
  }
  xmlStopParser(pc);
}

/* Parse data into f->doc; "name:line: XML error: ..." on failure. */
static int parse_xml(xctx_t *c, xfile_t *f, const char *data, size_t len) {
  xparse_state_t st;
  int r = 0;
  memset(&st, 0, sizeof st);
  if (len > (size_t)INT_MAX) return dtw_errf(c->err, c->errlen, DTW_ERANGE, "%s: too large", f->name);
  xmlParserCtxtPtr pc = xmlNewParserCtxt();
  if (pc == NULL) return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "%s: out of memory", f->name);
  pc->_private = &st;
  pc->sax->serror = on_xml_error;
  pc->sax->entityDecl = on_entity_decl;
  pc->sax->initialized = XML_SAX2_MAGIC;
  pc->vctxt.error = NULL;
  pc->vctxt.warning = NULL;
  /* errors raised without a parser context (encoding conversion) go to the thread's global
   * handler: borrow it for the parse so nothing reaches stderr */
  xmlStructuredErrorFunc saved_fn = xmlStructuredError;
  void *saved_ctx = xmlStructuredErrorContext;
  xmlSetStructuredErrorFunc(pc, on_xml_error);
  xmlDocPtr doc = xmlCtxtReadMemory(pc, data, (int)len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING);
  xmlSetStructuredErrorFunc(saved_ctx, saved_fn);
  if (st.failed || doc == NULL || !pc->wellFormed) {
    if (!st.failed) {
      st.code = DTW_EPARSE;
      st.line = pc->input != NULL ? pc->input->line : 0;
      snprintf(st.msg, sizeof st.msg, "XML error: malformed document");
    }
    r = dtw_errf(c->err, c->errlen, st.code, "%s:%ld: %s", f->name, st.line > 0 ? st.line : 1,
                 st.msg);
    xmlFreeDoc(doc);
    goto out;
  }
  if (xmlDocGetRootElement(doc) == NULL) {
    r = dtw_errf(c->err, c->errlen, DTW_EPARSE, "%s:1: XML error: no root element", f->name);
    xmlFreeDoc(doc);
    goto out;
  }
  f->doc = doc;
out:
  xmlFreeParserCtxt(pc);
  return r;
}

static xfile_t *file_new(xctx_t *c, const char *name) {
  xfile_t *f = calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  f->name = xstrdup(name);
  const char *slash = strrchr(name, '/');
  f->dir = slash != NULL ? xstrndup(name, slash == name ? 1 : (size_t)(slash - name)) : xstrdup(".");
  char *rp = realpath(name, NULL);
  f->real = rp != NULL ? rp : xstrdup(name);
  f->next = c->files;
  c->files = f;
  if (f->name == NULL || f->dir == NULL || f->real == NULL) return NULL;
  return f;
}

/* Read a whole file; DTW_ENOENT / DTW_EIO with errno text in msg. */
static int read_file(const char *path, char **data, size_t *len, char *msg, size_t msglen) {
  int r = 0;
  struct stat st;
  /* only regular files: no devices or fifos that never end or block */
  if (stat(path, &st) != 0)
    return dtw_errf(msg, msglen, errno == ENOENT ? DTW_ENOENT : DTW_EIO, "%s", strerror(errno));
  if (!S_ISREG(st.st_mode)) return dtw_errf(msg, msglen, DTW_EIO, "not a regular file");
  FILE *fp = fopen(path, "rb");
  if (fp == NULL)
    return dtw_errf(msg, msglen, errno == ENOENT ? DTW_ENOENT : DTW_EIO, "%s", strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL) {
    r = dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
    goto out;
  }
  for (;;) {
    if (n == cap) {
      if (cap >= (size_t)XACRO_MAX_FILE_BYTES) {
        r = dtw_errf(msg, msglen, DTW_ERANGE, "file larger than %ld bytes", XACRO_MAX_FILE_BYTES);
        goto out;
      }
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        r = dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
        goto out;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0) break;
  }
  if (ferror(fp)) {
    r = dtw_errf(msg, msglen, DTW_EIO, "%s", strerror(errno ? errno : EIO));
    goto out;
  }
  *data = buf;
  *len = n;
  buf = NULL;
out:
  free(buf);
  fclose(fp);
  return r;
}

/* ---- expansion ------------------------------------------------------------------------- */

static int process_children(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr src, xmlNodePtr out);

static xmlNsPtr output_ns(xctx_t *c, xmlNodePtr dst, xmlNsPtr want) {
  xmlNsPtr ns = xmlSearchNs(c->out, dst, want->prefix);
  if (ns != NULL && xmlStrEqual(ns->href, want->href)) return ns;
  ns = xmlSearchNsByHref(c->out, dst, want->href);
  if (ns != NULL) return ns;
  return xmlNewNs(dst, want->href, want->prefix);
}

/* Plain element: copy with evaluated attributes, then its children. */
static int process_plain(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr src, xmlNodePtr out) {
  int r;
  if ((r = spend_output(c, f, src, 1, xmlStrlen(src->name))) < 0) return r;
  xmlNodePtr el = xmlNewDocNode(c->out, NULL, src->name, NULL);
  if (el == NULL) return xerr(c, f, src, DTW_ENOMEM, "out of memory");
  long line = node_line(src);
  el->line = (unsigned short)(line > 65535 ? 65535 : line);
  if (xmlAddChild(out, el) == NULL) {
    xmlFreeNode(el);
    return xerr(c, f, src, DTW_ENOMEM, "out of memory");
  }
  for (xmlNsPtr ns = src->nsDef; ns != NULL; ns = ns->next)
    if (!is_xacro_href(ns->href)) xmlNewNs(el, ns->href, ns->prefix);
  if (src->ns != NULL) el->ns = output_ns(c, el, src->ns);
  for (xmlAttrPtr a = src->properties; a != NULL; a = a->next) {
    if (is_xacro_attr(a)) continue;
    xmlChar *raw = xmlNodeListGetString(src->doc, a->children, 1);
    char *val = NULL;
    size_t vlen = 0;
    char what[160];
    snprintf(what, sizeof what, "<%.60s %.60s>", (const char *)src->name, (const char *)a->name);
    r = eval_str(c, f, src, s, what, raw != NULL ? (const char *)raw : "", &val, &vlen);
    xmlFree(raw);
    if (r < 0) return r;
    if ((r = spend_output(c, f, src, 1, vlen)) < 0) {
      free(val);
      return r;
    }
    xmlAttrPtr na = a->ns != NULL ? xmlNewNsProp(el, output_ns(c, el, a->ns), a->name,
                                                 (const xmlChar *)val)
                                  : xmlNewProp(el, a->name, (const xmlChar *)val);
    free(val);
    if (na == NULL) return xerr(c, f, src, DTW_ENOMEM, "out of memory");
  }
  return process_children(c, f, s, src, el);
}

static void macro_free(macro_t *m) {
  for (size_t i = 0; i < m->n_params; i++) {
    free(m->params[i].name);
    free(m->params[i].def);
  }
  free(m->params);
  free(m->name);
  free(m);
}

/* Parse "a b:=1 c:=^ d:=^|2 *blk **blks e:='x y'" into m->params. */
static int parse_params(xctx_t *c, xfile_t *f, xmlNodePtr n, macro_t *m, const char *spec) {
  const char *p = spec;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '\0') return 0;
    const char *start = p;
    char quote = 0;
    while (*p != '\0' && (quote || !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))) {
      if (quote && *p == quote)
        quote = 0;
      else if (!quote && (*p == '\'' || *p == '"'))
        quote = *p;
      p++;
    }
    if (quote)
      return xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': unterminated quote in params", m->name);
    size_t tlen = (size_t)(p - start);
    param_t prm;
    memset(&prm, 0, sizeof prm);
    const char *eq = NULL;
    size_t nlen = tlen;
    for (size_t k = 0; k < tlen; k++) {
      if (start[k] == '=') {
        eq = start + k + 1;
        nlen = k > 0 && start[k - 1] == ':' ? k - 1 : k;
        break;
      }
    }
    const char *nm = start;
    while (nlen > 0 && *nm == '*' && prm.block < 2) {
      prm.block++;
      nm++;
      nlen--;
    }
    char name[128];
    if (nlen == 0 || nlen >= sizeof name)
      return xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': bad parameter '%.*s'", m->name,
                  (int)(tlen > 60 ? 60 : tlen), start);
    memcpy(name, nm, nlen);
    name[nlen] = '\0';
    if (!is_identifier(name))
      return xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': bad parameter name '%s'", m->name, name);
    if (eq != NULL) {
      if (prm.block)
        return xerr(c, f, n, DTW_EPARSE,
                    "xacro:macro '%s': block parameter '%s' cannot have a default", m->name, name);
      size_t dlen = (size_t)(start + tlen - eq);
      const char *d = eq;
      if (dlen > 0 && *d == '^') {
        prm.forward = 1;
        d++;
        dlen--;
        if (dlen > 0 && *d == '|') {
          d++;
          dlen--;
        }
        if (dlen == 0) d = NULL;
      }
      if (d != NULL) {
        prm.def = xstrndup(d, dlen);
        if (prm.def == NULL) return xerr(c, f, n, DTW_ENOMEM, "out of memory");
      }
    }
    for (size_t k = 0; k < m->n_params; k++) {
      if (strcmp(m->params[k].name, name) == 0) {
        free(prm.def);
        return xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': duplicate parameter '%s'", m->name,
                    name);
      }
    }
    prm.name = xstrdup(name);
    param_t *np = realloc(m->params, (m->n_params + 1) * sizeof *np);
    if (prm.name == NULL || np == NULL) {
      free(prm.name);
      free(prm.def);
      if (np != NULL) m->params = np;
      return xerr(c, f, n, DTW_ENOMEM, "out of memory");
    }
    m->params = np;
    m->params[m->n_params++] = prm;
  }
}

static int define_macro(xctx_t *c, xfile_t *f, xmlNodePtr n) {
  const char *name = attr(n, "name");
  const char *params = attr(n, "params");
  int r;
  if (name == NULL) return xerr(c, f, n, DTW_EPARSE, "xacro:macro: missing attribute 'name'");
  if (strncmp(name, "xacro:", 6) == 0) name += 6;
  if (strcmp(name, "call") == 0 || strchr(name, '.') != NULL || name[0] == '\0')
    return xerr(c, f, n, DTW_EPARSE, "xacro:macro: invalid macro name '%.60s'", name);
  macro_t *m = calloc(1, sizeof *m);
  if (m == NULL || (m->name = xstrdup(name)) == NULL) {
    free(m);
    return xerr(c, f, n, DTW_ENOMEM, "out of memory");
  }
  m->body = n;
  m->file = f;
  if (params != NULL && (r = parse_params(c, f, n, m, params)) < 0) {
    macro_free(m);
    return r;
  }
  /* a later definition replaces an earlier one; the old one may be expanding right now
   * (a macro body can redefine its own macro), so it is retired, not freed */
  for (macro_t **pp = &c->macros; *pp != NULL; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, name) == 0) {
      macro_t *old = *pp;
      m->next = old->next;
      *pp = m;
      old->next = c->retired;
      c->retired = old;
      return 0;
    }
  }
  m->next = c->macros;
  c->macros = m;
  return 0;
}

static int define_property(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr n) {
  const char *name = attr(n, "name");
  const char *value = attr(n, "value");
  const char *def = attr(n, "default");
  const char *sc = attr(n, "scope");
  int r;
  if (name == NULL) return xerr(c, f, n, DTW_EPARSE, "xacro:property: missing attribute 'name'");
  if (!is_identifier(name))
    return xerr(c, f, n, DTW_EPARSE, "xacro:property: name '%.60s' is not a valid identifier",
                name);
  if (value != NULL && def != NULL)
    return xerr(c, f, n, DTW_EPARSE, "xacro:property '%s': both value and default given", name);
  if (attr(n, "lazy_eval") != NULL || attr(n, "remove") != NULL)
    return xerr(c, f, n, DTW_EUNSUP, "xacro:property '%s': lazy_eval/remove are not supported",
                name);
  if (def != NULL) {
    if (scope_find(s, name, NULL) != NULL) return 0;
    value = def;
    sc = NULL;
  }
  scope_t *target = s;
  int lazy = 1;
  if (sc != NULL && strcmp(sc, "global") == 0) {
    while (target->parent != NULL) target = target->parent;
    lazy = 0;
  } else if (sc != NULL && strcmp(sc, "parent") == 0) {
    if (s->parent == NULL) return 0; /* xacro warns and ignores */
    target = s->parent;
    lazy = 0;
  } else if (sc != NULL && sc[0] != '\0') {
    return xerr(c, f, n, DTW_EPARSE, "xacro:property '%s': unknown scope '%.40s'", name, sc);
  }
  if (value == NULL) {
    /* property block: the element's children, expanded where inserted */
    char key[140];
    snprintf(key, sizeof key, "**%s", name);
    entry_t *e = scope_slot(target, key);
    if (e == NULL) return xerr(c, f, n, DTW_ENOMEM, "out of memory");
    e->kind = ENT_BLOCK;
    e->block = n;
    e->expanded = 0;
    e->file = f;
    return 0;
  }
  dtw__xval_t v;
  if (lazy) {
    r = dtw__xval_set_str(&v, value, strlen(value));
    if (r < 0) return xerr(c, f, n, r, "out of memory");
  } else {
    char msg[640];
    r = eval_text(c, s, value, strlen(value), &v, msg, sizeof msg);
    if (r < 0) return xerr(c, f, n, r, "xacro:property '%s': %s", name, msg);
  }
  r = scope_set(target, name, &v, lazy);
  dtw__xval_fini(&v);
  if (r < 0) return xerr(c, f, n, r, "out of memory");
  return 0;
}

/* Copy finished output nodes into out, bounded in depth and counted in the budget. */
static int copy_output(xctx_t *c, xfile_t *f, xmlNodePtr at, xmlNodePtr node, xmlNodePtr out) {
  long count = 0;
  int depth = 0, maxd = 0;
  size_t bytes = 0;
  /* walk the subtree without recursion */
  xmlNodePtr cur = node;
  while (cur != NULL) {
    count++;
    if (cur->type == XML_ELEMENT_NODE) {
      for (xmlAttrPtr a = cur->properties; a != NULL; a = a->next) count++;
    } else if (cur->content != NULL) {
      bytes += (size_t)xmlStrlen(cur->content);
    }
    if (cur->type == XML_ELEMENT_NODE && cur->children != NULL) {
      cur = cur->children;
      if (++depth > maxd) maxd = depth;
      continue;
    }
    while (cur != node && cur->next == NULL) {
      cur = cur->parent;
      depth--;
    }
    if (cur == node) break;
    cur = cur->next;
  }
  int out_depth = 0;
  for (xmlNodePtr p = out; p != NULL && out_depth <= XACRO_MAX_OUT_DEPTH; p = p->parent)
    out_depth++;
  if (out_depth + maxd > XACRO_MAX_OUT_DEPTH)
    return xerr(c, f, at, DTW_ERANGE, "xacro:insert_block: output nested deeper than %d",
                XACRO_MAX_OUT_DEPTH);
  int r = spend_output(c, f, at, count, bytes);
  if (r < 0) return r;
  if ((r = spend_work(c, f, at, count)) < 0) return r;
  xmlNodePtr copy = xmlDocCopyNode(node, c->out, 1);
  if (copy == NULL || xmlAddChild(out, copy) == NULL) {
    xmlFreeNode(copy);
    return xerr(c, f, at, DTW_ENOMEM, "out of memory");
  }
  return 0;
}

static int insert_block(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr n, xmlNodePtr out) {
  const char *name = attr(n, "name");
  char key[140];
  int r = 0;
  if (name == NULL)
    return xerr(c, f, n, DTW_EPARSE, "xacro:insert_block: missing attribute 'name'");
  char *ename = NULL;
  if ((r = eval_str(c, f, n, s, "xacro:insert_block", name, &ename, NULL)) < 0) return r;
  snprintf(key, sizeof key, "**%.120s", ename);
  entry_t *e = scope_find(s, key, NULL);
  int content_only = 1;
  if (e == NULL || e->kind != ENT_BLOCK) {
    e = scope_find(s, key + 1, NULL);
    content_only = 0;
  }
  if (e == NULL || e->kind != ENT_BLOCK) {
    r = xerr(c, f, n, DTW_ENOENT, "xacro:insert_block: undefined block '%.120s'", ename);
    free(ename);
    return r;
  }
  free(ename);
  if (!e->expanded) return process_children(c, e->file, s, e->block, out);
  if (!content_only) return copy_output(c, f, n, e->block, out);
  for (xmlNodePtr k = e->block->children; k != NULL; k = k->next)
    if ((r = copy_output(c, f, n, k, out)) < 0) return r;
  return 0;
}

static int do_arg(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr n) {
  const char *name = attr(n, "name");
  const char *def = attr(n, "default");
  int r;
  if (name == NULL) return xerr(c, f, n, DTW_EPARSE, "xacro:arg: missing attribute 'name'");
  if (find_arg(c, name) != NULL) return 0;
  if (def == NULL)
    return xerr(c, f, n, DTW_EPARSE, "xacro:arg '%.60s': missing attribute 'default'", name);
  char *v = NULL;
  size_t vl = 0;
  if ((r = eval_str(c, f, n, s, "xacro:arg", def, &v, &vl)) < 0) return r;
  r = add_arg(c, name, strlen(name), v, vl);
  free(v);
  if (r < 0) return xerr(c, f, n, r, "out of memory");
  return 0;
}

static int do_condition(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr n, const char *kind,
                        xmlNodePtr out) {
  const char *value = attr(n, "value");
  dtw__xval_t v;
  char msg[640];
  int keep, r;
  if (value == NULL) return xerr(c, f, n, DTW_EPARSE, "xacro:%s: missing attribute 'value'", kind);
  if ((r = eval_text(c, s, value, strlen(value), &v, msg, sizeof msg)) < 0)
    return xerr(c, f, n, r, "xacro:%s: %s", kind, msg);
  r = dtw__xval_condition(&v, &keep);
  if (r < 0) {
    char *t = NULL;
    dtw__xval_to_str(&v, &t, NULL);
    r = xerr(c, f, n, DTW_EPARSE, "xacro:%s: value '%.60s' evaluated to '%.60s', which is not a "
             "boolean", kind, value, t != NULL ? t : "?");
    free(t);
    dtw__xval_fini(&v);
    return r;
  }
  dtw__xval_fini(&v);
  if (strcmp(kind, "unless") == 0) keep = !keep;
  if (!keep) return 0;
  return process_children(c, f, s, n, out);
}

static int do_include(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr n, xmlNodePtr out) {
  const char *spec = attr(n, "filename");
  char *fname = NULL, *path = NULL, *data = NULL;
  size_t dlen = 0;
  char msg[512];
  int r;
  if (spec == NULL) return xerr(c, f, n, DTW_EPARSE, "xacro:include: missing attribute 'filename'");
  if (attr(n, "ns") != NULL)
    return xerr(c, f, n, DTW_EUNSUP, "xacro:include: namespaces (ns=) are not supported");
  if ((r = eval_str(c, f, n, s, "xacro:include", spec, &fname, NULL)) < 0) return r;
  if (strpbrk(fname, "*?[") != NULL) {
    r = xerr(c, f, n, DTW_EUNSUP, "xacro:include: glob patterns are not supported ('%.80s')",
             fname);
    goto out;
  }
  if (fname[0] == '/') {
    path = xstrdup(fname);
  } else {
    const char *base = c->inc_stack[c->inc_depth]->dir;
    size_t need = strlen(base) + strlen(fname) + 2;
    path = malloc(need);
    if (path != NULL) snprintf(path, need, "%s/%s", base, fname);
  }
  if (path == NULL) {
    r = xerr(c, f, n, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if (c->inc_depth + 1 >= c->max_inc ||
      c->inc_depth + 1 >= (int)(sizeof c->inc_stack / sizeof c->inc_stack[0])) {
    r = xerr(c, f, n, DTW_ERANGE, "xacro:include: includes nested deeper than %d ('%.80s')",
             c->max_inc, fname);
    goto out;
  }
  char *real = realpath(path, NULL);
  if (real != NULL) {
    for (int i = 0; i <= c->inc_depth; i++) {
      if (strcmp(c->inc_stack[i]->real, real) == 0) {
        r = xerr(c, f, n, DTW_EPARSE, "xacro:include: include cycle: '%.80s' is already being "
                 "included", fname);
        free(real);
        goto out;
      }
    }
    free(real);
  }
  if ((r = read_file(path, &data, &dlen, msg, sizeof msg)) < 0) {
    r = xerr(c, f, n, r, "xacro:include: cannot read '%.200s': %s", path, msg);
    goto out;
  }
  xfile_t *inc = file_new(c, path);
  if (inc == NULL) {
    r = xerr(c, f, n, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if ((r = parse_xml(c, inc, data, dlen)) < 0) goto out;
  c->inc_stack[++c->inc_depth] = inc;
  /* the included root's children are spliced in; its tag (usually <robot>) is dropped */
  r = process_children(c, inc, s, xmlDocGetRootElement(inc->doc), out);
  c->inc_depth--;
out:
  free(fname);
  free(path);
  free(data);
  return r;
}

static macro_t *find_macro(xctx_t *c, const char *name) {
  for (macro_t *m = c->macros; m != NULL; m = m->next)
    if (strcmp(m->name, name) == 0) return m;
  return NULL;
}

static int macro_call(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr n, macro_t *m,
                      xmlNodePtr out) {
  scope_t local = {.parent = s, .head = NULL};
  xmlNodePtr holder = NULL;
  unsigned char *given = NULL;
  char msg[640];
  int r = 0;
  if (c->macro_depth >= c->max_macro)
    return xerr(c, f, n, DTW_ERANGE, "xacro:%s: macro recursion deeper than %d", m->name,
                c->max_macro);
  given = calloc(m->n_params + 1, 1);
  if (given == NULL) return xerr(c, f, n, DTW_ENOMEM, "out of memory");
  /* arguments: evaluated now, at the call site */
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    size_t k;
    for (k = 0; k < m->n_params; k++)
      if (!m->params[k].block && a->ns == NULL &&
          strcmp(m->params[k].name, (const char *)a->name) == 0)
        break;
    if (k == m->n_params) {
      r = xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': unknown parameter '%.60s'", m->name,
               (const char *)a->name);
      goto out;
    }
    xmlChar *raw = xmlNodeListGetString(n->doc, a->children, 1);
    dtw__xval_t v;
    r = eval_text(c, s, raw != NULL ? (const char *)raw : "", raw != NULL ? strlen((char *)raw) : 0,
                  &v, msg, sizeof msg);
    xmlFree(raw);
    if (r < 0) {
      r = xerr(c, f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name, m->params[k].name,
               msg);
      goto out;
    }
    r = scope_set(&local, m->params[k].name, &v, 0);
    dtw__xval_fini(&v);
    if (r < 0) {
      r = xerr(c, f, n, r, "out of memory");
      goto out;
    }
    given[k] = 1;
  }
  /* block arguments: the call's children, expanded in the caller's scope */
  holder = xmlNewDocNode(c->out, NULL, (const xmlChar *)"xacro-blocks", NULL);
  if (holder == NULL) {
    r = xerr(c, f, n, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if ((r = process_children(c, f, s, n, holder)) < 0) goto out;
  xmlNodePtr blk = holder->children;
  for (size_t k = 0; k < m->n_params; k++) {
    if (!m->params[k].block) continue;
    while (blk != NULL && blk->type != XML_ELEMENT_NODE) blk = blk->next;
    if (blk == NULL) {
      r = xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': not enough blocks for parameter '%s%s'",
               m->name, m->params[k].block == 2 ? "**" : "*", m->params[k].name);
      goto out;
    }
    char key[140];
    snprintf(key, sizeof key, "%s%s", m->params[k].block == 2 ? "**" : "*", m->params[k].name);
    entry_t *e = scope_slot(&local, key);
    if (e == NULL) {
      r = xerr(c, f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
    e->kind = ENT_BLOCK;
    e->block = blk;
    e->expanded = 1;
    e->file = f;
    given[k] = 1;
    blk = blk->next;
  }
  while (blk != NULL && blk->type != XML_ELEMENT_NODE) blk = blk->next;
  if (blk != NULL) {
    r = xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': unused block <%.60s>", m->name,
             (const char *)blk->name);
    goto out;
  }
  /* defaults, evaluated at the call site too; ^ forwards the caller's property */
  for (size_t k = 0; k < m->n_params; k++) {
    param_t *p = &m->params[k];
    if (given[k] || p->block) continue;
    dtw__xval_t v;
    if (p->forward) {
      r = resolve_property(c, s, p->name, &v, msg, sizeof msg);
      if (r == 0) goto have_value;
      if (r != DTW_ENOENT || p->def == NULL) {
        if (r == DTW_ENOENT)
          r = xerr(c, f, n, DTW_ENOENT, "xacro:macro '%s': parameter '%s': no property '%s' to "
                   "forward (^)", m->name, p->name, p->name);
        else
          r = xerr(c, f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name, p->name, msg);
        goto out;
      }
    }
    if (p->def == NULL) {
      r = xerr(c, f, n, DTW_EPARSE, "xacro:macro '%s': missing parameter '%s'", m->name, p->name);
      goto out;
    }
    if ((r = eval_text(c, s, p->def, strlen(p->def), &v, msg, sizeof msg)) < 0) {
      r = xerr(c, f, n, r, "xacro:macro '%s': default of '%s': %s", m->name, p->name, msg);
      goto out;
    }
  have_value:
    r = scope_set(&local, p->name, &v, 0);
    dtw__xval_fini(&v);
    if (r < 0) {
      r = xerr(c, f, n, r, "out of memory");
      goto out;
    }
  }
  c->macro_depth++;
  r = process_children(c, m->file, &local, m->body, out);
  c->macro_depth--;
  if (r < 0 && c->err != NULL && c->errlen > 0) {
    /* name the outermost call site too, the body line alone can be ambiguous */
    char *prev = strstr(c->err, " (in xacro:");
    if (prev != NULL) *prev = '\0';
    size_t l = strlen(c->err);
    if (l + 1 < c->errlen)
      snprintf(c->err + l, c->errlen - l, " (in xacro:%s called at %s:%ld)", m->name, f->name,
               node_line(n));
  }
out:
  if (holder != NULL) xmlFreeNode(holder);
  scope_fini(&local);
  free(given);
  return r;
}

static int process_element(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr n, xmlNodePtr out) {
  int r;
  if ((r = spend_work(c, f, n, 1)) < 0) return r;
  if (c->depth >= XACRO_MAX_DEPTH)
    return xerr(c, f, n, DTW_ERANGE, "elements and macros nested deeper than %d",
                XACRO_MAX_DEPTH);
  c->depth++;
  const char *x = xacro_name(n);
  if (x == NULL) {
    r = process_plain(c, f, s, n, out);
  } else if (strcmp(x, "property") == 0) {
    r = define_property(c, f, s, n);
  } else if (strcmp(x, "macro") == 0) {
    r = define_macro(c, f, n);
  } else if (strcmp(x, "include") == 0) {
    r = do_include(c, f, s, n, out);
  } else if (strcmp(x, "arg") == 0) {
    r = do_arg(c, f, s, n);
  } else if (strcmp(x, "if") == 0 || strcmp(x, "unless") == 0) {
    r = do_condition(c, f, s, n, x, out);
  } else if (strcmp(x, "insert_block") == 0) {
    r = insert_block(c, f, s, n, out);
  } else {
    macro_t *m = find_macro(c, x);
    static const char *const unsupported[] = {"element", "attribute", "call", "load_yaml",
                                               "eval",    "targetNamespace"};
    if (m != NULL) {
      r = macro_call(c, f, s, n, m, out);
    } else {
      r = 1;
      for (size_t k = 0; k < sizeof unsupported / sizeof unsupported[0]; k++)
        if (strcmp(x, unsupported[k]) == 0)
          r = xerr(c, f, n, DTW_EUNSUP, "xacro:%s is not supported", x);
      if (r == 1) r = xerr(c, f, n, DTW_ENOENT, "unknown macro name: xacro:%.80s", x);
    }
  }
  c->depth--;
  return r;
}

static int process_children(xctx_t *c, xfile_t *f, scope_t *s, xmlNodePtr src, xmlNodePtr out) {
  int r = 0;
  for (xmlNodePtr k = src->children; k != NULL && r == 0; k = k->next) {
    switch (k->type) {
    case XML_ELEMENT_NODE:
      r = process_element(c, f, s, k, out);
      break;
    case XML_TEXT_NODE: {
      char *t = NULL;
      size_t tl = 0;
      if ((r = spend_work(c, f, k, 1)) < 0) break;
      if ((r = eval_str(c, f, k, s, "text", (const char *)k->content, &t, &tl)) < 0) break;
      if ((r = spend_output(c, f, k, 1, tl)) < 0) {
        free(t);
        break;
      }
      xmlNodePtr tn = xmlNewDocTextLen(c->out, (const xmlChar *)t, (int)tl);
      free(t);
      if (tn == NULL) {
        r = xerr(c, f, k, DTW_ENOMEM, "out of memory");
        break;
      }
      tn->line = k->line;
      xmlAddChild(out, tn); /* merges into a neighbouring text node (and frees tn) */
      break;
    }
    case XML_CDATA_SECTION_NODE:
    case XML_COMMENT_NODE:
    case XML_PI_NODE:
      r = copy_output(c, f, k, k, out);
      break;
    default:
      break;
    }
  }
  return r;
}

/* ---- entry points ---------------------------------------------------------------------- */

static void ctx_fini(xctx_t *c) {
  scope_fini(&c->global);
  while (c->macros != NULL) {
    macro_t *m = c->macros;
    c->macros = m->next;
    macro_free(m);
  }
  while (c->retired != NULL) {
    macro_t *m = c->retired;
    c->retired = m->next;
    macro_free(m);
  }
  while (c->args != NULL) {
    xarg_t *a = c->args;
    c->args = a->next;
    free(a->name);
    free(a->value);
    free(a);
  }
  while (c->files != NULL) {
    xfile_t *f = c->files;
    c->files = f->next;
    xmlFreeDoc(f->doc);
    free(f->name);
    free(f->real);
    free(f->dir);
    free(f);
  }
  if (c->out != NULL) xmlFreeDoc(c->out);
  c->out = NULL;
}

static int expand(const char *data, size_t len, const char *name, const dtw_xacro_opts_t *opts,
                  xmlDocPtr *out, char *err, size_t errlen) {
  xctx_t c;
  int r;
  memset(&c, 0, sizeof c);
  c.opts = opts;
  c.err = err;
  c.errlen = errlen;
  c.max_inc = opts != NULL && opts->max_include_depth > 0 ? opts->max_include_depth : 32;
  c.max_macro = opts != NULL && opts->max_macro_depth > 0 ? opts->max_macro_depth : 100;
  long max_nodes = opts != NULL && opts->max_nodes > 0 ? opts->max_nodes : XACRO_DEFAULT_MAX_NODES;
  c.nodes_left = max_nodes;
  c.work = max_nodes * 4;
  c.bytes_left = max_nodes * 64;
  if (err != NULL && errlen > 0) err[0] = '\0';
  xmlInitParser();

  for (size_t i = 0; opts != NULL && i < opts->n_args; i++) {
    const char *a = opts->args[i];
    const char *eq = a != NULL ? strchr(a, '=') : NULL;
    if (eq == NULL || eq == a) {
      r = dtw_errf(err, errlen, DTW_EINVAL, "xacro argument '%s': expected name=value",
                   a != NULL ? a : "(null)");
      goto out;
    }
    size_t nlen = (size_t)(eq - a);
    if (nlen > 1 && a[nlen - 1] == ':') nlen--; /* name:=value as on the xacro command line */
    if ((r = add_arg(&c, a, nlen, eq + 1, strlen(eq + 1))) < 0) {
      r = dtw_errf(err, errlen, r, "out of memory");
      goto out;
    }
  }
  xfile_t *f = file_new(&c, name);
  if (f == NULL) {
    r = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if ((r = parse_xml(&c, f, data, len)) < 0) goto out;
  c.inc_stack[0] = f;
  c.out = xmlNewDoc((const xmlChar *)"1.0");
  if (c.out == NULL) {
    r = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto out;
  }
  xmlNodePtr root = xmlDocGetRootElement(f->doc);
  if (xacro_name(root) != NULL) {
    r = xerr(&c, f, root, DTW_EPARSE, "the root element must not be a xacro element");
    goto out;
  }
  /* the document node's children: comments around the root, the root itself */
  xmlNodePtr docnode = (xmlNodePtr)c.out;
  for (xmlNodePtr k = f->doc->children; k != NULL; k = k->next) {
    if (k->type == XML_ELEMENT_NODE) {
      if ((r = process_plain(&c, f, &c.global, k, docnode)) < 0) goto out;
    } else if (k->type == XML_COMMENT_NODE || k->type == XML_PI_NODE) {
      if ((r = copy_output(&c, f, k, k, docnode)) < 0) goto out;
    }
  }
  *out = c.out;
  c.out = NULL;
  r = 0;
out:
  ctx_fini(&c);
  return r;
}

int dtw_xacro_expand_buffer(const char *data, size_t len, const char *name,
                            const dtw_xacro_opts_t *opts, xmlDocPtr *out, char *err,
                            size_t errlen) {
  if (data == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "xacro: NULL argument");
  return expand(data, len, name != NULL ? name : "<buffer>", opts, out, err, errlen);
}

int dtw_xacro_expand_file(const char *path, const dtw_xacro_opts_t *opts, xmlDocPtr *out,
                          char *err, size_t errlen) {
  char *data = NULL;
  size_t len = 0;
  char msg[256];
  if (path == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "xacro: NULL argument");
  int r = read_file(path, &data, &len, msg, sizeof msg);
  if (r < 0) return dtw_errf(err, errlen, r, "%s: cannot read: %s", path, msg);
  r = expand(data, len, path, opts, out, err, errlen);
  free(data);
  return r;
}
