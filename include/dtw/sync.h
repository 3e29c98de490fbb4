/* dtw/sync.h - synchronization logic of the digital twin: compares the
 * physical robot's joint states with the twin's, explains the gap and decides
 * when to act. Pure computation: no DDS, no MuJoCo, no threads, no clock reads.
 *
 * A node adapter feeds it the samples received on <robot_namespace>/joint_states
 * (dtw_sync_on_robot_sample) and <twin_namespace>/joint_states
 * (dtw_sync_on_twin_sample) with their receive times on one monotonic clock of
 * its choice ("our clock", seconds), calls dtw_sync_tick periodically, reads
 * dtw_sync_report to publish /sync/status, logs dtw_sync_last_transition and
 * performs the re-syncs the tick asks for.
 *
 * Lifecycle: dtw_sync_create (allocates everything) -> samples/ticks/reports
 * (never allocate) -> dtw_sync_destroy. Not thread-safe: one thread calls
 * everything, or the caller serialises calls.
 *
 * Time matching. A robot sample is matched BY ITS HEADER STAMP, not by arrival
 * order: its stamp r is mapped to twin time t = r + offset and the twin's
 * position/velocity at t are interpolated linearly between the two twin
 * samples around t (twin history of twin_history_s). Stamps outside the
 * history are counted as unmatched (too_old / too_new). The offset comes from
 * time_alignment:
 *  - "fixed": offset = time_offset_s (0 when both publishers stamp with the
 *    same clock, e.g. both use sim time);
 *  - "estimate" (default): the robot stamps with its wall clock and the twin
 *    with sim time. On each robot sample the candidate c = (newest twin stamp
 *    received so far) - r is taken; the offset is the minimum of c over the
 *    last window_s of receipts (a lower candidate applies at once, a larger
 *    minimum only once older candidates leave the window, at a tick). The min
 *    keeps the mapped time inside the twin history (t <= newest twin stamp)
 *    and filters the robot's transport jitter, which only makes c larger. The
 *    matched twin state therefore lags the truly simultaneous one by about
 *    (twin sample age + twin latency - minimum robot latency): at most a few
 *    ms on a local twin. Assumes the twin runs at real-time factor ~1 (slow
 *    drift is tracked by the sliding window).
 *
 * Errors are robot minus twin (rad, rad/s), compared as absolute values;
 * angles are not wrapped. Windowed statistics (RMS and max) cover the last
 * window_s of our clock at a resolution of window_s / DTW_SYNC_WINDOW_BUCKETS
 * (samples are summed into time buckets; a bucket leaves the window as a
 * whole).
 *
 * Latency (per accepted robot sample): raw = recv_time - stamp. It mixes the
 * transport latency with the offset between the robot's clock and ours, so:
 *  - latency_*_s: raw figures (true latency when both clocks are synchronised,
 *    e.g. NTP/PTP wall clocks);
 *  - clock_offset_s: the minimum raw latency over the window = clock offset +
 *    minimum transport latency;
 *  - jitter_*_s: raw - clock_offset_s, the latency above the fastest sample:
 *    valid whatever the clocks' offset.
 *
 * Only twin joints are tracked (the twin's joint set given at create);
 * messages may list joints in any order or a subset; unknown names are
 * ignored and counted. */
#ifndef DTW_SYNC_H
#define DTW_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/config.h"
#include "dtw/msgs.h"
#include "dtw/sync_states.h"

/* ---- settings (node "sync") ------------------------------------------- */

#define DTW_SYNC_PARAMS(X)                                                                     \
  X(ENUM, mode, "shadow", 0, 0, "mirror|shadow",                                               \
    "mirror: every robot sample is forwarded to the twin, sync only measures; shadow: the "   \
    "twin runs on its own and is re-synced by threshold, period or request")                  \
  X(STRING, robot_namespace, "/robot", 1, 128, NULL,                                           \
    "Namespace of the physical robot's topics (<ns>/joint_states)")                            \
  X(STRING, robot_controller, "*", 0, 511, NULL,                                                \
    "Mirror mode: the robot's trajectory controllers, comma-separated (up to 8: one per "     \
    "limb, an arm's and a gripper's); each one's <robot_namespace>/<name>/controller_state "  \
    "(its reference, error and commanded effort) tells a joint of its own without torque. "   \
    "*: each JointTrajectoryControllerState the ROS graph shows under robot_namespace, as "   \
    "it appears; empty: none read (dtwin up hosting the emulator: its controller unless set)") \
  X(STRING, twin_namespace, "/twin", 1, 128, NULL,                                             \
    "Namespace of the twin's topics (<ns>/joint_states, <ns>/set_state)")                     \
  X(DOUBLE, window_s, "1.0", 0.05, 60, NULL,                                                   \
    "Window of the error, latency, rate and gap statistics (s)")                               \
  X(DOUBLE, alarm_position_error_rad, "0.1", 1e-6, 10, NULL,                                   \
    "A joint whose |position error| stays above this for diverged_hold_s makes the twin "     \
    "DIVERGED (rad); it recovers below 0.8x")                                                  \
  X(DOUBLE, alarm_velocity_error_rad_s, "1.0", 0, 1000, NULL,                                  \
    "Same for |velocity error| (rad/s); 0 = unchecked")                                        \
  X(DOUBLE, diverged_hold_s, "0.2", 0, 10, NULL,                                               \
    "How long an error must stay above its alarm before DIVERGED (s)")                         \
  X(DOUBLE, stale_timeout_s, "0.5", 0.01, 60, NULL,                                            \
    "STALE when no robot sample, or no matched one, arrived for this long (s)")               \
  X(DOUBLE, degraded_rtf, "0.9", 0, 1, NULL,                                                    \
    "DEGRADED while the robot's time advances slower than this x real time, or the twin's "  \
    "slower than this x the robot's, over window_s; 0 = never")                               \
  X(DOUBLE, degraded_gap_s, "0.1", 0, 60, NULL,                                                  \
    "DEGRADED for window_s after a gap between robot (or advancing twin) samples longer "    \
    "than this and than 4x the feed's typical interval (s); 0 = never")                      \
  X(DOUBLE, resync_threshold_rad, "0.5", 0, 10, NULL,                                          \
    "shadow: re-sync when the largest current position error exceeds this (rad); 0 = never")  \
  X(DOUBLE, resync_period_s, "0", 0, 86400, NULL,                                              \
    "shadow: re-sync this long after the previous one (s); 0 = never")                        \
  X(DOUBLE, status_rate_hz, "10", 0.1, 1000, NULL, "Rate of tick and /sync/status (Hz)")       \
  X(DOUBLE, twin_history_s, "2.0", 0.1, 60, NULL,                                              \
    "Twin samples kept for matching robot stamps (s)")                                         \
  X(DOUBLE, max_rate_hz, "2000", 10, 20000, NULL,                                              \
    "Highest sample rate of either topic; sizes the buffers (history = twin_history_s x "     \
    "this, statistics = window_s x this)")                                                     \
  X(ENUM, time_alignment, "estimate", 0, 0, "estimate|fixed",                                  \
    "How a robot stamp maps to twin time: estimate the offset (min-filtered), or "           \
    "twin = robot + time_offset_s")                                                            \
  X(DOUBLE, time_offset_s, "0", -1e10, 1e10, NULL,                                             \
    "fixed alignment: twin time = robot stamp + this (s)")                                     \
  X(DOUBLE, latency_alarm_s, "0.05", 0, 10, NULL,                                              \
    "Jitter p99 (latency above the window's fastest sample) above this is flagged in the "    \
    "report (s); 0 = unchecked")                                                               \
  X(DOUBLE, fdi_torque_floor_nm, "1.5", 0, 1e6, NULL,                                          \
    "Fault isolation: a joint's torque residual (reported effort - model) counts above "     \
    "this plus fdi_torque_tolerance x the model torque (N m); at most a quarter of the "      \
    "joint's effort limit, where the description gives one")                                \
  X(DOUBLE, fdi_torque_tolerance, "0.25", 0, 10, NULL,                                          \
    "Fault isolation: share of the model torque the robot may differ by (mass, friction "    \
    "error of the model)")                                                                     \
  X(DOUBLE, fdi_hold_s, "0.04", 0, 10, NULL,                                                    \
    "Fault isolation: how long (robot clock) a signature must hold before a fault is "        \
    "reported (s)")                                                                            \
  X(DOUBLE, fdi_clear_s, "2.0", 0, 3600, NULL,                                                  \
    "Fault isolation: a reported fault is cleared only after the joint showed it is healthy " \
    "again for this long (s)")                                                                 \
  X(DOUBLE, fdi_filter_s, "0.02", 0.001, 1, NULL,                                               \
    "Fault isolation: time constant of the low-pass on velocity, acceleration and effort (s)") \
  X(DOUBLE, fdi_stationary_rad_s, "0.05", 0, 10, NULL,                                          \
    "Fault isolation: a joint slower than this (filtered) is taken as not moving (rad/s)")    \
  X(STRING, joint_groups, DTW_SYNC_DEFAULT_GROUPS, 0, 0, NULL,                                 \
    "Error groups: 'group:member,member;group:...'; a member is a joint name or a prefix "    \
    "ending in '*'; unnamed joints form group 'other' (or 'all' when nothing matched). "      \
    "Where the twin's model is known (dtwin up), empty or the default not covering every "   \
    "joint means one group per kinematic chain")

/* The demo humanoid's limbs; prefixes only, so other robots load too. */
#define DTW_SYNC_DEFAULT_GROUPS                                                                \
  "left_leg:left_hip_*,left_knee*,left_ankle_*;right_leg:right_hip_*,right_knee*,right_ankle_*;" \
  "torso:torso_*;left_arm:left_shoulder_*,left_elbow*;right_arm:right_shoulder_*,right_elbow*;" \
  "head:neck_*"

DTW_PARAM_STRUCT(dtw_sync_settings_t, DTW_SYNC_PARAMS);
extern const dtw_param_table_t dtw_sync_param_table;

/* ---- states, outcomes ------------------------------------------------- */

#define DTW_SYNC_MAX_GROUPS 16
#define DTW_SYNC_MAX_CULPRITS 8      /* joints named by one transition record */
#define DTW_SYNC_WINDOW_BUCKETS 20   /* time resolution of the error window */
#define DTW_SYNC_HYSTERESIS 0.8      /* DIVERGED ends below this x alarm */
#define DTW_SYNC_RESYNC_RETRY_S 1.0  /* a re-sync not done by then is asked again */

/* The states (DTW_SYNC_STATES, dtw_sync_state_t): dtw/sync_states.h. */

/* What became of one robot sample: X(name, text, help). Matched and unmatched
 * samples are accepted (they count for liveness, latency and rate); refused
 * ones are ignored entirely. */
#define DTW_SYNC_OUTCOMES(X)                                                                   \
  X(MATCHED, "matched", "compared with the twin interpolated at its stamp")                    \
  X(TOO_OLD, "too_old", "stamp maps before the oldest twin sample kept")                       \
  X(TOO_NEW, "too_new", "stamp maps after the newest twin sample")                             \
  X(NO_TWIN, "no_twin", "no twin sample received yet")                                         \
  X(NO_OVERLAP, "no_overlap", "no joint with a value in both robot and twin samples")          \
  X(REFUSED_SIZE, "refused_size", "position/velocity count differs from the name count")      \
  X(REFUSED_NO_POSITION, "refused_no_position", "no positions")                                \
  X(REFUSED_NONFINITE, "refused_nonfinite", "NaN or infinite position or velocity")            \
  X(REFUSED_DUPLICATE, "refused_duplicate", "a joint named twice")                             \
  X(REFUSED_NO_KNOWN_JOINT, "refused_no_known_joint", "no name is a twin joint")              \
  X(REFUSED_STAMP_FUTURE, "refused_stamp_future",                                              \
    "stamp ahead of the robot's clock as its feed established it (by more than "               \
    "DTW_SYNC_STAMP_JUMP_S): never mixed into the comparison or the re-sync state")

typedef enum {
#define DTW__SYNC_OUTCOME_ENUM(name, text, help) DTW_SYNC_##name,
  DTW_SYNC_OUTCOMES(DTW__SYNC_OUTCOME_ENUM)
#undef DTW__SYNC_OUTCOME_ENUM
  DTW_SYNC_OUTCOME_COUNT
} dtw_sync_outcome_t;

/* A robot stamp more than this ahead of the robot clock its feed established
 * (the fastest arrival seen) is refused; one more than this behind the newest
 * means the robot's clock restarted. */
#define DTW_SYNC_STAMP_JUMP_S 1.0

/* Estimate mode: a twin still behind its schedule this long after it fell
 * behind has lost that time for good (the paced nodes catch up at most 2 s):
 * the clock relation is learned again from its samples (twin_realigns). */
#define DTW_SYNC_REALIGN_S 3.0

/* Fault kinds the isolation tells apart: X(name, text, what the operator checks). */
#define DTW_SYNC_FAULT_KINDS(X)                                                                \
  X(NONE, "none", "nothing")                                                                   \
  X(LOCKED, "locked", "joint does not move although its actuator pushes: brake engaged, "      \
    "gearbox seized, mechanical obstruction")                                                  \
  X(NO_TORQUE, "no_torque", "actuator delivers no torque while the joint needs some: driver "   \
    "fault or disabled, e-stop on one axis, cable")                                            \
  X(SENSOR_FROZEN, "sensor_frozen", "position reading repeats exactly while the twin or "       \
    "the sensor's own noise says it should change: encoder, its bus or the driver's feed")     \
  X(EXTERNAL_LOAD, "external_load", "a chain needs other torques than the model: payload, "     \
    "contact, tool, or a model that no longer fits (mass, friction)")                          \
  X(UNKNOWN, "unknown", "robot and twin disagree with no known signature (no effort reported, " \
    "or several causes)")

typedef enum {
#define DTW__SYNC_FAULT_ENUM(name, text, help) DTW_SYNC_FAULT_##name,
  DTW_SYNC_FAULT_KINDS(DTW__SYNC_FAULT_ENUM)
#undef DTW__SYNC_FAULT_ENUM
  DTW_SYNC_FAULT_KIND_COUNT
} dtw_sync_fault_kind_t;

/* "locked", ...; "?" for an unknown value. Never NULL. */
const char *dtw_sync_fault_kind_name(int kind);

/* "NO_DATA", "SYNCED", ...; "?" for an unknown value. Never NULL. */
const char *dtw_sync_state_name(int state);
/* Diagnostic level of a state: 0 OK, 1 WARN, 2 ERROR (2 for unknown values). */
int dtw_sync_state_level(int state);
/* "matched", "too_old", ...; "?" for an unknown value. Never NULL. */
const char *dtw_sync_outcome_name(int outcome);
/* True for the REFUSED_* outcomes. */
bool dtw_sync_outcome_refused(int outcome);

/* ---- lifecycle -------------------------------------------------------- */

typedef struct dtw_sync dtw_sync_t;

/* Create a synchronizer for the twin's joints (names copied; 1..DTW_MAX_JOINTS
 * unique, non-empty names). Settings are checked (mode, time_alignment,
 * positive window/history/rate) and joint_groups parsed: a member naming an
 * unknown joint, a joint in two groups, more than DTW_SYNC_MAX_GROUPS groups or
 * bad syntax fail with DTW_EINVAL and a message naming the culprit
 * ("joint_groups: group 'left_leg': unknown joint 'left_knee_x'"). Allocates
 * every buffer (twin history, statistics) here. Returns 0, DTW_EINVAL or
 * DTW_ENOMEM; *out is set only on success. Initial state NO_DATA. */
int dtw_sync_create(const dtw_sync_settings_t *settings, const char *const *joint_names,
                    size_t n_joints, dtw_sync_t **out, char *err, size_t errlen);
/* Free everything; NULL is fine. */
void dtw_sync_destroy(dtw_sync_t *s);

/* ---- joint groups from the robot's kinematic tree -------------------------- */

/* Write into out a joint_groups value with one group per kinematic chain:
 * parent[j] is the index of joint j's nearest actuated ancestor (-1 for none);
 * a chain starts at a joint without one or whose parent has several children
 * and runs down while a joint has exactly one child (a humanoid: each leg,
 * the torso, each arm, the head). Groups are named after their first joint
 * (a trailing "_joint" dropped, "_2"... on a clash) and list joints by exact
 * name, in table order. Above max_groups chains, the smallest chain is folded
 * into the one it hangs from (a root chain into the smallest other root
 * chain) until they fit. Returns 0, DTW_EINVAL (bad parent, a cycle, a name
 * with ':', ';', ',' or '*') or DTW_EFULL (cap too small), with a message.
 * Pure; no allocation. */
int dtw_sync_groups_from_tree(const char *const *names, const int *parent, size_t n,
                              size_t max_groups, char *out, size_t cap, char *err,
                              size_t errlen);

/* True if every name is matched by a member (exact name or prefix*) of the
 * joint_groups value spec. Pure. */
bool dtw_sync_groups_cover(const char *spec, const char *const *names, size_t n);

/* Replace the synchronizer's groups with spec (joint_groups syntax, any
 * length). Returns 0 or DTW_EINVAL as dtw_sync_create, with nothing changed.
 * Does not allocate. */
int dtw_sync_set_joint_groups(dtw_sync_t *s, const char *spec, char *err, size_t errlen);

/* ---- samples (never allocate) ------------------------------------------ */

/* Store a twin sample (stamp = header stamp, twin/sim time) in the history.
 * Joints the sample does not name are unknown at that stamp (not compared).
 * A stamp equal to the newest replaces it (a paused twin republishes); an
 * older stamp means the twin's clock restarted (reset): the history is cleared
 * first (counted in twin_clock_resets). Returns 0, or DTW_EINVAL when refused
 * (size mismatch, no positions, non-finite values, duplicate names, no twin
 * joint named, non-finite recv time; counted in twin_refused) with no change. */
int dtw_sync_on_twin_sample(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double recv_time_s);

/* Mirror mode's command: the robot's own trajectory controller state
 * (<controller>/controller_state), received at recv_time_s. Per joint named:
 * its position error (error.positions when it has one per name, else
 * reference - feedback) and, from a controller that commands effort, the
 * effort it commands (output.effort when it has one per name; else none).
 * A joint off its reference whose drive reports none of that effort has no
 * torque, also where the model needs none (a yaw joint, a limb swinging
 * free), which the robot's joint states alone cannot show. Its reference
 * positions (reference.positions, one per name), where given, tell whether the
 * command moves a joint: a still joint pushing beyond the model is read as
 * locked only against a command that moved since its residual was last
 * quiet (else it is a load). Each joint's is
 * used while fresh (received within DTW_SYNC_CONTROLLER_FRESH_S); shadow mode
 * keeps it unused (the twin runs the same command). Joints it does not name
 * keep what an earlier state gave them until that is no longer fresh: a robot
 * may run several controllers (an arm's, a gripper's), each naming its own
 * joints; call this with each one's state. Returns 0, or DTW_EINVAL (NULL,
 * non-finite time or values, neither error nor reference and feedback
 * positions one per name, no joint of the twin named) with no change. */
#define DTW_SYNC_CONTROLLER_FRESH_S 0.2
int dtw_sync_on_robot_controller(dtw_sync_t *s, const dtw_jtc_state_msg_t *msg, double recv_time_s);

/* The caller is about to hand over what it received since its previous call
 * (a node's poll), at now_s of the samples' receive clock. Optional: without
 * it every arrival interval is the feed's. With it, an arrival taken after the
 * caller itself was away (no poll) for more than degraded_gap_s is judged by
 * the silence the caller witnessed, up to its previous poll: a sync node
 * starved by its own process no longer reads as a robot or twin feed gap, and
 * the twin latencies its absence inflated do not count against the twin's
 * schedule. Its absence is a DEGRADED reason of its own ("synchronizer not run
 * for x s"). Does not allocate. */
void dtw_sync_on_poll(dtw_sync_t *s, double now_s);

/* Take a robot sample received at recv_time_s: validate, update liveness,
 * latency/rate statistics and the latest robot state, then match it by stamp
 * against the twin history and feed the error statistics. If outcome is not
 * NULL it receives what happened (counted by outcome in the report).
 * Returns 0 when accepted (matched or not), DTW_EINVAL when refused (with no
 * change but the counters) or on invalid arguments (NULL, non-finite time). */
int dtw_sync_on_robot_sample(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double recv_time_s,
                             dtw_sync_outcome_t *outcome);

/* ---- periodic work ------------------------------------------------------ */

/* Flags returned by dtw_sync_tick. */
enum {
  DTW_SYNC_TICK_TRANSITION = 1 << 0,        /* state changed: see dtw_sync_last_transition */
  DTW_SYNC_TICK_RESYNC_THRESHOLD = 1 << 1,  /* shadow: current max error > threshold */
  DTW_SYNC_TICK_RESYNC_PERIOD = 1 << 2,     /* shadow: resync_period_s elapsed */
  DTW_SYNC_TICK_RESYNC_REQUEST = 1 << 3     /* dtw_sync_request_resync was called */
};
#define DTW_SYNC_TICK_RESYNC \
  (DTW_SYNC_TICK_RESYNC_THRESHOLD | DTW_SYNC_TICK_RESYNC_PERIOD | DTW_SYNC_TICK_RESYNC_REQUEST)

/* Periodic evaluation at now_s (our clock, the recv times' clock; call at
 * status_rate_hz): recompute windowed statistics, latency, rate and gaps,
 * refresh the offset estimate, run the state machine and the re-sync policy,
 * and take the snapshot dtw_sync_report returns. State rules, in precedence:
 *   NO_DATA  no robot sample accepted yet, or none matched yet;
 *   STALE    last accepted robot sample, or last matched one, older than
 *            stale_timeout_s;
 *   DIVERGED some joint's current error above its alarm continuously for
 *            diverged_hold_s (from the receipt of the first sample above);
 *            stays until every joint's current error is below
 *            DTW_SYNC_HYSTERESIS x alarm (after a re-sync, until a fresh
 *            match gives a verdict);
 *   SYNCED   otherwise.
 * Re-sync (shadow mode only, robot state known): on request (any state); on
 * threshold or period only in SYNCED/DIVERGED. Once asked, the re-sync is in
 * flight until dtw_sync_resync_done, or asked again after
 * DTW_SYNC_RESYNC_RETRY_S. Returns a set of DTW_SYNC_TICK_* flags (>= 0) or
 * DTW_EINVAL (NULL, non-finite now). Does not allocate. */
int dtw_sync_tick(dtw_sync_t *s, double now_s);

/* Ask for a re-sync at the next tick (/sync/resync service). Returns 0,
 * DTW_ESTATE in mirror mode (every sample is already forwarded) or when no
 * robot sample has been accepted yet (nothing to send). */
int dtw_sync_request_resync(dtw_sync_t *s);

/* The adapter sent the robot's state to the twin at now_s (counted). The twin
 * history is cleared so that only twin samples received after the re-sync
 * are compared, and the current errors and alarm holds are forgotten (the
 * windowed statistics keep the past). */
void dtw_sync_resync_done(dtw_sync_t *s, double now_s);

/* The robot's latest state for /twin/set_state: every twin joint any accepted
 * robot sample named, in the twin's joint order, each with its newest value
 * by stamp; velocities only when every listed joint had one. stamp = newest
 * robot stamp. Returns 0, or DTW_ENOENT when no robot sample was accepted. */
int dtw_sync_latest_robot_state(const dtw_sync_t *s, dtw_joint_state_msg_t *out);

/* ---- model for the residuals ------------------------------------------------ */

/* Inverse dynamics of the twin's model, in the synchronizer's joint order (n
 * = the joint count given at create): for positions q, velocities qd and
 * accelerations qdd, the torques the actuators must deliver (tau) and the
 * static part at q (gravity); either output may be NULL. Returns 0 or < 0
 * (the residual is then skipped for that sample). Called from
 * dtw_sync_on_robot_sample; must not allocate. */
typedef int (*dtw_sync_dynamics_fn)(void *ctx, const double *q, const double *qd,
                                    const double *qdd, double *tau, double *gravity);

/* Give the synchronizer the model (NULL fn: none). Without it only the
 * model-free signatures are used: a frozen sensor, and in shadow mode the
 * effort and position compared with the twin's. */
void dtw_sync_set_dynamics(dtw_sync_t *s, dtw_sync_dynamics_fn fn, void *ctx);

/* A payload's signature from the twin's model, in the synchronizer's joint
 * order: for the robot's motion (positions q, and the low-passed velocities
 * qd and accelerations qdd its torque residuals use) and the joints
 * chain[0..n_chain) of one group, the torques (n) that 1 kg at the chain's
 * end needs, its weight and its inertia (dtw_sim_dyn_load_per_kg); with qd
 * and qdd NULL, its weight alone at q (asked for where the motion's do not
 * fit, and for a robot that reports no velocities); and *max_kg, a mass no
 * payload reaches (the robot's own). Returns 0 or < 0 (no fit for that
 * sample). Called from dtw_sync_on_robot_sample only while a chain's
 * residuals stand out, once per chain, sample and kind at most; must not
 * allocate. With it, residuals over a
 * chain and the other joints that carry its end (where these torques are not
 * ~0) that fit one weight held there (squared cosine >= 0.9 with these
 * torques, a mass in (0, max_kg], each joint's residual within its threshold
 * of the weight's torque, two joints showing it) are an external load after
 * 0.1 s of fitting instead of 0.5 s of one joint above its threshold (in
 * shadow mode also once they fit it after the residuals against the dynamics
 * model of dtw_sync_set_dynamics fitted it for 0.1 s), the report says the
 * mass, and a still joint whose residual fits one is not read as locked (in
 * shadow mode: where the twin holds it still too, or where the residuals
 * against the dynamics model of dtw_sync_set_dynamics fit the weight as
 * well). */
typedef int (*dtw_sync_load_fn)(void *ctx, const double *q, const double *qd, const double *qdd,
                                const size_t *chain, size_t n_chain, double *per_kg,
                                double *max_kg);
/* NULL fn: none. */
void dtw_sync_set_load_model(dtw_sync_t *s, dtw_sync_load_fn fn, void *ctx);

/* Each joint's largest |effort| (N m or N, synchronizer order; 0 = unknown),
 * from the robot's description: a torque residual's threshold then starts at
 * the smaller of fdi_torque_floor_nm and a quarter of it, so that a small
 * drive (a 1 N m finger) can show one. NULL: fdi_torque_floor_nm for all. */
void dtw_sync_set_effort_limits(dtw_sync_t *s, const double *limit_nm);

/* ---- report --------------------------------------------------------------- */

#define DTW_SYNC_MAX_FAULTS 4

/* One isolated fault. Times on the robot's clock are its stamps. */
typedef struct dtw_sync_fault {
  dtw_sync_fault_kind_t kind;
  int joint;                 /* twin joint index of the joint named first */
  int group;                 /* its group (the chain, for external_load) */
  double confidence;         /* 0..1 */
  double onset_stamp_s;      /* robot clock: when the signature started */
  double detected_stamp_s;   /* robot clock: the sample that confirmed it */
  double detected_s;         /* our clock */
  double residual_nm;        /* torque residual at detection (NaN without model) */
  double mass_kg;            /* external_load: the weight its residuals fit, the mean of the
                                fits since detection (kg); NaN: none fits, or another kind */
  char text[200];            /* "left_knee locked (residual 42.1 N m, not moving) since 12.345 s" */
} dtw_sync_fault_t;

/* Absolute errors. *_last: of the newest matched sample (a group/overall
 * takes its members' max); NaN before any. RMS and max over the window;
 * 0 when the window holds no sample (see n). */
typedef struct dtw_sync_err_stats {
  double pos_last_rad, pos_rms_rad, pos_max_rad;
  double vel_last_rad_s, vel_rms_rad_s, vel_max_rad_s;
  uint64_t n_pos, n_vel;  /* joint-samples in the window */
} dtw_sync_err_stats_t;

typedef struct dtw_sync_joint_report {
  char name[DTW_NAME_MAX];
  int group;              /* index into groups */
  bool above_alarm;       /* current error above an alarm */
  dtw_sync_err_stats_t err;
  dtw_sync_fault_kind_t fault;  /* latched fault on this joint, NONE if none */
  double residual_nm;     /* filtered torque residual, newest; NaN without model/effort */
  double residual_limit_nm; /* its threshold now */
} dtw_sync_joint_report_t;

typedef struct dtw_sync_group_report {
  char name[DTW_NAME_MAX];
  size_t n_joints;
  int worst_joint;        /* member with the largest windowed position max; -1 if none */
  dtw_sync_err_stats_t err;
} dtw_sync_group_report_t;

/* One state change. For DIVERGED the joints above an alarm, worst first
 * (by error / alarm); text is a log line such as
 * "SYNCED -> DIVERGED: left_knee 0.230 rad, left_ankle_pitch 0.120 rad". */
typedef struct dtw_sync_transition {
  double time_s;
  dtw_sync_state_t from, to;
  size_t n_culprits;      /* named below (at most DTW_SYNC_MAX_CULPRITS) */
  size_t n_above;         /* all joints above an alarm */
  struct {
    int joint;            /* index into the twin's joints */
    double pos_error_rad, vel_error_rad_s;  /* absolute; vel NaN if unknown */
  } culprits[DTW_SYNC_MAX_CULPRITS];
  char text[320];
} dtw_sync_transition_t;

typedef struct dtw_sync_report {
  double time_s;                 /* now of the tick the snapshot was taken at; NaN before */
  dtw_sync_state_t state;
  const char *state_name;        /* static string */
  int level;                     /* 0 OK, 1 WARN, 2 ERROR */
  double time_in_state_s;
  bool shadow;                   /* mode */
  size_t n_joints, n_groups;
  dtw_sync_joint_report_t joints[DTW_MAX_JOINTS];
  dtw_sync_group_report_t groups[DTW_SYNC_MAX_GROUPS];
  dtw_sync_err_stats_t overall;
  int worst_joint;               /* largest windowed position max; -1 if none */
  /* latency over the window (see the file comment); NaN without samples */
  size_t n_latency;
  double latency_last_s, latency_median_s, latency_p99_s;
  double clock_offset_s;         /* min raw latency: clock offset + min latency */
  double jitter_median_s, jitter_p99_s;
  bool latency_alarm;            /* jitter_p99_s > latency_alarm_s (if set) */
  double time_offset_s;          /* twin time = robot stamp + this; NaN if unknown */
  /* arrivals of accepted robot samples over the window */
  double rate_hz;
  double max_gap_s;              /* largest inter-arrival interval; 0 if < 2 samples */
  uint64_t gap_count;            /* intervals > 3x the median interval */
  double since_robot_s, since_match_s, since_twin_s;  /* NaN: never */
  /* counters since create */
  uint64_t robot_samples;        /* received, refused included */
  uint64_t twin_samples, twin_refused, twin_clock_resets;
  uint64_t robot_clock_resets;   /* robot stamps jumped back (a robot restarted): state, clock
                                    offset and fault filters started again */
  uint64_t outcomes[DTW_SYNC_OUTCOME_COUNT];
  uint64_t unknown_names;        /* robot names that are no twin joint (occurrences) */
  char last_unknown_name[DTW_NAME_MAX];
  uint64_t resyncs, resync_requests;
  bool resync_in_flight;
  uint64_t transitions[DTW_SYNC_STATE_COUNT];  /* by target state */
  dtw_sync_transition_t last_transition;      /* valid when a transition count > 0 */
  /* fault isolation: latched faults, first detected first */
  size_t n_faults;
  dtw_sync_fault_t faults[DTW_SYNC_MAX_FAULTS];
  uint64_t faults_detected[DTW_SYNC_FAULT_KIND_COUNT];  /* since create, by kind */
  bool have_model;               /* a dynamics model is set */
  double since_twin_stamp_advance_s;  /* our clock since the twin's stamp last advanced */
  /* feed pace over the window: robot seconds per second of our clock, twin
   * seconds per second of ours; NaN until half a window is known */
  double robot_pace, twin_pace;
  /* estimate mode: how far the twin's newest sample is behind its schedule
   * (latency above its reference; a lagging twin teaches the offset nothing),
   * and how often a lag that lasted DTW_SYNC_REALIGN_S was taken as lost time */
  double twin_behind_s;
  uint64_t twin_realigns;
  char degraded_reason[96];      /* why a side is degraded now; "" when none */
} dtw_sync_report_t;

/* Copy the snapshot taken by the last dtw_sync_tick (before any tick: the
 * counters, state NO_DATA, NaN times). No allocation; state_name and the
 * report stay valid after s is destroyed. */
void dtw_sync_report(const dtw_sync_t *s, dtw_sync_report_t *out);

/* Copy the most recent transition. Returns 0, or DTW_ENOENT if none yet. */
int dtw_sync_last_transition(const dtw_sync_t *s, dtw_sync_transition_t *out);

/* Names of the twin's joints as given to create (index = report index). */
const char *dtw_sync_joint_name(const dtw_sync_t *s, size_t joint);
/* Number of joints given to create (0 for NULL). */
size_t dtw_sync_joint_count(const dtw_sync_t *s);

/* ---- diagnostic key/values --------------------------------------------- */

typedef struct dtw_sync_kv {
  char key[48];
  char value[128]; /* a diagnostic value's limit (DTW_DIAG_TEXT_MAX) */
} dtw_sync_kv_t;

/* Key/values of a diagnostic_msgs/DiagnosticStatus for the whole twin
 * (group < 0: state, overall errors, worst joint, latency, rate, gaps,
 * counters) or for one group (its errors and worst joint). Writes at most cap
 * entries; returns the number written, or DTW_EINVAL (NULL, group out of
 * range). Pure function of the report. */
int dtw_sync_report_kv(const dtw_sync_report_t *r, int group, dtw_sync_kv_t *kv, size_t cap);

#endif /* DTW_SYNC_H */
