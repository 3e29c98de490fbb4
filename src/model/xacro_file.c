/* xacro_file.c - reading and parsing the xacro expander's input files (libxml2 without
 * network or entities, errors kept off stderr), and text evaluation with located errors. */
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
int dtw__xparse_xml(xctx_t *c, xfile_t *f, const char *data, size_t len) {
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

xfile_t *dtw__xfile_new(xctx_t *c, const char *name) {
  xfile_t *f = calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  f->name = dtw__xstrdup(name);
  const char *slash = strrchr(name, '/');
  f->dir = slash != NULL ? dtw__xstrndup(name, slash == name ? 1 : (size_t)(slash - name)) : dtw__xstrdup(".");
  char *rp = realpath(name, NULL);
  f->real = rp != NULL ? rp : dtw__xstrdup(name);
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
int dtw__xeval_str(xctx_t *c, const env_t *env, xmlNodePtr n, const char *what, const char *text,
                    char **out, size_t *olen) {
  dtw__xval_t v;
  char msg[768];
  int r = dtw__xtext_eval(c, env->s, text, strlen(text), &v, msg, sizeof msg);
  if (r < 0) return dtw__xerr(c, env->f, n, r, "%s: %s", what, msg);
  r = dtw__xval_to_str(&v, out, olen);
  dtw__xval_fini(&v);
  if (r < 0) return dtw__xerr(c, env->f, n, r, "%s: value too long or out of memory", what);
  return 0;
}

/* xacro's get_boolean_value(eval_text(text)) with a located error. */
int dtw__xeval_bool(xctx_t *c, const env_t *env, xmlNodePtr n, const char *what, const char *text,
                     int *out) {
  dtw__xval_t v;
  char msg[768];
  int r = dtw__xtext_eval(c, env->s, text, strlen(text), &v, msg, sizeof msg);
  if (r < 0) return dtw__xerr(c, env->f, n, r, "%s: %s", what, msg);
  r = dtw__xval_condition(&v, out);
  if (r < 0) {
    char *t = NULL;
    dtw__xval_to_str(&v, &t, NULL);
    r = dtw__xerr(c, env->f, n, DTW_EPARSE, "%s: value '%.60s' evaluated to '%.60s', which is not a "
             "boolean expression", what, text, t != NULL ? t : "?");
    free(t);
  }
  dtw__xval_fini(&v);
  return r;
}

