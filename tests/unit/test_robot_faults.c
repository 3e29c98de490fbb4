/* Robot emulator, faults (src/robot/robot_faults.c): the schedule, the
 * physical faults a twin gets through its plant hooks, and the operator's
 * fault commands (the demo humanoid on its test stand, no DDS). */
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
#include "dtw/config.h"
#include "dtw/err.h"
#include "dtw/robot_emu.h"
#include "dtw/twin.h"
#include "robot/robot__emu.h"

static void test_fault_schedule(void **state) {
  (void)state;
  dtw__fault_schedule_t s = {0};
  assert_int_equal(dtw__fault_add(&s, DTW_ROBOT_FAULT_LOCK, 3, 1.0, 0), 0);
  assert_int_equal(dtw__fault_add(&s, DTW_ROBOT_FAULT_SILENT, -1, 2.0, 0.5), 0);
  assert_int_equal(dtw__fault_add(&s, DTW_ROBOT_FAULT_FREEZE, 4, 0.0, 0), 0);
  assert_int_equal(dtw__fault_add(&s, DTW_ROBOT_FAULT_NO_TORQUE, 1, -1.0, 0), DTW_EINVAL);
  assert_int_equal(dtw__fault_add(&s, DTW_ROBOT_FAULT_NO_TORQUE, 1, NAN, 0), DTW_EINVAL);
  assert_int_equal(dtw__fault_add(&s, DTW_ROBOT_FAULT_NO_TORQUE, 1, 5.0, 0), 0);
  assert_int_equal(dtw__fault_add(&s, DTW_ROBOT_FAULT_NO_TORQUE, 1, 5.0, 0), DTW_EFULL);

  /* each change is reported once, at the step it happens */
  assert_int_equal(dtw__fault_update(&s, 0.0), 1u << 2);
  assert_int_equal(dtw__fault_update(&s, 0.5), 0);
  assert_int_equal(dtw__fault_update(&s, 0.999), 0);
  assert_int_equal(dtw__fault_update(&s, 1.0), 1u << 0);
  assert_true(s.f[0].active);
  assert_int_equal(dtw__fault_update(&s, 2.0), 1u << 1);
  assert_true(s.f[1].active);
  assert_int_equal(dtw__fault_update(&s, 2.499), 0);
  /* the silent fault ends after its duration; the others stay */
  assert_int_equal(dtw__fault_update(&s, 2.5), 1u << 1);
  assert_false(s.f[1].active);
  assert_true(s.f[0].active && s.f[2].active);
  assert_int_equal(dtw__fault_update(&s, 100.0), 1u << 3);
  assert_int_equal(dtw__fault_update(&s, 200.0), 0);
  /* duration 0 = forever */
  assert_true(dtw__fault_due(&s.f[0], 1e9));
  assert_false(dtw__fault_due(&s.f[1], 1e9));
  assert_string_equal(dtw_robot_fault_name(DTW_ROBOT_FAULT_NO_TORQUE), "no_torque");
  assert_string_equal(dtw_robot_fault_name(99), "invalid");
}


static dtw_twin_t *make_twin(void) {
  dtw_twin_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &s), 0);
  char err[1024];
  dtw_twin_t *t = NULL;
  if (dtw_twin_create(&s, &t, err, sizeof err) < 0) fail_msg("twin: %s", err);
  return t;
}

/* A 2 s move of every joint to a pose well inside its limits; returns the
 * joint that moves farthest. */
static size_t send_move(dtw_twin_t *t, double *goal) {
  const dtw_robot_desc_t *r = dtw_twin_robot(t);
  dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 2), 0);
  m.n_joints = r->n_joints;
  dtw_traj_point_t *p = dtw_traj_msg_add_point(&m);
  p->n_positions = p->n_velocities = m.n_joints;
  p->time_from_start = dtw_duration_from_s(2.0);
  size_t far = 0;
  for (size_t i = 0; i < m.n_joints; i++) {
    const dtw_joint_desc_t *j = &r->joints[i];
    double mid = 0.5 * (j->lower + j->upper);
    snprintf(m.joint_names[i], DTW_NAME_MAX, "%s", j->name);
    goal[i] = p->positions[i] = mid + 0.3 * (j->upper - mid);
    p->velocities[i] = 0;
    if (fabs(goal[i] - js.position[i]) > fabs(goal[far] - js.position[far])) far = i;
  }
  char err[512];
  assert_int_equal(dtw_twin_accept_trajectory(t, &m, err, sizeof err), 0);
  dtw_traj_msg_fini(&m);
  return far;
}

static void run(dtw_twin_t *t, int steps) {
  for (int k = 0; k < steps; k++) assert_int_equal(dtw_twin_step(t), 0);
}

static void test_locked_joint_stays_then_follows_again(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin();
  double goal[DTW_MAX_JOINTS];
  size_t j = send_move(t, goal);
  dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  double at = js.position[j];
  assert_int_equal(dtw_emu_set_joint_fault(t, j, DTW_EMU_JOINT_LOCKED), 0);
  run(t, 3000);
  dtw_twin_get_joint_state(t, &js);
  assert_true(fabs(js.position[j] - at) < 0.01);
  assert_true(fabs(js.position[j] - goal[j]) > 0.05);
  /* released, it follows the next move (the controller gave the first up) */
  assert_int_equal(dtw_emu_set_joint_fault(t, j, DTW_EMU_JOINT_OK), 0);
  send_move(t, goal);
  run(t, 3000);
  dtw_twin_get_joint_state(t, &js);
  assert_true(fabs(js.position[j] - goal[j]) < 0.02);
  assert_int_equal(dtw_emu_set_joint_fault(t, dtw_twin_joint_count(t), DTW_EMU_JOINT_LOCKED),
                   DTW_EINVAL);
  assert_int_equal(dtw_emu_set_joint_fault(t, 0, (dtw_emu_joint_fault_t)7), DTW_EINVAL);
  dtw_twin_destroy(t);
}

static void test_no_torque_joint_gets_no_effort(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin();
  double goal[DTW_MAX_JOINTS];
  size_t j = send_move(t, goal);
  assert_int_equal(dtw_emu_set_joint_fault(t, j, DTW_EMU_JOINT_NO_TORQUE), 0);
  run(t, 3000);
  dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  assert_true(fabs(js.effort[j]) == 0);
  assert_true(fabs(js.position[j] - goal[j]) > 0.05);
  /* its neighbours still track */
  size_t other = j == 0 ? 1 : 0;
  assert_true(fabs(js.effort[other]) > 0);
  dtw_twin_destroy(t);
}

static void test_model_error_and_payload(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin();
  assert_int_equal(dtw_emu_scale_model(t, 0.0, 1.0), DTW_EINVAL);
  assert_int_equal(dtw_emu_scale_model(t, 1.0, NAN), DTW_EINVAL);
  assert_int_equal(dtw_emu_scale_model(t, 1.05, 1.2), 0);
  char link[DTW_MAX_JOINTS][DTW_NAME_MAX];
  int parent[DTW_MAX_JOINTS];
  dtw_sim_joint_parents(dtw_twin_sim(t), parent, link);
  assert_int_equal(dtw_emu_add_payload(t, "no_such_body", 1.0), DTW_EINVAL);
  assert_int_equal(dtw_emu_add_payload(t, link[0], 2.0), 0);
  assert_int_equal(dtw_emu_add_payload(t, link[0], -2.0), 0);
  run(t, 100);
  dtw_twin_destroy(t);
}

/* The emulator's settings at their defaults (they are part of node "robot"). */
#define DTW_PARAM_STYPE dtw_robot_emu_settings_t
DTW_PARAM_TABLE(emu_table, "robot", "the emulated robot", DTW_ROBOT_EMU_PARAMS);
#undef DTW_PARAM_STYPE

/* n steps of the emulated robot, its samples drained. */
static void emu_run(dtw_robot_emu_t *e, dtw_twin_t *t, int n) {
  for (int k = 0; k < n; k++) {
    dtw_robot_emu_begin_step(e);
    assert_int_equal(dtw_twin_step(t), 0);
    dtw_robot_emu_end_step(e);
    while (dtw_robot_emu_next_due(e) != NULL) {
    }
  }
}

static double robot_mass(dtw_twin_t *t) {
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(dtw_twin_sim(t), &ex);
  return ex.mass_kg;
}

static double joint_pos(dtw_twin_t *t, size_t j) {
  dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  return js.position[j];
}

/* The operator's fault commands: "lock <joint>" seizes it now; "clear" frees
 * it, takes a configured payload off again and keeps a scheduled silent feed;
 * unknown commands and joints, and more faults than fit, are refused. */
static void test_fault_commands(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin();
  dtw_robot_emu_settings_t es;
  assert_int_equal(dtw_param_defaults(&emu_table, &es), 0);
  snprintf(es.fault__payload_body, sizeof es.fault__payload_body, "left_forearm");
  es.fault__payload_kg = 2.0;
  es.fault__payload_at_s = 0.05;
  es.fault__silent_at_s = 100;
  es.fault__silent_for_s = 1;
  dtw_robot_emu_t *e = NULL;
  char err[512];
  if (dtw_robot_emu_create(&es, 500, t, &e, err, sizeof err) < 0) fail_msg("emu: %s", err);
  double mass0 = robot_mass(t);
  emu_run(e, t, 100);
  dtw_robot_emu_stats_t st;
  dtw_robot_emu_get_stats(e, &st);
  assert_true(st.fault_active & (1u << DTW_ROBOT_FAULT_PAYLOAD));
  th_assert_near(robot_mass(t), mass0 + 2.0, 1e-9, "robot mass with the payload, kg");

  size_t elbow = (size_t)dtw_robot_joint_index(dtw_twin_robot(t), "left_elbow");
  assert_int_equal(dtw_robot_emu_command(e, "lock left_elbow", NULL), 0);
  assert_int_equal(dtw_robot_emu_fault_count(e), 3);
  emu_run(e, t, 1);
  double held = joint_pos(t, elbow);
  double goal[DTW_MAX_JOINTS];
  send_move(t, goal);
  emu_run(e, t, 1000);
  dtw_robot_emu_get_stats(e, &st);
  assert_true(st.fault_active & (1u << DTW_ROBOT_FAULT_LOCK));
  assert_true(fabs(joint_pos(t, elbow) - held) < 0.01);

  unsigned cleared = 0;
  assert_int_equal(dtw_robot_emu_command(e, "clear", &cleared), 0);
  assert_int_equal(dtw_robot_emu_fault_count(e), 1); /* the silent feed, still scheduled */
  dtw_robot_emu_fault_t f;
  assert_int_equal(dtw_robot_emu_fault(e, 0, &f), 0);
  assert_int_equal(f.kind, DTW_ROBOT_FAULT_SILENT);
  assert_int_equal(__builtin_popcount(cleared), 2);
  dtw_robot_emu_get_stats(e, &st);
  assert_false(st.fault_active & ((1u << DTW_ROBOT_FAULT_PAYLOAD) | (1u << DTW_ROBOT_FAULT_LOCK)));
  th_assert_near(robot_mass(t), mass0, 1e-9, "robot mass after clear, kg");
  /* the elbow follows the next move again */
  send_move(t, goal);
  emu_run(e, t, 3000);
  assert_true(fabs(joint_pos(t, elbow) - goal[elbow]) < 0.02);

  assert_int_equal(dtw_robot_emu_command(e, "spin left_elbow", NULL), DTW_EINVAL);
  assert_int_equal(dtw_robot_emu_command(e, "lock no_such_joint", NULL), DTW_EINVAL);
  assert_int_equal(dtw_robot_emu_fault_count(e), 1);
  for (size_t i = 1; i < DTW_ROBOT_EMU_MAX_FAULTS; i++)
    assert_int_equal(dtw_robot_emu_command(e, "freeze left_elbow", NULL), 0);
  assert_int_equal(dtw_robot_emu_command(e, "no_torque left_knee", NULL), DTW_EFULL);
  dtw_robot_emu_destroy(e);
  dtw_twin_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fault_schedule),
      cmocka_unit_test(test_locked_joint_stays_then_follows_again),
      cmocka_unit_test(test_no_torque_joint_gets_no_effort),
      cmocka_unit_test(test_model_error_and_payload),
      cmocka_unit_test(test_fault_commands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
