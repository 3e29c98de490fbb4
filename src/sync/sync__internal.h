/* sync__internal.h - the synchronizer state shared by the files of src/sync. */
#ifndef DTW_SYNC__INTERNAL_H
#define DTW_SYNC__INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/sync.h"

/* One twin sample; pos/vel/eff point into the history's storage (NaN = absent). */
typedef struct dtw__sync_twin_entry {
  double stamp_s, recv_s;
  double *pos, *vel, *eff;
} dtw__sync_twin_entry_t;

/* Fault isolation state of one joint (robot clock = sample stamps). */
typedef struct dtw__sync_fdi_joint {
  /* frozen reading: a run of bit-identical positions */
  double last_q, last_q_stamp;
  bool have_q;
  uint32_t run_n;           /* samples repeating the previous value */
  double run_start_s;       /* stamp of the first sample carrying the repeated value */
  double live, live_at_run; /* share of samples whose reading changed (slow average) */
  /* a drive that reports a constant zero effort (disabled drives do) */
  double last_e, e_live, e_live_at_run, e_run_start_s;
  uint32_t e_run_n;
  bool have_e;
  /* filtered signals and the torque residual */
  double v_f, a_f, tau_f;   /* low-passed velocity, its derivative, low-passed effort */
  double v_fast, tau_fast;  /* velocity, effort low-passed 4x faster: "now" */
  double r, thr, expected;  /* residual, its threshold, torque the joint needs (N m) */
  double quiet_s;           /* last stamp the residual was below half its threshold */
  double low_eff_s;         /* stamp the effort fell to ~0 (NaN: it is not) */
  /* candidates: stamp the condition started, NaN = not holding */
  double cand_resid_s, cand_notorque_s, cand_dead_s;
  double twin_peak;         /* decaying peak of the command's effort (N m): the twin's
                               (shadow), the robot controller's (mirror) */
  double teff_f;            /* shadow: the twin's effort at the robot's stamps, low-passed */
  double cand_vmax;         /* largest |v_f| since cand_resid_s */
  /* shadow: the robot's effort against what the model needs for the robot's own
   * measured motion (N m), and since when it is above its threshold (NaN: not) */
  double rm, cand_model_s;
  double explained_s;       /* last stamp a reported load's weight explained the residual */
  /* latched fault */
  dtw_sync_fault_t fault;   /* kind NONE = none */
  double healthy_s;         /* stamp health evidence started (NaN: none) */
  double load_sum;          /* a latched load: the sum of this many fitted masses since */
  uint32_t load_n;          /* detection, whose mean its report gives (fault.mass_kg) */
  uint64_t order;           /* detection serial, for the report order */
} dtw__sync_fdi_joint_t;

/* Per-joint error sums of one window bucket. */
typedef struct dtw__sync_acc {
  double pos_sumsq, pos_max, vel_sumsq, vel_max;
  uint32_t n_pos, n_vel;
} dtw__sync_acc_t;

typedef struct dtw__sync_bucket {
  int64_t id;               /* floor(recv / bucket width); INT64_MIN = empty */
  dtw__sync_acc_t *acc;     /* n_joints */
} dtw__sync_bucket_t;

/* One accepted robot sample's arrival. */
typedef struct dtw__sync_arrival {
  double recv_s;
  double latency_s;         /* recv - stamp */
  double offset_cand_s;     /* newest twin stamp - robot stamp; NaN without twin */
} dtw__sync_arrival_t;

/* Feed pace: one side's newest stamp and when it arrived (our clock), taken at
 * ticks; a silent feed adds no point (STALE is its state, not a slow pace). */
#define DTW__SYNC_PACE_POINTS 40
#define DTW__SYNC_PACE_GAP_TYPICAL 4.0  /* a gap: above this x the typical interval */
/* a twin this far (+ 2 typical intervals) behind its schedule is lagging */
#define DTW__SYNC_BEHIND_TOL_S 0.02
/* how fast the twin's latency may rise and still be on schedule: two
 * hosts' monotonic clocks (1000 ppm, far above any crystal's drift) */
#define DTW__SYNC_CLOCK_DRIFT 1e-3
typedef struct dtw__sync_pace_point {
  double recv_s, stamp_s;
} dtw__sync_pace_point_t;

typedef struct dtw__sync_pace_ring {
  dtw__sync_pace_point_t p[DTW__SYNC_PACE_POINTS];
  size_t len;
} dtw__sync_pace_ring_t;

struct dtw_sync {
  dtw_sync_settings_t set;
  bool shadow, estimate_offset;
  size_t n_joints;
  char (*names)[DTW_NAME_MAX];
  size_t *sorted;           /* joint indices sorted by name, for bsearch */

  /* groups: a partition of the joints */
  size_t n_groups;
  char group_names[DTW_SYNC_MAX_GROUPS][DTW_NAME_MAX];
  int *joint_group;         /* n_joints */

  /* twin history: ring ordered by stamp, oldest at twin_head */
  dtw__sync_twin_entry_t *twin;
  double *twin_store;       /* twin_cap * 3 * n_joints */
  size_t twin_cap, twin_head, twin_len;
  double last_twin_recv_s;  /* NaN: never */

  /* per-sample scratch, sized at create */
  uint64_t *seen;           /* n_joints: serial of the last sample naming it */
  uint64_t serial;
  int *map;                 /* DTW_MAX_JOINTS: message index -> joint or -1 */

  /* current errors and alarm holds (from the newest matched sample per joint) */
  double *cur_pos, *cur_vel;    /* absolute; NaN = none */
  double *above_since;          /* recv time the joint went above an alarm; NaN = below */

  /* windowed error statistics */
  double bucket_w;
  dtw__sync_bucket_t buckets[DTW_SYNC_WINDOW_BUCKETS];
  dtw__sync_acc_t *acc_store;

  /* arrivals of accepted robot samples: ring in receipt order */
  dtw__sync_arrival_t *arr;
  size_t arr_cap, arr_head, arr_len;
  double *scratch;          /* arr_cap doubles, for quantiles */

  /* latest robot state by joint (newest stamp wins) */
  double *rob_pos, *rob_vel, *rob_stamp;  /* rob_stamp NaN: never named */
  double rob_newest_stamp;
  double twin_interval_s;   /* typical recv interval of advancing twin samples; NaN */
  double rob_interval_s;    /* typical recv interval of accepted robot samples; NaN */
  uint32_t rob_n_intervals, twin_n_intervals;  /* seen, for the typical ones (capped) */
  double rob_lat_min;       /* fastest arrival (recv - stamp) of the current robot clock; NaN */

  /* fault isolation */
  dtw__sync_fdi_joint_t *fdi;   /* n_joints */
  dtw_sync_dynamics_fn dyn;
  void *dyn_ctx;
  dtw_sync_load_fn load;
  void *load_ctx;
  size_t *chain_idx;            /* n_joints scratch: one chain's joints, then its fit's */
  double *per_kg;               /* n_joints: one chain's torques per kg (in per_kg_all) */
  /* each chain's, taken once per robot sample (the fits ask for them several
   * times), in the motion and still: 2 x DTW_SYNC_MAX_GROUPS x n_joints, the
   * max_kg, the sample they are for */
  double *per_kg_all;
  double per_kg_max[2 * DTW_SYNC_MAX_GROUPS];
  uint64_t per_kg_at[2 * DTW_SYNC_MAX_GROUPS];
  uint64_t fdi_samples;         /* robot samples the filters took (0: none yet) */
  double *floor_nm;             /* n_joints: each residual threshold's floor (N m) */
  double *limit_nm;             /* n_joints: each drive's effort limit (INFINITY: unknown) */
  double fit_since[DTW_SYNC_MAX_GROUPS];  /* stamp a chain's residuals began to fit a weight */
  double fit_last[DTW_SYNC_MAX_GROUPS];   /* ... and last fitted it */
  double fit_mass[DTW_SYNC_MAX_GROUPS];   /* that weight, kg; NaN: no fit */
  double mfit_since[DTW_SYNC_MAX_GROUPS]; /* shadow: the model residuals (rm) as well */
  double mfit_last[DTW_SYNC_MAX_GROUPS];
  int fit_via[DTW_SYNC_MAX_GROUPS];       /* the chain whose residuals led to a chain's
                                             fit further out (a finger's: the arm); -1 */
  int load_outer[DTW_SYNC_MAX_GROUPS];    /* the chain further out whose load report this
                                             chain's residuals went to; -1 none */
  double *fq, *fv, *fa, *ftau, *fgrav;  /* n_joints scratch for the model call */
  double *twin_eff_at;          /* n_joints: twin effort at the newest match; NaN unknown */
  /* mirror: the robot's controller (dtw_sync_on_robot_controller), n_joints each:
   * position error, commanded effort (NaN unknown), and when it was received
   * (per joint: a robot may run several controllers) */
  double *ctl_err, *ctl_eff, *ctl_recv_at;
  /* ... its reference position (NaN: none given), and the robot time (the
   * newest robot sample's stamp) at which that reference last moved
   * (-INFINITY: not since first seen) */
  double *ctl_ref, *ctl_ref_moved_s;
  double *cmd_off;              /* n_joints scratch: |off the command| (rad); NaN unknown */
  double fdi_prev_stamp_s, fdi_warm_s;  /* filters valid from fdi_warm_s (stamp) */
  uint64_t fdi_serial;
  uint64_t faults_detected[DTW_SYNC_FAULT_KIND_COUNT];
  double last_twin_stamp_s, twin_stamp_advanced_recv_s;  /* NaN: never */

  /* liveness and alignment */
  double first_robot_recv_s, last_robot_recv_s, last_match_recv_s;  /* NaN: never */
  double offset_s;          /* twin = robot + offset; NaN unknown (estimate mode) */

  /* feed pace (sync_pace.c) */
  dtw__sync_pace_ring_t robot_pts, twin_pts;
  double robot_pace, twin_pace;        /* over the window; NaN unknown */
  double rob_gap_at_s, rob_gap_s, twin_gap_at_s, twin_gap_s;  /* newest gap; NaN none */
  /* the caller's polls (dtw_sync_on_poll): this one, the one before, and its
   * newest absence longer than degraded_gap_s (the poll that ended it); NaN none */
  double poll_prev_s, poll_now_s, self_gap_at_s, self_gap_s;
  /* the twin's schedule (estimate mode): its arrival latency (recv - stamp)
   * against a reference that rises at most at DTW__SYNC_CLOCK_DRIFT (+ the
   * robot's slowness: 1 - robot_pace) */
  double twin_lat_ref_s, twin_lat_ref_at_s;  /* NaN: unknown */
  double twin_behind_s;                      /* newest latency above the reference, >= 0 */
  double twin_behind_since_s;                /* our clock; NaN: on time */
  bool twin_lagging;                         /* behind by more than degraded_gap_s, not
                                                back on time since: DEGRADED */
  uint64_t twin_realigns;
  bool degraded;                       /* at the last tick */
  char degraded_why[96];

  /* state machine and re-sync policy */
  dtw_sync_state_t state;
  double state_since_s;     /* NaN before the first tick */
  bool resync_requested, resync_in_flight;
  double resync_asked_s, last_resync_s;  /* NaN: never */
  uint64_t resyncs, resync_requests;
  uint64_t transitions[DTW_SYNC_STATE_COUNT];
  bool have_transition;
  dtw_sync_transition_t last_transition;

  /* counters */
  uint64_t robot_samples, twin_samples, twin_refused, twin_clock_resets, unknown_names;
  uint64_t robot_clock_resets;
  uint64_t outcomes[DTW_SYNC_OUTCOME_COUNT];
  char last_unknown_name[DTW_NAME_MAX];

  /* snapshot of the last tick */
  dtw_sync_report_t rep;
};

/* Joint index of a name, or -1 (binary search over sorted names). */
int dtw__sync_find_joint(const dtw_sync_t *s, const char *name);

/* Parse settings->joint_groups into s (groups, joint_group). */
int dtw__sync_parse_groups(dtw_sync_t *s, const char *spec, char *err, size_t errlen);

/* Forget every twin sample (re-sync, twin clock restart). */
void dtw__sync_twin_clear(dtw_sync_t *s);

/* Add one matched sample's absolute errors for joint j at recv time t
 * (vel NaN: unknown) to the window buckets. */
void dtw__sync_stats_add(dtw_sync_t *s, size_t j, double t, double pos_err, double vel_err);
/* Empty the error buckets and arrival ring. */
void dtw__sync_stats_reset(dtw_sync_t *s);
/* The robot's clock restarted: forget its latest state, its clock relation
 * (offset, arrivals, error window) and restart the fault filters. */
void dtw__sync_robot_clock_restart(dtw_sync_t *s);
/* Record an accepted robot sample's arrival. */
void dtw__sync_arrival_add(dtw_sync_t *s, double recv_s, double latency_s, double offset_cand_s);
/* Fill the statistics part of s->rep at now (errors, latency, rate, gaps) and
 * refresh the windowed offset estimate. */
void dtw__sync_stats_snapshot(dtw_sync_t *s, double now_s);

/* Fault isolation: allocate/initialise (create), take one accepted robot
 * sample (after matching; map valid), fill the report's fault part. */
int dtw__sync_fdi_init(dtw_sync_t *s);
void dtw__sync_fdi_free(dtw_sync_t *s);
void dtw__sync_fdi_sample(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double stamp,
                          double recv);
void dtw__sync_fdi_report(dtw_sync_t *s);
/* Forget every joint's signature candidates (not its filters or latched fault):
 * evidence gathered while not judging starts again. */
void dtw__sync_fdi_restart_candidates(dtw_sync_t *s);
/* Number of latched faults. */
size_t dtw__sync_fdi_active(const dtw_sync_t *s);

/* A frozen reading (or a constant zero effort) needs at least this many repeats. */
#define DTW__SYNC_FROZEN_MIN_REPEATS 4
/* The fault report's sentences (sync_fdi_text.c), written into joint j's
 * latched fault: its kind's, with the robot controller's command where
 * `controller` (mirror mode, fresh, with an effort); a load's with the mass kg
 * that fits (NaN: none), which it also sets as the fault's mass. */
void dtw__sync_fault_text(dtw_sync_t *s, size_t j, bool controller);
void dtw__sync_load_text(dtw_sync_t *s, size_t j, double kg);

/* Mirror mode's command (sync_ctl.c): joint j's robot controller state was
 * received within DTW_SYNC_CONTROLLER_FRESH_S of recv (false in shadow mode);
 * and that command moved the joint since its residual was last quiet (true
 * where the controller's state is not fresh or gives no reference). */
bool dtw__sync_ctl_fresh(const dtw_sync_t *s, size_t j, double recv);
bool dtw__sync_ctl_commanded(const dtw_sync_t *s, size_t j, double recv);

/* The weight model (sync_weight.c). Chain `group`'s joint with the largest
 * residual / threshold (-1: none has a residual), its ratio and the runner-up's. */
int dtw__sync_chain_top(const dtw_sync_t *s, int group, double *top_ratio, double *second_ratio);
/* The weight (kg) held at group g's end that the residuals fit, or NaN (see the
 * definition for the rules). model: fit the shadow-mode model residuals (rm).
 * via >= 0: NaN as well unless joint via carries that weight. Needs the load
 * model and every joint's state in s->fq, s->fv, s->fa; points s->per_kg at
 * the weight's torques per kg for g. */
double dtw__sync_weight_fit(dtw_sync_t *s, int g, bool model, int via);
/* Would a weight of kg at group g's end, in the robot's motion (s->fq, s->fv,
 * s->fa), push a joint beyond its residual threshold? True when it cannot be
 * told (no load model, no mass): a load's report is cleared only where the
 * weight would show. */
bool dtw__sync_weight_shows(dtw_sync_t *s, int g, double kg);
/* Does a weight of kg at group g's end, in the robot's motion, explain joint
 * j's residual (its way, within its threshold or a factor 2)? False when it
 * cannot be told. */
bool dtw__sync_weight_explains(dtw_sync_t *s, int g, double kg, size_t j);
/* The chain, other than g and carried by joint j, whose end holds the weight
 * its own joints show (its fitted mass in *kg, its strongest joint in
 * *top_joint), or -1. */
int dtw__sync_outer_chain(dtw_sync_t *s, int g, size_t j, double *kg, int *top_joint);

/* Feed pace: forget the pace points (a clock restarted); take one arrival
 * interval of the twin's (advancing) or the robot's feed; at each tick, the
 * paces over the window and whether a side is degraded (s->degraded, its
 * reason); whether verdicts may be drawn from a sample received at recv_s
 * (not while degraded, nor after a gap no tick has seen yet). */
void dtw__sync_pace_reset(dtw_sync_t *s);
void dtw__sync_pace_arrival(dtw_sync_t *s, bool twin, double interval_s, double recv_s);
void dtw__sync_twin_schedule(dtw_sync_t *s, double recv_s, double stamp_s);
void dtw__sync_twin_schedule_reset(dtw_sync_t *s);
void dtw__sync_pace_tick(dtw_sync_t *s, double now_s);
bool dtw__sync_pace_judging(const dtw_sync_t *s, double recv_s);

/* The k-th smallest of v[0..n) (0-based); reorders v. n > 0, k < n. */
double dtw__sync_select(double *v, size_t n, size_t k);

#endif /* DTW_SYNC__INTERNAL_H */
