/* dtw/clock.h - monotonic and wall clocks in nanoseconds, and sleeping.
 * All functions are thread-safe and do not allocate. */
#ifndef DTW_CLOCK_H
#define DTW_CLOCK_H

#include <stdint.h>

#define DTW_NS_PER_S INT64_C(1000000000)

/* CLOCK_MONOTONIC in ns: for measuring intervals and pacing. */
int64_t dtw_clock_mono_ns(void);
/* CLOCK_REALTIME in ns since the Unix epoch: for message stamps. */
int64_t dtw_clock_real_ns(void);
/* Sleep until the monotonic clock reaches deadline_ns (returns at once if past). */
void dtw_clock_sleep_until_ns(int64_t deadline_ns);
/* Sleep for a duration in ns. */
void dtw_clock_sleep_ns(int64_t duration_ns);

#endif /* DTW_CLOCK_H */
