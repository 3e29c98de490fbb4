/* The bridge's bounded frame queue (src/bridge/bridge__queue.h) against a
 * fake socket that takes a set number of bytes per write: direct sends,
 * partial writes kept whole, filling, drop-oldest by frame count and by
 * bytes, a frame too large by itself, wrap-around, and the drop counter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bridge/bridge__queue.h"
#include "dtw/err.h"

/* A fake socket: accepts up to `room` bytes (then would block), appends them
 * to `got`; `broken` makes every write fail. */
typedef struct sink {
  uint8_t got[1 << 20];
  size_t len;
  size_t room;
  int writes;
  int broken;
} sink_t;

static sink_t g_sink;

static ssize_t fake_write(void *ctx, const struct iovec *iov, int niov) {
  sink_t *s = ctx;
  s->writes++;
  if (s->broken) return -1;
  size_t n = 0;
  for (int i = 0; i < niov && s->room > 0; i++) {
    size_t take = iov[i].iov_len < s->room ? iov[i].iov_len : s->room;
    memcpy(s->got + s->len, iov[i].iov_base, take);
    s->len += take;
    s->room -= take;
    n += take;
  }
  return (ssize_t)n;
}

/* Frame k: a 4-byte header "F%03d" split from a body of len-4 bytes of 'a'+k%26. */
static int send_frame(dtw__bq_t *q, int k, size_t len, dtw__bq_tally_t *t) {
  static uint8_t body[70000];
  char head[5];
  snprintf(head, sizeof head, "F%03u", (unsigned)k % 1000u);
  memset(body, 'a' + k % 26, len - 4);
  struct iovec iov[2] = {{head, 4}, {body, len - 4}};
  return dtw__bq_send(q, iov, 2, fake_write, &g_sink, t);
}

/* The frame numbers in what the sink got, in order (frames of flen bytes). */
static int frames_got(size_t flen, int *ids, int max) {
  int n = 0;
  for (size_t off = 0; off + flen <= g_sink.len && n < max; off += flen) {
    assert_int_equal(g_sink.got[off], 'F');
    int k = (g_sink.got[off + 1] - '0') * 100 + (g_sink.got[off + 2] - '0') * 10 +
            (g_sink.got[off + 3] - '0');
    for (size_t i = 4; i < flen; i++) assert_int_equal(g_sink.got[off + i], 'a' + k % 26);
    ids[n++] = k;
  }
  assert_int_equal(g_sink.len % flen, 0); /* never a torn frame */
  return n;
}

static void reset_sink(size_t room) {
  memset(&g_sink, 0, sizeof g_sink);
  g_sink.room = room;
}

static void test_direct_and_partial(void **state) {
  (void)state;
  dtw__bq_t q;
  dtw__bq_tally_t t = {0};
  dtw__bq_init(&q, 4096, 8);
  reset_sink(1 << 20);
  /* an idle socket takes the frame at once: nothing is kept */
  assert_int_equal(send_frame(&q, 1, 100, &t), 0);
  assert_true(dtw__bq_empty(&q));
  assert_int_equal(t.frames, 1);
  assert_int_equal(t.bytes, 100);
  assert_null(q.ring); /* nothing allocated on the fast path */

  /* the socket takes 30 of 100 bytes: the tail (70) stays in flight */
  g_sink.room = 30;
  assert_int_equal(send_frame(&q, 2, 100, &t), 0);
  assert_false(dtw__bq_empty(&q));
  assert_int_equal(dtw__bq_bytes(&q), 70);
  assert_true(q.pinned);
  assert_int_equal(t.frames, 1); /* a frame counts once it is written whole */
  assert_int_equal(t.bytes, 130);
  /* what comes next waits behind it, whole */
  assert_int_equal(send_frame(&q, 3, 100, &t), 0);
  assert_int_equal(dtw__bq_frames(&q), 2);
  assert_int_equal(dtw__bq_bytes(&q), 170);
  /* the socket drains 50 at a time */
  for (int i = 0; i < 10 && !dtw__bq_empty(&q); i++) {
    g_sink.room = 50;
    assert_int_equal(dtw__bq_flush(&q, fake_write, &g_sink, &t), 0);
  }
  assert_true(dtw__bq_empty(&q));
  assert_int_equal(t.bytes, 300);
  assert_int_equal(t.frames, 3);
  int ids[8];
  assert_int_equal(frames_got(100, ids, 8), 3);
  assert_int_equal(ids[0], 1);
  assert_int_equal(ids[1], 2);
  assert_int_equal(ids[2], 3);
  assert_int_equal(q.dropped, 0);
  dtw__bq_fini(&q);
  dtw__bq_fini(&q); /* twice is fine */
}

static void test_drop_oldest_by_count(void **state) {
  (void)state;
  dtw__bq_t q;
  dtw__bq_tally_t t = {0};
  dtw__bq_init(&q, 1 << 20, 4);
  reset_sink(0); /* a client that reads nothing */
  assert_int_equal(send_frame(&q, 0, 64, &t), 0); /* tried once: the socket takes none */
  assert_int_equal(dtw__bq_bytes(&q), 64);        /* so it waits, whole, not pinned */
  assert_false(q.pinned);
  for (int k = 1; k <= 10; k++) assert_int_equal(send_frame(&q, k, 64, &t), 0);
  /* 4 waiting at most: 0..6 were dropped, oldest first; 7..10 wait */
  assert_int_equal(dtw__bq_frames(&q), 4);
  assert_int_equal(q.dropped, 7);
  assert_int_equal(t.dropped, 7);
  g_sink.room = 1 << 20;
  assert_int_equal(dtw__bq_flush(&q, fake_write, &g_sink, &t), 0);
  assert_true(dtw__bq_empty(&q));
  int ids[16];
  assert_int_equal(frames_got(64, ids, 16), 4);
  for (int i = 0; i < 4; i++) assert_int_equal(ids[i], 7 + i);
  dtw__bq_fini(&q);
}

static void test_drop_oldest_by_bytes(void **state) {
  (void)state;
  dtw__bq_t q;
  dtw__bq_tally_t t = {0};
  dtw__bq_init(&q, 1000, 1000);
  reset_sink(5);
  assert_int_equal(send_frame(&q, 0, 10, &t), 0); /* half written: its 5 left are pinned */
  assert_true(q.pinned);
  /* fill: 5 + 3 x 300 = 905 bytes waiting */
  for (int k = 1; k <= 3; k++) assert_int_equal(send_frame(&q, k, 300, &t), 0);
  assert_int_equal(dtw__bq_bytes(&q), 905);
  assert_int_equal(q.dropped, 0);
  /* 400 more: the two oldest unpinned go (905 - 600 + 400 = 705 <= 1000) */
  assert_int_equal(send_frame(&q, 4, 400, &t), 0);
  assert_int_equal(q.dropped, 2);
  assert_int_equal(dtw__bq_bytes(&q), 705);
  assert_true(q.pinned);
  assert_int_equal(send_frame(&q, 5, 50, &t), 0);
  assert_int_equal(q.dropped, 2);
  assert_int_equal(dtw__bq_frames(&q), 4); /* rest of 0, 3, 4, 5 */
  assert_true(dtw__bq_bytes(&q) <= 1000);
  /* a frame larger than the whole bound is dropped itself; the others stay */
  assert_int_equal(send_frame(&q, 6, 1001, &t), 0);
  assert_int_equal(q.dropped, 3);
  assert_int_equal(t.dropped, 3);
  assert_int_equal(dtw__bq_frames(&q), 4);
  g_sink.room = 1 << 20;
  assert_int_equal(dtw__bq_flush(&q, fake_write, &g_sink, &t), 0);
  assert_true(dtw__bq_empty(&q));
  /* 0 (10 bytes) then 3 (300), 4 (400), 5 (50) */
  assert_int_equal(g_sink.len, 10 + 300 + 400 + 50);
  assert_int_equal(g_sink.got[10 + 1], '0');
  assert_int_equal(g_sink.got[10 + 3], '3');
  assert_int_equal(g_sink.got[310 + 3], '4');
  assert_int_equal(g_sink.got[710 + 3], '5');
  dtw__bq_fini(&q);
}

/* Many rounds of partial draining: the ring wraps and grows, frames stay whole and in order. */
static void test_wrap_and_grow(void **state) {
  (void)state;
  dtw__bq_t q;
  dtw__bq_tally_t t = {0};
  dtw__bq_init(&q, 300000, 100000);
  reset_sink(0);
  int sent = 0;
  for (int round = 0; round < 100; round++) {
    for (int i = 0; i < 7; i++) assert_int_equal(send_frame(&q, sent++, 1000, &t), 0);
    g_sink.room = 7919; /* a bit more than comes in, not a multiple of the frame size */
    assert_int_equal(dtw__bq_flush(&q, fake_write, &g_sink, &t), 0);
  }
  /* one more while the socket takes nothing, then drain everything */
  g_sink.room = 0;
  assert_int_equal(send_frame(&q, sent++, 1000, &t), 0);
  g_sink.room = 1 << 20;
  assert_int_equal(dtw__bq_flush(&q, fake_write, &g_sink, &t), 0);
  assert_true(dtw__bq_empty(&q));
  assert_int_equal(q.dropped, 0);
  static int ids[2000];
  int n = frames_got(1000, ids, 2000);
  assert_int_equal(n, sent);
  for (int i = 0; i < n; i++) assert_int_equal(ids[i], i % 1000);
  assert_int_equal(t.bytes, (uint64_t)sent * 1000);
  assert_int_equal(t.frames, (uint64_t)sent);
  assert_true(q.ring_cap <= 2 * 300000);
  dtw__bq_fini(&q);
}

static void test_large_frame_partial(void **state) {
  (void)state;
  dtw__bq_t q;
  dtw__bq_tally_t t = {0};
  dtw__bq_init(&q, 200000, 10);
  reset_sink(4000);
  assert_int_equal(send_frame(&q, 1, 70000, &t), 0); /* larger than the ring's first 64 KiB */
  assert_int_equal(dtw__bq_bytes(&q), 66000);
  assert_int_equal(send_frame(&q, 2, 70000, &t), 0);
  assert_int_equal(dtw__bq_frames(&q), 2);
  g_sink.room = 1 << 20;
  assert_int_equal(dtw__bq_flush(&q, fake_write, &g_sink, &t), 0);
  assert_true(dtw__bq_empty(&q));
  int ids[4];
  assert_int_equal(frames_got(70000, ids, 4), 2);
  assert_int_equal(ids[1], 2);
  dtw__bq_fini(&q);
}

static void test_broken(void **state) {
  (void)state;
  dtw__bq_t q;
  dtw__bq_tally_t t = {0};
  dtw__bq_init(&q, 4096, 8);
  reset_sink(10);
  assert_int_equal(send_frame(&q, 1, 100, &t), 0);
  assert_int_equal(send_frame(&q, 2, 100, &t), 0);
  g_sink.broken = 1;
  assert_int_equal(dtw__bq_flush(&q, fake_write, &g_sink, &t), DTW_EIO);
  dtw__bq_fini(&q);
  /* a broken socket on the direct path: nothing counted as sent */
  dtw__bq_init(&q, 4096, 8);
  memset(&t, 0, sizeof t);
  assert_int_equal(send_frame(&q, 3, 100, &t), DTW_EIO);
  assert_int_equal(t.frames, 0);
  assert_true(dtw__bq_empty(&q));
  dtw__bq_fini(&q);
}

/* Batches: one write per call with the backlog first; what the socket does not
 * take is queued once (a cut frame pinned), and order is kept. */
static void test_batch(void **state) {
  (void)state;
  dtw__bq_t q;
  dtw__bq_tally_t t = {0};
  dtw__bq_init(&q, 1 << 20, 1000);
  static uint8_t body[8][96];
  char head[8][5];
  dtw__bq_frame_t fr[8];
  int k = 0;
  reset_sink(1 << 20);
  /* an idle socket: 8 frames, one write, nothing kept or allocated */
  for (int i = 0; i < 8; i++, k++) {
    snprintf(head[i], sizeof head[i], "F%03d", k);
    memset(body[i], 'a' + k % 26, 96);
    fr[i] = (dtw__bq_frame_t){{{head[i], 4}, {body[i], 96}}, 2};
  }
  assert_int_equal(dtw__bq_send_batch(&q, fr, 8, fake_write, &g_sink, &t), 0);
  assert_int_equal(g_sink.writes, 1);
  assert_int_equal(t.frames, 8);
  assert_null(q.ring);
  /* the socket takes 250 bytes: 2 frames whole, the third cut (pinned), 5 queued */
  g_sink.room = 250;
  for (int i = 0; i < 8; i++, k++) {
    snprintf(head[i], sizeof head[i], "F%03d", k);
    memset(body[i], 'a' + k % 26, 96);
  }
  assert_int_equal(dtw__bq_send_batch(&q, fr, 8, fake_write, &g_sink, &t), 0);
  assert_int_equal(g_sink.writes, 2);
  assert_int_equal(t.frames, 10);
  assert_true(q.pinned);
  assert_int_equal(dtw__bq_frames(&q), 6);
  assert_int_equal(dtw__bq_bytes(&q), 6 * 100 - 50);
  /* next batch: backlog and new frames in one write; no room: all queued, no write */
  for (int i = 0; i < 8; i++, k++) {
    snprintf(head[i], sizeof head[i], "F%03d", k);
    memset(body[i], 'a' + k % 26, 96);
  }
  assert_int_equal(dtw__bq_send_batch(&q, fr, 8, NULL, NULL, &t), 0);
  assert_int_equal(g_sink.writes, 2);
  assert_int_equal(dtw__bq_frames(&q), 14);
  g_sink.room = 1 << 20;
  for (int i = 0; i < 8; i++, k++) {
    snprintf(head[i], sizeof head[i], "F%03d", k);
    memset(body[i], 'a' + k % 26, 96);
  }
  assert_int_equal(dtw__bq_send_batch(&q, fr, 8, fake_write, &g_sink, &t), 0);
  assert_int_equal(g_sink.writes, 3);
  assert_true(dtw__bq_empty(&q));
  assert_int_equal(t.frames, (uint64_t)k);
  int ids[64];
  assert_int_equal(frames_got(100, ids, 64), k);
  for (int i = 0; i < k; i++) assert_int_equal(ids[i], i);
  assert_int_equal(q.dropped, 0);
  dtw__bq_fini(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_direct_and_partial), cmocka_unit_test(test_drop_oldest_by_count),
      cmocka_unit_test(test_drop_oldest_by_bytes), cmocka_unit_test(test_wrap_and_grow),
      cmocka_unit_test(test_large_frame_partial), cmocka_unit_test(test_broken),
      cmocka_unit_test(test_batch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
