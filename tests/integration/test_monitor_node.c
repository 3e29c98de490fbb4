/* The monitoring node against a second participant in this process: an
 * expected node that comes and goes, a topic at 200 Hz (type taken from the
 * graph), a topic nobody publishes, /sync/status read into the sync state
 * gauges, the log lines for down/quiet, and the scrape.
 * The node times samples with a fake clock (dtw_monitor_node_set_clock): the
 * test sets it, publishes one sample and waits for it to arrive, so the rate,
 * gap and age are exact whatever the machine's load. Discovery and the
 * talker leaving are waited for as conditions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/log.h"
#include "dtw/metrics.h"
#include "dtw/monitor_node.h"

#define SEC INT64_C(1000000000)
#define MS INT64_C(1000000)
/* a failing wait gives up after this; it bounds nothing else */
#define WAIT_S 30.0

static char log_text[16384];

static void hook(dtw_log_level_t level, const char *component, const char *line, void *user) {
  (void)level;
  (void)component;
  (void)user;
  size_t n = strlen(log_text);
  if (n + strlen(line) + 2 < sizeof log_text) snprintf(log_text + n, sizeof log_text - n, "%s\n", line);
}

/* the node's clock: read in Cyclone's receive thread, moved by the test */
static atomic_llong fake_ns;
static int64_t fake_clock(void *user) {
  (void)user;
  return atomic_load(&fake_ns);
}
static double fake_s(void) { return (double)atomic_load(&fake_ns) * 1e-9; }

static struct {
  dtw_monitor_node_t *mon;
  dtw_monitor_status_t st;
  dtw_pub_t *js, *status;
  dtw_diag_array_t diag;
  uint64_t want_messages;
} g;

/* Poll with the fake clock 10 ms on (time passes while we wait for DDS). */
static void poll_later(void) {
  atomic_fetch_add(&fake_ns, 10 * MS);
  assert_true(dtw_monitor_node_poll(g.mon, fake_s()) >= 0);
  dtw_monitor_node_get_status(g.mon, &g.st);
}

static bool talker_seen(void *user) {
  (void)user;
  poll_later();
  return g.st.expected[0].up && g.st.topics[0].subscribed && g.st.topics[0].publishers == 1 &&
         dtw_pub_matched_count(g.js) > 0 && dtw_pub_matched_count(g.status) > 0;
}

static bool sample_arrived(void *user) {
  (void)user;
  dtw_monitor_node_get_status(g.mon, &g.st);
  return g.st.topics[0].messages >= g.want_messages;
}

static bool diverged_seen(void *user) {
  (void)user;
  poll_later();
  return g.st.sync_state_name != NULL && strcmp(g.st.sync_state_name, "DIVERGED") == 0;
}

static bool talker_gone(void *user) {
  (void)user;
  poll_later();
  return !g.st.expected[0].up && g.st.topics[0].quiet && g.st.sync_state < 0;
}

static void test_monitor(void **state) {
  (void)state;
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  dtw_bus_t *mbus, *pbus;
  dtw_metrics_t *reg;
  dtw_health_t *health;
  assert_int_equal(dtw_bus_create(&opt, &mbus, err, sizeof err), 0);
  assert_int_equal(dtw_metrics_create(&reg), 0);
  assert_int_equal(dtw_health_create(&health), 0);
  dtw_node_host_t host = {mbus, reg, health};

  dtw_monitor_node_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_monitor_node_param_table, &s), 0);
  snprintf(s.expected_nodes, sizeof s.expected_nodes, "/mt/talker absent_node");
  snprintf(s.watched_topics, sizeof s.watched_topics,
           "/mt/js /mt/none:sensor_msgs/msg/JointState");
  snprintf(s.status_topic, sizeof s.status_topic, "/mt/status");
  s.quiet_after_s = 0.3;
  s.window_s = 1.0;
  assert_int_equal(dtw_monitor_node_create(&s, &host, &g.mon, err, sizeof err), 0);
  atomic_store(&fake_ns, 100 * SEC);
  dtw_monitor_node_set_clock(g.mon, fake_clock, NULL); /* before any publisher exists */
  assert_string_equal(dtw_monitor_node_fqn(g.mon), "/monitoring_node");
  char ready[256];
  assert_int_equal(dtw_health_check_ready(health, ready, sizeof ready), 1);

  /* a bad type is refused at create */
  dtw_monitor_node_settings_t bad = s;
  snprintf(bad.watched_topics, sizeof bad.watched_topics, "/x:nope/msg/Nothing");
  snprintf(bad.node_name, sizeof bad.node_name, "monitor_bad");
  dtw_monitor_node_t *m2 = NULL;
  assert_int_equal(dtw_monitor_node_create(&bad, &host, &m2, err, sizeof err), -1);
  assert_non_null(strstr(err, "nope/msg/Nothing"));

  assert_int_equal(dtw_bus_create(&opt, &pbus, err, sizeof err), 0);
  dtw_bus_node_t *talker;
  assert_int_equal(dtw_bus_node_create(pbus, "talker", "/mt", &talker, err, sizeof err), 0);
  assert_int_equal(dtw_pub_create(talker, "js", DTW_TYPE_JOINT_STATE, DTW_QOS_SENSOR_DATA, &g.js,
                                  err, sizeof err),
                   0);
  assert_int_equal(dtw_pub_create(talker, "status", DTW_TYPE_DIAGNOSTIC_ARRAY, DTW_QOS_DEFAULT,
                                  &g.status, err, sizeof err),
                   0);
  static dtw_joint_state_msg_t msg;
  dtw_diag_array_t *diag = &g.diag;
  diag->n_status = 2;
  snprintf(diag->status[0].name, DTW_DIAG_TEXT_MAX, "sync: joints");
  diag->status[0].level = 0;
  snprintf(diag->status[1].name, DTW_DIAG_TEXT_MAX, "sync: overall");
  diag->status[1].level = 2;
  snprintf(diag->status[1].message, DTW_DIAG_TEXT_MAX, "twin diverged");
  diag->status[1].n_values = 1;
  snprintf(diag->status[1].values[0].key, DTW_DIAG_TEXT_MAX, "state");
  snprintf(diag->status[1].values[0].value, DTW_DIAG_TEXT_MAX, "DIVERGED");

  /* the talker is on the graph and /mt/js subscribed with the graph's type */
  assert_true(th_wait_for(talker_seen, NULL, WAIT_S));
  assert_int_equal(g.st.topics[0].messages, 0);

  /* 200 samples 5 ms apart on the node's clock, each waited for (a lost one,
   * best effort, is sent again at the same time), then a poll 4 ms after the
   * last: exactly 200 Hz over the 1 s window, largest gap 5 ms, age 4 ms */
  int64_t t0 = atomic_load(&fake_ns) + SEC; /* the window starts after the node did */
  for (int k = 0; k < 200; k++) {
    atomic_store(&fake_ns, t0 + k * 5 * MS);
    g.want_messages = (uint64_t)k + 1;
    bool arrived = false;
    for (int attempt = 0; attempt < 5 && !arrived; attempt++) {
      assert_int_equal(dtw_pub_joint_state(g.js, &msg), 0);
      arrived = th_wait_for(sample_arrived, NULL, WAIT_S / 5);
    }
    assert_true(arrived);
  }
  atomic_store(&fake_ns, t0 + 199 * 5 * MS + 4 * MS);
  assert_true(dtw_monitor_node_poll(g.mon, fake_s()) >= 0);
  dtw_monitor_node_get_status(g.mon, &g.st);
  dtw_monitor_status_t *st = &g.st;
  assert_int_equal(st->n_expected, 2);
  assert_string_equal(st->expected[0].fqn, "/mt/talker");
  assert_true(st->expected[0].up);
  assert_string_equal(st->expected[1].fqn, "/absent_node");
  assert_false(st->expected[1].up);
  assert_int_equal(st->participants, 2);
  assert_int_equal(st->nodes, 2); /* the monitor and the talker */
  assert_int_equal(st->n_topics, 2);
  assert_string_equal(st->topics[0].topic, "/mt/js");
  assert_string_equal(st->topics[0].type, "sensor_msgs/msg/JointState"); /* from the graph */
  assert_true(st->topics[0].subscribed);
  assert_int_equal(st->topics[0].publishers, 1);
  assert_int_equal(st->topics[0].messages, 200);
  assert_false(st->topics[0].quiet);
  th_assert_near(st->topics[0].rate_hz, 200.0, 1e-6, "/mt/js rate (Hz)");
  th_assert_near(st->topics[0].max_gap_s, 0.005, 1e-8, "/mt/js largest gap (s)");
  th_assert_near(st->topics[0].age_s, 0.004, 1e-8, "/mt/js age (s)");
  assert_true(st->topics[1].quiet);
  assert_true(isinf(st->topics[1].age_s));
  assert_int_equal(st->topics[1].publishers, 0);

  /* a sync status: its overall entry gives the state */
  assert_int_equal(dtw_pub_diagnostics(g.status, diag), 0);
  assert_true(th_wait_for(diverged_seen, NULL, WAIT_S));
  assert_int_equal(st->sync_level, 2);
  assert_string_equal(st->sync_message, "twin diverged");

  char *text;
  size_t len;
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  assert_non_null(strstr(text, "dtwin_graph_node_up{node=\"/monitoring_node\",ros_node=\"/mt/talker\"} 1\n"));
  assert_non_null(strstr(text, "dtwin_graph_node_up{node=\"/monitoring_node\",ros_node=\"/absent_node\"} 0\n"));
  assert_non_null(strstr(text, "dtwin_topic_publishers{node=\"/monitoring_node\",topic=\"/mt/js\"} 1\n"));
  assert_non_null(strstr(text, "dtwin_topic_quiet{node=\"/monitoring_node\",topic=\"/mt/none\"} 1\n"));
  assert_non_null(strstr(text, "dtwin_topic_last_message_age_seconds{node=\"/monitoring_node\",topic=\"/mt/none\"} +Inf\n"));
  assert_non_null(strstr(text, "dtwin_monitor_sync_state{node=\"/monitoring_node\",state=\"DIVERGED\"} 1\n"));
  assert_non_null(strstr(text, "dtwin_monitor_sync_state{node=\"/monitoring_node\",state=\"SYNCED\"} 0\n"));
  assert_non_null(strstr(text, "dtwin_monitor_sync_level{node=\"/monitoring_node\"} 2\n"));
  assert_non_null(strstr(text, "dtwin_graph_participants{node=\"/monitoring_node\"} 2\n"));
  free(text);
  assert_non_null(strstr(log_text, "expected node /mt/talker is up"));
  assert_non_null(strstr(log_text, "topic /mt/none is quiet"));

  /* the talker leaves: node down, topic quiet, sync state unknown */
  dtw_bus_destroy(pbus);
  assert_true(th_wait_for(talker_gone, NULL, WAIT_S));
  assert_false(st->expected[0].up);
  assert_true(st->topics[0].quiet);
  assert_int_equal(st->topics[0].publishers, 0);
  th_assert_range(st->topics[0].age_s, 0.3, 1e6, "/mt/js age once quiet (s)");
  assert_int_equal(st->sync_state, -1);
  assert_int_equal(st->participants, 1);
  assert_non_null(strstr(log_text, "expected node /mt/talker is down"));
  assert_non_null(strstr(log_text, "topic /mt/js is quiet: no message for"));
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  assert_non_null(strstr(text, "dtwin_monitor_sync_level{node=\"/monitoring_node\"} NaN\n"));
  assert_non_null(strstr(text, "dtwin_graph_node_up{node=\"/monitoring_node\",ros_node=\"/mt/talker\"} 0\n"));
  free(text);

  dtw_monitor_node_destroy(g.mon);
  dtw_bus_destroy(mbus);
  dtw_health_destroy(health);
  dtw_metrics_destroy(reg);
}

int main(void) {
  dtw_log_set_hook(hook, NULL);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_monitor)};
  return th_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
