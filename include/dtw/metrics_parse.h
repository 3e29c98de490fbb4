/* dtw/metrics_parse.h - reading the Prometheus text format (0.0.4): the other
 * side of dtw_metrics_write_text, for clients of /metrics (`dtwin health`) and
 * tests.
 *
 * Pure functions of their input: no allocation, no global state, thread-safe.
 * Errors: negative DTW_E* codes; err (may be NULL) gets one line saying where
 * ("col 12: expected a label name"). */
#ifndef DTW_METRICS_PARSE_H
#define DTW_METRICS_PARSE_H

#include <stddef.h>

#define DTW_PROM_MAX_LABELS 16

/* One sample line, label values unescaped. Fixed-size: callers keep it on the stack. */
typedef struct dtw_prom_sample {
  char name[128];
  size_t n_labels;
  struct {
    char name[64];
    char value[256]; /* unescaped */
  } labels[DTW_PROM_MAX_LABELS];
  double value;
} dtw_prom_sample_t;

/* Parse one line `name{l="v",...} value [timestamp]` (len bytes, no newline
 * needed). Returns 1 with *out filled, 0 for a blank or '#' line, DTW_EPARSE
 * (with the reason) for anything else, DTW_ERANGE when a name/value does not
 * fit or there are more than DTW_PROM_MAX_LABELS labels. */
int dtw_prom_parse_line(const char *line, size_t len, dtw_prom_sample_t *out, char *err,
                        size_t errlen);
/* First sample of metric `name` in a whole exposition whose label `label` has
 * value `value` (label NULL: any sample of that name). Malformed lines are
 * skipped. Returns 1 (found, *out filled) or 0. */
int dtw_prom_find(const char *text, const char *name, const char *label, const char *value,
                  dtw_prom_sample_t *out);
/* Value of label `name` in s, or NULL. */
const char *dtw_prom_label(const dtw_prom_sample_t *s, const char *name);

#endif /* DTW_METRICS_PARSE_H */
