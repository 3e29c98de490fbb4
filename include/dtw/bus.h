/* dtw/bus.h - the ROS 2 bus: Cyclone DDS with ROS 2 names, types, QoS,
 * services and graph visibility, so ROS 2 (Humble/Jazzy, rmw_cyclonedds)
 * nodes and tools see and talk to dtwin nodes.
 *
 * Components never see DDS: they exchange the plain structs of dtw/msgs.h
 * (and the diagnostics structs below) or serialized CDR.
 *
 * Objects: one dtw_bus_t (= one DDS participant) per process; nodes on it;
 * publishers, subscriptions, service servers and clients on a node. The
 * participant publishes the ROS graph (ros_discovery_info) whenever a node or
 * endpoint is created or destroyed, so `ros2 node list` / `ros2 topic info -v`
 * show our nodes.
 *
 * Memory: create functions allocate (call at start-up); publish, take and
 * spin do not allocate in steady state (conversion buffers are sized at
 * creation; Cyclone reuses a subscription's sample buffers once grown).
 * JointState subscriptions decode Cyclone's serialized sample straight into
 * the plain struct, up to 32 samples per take (no intermediate generated
 * sample). A received sample that does not fit a plain struct's capacity is
 * refused and counted (dtw_bus_stats_t), never truncated.
 *
 * Performance (bench/bench_bus.c, against Cyclone's ddsperf): the lowest
 * latency and highest receive rate come from `direct` subscriptions and
 * servers (callbacks in Cyclone's receive thread, no thread hand-off); a
 * spinning thread adds one wake-up per burst, and a keep-last reader then
 * drops what arrives faster than that thread is scheduled. For bursts of
 * samples, write_batching + dtw_pub_flush packs them into few packets.
 *
 * Threads: create/destroy of nodes and endpoints, and dtw_bus_spin_once, are
 * serialized by the bus. Each endpoint (publish / take / call) must be used
 * by one thread at a time; distinct endpoints may be used concurrently.
 * Callbacks run in the thread calling dtw_bus_spin_once.
 *
 * Errors: int returns are 0 (or a count) on success, negative DTW_E* on
 * failure; DDS failures are DTW_EDDS with Cyclone's dds_strretcode text in
 * err. Unknown message types are DTW_EUNSUP naming the type. */
#ifndef DTW_BUS_H
#define DTW_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/msgs.h"

typedef struct dtw_bus dtw_bus_t;
typedef struct dtw_bus_node dtw_bus_node_t;
typedef struct dtw_pub dtw_pub_t;
typedef struct dtw_sub dtw_sub_t;
typedef struct dtw_srv dtw_srv_t;
typedef struct dtw_client dtw_client_t;

/* ---- ROS types with IDL in idl/ (any of them works for raw CDR) ---------- */
#define DTW_TYPE_JOINT_STATE "sensor_msgs/msg/JointState"
#define DTW_TYPE_JOINT_TRAJECTORY "trajectory_msgs/msg/JointTrajectory"
#define DTW_TYPE_CLOCK "rosgraph_msgs/msg/Clock"
#define DTW_TYPE_DIAGNOSTIC_ARRAY "diagnostic_msgs/msg/DiagnosticArray"
#define DTW_TYPE_JTC_STATE "control_msgs/msg/JointTrajectoryControllerState"
#define DTW_TYPE_TF "tf2_msgs/msg/TFMessage"
#define DTW_TYPE_STRING "std_msgs/msg/String"
#define DTW_TYPE_FLOAT64 "std_msgs/msg/Float64"
#define DTW_TYPE_FLOAT64_MULTI_ARRAY "std_msgs/msg/Float64MultiArray"
#define DTW_TYPE_POSE_STAMPED "geometry_msgs/msg/PoseStamped"
#define DTW_TYPE_TWIST "geometry_msgs/msg/Twist"
#define DTW_SRV_TRIGGER "std_srvs/srv/Trigger"

/* Whether the bus has IDL for a message type ("pkg/msg/Name" or "pkg/Name").
 * Thread-safe, no allocation. */
bool dtw_bus_has_type(const char *ros_type);

/* ---- bus ----------------------------------------------------------------- */
typedef enum {
  DTW_ROS_HUMBLE = 0, /* rmw_dds_common Gid = 24 bytes */
  DTW_ROS_JAZZY = 1   /* Iron and later: Gid = 16 bytes */
} dtw_ros_distro_t;

typedef struct dtw_bus_options {
  int domain_id;           /* < 0: ROS_DOMAIN_ID from the environment, else 0 */
  dtw_ros_distro_t distro; /* graph message layout; default HUMBLE */
  const char *enclave;     /* participant USER_DATA enclave; NULL = "/" */
  bool write_batching;     /* pack several samples per packet until dtw_pub_flush (Cyclone
                              0.10 makes this process-wide): ~4x the throughput of bursts,
                              at the price of latency for samples not yet flushed */
} dtw_bus_options_t;

/* Defaults: domain from ROS_DOMAIN_ID, Humble, enclave "/". */
void dtw_bus_options_default(dtw_bus_options_t *opt);
/* "humble" | "jazzy" (also "iron", "rolling" -> JAZZY); -1 if unknown. */
int dtw_ros_distro_parse(const char *text);

/* Create the participant (Cyclone config from CYCLONEDDS_URI as usual) and the
 * ros_discovery_info writer. Allocates. opt may be NULL (defaults). Process-wide:
 * fixes glibc's mmap threshold at 1 MiB (mallopt), so a huge sample another
 * process sent is given back to the OS when freed; a typed sample too large for
 * its plain struct is freed after its refusal (tests/integration/test_traj_memory.c);
 * a raw callback is handed Cyclone's own copy, freed after the call.
 * Returns 0, DTW_EINVAL (bad domain/ROS_DOMAIN_ID), DTW_ENOMEM or DTW_EDDS. */
int dtw_bus_create(const dtw_bus_options_t *opt, dtw_bus_t **out, char *err, size_t errlen);
/* Destroy every node and endpoint, then the participant. NULL is a no-op. */
void dtw_bus_destroy(dtw_bus_t *bus);
uint32_t dtw_bus_domain_id(const dtw_bus_t *bus);
dtw_ros_distro_t dtw_bus_distro(const dtw_bus_t *bus);

/* Wait up to timeout_ns for data on any subscription / service of the bus
 * that has a callback and dispatch it in the calling thread (all available
 * samples of every ready endpoint). Blocks for the timeout also when nothing
 * is dispatchable (e.g. only direct endpoints), so it never busy-loops.
 * Returns the number of callbacks run (0 on timeout) or a negative DTW_E*
 * code. */
int dtw_bus_spin_once(dtw_bus_t *bus, int64_t timeout_ns);

/* ---- nodes --------------------------------------------------------------- */
/* Create node `name` in namespace `ns` (NULL or "" = "/"), both validated with
 * the rmw rules (DTW_EINVAL with the reason). Republishes the graph. */
int dtw_bus_node_create(dtw_bus_t *bus, const char *name, const char *ns, dtw_bus_node_t **out,
                        char *err, size_t errlen);
/* Destroy the node's endpoints and the node; republishes the graph. NULL ok. */
void dtw_bus_node_destroy(dtw_bus_node_t *node);
/* Add a remapping rule "from:=to" / "node:from:=to" used when this node
 * resolves names (at most 16 rules). */
int dtw_bus_node_add_remap(dtw_bus_node_t *node, const char *rule, char *err, size_t errlen);
/* Expand a topic/service name with the node namespace and apply remapping. */
int dtw_bus_node_resolve(const dtw_bus_node_t *node, const char *name, char *out, size_t outlen,
                         char *err, size_t errlen);
const char *dtw_bus_node_name(const dtw_bus_node_t *node);

/* ---- QoS profiles (as rmw/qos_profiles.h) --------------------------------- */
typedef enum {
  DTW_QOS_DEFAULT = 0, /* reliable, volatile, keep-last 10 */
  DTW_QOS_SENSOR_DATA, /* best-effort, volatile, keep-last 5 */
  DTW_QOS_CLOCK,       /* writer reliable keep-last 1; reader best-effort keep-last 1 */
  DTW_QOS_SERVICES,    /* reliable, volatile, keep-last 10 */
  DTW_QOS_LATCHED      /* reliable, transient-local, keep-last 1 (e.g. robot_description) */
} dtw_qos_t;

/* ---- counters --------------------------------------------------------------- */
typedef struct dtw_bus_stats {
  uint64_t messages;         /* published / delivered / requests served / calls answered */
  uint64_t refused_capacity; /* did not fit a plain struct or buffer (never truncated) */
  uint64_t refused_invalid;  /* validate hook refused it, or it was malformed */
  uint64_t foreign_replies;  /* clients: replies for other clients, dropped */
  uint64_t errors;           /* DDS write/take failures, timeouts */
  int last_error;            /* DTW_E* of the last refusal/error, 0 if none */
} dtw_bus_stats_t;

/* ---- plain messages defined by the bus ------------------------------------ */
#define DTW_DIAG_MAX_STATUS 32
#define DTW_DIAG_MAX_VALUES 16
#define DTW_DIAG_TEXT_MAX 128

typedef enum { DTW_DIAG_OK = 0, DTW_DIAG_WARN = 1, DTW_DIAG_ERROR = 2, DTW_DIAG_STALE = 3 } dtw_diag_level_t;

/* diagnostic_msgs/KeyValue, DiagnosticStatus, DiagnosticArray (~113 KiB: keep
 * it static or on the heap, not on a small stack). */
typedef struct dtw_diag_kv {
  char key[DTW_DIAG_TEXT_MAX];
  char value[DTW_DIAG_TEXT_MAX];
} dtw_diag_kv_t;

typedef struct dtw_diag_status {
  uint8_t level; /* dtw_diag_level_t */
  char name[DTW_DIAG_TEXT_MAX];
  char message[DTW_DIAG_TEXT_MAX];
  char hardware_id[DTW_DIAG_TEXT_MAX];
  size_t n_values;
  dtw_diag_kv_t values[DTW_DIAG_MAX_VALUES];
} dtw_diag_status_t;

typedef struct dtw_diag_array {
  dtw_time_t stamp;
  char frame_id[DTW_NAME_MAX];
  size_t n_status;
  dtw_diag_status_t status[DTW_DIAG_MAX_STATUS];
} dtw_diag_array_t;

/* std_srvs/Trigger response. */
#define DTW_TRIGGER_MESSAGE_MAX 256
typedef struct dtw_trigger_response {
  bool success;
  char message[DTW_TRIGGER_MESSAGE_MAX];
} dtw_trigger_response_t;

/* Serialized CDR: 4-byte encapsulation header (00 01 00 00 = plain CDR,
 * little endian) followed by the message. */
typedef struct dtw_cdr {
  const uint8_t *data;
  size_t len;
} dtw_cdr_t;
/* Caller-owned buffer a sample is copied into. */
typedef struct dtw_cdr_buf {
  uint8_t *data;
  size_t cap;
  size_t len;
} dtw_cdr_buf_t;

/* ---- publishers ------------------------------------------------------------ */
/* Create a publisher of ROS type `type` on topic `topic` (resolved with the
 * node namespace and remapping). DTW_EUNSUP if the bus has no IDL for type. */
int dtw_pub_create(dtw_bus_node_t *node, const char *topic, const char *type, dtw_qos_t qos,
                   dtw_pub_t **out, char *err, size_t errlen);
/* Destroy; republishes the graph. NULL ok. */
void dtw_pub_destroy(dtw_pub_t *pub);

/* Typed publishing; DTW_EINVAL if the publisher has another type, DTW_ERANGE
 * if a count exceeds its array, DTW_EDDS if the write fails. No allocation. */
int dtw_pub_joint_state(dtw_pub_t *pub, const dtw_joint_state_msg_t *msg);
int dtw_pub_joint_trajectory(dtw_pub_t *pub, const dtw_joint_trajectory_msg_t *msg);
int dtw_pub_clock(dtw_pub_t *pub, dtw_time_t clock);
int dtw_pub_diagnostics(dtw_pub_t *pub, const dtw_diag_array_t *msg);
int dtw_pub_jtc_state(dtw_pub_t *pub, const dtw_jtc_state_msg_t *msg);
/* Publish serialized CDR (with encapsulation header) of the publisher's type,
 * any type. Plain CDR (XCDR1) in either byte order; the bytes are sent as they
 * are (in native order), not read into a sample and written again. They are
 * validated against the type before anything is sent: DTW_EPARSE if they do
 * not form a valid sample, DTW_EDDS if the write fails. Cyclone copies the
 * bytes into its own serialized sample; we allocate nothing, except a copy to
 * check the bytes when Cyclone refuses them (to tell EPARSE from EDDS). */
int dtw_pub_cdr(dtw_pub_t *pub, const void *cdr, size_t len);

/* Send what write batching queued (no-op without batching). */
void dtw_pub_flush(dtw_pub_t *pub);

/* Number of matched subscriptions (>= 0) or DTW_EDDS. */
int dtw_pub_matched_count(const dtw_pub_t *pub);
/* Wait until at least n subscriptions match: 0 or DTW_ETIMEDOUT. */
int dtw_pub_wait_matched(const dtw_pub_t *pub, int n, int64_t timeout_ns);
void dtw_pub_stats(const dtw_pub_t *pub, dtw_bus_stats_t *out);
/* Resolved ROS topic name ("/twin/joint_states"). */
const char *dtw_pub_topic(const dtw_pub_t *pub);

/* ---- subscriptions ------------------------------------------------------ */
/* Callback: msg points to the plain struct of the subscription's type
 * (dtw_joint_state_msg_t, dtw_joint_trajectory_msg_t, dtw_time_t for Clock,
 * dtw_diag_array_t) or, for raw subscriptions, to a dtw_cdr_t viewing the
 * received sample in place (no copy). Valid only during the call. */
typedef void (*dtw_sub_cb_t)(dtw_sub_t *sub, const void *msg, void *user);
/* Validation hook, called before delivery (callback or take) with the same
 * msg pointer: return 0 to accept, non-zero to refuse (counted in
 * refused_invalid, last_error DTW_EPARSE). */
typedef int (*dtw_sub_validate_t)(const void *msg, void *user);

typedef struct dtw_sub_options {
  dtw_qos_t qos;
  bool raw;               /* deliver serialized CDR (any type) instead of a plain struct */
  size_t traj_cap_points; /* JointTrajectory: points capacity for callbacks (default 64) */
  dtw_sub_cb_t on_msg;    /* NULL: take-only subscription */
  dtw_sub_validate_t validate;
  void *user;    /* passed to on_msg and validate */
  int depth;     /* history depth; 0 = the QoS profile's */
  bool direct;   /* run on_msg in Cyclone's receive thread (no hand-off to a spinning
                    thread: lowest latency, highest rate); it must then be quick and
                    thread-safe, and dtw_bus_spin_once does not see this subscription;
                    samples that arrived while it was being created are delivered from
                    dtw_sub_create, on the caller's thread. Calls never overlap */
} dtw_sub_options_t;

void dtw_sub_options_default(dtw_sub_options_t *opt);
/* Create a subscription. Non-raw subscriptions need a type with a plain
 * struct (JointState, JointTrajectory, Clock, DiagnosticArray,
 * JointTrajectoryControllerState): DTW_EUNSUP otherwise. opt may be NULL (defaults). */
int dtw_sub_create(dtw_bus_node_t *node, const char *topic, const char *type,
                   const dtw_sub_options_t *opt, dtw_sub_t **out, char *err, size_t errlen);
void dtw_sub_destroy(dtw_sub_t *sub);

/* Take the next acceptable sample into msg (type as for the callback, but
 * caller-owned: dtw_joint_trajectory_msg_t must be initialised with
 * dtw_traj_msg_init; raw subscriptions take a dtw_cdr_buf_t). Returns 1 if
 * msg was filled, 0 if nothing is pending, or a negative DTW_E* code: DTW_EDDS,
 * or -- for typed subscriptions -- the reason the next sample was refused
 * (DTW_EFULL: more joints or points than the message holds; DTW_ERANGE /
 * DTW_EPARSE: malformed or refused by validate). A refused sample is consumed
 * and counted (dtw_sub_stats), so the caller can log and count it and call
 * again for the next one. No allocation in steady state. */
int dtw_sub_take(dtw_sub_t *sub, void *msg);
/* The publishing writer (a DDS instance handle, unique per matched writer in
 * this participant) of the sample the last dtw_sub_take or on_msg delivered
 * or refused; 0 before any, and on raw subscriptions. Lets a node tell
 * several publishers on one topic apart. */
uint64_t dtw_sub_last_writer(const dtw_sub_t *sub);
/* The participant (a DDS process, as a rule) of matched writer `writer`, as a
 * non-zero key equal for every writer of that participant; 0 when unknown (0,
 * or no longer matched). Lets a node tell which topics one robot publishes.
 * Asks discovery, which allocates inside Cyclone: call it when a new writer
 * appears, not per sample. */
uint64_t dtw_sub_writer_participant(const dtw_sub_t *sub, uint64_t writer);
/* Number of matched publications (>= 0) or DTW_EDDS. */
int dtw_sub_matched_count(const dtw_sub_t *sub);
int dtw_sub_wait_matched(const dtw_sub_t *sub, int n, int64_t timeout_ns);
void dtw_sub_stats(const dtw_sub_t *sub, dtw_bus_stats_t *out);
const char *dtw_sub_topic(const dtw_sub_t *sub);

/* ---- services (rmw_cyclonedds request/reply scheme) ------------------------- */
/* Typed handler: for std_srvs/Trigger, request is NULL and response a
 * dtw_trigger_response_t to fill (zeroed before the call). Return 0 to send
 * the response, non-zero to send nothing. */
typedef int (*dtw_srv_handler_t)(const void *request, void *response, void *user);

/* Serve `service` (resolved like topics) of service type `type` (only
 * DTW_SRV_TRIGGER has a typed form). Requests are handled in
 * dtw_bus_spin_once or dtw_srv_process. */
int dtw_bus_serve(dtw_bus_node_t *node, const char *service, const char *type,
                  dtw_srv_handler_t handler, void *user, dtw_srv_t **out, char *err,
                  size_t errlen);

typedef struct dtw_srv_options {
  bool direct; /* answer in Cyclone's receive thread as the request arrives (no hand-off to
                  a spinning thread: one context switch less per call, the lowest latency
                  and tail). The handler must then be quick and thread-safe, must not call
                  back into the bus' spin, and dtw_bus_spin_once / dtw_srv_process do not
                  handle this server. A request from a brand-new client whose reply reader
                  is not matched yet still waits up to 100 ms in that thread. */
} dtw_srv_options_t;

void dtw_srv_options_default(dtw_srv_options_t *opt);
/* dtw_bus_serve with options (opt NULL = defaults = dtw_bus_serve). */
int dtw_bus_serve_opt(dtw_bus_node_t *node, const char *service, const char *type,
                      dtw_srv_handler_t handler, void *user, const dtw_srv_options_t *opt,
                      dtw_srv_t **out, char *err, size_t errlen);
void dtw_srv_destroy(dtw_srv_t *srv);
/* Handle all pending requests now (for polling loops; not for direct servers).
 * Returns the number handled or a negative DTW_E* code. */
int dtw_srv_process(dtw_srv_t *srv);
void dtw_srv_stats(const dtw_srv_t *srv, dtw_bus_stats_t *out);

int dtw_client_create(dtw_bus_node_t *node, const char *service, const char *type,
                      dtw_client_t **out, char *err, size_t errlen);
void dtw_client_destroy(dtw_client_t *cli);
/* Wait until a server is matched both ways: 0 or DTW_ETIMEDOUT. */
int dtw_client_wait_for_service(const dtw_client_t *cli, int64_t timeout_ns);
/* Call the service and wait up to timeout_ns for this client's reply.
 * For Trigger: request may be NULL, response is a dtw_trigger_response_t.
 * Replies addressed to other clients are dropped (foreign_replies). Returns
 * 0, DTW_ETIMEDOUT, DTW_EFULL (response text too long) or DTW_EDDS. */
int dtw_bus_call(dtw_client_t *cli, const void *request, void *response, int64_t timeout_ns,
                 char *err, size_t errlen);
/* The sequence number of the last request sent (process-wide counter from 1). */
int64_t dtw_client_last_seq(const dtw_client_t *cli);
void dtw_client_stats(const dtw_client_t *cli, dtw_bus_stats_t *out);

/* ---- helpers ------------------------------------------------------------ */
/* Check a JointState for consistency: position/velocity/effort either empty
 * or as long as name, all values finite. 0 or DTW_EPARSE with the reason.
 * Usable as (part of) a validate hook. */
int dtw_joint_state_check(const dtw_joint_state_msg_t *msg, char *err, size_t errlen);

#endif /* DTW_BUS_H */
