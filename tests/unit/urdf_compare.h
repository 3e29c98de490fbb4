/* urdf_compare.h - compare two URDF documents as robots, straight on libxml2 (not
 * through dtwin's URDF parser): the same links and joints by name; per joint its
 * type, parent, child, origin, axis and limits; per link its inertial (mass,
 * origin, inertia tensor) and its collision and visual geometry (origin, shape,
 * sizes, mesh file name and scale). Numbers match within 1e-9 relative; absent
 * attributes take URDF's defaults. Text layout, attribute order and comments do not
 * matter. Static functions: include once per program. */
#ifndef URDF_COMPARE_H
#define URDF_COMPARE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

typedef struct ucmp {
  char *why;
  size_t whylen;
  int diffs;
} ucmp_t;

static void ucmp_fail(ucmp_t *u, const char *fmt, const char *a, const char *b, const char *c) {
  if (u->diffs++ == 0) snprintf(u->why, u->whylen, fmt, a, b, c);
}

static int ucmp_is(xmlNodePtr n, const char *name) {
  return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr ucmp_child(xmlNodePtr n, const char *name) {
  for (xmlNodePtr k = n != NULL ? n->children : NULL; k != NULL; k = k->next)
    if (ucmp_is(k, name)) return k;
  return NULL;
}

/* attribute text or "" (static rotating buffers are avoided: callers copy) */
static char *ucmp_attr(xmlNodePtr n, const char *name) {
  xmlChar *v = n != NULL ? xmlGetProp(n, (const xmlChar *)name) : NULL;
  char *s = strdup(v != NULL ? (const char *)v : "");
  xmlFree(v);
  return s;
}

static int ucmp_num_eq(double a, double b) {
  double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return a == b || fabs(a - b) <= 1e-9 * scale + 1e-300;
}

/* Numeric vectors: same count, each within tolerance. Empty text means def. */
static void ucmp_numbers(ucmp_t *u, const char *what, const char *got, const char *want,
                         const char *def) {
  const char *g = got[0] != '\0' ? got : def, *w = want[0] != '\0' ? want : def;
  char *ge, *we;
  for (;;) {
    while (*g == ' ' || *g == '\t' || *g == '\n') g++;
    while (*w == ' ' || *w == '\t' || *w == '\n') w++;
    if (*g == '\0' || *w == '\0') break;
    double x = strtod(g, &ge), y = strtod(w, &we);
    if (ge == g || we == w) {
      ucmp_fail(u, "%s: '%s' vs '%s' (not numbers)", what, got, want);
      return;
    }
    if (!ucmp_num_eq(x, y)) {
      ucmp_fail(u, "%s: '%s' vs '%s'", what, got, want);
      return;
    }
    g = ge;
    w = we;
  }
  if (*g != '\0' || *w != '\0') ucmp_fail(u, "%s: '%s' vs '%s' (count)", what, got, want);
}

static void ucmp_attr_num(ucmp_t *u, const char *ctx, const char *elname, xmlNodePtr g,
                          xmlNodePtr w, const char *attr, const char *def) {
  char what[300];
  snprintf(what, sizeof what, "%s <%s %s>", ctx, elname, attr);
  char *ga = ucmp_attr(g, attr), *wa = ucmp_attr(w, attr);
  ucmp_numbers(u, what, ga, wa, def);
  free(ga);
  free(wa);
}

static void ucmp_attr_text(ucmp_t *u, const char *ctx, const char *elname, xmlNodePtr g,
                           xmlNodePtr w, const char *attr) {
  char *ga = ucmp_attr(g, attr), *wa = ucmp_attr(w, attr);
  if (strcmp(ga, wa) != 0) {
    char what[300];
    snprintf(what, sizeof what, "%s <%s %s>", ctx, elname, attr);
    ucmp_fail(u, "%s: '%s' vs '%s'", what, ga, wa);
  }
  free(ga);
  free(wa);
}

static void ucmp_presence(ucmp_t *u, const char *ctx, const char *what, xmlNodePtr g,
                          xmlNodePtr w) {
  if ((g == NULL) != (w == NULL))
    ucmp_fail(u, "%s: <%s> %s", ctx, what, g == NULL ? "missing" : "unexpected");
}

static void ucmp_origin(ucmp_t *u, const char *ctx, xmlNodePtr g, xmlNodePtr w) {
  xmlNodePtr go = ucmp_child(g, "origin"), wo = ucmp_child(w, "origin");
  ucmp_attr_num(u, ctx, "origin", go, wo, "xyz", "0 0 0");
  ucmp_attr_num(u, ctx, "origin", go, wo, "rpy", "0 0 0");
}

static void ucmp_geometry(ucmp_t *u, const char *ctx, xmlNodePtr g, xmlNodePtr w) {
  ucmp_origin(u, ctx, g, w);
  xmlNodePtr gg = ucmp_child(g, "geometry"), wg = ucmp_child(w, "geometry");
  ucmp_presence(u, ctx, "geometry", gg, wg);
  if (gg == NULL || wg == NULL) return;
  xmlNodePtr gs = gg->children, ws = wg->children;
  while (gs != NULL && gs->type != XML_ELEMENT_NODE) gs = gs->next;
  while (ws != NULL && ws->type != XML_ELEMENT_NODE) ws = ws->next;
  if (gs == NULL || ws == NULL || strcmp((const char *)gs->name, (const char *)ws->name) != 0) {
    ucmp_fail(u, "%s: geometry <%s> vs <%s>", ctx, gs != NULL ? (const char *)gs->name : "none",
              ws != NULL ? (const char *)ws->name : "none");
    return;
  }
  const char *shape = (const char *)gs->name;
  if (strcmp(shape, "box") == 0) {
    ucmp_attr_num(u, ctx, shape, gs, ws, "size", "");
  } else if (strcmp(shape, "cylinder") == 0 || strcmp(shape, "capsule") == 0) {
    ucmp_attr_num(u, ctx, shape, gs, ws, "radius", "");
    ucmp_attr_num(u, ctx, shape, gs, ws, "length", "");
  } else if (strcmp(shape, "sphere") == 0) {
    ucmp_attr_num(u, ctx, shape, gs, ws, "radius", "");
  } else if (strcmp(shape, "mesh") == 0) {
    ucmp_attr_text(u, ctx, shape, gs, ws, "filename");
    ucmp_attr_num(u, ctx, shape, gs, ws, "scale", "1 1 1");
  }
}

/* the i-th (0-based) child element called name */
static xmlNodePtr ucmp_nth(xmlNodePtr n, const char *name, int i) {
  for (xmlNodePtr k = n->children; k != NULL; k = k->next)
    if (ucmp_is(k, name) && i-- == 0) return k;
  return NULL;
}

static void ucmp_link(ucmp_t *u, xmlNodePtr g, xmlNodePtr w, const char *name) {
  char ctx[300];
  snprintf(ctx, sizeof ctx, "link '%s'", name);
  xmlNodePtr gi = ucmp_child(g, "inertial"), wi = ucmp_child(w, "inertial");
  ucmp_presence(u, ctx, "inertial", gi, wi);
  if (gi != NULL && wi != NULL) {
    ucmp_origin(u, ctx, gi, wi);
    ucmp_attr_num(u, ctx, "mass", ucmp_child(gi, "mass"), ucmp_child(wi, "mass"), "value", "");
    static const char *const tensor[] = {"ixx", "ixy", "ixz", "iyy", "iyz", "izz"};
    for (int k = 0; k < 6; k++)
      ucmp_attr_num(u, ctx, "inertia", ucmp_child(gi, "inertia"), ucmp_child(wi, "inertia"),
                    tensor[k], "0");
  }
  static const char *const kinds[] = {"collision", "visual"};
  for (int kind = 0; kind < 2; kind++) {
    for (int i = 0;; i++) {
      xmlNodePtr gc = ucmp_nth(g, kinds[kind], i), wc = ucmp_nth(w, kinds[kind], i);
      char cctx[340];
      snprintf(cctx, sizeof cctx, "%s %s %d", ctx, kinds[kind], i + 1);
      ucmp_presence(u, cctx, kinds[kind], gc, wc);
      if (gc == NULL || wc == NULL) break;
      ucmp_geometry(u, cctx, gc, wc);
    }
  }
}

static void ucmp_joint(ucmp_t *u, xmlNodePtr g, xmlNodePtr w, const char *name) {
  char ctx[300];
  snprintf(ctx, sizeof ctx, "joint '%s'", name);
  ucmp_attr_text(u, ctx, "joint", g, w, "type");
  ucmp_attr_text(u, ctx, "parent", ucmp_child(g, "parent"), ucmp_child(w, "parent"), "link");
  ucmp_attr_text(u, ctx, "child", ucmp_child(g, "child"), ucmp_child(w, "child"), "link");
  ucmp_origin(u, ctx, g, w);
  ucmp_attr_num(u, ctx, "axis", ucmp_child(g, "axis"), ucmp_child(w, "axis"), "xyz", "1 0 0");
  xmlNodePtr gl = ucmp_child(g, "limit"), wl = ucmp_child(w, "limit");
  ucmp_presence(u, ctx, "limit", gl, wl);
  static const char *const lim[] = {"lower", "upper", "effort", "velocity"};
  for (int k = 0; k < 4 && gl != NULL && wl != NULL; k++)
    ucmp_attr_num(u, ctx, "limit", gl, wl, lim[k], "0");
  xmlNodePtr gm = ucmp_child(g, "mimic"), wm = ucmp_child(w, "mimic");
  ucmp_presence(u, ctx, "mimic", gm, wm);
  if (gm != NULL && wm != NULL) {
    ucmp_attr_text(u, ctx, "mimic", gm, wm, "joint");
    ucmp_attr_num(u, ctx, "mimic", gm, wm, "multiplier", "1");
    ucmp_attr_num(u, ctx, "mimic", gm, wm, "offset", "0");
  }
}

/* Links and joints of got against want, both ways. */
static void ucmp_kind(ucmp_t *u, xmlNodePtr groot, xmlNodePtr wroot, const char *kind) {
  for (int pass = 0; pass < 2; pass++) {
    xmlNodePtr a = pass == 0 ? wroot : groot, b = pass == 0 ? groot : wroot;
    for (xmlNodePtr k = a->children; k != NULL; k = k->next) {
      if (!ucmp_is(k, kind)) continue;
      char *name = ucmp_attr(k, "name");
      xmlNodePtr other = NULL;
      int count = 0;
      for (xmlNodePtr m = b->children; m != NULL; m = m->next) {
        if (!ucmp_is(m, kind)) continue;
        char *mn = ucmp_attr(m, "name");
        if (strcmp(mn, name) == 0) {
          other = m;
          count++;
        }
        free(mn);
      }
      if (other == NULL)
        ucmp_fail(u, "%s '%s' %s", kind, name, pass == 0 ? "missing" : "unexpected");
      else if (count > 1)
        ucmp_fail(u, "%s '%s' %s", kind, name, "defined more than once");
      else if (pass == 0 && strcmp(kind, "link") == 0)
        ucmp_link(u, other, k, name);
      else if (pass == 0)
        ucmp_joint(u, other, k, name);
      free(name);
    }
  }
}

/* 0 when the robots match, else the number of differences with the first in why. */
static int urdf_compare(xmlDocPtr got, xmlDocPtr want, char *why, size_t whylen) {
  ucmp_t u = {why, whylen, 0};
  why[0] = '\0';
  xmlNodePtr g = xmlDocGetRootElement(got), w = xmlDocGetRootElement(want);
  if (!ucmp_is(g, "robot") || !ucmp_is(w, "robot")) {
    snprintf(why, whylen, "root is not <robot>");
    return 1;
  }
  ucmp_attr_text(&u, "robot", "robot", g, w, "name");
  ucmp_kind(&u, g, w, "link");
  ucmp_kind(&u, g, w, "joint");
  return u.diffs;
}

#endif /* URDF_COMPARE_H */
