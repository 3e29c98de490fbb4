/* Prometheus text exposition format 0.0.4: a pure writer over the registry's families.
 * Numbers use the C numeric locale (dtwin never calls setlocale for LC_NUMERIC). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics__registry.h"

/* Output that counts what it could not store, so callers get snprintf's contract. */
typedef struct text_out {
  char *buf;
  size_t cap;
  size_t len; /* full length, may exceed cap */
} text_out_t;

static void put_n(text_out_t *o, const char *s, size_t n) {
  if (o->len < o->cap) {
    size_t room = o->cap - o->len - 1; /* keep one byte for the NUL */
    size_t k = n < room ? n : room;
    memcpy(o->buf + o->len, s, k);
    o->buf[o->len + k] = '\0';
  }
  o->len += n;
}

static void put(text_out_t *o, const char *s) { put_n(o, s, strlen(s)); }

/* Escape \ and newline (HELP), plus " (label values). */
static void put_escaped(text_out_t *o, const char *s, int quote) {
  const char *run = s;
  for (; *s; s++) {
    const char *rep = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : quote && *s == '"' ? "\\\"" : NULL;
    if (rep == NULL) continue;
    put_n(o, run, (size_t)(s - run));
    put(o, rep);
    run = s + 1;
  }
  put_n(o, run, (size_t)(s - run));
}

size_t dtw_metrics_format_double(double v, char *buf, size_t cap) {
  char tmp[40];
  if (isnan(v)) {
    snprintf(tmp, sizeof tmp, "NaN");
  } else if (isinf(v)) {
    snprintf(tmp, sizeof tmp, "%s", v > 0 ? "+Inf" : "-Inf");
  } else if (v == trunc(v) && fabs(v) <= 9007199254740992.0) {
    /* exact integers print as integers: no exponent up to 2^53 */
    snprintf(tmp, sizeof tmp, "%.0f", v);
  } else {
    /* shortest %g that reads back as the same double ("0.005", not 0.0050000000000000001) */
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(tmp, sizeof tmp, "%.*g", prec, v);
      if (strtod(tmp, NULL) == v) break;
    }
  }
  return (size_t)snprintf(buf, cap, "%s", tmp);
}

static void put_double(text_out_t *o, double v) {
  char tmp[40];
  dtw_metrics_format_double(v, tmp, sizeof tmp);
  put(o, tmp);
}

static void put_u64(text_out_t *o, uint64_t v) {
  char tmp[24];
  snprintf(tmp, sizeof tmp, "%" PRIu64, v);
  put(o, tmp);
}

/* name{l1="v1",...,extra="x"} ; extra_name may be NULL, braces omitted when empty. */
static void put_series(text_out_t *o, const metrics__family_t *f, const metrics__child_t *ch,
                       const char *suffix, const char *extra_name, const char *extra_value) {
  put(o, f->name);
  put(o, suffix);
  if (f->nlabels == 0 && extra_name == NULL) {
    put(o, " ");
    return;
  }
  put(o, "{");
  for (size_t i = 0; i < f->nlabels; i++) {
    if (i > 0) put(o, ",");
    put(o, f->label_names[i]);
    put(o, "=\"");
    put_escaped(o, ch->values[i], 1);
    put(o, "\"");
  }
  if (extra_name != NULL) {
    if (f->nlabels > 0) put(o, ",");
    put(o, extra_name);
    put(o, "=\"");
    put(o, extra_value);
    put(o, "\"");
  }
  put(o, "} ");
}

static uint64_t load_u64(const atomic_uint_fast64_t *a) {
  return atomic_load_explicit((atomic_uint_fast64_t *)a, memory_order_relaxed);
}

static void put_child(text_out_t *o, const metrics__family_t *f, const metrics__child_t *ch) {
  switch (f->type) {
  case DTW_METRIC_COUNTER: {
    uint64_t n = load_u64(&ch->n);
    double mirror = dtw__metrics_from_bits(load_u64(&ch->bits));
    put_series(o, f, ch, "", NULL, NULL);
    /* exact integer while nothing was mirrored (adds beyond 2^53 stay exact too) */
    if (mirror == 0)
      put_u64(o, n);
    else
      put_double(o, (double)n + mirror);
    put(o, "\n");
    break;
  }
  case DTW_METRIC_GAUGE:
    put_series(o, f, ch, "", NULL, NULL);
    put_double(o, dtw__metrics_from_bits(load_u64(&ch->bits)));
    put(o, "\n");
    break;
  case DTW_METRIC_HISTOGRAM: {
    /* cumulate one snapshot of the per-bucket counts, so le="+Inf" is exactly _count */
    uint64_t cum = 0;
    char le[40];
    for (size_t i = 0; i <= f->nbounds; i++) {
      cum += load_u64(&ch->buckets[i]);
      if (i < f->nbounds)
        dtw_metrics_format_double(f->bounds[i], le, sizeof le);
      else
        snprintf(le, sizeof le, "+Inf");
      put_series(o, f, ch, "_bucket", "le", le);
      put_u64(o, cum);
      put(o, "\n");
    }
    put_series(o, f, ch, "_sum", NULL, NULL);
    put_double(o, dtw__metrics_from_bits(load_u64(&ch->bits)));
    put(o, "\n");
    put_series(o, f, ch, "_count", NULL, NULL);
    put_u64(o, cum);
    put(o, "\n");
    break;
  }
  }
}

size_t dtw__metrics_text(metrics__family_t *const *fams, size_t n, char *buf, size_t cap) {
  static const char *const types[] = {"counter", "gauge", "histogram"};
  text_out_t o = {buf, cap, 0};
  if (buf != NULL && cap > 0) buf[0] = '\0';
  else o.cap = 0;
  for (size_t i = 0; i < n; i++) {
    const metrics__family_t *f = fams[i];
    put(&o, "# HELP ");
    put(&o, f->name);
    put(&o, " ");
    put_escaped(&o, f->help, 0);
    put(&o, "\n# TYPE ");
    put(&o, f->name);
    put(&o, " ");
    put(&o, types[f->type]);
    put(&o, "\n");
    for (size_t k = 0; k < f->nchildren; k++) put_child(&o, f, f->children[k]);
  }
  return o.len;
}
