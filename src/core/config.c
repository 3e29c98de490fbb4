/* Configuration: parameter tables, ROS 2 parameter files, overrides, dump and docs. */
#include "dtw/config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/yaml.h"
#include "config__internal.h"


/* A value being staged by a file load: where it was set in this file, and by whom. */
typedef struct {
  val_t v;
  int line; /* 0: not set by this file */
  bool wild;
} stage_t;

/* Every problem of one load, one per line in the caller's buffer. */
typedef struct {
  char *buf;
  size_t len;
  size_t used;
  int count;
  int first;
} problems_t;


static int val_copy(val_t *dst, const val_t *src) {
  *dst = *src;
  dst->s = NULL;
  if (src->s != NULL && (dst->s = strdup(src->s)) == NULL) return DTW_ENOMEM;
  return 0;
}

__attribute__((format(printf, 3, 4))) static void problem(problems_t *p, int code,
                                                           const char *fmt, ...) {
  if (p->count++ == 0) p->first = code;
  if (p->buf == NULL || p->len == 0 || p->used + 1 >= p->len) return;
  if (p->used > 0) {
    p->buf[p->used++] = '\n';
    p->buf[p->used] = '\0';
  }
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(p->buf + p->used, p->len - p->used, fmt, ap);
  va_end(ap);
  if (n > 0) p->used += (size_t)n < p->len - p->used ? (size_t)n : p->len - p->used - 1;
}

/* ---- names ---- */

static bool is_wildcard(const char *node) { return !strcmp(node, "/**") || !strcmp(node, "**"); }

static int find_node(const dtw_config_t *cfg, const char *name) {
  if (name[0] == '/') name++;
  for (size_t i = 0; i < cfg->n_nodes; i++)
    if (!strcmp(cfg->nodes[i].table->node, name)) return (int)i;
  return -1;
}

/* Levenshtein distance for "did you mean"; SIZE_MAX for names too long to bother. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t row[NAME_LEN + 1];
  if (la > NAME_LEN || lb > NAME_LEN) return SIZE_MAX;
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* True (and best_d updated) if cand is closer to name than before and close
 * enough to be a typo. */
static bool closer(const char *name, const char *cand, size_t *best_d) {
  size_t d = edit_distance(name, cand);
  size_t len = strlen(name);
  if (d == SIZE_MAX || d == 0 || d >= len || (d > 2 && d > len / 3) || d >= *best_d)
    return false;
  *best_d = d;
  return true;
}

/* " (did you mean 'x'?)" or "" */
static void suggest_node(const dtw_config_t *cfg, const char *name, char *buf, size_t len) {
  const char *best = NULL;
  size_t best_d = SIZE_MAX;
  if (name[0] == '/') name++;
  for (size_t i = 0; i < cfg->n_nodes; i++)
    if (closer(name, cfg->nodes[i].table->node, &best_d)) best = cfg->nodes[i].table->node;
  if (best != NULL)
    snprintf(buf, len, " (did you mean '%s'?)", best);
  else
    buf[0] = '\0';
}

/* node_idx < 0: look in every node (wildcard). */
static void suggest_param(const dtw_config_t *cfg, int node_idx, const char *name, char *buf,
                          size_t len) {
  char best[NAME_LEN] = "", cand[NAME_LEN];
  size_t best_d = SIZE_MAX;
  for (size_t n = 0; n < cfg->n_nodes; n++) {
    if (node_idx >= 0 && (size_t)node_idx != n) continue;
    const dtw_param_table_t *t = cfg->nodes[n].table;
    for (size_t i = 0; i < t->n_params; i++) {
      dtw__config_dotted_name(t->params[i].name, cand, sizeof cand);
      if (closer(name, cand, &best_d)) memcpy(best, cand, sizeof best);
    }
  }
  if (best[0] != '\0')
    snprintf(buf, len, " (did you mean '%s'?)", best);
  else
    buf[0] = '\0';
}

/* ---- create / register ---- */

int dtw_config_create(dtw_config_t **out) {
  if (out == NULL) return DTW_EINVAL;
  *out = calloc(1, sizeof **out);
  return *out == NULL ? DTW_ENOMEM : 0;
}

static void node_fini(cfg_node_t *n) {
  for (size_t i = 0; n->table != NULL && i < n->table->n_params; i++) {
    if (n->file != NULL) dtw__config_val_clear(&n->file[i]);
    if (n->over != NULL) dtw__config_val_clear(&n->over[i]);
  }
  free(n->file);
  free(n->over);
}

void dtw_config_destroy(dtw_config_t *cfg) {
  if (cfg == NULL) return;
  for (size_t i = 0; i < cfg->n_nodes; i++) node_fini(&cfg->nodes[i]);
  free(cfg->nodes);
  free(cfg);
}

static size_t type_size_ok(const dtw_param_spec_t *sp) {
  switch (sp->type) {
  case DTW_PT_BOOL: return sp->size == sizeof(bool);
  case DTW_PT_INT: return sp->size == sizeof(int64_t);
  case DTW_PT_DOUBLE: return sp->size == sizeof(double);
  case DTW_PT_STRING:
  case DTW_PT_ENUM: return sp->size >= 1;
  }
  return 0;
}

/* A table is code, so its mistakes are programming errors: say which and refuse it. */
static int check_table(const dtw_config_t *cfg, const dtw_param_table_t *t, char *why,
                       size_t len) {
  char a[NAME_LEN], b[NAME_LEN], msg[MSG_LEN];
  if (t->node == NULL || t->node[0] == '\0' || strchr(t->node, '.') != NULL ||
      strchr(t->node, '/') != NULL || strchr(t->node, '*') != NULL)
    return dtw_errf(why, len, DTW_EINVAL, "bad node name '%s'", t->node ? t->node : "(null)");
  if (find_node(cfg, t->node) >= 0)
    return dtw_errf(why, len, DTW_EINVAL, "node '%s' is already registered", t->node);
  if (t->n_params > 0 && t->params == NULL)
    return dtw_errf(why, len, DTW_EINVAL, "%s: no parameter array", t->node);
  for (size_t i = 0; i < t->n_params; i++) {
    const dtw_param_spec_t *sp = &t->params[i];
    if (sp->name == NULL || sp->name[0] == '\0' || strlen(sp->name) >= NAME_LEN)
      return dtw_errf(why, len, DTW_EINVAL, "%s: parameter %zu has a bad name", t->node, i);
    if (!type_size_ok(sp) || sp->offset + sp->size > t->struct_size)
      return dtw_errf(why, len, DTW_EINVAL, "%s.%s: bad type, size or offset", t->node,
                      sp->name);
    if (sp->min > sp->max)
      return dtw_errf(why, len, DTW_EINVAL, "%s.%s: min > max", t->node, sp->name);
    if (sp->type == DTW_PT_ENUM && (sp->choices == NULL || sp->choices[0] == '\0'))
      return dtw_errf(why, len, DTW_EINVAL, "%s.%s: enum without choices", t->node, sp->name);
    if (sp->type == DTW_PT_STRING && sp->choices != NULL &&
        dtw__config_format_name(sp->choices) == NULL)
      return dtw_errf(why, len, DTW_EINVAL, "%s.%s: unknown string format '%s'", t->node,
                      sp->name, sp->choices);
    val_t v;
    if (sp->def == NULL) /* "required" is for files with their own reader */
      return dtw_errf(why, len, DTW_EINVAL, "%s.%s: no default", t->node, sp->name);
    if (dtw__config_default_value(sp, &v, msg, sizeof msg) < 0)
      return dtw_errf(why, len, DTW_EINVAL, "%s.%s: bad default: %s", t->node, sp->name, msg);
    dtw__config_val_clear(&v);
    dtw__config_dotted_name(sp->name, a, sizeof a);
    size_t la = strlen(a);
    for (size_t j = 0; j < t->n_params; j++) {
      if (j == i) continue;
      dtw__config_dotted_name(t->params[j].name, b, sizeof b);
      if (!strcmp(a, b))
        return dtw_errf(why, len, DTW_EINVAL, "%s.%s: defined twice", t->node, a);
      if (!strncmp(a, b, la) && b[la] == '.')
        return dtw_errf(why, len, DTW_EINVAL, "%s.%s: is both a parameter and a group (%s)",
                        t->node, a, b);
    }
  }
  return 0;
}

int dtw_config_register(dtw_config_t *cfg, const dtw_param_table_t *table) {
  char why[MSG_LEN];
  if (cfg == NULL || table == NULL) return DTW_EINVAL;
  int rc = check_table(cfg, table, why, sizeof why);
  if (rc < 0) {
    DTW_ERROR("config", "refusing parameter table: %s", why);
    return rc;
  }
  if (cfg->n_nodes == cfg->cap) {
    size_t ncap = cfg->cap == 0 ? 8 : cfg->cap * 2;
    cfg_node_t *nodes = realloc(cfg->nodes, ncap * sizeof *nodes);
    if (nodes == NULL) return DTW_ENOMEM;
    cfg->nodes = nodes;
    cfg->cap = ncap;
  }
  size_t n = table->n_params > 0 ? table->n_params : 1;
  cfg_node_t node = {table, calloc(n, sizeof(val_t)), calloc(n, sizeof(val_t))};
  if (node.file == NULL || node.over == NULL) {
    free(node.file);
    free(node.over);
    return DTW_ENOMEM;
  }
  cfg->nodes[cfg->n_nodes++] = node;
  return 0;
}

/* ---- loading files ---- */

typedef struct {
  const dtw_config_t *cfg;
  stage_t *stage;
  size_t *base; /* node i's first parameter in stage */
  problems_t *pr;
  const char *file;
  bool wild; /* the entry being read is the wildcard's */
} loader_t;

static stage_t *staged(loader_t *L, size_t node, int param) {
  return &L->stage[L->base[node] + (size_t)param];
}

static void apply_value(loader_t *L, size_t node, int param, const val_t *v, int line) {
  stage_t *st = staged(L, node, param);
  dtw__config_val_clear(&st->v);
  st->v = *v;
  st->line = line;
  st->wild = L->wild;
}

static bool any_node_has(const loader_t *L, int node_idx, const char *name) {
  for (size_t n = 0; n < L->cfg->n_nodes; n++) {
    if (node_idx >= 0 && (size_t)node_idx != n) continue;
    if (dtw_param_find(L->cfg->nodes[n].table, name) >= 0) return true;
  }
  return false;
}

/* One leaf of ros__parameters: check it against the node (or every node, wildcard). */
static void load_leaf(loader_t *L, int node_idx, const char *label, const char *name,
                      const dtw_yaml_node_t *key, const dtw_yaml_node_t *val) {
  char msg[MSG_LEN], hint[NAME_LEN + 32], exp[320];
  if (!any_node_has(L, node_idx, name)) {
    suggest_param(L->cfg, node_idx, name, hint, sizeof hint);
    problem(L->pr, DTW_ENOENT, "%s:%d: %s.%s: unknown parameter%s%s", L->file, key->line, label,
            name, node_idx < 0 ? " (no registered node has it)" : "", hint);
    return;
  }
  for (size_t n = 0; n < L->cfg->n_nodes; n++) {
    if (node_idx >= 0 && (size_t)node_idx != n) continue;
    const dtw_param_table_t *t = L->cfg->nodes[n].table;
    int p = dtw_param_find(t, name);
    if (p < 0) continue;
    const dtw_param_spec_t *sp = &t->params[p];
    char also[NAME_LEN + 16] = "";
    if (node_idx < 0) snprintf(also, sizeof also, " (for node %s)", t->node);
    if (val->kind != DTW_YAML_SCALAR) {
      dtw__config_describe_expected(sp, exp, sizeof exp);
      problem(L->pr, DTW_EPARSE, "%s:%d: %s.%s: got a %s (expected %s)%s", L->file, val->line,
              label, name, val->kind == DTW_YAML_SEQUENCE ? "sequence" : "mapping", exp, also);
      continue;
    }
    stage_t *st = staged(L, n, p);
    if (st->line != 0 && st->wild == L->wild) {
      problem(L->pr, DTW_EPARSE, "%s:%d: %s.%s: set twice (first at line %d)%s", L->file,
              key->line, label, name, st->line, also);
      continue;
    }
    val_t v;
    int rc = dtw__config_value_from_scalar(sp, val->text, val->quoted, &v, msg, sizeof msg);
    if (rc < 0) {
      problem(L->pr, rc, "%s:%d: %s.%s: %s%s", L->file, val->line, label, name, msg, also);
      continue;
    }
    if (L->wild && st->line != 0 && !st->wild) { /* the node's own entry wins */
      dtw__config_val_clear(&v);
      continue;
    }
    apply_value(L, n, p, &v, val->line);
  }
}

/* Walk a ros__parameters mapping, flattening nested maps to dotted names. */
static void load_params(loader_t *L, int node_idx, const char *label, const dtw_yaml_node_t *map,
                        const char *prefix) {
  char name[NAME_LEN];
  for (size_t i = 0; i < map->count; i++) {
    const dtw_yaml_node_t *key = map->keys[i], *val = map->items[i];
    int n = snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "", key->text);
    if (n < 0 || (size_t)n >= sizeof name) {
      problem(L->pr, DTW_ENOENT, "%s:%d: %s.%.64s...: parameter name too long", L->file,
              key->line, label, name);
      continue;
    }
    /* a mapping is a group, unless it sits where a parameter is */
    if (val->kind == DTW_YAML_MAPPING && !any_node_has(L, node_idx, name))
      load_params(L, node_idx, label, val, name);
    else
      load_leaf(L, node_idx, label, name, key, val);
  }
}

/* One top-level entry "node: ros__parameters: {...}". */
static void load_node(loader_t *L, const dtw_yaml_node_t *key, const dtw_yaml_node_t *val) {
  char hint[NAME_LEN + 32];
  int idx = -1;
  const char *label = "/**";
  if (!is_wildcard(key->text)) {
    idx = find_node(L->cfg, key->text);
    if (idx < 0) {
      suggest_node(L->cfg, key->text, hint, sizeof hint);
      problem(L->pr, DTW_ENOENT, "%s:%d: %.128s: unknown node%s", L->file, key->line, key->text,
              hint);
      return;
    }
    label = L->cfg->nodes[idx].table->node;
  }
  const dtw_yaml_node_t *params = dtw_yaml_get(val, "ros__parameters");
  if (params == NULL) {
    problem(L->pr, DTW_EPARSE, "%s:%d: %s: missing ros__parameters (expected %s: ros__parameters: "
            "{...})", L->file, key->line, label, key->text);
    return;
  }
  for (size_t i = 0; i < val->count; i++)
    if (strcmp(val->keys[i]->text, "ros__parameters") != 0)
      problem(L->pr, DTW_EPARSE, "%s:%d: %s.%.128s: unexpected key (expected only "
              "ros__parameters)", L->file, val->keys[i]->line, label, val->keys[i]->text);
  if (params->kind == DTW_YAML_MAPPING) {
    load_params(L, idx, label, params, "");
  } else if (!(params->kind == DTW_YAML_SCALAR && !params->quoted && params->text[0] == '\0')) {
    problem(L->pr, DTW_EPARSE, "%s:%d: %s.ros__parameters: expected a mapping of parameters",
            L->file, params->line, label);
  }
}

/* Validate a whole document into stage, in file order. */
static void load_doc(loader_t *L, const dtw_yaml_node_t *root) {
  if (root == NULL) return;
  if (root->kind != DTW_YAML_MAPPING) {
    problem(L->pr, DTW_EPARSE, "%s:%d: expected a mapping of node names (node: "
            "ros__parameters: {...})", L->file, root->line);
    return;
  }
  for (size_t i = 0; i < root->count; i++) {
    L->wild = is_wildcard(root->keys[i]->text);
    load_node(L, root->keys[i], root->items[i]);
  }
}

static int load_parsed(dtw_config_t *cfg, const dtw_yaml_doc_t *doc, char *err, size_t errlen) {
  int rc = 0;
  size_t total = 0;
  size_t *base = calloc(cfg->n_nodes + 1, sizeof *base);
  if (base == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  for (size_t n = 0; n < cfg->n_nodes; n++) {
    base[n] = total;
    total += cfg->nodes[n].table->n_params;
  }
  stage_t *stage = calloc(total + 1, sizeof *stage);
  if (stage == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto out_base;
  }
  /* start from the current file values so files layer */
  for (size_t n = 0; n < cfg->n_nodes; n++)
    for (size_t p = 0; p < cfg->nodes[n].table->n_params; p++)
      if (val_copy(&stage[base[n] + p].v, &cfg->nodes[n].file[p]) < 0) {
        rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
        goto out_stage;
      }
  if (err != NULL && errlen > 0) err[0] = '\0';
  problems_t pr = {.buf = err, .len = errlen};
  loader_t L = {cfg, stage, base, &pr, doc->file != NULL ? doc->file : "<config>", false};
  load_doc(&L, doc->root);
  if (pr.count > 0) {
    rc = pr.first;
    goto out_stage;
  }
  /* commit: swap staged values in */
  for (size_t n = 0; n < cfg->n_nodes; n++)
    for (size_t p = 0; p < cfg->nodes[n].table->n_params; p++) {
      dtw__config_val_clear(&cfg->nodes[n].file[p]);
      cfg->nodes[n].file[p] = stage[base[n] + p].v;
      stage[base[n] + p].v.s = NULL;
    }
out_stage:
  for (size_t i = 0; i < total; i++) dtw__config_val_clear(&stage[i].v);
  free(stage);
out_base:
  free(base);
  return rc;
}

int dtw_config_load_buffer(dtw_config_t *cfg, const char *data, size_t len, const char *name,
                           char *err, size_t errlen) {
  if (cfg == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "dtw_config_load_buffer: no config");
  dtw_yaml_doc_t doc = {0};
  int rc = dtw_yaml_load_buffer(data, len, name, &doc, err, errlen);
  if (rc < 0) return rc;
  rc = load_parsed(cfg, &doc, err, errlen);
  dtw_yaml_free(&doc);
  return rc;
}

int dtw_config_load_file(dtw_config_t *cfg, const char *path, char *err, size_t errlen) {
  if (cfg == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "dtw_config_load_file: no config");
  dtw_yaml_doc_t doc = {0};
  int rc = dtw_yaml_load_file(path, &doc, err, errlen);
  if (rc < 0) return rc;
  rc = load_parsed(cfg, &doc, err, errlen);
  dtw_yaml_free(&doc);
  return rc;
}

/* ---- overrides ---- */

int dtw_config_set(dtw_config_t *cfg, const char *assignment, char *err, size_t errlen) {
  char lhs[NAME_LEN + 8], msg[MSG_LEN], hint[NAME_LEN + 32], exp[320];
  if (cfg == NULL || assignment == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_config_set: invalid argument");
  const char *eq = strchr(assignment, '=');
  size_t ll = eq != NULL ? (size_t)(eq - assignment) : 0;
  if (eq == NULL || ll == 0 || ll >= sizeof lhs)
    return dtw_errf(err, errlen, DTW_EINVAL, "--set %.200s: expected node.param=value",
                    assignment);
  memcpy(lhs, assignment, ll);
  lhs[ll] = '\0';
  /* split "node.param"; node names have no dots; the wildcard is slash-star-star */
  char *dot = strchr(lhs, '.');
  if (dot == NULL || dot[1] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "--set %.200s: expected node.param=value",
                    assignment);
  *dot = '\0';
  const char *node = lhs, *param = dot + 1;
  int idx = -1;
  if (!is_wildcard(node)) {
    idx = find_node(cfg, node);
    if (idx < 0) {
      suggest_node(cfg, node, hint, sizeof hint);
      return dtw_errf(err, errlen, DTW_ENOENT, "--set %.200s: %s: unknown node%s", assignment,
                      node, hint);
    }
    node = cfg->nodes[idx].table->node;
  }

  dtw_yaml_doc_t doc = {0};
  int rc = dtw_yaml_load_buffer(eq + 1, strlen(eq + 1), "--set", &doc, msg, sizeof msg);
  if (rc < 0) return dtw_errf(err, errlen, rc, "--set %.200s: %s", assignment, msg);
  const dtw_yaml_node_t *root = doc.root;
  const char *text = root != NULL ? root->text : "";
  bool quoted = root != NULL && root->quoted;

  /* validate for every target first, then apply: all or nothing */
  bool found = false;
  for (size_t pass = 0; pass < 2 && rc == 0; pass++) {
    for (size_t n = 0; n < cfg->n_nodes; n++) {
      if (idx >= 0 && (size_t)idx != n) continue;
      const dtw_param_table_t *t = cfg->nodes[n].table;
      int p = dtw_param_find(t, param);
      if (p < 0) continue;
      found = true;
      const dtw_param_spec_t *sp = &t->params[p];
      if (root != NULL && root->kind != DTW_YAML_SCALAR) {
        dtw__config_describe_expected(sp, exp, sizeof exp);
        rc = dtw_errf(err, errlen, DTW_EPARSE, "--set %.200s: %s.%s: got a %s (expected %s)",
                      assignment, t->node, param,
                      root->kind == DTW_YAML_SEQUENCE ? "sequence" : "mapping", exp);
        break;
      }
      val_t v;
      rc = dtw__config_value_from_scalar(sp, text, quoted, &v, msg, sizeof msg);
      if (rc < 0) {
        dtw_errf(err, errlen, rc, "--set %.200s: %s.%s: %s", assignment, t->node, param, msg);
        break;
      }
      if (pass == 0) {
        dtw__config_val_clear(&v);
      } else {
        dtw__config_val_clear(&cfg->nodes[n].over[p]);
        cfg->nodes[n].over[p] = v;
      }
    }
    if (!found) {
      suggest_param(cfg, idx, param, hint, sizeof hint);
      rc = dtw_errf(err, errlen, DTW_ENOENT, "--set %.200s: %s.%s: unknown parameter%s",
                    assignment, node, param, hint);
    }
  }
  dtw_yaml_free(&doc);
  return rc;
}

/* ---- reading ---- */

int dtw_config_get(const dtw_config_t *cfg, const char *node, void *out, char *err,
                   size_t errlen) {
  if (cfg == NULL || node == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_config_get: invalid argument");
  int idx = find_node(cfg, node);
  if (idx < 0) return dtw_errf(err, errlen, DTW_ENOENT, "unknown node '%.128s'", node);
  const cfg_node_t *n = &cfg->nodes[idx];
  int rc = dtw_param_defaults(n->table, out);
  if (rc < 0) return dtw_errf(err, errlen, rc, "%s: bad default in parameter table", node);
  for (size_t i = 0; i < n->table->n_params; i++) {
    if (n->file[i].set) dtw__config_store_value(&n->table->params[i], &n->file[i], out);
    if (n->over[i].set) dtw__config_store_value(&n->table->params[i], &n->over[i], out);
  }
  return 0;
}
