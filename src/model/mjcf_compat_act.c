/* The actuator part of the MuJoCo 3 -> 2.2.2 pass (see model__mjcf_compat.h):
 * joint and tendon actuatorfrcrange as per-actuator forcerange, and position
 * actuators with kv / timeconst / inheritrange as <general> actuators. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__mjcf_compat.h"

typedef struct nodes {
  xmlNodePtr *v;
  size_t n, cap;
} nodes_t;

static bool push(nodes_t *s, xmlNodePtr n) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 32;
    xmlNodePtr *v = realloc(s->v, cap * sizeof *v);
    if (v == NULL) return false;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = n;
  return true;
}

typedef struct model_nodes {
  nodes_t joints;    /* <body><joint> */
  nodes_t tendons;   /* <tendon><fixed|spatial> */
  nodes_t actuators; /* children of <actuator> */
  nodes_t defaults;  /* <default> children: joint, tendon, position */
} model_nodes_t;

static bool is_actuator(xmlNodePtr n) {
  for (size_t i = 0; dtw__compat_actuator_kinds[i] != NULL; i++)
    if (dtw__compat_is(n, dtw__compat_actuator_kinds[i])) return true;
  return false;
}

/* Sort the elements this part needs, in document order. */
static bool collect(xmlNodePtr root, model_nodes_t *m) {
  xmlNodePtr n = root;
  bool ok = true;
  while (n != NULL && ok) {
    if (n->type == XML_ELEMENT_NODE && n->parent != NULL) {
      xmlNodePtr p = n->parent;
      if (dtw__compat_is(n, "joint") && dtw__compat_is(p, "body"))
        ok = push(&m->joints, n);
      else if ((dtw__compat_is(n, "fixed") || dtw__compat_is(n, "spatial")) &&
               dtw__compat_is(p, "tendon"))
        ok = push(&m->tendons, n);
      else if (dtw__compat_is(p, "actuator") && is_actuator(n))
        ok = push(&m->actuators, n);
      else if (dtw__compat_is(p, "default") &&
               (dtw__compat_is(n, "joint") || dtw__compat_is(n, "tendon") ||
                dtw__compat_is(n, "position")))
        ok = push(&m->defaults, n);
    }
    if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
      n = n->children;
      continue;
    }
    while (n != NULL && n != root && n->next == NULL) n = n->parent;
    n = n == NULL || n == root ? NULL : n->next;
  }
  return ok;
}

static bool attr_is(xmlNodePtr n, const char *attr, const char *value) {
  char *v = dtw__compat_attr(n, attr);
  bool eq = v != NULL && strcmp(v, value) == 0;
  xmlFree(v);
  return eq;
}

/* Two numbers "lo hi". */
static bool parse_range(const char *text, double r[2]) {
  char *end = NULL;
  if (text == NULL) return false;
  r[0] = strtod(text, &end);
  if (end == text) return false;
  const char *s = end;
  r[1] = strtod(s, &end);
  if (end == s) return false;
  while (*end == ' ' || *end == '\t' || *end == '\n') end++;
  return *end == '\0' && isfinite(r[0]) && isfinite(r[1]) && r[0] <= r[1];
}

static const char *const k_joint[] = {"joint", NULL};
static const char *const k_tendon[] = {"tendon", NULL};
static const char *const k_position[] = {"position", NULL};

/* ---- actuatorfrcrange --------------------------------------------------------------------- */

/* A fixed tendon that lists joint `name`. */
static bool tendon_has_joint(xmlNodePtr tendon, const char *name) {
  for (xmlNodePtr j = tendon->children; j != NULL; j = j->next)
    if (dtw__compat_is(j, "joint") && attr_is(j, "joint", name)) return true;
  return false;
}

/* Clamp actuator a so gear x force stays in r (the joint-level range). */
static int clamp_actuator(dtw__compat_t *c, xmlNodePtr a, const double r[2]) {
  char *gear_text = dtw__compat_effective(c, a, "gear", dtw__compat_actuator_kinds);
  double gear = gear_text != NULL ? strtod(gear_text, NULL) : 1.0;
  xmlFree(gear_text);
  if (!(fabs(gear) > 0)) return 0; /* no force reaches the joint */
  double lo = r[0] / gear, hi = r[1] / gear;
  if (lo > hi) {
    double t = lo;
    lo = hi;
    hi = t;
  }
  /* intersect with the actuator's own limit, if it has one in force */
  char *fr = dtw__compat_effective(c, a, "forcerange", dtw__compat_actuator_kinds);
  char *fl = dtw__compat_effective(c, a, "forcelimited", dtw__compat_actuator_kinds);
  double own[2];
  if (fr != NULL && parse_range(fr, own) && (fl == NULL || strcmp(fl, "false") != 0)) {
    lo = fmax(lo, own[0]);
    hi = fmin(hi, own[1]);
    if (lo > hi) lo = hi = 0;
  }
  xmlFree(fr);
  xmlFree(fl);
  char buf[96];
  snprintf(buf, sizeof buf, "%.10g %.10g", lo == 0 ? 0 : lo, hi == 0 ? 0 : hi);
  if (!dtw__compat_set(c, a, "forcelimited", "true") || !dtw__compat_set(c, a, "forcerange", buf))
    return DTW_ENOMEM;
  return 0;
}

/* The joint (is_joint) or tendon t: its actuatorfrcrange onto its actuators. */
static int frcrange_target(dtw__compat_t *c, const model_nodes_t *m, xmlNodePtr t,
                           bool is_joint) {
  const char *const *kinds = is_joint ? k_joint : k_tendon;
  char *range = dtw__compat_effective(c, t, "actuatorfrcrange", kinds);
  char *limited = dtw__compat_effective(c, t, "actuatorfrclimited", kinds);
  char *name = dtw__compat_attr(t, "name");
  int rc = 0;
  double r[2];
  /* "auto" (and absent): limited when a range is given, MuJoCo 3's autolimits */
  bool on = range != NULL && (limited == NULL || strcmp(limited, "false") != 0);
  if (on && !parse_range(range, r))
    rc = dtw__compat_refuse(c, t, "actuatorfrcrange=\"%s\": expected \"lower upper\"", range);
  size_t n_act = 0;
  for (size_t i = 0; on && rc == 0 && i < m->actuators.n; i++) {
    xmlNodePtr a = m->actuators.v[i];
    bool direct = name != NULL && (is_joint ? attr_is(a, "joint", name) ||
                                                  attr_is(a, "jointinparent", name)
                                            : attr_is(a, "tendon", name));
    if (direct) {
      rc = clamp_actuator(c, a, r);
      n_act++;
      continue;
    }
    /* indirect drives have no per-actuator equivalent of a joint-level clamp */
    char *via = dtw__compat_attr(a, "site");
    char *tendon = is_joint ? dtw__compat_attr(a, "tendon") : NULL;
    for (size_t k = 0; via == NULL && tendon != NULL && name != NULL && k < m->tendons.n; k++)
      if (attr_is(m->tendons.v[k], "name", tendon) && tendon_has_joint(m->tendons.v[k], name))
        via = (char *)xmlStrdup((const xmlChar *)tendon);
    if (via != NULL)
      rc = dtw__compat_refuse(c, t, "actuatorfrcrange: an actuator drives '%s' through %s '%s'; "
                              "MuJoCo 2.2.2 can only limit each actuator's own force",
                              name, dtw__compat_has(a, "site") ? "site" : "tendon", via);
    xmlFree(via);
    xmlFree(tendon);
  }
  if (rc == 0 && n_act > 1)
    dtw__warn(&c->warn, DTW__W_MJCF_APPROX, "%s:%ld: <%s name=\"%s\" actuatorfrcrange>: %zu "
              "actuators drive it; each is limited to the range (MuJoCo 3 limits their sum)",
              c->file, xmlGetLineNo(t), (const char *)t->name, name, n_act);
  xmlFree(range);
  xmlFree(limited);
  xmlFree(name);
  return rc;
}

static int frcrange(dtw__compat_t *c, const model_nodes_t *m) {
  for (size_t i = 0; i < m->joints.n; i++) {
    int rc = frcrange_target(c, m, m->joints.v[i], true);
    if (rc != 0) return rc;
  }
  for (size_t i = 0; i < m->tendons.n; i++) {
    int rc = frcrange_target(c, m, m->tendons.v[i], false);
    if (rc != 0) return rc;
  }
  /* every target read its (inherited) value: now the attributes can go */
  const nodes_t *lists[] = {&m->joints, &m->tendons, &m->defaults};
  for (size_t l = 0; l < 3; l++)
    for (size_t i = 0; i < lists[l]->n; i++) {
      dtw__compat_unset(c, lists[l]->v[i], "actuatorfrcrange");
      dtw__compat_unset(c, lists[l]->v[i], "actuatorfrclimited");
    }
  return 0;
}

/* ---- position kv / timeconst / inheritrange ---------------------------------------------- */

static double effective_num(dtw__compat_t *c, xmlNodePtr n, const char *attr, double dflt) {
  char *v = dtw__compat_effective(c, n, attr, k_position);
  double x = v != NULL ? strtod(v, NULL) : dflt;
  xmlFree(v);
  return isfinite(x) ? x : dflt;
}

/* The range a position actuator's transmission target moves in, in the units
 * of qpos (hinge ranges of a degree model converted). */
static int target_range(dtw__compat_t *c, const model_nodes_t *m, xmlNodePtr a, double r[2]) {
  char *joint = dtw__compat_attr(a, "joint");
  char *tendon = dtw__compat_attr(a, "tendon");
  int rc = DTW_EUNSUP;
  const nodes_t *list = joint != NULL ? &m->joints : &m->tendons;
  const char *name = joint != NULL ? joint : tendon;
  for (size_t i = 0; name != NULL && i < list->n && rc != 0; i++) {
    xmlNodePtr t = list->v[i];
    if (!attr_is(t, "name", name)) continue;
    const char *const *kinds = joint != NULL ? k_joint : k_tendon;
    char *range = dtw__compat_effective(c, t, "range", kinds);
    if (range != NULL && parse_range(range, r)) {
      char *type = joint != NULL ? dtw__compat_effective(c, t, "type", kinds) : NULL;
      bool hinge = joint != NULL && (type == NULL || strcmp(type, "hinge") == 0);
      if (hinge && c->angle_degree) r[0] *= M_PI / 180, r[1] *= M_PI / 180;
      xmlFree(type);
      rc = 0;
    }
    xmlFree(range);
  }
  xmlFree(joint);
  xmlFree(tendon);
  return rc;
}

/* An actuator with activation state (MuJoCo 2.2.2 wants those last). */
static bool stateful(dtw__compat_t *c, xmlNodePtr a) {
  if (dtw__compat_is(a, "intvelocity") || dtw__compat_is(a, "cylinder") ||
      dtw__compat_is(a, "muscle"))
    return true;
  if (dtw__compat_is(a, "position")) return effective_num(c, a, "timeconst", 0) > 0;
  if (!dtw__compat_is(a, "general")) return false;
  char *dyn = dtw__compat_effective(c, a, "dyntype", dtw__compat_actuator_kinds);
  bool s = dyn != NULL && strcmp(dyn, "none") != 0;
  xmlFree(dyn);
  return s;
}

static int position(dtw__compat_t *c, const model_nodes_t *m, size_t index) {
  xmlNodePtr a = m->actuators.v[index];
  double kv = effective_num(c, a, "kv", 0), tc = effective_num(c, a, "timeconst", 0);
  double inherit = effective_num(c, a, "inheritrange", 0);
  if (kv == 0 && tc == 0 && inherit == 0) return 0;
  for (size_t i = index + 1; tc > 0 && i < m->actuators.n; i++)
    if (!stateful(c, m->actuators.v[i]))
      return dtw__compat_refuse(c, a, "timeconst makes it stateful, and MuJoCo 2.2.2 needs "
                                "stateful actuators after the stateless ones (line %ld is "
                                "stateless)", xmlGetLineNo(m->actuators.v[i]));
  double kp = effective_num(c, a, "kp", 1);
  if (inherit > 0) {
    double r[2];
    if (target_range(c, m, a, r) != 0)
      return dtw__compat_refuse(c, a, "inheritrange: its joint or tendon has no range to "
                                "inherit (or it is not a joint or tendon transmission)");
    double mid = 0.5 * (r[0] + r[1]), half = 0.5 * (r[1] - r[0]) * inherit;
    char buf[96];
    snprintf(buf, sizeof buf, "%.10g %.10g", mid - half, mid + half);
    if (!dtw__compat_set(c, a, "ctrlrange", buf) || !dtw__compat_set(c, a, "ctrllimited", "true"))
      return DTW_ENOMEM;
  }
  char gain[64], bias[128];
  snprintf(gain, sizeof gain, "%.10g", kp);
  snprintf(bias, sizeof bias, "0 %.10g %.10g", -kp, kv == 0 ? 0 : -kv);
  xmlNodeSetName(a, (const xmlChar *)"general");
  c->changed = true;
  if (!dtw__compat_set(c, a, "gaintype", "fixed") || !dtw__compat_set(c, a, "biastype", "affine") ||
      !dtw__compat_set(c, a, "gainprm", gain) || !dtw__compat_set(c, a, "biasprm", bias))
    return DTW_ENOMEM;
  if (tc > 0) {
    char dyn[64];
    snprintf(dyn, sizeof dyn, "%.10g", tc);
    if (!dtw__compat_set(c, a, "dyntype", "filter") || !dtw__compat_set(c, a, "dynprm", dyn))
      return DTW_ENOMEM;
    dtw__warn(&c->warn, DTW__W_MJCF_APPROX, "%s:%ld: <position timeconst>: a first-order "
              "filter integrated by Euler steps on MuJoCo 2.2.2 (MuJoCo 3 integrates it "
              "exactly)", c->file, xmlGetLineNo(a));
  }
  static const char *const gone[] = {"kp", "kv", "timeconst", "inheritrange"};
  for (size_t i = 0; i < 4; i++) dtw__compat_unset(c, a, gone[i]);
  return 0;
}

int dtw__compat_actuators(dtw__compat_t *c) {
  model_nodes_t m = {0};
  int rc = collect(c->root, &m) ? 0 : DTW_ENOMEM;
  if (rc == 0) rc = frcrange(c, &m);
  for (size_t i = 0; rc == 0 && i < m.actuators.n; i++)
    if (dtw__compat_is(m.actuators.v[i], "position")) rc = position(c, &m, i);
  /* the defaults have been read by every actuator of their classes */
  for (size_t i = 0; rc == 0 && i < m.defaults.n; i++)
    if (dtw__compat_is(m.defaults.v[i], "position")) {
      dtw__compat_unset(c, m.defaults.v[i], "kv");
      dtw__compat_unset(c, m.defaults.v[i], "timeconst");
      dtw__compat_unset(c, m.defaults.v[i], "inheritrange");
    }
  free(m.joints.v);
  free(m.tendons.v);
  free(m.actuators.v);
  free(m.defaults.v);
  return rc;
}
