/* model__mjcf_base.h - what src/model does to an MJCF robot before MuJoCo sees
 * it (internal to src/model): includes expanded, the base mode applied, the
 * document written back out. The MuJoCo 3 translation is model__mjcf_compat.h. */
#ifndef DTW_MODEL__MJCF_BASE_H
#define DTW_MODEL__MJCF_BASE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "dtw/model.h"
#include "model__mjcf.h"

/* Replace every <include file="..."/> (relative to dir, the model's directory,
 * as MuJoCo resolves them; nested ones too) by the children of the included
 * file's <mujoco>. *changed is set when there was one. Returns 0, or the
 * error of reading or parsing an included file, or DTW_EMODEL (root is not
 * <mujoco>, included twice, nested too deep) with file:line. */
int dtw__mjcf_expand_includes(xmlDocPtr doc, const char *file, const char *dir, bool *changed,
                              char *err, size_t errlen);

/* What dtw__mjcf_apply_base did. */
typedef struct dtw__mjcf_base {
  bool changed;
  bool auto_height;   /* src/sim is to place the root (see dtw_robot_desc_t) */
  double clearance_m;
} dtw__mjcf_base_t;

/* Apply opts->base (FIXED or FLOATING) to the root body, the first body of
 * the worldbody: FIXED removes its free joint, FLOATING adds one named
 * "floating_base" if it has none (keyframes follow: their first 7 qpos and 6
 * qvel numbers are removed or added). opts->base_height_m > 0 sets its height,
 * else out->auto_height asks src/sim to place it. opts->timestep_s > 0 sets
 * <option timestep> (the twin's physics rate). world (may be NULL) is merged
 * unless the document has a floor of its own (a plane or height field in the
 * worldbody); the robot's <option> settings win over the world's. A document
 * without bodies is left alone. Returns 0, DTW_EMODEL or DTW_ENOMEM. */
int dtw__mjcf_apply_base(xmlDocPtr doc, const char *file, const dtw_model_opts_t *opts,
                         const dtw__mjcf_world_t *world, dtw__mjcf_base_t *out, char *err,
                         size_t errlen);

/* True if a top-level body has a free joint. */
bool dtw__mjcf_has_free_root(xmlDocPtr doc);

/* doc as text (*out malloc'ed, NUL-terminated): whitespace kept as parsed, so
 * line numbers stay those of the file; an XML declaration only if decl.
 * Returns 0 or DTW_ENOMEM. */
int dtw__mjcf_serialize(xmlDocPtr doc, bool decl, char **out, size_t *len);

#endif /* DTW_MODEL__MJCF_BASE_H */
