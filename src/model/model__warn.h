/* model__warn.h - one warning line per kind of ignored thing (internal to src/model).
 *
 * A loader that ignores something tells the user once per kind and file:
 * the first occurrence with its file:line, and how many more there were, so a
 * robot with fifty missing visual meshes gives one line, not fifty. */
#ifndef DTW_MODEL__WARN_H
#define DTW_MODEL__WARN_H

#include <stddef.h>

/* The kinds src/model reports. */
enum {
  DTW__W_MIMIC = 0,     /* URDF <mimic> ignored */
  DTW__W_FIXED_AXIS,    /* <axis> of a fixed or floating joint ignored */
  DTW__W_VISUAL_SHAPE,  /* visual primitive or scale that is not positive: left out */
  DTW__W_MATERIAL,      /* material colour that cannot be used */
  DTW__W_VISUAL_MESH,   /* visual mesh missing, unreadable or degenerate: left out */
  DTW__W_MJCF_DROPPED,  /* MuJoCo 3 attribute with no effect on 2.2.2 physics, removed */
  DTW__W_MJCF_APPROX,   /* MuJoCo 3 construct translated with different semantics */
  DTW__W_WORLD,         /* world file element not merged */
  DTW__WARN_KINDS = 16
};

typedef struct dtw__warnings {
  unsigned count[DTW__WARN_KINDS];
  char first[DTW__WARN_KINDS][400];
} dtw__warnings_t;

/* Record one occurrence of kind (< DTW__WARN_KINDS); the text of the first is kept. */
void dtw__warn(dtw__warnings_t *w, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Log one DTW_WARN line (component "model") per kind seen, then clear w. */
void dtw__warn_flush(dtw__warnings_t *w);

#endif /* DTW_MODEL__WARN_H */
