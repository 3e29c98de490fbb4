/* xacro_yaml.c - xacro.load_yaml(): a YAML file (parsed by src/core/yaml.c) turned into
 * values typed as PyYAML's safe_load types them (YAML 1.1: yes/no/on/off are bools,
 * 017 is octal, 1e3 without a dot is a string, ~ and null are None), plus xacro's
 * !degrees and !radians tags, whose text is an expression (e.g. "!degrees 90",
 * "!radians pi/2"). Dicts allow dotted access (YamlDictWrapper). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/yaml.h"
#include "model__xacro.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

static int match_word(const char *t, const char *const *words) {
  for (; *words != NULL; words++)
    if (strcmp(t, *words) == 0) return 1;
  return 0;
}

/* digits of a base with '_' allowed anywhere after the first (YAML 1.1) */
static int digits_of(const char *p, int base) {
  int any = 0;
  for (; *p; p++) {
    if (*p == '_') continue;
    int d = isdigit((unsigned char)*p) ? *p - '0'
            : isalpha((unsigned char)*p) ? tolower((unsigned char)*p) - 'a' + 10
                                         : 99;
    if (d >= base) return 0;
    any = 1;
  }
  return any;
}

/* Copy without underscores. */
static void strip_us(const char *t, char *buf, size_t n) {
  size_t k = 0;
  for (; *t && k + 1 < n; t++)
    if (*t != '_') buf[k++] = *t;
  buf[k] = '\0';
}

/* sexagesimal "1:30:15" (YAML 1.1 base 60) */
static int sexagesimal(const char *t, int is_float, double *out) {
  const char *colon = strchr(t, ':');
  if (colon == NULL) return 0;
  int neg = *t == '-';
  if (*t == '-' || *t == '+') t++;
  if (*t < '1' || *t > '9') return 0;
  double acc = 0.0;
  char buf[64];
  const char *p = t;
  while (p != NULL) {
    const char *next = strchr(p, ':');
    size_t l = next != NULL ? (size_t)(next - p) : strlen(p);
    if (l == 0 || l >= sizeof buf) return 0;
    memcpy(buf, p, l);
    buf[l] = '\0';
    char *end = NULL;
    double part = is_float && next == NULL ? strtod(buf, &end) : (double)strtoll(buf, &end, 10);
    if (end == NULL || *end != '\0' || (next == NULL && !is_float && strchr(buf, '.') != NULL))
      return 0;
    if (p != t && part >= 60) return 0;
    acc = acc * 60 + part;
    p = next != NULL ? next + 1 : NULL;
  }
  *out = neg ? -acc : acc;
  return 1;
}

/* PyYAML's implicit resolver for a plain scalar. */
static int resolve_plain(const char *t, dtw__xval_t *out) {
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  static const char *const trues[] = {"yes", "Yes", "YES", "true", "True", "TRUE",
                                      "on",  "On",  "ON",  NULL};
  static const char *const falses[] = {"no", "No", "NO", "false", "False", "FALSE",
                                       "off", "Off", "OFF", NULL};
  if (match_word(t, nulls)) {
    dtw__xval_set_none(out);
    return 0;
  }
  if (match_word(t, trues) || match_word(t, falses)) {
    dtw__xval_set_bool(out, match_word(t, trues));
    return 0;
  }
  const char *p = t;
  int neg = 0;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  char buf[128];
  double sx;
  /* ints: 0b.., 0x.., 0.. (octal), decimal, sexagesimal */
  int base = 0;
  const char *digits = NULL;
  if (p[0] == '0' && p[1] == 'b') base = 2, digits = p + 2;
  else if (p[0] == '0' && p[1] == 'x') base = 16, digits = p + 2;
  else if (p[0] == '0' && p[1] != '\0' && digits_of(p + 1, 8)) base = 8, digits = p + 1;
  else if (strcmp(p, "0") == 0 || (p[0] >= '1' && p[0] <= '9' && digits_of(p, 10)))
    base = 10, digits = p;
  if (base != 0 && (base == 10 || digits_of(digits, base)) && strlen(digits) < sizeof buf) {
    strip_us(digits, buf, sizeof buf);
    errno = 0;
    unsigned long long u = strtoull(buf, NULL, base);
    if (errno != ERANGE && u <= (unsigned long long)LLONG_MAX + (neg ? 1u : 0u)) {
      dtw__xval_set_int(out, neg ? (long long)(0 - u) : (long long)u);
      return 0;
    }
    return DTW_ERANGE;
  }
  if (strchr(t, ':') != NULL && strchr(t, '.') == NULL && sexagesimal(t, 0, &sx)) {
    dtw__xval_set_int(out, (long long)sx);
    return 0;
  }
  /* floats: need a '.', an exponent needs its sign; .inf and .nan */
  if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0) {
    dtw__xval_set_float(out, neg ? -INFINITY : INFINITY);
    return 0;
  }
  if (p == t && (strcmp(p, ".nan") == 0 || strcmp(p, ".NaN") == 0 || strcmp(p, ".NAN") == 0)) {
    dtw__xval_set_float(out, NAN);
    return 0;
  }
  if (strchr(t, ':') != NULL && sexagesimal(t, 1, &sx) && strchr(t, '.') != NULL) {
    dtw__xval_set_float(out, sx);
    return 0;
  }
  {
    /* [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?  (a leading dot without a sign only) */
    const char *q = p;
    int lead = 0;
    while (isdigit((unsigned char)*q) || (lead && *q == '_')) q++, lead = 1;
    if (*q == '.' && (lead || p == t)) {
      q++;
      if (!lead && !isdigit((unsigned char)*q)) goto string;
      while (isdigit((unsigned char)*q) || *q == '_') q++;
      if (*q == 'e' || *q == 'E') {
        q++;
        if (*q != '-' && *q != '+') goto string;
        q++;
        if (!isdigit((unsigned char)*q)) goto string;
        while (isdigit((unsigned char)*q)) q++;
      }
      if (*q == '\0' && strlen(t) < sizeof buf) {
        strip_us(t, buf, sizeof buf);
        dtw__xval_set_float(out, strtod(buf, NULL));
        return 0;
      }
    }
  }
string:
  return dtw__xval_set_str(out, t, strlen(t));
}

typedef struct memo {
  const dtw_yaml_node_t *node;
  dtw__xval_t v;
  struct memo *next;
} memo_t;

typedef struct conv {
  long *budget;
  char *err;
  size_t errlen;
  memo_t *memo; /* aliased nodes already converted: aliases share one value */
} conv_t;

static int at(conv_t *c, const dtw_yaml_node_t *n, int code, const char *what, const char *detail) {
  return dtw_errf(c->err, c->errlen, code, "%s:%d:%d: %s%s%s", n->file != NULL ? n->file : "<yaml>",
                  n->line, n->column, what, detail != NULL ? ": " : "",
                  detail != NULL ? detail : "");
}

static int scalar(conv_t *c, const dtw_yaml_node_t *n, dtw__xval_t *out) {
  const char *tag = n->tag;
  int r;
  if (tag == NULL || strcmp(tag, "!") == 0) {
    if (n->quoted || tag != NULL) return dtw__xval_set_str(out, n->text, strlen(n->text));
    r = resolve_plain(n->text, out);
    if (r == DTW_ERANGE) return at(c, n, r, "integer out of 64-bit range", n->text);
    return r;
  }
  if (strcmp(tag, "!degrees") == 0 || strcmp(tag, "!radians") == 0) {
    /* xacro evaluates the text with its global symbols only, then float()s it */
    char msg[256];
    dtw__xexpr_ctx_t ectx = {.budget = c->budget};
    dtw__xval_t v;
    r = dtw__xexpr_eval(n->text, strlen(n->text), &ectx, &v, msg, sizeof msg);
    if (r < 0) return at(c, n, r, tag, msg);
    double x;
    if (v.kind == DTW__XV_FLOAT) x = v.f;
    else if (v.kind == DTW__XV_INT || v.kind == DTW__XV_BOOL) x = (double)v.i;
    else if (v.kind != DTW__XV_STR || dtw__xval_parse_float(v.s, v.len, &x) != 0) {
      dtw__xval_fini(&v);
      return at(c, n, DTW_EPARSE, tag, "not a number");
    }
    dtw__xval_fini(&v);
    dtw__xval_set_float(out, tag[1] == 'd' ? x * M_PI / 180.0 : x);
    return 0;
  }
  if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
    const char *t = tag + strlen(TAG_PREFIX);
    if (strcmp(t, "str") == 0) return dtw__xval_set_str(out, n->text, strlen(n->text));
    dtw__xval_t v;
    if ((r = resolve_plain(n->text, &v)) < 0) return at(c, n, r, "bad value", n->text);
    int ok = (strcmp(t, "null") == 0 && v.kind == DTW__XV_NONE) ||
             (strcmp(t, "bool") == 0 && v.kind == DTW__XV_BOOL) ||
             (strcmp(t, "int") == 0 && v.kind == DTW__XV_INT) ||
             (strcmp(t, "float") == 0 && (v.kind == DTW__XV_FLOAT || v.kind == DTW__XV_INT));
    if (ok && strcmp(t, "float") == 0 && v.kind == DTW__XV_INT) dtw__xval_set_float(&v, (double)v.i);
    if (!ok) {
      dtw__xval_fini(&v);
      return at(c, n, DTW_EPARSE, tag, n->text);
    }
    *out = v;
    return 0;
  }
  return at(c, n, DTW_EUNSUP, "could not determine a constructor for the tag", tag);
}

static int convert(conv_t *c, const dtw_yaml_node_t *n, dtw__xval_t *out);

/* The value of an alias: its anchored node's, converted once and shared. */
static int convert_alias(conv_t *c, const dtw_yaml_node_t *n, dtw__xval_t *out) {
  for (memo_t *m = c->memo; m != NULL; m = m->next)
    if (m->node == n->alias)
      return dtw__xval_copy(out, &m->v) < 0 ? dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory") : 0;
  memo_t *m = calloc(1, sizeof *m);
  if (m == NULL) return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory");
  int r = convert(c, n->alias, &m->v);
  if (r < 0) {
    free(m);
    return r;
  }
  m->node = n->alias;
  m->next = c->memo;
  c->memo = m;
  return dtw__xval_copy(out, &m->v) < 0 ? dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory") : 0;
}

static int is_merge_key(const dtw_yaml_node_t *k) {
  return k->kind == DTW_YAML_SCALAR && !k->quoted && k->tag == NULL && strcmp(k->text, "<<") == 0;
}

/* Entries of dict src into dict dst (copies). */
static int merge_into(conv_t *c, const dtw_yaml_node_t *at_node, dtw__xval_t *dst,
                      const dtw__xval_t *src) {
  if (src->kind != DTW__XV_DICT)
    return at(c, at_node, DTW_EPARSE, "merge key '<<' needs a mapping or a list of mappings", NULL);
  for (size_t k = 0; k < src->o->n; k++) {
    dtw__xval_t key, item;
    if (dtw__xval_copy(&key, &src->o->keys[k]) < 0 || dtw__xval_copy(&item, &src->o->items[k]) < 0 ||
        dtw__xval_append(dst, &key, &item) < 0)
      return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory");
  }
  return 0;
}

static int convert(conv_t *c, const dtw_yaml_node_t *n, dtw__xval_t *out) {
  int r;
  if (c->budget != NULL && --*c->budget < 0)
    return at(c, n, DTW_ERANGE, "expansion work limit exceeded", NULL);
  if (n->alias != NULL) return convert_alias(c, n, out);
  if (n->kind == DTW_YAML_SCALAR) {
    if ((r = scalar(c, n, out)) == DTW_ENOMEM) return dtw_errf(c->err, c->errlen, r, "out of memory");
    return r;
  }
  if (n->tag != NULL && strcmp(n->tag, TAG_PREFIX "map") != 0 &&
      strcmp(n->tag, TAG_PREFIX "seq") != 0)
    return at(c, n, DTW_EUNSUP, "could not determine a constructor for the tag", n->tag);
  int map = n->kind == DTW_YAML_MAPPING;
  if (dtw__xval_new_container(out, map ? DTW__XV_DICT : DTW__XV_LIST, n->count) < 0)
    return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory");
  if (map) out->o->dotted = 1;
  /* PyYAML: merged entries ('<<') first, the mapping's own entries override them */
  for (int pass = map ? 0 : 1; pass < 2; pass++) {
    for (size_t k = 0; k < n->count; k++) {
      dtw__xval_t key, item;
      memset(&key, 0, sizeof key);
      if (map && is_merge_key(n->keys[k]) != (pass == 0)) continue;
      if (pass == 0) {
        if ((r = convert(c, n->items[k], &item)) < 0) goto fail;
        if (item.kind == DTW__XV_LIST) {
          for (size_t j = 0; j < item.o->n && r == 0; j++)
            r = merge_into(c, n->keys[k], out, &item.o->items[j]);
        } else {
          r = merge_into(c, n->keys[k], out, &item);
        }
        dtw__xval_fini(&item);
        if (r < 0) goto fail;
        continue;
      }
      if (map && (r = convert(c, n->keys[k], &key)) < 0) goto fail;
      if (map && (key.kind == DTW__XV_LIST || key.kind == DTW__XV_DICT)) {
        dtw__xval_fini(&key);
        r = at(c, n->keys[k], DTW_EUNSUP, "unhashable mapping key", NULL);
        goto fail;
      }
      if ((r = convert(c, n->items[k], &item)) < 0) {
        dtw__xval_fini(&key);
        goto fail;
      }
      if ((r = dtw__xval_append(out, map ? &key : NULL, &item)) < 0) {
        dtw__xval_fini(&key);
        dtw__xval_fini(&item);
        r = r == DTW_ENOMEM ? dtw_errf(c->err, c->errlen, r, "out of memory")
                            : at(c, n, r, "YAML document too large or too deep", NULL);
        goto fail;
      }
    }
  }
  return 0;
fail:
  dtw__xval_fini(out);
  return r;
}

int dtw__xyaml_load(const char *path, long *budget, dtw__xval_t *out, char *err, size_t errlen) {
  dtw_yaml_doc_t doc = {0};
  int r = dtw_yaml_load_file_flags(
      path, DTW_YAML_KEEP_TAGS | DTW_YAML_DUPLICATE_KEYS | DTW_YAML_ALIASES, &doc, err, errlen);
  if (r < 0) return r;
  conv_t c = {.budget = budget, .err = err, .errlen = errlen};
  if (doc.root == NULL) dtw__xval_set_none(out);
  else r = convert(&c, doc.root, out);
  while (c.memo != NULL) {
    memo_t *m = c.memo;
    c.memo = m->next;
    dtw__xval_fini(&m->v);
    free(m);
  }
  dtw_yaml_free(&doc);
  return r;
}
