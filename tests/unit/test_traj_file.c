/* Motion files: every shipped motion loads, validates against the demo
 * humanoid's joint table and plays within limits; each error has its line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/err.h"
#include "dtw/jtc.h"
#include "dtw/traj_file.h"

#define NJ 23
static dtw_joint_desc_t joints[NJ];
static char err[512];

/* The demo humanoid's joint contract (names, limits, efforts, velocities). */
static void make_humanoid(void) {
  static const struct {
    const char *name;
    double lo, hi, effort, vel;
  } t[NJ] = {
      {"left_hip_yaw", -0.8, 0.8, 150, 8},        {"left_hip_roll", -0.6, 0.6, 150, 8},
      {"left_hip_pitch", -2.0, 0.8, 150, 8},      {"left_knee", 0.0, 2.4, 200, 8},
      {"left_ankle_pitch", -1.0, 1.0, 100, 8},    {"left_ankle_roll", -0.5, 0.5, 100, 8},
      {"right_hip_yaw", -0.8, 0.8, 150, 8},       {"right_hip_roll", -0.6, 0.6, 150, 8},
      {"right_hip_pitch", -2.0, 0.8, 150, 8},     {"right_knee", 0.0, 2.4, 200, 8},
      {"right_ankle_pitch", -1.0, 1.0, 100, 8},   {"right_ankle_roll", -0.5, 0.5, 100, 8},
      {"torso_yaw", -1.0, 1.0, 150, 8},           {"left_shoulder_pitch", -3.0, 1.5, 60, 10},
      {"left_shoulder_roll", -1.6, 1.6, 60, 10},  {"left_shoulder_yaw", -1.5, 1.5, 60, 10},
      {"left_elbow", 0.0, 2.5, 40, 10},           {"right_shoulder_pitch", -3.0, 1.5, 60, 10},
      {"right_shoulder_roll", -1.6, 1.6, 60, 10}, {"right_shoulder_yaw", -1.5, 1.5, 60, 10},
      {"right_elbow", 0.0, 2.5, 40, 10},          {"neck_yaw", -1.2, 1.2, 10, 6},
      {"neck_pitch", -0.6, 0.8, 10, 6},
  };
  memset(joints, 0, sizeof joints);
  for (int k = 0; k < NJ; k++) {
    snprintf(joints[k].name, DTW_NAME_MAX, "%s", t[k].name);
    joints[k].type = DTW_JOINT_REVOLUTE;
    joints[k].limited = true;
    joints[k].lower = t[k].lo, joints[k].upper = t[k].hi;
    joints[k].effort = t[k].effort, joints[k].velocity = t[k].vel;
  }
}

static const char *src_dir(void) {
  const char *s = getenv("DTW_SOURCE_DIR");
  return s ? s : "../..";
}

/* Play msg through a controller made from the shipped config with a perfect
 * plant (q follows the desired state); check limits all the way. Returns the
 * motion's duration. */
static double play(const char *name, const dtw_joint_trajectory_msg_t *msg) {
  char cpath[4096];
  snprintf(cpath, sizeof cpath, "%s/config/digital_twin_controllers.yaml", src_dir());
  dtw_jtc_config_t cfg;
  if (dtw_jtc_config_load(cpath, NULL, &cfg, err, sizeof err) != 0) fail_msg("%s", err);
  dtw_jtc_t *j = NULL;
  if (dtw_jtc_create(&cfg, joints, NJ, &j, err, sizeof err) != 0) fail_msg("%s", err);
  double q[NJ] = {0}, qd[NJ] = {0}, u[NJ];
  dtw_jtc_update(j, 0.0, q, qd, u);
  if (dtw_jtc_accept(j, msg, 0.0, err, sizeof err) != 0) fail_msg("%s: %s", name, err);
  double end = dtw_duration_to_s(msg->points[msg->n_points - 1].time_from_start);
  dtw_jtc_state_t s;
  for (int i = 1; i * 1e-3 <= end + 0.01; i++) {
    dtw_jtc_update(j, i * 1e-3, q, qd, u);
    dtw_jtc_get_state(j, &s);
    for (int k = 0; k < NJ; k++) {
      const dtw_joint_desc_t *jd = &joints[k];
      double p = s.desired_pos[k], v = s.desired_vel[k];
      if (p < jd->lower - 1e-6 || p > jd->upper + 1e-6)
        fail_msg("%s: t=%.3f %s at %.4f outside [%g, %g]", name, i * 1e-3, jd->name, p,
                 jd->lower, jd->upper);
      if (fabs(v) > jd->velocity)
        fail_msg("%s: t=%.3f %s at %.3f rad/s above %g", name, i * 1e-3, jd->name, v,
                 jd->velocity);
      q[k] = p, qd[k] = v;
    }
  }
  assert_int_equal(s.status, DTW_JTC_SUCCEEDED);
  dtw_jtc_destroy(j);
  return end;
}

static void test_shipped_motions(void **state) {
  (void)state;
  make_humanoid();
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/config/motions", src_dir());
  DIR *d = opendir(dir);
  assert_non_null(d);
  dtw_jtc_config_t cfg;
  dtw_jtc_config_defaults(&cfg);
  cfg.allow_partial_joints_goal = true;
  cfg.n_joints = NJ;
  for (int k = 0; k < NJ; k++)
    memcpy(cfg.joints[k].name, joints[k].name, sizeof cfg.joints[k].name);
  int files = 0;
  bool have_demo = false;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    dtw_joint_trajectory_msg_t msg = {0};
    int rc = dtw_traj_file_load(path, &msg, err, sizeof err);
    if (rc != 0) fail_msg("%s", err);
    rc = dtw_jtc_validate(&msg, joints, &cfg, 0.0, NULL, err, sizeof err);
    if (rc != 0) fail_msg("%s: %s", e->d_name, err);
    double end = play(e->d_name, &msg);
    // every motion starts and ends at the zero (standing) pose
    for (size_t m = 0; m < msg.n_joints; m++) {
      assert_true(msg.points[0].positions[m] == 0.0);
      assert_true(msg.points[msg.n_points - 1].positions[m] == 0.0);
    }
    if (strcmp(e->d_name, "demo.yaml") == 0) {
      have_demo = true;
      assert_int_equal(msg.n_joints, NJ);
      assert_true(end >= 8.0 && end <= 10.0);
      assert_true(msg.points[0].n_velocities == NJ);
    }
    dtw_traj_msg_fini(&msg);
    files++;
  }
  closedir(d);
  assert_true(files >= 4);
  assert_true(have_demo);
}

static void test_duration_form_and_fields(void **state) {
  (void)state;
  const char *data = getenv("DTW_TEST_DATA");
  char path[4096];
  snprintf(path, sizeof path, "%s/control/arm_sec_nanosec.yaml", data ? data : "../data");
  dtw_joint_trajectory_msg_t msg = {0};
  int rc = dtw_traj_file_load(path, &msg, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(msg.n_joints, 2);
  assert_string_equal(msg.joint_names[1], "right_shoulder_pitch");
  assert_string_equal(msg.frame_id, "base_link");
  assert_int_equal(msg.n_points, 2);
  assert_int_equal(msg.cap_points, 2);  // sized to the file
  assert_int_equal(msg.points[0].time_from_start.sec, 1);
  assert_int_equal(msg.points[0].time_from_start.nanosec, 250000000);
  assert_int_equal(msg.points[1].time_from_start.sec, 2);
  assert_int_equal(msg.points[1].time_from_start.nanosec, 0);
  assert_int_equal(msg.points[0].n_accelerations, 2);
  assert_true(msg.points[0].positions[1] == -0.5);
  assert_true(msg.stamp.sec == 0 && msg.stamp.nanosec == 0);
  // reuse: an initialised message keeps its storage
  assert_int_equal(dtw_traj_file_load(path, &msg, err, sizeof err), 0);
  assert_int_equal(msg.cap_points, 2);
  dtw_traj_msg_fini(&msg);
  // too small a message is refused, not grown
  assert_int_equal(dtw_traj_msg_init(&msg, 1), 0);
  assert_int_equal(dtw_traj_file_load(path, &msg, err, sizeof err), DTW_EFULL);
  assert_non_null(strstr(err, ":5: points: 2 points, the message holds 1"));
  assert_int_equal(msg.n_points, 0);
  dtw_traj_msg_fini(&msg);
}

static void expect_error(const char *text, int code, const char *message) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/tmp/dtw_traj_file_XXXXXX");
  int fd = mkstemp(tmp);
  assert_true(fd >= 0);
  size_t len = strlen(text);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  dtw_joint_trajectory_msg_t msg = {0};
  err[0] = '\0';
  int rc = dtw_traj_file_load(tmp, &msg, err, sizeof err);
  unlink(tmp);
  assert_null(msg.points);  // nothing left allocated on failure
  char want[512];
  snprintf(want, sizeof want, "%s%s", tmp, message);
  if (rc != code || strcmp(err, want) != 0)
    fail_msg("rc %d (want %d)\n got: %s\nwant: %s", rc, code, err, want);
}

#define NAMES "joint_names: [a, b]\npoints:\n"

static void test_errors_with_lines(void **state) {
  (void)state;
  expect_error("points:\n  - {positions: [0], time_from_start: 1}\n", DTW_EPARSE,
               ": joint_names: missing");
  expect_error("joint_names: [a]\n", DTW_EPARSE, ": points: missing");
  expect_error(NAMES "  - {positions: [0], time_from_start: 1}\n", DTW_EPARSE,
               ":3: points[0].positions: 1 values for 2 joint_names");
  expect_error(NAMES "  - {positions: [0, 1], time_from_start: 1}\n"
                     "  - {positions: [0, x], time_from_start: 2}\n",
               DTW_EPARSE, ":4: points[1].positions: 'x' is not a number (expected a number in [-1e+300, "
               "1e+300])");
  expect_error(NAMES "  - {positions: [0, 1]}\n", DTW_EPARSE,
               ":3: points[0]: missing time_from_start");
  expect_error(NAMES "  - {time_from_start: 1}\n", DTW_EPARSE, ":3: points[0]: missing positions");
  expect_error(NAMES "  - {positions: [0, 1], effort: [0, 0], time_from_start: 1}\n", DTW_EPARSE,
               ":3: points[0].effort: unknown key (positions, velocities, accelerations, "
               "time_from_start)");
  expect_error(NAMES "  - positions: [0, 1]\n    velocities: [0]\n    time_from_start: 1\n",
               DTW_EPARSE, ":4: points[0].velocities: 1 values for 2 joint_names");
  expect_error(NAMES "  - {positions: [0, 1], time_from_start: -1}\n", DTW_ERANGE,
               ":3: points[0].time_from_start: -1 is out of range (expected a number in [0, "
               "2147483647])");
  expect_error(NAMES "  - positions: [0, 1]\n    time_from_start: {sec: 1, nanosec: 1e9}\n",
               DTW_EPARSE,
               ":4: points[0].time_from_start.nanosec: 1e9 is not an integer (expected an "
               "integer in [0, 999999999])");
  expect_error(NAMES "  - positions: [0, 1]\n    time_from_start: {sec: 1, ms: 5}\n", DTW_EPARSE,
               ":4: points[0].time_from_start.ms: unknown key (sec, nanosec)");
  expect_error("joint_names: [a, a]\npoints: []\n", DTW_EPARSE,
               ":1: joint_names: 'a' is listed twice");
  expect_error("joint_names: [a]\npoints: []\n", DTW_EPARSE, ":2: points: empty list");
  expect_error("joint_names: [a]\npoints: [1]\n", DTW_EPARSE,
               ":2: points[0]: expected a mapping, got a scalar");
  expect_error("joint_names: [a]\nspeed: 2\npoints: []\n", DTW_EPARSE,
               ":2: speed: unknown key (joint_names, points, frame_id)");
  expect_error("- 1\n", DTW_EPARSE, ": expected a mapping with joint_names and points");
}

static void test_missing_file(void **state) {
  (void)state;
  dtw_joint_trajectory_msg_t msg = {0};
  assert_int_equal(dtw_traj_file_load("/nonexistent/m.yaml", &msg, err, sizeof err), DTW_ENOENT);
  assert_null(msg.points);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shipped_motions),
      cmocka_unit_test(test_duration_form_and_fields),
      cmocka_unit_test(test_errors_with_lines),
      cmocka_unit_test(test_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
