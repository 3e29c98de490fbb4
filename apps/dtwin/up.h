/* up.h - settings of `dtwin up` (config node "up"). */
#ifndef DTWIN_UP_H
#define DTWIN_UP_H

#include "dtw/config.h"

#define DTWIN_UP_PARAMS(X)                                                                    \
  X(INT, twins, "1", 1, 64, NULL,                                                              \
    "Robot/twin pairs hosted; with more than one they are namespaced /robot_<k>, /twin_<k>, " \
    "/sync_<k>")                                                                               \
  X(INT, threads, "0", 0, 256, NULL,                                                           \
    "Worker threads stepping the robots and twins (a robot and its twin share one, so they " \
    "keep one clock: at most one per pair); 0 = one per core")                               \
  X(BOOL, robot, "true", 0, 0, NULL,                                                           \
    "Host the robot emulator (false when a real robot publishes its joint states)")          \
  X(BOOL, sync, "true", 0, 0, NULL, "Host the synchronization node")                          \
  X(BOOL, monitor, "true", 0, 0, NULL, "Host the monitoring node")                            \
  X(BOOL, bridge, "true", 0, 0, NULL, "Host the Unity bridge")                                \
  X(STRING, motion, "config/motions/demo.yaml", 0, 0, NULL,                                   \
    "Motion sent in a loop to the robot (and in shadow mode to the twin); empty = none")     \
  X(DOUBLE, motion_pause_s, "1.0", 0, 3600, NULL, "Pause between two runs of the motion (s)")

DTW_PARAM_STRUCT(dtwin_up_settings_t, DTWIN_UP_PARAMS);
extern const dtw_param_table_t dtwin_up_param_table;

#endif /* DTWIN_UP_H */
