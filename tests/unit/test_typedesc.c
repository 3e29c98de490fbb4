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
  /* `ros2 topic info -v` on Jazzy systems ("Topic type hash"), rmw_zenoh's
   * design notes, zenoh-plugin-ros2dds, ros2-client's tables */
  expect_hash("std_msgs/msg/String",
              "RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18");
  expect_hash("trajectory_msgs/msg/JointTrajectory",
              "RIHS01_179b33eba59d676f6d967ac71fe35e7ca2f64b2f3928f4a018cec115e213796e");
  expect_hash("tf2_msgs/msg/TFMessage",
              "RIHS01_e369d0f05a23ae52508854b66f6aa0437f3449d652e8cbf22d5abe85d020f087");
  expect_hash("rosgraph_msgs/msg/Clock",
              "RIHS01_692f7a66e93a3c83e71765d033b60349ba68023a8c689a79e48078bcb5c58564");
  expect_hash("diagnostic_msgs/msg/DiagnosticArray",
              "RIHS01_5a8a36efb05fb25070fa0fb3810290c0e6cd4862b54a8fb975a1ee8dc55a333e");
  expect_hash("diagnostic_msgs/msg/KeyValue",
              "RIHS01_d68081eaa540288c5440753baecef0c4e16e81a5f78ad68902ded5100413bb42");
  expect_hash("std_msgs/msg/MultiArrayDimension",
              "RIHS01_5e773a60a4c7fc8a54985f307c7837aa2994252a126c301957a24e31282c9cbe");
  expect_hash("std_msgs/msg/Float64MultiArray",
              "RIHS01_1025ddc6b9552d191f89ef1a8d2f60f3d373e28b283d8891ddcc974e8c55397f");
  /* the Iron+ graph message (ros_discovery_info), described under rmw_dds_common's name */
  expect_hash("rmw_dds_common_jazzy/msg/ParticipantEntitiesInfo",
              "RIHS01_91a0593bacdcc50ea9bdcf849a938b128412cc1ea821245c663bcd26f83c295e");
  /* a service's halves: the empty request has rosidl's placeholder member */
  expect_hash("std_srvs/srv/Trigger_Request",
              "RIHS01_d010825374ce8918e72bfd826c82603e60f45419e932ea976f807b74a863a199");
  expect_hash("std_srvs/srv/Trigger_Response",
              "RIHS01_2d946c21e2fc3f1e9ca6986a8191d85fcc70097a8bb7771a053564bc47009cdf");
}

static void test_lookup_and_text(void **st) {
  (void)st;
  const dtw_typedesc_t *a = dtw_typedesc_find("sensor_msgs/JointState");
  assert_non_null(a);
  assert_ptr_equal(a, dtw_typedesc_find("sensor_msgs/msg/JointState"));
  assert_null(dtw_typedesc_find("sensor_msgs/msg/Nope"));
  assert_null(dtw_typedesc_find("nopkg"));
  assert_null(dtw_typedesc_find("std_srvs/Trigger_Request")); /* pkg/Name is a message */
  const dtw_typedesc_t *rq = dtw_typedesc_find("std_srvs/srv/Trigger_Request");
  assert_non_null(rq);
  assert_non_null(strstr(rq->msg_definition, "uint8 structure_needs_at_least_one_member\n"));
  assert_null(strstr(rq->msg_definition, "dtw_header")); /* rmw's request header is not the type's */
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
