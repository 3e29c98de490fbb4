/* bench_faults: the fault matrix of the synchronizer's fault isolation.
 *
 * One process, no DDS, no wall clock: a robot (a twin with the emulator's
 * model error: masses x1.05, friction x1.2; encoder noise, 2 ms + U(0, 1 ms)
 * latency, stamps on its own clock), the twin (same model as described) and
 * the synchronizer (src/sync, with the twin's model for the residuals), all
 * stepped at the physics rate, faster than real time. For every movable joint
 * x {locked, no torque, sensor frozen}, plus a payload at each hand and foot,
 * at a random onset (seeded), in shadow and mirror mode, it records when the
 * fault was first reported, which joint (or chain) and which kind, and
 * whether it is still reported at the end, and as which kind. Then a nominal
 * run (no fault) counts false alarms.
 *
 * Options: --seed N (1), --after S (seconds run after the onset, 3),
 * --nominal S (seconds of the fault-free run per mode, 3600), --mode shadow|mirror|both,
 * --joint NAME (only this joint's cases, or the payload at body NAME), --verbose (one line per case),
 * --effort-noise NM (normal noise on the reported effort: a drive whose
 * disabled state reads as noise around 0 rather than an exact 0),
 * --integrator NAME (sim.integrator of robot and twin; default the setting's),
 * --baseline (no fault isolation: only DIVERGED and its worst joint count, as
 * before the fault report existed), --kind KIND (only the cases of one kind:
 * locked, no_torque, sensor_frozen, payload; none: only the nominal runs),
 * --no-controller (mirror mode without the robot's controller state, which it
 * otherwise reads at 100 Hz as `dtwin up` does), --motion-pause S (the robot
 * holds the motion's end this long before it runs again; 0.3, as `dtwin up`
 * holds it: up.motion_pause_s, 0, plus the 0.3 s each motion is sent ahead).
 *
 * Another robot: --model PATH (URDF, xacro or MJCF; --xacro-args "a:=b ...",
 * packages from ROS_PACKAGE_PATH) is set up as `dtwin up` sets it up: the
 * controller derived from the model where the default controllers file does
 * not fit, joint groups from its kinematic chains where the default groups do
 * not cover it, the generic motion where the demo motion names joints it does
 * not have, a held free root. Its payloads go at the end of every chain
 * (--payload-kg, 2 kg), each counted observable (the demo's too) only where
 * what it adds to the motion's torques (its weight and its inertia) loads a
 * joint that carries it above the residual threshold for half a second (in
 * all) of the motion after the onset, and isolated where the first report
 * names its chain or, while its own joints do not see it, the chain carrying
 * it that does. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/motion_gen.h"
#include "dtw/msgs.h"
#include "dtw/paths.h"
#include "dtw/robot_emu.h"
#include "dtw/sim_dynamics.h"
#include "dtw/sync.h"
#include "dtw/sync_node.h"
#include "dtw/traj_file.h"
#include "dtw/twin.h"
#include "robot/robot__emu.h"

#define MAX_CASES 256
#define JS_EVERY 2                 /* 1 kHz physics, 500 Hz joint states */
#define CTL_EVERY 10               /* 100 Hz controller state (robot.controller_state_rate_hz) */
#define LATENCY_S 0.002            /* the robot emulator's defaults */
#define JITTER_S 0.001
#define NOISE_POS 0.0005
#define NOISE_VEL 0.005
#define TICK_S 0.1                 /* sync status_rate_hz 10 */
#define ONSET_MIN_S 2.0
#define ONSET_MAX_S 9.0

typedef enum { F_LOCK, F_NO_TORQUE, F_FREEZE, F_PAYLOAD } fkind_t;
static const char *const k_fnames[] = {"locked", "no_torque", "sensor_frozen", "payload"};
static const dtw_sync_fault_kind_t k_expect[] = {DTW_SYNC_FAULT_LOCKED, DTW_SYNC_FAULT_NO_TORQUE,
                                                 DTW_SYNC_FAULT_SENSOR_FROZEN,
                                                 DTW_SYNC_FAULT_EXTERNAL_LOAD};

typedef struct fcase {
  fkind_t kind;
  int joint;             /* faulted joint; -1 for a payload */
  const char *body;      /* payload body */
  const char *chain;     /* group expected for a payload */
  int own, outer;        /* a payload: its chain's group; the nearest chain carrying it whose
                            joints see its weight for 0.5 s (-1: none) */
  bool own_shows;        /* a payload: its own chain's joints see its weight for 0.5 s */
  double own_from_s;     /* ... and first see it at (NaN: never) */
  double mass_kg;
  double onset_s;
  int obs;               /* observability: -1 unknown, 0 no, 1 yes */
  double effect_s;       /* a lock: first time the healthy joint moves 0.01 rad from where it
                            locked; a payload: first time its weight loads the chain above the
                            residual threshold */
  unsigned ix;           /* index in the whole matrix (its noise seed, whatever --kind selects) */
  char why[128];
} fcase_t;

typedef struct result {
  bool detected, isolated, kind_ok, at_end, false_alarm, unobservable;
  bool end_kind_ok;      /* ... and reported at the end as its kind */
  bool isolated_own;     /* a payload: first named its own chain */
  char end_kind[24];     /* the kind it is reported as at the end */
  double latency_s, tick_latency_s;
  double effect_s;       /* no torque: first time the joint is 0.01 rad from the healthy one */
  char named[64], kind[32], why[96];
} result_t;

typedef struct rig {
  dtw_twin_t *robot, *twin;
  dtw_sim_dyn_t *dyn;
  dtw_joint_trajectory_msg_t motion;
  double motion_len_s;
  double motion_pause_s; /* the robot holds the motion's end this long before it runs again */
  size_t n;
  const char *names[DTW_MAX_JOINTS];
  dtw_sync_settings_t set;
  dtw_joint_state_msg_t js, out, latest;
  dtw__delay_queue_t q;
  dtw__rng_t rng;
  bool verbose;
  double effort_noise; /* N m, normal: a drive's current sensor (0: the emulator's exact effort) */
  bool baseline;  /* the comparison before fault isolation: DIVERGED and its worst joint */
  bool no_controller; /* mirror mode without the robot's controller state */
  dtw_jtc_state_t ctl_scratch;
  dtw_jtc_state_msg_t ctl;
  char *groups;   /* joint groups from the kinematic chains (--model), or NULL */
  dtw_sim_dyn_t *probe; /* scratch dynamics: what a payload adds to the motion's torques */
  /* the synchronizer's chains: each joint's group, the group names, the parent
   * joint of each joint (-1: the root) and each joint's residual floor */
  int group_of[DTW_MAX_JOINTS], parent[DTW_MAX_JOINTS];
  char links[DTW_MAX_JOINTS][DTW_NAME_MAX]; /* the body each joint moves */
  char group_name[DTW_SYNC_MAX_GROUPS][DTW_NAME_MAX];
  size_t n_groups;
  double floor_nm[DTW_MAX_JOINTS];
} rig_t;

/* A report naming group g at the robot's time t names payload c where it can
 * be told: its own chain, or the chain carrying it whose joints see its weight
 * while its own joints do not (yet: a finger whose joints the pose leaves
 * under their thresholds shows its weight on the arm alone, as the hand
 * would). */
static bool told(const fcase_t *c, int g, double t) {
  return g >= 0 && (g == c->own || (g == c->outer && !(c->own_shows && t >= c->own_from_s)));
}

/* The healthy robot's motion, recorded once at 100 Hz: what observability asks. */
#define REC_HZ 100
static float *g_rec_q, *g_rec_v, *g_rec_tau;
static long g_rec_n;

/* One run: faults c (NULL = nominal) in mode shadow/mirror for `dur` seconds. */
static int run(rig_t *r, bool shadow, const fcase_t *c, double dur, uint64_t seed, result_t *res,
               double *nominal_alarms) {
  char err[512];
  memset(res, 0, sizeof *res);
  res->effect_s = NAN;
  dtw_sync_settings_t set = r->set;
  snprintf(set.mode, sizeof set.mode, "%s", shadow ? "shadow" : "mirror");
  dtw_sync_t *s = NULL;
  if (dtw_sync_create(&set, r->names, r->n, &s, err, sizeof err) < 0) {
    fprintf(stderr, "bench_faults: %s\n", err);
    return -1;
  }
  if (r->groups != NULL && dtw_sync_set_joint_groups(s, r->groups, err, sizeof err) < 0) {
    fprintf(stderr, "bench_faults: %s\n", err);
    dtw_sync_destroy(s);
    return -1;
  }
  if (!r->baseline) dtw_sync_node_use_model(s, r->dyn);
  dtw_twin_reset(r->robot);
  dtw_twin_reset(r->twin);
  for (size_t j = 0; j < r->n; j++) dtw_emu_set_joint_fault(r->robot, j, DTW_EMU_JOINT_OK);
  dtw__delay_queue_clear(&r->q);
  dtw__rng_seed(&r->rng, seed);
  dtw_twin_accept_trajectory(r->robot, &r->motion, err, sizeof err);
  if (shadow) dtw_twin_accept_trajectory(r->twin, &r->motion, err, sizeof err);

  const double dt = dtw_twin_timestep(r->robot);
  long steps = (long)(dur / dt + 0.5);
  bool active = false, frozen = false;
  double frozen_q = 0, next_tick = TICK_S, next_motion = r->motion_len_s + r->motion_pause_s;
  int fj = c != NULL ? c->joint : -1;
  double alarms = 0;
  dtw_sync_report_t *rep = malloc(sizeof *rep);
  if (rep == NULL) return -1;
  for (long k = 1; k <= steps; k++) {
    double t_prev = (double)(k - 1) * dt;
    if (c != NULL && !active && t_prev >= c->onset_s) {
      active = true;
      if (c->kind == F_LOCK) dtw_emu_set_joint_fault(r->robot, (size_t)fj, DTW_EMU_JOINT_LOCKED);
      if (c->kind == F_NO_TORQUE)
        dtw_emu_set_joint_fault(r->robot, (size_t)fj, DTW_EMU_JOINT_NO_TORQUE);
      if (c->kind == F_PAYLOAD) dtw_emu_add_payload(r->robot, c->body, c->mass_kg);
      if (c->kind == F_FREEZE) {
        dtw_twin_get_joint_state(r->robot, &r->js);
        frozen_q = r->js.position[fj] + NOISE_POS * dtw__rng_normal(&r->rng);
        frozen = true;
      }
    }
    // the operator runs the motion again after a pause (both sides in shadow mode)
    if (t_prev >= next_motion) {
      dtw_twin_accept_trajectory(r->robot, &r->motion, err, sizeof err);
      if (shadow) dtw_twin_accept_trajectory(r->twin, &r->motion, err, sizeof err);
      next_motion += r->motion_len_s + r->motion_pause_s;
    }
    dtw_twin_step(r->robot);
    dtw_twin_step(r->twin);
    double t = (double)k * dt;
    if (k % JS_EVERY == 0) {
      // the robot measures now, the sample arrives after the link's latency
      dtw_twin_get_joint_state(r->robot, &r->js);
      // a joint without torque differs from a healthy one once it needs a torque
      long ri = (long)(t * REC_HZ + 0.5);
      if (c != NULL && active && c->kind == F_NO_TORQUE && isnan(res->effect_s) && ri < g_rec_n &&
          fabs(r->js.position[fj] - g_rec_q[ri * (long)r->n + fj]) > 0.01)
        res->effect_s = t;
      double *slot = dtw__delay_queue_push(&r->q, t,
                                           t + LATENCY_S + JITTER_S * dtw__rng_uniform(&r->rng));
      if (slot != NULL) {
        for (size_t j = 0; j < r->n; j++) {
          slot[j] = r->js.position[j] + NOISE_POS * dtw__rng_normal(&r->rng);
          slot[r->n + j] = r->js.velocity[j] + NOISE_VEL * dtw__rng_normal(&r->rng);
          slot[2 * r->n + j] = r->js.effort[j] + r->effort_noise * dtw__rng_normal(&r->rng);
        }
        if (frozen) {
          slot[fj] = frozen_q;
          slot[r->n + (size_t)fj] = 0;
        }
      }
      dtw_twin_get_joint_state(r->twin, &r->out);
      dtw_sync_on_twin_sample(s, &r->out, t);
    }
    // mirror mode reads the robot's controller state (sent as the emulator does, not
    // through its delayed link)
    if (!shadow && !r->no_controller && k % CTL_EVERY == 0) {
      dtw_jtc_state_msg(dtw_twin_controller(r->robot), dtw_time_from_s(t), &r->ctl_scratch, &r->ctl);
      if (dtw_sync_on_robot_controller(s, &r->ctl, t) < 0) {
        fprintf(stderr, "bench_faults: the robot's controller state was refused\n");
        free(rep);
        dtw_sync_destroy(s);
        return -1;
      }
    }
    const double *v;
    double stamp;
    while ((v = dtw__delay_queue_pop_due(&r->q, t, &stamp)) != NULL) {
      r->js.stamp = dtw_time_from_s(stamp);
      memcpy(r->js.position, v, r->n * sizeof(double));
      memcpy(r->js.velocity, v + r->n, r->n * sizeof(double));
      memcpy(r->js.effort, v + 2 * r->n, r->n * sizeof(double));
      dtw_sync_on_robot_sample(s, &r->js, t, NULL);
      if (!shadow) dtw_twin_set_state(r->twin, &r->js, err, sizeof err);
    }
    if (t + 1e-9 >= next_tick) {
      next_tick += TICK_S;
      int flags = dtw_sync_tick(s, t);
      if (flags > 0 && (flags & DTW_SYNC_TICK_RESYNC) &&
          dtw_sync_latest_robot_state(s, &r->latest) == 0) {
        dtw_twin_set_state(r->twin, &r->latest, err, sizeof err);
        dtw_sync_resync_done(s, t);
      }
      dtw_sync_report(s, rep);
      if (r->baseline) rep->n_faults = 0;
      bool reported = rep->n_faults > 0 || rep->state == DTW_SYNC_DIVERGED;
      if (c == NULL) {
        if (reported) alarms += TICK_S;
        if (reported && r->verbose && alarms <= TICK_S + 1e-9)
          printf("  nominal alarm at %.1f s: %s\n", t,
                 rep->n_faults ? rep->faults[0].text : rep->last_transition.text);
        continue;
      }
      if (!active) {
        if (reported && !res->false_alarm) {
          res->false_alarm = true;
          snprintf(res->why, sizeof res->why, "before onset: %.80s",
                   rep->n_faults ? rep->faults[0].text : "DIVERGED");
        }
        continue;
      }
      if (!res->detected && reported) {
        res->detected = true;
        res->tick_latency_s = t - c->onset_s;
        const dtw_sync_fault_t *f = rep->n_faults > 0 ? &rep->faults[0] : NULL;
        int nj = f != NULL ? f->joint : rep->worst_joint;
        snprintf(res->named, sizeof res->named, "%s", nj >= 0 ? r->names[nj] : "?");
        snprintf(res->kind, sizeof res->kind, "%s",
                 f != NULL ? dtw_sync_fault_kind_name(f->kind) : "diverged");
        res->latency_s = f != NULL ? f->detected_stamp_s - c->onset_s : res->tick_latency_s;
        if (c->kind == F_PAYLOAD) {
          res->isolated = f != NULL && told(c, f->group, f->detected_stamp_s);
          res->isolated_own = f != NULL && f->group >= 0 && f->group == c->own;
        } else {
          res->isolated = nj == fj;
        }
        res->kind_ok = f != NULL && f->kind == k_expect[c->kind];
      }
    }
  }
  if (c != NULL && r->baseline)
    res->at_end = rep->state == DTW_SYNC_DIVERGED && rep->worst_joint == fj;
  if (c != NULL) {
    // still reported at the end: a fault naming the joint (payload: the chain)
    for (size_t i = 0; i < rep->n_faults; i++) {
      const dtw_sync_fault_t *f = &rep->faults[i];
      if (c->kind == F_PAYLOAD ? told(c, f->group, INFINITY)
                               : f->joint == fj) {
        res->at_end = true;
        res->end_kind_ok |= f->kind == k_expect[c->kind];
        snprintf(res->end_kind, sizeof res->end_kind, "%s", dtw_sync_fault_kind_name(f->kind));
      }
    }
  }
  if (nominal_alarms != NULL) *nominal_alarms = alarms;
  free(rep);
  dtw_sync_destroy(s);
  // the payload stays on the robot model otherwise
  if (c != NULL && c->kind == F_PAYLOAD && active) dtw_emu_add_payload(r->robot, c->body, -c->mass_kg);
  return 0;
}


static int record_nominal(rig_t *r, double dur) {
  char err[256];
  long n = (long)(dur * REC_HZ) + 1;
  g_rec_q = calloc((size_t)n * r->n, sizeof *g_rec_q);
  g_rec_v = calloc((size_t)n * r->n, sizeof *g_rec_v);
  g_rec_tau = calloc((size_t)n * r->n, sizeof *g_rec_tau);
  if (g_rec_q == NULL || g_rec_v == NULL || g_rec_tau == NULL) return -1;
  dtw_twin_reset(r->twin);
  dtw_twin_accept_trajectory(r->twin, &r->motion, err, sizeof err);
  const double dt = dtw_twin_timestep(r->twin);
  long every = (long)(1.0 / (REC_HZ * dt) + 0.5);
  double next_motion = r->motion_len_s + r->motion_pause_s;
  for (long k = 1; k / every < n; k++) {
    if ((double)(k - 1) * dt >= next_motion) {
      dtw_twin_accept_trajectory(r->twin, &r->motion, err, sizeof err);
      next_motion += r->motion_len_s + r->motion_pause_s;
    }
    dtw_twin_step(r->twin);
    if (k % every != 0) continue;
    dtw_twin_get_joint_state(r->twin, &r->out);
    for (size_t j = 0; j < r->n; j++) {
      g_rec_q[(k / every) * (long)r->n + (long)j] = (float)r->out.position[j];
      g_rec_v[(k / every) * (long)r->n + (long)j] = (float)r->out.velocity[j];
      g_rec_tau[(k / every) * (long)r->n + (long)j] = (float)r->out.effort[j];
    }
  }
  g_rec_n = n;
  return 0;
}

/* How many joints stand between joint j and the root. */
static int depth_of(const rig_t *r, int j) {
  int depth = 0;
  for (int p = r->parent[j]; p >= 0 && depth <= (int)r->n; p = r->parent[p]) depth++;
  return depth;
}

/* Group g's nearest carrying group: the group of the parent joint of g's
 * joint nearest the root; -1 at the root. */
static int carrier(const rig_t *r, int g) {
  int top = -1, top_depth = 0;
  for (size_t j = 0; j < r->n; j++) {
    if (r->group_of[j] != g) continue;
    int depth = depth_of(r, (int)j);
    if (top < 0 || depth < top_depth) top = (int)j, top_depth = depth;
  }
  for (int p = top >= 0 ? r->parent[top] : -1; p >= 0; p = r->parent[p])
    if (r->group_of[p] != g) return r->group_of[p];
  return -1;
}

/* Does a payload load a joint that carries it (of its chain, or of a chain
 * nearer the root: a finger's weight loads the arm far more than the finger)
 * above the residual threshold (the joint's floor + tolerance x what it
 * needs, as the synchronizer sets them) for 0.5 s (in all) of the healthy
 * motion after the onset? What the mass adds to the torques the recorded
 * motion needs: its weight and its inertia, which in some phases of a motion
 * cancel at a joint (a leg swinging back under its own weight needs no more
 * torque with a weight at its foot: gravity accelerates the weight as the
 * motion does). Also sets where it can be told (told()): whether and from
 * when its own chain's joints see it, and the nearest carrying chain whose
 * joints do. */
static bool payload_loads(rig_t *r, fcase_t *c, double dur, char *why, size_t cap) {
  static double q[DTW_MAX_JOINTS], v[DTW_MAX_JOINTS], a[DTW_MAX_JOINTS], g0[DTW_MAX_JOINTS],
      t0[DTW_MAX_JOINTS], t1[DTW_MAX_JOINTS];
  long n_g[DTW_SYNC_MAX_GROUPS] = {0}; /* samples over the threshold, per chain */
  double first_g[DTW_SYNC_MAX_GROUPS];
  for (size_t g = 0; g < r->n_groups; g++) first_g[g] = NAN;
  long n_over = 0, need = (long)(0.5 * REC_HZ);
  double peak = 0;
  c->effect_s = NAN;
  for (long i = (long)(c->onset_s * REC_HZ); i < g_rec_n && (double)i / REC_HZ <= dur; i++) {
    // the recorded state, its acceleration from the velocities either side
    long lo = i > 0 ? i - 1 : i, hi = i + 1 < g_rec_n ? i + 1 : i;
    for (size_t j = 0; j < r->n; j++) {
      long k = i * (long)r->n + (long)j;
      q[j] = g_rec_q[k];
      v[j] = g_rec_v[k];
      a[j] = hi > lo ? (g_rec_v[hi * (long)r->n + (long)j] - g_rec_v[lo * (long)r->n + (long)j]) *
                           REC_HZ / (double)(hi - lo)
                     : 0;
    }
    int rc = dtw_sim_dyn_inverse(r->probe, q, v, a, t0, g0, NULL);
    if (rc == 0 && (rc = dtw_sim_dyn_add_mass(r->probe, c->body, c->mass_kg)) == 0) {
      rc = dtw_sim_dyn_inverse(r->probe, q, v, a, t1, NULL, NULL);
      dtw_sim_dyn_add_mass(r->probe, c->body, -c->mass_kg);
    }
    if (rc != 0) {
      snprintf(why, cap, "no torques for %.2f kg at %s (error %d)", c->mass_kg, c->body, rc);
      return false;
    }
    bool over = false, over_g[DTW_SYNC_MAX_GROUPS] = {false};
    for (size_t j = 0; j < r->n; j++) {
      double d = fabs(t1[j] - t0[j]);
      peak = fmax(peak, d);
      // the threshold grows with what the joint needs: its gravity torque, or
      // the healthy joint's effort where the motion needs more
      double demand = fmax(fabs(g0[j]), fabs(g_rec_tau[i * (long)r->n + (long)j]));
      bool o = d > r->floor_nm[j] + r->set.fdi_torque_tolerance * demand;
      over |= o;
      if (o && r->group_of[j] >= 0) over_g[r->group_of[j]] = true;
    }
    for (size_t g = 0; g < r->n_groups; g++) {
      n_g[g] += over_g[g];
      if (over_g[g] && isnan(first_g[g])) first_g[g] = (double)i / REC_HZ;
    }
    if (over && isnan(c->effect_s)) c->effect_s = (double)i / REC_HZ;
    n_over += over;
  }
  c->own = c->outer = -1;
  for (size_t g = 0; g < r->n_groups; g++)
    if (strcmp(r->group_name[g], c->chain) == 0) c->own = (int)g;
  c->own_shows = c->own >= 0 && n_g[c->own] >= need;
  c->own_from_s = c->own >= 0 ? first_g[c->own] : NAN;
  for (int g = carrier(r, c->own), hops = 0; g >= 0 && hops <= (int)r->n_groups;
       g = carrier(r, g), hops++)
    if (n_g[g] >= need) {
      c->outer = g;
      break;
    }
  if (n_over >= need) return true;
  snprintf(why, cap, "it loads the chain above the residual threshold for %.2f s only "
           "(peak %.2f N m)", (double)n_over / REC_HZ, peak);
  return false;
}

/* Does the healthy robot give the fault anything to show after the onset?
 * A lock needs commanded motion, no torque needs a torque or motion; a
 * frozen reading always shows (the sensor's noise stops), a payload needs its
 * weight to load the chain (payload_loads). */
static bool observable(rig_t *r, fcase_t *c, double dur, char *why, size_t cap) {
  if (c->kind == F_FREEZE) return true;
  if (c->kind == F_PAYLOAD) return payload_loads(r, c, dur, why, cap);
  double qmin = INFINITY, qmax = -INFINITY, tmax = 0;
  for (long i = (long)(c->onset_s * REC_HZ); i < g_rec_n && (double)i / REC_HZ <= dur; i++) {
    double q = g_rec_q[i * (long)r->n + c->joint], tau = g_rec_tau[i * (long)r->n + c->joint];
    qmin = fmin(qmin, q);
    qmax = fmax(qmax, q);
    tmax = fmax(tmax, fabs(tau));
  }
  bool moves = qmax - qmin > 0.02;
  // a locked joint differs from a healthy one only once the healthy one would move
  long i0 = (long)(c->onset_s * REC_HZ);
  c->effect_s = c->onset_s;
  for (long i = i0; c->kind == F_LOCK && i < g_rec_n && (double)i / REC_HZ <= dur; i++)
    if (fabs(g_rec_q[i * (long)r->n + c->joint] - g_rec_q[i0 * (long)r->n + c->joint]) > 0.01) {
      c->effect_s = (double)i / REC_HZ;
      break;
    }
  if (c->kind == F_LOCK && !moves) {
    snprintf(why, cap, "not commanded to move after the onset (range %.3f rad)", qmax - qmin);
    return false;
  }
  if (c->kind == F_NO_TORQUE && !moves && tmax < r->set.fdi_torque_floor_nm) {
    snprintf(why, cap, "needs no torque and does not move after the onset (max %.2f N m)", tmax);
    return false;
  }
  return true;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double p) {
  if (n == 0) return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  size_t k = (size_t)ceil(p * (double)n);
  return v[k > 0 ? k - 1 : 0];
}

static void matrix(rig_t *r, bool shadow, fcase_t *cases, size_t nc, double after,
                   uint64_t seed) {
  static double lat[MAX_CASES], tlat[MAX_CASES], elat[MAX_CASES];
  static double klat[4][MAX_CASES]; /* per fault kind: latency from the first effect */
  size_t n_klat[4] = {0};
  size_t n_outer = 0; /* payloads isolated on the chain carrying theirs (told()) */
  size_t n_obs = 0, n_det = 0, n_iso = 0, n_kind = 0, n_end = 0, n_end_kind = 0, n_fa = 0,
         n_lat = 0;
  size_t by_kind[4][4] = {{0}};  /* [kind][obs, det, iso, kind_ok] */
  printf("-- %s mode: %zu cases\n", shadow ? "shadow" : "mirror", nc);
  for (size_t i = 0; i < nc; i++) {
    result_t res;
    fcase_t *cs = &cases[i];
    double dur = cases[i].onset_s + after;
    if (cs->obs < 0) cs->obs = observable(r, cs, dur, cs->why, sizeof cs->why);
    bool obs = cs->obs == 1;
    const char *why = cs->why;
    if (run(r, shadow, &cases[i], dur, seed + cases[i].ix, &res, NULL) < 0) return;
    const char *what = cases[i].joint >= 0 ? r->names[cases[i].joint] : cases[i].body;
    if (!obs) {
      printf("  unobservable: %-20s %-13s onset %5.2f s: %s%s\n", what, k_fnames[cases[i].kind],
             cases[i].onset_s, why, res.detected ? " (reported anyway)" : "");
      continue;
    }
    n_obs++;
    by_kind[cases[i].kind][0]++;
    n_fa += res.false_alarm;
    if (res.detected) {
      n_det++;
      by_kind[cases[i].kind][1]++;
      double effect = cases[i].kind == F_LOCK || cases[i].kind == F_PAYLOAD ? cases[i].effect_s
                      : cases[i].kind == F_NO_TORQUE && !isnan(res.effect_s) ? res.effect_s
                                                                              : cases[i].onset_s;
      // a fault reported before its effect (the effort went to 0 first) counts as at the effect
      elat[n_lat] = fmax(0, res.latency_s - (effect - cases[i].onset_s));
      klat[cases[i].kind][n_klat[cases[i].kind]++] = elat[n_lat];
      if (r->verbose)
        printf("    latency from the first observable effect at %.3f s: %.3f s\n", effect,
               elat[n_lat]);
      lat[n_lat] = res.latency_s;
      tlat[n_lat++] = res.tick_latency_s;
    }
    n_iso += res.isolated;
    n_outer += res.isolated && cases[i].kind == F_PAYLOAD && !res.isolated_own;
    n_kind += res.kind_ok;
    by_kind[cases[i].kind][2] += res.isolated;
    by_kind[cases[i].kind][3] += res.kind_ok;
    n_end += res.at_end;
    n_end_kind += res.end_kind_ok;
    if (r->verbose || !res.isolated || !res.kind_ok || !res.at_end || !res.end_kind_ok ||
        res.false_alarm)
      printf("  %-20s %-13s onset %5.2f s: %s%s named %-20s as %-13s latency %6.3f s%s%s%s%s %s\n",
             what, k_fnames[cases[i].kind], cases[i].onset_s, res.detected ? "" : "MISSED ",
             res.isolated ? "" : "WRONG", res.named, res.kind, res.latency_s,
             res.at_end ? "" : " NOT-AT-END", res.at_end && !res.end_kind_ok ? " END-AS-" : "",
             res.at_end && !res.end_kind_ok ? res.end_kind : "",
             res.false_alarm ? " FALSE-ALARM" : "", res.why);
    if (cases[i].kind == F_LOCK && cases[i].effect_s > cases[i].onset_s + 0.05 && r->verbose)
      printf("    (lock without effect until %.2f s: the healthy joint held still)\n",
             cases[i].effect_s);
    if (cases[i].kind == F_PAYLOAD && cases[i].outer >= 0 && cases[i].own >= 0 &&
        (!cases[i].own_shows || !res.isolated_own)) {
      char until[48] = "";
      if (cases[i].own_shows)
        snprintf(until, sizeof until, " until %.2f s", cases[i].own_from_s);
      printf("    (%s: its own joints carry the weight under their thresholds%s: %s chain %s, "
             "which carries it, names it)\n",
             cases[i].chain, until, cases[i].own_shows ? "until then" : "only",
             r->group_name[cases[i].outer]);
    }
  }
  double p50 = quantile(lat, n_lat, 0.5), p95 = quantile(lat, n_lat, 0.95);
  double tp50 = quantile(tlat, n_lat, 0.5), tp95 = quantile(tlat, n_lat, 0.95);
  double ep50 = quantile(elat, n_lat, 0.5), ep95 = quantile(elat, n_lat, 0.95);
  double d = n_obs > 0 ? (double)n_obs : 1;
  printf("%s: observable %zu of %zu; detected %.1f %%; detection latency (robot clock) p50 "
         "%.0f ms p95 %.0f ms (at the 10 Hz status: p50 %.0f ms p95 %.0f ms); isolation "
         "%.1f %%; kind %.1f %%; still reported at the end %.1f %% (as its kind %.1f %%); false "
         "alarms before onset %zu\n",
         shadow ? "shadow" : "mirror", n_obs, nc, 100.0 * (double)n_det / d, 1e3 * p50, 1e3 * p95,
         1e3 * tp50, 1e3 * tp95, 100.0 * (double)n_iso / d, 100.0 * (double)n_kind / d,
         100.0 * (double)n_end / d, 100.0 * (double)n_end_kind / d, n_fa);
  printf("%s: latency from the first observable effect (a lock or no torque: when the joint is "
         "first 0.01 rad from where a healthy one is; a payload: when what it adds to the "
         "motion's torques, its weight and its inertia, first loads the chain above the residual "
         "threshold) p50 %.0f ms p95 %.0f ms\n",
         shadow ? "shadow" : "mirror", 1e3 * ep50, 1e3 * ep95);
  for (int k = 0; k < 4; k++)
    if (by_kind[k][0] > 0)
      printf("    %-13s observable %2zu detected %2zu isolated %2zu kind %2zu; latency from the "
             "effect p50 %.0f ms p95 %.0f ms\n",
             k_fnames[k], by_kind[k][0], by_kind[k][1], by_kind[k][2], by_kind[k][3],
             1e3 * quantile(klat[k], n_klat[k], 0.5), 1e3 * quantile(klat[k], n_klat[k], 0.95));
  if (n_outer > 0)
    printf("    (%zu payloads first named on the chain that carries theirs while their own "
           "joints could not tell them; asking for their own chain, isolation %.1f %%)\n",
           n_outer, 100.0 * (double)(n_iso - n_outer) / d);
}

typedef struct payload {
  const char *body, *chain;
  double mass;
} payload_t;

/* The kinematic tree and each joint's residual floor (fdi_torque_floor_nm, at
 * most a quarter of the joint's effort limit, as dtw_sync_set_effort_limits
 * documents). */
static void rig_tree(rig_t *r) {
  dtw_sim_joint_parents(dtw_twin_sim(r->twin), r->parent, r->links);
  for (size_t j = 0; j < r->n; j++) {
    double lim = dtw_sim_dyn_effort_limit(r->dyn, j);
    r->floor_nm[j] = lim > 0 && isfinite(lim) ? fmin(r->set.fdi_torque_floor_nm, 0.25 * lim)
                                               : r->set.fdi_torque_floor_nm;
  }
}

/* The synchronizer's chains as it parses them: each joint's group, the names. */
static int rig_chains(rig_t *r, char *err, size_t errlen) {
  dtw_sync_t *sync = NULL;
  dtw_sync_report_t *rep = malloc(sizeof *rep);
  int rc = rep == NULL ? dtw_errf(err, errlen, DTW_ENOMEM, "out of memory")
                       : dtw_sync_create(&r->set, r->names, r->n, &sync, err, errlen);
  if (rc == 0 && r->groups != NULL) rc = dtw_sync_set_joint_groups(sync, r->groups, err, errlen);
  if (rc == 0) {
    dtw_sync_report(sync, rep);
    r->n_groups = rep->n_groups;
    for (size_t g = 0; g < rep->n_groups; g++)
      snprintf(r->group_name[g], DTW_NAME_MAX, "%s", rep->groups[g].name);
    for (size_t j = 0; j < r->n; j++) r->group_of[j] = rep->joints[j].group;
  }
  dtw_sync_destroy(sync);
  free(rep);
  return rc;
}

/* --model: one payload at the end of each chain */
static payload_t g_loads[DTW_SYNC_MAX_GROUPS];
static size_t g_n_loads;
static char g_load_names[2][DTW_SYNC_MAX_GROUPS][DTW_NAME_MAX];

/* Another robot, set up as `dtwin up` sets it up (the controller is derived by
 * dtw_twin_create): joint groups from its chains where the default groups do
 * not cover it, the generic motion where the demo motion does not fit, and a
 * payload at the body the last joint of each group moves. */
static int other_robot(rig_t *r, char *err, size_t errlen) {
  const dtw_joint_desc_t *jd = dtw_twin_joints(r->twin);
  if (!dtw_sync_groups_cover(r->set.joint_groups, r->names, r->n)) {
    size_t cap = DTW_MAX_JOINTS * (DTW_NAME_MAX + 1) + DTW_SYNC_MAX_GROUPS * (DTW_NAME_MAX + 2);
    r->groups = malloc(cap);
    if (r->groups == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    int rc = dtw_sync_groups_from_tree(r->names, r->parent, r->n, DTW_SYNC_MAX_GROUPS - 1, r->groups,
                                       cap, err, errlen);
    if (rc < 0) return rc;
    printf("joint groups from the kinematic chains: %s\n", r->groups);
  }
  for (size_t k = 0; k < r->motion.n_joints; k++)
    if (dtw_robot_joint_index_in(jd, r->n, r->motion.joint_names[k]) < 0) {
      dtw_motion_gen_opts_t o;
      dtw_motion_gen_opts_default(&o);
      dtw_twin_get_joint_state(r->twin, &r->out);
      size_t shrunk = 0;
      int rc = dtw_motion_generic(jd, r->n, r->out.position, &o, &r->motion, err, errlen);
      if (rc == 0) rc = dtw_twin_motion_clear(r->twin, &r->motion, &shrunk, err, errlen);
      if (rc < 0) return rc;
      printf("generic motion (as dtwin up's): %zu joints in %zu waves, %zu points made smaller "
             "to keep clear of contacts\n", r->motion.n_joints,
             dtw_motion_generic_waves(r->motion.n_joints, &o), shrunk);
      break;
    }
  // each group (as the synchronizer parses it) ends at its deepest member
  int rc = rig_chains(r, err, errlen);
  for (size_t g = 0; rc == 0 && g < r->n_groups && g_n_loads < DTW_SYNC_MAX_GROUPS; g++) {
    int last = -1, last_depth = -1;
    for (size_t j = 0; j < r->n; j++) {
      if (r->group_of[j] != (int)g) continue;
      int depth = depth_of(r, (int)j);
      if (depth > last_depth) last = (int)j, last_depth = depth;
    }
    if (last < 0) continue;
    size_t i = g_n_loads++;
    snprintf(g_load_names[0][i], DTW_NAME_MAX, "%s", r->links[last]);
    snprintf(g_load_names[1][i], DTW_NAME_MAX, "%s", r->group_name[g]);
    g_loads[i] = (payload_t){g_load_names[0][i], g_load_names[1][i], 0};
  }
  return rc;
}

static rig_t r;

int main(int argc, char **argv) {
  uint64_t seed = 1;
  double after = 3.0, nominal = 3600;
  const char *mode = "both", *only = NULL, *integrator = NULL, *model = NULL, *xargs = NULL,
             *only_kind = NULL;
  double payload_kg = 2.0;
  bool verbose = false;
  r.motion_pause_s = 0.3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--after") == 0 && i + 1 < argc) after = atof(argv[++i]);
    else if (strcmp(argv[i], "--nominal") == 0 && i + 1 < argc) nominal = atof(argv[++i]);
    else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) mode = argv[++i];
    else if (strcmp(argv[i], "--joint") == 0 && i + 1 < argc) only = argv[++i];
    else if (strcmp(argv[i], "--integrator") == 0 && i + 1 < argc) integrator = argv[++i];
    else if (strcmp(argv[i], "--verbose") == 0) verbose = true;
    else if (strcmp(argv[i], "--baseline") == 0) r.baseline = true;
    else if (strcmp(argv[i], "--no-controller") == 0) r.no_controller = true;
    else if (strcmp(argv[i], "--effort-noise") == 0 && i + 1 < argc) r.effort_noise = atof(argv[++i]);
    else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
    else if (strcmp(argv[i], "--xacro-args") == 0 && i + 1 < argc) xargs = argv[++i];
    else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) only_kind = argv[++i];
    else if (strcmp(argv[i], "--payload-kg") == 0 && i + 1 < argc) payload_kg = atof(argv[++i]);
    else if (strcmp(argv[i], "--motion-pause") == 0 && i + 1 < argc)
      r.motion_pause_s = fmax(0.0, atof(argv[++i]));
    else {
      fprintf(stderr,
              "usage: bench_faults [--seed N] [--after S] [--nominal S] [--mode shadow|mirror|both] "
              "[--joint NAME] [--kind KIND] [--effort-noise NM] [--no-controller] [--motion-pause S] "
              "[--integrator NAME] [--model PATH "
              "[--xacro-args ARGS] [--payload-kg KG]] [--verbose]\n");
      return 2;
    }
  }
  int kind_only = -1;
  bool nominal_only = only_kind != NULL && strcmp(only_kind, "none") == 0;
  for (int k = F_LOCK; only_kind != NULL && k <= F_PAYLOAD; k++)
    if (strcmp(only_kind, k_fnames[k]) == 0) kind_only = k;
  if (only_kind != NULL && kind_only < 0 && !nominal_only) {
    fprintf(stderr,
            "bench_faults: --kind: locked, no_torque, sensor_frozen, payload or none\n");
    return 2;
  }
  if (!(payload_kg > 0 && payload_kg < 1000)) {
    fprintf(stderr, "bench_faults: --payload-kg: a mass in (0, 1000) kg\n");
    return 2;
  }
  char err[1024], path[4096];
  setvbuf(stdout, NULL, _IOLBF, 0);
  r.verbose = verbose;
  dtw_twin_settings_t ts;
  if (dtw_param_defaults(&dtw_twin_param_table, &ts) != 0 ||
      dtw_param_defaults(&dtw_sync_param_table, &r.set) != 0)
    return 1;
  ts.rtf = 0;
  if (integrator != NULL) snprintf(ts.integrator, sizeof ts.integrator, "%s", integrator);
  if (model != NULL) snprintf(ts.model, sizeof ts.model, "%s", model);
  if (xargs != NULL) snprintf(ts.xacro_args, sizeof ts.xacro_args, "%s", xargs);
  printf("integrator: %s (robot and twin)%s%s\n", ts.integrator, model ? "; model " : "",
         model ? model : "");
  if (dtw_twin_create(&ts, &r.robot, err, sizeof err) < 0 ||
      dtw_twin_create(&ts, &r.twin, err, sizeof err) < 0) {
    fprintf(stderr, "bench_faults: %s\n", err);
    return 1;
  }
  dtw_emu_scale_model(r.robot, 1.05, 1.2);  /* the robot emulator's model error */
  dtw_twin_get_joint_state(r.twin, &r.out);
  r.n = r.out.n_name;
  for (size_t j = 0; j < r.n; j++) r.names[j] = r.out.name[j];
  static char name_store[DTW_MAX_JOINTS][DTW_NAME_MAX];
  for (size_t j = 0; j < r.n; j++) {
    memcpy(name_store[j], r.out.name[j], DTW_NAME_MAX);
    r.names[j] = name_store[j];
  }
  if (dtw_sim_dyn_create(dtw_twin_robot(r.twin), r.names, r.n, &r.dyn, err, sizeof err) < 0 ||
      dtw_sim_dyn_create(dtw_twin_robot(r.twin), r.names, r.n, &r.probe, err, sizeof err) < 0 ||
      dtw_traj_msg_init(&r.motion, 1024) < 0 ||
      dtw_path_resolve("config/motions/demo.yaml", path, sizeof path, err, sizeof err) < 0 ||
      dtw_traj_file_load(path, &r.motion, err, sizeof err) < 0 ||
      dtw__delay_queue_init(&r.q, 64, 3 * r.n) < 0) {
    fprintf(stderr, "bench_faults: %s\n", err);
    return 1;
  }
  rig_tree(&r);
  if ((model != NULL ? other_robot(&r, err, sizeof err) : rig_chains(&r, err, sizeof err)) < 0) {
    fprintf(stderr, "bench_faults: %s\n", err);
    return 1;
  }
  r.motion_len_s = dtw_duration_to_s(r.motion.points[r.motion.n_points - 1].time_from_start);

  // the cases: every joint x {lock, no torque, freeze}, a payload at each hand and foot
  static fcase_t cases[MAX_CASES];
  size_t nc = 0;
  dtw__rng_t rng;
  dtw__rng_seed(&rng, seed);
  // (onsets and seeds are drawn for every case, so --kind and --joint leave the others' as
  // they were)
  unsigned ix = 0;
  for (size_t j = 0; j < r.n; j++)
    for (int k = F_LOCK; k <= F_FREEZE; k++) {
      double onset = ONSET_MIN_S + (ONSET_MAX_S - ONSET_MIN_S) * dtw__rng_uniform(&rng);
      unsigned case_ix = ix++;
      if (only != NULL && strcmp(only, r.names[j]) != 0) continue;
      if (kind_only >= 0 && kind_only != k) continue;
      cases[nc++] = (fcase_t){.kind = (fkind_t)k, .joint = (int)j, .obs = -1, .onset_s = onset,
                              .ix = case_ix};
    }
  static const payload_t demo_loads[] = {{"left_forearm", "left_arm", 2.0},
                                         {"right_forearm", "right_arm", 2.0},
                                         {"left_foot", "left_leg", 3.0},
                                         {"right_foot", "right_leg", 3.0}};
  const payload_t *loads = model != NULL ? g_loads : demo_loads;
  size_t n_loads = model != NULL ? g_n_loads : sizeof demo_loads / sizeof demo_loads[0];
  for (size_t i = 0; i < n_loads && nc < MAX_CASES; i++) {
    double onset = ONSET_MIN_S + (ONSET_MAX_S - ONSET_MIN_S) * dtw__rng_uniform(&rng);
    unsigned case_ix = ix++;
    if (only != NULL && strcmp(only, loads[i].body) != 0) continue;
    if (kind_only >= 0 && kind_only != F_PAYLOAD) continue;
    cases[nc++] = (fcase_t){.kind = F_PAYLOAD, .joint = -1, .obs = -1, .body = loads[i].body,
                            .chain = loads[i].chain,
                            .mass_kg = model != NULL ? payload_kg : loads[i].mass,
                            .onset_s = onset, .ix = case_ix};
  }
  if (nominal_only) nc = 0; /* (the cases were drawn: the nominal seed is the same) */
  if (record_nominal(&r, ONSET_MAX_S + after + 1) < 0) return 1;
  printf("bench_faults: %zu joints, %zu cases per mode, seed %llu, %.1f s after each onset\n",
         r.n, nc, (unsigned long long)seed, after);
  if (strcmp(mode, "mirror") != 0 && nc > 0) matrix(&r, true, cases, nc, after, seed);
  if (strcmp(mode, "shadow") != 0 && nc > 0) matrix(&r, false, cases, nc, after, seed);
  if (nominal > 0 && only == NULL && kind_only < 0) {
    for (int m = 0; m < 2; m++) {
      if ((m == 0 && strcmp(mode, "mirror") == 0) || (m == 1 && strcmp(mode, "shadow") == 0))
        continue;
      result_t res;
      double alarm_s = 0;
      if (run(&r, m == 0, NULL, nominal, seed + 1000, &res, &alarm_s) < 0) return 1;
      printf("nominal %s: %.0f s simulated, %.1f s with a fault or DIVERGED reported\n",
             m == 0 ? "shadow" : "mirror", nominal, alarm_s);
    }
  }
  dtw__delay_queue_fini(&r.q);
  dtw_traj_msg_fini(&r.motion);
  dtw_sim_dyn_destroy(r.dyn);
  dtw_twin_destroy(r.robot);
  dtw_twin_destroy(r.twin);
  dtw_sim_dyn_destroy(r.probe);
  free(r.groups);
  free(g_rec_q);
  free(g_rec_v);
  free(g_rec_tau);
  return 0;
}
