/* dtwin up - the whole twin system in one process, like a ROS 2 launch file
 * with composition: robot emulator(s), twin(s), synchronization, monitor and
 * Unity bridge as components sharing one DDS participant, one metrics
 * endpoint and one health model.
 *
 * Threads: the physics components (robots, twins) are spread over a pool of
 * worker threads, each stepping its components once per physics period,
 * paced to the wall clock, a robot and its twin on the same thread (so a
 * stall delays both alike and their clocks never drift apart); the event components (sync, monitor, bridge) and
 * the demo command stream run on the main thread, which also prints the
 * live status. Every component keeps its own topics, so the same system run
 * as separate processes (dtwin robot / sim / sync / ...) behaves the same. */
#include <getopt.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dtw/bridge_node.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/monitor_node.h"
#include "dtw/paths.h"
#include "dtw/robot_node.h"
#include "dtw/runner.h"
#include "dtw/sim_node.h"
#include "dtw/sync_node.h"
#include "dtw/traj_file.h"
#include "dtw/viewer_node.h"
#include "process.h"
#include "record.h"
#include "up.h"
#include "view.h"

#define DTW_PARAM_STYPE dtwin_up_settings_t
DTW_PARAM_TABLE(dtwin_up_param_table, "up",
                "dtwin up: which components one process hosts, and the demo command stream",
                DTWIN_UP_PARAMS);
#undef DTW_PARAM_STYPE

const char dtwin_usage_up[] =
    "usage: dtwin up [--model FILE] [--twins N] [--mode mirror|shadow] [--duration S]\n"
    "                [--rtf X] [--motion FILE|generic] [--lock-joint NAME@T] [--no-torque NAME@T]\n"
    "                [--freeze-sensor NAME@T] [--payload BODY[:KG]@T] [--silent-at T[:D]]\n"
    "                [--status-period S] [--quiet]\n"
    "\n"
    "Runs the whole digital-twin system in one process: the robot emulator (node\n"
    "/robot/robot_emulator, or /robot_<k>/... with --twins), the twin (/twin/digital_twin),\n"
    "the synchronization node (/synchronization_node: /sync/status, /sync/resync), the\n"
    "monitoring node and the Unity bridge (TCP 10000), sharing one DDS participant and one\n"
    "metrics/health endpoint (dtwin.http_port, default 9100). The demo motion is sent to the\n"
    "robot (and, in shadow mode, to the twin) in a loop. A status line per second shows\n"
    "the sync state, per-group errors, latency and real-time factors.\n"
    "\n"
    "  --model FILE          robot description (.urdf, .urdf.xacro, MJCF .xml) of robot and\n"
    "                        twin [sim.model, robot.model]. A robot the default controllers\n"
    "                        file and demo motion do not fit gets a controller, sync groups\n"
    "                        and a motion derived from its model (docs/controllers.md)\n"
    "  --twins N             robot/twin pairs, namespaced /robot_<k>, /twin_<k>, /sync_<k>\n"
    "                        when N > 1, stepped by a pool of worker threads [up.twins]\n"
    "  --mode MODE           mirror: the twin follows the robot's measured state; shadow:\n"
    "                        the twin runs the same commands, re-synced on divergence [sync.mode]\n"
    "  --duration S          stop after S seconds of wall time (default: until Ctrl-C)\n"
    "  --rtf X               real-time factor of robot and twin [sim.rtf, robot.rtf]\n"
    "  --motion FILE         motion sent in a loop; 'generic' = every joint moving, each\n"
    "                        through a larger excursion in turn; '' for none [up.motion]\n"
    "  --lock-joint NAME@T, --no-torque NAME@T, --freeze-sensor NAME@T,\n"
    "  --payload BODY[:KG]@T, --silent-at T[:D]\n"
    "                        faults injected into the robot emulator (see dtwin robot --help)\n"
    "  --record FILE.mcap    record every topic to FILE.mcap (see dtwin record)\n"
    "  --status-period S     seconds between status lines (default 1, 0 = none)\n"
    "  --quiet               no status lines, only the summary\n"
    "\n"
    "Components are switched with --set up.robot=false (a real robot publishes\n"
    "/robot/joint_states), up.sync, up.monitor, up.bridge. Each component reads its own\n"
    "node settings (sim, robot, sync, monitor, bridge) from the same configuration.\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 bad options, configuration or model.\n";

/* ---- components ------------------------------------------------------------ */

typedef struct pair {
  dtw_robot_node_t *robot;
  dtw_sim_node_t *twin;
  dtw_sync_node_t *sync;
  dtw_pub_t *cmd_robot, *cmd_twin;   /* demo command stream */
  dtw_sub_t *robot_js;               /* a robot outside: its joint states, until the first */
  atomic_bool robot_seen;
  double next_motion_s;              /* on the robot's clock, when it is hosted here */
  char robot_ns[DTW_PARAM_STRING_MAX], twin_ns[DTW_PARAM_STRING_MAX];
} pair_t;

typedef struct system {
  dtwin_up_settings_t up;
  dtw_sim_node_settings_t sim;
  dtw_robot_node_settings_t robot;
  dtw_sync_node_settings_t sync;
  dtw_monitor_node_settings_t monitor;
  dtw_bridge_node_settings_t bridge;
  dtw_viewer_node_settings_t viewer;
  dtwin_host_t host;
  pair_t *pairs;
  size_t n_pairs;
  dtw_monitor_node_t *mon;
  dtw_bridge_node_t *br;
  dtw_viewer_node_t *view;
  dtw_bus_node_t *commander;
  dtw_joint_trajectory_msg_t motion;
  double motion_len_s;
  int64_t next_motion_ns;    /* on the wall clock, for a robot outside */
  bool motion_started;
  bool robot_wait_told;      /* logged that the first motion waits for a robot outside */
  dtw_runner_task_t *paced; /* robot and twin loops, stepped by the pool */
  size_t n_paced;
  dtw_runner_pool_t *pool;
  dtw_runner_t io_runner;
} system_t;

static int step_twin(void *n) { return dtw_sim_node_step(n); }
static int step_robot(void *n) { return dtw_robot_node_step(n); }

/* Settings for pair k of n: namespaces and names made unique when n > 1. */
static void pair_settings(const system_t *s, size_t k, dtw_sim_node_settings_t *sim,
                          dtw_robot_node_settings_t *robot, dtw_sync_node_settings_t *sync) {
  *sim = s->sim;
  *robot = s->robot;
  *sync = s->sync;
  /* mirror mode reads the emulator's own controller, whatever it is called (a
   * robot outside, up.robot false, is left to the setting: '*' finds its own) */
  dtw_sync_node_settings_t def;
  if (s->up.robot && dtw_param_defaults(&dtw_sync_node_param_table, &def) == 0 &&
      strcmp(sync->robot_controller, def.robot_controller) == 0)
    snprintf(sync->robot_controller, sizeof sync->robot_controller, "%s", robot->controller);
  if (s->n_pairs == 1) return;
  snprintf(sim->namespace, sizeof sim->namespace, "/twin_%zu", k);
  snprintf(robot->namespace, sizeof robot->namespace, "/robot_%zu", k);
  snprintf(sync->twin_namespace, sizeof sync->twin_namespace, "/twin_%zu", k);
  snprintf(sync->robot_namespace, sizeof sync->robot_namespace, "/robot_%zu", k);
  snprintf(sync->node_name, sizeof sync->node_name, "synchronization_node_%zu", k);
  snprintf(sync->remappings, sizeof sync->remappings,
           "sync/status:=/sync_%zu/status sync/resync:=/sync_%zu/resync", k, k);
}

static int create_pairs(system_t *s, char *err, size_t errlen) {
  const dtw_node_host_t *h = &s->host.node;
  s->pairs = calloc(s->n_pairs, sizeof *s->pairs);
  s->paced = calloc(2 * s->n_pairs, sizeof *s->paced);
  if (s->pairs == NULL || s->paced == NULL) return DTW_ENOMEM;
  for (size_t k = 0; k < s->n_pairs; k++) {
    pair_t *p = &s->pairs[k];
    dtw_sim_node_settings_t sim;
    dtw_robot_node_settings_t robot;
    dtw_sync_node_settings_t sync;
    pair_settings(s, k, &sim, &robot, &sync);
    snprintf(p->robot_ns, sizeof p->robot_ns, "%s", robot.namespace);
    snprintf(p->twin_ns, sizeof p->twin_ns, "%s", sim.namespace);
    int rc;
    if (s->up.robot && (rc = dtw_robot_node_create(&robot, h, &p->robot, err, errlen)) < 0)
      return rc;
    if ((rc = dtw_sim_node_create(&sim, h, &p->twin, err, errlen)) < 0) return rc;
    if (s->up.sync && (rc = dtw_sync_node_create(&sync, h, &p->sync, err, errlen)) < 0) return rc;
    /* the twin's model is at hand: groups from its kinematic chains if none fit */
    if (p->sync &&
        (rc = dtw_sync_node_groups_from_twin(p->sync, dtw_sim_node_twin(p->twin), err, errlen)) < 0)
      return rc;
    /* the twin's model gives the fault isolation its torque residuals */
    if (p->sync) dtw_sync_node_set_model(p->sync, dtw_twin_robot(dtw_sim_node_twin(p->twin)));
    if (p->robot) {
      dtw_runner_task_t *c = &s->paced[s->n_paced++];
      *c = (dtw_runner_task_t){.fqn = dtw_robot_node_fqn(p->robot), .step = step_robot,
                               .node = p->robot, .group = k};
      dtw_runner_init(&c->runner, h, c->fqn, dtw_robot_node_period_s(p->robot), 0);
    }
    dtw_runner_task_t *c = &s->paced[s->n_paced++];
    *c = (dtw_runner_task_t){.fqn = dtw_sim_node_fqn(p->twin), .step = step_twin,
                             .node = p->twin, .group = k};
    dtw_runner_init(&c->runner, h, c->fqn, dtw_twin_timestep(dtw_sim_node_twin(p->twin)), 0);
  }
  return 0;
}

static void on_robot_js(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  (void)msg;
  atomic_store(&((pair_t *)user)->robot_seen, true);
}

/* The demo command stream: the motion goes to the robot and, in shadow mode,
 * to the twin, over DDS like any operator's commands would. */
static int create_commander(system_t *s, char *err, size_t errlen) {
  if (s->up.motion[0] == '\0') return 0;
  char topic[1200];
  int rc;
  if ((rc = dtw_traj_msg_init(&s->motion, (size_t)s->sim.max_trajectory_points)) < 0 ||
      (rc = dtwin_up_load_motion(s->up.motion, dtw_sim_node_twin(s->pairs[0].twin), &s->motion,
                                 err, errlen)) < 0)
    return rc;
  s->motion_len_s = dtw_duration_to_s(s->motion.points[s->motion.n_points - 1].time_from_start);
  if ((rc = dtw_bus_node_create(s->host.node.bus, "demo_commander", "/", &s->commander, err,
                                errlen)) < 0)
    return rc;
  bool shadow = strcmp(s->sync.mode, "shadow") == 0;
  for (size_t k = 0; k < s->n_pairs; k++) {
    pair_t *p = &s->pairs[k];
    snprintf(topic, sizeof topic, "%.512s/%.512s/joint_trajectory", p->robot_ns, s->robot.controller);
    if ((rc = dtw_pub_create(s->commander, topic, DTW_TYPE_JOINT_TRAJECTORY, DTW_QOS_DEFAULT,
                             &p->cmd_robot, err, errlen)) < 0)
      return rc;
    if (!s->up.robot) {
      // a robot outside may subscribe before its loop runs: the motion waits for its
      // first joint states, or it would start the motion late, out of step with the twin
      dtw_sub_options_t o;
      dtw_sub_options_default(&o);
      o.qos = DTW_QOS_SENSOR_DATA;
      o.raw = o.direct = true;
      o.depth = 1;
      o.on_msg = on_robot_js;
      o.user = p;
      snprintf(topic, sizeof topic, "%.512s/joint_states", p->robot_ns);
      if ((rc = dtw_sub_create(s->commander, topic, DTW_TYPE_JOINT_STATE, &o, &p->robot_js, err,
                               errlen)) < 0)
        return rc;
    }
    if (!shadow) continue;
    snprintf(topic, sizeof topic, "%.512s/%.512s/joint_trajectory", p->twin_ns, s->sim.controller);
    if ((rc = dtw_pub_create(s->commander, topic, DTW_TYPE_JOINT_TRAJECTORY, DTW_QOS_DEFAULT,
                             &p->cmd_twin, err, errlen)) < 0)
      return rc;
  }
  s->next_motion_ns = dtw_clock_mono_ns();
  return 0;
}

/* The first motion waits for every subscriber (robot and twin start it
 * together) and for the first sample of a robot outside. */
static bool motion_can_start(system_t *s) {
  for (size_t k = 0; k < s->n_pairs; k++) {
    pair_t *p = &s->pairs[k];
    if (dtw_pub_matched_count(p->cmd_robot) < 1 ||
        (p->cmd_twin && dtw_pub_matched_count(p->cmd_twin) < 1))
      return false;
    if (p->robot_js != NULL && !atomic_load(&p->robot_seen)) {
      if (!s->robot_wait_told)
        DTW_INFO("up", "the first motion waits for the robot's first %s",
                 dtw_sub_topic(p->robot_js));
      s->robot_wait_told = true;
      return false;
    }
  }
  for (size_t k = 0; k < s->n_pairs; k++) {
    dtw_sub_destroy(s->pairs[k].robot_js);
    s->pairs[k].robot_js = NULL;
  }
  return true;
}

static void send_motion(system_t *s, pair_t *p) {
  dtw_pub_joint_trajectory(p->cmd_robot, &s->motion);
  if (p->cmd_twin) dtw_pub_joint_trajectory(p->cmd_twin, &s->motion);
}

/* Send the motion again when the last one (and its pause) is over.
 *
 * A robot hosted here and its twin step on one worker, so they share one
 * clock: each pair's motion is stamped a little ahead on its robot's clock and
 * both begin it at the same simulated instant however late the message
 * reaches either of them. Each pair is timed on that clock too: a pair that
 * lost time (a stall its pacer gave up catching up) would otherwise get every
 * later motion early, each cut short by the next. A robot outside (up.robot
 * false) has a clock of its own, where a stamp means nothing (an emulator in
 * another process started at another instant; a real robot's wall clock reads
 * it as 1970): "start on receipt" for both, timed on the wall clock. */
static void command_tick(system_t *s) {
  if (s->commander == NULL) return;
  if (!s->motion_started && !(s->motion_started = motion_can_start(s))) return;
  const double lead_s = 0.3, cycle_s = lead_s + s->motion_len_s + s->up.motion_pause_s;
  if (!(s->sim.rtf > 0 && s->up.robot)) {
    int64_t now_ns = dtw_clock_mono_ns();
    if (now_ns < s->next_motion_ns) return;
    for (size_t k = 0; k < s->n_pairs; k++) send_motion(s, &s->pairs[k]);
    double rtf = s->sim.rtf > 0 ? s->sim.rtf : 1.0;
    s->next_motion_ns = now_ns + (int64_t)(cycle_s / rtf * 1e9);
    return;
  }
  for (size_t k = 0; k < s->n_pairs; k++) {
    pair_t *p = &s->pairs[k];
    double t = dtw_robot_node_time_s(p->robot);
    if (t < p->next_motion_s) continue; /* the robot's clock never goes back */
    s->motion.stamp = dtw_time_from_s(t + lead_s);
    send_motion(s, p);
    p->next_motion_s = t + cycle_s;
  }
}

static int start_workers(system_t *s, char *err, size_t errlen) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  size_t n = s->up.threads > 0 ? (size_t)s->up.threads : (size_t)(cores > 0 ? cores : 1);
  /* free-running workers would each race ahead on their own: robot and twin
   * stamps would drift apart and the sync figures would mean nothing */
  if (s->up.robot && s->sim.rtf <= 0)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "dtwin up paces robot and twin on one clock: --rtf / sim.rtf must be > 0 "
                    "(0 = as fast as possible is for `dtwin sim` alone)");
  if (s->up.robot && s->robot.rtf != s->sim.rtf)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "robot and twin run on shared workers at one pace: robot.rtf (%g) must equal "
                    "sim.rtf (%g)", s->robot.rtf, s->sim.rtf);
  for (size_t i = 1; i < s->n_paced; i++)
    if (s->paced[i].runner.pacer.period_ns != s->paced[0].runner.pacer.period_ns)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "robot and twin must share one physics rate (sim.physics_rate_hz = "
                      "robot.physics_rate_hz)");
  return dtw_runner_pool_start(s->paced, s->n_paced, n, s->sim.rtf > 0 ? s->sim.rtf : 1.0,
                               &s->pool, err, errlen);
}

/* Several pairs: the monitor's defaults name the one pair's nodes and topics
 * (/robot/..., /twin/..., /sync/status), which then do not exist and would read
 * as down and quiet -- a false alarm on every start. Each pair's feeds are
 * watched by its synchronization node (STALE, DEGRADED, its metrics); the
 * monitor watches the pairs' sync status topics (while they fit its limits)
 * and /clock. Settings given by the user stay. */
static void monitor_for_pairs(system_t *s) {
  if (s->n_pairs < 2) return;
  dtw_monitor_node_settings_t d;
  dtw_param_defaults(&dtw_monitor_node_param_table, &d);
  dtw_monitor_node_settings_t *m = &s->monitor;
  bool nodes = strcmp(m->expected_nodes, d.expected_nodes) == 0;
  bool topics = strcmp(m->watched_topics, d.watched_topics) == 0;
  bool status = strcmp(m->status_topic, d.status_topic) == 0;
  if (nodes) m->expected_nodes[0] = '\0';
  if (status) m->status_topic[0] = '\0';
  bool each = s->up.sync && s->n_pairs < DTW_MONITOR_MAX_TOPICS;
  if (topics) {
    size_t len = 0;
    for (size_t k = 0; each && k < s->n_pairs; k++) {
      int w = snprintf(m->watched_topics + len, sizeof m->watched_topics - len,
                       "/sync_%zu/status ", k);
      if (w < 0 || (size_t)w >= sizeof m->watched_topics - len - sizeof "/clock") each = false;
      else len += (size_t)w;
    }
    if (!each) len = 0;
    snprintf(m->watched_topics + len, sizeof m->watched_topics - len, "/clock");
  }
  if (nodes || topics || status)
    DTW_INFO("up", "%zu pairs: the monitor watches %s, not one pair's names; each pair's feeds "
             "are watched by its synchronization node",
             s->n_pairs, !topics ? "monitor.watched_topics as set"
                         : each  ? "each pair's /sync_N/status and /clock"
                                 : "/clock");
}

/* The page and Foxglove server (dtw/viewer_node.h), on the pairs' topics like any client. */
static int create_viewer(system_t *s, char *err, size_t errlen) {
  if (!s->viewer.enabled) return 0;
  dtw_viewer_pair_t *vp = calloc(s->n_pairs, sizeof *vp);
  if (vp == NULL) return DTW_ENOMEM;
  for (size_t k = 0; k < s->n_pairs; k++)
    dtwin_viewer_pair(&vp[k], k, s->n_pairs, s->robot.controller,
                      strcmp(s->sync.mode, "shadow") == 0 ? s->sim.controller : "", s->up.robot);
  dtw_viewer_node_config_t vc = {.robot = dtw_twin_robot(dtw_sim_node_twin(s->pairs[0].twin)),
                                 .pairs = vp, .n_pairs = s->n_pairs,
                                 .alarm_position_error_rad = s->sync.alarm_position_error_rad,
                                 .joint_groups = s->sync.joint_groups};
  int rc = dtw_viewer_node_create(&s->viewer, &vc, &s->host.node, &s->view, err, errlen);
  free(vp);
  if (rc == DTW_EIO) { /* a busy port costs the view, not the twin */
    fprintf(stderr, "dtwin up: viewer not served: %s (set viewer.port)\n", err);
    return 0;
  }
  return rc;
}

static void destroy_system(system_t *s) {
  dtw_viewer_node_destroy(s->view);
  dtw_runner_pool_stop(s->pool);
  dtw_bridge_node_destroy(s->br);
  dtw_monitor_node_destroy(s->mon);
  for (size_t k = 0; s->pairs && k < s->n_pairs; k++) {
    dtw_sync_node_destroy(s->pairs[k].sync);
    dtw_sim_node_destroy(s->pairs[k].twin);
    dtw_robot_node_destroy(s->pairs[k].robot);
  }
  free(s->pairs);
  free(s->paced);
  dtw_bus_node_destroy(s->commander);
  dtw_traj_msg_fini(&s->motion);
  dtwin_host_close(&s->host);
}

/* ---- status ----------------------------------------------------------------- */

static double gauge_rtf(const dtw_runner_task_t *c) { return dtw_gauge_value(c->runner.rtf); }

/* Append to a status line; a full line stays full (snprintf's return is what
 * it wanted to write, not what it wrote). */
static void append(char *buf, size_t cap, int *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, int *len, const char *fmt, ...) {
  if (*len < 0 || (size_t)*len >= cap - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *len, cap - (size_t)*len, fmt, ap);
  va_end(ap);
  if (n > 0) *len = (size_t)*len + (size_t)n >= cap ? (int)cap - 1 : *len + n;
}

static void print_status(const system_t *s, double t) {
  char line[1024];
  int len = snprintf(line, sizeof line, "t %7.1f s", t);
  const pair_t *p = &s->pairs[0];
  if (p->sync) {
    static dtw_sync_report_t r; /* large: keep it off the stack; main thread only */
    dtw_sync_node_report(p->sync, &r);
    append(line, sizeof line, &len, " | sync %s (%.1f s)", r.state_name, r.time_in_state_s);
    /* the fault first: which joint, how, since when (robot clock) */
    for (size_t i = 0; i < r.n_faults && i < 2; i++)
      append(line, sizeof line, &len, "%s%s %s conf %.2f since %.3f s", i ? ", " : " | FAULT ",
             r.faults[i].joint >= 0 ? r.joints[r.faults[i].joint].name : "?",
             dtw_sync_fault_kind_name(r.faults[i].kind), r.faults[i].confidence,
             r.faults[i].onset_stamp_s);
    if (r.n_faults > 2) append(line, sizeof line, &len, " (+%zu more)", r.n_faults - 2);
    if (isfinite(r.overall.pos_rms_rad))
      append(line, sizeof line, &len, " | err rms %.4f max %.4f rad", r.overall.pos_rms_rad,
             r.overall.pos_max_rad);
    if (r.worst_joint >= 0) append(line, sizeof line, &len, " (%s)", r.joints[r.worst_joint].name);
    for (size_t g = 0; g < r.n_groups; g++)
      if (isfinite(r.groups[g].err.pos_rms_rad))
        append(line, sizeof line, &len, "%s%s %.4f", g ? " " : " | ", r.groups[g].name,
               r.groups[g].err.pos_rms_rad);
    /* the robot's clock is not ours: show latency above its minimum (see dtw/sync.h) */
    if (isfinite(r.jitter_median_s))
      append(line, sizeof line, &len, " | latency over min p50 %.2f p99 %.2f ms",
             r.jitter_median_s * 1e3, r.jitter_p99_s * 1e3);
    append(line, sizeof line, &len, " | resyncs %llu", (unsigned long long)r.resyncs);
  }
  for (size_t i = 0; i < s->n_paced && i < 4; i++)
    append(line, sizeof line, &len, "%s%s %.2f", i ? " " : " | rtf ", s->paced[i].fqn,
           gauge_rtf(&s->paced[i]));
  if (s->n_pairs > 1) {
    size_t synced = 0, faulted = 0;
    for (size_t k = 0; k < s->n_pairs; k++) {
      static dtw_sync_report_t r;
      if (s->pairs[k].sync == NULL) continue;
      dtw_sync_node_report(s->pairs[k].sync, &r);
      synced += r.state == DTW_SYNC_SYNCED;
      faulted += r.n_faults > 0;
    }
    append(line, sizeof line, &len, " | pairs SYNCED %zu/%zu", synced, s->n_pairs);
    if (faulted > 0) append(line, sizeof line, &len, " FAULT %zu", faulted);
  }
  puts(line);
  fflush(stdout);
}

/* ---- command line ------------------------------------------------------------ */

typedef dtwin_run_opts_t up_opts_t;

static const char *g_record_path; /* --record FILE.mcap */

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  int rc;
  switch (c) {
  case 'n': return dtwin_set_param(cli, "up", "twins", arg);
  case 'M': return dtwin_set_param(cli, "sync", "mode", arg);
  case 'r': /* robot and twin share workers, so one pace */
    rc = dtwin_set_param(cli, "sim", "rtf", arg);
    return rc == 0 ? dtwin_set_param(cli, "robot", "rtf", arg) : rc;
  case 'm': return dtwin_set_param(cli, "up", "motion", arg);
  case 'o': /* robot and twin run the same description */
    rc = dtwin_set_param(cli, "sim", "model", arg);
    return rc == 0 ? dtwin_set_param(cli, "robot", "model", arg) : rc;
  case 'L': return dtwin_robot_fault_flag(cli, "--lock-joint", "lock", arg);
  case 'T': return dtwin_robot_fault_flag(cli, "--no-torque", "no_torque", arg);
  case 'F': return dtwin_robot_fault_flag(cli, "--freeze-sensor", "freeze", arg);
  case 'S': return dtwin_robot_silent_flag(cli, arg);
  case 'P': return dtwin_robot_payload_flag(cli, arg);
  case 'R': g_record_path = arg; return 0;
  default: return dtwin_run_option(cli, c, arg, user);
  }
}

static int parse_opts(dtwin_cli_t *cli, up_opts_t *o) {
  static const struct option opts[] = {{"twins", required_argument, NULL, 'n'},
                                       {"mode", required_argument, NULL, 'M'},
                                       {"rtf", required_argument, NULL, 'r'},
                                       {"motion", required_argument, NULL, 'm'},
                                       {"model", required_argument, NULL, 'o'},
                                       {"lock-joint", required_argument, NULL, 'L'},
                                       {"no-torque", required_argument, NULL, 'T'},
                                       {"freeze-sensor", required_argument, NULL, 'F'},
                                       {"silent-at", required_argument, NULL, 'S'},
                                       {"payload", required_argument, NULL, 'P'},
                                       {"record", required_argument, NULL, 'R'},
                                       DTWIN_RUN_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  *o = (up_opts_t){.duration_s = 0, .status_period_s = 1.0};
  return dtwin_parse_options(cli, opts, on_option, o);
}

int dtwin_cmd_up(dtwin_cli_t *cli) {
  up_opts_t o;
  int rc = parse_opts(cli, &o);
  if (rc != 0) return rc;
  system_t *s = calloc(1, sizeof *s);
  if (s == NULL) return DTWIN_EXIT_FAILURE;
  if ((rc = dtwin_get_settings(cli, "up", &s->up)) != 0 ||
      (rc = dtwin_get_settings(cli, "sim", &s->sim)) != 0 ||
      (rc = dtwin_get_settings(cli, "robot", &s->robot)) != 0 ||
      (rc = dtwin_get_settings(cli, "sync", &s->sync)) != 0 ||
      (rc = dtwin_get_settings(cli, "monitor", &s->monitor)) != 0 ||
      (rc = dtwin_get_settings(cli, "bridge", &s->bridge)) != 0 ||
      (rc = dtwin_get_settings(cli, "viewer", &s->viewer)) != 0) {
    free(s);
    return rc;
  }
  s->n_pairs = (size_t)s->up.twins;
  monitor_for_pairs(s);
  int64_t t0 = dtw_clock_mono_ns();
  if ((rc = dtwin_host_open(cli, &s->host)) != 0) {
    free(s);
    return rc;
  }
  char err[2048] = "";
  int exit_code = DTWIN_EXIT_OK;
  rc = create_pairs(s, err, sizeof err);
  if (rc == 0 && s->up.monitor)
    rc = dtw_monitor_node_create(&s->monitor, &s->host.node, &s->mon, err, sizeof err);
  if (rc == 0 && s->up.bridge)
    rc = dtw_bridge_node_create(&s->bridge, &s->host.node, &s->br, err, sizeof err);
  if (rc == 0) rc = create_commander(s, err, sizeof err);
  if (rc == 0) rc = create_viewer(s, err, sizeof err);
  if (rc == 0) rc = dtw_runner_init_event(&s->io_runner, &s->host.node, "/dtwin_up/io", 0.001);
  if (rc == 0 && (exit_code = dtwin_host_serve(cli, &s->host, 9100)) != 0) {
    destroy_system(s);
    free(s);
    return exit_code;
  }
  /* after the metrics line, which scripts take as the first address printed */
  if (rc == 0 && s->view) {
    printf("dtwin up: viewer at %s (Foxglove: ws://%s)%s\n", dtw_viewer_node_url(s->view),
           dtw_viewer_node_url(s->view) + 7, dtw_viewer_node_read_only(s->view) ? ", read-only" : "");
    fflush(stdout);
  }
  if (rc == 0) rc = start_workers(s, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin up: %s\n", err[0] ? err : dtw_strerror(rc));
    destroy_system(s);
    free(s);
    /* runtime conditions (memory, DDS, a port in use) are failures, the rest usage errors */
    bool runtime = rc == DTW_ENOMEM || rc == DTW_EDDS || rc == DTW_EIO || rc == DTW_EBUSY;
    return runtime ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_USAGE;
  }
  size_t threads = dtw_runner_pool_threads(s->pool);
  printf("dtwin up: %zu robot/twin pair%s (%s mode), %zu worker thread%s%s%s%s; started in %.0f ms\n",
         s->n_pairs, s->n_pairs == 1 ? "" : "s", s->sync.mode, threads, threads == 1 ? "" : "s",
         s->up.sync ? ", sync" : "", s->mon ? ", monitor" : "", s->br ? ", bridge" : "",
         (double)(dtw_clock_mono_ns() - t0) / 1e6);
  if (s->br)
    printf("dtwin up: Unity bridge listening on TCP port %d\n", dtw_bridge_node_port(s->br));
  fflush(stdout);

  dtwin_install_signal_handlers();
  dtwin_recorder_t *rec = NULL; /* --record: every known topic, polled in this loop */
  dtwin_recorder_opts_t ro = {.path = g_record_path};
  if (g_record_path && dtwin_recorder_create(cli, s->host.node.bus, &ro, &rec) != 0) exit_code = DTWIN_EXIT_FAILURE;
  int64_t start = dtw_clock_mono_ns();
  int64_t period_ns = (int64_t)(o.status_period_s * 1e9);
  int64_t next_status = start + period_ns;
  while (!dtwin_stop_requested()) {
    int64_t now_ns = dtw_clock_mono_ns();
    double now_s = (double)now_ns * 1e-9;
    if (o.duration_s > 0 && now_ns - start >= (int64_t)(o.duration_s * 1e9)) break;
    command_tick(s);
    for (size_t k = 0; k < s->n_pairs; k++)
      if (s->pairs[k].sync) dtw_sync_node_poll(s->pairs[k].sync, now_s);
    if (s->mon) dtw_monitor_node_poll(s->mon, now_s);
    /* the bridge's epoll wait doubles as this loop's sleep */
    if (s->br) dtw_bridge_node_poll(s->br, 1);
    else dtw_clock_sleep_ns(1000000);
    dtw_runner_beat(&s->io_runner);
    if (rec) dtwin_recorder_poll(rec);
    if (period_ns > 0 && dtw_clock_mono_ns() >= next_status) {
      print_status(s, (double)(dtw_clock_mono_ns() - start) * 1e-9);
      next_status += period_ns;
    }
  }
  if (rec && dtwin_recorder_close(rec) != 0) exit_code = DTWIN_EXIT_FAILURE;
  dtw_runner_pool_join(s->pool);
  uint64_t failures = dtw_runner_pool_failures(s->pool);
  printf("dtwin up: stopped after %.1f s", (double)(dtw_clock_mono_ns() - start) * 1e-9);
  /* every pair's state; transitions and re-syncs summed over the pairs */
  unsigned long long tr[DTW_SYNC_STATE_COUNT] = {0}, resyncs = 0;
  size_t n_sync = 0, in_state[DTW_SYNC_STATE_COUNT] = {0};
  for (size_t k = 0; k < s->n_pairs; k++) {
    if (!s->pairs[k].sync) continue;
    static dtw_sync_report_t r;
    dtw_sync_node_report(s->pairs[k].sync, &r);
    n_sync++;
    if (r.state < DTW_SYNC_STATE_COUNT) in_state[r.state]++;
    for (int st = 0; st < DTW_SYNC_STATE_COUNT; st++) tr[st] += r.transitions[st];
    resyncs += r.resyncs;
  }
  /* one pair: its state; several: how many pairs end in each state */
  for (int st = 0, first = 1; n_sync > 0 && st < DTW_SYNC_STATE_COUNT; st++) {
    if (in_state[st] == 0) continue;
    printf("%s%s", first ? "; sync " : " ", dtw_sync_state_name(st));
    if (n_sync > 1) printf(" x%zu", in_state[st]);
    first = 0;
  }
  if (n_sync > 0)
    printf(", transitions to DIVERGED %llu, STALE %llu, FAULT %llu; %llu re-syncs",
           tr[DTW_SYNC_DIVERGED], tr[DTW_SYNC_STALE], tr[DTW_SYNC_FAULT], resyncs);
  printf("; %llu physics failures", (unsigned long long)failures);
  if (n_sync > 0) printf("; transitions to DEGRADED %llu (%zu pairs)", tr[DTW_SYNC_DEGRADED], n_sync);
  printf("\n");
  if (failures > 0) exit_code = DTWIN_EXIT_FAILURE;
  destroy_system(s);
  free(s);
  return exit_code;
}
