/* bench_step - what dtw_sim_step costs on top of a bare mj_step loop.
 *
 *   bench_step [MODEL] [--seconds S] [--rounds N] [--integrator euler|implicit|rk4|model]
 *
 * MODEL (URDF, xacro or MJCF; default: the demo humanoid, fixed base, from
 * $DTW_SOURCE_DIR/models or ./models, else tests/data/sim/pendulum.xml) is
 * compiled twice from the same MJCF text with the same integrator (default
 * euler, the twin's sim.integrator): once as a bare mjModel/mjData
 * driven by `mj_step` with constant controls, once as a dtw_sim_t driven by
 * dtw_sim_step with the same efforts (checked: same trajectory). The
 * contenders alternate for N rounds (order swapped every round), each running
 * the same number of steps (about S seconds of the bare loop) from the
 * initial state, and the median steps/s of each and the median of the
 * per-round ratios are printed: `ratio sim/bare: 0.97`. Steps/s are per second of
 * this thread's CPU time, so other load on the machine disturbs them less.
 * One function per contender so more (e.g. controller in the loop) can be added. */
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/model.h"
#include "dtw/robot.h"
#include "dtw/sim.h"

#define MAX_ROUNDS 64

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

/* Read an MJCF file as it is (fallback when the model loader is not usable). */
static int read_mjcf(const char *path, dtw_robot_desc_t *desc) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return DTW_ENOENT;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  rewind(f);
  memset(desc, 0, sizeof *desc);
  desc->mjcf = calloc(1, (size_t)len + 1);
  if (desc->mjcf == NULL || fread(desc->mjcf, 1, (size_t)len, f) != (size_t)len) {
    fclose(f);
    free(desc->mjcf);
    return DTW_EIO;
  }
  fclose(f);
  desc->mjcf_len = (size_t)len;
  desc->base_dir = strdup(path);
  char *slash = strrchr(desc->base_dir, '/');
  if (slash != NULL)
    *slash = '\0';
  else
    strcpy(desc->base_dir, ".");
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  size_t nlen = strnlen(base, sizeof desc->name - 1);
  memcpy(desc->name, base, nlen);
  desc->name[nlen] = '\0';
  return 0;
}

/* MODEL from the command line, else the humanoid, else the test pendulum. */
static int load_model(const char *arg, dtw_robot_desc_t *desc, char *used, size_t usedlen) {
  const char *src = getenv("DTW_SOURCE_DIR");
  char path[4096];
  char err[512] = "";
  dtw_model_opts_t opts;
  dtw_model_opts_default(&opts);
  if (arg != NULL) {
    snprintf(used, usedlen, "%s", arg);
    int rc = dtw_model_load(arg, &opts, desc, err, sizeof err);
    if (rc != 0) fprintf(stderr, "bench_step: %s\n", err);
    return rc;
  }
  snprintf(path, sizeof path, "%s/models/digital_twin_humanoid.urdf.xacro", src ? src : ".");
  if (file_exists(path)) {
    if (dtw_model_load(path, &opts, desc, err, sizeof err) == 0) {
      snprintf(used, usedlen, "%s (fixed base)", path);
      return 0;
    }
    fprintf(stderr, "bench_step: %s; falling back to the test pendulum\n", err);
  }
  snprintf(path, sizeof path, "%s/tests/data/sim/pendulum.xml", src ? src : ".");
  snprintf(used, usedlen, "%s", path);
  int rc = read_mjcf(path, desc);
  if (rc != 0) fprintf(stderr, "bench_step: cannot read %s\n", path);
  return rc;
}

/* Constant efforts: a fifth of each joint's limit (1 N m if unlimited), alternating sign. */
static void pick_efforts(const dtw_joint_desc_t *joints, size_t n, double *effort) {
  for (size_t i = 0; i < n; i++) {
    double e = joints[i].effort > 0 ? 0.2 * joints[i].effort : 1.0;
    effort[i] = (i % 2) ? -e : e;
  }
}

/* The bare contender: the same MJCF compiled with plain MuJoCo, holding the
 * same efforts as controls. */
static int bare_init(bench_bare_t *b, const dtw_robot_desc_t *desc, const char *integrator,
                     const dtw_joint_desc_t *joints, const double *effort, size_t n) {
  int rc = bench_bare_load(b, desc, integrator, "bench_step");
  if (rc != 0) return rc;
  for (size_t i = 0; i < n; i++) bench_bare_set_effort(b, joints[i].name, effort[i]);
  bench_bare_reset(b);
  return 0;
}

/* Contender (b): nsteps of dtw_sim_step from the initial state with the same efforts.
 * Returns steps/s. */
static double run_sim(dtw_sim_t *sim, const double *effort, size_t n, long nsteps,
                      long *errors) {
  dtw_sim_reset(sim);
  int64_t t0 = bench_cpu_ns();
  for (long i = 0; i < nsteps; i++) {
    if (dtw_sim_step(sim, effort, n) != 0) {
      (*errors)++;
      dtw_sim_reset(sim);
    }
  }
  return (double)nsteps * 1e9 / (double)(bench_cpu_ns() - t0);
}

/* Both contenders must simulate the same thing: step each from reset and compare joints. */
static double trajectory_gap(bench_bare_t *b, dtw_sim_t *sim, const double *effort, size_t n,
                             int steps) {
  bench_bare_reset(b);
  dtw_sim_reset(sim);
  for (int i = 0; i < steps; i++) {
    mj_step(b->m, b->d);
    if (dtw_sim_step(sim, effort, n) != 0) return INFINITY;
  }
  double *pos = calloc(n + 1, sizeof *pos);
  if (pos == NULL) return INFINITY;
  dtw_sim_get_joint_state(sim, pos, NULL, NULL);
  double gap = 0;
  const dtw_joint_desc_t *joints = dtw_sim_joints(sim);
  for (size_t i = 0; i < n; i++) {
    int jnt = mj_name2id(b->m, mjOBJ_JOINT, joints[i].name);
    gap = fmax(gap, fabs(pos[i] - b->d->qpos[b->m->jnt_qposadr[jnt]]));
  }
  free(pos);
  return gap;
}

int main(int argc, char **argv) {
  const char *model_arg = NULL;
  const char *integrator = "euler"; /* the twin's default (sim.integrator) */
  double seconds = 2.0;
  int rounds = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--integrator") == 0 && i + 1 < argc) {
      integrator = argv[++i];
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "usage: bench_step [MODEL] [--seconds S] [--rounds N] [--integrator NAME]\n");
      return 2;
    } else {
      model_arg = argv[i];
    }
  }
  if (!(seconds > 0) || rounds < 1 || rounds > MAX_ROUNDS) {
    fprintf(stderr, "bench_step: need --seconds > 0 and 1 <= --rounds <= %d\n", MAX_ROUNDS);
    return 2;
  }

  int status = 1;
  dtw_robot_desc_t desc;
  memset(&desc, 0, sizeof desc);
  char used[4200];
  char err[512] = "";
  dtw_sim_t *sim = NULL;
  bench_bare_t bare;
  memset(&bare, 0, sizeof bare);
  double *effort = NULL;
  if (load_model(model_arg, &desc, used, sizeof used) != 0) goto out;
  if (dtw_sim_create(&desc, &sim, err, sizeof err) != 0) {
    fprintf(stderr, "bench_step: %s\n", err);
    goto out;
  }
  if (dtw_sim_set_integrator(sim, integrator) != 0) {
    fprintf(stderr, "bench_step: unknown integrator '%s' (%s)\n", integrator, DTW_SIM_INTEGRATORS);
    goto out;
  }
  size_t n = dtw_sim_joint_count(sim);
  effort = calloc(n + 1, sizeof *effort);
  if (effort == NULL) goto out;
  pick_efforts(dtw_sim_joints(sim), n, effort);
  if (bare_init(&bare, &desc, integrator, dtw_sim_joints(sim), effort, n) != 0) goto out;

  printf("model: %s\n", used);
  printf("joints: %zu  nq=%d nv=%d nu=%d  timestep %g s  integrator %s (both)\n", n, bare.m->nq,
         bare.m->nv, bare.m->nu, bare.m->opt.timestep, dtw_sim_integrator(sim));
  double gap = trajectory_gap(&bare, sim, effort, n, 1000);
  printf("same trajectory check: max |q_sim - q_bare| after 1000 steps = %g\n", gap);
  if (!(gap < 1e-9)) fprintf(stderr, "bench_step: warning: the contenders diverge\n");
  /* same number of steps for both, so both simulate the same stretch of trajectory */
  long nsteps = (long)(bench_bare_run(&bare, 1000) * seconds);
  if (nsteps < 1000) nsteps = 1000;
  printf("%d rounds x %ld steps per contender (%.1f s at the rate of the first steps)\n", rounds,
         nsteps, seconds);
  double a[MAX_ROUNDS], b[MAX_ROUNDS], ratio[MAX_ROUNDS];
  bool disturbed[MAX_ROUNDS];
  long sim_errors = 0;
  for (int r = 0; r < rounds; r++) {
    bench_cpu_snapshot_t snap;
    bench_round_begin(&snap);
    /* swap the order every round so drift (turbo, other load) hits both alike */
    if (r % 2 == 0) {
      a[r] = bench_bare_run(&bare, nsteps);
      b[r] = run_sim(sim, effort, n, nsteps, &sim_errors);
    } else {
      b[r] = run_sim(sim, effort, n, nsteps, &sim_errors);
      a[r] = bench_bare_run(&bare, nsteps);
    }
    ratio[r] = b[r] / a[r];
    printf("round %d: bare %.0f steps/s  sim %.0f steps/s  ratio %.3f\n", r + 1, a[r], b[r],
           ratio[r]);
    disturbed[r] = bench_round_end(&snap);
  }
  int quiet;
  printf("median bare mj_step:   %.0f steps/s\n", bench_median_quiet(a, disturbed, rounds, &quiet));
  printf("median dtw_sim_step:   %.0f steps/s\n", bench_median_quiet(b, disturbed, rounds, &quiet));
  if (sim_errors > 0) printf("dtw_sim_step errors (reset and continued): %ld\n", sim_errors);
  double r_med = bench_median_quiet(ratio, disturbed, rounds, &quiet);
  char note[96];
  printf("ratio sim/bare: %.2f (%s)\n", r_med, bench_rounds_note(quiet, rounds, note, sizeof note));
  status = 0;

out:
  bench_bare_fini(&bare);
  free(effort);
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&desc);
  return status;
}
