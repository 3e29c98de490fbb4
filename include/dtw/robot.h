/* dtw/robot.h - a robot description as the rest of dtwin sees it.
 *
 * src/model produces it from a URDF, a xacro file or an MJCF file; src/sim
 * compiles its MJCF text into MuJoCo; the controller and the bus use its joint
 * table. It holds no MuJoCo or DDS types. */
#ifndef DTW_ROBOT_H
#define DTW_ROBOT_H

#include <stdbool.h>
#include <stddef.h>

#include "dtw/limits.h"

typedef enum {
  DTW_JOINT_REVOLUTE = 0,
  DTW_JOINT_CONTINUOUS,
  DTW_JOINT_PRISMATIC
} dtw_joint_type_t;

/* One actuated joint, in the order the twin reports joints. */
typedef struct dtw_joint_desc {
  char name[DTW_NAME_MAX];
  dtw_joint_type_t type;
  bool limited;          /* false for continuous joints */
  double lower, upper;   /* position limits (rad or m) when limited */
  double effort;         /* max |effort| (N m or N); 0 = unlimited */
  double velocity;       /* max |velocity|; 0 = unlimited */
  double damping;        /* viscous damping */
  double friction;       /* dry friction (frictionloss) */
} dtw_joint_desc_t;

typedef struct dtw_robot_desc {
  char name[DTW_NAME_MAX];      /* <robot name=...> or <mujoco model=...> */
  char *mjcf;                   /* complete MJCF document, NUL-terminated (owned) */
  size_t mjcf_len;
  char *base_dir;               /* directory for relative asset paths (owned) */
  dtw_joint_desc_t *joints;     /* actuated joints (owned) */
  size_t n_joints;
  bool floating_base;           /* true if the root body has a free joint */
} dtw_robot_desc_t;

/* Free what a loader put in desc; safe on a zeroed desc. */
void dtw_robot_desc_fini(dtw_robot_desc_t *desc);

/* Index of a joint by name, or -1. */
int dtw_robot_joint_index(const dtw_robot_desc_t *desc, const char *name);
/* Index of a joint by name in a joint table, or -1. */
int dtw_robot_joint_index_in(const dtw_joint_desc_t *joints, size_t n, const char *name);

#endif /* DTW_ROBOT_H */
