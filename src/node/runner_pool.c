/* A pool of threads stepping physics loops together (dtw/runner.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/runner.h"
#include "node__util.h"

typedef struct pool_worker {
  pthread_t thread;
  dtw_runner_task_t **items;
  size_t n;
  struct dtw_runner_pool *pool;
  _Atomic uint64_t failures;
} pool_worker_t;

struct dtw_runner_pool {
  double period_s, rtf;
  atomic_bool stop;
  pool_worker_t *workers;
  dtw_runner_task_t **slots;
  size_t n_workers, n_started;
};

static void *worker_main(void *arg) {
  pool_worker_t *w = arg;
  dtw_pacer_t pacer;
  dtw_pacer_init(&pacer, w->pool->period_s, w->pool->rtf);
  uint64_t overruns_seen = 0;
  while (!atomic_load(&w->pool->stop)) {
    dtw_pacer_begin_step(&pacer);
    dtw__runner_set_behind(dtw_pacer_behind_s(&pacer));
    for (size_t i = 0; i < w->n; i++)
      if (dtw_runner_step(&w->items[i]->runner, w->items[i]->step, w->items[i]->node) < 0)
        atomic_fetch_add(&w->failures, 1);
    dtw_pacer_end_step(&pacer);
    dtw_pacer_wait(&pacer);
    /* the worker's pacer is the one that falls behind: charge its overruns to its tasks */
    if (pacer.overruns > overruns_seen) {
      for (size_t i = 0; i < w->n; i++)
        dtw_counter_add(w->items[i]->runner.overruns, pacer.overruns - overruns_seen);
      overruns_seen = pacer.overruns;
    }
  }
  return NULL;
}

int dtw_runner_pool_start(dtw_runner_task_t *tasks, size_t n_tasks, size_t threads,
                          double rtf, dtw_runner_pool_t **out, char *err, size_t errlen) {
  if (tasks == NULL || n_tasks == 0 || out == NULL || !(rtf > 0))
    return dtw_errf(err, errlen, DTW_EINVAL, "runner pool: tasks and rtf > 0 are required");
  for (size_t i = 1; i < n_tasks; i++)
    if (tasks[i].runner.pacer.period_ns != tasks[0].runner.pacer.period_ns)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "runner pool: '%s' and '%s' step at different periods (one pool, one "
                      "physics rate)", tasks[0].fqn, tasks[i].fqn);
  size_t n_groups = 0;
  for (size_t i = 0; i < n_tasks; i++)
    if (tasks[i].group + 1 > n_groups) n_groups = tasks[i].group + 1;
  if (threads == 0) threads = 1;
  if (threads > n_groups) threads = n_groups;
  dtw_runner_pool_t *p = calloc(1, sizeof *p);
  if (p == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "runner pool: out of memory");
  p->workers = calloc(threads, sizeof *p->workers);
  p->slots = calloc(n_tasks, sizeof *p->slots);
  if (p->workers == NULL || p->slots == NULL) {
    dtw_runner_pool_stop(p);
    return dtw_errf(err, errlen, DTW_ENOMEM, "runner pool: out of memory");
  }
  p->period_s = (double)tasks[0].runner.pacer.period_ns * 1e-9;
  p->rtf = rtf;
  p->n_workers = threads;
  /* round robin by group: the tasks of group g run on worker g % threads */
  size_t used = 0;
  for (size_t w = 0; w < threads; w++) {
    pool_worker_t *wk = &p->workers[w];
    wk->pool = p;
    wk->items = p->slots + used;
    for (size_t i = 0; i < n_tasks; i++)
      if (tasks[i].group % threads == w) wk->items[wk->n++] = &tasks[i];
    used += wk->n;
  }
  /* creating many nodes takes a while: their liveness clocks start now */
  for (size_t i = 0; i < n_tasks; i++) dtw_runner_beat(&tasks[i].runner);
  for (size_t w = 0; w < threads; w++) {
    if (pthread_create(&p->workers[w].thread, NULL, worker_main, &p->workers[w]) != 0) {
      dtw_runner_pool_stop(p);
      return dtw_errf(err, errlen, DTW_ENOMEM, "runner pool: cannot start worker thread %zu", w);
    }
    p->n_started++;
    char name[16]; /* `top -H` and /proc name the workers (15 characters at most) */
    snprintf(name, sizeof name, "dtw-phys-%u", (unsigned)(w % 1000000));
    (void)pthread_setname_np(p->workers[w].thread, name);
  }
  *out = p;
  return 0;
}

size_t dtw_runner_pool_threads(const dtw_runner_pool_t *p) { return p ? p->n_workers : 0; }

uint64_t dtw_runner_pool_failures(const dtw_runner_pool_t *p) {
  uint64_t n = 0;
  for (size_t w = 0; p != NULL && w < p->n_workers; w++) n += atomic_load(&p->workers[w].failures);
  return n;
}

void dtw_runner_pool_join(dtw_runner_pool_t *p) {
  if (p == NULL || atomic_exchange(&p->stop, true)) return;
  for (size_t w = 0; w < p->n_started; w++) pthread_join(p->workers[w].thread, NULL);
}

void dtw_runner_pool_stop(dtw_runner_pool_t *p) {
  if (p == NULL) return;
  dtw_runner_pool_join(p);
  free(p->workers);
  free(p->slots);
  free(p);
}
