/* MuJoCo 2.2.2's limits and physical bounds on an MJCF document, checked
 * before MuJoCo sees it (model__limits.h). The numbers come from MuJoCo
 * 2.2.2's sources (user_model.cc: the stack heuristic; engine_collision_driver.c:
 * the broadphase's allocations) and were measured with the installed library
 * (mjData.maxuse_stack after a step): docs/robot-import.md, "Limits". */
#include "model__limits.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"

/* ---- small helpers ------------------------------------------------------ */

static bool is(xmlNodePtr n, const char *name) {
  return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr section(xmlNodePtr root, const char *name) {
  for (xmlNodePtr c = root->children; c != NULL; c = c->next)
    if (is(c, name)) return c;
  return NULL;
}

/* Attribute as a malloc'ed string (xmlFree), or NULL. */
static xmlChar *prop(xmlNodePtr n, const char *name) {
  return xmlGetNoNsProp(n, (const xmlChar *)name);
}

static bool prop_eq(xmlNodePtr n, const char *name, const char *value) {
  xmlChar *v = prop(n, name);
  bool eq = v != NULL && strcmp((const char *)v, value) == 0;
  xmlFree(v);
  return eq;
}

static long prop_long(xmlNodePtr n, const char *name, long dflt) {
  xmlChar *v = prop(n, name);
  if (v == NULL) return dflt;
  char *end = NULL;
  long x = strtol((const char *)v, &end, 10);
  if (end == (char *)v) x = dflt;
  xmlFree(v);
  return x;
}

/* ---- <default> classes ---------------------------------------------------- */

/* The <default> element of class name (top level: "main" or its own class). */
static xmlNodePtr find_default(xmlNodePtr d, const char *name, bool top) {
  for (; d != NULL; d = d->next) {
    if (!is(d, "default")) continue;
    xmlChar *cls = prop(d, "class");
    bool hit = cls != NULL ? strcmp((const char *)cls, name) == 0
                           : top && strcmp(name, "main") == 0;
    xmlFree(cls);
    if (hit) return d;
    xmlNodePtr sub = find_default(d->children, name, false);
    if (sub != NULL) return sub;
  }
  return NULL;
}

/* attr of element e as MuJoCo resolves it: its own, else its class's default
 * (class, else the nearest childclass of an enclosing body, else main) and
 * that default's parents. NULL when nowhere (xmlFree the result). */
static xmlChar *resolved(xmlNodePtr root, xmlNodePtr e, const char *attr) {
  xmlChar *v = prop(e, attr);
  if (v != NULL) return v;
  xmlChar *cls = prop(e, "class");
  for (xmlNodePtr p = e->parent; cls == NULL && p != NULL && p->type == XML_ELEMENT_NODE;
       p = p->parent)
    cls = prop(p, "childclass");
  xmlNodePtr d = find_default(root->children, cls != NULL ? (const char *)cls : "main", true);
  xmlFree(cls);
  for (; d != NULL && is(d, "default"); d = d->parent)
    for (xmlNodePtr c = d->children; c != NULL; c = c->next)
      if (is(c, (const char *)e->name) && (v = prop(c, attr)) != NULL) return v;
  return NULL;
}

/* ---- counting ------------------------------------------------------------- */

static void count_joint(xmlNodePtr root, xmlNodePtr j, dtw__mjcf_size_t *s) {
  xmlChar *type = is(j, "freejoint") ? xmlStrdup((const xmlChar *)"free")
                                      : resolved(root, j, "type");
  const char *t = type != NULL ? (const char *)type : "hinge";
  long q = 1, v = 1;
  if (strcmp(t, "free") == 0) {
    q = 7;
    v = 6;
  } else if (strcmp(t, "ball") == 0) {
    q = 4;
    v = 3;
  }
  xmlFree(type);
  s->njnt++;
  s->nq += q;
  s->nv += v;
}

static bool geom_collides(xmlNodePtr root, xmlNodePtr g) {
  xmlChar *ct = resolved(root, g, "contype");
  xmlChar *ca = resolved(root, g, "conaffinity");
  bool yes = (ct == NULL || atol((const char *)ct) != 0) || (ca == NULL || atol((const char *)ca) != 0);
  xmlFree(ct);
  xmlFree(ca);
  return yes;
}

/* The body tree under b (a <body> or the <worldbody>). */
static void count_tree(xmlNodePtr root, xmlNodePtr b, bool world, dtw__mjcf_size_t *s) {
  bool collides = false;
  for (xmlNodePtr c = b->children; c != NULL; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is(c, "joint") || is(c, "freejoint")) {
      count_joint(root, c, s);
    } else if (is(c, "geom")) {
      s->ngeom++;
      if (!world) {
        s->ngeom_body++;
        collides = collides || geom_collides(root, c);
      }
    } else if (is(c, "site")) {
      s->nsite++;
    } else if (is(c, "body")) {
      s->nbody++;
      count_tree(root, c, false, s);
    }
  }
  if (collides) s->bufcnt++;
}

static void count_sections(xmlNodePtr root, dtw__mjcf_size_t *s) {
  for (xmlNodePtr sec = root->children; sec != NULL; sec = sec->next) {
    if (is(sec, "actuator")) {
      for (xmlNodePtr a = sec->children; a != NULL; a = a->next) {
        if (a->type != XML_ELEMENT_NODE) continue;
        s->nu++;
        if (is(a, "cylinder") || is(a, "muscle") || is(a, "intvelocity")) {
          s->na++;
        } else if (is(a, "general")) {
          xmlChar *dyn = resolved(root, a, "dyntype");
          if (dyn != NULL && strcmp((const char *)dyn, "none") != 0) s->na++;
          xmlFree(dyn);
        }
      }
    } else if (is(sec, "equality")) {
      for (xmlNodePtr e = sec->children; e != NULL; e = e->next)
        if (e->type == XML_ELEMENT_NODE) s->neq++;
    } else if (is(sec, "tendon")) {
      for (xmlNodePtr t = sec->children; t != NULL; t = t->next) {
        if (!is(t, "spatial") && !is(t, "fixed")) continue;
        s->ntendon++;
        for (xmlNodePtr w = t->children; w != NULL; w = w->next)
          if (w->type == XML_ELEMENT_NODE) s->nwrap++;
      }
    } else if (is(sec, "size")) {
      s->njmax = prop_long(sec, "njmax", s->njmax);
      s->nconmax = prop_long(sec, "nconmax", s->nconmax);
      s->nstack_set = prop_long(sec, "nstack", s->nstack_set);
    } else if (is(sec, "option")) {
      if (prop_eq(sec, "integrator", "implicit")) s->implicit = true;
      if (prop_eq(sec, "collision", "predefined")) s->no_contact = true;
      for (xmlNodePtr f = sec->children; f != NULL; f = f->next)
        if (is(f, "flag") && (prop_eq(f, "contact", "disable") || prop_eq(f, "constraint", "disable")))
          s->no_contact = true;
    }
  }
  /* MuJoCo 2.2.2 turns -1 (unset) into these */
  if (s->njmax < 0) s->njmax = 500;
  if (s->nconmax < 0) s->nconmax = 100;
}

/* Deepest element with content: tinyxml2 parses its children one level down. */
static void depth(xmlNodePtr n, int level, dtw__mjcf_size_t *s) {
  for (; n != NULL; n = n->next) {
    if (n->type != XML_ELEMENT_NODE || n->children == NULL) continue;
    if (level > s->depth_level) {
      s->depth_level = level;
      s->deepest = n;
    }
    depth(n->children, level + 1, s);
  }
}

void dtw__mjcf_size(xmlDocPtr doc, bool implicit, dtw__mjcf_size_t *s) {
  memset(s, 0, sizeof *s);
  s->nbody = 1; /* the world */
  s->njmax = s->nconmax = s->nstack_set = -1;
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (root == NULL) return;
  depth(root, 1, s);
  xmlNodePtr wb = section(root, "worldbody");
  if (wb != NULL) count_tree(root, wb, true, s);
  count_sections(root, s);
  s->implicit = s->implicit || implicit;

  double jv = (double)(s->njmax + s->neq + s->nv);
  double heur = 5 * jv * jv + 20.0 * (double)(s->nq + s->nv + s->nu + s->na + s->nbody + s->njnt +
                                              s->ngeom + s->nsite + s->neq + s->ntendon + s->nwrap);
  s->stack = s->nstack_set > 0 ? (double)s->nstack_set : fmax(1000, heur);
  double nb = (double)s->nbody, nv = (double)s->nv;
  /* mj_collision: every body pair; mj_broadphase: 6 bounds a body, 2 x 2 sort entries */
  if (!s->no_contact && s->nconmax != 0 && s->nbody >= 2)
    s->need_collision = nb * (nb - 1) / 2 + (s->ngeom_body > 0 ? 6 * nb + 4.0 * (double)s->bufcnt : 0);
  /* mj_implicit: mjd_smooth_vel's dense derivatives (3 of 6 nv per body, 6 nv^2)
   * and the nv x nv factor: measured exactly on 2.2.2 over stars and chains */
  if (s->implicit && s->nv > 0) s->need_implicit = 18 * nv * nb + 7 * nv * nv + 2 * nv;
  s->need = fmax(s->need_collision, s->need_implicit);
}

int dtw__mjcf_check_limits(xmlDocPtr doc, const char *file, bool implicit,
                           dtw__mjcf_size_t *size, char *err, size_t errlen) {
  dtw__mjcf_size_t local;
  dtw__mjcf_size_t *s = size != NULL ? size : &local;
  dtw__mjcf_size(doc, implicit, s);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  xmlChar *model = root != NULL ? prop(root, "model") : NULL;
  const char *mname = model != NULL ? (const char *)model : "";
  int rc = 0;
  if (s->depth_level > DTW__MJCF_MAX_PARENT_LEVEL) {
    xmlChar *name = prop(s->deepest, "name");
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "%s:%ld: <%s%s%s%s>: elements nested %d deep; "
                  "MuJoCo 2.2.2 reads XML nested at most %d deep (tinyxml2's limit of 100 "
                  "levels)", file, xmlGetLineNo(s->deepest), (const char *)s->deepest->name,
                  name != NULL ? " name=\"" : "", name != NULL ? (const char *)name : "",
                  name != NULL ? "\"" : "", s->depth_level + 1, DTW__MJCF_MAX_PARENT_LEVEL + 1);
    xmlFree(name);
  } else if (s->nbody > DTW__MJCF_MAX_BODIES) {
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "%s: model '%s': %ld bodies; MuJoCo 2.2.2 handles at "
                  "most %d (16-bit body ids in its collision detection)", file, mname, s->nbody,
                  DTW__MJCF_MAX_BODIES);
  } else if (s->need > s->stack) {
    bool coll = s->need_collision >= s->need_implicit;
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "%s: model '%s': %ld bodies and %ld degrees of freedom "
                  "need %.0f entries of MuJoCo 2.2.2's data stack for one step (%s), more than "
                  "the %.0f it allocates for this model (MuJoCo would stop with 'Stack overflow')",
                  file, mname, s->nbody - 1, s->nv, s->need,
                  coll ? "collision detection: every pair of bodies"
                       : "implicit integrator: dense velocity derivatives",
                  s->stack);
  }
  xmlFree(model);
  return rc;
}

/* ---- values ----------------------------------------------------------------- */

/* Attributes that hold names or words, never numbers ("inf" may be a name). */
static bool names_something(const char *attr) {
  static const char *const prefixes[] = {"name", "class", "childclass", "joint", "body", "site",
                                         "geom", "tendon", "mesh", "material", "texture",
                                         "hfield", "target", "objname", "refname", "actuator",
                                         "slidersite", "cranksite", "sidesite", "prefix", "file",
                                         "skin", "key"};
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (strncmp(attr, prefixes[i], strlen(prefixes[i])) == 0) return true;
  return false;
}

/* The numbers of text (all of its tokens must be numbers), at most cap; -1 if
 * it is not a list of numbers. */
static int numbers(const char *text, double *v, int cap) {
  int n = 0;
  const char *s = text;
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (*s == '\0') return n;
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r'))
      return -1;
    if (errno == ERANGE && fabs(x) > 1) x = INFINITY; /* 1e400 */
    if (n < cap) v[n] = x;
    n++;
    s = end;
  }
}

typedef struct bound {
  const char *attr;
  double lo, hi;
  const char *unit;
} bound_t;

static const bound_t bounds[] = {
    {"pos", -DTW__MAX_LENGTH_M, DTW__MAX_LENGTH_M, "m"},
    {"size", 0, DTW__MAX_LENGTH_M, "m"},
    {"fromto", -DTW__MAX_LENGTH_M, DTW__MAX_LENGTH_M, "m"},
    {"scale", -DTW__MAX_LENGTH_M, DTW__MAX_LENGTH_M, ""},
    {"mass", 0, DTW__MAX_MASS_KG, "kg"},
    {"diaginertia", 0, DTW__MAX_INERTIA_KGM2, "kg m^2"},
    {"fullinertia", -DTW__MAX_INERTIA_KGM2, DTW__MAX_INERTIA_KGM2, "kg m^2"},
    {"density", -DTW__MAX_DENSITY_KGM3, DTW__MAX_DENSITY_KGM3, "kg/m^3"},
};

/* bounded: also check the physical bounds (worldbody, defaults, mesh assets);
 * every element gets the finiteness check. */
static int check_element(xmlNodePtr e, bool bounded, const char *file, char *err,
                         size_t errlen) {
  for (xmlAttrPtr a = e->properties; a != NULL; a = a->next) {
    const char *an = (const char *)a->name;
    if (names_something(an)) continue;
    xmlChar *text = xmlNodeListGetString(e->doc, a->children, 1);
    if (text == NULL) continue;
    double v[16];
    int n = numbers((const char *)text, v, 16);
    int rc = 0;
    xmlChar *name = prop(e, "name");
    char what[160];
    snprintf(what, sizeof what, "<%s%s%s%s>", (const char *)e->name, name != NULL ? " name=\"" : "",
             name != NULL ? (const char *)name : "", name != NULL ? "\"" : "");
    xmlFree(name);
    for (int i = 0; i < n && i < 16 && rc == 0; i++) {
      if (!isfinite(v[i])) {
        rc = dtw_errf(err, errlen, DTW_EMODEL, "%s:%ld: %s: %s=\"%.40s\": not a finite number",
                      file, xmlGetLineNo(e), what, an, (const char *)text);
        break;
      }
      for (size_t b = 0; bounded && b < sizeof bounds / sizeof bounds[0]; b++) {
        if (strcmp(an, bounds[b].attr) != 0 || (v[i] >= bounds[b].lo && v[i] <= bounds[b].hi))
          continue;
        rc = dtw_errf(err, errlen, DTW_EMODEL, "%s:%ld: %s: %s=\"%.40s\": %g %s is outside "
                      "[%g, %g], the bounds dtwin accepts (docs/robot-import.md)", file,
                      xmlGetLineNo(e), what, an, (const char *)text, v[i], bounds[b].unit,
                      bounds[b].lo, bounds[b].hi);
        break;
      }
    }
    xmlFree(text);
    if (rc != 0) return rc;
  }
  return 0;
}

static int check_tree(xmlNodePtr n, bool bounded, const char *file, char *err, size_t errlen) {
  for (; n != NULL; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    int rc = check_element(n, bounded, file, err, errlen);
    if (rc == 0) rc = check_tree(n->children, bounded, file, err, errlen);
    if (rc != 0) return rc;
  }
  return 0;
}

int dtw__mjcf_check_values(xmlDocPtr doc, const char *file, char *err, size_t errlen) {
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (root == NULL) return 0;
  int rc = check_element(root, false, file, err, errlen);
  for (xmlNodePtr sec = root->children; sec != NULL && rc == 0; sec = sec->next) {
    if (sec->type != XML_ELEMENT_NODE) continue;
    if (is(sec, "asset")) {
      /* mesh scale is a length factor; texture and hfield sizes are not lengths */
      rc = check_element(sec, false, file, err, errlen);
      for (xmlNodePtr m = sec->children; m != NULL && rc == 0; m = m->next) {
        if (m->type != XML_ELEMENT_NODE) continue;
        rc = check_element(m, is(m, "mesh"), file, err, errlen);
        if (rc == 0) rc = check_tree(m->children, false, file, err, errlen);
      }
    } else {
      bool bounded = is(sec, "worldbody") || is(sec, "default");
      rc = check_element(sec, false, file, err, errlen);
      if (rc == 0) rc = check_tree(sec->children, bounded, file, err, errlen);
    }
  }
  return rc;
}
