/* dtw/robot.h - a robot description as the rest of dtwin sees it.
 *
 * src/model produces it from a URDF, a xacro file or an MJCF file; src/sim
 * compiles its MJCF text into MuJoCo (with the in-memory assets below); the
 * controller and the bus use its joint table; a viewer can draw its visuals.
 * It holds no MuJoCo or DDS types.
 *
 * Ownership: everything a desc points to is owned by the desc (malloc'ed by
 * the loader) and freed by dtw_robot_desc_fini; a desc is not copied by value
 * while both copies are used. Read-only after loading: any number of threads
 * may read one desc at the same time. */
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

/* A file the MJCF names that MuJoCo reads from memory instead of the disk:
 * a mesh converted by src/model (MuJoCo's binary .msh format). dtw_sim_create
 * adds every asset to the MuJoCo virtual file system it compiles with; the
 * MJCF refers to it by name (<mesh file="NAME">). */
typedef struct dtw_asset {
  char *name;          /* file name without directory, unique within the desc
                          (MuJoCo matches VFS names case-insensitively) */
  unsigned char *data; /* contents, size bytes */
  size_t size;
  char *source;        /* absolute path of the file it was converted from */
} dtw_asset_t;

typedef enum {
  DTW_SHAPE_BOX = 0,
  DTW_SHAPE_CYLINDER,
  DTW_SHAPE_SPHERE,
  DTW_SHAPE_CAPSULE,
  DTW_SHAPE_MESH
} dtw_shape_t;

/* One URDF <visual> of a link, for a 3D viewer: kept whether or not it made
 * it into the MJCF (a visual mesh that is missing or unreadable is left out of
 * the physics model with a warning, but its reference stays here). */
typedef struct dtw_visual_desc {
  char *link;            /* link = MJCF body name */
  dtw_shape_t shape;
  double size[3];        /* box: x y z; cylinder/capsule: radius length; sphere: radius */
  char *mesh_uri;        /* mesh: the filename as the URDF wrote it; else NULL */
  char *mesh_path;       /* mesh: resolved absolute path; NULL if it was not found */
  double scale[3];       /* mesh scale (1 1 1 when not given) */
  double pos[3];         /* origin in the link frame, m */
  double quat[4];        /* orientation in the link frame, w x y z */
  bool has_rgba;         /* a <material> colour was given (inline or by name) */
  double rgba[4];
  char *geom;            /* name of its MJCF geom; NULL when it was left out */
} dtw_visual_desc_t;

typedef struct dtw_robot_desc {
  char name[DTW_NAME_MAX];      /* <robot name=...> or <mujoco model=...> */
  char *mjcf;                   /* complete MJCF document, NUL-terminated (owned) */
  size_t mjcf_len;
  char *base_dir;               /* directory for relative asset paths (owned) */
  dtw_joint_desc_t *joints;     /* actuated joints (owned) */
  size_t n_joints;
  bool floating_base;           /* true if the root body has a free joint */
  dtw_asset_t *assets;          /* in-memory files the MJCF names (owned); may be NULL */
  size_t n_assets;
  dtw_visual_desc_t *visuals;   /* URDF visuals for a viewer (owned); NULL for MJCF input */
  size_t n_visuals;
  /* Root placement src/sim does after compiling, because only the compiled
   * model knows its geometry: when base_auto_height, body 1 (the robot's root)
   * is moved vertically so the lowest point of the collision geometry in its
   * subtree is base_clearance_m above z = 0 (the floor of the world files). */
  bool base_auto_height;
  double base_clearance_m;
} dtw_robot_desc_t;

/* Free what a loader put in desc; safe on a zeroed desc. */
void dtw_robot_desc_fini(dtw_robot_desc_t *desc);

/* Index of a joint by name, or -1. */
int dtw_robot_joint_index(const dtw_robot_desc_t *desc, const char *name);
/* Index of a joint by name in a joint table, or -1. */
int dtw_robot_joint_index_in(const dtw_joint_desc_t *joints, size_t n, const char *name);

#endif /* DTW_ROBOT_H */
