/* Health model behind /healthz and /readyz: loop heartbeats and readiness conditions
 * (see dtw/http.h). Fixed capacity, so beats and checks never allocate. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/http.h"

struct dtw_health_loop {
  char name[DTW_HEALTH_MAX_NAME];
  int64_t deadline_ns;
  atomic_int_fast64_t last_ns; /* monotonic time of the last beat */
};

struct dtw_health_ready {
  char name[DTW_HEALTH_MAX_NAME];
  atomic_bool ready;
};

struct dtw_health {
  pthread_mutex_t mu; /* serialises adds; checks read the published counts */
  atomic_size_t nloops, nready;
  struct dtw_health_loop loops[DTW_HEALTH_MAX_ITEMS];
  struct dtw_health_ready ready[DTW_HEALTH_MAX_ITEMS];
};

int dtw_health_create(dtw_health_t **out) {
  dtw_health_t *h = calloc(1, sizeof *h);
  if (h == NULL) return DTW_ENOMEM;
  if (pthread_mutex_init(&h->mu, NULL) != 0) {
    free(h);
    return DTW_ENOMEM;
  }
  atomic_init(&h->nloops, 0);
  atomic_init(&h->nready, 0);
  *out = h;
  return 0;
}

void dtw_health_destroy(dtw_health_t *h) {
  if (h == NULL) return;
  pthread_mutex_destroy(&h->mu);
  free(h);
}

dtw_health_loop_t *dtw_health_add_loop(dtw_health_t *h, const char *name, double deadline_s) {
  if (h == NULL || name == NULL || name[0] == '\0' || !isfinite(deadline_s) || deadline_s <= 0)
    return NULL;
  dtw_health_loop_t *l = NULL;
  pthread_mutex_lock(&h->mu);
  size_t n = atomic_load_explicit(&h->nloops, memory_order_relaxed);
  if (n < DTW_HEALTH_MAX_ITEMS) {
    l = &h->loops[n];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->deadline_ns = (int64_t)llround(deadline_s * 1e9);
    atomic_store_explicit(&l->last_ns, dtw_clock_mono_ns(), memory_order_relaxed);
    /* publish after the entry is complete: checks read entries below the count */
    atomic_store_explicit(&h->nloops, n + 1, memory_order_release);
  }
  pthread_mutex_unlock(&h->mu);
  return l;
}

void dtw_health_beat(dtw_health_loop_t *loop) {
  if (loop != NULL)
    atomic_store_explicit(&loop->last_ns, dtw_clock_mono_ns(), memory_order_relaxed);
}

dtw_health_ready_t *dtw_health_add_ready(dtw_health_t *h, const char *name) {
  if (h == NULL || name == NULL || name[0] == '\0') return NULL;
  dtw_health_ready_t *r = NULL;
  pthread_mutex_lock(&h->mu);
  size_t n = atomic_load_explicit(&h->nready, memory_order_relaxed);
  if (n < DTW_HEALTH_MAX_ITEMS) {
    r = &h->ready[n];
    snprintf(r->name, sizeof r->name, "%s", name);
    atomic_store_explicit(&r->ready, false, memory_order_relaxed);
    atomic_store_explicit(&h->nready, n + 1, memory_order_release);
  }
  pthread_mutex_unlock(&h->mu);
  return r;
}

void dtw_health_set_ready(dtw_health_ready_t *r, bool ready) {
  if (r != NULL) atomic_store_explicit(&r->ready, ready, memory_order_relaxed);
}

/* snprintf-style appending that keeps counting past the end of buf */
static void addf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void addf(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(*len < cap ? buf + *len : NULL, *len < cap ? cap - *len : 0, fmt, ap);
  va_end(ap);
  if (n > 0) *len += (size_t)n;
}

int dtw_health_check_live(dtw_health_t *h, int64_t now_ns, char *buf, size_t cap) {
  size_t len = 0;
  int live = 1;
  if (buf != NULL && cap > 0) buf[0] = '\0';
  else cap = 0;
  size_t n = h ? atomic_load_explicit(&h->nloops, memory_order_acquire) : 0;
  for (size_t i = 0; i < n; i++) {
    const dtw_health_loop_t *l = &h->loops[i];
    int64_t age = now_ns - atomic_load_explicit(&l->last_ns, memory_order_relaxed);
    if (age <= l->deadline_ns) continue;
    live = 0;
    addf(buf, cap, &len, "stale %s %.3fs\n", l->name, (double)age / 1e9);
  }
  if (live) addf(buf, cap, &len, "ok\n");
  return live;
}

int dtw_health_check_ready(dtw_health_t *h, char *buf, size_t cap) {
  size_t len = 0;
  int ready = 1;
  if (buf != NULL && cap > 0) buf[0] = '\0';
  else cap = 0;
  size_t n = h ? atomic_load_explicit(&h->nready, memory_order_acquire) : 0;
  for (size_t i = 0; i < n; i++) {
    const dtw_health_ready_t *r = &h->ready[i];
    if (atomic_load_explicit(&r->ready, memory_order_relaxed)) continue;
    ready = 0;
    addf(buf, cap, &len, "unready %s\n", r->name);
  }
  if (ready) addf(buf, cap, &len, "ok\n");
  return ready;
}
