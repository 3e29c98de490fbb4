/* process.h - settings that belong to the dtwin process rather than one node
 * (config node "dtwin"), and the bus every node of the process shares. */
#ifndef DTWIN_PROCESS_H
#define DTWIN_PROCESS_H

#include "cli.h"
#include "dtw/bus.h"
#include "dtw/config.h"

#define DTWIN_PROCESS_PARAMS(X)                                                              \
  X(INT, ros_domain_id, "-1", -1, 232, NULL,                                                 \
    "DDS domain; -1 takes ROS_DOMAIN_ID from the environment (0 when unset)")              \
  X(ENUM, ros_distro, "humble", 0, 0, "humble|jazzy",                                        \
    "ROS 2 distribution whose graph message layout peers expect (the Gid is 24 bytes in "  \
    "humble, 16 from iron/jazzy on)")

DTW_PARAM_STRUCT(dtwin_process_settings_t, DTWIN_PROCESS_PARAMS);
extern const dtw_param_table_t dtwin_process_param_table;

/* Create the process's DDS participant from the "dtwin" settings. Prints the
 * error and returns an exit code (!= 0) on failure. */
int dtwin_bus_open(const dtwin_cli_t *cli, dtw_bus_t **out);

#endif /* DTWIN_PROCESS_H */
