/* bench_bridge - the Unity bridge against raw DDS, same payload (a 23-joint
 * JointState, ~1.1 KB of CDR), all in one process on loopback:
 *   DDS -> TCP: a DDS publisher; 1 or 8 TCP clients subscribed through the
 *               bridge vs a DDS subscriber (direct callback) in the process;
 *   TCP -> DDS: 1 or 8 TCP clients publishing through the bridge vs a DDS
 *               publisher, received by a DDS subscriber.
 * Throughput: messages/s delivered to the slowest receiver in a 1 s burst.
 * Latency: one message at a time (sequence number in header.stamp.sec),
 * until every receiver has it; median and p99. Printed as ratios to DDS.
 * Publisher CPU: the publishing thread's CPU time per message during the
 * burst. The publisher as a physics worker: one message every 1000, 50 or 15
 * us between other work, the time spent in the publish call with the bridge
 * subscribed against a DDS subscriber alone -- what a physics worker of
 * `dtwin up` pays for the bridge's clients.
 * The ceilings, without the bridge: loopback TCP alone (one thread writing
 * the same frames to 1 or 8 reader threads, 64 per writev) and one thread
 * that reads the client's frames and writes them to DDS.
 * Each figure is the median of ROUNDS rounds not disturbed by neighbours
 * (bench_common.h); the neighbours' CPU of every round is printed.
 * Options: --only out|in (one direction), --fanout-period-us N (the bridge's
 * setting; default the node's). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench_common.h"
#include "dtw/bridge.h"
#include "dtw/bridge_node.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/config.h"
#include "dtw/log.h"

#define TOPIC_OUT "/bench/js_out" /* DDS -> TCP */
#define TOPIC_IN "/bench/js_in"   /* TCP -> DDS */
#define MAXC 8
#define LAT_N 1000
#define ROUNDS 3

static dtw_bridge_node_t *g_bridge;
static atomic_bool g_stop;
static atomic_int_least64_t g_dds_last, g_dds_count; /* DDS receiver of TOPIC_IN / TOPIC_OUT */

typedef struct tcp_client {
  int fd;
  pthread_t th;
  atomic_int_least64_t last, count;
} tcp_client_t;

static int64_t stamp_of(const uint8_t *cdr, size_t len) {
  int32_t sec;
  if (len < 8) return -1;
  memcpy(&sec, cdr + 4, 4);
  return sec;
}

static void *bridge_thread(void *arg) {
  (void)arg;
  while (!atomic_load(&g_stop)) dtw_bridge_node_poll(g_bridge, 10);
  return NULL;
}

static void on_dds(dtw_sub_t *s, const void *msg, void *user) {
  (void)s;
  (void)user;
  const dtw_cdr_t *c = msg;
  atomic_store(&g_dds_last, stamp_of(c->data, c->len));
  atomic_fetch_add(&g_dds_count, 1);
}

/* A reader as a TCP client that cares about its CPU has one: as much as the
 * socket holds per recv, then `frames` takes the whole frames at the front of
 * the buffer and returns the bytes it used (SIZE_MAX: stop). Until EOF. */
enum { READ_CAP = 1 << 18 };
static void read_frames(int fd, size_t (*frames)(void *ctx, const uint8_t *buf, size_t len),
                        void *ctx) {
  uint8_t *buf = malloc(READ_CAP);
  size_t len = 0;
  if (buf == NULL) return;
  for (;;) {
    ssize_t r = recv(fd, buf + len, READ_CAP - len, 0);
    if (r <= 0) break;
    len += (size_t)r;
    size_t used = frames(ctx, buf, len);
    if (used == SIZE_MAX) break;
    memmove(buf, buf + used, len - used);
    len -= used;
  }
  free(buf);
}

/* The stand-in client's frames (not 4 recv calls per frame, which would
 * measure the stand-in client, not the bridge): whole frames -- u32 dest
 * length, dest, u32 payload length, payload -- counted when for TOPIC_OUT. */
static size_t client_frames(void *ctx, const uint8_t *buf, size_t len) {
  tcp_client_t *c = ctx;
  size_t off = 0;
  int64_t last = -1, n = 0;
  for (;;) {
    uint32_t dl, pl;
    if (len - off < 4) break;
    memcpy(&dl, buf + off, 4);
    if (dl > 255) return SIZE_MAX;
    if (len - off < 8 + (size_t)dl) break;
    memcpy(&pl, buf + off + 4 + dl, 4);
    if (pl > READ_CAP / 2) return SIZE_MAX;
    size_t whole = 8 + (size_t)dl + pl;
    if (len - off < whole) break;
    if (dl == sizeof TOPIC_OUT - 1 && memcmp(buf + off + 4, TOPIC_OUT, dl) == 0) {
      last = stamp_of(buf + off + 8 + dl, pl);
      n++;
    }
    off += whole;
  }
  if (n > 0) {
    atomic_store(&c->last, last);
    atomic_fetch_add(&c->count, n);
  }
  return off;
}

static void *client_reader(void *arg) {
  read_frames(((tcp_client_t *)arg)->fd, client_frames, arg);
  return NULL;
}

static void send_all(int fd, const void *p, size_t len) {
  while (len > 0) {
    ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
    if (w <= 0) return;
    p = (const char *)p + w;
    len -= (size_t)w;
  }
}

static void send_cmd(int fd, const char *dest, const char *json) {
  uint8_t buf[512];
  int n = dtw_bridge_frame_encode(buf, sizeof buf, dest, json, strlen(json));
  if (n > 0) send_all(fd, buf, (size_t)n);
}

static int connect_client(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("connect");
    exit(1);
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* JointState CDR with 23 joints, header.stamp.sec = seq: built once, the
 * sequence patched in (the publisher's cost is DDS's, not snprintf's). */
static size_t make_js(uint8_t *out, int32_t seq) {
  static uint8_t tmpl[4096];
  static size_t tlen;
  if (tlen == 0) {
    size_t o = 4;
    memcpy(tmpl, "\x00\x01\x00\x00", 4);
#define ALIGN(n) while ((o - 4) % (n)) tmpl[o++] = 0
#define U32(v) do { uint32_t v_ = (v); ALIGN(4); memcpy(tmpl + o, &v_, 4); o += 4; } while (0)
    U32(0); /* stamp.sec: patched */
    U32(0);
    U32(1);
    tmpl[o++] = 0; /* frame_id "" */
    U32(23);
    for (int j = 0; j < 23; j++) {
      char name[32];
      int l = snprintf(name, sizeof name, "joint_%02d", j) + 1;
      U32((uint32_t)l);
      memcpy(tmpl + o, name, (size_t)l);
      o += (size_t)l;
    }
    for (int a = 0; a < 3; a++) {
      U32(23);
      for (int j = 0; j < 23; j++) {
        double v = 0.01 * j + a;
        ALIGN(8);
        memcpy(tmpl + o, &v, 8);
        o += 8;
      }
    }
#undef ALIGN
#undef U32
    tlen = o;
  }
  memcpy(out, tmpl, tlen);
  memcpy(out + 4, &seq, 4);
  return tlen;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

typedef struct result {
  double rate, p50_us, p99_us;
  double pub_cpu_us; /* publishing thread's CPU per message in the burst */
} result_t;

/* Receivers: n TCP clients (reading TOPIC_OUT), or none = the DDS subscriber. */
static int64_t min_last(tcp_client_t *cs, int n) {
  if (n == 0) return atomic_load(&g_dds_last);
  int64_t m = INT64_MAX;
  for (int i = 0; i < n; i++) {
    int64_t l = atomic_load(&cs[i].last);
    if (l < m) m = l;
  }
  return m;
}

static int64_t min_count(tcp_client_t *cs, int n) {
  if (n == 0) return atomic_load(&g_dds_count);
  int64_t m = INT64_MAX;
  for (int i = 0; i < n; i++) {
    int64_t l = atomic_load(&cs[i].count);
    if (l < m) m = l;
  }
  return m;
}

/* send(seq) publishes one message; receivers are cs[0..n) or the DDS sub. */
static result_t measure(void (*send)(void *, int32_t), void *ctx, tcp_client_t *cs, int n,
                        int32_t *seq) {
  static int64_t lat[LAT_N];
  result_t r = {0};
  int64_t before = min_count(cs, n);
  int64_t t0 = dtw_clock_mono_ns(), sent = 0, cpu0 = bench_cpu_ns();
  while (dtw_clock_mono_ns() - t0 < 1000000000) {
    send(ctx, ++*seq);
    sent++;
  }
  r.pub_cpu_us = (double)(bench_cpu_ns() - cpu0) / 1e3 / (double)(sent ? sent : 1);
  dtw_clock_sleep_ns(200000000); /* let queues drain */
  r.rate = (double)(min_count(cs, n) - before) / ((double)(dtw_clock_mono_ns() - t0 - 200000000) / 1e9);
  int k = 0;
  for (int i = 0; i < LAT_N; i++) {
    int32_t s = ++*seq;
    int64_t t = dtw_clock_mono_ns(), deadline = t + 100000000;
    send(ctx, s);
    while (min_last(cs, n) < s && dtw_clock_mono_ns() < deadline) {
    }
    if (min_last(cs, n) >= s) lat[k++] = dtw_clock_mono_ns() - t;
  }
  qsort(lat, (size_t)k, sizeof lat[0], cmp_i64);
  if (k > 0) {
    r.p50_us = (double)lat[k / 2] / 1e3;
    r.p99_us = (double)lat[k * 99 / 100] / 1e3;
  }
  return r;
}

/* The median of ROUNDS undisturbed rounds of measure() (rate, latency, CPU each). */
static result_t measure_rounds(const char *what, void (*send)(void *, int32_t), void *ctx,
                               tcp_client_t *cs, int n, int32_t *seq) {
  double rate[ROUNDS], p50[ROUNDS], p99[ROUNDS], cpu[ROUNDS];
  bool dist[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    bench_cpu_snapshot_t snap;
    bench_round_begin(&snap);
    result_t r = measure(send, ctx, cs, n, seq);
    printf("  %s round %d: %.0f msg/s, p50 %.1f us, publisher %.2f us CPU/msg", what, i + 1,
           r.rate, r.p50_us, r.pub_cpu_us);
    dist[i] = bench_round_end(&snap);
    rate[i] = r.rate;
    p50[i] = r.p50_us;
    p99[i] = r.p99_us;
    cpu[i] = r.pub_cpu_us;
  }
  int used;
  result_t m;
  m.rate = bench_median_quiet(rate, dist, ROUNDS, &used);
  m.p50_us = bench_median_quiet(p50, dist, ROUNDS, &used);
  m.p99_us = bench_median_quiet(p99, dist, ROUNDS, &used);
  m.pub_cpu_us = bench_median_quiet(cpu, dist, ROUNDS, &used);
  char note[96];
  printf("  %s: %s\n", what, bench_rounds_note(used, ROUNDS, note, sizeof note));
  return m;
}

static dtw_pub_t *g_pub_out, *g_pub_in;
static uint8_t g_js[4096];

static void send_dds_out(void *ctx, int32_t seq) {
  (void)ctx;
  size_t len = make_js(g_js, seq);
  dtw_pub_cdr(g_pub_out, g_js, len);
}

static void send_dds_in(void *ctx, int32_t seq) {
  (void)ctx;
  size_t len = make_js(g_js, seq);
  dtw_pub_cdr(g_pub_in, g_js, len);
}

typedef struct tcp_send_ctx {
  tcp_client_t *cs;
  int n, next;
} tcp_send_ctx_t;

static void send_tcp_in(void *ctx, int32_t seq) {
  tcp_send_ctx_t *t = ctx;
  uint8_t frame[4200];
  size_t len = make_js(g_js, seq);
  int fl = dtw_bridge_frame_encode(frame, sizeof frame, TOPIC_IN, g_js, len);
  send_all(t->cs[t->next].fd, frame, (size_t)fl); /* round robin over the clients */
  t->next = (t->next + 1) % t->n;
}

/* ---- loopback TCP without the bridge: the ceiling it works under ---- */

#define BARE_BATCH 64 /* frames per gather write, the bridge's DTW__BQ_BATCH_MAX */

static int bare_listen(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  socklen_t sl = sizeof sa;
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
    perror("bench_bridge: listen");
    exit(1);
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

/* The server end, set up as the bridge sets up its connections. */
static int bare_accept(int lfd) {
  int fd = accept(lfd, NULL, NULL), one = 1, sndbuf = 256 * 1024;
  if (fd < 0) {
    perror("bench_bridge: accept");
    exit(1);
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  return fd;
}

static void writev_all(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w <= 0) return;
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
}

/* One thread writes the frames to n readers, BARE_BATCH per gather write, as
 * fast as the slowest reader takes them (blocking sockets): frames/s per
 * reader, median of ROUNDS undisturbed rounds. Nothing else runs: no DDS, no
 * copy, no queue -- what loopback TCP and the readers allow. */
static double bare_out(const int *fds, tcp_client_t *cs, int n, const char *what) {
  static uint8_t head[8 + sizeof TOPIC_OUT], payload[4096];
  size_t pl = make_js(payload, 1);
  size_t hl = dtw_bridge_frame_head(head, TOPIC_OUT, sizeof TOPIC_OUT - 1, pl);
  double rate[ROUNDS];
  bool dist[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    bench_cpu_snapshot_t snap;
    bench_round_begin(&snap);
    int64_t before = min_count(cs, n), t0 = dtw_clock_mono_ns();
    while (dtw_clock_mono_ns() - t0 < 1000000000)
      for (int c = 0; c < n; c++) {
        struct iovec iov[2 * BARE_BATCH];
        for (int k = 0; k < BARE_BATCH; k++) {
          iov[2 * k] = (struct iovec){head, hl};
          iov[2 * k + 1] = (struct iovec){payload, pl};
        }
        writev_all(fds[c], iov, 2 * BARE_BATCH);
      }
    dtw_clock_sleep_ns(200000000);
    rate[i] = (double)(min_count(cs, n) - before) /
              ((double)(dtw_clock_mono_ns() - t0 - 200000000) / 1e9);
    printf("  %s round %d: %.0f msg/s", what, i + 1, rate[i]);
    dist[i] = bench_round_end(&snap);
  }
  int used;
  double m = bench_median_quiet(rate, dist, ROUNDS, &used);
  char note[96];
  printf("  %s: %s\n", what, bench_rounds_note(used, ROUNDS, note, sizeof note));
  return m;
}

/* TCP -> DDS without the bridge: one thread reads the client's frames (as
 * much as the socket holds per recv), decodes them with the bridge's decoder
 * and writes each payload to DDS. */
typedef struct bare_in {
  int fd;
  dtw_pub_t *pub;
  pthread_t th;
} bare_in_t;

/* Decoded with the bridge's decoder, each written to DDS. */
static size_t bare_in_frames(void *ctx, const uint8_t *buf, size_t len) {
  bare_in_t *b = ctx;
  size_t off = 0, used;
  dtw_bridge_frame_t f;
  while (dtw_bridge_frame_decode(buf + off, len - off, READ_CAP, &f, &used, NULL, 0) == 1) {
    dtw_pub_cdr(b->pub, f.payload, f.payload_len);
    off += used;
  }
  return off;
}

static void *bare_in_thread(void *arg) {
  read_frames(((bare_in_t *)arg)->fd, bare_in_frames, arg);
  return NULL;
}

/* ---- the publisher as a physics worker ---- */

static const int k_gaps_us[] = {1000, 50, 15}; /* 1 kHz; 20 and ~67 kHz */
#define N_GAPS (int)(sizeof k_gaps_us / sizeof k_gaps_us[0])

/* A physics worker publishes between other work: one message every gap_us
 * (spun, not slept), for 1 s. Returns the mean wall time inside the publish
 * call -- with an in-process reader that is where delivering to it costs
 * (Cyclone calls the reader's listener in the publishing thread) -- as the
 * median of ROUNDS undisturbed rounds. */
static double paced_pub_us(int gap_us, const char *what, int32_t *seq) {
  double v[ROUNDS];
  bool dist[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    bench_cpu_snapshot_t snap;
    bench_round_begin(&snap);
    int64_t t0 = dtw_clock_mono_ns(), next = t0, inside = 0, n = 0;
    while (next - t0 < 1000000000) {
      while (dtw_clock_mono_ns() < next) {
      }
      int64_t a = dtw_clock_mono_ns();
      send_dds_out(NULL, ++*seq);
      inside += dtw_clock_mono_ns() - a;
      n++;
      next += (int64_t)gap_us * 1000;
    }
    dtw_clock_sleep_ns(100000000);
    v[i] = (double)inside / 1e3 / (double)(n ? n : 1);
    printf("  %s, a message every %d us, round %d: %.2f us in the publish call", what, gap_us,
           i + 1, v[i]);
    dist[i] = bench_round_end(&snap);
  }
  int used;
  double m = bench_median_quiet(v, dist, ROUNDS, &used);
  char note[96];
  printf("  %s, a message every %d us: %s\n", what, gap_us,
         bench_rounds_note(used, ROUNDS, note, sizeof note));
  return m;
}

static void print_row(const char *what, result_t r, result_t base) {
  printf("%-34s %9.0f msg/s (x%.2f)   latency p50 %7.1f us (x%.2f)  p99 %7.1f us   publisher "
         "%.2f us CPU/msg (%+.2f)\n",
         what, r.rate, base.rate > 0 ? r.rate / base.rate : 0, r.p50_us,
         base.p50_us > 0 ? r.p50_us / base.p50_us : 0, r.p99_us, r.pub_cpu_us,
         r.pub_cpu_us - base.pub_cpu_us);
  fflush(stdout);
}

int main(int argc, char **argv) {
  char err[1024];
  /* --only out | in: one direction (to profile it alone); --fanout-period-us N:
   * the bridge's setting (default: the node's) */
  const char *only = "";
  double fanout_period_us = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else if (strcmp(argv[i], "--fanout-period-us") == 0 && i + 1 < argc)
      fanout_period_us = atof(argv[++i]);
    else
      only = "?";
  }
  if (!(only[0] == '\0' || strcmp(only, "out") == 0 || strcmp(only, "in") == 0)) {
    fprintf(stderr, "usage: bench_bridge [--only out|in] [--fanout-period-us N]\n");
    return 2;
  }
  bool do_out = strcmp(only, "in") != 0, do_in = strcmp(only, "out") != 0;
  dtw_log_set_level(DTW_LOG_WARN);
  dtw_bus_options_t bo;
  dtw_bus_options_default(&bo);
  if (getenv("ROS_DOMAIN_ID") == NULL) bo.domain_id = 150 + (int)(getpid() % 50);
  dtw_bus_t *bus;
  if (dtw_bus_create(&bo, &bus, err, sizeof err) < 0) {
    fprintf(stderr, "bench_bridge: %s\n", err);
    return 1;
  }
  dtw_bridge_node_settings_t s;
  dtw_param_defaults(&dtw_bridge_node_param_table, &s);
  s.port = 0;
  snprintf(s.bind_address, sizeof s.bind_address, "127.0.0.1");
  s.send_queue_bytes = 64 << 20;
  s.send_queue_messages = 100000;
  if (fanout_period_us >= 0) s.fanout_period_us = fanout_period_us;
  dtw_node_host_t host = {.bus = bus};
  if (dtw_bridge_node_create(&s, &host, &g_bridge, err, sizeof err) < 0) {
    fprintf(stderr, "bench_bridge: %s\n", err);
    return 1;
  }
  pthread_t bt;
  pthread_create(&bt, NULL, bridge_thread, NULL);
  int port = dtw_bridge_node_port(g_bridge);

  dtw_bus_node_t *bn;
  dtw_bus_node_create(bus, "bench", "/", &bn, err, sizeof err);
  dtw_pub_create(bn, TOPIC_OUT, DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &g_pub_out, err, sizeof err);
  dtw_pub_create(bn, TOPIC_IN, DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &g_pub_in, err, sizeof err);
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.raw = true;
  so.direct = true;
  so.on_msg = on_dds;
  so.qos = DTW_QOS_SENSOR_DATA; /* as the bridge's own subscriptions */
  so.depth = 10;
  dtw_sub_t *sub;
  int32_t seq = 0;
  printf("bench_bridge: JointState (23 joints, %zu B CDR), loopback, bridge on port %d, "
         "fanout_period_us %g\n",
         make_js(g_js, 0), port, s.fanout_period_us);

  /* ---- DDS -> TCP ---- */
  dtw_sub_create(bn, TOPIC_OUT, DTW_TYPE_JOINT_STATE, &so, &sub, err, sizeof err);
  dtw_pub_wait_matched(g_pub_out, 1, 3000000000LL);
  bench_cpu_snapshot_t whole0, whole1;
  bench_cpu_snap(&whole0);
  result_t base = measure_rounds("DDS -> DDS", send_dds_out, NULL, NULL, 0, &seq);
  double base_paced[N_GAPS];
  for (int g = 0; g < N_GAPS && do_out; g++)
    base_paced[g] = paced_pub_us(k_gaps_us[g], "DDS -> DDS", &seq);
  dtw_sub_destroy(sub);
  print_row("DDS -> DDS subscriber (baseline)", base, base);
  tcp_client_t cs[MAXC];
  memset(cs, 0, sizeof cs);
  int counts[] = {1, 8};
  for (int ci = 0; ci < 2 && do_out; ci++) {
    int n = counts[ci];
    for (int i = 0; i < n; i++) {
      cs[i].fd = connect_client(port);
      send_cmd(cs[i].fd, "__subscribe",
               "{\"topic\":\"" TOPIC_OUT "\",\"message_name\":\"sensor_msgs/JointState\"}");
      atomic_store(&cs[i].last, -1);
      pthread_create(&cs[i].th, NULL, client_reader, &cs[i]);
    }
    dtw_clock_sleep_ns(300000000);
    dtw_pub_wait_matched(g_pub_out, 1, 3000000000LL);
    dtw_clock_sleep_ns(300000000);
    char what[64];
    snprintf(what, sizeof what, "DDS -> bridge -> %d TCP client%s", n, n > 1 ? "s" : "");
    result_t r = measure_rounds(what, send_dds_out, NULL, cs, n, &seq);
    print_row(what, r, base);
    for (int g = 0; g < N_GAPS && n == 1; g++) {
      double us = paced_pub_us(k_gaps_us[g], what, &seq);
      printf("%-34s a message every %4d us: %.2f us in the publish call (DDS subscriber alone "
             "%.2f, %+.2f)\n",
             "  publisher as a physics worker", k_gaps_us[g], us, base_paced[g],
             us - base_paced[g]);
    }
    for (int i = 0; i < n; i++) {
      shutdown(cs[i].fd, SHUT_RDWR);
      pthread_join(cs[i].th, NULL);
      close(cs[i].fd);
    }
    dtw_clock_sleep_ns(200000000);
  }
  /* the same frames over loopback TCP with nothing else: the ceiling */
  for (int ci = 0; ci < 2 && do_out; ci++) {
    int n = counts[ci], bport, fds[MAXC];
    int lfd = bare_listen(&bport);
    for (int i = 0; i < n; i++) {
      cs[i].fd = connect_client(bport);
      fds[i] = bare_accept(lfd);
      atomic_store(&cs[i].last, -1);
      atomic_store(&cs[i].count, 0);
      pthread_create(&cs[i].th, NULL, client_reader, &cs[i]);
    }
    char what[80];
    snprintf(what, sizeof what, "TCP alone: 1 writer -> %d reader%s", n, n > 1 ? "s" : "");
    double rate = bare_out(fds, cs, n, what);
    printf("%-34s %9.0f msg/s (x%.2f)   (%d frames per writev; the ceiling for DDS -> bridge -> "
           "%d)\n",
           what, rate, base.rate > 0 ? rate / base.rate : 0, BARE_BATCH, n);
    fflush(stdout);
    for (int i = 0; i < n; i++) {
      shutdown(fds[i], SHUT_RDWR);
      pthread_join(cs[i].th, NULL);
      close(fds[i]);
      close(cs[i].fd);
    }
    close(lfd);
  }

  /* ---- TCP -> DDS ---- */
  so.qos = DTW_QOS_DEFAULT; /* reliable: counts every message the writers send */
  so.depth = 1000;
  dtw_sub_create(bn, TOPIC_IN, DTW_TYPE_JOINT_STATE, &so, &sub, err, sizeof err);
  dtw_pub_wait_matched(g_pub_in, 1, 3000000000LL);
  atomic_store(&g_dds_last, -1);
  result_t base_in = measure_rounds("DDS -> DDS (in)", send_dds_in, NULL, NULL, 0, &seq);
  print_row("DDS publisher -> DDS (baseline)", base_in, base_in);
  dtw_pub_destroy(g_pub_in);
  for (int ci = 0; ci < 2 && do_in; ci++) {
    int n = counts[ci];
    for (int i = 0; i < n; i++) {
      cs[i].fd = connect_client(port);
      send_cmd(cs[i].fd, "__publish",
               "{\"topic\":\"" TOPIC_IN "\",\"message_name\":\"sensor_msgs/JointState\","
               "\"queue_size\":10,\"latch\":false}");
      pthread_create(&cs[i].th, NULL, client_reader, &cs[i]); /* drains the handshake */
    }
    dtw_sub_wait_matched(sub, 1, 3000000000LL);
    dtw_clock_sleep_ns(500000000);
    tcp_send_ctx_t ctx = {cs, n, 0};
    char what[64];
    snprintf(what, sizeof what, "%d TCP client%s -> bridge -> DDS", n, n > 1 ? "s" : "");
    result_t r = measure_rounds(what, send_tcp_in, &ctx, NULL, 0, &seq);
    print_row(what, r, base_in);
    for (int i = 0; i < n; i++) {
      shutdown(cs[i].fd, SHUT_RDWR);
      pthread_join(cs[i].th, NULL);
      close(cs[i].fd);
    }
    dtw_clock_sleep_ns(200000000);
  }
  /* the same client over loopback TCP without the bridge: one thread reads the
   * frames and writes each payload to DDS (the least a forwarder does) */
  if (do_in) {
    int bport, lfd = bare_listen(&bport);
    tcp_client_t tx = {.fd = connect_client(bport)};
    bare_in_t b = {.fd = bare_accept(lfd)};
    dtw_pub_create(bn, TOPIC_IN, DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &b.pub, err, sizeof err);
    dtw_pub_wait_matched(b.pub, 1, 3000000000LL);
    dtw_sub_wait_matched(sub, 1, 3000000000LL);
    pthread_create(&b.th, NULL, bare_in_thread, &b);
    tcp_send_ctx_t ctx = {&tx, 1, 0};
    const char *what = "TCP -> one thread -> DDS";
    result_t r = measure_rounds(what, send_tcp_in, &ctx, NULL, 0, &seq);
    print_row(what, r, base_in);
    shutdown(tx.fd, SHUT_RDWR);
    pthread_join(b.th, NULL);
    close(tx.fd);
    close(b.fd);
    close(lfd);
    dtw_pub_destroy(b.pub);
  }
  dtw_bridge_node_stats_t st;
  dtw_bridge_node_get_stats(g_bridge, &st);
  printf("bridge: frames in %llu out %llu in %llu socket writes (%.1f frames per write), "
         "dropped %llu\n",
         (unsigned long long)st.frames_in, (unsigned long long)st.frames_out,
         (unsigned long long)st.writes,
         st.writes ? (double)st.frames_out / (double)st.writes : 0.0,
         (unsigned long long)st.dropped);
  bench_cpu_snap(&whole1);
  char line[160];
  bench_neighbours_line(&whole0, &whole1, line, sizeof line);
  printf("bench_bridge: whole run: %s\n", line);
  atomic_store(&g_stop, true);
  pthread_join(bt, NULL);
  dtw_sub_destroy(sub);
  dtw_bridge_node_destroy(g_bridge);
  dtw_bus_destroy(bus);
  return 0;
}
