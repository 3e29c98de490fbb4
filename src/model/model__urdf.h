/* model__urdf.h - the parsed, validated URDF kinematic tree (internal to src/model).
 *
 * dtw__urdf_from_doc() turns a libxml2 document (plain URDF or the output of
 * the xacro expander) into a dtw__urdf_t; every check that needs the source
 * (file:line) happens here, so the MJCF generator only formats.
 *
 * What is accepted follows urdfdom (ros/urdfdom urdf_parser: model.cpp,
 * link.cpp, joint.cpp, pose.cpp), the parser ROS tools use: a file urdfdom
 * accepts is accepted here, unless no physics model can be built from it.
 * Tolerated as urdfdom tolerates them:
 *   - the <axis> of fixed and floating joints is not read (a zero or malformed
 *     one is fine); joints of type floating and planar are accepted (passive
 *     degrees of freedom in the MJCF, never actuated);
 *   - <limit> lower/upper default to 0; a <limit> on a continuous joint is
 *     read for effort and velocity only; <dynamics>, <mimic>, <calibration>,
 *     <safety_controller> are optional (<mimic> is ignored: the joint is
 *     actuated on its own);
 *   - mesh files are not opened by urdfdom; here a visual mesh that is missing
 *     or unreadable, and a visual primitive with a size or scale that is not
 *     positive, is left out of the MJCF (kept in the description for a viewer);
 *   - <material> colours: a robot-level material of that name wins over an
 *     inline <color>, as urdfdom assigns them; an undefined one is ignored;
 *   - unknown elements (<gazebo>, <transmission>, <ros2_control>, ...) and
 *     the robot's version attribute are not read.
 * More tolerant than urdfdom (it refuses these): <limit> without effort or
 * velocity (0 = unlimited), <inertial> without <mass> or <inertia>, a
 * <dynamics> with neither attribute, a <capsule> geometry, a robot-level
 * <material> without a colour.
 * Refused although urdfdom accepts them, because no physics model follows:
 * a zero <axis> on a moving joint, lower limit above upper, negative mass,
 * inertia, damping, friction, effort or velocity limit, principal moments
 * violating A + B >= C, a link with two parent joints, a kinematic cycle; a
 * collision geometry with a size or scale that is not positive, or whose
 * mesh is missing, unreadable or flat; a value beyond the physical bounds of
 * model__limits.h (origins and sizes beyond 1e4 m, mass beyond 1e6 kg,
 * moments beyond 1e14 kg m^2; a visual is left out instead). And dtwin
 * limits: names longer than DTW_NAME_MAX - 1 characters, MuJoCo 2.2.2's
 * nesting and size limits (model__limits.h).
 * Everything that is ignored is reported: one warning line (dtw/log.h,
 * component "model") per kind of thing per file, naming the first place and
 * how many more. */
#ifndef DTW_MODEL__URDF_H
#define DTW_MODEL__URDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

/* Deepest kinematic chain the parser lets through: the MJCF nests a link d
 * joints below the root at level 3 + d (2 + d under a root link 'world') and
 * MuJoCo 2.2.2 reads no element below level 99; the exact check is made on the
 * generated MJCF (model__limits.h), this one bounds the generator's recursion. */
#define DTW__URDF_MAX_DEPTH 97

typedef struct dtw__pose {
  double xyz[3];
  double rpy[3];
} dtw__pose_t;

typedef enum {
  DTW__GEOM_BOX = 0,
  DTW__GEOM_CYLINDER,
  DTW__GEOM_SPHERE,
  DTW__GEOM_CAPSULE, /* urdfdom extension; MuJoCo has it natively */
  DTW__GEOM_MESH
} dtw__geom_kind_t;

typedef struct dtw__urdf_geom {
  dtw__geom_kind_t kind;
  dtw__pose_t origin;
  double size[3];  /* box: x y z; cylinder/capsule: radius length; sphere: radius */
  char *mesh_uri;  /* mesh: the filename as written (owned) */
  char *mesh_path; /* mesh: absolute, existing path (owned); NULL if not found (visual) */
  char *missing;   /* why mesh_path is NULL: "not found (searched ...)" (owned) */
  double scale[3]; /* mesh only */
  bool has_rgba;   /* visual: a material colour applies */
  double rgba[4];
  bool dropped;    /* visual left out of the MJCF (see the file comment) */
  int asset;       /* mesh: index in the converted mesh table; -1 before conversion */
  long line;       /* of the <visual> or <collision> element */
} dtw__urdf_geom_t;

typedef enum {
  DTW__JOINT_REVOLUTE = 0,
  DTW__JOINT_CONTINUOUS,
  DTW__JOINT_PRISMATIC,
  DTW__JOINT_FIXED,
  DTW__JOINT_FLOATING, /* 6 passive dof: a free joint at the top level, else 3 slides + ball */
  DTW__JOINT_PLANAR    /* 3 passive dof: 2 slides across the axis + a hinge about it */
} dtw__joint_kind_t;

/* Joints the twin actuates (and lists in its joint table). */
static inline bool dtw__joint_actuated(dtw__joint_kind_t k) {
  return k == DTW__JOINT_REVOLUTE || k == DTW__JOINT_CONTINUOUS || k == DTW__JOINT_PRISMATIC;
}

typedef struct dtw__urdf_link {
  char *name;
  long line;
  bool has_inertial;
  dtw__pose_t inertial_origin;
  double mass;
  double inertia[6]; /* ixx iyy izz ixy ixz iyz, in the inertial frame */
  dtw__urdf_geom_t *visual, *collision;
  size_t n_visual, n_collision;
  int parent_joint; /* index into joints, -1 for the root */
} dtw__urdf_link_t;

typedef struct dtw__urdf_joint {
  char *name;
  long line;
  dtw__joint_kind_t kind;
  dtw__pose_t origin;
  double axis[3]; /* unit length; (1 0 0) for fixed and floating joints */
  int parent, child; /* link indices */
  bool has_limit;
  double lower, upper, effort, velocity;
  double damping, friction;
} dtw__urdf_joint_t;

/* Entries by name in constant time: an open-addressing table of indices into an
 * array of structs whose first member is their `char *name` (links, joints). */
typedef struct dtw__name_index {
  int32_t *slot; /* -1: empty */
  size_t mask;
} dtw__name_index_t;

/* Room for n entries. 0, or -1 when out of memory. */
int dtw__name_index_init(dtw__name_index_t *ix, size_t n);
void dtw__name_index_fini(dtw__name_index_t *ix);
/* File entry i (entries + i*stride); returns the entry already filed under its name,
 * or -1 when it was new. */
int dtw__name_index_put(dtw__name_index_t *ix, const void *entries, size_t stride, int32_t i);
/* The entry named name, or -1. */
int dtw__name_index_get(const dtw__name_index_t *ix, const void *entries, size_t stride,
                        const char *name);

typedef struct dtw__urdf {
  char *name;
  dtw__urdf_link_t *links;
  size_t n_links;
  dtw__urdf_joint_t *joints; /* document order */
  size_t n_joints;
  int root; /* link index */
  dtw__name_index_t link_index; /* links by name, while parsing */
  const char *file; /* the name messages use (dtw__urdf_ctx_t.file; not owned) */
} dtw__urdf_t;

/* Where to look for files a URDF names. */
typedef struct dtw__urdf_ctx {
  const char *file;         /* name used in messages ("humanoid.urdf") */
  const char *dir;          /* directory relative paths resolve against */
  const char *package_path; /* colon-separated dirs for package://pkg; NULL = env */
} dtw__urdf_ctx_t;

/* Resolve a file a URDF names (package://pkg/path: the package path, else
 * ROS_PACKAGE_PATH and AMENT_PREFIX_PATH/share, then a parent directory of the
 * URDF named pkg; file:// and absolute paths; others relative to ctx->dir)
 * to an existing absolute path (*out, malloc'ed), or say why not (*missing,
 * malloc'ed: "mesh file '...' not found: package 'pkg' is DIR but has no
 * 'path'" or "... is not in the package path '...' nor ..."). Returns 0 (one
 * of the two set), DTW_EMODEL for a malformed package:// URI, DTW_ENOMEM. */
int dtw__urdf_resolve(const dtw__urdf_ctx_t *ctx, const char *filename, char **out,
                      char **missing);

/* Parse and validate a <robot> document into out (zeroed by the caller).
 * Returns 0 or DTW_EPARSE / DTW_EMODEL / DTW_EUNSUP / DTW_ENOENT / DTW_ENOMEM
 * with "file:line: element 'name': what" in err; out is freed on failure. */
int dtw__urdf_from_doc(xmlDocPtr doc, const dtw__urdf_ctx_t *ctx, dtw__urdf_t *out, char *err,
                       size_t errlen);

/* Free what dtw__urdf_from_doc() allocated; safe on a zeroed struct. */
void dtw__urdf_fini(dtw__urdf_t *u);

/* Parse XML text with libxml2: no network, no entity expansion, no DTD
 * entity declarations, nothing printed; the first libxml2 error becomes
 * "file:line: XML error: ..." (DTW_EPARSE). *out is owned by the caller. */
int dtw__xml_read(const char *data, size_t len, const char *file, xmlDocPtr *out, char *err,
                  size_t errlen);

/* Read a whole file into a NUL-terminated buffer (*out owned by the caller).
 * DTW_ENOENT if missing, DTW_EIO otherwise. */
int dtw__file_read(const char *path, char **out, size_t *len, char *err, size_t errlen);

/* Parse buffer as a URDF (no xacro): dtw__xml_read + dtw__urdf_from_doc. */
int dtw__urdf_parse_buffer(const char *data, size_t len, const dtw__urdf_ctx_t *ctx,
                           dtw__urdf_t *out, char *err, size_t errlen);

/* URDF rpy (fixed-axis X then Y then Z, R = Rz(y) Ry(p) Rx(r)) to a unit
 * quaternion w x y z. */
void dtw__rpy_to_quat(const double rpy[3], double q[4]);

/* Same as a rotation matrix, row-major. */
void dtw__rpy_to_mat(const double rpy[3], double m[9]);

#endif /* DTW_MODEL__URDF_H */
