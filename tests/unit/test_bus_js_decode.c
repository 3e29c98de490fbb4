/* The JointState receive fast path (dtw__js_decode): it must read exactly
 * what the generated serializer writes, in either byte order, and refuse
 * (never truncate) anything malformed or too large, like the generic path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus__internal.h"
#include "dtw/err.h"

static dtw_joint_state_msg_t in, out;

static void make(size_t n, size_t n_vel) {
  memset(&in, 0, sizeof in);
  in.stamp.sec = 12;
  in.stamp.nanosec = 345;
  snprintf(in.frame_id, sizeof in.frame_id, "base_link");
  in.n_name = in.n_position = in.n_effort = n;
  in.n_velocity = n_vel;
  for (size_t i = 0; i < n; i++) {
    snprintf(in.name[i], sizeof in.name[i], "joint_%zu", i);
    in.position[i] = 0.5 * (double)i - 1.0;
    in.effort[i] = -2.0 * (double)i;
  }
  for (size_t i = 0; i < n_vel; i++) in.velocity[i] = 1e-3 * (double)i;
}

/* serialize `in` with the generated serializer (the bytes Cyclone stores) */
static uint8_t *ser(size_t *len) {
  sensor_msgs_msg_dds__JointState_ s;
  char *names[DTW_MAX_JOINTS];
  uint8_t *buf = NULL;
  assert_int_equal(dtw__js_to_sample(&in, &s, names), 0);
  assert_int_equal(dtw__serialize(&sensor_msgs_msg_dds__JointState__desc, &s, &buf, len), 0);
  return buf;
}

static void check_equal(void) {
  assert_int_equal(out.stamp.sec, in.stamp.sec);
  assert_int_equal(out.stamp.nanosec, in.stamp.nanosec);
  assert_string_equal(out.frame_id, in.frame_id);
  assert_int_equal(out.n_name, in.n_name);
  assert_int_equal(out.n_position, in.n_position);
  assert_int_equal(out.n_velocity, in.n_velocity);
  assert_int_equal(out.n_effort, in.n_effort);
  for (size_t i = 0; i < in.n_name; i++) assert_string_equal(out.name[i], in.name[i]);
  assert_memory_equal(out.position, in.position, in.n_position * sizeof(double));
  assert_memory_equal(out.velocity, in.velocity, in.n_velocity * sizeof(double));
  assert_memory_equal(out.effort, in.effort, in.n_effort * sizeof(double));
}

static void test_round_trip(void **state) {
  (void)state;
  size_t len;
  make(23, 0); /* an empty sequence between full ones: no element alignment */
  uint8_t *buf = ser(&len);
  memset(&out, 0xff, sizeof out);
  assert_int_equal(dtw__js_decode(buf, len, &out), 0);
  check_equal();
  free(buf);
  make(0, 0);
  buf = ser(&len);
  assert_int_equal(dtw__js_decode(buf, len, &out), 0);
  check_equal();
  free(buf);
}

/* Big-endian encoding of the same message, written by hand. */
static size_t put_be32(uint8_t *b, size_t off, uint32_t v) {
  off = (off + 3) & ~(size_t)3;
  for (int i = 0; i < 4; i++) b[4 + off + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
  return off + 4;
}

static void test_big_endian(void **state) {
  (void)state;
  uint8_t b[256] = {0x00, 0x00, 0x00, 0x00};
  size_t off = 0;
  off = put_be32(b, off, 7);          /* sec */
  off = put_be32(b, off, 9);          /* nanosec */
  off = put_be32(b, off, 2);          /* frame_id "a" */
  b[4 + off] = 'a';
  off += 2;
  off = put_be32(b, off, 1);          /* one name */
  off = put_be32(b, off, 3);          /* "j1" */
  memcpy(b + 4 + off, "j1", 3);
  off += 3;
  off = put_be32(b, off, 1);          /* one position */
  off = (off + 7) & ~(size_t)7;
  uint64_t u;
  double v = 1.5;
  memcpy(&u, &v, 8);
  for (int i = 0; i < 8; i++) b[4 + off + (size_t)i] = (uint8_t)(u >> (56 - 8 * i));
  off += 8;
  off = put_be32(b, off, 0);          /* velocity */
  off = put_be32(b, off, 0);          /* effort */
  assert_int_equal(dtw__js_decode(b, 4 + off, &out), 0);
  assert_int_equal(out.stamp.sec, 7);
  assert_int_equal(out.stamp.nanosec, 9);
  assert_string_equal(out.frame_id, "a");
  assert_int_equal(out.n_name, 1);
  assert_string_equal(out.name[0], "j1");
  assert_int_equal(out.n_position, 1);
  assert_true(out.position[0] == 1.5);
  assert_int_equal(out.n_velocity, 0);
  assert_int_equal(out.n_effort, 0);
}

static void test_refusals(void **state) {
  (void)state;
  size_t len;
  make(3, 3);
  uint8_t *buf = ser(&len);
  /* every truncation is malformed */
  for (size_t n = 0; n < len; n++) {
    int rc = dtw__js_decode(buf, n, &out);
    assert_true(rc == DTW_EPARSE);
  }
  /* not plain CDR */
  buf[1] = 0x03;
  assert_int_equal(dtw__js_decode(buf, len, &out), DTW_EPARSE);
  buf[1] = 0x01;
  /* frame_id without its NUL */
  uint8_t saved = buf[4 + 8 + 4 + 9];
  buf[4 + 8 + 4 + 9] = 'x';
  assert_int_equal(dtw__js_decode(buf, len, &out), DTW_EPARSE);
  buf[4 + 8 + 4 + 9] = saved;
  /* a string length running past the end */
  buf[4 + 8] = 0xff;
  buf[4 + 9] = 0xff;
  assert_int_equal(dtw__js_decode(buf, len, &out), DTW_EPARSE);
  free(buf);
  /* more joints than a plain struct holds */
  make(DTW_MAX_JOINTS, 0);
  buf = ser(&len);
  uint32_t big = DTW_MAX_JOINTS + 1, off = 4 + 8 + 4 + 10 + 2; /* n_name after "base_link" + pad */
  memcpy(buf + off, &big, 4);
  assert_int_equal(dtw__js_decode(buf, len, &out), DTW_EFULL);
  free(buf);
  /* a name that does not fit (other ROS nodes have no such limit) */
  static char long_name[DTW_NAME_MAX + 8];
  memset(long_name, 'n', sizeof long_name - 1);
  make(1, 0);
  sensor_msgs_msg_dds__JointState_ s;
  char *names[DTW_MAX_JOINTS];
  assert_int_equal(dtw__js_to_sample(&in, &s, names), 0);
  names[0] = long_name;
  assert_int_equal(dtw__serialize(&sensor_msgs_msg_dds__JointState__desc, &s, &buf, &len), 0);
  assert_int_equal(dtw__js_decode(buf, len, &out), DTW_ERANGE);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_big_endian),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
