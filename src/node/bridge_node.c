/* The Unity bridge node: the ROS-TCP-Endpoint server of dtw/bridge_server.h
 * (src/bridge) on its own bus node, with the node's settings, metrics and
 * readiness. See dtw/bridge_node.h. */
#include "dtw/bridge_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/bridge_server.h"
#include "dtw/bus_graph.h"
#include "dtw/err.h"
#include "dtw/log.h"

#define DTW_PARAM_STYPE dtw_bridge_node_settings_t
DTW_PARAM_TABLE(dtw_bridge_node_param_table, "bridge",
                "The Unity bridge: a ROS-TCP-Endpoint-compatible server (ROS-TCP-Connector, "
                "protocol v0.7, ROS 2)",
                DTW_BRIDGE_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "bridge"

struct dtw_bridge_node {
  char fqn[520];
  dtw_bus_node_t *bus_node;
  dtw_graph_t *graph; /* the ROS graph, for __topic_list */
  dtw_bridge_server_t *srv;
};

static bool in_container(void) {
  return access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0 ||
         getenv("KUBERNETES_SERVICE_HOST") != NULL;
}

static void register_metrics(dtw_metrics_t *reg, const char *fqn, dtw_bridge_metrics_t *m) {
  memset(m, 0, sizeof *m);
  if (reg == NULL) return;
  m->clients = dtw_metrics_gauge(reg, "dtwin_bridge_clients", "TCP clients connected", "node", fqn);
  m->registrations = dtw_metrics_gauge(reg, "dtwin_bridge_registrations",
                                       "Topic and service registrations held by clients", "node",
                                       fqn);
  m->calls = dtw_metrics_gauge(reg, "dtwin_bridge_calls_in_flight",
                               "Service calls through the bridge in flight (both ways)", "node",
                               fqn);
  m->call_bytes = dtw_metrics_gauge(reg, "dtwin_bridge_call_bytes",
                                    "Payload bytes held by service calls in flight", "node", fqn);
  const char *fh = "Frames received (in) from / sent (out) to TCP clients";
  const char *bh = "Bytes received (in) from / sent (out) to TCP clients";
  m->frames_in = dtw_metrics_counter(reg, "dtwin_bridge_frames_total", fh, "node", fqn,
                                     "direction", "in");
  m->frames_out = dtw_metrics_counter(reg, "dtwin_bridge_frames_total", fh, "node", fqn,
                                      "direction", "out");
  m->bytes_in = dtw_metrics_counter(reg, "dtwin_bridge_bytes_total", bh, "node", fqn,
                                    "direction", "in");
  m->bytes_out = dtw_metrics_counter(reg, "dtwin_bridge_bytes_total", bh, "node", fqn,
                                     "direction", "out");
  m->dropped = dtw_metrics_counter(reg, "dtwin_bridge_dropped_total",
                                   "Queued messages dropped (oldest first) for slow clients",
                                   "node", fqn);
  for (int r = 0; r < DTW_BRIDGE_REFUSAL_COUNT; r++)
    m->refused[r] = dtw_metrics_counter(reg, "dtwin_bridge_refused_total",
                                        "Connections and inputs refused, by reason", "node", fqn,
                                        "reason", dtw_bridge_refusal_name(r));
  static const double b[] = {100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
                             25e-3,  50e-3,  100e-3, 250e-3, 500e-3, 1.0, 5.0};
  const char *hh = "Service calls through the bridge, request to reply";
  m->ros_service = dtw_metrics_histogram(reg, "dtwin_bridge_service_duration_seconds", hh, b,
                                         sizeof b / sizeof b[0], "node", fqn, "kind",
                                         "ros_service");
  m->unity_service = dtw_metrics_histogram(reg, "dtwin_bridge_service_duration_seconds", hh, b,
                                           sizeof b / sizeof b[0], "node", fqn, "kind",
                                           "unity_service");
}

int dtw_bridge_node_create(const dtw_bridge_node_settings_t *s, const dtw_node_host_t *host,
                           dtw_bridge_node_t **out, char *err, size_t errlen) {
  int rc;
  dtw_bridge_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "bridge: out of memory");
  dtw_node_fqn(s->namespace, s->node_name, n->fqn, sizeof n->fqn);
  if ((rc = dtw_bus_node_create(host->bus, s->node_name, s->namespace, &n->bus_node, err,
                                errlen)) < 0 ||
      (rc = dtw_node_add_remaps(n->bus_node, s->remappings, err, errlen)) < 0)
    goto fail;
  if ((rc = dtw_graph_create(host->bus, &n->graph, err, errlen)) < 0) goto fail;
  const char *bind_addr = s->bind_address;
  if (strcmp(bind_addr, "auto") == 0) bind_addr = in_container() ? "0.0.0.0" : "127.0.0.1";
  dtw_bridge_server_config_t cfg = {
      .bind_address = bind_addr,
      .port = (int)s->port,
      .max_frame_bytes = (size_t)s->max_frame_bytes,
      .max_clients = (size_t)s->max_clients,
      .send_queue_bytes = (size_t)s->send_queue_bytes,
      .send_queue_messages = (size_t)s->send_queue_messages,
      .idle_timeout_s = s->idle_timeout_s,
      .service_timeout_s = s->service_timeout_s,
      .max_clients_per_address = (size_t)s->max_clients_per_address,
      .handshake_timeout_s = s->handshake_timeout_s,
      .frame_timeout_s = s->frame_timeout_s,
      .slot_idle_s = s->slot_idle_s,
      .max_registrations = (size_t)s->max_registrations,
      .max_calls_per_client = (size_t)s->max_calls_per_client,
      .max_call_bytes_per_client = (size_t)s->max_call_bytes_per_client,
      .max_call_bytes = (size_t)s->max_call_bytes,
      .allow_service_shadowing = s->allow_service_shadowing,
      .fanout_period_us = s->fanout_period_us,
  };
  dtw_bridge_metrics_t m;
  register_metrics(host->metrics, n->fqn, &m);
  char why[512];
  if ((rc = dtw_bridge_server_create(&cfg, n->bus_node, n->graph, &m, &n->srv, why,
                                     sizeof why)) < 0) {
    if (rc == DTW_EINVAL)
      dtw_errf(err, errlen, rc, "bridge.bind_address %s", why);
    else
      dtw_errf(err, errlen, rc, "%s", why);
    goto fail;
  }
  if (host->health != NULL) {
    char name[600];
    snprintf(name, sizeof name, "%s: listening", n->fqn);
    dtw_health_set_ready(dtw_health_add_ready(host->health, name), true);
  }
  DTW_INFO(LOG, "%s listening on %s:%d", n->fqn, dtw_bridge_server_address(n->srv),
           dtw_bridge_server_port(n->srv));
  *out = n;
  return 0;
fail:
  dtw_bridge_node_destroy(n);
  return rc;
}

void dtw_bridge_node_destroy(dtw_bridge_node_t *n) {
  if (n == NULL) return;
  dtw_bridge_server_destroy(n->srv);
  dtw_graph_destroy(n->graph);
  dtw_bus_node_destroy(n->bus_node);
  free(n);
}

int dtw_bridge_node_poll(dtw_bridge_node_t *n, int timeout_ms) {
  return dtw_bridge_server_poll(n->srv, timeout_ms);
}

int dtw_bridge_node_port(const dtw_bridge_node_t *n) { return dtw_bridge_server_port(n->srv); }
const char *dtw_bridge_node_address(const dtw_bridge_node_t *n) {
  return dtw_bridge_server_address(n->srv);
}
const char *dtw_bridge_node_fqn(const dtw_bridge_node_t *n) { return n->fqn; }

void dtw_bridge_node_get_stats(dtw_bridge_node_t *n, dtw_bridge_node_stats_t *out) {
  dtw_bridge_server_get_stats(n->srv, out);
}
