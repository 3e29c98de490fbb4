/* A MuJoCo twin as a node on the bus: what sim_node and robot_node share. */
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/node.h"
#include "dtw/runner.h"
#include "node__twin.h"

int dtw__twin_node_init(dtw__twin_node_t *tn, const char *log, const dtw__twin_node_config_t *cfg,
                        const dtw_twin_settings_t *ts, char *err, size_t errlen) {
  tn->cfg = *cfg;
  tn->log = log;
  dtw_node_fqn(cfg->ns, cfg->node_name, tn->fqn, sizeof tn->fqn);
  return dtw_twin_create(ts, &tn->twin, err, errlen);
}

int dtw__twin_node_open(dtw__twin_node_t *tn, dtw_bus_t *bus, char *err, size_t errlen) {
  const dtw__twin_node_config_t *c = &tn->cfg;
  int rc;
  if ((rc = dtw_traj_msg_init(&tn->traj_in, c->max_trajectory_points)) < 0) return rc;
  if ((rc = dtw_bus_node_create(bus, c->node_name, c->ns, &tn->node, err, errlen)) < 0 ||
      (rc = dtw_node_add_remaps(tn->node, c->remappings, err, errlen)) < 0)
    return rc;
  dtw_qos_t js_qos = strcmp(c->qos_joint_states, "default") == 0 ? DTW_QOS_DEFAULT
                                                                 : DTW_QOS_SENSOR_DATA;
  return dtw_pub_create(tn->node, "joint_states", DTW_TYPE_JOINT_STATE, js_qos,
                        &tn->joint_states, err, errlen);
}

int dtw__twin_node_subscribe(dtw__twin_node_t *tn, char *err, size_t errlen) {
  char topic[DTW_PARAM_STRING_MAX + 32];
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_DEFAULT;
  so.traj_cap_points = tn->cfg.max_trajectory_points;
  snprintf(topic, sizeof topic, "%s/joint_trajectory", tn->cfg.controller);
  int rc = dtw_sub_create(tn->node, topic, DTW_TYPE_JOINT_TRAJECTORY, &so, &tn->trajectory, err,
                          errlen);
  if (rc < 0) return rc;
  /* metric labels use the resolved names, as ros2 topic list shows them */
  dtw_bus_node_resolve(tn->node, topic, tn->traj_topic, sizeof tn->traj_topic, NULL, 0);
  return 0;
}

void dtw__twin_node_set_ready(dtw__twin_node_t *tn, dtw_health_t *health) {
  if (health == NULL) return;
  char name[600];
  snprintf(name, sizeof name, "%s: model loaded, endpoints created", tn->fqn);
  dtw_health_set_ready(dtw_health_add_ready(health, name), true);
  snprintf(name, sizeof name, "%s: physics advancing", tn->fqn);
  tn->physics_ready = dtw_health_add_ready(health, name);
  dtw_health_set_ready(tn->physics_ready, true);
}

void dtw__twin_node_fini(dtw__twin_node_t *tn) {
  /* destroying the bus node destroys its endpoints */
  dtw_bus_node_destroy(tn->node);
  dtw_traj_msg_fini(&tn->traj_in);
  dtw_twin_destroy(tn->twin);
}

void dtw__twin_node_refuse(dtw__twin_node_t *tn, int reason) {
  tn->refused[reason]++;
  dtw_counter_add(tn->m.refused[reason], 1);
}

const dtw_joint_trajectory_msg_t *dtw__twin_node_take_trajectory(dtw__twin_node_t *tn) {
  int rc = dtw_sub_take(tn->trajectory, &tn->traj_in);
  if (rc == 0) return NULL;
  if (rc < 0) {
    dtw__twin_node_refuse(tn, DTW__TWIN_REFUSAL_TRAJECTORY_MALFORMED);
    if (rc == DTW_EFULL)
      dtw__log_limited(&tn->limit_traj, DTW_LOG_WARN, tn->log,
                       "refused trajectory: more than %d joint names or more than %zu points "
                       "(sim.max_trajectory_points)", DTW_MAX_JOINTS, tn->traj_in.cap_points);
    else
      dtw__log_limited(&tn->limit_traj, DTW_LOG_WARN, tn->log, "refused trajectory: %s",
                       dtw_strerror(rc));
    return NULL;
  }
  tn->received++;
  dtw_counter_add(tn->m.recv_traj, 1);
  return &tn->traj_in;
}

int dtw__twin_node_accept_trajectory(dtw__twin_node_t *tn, const dtw_joint_trajectory_msg_t *traj) {
  char err[512];
  // "start now" means now on the wall clock: a loop behind its schedule starts
  // the motion where it will be once caught up, in step with a robot on time
  int rc = dtw_twin_accept_trajectory_behind(tn->twin, traj, dtw_runner_behind_s(), err,
                                             sizeof err);
  if (rc >= 0) return 0;
  dtw_jtc_refusal_t why = dtw_jtc_refusal_from_code(rc);
  dtw__twin_node_refuse(tn, DTW__TWIN_REFUSAL_TRAJECTORY_INVALID);
  dtw_counter_add(tn->m.traj_refused[why], 1);
  if (tn->log_jtc_reason)
    dtw__log_limited(&tn->limit_traj, DTW_LOG_WARN, tn->log, "refused trajectory (%s): %s",
                     dtw_jtc_refusal_name(why), err);
  else
    dtw__log_limited(&tn->limit_traj, DTW_LOG_WARN, tn->log, "refused trajectory: %s", err);
  return rc;
}

int dtw__twin_node_step(dtw__twin_node_t *tn) {
  int rc = dtw_twin_step(tn->twin);
  if (rc < 0) {
    dtw_counter_add(tn->m.physics_failures, 1);
    tn->window_failures++;
    dtw__log_limited(&tn->limit_physics, DTW_LOG_WARN, tn->log,
                     "physics step failed: the twin restarted from its initial pose");
  }
  if (++tn->window_steps == DTW__PHYSICS_WINDOW) {
    bool ok = tn->window_failures * 1000u < DTW__PHYSICS_FAIL_PERMILLE * DTW__PHYSICS_WINDOW;
    if (ok == tn->physics_failing) {
      if (ok)
        DTW_INFO(tn->log, "physics advancing again: ready");
      else
        DTW_ERROR(tn->log, "physics failed in %u of the last %u steps: not ready (is the model "
                  "stable at this timestep?)", tn->window_failures, DTW__PHYSICS_WINDOW);
      tn->physics_failing = !ok;
    }
    dtw_health_set_ready(tn->physics_ready, ok);
    tn->window_steps = tn->window_failures = 0;
  }
  return rc;
}

void dtw__twin_node_publish_joint_state(dtw__twin_node_t *tn, const dtw_joint_state_msg_t *msg) {
  if (dtw_pub_joint_state(tn->joint_states, msg) == 0) {
    tn->published++;
    dtw_counter_add(tn->m.pub_js, 1);
  }
}

int dtw__twin_node_open_controller_state(dtw__twin_node_t *tn, double rate_hz, char *topic,
                                         size_t cap, char *err, size_t errlen) {
  char name[600];
  snprintf(name, sizeof name, "%s/controller_state", tn->cfg.controller);
  dtw_bus_node_resolve(tn->node, name, topic, cap, NULL, 0);
  if (!(rate_hz > 0)) return 0;
  int rc = dtw_pub_create(tn->node, name, DTW_TYPE_JTC_STATE, DTW_QOS_DEFAULT,
                          &tn->controller_state, err, errlen);
  if (rc < 0) return rc;
  tn->ctl_every = dtw__every_steps(1.0 / dtw_twin_timestep(tn->twin), rate_hz);
  return 0;
}

int dtw__twin_node_controller_state_due(dtw__twin_node_t *tn, uint64_t k) {
  if (tn->controller_state == NULL || tn->ctl_every == 0 || k % tn->ctl_every != 0) return 0;
  dtw_jtc_state_msg_t *m = &tn->ctl_out;
  dtw_jtc_state_msg(dtw_twin_controller(tn->twin),
                    dtw_time_from_s(dtw_twin_sim_time(tn->twin) + tn->ctl_stamp_offset_s),
                    &tn->ctl_state, m);
  if (dtw_pub_jtc_state(tn->controller_state, m) == 0) {
    tn->ctl_published++;
    dtw_counter_add(tn->m.pub_ctl, 1);
  }
  return 1;
}
