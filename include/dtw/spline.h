/* dtw/spline.h - one-joint polynomial segments between two trajectory knots.
 *
 * A segment joins knot 0 (at t = 0) to knot 1 (at t = T). Its degree follows
 * what the knots carry, as in ros2_control's joint_trajectory_controller:
 *   LINEAR  - positions only: constant velocity, zero acceleration;
 *   CUBIC   - positions and velocities: velocity-continuous at the knots;
 *   QUINTIC - positions, velocities and accelerations: acceleration-continuous.
 * The segment is a plain value (no allocation): build it with dtw_spline_init,
 * evaluate it with dtw_spline_eval. Pure functions; thread-safe. */
#ifndef DTW_SPLINE_H
#define DTW_SPLINE_H

typedef enum {
  DTW_SPLINE_LINEAR = 1,
  DTW_SPLINE_CUBIC = 3,
  DTW_SPLINE_QUINTIC = 5
} dtw_spline_kind_t;

/* p(t) = sum c[k] t^k for t in [0, T]. */
typedef struct dtw_spline {
  dtw_spline_kind_t kind;
  double T;       /* duration, s; <= 0 means "already at knot 1" */
  double c[6];    /* polynomial coefficients, lowest power first */
  double p1;      /* knot 1 position, returned exactly at t >= T */
  double v1, a1;  /* knot 1 velocity/acceleration as the segment ends there */
} dtw_spline_t;

/* Pick the degree the knots support: QUINTIC if both carry accelerations and
 * velocities, CUBIC if both carry velocities, else LINEAR. */
dtw_spline_kind_t dtw_spline_kind_for(int has_vel0, int has_acc0, int has_vel1, int has_acc1);

/* Fit a segment of the given kind over duration T_s between (p0, v0, a0) and
 * (p1, v1, a1). LINEAR ignores velocities and accelerations; CUBIC ignores
 * accelerations. T_s <= 0 gives a segment that sits at knot 1 (p1, and v1/a1
 * for the degrees that use them). Never fails; does not allocate. */
void dtw_spline_init(dtw_spline_t *s, dtw_spline_kind_t kind, double T_s, double p0, double v0,
                     double a0, double p1, double v1, double a1);

/* Position, velocity and acceleration at t_s, clamped to [0, T]. Any output
 * pointer may be NULL. Does not allocate. */
void dtw_spline_eval(const dtw_spline_t *s, double t_s, double *p, double *v, double *a);

#endif /* DTW_SPLINE_H */
