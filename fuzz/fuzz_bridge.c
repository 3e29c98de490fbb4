/* libFuzzer target: the ROS-TCP-Endpoint frame decoder and command parser,
 * driven as the server drives them (a byte stream cut into frames, system
 * commands parsed), plus the command parser on raw JSON. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dtw/bridge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dtw_bridge_frame_t f;
  dtw_bridge_cmd_t cmd;
  char err[256], canon[DTW_BRIDGE_NAME_MAX];
  size_t off = 0, used = 0;
  /* the stream, as a client would send it */
  while (dtw_bridge_frame_decode(data + off, size - off, 4096, &f, &used, err, sizeof err) == 1) {
    off += used;
    if (f.dest_len >= 2 && f.dest[0] == '_' && f.dest[1] == '_' &&
        dtw_bridge_cmd_parse(f.dest, f.dest_len, f.payload, f.payload_len, &cmd, err,
                             sizeof err) == 0) {
      dtw_bridge_type_canonical(cmd.message_name, false, canon, sizeof canon);
      dtw_bridge_type_short(canon, canon, sizeof canon);
    }
  }
  /* the same bytes as the JSON body of each command */
  if (size > 0) {
    int kind = 1 + data[0] % (DTW_BRIDGE_CMD_COUNT - 1);
    const char *name = dtw_bridge_cmd_name(kind);
    dtw_bridge_cmd_parse(name, strlen(name), data + 1, size - 1, &cmd, err, sizeof err);
  }
  return 0;
}
