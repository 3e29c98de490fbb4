/* Robot emulator: the CSV recording parser, and each refusal with its line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "robot/robot__emu.h"

static const char *const k_known[] = {"left_knee", "right_knee", "left_elbow", "right_elbow"};
#define N_KNOWN (sizeof k_known / sizeof k_known[0])

static int parse(const char *text, dtw__replay_t *r, char *err, size_t errlen) {
  return dtw__replay_parse(text, strlen(text), "rec.csv", k_known, N_KNOWN, r, err, errlen);
}

static void test_positions_only(void **state) {
  (void)state;
  dtw__replay_t r;
  char err[256] = "";
  const char *csv = "# a recording\n"
                    "time_s, right_knee ,left_elbow\r\n"
                    "0.0,0.1,-0.2\r\n"
                    "\n"
                    "0.01,0.15,-0.25\n"
                    "0.02,2e-1,-3.0E-1"; /* no final newline */
  assert_int_equal(parse(csv, &r, err, sizeof err), 0);
  assert_int_equal(r.n_joints, 2);
  assert_int_equal(r.n_rows, 3);
  assert_false(r.has_velocity);
  assert_null(r.velocity);
  assert_string_equal(r.names[0], "right_knee");
  assert_string_equal(r.names[1], "left_elbow");
  assert_int_equal(r.model_index[0], 1);
  assert_int_equal(r.model_index[1], 2);
  assert_true(r.time_s[2] == 0.02);
  assert_true(r.position[0] == 0.1 && r.position[1] == -0.2);
  assert_true(r.position[4] == 0.2 && r.position[5] == -0.3);
  dtw__replay_fini(&r);
  dtw__replay_fini(&r);
}

static void test_velocity_columns(void **state) {
  (void)state;
  dtw__replay_t r;
  char err[256] = "";
  /* velocity before its position column, and one joint without velocity */
  const char *csv = "time_s,left_knee.velocity,left_knee,right_knee\n"
                    "1.0,0.5,0.1,0.2\n"
                    "1.5,-0.5,0.3,0.4\n";
  assert_int_equal(parse(csv, &r, err, sizeof err), 0);
  assert_int_equal(r.n_joints, 2);
  assert_true(r.has_velocity);
  assert_true(r.position[0] == 0.1 && r.position[1] == 0.2);
  assert_true(r.velocity[0] == 0.5 && r.velocity[1] == 0.0);
  assert_true(r.velocity[2] == -0.5);
  dtw__replay_fini(&r);
}

/* Each refusal names the file and line. */
static void expect_refusal(const char *csv, int code, const char *where, const char *what) {
  dtw__replay_t r;
  char err[512] = "";
  int rc = parse(csv, &r, err, sizeof err);
  print_message("refused: %s\n", err);
  assert_int_equal(rc, code);
  assert_non_null(strstr(err, where));
  assert_non_null(strstr(err, what));
  assert_int_equal(r.n_rows, 0);
  assert_null(r.time_s);
}

static void test_refusals(void **state) {
  (void)state;
  expect_refusal("", DTW_EPARSE, "rec.csv:1:", "missing header");
  expect_refusal("# only a comment\n\n", DTW_EPARSE, "rec.csv:", "missing header");
  expect_refusal("0.0,0.1\n0.1,0.2\n", DTW_EPARSE, "rec.csv:1:", "missing header");
  expect_refusal("time_s\n0.0\n", DTW_EPARSE, "rec.csv:1:", "missing header");
  expect_refusal("# c\ntime_s,left_knee,wrist\n0,0,0\n", DTW_EPARSE, "rec.csv:2:",
                 "unknown joint 'wrist'");
  expect_refusal("time_s,left_knee,left_knee\n0,0,0\n", DTW_EPARSE, "rec.csv:1:", "twice");
  expect_refusal("time_s,left_knee,right_knee.velocity\n0,0,0\n", DTW_EPARSE, "rec.csv:1:",
                 "no position column");
  expect_refusal("time_s,left_knee\n0,0.1\n0.1,abc\n", DTW_EPARSE, "rec.csv:3:",
                 "'abc' is not a number");
  expect_refusal("time_s,left_knee\n0,0.1\n0.1,\n", DTW_EPARSE, "rec.csv:3:", "not a number");
  expect_refusal("time_s,left_knee\n0,nan\n", DTW_EPARSE, "rec.csv:2:", "not a number");
  expect_refusal("time_s,left_knee\n0,0.1\n0.2,0.2\n0.2,0.3\n", DTW_EPARSE, "rec.csv:4:",
                 "times must increase");
  expect_refusal("time_s,left_knee\n0.5,0.1\n0.4,0.2\n", DTW_EPARSE, "rec.csv:3:",
                 "times must increase");
  expect_refusal("time_s,left_knee\n0,0.1,0.3\n", DTW_EPARSE, "rec.csv:2:",
                 "3 cells, the header has 2");
  expect_refusal("time_s,left_knee\n", DTW_EPARSE, "rec.csv:1:", "no rows");
}

static void test_load_example_and_missing_file(void **state) {
  (void)state;
  const char *data = getenv("DTW_TEST_DATA");
  assert_non_null(data);
  char path[1024], err[512];
  static const char *const model[] = {
      "left_hip_yaw",        "left_hip_roll",      "left_hip_pitch",    "left_knee",
      "left_ankle_pitch",    "left_ankle_roll",    "right_hip_yaw",     "right_hip_roll",
      "right_hip_pitch",     "right_knee",         "right_ankle_pitch", "right_ankle_roll",
      "torso_yaw",           "left_shoulder_pitch", "left_shoulder_roll", "left_shoulder_yaw",
      "left_elbow",          "right_shoulder_pitch", "right_shoulder_roll", "right_shoulder_yaw",
      "right_elbow",         "neck_yaw",           "neck_pitch"};
  dtw__replay_t r;
  snprintf(path, sizeof path, "%s/robot/wave_recording.csv", data);
  assert_int_equal(dtw__replay_load(path, model, 23, &r, err, sizeof err), 0);
  assert_true(r.n_rows > 100);
  assert_true(r.n_joints >= 3);
  for (size_t i = 1; i < r.n_rows; i++) assert_true(r.time_s[i] > r.time_s[i - 1]);
  dtw__replay_fini(&r);
  snprintf(path, sizeof path, "%s/robot/bad_joint.csv", data);
  assert_int_equal(dtw__replay_load(path, model, 23, &r, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "bad_joint.csv:2:"));
  assert_non_null(strstr(err, "unknown joint 'right_wrist'"));
  assert_int_equal(dtw__replay_load("/nonexistent/rec.csv", model, 23, &r, err, sizeof err),
                   DTW_ENOENT);
  assert_non_null(strstr(err, "/nonexistent/rec.csv"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_positions_only),
      cmocka_unit_test(test_velocity_columns),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_load_example_and_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
