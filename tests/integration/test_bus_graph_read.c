/* Reading the graph: a second participant in this process creates ROS nodes
 * and endpoints through dtw/bus.h and destroys them again; the graph cache of
 * the first participant must follow (nodes, topics, publishers, who publishes
 * what, participants leaving), for the Humble and the Jazzy graph layout. A
 * third participant on another domain (th_domain_extra) is never seen. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/bus_graph.h"

/* a failing wait gives up after this; it bounds nothing else */
#define WAIT_S 30.0

/* Conditions for th_wait_for on a graph: each updates it first. */
static bool update(dtw_graph_t *g) { return dtw_graph_update(g) >= 0; }

static bool has_talker(void *user) {
  dtw_graph_t *g = user;
  return update(g) && dtw_graph_has_node(g, "/gt/talker") &&
         dtw_graph_topic_publishers(g, "/gt/chatter") == 1 &&
         dtw_graph_topic_subscribers(g, "/gt/cmd") == 1 &&
         dtw_graph_node_publishes(g, "/gt/talker", "/gt/chatter");
}
static bool chatter_gone(void *user) {
  dtw_graph_t *g = user;
  return update(g) && dtw_graph_topic_publishers(g, "/gt/chatter") == 0 &&
         dtw_graph_has_node(g, "/gt/talker");
}
static bool talker_gone(void *user) {
  dtw_graph_t *g = user;
  return update(g) && !dtw_graph_has_node(g, "/gt/talker") && !dtw_graph_has_node(g, "/second") &&
         dtw_graph_participant_count(g) == 1 && dtw_graph_topic_subscribers(g, "/gt/cmd") == 0;
}
/* quiet: an update that applies nothing keeps the generation */
static bool quiet(void *user) {
  dtw_graph_t *g = user;
  uint64_t gen = dtw_graph_generation(g);
  return dtw_graph_update(g) == 0 && dtw_graph_generation(g) == gen;
}

static void run(dtw_ros_distro_t distro) {
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  opt.distro = distro;
  dtw_bus_t *a, *b, *c;
  dtw_graph_t *g;
  assert_int_equal(dtw_bus_create(&opt, &a, err, sizeof err), 0);
  assert_int_equal(dtw_graph_create(a, &g, err, sizeof err), 0);
  dtw_bus_node_t *observer;
  assert_int_equal(dtw_bus_node_create(a, "observer", "/", &observer, err, sizeof err), 0);

  /* a node on another domain, created first: never on this domain's graph */
  dtw_bus_options_t other = opt;
  other.domain_id = th_domain_extra();
  dtw_bus_node_t *elsewhere;
  assert_int_equal(dtw_bus_create(&other, &c, err, sizeof err), 0);
  assert_int_equal(dtw_bus_node_create(c, "elsewhere", "/gt", &elsewhere, err, sizeof err), 0);

  assert_int_equal(dtw_bus_create(&opt, &b, err, sizeof err), 0);
  dtw_bus_node_t *talker, *second;
  dtw_pub_t *pub;
  dtw_sub_t *sub;
  assert_int_equal(dtw_bus_node_create(b, "talker", "/gt", &talker, err, sizeof err), 0);
  assert_int_equal(dtw_bus_node_create(b, "second", NULL, &second, err, sizeof err), 0);
  assert_int_equal(dtw_pub_create(talker, "chatter", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &pub,
                                  err, sizeof err),
                   0);
  assert_int_equal(dtw_sub_create(talker, "cmd", DTW_TYPE_JOINT_TRAJECTORY, NULL, &sub, err,
                                  sizeof err),
                   0);

  assert_true(th_wait_for(has_talker, g, WAIT_S));
  assert_int_equal(dtw_graph_participant_count(g), 2);
  assert_false(dtw_graph_has_node(g, "/gt/elsewhere"));
  assert_true(dtw_graph_has_node(g, "/observer"));
  assert_true(dtw_graph_has_node(g, "observer")); /* bare name = root namespace */
  assert_true(dtw_graph_has_node(g, "/second"));
  assert_false(dtw_graph_has_node(g, "/gt/nobody"));
  assert_int_equal(dtw_graph_node_count(g), 3);
  assert_string_equal(dtw_graph_topic_type(g, "/gt/chatter"), "sensor_msgs/msg/JointState");
  assert_true(dtw_graph_node_subscribes(g, "/gt/talker", "/gt/cmd"));
  assert_false(dtw_graph_node_publishes(g, "/gt/talker", "/gt/cmd"));
  assert_false(dtw_graph_node_publishes(g, "/second", "/gt/chatter"));

  /* iteration: the talker node lists one reader and one writer */
  bool seen = false;
  for (size_t i = 0; i < dtw_graph_node_count(g); i++) {
    dtw_graph_node_info_t ni;
    assert_int_equal(dtw_graph_node_at(g, i, &ni), 0);
    if (strcmp(ni.fqn, "/gt/talker") == 0) {
      seen = true;
      assert_string_equal(ni.ns, "/gt");
      assert_string_equal(ni.name, "talker");
      assert_int_equal(ni.n_readers, 1);
      assert_int_equal(ni.n_writers, 1);
    }
  }
  assert_true(seen);
  dtw_graph_node_info_t ni;
  assert_int_equal(dtw_graph_node_at(g, dtw_graph_node_count(g), &ni), -6 /* DTW_ERANGE */);
  seen = false;
  for (size_t i = 0; i < dtw_graph_topic_count(g); i++) {
    dtw_graph_topic_info_t ti;
    assert_int_equal(dtw_graph_topic_at(g, i, &ti), 0);
    if (strcmp(ti.name, "/gt/chatter") == 0) {
      seen = true;
      assert_int_equal(ti.n_publishers, 1);
      assert_int_equal(ti.n_subscribers, 0);
    }
  }
  assert_true(seen);
  bool ep_named = false;
  for (size_t i = 0; i < dtw_graph_endpoint_count(g); i++) {
    dtw_graph_endpoint_info_t ei;
    assert_int_equal(dtw_graph_endpoint_at(g, i, &ei), 0);
    if (strcmp(ei.dds_topic, "rt/gt/chatter") == 0) {
      ep_named = true;
      assert_true(ei.writer);
      assert_int_equal(ei.kind, DTW_GRAPH_EP_TOPIC);
      assert_string_equal(ei.ros_name, "/gt/chatter");
      assert_string_equal(ei.dds_type, "sensor_msgs::msg::dds_::JointState_");
      assert_string_equal(ei.node_fqn, "/gt/talker");
    }
    if (strcmp(ei.dds_topic, "ros_discovery_info") == 0) assert_int_equal(ei.kind, DTW_GRAPH_EP_OTHER);
  }
  assert_true(ep_named);

  /* an endpoint goes away, then the whole participant */
  uint64_t gen = dtw_graph_generation(g);
  dtw_pub_destroy(pub);
  assert_true(th_wait_for(chatter_gone, g, WAIT_S));
  assert_true(dtw_graph_generation(g) > gen);
  dtw_bus_destroy(b);
  assert_true(th_wait_for(talker_gone, g, WAIT_S));
  assert_true(dtw_graph_has_node(g, "/observer"));
  assert_int_equal(dtw_graph_node_count(g), 1);
  assert_false(dtw_graph_has_node(g, "/gt/elsewhere"));
  /* nothing new: once nothing is left to apply, updates keep the generation */
  assert_true(th_wait_for(quiet, g, WAIT_S));

  dtw_graph_destroy(g);
  dtw_bus_destroy(c);
  dtw_bus_destroy(a);
}

static void test_graph_read_humble(void **state) {
  (void)state;
  run(DTW_ROS_HUMBLE);
}

static void test_graph_read_jazzy(void **state) {
  (void)state;
  run(DTW_ROS_JAZZY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_graph_read_humble),
      cmocka_unit_test(test_graph_read_jazzy),
  };
  return th_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
