/* Controller configuration: defaults and the ros2_control-style YAML loader. */
#include "dtw/jtc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "control__yaml.h"
#include "dtw/err.h"
#include "dtw/yaml.h"

#define JTC_TYPE "joint_trajectory_controller/JointTrajectoryController"
#define GAIN_MAX 1e6

void dtw_jtc_config_defaults(dtw_jtc_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->update_rate_hz = 1000.0;
  cfg->interpolation = DTW_JTC_INTERP_SPLINES;
  cfg->allow_partial_joints_goal = false;
  cfg->open_loop_control = false;
  cfg->allow_nonzero_velocity_at_trajectory_end = false;
  cfg->stopped_velocity_tolerance = 0.01;
  cfg->goal_time = 0.0;
  cfg->state_publish_rate_hz = 50.0;
  cfg->max_points = 256;
}

/* The plain scalar parameters of <controller>.ros__parameters, one table:
 * X(name, kind, min, max, field or NULL for "accepted, not used"). */
typedef enum { P_BOOL, P_DOUBLE, P_SIZE } ptype_t;
typedef struct {
  const char *name;
  ptype_t type;
  double min, max;
  ptrdiff_t offset;  /* into dtw_jtc_config_t; -1: JTC parameter dtwin ignores */
} param_t;

#define OFF(f) ((ptrdiff_t)offsetof(dtw_jtc_config_t, f))
static const param_t scalar_params[] = {
    {"allow_partial_joints_goal", P_BOOL, 0, 0, OFF(allow_partial_joints_goal)},
    {"open_loop_control", P_BOOL, 0, 0, OFF(open_loop_control)},
    {"allow_nonzero_velocity_at_trajectory_end", P_BOOL, 0, 0,
     OFF(allow_nonzero_velocity_at_trajectory_end)},
    {"state_publish_rate", P_DOUBLE, 0.1, 10000.0, OFF(state_publish_rate_hz)},
    {"max_points", P_SIZE, 1, 100000, OFF(max_points)},
    // JTC parameters with no effect here (no action server, no position interface)
    {"action_monitor_rate", P_DOUBLE, 0.0, 10000.0, -1},
    {"set_last_command_interface_value_as_state_on_activation", P_BOOL, 0, 0, -1},
};
#undef OFF

typedef struct {
  const char *file;
  const char *ctrl;
  char *err;
  size_t errlen;
} ctx_t;

static int read_scalar(const param_t *p, const dtw_yaml_node_t *n, dtw_jtc_config_t *out,
                       ctx_t *c) {
  int rc;
  void *field = p->offset >= 0 ? (char *)out + p->offset : NULL;
  if (p->type == P_BOOL) {
    bool b;
    rc = dtw__cy_bool(n, p->name, &b, c->err, c->errlen);
    if (rc == 0 && field) *(bool *)field = b;
  } else if (p->type == P_DOUBLE) {
    double d;
    rc = dtw__cy_double(n, p->name, p->min, p->max, &d, c->err, c->errlen);
    if (rc == 0 && field) *(double *)field = d;
  } else {
    int64_t v;
    rc = dtw__cy_int(n, p->name, (int64_t)p->min, (int64_t)p->max, &v, c->err, c->errlen);
    if (rc == 0 && field) *(size_t *)field = (size_t)v;
  }
  return rc;
}

static int joint_index(const dtw_jtc_config_t *cfg, const char *name) {
  for (size_t k = 0; k < cfg->n_joints; k++)
    if (strcmp(cfg->joints[k].name, name) == 0) return (int)k;
  return -1;
}

static int read_interfaces(const dtw_yaml_node_t *n, const char *key, bool command, ctx_t *c) {
  const char *names[8];
  size_t count = 0;
  int rc = dtw__cy_names(n, key, DTW_NAME_MAX, 8, names, &count, c->err, c->errlen);
  if (rc < 0) return rc;
  bool pos = false, vel = false, eff = false;
  for (size_t i = 0; i < count; i++) {
    const dtw_yaml_node_t *it = n->items[i];
    if (command) {
      if (strcmp(names[i], "effort") != 0)
        return dtw__cy_fail(c->err, c->errlen, it, NULL, key, DTW_EUNSUP,
                            "'%s' is not supported: the twin drives joints by effort only "
                            "(use [effort])",
                            names[i]);
      eff = true;
    } else if (strcmp(names[i], "position") == 0) {
      pos = true;
    } else if (strcmp(names[i], "velocity") == 0) {
      vel = true;
    } else {
      return dtw__cy_fail(c->err, c->errlen, it, NULL, key, DTW_EUNSUP,
                          "'%s' is not supported (use [position, velocity])", names[i]);
    }
  }
  if (command && !eff)
    return dtw__cy_fail(c->err, c->errlen, n, NULL, key, DTW_EPARSE, "must be [effort]");
  if (!command && !(pos && vel))
    return dtw__cy_fail(c->err, c->errlen, n, NULL, key, DTW_EPARSE,
                        "must include position and velocity");
  return 0;
}

static int read_constraints(const dtw_yaml_node_t *n, dtw_jtc_config_t *out, ctx_t *c) {
  int rc = dtw__cy_kind(n, "constraints", DTW_YAML_MAPPING, c->err, c->errlen);
  if (rc < 0) return rc;
  char key[2 * DTW_NAME_MAX + 32];
  for (size_t i = 0; i < n->count; i++) {
    const char *name = n->keys[i]->text;
    const dtw_yaml_node_t *v = n->items[i];
    snprintf(key, sizeof key, "constraints.%s", name);
    if (strcmp(name, "stopped_velocity_tolerance") == 0) {
      rc = dtw__cy_double(v, key, 0.0, 100.0, &out->stopped_velocity_tolerance, c->err,
                          c->errlen);
    } else if (strcmp(name, "goal_time") == 0) {
      rc = dtw__cy_double(v, key, 0.0, 3600.0, &out->goal_time, c->err, c->errlen);
    } else {
      int k = joint_index(out, name);
      if (k < 0)
        return dtw__cy_fail(c->err, c->errlen, n->keys[i], NULL, key, DTW_EPARSE,
                            "'%s' is not one of the controller's joints", name);
      rc = dtw__cy_kind(v, key, DTW_YAML_MAPPING, c->err, c->errlen);
      for (size_t f = 0; rc == 0 && f < v->count; f++) {
        const char *fname = v->keys[f]->text;
        snprintf(key, sizeof key, "constraints.%s.%s", name, fname);
        if (strcmp(fname, "trajectory") == 0)
          rc = dtw__cy_double(v->items[f], key, 0.0, 100.0, &out->joints[k].trajectory_tol,
                              c->err, c->errlen);
        else if (strcmp(fname, "goal") == 0)
          rc = dtw__cy_double(v->items[f], key, 0.0, 100.0, &out->joints[k].goal_tol, c->err,
                              c->errlen);
        else
          rc = dtw__cy_fail(c->err, c->errlen, v->keys[f], NULL, key, DTW_EPARSE,
                            "unknown parameter (trajectory, goal)");
      }
    }
    if (rc < 0) return rc;
  }
  return 0;
}

static int read_gains(const dtw_yaml_node_t *n, dtw_jtc_config_t *out, bool *has_gains,
                      ctx_t *c) {
  int rc = dtw__cy_kind(n, "gains", DTW_YAML_MAPPING, c->err, c->errlen);
  if (rc < 0) return rc;
  char key[2 * DTW_NAME_MAX + 32];
  for (size_t i = 0; i < n->count; i++) {
    const char *name = n->keys[i]->text;
    const dtw_yaml_node_t *v = n->items[i];
    snprintf(key, sizeof key, "gains.%s", name);
    int k = joint_index(out, name);
    if (k < 0)
      return dtw__cy_fail(c->err, c->errlen, n->keys[i], NULL, key, DTW_EPARSE,
                          "'%s' is not one of the controller's joints", name);
    rc = dtw__cy_kind(v, key, DTW_YAML_MAPPING, c->err, c->errlen);
    if (rc < 0) return rc;
    if (dtw_yaml_get(v, "p") == NULL)
      return dtw__cy_fail(c->err, c->errlen, v, NULL, key, DTW_EPARSE, "missing p");
    dtw_jtc_gains_t *g = &out->joints[k].gains;
    for (size_t f = 0; f < v->count; f++) {
      const char *fname = v->keys[f]->text;
      const dtw_yaml_node_t *fv = v->items[f];
      snprintf(key, sizeof key, "gains.%s.%s", name, fname);
      if (strcmp(fname, "p") == 0)
        rc = dtw__cy_double(fv, key, 0.0, GAIN_MAX, &g->p, c->err, c->errlen);
      else if (strcmp(fname, "i") == 0)
        rc = dtw__cy_double(fv, key, 0.0, GAIN_MAX, &g->i, c->err, c->errlen);
      else if (strcmp(fname, "d") == 0)
        rc = dtw__cy_double(fv, key, 0.0, GAIN_MAX, &g->d, c->err, c->errlen);
      else if (strcmp(fname, "i_clamp") == 0)
        rc = dtw__cy_double(fv, key, 0.0, GAIN_MAX, &g->i_clamp, c->err, c->errlen);
      else if (strcmp(fname, "ff_velocity_scale") == 0)
        rc = dtw__cy_double(fv, key, -GAIN_MAX, GAIN_MAX, &g->ff_velocity_scale, c->err,
                            c->errlen);
      else
        rc = dtw__cy_fail(c->err, c->errlen, v->keys[f], NULL, key, DTW_EPARSE,
                          "unknown parameter (p, i, d, i_clamp, ff_velocity_scale)");
      if (rc < 0) return rc;
    }
    has_gains[k] = true;
  }
  return 0;
}

static int read_controller(const dtw_yaml_node_t *sec, dtw_jtc_config_t *out, ctx_t *c) {
  char key[2 * DTW_NAME_MAX + 32];
  int rc = dtw__cy_kind(sec, c->ctrl, DTW_YAML_MAPPING, c->err, c->errlen);
  if (rc < 0) return rc;
  for (size_t i = 0; i < sec->count; i++)
    if (strcmp(sec->keys[i]->text, "ros__parameters") != 0) {
      snprintf(key, sizeof key, "%s.%s", c->ctrl, sec->keys[i]->text);
      return dtw__cy_fail(c->err, c->errlen, sec->keys[i], NULL, key, DTW_EPARSE,
                          "unknown key (expected ros__parameters)");
    }
  snprintf(key, sizeof key, "%s.ros__parameters", c->ctrl);
  const dtw_yaml_node_t *par = dtw_yaml_get(sec, "ros__parameters");
  if (par == NULL)
    return dtw__cy_fail(c->err, c->errlen, sec, NULL, key, DTW_EPARSE, "missing");
  rc = dtw__cy_kind(par, key, DTW_YAML_MAPPING, c->err, c->errlen);
  if (rc < 0) return rc;

  // joints first: constraints and gains refer to them
  const dtw_yaml_node_t *jn = dtw_yaml_get(par, "joints");
  if (jn == NULL)
    return dtw__cy_fail(c->err, c->errlen, par, NULL, "joints", DTW_EPARSE, "missing");
  const char *names[DTW_MAX_JOINTS];
  rc = dtw__cy_names(jn, "joints", DTW_NAME_MAX, DTW_MAX_JOINTS, names, &out->n_joints, c->err,
                     c->errlen);
  if (rc < 0) return rc;
  if (out->n_joints == 0)
    return dtw__cy_fail(c->err, c->errlen, jn, NULL, "joints", DTW_EPARSE, "empty list");
  for (size_t k = 0; k < out->n_joints; k++)
    snprintf(out->joints[k].name, DTW_NAME_MAX, "%s", names[k]);

  bool has_gains[DTW_MAX_JOINTS] = {false};
  bool seen_cmd = false, seen_state = false;
  for (size_t i = 0; i < par->count; i++) {
    const char *name = par->keys[i]->text;
    const dtw_yaml_node_t *v = par->items[i];
    rc = 0;
    if (strcmp(name, "joints") == 0) {
      continue;
    } else if (strcmp(name, "command_interfaces") == 0) {
      rc = read_interfaces(v, name, true, c);
      seen_cmd = true;
    } else if (strcmp(name, "state_interfaces") == 0) {
      rc = read_interfaces(v, name, false, c);
      seen_state = true;
    } else if (strcmp(name, "interpolation_method") == 0) {
      const char *s;
      rc = dtw__cy_string(v, name, &s, c->err, c->errlen);
      if (rc == 0 && strcmp(s, "splines") == 0)
        out->interpolation = DTW_JTC_INTERP_SPLINES;
      else if (rc == 0 && strcmp(s, "none") == 0)
        out->interpolation = DTW_JTC_INTERP_NONE;
      else if (rc == 0)
        rc = dtw__cy_fail(c->err, c->errlen, v, NULL, name, DTW_EPARSE,
                          "'%.64s' is not splines or none", s);
    } else if (strcmp(name, "constraints") == 0) {
      rc = read_constraints(v, out, c);
    } else if (strcmp(name, "gains") == 0) {
      rc = read_gains(v, out, has_gains, c);
    } else {
      const param_t *p = NULL;
      for (size_t t = 0; t < sizeof scalar_params / sizeof scalar_params[0]; t++)
        if (strcmp(scalar_params[t].name, name) == 0) p = &scalar_params[t];
      if (p == NULL)
        rc = dtw__cy_fail(c->err, c->errlen, par->keys[i], NULL, name, DTW_EPARSE,
                          "unknown parameter");
      else
        rc = read_scalar(p, v, out, c);
    }
    if (rc < 0) return rc;
  }
  if (!seen_cmd)
    return dtw__cy_fail(c->err, c->errlen, par, NULL, "command_interfaces", DTW_EPARSE,
                        "missing (use [effort])");
  if (!seen_state)
    return dtw__cy_fail(c->err, c->errlen, par, NULL, "state_interfaces", DTW_EPARSE,
                        "missing (use [position, velocity])");
  for (size_t k = 0; k < out->n_joints; k++)
    if (!has_gains[k])
      return dtw__cy_fail(c->err, c->errlen, jn->items[k], NULL, "gains", DTW_EPARSE,
                          "joint '%s' has no gains (the effort interface needs p, d...)",
                          out->joints[k].name);
  return 0;
}

/* controller_manager: ros__parameters: update_rate and the controllers' types;
 * picks the controller when c->ctrl is NULL. */
static int read_manager(const dtw_yaml_node_t *cm, dtw_jtc_config_t *out, ctx_t *c) {
  int rc = dtw__cy_kind(cm, "controller_manager", DTW_YAML_MAPPING, c->err, c->errlen);
  if (rc < 0) return rc;
  const dtw_yaml_node_t *par = dtw_yaml_get(cm, "ros__parameters");
  if (par == NULL)
    return dtw__cy_fail(c->err, c->errlen, cm, NULL, "controller_manager.ros__parameters",
                        DTW_EPARSE, "missing");
  rc = dtw__cy_kind(par, "controller_manager.ros__parameters", DTW_YAML_MAPPING, c->err,
                    c->errlen);
  if (rc < 0) return rc;
  char key[2 * DTW_NAME_MAX + 64];
  for (size_t i = 0; i < par->count; i++) {
    const char *name = par->keys[i]->text;
    const dtw_yaml_node_t *v = par->items[i];
    snprintf(key, sizeof key, "controller_manager.%s", name);
    if (strcmp(name, "update_rate") == 0) {
      int64_t hz;
      rc = dtw__cy_int(v, key, 1, 100000, &hz, c->err, c->errlen);
      if (rc < 0) return rc;
      out->update_rate_hz = (double)hz;
      continue;
    }
    // other entries are controllers {type: ...} or manager settings we ignore
    const dtw_yaml_node_t *type = v->kind == DTW_YAML_MAPPING ? dtw_yaml_get(v, "type") : NULL;
    if (type == NULL) continue;
    const char *tname;
    snprintf(key, sizeof key, "controller_manager.%s.type", name);
    rc = dtw__cy_string(type, key, &tname, c->err, c->errlen);
    if (rc < 0) return rc;
    bool is_jtc = strcmp(tname, JTC_TYPE) == 0;
    if (c->ctrl == NULL && is_jtc) c->ctrl = name;
    if (c->ctrl != NULL && strcmp(c->ctrl, name) == 0 && !is_jtc)
      return dtw__cy_fail(c->err, c->errlen, type, NULL, key, DTW_EUNSUP,
                          "'%.100s' is not %s", tname, JTC_TYPE);
  }
  return 0;
}

int dtw_jtc_config_load(const char *path, const char *controller_name, dtw_jtc_config_t *out,
                        char *err, size_t errlen) {
  if (path == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_jtc_config_load: NULL argument");
  dtw_yaml_doc_t doc = {0};
  int rc = dtw_yaml_load_file(path, &doc, err, errlen);
  if (rc < 0) return rc;
  ctx_t c = {path, controller_name, err, errlen};
  dtw_jtc_config_defaults(out);

  const dtw_yaml_node_t *root = doc.root;
  if (root == NULL || root->kind != DTW_YAML_MAPPING) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: expected a mapping of node names", path);
    goto done;
  }
  const dtw_yaml_node_t *cm = dtw_yaml_get(root, "controller_manager");
  if (cm != NULL && (rc = read_manager(cm, out, &c)) < 0) goto done;
  if (c.ctrl == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOENT, "%s: no controller of type %s in controller_manager",
                  path, JTC_TYPE);
    goto done;
  }
  if (strlen(c.ctrl) >= DTW_NAME_MAX) {
    rc = dtw_errf(err, errlen, DTW_ERANGE, "%s: controller name '%.64s...' is too long", path,
                  c.ctrl);
    goto done;
  }
  const dtw_yaml_node_t *sec = dtw_yaml_get(root, c.ctrl);
  if (sec == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOENT, "%s: controller '%s' not found", path, c.ctrl);
    goto done;
  }
  snprintf(out->name, sizeof out->name, "%s", c.ctrl);
  rc = read_controller(sec, out, &c);

done:
  dtw_yaml_free(&doc);
  return rc;
}
