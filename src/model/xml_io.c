/* XML and file input shared by the loaders: libxml2 with no network, no
 * entity expansion and every error turned into one "file:line: XML error"
 * line (see model__urdf.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "dtw/err.h"
#include "dtw/file.h"
#include "model__urdf.h"

typedef struct xml_capture {
  xmlParserCtxtPtr pctxt; /* for the line of errors raised without it */
  bool have;
  int line;
  char msg[256];
} xml_capture_t;

/* libxml2 reports here instead of stderr; keep the first error, it is the cause. */
static void xml_error_cb(void *user, xmlErrorPtr e) {
  xmlParserCtxtPtr pctxt = user;
  xml_capture_t *cap = pctxt != NULL ? pctxt->_private : NULL;
  if (cap == NULL || cap->have || e == NULL || e->level < XML_ERR_ERROR) return;
  cap->have = true;
  cap->line = e->line;
  snprintf(cap->msg, sizeof cap->msg, "%s", e->message != NULL ? e->message : "unknown");
  size_t n = strlen(cap->msg);
  while (n > 0 && isspace((unsigned char)cap->msg[n - 1])) cap->msg[--n] = '\0';
}

/* Errors raised without a parser context (encoding conversion) go to the
 * thread's global handlers; route them to the same capture while parsing. */
static void xml_global_error_cb(void *user, xmlErrorPtr e) {
  xml_capture_t *cap = user;
  if (cap == NULL || cap->have || e == NULL || e->level < XML_ERR_ERROR) return;
  cap->have = true;
  cap->line = e->line;
  if (cap->line <= 0 && cap->pctxt != NULL && cap->pctxt->input != NULL)
    cap->line = cap->pctxt->input->line;
  snprintf(cap->msg, sizeof cap->msg, "%s", e->message != NULL ? e->message : "unknown");
  size_t n = strlen(cap->msg);
  while (n > 0 && isspace((unsigned char)cap->msg[n - 1])) cap->msg[--n] = '\0';
}

static void xml_generic_error_cb(void *user, const char *fmt, ...) {
  (void)user;
  (void)fmt; /* everything also arrives structured; just keep it off stderr */
}

int dtw__xml_read(const char *data, size_t len, const char *file, xmlDocPtr *out, char *err,
                  size_t errlen) {
  int rc = 0;
  xml_capture_t cap = {0};
  xmlDocPtr doc = NULL;
  if (len > INT_MAX) return dtw_errf(err, errlen, DTW_EPARSE, "%s: file too large", file);
  xmlParserCtxtPtr pctxt = xmlNewParserCtxt();
  if (pctxt == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", file);
  pctxt->_private = &cap;
  cap.pctxt = pctxt;
  pctxt->sax->serror = xml_error_cb;
  pctxt->sax->initialized = XML_SAX2_MAGIC;
  /* no NOENT (no entity substitution), no DTDLOAD, no network */
  int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
  xmlGenericErrorFunc old_generic = xmlGenericError;
  void *old_generic_ctx = xmlGenericErrorContext;
  xmlStructuredErrorFunc old_structured = xmlStructuredError;
  void *old_structured_ctx = xmlStructuredErrorContext;
  xmlSetGenericErrorFunc(NULL, xml_generic_error_cb);
  xmlSetStructuredErrorFunc(&cap, xml_global_error_cb);
  doc = xmlCtxtReadMemory(pctxt, data, (int)len, file, NULL, options);
  xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
  xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
  if (doc == NULL || !pctxt->wellFormed || cap.have) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%d: XML error: %s", file,
                  cap.line > 0 ? cap.line : 1,
                  cap.have ? cap.msg : "document is not well-formed");
    goto err_parse;
  }
  if (doc->intSubset != NULL &&
      (doc->intSubset->entities != NULL || doc->intSubset->pentities != NULL)) {
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "%s:1: XML error: DTD entity declarations are not "
                  "supported", file);
    goto err_parse;
  }
  if (xmlDocGetRootElement(doc) == NULL) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:1: XML error: no root element", file);
    goto err_parse;
  }
  *out = doc;
  xmlFreeParserCtxt(pctxt);
  return 0;

err_parse:
  xmlFreeDoc(doc);
  xmlFreeParserCtxt(pctxt);
  return rc;
}

int dtw__file_read(const char *path, char **out, size_t *len, char *err, size_t errlen) {
  /* regular files only: a FIFO or a device as a model path is refused at once */
  return dtw_file_read(path, DTW_FILE_MAX_INPUT, out, len, err, errlen);
}

