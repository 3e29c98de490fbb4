/* model__limits.h - the values and sizes a robot description may have
 * (internal to src/model; docs/robot-import.md says which and why).
 *
 * Two kinds of limit, both checked before MuJoCo sees a model:
 *  - physical bounds: values no physics survives (a link 1e308 m away, a
 *    1e300 kg mass) are refused with file:line, in URDF (urdf.c) and in MJCF
 *    (dtw__mjcf_check_values);
 *  - MuJoCo 2.2.2's own limits, found in its sources and measured with the
 *    installed library: how deep its XML reader (tinyxml2 9) nests elements
 *    and how much of mjData's fixed-size stack one step needs
 *    (dtw__mjcf_check_limits). */
#ifndef DTW_MODEL__LIMITS_H
#define DTW_MODEL__LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

/* Physical bounds. A position, length or size beyond 10 km, a body heavier
 * than 1000 t, a moment of inertia beyond what such a body has at that
 * distance (1e6 kg x (1e4 m)^2): no robot is that large, and the products the
 * dynamics forms from such numbers (m g L, I w^2, float32 bounding boxes in
 * the broadphase) lose every digit of the rest of the model. */
#define DTW__MAX_LENGTH_M 1e4
#define DTW__MAX_MASS_KG 1e6
#define DTW__MAX_INERTIA_KGM2 1e14
#define DTW__MAX_DENSITY_KGM3 1e5 /* MJCF geom density (osmium is 22590) */

/* tinyxml2 9 (TINYXML2_MAX_ELEMENT_DEPTH 100) refuses a document in which an
 * element with content sits at level 99 (the root element is level 1): its
 * children would be parsed at depth 100. */
#define DTW__MJCF_MAX_PARENT_LEVEL 98

/* MuJoCo 2.2.2 packs body ids in 16 bits in its broadphase. */
#define DTW__MJCF_MAX_BODIES 65535

/* mjMAXVFS: files in MuJoCo 2.2.2's virtual file system (the converted meshes). */
#define DTW__MJCF_MAX_ASSETS 2000

/* Sizes of a compiled MJCF document as MuJoCo 2.2.2 will count them. */
typedef struct dtw__mjcf_size {
  long nbody, njnt, nq, nv, ngeom, nsite, nu, na, neq, ntendon, nwrap;
  long bufcnt;        /* non-world bodies with a geom that can collide */
  long ngeom_body;    /* geoms on non-world bodies */
  long njmax;         /* <size njmax>, else 500 */
  long nconmax;       /* <size nconmax>, else 100 */
  long nstack_set;    /* <size nstack>, else -1 */
  bool implicit;      /* <option integrator="implicit"> */
  bool no_contact;    /* contacts or constraints disabled, or predefined pairs only */
  double stack;       /* mjtNums of mjData stack MuJoCo sizes for it */
  double need;        /* mjtNums one step needs (the larger of the two phases below) */
  double need_collision, need_implicit;
  int depth_level;    /* deepest level of an element with content */
  xmlNodePtr deepest; /* that element */
} dtw__mjcf_size_t;

/* Count doc (<mujoco>, includes expanded) as MuJoCo 2.2.2 will: bodies, joints
 * and degrees of freedom (joint types through <default> classes), geoms that
 * collide, <size>, the integrator; the stack MuJoCo sizes for it (its
 * heuristic: max(1000, 5 (njmax + neq + nv)^2 + 20 (nq + nv + nu + na + nbody +
 * njnt + ngeom + nsite + neq + ntendon + nwrap))) and the stack one step needs:
 * collision nbody (nbody - 1) / 2 + 6 nbody + 4 bufcnt (body pairs, bounding
 * boxes, sort buffers), the implicit integrator's dense velocity derivatives
 * 18 nv nbody + 7 nv^2 + 2 nv. implicit: count the implicit integrator even
 * when the document has another (the twin's default world integrates
 * implicitly). */
void dtw__mjcf_size(xmlDocPtr doc, bool implicit, dtw__mjcf_size_t *out);

/* MuJoCo 2.2.2's limits on doc: element nesting, bodies, stack. Returns 0 or
 * DTW_EUNSUP with "file:line: <element name>: ..." (nesting) or "file: model
 * 'name': ..." (size) in err; *size (may be NULL) is filled either way. */
int dtw__mjcf_check_limits(xmlDocPtr doc, const char *file, bool implicit,
                           dtw__mjcf_size_t *size, char *err, size_t errlen);

/* Physical bounds and finiteness of the numbers of an MJCF document: every
 * numeric attribute anywhere finite; in the worldbody and <default> classes
 * pos, size, fromto within DTW__MAX_LENGTH_M (sizes not negative), mass,
 * diaginertia, fullinertia, density within theirs (mass and inertia not
 * negative); <asset> mesh scale within DTW__MAX_LENGTH_M. Returns 0 or
 * DTW_EMODEL with "file:line: <geom name="x">: ..." in err. */
int dtw__mjcf_check_values(xmlDocPtr doc, const char *file, char *err, size_t errlen);

#endif /* DTW_MODEL__LIMITS_H */
