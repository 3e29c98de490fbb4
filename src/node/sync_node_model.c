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

static int load_cb(void *ctx, const double *q, const double *qd, const double *qdd,
                   const size_t *chain, size_t n_chain, double *per_kg, double *max_kg) {
  *max_kg = dtw_sim_dyn_mass(ctx);
  return dtw_sim_dyn_load_per_kg(ctx, q, qd, qdd, chain, n_chain, per_kg);
}

void dtw_sync_node_use_model(dtw_sync_t *s, dtw_sim_dyn_t *dyn) {
  dtw_sync_set_dynamics(s, dyn_cb, dyn);
  dtw_sync_set_load_model(s, load_cb, dyn);
  double limit[DTW_MAX_JOINTS];
  size_t n = dtw_sim_dyn_joint_count(dyn);
  for (size_t j = 0; j < n && j < DTW_MAX_JOINTS; j++) limit[j] = dtw_sim_dyn_effort_limit(dyn, j);
  if (n == dtw_sync_joint_count(s)) dtw_sync_set_effort_limits(s, limit);
}

/* The model is left out (logged): the isolation runs without it. */
static void drop_model(dtw_sync_node_t *n, const char *err) {
  DTW_WARN(LOG, "fault isolation without the model (no torque residuals): %s", err);
  dtw_sim_dyn_destroy(n->dyn);
  n->dyn = NULL;
  n->model = NULL;
}

/* Bind the model set_model compiled to the synchronizer's joints. */
void dtw__sync_node_attach_model(dtw_sync_node_t *n, const char *const *names, size_t count) {
  char err[512];
  if (n->dyn == NULL || n->sync == NULL || dtw_sim_dyn_joint_count(n->dyn) > 0) return;
  if (dtw_sim_dyn_bind(n->dyn, names, count, err, sizeof err) < 0) {
    drop_model(n, err);
    return;
  }
  dtw_sync_node_use_model(n->sync, n->dyn);
}

/* Compiled here, before the caller's loop: on the first twin sample the compile
 * (tens of ms) would hold up every node that loop serves (dtwin up --twins N). */
void dtw_sync_node_set_model(dtw_sync_node_t *n, const dtw_robot_desc_t *desc) {
  if (n == NULL || n->dyn != NULL || desc == NULL) return;
  char err[512];
  n->model = desc;
  if (dtw_sim_dyn_compile(desc, &n->dyn, err, sizeof err) < 0) {
    drop_model(n, err);
    return;
  }
  if (n->sync == NULL) return;  /* bound on the first twin sample */
  const char *names[DTW_MAX_JOINTS];
  size_t count = dtw_sync_joint_count(n->sync);
  for (size_t j = 0; j < count; j++) names[j] = dtw_sync_joint_name(n->sync, j);
  dtw__sync_node_attach_model(n, names, count);
}
