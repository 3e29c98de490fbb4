/* libFuzzer target: the viewer's client message handler (Foxglove WebSocket
 * protocol: JSON ops and binary frames) as a new client's input, and the
 * JointState CDR decoder the pose feed uses. First byte: bit 0 = binary frame. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/viewer.h"
#include "dtw/viewer_scene.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_publish(dtw_viewer_t *v, uint32_t client, const char *topic, const uint8_t *p,
                      size_t len, void *user) {
  (void)v, (void)client, (void)topic, (void)p, (void)len, (void)user;
  return 0;
}

static void on_call(dtw_viewer_t *v, uint32_t client, uint32_t svc, uint32_t call,
                    const uint8_t *p, size_t len, void *user) {
  (void)p, (void)len, (void)user;
  dtw_viewer_reply(v, client, svc, call, "\0\1\0\0\1", 5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static dtw_viewer_t *v;
  if (v == NULL) {
    dtw_viewer_options_t o = {.name = "fuzz", .queue_bytes = 1 << 16};
    dtw_viewer_callbacks_t cb = {.on_publish = on_publish, .on_call = on_call};
    if (dtw_viewer_create(&o, &cb, NULL, &v, NULL, 0) < 0) return 0;
    dtw_viewer_add_channel(v, "/a", "cdr", "sensor_msgs/msg/JointState", "ros2msg", "x");
    dtw_viewer_add_channel(v, "/b", "json", "b", "jsonschema", "{}");
    dtw_viewer_add_service(v, "/s", "std_srvs/srv/Trigger", "", "bool success");
    dtw_viewer_allow_publish(v, "/p", "std_msgs/msg/String");
  }
  if (size == 0) return 0;
  dtw_viewer_test_input(v, data + 1, size - 1, data[0] & 1);
  dtw_vjoints_t js;
  dtw_vjoints_decode(data + 1, size - 1, &js);
  return 0;
}
