/* xacro_macro.c - xacro macros: tables (one per macro call, namespaces from
 * include ns=), definitions with ros/xacro's parameter syntax, and calls (arguments,
 * block arguments, defaults and ^ forwarding, the body expanded in a new scope). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "model__xacro.h"
#include "model__xctx.h"

/* ---- macro tables ---------------------------------------------------------------------- */

static void macro_free(macro_t *m) {
  for (size_t i = 0; i < m->n_params; i++) {
    free(m->params[i].name);
    free(m->params[i].def);
  }
  free(m->params);
  free(m->name);
  free(m);
}

void dtw__xmt_fini(mtable_t *t) {
  for (int pass = 0; pass < 2; pass++) {
    macro_t *m = pass == 0 ? t->head : t->retired;
    while (m != NULL) {
      macro_t *next = m->next;
      macro_free(m);
      m = next;
    }
  }
  t->head = t->retired = NULL;
  while (t->ns != NULL) {
    struct mns *n = t->ns;
    t->ns = n->next;
    dtw__xmt_fini(n->t);
    free(n->t);
    free(n->name);
    free(n);
  }
}

static macro_t *mt_find(mtable_t *t, const char *name) {
  for (; t != NULL; t = t->parent)
    for (macro_t *m = t->head; m != NULL; m = m->next)
      if (strcmp(m->name, name) == 0) return m;
  return NULL;
}

static mtable_t *mt_find_ns(mtable_t *t, const char *name) {
  for (; t != NULL; t = t->parent)
    for (struct mns *n = t->ns; n != NULL; n = n->next)
      if (strcmp(n->name, name) == 0) return n->t;
  return NULL;
}

/* ros/xacro's resolve_macro: the full name first, then "ns1.ns2.name" through namespaces.
 * On success *m is the macro and *where the tables to call it with. */
static macro_t *resolve_macro(const env_t *env, const char *fullname, env_t *where) {
  macro_t *m = mt_find(env->mt, fullname);
  *where = *env;
  if (m != NULL || strchr(fullname, '.') == NULL) return m;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", fullname);
  char *part = buf, *dot;
  while ((dot = strchr(part, '.')) != NULL) {
    *dot = '\0';
    mtable_t *mt = mt_find_ns(where->mt, part);
    entry_t *e = dtw__xscope_find(where->s, part, NULL);
    if (mt == NULL || e == NULL || e->kind != ENT_NS) return NULL;
    where->mt = mt;
    where->s = e->ns;
    part = dot + 1;
  }
  return mt_find(where->mt, part);
}

/* ---- definitions and calls ------------------------------------------------------------ */

/* One "param" spec at *pp: name, optional [:]=, optional ^ or ^|, optional default
 * (${...}, $(...), or a run of quoted strings and other non-space text). */
static int parse_param(xctx_t *c, const env_t *env, xmlNodePtr n, macro_t *m, const char **pp,
                       param_t *prm) {
  const char *p = *pp;
  memset(prm, 0, sizeof *prm);
  const char *start = p;
  while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != ':' && *p != '=') p++;
  const char *name_end = p;
  const char *q = p;
  while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
  if (*q == ':' && q[1] == '=') q++;
  if (*q == '=' && name_end > start) {
    q++;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
    if (*q == '^') {
      prm->forward = 1;
      q++;
      if (*q == '|') q++;
    }
    const char *d = q, *e = NULL;
    if ((q[0] == '$' && (q[1] == '{' || q[1] == '('))) {
      const char *close = strchr(q + 2, q[1] == '{' ? '}' : ')');
      if (close != NULL && (close[1] == '\0' || strchr(" \t\r\n", close[1]) != NULL))
        e = close + 1;
    }
    if (e == NULL) {
      e = q;
      for (;;) {
        if (*e == '\'' || *e == '"') {
          const char *close = strchr(e + 1, *e);
          if (close == NULL) break;
          e = close + 1;
        } else if (*e != '\0' && strchr(" \t\r\n'\"", *e) == NULL) {
          e++;
        } else {
          break;
        }
      }
      if (*e != '\0' && strchr(" \t\r\n", *e) == NULL)
        return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': unterminated quote in params",
                    m->name);
    }
    if (e > d) {
      prm->def = dtw__xstrndup(d, (size_t)(e - d));
      if (prm->def == NULL) return dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    }
    p = e;
  }
  const char *nm = start;
  size_t nlen = (size_t)(name_end - start);
  while (nlen > 0 && *nm == '*' && prm->block < 2) {
    prm->block++;
    nm++;
    nlen--;
  }
  if (nlen == 0 || nlen >= 128) {
    free(prm->def);
    return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': bad parameter '%.*s'", m->name,
                (int)((size_t)(p - start) > 60 ? 60 : (size_t)(p - start)), start);
  }
  if (prm->block && (prm->def != NULL || prm->forward)) {
    free(prm->def);
    return dtw__xerr(c, env->f, n, DTW_EPARSE,
                "xacro:macro '%s': block parameter '%.*s' cannot have a default", m->name,
                (int)nlen, nm);
  }
  prm->name = dtw__xstrndup(nm, nlen);
  if (prm->name == NULL) {
    free(prm->def);
    return dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
  *pp = p;
  return 0;
}

int dtw__xdefine_macro(xctx_t *c, const env_t *env, xmlNodePtr n) {
  const char *name = dtw__xattr(n, "name");
  const char *params = dtw__xattr(n, "params");
  int r;
  if (name == NULL) return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro: missing attribute 'name'");
  if (strncmp(name, "xacro:", 6) == 0) name += 6; /* ros/xacro warns and drops the prefix */
  if (strcmp(name, "call") == 0)
    return dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro: invalid use of macro name 'call'");
  if (strchr(name, '.') != NULL || name[0] == '\0')
    return dtw__xerr(c, env->f, n, DTW_EPARSE,
                "xacro:macro: macro names must not contain '.' (reserved for namespaces): '%.60s'",
                name);
  macro_t *m = calloc(1, sizeof *m);
  if (m == NULL || (m->name = dtw__xstrdup(name)) == NULL) {
    free(m);
    return dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  }
  m->body = n;
  m->file = env->f;
  const char *p = params != NULL ? params : "";
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '\0') break;
    param_t prm;
    if ((r = parse_param(c, env, n, m, &p, &prm)) < 0) {
      macro_free(m);
      return r;
    }
    param_t *np = realloc(m->params, (m->n_params + 1) * sizeof *np);
    if (np == NULL) {
      free(prm.name);
      free(prm.def);
      macro_free(m);
      return dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    }
    m->params = np;
    m->params[m->n_params++] = prm;
  }
  /* a later definition in the same table replaces an earlier one; the old one is kept
   * until the table goes, in case it is expanding right now */
  for (macro_t **pp = &env->mt->head; *pp != NULL; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, name) == 0) {
      macro_t *old = *pp;
      m->next = old->next;
      *pp = m;
      old->next = env->mt->retired;
      env->mt->retired = old;
      return 0;
    }
  }
  m->next = env->mt->head;
  env->mt->head = m;
  return 0;
}

/* Whether name is defined for `name in table` (properties up the chain, then globals). */
static int inside(xmlNodePtr node, xmlNodePtr root) {
  for (; node != NULL; node = node->parent)
    if (node == root) return 1;
  return 0;
}

int dtw__xmacro_call(xctx_t *c, const env_t *env, xmlNodePtr n, const char *name,
                      xmlNodePtr out, xmlNodePtr ns_target, int via_call) {
  env_t at;
  macro_t *m = resolve_macro(env, name, &at);
  if (m == NULL) return dtw__xerr(c, env->f, n, DTW_ENOENT, "unknown macro name: xacro:%.80s", name);
  scope_t local = {.parent = at.s, .head = NULL};
  mtable_t lmt = {.parent = at.mt};
  xmlNodePtr holder = NULL;
  unsigned char *given = NULL;
  char msg[768];
  int r = 0;
  if (c->macro_depth >= c->max_macro)
    return dtw__xerr(c, env->f, n, DTW_ERANGE, "xacro:%s: macro recursion deeper than %d", m->name,
                c->max_macro);
  given = calloc(m->n_params + 1, 1);
  if (given == NULL) return dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
  /* arguments: evaluated now, at the call site (in the macro's namespace) */
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    if (via_call && a->ns == NULL && strcmp((const char *)a->name, "macro") == 0) continue;
    if (dtw__xis_xacro_attr(a) && dtw__xattr_xacro(n, "name") != NULL) continue; /* xacro:element's own */
    size_t k;
    for (k = 0; k < m->n_params; k++)
      if (!m->params[k].block && a->ns == NULL && !given[k] &&
          strcmp(m->params[k].name, (const char *)a->name) == 0)
        break;
    if (k == m->n_params) {
      r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': invalid parameter \"%.60s\"", m->name,
               (const char *)a->name);
      goto out;
    }
    xmlChar *raw = xmlNodeListGetString(n->doc, a->children, 1);
    dtw__xval_t v;
    r = dtw__xtext_eval(c, at.s, raw != NULL ? (const char *)raw : "",
                        raw != NULL ? strlen((char *)raw) : 0, &v, msg, sizeof msg);
    xmlFree(raw);
    if (r < 0) {
      r = dtw__xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name,
               m->params[k].name, msg);
      goto out;
    }
    if ((r = dtw__xscope_set(&local, m->params[k].name, &v, 0)) < 0) {
      r = dtw__xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name,
               m->params[k].name, r == DTW_EUNSUP ? "a namespace is not a value" : "out of memory");
      goto out;
    }
    given[k] = 1;
  }
  /* block arguments: the call's children, expanded in the caller's scope */
  holder = xmlNewDocNode(c->out, NULL, (const xmlChar *)"xacro-blocks", NULL);
  if (holder == NULL) {
    r = dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
    goto out;
  }
  if ((r = dtw__xprocess_children(c, &at, n, holder, NULL, NULL)) < 0) goto out;
  xmlNodePtr blk = holder->children;
  for (size_t k = 0; k < m->n_params; k++) {
    if (!m->params[k].block) continue;
    while (blk != NULL && blk->type != XML_ELEMENT_NODE) blk = blk->next;
    if (blk == NULL) {
      r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': not enough blocks for parameter '%s%s'",
               m->name, m->params[k].block == 2 ? "**" : "*", m->params[k].name);
      goto out;
    }
    char key[140];
    snprintf(key, sizeof key, "%s%s", m->params[k].block == 2 ? "**" : "*", m->params[k].name);
    entry_t *e = dtw__xscope_slot(&local, key);
    if (e == NULL) {
      r = dtw__xerr(c, env->f, n, DTW_ENOMEM, "out of memory");
      goto out;
    }
    e->kind = ENT_BLOCK;
    e->block = blk;
    e->expanded = 1;
    e->file = env->f;
    given[k] = 1;
    blk = blk->next;
  }
  while (blk != NULL && blk->type != XML_ELEMENT_NODE) blk = blk->next;
  if (blk != NULL) {
    r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': unused block <%.60s>", m->name,
             (const char *)blk->name);
    goto out;
  }
  /* defaults, evaluated at the call site too; ^ forwards the caller's property */
  char missing[256] = "";
  for (size_t k = 0; k < m->n_params; k++) {
    param_t *p = &m->params[k];
    if (given[k] || p->block) continue;
    if (!p->forward && p->def == NULL) {
      size_t l = strlen(missing);
      snprintf(missing + l, sizeof missing - l, "%s'%s'", l > 0 ? ", " : "", p->name);
      continue;
    }
    dtw__xval_t v;
    if (p->forward) {
      r = dtw__xprop_resolve(c, at.s, p->name, &v, msg, sizeof msg);
      if (r == 0) goto have_value;
      if (r != DTW__XNOTFOUND || p->def == NULL) {
        if (r == DTW__XNOTFOUND)
          r = dtw__xerr(c, env->f, n, DTW_ENOENT,
                   "xacro:macro '%s': parameter '%s': undefined property to forward (^): '%s'",
                   m->name, p->name, p->name);
        else
          r = dtw__xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name, p->name, msg);
        goto out;
      }
    }
    if ((r = dtw__xtext_eval(c, at.s, p->def, strlen(p->def), &v, msg, sizeof msg)) < 0) {
      r = dtw__xerr(c, env->f, n, r, "xacro:macro '%s': default of '%s': %s", m->name, p->name, msg);
      goto out;
    }
  have_value:
    if ((r = dtw__xscope_set(&local, p->name, &v, 0)) < 0) {
      r = dtw__xerr(c, env->f, n, r, "xacro:macro '%s': parameter '%s': %s", m->name, p->name,
               r == DTW_EUNSUP ? "a namespace is not a value" : "out of memory");
      goto out;
    }
  }
  if (missing[0] != '\0') {
    r = dtw__xerr(c, env->f, n, DTW_EPARSE, "xacro:macro '%s': missing parameter%s %s", m->name,
             strchr(missing, ',') != NULL ? "s" : "", missing);
    goto out;
  }
  env_t body = {m->file, &local, &lmt};
  c->mstack[c->macro_depth++] = m;
  r = dtw__xprocess_children(c, &body, m->body, out, NULL, ns_target);
  c->macro_depth--;
  if (r == 0) dtw__xlift_namespaces(ns_target, m->body);
  if (r < 0 && c->err != NULL && c->errlen > 0) {
    /* name the outermost call site too, the body line alone can be ambiguous */
    char *prev = strstr(c->err, " (in xacro:");
    if (prev != NULL) *prev = '\0';
    size_t l = strlen(c->err);
    if (l + 1 < c->errlen)
      snprintf(c->err + l, c->errlen - l, " (in xacro:%s called at %s:%ld)", m->name,
               env->f->name, dtw__xline(n));
  }
out:
  if (holder != NULL) {
    if (c->barrier != NULL && inside(c->barrier, holder)) c->barrier = NULL;
    xmlFreeNode(holder);
  }
  dtw__xscope_fini(&local);
  dtw__xmt_fini(&lmt);
  free(given);
  return r;
}

