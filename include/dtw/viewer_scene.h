/* dtw/viewer_scene.h - what the viewer feeds clients about a robot: link
 * poses as tf2_msgs/TFMessage CDR from JointState CDR (forward kinematics in
 * src/sim), the geometry as JSON for the page, and the CDR helpers for that.
 *
 * Memory: create allocates; dtw_vbuf_* grow their buffer with realloc (sized
 * by the first messages, then reused). Threads: one scene per thread.
 * Errors: 0 or negative DTW_E*. */
#ifndef DTW_VIEWER_SCENE_H
#define DTW_VIEWER_SCENE_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/limits.h"
#include "dtw/robot.h"

/* A growing byte buffer. fini is safe on a zeroed one. */
typedef struct dtw_vbuf {
  uint8_t *data;
  size_t len, cap;
  int failed; /* an allocation failed: contents are incomplete */
} dtw_vbuf_t;
void dtw_vbuf_fini(dtw_vbuf_t *b);

/* sensor_msgs/JointState decoded from CDR (encapsulation header included);
 * names point into the CDR bytes (valid while they are). */
typedef struct dtw_vjoints {
  int32_t sec;
  uint32_t nanosec;
  size_t n;                          /* names (positions: n_position of them) */
  size_t n_position;
  const char *name[DTW_MAX_JOINTS];
  double position[DTW_MAX_JOINTS];
} dtw_vjoints_t;

/* Decode; DTW_EPARSE for anything malformed (bad header, a length past the
 * end, a string without its NUL), DTW_EFULL for more than DTW_MAX_JOINTS. */
int dtw_vjoints_decode(const uint8_t *cdr, size_t len, dtw_vjoints_t *out);

/* std_msgs/String as CDR (header + string). */
int dtw_vcdr_string(dtw_vbuf_t *b, const char *text);

typedef struct dtw_vscene dtw_vscene_t;

/* Compile desc for kinematics and geometry. */
int dtw_vscene_create(const dtw_robot_desc_t *desc, dtw_vscene_t **out, char *err, size_t errlen);
void dtw_vscene_destroy(dtw_vscene_t *sc);

/* Start a TFMessage in b (header, count patched by end). */
void dtw_vtf_begin(dtw_vbuf_t *b);
/* Pose the model from js (joints it does not know are ignored, those js lacks
 * keep the initial pose) and append one transform per body, stamped with js's
 * stamp, as a tree (as robot_state_publisher sends it): child "<prefix>/<body>"
 * relative to its parent "<prefix>/<parent body>", or to "world" for a
 * top-level body. A body without a name is "body_<index>". */
int dtw_vscene_tf_add(dtw_vscene_t *sc, const dtw_vjoints_t *js, const char *prefix,
                      dtw_vbuf_t *b);
void dtw_vtf_end(dtw_vbuf_t *b);

/* The scene as JSON text (NUL-terminated in b): {"bodies":[{"name","parent",
 * "joint"}], "geoms":[{"body","type","size","pos","quat","rgba"}],
 * "meshes":[{"vert":[..],"face":[..]}]} -- visual geoms where a body has
 * them, else its collision geoms; the world body's geoms (floor) left out. */
int dtw_vscene_json(const dtw_vscene_t *sc, dtw_vbuf_t *b);

/* URDF of the robot for Foxglove's URDF layer (NUL-terminated in b): the
 * subtree of body 1 (the robot's root), every link named as /tf names it
 * ("<prefix>/<body>"), joints at position 0 (origins, axes probed from the
 * compiled model; names as in JointState; limits from desc's joint table where
 * it has the joint), the bodies' visual geoms (as dtw_vscene_json chooses
 * them) as URDF primitives (a capsule as a cylinder and two spheres) or meshes
 * named DTW_VSCENE_ASSET_ROOT "mesh_<i>.stl" / "unit_sphere.stl" (scaled for
 * an ellipsoid), which dtw_vscene_asset delivers. Poses the kin (reset after). */
#define DTW_VSCENE_ASSET_ROOT "package://dtwin_viewer/"
int dtw_vscene_urdf(dtw_vscene_t *sc, const dtw_robot_desc_t *desc, const char *prefix,
                    dtw_vbuf_t *b);
/* The asset a URDF from dtw_vscene_urdf names, as binary STL in b (compiled
 * mesh vertices in the frame the geom pose refers to). DTW_ENOENT for any URI
 * it did not name, DTW_ENOMEM. */
int dtw_vscene_asset(const dtw_vscene_t *sc, const char *uri, dtw_vbuf_t *b);

#endif /* DTW_VIEWER_SCENE_H */
