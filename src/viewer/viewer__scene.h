/* viewer__scene.h - the scene's state and byte helpers, shared by the /tf and
 * scene JSON writer (viewer_scene.c) and the URDF writer (viewer_urdf.c).
 * Internal to src/viewer. */
#ifndef DTW_VIEWER__SCENE_H
#define DTW_VIEWER__SCENE_H

#include <stddef.h>

#include "dtw/sim_kin.h"
#include "dtw/viewer_scene.h"

struct dtw_vscene {
  dtw_kin_t *kin;
  size_t n_body;
};

/* Append n bytes (sets b->failed when out of memory). */
void dtw__vbuf_put(dtw_vbuf_t *b, const void *p, size_t n);
/* Append printf-formatted text (each piece shorter than 512 bytes). */
__attribute__((format(printf, 2, 3))) void dtw__vbuf_printf(dtw_vbuf_t *b, const char *fmt, ...);
/* The frame name of a body: its model name, "body_<index>" when it has none. */
const char *dtw__vscene_body_name(const dtw_vscene_t *sc, size_t body, char *buf, size_t cap);
/* Pose of body relative to its parent (the world for a top-level body) from
 * the last dtw_kin_forward: position, quaternion w x y z. */
void dtw__vscene_rel_pose(const dtw_vscene_t *sc, size_t body, double pos[3], double q[4]);

#endif /* DTW_VIEWER__SCENE_H */
