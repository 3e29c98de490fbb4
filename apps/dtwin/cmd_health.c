/* dtwin health - not built yet (being written). */
#include <stdio.h>

#include "cli.h"

const char dtwin_usage_health[] = "usage: dtwin health ... (not built yet)\n";

int dtwin_cmd_health(dtwin_cli_t *cli) {
  fprintf(stderr, "dtwin %s: not built yet\n", cli->cmd_name);
  return DTWIN_EXIT_FAILURE;
}
