/* Tests for the Python values of ${...} (src/model/xacro_value.c, xacro_eval.c,
 * xacro_builtins.c, xacro_format.c): containers, comprehensions, methods,
 * formatting, limits; and xacro.load_yaml's typing (xacro_yaml.c), which follows
 * PyYAML's safe_load. Expected results are what Python 3 / ros/xacro print. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "model/model__xacro.h"

static void expect_eval(const char *expr, const char *want) {
  char out[512], err[512] = "";
  int r = dtw_xacro_eval(expr, out, sizeof out, err, sizeof err);
  if (r != 0) fail_msg("'%s' failed: %s", expr, err);
  if (strcmp(out, want) != 0) fail_msg("'%s' gave '%s', want '%s'", expr, out, want);
}

static void expect_fail(const char *expr, int code, const char *needle) {
  char out[512], err[512] = "";
  int r = dtw_xacro_eval(expr, out, sizeof out, err, sizeof err);
  if (r != code) fail_msg("'%s' returned %d (%s), want %d; err='%s'", expr, r, r == 0 ? out : "",
                          code, err);
  if (needle != NULL && strstr(err, needle) == NULL)
    fail_msg("'%s' error '%s' lacks '%s'", expr, err, needle);
}

static void test_containers(void **state) {
  (void)state;
  expect_eval("[1, 'a', 2.5, None, True]", "[1, 'a', 2.5, None, True]");
  expect_eval("(1,)", "(1,)");
  expect_eval("()", "()");
  expect_eval("1, 2", "(1, 2)");
  expect_eval("{'b': 1, 'a': [2]}", "{'b': 1, 'a': [2]}");
  expect_eval("[1, 2] + [3]", "[1, 2, 3]");
  expect_eval("[0] * 3", "[0, 0, 0]");
  expect_eval("[1, 2] == [1, 2.0]", "True");
  expect_eval("[1, 2] < [1, 3]", "True");
  expect_eval("(1, 2) == [1, 2]", "False");
  expect_eval("{'a': 1} == {'a': 1.0}", "True");
  expect_eval("[10, 20, 30][-1]", "30");
  expect_eval("[10, 20, 30][1:]", "[20, 30]");
  expect_eval("[10, 20, 30][::-1]", "[30, 20, 10]");
  expect_eval("'hello'[1:4]", "ell");
  expect_eval("'hello'[-1]", "o");
  expect_eval("'h\xc3\xa9llo'[1]", "\xc3\xa9"); /* code points, not bytes */
  expect_eval("len('h\xc3\xa9llo')", "5");
  expect_eval("{'a': [1, {'b': 2}]}['a'][1]['b']", "2");
  expect_eval("2 in [1, 2]", "True");
  expect_eval("'k' not in {'k': 1}", "False");
  expect_eval("'ell' in 'hello'", "True");
  expect_eval("None is None", "True");
  expect_eval("1 is not None", "True");
  expect_eval("[] or 'empty'", "empty");
  expect_eval("repr('it\\'s')", "\"it's\"");
  expect_eval("str(['a\\nb'])", "['a\\nb']");
  expect_fail("[1][5]", DTW_ERANGE, "list index 5 out of range");
  expect_fail("{'a': 1}['b']", DTW_ENOENT, "KeyError: 'b'");
  expect_fail("[1] + (2,)", DTW_EPARSE, "unsupported operand types for +: 'list' and 'tuple'");
  expect_fail("[1]['a']", DTW_EPARSE, "list indices must be integers");
  expect_fail("1[0]", DTW_EPARSE, "not subscriptable");
  expect_fail("{}.x", DTW_EPARSE, "'dict' object has no attribute 'x'");
}

static void test_comprehensions_and_builtins(void **state) {
  (void)state;
  expect_eval("[x * x for x in range(4)]", "[0, 1, 4, 9]");
  expect_eval("[x for x in range(10) if x % 3 == 0 if x]", "[3, 6, 9]");
  expect_eval("[(i, c) for i, c in enumerate('ab')]", "[(0, 'a'), (1, 'b')]");
  expect_eval("[a + b for a in 'xy' for b in '12']", "['x1', 'x2', 'y1', 'y2']");
  expect_eval("[k for k in {'a': 1, 'b': 2}]", "['a', 'b']");
  expect_eval("[v for k, v in {'a': 1, 'b': 2}.items()]", "[1, 2]");
  expect_eval("sum(x for x in [1, 2, 3])", "6");
  expect_eval("list(map(float, ['1', '2.5']))", "[1.0, 2.5]");
  expect_eval("sorted([3, 1, 2], reverse=True)", "[3, 2, 1]");
  expect_eval("sorted(['b', 'a'])", "['a', 'b']");
  expect_eval("min([4, 2, 8])", "2");
  expect_eval("max('a', 'c', 'b')", "c");
  expect_eval("list(range(5, 0, -2))", "[5, 3, 1]");
  expect_eval("list(zip([1, 2], 'ab'))", "[(1, 'a'), (2, 'b')]");
  expect_eval("tuple(reversed([1, 2]))", "(2, 1)");
  expect_eval("any([0, '', 3]), all([1, []])", "(True, False)");
  expect_eval("dict([('a', 1)], b=2)", "{'a': 1, 'b': 2}");
  expect_eval("bool([]), bool('x'), int('ff', 16), int(' 7 '), float('1e3')",
              "(False, True, 255, 7, 1000.0)");
  expect_eval("divmod(7, -2)", "(-4, -1)");
  expect_eval("python.len([1]), math.floor(-0.5), math.pow(2, 3)", "(1, -1, 8.0)");
  expect_eval("round(2.5), round(0.125, 2), round(15, -1)", "(2, 0.12, 20)");
  expect_eval("xacro.tokenize('a, b;;c')", "['a', 'b', 'c']");
  expect_eval("xacro.dotify({'k': 3}).k", "3");
  expect_eval("hypot(3, 4), isclose(0.1 + 0.2, 0.3), copysign(1, -0.0)", "(5.0, True, -1.0)");
  expect_fail("[x for x in 5]", DTW_EPARSE, "'int' object is not iterable");
  expect_fail("[y for x in [1]]", DTW_ENOENT, "name 'y' is not defined");
  expect_fail("min([])", DTW_EPARSE, "empty sequence");
  expect_fail("len(5)", DTW_EPARSE, "has no len()");
  expect_fail("sorted([1, 'a'])", DTW_EPARSE, "not supported between");
  expect_fail("xacro.load_yaml('x.yaml')", DTW_EUNSUP, "not available here");
  expect_fail("(lambda: 1)()", DTW_EUNSUP, "unsupported Python syntax");
}

static void test_string_methods_and_formatting(void **state) {
  (void)state;
  expect_eval("'AbC'.lower() + 'x'.upper()", "abcX");
  expect_eval("'  a b  '.strip() + '|' + 'xxaxx'.strip('x')", "a b|a");
  expect_eval("'a,b,,c'.split(',')", "['a', 'b', '', 'c']");
  expect_eval("' a  b '.split()", "['a', 'b']");
  expect_eval("'a b c'.split(' ', 1)", "['a', 'b c']");
  expect_eval("'-'.join(['a', 'b'])", "a-b");
  expect_eval("'aaa'.replace('a', 'bb', 2)", "bbbba");
  expect_eval("'link_1'.startswith(('base', 'link'))", "True");
  expect_eval("'file.stl'.endswith('.dae')", "False");
  expect_eval("'hello'.find('l'), 'hello'.rfind('l'), 'hello'.count('l')", "(2, 3, 2)");
  expect_eval("'ab cd'.title(), 'aB'.capitalize(), '42'.zfill(5)", "('Ab Cd', 'Ab', '00042')");
  expect_eval("'12'.isdigit(), 'a1'.isalpha()", "(True, False)");
  expect_eval("[1, 2, 1].count(1), [1, 2].index(2)", "(2, 1)");
  expect_eval("{'a': 1}.get('b', 5), {'a': 1}.get('a')", "(5, 1)");
  expect_eval("list({'a': 1}.keys()) + list({'a': 1}.values())", "['a', 1]");
  expect_eval("'%s-%d-%.2f-%5s|%-3s|%x' % ('a', 7.9, 3.14159, 'r', 'l', 255)",
              "a-7-3.14-    r|l  |ff");
  expect_eval("'%r %%' % 'q'", "'q' %");
  expect_eval("'v=%s' % [1]", "v=[1]");
  expect_fail("'%s %s' % ('a',)", DTW_EPARSE, "not enough arguments");
  expect_fail("'%s' % ('a', 'b')", DTW_EPARSE, "not all arguments converted");
  expect_fail("'%d' % 'x'", DTW_EPARSE, "a real number is required");
  expect_fail("'a'.nosuch()", DTW_EPARSE, "'str' object has no attribute 'nosuch'");
}

/* str.format needs its braces outside ${}, so exercise it through a property */
static void test_format_method(void **state) {
  (void)state;
  const char *doc = "<r xmlns:xacro=\"http://www.ros.org/wiki/xacro\">"
                    "<xacro:property name=\"f\" value=\"{} {1} {n} {0:>4} {2:.3f} {2:08.2f} {0!r} {{}}\"/>"
                    "<x v=\"${f.format('a', 'b', 3.14159, n='N')}\"/>"
                    "<xacro:property name=\"g\" value=\"{:+d} {:x} {:#b} {:.1%} {:^5}|{:e}\"/>"
                    "<y v=\"${g.format(5, 255, 5, 0.256, 'c', 12345.678)}\"/></r>";
  char err[512];
  xmlDocPtr d = NULL;
  int r = dtw_xacro_expand_buffer(doc, strlen(doc), "f.xacro", NULL, &d, err, sizeof err);
  if (r != 0) fail_msg("%s", err);
  xmlNodePtr x = xmlDocGetRootElement(d)->children;
  xmlChar *v = xmlGetProp(x, (const xmlChar *)"v");
  assert_string_equal((char *)v, "a b N    a 3.142 00003.14 'a' {}");
  xmlFree(v);
  v = xmlGetProp(x->next, (const xmlChar *)"v");
  assert_string_equal((char *)v, "+5 ff 0b101 25.6%   c  |1.234568e+04");
  xmlFree(v);
  xmlFreeDoc(d);
}

static void test_limits(void **state) {
  (void)state;
  expect_fail("[0] * 2000000", DTW_ERANGE, "list longer than");
  expect_fail("'ab' * 1000000", DTW_ERANGE, "longer than");
  /* value nesting is bounded: a list nested 200 deep cannot be built */
  char buf[1200];
  size_t n = 0;
  for (int i = 0; i < 120; i++) buf[n++] = '[';
  buf[n++] = '1';
  for (int i = 0; i < 120; i++) buf[n++] = ']';
  buf[n] = '\0';
  expect_fail(buf, DTW_ERANGE, NULL);
  /* long operator chains are bounded before evaluation recurses */
  static char chain[40000];
  n = 0;
  for (int i = 0; i < 5000; i++) n += (size_t)snprintf(chain + n, sizeof chain - n, "1+");
  snprintf(chain + n, sizeof chain - n, "1");
  expect_fail(chain, DTW_ERANGE, "nested too deeply");
  /* the work budget stops runaway comprehensions */
  long budget = 100000;
  dtw__xexpr_ctx_t ctx = {.budget = &budget};
  dtw__xval_t v;
  char err[256];
  const char *ex = "[a for a in range(1000) for b in range(1000)]";
  assert_int_equal(dtw__xexpr_eval(ex, strlen(ex), &ctx, &v, err, sizeof err), DTW_ERANGE);
  assert_non_null(strstr(err, "work limit"));
}

/* ---- load_yaml ------------------------------------------------------------------------- */

static char g_tmp[256];

static void write_tmp(const char *text) {
  snprintf(g_tmp, sizeof g_tmp, "/tmp/dtw_xacro_yaml_%d.yaml", (int)getpid());
  FILE *f = fopen(g_tmp, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void expect_yaml(const char *text, const char *want) {
  char err[512] = "";
  dtw__xval_t v;
  char *s = NULL;
  write_tmp(text);
  int r = dtw__xyaml_load(g_tmp, NULL, &v, err, sizeof err);
  unlink(g_tmp);
  if (r != 0) fail_msg("load failed: %s\n%s", err, text);
  assert_int_equal(dtw__xval_repr(&v, &s, NULL), 0);
  if (strcmp(s, want) != 0) fail_msg("yaml\n%s\ngave %s\nwant %s", text, s, want);
  free(s);
  dtw__xval_fini(&v);
}

static void expect_yaml_fails(const char *text, int code, const char *needle) {
  char err[512] = "";
  dtw__xval_t v;
  write_tmp(text);
  int r = dtw__xyaml_load(g_tmp, NULL, &v, err, sizeof err);
  unlink(g_tmp);
  if (r != code) fail_msg("returned %d (%s), want %d", r, err, code);
  if (strstr(err, needle) == NULL) fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_yaml_typing(void **state) {
  (void)state;
  /* YAML 1.1 as PyYAML's safe_load reads it */
  expect_yaml("[1, -2, +3, 0x1f, 0b11, 017, 1_000, '5', 1:30]", "[1, -2, 3, 31, 3, 15, 1000, '5', 90]");
  expect_yaml("[1.5, -0.5, .5, 1., 1.0e+3, 1e3, 1.0e3, -.5, .inf, -.inf, 6.8523015e+5]",
              "[1.5, -0.5, 0.5, 1.0, 1000.0, '1e3', '1.0e3', '-.5', inf, -inf, 685230.15]");
  expect_yaml("[yes, No, on, OFF, true, False, y, n]",
              "[True, False, True, False, True, False, 'y', 'n']");
  expect_yaml("- ~\n- null\n- Null\n-\n- 'null'\n", "[None, None, None, None, 'null']");
  expect_yaml("a: !degrees 180\nb: !radians pi/2\nc: !degrees -360.0\n",
              "{'a': 3.141592653589793, 'b': 1.5707963267948966, 'c': -6.283185307179586}");
  expect_yaml("[!!str 1, !!float 2, !!int '3', ! 4]", "['1', 2.0, 3, '4']");
  /* anchors share, merge keys merge (own keys win), repeated keys: the last wins */
  expect_yaml("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\nlist: [*b, *b]\n",
              "{'base': {'x': 1, 'y': 2}, 'use': {'x': 1, 'y': 3}, 'list': [{'x': 1, 'y': 2}, "
              "{'x': 1, 'y': 2}]}");
  expect_yaml("k: 1\nk: 2\n", "{'k': 2}");
  expect_yaml("", "None");
  expect_yaml("1: a\n2.5: b\n", "{1: 'a', 2.5: 'b'}");
  expect_yaml_fails("a: !python/object x\n", DTW_EUNSUP, ":1:4: could not determine a constructor");
  expect_yaml_fails("a: !degrees os.system('x')\n", DTW_ENOENT, "name 'os' is not defined");
  expect_yaml_fails("a: !radians __import__('os')\n", DTW_EUNSUP, "invalid name");
  expect_yaml_fails("a: [1\n", DTW_EPARSE, ":2:");
  expect_yaml_fails("a: 99999999999999999999\n", DTW_ERANGE, "64-bit");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_containers),
      cmocka_unit_test(test_comprehensions_and_builtins),
      cmocka_unit_test(test_string_methods_and_formatting),
      cmocka_unit_test(test_format_method),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_yaml_typing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
