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
  uint64_t states_seen;      /* bit per state seen at a tick */
} pace_rig_t;

static void run(pace_rig_t *g, double t0, double t1, double dt, double robot_pace,
                double twin_pace) {
  for (double now = t0; now < t1 - 1e-9; now += dt) {
    g->twin_t += twin_pace * dt;
    twin_uniform(g->s, g->twin_t, now, sin(g->twin_t), cos(g->twin_t));
    g->rob_t += robot_pace * dt;
    robot_uniform(g->s, g->rob_t, now + 0.0005, sin(g->rob_t), cos(g->rob_t));
    // a tick every 0.1 s of our clock
    if (floor((now + dt) * 10 + 1e-9) != floor(now * 10 + 1e-9)) {
      assert_true(dtw_sync_tick(g->s, now + 0.001) >= 0);
      dtw_sync_report(g->s, &g->r);
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
      cmocka_unit_test(test_switched_off),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
