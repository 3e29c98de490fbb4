/* dtw/viewer_node.h - the viewer on the bus: a Foxglove WebSocket server
 * (dtw/viewer.h) fed from the ROS topics of robot/twin pairs, serving the
 * dtwin page (web/) on the same port.
 *
 * Channels (cdr, ros2msg schemas unless said): per pair <robot_ns>/joint_states
 * and <twin_ns>/joint_states (decimated to pose_rate_hz), its sync status
 * (diagnostic_msgs/DiagnosticArray, as received); /tf (tf2_msgs/TFMessage:
 * every link of every pair's robot and twin, frames "<ns>/<link>", each under
 * its parent link and the root under "world", at pose_rate_hz);
 * <robot_ns>/robot_description and <twin_ns>/robot_description (std_msgs/String:
 * a URDF whose links are named as /tf names them, for Foxglove's URDF layer;
 * the first robot's also on /robot_description), /dtwin/robot_mjcf (the MJCF);
 * /dtwin/scene (json: pairs, links, geometry, alarm threshold, motions
 * from motions_dir, whether controls are on). Assets (fetchAsset): the meshes
 * the URDFs name, as binary STL.
 * Services (unless read-only; std_srvs/Trigger, forwarded to the ROS service
 * of the same name): per pair <twin_ns>/reset, pause, resume and the sync
 * node's resync. Client publishing (unless read-only): the pair's
 * <ns>/<controller>/joint_trajectory topics, and <robot_ns>/fault (the robot
 * emulator's fault commands) when the pair has an emulator.
 *
 * Threads: the node runs in the viewer server's thread (its own); create and
 * destroy from the owner's. Memory: create allocates; the feed reuses its
 * buffers (the protocol queues allocate per frame, see dtw/viewer.h). */
#ifndef DTW_VIEWER_NODE_H
#define DTW_VIEWER_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include "dtw/config.h"
#include "dtw/node.h"
#include "dtw/robot.h"

#define DTW_VIEWER_NODE_PARAMS(X)                                                              \
  DTW_NODE_PARAMS(X, "dtwin_viewer", "/")                                                      \
  X(BOOL, enabled, "true", 0, 0, NULL, "Serve the viewer (page + Foxglove WebSocket)")         \
  X(STRING, address, "127.0.0.1", 1, 255, NULL,                                                \
    "Address the viewer binds (loopback by default)")                                          \
  X(INT, port, "8765", 0, 65535, NULL, "TCP port of the page and the WebSocket; 0 = any free") \
  X(ENUM, read_only, "auto", 0, 0, "auto|true|false",                                          \
    "Controls (services, publishing) off; auto = off when the address is not loopback")       \
  X(DOUBLE, pose_rate_hz, "30", 1, 500, NULL,                                                  \
    "Rate of joint_states and /tf sent to clients (decimated from the topics)")               \
  X(INT, queue_kib, "8192", 64, 1048576, NULL,                                                 \
    "Outgoing budget per client (KiB); past it the oldest frames are dropped")                \
  X(INT, max_clients, "32", 1, 1024, NULL, "Clients served at once")                           \
  X(STRING, web_root, "web", 0, 0, NULL, "Directory of the page (resolved like data files)")  \
  X(STRING, motions_dir, "config/motions", 0, 0, NULL,                                         \
    "Directory of the motions the page offers (YAML, as config/motions)")

DTW_PARAM_STRUCT(dtw_viewer_node_settings_t, DTW_VIEWER_NODE_PARAMS);
extern const dtw_param_table_t dtw_viewer_node_param_table;

/* One robot/twin pair to show. */
typedef struct dtw_viewer_pair {
  char robot_ns[256], twin_ns[256];
  char status_topic[512];        /* sync status, e.g. /sync/status */
  char resync_service[512];      /* e.g. /sync/resync; "" = none */
  char robot_controller[256];    /* robot's trajectory controller name */
  char twin_controller[256];     /* twin's; "" = motions go to the robot only */
  bool emulator;                 /* the robot is dtwin's emulator: fault controls */
} dtw_viewer_pair_t;

typedef struct dtw_viewer_node_config {
  const dtw_robot_desc_t *robot; /* model (for poses and geometry); required */
  const dtw_viewer_pair_t *pairs;
  size_t n_pairs;
  double alarm_position_error_rad;  /* colours: green at 0 to red at this */
  const char *joint_groups;         /* sync.joint_groups, for the page's group plots */
} dtw_viewer_node_config_t;

typedef struct dtw_viewer_node dtw_viewer_node_t;

/* Create the bus endpoints and start serving (without a page, warned, when
 * web_root is not found). Returns 0, DTW_EIO (address in use), DTW_EMODEL,
 * DTW_EDDS, DTW_ENOMEM. */
int dtw_viewer_node_create(const dtw_viewer_node_settings_t *s, const dtw_viewer_node_config_t *c,
                           const dtw_node_host_t *host, dtw_viewer_node_t **out, char *err,
                           size_t errlen);
void dtw_viewer_node_destroy(dtw_viewer_node_t *n);
/* "http://address:port/" */
const char *dtw_viewer_node_url(const dtw_viewer_node_t *n);
int dtw_viewer_node_port(const dtw_viewer_node_t *n);
bool dtw_viewer_node_read_only(const dtw_viewer_node_t *n);

#endif /* DTW_VIEWER_NODE_H */
