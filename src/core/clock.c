/* Clocks and sleeping on CLOCK_MONOTONIC / CLOCK_REALTIME. */
#define _POSIX_C_SOURCE 200809L
#include "dtw/clock.h"

#include <errno.h>
#include <time.h>

static int64_t read_clock(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * DTW_NS_PER_S + ts.tv_nsec;
}

int64_t dtw_clock_mono_ns(void) { return read_clock(CLOCK_MONOTONIC); }
int64_t dtw_clock_real_ns(void) { return read_clock(CLOCK_REALTIME); }

void dtw_clock_sleep_until_ns(int64_t deadline_ns) {
  if (deadline_ns <= dtw_clock_mono_ns()) return;
  struct timespec ts = {.tv_sec = deadline_ns / DTW_NS_PER_S,
                        .tv_nsec = deadline_ns % DTW_NS_PER_S};
  /* absolute sleep: no drift from re-computing the remaining time */
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

void dtw_clock_sleep_ns(int64_t duration_ns) {
  if (duration_ns > 0) dtw_clock_sleep_until_ns(dtw_clock_mono_ns() + duration_ns);
}
