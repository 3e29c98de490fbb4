/* The Unity bridge under hostile clients (issue 15, items 2-5, 9 and the
 * bridge's part of 12), in one process: a bus, a bridge node with its
 * documented settings (deadlines shortened so the test is quick) and raw TCP
 * clients speaking ROS-TCP-Endpoint frames. Each test is one attack that
 * worked before:
 *   subscriptions  5000-style __subscribe flood: bounded per client, released
 *                  when the client goes, one DDS reader per topic shared;
 *   calls          requests held for a service nobody serves: bounded per
 *                  client, another client's /twin/reset still answered;
 *   slots          keepalive squatters, a byte-drip, silence, one address
 *                  taking every slot: a newcomer still gets in;
 *   out of fds     the accept loop does not spin at the descriptor limit;
 *   shadowing      a Unity service cannot take /twin/reset; a subscription
 *                  with another type than the graph's gets an __error;
 *   busy port      `dtwin bridge` on a taken port exits 1 with the reason.
 * And one that is no attack: a stream the bridge sends on its fan-out tick
 * (fanout_period_us) arrives whole and in order, and a lone message after it
 * goes out on the next tick, not at the poll's timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dtw/bridge.h"
#include "dtw/bridge_node.h"
#include "dtw/bus.h"
#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/config.h"
#include "dtw/log.h"

#define MS 1000000LL

static dtw_bus_t *g_bus;
static dtw_bus_node_t *g_node; /* the "twin": serves /twin/reset */
static dtw_bridge_node_t *g_br;
static pthread_t g_th;
static atomic_bool g_stop;
static atomic_int g_resets;
static int g_poll_ms = 10; /* the poll thread's timeout */

static void *poll_thread(void *arg) {
  (void)arg;
  while (!atomic_load(&g_stop)) dtw_bridge_node_poll(g_br, g_poll_ms);
  return NULL;
}

static void bridge_start(dtw_bridge_node_settings_t *s) {
  char err[512];
  s->port = 0;
  snprintf(s->bind_address, sizeof s->bind_address, "0.0.0.0"); /* 127.0.0.x peers */
  dtw_node_host_t host = {.bus = g_bus};
  assert_int_equal(dtw_bridge_node_create(s, &host, &g_br, err, sizeof err), 0);
  atomic_store(&g_stop, false);
  pthread_create(&g_th, NULL, poll_thread, NULL);
}

static void bridge_stop(void) {
  atomic_store(&g_stop, true);
  pthread_join(g_th, NULL);
  dtw_bridge_node_destroy(g_br);
  g_br = NULL;
}

static void defaults(dtw_bridge_node_settings_t *s) {
  dtw_param_defaults(&dtw_bridge_node_param_table, s);
}

static void stats(dtw_bridge_node_stats_t *st) { dtw_bridge_node_get_stats(g_br, st); }

/* ---- a raw client ---------------------------------------------------------------- */

typedef struct client {
  int fd;
  uint8_t buf[1 << 16];
  size_t len;
} client_t;

/* Connect from local address `from` ("127.0.0.1", "127.0.0.2", ...). */
static int tcp_connect(const char *from) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in me = {.sin_family = AF_INET};
  inet_pton(AF_INET, from, &me.sin_addr);
  assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)dtw_bridge_node_port(g_br))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

static client_t *client_open(const char *from) {
  client_t *c = calloc(1, sizeof *c);
  c->fd = tcp_connect(from);
  return c;
}

static void client_close(client_t *c) {
  close(c->fd);
  free(c);
}

static void send_all(int fd, const void *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p = (const char *)p + w;
    n -= (size_t)w;
  }
}

static void send_frame(client_t *c, const char *dest, const void *payload, size_t len) {
  uint8_t head[8 + 256];
  size_t hl = dtw_bridge_frame_head(head, dest, strlen(dest), len);
  send_all(c->fd, head, hl);
  send_all(c->fd, payload, len);
}

static void send_cmd(client_t *c, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_cmd(client_t *c, const char *cmd, const char *fmt, ...) {
  char json[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(json, sizeof json, fmt, ap);
  va_end(ap);
  send_frame(c, cmd, json, (size_t)n);
}

/* The next frame within timeout_ms: 1 (dest, payload copied), 0 timeout, -1 closed. */
static int next_frame(client_t *c, char *dest, size_t dcap, char *payload, size_t pcap,
                      int timeout_ms) {
  int64_t end = dtw_clock_mono_ns() + timeout_ms * MS;
  for (;;) {
    dtw_bridge_frame_t f;
    size_t used;
    char err[128];
    if (dtw_bridge_frame_decode(c->buf, c->len, sizeof c->buf, &f, &used, err, sizeof err) == 1) {
      snprintf(dest, dcap, "%.*s", (int)f.dest_len, f.dest);
      snprintf(payload, pcap, "%.*s", (int)f.payload_len, (const char *)f.payload);
      memmove(c->buf, c->buf + used, c->len - used);
      c->len -= used;
      return 1;
    }
    int left = (int)((end - dtw_clock_mono_ns()) / MS);
    if (left <= 0) return 0;
    struct pollfd p = {c->fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) continue;
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (r <= 0) return -1;
    c->len += (size_t)r;
  }
}

/* Wait for a frame to dest (others skipped); its payload into payload. */
static bool expect_frame(client_t *c, const char *want, char *payload, size_t pcap,
                         int timeout_ms) {
  char dest[300];
  int64_t end = dtw_clock_mono_ns() + timeout_ms * MS;
  for (;;) {
    int left = (int)((end - dtw_clock_mono_ns()) / MS);
    if (left <= 0) return false;
    int r = next_frame(c, dest, sizeof dest, payload, pcap, left);
    if (r <= 0) return false;
    if (strcmp(dest, want) == 0) return true;
  }
}

/* True if the server closed c within timeout_ms (frames before EOF skipped). */
static bool closed_within(client_t *c, int timeout_ms) {
  char dest[300], payload[2048];
  int64_t end = dtw_clock_mono_ns() + timeout_ms * MS;
  for (;;) {
    int left = (int)((end - dtw_clock_mono_ns()) / MS);
    if (left <= 0) return false;
    int r = next_frame(c, dest, sizeof dest, payload, sizeof payload, left);
    if (r < 0) return true;
  }
}

#define WAIT_FOR(cond, ms)                                          \
  do {                                                              \
    int64_t end_ = dtw_clock_mono_ns() + (ms) * MS;                 \
    while (!(cond) && dtw_clock_mono_ns() < end_) usleep(10000);    \
  } while (0)

/* ---- the twin's /twin/reset -------------------------------------------------------- */

static int on_reset(const void *req, void *resp, void *user) {
  (void)req;
  (void)user;
  dtw_trigger_response_t *r = resp;
  r->success = true;
  snprintf(r->message, sizeof r->message, "twin reset");
  atomic_fetch_add(&g_resets, 1);
  return 0;
}

static const uint8_t k_trigger_req[] = {0, 1, 0, 0, 0};

/* ---- item 2: subscriptions -------------------------------------------------------- */

static void test_subscriptions_bounded(void **state) {
  (void)state;
  dtw_bridge_node_settings_t s;
  defaults(&s); /* max_registrations 64 */
  bridge_start(&s);
  client_t *a = client_open("127.0.0.1"), *b = client_open("127.0.0.1");
  const int n = 1000;
  for (int i = 0; i < n; i++)
    send_cmd(a, "__subscribe", "{\"topic\":\"/hostile/t%d\",\"message_name\":\"std_msgs/String\"}",
             i);
  char payload[2048];
  assert_true(expect_frame(a, "__error", payload, sizeof payload, 5000));
  assert_non_null(strstr(payload, "max_registrations"));
  dtw_bridge_node_stats_t st;
  WAIT_FOR((stats(&st), st.refused[DTW_BRIDGE_REFUSAL_REGISTRATION_LIMIT] ==
                            (uint64_t)(n - s.max_registrations)),
           10000);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_REGISTRATION_LIMIT], n - s.max_registrations);
  assert_int_equal(st.registrations, s.max_registrations);
  /* b shares a's readers: subscribing to a's topics adds no DDS reader */
  for (int i = 0; i < 8; i++)
    send_cmd(b, "__subscribe", "{\"topic\":\"/hostile/t%d\",\"message_name\":\"std_msgs/String\"}",
             i);
  WAIT_FOR((stats(&st), st.registrations == (uint64_t)s.max_registrations + 8), 5000);
  assert_int_equal(st.registrations, s.max_registrations + 8);
  dtw_graph_t *g;
  char err[256];
  assert_int_equal(dtw_graph_create(g_bus, &g, err, sizeof err), 0);
  WAIT_FOR((dtw_graph_update(g), dtw_graph_topic_subscribers(g, "/hostile/t0") == 1), 3000);
  assert_int_equal(dtw_graph_topic_subscribers(g, "/hostile/t0"), 1);
  assert_int_equal(dtw_graph_topic_subscribers(g, "/hostile/t999"), 0); /* refused: no reader */
  /* a leaves: what only a held is released, b's stay */
  client_close(a);
  WAIT_FOR((stats(&st), st.registrations == 8), 5000);
  assert_int_equal(st.registrations, 8);
  WAIT_FOR((dtw_graph_update(g), dtw_graph_topic_subscribers(g, "/hostile/t63") == 0), 5000);
  assert_int_equal(dtw_graph_topic_subscribers(g, "/hostile/t63"), 0);
  assert_int_equal(dtw_graph_topic_subscribers(g, "/hostile/t0"), 1);
  client_close(b);
  WAIT_FOR((stats(&st), st.registrations == 0), 5000);
  assert_int_equal(st.registrations, 0);
  dtw_graph_destroy(g);
  bridge_stop();
}

/* ---- item 3: service calls -------------------------------------------------------- */

static void test_calls_bounded(void **state) {
  (void)state;
  dtw_bridge_node_settings_t s;
  defaults(&s); /* 32 calls, 4 MiB per client */
  bridge_start(&s);
  enum { ATTACKERS = 4, REQUESTS = 80, SIZE = 256 * 1024 }; /* 320 calls, 80 MiB */
  static uint8_t big[SIZE];
  memset(big, 0, sizeof big);
  big[1] = 1; /* a plain-CDR header; the rest does not matter while nobody serves it */
  client_t *att[ATTACKERS];
  for (int k = 0; k < ATTACKERS; k++) {
    att[k] = client_open("127.0.0.1");
    send_cmd(att[k], "__ros_service", "{\"topic\":\"/nobody\",\"message_name\":\"std_srvs/Trigger\"}");
    for (int i = 0; i < REQUESTS; i++) {
      send_cmd(att[k], "__request", "{\"srv_id\":%d}", i);
      send_frame(att[k], "/nobody", big, sizeof big);
    }
  }
  dtw_bridge_node_stats_t st;
  WAIT_FOR((stats(&st), st.frames_in >= (uint64_t)ATTACKERS * (2 * REQUESTS + 1)), 10000);
  assert_true(st.frames_in >= (uint64_t)ATTACKERS * (2 * REQUESTS + 1));
  print_message("held: %llu calls, %llu bytes\n", (unsigned long long)st.calls,
                (unsigned long long)st.call_bytes);
  assert_true(st.calls <= (uint64_t)ATTACKERS * s.max_calls_per_client);
  assert_true(st.call_bytes <= (uint64_t)ATTACKERS * s.max_call_bytes_per_client); /* 16 MiB */
  assert_true(st.call_bytes <= (uint64_t)s.max_call_bytes);
  assert_true(st.refused[DTW_BRIDGE_REFUSAL_CALL_LIMIT] > 0);
  /* meanwhile another client's /twin/reset is answered */
  client_t *v = client_open("127.0.0.2");
  send_cmd(v, "__ros_service", "{\"topic\":\"/twin/reset\",\"message_name\":\"std_srvs/Trigger\"}");
  send_cmd(v, "__request", "{\"srv_id\":7}");
  send_frame(v, "/twin/reset", k_trigger_req, sizeof k_trigger_req);
  char payload[2048];
  assert_true(expect_frame(v, "__response", payload, sizeof payload, 5000));
  assert_non_null(strstr(payload, "\"srv_id\":7"));
  assert_true(expect_frame(v, "/twin/reset", payload, sizeof payload, 1000));
  assert_true(atomic_load(&g_resets) >= 1);
  for (int k = 0; k < ATTACKERS; k++) client_close(att[k]);
  WAIT_FOR((stats(&st), st.calls == 0 && st.call_bytes == 0), 3000);
  assert_int_equal(st.call_bytes, 0); /* released when they leave, not at their timeout */
  client_close(v);
  bridge_stop();
}

/* ---- item 4: connection slots ------------------------------------------------------- */

static void test_slots(void **state) {
  (void)state;
  dtw_bridge_node_settings_t s;
  defaults(&s);
  s.max_clients = 4;
  s.max_clients_per_address = 2;
  s.handshake_timeout_s = 1;
  s.frame_timeout_s = 1;
  s.slot_idle_s = 1;
  bridge_start(&s);
  dtw_bridge_node_stats_t st;
  char payload[2048];
  /* one address gets max_clients_per_address slots, not all of them */
  client_t *x1 = client_open("127.0.0.9"), *x2 = client_open("127.0.0.9");
  client_t *x3 = client_open("127.0.0.9");
  assert_true(closed_within(x3, 2000));
  stats(&st);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_PER_ADDRESS], 1);
  client_close(x1);
  client_close(x2);
  client_close(x3);
  /* silence and a byte-drip: closed by the deadlines, not after idle_timeout_s */
  client_t *quiet = client_open("127.0.0.5"), *drip = client_open("127.0.0.6");
  static const uint8_t frame[] = {4, 0, 0, 0, '/', 'a', 'b', 'c', 2, 0, 0, 0, 'h', 'i'};
  int64_t t0 = dtw_clock_mono_ns();
  bool drip_closed = false;
  for (size_t i = 0; i < sizeof frame && !drip_closed; i++) {
    send(drip->fd, &frame[i], 1, MSG_NOSIGNAL);
    drip_closed = closed_within(drip, 300);
  }
  assert_true(drip_closed || closed_within(drip, 2000));
  assert_true(closed_within(quiet, 2000));
  assert_true(dtw_clock_mono_ns() - t0 < 4000 * MS);
  stats(&st);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_HANDSHAKE_TIMEOUT] +
                       st.refused[DTW_BRIDGE_REFUSAL_SLOW_FRAME],
                   2);
  client_close(quiet);
  client_close(drip);
  /* keepalive squatters from four addresses hold every slot... */
  client_t *sq[4];
  char from[32];
  for (int i = 0; i < 4; i++) {
    snprintf(from, sizeof from, "127.0.0.%d", 20 + i);
    sq[i] = client_open(from);
  }
  WAIT_FOR((stats(&st), st.clients == 4), 2000);
  for (int round = 0; round < 8; round++) { /* 1.6 s of keepalives */
    for (int i = 0; i < 4; i++) send_frame(sq[i], "", NULL, 0);
    usleep(200000);
  }
  /* ...a newcomer still gets in (a squatter gives its slot) and is served */
  client_t *u = client_open("127.0.0.30");
  assert_true(expect_frame(u, "__handshake", payload, sizeof payload, 2000));
  send_cmd(u, "__topic_list", "%s", "");
  assert_true(expect_frame(u, "__topic_list", payload, sizeof payload, 2000));
  stats(&st);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_EVICTED], 1);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_MAX_CLIENTS], 0);
  /* a client holding a registration keeps its slot: with u subscribed and the
   * squatters refreshed, the next newcomer takes another squatter's slot */
  send_cmd(u, "__subscribe", "{\"topic\":\"/hostile/u\",\"message_name\":\"std_msgs/String\"}");
  usleep(1200000);
  client_t *w = client_open("127.0.0.31");
  assert_true(expect_frame(w, "__handshake", payload, sizeof payload, 2000));
  assert_false(closed_within(u, 300));
  stats(&st);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_EVICTED], 2);
  for (int i = 0; i < 4; i++) client_close(sq[i]);
  client_close(u);
  client_close(w);
  bridge_stop();
}

/* ---- item 5: out of file descriptors --------------------------------------------------- */

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
         ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6;
}

/* A busy thread beside the measurement: on a loaded machine the CPU a
 * spinning loop gets is what a spinning accept loop would get too. */
static atomic_bool g_spin_stop;
static double g_spin_cpu;

static void *spinner(void *arg) {
  (void)arg;
  struct timespec a, b;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  while (!atomic_load(&g_spin_stop)) {
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  g_spin_cpu = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
  return NULL;
}

static void test_out_of_fds(void **state) {
  (void)state;
  dtw_bridge_node_settings_t s;
  defaults(&s);
  bridge_start(&s);
  int probe[3];
  for (int i = 0; i < 3; i++) probe[i] = socket(AF_INET, SOCK_STREAM, 0); /* before the limit */
  struct rlimit old, lim;
  getrlimit(RLIMIT_NOFILE, &old);
  int top = dup(0);
  close(top);
  lim = old;
  lim.rlim_cur = (rlim_t)top + 64;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
  static int fill[100000];
  int n = 0;
  while (n < 100000 && (fill[n] = dup(0)) >= 0) n++;
  assert_int_equal(errno, EMFILE);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)dtw_bridge_node_port(g_br))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  for (int i = 0; i < 3; i++) connect(probe[i], (struct sockaddr *)&sa, sizeof sa);
  pthread_t sp;
  atomic_store(&g_spin_stop, false);
  double c0 = cpu_s();
  int64_t t0 = dtw_clock_mono_ns();
  pthread_create(&sp, NULL, spinner, NULL);
  usleep(1000000);
  atomic_store(&g_spin_stop, true);
  pthread_join(sp, NULL);
  double wall = (double)(dtw_clock_mono_ns() - t0) * 1e-9;
  double used = cpu_s() - c0 - g_spin_cpu; /* everything but the spinner */
  /* the pending connections were shed: their peers see the end */
  int shed = 0;
  for (int i = 0; i < 3; i++) {
    char b;
    struct pollfd p = {probe[i], POLLIN, 0};
    if (poll(&p, 1, 0) == 1 && recv(probe[i], &b, 1, MSG_DONTWAIT) == 0) shed++;
  }
  for (int i = 0; i < n; i++) close(fill[i]);
  setrlimit(RLIMIT_NOFILE, &old);
  print_message("out of descriptors: %.3f CPU-s in %.2f s (a busy loop got %.3f), %d of 3 "
                "pending connections shed\n",
                used, wall, g_spin_cpu, shed);
  assert_true(used < 0.2 * g_spin_cpu); /* the accept loop spun like the busy loop before */
  dtw_bridge_node_stats_t st;
  stats(&st);
  assert_true(st.refused[DTW_BRIDGE_REFUSAL_NO_FD] >= 1);
  assert_true(shed >= 1);
  /* descriptors back: accepting again */
  client_t *c = client_open("127.0.0.1");
  char payload[256];
  assert_true(expect_frame(c, "__handshake", payload, sizeof payload, 3000));
  client_close(c);
  for (int i = 0; i < 3; i++) close(probe[i]);
  bridge_stop();
}

/* ---- item 9: shadowing and types ------------------------------------------------------- */

static void test_no_shadowing(void **state) {
  (void)state;
  dtw_bridge_node_settings_t s;
  defaults(&s);
  bridge_start(&s);
  dtw_pub_t *pub;
  char err[256], payload[2048];
  assert_int_equal(dtw_pub_create(g_node, "/hostile/js", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT,
                                  &pub, err, sizeof err),
                   0);
  client_t *c = client_open("127.0.0.1");
  send_cmd(c, "__unity_service", "{\"topic\":\"/twin/reset\",\"message_name\":\"std_srvs/Trigger\"}");
  assert_true(expect_frame(c, "__error", payload, sizeof payload, 3000));
  assert_non_null(strstr(payload, "already served"));
  send_cmd(c, "__subscribe", "{\"topic\":\"/hostile/js\",\"message_name\":\"std_msgs/String\"}");
  assert_true(expect_frame(c, "__error", payload, sizeof payload, 3000));
  assert_non_null(strstr(payload, "sensor_msgs/msg/JointState"));
  dtw_bridge_node_stats_t st;
  stats(&st);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_SERVICE_EXISTS], 1);
  assert_int_equal(st.refused[DTW_BRIDGE_REFUSAL_TYPE_MISMATCH], 1);
  assert_int_equal(st.registrations, 0);
  /* the same type, and a new Unity service, are fine */
  send_cmd(c, "__subscribe", "{\"topic\":\"/hostile/js\",\"message_name\":\"sensor_msgs/JointState\"}");
  send_cmd(c, "__unity_service", "{\"topic\":\"/unity/t\",\"message_name\":\"std_srvs/Trigger\"}");
  WAIT_FOR((stats(&st), st.registrations == 2), 3000);
  assert_int_equal(st.registrations, 2);
  client_close(c);
  bridge_stop();
  /* configured to, a Unity service may shadow */
  s.allow_service_shadowing = true;
  bridge_start(&s);
  c = client_open("127.0.0.1");
  send_cmd(c, "__unity_service", "{\"topic\":\"/twin/reset\",\"message_name\":\"std_srvs/Trigger\"}");
  WAIT_FOR((stats(&st), st.registrations == 1), 3000);
  assert_int_equal(st.registrations, 1);
  client_close(c);
  bridge_stop();
  dtw_pub_destroy(pub);
}

/* ---- item 12: a busy port is a runtime failure ------------------------------------------- */

static void test_busy_port_exits_1(void **state) {
  (void)state;
  const char *dtwin = getenv("DTWIN");
  if (dtwin == NULL) skip();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(fd, 1), 0);
  socklen_t sl = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "'%s' bridge --port %d --bind 127.0.0.1 --duration 2 --quiet --set dtwin.http_port=0 "
           "2>&1",
           dtwin, ntohs(sa.sin_port));
  FILE *p = popen(cmd, "r");
  char out[4096] = "";
  size_t got = fread(out, 1, sizeof out - 1, p);
  out[got] = '\0';
  int status = pclose(p);
  close(fd);
  print_message("%s", out);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 1);
  assert_non_null(strstr(out, "Address already in use"));
}

/* ---- the fan-out tick ----------------------------------------------------------------------- */

/* The next frame to dest within timeout_ms; its header.stamp.sec (a JointState's
 * bytes 4..7 after the encapsulation header), or -1. */
static int32_t next_stamp(client_t *c, const char *dest, int timeout_ms) {
  int64_t end = dtw_clock_mono_ns() + timeout_ms * MS;
  for (;;) {
    dtw_bridge_frame_t f;
    size_t used;
    if (dtw_bridge_frame_decode(c->buf, c->len, sizeof c->buf, &f, &used, NULL, 0) == 1) {
      int32_t sec = -1;
      bool ours = f.dest_len == strlen(dest) && memcmp(f.dest, dest, f.dest_len) == 0;
      if (ours && f.payload_len >= 8) memcpy(&sec, f.payload + 4, 4);
      memmove(c->buf, c->buf + used, c->len - used);
      c->len -= used;
      if (ours) return sec;
      continue;
    }
    int left = (int)((end - dtw_clock_mono_ns()) / MS);
    if (left <= 0) return -1;
    struct pollfd p = {c->fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) continue;
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (r <= 0) return -1;
    c->len += (size_t)r;
  }
}

static void test_stream_on_tick(void **state) {
  (void)state;
  char err[512];
  dtw_bridge_node_settings_t s;
  defaults(&s);
  s.fanout_period_us = 20000; /* a long tick: the burst waits for it */
  s.send_queue_messages = 10000;
  s.send_queue_bytes = 64 << 20;
  g_poll_ms = 3000; /* a sample the poll thread was not woken for waits this long */
  bridge_start(&s);
  const char *topic = "/tick/joint_states";
  client_t *c = client_open("127.0.0.1");
  send_cmd(c, "__subscribe", "{\"topic\":\"%s\",\"message_name\":\"sensor_msgs/JointState\"}",
           topic);
  dtw_pub_t *pub;
  assert_int_equal(dtw_pub_create(g_node, topic, DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &pub, err,
                                  sizeof err),
                   0);
  assert_int_equal(dtw_pub_wait_matched(pub, 1, 5000 * MS), 0);
  static dtw_joint_state_msg_t m;
  m.n_name = m.n_position = 1;
  snprintf(m.name[0], sizeof m.name[0], "j");
  int32_t seq = 0;
  for (int burst = 0; burst < 5; burst++) {
    /* a burst back to back: every message, in order */
    int32_t first = seq + 1;
    for (int i = 0; i < 300; i++) {
      m.stamp.sec = ++seq;
      assert_int_equal(dtw_pub_joint_state(pub, &m), 0);
    }
    for (int32_t want = first; want <= seq; want++)
      assert_int_equal(next_stamp(c, topic, 5000), want);
    /* idle, then one message: it goes out on the tick (not at the 3 s timeout) */
    usleep(50000);
    m.stamp.sec = ++seq;
    int64_t t0 = dtw_clock_mono_ns();
    assert_int_equal(dtw_pub_joint_state(pub, &m), 0);
    assert_int_equal(next_stamp(c, topic, 5000), seq);
    int64_t took_ms = (dtw_clock_mono_ns() - t0) / MS;
    if (took_ms >= 1000)
      fail_msg("a lone message took %lld ms: the poll thread slept through its tick",
               (long long)took_ms);
  }
  dtw_bridge_node_stats_t st;
  stats(&st);
  assert_int_equal(st.dropped, 0);
  dtw_pub_destroy(pub);
  client_close(c);
  bridge_stop();
  g_poll_ms = 10;
}

int main(void) {
  char err[512];
  dtw_log_set_level(DTW_LOG_ERROR);
  dtw_bus_options_t bo;
  dtw_bus_options_default(&bo);
  if (dtw_bus_create(&bo, &g_bus, err, sizeof err) < 0 ||
      dtw_bus_node_create(g_bus, "digital_twin", "/twin", &g_node, err, sizeof err) < 0) {
    fprintf(stderr, "test_bridge_hostile: %s\n", err);
    return 77;
  }
  dtw_srv_options_t so = {.direct = true};
  dtw_srv_t *reset;
  if (dtw_bus_serve_opt(g_node, "/twin/reset", DTW_SRV_TRIGGER, on_reset, NULL, &so, &reset, err,
                        sizeof err) < 0) {
    fprintf(stderr, "test_bridge_hostile: %s\n", err);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_subscriptions_bounded), cmocka_unit_test(test_calls_bounded),
      cmocka_unit_test(test_slots),                 cmocka_unit_test(test_out_of_fds),
      cmocka_unit_test(test_no_shadowing),          cmocka_unit_test(test_busy_port_exits_1),
      cmocka_unit_test(test_stream_on_tick),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  dtw_srv_destroy(reset);
  dtw_bus_node_destroy(g_node);
  dtw_bus_destroy(g_bus);
  return rc;
}
