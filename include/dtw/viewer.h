/* dtw/viewer.h - a Foxglove WebSocket protocol server (foxglove.websocket.v1)
 * that also serves a static web directory (the dtwin page) over HTTP, on
 * libwebsockets.
 *
 * The owner declares channels (topic, encoding, schema) and services before
 * starting, then feeds messages from the server's own thread: the server runs
 * one thread that services the sockets and calls the owner's tick every
 * tick_ms; publish / reply / send functions are called from the callbacks
 * (tick, on_call, on_publish, on_subscribe) only, i.e. in that thread.
 *
 * Protocol (docs/viewer.md): on connect serverInfo, advertise (all channels)
 * and advertiseServices; subscribe / unsubscribe; messageData (opcode 1) for
 * subscribed channels; services (serviceCallRequest -> on_call ->
 * dtw_viewer_reply or dtw_viewer_call_failed); clientPublish (client
 * advertise + client message data -> on_publish) for topics the owner allows;
 * assets (fetchAsset -> on_fetch_asset -> a fetch asset response).
 * With read_only, services and clientPublish are neither advertised nor
 * accepted.
 *
 * Bounded: each client has a queue of at most queue_bytes of outgoing frames;
 * when a new frame does not fit, the oldest frames are dropped (counted).
 * Input: a malformed message (bad JSON, unknown op, a field of the wrong type,
 * a binary frame too short, an unknown channel or service, a message larger
 * than max_rx_bytes) closes that client's connection and no other.
 *
 * Memory: create allocates; frames are allocated per message (freed when sent
 * or dropped). Errors: 0 or negative DTW_E*. */
#ifndef DTW_VIEWER_H
#define DTW_VIEWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dtw_viewer dtw_viewer_t;

typedef struct dtw_viewer_callbacks {
  /* every tick_ms in the server thread (poll inputs, publish) */
  void (*tick)(dtw_viewer_t *v, void *user);
  /* a client subscribed to a channel (e.g. send it the latched message) */
  void (*on_subscribe)(dtw_viewer_t *v, uint32_t client, uint32_t channel, void *user);
  /* a service call: answer later with dtw_viewer_reply / dtw_viewer_call_failed */
  void (*on_call)(dtw_viewer_t *v, uint32_t client, uint32_t service, uint32_t call_id,
                  const uint8_t *payload, size_t len, void *user);
  /* a client published on an allowed topic (payload in the advertised encoding);
   * return 0 if accepted, else a negative DTW_E* (the client gets a status warning) */
  int (*on_publish)(dtw_viewer_t *v, uint32_t client, const char *topic,
                    const uint8_t *payload, size_t len, void *user);
  /* a fetchAsset request (capability "assets" is advertised when set; also in
   * read-only mode): set *data (malloc'ed, the server frees it) and *len and
   * return 0, or return a negative DTW_E* with a one-line reason in why (the
   * client gets it in the error response). NULL: fetchAsset unsupported. */
  int (*on_fetch_asset)(dtw_viewer_t *v, const char *uri, uint8_t **data, size_t *len,
                        char *why, size_t whylen, void *user);
} dtw_viewer_callbacks_t;

typedef struct dtw_viewer_options {
  const char *address;      /* bind address; NULL/"" = 127.0.0.1 */
  int port;                 /* 0 = any free port (dtw_viewer_port tells which) */
  const char *web_root;     /* directory served at / (NULL: no HTTP files) */
  const char *name;         /* serverInfo name */
  bool read_only;           /* no services, no client publishing */
  size_t queue_bytes;       /* per client outgoing budget; 0 = 8 MiB */
  size_t max_rx_bytes;      /* largest client message; 0 = 1 MiB */
  int tick_ms;              /* 0 = 5 */
  int max_clients;          /* 0 = 32 */
} dtw_viewer_options_t;

typedef struct dtw_viewer_stats {
  uint64_t clients_total, clients_now, clients_refused;
  uint64_t closed_malformed;       /* connections closed for malformed input */
  uint64_t frames_sent, bytes_sent, frames_dropped;
  uint64_t calls, publishes, assets;
} dtw_viewer_stats_t;

/* Create the server (not listening yet). Allocates. */
int dtw_viewer_create(const dtw_viewer_options_t *opt, const dtw_viewer_callbacks_t *cb,
                      void *user, dtw_viewer_t **out, char *err, size_t errlen);
/* Declare a channel before start: encoding "cdr" (schema ros2msg) or "json".
 * Returns its id (>= 1) or a negative DTW_E*. Strings are copied. */
int dtw_viewer_add_channel(dtw_viewer_t *v, const char *topic, const char *encoding,
                           const char *schema_name, const char *schema_encoding,
                           const char *schema);
/* Declare a service before start (request/response schemas as ros2msg text). */
int dtw_viewer_add_service(dtw_viewer_t *v, const char *name, const char *type,
                           const char *request_schema, const char *response_schema);
/* Allow clients to publish on topic (encoding "cdr", schema_name its type). */
int dtw_viewer_allow_publish(dtw_viewer_t *v, const char *topic, const char *schema_name);
/* Bind and start the server thread. DTW_EIO if the address cannot be bound. */
int dtw_viewer_start(dtw_viewer_t *v, char *err, size_t errlen);
/* The port listened on (after start). */
int dtw_viewer_port(const dtw_viewer_t *v);
/* Stop the thread, close every connection, free. NULL ok. Any thread. */
void dtw_viewer_destroy(dtw_viewer_t *v);

/* ---- server thread only ---- */
/* Queue a message to every subscriber of channel (stamp in ns). */
void dtw_viewer_publish(dtw_viewer_t *v, uint32_t channel, uint64_t stamp_ns,
                        const void *payload, size_t len);
/* Queue a message to one client if it subscribes to channel. */
void dtw_viewer_send(dtw_viewer_t *v, uint32_t client, uint32_t channel, uint64_t stamp_ns,
                     const void *payload, size_t len);
/* Whether any client subscribes to channel. */
bool dtw_viewer_subscribed(const dtw_viewer_t *v, uint32_t channel);
/* Answer a service call (encoding "cdr"); a client that left is ignored. */
void dtw_viewer_reply(dtw_viewer_t *v, uint32_t client, uint32_t service, uint32_t call_id,
                      const void *payload, size_t len);
void dtw_viewer_call_failed(dtw_viewer_t *v, uint32_t client, uint32_t service,
                            uint32_t call_id, const char *message);
void dtw_viewer_get_stats(const dtw_viewer_t *v, dtw_viewer_stats_t *out);

/* ---- testing: the message handler without sockets (fuzz/fuzz_viewer.c) ----
 * Feed one complete client message as a new client of a server that was
 * created but not started; returns 0 if the client stays, < 0 if it would be
 * closed. Frames queued for it are discarded. */
int dtw_viewer_test_input(dtw_viewer_t *v, const uint8_t *data, size_t len, bool binary);

#endif /* DTW_VIEWER_H */
