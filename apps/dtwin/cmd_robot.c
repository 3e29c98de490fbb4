/* dtwin robot - not built yet (being written). */
#include <stdio.h>

#include "cli.h"

const char dtwin_usage_robot[] = "usage: dtwin robot ... (not built yet)\n";

int dtwin_cmd_robot(dtwin_cli_t *cli) {
  fprintf(stderr, "dtwin %s: not built yet\n", cli->cmd_name);
  return DTWIN_EXIT_FAILURE;
}
