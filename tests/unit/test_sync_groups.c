/* Joint groups from the kinematic tree (src/sync/sync_groups.c): one group
 * per chain, merged down to the group limit, whether a groups setting covers
 * a robot, and replacing a synchronizer's groups. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "test_sync_util.h"

/* the demo humanoid's tree: legs and torso from the pelvis; arms and neck
 * from the torso */
static const int HUMANOID_PARENT[NJ] = {-1, 0, 1, 2, 3, 4, -1, 6, 7, 8, 9, 10,
                                        -1, 12, 13, 14, 15, 12, 17, 18, 19, 12, 21};

static void test_one_group_per_chain(void **state) {
  (void)state;
  char spec[4096], err[256];
  assert_int_equal(dtw_sync_groups_from_tree(HUMANOID, HUMANOID_PARENT, NJ, 15, spec, sizeof spec,
                                             err, sizeof err),
                   0);
  assert_string_equal(
      spec,
      "left_hip_yaw:left_hip_yaw,left_hip_roll,left_hip_pitch,left_knee,left_ankle_pitch,"
      "left_ankle_roll;right_hip_yaw:right_hip_yaw,right_hip_roll,right_hip_pitch,right_knee,"
      "right_ankle_pitch,right_ankle_roll;torso_yaw:torso_yaw;left_shoulder_pitch:"
      "left_shoulder_pitch,left_shoulder_roll,left_shoulder_yaw,left_elbow;right_shoulder_pitch:"
      "right_shoulder_pitch,right_shoulder_roll,right_shoulder_yaw,right_elbow;neck_yaw:neck_yaw,"
      "neck_pitch");
  /* the synchronizer takes it: six groups, every joint in one */
  dtw_sync_settings_t st = sync_settings();
  dtw_sync_t *s = sync_new(&st);
  assert_int_equal(dtw_sync_set_joint_groups(s, spec, err, sizeof err), 0);
  dtw_sync_report_t *r = malloc(sizeof *r);
  dtw_sync_report(s, r);
  assert_int_equal(r->n_groups, 6);
  assert_string_equal(r->groups[3].name, "left_shoulder_pitch");
  assert_int_equal(r->groups[3].n_joints, 4);
  assert_int_equal(r->joints[J_LEFT_KNEE].group, 0);
  free(r);
  dtw_sync_destroy(s);
}

/* "_joint" is dropped from group names; parents may come after children in
 * the table (MJCF actuator order). */
static void test_names_and_order(void **state) {
  (void)state;
  const char *names[] = {"elbow_joint", "shoulder_joint", "torso_joint", "head_joint"};
  const int parent[] = {1, 2, -1, 2};
  char spec[512], err[256];
  assert_int_equal(
      dtw_sync_groups_from_tree(names, parent, 4, 15, spec, sizeof spec, err, sizeof err), 0);
  /* torso branches into shoulder and head; elbow continues the shoulder's chain */
  assert_string_equal(spec, "shoulder:elbow_joint,shoulder_joint;torso:torso_joint;head:head_joint");
}

static void test_merges_down_to_the_limit(void **state) {
  (void)state;
  /* a trunk with 17 single-joint branches: 18 chains for 15 groups */
  const char *names[18];
  int parent[18];
  char store[18][16], spec[2048], err[256];
  for (int k = 0; k < 18; k++) {
    snprintf(store[k], sizeof store[k], k == 0 ? "trunk" : "b%02d", k);
    names[k] = store[k];
    parent[k] = k == 0 ? -1 : 0;
  }
  assert_int_equal(
      dtw_sync_groups_from_tree(names, parent, 18, 15, spec, sizeof spec, err, sizeof err), 0);
  print_message("%s\n", spec);
  /* the last three of the equally small branches went into the trunk's group */
  assert_true(strncmp(spec, "trunk:trunk,b15,b16,b17;b01:b01;", 32) == 0);
  int groups = 1;
  for (const char *p = spec; *p; p++) groups += *p == ';';
  assert_int_equal(groups, 15);
  assert_true(dtw_sync_groups_cover(spec, names, 18));

  /* 18 separate root joints into 3 groups: merged among the roots */
  for (int k = 0; k < 18; k++) parent[k] = -1;
  assert_int_equal(
      dtw_sync_groups_from_tree(names, parent, 18, 3, spec, sizeof spec, err, sizeof err), 0);
  groups = 1;
  for (const char *p = spec; *p; p++) groups += *p == ';';
  assert_int_equal(groups, 3);
  assert_true(dtw_sync_groups_cover(spec, names, 18));
}

static void test_refusals(void **state) {
  (void)state;
  const char *names[] = {"a", "b", "c"};
  int cycle[] = {1, 2, 1};
  char spec[64], err[256];
  assert_int_equal(
      dtw_sync_groups_from_tree(names, cycle, 3, 15, spec, sizeof spec, err, sizeof err),
      DTW_EINVAL);
  assert_non_null(strstr(err, "cycle"));
  int self[] = {-1, 1, -1};
  assert_int_equal(dtw_sync_groups_from_tree(names, self, 3, 15, spec, sizeof spec, err, sizeof err),
                   DTW_EINVAL);
  const char *bad[] = {"a", "b:c", "d"};
  int flat[] = {-1, -1, -1};
  assert_int_equal(dtw_sync_groups_from_tree(bad, flat, 3, 15, spec, sizeof spec, err, sizeof err),
                   DTW_EINVAL);
  assert_int_equal(dtw_sync_groups_from_tree(names, flat, 3, 15, spec, 8, err, sizeof err),
                   DTW_EFULL);
}

static void test_cover(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  assert_true(dtw_sync_groups_cover(st.joint_groups, HUMANOID, NJ));
  const char *h1[] = {"left_hip_yaw_joint", "left_knee_joint", "torso_joint", "right_elbow_joint"};
  assert_true(dtw_sync_groups_cover(st.joint_groups, h1, 4));
  const char *g1[] = {"left_hip_pitch_joint", "waist_yaw_joint", "left_wrist_roll_joint"};
  assert_false(dtw_sync_groups_cover(st.joint_groups, g1, 3));
  assert_true(dtw_sync_groups_cover("all:*", g1, 3));
  assert_true(dtw_sync_groups_cover("x: waist_yaw_joint , left_* ", g1, 3));
  assert_false(dtw_sync_groups_cover("", g1, 3));
}

/* A refused spec leaves the groups as they were. */
static void test_set_refused_changes_nothing(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *before = malloc(sizeof *before), *after = malloc(sizeof *after);
  dtw_sync_report(s, before);
  char err[256];
  assert_int_equal(dtw_sync_set_joint_groups(s, "legs:left_*;arms:left_elbow", err, sizeof err),
                   DTW_EINVAL);
  assert_non_null(strstr(err, "left_elbow"));
  dtw_sync_report(s, after);
  assert_int_equal(after->n_groups, before->n_groups);
  for (size_t g = 0; g < before->n_groups; g++)
    assert_string_equal(after->groups[g].name, before->groups[g].name);
  for (size_t j = 0; j < NJ; j++) assert_int_equal(after->joints[j].group, before->joints[j].group);
  free(before);
  free(after);
  dtw_sync_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_group_per_chain),
      cmocka_unit_test(test_names_and_order),
      cmocka_unit_test(test_merges_down_to_the_limit),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_cover),
      cmocka_unit_test(test_set_refused_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
