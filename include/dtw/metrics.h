/* dtw/metrics.h - a Prometheus metrics registry and its text exposition (format 0.0.4).
 *
 * A registry holds metric families (counter, gauge, histogram), each with a fixed list of
 * label names, in registration order. A family's children (one per set of label values)
 * are created by registering the same name again with other label values (the first
 * registration's help text stands, so components can share a family); each
 * registration returns a handle that hot paths update with relaxed C11 atomics only: no
 * lock, no allocation, no system call. Cardinality is bounded on purpose: children are
 * made at init from known sets (topics, joint names of the model), at most
 * DTW_METRICS_MAX_CHILDREN per family.
 *
 *   dtw_metrics_t *reg;
 *   dtw_metrics_create(&reg);
 *   dtw_counter_t *rx = dtw_metrics_counter(reg, "dtwin_messages_received_total",
 *                                           "Messages received per topic",
 *                                           "topic", "/twin/joint_states");
 *   dtw_counter_add(rx, 1);                         // from any thread
 *   dtw_metrics_scrape(reg, &text, &len);           // collectors + text, from the HTTP thread
 *
 * Rules checked at registration (violations fail with DTW_EINVAL and a message):
 * metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do
 * not start with "__"; counters end in "_total"; histograms have no "le" label and
 * strictly increasing finite bounds; label values are valid UTF-8; a name registered again
 * must have the same type, help, label names (same order) and bounds - then the same
 * label values return the same handle. Names that a histogram's series would shadow
 * (<name>_bucket, _sum, _count) are rejected either way round.
 *
 * Thread-safety: registration, collectors and scraping are serialised by a registry mutex
 * (registration is meant for init time but is safe while a server scrapes). Updates through
 * handles are lock-free from any thread, concurrently with scrapes. Nothing is ever
 * unregistered: handles live until dtw_metrics_destroy.
 * Update functions accept a NULL handle and do nothing, so a failed registration (which
 * was logged) never takes a node down. */
#ifndef DTW_METRICS_H
#define DTW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define DTW_METRICS_MAX_LABELS 8       /* label names per family */
#define DTW_METRICS_MAX_BUCKETS 32     /* histogram bounds, +Inf excluded */
#define DTW_METRICS_MAX_CHILDREN 4096  /* label value sets per family */
#define DTW_METRICS_MAX_NAME 128       /* bytes of a metric or label name, NUL included */

typedef struct dtw_metrics dtw_metrics_t;
typedef struct dtw_counter dtw_counter_t;
typedef struct dtw_gauge dtw_gauge_t;
typedef struct dtw_histogram dtw_histogram_t;

typedef enum {
  DTW_METRIC_COUNTER = 0,
  DTW_METRIC_GAUGE = 1,
  DTW_METRIC_HISTOGRAM = 2
} dtw_metric_type_t;

/* ---- registry ---------------------------------------------------------------------- */

/* Create an empty registry. Returns 0 or DTW_ENOMEM; *out owned by the caller. */
int dtw_metrics_create(dtw_metrics_t **out);
/* Free the registry and every handle it gave out. NULL is ignored. Not concurrent with
 * anything else on reg (stop the HTTP server first). */
void dtw_metrics_destroy(dtw_metrics_t *reg);

/* Register (or find) a child. labels is a NULL-terminated list of name, value pairs
 * ({"topic", "/a", NULL}); NULL or {NULL} means no labels. Strings are copied.
 * *out receives the handle, valid until dtw_metrics_destroy.
 * Returns 0, DTW_EINVAL (rule broken or name clash; message in err), DTW_EFULL (more than
 * DTW_METRICS_MAX_CHILDREN children) or DTW_ENOMEM. Allocates; thread-safe. */
int dtw_metrics_add_counter(dtw_metrics_t *reg, const char *name, const char *help,
                            const char *const *labels, dtw_counter_t **out, char *err,
                            size_t errlen);
int dtw_metrics_add_gauge(dtw_metrics_t *reg, const char *name, const char *help,
                          const char *const *labels, dtw_gauge_t **out, char *err,
                          size_t errlen);
/* bounds: nbounds upper bounds (le), strictly increasing and finite; a trailing +Inf is
 * accepted and dropped (the +Inf bucket always exists). */
int dtw_metrics_add_histogram(dtw_metrics_t *reg, const char *name, const char *help,
                              const double *bounds, size_t nbounds, const char *const *labels,
                              dtw_histogram_t **out, char *err, size_t errlen);

/* Convenience forms: label name/value pairs as trailing arguments (const char *), e.g.
 *   dtw_metrics_counter(reg, "x_total", "help", "topic", t)
 *   dtw_metrics_gauge(reg, "dtwin_joint_position_radians", "help", "joint", "knee")
 *   dtw_metrics_histogram(reg, "dtwin_step_seconds", "help", bounds, n)
 * They return the handle, or NULL after logging the error (component "metrics") and
 * keeping its text for dtw_metrics_last_error. The _l functions take the pairs terminated
 * by NULL; the macros append that NULL. */
dtw_counter_t *dtw_metrics_counter_l(dtw_metrics_t *reg, const char *name, const char *help,
                                     ...);
dtw_gauge_t *dtw_metrics_gauge_l(dtw_metrics_t *reg, const char *name, const char *help, ...);
dtw_histogram_t *dtw_metrics_histogram_l(dtw_metrics_t *reg, const char *name,
                                         const char *help, const double *bounds,
                                         size_t nbounds, ...);
#define dtw_metrics_counter(...) dtw_metrics_counter_l(__VA_ARGS__, (const char *)NULL)
#define dtw_metrics_gauge(...) dtw_metrics_gauge_l(__VA_ARGS__, (const char *)NULL)
#define dtw_metrics_histogram(...) dtw_metrics_histogram_l(__VA_ARGS__, (const char *)NULL)

/* Text of the last failed registration on reg ("" if none). Valid until the next
 * registration; read it from the registering thread. */
const char *dtw_metrics_last_error(const dtw_metrics_t *reg);

/* Number of families registered (for tests and diagnostics). Thread-safe. */
size_t dtw_metrics_family_count(dtw_metrics_t *reg);

/* ---- collectors ---------------------------------------------------------------------- */

/* Called by dtw_metrics_collect (at every scrape, before the text is written) to refresh
 * gauges and mirrored counters from component state. Runs on the scraping thread with the
 * registry mutex held: it must only update handles, never register (that would deadlock).
 * Return 0, or a negative code that is logged (the scrape goes on). */
typedef int (*dtw_metrics_collect_fn)(dtw_metrics_t *reg, void *user);

/* Add a collector; they run in the order added. Returns 0, DTW_EINVAL (fn NULL) or
 * DTW_ENOMEM. Thread-safe; user must outlive the registry (or the last scrape). */
int dtw_metrics_add_collector(dtw_metrics_t *reg, dtw_metrics_collect_fn fn, void *user);

/* Run every collector. Thread-safe. */
void dtw_metrics_collect(dtw_metrics_t *reg);

/* ---- updates (hot path: lock-free, no allocation, any thread) ------------------------- */

/* Add n to a counter (relaxed atomic add). */
void dtw_counter_add(dtw_counter_t *c, uint64_t n);
/* For collectors that mirror a total kept elsewhere (e.g. CPU seconds from /proc): the
 * exported value becomes v plus whatever dtw_counter_add added. v must not decrease. */
void dtw_counter_set(dtw_counter_t *c, double v);
/* Current value (adds + mirrored part). */
double dtw_counter_value(const dtw_counter_t *c);

void dtw_gauge_set(dtw_gauge_t *g, double v);
/* Add d (may be negative) with a compare-and-swap loop; lock-free. */
void dtw_gauge_add(dtw_gauge_t *g, double d);
double dtw_gauge_value(const dtw_gauge_t *g);

/* Count v into the first bucket with v <= le (+Inf if none, NaN included) and add it to
 * the sum. One relaxed atomic add on the bucket plus a CAS loop on the sum. */
void dtw_histogram_observe(dtw_histogram_t *h, double v);
/* Snapshot: observations so far (the +Inf bucket) and their sum. */
uint64_t dtw_histogram_count(const dtw_histogram_t *h);
double dtw_histogram_sum(const dtw_histogram_t *h);
/* Cumulative count of bucket i (0 <= i <= nbounds; i == nbounds is +Inf). */
uint64_t dtw_histogram_bucket(const dtw_histogram_t *h, size_t i);

/* ---- exposition ------------------------------------------------------------------------ */

/* Write reg in text format 0.0.4 into buf (at most cap bytes, NUL-terminated when
 * cap > 0), like snprintf: returns the length of the full text, so a result >= cap means
 * it was truncated. Reads the atomics (no collectors: call dtw_metrics_collect first).
 * Families in registration order with # HELP and # TYPE once each, children in
 * registration order, histogram buckets cumulative with le="+Inf" equal to _count.
 * Thread-safe (takes the registry mutex); does not allocate. */
size_t dtw_metrics_write_text(dtw_metrics_t *reg, char *buf, size_t cap);

/* Collect, then write the text into a malloc'd NUL-terminated buffer: *out (free() it)
 * and *len. Returns 0 or DTW_ENOMEM. Thread-safe. */
int dtw_metrics_scrape(dtw_metrics_t *reg, char **out, size_t *len);

/* Format v as Prometheus clients do: "NaN", "+Inf", "-Inf", integers without exponent
 * up to 2^53, otherwise the shortest text that reads back as v ("0.005", "1e-05").
 * Writes at most cap bytes incl. NUL; returns the length (like snprintf). Pure. */
size_t dtw_metrics_format_double(double v, char *buf, size_t cap);

/* 1 if name is a valid metric name / label name (see the rules above), else 0. Pure. */
int dtw_metrics_valid_name(const char *name);
int dtw_metrics_valid_label_name(const char *name);

/* ---- built-in families --------------------------------------------------------------- */

/* Standard process metrics, refreshed by a collector at each scrape: process_cpu_seconds_total,
 * process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
 * process_max_fds, process_start_time_seconds (from /proc/self/stat, /proc/self/statm,
 * /proc/self/fd, getrlimit, /proc/stat btime). Call once; a second call returns 0 and
 * does nothing. Returns 0, DTW_EINVAL (names already taken otherwise), DTW_EIO (/proc
 * unreadable) or DTW_ENOMEM. */
int dtw_metrics_register_process(dtw_metrics_t *reg);

/* dtwin_build_info{version,revision} 1. Returns as dtw_metrics_add_gauge. */
int dtw_metrics_register_build_info(dtw_metrics_t *reg, const char *version,
                                    const char *revision);

#endif /* DTW_METRICS_H */
