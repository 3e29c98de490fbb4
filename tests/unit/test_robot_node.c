/* The robot emulator node's settings (src/node/robot_node.c; the node on the
 * bus is tested in tests/integration/test_robot.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dtw/robot_node.h"

static void test_param_table_defaults(void **state) {
  (void)state;
  dtw_robot_node_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_robot_node_param_table, &s), 0);
  assert_string_equal(s.node_name, "robot_emulator");
  assert_string_equal(s.namespace, "/robot");
  assert_true(s.joint_states_rate_hz == 500);
  assert_true(s.mass_scale == 1.05 && s.friction_scale == 1.2);
  assert_true(s.encoder_noise_rad == 0.0005 && s.velocity_noise_rad_s == 0.005);
  assert_true(s.latency_s == 0.002 && s.latency_jitter_s == 0.001);
  assert_true(s.loss_rate == 0 && s.clock_offset_s == 0);
  assert_true(s.fault__silent_at_s == -1 && s.fault__lock_joint[0] == '\0');
  assert_true(s.motion_loop && s.replay_loop);
  assert_string_equal(s.model, "models/digital_twin_humanoid.urdf.xacro");
  assert_string_equal(dtw_robot_node_param_table.node, "robot");
  /* every parameter has help text */
  for (size_t i = 0; i < dtw_robot_node_param_table.n_params; i++)
    assert_true(strlen(dtw_robot_node_param_table.params[i].help) > 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_param_table_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
