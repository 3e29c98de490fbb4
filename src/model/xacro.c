/* xacro.c - expand xacro documents into plain XML (see dtw/xacro.h).
 *
 * The source documents stay untouched; the expansion is built node by node in a
 * new document, following ros/xacro (ROS 2 branch) step by step: xacro elements
 * are recognised by their "xacro:" prefix, properties are evaluated lazily in the
 * table that defines them, macro arguments eagerly at the call site, block
 * arguments are evaluated at the call and again where they are inserted, comments
 * right before a xacro element are dropped. Every recursion (elements, macros,
 * includes, lazy properties) is bounded and all work is charged to one budget so
 * hostile input cannot run away. */
#include "dtw/xacro.h"

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xctx.h"

/* ---- output ---------------------------------------------------------------------------- */

static int process_element(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out,
                           xmlNodePtr attr_target, xmlNodePtr ns_target, const char *rename);

static xmlNsPtr output_ns(xctx_t *c, xmlNodePtr dst, xmlNsPtr want) {
  xmlNsPtr ns = xmlSearchNs(c->out, dst, want->prefix);
  if (ns != NULL && xmlStrEqual(ns->href, want->href)) return ns;
  ns = xmlSearchNsByHref(c->out, dst, want->href);
  if (ns != NULL) return ns;
  return xmlNewNs(dst, want->href, want->prefix);
}

/* ros/xacro's import_xml_namespaces: declarations of src (not xacro's) onto dst. */
void dtw__xlift_namespaces(xmlNodePtr dst, xmlNodePtr src) {
  if (dst == NULL || dst->type != XML_ELEMENT_NODE) return;
  for (xmlNsPtr ns = src->nsDef; ns != NULL; ns = ns->next) {
    if (ns->prefix == NULL || dtw__xis_xacro_ns(ns)) continue;
    int have = 0;
    for (xmlNsPtr d = dst->nsDef; d != NULL; d = d->next)
      if (d->prefix != NULL && xmlStrEqual(d->prefix, ns->prefix)) have = 1;
    if (!have) xmlNewNs(dst, ns->href, ns->prefix);
  }
}

/* ros/xacro's remove_previous_comments: comments right before a xacro element go (across
 * single-newline whitespace), up to the start of this sibling list or the last marker. */
static void remove_previous_comments(xctx_t *c, xmlNodePtr out, xmlNodePtr floor) {
  xmlNodePtr prev = out->last;
  while (prev != NULL && prev != floor && prev != c->barrier) {
    if (prev->type == XML_TEXT_NODE) {
      const xmlChar *t = prev->content;
      int nl = 0, ws = t != NULL && *t != '\0';
      for (const xmlChar *p = t; p != NULL && *p && ws; p++) {
        if (*p == '\n') nl++;
        else if (*p != ' ' && *p != '\t' && *p != '\r') ws = 0;
      }
      if (!ws || nl > 1) return;
      prev = prev->prev;
      if (prev == NULL || prev == floor || prev == c->barrier) return;
    }
    if (prev->type != XML_COMMENT_NODE) return;
    xmlNodePtr gone = prev;
    prev = prev->prev;
    xmlUnlinkNode(gone);
    xmlFreeNode(gone);
  }
}

/* Plain element: copy with evaluated attributes, then its children. */
static int process_plain(xctx_t *c, const env_t *env, xmlNodePtr src, xmlNodePtr out,
                         const char *rename) {
  int r;
  const xmlChar *name = rename != NULL ? (const xmlChar *)rename : src->name;
  if ((r = dtw__xspend_output(c, env->f, src, 1, (size_t)xmlStrlen(name))) < 0) return r;
  xmlNodePtr el = xmlNewDocNode(c->out, NULL, name, NULL);
  if (el == NULL) return dtw__xerr(c, env->f, src, DTW_ENOMEM, "out of memory");
  long line = dtw__xline(src);
  el->line = (unsigned short)(line > 65535 ? 65535 : line);
  if (xmlAddChild(out, el) == NULL) {
    xmlFreeNode(el);
    return dtw__xerr(c, env->f, src, DTW_ENOMEM, "out of memory");
  }
  for (xmlNsPtr ns = src->nsDef; ns != NULL; ns = ns->next)
    if (!dtw__xis_xacro_ns(ns)) xmlNewNs(el, ns->href, ns->prefix);
  if (src->ns != NULL && rename == NULL) el->ns = output_ns(c, el, src->ns);
  for (xmlAttrPtr a = src->properties; a != NULL; a = a->next) {
    if (dtw__xis_xacro_attr(a)) continue;
    xmlChar *raw = xmlNodeListGetString(src->doc, a->children, 1);
    char *val = NULL;
    size_t vlen = 0;
    char what[160];
    snprintf(what, sizeof what, "<%.60s %.60s>", (const char *)name, (const char *)a->name);
    r = dtw__xeval_str(c, env, src, what, raw != NULL ? (const char *)raw : "", &val, &vlen);
    xmlFree(raw);
    if (r < 0) return r;
    if ((r = dtw__xspend_output(c, env->f, src, 1, vlen)) < 0) {
      free(val);
      return r;
    }
    xmlAttrPtr na = a->ns != NULL ? xmlNewNsProp(el, output_ns(c, el, a->ns), a->name,
                                                 (const xmlChar *)val)
                                  : xmlNewProp(el, a->name, (const xmlChar *)val);
    free(val);
    if (na == NULL) return dtw__xerr(c, env->f, src, DTW_ENOMEM, "out of memory");
  }
  return dtw__xprocess_children(c, env, src, el, el, el);
}

/* Copy finished output nodes into out, bounded in depth and counted in the budget. */
static int copy_output(xctx_t *c, const xfile_t *f, xmlNodePtr at, xmlNodePtr node,
                       xmlNodePtr out, xmlNodePtr *copied) {
  long count = 0;
  int depth = 0, maxd = 0;
  size_t bytes = 0;
  /* walk the subtree without recursion */
  xmlNodePtr cur = node;
  while (cur != NULL) {
    count++;
    if (cur->type == XML_ELEMENT_NODE) {
      for (xmlAttrPtr a = cur->properties; a != NULL; a = a->next) count++;
    } else if (cur->content != NULL) {
      bytes += (size_t)xmlStrlen(cur->content);
    }
    if (cur->type == XML_ELEMENT_NODE && cur->children != NULL) {
      cur = cur->children;
      if (++depth > maxd) maxd = depth;
      continue;
    }
    while (cur != node && cur->next == NULL) {
      cur = cur->parent;
      depth--;
    }
    if (cur == node) break;
    cur = cur->next;
  }
  int out_depth = 0;
  for (xmlNodePtr p = out; p != NULL && out_depth <= XACRO_MAX_OUT_DEPTH; p = p->parent)
    out_depth++;
  if (out_depth + maxd > XACRO_MAX_OUT_DEPTH)
    return dtw__xerr(c, f, at, DTW_ERANGE, "xacro:insert_block: output nested deeper than %d",
                XACRO_MAX_OUT_DEPTH);
  int r = dtw__xspend_output(c, f, at, count, bytes);
  if (r < 0) return r;
  if ((r = dtw__xspend_work(c, f, at, count)) < 0) return r;
  xmlNodePtr copy = xmlDocCopyNode(node, c->out, 1);
  if (copy == NULL) return dtw__xerr(c, f, at, DTW_ENOMEM, "out of memory");
  xmlNodePtr added = xmlAddChild(out, copy); /* a text node may merge (and free copy) */
  if (added == NULL) {
    xmlFreeNode(copy);
    return dtw__xerr(c, f, at, DTW_ENOMEM, "out of memory");
  }
  if (copied != NULL) *copied = added == copy ? copy : NULL;
  return 0;
}

/* Evaluate the text and attributes of copied output again, as ros/xacro does when it
 * inserts an (already evaluated) block argument. */
static int reevaluate(xctx_t *c, const env_t *env, xmlNodePtr at, xmlNodePtr node) {
  xmlNodePtr cur = node;
  int r;
  while (cur != NULL) {
    if ((r = dtw__xspend_work(c, env->f, at, 1)) < 0) return r;
    if (cur->type == XML_ELEMENT_NODE) {
      for (xmlAttrPtr a = cur->properties; a != NULL; a = a->next) {
        xmlChar *raw = xmlNodeListGetString(cur->doc, a->children, 1);
        if (raw != NULL && xmlStrchr(raw, '$') != NULL) {
          char *val = NULL;
          r = dtw__xeval_str(c, env, at, "xacro:insert_block", (const char *)raw, &val, NULL);
          if (r == 0) xmlSetNsProp(cur, a->ns, a->name, (const xmlChar *)val);
          free(val);
          if (r < 0) {
            xmlFree(raw);
            return r;
          }
        }
        xmlFree(raw);
      }
    } else if (cur->type == XML_TEXT_NODE && cur->content != NULL &&
               xmlStrchr(cur->content, '$') != NULL) {
      char *val = NULL;
      if ((r = dtw__xeval_str(c, env, at, "xacro:insert_block", (const char *)cur->content, &val,
                        NULL)) < 0)
        return r;
      xmlNodeSetContent(cur, NULL);
      xmlNodeAddContent(cur, (const xmlChar *)val);
      free(val);
    }
    if (cur->type == XML_ELEMENT_NODE && cur->children != NULL) {
      cur = cur->children;
      continue;
    }
    while (cur != node && cur->next == NULL) cur = cur->parent;
    if (cur == node) break;
    cur = cur->next;
  }
  return 0;
}

static int name_defined(scope_t *s, const char *name) {
  entry_t *e = dtw__xscope_find(s, name, NULL);
  return e != NULL || dtw__xexpr_is_global(name);
}

static int define_property(xctx_t *c, const env_t *env, xmlNodePtr n) {
  const char *raw_name = dtw__xattr(n, "name");
  const char *value = dtw__xattr(n, "value");
  const char *def = dtw__xattr(n, "default");
  const char *sc = dtw__xattr(n, "scope");
  const char *rm = dtw__xattr(n, "remove");
  const char *lz = dtw__xattr(n, "lazy_eval");
  char *name = NULL;
  int r, remove = 0, lazy = 1;
  if (raw_name == NULL)
    return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:property: missing attribute 'name'");
  if ((r = dtw__xeval_str(c, env, n, "xacro:property", raw_name, &name, NULL)) < 0) return r;
  if (!dtw__xis_identifier(name)) {
    r = dtw__xerr(c, env->f, n, DTW_EPARSE,
             "xacro:property: property names must be valid python identifiers: '%.60s'", name);
    goto out;
  }
  if (name[0] == '_' && name[1] == '_') {
    r = dtw__xerr(c, env->f, n, DTW_EPARSE,
             "xacro:property: property names must not start with double underscore: '%.60s'", name);
    goto out;
  }
  if ((r = dtw__xeval_bool(c, env, n, "xacro:property remove", rm != NULL ? rm : "false", &remove)) < 0)
    goto out;
  if ((value != NULL) + (def != NULL) + (remove != 0) > 1) {
    r = dtw__xerr(c, env->f, n, DTW_EPARSE,
             "xacro:property: property attributes default, value, and remove are mutually "
             "exclusive: %s",
             name);
    goto out;
  }
  if (remove && name_defined(env->s, name)) {
    /* removed from every table up to the global one */
    for (scope_t *s = env->s; s != NULL; s = s->parent) {
      for (entry_t **pe = &s->head; *pe != NULL; pe = &(*pe)->next) {
        if (strcmp((*pe)->name, name) == 0) {
          entry_t *e = *pe;
          *pe = e->next;
          dtw__xentry_clear(e);
          free(e->name);
          free(e);
          break;
        }
      }
    }
    goto out;
  }
  if (def != NULL) {
    if (name_defined(env->s, name)) goto out;
    value = def;
    sc = NULL; /* ros/xacro warns: defaults are local */
  }
  if ((r = dtw__xeval_bool(c, env, n, "xacro:property lazy_eval", lz != NULL ? lz : "true", &lazy)) < 0)
    goto out;
  scope_t *target = env->s;
  if (sc != NULL && strcmp(sc, "global") == 0) {
    while (target->parent != NULL) target = target->parent;
    lazy = 0;
  } else if (sc != NULL && strcmp(sc, "parent") == 0) {
    if (env->s->parent == NULL) {
      r = dtw__xerr(c, env->f, n, DTW_EPARSE,
               "xacro:property '%s': scope=\"parent\" used in the global scope", name);
      goto out;
    }
    target = env->s->parent;
    lazy = 0;
    if (!env->s->is_ns)
      while (target->is_ns && target->parent != NULL) target = target->parent;
  }
  if (value == NULL) {
    /* property block: the element's children, expanded where inserted */
    char key[140];
    snprintf(key, sizeof key, "**%s", name);
    entry_t *e = dtw__xscope_slot(target, key);
    if (e == NULL) {
      r = dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
    e->kind = ENT_BLOCK;
    e->block = n;
    e->expanded = 0;
    e->file = env->f;
    goto out;
  }
  dtw__xval_t v;
  if (lazy) {
    if (dtw__xval_set_str(&v, value, strlen(value)) < 0) {
      r = dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
  } else {
    char msg[768];
    if ((r = dtw__xtext_eval(c, env->s, value, strlen(value), &v, msg, sizeof msg)) < 0) {
      r = dtw__xerr(c, env->f, n, r, "xacro:property '%s': %s", name, msg);
      goto out;
    }
  }
  r = dtw__xscope_set(target, name, &v, lazy);
  dtw__xval_fini(&v);
  if (r < 0)
    r = dtw__xerr(c, env->f, n, r, r == DTW_EUNSUP ? "xacro:property '%s': a namespace is not a value"
                                              : "xacro:property '%s': out of memory",
             name);
out:
  free(name);
  return r;
}

static int insert_block(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out) {
  const char *name = dtw__xattr(n, "name");
  char key[140];
  int r = 0;
  if (name == NULL)
    return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:insert_block: missing attribute 'name'");
  snprintf(key, sizeof key, "**%.120s", name);
  entry_t *e = dtw__xscope_find(env->s, key, NULL);
  int content_only = 1;
  if (e == NULL || e->kind != ENT_BLOCK) {
    e = dtw__xscope_find(env->s, key + 1, NULL);
    content_only = 0;
  }
  if (e == NULL || e->kind != ENT_BLOCK)
    return dtw__xerr(c, env->f, n, DTW_ENOENT, "xacro:insert_block: undefined block '%.120s'", name);
  if (!e->expanded) {
    env_t benv = {e->file, env->s, env->mt};
    return dtw__xprocess_children(c, &benv, e->block, out, NULL, NULL);
  }
  /* a block argument: its evaluated copy, evaluated once more here */
  xmlNodePtr from = content_only ? e->block->children : e->block;
  for (xmlNodePtr k = from; k != NULL && r == 0; k = content_only ? k->next : NULL) {
    xmlNodePtr copied = NULL;
    if (k->type == XML_TEXT_NODE) {
      /* text is evaluated before it joins a neighbouring text node */
      char *t = NULL;
      size_t tl = 0;
      if ((r = dtw__xeval_str(c, env, n, "xacro:insert_block", (const char *)k->content, &t, &tl)) < 0 ||
          (r = dtw__xspend_output(c, env->f, n, 1, tl)) < 0) {
        free(t);
        break;
      }
      xmlNodePtr tn = xmlNewDocTextLen(c->out, (const xmlChar *)t, (int)tl);
      free(t);
      if (tn == NULL) return dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      xmlAddChild(out, tn);
      continue;
    }
    if ((r = copy_output(c, env->f, n, k, out, &copied)) == 0 && copied != NULL)
      r = reevaluate(c, env, n, copied);
  }
  return r;
}

static int do_arg(xctx_t *c, const env_t *env, xmlNodePtr n) {
  const char *name = dtw__xattr(n, "name");
  const char *def = dtw__xattr(n, "default");
  int r;
  if (name == NULL) return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:arg: missing attribute 'name'");
  if (def == NULL)
    return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:arg '%.60s': missing attribute 'default'", name);
  if (dtw__xarg_find(c, name) != NULL) return 0;
  char *v = NULL;
  size_t vl = 0;
  if ((r = dtw__xeval_str(c, env, n, "xacro:arg", def, &v, &vl)) < 0) return r;
  r = dtw__xarg_add(c, name, strlen(name), v, vl);
  free(v);
  if (r < 0) return dtw__xerr(c, env->f, n, r, "out of memory");
  return 0;
}

static int do_condition(xctx_t *c, const env_t *env, xmlNodePtr n, const char *kind,
                        xmlNodePtr out) {
  const char *value = dtw__xattr(n, "value");
  char what[32];
  int keep, r;
  snprintf(what, sizeof what, "xacro:%s", kind);
  if (value == NULL) return dtw__xerr(c, env->f, n, DTW_EPARSE, "%s: missing attribute 'value'", what);
  if ((r = dtw__xeval_bool(c, env, n, what, value, &keep)) < 0) return r;
  if (strcmp(kind, "unless") == 0) keep = !keep;
  if (!keep) return 0;
  return dtw__xprocess_children(c, env, n, out, NULL, NULL);
}

/* One included file: parsed, its root's attributes evaluated (and dropped), its content
 * expanded in place, its namespace declarations lifted to the including element. */
static int include_one(xctx_t *c, const env_t *env, xmlNodePtr n, const char *path,
                       const env_t *into, xmlNodePtr out, xmlNodePtr ns_target, int optional) {
  char msg[512];
  char *data = NULL;
  size_t dlen = 0;
  int r;
  if (c->inc_depth + 1 >= c->max_inc || c->inc_depth + 1 >= XACRO_MAX_STACK)
    return dtw__xerr(c, env->f, n, DTW_ERANGE, "xacro:include: includes nested deeper than %d ('%.80s')",
                c->max_inc, path);
  char *real = realpath(path, NULL);
  if (real != NULL) {
    for (int i = 0; i <= c->inc_depth; i++) {
      if (strcmp(c->inc_stack[i]->real, real) == 0) {
        free(real);
        return dtw__xerr(c, env->f, n, DTW_EPARSE,
                    "xacro:include: include cycle: '%.200s' is already being included", path);
      }
    }
    free(real);
  }
  if ((r = dtw__xread_file(path, &data, &dlen, msg, sizeof msg)) < 0) {
    if (optional && (r == DTW_ENOENT || r == DTW_EIO)) return 0;
    return dtw__xerr(c, env->f, n, r, "xacro:include: cannot read '%.300s': %s", path, msg);
  }
  xfile_t *inc = dtw__xfile_new(c, path);
  if (inc == NULL) {
    free(data);
    return dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
  r = dtw__xparse_xml(c, inc, data, dlen);
  free(data);
  if (r < 0) return r;
  xmlNodePtr root = xmlDocGetRootElement(inc->doc);
  env_t ienv = {inc, into->s, into->mt};
  c->inc_stack[++c->inc_depth] = inc;
  for (xmlAttrPtr a = root->properties; a != NULL && r == 0; a = a->next) {
    if (dtw__xis_xacro_attr(a)) continue;
    xmlChar *raw = xmlNodeListGetString(root->doc, a->children, 1);
    char *val = NULL;
    r = dtw__xeval_str(c, &ienv, root, "included root attribute", raw != NULL ? (const char *)raw : "",
                 &val, NULL);
    xmlFree(raw);
    free(val);
  }
  if (r == 0) r = dtw__xprocess_children(c, &ienv, root, out, NULL, ns_target);
  c->inc_depth--;
  if (r == 0) dtw__xlift_namespaces(ns_target, root);
  return r;
}

static int cmp_paths(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_include(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out,
                      xmlNodePtr ns_target) {
  const char *spec = dtw__xattr(n, "filename");
  const char *ns = dtw__xattr(n, "ns");
  const char *opt = dtw__xattr(n, "optional");
  char *fname = NULL, *path = NULL, *nsname = NULL;
  int r, optional = 0;
  if (spec == NULL)
    return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:include: missing attribute 'filename'");
  if (opt != NULL && (r = dtw__xeval_bool(c, env, n, "xacro:include optional", opt, &optional)) < 0)
    return r;
  if ((r = dtw__xeval_str(c, env, n, "xacro:include", spec, &fname, NULL)) < 0) return r;
  env_t into = *env;
  if (ns != NULL) {
    /* a namespace: fresh tables for the included properties and macros */
    if ((r = dtw__xeval_str(c, env, n, "xacro:include ns", ns, &nsname, NULL)) < 0) goto out;
    if (!dtw__xis_identifier(nsname)) {
      r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:include: bad namespace name '%.60s'", nsname);
      goto out;
    }
    entry_t *e = dtw__xscope_slot(env->s, nsname);
    scope_t *sc = calloc(1, sizeof *sc);
    mtable_t *mt = calloc(1, sizeof *mt);
    struct mns *link = calloc(1, sizeof *link);
    char *lname = dtw__xstrdup(nsname);
    if (e == NULL || sc == NULL || mt == NULL || link == NULL || lname == NULL) {
      free(sc);
      free(mt);
      free(link);
      free(lname);
      r = dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
    sc->parent = env->s;
    sc->is_ns = 1;
    sc->next_ns = c->ns_scopes;
    c->ns_scopes = sc;
    e->kind = ENT_NS;
    e->ns = sc;
    link->name = lname;
    link->t = mt;
    link->next = env->mt->ns;
    env->mt->ns = link;
    into.s = sc;
    into.mt = mt;
  }
  if (fname[0] == '/') {
    path = dtw__xstrdup(fname);
  } else {
    const char *base = c->inc_stack[c->inc_depth]->dir;
    size_t need = strlen(base) + strlen(fname) + 2;
    path = malloc(need);
    if (path != NULL) snprintf(path, need, "%s/%s", base, fname);
  }
  if (path == NULL) {
    r = dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if (strpbrk(path, "*?[") != NULL) {
    glob_t g;
    memset(&g, 0, sizeof g);
    int gr = glob(path, GLOB_NOSORT, NULL, &g);
    if (gr == 0 && g.gl_pathc > XACRO_MAX_GLOB) {
      r = dtw__xerr(c, env->f, n, DTW_ERANGE, "xacro:include: '%.80s' matches more than %d files",
               fname, XACRO_MAX_GLOB);
    } else if (gr == 0) {
      /* sorted like Python's sorted(glob.glob()) */
      qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, cmp_paths);
      for (size_t k = 0; k < g.gl_pathc && r == 0; k++)
        r = include_one(c, env, n, g.gl_pathv[k], &into, out, ns_target, optional);
    } else {
      fprintf(stderr, "%s:%ld: warning: include tag's filename spec '%s' matched no files\n",
              env->f->name, dtw__xline(n), fname);
    }
    globfree(&g);
  } else {
    r = include_one(c, env, n, path, &into, out, ns_target, optional);
  }
out:
  free(fname);
  free(path);
  free(nsname);
  return r;
}

/* Whether barrier lies inside subtree root (so it dies with it). */
static int do_attribute(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr attr_target) {
  const char *name = dtw__xattr(n, "name"), *value = dtw__xattr(n, "value");
  char *nm = NULL, *val = NULL;
  int r;
  if (name == NULL || value == NULL)
    return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:attribute: missing attribute '%s'",
                name == NULL ? "name" : "value");
  if ((r = dtw__xeval_str(c, env, n, "xacro:attribute", name, &nm, NULL)) < 0) return r;
  if ((r = dtw__xeval_str(c, env, n, "xacro:attribute", value, &val, NULL)) < 0) goto out;
  if (nm[0] == '\0') {
    r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:attribute: empty name");
  } else if (xmlValidateName((const xmlChar *)nm, 0) != 0) {
    r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:attribute: '%.60s' is not an XML name", nm);
  } else if (attr_target != NULL) {
    /* ros/xacro sets it on the parent; under a xacro element that parent is dropped */
    if ((r = dtw__xspend_output(c, env->f, n, 1, strlen(val))) == 0 &&
        xmlSetProp(attr_target, (const xmlChar *)nm, (const xmlChar *)val) == NULL)
      r = dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
out:
  free(nm);
  free(val);
  return r;
}

/* Elements whose handler first drops the comments right before them, as ros/xacro does. */
static int drops_comments(const char *x) {
  return strcmp(x, "insert_block") != 0 && strcmp(x, "element") != 0 &&
         strcmp(x, "attribute") != 0;
}

static int process_element(xctx_t *c, const env_t *env, xmlNodePtr n, xmlNodePtr out,
                           xmlNodePtr attr_target, xmlNodePtr ns_target, const char *rename) {
  int r;
  if ((r = dtw__xspend_work(c, env->f, n, 1)) < 0) return r;
  if (c->depth >= XACRO_MAX_DEPTH)
    return dtw__xerr(c, env->f, n, DTW_ERANGE, "elements and macros nested deeper than %d",
                XACRO_MAX_DEPTH);
  const char *x = rename != NULL ? (strncmp(rename, "xacro:", 6) == 0 ? rename + 6 : NULL)
                                 : dtw__xname(n);
  if (x == NULL) {
    c->depth++;
    r = process_plain(c, env, n, out, rename);
    c->depth--;
    return r;
  }
  if (drops_comments(x)) remove_previous_comments(c, out, c->floor);
  c->depth++;
  if (strcmp(x, "property") == 0) {
    r = define_property(c, env, n);
  } else if (strcmp(x, "macro") == 0) {
    r = dtw__xdefine_macro(c, env, n);
  } else if (strcmp(x, "include") == 0) {
    r = do_include(c, env, n, out, ns_target);
  } else if (strcmp(x, "arg") == 0) {
    r = do_arg(c, env, n);
  } else if (strcmp(x, "if") == 0 || strcmp(x, "unless") == 0) {
    r = do_condition(c, env, n, x, out);
  } else if (strcmp(x, "insert_block") == 0) {
    r = insert_block(c, env, n, out);
  } else if (strcmp(x, "attribute") == 0) {
    r = do_attribute(c, env, n, attr_target);
  } else if (strcmp(x, "element") == 0) {
    const char *raw = dtw__xattr_xacro(n, "name");
    char *name = NULL;
    if (raw == NULL) {
      r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:element: missing attribute 'xacro:name'");
    } else if ((r = dtw__xeval_str(c, env, n, "xacro:element", raw, &name, NULL)) == 0) {
      if (name[0] == '\0')
        r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:element: empty name");
      else if (xmlValidateQName((const xmlChar *)name, 0) != 0)
        r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:element: '%.60s' is not an XML name", name);
      else
        r = process_element(c, env, n, out, attr_target, ns_target, name); /* again, renamed */
    }
    free(name);
  } else if (strcmp(x, "call") == 0) {
    const char *raw = dtw__xattr(n, "macro");
    char *name = NULL;
    if (raw == NULL) {
      r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:call: missing attribute 'macro'");
    } else if ((r = dtw__xeval_str(c, env, n, "xacro:call", raw, &name, NULL)) == 0) {
      r = dtw__xmacro_call(c, env, n, name, out, ns_target, 1);
    }
    free(name);
  } else {
    r = dtw__xmacro_call(c, env, n, x, out, ns_target, 0);
  }
  c->depth--;
  if (drops_comments(x) && n->next != NULL) c->barrier = out->last;
  return r;
}

int dtw__xprocess_children(xctx_t *c, const env_t *env, xmlNodePtr src, xmlNodePtr out,
                            xmlNodePtr attr_target, xmlNodePtr ns_target) {
  int r = 0, eval_comments = 0;
  xmlNodePtr saved_floor = c->floor;
  c->floor = out->last;
  for (xmlNodePtr k = src->children; k != NULL && r == 0; k = k->next) {
    switch (k->type) {
    case XML_ELEMENT_NODE:
      eval_comments = 0;
      r = process_element(c, env, k, out, attr_target, ns_target, NULL);
      break;
    case XML_TEXT_NODE: {
      char *t = NULL;
      size_t tl = 0;
      if ((r = dtw__xspend_work(c, env->f, k, 1)) < 0) break;
      if ((r = dtw__xeval_str(c, env, k, "text", (const char *)k->content, &t, &tl)) < 0) break;
      for (size_t i = 0; i < tl && eval_comments; i++)
        if (!strchr(" \t\r\n", t[i])) eval_comments = 0;
      if ((r = dtw__xspend_output(c, env->f, k, 1, tl)) < 0) {
        free(t);
        break;
      }
      xmlNodePtr tn = xmlNewDocTextLen(c->out, (const xmlChar *)t, (int)tl);
      free(t);
      if (tn == NULL) {
        r = dtw__xerr(c, env->f, k, DTW_ENOMEM, "out of memory");
        break;
      }
      tn->line = k->line;
      xmlAddChild(out, tn); /* merges into a neighbouring text node (and frees tn) */
      break;
    }
    case XML_COMMENT_NODE: {
      const char *t = (const char *)k->content;
      if (t != NULL && strstr(t, "xacro:eval-comments") != NULL) {
        eval_comments = strstr(t, "xacro:eval-comments:off") == NULL;
        break; /* the switch itself is dropped */
      }
      if (eval_comments && t != NULL) {
        char *v = NULL;
        size_t vl = 0;
        if ((r = dtw__xeval_str(c, env, k, "comment", t, &v, &vl)) < 0) break;
        xmlNodePtr cn = xmlNewDocComment(c->out, (const xmlChar *)v);
        free(v);
        if (cn == NULL || (r = dtw__xspend_output(c, env->f, k, 1, vl)) < 0) {
          xmlFreeNode(cn);
          if (r == 0) r = dtw__xerr(c, env->f, k, DTW_ENOMEM, "out of memory");
          break;
        }
        xmlAddChild(out, cn);
        break;
      }
      r = copy_output(c, env->f, k, k, out, NULL);
      break;
    }
    case XML_CDATA_SECTION_NODE:
    case XML_PI_NODE:
      r = copy_output(c, env->f, k, k, out, NULL);
      break;
    default:
      break;
    }
  }
  c->floor = saved_floor;
  return r;
}

/* ---- entry points ---------------------------------------------------------------------- */

static void ctx_fini(xctx_t *c) {
  dtw__xscope_fini(&c->global);
  while (c->ns_scopes != NULL) {
    scope_t *s = c->ns_scopes;
    c->ns_scopes = s->next_ns;
    dtw__xscope_fini(s);
    free(s);
  }
  dtw__xmt_fini(&c->macros);
  while (c->args != NULL) {
    xarg_t *a = c->args;
    c->args = a->next;
    free(a->name);
    free(a->value);
    free(a);
  }
  while (c->files != NULL) {
    xfile_t *f = c->files;
    c->files = f->next;
    xmlFreeDoc(f->doc);
    free(f->name);
    free(f->real);
    free(f->dir);
    free(f);
  }
  if (c->out != NULL) xmlFreeDoc(c->out);
  c->out = NULL;
}

/* The command line's "name:=value" (also "name=value"): spaces around both are dropped,
 * empty names or values and "_private" names are ignored, as the xacro command does. */
static int parse_cli_arg(xctx_t *c, const char *a) {
  const char *eq = a != NULL ? strstr(a, ":=") : NULL;
  size_t skip = 2;
  if (eq == NULL && a != NULL) {
    eq = strchr(a, '=');
    skip = 1;
  }
  if (eq == NULL || eq == a)
    return dtw_errf(c->err, c->errlen, DTW_EINVAL, "xacro argument '%s': expected name:=value",
                    a != NULL ? a : "(null)");
  const char *n0 = a, *n1 = eq, *v0 = eq + skip, *v1 = v0 + strlen(v0);
  while (n0 < n1 && (*n0 == ' ' || *n0 == '\t')) n0++;
  while (n1 > n0 && (n1[-1] == ' ' || n1[-1] == '\t')) n1--;
  while (v0 < v1 && (*v0 == ' ' || *v0 == '\t')) v0++;
  while (v1 > v0 && (v1[-1] == ' ' || v1[-1] == '\t')) v1--;
  if (n1 == n0 || v1 == v0) return 0;
  if (n1 - n0 > 1 && n0[0] == '_' && n0[1] != '_') return 0;
  /* a later mapping of the same name wins */
  for (xarg_t *x = c->args; x != NULL; x = x->next)
    if (strlen(x->name) == (size_t)(n1 - n0) && memcmp(x->name, n0, (size_t)(n1 - n0)) == 0) {
      char *v = dtw__xstrndup(v0, (size_t)(v1 - v0));
      if (v == NULL) return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory");
      free(x->value);
      x->value = v;
      return 0;
    }
  if (dtw__xarg_add(c, n0, (size_t)(n1 - n0), v0, (size_t)(v1 - v0)) < 0)
    return dtw_errf(c->err, c->errlen, DTW_ENOMEM, "out of memory");
  return 0;
}

static int expand(const char *data, size_t len, const char *name, const dtw_xacro_opts_t *opts,
                  xmlDocPtr *out, char *err, size_t errlen) {
  xctx_t c;
  int r;
  memset(&c, 0, sizeof c);
  c.opts = opts;
  c.err = err;
  c.errlen = errlen;
  c.max_inc = opts != NULL && opts->max_include_depth > 0 ? opts->max_include_depth : 32;
  c.max_macro = opts != NULL && opts->max_macro_depth > 0 ? opts->max_macro_depth : 100;
  if (c.max_macro > XACRO_MAX_STACK) c.max_macro = XACRO_MAX_STACK;
  long max_nodes = opts != NULL && opts->max_nodes > 0 ? opts->max_nodes : XACRO_DEFAULT_MAX_NODES;
  c.nodes_left = max_nodes;
  c.work = max_nodes * 4;
  c.bytes_left = max_nodes * 64;
  if (err != NULL && errlen > 0) err[0] = '\0';
  xmlInitParser();

  for (size_t i = 0; opts != NULL && i < opts->n_args; i++)
    if ((r = parse_cli_arg(&c, opts->args[i])) < 0) goto out;
  xfile_t *f = dtw__xfile_new(&c, name);
  if (f == NULL) {
    r = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if ((r = dtw__xparse_xml(&c, f, data, len)) < 0) goto out;
  c.inc_stack[0] = f;
  c.out = xmlNewDoc((const xmlChar *)"1.0");
  if (c.out == NULL) {
    r = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto out;
  }
  xmlNodePtr root = xmlDocGetRootElement(f->doc);
  if (dtw__xname(root) != NULL) {
    r = dtw__xerr(&c, f, root, DTW_EPARSE, "the root element must not be a xacro element");
    goto out;
  }
  env_t env = {f, &c.global, &c.macros};
  /* the document node's children: comments around the root, the root itself */
  xmlNodePtr docnode = (xmlNodePtr)c.out;
  for (xmlNodePtr k = f->doc->children; k != NULL; k = k->next) {
    if (k->type == XML_ELEMENT_NODE) {
      if ((r = process_plain(&c, &env, k, docnode, NULL)) < 0) goto out;
      /* xacro:targetNamespace on the root becomes the default namespace */
      const char *tns = dtw__xattr_xacro(k, "targetNamespace");
      if (tns != NULL && xmlDocGetRootElement(c.out) != NULL)
        xmlNewNs(xmlDocGetRootElement(c.out), (const xmlChar *)tns, NULL);
    } else if (k->type == XML_COMMENT_NODE || k->type == XML_PI_NODE) {
      if ((r = copy_output(&c, f, k, k, docnode, NULL)) < 0) goto out;
    }
  }
  *out = c.out;
  c.out = NULL;
  r = 0;
out:
  ctx_fini(&c);
  return r;
}

int dtw_xacro_expand_buffer(const char *data, size_t len, const char *name,
                            const dtw_xacro_opts_t *opts, xmlDocPtr *out, char *err,
                            size_t errlen) {
  if (data == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "xacro: NULL argument");
  return expand(data, len, name != NULL ? name : "<buffer>", opts, out, err, errlen);
}

int dtw_xacro_expand_file(const char *path, const dtw_xacro_opts_t *opts, xmlDocPtr *out,
                          char *err, size_t errlen) {
  char *data = NULL;
  size_t len = 0;
  char msg[256];
  if (path == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "xacro: NULL argument");
  int r = dtw__xread_file(path, &data, &len, msg, sizeof msg);
  if (r < 0) return dtw_errf(err, errlen, r, "%s: cannot read: %s", path, msg);
  r = expand(data, len, path, opts, out, err, errlen);
  free(data);
  return r;
}

