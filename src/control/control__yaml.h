/* control__yaml.h - YAML reads that report "file:line: key: message", for the
 * layouts of the controllers and trajectory files.
 * Internal to src/control (controller config and trajectory files). */
#ifndef DTW_CONTROL__YAML_H
#define DTW_CONTROL__YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/yaml.h"

/* Write "file:line: key: <fmt...>" into err and return code. n gives the
 * place; NULL n gives "file: key: ..." using file (may be NULL). */
int dtw__cy_fail(char *err, size_t errlen, const dtw_yaml_node_t *n, const char *file,
                 const char *key, int code, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Require n to be of kind; DTW_EPARSE "expected a mapping, got a sequence". */
int dtw__cy_kind(const dtw_yaml_node_t *n, const char *key, dtw_yaml_kind_t kind, char *err,
                 size_t errlen);

/* Typed values, checked by core's parameter reader (dtw_param_read_yaml) and
 * worded as the parameter files' problems. A range is required (min == max ==
 * 0 means none). */
/* Number in [min, max] (so finite): DTW_EPARSE if not a number, DTW_ERANGE outside. */
int dtw__cy_double(const dtw_yaml_node_t *n, const char *key, double min, double max,
                   double *out, char *err, size_t errlen);
/* Integer in [min, max]. */
int dtw__cy_int(const dtw_yaml_node_t *n, const char *key, int64_t min, int64_t max,
                int64_t *out, char *err, size_t errlen);
/* Any scalar's text; DTW_EPARSE if not a scalar. */
int dtw__cy_string(const dtw_yaml_node_t *n, const char *key, const char **out, char *err,
                   size_t errlen);
/* A sequence of names, each shorter than name_max, none repeated; out[i] point
 * into the document. DTW_EFULL above cap entries. */
int dtw__cy_names(const dtw_yaml_node_t *n, const char *key, size_t name_max, size_t cap,
                  const char **out, size_t *count, char *err, size_t errlen);

#endif /* DTW_CONTROL__YAML_H */
