/* Tests for the ${...} expression evaluator (src/model/xacro_expr.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "model/model__xacro.h"

static void expect_eval(const char *expr, const char *want) {
  char out[256], err[256] = "";
  int r = dtw_xacro_eval(expr, out, sizeof out, err, sizeof err);
  if (r != 0) fail_msg("'%s' failed: %s", expr, err);
  if (strcmp(out, want) != 0) fail_msg("'%s' gave '%s', want '%s'", expr, out, want);
}

static void expect_fail(const char *expr, int code, const char *needle) {
  char out[256], err[256] = "";
  int r = dtw_xacro_eval(expr, out, sizeof out, err, sizeof err);
  if (r != code) fail_msg("'%s' returned %d (%s), want %d; err='%s'", expr, r, r == 0 ? out : "",
                          code, err);
  if (needle != NULL && strstr(err, needle) == NULL)
    fail_msg("'%s' error '%s' lacks '%s'", expr, err, needle);
}

static void test_numbers_and_format(void **state) {
  (void)state;
  expect_eval("3", "3");
  expect_eval("0.5", "0.5");
  expect_eval("1.50", "1.5");
  expect_eval("2.0", "2.0");
  expect_eval("1e-5", "1e-05");
  expect_eval("1e16", "1e+16");
  expect_eval("1e15", "1000000000000000.0");
  expect_eval("0.0001", "0.0001");
  expect_eval("0.1+0.2", "0.30000000000000004");
  expect_eval("pi/2", "1.5707963267948966");
  expect_eval("pi", "3.141592653589793");
  expect_eval("e", "2.718281828459045");
  expect_eval("-0.0", "-0.0");
  expect_eval("1.5e300*1e8", "1.5e+308");
  expect_eval("inf", "inf");
  expect_eval("-inf", "-inf");
  expect_eval(".5", "0.5");
  expect_eval("123456789012", "123456789012");
}

static void test_arithmetic(void **state) {
  (void)state;
  expect_eval("1+2*3", "7");
  expect_eval("(1+2)*3", "9");
  expect_eval("7/2", "3.5");
  expect_eval("6/2", "3.0");
  expect_eval("7//2", "3");
  expect_eval("-7//2", "-4");
  expect_eval("7.0//2", "3.0");
  expect_eval("-7.5//2", "-4.0");
  expect_eval("7%3", "1");
  expect_eval("-7%3", "2");
  expect_eval("7%-3", "-2");
  expect_eval("5.5%2", "1.5");
  expect_eval("2**10", "1024");
  expect_eval("2**-1", "0.5");
  expect_eval("-2**2", "-4");
  expect_eval("2**3**2", "512");
  expect_eval("2.0**3", "8.0");
  expect_eval("--3", "3");
  expect_eval("+3", "3");
  expect_eval("1 - 2 - 3", "-4");
  expect_eval("2 * 3 / 4", "1.5");
  expect_eval("True + 1", "2");
  expect_eval("0.1*3", "0.30000000000000004");
}

static void test_logic_and_compare(void **state) {
  (void)state;
  expect_eval("1 < 2", "True");
  expect_eval("2 <= 1", "False");
  expect_eval("1 == 1.0", "True");
  expect_eval("1 != 2", "True");
  expect_eval("1 < 2 < 3", "True");
  expect_eval("3 > 2 > 2", "False");
  expect_eval("'a' == 'a'", "True");
  expect_eval("'a' < 'b'", "True");
  expect_eval("'1' == 1", "False");
  expect_eval("not True", "False");
  expect_eval("not 0", "True");
  expect_eval("True and False", "False");
  expect_eval("1 and 2", "2");
  expect_eval("0 or 'x'", "x");
  expect_eval("1 or 1/0", "1");
  expect_eval("0 and 1/0", "0");
  expect_eval("not 1 == 2", "True");
  expect_eval("1 if True else 2", "1");
  expect_eval("1 if 0 else 2", "2");
  expect_eval("1/0 if False else 3", "3");
  expect_eval("'a' if 1 > 2 else 'b' if 2 > 1 else 'c'", "b");
  expect_eval("True", "True");
  expect_eval("False or False", "False");
}

static void test_strings(void **state) {
  (void)state;
  expect_eval("'abc'", "abc");
  expect_eval("\"abc\"", "abc");
  expect_eval("'a' + 'b' + \"c\"", "abc");
  expect_eval("'ab' * 3", "ababab");
  expect_eval("'it\\'s'", "it's");
  expect_eval("'x' 'y'", "xy");
  expect_eval("str(1.5) + 'm'", "1.5m");
  expect_eval("str(2) + str(True)", "2True");
}

static void test_functions(void **state) {
  (void)state;
  expect_eval("sin(0)", "0.0");
  expect_eval("cos(0)", "1.0");
  expect_eval("sqrt(16)", "4.0");
  expect_eval("atan2(1, 1)", "0.7853981633974483");
  expect_eval("radians(180)", "3.141592653589793");
  expect_eval("degrees(pi)", "180.0");
  expect_eval("abs(-3)", "3");
  expect_eval("abs(-3.5)", "3.5");
  expect_eval("fabs(-3)", "3.0");
  expect_eval("min(3, 1, 2)", "1");
  expect_eval("max(1, 2.5)", "2.5");
  expect_eval("floor(2.7)", "2");
  expect_eval("ceil(2.1)", "3");
  expect_eval("floor(-2.5)", "-3");
  expect_eval("round(2.5)", "2");
  expect_eval("round(3.5)", "4");
  expect_eval("round(2.675, 2)", "2.67");
  expect_eval("round(1.25, 1)", "1.2");
  expect_eval("pow(2, 3)", "8.0"); /* bare pow is math.pow in xacro */
  expect_eval("exp(0)", "1.0");
  expect_eval("log(e)", "1.0");
  expect_eval("log(8, 2)", "3.0");
  expect_eval("log10(1000)", "3.0");
  expect_eval("math.pi", "3.141592653589793");
  expect_eval("math.cos(math.pi)", "-1.0");
  expect_eval("int(2.9)", "2");
  expect_eval("int('42')", "42");
  expect_eval("float('1.5')", "1.5");
  expect_eval("float(2)", "2.0");
  expect_eval("asin(1)", "1.5707963267948966");
  expect_eval("tan(0)", "0.0");
}

static void test_errors(void **state) {
  (void)state;
  expect_fail("1/0", DTW_ERANGE, "division by zero");
  expect_fail("1//0", DTW_ERANGE, "division by zero");
  expect_fail("1%0", DTW_ERANGE, "division by zero");
  expect_fail("1.0/0.0", DTW_ERANGE, "division by zero");
  expect_fail("foo", DTW_ENOENT, "name 'foo' is not defined");
  expect_fail("1 +", DTW_EPARSE, "end of expression");
  expect_fail("(1", DTW_EPARSE, "expected ')'");
  expect_fail("", DTW_EPARSE, "empty");
  expect_fail("'abc", DTW_EPARSE, "unterminated string");
  expect_fail("'a' + 1", DTW_EPARSE, "unsupported operand types for +: 'str' and 'int'");
  expect_fail("-'a'", DTW_EPARSE, "unary -");
  expect_fail("sqrt(-1)", DTW_ERANGE, "math domain error");
  expect_fail("log(0)", DTW_ERANGE, "math domain error");
  expect_fail("acos(2)", DTW_ERANGE, "math domain error");
  expect_fail("{1, 2}", DTW_EUNSUP, "sets");
  expect_fail("a.b", DTW_ENOENT, "name 'a' is not defined");
  expect_fail("1 in 2", DTW_EPARSE, "not iterable");
  expect_fail("lambda: 1", DTW_EUNSUP, NULL);
  expect_fail("f'x'", DTW_EUNSUP, "f-strings");
  expect_fail("(1).__class__", DTW_EUNSUP, "invalid name");
  expect_fail("__import__('os')", DTW_EUNSUP, "invalid name");
  expect_fail("2**64", DTW_ERANGE, "overflow");
  expect_fail("9223372036854775807 + 1", DTW_ERANGE, "overflow");
  expect_fail("99999999999999999999", DTW_ERANGE, "too large");
  expect_fail("1e308*10", DTW_ERANGE, "out of range");
  expect_fail("(-8)**0.5", DTW_EUNSUP, "complex");
  expect_fail("sin(1, 2)", DTW_EPARSE, "takes 1 argument");
  expect_fail("min(1)", DTW_EPARSE, "not iterable");
  expect_fail("1 if 2", DTW_EPARSE, "expected 'else'");
  expect_fail("1 2", DTW_EPARSE, "unexpected text");
  expect_fail("'a' < 1", DTW_EPARSE, "'<' not supported between instances of 'str' and 'int'");
  expect_fail("'x' * 2000000", DTW_ERANGE, "longer than");
  expect_fail("01", DTW_EPARSE, "invalid number");
  expect_fail("1abc", DTW_EPARSE, "invalid number");
  expect_fail("int('x')", DTW_EPARSE, "invalid literal");
  expect_fail("int(inf)", DTW_ERANGE, "inf");
  expect_eval("sin", "<built-in function sin>");
}

static void test_nesting_limit(void **state) {
  (void)state;
  char buf[1200];
  size_t n = 0;
  for (int i = 0; i < 500; i++) buf[n++] = '(';
  buf[n++] = '1';
  for (int i = 0; i < 500; i++) buf[n++] = ')';
  buf[n] = '\0';
  expect_fail(buf, DTW_ERANGE, "nested too deeply");
  n = 0;
  for (int i = 0; i < 500; i++) buf[n++] = '-';
  buf[n++] = '1';
  buf[n] = '\0';
  expect_fail(buf, DTW_ERANGE, "nested too deeply");
  /* moderate nesting is fine */
  expect_eval("((((((((((1))))))))))", "1");
}

static void test_literal_and_condition(void **state) {
  (void)state;
  dtw__xval_t v;
  int b = -1;
  assert_int_equal(dtw__xval_literal("42", 2, &v), 0);
  assert_int_equal(v.kind, DTW__XV_INT);
  assert_int_equal(v.i, 42);
  assert_int_equal(dtw__xval_literal(" 1.5 ", 5, &v), 0);
  assert_int_equal(v.kind, DTW__XV_FLOAT);
  assert_true(v.f == 1.5);
  assert_int_equal(dtw__xval_literal("True", 4, &v), 0);
  assert_int_equal(v.kind, DTW__XV_BOOL);
  assert_int_equal(v.i, 1);
  assert_int_equal(dtw__xval_literal("'quoted'", 8, &v), 0);
  assert_int_equal(v.kind, DTW__XV_STR);
  assert_string_equal(v.s, "quoted");
  dtw__xval_fini(&v);
  assert_int_equal(dtw__xval_literal("0x10", 4, &v), 0);
  assert_int_equal(v.kind, DTW__XV_STR);
  dtw__xval_fini(&v);
  assert_int_equal(dtw__xval_literal("1 2 3", 5, &v), 0);
  assert_int_equal(v.kind, DTW__XV_STR);
  assert_int_equal(dtw__xval_condition(&v, &b), DTW_EPARSE);
  dtw__xval_fini(&v);

  dtw__xval_set_str(&v, "true", 4);
  assert_int_equal(dtw__xval_condition(&v, &b), 0);
  assert_int_equal(b, 1);
  dtw__xval_fini(&v);
  dtw__xval_set_str(&v, "0", 1);
  assert_int_equal(dtw__xval_condition(&v, &b), 0);
  assert_int_equal(b, 0);
  dtw__xval_fini(&v);
  dtw__xval_set_str(&v, "yes", 3);
  assert_int_equal(dtw__xval_condition(&v, &b), DTW_EPARSE);
  dtw__xval_fini(&v);
}

/* Property lookup through the callback: locals shadow builtins like Python. */
static int lookup(void *user, const char *name, dtw__xval_t *out, char *err, size_t errlen) {
  (void)user;
  (void)err;
  (void)errlen;
  if (strcmp(name, "width") == 0) {
    memset(out, 0, sizeof *out);
    out->kind = DTW__XV_FLOAT;
    out->f = 0.25;
    return 0;
  }
  if (strcmp(name, "e") == 0) return dtw__xval_set_str(out, "shadow", 6);
  return DTW__XNOTFOUND;
}

static void test_lookup_and_budget(void **state) {
  (void)state;
  long budget = 1000;
  dtw__xexpr_ctx_t ctx = {.lookup = lookup, .user = NULL, .budget = &budget};
  dtw__xval_t v;
  char err[128];
  const char *ex = "width * 2 + 1";
  assert_int_equal(dtw__xexpr_eval(ex, strlen(ex), &ctx, &v, err, sizeof err), 0);
  assert_int_equal(v.kind, DTW__XV_FLOAT);
  assert_true(v.f == 1.5);
  ex = "e + '!'";
  assert_int_equal(dtw__xexpr_eval(ex, strlen(ex), &ctx, &v, err, sizeof err), 0);
  assert_string_equal(v.s, "shadow!");
  dtw__xval_fini(&v);
  assert_true(budget < 1000);
  budget = 2;
  ex = "1+1+1+1+1+1+1";
  assert_int_equal(dtw__xexpr_eval(ex, strlen(ex), &ctx, &v, err, sizeof err), DTW_ERANGE);
  assert_non_null(strstr(err, "work limit"));
}

static void test_float_format_roundtrip(void **state) {
  (void)state;
  const double samples[] = {0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-300, 5e-324, 1.7976931348623157e308,
                            123.456, 1e22, 9007199254740993.0, 0.000123};
  const char *want[] = {"0.1",    "0.3333333333333333", "0.6666666666666666", "1e-300",
                        "5e-324", "1.7976931348623157e+308", "123.456", "1e+22",
                        "9007199254740992.0", "0.000123"};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    char buf[64];
    dtw__xval_format_float(samples[i], buf, sizeof buf);
    assert_string_equal(buf, want[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_numbers_and_format),  cmocka_unit_test(test_arithmetic),
      cmocka_unit_test(test_logic_and_compare),   cmocka_unit_test(test_strings),
      cmocka_unit_test(test_functions),           cmocka_unit_test(test_errors),
      cmocka_unit_test(test_nesting_limit),       cmocka_unit_test(test_literal_and_condition),
      cmocka_unit_test(test_lookup_and_budget),   cmocka_unit_test(test_float_format_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
