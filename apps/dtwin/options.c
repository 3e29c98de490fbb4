/* The getopt_long loop every subcommand runs, and the options of the
 * long-running ones (--duration, --status-period, --quiet). */
#include <getopt.h>

#include "cli.h"

int dtwin_parse_options(dtwin_cli_t *cli, const struct option *opts, dtwin_opt_fn on_opt,
                        void *user) {
  optind = 1;
  opterr = 0; /* we word the errors ourselves */
  int c, rc = 0;
  while (rc == 0 && (c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
    if (c == '?' || c == ':')
      rc = dtwin_usage_error(cli, "unknown or incomplete option '%s'", cli->argv[optind - 1]);
    else
      rc = on_opt(cli, c, optarg, user);
  }
  if (rc == 0 && optind < cli->argc)
    rc = dtwin_usage_error(cli, "unexpected argument '%s'", cli->argv[optind]);
  return rc;
}

int dtwin_run_option(dtwin_cli_t *cli, int c, const char *arg, dtwin_run_opts_t *ro) {
  switch (c) {
  case DTWIN_OPT_DURATION: return dtwin_parse_seconds(cli, "--duration", arg, &ro->duration_s);
  case DTWIN_OPT_STATUS_PERIOD:
    return dtwin_parse_seconds(cli, "--status-period", arg, &ro->status_period_s);
  case DTWIN_OPT_QUIET: ro->status_period_s = 0; return 0;
  default:
    return dtwin_usage_error(cli, "unknown or incomplete option '%s'", cli->argv[optind - 1]);
  }
}
