/* bench_common.h - what the benchmarks share: CPU-time clock, medians, and the
 * bare MuJoCo contender (the same MJCF compiled and stepped with plain MuJoCo),
 * the baseline the sim and twin benchmarks report their ratios against. */
#ifndef DTW_BENCH_COMMON_H
#define DTW_BENCH_COMMON_H

#include <mujoco/mujoco.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/robot.h"

/* CPU time of this thread, ns: unlike the wall clock it does not count time
 * other processes take from us on a shared machine. */
int64_t bench_cpu_ns(void);
/* Median of v[0..n) (sorts v); 0 for n <= 0. */
double bench_median(double *v, int n);

/* ---- CPU taken by other processes ------------------------------------------
 * A benchmark on a shared machine says how much CPU its neighbours took while
 * it ran: the machine's non-idle time (/proc/stat) minus that of this process
 * group (the benchmark, the processes it started, and -- through their parents'
 * counts -- those that exited). A round with more than BENCH_QUIET_CORES
 * (default 0.25) cores of neighbours is marked disturbed. */
typedef struct bench_cpu_snapshot {
  int64_t wall_ns;               /* monotonic */
  unsigned long long busy_ticks; /* machine, all cores */
  unsigned long long group_ticks;
  long ticks_per_s;
} bench_cpu_snapshot_t;

int bench_cpu_snap(bench_cpu_snapshot_t *out);
/* Neighbours' CPU between a and b, in cores (busy - ours, over wall time). */
double bench_neighbour_cores(const bench_cpu_snapshot_t *a, const bench_cpu_snapshot_t *b);
/* True when that exceeds BENCH_QUIET_CORES. */
bool bench_disturbed(double neighbour_cores);
/* "neighbours 0.12 cores over 8.0 s" (+ " (disturbed)") into line. */
void bench_neighbours_line(const bench_cpu_snapshot_t *a, const bench_cpu_snapshot_t *b,
                           char *line, size_t len);

/* A measured round: call begin before it and end after it; end prints
 * "  (neighbours X cores ...)" after the round's own line and returns whether the
 * round was disturbed. */
void bench_round_begin(bench_cpu_snapshot_t *snap);
bool bench_round_end(const bench_cpu_snapshot_t *snap);
/* Median of the rounds that were not disturbed (of all of them when every round
 * was); *used gets the number of undisturbed rounds (0: all disturbed). */
double bench_median_quiet(const double *v, const bool *disturbed, int n, int *used);
/* "median of K undisturbed rounds of N", or a DISTURBED mark when K is 0. */
const char *bench_rounds_note(int used, int n, char *buf, size_t len);

typedef struct bench_bare {
  mjModel *m;
  mjData *d;
  double *ctrl; /* nu constant controls, applied at every reset */
} bench_bare_t;

/* Compile desc->mjcf with plain MuJoCo (assets resolve from desc->base_dir and
 * desc->assets, as for the sim), with the integrator named as for
 * dtw_sim_set_integrator (NULL or "model": the document's), so that the baseline
 * runs the options the contender runs. who prefixes the error printed on failure.
 * Returns 0, DTW_EINVAL (integrator), DTW_EMODEL or DTW_ENOMEM; b is zeroed first,
 * so bench_bare_fini is safe after a failure. */
int bench_bare_load(bench_bare_t *b, const dtw_robot_desc_t *desc, const char *integrator,
                    const char *who);
/* ctrl of the first motor on joint `joint` = effort / (gear x gain), clamped
 * to its ctrlrange, as dtw_sim translates efforts. Unknown joints: ignored. */
void bench_bare_set_effort(bench_bare_t *b, const char *joint, double effort);
/* Back to the initial state (keyframe 0 if any), forward, then the controls:
 * the order dtw_sim_reset uses, so the solver warm start matches. */
void bench_bare_reset(bench_bare_t *b);
/* nsteps of mj_step from reset; steps per CPU second. */
double bench_bare_run(bench_bare_t *b, long nsteps);
void bench_bare_fini(bench_bare_t *b);

#endif /* DTW_BENCH_COMMON_H */
