/* ROS-TCP-Endpoint frames: u32 LE dest_len | dest | u32 LE payload_len | payload. */
#include <string.h>

#include "dtw/bridge.h"
#include "dtw/err.h"

static uint32_t get_u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

int dtw_bridge_frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
                            dtw_bridge_frame_t *out, size_t *consumed, char *err, size_t errlen) {
  *consumed = 0;
  if (len < 4) return 0;
  uint32_t dest_len = get_u32le(buf);
  /* refuse oversized lengths as soon as they are known, not after buffering them */
  if (dest_len > DTW_BRIDGE_DEST_MAX)
    return dtw_errf(err, errlen, DTW_EFULL, "destination length %u is past the limit of %d",
                    (unsigned)dest_len, DTW_BRIDGE_DEST_MAX);
  if (len < 8 + (size_t)dest_len) return 0;
  uint32_t payload_len = get_u32le(buf + 4 + dest_len);
  if (payload_len > max_payload)
    return dtw_errf(err, errlen, DTW_EFULL, "payload length %u is past the limit of %zu bytes",
                    (unsigned)payload_len, max_payload);
  size_t total = 8 + (size_t)dest_len + payload_len;
  if (len < total) return 0;
  const char *dest = (const char *)buf + 4;
  size_t n = dest_len;
  if (n > 0 && dest[n - 1] == '\0') n--; /* Unity's ROS 2 mode counts a trailing NUL */
  if (memchr(dest, '\0', n) != NULL)
    return dtw_errf(err, errlen, DTW_EPARSE, "destination holds a NUL byte");
  out->dest = dest;
  out->dest_len = n;
  out->payload = buf + 8 + dest_len;
  out->payload_len = payload_len;
  *consumed = total;
  return 1;
}

size_t dtw_bridge_frame_size(size_t dest_len, size_t payload_len) {
  return 8 + dest_len + payload_len;
}

size_t dtw_bridge_frame_head(uint8_t *out, const char *dest, size_t dest_len,
                             size_t payload_len) {
  put_u32le(out, (uint32_t)dest_len);
  if (dest_len > 0) memcpy(out + 4, dest, dest_len);
  put_u32le(out + 4 + dest_len, (uint32_t)payload_len);
  return 8 + dest_len;
}

int dtw_bridge_frame_encode(uint8_t *out, size_t cap, const char *dest, const void *payload,
                            size_t payload_len) {
  size_t dest_len = dest ? strlen(dest) : 0;
  if (dest_len > UINT32_MAX || payload_len > UINT32_MAX) return DTW_ERANGE;
  size_t total = dtw_bridge_frame_size(dest_len, payload_len);
  if (total > cap || total > (size_t)INT32_MAX) return DTW_EFULL;
  size_t off = dtw_bridge_frame_head(out, dest, dest_len, payload_len);
  if (payload_len > 0) memcpy(out + off, payload, payload_len);
  return (int)total;
}
