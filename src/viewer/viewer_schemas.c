/* ros2msg schemas of the types the viewer advertises: the message text with
 * its dependencies appended, as Foxglove's ros2msg parser reads them. */
#include "dtw/viewer_schemas.h"

#define SEP "\n================================================================================\nMSG: "
#define TIME "builtin_interfaces/msg/Time\nint32 sec\nuint32 nanosec"
#define HEADER "std_msgs/msg/Header\nbuiltin_interfaces/msg/Time stamp\nstring frame_id"

const char dtw_schema_joint_state[] =
    "std_msgs/msg/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\n"
    "float64[] effort" SEP HEADER SEP TIME;

const char dtw_schema_diagnostic_array[] =
    "std_msgs/msg/Header header\ndiagnostic_msgs/msg/DiagnosticStatus[] status" SEP HEADER SEP TIME
    SEP "diagnostic_msgs/msg/DiagnosticStatus\nbyte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\n"
    "byte level\nstring name\nstring message\nstring hardware_id\n"
    "diagnostic_msgs/msg/KeyValue[] values" SEP "diagnostic_msgs/msg/KeyValue\nstring key\nstring value";

const char dtw_schema_tf_message[] =
    "geometry_msgs/msg/TransformStamped[] transforms" SEP
    "geometry_msgs/msg/TransformStamped\nstd_msgs/msg/Header header\nstring child_frame_id\n"
    "geometry_msgs/msg/Transform transform" SEP HEADER SEP TIME SEP
    "geometry_msgs/msg/Transform\ngeometry_msgs/msg/Vector3 translation\n"
    "geometry_msgs/msg/Quaternion rotation" SEP
    "geometry_msgs/msg/Vector3\nfloat64 x\nfloat64 y\nfloat64 z" SEP
    "geometry_msgs/msg/Quaternion\nfloat64 x\nfloat64 y\nfloat64 z\nfloat64 w";

const char dtw_schema_string[] = "string data";

const char dtw_schema_joint_trajectory[] =
    "std_msgs/msg/Header header\nstring[] joint_names\n"
    "trajectory_msgs/msg/JointTrajectoryPoint[] points" SEP HEADER SEP TIME SEP
    "trajectory_msgs/msg/JointTrajectoryPoint\nfloat64[] positions\nfloat64[] velocities\n"
    "float64[] accelerations\nfloat64[] effort\nbuiltin_interfaces/msg/Duration time_from_start" SEP
    "builtin_interfaces/msg/Duration\nint32 sec\nuint32 nanosec";

const char dtw_schema_trigger_request[] = "";
const char dtw_schema_trigger_response[] = "bool success\nstring message";

const char dtw_schema_scene_json[] = "{\"type\":\"object\"}";
