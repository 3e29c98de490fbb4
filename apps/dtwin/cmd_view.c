/* dtwin view - the viewer alone, attached over DDS to a running system (a
 * split deployment): the page and the Foxglove WebSocket server on the pairs'
 * topics, with the model and names from the same configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/sim_node.h"
#include "dtw/sync_node.h"
#include "dtw/robot_node.h"
#include "dtw/twin.h"
#include "dtw/viewer_node.h"
#include "process.h"
#include "up.h"
#include "view.h"

const char dtwin_usage_view[] =
    "usage: dtwin view [--twins N] [--address ADDR] [--port P] [--read-only] [--duration S]\n"
    "\n"
    "Serves the dtwin page (3D view of robot and twin, plots, controls) and a Foxglove\n"
    "WebSocket server (foxglove.websocket.v1) for a system running elsewhere on the same\n"
    "DDS domain (dtwin up, or dtwin robot/sim/sync as separate processes). It reads the\n"
    "model and the topic names from the same configuration (sim.*, robot.controller,\n"
    "sync.*, up.twins, up.robot) and prints its address.\n"
    "\n"
    "  --twins N        robot/twin pairs of the system (/robot_<k>, /twin_<k>) [up.twins]\n"
    "  --address ADDR   bind address [viewer.address, default 127.0.0.1]\n"
    "  --port P         TCP port, 0 = any free [viewer.port, default 8765]\n"
    "  --read-only      no controls (services, motions, faults) [viewer.read_only]\n"
    "  --duration S     stop after S seconds (default: until Ctrl-C)\n"
    "\n"
    "Controls are off by default when ADDR is not a loopback address. Fault controls\n"
    "appear when the robot is dtwin's emulator (up.robot=true).\n"
    "Exit codes: 0 ok, 1 runtime failure (port in use, DDS), 2 bad options or model.\n";

void dtwin_viewer_pair(dtw_viewer_pair_t *p, size_t k, size_t n, const char *robot_controller,
                       const char *twin_controller, bool emulator) {
  memset(p, 0, sizeof *p);
  if (n == 1) {
    snprintf(p->robot_ns, sizeof p->robot_ns, "/robot");
    snprintf(p->twin_ns, sizeof p->twin_ns, "/twin");
    snprintf(p->status_topic, sizeof p->status_topic, "/sync/status");
    snprintf(p->resync_service, sizeof p->resync_service, "/sync/resync");
  } else {
    snprintf(p->robot_ns, sizeof p->robot_ns, "/robot_%zu", k);
    snprintf(p->twin_ns, sizeof p->twin_ns, "/twin_%zu", k);
    snprintf(p->status_topic, sizeof p->status_topic, "/sync_%zu/status", k);
    snprintf(p->resync_service, sizeof p->resync_service, "/sync_%zu/resync", k);
  }
  snprintf(p->robot_controller, sizeof p->robot_controller, "%s", robot_controller);
  snprintf(p->twin_controller, sizeof p->twin_controller, "%s", twin_controller);
  p->emulator = emulator;
}

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  switch (c) {
  case 'n': return dtwin_set_param(cli, "up", "twins", arg);
  case 'a': return dtwin_set_param(cli, "viewer", "address", arg);
  case 'p': return dtwin_set_param(cli, "viewer", "port", arg);
  case 'R': return dtwin_set_param(cli, "viewer", "read_only", "true");
  default: return dtwin_run_option(cli, c, arg, user);
  }
}

int dtwin_cmd_view(dtwin_cli_t *cli) {
  static const struct option opts[] = {{"twins", required_argument, NULL, 'n'},
                                       {"address", required_argument, NULL, 'a'},
                                       {"port", required_argument, NULL, 'p'},
                                       {"read-only", no_argument, NULL, 'R'},
                                       DTWIN_RUN_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  dtwin_run_opts_t o = {.duration_s = 0, .status_period_s = 0};
  int rc = dtwin_parse_options(cli, opts, on_option, &o);
  if (rc != 0) return rc;
  static dtwin_up_settings_t up;
  static dtw_sim_node_settings_t sim;
  static dtw_robot_node_settings_t robot;
  static dtw_sync_node_settings_t sync;
  static dtw_viewer_node_settings_t vs;
  if ((rc = dtwin_get_settings(cli, "up", &up)) != 0 ||
      (rc = dtwin_get_settings(cli, "sim", &sim)) != 0 ||
      (rc = dtwin_get_settings(cli, "robot", &robot)) != 0 ||
      (rc = dtwin_get_settings(cli, "sync", &sync)) != 0 ||
      (rc = dtwin_get_settings(cli, "viewer", &vs)) != 0)
    return rc;
  /* the model as the twin loads it (same settings, same MJCF) */
  dtw_twin_settings_t ts;
#define DTW__COPY(type, name, ...) memcpy(&ts.name, &sim.name, sizeof ts.name);
  DTW_TWIN_PARAMS(DTW__COPY)
#undef DTW__COPY
  char err[2048] = "";
  dtw_twin_t *twin = NULL;
  if ((rc = dtw_twin_create(&ts, &twin, err, sizeof err)) < 0) {
    fprintf(stderr, "dtwin view: %s\n", err);
    return DTWIN_EXIT_USAGE;
  }
  size_t n = (size_t)up.twins;
  dtw_viewer_pair_t *vp = calloc(n, sizeof *vp);
  dtwin_host_t host;
  if (vp == NULL || (rc = dtwin_host_open(cli, &host)) != 0) {
    free(vp);
    dtw_twin_destroy(twin);
    return vp == NULL ? DTWIN_EXIT_FAILURE : rc;
  }
  for (size_t k = 0; k < n; k++)
    dtwin_viewer_pair(&vp[k], k, n, robot.controller,
                      strcmp(sync.mode, "shadow") == 0 ? sim.controller : "", up.robot);
  dtw_viewer_node_config_t vc = {.robot = dtw_twin_robot(twin), .pairs = vp, .n_pairs = n,
                                 .alarm_position_error_rad = sync.alarm_position_error_rad,
                                 .joint_groups = sync.joint_groups};
  dtw_viewer_node_t *view = NULL;
  vs.enabled = true;
  rc = dtw_viewer_node_create(&vs, &vc, &host.node, &view, err, sizeof err);
  free(vp);
  int exit_code = DTWIN_EXIT_OK;
  if (rc < 0) {
    fprintf(stderr, "dtwin view: %s\n", err);
    exit_code = rc == DTW_EIO || rc == DTW_EDDS || rc == DTW_ENOMEM ? DTWIN_EXIT_FAILURE
                                                                      : DTWIN_EXIT_USAGE;
  } else if ((exit_code = dtwin_host_serve(cli, &host, 9107)) == 0) {
    printf("dtwin view: viewer at %s (Foxglove: ws://%s)%s\n", dtw_viewer_node_url(view),
           dtw_viewer_node_url(view) + 7, dtw_viewer_node_read_only(view) ? ", read-only" : "");
    fflush(stdout);
    dtwin_install_signal_handlers();
    int64_t start = dtw_clock_mono_ns();
    while (!dtwin_stop_requested() &&
           (o.duration_s <= 0 || dtw_clock_mono_ns() - start < (int64_t)(o.duration_s * 1e9)))
      dtw_clock_sleep_ns(50000000);
  }
  dtw_viewer_node_destroy(view);
  dtwin_host_close(&host);
  dtw_twin_destroy(twin);
  return exit_code;
}
