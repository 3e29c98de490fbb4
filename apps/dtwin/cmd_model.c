/* dtwin model - load a robot description and report on it, or print the MJCF
 * the twin would run. Loading compiles the model in MuJoCo too, so "ok" means
 * the twin can run it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/err.h"
#include "dtw/limits.h"
#include "dtw/model.h"
#include "dtw/sim.h"
#include "dtw/xacro.h"
#include "model_controllers.h"

const char dtwin_usage_model[] =
    "usage: dtwin model check FILE [name:=value ...] [--base fixed|floating] [--world FILE]\n"
    "                              [--package-path DIRS]\n"
    "       dtwin model mjcf FILE  [name:=value ...] [--base fixed|floating] [--world FILE]\n"
    "                              [--package-path DIRS]\n"
    "       dtwin model xacro FILE [name:=value ...] [--package-path DIRS]\n"
    "       dtwin model controllers FILE [name:=value ...] [--base fixed|floating]\n"
    "                              [--package-path DIRS]\n"
    "\n"
    "check  loads FILE (.urdf, .urdf.xacro/.xacro or MJCF .xml), compiles it with MuJoCo and\n"
    "       prints its joints with their limits. Exit 2 with file:line: element: problem\n"
    "       when the description is not usable (also a value beyond dtwin's physical bounds\n"
    "       or a model beyond MuJoCo 2.2.2's limits; without --world, checked for the\n"
    "       implicit integrator of the twin's default world).\n"
    "mjcf   prints the MJCF document generated for the twin (actuators, base, world merged).\n"
    "xacro  prints FILE expanded by dtwin's xacro expander, formatted like the output of\n"
    "       `xacro FILE name:=value ...` so the two can be compared. Exit 2 with file:line\n"
    "       when the expansion fails, 1 when the output cannot be written.\n"
    "controllers  prints the joint trajectory controller the twin derives for FILE when no\n"
    "       controllers file fits it, as a ros2_control parameter file to tune and give back\n"
    "       as sim.controllers_file (uses the sim.* settings: rate, armature, derive.*).\n"
    "\n"
    "name:=value arguments set xacro:arg values, as on the xacro command line. $(find pkg)\n"
    "and package://pkg/ resolve under --package-path (colon-separated), then\n"
    "ROS_PACKAGE_PATH and AMENT_PREFIX_PATH. Without --world the robot is loaded alone.\n";

#define MAX_XACRO_ARGS 64

/* dtwin model xacro: expand and print like the xacro command. */
static int print_xacro(dtwin_cli_t *cli, const char *path, const dtw_model_opts_t *mopts) {
  char err[2048];
  xmlDocPtr doc = NULL;
  dtw_xacro_opts_t xo = {.package_path = mopts->package_path,
                         .args = mopts->xacro_args,
                         .n_args = mopts->n_xacro_args};
  if (dtw_xacro_expand_file(path, &xo, &doc, err, sizeof err) != 0) {
    fprintf(stderr, "dtwin model: %s\n", err);
    return DTWIN_EXIT_USAGE;
  }
  int rc = dtw_xacro_write(stdout, doc, path, err, sizeof err);
  xmlFreeDoc(doc);
  if (rc != 0) {
    fprintf(stderr, "dtwin model: stdout: %s\n", err);
    return DTWIN_EXIT_FAILURE;
  }
  (void)cli;
  return DTWIN_EXIT_OK;
}

static const char *joint_type_name(dtw_joint_type_t t) {
  switch (t) {
  case DTW_JOINT_REVOLUTE: return "revolute";
  case DTW_JOINT_CONTINUOUS: return "continuous";
  case DTW_JOINT_PRISMATIC: return "prismatic";
  }
  return "?";
}

int dtwin_cmd_model(dtwin_cli_t *cli) {
  static const struct option opts[] = {{"base", required_argument, NULL, 'b'},
                                       {"world", required_argument, NULL, 'w'},
                                       {"package-path", required_argument, NULL, 'p'},
                                       {NULL, 0, NULL, 0}};
  dtw_model_opts_t mopts;
  dtw_model_opts_default(&mopts);
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      if (strcmp(optarg, "fixed") == 0) mopts.base = DTW_BASE_FIXED;
      else if (strcmp(optarg, "floating") == 0) mopts.base = DTW_BASE_FLOATING;
      else return dtwin_usage_error(cli, "--base must be fixed or floating, not '%s'", optarg);
      break;
    case 'w': mopts.world_file = optarg; break;
    case 'p': mopts.package_path = optarg; break;
    default: return dtwin_usage_error(cli, "unknown option '%s'", cli->argv[optind - 1]);
    }
  }
  if (cli->argc - optind < 2) return dtwin_usage_error(cli, "expected an action and a FILE");
  const char *action = cli->argv[optind];
  const char *path = cli->argv[optind + 1];
  /* name:=value after FILE, as the xacro command takes them */
  const char *xargs[MAX_XACRO_ARGS];
  size_t n_xargs = 0;
  for (int i = optind + 2; i < cli->argc; i++) {
    if (strstr(cli->argv[i], ":=") == NULL)
      return dtwin_usage_error(cli, "unexpected argument '%s' (xacro arguments are name:=value)",
                               cli->argv[i]);
    if (n_xargs == MAX_XACRO_ARGS)
      return dtwin_usage_error(cli, "more than %d xacro arguments", MAX_XACRO_ARGS);
    xargs[n_xargs++] = cli->argv[i];
  }
  mopts.xacro_args = xargs;
  mopts.n_xacro_args = n_xargs;
  /* alone, the robot is checked for the implicit integrator the twin's world uses */
  mopts.check_implicit = mopts.world_file == NULL;
  if (strcmp(action, "controllers") == 0) return dtwin_model_controllers(cli, path, &mopts);
  bool print_mjcf = strcmp(action, "mjcf") == 0;
  if (strcmp(action, "xacro") == 0) return print_xacro(cli, path, &mopts);
  if (!print_mjcf && strcmp(action, "check") != 0)
    return dtwin_usage_error(cli, "unknown action '%s' (check, mjcf, xacro or controllers)",
                             action);

  char err[2048];
  dtw_robot_desc_t desc = {0};
  dtw_sim_t *sim = NULL;
  int rc = dtw_model_load(path, &mopts, &desc, err, sizeof err);
  if (rc == 0) rc = dtw_sim_create(&desc, &sim, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "dtwin model: %s\n", err);
    dtw_robot_desc_fini(&desc);
    return DTWIN_EXIT_USAGE;
  }
  if (!print_mjcf && dtw_sim_joint_count(sim) > DTW_MAX_JOINTS) {
    /* "ok" means the twin can run it: messages carry at most DTW_MAX_JOINTS joints */
    fprintf(stderr, "dtwin model: %s: robot '%s' has %zu actuated joints, more than the %d a "
            "twin carries\n", path, desc.name, dtw_sim_joint_count(sim), DTW_MAX_JOINTS);
    dtw_sim_destroy(sim);
    dtw_robot_desc_fini(&desc);
    return DTWIN_EXIT_USAGE;
  }
  if (print_mjcf) {
    fputs(desc.mjcf, stdout);
  } else {
    size_t n = dtw_sim_joint_count(sim);
    const dtw_joint_desc_t *j = dtw_sim_joints(sim);
    printf("%s: robot '%s', %zu actuated joints, %s base\n", path, desc.name, n,
           desc.floating_base ? "floating" : "fixed");
    printf("  %-24s %-10s %9s %9s %8s %8s\n", "joint", "type", "lower", "upper", "effort",
           "velocity");
    for (size_t i = 0; i < n; i++)
      printf("  %-24s %-10s %9.3f %9.3f %8.1f %8.1f\n", j[i].name, joint_type_name(j[i].type),
             j[i].limited ? j[i].lower : 0.0, j[i].limited ? j[i].upper : 0.0, j[i].effort,
             j[i].velocity);
    dtw_sim_extras_t ex;
    dtw_sim_get_extras(sim, &ex);
    printf("  total mass %.2f kg, timestep %.4f s\n", ex.mass_kg, dtw_sim_timestep(sim));
    const char *pairs;
    size_t unnamed, excluded = dtw_sim_start_contacts_excluded(sim, &pairs, &unnamed);
    if (excluded > 0)
      printf("  %zu body pairs touch in the initial pose, never collided: %s\n", excluded, pairs);
    if (unnamed > 0)
      printf("  %zu body pairs touch in the initial pose and stay collided (a body without a "
             "name cannot be excluded)\n", unnamed);
  }
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&desc);
  return DTWIN_EXIT_OK;
}
