/* dtwin analyze - twin and sync run offline over an MCAP recording: no DDS,
 * no wall clock; time is the recording's log time (mapped onto the recorded
 * twin's sim clock when the recording has one), so a run is deterministic.
 * The twin follows the recorded trajectory commands, sync compares the
 * recorded robot joint states with it; the report goes to JSON and HTML
 * (analyze_report.c). A `dtwin up --twins N` recording is N such runs, one
 * per pair, each with its own twin, sync and reader: models are loaded one
 * after the other, the runs share out over one thread per core. */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    "                     [--pair K] [-o PREFIX]\n"
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
    "A recording of `dtwin up --twins N` holds N pairs (/robot_<k>, /twin_<k>): each is\n"
    "analyzed on its own (in parallel, one per core) into PREFIX.pair_<k>.json/.html, and\n"
    "PREFIX.json lists them; --pair K analyzes pair K alone into PREFIX.json/.html.\n"
    "Exit: 0 ok, 1 unreadable or corrupt file (what was read is still reported), 2 usage.\n";

#define ORIGIN_SAMPLES 500 /* recorded twin samples that place the twin's clock */

static int parse(dtwin_cli_t *cli, analyze_opts_t *o) {
  static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                       {"robot-topic", required_argument, NULL, 'r'},
                                       {"command-topic", required_argument, NULL, 'c'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"pair", required_argument, NULL, 'p'},
                                       {NULL, 0, NULL, 0}};
  optind = 1;
  opterr = 0;
  o->pair = -1;
  int c;
  while ((c = getopt_long(cli->argc, cli->argv, "o:", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      if (dtwin_set_param(cli, "sim", "model", optarg)) return DTWIN_EXIT_USAGE;
      break;
    case 'r': o->robot_topic = optarg; break;
    case 'c': o->command_topic = optarg; break;
    case 'o': o->prefix = optarg; break;
    case 'p': {
      char *end = NULL;
      long k = strtol(optarg, &end, 10);
      if (end == optarg || *end || k < 0 || k > 9999)
        return dtwin_usage_error(cli, "--pair '%s': expected a pair number 0..9999", optarg);
      o->pair = (int)k;
      break;
    }
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

/* Step through the whole recording: commands to the twin, robot samples to
 * sync, the twin stepped up to each message's time. Runs in a worker thread
 * for a recording with several pairs: everything it touches is a's own. */
static void run(analyze_t *a) {
  char err[1024];
  dtw_mcap_reader_t *r = a->reader;
  bool have_t0 = a->twin_clock;
  uint64_t t0 = a->t0;
  bool mirror = !strcmp(a->sync_settings.mode, "mirror");
  dtw_mcap_message_t m;
  int read_rc;
  while ((read_rc = dtw_mcap_next(r, &m, err, sizeof err)) == 1) {
    if (!have_t0) { t0 = m.log_time; have_t0 = true; }
    /* the time axis is the twin's sim time; log times before its start wait at 0 */
    double t = m.log_time >= t0 ? (double)(m.log_time - t0) * 1e-9 * a->rtf : 0;
    bool robot = !strcmp(m.channel->topic, a->opt.robot_topic);
    bool cmd = !robot && is_command_topic(&a->opt, m.channel);
    if (!robot && !cmd) continue;
    if (strcmp(m.channel->message_encoding, "cdr")) {
      fprintf(stderr, "dtwin analyze: %s%s: message encoding '%s' is not cdr; channel skipped\n",
              a->label, m.channel->topic, m.channel->message_encoding);
      continue;
    }
    if (advance_twin(a, t, err, sizeof err)) {
      fprintf(stderr, "dtwin analyze: %s%s\n", a->label, err);
      a->rc = DTWIN_EXIT_FAILURE;
      return;
    }
    char e2[256];
    if (cmd) {
      if (dtw_cdr_decode_joint_trajectory(m.data, m.len, &a->traj, e2, sizeof e2)) {
        a->bad_messages++;
        continue;
      }
      /* on the live twin's clock the stamp means what it meant live; another
       * clock's stamp (a robot's bag) would be meaningless: start on receipt */
      if (!a->twin_clock) a->traj.stamp = (dtw_time_t){0, 0};
      if (dtw_twin_accept_trajectory(a->twin, &a->traj, e2, sizeof e2) == 0) a->commands++;
      else a->commands_refused++;
      continue;
    }
    if (dtw_cdr_decode_joint_state(m.data, m.len, &a->robot_js, e2, sizeof e2)) {
      if (!a->bad_messages++) fprintf(stderr, "dtwin analyze: %s%s: %s\n", a->label, m.channel->topic, e2);
      continue;
    }
    analyze_note_names(a, &a->robot_js);
    char e3[256];
    if (mirror) {
      /* as the live sync node: compare with what the twin did, then forward the
       * sample to the twin (not a re-sync: the history it matched stays) */
      dtw_sync_on_robot_sample(a->sync, &a->robot_js, t, NULL);
      (void)dtw_twin_set_state(a->twin, &a->robot_js, e3, sizeof e3);
      a->robot_samples++;
      continue;
    }
    /* a robot's bag may start mid-motion: the twin starts from the robot's
     * first state (a dtwin recording holds the twin's own start) */
    if (a->robot_samples == 0 && !a->twin_clock &&
        dtw_twin_set_state(a->twin, &a->robot_js, e3, sizeof e3) == 0)
      dtw_sync_resync_done(a->sync, t);
    dtw_sync_on_robot_sample(a->sync, &a->robot_js, t, NULL);
    a->robot_samples++;
  }
  a->corrupt = read_rc < 0;
  if (a->corrupt) {
    snprintf(a->read_err, sizeof a->read_err, "%s", err);
    fprintf(stderr, "dtwin analyze: %s%s (reporting what was read)\n", a->label, err);
  }
  a->duration_s = dtw_twin_sim_time(a->twin);
}

/* Pairs left to run, taken by the worker threads one at a time. */
typedef struct job_queue {
  pthread_mutex_t lock;
  analyze_t *jobs;
  size_t n, next;
} job_queue_t;

static void *run_thread(void *arg) {
  job_queue_t *q = arg;
  for (;;) {
    pthread_mutex_lock(&q->lock);
    analyze_t *a = q->next < q->n ? &q->jobs[q->next++] : NULL;
    pthread_mutex_unlock(&q->lock);
    if (!a) return NULL;
    run(a);
  }
}

/* The pairs of a `dtwin up --twins N` recording: k of every /robot_<k>/joint_states
 * channel, ascending, at most cap. Reads the file when it has no summary. */
static size_t find_pairs(dtw_mcap_reader_t *r, int *ks, size_t cap) {
  if (dtw_mcap_channel_count(r) == 0) {
    dtw_mcap_message_t m;
    char err[256];
    while (dtw_mcap_next(r, &m, err, sizeof err) == 1) {
    }
    dtw_mcap_rewind(r);
  }
  size_t n = 0;
  for (size_t i = 0; i < dtw_mcap_channel_count(r); i++) {
    const dtw_mcap_channel_t *ch = dtw_mcap_channel_at(r, i);
    int k, end = 0;
    if (sscanf(ch->topic, "/robot_%d/joint_states%n", &k, &end) != 1 || ch->topic[end] || k < 0) continue;
    size_t at = 0;
    while (at < n && ks[at] < k) at++;
    if ((at < n && ks[at] == k) || n == cap) continue;
    memmove(ks + at + 1, ks + at, (n - at) * sizeof *ks);
    ks[at] = k;
    n++;
  }
  return n;
}

/* Set up pair job a (pair k, or -1 for the recording's only pair): settings,
 * twin, sync, its own reader and the twin's clock origin. 0 or an exit code. */
static int setup(analyze_t *a, dtwin_cli_t *cli, const analyze_opts_t *opt, int pair, const char *base) {
  char err[1024];
  a->opt = *opt;
  a->pair = pair;
  dtw_sim_node_settings_t sim;
  dtw_sync_node_settings_t syn;
  int rc;
  if ((rc = dtwin_get_settings(cli, "sim", &sim)) || (rc = dtwin_get_settings(cli, "sync", &syn))) return rc;
#define COPY_SYNC_PARAM(type, name, ...) memcpy(&a->sync_settings.name, &syn.name, sizeof syn.name);
  DTW_SYNC_PARAMS(COPY_SYNC_PARAM)
#undef COPY_SYNC_PARAM
#define COPY_TWIN_PARAM(type, name, ...) memcpy(&a->twin_settings.name, &sim.name, sizeof sim.name);
  DTW_TWIN_PARAMS(COPY_TWIN_PARAM)
#undef COPY_TWIN_PARAM
  if (pair >= 0) { /* the namespaces dtwin up gives pair k */
    snprintf(a->sync_settings.robot_namespace, sizeof a->sync_settings.robot_namespace, "/robot_%d", pair);
    snprintf(a->sync_settings.twin_namespace, sizeof a->sync_settings.twin_namespace, "/twin_%d", pair);
    snprintf(a->label, sizeof a->label, "pair %d: ", pair);
  }
  if (base) {
    snprintf(a->prefix_buf, sizeof a->prefix_buf, "%s.pair_%d", base, pair);
    a->opt.prefix = a->prefix_buf;
  }
  a->rtf = sim.rtf > 0 ? sim.rtf : 1.0;
  a->twin_rate_hz = sim.joint_states_rate_hz;
  a->twin_settings.rtf = 0;
  snprintf(a->robot_topic_buf, sizeof a->robot_topic_buf, "%s/joint_states", a->sync_settings.robot_namespace);
  if (!a->opt.robot_topic) a->opt.robot_topic = a->robot_topic_buf;
  a->opt.twin_ns = a->sync_settings.twin_namespace;
  if (dtw_twin_create(&a->twin_settings, &a->twin, err, sizeof err)) {
    fprintf(stderr, "dtwin analyze: %s\n", err);
    return DTWIN_EXIT_USAGE;
  }
  a->n_joints = dtw_twin_joint_count(a->twin);
  dtw_twin_get_joint_state(a->twin, &a->twin_js);
  const char *names[DTW_MAX_JOINTS];
  for (size_t i = 0; i < a->n_joints; i++) names[i] = a->twin_js.name[i];
  if (dtw_sync_create(&a->sync_settings, names, a->n_joints, &a->sync, err, sizeof err)) {
    fprintf(stderr, "dtwin analyze: sync: %s\n", err);
    return DTWIN_EXIT_FAILURE;
  }
  /* the fault isolation's residuals need the model, as in the live sync node */
  if (dtw_sim_dyn_create(dtw_twin_robot(a->twin), names, a->n_joints, &a->dyn, err, sizeof err) < 0)
    fprintf(stderr, "dtwin analyze: fault isolation without the model (no torque residuals): %s\n",
            err);
  else
    dtw_sync_node_use_model(a->sync, a->dyn);
  if (dtw_traj_msg_init(&a->traj, (size_t)a->twin_settings.max_trajectory_points)) return DTWIN_EXIT_FAILURE;
  a->dt = dtw_twin_timestep(a->twin);
  a->next_twin_pub = 0;
  a->next_tick = 1.0 / a->sync_settings.status_rate_hz;
  if (dtw_mcap_reader_open(a->opt.file, &a->reader, err, sizeof err)) {
    fprintf(stderr, "dtwin analyze: %s\n", err);
    return DTWIN_EXIT_FAILURE;
  }
  a->twin_clock = find_twin_origin(a, a->reader, a->rtf, &a->t0);
  dtw_twin_get_joint_state(a->twin, &a->twin_js); /* names again after the scan */
  return 0;
}

static void teardown(analyze_t *a) {
  analyze_free(a);
  dtw_traj_msg_fini(&a->traj);
  dtw_sync_destroy(a->sync);
  dtw_sim_dyn_destroy(a->dyn);
  dtw_twin_destroy(a->twin);
  dtw_mcap_reader_close(a->reader);
}

/* PREFIX.json of a recording with several pairs: each pair's figures and report. */
static int write_index(const char *base, const char *file, const analyze_t *jobs, size_t n) {
  char path[1100];
  snprintf(path, sizeof path, "%s.json", base);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "dtwin analyze: cannot write %s\n", path);
    return DTWIN_EXIT_FAILURE;
  }
  fprintf(f, "{\n  \"file\": \"");
  for (const char *c = file; *c; c++) fprintf(f, (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
  fprintf(f, "\",\n  \"pairs\": [");
  for (size_t i = 0; i < n; i++) {
    const analyze_t *a = &jobs[i];
    fprintf(f, "%s\n    {\"pair\": %d, \"robot_namespace\": \"%s\", \"twin_namespace\": \"%s\", "
               "\"report\": \"%s.json\", \"final_state\": \"%s\", \"robot_samples\": %llu, "
               "\"duration_s\": %.3f, \"episodes\": %zu, \"transitions_diverged\": %llu, "
               "\"transitions_fault\": %llu, \"ok\": %s}",
            i ? "," : "", a->pair, a->sync_settings.robot_namespace, a->sync_settings.twin_namespace,
            a->opt.prefix, dtw_sync_state_name(a->rep.state), (unsigned long long)a->robot_samples,
            a->duration_s, a->n_episodes, (unsigned long long)a->rep.transitions[DTW_SYNC_DIVERGED],
            (unsigned long long)a->rep.transitions[DTW_SYNC_FAULT], a->rc ? "false" : "true");
  }
  fprintf(f, "\n  ]\n}\n");
  if (fclose(f)) {
    fprintf(stderr, "dtwin analyze: writing %s failed\n", path);
    return DTWIN_EXIT_FAILURE;
  }
  printf("%s\n", path);
  return 0;
}

#define MAX_PAIRS 256

int dtwin_cmd_analyze(dtwin_cli_t *cli) {
  analyze_opts_t opt;
  memset(&opt, 0, sizeof opt);
  int rc = parse(cli, &opt);
  if (rc) return rc;
  char err[1024];
  dtw_mcap_reader_t *r = NULL;
  if (dtw_mcap_reader_open(opt.file, &r, err, sizeof err)) {
    fprintf(stderr, "dtwin analyze: %s\n", err);
    return DTWIN_EXIT_FAILURE;
  }
  load_recorded_config(cli, r);
  static int ks[MAX_PAIRS];
  size_t n_pairs = opt.robot_topic ? 0 : find_pairs(r, ks, MAX_PAIRS);
  bool single_pair_file = dtw_mcap_channel_by_topic(r, "/robot/joint_states") != NULL;
  dtw_mcap_reader_close(r);
  if (opt.pair >= 0) {
    size_t i = 0;
    while (i < n_pairs && ks[i] != opt.pair) i++;
    if (i == n_pairs)
      return dtwin_usage_error(cli, "--pair %d: %s has no /robot_%d/joint_states (%zu pair(s) found)",
                               opt.pair, opt.file, opt.pair, n_pairs);
    ks[0] = opt.pair;
    n_pairs = 1;
  } else if (single_pair_file) {
    n_pairs = 0;
  }
  /* several pairs: PREFIX.pair_<k>.* and the index PREFIX.json */
  bool multi = n_pairs > 0 && opt.pair < 0;
  char base[1024];
  if (opt.prefix) snprintf(base, sizeof base, "%s", opt.prefix);
  else {
    snprintf(base, sizeof base, "%s", opt.file);
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".mcap")) base[n - 5] = 0;
    strncat(base, ".report", sizeof base - strlen(base) - 1);
  }
  size_t n_jobs = n_pairs ? n_pairs : 1;
  analyze_t *jobs = calloc(n_jobs, sizeof *jobs);
  if (!jobs) return DTWIN_EXIT_FAILURE;
  rc = 0;
  /* models are loaded here, one after the other; only the runs are parallel */
  size_t made = 0;
  for (; made < n_jobs && !rc; made++)
    rc = setup(&jobs[made], cli, &opt, n_pairs ? ks[made] : -1, multi ? base : NULL);
  if (!rc) {
    job_queue_t q = {.lock = PTHREAD_MUTEX_INITIALIZER, .jobs = jobs, .n = n_jobs, .next = 0};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n_threads = cpus > 1 ? (size_t)cpus : 1;
    if (n_threads > n_jobs) n_threads = n_jobs;
    pthread_t th[64];
    if (n_threads > 64) n_threads = 64;
    size_t started = 0;
    for (size_t i = 1; i < n_threads; i++)
      if (pthread_create(&th[i], NULL, run_thread, &q) == 0) started = i;
    run_thread(&q); /* this thread works too */
    for (size_t i = 1; i <= started; i++) pthread_join(th[i], NULL);
    bool corrupt = false;
    for (size_t i = 0; i < n_jobs; i++) {
      analyze_t *a = &jobs[i];
      corrupt |= a->corrupt;
      if (!a->rc) a->rc = analyze_write_reports(a, a->corrupt ? a->read_err : NULL);
      if (a->rc && !rc) rc = a->rc;
    }
    if (multi && !rc) rc = write_index(base, opt.file, jobs, n_jobs);
    if (!rc && corrupt) rc = DTWIN_EXIT_FAILURE;
  }
  for (size_t i = 0; i < made; i++) teardown(&jobs[i]);
  free(jobs);
  return rc;
}
