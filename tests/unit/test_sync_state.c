/* State machine (every transition, hold time, hysteresis, culprits) and the
 * shadow-mode re-sync policy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "test_sync_util.h"

/* One 100 Hz period at t: the twin, then the robot (1 ms later) with the
 * given left_knee/left_ankle_pitch error, then a tick. Returns the tick flags. */
static int step2(dtw_sync_t *s, double t, double knee_err, double ankle_err) {
  double twin = 0.5 * t;  // every twin joint ramps at 0.5 rad/s
  twin_uniform(s, t, t, twin, 0.5);
  double pos[NJ], vel[NJ];
  for (size_t j = 0; j < NJ; j++) {
    pos[j] = twin;
    vel[j] = 0.5;
  }
  pos[J_LEFT_KNEE] += knee_err;
  pos[J_LEFT_ANKLE_PITCH] += ankle_err;
  dtw_joint_state_msg_t m;
  sync_msg_all(&m, t, pos, vel);
  assert_int_equal(dtw_sync_on_robot_sample(s, &m, t + 0.001, NULL), 0);
  return dtw_sync_tick(s, t + 0.001);
}
static int step(dtw_sync_t *s, double t, double knee_err) { return step2(s, t, knee_err, 0); }

static dtw_sync_state_t state_of(dtw_sync_t *s) {
  static dtw_sync_report_t r;
  dtw_sync_report(s, &r);
  return r.state;
}

static dtw_sync_settings_t mirror_settings(void) {
  dtw_sync_settings_t st = sync_settings();
  snprintf(st.mode, sizeof st.mode, "mirror");
  return st;
}

static void test_no_data_then_synced(void **state) {
  (void)state;
  dtw_sync_settings_t st = mirror_settings();
  dtw_sync_t *s = sync_new(&st);
  assert_int_equal(dtw_sync_tick(s, 0.0), 0);
  assert_int_equal(state_of(s), DTW_SYNC_NO_DATA);
  // robot samples without a twin: still NO_DATA
  robot_uniform(s, 0.0, 0.001, 0, 0);
  assert_int_equal(dtw_sync_tick(s, 0.002), 0);
  assert_int_equal(state_of(s), DTW_SYNC_NO_DATA);
  assert_int_equal(step(s, 0.01, 0.0), DTW_SYNC_TICK_TRANSITION);
  assert_int_equal(state_of(s), DTW_SYNC_SYNCED);
  dtw_sync_transition_t tr;
  assert_int_equal(dtw_sync_last_transition(s, &tr), 0);
  assert_int_equal(tr.from, DTW_SYNC_NO_DATA);
  assert_int_equal(tr.to, DTW_SYNC_SYNCED);
  assert_near(tr.time_s, 0.011, 1e-12);
  assert_non_null(strstr(tr.text, "NO_DATA -> SYNCED"));
  assert_int_equal(step(s, 0.02, 0.0), 0);  // no new transition
  dtw_sync_report_t r;
  dtw_sync_report(s, &r);
  assert_int_equal(r.transitions[DTW_SYNC_SYNCED], 1);
  assert_near(r.time_in_state_s, 0.01, 1e-12);
  assert_int_equal(r.level, 0);
  dtw_sync_destroy(s);
}

static void test_locked_knee_diverges_after_hold(void **state) {
  (void)state;
  dtw_sync_settings_t st = mirror_settings();  // alarm 0.1 rad, hold 0.2 s
  dtw_sync_t *s = sync_new(&st);
  int k = 0;
  for (; k < 100; k++) step(s, 0.01 * k, 0.0);
  assert_int_equal(state_of(s), DTW_SYNC_SYNCED);
  // the knee locks at t=1.0 while the twin's keeps moving at 0.5 rad/s;
  // the ankle drifts by half as much
  double first_above = NAN, diverged_at = NAN;
  for (; k < 200 && isnan(diverged_at); k++) {
    double t = 0.01 * k, e = 0.5 * (t - 1.0);
    int f = step2(s, t, -e, -e / 2);
    if (isnan(first_above) && e > st.alarm_position_error_rad) first_above = t + 0.001;
    if (f & DTW_SYNC_TICK_TRANSITION) diverged_at = t + 0.001;
  }
  assert_false(isnan(diverged_at));
  assert_int_equal(state_of(s), DTW_SYNC_DIVERGED);
  // not before the hold time, and within hold time + one sample period
  assert_true(diverged_at - first_above >= st.diverged_hold_s - 1e-9);
  assert_true(diverged_at - first_above <= st.diverged_hold_s + 0.01 + 1e-9);
  dtw_sync_transition_t tr;
  assert_int_equal(dtw_sync_last_transition(s, &tr), 0);
  assert_int_equal(tr.from, DTW_SYNC_SYNCED);
  assert_int_equal(tr.to, DTW_SYNC_DIVERGED);
  assert_int_equal(tr.n_above, 2);  // the knee, and by now the ankle
  assert_int_equal(tr.culprits[0].joint, J_LEFT_KNEE);  // worst first
  assert_int_equal(tr.culprits[1].joint, J_LEFT_ANKLE_PITCH);
  assert_near(tr.culprits[0].pos_error_rad, 0.5 * (diverged_at - 0.001 - 1.0), 1e-9);
  char want[128];
  snprintf(want, sizeof want, "SYNCED -> DIVERGED: left_knee %.3f rad, left_ankle_pitch %.3f rad",
           tr.culprits[0].pos_error_rad, tr.culprits[1].pos_error_rad);
  assert_string_equal(tr.text, want);
  assert_near(tr.culprits[1].pos_error_rad, tr.culprits[0].pos_error_rad / 2, 1e-9);
  dtw_sync_report_t r;
  dtw_sync_report(s, &r);
  assert_true(r.joints[J_LEFT_KNEE].above_alarm);
  assert_false(r.joints[0].above_alarm);
  assert_int_equal(r.level, 2);
  dtw_sync_destroy(s);
}

static void test_short_spike_does_not_diverge(void **state) {
  (void)state;
  dtw_sync_settings_t st = mirror_settings();
  dtw_sync_t *s = sync_new(&st);
  int k = 0;
  for (; k < 10; k++) step(s, 0.01 * k, 0.0);
  // above the alarm for 0.15 s, one sample below, above again for 0.15 s
  for (; k < 25; k++) assert_int_equal(step(s, 0.01 * k, 0.2), 0);
  assert_int_equal(step(s, 0.01 * k++, 0.05), 0);
  for (; k < 41; k++) assert_int_equal(step(s, 0.01 * k, 0.2), 0);
  assert_int_equal(state_of(s), DTW_SYNC_SYNCED);
  dtw_sync_destroy(s);
}

static void test_recovery_with_hysteresis(void **state) {
  (void)state;
  dtw_sync_settings_t st = mirror_settings();
  dtw_sync_t *s = sync_new(&st);
  int k = 0;
  for (; k < 40; k++) step(s, 0.01 * k, 0.15);
  assert_int_equal(state_of(s), DTW_SYNC_DIVERGED);
  // 0.09 rad: below the alarm but above 0.8 x alarm: stays DIVERGED
  for (; k < 80; k++) assert_int_equal(step(s, 0.01 * k, 0.09), 0);
  assert_int_equal(state_of(s), DTW_SYNC_DIVERGED);
  assert_int_equal(step(s, 0.01 * k++, 0.07), DTW_SYNC_TICK_TRANSITION);
  assert_int_equal(state_of(s), DTW_SYNC_SYNCED);
  dtw_sync_transition_t tr;
  dtw_sync_last_transition(s, &tr);
  assert_non_null(strstr(tr.text, "DIVERGED -> SYNCED: errors below 0.080 rad"));
  // velocity alarm alone (1 rad/s by default) can diverge too
  for (; k < 120; k++) {
    double t = 0.01 * k;
    twin_uniform(s, t, t, 0.5 * t, 0.5);
    robot_uniform(s, t, t + 0.001, 0.5 * t, 2.0);
    dtw_sync_tick(s, t + 0.001);
  }
  assert_int_equal(state_of(s), DTW_SYNC_DIVERGED);
  dtw_sync_last_transition(s, &tr);
  assert_int_equal(tr.n_above, NJ);
  assert_non_null(strstr(tr.text, "1.500 rad/s"));
  assert_non_null(strstr(tr.text, "more)"));  // only DTW_SYNC_MAX_CULPRITS named
  dtw_sync_report_t r;
  dtw_sync_report(s, &r);
  assert_int_equal(r.transitions[DTW_SYNC_DIVERGED], 2);
  assert_int_equal(r.transitions[DTW_SYNC_SYNCED], 2);
  dtw_sync_destroy(s);
}

static void test_stale_and_back(void **state) {
  (void)state;
  dtw_sync_settings_t st = mirror_settings();  // stale after 0.5 s
  dtw_sync_t *s = sync_new(&st);
  int k = 0;
  for (; k < 50; k++) step(s, 0.01 * k, 0.0);
  double last = 0.01 * 49 + 0.001;
  // the twin's last sample came 1 ms before the robot's: at +0.5 it is stale too
  assert_int_equal(dtw_sync_tick(s, last + 0.499), 0);
  assert_int_equal(dtw_sync_tick(s, last + 0.51), DTW_SYNC_TICK_TRANSITION);
  assert_int_equal(state_of(s), DTW_SYNC_STALE);
  dtw_sync_transition_t tr;
  dtw_sync_last_transition(s, &tr);
  assert_non_null(strstr(tr.text, "SYNCED -> STALE: no robot sample for 0.51"));
  dtw_sync_report_t r;
  dtw_sync_report(s, &r);
  assert_int_equal(r.level, 2);
  // samples return: DEGRADED (a feed gap) for one window, nothing judged; then SYNCED
  assert_int_equal(step(s, 2.0, 0.0), DTW_SYNC_TICK_TRANSITION);
  assert_int_equal(state_of(s), DTW_SYNC_DEGRADED);
  dtw_sync_last_transition(s, &tr);
  assert_non_null(strstr(tr.text, "STALE -> DEGRADED: robot feed gap of 1.5"));
  dtw_sync_report(s, &r);
  assert_int_equal(r.level, 1);
  for (k = 201; k < 300; k++) step(s, 0.01 * k, 0.0);
  assert_int_equal(state_of(s), DTW_SYNC_DEGRADED);  // 0.99 s after the gap
  for (; k < 310; k++) step(s, 0.01 * k, 0.0);
  assert_int_equal(state_of(s), DTW_SYNC_SYNCED);

  // robot alive but the twin gone: samples stop matching -> STALE
  for (k = 310; k < 410; k++) {
    double t = 0.01 * k;
    assert_int_equal(robot_uniform(s, t, t + 0.001, 0.5 * t, 0.5), DTW_SYNC_TOO_NEW);
    dtw_sync_tick(s, t + 0.001);
  }
  assert_int_equal(state_of(s), DTW_SYNC_STALE);
  dtw_sync_last_transition(s, &tr);
  // the twin's own feed age says why: its time stopped
  assert_non_null(strstr(tr.text, "twin time has not advanced"));
  dtw_sync_report(s, &r);
  assert_int_equal(r.transitions[DTW_SYNC_STALE], 2);
  assert_true(r.since_match_s > 0.5);
  assert_true(r.since_robot_s < 0.01);
  dtw_sync_destroy(s);
}

static void test_mirror_never_resyncs(void **state) {
  (void)state;
  dtw_sync_settings_t st = mirror_settings();
  st.resync_threshold_rad = 0.1;
  st.resync_period_s = 0.1;
  dtw_sync_t *s = sync_new(&st);
  assert_int_equal(dtw_sync_request_resync(s), DTW_ESTATE);
  for (int k = 0; k < 100; k++)
    assert_int_equal(step(s, 0.01 * k, 1.0) & DTW_SYNC_TICK_RESYNC, 0);
  assert_int_equal(dtw_sync_request_resync(s), DTW_ESTATE);
  dtw_sync_destroy(s);
}

static void test_resync_by_threshold(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();  // shadow, threshold 0.5 rad
  dtw_sync_t *s = sync_new(&st);
  int k = 0;
  for (; k < 10; k++) assert_int_equal(step(s, 0.01 * k, 0.4) & DTW_SYNC_TICK_RESYNC, 0);
  assert_int_equal(step(s, 0.01 * k++, 0.6) & DTW_SYNC_TICK_RESYNC, DTW_SYNC_TICK_RESYNC_THRESHOLD);
  // in flight: not asked again until done (or the retry time)
  assert_int_equal(step(s, 0.01 * k++, 0.6) & DTW_SYNC_TICK_RESYNC, 0);
  dtw_sync_report_t r;
  dtw_sync_report(s, &r);
  assert_true(r.resync_in_flight);
  dtw_joint_state_msg_t m;
  assert_int_equal(dtw_sync_latest_robot_state(s, &m), 0);
  assert_int_equal(m.n_name, NJ);
  assert_near(m.position[J_LEFT_KNEE] - m.position[0], 0.6, 1e-9);
  dtw_sync_resync_done(s, 0.125);
  // the twin history is gone: the next robot sample has nothing to match yet
  assert_int_equal(robot_uniform(s, 0.12, 0.126, 0, 0), DTW_SYNC_NO_TWIN);
  assert_int_equal(dtw_sync_tick(s, 0.126) & DTW_SYNC_TICK_RESYNC, 0);
  dtw_sync_report(s, &r);
  assert_int_equal(r.resyncs, 1);
  assert_false(r.resync_in_flight);
  assert_true(isnan(r.overall.pos_last_rad));
  // an adapter that never confirms is asked again after the retry time
  k = 13;
  assert_int_equal(step(s, 0.01 * k++, 0.6) & DTW_SYNC_TICK_RESYNC, DTW_SYNC_TICK_RESYNC_THRESHOLD);
  int asked = 0;
  for (; k < 13 + 100 + 2; k++) asked += (step(s, 0.01 * k, 0.6) & DTW_SYNC_TICK_RESYNC) != 0;
  assert_int_equal(asked, 1);
  dtw_sync_destroy(s);
}

static void test_resync_by_period_and_request(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  st.resync_threshold_rad = 0;  // never by threshold
  st.resync_period_s = 0.5;
  dtw_sync_t *s = sync_new(&st);
  assert_int_equal(dtw_sync_request_resync(s), DTW_ESTATE);  // nothing to send yet
  double asked[4];
  int n = 0;
  for (int k = 0; k < 160; k++) {
    double t = 0.01 * k;
    int f = step(s, t, 1.0);
    if (f & DTW_SYNC_TICK_RESYNC) {
      assert_int_equal(f & DTW_SYNC_TICK_RESYNC, DTW_SYNC_TICK_RESYNC_PERIOD);
      assert_true(n < 4);
      asked[n++] = t + 0.001;
      dtw_sync_resync_done(s, t + 0.001);
    }
  }
  // first 0.5 s after the first robot sample (0.001), then 0.5 s after each
  assert_int_equal(n, 3);
  assert_near(asked[0], 0.501, 1e-9);
  assert_near(asked[1], 1.001, 1e-9);
  assert_near(asked[2], 1.501, 1e-9);

  // on request, once, whatever the errors
  assert_int_equal(dtw_sync_request_resync(s), 0);
  assert_int_equal(dtw_sync_tick(s, 1.6), DTW_SYNC_TICK_RESYNC_REQUEST);
  dtw_sync_resync_done(s, 1.6);
  assert_int_equal(dtw_sync_tick(s, 1.61), 0);
  dtw_sync_report_t r;
  dtw_sync_report(s, &r);
  assert_int_equal(r.resyncs, 4);
  assert_int_equal(r.resync_requests, 1);
  dtw_sync_destroy(s);
}

/* A twin that stalls for 0.4 s and then catches up (as the paced nodes do):
 * the clock offset learned before the stall still holds, so the comparison
 * stays aligned and the state is SYNCED again at once, with no flapping after
 * (a stall used to move the estimate by its length for a whole window). */
static void test_stall_does_not_shift_alignment(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  snprintf(st.time_alignment, sizeof st.time_alignment, "estimate");
  snprintf(st.mode, sizeof st.mode, "shadow");
  st.resync_threshold_rad = 0;
  st.stale_timeout_s = 1.0;
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  // robot clock = twin clock + 100; joints move at 2 rad/s amplitude 1 (sin 2t)
  double twin_t = 0.0;
  const double dt = 0.002;
  for (int k = 0; k < 5000; k++) {  // 10 s of our clock
    double now = k * dt;
    bool stalled = now >= 4.0 && now < 4.4;
    // the twin's stall is a feed gap: DEGRADED for a window after it (nothing
    // judged), SYNCED before and after, never DIVERGED
    if (!stalled) {
      // caught up: every twin sample up to now (a burst right after the stall)
      while (twin_t <= now + 1e-9) {
        twin_uniform(s, twin_t, now, sin(2 * twin_t), 2 * cos(2 * twin_t));
        twin_t += dt;
      }
    }
    robot_uniform(s, 100.0 + now, now + 0.001, sin(2 * now), 2 * cos(2 * now));
    if (k % 50 == 0) {
      assert_true(dtw_sync_tick(s, now + 0.001) >= 0);
      dtw_sync_report(s, r);
      bool after_gap = now >= 4.4 && now < 4.4 + st.window_s - 0.01;
      if (now > 1.0 && !after_gap) assert_int_equal(r->state, DTW_SYNC_SYNCED);
      if (after_gap) assert_int_equal(r->state, DTW_SYNC_DEGRADED);
      if (now > 1.0) assert_near(r->time_offset_s, -100.0, 0.006);
    }
  }
  dtw_sync_report(s, r);
  assert_int_equal(r->transitions[DTW_SYNC_DIVERGED], 0);
  assert_int_equal(r->transitions[DTW_SYNC_DEGRADED], 1);
  assert_true(r->overall.pos_max_rad < 0.02);
  free(r);
  dtw_sync_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_data_then_synced),
      cmocka_unit_test(test_locked_knee_diverges_after_hold),
      cmocka_unit_test(test_short_spike_does_not_diverge),
      cmocka_unit_test(test_recovery_with_hysteresis),
      cmocka_unit_test(test_stale_and_back),
      cmocka_unit_test(test_mirror_never_resyncs),
      cmocka_unit_test(test_resync_by_threshold),
      cmocka_unit_test(test_resync_by_period_and_request),
      cmocka_unit_test(test_stall_does_not_shift_alignment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
