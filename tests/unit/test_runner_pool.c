/* dtw_runner_pool: tasks of one group step on one thread, in order; every task
 * steps; failures are counted; join stops the stepping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/runner.h"

typedef struct probe {
  _Atomic unsigned long steps;
  pthread_t thread;     /* thread of the last step */
  struct probe *before; /* the task stepped just before this one on its thread, or NULL */
  _Atomic unsigned long out_of_order;
  int fail;             /* return DTW_ESIM from every step */
} probe_t;

static int step(void *user) {
  probe_t *p = user;
  p->thread = pthread_self();
  if (p->before != NULL && atomic_load(&p->before->steps) != atomic_load(&p->steps) + 1)
    atomic_fetch_add(&p->out_of_order, 1);
  atomic_fetch_add(&p->steps, 1);
  return p->fail ? DTW_ESIM : 0;
}

static void test_groups_share_a_thread(void **state) {
  (void)state;
  enum { PAIRS = 3 };
  probe_t probes[2 * PAIRS];
  dtw_runner_task_t tasks[2 * PAIRS];
  memset(probes, 0, sizeof probes);
  memset(tasks, 0, sizeof tasks);
  for (size_t i = 0; i < 2 * PAIRS; i++) {
    if (i % 2 == 1) probes[i].before = &probes[i - 1]; /* the twin steps after its robot */
    probes[i].fail = i == 5;
    tasks[i] = (dtw_runner_task_t){.fqn = "t", .step = step, .node = &probes[i], .group = i / 2};
    assert_int_equal(dtw_runner_init(&tasks[i].runner, NULL, "t", 0.001, 0), 0);
  }
  dtw_runner_pool_t *pool = NULL;
  char err[256];
  assert_int_equal(dtw_runner_pool_start(tasks, 2 * PAIRS, 8, 1.0, &pool, err, sizeof err), 0);
  assert_int_equal(dtw_runner_pool_threads(pool), PAIRS); /* at most one thread per group */
  /* until every task stepped a few times (pacing at real time: ~1 ms per step) */
  int64_t end = dtw_clock_mono_ns() + 30 * DTW_NS_PER_S;
  for (;;) {
    unsigned long least = (unsigned long)-1;
    for (size_t i = 0; i < 2 * PAIRS; i++)
      if (atomic_load(&probes[i].steps) < least) least = atomic_load(&probes[i].steps);
    if (least >= 20 || dtw_clock_mono_ns() > end) break;
    dtw_clock_sleep_ns(DTW_NS_PER_S / 100);
  }
  dtw_runner_pool_join(pool);
  for (size_t i = 0; i < 2 * PAIRS; i++) {
    assert_true(atomic_load(&probes[i].steps) >= 20);
    assert_int_equal(atomic_load(&probes[i].out_of_order), 0);
  }
  for (size_t k = 0; k < PAIRS; k++)
    assert_true(pthread_equal(probes[2 * k].thread, probes[2 * k + 1].thread));
  assert_true(!pthread_equal(probes[0].thread, probes[2].thread));
  assert_int_equal(dtw_runner_pool_failures(pool), atomic_load(&probes[5].steps));
  /* joined: nothing steps any more */
  unsigned long after = atomic_load(&probes[0].steps);
  dtw_clock_sleep_ns(DTW_NS_PER_S / 50);
  assert_int_equal(atomic_load(&probes[0].steps), after);
  dtw_runner_pool_stop(pool);
}

static void test_refuses_mixed_periods(void **state) {
  (void)state;
  dtw_runner_task_t tasks[2];
  probe_t probes[2];
  memset(probes, 0, sizeof probes);
  memset(tasks, 0, sizeof tasks);
  for (size_t i = 0; i < 2; i++) {
    tasks[i] = (dtw_runner_task_t){.fqn = i ? "b" : "a", .step = step, .node = &probes[i]};
    assert_int_equal(dtw_runner_init(&tasks[i].runner, NULL, "t", i ? 0.002 : 0.001, 0), 0);
  }
  dtw_runner_pool_t *pool = NULL;
  char err[256];
  assert_int_equal(dtw_runner_pool_start(tasks, 2, 2, 1.0, &pool, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "'a' and 'b' step at different periods"));
  assert_null(pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_groups_share_a_thread),
      cmocka_unit_test(test_refuses_mixed_periods),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
