/* Feed pace (src/sync/sync_pace.c): a side that cannot keep real time makes the
 * state DEGRADED with its reason, not DIVERGED; gaps are judged against the
 * feed's own rate; the rule can be switched off. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "test_sync_util.h"

/* Run from t0 to t1 of our clock: the robot publishes every `dt` at
 * robot_pace x real time, the twin every dt at twin_pace x real time (its
 * samples say what the robot did at that twin time: a slow twin lags). Joints
 * move as sin(time). Ticks at 10 Hz. Returns the report at the end. */
typedef struct pace_rig {
  dtw_sync_t *s;
  dtw_sync_report_t r;
  double rob_t, twin_t;      /* each side's clock */
  double knee_err;           /* added to the robot's left knee (rad) */
  double twin_shift;         /* added to the twin's time in what its samples say */
  double twin_late;          /* the twin's sample arriving now is this old (its feed late) */
  double twin_sent;          /* stamp of the twin's newest sample delivered */
  uint64_t states_seen;      /* bit per state seen at a tick */
  bool polls;                /* the caller says when it polls (dtw_sync_on_poll) */
  double away_until;         /* samples up to here arrive only then (the caller away) */
  double last_poll;
  double first_at[DTW_SYNC_STATE_COUNT];  /* our clock at the first tick in each state */
} pace_rig_t;

static void run(pace_rig_t *g, double t0, double t1, double dt, double robot_pace,
                double twin_pace) {
  for (double now = t0; now < t1 - 1e-9; now += dt) {
    bool away = now < g->away_until - 1e-9;
    double recv = away ? g->away_until : now;
    // the poll that takes the backlog starts before its first sample
    if (g->polls && recv != g->last_poll) dtw_sync_on_poll(g->s, g->last_poll = recv);
    g->twin_t += twin_pace * dt;
    // a late feed delivers nothing newer until its delay has passed
    double ts = g->twin_t - g->twin_late, tm = ts + g->twin_shift;
    if (!(g->twin_late > 0 && ts < g->twin_sent)) {
      twin_uniform(g->s, ts, recv, sin(tm), cos(tm));
      g->twin_sent = ts;
    }
    g->rob_t += robot_pace * dt;
    double pos[NJ], vel[NJ];
    for (size_t j = 0; j < NJ; j++) {
      pos[j] = sin(g->rob_t);
      vel[j] = cos(g->rob_t);
    }
    pos[J_LEFT_KNEE] += g->knee_err;
    dtw_joint_state_msg_t m;
    sync_msg_all(&m, g->rob_t, pos, vel);
    assert_int_equal(dtw_sync_on_robot_sample(g->s, &m, recv + 0.0005, NULL), 0);
    // a tick every 0.1 s of our clock (none while the caller is away)
    if (!away && floor((now + dt) * 10 + 1e-9) != floor(now * 10 + 1e-9)) {
      assert_true(dtw_sync_tick(g->s, now + 0.001) >= 0);
      dtw_sync_report(g->s, &g->r);
      if (!(g->states_seen & (UINT64_C(1) << g->r.state))) g->first_at[g->r.state] = now + 0.001;
      g->states_seen |= UINT64_C(1) << g->r.state;
    }
  }
}

static dtw_sync_settings_t pace_settings(void) {
  dtw_sync_settings_t st = sync_settings();
  snprintf(st.mode, sizeof st.mode, "mirror");  // no re-sync hides the lag
  snprintf(st.time_alignment, sizeof st.time_alignment, "fixed");
  st.twin_history_s = 10;
  return st;
}

/* The same with the offset estimated from the feeds (the default). */
static dtw_sync_settings_t estimate_settings(void) {
  dtw_sync_settings_t st = pace_settings();
  snprintf(st.time_alignment, sizeof st.time_alignment, "estimate");
  return st;
}

static void test_slow_twin_is_degraded_not_diverged(void **state) {
  (void)state;
  dtw_sync_settings_t st = pace_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  assert_near(g.r.robot_pace, 1.0, 0.01);
  assert_near(g.r.twin_pace, 1.0, 0.01);
  // the twin falls to 0.6 x real time: its samples lag, robot stamps run past
  // them (too_new) or compare with old states; the state names the cause
  g.states_seen = 0;
  run(&g, 2, 4, 0.002, 1.0, 0.6);
  assert_int_equal(g.r.state, DTW_SYNC_DEGRADED);
  assert_near(g.r.twin_pace, 0.6, 0.02);
  assert_non_null(strstr(g.r.degraded_reason, "twin time advances at 0.6"));
  assert_int_equal(g.r.transitions[DTW_SYNC_DIVERGED], 0);
  assert_int_equal(g.r.transitions[DTW_SYNC_FAULT], 0);
  assert_int_equal(g.r.level, 1);
  dtw_sync_destroy(g.s);
}

static void test_slow_robot_is_degraded(void **state) {
  (void)state;
  dtw_sync_settings_t st = pace_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  run(&g, 2, 4, 0.002, 0.5, 0.5);
  assert_int_equal(g.r.state, DTW_SYNC_DEGRADED);
  assert_non_null(strstr(g.r.degraded_reason, "robot time advances at 0.50x real time"));
  // back to real time: SYNCED within a window and a tick
  run(&g, 4, 5.2, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  assert_string_equal(g.r.degraded_reason, "");
  dtw_sync_destroy(g.s);
}

/* A feed at 10 Hz has 0.1 s between samples: no gap. One pause of 0.3 s is. */
static void test_gaps_relative_to_the_feed(void **state) {
  (void)state;
  dtw_sync_settings_t st = pace_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 3, 0.1, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  assert_false(g.states_seen & (UINT64_C(1) << DTW_SYNC_DEGRADED));
  // a 500 Hz feed pausing for 0.3 s (the robot process starved)
  dtw_sync_destroy(g.s);
  g = (pace_rig_t){.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  g.rob_t += 0.3;
  g.twin_t += 0.3;
  run(&g, 2.3, 2.5, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_DEGRADED);
  assert_non_null(strstr(g.r.degraded_reason, "robot feed gap of 0.30"));
  run(&g, 2.5, 3.4, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  dtw_sync_destroy(g.s);
}

/* Samples arriving in a burst at start-up (intervals ~0), then a 5 Hz feed:
 * its 0.2 s intervals are no gaps. */
static void test_startup_burst_then_slow_feed(void **state) {
  (void)state;
  dtw_sync_settings_t st = pace_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  for (int k = 0; k < 5; k++) {
    twin_uniform(g.s, 0.001 * k, 0.0, 0, 1);
    robot_uniform(g.s, 0.001 * k, 0.0, 0, 1);
  }
  g.rob_t = g.twin_t = 0.004;
  run(&g, 0.2, 6, 0.2, 1.0, 1.0);
  assert_false(g.states_seen & (UINT64_C(1) << DTW_SYNC_DEGRADED));
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  dtw_sync_destroy(g.s);
}

/* An error that appears while DEGRADED is judged from when DEGRADED ends: its
 * hold (diverged_hold_s) starts then, so no DIVERGED at the first judged tick. */
static void test_hold_starts_after_degraded(void **state) {
  (void)state;
  dtw_sync_settings_t st = pace_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  // a 0.3 s gap on both feeds; after it the knee is 0.3 rad off (alarm 0.1)
  g.rob_t += 0.3;
  g.twin_t += 0.3;
  g.knee_err = 0.3;
  g.states_seen = 0;
  run(&g, 2.3, 4, 0.002, 1.0, 1.0);
  assert_true(g.states_seen & (UINT64_C(1) << DTW_SYNC_DEGRADED));
  assert_int_equal(g.r.state, DTW_SYNC_DIVERGED);
  // DEGRADED for window_s after the gap; DIVERGED only diverged_hold_s after that
  double degraded_end = 2.3 + st.window_s;
  assert_true(g.first_at[DTW_SYNC_DIVERGED] >= degraded_end + st.diverged_hold_s - 1e-6);
  assert_true(g.first_at[DTW_SYNC_DIVERGED] <= degraded_end + st.diverged_hold_s + 0.2);
  dtw_sync_destroy(g.s);
}

/* A pace at the edge of degraded_rtf does not flap: once DEGRADED, the pace
 * must come back halfway to 1. */
static void test_no_flapping_at_the_edge(void **state) {
  (void)state;
  dtw_sync_settings_t st = pace_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  // the twin alternates between 0.88 and 0.92 of real time, 0.5 s each
  for (int k = 0; k < 10; k++) run(&g, 2 + 0.5 * k, 2.5 + 0.5 * k, 0.002, 1.0, k % 2 ? 0.92 : 0.88);
  assert_int_equal(g.r.state, DTW_SYNC_DEGRADED);
  assert_int_equal(g.r.transitions[DTW_SYNC_DEGRADED], 1);
  dtw_sync_destroy(g.s);
}

/* With the estimated offset (the default): one stall of the whole process (both
 * feeds pause 0.3 s, the robot catches up, the twin does not), then a twin that
 * runs at 0.84 x real time for 1.5 s before it catches up. A lagging twin is no
 * new clock relation: the offset keeps what it learned, robot stamps run past
 * the twin (too_new) and the state says DEGRADED, never DIVERGED; once caught
 * up the comparison is aligned again. The offset used to follow the lagging
 * twin, comparing the robot with the twin's older states (v x lag of error). */
/* A rig with the offset estimated, run for 2 s to SYNCED. */
static pace_rig_t synced_estimate_rig(void) {
  dtw_sync_settings_t st = estimate_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  return g;
}

static void test_lagging_twin_keeps_alignment(void **state) {
  (void)state;
  dtw_sync_settings_t st = estimate_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  const double ahead = 32 * M_PI;  // the robot's clock is ahead (a whole number of periods)
  g.rob_t = ahead;
  run(&g, 0, 3, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  assert_near(g.r.time_offset_s, -ahead, 0.003);
  g.rob_t += 0.3;
  g.states_seen = 0;
  run(&g, 3.3, 4.8, 0.002, 1.0, 0.84);
  run(&g, 4.8, 5.88, 0.002, 1.0, 1.5);  // 0.54 s behind, caught up at 1.5 x
  g.twin_t = fmin(g.twin_t, g.rob_t - ahead);
  run(&g, 5.88, 8, 0.002, 1.0, 1.0);
  assert_true(g.states_seen & (UINT64_C(1) << DTW_SYNC_DEGRADED));
  assert_int_equal(g.r.transitions[DTW_SYNC_DIVERGED], 0);
  assert_int_equal(g.r.transitions[DTW_SYNC_FAULT], 0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  assert_near(g.r.time_offset_s, -ahead, 0.003);
  assert_true(g.r.overall.pos_max_rad < 0.01);
  dtw_sync_destroy(g.s);
}

/* A twin that lost 0.5 s for good (its motion went on from where it stopped,
 * its clock never caught up): DEGRADED for DTW_SYNC_REALIGN_S, then the clock
 * relation is learned again and the comparison is aligned with its motion. */
static void test_lost_time_is_realigned(void **state) {
  (void)state;
  pace_rig_t g = synced_estimate_rig();
  double off0 = g.r.time_offset_s;
  run(&g, 2, 2.5, 0.002, 1.0, 0.0);  // held (a paused twin republishes its time)
  g.twin_shift = 0.5;
  g.states_seen = 0;
  run(&g, 2.5, 2.5 + DTW_SYNC_REALIGN_S - 0.1, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_DEGRADED);
  assert_non_null(strstr(g.r.degraded_reason, "behind its schedule"));
  assert_near(g.r.twin_behind_s, 0.5, 0.01);
  assert_int_equal(g.r.twin_realigns, 0);
  run(&g, 2.5 + DTW_SYNC_REALIGN_S - 0.1, 8, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.twin_realigns, 1);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  assert_near(g.r.time_offset_s, off0 - 0.5, 0.003);
  assert_int_equal(g.r.transitions[DTW_SYNC_DIVERGED], 0);
  assert_false(g.states_seen & (UINT64_C(1) << DTW_SYNC_STALE));
  dtw_sync_destroy(g.s);
}

/* Robot and twin both at half real time (a pair run at rtf 0.5, estimated
 * alignment): the robot's pace is the reason, and the twin, keeping the
 * robot's pace, ends on its schedule (its reference follows the robot's pace
 * over the window: the switch may leave a lag that one realign absorbs). */
static void test_slow_pair_twin_on_schedule(void **state) {
  (void)state;
  dtw_sync_settings_t st = estimate_settings();
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  run(&g, 2, 8, 0.002, 0.5, 0.5);
  assert_int_equal(g.r.state, DTW_SYNC_DEGRADED);
  assert_non_null(strstr(g.r.degraded_reason, "robot time advances at 0.50x"));
  assert_true(g.r.twin_behind_s < 0.05);
  assert_true(g.r.twin_realigns <= 1);
  assert_int_equal(g.r.transitions[DTW_SYNC_DIVERGED], 0);
  dtw_sync_destroy(g.s);
}

/* The twin's feed delivered late while the robot's is not (in `dtwin up` under
 * load, its delivery starved): for 0.3 s of each second the twin's newest
 * sample is 20 ms old when it arrives, less than the lag that puts the twin
 * behind its schedule. The clock relation is not learned from those moments,
 * so the robot is still compared with the twin at its own instant (learned
 * from them, a robot moving at 1 rad/s showed a 0.02 rad error). */
static void test_late_twin_feed_keeps_alignment(void **state) {
  (void)state;
  pace_rig_t g = synced_estimate_rig();
  double off0 = g.r.time_offset_s;
  for (int k = 0; k < 4; k++) {
    double t = 2 + k;
    g.twin_late = 0.02;
    run(&g, t, t + 0.3, 0.002, 1.0, 1.0);
    g.twin_late = 0;
    run(&g, t + 0.3, t + 1, 0.002, 1.0, 1.0);
    assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
    // (a robot sample may still meet a twin sample one period late: the feed's jitter)
    assert_near(g.r.time_offset_s, off0, 0.0045);
    if (!(g.r.overall.pos_max_rad < 0.005)) fail_msg("error %.4f rad", g.r.overall.pos_max_rad);
  }
  assert_int_equal(g.r.transitions[DTW_SYNC_DIVERGED], 0);
  dtw_sync_destroy(g.s);
}

/* The caller (a sync node) away for 0.3 s, its process starved, while both
 * feeds went on: what they sent meanwhile arrives at once when it polls again.
 * That is no feed gap, and no twin behind its schedule: DEGRADED for the
 * synchronizer's own absence, then SYNCED. Told apart only when the caller
 * says when it polls; a real robot gap with the caller polling stays one. */
static void test_own_absence_is_not_a_feed_gap(void **state) {
  (void)state;
  dtw_sync_settings_t st = estimate_settings();
  pace_rig_t g = {.s = sync_new(&st), .polls = true};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  // polled at 2.000 last; everything of 2.002 .. 2.300 arrives at 2.300
  g.away_until = 2.3;
  run(&g, 2.002, 2.5, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_DEGRADED);
  if (strstr(g.r.degraded_reason, "synchronizer not run for 0.30") == NULL)
    fail_msg("reason: %s", g.r.degraded_reason);
  run(&g, 2.5, 3.6, 0.002, 1.0, 1.0);
  assert_int_equal(g.r.state, DTW_SYNC_SYNCED);
  assert_int_equal(g.r.transitions[DTW_SYNC_DIVERGED], 0);
  assert_int_equal(g.r.transitions[DTW_SYNC_FAULT], 0);
  dtw_sync_destroy(g.s);

  // without dtw_sync_on_poll the same absence reads as the robot's feed gap
  g = (pace_rig_t){.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  g.away_until = 2.3;
  run(&g, 2.002, 2.5, 0.002, 1.0, 1.0);
  assert_non_null(strstr(g.r.degraded_reason, "robot feed gap"));
  dtw_sync_destroy(g.s);

  // the caller polling all along, the robot silent for 0.3 s: a robot feed gap
  g = (pace_rig_t){.s = sync_new(&st), .polls = true};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  for (double now = 2.002; now < 2.3; now += 0.002) {
    dtw_sync_on_poll(g.s, now);
    g.twin_t += 0.002;
    twin_uniform(g.s, g.twin_t, now, sin(g.twin_t), cos(g.twin_t));
    if (fmod(now + 1e-9, 0.1) < 0.002) assert_true(dtw_sync_tick(g.s, now + 0.001) >= 0);
  }
  g.rob_t += 0.3;
  run(&g, 2.3, 2.5, 0.002, 1.0, 1.0);
  if (strstr(g.r.degraded_reason, "robot feed gap of 0.30") == NULL)
    fail_msg("reason: %s", g.r.degraded_reason);
  dtw_sync_destroy(g.s);
}

/* degraded_rtf 0 and degraded_gap_s 0: a slow twin is judged as before. */
static void test_switched_off(void **state) {
  (void)state;
  dtw_sync_settings_t st = pace_settings();
  st.degraded_rtf = 0;
  st.degraded_gap_s = 0;
  pace_rig_t g = {.s = sync_new(&st)};
  run(&g, 0, 2, 0.002, 1.0, 1.0);
  run(&g, 2, 4, 0.002, 1.0, 0.6);
  assert_false(g.states_seen & (UINT64_C(1) << DTW_SYNC_DEGRADED));
  assert_true(g.r.transitions[DTW_SYNC_DIVERGED] + g.r.transitions[DTW_SYNC_STALE] > 0);
  dtw_sync_destroy(g.s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slow_twin_is_degraded_not_diverged),
      cmocka_unit_test(test_slow_robot_is_degraded),
      cmocka_unit_test(test_gaps_relative_to_the_feed),
      cmocka_unit_test(test_startup_burst_then_slow_feed),
      cmocka_unit_test(test_hold_starts_after_degraded),
      cmocka_unit_test(test_no_flapping_at_the_edge),
      cmocka_unit_test(test_lagging_twin_keeps_alignment),
      cmocka_unit_test(test_lost_time_is_realigned),
      cmocka_unit_test(test_late_twin_feed_keeps_alignment),
      cmocka_unit_test(test_slow_pair_twin_on_schedule),
      cmocka_unit_test(test_own_absence_is_not_a_feed_gap),
      cmocka_unit_test(test_switched_off),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
