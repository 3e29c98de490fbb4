/* ros/xacro's test suite (test/test_xacro.py, ROS 2 branch) ported to the native
 * expander, part 2: TestXacro from the multiple-evaluation cases to the end.
 * Each test is named after the Python test it follows (see test_xacro_ros.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit/xacro_test_util.h"

static void test_greedy_property_evaluation(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"s\" value=\"AbCd\"/>"
           "<xacro:property name=\"s\" value=\"${s.lower()}\" lazy_eval=\"false\"/>${s}</a>",
        "<a>abcd</a>");
}

static void test_multiple_recursive_evaluation(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"a\" value=\"1\"/><xacro:property name=\"b\" value=\"2\"/>"
              "<xacro:property name=\"c\" value=\"3\"/><xacro:property name=\"product\" value=\"${a*b*c}\"/>"
              "<answer product=\"${product}\"/></robot>",
        "<robot><answer product=\"6\"/></robot>");
}

static void test_multiple_definition_and_evaluation(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"a\" value=\"42\"/><xacro:property name=\"b\" value=\"${a}\"/>"
              "<xacro:property name=\"b\" value=\"${-a}\"/><xacro:property name=\"b\" value=\"${a}\"/>"
              "<answer b=\"${b} ${b} ${b}\"/></robot>",
        "<robot><answer b=\"42 42 42\"/></robot>");
}

static void test_transitive_evaluation(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"a\" value=\"42\"/><xacro:property name=\"b\" value=\"${a}\"/>"
              "<xacro:property name=\"c\" value=\"${b}\"/><xacro:property name=\"d\" value=\"${c}\"/>"
              "<answer d=\"${d}\"/></robot>",
        "<robot><answer d=\"42\"/></robot>");
}

static void test_multi_tree_evaluation(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"a\" value=\"42\"/><xacro:property name=\"b\" value=\"2.1\"/>"
              "<xacro:property name=\"c\" value=\"${a}\"/><xacro:property name=\"d\" value=\"${b}\"/>"
              "<xacro:property name=\"f\" value=\"${c*d}\"/><answer f=\"${f}\"/></robot>",
        "<robot><answer f=\"88.2\"/></robot>");
}

static void test_from_issue(void **state) {
  (void)state;
  check(ROBOT "<xacro:property name=\"x\" value=\"42\"/><xacro:property name=\"wheel_width\" value=\"${x}\"/>"
              "<link name=\"my_link\"><origin xyz=\"0 0 ${wheel_width/2}\"/></link></robot>",
        "<robot><link name=\"my_link\"><origin xyz=\"0 0 21.0\"/></link></robot>");
}

static void test_recursive_bad_math(void **state) {
  (void)state;
  check_fails(ROBOT "<xacro:property name=\"x\" value=\"0\"/><tag badness=\"${1/x}\"/></robot>",
              "division by zero");
}

#define FIXED_LINK                                                                       \
  "<xacro:macro name=\"fixed_link\" params=\"parent_link:=base_link child_link *joint_pose\">" \
  "<link name=\"${child_link}\"/><joint name=\"${child_link}_joint\" type=\"fixed\">"        \
  "<xacro:insert_block name=\"joint_pose\"/><parent link=\"${parent_link}\"/>"              \
  "<child link=\"${child_link}\"/></joint></xacro:macro>"

static void test_default_param(void **state) {
  (void)state;
  check(ROBOT FIXED_LINK "<xacro:fixed_link child_link=\"foo\"><origin xyz=\"0 0 0\" rpy=\"0 0 0\"/>"
                         "</xacro:fixed_link></robot>",
        "<robot><link name=\"foo\"/><joint name=\"foo_joint\" type=\"fixed\">"
        "<origin rpy=\"0 0 0\" xyz=\"0 0 0\"/><parent link=\"base_link\"/><child link=\"foo\"/>"
        "</joint></robot>");
}

static void test_default_param_override(void **state) {
  (void)state;
  check(ROBOT FIXED_LINK "<xacro:fixed_link child_link=\"foo\" parent_link=\"bar\">"
                         "<origin xyz=\"0 0 0\" rpy=\"0 0 0\"/></xacro:fixed_link></robot>",
        "<robot><link name=\"foo\"/><joint name=\"foo_joint\" type=\"fixed\">"
        "<origin rpy=\"0 0 0\" xyz=\"0 0 0\"/><parent link=\"bar\"/><child link=\"foo\"/>"
        "</joint></robot>");
}

static void test_param_missing(void **state) {
  (void)state;
  check_fails(ROBOT "<xacro:macro name=\"fixed_link\" params=\"parent_link child_link *joint_pose\">"
                    "<link name=\"${child_link}\"/></xacro:macro>"
                    "<xacro:fixed_link child_link=\"foo\"><origin xyz=\"0 0 0\"/></xacro:fixed_link></robot>",
              "missing parameter 'parent_link'");
}

static void test_default_arg(void **state) {
  (void)state;
  check(ROBOT "<xacro:arg name=\"foo\" default=\"2\"/><link name=\"my_link\">"
              "<origin xyz=\"0 0 $(arg foo)\"/></link></robot>",
        "<robot><link name=\"my_link\"><origin xyz=\"0 0 2\"/></link></robot>");
}

static void test_default_arg_override(void **state) {
  (void)state;
  const char *args[] = {"foo:=4"};
  check_args(ROBOT "<xacro:arg name=\"foo\" default=\"2\"/><link name=\"my_link\">"
                   "<origin xyz=\"0 0 $(arg foo)\"/></link></robot>",
             args, 1, "<robot><link name=\"my_link\"><origin xyz=\"0 0 4\"/></link></robot>");
}

static void test_default_arg_missing(void **state) {
  (void)state;
  check_fails(NS "<a arg=\"$(arg foo)\"/></a>", "undefined substitution argument 'foo'");
}

static void test_default_arg_empty(void **state) {
  (void)state;
  check(NS "<xacro:arg name=\"foo\" default=\"\"/>$(arg foo)</a>", "<a/>");
}

static void test_arg_function(void **state) {
  (void)state;
  check(NS "<xacro:arg name=\"foo\" default=\"bar\"/>${xacro.arg('foo')}</a>", "<a>bar</a>");
}

static void test_broken_include_error_reporting(void **state) {
  (void)state;
  check_fails(NS "\n<xacro:include filename=\"broken.xacro\"/></a>", "/ros/broken.xacro:3: XML error");
}

static void test_iterable_literals_plain(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"l\" value=\"[0, 1+1, 2]\"/><xacro:property name=\"t\" value=\"(0,1+1,2)\"/>"
           "<xacro:property name=\"d\" value=\"{'a':0, 'b':1+1, 'c':2}\"/>"
           "<a list=\"${l}\" tuple=\"${t}\" dict=\"${d}\"/></a>",
        "<a><a list=\"[0, 1+1, 2]\" tuple=\"(0,1+1,2)\" dict=\"{'a':0, 'b':1+1, 'c':2}\"/></a>");
}

static void test_iterable_literals_eval(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"l\" value=\"${[0, 1+1, 2]}\"/>"
           "<xacro:property name=\"t\" value=\"${(0,1+1,2)}\"/>"
           "<xacro:property name=\"d\" value=\"${dict(a=0, b=1+1, c=2)}\"/>"
           "<a list=\"${l}\" tuple=\"${t}\" dict=\"${d}\"/></a>",
        "<a><a list=\"[0, 2, 2]\" tuple=\"(0, 2, 2)\" dict=\"{'a': 0, 'b': 2, 'c': 2}\"/></a>");
}

static void test_literals_eval(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"f\" value=\"1.23\"/><xacro:property name=\"i\" value=\"123\"/>"
           "<xacro:property name=\"s\" value=\"1_2_3\"/>float=${f+1} int=${i+1} string=${s}</a>",
        "<a>float=2.23 int=124 string=1_2_3</a>");
}

static void test_enforce_xacro_ns(void **state) {
  (void)state;
  check(NS "<arg name=\"foo\" value=\"bar\"/><include filename=\"foo\"/></a>",
        "<a><arg name=\"foo\" value=\"bar\"/><include filename=\"foo\"/></a>");
}

static void test_issue_68_numeric_arg(void **state) {
  (void)state;
  check(NS "<xacro:arg name=\"foo\" default=\"0.5\"/><xacro:property name=\"prop\" value=\"$(arg foo)\"/>"
           "<a prop=\"${prop-0.3}\"/></a>",
        "<a><a prop=\"0.2\"/></a>");
}

static void test_transitive_arg_evaluation(void **state) {
  (void)state;
  check(NS "<xacro:arg name=\"foo\" default=\"0.5\"/><xacro:arg name=\"bar\" default=\"$(arg foo)\"/>"
           "<xacro:property name=\"prop\" value=\"$(arg bar)\"/><a prop=\"${prop-0.3}\"/></a>",
        "<a><a prop=\"0.2\"/></a>");
}

static void test_macro_name_with_colon(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"xacro:my_macro\"><foo/></xacro:macro><xacro:my_macro/></a>",
        "<a><foo/></a>");
}

static void test_overwrite_globals(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"pi\" value=\"3.14\"/></a>", "<a/>");
  check(NS "<xacro:property name=\"pi\" value=\"3.14\"/>${pi}</a>", "<a>3.14</a>");
}

static void test_no_double_evaluation(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\">"
        "<xacro:macro name=\"foo\" params=\"a b:=${a} c:=$${a}\"> a=${a} b=${b} c=${c} </xacro:macro>"
        "<xacro:property name=\"a\" value=\"1\"/><xacro:property name=\"d\" value=\"$${a}\"/>"
        "<d d=\"${d}\"><xacro:foo a=\"2\"/></d></a>",
        "<a><d d=\"${a}\"> a=2 b=1 c=${a} </d></a>");
}

static void test_property_forwarding(void **state) {
  (void)state;
  const char *tails[] = {"", "|", "|6"};
  for (int k = 0; k < 3; k++) {
    char src[512];
    snprintf(src, sizeof src,
             NS "<xacro:property name=\"arg\" value=\"42\"/>"
                "<xacro:macro name=\"foo\" params=\"arg:=^%s\">${arg}</xacro:macro><xacro:foo/></a>",
             tails[k]);
    check(src, "<a>42</a>");
  }
}

static void test_extension_in_expression(void **state) {
  (void)state;
  const char *args[] = {"var:=xacro"};
  check_args(NS "${2*'$(arg var)'}</a>", args, 1, "<a>xacroxacro</a>");
}

static void test_expression_in_extension(void **state) {
  (void)state;
  const char *args[] = {"var:=xacro"};
  check_args(NS "$(arg ${'v'+'ar'})</a>", args, 1, "<a>xacro</a>");
}

static void test_target_namespace(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/wiki/xacro\" xacro:targetNamespace=\"http://www.ros.org\"/>",
        "<a xmlns=\"http://www.ros.org\"/>");
}

static void test_target_namespace_only_from_root(void **state) {
  (void)state;
  check(NS "<b xacro:targetNamespace=\"http://www.ros.org\"/></a>", "<a><b/></a>");
}

static void test_message_functions(void **state) {
  (void)state;
  const char *fns[] = {"message", "warning", "error"};
  for (int k = 0; k < 3; k++) {
    char src[256];
    snprintf(src, sizeof src, NS "${xacro.%s('colored', 'text', 2, 3.14)}</a>", fns[k]);
    capture_begin();
    check(src, "<a/>");
    const char *out = capture_end();
    if (strstr(out, "colored text 2 3.14") == NULL) fail_msg("stderr was '%s'", out);
  }
  check_fails(NS "${xacro.fatal('colored', 'text', 2, 3.14)}</a>", "colored text 2 3.14");
}

static void test_error_reporting(void **state) {
  (void)state;
  /* the failing line in the included file, and the outermost call */
  check_fails(NS "\n<xacro:include filename=\"raise.xacro\"/>\n<xacro:outer/></a>",
              "/ros/raise.xacro:2:");
  assert_non_null(strstr(g_err, "name 'undefined' is not defined"));
  assert_non_null(strstr(g_err, "(in xacro:outer called at "));
  assert_non_null(strstr(g_err, "string.xacro:3)"));
}

static void test_xml_namespace_lifting(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/wiki/xacro\" xmlns:a=\"http://www.ros.org/a\">"
        "<xacro:macro name=\"test\"><xacro:include filename=\"namespace.xml\"></xacro:include>"
        "</xacro:macro><xacro:test/></a>",
        "<a xmlns:a=\"http://www.ros.org/a\" xmlns:b=\"http://www.ros.org/b\"/>");
}

static void test_comments(void **state) {
  (void)state;
  const char *original = "<!-- ${name} -->", *processed = "<!-- foo -->";
  const char *suffixes[] = {"", ":on", ":off"};
  const char *texts[] = {"", " ", " text ", "<tag/>", "<!-- xacro:eval-comments:off -->"};
  const char *disabler = texts[4];
  for (int enable = 0; enable < 2; enable++) {
    for (int s = 0; s < 3; s++) {
      for (int t = 0; t < 5; t++) {
        char enabler[64] = "", src[512], want[256];
        if (enable) snprintf(enabler, sizeof enabler, "<!-- xacro:eval-comments%s -->", suffixes[s]);
        snprintf(src, sizeof src,
                 NS "<xacro:property name=\"name\" value=\"foo\"/>\n%s%s%s%s</a>", enabler, original,
                 texts[t], original);
        int enabled = enable && s != 2;
        int blank_text = texts[t][strspn(texts[t], " ")] == '\0';
        snprintf(want, sizeof want, "<a>%s%s%s</a>", enabled ? processed : original,
                 texts[t] == disabler ? "" : texts[t],
                 enabled && blank_text && texts[t] != disabler ? processed : original);
        check(src, want);
      }
    }
  }
}

static void test_print_location(void **state) {
  (void)state;
  capture_begin();
  check(NS "<xacro:macro name=\"scope\"><xacro:include filename=\"location.xacro\"/></xacro:macro>"
           "<xacro:scope/></a>",
        "<a/>");
  const char *out = capture_end();
  char want[4096];
  snprintf(want, sizeof want,
           "when instantiating macro: scope (%s/string.xacro)\nin file: %s/location.xacro\n"
           "included from: %s/string.xacro\n",
           g_ros_dir, g_ros_dir, g_ros_dir);
  assert_string_equal(out, want);
}

static void test_redefine_global_symbol(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"str\" value=\"sin\"/>${str}</a>", "<a>sin</a>");
}

static void test_include_lazy(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\"><xacro:if value=\"false\">"
        "<xacro:include filename=\"non-existent\"/></xacro:if></a>",
        "<a/>");
}

static void test_issue_63_fixed_with_inorder_processing(void **state) {
  (void)state;
  check(NS "<xacro:arg name=\"has_stuff\" default=\"false\"/><xacro:if value=\"$(arg has_stuff)\">"
           "<xacro:include file=\"$(find nonexistent_package)/stuff.urdf\"/></xacro:if></a>",
        "<a/>");
}

static void test_property_resolution_with_namespaced_include(void **state) {
  (void)state;
  check("<a version=\"1.0\" xmlns:xacro=\"http://www.ros.org/wiki/xacro\">"
        "<xacro:include filename=\"./include2.xacro\" ns=\"B\"/>"
        "<xacro:property name=\"ext\" value=\"main\"/><xacro:property name=\"var\" value=\"main\"/>"
        "<xacro:B.bar arg=\"${ext}\"/><xacro:B.bar arg=\"${var}\"/><xacro:B.bar arg=\"${inner}\"/></a>",
        "<a version=\"1.0\"><a arg=\"main\" ext=\"main\" var=\"2\"/><a arg=\"2\" ext=\"main\" var=\"2\"/>"
        "<a arg=\"int\" ext=\"main\" var=\"2\"/></a>");
}

static void test_include_from_macro(void **state) {
  (void)state;
  char cwd[1024];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(g_ros_dir), 0);
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\">"
        "<xacro:macro name=\"foo\" params=\"file:=include1.xml\"><xacro:include filename=\"${file}\"/>"
        "</xacro:macro><xacro:foo/><xacro:foo file=\"${xacro.abs_filename('include1.xml')}\"/>"
        "<xacro:include filename=\"subdir/foo.xacro\"/><xacro:foo file=\"$(cwd)/subdir/include1.xml\"/></a>",
        "<a><inc1/><inc1/><subdir_inc1/><subdir_inc1/></a>");
  assert_int_equal(chdir(cwd), 0);
}

static void test_namespace_propagation(void **state) {
  (void)state;
  check(NS "<xacro:include filename=\"include3.xacro\" ns=\"C\"/><xacro:C.foo/></a>",
        "<a><inc3 included=\"inner\"/><inner/></a>");
}

static void test_dotify(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\">"
        "<xacro:property name=\"settings\" value=\"${xacro.dotify(dict(a=1, b=2))}\"/>"
        "${settings.a + settings.b}</a>",
        "<a>3</a>");
}

static void test_property_scope_parent_namespaced(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"prop\" value=\"root\"/><root prop=\"${prop}\"/>"
           "<xacro:include filename=\"A.xacro\" ns=\"A\"/>"
           "<root prop=\"${prop}\" A.prop=\"${A.prop}\" A.B.prop=\"${A.B.prop}\"/>"
           "<xacro:A.B.set/><root prop=\"${prop}\"/></a>",
        "<a><root prop=\"root\"/><A prop=\"B\"/><root A.B.prop=\"b\" A.prop=\"B\" prop=\"root\"/>"
        "<root prop=\"macro\"/></a>");
}

static void yaml_case(const char *body, const char *type, const char *want) {
  char src[1024], arg[64];
  snprintf(src, sizeof src,
           NS "<xacro:property name=\"settings\" value=\"${xacro.load_yaml('settings.yaml')}\"/>%s</a>",
           body);
  snprintf(arg, sizeof arg, "type:=%s", type);
  const char *args[] = {arg};
  check_args(src, args, 1, want);
}

static void test_yaml_support(void **state) {
  (void)state;
  const char *body = "<xacro:property name=\"type\" value=\"$(arg type)\"/>"
                     "<xacro:include filename=\"${settings['arms'][type]['file']}\"/>"
                     "<xacro:call macro=\"${settings['arms'][type]['macro']}\"/>";
  yaml_case(body, "inc1", "<a><inc1/></a>");
  yaml_case(body, "inc2", "<a><inc2/></a>");
}

static void test_yaml_support_dotted(void **state) {
  (void)state;
  const char *body = "<xacro:property name=\"type\" value=\"$(arg type)\"/>"
                     "<xacro:include filename=\"${settings.arms[type].file}\"/>"
                     "<xacro:call macro=\"${settings.arms[type].macro}\"/>";
  yaml_case(body, "inc1", "<a><inc1/></a>");
  yaml_case(body, "inc2", "<a><inc2/></a>");
}

static void test_yaml_support_dotted_key_error(void **state) {
  (void)state;
  check_fails(NS "<xacro:property name=\"settings\" value=\"${xacro.load_yaml('settings.yaml')}\"/>"
                 "<xacro:property name=\"bar\" value=\"${settings.baz}\"/>${bar}</a>",
              "The yaml dictionary has no key 'baz'");
}

static void test_yaml_support_dotted_arith(void **state) {
  (void)state;
  yaml_case("<xacro:property name=\"bar\" value=\"${settings.arms.inc2.props.port + 1}\"/>${bar}",
            "x", "<a>4243</a>");
}

static void test_yaml_support_key_in_dict(void **state) {
  (void)state;
  yaml_case("${'arms' in settings} ${'baz' in settings}", "x", "<a>True False</a>");
}

static void test_yaml_support_list_of_x(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"l\" value=\"${xacro.load_yaml('list.yaml')}\"/>"
           "${l[0][1]} ${l[1][0]} ${l[2].a.A} ${l[2].a.B[0]} ${l[2].a.B[1]} ${l[2].b[0]}</a>",
        "<a>A2 B1 1 2 3 4</a>");
}

static void test_yaml_support_dotted_list_iterator(void **state) {
  (void)state;
  check(NS "${[2*item.val.x for item in xacro.load_yaml('list2.yaml')]}</a>", "<a>[2, 4]</a>");
}

static void test_yaml_custom_constructors(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"values\" value=\"${xacro.load_yaml('constructors.yaml')}\"/>"
           "<values a=\"${values.a}\" b=\"${values.b}\" c=\"${values.c}\"/></a>",
        "<a><values a=\"3.141592653589793\" b=\"1.5707963267948966\" c=\"42\"/></a>");
}

static void test_yaml_custom_constructors_illegal_expr(void **state) {
  (void)state;
  const char *files[] = {"constructors_bad1.yaml", "constructors_bad2.yaml"};
  for (int k = 0; k < 2; k++) {
    char src[256];
    snprintf(src, sizeof src,
             NS "<xacro:property name=\"values\" value=\"${xacro.load_yaml('%s')}\"/>"
                "<values a=\"${values.a}\"/></a>",
             files[k]);
    check_fails(src, files[k]);
  }
}

static void test_xacro_exist_required(void **state) {
  (void)state;
  check_fails(NS "<xacro:include filename=\"non-existent.xacro\"/></a>", "non-existent.xacro");
}

static void test_xacro_exist_optional(void **state) {
  (void)state;
  check(NS "<xacro:include filename=\"non-existent.xacro\" optional=\"True\"/></a>", "<a></a>");
}

static void test_macro_default_param_evaluation_order(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"foo\" params=\"arg:=${2*foo}\"><xacro:property name=\"foo\" value=\"-\"/>"
           "<f val=\"${arg}\"/></xacro:macro><xacro:property name=\"foo\" value=\"${3*7}\"/>"
           "<xacro:foo/><xacro:property name=\"foo\" value=\"*\"/><xacro:foo/></a>",
        "<a><f val=\"42\"/><f val=\"**\"/></a>");
}

static void test_default_property(void **state) {
  (void)state;
  check("<a xmlns:xacro=\"http://www.ros.org/xacro\"><xacro:property name=\"prop\" default=\"false\"/>"
        "<xacro:unless value=\"${prop}\"><foo/><xacro:property name=\"prop\" value=\"true\"/></xacro:unless>"
        "<!-- second foo should be ignored -->"
        "<xacro:unless value=\"${prop}\"><foo/><xacro:property name=\"prop\" value=\"true\"/></xacro:unless></a>",
        "<a><foo/></a>");
}

static void test_unicode_literal_parsing(void **state) {
  (void)state;
  check(NS "🍔 </a>", "<a>🍔 </a>");
}

static void test_unicode_property(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"burger\" value=\"🍔\"/>${burger}</a>", "<a>🍔</a>");
}

static void test_unicode_property_attribute(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"burger\" value=\"🍔\"/><b c=\"${burger}\"/></a>", "<a><b c=\"🍔\"/></a>");
}

static void test_unicode_property_block(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"burger\">\n🍔\n</xacro:property><xacro:insert_block name=\"burger\"/></a>",
        "<a>🍔</a>");
}

static void test_unicode_conditional(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"burger\" value=\"🍔\"/><xacro:if value=\"${burger == u'🍔'}\">\n🍟\n"
           "</xacro:if></a>",
        "<a>🍟</a>");
}

static void test_unicode_macro(void **state) {
  (void)state;
  check(NS "<xacro:macro name=\"burger\" params=\"how_many\">\n${u'🍔' * how_many}\n</xacro:macro>"
           "<xacro:burger how_many=\"4\"/></a>",
        "<a>🍔🍔🍔🍔</a>");
}

/* the whole pipeline, file in and printed text out (test_unicode_file and
 * test_process_return_value) */
static char *expand_and_print(const char *path) {
  xmlDocPtr doc = NULL;
  assert_int_equal(dtw_xacro_expand_file(path, NULL, &doc, g_err, sizeof g_err), 0);
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  assert_int_equal(dtw_xacro_write(mem, doc, path, g_err, sizeof g_err), 0);
  fclose(mem);
  xmlFreeDoc(doc);
  return text;
}

static void test_unicode_file(void **state) {
  (void)state;
  char path[1200];
  snprintf(path, sizeof path, "%s/emoji.xacro", g_ros_dir);
  char *text = expand_and_print(path);
  assert_non_null(strstr(text, "<robot>🍔</robot>\n"));
  free(text);
}

static void test_process_return_value(void **state) {
  (void)state;
  char path[1200];
  snprintf(path, sizeof path, "%s/emoji.xacro", g_ros_dir);
  char *text = expand_and_print(path);
  assert_int_equal(strncmp(text, "<?xml version=\"1.0\" ?>\n<!-- ====", 32), 0);
  assert_non_null(strstr(text, "autogenerated by xacro from "));
  free(text);
}

static void test_invalid_syntax(void **state) {
  (void)state;
  check_fails("<a>a${</a>", "invalid expression");
  check_fails("<a>${b</a>", "invalid expression");
  check_fails("<a>${{}}</a>", NULL);
  check_fails("<a>a$(</a>", "invalid expression");
  check_fails("<a>$(b</a>", "invalid expression");
}

static void test_invalid_property_definitions(void **state) {
  (void)state;
  const char *attrs[] = {"value=\"\" default=\"\"", "value=\"\" remove=\"true\"",
                         "default=\"\" remove=\"true\""};
  for (int k = 0; k < 3; k++) {
    char src[256];
    snprintf(src, sizeof src, NS "<xacro:property name=\"p\" %s/> ${p} </a>", attrs[k]);
    check_fails(src, "default, value, and remove are mutually exclusive: p");
  }
  check(NS "<xacro:property name=\"p\" default=\"42\" remove=\"false\"/> ${p} </a>", "<a>42</a>");
}

static void test_remove_property(void **state) {
  (void)state;
  check(NS "<xacro:property name=\"p\" default=\"1st\"/><xacro:property name=\"p\" remove=\"true\"/>"
           "<xacro:property name=\"p\" default=\"2nd\"/>${p}</a>",
        "<a>2nd</a>");
}

int main(void) {
  init_dirs();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_greedy_property_evaluation),
      cmocka_unit_test(test_multiple_recursive_evaluation),
      cmocka_unit_test(test_multiple_definition_and_evaluation),
      cmocka_unit_test(test_transitive_evaluation),
      cmocka_unit_test(test_multi_tree_evaluation),
      cmocka_unit_test(test_from_issue),
      cmocka_unit_test(test_recursive_bad_math),
      cmocka_unit_test(test_default_param),
      cmocka_unit_test(test_default_param_override),
      cmocka_unit_test(test_param_missing),
      cmocka_unit_test(test_default_arg),
      cmocka_unit_test(test_default_arg_override),
      cmocka_unit_test(test_default_arg_missing),
      cmocka_unit_test(test_default_arg_empty),
      cmocka_unit_test(test_arg_function),
      cmocka_unit_test(test_broken_include_error_reporting),
      cmocka_unit_test(test_iterable_literals_plain),
      cmocka_unit_test(test_iterable_literals_eval),
      cmocka_unit_test(test_literals_eval),
      cmocka_unit_test(test_enforce_xacro_ns),
      cmocka_unit_test(test_issue_68_numeric_arg),
      cmocka_unit_test(test_transitive_arg_evaluation),
      cmocka_unit_test(test_macro_name_with_colon),
      cmocka_unit_test(test_overwrite_globals),
      cmocka_unit_test(test_no_double_evaluation),
      cmocka_unit_test(test_property_forwarding),
      cmocka_unit_test(test_extension_in_expression),
      cmocka_unit_test(test_expression_in_extension),
      cmocka_unit_test(test_target_namespace),
      cmocka_unit_test(test_target_namespace_only_from_root),
      cmocka_unit_test(test_message_functions),
      cmocka_unit_test(test_error_reporting),
      cmocka_unit_test(test_xml_namespace_lifting),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_print_location),
      cmocka_unit_test(test_redefine_global_symbol),
      cmocka_unit_test(test_include_lazy),
      cmocka_unit_test(test_issue_63_fixed_with_inorder_processing),
      cmocka_unit_test(test_property_resolution_with_namespaced_include),
      cmocka_unit_test(test_include_from_macro),
      cmocka_unit_test(test_namespace_propagation),
      cmocka_unit_test(test_dotify),
      cmocka_unit_test(test_property_scope_parent_namespaced),
      cmocka_unit_test(test_yaml_support),
      cmocka_unit_test(test_yaml_support_dotted),
      cmocka_unit_test(test_yaml_support_dotted_key_error),
      cmocka_unit_test(test_yaml_support_dotted_arith),
      cmocka_unit_test(test_yaml_support_key_in_dict),
      cmocka_unit_test(test_yaml_support_list_of_x),
      cmocka_unit_test(test_yaml_support_dotted_list_iterator),
      cmocka_unit_test(test_yaml_custom_constructors),
      cmocka_unit_test(test_yaml_custom_constructors_illegal_expr),
      cmocka_unit_test(test_xacro_exist_required),
      cmocka_unit_test(test_xacro_exist_optional),
      cmocka_unit_test(test_macro_default_param_evaluation_order),
      cmocka_unit_test(test_default_property),
      cmocka_unit_test(test_unicode_literal_parsing),
      cmocka_unit_test(test_unicode_property),
      cmocka_unit_test(test_unicode_property_attribute),
      cmocka_unit_test(test_unicode_property_block),
      cmocka_unit_test(test_unicode_conditional),
      cmocka_unit_test(test_unicode_macro),
      cmocka_unit_test(test_unicode_file),
      cmocka_unit_test(test_process_return_value),
      cmocka_unit_test(test_invalid_syntax),
      cmocka_unit_test(test_invalid_property_definitions),
      cmocka_unit_test(test_remove_property),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
