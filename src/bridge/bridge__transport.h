/* bridge__transport.h - the bridge's TCP transport: a listening socket, an
 * epoll loop, and connections that read into a growing input buffer and
 * write through a bounded frame queue (bridge__queue.h, drop oldest).
 *
 * It knows bytes and messages, not ROS nor the frame format: input is handed
 * to the layer above (on_input), which says how much it consumed; output is
 * a gather list sent as one message (the unit the queue drops). Like Redis'
 * ae + anet + connection, it could carry another protocol (e.g. a WebSocket
 * server would reuse the loop, the queue and the close-at-a-safe-point rule).
 *
 * Closing: a connection is never freed where the reason is found. The first
 * reason wins (dtw__bt_conn_close); at the end of each round
 * (dtw__bt_reap) closing and broken connections are handed to on_close,
 * removed and freed. Reasons the transport finds itself (peer closed, input
 * cut inside a message, input too large, idle) are told to on_closing first.
 *
 * Threads: one thread (the "poll thread") calls create, dispatch, reap,
 * close_all and destroy, and gets every callback except on_open's sends.
 * dtw__bt_send may also be called from other threads - always with the
 * transport lock held (dtw__bt_lock), which guards every connection's output,
 * the connection list and the stats; layers above may guard their own shared
 * lists with it too. dtw__bt_wake is safe from anywhere.
 *
 * Slots: max_conns open connections, max_conns_per_addr from one address; a
 * connection must send a whole message within handshake_timeout_ns and finish
 * any message it began within frame_timeout_ns (a drip-feeding peer is
 * closed); when every slot is taken, the connection idle longest (the layer
 * above says since when: idle_since) gives its slot to the newcomer once idle
 * for slot_idle_ns. Out of descriptors (EMFILE/ENFILE), the pending
 * connection is accepted on a reserved descriptor and closed at once, and
 * accepting pauses for accept_pause_ns: no busy loop.
 * Memory: per connection at accept (input buffer 64 KiB, growing to
 * input_max_bytes) and its queue (bridge__queue.h); sending allocates only
 * when a queue grows.
 * Errors: create returns DTW_EINVAL (bad address), DTW_EIO (socket, bind,
 * listen, epoll), DTW_ENOMEM with one line in err. */
#ifndef DTW_BRIDGE__TRANSPORT_H
#define DTW_BRIDGE__TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dtw/metrics.h"

typedef struct dtw__bt dtw__bt_t;
typedef struct dtw__bt_conn dtw__bt_conn_t;

/* Close reasons the transport finds; the layer above uses values from
 * DTW__BT_CLOSE_APP up for its own. */
enum {
  DTW__BT_CLOSE_PEER = 0,  /* the peer closed, or the socket failed: a normal end */
  DTW__BT_CLOSE_TRUNCATED, /* the peer closed with a message half sent */
  DTW__BT_CLOSE_OVERSIZE,  /* unconsumed input reached input_max_bytes */
  DTW__BT_CLOSE_IDLE,      /* nothing received for idle_timeout_ns */
  DTW__BT_CLOSE_HANDSHAKE, /* no whole message within handshake_timeout_ns of the accept */
  DTW__BT_CLOSE_SLOW,      /* a message begun was not finished within frame_timeout_ns */
  DTW__BT_CLOSE_EVICTED,   /* an idle connection gave its slot to a new one */
  DTW__BT_CLOSE_APP
};

/* Why a connection was refused at accept. */
enum {
  DTW__BT_REFUSE_FULL = 1, /* max_conns open and none idle enough to evict */
  DTW__BT_REFUSE_PER_ADDR, /* max_conns_per_addr open from that address */
  DTW__BT_REFUSE_NO_FD     /* the process is out of file descriptors (EMFILE/ENFILE) */
};

typedef struct dtw__bt_config {
  const char *bind_address; /* numeric address or host name */
  int port;                 /* 0: any free port */
  size_t max_conns;         /* more are refused (on_refused), or evict an idle one */
  size_t max_conns_per_addr; /* from one peer address; 0: no limit */
  size_t input_max_bytes;   /* largest unconsumed input a connection may hold (the
                             * first 64 KiB are always taken) */
  size_t queue_bytes, queue_frames; /* per connection: bridge__queue.h's bounds */
  int64_t idle_timeout_ns;  /* 0: never */
  int64_t handshake_timeout_ns; /* first whole message within this of the accept; 0: never */
  int64_t frame_timeout_ns; /* a message begun is finished within this; 0: never */
  int64_t slot_idle_ns;     /* when full, a connection idle (handler's idle_since) this long
                             * gives its slot to a new one; 0: never evict */
  int64_t accept_pause_ns;  /* out of descriptors: stop accepting this long */
  /* metrics the transport updates (each may be NULL) */
  dtw_gauge_t *conns;
  dtw_counter_t *frames_out, *bytes_out, *dropped;
} dtw__bt_config_t;

typedef struct dtw__bt_handler {
  void *user;
  /* c was accepted; runs with the lock held, so it may send (its first
   * message goes out before anything else). Return < 0 to drop c silently. */
  int (*on_open)(void *user, dtw__bt_conn_t *c);
  /* buf[0..len) is c's input not consumed yet; return how much is consumed
   * now (whole messages); the rest comes again with more. No lock held. */
  size_t (*on_input)(void *user, dtw__bt_conn_t *c, const uint8_t *buf, size_t len);
  /* The transport is closing c for why (DTW__BT_CLOSE_PEER ... _IDLE). */
  void (*on_closing)(void *user, dtw__bt_conn_t *c, int why);
  /* c is about to be freed: forget it (no lock held; take it to unlink c
   * from lists other threads walk). */
  void (*on_close)(void *user, dtw__bt_conn_t *c);
  /* A connection from peer was refused (DTW__BT_REFUSE_*); peer may be "?". */
  void (*on_refused)(void *user, const char *peer, int why);
  /* Since when c has been idle in the layer above's sense (CLOCK_MONOTONIC
   * ns: e.g. no registration and nothing but keepalives), or INT64_MAX if it
   * must keep its slot. NULL: never evict. */
  int64_t (*idle_since)(void *user, dtw__bt_conn_t *c);
} dtw__bt_handler_t;

/* Counters, read with the lock held. */
typedef struct dtw__bt_stats {
  uint64_t conns, accepted, frames_out, bytes_out, dropped;
  uint64_t writes; /* socket writes (gather writes: frames_out / writes per call) */
} dtw__bt_stats_t;

/* Listen on cfg's address (strings copied) and set up the loop. handler is copied. */
int dtw__bt_create(const dtw__bt_config_t *cfg, const dtw__bt_handler_t *handler,
                   dtw__bt_t **out, char *err, size_t errlen);
/* Close every connection (on_close for each) and free everything. NULL ok. */
void dtw__bt_destroy(dtw__bt_t *t);
/* Close every connection now (on_close for each), keep listening. */
void dtw__bt_close_all(dtw__bt_t *t);

/* Wait up to timeout_ns (< 0: no limit) for events and handle them: accept,
 * read (on_input), flush. Returns the number of events, 0 on timeout or EINTR, DTW_EIO. */
int dtw__bt_dispatch(dtw__bt_t *t, int64_t timeout_ns);
/* The safe point: close idle connections (at now, CLOCK_MONOTONIC ns), then
 * free every closing or broken one (on_close first). */
void dtw__bt_reap(dtw__bt_t *t, int64_t now);
/* Make a dispatch waiting in epoll return now. Any thread. */
void dtw__bt_wake(dtw__bt_t *t);

void dtw__bt_lock(dtw__bt_t *t);
void dtw__bt_unlock(dtw__bt_t *t);
/* Lock held: */
void dtw__bt_get_stats(const dtw__bt_t *t, dtw__bt_stats_t *out);
size_t dtw__bt_conn_count(const dtw__bt_t *t);

/* The bound address ("127.0.0.1", "::") and port. */
const char *dtw__bt_address(const dtw__bt_t *t);
int dtw__bt_port(const dtw__bt_t *t);

/* ---- connections ---------------------------------------------------------------------- */

/* Send one message (the niov parts of iov) to c: written now if
 * nothing waits, else queued (dropping the oldest queued messages past the
 * bounds). Lock held; any thread. Nothing happens on a broken connection. */
void dtw__bt_send(dtw__bt_conn_t *c, const struct iovec *iov, int niov);
/* Stage one frame for c (parts as dtw__bq_frame_t: up to 2, pointing at
 * memory that stays valid until dtw__bt_flush_staged); staged frames go out
 * with one gather write per connection (a connection with 64 staged frames
 * is written at once). A dtw__bt_send to c writes its staged frames first.
 * Poll thread, lock held. */
void dtw__bt_stage(dtw__bt_conn_t *c, const struct iovec *iov, int niov);
/* Write every connection's staged frames. Poll thread, lock held. */
void dtw__bt_flush_staged(dtw__bt_t *t);

/* Ask to close c with reason (>= 0). Returns true if this was the first
 * reason (the connection was open). Poll thread. */
bool dtw__bt_conn_close(dtw__bt_conn_t *c, int reason);
/* True once a close reason is set (input is no longer read). Poll thread. */
bool dtw__bt_conn_closing(const dtw__bt_conn_t *c);
/* Numbered from 1 in accept order. */
unsigned dtw__bt_conn_id(const dtw__bt_conn_t *c);
/* "host:port" of the peer. */
const char *dtw__bt_conn_peer(const dtw__bt_conn_t *c);
/* Monotonic time (ns) of the read that brought c's latest bytes. Poll thread. */
int64_t dtw__bt_conn_last_rx(const dtw__bt_conn_t *c);
/* The layer above's pointer for c (set in on_open). */
void *dtw__bt_conn_user(const dtw__bt_conn_t *c);
void dtw__bt_conn_set_user(dtw__bt_conn_t *c, void *user);

#endif /* DTW_BRIDGE__TRANSPORT_H */
