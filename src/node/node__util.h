/* Small helpers shared by the node adapters. */
#ifndef DTW_NODE__UTIL_H
#define DTW_NODE__UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"
#include "dtw/log.h"

/* The log rate limiter lives in core (dtw/log.h); the node adapters keep
 * their old spelling of it. */
typedef dtw_log_limiter_t dtw__log_limiter_t;
#define DTW__LOG_BURST DTW_LOG_BURST
#define dtw__log_limited dtw_log_limited

/* Steps between publications for a rate (at least 1). */
uint64_t dtw__every_steps(double physics_rate_hz, double rate_hz);

/* runner.c: the calling thread's dtw_runner_behind_s (a pool worker sets its
 * pacer's before stepping its tasks). */
void dtw__runner_set_behind(double behind_s);

#endif /* DTW_NODE__UTIL_H */
