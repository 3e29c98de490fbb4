/* dtw/sim_kin.h - forward kinematics and visual geometry of a robot model,
 * for viewers (link poses for /tf and a 3D view).
 *
 * A dtw_kin_t compiles the description's MJCF into its own MuJoCo model and
 * data (independent of any running dtw_sim_t): set joint positions, compute
 * the kinematics (mj_kinematics only: no dynamics, no contacts) and read each
 * body's world pose. It also exposes the compiled geometry (primitive geoms
 * and mesh vertex/face data), so a viewer works for URDF and MJCF alike.
 *
 * Bodies are indexed as in the compiled model: 0 is the world.
 * Memory: create allocates; everything else does not. Returned strings and
 * arrays are owned by the kin and valid until dtw_kin_destroy.
 * Threads: one instance per thread (like dtw_sim_t). Errors: 0 or DTW_E*. */
#ifndef DTW_SIM_KIN_H
#define DTW_SIM_KIN_H

#include <stddef.h>

#include "dtw/robot.h"

typedef struct dtw_kin dtw_kin_t;

typedef enum {
  DTW_KIN_PLANE = 0,
  DTW_KIN_SPHERE,
  DTW_KIN_CAPSULE,   /* size: radius, half-length along local z */
  DTW_KIN_ELLIPSOID, /* size: radii */
  DTW_KIN_CYLINDER,  /* size: radius, half-length along local z */
  DTW_KIN_BOX,       /* size: half-sizes */
  DTW_KIN_MESH,      /* mesh: index for dtw_kin_mesh */
  DTW_KIN_OTHER      /* height fields and the like: not drawn */
} dtw_kin_geom_type_t;

typedef struct dtw_kin_geom {
  int body;                 /* owning body */
  dtw_kin_geom_type_t type;
  double size[3];
  double pos[3];            /* in the body frame */
  double quat[4];           /* w x y z, in the body frame */
  float rgba[4];
  int mesh;                 /* DTW_KIN_MESH: mesh index, else -1 */
  int group;                /* MuJoCo geom group (URDF visual geoms are group 1) */
  int collides;             /* 1 when contype or conaffinity is set */
} dtw_kin_geom_t;

/* Compile desc->mjcf (relative assets against desc->base_dir) and set the
 * initial pose (keyframe 0, else qpos0). Returns 0, DTW_EINVAL, DTW_ENOMEM,
 * DTW_EMODEL (MuJoCo's text in err). Allocates. */
int dtw_kin_create(const dtw_robot_desc_t *desc, dtw_kin_t **out, char *err, size_t errlen);
void dtw_kin_destroy(dtw_kin_t *kin);

size_t dtw_kin_body_count(const dtw_kin_t *kin);
/* Name ("" when unnamed, "world" for 0), parent body (-1 for the world) and the
 * name of the first hinge/slide joint that moves the body ("" if none). */
const char *dtw_kin_body_name(const dtw_kin_t *kin, size_t body);
int dtw_kin_body_parent(const dtw_kin_t *kin, size_t body);
const char *dtw_kin_body_joint(const dtw_kin_t *kin, size_t body);

/* qpos address of the hinge/slide joint `name`, or -1. */
int dtw_kin_joint_qpos(const dtw_kin_t *kin, const char *name);
/* Back to the initial pose (all joints). */
void dtw_kin_reset(dtw_kin_t *kin);
/* Set one joint position by its qpos address (from dtw_kin_joint_qpos);
 * DTW_EINVAL for a bad address or a non-finite value (nothing changed). */
int dtw_kin_set_qpos(dtw_kin_t *kin, int qpos_adr, double value);
/* Compute every body's world pose from the positions set. 0 or DTW_ESIM. */
int dtw_kin_forward(dtw_kin_t *kin);
/* World pose of a body after dtw_kin_forward: position (m), quaternion w x y z. */
void dtw_kin_body_pose(const dtw_kin_t *kin, size_t body, double pos[3], double quat[4]);

size_t dtw_kin_geom_count(const dtw_kin_t *kin);
void dtw_kin_geom(const dtw_kin_t *kin, size_t i, dtw_kin_geom_t *out);
size_t dtw_kin_mesh_count(const dtw_kin_t *kin);
/* A mesh's vertices (x y z floats, in the mesh frame the geom pose refers to)
 * and triangles (vertex indices, 3 per face). 0 or DTW_EINVAL. */
int dtw_kin_mesh(const dtw_kin_t *kin, size_t mesh, const float **vert, size_t *n_vert,
                 const int **face, size_t *n_face);

#endif /* DTW_SIM_KIN_H */
