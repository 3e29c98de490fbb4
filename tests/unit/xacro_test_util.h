/* xacro_test_util.h - helpers for the xacro tests that follow ros/xacro's test suite:
 * expand a document and compare it with the expected one the way ros/xacro's
 * xml_matches does (element names, attributes in any order, values equal after
 * whitespace normalisation or as numbers within 1e-9, whitespace-only text
 * ignored, adjacent text merged), and capture what goes to stderr.
 * Static functions only: include in one test file each. */
#ifndef XACRO_TEST_UTIL_H
#define XACRO_TEST_UTIL_H

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dtw/err.h"
#include "dtw/xacro.h"

static char g_err[2048];
static char g_ros_dir[1024];
static char g_pkgs[1024];
static int g_ignore_comments;

static void init_dirs(void) {
  const char *d = getenv("DTW_TEST_DATA");
  char rel[1024];
  snprintf(rel, sizeof rel, "%.1000s/xacro", d != NULL ? d : "tests/data");
  char *real = realpath(rel, NULL);
  snprintf(g_ros_dir, sizeof g_ros_dir, "%.1000s/ros", real != NULL ? real : rel);
  snprintf(g_pkgs, sizeof g_pkgs, "%.1000s/pkgs", real != NULL ? real : rel);
  free(real);
}

/* Expand text as if it were a file in the fixture directory (relative includes resolve
 * there, as ros/xacro's tests run in their test directory). */
static int xexpand(const char *text, const char *const *args, size_t n_args, xmlDocPtr *doc) {
  char name[1200];
  snprintf(name, sizeof name, "%s/string.xacro", g_ros_dir);
  dtw_xacro_opts_t o = {.package_path = g_pkgs, .args = args, .n_args = n_args};
  g_err[0] = '\0';
  *doc = NULL;
  return dtw_xacro_expand_buffer(text, strlen(text), name, &o, doc, g_err, sizeof g_err);
}

/* Whitespace-normalised equality, else word-wise with numbers within 1e-9. */
static int text_values_match(const char *a, const char *b) {
  const char *p = a, *q = b;
  for (;;) {
    while (*p && isspace((unsigned char)*p)) p++;
    while (*q && isspace((unsigned char)*q)) q++;
    if (*p == '\0' || *q == '\0') return *p == *q;
    size_t lp = strcspn(p, " \t\r\n"), lq = strcspn(q, " \t\r\n");
    if (!(lp == lq && memcmp(p, q, lp) == 0)) {
      char wa[128], wb[128];
      if (lp >= sizeof wa || lq >= sizeof wb) return 0;
      memcpy(wa, p, lp);
      wa[lp] = '\0';
      memcpy(wb, q, lq);
      wb[lq] = '\0';
      char *ea, *eb;
      double x = strtod(wa, &ea), y = strtod(wb, &eb);
      if (*ea != '\0' || *eb != '\0' || ea == wa || eb == wb || fabs(x - y) > 1e-9) return 0;
    }
    p += lp;
    q += lq;
  }
}

static int blank(const xmlChar *s) {
  for (; s != NULL && *s; s++)
    if (!isspace(*s)) return 0;
  return 1;
}

static int skipped(xmlNodePtr n) {
  if (n->type == XML_TEXT_NODE) return blank(n->content);
  if (n->type == XML_COMMENT_NODE) return g_ignore_comments;
  return n->type != XML_ELEMENT_NODE && n->type != XML_CDATA_SECTION_NODE;
}

/* Text of a run of adjacent text nodes starting at *n (advanced past it); caller frees. */
static char *text_run(xmlNodePtr *n) {
  size_t len = 0;
  char *s = calloc(1, 1);
  while (*n != NULL && (*n)->type == XML_TEXT_NODE) {
    size_t l = strlen((const char *)(*n)->content);
    s = realloc(s, len + l + 1);
    memcpy(s + len, (*n)->content, l + 1);
    len += l;
    *n = (*n)->next;
  }
  return s;
}

static void qualified(xmlNsPtr ns, const xmlChar *name, char *buf, size_t n) {
  if (ns != NULL && ns->prefix != NULL)
    snprintf(buf, n, "%s:%s", (const char *)ns->prefix, (const char *)name);
  else
    snprintf(buf, n, "%s", (const char *)name);
}

/* Attributes and namespace declarations of el as "name=value" lines, sorted. */
static int attr_list(xmlNodePtr el, char out[][512], int max) {
  int n = 0;
  for (xmlNsPtr ns = el->nsDef; ns != NULL && n < max; ns = ns->next)
    snprintf(out[n++], 512, "xmlns%s%.100s=%.300s", ns->prefix != NULL ? ":" : "",
             ns->prefix != NULL ? (const char *)ns->prefix : "", (const char *)ns->href);
  for (xmlAttrPtr a = el->properties; a != NULL && n < max; a = a->next) {
    char qn[256];
    qualified(a->ns, a->name, qn, sizeof qn);
    xmlChar *v = xmlNodeListGetString(el->doc, a->children, 1);
    snprintf(out[n++], 512, "%.200s=%.300s", qn, v != NULL ? (const char *)v : "");
    xmlFree(v);
  }
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(out[j - 1], out[j]) > 0; j--) {
      char t[512];
      memcpy(t, out[j], 512);
      memcpy(out[j], out[j - 1], 512);
      memcpy(out[j - 1], t, 512);
    }
  return n;
}

static int nodes_match(xmlNodePtr a, xmlNodePtr b, char *why, size_t whylen) {
  char qa[256], qb[256];
  qualified(a->ns, a->name, qa, sizeof qa);
  qualified(b->ns, b->name, qb, sizeof qb);
  if (strcmp(qa, qb) != 0) {
    snprintf(why, whylen, "element <%.100s> vs <%.100s>", qa, qb);
    return 0;
  }
  static char la[32][512], lb[32][512];
  int na = attr_list(a, la, 32), nb = attr_list(b, lb, 32);
  if (na != nb) {
    snprintf(why, whylen, "<%s>: %d attributes vs %d", qa, na, nb);
    return 0;
  }
  for (int k = 0; k < na; k++) {
    char *ea = strchr(la[k], '='), *eb = strchr(lb[k], '=');
    if ((ea - la[k]) != (eb - lb[k]) || memcmp(la[k], lb[k], (size_t)(ea - la[k])) != 0 ||
        !text_values_match(ea + 1, eb + 1)) {
      snprintf(why, whylen, "<%s>: attribute %s vs %s", qa, la[k], lb[k]);
      return 0;
    }
  }
  xmlNodePtr x = a->children, y = b->children;
  for (;;) {
    while (x != NULL && skipped(x)) x = x->next;
    while (y != NULL && skipped(y)) y = y->next;
    if (x == NULL || y == NULL) {
      if (x != y) snprintf(why, whylen, "<%s>: different number of children", qa);
      return x == y;
    }
    if (x->type != y->type) {
      snprintf(why, whylen, "<%s>: child node types %d vs %d", qa, x->type, y->type);
      return 0;
    }
    if (x->type == XML_TEXT_NODE) {
      char *ta = text_run(&x), *tb = text_run(&y);
      int ok = text_values_match(ta, tb);
      if (!ok) snprintf(why, whylen, "<%s>: text '%.100s' vs '%.100s'", qa, ta, tb);
      free(ta);
      free(tb);
      if (!ok) return 0;
      continue;
    }
    if (x->type != XML_ELEMENT_NODE) {
      if (!text_values_match((const char *)x->content, (const char *)y->content)) {
        snprintf(why, whylen, "<%s>: '%.100s' vs '%.100s'", qa, (const char *)x->content,
                 (const char *)y->content);
        return 0;
      }
    } else if (!nodes_match(x, y, why, whylen)) {
      return 0;
    }
    x = x->next;
    y = y->next;
  }
}

/* Expand src (with args) and require a match with want; prints both on failure. */
static void check_args(const char *src, const char *const *args, size_t n_args, const char *want) {
  xmlDocPtr got = NULL;
  int r = xexpand(src, args, n_args, &got);
  if (r != 0) fail_msg("expansion failed (%d): %s\n--- source:\n%s", r, g_err, src);
  xmlDocPtr exp = xmlReadMemory(want, (int)strlen(want), "expected.xml", NULL, XML_PARSE_NONET);
  if (exp == NULL) fail_msg("bad expected XML: %s", want);
  char why[512] = "";
  int ok = nodes_match(xmlDocGetRootElement(got), xmlDocGetRootElement(exp), why, sizeof why);
  if (!ok) {
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpMemory(got, &buf, &len);
    fprintf(stderr, "mismatch: %s\n--- got:\n%s--- want:\n%s\n", why, (char *)buf, want);
    xmlFree(buf);
  }
  xmlFreeDoc(got);
  xmlFreeDoc(exp);
  if (!ok) fail_msg("xml mismatch: %s", why);
}

static void check(const char *src, const char *want) { check_args(src, NULL, 0, want); }

/* The expansion must fail; the message must contain needle (when not NULL). */
static void check_fails_args(const char *src, const char *const *args, size_t n_args,
                             const char *needle) {
  xmlDocPtr got = NULL;
  int r = xexpand(src, args, n_args, &got);
  if (r == 0) {
    xmlFreeDoc(got);
    fail_msg("expansion succeeded, expected a failure\n--- source:\n%s", src);
  }
  if (needle != NULL && strstr(g_err, needle) == NULL)
    fail_msg("error '%s' lacks '%s'", g_err, needle);
}

static void check_fails(const char *src, const char *needle) {
  check_fails_args(src, NULL, 0, needle);
}

/* stderr capture through a temporary file */
static int g_saved_stderr = -1;
static FILE *g_capture;

static void capture_begin(void) {
  fflush(stderr);
  g_capture = tmpfile();
  g_saved_stderr = dup(2);
  dup2(fileno(g_capture), 2);
}

/* Captured text (static buffer). */
static const char *capture_end(void) {
  static char buf[4096];
  fflush(stderr);
  dup2(g_saved_stderr, 2);
  close(g_saved_stderr);
  rewind(g_capture);
  size_t n = fread(buf, 1, sizeof buf - 1, g_capture);
  buf[n] = '\0';
  fclose(g_capture);
  return buf;
}

#define NS "<a xmlns:xacro=\"http://www.ros.org/wiki/xacro\">"
#define ROBOT "<robot xmlns:xacro=\"http://www.ros.org/wiki/xacro\">"

#endif /* XACRO_TEST_UTIL_H */
