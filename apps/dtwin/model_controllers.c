/* dtwin model controllers FILE: the joint trajectory controller derived from
 * a robot's model, printed in the ros2_control layout so it can be tuned and
 * given back as sim.controllers_file (docs/controllers.md). */
#include "model_controllers.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/jtc_derive.h"
#include "dtw/sim.h"
#include "dtw/sim_node.h"
#include "dtw/twin.h"

int dtwin_model_controllers(dtwin_cli_t *cli, const char *path, const dtw_model_opts_t *mopts) {
  static dtw_sim_node_settings_t ns; /* large; one call per process */
  static dtw_twin_settings_t s;
  static dtw_jtc_config_t cfg;
  int rc = dtwin_get_settings(cli, "sim", &ns);
  if (rc != 0) return rc;
#define DTW__COPY(type, name, ...) memcpy(&s.name, &ns.name, sizeof s.name);
  DTW_TWIN_PARAMS(DTW__COPY)
#undef DTW__COPY
  /* the physics the twin would run: its rate and armature */
  dtw_model_opts_t o = *mopts;
  o.timestep_s = 1.0 / s.physics_rate_hz;
  o.armature = s.armature;
  if (o.package_path == NULL && s.package_path[0] != '\0') o.package_path = s.package_path;

  char err[2048];
  dtw_robot_desc_t desc = {0};
  dtw_sim_t *sim = NULL;
  dtw_jtc_derive_info_t info;
  rc = dtw_model_load(path, &o, &desc, err, sizeof err);
  if (rc == 0) rc = dtw_sim_create(&desc, &sim, err, sizeof err);
  if (rc == 0 && o.base == DTW_BASE_FIXED && desc.floating_base && dtw_sim_hold_base(sim) < 0)
    rc = dtw_errf(err, sizeof err, DTW_ESIM, "%s: cannot hold the free root body", path);
  if (rc == 0) rc = dtw_twin_derive_controller(sim, &s, &cfg, &info, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin model: %s\n", err);
    dtw_sim_destroy(sim);
    dtw_robot_desc_fini(&desc);
    return DTWIN_EXIT_USAGE;
  }
  char comment[2048];
  snprintf(comment, sizeof comment,
           "Joint trajectory controller for robot '%s' (%s), derived from its model by\n"
           "`dtwin model controllers` (docs/controllers.md): per joint p = M w^2, d = 2 zeta M w,\n"
           "M = the joint's effective inertia (joint-space inertia diagonal with armature, the\n"
           "largest of the rest pose and 30%% toward either limit), w = 2 pi x %.3g Hz (down to\n"
           "%.3g Hz for actuators too weak for it), zeta = %.3g (%.0f%% of the stability limit of\n"
           "the coupled joints at the %g s physics step).\n"
           "Use it: --set sim.controllers_file=FILE --set robot.controllers_file=FILE. A derived\n"
           "controller gets the model's gravity/Coriolis feed-forward; a loaded file only with\n"
           "sim.gravity_feedforward: on (and robot.gravity_feedforward: on).",
           desc.name, path, info.omega_rad_s / (2 * M_PI), info.omega_min_rad_s / (2 * M_PI),
           info.zeta, 100 * info.stability_use, dtw_sim_timestep(sim));
  rc = dtw_jtc_config_write(stdout, &cfg, comment);
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&desc);
  if (rc < 0 || fflush(stdout) != 0) {
    fprintf(stderr, "dtwin model: cannot write the controllers file\n");
    return DTWIN_EXIT_FAILURE;
  }
  return DTWIN_EXIT_OK;
}
