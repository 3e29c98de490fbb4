/* Loop driver: pacing, health beat, timing metrics. */
#include "dtw/runner.h"

#include <math.h>
#include <string.h>

#include "dtw/err.h"
#include "node__util.h"

int dtw_runner_init(dtw_runner_t *r, const dtw_node_host_t *host, const char *fqn,
                    double period_s, double rtf) {
  memset(r, 0, sizeof *r);
  int rc = dtw_pacer_init(&r->pacer, period_s, rtf);
  if (rc < 0) return rc;
  if (host != NULL && host->health != NULL)
    r->loop = dtw_health_add_loop(host->health, fqn, fmax(1.0, 50.0 * period_s));
  if (host != NULL && host->metrics != NULL) {
    static const double bounds[] = {10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6,
                                    1e-3,  2e-3,  5e-3,  10e-3};
    dtw_metrics_t *m = host->metrics;
    r->step_seconds = dtw_metrics_histogram(
        m, "dtwin_step_duration_seconds", "Duration of one loop step (physics, control, I/O)",
        bounds, sizeof bounds / sizeof bounds[0], "node", fqn);
    r->rtf = dtw_metrics_gauge(m, "dtwin_real_time_factor",
                                 "Simulated seconds per wall-clock second over the last second",
                                 "node", fqn);
    r->steps = dtw_metrics_counter(m, "dtwin_sim_steps_total", "Loop steps run", "node", fqn);
    r->overruns = dtw_metrics_counter(
        m, "dtwin_pacing_overruns_total",
        "Times the loop fell more than 100 ms behind its schedule (caught up by running back "
        "to back, or restarted beyond 2 s)",
        "node", fqn);
  }
  return 0;
}

int dtw_runner_init_event(dtw_runner_t *r, const dtw_node_host_t *host, const char *fqn,
                          double period_s) {
  memset(r, 0, sizeof *r);
  int rc = dtw_pacer_init(&r->pacer, period_s, 0);
  if (rc < 0) return rc;
  if (host != NULL && host->health != NULL)
    r->loop = dtw_health_add_loop(host->health, fqn, fmax(1.0, 50.0 * period_s));
  return 0;
}

/* the pacer of the loop stepping on this thread (dtw_runner_behind_s) */
static _Thread_local double g_behind_s;

double dtw_runner_behind_s(void) { return g_behind_s; }

void dtw__runner_set_behind(double s) { g_behind_s = s; }

int dtw_runner_step(dtw_runner_t *r, int (*fn)(void *user), void *user) {
  dtw_pacer_begin_step(&r->pacer);
  if (r->pacer.rtf > 0) g_behind_s = dtw_pacer_behind_s(&r->pacer); /* a pool's tasks: its worker's */
  int rc = fn(user);
  dtw_pacer_end_step(&r->pacer);
  if (rc == DTW_ESIM) dtw_pacer_step_stalled(&r->pacer); /* restarted: no simulated time */
  dtw_histogram_observe(r->step_seconds, (double)r->pacer.last_ns * 1e-9);
  dtw_counter_add(r->steps, 1);
  /* the window statistics cost a little: refresh the gauges ~10 times a second */
  if (++r->n % 100 == 0) {
    dtw_pacer_stats_t st;
    dtw_pacer_stats(&r->pacer, &st);
    dtw_gauge_set(r->rtf, st.rtf_achieved);
    if (st.overruns > r->overruns_seen) {
      dtw_counter_add(r->overruns, st.overruns - r->overruns_seen);
      r->overruns_seen = st.overruns;
    }
    dtw_health_beat(r->loop);
  }
  dtw_pacer_wait(&r->pacer);
  return rc;
}

void dtw_runner_beat(dtw_runner_t *r) { dtw_health_beat(r->loop); }
