/* viewer__internal.h - the Foxglove server's state, shared by the session
 * logic (viewer_session.c: protocol, queues; no sockets) and the libwebsockets
 * glue (viewer_server.c). Internal to src/viewer. */
#ifndef DTW_VIEWER__INTERNAL_H
#define DTW_VIEWER__INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/viewer.h"

/* enough for dtwin up's 64 pairs (up.twins): 5 channels, 4 services and 3
 * client-publish topics per pair, plus the shared ones */
#define DTW__VIEWER_MAX_CHANNELS 400
#define DTW__VIEWER_MAX_SERVICES 300
#define DTW__VIEWER_MAX_PUBLISH 200
#define DTW__VIEWER_MAX_SUBS DTW__VIEWER_MAX_CHANNELS /* subscriptions per client */
#define DTW__VIEWER_MAX_CLIENT_CH 64    /* client-advertised channels per client */
#define DTW__VIEWER_PRE 16              /* room before each frame for the ws header (LWS_PRE) */

typedef struct dtw__vchannel {
  char *topic, *encoding, *schema_name, *schema_encoding, *schema;
} dtw__vchannel_t;

typedef struct dtw__vservice {
  char *name, *type, *req_schema, *resp_schema;
} dtw__vservice_t;

/* One queued outgoing frame: DTW__VIEWER_PRE bytes of headroom, then len bytes. */
typedef struct dtw__vframe {
  struct dtw__vframe *next;
  size_t len;
  bool binary;
  uint8_t data[];
} dtw__vframe_t;

typedef struct dtw__vsession {
  struct dtw__vsession *next;
  uint32_t id;
  void *wsi;                       /* struct lws *, NULL for test input */
  dtw__vframe_t *head, *tail;      /* outgoing queue, oldest first */
  size_t queued_bytes;
  struct { uint32_t sub_id, channel; } subs[DTW__VIEWER_MAX_SUBS];
  size_t n_subs;
  struct { uint32_t id; int allowed; } cch[DTW__VIEWER_MAX_CLIENT_CH];  /* allowed: index */
  size_t n_cch;
  uint8_t *rx;                     /* a message being reassembled */
  size_t rx_len, rx_cap;
  bool rx_binary, closing;
} dtw__vsession_t;

struct dtw_viewer {
  dtw_viewer_options_t o;
  char *address, *web_root, *name;
  dtw_viewer_callbacks_t cb;
  void *user;
  dtw__vchannel_t ch[DTW__VIEWER_MAX_CHANNELS];
  size_t n_ch;
  dtw__vservice_t svc[DTW__VIEWER_MAX_SERVICES];
  size_t n_svc;
  struct { char *topic, *schema_name; } pub[DTW__VIEWER_MAX_PUBLISH];
  size_t n_pub;
  dtw__vsession_t *sessions;
  uint32_t next_client;
  dtw_viewer_stats_t st;
  /* libwebsockets */
  void *ctx;                       /* struct lws_context * */
  void *vhost;
  int port;
  pthread_t thread;
  bool started;
  volatile int stop;
  void *glue;                      /* viewer_server.c's private state */
};

/* Session lifecycle and input, in the server thread. */
dtw__vsession_t *dtw__vsession_open(dtw_viewer_t *v, void *wsi);
void dtw__vsession_free(dtw_viewer_t *v, dtw__vsession_t *s);
dtw__vsession_t *dtw__vsession_find(dtw_viewer_t *v, uint32_t id);
/* Handle one complete message; < 0: close the client (reason logged). */
int dtw__vsession_input(dtw_viewer_t *v, dtw__vsession_t *s, const uint8_t *data, size_t len,
                        bool binary);
/* Queue a frame (copied) with drop-oldest; tells the glue to write. */
void dtw__vsession_queue(dtw_viewer_t *v, dtw__vsession_t *s, const void *hdr, size_t hdr_len,
                         const void *body, size_t len, bool binary);
/* Pop the oldest frame (caller frees), or NULL. */
dtw__vframe_t *dtw__vsession_pop(dtw__vsession_t *s);

/* The glue: ask for a writable callback on a session (no-op without sockets). */
void dtw__vserver_want_write(dtw_viewer_t *v, dtw__vsession_t *s);

#endif /* DTW_VIEWER__INTERNAL_H */
