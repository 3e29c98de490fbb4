/* A motion checked against the twin's contacts (dtw_twin_motion_clear): a
 * generated motion knows the joints' limits, not where the robot's own bodies
 * or the floor are. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/sim.h"
#include "dtw/twin.h"

/* poses checked per segment (the last is the segment's end point) */
#define CLEAR_SAMPLES 8
/* halvings of a point's excursion before its joints stay at the start pose */
#define CLEAR_HALVINGS 6

typedef struct scratch {
  dtw_sim_t *sim;
  size_t n;          /* twin joints */
  int *idx;          /* 0..n-1 */
  double *q0, *q, *zero;
  const int *map;    /* msg joint k -> twin joint */
  size_t n_msg;
} scratch_t;

/* Contacts with the twin's joints at q0 except msg joint k at pos[k]. */
static int contacts_at(scratch_t *s, const double *pos) {
  memcpy(s->q, s->q0, s->n * sizeof *s->q);
  for (size_t k = 0; k < s->n_msg; k++) s->q[s->map[k]] = pos[k];
  if (dtw_sim_set_joint_state(s->sim, s->idx, s->q, s->zero, s->n) != 0) return DTW_ESIM;
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(s->sim, &ex);
  return ex.n_contacts;
}

/* Contacts beyond `rest` summed over the checked poses from a to b (0: the
 * segment is clear), or a negative error. */
static int segment_excess(scratch_t *s, const double *a, const double *b, int rest, double *pose) {
  int excess = 0;
  for (int i = 1; i <= CLEAR_SAMPLES; i++) {
    double f = (double)i / CLEAR_SAMPLES;
    for (size_t k = 0; k < s->n_msg; k++) pose[k] = a[k] + f * (b[k] - a[k]);
    int c = contacts_at(s, pose);
    if (c < 0) return c;
    if (c > rest) excess += c - rest;
  }
  return excess;
}

/* Mark in blame[] the joints whose move from a to b makes contacts: those
 * that, moved back alone, leave fewer (`excess` is the segment's). Returns
 * how many, or a negative error. A motion that moves every joint at once
 * would otherwise lose every joint's move to the one arm that meets the floor. */
static int blame_joints(scratch_t *s, const double *a, const double *b, int rest, int excess,
                        double *trial, double *pose, bool *blame) {
  int n = 0;
  for (size_t k = 0; k < s->n_msg; k++) {
    blame[k] = false;
    if (b[k] == a[k]) continue;
    memcpy(trial, b, s->n_msg * sizeof *trial);
    trial[k] = a[k];
    int e = segment_excess(s, a, trial, rest, pose);
    if (e < 0) return e;
    if (e < excess) blame[k] = true, n++;
  }
  return n;
}

int dtw_twin_motion_clear(dtw_twin_t *twin, dtw_joint_trajectory_msg_t *msg, size_t *shrunk,
                          char *err, size_t errlen) {
  if (shrunk != NULL) *shrunk = 0;
  if (twin == NULL || msg == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "motion: NULL argument");
  size_t n = dtw_twin_joint_count(twin), m = msg->n_joints;
  const dtw_joint_desc_t *jd = dtw_twin_joints(twin);
  scratch_t s = {.sim = dtw_twin_sim(twin), .n = n, .n_msg = m};
  int *map = calloc(m ? m : 1, sizeof *map);
  s.idx = calloc(n ? n : 1, sizeof *s.idx);
  s.q0 = calloc(n ? n : 1, sizeof *s.q0);
  s.q = calloc(n ? n : 1, sizeof *s.q);
  s.zero = calloc(n ? n : 1, sizeof *s.zero);
  size_t mm = m ? m : 1;
  double *rest = calloc(3 * mm, sizeof *rest), *pose = rest + mm, *trial = rest + 2 * mm;
  bool *blame = calloc(2 * mm, sizeof *blame), *flipped = blame + mm;
  dtw_joint_state_msg_t *js = malloc(sizeof *js);
  int rc = 0;
  if (map == NULL || s.idx == NULL || s.q0 == NULL || s.q == NULL || s.zero == NULL ||
      rest == NULL || blame == NULL || js == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "motion: out of memory");
    goto done;
  }
  s.map = map;
  for (size_t k = 0; k < m; k++) {
    map[k] = dtw_robot_joint_index_in(jd, n, msg->joint_names[k]);
    if (map[k] < 0) {
      rc = dtw_errf(err, errlen, DTW_EINVAL, "motion: joint '%s' is not one of robot '%s'",
                    msg->joint_names[k], dtw_twin_robot(twin)->name);
      goto done;
    }
  }
  for (size_t j = 0; j < n; j++) s.idx[j] = (int)j;
  dtw_twin_get_joint_state(twin, js);
  memcpy(s.q0, js->position, n * sizeof *s.q0);
  for (size_t k = 0; k < m; k++) rest[k] = s.q0[map[k]];
  int at_rest = contacts_at(&s, rest);
  if (at_rest < 0) {
    rc = dtw_errf(err, errlen, DTW_ESIM, "motion: robot '%s': physics error at the start pose",
                  dtw_twin_robot(twin)->name);
    goto done;
  }
  const double *prev = rest;
  for (size_t p = 0; p < msg->n_points; p++) {
    dtw_traj_point_t *pt = &msg->points[p];
    if (pt->n_positions != m) continue; /* not a position knot: left as it is */
    bool changed = false;
    memset(flipped, 0, m * sizeof *flipped);
    for (int h = 0;; h++) {
      int excess = segment_excess(&s, prev, pt->positions, at_rest, pose), culprits = 0;
      if (excess > 0 && h < CLEAR_HALVINGS)
        culprits = blame_joints(&s, prev, pt->positions, at_rest, excess, trial, pose, blame);
      if (excess < 0 || culprits < 0) {
        rc = dtw_errf(err, errlen, DTW_ESIM, "motion: robot '%s': physics error checking point %zu",
                      dtw_twin_robot(twin)->name, p);
        goto done;
      }
      if (excess == 0) break;
      changed = true;
      // the joints that make the contacts go the other way once where their
      // limits allow (an arm that meets the floor lifts instead), then halve;
      // every joint halves when none makes them alone
      for (size_t k = 0; k < m; k++) {
        double *q = &pt->positions[k], flip = 2 * rest[k] - *q;
        const dtw_joint_desc_t *j = &jd[map[k]];
        if (h >= CLEAR_HALVINGS) {
          *q = rest[k];
        } else if (culprits > 0 && blame[k] && !flipped[k] &&
                   (!j->limited || (flip >= j->lower && flip <= j->upper))) {
          *q = flip;
          flipped[k] = true;
        } else if (culprits == 0 || blame[k]) {
          *q = rest[k] + 0.5 * (*q - rest[k]);
        }
      }
      if (h >= CLEAR_HALVINGS) break;
    }
    if (changed && shrunk != NULL) (*shrunk)++;
    prev = pt->positions;
  }
done:
  /* the scratch poses leave the physics elsewhere: back to the start */
  if (map != NULL && js != NULL) dtw_twin_reset(twin);
  free(map);
  free(s.idx);
  free(s.q0);
  free(s.q);
  free(s.zero);
  free(rest);
  free(blame);
  free(js);
  return rc;
}
