/* ros/xacro's test suite (test/test_xacro.py, ROS 2 branch) ported to the native
 * expander, part 1: TestXacroFunctions and TestXacro up to the recursive property
 * cases. Each test is named after the Python test it follows; documents and
 * expected results state the same behaviour in our own fixtures
 * (tests/data/xacro/ros/). Part 2 is test_xacro_ros2.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit/xacro_test_util.h"

/* ---- TestXacroFunctions ---------------------------------------------------------------- */

static void test_is_valid_name(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"_valid_name_123\" value=\"1\"/>${_valid_name_123}</a>", "<a>1</a>");
  const char *bad[] = {"pass", "foo ", " foo", "1234", "1234abc", "", "   ", "foo bar",
                       "no-dashed-names-for-you", "invalid.too"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    char src[256];
    snprintf(src, sizeof src, NS "<xacro:property name=\"%s\" value=\"1\"/></a>", bad[k]);
    check_fails(src, "valid python identifiers");
  }
}

/* resolve_macro: plain names, then ns1.ns2.name through include namespaces */
static void test_resolve_macro(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"simple\"><s/></xacro:macro>"
           "<xacro:include filename=\"A.xacro\" ns=\"ns1\"/><xacro:simple/><xacro:ns1.B.set/>"
           "<r p=\"${prop}\"/></a>",
        "<a><A prop=\"B\"/><s/><r p=\"macro\"/></a>");
  check_fails(NS "<xacro:ns1.simple/></a>", "unknown macro name: xacro:ns1.simple");
}

/* parse_macro_arg: every combination of forward, default and following text */
static void test_parse_macro_arg(void **state) {
  (void)state;
  const char *forwards[] = {"", "^", "^|"};
  const char *defaults[] = {"",
                            "'single quoted'",
                            "\"double quoted\"",
                            "${2 * (prop_with_spaces + 1)}",
                            "$(arg substitution)",
                            "anything~w/o~space-'space allowed in quotes'(\"as here too\")",
                            "unquoted"};
  /* what the macro sees for foo when the default is used */
  const char *values[] = {"", "single quoted", "\"double quoted\"", "6", "sub",
                          "anything~w/o~space-'space allowed in quotes'(\"as here too\")",
                          "unquoted"};
  const char *rests[] = {"", " ", " bar", " bar=42"};
  const char *args[] = {"substitution:=sub"};
  for (int f = 0; f < 3; f++) {
    for (int d = 0; d < 7; d++) {
      if (f == 1 && d > 0) continue; /* a default goes after ^| only */
      for (int sep = 0; sep < 2; sep++) {
        if (f == 0 && d == 0 && sep > 0) continue;
        for (int r = 0; r < 4; r++) {
          char params[256], src[1024], want[512];
          snprintf(params, sizeof params, "foo%s%s%s%s", f == 0 && d == 0 ? "" : sep ? ":=" : "=",
                   forwards[f], defaults[d], rests[r]);
          int has_bar = r >= 2;
          char eparams[512];
          size_t eo = 0;
          for (const char *q = params; *q && eo < sizeof eparams - 7; q++) {
            if (*q == '"') eo += (size_t)snprintf(eparams + eo, sizeof eparams - eo, "&quot;");
            else eparams[eo++] = *q;
          }
          eparams[eo] = '\0';
          /* with ^ a property foo=outer is forwarded, else the default applies */
          snprintf(src, sizeof src,
                   NS "<xacro:property name=\"prop_with_spaces\" value=\"2\"/>%s"
                      "<xacro:macro name=\"m\" params=\"%s\"><v foo=\"${foo}\"%s/></xacro:macro>"
                      "<xacro:m%s/></a>",
                   f > 0 ? "<xacro:property name=\"foo\" value=\"outer\"/>" : "", eparams,
                   has_bar ? " bar=\"${bar}\"" : "",
                   d == 0 && f == 0 ? " foo=\"given\"" : "");
          const char *expect_foo = f > 0 ? "outer" : d == 0 ? "given" : values[d];
          char esc[256];
          size_t o = 0;
          for (const char *p = expect_foo; *p && o < sizeof esc - 7; p++) {
            if (*p == '"') o += (size_t)snprintf(esc + o, sizeof esc - o, "&quot;");
            else esc[o++] = *p;
          }
          esc[o] = '\0';
          snprintf(want, sizeof want, "<a><v foo=\"%s\"%s/></a>", esc,
                   has_bar ? (r == 3 ? " bar=\"42\"" : "") : "");
          if (has_bar && r == 2) {
            /* "bar" without a default must be given */
            check_fails_args(src, args, 1, "missing parameter 'bar'");
            continue;
          }
          check_args(src, args, 1, want);
        }
      }
    }
  }
}

static void test_parse_macro_whitespace(void **state) {
  (void)state;
  const char *ws[] = {"  ", " \t ", " \n "};
  for (int k = 0; k < 3; k++) {
    char src[512];
    snprintf(src, sizeof src,
             NS "<xacro:macro name=\"m\" params=\"%sfoo%sbar=42%s\"><v foo=\"${foo}\" "
                "bar=\"${bar}\"/></xacro:macro><xacro:m foo=\"1\"/></a>",
             ws[k], ws[k], ws[k]);
    check(src, "<a><v foo=\"1\" bar=\"42\"/></a>");
  }
}

static void test_tokenize(void **state) {
  (void)state;
  const char *seps[] = {" ", ",", ";", ", "};
  for (int k = 0; k < 4; k++) {
    char src[256];
    snprintf(src, sizeof src, NS "${xacro.tokenize('ab%scd%sef')}</a>", seps[k], seps[k]);
    check(src, "<a>['ab', 'cd', 'ef']</a>");
  }
}

static void test_tokenize_keep_empty(void **state) {
  (void)state;
  check(NS "${len(xacro.tokenize('ab   cd ef', sep=' ', skip_empty=False))}</a>", "<a>5</a>");
  check(NS "${' '.join(xacro.tokenize('ab   cd ef', ' ', False))}</a>", "<a>ab   cd ef</a>");
}

/* ---- TestXacro ------------------------------------------------------------------------- */

static void test_invalid_property_name(void **state) {
  (void)state;
  check_fails(NS "<xacro:property name=\"invalid.name\"/></a>", "valid python identifiers");
}

static void test_double_underscore_property_name_raises(void **state) {
  (void)state;
  check_fails(NS "<xacro:property name=\"__hidden\"/></a>",
              "property names must not start with double underscore: '__hidden'");
}

static void test_dynamic_macro_names(void **state) {
  (void)state;
  const char *src = NS "<xacro:macro name=\"foo\"><a>foo</a></xacro:macro>"
                       "<xacro:macro name=\"bar\"><b>bar</b></xacro:macro>"
                       "<xacro:property name=\"var\" value=\"%s\"/><xacro:call macro=\"${var}\"/></a>";
  char buf[512];
  snprintf(buf, sizeof buf, src, "foo");
  check(buf, "<a><a>foo</a></a>");
  snprintf(buf, sizeof buf, src, "bar");
  check(buf, "<a><b>bar</b></a>");
}

static void test_dynamic_macro_name_clash(void **state) {
  (void)state;
  check_fails(NS "<xacro:macro name=\"foo\"><a name=\"foo\"/></xacro:macro>"
                 "<xacro:macro name=\"call\"><a name=\"bar\"/></xacro:macro>"
                 "<xacro:call macro=\"foo\"/></a>",
              "invalid use of macro name 'call'");
}

static void test_dynamic_macro_undefined(void **state) {
  (void)state;
  check_fails(NS "<xacro:call macro=\"foo\"/></a>", "unknown macro name: xacro:foo");
}

static void test_macro_undefined(void **state) {
  (void)state;
  check_fails(NS "<xacro:undefined><foo/><bar/></xacro:undefined></a>",
              "unknown macro name: xacro:undefined");
}

static void test_xacro_element(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"name\"><xacro:element xacro:name=\"${name}\"/>"
           "</xacro:macro><xacro:foo name=\"A\"/><xacro:foo name=\"B\"/></a>",
        "<a><A/><B/></a>");
}

static void test_xacro_attribute(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"name value\">"
           "<tag><xacro:attribute name=\"${name}\" value=\"${value}\"/></tag></xacro:macro>"
           "<xacro:foo name=\"A\" value=\"foo\"/><xacro:foo name=\"B\" value=\"bar\"/></a>",
        "<a><tag A=\"foo\"/><tag B=\"bar\"/></a>");
}

static void test_inorder_processing(void **state) {
  (void)state;
  check("<xml xmlns:xacro=\"http://www.ros.org/wiki/xacro\">"
        "<xacro:property name=\"foo\" value=\"1.0\"/>"
        "<xacro:macro name=\"m\" params=\"foo\"><a foo=\"${foo}\"/></xacro:macro>"
        "<xacro:m foo=\"1 ${foo}\"/>"
        "<!-- now redefining the property and macro -->"
        "<xacro:property name=\"foo\" value=\"2.0\"/>"
        "<xacro:macro name=\"m\" params=\"foo\"><b bar=\"${foo}\"/></xacro:macro>"
        "<xacro:m foo=\"2 ${foo}\"/></xml>",
        "<xml><a foo=\"1 1.0\"/><b bar=\"2 2.0\"/></xml>");
}

static void test_should_replace_before_macroexpand(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"inner\" params=\"*the_block\">"
           "<in_the_inner><xacro:insert_block name=\"the_block\"/></in_the_inner></xacro:macro>"
           "<xacro:macro name=\"outer\" params=\"*the_block\"><in_the_outer><xacro:inner>"
           "<xacro:insert_block name=\"the_block\"/></xacro:inner></in_the_outer></xacro:macro>"
           "<xacro:outer><woot/></xacro:outer></a>",
        "<a><in_the_outer><in_the_inner><woot/></in_the_inner></in_the_outer></a>");
}

static void test_evaluate_macro_params_before_body(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"lst\">${lst[-1]}</xacro:macro>"
           "<xacro:foo lst=\"${[1,2,3]}\"/></a>",
        "<a>3</a>");
}

static void test_macro_params_escaped_string(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"a='1 -2' c=3\"><bar a=\"${a}\" c=\"${c}\"/>"
           "</xacro:macro><xacro:foo/></a>",
        "<a><bar a=\"1 -2\" c=\"3\"/></a>");
}

static void test_property_replacement(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"foo\" value=\"42\"/><the_foo result=\"${foo}\"/></a>",
        "<a><the_foo result=\"42\"/></a>");
}

static void test_property_scope_parent(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"factor\">"
           "<xacro:property name=\"foo\" value=\"${21*factor}\" scope=\"parent\"/></xacro:macro>"
           "<xacro:foo factor=\"2\"/><a foo=\"${foo}\"/></a>",
        "<a><a foo=\"42\"/></a>");
}

static void test_property_scope_global(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"factor\"><xacro:macro name=\"bar\">"
           "<xacro:property name=\"foo\" value=\"${21*factor}\" scope=\"global\"/></xacro:macro>"
           "<xacro:bar/></xacro:macro><xacro:foo factor=\"2\"/><a foo=\"${foo}\"/></a>",
        "<a><a foo=\"42\"/></a>");
}

static void test_property_in_comprehension(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"abc\" value=\"${[1,2,3]}\"/>"
           "<xacro:property name=\"xyz\" value=\"${[abc[i]*abc[i] for i in [0,1,2]]}\"/>${xyz}</a>",
        "<a>[1, 4, 9]</a>");
}

static void test_math_ignores_spaces(void **state) {
  (void)state;
  check("<a><f v=\"${0.9 / 2 - 0.2}\"/></a>", "<a><f v=\"0.25\"/></a>");
}

static void test_substitution_args_find(void **state) {
  (void)state;
  char want[1200];
  snprintf(want, sizeof want, "<a>%s/dtw_test_pkg/urdf/arm.xacro</a>", g_pkgs);
  check("<a>$(find dtw_test_pkg)/urdf/arm.xacro</a>", want);
}

static void test_substitution_args_arg(void **state) {
  (void)state;
  const char *args[] = {"sub_arg:=my_arg"};
  check_args("<a><f v=\"$(arg sub_arg)\"/></a>", args, 1, "<a><f v=\"my_arg\"/></a>");
}

static void test_escaping_dollar_braces(void **state) {
  (void)state;
  check("<a b=\"$${foo}\" c=\"$$${foo}\" d=\"text $${foo}\" e=\"text $$${foo}\" f=\"$$(pwd)\"/>",
        "<a b=\"${foo}\" c=\"$${foo}\" d=\"text ${foo}\" e=\"text $${foo}\" f=\"$(pwd)\"/>");
}

static void test_just_a_dollar_sign(void **state) {
  (void)state;
  check("<a b=\"$\" c=\"text $\" d=\"text $ text\"/>", "<a b=\"$\" c=\"text $\" d=\"text $ text\"/>");
}

static void test_multiple_insert_blocks(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"*block\"><xacro:insert_block name=\"block\"/>"
           "<xacro:insert_block name=\"block\"/></xacro:macro><xacro:foo><a_block/></xacro:foo></a>",
        "<a><a_block/><a_block/></a>");
}

static void test_multiple_blocks(void **state) {
  (void)state;
  const char *orders[2][2] = {{"1", "2"}, {"2", "1"}};
  for (int k = 0; k < 2; k++) {
    char src[512], want[128];
    snprintf(src, sizeof src,
             NS "<xacro:macro name=\"foo\" params=\"*block%s *block%s\">"
                "<xacro:insert_block name=\"block1\"/><xacro:insert_block name=\"block2\"/>"
                "</xacro:macro><xacro:foo><block1/><block2/></xacro:foo></a>",
             orders[k][0], orders[k][1]);
    snprintf(want, sizeof want, "<a><block%s/><block%s/></a>", orders[k][0], orders[k][1]);
    check(src, want);
  }
}

static void test_integer_stays_integer(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"m\" params=\"num\"><test number=\"${num}\"/></xacro:macro>"
           "<xacro:m num=\"100\"/></a>",
        "<a><test number=\"100\"/></a>");
}

static void test_insert_block_property(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"bar\">bar</xacro:macro><xacro:property name=\"val\" value=\"2\"/>"
           "<xacro:property name=\"some_block\"><some_block attr=\"${val}\"><xacro:bar/></some_block>"
           "</xacro:property><foo><xacro:insert_block name=\"some_block\"/></foo></a>",
        "<a><foo><some_block attr=\"2\">bar</some_block></foo></a>");
}

static void test_include(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\"><xacro:include filename=\"include1.xml\"/></a>",
        "<a><inc1/></a>");
}

static void test_include_glob(void **state) {
  (void)state;
  const char *globs[] = {"*", "?", "[1-2]"};
  for (int k = 0; k < 3; k++) {
    char src[256];
    snprintf(src, sizeof src,
             "<a xmlns:xacro=\"http://www.ros.org/xacro\"><xacro:include filename=\"include%s.xml\"/></a>",
             globs[k]);
    check(src, "<a><inc1/><inc2/></a>");
  }
}

static void test_include_nonexistent(void **state) {
  (void)state;
  check_fails("<a xmlns:xacro=\"http://www.ros.org/xacro\"><xacro:include filename=\"include-nada.xml\"/></a>",
              "include-nada.xml");
}

static void test_include_deprecated(void **state) {
  (void)state;
  capture_begin();
  check("<a><include filename=\"nada\"><tag/></include></a>",
        "<a><include filename=\"nada\"><tag/></include></a>");
  const char *err = capture_end();
  assert_string_equal(err, "");
}

static void test_include_from_variable(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\"><xacro:property name=\"file\" value=\"include1.xml\"/>"
        "<xacro:include filename=\"${file}\"/></a>",
        "<a><inc1/></a>");
}

static void test_include_recursive(void **state) {
  (void)state;
  char cwd[1024];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(g_ros_dir), 0); /* $(cwd) in the fixture: ros/xacro runs in its test dir */
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\"><xacro:include filename=\"include1.xml\"/>"
        "<xacro:include filename=\"./include1.xml\"/>"
        "<xacro:include filename=\"subdir/include-recursive.xacro\"/></a>",
        "<a><inc1/><inc1/><subdir_inc1/><subdir_inc1/><inc1/></a>");
  assert_int_equal(chdir(cwd), 0);
}

static void test_include_with_namespace(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"var\" value=\"main\"/>"
           "<xacro:include filename=\"include1.xacro\" ns=\"A\"/>"
           "<xacro:include filename=\"include2.xacro\" ns=\"B\"/>"
           "<xacro:A.foo/><xacro:B.foo/><main var=\"${var}\" A=\"${2*A.var}\" B=\"${B.var+1}\"/></a>",
        "<a><inc1/><inc2/><main var=\"main\" A=\"2\" B=\"3\"/></a>");
}

static void test_macro_has_new_scope(void **state) {
  (void)state;
  check("<root xmlns:xacro=\"http://www.ros.org/wiki/xacro\">"
        "<xacro:property name=\"prop\" value=\"outer\"/>"
        "<xacro:macro name=\"foo\"><outer prop=\"${prop}\"/>"
        "<xacro:property name=\"prop\" value=\"inner\"/>"
        "<xacro:macro name=\"foo\"><inner prop=\"${prop}\"/></xacro:macro><xacro:foo/></xacro:macro>"
        "<xacro:foo/><xacro:foo/></root>",
        "<root><outer prop=\"outer\"/><inner prop=\"inner\"/><outer prop=\"outer\"/>"
        "<inner prop=\"inner\"/></root>");
}

static void test_boolean_if_statement(void **state) {
  (void)state;
  check(ROBOT "<xacro:if value=\"false\"><a/></xacro:if><xacro:if value=\"true\"><b/></xacro:if></robot>",
        "<robot><b/></robot>");
}

static void test_invalid_if_statement(void **state) {
  (void)state;
  check_fails(NS "<xacro:if value=\"nonsense\"><foo/></xacro:if></a>", "not a boolean expression");
}

static void test_integer_if_statement(void **state) {
  (void)state;
  check(ROBOT "<xacro:if value=\"${0*42}\"><a/></xacro:if><xacro:if value=\"0\"><b/></xacro:if>"
              "<xacro:if value=\"${0}\"><c/></xacro:if><xacro:if value=\"${1*2+3}\"><d/></xacro:if></robot>",
        "<robot><d/></robot>");
}

static void test_float_if_statement(void **state) {
  (void)state;
  check(ROBOT "<xacro:if value=\"${3*0.0}\"><a/></xacro:if><xacro:if value=\"${3*0.1}\"><b/></xacro:if></robot>",
        "<robot><b/></robot>");
}

static void test_property_if_statement(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"condT\" value=\"${True}\"/><xacro:property name=\"condF\" value=\"${False}\"/>"
              "<xacro:if value=\"${condF}\"><a/></xacro:if><xacro:if value=\"${condT}\"><b/></xacro:if>"
              "<xacro:if value=\"${True}\"><c/></xacro:if></robot>",
        "<robot><b/><c/></robot>");
}

static void test_consecutive_if(void **state) {
  (void)state;
  check(NS "<xacro:if value=\"1\"><xacro:if value=\"0\"><a>bar</a></xacro:if></xacro:if></a>", "<a/>");
}

static void test_equality_expression_in_if_statement(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"var\" value=\"useit\"/>"
           "<xacro:if value=\"${var == 'useit'}\"><foo>bar</foo></xacro:if>"
           "<xacro:if value=\"${'use' in var}\"><bar>foo</bar></xacro:if></a>",
        "<a><foo>bar</foo><bar>foo</bar></a>");
}

static void test_no_evaluation(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"xyz\" value=\"5 -2\"/><foo>${xyz}</foo></a>", "<a><foo>5 -2</foo></a>");
}

static void test_math_expressions(void **state) {
  (void)state;
  check(NS "<foo function=\"${1. + sin(pi)}\"/></a>", "<a><foo function=\"1.0\"/></a>");
}

static void test_restricted_builtins(void **state) {
  (void)state;
  check_fails(NS "${__import__('math')}</a>", "invalid name");
}

static void test_restricted_builtins_nested(void **state) {
  (void)state;
  check_fails(NS "<xacro:macro name=\"foo\" params=\"arg\"><xacro:property name=\"prop\" value=\"${arg}\"/>"
                 "${__import__('math')}</xacro:macro><xacro:foo/></a>",
              NULL);
}

static void test_safe_eval(void **state) {
  (void)state;
  check_fails(NS "${\"\".__class__.__base__.__subclasses__()}</a>", "invalid name");
}

static void test_consider_non_elements_if(void **state) {
  (void)state;
  check(NS "<xacro:if value=\"1\"><!-- comment --> text <b>bar</b></xacro:if></a>",
        "<a><!-- comment --> text <b>bar</b></a>");
}

static void test_consider_non_elements_block(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"*block\">\n  <!-- comment -->\n  foo\n"
           "  <xacro:insert_block name=\"block\"/>\n</xacro:macro>\n"
           "<xacro:foo>\n  <!-- ignored comment -->\n  ignored text\n  <a_block/>\n</xacro:foo></a>",
        "<a><!-- comment -->\n  foo\n  <a_block/></a>");
}

static void test_ignore_xacro_comments(void **state) {
  (void)state;
  check(NS "\n  <!-- A -->\n\n  <!-- ignore multiline comments before any xacro tag -->\n"
           "  <!-- ignored -->\n  <xacro:property name=\"foo\" value=\"1\"/>\n"
           "  <!-- ignored -->\n  <xacro:if value=\"1\"><!-- B --></xacro:if>\n"
           "  <!-- ignored -->\n  <xacro:macro name=\"foo\"><!-- C --></xacro:macro>\n"
           "  <!-- ignored -->\n  <xacro:foo/>\n</a>",
        "<a><!-- A --><!-- B --><!-- C --></a>");
}

static void test_recursive_evaluation(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"a\" value=\" 42 \"/><xacro:property name=\"a2\" value=\"${ 2 * a }\"/>"
              "<a doubled=\"${a2}\"/></robot>",
        "<robot><a doubled=\"84\"/></robot>");
}

static void test_recursive_evaluation_wrong_order(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"a2\" value=\"${2*a}\"/><xacro:property name=\"a\" value=\"42\"/>"
              "<a doubled=\"${a2}\"/></robot>",
        "<robot><a doubled=\"84\"/></robot>");
}

static void test_recursive_definition(void **state) {
  (void)state;
  check_fails(ROBOT "<xacro:property name=\"a\" value=\"${a2}\"/><xacro:property name=\"a2\" value=\"${2*a}\"/>"
                    "<a doubled=\"${a2}\"/></robot>",
              "circular variable definition: a2 -> a -> a2");
}

int main(void) {
  init_dirs();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_is_valid_name),
      cmocka_unit_test(test_resolve_macro),
      cmocka_unit_test(test_parse_macro_arg),
      cmocka_unit_test(test_parse_macro_whitespace),
      cmocka_unit_test(test_tokenize),
      cmocka_unit_test(test_tokenize_keep_empty),
      cmocka_unit_test(test_invalid_property_name),
      cmocka_unit_test(test_double_underscore_property_name_raises),
      cmocka_unit_test(test_dynamic_macro_names),
      cmocka_unit_test(test_dynamic_macro_name_clash),
      cmocka_unit_test(test_dynamic_macro_undefined),
      cmocka_unit_test(test_macro_undefined),
      cmocka_unit_test(test_xacro_element),
      cmocka_unit_test(test_xacro_attribute),
      cmocka_unit_test(test_inorder_processing),
      cmocka_unit_test(test_should_replace_before_macroexpand),
      cmocka_unit_test(test_evaluate_macro_params_before_body),
      cmocka_unit_test(test_macro_params_escaped_string),
      cmocka_unit_test(test_property_replacement),
      cmocka_unit_test(test_property_scope_parent),
      cmocka_unit_test(test_property_scope_global),
      cmocka_unit_test(test_property_in_comprehension),
      cmocka_unit_test(test_math_ignores_spaces),
      cmocka_unit_test(test_substitution_args_find),
      cmocka_unit_test(test_substitution_args_arg),
      cmocka_unit_test(test_escaping_dollar_braces),
      cmocka_unit_test(test_just_a_dollar_sign),
      cmocka_unit_test(test_multiple_insert_blocks),
      cmocka_unit_test(test_multiple_blocks),
      cmocka_unit_test(test_integer_stays_integer),
      cmocka_unit_test(test_insert_block_property),
      cmocka_unit_test(test_include),
      cmocka_unit_test(test_include_glob),
      cmocka_unit_test(test_include_nonexistent),
      cmocka_unit_test(test_include_deprecated),
      cmocka_unit_test(test_include_from_variable),
      cmocka_unit_test(test_include_recursive),
      cmocka_unit_test(test_include_with_namespace),
      cmocka_unit_test(test_macro_has_new_scope),
      cmocka_unit_test(test_boolean_if_statement),
      cmocka_unit_test(test_invalid_if_statement),
      cmocka_unit_test(test_integer_if_statement),
      cmocka_unit_test(test_float_if_statement),
      cmocka_unit_test(test_property_if_statement),
      cmocka_unit_test(test_consecutive_if),
      cmocka_unit_test(test_equality_expression_in_if_statement),
      cmocka_unit_test(test_no_evaluation),
      cmocka_unit_test(test_math_expressions),
      cmocka_unit_test(test_restricted_builtins),
      cmocka_unit_test(test_restricted_builtins_nested),
      cmocka_unit_test(test_safe_eval),
      cmocka_unit_test(test_consider_non_elements_if),
      cmocka_unit_test(test_consider_non_elements_block),
      cmocka_unit_test(test_ignore_xacro_comments),
      cmocka_unit_test(test_recursive_evaluation),
      cmocka_unit_test(test_recursive_evaluation_wrong_order),
      cmocka_unit_test(test_recursive_definition),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
