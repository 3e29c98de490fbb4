/* model__mjcf_compat.h - MJCF written for MuJoCo 3 made loadable by MuJoCo 2.2.2
 * (internal to src/model; docs/robot-import.md has the table for users).
 *
 * Debian 12 ships MuJoCo 2.2.2 only, so dtwin translates instead of linking a
 * newer engine. dtw__mjcf_compat() is an XML pass over the parsed document,
 * run before MuJoCo sees it; a document that needs nothing is not touched.
 * Line numbers survive (only attributes change, elements are renamed or
 * emptied in place), so MuJoCo's own messages still point into the file.
 *
 * Translated (2.2.2 equivalent exists, semantics as noted):
 *   compiler autolimits (absent)  set "true" when some range has no limited
 *                                 attribute: the MuJoCo >= 2.3 default; 2.2.2
 *                                 would refuse such a document
 *   compiler assetdir             meshdir and texturedir where those are unset
 *   compiler/lengthrange interval renamed back to 2.2.2's "inteval"
 *   option integrator implicitfast  "implicit": also differentiates Coriolis and
 *                                 centripetal forces; a little slower, not less stable
 *   option ccd_iterations/_tolerance  back to mpr_iterations/mpr_tolerance
 *   flag damper + spring          "passive" when both agree (refused otherwise)
 *   joint actuatorfrcrange/actuatorfrclimited (also in <default>, and on
 *   tendons)                      forcerange/forcelimited on every actuator
 *                                 driving that joint (tendon) by its
 *                                 transmission, divided by the actuator's gear
 *                                 and intersected with its own forcerange.
 *                                 MuJoCo 3 clamps the sum of the actuator
 *                                 forces at the joint; 2.2.2 clamps each
 *                                 actuator: the same with one actuator per
 *                                 joint, a warning when several share one,
 *                                 refused when one drives it through a tendon
 *                                 or site (no per-actuator bound exists)
 *   position kv, timeconst, inheritrange  the actuator becomes <general> with
 *                                 gainprm kp, biasprm "0 -kp -kv" (kp, kv from
 *                                 its classes); timeconst as dyntype "filter"
 *                                 (Euler-integrated, MuJoCo 3 integrates it
 *                                 exactly); inheritrange as ctrlrange from the
 *                                 target's range
 *   light type directional        directional="true"
 * Removed (no effect on 2.2.2's physics, or an optimisation 2.2.2 lacks;
 * each kind reported once): rendering-only attributes (material metallic,
 * roughness and <layer>, camera intrinsics, light bulbradius/intensity/range/
 * texture, texture colorspace/nchannel, content_type, visual global and rgba
 * extras), freejoint align and compiler alignfree (body-frame alignment),
 * compiler saveinertial, mesh inertia (2.2.2 infers mesh inertia its own way;
 * only matters without <inertial>) and maxhullvert (full convex hull), option
 * ls_*, sdf_*, o_friction, size memory, flags autoreset/island/midphase/
 * nativeccd/invdiscrete and eulerdamp="enable", pair solreffriction, zero
 * gravcomp / actuatorgravcomp / tausmooth / actearly / actdim.
 * Refused (file:line, the attribute or element): everything else MuJoCo 3
 * added - <frame>, <replicate>, <attach>, plugins, flex, new sensors,
 * gravcomp and actuatorgravcomp, dampratio, intvelocity kv/inheritrange,
 * tendon armature, eulerdamp="disable", site1/site2 equalities, hfield
 * elevation, procedural meshes, ... */
#ifndef DTW_MODEL__MJCF_COMPAT_H
#define DTW_MODEL__MJCF_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "model__warn.h"

/* Translate doc in place. *changed tells whether anything was modified.
 * Returns 0, DTW_EUNSUP ("file:line: <elem>: attribute 'x' is MuJoCo 3 MJCF
 * with no MuJoCo 2.2.2 equivalent ...") or DTW_ENOMEM. Warnings go to the
 * log, one line per kind. */
int dtw__mjcf_compat(xmlDocPtr doc, const char *file, bool *changed, char *err, size_t errlen);

/* ---- shared by mjcf_compat.c and mjcf_compat_act.c -------------------------------------- */

typedef struct dtw__compat {
  xmlNodePtr root;
  const char *file;
  char *err;
  size_t errlen;
  dtw__warnings_t warn;
  bool changed;
  bool angle_degree; /* compiler angle (MuJoCo's default: degree) */
} dtw__compat_t;

bool dtw__compat_is(xmlNodePtr n, const char *name);
/* Attribute value (xmlFree it) or NULL. */
char *dtw__compat_attr(xmlNodePtr n, const char *name);
bool dtw__compat_has(xmlNodePtr n, const char *name);
void dtw__compat_unset(dtw__compat_t *c, xmlNodePtr n, const char *name);
bool dtw__compat_set(dtw__compat_t *c, xmlNodePtr n, const char *name, const char *value);
/* DTW_EUNSUP with "file:line: <elem>: what" in err. */
int dtw__compat_refuse(dtw__compat_t *c, xmlNodePtr n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The <default> of a class name ("main" = the top-level one), or NULL. */
xmlNodePtr dtw__compat_class(dtw__compat_t *c, const char *name);
/* The value of attr for element n, from n itself or the defaults of its class
 * chain: kinds are the default child elements that carry it (e.g. "joint").
 * childclass of enclosing bodies applies to body elements. xmlFree the result. */
char *dtw__compat_effective(dtw__compat_t *c, xmlNodePtr n, const char *attr,
                            const char *const *kinds);

/* Actuator element names (2.2.2 and 3.x). */
extern const char *const dtw__compat_actuator_kinds[];

/* The actuator part of the pass (mjcf_compat_act.c): actuatorfrcrange on
 * joints and tendons, position kv/timeconst/inheritrange. */
int dtw__compat_actuators(dtw__compat_t *c);

#endif /* DTW_MODEL__MJCF_COMPAT_H */
