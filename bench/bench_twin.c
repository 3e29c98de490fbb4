/* bench_twin - the twin's step rate against a bare mj_step loop on the same model.
 *
 *   bench_twin [--seconds S] [--rounds N] [--motion FILE] [--bare-only]
 *
 * Contender "twin": dtw_twin_step (joint trajectory controller: spline sample,
 * PD + feed-forward torques, then mj_step) with default settings, following
 * the demo motion (config/motions/demo.yaml, resolved like every data file),
 * re-sent when it has finished - what `dtwin sim --rtf 0` does minus the bus.
 * Contender "bare": the MJCF the twin compiled (dtw_twin_robot()->mjcf),
 * loaded straight with mj_loadXML from a temp file, stepped by mj_step with
 * constant controls: the torques the twin's controller holds the initial pose
 * with, so the bare robot stays near the same poses instead of hanging on its
 * joint limits (which would change the solver's work).
 *
 * Both run the same number of steps per round from their initial state;
 * rounds alternate (order swapped every round); steps/s are per second of
 * this thread's CPU time (other load on the shared machine disturbs them
 * less); the median of the per-round ratios is printed as
 * `ratio twin/bare: X` (goal >= 0.9).
 *
 * --bare-only measures only the bare loop and prints `bare steps/s: X`
 * (scripts/bench_up.sh uses it as the one-core physics capacity). */
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/msgs.h"
#include "dtw/paths.h"
#include "dtw/robot.h"
#include "dtw/traj_file.h"
#include "dtw/twin.h"

#define MAX_ROUNDS 64

typedef struct twin_run {
  dtw_twin_t *twin;
  dtw_joint_trajectory_msg_t motion;
  long resent;  /* times the motion was handed over again */
  long errors;  /* steps that failed (state reset by the twin) */
} twin_run_t;

/* The bare loop's constant controls: the efforts of js, as dtw_sim applies them. */
static void bare_set_efforts(bench_bare_t *b, const dtw_joint_state_msg_t *js) {
  for (size_t i = 0; i < js->n_name && i < js->n_effort; i++)
    bench_bare_set_effort(b, js->name[i], js->effort[i]);
}

static int send_motion(twin_run_t *t) {
  char err[512];
  int rc = dtw_twin_accept_trajectory(t->twin, &t->motion, err, sizeof err);
  if (rc < 0) fprintf(stderr, "bench_twin: motion refused: %s\n", err);
  return rc;
}

/* Twin contender: nsteps of dtw_twin_step from reset, following the motion.
 * Whether it finished is checked every 100 steps (0.1 s simulated), as
 * `dtwin sim --loop` does; that check is part of the measured loop. */
static double run_twin(twin_run_t *t, long nsteps) {
  dtw_twin_reset(t->twin);
  send_motion(t);
  dtw_twin_status_t st;
  int64_t t0 = bench_cpu_ns();
  for (long i = 1; i <= nsteps; i++) {
    if (dtw_twin_step(t->twin) != 0) t->errors++;
    if (i % 100 == 0) {
      dtw_twin_get_status(t->twin, &st);
      if (strcmp(st.controller_state, "active") != 0) {
        send_motion(t);
        t->resent++;
      }
    }
  }
  return (double)nsteps * 1e9 / (double)(bench_cpu_ns() - t0);
}

int main(int argc, char **argv) {
  double seconds = 1.5;
  int rounds = 7;
  int bare_only = 0;
  const char *motion_arg = "config/motions/demo.yaml";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--motion") == 0 && i + 1 < argc) {
      motion_arg = argv[++i];
    } else if (strcmp(argv[i], "--bare-only") == 0) {
      bare_only = 1;
    } else {
      fprintf(stderr,
              "usage: bench_twin [--seconds S] [--rounds N] [--motion FILE] [--bare-only]\n");
      return 2;
    }
  }
  if (!(seconds > 0 && seconds <= 10) || rounds < 1 || rounds > MAX_ROUNDS) {
    fprintf(stderr, "bench_twin: need 0 < --seconds <= 10 and 1 <= --rounds <= %d\n", MAX_ROUNDS);
    return 2;
  }

  int status = 1;
  char err[1024] = "";
  char path[4096];
  dtw_twin_settings_t s;
  twin_run_t t;
  bench_bare_t bare;
  memset(&t, 0, sizeof t);
  memset(&bare, 0, sizeof bare);
  dtw_joint_state_msg_t *js = calloc(1, sizeof *js);
  if (js == NULL) goto out;
  if (dtw_param_defaults(&dtw_twin_param_table, &s) != 0) goto out;
  s.rtf = 0; /* as fast as possible; the bench drives dtw_twin_step itself, unpaced */
  if (dtw_twin_create(&s, &t.twin, err, sizeof err) != 0) {
    fprintf(stderr, "bench_twin: %s\n", err);
    goto out;
  }
  if (bench_bare_load(&bare, dtw_twin_robot(t.twin), s.integrator, "bench_twin") != 0) goto out;

  /* the bare loop's constant controls: what the controller applies to hold the
   * initial pose, after it settled for 0.5 s */
  for (int i = 0; i < 500; i++) dtw_twin_step(t.twin);
  dtw_twin_get_joint_state(t.twin, js);
  bare_set_efforts(&bare, js);

  if (dtw_path_resolve(motion_arg, path, sizeof path, err, sizeof err) != 0 ||
      dtw_traj_file_load(path, &t.motion, err, sizeof err) != 0) {
    fprintf(stderr, "bench_twin: %s\n", err);
    goto out;
  }

  printf("model: %s  joints: %zu  nq=%d nv=%d nu=%d  timestep %g s\n",
         dtw_twin_robot(t.twin)->name, dtw_twin_joint_count(t.twin), bare.m->nq, bare.m->nv,
         bare.m->nu, bare.m->opt.timestep);
  printf("motion: %s (%zu points)\n", path, t.motion.n_points);

  /* same number of steps for both, so both simulate the same stretch of time */
  long nsteps = (long)(bench_bare_run(&bare, 2000) * seconds);
  if (nsteps < 1000) nsteps = 1000;
  /* untimed warm-up of both: page faults, caches, CPU clock ramp-up hit round 1 otherwise */
  bench_bare_run(&bare, nsteps / 4);
  if (!bare_only) run_twin(&t, nsteps / 4);
  double a[MAX_ROUNDS], b[MAX_ROUNDS], ratio[MAX_ROUNDS];
  bool disturbed[MAX_ROUNDS];
  bench_cpu_snapshot_t snap;
  int used;
  if (bare_only) {
    for (int r = 0; r < rounds; r++) {
      bench_round_begin(&snap);
      a[r] = bench_bare_run(&bare, nsteps);
      printf("round %d: bare %.0f steps/s\n", r + 1, a[r]);
      disturbed[r] = bench_round_end(&snap);
    }
    double med = bench_median_quiet(a, disturbed, rounds, &used);
    char note[96];
    printf("bare steps/s: %.0f (%s)\n", med, bench_rounds_note(used, rounds, note, sizeof note));
    status = 0;
    goto out;
  }
  printf("%d rounds x %ld steps per contender (~%.1f s of the bare loop)\n", rounds, nsteps,
         seconds);
  for (int r = 0; r < rounds; r++) {
    bench_round_begin(&snap);
    /* swap the order every round so drift (turbo, other load) hits both alike */
    if (r % 2 == 0) {
      a[r] = bench_bare_run(&bare, nsteps);
      b[r] = run_twin(&t, nsteps);
    } else {
      b[r] = run_twin(&t, nsteps);
      a[r] = bench_bare_run(&bare, nsteps);
    }
    ratio[r] = b[r] / a[r];
    printf("round %d: bare %.0f steps/s  twin %.0f steps/s  ratio %.3f\n", r + 1, a[r], b[r],
           ratio[r]);
    disturbed[r] = bench_round_end(&snap);
  }
  dtw_twin_status_t st;
  dtw_twin_get_status(t.twin, &st);
  printf("twin: motion re-sent %ld times, %llu trajectories accepted, %ld step errors, "
         "last state %s, worst tracking error %.3g rad (%s)\n",
         t.resent, (unsigned long long)st.trajectories_accepted, t.errors, st.controller_state,
         st.max_abs_error_rad, st.worst_joint ? st.worst_joint : "-");
  /* the bare robot should hold still-ish under its constant torques, not flail */
  double drift = 0;
  const double *q0 = bare.m->nkey > 0 ? bare.m->key_qpos : bare.m->qpos0;
  for (int i = 0; i < bare.m->nq; i++) drift = fmax(drift, fabs(bare.d->qpos[i] - q0[i]));
  printf("bare: largest joint drift from the initial pose after a round: %.3g rad\n", drift);
  printf("median bare mj_step:    %.0f steps/s\n", bench_median_quiet(a, disturbed, rounds, &used));
  printf("median dtw_twin_step:   %.0f steps/s\n", bench_median_quiet(b, disturbed, rounds, &used));
  double r_med = bench_median_quiet(ratio, disturbed, rounds, &used);
  char note[96];
  printf("ratio twin/bare: %.2f (%s)\n", r_med, bench_rounds_note(used, rounds, note, sizeof note));
  status = 0;

out:
  bench_bare_fini(&bare);
  dtw_traj_msg_fini(&t.motion);
  dtw_twin_destroy(t.twin);
  free(js);
  return status;
}
