/* dtwin robot - the stand-in for the physical robot, paced to the wall clock,
 * with a status line per second and a summary on Ctrl-C. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/pacer.h"
#include "dtw/robot_node.h"
#include "dtw/runner.h"
#include "dtw/twin.h"
#include "process.h"

const char dtwin_usage_robot[] =
    "usage: dtwin robot [--model FILE] [--rtf X] [--duration S] [--motion FILE]\n"
    "                   [--lock-joint NAME@T] [--no-torque NAME@T] [--freeze-sensor NAME@T]\n"
    "                   [--payload BODY[:KG]@T] [--silent-at T[:DURATION]]\n"
    "                   [--replay FILE [--topic T] [--rate X]]\n"
    "                   [--noise STD]\n"
    "                   [--latency S] [--loss P] [--seed N] [--status-period S] [--quiet]\n"
    "\n"
    "Runs the stand-in for the physical robot: its own MuJoCo instance of the robot, in\n"
    "namespace /robot (node robot_emulator), publishing /robot/joint_states and following\n"
    "trajectories on /robot/humanoid_joint_trajectory_controller/joint_trajectory - but\n"
    "unlike the twin it has model error (robot.mass_scale, robot.friction_scale), encoder\n"
    "noise, transport latency and loss, its own clock (robot.clock_offset_s) and faults you\n"
    "inject. Times T are seconds of the robot's simulated time since start.\n"
    "\n"
    "  --model FILE            robot description [robot.model]\n"
    "  --rtf X                 real-time factor, 0 = unpaced [robot.rtf]\n"
    "  --duration S            stop after S simulated seconds (default: run until Ctrl-C)\n"
    "  --motion FILE           YAML motion the robot runs on itself, looped [robot.motion]\n"
    "  --lock-joint NAME@T     joint NAME seizes at T [robot.fault.lock_joint, .lock_at_s]\n"
    "  --no-torque NAME@T      joint NAME's actuator gives no torque from T\n"
    "                          [robot.fault.no_torque_joint, .no_torque_at_s]\n"
    "  --freeze-sensor NAME@T  NAME's published position sticks at its value at T while the\n"
    "                          joint moves on [robot.fault.freeze_joint, .freeze_at_s]\n"
    "  --payload BODY[:KG]@T   KG (default 2) added at BODY's centre of mass at T: something\n"
    "                          picked up [robot.fault.payload_body, .payload_kg, .payload_at_s]\n"
    "  --silent-at T[:D]       no joint_states from T, for D seconds (default: for good)\n"
    "                          [robot.fault.silent_at_s, .silent_for_s]\n"
    "  --replay FILE           publish a recording instead of running the physics: CSV\n"
    "                          (time_s,<joint>,...) or MCAP (*.mcap, a robot's JointStates;\n"
    "                          names matched to the model, others reported) [robot.replay_file]\n"
    "  --topic T               MCAP: the JointState topic (default /joint_states, else the\n"
    "                          file's only one) [robot.replay_topic]\n"
    "  --rate X                replay speed, 1 = real time [robot.replay_rate]\n"
    "  --noise STD             encoder noise standard deviation, rad [robot.encoder_noise_rad]\n"
    "  --latency S             transport latency, s [robot.latency_s]\n"
    "  --loss P                probability that a sample is lost [robot.loss_rate]\n"
    "  --seed N                seed of noise, jitter and loss [robot.seed]\n"
    "  --status-period S       seconds of wall time between status lines (default 1, 0 = none)\n"
    "  --quiet                 no status lines, only the summary\n"
    "\n"
    "Exit codes: 0 ok, 1 the physics failed or DDS failed, 2 bad options, configuration,\n"
    "model, motion, recording, or a fault naming an unknown joint.\n";

typedef dtwin_run_opts_t run_opts_t;

/* Map a command-line flag onto its parameter so validation is the config's. */
static int set_param(dtwin_cli_t *cli, const char *param, const char *value) {
  return dtwin_set_param(cli, "robot", param, value);
}

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  switch (c) {
  case 'm': return set_param(cli, "model", arg);
  case 'r': return set_param(cli, "rtf", arg);
  case 't': return set_param(cli, "motion", arg);
  case 'L': return dtwin_robot_fault_flag(cli, "--lock-joint", "lock", arg);
  case 'T': return dtwin_robot_fault_flag(cli, "--no-torque", "no_torque", arg);
  case 'F': return dtwin_robot_fault_flag(cli, "--freeze-sensor", "freeze", arg);
  case 'S': return dtwin_robot_silent_flag(cli, arg);
  case 'P': return dtwin_robot_payload_flag(cli, arg);
  case 'R': return set_param(cli, "replay_file", arg);
  case 0x200: return set_param(cli, "replay_topic", arg);
  case 0x201: return set_param(cli, "replay_rate", arg);
  case 'n': return set_param(cli, "encoder_noise_rad", arg);
  case 'l': return set_param(cli, "latency_s", arg);
  case 'p': return set_param(cli, "loss_rate", arg);
  case 'e': return set_param(cli, "seed", arg);
  default: return dtwin_run_option(cli, c, arg, user);
  }
}

static int parse_opts(dtwin_cli_t *cli, run_opts_t *ro) {
  static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                       {"rtf", required_argument, NULL, 'r'},
                                       {"motion", required_argument, NULL, 't'},
                                       {"lock-joint", required_argument, NULL, 'L'},
                                       {"no-torque", required_argument, NULL, 'T'},
                                       {"freeze-sensor", required_argument, NULL, 'F'},
                                       {"silent-at", required_argument, NULL, 'S'},
                                       {"payload", required_argument, NULL, 'P'},
                                       {"replay", required_argument, NULL, 'R'},
                                       {"topic", required_argument, NULL, 0x200},
                                       {"rate", required_argument, NULL, 0x201},
                                       {"noise", required_argument, NULL, 'n'},
                                       {"latency", required_argument, NULL, 'l'},
                                       {"loss", required_argument, NULL, 'p'},
                                       {"seed", required_argument, NULL, 'e'},
                                       DTWIN_RUN_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  *ro = (run_opts_t){.duration_s = 0, .status_period_s = 1.0};
  return dtwin_parse_options(cli, opts, on_option, ro);
}

static void print_status(dtw_robot_node_t *node, const dtw_pacer_t *pacer,
                         dtw_robot_node_stats_t *last, double dt_wall_s) {
  dtw_robot_node_stats_t st;
  dtw_pacer_stats_t ps;
  dtw_twin_status_t ts;
  dtw_robot_node_get_stats(node, &st);
  dtw_pacer_stats(pacer, &ps);
  dtw_twin_get_status(dtw_robot_node_twin(node), &ts);
  char faults[128] = "";
  size_t w = 0;
  for (int f = 0; f < DTW_ROBOT_FAULT_COUNT; f++)
    if (st.fault_active & (1u << f))
      w += (size_t)snprintf(faults + w, sizeof faults - w, "%s%s", w ? "," : "",
                            dtw_robot_fault_name(f));
  printf("robot time %8.3f s | rtf %5.2f | step %5.1f us | joint_states %6.1f Hz | lost %llu, "
         "silenced %llu | %s %-9s | faults %s\n",
         st.time_s, ps.rtf_achieved, (double)ps.step_mean_ns / 1e3,
         dt_wall_s > 0 ? (double)(st.published - last->published) / dt_wall_s : 0.0,
         (unsigned long long)st.dropped_loss, (unsigned long long)st.dropped_silent,
         dtw_robot_node_replaying(node) ? "replay" : "controller",
         dtw_robot_node_replaying(node) ? "" : ts.controller_state, w ? faults : "none");
  fflush(stdout);
  *last = st;
}

static int step_node(void *node) { return dtw_robot_node_step(node); }

int dtwin_cmd_robot(dtwin_cli_t *cli) {
  run_opts_t ro;
  dtw_robot_node_settings_t settings;
  int rc = parse_opts(cli, &ro);
  if (rc != 0) return rc;
  if ((rc = dtwin_get_settings(cli, "robot", &settings)) != 0) return rc;

  char err[2048];
  dtwin_host_t host;
  dtw_robot_node_t *node = NULL;
  int64_t t0 = dtw_clock_mono_ns();
  if ((rc = dtwin_host_open(cli, &host)) != 0) return rc;
  rc = dtw_robot_node_create(&settings, &host.node, &node, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    dtwin_host_close(&host);
    return rc == DTW_ENOMEM || rc == DTW_EDDS ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_USAGE;
  }
  if ((rc = dtwin_host_serve(cli, &host, 9102)) != 0) {
    dtw_robot_node_destroy(node);
    dtwin_host_close(&host);
    return rc;
  }
  dtw_twin_t *twin = dtw_robot_node_twin(node);
  const dtw_robot_desc_t *robot = dtw_twin_robot(twin);
  const char *ns = settings.namespace;
  const char *sep = strcmp(ns, "/") == 0 ? "" : "/";
  printf("dtwin %s: robot '%s' (%zu joints) loaded in %.0f ms; physics %.0f Hz, rtf %g; %s\n"
         "dtwin %s: model error mass x%g friction x%g; noise %g rad, %g rad/s; latency %g s + "
         "U(0, %g s); loss %g; clock offset %g s\n"
         "dtwin %s: ROS 2 node %s%s%s on DDS domain %u: publishing %s%sjoint_states\n",
         cli->cmd_name, robot->name, dtw_twin_joint_count(twin),
         (double)(dtw_clock_mono_ns() - t0) / 1e6, 1.0 / dtw_robot_node_period_s(node),
         settings.rtf,
         dtw_robot_node_replaying(node) ? "replaying a recording"
         : settings.motion[0]           ? "running its motion"
                                        : "holding its pose",
         cli->cmd_name, settings.mass_scale, settings.friction_scale,
         dtw_robot_node_replaying(node) ? 0.0 : settings.encoder_noise_rad,
         dtw_robot_node_replaying(node) ? 0.0 : settings.velocity_noise_rad_s, settings.latency_s,
         settings.latency_jitter_s, settings.loss_rate, settings.clock_offset_s, cli->cmd_name, ns,
         sep, settings.node_name, dtw_bus_domain_id(host.node.bus), ns, sep);
  fflush(stdout);

  dtwin_install_signal_handlers();
  dtw_runner_t runner;
  dtw_runner_init(&runner, &host.node, dtw_robot_node_fqn(node), dtw_robot_node_period_s(node),
                  settings.rtf);
  int64_t status_period_ns = (int64_t)(ro.status_period_s * 1e9);
  int64_t last_status = dtw_clock_mono_ns();
  dtw_robot_node_stats_t last = {0};
  uint64_t step = 0, sim_failures = 0;
  double dt = dtw_robot_node_period_s(node);
  while (!dtwin_stop_requested()) {
    if (ro.duration_s > 0 && (double)step * dt >= ro.duration_s - 1e-9) break;
    if (dtw_runner_step(&runner, step_node, node) < 0) sim_failures++;
    step++;
    if (status_period_ns > 0 && (step & 63) == 0) {
      int64_t now = dtw_clock_mono_ns();
      if (now - last_status >= status_period_ns) {
        print_status(node, &runner.pacer, &last, (double)(now - last_status) / 1e9);
        last_status = now;
      }
    }
  }

  dtw_robot_node_stats_t st;
  dtw_pacer_stats_t ps;
  dtw_robot_node_get_stats(node, &st);
  dtw_pacer_stats(&runner.pacer, &ps);
  double wall_s = (double)(dtw_clock_mono_ns() - t0) / 1e9;
  printf("dtwin %s: stopped at robot time %.3f s after %llu steps (%.1f s wall); %llu samples "
         "measured, %llu published, %llu lost, %llu silenced; %llu trajectories received, "
         "%llu refused; %llu physics failures; %llu pacing overruns\n",
         cli->cmd_name, st.time_s, (unsigned long long)step, wall_s,
         (unsigned long long)st.measured, (unsigned long long)st.published,
         (unsigned long long)st.dropped_loss, (unsigned long long)st.dropped_silent,
         (unsigned long long)st.trajectories_received,
         (unsigned long long)(st.refused[0] + st.refused[1] + st.refused[2]),
         (unsigned long long)sim_failures, (unsigned long long)ps.overruns);
  dtw_robot_node_destroy(node);
  dtwin_host_close(&host);
  return sim_failures > 0 ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_OK;
}
