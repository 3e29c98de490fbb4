/* dtwin monitor - the monitoring node: watches the DDS graph, the twin's
 * topics and the sync status and serves them as metrics. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/monitor_node.h"
#include "process.h"

const char dtwin_usage_monitor[] =
    "usage: dtwin monitor [--duration S] [--quiet]\n"
    "\n"
    "The monitoring node (/monitoring_node): watches which DDS participants and ROS 2 nodes\n"
    "are alive, whether the expected nodes are up, the rate, gaps and age of the watched\n"
    "topics and the sync state from /sync/status, and serves it all on /metrics\n"
    "(dtwin_graph_*, dtwin_topic_*, dtwin_monitor_sync_*). Logs a line when an expected\n"
    "node goes down or comes up and when a topic goes quiet or resumes.\n"
    "Settings: monitor.expected_nodes, monitor.watched_topics, monitor.quiet_after_s,\n"
    "monitor.window_s, monitor.status_topic (see `dtwin config dump`).\n"
    "\n"
    "  --duration S   stop after S seconds (default: run until Ctrl-C)\n"
    "  --quiet        no status line each second\n"
    "\n"
    "Exit codes: 0 ok, 1 failure (DDS, endpoint), 2 bad options or configuration.\n";

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  return dtwin_run_option(cli, c, arg, user);
}

static void print_status(const dtw_monitor_node_t *node) {
  dtw_monitor_status_t st;
  char down[512] = "", quiet[512] = "", rates[512] = "";
  dtw_monitor_node_get_status(node, &st);
  size_t ld = 0, lq = 0, lr = 0;
  for (size_t i = 0; i < st.n_expected; i++)
    if (!st.expected[i].up && ld < sizeof down)
      ld += (size_t)snprintf(down + ld, sizeof down - ld, " %s", st.expected[i].fqn);
  for (size_t i = 0; i < st.n_topics; i++) {
    const dtw_monitor_topic_status_t *t = &st.topics[i];
    if (t->quiet && lq < sizeof quiet)
      lq += (size_t)snprintf(quiet + lq, sizeof quiet - lq, " %s", t->topic);
    else if (!t->quiet && lr < sizeof rates)
      lr += (size_t)snprintf(rates + lr, sizeof rates - lr, " %s %.1f Hz (gap %.0f ms)", t->topic,
                             t->rate_hz, t->max_gap_s * 1e3);
  }
  printf("nodes %zu/%zu up%s%s%s | participants %zu, ros nodes %zu | quiet %zu/%zu%s%s |%s | "
         "sync %s",
         st.n_expected_up, st.n_expected, ld ? " (down:" : "", ld ? down : "", ld ? ")" : "",
         st.participants, st.nodes, st.n_quiet, st.n_topics, lq ? ":" : "", quiet,
         lr ? rates : " no topic active", st.sync_state_name);
  if (st.sync_level >= 0) printf(" (level %d)", st.sync_level);
  if (st.duplicate_names > 0)
    printf(" | DUPLICATE node names %zu (%s)", st.duplicate_names, st.duplicate_first);
  printf("\n");
  fflush(stdout);
}

int dtwin_cmd_monitor(dtwin_cli_t *cli) {
  static const struct option opts[] = {DTWIN_OPTION_DURATION, DTWIN_OPTION_QUIET,
                                       {NULL, 0, NULL, 0}};
  dtwin_run_opts_t ro = {.duration_s = 0, .status_period_s = 1.0};
  int rc = dtwin_parse_options(cli, opts, on_option, &ro);
  if (rc != 0) return rc;
  const double duration_s = ro.duration_s;
  const bool quiet = ro.status_period_s == 0;
  dtw_monitor_node_settings_t settings;
  if ((rc = dtwin_get_settings(cli, "monitor", &settings)) != 0) return rc;

  char err[2048];
  dtwin_host_t host;
  dtw_monitor_node_t *node = NULL;
  if ((rc = dtwin_host_open(cli, &host)) != 0) return rc;
  rc = dtw_monitor_node_create(&settings, &host.node, &node, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    dtwin_host_close(&host);
    return rc == DTW_ENOMEM || rc == DTW_EDDS ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_USAGE;
  }
  if ((rc = dtwin_host_serve(cli, &host, 9104)) != 0) {
    dtw_monitor_node_destroy(node);
    dtwin_host_close(&host);
    return rc;
  }
  printf("dtwin %s: ROS 2 node %s on DDS domain %u: expecting %s; watching %s\n", cli->cmd_name,
         dtw_monitor_node_fqn(node), dtw_bus_domain_id(host.node.bus), settings.expected_nodes,
         settings.watched_topics);
  fflush(stdout);

  dtwin_install_signal_handlers();
  dtw_health_loop_t *loop = dtw_health_add_loop(host.node.health, dtw_monitor_node_fqn(node), 1.0);
  int64_t t0 = dtw_clock_mono_ns();
  int64_t next_status = t0 + DTW_NS_PER_S;
  uint64_t polls = 0, poll_errors = 0;
  while (!dtwin_stop_requested()) {
    int64_t now = dtw_clock_mono_ns();
    if (duration_s > 0 && (double)(now - t0) * 1e-9 >= duration_s) break;
    if (dtw_monitor_node_poll(node, (double)now * 1e-9) < 0) poll_errors++;
    polls++;
    dtw_health_beat(loop);
    if (!quiet && now >= next_status) {
      print_status(node);
      next_status += DTW_NS_PER_S;
    }
    dtw_clock_sleep_ns(DTW_NS_PER_S / 200);
  }
  dtw_monitor_status_t st;
  dtw_monitor_node_get_status(node, &st);
  printf("dtwin %s: stopped after %.1f s; %llu polls, %llu graph read errors; last seen: nodes "
         "%zu/%zu up, %zu/%zu topics quiet, sync %s\n",
         cli->cmd_name, (double)(dtw_clock_mono_ns() - t0) * 1e-9, (unsigned long long)polls,
         (unsigned long long)poll_errors, st.n_expected_up, st.n_expected, st.n_quiet,
         st.n_topics, st.sync_state_name);
  dtw_monitor_node_destroy(node);
  dtwin_host_close(&host);
  return poll_errors > 0 && poll_errors == polls ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_OK;
}
