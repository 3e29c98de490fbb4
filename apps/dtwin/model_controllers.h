/* model_controllers.h - `dtwin model controllers FILE`: print the controller
 * the twin derives for a robot, as a ros2_control parameter file. */
#ifndef DTWIN_MODEL_CONTROLLERS_H
#define DTWIN_MODEL_CONTROLLERS_H

#include "cli.h"
#include "dtw/model.h"

/* Load path with mopts (the physics rate and armature come from the sim
 * settings, as the twin would use them; package path too when mopts has
 * none), derive its controller with the sim.derive.* settings and the
 * sim.controller name, and print the file on stdout. Returns an exit code
 * (DTWIN_EXIT_USAGE for a model that does not load, with its message). */
int dtwin_model_controllers(dtwin_cli_t *cli, const char *path, const dtw_model_opts_t *mopts);

#endif /* DTWIN_MODEL_CONTROLLERS_H */
