/* The twin's model (dtw/sim_dynamics.h) as the synchronizer's source of
 * model-based residuals: the glue dtw_sync_node_use_model, shared by the sync
 * node, `dtwin analyze` and bench_faults. */
#include "dtw/sim_dynamics.h"
#include "dtw/sync_node.h"

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
