/* YAML document tree on libyaml's event parser, with line numbers on every node. */
#include "dtw/yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dtw/err.h"
#include "dtw/file.h"

/* One parse in progress: the libyaml parser plus what messages and limits need. */
typedef struct anchor {
  char *name;
  const dtw_yaml_node_t *node;
  struct anchor *next;
} anchor_t;

typedef struct {
  yaml_parser_t parser;
  const char *file;
  size_t n_nodes;
  unsigned flags;
  anchor_t *anchors; /* DTW_YAML_ALIASES: finished anchored nodes */
  char *err;
  size_t errlen;
} builder_t;

static void node_free(dtw_yaml_node_t *n) {
  if (n == NULL) return;
  if (n->alias != NULL) {
    /* the anchored node belongs to its own parent */
    free(n);
    return;
  }
  for (size_t i = 0; i < n->count; i++) {
    node_free(n->items[i]);
    if (n->keys != NULL) node_free(n->keys[i]);
  }
  free(n->items);
  free(n->keys);
  free(n->text);
  free(n->tag);
  free(n);
}

void dtw_yaml_free(dtw_yaml_doc_t *doc) {
  if (doc == NULL) return;
  node_free(doc->root);
  free(doc->file);
  doc->root = NULL;
  doc->file = NULL;
}

/* Report libyaml's own error with its position. */
static int parser_error(builder_t *b) {
  const yaml_parser_t *p = &b->parser;
  const char *problem = p->problem != NULL ? p->problem : "malformed YAML";
  switch (p->error) {
  case YAML_MEMORY_ERROR:
    return dtw_errf(b->err, b->errlen, DTW_ENOMEM, "%s: out of memory while parsing", b->file);
  case YAML_READER_ERROR:
    /* reader errors (bad encoding) only know a byte offset */
    return dtw_errf(b->err, b->errlen, DTW_EPARSE, "%s: byte %zu: %s", b->file,
                    p->problem_offset, problem);
  default:
    if (p->context != NULL)
      return dtw_errf(b->err, b->errlen, DTW_EPARSE, "%s:%zu:%zu: %s %s", b->file,
                      p->problem_mark.line + 1, p->problem_mark.column + 1, problem, p->context);
    return dtw_errf(b->err, b->errlen, DTW_EPARSE, "%s:%zu:%zu: %s", b->file,
                    p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
  }
}

static int next_event(builder_t *b, yaml_event_t *ev) {
  if (!yaml_parser_parse(&b->parser, ev)) return parser_error(b);
  return 0;
}

static int refuse_at(builder_t *b, const yaml_event_t *ev, int code, const char *what) {
  return dtw_errf(b->err, b->errlen, code, "%s:%zu:%zu: %s", b->file, ev->start_mark.line + 1,
                  ev->start_mark.column + 1, what);
}

/* Anchors and tags would change meaning we do not model: refuse them all. */
static int check_props(builder_t *b, const yaml_event_t *ev, const yaml_char_t *anchor,
                       const yaml_char_t *tag) {
  if (anchor != NULL && !(b->flags & DTW_YAML_ALIASES))
    return refuse_at(b, ev, DTW_EUNSUP, "anchors (&name) are not supported");
  if (tag != NULL && !(b->flags & DTW_YAML_KEEP_TAGS))
    return refuse_at(b, ev, DTW_EUNSUP, "tags (!tag) are not supported");
  return 0;
}

/* Remember a finished anchored node (a later anchor of the same name wins). */
static int add_anchor(builder_t *b, const yaml_char_t *name, const dtw_yaml_node_t *n) {
  if (name == NULL) return 0;
  anchor_t *a = calloc(1, sizeof *a);
  if (a == NULL || (a->name = strdup((const char *)name)) == NULL) {
    free(a);
    return dtw_errf(b->err, b->errlen, DTW_ENOMEM, "%s: out of memory", b->file);
  }
  a->node = n;
  a->next = b->anchors;
  b->anchors = a;
  return 0;
}

/* Keep an accepted tag on its node. */
static int set_tag(builder_t *b, dtw_yaml_node_t *n, const yaml_char_t *tag) {
  if (tag == NULL) return 0;
  n->tag = strdup((const char *)tag);
  if (n->tag == NULL) return dtw_errf(b->err, b->errlen, DTW_ENOMEM, "%s: out of memory", b->file);
  return 0;
}

static int new_node(builder_t *b, const yaml_event_t *ev, dtw_yaml_kind_t kind,
                    dtw_yaml_node_t **out) {
  if (b->n_nodes >= DTW_YAML_MAX_NODES)
    return dtw_errf(b->err, b->errlen, DTW_EUNSUP, "%s:%zu:%zu: too many nodes (limit %d)",
                    b->file, ev->start_mark.line + 1, ev->start_mark.column + 1,
                    DTW_YAML_MAX_NODES);
  dtw_yaml_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return dtw_errf(b->err, b->errlen, DTW_ENOMEM, "%s: out of memory", b->file);
  b->n_nodes++;
  n->kind = kind;
  n->line = ev->start_mark.line + 1 > INT32_MAX ? INT32_MAX : (int)ev->start_mark.line + 1;
  n->column = ev->start_mark.column + 1 > INT32_MAX ? INT32_MAX : (int)ev->start_mark.column + 1;
  n->file = b->file;
  *out = n;
  return 0;
}

/* Append item (and key, for mappings) to a collection node, growing by doubling. */
static int push_child(builder_t *b, dtw_yaml_node_t *n, size_t *cap, dtw_yaml_node_t *key,
                      dtw_yaml_node_t *item) {
  if (n->count == *cap) {
    size_t ncap = *cap == 0 ? 4 : *cap * 2;
    dtw_yaml_node_t **items = realloc(n->items, ncap * sizeof *items);
    if (items == NULL) goto err_nomem;
    n->items = items;
    if (n->kind == DTW_YAML_MAPPING) {
      dtw_yaml_node_t **keys = realloc(n->keys, ncap * sizeof *keys);
      if (keys == NULL) goto err_nomem;
      n->keys = keys;
    }
    *cap = ncap;
  }
  n->items[n->count] = item;
  if (n->kind == DTW_YAML_MAPPING) n->keys[n->count] = key;
  n->count++;
  return 0;
err_nomem:
  return dtw_errf(b->err, b->errlen, DTW_ENOMEM, "%s: out of memory", b->file);
}

static int build_node(builder_t *b, yaml_event_t *ev, int depth, dtw_yaml_node_t **out);

/* Children of a sequence or mapping until its end event. */
static int build_children(builder_t *b, dtw_yaml_node_t *n, int depth) {
  size_t cap = 0;
  yaml_event_t ev;
  yaml_event_type_t end =
      n->kind == DTW_YAML_MAPPING ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
  for (;;) {
    int rc = next_event(b, &ev);
    if (rc < 0) return rc;
    if (ev.type == end) {
      yaml_event_delete(&ev);
      return 0;
    }
    dtw_yaml_node_t *key = NULL, *item = NULL;
    if (n->kind == DTW_YAML_MAPPING) {
      if (ev.type != YAML_SCALAR_EVENT && ev.type != YAML_ALIAS_EVENT) {
        rc = refuse_at(b, &ev, DTW_EUNSUP, "mapping keys must be scalars");
        yaml_event_delete(&ev);
        return rc;
      }
      rc = build_node(b, &ev, depth + 1, &key);
      if (rc < 0) return rc;
      if (key->kind != DTW_YAML_SCALAR) {
        rc = dtw_errf(b->err, b->errlen, DTW_EUNSUP, "%s:%d:%d: mapping keys must be scalars",
                      b->file, key->line, key->column);
        goto err_key;
      }
      for (size_t i = 0; i < n->count && !(b->flags & DTW_YAML_DUPLICATE_KEYS); i++) {
        if (strcmp(n->keys[i]->text, key->text) == 0) {
          rc = dtw_errf(b->err, b->errlen, DTW_EPARSE,
                        "%s:%d:%d: duplicate key '%.64s' (first at line %d)", b->file, key->line,
                        key->column, key->text, n->keys[i]->line);
          goto err_key;
        }
      }
      rc = next_event(b, &ev);
      if (rc < 0) goto err_key;
    }
    rc = build_node(b, &ev, depth + 1, &item);
    if (rc < 0) goto err_key;
    rc = push_child(b, n, &cap, key, item);
    if (rc < 0) goto err_item;
    continue;
  err_item:
    node_free(item);
  err_key:
    node_free(key);
    return rc;
  }
}

/* Build the node starting at ev (consumed) and everything below it. */
static int build_node(builder_t *b, yaml_event_t *ev, int depth, dtw_yaml_node_t **out) {
  int rc = 0;
  dtw_yaml_node_t *n = NULL;
  switch (ev->type) {
  case YAML_ALIAS_EVENT: {
    if (!(b->flags & DTW_YAML_ALIASES)) {
      rc = refuse_at(b, ev, DTW_EUNSUP, "aliases (*name) are not supported");
      break;
    }
    const anchor_t *a = b->anchors;
    while (a != NULL && strcmp(a->name, (const char *)ev->data.alias.anchor) != 0) a = a->next;
    if (a == NULL) {
      rc = dtw_errf(b->err, b->errlen, DTW_EPARSE, "%s:%zu:%zu: undefined alias '*%.64s'",
                    b->file, ev->start_mark.line + 1, ev->start_mark.column + 1,
                    (const char *)ev->data.alias.anchor);
      break;
    }
    rc = new_node(b, ev, a->node->kind, &n);
    if (rc < 0) break;
    n->alias = a->node;
    /* scalar readers get the text directly */
    n->text = a->node->text;
    n->quoted = a->node->quoted;
    break;
  }
  case YAML_SCALAR_EVENT:
    rc = check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
    if (rc < 0) break;
    if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length) {
      rc = refuse_at(b, ev, DTW_EPARSE, "scalar contains a NUL character");
      break;
    }
    rc = new_node(b, ev, DTW_YAML_SCALAR, &n);
    if (rc < 0) break;
    n->text = strdup((const char *)ev->data.scalar.value);
    if (n->text == NULL) {
      rc = dtw_errf(b->err, b->errlen, DTW_ENOMEM, "%s: out of memory", b->file);
      break;
    }
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    rc = set_tag(b, n, ev->data.scalar.tag);
    if (rc == 0) rc = add_anchor(b, ev->data.scalar.anchor, n);
    break;
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    rc = map ? check_props(b, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag)
             : check_props(b, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
    if (rc < 0) break;
    if (depth >= DTW_YAML_MAX_DEPTH) {
      rc = dtw_errf(b->err, b->errlen, DTW_EUNSUP, "%s:%zu:%zu: nesting deeper than %d levels",
                    b->file, ev->start_mark.line + 1, ev->start_mark.column + 1,
                    DTW_YAML_MAX_DEPTH);
      break;
    }
    rc = new_node(b, ev, map ? DTW_YAML_MAPPING : DTW_YAML_SEQUENCE, &n);
    if (rc < 0) break;
    rc = set_tag(b, n, map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    if (rc < 0) break;
    yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    char *anchor_copy = anchor != NULL ? strdup((const char *)anchor) : NULL;
    if (anchor != NULL && anchor_copy == NULL) {
      rc = dtw_errf(b->err, b->errlen, DTW_ENOMEM, "%s: out of memory", b->file);
      break;
    }
    yaml_event_delete(ev);
    rc = build_children(b, n, depth);
    /* registered once complete: an alias inside its own anchor is undefined */
    if (rc == 0) rc = add_anchor(b, (const yaml_char_t *)anchor_copy, n);
    free(anchor_copy);
    if (rc < 0) goto err_node;
    *out = n;
    return 0;
  }
  default:
    rc = refuse_at(b, ev, DTW_EPARSE, "unexpected YAML event");
    break;
  }
  yaml_event_delete(ev);
  if (rc < 0) goto err_node;
  *out = n;
  return 0;
err_node:
  node_free(n);
  return rc;
}

/* stream: STREAM_START (DOCUMENT_START node DOCUMENT_END)? STREAM_END */
static int build_stream(builder_t *b, dtw_yaml_node_t **root) {
  yaml_event_t ev;
  dtw_yaml_node_t *n = NULL;
  int rc = next_event(b, &ev);
  if (rc < 0) return rc;
  yaml_event_delete(&ev); /* STREAM_START */
  rc = next_event(b, &ev);
  if (rc < 0) return rc;
  if (ev.type == YAML_STREAM_END_EVENT) {
    yaml_event_delete(&ev);
    *root = NULL;
    return 0;
  }
  yaml_event_delete(&ev); /* DOCUMENT_START */
  rc = next_event(b, &ev);
  if (rc < 0) return rc;
  if (ev.type != YAML_DOCUMENT_END_EVENT) {
    rc = build_node(b, &ev, 0, &n);
    if (rc < 0) return rc;
    rc = next_event(b, &ev);
    if (rc < 0) goto err_root;
  }
  yaml_event_delete(&ev); /* DOCUMENT_END */
  rc = next_event(b, &ev);
  if (rc < 0) goto err_root;
  if (ev.type != YAML_STREAM_END_EVENT) {
    rc = refuse_at(b, &ev, DTW_EUNSUP, "multiple documents are not supported");
    yaml_event_delete(&ev);
    goto err_root;
  }
  yaml_event_delete(&ev);
  /* "---" alone gives an empty plain scalar: same as an empty file */
  if (n != NULL && n->kind == DTW_YAML_SCALAR && !n->quoted && n->text[0] == '\0') {
    node_free(n);
    n = NULL;
  }
  *root = n;
  return 0;
err_root:
  node_free(n);
  return rc;
}

int dtw_yaml_load_buffer(const char *data, size_t len, const char *name, dtw_yaml_doc_t *doc,
                         char *err, size_t errlen) {
  return dtw_yaml_load_buffer_flags(data, len, name, 0, doc, err, errlen);
}

int dtw_yaml_load_buffer_flags(const char *data, size_t len, const char *name, unsigned flags,
                               dtw_yaml_doc_t *doc, char *err, size_t errlen) {
  if (doc == NULL || (data == NULL && len > 0))
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_yaml_load_buffer: invalid argument");
  builder_t b = {.err = err, .errlen = errlen, .flags = flags};
  char *file = strdup(name != NULL ? name : "<buffer>");
  if (file == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  b.file = file;
  int rc;
  if (!yaml_parser_initialize(&b.parser)) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", file);
    goto err_file;
  }
  yaml_parser_set_input_string(&b.parser, (const unsigned char *)(data != NULL ? data : ""),
                               len);
  yaml_parser_set_encoding(&b.parser, YAML_UTF8_ENCODING);
  dtw_yaml_node_t *root = NULL;
  rc = build_stream(&b, &root);
  yaml_parser_delete(&b.parser);
  while (b.anchors != NULL) {
    anchor_t *a = b.anchors;
    b.anchors = a->next;
    free(a->name);
    free(a);
  }
  if (rc < 0) goto err_file;
  doc->root = root;
  doc->file = file;
  return 0;
err_file:
  free(file);
  return rc;
}

int dtw_yaml_load_file(const char *path, dtw_yaml_doc_t *doc, char *err, size_t errlen) {
  return dtw_yaml_load_file_flags(path, 0, doc, err, errlen);
}

int dtw_yaml_load_file_flags(const char *path, unsigned flags, dtw_yaml_doc_t *doc, char *err,
                             size_t errlen) {
  if (path == NULL || doc == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_yaml_load_file: invalid argument");
  char *data = NULL;
  size_t len = 0;
  int rc = dtw_file_read(path, DTW_FILE_MAX_INPUT, &data, &len, err, errlen);
  if (rc == 0) rc = dtw_yaml_load_buffer_flags(data, len, path, flags, doc, err, errlen);
  free(data);
  return rc;
}

const dtw_yaml_node_t *dtw_yaml_get(const dtw_yaml_node_t *map, const char *key) {
  if (map == NULL || key == NULL || map->kind != DTW_YAML_MAPPING) return NULL;
  for (size_t i = 0; i < map->count; i++)
    if (strcmp(map->keys[i]->text, key) == 0) return map->items[i];
  return NULL;
}

/* ---- scalar text -> values (YAML 1.2 core schema) ---- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int dtw_yaml_parse_bool(const char *text, bool *out) {
  if (text == NULL) return DTW_EPARSE;
  if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE")) {
    *out = true;
    return 0;
  }
  if (!strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "FALSE")) {
    *out = false;
    return 0;
  }
  return DTW_EPARSE;
}

int dtw_yaml_parse_int64(const char *text, int64_t *out) {
  if (text == NULL || text[0] == '\0') return DTW_EPARSE;
  const char *p = text;
  uint64_t base = 10, limit = (uint64_t)INT64_MAX, v = 0;
  bool neg = false;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
    base = p[1] == 'x' ? 16 : 8;
    p += 2;
  } else if (*p == '-' || *p == '+') {
    neg = *p == '-';
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    p++;
  }
  if (*p == '\0') return DTW_EPARSE;
  for (; *p != '\0'; p++) {
    int d = hex_value(*p);
    if (d < 0 || (uint64_t)d >= base) return DTW_EPARSE;
    if (v > (limit - (uint64_t)d) / base) return DTW_EPARSE; /* overflow */
    v = v * base + (uint64_t)d;
  }
  /* -(INT64_MAX+1) without signed overflow */
  *out = neg ? (v == 0 ? 0 : -(int64_t)(v - 1) - 1) : (int64_t)v;
  return 0;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_core_float(const char *p) {
  if (*p == '-' || *p == '+') p++;
  size_t int_digits = 0, frac_digits = 0;
  while (is_digit(*p)) p++, int_digits++;
  if (*p == '.') {
    p++;
    while (is_digit(*p)) p++, frac_digits++;
    if (int_digits == 0 && frac_digits == 0) return false;
  } else if (int_digits == 0) {
    return false;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '-' || *p == '+') p++;
    if (!is_digit(*p)) return false;
    while (is_digit(*p)) p++;
  }
  return *p == '\0';
}

int dtw_yaml_parse_double(const char *text, double *out) {
  if (text == NULL || text[0] == '\0') return DTW_EPARSE;
  if (is_core_float(text)) {
    errno = 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == NULL || *end != '\0') return DTW_EPARSE;
    if (errno == ERANGE && isinf(v)) return DTW_EPARSE; /* 1e999: not a finite number */
    *out = v;
    return 0;
  }
  const char *p = text;
  bool neg = false;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
    *out = neg ? -INFINITY : INFINITY;
    return 0;
  }
  if (p == text && (!strcmp(p, ".nan") || !strcmp(p, ".NaN") || !strcmp(p, ".NAN"))) {
    *out = NAN;
    return 0;
  }
  int64_t i;
  if (dtw_yaml_parse_int64(text, &i) == 0) { /* 0x.. and 0o.. */
    *out = (double)i;
    return 0;
  }
  return DTW_EPARSE;
}

/* ---- typed accessors ---- */

static const char *kind_name(dtw_yaml_kind_t k) {
  return k == DTW_YAML_MAPPING ? "a mapping" : k == DTW_YAML_SEQUENCE ? "a sequence" : "a scalar";
}

/* Common refusal for the typed reads; expected is e.g. "a number". */
static int as_fail(const dtw_yaml_node_t *n, const char *expected, char *err, size_t errlen) {
  if (n == NULL) return dtw_errf(err, errlen, DTW_EPARSE, "missing value: expected %s", expected);
  const char *file = n->file != NULL ? n->file : "<yaml>";
  if (n->kind != DTW_YAML_SCALAR)
    return dtw_errf(err, errlen, DTW_EPARSE, "%s:%d: expected %s, got %s", file, n->line,
                    expected, kind_name(n->kind));
  if (n->quoted)
    return dtw_errf(err, errlen, DTW_EPARSE, "%s:%d: '%.64s': expected %s, got a quoted string",
                    file, n->line, n->text, expected);
  return dtw_errf(err, errlen, DTW_EPARSE, "%s:%d: '%.64s': expected %s", file, n->line, n->text,
                  expected);
}

static bool plain_scalar(const dtw_yaml_node_t *n) {
  return n != NULL && n->kind == DTW_YAML_SCALAR && !n->quoted;
}

int dtw_yaml_as_double(const dtw_yaml_node_t *n, double *out, char *err, size_t errlen) {
  if (!plain_scalar(n) || dtw_yaml_parse_double(n->text, out) < 0)
    return as_fail(n, "a number", err, errlen);
  return 0;
}

int dtw_yaml_as_int64(const dtw_yaml_node_t *n, int64_t *out, char *err, size_t errlen) {
  if (!plain_scalar(n) || dtw_yaml_parse_int64(n->text, out) < 0)
    return as_fail(n, "an integer", err, errlen);
  return 0;
}

int dtw_yaml_as_bool(const dtw_yaml_node_t *n, bool *out, char *err, size_t errlen) {
  if (!plain_scalar(n) || dtw_yaml_parse_bool(n->text, out) < 0)
    return as_fail(n, "true or false", err, errlen);
  return 0;
}

int dtw_yaml_as_string(const dtw_yaml_node_t *n, const char **out, char *err, size_t errlen) {
  if (n == NULL || n->kind != DTW_YAML_SCALAR) return as_fail(n, "a string", err, errlen);
  *out = n->text;
  return 0;
}
