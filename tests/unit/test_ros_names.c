/* ROS 2 name rules and ROS <-> DDS mapping against a table of examples. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dtw/err.h"
#include "dtw/ros_names.h"

typedef struct {
  const char *name;
  int rc;
  const char *msg_part; /* substring expected in the error message */
} name_case_t;

static void run_cases(int (*fn)(const char *, char *, size_t), const name_case_t *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char err[256] = "";
    int rc = fn(c[i].name, err, sizeof err);
    if (rc != c[i].rc) fail_msg("'%s': rc %d, expected %d (%s)", c[i].name, rc, c[i].rc, err);
    if (c[i].msg_part && strstr(err, c[i].msg_part) == NULL)
      fail_msg("'%s': message '%s' lacks '%s'", c[i].name, err, c[i].msg_part);
  }
}

static void test_full_names(void **state) {
  (void)state;
  const name_case_t cases[] = {
      {"/joint_states", 0, NULL},
      {"/twin/joint_states", 0, NULL},
      {"/a/b_c/D9", 0, NULL},
      {"/_private", 0, NULL},
      {"", DTW_EINVAL, "must not be empty"},
      {"joint_states", DTW_EINVAL, "must be absolute"},
      {"/", DTW_EINVAL, "must not end with '/'"},
      {"/a/", DTW_EINVAL, "must not end with '/' (at 2)"},
      {"/a//b", DTW_EINVAL, "repeated '/' (at 3)"},
      {"/a/9b", DTW_EINVAL, "must not start with a number (at 3)"},
      {"/9a", DTW_EINVAL, "must not start with a number (at 1)"},
      {"/a-b", DTW_EINVAL, "other than alphanumerics, '_' or '/' (at 2)"},
      {"/a b", DTW_EINVAL, "(at 2)"},
      {"/ä", DTW_EINVAL, "other than alphanumerics"},
      {"/~/x", DTW_EUNSUP, "'~' (private namespace) substitution is not supported"},
      {"/{node}/x", DTW_EUNSUP, "'{}' substitutions are not supported"},
  };
  run_cases(dtw_ros_validate_full_name, cases, sizeof cases / sizeof cases[0]);
  char longname[300];
  memset(longname, 'a', sizeof longname);
  longname[0] = '/';
  longname[248] = '\0'; /* 248 characters: one too many */
  char err[256];
  assert_int_equal(dtw_ros_validate_full_name(longname, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "exceeds 247"));
  longname[247] = '\0';
  assert_int_equal(dtw_ros_validate_full_name(longname, err, sizeof err), 0);
}

static void test_relative_names(void **state) {
  (void)state;
  const name_case_t cases[] = {
      {"joint_states", 0, NULL},
      {"arm/cmd", 0, NULL},
      {"/abs", 0, NULL},
      {"~/private", DTW_EUNSUP, "'~'"},
      {"{ns}/x", DTW_EUNSUP, "'{}'"},
      {"9lives", DTW_EINVAL, "must not start with a number (at 0)"},
      {"a//b", DTW_EINVAL, "repeated '/'"},
      {"a/", DTW_EINVAL, "must not end with '/'"},
      {"a.b", DTW_EINVAL, "other than alphanumerics"},
      {"", DTW_EINVAL, "must not be empty"},
  };
  run_cases(dtw_ros_validate_name, cases, sizeof cases / sizeof cases[0]);
}

static void test_node_names_and_namespaces(void **state) {
  (void)state;
  const name_case_t nodes[] = {
      {"twin", 0, NULL},
      {"robot_state_publisher", 0, NULL},
      {"_n1", 0, NULL},
      {"", DTW_EINVAL, "must not be empty"},
      {"1node", DTW_EINVAL, "must not start with a number"},
      {"my-node", DTW_EINVAL, "alphanumerics or '_' (at 2)"},
      {"a/b", DTW_EINVAL, "(at 1)"},
  };
  run_cases(dtw_ros_validate_node_name, nodes, sizeof nodes / sizeof nodes[0]);
  const name_case_t ns[] = {
      {"/", 0, NULL},
      {"/twin", 0, NULL},
      {"/a/b", 0, NULL},
      {"", DTW_EINVAL, "must not be empty"},
      {"twin", DTW_EINVAL, "must be absolute"},
      {"/twin/", DTW_EINVAL, "must not end with '/'"},
      {"/a//b", DTW_EINVAL, "repeated"},
      {"/2d", DTW_EINVAL, "must not start with a number"},
  };
  run_cases(dtw_ros_validate_namespace, ns, sizeof ns / sizeof ns[0]);
}

static void test_expand(void **state) {
  (void)state;
  char out[DTW_ROS_NAME_BUF], err[256];
  assert_int_equal(dtw_ros_expand_name("joint_states", "/twin", out, sizeof out, err, sizeof err),
                   0);
  assert_string_equal(out, "/twin/joint_states");
  assert_int_equal(dtw_ros_expand_name("joint_states", "/", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "/joint_states");
  assert_int_equal(dtw_ros_expand_name("/clock", "/twin", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "/clock");
  assert_int_equal(dtw_ros_expand_name("a/b", "/x/y", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "/x/y/a/b");
  assert_int_equal(dtw_ros_expand_name("~/x", "/twin", out, sizeof out, err, sizeof err),
                   DTW_EUNSUP);
  assert_int_equal(dtw_ros_expand_name("x", "twin", out, sizeof out, err, sizeof err), DTW_EINVAL);
  char small[8];
  assert_int_equal(dtw_ros_expand_name("joint_states", "/twin", small, sizeof small, err,
                                       sizeof err),
                   DTW_ERANGE);
}

static void test_remap(void **state) {
  (void)state;
  dtw_ros_remap_t rules[3];
  char out[DTW_ROS_NAME_BUF], err[256];
  assert_int_equal(dtw_ros_remap_parse("joint_states:=/robot/joint_states", &rules[0], err,
                                       sizeof err),
                   0);
  assert_string_equal(rules[0].from, "joint_states");
  assert_string_equal(rules[0].to, "/robot/joint_states");
  assert_int_equal(dtw_ros_remap_parse("other:/cmd:=/x", &rules[1], err, sizeof err), 0);
  assert_string_equal(rules[1].node, "other");
  assert_int_equal(dtw_ros_remap_parse("__ns:=/x", &rules[2], err, sizeof err), DTW_EUNSUP);
  assert_int_equal(dtw_ros_remap_parse("noassign", &rules[2], err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "expected 'from:=to'"));
  assert_int_equal(dtw_ros_remap_parse("a:=b:=c", &rules[2], err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_ros_remap_parse("a:=9b", &rules[2], err, sizeof err), DTW_EINVAL);

  /* relative 'from' is expanded with the node namespace */
  assert_int_equal(dtw_ros_remap_apply(rules, 2, "/twin/joint_states", "twin", "/twin", out,
                                       sizeof out, err, sizeof err),
                   1);
  assert_string_equal(out, "/robot/joint_states");
  /* other namespace: no match */
  assert_int_equal(dtw_ros_remap_apply(rules, 2, "/joint_states", "twin", "/twin", out,
                                       sizeof out, err, sizeof err),
                   0);
  assert_string_equal(out, "/joint_states");
  /* node-specific rule only for that node */
  assert_int_equal(dtw_ros_remap_apply(rules, 2, "/cmd", "twin", "/", out, sizeof out, err,
                                       sizeof err),
                   0);
  assert_int_equal(dtw_ros_remap_apply(rules, 2, "/cmd", "other", "/", out, sizeof out, err,
                                       sizeof err),
                   1);
  assert_string_equal(out, "/x");
}

static void test_dds_names(void **state) {
  (void)state;
  char a[DTW_ROS_NAME_BUF], b[DTW_ROS_NAME_BUF], err[256];
  dtw_ros_dds_kind_t kind;
  assert_int_equal(dtw_ros_topic_to_dds("/a/b", a, sizeof a, err, sizeof err), 0);
  assert_string_equal(a, "rt/a/b");
  assert_int_equal(dtw_ros_topic_to_dds("a/b", a, sizeof a, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_ros_service_to_dds("/twin/reset", a, sizeof a, b, sizeof b, err,
                                          sizeof err),
                   0);
  assert_string_equal(a, "rq/twin/resetRequest");
  assert_string_equal(b, "rr/twin/resetReply");

  const char *types[][2] = {
      {"sensor_msgs/msg/JointState", "sensor_msgs::msg::dds_::JointState_"},
      {"sensor_msgs/JointState", "sensor_msgs::msg::dds_::JointState_"},
      {"rosgraph_msgs/msg/Clock", "rosgraph_msgs::msg::dds_::Clock_"},
  };
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(dtw_ros_type_to_dds(types[i][0], a, sizeof a, err, sizeof err), 0);
    assert_string_equal(a, types[i][1]);
  }
  assert_int_equal(dtw_ros_type_to_dds("JointState", a, sizeof a, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_ros_type_to_dds("a/srv/B", a, sizeof a, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_ros_type_to_dds("a/msg/B/C", a, sizeof a, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_ros_type_to_dds("a/msg/B-C", a, sizeof a, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_ros_srv_type_to_dds("std_srvs/srv/Trigger", a, sizeof a, b, sizeof b, err,
                                           sizeof err),
                   0);
  assert_string_equal(a, "std_srvs::srv::dds_::Trigger_Request_");
  assert_string_equal(b, "std_srvs::srv::dds_::Trigger_Response_");
  assert_int_equal(dtw_ros_srv_type_to_dds("std_srvs/Trigger", a, sizeof a, b, sizeof b, err,
                                           sizeof err),
                   0);
  assert_string_equal(a, "std_srvs::srv::dds_::Trigger_Request_");

  /* reverse, for topic lists */
  assert_int_equal(dtw_ros_topic_from_dds("rt/a/b", a, sizeof a, &kind, err, sizeof err), 0);
  assert_string_equal(a, "/a/b");
  assert_int_equal(kind, DTW_ROS_DDS_TOPIC);
  assert_int_equal(
      dtw_ros_topic_from_dds("rq/twin/resetRequest", a, sizeof a, &kind, err, sizeof err), 0);
  assert_string_equal(a, "/twin/reset");
  assert_int_equal(kind, DTW_ROS_DDS_REQUEST);
  assert_int_equal(dtw_ros_topic_from_dds("rr/twin/resetReply", a, sizeof a, &kind, err,
                                          sizeof err),
                   0);
  assert_string_equal(a, "/twin/reset");
  assert_int_equal(kind, DTW_ROS_DDS_REPLY);
  assert_int_equal(dtw_ros_topic_from_dds("ros_discovery_info", a, sizeof a, &kind, err,
                                          sizeof err),
                   DTW_ENOENT);
  assert_int_equal(dtw_ros_type_from_dds("sensor_msgs::msg::dds_::JointState_", a, sizeof a,
                                         &kind, err, sizeof err),
                   0);
  assert_string_equal(a, "sensor_msgs/msg/JointState");
  assert_int_equal(dtw_ros_type_from_dds("std_srvs::srv::dds_::Trigger_Response_", a, sizeof a,
                                         &kind, err, sizeof err),
                   0);
  assert_string_equal(a, "std_srvs/srv/Trigger");
  assert_int_equal(kind, DTW_ROS_DDS_REPLY);
  assert_int_equal(dtw_ros_type_from_dds("DDS::Foo", a, sizeof a, &kind, err, sizeof err),
                   DTW_ENOENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_names),
      cmocka_unit_test(test_relative_names),
      cmocka_unit_test(test_node_names_and_namespaces),
      cmocka_unit_test(test_expand),
      cmocka_unit_test(test_remap),
      cmocka_unit_test(test_dds_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
