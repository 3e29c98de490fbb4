/* A client's outgoing bytes: frames in flight and a bounded drop-oldest queue
 * of whole frames behind them. See bridge__queue.h. */
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
  free(q->out);
  free(q->ring);
  free(q->flen);
  q->out = q->ring = NULL;
  q->flen = NULL;
  q->out_len = q->out_off = q->out_cap = 0;
  q->ring_cap = q->ring_head = q->ring_bytes = 0;
  q->f_head = q->f_count = 0;
}

bool dtw__bq_empty(const dtw__bq_t *q) { return q->out_off == q->out_len && q->f_count == 0; }
size_t dtw__bq_frames(const dtw__bq_t *q) { return q->f_count; }
size_t dtw__bq_bytes(const dtw__bq_t *q) { return q->ring_bytes; }

static bool out_reserve(dtw__bq_t *q, size_t need) {
  if (need <= q->out_cap) return true;
  size_t cap = q->out_cap ? q->out_cap : INITIAL_CAP;
  while (cap < need) cap *= 2;
  uint8_t *p = realloc(q->out, cap);
  if (p == NULL) return false;
  q->out = p;
  q->out_cap = cap;
  return true;
}

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

static void ring_write(dtw__bq_t *q, size_t pos, const uint8_t *src, size_t len) {
  size_t at = pos % q->ring_cap, first = q->ring_cap - at < len ? q->ring_cap - at : len;
  memcpy(q->ring + at, src, first);
  memcpy(q->ring, src + first, len - first);
}

/* Copy the oldest waiting frame (m bytes) to dst and forget it. */
static void ring_pop(dtw__bq_t *q, uint8_t *dst, size_t m) {
  if (dst != NULL) {
    size_t at = q->ring_head, first = q->ring_cap - at < m ? q->ring_cap - at : m;
    memcpy(dst, q->ring + at, first);
    memcpy(dst + first, q->ring, m - first);
  }
  q->ring_head = (q->ring_head + m) % q->ring_cap;
  q->ring_bytes -= m;
  q->f_head = (q->f_head + 1) % q->max_frames;
  q->f_count--;
}

static void count_drop(dtw__bq_t *q, dtw__bq_tally_t *tally) {
  q->dropped++;
  tally->dropped++;
}

/* Queue a frame behind what is waiting, dropping the oldest waiting frames
 * to stay within the bounds (or this frame, if it alone is past them). */
static void enqueue(dtw__bq_t *q, const struct iovec *iov, int niov, size_t total,
                    dtw__bq_tally_t *tally) {
  if (q->flen == NULL && (q->flen = calloc(q->max_frames, sizeof *q->flen)) == NULL) goto drop;
  if (total > q->max_bytes) goto drop;
  while (q->f_count > 0 &&
         (q->f_count == q->max_frames || q->ring_bytes + total > q->max_bytes)) {
    ring_pop(q, NULL, q->flen[q->f_head]);
    count_drop(q, tally);
  }
  if (!ring_reserve(q, q->ring_bytes + total)) goto drop;
  size_t pos = q->ring_head + q->ring_bytes;
  for (int i = 0; i < niov; i++) {
    ring_write(q, pos, iov[i].iov_base, iov[i].iov_len);
    pos += iov[i].iov_len;
  }
  q->ring_bytes += total;
  q->flen[(q->f_head + q->f_count) % q->max_frames] = total;
  q->f_count++;
  return;
drop:
  count_drop(q, tally);
}

int dtw__bq_send(dtw__bq_t *q, const struct iovec *iov, int niov, dtw__bq_write_fn write,
                 void *ctx, dtw__bq_tally_t *tally) {
  size_t total = 0;
  for (int i = 0; i < niov; i++) total += iov[i].iov_len;
  if (!dtw__bq_empty(q)) {
    enqueue(q, iov, niov, total, tally);
    return 0;
  }
  ssize_t w = write(ctx, iov, niov);
  if (w < 0) return DTW_EIO;
  tally->frames++;
  tally->bytes += (uint64_t)w;
  if ((size_t)w == total) return 0;
  /* keep the unsent tail of this frame: it must go out whole */
  if (!out_reserve(q, total - (size_t)w)) return DTW_EIO;
  size_t skip = (size_t)w, len = 0;
  for (int i = 0; i < niov; i++) {
    size_t l = iov[i].iov_len;
    if (skip >= l) {
      skip -= l;
      continue;
    }
    memcpy(q->out + len, (const uint8_t *)iov[i].iov_base + skip, l - skip);
    len += l - skip;
    skip = 0;
  }
  q->out_off = 0;
  q->out_len = len;
  return 0;
}

int dtw__bq_flush(dtw__bq_t *q, dtw__bq_write_fn write, void *ctx, dtw__bq_tally_t *tally) {
  for (;;) {
    if (q->out_off == q->out_len) {
      /* refill out with as many whole frames as fit (at least one) */
      q->out_off = q->out_len = 0;
      while (q->f_count > 0) {
        size_t m = q->flen[q->f_head];
        if (q->out_len + m > q->out_cap && (q->out_len > 0 || !out_reserve(q, m))) break;
        ring_pop(q, q->out + q->out_len, m);
        q->out_len += m;
        tally->frames++;
      }
      if (q->out_len == 0) return 0;
    }
    struct iovec iov = {q->out + q->out_off, q->out_len - q->out_off};
    ssize_t w = write(ctx, &iov, 1);
    if (w < 0) return DTW_EIO;
    if (w == 0) return 0; /* would block: the rest goes when the socket drains */
    q->out_off += (size_t)w;
    tally->bytes += (uint64_t)w;
  }
}
