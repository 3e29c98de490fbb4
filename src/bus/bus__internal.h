/* bus__internal.h - shared internals of src/bus (the only place that sees DDS). */
#ifndef DTW_BUS__INTERNAL_H
#define DTW_BUS__INTERNAL_H

#include <dds/dds.h>
#include <pthread.h>

#include "builtin_interfaces.h"
#include "control_msgs.h"
#include "diagnostic_msgs.h"
#include "geometry_msgs.h"
#include "rmw_dds_common.h"
#include "rosgraph_msgs.h"
#include "sensor_msgs.h"
#include "std_msgs.h"
#include "std_srvs.h"
#include "tf2_msgs.h"
#include "trajectory_msgs.h"

#include "dtw/bus.h"
#include "dtw/ros_names.h"

#define DTW__XCDR1 1u /* Cyclone's CDR_ENC_VERSION_1 */
#define DTW__MAX_REMAPS 16
/* rmw_cyclonedds' request header in front of every request/reply message */
#define DTW__SRV_HEADER_BYTES 16

/* What a registry type converts to/from (DTW__K_NONE: raw CDR only). */
typedef enum {
  DTW__K_NONE = 0,
  DTW__K_JOINT_STATE,
  DTW__K_TRAJ,
  DTW__K_CLOCK,
  DTW__K_DIAG,
  DTW__K_JTC,
  DTW__K_TRIGGER
} dtw__kind_t;

/* Registry entry: ROS type name -> generated topic descriptor(s). */
typedef struct dtw__type {
  const char *ros_name;                /* canonical "pkg/msg/Name" or "pkg/srv/Name" */
  const dds_topic_descriptor_t *desc;  /* message, or service request */
  const dds_topic_descriptor_t *desc2; /* service response, NULL for messages */
  dtw__kind_t kind;
} dtw__type_t;

/* Find a message (service=false) or service type; "pkg/Name" is accepted for
 * "pkg/msg/Name" / "pkg/srv/Name". NULL if unknown. */
const dtw__type_t *dtw__type_find(const char *ros_type, bool service);

/* Common head of every endpoint: list link in its node, the GIDs listed in
 * the graph, the dispatch hook used by dtw_bus_spin_once, and the destructor
 * of the endpoint's own type (set by its create; a node being destroyed calls
 * it for whatever endpoints its owner left, whatever their type). */
typedef struct dtw__ep {
  struct dtw__ep *next;
  dtw_bus_node_t *node;
  void (*destroy)(struct dtw__ep *ep);
  bool has_reader, has_writer;
  dds_guid_t reader_gid, writer_gid;
  dds_entity_t readcond; /* attached to the bus waitset when dispatchable, else 0 */
  int (*dispatch)(struct dtw__ep *ep);
} dtw__ep_t;

struct dtw_bus {
  pthread_mutex_t lock; /* recursive: guards nodes, endpoint lists, graph, dispatch */
  dds_entity_t participant;
  dds_entity_t graph_writer;
  dds_entity_t waitset;
  dds_guid_t participant_gid;
  uint32_t domain_id;
  dtw_ros_distro_t distro;
  uint32_t csid_counter; /* suffix of client/service ids, as rmw_cyclonedds */
  dtw_bus_node_t *nodes;
  /* always attached to waitset (attach value 0, never triggered), so that
   * dtw_bus_spin_once blocks for its timeout even with nothing else attached:
   * Cyclone returns at once from a wait on an empty waitset */
  dds_entity_t idle_guard;
};

struct dtw_bus_node {
  dtw_bus_node_t *next;
  dtw_bus_t *bus;
  char name[DTW_ROS_NAME_BUF];
  char ns[DTW_ROS_NAME_BUF];
  dtw__ep_t *eps;
  size_t n_remaps;
  dtw_ros_remap_t remaps[DTW__MAX_REMAPS];
};

/* Map a negative dds_return_t to DTW_EDDS with Cyclone's text. */
int dtw__dds_err(char *err, size_t errlen, dds_return_t rc, const char *what, const char *name);

/* QoS for an endpoint: profile, writer or reader side, XCDR1 set. Caller
 * deletes. NULL on allocation failure. */
dds_qos_t *dtw__qos_create(dtw_qos_t profile, bool writer);
/* The same with the history depth overridden (depth > 0). */
dds_qos_t *dtw__qos_create_depth(dtw_qos_t profile, bool writer, int depth);

/* Set an endpoint's USER_DATA as rmw_cyclonedds does: prefix (NULL or e.g.
 * "serviceid=...;"), then, for a Jazzy bus, "typehash=RIHS01_<hex>;" of
 * ros_type + part (part: NULL for messages, "_Request" / "_Response" for a
 * service's halves) when dtw/typedesc.h describes it. Nothing set when both
 * are empty. */
void dtw__qos_set_userdata(const dtw_bus_t *bus, dds_qos_t *qos, const char *prefix,
                           const char *ros_type, const char *part);

/* Create a topic for a descriptor (type name optionally overridden). */
dds_entity_t dtw__topic_create(dtw_bus_t *bus, const char *dds_topic,
                               const dds_topic_descriptor_t *desc, const char *type_name);

/* Register / unregister an endpoint on its node (fills GIDs from the entities,
 * attaches readcond to the bus waitset if dispatch != NULL) and republish the
 * graph. Called with no lock held. */
int dtw__ep_register(dtw_bus_node_t *node, dtw__ep_t *ep, dds_entity_t reader,
                     dds_entity_t writer, char *err, size_t errlen);
void dtw__ep_unregister(dtw__ep_t *ep);

/* Publish the graph (bus lock held). */
int dtw__graph_publish(dtw_bus_t *bus);
/* Serialize the graph message this bus would publish for `distro` into a
 * malloc'd buffer with the 4-byte encapsulation header (caller frees). */
int dtw__graph_serialize(dtw_bus_t *bus, dtw_ros_distro_t distro, uint8_t **buf, size_t *len);

/* Serialize a sample of desc as XCDR1 in native byte order with the
 * encapsulation header, into a malloc'd buffer (caller frees). */
int dtw__serialize(const dds_topic_descriptor_t *desc, const void *sample, uint8_t **buf,
                   size_t *len);
/* Validate CDR bytes (with header) against desc and read them into sample
 * (zeroed or previously read; sequences are reused). scratch (cap bytes) is
 * used for the in-place normalisation. 0 or DTW_EPARSE / DTW_EFULL. */
int dtw__deserialize(const dds_topic_descriptor_t *desc, const void *cdr, size_t len,
                     void *sample, uint8_t *scratch, size_t cap);
/* The header is plain CDR (XCDR1), big or little endian: 00 00 or 00 01. */
bool dtw__cdr_plain(const void *cdr, size_t len);
/* The same validation without reading the sample (a malloc'd copy, freed):
 * 0, DTW_EPARSE or DTW_ENOMEM. For an error path, not per message. */
int dtw__cdr_check(const dds_topic_descriptor_t *desc, const void *cdr, size_t len);

/* Conversions between plain structs and generated samples (bus_convert.c).
 * to_sample functions point the sample at msg's storage (no allocation) and
 * use the caller's pointer scratch; from_sample functions check capacities
 * (DTW_EFULL) and string lengths (DTW_ERANGE). */
int dtw__js_to_sample(const dtw_joint_state_msg_t *msg, sensor_msgs_msg_dds__JointState_ *s,
                      char **names);
int dtw__js_from_sample(const sensor_msgs_msg_dds__JointState_ *s, dtw_joint_state_msg_t *msg);
int dtw__traj_to_sample(const dtw_joint_trajectory_msg_t *msg,
                        trajectory_msgs_msg_dds__JointTrajectory_ *s, char **names,
                        trajectory_msgs_msg_dds__JointTrajectoryPoint_ *points, size_t cap);
int dtw__traj_from_sample(const trajectory_msgs_msg_dds__JointTrajectory_ *s,
                          dtw_joint_trajectory_msg_t *msg);
int dtw__diag_to_sample(const dtw_diag_array_t *msg, diagnostic_msgs_msg_dds__DiagnosticArray_ *s,
                        diagnostic_msgs_msg_dds__DiagnosticStatus_ *status,
                        diagnostic_msgs_msg_dds__KeyValue_ *kv);
int dtw__diag_from_sample(const diagnostic_msgs_msg_dds__DiagnosticArray_ *s,
                          dtw_diag_array_t *msg);
int dtw__jtc_to_sample(const dtw_jtc_state_msg_t *msg,
                       control_msgs_msg_dds__JointTrajectoryControllerState_ *s, char **names);
/* Older controllers fill only desired/actual: read as reference/feedback. */
int dtw__jtc_from_sample(const control_msgs_msg_dds__JointTrajectoryControllerState_ *s,
                         dtw_jtc_state_msg_t *msg);

/* dds_takecdr one sample and copy its serialized form (with encapsulation
 * header) into buf, growing it if grow. Returns the number taken (0/1) or a
 * negative dds_return_t; *size is the sample size (not copied if > buf->cap). */
dds_return_t dtw__take_serialized(dds_entity_t reader, dtw_cdr_buf_t *buf, bool grow, bool *valid,
                                  size_t *size);

/* Callback for dtw__take_cdr_each: the serialized sample (with its 4-byte
 * encapsulation header, as Cyclone stores it: validated and in native byte
 * order) or, for !valid (dispose/unregister without data), NULL/0. The bytes
 * are Cyclone's and valid only during the call. */
typedef void (*dtw__cdr_fn_t)(const uint8_t *cdr, size_t len, bool valid, uint64_t writer,
                              void *arg);
#define DTW__TAKE_BATCH 32
/* dds_takecdr up to max (<= DTW__TAKE_BATCH) samples at once and pass each
 * to fn without copying (no Cyclone lock held during fn). Returns the number
 * taken (0 = none pending) or a negative dds_return_t. No allocation. */
dds_return_t dtw__take_cdr_each(dds_entity_t reader, uint32_t max, dtw__cdr_fn_t fn, void *arg);
/* Write len bytes of CDR (with the 4-byte header, len <= UINT32_MAX) as a
 * sample of writer's type without reading them into a sample: Cyclone copies
 * them into the writer's own serialized form, validating and normalising them
 * on the way. Returns what dds_writecdr returns; DDS_RETCODE_ERROR covers both
 * bytes that do not form a sample (nothing is sent) and a failed send.
 * Thread-safe; no allocation of ours (Cyclone allocates its serialized copy). */
dds_return_t dtw__write_cdr(dds_entity_t writer, const void *cdr, size_t len);

/* Decode a sensor_msgs/JointState straight from its CDR (with encapsulation
 * header, plain CDR in either byte order) into msg, checking every length
 * and bound: 0, DTW_EPARSE (malformed), DTW_EFULL (a sequence longer than
 * DTW_MAX_JOINTS) or DTW_ERANGE (a string too long for its buffer). Pure
 * function of the bytes; no allocation. */
int dtw__js_decode(const uint8_t *cdr, size_t len, dtw_joint_state_msg_t *msg);

/* Is ep still registered on some node of bus? (bus lock held) */
bool dtw__ep_alive(dtw_bus_t *bus, const dtw__ep_t *ep);

#endif /* DTW_BUS__INTERNAL_H */
