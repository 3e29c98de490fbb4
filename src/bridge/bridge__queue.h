/* bridge__queue.h - a client's outgoing bytes: a bounded ring of whole
 * frames (messages) with a drop-oldest policy, written with one gather write
 * per call.
 *
 * Pure memory: it writes through a caller's write function (a socket's
 * sendmsg in the transport, a fake in tests), so it knows neither sockets nor
 * the protocol; a "frame" is whatever gather list the caller hands in as one
 * unit.
 *
 * The ring holds frames nobody has written yet, oldest first, bounded by
 * max_bytes and max_frames. Its oldest frame may be "pinned": the writer took
 * part of it, so the rest must follow (a frame cut in the middle cannot be
 * repaired on a byte stream); a pinned frame is never dropped.
 *
 * Copies: a frame the writer takes at once is never copied; what it does not
 * take is copied into the ring once, and written from there (the ring's one or
 * two segments and any new frames go out in one gather write).
 *
 * Drop policy "drop oldest" (what a slow client of a live stream wants: the
 * newest sample, not a backlog seconds old): to make room for a frame, the
 * oldest unpinned waiting frames are dropped until it fits both bounds. A
 * frame larger than max_bytes by itself is dropped instead (it could never
 * fit). Nothing blocks, nothing waits. Every dropped frame counts once in the
 * queue's `dropped` and the caller's tally.
 *
 * Memory: per queue, about max_bytes in the ring (allocated on demand,
 * doubling from 64 KiB; a pinned frame may exceed it by its own size) and
 * max_frames lengths (allocated on the first queued frame). Nothing is
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

/* Most frames one batch call takes (each up to DTW__BQ_FRAME_IOV parts). */
#define DTW__BQ_BATCH_MAX 64
#define DTW__BQ_FRAME_IOV 2

/* Writes what it can of iov without blocking: returns the bytes taken (0 when
 * it would block), or < 0 when the connection is broken. */
typedef ssize_t (*dtw__bq_write_fn)(void *ctx, const struct iovec *iov, int niov);

/* What one call did, added to the caller's totals (zero it first). frames:
 * frames the writer took whole (a frame counts once, when its last byte is
 * written); bytes: bytes the writer took; writes: calls of the writer. */
typedef struct dtw__bq_tally {
  uint64_t frames, bytes, dropped, writes;
} dtw__bq_tally_t;

/* One frame of a batch: up to DTW__BQ_FRAME_IOV parts. */
typedef struct dtw__bq_frame {
  struct iovec iov[DTW__BQ_FRAME_IOV];
  int niov;
} dtw__bq_frame_t;

typedef struct dtw__bq {
  size_t max_bytes, max_frames; /* bounds of the ring */
  uint8_t *ring;                /* waiting bytes, oldest at ring_head */
  size_t ring_cap, ring_head, ring_bytes;
  size_t *flen; /* lengths of the waiting frames (max_frames slots) */
  size_t f_head, f_count;
  bool pinned;      /* the oldest waiting frame is partly written */
  uint64_t dropped; /* frames dropped since init */
} dtw__bq_t;

/* Zero the queue with its bounds (max_bytes >= 1, max_frames >= 1). Allocates nothing. */
void dtw__bq_init(dtw__bq_t *q, size_t max_bytes, size_t max_frames);
/* Free its buffers; safe on a zeroed queue, and again. */
void dtw__bq_fini(dtw__bq_t *q);

/* Send one frame (the niov buffers of iov): straight to the writer if nothing
 * is waiting, keeping whatever part it did not take; else behind the waiting
 * frames (nothing written now), dropping the oldest as above. Returns 0 (sent,
 * kept, queued or dropped: see tally) or DTW_EIO (broken). */
int dtw__bq_send(dtw__bq_t *q, const struct iovec *iov, int niov, dtw__bq_write_fn write,
                 void *ctx, dtw__bq_tally_t *tally);

/* Send n (<= DTW__BQ_BATCH_MAX) frames behind whatever waits, in ONE write
 * call (the ring's segments first); what the writer does not take is queued
 * (a cut frame pinned, whole ones under the drop policy). Returns 0 or DTW_EIO. */
int dtw__bq_send_batch(dtw__bq_t *q, const dtw__bq_frame_t *frames, int n,
                       dtw__bq_write_fn write, void *ctx, dtw__bq_tally_t *tally);

/* Write what is waiting (one gather write per call of the writer) until it is
 * all written or the writer would block. Returns 0 or DTW_EIO. */
int dtw__bq_flush(dtw__bq_t *q, dtw__bq_write_fn write, void *ctx, dtw__bq_tally_t *tally);

/* True when nothing waits (the writer need not be called). */
bool dtw__bq_empty(const dtw__bq_t *q);
/* Frames waiting / their bytes (a pinned frame's unwritten part included). */
size_t dtw__bq_frames(const dtw__bq_t *q);
size_t dtw__bq_bytes(const dtw__bq_t *q);

#endif /* DTW_BRIDGE__QUEUE_H */
