/* dtwin - one binary, one subcommand per node or tool.
 * Options every subcommand takes (--config, --set, --log-level) are taken out
 * of argv here; the rest goes to the subcommand. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/version.h"

static const dtwin_cmd_t k_commands[] = {
    {"up", "run the whole twin system (robot, twin, sync, monitor, bridge) in one process",
     dtwin_usage_up, dtwin_cmd_up},
    {"demo", "run the demo humanoid twin with its demo motion and a live status line",
     dtwin_usage_demo, dtwin_cmd_demo},
    {"sim", "run the physics twin (MuJoCo + joint trajectory controller)", dtwin_usage_sim,
     dtwin_cmd_sim},
    {"robot", "the stand-in for the physical robot (model error, noise, latency, faults, replay)",
     dtwin_usage_robot, dtwin_cmd_robot},
    {"sync", "the synchronization node: compares robot and twin, re-syncs, publishes /sync/status",
     dtwin_usage_sync, dtwin_cmd_sync},
    {"monitor", "the monitoring node: watches the DDS graph and topics, exports metrics",
     dtwin_usage_monitor, dtwin_cmd_monitor},
    {"bridge", "the Unity bridge: a ROS-TCP-Endpoint-compatible server on port 10000",
     dtwin_usage_bridge, dtwin_cmd_bridge},
    {"view", "serve the 3D page and a Foxglove WebSocket server for a running system",
     dtwin_usage_view, dtwin_cmd_view},
    {"health", "check a running system: readiness, DDS graph, real-time factor, sync state",
     dtwin_usage_health, dtwin_cmd_health},
    {"topic", "echo a topic's messages or measure its rate (topic echo|hz NAME)",
     dtwin_usage_topic, dtwin_cmd_topic},
    {"traj", "send a YAML motion as a JointTrajectory (traj send FILE)", dtwin_usage_traj,
     dtwin_cmd_traj},
    {"service", "call a std_srvs/Trigger service (service call NAME)", dtwin_usage_service,
     dtwin_cmd_service},
    {"config", "check, dump or document the configuration", dtwin_usage_config,
     dtwin_cmd_config},
    {"model", "load a robot model (URDF, xacro, MJCF) and report on it or print its MJCF",
     dtwin_usage_model, dtwin_cmd_model},
    {"record", "record topics to an MCAP file (ros2 bag / Foxglove readable)", dtwin_usage_record,
     dtwin_cmd_record},
    {"analyze", "run twin and sync offline over an MCAP recording; JSON and HTML report",
     dtwin_usage_analyze, dtwin_cmd_analyze},
};
#define N_COMMANDS (sizeof k_commands / sizeof k_commands[0])

static void print_main_help(FILE *out) {
  fprintf(out,
          "usage: dtwin [--version] [--help] <command> [options]\n"
          "\n"
          "dtwin %s - a digital-twin runtime for ROS 2 robots (MuJoCo physics, Cyclone DDS).\n"
          "\n"
          "commands:\n",
          DTW_VERSION);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(out, "  %-8s %s\n", k_commands[i].name, k_commands[i].summary);
  fprintf(out,
          "\n"
          "options every command takes:\n"
          "  --config FILE          ROS 2 parameter file (default: built-in defaults;\n"
          "                         config/dtwin.yaml documents every parameter)\n"
          "  --set NODE.PARAM=VALUE override one parameter (repeatable)\n"
          "  --log-level LEVEL      debug | info | warn | error (or DTW_LOG_LEVEL)\n"
          "\n"
          "exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.\n"
          "`dtwin <command> --help` describes a command.\n");
}

static atomic_bool g_stop;
static void on_signal(int sig) {
  (void)sig;
  atomic_store(&g_stop, true);
}
void dtwin_install_signal_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}
bool dtwin_stop_requested(void) { return atomic_load(&g_stop); }
void dtwin_request_stop(void) { atomic_store(&g_stop, true); }

bool dtwin_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return true;
  return false;
}

int dtwin_usage_error(const dtwin_cli_t *cli, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "dtwin %s: ", cli->cmd_name);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see `dtwin %s --help`)\n", cli->cmd_name);
  va_end(ap);
  return DTWIN_EXIT_USAGE;
}

int dtwin_get_settings(const dtwin_cli_t *cli, const char *node, void *out) {
  char err[2048];
  int rc = dtw_config_get(cli->cfg, node, out, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin %s: %s\n", cli->cmd_name, err);
    return DTWIN_EXIT_USAGE;
  }
  return 0;
}

int dtwin_set_param(dtwin_cli_t *cli, const char *node, const char *param, const char *value) {
  char assignment[4200], err[1024];
  snprintf(assignment, sizeof assignment, "%s.%s=%s", node, param, value);
  if (dtw_config_set(cli->cfg, assignment, err, sizeof err) < 0)
    return dtwin_usage_error(cli, "%s", err);
  return 0;
}

int dtwin_parse_seconds(const dtwin_cli_t *cli, const char *opt, const char *text, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(v) || v < 0)
    return dtwin_usage_error(cli, "%s needs seconds >= 0, not '%s'", opt, text);
  *out = v;
  return 0;
}

/* Take --config/--set/--log-level out of argv (they may appear anywhere after
 * the command name), applying them to cli. Returns 0 or an exit code. */
static int take_common_options(dtwin_cli_t *cli, const char ***sets, size_t *n_sets) {
  int w = 1;
  for (int r = 1; r < cli->argc; r++) {
    const char *a = cli->argv[r];
    const char *val = NULL;
    const char *opt = NULL;
    if (strcmp(a, "--") == 0) {  /* everything after -- belongs to the command */
      while (r < cli->argc) cli->argv[w++] = cli->argv[r++];
      break;
    }
    static const char *const k_opts[] = {"--config", "--set", "--log-level"};
    for (size_t i = 0; i < 3; i++) {
      size_t len = strlen(k_opts[i]);
      if (strncmp(a, k_opts[i], len) == 0 && (a[len] == '\0' || a[len] == '=')) {
        opt = k_opts[i];
        if (a[len] == '=') {
          val = a + len + 1;
        } else if (r + 1 < cli->argc) {
          val = cli->argv[++r];
        } else {
          return dtwin_usage_error(cli, "%s needs a value", opt);
        }
      }
    }
    if (opt == NULL) {
      cli->argv[w++] = cli->argv[r];
    } else if (strcmp(opt, "--config") == 0) {
      cli->config_path = val;
    } else if (strcmp(opt, "--set") == 0) {
      (*sets)[(*n_sets)++] = val;
    } else {
      int level = dtw_log_level_parse(val);
      if (level < 0) return dtwin_usage_error(cli, "unknown log level '%s'", val);
      dtw_log_set_level((dtw_log_level_t)level);
    }
  }
  cli->argc = w;
  cli->argv[w] = NULL;
  return 0;
}

static int load_config(dtwin_cli_t *cli, const char **sets, size_t n_sets) {
  char err[8192];
  if (dtw_config_create(&cli->cfg) < 0) {
    fprintf(stderr, "dtwin: out of memory\n");
    return DTWIN_EXIT_FAILURE;
  }
  for (size_t i = 0; i < dtwin_param_table_count; i++) dtw_config_register(cli->cfg, dtwin_param_tables[i]);
  if (cli->config_path != NULL &&
      dtw_config_load_file(cli->cfg, cli->config_path, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin %s: configuration error:\n%s\n", cli->cmd_name, err);
    return DTWIN_EXIT_USAGE;
  }
  for (size_t i = 0; i < n_sets; i++) {
    if (dtw_config_set(cli->cfg, sets[i], err, sizeof err) < 0) {
      fprintf(stderr, "dtwin %s: --set %s: %s\n", cli->cmd_name, sets[i], err);
      return DTWIN_EXIT_USAGE;
    }
  }
  return 0;
}

static int run(int argc, char **argv) {
  if (dtw_log_init_from_env() < 0) {
    fprintf(stderr, "dtwin: DTW_LOG_LEVEL='%s' is not one of debug, info, warn, error, off\n",
            getenv("DTW_LOG_LEVEL"));
    return DTWIN_EXIT_USAGE;
  }
  if (argc < 2) {
    print_main_help(stderr);
    return DTWIN_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("dtwin %s (revision %s)\n", DTW_VERSION, DTW_REVISION);
    return DTWIN_EXIT_OK;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    if (argc > 2) {
      for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[2], k_commands[i].name) == 0) {
          fputs(k_commands[i].usage, stdout);
          return DTWIN_EXIT_OK;
        }
    }
    print_main_help(stdout);
    return DTWIN_EXIT_OK;
  }
  const dtwin_cmd_t *cmd = NULL;
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(argv[1], k_commands[i].name) == 0) cmd = &k_commands[i];
  if (cmd == NULL) {
    fprintf(stderr, "dtwin: unknown command '%s'\n\n", argv[1]);
    print_main_help(stderr);
    return DTWIN_EXIT_USAGE;
  }

  dtwin_cli_t cli = {.prog = argv[0], .cmd_name = cmd->name, .argc = argc - 1, .argv = argv + 1};
  if (dtwin_wants_help(cli.argc, cli.argv)) {
    fputs(cmd->usage, stdout);
    return DTWIN_EXIT_OK;
  }
  const char **sets = calloc((size_t)argc, sizeof *sets);
  size_t n_sets = 0;
  int rc = sets == NULL ? DTWIN_EXIT_FAILURE : take_common_options(&cli, &sets, &n_sets);
  if (rc == 0) rc = load_config(&cli, sets, n_sets);
  if (rc == 0) rc = cmd->run(&cli);
  free(sets);
  dtw_config_destroy(cli.cfg);
  return rc;
}

/* Output that could not be written is a failure, whatever the command says
 * (e.g. `dtwin model mjcf > /dev/full`): exit 1 with the reason. */
int main(int argc, char **argv) {
  int rc = run(argc, argv);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "dtwin%s%s: cannot write to standard output: %s\n", argc > 1 ? " " : "",
            argc > 1 ? argv[1] : "", strerror(errno != 0 ? errno : EIO));
    if (rc == DTWIN_EXIT_OK) rc = DTWIN_EXIT_FAILURE;
  }
  return rc;
}
