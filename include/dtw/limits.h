/* dtw/limits.h - names and sizes every layer shares (core vocabulary).
 *
 * Fixed capacities keep messages and per-step state allocation-free; a robot
 * with more joints, or a name longer than this, is refused where it is loaded. */
#ifndef DTW_LIMITS_H
#define DTW_LIMITS_H

#define DTW_NAME_MAX 64   /* joint, link, group and robot names, NUL included */
#define DTW_MAX_JOINTS 64 /* joints a message (and so a twin) carries */

#endif /* DTW_LIMITS_H */
