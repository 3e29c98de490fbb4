/* dtw/bus_graph.h - reading the DDS / ROS 2 graph: which participants,
 * ROS nodes and endpoints exist on the domain of a bus.
 *
 * A graph cache on a dtw_bus_t reads the DDS built-in topics (DCPSParticipant,
 * DCPSPublication, DCPSSubscription) and ros_discovery_info (the
 * rmw_dds_common ParticipantEntitiesInfo every ROS 2 participant publishes;
 * Humble or Jazzy layout as the bus's distro says), the way `ros2 node list`
 * and `ros2 topic info -v` see the graph:
 *  - participants: alive DDS participants (our own included);
 *  - nodes: the ROS nodes that alive participants list on ros_discovery_info,
 *    by fully qualified name ("/twin/digital_twin");
 *  - endpoints: every reader and writer, with its DDS topic/type names and,
 *    for ROS names (rt/, rq/, rr/ prefixes), the ROS topic and type;
 *  - topics: ROS topics (rt/ endpoints) with their publisher and subscriber
 *    counts.
 * A participant that leaves (disposed or lost) takes its nodes and endpoints
 * with it.
 *
 * Use: dtw_graph_create once, dtw_graph_update from your loop (non-blocking:
 * takes whatever discovery delivered since the last call), then query.
 * Strings and infos returned point into the cache and stay valid until the
 * next dtw_graph_update or dtw_graph_destroy.
 *
 * Memory: the cache grows with the graph (allocation in dtw_graph_update only
 * when something was discovered). Threads: one thread uses a graph; it may
 * run concurrently with other users of the bus.
 * Errors: 0 / counts, or negative DTW_E* (DDS failures DTW_EDDS with Cyclone's
 * text in err). */
#ifndef DTW_BUS_GRAPH_H
#define DTW_BUS_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"

typedef struct dtw_graph dtw_graph_t;

/* A ROS node of the graph. */
typedef struct dtw_graph_node_info {
  const char *fqn;          /* "/twin/digital_twin" */
  const char *ns;           /* "/twin" */
  const char *name;         /* "digital_twin" */
  uint8_t participant[16];  /* GUID of the participant that hosts it */
  size_t n_readers, n_writers; /* GIDs it lists (subscriptions, publishers, service ends) */
} dtw_graph_node_info_t;

typedef enum {
  DTW_GRAPH_EP_OTHER = 0, /* not a ROS name (e.g. ros_discovery_info) */
  DTW_GRAPH_EP_TOPIC,     /* rt/... */
  DTW_GRAPH_EP_REQUEST,   /* rq/...Request */
  DTW_GRAPH_EP_REPLY      /* rr/...Reply */
} dtw_graph_ep_kind_t;

/* A reader or writer of the graph. */
typedef struct dtw_graph_endpoint_info {
  uint8_t gid[16];
  uint8_t participant[16];
  bool writer;              /* writer (publisher, service request/reply writer) or reader */
  dtw_graph_ep_kind_t kind;
  const char *dds_topic;    /* "rt/twin/joint_states" */
  const char *dds_type;     /* "sensor_msgs::msg::dds_::JointState_" */
  const char *ros_name;     /* "/twin/joint_states" (service name for rq/rr); "" if OTHER */
  const char *ros_type;     /* "sensor_msgs/msg/JointState"; "" if not a ROS type */
  const char *node_fqn;     /* the ROS node listing this GID; "" if none does (yet) */
  const char *type_hash;    /* "RIHS01_<hex>" its USER_DATA announces (rmw on Iron and
                               later, dtwin with ros_distro jazzy); "" if none */
} dtw_graph_endpoint_info_t;

/* A ROS topic: every rt/ endpoint with the same name. */
typedef struct dtw_graph_topic_info {
  const char *name;         /* "/twin/joint_states" */
  const char *type;         /* ROS type of its first endpoint ("" if not a ROS type) */
  size_t n_publishers, n_subscribers;
} dtw_graph_topic_info_t;

/* Create the built-in topic readers and the ros_discovery_info reader on
 * bus's participant. Discovery data that already exists is delivered at the
 * first updates. Returns 0, DTW_ENOMEM or DTW_EDDS. Allocates. */
int dtw_graph_create(dtw_bus_t *bus, dtw_graph_t **out, char *err, size_t errlen);
/* Delete the readers and free the cache. NULL is a no-op. */
void dtw_graph_destroy(dtw_graph_t *g);

/* Take everything new (non-blocking) and apply it. Returns the number of
 * discovery samples applied (0: nothing changed) or DTW_EDDS / DTW_ENOMEM. */
int dtw_graph_update(dtw_graph_t *g);
/* Increments whenever the cache changes: compare to skip recomputation. */
uint64_t dtw_graph_generation(const dtw_graph_t *g);

/* Counts of the current graph. */
size_t dtw_graph_participant_count(const dtw_graph_t *g);
size_t dtw_graph_node_count(const dtw_graph_t *g);
size_t dtw_graph_endpoint_count(const dtw_graph_t *g);
size_t dtw_graph_topic_count(const dtw_graph_t *g);

/* Iteration, i in [0, count): 0, or DTW_ERANGE when i is out of range. Order
 * is unspecified and may change at every update. */
int dtw_graph_node_at(const dtw_graph_t *g, size_t i, dtw_graph_node_info_t *out);
int dtw_graph_endpoint_at(const dtw_graph_t *g, size_t i, dtw_graph_endpoint_info_t *out);
int dtw_graph_topic_at(const dtw_graph_t *g, size_t i, dtw_graph_topic_info_t *out);

/* Is a ROS node with this fully qualified name ("/twin/digital_twin";
 * "name" alone means "/name") alive? */
bool dtw_graph_has_node(const dtw_graph_t *g, const char *fqn);
/* Writers / readers on ROS topic `topic` (full name, "/twin/joint_states"). */
size_t dtw_graph_topic_publishers(const dtw_graph_t *g, const char *topic);
size_t dtw_graph_topic_subscribers(const dtw_graph_t *g, const char *topic);
/* ROS type of a topic as its first endpoint says ("" if unknown / not ROS). */
const char *dtw_graph_topic_type(const dtw_graph_t *g, const char *topic);
/* Does node `fqn` publish (has a writer on) / subscribe (a reader on) ROS topic `topic`? */
bool dtw_graph_node_publishes(const dtw_graph_t *g, const char *fqn, const char *topic);
bool dtw_graph_node_subscribes(const dtw_graph_t *g, const char *fqn, const char *topic);

#endif /* DTW_BUS_GRAPH_H */
