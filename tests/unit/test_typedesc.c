/* test_typedesc.c - generated type descriptions: RIHS01 hashes equal the ones
 * ROS 2 (rosidl_generator_type_description, Iron+) publishes for these types
 * (copied from rosidl-generated *__description.c files: EXPECTED_HASH), and
 * the ros2msg text carries every dependency once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dtw/typedesc.h"

static void expect_hash(const char *type, const char *hash) {
  const dtw_typedesc_t *t = dtw_typedesc_find(type);
  assert_non_null(t);
  assert_string_equal(t->rihs01, hash);
}

static void test_published_hashes(void **st) {
  (void)st;
  expect_hash("sensor_msgs/msg/JointState",
              "RIHS01_a13ee3a330e346c9d87b5aa18d24e11690752bd33a0350f11c5882bc9179260e");
  expect_hash("std_msgs/msg/Header",
              "RIHS01_f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01");
  expect_hash("builtin_interfaces/msg/Time",
              "RIHS01_b106235e25a4c5ed35098aa0a61a3ee9c9b18d197f398b0e4206cea9acf9c197");
  expect_hash("std_msgs/msg/Float64",
              "RIHS01_705ba9c3d1a09df43737eb67095534de36fd426c0587779bda2bc51fe790182a");
  expect_hash("geometry_msgs/msg/Point",
              "RIHS01_6963084842a9b04494d6b2941d11444708d892da2f4b09843b9c43f42a7f6881");
  expect_hash("geometry_msgs/msg/Vector3",
              "RIHS01_cc12fe83e4c02719f1ce8070bfd14aecd40f75a96696a67a2a1f37f7dbb0765d");
}

static void test_lookup_and_text(void **st) {
  (void)st;
  const dtw_typedesc_t *a = dtw_typedesc_find("sensor_msgs/JointState");
  assert_non_null(a);
  assert_ptr_equal(a, dtw_typedesc_find("sensor_msgs/msg/JointState"));
  assert_null(dtw_typedesc_find("sensor_msgs/msg/Nope"));
  assert_null(dtw_typedesc_find("nopkg"));
  assert_non_null(strstr(a->msg_definition, "float64[] position\n"));
  assert_non_null(strstr(a->msg_definition, "\nMSG: std_msgs/Header\n"));
  assert_non_null(strstr(a->msg_definition, "\nMSG: builtin_interfaces/Time\n"));
  const dtw_typedesc_t *d = dtw_typedesc_find("diagnostic_msgs/msg/DiagnosticStatus");
  assert_non_null(d);
  assert_non_null(strstr(d->msg_definition, "byte OK=0\n"));
  assert_true(dtw_typedesc_count() > 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_published_hashes),
                                     cmocka_unit_test(test_lookup_and_text)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
