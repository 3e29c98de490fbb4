/* The monitoring node against a second participant in this process: an
 * expected node that comes and goes, a topic at 200 Hz (type taken from the
 * graph), a topic nobody publishes, /sync/status read into the sync state
 * gauges, the log lines for down/quiet, and the scrape. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/log.h"
#include "dtw/metrics.h"
#include "dtw/monitor_node.h"

#define SEC INT64_C(1000000000)

static char log_text[16384];

static void hook(dtw_log_level_t level, const char *component, const char *line, void *user) {
  (void)level;
  (void)component;
  (void)user;
  size_t n = strlen(log_text);
  if (n + strlen(line) + 2 < sizeof log_text) snprintf(log_text + n, sizeof log_text - n, "%s\n", line);
}

static double now_s(void) { return (double)dtw_clock_mono_ns() * 1e-9; }

static void test_monitor(void **state) {
  (void)state;
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  const char *env = getenv("ROS_DOMAIN_ID");
  opt.domain_id = env ? (atoi(env) + 60) % 232 : 120 + (int)(getpid() % 40);
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
  dtw_monitor_node_t *mon;
  assert_int_equal(dtw_monitor_node_create(&s, &host, &mon, err, sizeof err), 0);
  assert_string_equal(dtw_monitor_node_fqn(mon), "/monitoring_node");
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
  dtw_pub_t *js, *status;
  assert_int_equal(dtw_bus_node_create(pbus, "talker", "/mt", &talker, err, sizeof err), 0);
  assert_int_equal(dtw_pub_create(talker, "js", DTW_TYPE_JOINT_STATE, DTW_QOS_SENSOR_DATA, &js,
                                  err, sizeof err),
                   0);
  assert_int_equal(dtw_pub_create(talker, "status", DTW_TYPE_DIAGNOSTIC_ARRAY, DTW_QOS_DEFAULT,
                                  &status, err, sizeof err),
                   0);
  static dtw_joint_state_msg_t msg;
  static dtw_diag_array_t diag;
  diag.n_status = 2;
  snprintf(diag.status[0].name, DTW_DIAG_TEXT_MAX, "sync: joints");
  diag.status[0].level = 0;
  snprintf(diag.status[1].name, DTW_DIAG_TEXT_MAX, "sync: overall");
  diag.status[1].level = 2;
  snprintf(diag.status[1].message, DTW_DIAG_TEXT_MAX, "twin diverged");
  diag.status[1].n_values = 1;
  snprintf(diag.status[1].values[0].key, DTW_DIAG_TEXT_MAX, "state");
  snprintf(diag.status[1].values[0].value, DTW_DIAG_TEXT_MAX, "DIVERGED");

  /* publish at ~200 Hz for 2 s while polling */
  int64_t end = dtw_clock_mono_ns() + 2 * SEC;
  int k = 0;
  while (dtw_clock_mono_ns() < end) {
    if (dtw_pub_matched_count(js) > 0) dtw_pub_joint_state(js, &msg);
    if (k++ % 20 == 0 && dtw_pub_matched_count(status) > 0) dtw_pub_diagnostics(status, &diag);
    dtw_monitor_node_poll(mon, now_s());
    dtw_clock_sleep_ns(SEC / 200);
  }
  dtw_monitor_status_t st;
  dtw_monitor_node_get_status(mon, &st);
  assert_int_equal(st.n_expected, 2);
  assert_string_equal(st.expected[0].fqn, "/mt/talker");
  assert_true(st.expected[0].up);
  assert_string_equal(st.expected[1].fqn, "/absent_node");
  assert_false(st.expected[1].up);
  assert_int_equal(st.participants, 2);
  assert_int_equal(st.nodes, 2); /* the monitor and the talker */
  assert_int_equal(st.n_topics, 2);
  assert_string_equal(st.topics[0].topic, "/mt/js");
  assert_string_equal(st.topics[0].type, "sensor_msgs/msg/JointState"); /* from the graph */
  assert_true(st.topics[0].subscribed);
  assert_int_equal(st.topics[0].publishers, 1);
  assert_false(st.topics[0].quiet);
  /* sleeping 5 ms per round gives a bit under 200 Hz */
  assert_true(st.topics[0].rate_hz > 80 && st.topics[0].rate_hz < 220);
  assert_true(st.topics[0].max_gap_s > 0.004 && st.topics[0].max_gap_s < 0.2);
  assert_true(st.topics[0].age_s < 0.1);
  assert_true(st.topics[1].quiet);
  assert_true(isinf(st.topics[1].age_s));
  assert_int_equal(st.topics[1].publishers, 0);
  assert_string_equal(st.sync_state_name, "DIVERGED");
  assert_int_equal(st.sync_level, 2);
  assert_string_equal(st.sync_message, "twin diverged");

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
  end = dtw_clock_mono_ns() + 5 * SEC;
  do {
    dtw_monitor_node_poll(mon, now_s());
    dtw_monitor_node_get_status(mon, &st);
    dtw_clock_sleep_ns(SEC / 100);
  } while ((st.expected[0].up || !st.topics[0].quiet || st.sync_state >= 0) &&
           dtw_clock_mono_ns() < end);
  assert_false(st.expected[0].up);
  assert_true(st.topics[0].quiet);
  assert_int_equal(st.topics[0].publishers, 0);
  assert_true(st.topics[0].age_s > 0.3 && isfinite(st.topics[0].age_s));
  assert_int_equal(st.sync_state, -1);
  assert_int_equal(st.participants, 1);
  assert_non_null(strstr(log_text, "expected node /mt/talker is down"));
  assert_non_null(strstr(log_text, "topic /mt/js is quiet: no message for"));
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  assert_non_null(strstr(text, "dtwin_monitor_sync_level{node=\"/monitoring_node\"} NaN\n"));
  assert_non_null(strstr(text, "dtwin_graph_node_up{node=\"/monitoring_node\",ros_node=\"/mt/talker\"} 0\n"));
  free(text);

  dtw_monitor_node_destroy(mon);
  dtw_bus_destroy(mbus);
  dtw_health_destroy(health);
  dtw_metrics_destroy(reg);
}

int main(void) {
  setenv("CYCLONEDDS_URI",
         "<General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces></General>", 1);
  dtw_log_set_hook(hook, NULL);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_monitor)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
