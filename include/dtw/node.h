/* dtw/node.h - what every dtwin node shares: its host (bus, metrics, health),
 * its ROS identity settings, and the metric conventions.
 *
 * A node is a plain struct with create / step (or tick) / destroy. The host
 * process - a subcommand for one node, `dtwin up` for many - owns the bus,
 * the metrics registry and the health model and hands them to each node.
 *
 * Metric conventions (docs/metrics.md): names start with dtwin_, are in base
 * units, counters end in _total; every per-node series carries the label
 * node="<namespace>/<name>" (e.g. "/twin/digital_twin"); other labels take
 * bounded values only (topic names, joint names from the model, refusal
 * reasons from a fixed list). Nodes register every series at create time and
 * update them from their loops without allocating. */
#ifndef DTW_NODE_H
#define DTW_NODE_H

#include <stddef.h>

#include "dtw/bus.h"
#include "dtw/config.h"
#include "dtw/http.h"
#include "dtw/metrics.h"

typedef struct dtw_node_host {
  dtw_bus_t *bus;          /* required */
  dtw_metrics_t *metrics;  /* NULL: the node exports no metrics */
  dtw_health_t *health;    /* NULL: the node registers no health checks */
} dtw_node_host_t;

/* The ROS identity settings every node has; NAME and NS are its defaults.
 * Use inside a node's parameter list: DTW_NODE_PARAMS(X, "digital_twin", "/twin"). */
#define DTW_NODE_PARAMS(X, NAME, NS)                                                       \
  X(STRING, node_name, NAME, 1, 255, DTW_FORMAT_ROS_NODE_NAME, "ROS 2 node name")        \
  X(STRING, namespace, NS, 1, 255, DTW_FORMAT_ROS_NAMESPACE,                               \
    "ROS 2 namespace of the node's topics and services")                                  \
  X(STRING, remappings, "", 0, 0, DTW_FORMAT_ROS_REMAPPINGS,                               \
    "Space-separated ROS 2 remapping rules from:=to applied to the node's names")

/* "<ns>/<name>" as used in the node label ("/twin/digital_twin", "/sync_node"). */
void dtw_node_fqn(const char *ns, const char *name, char *out, size_t outlen);

/* Add each space-separated "from:=to" rule to node. */
int dtw_node_add_remaps(dtw_bus_node_t *node, const char *rules, char *err, size_t errlen);

#endif /* DTW_NODE_H */
