/* dtw/typedesc.h - ROS 2 type descriptions of every message type dtwin has IDL
 * for, generated at build time from the IDL files in idl/ (scripts/gen_typedesc.py, the
 * same list idlc compiles for the bus): the complete .msg definition with its
 * dependencies (ros2msg, as rosbag2 writes MCAP schemas and Foxglove reads
 * them) and the RIHS01 type hash (REP-2011) that rmw_cyclonedds on Iron and
 * later puts in endpoint user data as "typehash=RIHS01_<hex>;".
 *
 * Static read-only tables: no allocation, thread-safe. A service is
 * described by its request and response messages ("std_srvs/srv/Trigger_Request",
 * "..._Response"), whose hashes rmw puts on a service's endpoints. The Iron+
 * graph message (rmw_dds_common_jazzy/msg/..., see idl/rmw_dds_common.idl)
 * carries the hash ROS gives rmw_dds_common/msg/.... Field comments and default values of the upstream .msg files
 * are not in the IDL and so not in the text; constants are. */
#ifndef DTW_TYPEDESC_H
#define DTW_TYPEDESC_H

#include <stddef.h>

typedef struct dtw_typedesc {
  const char *name;           /* "sensor_msgs/msg/JointState" */
  const char *msg_definition; /* complete ros2msg text */
  const char *rihs01;         /* "RIHS01_" + 64 lowercase hex digits */
} dtw_typedesc_t;

/* The description of "pkg/msg/Name", "pkg/Name" (= pkg/msg/Name) or
 * "pkg/srv/Name_Request" / "_Response"; NULL if unknown. */
const dtw_typedesc_t *dtw_typedesc_find(const char *ros_type);
size_t dtw_typedesc_count(void);
const dtw_typedesc_t *dtw_typedesc_at(size_t i);

#endif /* DTW_TYPEDESC_H */
