/* dtw/viewer_schemas.h - ros2msg schema texts (message definition followed by
 * its dependencies, "MSG: pkg/msg/Name" sections) for Foxglove channels and
 * services, and the JSON schema of the viewer's own JSON channels. */
#ifndef DTW_VIEWER_SCHEMAS_H
#define DTW_VIEWER_SCHEMAS_H

extern const char dtw_schema_joint_state[];      /* sensor_msgs/msg/JointState */
extern const char dtw_schema_diagnostic_array[]; /* diagnostic_msgs/msg/DiagnosticArray */
extern const char dtw_schema_tf_message[];       /* tf2_msgs/msg/TFMessage */
extern const char dtw_schema_string[];           /* std_msgs/msg/String */
extern const char dtw_schema_joint_trajectory[]; /* trajectory_msgs/msg/JointTrajectory */
extern const char dtw_schema_trigger_request[];  /* std_srvs/srv/Trigger */
extern const char dtw_schema_trigger_response[];
extern const char dtw_schema_scene_json[];

#endif /* DTW_VIEWER_SCHEMAS_H */
