/* dtwin sim / dtwin demo - run the physics twin paced to the wall clock,
 * optionally following a motion file, printing a status line periodically. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/pacer.h"
#include "dtw/runner.h"
#include "dtw/paths.h"
#include "dtw/traj_file.h"
#include "dtw/sim_node.h"
#include "dtw/twin.h"
#include "process.h"

const char dtwin_usage_sim[] =
    "usage: dtwin sim [--model FILE] [--world FILE] [--base fixed|floating] [--rtf X]\n"
    "                 [--duration S] [--trajectory FILE [--loop]] [--status-period S] [--quiet]\n"
    "\n"
    "Runs the physics twin: the robot model in MuJoCo at sim.physics_rate_hz, driven by its\n"
    "joint trajectory controller, paced to the wall clock at --rtf (0 = as fast as possible).\n"
    "With no options it runs the demo humanoid on its test stand, holding its initial pose.\n"
    "\n"
    "  --model FILE        robot description (.urdf, .urdf.xacro, .xacro, MJCF .xml) [sim.model]\n"
    "  --world FILE        MJCF world merged with a URDF robot [sim.world]\n"
    "  --base MODE         fixed (test stand) or floating (free joint) [sim.base]\n"
    "  --rtf X             real-time factor, 0 = unpaced [sim.rtf]\n"
    "  --duration S        stop after S simulated seconds (default: run until Ctrl-C)\n"
    "  --trajectory FILE   send this motion (YAML, see config/motions/) to the controller\n"
    "  --loop              send it again each time it has finished\n"
    "  --status-period S   seconds of wall time between status lines (default 1, 0 = none)\n"
    "  --quiet             no status lines, only the summary\n"
    "\n"
    "Exit codes: 0 ok, 1 the physics failed, 2 bad options, configuration or model.\n";

const char dtwin_usage_demo[] =
    "usage: dtwin demo [--duration S] [--rtf X] [--motion FILE] [--base fixed|floating]\n"
    "\n"
    "The demo humanoid twin following its demo motion (config/motions/demo.yaml, looped),\n"
    "with one status line per second: simulated time, achieved real-time factor, physics\n"
    "step time, controller state and the worst joint's tracking error. Ctrl-C stops it.\n"
    "Same options as `dtwin sim` (--motion is --trajectory with --loop).\n";

typedef struct run_opts {
  dtwin_run_opts_t run;   /* --duration, --status-period, --quiet */
  const char *trajectory; /* NULL = hold */
  bool loop;
  bool demo;              /* `dtwin demo`: a trajectory loops */
} run_opts_t;

/* Map a command-line flag onto its parameter so validation is the config's. */
static int set_param(dtwin_cli_t *cli, const char *param, const char *value) {
  return dtwin_set_param(cli, "sim", param, value);
}

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  run_opts_t *ro = user;
  switch (c) {
  case 'm': return set_param(cli, "model", arg);
  case 'w': return set_param(cli, "world", arg);
  case 'b': return set_param(cli, "base", arg);
  case 'r': return set_param(cli, "rtf", arg);
  case 't':
    ro->trajectory = arg;
    if (ro->demo) ro->loop = true;
    return 0;
  case 'l': ro->loop = true; return 0;
  default: return dtwin_run_option(cli, c, arg, &ro->run);
  }
}

static int parse_opts(dtwin_cli_t *cli, bool demo, run_opts_t *ro) {
  static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                       {"world", required_argument, NULL, 'w'},
                                       {"base", required_argument, NULL, 'b'},
                                       {"rtf", required_argument, NULL, 'r'},
                                       {"trajectory", required_argument, NULL, 't'},
                                       {"motion", required_argument, NULL, 't'},
                                       {"loop", no_argument, NULL, 'l'},
                                       DTWIN_RUN_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  *ro = (run_opts_t){.run = {.duration_s = 0, .status_period_s = 1.0}, .demo = demo};
  if (demo) {
    ro->trajectory = "config/motions/demo.yaml";
    ro->loop = true;
  }
  return dtwin_parse_options(cli, opts, on_option, ro);
}

static void print_status(const dtw_twin_t *twin, const dtw_pacer_t *pacer) {
  dtw_twin_status_t st;
  dtw_pacer_stats_t ps;
  dtw_twin_get_status(twin, &st);
  dtw_pacer_stats(pacer, &ps);
  printf("sim time %8.3f s | rtf %5.2f | step %5.1f us (max %6.1f) | controller %-9s | "
         "max error %.4f rad%s%s%s | trajectories %llu ok %llu refused\n",
         st.sim_time_s, ps.rtf_achieved, (double)ps.step_mean_ns / 1e3,
         (double)ps.step_max_ns / 1e3, st.controller_state, st.max_abs_error_rad,
         st.worst_joint[0] ? " (" : "", st.worst_joint, st.worst_joint[0] ? ")" : "",
         (unsigned long long)st.trajectories_accepted,
         (unsigned long long)st.trajectories_refused);
  fflush(stdout);
}

static int step_node(void *node) { return dtw_sim_node_step(node); }

static bool motion_finished(const dtw_twin_t *twin) {
  dtw_twin_status_t st;
  dtw_twin_get_status(twin, &st);
  return strcmp(st.controller_state, "active") != 0;
}

static int run(dtwin_cli_t *cli, bool demo) {
  run_opts_t ro;
  dtw_sim_node_settings_t settings;
  int rc = parse_opts(cli, demo, &ro);
  if (rc != 0) return rc;
  if ((rc = dtwin_get_settings(cli, "sim", &settings)) != 0) return rc;

  char err[2048] = "";
  dtwin_host_t host;
  dtw_sim_node_t *node = NULL;
  dtw_joint_trajectory_msg_t motion = {0};
  int exit_code = DTWIN_EXIT_OK;
  int64_t t0 = dtw_clock_mono_ns();
  if ((rc = dtwin_host_open(cli, &host)) != 0) return rc;
  dtw_bus_t *bus = host.node.bus;
  rc = dtw_sim_node_create(&settings, &host.node, &node, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    dtwin_host_close(&host);
    /* a model, controller or name the user gave is wrong: a usage/config error */
    return rc == DTW_ENOMEM || rc == DTW_EDDS ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_USAGE;
  }
  if ((rc = dtwin_host_serve(cli, &host, 9101)) != 0) {
    dtw_sim_node_destroy(node);
    dtwin_host_close(&host);
    return rc;
  }
  dtw_twin_t *twin = dtw_sim_node_twin(node);
  if (ro.trajectory != NULL) {
    char path[4096];
    rc = dtw_path_resolve(ro.trajectory, path, sizeof path, err, sizeof err);
    if (rc == 0) rc = dtw_traj_msg_init(&motion, (size_t)settings.max_trajectory_points);
    if (rc == 0) rc = dtw_traj_file_load(path, &motion, err, sizeof err);
    if (rc == 0) rc = dtw_twin_accept_trajectory(twin, &motion, err, sizeof err);
    if (rc < 0) {
      fprintf(stderr, "dtwin %s: %s: %s\n", cli->cmd_name, ro.trajectory, err);
      exit_code = DTWIN_EXIT_USAGE;
      goto out;
    }
  }
  const dtw_robot_desc_t *robot = dtw_twin_robot(twin);
  printf("dtwin %s: robot '%s' (%zu joints, %s) loaded in %.0f ms; physics %.0f Hz, rtf %g%s%s\n"
         "dtwin %s: ROS 2 node %s%s%s on DDS domain %u: publishing %s%sjoint_states\n",
         cli->cmd_name, robot->name, dtw_twin_joint_count(twin),
         robot->floating_base ? "floating base" : "on its test stand",
         (double)(dtw_clock_mono_ns() - t0) / 1e6, 1.0 / dtw_twin_timestep(twin), settings.rtf,
         ro.trajectory ? ", motion " : "", ro.trajectory ? ro.trajectory : "", cli->cmd_name,
         settings.namespace, strcmp(settings.namespace, "/") == 0 ? "" : "/", settings.node_name,
         dtw_bus_domain_id(bus), settings.namespace,
         strcmp(settings.namespace, "/") == 0 ? "" : "/");
  fflush(stdout);

  dtwin_install_signal_handlers();
  dtw_runner_t runner;
  dtw_runner_init(&runner, &host.node, dtw_sim_node_fqn(node), dtw_twin_timestep(twin),
                  settings.rtf);
  const dtw_pacer_t *pacer = &runner.pacer;
  int64_t status_period_ns = (int64_t)(ro.run.status_period_s * 1e9);
  int64_t next_status = dtw_clock_mono_ns() + status_period_ns;
  uint64_t step = 0, sim_failures = 0;
  /* check the motion about every 100 ms of simulated time, not every step */
  uint64_t motion_check_every = (uint64_t)fmax(1.0, 0.1 / dtw_twin_timestep(twin));
  while (!dtwin_stop_requested()) {
    /* counted in steps: a reset sets the simulated clock back to 0 */
    if (ro.run.duration_s > 0 && (double)step * dtw_twin_timestep(twin) >= ro.run.duration_s - 1e-9) break;
    if (ro.loop && ro.trajectory != NULL && step % motion_check_every == 0 &&
        motion_finished(twin)) {
      if (dtw_twin_accept_trajectory(twin, &motion, err, sizeof err) < 0)
        fprintf(stderr, "dtwin %s: motion refused: %s\n", cli->cmd_name, err);
    }
    if (dtw_runner_step(&runner, step_node, node) < 0) sim_failures++;
    step++;
    if (status_period_ns > 0 && (step & 63) == 0 && dtw_clock_mono_ns() >= next_status) {
      print_status(twin, pacer);
      next_status += status_period_ns;
    }
  }

  dtw_twin_status_t st;
  dtw_pacer_stats_t ps;
  dtw_twin_get_status(twin, &st);
  dtw_pacer_stats(pacer, &ps);
  double wall_s = (double)(dtw_clock_mono_ns() - t0) / 1e9;
  printf("dtwin %s: stopped at sim time %.3f s after %llu steps (%.1f s wall); "
         "controller %s, max error %.4f rad; %llu trajectories accepted, %llu refused; "
         "%llu physics failures; %llu pacing overruns\n",
         cli->cmd_name, st.sim_time_s, (unsigned long long)st.steps, wall_s,
         st.controller_state, st.max_abs_error_rad, (unsigned long long)st.trajectories_accepted,
         (unsigned long long)st.trajectories_refused, (unsigned long long)sim_failures,
         (unsigned long long)ps.overruns);
  if (sim_failures > 0) exit_code = DTWIN_EXIT_FAILURE;
out:
  dtw_traj_msg_fini(&motion);
  dtw_sim_node_destroy(node);
  dtwin_host_close(&host);
  return exit_code;
}

int dtwin_cmd_sim(dtwin_cli_t *cli) { return run(cli, false); }
int dtwin_cmd_demo(dtwin_cli_t *cli) { return run(cli, true); }
