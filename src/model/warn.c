/* Warnings collected per kind (see model__warn.h). */
#include "model__warn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dtw/log.h"

void dtw__warn(dtw__warnings_t *w, int kind, const char *fmt, ...) {
  if (w == NULL || kind < 0 || kind >= DTW__WARN_KINDS) return;
  if (w->count[kind]++ > 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->first[kind], sizeof w->first[kind], fmt, ap);
  va_end(ap);
}

void dtw__warn_flush(dtw__warnings_t *w) {
  for (int k = 0; k < DTW__WARN_KINDS; k++) {
    if (w->count[k] == 0) continue;
    if (w->count[k] == 1)
      DTW_WARN("model", "%s", w->first[k]);
    else
      DTW_WARN("model", "%s (and %u more like it)", w->first[k], w->count[k] - 1);
  }
  memset(w, 0, sizeof *w);
}
