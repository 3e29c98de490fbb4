/* dtwin bridge - the Unity bridge: a ROS-TCP-Endpoint-compatible server. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/bridge_node.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/runner.h"
#include "process.h"

const char dtwin_usage_bridge[] =
    "usage: dtwin bridge [--port N] [--bind ADDR] [--duration S] [--quiet]\n"
    "\n"
    "Serves the ROS-TCP-Endpoint protocol (v0.7, ROS 2) so a Unity project with the stock\n"
    "ROS-TCP-Connector (ROS IP = this host, port, protocol ROS2) subscribes, publishes and\n"
    "calls services on the ROS 2 bus. See docs/unity.md.\n"
    "\n"
    "  --port N       TCP port, 0 = any free port (printed) [bridge.port, default 10000]\n"
    "  --bind ADDR    address to listen on [bridge.bind_address: auto = 127.0.0.1, 0.0.0.0\n"
    "                 in a container]\n"
    "  --duration S   stop after S seconds (default: run until Ctrl-C)\n"
    "  --quiet        no status lines, only the summary\n"
    "\n"
    "Prints \"bridge listening on ADDR:PORT\" once listening.\n"
    "Exit codes: 0 ok, 1 runtime failure (e.g. the port is in use), 2 bad options or\n"
    "configuration.\n";

static int set_param(dtwin_cli_t *cli, const char *param, const char *value) {
  char assignment[1200], err[1024];
  snprintf(assignment, sizeof assignment, "bridge.%s=%s", param, value);
  if (dtw_config_set(cli->cfg, assignment, err, sizeof err) < 0)
    return dtwin_usage_error(cli, "%s", err);
  return 0;
}

static void print_status(const char *cmd, const dtw_bridge_node_stats_t *st) {
  uint64_t refused = 0;
  for (int r = 0; r < DTW_BRIDGE_REFUSAL_COUNT; r++) refused += st->refused[r];
  printf("dtwin %s: %llu clients | frames in %llu out %llu | %llu published | %llu service "
         "calls | %llu dropped | %llu refused\n",
         cmd, (unsigned long long)st->clients, (unsigned long long)st->frames_in,
         (unsigned long long)st->frames_out, (unsigned long long)st->published,
         (unsigned long long)st->service_calls, (unsigned long long)st->dropped,
         (unsigned long long)refused);
  fflush(stdout);
}

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  switch (c) {
  case 'p': return set_param(cli, "port", arg);
  case 'b': return set_param(cli, "bind_address", arg);
  default: return dtwin_run_option(cli, c, arg, user);
  }
}

int dtwin_cmd_bridge(dtwin_cli_t *cli) {
  static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                       {"bind", required_argument, NULL, 'b'},
                                       DTWIN_OPTION_DURATION,
                                       DTWIN_OPTION_QUIET,
                                       {NULL, 0, NULL, 0}};
  char err[2048];
  dtwin_run_opts_t ro = {.duration_s = 0, .status_period_s = 5};
  dtw_bridge_node_settings_t settings;
  int rc = dtwin_parse_options(cli, opts, on_option, &ro);
  if (rc != 0) return rc;
  const double duration_s = ro.duration_s, status_period_s = ro.status_period_s;
  if ((rc = dtwin_get_settings(cli, "bridge", &settings)) != 0) return rc;

  dtwin_host_t host;
  dtw_bridge_node_t *node = NULL;
  if ((rc = dtwin_host_open(cli, &host)) != 0) return rc;
  rc = dtw_bridge_node_create(&settings, &host.node, &node, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    dtwin_host_close(&host);
    /* what the environment did not give (a port in use, memory, DDS) is a runtime
     * failure (docs/cli.md); a bad address or name is a usage error */
    return rc == DTW_ENOMEM || rc == DTW_EDDS || rc == DTW_EIO ? DTWIN_EXIT_FAILURE
                                                               : DTWIN_EXIT_USAGE;
  }
  if ((rc = dtwin_host_serve(cli, &host, 9105)) != 0) {
    dtw_bridge_node_destroy(node);
    dtwin_host_close(&host);
    return rc;
  }
  printf("bridge listening on %s:%d\n", dtw_bridge_node_address(node), dtw_bridge_node_port(node));
  printf("dtwin %s: ROS 2 node %s on DDS domain %u (protocol ROS-TCP-Endpoint v0.7, ROS2)\n",
         cli->cmd_name, dtw_bridge_node_fqn(node), dtw_bus_domain_id(host.node.bus));
  fflush(stdout);

  dtwin_install_signal_handlers();
  dtw_runner_t runner;
  dtw_runner_init_event(&runner, &host.node, dtw_bridge_node_fqn(node), 0.1);
  int64_t t0 = dtw_clock_mono_ns(), period_ns = (int64_t)(status_period_s * 1e9);
  int64_t stop_at = duration_s > 0 ? t0 + (int64_t)(duration_s * 1e9) : INT64_MAX;
  int64_t next_status = t0 + period_ns;
  int exit_code = DTWIN_EXIT_OK;
  dtw_bridge_node_stats_t st;
  while (!dtwin_stop_requested()) {
    int64_t now = dtw_clock_mono_ns();
    if (now >= stop_at) break;
    int64_t left_ms = (stop_at - now) / 1000000 + 1;
    if (dtw_bridge_node_poll(node, left_ms < 100 ? (int)left_ms : 100) < 0) {
      fprintf(stderr, "dtwin %s: epoll failed\n", cli->cmd_name);
      exit_code = DTWIN_EXIT_FAILURE;
      break;
    }
    dtw_runner_beat(&runner);
    if (period_ns > 0 && dtw_clock_mono_ns() >= next_status) {
      dtw_bridge_node_get_stats(node, &st);
      print_status(cli->cmd_name, &st);
      next_status += period_ns;
    }
  }
  dtw_bridge_node_get_stats(node, &st);
  uint64_t refused = 0;
  for (int r = 0; r < DTW_BRIDGE_REFUSAL_COUNT; r++) refused += st.refused[r];
  printf("dtwin %s: stopped after %.1f s; %llu connections, frames in %llu out %llu, %llu "
         "published, %llu service calls, %llu dropped, %llu refused\n",
         cli->cmd_name, (double)(dtw_clock_mono_ns() - t0) / 1e9,
         (unsigned long long)st.accepted, (unsigned long long)st.frames_in,
         (unsigned long long)st.frames_out, (unsigned long long)st.published,
         (unsigned long long)st.service_calls, (unsigned long long)st.dropped,
         (unsigned long long)refused);
  dtw_bridge_node_destroy(node);
  dtwin_host_close(&host);
  return exit_code;
}
