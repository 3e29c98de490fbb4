/* The bridge's TCP transport (src/bridge/bridge__transport.h) on loopback,
 * with a line-echo protocol in place of ROS-TCP-Endpoint (the transport knows
 * neither): first message on open, input consumed in whole lines with the
 * rest kept, close reasons (peer, truncated, oversize, idle, the layer
 * above's own), max_conns, and a client that does not read losing its oldest
 * messages, never a torn one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge/bridge__transport.h"
#include "dtw/clock.h"
#include "dtw/err.h"

static dtw__bt_t *g_t; /* the transport under test */

static struct {
  int opened, closed, refused;
  int closing[DTW__BT_CLOSE_APP + 2];
  dtw__bt_conn_t *last; /* the latest connection opened */
  int lines;
} g;

static int h_open(void *user, dtw__bt_conn_t *c) {
  (void)user;
  g.opened++;
  g.last = c;
  struct iovec iov = {"hello\n", 6};
  dtw__bt_send(c, &iov, 1);
  return 0;
}

/* Echo whole lines; keep a partial one. A line "close" closes with APP + 1. */
static size_t h_input(void *user, dtw__bt_conn_t *c, const uint8_t *buf, size_t len) {
  (void)user;
  dtw__bt_t *t = g_t;
  size_t off = 0;
  const uint8_t *nl;
  while ((nl = memchr(buf + off, '\n', len - off)) != NULL) {
    size_t n = (size_t)(nl - (buf + off)) + 1;
    g.lines++;
    if (n == 6 && memcmp(buf + off, "close\n", 6) == 0) {
      assert_true(dtw__bt_conn_close(c, DTW__BT_CLOSE_APP + 1));
      assert_false(dtw__bt_conn_close(c, DTW__BT_CLOSE_APP)); /* the first reason stands */
    } else {
      struct iovec iov = {(void *)(buf + off), n};
      dtw__bt_lock(t);
      dtw__bt_send(c, &iov, 1);
      dtw__bt_unlock(t);
    }
    off += n;
  }
  return off;
}

static void h_closing(void *user, dtw__bt_conn_t *c, int why) {
  (void)user;
  (void)c;
  assert_true(why >= 0 && why < DTW__BT_CLOSE_APP);
  g.closing[why]++;
}

static void h_close(void *user, dtw__bt_conn_t *c) {
  (void)user;
  if (c == g.last) g.last = NULL;
  g.closed++;
}

static void h_refused(void *user, const char *peer, int why) {
  (void)user;
  assert_non_null(strstr(peer, "127.0.0.1:"));
  assert_int_equal(why, DTW__BT_REFUSE_FULL);
  g.refused++;
}

static dtw__bt_t *start(int64_t idle_ns) {
  memset(&g, 0, sizeof g);
  dtw__bt_config_t cfg = {.bind_address = "127.0.0.1", .port = 0, .max_conns = 2,
                          .input_max_bytes = 1024, .queue_bytes = 64 * 1024,
                          .queue_frames = 16, .idle_timeout_ns = idle_ns};
  static dtw__bt_handler_t h = {NULL, h_open, h_input, h_closing, h_close, h_refused, NULL};
  dtw__bt_t *t = NULL;
  char err[256];
  assert_int_equal(dtw__bt_create(&cfg, &h, &t, err, sizeof err), 0);
  g_t = t;
  assert_true(dtw__bt_port(t) > 0);
  assert_string_equal(dtw__bt_address(t), "127.0.0.1");
  return t;
}

/* Run rounds until cond holds (or 3 s pass). */
#define RUN_UNTIL(t, cond)                                                    \
  do {                                                                        \
    int64_t end_ = dtw_clock_mono_ns() + 3 * DTW_NS_PER_S;                    \
    while (!(cond) && dtw_clock_mono_ns() < end_) {                           \
      assert_true(dtw__bt_dispatch(t, 10) >= 0);                              \
      dtw__bt_reap(t, dtw_clock_mono_ns());                                   \
    }                                                                         \
    assert_true(cond);                                                        \
  } while (0)

/* rcvbuf > 0: a small receive buffer, set before connecting (shrinking it on an
 * open connection makes the kernel stall the stream). */
static int connect_rcvbuf(dtw__bt_t *t, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)dtw__bt_port(t))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

static int connect_to(dtw__bt_t *t) { return connect_rcvbuf(t, 0); }

/* Read what is there now (after serving the transport a little). */
static size_t read_some(dtw__bt_t *t, int fd, char *buf, size_t cap, size_t want) {
  size_t got = 0;
  int64_t end = dtw_clock_mono_ns() + 3 * DTW_NS_PER_S;
  while (got < want && dtw_clock_mono_ns() < end) {
    dtw__bt_dispatch(t, 5);
    dtw__bt_reap(t, dtw_clock_mono_ns());
    ssize_t r = recv(fd, buf + got, cap - got - 1, MSG_DONTWAIT);
    if (r == 0) break;
    if (r > 0) got += (size_t)r;
  }
  buf[got] = '\0';
  return got;
}

static void test_echo_and_partial_input(void **state) {
  (void)state;
  dtw__bt_t *t = start(0);
  int fd = connect_to(t);
  char buf[256];
  assert_int_equal(read_some(t, fd, buf, sizeof buf, 6), 6);
  assert_string_equal(buf, "hello\n"); /* on_open's message comes first */
  assert_int_equal(send(fd, "a\nb\npart", 8, 0), 8);
  assert_int_equal(read_some(t, fd, buf, sizeof buf, 4), 4);
  assert_string_equal(buf, "a\nb\n");
  assert_int_equal(send(fd, "ial\n", 4, 0), 4); /* the kept "part" is completed */
  assert_int_equal(read_some(t, fd, buf, sizeof buf, 8), 8);
  assert_string_equal(buf, "partial\n");
  dtw__bt_lock(t);
  dtw__bt_stats_t st;
  dtw__bt_get_stats(t, &st);
  dtw__bt_unlock(t);
  assert_int_equal(st.conns, 1);
  assert_int_equal(st.accepted, 1);
  assert_int_equal(st.frames_out, 4);
  assert_int_equal(st.bytes_out, 6 + 4 + 8);
  close(fd);
  RUN_UNTIL(t, g.closed == 1);
  assert_int_equal(g.closing[DTW__BT_CLOSE_PEER], 1);
  assert_int_equal(dtw__bt_conn_count(t), 0);
  dtw__bt_destroy(t);
}

static void test_close_reasons(void **state) {
  (void)state;
  dtw__bt_t *t = start(0);
  char buf[64];
  /* cut inside a message */
  int fd = connect_to(t);
  read_some(t, fd, buf, sizeof buf, 6);
  send(fd, "abc", 3, 0);
  close(fd);
  RUN_UNTIL(t, g.closed == 1);
  assert_int_equal(g.closing[DTW__BT_CLOSE_TRUNCATED], 1);
  /* more unconsumed input than input_max_bytes (past the first 64 KiB, always taken) */
  fd = connect_to(t);
  static char big[70000];
  memset(big, 'x', sizeof big);
  size_t sent = 0;
  int64_t end = dtw_clock_mono_ns() + 3 * DTW_NS_PER_S;
  while (g.closed < 2 && dtw_clock_mono_ns() < end) {
    ssize_t w = sent < sizeof big ? send(fd, big + sent, sizeof big - sent, MSG_DONTWAIT) : 0;
    if (w > 0) sent += (size_t)w;
    dtw__bt_dispatch(t, 5);
    dtw__bt_reap(t, dtw_clock_mono_ns());
  }
  assert_int_equal(g.closed, 2);
  assert_int_equal(g.closing[DTW__BT_CLOSE_OVERSIZE], 1);
  close(fd);
  /* the layer above closes: on_closing is not called for its own reasons */
  fd = connect_to(t);
  send(fd, "close\n", 6, 0);
  RUN_UNTIL(t, g.closed == 3);
  assert_int_equal(g.closing[DTW__BT_CLOSE_PEER] + g.closing[DTW__BT_CLOSE_IDLE], 0);
  assert_int_equal(read_some(t, fd, buf, sizeof buf, 100), 6); /* hello, then EOF */
  close(fd);
  dtw__bt_destroy(t);
}

static void test_idle_and_max_conns(void **state) {
  (void)state;
  dtw__bt_t *t = start(200 * 1000000LL);
  int a = connect_to(t), b = connect_to(t);
  RUN_UNTIL(t, g.opened == 2);
  int c = connect_to(t); /* a third: refused and closed at once */
  RUN_UNTIL(t, g.refused == 1);
  char buf[64];
  assert_int_equal(read_some(t, c, buf, sizeof buf, 100), 0);
  close(c);
  /* a keeps talking, b says nothing: b goes idle first */
  int64_t end = dtw_clock_mono_ns() + 400 * 1000000LL;
  while (dtw_clock_mono_ns() < end && g.closed == 0) {
    send(a, "k\n", 2, 0);
    dtw__bt_dispatch(t, 20);
    dtw__bt_reap(t, dtw_clock_mono_ns());
  }
  assert_int_equal(g.closed, 1);
  assert_int_equal(g.closing[DTW__BT_CLOSE_IDLE], 1);
  assert_int_equal(dtw__bt_conn_count(t), 1);
  close(a);
  close(b);
  dtw__bt_destroy(t); /* closes what is left */
  assert_int_equal(g.closed, 2);
}

/* A client that does not read: the newest messages survive, each one whole. */
static void test_slow_reader_drops_oldest(void **state) {
  (void)state;
  dtw__bt_t *t = start(0);
  int fd = connect_rcvbuf(t, 16384);
  RUN_UNTIL(t, g.opened == 1);
  dtw__bt_conn_t *c = g.last;
  char msg[1000];
  const int n = 3000; /* ~3 MB: far past the kernel buffers and the queue */
  for (int i = 0; i < n; i++) {
    memset(msg, 'a' + i % 26, sizeof msg);
    snprintf(msg, sizeof msg, "%06d", i);
    msg[6] = ' ';
    msg[sizeof msg - 1] = '\n';
    struct iovec iov[2] = {{msg, 500}, {msg + 500, 500}};
    dtw__bt_lock(t);
    dtw__bt_send(c, iov, 2);
    dtw__bt_unlock(t);
  }
  dtw__bt_stats_t st;
  dtw__bt_lock(t);
  dtw__bt_get_stats(t, &st);
  dtw__bt_unlock(t);
  assert_true(st.dropped > 0);
  /* now read everything: whole messages, in order, ending with the last one */
  static char all[4 << 20];
  size_t got = 0;
  int64_t end = dtw_clock_mono_ns() + 5 * DTW_NS_PER_S;
  int last = -1, count = 0;
  while (dtw_clock_mono_ns() < end && last != n - 1) {
    dtw__bt_dispatch(t, 1);
    ssize_t r = recv(fd, all + got, sizeof all - got, MSG_DONTWAIT);
    if (r > 0) got += (size_t)r;
    while ((got >= 6 && all[0] == 'h') || (got >= 1000 && all[0] != 'h')) {
      if (all[0] == 'h') { /* hello */
        memmove(all, all + 6, got - 6);
        got -= 6;
        continue;
      }
      int k = atoi(all);
      assert_true(k > last); /* order kept, nothing repeated */
      char want = (char)('a' + k % 26);
      assert_int_equal(all[500], want);
      assert_int_equal(all[998], want);
      assert_int_equal(all[999], '\n');
      last = k;
      count++;
      memmove(all, all + 1000, got - 1000);
      got -= 1000;
    }
  }
  assert_int_equal(last, n - 1);
  assert_int_equal((uint64_t)count + st.dropped, (uint64_t)n);
  close(fd);
  dtw__bt_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_echo_and_partial_input),
      cmocka_unit_test(test_close_reasons),
      cmocka_unit_test(test_idle_and_max_conns),
      cmocka_unit_test(test_slow_reader_drops_oldest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
