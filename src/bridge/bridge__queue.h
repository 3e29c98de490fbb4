/* bridge__queue.h - a client's outgoing bytes: a bounded queue of whole
 * frames (messages) behind the bytes in flight, with a drop-oldest policy.
 *
 * Pure memory: it writes through a caller's write function (a socket's
 * sendmsg in the transport, a fake in tests), so it knows neither sockets nor
 * the protocol; a "frame" is whatever gather list the caller hands in as one
 * unit.
 *
 * Two parts:
 *   out    bytes in flight: a frame the socket took only part of, or frames
 *          moved here to be written in one call. Never dropped: a frame cut
 *          in the middle cannot be repaired on a byte stream.
 *   ring   whole frames nobody has written yet, oldest first, bounded by
 *          max_bytes and max_frames.
 *
 * Drop policy "drop oldest" (what a slow client of a live stream wants: the
 * newest sample, not a backlog seconds old): a frame sent while bytes are
 * waiting is queued; to make room, the oldest waiting frames are dropped
 * until it fits both bounds. A frame larger than max_bytes by itself is
 * dropped instead (it could never fit). Nothing blocks, nothing waits. Every
 * dropped frame counts once in the queue's `dropped` and the caller's tally.
 *
 * Memory: per queue, at most max_bytes in the ring (allocated on demand,
 * doubling from 64 KiB), max_frames lengths (allocated on the first queued
 * frame), and out (grows to the largest frame in flight). Nothing is
 * allocated while the queue is empty and the writer keeps up.
 * Threads: none of its own; the caller serialises every call on a queue.
 * Errors: DTW_EIO means the connection is broken (the writer failed, or the
 * unsent tail of a frame could not be kept); the queue stays valid and can be
 * finalised. */
#ifndef DTW_BRIDGE__QUEUE_H
#define DTW_BRIDGE__QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Writes what it can of iov without blocking: returns the bytes taken (0 when
 * it would block), or < 0 when the connection is broken. */
typedef ssize_t (*dtw__bq_write_fn)(void *ctx, const struct iovec *iov, int niov);

/* What one call did, added to the caller's totals (zero it first). frames:
 * frames handed to the writer (a frame counts when its first write is tried,
 * or when it moves from the ring to out); bytes: bytes the writer took. */
typedef struct dtw__bq_tally {
  uint64_t frames, bytes, dropped;
} dtw__bq_tally_t;

typedef struct dtw__bq {
  size_t max_bytes, max_frames; /* bounds of the ring */
  uint8_t *out;                 /* in flight: out[out_off .. out_len) still to write */
  size_t out_len, out_off, out_cap;
  uint8_t *ring; /* whole waiting frames, oldest at ring_head */
  size_t ring_cap, ring_head, ring_bytes;
  size_t *flen; /* lengths of the waiting frames (max_frames slots) */
  size_t f_head, f_count;
  uint64_t dropped; /* frames dropped since init */
} dtw__bq_t;

/* Zero the queue with its bounds (max_bytes >= 1, max_frames >= 1). Allocates nothing. */
void dtw__bq_init(dtw__bq_t *q, size_t max_bytes, size_t max_frames);
/* Free its buffers; safe on a zeroed queue, and again. */
void dtw__bq_fini(dtw__bq_t *q);

/* Send one frame (the niov buffers of iov, total bytes): straight to the
 * writer if nothing is waiting, keeping whatever part it did not take in out;
 * else behind the waiting frames, dropping the oldest as above. Returns 0
 * (sent, kept, queued or dropped: see tally) or DTW_EIO (broken). */
int dtw__bq_send(dtw__bq_t *q, const struct iovec *iov, int niov, dtw__bq_write_fn write,
                 void *ctx, dtw__bq_tally_t *tally);

/* Write what is waiting until it is all written or the writer would block;
 * whole frames move from the ring to out in batches (as many as fit in out's
 * capacity) so a backlog goes out in few writes. Returns 0 or DTW_EIO. */
int dtw__bq_flush(dtw__bq_t *q, dtw__bq_write_fn write, void *ctx, dtw__bq_tally_t *tally);

/* True when nothing is in flight or waiting (the writer need not be called). */
bool dtw__bq_empty(const dtw__bq_t *q);
/* Whole frames waiting in the ring / their bytes (out not included). */
size_t dtw__bq_frames(const dtw__bq_t *q);
size_t dtw__bq_bytes(const dtw__bq_t *q);

#endif /* DTW_BRIDGE__QUEUE_H */
