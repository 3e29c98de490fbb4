/* The controllers file's parameter tables (control__jtc_params.h) and what
 * they generate besides the loader: the defaults, the file the derived
 * controller is printed as, and its reference in docs/controllers.md. */
#include "control__jtc_params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dtw/err.h"
#include "dtw/jtc_derive.h"

#define DTW_PARAM_STYPE dtw__jtc_manager_t
DTW_PARAM_TABLE(dtw__jtc_manager_table, "controller_manager", "controller_manager: ros__parameters",
                DTW_JTC_MANAGER_PARAMS);
#undef DTW_PARAM_STYPE
#define DTW_PARAM_STYPE dtw__jtc_params_t
DTW_PARAM_TABLE(dtw__jtc_param_table, "controller", "<controller>: ros__parameters",
                DTW_JTC_PARAMS);
#undef DTW_PARAM_STYPE
#define DTW_PARAM_STYPE dtw__jtc_ignored_t
DTW_PARAM_TABLE(dtw__jtc_ignored_table, "controller", "accepted and ignored",
                DTW_JTC_IGNORED_PARAMS);
#undef DTW_PARAM_STYPE
#define DTW_PARAM_STYPE dtw__jtc_tolerance_t
DTW_PARAM_TABLE(dtw__jtc_tolerance_table, "constraints", "constraints.<joint>",
                DTW_JTC_TOLERANCE_PARAMS);
#undef DTW_PARAM_STYPE
#define DTW_PARAM_STYPE dtw_jtc_gains_t
DTW_PARAM_TABLE(dtw__jtc_gain_table, "gains", "gains.<joint>", DTW_JTC_GAIN_PARAMS);
#undef DTW_PARAM_STYPE

void dtw__jtc_params_apply(const dtw__jtc_manager_t *m, const dtw__jtc_params_t *p,
                           dtw_jtc_config_t *cfg) {
  cfg->update_rate_hz = (double)m->update_rate;
  cfg->interpolation = strcmp(p->interpolation_method, "none") == 0 ? DTW_JTC_INTERP_NONE
                                                                    : DTW_JTC_INTERP_SPLINES;
  cfg->allow_partial_joints_goal = p->allow_partial_joints_goal;
  cfg->open_loop_control = p->open_loop_control;
  cfg->allow_nonzero_velocity_at_trajectory_end = p->allow_nonzero_velocity_at_trajectory_end;
  cfg->state_publish_rate_hz = p->state_publish_rate;
  cfg->max_points = (size_t)p->max_points;
  cfg->stopped_velocity_tolerance = p->constraints__stopped_velocity_tolerance;
  cfg->goal_time = p->constraints__goal_time;
}

void dtw__jtc_params_take(const dtw_jtc_config_t *cfg, dtw__jtc_manager_t *m,
                          dtw__jtc_params_t *p) {
  memset(m, 0, sizeof *m);
  memset(p, 0, sizeof *p);
  m->update_rate = (int64_t)llround(cfg->update_rate_hz);
  snprintf(p->interpolation_method, sizeof p->interpolation_method, "%s",
           cfg->interpolation == DTW_JTC_INTERP_NONE ? "none" : "splines");
  p->allow_partial_joints_goal = cfg->allow_partial_joints_goal;
  p->open_loop_control = cfg->open_loop_control;
  p->allow_nonzero_velocity_at_trajectory_end = cfg->allow_nonzero_velocity_at_trajectory_end;
  p->state_publish_rate = cfg->state_publish_rate_hz;
  p->max_points = (int64_t)cfg->max_points;
  p->constraints__stopped_velocity_tolerance = cfg->stopped_velocity_tolerance;
  p->constraints__goal_time = cfg->goal_time;
}

void dtw_jtc_config_defaults(dtw_jtc_config_t *cfg) {
  dtw__jtc_manager_t m;
  dtw__jtc_params_t p;
  memset(cfg, 0, sizeof *cfg);
  // the tables are constants checked by the tests: their defaults parse
  (void)dtw_param_defaults(&dtw__jtc_manager_table, &m);
  (void)dtw_param_defaults(&dtw__jtc_param_table, &p);
  dtw__jtc_params_apply(&m, &p, cfg);
}

/* ---- the parameter file ------------------------------------------------------ */

/* A name as a YAML scalar: plain when it cannot be read as anything else. */
static const char *name_text(const char *name, char *buf, size_t cap) {
  static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"};
  bool plain = name[0] != '\0' && strchr("-?:,[]{}#&*!|>'\"%@`0123456789.+ ", name[0]) == NULL;
  for (const char *p = name; plain && *p; p++)
    plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '_' || *p == '-' || *p == '.' || *p == '/';
  for (size_t i = 0; plain && i < sizeof words / sizeof words[0]; i++)
    plain = strcasecmp(name, words[i]) != 0;
  if (plain) {
    snprintf(buf, cap, "%s", name);
  } else {
    size_t o = 0;
    buf[o++] = '"';
    for (const char *p = name; *p && o + 3 < cap; p++) {
      if (*p == '"' || *p == '\\') buf[o++] = '\\';
      buf[o++] = *p;
    }
    buf[o++] = '"';
    buf[o] = '\0';
  }
  return buf;
}

/* "name: value" lines for the table's parameters under prefix (a C name
 * prefix: "" or "constraints__"), without the prefix. */
static void write_block(FILE *f, const dtw_param_table_t *t, const void *base, const char *prefix,
                        int indent) {
  size_t pl = strlen(prefix);
  for (size_t i = 0; i < t->n_params; i++) {
    const dtw_param_spec_t *sp = &t->params[i];
    if (strncmp(sp->name, prefix, pl) != 0 || strstr(sp->name + pl, "__") != NULL) continue;
    fprintf(f, "%*s%s: ", indent, "", sp->name + pl);
    dtw_param_write_value(sp, base, f);
    fputc('\n', f);
  }
}

/* "{a: 1.0, b: 2.0}": one joint's entry */
static void write_flow(FILE *f, const dtw_param_table_t *t, const void *base) {
  for (size_t i = 0; i < t->n_params; i++) {
    fprintf(f, "%s%s: ", i == 0 ? "{" : ", ", t->params[i].name);
    dtw_param_write_value(&t->params[i], base, f);
  }
  fputs("}\n", f);
}

int dtw_jtc_config_write(FILE *f, const dtw_jtc_config_t *cfg, const char *comment) {
  char nm[2 * DTW_NAME_MAX + 4], cn[2 * DTW_NAME_MAX + 4];
  dtw__jtc_manager_t m;
  dtw__jtc_params_t p;
  if (f == NULL || cfg == NULL) return DTW_EINVAL;
  dtw__jtc_params_take(cfg, &m, &p);
  for (const char *c = comment; c != NULL && *c;) {
    size_t len = strcspn(c, "\n");
    fprintf(f, "# %.*s\n", (int)len, c);
    c += len + (c[len] == '\n');
  }
  name_text(cfg->name, cn, sizeof cn);
  fprintf(f, "controller_manager:\n  ros__parameters:\n");
  fprintf(f, "    update_rate: ");
  dtw_param_write_value(&dtw__jtc_manager_table.params[0], &m, f);
  fprintf(f, "  # Hz\n\n    %s:\n      type: %s\n\n", cn, DTW_JTC_TYPE);
  fprintf(f, "%s:\n  ros__parameters:\n    joints:\n", cn);
  for (size_t k = 0; k < cfg->n_joints; k++)
    fprintf(f, "      - %s\n", name_text(cfg->joints[k].name, nm, sizeof nm));
  fprintf(f, "    command_interfaces: [effort]\n    state_interfaces: [position, velocity]\n");
  write_block(f, &dtw__jtc_param_table, &p, "", 4);
  fprintf(f, "\n    # trajectory: max |position error| while moving; goal: at the end (0 = off)\n"
             "    constraints:\n");
  write_block(f, &dtw__jtc_param_table, &p, "constraints__", 6);
  for (size_t k = 0; k < cfg->n_joints; k++) {
    const dtw_jtc_joint_config_t *j = &cfg->joints[k];
    dtw__jtc_tolerance_t tol = {.trajectory = j->trajectory_tol, .goal = j->goal_tol};
    fprintf(f, "      %s: ", name_text(j->name, nm, sizeof nm));
    write_flow(f, &dtw__jtc_tolerance_table, &tol);
  }
  fprintf(f, "\n    # p [N m/rad], i [N m/(rad s)], d [N m s/rad], i_clamp [N m]\n    gains:\n");
  for (size_t k = 0; k < cfg->n_joints; k++) {
    fprintf(f, "      %s: ", name_text(cfg->joints[k].name, nm, sizeof nm));
    write_flow(f, &dtw__jtc_gain_table, &cfg->joints[k].gains);
  }
  return ferror(f) ? DTW_EIO : 0;
}

/* ---- the reference ----------------------------------------------------------- */

/* The values that are lists and per-joint maps, in the tables' row format. */
static const char structured_rows[] =
    "| `command_interfaces` | list | required | `[effort]` | The twin drives joints by effort "
    "only |\n"
    "| `state_interfaces` | list | required | `[position, velocity]` | What the controller "
    "reads |\n"
    "| `constraints.<joint>` | map | all 0 | see below | A joint's path and goal tolerances |\n"
    "| `gains.<joint>` | map | required for every joint | see below | A joint's PID gains |\n";

int dtw_jtc_config_docs(FILE *out) {
  if (out == NULL) return DTW_EINVAL;
  fputs(DTW_JTC_DOCS_BEGIN "\n"
        "## The controllers file\n\n"
        "Generated from the parameter tables in src/control/control__jtc_params.h by\n"
        "`dtwin config docs controllers`; do not edit by hand (`make config-files`).\n\n"
        "A ros2_control parameter file, read as ros2_controllers' joint_trajectory_controller\n"
        "reads it. The controller is the one `sim.controller` names, which the\n"
        "`controller_manager` must list with type\n`" DTW_JTC_TYPE "`.\n"
        "A key not listed here is an error naming file:line; other top-level nodes and\n"
        "`controller_manager` entries are ignored.\n\n"
        "### `controller_manager: ros__parameters`\n\n",
        out);
  int rc = dtw_param_write_md(&dtw__jtc_manager_table, out);
  fputs("| `<controller>.type` | string | required | `" DTW_JTC_TYPE
        "` | Names the controller |\n\n### `<controller>: ros__parameters`\n\n",
        out);
  if (rc == 0) rc = dtw_param_write_md(&dtw__jtc_param_table, out);
  fprintf(out, "| `joints` | list of strings | required | 1..%d distinct names of 1..%d "
               "characters | The joints the controller drives, in this order |\n",
          DTW_MAX_JOINTS, DTW_NAME_MAX - 1);
  fputs(structured_rows, out);
  fputs("\n### `constraints.<joint>`\n\n", out);
  if (rc == 0) rc = dtw_param_write_md(&dtw__jtc_tolerance_table, out);
  fputs("\n### `gains.<joint>`\n\n", out);
  if (rc == 0) rc = dtw_param_write_md(&dtw__jtc_gain_table, out);
  fputs("\n### Accepted and ignored\n\n", out);
  if (rc == 0) rc = dtw_param_write_md(&dtw__jtc_ignored_table, out);
  fputs(DTW_JTC_DOCS_END "\n", out);
  if (rc < 0) return rc;
  return ferror(out) ? DTW_EIO : 0;
}
