/* cli.h - shared pieces of the dtwin command line: options every subcommand
 * takes, the configuration, and the subcommand table. */
#ifndef DTWIN_CLI_H
#define DTWIN_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "dtw/config.h"

/* Exit codes (documented in docs/cli.md). */
enum { DTWIN_EXIT_OK = 0, DTWIN_EXIT_FAILURE = 1, DTWIN_EXIT_USAGE = 2 };

typedef struct dtwin_cli {
  const char *prog;          /* "dtwin" */
  const char *cmd_name;      /* "sim" */
  int argc;                  /* subcommand's own arguments: argv[0] is the subcommand */
  char **argv;
  dtw_config_t *cfg;         /* registered tables, file and --set applied */
  const char *config_path;   /* NULL when no --config was given */
} dtwin_cli_t;

typedef struct dtwin_cmd {
  const char *name;
  const char *summary;
  const char *usage;         /* full help text for `dtwin <cmd> --help` */
  int (*run)(dtwin_cli_t *cli);
} dtwin_cmd_t;

/* Every parameter table dtwin knows (config check/dump/docs use them all). */
extern const dtw_param_table_t *const dtwin_param_tables[];
extern const size_t dtwin_param_table_count;

/* True if argv holds -h or --help. */
bool dtwin_wants_help(int argc, char **argv);
/* Print "dtwin <cmd>: <message>" to stderr and return DTWIN_EXIT_USAGE. */
int dtwin_usage_error(const dtwin_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Apply "NODE.PARAM=VALUE" to the configuration (command-line shorthands such
 * as --rtf map onto parameters this way, so validation is the config's).
 * Returns 0 or, after printing the problem, DTWIN_EXIT_USAGE. */
int dtwin_set_param(dtwin_cli_t *cli, const char *node, const char *param, const char *value);
/* Parse a number of seconds >= 0 given to option opt. 0 or DTWIN_EXIT_USAGE (printed). */
int dtwin_parse_seconds(const dtwin_cli_t *cli, const char *opt, const char *text, double *out);
/* Called for each option getopt_long finds (c = the option's val, arg = its
 * argument or NULL). Returns 0 or an exit code, which stops parsing. */
typedef int (*dtwin_opt_fn)(dtwin_cli_t *cli, int c, const char *arg, void *user);
/* Parse the subcommand's arguments: long options only (opts ends with a zero
 * entry), unknown options and any non-option argument are usage errors.
 * Returns 0 or the first exit code. */
int dtwin_parse_options(dtwin_cli_t *cli, const struct option *opts, dtwin_opt_fn on_opt,
                        void *user);

/* --duration S, --status-period S and --quiet of the long-running commands:
 * put DTWIN_RUN_OPTIONS (or the ones wanted) in the option table and hand the
 * three vals to dtwin_run_option. Any other c is an unknown-option error. */
typedef struct dtwin_run_opts {
  double duration_s;      /* 0 = until Ctrl-C */
  double status_period_s; /* 0 = no status line (--quiet) */
} dtwin_run_opts_t;
enum { DTWIN_OPT_DURATION = 0x100, DTWIN_OPT_STATUS_PERIOD, DTWIN_OPT_QUIET };
#define DTWIN_OPTION_DURATION {"duration", required_argument, NULL, DTWIN_OPT_DURATION}
#define DTWIN_OPTION_STATUS_PERIOD {"status-period", required_argument, NULL, DTWIN_OPT_STATUS_PERIOD}
#define DTWIN_OPTION_QUIET {"quiet", no_argument, NULL, DTWIN_OPT_QUIET}
#define DTWIN_RUN_OPTIONS DTWIN_OPTION_DURATION, DTWIN_OPTION_STATUS_PERIOD, DTWIN_OPTION_QUIET
int dtwin_run_option(dtwin_cli_t *cli, int c, const char *arg, dtwin_run_opts_t *ro);

/* Read a node's settings, printing the error and returning DTWIN_EXIT_USAGE on failure. */
int dtwin_get_settings(const dtwin_cli_t *cli, const char *node, void *out);

/* Ctrl-C / SIGTERM handling: install once; dtwin_stop_requested() turns true. */
void dtwin_install_signal_handlers(void);
bool dtwin_stop_requested(void);
void dtwin_request_stop(void);

/* "--lock-joint NAME@T"-style flags onto robot.fault.<kind>_joint / _at_s, and
 * "--silent-at T[:D]" onto robot.fault.silent_at_s / silent_for_s (the robot
 * emulator's faults, for `dtwin robot` and `dtwin up`). Return 0 or an exit code. */
int dtwin_robot_fault_flag(dtwin_cli_t *cli, const char *opt, const char *kind, const char *arg);
int dtwin_robot_silent_flag(dtwin_cli_t *cli, const char *arg);
/* "--payload BODY[:KG]@T" onto robot.fault.payload_body / _kg / _at_s. */
int dtwin_robot_payload_flag(dtwin_cli_t *cli, const char *arg);

/* Subcommands. */
int dtwin_cmd_config(dtwin_cli_t *cli);
int dtwin_cmd_model(dtwin_cli_t *cli);
int dtwin_cmd_record(dtwin_cli_t *cli);
int dtwin_cmd_analyze(dtwin_cli_t *cli);
int dtwin_cmd_sim(dtwin_cli_t *cli);
int dtwin_cmd_demo(dtwin_cli_t *cli);
int dtwin_cmd_topic(dtwin_cli_t *cli);
int dtwin_cmd_traj(dtwin_cli_t *cli);
int dtwin_cmd_service(dtwin_cli_t *cli);
int dtwin_cmd_robot(dtwin_cli_t *cli);
int dtwin_cmd_sync(dtwin_cli_t *cli);
int dtwin_cmd_up(dtwin_cli_t *cli);
int dtwin_cmd_view(dtwin_cli_t *cli);
int dtwin_cmd_monitor(dtwin_cli_t *cli);
int dtwin_cmd_health(dtwin_cli_t *cli);
int dtwin_cmd_bridge(dtwin_cli_t *cli);

extern const char dtwin_usage_config[];
extern const char dtwin_usage_model[];
extern const char dtwin_usage_record[];
extern const char dtwin_usage_analyze[];
extern const char dtwin_usage_sim[];
extern const char dtwin_usage_demo[];
extern const char dtwin_usage_topic[];
extern const char dtwin_usage_traj[];
extern const char dtwin_usage_service[];
extern const char dtwin_usage_robot[];
extern const char dtwin_usage_sync[];
extern const char dtwin_usage_up[];
extern const char dtwin_usage_view[];
extern const char dtwin_usage_monitor[];
extern const char dtwin_usage_health[];
extern const char dtwin_usage_bridge[];

#endif /* DTWIN_CLI_H */
