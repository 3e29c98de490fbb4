/* URDF parsing and validation with libxml2.
 *
 * Everything that can be wrong in a URDF is found here, where the source
 * lines are known; mjcf_gen.c then only formats a valid tree. */
#include "model__urdf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/robot.h"
#include "model__limits.h"
#include "model__warn.h"

#define COMP "model"
#define WHAT_MAX 192 /* "link 'name': <collision>" prefixes */

/* A robot-level <material> with a colour. */
typedef struct material {
  char *name;
  double rgba[4];
} material_t;

/* Parser state shared by the helpers: where messages go and where files are. */
typedef struct parser {
  const dtw__urdf_ctx_t *ctx;
  char *err;
  size_t errlen;
  dtw__warnings_t *warn;
  material_t *materials;
  size_t n_materials;
} parser_t;

/* "file:line: " + message; returns code so failure paths stay one line. */
static int vperr(const parser_t *p, int code, long line, const char *fmt, va_list ap) {
  if (p->err == NULL || p->errlen == 0) return code;
  int n = snprintf(p->err, p->errlen, "%s:%ld: ", p->ctx->file, line);
  if (n < 0 || (size_t)n >= p->errlen) return code;
  vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
  return code;
}

__attribute__((format(printf, 4, 5))) static int perr(const parser_t *p, int code,
                                                      xmlNodePtr node, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vperr(p, code, node != NULL ? xmlGetLineNo(node) : 0L, fmt, ap);
  va_end(ap);
  return code;
}

__attribute__((format(printf, 4, 5))) static int perr_at(const parser_t *p, int code, long line,
                                                         const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vperr(p, code, line, fmt, ap);
  va_end(ap);
  return code;
}

/* ---- small helpers ------------------------------------------------------ */

static bool is_elem(xmlNodePtr n, const char *name) {
  return n != NULL && n->type == XML_ELEMENT_NODE && n->ns == NULL &&
         strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr first_child(xmlNodePtr n, const char *name) {
  for (xmlNodePtr c = n->children; c != NULL; c = c->next)
    if (is_elem(c, name)) return c;
  return NULL;
}

/* Attribute value as a malloc'ed string, or NULL if absent. */
static char *attr(xmlNodePtr n, const char *name) {
  xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
  if (v == NULL) return NULL;
  char *s = strdup((const char *)v);
  xmlFree(v);
  return s;
}

/* Exactly n finite numbers separated by white space. */
static bool parse_numbers(const char *text, double *v, size_t n) {
  const char *s = text;
  for (size_t i = 0; i < n; i++) {
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') return false;
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || !isfinite(x) || errno == ERANGE) return false;
    if (*end != '\0' && !isspace((unsigned char)*end)) return false;
    v[i] = x;
    s = end;
  }
  while (isspace((unsigned char)*s)) s++;
  return *s == '\0';
}

/* Optional attribute with n numbers; *v keeps its default when absent. */
static int attr_numbers(const parser_t *p, xmlNodePtr n, const char *name, double *v,
                        size_t count, const char *what) {
  char *text = attr(n, name);
  if (text == NULL) return 0;
  double tmp[6];
  int rc = 0;
  if (count > 6 || !parse_numbers(text, tmp, count)) {
    rc = perr(p, DTW_EPARSE, n, "%s: <%s %s=\"%.40s\">: expected %zu finite number%s", what,
              (const char *)n->name, name, text, count, count == 1 ? "" : "s");
  } else {
    memcpy(v, tmp, count * sizeof *v);
  }
  free(text);
  return rc;
}

static int parse_origin(const parser_t *p, xmlNodePtr parent, const char *what,
                        dtw__pose_t *pose) {
  memset(pose, 0, sizeof *pose);
  xmlNodePtr o = first_child(parent, "origin");
  if (o == NULL) return 0;
  int rc = attr_numbers(p, o, "xyz", pose->xyz, 3, what);
  if (rc == 0) rc = attr_numbers(p, o, "rpy", pose->rpy, 3, what);
  for (int i = 0; i < 3 && rc == 0; i++)
    if (fabs(pose->xyz[i]) > DTW__MAX_LENGTH_M)
      rc = perr(p, DTW_EMODEL, o, "%s: <origin xyz>: %g m is beyond the %g m dtwin accepts "
                "(docs/robot-import.md)", what, pose->xyz[i], DTW__MAX_LENGTH_M);
  return rc;
}

void dtw__rpy_to_quat(const double rpy[3], double q[4]) {
  double cr = cos(rpy[0] / 2), sr = sin(rpy[0] / 2);
  double cp = cos(rpy[1] / 2), sp = sin(rpy[1] / 2);
  double cy = cos(rpy[2] / 2), sy = sin(rpy[2] / 2);
  /* q = qz(y) * qy(p) * qx(r) */
  q[0] = cr * cp * cy + sr * sp * sy;
  q[1] = sr * cp * cy - cr * sp * sy;
  q[2] = cr * sp * cy + sr * cp * sy;
  q[3] = cr * cp * sy - sr * sp * cy;
}

void dtw__rpy_to_mat(const double rpy[3], double m[9]) {
  double cr = cos(rpy[0]), sr = sin(rpy[0]);
  double cp = cos(rpy[1]), sp = sin(rpy[1]);
  double cy = cos(rpy[2]), sy = sin(rpy[2]);
  m[0] = cy * cp;
  m[1] = cy * sp * sr - sy * cr;
  m[2] = cy * sp * cr + sy * sr;
  m[3] = sy * cp;
  m[4] = sy * sp * sr + cy * cr;
  m[5] = sy * sp * cr - cy * sr;
  m[6] = -sp;
  m[7] = cp * sr;
  m[8] = cp * cr;
}

/* ---- meshes ------------------------------------------------------------- */

static int resolve_mesh(const parser_t *p, xmlNodePtr node, const char *what,
                        const char *filename, char **out, char **missing) {
  int rc = dtw__urdf_resolve(p->ctx, filename, out, missing);
  if (rc == DTW_EMODEL)
    return perr(p, rc, node, "%s: mesh '%s': expected package://<package>/<path>", what,
                filename);
  if (rc != 0) return perr(p, rc, node, "out of memory");
  return 0;
}

/* ---- links -------------------------------------------------------------- */

static void geoms_free(dtw__urdf_geom_t *g, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(g[i].mesh_uri);
    free(g[i].mesh_path);
    free(g[i].missing);
  }
  free(g);
}

/* Sizes of a primitive must be positive and within DTW__MAX_LENGTH_M: an
 * error for a collision, for a visual (urdfdom accepts any number) the visual
 * is left out with a warning. */
static int positive_sizes(const parser_t *p, xmlNodePtr shape, const char *what,
                          const double *v, size_t n, dtw__urdf_geom_t *g, bool visual) {
  for (size_t i = 0; i < n; i++) {
    if (v[i] > 0 && v[i] <= DTW__MAX_LENGTH_M) continue;
    const char *why = v[i] > 0 ? "is beyond the bounds dtwin accepts (docs/robot-import.md)"
                               : "is not positive";
    if (!visual && v[i] > 0)
      return perr(p, DTW_EMODEL, shape, "%s: <%s>: size %g m is beyond the %g m dtwin accepts "
                  "(docs/robot-import.md)", what, (const char *)shape->name, v[i],
                  DTW__MAX_LENGTH_M);
    if (!visual)
      return perr(p, DTW_EMODEL, shape, "%s: <%s>: sizes must be positive (size %g)", what,
                  (const char *)shape->name, v[i]);
    dtw__warn(p->warn, DTW__W_VISUAL_SHAPE, "%s:%ld: %s: <%s>: size %g %s: left out of the "
              "model", p->ctx->file, xmlGetLineNo(shape), what, (const char *)shape->name, v[i],
              why);
    g->dropped = true;
    return 0;
  }
  return 0;
}

/* "r g b a", each in [0, 1]. */
static bool parse_rgba(const char *text, double rgba[4]) {
  double v[4];
  if (text == NULL || !parse_numbers(text, v, 4)) return false;
  for (int i = 0; i < 4; i++)
    if (v[i] < 0 || v[i] > 1) return false;
  memcpy(rgba, v, sizeof v);
  return true;
}

/* The colour of a visual's <material>: the robot-level material of that name
 * if there is one (urdfdom assigns those first), else an inline <color>. */
static void visual_material(const parser_t *p, xmlNodePtr node, const char *what,
                            dtw__urdf_geom_t *g) {
  xmlNodePtr mat = first_child(node, "material");
  if (mat == NULL) return;
  char *name = attr(mat, "name");
  for (size_t i = 0; name != NULL && i < p->n_materials; i++)
    if (strcmp(p->materials[i].name, name) == 0) {
      memcpy(g->rgba, p->materials[i].rgba, sizeof g->rgba);
      g->has_rgba = true;
      free(name);
      return;
    }
  xmlNodePtr color = first_child(mat, "color");
  char *rgba = color != NULL ? attr(color, "rgba") : NULL;
  if (rgba != NULL && parse_rgba(rgba, g->rgba))
    g->has_rgba = true;
  else if (rgba != NULL)
    dtw__warn(p->warn, DTW__W_MATERIAL, "%s:%ld: %s: <color rgba=\"%.40s\">: expected 4 "
              "numbers in [0, 1]: colour ignored", p->ctx->file, xmlGetLineNo(color), what, rgba);
  else if (name != NULL && first_child(mat, "texture") == NULL)
    dtw__warn(p->warn, DTW__W_MATERIAL, "%s:%ld: %s: material '%s' is not defined: colour "
              "ignored", p->ctx->file, xmlGetLineNo(mat), what, name);
  free(rgba);
  free(name);
}

static int parse_mesh(const parser_t *p, xmlNodePtr shape, const char *what,
                      dtw__urdf_geom_t *g, bool visual) {
  g->kind = DTW__GEOM_MESH;
  g->scale[0] = g->scale[1] = g->scale[2] = 1;
  g->mesh_uri = attr(shape, "filename");
  if (g->mesh_uri == NULL)
    return perr(p, DTW_EMODEL, shape, "%s: <mesh> has no filename attribute", what);
  int rc = attr_numbers(p, shape, "scale", g->scale, 3, what);
  if (rc != 0) return rc;
  for (int i = 0; i < 3; i++)
    if (fabs(g->scale[i]) > DTW__MAX_LENGTH_M) {
      if (!visual)
        return perr(p, DTW_EMODEL, shape, "%s: <mesh scale>: %g is beyond the %g dtwin accepts "
                    "(docs/robot-import.md)", what, g->scale[i], DTW__MAX_LENGTH_M);
      dtw__warn(p->warn, DTW__W_VISUAL_SHAPE, "%s:%ld: %s: <mesh scale>: %g is beyond the "
                "bounds dtwin accepts: left out of the model", p->ctx->file,
                xmlGetLineNo(shape), what, g->scale[i]);
      g->dropped = true;
    }
  if (g->scale[0] == 0 || g->scale[1] == 0 || g->scale[2] == 0) {
    if (!visual)
      return perr(p, DTW_EMODEL, shape, "%s: <mesh>: scale must not be zero", what);
    dtw__warn(p->warn, DTW__W_VISUAL_SHAPE, "%s:%ld: %s: <mesh>: zero scale: left out of the "
              "model", p->ctx->file, xmlGetLineNo(shape), what);
    g->dropped = true;
  }
  rc = resolve_mesh(p, shape, what, g->mesh_uri, &g->mesh_path, &g->missing);
  if (rc == 0 && g->mesh_path == NULL && !visual)
    rc = perr(p, DTW_ENOENT, shape, "%s: %s", what, g->missing);
  return rc;
}

/* One <visual> or <collision>. what = "link 'x': <visual>". */
static int parse_geom(const parser_t *p, xmlNodePtr node, const char *what,
                      dtw__urdf_geom_t *g, bool visual) {
  g->line = xmlGetLineNo(node);
  g->asset = -1;
  int rc = parse_origin(p, node, what, &g->origin);
  if (rc != 0) return rc;
  xmlNodePtr geo = first_child(node, "geometry");
  if (geo == NULL) return perr(p, DTW_EMODEL, node, "%s: no <geometry>", what);
  xmlNodePtr shape = NULL;
  for (xmlNodePtr c = geo->children; c != NULL && shape == NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE) shape = c;
  if (shape == NULL) return perr(p, DTW_EMODEL, geo, "%s: empty <geometry>", what);
  if (visual) visual_material(p, node, what, g);
  const char *req = NULL;
  if (is_elem(shape, "box")) {
    g->kind = DTW__GEOM_BOX;
    req = "size";
    if (xmlHasProp(shape, (const xmlChar *)req) == NULL) goto err_missing;
    rc = attr_numbers(p, shape, "size", g->size, 3, what);
    if (rc == 0) rc = positive_sizes(p, shape, what, g->size, 3, g, visual);
  } else if (is_elem(shape, "cylinder") || is_elem(shape, "capsule")) {
    g->kind = is_elem(shape, "cylinder") ? DTW__GEOM_CYLINDER : DTW__GEOM_CAPSULE;
    req = xmlHasProp(shape, (const xmlChar *)"radius") == NULL ? "radius" : "length";
    if (xmlHasProp(shape, (const xmlChar *)req) == NULL) goto err_missing;
    rc = attr_numbers(p, shape, "radius", &g->size[0], 1, what);
    if (rc == 0) rc = attr_numbers(p, shape, "length", &g->size[1], 1, what);
    if (rc == 0) rc = positive_sizes(p, shape, what, g->size, 2, g, visual);
  } else if (is_elem(shape, "sphere")) {
    g->kind = DTW__GEOM_SPHERE;
    req = "radius";
    if (xmlHasProp(shape, (const xmlChar *)req) == NULL) goto err_missing;
    rc = attr_numbers(p, shape, "radius", &g->size[0], 1, what);
    if (rc == 0) rc = positive_sizes(p, shape, what, g->size, 1, g, visual);
  } else if (is_elem(shape, "mesh")) {
    rc = parse_mesh(p, shape, what, g, visual);
  } else {
    rc = perr(p, DTW_EUNSUP, shape, "%s: unknown geometry <%s>", what,
              (const char *)shape->name);
  }
  return rc;

err_missing:
  return perr(p, DTW_EMODEL, shape, "%s: <%s> has no %s attribute", what,
              (const char *)shape->name, req);
}

/* All <visual> or <collision> children of a link. */
static int parse_geoms(const parser_t *p, xmlNodePtr link, const char *link_name,
                       const char *kind, dtw__urdf_geom_t **out, size_t *n_out) {
  size_t n = 0;
  for (xmlNodePtr c = link->children; c != NULL; c = c->next)
    if (is_elem(c, kind)) n++;
  if (n == 0) return 0;
  dtw__urdf_geom_t *g = calloc(n, sizeof *g);
  if (g == NULL) return perr(p, DTW_ENOMEM, link, "out of memory");
  char what[WHAT_MAX];
  snprintf(what, sizeof what, "link '%s': <%s>", link_name, kind);
  bool visual = strcmp(kind, "visual") == 0;
  size_t i = 0;
  int rc = 0;
  for (xmlNodePtr c = link->children; c != NULL && rc == 0; c = c->next)
    if (is_elem(c, kind)) rc = parse_geom(p, c, what, &g[i++], visual);
  if (rc != 0) {
    geoms_free(g, n);
    return rc;
  }
  *out = g;
  *n_out = n;
  return 0;
}

static int parse_inertial(const parser_t *p, xmlNodePtr node, dtw__urdf_link_t *l) {
  char what[WHAT_MAX];
  snprintf(what, sizeof what, "link '%s': <inertial>", l->name);
  l->has_inertial = true;
  int rc = parse_origin(p, node, what, &l->inertial_origin);
  if (rc != 0) return rc;
  xmlNodePtr mass = first_child(node, "mass");
  if (mass != NULL) {
    if (xmlHasProp(mass, (const xmlChar *)"value") == NULL)
      return perr(p, DTW_EMODEL, mass, "%s: <mass> has no value attribute", what);
    rc = attr_numbers(p, mass, "value", &l->mass, 1, what);
    if (rc != 0) return rc;
    if (l->mass < 0)
      return perr(p, DTW_EMODEL, mass, "%s: negative mass %g", what, l->mass);
    if (l->mass > DTW__MAX_MASS_KG)
      return perr(p, DTW_EMODEL, mass, "%s: mass %g kg is beyond the %g kg dtwin accepts "
                  "(docs/robot-import.md)", what, l->mass, DTW__MAX_MASS_KG);
  }
  xmlNodePtr in = first_child(node, "inertia");
  if (in != NULL) {
    static const char *const names[6] = {"ixx", "iyy", "izz", "ixy", "ixz", "iyz"};
    for (int i = 0; i < 6 && rc == 0; i++)
      rc = attr_numbers(p, in, names[i], &l->inertia[i], 1, what);
    if (rc != 0) return rc;
    for (int i = 0; i < 3; i++)
      if (l->inertia[i] < 0)
        return perr(p, DTW_EMODEL, in, "%s: negative %s %g", what, names[i], l->inertia[i]);
    for (int i = 0; i < 6; i++)
      if (fabs(l->inertia[i]) > DTW__MAX_INERTIA_KGM2)
        return perr(p, DTW_EMODEL, in, "%s: %s %g kg m^2 is beyond the %g dtwin accepts "
                    "(docs/robot-import.md)", what, names[i], l->inertia[i],
                    DTW__MAX_INERTIA_KGM2);
    /* principal moments of a rigid body obey A + B >= C; MuJoCo refuses others,
     * so say it here with the URDF line (checked when the tensor is diagonal) */
    const double *I = l->inertia;
    if (I[3] == 0 && I[4] == 0 && I[5] == 0 && l->mass > 0) {
      double sum = I[0] + I[1] + I[2], tol = 1e-9 * sum;
      for (int i = 0; i < 3; i++)
        if (sum - I[i] + tol < I[i])
          return perr(p, DTW_EMODEL, in, "%s: %s %g is larger than the sum of the other two "
                      "moments (not a rigid body)", what, names[i], I[i]);
    }
  }
  return 0;
}

static int parse_link(const parser_t *p, xmlNodePtr node, dtw__urdf_link_t *l) {
  l->line = xmlGetLineNo(node);
  l->parent_joint = -1;
  l->name = attr(node, "name");
  if (l->name == NULL || l->name[0] == '\0')
    return perr(p, DTW_EMODEL, node, "<link> without a name");
  if (strlen(l->name) >= DTW_NAME_MAX)
    return perr(p, DTW_EMODEL, node, "link '%.40s...': name longer than %d characters",
                l->name, DTW_NAME_MAX - 1);
  xmlNodePtr in = first_child(node, "inertial");
  int rc = in != NULL ? parse_inertial(p, in, l) : 0;
  if (rc == 0) rc = parse_geoms(p, node, l->name, "visual", &l->visual, &l->n_visual);
  if (rc == 0) rc = parse_geoms(p, node, l->name, "collision", &l->collision, &l->n_collision);
  return rc;
}

/* ---- joints ------------------------------------------------------------- */

static int find_link(const dtw__urdf_t *u, const char *name) {
  return dtw__name_index_get(&u->link_index, u->links, sizeof *u->links, name);
}

/* <parent link="..."/> or <child link="..."/> to a link index. */
static int joint_link(const parser_t *p, const dtw__urdf_t *u, xmlNodePtr node,
                      const dtw__urdf_joint_t *j, const char *which, int *out) {
  xmlNodePtr e = first_child(node, which);
  if (e == NULL) return perr(p, DTW_EMODEL, node, "joint '%s': no <%s>", j->name, which);
  char *name = attr(e, "link");
  int rc = 0;
  if (name == NULL || name[0] == '\0') {
    rc = perr(p, DTW_EMODEL, e, "joint '%s': <%s> has no link attribute", j->name, which);
  } else if ((*out = find_link(u, name)) < 0) {
    rc = perr(p, DTW_EMODEL, e, "joint '%s': %s link '%s' does not exist", j->name, which,
              name);
  }
  free(name);
  return rc;
}

static int parse_joint_type(const parser_t *p, xmlNodePtr node, dtw__urdf_joint_t *j) {
  char *type = attr(node, "type");
  int rc = 0;
  if (type == NULL) {
    rc = perr(p, DTW_EMODEL, node, "joint '%s': no type attribute", j->name);
  } else if (strcmp(type, "revolute") == 0) {
    j->kind = DTW__JOINT_REVOLUTE;
  } else if (strcmp(type, "continuous") == 0) {
    j->kind = DTW__JOINT_CONTINUOUS;
  } else if (strcmp(type, "prismatic") == 0) {
    j->kind = DTW__JOINT_PRISMATIC;
  } else if (strcmp(type, "fixed") == 0) {
    j->kind = DTW__JOINT_FIXED;
  } else if (strcmp(type, "floating") == 0) {
    j->kind = DTW__JOINT_FLOATING;
  } else if (strcmp(type, "planar") == 0) {
    j->kind = DTW__JOINT_PLANAR;
  } else {
    rc = perr(p, DTW_EMODEL, node, "joint '%s': unknown joint type '%.40s'", j->name, type);
  }
  free(type);
  return rc;
}

static int parse_limit(const parser_t *p, xmlNodePtr node, dtw__urdf_joint_t *j) {
  xmlNodePtr lim = first_child(node, "limit");
  char what[WHAT_MAX];
  snprintf(what, sizeof what, "joint '%s'", j->name);
  if (lim == NULL) {
    if (j->kind == DTW__JOINT_REVOLUTE || j->kind == DTW__JOINT_PRISMATIC)
      return perr(p, DTW_EMODEL, node, "%s: a %s joint needs a <limit>", what,
                  j->kind == DTW__JOINT_REVOLUTE ? "revolute" : "prismatic");
    return 0;
  }
  int rc = attr_numbers(p, lim, "lower", &j->lower, 1, what);
  if (rc == 0) rc = attr_numbers(p, lim, "upper", &j->upper, 1, what);
  if (rc == 0) rc = attr_numbers(p, lim, "effort", &j->effort, 1, what);
  if (rc == 0) rc = attr_numbers(p, lim, "velocity", &j->velocity, 1, what);
  if (rc != 0) return rc;
  if (j->effort < 0 || j->velocity < 0)
    return perr(p, DTW_EMODEL, lim, "%s: negative %s limit %g", what,
                j->effort < 0 ? "effort" : "velocity", j->effort < 0 ? j->effort : j->velocity);
  j->has_limit = j->kind == DTW__JOINT_REVOLUTE || j->kind == DTW__JOINT_PRISMATIC;
  if (j->has_limit && j->lower > j->upper)
    return perr(p, DTW_EMODEL, lim, "%s: lower limit %g is above upper limit %g", what,
                j->lower, j->upper);
  return 0;
}

static int parse_joint(const parser_t *p, const dtw__urdf_t *u, xmlNodePtr node,
                       dtw__urdf_joint_t *j) {
  j->line = xmlGetLineNo(node);
  j->parent = j->child = -1;
  j->name = attr(node, "name");
  if (j->name == NULL || j->name[0] == '\0')
    return perr(p, DTW_EMODEL, node, "<joint> without a name");
  if (strlen(j->name) >= DTW_NAME_MAX)
    return perr(p, DTW_EMODEL, node, "joint '%.40s...': name longer than %d characters",
                j->name, DTW_NAME_MAX - 1);
  char what[WHAT_MAX];
  snprintf(what, sizeof what, "joint '%s'", j->name);
  int rc = parse_joint_type(p, node, j);
  if (rc == 0) rc = joint_link(p, u, node, j, "parent", &j->parent);
  if (rc == 0) rc = joint_link(p, u, node, j, "child", &j->child);
  if (rc == 0) rc = parse_origin(p, node, what, &j->origin);
  if (rc != 0) return rc;

  j->axis[0] = 1;
  xmlNodePtr axis = first_child(node, "axis");
  if (j->kind == DTW__JOINT_FIXED || j->kind == DTW__JOINT_FLOATING) {
    /* urdfdom does not read it: any content is fine */
    if (axis != NULL)
      dtw__warn(p->warn, DTW__W_FIXED_AXIS, "%s:%ld: %s: <axis> of a %s joint is ignored",
                p->ctx->file, xmlGetLineNo(axis), what,
                j->kind == DTW__JOINT_FIXED ? "fixed" : "floating");
  } else {
    if (axis != NULL && (rc = attr_numbers(p, axis, "xyz", j->axis, 3, what)) != 0) return rc;
    double norm =
        sqrt(j->axis[0] * j->axis[0] + j->axis[1] * j->axis[1] + j->axis[2] * j->axis[2]);
    if (!isfinite(norm))
      return perr(p, DTW_EMODEL, axis, "%s: <axis> length overflows", what);
    if (!(norm > 1e-9))
      return perr(p, DTW_EMODEL, axis, "%s: <axis> has zero length", what);
    for (int i = 0; i < 3; i++) j->axis[i] /= norm;
  }

  if ((rc = parse_limit(p, node, j)) != 0) return rc;
  xmlNodePtr dyn = first_child(node, "dynamics");
  if (dyn != NULL) {
    rc = attr_numbers(p, dyn, "damping", &j->damping, 1, what);
    if (rc == 0) rc = attr_numbers(p, dyn, "friction", &j->friction, 1, what);
    if (rc != 0) return rc;
    if (j->damping < 0 || j->friction < 0)
      return perr(p, DTW_EMODEL, dyn, "%s: negative %s %g", what,
                  j->damping < 0 ? "damping" : "friction",
                  j->damping < 0 ? j->damping : j->friction);
  }
  xmlNodePtr mimic = first_child(node, "mimic");
  if (mimic != NULL && dtw__joint_actuated(j->kind))
    dtw__warn(p->warn, DTW__W_MIMIC, "%s:%ld: joint '%s': <mimic> is ignored; the joint is "
              "actuated on its own", p->ctx->file, xmlGetLineNo(mimic), j->name);
  return 0;
}

/* ---- tree checks -------------------------------------------------------- */

static int check_tree(const parser_t *p, dtw__urdf_t *u, xmlNodePtr robot) {
  /* one parent per link */
  for (size_t i = 0; i < u->n_joints; i++) {
    dtw__urdf_joint_t *j = &u->joints[i];
    dtw__urdf_link_t *c = &u->links[j->child];
    if (j->parent == j->child)
      return perr_at(p, DTW_EMODEL, j->line, "joint '%s': link '%s' is its own parent", j->name,
                     c->name);
    if (c->parent_joint >= 0)
      return perr_at(p, DTW_EMODEL, j->line, "joint '%s': link '%s' already has parent joint "
                     "'%s' (line %ld); a link can have only one parent", j->name, c->name,
                     u->joints[c->parent_joint].name, u->joints[c->parent_joint].line);
    c->parent_joint = (int)i;
  }
  /* cycles: walking up from any link must reach a root within n_links steps */
  for (size_t i = 0; i < u->n_links; i++) {
    size_t cur = i, steps = 0;
    while (u->links[cur].parent_joint >= 0 && steps <= u->n_links) {
      cur = (size_t)u->joints[u->links[cur].parent_joint].parent;
      steps++;
    }
    if (steps > u->n_links) {
      /* cur is on the cycle; name the joint that closes it, the last one in the file */
      int last = u->links[cur].parent_joint;
      size_t k = (size_t)u->joints[last].parent;
      while (k != cur) {
        int pj = u->links[k].parent_joint;
        if (pj > last) last = pj;
        k = (size_t)u->joints[pj].parent;
      }
      return perr_at(p, DTW_EMODEL, u->joints[last].line, "joint '%s': closes a kinematic "
                     "cycle through link '%s'", u->joints[last].name,
                     u->links[u->joints[last].child].name);
    }
    if (steps > DTW__URDF_MAX_DEPTH)
      return perr_at(p, DTW_EUNSUP, u->links[i].line, "link '%s': %zu links below the root; "
                     "its MJCF would nest deeper than the %d levels MuJoCo 2.2.2 reads "
                     "(tinyxml2's limit of 100)", u->links[i].name, steps,
                     DTW__MJCF_MAX_PARENT_LEVEL + 1);
  }
  /* exactly one root */
  u->root = -1;
  for (size_t i = 0; i < u->n_links; i++) {
    if (u->links[i].parent_joint >= 0) continue;
    if (u->root >= 0)
      return perr_at(p, DTW_EMODEL, u->links[i].line, "link '%s': a second root link besides "
                     "'%s' (line %ld); every link but one needs a parent joint",
                     u->links[i].name, u->links[u->root].name, u->links[u->root].line);
    u->root = (int)i;
  }
  if (u->root < 0) return perr(p, DTW_EMODEL, robot, "robot has no root link");
  return 0;
}

/* ---- document ----------------------------------------------------------- */

void dtw__urdf_fini(dtw__urdf_t *u) {
  for (size_t i = 0; i < u->n_links; i++) {
    free(u->links[i].name);
    geoms_free(u->links[i].visual, u->links[i].n_visual);
    geoms_free(u->links[i].collision, u->links[i].n_collision);
  }
  for (size_t i = 0; i < u->n_joints; i++) free(u->joints[i].name);
  free(u->links);
  free(u->joints);
  free(u->name);
  dtw__name_index_fini(&u->link_index);
  memset(u, 0, sizeof *u);
}

/* Robot-level <material name><color rgba/></material> colours, in order. */
static int parse_materials(parser_t *p, xmlNodePtr robot) {
  size_t n = 0;
  for (xmlNodePtr c = robot->children; c != NULL; c = c->next)
    if (is_elem(c, "material")) n++;
  if (n == 0) return 0;
  p->materials = calloc(n, sizeof *p->materials);
  if (p->materials == NULL) return perr(p, DTW_ENOMEM, robot, "out of memory");
  for (xmlNodePtr c = robot->children; c != NULL; c = c->next) {
    if (!is_elem(c, "material")) continue;
    char *name = attr(c, "name");
    xmlNodePtr color = first_child(c, "color");
    char *rgba = color != NULL ? attr(color, "rgba") : NULL;
    material_t *m = &p->materials[p->n_materials];
    if (name != NULL && rgba != NULL && parse_rgba(rgba, m->rgba)) {
      m->name = name;
      name = NULL;
      p->n_materials++;
    } else if (rgba != NULL) {
      dtw__warn(p->warn, DTW__W_MATERIAL, "%s:%ld: <material name=\"%s\">: <color rgba=\"%.40s\">: "
                "expected 4 numbers in [0, 1]: colour ignored", p->ctx->file,
                xmlGetLineNo(color), name != NULL ? name : "", rgba);
    }
    free(name);
    free(rgba);
  }
  return 0;
}

static void materials_free(parser_t *p) {
  for (size_t i = 0; i < p->n_materials; i++) free(p->materials[i].name);
  free(p->materials);
  p->materials = NULL;
  p->n_materials = 0;
}

int dtw__urdf_from_doc(xmlDocPtr doc, const dtw__urdf_ctx_t *ctx, dtw__urdf_t *out, char *err,
                       size_t errlen) {
  dtw__name_index_t joint_index = {0}; /* joints by name, while parsing */
  dtw__warnings_t warn = {0};
  parser_t p = {.ctx = ctx, .err = err, .errlen = errlen, .warn = &warn};
  dtw__urdf_t u = {0};
  int rc = 0;
  xmlNodePtr robot = xmlDocGetRootElement(doc);
  if (robot == NULL || !is_elem(robot, "robot")) {
    rc = perr(&p, DTW_EPARSE, robot, "root element is <%s>, expected <robot>",
              robot != NULL ? (const char *)robot->name : "");
    goto err_doc;
  }
  u.name = attr(robot, "name");
  if (u.name == NULL || u.name[0] == '\0') {
    rc = perr(&p, DTW_EMODEL, robot, "<robot> without a name");
    goto err_doc;
  }
  if (strlen(u.name) >= DTW_NAME_MAX) {
    rc = perr(&p, DTW_EMODEL, robot, "robot '%.40s...': name longer than %d characters", u.name,
              DTW_NAME_MAX - 1);
    goto err_doc;
  }
  size_t nl = 0, nj = 0;
  for (xmlNodePtr c = robot->children; c != NULL; c = c->next) {
    if (is_elem(c, "link")) nl++;
    if (is_elem(c, "joint")) nj++;
  }
  if (nl == 0) {
    rc = perr(&p, DTW_EMODEL, robot, "robot '%s' has no <link>", u.name);
    goto err_doc;
  }
  if (nl > DTW__MJCF_MAX_BODIES) {
    rc = perr(&p, DTW_EUNSUP, robot, "robot '%s': %zu links; MuJoCo 2.2.2 handles at most %d "
              "bodies (16-bit body ids in its collision detection)", u.name, nl,
              DTW__MJCF_MAX_BODIES);
    goto err_doc;
  }
  u.file = ctx->file;
  if ((rc = parse_materials(&p, robot)) != 0) goto err_doc;
  u.links = calloc(nl, sizeof *u.links);
  u.joints = calloc(nj > 0 ? nj : 1, sizeof *u.joints);
  if (u.links == NULL || u.joints == NULL || dtw__name_index_init(&u.link_index, nl) != 0 ||
      dtw__name_index_init(&joint_index, nj) != 0) {
    dtw__name_index_fini(&joint_index);
    rc = perr(&p, DTW_ENOMEM, robot, "out of memory");
    goto err_doc;
  }
  /* links first: joints may name links declared after them */
  for (xmlNodePtr c = robot->children; c != NULL; c = c->next) {
    if (!is_elem(c, "link")) continue;
    dtw__urdf_link_t *l = &u.links[u.n_links++];
    if ((rc = parse_link(&p, c, l)) != 0) goto err_doc;
    int twin = dtw__name_index_put(&u.link_index, u.links, sizeof *u.links,
                                   (int32_t)(u.n_links - 1));
    if (twin >= 0) {
      rc = perr(&p, DTW_EMODEL, c, "link '%s': name already used by the link at line %ld",
                l->name, u.links[twin].line);
      goto err_doc;
    }
  }
  for (xmlNodePtr c = robot->children; c != NULL; c = c->next) {
    if (!is_elem(c, "joint")) continue;
    dtw__urdf_joint_t *j = &u.joints[u.n_joints++];
    if ((rc = parse_joint(&p, &u, c, j)) != 0) goto err_doc;
    int twin = dtw__name_index_put(&joint_index, u.joints, sizeof *u.joints,
                                   (int32_t)(u.n_joints - 1));
    if (twin >= 0) {
      rc = perr(&p, DTW_EMODEL, c, "joint '%s': name already used by the joint at line %ld",
                j->name, u.joints[twin].line);
      goto err_doc;
    }
  }
  if ((rc = check_tree(&p, &u, robot)) != 0) goto err_doc;
  dtw__name_index_fini(&joint_index);
  materials_free(&p);
  dtw__warn_flush(&warn);
  *out = u;
  return 0;

err_doc:
  dtw__name_index_fini(&joint_index);
  materials_free(&p);
  dtw__urdf_fini(&u);
  return rc;
}

int dtw__urdf_parse_buffer(const char *data, size_t len, const dtw__urdf_ctx_t *ctx,
                           dtw__urdf_t *out, char *err, size_t errlen) {
  xmlDocPtr doc = NULL;
  int rc = dtw__xml_read(data, len, ctx->file, &doc, err, errlen);
  if (rc != 0) return rc;
  rc = dtw__urdf_from_doc(doc, ctx, out, err, errlen);
  xmlFreeDoc(doc);
  return rc;
}
