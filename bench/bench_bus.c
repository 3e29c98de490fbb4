/* bench_bus - the DDS bus between two processes, side by side with Cyclone's
 * own ddsperf on the same machine, domain setup, payload size and QoS.
 *
 *   T: JointState (23 joints) publish -> receive throughput   vs ddsperf pub/sub
 *   L: JointState ping-pong round trip (median, p99)          vs ddsperf ping/pong
 *   S: std_srvs/Trigger service round trip (median, p99)      vs ddsperf ping/pong
 *
 * Each of our modes has its ddsperf counterpart: "direct" callbacks run in
 * Cyclone's receive thread as ddsperf's listener mode does; "spin" and a client
 * blocked in dtw_bus_call wait in a thread of their own, woken by Cyclone, as
 * ddsperf's waitset mode does (one thread hand-off per side per round trip).
 *
 * Like with like: ddsperf's KS topic carries the same number of CDR bytes
 * ("size"), both sides are reliable, volatile, keep-last 10 (ROS' default
 * profile; ddsperf -k 10), both count in the data-available listener, and
 * both run on loopback in the same domain. Round trips are whole round trips
 * on both sides: ddsperf prints half of one, so its figures are doubled. The
 * machine may be shared and
 * noisy, so every contender runs `rounds` times, alternating, and the report
 * gives medians of the rounds and the ratio of the medians.
 *
 * Usage: bench_bus [-t seconds per run (3)] [-r rounds (3)] [-p phases (TLS)]
 *                  [-n: our side only, no ddsperf (for profiling)]
 * Uses ROS_DOMAIN_ID (default 77) and, if CYCLONEDDS_URI is unset, loopback. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "bus/bus__internal.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/err.h"

#define SEC INT64_C(1000000000)
#define MAX_SAMPLES 400000
#define MAX_ROUNDS 15
#define DEPTH 10 /* keep-last depth of both contenders */

static int phase_s = 3;
static int domain = 77;
static bool direct_mode; /* subscriptions / services run callbacks in the receive thread */
static bool batching;    /* the bus' write batching (ddsperf pub batches when publishing flat out) */
static bool no_ddsperf;  /* -n: only our side (for profiling) */

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

static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

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

static void check(int rc, const char *what, const char *err) {
  if (rc < 0) {
    fprintf(stderr, "bench_bus: %s: %s\n", what, err);
    exit(1);
  }
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

/* counting only: the receiver must not be the bottleneck by design */
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
  char err[256] = "";
  count_ctx_t cc = {0};
  dtw_sub_t *sub;
  dtw_pub_t *pong;
  dtw_srv_t *srv;
  dtw_sub_options_t o;
  dtw_sub_options_default(&o);
  o.depth = DEPTH;
  o.direct = direct_mode;
  if (mode == 0) {
    o.on_msg = count_cb;
    o.user = &cc;
    check(dtw_sub_create(node, "js", DTW_TYPE_JOINT_STATE, &o, &sub, err, sizeof err), "sub", err);
  } else if (mode == 1) {
    check(dtw_pub_create(node, "pong", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &pong, err,
                         sizeof err),
          "pub", err);
    o.on_msg = echo_cb;
    o.user = pong;
    check(dtw_sub_create(node, "ping", DTW_TYPE_JOINT_STATE, &o, &sub, err, sizeof err), "sub",
          err);
  } else {
    dtw_srv_options_t so;
    dtw_srv_options_default(&so);
    so.direct = direct_mode;
    check(dtw_bus_serve_opt(node, "trigger", DTW_SRV_TRIGGER, trig, NULL, &so, &srv, err,
                            sizeof err),
          "serve", err);
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

/* Publish as fast as possible for phase_s; the receive rate in msg/s. */
static double ours_throughput(void) {
  int fd;
  pid_t pid = spawn(0, &fd);
  dtw_bus_node_t *node;
  batching = true; /* like ddsperf pub: samples packed up to the max. message size */
  dtw_bus_t *bus = mkbus("bench_pub", &node);
  dtw_pub_t *pub;
  char err[256] = "";
  static dtw_joint_state_msg_t m;
  make_js(&m);
  check(dtw_pub_create(node, "js", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &pub, err, sizeof err),
        "pub", err);
  batching = false; /* the child (forked before) and other phases do not batch */
  dtw_pub_wait_matched(pub, 1, 10 * SEC);
  dtw_clock_sleep_ns(SEC / 10);
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
  double rate = secs > 0 ? (double)cc.count / secs : 0.0;
  printf("    ours %-6s published %8llu received %8llu  %9.0f msg/s\n",
         direct_mode ? "direct" : "spin", (unsigned long long)st.messages,
         (unsigned long long)cc.count, rate);
  return rate;
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

static void ours_pingpong(double *med, double *p99) {
  int fd;
  pid_t pid = spawn(1, &fd);
  dtw_bus_node_t *node;
  dtw_bus_t *bus = mkbus("bench_ping", &node);
  dtw_pub_t *ping;
  dtw_sub_t *pong;
  char err[256] = "";
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
  o.depth = DEPTH;
  check(dtw_pub_create(node, "ping", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &ping, err,
                       sizeof err),
        "pub", err);
  check(dtw_sub_create(node, "pong", DTW_TYPE_JOINT_STATE, &o, &pong, err, sizeof err), "sub",
        err);
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
  *med = pct_us(rtt, n, 0.5);
  *p99 = pct_us(rtt, n, 0.99);
  printf("    ours %-6s median %7.1f us  p99 %8.1f us  (%zu round trips)\n",
         direct_mode ? "direct" : "spin", *med, *p99, n);
}

static void ours_service(double *med, double *p99) {
  int fd;
  pid_t pid = spawn(2, &fd);
  dtw_bus_node_t *node;
  dtw_bus_t *bus = mkbus("bench_client", &node);
  dtw_client_t *cli;
  char err[256] = "";
  dtw_trigger_response_t resp;
  static int64_t rtt[MAX_SAMPLES];
  size_t n = 0, fail = 0;
  check(dtw_client_create(node, "trigger", DTW_SRV_TRIGGER, &cli, err, sizeof err), "client", err);
  dtw_client_wait_for_service(cli, 10 * SEC);
  dtw_bus_call(cli, NULL, &resp, SEC, err, sizeof err); /* warm-up */
  int64_t end = dtw_clock_mono_ns() + phase_s * SEC;
  while (dtw_clock_mono_ns() < end && n < MAX_SAMPLES) {
    int64_t t0 = dtw_clock_mono_ns();
    if (dtw_bus_call(cli, NULL, &resp, SEC, err, sizeof err) == 0)
      rtt[n++] = dtw_clock_mono_ns() - t0;
    else
      fail++;
  }
  reap(pid);
  close(fd);
  dtw_bus_destroy(bus);
  *med = pct_us(rtt, n, 0.5);
  *p99 = pct_us(rtt, n, 0.99);
  printf("    ours %-6s median %7.1f us  p99 %8.1f us  (%zu calls, %zu failed)\n",
         direct_mode ? "direct" : "spin", *med, *p99, n, fail);
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
static double ddsperf_throughput(size_t size, const char *submode) {
  char cmd[512];
  const char *out = "/tmp/bench_bus_ddsperf_sub.txt";
  snprintf(cmd, sizeof cmd, "exec ddsperf -k %d -D%d -i %d sub %s > %s 2>&1", DEPTH, phase_s + 2,
           domain, submode, out);
  pid_t sub = run_bg(cmd);
  dtw_clock_sleep_ns(SEC / 2);
  snprintf(cmd, sizeof cmd, "ddsperf -k %d -D%d -i %d pub size %zu > /dev/null 2>&1", DEPTH,
           phase_s + 1, domain, size);
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
  double rate = t_last > t_first ? (n_last - n_first) / (t_last - t_first) : 0.0;
  printf("    ddsperf pub/sub %-8s size %zu            %9.0f msg/s\n", submode, size, rate);
  return rate;
}

/* mode: "listener" or "waitset", for ping and pong alike */
static void ddsperf_pingpong(size_t size, const char *mode, double *med, double *p99) {
  char cmd[512];
  const char *out = "/tmp/bench_bus_ddsperf_ping.txt";
  snprintf(cmd, sizeof cmd, "exec ddsperf -D%d -i %d pong %s > /dev/null 2>&1", phase_s + 2, domain,
           mode);
  pid_t pong = run_bg(cmd);
  dtw_clock_sleep_ns(SEC / 2);
  snprintf(cmd, sizeof cmd, "ddsperf -D%d -i %d ping size %zu %s > %s 2>&1", phase_s, domain, size,
           mode, out);
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
  /* ddsperf reports half the round trip (it divides by two); ours is the whole
   * one, so compare with its figure doubled */
  *med *= 2.0;
  *p99 *= 2.0;
  printf("    ddsperf %-8s size %-5zu median %7.1f us  p99 %8.1f us  (full round trip: 2 x "
         "its printed figure)\n", mode, size, *med, *p99);
}

int main(int argc, char **argv) {
  int rounds = 3, c;
  const char *phases = "TLS";
  while ((c = getopt(argc, argv, "t:r:p:n")) != -1) {
    switch (c) {
      case 'n': no_ddsperf = true; break;
      case 't': phase_s = atoi(optarg); break;
      case 'r': rounds = atoi(optarg); break;
      case 'p': phases = optarg; break;
      default:
        fprintf(stderr, "usage: bench_bus [-t seconds] [-r rounds] [-p TLS] [-n]\n");
        return 2;
    }
  }
  if (phase_s < 1 || phase_s > 30) phase_s = 3;
  if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 3;
  const char *d = getenv("ROS_DOMAIN_ID");
  if (d && *d) domain = atoi(d);
  if (getenv("CYCLONEDDS_URI") == NULL)
    setenv("CYCLONEDDS_URI",
           "<General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces></General>", 1);
  size_t size = js_cdr_size();
  printf("bench_bus: domain %d, %d s per run, %d rounds, JointState 23 joints = %zu bytes CDR,\n"
         "reliable keep-last %d on both sides\n",
         domain, phase_s, rounds, size, DEPTH);

  /* ddsperf ping-pong, listener (l) and waitset (w), is the reference for L and S */
  double lm[MAX_ROUNDS], lp[MAX_ROUNDS], wm[MAX_ROUNDS], wp[MAX_ROUNDS];
  double l_med = 0, l_p99 = 0, w_med = 0, w_p99 = 0;
  bool have_dd = false;
  if (strchr(phases, 'T')) {
    double spin[MAX_ROUNDS], direct[MAX_ROUNDS], dd[MAX_ROUNDS], dw[MAX_ROUNDS];
    printf("throughput (JointState, one publisher -> one subscriber process; ours direct and\n"
           "ddsperf listener count in the receive thread, ours spin and ddsperf waitset in\n"
           "another thread woken per burst):\n");
    for (int r = 0; r < rounds; r++) {
      printf("  round %d\n", r + 1);
      /* alternate who goes first, so drifting load does not favour one side */
      dd[r] = dw[r] = 0;
      if (r % 2 && !no_ddsperf) dd[r] = ddsperf_throughput(size, "listener");
      direct_mode = true;
      direct[r] = ours_throughput();
      if (r % 2 && !no_ddsperf) dw[r] = ddsperf_throughput(size, "waitset");
      direct_mode = false;
      spin[r] = ours_throughput();
      if (r % 2 == 0 && !no_ddsperf) dw[r] = ddsperf_throughput(size, "waitset");
      if (r % 2 == 0 && !no_ddsperf) dd[r] = ddsperf_throughput(size, "listener");
    }
    double ms = bench_median(spin, rounds), md = bench_median(direct, rounds), mdd = bench_median(dd, rounds),
           mdw = bench_median(dw, rounds);
    printf("  median: ours direct %.0f, ddsperf listener %.0f; ours spin %.0f, ddsperf waitset "
           "%.0f msg/s\n",
           md, mdd, ms, mdw);
    printf("  ratio ours/ddsperf: direct/listener %.2f (goal >= 0.5), spin/waitset %.2f\n",
           ratio(md, mdd), ratio(ms, mdw));
  }
  if (strchr(phases, 'L')) {
    double sm[MAX_ROUNDS], sp[MAX_ROUNDS], xm[MAX_ROUNDS], xp[MAX_ROUNDS];
    printf("round trip (ping-pong, JointState; ours direct and ddsperf listener answer in the\n"
           "receive thread, ours spin and ddsperf waitset in a thread of their own):\n");
    for (int r = 0; r < rounds; r++) {
      printf("  round %d\n", r + 1);
      lm[r] = lp[r] = wm[r] = wp[r] = 0;
      if (r % 2 && !no_ddsperf) ddsperf_pingpong(size, "listener", &lm[r], &lp[r]);
      direct_mode = true;
      ours_pingpong(&xm[r], &xp[r]);
      if (r % 2 && !no_ddsperf) ddsperf_pingpong(size, "waitset", &wm[r], &wp[r]);
      direct_mode = false;
      ours_pingpong(&sm[r], &sp[r]);
      if (r % 2 == 0 && !no_ddsperf) ddsperf_pingpong(size, "waitset", &wm[r], &wp[r]);
      if (r % 2 == 0 && !no_ddsperf) ddsperf_pingpong(size, "listener", &lm[r], &lp[r]);
    }
    double a = bench_median(xm, rounds), b = bench_median(xp, rounds), e = bench_median(sm, rounds),
           f = bench_median(sp, rounds);
    l_med = bench_median(lm, rounds);
    l_p99 = bench_median(lp, rounds);
    w_med = bench_median(wm, rounds);
    w_p99 = bench_median(wp, rounds);
    have_dd = true;
    printf("  median of rounds: ours direct %.1f / %.1f us, ddsperf listener %.1f / %.1f us; "
           "ours spin %.1f / %.1f us, ddsperf waitset %.1f / %.1f us (median / p99)\n",
           a, b, l_med, l_p99, e, f, w_med, w_p99);
    printf("  ratio ours/ddsperf: direct/listener median %.2f p99 %.2f; spin/waitset median %.2f "
           "p99 %.2f (goal <= 1.1 median); spin/listener median %.2f\n",
           ratio(a, l_med), ratio(b, l_p99), ratio(e, w_med), ratio(f, w_p99), ratio(e, l_med));
  }
  if (strchr(phases, 'S')) {
    double sm[MAX_ROUNDS], sp[MAX_ROUNDS], xm[MAX_ROUNDS], xp[MAX_ROUNDS];
    printf("service round trip (std_srvs/Trigger; the client blocks in dtw_bus_call, a thread\n"
           "woken by Cyclone as in ddsperf's waitset mode; the server direct or spin):\n");
    for (int r = 0; r < rounds; r++) {
      printf("  round %d\n", r + 1);
      if (!have_dd) lm[r] = lp[r] = wm[r] = wp[r] = 0;
      if (!have_dd && r % 2 && !no_ddsperf) ddsperf_pingpong(size, "listener", &lm[r], &lp[r]);
      if (!have_dd && r % 2 && !no_ddsperf) ddsperf_pingpong(size, "waitset", &wm[r], &wp[r]);
      direct_mode = true;
      ours_service(&xm[r], &xp[r]);
      direct_mode = false;
      ours_service(&sm[r], &sp[r]);
      if (!have_dd && r % 2 == 0 && !no_ddsperf) ddsperf_pingpong(size, "waitset", &wm[r], &wp[r]);
      if (!have_dd && r % 2 == 0 && !no_ddsperf) ddsperf_pingpong(size, "listener", &lm[r], &lp[r]);
    }
    if (!have_dd) {
      l_med = bench_median(lm, rounds);
      l_p99 = bench_median(lp, rounds);
      w_med = bench_median(wm, rounds);
      w_p99 = bench_median(wp, rounds);
    }
    double a = bench_median(xm, rounds), b = bench_median(xp, rounds), e = bench_median(sm, rounds),
           f = bench_median(sp, rounds);
    printf("  median of rounds: server direct %.1f / %.1f us, server spin %.1f / %.1f us "
           "(median / p99; goal p99 < 1000 us)\n",
           a, b, e, f);
    printf("  vs ddsperf waitset ping-pong %.1f / %.1f us (the like one: a blocked caller): "
           "direct %.2fx / %.2fx, spin %.2fx / %.2fx (goal <= 1.1 median)\n",
           w_med, w_p99, ratio(a, w_med), ratio(b, w_p99), ratio(e, w_med), ratio(f, w_p99));
    printf("  vs ddsperf listener ping-pong %.1f / %.1f us (answers from the receive thread, "
           "which a blocking call cannot): direct %.2fx, spin %.2fx\n",
           l_med, l_p99, ratio(a, l_med), ratio(e, l_med));
  }

  return 0;
}
