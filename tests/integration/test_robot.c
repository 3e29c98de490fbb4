/* dtwin robot as a process, observed over DDS (loopback, the domain ctest
 * gives this test). Three robots run at once in their own namespaces and
 * every joint_states sample is recorded with its arrival time from setup on:
 *   /ra  noise 0.001, latency 50 ms, clock offset 1000 s, left_elbow locked at 0 s
 *   /rb  the wave motion, right_elbow's sensor frozen at 0.5 s, silent 4 s..5 s
 *   /rc  replaying tests/data/robot/wave_recording.csv without latency
 * The tests then check rate, latency (stamps against the robot's clock read
 * over HTTP), noise, the locked joint, the frozen sensor, the silent gap and
 * the replayed values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/msgs.h"
#include "node/robot__emu.h"

#define SEC INT64_C(1000000000)
#define MAX_REC 40000
#define NJ 23

typedef struct rec {
  int64_t arrival_ns;
  double stamp_s;
  size_t n;
  double pos[NJ];
} rec_t;

typedef struct stream {
  const char *ns;
  pid_t child;
  char log_path[96];
  dtw_sub_t *sub;
  char names[NJ][DTW_NAME_MAX];
  atomic_size_t n;
  rec_t *rec;
} stream_t;

static struct {
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  stream_t s[3];
  char csv[1024];
} g;

enum { RA, RB, RC };

/* Cyclone's receive thread: record, never block. */
static void on_js(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  stream_t *st = user;
  const dtw_joint_state_msg_t *m = msg;
  size_t i = atomic_load(&st->n);
  if (i >= MAX_REC) return;
  rec_t *r = &st->rec[i];
  r->arrival_ns = dtw_clock_mono_ns();
  r->stamp_s = dtw_time_to_s(m->stamp);
  r->n = m->n_position < NJ ? m->n_position : NJ;
  memcpy(r->pos, m->position, r->n * sizeof(double));
  if (i == 0)
    for (size_t k = 0; k < m->n_name && k < NJ; k++) memcpy(st->names[k], m->name[k], DTW_NAME_MAX);
  atomic_store(&st->n, i + 1);
}

static int col(const stream_t *st, const char *name) {
  for (int k = 0; k < NJ; k++)
    if (strcmp(st->names[k], name) == 0) return k;
  return -1;
}

static pid_t spawn(stream_t *st, const char *const *extra) {
  const char *dtwin = getenv("DTWIN");
  const char *argv[40] = {dtwin, "robot", "--quiet", "--duration", "90", "--set",
                          "dtwin.http_port=0"};
  int a = 7;
  static char ns_set[3][64];
  int idx = (int)(st - g.s);
  snprintf(ns_set[idx], sizeof ns_set[idx], "robot.namespace=%s", st->ns);
  argv[a++] = "--set";
  argv[a++] = ns_set[idx];
  for (; *extra; extra++) argv[a++] = *extra;
  argv[a] = NULL;
  snprintf(st->log_path, sizeof st->log_path, "/tmp/dtw_robot_%d_%s.log", (int)getpid(),
           st->ns + 1);
  pid_t pid = fork();
  if (pid == 0) {
    if (freopen(st->log_path, "w", stdout) == NULL) _exit(127);
    dup2(STDOUT_FILENO, STDERR_FILENO);
    execv(dtwin, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

static int log_contains(const stream_t *st, const char *needle, char *line_out, size_t cap) {
  FILE *f = fopen(st->log_path, "r");
  if (f == NULL) return 0;
  char line[2048];
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
  if (found && line_out) snprintf(line_out, cap, "%s", line);
  fclose(f);
  return found;
}

static int setup(void **state) {
  (void)state;
  const char *data = getenv("DTW_TEST_DATA");
  if (getenv("DTWIN") == NULL || data == NULL) return -1;
  snprintf(g.csv, sizeof g.csv, "%s/robot/wave_recording.csv", data);
  g.s[RA].ns = "/ra";
  g.s[RB].ns = "/rb";
  g.s[RC].ns = "/rc";
  static const char *const a_args[] = {"--noise", "0.001", "--latency", "0.05",
                                       "--lock-joint", "left_elbow@0", "--set",
                                       "robot.clock_offset_s=1000", NULL};
  static const char *const b_args[] = {"--motion", "config/motions/wave.yaml", "--freeze-sensor",
                                       "right_elbow@0.5", "--silent-at", "4:1", NULL};
  const char *c_args[] = {"--replay", g.csv, "--latency", "0", "--set",
                          "robot.latency_jitter_s=0", NULL};
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  if (dtw_bus_create(&opt, &g.bus, err, sizeof err) < 0 ||
      dtw_bus_node_create(g.bus, "robot_test", "/", &g.node, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  for (int i = 0; i < 3; i++) {
    stream_t *st = &g.s[i];
    st->rec = calloc(MAX_REC, sizeof *st->rec);
    dtw_sub_options_t so;
    dtw_sub_options_default(&so);
    so.qos = DTW_QOS_SENSOR_DATA;
    so.on_msg = on_js;
    so.user = st;
    so.direct = true;
    char topic[64];
    snprintf(topic, sizeof topic, "%s/joint_states", st->ns);
    if (st->rec == NULL || dtw_sub_create(g.node, topic, DTW_TYPE_JOINT_STATE, &so, &st->sub, err,
                                          sizeof err) < 0) {
      fprintf(stderr, "%s\n", err);
      return -1;
    }
  }
  /* subscribe first, so each robot's first samples are seen */
  g.s[RA].child = spawn(&g.s[RA], a_args);
  g.s[RB].child = spawn(&g.s[RB], b_args);
  g.s[RC].child = spawn(&g.s[RC], c_args);
  for (int i = 0; i < 3; i++)
    if (dtw_sub_wait_matched(g.s[i].sub, 1, 60 * SEC) < 0) {
      fprintf(stderr, "dtwin robot %s did not appear on the bus\n", g.s[i].ns);
      return -1;
    }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  int bad = 0;
  for (int i = 0; i < 3; i++) {
    stream_t *st = &g.s[i];
    int status = -1;
    if (st->child > 0) {
      kill(st->child, SIGINT);
      waitpid(st->child, &status, 0);
    }
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
        !log_contains(st, "dtwin robot: stopped at robot time", NULL, 0)) {
      fprintf(stderr, "dtwin robot %s did not stop cleanly (status %d); its log:\n", st->ns,
              status);
      char cmd[160];
      snprintf(cmd, sizeof cmd, "tail -n 30 %s >&2", st->log_path);
      if (system(cmd) != 0) {}
      bad = 1;
    } else {
      unlink(st->log_path);
    }
  }
  dtw_bus_destroy(g.bus);
  for (int i = 0; i < 3; i++) free(g.s[i].rec);
  return bad ? -1 : 0;
}

/* Wait until stream st has a sample stamped at or after t_s; returns its count. */
static size_t wait_stamp(stream_t *st, double t_s, int64_t timeout_ns) {
  int64_t end = dtw_clock_mono_ns() + timeout_ns;
  while (dtw_clock_mono_ns() < end) {
    size_t n = atomic_load(&st->n);
    if (n > 0 && st->rec[n - 1].stamp_s >= t_s) return n;
    dtw_clock_sleep_ns(SEC / 50);
  }
  return 0;
}

/* GET /metrics and read dtwin_sim_time_seconds; NAN on failure. */
static double scrape_sim_time(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  double v = NAN;
  static char buf[1 << 18];
  if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
    const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
      size_t len = 0;
      ssize_t r;
      while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
      buf[len] = '\0';
      const char *p = strstr(buf, "\ndtwin_sim_time_seconds{");
      if (p != NULL && (p = strchr(p, '}')) != NULL) v = strtod(p + 1, NULL);
    }
  }
  close(fd);
  return v;
}

static int http_port(const stream_t *st) {
  char line[2048];
  if (!log_contains(st, "metrics and health at http://127.0.0.1:", line, sizeof line)) return -1;
  return atoi(strstr(line, "127.0.0.1:") + 10);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_rate_and_joints(void **state) {
  (void)state;
  stream_t *st = &g.s[RA];
  /* a 2 s window from 1 s after the first sample (start-up of three robots settled) */
  assert_true(wait_stamp(st, 1000 + 1.0, 30 * SEC) > 0);
  int64_t t0 = st->rec[0].arrival_ns + SEC;
  int64_t end = dtw_clock_mono_ns() + 10 * SEC;
  while (atomic_load(&st->n) == 0 || st->rec[atomic_load(&st->n) - 1].arrival_ns < t0 + 2 * SEC) {
    assert_true(dtw_clock_mono_ns() < end);
    dtw_clock_sleep_ns(SEC / 20);
  }
  size_t n = atomic_load(&st->n), count = 0;
  for (size_t i = 0; i < n; i++)
    count += st->rec[i].arrival_ns >= t0 && st->rec[i].arrival_ns < t0 + 2 * SEC;
  double hz = (double)count / 2.0;
  print_message("joint_states rate %.1f Hz over 2 s\n", hz);
  assert_true(hz > 450 && hz < 550);
  assert_int_equal(st->rec[0].n, 23);
  assert_true(col(st, "left_knee") >= 0 && col(st, "neck_pitch") >= 0);
  /* stamps are the robot's clock: its time plus the 1000 s offset, increasing */
  assert_true(st->rec[0].stamp_s > 1000 && st->rec[0].stamp_s < 1000 + 60);
  for (size_t i = 1; i < n; i++) assert_true(st->rec[i].stamp_s > st->rec[i - 1].stamp_s);
}

static void test_stamps_lag_arrival_by_latency(void **state) {
  (void)state;
  stream_t *st = &g.s[RA];
  int port = http_port(st);
  assert_true(port > 0);
  /* the robot's clock against ours: its simulated time read over HTTP, bracketed */
  double off[25];
  int64_t at[25];
  int k = 0;
  for (int i = 0; i < 25; i++) {
    int64_t a = dtw_clock_mono_ns();
    double v = scrape_sim_time(port);
    int64_t b = dtw_clock_mono_ns();
    if (isfinite(v) && b - a < SEC / 200) {
      at[k] = (a + b) / 2;
      off[k++] = (double)(a + b) / 2e9 - v;
    }
    dtw_clock_sleep_ns(SEC / 50);
  }
  assert_true(k >= 10);
  /* latency = arrival on our clock - (stamp - clock offset) mapped to our clock with the
   * nearest clock reading (a pacing stall shifts the robot's clock against ours) */
  static double lat[MAX_REC];
  size_t m = 0, n = atomic_load(&st->n);
  for (size_t i = 0; i < n; i++) {
    int best = -1;
    int64_t best_d = SEC / 50;
    for (int j = 0; j < k; j++) {
      int64_t d = llabs(st->rec[i].arrival_ns - at[j]);
      if (d < best_d) best = j, best_d = d;
    }
    if (best >= 0)
      lat[m++] = (double)st->rec[i].arrival_ns / 1e9 - off[best] - (st->rec[i].stamp_s - 1000);
  }
  assert_true(m > 100);
  qsort(lat, m, sizeof lat[0], cmp_double);
  qsort(off, (size_t)k, sizeof off[0], cmp_double);
  print_message("latency over %zu samples: min %.2f ms, median %.2f ms, p95 %.2f ms "
                "(configured 50 ms + U(0, 1 ms)); clock readings spread %.2f ms\n",
                m, lat[0] * 1e3, lat[m / 2] * 1e3, lat[m * 95 / 100] * 1e3,
                (off[k - 1] - off[0]) * 1e3);
  assert_true(fabs(lat[m / 2] - 0.0505) < 0.01);
}

static void test_noise_visible_at_rest(void **state) {
  (void)state;
  stream_t *st = &g.s[RA];
  /* samples 2 ms apart at rest: differences are noise (std 0.001 x sqrt 2) */
  assert_true(wait_stamp(st, 1000 + 2.0, 30 * SEC) > 0);
  double est[NJ];
  for (int j = 0; j < NJ; j++) {
    double s2 = 0;
    size_t c = 0;
    for (size_t i = 1; i < atomic_load(&st->n) && c < 500; i++) {
      if (st->rec[i].stamp_s < 1000 + 1.0) continue;
      double d = st->rec[i].pos[j] - st->rec[i - 1].pos[j];
      s2 += d * d;
      c++;
    }
    assert_true(c >= 400);
    est[j] = sqrt(s2 / (double)c / 2);
  }
  qsort(est, NJ, sizeof est[0], cmp_double);
  print_message("encoder noise estimate per joint: min %.5f, median %.5f, max %.5f rad "
                "(configured 0.001)\n", est[0], est[NJ / 2], est[NJ - 1]);
  assert_true(est[NJ / 2] > 0.0009 && est[NJ / 2] < 0.0011);
  assert_true(est[0] > 0.0008);
}

static void send_traj(dtw_pub_t *pub, dtw_joint_trajectory_msg_t *t, const char *joint,
                      double goal) {
  dtw_traj_msg_clear(t);
  t->n_joints = 1;
  snprintf(t->joint_names[0], DTW_NAME_MAX, "%s", joint);
  dtw_traj_point_t *p = dtw_traj_msg_add_point(t);
  p->n_positions = p->n_velocities = 1;
  p->positions[0] = goal;
  p->velocities[0] = 0;
  p->time_from_start = dtw_duration_from_s(1.0);
  assert_int_equal(dtw_pub_joint_trajectory(pub, t), 0);
}

/* Mean of joint j over the last `n` samples. */
static double recent_mean(stream_t *st, int j, size_t n) {
  size_t end = atomic_load(&st->n);
  double s = 0;
  for (size_t i = end - n; i < end; i++) s += st->rec[i].pos[j];
  return s / (double)n;
}

static void test_locked_joint_stays_put(void **state) {
  (void)state;
  stream_t *st = &g.s[RA];
  char err[256];
  dtw_pub_t *pub;
  dtw_joint_trajectory_msg_t t = {0};
  assert_int_equal(dtw_traj_msg_init(&t, 4), 0);
  const char *topic = "/ra/humanoid_joint_trajectory_controller/joint_trajectory";
  assert_int_equal(dtw_pub_create(g.node, topic, DTW_TYPE_JOINT_TRAJECTORY, DTW_QOS_DEFAULT, &pub,
                                  err, sizeof err),
                   0);
  assert_int_equal(dtw_pub_wait_matched(pub, 1, 10 * SEC), 0);
  int le = col(st, "left_elbow"), re = col(st, "right_elbow");
  double le0 = recent_mean(st, le, 50);
  /* the free elbow follows a trajectory (the physics runs); then the locked one is
   * commanded and does not move (its controller may abort on the path tolerance) */
  send_traj(pub, &t, "right_elbow", 1.0);
  double right = NAN;
  int64_t end = dtw_clock_mono_ns() + 10 * SEC;
  while (dtw_clock_mono_ns() < end) {
    dtw_clock_sleep_ns(SEC / 10);
    right = recent_mean(st, re, 50);
    if (fabs(right - 1.0) < 0.05) break;
  }
  assert_true(fabs(right - 1.0) < 0.05);
  send_traj(pub, &t, "left_elbow", 1.0);
  double lmax = 0;
  end = dtw_clock_mono_ns() + 2 * SEC;
  while (dtw_clock_mono_ns() < end) {
    dtw_clock_sleep_ns(SEC / 10);
    lmax = fmax(lmax, fabs(recent_mean(st, le, 50) - le0));
  }
  print_message("right elbow commanded to 1.0 reached %.4f; locked left elbow commanded to 1.0 "
                "moved at most %.5f rad in 2 s\n", right, lmax);
  assert_true(lmax < 0.005);
  assert_true(log_contains(st, "fault: left_elbow locked at t=0.000 s", NULL, 0));
  dtw_pub_destroy(pub);
  dtw_traj_msg_fini(&t);
}

static void test_frozen_sensor_and_silent_feed(void **state) {
  (void)state;
  stream_t *st = &g.s[RB];
  assert_true(wait_stamp(st, 6.0, 40 * SEC) > 0);
  size_t n = atomic_load(&st->n);
  int re = col(st, "right_elbow"), rs = col(st, "right_shoulder_pitch");
  assert_true(re >= 0 && rs >= 0);
  /* frozen: one value from 0.5 s on while the shoulder (and the real elbow) move */
  double frozen = NAN, smin = 1e9, smax = -1e9;
  size_t after = 0;
  for (size_t i = 0; i < n; i++) {
    if (st->rec[i].stamp_s < 0.5 + 0.01) continue;
    if (isnan(frozen)) frozen = st->rec[i].pos[re];
    assert_true(st->rec[i].pos[re] == frozen);
    smin = fmin(smin, st->rec[i].pos[rs]);
    smax = fmax(smax, st->rec[i].pos[rs]);
    after++;
  }
  print_message("right_elbow frozen at %.4f over %zu samples; shoulder moved %.3f rad\n", frozen,
                after, smax - smin);
  assert_true(after > 1000);
  assert_true(smax - smin > 1.0);
  /* silent from 4 s to 5 s: one gap of ~1 s in arrivals and stamps, then samples again */
  double gap = 0, gap_stamp = 0, gap_at = 0;
  for (size_t i = 1; i < n; i++) {
    double d = (double)(st->rec[i].arrival_ns - st->rec[i - 1].arrival_ns) / 1e9;
    if (d > gap) {
      gap = d;
      gap_stamp = st->rec[i].stamp_s - st->rec[i - 1].stamp_s;
      gap_at = st->rec[i - 1].stamp_s;
    }
  }
  print_message("silent feed: longest gap %.3f s (stamps %.3f s apart) after stamp %.3f s\n", gap,
                gap_stamp, gap_at);
  assert_true(gap > 0.9 && gap < 1.2);
  assert_true(fabs(gap_stamp - 1.0) < 0.01);
  assert_true(fabs(gap_at - 4.0) < 0.01);
  assert_true(st->rec[n - 1].stamp_s > 5.5);
  assert_true(log_contains(st, "fault: joint_states silent at t=4.000 s for 1.000 s", NULL, 0));
  assert_true(log_contains(st, "fault: joint_states back at t=5.000 s", NULL, 0));
  assert_true(log_contains(st, "fault: right_elbow sensor frozen at", NULL, 0));
}

static void test_replay_publishes_the_file(void **state) {
  (void)state;
  stream_t *st = &g.s[RC];
  static const char *const known[] = {"right_shoulder_pitch", "right_shoulder_roll",
                                      "right_shoulder_yaw", "right_elbow"};
  dtw__replay_t r;
  char err[512];
  assert_int_equal(dtw__replay_load(g.csv, known, 4, &r, err, sizeof err), 0);
  double span = r.time_s[r.n_rows - 1] - r.time_s[0];
  double period = span + span / (double)(r.n_rows - 1);
  /* past one loop, so the wrap is covered */
  assert_true(wait_stamp(st, period + 1.0, 40 * SEC) > 0);
  size_t n = atomic_load(&st->n), matched = 0;
  assert_int_equal(st->rec[0].n, 4);
  for (int j = 0; j < 4; j++) assert_string_equal(st->names[j], known[j]);
  for (size_t i = 0; i < n; i++) {
    /* stamp = loops x period + (row time - first row time) */
    double rel = fmod(st->rec[i].stamp_s + 1e-7, period) - 1e-7;
    size_t row = (size_t)llround(rel * 100.0); /* 100 Hz recording */
    assert_true(row < r.n_rows);
    assert_true(fabs(r.time_s[row] - r.time_s[0] - rel) < 1e-6);
    for (int j = 0; j < 4; j++) assert_true(st->rec[i].pos[j] == r.position[row * 4 + (size_t)j]);
    matched++;
  }
  print_message("replay: %zu samples, every one equal to its file row (%zu rows, loop %.2f s)\n",
                matched, r.n_rows, period);
  assert_true(matched > r.n_rows);
  dtw__replay_fini(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rate_and_joints),
      cmocka_unit_test(test_stamps_lag_arrival_by_latency),
      cmocka_unit_test(test_noise_visible_at_rest),
      cmocka_unit_test(test_locked_joint_stays_put),
      cmocka_unit_test(test_frozen_sensor_and_silent_feed),
      cmocka_unit_test(test_replay_publishes_the_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
