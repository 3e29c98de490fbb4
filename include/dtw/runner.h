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

/* Simulated seconds by which the paced loop stepping on the calling thread is
 * behind its wall-clock schedule in the step now running (0: on time, unpaced,
 * or not called from a step). A node that starts something "now" (an
 * unstamped trajectory) starts it this much later in its simulated time, where
 * it will be once caught up: where a loop on time would have started it. */
double dtw_runner_behind_s(void);

/* ---- a pool of physics loops (dtwin up) ------------------------------------
 * Several stepping loops share a few threads, each thread stepping its tasks
 * once per physics period, paced to the wall clock at one real-time factor (so
 * robot and twin keep one clock). A task's own runner (rtf 0: unpaced) times
 * its step and owns its metrics and health loop; the worker's pacer is the one
 * that falls behind, and its overruns are charged to its tasks. */
typedef struct dtw_runner_task {
  const char *fqn;          /* the node's "<ns>/<name>" (borrowed) */
  int (*step)(void *node);
  void *node;
  size_t group;             /* tasks of one group step on one thread, in order: a robot
                               and its twin stay on one clock whatever the load */
  dtw_runner_t runner;      /* dtw_runner_init(&runner, host, fqn, period_s, 0) */
} dtw_runner_task_t;

typedef struct dtw_runner_pool dtw_runner_pool_t;

/* Start min(threads, number of groups) threads (0 = 1); the tasks of group g run
 * on thread g % threads, in the order given (groups numbered 0, 1, ... densely).
 * tasks must outlive the pool and all step at one period. Returns 0, DTW_EINVAL
 * (different periods, rtf <= 0) or DTW_ENOMEM, with a message. */
int dtw_runner_pool_start(dtw_runner_task_t *tasks, size_t n_tasks, size_t threads, double rtf,
                          dtw_runner_pool_t **out, char *err, size_t errlen);
size_t dtw_runner_pool_threads(const dtw_runner_pool_t *pool);
/* Steps whose task returned an error, over all threads (any thread may read). */
uint64_t dtw_runner_pool_failures(const dtw_runner_pool_t *pool);
/* Stop stepping and join the threads (idempotent); the pool can still be read. */
void dtw_runner_pool_join(dtw_runner_pool_t *pool);
/* Join if needed and free. NULL is ignored. */
void dtw_runner_pool_stop(dtw_runner_pool_t *pool);

#endif /* DTW_RUNNER_H */
