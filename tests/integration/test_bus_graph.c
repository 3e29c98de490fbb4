/* The ros_discovery_info message for a node with one publisher and one
 * subscription: participant GID, node namespace/name, reader and writer GIDs,
 * for Humble (24-byte Gid) and Jazzy (16-byte Gid). The CDR is parsed by hand
 * here, independently of the generated code. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus/bus__internal.h"
#include "common/harness.h"
#include "dtw/err.h"

typedef struct {
  const uint8_t *p; /* payload after the encapsulation header */
  size_t len, pos;
} rd_t;

static uint32_t rd_u32(rd_t *r) {
  r->pos = (r->pos + 3) & ~(size_t)3;
  assert_true(r->pos + 4 <= r->len);
  uint32_t v = (uint32_t)r->p[r->pos] | (uint32_t)r->p[r->pos + 1] << 8 |
               (uint32_t)r->p[r->pos + 2] << 16 | (uint32_t)r->p[r->pos + 3] << 24;
  r->pos += 4;
  return v;
}

static const char *rd_str(rd_t *r) {
  uint32_t n = rd_u32(r);
  assert_true(n >= 1 && r->pos + n <= r->len);
  const char *s = (const char *)r->p + r->pos;
  assert_int_equal(s[n - 1], '\0');
  r->pos += n;
  return s;
}

static void rd_gid(rd_t *r, size_t gid_len, const dds_guid_t *expect) {
  assert_true(r->pos + gid_len <= r->len);
  assert_memory_equal(r->p + r->pos, expect->v, 16);
  for (size_t i = 16; i < gid_len; i++) assert_int_equal(r->p[r->pos + i], 0);
  r->pos += gid_len;
}

static dtw_bus_t *bus;
static dtw_pub_t *pub;
static dtw_sub_t *sub;

static int setup(void **state) {
  (void)state;
  char err[256];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  if (dtw_bus_create(&opt, &bus, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  dtw_bus_node_t *empty, *node;
  if (dtw_bus_node_create(bus, "twin", "/dt", &node, err, sizeof err) < 0) return -1;
  if (dtw_bus_node_create(bus, "idle", NULL, &empty, err, sizeof err) < 0) return -1;
  if (dtw_pub_create(node, "joint_states", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &pub, err,
                     sizeof err) < 0)
    return -1;
  if (dtw_sub_create(node, "cmd", DTW_TYPE_JOINT_TRAJECTORY, NULL, &sub, err, sizeof err) < 0)
    return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  dtw_bus_destroy(bus);
  return 0;
}

static void check_graph(dtw_ros_distro_t distro, size_t gid_len) {
  uint8_t *buf;
  size_t len;
  assert_int_equal(dtw__graph_serialize(bus, distro, &buf, &len), 0);
  assert_int_equal(buf[0], 0x00);
  assert_int_equal(buf[1], 0x01);
  rd_t r = {buf + 4, len - 4, 0};
  rd_gid(&r, gid_len, &bus->participant_gid);
  assert_int_equal(rd_u32(&r), 2); /* two nodes, in creation order */
  /* endpoints start with their dtw__ep_t head */
  const dtw__ep_t *pe = (const dtw__ep_t *)pub, *se = (const dtw__ep_t *)sub;
  assert_string_equal(rd_str(&r), "/dt");
  assert_string_equal(rd_str(&r), "twin");
  assert_int_equal(rd_u32(&r), 1); /* readers */
  rd_gid(&r, gid_len, &se->reader_gid);
  assert_int_equal(rd_u32(&r), 1); /* writers */
  rd_gid(&r, gid_len, &pe->writer_gid);
  assert_string_equal(rd_str(&r), "/");
  assert_string_equal(rd_str(&r), "idle");
  assert_int_equal(rd_u32(&r), 0);
  assert_int_equal(rd_u32(&r), 0);
  assert_int_equal(r.pos, r.len);
  /* the GIDs are the entities' GUIDs: same participant prefix */
  assert_memory_equal(pe->writer_gid.v, bus->participant_gid.v, 12);
  assert_memory_equal(se->reader_gid.v, bus->participant_gid.v, 12);
  free(buf);
}

static void test_graph_humble(void **state) {
  (void)state;
  check_graph(DTW_ROS_HUMBLE, 24);
}

static void test_graph_jazzy(void **state) {
  (void)state;
  check_graph(DTW_ROS_JAZZY, 16);
}

static void test_graph_updates(void **state) {
  (void)state;
  uint8_t *buf;
  size_t len, len_before;
  assert_int_equal(dtw__graph_serialize(bus, DTW_ROS_HUMBLE, &buf, &len_before), 0);
  free(buf);
  char err[256];
  dtw_bus_node_t *node = bus->nodes->next; /* "twin" (newest first) */
  assert_string_equal(dtw_bus_node_name(node), "twin");
  dtw_pub_t *p2;
  assert_int_equal(dtw_pub_create(node, "/clock", DTW_TYPE_CLOCK, DTW_QOS_CLOCK, &p2, err,
                                  sizeof err),
                   0);
  assert_int_equal(dtw__graph_serialize(bus, DTW_ROS_HUMBLE, &buf, &len), 0);
  assert_int_equal(len, len_before + 24); /* one more writer GID */
  free(buf);
  dtw_pub_destroy(p2);
  assert_int_equal(dtw__graph_serialize(bus, DTW_ROS_HUMBLE, &buf, &len), 0);
  assert_int_equal(len, len_before);
  free(buf);
  /* unknown types and invalid names are refused with a message */
  assert_int_equal(dtw_pub_create(node, "x", "nav_msgs/msg/Odometry", DTW_QOS_DEFAULT, &p2, err,
                                  sizeof err),
                   DTW_EUNSUP);
  assert_non_null(strstr(err, "nav_msgs/msg/Odometry"));
  assert_int_equal(dtw_pub_create(node, "a//b", DTW_TYPE_CLOCK, DTW_QOS_DEFAULT, &p2, err,
                                  sizeof err),
                   DTW_EINVAL);
  dtw_bus_node_t *bad;
  assert_int_equal(dtw_bus_node_create(bus, "9bad", "/", &bad, err, sizeof err), DTW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_graph_humble),
      cmocka_unit_test(test_graph_jazzy),
      cmocka_unit_test(test_graph_updates),
  };
  return th_finish(cmocka_run_group_tests(tests, setup, teardown));
}
