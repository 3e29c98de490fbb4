/* Typed YAML reads with "file:line: key: message" errors (control__yaml.h);
 * numbers and booleans are checked by core (dtw_param_read_yaml). */
#include "control__yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dtw/config.h"
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

/* n as a value of the one-parameter spec sp, stored at out: the type and
 * range checks are core's, as for the parameter files (dtw/config.h). */
static int typed(const dtw_yaml_node_t *n, const char *key, dtw_param_spec_t sp, void *out,
                 char *err, size_t errlen) {
  char msg[400];
  if (n == NULL)
    return dtw__cy_fail(err, errlen, NULL, NULL, key, DTW_EPARSE, "missing value");
  int rc = dtw_param_read_yaml(&sp, n, out, msg, sizeof msg);
  if (rc < 0) return dtw__cy_fail(err, errlen, n, NULL, key, rc, "%s", msg);
  return 0;
}

int dtw__cy_double(const dtw_yaml_node_t *n, const char *key, double min, double max,
                   double *out, char *err, size_t errlen) {
  dtw_param_spec_t sp = {.name = key, .type = DTW_PT_DOUBLE, .min = min, .max = max,
                         .size = sizeof *out};
  return typed(n, key, sp, out, err, errlen);
}

int dtw__cy_int(const dtw_yaml_node_t *n, const char *key, int64_t min, int64_t max,
                int64_t *out, char *err, size_t errlen) {
  dtw_param_spec_t sp = {.name = key, .type = DTW_PT_INT, .min = (double)min,
                         .max = (double)max, .size = sizeof *out};
  return typed(n, key, sp, out, err, errlen);
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
    const char *s = NULL;
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
