/* Internal layout of the metrics registry, shared by metrics.c (registration, updates),
 * metrics_text.c (exposition) and metrics_process.c (built-in collectors). */
#ifndef DTW_METRICS__REGISTRY_H
#define DTW_METRICS__REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "dtw/metrics.h"

typedef struct metrics__family metrics__family_t;

/* One child (label value set). Doubles live in atomics as their bit patterns so every
 * access is a plain 64-bit atomic (lock-free on every target we build for). */
typedef struct metrics__child {
  metrics__family_t *fam;
  char *values[DTW_METRICS_MAX_LABELS];
  atomic_uint_fast64_t n;        /* counter: sum of dtw_counter_add */
  atomic_uint_fast64_t bits;     /* gauge value, counter mirror, or histogram sum */
  atomic_uint_fast64_t *buckets; /* histogram: fam->nbounds + 1 per-bucket counts */
} metrics__child_t;

/* The public handle types wrap a child so a handle of one kind cannot be passed as
 * another; each child is allocated as the handle type of its family. */
struct dtw_counter {
  metrics__child_t ch;
};
struct dtw_gauge {
  metrics__child_t ch;
};
struct dtw_histogram {
  metrics__child_t ch;
};

struct metrics__family {
  dtw_metric_type_t type;
  char *name;
  char *help;
  size_t nlabels;
  char *label_names[DTW_METRICS_MAX_LABELS];
  size_t nbounds;
  double bounds[DTW_METRICS_MAX_BUCKETS];
  metrics__child_t **children; /* registration order; pointers stay stable */
  size_t nchildren, cap;
};

typedef struct metrics__collector {
  dtw_metrics_collect_fn fn;
  void *user;
} metrics__collector_t;

/* Handles of the built-in process metrics (NULL until registered). */
typedef struct metrics__process {
  int registered;
  dtw_counter_t *cpu;
  dtw_gauge_t *rss, *vms, *fds, *max_fds, *start;
} metrics__process_t;

struct dtw_metrics {
  pthread_mutex_t mu; /* registration, collectors, scrapes */
  metrics__family_t **fams;
  size_t nfams, cap;
  metrics__collector_t *collectors;
  size_t ncollectors, collectors_cap;
  metrics__process_t proc;
  char last_err[256];
};

/* Double <-> bits for the atomics (inline: they sit on every metric update). */
static inline double dtw__metrics_from_bits(uint64_t b) {
  double v;
  memcpy(&v, &b, sizeof v);
  return v;
}
static inline uint64_t dtw__metrics_to_bits(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

/* Write the text of fams[0..n) into buf (snprintf contract). Pure apart from reading the
 * atomics; the caller holds the registry mutex. */
size_t dtw__metrics_text(metrics__family_t *const *fams, size_t n, char *buf, size_t cap);

#endif /* DTW_METRICS__REGISTRY_H */
