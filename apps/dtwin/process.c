/* Process-wide settings and the shared bus. */
#include "process.h"

#include <stdio.h>

#define DTW_PARAM_STYPE dtwin_process_settings_t
DTW_PARAM_TABLE(dtwin_process_param_table, "dtwin",
                "Process-wide settings shared by every node of one dtwin process",
                DTWIN_PROCESS_PARAMS);
#undef DTW_PARAM_STYPE

int dtwin_bus_open(const dtwin_cli_t *cli, dtw_bus_t **out) {
  dtwin_process_settings_t ps;
  int rc = dtwin_get_settings(cli, "dtwin", &ps);
  if (rc != 0) return rc;
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = (int)ps.ros_domain_id;
  opt.distro = (dtw_ros_distro_t)dtw_ros_distro_parse(ps.ros_distro);
  char err[1024];
  if (dtw_bus_create(&opt, out, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin %s: cannot join DDS domain: %s\n", cli->cmd_name, err);
    return DTWIN_EXIT_FAILURE;
  }
  return 0;
}
