/* The controllers file loader: the document's layout (controller_manager,
 * the controller, its joints, interfaces, per-joint constraints and gains) is
 * walked here; every value is checked and stored through the parameter tables
 * of control__jtc_params.h with core's readers (dtw_param_read_yaml). */
#include "dtw/jtc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "control__jtc_params.h"
#include "control__yaml.h"
#include "dtw/err.h"
#include "dtw/yaml.h"

typedef struct {
  const char *file;
  const char *ctrl;
  char *err;
  size_t errlen;
  dtw__jtc_manager_t mgr; /* the tables' values, defaults first */
  dtw__jtc_params_t par;
} ctx_t;

/* v as parameter i of table t, stored in base; "file:line: label: what". */
static int read_param(const dtw_param_table_t *t, int i, const dtw_yaml_node_t *v,
                      const char *label, void *base, ctx_t *c) {
  char msg[512];
  int rc = dtw_param_read_yaml(&t->params[i], v, base, msg, sizeof msg);
  if (rc < 0) return dtw__cy_fail(c->err, c->errlen, v, NULL, label, rc, "%s", msg);
  return 0;
}

/* A joint's whole entry (gains.<joint>, constraints.<joint>) against table t,
 * base filled with the table's defaults first: every required parameter
 * present, no key the table does not have. */
static int read_entry(const dtw_param_table_t *t, const dtw_yaml_node_t *m, const char *label,
                      void *base, ctx_t *c) {
  char key[2 * DTW_NAME_MAX + 64], names[256] = "";
  int rc = dtw__cy_kind(m, label, DTW_YAML_MAPPING, c->err, c->errlen);
  if (rc < 0) return rc;
  (void)dtw_param_defaults(t, base);
  for (size_t i = 0; i < t->n_params; i++) {
    const char *name = t->params[i].name;
    if (t->params[i].def == NULL && dtw_yaml_get(m, name) == NULL)
      return dtw__cy_fail(c->err, c->errlen, m, NULL, label, DTW_EPARSE, "missing %s", name);
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", i > 0 ? ", " : "", name);
  }
  for (size_t f = 0; f < m->count; f++) {
    const char *fname = m->keys[f]->text;
    snprintf(key, sizeof key, "%s.%s", label, fname);
    int i = strchr(fname, '.') == NULL ? dtw_param_find(t, fname) : -1;
    if (i < 0)
      return dtw__cy_fail(c->err, c->errlen, m->keys[f], NULL, key, DTW_EPARSE,
                          "unknown parameter (%s)", names);
    rc = read_param(t, i, m->items[f], key, base, c);
    if (rc < 0) return rc;
  }
  return 0;
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

static int read_constraints(const dtw_yaml_node_t *n, dtw_jtc_config_t *out,
                            dtw__jtc_params_t *par, ctx_t *c) {
  int rc = dtw__cy_kind(n, "constraints", DTW_YAML_MAPPING, c->err, c->errlen);
  if (rc < 0) return rc;
  char key[2 * DTW_NAME_MAX + 32];
  for (size_t i = 0; i < n->count; i++) {
    const char *name = n->keys[i]->text;
    const dtw_yaml_node_t *v = n->items[i];
    snprintf(key, sizeof key, "constraints.%s", name);
    // the controller's own constraints first, then one entry per joint
    int p = strchr(name, '.') == NULL ? dtw_param_find(&dtw__jtc_param_table, key) : -1;
    if (p >= 0) {
      rc = read_param(&dtw__jtc_param_table, p, v, key, par, c);
    } else {
      int k = joint_index(out, name);
      if (k < 0)
        return dtw__cy_fail(c->err, c->errlen, n->keys[i], NULL, key, DTW_EPARSE,
                            "'%s' is not one of the controller's joints", name);
      dtw__jtc_tolerance_t tol;
      rc = read_entry(&dtw__jtc_tolerance_table, v, key, &tol, c);
      out->joints[k].trajectory_tol = tol.trajectory;
      out->joints[k].goal_tol = tol.goal;
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
    snprintf(key, sizeof key, "gains.%s", name);
    int k = joint_index(out, name);
    if (k < 0)
      return dtw__cy_fail(c->err, c->errlen, n->keys[i], NULL, key, DTW_EPARSE,
                          "'%s' is not one of the controller's joints", name);
    rc = read_entry(&dtw__jtc_gain_table, n->items[i], key, &out->joints[k].gains, c);
    if (rc < 0) return rc;
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
    } else if (strcmp(name, "constraints") == 0) {
      rc = read_constraints(v, out, &c->par, c);
    } else if (strcmp(name, "gains") == 0) {
      rc = read_gains(v, out, has_gains, c);
    } else {
      // a plain value: the controller's, or one of JTC's that dtwin ignores
      int p = strchr(name, '.') == NULL ? dtw_param_find(&dtw__jtc_param_table, name) : -1;
      int q = p < 0 && strchr(name, '.') == NULL ? dtw_param_find(&dtw__jtc_ignored_table, name)
                                                 : -1;
      dtw__jtc_ignored_t ignored;
      if (p >= 0)
        rc = read_param(&dtw__jtc_param_table, p, v, name, &c->par, c);
      else if (q >= 0)
        rc = read_param(&dtw__jtc_ignored_table, q, v, name, &ignored, c);
      else
        rc = dtw__cy_fail(c->err, c->errlen, par->keys[i], NULL, name, DTW_EPARSE,
                          "unknown parameter");
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
static int read_manager(const dtw_yaml_node_t *cm, ctx_t *c) {
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
    int p = strchr(name, '.') == NULL ? dtw_param_find(&dtw__jtc_manager_table, name) : -1;
    if (p >= 0) {
      rc = read_param(&dtw__jtc_manager_table, p, v, key, &c->mgr, c);
      if (rc < 0) return rc;
      continue;
    }
    // other entries are controllers {type: ...} or manager settings we ignore
    const dtw_yaml_node_t *type = v->kind == DTW_YAML_MAPPING ? dtw_yaml_get(v, "type") : NULL;
    if (type == NULL) continue;
    const char *tname;
    snprintf(key, sizeof key, "controller_manager.%s.type", name);
    rc = dtw__cy_string(type, key, &tname, c->err, c->errlen);
    if (rc < 0) return rc;
    bool is_jtc = strcmp(tname, DTW_JTC_TYPE) == 0;
    if (c->ctrl == NULL && is_jtc) c->ctrl = name;
    if (c->ctrl != NULL && strcmp(c->ctrl, name) == 0 && !is_jtc)
      return dtw__cy_fail(c->err, c->errlen, type, NULL, key, DTW_EUNSUP,
                          "'%.100s' is not %s", tname, DTW_JTC_TYPE);
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
  ctx_t c = {.file = path, .ctrl = controller_name, .err = err, .errlen = errlen};
  dtw_jtc_config_defaults(out);
  dtw__jtc_params_take(out, &c.mgr, &c.par);

  const dtw_yaml_node_t *root = doc.root;
  if (root == NULL || root->kind != DTW_YAML_MAPPING) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: expected a mapping of node names", path);
    goto done;
  }
  const dtw_yaml_node_t *cm = dtw_yaml_get(root, "controller_manager");
  if (cm != NULL && (rc = read_manager(cm, &c)) < 0) goto done;
  if (c.ctrl == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOENT, "%s: no controller of type %s in controller_manager",
                  path, DTW_JTC_TYPE);
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
  if (rc == 0) dtw__jtc_params_apply(&c.mgr, &c.par, out);

done:
  dtw_yaml_free(&doc);
  return rc;
}
