/* dtwin topic echo|hz, dtwin traj send, dtwin service call - the everyday
 * ros2 CLI verbs, on our bus. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/bus.h"
#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/paths.h"
#include "dtw/traj_file.h"
#include "process.h"

const char dtwin_usage_topic[] =
    "usage: dtwin topic echo TOPIC [--type TYPE] [--count N] [--duration S]\n"
    "       dtwin topic hz TOPIC [--type TYPE] [--duration S]\n"
    "       dtwin topic list [--duration S]\n"
    "\n"
    "list  prints every ROS 2 topic seen on the DDS graph within --duration (default 2 s),\n"
    "      with its type and publisher/subscriber counts\n"
    "echo  prints each message (JointState, JointTrajectory, Clock, DiagnosticArray as YAML;\n"
    "      other types as their CDR size)\n"
    "hz    prints the average rate, min/max interval and jitter once per second\n"
    "\n"
    "TYPE is a ROS type such as sensor_msgs/msg/JointState. Without --type it is taken\n"
    "from the DDS graph (the publishers' type), else inferred from the topic name\n"
    "(.../joint_states, /clock, .../joint_trajectory, /sync/status ...). Stops after --count messages,\n"
    "--duration seconds, or Ctrl-C. Exit 1 if nothing arrived.\n";

const char dtwin_usage_traj[] =
    "usage: dtwin traj send FILE [--topic TOPIC] [--wait S]\n"
    "\n"
    "Publishes the motion in FILE (YAML: joint_names, points with positions, optional\n"
    "velocities/accelerations, time_from_start; see config/motions/) as a\n"
    "trajectory_msgs/JointTrajectory on TOPIC (default\n"
    "/twin/humanoid_joint_trajectory_controller/joint_trajectory), after waiting up to\n"
    "--wait seconds (default 5) for a subscriber. Exit 1 if none appears.\n";

const char dtwin_usage_service[] =
    "usage: dtwin service call SERVICE [--timeout S]\n"
    "\n"
    "Calls a std_srvs/srv/Trigger service (e.g. /twin/reset) and prints the response.\n"
    "Exit 0 when answered (whatever success says), 1 on timeout (default 5 s).\n";

static const struct {
  const char *suffix;
  const char *type;
} k_type_by_name[] = {
    {"joint_states", DTW_TYPE_JOINT_STATE},   {"set_state", DTW_TYPE_JOINT_STATE},
    {"/clock", DTW_TYPE_CLOCK},               {"joint_trajectory", DTW_TYPE_JOINT_TRAJECTORY},
    {"/sync/status", DTW_TYPE_DIAGNOSTIC_ARRAY}, {"diagnostics", DTW_TYPE_DIAGNOSTIC_ARRAY},
    {"controller_state", DTW_TYPE_JTC_STATE},
};

static const char *infer_type(const char *topic) {
  size_t tl = strlen(topic);
  for (size_t i = 0; i < sizeof k_type_by_name / sizeof k_type_by_name[0]; i++) {
    size_t sl = strlen(k_type_by_name[i].suffix);
    if (tl >= sl && strcmp(topic + tl - sl, k_type_by_name[i].suffix) == 0)
      return k_type_by_name[i].type;
  }
  return NULL;
}

typedef struct tool_opts {
  const char *type;
  const char *topic;
  long count;
  double duration_s, wait_s, timeout_s;
} tool_opts_t;

static int parse_tool_opts(dtwin_cli_t *cli, tool_opts_t *o, int first_pos, const char **pos) {
  static const struct option opts[] = {{"type", required_argument, NULL, 'T'},
                                       {"count", required_argument, NULL, 'n'},
                                       {"duration", required_argument, NULL, 'd'},
                                       {"topic", required_argument, NULL, 't'},
                                       {"wait", required_argument, NULL, 'w'},
                                       {"timeout", required_argument, NULL, 'o'},
                                       {NULL, 0, NULL, 0}};
  *o = (tool_opts_t){.count = 0, .duration_s = 0, .wait_s = 5, .timeout_s = 5};
  optind = first_pos;
  opterr = 0;
  int c;
  char *end;
  while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
    double v = 0;
    if (c != '?' && c != 'T' && c != 't') {
      v = strtod(optarg, &end);
      if (*end != '\0' || !isfinite(v) || v < 0)
        return dtwin_usage_error(cli, "--%s needs a number >= 0, not '%s'",
                                 c == 'n' ? "count" : c == 'd' ? "duration" : c == 'w' ? "wait" : "timeout",
                                 optarg);
    }
    switch (c) {
    case 'T': o->type = optarg; break;
    case 't': o->topic = optarg; break;
    case 'n': o->count = (long)v; break;
    case 'd': o->duration_s = v; break;
    case 'w': o->wait_s = v; break;
    case 'o': o->timeout_s = v; break;
    default: return dtwin_usage_error(cli, "unknown or incomplete option '%s'", cli->argv[optind - 1]);
    }
  }
  if (optind >= cli->argc) return dtwin_usage_error(cli, "missing argument");
  *pos = cli->argv[optind];
  if (optind + 1 < cli->argc) return dtwin_usage_error(cli, "unexpected argument '%s'", cli->argv[optind + 1]);
  return 0;
}

/* The tool's own node, so ROS graph tools see who is listening. */
static int open_tool_node(dtwin_cli_t *cli, dtw_bus_t **bus, dtw_bus_node_t **node) {
  int rc = dtwin_bus_open(cli, bus);
  if (rc != 0) return rc;
  char err[512], name[64];
  snprintf(name, sizeof name, "dtwin_%s_%d", cli->cmd_name, (int)(dtw_clock_mono_ns() % 100000));
  if (dtw_bus_node_create(*bus, name, "/", node, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    dtw_bus_destroy(*bus);
    return DTWIN_EXIT_FAILURE;
  }
  return 0;
}

static void print_doubles(const char *indent, const char *label, const double *v, size_t n) {
  printf("%s%s: [", indent, label);
  for (size_t i = 0; i < n; i++) printf("%s%.6g", i ? ", " : "", v[i]);
  printf("]\n");
}

static void print_joint_state(const dtw_joint_state_msg_t *m) {
  printf("header:\n  stamp: {sec: %d, nanosec: %u}\n  frame_id: '%s'\nname: [", m->stamp.sec,
         m->stamp.nanosec, m->frame_id);
  for (size_t i = 0; i < m->n_name; i++) printf("%s%s", i ? ", " : "", m->name[i]);
  printf("]\n");
  print_doubles("", "position", m->position, m->n_position);
  print_doubles("", "velocity", m->velocity, m->n_velocity);
  print_doubles("", "effort", m->effort, m->n_effort);
}

static void print_trajectory(const dtw_joint_trajectory_msg_t *m) {
  printf("joint_names: [");
  for (size_t i = 0; i < m->n_joints; i++) printf("%s%s", i ? ", " : "", m->joint_names[i]);
  printf("]\npoints:\n");
  for (size_t k = 0; k < m->n_points; k++) {
    const dtw_traj_point_t *p = &m->points[k];
    printf("  - positions: [");
    for (size_t i = 0; i < p->n_positions; i++) printf("%s%.6g", i ? ", " : "", p->positions[i]);
    printf("]\n    time_from_start: {sec: %d, nanosec: %u}\n", p->time_from_start.sec,
           p->time_from_start.nanosec);
  }
}

/* control_msgs/JointTrajectoryControllerState: what a runbook asks to look at
 * (a joint's reference, tracking error and the effort its controller commands). */
static void print_jtc_state(const dtw_jtc_state_msg_t *m) {
  printf("header:\n  stamp: {sec: %d, nanosec: %u}\n  frame_id: '%s'\njoint_names: [", m->stamp.sec,
         m->stamp.nanosec, m->frame_id);
  for (size_t i = 0; i < m->n_joints; i++) printf("%s%s", i ? ", " : "", m->joint_names[i]);
  printf("]\n");
  const struct {
    const char *label;
    const dtw_jtc_point_msg_t *p;
  } points[] = {{"reference", &m->reference}, {"feedback", &m->feedback},
                {"error", &m->error}, {"output", &m->output}};
  for (size_t k = 0; k < 4; k++) {
    const dtw_jtc_point_msg_t *p = points[k].p;
    printf("%s:\n", points[k].label);
    print_doubles("  ", "positions", p->positions, p->n_positions);
    print_doubles("  ", "velocities", p->velocities, p->n_velocities);
    print_doubles("  ", "accelerations", p->accelerations, p->n_accelerations);
    print_doubles("  ", "effort", p->effort, p->n_effort);
  }
}

static void print_diagnostics(const dtw_diag_array_t *m) {
  printf("header:\n  stamp: {sec: %d, nanosec: %u}\nstatus:\n", m->stamp.sec, m->stamp.nanosec);
  for (size_t i = 0; i < m->n_status; i++) {
    const dtw_diag_status_t *s = &m->status[i];
    printf("  - level: %u\n    name: '%s'\n    message: '%s'\n    hardware_id: '%s'\n    values:\n",
           s->level, s->name, s->message, s->hardware_id);
    for (size_t k = 0; k < s->n_values; k++)
      printf("      - {key: '%s', value: '%s'}\n", s->values[k].key, s->values[k].value);
  }
}

typedef struct topic_state {
  bool echo, typed;
  long max_count;   /* 0 = unbounded; a burst in one spin must not print past it */
  const char *type;
  long received, window_n;
  int64_t prev_ns;
  double dt_min, dt_max, dt_sum, dt_sq;
} topic_state_t;

static void on_topic_msg(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  topic_state_t *st = user;
  int64_t now = dtw_clock_mono_ns();
  if (st->max_count > 0 && st->received >= st->max_count) return;
  st->received++;
  if (st->echo) {
    if (!st->typed) printf("%s: %zu bytes of CDR\n", st->type, ((const dtw_cdr_t *)msg)->len);
    else if (strcmp(st->type, DTW_TYPE_JOINT_STATE) == 0) print_joint_state(msg);
    else if (strcmp(st->type, DTW_TYPE_JOINT_TRAJECTORY) == 0) print_trajectory(msg);
    else if (strcmp(st->type, DTW_TYPE_JTC_STATE) == 0) print_jtc_state(msg);
    else if (strcmp(st->type, DTW_TYPE_CLOCK) == 0)
      printf("clock: {sec: %d, nanosec: %u}\n", ((const dtw_time_t *)msg)->sec,
             ((const dtw_time_t *)msg)->nanosec);
    else print_diagnostics(msg);
    printf("---\n");
    fflush(stdout);
  } else if (st->prev_ns != 0) {
    double dt = (double)(now - st->prev_ns) / 1e9;
    st->dt_min = fmin(st->dt_min, dt);
    st->dt_max = fmax(st->dt_max, dt);
    st->dt_sum += dt;
    st->dt_sq += dt * dt;
    st->window_n++;
  }
  st->prev_ns = now;
}

/* The type the graph shows for topic, waiting up to timeout_ns for discovery;
 * NULL if none. The string lives in g. */
static const char *graph_type(dtw_graph_t *g, const char *topic, int64_t timeout_ns) {
  int64_t end = dtw_clock_mono_ns() + timeout_ns;
  do {
    dtw_graph_update(g);
    const char *t = dtw_graph_topic_type(g, topic);
    if (t != NULL && t[0] != '\0') return t;
    dtw_clock_sleep_ns(20 * 1000000LL);
  } while (dtw_clock_mono_ns() < end);
  return NULL;
}

static int topic_list(dtwin_cli_t *cli) {
  tool_opts_t o = {.duration_s = 2};
  int rc;
  for (int i = 2; i < cli->argc; i++) {
    if (strcmp(cli->argv[i], "--duration") == 0 && i + 1 < cli->argc) {
      char *end;
      o.duration_s = strtod(cli->argv[++i], &end);
      if (*end != '\0' || !(o.duration_s >= 0))
        return dtwin_usage_error(cli, "--duration needs seconds >= 0");
    } else {
      return dtwin_usage_error(cli, "unexpected argument '%s'", cli->argv[i]);
    }
  }
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  if ((rc = open_tool_node(cli, &bus, &node)) != 0) return rc;
  dtw_graph_t *g = NULL;
  char err[256];
  if (dtw_graph_create(bus, &g, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin topic: %s\n", err);
    dtw_bus_destroy(bus);
    return DTWIN_EXIT_FAILURE;
  }
  int64_t end = dtw_clock_mono_ns() + (int64_t)(o.duration_s * 1e9);
  while (dtw_clock_mono_ns() < end) {
    dtw_graph_update(g);
    dtw_clock_sleep_ns(50 * 1000000LL);
  }
  dtw_graph_update(g);
  size_t n = dtw_graph_topic_count(g);
  for (size_t i = 0; i < n; i++) {
    dtw_graph_topic_info_t t;
    if (dtw_graph_topic_at(g, i, &t) < 0) continue;
    printf("%-60s %-50s %zu pub %zu sub\n", t.name, t.type[0] ? t.type : "(not a ROS type)",
           t.n_publishers, t.n_subscribers);
  }
  dtw_graph_destroy(g);
  dtw_bus_destroy(bus);
  return n > 0 ? DTWIN_EXIT_OK : DTWIN_EXIT_FAILURE;
}

static int topic_run(dtwin_cli_t *cli, bool echo) {
  tool_opts_t o;
  const char *topic;
  int rc = parse_tool_opts(cli, &o, 2, &topic);
  if (rc != 0) return rc;
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  if ((rc = open_tool_node(cli, &bus, &node)) != 0) return rc;
  char type_buf[256] = "";
  const char *type = o.type;
  if (type == NULL) {
    dtw_graph_t *g = NULL;
    if (dtw_graph_create(bus, &g, NULL, 0) == 0) {
      const char *t = graph_type(g, topic, 3 * DTW_NS_PER_S);
      if (t != NULL) snprintf(type_buf, sizeof type_buf, "%s", t);
      dtw_graph_destroy(g);
    }
    type = type_buf[0] ? type_buf : infer_type(topic);
  }
  if (type == NULL) {
    dtw_bus_destroy(bus);
    return dtwin_usage_error(cli, "cannot tell the type of '%s' (no publisher seen): give --type",
                             topic);
  }
  if (!dtw_bus_has_type(type)) {
    dtw_bus_destroy(bus);
    return dtwin_usage_error(cli, "unknown message type '%s'", type);
  }
  bool typed = echo && (strcmp(type, DTW_TYPE_JOINT_STATE) == 0 ||
                        strcmp(type, DTW_TYPE_JOINT_TRAJECTORY) == 0 ||
                        strcmp(type, DTW_TYPE_JTC_STATE) == 0 ||
                        strcmp(type, DTW_TYPE_CLOCK) == 0 ||
                        strcmp(type, DTW_TYPE_DIAGNOSTIC_ARRAY) == 0);
  topic_state_t st = {
      .echo = echo, .typed = typed, .type = type, .max_count = o.count, .dt_min = INFINITY};
  dtw_sub_t *sub = NULL;
  char err[512];
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_SENSOR_DATA; /* best effort matches reliable and best-effort writers */
  so.raw = !typed;
  so.traj_cap_points = 4096;
  so.on_msg = on_topic_msg;
  so.user = &st;
  int exit_code = DTWIN_EXIT_OK;
  if (dtw_sub_create(node, topic, type, &so, &sub, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    exit_code = DTWIN_EXIT_USAGE;
    goto out;
  }
  dtwin_install_signal_handlers();
  /* callbacks run as samples arrive, so intervals are arrival intervals */
  int64_t start = dtw_clock_mono_ns(), last_report = start;
  while (!dtwin_stop_requested()) {
    int64_t now = dtw_clock_mono_ns();
    if (o.duration_s > 0 && now - start >= (int64_t)(o.duration_s * 1e9)) break;
    if (o.count > 0 && st.received >= o.count) break;
    dtw_bus_spin_once(bus, 50 * 1000000LL);
    now = dtw_clock_mono_ns();
    if (!echo && now - last_report >= DTW_NS_PER_S) {
      if (st.window_n > 0) {
        double mean = st.dt_sum / (double)st.window_n;
        double sd = sqrt(fmax(0.0, st.dt_sq / (double)st.window_n - mean * mean));
        printf("average rate: %.3f Hz\n\tmin: %.6fs max: %.6fs std dev: %.6fs window: %ld\n",
               1.0 / mean, st.dt_min, st.dt_max, sd, st.window_n + 1);
      } else {
        printf("no new messages\n");
      }
      fflush(stdout);
      st.window_n = 0;
      st.dt_min = INFINITY;
      st.dt_max = st.dt_sum = st.dt_sq = 0;
      last_report = now;
    }
  }
  long received = st.received;
  if (received == 0) {
    fprintf(stderr, "dtwin %s: no message received on %s\n", cli->cmd_name, topic);
    exit_code = DTWIN_EXIT_FAILURE;
  }
out:
  dtw_bus_destroy(bus);
  return exit_code;
}

int dtwin_cmd_topic(dtwin_cli_t *cli) {
  if (cli->argc < 2) return dtwin_usage_error(cli, "missing action: echo, hz or list");
  if (strcmp(cli->argv[1], "list") == 0) return topic_list(cli);
  if (strcmp(cli->argv[1], "echo") == 0) return topic_run(cli, true);
  if (strcmp(cli->argv[1], "hz") == 0) return topic_run(cli, false);
  return dtwin_usage_error(cli, "unknown action '%s'", cli->argv[1]);
}

int dtwin_cmd_traj(dtwin_cli_t *cli) {
  if (cli->argc < 2 || strcmp(cli->argv[1], "send") != 0)
    return dtwin_usage_error(cli, "expected: traj send FILE");
  tool_opts_t o;
  const char *file;
  int rc = parse_tool_opts(cli, &o, 2, &file);
  if (rc != 0) return rc;
  const char *topic = o.topic ? o.topic : "/twin/humanoid_joint_trajectory_controller/joint_trajectory";
  char err[1024], path[4096];
  dtw_joint_trajectory_msg_t msg = {0};
  if (dtw_path_resolve(file, path, sizeof path, err, sizeof err) < 0 ||
      dtw_traj_file_load(path, &msg, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin traj: %s\n", err);
    return DTWIN_EXIT_USAGE;
  }
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  dtw_pub_t *pub = NULL;
  int exit_code = DTWIN_EXIT_OK;
  if ((rc = open_tool_node(cli, &bus, &node)) != 0) {
    dtw_traj_msg_fini(&msg);
    return rc;
  }
  if (dtw_pub_create(node, topic, DTW_TYPE_JOINT_TRAJECTORY, DTW_QOS_DEFAULT, &pub, err,
                     sizeof err) < 0) {
    fprintf(stderr, "dtwin traj: %s\n", err);
    exit_code = DTWIN_EXIT_USAGE;
  } else if (dtw_pub_wait_matched(pub, 1, (int64_t)(o.wait_s * 1e9)) < 0) {
    fprintf(stderr, "dtwin traj: no subscriber on %s after %.1f s\n", topic, o.wait_s);
    exit_code = DTWIN_EXIT_FAILURE;
  } else if ((rc = dtw_pub_joint_trajectory(pub, &msg)) < 0) {
    fprintf(stderr, "dtwin traj: publishing failed: %s\n", dtw_strerror(rc));
    exit_code = DTWIN_EXIT_FAILURE;
  } else {
    printf("sent %zu points for %zu joints to %s (%.3f s long)\n", msg.n_points, msg.n_joints,
           topic, dtw_duration_to_s(msg.points[msg.n_points - 1].time_from_start));
    /* reliable delivery completes asynchronously: give it a moment before leaving */
    dtw_clock_sleep_ns(300 * 1000000LL);
  }
  dtw_bus_destroy(bus);
  dtw_traj_msg_fini(&msg);
  return exit_code;
}

int dtwin_cmd_service(dtwin_cli_t *cli) {
  if (cli->argc < 2 || strcmp(cli->argv[1], "call") != 0)
    return dtwin_usage_error(cli, "expected: service call SERVICE");
  tool_opts_t o;
  const char *service;
  int rc = parse_tool_opts(cli, &o, 2, &service);
  if (rc != 0) return rc;
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  if ((rc = open_tool_node(cli, &bus, &node)) != 0) return rc;
  char err[1024];
  dtw_client_t *client = NULL;
  dtw_trigger_response_t resp;
  int exit_code = DTWIN_EXIT_OK;
  int64_t timeout_ns = (int64_t)(o.timeout_s * 1e9);
  int64_t t0 = dtw_clock_mono_ns();
  if (dtw_client_create(node, service, DTW_SRV_TRIGGER, &client, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin service: %s\n", err);
    exit_code = DTWIN_EXIT_USAGE;
  } else if (dtw_client_wait_for_service(client, timeout_ns) < 0) {
    fprintf(stderr, "dtwin service: %s is not available (waited %.1f s)\n", service, o.timeout_s);
    exit_code = DTWIN_EXIT_FAILURE;
  } else {
    int64_t t1 = dtw_clock_mono_ns();
    if (dtw_bus_call(client, NULL, &resp, timeout_ns, err, sizeof err) < 0) {
      fprintf(stderr, "dtwin service: %s: %s\n", service, err);
      exit_code = DTWIN_EXIT_FAILURE;
    } else {
      printf("response:\n  success: %s\n  message: '%s'\n  round trip: %.3f ms (%.1f ms "
             "including discovery)\n",
             resp.success ? "true" : "false", resp.message,
             (double)(dtw_clock_mono_ns() - t1) / 1e6, (double)(dtw_clock_mono_ns() - t0) / 1e6);
    }
  }
  dtw_bus_destroy(bus);
  return exit_code;
}
