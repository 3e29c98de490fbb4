/* A client's outgoing bytes: a bounded drop-oldest ring of whole frames,
 * written with gather writes. See bridge__queue.h. */
#include "bridge__queue.h"

#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"

#define INITIAL_CAP (64 * 1024)

void dtw__bq_init(dtw__bq_t *q, size_t max_bytes, size_t max_frames) {
  memset(q, 0, sizeof *q);
  q->max_bytes = max_bytes;
  q->max_frames = max_frames;
}

void dtw__bq_fini(dtw__bq_t *q) {
  free(q->ring);
  free(q->flen);
  q->ring = NULL;
  q->flen = NULL;
  q->ring_cap = q->ring_head = q->ring_bytes = 0;
  q->f_head = q->f_count = 0;
  q->pinned = false;
}

bool dtw__bq_empty(const dtw__bq_t *q) { return q->f_count == 0; }
size_t dtw__bq_frames(const dtw__bq_t *q) { return q->f_count; }
size_t dtw__bq_bytes(const dtw__bq_t *q) { return q->ring_bytes; }

static size_t fslot(const dtw__bq_t *q, size_t k) { return (q->f_head + k) % q->max_frames; }

/* Grow the ring to hold need bytes (linearising it). */
static bool ring_reserve(dtw__bq_t *q, size_t need) {
  if (need <= q->ring_cap) return true;
  size_t cap = q->ring_cap ? q->ring_cap : INITIAL_CAP;
  while (cap < need) cap *= 2;
  uint8_t *p = malloc(cap);
  if (p == NULL) return false;
  if (q->ring_bytes > 0) {
    size_t first = q->ring_cap - q->ring_head;
    if (first > q->ring_bytes) first = q->ring_bytes;
    memcpy(p, q->ring + q->ring_head, first);
    memcpy(p + first, q->ring, q->ring_bytes - first);
  }
  free(q->ring);
  q->ring = p;
  q->ring_cap = cap;
  q->ring_head = 0;
  return true;
}

/* The waiting bytes as one or two segments. */
static int ring_segs(const dtw__bq_t *q, struct iovec *iov) {
  if (q->ring_bytes == 0) return 0;
  size_t first = q->ring_cap - q->ring_head;
  if (first >= q->ring_bytes) {
    iov[0] = (struct iovec){q->ring + q->ring_head, q->ring_bytes};
    return 1;
  }
  iov[0] = (struct iovec){q->ring + q->ring_head, first};
  iov[1] = (struct iovec){q->ring, q->ring_bytes - first};
  return 2;
}

/* Append a frame behind the waiting ones (room is reserved by the caller). */
static void ring_append(dtw__bq_t *q, const struct iovec *iov, int niov, size_t skip,
                        size_t total) {
  size_t pos = (q->ring_head + q->ring_bytes) % q->ring_cap;
  for (int i = 0; i < niov; i++) {
    const uint8_t *src = iov[i].iov_base;
    size_t len = iov[i].iov_len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    src += skip;
    len -= skip;
    skip = 0;
    size_t first = q->ring_cap - pos < len ? q->ring_cap - pos : len;
    memcpy(q->ring + pos, src, first);
    memcpy(q->ring, src + first, len - first);
    pos = (pos + len) % q->ring_cap;
  }
  q->ring_bytes += total;
  q->flen[fslot(q, q->f_count)] = total;
  q->f_count++;
}

static void count_drop(dtw__bq_t *q, dtw__bq_tally_t *tally) {
  q->dropped++;
  tally->dropped++;
}

/* Drop the oldest frame that may go. With a pinned head that is the second
 * one: the head's unwritten bytes move forward over it (one frame's copy, on
 * this rare path only). False if nothing may go. */
static bool drop_oldest(dtw__bq_t *q, dtw__bq_tally_t *tally) {
  if (q->f_count == 0) return false;
  if (!q->pinned) {
    size_t m = q->flen[q->f_head];
    q->ring_head = (q->ring_head + m) % q->ring_cap;
    q->ring_bytes -= m;
  } else {
    if (q->f_count < 2) return false;
    size_t r = q->flen[q->f_head], m = q->flen[fslot(q, 1)];
    for (size_t i = r; i-- > 0;) /* backwards: the ranges may overlap */
      q->ring[(q->ring_head + m + i) % q->ring_cap] = q->ring[(q->ring_head + i) % q->ring_cap];
    q->ring_head = (q->ring_head + m) % q->ring_cap;
    q->ring_bytes -= m;
    q->flen[fslot(q, 1)] = r;
  }
  q->f_head = fslot(q, 1);
  q->f_count--;
  count_drop(q, tally);
  return true;
}

static bool flen_alloc(dtw__bq_t *q) {
  return q->flen != NULL || (q->flen = calloc(q->max_frames, sizeof *q->flen)) != NULL;
}

/* Queue a whole frame, dropping the oldest waiting frames to stay within the
 * bounds (or this frame, if it cannot fit). */
static void enqueue(dtw__bq_t *q, const struct iovec *iov, int niov, size_t total,
                    dtw__bq_tally_t *tally) {
  if (total > q->max_bytes || !flen_alloc(q)) goto drop;
  while (q->f_count > 0 && (q->f_count == q->max_frames || q->ring_bytes + total > q->max_bytes))
    if (!drop_oldest(q, tally)) break;
  if (q->f_count == q->max_frames || q->ring_bytes + total > q->max_bytes ||
      !ring_reserve(q, q->ring_bytes + total))
    goto drop;
  ring_append(q, iov, niov, 0, total);
  return;
drop:
  count_drop(q, tally);
}

/* Keep the unwritten tail of a frame the writer cut (the ring is empty then):
 * it must go out whole, whatever the bounds. */
static int keep_tail(dtw__bq_t *q, const struct iovec *iov, int niov, size_t written,
                     size_t total) {
  if (!flen_alloc(q) || !ring_reserve(q, q->ring_bytes + (total - written))) return DTW_EIO;
  ring_append(q, iov, niov, written, total - written);
  q->pinned = true;
  return 0;
}

/* The writer took w bytes from the ring's front; returns what it took beyond it. */
static size_t consume_ring(dtw__bq_t *q, size_t w, dtw__bq_tally_t *tally) {
  while (w > 0 && q->f_count > 0) {
    size_t rem = q->flen[q->f_head];
    if (w < rem) {
      q->flen[q->f_head] = rem - w;
      q->ring_head = (q->ring_head + w) % q->ring_cap;
      q->ring_bytes -= w;
      q->pinned = true;
      return 0;
    }
    q->ring_head = (q->ring_head + rem) % q->ring_cap;
    q->ring_bytes -= rem;
    q->f_head = fslot(q, 1);
    q->f_count--;
    q->pinned = false;
    tally->frames++;
    w -= rem;
  }
  if (q->f_count == 0) q->ring_head = 0; /* empty: start over, fewer wraps */
  return w;
}

static size_t iov_total(const struct iovec *iov, int niov) {
  size_t n = 0;
  for (int i = 0; i < niov; i++) n += iov[i].iov_len;
  return n;
}

int dtw__bq_send(dtw__bq_t *q, const struct iovec *iov, int niov, dtw__bq_write_fn write,
                 void *ctx, dtw__bq_tally_t *tally) {
  size_t total = iov_total(iov, niov);
  if (!dtw__bq_empty(q)) {
    enqueue(q, iov, niov, total, tally);
    return 0;
  }
  ssize_t w = write(ctx, iov, niov);
  tally->writes++;
  if (w < 0) return DTW_EIO;
  tally->bytes += (uint64_t)w;
  if ((size_t)w == total) {
    tally->frames++;
    return 0;
  }
  if (w > 0) return keep_tail(q, iov, niov, (size_t)w, total);
  enqueue(q, iov, niov, total, tally);
  return 0;
}

int dtw__bq_send_batch(dtw__bq_t *q, const dtw__bq_frame_t *frames, int n,
                       dtw__bq_write_fn write, void *ctx, dtw__bq_tally_t *tally) {
  struct iovec iov[2 + DTW__BQ_BATCH_MAX * DTW__BQ_FRAME_IOV];
  if (n > DTW__BQ_BATCH_MAX) n = DTW__BQ_BATCH_MAX;
  size_t w = 0;
  if (write != NULL) {
    int niov = ring_segs(q, iov);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < frames[i].niov; j++) iov[niov++] = frames[i].iov[j];
    ssize_t r = write(ctx, iov, niov);
    tally->writes++;
    if (r < 0) return DTW_EIO;
    tally->bytes += (uint64_t)r;
    w = consume_ring(q, (size_t)r, tally);
  }
  for (int i = 0; i < n; i++) {
    size_t total = iov_total(frames[i].iov, frames[i].niov);
    if (w >= total) {
      tally->frames++;
      w -= total;
    } else if (w > 0) {
      if (keep_tail(q, frames[i].iov, frames[i].niov, w, total) < 0) return DTW_EIO;
      w = 0;
    } else {
      enqueue(q, frames[i].iov, frames[i].niov, total, tally);
    }
  }
  return 0;
}

int dtw__bq_flush(dtw__bq_t *q, dtw__bq_write_fn write, void *ctx, dtw__bq_tally_t *tally) {
  while (!dtw__bq_empty(q)) {
    struct iovec iov[2];
    int niov = ring_segs(q, iov);
    ssize_t w = write(ctx, iov, niov);
    tally->writes++;
    if (w < 0) return DTW_EIO;
    if (w == 0) return 0; /* would block: the rest goes when the socket drains */
    tally->bytes += (uint64_t)w;
    consume_ring(q, (size_t)w, tally);
  }
  return 0;
}
