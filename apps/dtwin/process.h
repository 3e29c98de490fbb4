/* process.h - settings that belong to the dtwin process rather than one node
 * (config node "dtwin"), and the bus every node of the process shares. */
#ifndef DTWIN_PROCESS_H
#define DTWIN_PROCESS_H

#include "cli.h"
#include "dtw/bus.h"
#include "dtw/config.h"
#include "dtw/node.h"

#define DTWIN_PROCESS_PARAMS(X)                                                              \
  X(INT, ros_domain_id, "-1", -1, 232, NULL,                                                 \
    "DDS domain; -1 takes ROS_DOMAIN_ID from the environment (0 when unset)")              \
  X(ENUM, ros_distro, "humble", 0, 0, "humble|jazzy",                                        \
    "ROS 2 distribution whose graph message layout peers expect (the Gid is 24 bytes in "  \
    "humble, 16 from iron/jazzy on); jazzy also puts each endpoint's type hash in its "     \
    "USER_DATA (typehash=RIHS01_...;), as rmw_cyclonedds does from iron on")               \
  X(STRING, http_bind, "127.0.0.1", 1, 255, NULL,                                             \
    "Address the metrics/health HTTP endpoint binds (0.0.0.0 in containers)")                \
  X(INT, http_port, "-1", -1, 65535, NULL,                                                    \
    "Port of the metrics/health endpoint: -1 = the command's default (up 9100, sim 9101, "  \
    "robot 9102, sync 9103, monitor 9104, bridge 9105), 0 = any free port")                 \
  X(INT, http_max_connections, "64", 4, 4096, NULL,                                           \
    "Connection slots of the HTTP endpoint; when all are taken, the client that has waited "  \
    "longest without sending a request loses its slot to the new one")                      \
  X(INT, http_max_per_address, "16", 1, 4096, NULL,                                           \
    "Slots one client address may hold on the HTTP endpoint (its own longest-waiting "     \
    "connection makes room for its next)")                                                  \
  X(DOUBLE, http_header_timeout_s, "2", 0.1, 60, NULL,                                        \
    "An HTTP connection that has not completed a request's headers this long after it "    \
    "opened or was last answered is closed (slowloris)")

DTW_PARAM_STRUCT(dtwin_process_settings_t, DTWIN_PROCESS_PARAMS);
extern const dtw_param_table_t dtwin_process_param_table;

/* Create the process's DDS participant from the "dtwin" settings. Prints the
 * error and returns an exit code (!= 0) on failure. */
int dtwin_bus_open(const dtwin_cli_t *cli, dtw_bus_t **out);

/* Everything a long-running command hosts its nodes on: the bus, a metrics
 * registry (process_* and dtwin_build_info included), the health model, and
 * the HTTP endpoint serving /metrics, /healthz and /readyz. */
typedef struct dtwin_host {
  dtw_node_host_t node;        /* bus, metrics, health: hand &host.node to nodes */
  dtw_http_server_t *http;
} dtwin_host_t;

/* Open the bus and create the registry (process_* and dtwin_build_info
 * included) and the health model. Returns 0 or an exit code (error printed). */
int dtwin_host_open(const dtwin_cli_t *cli, dtwin_host_t *host);
/* Start the HTTP endpoint on dtwin.http_bind:dtwin.http_port (default_port
 * when that is -1) and print "<cmd>: metrics and health at http://ADDR:PORT
 * (/metrics /healthz /readyz)". Called once the nodes exist, so a bad model
 * or setting is reported as such even when the port is taken. Returns 0 or
 * an exit code (error printed; the host stays open for the caller to close). */
int dtwin_host_serve(const dtwin_cli_t *cli, dtwin_host_t *host, int default_port);
/* Stop the endpoint, free everything; safe on a zeroed host. Stop the nodes first. */
void dtwin_host_close(dtwin_host_t *host);

#endif /* DTWIN_PROCESS_H */
