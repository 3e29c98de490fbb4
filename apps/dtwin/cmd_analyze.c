/* dtwin analyze - twin and sync run offline over an MCAP recording: no DDS,
 * no wall clock; time is the recording's log time (mapped onto the recorded
 * twin's sim clock when the recording has one), so a run is deterministic.
 * The twin follows the recorded trajectory commands, sync compares the
 * recorded robot joint states with it; the report goes to JSON and HTML
 * (analyze_report.c). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cli.h"
#include "dtw/err.h"
#include "dtw/mcap.h"
#include "dtw/ros_cdr.h"
#include "dtw/sim_node.h"
#include "dtw/sync.h"
#include "dtw/sync_node.h"
#include "dtw/twin.h"

const char dtwin_usage_analyze[] =
    "usage: dtwin analyze FILE.mcap [--model ROBOT] [--robot-topic T] [--command-topic T]\n"
    "                     [-o PREFIX]\n"
    "\n"
    "Runs the twin (model ROBOT, default sim.model) and the sync logic offline over a\n"
    "recording: the twin follows the JointTrajectory commands of the recording (the\n"
    "--command-topic, default <sync.twin_namespace>/...joint_trajectory), sync compares the\n"
    "robot's joint states (--robot-topic, default <sync.robot_namespace>/joint_states)\n"
    "with it, on the recording's log time (no DDS, no wall clock: the same file gives the\n"
    "same report). A dtwin recording replays the live run: its configuration (metadata)\n"
    "is used under the command line's, and the twin runs on the recorded twin's clock,\n"
    "so commands keep their stamps. Otherwise the twin starts from the robot's first\n"
    "state and each command on receipt. Writes PREFIX.json and PREFIX.html (default:\n"
    "FILE without .mcap + '.report'): states over time, divergence episodes with joint\n"
    "and kind, error statistics per joint and group. Joint names that are not the\n"
    "model's are reported.\n"
    "Exit: 0 ok, 1 unreadable or corrupt file (what was read is still reported), 2 usage.\n";

#define ORIGIN_SAMPLES 500 /* recorded twin samples that place the twin's clock */

static int parse(dtwin_cli_t *cli, analyze_opts_t *o) {
  static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                       {"robot-topic", required_argument, NULL, 'r'},
                                       {"command-topic", required_argument, NULL, 'c'},
                                       {"output", required_argument, NULL, 'o'},
                                       {NULL, 0, NULL, 0}};
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(cli->argc, cli->argv, "o:", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      if (dtwin_set_param(cli, "sim", "model", optarg)) return DTWIN_EXIT_USAGE;
      break;
    case 'r': o->robot_topic = optarg; break;
    case 'c': o->command_topic = optarg; break;
    case 'o': o->prefix = optarg; break;
    default: return dtwin_usage_error(cli, "unknown or incomplete option '%s'", cli->argv[optind - 1]);
    }
  }
  if (optind != cli->argc - 1) return dtwin_usage_error(cli, "give one FILE.mcap");
  o->file = cli->argv[optind];
  return 0;
}

static bool is_command_topic(const analyze_opts_t *o, const dtw_mcap_channel_t *ch) {
  if (!ch->schema || strcmp(ch->schema->name, "trajectory_msgs/msg/JointTrajectory")) return false;
  if (o->command_topic) return !strcmp(ch->topic, o->command_topic);
  size_t n = strlen(ch->topic), ns = strlen(o->twin_ns);
  /* the twin's own command topic: the robot's copy would restart the motion */
  return n >= 16 && !strcmp(ch->topic + n - 16, "joint_trajectory") &&
         !strncmp(ch->topic, o->twin_ns, ns) && ch->topic[ns] == '/';
}

/* Step the twin up to sim time t, feeding sync its joint states at the sim
 * node's joint_states_rate_hz. */
static int advance_twin(analyze_t *a, double t, char *err, size_t errlen) {
  while (dtw_twin_sim_time(a->twin) + 0.5 * a->dt < t) {
    int rc = dtw_twin_step(a->twin);
    if (rc < 0) return dtw_errf(err, errlen, rc, "twin step failed at t=%.3f s", t);
    double st = dtw_twin_sim_time(a->twin);
    if (st + 1e-9 >= a->next_twin_pub) {
      a->next_twin_pub += 1.0 / a->twin_rate_hz;
      dtw_twin_get_joint_state(a->twin, &a->twin_js);
      dtw_sync_on_twin_sample(a->sync, &a->twin_js, st);
    }
    if (st + 1e-9 >= a->next_tick) {
      a->next_tick += 1.0 / a->sync_settings.status_rate_hz;
      int flags = dtw_sync_tick(a->sync, st);
      if (flags > 0 && (flags & DTW_SYNC_TICK_RESYNC) &&
          dtw_sync_latest_robot_state(a->sync, &a->robot_js) == 0) {
        char e2[256];
        if (dtw_twin_set_state(a->twin, &a->robot_js, e2, sizeof e2) == 0) dtw_sync_resync_done(a->sync, st);
      }
      analyze_on_tick(a, flags);
    }
  }
  return 0;
}

/* A dtwin recording carries the configuration it ran with: load it under the
 * command line's overrides (--model, --set win), so sync and twin run with the
 * live run's settings. Other recordings keep ours. */
static void load_recorded_config(dtwin_cli_t *cli, dtw_mcap_reader_t *r) {
  dtw_mcap_message_t m;
  char err[1024];
  (void)dtw_mcap_next(r, &m, err, sizeof err); /* passes the leading metadata of a cut file */
  const char *cfg = dtw_mcap_metadata(r, "dtwin", "config");
  dtw_mcap_rewind(r);
  if (!cfg || !cfg[0]) return;
  if (dtw_config_load_buffer(cli->cfg, cfg, strlen(cfg), "recorded config", err, sizeof err))
    fprintf(stderr, "dtwin analyze: the recording's configuration is not used: %s\n", err);
  else
    fprintf(stderr, "dtwin analyze: settings from the recording's configuration\n");
}

/* Where the live twin's clock started, in log time: the twin stamps its joint
 * states with sim time, so log_time - stamp / rtf, minimal over the first
 * samples (the fastest delivery), is its start. The offline twin runs on that
 * clock, so the recorded commands' stamps mean what they meant live. false when
 * the recording has no twin joint states (a real robot's bag). */
static bool find_twin_origin(analyze_t *a, dtw_mcap_reader_t *r, double rtf, uint64_t *origin) {
  char topic[600], err[256];
  snprintf(topic, sizeof topic, "%s/joint_states", a->sync_settings.twin_namespace);
  dtw_mcap_message_t m;
  size_t n = 0;
  double best = INFINITY;
  while (n < ORIGIN_SAMPLES && dtw_mcap_next(r, &m, err, sizeof err) == 1) {
    if (strcmp(m.channel->topic, topic) || strcmp(m.channel->message_encoding, "cdr")) continue;
    if (dtw_cdr_decode_joint_state(m.data, m.len, &a->twin_js, err, sizeof err)) continue;
    double o = (double)m.log_time - dtw_time_to_s(a->twin_js.stamp) / rtf * 1e9;
    if (o < best) best = o;
    n++;
  }
  dtw_mcap_rewind(r);
  if (!n || !(best > 0)) return false;
  *origin = (uint64_t)best;
  return true;
}

int dtwin_cmd_analyze(dtwin_cli_t *cli) {
  analyze_t a;
  memset(&a, 0, sizeof a);
  int rc = parse(cli, &a.opt);
  if (rc) return rc;
  char err[1024];
  dtw_mcap_reader_t *r = NULL;
  if (dtw_mcap_reader_open(a.opt.file, &r, err, sizeof err)) {
    fprintf(stderr, "dtwin analyze: %s\n", err);
    return DTWIN_EXIT_FAILURE;
  }
  load_recorded_config(cli, r);
  dtw_sim_node_settings_t sim;
  dtw_sync_node_settings_t syn;
  if ((rc = dtwin_get_settings(cli, "sim", &sim)) || (rc = dtwin_get_settings(cli, "sync", &syn))) {
    dtw_mcap_reader_close(r);
    return rc;
  }
#define COPY_SYNC_PARAM(type, name, ...) memcpy(&a.sync_settings.name, &syn.name, sizeof syn.name);
  DTW_SYNC_PARAMS(COPY_SYNC_PARAM)
#undef COPY_SYNC_PARAM
#define COPY_TWIN_PARAM(type, name, ...) memcpy(&a.twin_settings.name, &sim.name, sizeof sim.name);
  DTW_TWIN_PARAMS(COPY_TWIN_PARAM)
#undef COPY_TWIN_PARAM
  double rtf = sim.rtf > 0 ? sim.rtf : 1.0;
  a.twin_rate_hz = sim.joint_states_rate_hz;
  a.twin_settings.rtf = 0;
  char robot_topic[600];
  snprintf(robot_topic, sizeof robot_topic, "%s/joint_states", a.sync_settings.robot_namespace);
  if (!a.opt.robot_topic) a.opt.robot_topic = robot_topic;
  a.opt.twin_ns = a.sync_settings.twin_namespace;
  if (dtw_twin_create(&a.twin_settings, &a.twin, err, sizeof err)) {
    fprintf(stderr, "dtwin analyze: %s\n", err);
    dtw_mcap_reader_close(r);
    return DTWIN_EXIT_USAGE;
  }
  a.n_joints = dtw_twin_joint_count(a.twin);
  dtw_twin_get_joint_state(a.twin, &a.twin_js);
  const char *names[DTW_MAX_JOINTS];
  for (size_t i = 0; i < a.n_joints; i++) names[i] = a.twin_js.name[i];
  rc = DTWIN_EXIT_FAILURE;
  if (dtw_sync_create(&a.sync_settings, names, a.n_joints, &a.sync, err, sizeof err)) {
    fprintf(stderr, "dtwin analyze: sync: %s\n", err);
    goto out;
  }
  if (dtw_traj_msg_init(&a.traj, (size_t)a.twin_settings.max_trajectory_points)) goto out;
  a.dt = dtw_twin_timestep(a.twin);
  a.next_twin_pub = 0;
  a.next_tick = 1.0 / a.sync_settings.status_rate_hz;
  uint64_t t0 = 0;
  a.twin_clock = find_twin_origin(&a, r, rtf, &t0);
  dtw_twin_get_joint_state(a.twin, &a.twin_js); /* names again after the scan */
  bool have_t0 = a.twin_clock;
  dtw_mcap_message_t m;
  int read_rc;
  while ((read_rc = dtw_mcap_next(r, &m, err, sizeof err)) == 1) {
    if (!have_t0) { t0 = m.log_time; have_t0 = true; }
    /* the time axis is the twin's sim time; log times before its start wait at 0 */
    double t = m.log_time >= t0 ? (double)(m.log_time - t0) * 1e-9 * rtf : 0;
    bool robot = !strcmp(m.channel->topic, a.opt.robot_topic);
    bool cmd = !robot && is_command_topic(&a.opt, m.channel);
    if (!robot && !cmd) continue;
    if (strcmp(m.channel->message_encoding, "cdr")) {
      fprintf(stderr, "dtwin analyze: %s: message encoding '%s' is not cdr; channel skipped\n",
              m.channel->topic, m.channel->message_encoding);
      continue;
    }
    if (advance_twin(&a, t, err, sizeof err)) {
      fprintf(stderr, "dtwin analyze: %s\n", err);
      goto out;
    }
    char e2[256];
    if (cmd) {
      if (dtw_cdr_decode_joint_trajectory(m.data, m.len, &a.traj, e2, sizeof e2)) {
        a.bad_messages++;
        continue;
      }
      /* on the live twin's clock the stamp means what it meant live; another
       * clock's stamp (a robot's bag) would be meaningless: start on receipt */
      if (!a.twin_clock) a.traj.stamp = (dtw_time_t){0, 0};
      if (dtw_twin_accept_trajectory(a.twin, &a.traj, e2, sizeof e2) == 0) a.commands++;
      else a.commands_refused++;
      continue;
    }
    if (dtw_cdr_decode_joint_state(m.data, m.len, &a.robot_js, e2, sizeof e2)) {
      if (!a.bad_messages++) fprintf(stderr, "dtwin analyze: %s: %s\n", m.channel->topic, e2);
      continue;
    }
    analyze_note_names(&a, &a.robot_js);
    /* a robot's bag may start mid-motion: the twin starts from the robot's
     * first state (a dtwin recording holds the twin's own start) */
    if (!strcmp(a.sync_settings.mode, "mirror") || (a.robot_samples == 0 && !a.twin_clock)) {
      char e3[256];
      if (dtw_twin_set_state(a.twin, &a.robot_js, e3, sizeof e3) == 0) dtw_sync_resync_done(a.sync, t);
    }
    dtw_sync_on_robot_sample(a.sync, &a.robot_js, t, NULL);
    a.robot_samples++;
  }
  bool corrupt = read_rc < 0;
  if (corrupt) fprintf(stderr, "dtwin analyze: %s (reporting what was read)\n", err);
  a.duration_s = dtw_twin_sim_time(a.twin);
  rc = analyze_write_reports(&a, corrupt ? err : NULL);
  if (!rc && corrupt) rc = DTWIN_EXIT_FAILURE;
out:
  analyze_free(&a);
  dtw_traj_msg_fini(&a.traj);
  dtw_sync_destroy(a.sync);
  dtw_twin_destroy(a.twin);
  dtw_mcap_reader_close(r);
  return rc;
}
