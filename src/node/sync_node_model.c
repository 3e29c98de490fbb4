/* The twin's model (dtw/sim_dynamics.h) as the synchronizer's source of
 * model-based residuals: the node's own (compiled by set_model, bound on the
 * first twin sample) and the glue dtw_sync_node_use_model, which `dtwin
 * analyze` and bench_faults share. */
#include "dtw/log.h"
#include "dtw/sim_dynamics.h"
#include "dtw/sync_node.h"
#include "sync_node__internal.h"

#define LOG "sync"

static int dyn_cb(void *ctx, const double *q, const double *qd, const double *qdd, double *tau,
                  double *grav) {
  return dtw_sim_dyn_inverse(ctx, q, qd, qdd, tau, grav, NULL);
}

static int load_cb(void *ctx, const double *q, const size_t *chain, size_t n_chain,
                   double *per_kg, double *max_kg) {
  *max_kg = dtw_sim_dyn_mass(ctx);
  return dtw_sim_dyn_load_per_kg(ctx, q, chain, n_chain, per_kg);
}

void dtw_sync_node_use_model(dtw_sync_t *s, dtw_sim_dyn_t *dyn) {
  dtw_sync_set_dynamics(s, dyn_cb, dyn);
  dtw_sync_set_load_model(s, load_cb, dyn);
  double limit[DTW_MAX_JOINTS];
  size_t n = dtw_sim_dyn_joint_count(dyn);
  for (size_t j = 0; j < n && j < DTW_MAX_JOINTS; j++) limit[j] = dtw_sim_dyn_effort_limit(dyn, j);
  if (n == dtw_sync_joint_count(s)) dtw_sync_set_effort_limits(s, limit);
}

/* Bind the compiled model (compiled now if not yet) to the synchronizer's joints. */
void dtw__sync_node_attach_model(dtw_sync_node_t *n, const char *const *names, size_t count) {
  char err[512];
  if (n->model == NULL || n->sync == NULL || dtw_sim_dyn_joint_count(n->dyn) > 0) return;
  if ((n->dyn == NULL && dtw_sim_dyn_compile(n->model, &n->dyn, err, sizeof err) < 0) ||
      dtw_sim_dyn_bind(n->dyn, names, count, err, sizeof err) < 0) {
    DTW_WARN(LOG, "fault isolation without the model (no torque residuals): %s", err);
    dtw_sim_dyn_destroy(n->dyn);
    n->dyn = NULL;
    return;
  }
  dtw_sync_node_use_model(n->sync, n->dyn);
}

/* Compiled here, before the caller's loop: on the first twin sample the compile
 * (tens of ms) would hold up every node that loop serves (dtwin up --twins N). */
void dtw_sync_node_set_model(dtw_sync_node_t *n, const dtw_robot_desc_t *desc) {
  if (n == NULL || n->dyn != NULL) return;
  n->model = desc;
  const char *names[DTW_MAX_JOINTS];
  size_t count = n->sync != NULL ? dtw_sync_joint_count(n->sync) : 0;
  for (size_t j = 0; j < count; j++) names[j] = dtw_sync_joint_name(n->sync, j);
  char err[512];
  if (count > 0) {
    dtw__sync_node_attach_model(n, names, count);
  } else if (desc != NULL && dtw_sim_dyn_compile(desc, &n->dyn, err, sizeof err) < 0) {
    DTW_WARN(LOG, "fault isolation without the model (no torque residuals): %s", err);
    n->model = NULL;
  }
}
