/* dtwin robot as a process, observed over DDS (loopback, the domain ctest
 * gives this test). Three robots run at once in their own namespaces and
 * every joint_states sample is recorded with its arrival time from setup on:
 *   /ra  noise 0.001, latency 50 ms, clock offset 1000 s, left_elbow locked at 0 s
 *   /rb  the wave motion, right_elbow's sensor frozen at 0.5 s, silent 4 s..5 s
 *   /rc  replaying tests/data/robot/wave_recording.csv without latency
 * The tests then check rate, latency, noise, the locked joint, the frozen
 * sensor, the silent gap and the replayed values.
 * Everything is measured on the robot's own clock - its stamps, and its
 * simulated time read over HTTP - so a loaded machine that slows the robots
 * down makes the test slower, not wrong. Arrival times are only reported. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/msgs.h"
#include "robot/robot__emu.h"

#define SEC INT64_C(1000000000)
#define MAX_REC 40000
#define NJ 23
/* how long a wait may take before the test fails (bounds a failing run only) */
#define WAIT_S 60.0
#define OFFSET_S 1000.0 /* /ra's clock offset */
#define LATENCY_S 0.05  /* /ra's latency (+ U(0, 1 ms) jitter, the default) */

typedef struct rec {
  int64_t arrival_ns;
  double stamp_s;
  size_t n;
  double pos[NJ];
} rec_t;

typedef struct stream {
  const char *ns;
  th_proc_t proc;
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

static int spawn(stream_t *st, const char *const *extra) {
  const char *argv[40] = {"robot", "--quiet", "--duration", "280"};
  int a = 4;
  char ns_set[64];
  snprintf(ns_set, sizeof ns_set, "robot.namespace=%s", st->ns);
  argv[a++] = "--set";
  argv[a++] = ns_set;
  for (; *extra; extra++) argv[a++] = *extra;
  argv[a] = NULL;
  return th_spawn(&st->proc, st->ns + 1, argv);
}

static int setup(void **state) {
  (void)state;
  snprintf(g.csv, sizeof g.csv, "%s/robot/wave_recording.csv", th_env("DTW_TEST_DATA"));
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
  opt.domain_id = th_domain();
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
  if (spawn(&g.s[RA], a_args) < 0 || spawn(&g.s[RB], b_args) < 0 || spawn(&g.s[RC], c_args) < 0)
    return -1;
  for (int i = 0; i < 3; i++)
    if (dtw_sub_wait_matched(g.s[i].sub, 1, (int64_t)WAIT_S * SEC) < 0) {
      fprintf(stderr, "dtwin robot %s did not appear on the bus\n", g.s[i].ns);
      th_log_dump(&g.s[i].proc, 30);
      return -1;
    }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  int bad = 0;
  for (int i = 0; i < 3; i++) {
    stream_t *st = &g.s[i];
    if (th_stop(&st->proc, SIGINT, WAIT_S) < 0) {
      bad = 1;
    } else if (!th_log_find(&st->proc, "dtwin robot: stopped at robot time", NULL, 0)) {
      fprintf(stderr, "dtwin robot %s exited without its summary\n", st->ns);
      th_log_dump(&st->proc, 30);
      bad = 1;
    }
  }
  dtw_bus_destroy(g.bus);
  for (int i = 0; i < 3; i++) free(g.s[i].rec);
  return bad ? -1 : 0;
}

typedef struct {
  stream_t *st;
  double t_s;
} stamp_wait_t;

static bool stamp_reached(void *user) {
  stamp_wait_t *w = user;
  size_t n = atomic_load(&w->st->n);
  return n > 0 && w->st->rec[n - 1].stamp_s >= w->t_s;
}

/* Wait until stream st has a sample stamped at or after t_s; returns its count (0: timed out). */
static size_t wait_stamp(stream_t *st, double t_s, double timeout_s) {
  stamp_wait_t w = {st, t_s};
  return th_wait_for(stamp_reached, &w, timeout_s) ? atomic_load(&st->n) : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_rate_and_joints(void **state) {
  (void)state;
  stream_t *st = &g.s[RA];
  /* 500 Hz on the robot's clock: a sample every 2 ms of its time. Counted over
   * 2 s of stamps from 1 s on; best effort may lose a few under load, never add. */
  assert_true(wait_stamp(st, OFFSET_S + 3.0, WAIT_S) > 0);
  size_t n = atomic_load(&st->n), count = 0, lost = 0;
  for (size_t i = 0; i < n; i++) {
    double t = st->rec[i].stamp_s;
    if (t < OFFSET_S + 1.0 || t >= OFFSET_S + 3.0) continue;
    count++;
    if (i == 0) continue;
    /* every interval is a whole number of 2 ms periods; more than one = lost samples */
    double periods = (t - st->rec[i - 1].stamp_s) / 0.002;
    th_assert_near(periods, round(periods), 1e-6, "stamp interval in 2 ms periods");
    assert_true(round(periods) >= 1);
    lost += (size_t)round(periods) - 1;
  }
  print_message("joint_states: %zu samples in 2 s of robot time (%zu lost in transit)\n", count,
                lost);
  th_assert_range((double)count + (double)lost, 999, 1001, "samples sent in 2 s of robot time");
  th_assert_range((double)count, 950, 1001, "samples received in 2 s of robot time");
  assert_int_equal(st->rec[0].n, 23);
  assert_true(col(st, "left_knee") >= 0 && col(st, "neck_pitch") >= 0);
  /* stamps are the robot's clock: its time plus the 1000 s offset, increasing */
  th_assert_range(st->rec[0].stamp_s, OFFSET_S, OFFSET_S + 60, "first stamp");
  for (size_t i = 1; i < n; i++) assert_true(st->rec[i].stamp_s > st->rec[i - 1].stamp_s);
}

/* The robot's clock (dtwin_sim_time_seconds, set every step after the due
 * samples went out) read after a sample arrived is at least the latency past
 * that sample's stamp: a sample cannot leave before it is due. With the newest
 * sample the lead is the latency plus what passed since it left; its smallest
 * value over many readings is the latency itself. */
static void test_latency_on_robot_clock(void **state) {
  (void)state;
  stream_t *st = &g.s[RA];
  const char *url = th_url(&st->proc, WAIT_S);
  assert_non_null(url);
  double lead[40];
  int k = 0;
  for (int i = 0; i < 40; i++) {
    size_t n = atomic_load(&st->n); /* these arrived before the reading starts */
    double v = th_scrape(url, "dtwin_sim_time_seconds");
    if (n == 0 || !isfinite(v)) continue;
    lead[k++] = v - (st->rec[n - 1].stamp_s - OFFSET_S);
    dtw_clock_sleep_ns(SEC / 50);
  }
  assert_true(k >= 20);
  qsort(lead, (size_t)k, sizeof lead[0], cmp_double);
  print_message("robot clock ahead of the newest received stamp over %d readings: min %.2f ms, "
                "median %.2f ms (configured latency 50 ms + U(0, 1 ms))\n",
                k, lead[0] * 1e3, lead[k / 2] * 1e3);
  /* never early; and not twice as late (the bound holds under load: it is the best reading) */
  th_assert_range(lead[0], LATENCY_S - 1e-6, 2 * LATENCY_S, "smallest lead of the robot clock");
}

static void test_noise_visible_at_rest(void **state) {
  (void)state;
  stream_t *st = &g.s[RA];
  /* samples 2 ms apart at rest: differences are noise (std 0.001 x sqrt 2) */
  assert_true(wait_stamp(st, OFFSET_S + 2.0, WAIT_S) > 0);
  double est[NJ];
  for (int j = 0; j < NJ; j++) {
    double s2 = 0;
    size_t c = 0;
    for (size_t i = 1; i < atomic_load(&st->n) && c < 500; i++) {
      if (st->rec[i].stamp_s < OFFSET_S + 1.0) continue;
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
  th_assert_range(est[NJ / 2], 0.0009, 0.0011, "median noise estimate");
  th_assert_range(est[0], 0.0008, INFINITY, "smallest noise estimate");
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

/* Largest |mean of `win` consecutive samples of joint j - ref| over the
 * samples stamped in (t0, t1]. */
static double max_mean_deviation(stream_t *st, int j, double ref, double t0, double t1,
                                 size_t win) {
  size_t n = atomic_load(&st->n);
  double worst = 0, sum = 0;
  size_t in = 0;
  for (size_t i = 0; i < n; i++) {
    if (st->rec[i].stamp_s <= t0 || st->rec[i].stamp_s > t1) continue;
    sum += st->rec[i].pos[j];
    if (++in > win) sum -= st->rec[i - win].pos[j]; /* stamps increase: i - win is in range */
    if (in >= win) worst = fmax(worst, fabs(sum / (double)win - ref));
  }
  return in >= win ? worst : NAN;
}

typedef struct {
  stream_t *st;
  int j;
  double target, tol;
} mean_wait_t;

static bool mean_reached(void *user) {
  mean_wait_t *w = user;
  return atomic_load(&w->st->n) >= 50 && fabs(recent_mean(w->st, w->j, 50) - w->target) < w->tol;
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
  assert_int_equal(dtw_pub_wait_matched(pub, 1, (int64_t)WAIT_S * SEC), 0);
  int le = col(st, "left_elbow"), re = col(st, "right_elbow");
  double le0 = recent_mean(st, le, 50);
  /* the free elbow follows a trajectory (the physics runs); then the locked one is
   * commanded and does not move over 2 s of robot time (its controller may abort
   * on the path tolerance) */
  send_traj(pub, &t, "right_elbow", 1.0);
  mean_wait_t w = {st, re, 1.0, 0.05};
  assert_true(th_wait_for(mean_reached, &w, WAIT_S));
  double right = recent_mean(st, re, 50);
  size_t n = atomic_load(&st->n);
  double sent_at = st->rec[n - 1].stamp_s;
  send_traj(pub, &t, "left_elbow", 1.0);
  assert_true(wait_stamp(st, sent_at + 2.0, WAIT_S) > 0);
  double lmax = max_mean_deviation(st, le, le0, sent_at, sent_at + 2.0, 50);
  print_message("right elbow commanded to 1.0 reached %.4f; locked left elbow commanded to 1.0 "
                "moved at most %.5f rad in 2 s of robot time\n", right, lmax);
  th_assert_range(lmax, 0, 0.005, "locked left elbow's largest move (50-sample means)");
  assert_true(th_log_find(&st->proc, "fault: left_elbow locked at t=0.000 s", NULL, 0));
  dtw_pub_destroy(pub);
  dtw_traj_msg_fini(&t);
}

static void test_frozen_sensor_and_silent_feed(void **state) {
  (void)state;
  stream_t *st = &g.s[RB];
  assert_true(wait_stamp(st, 6.0, WAIT_S) > 0);
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
  /* silent from 4 s to 5 s of robot time: the one long gap in the stamps, then
   * samples again (the gap in arrivals is reported: on a loaded machine it is
   * whatever the robot's pace made it) */
  double gap = 0, gap_at = 0, gap_arrival = 0;
  for (size_t i = 1; i < n; i++) {
    double d = st->rec[i].stamp_s - st->rec[i - 1].stamp_s;
    if (d > gap) {
      gap = d;
      gap_at = st->rec[i - 1].stamp_s;
      gap_arrival = (double)(st->rec[i].arrival_ns - st->rec[i - 1].arrival_ns) / 1e9;
    }
  }
  print_message("silent feed: longest gap %.3f s of robot time after stamp %.3f s (%.3f s between "
                "arrivals)\n", gap, gap_at, gap_arrival);
  th_assert_near(gap, 1.0, 0.01, "longest gap in the stamps");
  th_assert_near(gap_at, 4.0, 0.01, "stamp before the gap");
  th_assert_range(st->rec[n - 1].stamp_s, 5.5, INFINITY, "newest stamp");
  assert_true(th_wait_log(&st->proc, "fault: joint_states silent at t=4.000 s for 1.000 s", WAIT_S,
                          NULL, 0));
  assert_true(th_wait_log(&st->proc, "fault: joint_states back at t=5.000 s", WAIT_S, NULL, 0));
  assert_true(th_wait_log(&st->proc, "fault: right_elbow sensor frozen at", WAIT_S, NULL, 0));
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
  assert_true(wait_stamp(st, period + 1.0, WAIT_S) > 0);
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
      cmocka_unit_test(test_latency_on_robot_clock),
      cmocka_unit_test(test_noise_visible_at_rest),
      cmocka_unit_test(test_locked_joint_stays_put),
      cmocka_unit_test(test_frozen_sensor_and_silent_feed),
      cmocka_unit_test(test_replay_publishes_the_file),
  };
  return th_finish(cmocka_run_group_tests(tests, setup, teardown));
}
