/* xacro_scope.c - the xacro expander's small helpers (messages, attributes, budgets,
 * names), property tables and xacro args. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "model__xacro.h"
#include "model__xctx.h"

/* ---- small helpers --------------------------------------------------------------------- */

char *dtw__xstrndup(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d == NULL) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *dtw__xstrdup(const char *s) { return dtw__xstrndup(s, strlen(s)); }

long dtw__xline(xmlNodePtr n) {
  long l = n != NULL ? xmlGetLineNo(n) : 0;
  return l < 0 ? 0 : l;
}

int dtw__xerr(xctx_t *c, const xfile_t *f, xmlNodePtr n, int code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dtw_errf(c->err, c->errlen, code, "%s:%ld: %s", f != NULL ? f->name : "<input>",
                  dtw__xline(n), msg);
}

int dtw_xacro_is_namespace(const char *href) {
  static const char *const hosts[] = {"ros.org", "www.ros.org", "wiki.ros.org"};
  static const char *const paths[] = {"/wiki/xacro", "/xacro"};
  if (href == NULL) return 0;
  const char *p = href;
  if (strncmp(p, "http://", 7) == 0) p += 7;
  else if (strncmp(p, "https://", 8) == 0) p += 8;
  else return 0;
  for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
    size_t hl = strlen(hosts[h]);
    if (strncmp(p, hosts[h], hl) != 0) continue;
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
      size_t pl = strlen(paths[k]);
      if (strncmp(p + hl, paths[k], pl) == 0 &&
          (p[hl + pl] == '\0' || (p[hl + pl] == '/' && p[hl + pl + 1] == '\0')))
        return 1;
    }
  }
  return 0;
}

int dtw__xis_xacro_ns(const xmlNs *ns) {
  return ns != NULL && ((ns->prefix != NULL && strcmp((const char *)ns->prefix, "xacro") == 0) ||
                        dtw_xacro_is_namespace((const char *)ns->href));
}

/* The xacro local name of an element, or NULL when it is not a xacro element. ros/xacro
 * goes by the "xacro:" prefix whatever URI it is bound to (or none at all). */
const char *dtw__xname(xmlNodePtr n) {
  if (n->type != XML_ELEMENT_NODE) return NULL;
  if (n->ns != NULL) return dtw__xis_xacro_ns(n->ns) ? (const char *)n->name : NULL;
  if (strncmp((const char *)n->name, "xacro:", 6) == 0) return (const char *)n->name + 6;
  return NULL;
}

int dtw__xis_xacro_attr(xmlAttrPtr a) {
  if (a->ns != NULL) return dtw__xis_xacro_ns(a->ns);
  return strncmp((const char *)a->name, "xacro:", 6) == 0;
}

/* Value of the plain (no namespace) attribute name, or NULL. */
const char *dtw__xattr(xmlNodePtr n, const char *name) {
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
      return a->children != NULL && a->children->content != NULL
                 ? (const char *)a->children->content
                 : "";
  }
  return NULL;
}

/* Value of the xacro-prefixed attribute name (xacro:name), or NULL. */
const char *dtw__xattr_xacro(xmlNodePtr n, const char *name) {
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    const char *an = (const char *)a->name;
    if (a->ns == NULL && strncmp(an, "xacro:", 6) == 0) an += 6;
    else if (a->ns == NULL || !dtw__xis_xacro_ns(a->ns)) continue;
    if (strcmp(an, name) == 0)
      return a->children != NULL && a->children->content != NULL
                 ? (const char *)a->children->content
                 : "";
  }
  return NULL;
}

int dtw__xspend_work(xctx_t *c, const xfile_t *f, xmlNodePtr n, long units) {
  c->work -= units;
  if (c->work < 0)
    return dtw__xerr(c, f, n, DTW_ERANGE, "expansion work limit exceeded (macro bomb?)");
  return 0;
}

int dtw__xspend_output(xctx_t *c, const xfile_t *f, xmlNodePtr n, long nodes, size_t bytes) {
  c->nodes_left -= nodes;
  c->bytes_left -= (long)(bytes > (size_t)LONG_MAX ? LONG_MAX : bytes);
  if (c->nodes_left < 0 || c->bytes_left < 0)
    return dtw__xerr(c, f, n, DTW_ERANGE, "expansion exceeds the output limit of %ld nodes",
                c->opts != NULL && c->opts->max_nodes > 0 ? c->opts->max_nodes
                                                          : XACRO_DEFAULT_MAX_NODES);
  return 0;
}

/* A Python identifier that is not a keyword (ros/xacro's is_valid_name). */
int dtw__xis_identifier(const char *s) {
  static const char *const keywords[] = {
      "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
      "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
      "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
      "try", "while", "with", "yield"};
  unsigned char c0 = (unsigned char)s[0];
  if (!(c0 == '_' || (c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 >= 0x80))
    return 0;
  for (const char *p = s; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if (!(ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch >= 0x80))
      return 0;
  }
  for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
    if (strcmp(s, keywords[k]) == 0) return 0;
  return 1;
}

/* ---- property scopes ------------------------------------------------------------------- */

void dtw__xentry_clear(entry_t *e) {
  free(e->text);
  e->text = NULL;
  dtw__xval_fini(&e->val);
  e->block = NULL;
  e->resolving = 0;
  e->ns = NULL;
}

void dtw__xscope_fini(scope_t *s) {
  entry_t *e = s->head;
  while (e != NULL) {
    entry_t *next = e->next;
    dtw__xentry_clear(e);
    free(e->name);
    free(e);
    e = next;
  }
  s->head = NULL;
}

entry_t *dtw__xscope_find_local(scope_t *s, const char *name) {
  for (entry_t *e = s->head; e != NULL; e = e->next)
    if (strcmp(e->name, name) == 0) return e;
  return NULL;
}

entry_t *dtw__xscope_find(scope_t *s, const char *name, scope_t **owner) {
  for (; s != NULL; s = s->parent) {
    entry_t *e = dtw__xscope_find_local(s, name);
    if (e != NULL) {
      if (owner != NULL) *owner = s;
      return e;
    }
  }
  return NULL;
}

/* The entry for name in s, new or reset to empty; NULL when out of memory. */
entry_t *dtw__xscope_slot(scope_t *s, const char *name) {
  entry_t *e = dtw__xscope_find_local(s, name);
  if (e != NULL) {
    dtw__xentry_clear(e);
    return e;
  }
  e = calloc(1, sizeof *e);
  if (e == NULL) return NULL;
  e->name = dtw__xstrdup(name);
  if (e->name == NULL) {
    free(e);
    return NULL;
  }
  e->next = s->head;
  s->head = e;
  return e;
}

/* xacro's Table._setitem: literal conversion, then lazy if still text and allowed.
 * Takes *val. DTW_ENOMEM, DTW_EUNSUP (a namespace value). */
int dtw__xscope_set(scope_t *s, const char *name, dtw__xval_t *val, int lazy) {
  dtw__xval_t conv;
  int r;
  if (val->kind == DTW__XV_NS && val->i == DTW__XNS_USER) {
    dtw__xval_fini(val);
    return DTW_EUNSUP;
  }
  if (val->kind == DTW__XV_STR) {
    if ((r = dtw__xval_literal(val->s, val->len, &conv)) < 0) return r;
    dtw__xval_fini(val);
    *val = conv;
  }
  entry_t *e = dtw__xscope_slot(s, name);
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

int dtw__xprop_resolve(xctx_t *c, scope_t *s, const char *name, dtw__xval_t *out, char *msg,
                       size_t msglen) {
  scope_t *owner = NULL;
  entry_t *e = dtw__xscope_find(s, name, &owner);
  int r;
  if (e == NULL || e->kind == ENT_BLOCK) return DTW__XNOTFOUND;
  if (e->kind == ENT_NS) {
    memset(out, 0, sizeof *out);
    out->kind = DTW__XV_NS;
    out->i = DTW__XNS_USER;
    out->p = e->ns;
    return 0;
  }
  if (e->kind == ENT_LAZY) {
    if (e->resolving) {
      /* "a2 -> a -> a2", as ros/xacro words it */
      char chain[256] = "";
      int from = c->lazy_depth;
      while (from > 0 && strcmp(c->resolving[from - 1], name) != 0) from--;
      for (int k = from > 0 ? from - 1 : 0; k < c->lazy_depth; k++) {
        size_t l = strlen(chain);
        snprintf(chain + l, sizeof chain - l, "%s -> ", c->resolving[k]);
      }
      size_t l = strlen(chain);
      snprintf(chain + l, sizeof chain - l, "%s", name);
      return dtw_errf(msg, msglen, DTW_EPARSE,
                      "circular variable definition: %s (consider lazy_eval=\"false\")", chain);
    }
    if (c->lazy_depth >= XACRO_MAX_LAZY_DEPTH)
      return dtw_errf(msg, msglen, DTW_ERANGE, "properties nested deeper than %d",
                      XACRO_MAX_LAZY_DEPTH);
    dtw__xval_t v;
    char inner[640];
    e->resolving = 1;
    c->resolving[c->lazy_depth++] = e->name;
    r = dtw__xtext_eval(c, owner, e->text, strlen(e->text), &v, inner, sizeof inner);
    c->lazy_depth--;
    /* the entry itself stays put: scope_set below reuses it */
    e->resolving = 0;
    if (r < 0) {
      /* keep the innermost property's name only once */
      if (strncmp(inner, "property '", 10) == 0) return dtw_errf(msg, msglen, r, "%s", inner);
      return dtw_errf(msg, msglen, r, "property '%s': %s", name, inner);
    }
    if ((r = dtw__xscope_set(owner, name, &v, 0)) < 0) {
      dtw__xval_fini(&v);
      return dtw_errf(msg, msglen, r, r == DTW_EUNSUP ? "a namespace cannot be a value"
                                                       : "out of memory");
    }
    e = dtw__xscope_find_local(owner, name);
  }
  if (dtw__xval_copy(out, &e->val) < 0) return dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
  return 0;
}

/* ---- args ------------------------------------------------------------------------------ */

const char *dtw__xarg_find(const xctx_t *c, const char *name) {
  for (const xarg_t *a = c->args; a != NULL; a = a->next)
    if (strcmp(a->name, name) == 0) return a->value;
  return NULL;
}

int dtw__xarg_add(xctx_t *c, const char *name, size_t nlen, const char *value, size_t vlen) {
  xarg_t *a = calloc(1, sizeof *a);
  if (a == NULL) return DTW_ENOMEM;
  a->name = dtw__xstrndup(name, nlen);
  a->value = dtw__xstrndup(value, vlen);
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

