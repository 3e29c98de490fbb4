/* The bridge's fan-out of bus samples to subscribed clients. The thread that
 * delivers a sample (Cyclone's receive thread, or a publisher's own thread
 * when it is in this process -- a physics worker in `dtwin up`) only copies
 * it into the inbox, and wakes the poll thread only when there is no fan-out
 * tick (fanout_period_us 0); the poll thread frames it once
 * per client (a header; the payload is shared) and writes each client's
 * frames of a round with one gather write (bridge__transport.h staging).
 * See bridge__server.h for the locking. */
#include <stdlib.h>
#include <string.h>

#include "bridge__queue.h"
#include "bridge__server.h"
#include "dtw/err.h"

#define LOG DTW__BRIDGE_LOG
#define INBOX_INITIAL (64 * 1024)
#define INBOX_MAX (4 * 1024 * 1024) /* per buffer: ~3500 JointStates per round */

typedef struct entry {
  dtw__br_topic_t *topic;
  uint32_t len; /* payload bytes following the entry, padded to 8 */
  uint32_t pad;
} entry_t;

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

int dtw__br_inbox_init(dtw_bridge_server_t *s) {
  return pthread_mutex_init(&s->inbox.lock, NULL) == 0 ? 0 : DTW_ENOMEM;
}

void dtw__br_inbox_fini(dtw_bridge_server_t *s) {
  pthread_mutex_destroy(&s->inbox.lock);
  free(s->inbox.buf[0]);
  free(s->inbox.buf[1]);
  free(s->inbox.hdr);
}

/* The bus's thread: copy the sample in, wake the poll thread once per batch. */
void dtw__br_on_sample(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  dtw__br_topic_t *t = user;
  dtw_bridge_server_t *s = t->srv;
  dtw__br_inbox_t *in = &s->inbox;
  const dtw_cdr_t *cdr = msg;
  size_t need = sizeof(entry_t) + pad8(cdr->len);
  bool full = false;
  pthread_mutex_lock(&in->lock);
  int f = in->fill;
  if (in->len + need > in->cap[f]) {
    size_t cap = in->cap[f] ? in->cap[f] : INBOX_INITIAL;
    while (cap < in->len + need && cap < INBOX_MAX) cap *= 2;
    uint8_t *p = cap >= in->len + need ? realloc(in->buf[f], cap) : NULL;
    if (p != NULL) {
      in->buf[f] = p;
      in->cap[f] = cap;
    } else {
      full = true;
      in->dropped++;
    }
  }
  if (!full) {
    entry_t e = {t, (uint32_t)cdr->len, 0};
    memcpy(in->buf[f] + in->len, &e, sizeof e);
    memcpy(in->buf[f] + in->len + sizeof e, cdr->data, cdr->len);
    in->len += need;
  }
  pthread_mutex_unlock(&in->lock);
  if (full) {
    dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_BACKLOG);
    return;
  }
  /* on a tick the poll thread comes by itself: waking it from here (an eventfd
   * write to a thread asleep in epoll) made a 1 kHz publisher's call 16-22 us
   * longer (bench_bridge, "the publisher as a physics worker") */
  if (!atomic_exchange(&in->wake_pending, true) && !(s->cfg.fanout_period_us > 0))
    dtw__bt_wake(s->tp);
}

/* Stage entries [from, to) of buf for their subscribers, then write. */
static void fan_chunk(dtw_bridge_server_t *s, const uint8_t *buf, size_t from, size_t to) {
  dtw__br_inbox_t *in = &s->inbox;
  size_t need = 0;
  for (size_t off = from; off < to;) {
    entry_t e;
    memcpy(&e, buf + off, sizeof e);
    for (size_t i = 0; i < e.topic->subs.n; i++) need += 8 + e.topic->subs.v[i].dest_len;
    off += sizeof e + pad8(e.len);
  }
  if (need > in->hdr_cap) { /* grows to the largest chunk seen, then stays */
    uint8_t *p = realloc(in->hdr, need);
    if (p == NULL) return;
    in->hdr = p;
    in->hdr_cap = need;
  }
  size_t h = 0;
  for (size_t off = from; off < to;) {
    entry_t e;
    memcpy(&e, buf + off, sizeof e);
    const uint8_t *payload = buf + off + sizeof e;
    for (size_t i = 0; i < e.topic->subs.n; i++) {
      const dtw__br_ref_t *r = &e.topic->subs.v[i];
      size_t hl = dtw_bridge_frame_head(in->hdr + h, r->dest, r->dest_len, e.len);
      struct iovec iov[2] = {{in->hdr + h, hl}, {(void *)payload, e.len}};
      dtw__bt_stage(r->c->conn, iov, 2);
      h += hl;
    }
    off += sizeof e + pad8(e.len);
  }
  dtw__bt_flush_staged(s->tp);
}

/* Swap the inbox's buffers: the filled one is ours until the next swap.
 * Returns its length (0: nothing came in). */
static size_t take_inbox(dtw_bridge_server_t *s, const uint8_t **buf) {
  dtw__br_inbox_t *in = &s->inbox;
  pthread_mutex_lock(&in->lock);
  int d = in->fill;
  size_t len = in->len;
  uint64_t dropped = in->dropped;
  in->fill = 1 - d;
  in->len = 0;
  pthread_mutex_unlock(&in->lock);
  if (dropped != in->dropped_logged) {
    dtw_log_limited(&s->lim, DTW_LOG_WARN, LOG,
                    "%llu samples dropped before fan-out: the bridge thread fell behind",
                    (unsigned long long)(dropped - in->dropped_logged));
    in->dropped_logged = dropped;
  }
  *buf = in->buf[d];
  return len;
}

static void fan_buffer(dtw_bridge_server_t *s, const uint8_t *buf, size_t len) {
  dtw__bt_lock(s->tp);
  /* chunks of up to DTW__BQ_BATCH_MAX samples: a client's frames of a chunk
   * go out in one gather write */
  size_t from = 0, off = 0;
  int n = 0;
  while (off < len) {
    entry_t e;
    memcpy(&e, buf + off, sizeof e);
    off += sizeof e + pad8(e.len);
    if (++n == DTW__BQ_BATCH_MAX) {
      fan_chunk(s, buf, from, off);
      from = off;
      n = 0;
    }
  }
  if (from < len) fan_chunk(s, buf, from, len);
  dtw__bt_unlock(s->tp);
}

/* Rounds of fan-out per call before the poll thread serves its sockets again. */
#define FANOUT_ROUNDS_MAX 2

void dtw__br_fanout(dtw_bridge_server_t *s) {
  dtw__br_inbox_t *in = &s->inbox;
  /* wake_pending stays set while this thread drains the inbox, so the
   * delivering threads do not write the eventfd for every sample or two; it
   * is cleared only once the inbox is found empty, then checked once more
   * (a sample that came in meanwhile saw it set and woke nobody) */
  for (int round = 0; round < FANOUT_ROUNDS_MAX; round++) {
    const uint8_t *buf;
    size_t len = take_inbox(s, &buf);
    if (len > 0) {
      fan_buffer(s, buf, len);
      continue;
    }
    atomic_store(&in->wake_pending, false);
    pthread_mutex_lock(&in->lock);
    bool more = in->len > 0;
    pthread_mutex_unlock(&in->lock);
    if (!more) return;
    atomic_store(&in->wake_pending, true);
  }
  /* still busy: serve the sockets, then come back (the eventfd says so) */
  dtw__bt_wake(s->tp);
}
