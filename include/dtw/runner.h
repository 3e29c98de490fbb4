/* dtw/runner.h - drive a node's loop: fixed-period physics loops paced to the
 * wall clock, or event loops that wait on the bus, with the loop's health
 * beat and its timing metrics.
 *
 * Paced loop (sim, robot):
 *   dtw_runner_t r;
 *   dtw_runner_init(&r, &host, "/twin/digital_twin", period_s, rtf);
 *   while (!stop) dtw_runner_step(&r, step_fn, node);
 *
 * Event loop (sync, monitor, bridge): dtw_runner_init_event, then
 * dtw_runner_beat(&r) once per iteration.
 *
 * Metrics of stepping loops (label node=<fqn>): dtwin_step_duration_seconds
 * (histogram), dtwin_real_time_factor, dtwin_sim_steps_total,
 * dtwin_pacing_overruns_total; event loops export none of them (they simulate
 * nothing: a real-time factor of 0 there would read as a slow twin). Health: a
 * loop "<fqn>" that must beat within max(1 s, 50 periods). No allocation after
 * init; one thread per runner. */
#ifndef DTW_RUNNER_H
#define DTW_RUNNER_H

#include <stdint.h>

#include "dtw/node.h"
#include "dtw/pacer.h"

typedef struct dtw_runner {
  dtw_pacer_t pacer;
  dtw_health_loop_t *loop;
  dtw_gauge_t *rtf;
  dtw_histogram_t *step_seconds;
  dtw_counter_t *steps, *overruns;
  uint64_t overruns_seen;
  uint64_t n;
} dtw_runner_t;

/* Set up pacing at rtf (0 = unpaced) and register the loop's metrics and
 * health check on host (either may be NULL). Returns 0 or DTW_EINVAL. */
int dtw_runner_init(dtw_runner_t *r, const dtw_node_host_t *host, const char *node_fqn,
                    double period_s, double rtf);

/* An event loop that beats every period_s or so: only its health loop is
 * registered. Returns 0 or DTW_EINVAL. */
int dtw_runner_init_event(dtw_runner_t *r, const dtw_node_host_t *host, const char *node_fqn,
                          double period_s);

/* One paced step: time fn(user), beat, sleep until the step's deadline.
 * Returns fn's result; DTW_ESIM (the physics failed and restarted) marks a step
 * that advanced no simulated time, so the real-time factor shows it. */
int dtw_runner_step(dtw_runner_t *r, int (*fn)(void *user), void *user);

/* Beat the health loop (event loops). */
void dtw_runner_beat(dtw_runner_t *r);

#endif /* DTW_RUNNER_H */
