/* bench_common.h - what the benchmarks share: CPU-time clock, medians, and the
 * bare MuJoCo contender (the same MJCF compiled and stepped with plain MuJoCo),
 * the baseline the sim and twin benchmarks report their ratios against. */
#ifndef DTW_BENCH_COMMON_H
#define DTW_BENCH_COMMON_H

#include <mujoco/mujoco.h>
#include <stdint.h>

#include "dtw/robot.h"

/* CPU time of this thread, ns: unlike the wall clock it does not count time
 * other processes take from us on a shared machine. */
int64_t bench_cpu_ns(void);
/* Median of v[0..n) (sorts v); 0 for n <= 0. */
double bench_median(double *v, int n);

typedef struct bench_bare {
  mjModel *m;
  mjData *d;
  double *ctrl; /* nu constant controls, applied at every reset */
} bench_bare_t;

/* Compile desc->mjcf with plain MuJoCo (assets resolve from desc->base_dir and
 * desc->assets, as for the sim). who prefixes the error printed on failure. Returns 0,
 * DTW_EMODEL or DTW_ENOMEM; b is zeroed first, so bench_bare_fini is safe after
 * a failure. */
int bench_bare_load(bench_bare_t *b, const dtw_robot_desc_t *desc, const char *who);
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
