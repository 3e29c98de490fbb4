/* Robot emulator: a recorded robot's JointStates (MCAP) as replay rows: topic
 * choice, names matched to the model, unknown ones reported, missing joints
 * carried, times from stamps (log time when unstamped), out-of-order skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/err.h"
#include "dtw/mcap.h"
#include "dtw/ros_cdr.h"
#include "robot/robot__emu.h"

static const char *const k_known[] = {"left_knee", "right_knee", "left_elbow"};
#define N_KNOWN (sizeof k_known / sizeof k_known[0])

typedef struct js_spec {
  const char *topic;
  double stamp_s; /* 0: unstamped */
  uint64_t log_ns;
  const char *names[4];
  double pos[4];
  int n, n_vel;
} js_spec_t;

static char g_path[256];

static void write_file(const js_spec_t *msgs, size_t n) {
  snprintf(g_path, sizeof g_path, "/tmp/test_robot_replay_mcap_%d.mcap", (int)getpid());
  dtw_mcap_write_options_t o;
  dtw_mcap_write_options_default(&o);
  char err[256];
  dtw_mcap_writer_t *w = NULL;
  uint16_t sid, ch[3] = {0}, sid_str, ch_str = 0;
  assert_int_equal(dtw_mcap_writer_open(g_path, &o, &w, err, sizeof err), 0);
  assert_int_equal(dtw_mcap_add_schema(w, "sensor_msgs/msg/JointState", "ros2msg", "x", 1, &sid, err, sizeof err), 0);
  assert_int_equal(dtw_mcap_add_schema(w, "std_msgs/msg/String", "ros2msg", "x", 1, &sid_str, err, sizeof err), 0);
  /* channels of the topics that have messages, as rosbag2 writes them */
  const char *topics[] = {"/joint_states", "/robot/joint_states", "/twin/joint_states"};
  bool used[4] = {false};
  for (size_t i = 0; i < n; i++)
    for (int t = 0; t < 3; t++) used[t] |= !strcmp(msgs[i].topic, topics[t]);
  for (size_t i = 0; i < n; i++) used[3] |= !strcmp(msgs[i].topic, "/chatter");
  for (int i = 0; i < 3; i++)
    if (used[i])
      assert_int_equal(dtw_mcap_add_channel(w, sid, topics[i], "cdr", NULL, 0, &ch[i], err, sizeof err), 0);
  if (used[3])
    assert_int_equal(dtw_mcap_add_channel(w, sid_str, "/chatter", "cdr", NULL, 0, &ch_str, err, sizeof err), 0);
  static dtw_joint_state_msg_t js;
  static uint8_t buf[8192];
  for (size_t i = 0; i < n; i++) {
    memset(&js, 0, sizeof js);
    js.stamp = dtw_time_from_s(msgs[i].stamp_s);
    js.n_name = js.n_position = (size_t)msgs[i].n;
    js.n_velocity = (size_t)msgs[i].n_vel;
    for (int k = 0; k < msgs[i].n; k++) {
      snprintf(js.name[k], DTW_NAME_MAX, "%s", msgs[i].names[k]);
      js.position[k] = msgs[i].pos[k];
      js.velocity[k] = 10 * msgs[i].pos[k];
    }
    int len = dtw_cdr_encode_joint_state(&js, buf, sizeof buf);
    assert_true(len > 0);
    uint16_t c = !strcmp(msgs[i].topic, "/chatter") ? ch_str : ch[0];
    for (int t = 0; t < 3; t++)
      if (!strcmp(msgs[i].topic, topics[t])) c = ch[t];
    assert_int_equal(dtw_mcap_write_message(w, c, (uint32_t)i, msgs[i].log_ns, msgs[i].log_ns, buf,
                                            (size_t)len, err, sizeof err), 0);
  }
  assert_int_equal(dtw_mcap_writer_close(w, err, sizeof err), 0);
}

static void test_rows_names_times(void **state) {
  (void)state;
  const js_spec_t msgs[] = {
      {"/robot/joint_states", 5.0, 100, {"left_knee", "wrist_x", "right_knee"}, {0.1, 9, 0.2}, 3, 3},
      {"/twin/joint_states", 5.0, 101, {"left_knee"}, {7}, 1, 0},
      {"/chatter", 0, 102, {"x"}, {0}, 1, 0},
      {"/robot/joint_states", 5.01, 200, {"right_knee"}, {0.3}, 1, 1}, /* left_knee carried */
      {"/robot/joint_states", 5.01, 300, {"left_knee", "right_knee"}, {1, 1}, 2, 2}, /* same stamp */
      {"/robot/joint_states", 5.03, 400, {"left_knee", "right_knee"}, {0.4, 0.5}, 2, 2},
  };
  write_file(msgs, sizeof msgs / sizeof msgs[0]);
  dtw__replay_t r;
  char err[512] = "", note[512] = "";
  /* several JointState topics and no /joint_states: name one */
  assert_int_equal(dtw__replay_load_mcap(g_path, NULL, k_known, N_KNOWN, &r, note, sizeof note, err, sizeof err), DTW_ENOENT);
  assert_non_null(strstr(err, "several JointState topics"));
  assert_non_null(strstr(err, "/robot/joint_states"));
  assert_int_equal(dtw__replay_load_mcap(g_path, "/nope", k_known, N_KNOWN, &r, note, sizeof note, err, sizeof err), DTW_ENOENT);
  assert_non_null(strstr(err, "no topic '/nope'"));
  assert_int_equal(dtw__replay_load_mcap(g_path, "/chatter", k_known, N_KNOWN, &r, note, sizeof note, err, sizeof err), DTW_EINVAL);

  assert_int_equal(dtw__replay_load_mcap(g_path, "/robot/joint_states", k_known, N_KNOWN, &r, note, sizeof note, err, sizeof err), 0);
  assert_int_equal(r.n_joints, 2);
  assert_string_equal(r.names[0], "left_knee");
  assert_string_equal(r.names[1], "right_knee");
  assert_int_equal(r.model_index[1], 1);
  assert_int_equal(r.n_rows, 3); /* the repeated stamp is skipped */
  assert_true(r.has_velocity);
  assert_float_equal(r.time_s[0], 0.0, 1e-9);
  assert_float_equal(r.time_s[1], 0.01, 1e-6);
  assert_float_equal(r.time_s[2], 0.03, 1e-6);
  assert_float_equal(r.position[2], 0.1, 1e-12); /* row 1: left_knee carried */
  assert_float_equal(r.position[3], 0.3, 1e-12);
  assert_float_equal(r.velocity[3], 3.0, 1e-12);
  assert_float_equal(r.position[4], 0.4, 1e-12);
  assert_non_null(strstr(note, "3 samples of 2 joints"));
  assert_non_null(strstr(note, "wrist_x"));
  assert_non_null(strstr(note, "out of order"));
  dtw__replay_fini(&r);
  unlink(g_path);
}

static void test_default_topic_unstamped_unknown(void **state) {
  (void)state;
  const js_spec_t msgs[] = {
      {"/joint_states", 0, 1000000000, {"left_elbow"}, {0.5}, 1, 0},
      {"/joint_states", 0, 1020000000, {"left_elbow"}, {0.6}, 1, 0},
      {"/twin/joint_states", 1, 1030000000, {"left_elbow"}, {0.6}, 1, 0},
  };
  write_file(msgs, 3);
  dtw__replay_t r;
  char err[512] = "", note[512] = "";
  assert_int_equal(dtw__replay_load_mcap(g_path, "", k_known, N_KNOWN, &r, note, sizeof note, err, sizeof err), 0);
  assert_int_equal(r.n_rows, 2);
  assert_false(r.has_velocity);
  assert_float_equal(r.time_s[1], 0.02, 1e-9); /* log time: no stamps */
  dtw__replay_fini(&r);
  const char *const none[] = {"other"};
  assert_int_equal(dtw__replay_load_mcap(g_path, "", none, 1, &r, note, sizeof note, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "no joint of the model"));
  assert_non_null(strstr(err, "left_elbow"));
  unlink(g_path);
  assert_int_equal(dtw__replay_load_mcap("/nonexistent/x.mcap", "", k_known, N_KNOWN, &r, note, sizeof note, err, sizeof err), DTW_EIO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows_names_times),
      cmocka_unit_test(test_default_topic_unstamped_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
