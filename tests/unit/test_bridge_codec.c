/* The ROS-TCP-Endpoint frame codec and command parser (pure functions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtw/bridge.h"
#include "dtw/err.h"

/* Build a frame by hand (independently of the encoder). */
static size_t mk(uint8_t *out, const void *dest, uint32_t dl, const void *pl, uint32_t plen) {
  out[0] = (uint8_t)dl;
  out[1] = (uint8_t)(dl >> 8);
  out[2] = (uint8_t)(dl >> 16);
  out[3] = (uint8_t)(dl >> 24);
  memcpy(out + 4, dest, dl);
  uint8_t *p = out + 4 + dl;
  p[0] = (uint8_t)plen;
  p[1] = (uint8_t)(plen >> 8);
  p[2] = (uint8_t)(plen >> 16);
  p[3] = (uint8_t)(plen >> 24);
  memcpy(p + 4, pl, plen);
  return 8 + dl + plen;
}

static void test_decode_whole_and_every_prefix(void **state) {
  (void)state;
  uint8_t buf[128];
  const uint8_t payload[] = {0, 1, 0, 0, 42, 0, 0, 0};
  size_t len = mk(buf, "/twin/joint_states", 18, payload, sizeof payload);
  dtw_bridge_frame_t f;
  size_t used = 99;
  for (size_t k = 0; k < len; k++) {
    assert_int_equal(dtw_bridge_frame_decode(buf, k, 1024, &f, &used, NULL, 0), 0);
    assert_int_equal(used, 0);
  }
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, NULL, 0), 1);
  assert_int_equal(used, len);
  assert_int_equal(f.dest_len, 18);
  assert_memory_equal(f.dest, "/twin/joint_states", 18);
  assert_int_equal(f.payload_len, sizeof payload);
  assert_memory_equal(f.payload, payload, sizeof payload);
}

static void test_decode_nul_rules(void **state) {
  (void)state;
  uint8_t buf[128];
  dtw_bridge_frame_t f;
  size_t used;
  char err[128];
  /* Unity (ROS 2 mode) counts a trailing NUL: stripped */
  size_t len = mk(buf, "__subscribe\0", 12, "{}", 2);
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, NULL, 0), 1);
  assert_int_equal(f.dest_len, 11);
  assert_memory_equal(f.dest, "__subscribe", 11);
  /* not required */
  len = mk(buf, "__subscribe", 11, "{}", 2);
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, NULL, 0), 1);
  assert_int_equal(f.dest_len, 11);
  /* only one trailing NUL is stripped; any other NUL is malformed */
  len = mk(buf, "__sub\0\0", 7, "", 0);
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, err, sizeof err),
                   DTW_EPARSE);
  assert_non_null(strstr(err, "NUL"));
  len = mk(buf, "a\0b", 3, "", 0);
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, NULL, 0), DTW_EPARSE);
  /* a lone NUL destination is an empty destination (keepalive-like) */
  len = mk(buf, "\0", 1, "", 0);
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, NULL, 0), 1);
  assert_int_equal(f.dest_len, 0);
}

static void test_decode_keepalive_and_sequence(void **state) {
  (void)state;
  uint8_t buf[256];
  size_t len = mk(buf, "", 0, "", 0);
  assert_int_equal(len, 8);
  len += mk(buf + len, "/a", 2, "xyz", 3);
  dtw_bridge_frame_t f;
  size_t used, off = 0;
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 16, &f, &used, NULL, 0), 1);
  assert_int_equal(used, 8);
  assert_int_equal(f.dest_len, 0);
  assert_int_equal(f.payload_len, 0);
  off += used;
  assert_int_equal(dtw_bridge_frame_decode(buf + off, len - off, 16, &f, &used, NULL, 0), 1);
  assert_int_equal(f.payload_len, 3);
  off += used;
  assert_int_equal(off, len);
}

static void test_decode_limits_known_early(void **state) {
  (void)state;
  uint8_t buf[64] = {0};
  dtw_bridge_frame_t f;
  size_t used;
  char err[128];
  /* destination length past the limit: refused from the first 4 bytes */
  uint32_t big = DTW_BRIDGE_DEST_MAX + 1;
  memcpy(buf, &(uint8_t[4]){(uint8_t)big, (uint8_t)(big >> 8), 0, 0}, 4);
  assert_int_equal(dtw_bridge_frame_decode(buf, 4, 1024, &f, &used, err, sizeof err), DTW_EFULL);
  assert_non_null(strstr(err, "destination length"));
  /* 0xffffffff */
  memset(buf, 0xff, 4);
  assert_int_equal(dtw_bridge_frame_decode(buf, 4, 1024, &f, &used, NULL, 0), DTW_EFULL);
  /* payload length past the limit: refused before the payload arrives */
  size_t len = mk(buf, "/t", 2, "", 0);
  buf[len - 4] = 0x01;
  buf[len - 3] = 0x04; /* 1025 */
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, err, sizeof err),
                   DTW_EFULL);
  assert_non_null(strstr(err, "payload length 1025"));
  /* exactly at the limit: fine (needs the bytes) */
  buf[len - 3] = 0x04;
  buf[len - 4] = 0x00; /* 1024 */
  assert_int_equal(dtw_bridge_frame_decode(buf, len, 1024, &f, &used, NULL, 0), 0);
}

static void test_encode_roundtrip(void **state) {
  (void)state;
  uint8_t buf[64], hand[64];
  int n = dtw_bridge_frame_encode(buf, sizeof buf, "__topic_list", "{}", 2);
  assert_int_equal(n, 8 + 12 + 2);
  size_t h = mk(hand, "__topic_list", 12, "{}", 2);
  assert_int_equal((size_t)n, h);
  assert_memory_equal(buf, hand, h);
  assert_int_equal(dtw_bridge_frame_encode(buf, 21, "__topic_list", "{}", 2), DTW_EFULL);
  assert_int_equal(dtw_bridge_frame_size(3, 5), 16);
  uint8_t head[32];
  assert_int_equal(dtw_bridge_frame_head(head, "/x", 2, 300), 10);
  assert_int_equal(head[6], 300 & 0xff);
  assert_int_equal(head[7], 1);
}

static int parse(const char *dest, const char *json, dtw_bridge_cmd_t *cmd, char *err) {
  return dtw_bridge_cmd_parse(dest, strlen(dest), (const uint8_t *)json, json ? strlen(json) : 0,
                              cmd, err, 256);
}

static void test_cmd_every_command(void **state) {
  (void)state;
  dtw_bridge_cmd_t cmd;
  char err[256];
  assert_int_equal(parse("__subscribe", "{\"topic\":\"/twin/joint_states\","
                                        "\"message_name\":\"sensor_msgs/JointState\"}",
                         &cmd, err), 0);
  assert_int_equal(cmd.kind, DTW_BRIDGE_CMD_SUBSCRIBE);
  assert_string_equal(cmd.topic, "/twin/joint_states");
  assert_string_equal(cmd.message_name, "sensor_msgs/JointState");
  assert_int_equal(parse("__publish", "{\"topic\":\"/t\",\"message_name\":\"std_msgs/String\","
                                      "\"queue_size\":10,\"latch\":true}",
                         &cmd, err), 0);
  assert_int_equal(cmd.kind, DTW_BRIDGE_CMD_PUBLISH);
  assert_int_equal(cmd.queue_size, 10);
  assert_true(cmd.latch);
  assert_int_equal(parse("__ros_service", "{\"topic\":\"/twin/reset\","
                                          "\"message_name\":\"std_srvs/Trigger\"}", &cmd, err), 0);
  assert_int_equal(cmd.kind, DTW_BRIDGE_CMD_ROS_SERVICE);
  assert_int_equal(parse("__unity_service", "{\"topic\":\"/unity/x\","
                                            "\"message_name\":\"std_srvs/Trigger\"}", &cmd, err), 0);
  assert_int_equal(cmd.kind, DTW_BRIDGE_CMD_UNITY_SERVICE);
  assert_int_equal(parse("__request", "{\"srv_id\":101}", &cmd, err), 0);
  assert_int_equal(cmd.kind, DTW_BRIDGE_CMD_REQUEST);
  assert_int_equal(cmd.srv_id, 101);
  assert_int_equal(parse("__response", "{\"srv_id\":1001}", &cmd, err), 0);
  assert_int_equal(cmd.kind, DTW_BRIDGE_CMD_RESPONSE);
  assert_int_equal(cmd.srv_id, 1001);
  assert_int_equal(parse("__topic_list", "{}", &cmd, err), 0);
  assert_int_equal(cmd.kind, DTW_BRIDGE_CMD_TOPIC_LIST);
  assert_int_equal(parse("__topic_list", "", &cmd, err), 0); /* empty body = {} */
  const char *removes[] = {"__remove_subscriber", "__remove_publisher", "__remove_ros_service",
                           "__remove_unity_service"};
  const int kinds[] = {DTW_BRIDGE_CMD_REMOVE_SUBSCRIBER, DTW_BRIDGE_CMD_REMOVE_PUBLISHER,
                       DTW_BRIDGE_CMD_REMOVE_ROS_SERVICE, DTW_BRIDGE_CMD_REMOVE_UNITY_SERVICE};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(parse(removes[i], "{\"topic\":\"/t\"}", &cmd, err), 0);
    assert_int_equal(cmd.kind, kinds[i]);
    assert_string_equal(cmd.topic, "/t");
    assert_int_equal(parse(removes[i], "{}", &cmd, err), DTW_EPARSE);
  }
  for (int k = 1; k < DTW_BRIDGE_CMD_COUNT; k++) {
    const char *name = dtw_bridge_cmd_name(k);
    assert_int_equal(dtw_bridge_cmd_lookup(name, strlen(name)), k);
  }
  assert_string_equal(dtw_bridge_cmd_name(0), "");
  assert_string_equal(dtw_bridge_cmd_name(DTW_BRIDGE_CMD_COUNT), "");
}

static void test_cmd_trailing_nul(void **state) {
  (void)state;
  dtw_bridge_cmd_t cmd;
  const char body[] = "{\"srv_id\":7}"; /* sizeof includes the NUL, as Unity sends it */
  assert_int_equal(dtw_bridge_cmd_parse("__request", 9, (const uint8_t *)body, sizeof body, &cmd,
                                        NULL, 0), 0);
  assert_int_equal(cmd.srv_id, 7);
  const char two[] = "{\"srv_id\":7}\0"; /* two NULs: the second one is inside the body */
  assert_int_equal(dtw_bridge_cmd_parse("__request", 9, (const uint8_t *)two, sizeof two, &cmd,
                                        NULL, 0), DTW_EPARSE);
}

static void test_cmd_malformed(void **state) {
  (void)state;
  dtw_bridge_cmd_t cmd;
  char err[256];
  assert_int_equal(parse("__subscribe", "{\"topic\":", &cmd, err), DTW_EPARSE);
  assert_non_null(strstr(err, "not JSON"));
  assert_int_equal(parse("__subscribe", "[1,2]", &cmd, err), DTW_EPARSE);
  assert_int_equal(parse("__subscribe", "{\"message_name\":\"a/B\"}", &cmd, err), DTW_EPARSE);
  assert_non_null(strstr(err, "topic"));
  assert_int_equal(parse("__subscribe", "{\"topic\":\"/t\"}", &cmd, err), DTW_EPARSE);
  assert_non_null(strstr(err, "message_name"));
  assert_int_equal(parse("__subscribe", "{\"topic\":5,\"message_name\":\"a/B\"}", &cmd, err),
                   DTW_EPARSE);
  assert_int_equal(parse("__subscribe", "{\"topic\":\"\",\"message_name\":\"a/B\"}", &cmd, err),
                   DTW_EPARSE);
  assert_int_equal(parse("__subscribe", "", &cmd, err), DTW_EPARSE);
  assert_int_equal(parse("__request", "{}", &cmd, err), DTW_EPARSE);
  assert_int_equal(parse("__request", "{\"srv_id\":-1}", &cmd, err), DTW_EPARSE);
  assert_int_equal(parse("__request", "{\"srv_id\":1.5}", &cmd, err), DTW_EPARSE);
  assert_int_equal(parse("__request", "{\"srv_id\":\"3\"}", &cmd, err), DTW_EPARSE);
  assert_int_equal(parse("__request", "{\"srv_id\":1e300}", &cmd, err), DTW_EPARSE);
  char long_topic[400];
  memset(long_topic, 'a', sizeof long_topic);
  long_topic[0] = '/';
  long_topic[sizeof long_topic - 1] = '\0';
  char json[600];
  snprintf(json, sizeof json, "{\"topic\":\"%s\",\"message_name\":\"a/B\"}", long_topic);
  assert_int_equal(parse("__subscribe", json, &cmd, err), DTW_EPARSE);
  assert_non_null(strstr(err, "longer"));
  /* unknown command, and a non-command destination */
  assert_int_equal(parse("__bogus", "{}", &cmd, err), DTW_EUNSUP);
  assert_non_null(strstr(err, "__bogus"));
  assert_int_equal(dtw_bridge_cmd_lookup("__bogus", 7), DTW_EUNSUP);
  assert_int_equal(parse("/twin/joint_states", "{}", &cmd, err), DTW_EINVAL);
  assert_int_equal(dtw_bridge_cmd_lookup("/x", 2), DTW_BRIDGE_CMD_NONE);
  assert_int_equal(dtw_bridge_cmd_lookup("_", 1), DTW_BRIDGE_CMD_NONE);
  /* prefix of a command is not that command */
  assert_int_equal(dtw_bridge_cmd_lookup("__subscrib", 10), DTW_EUNSUP);
}

static void test_type_names(void **state) {
  (void)state;
  char out[128];
  assert_int_equal(dtw_bridge_type_canonical("sensor_msgs/JointState", false, out, sizeof out), 0);
  assert_string_equal(out, "sensor_msgs/msg/JointState");
  assert_int_equal(dtw_bridge_type_canonical("std_srvs/Trigger", true, out, sizeof out), 0);
  assert_string_equal(out, "std_srvs/srv/Trigger");
  assert_int_equal(dtw_bridge_type_canonical("sensor_msgs/msg/JointState", false, out, sizeof out),
                   0);
  assert_string_equal(out, "sensor_msgs/msg/JointState");
  assert_int_equal(dtw_bridge_type_canonical("JointState", false, out, sizeof out), DTW_EPARSE);
  assert_int_equal(dtw_bridge_type_canonical("/JointState", false, out, sizeof out), DTW_EPARSE);
  assert_int_equal(dtw_bridge_type_canonical("a/b/c/d", false, out, sizeof out), DTW_EPARSE);
  assert_int_equal(dtw_bridge_type_canonical("a//c", false, out, sizeof out), DTW_EPARSE);
  assert_int_equal(dtw_bridge_type_canonical("sensor_msgs/JointState", false, out, 8), DTW_EFULL);
  assert_int_equal(dtw_bridge_type_short("sensor_msgs/msg/JointState", out, sizeof out), 0);
  assert_string_equal(out, "sensor_msgs/JointState");
  assert_int_equal(dtw_bridge_type_short("std_msgs/String", out, sizeof out), 0);
  assert_string_equal(out, "std_msgs/String");
}

static void test_json_out(void **state) {
  (void)state;
  char buf[256];
  int n = dtw_bridge_json_handshake(buf, sizeof buf);
  assert_true(n > 0);
  assert_string_equal(buf, "{\"version\":\"v0.7.0\",\"metadata\":\"{\\\"protocol\\\": \\\"ROS2\\\"}\"}");
  assert_int_equal(dtw_bridge_json_handshake(buf, 10), DTW_EFULL);
  n = dtw_bridge_json_text(buf, sizeof buf, "unknown type \"x\"\n");
  assert_string_equal(buf, "{\"text\":\"unknown type \\\"x\\\"\\n\"}");
  assert_int_equal(n, (int)strlen(buf));
  n = dtw_bridge_json_srv_id(buf, sizeof buf, 1001);
  assert_string_equal(buf, "{\"srv_id\":1001}");
  const char *topics[] = {"/twin/joint_states", "/clock"};
  const char *types[] = {"sensor_msgs/msg/JointState", "rosgraph_msgs/msg/Clock"};
  char *json = NULL;
  size_t len = 0;
  assert_int_equal(dtw_bridge_json_topic_list(topics, types, 2, &json, &len), 0);
  assert_string_equal(json, "{\"topics\":[\"/twin/joint_states\",\"/clock\"],"
                            "\"types\":[\"sensor_msgs/JointState\",\"rosgraph_msgs/Clock\"]}");
  assert_int_equal(len, strlen(json));
  free(json);
  assert_int_equal(dtw_bridge_json_topic_list(NULL, NULL, 0, &json, &len), 0);
  assert_string_equal(json, "{\"topics\":[],\"types\":[]}");
  free(json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_whole_and_every_prefix),
      cmocka_unit_test(test_decode_nul_rules),
      cmocka_unit_test(test_decode_keepalive_and_sequence),
      cmocka_unit_test(test_decode_limits_known_early),
      cmocka_unit_test(test_encode_roundtrip),
      cmocka_unit_test(test_cmd_every_command),
      cmocka_unit_test(test_cmd_trailing_nul),
      cmocka_unit_test(test_cmd_malformed),
      cmocka_unit_test(test_type_names),
      cmocka_unit_test(test_json_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
