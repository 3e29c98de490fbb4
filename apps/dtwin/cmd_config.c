/* dtwin config - check a parameter file, dump the effective configuration,
 * or write the parameter reference. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dtw/config.h"
#include "dtw/jtc.h"

const char dtwin_usage_config[] =
    "usage: dtwin config check FILE...   validate parameter files (exit 2 on any problem)\n"
    "       dtwin config dump            print the effective configuration (defaults,\n"
    "                                    --config file and --set overrides applied)\n"
    "       dtwin config docs            print the parameter reference (docs/config.md)\n"
    "       dtwin config docs controllers  print the controllers file's reference (the\n"
    "                                    generated part of docs/controllers.md)\n"
    "\n"
    "Problems are reported one per line as FILE:LINE: NODE.PARAM: what is wrong.\n";

static int check_files(dtwin_cli_t *cli) {
  if (cli->argc < 3) return dtwin_usage_error(cli, "check needs at least one FILE");
  int rc = DTWIN_EXIT_OK;
  for (int i = 2; i < cli->argc; i++) {
    dtw_config_t *cfg = NULL;
    char err[16384];
    if (dtw_config_create(&cfg) < 0) return DTWIN_EXIT_FAILURE;
    for (size_t t = 0; t < dtwin_param_table_count; t++) dtw_config_register(cfg, dtwin_param_tables[t]);
    if (dtw_config_load_file(cfg, cli->argv[i], err, sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      rc = DTWIN_EXIT_USAGE;
    } else {
      printf("%s: ok\n", cli->argv[i]);
    }
    dtw_config_destroy(cfg);
  }
  return rc;
}

int dtwin_cmd_config(dtwin_cli_t *cli) {
  if (cli->argc < 2) return dtwin_usage_error(cli, "missing action: check, dump or docs");
  const char *action = cli->argv[1];
  if (strcmp(action, "check") == 0) return check_files(cli);
  if (strcmp(action, "docs") == 0 && cli->argc == 3 && strcmp(cli->argv[2], "controllers") == 0)
    return dtw_jtc_config_docs(stdout) < 0 ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_OK;
  if (cli->argc > 2) return dtwin_usage_error(cli, "unexpected argument '%s'", cli->argv[2]);
  if (strcmp(action, "dump") == 0)
    return dtw_config_dump(cli->cfg, stdout) < 0 ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_OK;
  if (strcmp(action, "docs") == 0)
    return dtw_config_write_docs(dtwin_param_tables, dtwin_param_table_count, stdout) < 0
               ? DTWIN_EXIT_FAILURE
               : DTWIN_EXIT_OK;
  return dtwin_usage_error(cli, "unknown action '%s'", action);
}
