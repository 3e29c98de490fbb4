/* sim__guard.h - run MuJoCo calls so that mju_error returns instead of exiting.
 *
 * MuJoCo 2.2.2 reports fatal errors through the global mju_user_error hook and
 * expects it not to return. We install hooks once; a guarded call arms a
 * thread-local jump buffer so the error hook jumps back to it and the call
 * reports failure. Warnings raised inside a guarded call are captured for
 * the caller; outside one they are logged. Internal to src/sim. */
#ifndef DTW_SIM__GUARD_H
#define DTW_SIM__GUARD_H

#include <mujoco/mujoco.h>
#include <stddef.h>

/* What a guarded call saw. */
typedef struct dtw__sim_diag {
  char error[256];         /* mju_error text when the call failed */
  char warning[256];       /* text of the last mju_warning during the call */
  unsigned n_warnings;     /* mju_warning calls during the call */
} dtw__sim_diag_t;

/* Install the error and warning hooks (idempotent, thread-safe). */
void dtw__sim_hooks_install(void);

/* Call fn(arg) with the hooks armed. Returns 0, or DTW_ESIM if fn raised
 * mju_error (text in diag->error; fn did not finish). diag is reset first.
 * No allocation. */
int dtw__sim_guard(void (*fn)(void *arg), void *arg, dtw__sim_diag_t *diag);

/* The argument of most guarded calls: a model and its data. */
typedef struct dtw__sim_call {
  const mjModel *m;
  mjData *d;
} dtw__sim_call_t;

/* mj_makeData(m) under the guard: 0 and *out, or DTW_ESIM (MuJoCo raised an error:
 * its text in diag->error) or DTW_ENOMEM (no data). The caller frees *out with
 * mj_deleteData. */
int dtw__sim_make_data(const mjModel *m, mjData **out, dtw__sim_diag_t *diag);

/* Serialise model compilation: MuJoCo's compiler may swap the global hooks while it
 * runs, and unlock re-installs ours. */
void dtw__sim_compile_lock(void);
void dtw__sim_compile_unlock(void);

#endif /* DTW_SIM__GUARD_H */
