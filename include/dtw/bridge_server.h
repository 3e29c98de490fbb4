/* dtw/bridge_server.h - the ROS-TCP-Endpoint server (protocol v0.7, ROS 2
 * mode) on a bus node, without settings tables, metrics registration or
 * health: what the node adapter dtw/bridge_node.h hosts (see it for the
 * protocol as clients see it).
 *
 * Layers, all in src/bridge (library dtw_bridge), each knowing only the ones
 * below it:
 *   codec      dtw/bridge.h: frames and commands as pure functions of bytes
 *   transport  bridge__transport.h + bridge__queue.h: TCP listener, epoll
 *              loop, per-client input buffer and bounded drop-oldest output
 *              queue; knows neither ROS nor the frame format
 *   session    bridge_session.c: one client's protocol state: frames in,
 *              commands dispatched, errors answered, frames out through the
 *              transport (never a socket call of its own)
 *   router     bridge_router.c + bridge__calls.h: topics and services on the
 *              bus (dtw/bus.h, dtw/bus_raw.h, dtw/bus_graph.h; never dds.h),
 *              fan-out of samples, the service-call state machine
 *
 * Threads: one thread calls create, poll and destroy. A sample of a
 * subscribed topic is only copied into the server's inbox in the thread that
 * delivers it (Cyclone's receive thread, or -- for a publisher in the same
 * process, e.g. a physics worker of `dtwin up` -- the publishing thread) and
 * the poll thread woken; the poll thread fans it out: one frame header per
 * client, one gather write per client and round (up to 64 frames).
 * dtw_bridge_server_get_stats may be called from any thread.
 * Bounds: every per-client resource (connections per address, slots,
 * registrations, service calls and the bytes they hold) has a setting above;
 * what a bound refuses is logged (rate-limited) and counted by reason.
 * Memory: per client at connect, per registration, per service call; the
 * inbox (two buffers, growing to 4 MiB each); a forwarded sample allocates
 * nothing unless a client's queue or the inbox grows.
 * Errors: negative DTW_E* codes with one line in err. */
#ifndef DTW_BRIDGE_SERVER_H
#define DTW_BRIDGE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"
#include "dtw/bus_graph.h"
#include "dtw/metrics.h"

/* Why a connection or an input was refused (metric label in brackets). */
#define DTW_BRIDGE_REFUSAL_MAP(X)                                                        \
  X(MAX_CLIENTS, "max_clients", "too many clients connected")                           \
  X(FRAME_TOO_LARGE, "frame_too_large", "frame length past max_frame_bytes")            \
  X(MALFORMED_FRAME, "malformed_frame", "destination with a NUL byte")                  \
  X(TRUNCATED, "truncated", "connection ended inside a frame")                          \
  X(BAD_JSON, "bad_json", "command body not JSON or missing a field")                   \
  X(UNKNOWN_COMMAND, "unknown_command", "unknown __ command")                           \
  X(IDLE_TIMEOUT, "idle_timeout", "client sent nothing for idle_timeout_s")             \
  X(UNKNOWN_TYPE, "unknown_type", "message or service type without IDL (__error sent)") \
  X(INVALID_MESSAGE, "invalid_message", "payload not valid CDR of the type (__error sent)") \
  X(NOT_REGISTERED, "not_registered", "frame for a topic/service the client did not register") \
  X(PER_ADDRESS, "per_address", "max_clients_per_address connected from that address")   \
  X(NO_FD, "no_fd", "out of file descriptors: connection closed, accepting paused")       \
  X(HANDSHAKE_TIMEOUT, "handshake_timeout", "no whole frame within handshake_timeout_s")  \
  X(SLOW_FRAME, "slow_frame", "a frame begun was not finished within frame_timeout_s")    \
  X(EVICTED, "evicted", "idle client (no registration, keepalives only) gave its slot")   \
  X(REGISTRATION_LIMIT, "registration_limit", "client past max_registrations (__error sent)") \
  X(CALL_LIMIT, "call_limit", "service call past a per-client or total bound (__error sent)") \
  X(CALL_PREEMPTED, "call_preempted", "call ended to give another client its fair share")  \
  X(SERVICE_EXISTS, "service_exists", "Unity service name already served on the graph")    \
  X(TYPE_MISMATCH, "type_mismatch", "topic exists on the graph with another type")         \
  X(BACKLOG, "backlog", "samples dropped before fan-out: the bridge thread fell behind")

typedef enum {
#define DTW__BRIDGE_REFUSAL_ENUM(name, label, text) DTW_BRIDGE_REFUSAL_##name,
  DTW_BRIDGE_REFUSAL_MAP(DTW__BRIDGE_REFUSAL_ENUM)
#undef DTW__BRIDGE_REFUSAL_ENUM
  DTW_BRIDGE_REFUSAL_COUNT
} dtw_bridge_refusal_t;

/* The metric label of a refusal ("max_clients"); "invalid" out of range. */
const char *dtw_bridge_refusal_name(int reason);

typedef struct dtw_bridge_stats {
  uint64_t clients;          /* connected now */
  uint64_t accepted;         /* connections accepted so far */
  uint64_t frames_in, frames_out, bytes_in, bytes_out;
  uint64_t dropped;          /* queued messages dropped for slow clients */
  uint64_t writes;           /* socket writes (frames_out / writes: frames per gather write) */
  uint64_t registrations;    /* topic and service registrations held now, all clients */
  uint64_t calls;            /* service calls in flight now */
  uint64_t call_bytes;       /* payload bytes they hold */
  uint64_t published;        /* client frames published on DDS */
  uint64_t service_calls;    /* ROS service calls answered + Unity service requests answered */
  uint64_t refused[DTW_BRIDGE_REFUSAL_COUNT];
} dtw_bridge_stats_t;

/* Metric handles the server updates (registered by its owner; each may be
 * NULL). frames/bytes: in = decoded from clients, out = handed to sockets. */
typedef struct dtw_bridge_metrics {
  dtw_gauge_t *clients;
  dtw_gauge_t *registrations, *calls, *call_bytes; /* held now, all clients */
  dtw_counter_t *frames_in, *frames_out, *bytes_in, *bytes_out, *dropped;
  dtw_counter_t *refused[DTW_BRIDGE_REFUSAL_COUNT];
  dtw_histogram_t *ros_service, *unity_service;
} dtw_bridge_metrics_t;

typedef struct dtw_bridge_server_config {
  const char *bind_address;    /* numeric address or host name (copied) */
  int port;                    /* 0: any free port */
  size_t max_frame_bytes;      /* largest payload a client may send */
  size_t max_clients;
  size_t max_clients_per_address; /* 0: no limit */
  size_t send_queue_bytes;     /* per client, beyond it the oldest queued frames go */
  size_t send_queue_messages;
  double idle_timeout_s;       /* 0: never */
  double handshake_timeout_s;  /* first whole frame within this of connecting; 0: never */
  double frame_timeout_s;      /* a frame begun is finished within this; 0: never */
  double slot_idle_s;          /* when full, a client without registrations that sent only
                                * keepalives this long gives its slot to a new one; 0: never */
  double service_timeout_s;
  size_t max_registrations;    /* topics + services one client registers; 0: no limit */
  size_t max_calls_per_client; /* service calls in flight per client (both ways) */
  size_t max_call_bytes_per_client; /* payload bytes they may hold */
  size_t max_call_bytes;       /* payload bytes all calls may hold */
  bool allow_service_shadowing; /* a Unity service may take a name the graph already serves */
  double fanout_period_us;     /* >0: bus samples go out on a tick of this period, and the
                                * thread that delivers one (a physics worker in `dtwin up`)
                                * never wakes the poll thread; 0: it wakes it for each */
} dtw_bridge_server_config_t;

typedef struct dtw_bridge_server dtw_bridge_server_t;

/* Listen and serve clients on bus_node (borrowed: it must outlive the
 * server; names resolve with its namespace and remappings). graph (borrowed,
 * may be NULL) answers __topic_list. metrics is copied (NULL: none).
 * Returns 0, DTW_EINVAL (bad bind address: err names it), DTW_EIO (socket,
 * bind, listen: e.g. the port is taken), DTW_ENOMEM. */
int dtw_bridge_server_create(const dtw_bridge_server_config_t *cfg, dtw_bus_node_t *bus_node,
                             dtw_graph_t *graph, const dtw_bridge_metrics_t *metrics,
                             dtw_bridge_server_t **out, char *err, size_t errlen);
/* Close every connection, registration and call. NULL ok. */
void dtw_bridge_server_destroy(dtw_bridge_server_t *s);
/* One round: wait up to timeout_ms for sockets and bus events (less while a
 * service call waits for matching, or while a client subscribes to a topic and
 * fanout_period_us is set: then no longer than that), handle them, close what
 * must close.
 * Returns the number of socket events, 0, or DTW_EIO if epoll failed. */
int dtw_bridge_server_poll(dtw_bridge_server_t *s, int timeout_ms);

/* The bound address and port (the real one when port 0 was asked for). */
const char *dtw_bridge_server_address(const dtw_bridge_server_t *s);
int dtw_bridge_server_port(const dtw_bridge_server_t *s);
/* A consistent snapshot of the counters. Any thread. */
void dtw_bridge_server_get_stats(dtw_bridge_server_t *s, dtw_bridge_stats_t *out);

#endif /* DTW_BRIDGE_SERVER_H */
