/* xacro.c - expand xacro documents into plain XML (see dtw/xacro.h).
 *
 * The source documents stay untouched; the expansion is built node by node in a
 * new document, following ros/xacro (ROS 2 branch) step by step: xacro elements
 * are recognised by their "xacro:" prefix, properties are evaluated lazily in the
 * table that defines them, macro arguments eagerly at the call site, block
 * arguments are evaluated at the call and again where they are inserted, comments
 * right before a xacro element are dropped. Every recursion (elements, macros,
 * includes, lazy properties) is bounded and all work is charged to one budget so
 * hostile input cannot run away. */
#include "dtw/xacro.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xctx.h"

#define XACRO_MAX_DEPTH 512      /* element + macro nesting while expanding */
#define XACRO_MAX_OUT_DEPTH 1024 /* depth of the output tree */
#define XACRO_MAX_LAZY_DEPTH 100 /* properties defined through other properties */
#define XACRO_DEFAULT_MAX_NODES 1000000L
#define XACRO_MAX_FILE_BYTES (64L << 20)
#define XACRO_MAX_GLOB 256

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
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dtw_errf(c->err, c->errlen, code, "%s:%ld: %s", f != NULL ? f->name : "<input>",
                  node_line(n), msg);
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

static int is_xacro_ns(const xmlNs *ns) {
  return ns != NULL && ((ns->prefix != NULL && strcmp((const char *)ns->prefix, "xacro") == 0) ||
                        dtw_xacro_is_namespace((const char *)ns->href));
}

/* The xacro local name of an element, or NULL when it is not a xacro element. ros/xacro
 * goes by the "xacro:" prefix whatever URI it is bound to (or none at all). */
static const char *xacro_name(xmlNodePtr n) {
  if (n->type != XML_ELEMENT_NODE) return NULL;
  if (n->ns != NULL) return is_xacro_ns(n->ns) ? (const char *)n->name : NULL;
  if (strncmp((const char *)n->name, "xacro:", 6) == 0) return (const char *)n->name + 6;
  return NULL;
}

static int is_xacro_attr(xmlAttrPtr a) {
  if (a->ns != NULL) return is_xacro_ns(a->ns);
  return strncmp((const char *)a->name, "xacro:", 6) == 0;
}

/* Value of the plain (no namespace) attribute name, or NULL. */
static const char *attr(xmlNodePtr n, const char *name) {
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
      return a->children != NULL && a->children->content != NULL
                 ? (const char *)a->children->content
                 : "";
  }
  return NULL;
}

/* Value of the xacro-prefixed attribute name (xacro:name), or NULL. */
static const char *xattr(xmlNodePtr n, const char *name) {
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    const char *an = (const char *)a->name;
    if (a->ns == NULL && strncmp(an, "xacro:", 6) == 0) an += 6;
    else if (a->ns == NULL || !is_xacro_ns(a->ns)) continue;
    if (strcmp(an, name) == 0)
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

/* A Python identifier that is not a keyword (ros/xacro's is_valid_name). */
static int is_identifier(const char *s) {
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

static void entry_clear(entry_t *e) {
  free(e->text);
  e->text = NULL;
  dtw__xval_fini(&e->val);
  e->block = NULL;
  e->resolving = 0;
  e->ns = NULL;
}

static void scope_fini(scope_t *s) {
  entry_t *e = s->head;
  while (e != NULL) {
    entry_t *next = e->next;
    entry_clear(e);
    free(e->name);
    free(e);
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

/* The entry for name in s, new or reset to empty; NULL when out of memory. */
static entry_t *scope_slot(scope_t *s, const char *name) {
  entry_t *e = scope_find_local(s, name);
  if (e != NULL) {
    entry_clear(e);
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

/* xacro's Table._setitem: literal conversion, then lazy if still text and allowed.
 * Takes *val. DTW_ENOMEM, DTW_EUNSUP (a namespace value). */
static int scope_set(scope_t *s, const char *name, dtw__xval_t *val, int lazy) {
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

int dtw__xprop_resolve(xctx_t *c, scope_t *s, const char *name, dtw__xval_t *out, char *msg,
                       size_t msglen) {
  scope_t *owner = NULL;
  entry_t *e = scope_find(s, name, &owner);
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
    if ((r = scope_set(owner, name, &v, 0)) < 0) {
      dtw__xval_fini(&v);
      return dtw_errf(msg, msglen, r, r == DTW_EUNSUP ? "a namespace cannot be a value"
                                                       : "out of memory");
    }
    e = scope_find_local(owner, name);
  }
  if (dtw__xval_copy(out, &e->val) < 0) return dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
  return 0;
}

/* ---- macro tables ---------------------------------------------------------------------- */

static void macro_free(macro_t *m) {
  for (size_t i = 0; i < m->n_params; i++) {
    free(m->params[i].name);
    free(m->params[i].def);
  }
  free(m->params);
  free(m->name);
  free(m);
}

static void mt_fini(mtable_t *t) {
  for (int pass = 0; pass < 2; pass++) {
    macro_t *m = pass == 0 ? t->head : t->retired;
    while (m != NULL) {
      macro_t *next = m->next;
      macro_free(m);
      m = next;
    }
  }
  t->head = t->retired = NULL;
  while (t->ns != NULL) {
    struct mns *n = t->ns;
    t->ns = n->next;
    mt_fini(n->t);
    free(n->t);
    free(n->name);
    free(n);
  }
}

static macro_t *mt_find(mtable_t *t, const char *name) {
  for (; t != NULL; t = t->parent)
    for (macro_t *m = t->head; m != NULL; m = m->next)
      if (strcmp(m->name, name) == 0) return m;
  return NULL;
}

static mtable_t *mt_find_ns(mtable_t *t, const char *name) {
  for (; t != NULL; t = t->parent)
    for (struct mns *n = t->ns; n != NULL; n = n->next)
      if (strcmp(n->name, name) == 0) return n->t;
  return NULL;
}

/* ros/xacro's resolve_macro: the full name first, then "ns1.ns2.name" through namespaces.
 * On success *m is the macro and *where the tables to call it with. */
static macro_t *resolve_macro(const env_t *env, const char *fullname, env_t *where) {
  macro_t *m = mt_find(env->mt, fullname);
  *where = *env;
  if (m != NULL || strchr(fullname, '.') == NULL) return m;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", fullname);
  char *part = buf, *dot;
  while ((dot = strchr(part, '.')) != NULL) {
    *dot = '\0';
    mtable_t *mt = mt_find_ns(where->mt, part);
    entry_t *e = scope_find(where->s, part, NULL);
    if (mt == NULL || e == NULL || e->kind != ENT_NS) return NULL;
    where->mt = mt;
    where->s = e->ns;
    part = dot + 1;
  }
  return mt_find(where->mt, part);
}

/* ---- args ------------------------------------------------------------------------------ */

const char *dtw__xarg_find(const xctx_t *c, const char *name) {
  for (const xarg_t *a = c->args; a != NULL; a = a->next)
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

/* ---- files ----------------------------------------------------------------------------- */

/* A parse-time error recorded by the libxml2 hooks. */
typedef struct xparse_state {
  int failed;
  int code;
  long line;
  char msg[256];
} xparse_state_t;

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

int dtw__xread_file(const char *path, char **data, size_t *len, char *msg, size_t msglen) {
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

/* ---- evaluation helpers ---------------------------------------------------------------- */

/* eval_text to a malloc'd string, with "file:line: what: msg" on failure. */
static int eval_str(xctx_t *c, const env_t *env, xmlNodePtr n, const char *what, const char *text,
                    char **out, size_t *olen) {
  dtw__xval_t v;
  char msg[768];
  int r = dtw__xtext_eval(c, env->s, text, strlen(text), &v, msg, sizeof msg);
  if (r < 0) return xerr(c, env->f, n, r, "%s: %s", what, msg);
  r = dtw__xval_to_str(&v, out, olen);
  dtw__xval_fini(&v);
  if (r < 0) return xerr(c, env->f, n, r, "%s: value too long or out of memory", what);
  return 0;
}

/* xacro's get_boolean_value(eval_text(text)) with a located error. */
static int eval_bool(xctx_t *c, const env_t *env, xmlNodePtr n, const char *what, const char *text,
                     int *out) {
  dtw__xval_t v;
  char msg[768];
  int r = dtw__xtext_eval(c, env->s, text, strlen(text), &v, msg, sizeof msg);
  if (r < 0) return xerr(c, env->f, n, r, "%s: %s", what, msg);
  r = dtw__xval_condition(&v, out);
  if (r < 0) {
    char *t = NULL;
    dtw__xval_to_str(&v, &t, NULL);
    r = xerr(c, env->f, n, DTW_EPARSE, "%s: value '%.60s' evaluated to '%.60s', which is not a "
             "boolean expression", what, text, t != NULL ? t : "?");
    free(t);
  }
  dtw__xval_fini(&v);
  return r;
}

/* ---- output ---------------------------------------------------------------------------- */

/* attr_target: the output element xacro:attribute sets attributes on (NULL when the
 * parent is a xacro element, which ros/xacro drops); ns_target: where namespace
 * declarations of included files and macro bodies are lifted to. */
static int process_children(xctx_t *c, const env_t *env, xmlNodePtr src, xmlNodePtr out,
                            xmlNodePtr attr_target, xmlNodePtr ns_target);
static int process_element(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out,
                           xmlNodePtr attr_target, xmlNodePtr ns_target, const char *rename);

static xmlNsPtr output_ns(xctx_t *c, xmlNodePtr dst, xmlNsPtr want) {
  xmlNsPtr ns = xmlSearchNs(c->out, dst, want->prefix);
  if (ns != NULL && xmlStrEqual(ns->href, want->href)) return ns;
  ns = xmlSearchNsByHref(c->out, dst, want->href);
  if (ns != NULL) return ns;
  return xmlNewNs(dst, want->href, want->prefix);
}

/* ros/xacro's import_xml_namespaces: declarations of src (not xacro's) onto dst. */
static void lift_namespaces(xmlNodePtr dst, xmlNodePtr src) {
  if (dst == NULL || dst->type != XML_ELEMENT_NODE) return;
  for (xmlNsPtr ns = src->nsDef; ns != NULL; ns = ns->next) {
    if (ns->prefix == NULL || is_xacro_ns(ns)) continue;
    int have = 0;
    for (xmlNsPtr d = dst->nsDef; d != NULL; d = d->next)
      if (d->prefix != NULL && xmlStrEqual(d->prefix, ns->prefix)) have = 1;
    if (!have) xmlNewNs(dst, ns->href, ns->prefix);
  }
}

/* ros/xacro's remove_previous_comments: comments right before a xacro element go (across
 * single-newline whitespace), up to the start of this sibling list or the last marker. */
static void remove_previous_comments(xctx_t *c, xmlNodePtr out, xmlNodePtr floor) {
  xmlNodePtr prev = out->last;
  while (prev != NULL && prev != floor && prev != c->barrier) {
    if (prev->type == XML_TEXT_NODE) {
      const xmlChar *t = prev->content;
      int nl = 0, ws = t != NULL && *t != '\0';
      for (const xmlChar *p = t; p != NULL && *p && ws; p++) {
        if (*p == '\n') nl++;
        else if (*p != ' ' && *p != '\t' && *p != '\r') ws = 0;
      }
      if (!ws || nl > 1) return;
      prev = prev->prev;
      if (prev == NULL || prev == floor || prev == c->barrier) return;
    }
    if (prev->type != XML_COMMENT_NODE) return;
    xmlNodePtr gone = prev;
    prev = prev->prev;
    xmlUnlinkNode(gone);
    xmlFreeNode(gone);
  }
}

/* Plain element: copy with evaluated attributes, then its children. */
static int process_plain(xctx_t *c, const env_t *env, xmlNodePtr src, xmlNodePtr out,
                         const char *rename) {
  int r;
  const xmlChar *name = rename != NULL ? (const xmlChar *)rename : src->name;
  if ((r = spend_output(c, env->f, src, 1, (size_t)xmlStrlen(name))) < 0) return r;
  xmlNodePtr el = xmlNewDocNode(c->out, NULL, name, NULL);
  if (el == NULL) return xerr(c, env->f, src, DTW_ENOMEM, "out of memory");
  long line = node_line(src);
  el->line = (unsigned short)(line > 65535 ? 65535 : line);
  if (xmlAddChild(out, el) == NULL) {
    xmlFreeNode(el);
    return xerr(c, env->f, src, DTW_ENOMEM, "out of memory");
  }
  for (xmlNsPtr ns = src->nsDef; ns != NULL; ns = ns->next)
    if (!is_xacro_ns(ns)) xmlNewNs(el, ns->href, ns->prefix);
  if (src->ns != NULL && rename == NULL) el->ns = output_ns(c, el, src->ns);
  for (xmlAttrPtr a = src->properties; a != NULL; a = a->next) {
    if (is_xacro_attr(a)) continue;
    xmlChar *raw = xmlNodeListGetString(src->doc, a->children, 1);
    char *val = NULL;
    size_t vlen = 0;
    char what[160];
    snprintf(what, sizeof what, "<%.60s %.60s>", (const char *)name, (const char *)a->name);
    r = eval_str(c, env, src, what, raw != NULL ? (const char *)raw : "", &val, &vlen);
    xmlFree(raw);
    if (r < 0) return r;
    if ((r = spend_output(c, env->f, src, 1, vlen)) < 0) {
      free(val);
      return r;
    }
    xmlAttrPtr na = a->ns != NULL ? xmlNewNsProp(el, output_ns(c, el, a->ns), a->name,
                                                 (const xmlChar *)val)
                                  : xmlNewProp(el, a->name, (const xmlChar *)val);
    free(val);
    if (na == NULL) return xerr(c, env->f, src, DTW_ENOMEM, "out of memory");
  }
  return process_children(c, env, src, el, el, el);
}

/* Copy finished output nodes into out, bounded in depth and counted in the budget. */
static int copy_output(xctx_t *c, const xfile_t *f, xmlNodePtr at, xmlNodePtr node,
                       xmlNodePtr out, xmlNodePtr *copied) {
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
  if (copy == NULL) return xerr(c, f, at, DTW_ENOMEM, "out of memory");
  xmlNodePtr added = xmlAddChild(out, copy); /* a text node may merge (and free copy) */
  if (added == NULL) {
    xmlFreeNode(copy);
    return xerr(c, f, at, DTW_ENOMEM, "out of memory");
  }
  if (copied != NULL) *copied = added == copy ? copy : NULL;
  return 0;
}

/* Evaluate the text and attributes of copied output again, as ros/xacro does when it
 * inserts an (already evaluated) block argument. */
static int reevaluate(xctx_t *c, const env_t *env, xmlNodePtr at, xmlNodePtr node) {
  xmlNodePtr cur = node;
  int r;
  while (cur != NULL) {
    if ((r = spend_work(c, env->f, at, 1)) < 0) return r;
    if (cur->type == XML_ELEMENT_NODE) {
      for (xmlAttrPtr a = cur->properties; a != NULL; a = a->next) {
        xmlChar *raw = xmlNodeListGetString(cur->doc, a->children, 1);
        if (raw != NULL && xmlStrchr(raw, '$') != NULL) {
          char *val = NULL;
          r = eval_str(c, env, at, "xacro:insert_block", (const char *)raw, &val, NULL);
          if (r == 0) xmlSetNsProp(cur, a->ns, a->name, (const xmlChar *)val);
          free(val);
          if (r < 0) {
            xmlFree(raw);
            return r;
          }
        }
        xmlFree(raw);
      }
    } else if (cur->type == XML_TEXT_NODE && cur->content != NULL &&
               xmlStrchr(cur->content, '$') != NULL) {
      char *val = NULL;
      if ((r = eval_str(c, env, at, "xacro:insert_block", (const char *)cur->content, &val,
                        NULL)) < 0)
        return r;
      xmlNodeSetContent(cur, NULL);
      xmlNodeAddContent(cur, (const xmlChar *)val);
      free(val);
    }
    if (cur->type == XML_ELEMENT_NODE && cur->children != NULL) {
      cur = cur->children;
      continue;
    }
    while (cur != node && cur->next == NULL) cur = cur->parent;
    if (cur == node) break;
    cur = cur->next;
  }
  return 0;
}

/* ---- xacro elements -------------------------------------------------------------------- */

/* One "param" spec at *pp: name, optional [:]=, optional ^ or ^|, optional default
 * (${...}, $(...), or a run of quoted strings and other non-space text). */
static int parse_param(xctx_t *c, const env_t *env, xmlNodePtr n, macro_t *m, const char **pp,
                       param_t *prm) {
  const char *p = *pp;
  memset(prm, 0, sizeof *prm);
  const char *start = p;
  while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != ':' && *p != '=') p++;
  const char *name_end = p;
  const char *q = p;
  while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
  if (*q == ':' && q[1] == '=') q++;
  if (*q == '=' && name_end > start) {
    q++;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
    if (*q == '^') {
      prm->forward = 1;
      q++;
      if (*q == '|') q++;
    }
    const char *d = q, *e = NULL;
    if ((q[0] == '$' && (q[1] == '{' || q[1] == '('))) {
      const char *close = strchr(q + 2, q[1] == '{' ? '}' : ')');
      if (close != NULL && (close[1] == '\0' || strchr(" \t\r\n", close[1]) != NULL))
        e = close + 1;
    }
    if (e == NULL) {
      e = q;
      for (;;) {
        if (*e == '\'' || *e == '"') {
          const char *close = strchr(e + 1, *e);
          if (close == NULL) break;
          e = close + 1;
        } else if (*e != '\0' && strchr(" \t\r\n'\"", *e) == NULL) {
          e++;
        } else {
          break;
        }
      }
      if (*e != '\0' && strchr(" \t\r\n", *e) == NULL)
        return xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': unterminated quote in params",
                    m->name);
    }
    if (e > d) {
      prm->def = xstrndup(d, (size_t)(e - d));
      if (prm->def == NULL) return xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    }
    p = e;
  }
  const char *nm = start;
  size_t nlen = (size_t)(name_end - start);
  while (nlen > 0 && *nm == '*' && prm->block < 2) {
    prm->block++;
    nm++;
    nlen--;
  }
  if (nlen == 0 || nlen >= 128) {
    free(prm->def);
    return xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': bad parameter '%.*s'", m->name,
                (int)((size_t)(p - start) > 60 ? 60 : (size_t)(p - start)), start);
  }
  if (prm->block && (prm->def != NULL || prm->forward)) {
    free(prm->def);
    return xerr(c, env->f, n, DTW_EPARSE,
                "xacro:macro '%s': block parameter '%.*s' cannot have a default", m->name,
                (int)nlen, nm);
  }
  prm->name = xstrndup(nm, nlen);
  if (prm->name == NULL) {
    free(prm->def);
    return xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
  *pp = p;
  return 0;
}

static int define_macro(xctx_t *c, const env_t *env, xmlNodePtr n) {
  const char *name = attr(n, "name");
  const char *params = attr(n, "params");
  int r;
  if (name == NULL) return xerr(c, env->f, n, DTW_EPARSE, "xacro:macro: missing attribute 'name'");
  if (strncmp(name, "xacro:", 6) == 0) name += 6; /* ros/xacro warns and drops the prefix */
  if (strcmp(name, "call") == 0)
    return xerr(c, env->f, n, DTW_EPARSE, "xacro:macro: invalid use of macro name 'call'");
  if (strchr(name, '.') != NULL || name[0] == '\0')
    return xerr(c, env->f, n, DTW_EPARSE,
                "xacro:macro: macro names must not contain '.' (reserved for namespaces): '%.60s'",
                name);
  macro_t *m = calloc(1, sizeof *m);
  if (m == NULL || (m->name = xstrdup(name)) == NULL) {
    free(m);
    return xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
  m->body = n;
  m->file = env->f;
  const char *p = params != NULL ? params : "";
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '\0') break;
    param_t prm;
    if ((r = parse_param(c, env, n, m, &p, &prm)) < 0) {
      macro_free(m);
      return r;
    }
    param_t *np = realloc(m->params, (m->n_params + 1) * sizeof *np);
    if (np == NULL) {
      free(prm.name);
      free(prm.def);
      macro_free(m);
      return xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    }
    m->params = np;
    m->params[m->n_params++] = prm;
  }
  /* a later definition in the same table replaces an earlier one; the old one is kept
   * until the table goes, in case it is expanding right now */
  for (macro_t **pp = &env->mt->head; *pp != NULL; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, name) == 0) {
      macro_t *old = *pp;
      m->next = old->next;
      *pp = m;
      old->next = env->mt->retired;
      env->mt->retired = old;
      return 0;
    }
  }
  m->next = env->mt->head;
  env->mt->head = m;
  return 0;
}

/* Whether name is defined for `name in table` (properties up the chain, then globals). */
static int name_defined(scope_t *s, const char *name) {
  entry_t *e = scope_find(s, name, NULL);
  return e != NULL || dtw__xexpr_is_global(name);
}

static int define_property(xctx_t *c, const env_t *env, xmlNodePtr n) {
  const char *raw_name = attr(n, "name");
  const char *value = attr(n, "value");
  const char *def = attr(n, "default");
  const char *sc = attr(n, "scope");
  const char *rm = attr(n, "remove");
  const char *lz = attr(n, "lazy_eval");
  char *name = NULL;
  int r, remove = 0, lazy = 1;
  if (raw_name == NULL)
    return xerr(c, env->f, n, DTW_EPARSE, "xacro:property: missing attribute 'name'");
  if ((r = eval_str(c, env, n, "xacro:property", raw_name, &name, NULL)) < 0) return r;
  if (!is_identifier(name)) {
    r = xerr(c, env->f, n, DTW_EPARSE,
             "xacro:property: property names must be valid python identifiers: '%.60s'", name);
    goto out;
  }
  if (name[0] == '_' && name[1] == '_') {
    r = xerr(c, env->f, n, DTW_EPARSE,
             "xacro:property: property names must not start with double underscore: '%.60s'", name);
    goto out;
  }
  if ((r = eval_bool(c, env, n, "xacro:property remove", rm != NULL ? rm : "false", &remove)) < 0)
    goto out;
  if ((value != NULL) + (def != NULL) + (remove != 0) > 1) {
    r = xerr(c, env->f, n, DTW_EPARSE,
             "xacro:property: property attributes default, value, and remove are mutually "
             "exclusive: %s",
             name);
    goto out;
  }
  if (remove && name_defined(env->s, name)) {
    /* removed from every table up to the global one */
    for (scope_t *s = env->s; s != NULL; s = s->parent) {
      for (entry_t **pe = &s->head; *pe != NULL; pe = &(*pe)->next) {
        if (strcmp((*pe)->name, name) == 0) {
          entry_t *e = *pe;
          *pe = e->next;
          entry_clear(e);
          free(e->name);
          free(e);
          break;
        }
      }
    }
    goto out;
  }
  if (def != NULL) {
    if (name_defined(env->s, name)) goto out;
    value = def;
    sc = NULL; /* ros/xacro warns: defaults are local */
  }
  if ((r = eval_bool(c, env, n, "xacro:property lazy_eval", lz != NULL ? lz : "true", &lazy)) < 0)
    goto out;
  scope_t *target = env->s;
  if (sc != NULL && strcmp(sc, "global") == 0) {
    while (target->parent != NULL) target = target->parent;
    lazy = 0;
  } else if (sc != NULL && strcmp(sc, "parent") == 0) {
    if (env->s->parent == NULL) {
      r = xerr(c, env->f, n, DTW_EPARSE,
               "xacro:property '%s': scope=\"parent\" used in the global scope", name);
      goto out;
    }
    target = env->s->parent;
    lazy = 0;
    if (!env->s->is_ns)
      while (target->is_ns && target->parent != NULL) target = target->parent;
  }
  if (value == NULL) {
    /* property block: the element's children, expanded where inserted */
    char key[140];
    snprintf(key, sizeof key, "**%s", name);
    entry_t *e = scope_slot(target, key);
    if (e == NULL) {
      r = xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
    e->kind = ENT_BLOCK;
    e->block = n;
    e->expanded = 0;
    e->file = env->f;
    goto out;
  }
  dtw__xval_t v;
  if (lazy) {
    if (dtw__xval_set_str(&v, value, strlen(value)) < 0) {
      r = xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
  } else {
    char msg[768];
    if ((r = dtw__xtext_eval(c, env->s, value, strlen(value), &v, msg, sizeof msg)) < 0) {
      r = xerr(c, env->f, n, r, "xacro:property '%s': %s", name, msg);
      goto out;
    }
  }
  r = scope_set(target, name, &v, lazy);
  dtw__xval_fini(&v);
  if (r < 0)
    r = xerr(c, env->f, n, r, r == DTW_EUNSUP ? "xacro:property '%s': a namespace is not a value"
                                              : "xacro:property '%s': out of memory",
             name);
out:
  free(name);
  return r;
}

static int insert_block(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out) {
  const char *name = attr(n, "name");
  char key[140];
  int r = 0;
  if (name == NULL)
    return xerr(c, env->f, n, DTW_EPARSE, "xacro:insert_block: missing attribute 'name'");
  snprintf(key, sizeof key, "**%.120s", name);
  entry_t *e = scope_find(env->s, key, NULL);
  int content_only = 1;
  if (e == NULL || e->kind != ENT_BLOCK) {
    e = scope_find(env->s, key + 1, NULL);
    content_only = 0;
  }
  if (e == NULL || e->kind != ENT_BLOCK)
    return xerr(c, env->f, n, DTW_ENOENT, "xacro:insert_block: undefined block '%.120s'", name);
  if (!e->expanded) {
    env_t benv = {e->file, env->s, env->mt};
    return process_children(c, &benv, e->block, out, NULL, NULL);
  }
  /* a block argument: its evaluated copy, evaluated once more here */
  xmlNodePtr from = content_only ? e->block->children : e->block;
  for (xmlNodePtr k = from; k != NULL && r == 0; k = content_only ? k->next : NULL) {
    xmlNodePtr copied = NULL;
    if (k->type == XML_TEXT_NODE) {
      /* text is evaluated before it joins a neighbouring text node */
      char *t = NULL;
      size_t tl = 0;
      if ((r = eval_str(c, env, n, "xacro:insert_block", (const char *)k->content, &t, &tl)) < 0 ||
          (r = spend_output(c, env->f, n, 1, tl)) < 0) {
        free(t);
        break;
      }
      xmlNodePtr tn = xmlNewDocTextLen(c->out, (const xmlChar *)t, (int)tl);
      free(t);
      if (tn == NULL) return xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      xmlAddChild(out, tn);
      continue;
    }
    if ((r = copy_output(c, env->f, n, k, out, &copied)) == 0 && copied != NULL)
      r = reevaluate(c, env, n, copied);
  }
  return r;
}

static int do_arg(xctx_t *c, const env_t *env, xmlNodePtr n) {
  const char *name = attr(n, "name");
  const char *def = attr(n, "default");
  int r;
  if (name == NULL) return xerr(c, env->f, n, DTW_EPARSE, "xacro:arg: missing attribute 'name'");
  if (def == NULL)
    return xerr(c, env->f, n, DTW_EPARSE, "xacro:arg '%.60s': missing attribute 'default'", name);
  if (dtw__xarg_find(c, name) != NULL) return 0;
  char *v = NULL;
  size_t vl = 0;
  if ((r = eval_str(c, env, n, "xacro:arg", def, &v, &vl)) < 0) return r;
  r = add_arg(c, name, strlen(name), v, vl);
  free(v);
  if (r < 0) return xerr(c, env->f, n, r, "out of memory");
  return 0;
}

static int do_condition(xctx_t *c, const env_t *env, xmlNodePtr n, const char *kind,
                        xmlNodePtr out) {
  const char *value = attr(n, "value");
  char what[32];
  int keep, r;
  snprintf(what, sizeof what, "xacro:%s", kind);
  if (value == NULL) return xerr(c, env->f, n, DTW_EPARSE, "%s: missing attribute 'value'", what);
  if ((r = eval_bool(c, env, n, what, value, &keep)) < 0) return r;
  if (strcmp(kind, "unless") == 0) keep = !keep;
  if (!keep) return 0;
  return process_children(c, env, n, out, NULL, NULL);
}

/* One included file: parsed, its root's attributes evaluated (and dropped), its content
 * expanded in place, its namespace declarations lifted to the including element. */
static int include_one(xctx_t *c, const env_t *env, xmlNodePtr n, const char *path,
                       const env_t *into, xmlNodePtr out, xmlNodePtr ns_target, int optional) {
  char msg[512];
  char *data = NULL;
  size_t dlen = 0;
  int r;
  if (c->inc_depth + 1 >= c->max_inc || c->inc_depth + 1 >= XACRO_MAX_STACK)
    return xerr(c, env->f, n, DTW_ERANGE, "xacro:include: includes nested deeper than %d ('%.80s')",
                c->max_inc, path);
  char *real = realpath(path, NULL);
  if (real != NULL) {
    for (int i = 0; i <= c->inc_depth; i++) {
      if (strcmp(c->inc_stack[i]->real, real) == 0) {
        free(real);
        return xerr(c, env->f, n, DTW_EPARSE,
                    "xacro:include: include cycle: '%.200s' is already being included", path);
      }
    }
    free(real);
  }
  if ((r = dtw__xread_file(path, &data, &dlen, msg, sizeof msg)) < 0) {
    if (optional && (r == DTW_ENOENT || r == DTW_EIO)) return 0;
    return xerr(c, env->f, n, r, "xacro:include: cannot read '%.300s': %s", path, msg);
  }
  xfile_t *inc = file_new(c, path);
  if (inc == NULL) {
    free(data);
    return xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
  r = parse_xml(c, inc, data, dlen);
  free(data);
  if (r < 0) return r;
  xmlNodePtr root = xmlDocGetRootElement(inc->doc);
  env_t ienv = {inc, into->s, into->mt};
  c->inc_stack[++c->inc_depth] = inc;
  for (xmlAttrPtr a = root->properties; a != NULL && r == 0; a = a->next) {
    if (is_xacro_attr(a)) continue;
    xmlChar *raw = xmlNodeListGetString(root->doc, a->children, 1);
    char *val = NULL;
    r = eval_str(c, &ienv, root, "included root attribute", raw != NULL ? (const char *)raw : "",
                 &val, NULL);
    xmlFree(raw);
    free(val);
  }
  if (r == 0) r = process_children(c, &ienv, root, out, NULL, ns_target);
  c->inc_depth--;
  if (r == 0) lift_namespaces(ns_target, root);
  return r;
}

static int cmp_paths(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_include(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out,
                      xmlNodePtr ns_target) {
  const char *spec = attr(n, "filename");
  const char *ns = attr(n, "ns");
  const char *opt = attr(n, "optional");
  char *fname = NULL, *path = NULL, *nsname = NULL;
  int r, optional = 0;
  if (spec == NULL)
    return xerr(c, env->f, n, DTW_EPARSE, "xacro:include: missing attribute 'filename'");
  if (opt != NULL && (r = eval_bool(c, env, n, "xacro:include optional", opt, &optional)) < 0)
    return r;
  if ((r = eval_str(c, env, n, "xacro:include", spec, &fname, NULL)) < 0) return r;
  env_t into = *env;
  if (ns != NULL) {
    /* a namespace: fresh tables for the included properties and macros */
    if ((r = eval_str(c, env, n, "xacro:include ns", ns, &nsname, NULL)) < 0) goto out;
    if (!is_identifier(nsname)) {
      r = xerr(c, env->f, n, DTW_EPARSE, "xacro:include: bad namespace name '%.60s'", nsname);
      goto out;
    }
    entry_t *e = scope_slot(env->s, nsname);
    scope_t *sc = calloc(1, sizeof *sc);
    mtable_t *mt = calloc(1, sizeof *mt);
    struct mns *link = calloc(1, sizeof *link);
    char *lname = xstrdup(nsname);
    if (e == NULL || sc == NULL || mt == NULL || link == NULL || lname == NULL) {
      free(sc);
      free(mt);
      free(link);
      free(lname);
      r = xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
    sc->parent = env->s;
    sc->is_ns = 1;
    sc->next_ns = c->ns_scopes;
    c->ns_scopes = sc;
    e->kind = ENT_NS;
    e->ns = sc;
    link->name = lname;
    link->t = mt;
    link->next = env->mt->ns;
    env->mt->ns = link;
    into.s = sc;
    into.mt = mt;
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
    r = xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if (strpbrk(path, "*?[") != NULL) {
    glob_t g;
    memset(&g, 0, sizeof g);
    int gr = glob(path, GLOB_NOSORT, NULL, &g);
    if (gr == 0 && g.gl_pathc > XACRO_MAX_GLOB) {
      r = xerr(c, env->f, n, DTW_ERANGE, "xacro:include: '%.80s' matches more than %d files",
               fname, XACRO_MAX_GLOB);
    } else if (gr == 0) {
      /* sorted like Python's sorted(glob.glob()) */
      qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, cmp_paths);
      for (size_t k = 0; k < g.gl_pathc && r == 0; k++)
        r = include_one(c, env, n, g.gl_pathv[k], &into, out, ns_target, optional);
    } else {
      fprintf(stderr, "%s:%ld: warning: include tag's filename spec '%s' matched no files\n",
              env->f->name, node_line(n), fname);
    }
    globfree(&g);
  } else {
    r = include_one(c, env, n, path, &into, out, ns_target, optional);
  }
out:
  free(fname);
  free(path);
  free(nsname);
  return r;
}

/* Whether barrier lies inside subtree root (so it dies with it). */
static int inside(xmlNodePtr node, xmlNodePtr root) {
  for (; node != NULL; node = node->parent)
    if (node == root) return 1;
  return 0;
}

static int macro_call(xctx_t *c, const env_t *env, xmlNodePtr n, const char *name,
                      xmlNodePtr out, xmlNodePtr ns_target, int via_call) {
  env_t at;
  macro_t *m = resolve_macro(env, name, &at);
  if (m == NULL) return xerr(c, env->f, n, DTW_ENOENT, "unknown macro name: xacro:%.80s", name);
  scope_t local = {.parent = at.s, .head = NULL};
  mtable_t lmt = {.parent = at.mt};
  xmlNodePtr holder = NULL;
  unsigned char *given = NULL;
  char msg[768];
  int r = 0;
  if (c->macro_depth >= c->max_macro)
    return xerr(c, env->f, n, DTW_ERANGE, "xacro:%s: macro recursion deeper than %d", m->name,
                c->max_macro);
  given = calloc(m->n_params + 1, 1);
  if (given == NULL) return xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  /* arguments: evaluated now, at the call site (in the macro's namespace) */
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    if (via_call && a->ns == NULL && strcmp((const char *)a->name, "macro") == 0) continue;
    if (is_xacro_attr(a) && xattr(n, "name") != NULL) continue; /* xacro:element's own */
    size_t k;
    for (k = 0; k < m->n_params; k++)
      if (!m->params[k].block && a->ns == NULL && !given[k] &&
          strcmp(m->params[k].name, (const char *)a->name) == 0)
        break;
    if (k == m->n_params) {
      r = xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': invalid parameter \"%.60s\"", m->name,
               (const char *)a->name);
      goto out;
    }
    xmlChar *raw = xmlNodeListGetString(n->doc, a->children, 1);
    dtw__xval_t v;
    r = dtw__xtext_eval(c, at.s, raw != NULL ? (const char *)raw : "",
                        raw != NULL ? strlen((char *)raw) : 0, &v, msg, sizeof msg);
    xmlFree(raw);
    if (r < 0) {
      r = xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name,
               m->params[k].name, msg);
      goto out;
    }
    if ((r = scope_set(&local, m->params[k].name, &v, 0)) < 0) {
      r = xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name,
               m->params[k].name, r == DTW_EUNSUP ? "a namespace is not a value" : "out of memory");
      goto out;
    }
    given[k] = 1;
  }
  /* block arguments: the call's children, expanded in the caller's scope */
  holder = xmlNewDocNode(c->out, NULL, (const xmlChar *)"xacro-blocks", NULL);
  if (holder == NULL) {
    r = xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if ((r = process_children(c, &at, n, holder, NULL, NULL)) < 0) goto out;
  xmlNodePtr blk = holder->children;
  for (size_t k = 0; k < m->n_params; k++) {
    if (!m->params[k].block) continue;
    while (blk != NULL && blk->type != XML_ELEMENT_NODE) blk = blk->next;
    if (blk == NULL) {
      r = xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': not enough blocks for parameter '%s%s'",
               m->name, m->params[k].block == 2 ? "**" : "*", m->params[k].name);
      goto out;
    }
    char key[140];
    snprintf(key, sizeof key, "%s%s", m->params[k].block == 2 ? "**" : "*", m->params[k].name);
    entry_t *e = scope_slot(&local, key);
    if (e == NULL) {
      r = xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
    e->kind = ENT_BLOCK;
    e->block = blk;
    e->expanded = 1;
    e->file = env->f;
    given[k] = 1;
    blk = blk->next;
  }
  while (blk != NULL && blk->type != XML_ELEMENT_NODE) blk = blk->next;
  if (blk != NULL) {
    r = xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': unused block <%.60s>", m->name,
             (const char *)blk->name);
    goto out;
  }
  /* defaults, evaluated at the call site too; ^ forwards the caller's property */
  char missing[256] = "";
  for (size_t k = 0; k < m->n_params; k++) {
    param_t *p = &m->params[k];
    if (given[k] || p->block) continue;
    if (!p->forward && p->def == NULL) {
      size_t l = strlen(missing);
      snprintf(missing + l, sizeof missing - l, "%s'%s'", l > 0 ? ", " : "", p->name);
      continue;
    }
    dtw__xval_t v;
    if (p->forward) {
      r = dtw__xprop_resolve(c, at.s, p->name, &v, msg, sizeof msg);
      if (r == 0) goto have_value;
      if (r != DTW__XNOTFOUND || p->def == NULL) {
        if (r == DTW__XNOTFOUND)
          r = xerr(c, env->f, n, DTW_ENOENT,
                   "xacro:macro '%s': parameter '%s': undefined property to forward (^): '%s'",
                   m->name, p->name, p->name);
        else
          r = xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name, p->name, msg);
        goto out;
      }
    }
    if ((r = dtw__xtext_eval(c, at.s, p->def, strlen(p->def), &v, msg, sizeof msg)) < 0) {
      r = xerr(c, env->f, n, r, "xacro:macro '%s': default of '%s': %s", m->name, p->name, msg);
      goto out;
    }
  have_value:
    if ((r = scope_set(&local, p->name, &v, 0)) < 0) {
      r = xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name, p->name,
               r == DTW_EUNSUP ? "a namespace is not a value" : "out of memory");
      goto out;
    }
  }
  if (missing[0] != '\0') {
    r = xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': missing parameter%s %s", m->name,
             strchr(missing, ',') != NULL ? "s" : "", missing);
    goto out;
  }
  env_t body = {m->file, &local, &lmt};
  c->mstack[c->macro_depth++] = m;
  r = process_children(c, &body, m->body, out, NULL, ns_target);
  c->macro_depth--;
  if (r == 0) lift_namespaces(ns_target, m->body);
  if (r < 0 && c->err != NULL && c->errlen > 0) {
    /* name the outermost call site too, the body line alone can be ambiguous */
    char *prev = strstr(c->err, " (in xacro:");
    if (prev != NULL) *prev = '\0';
    size_t l = strlen(c->err);
    if (l + 1 < c->errlen)
      snprintf(c->err + l, c->errlen - l, " (in xacro:%s called at %s:%ld)", m->name,
               env->f->name, node_line(n));
  }
out:
  if (holder != NULL) {
    if (c->barrier != NULL && inside(c->barrier, holder)) c->barrier = NULL;
    xmlFreeNode(holder);
  }
  scope_fini(&local);
  mt_fini(&lmt);
  free(given);
  return r;
}

static int do_attribute(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr attr_target) {
  const char *name = attr(n, "name"), *value = attr(n, "value");
  char *nm = NULL, *val = NULL;
  int r;
  if (name == NULL || value == NULL)
    return xerr(c, env->f, n, DTW_EPARSE, "xacro:attribute: missing attribute '%s'",
                name == NULL ? "name" : "value");
  if ((r = eval_str(c, env, n, "xacro:attribute", name, &nm, NULL)) < 0) return r;
  if ((r = eval_str(c, env, n, "xacro:attribute", value, &val, NULL)) < 0) goto out;
  if (nm[0] == '\0') {
    r = xerr(c, env->f, n, DTW_EPARSE, "xacro:attribute: empty name");
  } else if (xmlValidateName((const xmlChar *)nm, 0) != 0) {
    r = xerr(c, env->f, n, DTW_EPARSE, "xacro:attribute: '%.60s' is not an XML name", nm);
  } else if (attr_target != NULL) {
    /* ros/xacro sets it on the parent; under a xacro element that parent is dropped */
    if ((r = spend_output(c, env->f, n, 1, strlen(val))) == 0 &&
        xmlSetProp(attr_target, (const xmlChar *)nm, (const xmlChar *)val) == NULL)
      r = xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
out:
  free(nm);
  free(val);
  return r;
}

/* Elements whose handler first drops the comments right before them, as ros/xacro does. */
static int drops_comments(const char *x) {
  return strcmp(x, "insert_block") != 0 && strcmp(x, "element") != 0 &&
         strcmp(x, "attribute") != 0;
}

static int process_element(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out,
                           xmlNodePtr attr_target, xmlNodePtr ns_target, const char *rename) {
  int r;
  if ((r = spend_work(c, env->f, n, 1)) < 0) return r;
  if (c->depth >= XACRO_MAX_DEPTH)
    return xerr(c, env->f, n, DTW_ERANGE, "elements and macros nested deeper than %d",
                XACRO_MAX_DEPTH);
  const char *x = rename != NULL ? (strncmp(rename, "xacro:", 6) == 0 ? rename + 6 : NULL)
                                 : xacro_name(n);
  if (x == NULL) {
    c->depth++;
    r = process_plain(c, env, n, out, rename);
    c->depth--;
    return r;
  }
  if (drops_comments(x)) remove_previous_comments(c, out, c->floor);
  c->depth++;
  if (strcmp(x, "property") == 0) {
    r = define_property(c, env, n);
  } else if (strcmp(x, "macro") == 0) {
    r = define_macro(c, env, n);
  } else if (strcmp(x, "include") == 0) {
    r = do_include(c, env, n, out, ns_target);
  } else if (strcmp(x, "arg") == 0) {
    r = do_arg(c, env, n);
  } else if (strcmp(x, "if") == 0 || strcmp(x, "unless") == 0) {
    r = do_condition(c, env, n, x, out);
  } else if (strcmp(x, "insert_block") == 0) {
    r = insert_block(c, env, n, out);
  } else if (strcmp(x, "attribute") == 0) {
    r = do_attribute(c, env, n, attr_target);
  } else if (strcmp(x, "element") == 0) {
    const char *raw = xattr(n, "name");
    char *name = NULL;
    if (raw == NULL) {
      r = xerr(c, env->f, n, DTW_EPARSE, "xacro:element: missing attribute 'xacro:name'");
    } else if ((r = eval_str(c, env, n, "xacro:element", raw, &name, NULL)) == 0) {
      if (name[0] == '\0')
        r = xerr(c, env->f, n, DTW_EPARSE, "xacro:element: empty name");
      else if (xmlValidateQName((const xmlChar *)name, 0) != 0)
        r = xerr(c, env->f, n, DTW_EPARSE, "xacro:element: '%.60s' is not an XML name", name);
      else
        r = process_element(c, env, n, out, attr_target, ns_target, name); /* again, renamed */
    }
    free(name);
  } else if (strcmp(x, "call") == 0) {
    const char *raw = attr(n, "macro");
    char *name = NULL;
    if (raw == NULL) {
      r = xerr(c, env->f, n, DTW_EPARSE, "xacro:call: missing attribute 'macro'");
    } else if ((r = eval_str(c, env, n, "xacro:call", raw, &name, NULL)) == 0) {
      r = macro_call(c, env, n, name, out, ns_target, 1);
    }
    free(name);
  } else {
    r = macro_call(c, env, n, x, out, ns_target, 0);
  }
  c->depth--;
  if (drops_comments(x) && n->next != NULL) c->barrier = out->last;
  return r;
}

static int process_children(xctx_t *c, const env_t *env, xmlNodePtr src, xmlNodePtr out,
                            xmlNodePtr attr_target, xmlNodePtr ns_target) {
  int r = 0, eval_comments = 0;
  xmlNodePtr saved_floor = c->floor;
  c->floor = out->last;
  for (xmlNodePtr k = src->children; k != NULL && r == 0; k = k->next) {
    switch (k->type) {
    case XML_ELEMENT_NODE:
      eval_comments = 0;
      r = process_element(c, env, k, out, attr_target, ns_target, NULL);
      break;
    case XML_TEXT_NODE: {
      char *t = NULL;
      size_t tl = 0;
      if ((r = spend_work(c, env->f, k, 1)) < 0) break;
      if ((r = eval_str(c, env, k, "text", (const char *)k->content, &t, &tl)) < 0) break;
      for (size_t i = 0; i < tl && eval_comments; i++)
        if (!strchr(" \t\r\n", t[i])) eval_comments = 0;
      if ((r = spend_output(c, env->f, k, 1, tl)) < 0) {
        free(t);
        break;
      }
      xmlNodePtr tn = xmlNewDocTextLen(c->out, (const xmlChar *)t, (int)tl);
      free(t);
      if (tn == NULL) {
        r = xerr(c, env->f, k, DTW_ENOMEM, "out of memory");
        break;
      }
      tn->line = k->line;
      xmlAddChild(out, tn); /* merges into a neighbouring text node (and frees tn) */
      break;
    }
    case XML_COMMENT_NODE: {
      const char *t = (const char *)k->content;
      if (t != NULL && strstr(t, "xacro:eval-comments") != NULL) {
        eval_comments = strstr(t, "xacro:eval-comments:off") == NULL;
        break; /* the switch itself is dropped */
      }
      if (eval_comments && t != NULL) {
        char *v = NULL;
        size_t vl = 0;
        if ((r = eval_str(c, env, k, "comment", t, &v, &vl)) < 0) break;
        xmlNodePtr cn = xmlNewDocComment(c->out, (const xmlChar *)v);
        free(v);
        if (cn == NULL || (r = spend_output(c, env->f, k, 1, vl)) < 0) {
          xmlFreeNode(cn);
          if (r == 0) r = xerr(c, env->f, k, DTW_ENOMEM, "out of memory");
          break;
        }
        xmlAddChild(out, cn);
        break;
      }
      r = copy_output(c, env->f, k, k, out, NULL);
      break;
    }
    case XML_CDATA_SECTION_NODE:
    case XML_PI_NODE:
      r = copy_output(c, env->f, k, k, out, NULL);
      break;
    default:
      break;
    }
  }
  c->floor = saved_floor;
  return r;
}

/* ---- entry points ---------------------------------------------------------------------- */

static void ctx_fini(xctx_t *c) {
  scope_fini(&c->global);
  while (c->ns_scopes != NULL) {
    scope_t *s = c->ns_scopes;
    c->ns_scopes = s->next_ns;
    scope_fini(s);
    free(s);
  }
  mt_fini(&c->macros);
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

/* The command line's "name:=value" (also "name=value"): spaces around both are dropped,
 * empty names or values and "_private" names are ignored, as the xacro command does. */
static int parse_cli_arg(xctx_t *c, const char *a) {
  const char *eq = a != NULL ? strstr(a, ":=") : NULL;
  size_t skip = 2;
  if (eq == NULL && a != NULL) {
    eq = strchr(a, '=');
    skip = 1;
  }
  if (eq == NULL || eq == a)
    return dtw_errf(c->err, c->errlen, DTW_EINVAL, "xacro argument '%s': expected name:=value",
                    a != NULL ? a : "(null)");
  const char *n0 = a, *n1 = eq, *v0 = eq + skip, *v1 = v0 + strlen(v0);
  while (n0 < n1 && (*n0 == ' ' || *n0 == '\t')) n0++;
  while (n1 > n0 && (n1[-1] == ' ' || n1[-1] == '\t')) n1--;
  while (v0 < v1 && (*v0 == ' ' || *v0 == '\t')) v0++;
  while (v1 > v0 && (v1[-1] == ' ' || v1[-1] == '\t')) v1--;
  if (n1 == n0 || v1 == v0) return 0;
  if (n1 - n0 > 1 && n0[0] == '_' && n0[1] != '_') return 0;
  /* a later mapping of the same name wins */
  for (xarg_t *x = c->args; x != NULL; x = x->next)
    if (strlen(x->name) == (size_t)(n1 - n0) && memcmp(x->name, n0, (size_t)(n1 - n0)) == 0) {
      char *v = xstrndup(v0, (size_t)(v1 - v0));
      if (v == NULL) return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory");
      free(x->value);
      x->value = v;
      return 0;
    }
  if (add_arg(c, n0, (size_t)(n1 - n0), v0, (size_t)(v1 - v0)) < 0)
    return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory");
  return 0;
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
  if (c.max_macro > XACRO_MAX_STACK) c.max_macro = XACRO_MAX_STACK;
  long max_nodes = opts != NULL && opts->max_nodes > 0 ? opts->max_nodes : XACRO_DEFAULT_MAX_NODES;
  c.nodes_left = max_nodes;
  c.work = max_nodes * 4;
  c.bytes_left = max_nodes * 64;
  if (err != NULL && errlen > 0) err[0] = '\0';
  xmlInitParser();

  for (size_t i = 0; opts != NULL && i < opts->n_args; i++)
    if ((r = parse_cli_arg(&c, opts->args[i])) < 0) goto out;
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
  env_t env = {f, &c.global, &c.macros};
  /* the document node's children: comments around the root, the root itself */
  xmlNodePtr docnode = (xmlNodePtr)c.out;
  for (xmlNodePtr k = f->doc->children; k != NULL; k = k->next) {
    if (k->type == XML_ELEMENT_NODE) {
      if ((r = process_plain(&c, &env, k, docnode, NULL)) < 0) goto out;
      /* xacro:targetNamespace on the root becomes the default namespace */
      const char *tns = xattr(k, "targetNamespace");
      if (tns != NULL && xmlDocGetRootElement(c.out) != NULL)
        xmlNewNs(xmlDocGetRootElement(c.out), (const xmlChar *)tns, NULL);
    } else if (k->type == XML_COMMENT_NODE || k->type == XML_PI_NODE) {
      if ((r = copy_output(&c, f, k, k, docnode, NULL)) < 0) goto out;
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
  int r = dtw__xread_file(path, &data, &len, msg, sizeof msg);
  if (r < 0) return dtw_errf(err, errlen, r, "%s: cannot read: %s", path, msg);
  r = expand(data, len, path, opts, out, err, errlen);
  free(data);
  return r;
}
