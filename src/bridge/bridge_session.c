/* The bridge's session layer: one client's side of the ROS-TCP-Endpoint
 * protocol. Frames are decoded from the transport's input, commands are
 * parsed and handed to the router, answers and errors go back as frames
 * through the transport (this file makes no socket call). */
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge__server.h"
#include "dtw/clock.h"
#include "dtw/err.h"

#define LOG DTW__BRIDGE_LOG
#define ERRORS_PER_S 10 /* __log/__warn/__error frames per client and second */

void dtw__bs_refuse(dtw_bridge_server_t *s, dtw_bridge_refusal_t r) {
  dtw__bt_lock(s->tp);
  s->refused[r]++;
  dtw__bt_unlock(s->tp);
  dtw_counter_add(s->m.refused[r], 1);
}

/* ---- output ----------------------------------------------------------------------------- */

void dtw__bs_send_frame(dtw__bs_client_t *c, const char *dest, const void *payload, size_t len) {
  uint8_t head[8 + DTW_BRIDGE_DEST_MAX];
  size_t dl = strlen(dest);
  if (dl > DTW_BRIDGE_DEST_MAX) return;
  size_t hl = dtw_bridge_frame_head(head, dest, dl, len);
  struct iovec iov[2] = {{head, hl}, {(void *)payload, len}};
  dtw__bt_send(c->conn, iov, len > 0 ? 2 : 1);
}

void dtw__bs_send_locked(dtw__bs_client_t *c, const char *dest, const void *payload, size_t len) {
  dtw__bt_lock(c->srv->tp);
  dtw__bs_send_frame(c, dest, payload, len);
  dtw__bt_unlock(c->srv->tp);
}

/* Errors are rate-limited per client so a client repeating a mistake cannot
 * make us flood it. */
void dtw__bs_send_text(dtw__bs_client_t *c, const char *cmd, const char *fmt, ...) {
  int64_t now = dtw_clock_mono_ns();
  if (now - c->err_window_ns >= DTW_NS_PER_S) {
    c->err_window_ns = now;
    c->err_in_window = 0;
  }
  if (++c->err_in_window > ERRORS_PER_S) return;
  char text[600], json[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  int len = dtw_bridge_json_text(json, sizeof json, text);
  if (len > 0) dtw__bs_send_locked(c, cmd, json, (size_t)len);
  dtw_log_limited(&c->srv->lim, strcmp(cmd, "__error") == 0 ? DTW_LOG_WARN : DTW_LOG_INFO, LOG,
                  "client #%u (%s): %s", c->id, c->peer, text);
}

/* ---- input ------------------------------------------------------------------------------- */

static void close_with(dtw__bs_client_t *c, dtw_bridge_refusal_t reason, const char *what) {
  if (!dtw__bt_conn_close(c->conn, DTW__BT_CLOSE_APP + (int)reason)) return;
  dtw__bs_refuse(c->srv, reason);
  DTW_WARN(LOG, "client #%u (%s): %s: closing the connection", c->id, c->peer, what);
}

static void handle_command(dtw__bs_client_t *c, const dtw_bridge_frame_t *f) {
  dtw_bridge_cmd_t cmd;
  char err[300];
  int rc = dtw_bridge_cmd_parse(f->dest, f->dest_len, f->payload, f->payload_len, &cmd, err,
                                sizeof err);
  if (rc < 0) {
    close_with(c, rc == DTW_EUNSUP ? DTW_BRIDGE_REFUSAL_UNKNOWN_COMMAND : DTW_BRIDGE_REFUSAL_BAD_JSON,
               err);
    return;
  }
  switch (cmd.kind) {
  case DTW_BRIDGE_CMD_SUBSCRIBE: dtw__br_subscribe(c, &cmd); break;
  case DTW_BRIDGE_CMD_PUBLISH: dtw__br_publish(c, &cmd); break;
  case DTW_BRIDGE_CMD_ROS_SERVICE: dtw__br_service(c, &cmd, false); break;
  case DTW_BRIDGE_CMD_UNITY_SERVICE: dtw__br_service(c, &cmd, true); break;
  case DTW_BRIDGE_CMD_REQUEST:
  case DTW_BRIDGE_CMD_RESPONSE:
    c->pending = cmd.kind;
    c->pending_srv_id = cmd.srv_id;
    break;
  case DTW_BRIDGE_CMD_TOPIC_LIST: dtw__br_topic_list(c); break;
  case DTW_BRIDGE_CMD_REMOVE_SUBSCRIBER:
  case DTW_BRIDGE_CMD_REMOVE_PUBLISHER:
  case DTW_BRIDGE_CMD_REMOVE_ROS_SERVICE:
  case DTW_BRIDGE_CMD_REMOVE_UNITY_SERVICE: dtw__br_remove(c, &cmd); break;
  default:
    /* __handshake/__log/... flow server -> client; a client sending them is harmless */
    DTW_DEBUG(LOG, "client #%u sent %s: ignored", c->id, dtw_bridge_cmd_name(cmd.kind));
    break;
  }
}

/* True if the frame was published on DDS. */
static bool handle_data(dtw__bs_client_t *c, const dtw_bridge_frame_t *f) {
  char dest[DTW_BRIDGE_DEST_MAX + 1];
  memcpy(dest, f->dest, f->dest_len);
  dest[f->dest_len] = '\0';
  int pending = c->pending;
  c->pending = 0;
  if (pending == DTW_BRIDGE_CMD_REQUEST)
    dtw__br_ros_request(c, dest, f->payload, f->payload_len, c->pending_srv_id);
  else if (pending == DTW_BRIDGE_CMD_RESPONSE)
    dtw__br_unity_response(c, f->payload, f->payload_len, c->pending_srv_id);
  else
    return dtw__br_data(c, dest, f->payload, f->payload_len);
  return false;
}

/* Whole frames off the front of the input; the rest waits for more bytes.
 * The server's tallies are added once per call, not per frame: a client
 * streaming small messages sends dozens per read. */
static size_t on_input(void *user, dtw__bt_conn_t *conn, const uint8_t *buf, size_t len) {
  dtw_bridge_server_t *s = user;
  dtw__bs_client_t *c = dtw__bt_conn_user(conn);
  size_t off = 0, used = 0;
  uint64_t frames = 0, published = 0;
  bool active = false;
  dtw_bridge_frame_t f;
  char err[200];
  int rc = 0;
  while (!dtw__bt_conn_closing(conn) &&
         (rc = dtw_bridge_frame_decode(buf + off, len - off, s->cfg.max_frame_bytes, &f, &used,
                                       err, sizeof err)) == 1) {
    off += used;
    frames++;
    if (f.dest_len == 0) continue; /* keepalive */
    active = true;
    if (f.dest_len >= 2 && f.dest[0] == '_' && f.dest[1] == '_')
      handle_command(c, &f);
    else
      published += handle_data(c, &f);
  }
  if (frames > 0) {
    dtw__bt_lock(s->tp);
    s->frames_in += frames;
    s->bytes_in += off;
    s->published += published;
    dtw__bt_unlock(s->tp);
    dtw_counter_add(s->m.frames_in, frames);
    dtw_counter_add(s->m.bytes_in, off);
    c->bytes_in += off;
    if (active) c->last_cmd_ns = dtw__bt_conn_last_rx(conn); /* when these bytes came */
  }
  if (rc < 0)
    close_with(c, rc == DTW_EFULL ? DTW_BRIDGE_REFUSAL_FRAME_TOO_LARGE
                                  : DTW_BRIDGE_REFUSAL_MALFORMED_FRAME,
               err);
  return off;
}

/* ---- connections --------------------------------------------------------------------------- */

static int on_open(void *user, dtw__bt_conn_t *conn) {
  dtw_bridge_server_t *s = user;
  dtw__bs_client_t *c = calloc(1, sizeof *c);
  if (c == NULL) return DTW_ENOMEM;
  c->srv = s;
  c->conn = conn;
  c->id = dtw__bt_conn_id(conn);
  c->last_cmd_ns = dtw_clock_mono_ns();
  snprintf(c->peer, sizeof c->peer, "%s", dtw__bt_conn_peer(conn));
  dtw__bt_conn_set_user(conn, c);
  char hs[128];
  int hl = dtw_bridge_json_handshake(hs, sizeof hs);
  dtw__bs_send_frame(c, "__handshake", hs, hl > 0 ? (size_t)hl : 0); /* the first frame, always */
  DTW_INFO(LOG, "client #%u connected from %s", c->id, c->peer);
  return 0;
}

static void on_closing(void *user, dtw__bt_conn_t *conn, int why) {
  (void)user;
  dtw__bs_client_t *c = dtw__bt_conn_user(conn);
  dtw_bridge_refusal_t r;
  const char *what;
  switch (why) {
  case DTW__BT_CLOSE_TRUNCATED:
    r = DTW_BRIDGE_REFUSAL_TRUNCATED;
    what = "connection ended inside a frame";
    break;
  case DTW__BT_CLOSE_OVERSIZE:
    r = DTW_BRIDGE_REFUSAL_FRAME_TOO_LARGE; /* the decoder refuses longer frames first */
    what = "frame does not fit";
    break;
  case DTW__BT_CLOSE_IDLE:
    r = DTW_BRIDGE_REFUSAL_IDLE_TIMEOUT;
    what = "idle timeout";
    break;
  case DTW__BT_CLOSE_HANDSHAKE:
    r = DTW_BRIDGE_REFUSAL_HANDSHAKE_TIMEOUT;
    what = "no whole frame within handshake_timeout_s";
    break;
  case DTW__BT_CLOSE_SLOW:
    r = DTW_BRIDGE_REFUSAL_SLOW_FRAME;
    what = "frame not finished within frame_timeout_s";
    break;
  case DTW__BT_CLOSE_EVICTED:
    r = DTW_BRIDGE_REFUSAL_EVICTED;
    what = "every slot taken: this idle client (keepalives only) gives its slot to a new one";
    break;
  default:
    return; /* the client left: nothing to count */
  }
  dtw__bs_refuse(c->srv, r);
  dtw_log_limited(&c->srv->lim, DTW_LOG_WARN, LOG, "client #%u (%s): %s: closing the connection",
                  c->id, c->peer, what);
}

static void on_close(void *user, dtw__bt_conn_t *conn) {
  dtw_bridge_server_t *s = user;
  dtw__bs_client_t *c = dtw__bt_conn_user(conn);
  dtw__br_client_gone(s, c);
  DTW_INFO(LOG, "client #%u (%s) disconnected", c->id, c->peer);
  /* a client that made the bridge hold much (readers, buffers, calls) is gone:
   * give the memory back to the system, not only to malloc's free lists */
  bool trim = c->regs_peak >= 16 || c->bytes_in >= (4u << 20);
  free(c);
  dtw__br_collect_garbage(s);
  if (trim) malloc_trim(0);
}

static void on_refused(void *user, const char *peer, int why) {
  dtw_bridge_server_t *s = user;
  dtw_bridge_refusal_t r = why == DTW__BT_REFUSE_PER_ADDR ? DTW_BRIDGE_REFUSAL_PER_ADDRESS
                           : why == DTW__BT_REFUSE_NO_FD  ? DTW_BRIDGE_REFUSAL_NO_FD
                                                          : DTW_BRIDGE_REFUSAL_MAX_CLIENTS;
  dtw__bs_refuse(s, r);
  if (r != DTW_BRIDGE_REFUSAL_NO_FD) /* the transport logs that one */
    dtw_log_limited(&s->lim, DTW_LOG_WARN, LOG, "refused %s: %s connected", peer,
                    r == DTW_BRIDGE_REFUSAL_PER_ADDRESS ? "max_clients_per_address from it"
                                                        : "max_clients, none idle");
}

/* A client holding nothing (no registration, no call) has been idle since
 * its last frame other than a keepalive: it may give its slot to a newcomer. */
static int64_t idle_since(void *user, dtw__bt_conn_t *conn) {
  dtw_bridge_server_t *s = user;
  dtw__bs_client_t *c = dtw__bt_conn_user(conn);
  if (c == NULL || c->n_regs > 0 || dtw__calls_of(&s->calls, c) > 0) return INT64_MAX;
  return c->last_cmd_ns;
}

const dtw__bt_handler_t dtw__bs_handler = {
    .on_open = on_open,
    .on_input = on_input,
    .on_closing = on_closing,
    .on_close = on_close,
    .on_refused = on_refused,
    .idle_since = idle_since,
};
