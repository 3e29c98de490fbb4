/* dtw/bridge.h - the ROS-TCP-Endpoint protocol (v0.7, ROS 2 mode) as pure
 * functions of bytes: frame codec, system-command parsing, the JSON bodies
 * the server sends. No sockets, no DDS: the server is dtw/bridge_node.h.
 *
 * A frame is  u32 LE dest_len | dest | u32 LE payload_len | payload.
 * Destinations starting with "__" are system commands with a JSON payload;
 * any other destination is a topic or service name with a CDR payload (with
 * its 4-byte encapsulation header). Unity writes destinations and JSON bodies
 * with a trailing NUL counted in the length: the decoder strips one trailing
 * NUL from the destination and the command parser one from the JSON, neither
 * requires it. An empty destination is a keepalive. Frames we send carry no
 * NULs (the Python endpoint sends none either).
 *
 * Thread-safety: every function is pure (no global state); cJSON's default
 * allocator is used by the JSON functions. */
#ifndef DTW_BRIDGE_H
#define DTW_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTW_BRIDGE_PROTOCOL_VERSION "v0.7.0"
/* Longest destination accepted (a ROS name is at most 255 bytes + NUL). */
#define DTW_BRIDGE_DEST_MAX 1024
/* Capacity of the name fields of a parsed command (NUL included). */
#define DTW_BRIDGE_NAME_MAX 256
/* Unity numbers its service calls from 101, the endpoint from 1001. */
#define DTW_BRIDGE_FIRST_SRV_ID 1001

/* One decoded frame: views into the caller's input buffer. dest is not
 * NUL-terminated (dest_len bytes, trailing NUL already stripped). */
typedef struct dtw_bridge_frame {
  const char *dest;
  size_t dest_len;
  const uint8_t *payload;
  size_t payload_len;
} dtw_bridge_frame_t;

/* Decode the frame at the start of buf[0..len).
 * Returns 1 with *out and *consumed (bytes of the whole frame) set; 0 if buf
 * holds only part of a frame (read more; *consumed = 0); DTW_EFULL if a
 * length is past its limit (dest_len > DTW_BRIDGE_DEST_MAX or payload_len >
 * max_payload): known from the first 4 or dest_len + 8 bytes, before the
 * payload arrives; DTW_EPARSE if the destination holds a NUL byte other than
 * one trailing NUL. err (may be NULL) names the problem. Never reads past len. */
int dtw_bridge_frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
                            dtw_bridge_frame_t *out, size_t *consumed, char *err, size_t errlen);

/* Bytes a frame with these lengths takes on the wire (8 + dest + payload). */
size_t dtw_bridge_frame_size(size_t dest_len, size_t payload_len);

/* The 8 + dest_len bytes in front of the payload: u32 LE dest_len, dest,
 * u32 LE payload_len. out must hold dest_len + 8 bytes. Returns the bytes
 * written. Used to send a payload without copying it (writev). */
size_t dtw_bridge_frame_head(uint8_t *out, const char *dest, size_t dest_len,
                             size_t payload_len);

/* Encode a whole frame into out (cap bytes). Returns the frame size, or
 * DTW_EFULL if it does not fit (out unchanged), DTW_ERANGE if a length does
 * not fit in 32 bits. */
int dtw_bridge_frame_encode(uint8_t *out, size_t cap, const char *dest, const void *payload,
                            size_t payload_len);

/* ---- system commands ----------------------------------------------------- */
/* X(ENUM, "destination", needs_topic, needs_message_name, needs_srv_id) */
#define DTW_BRIDGE_CMD_MAP(X)                                       \
  X(SUBSCRIBE, "__subscribe", 1, 1, 0)                              \
  X(PUBLISH, "__publish", 1, 1, 0)                                  \
  X(ROS_SERVICE, "__ros_service", 1, 1, 0)                          \
  X(UNITY_SERVICE, "__unity_service", 1, 1, 0)                      \
  X(REQUEST, "__request", 0, 0, 1)                                  \
  X(RESPONSE, "__response", 0, 0, 1)                                \
  X(TOPIC_LIST, "__topic_list", 0, 0, 0)                            \
  X(REMOVE_SUBSCRIBER, "__remove_subscriber", 1, 0, 0)              \
  X(REMOVE_PUBLISHER, "__remove_publisher", 1, 0, 0)                \
  X(REMOVE_ROS_SERVICE, "__remove_ros_service", 1, 0, 0)            \
  X(REMOVE_UNITY_SERVICE, "__remove_unity_service", 1, 0, 0)        \
  X(HANDSHAKE, "__handshake", 0, 0, 0)                              \
  X(LOG, "__log", 0, 0, 0)                                          \
  X(WARN, "__warn", 0, 0, 0)                                        \
  X(ERROR, "__error", 0, 0, 0)

typedef enum {
  DTW_BRIDGE_CMD_NONE = 0, /* not a system command: a topic/service frame */
#define DTW__BRIDGE_CMD_ENUM(e, name, t, m, s) DTW_BRIDGE_CMD_##e,
  DTW_BRIDGE_CMD_MAP(DTW__BRIDGE_CMD_ENUM)
#undef DTW__BRIDGE_CMD_ENUM
  DTW_BRIDGE_CMD_COUNT
} dtw_bridge_cmd_kind_t;

/* A parsed command. Fields a command does not carry are empty / 0. */
typedef struct dtw_bridge_cmd {
  dtw_bridge_cmd_kind_t kind;
  char topic[DTW_BRIDGE_NAME_MAX];
  char message_name[DTW_BRIDGE_NAME_MAX]; /* as sent: "sensor_msgs/JointState" */
  int64_t queue_size;                     /* __publish, 0 if absent */
  bool latch;                             /* __publish */
  int64_t srv_id;                         /* __request / __response */
} dtw_bridge_cmd_t;

/* The command a destination names: DTW_BRIDGE_CMD_NONE if it does not start
 * with "__", else the kind, or DTW_EUNSUP for an unknown "__" name. */
int dtw_bridge_cmd_lookup(const char *dest, size_t dest_len);
/* "__subscribe" for DTW_BRIDGE_CMD_SUBSCRIBE; "" for NONE / out of range. */
const char *dtw_bridge_cmd_name(int kind);

/* Parse a system command frame. payload is JSON (one trailing NUL allowed;
 * an empty payload counts as {}), which must be an object holding the fields
 * the command needs: "topic" and "message_name" strings (< DTW_BRIDGE_NAME_MAX
 * bytes, no NUL), "srv_id" an integer >= 0. Extra fields are ignored.
 * Returns 0 with *out filled, DTW_EUNSUP for an unknown "__" command,
 * DTW_EINVAL if dest is not a system command, DTW_EPARSE for bad JSON or a
 * missing/mistyped field (err says which). Allocates only inside cJSON. */
int dtw_bridge_cmd_parse(const char *dest, size_t dest_len, const uint8_t *payload, size_t len,
                         dtw_bridge_cmd_t *out, char *err, size_t errlen);

/* ---- names ------------------------------------------------------------------ */
/* "sensor_msgs/JointState" or "sensor_msgs/msg/JointState" -> the canonical
 * "pkg/<kind>/Name" (kind "msg" or "srv"). DTW_EPARSE if the name is not
 * pkg/Name or pkg/kind/Name with non-empty parts, DTW_EFULL if out is small. */
int dtw_bridge_type_canonical(const char *name, bool service, char *out, size_t outlen);
/* "pkg/msg/Name" -> "pkg/Name" (as Unity lists types); other text is copied. */
int dtw_bridge_type_short(const char *name, char *out, size_t outlen);

/* ---- JSON bodies the server sends (no trailing NUL) ------------------------ */
/* Each writes into out (cap bytes, NUL-terminated) and returns the length, or
 * DTW_EFULL if it does not fit, DTW_ENOMEM. */
/* {"version":"v0.7.0","metadata":"{\"protocol\": \"ROS2\"}"} */
int dtw_bridge_json_handshake(char *out, size_t cap);
/* {"text":"..."} for __log / __warn / __error (text escaped). */
int dtw_bridge_json_text(char *out, size_t cap, const char *text);
/* {"srv_id":N} for __request / __response. */
int dtw_bridge_json_srv_id(char *out, size_t cap, int64_t srv_id);
/* {"topics":[...],"types":[...]}: n names and their types (shortened with
 * dtw_bridge_type_short) into a malloc'd string (*out, free() it). */
int dtw_bridge_json_topic_list(const char *const *topics, const char *const *types, size_t n,
                               char **out, size_t *len);

#endif /* DTW_BRIDGE_H */
