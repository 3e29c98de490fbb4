/* up.h - settings of `dtwin up` (config node "up"). */
#ifndef DTWIN_UP_H
#define DTWIN_UP_H

#include <stddef.h>

#include "dtw/config.h"

/* The demo humanoid's motion; other robots get the generic one instead. */
#define DTWIN_UP_DEFAULT_MOTION "config/motions/demo.yaml"

#define DTWIN_UP_PARAMS(X)                                                                    \
  X(INT, twins, "1", 1, 64, NULL,                                                              \
    "Robot/twin pairs hosted; with more than one they are namespaced /robot_<k>, /twin_<k>, " \
    "/sync_<k>; the monitor's defaults then become: watch each pair's /sync_<k>/status and "  \
    "/clock, no expected nodes, no status topic (each pair's feeds are its sync node's to "   \
    "watch)")                                                                                  \
  X(INT, threads, "0", 0, 256, NULL,                                                           \
    "Worker threads stepping the robots and twins (a robot and its twin share one, so they " \
    "keep one clock: at most one per pair); 0 = one per core")                               \
  X(BOOL, robot, "true", 0, 0, NULL,                                                           \
    "Host the robot emulator (false when a real robot publishes its joint states)")          \
  X(BOOL, sync, "true", 0, 0, NULL, "Host the synchronization node")                          \
  X(BOOL, monitor, "true", 0, 0, NULL, "Host the monitoring node")                            \
  X(BOOL, bridge, "true", 0, 0, NULL, "Host the Unity bridge")                                \
  X(STRING, motion, DTWIN_UP_DEFAULT_MOTION, 0, 0, NULL,                                      \
    "Motion sent in a loop to the robot (and in shadow mode to the twin); 'generic' = every " \
    "joint moving throughout, each through a larger excursion in turn, from the model (also " \
    "used when the default motion names joints the robot does not have); empty = none")      \
  X(DOUBLE, motion_pause_s, "0", 0, 3600, NULL,                                               \
    "Pause between two runs of the motion (s); the robot holds the end pose this long plus "  \
    "the 0.3 s each run is sent ahead of its start (a joint that stands still cannot show a " \
    "lock)")

DTW_PARAM_STRUCT(dtwin_up_settings_t, DTWIN_UP_PARAMS);
extern const dtw_param_table_t dtwin_up_param_table;

/* Fill msg (initialised, with room for the motion) with the motion of the
 * up.motion setting for twin's robot: "generic" (dtw/motion_gen.h, from the
 * twin's joints and current pose), or a YAML motion file. The default file
 * falls back to the generic motion when it names a joint the robot does not
 * have; any other file that does is an error. Returns 0 or a negative code
 * with a message. */
struct dtw_twin;
struct dtw_joint_trajectory_msg;
int dtwin_up_load_motion(const char *setting, struct dtw_twin *twin,
                         struct dtw_joint_trajectory_msg *msg, char *err, size_t errlen);

#endif /* DTWIN_UP_H */
