/* Typed YAML reads with "file:line: key: message" errors (control__yaml.h). */
#include "control__yaml.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"

int dtw__cy_fail(char *err, size_t errlen, const dtw_yaml_node_t *n, const char *file,
                 const char *key, int code, const char *fmt, ...) {
  if (err == NULL || errlen == 0) return code;
  int used;
  if (n != NULL)
    used = snprintf(err, errlen, "%s:%d: %s: ", n->file ? n->file : "<yaml>", n->line, key);
  else
    used = snprintf(err, errlen, "%s: %s: ", file ? file : "<yaml>", key);
  if (used < 0 || (size_t)used >= errlen) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + used, errlen - (size_t)used, fmt, ap);
  va_end(ap);
  return code;
}

static const char *kind_name(dtw_yaml_kind_t k) {
  return k == DTW_YAML_MAPPING ? "a mapping" : k == DTW_YAML_SEQUENCE ? "a sequence" : "a scalar";
}

int dtw__cy_kind(const dtw_yaml_node_t *n, const char *key, dtw_yaml_kind_t kind, char *err,
                 size_t errlen) {
  if (n == NULL)
    return dtw__cy_fail(err, errlen, NULL, NULL, key, DTW_EPARSE, "missing value");
  if (n->kind != kind)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EPARSE, "expected %s, got %s",
                        kind_name(kind), kind_name(n->kind));
  return 0;
}

/* a plain (unquoted) scalar, or the refusal naming what was expected */
static int plain(const dtw_yaml_node_t *n, const char *key, const char *expected, char *err,
                 size_t errlen) {
  if (n == NULL)
    return dtw__cy_fail(err, errlen, NULL, NULL, key, DTW_EPARSE, "missing value");
  if (n->kind != DTW_YAML_SCALAR)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EPARSE, "expected %s, got %s", expected,
                        kind_name(n->kind));
  if (n->quoted)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EPARSE,
                        "expected %s, got the quoted string '%.64s'", expected, n->text);
  return 0;
}

int dtw__cy_double(const dtw_yaml_node_t *n, const char *key, double min, double max,
                   double *out, char *err, size_t errlen) {
  int rc = plain(n, key, "a number", err, errlen);
  if (rc < 0) return rc;
  double v;
  if (dtw_yaml_parse_double(n->text, &v) < 0)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EPARSE, "expected a number, got '%.64s'",
                        n->text);
  if (!isfinite(v))
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_ERANGE, "%s is not a finite number",
                        n->text);
  if (v < min || v > max)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_ERANGE, "%g is out of range [%g, %g]", v,
                        min, max);
  *out = v;
  return 0;
}

int dtw__cy_int(const dtw_yaml_node_t *n, const char *key, int64_t min, int64_t max,
                int64_t *out, char *err, size_t errlen) {
  int rc = plain(n, key, "an integer", err, errlen);
  if (rc < 0) return rc;
  int64_t v;
  if (dtw_yaml_parse_int64(n->text, &v) < 0)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EPARSE,
                        "expected an integer, got '%.64s'", n->text);
  if (v < min || v > max)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_ERANGE,
                        "%lld is out of range [%lld, %lld]", (long long)v, (long long)min,
                        (long long)max);
  *out = v;
  return 0;
}

int dtw__cy_bool(const dtw_yaml_node_t *n, const char *key, bool *out, char *err, size_t errlen) {
  int rc = plain(n, key, "true or false", err, errlen);
  if (rc < 0) return rc;
  if (dtw_yaml_parse_bool(n->text, out) < 0)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EPARSE,
                        "expected true or false, got '%.64s'", n->text);
  return 0;
}

int dtw__cy_string(const dtw_yaml_node_t *n, const char *key, const char **out, char *err,
                   size_t errlen) {
  if (n == NULL)
    return dtw__cy_fail(err, errlen, NULL, NULL, key, DTW_EPARSE, "missing value");
  if (n->kind != DTW_YAML_SCALAR)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EPARSE, "expected a string, got %s",
                        kind_name(n->kind));
  *out = n->text;
  return 0;
}

int dtw__cy_names(const dtw_yaml_node_t *n, const char *key, size_t name_max, size_t cap,
                  const char **out, size_t *count, char *err, size_t errlen) {
  int rc = dtw__cy_kind(n, key, DTW_YAML_SEQUENCE, err, errlen);
  if (rc < 0) return rc;
  if (n->count > cap)
    return dtw__cy_fail(err, errlen, n, NULL, key, DTW_EFULL, "%zu names, at most %zu",
                        n->count, cap);
  for (size_t i = 0; i < n->count; i++) {
    const dtw_yaml_node_t *it = n->items[i];
    const char *s;
    rc = dtw__cy_string(it, key, &s, err, errlen);
    if (rc < 0) return rc;
    size_t len = strlen(s);
    if (len == 0 || len >= name_max)
      return dtw__cy_fail(err, errlen, it, NULL, key, DTW_ERANGE,
                          "name '%.64s' must have 1..%zu characters", s, name_max - 1);
    for (size_t o = 0; o < i; o++)
      if (strcmp(out[o], s) == 0)
        return dtw__cy_fail(err, errlen, it, NULL, key, DTW_EPARSE, "'%s' is listed twice", s);
    out[i] = s;
  }
  *count = n->count;
  return 0;
}
