/* dtwin sim as a ROS 2 node, driven from another process over DDS (loopback,
 * the domain ctest gives this test): joint_states content, a trajectory that
 * is followed, the reset/pause/resume services, set_state, and malformed
 * input that is refused and counted while the twin keeps stepping.
 * Time is the twin's: every wait is for its stamps to reach a value, never a
 * fixed sleep, so a loaded machine only makes the test slower. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/msgs.h"

#define SEC INT64_C(1000000000)
#define TRAJ_TOPIC "/twin/humanoid_joint_trajectory_controller/joint_trajectory"
/* how long a wait may take before the test fails (bounds a failing run only) */
#define WAIT_S 30.0
#define WAIT_NS ((int64_t)WAIT_S * SEC)

static struct {
  th_proc_t sim;
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  dtw_sub_t *js;
  dtw_pub_t *traj, *set_state;
  dtw_joint_state_msg_t msg;
  dtw_joint_trajectory_msg_t t;
} g;

/* Newest joint state within timeout: 1 if one arrived. */
static int latest_js(int64_t timeout_ns) {
  int64_t end = dtw_clock_mono_ns() + timeout_ns;
  int got = 0;
  while (dtw_clock_mono_ns() < end) {
    int rc;
    while ((rc = dtw_sub_take(g.js, &g.msg)) == 1) got = 1;
    if (got) return 1;
    dtw_clock_sleep_ns(SEC / 500);
  }
  return 0;
}

/* The twin's time, from the newest joint state (NAN if none within a second). */
static double twin_time(void) { return latest_js(SEC) ? dtw_time_to_s(g.msg.stamp) : NAN; }

/* Wait until the twin's stamps pass t_s. */
static bool twin_time_past(void *t_s) { return twin_time() > *(double *)t_s; }

static int joint(const char *name) {
  for (size_t i = 0; i < g.msg.n_name; i++)
    if (strcmp(g.msg.name[i], name) == 0) return (int)i;
  return -1;
}

/* Wait until joint `name` is within tol of target; returns the last position seen. */
static double wait_joint(const char *name, double target, double tol, int64_t timeout_ns) {
  int64_t end = dtw_clock_mono_ns() + timeout_ns;
  double q = NAN;
  while (dtw_clock_mono_ns() < end) {
    if (!latest_js(SEC / 10)) continue;
    int j = joint(name);
    if (j < 0) return NAN;
    q = g.msg.position[j];
    if (fabs(q - target) < tol) break;
  }
  return q;
}

static int setup(void **state) {
  (void)state;
  static const char *const args[] = {"sim", "--quiet", "--duration", "280", NULL};
  if (th_spawn(&g.sim, "sim", args) < 0) return -1;
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  if (dtw_bus_create(&opt, &g.bus, err, sizeof err) < 0 ||
      dtw_bus_node_create(g.bus, "sim_node_test", "/", &g.node, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_SENSOR_DATA;
  if (dtw_sub_create(g.node, "/twin/joint_states", DTW_TYPE_JOINT_STATE, &so, &g.js, err,
                     sizeof err) < 0 ||
      dtw_pub_create(g.node, TRAJ_TOPIC, DTW_TYPE_JOINT_TRAJECTORY, DTW_QOS_DEFAULT, &g.traj,
                     err, sizeof err) < 0 ||
      dtw_pub_create(g.node, "/twin/set_state", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT,
                     &g.set_state, err, sizeof err) < 0 ||
      dtw_traj_msg_init(&g.t, 16) < 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  /* the model loads and DDS discovers within seconds, even under sanitizers */
  if (th_url(&g.sim, 60) == NULL) return -1; /* up, on a port of its own */
  if (dtw_sub_wait_matched(g.js, 1, 60 * SEC) < 0 || dtw_pub_wait_matched(g.traj, 1, WAIT_NS) < 0 ||
      dtw_pub_wait_matched(g.set_state, 1, WAIT_NS) < 0) {
    fprintf(stderr, "dtwin sim did not appear on the bus\n");
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  int rc = th_stop(&g.sim, SIGINT, WAIT_S);
  dtw_bus_destroy(g.bus);
  dtw_traj_msg_fini(&g.t);
  return rc;
}

static void test_joint_states_have_every_joint(void **state) {
  (void)state;
  assert_true(latest_js(WAIT_NS));
  assert_int_equal(g.msg.n_name, 23);
  assert_int_equal(g.msg.n_position, 23);
  assert_int_equal(g.msg.n_velocity, 23);
  assert_int_equal(g.msg.n_effort, 23);
  assert_true(joint("left_knee") >= 0);
  assert_true(joint("neck_pitch") >= 0);
  for (size_t i = 0; i < 23; i++) {
    assert_true(isfinite(g.msg.position[i]));
    assert_true(isfinite(g.msg.velocity[i]));
    assert_true(isfinite(g.msg.effort[i]));
  }
  /* stamps are simulated time and advance */
  double t0 = dtw_time_to_s(g.msg.stamp);
  assert_true(th_wait_for(twin_time_past, &t0, WAIT_S));
}

static void send_traj(const char *name, double goal, double t_s, double value_for_nan) {
  dtw_traj_msg_clear(&g.t);
  g.t.n_joints = 1;
  snprintf(g.t.joint_names[0], DTW_NAME_MAX, "%s", name);
  dtw_traj_point_t *p = dtw_traj_msg_add_point(&g.t);
  p->n_positions = p->n_velocities = 1;
  p->positions[0] = isnan(value_for_nan) ? NAN : goal;
  p->velocities[0] = 0;
  p->time_from_start = dtw_duration_from_s(t_s);
  assert_int_equal(dtw_pub_joint_trajectory(g.traj, &g.t), 0);
}

static void test_trajectory_is_followed(void **state) {
  (void)state;
  send_traj("left_elbow", 1.0, 1.0, 0);
  double q = wait_joint("left_elbow", 1.0, 0.01, WAIT_NS);
  th_assert_near(q, 1.0, 0.01, "left_elbow after a 1 s trajectory to 1.0");
}

static void test_reset_answers_quickly(void **state) {
  (void)state;
  char err[256];
  dtw_client_t *cli;
  dtw_trigger_response_t resp;
  assert_int_equal(dtw_client_create(g.node, "/twin/reset", DTW_SRV_TRIGGER, &cli, err, sizeof err), 0);
  assert_int_equal(dtw_client_wait_for_service(cli, WAIT_NS), 0);
  /* A new client's first call can wait up to 100 ms in the server for the
   * server to see the client's reply reader (as rmw_cyclonedds does). The
   * round trips are reported, not bounded: a loaded machine stretches them at
   * will (bench_bus phase S measures service round trips). */
  int64_t t0 = dtw_clock_mono_ns();
  assert_int_equal(dtw_bus_call(cli, NULL, &resp, WAIT_NS, err, sizeof err), 0);
  assert_true(resp.success);
  print_message("first reset round trip (incl. reply-reader matching) %.2f ms\n",
                (double)(dtw_clock_mono_ns() - t0) / 1e6);
  double worst = 0;
  for (int i = 0; i < 5; i++) {
    t0 = dtw_clock_mono_ns();
    assert_int_equal(dtw_bus_call(cli, NULL, &resp, WAIT_NS, err, sizeof err), 0);
    double ms = (double)(dtw_clock_mono_ns() - t0) / 1e6;
    assert_true(resp.success);
    if (ms > worst) worst = ms;
  }
  print_message("reset round trip, worst of 5: %.2f ms\n", worst);
  /* the twin is back in its initial pose (left_elbow 0) */
  double q = wait_joint("left_elbow", 0.0, 0.02, WAIT_NS);
  th_assert_near(q, 0.0, 0.02, "left_elbow after reset");
  dtw_client_destroy(cli);
}

static void test_set_state_teleports(void **state) {
  (void)state;
  dtw_joint_state_msg_t m;
  memset(&m, 0, sizeof m);
  m.n_name = m.n_position = 1;
  snprintf(m.name[0], DTW_NAME_MAX, "right_elbow");
  m.position[0] = 0.7;
  assert_int_equal(dtw_pub_joint_state(g.set_state, &m), 0);
  double q = wait_joint("right_elbow", 0.7, 0.02, WAIT_NS);
  th_assert_near(q, 0.7, 0.02, "right_elbow after set_state 0.7");
}

static void test_malformed_input_is_refused(void **state) {
  (void)state;
  dtw_joint_state_msg_t m;
  memset(&m, 0, sizeof m);
  /* sizes that don't match the names */
  m.n_name = 3;
  m.n_position = 2;
  for (int i = 0; i < 3; i++) snprintf(m.name[i], DTW_NAME_MAX, "left_knee");
  assert_int_equal(dtw_pub_joint_state(g.set_state, &m), 0);
  /* an unknown joint */
  m.n_name = m.n_position = 1;
  snprintf(m.name[0], DTW_NAME_MAX, "no_such_joint");
  m.position[0] = 0.1;
  assert_int_equal(dtw_pub_joint_state(g.set_state, &m), 0);
  /* NaN */
  snprintf(m.name[0], DTW_NAME_MAX, "left_knee");
  m.position[0] = NAN;
  assert_int_equal(dtw_pub_joint_state(g.set_state, &m), 0);
  /* trajectories: unknown joint, NaN, a position outside the limits */
  send_traj("no_such_joint", 0.5, 1.0, 0);
  send_traj("left_knee", 0.5, 1.0, NAN);
  send_traj("left_knee", 7.0, 1.0, 0);

  /* the twin keeps stepping and publishing: 0.2 s of its time pass */
  double t0 = twin_time();
  assert_true(isfinite(t0));
  double t1 = t0 + 0.2;
  assert_true(th_wait_for(twin_time_past, &t1, WAIT_S));
  assert_true(th_running(&g.sim));
  /* each refusal was logged with its reason */
  static const char *const refusals[] = {
      "refused set_state", "unknown joint 'no_such_joint'", "not finite",
      "refused trajectory (unknown_joint)", "refused trajectory (not_finite)",
      "refused trajectory (position_limit)"};
  for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
    if (!th_wait_log(&g.sim, refusals[i], WAIT_S, NULL, 0)) fail_msg("no '%s' in the log", refusals[i]);
  /* and knee stayed where it was: nothing was applied */
  int k = joint("left_knee");
  assert_true(fabs(g.msg.position[k]) < 0.05);
}

static void test_pause_and_resume(void **state) {
  (void)state;
  char err[256];
  dtw_client_t *pause, *resume;
  dtw_trigger_response_t resp;
  assert_int_equal(dtw_client_create(g.node, "/twin/pause", DTW_SRV_TRIGGER, &pause, err, sizeof err), 0);
  assert_int_equal(dtw_client_create(g.node, "/twin/resume", DTW_SRV_TRIGGER, &resume, err, sizeof err), 0);
  assert_int_equal(dtw_client_wait_for_service(pause, WAIT_NS), 0);
  assert_int_equal(dtw_client_wait_for_service(resume, WAIT_NS), 0);
  assert_int_equal(dtw_bus_call(pause, NULL, &resp, WAIT_NS, err, sizeof err), 0);
  assert_true(resp.success);
  /* paused, the twin keeps publishing with its time stopped. Samples from one
   * writer arrive in order, so once two in a row carry the same stamp, every
   * later one must carry it too: the next 100 are checked. */
  double t0 = NAN, prev = NAN;
  int seen = 0;
  double end = th_now_s() + WAIT_S;
  while (seen < 100 && th_now_s() < end) {
    if (dtw_sub_take(g.js, &g.msg) != 1) {
      th_nap();
      continue;
    }
    double t = dtw_time_to_s(g.msg.stamp);
    if (isnan(t0)) {
      if (t == prev) t0 = t;
      prev = t;
      continue;
    }
    th_assert_near(t, t0, 0, "stamp of a joint state while paused");
    seen++;
  }
  print_message("paused at twin time %.3f s: %d further samples all stamped with it\n", t0, seen);
  assert_int_equal(seen, 100);
  assert_int_equal(dtw_bus_call(resume, NULL, &resp, WAIT_NS, err, sizeof err), 0);
  assert_true(resp.success);
  double t1 = t0 + 0.1;
  assert_true(th_wait_for(twin_time_past, &t1, WAIT_S));
  dtw_client_destroy(pause);
  dtw_client_destroy(resume);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_joint_states_have_every_joint),
      cmocka_unit_test(test_trajectory_is_followed),
      cmocka_unit_test(test_reset_answers_quickly),
      cmocka_unit_test(test_set_state_teleports),
      cmocka_unit_test(test_malformed_input_is_refused),
      cmocka_unit_test(test_pause_and_resume),
  };
  return th_finish(cmocka_run_group_tests(tests, setup, teardown));
}
