/* MuJoCo error and warning hooks with a thread-local escape (see sim__guard.h). */
#include "sim__guard.h"

#include <mujoco/mujoco.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"

static pthread_once_t g_hooks_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_compile_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The innermost armed guard of this thread, or NULL. */
static _Thread_local sigjmp_buf *tls_escape;
static _Thread_local dtw__sim_diag_t *tls_diag;

static void on_mj_error(const char *msg) {
  if (tls_escape == NULL) {
    /* No guard to return to: MuJoCo would continue with corrupt state. */
    DTW_ERROR("sim", "MuJoCo error outside a guarded call: %s", msg);
    abort();
  }
  snprintf(tls_diag->error, sizeof tls_diag->error, "%s", msg);
  siglongjmp(*tls_escape, 1);
}

static void on_mj_warning(const char *msg) {
  if (tls_diag == NULL) {
    DTW_WARN("sim", "MuJoCo: %s", msg);
    return;
  }
  snprintf(tls_diag->warning, sizeof tls_diag->warning, "%s", msg);
  tls_diag->n_warnings++;
}

static void install_hooks(void) {
  mju_user_error = on_mj_error;
  mju_user_warning = on_mj_warning;
}

void dtw__sim_hooks_install(void) { pthread_once(&g_hooks_once, install_hooks); }

int dtw__sim_guard(void (*fn)(void *arg), void *arg, dtw__sim_diag_t *diag) {
  sigjmp_buf escape;
  /* saved before sigsetjmp and never modified after it: safe to read after the jump */
  sigjmp_buf *const prev_escape = tls_escape;
  dtw__sim_diag_t *const prev_diag = tls_diag;
  diag->error[0] = '\0';
  diag->warning[0] = '\0';
  diag->n_warnings = 0;
  /* savemask 0: no signal-mask syscall on the per-step path */
  if (sigsetjmp(escape, 0) != 0) {
    tls_escape = prev_escape;
    tls_diag = prev_diag;
    return DTW_ESIM;
  }
  tls_escape = &escape;
  tls_diag = diag;
  fn(arg);
  tls_escape = prev_escape;
  tls_diag = prev_diag;
  return 0;
}

void dtw__sim_compile_lock(void) { pthread_mutex_lock(&g_compile_mutex); }

void dtw__sim_compile_unlock(void) {
  /* the compiler restores the hooks it saved; re-assert ours in any case */
  install_hooks();
  pthread_mutex_unlock(&g_compile_mutex);
}

static void call_make_data(void *arg) {
  dtw__sim_call_t *c = arg;
  c->d = mj_makeData(c->m);
}

int dtw__sim_make_data(const mjModel *m, mjData **out, dtw__sim_diag_t *diag) {
  dtw__sim_call_t c = {.m = m, .d = NULL};
  *out = NULL;
  if (dtw__sim_guard(call_make_data, &c, diag) != 0) return DTW_ESIM;
  if (c.d == NULL) return DTW_ENOMEM;
  *out = c.d;
  return 0;
}
