/* bench_sync_latency - how long a robot sample takes to show up in the twin
 * in mirror mode, against the raw DDS latency of the same message.
 *
 *   bench_sync_latency [DTWIN] [--samples N] [--rate HZ] [--domain ID]
 *
 * DTWIN (default $DTWIN, else ../apps/dtwin/dtwin next to this binary) is
 * started twice as child processes: `dtwin sim` (the twin, 1 kHz physics,
 * /twin/joint_states at 500 Hz) and `dtwin sync --mode mirror` (forwards every
 * /robot/joint_states sample to /twin/set_state). The bench is the robot: it
 * publishes /robot/joint_states (the twin's 23 joints, names and initial pose
 * from the twin's first sample, stamped with its wall clock) at HZ (200), each
 * sample moving left_elbow to a fresh value, and listens to
 * /twin/joint_states. Latency = publish -> arrival of the first twin sample
 * whose left_elbow shows that value. The twin publishes after at least one
 * physics step under PD hold that follows the teleport, so the value matches
 * to ~1e-5 rad rather than exactly: values are 0.01 rad apart and matched
 * within 3e-3 (the largest deviation seen is printed).
 *
 * Baseline, side by side: a forked listener process (its own participant,
 * as the sync node and the twin are) receives the same JointState on another
 * topic, published half a period after each robot sample with the same QoS,
 * and measures the one-way DDS latency with the shared monotonic clock.
 * Printed: median and p99 of both, the twin's joint_states period, and
 * `ratio sync/raw-dds: X` (medians). Children get SIGINT at the end and are
 * waited for. Bounded: about 1 s per 200 samples plus start-up (< 60 s). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/msgs.h"

#define MAX_SAMPLES 20000
#define WARMUP 200          /* samples not counted: discovery, first set_state */
#define SPACING 0.01        /* rad between consecutive left_elbow values */
#define MATCH_TOL 3e-3      /* rad; well under SPACING / 2 */
#define ELBOW "left_elbow"
#define RAW_TOPIC "/bench/raw_joint_states"
#define QOS DTW_QOS_SENSOR_DATA

/* left_elbow value of robot sample k: a 1.5 rad saw-tooth inside [0, 2.5] */
static double elbow_value(long k) { return 0.3 + SPACING * (double)(k % 151); }

/* ---- the raw-DDS listener (forked child) -------------------------------- */

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

typedef struct raw_rec {
  int64_t seq;
  int64_t latency_ns;
} raw_rec_t;

static int raw_fd = -1;

/* Direct callback in Cyclone's receive thread: one small write per sample
 * (atomic on a pipe) carries sequence number and latency to the parent. */
static void raw_on_msg(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  (void)user;
  const dtw_joint_state_msg_t *js = msg;
  raw_rec_t r = {.seq = js->n_position ? (int64_t)js->position[0] : -1,
                 .latency_ns = dtw_clock_mono_ns() - dtw_time_to_ns(js->stamp)};
  if (write(raw_fd, &r, sizeof r) != (ssize_t)sizeof r) stop_flag = 1;
}

static int raw_listener(int fd, pid_t parent) {
  char err[512];
  dtw_bus_t *bus = NULL;
  dtw_bus_node_t *node = NULL;
  dtw_sub_t *sub = NULL;
  raw_fd = fd;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = QOS;
  so.on_msg = raw_on_msg;
  so.direct = 1; /* as the twin subscription of the parent: no spinning thread */
  if (dtw_bus_create(NULL, &bus, err, sizeof err) != 0 ||
      dtw_bus_node_create(bus, "bench_raw_listener", "/", &node, err, sizeof err) != 0 ||
      dtw_sub_create(node, RAW_TOPIC, DTW_TYPE_JOINT_STATE, &so, &sub, err, sizeof err) != 0) {
    fprintf(stderr, "bench_sync_latency: listener: %s\n", err);
    dtw_bus_destroy(bus);
    return 1;
  }
  /* until the parent says stop (or is gone), at most 120 s */
  for (int i = 0; i < 1200 && !stop_flag && getppid() == parent; i++) dtw_clock_sleep_ns(100000000);
  dtw_bus_destroy(bus);
  return 0;
}

/* ---- child processes ----------------------------------------------------- */

static pid_t spawn(char *const argv[]) {
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO); /* --quiet still prints a summary */
    execv(argv[0], argv);
    fprintf(stderr, "bench_sync_latency: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return pid;
}

/* SIGINT, then wait up to 5 s before SIGKILL. */
static void stop_child(pid_t pid, const char *what) {
  if (pid <= 0) return;
  kill(pid, SIGINT);
  int st = 0;
  for (int i = 0; i < 100; i++) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "bench_sync_latency: %s ended with status %d\n", what,
                WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
      return;
    }
    if (r < 0) return;
    dtw_clock_sleep_ns(50000000);
  }
  fprintf(stderr, "bench_sync_latency: %s did not stop on SIGINT; killing it\n", what);
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
}

static int child_alive(pid_t pid) {
  int st;
  return pid > 0 && waitpid(pid, &st, WNOHANG) == 0;
}

/* ---- the robot side (parent) -------------------------------------------- */

typedef struct shared {
  pthread_mutex_t mu;
  /* first twin sample: joint names and initial pose */
  int have_twin;
  dtw_joint_state_msg_t first;
  long elbow;             /* index of ELBOW in the twin's samples */
  /* robot samples sent so far: publish time (mono) and the result */
  long published;         /* samples 0..published-1 are in the tables */
  long next_open;         /* oldest sample not yet matched or given up */
  int64_t pub_ns[MAX_SAMPLES];
  int64_t latency_ns[MAX_SAMPLES]; /* -1: superseded by a newer value before shown */
  double max_dev;         /* largest |twin - sent| among matches */
  /* twin joint_states inter-arrival times */
  int64_t last_arrival_ns;
  long n_periods;
  int64_t period_ns[MAX_SAMPLES];
} shared_t;

/* /twin/joint_states, in Cyclone's receive thread: timestamp first. */
static void twin_on_msg(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  int64_t now = dtw_clock_mono_ns();
  const dtw_joint_state_msg_t *js = msg;
  shared_t *s = user;
  pthread_mutex_lock(&s->mu);
  if (!s->have_twin) {
    for (size_t i = 0; i < js->n_name; i++)
      if (strcmp(js->name[i], ELBOW) == 0) s->elbow = (long)i;
    if (s->elbow >= 0 && js->n_position == js->n_name) {
      s->first = *js;
      s->have_twin = 1;
    }
  } else if ((size_t)s->elbow < js->n_position && s->published > 0) {
    if (s->last_arrival_ns > 0 && s->n_periods < MAX_SAMPLES)
      s->period_ns[s->n_periods++] = now - s->last_arrival_ns;
    s->last_arrival_ns = now;
    double q = js->position[s->elbow];
    for (long k = s->next_open; k < s->published; k++) {
      double dev = fabs(q - elbow_value(k));
      if (dev < MATCH_TOL) {
        /* samples before k were overwritten in the twin before it published them */
        for (long j = s->next_open; j < k; j++) s->latency_ns[j] = -1;
        s->latency_ns[k] = now - s->pub_ns[k];
        s->max_dev = fmax(s->max_dev, dev);
        s->next_open = k + 1;
        break;
      }
    }
  }
  pthread_mutex_unlock(&s->mu);
}

/* Read what the listener wrote so far (its pipe must never fill up). */
static size_t drain(int fd, raw_rec_t *raw, size_t have_bytes) {
  ssize_t got;
  while (have_bytes < MAX_SAMPLES * sizeof *raw &&
         (got = read(fd, (char *)raw + have_bytes, MAX_SAMPLES * sizeof *raw - have_bytes)) > 0)
    have_bytes += (size_t)got;
  return have_bytes;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* q-quantile (0..1) of n sorted values, ms */
static double quant_ms(const int64_t *v, long n, double q) {
  if (n <= 0) return NAN;
  long i = (long)ceil(q * (double)n) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return (double)v[i] / 1e6;
}

static const char *default_dtwin(char *buf, size_t len) {
  const char *env = getenv("DTWIN");
  if (env != NULL && *env) return env;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "../apps/dtwin/dtwin";
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash != NULL) *slash = '\0';
  snprintf(buf, len, "%s/../apps/dtwin/dtwin", self);
  return buf;
}

int main(int argc, char **argv) {
  const char *dtwin = NULL;
  long samples = 1000;
  double rate = 200;
  const char *domain = "93"; /* our own domain: other benches and tests use theirs */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc) {
      samples = atol(argv[++i]);
    } else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
      rate = atof(argv[++i]);
    } else if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc) {
      domain = argv[++i];
    } else if (argv[i][0] != '-' && dtwin == NULL) {
      dtwin = argv[i];
    } else {
      fprintf(stderr, "usage: bench_sync_latency [DTWIN] [--samples N] [--rate HZ] [--domain ID]\n");
      return 2;
    }
  }
  if (samples < 10 || samples + WARMUP > MAX_SAMPLES || !(rate >= 10 && rate <= 1000)) {
    fprintf(stderr, "bench_sync_latency: need 10 <= --samples <= %d, 10 <= --rate <= 1000\n",
            MAX_SAMPLES - WARMUP);
    return 2;
  }
  char dtwin_buf[PATH_MAX + 32];
  if (dtwin == NULL) dtwin = default_dtwin(dtwin_buf, sizeof dtwin_buf);
  if (access(dtwin, X_OK) != 0) {
    fprintf(stderr, "bench_sync_latency: no dtwin binary at %s (pass it or set $DTWIN)\n", dtwin);
    return 1;
  }
  /* loopback only, and a domain of our own */
  setenv("CYCLONEDDS_URI",
         getenv("CYCLONEDDS_URI") ? getenv("CYCLONEDDS_URI")
                                  : "<General><Interfaces><NetworkInterface name=\"lo\"/>"
                                    "</Interfaces></General>",
         1);
  setenv("ROS_DOMAIN_ID", domain, 1);
  signal(SIGPIPE, SIG_IGN);

  /* the listener is forked before this process creates any DDS thread */
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t parent = getpid();
  pid_t listener = fork();
  if (listener == 0) {
    close(fds[0]);
    _exit(raw_listener(fds[1], parent));
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);

  char *sim_argv[] = {(char *)dtwin, "sim", "--quiet", "--set", "dtwin.http_port=0", NULL};
  char *sync_argv[] = {(char *)dtwin, "sync", "--mode", "mirror", "--quiet",
                       "--set", "dtwin.http_port=0", NULL};
  pid_t sim = spawn(sim_argv);
  pid_t sync = spawn(sync_argv);

  int status = 1;
  char err[512] = "";
  shared_t *s = calloc(1, sizeof *s);
  dtw_joint_state_msg_t *out = calloc(1, sizeof *out);
  raw_rec_t *raw = calloc(MAX_SAMPLES, sizeof *raw);
  int64_t *lat = calloc(MAX_SAMPLES, sizeof *lat);
  int64_t *rawlat = calloc(MAX_SAMPLES, sizeof *rawlat);
  dtw_bus_t *bus = NULL;
  dtw_bus_node_t *node = NULL;
  dtw_pub_t *robot_pub = NULL, *raw_pub = NULL;
  dtw_sub_t *twin_sub = NULL;
  if (s == NULL || out == NULL || raw == NULL || lat == NULL || rawlat == NULL) goto out;
  pthread_mutex_init(&s->mu, NULL);
  s->elbow = -1;

  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_SENSOR_DATA;
  so.on_msg = twin_on_msg;
  so.user = s;
  so.direct = 1; /* timestamp in the receive thread: no spinning thread's wake-up */
  if (dtw_bus_create(NULL, &bus, err, sizeof err) != 0 ||
      dtw_bus_node_create(bus, "bench_robot", "/robot", &node, err, sizeof err) != 0 ||
      dtw_pub_create(node, "joint_states", DTW_TYPE_JOINT_STATE, QOS, &robot_pub, err,
                     sizeof err) != 0 ||
      dtw_pub_create(node, RAW_TOPIC, DTW_TYPE_JOINT_STATE, QOS, &raw_pub, err, sizeof err) != 0 ||
      dtw_sub_create(node, "/twin/joint_states", DTW_TYPE_JOINT_STATE, &so, &twin_sub, err,
                     sizeof err) != 0) {
    fprintf(stderr, "bench_sync_latency: %s\n", err);
    goto out;
  }

  /* wait for the twin (model compile ~1-2 s) and for both subscribers */
  int64_t deadline = dtw_clock_mono_ns() + 30 * DTW_NS_PER_S;
  int have = 0;
  while (!have && dtw_clock_mono_ns() < deadline && child_alive(sim) && child_alive(sync)) {
    dtw_clock_sleep_ns(20000000);
    pthread_mutex_lock(&s->mu);
    have = s->have_twin;
    pthread_mutex_unlock(&s->mu);
  }
  if (!have) {
    fprintf(stderr, "bench_sync_latency: no /twin/joint_states sample with %s within 30 s\n",
            ELBOW);
    goto out;
  }
  if (dtw_pub_wait_matched(robot_pub, 1, 10 * DTW_NS_PER_S) != 0 ||
      dtw_pub_wait_matched(raw_pub, 1, 10 * DTW_NS_PER_S) != 0) {
    fprintf(stderr, "bench_sync_latency: the sync node or the listener did not subscribe\n");
    goto out;
  }
  *out = s->first; /* names, frame, initial pose of all joints */
  out->n_velocity = out->n_name;
  memset(out->velocity, 0, sizeof out->velocity);
  out->n_effort = 0;
  long elbow = s->elbow;
  printf("dtwin: %s  joints: %zu  robot samples: %ld (+%d warm-up) at %.0f Hz, domain %s\n",
         dtwin, out->n_name, samples, WARMUP, rate, domain);

  size_t have_bytes = 0;
  long total = samples + WARMUP;
  int64_t period = (int64_t)(1e9 / rate);
  int64_t t = dtw_clock_mono_ns() + period;
  for (long k = 0; k < total; k++) {
    dtw_clock_sleep_until_ns(t);
    out->position[elbow] = elbow_value(k);
    out->stamp = dtw_time_from_ns(dtw_clock_real_ns()); /* the robot's own clock */
    pthread_mutex_lock(&s->mu);
    s->pub_ns[k] = dtw_clock_mono_ns();
    s->latency_ns[k] = 0;
    s->published = k + 1;
    pthread_mutex_unlock(&s->mu);
    if (dtw_pub_joint_state(robot_pub, out) != 0) fprintf(stderr, "robot publish failed\n");
    /* the baseline sample, half a period later, on its own topic */
    dtw_clock_sleep_until_ns(t + period / 2);
    out->position[0] = (double)k; /* sequence number for the listener */
    out->stamp = dtw_time_from_ns(dtw_clock_mono_ns());
    if (dtw_pub_joint_state(raw_pub, out) != 0) fprintf(stderr, "raw publish failed\n");
    out->position[0] = s->first.position[0];
    t += period;
    if (k % 100 == 0) have_bytes = drain(fds[0], raw, have_bytes);
    if (k % 200 == 0 && !(child_alive(sim) && child_alive(sync))) {
      fprintf(stderr, "bench_sync_latency: a dtwin child ended early\n");
      goto out;
    }
  }
  dtw_clock_sleep_ns(300000000); /* stragglers */

  /* collect: sync path */
  long n = 0, superseded = 0, lost = 0;
  pthread_mutex_lock(&s->mu);
  for (long k = WARMUP; k < total; k++) {
    if (s->latency_ns[k] > 0) lat[n++] = s->latency_ns[k];
    else if (s->latency_ns[k] < 0) superseded++;
    else lost++;
  }
  long np = s->n_periods;
  qsort(s->period_ns, (size_t)np, sizeof *s->period_ns, cmp_i64);
  double max_dev = s->max_dev;
  pthread_mutex_unlock(&s->mu);
  qsort(lat, (size_t)n, sizeof *lat, cmp_i64);

  /* collect: raw DDS path (the listener wrote one record per sample) */
  long nr = 0;
  have_bytes = drain(fds[0], raw, have_bytes);
  for (size_t i = 0; i < have_bytes / sizeof *raw; i++)
    if (raw[i].seq >= WARMUP) rawlat[nr++] = raw[i].latency_ns;
  qsort(rawlat, (size_t)nr, sizeof *rawlat, cmp_i64);

  printf("sync correction latency (robot publish -> twin shows it), %ld of %ld samples:\n", n,
         samples);
  printf("  median %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", quant_ms(lat, n, 0.5),
         quant_ms(lat, n, 0.9), quant_ms(lat, n, 0.99), quant_ms(lat, n, 1.0));
  printf("  superseded before the twin published them: %ld, never seen: %ld, "
         "max |twin - sent| %.2g rad\n", superseded, lost, max_dev);
  printf("raw DDS JointState latency (publish -> other process), %ld of %ld samples:\n", nr,
         samples);
  printf("  median %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", quant_ms(rawlat, nr, 0.5),
         quant_ms(rawlat, nr, 0.9), quant_ms(rawlat, nr, 0.99), quant_ms(rawlat, nr, 1.0));
  printf("twin joint_states period: median %.3f ms, p99 %.3f ms (%ld intervals)\n",
         quant_ms(s->period_ns, np, 0.5), quant_ms(s->period_ns, np, 0.99), np);
  if (n > 0 && nr > 0) {
    printf("ratio sync/raw-dds: %.1f (median), %.1f (p99)\n",
           quant_ms(lat, n, 0.5) / quant_ms(rawlat, nr, 0.5),
           quant_ms(lat, n, 0.99) / quant_ms(rawlat, nr, 0.99));
    printf("ratio sync/twin-period: %.2f (median)\n",
           quant_ms(lat, n, 0.5) / quant_ms(s->period_ns, np, 0.5));
    status = n >= samples / 2 ? 0 : 1;
  }
  if (status != 0) fprintf(stderr, "bench_sync_latency: too few samples matched\n");

out:
  dtw_bus_destroy(bus); /* no more callbacks into s after this */
  stop_child(sync, "dtwin sync");
  stop_child(sim, "dtwin sim");
  stop_child(listener, "listener");
  close(fds[0]);
  if (s != NULL) pthread_mutex_destroy(&s->mu);
  free(s);
  free(out);
  free(raw);
  free(lat);
  free(rawlat);
  return status;
}
