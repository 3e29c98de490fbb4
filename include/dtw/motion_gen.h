/* dtw/motion_gen.h - a motion for any robot, generated from its joint table:
 * what `dtwin up` and `dtwin robot --motion generic` run when no motion file
 * fits the robot.
 *
 * Every joint makes one smooth excursion from its rest position q0 and back:
 * toward the limit with more room, `fraction` of the way there but at most
 * max_rad (max_m for a prismatic joint), so a joint with a range of several
 * turns does not swing a whole turn (a joint without limits: +unlimited_rad,
 * or +unlimited_m for a prismatic one). The
 * joints move in `waves` overlapping waves (joint k in wave k mod waves):
 * wave w reaches its peak at (w+1) T and is back at (w+2) T, so each joint's
 * large move is seen while only a few others make theirs. Between its own
 * peaks every joint sways `sway` of its excursion out at odd knots and back
 * to rest at even ones, so it moves in every segment: a joint that stands
 * still cannot show a lock or a dead drive, and one that moved only in its
 * own wave stood still for most of the motion. Every point carries zero
 * velocities and accelerations (quintic segments: rest to rest, no jerk at
 * the knots). T is segment_s, lengthened so no joint goes faster than half
 * its velocity limit (peak speed of a quintic rest-to-rest move is
 * 1.875 x distance / T). The first point is at T (the controller moves from
 * where it is); the last is every joint at rest: knot waves + 1, or with
 * sway > 0 the next even knot (an odd one is swayed).
 *
 * Pure function: no allocation once out is initialised, thread-safe. */
#ifndef DTW_MOTION_GEN_H
#define DTW_MOTION_GEN_H

#include <stddef.h>

#include "dtw/msgs.h"
#include "dtw/robot.h"

typedef struct dtw_motion_gen_opts {
  double fraction;       /* of the way toward the limit, (0, 1); default 0.3 */
  double unlimited_rad;  /* excursion of a joint without limits; default 0.5 rad */
  double unlimited_m;    /* same for a prismatic joint; default 0.05 m */
  double max_rad;        /* largest excursion of a revolute joint; default 1.0 rad */
  double max_m;          /* of a prismatic joint; default 0.1 m */
  size_t waves;          /* 1..; default 6 (fewer if fewer joints) */
  double segment_s;      /* rest to peak, s; default 1.0 */
  double sway;           /* of the excursion, at odd knots outside the joint's wave,
                            [0, 1); default 0.4; 0: at rest outside its wave */
} dtw_motion_gen_opts_t;

void dtw_motion_gen_opts_default(dtw_motion_gen_opts_t *o);

/* Where joint j's excursion from rest (clamped into its limits) goes:
 * direction < 0 toward the lower limit, > 0 toward the upper one, 0 toward
 * the one with more room (a joint without limits: -/+ its unlimited
 * excursion, + for 0). Pure. */
double dtw_motion_excursion(const dtw_joint_desc_t *j, double rest, int direction,
                           const dtw_motion_gen_opts_t *o);

/* Waves the motion for n joints has with options o: o->waves, or n when
 * fewer joints. Pure. */
size_t dtw_motion_generic_waves(size_t n, const dtw_motion_gen_opts_t *o);

/* Points the motion for n joints has with options o (what out needs room
 * for); 0 for n 0 or waves 0. Pure. */
size_t dtw_motion_generic_points(size_t n, const dtw_motion_gen_opts_t *o);

/* Fill out with the motion for joints[0..n) (every joint, table order) from
 * rest positions q0[0..n) (clamped into each joint's limits). out must be
 * initialised (dtw_traj_msg_init) with dtw_motion_generic_points points; its stamp
 * is zero (start on receipt). Returns 0, DTW_EINVAL (n 0 or above
 * DTW_MAX_JOINTS, non-finite q0, bad options) or DTW_EFULL (too few points),
 * with a message. */
int dtw_motion_generic(const dtw_joint_desc_t *joints, size_t n, const double *q0,
                       const dtw_motion_gen_opts_t *o, dtw_joint_trajectory_msg_t *out,
                       char *err, size_t errlen);

#endif /* DTW_MOTION_GEN_H */
