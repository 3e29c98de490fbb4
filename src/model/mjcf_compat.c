/* MuJoCo 3 MJCF to MuJoCo 2.2.2 MJCF (see model__mjcf_compat.h): the table of
 * attributes and elements MuJoCo added after 2.2.2 (up to 3.3), each with what
 * this pass does about it, and the walk that applies it. */
#include "model__mjcf_compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"

/* ---- helpers ----------------------------------------------------------------------------- */

bool dtw__compat_is(xmlNodePtr n, const char *name) {
  return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

char *dtw__compat_attr(xmlNodePtr n, const char *name) {
  return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

bool dtw__compat_has(xmlNodePtr n, const char *name) {
  return xmlHasNsProp(n, (const xmlChar *)name, NULL) != NULL;
}

void dtw__compat_unset(dtw__compat_t *c, xmlNodePtr n, const char *name) {
  if (xmlUnsetNsProp(n, NULL, (const xmlChar *)name) == 0) c->changed = true;
}

bool dtw__compat_set(dtw__compat_t *c, xmlNodePtr n, const char *name, const char *value) {
  c->changed = true;
  return xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value) != NULL;
}

int dtw__compat_refuse(dtw__compat_t *c, xmlNodePtr n, const char *fmt, ...) {
  if (c->err == NULL || c->errlen == 0) return DTW_EUNSUP;
  int k = snprintf(c->err, c->errlen, "%s:%ld: <%s>: ", c->file, xmlGetLineNo(n),
                   (const char *)n->name);
  if (k >= 0 && (size_t)k < c->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
    va_end(ap);
  }
  return DTW_EUNSUP;
}

const char *const dtw__compat_actuator_kinds[] = {
    "general", "motor",  "position", "velocity", "intvelocity",
    "damper",  "cylinder", "muscle", "adhesion", NULL};

/* ---- default classes --------------------------------------------------------------------- */

static xmlNodePtr find_class(xmlNodePtr def, const char *name, bool top) {
  for (; def != NULL; def = def->next) {
    if (!dtw__compat_is(def, "default")) continue;
    char *cls = dtw__compat_attr(def, "class");
    bool hit = cls != NULL ? strcmp(cls, name) == 0 : (top && strcmp(name, "main") == 0);
    xmlFree(cls);
    if (hit) return def;
    xmlNodePtr inner = find_class(def->children, name, false);
    if (inner != NULL) return inner;
  }
  return NULL;
}

xmlNodePtr dtw__compat_class(dtw__compat_t *c, const char *name) {
  return find_class(c->root->children, name, true);
}

/* The class an element uses: its own, else the childclass of the nearest
 * enclosing body (elements inside bodies only), else "main". xmlFree it. */
static char *class_of(xmlNodePtr n) {
  char *cls = dtw__compat_attr(n, "class");
  if (cls != NULL) return cls;
  for (xmlNodePtr p = n->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent) {
    if (dtw__compat_is(p, "default")) break;
    if (dtw__compat_is(p, "body") && (cls = dtw__compat_attr(p, "childclass")) != NULL)
      return cls;
  }
  return (char *)xmlStrdup((const xmlChar *)"main");
}

static bool in_list(const char *name, const char *const *kinds) {
  for (size_t i = 0; kinds[i] != NULL; i++)
    if (strcmp(name, kinds[i]) == 0) return true;
  return false;
}

char *dtw__compat_effective(dtw__compat_t *c, xmlNodePtr n, const char *attr,
                            const char *const *kinds) {
  char *v = dtw__compat_attr(n, attr);
  if (v != NULL) return v;
  xmlNodePtr def = NULL;
  if (dtw__compat_is(n->parent, "default")) {
    def = n->parent; /* an element of a default inherits from the enclosing classes */
    if (def != NULL) def = def->parent;
  } else {
    char *cls = class_of(n);
    def = dtw__compat_class(c, cls);
    xmlFree(cls);
  }
  for (; dtw__compat_is(def, "default"); def = def->parent) {
    /* the last element of a kind in a default wins, as MuJoCo reads them in order */
    for (xmlNodePtr k = def->children; k != NULL; k = k->next) {
      if (k->type != XML_ELEMENT_NODE || !in_list((const char *)k->name, kinds)) continue;
      char *x = dtw__compat_attr(k, attr);
      if (x != NULL) {
        xmlFree(v);
        v = x;
      }
    }
    if (v != NULL) return v;
  }
  return NULL;
}

/* ---- the table --------------------------------------------------------------------------- */

typedef enum {
  A_DROP,        /* no effect on the physics: removed (one warning line for all) */
  A_DROP_WARN,   /* removed, and the semantic difference reported */
  A_RENAME,      /* the same thing under its 2.2.2 name (arg) */
  A_ONLY,        /* removed if its value is arg (a no-op), refused otherwise */
  A_REFUSE,      /* no 2.2.2 equivalent */
  A_CUSTOM       /* handled by code below */
} action_t;

typedef struct rule {
  const char *elem;   /* element name */
  const char *parent; /* required parent element, or NULL */
  const char *attr;   /* attribute, or NULL for the element itself */
  action_t action;
  const char *arg;    /* A_RENAME: new name; A_ONLY: the no-op value; A_DROP_WARN: why */
} rule_t;

/* MuJoCo 2.3.0 .. 3.3 additions (xml_native_reader.cc schema, changelog). */
static const rule_t k_rules[] = {
    {"compiler", NULL, "alignfree", A_DROP_WARN, "free bodies keep their body frame (an "
                                                 "alignment optimisation of MuJoCo 3)"},
    {"compiler", NULL, "saveinertial", A_DROP, NULL},
    {"compiler", NULL, "assetdir", A_CUSTOM, NULL},
    {"lengthrange", "compiler", "interval", A_RENAME, "inteval"},
    {"option", NULL, "integrator", A_CUSTOM, NULL},
    {"option", NULL, "ccd_iterations", A_RENAME, "mpr_iterations"},
    {"option", NULL, "ccd_tolerance", A_RENAME, "mpr_tolerance"},
    {"option", NULL, "ls_iterations", A_DROP_WARN, "MuJoCo 2.2.2's line search uses its own "
                                                   "settings"},
    {"option", NULL, "ls_tolerance", A_DROP_WARN, "MuJoCo 2.2.2's line search uses its own "
                                                  "settings"},
    {"option", NULL, "o_friction", A_DROP_WARN, "2.2.2 cannot override contact friction"},
    {"option", NULL, "sdf_initpoints", A_DROP, NULL},
    {"option", NULL, "sdf_iterations", A_DROP, NULL},
    {"option", NULL, "actuatorgroupdisable", A_ONLY, ""},
    {"flag", "option", "autoreset", A_DROP, NULL},
    {"flag", "option", "island", A_DROP, NULL},
    {"flag", "option", "midphase", A_DROP, NULL},
    {"flag", "option", "invdiscrete", A_DROP, NULL},
    {"flag", "option", "nativeccd", A_DROP_WARN, "MuJoCo 2.2.2 collides convex shapes with MPR"},
    {"flag", "option", "eulerdamp", A_ONLY, "enable"},
    {"flag", "option", "damper", A_CUSTOM, NULL},
    {"flag", "option", "spring", A_CUSTOM, NULL},
    {"size", NULL, "memory", A_DROP_WARN, "MuJoCo 2.2.2 sizes its arena itself"},
    {"global", "visual", "bvactive", A_DROP, NULL},
    {"global", "visual", "cameraid", A_DROP, NULL},
    {"global", "visual", "ellipsoidinertia", A_DROP, NULL},
    {"global", "visual", "orthographic", A_DROP, NULL},
    {"global", "visual", "realtime", A_DROP, NULL},
    {"rgba", "visual", "bv", A_DROP, NULL},
    {"rgba", "visual", "bvactive", A_DROP, NULL},
    {"rgba", "visual", "frustum", A_DROP, NULL},
    {"scale", "visual", "frustum", A_DROP, NULL},
    {"mesh", NULL, "content_type", A_DROP, NULL},
    {"mesh", NULL, "material", A_DROP, NULL},
    {"mesh", NULL, "inertia", A_CUSTOM, NULL},
    {"mesh", NULL, "maxhullvert", A_DROP_WARN, "MuJoCo 2.2.2 uses the full convex hull"},
    {"mesh", NULL, "builtin", A_REFUSE, NULL},
    {"mesh", NULL, "params", A_REFUSE, NULL},
    {"texture", NULL, "colorspace", A_DROP, NULL},
    {"texture", NULL, "content_type", A_DROP, NULL},
    {"texture", NULL, "nchannel", A_DROP, NULL},
    {"hfield", NULL, "content_type", A_DROP, NULL},
    {"hfield", NULL, "elevation", A_REFUSE, NULL},
    {"material", NULL, "metallic", A_DROP, NULL},
    {"material", NULL, "roughness", A_DROP, NULL},
    {"layer", "material", NULL, A_DROP, NULL},
    {"body", NULL, "gravcomp", A_ONLY, "0"},
    {"camera", NULL, "focal", A_DROP, NULL},
    {"camera", NULL, "focalpixel", A_DROP, NULL},
    {"camera", NULL, "orthographic", A_DROP, NULL},
    {"camera", NULL, "principal", A_DROP, NULL},
    {"camera", NULL, "principalpixel", A_DROP, NULL},
    {"camera", NULL, "resolution", A_DROP, NULL},
    {"camera", NULL, "sensorsize", A_DROP, NULL},
    {"light", NULL, "bulbradius", A_DROP, NULL},
    {"light", NULL, "intensity", A_DROP, NULL},
    {"light", NULL, "range", A_DROP, NULL},
    {"light", NULL, "texture", A_DROP, NULL},
    {"light", NULL, "type", A_CUSTOM, NULL},
    {"freejoint", NULL, "align", A_DROP_WARN, "the free body keeps its body frame (an "
                                              "alignment optimisation of MuJoCo 3)"},
    {"joint", NULL, "actuatorgravcomp", A_ONLY, "false"},
    {"fixed", "tendon", "armature", A_ONLY, "0"},
    {"spatial", "tendon", "armature", A_ONLY, "0"},
    {"tendon", "default", "armature", A_ONLY, "0"},
    {"pair", NULL, "solreffriction", A_DROP_WARN, "frictional contact directions use solref"},
    {"connect", "equality", "site1", A_REFUSE, NULL},
    {"connect", "equality", "site2", A_REFUSE, NULL},
    {"weld", "equality", "site1", A_REFUSE, NULL},
    {"weld", "equality", "site2", A_REFUSE, NULL},
    {"general", NULL, "actdim", A_ONLY, "-1"},
    {"general", NULL, "actearly", A_ONLY, "false"},
    {"muscle", NULL, "tausmooth", A_ONLY, "0"},
    {"position", NULL, "dampratio", A_REFUSE, NULL},
    {"intvelocity", NULL, "kv", A_ONLY, "0"},
    {"intvelocity", NULL, "dampratio", A_REFUSE, NULL},
    {"intvelocity", NULL, "inheritrange", A_ONLY, "0"},
    {"composite", NULL, "curve", A_REFUSE, NULL},
    {"composite", NULL, "initial", A_REFUSE, NULL},
    {"composite", NULL, "vertex", A_REFUSE, NULL},
    {"composite", NULL, "size", A_REFUSE, NULL},
    {"composite", NULL, "quat", A_REFUSE, NULL},
    {"joint", "composite", "axis", A_REFUSE, NULL},
    {"joint", "composite", "type", A_REFUSE, NULL},
    /* attributes the actuator part translates; here only if it left one */
    {"joint", NULL, "actuatorfrcrange", A_REFUSE, NULL},
    {"joint", NULL, "actuatorfrclimited", A_REFUSE, NULL},
    {"position", NULL, "kv", A_REFUSE, NULL},
    {"position", NULL, "timeconst", A_REFUSE, NULL},
    {"position", NULL, "inheritrange", A_REFUSE, NULL},
    /* elements */
    {"frame", NULL, NULL, A_REFUSE, NULL},
    {"replicate", NULL, NULL, A_REFUSE, NULL},
    {"attach", NULL, NULL, A_REFUSE, NULL},
    {"flexcomp", NULL, NULL, A_REFUSE, NULL},
    {"deformable", NULL, NULL, A_REFUSE, NULL},
    {"extension", NULL, NULL, A_REFUSE, NULL},
    {"plugin", NULL, NULL, A_REFUSE, NULL},
    {"model", "asset", NULL, A_REFUSE, NULL},
    {"flex", "equality", NULL, A_REFUSE, NULL},
    {"camprojection", "sensor", NULL, A_REFUSE, NULL},
    {"distance", "sensor", NULL, A_REFUSE, NULL},
    {"normal", "sensor", NULL, A_REFUSE, NULL},
    {"fromto", "sensor", NULL, A_REFUSE, NULL},
    {"jointactuatorfrc", "sensor", NULL, A_REFUSE, NULL},
};

static const rule_t *find_rule(xmlNodePtr n, const char *attr) {
  const char *parent = n->parent != NULL && n->parent->type == XML_ELEMENT_NODE
                           ? (const char *)n->parent->name
                           : "";
  for (size_t i = 0; i < sizeof k_rules / sizeof k_rules[0]; i++) {
    const rule_t *r = &k_rules[i];
    if (strcmp(r->elem, (const char *)n->name) != 0) continue;
    if ((r->attr == NULL) != (attr == NULL)) continue;
    if (attr != NULL && strcmp(r->attr, attr) != 0) continue;
    if (r->parent != NULL && strcmp(r->parent, parent) != 0) continue;
    return r;
  }
  return NULL;
}

/* ---- custom translations ----------------------------------------------------------------- */

static int custom(dtw__compat_t *c, xmlNodePtr n, const char *attr, const char *value) {
  if (strcmp(attr, "assetdir") == 0) {
    if (!dtw__compat_has(n, "meshdir") && !dtw__compat_set(c, n, "meshdir", value))
      return DTW_ENOMEM;
    if (!dtw__compat_has(n, "texturedir") && !dtw__compat_set(c, n, "texturedir", value))
      return DTW_ENOMEM;
    dtw__compat_unset(c, n, attr);
  } else if (strcmp(attr, "integrator") == 0) {
    if (strcmp(value, "implicitfast") != 0) return 0;
    if (!dtw__compat_set(c, n, attr, "implicit")) return DTW_ENOMEM;
    dtw__warn(&c->warn, DTW__W_MJCF_APPROX, "%s:%ld: <option integrator=\"implicitfast\">: "
              "runs as \"implicit\" on MuJoCo 2.2.2 (it also differentiates Coriolis and "
              "centripetal forces)", c->file, xmlGetLineNo(n));
  } else if (strcmp(attr, "damper") == 0 || strcmp(attr, "spring") == 0) {
    /* MuJoCo 3.3 split 2.2.2's "passive" flag in two: both are handled here */
    char *damper = dtw__compat_attr(n, "damper"), *spring = dtw__compat_attr(n, "spring");
    const char *d = damper != NULL ? damper : "enable", *s = spring != NULL ? spring : "enable";
    int rc = 0;
    if (strcmp(d, s) != 0)
      rc = dtw__compat_refuse(c, n, "damper=\"%s\" with spring=\"%s\" has no MuJoCo 2.2.2 "
                              "equivalent (its \"passive\" flag covers both together)", d, s);
    else if (strcmp(d, "disable") == 0 && !dtw__compat_set(c, n, "passive", "disable"))
      rc = DTW_ENOMEM;
    xmlFree(damper);
    xmlFree(spring);
    if (rc != 0) return rc;
    dtw__compat_unset(c, n, "damper");
    dtw__compat_unset(c, n, "spring");
  } else if (strcmp(attr, "type") == 0) { /* <light type> */
    if (strcmp(value, "directional") == 0 && !dtw__compat_set(c, n, "directional", "true"))
      return DTW_ENOMEM;
    dtw__compat_unset(c, n, attr); /* spot is 2.2.2's kind; point/image are rendering only */
  } else if (strcmp(attr, "inertia") == 0) { /* <mesh inertia> */
    if (strcmp(value, "legacy") != 0)
      dtw__warn(&c->warn, DTW__W_MJCF_APPROX, "%s:%ld: <mesh inertia=\"%s\">: MuJoCo 2.2.2 "
                "infers mesh inertia its own way (only for bodies without <inertial>)", c->file,
                xmlGetLineNo(n), value);
    dtw__compat_unset(c, n, attr);
  }
  return 0;
}

/* ---- the walk ---------------------------------------------------------------------------- */

static int apply_attr(dtw__compat_t *c, xmlNodePtr n, const rule_t *r, const char *value) {
  switch (r->action) {
  case A_DROP:
    dtw__compat_unset(c, n, r->attr);
    dtw__warn(&c->warn, DTW__W_MJCF_DROPPED, "%s:%ld: <%s %s>: MuJoCo 3 attribute without "
              "effect on MuJoCo 2.2.2's physics: removed", c->file, xmlGetLineNo(n),
              (const char *)n->name, r->attr);
    return 0;
  case A_DROP_WARN:
    dtw__compat_unset(c, n, r->attr);
    dtw__warn(&c->warn, DTW__W_MJCF_APPROX, "%s:%ld: <%s %s>: MuJoCo 3 only, removed: %s",
              c->file, xmlGetLineNo(n), (const char *)n->name, r->attr, r->arg);
    return 0;
  case A_RENAME:
    if (!dtw__compat_has(n, r->arg) && !dtw__compat_set(c, n, r->arg, value)) return DTW_ENOMEM;
    dtw__compat_unset(c, n, r->attr);
    return 0;
  case A_ONLY: {
    /* a list attribute that is empty or all blank is as good as absent */
    bool noop = strcmp(value, r->arg) == 0 || (r->arg[0] == '\0' && strspn(value, " \t\n") ==
                                                                       strlen(value));
    if (!noop)
      return dtw__compat_refuse(c, n, "attribute '%s' (\"%s\") is MuJoCo 3 MJCF with no "
                                "MuJoCo 2.2.2 equivalent", r->attr, value);
    dtw__compat_unset(c, n, r->attr);
    return 0;
  }
  case A_REFUSE:
    return dtw__compat_refuse(c, n, "attribute '%s' is MuJoCo 3 MJCF with no MuJoCo 2.2.2 "
                              "equivalent", r->attr);
  case A_CUSTOM:
    return custom(c, n, r->attr, value);
  }
  return 0;
}

static int visit(dtw__compat_t *c, xmlNodePtr n) {
  const rule_t *er = find_rule(n, NULL);
  if (er != NULL && er->action == A_REFUSE)
    return dtw__compat_refuse(c, n, "element <%s> is MuJoCo 3 MJCF with no MuJoCo 2.2.2 "
                              "equivalent", (const char *)n->name);
  /* one pass per rule: rules add and remove attributes */
  const char *parent = n->parent != NULL && n->parent->type == XML_ELEMENT_NODE
                           ? (const char *)n->parent->name
                           : "";
  for (size_t i = 0; i < sizeof k_rules / sizeof k_rules[0]; i++) {
    const rule_t *r = &k_rules[i];
    if (r->attr == NULL || strcmp(r->elem, (const char *)n->name) != 0) continue;
    if (r->parent != NULL && strcmp(r->parent, parent) != 0) continue;
    char *value = dtw__compat_attr(n, r->attr);
    if (value == NULL) continue;
    int rc = apply_attr(c, n, r, value);
    xmlFree(value);
    if (rc != 0) return rc;
  }
  return 0;
}

/* Elements removed whole (rendering-only children such as <layer>). */
static bool drop_element(dtw__compat_t *c, xmlNodePtr n) {
  const rule_t *r = find_rule(n, NULL);
  if (r == NULL || r->action != A_DROP) return false;
  dtw__warn(&c->warn, DTW__W_MJCF_DROPPED, "%s:%ld: <%s>: MuJoCo 3 element without effect on "
            "MuJoCo 2.2.2's physics: removed", c->file, xmlGetLineNo(n), (const char *)n->name);
  return true;
}

/* Every element in document order (iterative: bodies nest deeply). */
static int walk(dtw__compat_t *c) {
  int rc = 0;
  xmlNodePtr *drop = NULL;
  size_t n_drop = 0, cap = 0;
  xmlNodePtr n = c->root;
  while (n != NULL && rc == 0) {
    bool descend = false;
    if (n->type == XML_ELEMENT_NODE) {
      if (drop_element(c, n)) {
        if (n_drop == cap) {
          cap = cap ? 2 * cap : 8;
          xmlNodePtr *d = realloc(drop, cap * sizeof *d);
          if (d == NULL) {
            rc = DTW_ENOMEM;
            break;
          }
          drop = d;
        }
        drop[n_drop++] = n;
      } else {
        rc = visit(c, n);
        descend = n->children != NULL;
      }
    }
    if (descend) {
      n = n->children;
      continue;
    }
    while (n != NULL && n != c->root && n->next == NULL) n = n->parent;
    n = n == NULL || n == c->root ? NULL : n->next;
  }
  for (size_t i = 0; i < n_drop; i++) {
    xmlUnlinkNode(drop[i]);
    xmlFreeNode(drop[i]);
    c->changed = true;
  }
  free(drop);
  return rc;
}

/* ---- autolimits -------------------------------------------------------------------------- */

/* (range, limited) pairs MuJoCo's autolimits covers. */
static const char *const k_limit_pairs[][2] = {
    {"range", "limited"},         {"ctrlrange", "ctrllimited"},
    {"forcerange", "forcelimited"}, {"actrange", "actlimited"}};

/* Whether some element has a range without its limited attribute. */
static bool needs_autolimits(xmlNodePtr n) {
  for (; n != NULL; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    bool relevant = dtw__compat_is(n, "joint") || dtw__compat_is(n, "fixed") ||
                    dtw__compat_is(n, "spatial") || dtw__compat_is(n, "tendon") ||
                    in_list((const char *)n->name, dtw__compat_actuator_kinds);
    for (size_t i = 0; relevant && i < 4; i++)
      if (dtw__compat_has(n, k_limit_pairs[i][0]) && !dtw__compat_has(n, k_limit_pairs[i][1]))
        return true;
    if (needs_autolimits(n->children)) return true;
  }
  return false;
}

static int autolimits(dtw__compat_t *c) {
  xmlNodePtr compiler = NULL;
  for (xmlNodePtr n = c->root->children; n != NULL; n = n->next)
    if (dtw__compat_is(n, "compiler") && dtw__compat_has(n, "autolimits")) return 0;
  if (!needs_autolimits(c->root->children)) return 0;
  for (xmlNodePtr n = c->root->children; n != NULL && compiler == NULL; n = n->next)
    if (dtw__compat_is(n, "compiler")) compiler = n;
  if (compiler == NULL) {
    /* first in the document, on the root's line: line numbers stay */
    compiler = xmlNewDocNode(c->root->doc, NULL, (const xmlChar *)"compiler", NULL);
    if (compiler == NULL) return DTW_ENOMEM;
    if (c->root->children != NULL)
      xmlAddPrevSibling(c->root->children, compiler);
    else
      xmlAddChild(c->root, compiler);
  }
  return dtw__compat_set(c, compiler, "autolimits", "true") ? 0 : DTW_ENOMEM;
}

int dtw__mjcf_compat(xmlDocPtr doc, const char *file, bool *changed, char *err, size_t errlen) {
  dtw__compat_t c = {.root = xmlDocGetRootElement(doc), .file = file, .err = err,
                     .errlen = errlen, .angle_degree = true};
  *changed = false;
  if (c.root == NULL) return 0;
  for (xmlNodePtr n = c.root->children; n != NULL; n = n->next)
    if (dtw__compat_is(n, "compiler")) {
      char *angle = dtw__compat_attr(n, "angle");
      if (angle != NULL) c.angle_degree = strcmp(angle, "radian") != 0;
      xmlFree(angle);
    }
  int rc = dtw__compat_actuators(&c);
  if (rc == 0) rc = walk(&c);
  if (rc == 0) rc = autolimits(&c);
  if (rc == DTW_ENOMEM) dtw_errf(err, errlen, rc, "%s: out of memory translating it", file);
  if (rc != 0) return rc;
  dtw__warn_flush(&c.warn);
  *changed = c.changed;
  return 0;
}
