/* Process-wide settings and the shared bus. */
#include "process.h"

#include <stdio.h>
#include <string.h>

#include "dtw/version.h"

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

int dtwin_host_open(const dtwin_cli_t *cli, dtwin_host_t *host) {
  memset(host, 0, sizeof *host);
  int rc = dtwin_bus_open(cli, &host->node.bus);
  if (rc != 0) return rc;
  if (dtw_metrics_create(&host->node.metrics) < 0 || dtw_health_create(&host->node.health) < 0) {
    fprintf(stderr, "dtwin %s: out of memory\n", cli->cmd_name);
    dtwin_host_close(host);
    return DTWIN_EXIT_FAILURE;
  }
  dtw_metrics_register_process(host->node.metrics);
  dtw_metrics_register_build_info(host->node.metrics, DTW_VERSION, DTW_REVISION);
  return 0;
}

int dtwin_host_serve(const dtwin_cli_t *cli, dtwin_host_t *host, int default_port) {
  dtwin_process_settings_t ps;
  int rc = dtwin_get_settings(cli, "dtwin", &ps);
  if (rc != 0) return rc;
  dtw_http_opts_t ho = {0};
  ho.bind_address = ps.http_bind;
  ho.port = (uint16_t)(ps.http_port < 0 ? default_port : ps.http_port);
  ho.registry = host->node.metrics;
  ho.health = host->node.health;
  ho.max_connections = (unsigned)ps.http_max_connections;
  ho.max_per_address = (unsigned)ps.http_max_per_address;
  ho.header_timeout_s = ps.http_header_timeout_s;
  char err[512];
  if (dtw_http_server_start(&ho, &host->http, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin %s: metrics endpoint: %s (set dtwin.http_port, 0 = any free port)\n",
            cli->cmd_name, err);
    return DTWIN_EXIT_FAILURE;
  }
  printf("dtwin %s: metrics and health at %s (/metrics /healthz /readyz)\n", cli->cmd_name,
         dtw_http_server_url(host->http));
  fflush(stdout);
  return 0;
}

void dtwin_host_close(dtwin_host_t *host) {
  dtw_http_server_stop(host->http);
  dtw_bus_destroy(host->node.bus);
  dtw_health_destroy(host->node.health);
  dtw_metrics_destroy(host->node.metrics);
  memset(host, 0, sizeof *host);
}
