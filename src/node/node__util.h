/* Small helpers shared by the node adapters. */
#ifndef DTW_NODE__UTIL_H
#define DTW_NODE__UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"
#include "dtw/log.h"

/* At most DTW__LOG_BURST lines per second per limiter; the lines beyond are
 * counted and reported with the next one that passes, so a flood of bad
 * input can't flood the log. */
#define DTW__LOG_BURST 5
typedef struct dtw__log_limiter {
  int64_t window_start_ns;
  unsigned in_window;
  uint64_t suppressed;
} dtw__log_limiter_t;

void dtw__log_limited(dtw__log_limiter_t *lim, dtw_log_level_t level, const char *component,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Steps between publications for a rate (at least 1). */
uint64_t dtw__every_steps(double physics_rate_hz, double rate_hz);

#endif /* DTW_NODE__UTIL_H */
