/* view.h - the robot/twin pairs the viewer shows, named as `dtwin up` names them. */
#ifndef DTWIN_VIEW_H
#define DTWIN_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "dtw/viewer_node.h"

/* Pair k of n: /robot, /twin, /sync/status for one pair; /robot_<k>, /twin_<k>,
 * /sync_<k>/status with more (as dtwin up's pair_settings). twin_controller ""
 * when motions go to the robot only (mirror mode). */
void dtwin_viewer_pair(dtw_viewer_pair_t *p, size_t k, size_t n, const char *robot_controller,
                       const char *twin_controller, bool emulator);

#endif /* DTWIN_VIEW_H */
