/* bench_bus - the DDS bus between two processes, side by side with Cyclone's
 * own ddsperf on the same machine, domain setup and payload size.
 *
 *   JointState (23 joints) publish -> receive throughput      vs ddsperf pub/sub
 *   JointState ping-pong round trip (median, p99)             vs ddsperf ping/pong
 *   std_srvs/Trigger service round trip (median, p99)         (goal: p99 < 1 ms)
 *
 * Usage: bench_bus [seconds per phase, default 3]. Total stays under ~60 s.
 * Uses ROS_DOMAIN_ID (default 77) and, if CYCLONEDDS_URI is unset, loopback. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus/bus__internal.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/err.h"

#define SEC INT64_C(1000000000)
#define MAX_SAMPLES 400000

static int phase_s = 3;
static int domain = 77;
static bool direct_mode;
static bool batching; /* publisher packs samples, flushing every 64 */ /* subscriptions dispatch in the receive thread */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static double pct_us(int64_t *v, size_t n, double p) {
  if (n == 0) return 0.0;
  qsort(v, n, sizeof *v, cmp_i64);
  size_t k = (size_t)(p * (double)(n - 1));
  return (double)v[k] / 1e3;
}

static dtw_bus_t *mkbus(const char *name, dtw_bus_node_t **node) {
  char err[256];
  dtw_bus_t *bus;
  dtw_bus_options_t o;
  dtw_bus_options_default(&o);
  o.domain_id = domain;
  o.write_batching = batching;
  if (dtw_bus_create(&o, &bus, err, sizeof err) < 0 ||
      dtw_bus_node_create(bus, name, "/bench", node, err, sizeof err) < 0) {
    fprintf(stderr, "bench_bus: %s\n", err);
    exit(1);
  }
  return bus;
}

static void make_js(dtw_joint_state_msg_t *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->frame_id, sizeof m->frame_id, "base_link");
  m->n_name = m->n_position = m->n_velocity = m->n_effort = 23;
  for (size_t i = 0; i < 23; i++) {
    snprintf(m->name[i], sizeof m->name[i], "joint_%zu", i);
    m->position[i] = 0.1 * (double)i;
  }
}

static size_t js_cdr_size(void) {
  static dtw_joint_state_msg_t m;
  sensor_msgs_msg_dds__JointState_ s;
  char *names[DTW_MAX_JOINTS];
  uint8_t *buf;
  size_t len = 0;
  make_js(&m);
  dtw__js_to_sample(&m, &s, names);
  if (dtw__serialize(&sensor_msgs_msg_dds__JointState__desc, &s, &buf, &len) == 0) free(buf);
  return len;
}

/* ---- child processes --------------------------------------------------- */

typedef struct {
  uint64_t count;
  int64_t first_ns, last_ns;
} count_ctx_t;

static void count_cb(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  (void)msg;
  count_ctx_t *c = user;
  int64_t now = dtw_clock_mono_ns();
  if (c->count++ == 0) c->first_ns = now;
  c->last_ns = now;
}

static void echo_cb(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  dtw_pub_joint_state(user, msg);
}

static int trig(const void *req, void *resp, void *user) {
  (void)req;
  (void)user;
  ((dtw_trigger_response_t *)resp)->success = true;
  return 0;
}

/* mode 0: count JointState; 1: echo ping -> pong; 2: serve Trigger.
 * Runs until SIGTERM (or phase_s + 10 s); mode 0 writes its counts to fd. */
static volatile sig_atomic_t stop;
static void on_term(int s) {
  (void)s;
  stop = 1;
}

static void child(int mode, int fd) {
  signal(SIGTERM, on_term);
  dtw_bus_node_t *node;
  dtw_bus_t *bus = mkbus("bench_child", &node);
  char err[256];
  count_ctx_t cc = {0};
  dtw_sub_t *sub;
  dtw_pub_t *pong;
  dtw_srv_t *srv;
  dtw_sub_options_t o;
  dtw_sub_options_default(&o);
  if (mode == 0) {
    o.on_msg = count_cb;
    o.user = &cc;
    o.direct = direct_mode;
    dtw_sub_create(node, "js", DTW_TYPE_JOINT_STATE, &o, &sub, err, sizeof err);
  } else if (mode == 1) {
    dtw_pub_create(node, "pong", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &pong, err, sizeof err);
    o.on_msg = echo_cb;
    o.user = pong;
    o.direct = direct_mode;
    dtw_sub_create(node, "ping", DTW_TYPE_JOINT_STATE, &o, &sub, err, sizeof err);
  } else {
    dtw_bus_serve(node, "trigger", DTW_SRV_TRIGGER, trig, NULL, &srv, err, sizeof err);
  }
  if (write(fd, "r", 1) != 1) _exit(1);
  int64_t deadline = dtw_clock_mono_ns() + (phase_s + 10) * SEC;
  while (!stop && dtw_clock_mono_ns() < deadline) dtw_bus_spin_once(bus, SEC / 10);
  if (mode == 0 && write(fd, &cc, sizeof cc) != (ssize_t)sizeof cc) _exit(1);
  dtw_bus_destroy(bus);
  _exit(0);
}

static pid_t spawn(int mode, int *fd) {
  int p[2];
  if (pipe(p) != 0) exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    child(mode, p[1]);
  }
  close(p[1]);
  char b;
  if (read(p[0], &b, 1) != 1) {
    fprintf(stderr, "bench_bus: child failed to start\n");
    exit(1);
  }
  *fd = p[0];
  return pid;
}

static void reap(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

/* ---- our figures ---------------------------------------------------------- */

static double ours_throughput(void) {
  int fd;
  pid_t pid = spawn(0, &fd);
  dtw_bus_node_t *node;
  dtw_bus_t *bus = mkbus("bench_pub", &node);
  dtw_pub_t *pub;
  char err[256];
  static dtw_joint_state_msg_t m;
  make_js(&m);
  dtw_pub_create(node, "js", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &pub, err, sizeof err);
  dtw_pub_wait_matched(pub, 1, 10 * SEC);
  int64_t end = dtw_clock_mono_ns() + phase_s * SEC;
  while (dtw_clock_mono_ns() < end) {
    for (int i = 0; i < 64; i++) {
      m.stamp.nanosec++;
      dtw_pub_joint_state(pub, &m);
    }
    dtw_pub_flush(pub);
  }
  dtw_clock_sleep_ns(SEC / 5);
  kill(pid, SIGTERM);
  count_ctx_t cc = {0};
  if (read(fd, &cc, sizeof cc) != (ssize_t)sizeof cc) fprintf(stderr, "bench_bus: no count\n");
  waitpid(pid, NULL, 0);
  close(fd);
  dtw_bus_stats_t st;
  dtw_pub_stats(pub, &st);
  dtw_bus_destroy(bus);
  double secs = (double)(cc.last_ns - cc.first_ns) / 1e9;
  printf("  ours    published %llu, received %llu in %.2f s\n", (unsigned long long)st.messages,
         (unsigned long long)cc.count, secs);
  return secs > 0 ? (double)cc.count / secs : 0.0;
}

typedef struct {
  volatile int got;
  dtw_pub_t *ping;
  const dtw_joint_state_msg_t *msg;
  int64_t t0, end;
  int64_t *rtt;
  size_t n;
  volatile int finished;
} pong_ctx_t;

static void pong_cb(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  (void)msg;
  pong_ctx_t *pc = user;
  pc->got = 1;
  if (!direct_mode) return;
  /* like ddsperf: the next ping goes out from the receive thread */
  int64_t now = dtw_clock_mono_ns();
  if (pc->n < MAX_SAMPLES) pc->rtt[pc->n++] = now - pc->t0;
  if (now >= pc->end || pc->n >= MAX_SAMPLES) {
    pc->finished = 1;
    return;
  }
  pc->t0 = dtw_clock_mono_ns();
  dtw_pub_joint_state(pc->ping, pc->msg);
}

static void ours_pingpong(double *med, double *p99, size_t *n_out) {
  int fd;
  pid_t pid = spawn(1, &fd);
  dtw_bus_node_t *node;
  dtw_bus_t *bus = mkbus("bench_ping", &node);
  dtw_pub_t *ping;
  dtw_sub_t *pong;
  char err[256];
  pong_ctx_t pc = {0};
  static dtw_joint_state_msg_t m;
  static int64_t rtt[MAX_SAMPLES];
  size_t n = 0;
  make_js(&m);
  pc.msg = &m;
  pc.rtt = rtt;
  dtw_sub_options_t o;
  dtw_sub_options_default(&o);
  o.on_msg = pong_cb;
  o.user = &pc;
  o.direct = direct_mode;
  dtw_pub_create(node, "ping", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &ping, err, sizeof err);
  dtw_sub_create(node, "pong", DTW_TYPE_JOINT_STATE, &o, &pong, err, sizeof err);
  dtw_pub_wait_matched(ping, 1, 10 * SEC);
  dtw_sub_wait_matched(pong, 1, 10 * SEC);
  dtw_clock_sleep_ns(SEC / 10);
  int64_t end = dtw_clock_mono_ns() + phase_s * SEC;
  pc.ping = ping;
  pc.end = end;
  if (direct_mode) {
    pc.t0 = dtw_clock_mono_ns();
    dtw_pub_joint_state(ping, &m);
    while (!pc.finished && dtw_clock_mono_ns() < end + SEC) dtw_clock_sleep_ns(SEC / 100);
    n = pc.n;
  }
  while (!direct_mode && dtw_clock_mono_ns() < end && n < MAX_SAMPLES) {
    pc.got = 0;
    int64_t t0 = dtw_clock_mono_ns();
    dtw_pub_joint_state(ping, &m);
    while (!pc.got && dtw_clock_mono_ns() - t0 < SEC) dtw_bus_spin_once(bus, SEC / 10);
    if (pc.got) rtt[n++] = dtw_clock_mono_ns() - t0;
  }
  reap(pid);
  close(fd);
  dtw_bus_destroy(bus);
  *n_out = n;
  *med = pct_us(rtt, n, 0.5);
  *p99 = pct_us(rtt, n, 0.99);
}

static void ours_service(double *med, double *p99, size_t *n_out) {
  int fd;
  pid_t pid = spawn(2, &fd);
  dtw_bus_node_t *node;
  dtw_bus_t *bus = mkbus("bench_client", &node);
  dtw_client_t *cli;
  char err[256];
  dtw_trigger_response_t resp;
  static int64_t rtt[MAX_SAMPLES];
  size_t n = 0;
  dtw_client_create(node, "trigger", DTW_SRV_TRIGGER, &cli, err, sizeof err);
  dtw_client_wait_for_service(cli, 10 * SEC);
  dtw_bus_call(cli, NULL, &resp, SEC, err, sizeof err); /* warm-up */
  int64_t end = dtw_clock_mono_ns() + phase_s * SEC;
  while (dtw_clock_mono_ns() < end && n < MAX_SAMPLES) {
    int64_t t0 = dtw_clock_mono_ns();
    if (dtw_bus_call(cli, NULL, &resp, SEC, err, sizeof err) == 0)
      rtt[n++] = dtw_clock_mono_ns() - t0;
  }
  reap(pid);
  close(fd);
  dtw_bus_destroy(bus);
  *n_out = n;
  *med = pct_us(rtt, n, 0.5);
  *p99 = pct_us(rtt, n, 0.99);
}

/* ---- ddsperf ------------------------------------------------------------- */

static pid_t run_bg(const char *cmd) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Receive rate from ddsperf sub output: (total_last - total_first) / dt. */
static double ddsperf_throughput(size_t size) {
  char cmd[512];
  const char *out = "/tmp/bench_bus_ddsperf_sub.txt";
  snprintf(cmd, sizeof cmd, "exec ddsperf -D%d -i %d sub > %s 2>&1", phase_s + 2, domain, out);
  pid_t sub = run_bg(cmd);
  dtw_clock_sleep_ns(SEC / 2);
  snprintf(cmd, sizeof cmd, "ddsperf -D%d -i %d pub size %zu > /dev/null 2>&1", phase_s + 1,
           domain, size);
  if (system(cmd) != 0) fprintf(stderr, "bench_bus: ddsperf pub failed\n");
  waitpid(sub, NULL, 0);
  FILE *f = fopen(out, "r");
  if (f == NULL) return 0.0;
  char line[512];
  double t_first = -1, t_last = 0, n_first = 0, n_last = 0;
  while (fgets(line, sizeof line, f)) {
    double t, total;
    int pid;
    char *p = strstr(line, " total ");
    if (p == NULL || sscanf(line, "[%d] %lf", &pid, &t) != 2) continue;
    if (sscanf(p, " total %lf", &total) != 1) continue;
    if (t_first < 0) {
      t_first = t;
      n_first = total;
    }
    t_last = t;
    n_last = total;
  }
  fclose(f);
  return t_last > t_first ? (n_last - n_first) / (t_last - t_first) : 0.0;
}

static void ddsperf_pingpong(size_t size, double *med, double *p99) {
  char cmd[512];
  const char *out = "/tmp/bench_bus_ddsperf_ping.txt";
  snprintf(cmd, sizeof cmd, "exec ddsperf -D%d -i %d pong > /dev/null 2>&1", phase_s + 2, domain);
  pid_t pong = run_bg(cmd);
  dtw_clock_sleep_ns(SEC / 2);
  snprintf(cmd, sizeof cmd, "ddsperf -D%d -i %d ping size %zu > %s 2>&1", phase_s, domain, size,
           out);
  if (system(cmd) != 0) fprintf(stderr, "bench_bus: ddsperf ping failed\n");
  kill(pong, SIGTERM);
  waitpid(pong, NULL, 0);
  *med = *p99 = 0;
  FILE *f = fopen(out, "r");
  if (f == NULL) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    char *a = strstr(line, " 50% "), *b = strstr(line, " 99% ");
    if (a && b) { /* the last report covers the whole run */
      sscanf(a, " 50%% %lfus", med);
      sscanf(b, " 99%% %lfus", p99);
    }
  }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc > 1) phase_s = atoi(argv[1]);
  if (phase_s < 1 || phase_s > 8) phase_s = 3;
  const char *d = getenv("ROS_DOMAIN_ID");
  if (d && *d) domain = atoi(d);
  if (getenv("CYCLONEDDS_URI") == NULL)
    setenv("CYCLONEDDS_URI",
           "<General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces></General>", 1);
  size_t size = js_cdr_size();
  printf("bench_bus: domain %d, %d s per phase, JointState 23 joints = %zu bytes CDR\n", domain,
         phase_s, size);

  printf("throughput (JointState, one publisher -> one subscriber process):\n");
  double spin = ours_throughput();
  direct_mode = true;
  double direct = ours_throughput();
  batching = true;
  double batched = ours_throughput();
  batching = false;
  double theirs = ddsperf_throughput(size);
  printf("  ours, spin thread         %10.0f msg/s\n  ours, direct              %10.0f msg/s\n"
         "  ours, direct + batching   %10.0f msg/s\n"
         "  ddsperf                   %10.0f msg/s (size %zu)\n"
         "  ratio ours/ddsperf spin %.2f direct %.2f direct+batching %.2f (goal >= 0.5)\n",
         spin, direct, batched, theirs, size, theirs > 0 ? spin / theirs : 0.0,
         theirs > 0 ? direct / theirs : 0.0, theirs > 0 ? batched / theirs : 0.0);

  double m1, p1, m2, p2, m3, p3;
  size_t n, n3;
  printf("round trip (ping-pong, JointState):\n");
  direct_mode = false;
  ours_pingpong(&m1, &p1, &n);
  direct_mode = true;
  ours_pingpong(&m3, &p3, &n3);
  ddsperf_pingpong(size, &m2, &p2);
  printf("  ours, spin thread median %8.1f us  p99 %8.1f us  (%zu round trips)\n", m1, p1, n);
  printf("  ours, direct      median %8.1f us  p99 %8.1f us  (%zu round trips)\n", m3, p3, n3);
  printf("  ddsperf           median %8.1f us  p99 %8.1f us\n", m2, p2);
  printf("  ratio ours/ddsperf median spin %.2f direct %.2f, p99 spin %.2f direct %.2f\n",
         m2 > 0 ? m1 / m2 : 0.0, m2 > 0 ? m3 / m2 : 0.0, p2 > 0 ? p1 / p2 : 0.0,
         p2 > 0 ? p3 / p2 : 0.0);
  direct_mode = false;

  printf("service round trip (std_srvs/Trigger):\n");
  ours_service(&m1, &p1, &n);
  printf("  ours    median %8.1f us  p99 %8.1f us  (%zu calls; goal p99 < 1000 us)\n", m1, p1, n);
  printf("  vs ddsperf ping-pong median %.2fx p99 %.2fx\n", m2 > 0 ? m1 / m2 : 0.0,
         p2 > 0 ? p1 / p2 : 0.0);
  return 0;
}
