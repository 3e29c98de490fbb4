/* Prometheus text format (0.0.4) parser: the reading side of metrics_text.c,
 * used by `dtwin health` and tests. Pure functions of their input. */
#include "dtw/metrics_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"

static bool name_char(char c, bool first) {
  return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

int dtw_prom_parse_line(const char *line, size_t len, dtw_prom_sample_t *out, char *err,
                        size_t errlen) {
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  if (i == len || line[i] == '#' || line[i] == '\r') return 0;
  memset(out, 0, sizeof *out);
  size_t n = 0;
  if (!name_char(line[i], true))
    return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected a metric name", i + 1);
  while (i < len && name_char(line[i], n == 0)) {
    if (n + 1 >= sizeof out->name) return dtw_errf(err, errlen, DTW_ERANGE, "metric name too long");
    out->name[n++] = line[i++];
  }
  if (i < len && line[i] == '{') {
    i++;
    for (;;) {
      while (i < len && line[i] == ' ') i++;
      if (i < len && line[i] == '}') {
        i++;
        break;
      }
      if (out->n_labels >= DTW_PROM_MAX_LABELS)
        return dtw_errf(err, errlen, DTW_ERANGE, "more than %d labels", DTW_PROM_MAX_LABELS);
      char *ln = out->labels[out->n_labels].name, *lv = out->labels[out->n_labels].value;
      size_t k = 0;
      if (i >= len || !name_char(line[i], true) || line[i] == ':')
        return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected a label name", i + 1);
      while (i < len && name_char(line[i], k == 0) && line[i] != ':') {
        if (k + 1 >= sizeof out->labels[0].name)
          return dtw_errf(err, errlen, DTW_ERANGE, "label name too long");
        ln[k++] = line[i++];
      }
      if (i + 1 >= len || line[i] != '=' || line[i + 1] != '"')
        return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected =\" after label '%s'", i + 1,
                        ln);
      i += 2;
      k = 0;
      while (i < len && line[i] != '"') {
        char c = line[i++];
        if (c == '\\') {
          if (i >= len) break;
          c = line[i++];
          if (c == 'n') c = '\n';
          else if (c != '\\' && c != '"')
            return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: bad escape '\\%c'", i, c);
        }
        if (k + 1 >= sizeof out->labels[0].value)
          return dtw_errf(err, errlen, DTW_ERANGE, "value of label '%s' too long", ln);
        lv[k++] = c;
      }
      if (i >= len) return dtw_errf(err, errlen, DTW_EPARSE, "unterminated label value");
      i++; /* closing quote */
      out->n_labels++;
      while (i < len && line[i] == ' ') i++;
      if (i < len && line[i] == ',') i++;
      else if (i < len && line[i] != '}')
        return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected ',' or '}'", i + 1);
    }
  }
  if (i >= len || (line[i] != ' ' && line[i] != '\t'))
    return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected a space before the value", i + 1);
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  char num[64];
  size_t k = 0;
  while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
    if (k + 1 >= sizeof num) return dtw_errf(err, errlen, DTW_EPARSE, "value too long");
    num[k++] = line[i++];
  }
  num[k] = '\0';
  if (k == 0) return dtw_errf(err, errlen, DTW_EPARSE, "missing value");
  if (strcmp(num, "+Inf") == 0) {
    out->value = INFINITY;
  } else if (strcmp(num, "-Inf") == 0) {
    out->value = -INFINITY;
  } else if (strcmp(num, "NaN") == 0) {
    out->value = NAN;
  } else {
    char *end;
    errno = 0;
    out->value = strtod(num, &end);
    /* strtod also reads "inf"/"nan"/hex, which the format does not have */
    if (*end != '\0' || isalpha((unsigned char)num[k - 1]) || strpbrk(num, "xX") != NULL)
      return dtw_errf(err, errlen, DTW_EPARSE, "'%s' is not a number", num);
  }
  return 1;
}

const char *dtw_prom_label(const dtw_prom_sample_t *s, const char *name) {
  for (size_t i = 0; i < s->n_labels; i++)
    if (strcmp(s->labels[i].name, name) == 0) return s->labels[i].value;
  return NULL;
}

int dtw_prom_find(const char *text, const char *name, const char *label, const char *value,
                  dtw_prom_sample_t *out) {
  size_t name_len = strlen(name);
  for (const char *p = text; p != NULL && *p != '\0';) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    /* cheap prefix test first: most lines are other metrics */
    if (len > name_len && strncmp(p, name, name_len) == 0 &&
        (p[name_len] == '{' || p[name_len] == ' ') &&
        dtw_prom_parse_line(p, len, out, NULL, 0) == 1) {
      const char *v = label ? dtw_prom_label(out, label) : NULL;
      if (label == NULL || (v != NULL && strcmp(v, value) == 0)) return 1;
    }
    p = nl ? nl + 1 : NULL;
  }
  return 0;
}
