/* Type registry (ROS type name -> generated descriptor) and CDR helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dds/ddsi/ddsi_cdrstream.h>

#include "bus__internal.h"
#include "dtw/err.h"

/* One table for every type with IDL in idl/. Service types use the wire
 * structs that carry rmw_cyclonedds' request header (see idl/std_srvs.idl). */
static const dtw__type_t types[] = {
    {"builtin_interfaces/msg/Time", &builtin_interfaces_msg_dds__Time__desc, NULL, DTW__K_NONE},
    {"builtin_interfaces/msg/Duration", &builtin_interfaces_msg_dds__Duration__desc, NULL,
     DTW__K_NONE},
    {"std_msgs/msg/Header", &std_msgs_msg_dds__Header__desc, NULL, DTW__K_NONE},
    {"std_msgs/msg/String", &std_msgs_msg_dds__String__desc, NULL, DTW__K_NONE},
    {"std_msgs/msg/Float64", &std_msgs_msg_dds__Float64__desc, NULL, DTW__K_NONE},
    {"std_msgs/msg/MultiArrayDimension", &std_msgs_msg_dds__MultiArrayDimension__desc, NULL,
     DTW__K_NONE},
    {"std_msgs/msg/MultiArrayLayout", &std_msgs_msg_dds__MultiArrayLayout__desc, NULL,
     DTW__K_NONE},
    {"std_msgs/msg/Float64MultiArray", &std_msgs_msg_dds__Float64MultiArray__desc, NULL,
     DTW__K_NONE},
    {"geometry_msgs/msg/Vector3", &geometry_msgs_msg_dds__Vector3__desc, NULL, DTW__K_NONE},
    {"geometry_msgs/msg/Point", &geometry_msgs_msg_dds__Point__desc, NULL, DTW__K_NONE},
    {"geometry_msgs/msg/Quaternion", &geometry_msgs_msg_dds__Quaternion__desc, NULL,
     DTW__K_NONE},
    {"geometry_msgs/msg/Pose", &geometry_msgs_msg_dds__Pose__desc, NULL, DTW__K_NONE},
    {"geometry_msgs/msg/PoseStamped", &geometry_msgs_msg_dds__PoseStamped__desc, NULL,
     DTW__K_NONE},
    {"geometry_msgs/msg/Twist", &geometry_msgs_msg_dds__Twist__desc, NULL, DTW__K_NONE},
    {"geometry_msgs/msg/Transform", &geometry_msgs_msg_dds__Transform__desc, NULL, DTW__K_NONE},
    {"geometry_msgs/msg/TransformStamped", &geometry_msgs_msg_dds__TransformStamped__desc, NULL,
     DTW__K_NONE},
    {"tf2_msgs/msg/TFMessage", &tf2_msgs_msg_dds__TFMessage__desc, NULL, DTW__K_NONE},
    {"sensor_msgs/msg/JointState", &sensor_msgs_msg_dds__JointState__desc, NULL,
     DTW__K_JOINT_STATE},
    {"trajectory_msgs/msg/JointTrajectoryPoint", &trajectory_msgs_msg_dds__JointTrajectoryPoint__desc,
     NULL, DTW__K_NONE},
    {"trajectory_msgs/msg/JointTrajectory", &trajectory_msgs_msg_dds__JointTrajectory__desc, NULL,
     DTW__K_TRAJ},
    {"trajectory_msgs/msg/MultiDOFJointTrajectoryPoint",
     &trajectory_msgs_msg_dds__MultiDOFJointTrajectoryPoint__desc, NULL, DTW__K_NONE},
    {"control_msgs/msg/JointTrajectoryControllerState",
     &control_msgs_msg_dds__JointTrajectoryControllerState__desc, NULL, DTW__K_JTC},
    {"rosgraph_msgs/msg/Clock", &rosgraph_msgs_msg_dds__Clock__desc, NULL, DTW__K_CLOCK},
    {"diagnostic_msgs/msg/KeyValue", &diagnostic_msgs_msg_dds__KeyValue__desc, NULL, DTW__K_NONE},
    {"diagnostic_msgs/msg/DiagnosticStatus", &diagnostic_msgs_msg_dds__DiagnosticStatus__desc,
     NULL, DTW__K_NONE},
    {"diagnostic_msgs/msg/DiagnosticArray", &diagnostic_msgs_msg_dds__DiagnosticArray__desc, NULL,
     DTW__K_DIAG},
    {"rmw_dds_common/msg/ParticipantEntitiesInfo",
     &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, NULL, DTW__K_NONE},
    {"std_srvs/srv/Trigger", &std_srvs_srv_dds__Trigger_Request__desc,
     &std_srvs_srv_dds__Trigger_Response__desc, DTW__K_TRIGGER},
};

const dtw__type_t *dtw__type_find(const char *ros_type, bool service) {
  char canon[DTW_ROS_NAME_BUF];
  if (ros_type == NULL) return NULL;
  /* accept "pkg/Name" for "pkg/msg/Name" (or srv) */
  const char *slash = strchr(ros_type, '/');
  if (slash != NULL && strchr(slash + 1, '/') == NULL) {
    int n = snprintf(canon, sizeof canon, "%.*s/%s/%s", (int)(slash - ros_type), ros_type,
                     service ? "srv" : "msg", slash + 1);
    if (n < 0 || (size_t)n >= sizeof canon) return NULL;
    ros_type = canon;
  }
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if ((types[i].desc2 != NULL) == service && strcmp(types[i].ros_name, ros_type) == 0)
      return &types[i];
  }
  return NULL;
}

bool dtw_bus_has_type(const char *ros_type) { return dtw__type_find(ros_type, false) != NULL; }

static bool host_is_le(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

int dtw__serialize(const dds_topic_descriptor_t *desc, const void *sample, uint8_t **buf,
                   size_t *len) {
  dds_ostream_t os;
  dds_ostream_init(&os, 64, DTW__XCDR1);
  /* dds_stream_write emits native byte order, like Cyclone's writers */
  if (dds_stream_write(&os, sample, desc->m_ops) == NULL) {
    dds_ostream_fini(&os);
    return DTW_EPARSE;
  }
  uint8_t *out = malloc((size_t)os.m_index + 4);
  if (out == NULL) {
    dds_ostream_fini(&os);
    return DTW_ENOMEM;
  }
  out[0] = 0x00;
  out[1] = host_is_le() ? 0x01 : 0x00;
  out[2] = 0x00;
  out[3] = 0x00;
  memcpy(out + 4, os.m_buffer, os.m_index);
  *len = (size_t)os.m_index + 4;
  *buf = out;
  dds_ostream_fini(&os);
  return 0;
}

bool dtw__cdr_plain(const void *cdr, size_t len) {
  const uint8_t *in = cdr;
  return in != NULL && len >= 4 && in[0] == 0x00 && in[1] <= 0x01;
}

/* Check the header (plain CDR, either byte order), copy the body into scratch
 * and normalise it there: every length and bound validated, native order. */
static int normalize_into(const dds_topic_descriptor_t *desc, const void *cdr, size_t len,
                          uint8_t *scratch, size_t cap, uint32_t *size) {
  const uint8_t *in = cdr;
  if (!dtw__cdr_plain(cdr, len)) return DTW_EPARSE;
  if (len - 4 > cap) return DTW_EFULL;
  if (len - 4 > UINT32_MAX) return DTW_EFULL;
  *size = (uint32_t)(len - 4);
  bool bswap = (in[1] == 0x01) != host_is_le();
  memcpy(scratch, in + 4, *size);
  uint32_t off = 0;
  if (dds_stream_normalize_data((char *)scratch, &off, *size, bswap, DTW__XCDR1, desc->m_ops) ==
      NULL)
    return DTW_EPARSE;
  return 0;
}

int dtw__deserialize(const dds_topic_descriptor_t *desc, const void *cdr, size_t len,
                     void *sample, uint8_t *scratch, size_t cap) {
  uint32_t size;
  int rc = normalize_into(desc, cdr, len, scratch, cap, &size);
  if (rc < 0) return rc;
  dds_istream_t is;
  dds_istream_init(&is, size, scratch, DTW__XCDR1);
  dds_stream_read(&is, sample, desc->m_ops);
  dds_istream_fini(&is);
  return 0;
}

int dtw__cdr_check(const dds_topic_descriptor_t *desc, const void *cdr, size_t len) {
  if (len < 4) return DTW_EPARSE;
  uint8_t *scratch = malloc(len - 4 > 0 ? len - 4 : 1);
  if (scratch == NULL) return DTW_ENOMEM;
  uint32_t size;
  int rc = normalize_into(desc, cdr, len, scratch, len - 4, &size);
  free(scratch);
  return rc;
}
