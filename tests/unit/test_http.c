/* Tests for the HTTP endpoint and health model (dtw/http.h), with a plain socket client:
 * routes, status codes and headers, liveness/readiness flips, and that slow or oversized
 * clients neither block nor break the server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/http.h"
#include "dtw/log.h"
#include "dtw/metrics.h"

/* ---- a minimal HTTP/1.1 client ---------------------------------------------------------- */

typedef struct resp {
  int status;     /* 0: no status line (connection refused, closed or timed out) */
  char *raw;      /* whole response, NUL-terminated */
  const char *body;
  size_t body_len;
} resp_t;

static void resp_free(resp_t *r) {
  free(r->raw);
  memset(r, 0, sizeof *r);
}

static int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int send_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Read until the server closes (we always send Connection: close) and parse. */
static void read_resp(int fd, resp_t *r) {
  size_t cap = 65536, len = 0;
  memset(r, 0, sizeof *r);
  r->raw = malloc(cap + 1);
  assert_non_null(r->raw);
  for (;;) {
    if (len == cap) {
      cap *= 2;
      r->raw = realloc(r->raw, cap + 1);
      assert_non_null(r->raw);
    }
    ssize_t n = recv(fd, r->raw + len, cap - len, 0);
    if (n <= 0) break;
    len += (size_t)n;
  }
  r->raw[len] = '\0';
  int st = 0;
  if (sscanf(r->raw, "HTTP/1.%*d %d", &st) == 1) r->status = st;
  char *sep = strstr(r->raw, "\r\n\r\n");
  if (sep != NULL) {
    r->body = sep + 4;
    r->body_len = len - (size_t)(r->body - r->raw);
  }
}

static void request(uint16_t port, const char *method, const char *path, resp_t *r) {
  char req[512];
  snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
           method, path);
  int fd = connect_to(port);
  memset(r, 0, sizeof *r);
  if (fd < 0) return;
  if (send_all(fd, req, strlen(req)) == 0)
    read_resp(fd, r);
  close(fd);
}

/* Value of a response header, copied into out ("" if absent). */
static const char *header(const resp_t *r, const char *name, char *out, size_t cap) {
  out[0] = '\0';
  size_t n = strlen(name);
  if (r->raw == NULL || r->body == NULL) return out;
  for (const char *p = strstr(r->raw, "\r\n"); p && p < r->body;
       p = strstr(p + 2, "\r\n")) {
    if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
      const char *v = p + 3 + n;
      while (*v == ' ') v++;
      size_t k = strcspn(v, "\r");
      snprintf(out, cap, "%.*s", (int)k, v);
      break;
    }
  }
  return out;
}

/* ---- fixture ------------------------------------------------------------------------------ */

typedef struct fixture {
  dtw_metrics_t *reg;
  dtw_health_t *health;
  dtw_http_server_t *srv;
  dtw_counter_t *rx;
  dtw_health_loop_t *loop;
  dtw_health_ready_t *ready;
  uint16_t port;
} fixture_t;

static int start_with(fixture_t *f, dtw_http_opts_t o) {
  memset(f, 0, sizeof *f);
  assert_int_equal(dtw_metrics_create(&f->reg), 0);
  assert_int_equal(dtw_health_create(&f->health), 0);
  f->rx = dtw_metrics_counter(f->reg, "dtwin_messages_received_total", "Messages received.",
                              "topic", "/twin/joint_states");
  dtw_counter_add(f->rx, 7);
  f->loop = dtw_health_add_loop(f->health, "physics", 10.0);
  f->ready = dtw_health_add_ready(f->health, "model_loaded");
  assert_non_null(f->loop);
  assert_non_null(f->ready);
  o.registry = f->reg;
  o.health = f->health;
  char err[256] = "";
  int rc = dtw_http_server_start(&o, &f->srv, err, sizeof err);
  if (rc != 0) print_error("start: %s\n", err);
  assert_int_equal(rc, 0);
  f->port = dtw_http_server_port(f->srv);
  assert_true(f->port != 0);
  return 0;
}

static int start(fixture_t *f, unsigned timeout_s, unsigned max_conn) {
  return start_with(f, (dtw_http_opts_t){.timeout_s = timeout_s, .max_connections = max_conn});
}

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  start(f, 0, 0);
  *state = f;
  return 0;
}

static int setup_short_timeout(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  start(f, 1, 4);
  *state = f;
  return 0;
}

/* 4 slots, an idle timeout far longer than any test step: a drop is for capacity */
static int setup_four_slots(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  start(f, 60, 4);
  *state = f;
  return 0;
}

static int setup_two_per_address(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  start_with(f, (dtw_http_opts_t){.max_per_address = 2});
  *state = f;
  return 0;
}

static int setup_slowloris(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  start_with(f, (dtw_http_opts_t){.max_connections = 8, .header_timeout_s = 1.0});
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  dtw_http_server_stop(f->srv);
  dtw_health_destroy(f->health);
  dtw_metrics_destroy(f->reg);
  free(f);
  return 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_metrics_route(void **state) {
  fixture_t *f = *state;
  char url[64], h[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)f->port);
  assert_string_equal(dtw_http_server_url(f->srv), url);

  resp_t r;
  request(f->port, "GET", "/metrics", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(header(&r, "Content-Type", h, sizeof h),
                      "text/plain; version=0.0.4; charset=utf-8");
  assert_non_null(r.body);
  assert_non_null(strstr(r.body, "# TYPE dtwin_messages_received_total counter\n"));
  assert_non_null(
      strstr(r.body, "dtwin_messages_received_total{topic=\"/twin/joint_states\"} 7\n"));
  /* the request counter exists from the start, with bounded labels */
  assert_non_null(strstr(r.body, "dtwin_http_requests_total{path=\"/healthz\",code=\"503\"} 0\n"));
  char len[32];
  assert_int_equal(atoi(header(&r, "Content-Length", len, sizeof len)), (int)r.body_len);
  resp_free(&r);

  /* HEAD: same status and headers, no body */
  request(f->port, "HEAD", "/metrics", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(header(&r, "Content-Type", h, sizeof h),
                      "text/plain; version=0.0.4; charset=utf-8");
  assert_int_equal(r.body_len, 0);
  resp_free(&r);

  /* query strings do not change the route */
  request(f->port, "GET", "/metrics?x=1", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_not_found_and_method(void **state) {
  fixture_t *f = *state;
  char h[128];
  resp_t r;
  request(f->port, "GET", "/", &r);
  assert_int_equal(r.status, 404);
  resp_free(&r);
  request(f->port, "GET", "/metrics/x", &r);
  assert_int_equal(r.status, 404);
  resp_free(&r);
  request(f->port, "POST", "/metrics", &r);
  assert_int_equal(r.status, 405);
  assert_string_equal(header(&r, "Allow", h, sizeof h), "GET, HEAD");
  resp_free(&r);
  request(f->port, "DELETE", "/healthz", &r);
  assert_int_equal(r.status, 405);
  resp_free(&r);

  request(f->port, "GET", "/metrics", &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "dtwin_http_requests_total{path=\"other\",code=\"404\"} 2\n"));
  assert_non_null(strstr(r.body, "dtwin_http_requests_total{path=\"/metrics\",code=\"405\"} 1\n"));
  assert_non_null(strstr(r.body, "dtwin_http_requests_total{path=\"/healthz\",code=\"405\"} 1\n"));
  resp_free(&r);
  request(f->port, "GET", "/metrics", &r);
  /* the previous scrape is counted by the time of this one */
  assert_non_null(strstr(r.body, "dtwin_http_requests_total{path=\"/metrics\",code=\"200\"} 1\n"));
  resp_free(&r);
}

static void test_readyz_flips(void **state) {
  fixture_t *f = *state;
  char h[128];
  resp_t r;
  request(f->port, "GET", "/readyz", &r);
  assert_int_equal(r.status, 503);
  assert_string_equal(r.body, "unready model_loaded\n");
  assert_string_equal(header(&r, "Content-Type", h, sizeof h), "text/plain; charset=utf-8");
  resp_free(&r);

  dtw_health_ready_t *dds = dtw_health_add_ready(f->health, "dds_discovered");
  dtw_health_set_ready(f->ready, true);
  request(f->port, "GET", "/readyz", &r);
  assert_int_equal(r.status, 503);
  assert_string_equal(r.body, "unready dds_discovered\n");
  resp_free(&r);

  dtw_health_set_ready(dds, true);
  request(f->port, "GET", "/readyz", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok\n");
  resp_free(&r);

  dtw_health_set_ready(f->ready, false);
  request(f->port, "HEAD", "/readyz", &r);
  assert_int_equal(r.status, 503);
  assert_int_equal(r.body_len, 0);
  resp_free(&r);
}

/* GET /healthz right after beating `loop` (deadline_s): 200, unless the request itself
 * took longer than the deadline (a starved host), which is tried again. */
static void healthy_after_beat(fixture_t *f, dtw_health_loop_t *loop, double deadline_s) {
  for (int attempt = 0;; attempt++) {
    resp_t r;
    dtw_health_beat(loop);
    int64_t t0 = dtw_clock_mono_ns();
    request(f->port, "GET", "/healthz", &r);
    double took = (double)(dtw_clock_mono_ns() - t0) / 1e9;
    int status = r.status;
    bool ok_body = r.body != NULL && strcmp(r.body, "ok\n") == 0;
    resp_free(&r);
    if (status == 200) {
      assert_true(ok_body);
      return;
    }
    if (took < deadline_s || attempt == 20)
      fail_msg("/healthz %d %.3f s after the beat (deadline %.1f s)", status, took, deadline_s);
  }
}

static void test_healthz_stale_loop(void **state) {
  fixture_t *f = *state;
  resp_t r;
  dtw_health_loop_t *fast = dtw_health_add_loop(f->health, "control", 0.3);
  assert_non_null(fast);
  healthy_after_beat(f, fast, 0.3);

  /* "physics" (10 s) keeps its deadline; "control" stops beating for 0.5 s */
  dtw_health_beat(fast);
  dtw_clock_sleep_ns(500 * 1000000LL);
  dtw_health_beat(f->loop);
  request(f->port, "GET", "/healthz", &r);
  assert_int_equal(r.status, 503);
  double age = 0;
  assert_int_equal(sscanf(r.body, "stale control %lfs\n", &age), 1);
  assert_true(age >= 0.45 && age < 60);
  assert_null(strstr(r.body, "physics"));
  resp_free(&r);

  healthy_after_beat(f, fast, 0.3);
}

static void test_health_model(void **state) {
  (void)state;
  dtw_health_t *h = NULL;
  assert_int_equal(dtw_health_create(&h), 0);
  assert_null(dtw_health_add_loop(h, "x", 0));
  assert_null(dtw_health_add_loop(h, "x", -1));
  assert_null(dtw_health_add_loop(h, "", 1));
  assert_null(dtw_health_add_loop(h, NULL, 1));
  assert_null(dtw_health_add_ready(h, ""));
  char buf[256];
  /* nothing registered: live and ready */
  assert_int_equal(dtw_health_check_live(h, dtw_clock_mono_ns(), buf, sizeof buf), 1);
  assert_string_equal(buf, "ok\n");
  assert_int_equal(dtw_health_check_ready(h, buf, sizeof buf), 1);
  /* capacity */
  for (int i = 0; i < DTW_HEALTH_MAX_ITEMS; i++) assert_non_null(dtw_health_add_loop(h, "l", 1));
  assert_null(dtw_health_add_loop(h, "l", 1));
  /* all stale when the clock is far ahead; the report names every one, truncation-safe */
  int64_t later = dtw_clock_mono_ns() + 5 * DTW_NS_PER_S;
  assert_int_equal(dtw_health_check_live(h, later, buf, sizeof buf), 0);
  assert_int_equal(strncmp(buf, "stale l ", 8), 0);
  assert_int_equal(strlen(buf), sizeof buf - 1);
  assert_int_equal(dtw_health_check_live(h, later, NULL, 0), 0);
  dtw_health_destroy(h);
}

/* A client that sends half a request and stalls must not delay others, and is dropped
 * after the idle timeout (1 s in this fixture). Judged by order, not by clock: the
 * other client's answer comes while the stalled connection is still open, and the
 * stalled one is then closed by the server (not by our own receive timeout). The
 * order says nothing when the other request itself took the idle timeout (a
 * starved host): that round is tried again. */
static void test_slow_client(void **state) {
  fixture_t *f = *state;
  const char *half = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  int slow = -1;
  for (int attempt = 0;; attempt++) {
    slow = connect_to(f->port);
    assert_true(slow >= 0);
    int64_t t0 = dtw_clock_mono_ns();
    assert_int_equal(send_all(slow, half, strlen(half)), 0);
    resp_t r;
    request(f->port, "GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    char buf[256] = "";
    ssize_t n = recv(slow, buf, sizeof buf - 1, MSG_PEEK | MSG_DONTWAIT);
    bool judged = dtw_clock_mono_ns() - t0 < 500 * 1000000LL;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break; /* still open: right */
    if (judged || attempt == 10)
      fail_msg("the stalled connection was answered or closed (%zd) before the other", n);
    close(slow);
  }

  /* the server closes the stalled connection on its own: wait as long as a loaded
   * machine needs, far past the fixture's 1 s */
  char buf[256] = "";
  struct timeval tv = {60, 0};
  setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n = recv(slow, buf, sizeof buf - 1, 0);
  if (n > 0) buf[n] = '\0';
  if (n < 0) fail_msg("stalled connection not closed by the server: %s", strerror(errno));
  assert_true(n == 0 || strstr(buf, "HTTP/1.1 ") != NULL); /* closed, or an error reply */
  close(slow);
}

/* Value of dtwin_http_connections_dropped_total{reason} in the registry's exposition. */
static double dropped(fixture_t *f, const char *reason) {
  char *text = NULL, needle[128];
  size_t len = 0;
  assert_int_equal(dtw_metrics_scrape(f->reg, &text, &len), 0);
  snprintf(needle, sizeof needle, "dtwin_http_connections_dropped_total{reason=\"%s\"} ", reason);
  const char *at = strstr(text, needle);
  double v = at != NULL ? strtod(at + strlen(needle), NULL) : -1;
  free(text);
  return v;
}

/* A connection the server has closed reads EOF (or an error) within the socket's
 * 5 s receive timeout; one it keeps open times out. */
static bool closed_by_server(int fd) {
  char c;
  errno = 0;
  ssize_t n = recv(fd, &c, 1, 0);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* With every slot (4 here) held by idle clients, a new client is served at once: the
 * client that has waited longest loses its slot, and the drop is counted. */
static void test_connection_limit(void **state) {
  fixture_t *f = *state;
  int idle[4];
  for (int i = 0; i < 4; i++) {
    idle[i] = connect_to(f->port);
    assert_true(idle[i] >= 0);
  }
  resp_t r;
  request(f->port, "GET", "/healthz", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  assert_true(closed_by_server(idle[0]));
  assert_true(dropped(f, "capacity") >= 1);
  for (int i = 0; i < 4; i++) close(idle[i]);
}

/* One address may hold max_per_address slots (2 here): its third connection takes
 * the slot of its own oldest idle one, not another client's. */
static void test_per_address_limit(void **state) {
  fixture_t *f = *state;
  int c[3];
  for (int i = 0; i < 3; i++) {
    c[i] = connect_to(f->port);
    assert_true(c[i] >= 0);
    /* the server has filed the connection once it answers a request on another */
    resp_t r;
    request(f->port, "GET", "/readyz", &r);
    resp_free(&r);
  }
  assert_true(closed_by_server(c[0]));
  assert_true(dropped(f, "per_address") >= 1);
  for (int i = 0; i < 3; i++) close(c[i]);
}

/* Slowloris: many clients that send their headers one byte at a time hold no slot for
 * long. With 8 slots and 24 such clients (more than the server has slots), every
 * /healthz probe in between is answered, and the dripping clients are cut off by the
 * header deadline (1 s here) however steadily they send. */
static void test_slowloris(void **state) {
  fixture_t *f = *state;
  enum { N = 24 };
  int slow[N];
  const char *prefix = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  for (int i = 0; i < N; i++) {
    slow[i] = connect_to(f->port);
    assert_true(slow[i] >= 0);
    (void)send_all(slow[i], prefix, strlen(prefix));
  }
  int answered = 0, probes = 0;
  /* drip a byte on every connection, probe, repeat: ~3 s of attack */
  for (int round = 0; round < 30; round++) {
    for (int i = 0; i < N; i++) (void)send(slow[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    resp_t r;
    request(f->port, "GET", "/healthz", &r);
    probes++;
    if (r.status == 200) answered++;
    resp_free(&r);
    dtw_clock_sleep_ns(100 * 1000000LL);
  }
  assert_int_equal(answered, probes);
  assert_true(dropped(f, "capacity") + dropped(f, "header_timeout") >= N - 8);
  /* after the deadline every dripping client has been closed */
  for (int i = 0; i < N; i++) {
    assert_true(closed_by_server(slow[i]));
    close(slow[i]);
  }
}

/* A 64 KiB header is refused (4xx or closed) and the server keeps serving. */
static void test_huge_header(void **state) {
  fixture_t *f = *state;
  size_t big = 64 * 1024;
  char *req = malloc(big + 256);
  assert_non_null(req);
  int k = snprintf(req, 256, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ");
  memset(req + k, 'a', big);
  memcpy(req + k + big, "\r\nConnection: close\r\n\r\n", 24);
  int fd = connect_to(f->port);
  assert_true(fd >= 0);
  send_all(fd, req, strlen(req)); /* may fail half way when the server gives up: fine */
  resp_t r;
  read_resp(fd, &r);
  close(fd);
  assert_true(r.status == 0 || (r.status >= 400 && r.status < 500));
  if (r.status != 0) print_message("huge header answered with %d\n", r.status);
  resp_free(&r);
  free(req);

  request(f->port, "GET", "/metrics", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_many_requests(void **state) {
  fixture_t *f = *state;
  int ok = 0;
  for (int i = 0; i < 200; i++) {
    resp_t r;
    request(f->port, "GET", i % 2 ? "/metrics" : "/healthz", &r);
    ok += r.status == 200;
    resp_free(&r);
  }
  assert_int_equal(ok, 200);
  resp_t r;
  request(f->port, "GET", "/metrics", &r);
  assert_non_null(
      strstr(r.body, "dtwin_http_requests_total{path=\"/healthz\",code=\"200\"} 100\n"));
  assert_non_null(
      strstr(r.body, "dtwin_http_requests_total{path=\"/metrics\",code=\"200\"} 100\n"));
  resp_free(&r);
}

static void test_start_errors(void **state) {
  (void)state;
  char err[256];
  dtw_http_server_t *s = NULL, *s2 = NULL;
  dtw_http_opts_t o = {.bind_address = "localhost"}; /* names are not resolved */
  assert_int_equal(dtw_http_server_start(&o, &s, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "localhost"));
  assert_int_equal(dtw_http_server_start(NULL, &s, err, sizeof err), DTW_EINVAL);

  /* no registry, no health: /metrics 404, health always ok */
  dtw_http_opts_t bare = {0};
  assert_int_equal(dtw_http_server_start(&bare, &s, err, sizeof err), 0);
  resp_t r;
  request(dtw_http_server_port(s), "GET", "/metrics", &r);
  assert_int_equal(r.status, 404);
  resp_free(&r);
  request(dtw_http_server_port(s), "GET", "/healthz", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  request(dtw_http_server_port(s), "GET", "/readyz", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);

  /* the port is taken */
  dtw_log_set_level(DTW_LOG_OFF);
  dtw_http_opts_t same = {.port = dtw_http_server_port(s)};
  assert_int_equal(dtw_http_server_start(&same, &s2, err, sizeof err), DTW_EIO);
  dtw_log_set_level(DTW_LOG_INFO);
  assert_non_null(strstr(err, "cannot serve"));
  print_message("bind error: %s\n", err);
  dtw_http_server_stop(s);
  dtw_http_server_stop(NULL);

  /* IPv6 loopback, where the host has it */
  dtw_http_opts_t v6 = {.bind_address = "::1"};
  dtw_log_set_level(DTW_LOG_OFF);
  int rc = dtw_http_server_start(&v6, &s, err, sizeof err);
  dtw_log_set_level(DTW_LOG_INFO);
  if (rc == 0) {
    char url[64];
    snprintf(url, sizeof url, "http://[::1]:%u", (unsigned)dtw_http_server_port(s));
    assert_string_equal(dtw_http_server_url(s), url);
    dtw_http_server_stop(s);
  } else {
    print_message("no IPv6 loopback here (%s)\n", err);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_metrics_route, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_found_and_method, setup, teardown),
      cmocka_unit_test_setup_teardown(test_readyz_flips, setup, teardown),
      cmocka_unit_test_setup_teardown(test_healthz_stale_loop, setup, teardown),
      cmocka_unit_test(test_health_model),
      cmocka_unit_test_setup_teardown(test_slow_client, setup_short_timeout, teardown),
      cmocka_unit_test_setup_teardown(test_connection_limit, setup_four_slots, teardown),
      cmocka_unit_test_setup_teardown(test_per_address_limit, setup_two_per_address, teardown),
      cmocka_unit_test_setup_teardown(test_slowloris, setup_slowloris, teardown),
      cmocka_unit_test_setup_teardown(test_huge_header, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_requests, setup, teardown),
      cmocka_unit_test(test_start_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
