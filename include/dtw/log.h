/* dtw/log.h - leveled logging to stderr.
 *
 * One line per message: "<ISO time> <LEVEL> <component>: <message>".
 * Thread-safe (each line is written with one write(2)). Does not allocate.
 * Tests can install a hook to capture lines (e.g. to fail on any warning). */
#ifndef DTW_LOG_H
#define DTW_LOG_H

#include <stdarg.h>
#include <stdint.h>

typedef enum {
  DTW_LOG_DEBUG = 0,
  DTW_LOG_INFO = 1,
  DTW_LOG_WARN = 2,
  DTW_LOG_ERROR = 3,
  DTW_LOG_OFF = 4
} dtw_log_level_t;

/* Messages below this level are dropped. Default INFO; DTW_LOG_LEVEL env
 * (debug|info|warn|error|off) is read by dtw_log_init_from_env(). */
void dtw_log_set_level(dtw_log_level_t level);
/* Apply DTW_LOG_LEVEL when set; returns -1 (level unchanged) when it holds
 * something else than the five names, so the caller can refuse it. */
int dtw_log_init_from_env(void);
/* Parse "debug"/"info"/"warn"/"error"/"off"; returns -1 if unknown. */
int dtw_log_level_parse(const char *text);

/* Hook called for every emitted line (after level filtering); NULL restores
 * the default stderr writer. The line has no trailing newline. */
typedef void (*dtw_log_hook_t)(dtw_log_level_t level, const char *component,
                               const char *line, void *user);
void dtw_log_set_hook(dtw_log_hook_t hook, void *user);

void dtw_log(dtw_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dtw_vlog(dtw_log_level_t level, const char *component, const char *fmt, va_list ap);

/* A rate limit for lines a flood of bad input could trigger: at most
 * DTW_LOG_BURST lines per second per limiter; the lines beyond are counted
 * and reported with the next one that passes. Zero-initialise; one limiter
 * per thread (it is not locked). */
#define DTW_LOG_BURST 5
typedef struct dtw_log_limiter {
  int64_t window_start_ns;
  unsigned in_window;
  uint64_t suppressed;
} dtw_log_limiter_t;

void dtw_log_limited(dtw_log_limiter_t *lim, dtw_log_level_t level, const char *component,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define DTW_DEBUG(comp, ...) dtw_log(DTW_LOG_DEBUG, comp, __VA_ARGS__)
#define DTW_INFO(comp, ...) dtw_log(DTW_LOG_INFO, comp, __VA_ARGS__)
#define DTW_WARN(comp, ...) dtw_log(DTW_LOG_WARN, comp, __VA_ARGS__)
#define DTW_ERROR(comp, ...) dtw_log(DTW_LOG_ERROR, comp, __VA_ARGS__)

#endif /* DTW_LOG_H */
