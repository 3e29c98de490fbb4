/* dtw/yaml.h - a small read-only YAML document tree that remembers where each
 * node came from, so every consumer can report "file:line: ...".
 *
 * Built on libyaml's event parser. Anchors/aliases and tags are refused (the
 * config and trajectory files never need them) unless a reader asks for them. Scalars keep their text;
 * typed accessors convert on demand and refuse what does not fit.
 * A document owns all its nodes: free it with dtw_yaml_free(). Not thread-safe
 * to build; read-only access from several threads is fine. */
#ifndef DTW_YAML_H
#define DTW_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits that keep hostile input cheap: deeper nesting or more nodes is refused
 * with DTW_EUNSUP. */
#define DTW_YAML_MAX_DEPTH 64
#define DTW_YAML_MAX_NODES 4000000

typedef enum { DTW_YAML_SCALAR, DTW_YAML_SEQUENCE, DTW_YAML_MAPPING } dtw_yaml_kind_t;

typedef struct dtw_yaml_node dtw_yaml_node_t;
struct dtw_yaml_node {
  dtw_yaml_kind_t kind;
  int line;              /* 1-based line of the node's first character */
  int column;            /* 1-based */
  const char *file;      /* the document's file name (owned by the document) */
  /* SCALAR */
  char *text;            /* NUL-terminated scalar text */
  bool quoted;           /* quoted or block (| >) scalar: never a number/bool */
  char *tag;             /* explicit tag ("!degrees", "tag:yaml.org,2002:str") with
                            DTW_YAML_KEEP_TAGS, else NULL */
  const dtw_yaml_node_t *alias; /* with DTW_YAML_ALIASES: an alias (*name) is a node of
                            its anchor's kind whose alias points at the anchored node
                            (not owned, no children of its own); else NULL */
  /* SEQUENCE: items[0..count); MAPPING: keys[i] -> items[i] (keys are scalars) */
  size_t count;
  dtw_yaml_node_t **items;
  dtw_yaml_node_t **keys;
};

typedef struct dtw_yaml_doc {
  dtw_yaml_node_t *root;  /* NULL for an empty document */
  char *file;
} dtw_yaml_doc_t;

/* Parse a file / a buffer. name is used in messages. Returns 0 or DTW_ENOENT,
 * DTW_EIO, DTW_EPARSE, DTW_EUNSUP, DTW_ENOMEM with a "file:line:col: ..." message.
 * Refused (DTW_EUNSUP): anchors, aliases, tags, non-scalar mapping keys, more
 * than one document, nesting/node limits above. Refused (DTW_EPARSE): syntax
 * errors, duplicate mapping keys, scalars containing NUL. A document holding
 * nothing (or only an empty plain scalar) has root NULL. doc must be zeroed
 * or freed; it is only written on success. Allocates; free with dtw_yaml_free. */
int dtw_yaml_load_file(const char *path, dtw_yaml_doc_t *doc, char *err, size_t errlen);
int dtw_yaml_load_buffer(const char *data, size_t len, const char *name,
                         dtw_yaml_doc_t *doc, char *err, size_t errlen);
/* Flags for the _flags variants. DTW_YAML_KEEP_TAGS: accept explicit tags and keep
 * them in node->tag (for readers with their own tags, such as xacro's !degrees).
 * DTW_YAML_DUPLICATE_KEYS: a repeated mapping key is kept as another entry instead of
 * refused (for readers that let the last one win, as PyYAML does). */
#define DTW_YAML_KEEP_TAGS 1u
#define DTW_YAML_DUPLICATE_KEYS 2u
/* DTW_YAML_ALIASES: anchors (&name) and aliases (*name) are accepted; an alias shares its
 * anchored node (see node->alias) instead of copying it, so alias bombs stay small. An
 * alias must follow its anchor's end (no recursive structures). */
#define DTW_YAML_ALIASES 4u
int dtw_yaml_load_file_flags(const char *path, unsigned flags, dtw_yaml_doc_t *doc, char *err,
                             size_t errlen);
int dtw_yaml_load_buffer_flags(const char *data, size_t len, const char *name, unsigned flags,
                               dtw_yaml_doc_t *doc, char *err, size_t errlen);
/* Free all nodes; safe on a zeroed doc. */
void dtw_yaml_free(dtw_yaml_doc_t *doc);

/* Mapping lookup by key; NULL if node is not a mapping or the key is absent. */
const dtw_yaml_node_t *dtw_yaml_get(const dtw_yaml_node_t *map, const char *key);

/* Typed scalar reads. Each returns 0 or DTW_EPARSE with "file:line: '<text>': expected ..."
 * (or "...: expected a number, got a mapping"). Quoted scalars are never numbers
 * or bools. n may be NULL (reported as a missing value). */
int dtw_yaml_as_double(const dtw_yaml_node_t *n, double *out, char *err, size_t errlen);
int dtw_yaml_as_int64(const dtw_yaml_node_t *n, int64_t *out, char *err, size_t errlen);
int dtw_yaml_as_bool(const dtw_yaml_node_t *n, bool *out, char *err, size_t errlen);
/* Plain scalar text (any scalar); DTW_EPARSE if not a scalar. */
int dtw_yaml_as_string(const dtw_yaml_node_t *n, const char **out, char *err, size_t errlen);

/* Parse scalar text the way the accessors do (YAML 1.2 core schema: true/True/TRUE,
 * false/...; ints [-+]?[0-9]+, 0x.., 0o..; floats incl. 1e3, .5, .inf, -.inf,
 * .nan; a double also accepts any int). Out-of-range ints and doubles that
 * overflow to infinity are refused. Return 0 or DTW_EPARSE; *out untouched then. */
int dtw_yaml_parse_double(const char *text, double *out);
int dtw_yaml_parse_int64(const char *text, int64_t *out);
int dtw_yaml_parse_bool(const char *text, bool *out);

#endif /* DTW_YAML_H */
