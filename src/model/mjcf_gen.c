/* MJCF generation: a validated URDF tree (+ a world file) to one <mujoco> document.
 *
 * The document is built with libxml2's tree API so names are escaped for us,
 * then serialised. Bodies nest like the URDF links; a URDF joint's origin is
 * the child body's frame, so every joint sits at its body's origin. */
#include "model__mjcf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "model__limits.h"

#define COMP "model"

/* A <mesh> asset: a converted file (asset >= 0) or one on disk, at a scale. */
typedef struct mesh_asset {
  int asset;
  const char *path;
  double scale[3];
} mesh_asset_t;

/* Generator state; oom latches the first allocation failure so the tree
 * building code can stay straight-line. */
typedef struct gen {
  const dtw__urdf_t *u;
  const dtw_model_opts_t *opts;
  const dtw__mesh_table_t *mesh_table; /* converted meshes; NULL: files on disk */
  xmlDocPtr doc;
  xmlNodePtr asset, worldbody;
  mesh_asset_t *meshes;
  size_t n_meshes, cap_meshes;
  double *qpos; /* the initial pose, in MuJoCo's qpos order (bodies depth first) */
  size_t nq, cap_qpos;
  bool pose_needed; /* some joint does not start at 0 */
  bool oom;
  int *first_joint; /* per link: its first child joint, -1 none (linear time for any tree) */
  int *next_joint;  /* per joint: the next joint with the same parent link, -1 none */
} gen_t;

static void push_qpos(gen_t *g, const double *v, size_t n) {
  if (g->nq + n > g->cap_qpos) {
    size_t cap = g->cap_qpos ? 2 * g->cap_qpos : 64;
    while (cap < g->nq + n) cap *= 2;
    double *q = realloc(g->qpos, cap * sizeof *q);
    if (q == NULL) {
      g->oom = true;
      return;
    }
    g->qpos = q;
    g->cap_qpos = cap;
  }
  memcpy(g->qpos + g->nq, v, n * sizeof *v);
  g->nq += n;
}

/* Where a joint starts, as ROS's joint_state_publisher puts it: at 0, or at
 * the middle of its range when 0 is outside it. */
static double start_position(const dtw__urdf_joint_t *j) {
  return j->has_limit && (j->lower > 0 || j->upper < 0) ? 0.5 * (j->lower + j->upper) : 0;
}

static xmlNodePtr child(gen_t *g, xmlNodePtr parent, const char *name) {
  if (parent == NULL) return NULL;
  xmlNodePtr n = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
  if (n == NULL) g->oom = true;
  return n;
}

static void set(gen_t *g, xmlNodePtr n, const char *name, const char *value) {
  if (n == NULL) return;
  if (xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value) == NULL) g->oom = true;
}

/* Numbers as short decimal text; "-0" is printed as "0". */
static void set_nums(gen_t *g, xmlNodePtr n, const char *name, const double *v, size_t count) {
  char buf[256];
  size_t off = 0;
  for (size_t i = 0; i < count && off < sizeof buf; i++) {
    double x = v[i] == 0 ? 0 : v[i];
    int k = snprintf(buf + off, sizeof buf - off, "%s%.10g", i > 0 ? " " : "", x);
    if (k < 0) return;
    off += (size_t)k;
  }
  set(g, n, name, buf);
}

static void set_num(gen_t *g, xmlNodePtr n, const char *name, double v) {
  set_nums(g, n, name, &v, 1);
}

static bool is_zero3(const double v[3]) { return v[0] == 0 && v[1] == 0 && v[2] == 0; }

static void set_pose(gen_t *g, xmlNodePtr n, const dtw__pose_t *pose) {
  if (!is_zero3(pose->xyz)) set_nums(g, n, "pos", pose->xyz, 3);
  if (!is_zero3(pose->rpy)) {
    double q[4];
    dtw__rpy_to_quat(pose->rpy, q);
    set_nums(g, n, "quat", q, 4);
  }
}

/* ---- meshes ------------------------------------------------------------- */

/* Asset name for a mesh file + scale, adding the <mesh> on first use. A
 * converted mesh is named by its in-memory file, otherwise the file on disk. */
static void mesh_ref(gen_t *g, const dtw__urdf_geom_t *geom, char *name, size_t namelen) {
  int asset = g->mesh_table != NULL ? geom->asset : -1;
  size_t i = 0;
  for (; i < g->n_meshes; i++)
    if (g->meshes[i].asset == asset && strcmp(g->meshes[i].path, geom->mesh_path) == 0 &&
        memcmp(g->meshes[i].scale, geom->scale, sizeof geom->scale) == 0)
      break;
  snprintf(name, namelen, "mesh_%zu", i);
  if (i < g->n_meshes) return;
  if (g->n_meshes == g->cap_meshes) {
    size_t cap = g->cap_meshes ? 2 * g->cap_meshes : 8;
    mesh_asset_t *m = realloc(g->meshes, cap * sizeof *m);
    if (m == NULL) {
      g->oom = true;
      return;
    }
    g->meshes = m;
    g->cap_meshes = cap;
  }
  g->meshes[g->n_meshes].asset = asset;
  g->meshes[g->n_meshes].path = geom->mesh_path;
  memcpy(g->meshes[g->n_meshes].scale, geom->scale, sizeof geom->scale);
  g->n_meshes++;
  xmlNodePtr m = child(g, g->asset, "mesh");
  set(g, m, "name", name);
  if (asset >= 0) {
    char file[128];
    dtw__mesh_asset_name(g->mesh_table, (size_t)asset, file, sizeof file);
    set(g, m, "file", file);
  } else {
    set(g, m, "file", geom->mesh_path);
  }
  if (!(geom->scale[0] == 1 && geom->scale[1] == 1 && geom->scale[2] == 1))
    set_nums(g, m, "scale", geom->scale, 3);
}

/* ---- bodies ------------------------------------------------------------- */

void dtw__mjcf_geom_name(const char *link, bool visual, size_t i, size_t n, char *buf,
                         size_t len) {
  if (n == 1)
    snprintf(buf, len, "%s_%s", link, visual ? "visual" : "collision");
  else
    snprintf(buf, len, "%s_%s_%zu", link, visual ? "visual" : "collision", i);
}

static void emit_geoms(gen_t *g, xmlNodePtr body, const dtw__urdf_link_t *l, bool visual) {
  const dtw__urdf_geom_t *gs = visual ? l->visual : l->collision;
  size_t n = visual ? l->n_visual : l->n_collision;
  for (size_t i = 0; i < n; i++) {
    const dtw__urdf_geom_t *s = &gs[i];
    if (s->dropped || (s->kind == DTW__GEOM_MESH && s->mesh_path == NULL)) continue;
    xmlNodePtr e = child(g, body, "geom");
    char name[512];
    dtw__mjcf_geom_name(l->name, visual, i, n, name, sizeof name);
    set(g, e, "name", name);
    double size[3];
    switch (s->kind) {
    case DTW__GEOM_BOX:
      set(g, e, "type", "box");
      for (int k = 0; k < 3; k++) size[k] = s->size[k] / 2;
      set_nums(g, e, "size", size, 3);
      break;
    case DTW__GEOM_CYLINDER:
    case DTW__GEOM_CAPSULE:
      set(g, e, "type", s->kind == DTW__GEOM_CYLINDER ? "cylinder" : "capsule");
      size[0] = s->size[0];
      size[1] = s->size[1] / 2;
      set_nums(g, e, "size", size, 2);
      break;
    case DTW__GEOM_SPHERE:
      set(g, e, "type", "sphere");
      set_num(g, e, "size", s->size[0]);
      break;
    case DTW__GEOM_MESH: {
      char mesh[32];
      mesh_ref(g, s, mesh, sizeof mesh);
      set(g, e, "type", "mesh");
      set(g, e, "mesh", mesh);
      break;
    }
    }
    set_pose(g, e, &s->origin);
    if (visual) {
      /* shown by a viewer, ignored by contacts */
      set(g, e, "contype", "0");
      set(g, e, "conaffinity", "0");
      set(g, e, "group", "1");
      if (s->has_rgba)
        set_nums(g, e, "rgba", s->rgba, 4);
      else
        set(g, e, "rgba", "0.7 0.7 0.75 1");
    } else {
      set(g, e, "rgba", "0.4 0.5 0.6 0.5");
      if (!g->opts->self_collision) {
        /* contype 1 & conaffinity 0: touches the world (conaffinity 1), never itself */
        set(g, e, "contype", "1");
        set(g, e, "conaffinity", "0");
      }
    }
    /* a link without <inertial>: MuJoCo would infer mass from the geom (and check a
     * mesh's volume for it); the URDF says massless */
    if (!l->has_inertial) set(g, e, "mass", "0");
  }
}

/* <inertial> in the body frame. MuJoCo ignores quat when fullinertia is given,
 * so the inertia tensor is rotated into the body frame here: I' = R I R^T. */
static void emit_inertial(gen_t *g, xmlNodePtr body, const dtw__urdf_link_t *l) {
  if (!l->has_inertial || !(l->mass > 0)) return;
  xmlNodePtr e = child(g, body, "inertial");
  set_nums(g, e, "pos", l->inertial_origin.xyz, 3);
  set_num(g, e, "mass", l->mass);
  const double *in = l->inertia;
  double I[9] = {in[0], in[3], in[4], in[3], in[1], in[5], in[4], in[5], in[2]};
  double R[9], RI[9], out[9];
  dtw__rpy_to_mat(l->inertial_origin.rpy, R);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) {
      RI[3 * r + c] = 0;
      for (int k = 0; k < 3; k++) RI[3 * r + c] += R[3 * r + k] * I[3 * k + c];
    }
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) {
      out[3 * r + c] = 0;
      for (int k = 0; k < 3; k++) out[3 * r + c] += RI[3 * r + k] * R[3 * c + k];
    }
  double scale = fabs(out[0]) + fabs(out[4]) + fabs(out[8]);
  double off = fabs(out[1]) + fabs(out[2]) + fabs(out[5]);
  if (off <= 1e-12 * scale) {
    double d[3] = {out[0], out[4], out[8]};
    set_nums(g, e, "diaginertia", d, 3);
  } else {
    double f[6] = {out[0], out[4], out[8], out[1], out[2], out[5]};
    set_nums(g, e, "fullinertia", f, 6);
  }
}

static void joint_common(gen_t *g, xmlNodePtr e, const dtw__urdf_joint_t *j) {
  if (j->damping > 0) set_num(g, e, "damping", j->damping);
  if (j->friction > 0) set_num(g, e, "frictionloss", j->friction);
}

/* A passive joint "<name><suffix>" (floating and planar URDF joints). */
static void passive_joint(gen_t *g, xmlNodePtr body, const dtw__urdf_joint_t *j,
                          const char *suffix, const char *type, const double *axis) {
  char name[512];
  snprintf(name, sizeof name, "%s%s", j->name, suffix);
  xmlNodePtr e = child(g, body, "joint");
  set(g, e, "name", name);
  set(g, e, "type", type);
  if (axis != NULL) set_nums(g, e, "axis", axis, 3);
  set(g, e, "limited", "false");
  joint_common(g, e, j);
}

/* Two unit vectors that make (u, v, a) a right-handed frame. */
static void plane_axes(const double a[3], double u[3], double v[3]) {
  double e[3] = {fabs(a[0]) < 0.9 ? 1 : 0, fabs(a[0]) < 0.9 ? 0 : 1, 0};
  double d = e[0] * a[0] + e[1] * a[1] + e[2] * a[2], n = 0;
  for (int k = 0; k < 3; k++) u[k] = e[k] - d * a[k], n += u[k] * u[k];
  for (int k = 0; k < 3; k++) u[k] /= sqrt(n);
  v[0] = a[1] * u[2] - a[2] * u[1];
  v[1] = a[2] * u[0] - a[0] * u[2];
  v[2] = a[0] * u[1] - a[1] * u[0];
}

/* top: the body is a child of the world, where MuJoCo allows a free joint. */
static void emit_joint(gen_t *g, xmlNodePtr body, const dtw__urdf_joint_t *j, bool top) {
  static const double zero[3] = {0, 0, 0}, unit_quat[4] = {1, 0, 0, 0};
  if (j->kind == DTW__JOINT_FLOATING) {
    if (top) {
      xmlNodePtr fj = child(g, body, "freejoint");
      set(g, fj, "name", j->name);
      double q[7];
      memcpy(q, j->origin.xyz, sizeof j->origin.xyz);
      dtw__rpy_to_quat(j->origin.rpy, q + 3);
      push_qpos(g, q, 7);
      return;
    }
    static const double ex[3] = {1, 0, 0}, ey[3] = {0, 1, 0}, ez[3] = {0, 0, 1};
    passive_joint(g, body, j, "_x", "slide", ex);
    passive_joint(g, body, j, "_y", "slide", ey);
    passive_joint(g, body, j, "_z", "slide", ez);
    passive_joint(g, body, j, "_rot", "ball", NULL);
    push_qpos(g, zero, 3);
    push_qpos(g, unit_quat, 4);
    return;
  }
  if (j->kind == DTW__JOINT_PLANAR) {
    double u[3], v[3];
    plane_axes(j->axis, u, v);
    passive_joint(g, body, j, "_u", "slide", u);
    passive_joint(g, body, j, "_v", "slide", v);
    passive_joint(g, body, j, "_rot", "hinge", j->axis);
    push_qpos(g, zero, 3);
    return;
  }
  double q = start_position(j);
  if (q != 0) g->pose_needed = true;
  push_qpos(g, &q, 1);
  xmlNodePtr e = child(g, body, "joint");
  set(g, e, "name", j->name);
  set(g, e, "type", j->kind == DTW__JOINT_PRISMATIC ? "slide" : "hinge");
  set_nums(g, e, "axis", j->axis, 3);
  if (j->has_limit) {
    double range[2] = {j->lower, j->upper};
    set(g, e, "limited", "true");
    set_nums(g, e, "range", range, 2);
  } else {
    set(g, e, "limited", "false");
  }
  joint_common(g, e, j);
}

/* One link as a <body> (its joint, inertial, geoms) and its subtree.
 * Depth is bounded by DTW__URDF_MAX_DEPTH (checked by the parser). */
static void emit_children(gen_t *g, xmlNodePtr parent, int link);

static void emit_body(gen_t *g, xmlNodePtr parent, int link, const dtw__urdf_joint_t *via) {
  const dtw__urdf_link_t *l = &g->u->links[link];
  xmlNodePtr body = child(g, parent, "body");
  set(g, body, "name", l->name);
  if (via != NULL) {
    set_pose(g, body, &via->origin);
    if (via->kind != DTW__JOINT_FIXED) emit_joint(g, body, via, parent == g->worldbody);
  } else {
    /* the root: on a test stand (welded) or free, at base_height above the floor
     * (0: placed by src/sim on its standing height, see dtw_robot_desc_t) */
    double pos[3] = {0, 0, g->opts->base_height_m > 0 ? g->opts->base_height_m : 0};
    set_nums(g, body, "pos", pos, 3);
    if (g->opts->base == DTW_BASE_FLOATING) {
      xmlNodePtr fj = child(g, body, "freejoint");
      set(g, fj, "name", DTW__MJCF_FREEJOINT);
      double q[7] = {pos[0], pos[1], pos[2], 1, 0, 0, 0};
      push_qpos(g, q, 7);
    }
    xmlNodePtr site = child(g, body, "site");
    set(g, site, "name", DTW__MJCF_IMU_SITE);
    set(g, site, "size", "0.01");
    set(g, site, "group", "4");
  }
  emit_inertial(g, body, l);
  emit_geoms(g, body, l, false);
  emit_geoms(g, body, l, true);
  emit_children(g, body, link);
}

/* The child links of link, in URDF joint order. */
static void emit_children(gen_t *g, xmlNodePtr parent, int link) {
  for (int j = g->first_joint[link]; j >= 0 && !g->oom; j = g->next_joint[j])
    emit_body(g, parent, g->u->joints[j].child, &g->u->joints[j]);
}

/* first_joint / next_joint: each link's child joints in document order. */
static int index_children(gen_t *g) {
  const dtw__urdf_t *u = g->u;
  g->first_joint = malloc((u->n_links > 0 ? u->n_links : 1) * sizeof *g->first_joint);
  g->next_joint = malloc((u->n_joints > 0 ? u->n_joints : 1) * sizeof *g->next_joint);
  if (g->first_joint == NULL || g->next_joint == NULL) return DTW_ENOMEM;
  for (size_t i = 0; i < u->n_links; i++) g->first_joint[i] = -1;
  for (size_t i = u->n_joints; i-- > 0;) {
    g->next_joint[i] = g->first_joint[u->joints[i].parent];
    g->first_joint[u->joints[i].parent] = (int)i;
  }
  return 0;
}

/* MuJoCo 2.2.2's limits on the generated document, said in URDF terms. */
static int check_limits(gen_t *g, xmlDocPtr doc, char *err, size_t errlen) {
  const dtw__urdf_t *u = g->u;
  const char *file = u->file != NULL ? u->file : u->name;
  dtw__mjcf_size_t s;
  char why[1024];
  int rc = dtw__mjcf_check_limits(doc, file, g->opts->check_implicit, &s, why, sizeof why);
  if (rc == 0) return 0;
  if (s.depth_level <= DTW__MJCF_MAX_PARENT_LEVEL) return dtw_errf(err, errlen, rc, "%s", why);
  /* the link whose <body> nests too deep */
  xmlNodePtr b = s.deepest;
  while (b != NULL && b->type == XML_ELEMENT_NODE && strcmp((const char *)b->name, "body") != 0)
    b = b->parent;
  xmlChar *name = b != NULL && b->type == XML_ELEMENT_NODE
                      ? xmlGetNoNsProp(b, (const xmlChar *)"name") : NULL;
  int li = name != NULL ? dtw__name_index_get(&u->link_index, u->links, sizeof *u->links,
                                              (const char *)name) : -1;
  xmlFree(name);
  if (li < 0) return dtw_errf(err, errlen, rc, "%s", why);
  size_t d = 0;
  for (int k = li; u->links[k].parent_joint >= 0; k = u->joints[u->links[k].parent_joint].parent)
    d++;
  return dtw_errf(err, errlen, rc, "%s:%ld: link '%s': %zu links below the root; the MJCF for it "
                  "nests elements %d deep and MuJoCo 2.2.2 reads XML nested at most %d deep "
                  "(tinyxml2's limit of 100 levels)", file, u->links[li].line, u->links[li].name,
                  d, s.depth_level + 1, DTW__MJCF_MAX_PARENT_LEVEL + 1);
}

/* Joints anywhere under n (a world with movable bodies adds to qpos). */
static bool has_joints(xmlNodePtr n) {
  for (; n != NULL; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (strcmp((const char *)n->name, "joint") == 0 ||
        strcmp((const char *)n->name, "freejoint") == 0)
      return true;
    if (has_joints(n->children)) return true;
  }
  return false;
}

/* A keyframe "initial" with the start positions (MuJoCo starts from keyframe 0). */
static void emit_initial_pose(gen_t *g, xmlNodePtr root, const dtw__mjcf_world_t *world) {
  if (world != NULL && has_joints(xmlDocGetRootElement(world->doc)->children)) {
    DTW_WARN(COMP, "robot '%s': a joint starts outside 0 (at the middle of its range), but "
             "the world %s has joints of its own: no initial keyframe, MuJoCo starts it at 0",
             g->u->name, world->file);
    return;
  }
  size_t cap = 24 * g->nq + 1, off = 0;
  char *text = malloc(cap);
  if (text == NULL) {
    g->oom = true;
    return;
  }
  text[0] = '\0';
  for (size_t i = 0; i < g->nq; i++) {
    double x = g->qpos[i] == 0 ? 0 : g->qpos[i];
    int k = snprintf(text + off, cap - off, "%s%.10g", i > 0 ? " " : "", x);
    if (k < 0 || (size_t)k >= cap - off) break;
    off += (size_t)k;
  }
  xmlNodePtr kf = child(g, root, "keyframe");
  xmlNodePtr key = child(g, kf, "key");
  set(g, key, "name", "initial");
  set(g, key, "qpos", text);
  free(text);
}

/* ---- document ----------------------------------------------------------- */

int dtw__mjcf_generate(const dtw__urdf_t *u, const dtw_model_opts_t *opts,
                       const dtw__mesh_table_t *meshes, const dtw__mjcf_world_t *world,
                       char **out, size_t *len, char *err, size_t errlen) {
  int rc = 0;
  gen_t g = {.u = u, .opts = opts, .mesh_table = meshes};
  xmlChar *mem = NULL;
  int size = 0;
  if (index_children(&g) != 0) goto err_oom;
  g.doc = xmlNewDoc((const xmlChar *)"1.0");
  xmlNodePtr root = g.doc != NULL ? xmlNewNode(NULL, (const xmlChar *)"mujoco") : NULL;
  if (root == NULL) goto err_oom;
  xmlDocSetRootElement(g.doc, root);
  set(&g, root, "model", u->name);

  xmlNodePtr compiler = child(&g, root, "compiler");
  set(&g, compiler, "angle", "radian");
  set(&g, compiler, "autolimits", "true");
  /* URDF inertials are the truth; geoms (visual or not) add no mass */
  set(&g, compiler, "inertiafromgeom", "false");
  xmlNodePtr option = child(&g, root, "option");
  set_num(&g, option, "timestep", opts->timestep_s > 0 ? opts->timestep_s : 0.001);
  xmlNodePtr def = child(&g, root, "default");
  xmlNodePtr djoint = child(&g, def, "joint");
  set_num(&g, djoint, "armature", opts->armature);
  g.asset = child(&g, root, "asset");
  g.worldbody = child(&g, root, "worldbody");
  if (g.oom) goto err_oom;

  /* a root link called "world" is the world itself: its children are welded to it */
  const dtw__urdf_link_t *rl = &u->links[u->root];
  if (strcmp(rl->name, "world") == 0) {
    if (opts->base == DTW_BASE_FLOATING)
      DTW_WARN(COMP, "robot '%s': root link is 'world', so the base stays fixed", u->name);
    emit_geoms(&g, g.worldbody, rl, false);
    emit_geoms(&g, g.worldbody, rl, true);
    emit_children(&g, g.worldbody, u->root);
  } else {
    emit_body(&g, g.worldbody, u->root, NULL);
  }

  /* one torque motor per actuated joint, in URDF document order */
  xmlNodePtr act = NULL;
  for (size_t i = 0; i < u->n_joints; i++) {
    const dtw__urdf_joint_t *j = &u->joints[i];
    if (!dtw__joint_actuated(j->kind)) continue;
    if (act == NULL) act = child(&g, root, "actuator");
    xmlNodePtr m = child(&g, act, "motor");
    set(&g, m, "name", j->name);
    set(&g, m, "joint", j->name);
    if (j->effort > 0) {
      double range[2] = {-j->effort, j->effort};
      set(&g, m, "ctrllimited", "true");
      set_nums(&g, m, "ctrlrange", range, 2);
    } else {
      set(&g, m, "ctrllimited", "false");
    }
  }
  if (g.oom) goto err_oom;
  /* after the robot, so its root is body 1 */
  if (world != NULL && (rc = dtw__mjcf_merge_world(g.doc, world, false, err, errlen)) != 0)
    goto done;
  if (g.pose_needed) emit_initial_pose(&g, root, world);
  if (g.oom) goto err_oom;
  if ((rc = check_limits(&g, g.doc, err, errlen)) != 0) goto done;

  xmlDocDumpFormatMemoryEnc(g.doc, &mem, &size, "UTF-8", 1);
  if (mem == NULL || size < 0) goto err_oom;
  char *text = malloc((size_t)size + 1);
  if (text == NULL) goto err_oom;
  memcpy(text, mem, (size_t)size);
  text[size] = '\0';
  *out = text;
  *len = (size_t)size;
  goto done;

err_oom:
  rc = dtw_errf(err, errlen, DTW_ENOMEM, "robot '%s': out of memory generating MJCF", u->name);
done:
  xmlFree(mem);
  xmlFreeDoc(g.doc);
  free(g.meshes);
  free(g.qpos);
  free(g.first_joint);
  free(g.next_joint);
  return rc;
}

int dtw__urdf_joint_table(const dtw__urdf_t *u, dtw_joint_desc_t **out, size_t *n) {
  size_t count = 0;
  for (size_t i = 0; i < u->n_joints; i++)
    if (dtw__joint_actuated(u->joints[i].kind)) count++;
  *out = NULL;
  *n = 0;
  if (count == 0) return 0;
  dtw_joint_desc_t *t = calloc(count, sizeof *t);
  if (t == NULL) return DTW_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < u->n_joints; i++) {
    const dtw__urdf_joint_t *j = &u->joints[i];
    if (!dtw__joint_actuated(j->kind)) continue;
    dtw_joint_desc_t *d = &t[k++];
    snprintf(d->name, sizeof d->name, "%s", j->name);
    d->type = j->kind == DTW__JOINT_REVOLUTE     ? DTW_JOINT_REVOLUTE
              : j->kind == DTW__JOINT_CONTINUOUS ? DTW_JOINT_CONTINUOUS
                                                 : DTW_JOINT_PRISMATIC;
    d->limited = j->has_limit;
    d->lower = j->has_limit ? j->lower : 0;
    d->upper = j->has_limit ? j->upper : 0;
    d->effort = j->effort;
    d->velocity = j->velocity;
    d->damping = j->damping;
    d->friction = j->friction;
  }
  *out = t;
  *n = count;
  return 0;
}

int dtw__urdf_visuals(const dtw__urdf_t *u, dtw_visual_desc_t **out, size_t *n) {
  size_t count = 0;
  for (size_t i = 0; i < u->n_links; i++) count += u->links[i].n_visual;
  *out = NULL;
  *n = 0;
  if (count == 0) return 0;
  dtw_visual_desc_t *v = calloc(count, sizeof *v);
  if (v == NULL) return DTW_ENOMEM;
  size_t k = 0;
  bool oom = false;
  for (size_t i = 0; i < u->n_links; i++) {
    const dtw__urdf_link_t *l = &u->links[i];
    for (size_t j = 0; j < l->n_visual; j++, k++) {
      const dtw__urdf_geom_t *g = &l->visual[j];
      dtw_visual_desc_t *d = &v[k];
      static const dtw_shape_t shapes[] = {DTW_SHAPE_BOX, DTW_SHAPE_CYLINDER, DTW_SHAPE_SPHERE,
                                           DTW_SHAPE_CAPSULE, DTW_SHAPE_MESH};
      d->shape = shapes[g->kind];
      memcpy(d->size, g->size, sizeof d->size);
      memcpy(d->scale, g->scale, sizeof d->scale);
      if (g->kind != DTW__GEOM_MESH) d->scale[0] = d->scale[1] = d->scale[2] = 1;
      memcpy(d->pos, g->origin.xyz, sizeof d->pos);
      dtw__rpy_to_quat(g->origin.rpy, d->quat);
      d->has_rgba = g->has_rgba;
      memcpy(d->rgba, g->rgba, sizeof d->rgba);
      d->link = strdup(l->name);
      oom |= d->link == NULL;
      if (g->mesh_uri != NULL) oom |= (d->mesh_uri = strdup(g->mesh_uri)) == NULL;
      if (g->mesh_path != NULL) oom |= (d->mesh_path = strdup(g->mesh_path)) == NULL;
      /* in the MJCF unless dropped (the generator's rule) */
      if (!g->dropped && !(g->kind == DTW__GEOM_MESH && g->mesh_path == NULL)) {
        char name[512];
        dtw__mjcf_geom_name(l->name, true, j, l->n_visual, name, sizeof name);
        oom |= (d->geom = strdup(name)) == NULL;
      }
    }
  }
  *out = v;
  *n = count;
  if (oom) {
    dtw_robot_desc_t tmp = {.visuals = v, .n_visuals = count};
    dtw_robot_desc_fini(&tmp);
    *out = NULL;
    *n = 0;
    return DTW_ENOMEM;
  }
  return 0;
}
