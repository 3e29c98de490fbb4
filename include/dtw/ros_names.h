/* dtw/ros_names.h - ROS 2 names: validation, expansion, remapping and the
 * mapping to DDS topic and type names used by rmw_cyclonedds.
 *
 * Pure functions of strings: no DDS, no allocation, thread-safe. Rules follow
 * rmw_validate_full_topic_name / rmw_validate_node_name / rmw_validate_namespace
 * and rcl_expand_topic_name (design.ros2.org "Topic and Service name mapping"),
 * except that '~' (private namespace) and '{...}' substitutions are refused
 * with DTW_EUNSUP instead of being expanded.
 *
 * Every function returns 0 on success or a negative DTW_E* code and, when err
 * is not NULL, writes a one-line reason naming the input and the offending
 * character index ("topic name '/a//b': must not contain repeated '/' (at 2)").
 * Output buffers are NUL-terminated; an output that does not fit is
 * DTW_ERANGE (never truncated). */
#ifndef DTW_ROS_NAMES_H
#define DTW_ROS_NAMES_H

#include <stddef.h>

/* Longest full topic/service name rmw accepts (255 minus 8 reserved for the
 * DDS prefixes/suffixes), node names and namespaces. */
#define DTW_ROS_TOPIC_MAX_LEN 247
#define DTW_ROS_NODE_NAME_MAX_LEN 255
#define DTW_ROS_NAMESPACE_MAX_LEN 245
/* Buffer size that holds any valid ROS or DDS name produced here. */
#define DTW_ROS_NAME_BUF 272

/* Validate a fully qualified topic or service name ("/twin/joint_states"):
 * non-empty, absolute, only [A-Za-z0-9_/], no "//", no trailing '/', no token
 * starting with a digit, at most DTW_ROS_TOPIC_MAX_LEN characters.
 * Returns 0 or DTW_EINVAL. */
int dtw_ros_validate_full_name(const char *name, char *err, size_t errlen);

/* Validate a topic or service name as written by a user: absolute or relative
 * ("joint_states", "arm/cmd"). '~' and '{...}' give DTW_EUNSUP; other
 * violations DTW_EINVAL. */
int dtw_ros_validate_name(const char *name, char *err, size_t errlen);

/* Validate a node name: non-empty, only [A-Za-z0-9_], not starting with a
 * digit, at most DTW_ROS_NODE_NAME_MAX_LEN characters. Returns 0 or DTW_EINVAL. */
int dtw_ros_validate_node_name(const char *name, char *err, size_t errlen);

/* Validate a node namespace: "/" or a valid full name of at most
 * DTW_ROS_NAMESPACE_MAX_LEN characters. Returns 0 or DTW_EINVAL. */
int dtw_ros_validate_namespace(const char *ns, char *err, size_t errlen);

/* Expand a (validated) name with the node namespace into out:
 * "joint_states" + "/twin" -> "/twin/joint_states"; "/clock" stays "/clock".
 * The result is validated as a full name. Returns 0, DTW_EINVAL, DTW_EUNSUP or
 * DTW_ERANGE. */
int dtw_ros_expand_name(const char *name, const char *ns, char *out, size_t outlen, char *err,
                        size_t errlen);

/* One remapping rule "[node:]from:=to" (rcl's --remap syntax, names only). */
typedef struct dtw_ros_remap {
  char node[DTW_ROS_NAME_BUF]; /* "" = applies to every node */
  char from[DTW_ROS_NAME_BUF];
  char to[DTW_ROS_NAME_BUF];
} dtw_ros_remap_t;

/* Parse "from:=to" or "node:from:=to". Special rules (__ns, __node, __name,
 * __log_level...) give DTW_EUNSUP; malformed text or invalid names DTW_EINVAL. */
int dtw_ros_remap_parse(const char *rule, dtw_ros_remap_t *out, char *err, size_t errlen);

/* Apply rules in order to a full name used by node (name, ns): the first rule
 * whose node matches (or is empty) and whose expanded `from` equals full_name
 * replaces it with the expanded `to`. Without a match out = full_name.
 * Returns 1 if a rule applied, 0 if not, or a negative DTW_E* code. */
int dtw_ros_remap_apply(const dtw_ros_remap_t *rules, size_t n_rules, const char *full_name,
                        const char *node_name, const char *ns, char *out, size_t outlen,
                        char *err, size_t errlen);

/* Full topic name -> DDS topic name: "/a/b" -> "rt/a/b". */
int dtw_ros_topic_to_dds(const char *full_name, char *out, size_t outlen, char *err,
                         size_t errlen);

/* Full service name -> the two DDS topics:
 * "/twin/reset" -> "rq/twin/resetRequest" and "rr/twin/resetReply". */
int dtw_ros_service_to_dds(const char *full_name, char *req, size_t reqlen, char *rep,
                           size_t replen, char *err, size_t errlen);

/* Message type -> DDS type name: "sensor_msgs/msg/JointState" or
 * "sensor_msgs/JointState" -> "sensor_msgs::msg::dds_::JointState_".
 * Returns 0, DTW_EINVAL (not pkg/[msg/]Name with identifier parts) or DTW_ERANGE. */
int dtw_ros_type_to_dds(const char *ros_type, char *out, size_t outlen, char *err, size_t errlen);

/* Service type -> request/response DDS type names: "std_srvs/srv/Trigger" or
 * "std_srvs/Trigger" -> "std_srvs::srv::dds_::Trigger_Request_" and
 * "std_srvs::srv::dds_::Trigger_Response_". */
int dtw_ros_srv_type_to_dds(const char *ros_type, char *req, size_t reqlen, char *rep,
                            size_t replen, char *err, size_t errlen);

/* What a DDS topic name denotes in ROS terms. */
typedef enum {
  DTW_ROS_DDS_TOPIC = 0,   /* rt/...        */
  DTW_ROS_DDS_REQUEST = 1, /* rq/...Request */
  DTW_ROS_DDS_REPLY = 2    /* rr/...Reply   */
} dtw_ros_dds_kind_t;

/* DDS topic name -> ROS name: "rt/a/b" -> "/a/b" (TOPIC), "rq/x/resetRequest"
 * -> "/x/reset" (REQUEST), "rr/x/resetReply" -> "/x/reset" (REPLY). Names
 * without a ROS prefix (e.g. "ros_discovery_info") give DTW_ENOENT. kind may
 * be NULL. */
int dtw_ros_topic_from_dds(const char *dds_name, char *out, size_t outlen,
                           dtw_ros_dds_kind_t *kind, char *err, size_t errlen);

/* DDS type name -> ROS type: "sensor_msgs::msg::dds_::JointState_" ->
 * "sensor_msgs/msg/JointState"; "std_srvs::srv::dds_::Trigger_Request_" ->
 * "std_srvs/srv/Trigger" (kind REQUEST; _Response_ gives REPLY). Non-ROS type
 * names give DTW_ENOENT. kind may be NULL. */
int dtw_ros_type_from_dds(const char *dds_type, char *out, size_t outlen,
                          dtw_ros_dds_kind_t *kind, char *err, size_t errlen);

#endif /* DTW_ROS_NAMES_H */
