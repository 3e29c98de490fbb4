/* Metrics registry: registration rules, children, lock-free updates (see dtw/metrics.h). */
#include "dtw/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "metrics__registry.h"

static const char *const type_names[] = {"counter", "gauge", "histogram"};

/* ---- names ------------------------------------------------------------------------------ */

static int name_char(char c, int first, int colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return 1;
  if (colon && c == ':') return 1;
  return !first && c >= '0' && c <= '9';
}

static int valid_ident(const char *name, int colon) {
  if (name == NULL || name[0] == '\0') return 0;
  size_t len = strlen(name);
  if (len >= DTW_METRICS_MAX_NAME) return 0;
  for (size_t i = 0; i < len; i++)
    if (!name_char(name[i], i == 0, colon)) return 0;
  return 1;
}

int dtw_metrics_valid_name(const char *name) { return valid_ident(name, 1); }

int dtw_metrics_valid_label_name(const char *name) {
  /* names starting with "__" are reserved for Prometheus' internal use */
  return valid_ident(name, 0) && strncmp(name, "__", 2) != 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Label values must be UTF-8 for Prometheus; reject overlong forms and surrogates too. */
static int valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p;
    size_t n;
    uint32_t cp, min;
    if (c < 0x80) {
      p++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return 0;
    }
    for (size_t i = 1; i <= n; i++) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    p += n + 1;
  }
  return 1;
}

/* ---- registry ---------------------------------------------------------------------------- */

int dtw_metrics_create(dtw_metrics_t **out) {
  dtw_metrics_t *reg = calloc(1, sizeof *reg);
  if (reg == NULL) return DTW_ENOMEM;
  if (pthread_mutex_init(&reg->mu, NULL) != 0) {
    free(reg);
    return DTW_ENOMEM;
  }
  *out = reg;
  return 0;
}

static void child_free(metrics__child_t *ch, size_t nlabels) {
  if (ch == NULL) return;
  for (size_t i = 0; i < nlabels; i++) free(ch->values[i]);
  free(ch->buckets);
  free(ch);
}

static void family_free(metrics__family_t *f) {
  if (f == NULL) return;
  for (size_t i = 0; i < f->nchildren; i++) child_free(f->children[i], f->nlabels);
  for (size_t i = 0; i < f->nlabels; i++) free(f->label_names[i]);
  free(f->children);
  free(f->name);
  free(f->help);
  free(f);
}

void dtw_metrics_destroy(dtw_metrics_t *reg) {
  if (reg == NULL) return;
  for (size_t i = 0; i < reg->nfams; i++) family_free(reg->fams[i]);
  free(reg->fams);
  free(reg->collectors);
  pthread_mutex_destroy(&reg->mu);
  free(reg);
}

size_t dtw_metrics_family_count(dtw_metrics_t *reg) {
  pthread_mutex_lock(&reg->mu);
  size_t n = reg->nfams;
  pthread_mutex_unlock(&reg->mu);
  return n;
}

const char *dtw_metrics_last_error(const dtw_metrics_t *reg) { return reg->last_err; }

/* A registration request after its label list has been split and checked. */
typedef struct reg_req {
  dtw_metric_type_t type;
  const char *name, *help;
  size_t nlabels;
  const char *lnames[DTW_METRICS_MAX_LABELS];
  const char *lvalues[DTW_METRICS_MAX_LABELS];
  size_t nbounds;
  const double *bounds;
} reg_req_t;

/* Check everything that does not depend on what is already registered. */
static int req_check(reg_req_t *q, const char *const *labels, char *err, size_t errlen) {
  const char *t = type_names[q->type];
  if (!dtw_metrics_valid_name(q->name))
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "metrics: invalid %s name '%s' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)", t,
                    q->name ? q->name : "(null)");
  if (q->type == DTW_METRIC_COUNTER && !ends_with(q->name, "_total"))
    return dtw_errf(err, errlen, DTW_EINVAL, "metrics: counter '%s' must end in _total",
                    q->name);
  if (q->help == NULL || q->help[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "metrics: %s '%s' has no help text", t, q->name);

  q->nlabels = 0;
  for (size_t i = 0; labels != NULL && labels[2 * i] != NULL; i++) {
    const char *ln = labels[2 * i], *lv = labels[2 * i + 1];
    if (i >= DTW_METRICS_MAX_LABELS)
      return dtw_errf(err, errlen, DTW_EINVAL, "metrics: '%s' has more than %d labels",
                      q->name, DTW_METRICS_MAX_LABELS);
    if (!dtw_metrics_valid_label_name(ln))
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "metrics: '%s': invalid label name '%s' (must match "
                      "[a-zA-Z_][a-zA-Z0-9_]*, not starting with __)",
                      q->name, ln);
    if (q->type == DTW_METRIC_HISTOGRAM && strcmp(ln, "le") == 0)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "metrics: histogram '%s': label 'le' is reserved for buckets", q->name);
    if (lv == NULL)
      return dtw_errf(err, errlen, DTW_EINVAL, "metrics: '%s': label '%s' has no value",
                      q->name, ln);
    if (!valid_utf8(lv))
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "metrics: '%s': value of label '%s' is not valid UTF-8", q->name, ln);
    for (size_t j = 0; j < i; j++)
      if (strcmp(q->lnames[j], ln) == 0)
        return dtw_errf(err, errlen, DTW_EINVAL, "metrics: '%s': label '%s' given twice",
                        q->name, ln);
    q->lnames[i] = ln;
    q->lvalues[i] = lv;
    q->nlabels = i + 1;
  }

  if (q->type == DTW_METRIC_HISTOGRAM) {
    /* the +Inf bucket is implicit; accept it spelled out at the end */
    if (q->nbounds > 0 && q->bounds == NULL)
      return dtw_errf(err, errlen, DTW_EINVAL, "metrics: histogram '%s': bounds is NULL",
                      q->name);
    if (q->nbounds > 0 && isinf(q->bounds[q->nbounds - 1]) && q->bounds[q->nbounds - 1] > 0)
      q->nbounds--;
    if (q->nbounds > DTW_METRICS_MAX_BUCKETS)
      return dtw_errf(err, errlen, DTW_EINVAL, "metrics: histogram '%s': more than %d bounds",
                      q->name, DTW_METRICS_MAX_BUCKETS);
    for (size_t i = 0; i < q->nbounds; i++) {
      if (!isfinite(q->bounds[i]) || (i > 0 && !(q->bounds[i] > q->bounds[i - 1])))
        return dtw_errf(err, errlen, DTW_EINVAL,
                        "metrics: histogram '%s': bounds must be finite and strictly "
                        "increasing (bound %zu)",
                        q->name, i);
    }
  }
  return 0;
}

static metrics__family_t *find_family(dtw_metrics_t *reg, const char *name) {
  for (size_t i = 0; i < reg->nfams; i++)
    if (strcmp(reg->fams[i]->name, name) == 0) return reg->fams[i];
  return NULL;
}

/* 1 if series named `series` would be written by histogram family h. */
static int histogram_shadows(const metrics__family_t *h, const char *series) {
  static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
  size_t n = strlen(h->name);
  if (strncmp(series, h->name, n) != 0) return 0;
  for (size_t i = 0; i < 3; i++)
    if (strcmp(series + n, suffixes[i]) == 0) return 1;
  return 0;
}

static int family_matches(const metrics__family_t *f, const reg_req_t *q, char *err,
                          size_t errlen) {
  if (f->type != q->type)
    return dtw_errf(err, errlen, DTW_EINVAL, "metrics: '%s' already registered as a %s, not a %s",
                    q->name, type_names[f->type], type_names[q->type]);
  /* several components share a family (one per process): the first help text stands */
  int same = f->nlabels == q->nlabels;
  for (size_t i = 0; same && i < f->nlabels; i++)
    same = strcmp(f->label_names[i], q->lnames[i]) == 0;
  if (!same)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "metrics: '%s' already registered with other label names", q->name);
  if (q->type == DTW_METRIC_HISTOGRAM) {
    same = f->nbounds == q->nbounds;
    for (size_t i = 0; same && i < f->nbounds; i++) same = f->bounds[i] == q->bounds[i];
    if (!same)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "metrics: histogram '%s' already registered with other bounds", q->name);
  }
  return 0;
}

static int check_clash(dtw_metrics_t *reg, const reg_req_t *q, char *err, size_t errlen) {
  for (size_t i = 0; i < reg->nfams; i++) {
    const metrics__family_t *f = reg->fams[i];
    const char *other = NULL;
    if (f->type == DTW_METRIC_HISTOGRAM && histogram_shadows(f, q->name)) other = f->name;
    if (q->type == DTW_METRIC_HISTOGRAM) {
      metrics__family_t probe = {.name = (char *)q->name};
      if (histogram_shadows(&probe, f->name)) other = f->name;
    }
    if (other != NULL)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "metrics: '%s' clashes with the series of histogram family '%s'", q->name,
                      other);
  }
  return 0;
}

static metrics__family_t *family_new(const reg_req_t *q) {
  metrics__family_t *f = calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  f->type = q->type;
  f->name = strdup(q->name);
  f->help = strdup(q->help);
  if (f->name == NULL || f->help == NULL) goto err_free;
  for (size_t i = 0; i < q->nlabels; i++) {
    f->label_names[i] = strdup(q->lnames[i]);
    if (f->label_names[i] == NULL) goto err_free;
    f->nlabels = i + 1;
  }
  f->nbounds = q->nbounds;
  if (q->nbounds > 0) memcpy(f->bounds, q->bounds, q->nbounds * sizeof *q->bounds);
  return f;
err_free:
  family_free(f);
  return NULL;
}

static metrics__child_t *child_new(metrics__family_t *f, const reg_req_t *q) {
  /* allocate as the handle type so converting the pointer back is well defined */
  size_t size = f->type == DTW_METRIC_COUNTER ? sizeof(struct dtw_counter)
                : f->type == DTW_METRIC_GAUGE ? sizeof(struct dtw_gauge)
                                              : sizeof(struct dtw_histogram);
  metrics__child_t *ch = calloc(1, size);
  if (ch == NULL) return NULL;
  ch->fam = f;
  atomic_init(&ch->n, 0);
  atomic_init(&ch->bits, dtw__metrics_to_bits(0.0));
  for (size_t i = 0; i < f->nlabels; i++) {
    ch->values[i] = strdup(q->lvalues[i]);
    if (ch->values[i] == NULL) goto err_free;
  }
  if (f->type == DTW_METRIC_HISTOGRAM) {
    ch->buckets = calloc(f->nbounds + 1, sizeof *ch->buckets);
    if (ch->buckets == NULL) goto err_free;
    for (size_t i = 0; i <= f->nbounds; i++) atomic_init(&ch->buckets[i], 0);
  }
  return ch;
err_free:
  child_free(ch, f->nlabels);
  return NULL;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap * 2 : 8;
  while (ncap < need) ncap *= 2;
  void *p = realloc(*arr, ncap * elem);
  if (p == NULL) return DTW_ENOMEM;
  *arr = p;
  *cap = ncap;
  return 0;
}

/* Find or create the family and child of q; the caller holds reg->mu. */
static int register_locked(dtw_metrics_t *reg, const reg_req_t *q, metrics__child_t **out,
                           char *err, size_t errlen) {
  int rc;
  metrics__family_t *f = find_family(reg, q->name), *created = NULL;
  if (f != NULL) {
    if ((rc = family_matches(f, q, err, errlen)) < 0) return rc;
    for (size_t i = 0; i < f->nchildren; i++) {
      metrics__child_t *ch = f->children[i];
      size_t k = 0;
      while (k < f->nlabels && strcmp(ch->values[k], q->lvalues[k]) == 0) k++;
      if (k == f->nlabels) {
        *out = ch;
        return 0;
      }
    }
    if (f->nchildren >= DTW_METRICS_MAX_CHILDREN)
      return dtw_errf(err, errlen, DTW_EFULL, "metrics: '%s' has %d children already",
                      q->name, DTW_METRICS_MAX_CHILDREN);
  } else {
    if ((rc = check_clash(reg, q, err, errlen)) < 0) return rc;
    if (grow((void **)&reg->fams, &reg->cap, reg->nfams + 1, sizeof *reg->fams) < 0)
      goto err_nomem;
    f = created = family_new(q);
    if (f == NULL) goto err_nomem;
  }
  if (grow((void **)&f->children, &f->cap, f->nchildren + 1, sizeof *f->children) < 0)
    goto err_nomem;
  metrics__child_t *ch = child_new(f, q);
  if (ch == NULL) goto err_nomem;
  f->children[f->nchildren++] = ch;
  if (created != NULL) reg->fams[reg->nfams++] = created;
  *out = ch;
  return 0;
err_nomem:
  family_free(created);
  return dtw_errf(err, errlen, DTW_ENOMEM, "metrics: out of memory registering '%s'", q->name);
}

static int add_child(dtw_metrics_t *reg, reg_req_t *q, const char *const *labels,
                     metrics__child_t **out, char *err, size_t errlen) {
  if (reg == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "metrics: registry or out is NULL");
  int rc = req_check(q, labels, err, errlen);
  if (rc < 0) return rc;
  pthread_mutex_lock(&reg->mu);
  rc = register_locked(reg, q, out, err, errlen);
  pthread_mutex_unlock(&reg->mu);
  return rc;
}

int dtw_metrics_add_counter(dtw_metrics_t *reg, const char *name, const char *help,
                            const char *const *labels, dtw_counter_t **out, char *err,
                            size_t errlen) {
  reg_req_t q = {.type = DTW_METRIC_COUNTER, .name = name, .help = help};
  metrics__child_t *ch = NULL;
  int rc = add_child(reg, &q, labels, &ch, err, errlen);
  if (rc == 0) *out = (dtw_counter_t *)ch;
  return rc;
}

int dtw_metrics_add_gauge(dtw_metrics_t *reg, const char *name, const char *help,
                          const char *const *labels, dtw_gauge_t **out, char *err,
                          size_t errlen) {
  reg_req_t q = {.type = DTW_METRIC_GAUGE, .name = name, .help = help};
  metrics__child_t *ch = NULL;
  int rc = add_child(reg, &q, labels, &ch, err, errlen);
  if (rc == 0) *out = (dtw_gauge_t *)ch;
  return rc;
}

int dtw_metrics_add_histogram(dtw_metrics_t *reg, const char *name, const char *help,
                              const double *bounds, size_t nbounds, const char *const *labels,
                              dtw_histogram_t **out, char *err, size_t errlen) {
  reg_req_t q = {.type = DTW_METRIC_HISTOGRAM, .name = name, .help = help, .bounds = bounds,
                 .nbounds = nbounds};
  metrics__child_t *ch = NULL;
  int rc = add_child(reg, &q, labels, &ch, err, errlen);
  if (rc == 0) *out = (dtw_histogram_t *)ch;
  return rc;
}

/* ---- variadic convenience forms ----------------------------------------------------------- */

/* Gather NULL-terminated pairs; one slot more than allowed so "too many" is detected. */
#define VA_SLOTS (2 * DTW_METRICS_MAX_LABELS + 3)

static void gather(va_list ap, const char **pairs) {
  size_t i = 0;
  /* a NULL value also ends the list; req_check then reports the name without value */
  for (; i < VA_SLOTS - 1; i++) {
    pairs[i] = va_arg(ap, const char *);
    if (pairs[i] == NULL) return;
  }
  pairs[i] = NULL;
}

static void remember_error(dtw_metrics_t *reg, int rc, const char *msg) {
  if (rc >= 0 || reg == NULL) return;
  pthread_mutex_lock(&reg->mu);
  snprintf(reg->last_err, sizeof reg->last_err, "%s", msg);
  pthread_mutex_unlock(&reg->mu);
  DTW_ERROR("metrics", "%s (%s)", msg, dtw_strerror(rc));
}

dtw_counter_t *dtw_metrics_counter_l(dtw_metrics_t *reg, const char *name, const char *help,
                                     ...) {
  const char *pairs[VA_SLOTS];
  char err[256] = "";
  va_list ap;
  va_start(ap, help);
  gather(ap, pairs);
  va_end(ap);
  dtw_counter_t *c = NULL;
  remember_error(reg, dtw_metrics_add_counter(reg, name, help, pairs, &c, err, sizeof err),
                 err);
  return c;
}

dtw_gauge_t *dtw_metrics_gauge_l(dtw_metrics_t *reg, const char *name, const char *help, ...) {
  const char *pairs[VA_SLOTS];
  char err[256] = "";
  va_list ap;
  va_start(ap, help);
  gather(ap, pairs);
  va_end(ap);
  dtw_gauge_t *g = NULL;
  remember_error(reg, dtw_metrics_add_gauge(reg, name, help, pairs, &g, err, sizeof err), err);
  return g;
}

dtw_histogram_t *dtw_metrics_histogram_l(dtw_metrics_t *reg, const char *name,
                                         const char *help, const double *bounds,
                                         size_t nbounds, ...) {
  const char *pairs[VA_SLOTS];
  char err[256] = "";
  va_list ap;
  va_start(ap, nbounds);
  gather(ap, pairs);
  va_end(ap);
  dtw_histogram_t *h = NULL;
  remember_error(
      reg, dtw_metrics_add_histogram(reg, name, help, bounds, nbounds, pairs, &h, err, sizeof err),
      err);
  return h;
}

/* ---- collectors --------------------------------------------------------------------------- */

int dtw_metrics_add_collector(dtw_metrics_t *reg, dtw_metrics_collect_fn fn, void *user) {
  if (reg == NULL || fn == NULL) return DTW_EINVAL;
  int rc = 0;
  pthread_mutex_lock(&reg->mu);
  if (grow((void **)&reg->collectors, &reg->collectors_cap, reg->ncollectors + 1,
           sizeof *reg->collectors) < 0) {
    rc = DTW_ENOMEM;
  } else {
    reg->collectors[reg->ncollectors++] = (metrics__collector_t){fn, user};
  }
  pthread_mutex_unlock(&reg->mu);
  return rc;
}

static void collect_locked(dtw_metrics_t *reg) {
  for (size_t i = 0; i < reg->ncollectors; i++) {
    int rc = reg->collectors[i].fn(reg, reg->collectors[i].user);
    if (rc < 0) DTW_WARN("metrics", "collector %zu failed: %s", i, dtw_strerror(rc));
  }
}

void dtw_metrics_collect(dtw_metrics_t *reg) {
  pthread_mutex_lock(&reg->mu);
  collect_locked(reg);
  pthread_mutex_unlock(&reg->mu);
}

/* ---- updates ------------------------------------------------------------------------------ */

static void atomic_add_double(atomic_uint_fast64_t *a, double d) {
  uint64_t old = atomic_load_explicit(a, memory_order_relaxed), sum;
  /* retry until no other thread changed the value between our load and store
   * (a failed exchange reloads old) */
  do {
    sum = dtw__metrics_to_bits(dtw__metrics_from_bits(old) + d);
  } while (!atomic_compare_exchange_weak_explicit(a, &old, sum, memory_order_relaxed,
                                                  memory_order_relaxed));
}

static double load_double(const atomic_uint_fast64_t *a) {
  return dtw__metrics_from_bits(
      atomic_load_explicit((atomic_uint_fast64_t *)a, memory_order_relaxed));
}

void dtw_counter_add(dtw_counter_t *c, uint64_t n) {
  if (c != NULL) atomic_fetch_add_explicit(&c->ch.n, n, memory_order_relaxed);
}

void dtw_counter_set(dtw_counter_t *c, double v) {
  if (c != NULL)
    atomic_store_explicit(&c->ch.bits, dtw__metrics_to_bits(v), memory_order_relaxed);
}

double dtw_counter_value(const dtw_counter_t *c) {
  if (c == NULL) return 0;
  uint64_t n = atomic_load_explicit((atomic_uint_fast64_t *)&c->ch.n, memory_order_relaxed);
  return (double)n + load_double(&c->ch.bits);
}

void dtw_gauge_set(dtw_gauge_t *g, double v) {
  if (g != NULL)
    atomic_store_explicit(&g->ch.bits, dtw__metrics_to_bits(v), memory_order_relaxed);
}

void dtw_gauge_add(dtw_gauge_t *g, double d) {
  if (g != NULL) atomic_add_double(&g->ch.bits, d);
}

double dtw_gauge_value(const dtw_gauge_t *g) { return g ? load_double(&g->ch.bits) : 0; }

void dtw_histogram_observe(dtw_histogram_t *h, double v) {
  if (h == NULL) return;
  const metrics__family_t *f = h->ch.fam;
  /* first bound >= v (binary search); NaN compares false everywhere and lands in +Inf */
  size_t lo = 0, hi = f->nbounds;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v <= f->bounds[mid])
      hi = mid;
    else
      lo = mid + 1;
  }
  if (isnan(v)) lo = f->nbounds;
  atomic_fetch_add_explicit(&h->ch.buckets[lo], 1, memory_order_relaxed);
  atomic_add_double(&h->ch.bits, v);
}

uint64_t dtw_histogram_bucket(const dtw_histogram_t *h, size_t i) {
  if (h == NULL) return 0;
  size_t nb = h->ch.fam->nbounds;
  if (i > nb) i = nb;
  uint64_t sum = 0;
  for (size_t k = 0; k <= i; k++)
    sum += atomic_load_explicit(&h->ch.buckets[k], memory_order_relaxed);
  return sum;
}

uint64_t dtw_histogram_count(const dtw_histogram_t *h) {
  return h ? dtw_histogram_bucket(h, h->ch.fam->nbounds) : 0;
}

double dtw_histogram_sum(const dtw_histogram_t *h) { return h ? load_double(&h->ch.bits) : 0; }

/* ---- exposition entry points ------------------------------------------------------------ */

size_t dtw_metrics_write_text(dtw_metrics_t *reg, char *buf, size_t cap) {
  pthread_mutex_lock(&reg->mu);
  size_t n = dtw__metrics_text(reg->fams, reg->nfams, buf, cap);
  pthread_mutex_unlock(&reg->mu);
  return n;
}

int dtw_metrics_scrape(dtw_metrics_t *reg, char **out, size_t *len) {
  int rc = 0;
  size_t cap = 4096;
  char *buf = NULL;
  pthread_mutex_lock(&reg->mu);
  collect_locked(reg);
  /* values may grow a digit between sizing and writing: retry with room to spare */
  for (;;) {
    char *nbuf = realloc(buf, cap);
    if (nbuf == NULL) {
      rc = DTW_ENOMEM;
      break;
    }
    buf = nbuf;
    size_t n = dtw__metrics_text(reg->fams, reg->nfams, buf, cap);
    if (n < cap) {
      *out = buf;
      *len = n;
      buf = NULL;
      break;
    }
    cap = n + n / 8 + 256;
  }
  pthread_mutex_unlock(&reg->mu);
  free(buf);
  return rc;
}
