/* Tests for the xacro expander (src/model/xacro.c); data in tests/data/xacro/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpath.h>

#include "dtw/err.h"
#include "dtw/xacro.h"

static char g_err[1024];

static const char *data_dir(void) {
  const char *d = getenv("DTW_TEST_DATA");
  return d != NULL ? d : "tests/data";
}

static void data_path(char *buf, size_t n, const char *rel) {
  snprintf(buf, n, "%s/xacro/%s", data_dir(), rel);
}

static void opts_with_pkgs(dtw_xacro_opts_t *o, char *pkgdir, size_t n) {
  memset(o, 0, sizeof *o);
  data_path(pkgdir, n, "pkgs");
  o->package_path = pkgdir;
}

/* string(xpath) on doc; caller frees. */
static char *xp(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  assert_non_null(ctx);
  char full[512];
  snprintf(full, sizeof full, "string(%s)", expr);
  xmlXPathObjectPtr obj = xmlXPathEvalExpression((const xmlChar *)full, ctx);
  assert_non_null(obj);
  char *s = strdup(obj->stringval != NULL ? (const char *)obj->stringval : "");
  xmlXPathFreeObject(obj);
  xmlXPathFreeContext(ctx);
  return s;
}

static int xp_count(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  char full[512];
  snprintf(full, sizeof full, "count(%s)", expr);
  xmlXPathObjectPtr obj = xmlXPathEvalExpression((const xmlChar *)full, ctx);
  assert_non_null(obj);
  int n = (int)obj->floatval;
  xmlXPathFreeObject(obj);
  xmlXPathFreeContext(ctx);
  return n;
}

static void assert_xp(xmlDocPtr doc, const char *expr, const char *want) {
  char *got = xp(doc, expr);
  if (strcmp(got, want) != 0) {
    fail_msg("%s = '%s', want '%s'", expr, got, want);
  }
  free(got);
}

/* Expand an inline document; returns the code, message in g_err. */
static int expand_str(const char *text, const dtw_xacro_opts_t *opts, xmlDocPtr *doc) {
  g_err[0] = '\0';
  *doc = NULL;
  return dtw_xacro_expand_buffer(text, strlen(text), "inline.xacro", opts, doc, g_err,
                                 sizeof g_err);
}

static xmlDocPtr expand_ok(const char *text, const dtw_xacro_opts_t *opts) {
  xmlDocPtr doc;
  int r = expand_str(text, opts, &doc);
  if (r != 0) fail_msg("expansion failed (%d): %s", r, g_err);
  return doc;
}

/* The expansion must fail with code and a message containing every needle. */
static void expect_error(const char *text, const dtw_xacro_opts_t *opts, int code,
                         const char *needle1, const char *needle2) {
  xmlDocPtr doc;
  int r = expand_str(text, opts, &doc);
  if (r != code) fail_msg("returned %d, want %d; err='%s'", r, code, g_err);
  assert_null(doc);
  if (needle1 != NULL && strstr(g_err, needle1) == NULL)
    fail_msg("error '%s' lacks '%s'", g_err, needle1);
  if (needle2 != NULL && strstr(g_err, needle2) == NULL)
    fail_msg("error '%s' lacks '%s'", g_err, needle2);
}

#define HEAD "<robot xmlns:xacro=\"http://www.ros.org/wiki/xacro\">\n"

static void test_full_robot(void **state) {
  (void)state;
  char path[512], pkgs[512];
  dtw_xacro_opts_t o;
  opts_with_pkgs(&o, pkgs, sizeof pkgs);
  data_path(path, sizeof path, "robot.urdf.xacro");
  xmlDocPtr doc = NULL;
  int r = dtw_xacro_expand_file(path, &o, &doc, g_err, sizeof g_err);
  if (r != 0) fail_msg("%s", g_err);
  /* arg default, property using an arg, lazy property defined after its use */
  assert_xp(doc, "/robot/@name", "testbot");
  assert_int_equal(xp_count(doc, "/robot/link[@name='tb_bot_base']"), 1);
  assert_xp(doc, "/robot/link[@name='tb_bot_base']/visual/origin/@xyz", "0 0 0.5");
  assert_xp(doc, "/robot/link[@name='tb_bot_base']/visual/geometry/box/@size", "0.25 0.125 0.1");
  /* macro from a relative include, *block, ^| default, nested macro with default */
  assert_xp(doc, "/robot/link[@name='left_leg']/inertial/mass/@value", "1.0");
  assert_xp(doc, "/robot/link[@name='right_leg']/inertial/mass/@value", "2.5");
  assert_xp(doc, "/robot/joint[@name='left_hip']/origin/@xyz", "0 0.1 0");
  assert_xp(doc, "/robot/joint[@name='right_hip']/origin/@xyz", "0 -0.1 0");
  assert_xp(doc, "/robot/joint[@name='right_hip']/axis/@xyz", "0 -1 0");
  assert_xp(doc, "/robot/joint[@name='left_hip']/limit/@lower", "-1.5707963267948966");
  assert_xp(doc, "/robot/joint[@name='right_hip']/limit/@effort", "-10");
  assert_xp(doc, "/robot/link[@name='left_foot']/collision/geometry/sphere/@radius", "0.05");
  /* macro from $(find pkg), **block */
  assert_xp(doc, "/robot/joint[@name='arm_joint']/limit/@effort", "10");
  assert_xp(doc, "/robot/joint[@name='arm_joint']/dynamics/@damping", "0.5");
  assert_int_equal(xp_count(doc, "/robot/joint[@name='arm_joint']/limits"), 0);
  /* if/unless */
  assert_int_equal(xp_count(doc, "/robot/link[@name='gripper']"), 1);
  assert_int_equal(xp_count(doc, "/robot/link[@name='no_gripper']"), 0);
  assert_int_equal(xp_count(doc, "/robot/link[@name='long_legs']"), 0);
  /* text, escapes */
  assert_xp(doc, "/robot/material/@name", "m_blue");
  assert_xp(doc, "/robot/material/description",
            "Length is 0.5 m, escaped ${not_expanded}");
  /* no xacro left: no xacro elements, no xmlns:xacro, macro-local property gone */
  assert_int_equal(xp_count(doc, "//*[namespace-uri()='http://www.ros.org/wiki/xacro']"), 0);
  assert_null(xmlDocGetRootElement(doc)->nsDef);
  /* line numbers point at the source */
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr obj =
      xmlXPathEvalExpression((const xmlChar *)"/robot/link[@name='tb_bot_base']", ctx);
  assert_int_equal(obj->nodesetval->nodeNr, 1);
  assert_int_equal(xmlGetLineNo(obj->nodesetval->nodeTab[0]), 16);
  xmlXPathFreeObject(obj);
  obj = xmlXPathEvalExpression((const xmlChar *)"/robot/link[@name='left_leg']", ctx);
  assert_int_equal(xmlGetLineNo(obj->nodesetval->nodeTab[0]), 7); /* in parts/leg.xacro */
  xmlXPathFreeObject(obj);
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
}

static void test_args_override(void **state) {
  (void)state;
  char path[512], pkgs[512];
  dtw_xacro_opts_t o;
  opts_with_pkgs(&o, pkgs, sizeof pkgs);
  const char *args[] = {"prefix:=r2_", "use_gripper=false"};
  o.args = args;
  o.n_args = 2;
  data_path(path, sizeof path, "robot.urdf.xacro");
  xmlDocPtr doc = NULL;
  int r = dtw_xacro_expand_file(path, &o, &doc, g_err, sizeof g_err);
  if (r != 0) fail_msg("%s", g_err);
  assert_int_equal(xp_count(doc, "/robot/link[@name='r2_bot_base']"), 1);
  assert_int_equal(xp_count(doc, "/robot/link[@name='gripper']"), 0);
  assert_int_equal(xp_count(doc, "/robot/link[@name='no_gripper']"), 1);
  xmlFreeDoc(doc);

  const char *bad[] = {"novalue"};
  o.args = bad;
  o.n_args = 1;
  r = dtw_xacro_expand_file(path, &o, &doc, g_err, sizeof g_err);
  assert_int_equal(r, DTW_EINVAL);
  assert_non_null(strstr(g_err, "novalue"));
}

static void test_plain_urdf_unchanged(void **state) {
  (void)state;
  char path[512];
  data_path(path, sizeof path, "plain.urdf");
  xmlDocPtr doc = NULL;
  int r = dtw_xacro_expand_file(path, NULL, &doc, g_err, sizeof g_err);
  if (r != 0) fail_msg("%s", g_err);
  assert_xp(doc, "/robot/@name", "plain");
  assert_xp(doc, "/robot/joint/child/@link", "b");
  assert_int_equal(xp_count(doc, "/robot/*"), 3);
  xmlFreeDoc(doc);
}

static void test_properties_and_scope(void **state) {
  (void)state;
  xmlDocPtr doc = expand_ok(
      HEAD
      "  <xacro:property name=\"a\" value=\"${b + 1}\"/>\n"
      "  <xacro:property name=\"b\" value=\"2\"/>\n"
      "  <xacro:property name=\"s\" value=\"'quoted text'\"/>\n"
      "  <xacro:property name=\"d\" default=\"5\"/>\n"
      "  <xacro:property name=\"d\" default=\"6\"/>\n"
      "  <xacro:macro name=\"m\" params=\"x\">\n"
      "    <xacro:property name=\"inner\" value=\"${x * 2}\"/>\n"
      "    <xacro:property name=\"up\" value=\"${inner + 1}\" scope=\"parent\"/>\n"
      "    <xacro:property name=\"b\" value=\"100\"/>\n"
      "    <v i=\"${inner}\" b=\"${b}\" a=\"${a}\"/>\n"
      "  </xacro:macro>\n"
      "  <xacro:m x=\"3\"/>\n"
      "  <r a=\"${a}\" s=\"${s}\" d=\"${d}\" up=\"${up}\" b=\"${b}\" mix=\"a=${a}, b=${b}\"/>\n"
      "  <t f=\"${1.0}\" t=\"${b == 2}\" n=\"${-b}\"/>\n"
      "</robot>\n",
      NULL);
  assert_xp(doc, "/robot/r/@a", "3");
  assert_xp(doc, "/robot/r/@s", "quoted text");
  assert_xp(doc, "/robot/r/@d", "5");
  assert_xp(doc, "/robot/r/@up", "7");
  assert_xp(doc, "/robot/r/@b", "2");
  assert_xp(doc, "/robot/r/@mix", "a=3, b=2");
  assert_xp(doc, "/robot/v/@i", "6");
  assert_xp(doc, "/robot/v/@b", "100");
  /* a was evaluated lazily in its own (global) table, so the local b does not leak in */
  assert_xp(doc, "/robot/v/@a", "3");
  assert_xp(doc, "/robot/t/@f", "1.0");
  assert_xp(doc, "/robot/t/@t", "True");
  assert_xp(doc, "/robot/t/@n", "-2");
  xmlFreeDoc(doc);
  /* a macro's local property is gone after the call */
  expect_error(HEAD
               "  <xacro:macro name=\"m\" params=\"\">\n"
               "    <xacro:property name=\"loc\" value=\"1\"/>\n"
               "  </xacro:macro>\n"
               "  <xacro:m/>\n"
               "  <r a=\"${loc}\"/>\n"
               "</robot>\n",
               NULL, DTW_ENOENT, "inline.xacro:6:", "name 'loc' is not defined");
}

static void test_macro_params(void **state) {
  (void)state;
  xmlDocPtr doc = expand_ok(
      HEAD
      "  <xacro:property name=\"fw\" value=\"from_scope\"/>\n"
      "  <xacro:macro name=\"m\" params=\"a b:=1 fw:=^ g:=^|dflt q:='x y' *first **rest\">\n"
      "    <out a=\"${a}\" b=\"${b}\" fw=\"${fw}\" g=\"${g}\" q=\"${q}\">\n"
      "      <xacro:insert_block name=\"first\"/>\n"
      "      <xacro:insert_block name=\"rest\"/>\n"
      "      <xacro:insert_block name=\"first\"/>\n"
      "    </out>\n"
      "  </xacro:macro>\n"
      "  <xacro:macro name=\"outer\" params=\"n *blk\">\n"
      "    <xacro:m a=\"${n}\" b=\"${n*2}\">\n"
      "      <xacro:insert_block name=\"blk\"/>\n"
      "      <wrap><r1/><r2 v=\"${n}\"/></wrap>\n"
      "    </xacro:m>\n"
      "  </xacro:macro>\n"
      "  <xacro:outer n=\"4\"><one/></xacro:outer>\n"
      "</robot>\n",
      NULL);
  assert_xp(doc, "/robot/out/@a", "4");
  assert_xp(doc, "/robot/out/@b", "8");
  assert_xp(doc, "/robot/out/@fw", "from_scope");
  assert_xp(doc, "/robot/out/@g", "dflt");
  assert_xp(doc, "/robot/out/@q", "x y");
  assert_int_equal(xp_count(doc, "/robot/out/one"), 2);
  assert_int_equal(xp_count(doc, "/robot/out/wrap"), 0);
  assert_xp(doc, "/robot/out/r2/@v", "4");
  assert_xp(doc, "name(/robot/out/*[1])", "one");
  assert_xp(doc, "name(/robot/out/*[2])", "r1");
  assert_xp(doc, "name(/robot/out/*[4])", "one");
  xmlFreeDoc(doc);
}

/* A macro body may redefine its own macro (found by the fuzzer: use after free). As in
 * ros/xacro the redefinition is local to that call: the macro outside is unchanged. */
static void test_macro_redefined_in_body(void **state) {
  (void)state;
  xmlDocPtr doc = expand_ok(HEAD
                            "  <xacro:macro name=\"m\" params=\"a\">\n"
                            "    <xacro:macro name=\"m\" params=\"b\"><second b=\"${b}\"/></xacro:macro>\n"
                            "    <first a=\"${a}\"/>\n"
                            "    <xacro:m b=\"${a}0\"/>\n"
                            "  </xacro:macro>\n"
                            "  <xacro:m a=\"1\"/>\n"
                            "  <xacro:m a=\"2\"/>\n"
                            "</robot>\n",
                            NULL);
  assert_int_equal(xp_count(doc, "/robot/first"), 2);
  assert_xp(doc, "/robot/first[2]/@a", "2");
  assert_xp(doc, "/robot/second[1]/@b", "10");
  assert_xp(doc, "/robot/second[2]/@b", "20");
  xmlFreeDoc(doc);
  expect_error(HEAD
               "  <xacro:macro name=\"m\" params=\"a\">\n"
               "    <xacro:macro name=\"m\" params=\"b\"><second b=\"${b}\"/></xacro:macro>\n"
               "  </xacro:macro>\n"
               "  <xacro:m a=\"1\"/>\n"
               "  <xacro:m b=\"2\"/>\n"
               "</robot>\n",
               NULL, DTW_EPARSE, "inline.xacro:6:", "invalid parameter \"b\"");
}

static void test_macro_errors(void **state) {
  (void)state;
  expect_error(HEAD
               "  <xacro:macro name=\"leg\" params=\"side len\">\n"
               "    <l/>\n"
               "  </xacro:macro>\n"
               "\n"
               "  <xacro:leg len=\"1\"/>\n"
               "</robot>\n",
               NULL, DTW_EPARSE, "inline.xacro:6: xacro:macro 'leg': missing parameter 'side'",
               NULL);
  expect_error(HEAD
               "  <xacro:macro name=\"leg\" params=\"side\"><l/></xacro:macro>\n"
               "  <xacro:leg side=\"l\" color=\"red\"/>\n"
               "</robot>\n",
               NULL, DTW_EPARSE, "inline.xacro:3:", "invalid parameter \"color\"");
  expect_error(HEAD "\n  <xacro:nosuch a=\"1\"/>\n</robot>\n", NULL, DTW_ENOENT,
               "inline.xacro:3:", "unknown macro name: xacro:nosuch");
  expect_error(HEAD
               "  <xacro:macro name=\"m\" params=\"*a *b\"><l/></xacro:macro>\n"
               "  <xacro:m><x/></xacro:m>\n"
               "</robot>\n",
               NULL, DTW_EPARSE, "inline.xacro:3:", "not enough blocks");
  expect_error(HEAD
               "  <xacro:macro name=\"m\" params=\"\"><l/></xacro:macro>\n"
               "  <xacro:m><x/></xacro:m>\n"
               "</robot>\n",
               NULL, DTW_EPARSE, "inline.xacro:3:", "unused block <x>");
  expect_error(HEAD
               "  <xacro:macro name=\"m\" params=\"v:=^\"><l/></xacro:macro>\n"
               "  <xacro:m/>\n"
               "</robot>\n",
               NULL, DTW_ENOENT, "inline.xacro:3:", "undefined property to forward");
  expect_error(HEAD "  <xacro:insert_block name=\"nope\"/>\n</robot>\n", NULL, DTW_ENOENT,
               "inline.xacro:2:", "undefined block 'nope'");
  /* unbounded recursion stops at the macro depth limit */
  expect_error(HEAD
               "  <xacro:macro name=\"r\" params=\"n\">\n"
               "    <xacro:r n=\"${n+1}\"/>\n"
               "  </xacro:macro>\n"
               "  <xacro:r n=\"0\"/>\n"
               "</robot>\n",
               NULL, DTW_ERANGE, "inline.xacro:3:", "macro recursion deeper than 100");
  dtw_xacro_opts_t o = {.max_macro_depth = 5};
  expect_error(HEAD
               "  <xacro:macro name=\"r\" params=\"n\">\n"
               "    <x n=\"${n}\"><xacro:r n=\"${n+1}\"/></x>\n"
               "  </xacro:macro>\n"
               "  <xacro:r n=\"0\"/>\n"
               "</robot>\n",
               &o, DTW_ERANGE, "recursion deeper than 5", "called at inline.xacro:5");
  /* recursion with a stop condition works */
  xmlDocPtr doc = expand_ok(HEAD
                            "  <xacro:macro name=\"chain\" params=\"n\">\n"
                            "    <link name=\"l${n}\"/>\n"
                            "    <xacro:if value=\"${n > 0}\"><xacro:chain n=\"${n-1}\"/></xacro:if>\n"
                            "  </xacro:macro>\n"
                            "  <xacro:chain n=\"9\"/>\n"
                            "</robot>\n",
                            NULL);
  assert_int_equal(xp_count(doc, "/robot/link"), 10);
  assert_xp(doc, "/robot/link[10]/@name", "l0");
  xmlFreeDoc(doc);
}

static void test_macro_bomb(void **state) {
  (void)state;
  /* 10^8 links requested: the output limit stops it quickly */
  const char *bomb = HEAD
      "  <xacro:macro name=\"a\" params=\"\"><l/><l/><l/><l/><l/><l/><l/><l/><l/><l/></xacro:macro>\n"
      "  <xacro:macro name=\"b\" params=\"\"><xacro:a/><xacro:a/><xacro:a/><xacro:a/><xacro:a/>"
      "<xacro:a/><xacro:a/><xacro:a/><xacro:a/><xacro:a/></xacro:macro>\n"
      "  <xacro:macro name=\"c\" params=\"\"><xacro:b/><xacro:b/><xacro:b/><xacro:b/><xacro:b/>"
      "<xacro:b/><xacro:b/><xacro:b/><xacro:b/><xacro:b/></xacro:macro>\n"
      "  <xacro:macro name=\"d\" params=\"\"><xacro:c/><xacro:c/><xacro:c/><xacro:c/><xacro:c/>"
      "<xacro:c/><xacro:c/><xacro:c/><xacro:c/><xacro:c/></xacro:macro>\n"
      "  <xacro:macro name=\"e\" params=\"\"><xacro:d/><xacro:d/><xacro:d/><xacro:d/><xacro:d/>"
      "<xacro:d/><xacro:d/><xacro:d/><xacro:d/><xacro:d/></xacro:macro>\n"
      "  <xacro:macro name=\"f\" params=\"\"><xacro:e/><xacro:e/><xacro:e/><xacro:e/><xacro:e/>"
      "<xacro:e/><xacro:e/><xacro:e/><xacro:e/><xacro:e/></xacro:macro>\n"
      "  <xacro:macro name=\"g\" params=\"\"><xacro:f/><xacro:f/><xacro:f/><xacro:f/><xacro:f/>"
      "<xacro:f/><xacro:f/><xacro:f/><xacro:f/><xacro:f/></xacro:macro>\n"
      "  <xacro:g/>\n"
      "</robot>\n";
  dtw_xacro_opts_t o = {.max_nodes = 10000};
  expect_error(bomb, &o, DTW_ERANGE, "inline.xacro:2:", "limit");
  /* the same with no output at all is bounded by the work limit */
  const char *quiet = HEAD
      "  <xacro:macro name=\"a\" params=\"\"/>\n"
      "  <xacro:macro name=\"b\" params=\"\"><xacro:a/><xacro:a/><xacro:a/><xacro:a/><xacro:a/>"
      "<xacro:a/><xacro:a/><xacro:a/><xacro:a/><xacro:a/></xacro:macro>\n"
      "  <xacro:macro name=\"c\" params=\"\"><xacro:b/><xacro:b/><xacro:b/><xacro:b/><xacro:b/>"
      "<xacro:b/><xacro:b/><xacro:b/><xacro:b/><xacro:b/></xacro:macro>\n"
      "  <xacro:macro name=\"d\" params=\"\"><xacro:c/><xacro:c/><xacro:c/><xacro:c/><xacro:c/>"
      "<xacro:c/><xacro:c/><xacro:c/><xacro:c/><xacro:c/></xacro:macro>\n"
      "  <xacro:macro name=\"e\" params=\"\"><xacro:d/><xacro:d/><xacro:d/><xacro:d/><xacro:d/>"
      "<xacro:d/><xacro:d/><xacro:d/><xacro:d/><xacro:d/></xacro:macro>\n"
      "  <xacro:macro name=\"f\" params=\"\"><xacro:e/><xacro:e/><xacro:e/><xacro:e/><xacro:e/>"
      "<xacro:e/><xacro:e/><xacro:e/><xacro:e/><xacro:e/></xacro:macro>\n"
      "  <xacro:f/>\n"
      "</robot>\n";
  expect_error(quiet, &o, DTW_ERANGE, "work limit", NULL);
}

static void test_conditions(void **state) {
  (void)state;
  xmlDocPtr doc = expand_ok(HEAD
                            "  <xacro:property name=\"n\" value=\"3\"/>\n"
                            "  <xacro:if value=\"true\"><a/></xacro:if>\n"
                            "  <xacro:if value=\"False\"><b/></xacro:if>\n"
                            "  <xacro:if value=\"1\"><c/></xacro:if>\n"
                            "  <xacro:unless value=\"0\"><d/></xacro:unless>\n"
                            "  <xacro:if value=\"${n == 3 and not n > 5}\"><e/></xacro:if>\n"
                            "  <xacro:if value=\"${n}\"><f/></xacro:if>\n"
                            "  <xacro:if value=\"1\"><xacro:property name=\"inside\" value=\"7\"/></xacro:if>\n"
                            "  <g v=\"${inside}\"/>\n"
                            "</robot>\n",
                            NULL);
  assert_int_equal(xp_count(doc, "/robot/a"), 1);
  assert_int_equal(xp_count(doc, "/robot/b"), 0);
  assert_int_equal(xp_count(doc, "/robot/c"), 1);
  assert_int_equal(xp_count(doc, "/robot/d"), 1);
  assert_int_equal(xp_count(doc, "/robot/e"), 1);
  assert_int_equal(xp_count(doc, "/robot/f"), 1);
  assert_xp(doc, "/robot/g/@v", "7");
  xmlFreeDoc(doc);
  expect_error(HEAD "\n\n  <xacro:if value=\"maybe\"><a/></xacro:if>\n</robot>\n", NULL,
               DTW_EPARSE, "inline.xacro:4: xacro:if:", "not a boolean");
  expect_error(HEAD "  <xacro:unless value=\"0.5\"><a/></xacro:unless>\n</robot>\n", NULL,
               DTW_EPARSE, "inline.xacro:2: xacro:unless:", NULL);
}

static void test_expression_errors_located(void **state) {
  (void)state;
  expect_error(HEAD "  <link name=\"a\">\n    <mass value=\"${1/0}\"/>\n  </link>\n</robot>\n",
               NULL, DTW_ERANGE, "inline.xacro:3:", "division by zero");
  expect_error(HEAD "\n  <link name=\"${missing_prop}\"/>\n</robot>\n", NULL, DTW_ENOENT,
               "inline.xacro:3:", "name 'missing_prop' is not defined");
  expect_error(HEAD "  <x>text ${1 +}</x>\n</robot>\n", NULL, DTW_EPARSE, "inline.xacro:2:",
               NULL);
  expect_error(HEAD "  <x a=\"${unterminated\"/>\n</robot>\n", NULL, DTW_EPARSE,
               "inline.xacro:2:", "unterminated");
  expect_error(HEAD
               "  <xacro:property name=\"p\" value=\"${q}\"/>\n"
               "  <xacro:property name=\"q\" value=\"${p}\"/>\n"
               "  <x a=\"${p}\"/>\n"
               "</robot>\n",
               NULL, DTW_EPARSE, "inline.xacro:4:", "circular variable definition");
  expect_error(HEAD "  <x a=\"$(arg nope)\"/>\n</robot>\n", NULL, DTW_ENOENT,
               "inline.xacro:2:", "undefined substitution argument 'nope'");
  expect_error(HEAD "  <x a=\"$(find no_such_pkg_xyz)\"/>\n</robot>\n", NULL, DTW_ENOENT,
               "inline.xacro:2:", "package 'no_such_pkg_xyz' not found (searched");
  expect_error(HEAD "  <x a=\"$(anon foo)\"/>\n</robot>\n", NULL, DTW_EUNSUP,
               "inline.xacro:2:", "unknown substitution command 'anon'");
}

static void test_substitutions(void **state) {
  (void)state;
  const char *args[] = {"a=5", "flag=true"};
  dtw_xacro_opts_t o = {.args = args, .n_args = 2};
  setenv("DTW_XACRO_TEST_ENV", "hello", 1);
  xmlDocPtr doc = expand_ok(HEAD
                            "  <xacro:arg name=\"b\" default=\"$(arg a)0\"/>\n"
                            "  <x a=\"$(arg a)\" b=\"$(arg b)\" e=\"$(eval a * 10 + 1)\""
                            " ei=\"$(eval a + 1)\" ef=\"$(eval flag and a == 5)\""
                            " i=\"${$(arg a) * 2}\" s=\"${'$(arg flag)' == 'true'}\""
                            " env=\"$(env DTW_XACRO_TEST_ENV)\" opt=\"$(optenv DTW_NOPE_XYZ fb)\""
                            " dd=\"$$(arg a)\" dl=\"a$b\"/>\n"
                            "</robot>\n",
                            &o);
  assert_xp(doc, "/robot/x/@a", "5");
  assert_xp(doc, "/robot/x/@b", "50");
  assert_xp(doc, "/robot/x/@e", "51");
  /* $(eval) sees args typed as ros/xacro's convert_value('auto') */
  assert_xp(doc, "/robot/x/@ei", "6");
  assert_xp(doc, "/robot/x/@ef", "True");
  assert_xp(doc, "/robot/x/@i", "10");
  assert_xp(doc, "/robot/x/@s", "True");
  assert_xp(doc, "/robot/x/@env", "hello");
  assert_xp(doc, "/robot/x/@opt", "fb");
  assert_xp(doc, "/robot/x/@dd", "$(arg a)");
  assert_xp(doc, "/robot/x/@dl", "a$b");
  xmlFreeDoc(doc);
}

/* What ros/xacro has but the expander refuses: named, with file:line. */
static void test_unsupported(void **state) {
  (void)state;
  expect_error(HEAD "\n  <x v=\"${(lambda q: q)(1)}\"/>\n</robot>\n", NULL, DTW_EUNSUP,
               "inline.xacro:3:", "unsupported Python syntax");
  expect_error(HEAD "  <x v=\"${set([1])}\"/>\n</robot>\n", NULL, DTW_ENOENT,
               "inline.xacro:2:", "name 'set' is not defined");
  expect_error(HEAD "  <x v=\"${f'a'}\"/>\n</robot>\n", NULL, DTW_EUNSUP, "inline.xacro:2:",
               "f-strings");
  expect_error(HEAD "  <x v=\"${math.frexp(1)}\"/>\n</robot>\n", NULL, DTW_EUNSUP,
               "inline.xacro:2:", "math.frexp is not supported");
  expect_error(HEAD "  <x v=\"${[1, 2] | [3]}\"/>\n</robot>\n", NULL, DTW_EUNSUP,
               "inline.xacro:2:", "unsupported Python syntax");
}

static void test_includes(void **state) {
  (void)state;
  char path[512];
  xmlDocPtr doc = NULL;
  data_path(path, sizeof path, "include_missing.xacro");
  assert_int_equal(dtw_xacro_expand_file(path, NULL, &doc, g_err, sizeof g_err), DTW_ENOENT);
  assert_non_null(strstr(g_err, "include_missing.xacro:4:"));
  assert_non_null(strstr(g_err, "does_not_exist.xacro"));

  data_path(path, sizeof path, "cycle_a.xacro");
  assert_int_equal(dtw_xacro_expand_file(path, NULL, &doc, g_err, sizeof g_err), DTW_EPARSE);
  assert_non_null(strstr(g_err, "cycle_b.xacro:5:"));
  assert_non_null(strstr(g_err, "include cycle"));

  /* a parse error in an included file names that file and line */
  data_path(path, sizeof path, "include_bad.xacro");
  assert_int_equal(dtw_xacro_expand_file(path, NULL, &doc, g_err, sizeof g_err), DTW_EPARSE);
  assert_non_null(strstr(g_err, "broken.xacro:5: XML error"));

  /* an error inside a macro body names the included file */
  data_path(path, sizeof path, "include_bad_macro.xacro");
  assert_int_equal(dtw_xacro_expand_file(path, NULL, &doc, g_err, sizeof g_err), DTW_ENOENT);
  assert_non_null(strstr(g_err, "bad_macro.xacro:5:"));
  assert_non_null(strstr(g_err, "undefined_mass"));
  assert_non_null(strstr(g_err, "include_bad_macro.xacro:4"));

  /* $(find) through ROS_PACKAGE_PATH and AMENT_PREFIX_PATH (DIR/share/pkg) */
  char pkgs[512], buf[1024];
  data_path(pkgs, sizeof pkgs, "pkgs");
  setenv("ROS_PACKAGE_PATH", pkgs, 1);
  doc = expand_ok(HEAD "  <x p=\"$(find dtw_test_pkg)\"/>\n</robot>\n", NULL);
  snprintf(buf, sizeof buf, "%s/dtw_test_pkg", pkgs);
  char *real = realpath(buf, NULL);
  assert_non_null(real);
  assert_xp(doc, "/robot/x/@p", real);
  free(real);
  xmlFreeDoc(doc);
  unsetenv("ROS_PACKAGE_PATH");
  data_path(pkgs, sizeof pkgs, "");
  setenv("AMENT_PREFIX_PATH", "/nonexistent:/tmp", 1);
  expect_error(HEAD "  <x p=\"$(find dtw_test_pkg)\"/>\n</robot>\n", NULL, DTW_ENOENT,
               "package 'dtw_test_pkg' not found", "AMENT_PREFIX_PATH '/nonexistent:/tmp'");
  unsetenv("AMENT_PREFIX_PATH");

  /* include depth limit: a file including itself under another name is a cycle, so
   * use a limit of 1 with a legitimate two-level include */
  dtw_xacro_opts_t o;
  opts_with_pkgs(&o, pkgs, sizeof pkgs);
  o.max_include_depth = 1;
  data_path(path, sizeof path, "robot.urdf.xacro");
  assert_int_equal(dtw_xacro_expand_file(path, &o, &doc, g_err, sizeof g_err), DTW_ERANGE);
  assert_non_null(strstr(g_err, "robot.urdf.xacro:13:"));

  assert_int_equal(dtw_xacro_expand_file("/nonexistent/x.xacro", NULL, &doc, g_err,
                                         sizeof g_err),
                   DTW_ENOENT);
  assert_non_null(strstr(g_err, "/nonexistent/x.xacro"));
}

static void test_malformed_xml(void **state) {
  (void)state;
  expect_error(HEAD "  <link name=\"a\">\n  <visual>\n  </link>\n</robot>\n", NULL, DTW_EPARSE,
               "inline.xacro:4: XML error", NULL);
  expect_error("", NULL, DTW_EPARSE, "inline.xacro:", "XML error");
  expect_error("<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
               "]>\n<robot>&xxe;</robot>\n",
               NULL, DTW_EUNSUP, "inline.xacro:3:", "ENTITY");
  expect_error("<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><robot>&b;</robot>",
               NULL, DTW_EUNSUP, "ENTITY", NULL);
  /* deep nesting is refused by the parser, with a line */
  size_t n = 0;
  static char deep[20000];
  n += (size_t)snprintf(deep + n, sizeof deep - n, "<robot>\n");
  for (int i = 0; i < 1000; i++) n += (size_t)snprintf(deep + n, sizeof deep - n, "<a>");
  for (int i = 0; i < 1000; i++) n += (size_t)snprintf(deep + n, sizeof deep - n, "</a>");
  snprintf(deep + n, sizeof deep - n, "</robot>\n");
  xmlDocPtr doc;
  int r = expand_str(deep, NULL, &doc);
  assert_true(r == DTW_EPARSE || r == DTW_ERANGE);
  assert_non_null(strstr(g_err, "inline.xacro:2:"));
}

static void test_namespaces_and_misc(void **state) {
  (void)state;
  /* another prefix bound to the xacro namespace, foreign namespaces kept, comments kept */
  xmlDocPtr doc = expand_ok(
      "<robot xmlns:x=\"http://www.ros.org/wiki/xacro\" xmlns:g=\"urn:gz\">\n"
      "  <!-- kept -->\n"
      "  <plain/>\n"
      "  <!-- dropped: right before a xacro element -->\n"
      "  <x:property name=\"v\" value=\"2\"/>\n"
      "  <g:plugin g:val=\"${v}\" x:drop=\"1\"><![CDATA[raw ${v}]]></g:plugin>\n"
      "</robot>\n",
      NULL);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  assert_non_null(root->nsDef);
  assert_string_equal((const char *)root->nsDef->href, "urn:gz");
  assert_null(root->nsDef->next);
  xmlChar *buf = NULL;
  int len = 0;
  xmlDocDumpMemory(doc, &buf, &len);
  assert_non_null(strstr((char *)buf, "<g:plugin g:val=\"2\"><![CDATA[raw ${v}]]></g:plugin>"));
  assert_non_null(strstr((char *)buf, "<!-- kept -->"));
  assert_null(strstr((char *)buf, "dropped"));
  assert_null(strstr((char *)buf, "drop"));
  xmlFree(buf);
  xmlFreeDoc(doc);
  doc = expand_ok(HEAD "</robot>", NULL);
  assert_int_equal(xp_count(doc, "/robot/*"), 0);
  xmlFreeDoc(doc);
}

/* A macro running in a namespace may redefine the namespace's name: the namespace's
 * table must live on (found by review: it was freed under the running macro). */
static void test_namespace_redefined_while_in_use(void **state) {
  (void)state;
  char path[512], text[1024];
  data_path(path, sizeof path, "ros/main.xacro");
  snprintf(text, sizeof text,
           HEAD "  <xacro:include filename=\"redefine_ns.xacro\" ns=\"N\"/>\n"
                "  <xacro:N.m/>\n  <s n=\"${N}\"/>\n</robot>\n");
  xmlDocPtr doc = NULL;
  int r = dtw_xacro_expand_buffer(text, strlen(text), path, NULL, &doc, g_err, sizeof g_err);
  if (r != 0) fail_msg("%s", g_err);
  assert_xp(doc, "/robot/r/@v", "inner");
  assert_xp(doc, "/robot/s/@n", "gone");
  xmlFreeDoc(doc);
}

/* xacro.load_yaml('relative') resolves as ros/xacro's abs_filename_spec: against the
 * directory of the file being processed (the innermost include), not of the file that
 * defines the macro, and not the working directory. */
static void test_load_yaml_relative_paths(void **state) {
  (void)state;
  char path[512];
  data_path(path, sizeof path, "yaml/top.xacro");
  xmlDocPtr doc = NULL;
  int r = dtw_xacro_expand_file(path, NULL, &doc, g_err, sizeof g_err);
  if (r != 0) fail_msg("%s", g_err);
  assert_xp(doc, "/robot/i/@at", "inc");
  assert_xp(doc, "/robot/w/@at", "top");
  xmlFreeDoc(doc);
}

static void test_eval_public(void **state) {
  (void)state;
  char out[64], err[128];
  assert_int_equal(dtw_xacro_eval("2*pi/4", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "1.5707963267948966");
  assert_int_equal(dtw_xacro_eval("'abcdef'", out, 4, err, sizeof err), DTW_ERANGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_robot),
      cmocka_unit_test(test_args_override),
      cmocka_unit_test(test_plain_urdf_unchanged),
      cmocka_unit_test(test_properties_and_scope),
      cmocka_unit_test(test_macro_params),
      cmocka_unit_test(test_macro_redefined_in_body),
      cmocka_unit_test(test_macro_errors),
      cmocka_unit_test(test_macro_bomb),
      cmocka_unit_test(test_conditions),
      cmocka_unit_test(test_expression_errors_located),
      cmocka_unit_test(test_substitutions),
      cmocka_unit_test(test_unsupported),
      cmocka_unit_test(test_includes),
      cmocka_unit_test(test_malformed_xml),
      cmocka_unit_test(test_namespaces_and_misc),
      cmocka_unit_test(test_namespace_redefined_while_in_use),
      cmocka_unit_test(test_load_yaml_relative_paths),
      cmocka_unit_test(test_eval_public),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
