/* dtwin sync - the synchronization node: compares the robot's joint states
 * with the twin's, re-syncs the twin, publishes /sync/status; a status line
 * per second and a summary at the end. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/runner.h"
#include "dtw/sync_node.h"
#include "process.h"

const char dtwin_usage_sync[] =
    "usage: dtwin sync [--mode mirror|shadow] [--duration S] [--status-period S] [--quiet]\n"
    "\n"
    "The synchronization node. Subscribes <robot_namespace>/joint_states and\n"
    "<twin_namespace>/joint_states (default /robot and /twin), matches robot samples to\n"
    "the twin by their stamps, and publishes /sync/status (diagnostic_msgs/DiagnosticArray:\n"
    "state NO_DATA, SYNCED, DIVERGED or STALE, errors per joint group, latency) at\n"
    "sync.status_rate_hz. Serves /sync/resync (std_srvs/Trigger).\n"
    "\n"
    "  --mode mirror      forward every robot sample to <twin_namespace>/set_state\n"
    "  --mode shadow      the twin runs on its own; re-sync it (set_state with the robot's\n"
    "                     latest state) by threshold, period or request [sync.mode]\n"
    "  --duration S       stop after S seconds (default: run until Ctrl-C)\n"
    "  --status-period S  seconds between status lines (default 1, 0 = none)\n"
    "  --quiet            no status lines, only the summary\n"
    "\n"
    "Thresholds, windows and namespaces: --set sync.<param>=VALUE (dtwin config dump).\n"
    "Exit codes: 0 ok, 1 DDS failure, 2 bad options or configuration (also joint groups\n"
    "that do not fit the twin's joints).\n";

typedef dtwin_run_opts_t run_opts_t;

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  if (c == 'm') return dtwin_set_param(cli, "sync", "mode", arg);
  return dtwin_run_option(cli, c, arg, user);
}

static int parse_opts(dtwin_cli_t *cli, run_opts_t *ro) {
  static const struct option opts[] = {{"mode", required_argument, NULL, 'm'}, DTWIN_RUN_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  *ro = (run_opts_t){.duration_s = 0, .status_period_s = 1.0};
  return dtwin_parse_options(cli, opts, on_option, ro);
}

static void print_status(const dtw_sync_node_t *node, double elapsed_s) {
  dtw_sync_report_t *r = malloc(sizeof *r); /* ~15 KiB: not on the stack, once a second */
  if (r == NULL) return;
  dtw_sync_node_stats_t st;
  dtw_sync_node_report(node, r);
  dtw_sync_node_get_stats(node, &st);
  uint64_t resyncs = 0;
  for (int k = 0; k < DTW_SYNC_NODE_RESYNC_REASON_COUNT; k++) resyncs += st.resyncs[k];
  int w = r->worst_joint;
  printf("sync %7.1f s | %-8s %6.1f s | error rms %.4f max %.4f rad%s%s%s | latency p50 %.2f "
         "p99 %.2f ms | %6.1f Hz | resyncs %llu\n",
         elapsed_s, r->state_name, isfinite(r->time_in_state_s) ? r->time_in_state_s : 0.0,
         r->overall.pos_rms_rad, r->overall.pos_max_rad, w >= 0 ? " (" : "",
         w >= 0 ? r->joints[w].name : "", w >= 0 ? ")" : "", r->jitter_median_s * 1e3,
         r->jitter_p99_s * 1e3, r->rate_hz, (unsigned long long)resyncs);
  fflush(stdout);
  free(r);
}

static void print_summary(const dtwin_cli_t *cli, const dtw_sync_node_t *node, double wall_s) {
  dtw_sync_node_stats_t st;
  dtw_sync_node_get_stats(node, &st);
  const dtw_sync_t *sync = dtw_sync_node_sync(node);
  dtw_sync_report_t *r = malloc(sizeof *r);
  if (r == NULL) return;
  dtw_sync_node_report(node, r);
  printf("dtwin %s: stopped after %.1f s in state %s; time per state:", cli->cmd_name, wall_s,
         r->state_name);
  for (int k = 0; k < DTW_SYNC_STATE_COUNT; k++)
    printf(" %s %.1f s", dtw_sync_state_name(k), st.time_in_state_s[k]);
  uint64_t n_tr = 0;
  for (int k = 0; k < DTW_SYNC_STATE_COUNT; k++) n_tr += r->transitions[k];
  printf("\ndtwin %s: %llu transitions (", cli->cmd_name, (unsigned long long)n_tr);
  for (int k = 0; k < DTW_SYNC_STATE_COUNT; k++)
    printf("%sto %s %llu", k ? ", " : "", dtw_sync_state_name(k),
           (unsigned long long)r->transitions[k]);
  printf(")");
  dtw_sync_transition_t tr;
  if (sync != NULL && dtw_sync_last_transition(sync, &tr) == 0) printf("; last: %s", tr.text);
  printf("\ndtwin %s: resyncs", cli->cmd_name);
  for (int k = 0; k < DTW_SYNC_NODE_RESYNC_REASON_COUNT; k++)
    printf(" %s %llu", dtw_sync_node_resync_reason_name(k), (unsigned long long)st.resyncs[k]);
  uint64_t refused = 0;
  for (int k = 0; k < DTW_SYNC_NODE_REFUSAL_COUNT; k++) refused += st.refused[k];
  printf("; robot samples %llu (%llu matched), twin samples %llu, refused %llu, "
         "status published %llu\n",
         (unsigned long long)st.robot_received,
         (unsigned long long)r->outcomes[DTW_SYNC_MATCHED], (unsigned long long)st.twin_received,
         (unsigned long long)refused, (unsigned long long)st.status_published);
  fflush(stdout);
  free(r);
}

int dtwin_cmd_sync(dtwin_cli_t *cli) {
  run_opts_t ro;
  dtw_sync_node_settings_t *settings = malloc(sizeof *settings);
  if (settings == NULL) return DTWIN_EXIT_FAILURE;
  int rc = parse_opts(cli, &ro);
  if (rc == 0) rc = dtwin_get_settings(cli, "sync", settings);
  if (rc != 0) {
    free(settings);
    return rc;
  }
  char err[2048];
  dtwin_host_t host;
  dtw_sync_node_t *node = NULL;
  if ((rc = dtwin_host_open(cli, &host)) != 0) {
    free(settings);
    return rc;
  }
  rc = dtw_sync_node_create(settings, &host.node, &node, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    dtwin_host_close(&host);
    free(settings);
    return rc == DTW_ENOMEM || rc == DTW_EDDS ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_USAGE;
  }
  if ((rc = dtwin_host_serve(cli, &host, 9103)) != 0) {
    dtw_sync_node_destroy(node);
    dtwin_host_close(&host);
    free(settings);
    return rc;
  }
  printf("dtwin %s: ROS 2 node %s on DDS domain %u, %s mode: comparing %s with %s, "
         "publishing %s at %g Hz\n",
         cli->cmd_name, dtw_sync_node_fqn(node), dtw_bus_domain_id(host.node.bus), settings->mode,
         dtw_sync_node_robot_topic(node), dtw_sync_node_twin_topic(node),
         dtw_sync_node_status_topic(node), settings->status_rate_hz);
  fflush(stdout);

  dtwin_install_signal_handlers();
  dtw_runner_t runner;
  dtw_runner_init_event(&runner, &host.node, dtw_sync_node_fqn(node), 1e-3);
  int exit_code = DTWIN_EXIT_OK;
  int64_t t0 = dtw_clock_mono_ns();
  int64_t status_period_ns = (int64_t)(ro.status_period_s * 1e9);
  int64_t next_status = t0 + status_period_ns;
  while (!dtwin_stop_requested()) {
    int64_t now = dtw_clock_mono_ns();
    if (ro.duration_s > 0 && now - t0 >= (int64_t)(ro.duration_s * 1e9)) break;
    rc = dtw_sync_node_poll(node, (double)now * 1e-9);
    if (rc < 0) {
      fprintf(stderr, "dtwin %s: stopping: the twin's joints do not fit the settings (see the "
                      "log above)\n", cli->cmd_name);
      exit_code = DTWIN_EXIT_USAGE;
      break;
    }
    dtw_runner_beat(&runner);
    if (status_period_ns > 0 && now >= next_status) {
      print_status(node, (double)(now - t0) * 1e-9);
      next_status += status_period_ns;
      if (next_status <= now) next_status = now + status_period_ns;
    }
    /* ~1 ms polling: samples are stamped received when taken */
    dtw_clock_sleep_ns(1000000);
  }
  print_summary(cli, node, (double)(dtw_clock_mono_ns() - t0) * 1e-9);
  dtw_sync_node_destroy(node);
  dtwin_host_close(&host);
  free(settings);
  return exit_code;
}
