/* Polynomial segments between two knots (see dtw/spline.h). */
#include "dtw/spline.h"

#include <string.h>

dtw_spline_kind_t dtw_spline_kind_for(int has_vel0, int has_acc0, int has_vel1, int has_acc1) {
  int vel = has_vel0 && has_vel1;
  // accelerations alone cannot shape a segment: they need velocities too
  if (vel && has_acc0 && has_acc1) return DTW_SPLINE_QUINTIC;
  if (vel) return DTW_SPLINE_CUBIC;
  return DTW_SPLINE_LINEAR;
}

void dtw_spline_init(dtw_spline_t *s, dtw_spline_kind_t kind, double T_s, double p0, double v0,
                     double a0, double p1, double v1, double a1) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->T = T_s > 0.0 ? T_s : 0.0;
  s->p1 = p1;
  if (s->T == 0.0) {
    // degenerate: the segment is already at its end knot
    s->c[0] = p1;
    s->v1 = kind == DTW_SPLINE_LINEAR ? 0.0 : v1;
    s->a1 = kind == DTW_SPLINE_QUINTIC ? a1 : 0.0;
    s->c[1] = s->v1;
    s->c[2] = 0.5 * s->a1;
    return;
  }
  double T = s->T, T2 = T * T, T3 = T2 * T;
  double h = p1 - p0;
  s->c[0] = p0;
  switch (kind) {
  case DTW_SPLINE_QUINTIC: {
    double T4 = T3 * T, T5 = T4 * T;
    s->c[1] = v0;
    s->c[2] = 0.5 * a0;
    s->c[3] = (20.0 * h - (8.0 * v1 + 12.0 * v0) * T - (3.0 * a0 - a1) * T2) / (2.0 * T3);
    s->c[4] = (-30.0 * h + (14.0 * v1 + 16.0 * v0) * T + (3.0 * a0 - 2.0 * a1) * T2) / (2.0 * T4);
    s->c[5] = (12.0 * h - 6.0 * (v1 + v0) * T + (a1 - a0) * T2) / (2.0 * T5);
    s->v1 = v1;
    s->a1 = a1;
    break;
  }
  case DTW_SPLINE_CUBIC:
    s->c[1] = v0;
    s->c[2] = (3.0 * h - (2.0 * v0 + v1) * T) / T2;
    s->c[3] = (-2.0 * h + (v0 + v1) * T) / T3;
    s->v1 = v1;
    s->a1 = 2.0 * s->c[2] + 6.0 * s->c[3] * T;
    break;
  case DTW_SPLINE_LINEAR:
  default:
    s->kind = DTW_SPLINE_LINEAR;
    s->c[1] = h / T;
    s->v1 = s->c[1];
    s->a1 = 0.0;
    break;
  }
}

void dtw_spline_eval(const dtw_spline_t *s, double t_s, double *p, double *v, double *a) {
  if (t_s >= s->T) {
    // the end knot exactly, not a rounded polynomial value
    if (p) *p = s->p1;
    if (v) *v = s->v1;
    if (a) *a = s->a1;
    return;
  }
  double t = t_s > 0.0 ? t_s : 0.0;
  const double *c = s->c;
  // Horner form for the three derivatives
  if (p) *p = c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * c[5]))));
  if (v) *v = c[1] + t * (2.0 * c[2] + t * (3.0 * c[3] + t * (4.0 * c[4] + t * 5.0 * c[5])));
  if (a) *a = 2.0 * c[2] + t * (6.0 * c[3] + t * (12.0 * c[4] + t * 20.0 * c[5]));
}
