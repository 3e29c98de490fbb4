/* Sync settings, create-time validation, joint groups, names and key/values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "test_sync_util.h"

static void test_param_table_defaults(void **state) {
  (void)state;
  dtw_sync_settings_t st;
  assert_int_equal(dtw_param_defaults(&dtw_sync_param_table, &st), 0);
  assert_string_equal(dtw_sync_param_table.node, "sync");
  assert_string_equal(st.mode, "shadow");
  assert_string_equal(st.robot_namespace, "/robot");
  assert_string_equal(st.twin_namespace, "/twin");
  assert_string_equal(st.time_alignment, "estimate");
  assert_near(st.window_s, 1.0, 0);
  assert_near(st.alarm_position_error_rad, 0.1, 0);
  assert_near(st.stale_timeout_s, 0.5, 0);
  // every parameter documented; the config module accepts the table
  for (size_t i = 0; i < dtw_sync_param_table.n_params; i++)
    assert_true(strlen(dtw_sync_param_table.params[i].help) > 10);
  dtw_config_t *cfg = NULL;
  assert_int_equal(dtw_config_create(&cfg), 0);
  assert_int_equal(dtw_config_register(cfg, &dtw_sync_param_table), 0);
  char err[256];
  assert_int_equal(dtw_config_set(cfg, "sync.mode=mirror", err, sizeof err), 0);
  assert_int_not_equal(dtw_config_set(cfg, "sync.window_s=0", err, sizeof err), 0);
  dtw_sync_settings_t got;
  assert_int_equal(dtw_config_get(cfg, "sync", &got, err, sizeof err), 0);
  assert_string_equal(got.mode, "mirror");
  dtw_config_destroy(cfg);
}

static void test_default_groups_on_humanoid(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  dtw_sync_report(s, r);
  assert_int_equal(r->n_joints, NJ);
  assert_int_equal(r->n_groups, 6);
  const char *names[] = {"left_leg", "right_leg", "torso", "left_arm", "right_arm", "head"};
  const size_t sizes[] = {6, 6, 1, 4, 4, 2};
  for (size_t g = 0; g < 6; g++) {
    assert_string_equal(r->groups[g].name, names[g]);
    assert_int_equal(r->groups[g].n_joints, sizes[g]);
  }
  assert_int_equal(r->joints[J_LEFT_KNEE].group, 0);
  assert_int_equal(r->joints[J_TORSO].group, 2);
  assert_string_equal(dtw_sync_joint_name(s, J_LEFT_KNEE), "left_knee");
  assert_null(dtw_sync_joint_name(s, NJ));
  // before any tick: NO_DATA, times unknown
  assert_int_equal(r->state, DTW_SYNC_NO_DATA);
  assert_string_equal(r->state_name, "NO_DATA");
  assert_true(isnan(r->time_s));
  assert_true(isnan(r->since_robot_s));
  assert_true(isnan(r->joints[0].err.pos_last_rad));
  free(r);
  dtw_sync_destroy(s);
}

static void test_groups_spec(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  dtw_sync_report_t *r = malloc(sizeof *r);

  // empty: one group with everything
  st.joint_groups[0] = '\0';
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report(s, r);
  assert_int_equal(r->n_groups, 1);
  assert_string_equal(r->groups[0].name, "all");
  assert_int_equal(r->groups[0].n_joints, NJ);
  dtw_sync_destroy(s);

  // partial, with blanks and a trailing ';': the rest is "other"
  snprintf(st.joint_groups, sizeof st.joint_groups,
           " knees : left_knee , right_knee ;head:neck_*;");
  s = sync_new(&st);
  dtw_sync_report(s, r);
  assert_int_equal(r->n_groups, 3);
  assert_string_equal(r->groups[0].name, "knees");
  assert_int_equal(r->groups[0].n_joints, 2);
  assert_string_equal(r->groups[1].name, "head");
  assert_string_equal(r->groups[2].name, "other");
  assert_int_equal(r->groups[2].n_joints, NJ - 4);
  dtw_sync_destroy(s);

  // a prefix matching nothing drops its group
  snprintf(st.joint_groups, sizeof st.joint_groups, "wings:wing_*;legs:left_*,right_*");
  s = sync_new(&st);
  dtw_sync_report(s, r);
  assert_string_equal(r->groups[0].name, "legs");
  assert_int_equal(r->n_groups, 2);
  dtw_sync_destroy(s);
  free(r);
}

static void expect_create_error(dtw_sync_settings_t *st, const char *const *names, size_t n,
                                const char *needle) {
  dtw_sync_t *s = (dtw_sync_t *)0x1;
  char err[256] = "";
  assert_int_equal(dtw_sync_create(st, names, n, &s, err, sizeof err), DTW_EINVAL);
  assert_ptr_equal(s, (dtw_sync_t *)0x1);  // untouched on failure
  if (strstr(err, needle) == NULL) fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_create_errors(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  snprintf(st.joint_groups, sizeof st.joint_groups, "left_leg:left_hip_*,left_knee_x");
  expect_create_error(&st, HUMANOID, NJ, "group 'left_leg': unknown joint 'left_knee_x'");
  snprintf(st.joint_groups, sizeof st.joint_groups, "a:left_knee;b:left_*");
  expect_create_error(&st, HUMANOID, NJ, "joint 'left_knee' is in groups 'a' and 'b'");
  snprintf(st.joint_groups, sizeof st.joint_groups, "left_knee,right_knee");
  expect_create_error(&st, HUMANOID, NJ, "has no ':'");
  snprintf(st.joint_groups, sizeof st.joint_groups, "a:left_knee;a:right_knee");
  expect_create_error(&st, HUMANOID, NJ, "group 'a' defined twice");

  st = sync_settings();
  snprintf(st.mode, sizeof st.mode, "follow");
  expect_create_error(&st, HUMANOID, NJ, "mode");
  st = sync_settings();
  st.window_s = 0;
  expect_create_error(&st, HUMANOID, NJ, "window_s");
  st = sync_settings();
  st.twin_history_s = NAN;
  expect_create_error(&st, HUMANOID, NJ, "twin_history_s");

  st = sync_settings();
  const char *dup[] = {"a", "b", "a"};
  expect_create_error(&st, dup, 3, "joint 'a' listed twice");
  expect_create_error(&st, HUMANOID, 0, "0 joints");
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(dtw_sync_state_name(DTW_SYNC_NO_DATA), "NO_DATA");
  assert_string_equal(dtw_sync_state_name(DTW_SYNC_SYNCED), "SYNCED");
  assert_string_equal(dtw_sync_state_name(DTW_SYNC_DIVERGED), "DIVERGED");
  assert_string_equal(dtw_sync_state_name(DTW_SYNC_STALE), "STALE");
  assert_string_equal(dtw_sync_state_name(99), "?");
  assert_int_equal(dtw_sync_state_level(DTW_SYNC_SYNCED), 0);
  assert_int_equal(dtw_sync_state_level(DTW_SYNC_NO_DATA), 1);
  assert_int_equal(dtw_sync_state_level(DTW_SYNC_DIVERGED), 2);
  assert_int_equal(dtw_sync_state_level(DTW_SYNC_STALE), 2);
  assert_string_equal(dtw_sync_outcome_name(DTW_SYNC_TOO_NEW), "too_new");
  assert_string_equal(dtw_sync_outcome_name(-1), "?");
  assert_false(dtw_sync_outcome_refused(DTW_SYNC_NO_OVERLAP));
  assert_true(dtw_sync_outcome_refused(DTW_SYNC_REFUSED_SIZE));
  assert_true(dtw_sync_outcome_refused(DTW_SYNC_REFUSED_NO_KNOWN_JOINT));
}

static void test_report_kv(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  twin_uniform(s, 1.0, 1.0, 0.0, 0.0);
  robot_uniform(s, 1.0, 1.001, 0.05, 0.0);
  sync_report_at(s, 1.01, r);
  dtw_sync_kv_t kv[40];
  int n = dtw_sync_report_kv(r, -1, kv, 40);
  assert_true(n > 10);
  assert_string_equal(kv_get(kv, n, "state"), "SYNCED");
  assert_string_equal(kv_get(kv, n, "mode"), "shadow");
  assert_string_equal(kv_get(kv, n, "matched"), "1");
  assert_string_equal(kv_get(kv, n, "position_error_max_rad"), "0.050000");
  assert_non_null(kv_get(kv, n, "last_transition"));
  n = dtw_sync_report_kv(r, 0, kv, 40);
  assert_string_equal(kv_get(kv, n, "joints"), "6");
  assert_string_equal(kv_get(kv, n, "worst_joint"), "left_hip_yaw");  // ties: first
  assert_int_equal(dtw_sync_report_kv(r, 0, kv, 2), 2);  // capped
  assert_int_equal(dtw_sync_report_kv(r, 6, kv, 40), DTW_EINVAL);
  free(r);
  dtw_sync_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_param_table_defaults),
      cmocka_unit_test(test_default_groups_on_humanoid),
      cmocka_unit_test(test_groups_spec),
      cmocka_unit_test(test_create_errors),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_report_kv),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
