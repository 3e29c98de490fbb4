/* model__mjcf.h - MJCF text from a validated URDF tree (internal to src/model). */
#ifndef DTW_MODEL__MJCF_H
#define DTW_MODEL__MJCF_H

#include <stddef.h>

#include <libxml/tree.h>

#include "dtw/model.h"
#include "dtw/robot.h"
#include "model__urdf.h"

/* Name of the free joint added in floating mode and of the IMU site on the root body. */
#define DTW__MJCF_FREEJOINT "floating_base"
#define DTW__MJCF_IMU_SITE "imu"

/* A parsed world MJCF to merge (root <mujoco>): its <asset>, <visual>,
 * <statistic>, <size>, named <default> classes, <option> attributes other
 * than timestep, and <worldbody> children are copied. */
typedef struct dtw__mjcf_world {
  xmlDocPtr doc;
  const char *file; /* for messages */
  const char *dir;  /* relative asset files (textures) resolve against it */
} dtw__mjcf_world_t;

/* Generate a complete <mujoco> document for u into *out (malloc'ed,
 * NUL-terminated, *len without the NUL). world may be NULL. Actuators are
 * emitted in URDF joint document order (actuator i = joint table entry i).
 * Returns 0, DTW_ENOMEM, or DTW_EMODEL for a world file that cannot be merged. */
int dtw__mjcf_generate(const dtw__urdf_t *u, const dtw_model_opts_t *opts,
                       const dtw__mjcf_world_t *world, char **out, size_t *len, char *err,
                       size_t errlen);

/* The actuated (non-fixed) joints of u in document order as a joint table
 * (*out malloc'ed; NULL with *n == 0 when there are none). */
int dtw__urdf_joint_table(const dtw__urdf_t *u, dtw_joint_desc_t **out, size_t *n);

#endif /* DTW_MODEL__MJCF_H */
