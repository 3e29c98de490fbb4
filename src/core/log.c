/* Leveled logging: one write(2) per line so threads don't interleave. */
#define _POSIX_C_SOURCE 200809L
#include "dtw/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dtw/clock.h"

static _Atomic int g_level = DTW_LOG_INFO;
static dtw_log_hook_t g_hook;
static void *g_hook_user;

static const char *const k_level_names[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

void dtw_log_set_level(dtw_log_level_t level) { atomic_store(&g_level, (int)level); }

int dtw_log_level_parse(const char *text) {
  static const char *const names[] = {"debug", "info", "warn", "error", "off"};
  if (text == NULL) return -1;
  for (int i = 0; i < 5; i++)
    if (strcmp(text, names[i]) == 0) return i;
  return -1;
}

int dtw_log_init_from_env(void) {
  const char *text = getenv("DTW_LOG_LEVEL");
  if (text == NULL || text[0] == '\0') return 0;
  int level = dtw_log_level_parse(text);
  if (level < 0) return -1;
  dtw_log_set_level((dtw_log_level_t)level);
  return 0;
}

void dtw_log_set_hook(dtw_log_hook_t hook, void *user) {
  g_hook_user = user;
  g_hook = hook;
}

void dtw_vlog(dtw_log_level_t level, const char *component, const char *fmt, va_list ap) {
  if ((int)level < atomic_load(&g_level) || level >= DTW_LOG_OFF) return;
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (g_hook != NULL) {
    g_hook(level, component, msg, g_hook_user);
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char line[1200];
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: %s\n",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, ts.tv_nsec / 1000000, k_level_names[level],
                   component ? component : "dtwin", msg);
  if (n < 0) return;
  if ((size_t)n >= sizeof line) {
    n = (int)sizeof line - 1;
    line[n - 1] = '\n';
  }
  ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
  (void)ignored;
}

void dtw_log(dtw_log_level_t level, const char *component, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dtw_vlog(level, component, fmt, ap);
  va_end(ap);
}

void dtw_log_limited(dtw_log_limiter_t *lim, dtw_log_level_t level, const char *component,
                     const char *fmt, ...) {
  int64_t now = dtw_clock_mono_ns();
  if (lim->window_start_ns == 0 || now - lim->window_start_ns >= DTW_NS_PER_S) {
    lim->window_start_ns = now;
    lim->in_window = 0;
  }
  if (lim->in_window >= DTW_LOG_BURST) {
    lim->suppressed++;
    return;
  }
  lim->in_window++;
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (lim->suppressed > 0)
    dtw_log(level, component, "%s (and %llu more like it in the last second)", msg,
            (unsigned long long)lim->suppressed);
  else
    dtw_log(level, component, "%s", msg);
  lim->suppressed = 0;
}
