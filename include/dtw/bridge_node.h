/* dtw/bridge_node.h - the Unity bridge: a ROS-TCP-Endpoint-compatible server
 * (protocol v0.7, ROS 2 mode; codec in dtw/bridge.h) on the ROS 2 bus, so a
 * Unity project with the stock ROS-TCP-Connector connects unchanged.
 *
 * Each TCP client first gets the __handshake frame. Then:
 *   __subscribe      the topic's DDS samples go to every client that asked for
 *                    it, as the raw CDR DDS carries (encapsulation header incl.);
 *   __publish        frames with that topic as destination are validated and
 *                    published on DDS (dtw_pub_cdr);
 *   __ros_service    __request{srv_id} + frame(service, request) calls the ROS
 *                    service; the reply comes back as __response{srv_id} + frame;
 *   __unity_service  a DDS request for the service goes to the registering
 *                    client as __request{srv_id} (ids from 1001) + frame; its
 *                    __response{srv_id} + frame is the DDS reply;
 *   __topic_list     answered with every topic of the ROS graph and its type
 *                    (and the bridge's own registrations not discovered yet);
 *   __remove_*       undo the registrations; empty frames are keepalives.
 * Message names come as "pkg/Name" (no /msg/); every type with IDL works
 * (dtw_bus_has_type). An unknown type gets __error naming it; the client and
 * everything else go on. Subscriptions are best effort (they match reliable
 * and best-effort publishers alike); publishers reliable, transient-local
 * when the client asks for latch.
 *
 * Hostile clients: every per-client resource is bounded by a setting below
 * (connections per address, a handshake and a frame deadline, idle slots
 * given to newcomers, registrations, service calls and their bytes, a fair
 * share of the total); refusals are logged and counted by reason. A Unity
 * service may not shadow a service the graph already has, nor a client use a
 * topic with another type than the graph's (__error).
 *
 * Limits: a frame past max_frame_bytes, a destination with a NUL, a frame cut
 * off by the end of the connection, bad JSON or an unknown command close that
 * connection (log line, dtwin_bridge_refused_total{reason}). A client that
 * does not read loses its OLDEST queued messages beyond send_queue_bytes /
 * send_queue_messages (dtwin_bridge_dropped_total): it never stalls other
 * clients or the bus.
 *
 * This file is the node adapter: settings, bus node, metrics and readiness
 * around the server of dtw/bridge_server.h (src/bridge: transport, session,
 * router, codec).
 *
 * Threads: one thread drives the node with dtw_bridge_node_poll (epoll over
 * the listening socket, the clients and an eventfd). A DDS sample is copied
 * into an inbox by the thread that delivers it (never more: a physics worker
 * publishing in the same process spends nothing on clients) and fanned out by
 * the poll thread with one gather write per client and round.
 * Allocation: per client at connect (buffers grow to the largest frame seen),
 * per registration; forwarding a sample allocates nothing.
 *
 * Metrics (label node=<fqn>): dtwin_bridge_clients, dtwin_bridge_registrations,
 * dtwin_bridge_calls_in_flight, dtwin_bridge_call_bytes, dtwin_bridge_frames_total
 * {direction="in|out"}, dtwin_bridge_bytes_total{direction},
 * dtwin_bridge_dropped_total, dtwin_bridge_refused_total{reason},
 * dtwin_bridge_service_duration_seconds{kind="ros_service|unity_service"}.
 * Readiness: "<fqn>: listening". */
#ifndef DTW_BRIDGE_NODE_H
#define DTW_BRIDGE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/bridge_server.h"
#include "dtw/config.h"
#include "dtw/node.h"

/* Settings of node "bridge". */
#define DTW_BRIDGE_NODE_PARAMS(X)                                                            \
  DTW_NODE_PARAMS(X, "unity_bridge", "/")                                                   \
  X(STRING, bind_address, "auto", 1, 255, NULL,                                             \
    "Address to listen on; auto = 127.0.0.1, or 0.0.0.0 inside a container (/.dockerenv, "  \
    "/run/.containerenv or KUBERNETES_SERVICE_HOST)")                                       \
  X(INT, port, "10000", 0, 65535, NULL,                                                     \
    "TCP port (ROS-TCP-Connector's default is 10000); 0 = any free port")                   \
  X(INT, max_frame_bytes, "1048576", 256, 268435456, NULL,                                  \
    "Largest payload a client may send; a longer frame closes its connection")             \
  X(INT, max_clients, "16", 1, 1000, NULL, "Clients connected at once; more are refused")    \
  X(INT, send_queue_bytes, "4194304", 65536, 1073741824, NULL,                              \
    "Outgoing bytes queued per client; beyond it the oldest messages are dropped")         \
  X(INT, send_queue_messages, "1000", 1, 1000000, NULL,                                     \
    "Outgoing messages queued per client; beyond it the oldest are dropped")               \
  X(DOUBLE, idle_timeout_s, "10", 0, 86400, NULL,                                           \
    "Close a client that sent nothing, not even a keepalive (Unity sends one per idle "     \
    "second), for this long; 0 = never")                                                    \
  X(DOUBLE, service_timeout_s, "10", 0.1, 3600, NULL,                                       \
    "Longest wait for a service reply (ROS service or Unity service) through the bridge")  \
  X(INT, max_clients_per_address, "8", 0, 1000, NULL,                                       \
    "Clients connected at once from one address; more are refused; 0 = no limit")          \
  X(DOUBLE, handshake_timeout_s, "5", 0, 3600, NULL,                                        \
    "A client that sent no whole frame (a keepalive counts) this long after connecting is " \
    "closed; 0 = never")                                                                    \
  X(DOUBLE, frame_timeout_s, "5", 0, 3600, NULL,                                            \
    "A client that began a frame and did not finish it within this is closed (slow "       \
    "drip); 0 = never")                                                                     \
  X(DOUBLE, slot_idle_s, "5", 0, 86400, NULL,                                               \
    "When max_clients are connected, a client with no registration that sent only "         \
    "keepalives for this long gives its slot to a new connection; 0 = never")              \
  X(INT, max_registrations, "64", 0, 100000, NULL,                                          \
    "Topics and services one client may register (each topic a DDS reader or writer "      \
    "shared by all clients); more get an __error; 0 = no limit")                            \
  X(INT, max_calls_per_client, "32", 1, 256, NULL,                                          \
    "Service calls one client may have in flight (both directions); more get an __error")  \
  X(INT, max_call_bytes_per_client, "4194304", 1024, 1073741824, NULL,                      \
    "Payload bytes one client's service calls in flight may hold; more get an __error")    \
  X(INT, max_call_bytes, "33554432", 1024, 1073741824, NULL,                                \
    "Payload bytes all service calls in flight may hold; when full, a client below its "   \
    "fair share ends the oldest call of the client holding most")                           \
  X(BOOL, allow_service_shadowing, "false", 0, 0, NULL,                                     \
    "Let a Unity client implement a service that already exists on the ROS graph (e.g. "   \
    "/twin/reset); off: __unity_service for such a name gets an __error")                   \
  X(DOUBLE, fanout_period_us, "1000", 0, 100000, NULL,                                     \
    "Topic messages go to clients on a tick of this period (microseconds): the thread "    \
    "that delivers one (in dtwin up, a physics worker) never wakes the bridge, and a "      \
    "message waits up to this long; 0 = wake the bridge for each message")

DTW_PARAM_STRUCT(dtw_bridge_node_settings_t, DTW_BRIDGE_NODE_PARAMS);
extern const dtw_param_table_t dtw_bridge_node_param_table;

/* Refusal reasons (DTW_BRIDGE_REFUSAL_*, dtw_bridge_refusal_name) and the
 * counters are the server's (dtw/bridge_server.h). */
typedef dtw_bridge_stats_t dtw_bridge_node_stats_t;

typedef struct dtw_bridge_node dtw_bridge_node_t;

/* Create the bus node, listen on bind_address:port, register metrics and
 * readiness on host (optional). Returns 0, DTW_EINVAL (bad names/address),
 * DTW_EIO (socket/bind/listen failed, e.g. port in use), DTW_EDDS, DTW_ENOMEM,
 * with a message in err. */
int dtw_bridge_node_create(const dtw_bridge_node_settings_t *settings,
                           const dtw_node_host_t *host, dtw_bridge_node_t **out, char *err,
                           size_t errlen);
/* Close every connection and endpoint. NULL ok. */
void dtw_bridge_node_destroy(dtw_bridge_node_t *node);
/* One round: wait up to timeout_ms (0 = don't wait) for sockets and DDS
 * service events, handle them, run timeouts. Returns the number of events
 * handled (>= 0) or DTW_EIO if epoll failed. */
int dtw_bridge_node_poll(dtw_bridge_node_t *node, int timeout_ms);
/* The port actually listened on (useful with port 0). */
int dtw_bridge_node_port(const dtw_bridge_node_t *node);
/* The address listened on, numeric ("127.0.0.1"). */
const char *dtw_bridge_node_address(const dtw_bridge_node_t *node);
const char *dtw_bridge_node_fqn(const dtw_bridge_node_t *node);
/* Snapshot of the counters; thread-safe. */
void dtw_bridge_node_get_stats(dtw_bridge_node_t *node, dtw_bridge_node_stats_t *out);

#endif /* DTW_BRIDGE_NODE_H */
