/* The synchronization node in this process, on a bus of its own: when the
 * twin's model (for the torque residuals) is compiled. dtw_sync_node_set_model
 * compiles it at once, so that the first twin sample only binds the joints:
 * a compile there holds up every other node the caller's loop serves (dtwin
 * up --twins 8: ~0.2 s, read as feed gaps by the others). Checked through the
 * node's own log lines:
 *   - a model MuJoCo refuses is reported by set_model, before any poll;
 *   - a good one is compiled there (its MJCF is spoiled right after: a compile
 *     later would fail), then used from the first twin sample ("fault
 *     isolation with the twin's model").
 * And, in mirror mode, that each robot controller sync.robot_controller lists,
 * or each '*' finds on the graph, is read (its log line, its samples counted
 * on its own topic), that a second publisher on one of them is refused (as
 * on the robot feed: its states would read as this robot's commands), and
 * that a list the node cannot use is refused at create. And that a sample is
 * dated when the node takes it, not when its poll began. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/log.h"
#include "dtw/metrics.h"
#include "dtw/msgs.h"
#include "dtw/sim.h"
#include "dtw/sync_node.h"
#include "dtw/twin.h"

#define WAIT_S 30.0 /* bounds a failing wait only */

static char log_text[16384];

static void hook(dtw_log_level_t level, const char *component, const char *line, void *user) {
  (void)level;
  (void)user;
  if (strcmp(component, "sync") != 0) return;
  size_t n = strlen(log_text);
  if (n + strlen(line) + 2 < sizeof log_text) snprintf(log_text + n, sizeof log_text - n, "%s\n", line);
}

static struct {
  dtw_bus_t *bus;
  dtw_bus_node_t *twin_node;
  dtw_pub_t *twin_js;
  dtw_sync_node_t *sync;
  dtw_joint_state_msg_t msg;
} g;

/* A bus (its own participant) on the test's domain. */
static dtw_bus_t *bus_new(void) {
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  dtw_bus_t *bus = NULL;
  if (dtw_bus_create(&opt, &bus, err, sizeof err) < 0) fail_msg("bus: %s", err);
  return bus;
}

static void open_node(const char *name) {
  char err[512];
  g.bus = bus_new();
  dtw_node_host_t host = {g.bus, NULL, NULL};
  dtw_sync_node_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_sync_node_param_table, &s), 0);
  snprintf(s.node_name, sizeof s.node_name, "%s", name);
  if (dtw_sync_node_create(&s, &host, &g.sync, err, sizeof err) < 0) fail_msg("node: %s", err);
  log_text[0] = '\0';
}

static void close_node(void) {
  dtw_sync_node_destroy(g.sync);
  dtw_bus_destroy(g.bus);
  memset(&g, 0, sizeof g);
}

static void test_bad_model_reported_by_set_model(void **state) {
  (void)state;
  open_node("sync_bad_model");
  dtw_robot_desc_t desc;
  memset(&desc, 0, sizeof desc);
  snprintf(desc.name, sizeof desc.name, "broken");
  char mjcf[] = "<mujoco><worldbody><body name='b'><joint name='j'/></worldbody>";
  desc.mjcf = mjcf;
  desc.mjcf_len = strlen(mjcf);
  dtw_sync_node_set_model(g.sync, &desc);
  if (strstr(log_text, "fault isolation without the model") == NULL)
    fail_msg("set_model logged nothing for a model MuJoCo refuses:\n%s", log_text);
  close_node();
}

static bool model_in_use(void *user) {
  (void)user;
  g.msg.stamp = dtw_time_from_s(th_now_s());
  assert_int_equal(dtw_pub_joint_state(g.twin_js, &g.msg), 0);
  assert_true(dtw_sync_node_poll(g.sync, th_now_s()) >= 0);
  return strstr(log_text, "tracking the twin's") != NULL;
}

static void test_good_model_used_from_first_twin_sample(void **state) {
  (void)state;
  char err[1024];
  dtw_twin_settings_t ts;
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &ts), 0);
  snprintf(ts.base, sizeof ts.base, "fixed");
  dtw_twin_t *twin = NULL;
  if (dtw_twin_create(&ts, &twin, err, sizeof err) < 0) fail_msg("twin: %s", err);
  open_node("sync_good_model");
  /* the node keeps the description: spoil its MJCF once set_model has run, so
   * that a compile on the first twin sample would fail (and say so) */
  static dtw_robot_desc_t desc;
  desc = *dtw_twin_robot(twin);
  dtw_sync_node_set_model(g.sync, &desc);
  assert_null(strstr(log_text, "without the model"));
  static char spoiled[] = "<mujoco><worldbody>";
  desc.mjcf = spoiled;
  desc.mjcf_len = strlen(spoiled);

  assert_int_equal(dtw_bus_node_create(g.bus, "digital_twin", "/twin", &g.twin_node, err, sizeof err), 0);
  assert_int_equal(dtw_pub_create(g.twin_node, "joint_states", DTW_TYPE_JOINT_STATE,
                                  DTW_QOS_SENSOR_DATA, &g.twin_js, err, sizeof err),
                   0);
  const dtw_joint_desc_t *joints = dtw_sim_joints(dtw_twin_sim(twin));
  size_t n = dtw_twin_joint_count(twin);
  g.msg.n_name = g.msg.n_position = g.msg.n_velocity = g.msg.n_effort = n;
  for (size_t i = 0; i < n; i++) snprintf(g.msg.name[i], DTW_NAME_MAX, "%s", joints[i].name);
  if (!th_wait_for(model_in_use, NULL, WAIT_S)) fail_msg("no synchronizer:\n%s", log_text);
  if (strstr(log_text, "fault isolation with the twin's model") == NULL)
    fail_msg("the compiled model is not in use:\n%s", log_text);
  close_node();
  dtw_twin_destroy(twin);
}

static dtw_sync_node_t *mirror_node(dtw_bus_t *bus, dtw_metrics_t *reg, const char *controllers,
                                    char *err, size_t errlen) {
  dtw_node_host_t host = {bus, reg, NULL};
  dtw_sync_node_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_sync_node_param_table, &s), 0);
  snprintf(s.node_name, sizeof s.node_name, "sync_mirror");
  snprintf(s.mode, sizeof s.mode, "mirror");
  snprintf(s.robot_controller, sizeof s.robot_controller, "%s", controllers);
  dtw_sync_node_t *n = NULL;
  return dtw_sync_node_create(&s, &host, &n, err, errlen) < 0 ? NULL : n;
}

static bool both_read(void *user) {
  (void)user;
  assert_true(dtw_sync_node_poll(g.sync, th_now_s()) >= 0);
  return strstr(log_text, "controller state on /robot/arm_controller/controller_state") &&
         strstr(log_text, "controller state on /robot/gripper_controller/controller_state");
}

/* A series' value ("name{labels} ") in the registry's text, -1 when absent. */
static double series_value(dtw_metrics_t *reg, const char *key) {
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  const char *at = strstr(text, key);
  double v = at != NULL ? strtod(at + strlen(key), NULL) : -1;
  free(text);
  return v;
}

/* The node's received count on topic, -1 when none. */
static double received_on(dtw_metrics_t *reg, const char *topic) {
  char key[256];
  snprintf(key, sizeof key, "dtwin_messages_received_total{node=\"/sync_mirror\",topic=\"%s\"} ",
           topic);
  return series_value(reg, key);
}

static dtw_metrics_t *g_reg;
static dtw_pub_t *g_second;
static dtw_jtc_state_msg_t g_ctl_msg;

/* a second publisher on the arm's controller state: its states are refused */
static bool second_refused(void *user) {
  (void)user;
  assert_int_equal(dtw_pub_jtc_state(g_second, &g_ctl_msg), 0);
  assert_true(dtw_sync_node_poll(g.sync, th_now_s()) >= 0);
  return series_value(g_reg, "dtwin_messages_refused_total{node=\"/sync_mirror\",topic=\"/robot/"
                             "arm_controller/controller_state\",reason=\"other_publisher\"} ") >= 1 &&
         strstr(log_text, "arm_controller/controller_state has 2 publishers") != NULL;
}

static bool both_counted(void *user) {
  (void)user;
  assert_true(dtw_sync_node_poll(g.sync, th_now_s()) >= 0);
  return received_on(g_reg, "/robot/arm_controller/controller_state") >= 1 &&
         received_on(g_reg, "/robot/gripper_controller/controller_state") >= 1;
}

/* Mirror mode with the two controllers named, then with '*' (found on the
 * graph: beside them a topic of that name with another type, and a
 * controller under another namespace, neither read). */
static void test_mirror_reads_each_controller(void **state) {
  (void)state;
  char err[1024];
  const char *settings[2] = {" arm_controller , gripper_controller,", "*"};
  for (int k = 0; k < 2; k++) {
    g.bus = bus_new();
    assert_int_equal(dtw_metrics_create(&g_reg), 0);
    // lists the node cannot use
    assert_null(mirror_node(g.bus, g_reg, "arm_controller, arm_controller", err, sizeof err));
    assert_non_null(strstr(err, "/robot/arm_controller/controller_state listed twice"));
    assert_null(mirror_node(g.bus, g_reg, "a,b,c,d,e,f,g,h,i", err, sizeof err));
    assert_non_null(strstr(err, "more than 8 controllers"));
    assert_null(mirror_node(g.bus, g_reg, "*, arm_controller", err, sizeof err));
    assert_non_null(strstr(err, "'*' (every controller found) and names"));
    g.sync = mirror_node(g.bus, g_reg, settings[k], err, sizeof err);
    if (g.sync == NULL) fail_msg("node: %s", err);
    log_text[0] = '\0';

    // the robot: its joint states (the node watches controllers once both
    // feeds are matched) and its two controllers' states
    dtw_bus_node_t *robot = NULL, *other = NULL;
    dtw_pub_t *robot_js = NULL, *ctl[2] = {NULL, NULL}, *decoy = NULL, *elsewhere = NULL;
    assert_int_equal(dtw_bus_node_create(g.bus, "robot", "/robot", &robot, err, sizeof err), 0);
    assert_int_equal(dtw_bus_node_create(g.bus, "robot", "/other", &other, err, sizeof err), 0);
    assert_int_equal(
        dtw_bus_node_create(g.bus, "digital_twin", "/twin", &g.twin_node, err, sizeof err), 0);
    assert_int_equal(dtw_pub_create(robot, "joint_states", DTW_TYPE_JOINT_STATE,
                                    DTW_QOS_SENSOR_DATA, &robot_js, err, sizeof err), 0);
    assert_int_equal(dtw_pub_create(g.twin_node, "joint_states", DTW_TYPE_JOINT_STATE,
                                    DTW_QOS_SENSOR_DATA, &g.twin_js, err, sizeof err), 0);
    const char *names[2] = {"arm_controller/controller_state",
                            "gripper_controller/controller_state"};
    for (int i = 0; i < 2; i++)
      assert_int_equal(dtw_pub_create(robot, names[i], DTW_TYPE_JTC_STATE, DTW_QOS_DEFAULT,
                                      &ctl[i], err, sizeof err), 0);
    assert_int_equal(dtw_pub_create(robot, "decoy/controller_state", DTW_TYPE_JOINT_STATE,
                                    DTW_QOS_DEFAULT, &decoy, err, sizeof err), 0);
    assert_int_equal(dtw_pub_create(other, "arm_controller/controller_state", DTW_TYPE_JTC_STATE,
                                    DTW_QOS_DEFAULT, &elsewhere, err, sizeof err), 0);
    if (!th_wait_for(both_read, NULL, WAIT_S)) fail_msg("not both read:\n%s", log_text);
    dtw_jtc_state_msg_t *m = &g_ctl_msg;
    m->n_joints = m->error.n_positions = 1;
    snprintf(m->joint_names[0], DTW_NAME_MAX, "some_joint");
    for (int i = 0; i < 2; i++) assert_int_equal(dtw_pub_jtc_state(ctl[i], m), 0);
    if (!th_wait_for(both_counted, NULL, WAIT_S)) fail_msg("not both counted");
    // another robot on the domain with a controller of the same name
    dtw_bus_node_t *robot_b = NULL;
    assert_int_equal(dtw_bus_node_create(g.bus, "robot_b", "/robot", &robot_b, err, sizeof err), 0);
    assert_int_equal(dtw_pub_create(robot_b, names[0], DTW_TYPE_JTC_STATE, DTW_QOS_DEFAULT,
                                    &g_second, err, sizeof err), 0);
    if (!th_wait_for(second_refused, NULL, WAIT_S))
      fail_msg("the second publisher's states were not refused:\n%s", log_text);
    if (strstr(log_text, "decoy") != NULL || strstr(log_text, "/other") != NULL)
      fail_msg("read what is no controller of this robot:\n%s", log_text);
    if (k == 1 && strstr(log_text, "found the robot's controller /robot/arm_controller/"
                                   "controller_state") == NULL)
      fail_msg("'*' did not say what it found:\n%s", log_text);
    close_node();
    dtw_metrics_destroy(g_reg);
  }
}

/* Two robots on the domain, each with its /robot/arm_controller: robot B's
 * (another participant) is heard first and holds the topic; once robot A's
 * joint states (the feed this node reads) come from the participant that also
 * publishes A's controller state, that publisher holds it and B's states are
 * refused (without the rule, A's were refused and B's commands read as A's). */
static struct {
  dtw_pub_t *js, *ctl_a, *ctl_b;
  dtw_joint_state_msg_t state;
  double refused;
} g2;

static bool b_holds(void *user) {
  (void)user;
  assert_int_equal(dtw_pub_jtc_state(g2.ctl_b, &g_ctl_msg), 0);
  assert_true(dtw_sync_node_poll(g.sync, th_now_s()) >= 0);
  return received_on(g_reg, "/robot/arm_controller/controller_state") >= 1;
}

static const char *const k_refused_key =
    "dtwin_messages_refused_total{node=\"/sync_mirror\",topic=\"/robot/arm_controller/"
    "controller_state\",reason=\"other_publisher\"} ";

static bool a_takes_over(void *user) {
  (void)user;
  assert_int_equal(dtw_pub_joint_state(g2.js, &g2.state), 0);
  assert_int_equal(dtw_pub_jtc_state(g2.ctl_a, &g_ctl_msg), 0);
  assert_int_equal(dtw_pub_jtc_state(g2.ctl_b, &g_ctl_msg), 0);
  assert_true(dtw_sync_node_poll(g.sync, th_now_s()) >= 0);
  return strstr(log_text, "arm_controller/controller_state: passes to the publisher in the "
                          "robot feed's participant") != NULL;
}

static bool b_refused(void *user) {
  (void)user;
  assert_int_equal(dtw_pub_jtc_state(g2.ctl_b, &g_ctl_msg), 0);
  assert_true(dtw_sync_node_poll(g.sync, th_now_s()) >= 0);
  return series_value(g_reg, k_refused_key) > g2.refused;
}

static void test_mirror_controller_of_the_feeds_participant(void **state) {
  (void)state;
  char err[1024];
  g.bus = bus_new();
  dtw_bus_t *bus_b = bus_new();
  assert_int_equal(dtw_metrics_create(&g_reg), 0);
  g.sync = mirror_node(g.bus, g_reg, "arm_controller", err, sizeof err);
  if (g.sync == NULL) fail_msg("node: %s", err);
  log_text[0] = '\0';
  dtw_bus_node_t *robot_a = NULL, *robot_b = NULL;
  assert_int_equal(dtw_bus_node_create(g.bus, "robot", "/robot", &robot_a, err, sizeof err), 0);
  assert_int_equal(dtw_bus_node_create(bus_b, "robot", "/robot", &robot_b, err, sizeof err), 0);
  const char *topic = "arm_controller/controller_state";
  assert_int_equal(dtw_pub_create(robot_b, topic, DTW_TYPE_JTC_STATE, DTW_QOS_DEFAULT, &g2.ctl_b,
                                  err, sizeof err), 0);
  dtw_jtc_state_msg_t *m = &g_ctl_msg;
  memset(m, 0, sizeof *m);
  m->n_joints = m->error.n_positions = 1;
  snprintf(m->joint_names[0], DTW_NAME_MAX, "some_joint");
  if (!th_wait_for(b_holds, NULL, WAIT_S)) fail_msg("robot B's states not read:\n%s", log_text);
  assert_int_equal(dtw_pub_create(robot_a, "joint_states", DTW_TYPE_JOINT_STATE,
                                  DTW_QOS_SENSOR_DATA, &g2.js, err, sizeof err), 0);
  assert_int_equal(dtw_pub_create(robot_a, topic, DTW_TYPE_JTC_STATE, DTW_QOS_DEFAULT, &g2.ctl_a,
                                  err, sizeof err), 0);
  g2.state.n_name = g2.state.n_position = 1;
  snprintf(g2.state.name[0], DTW_NAME_MAX, "some_joint");
  if (!th_wait_for(a_takes_over, NULL, WAIT_S))
    fail_msg("robot A's controller did not take the topic over:\n%s", log_text);
  g2.refused = fmax(0, series_value(g_reg, k_refused_key));
  if (!th_wait_for(b_refused, NULL, WAIT_S))
    fail_msg("robot B's states are not refused:\n%s", log_text);
  close_node();
  dtw_bus_destroy(bus_b);
  dtw_metrics_destroy(g_reg);
  memset(&g2, 0, sizeof g2);
}

static dtw_pub_t *g_robot_js;

/* One turn whose thread was away 50 ms between the poll's start and its takes
 * (preempted beside CPU hogs): robot and twin sample it as it is now, on the
 * clock the node polls with. Done once a tick reported the robot's latency. */
static bool dated_turn(void *user) {
  (void)user;
  g.msg.stamp = dtw_time_from_s(th_now_s());
  assert_int_equal(dtw_pub_joint_state(g.twin_js, &g.msg), 0);
  assert_int_equal(dtw_pub_joint_state(g_robot_js, &g.msg), 0);
  assert_true(dtw_sync_node_poll(g.sync, th_now_s() - 0.05) >= 0);
  dtw_sync_report_t r;
  dtw_sync_node_report(g.sync, &r);
  return isfinite(r.clock_offset_s);
}

/* A robot sample taken after a preemption is dated then: its latency (receipt
 * minus stamp, one clock here) is never negative. Dated at the poll's start, it
 * was -50 ms, and the clock offset learned such preemptions (docs/sync.md). */
static void test_samples_dated_when_taken(void **state) {
  (void)state;
  char err[512];
  open_node("sync_dated");
  dtw_bus_node_t *robot = NULL;
  assert_int_equal(
      dtw_bus_node_create(g.bus, "digital_twin", "/twin", &g.twin_node, err, sizeof err), 0);
  assert_int_equal(
      dtw_bus_node_create(g.bus, "robot_emulator", "/robot", &robot, err, sizeof err), 0);
  assert_int_equal(dtw_pub_create(g.twin_node, "joint_states", DTW_TYPE_JOINT_STATE,
                                  DTW_QOS_SENSOR_DATA, &g.twin_js, err, sizeof err), 0);
  assert_int_equal(dtw_pub_create(robot, "joint_states", DTW_TYPE_JOINT_STATE,
                                  DTW_QOS_SENSOR_DATA, &g_robot_js, err, sizeof err), 0);
  g.msg.n_name = g.msg.n_position = 2;
  snprintf(g.msg.name[0], DTW_NAME_MAX, "joint_a");
  snprintf(g.msg.name[1], DTW_NAME_MAX, "joint_b");
  if (!th_wait_for(dated_turn, NULL, WAIT_S)) fail_msg("no report:\n%s", log_text);
  dtw_sync_report_t r;
  dtw_sync_node_report(g.sync, &r);
  if (!(r.clock_offset_s >= 0))
    fail_msg("robot latency %.4f s: dated before it was sent", r.clock_offset_s);
  close_node();
  g_robot_js = NULL;
}

int main(void) {
  dtw_log_set_hook(hook, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_model_reported_by_set_model),
      cmocka_unit_test(test_good_model_used_from_first_twin_sample),
      cmocka_unit_test(test_mirror_reads_each_controller),
      cmocka_unit_test(test_mirror_controller_of_the_feeds_participant),
      cmocka_unit_test(test_samples_dated_when_taken),
  };
  return th_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
