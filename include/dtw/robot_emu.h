/* dtw/robot_emu.h - the robot emulator component: a twin (dtw/twin.h) made
 * to behave like a physical robot, and what its measurements go through on
 * the way out. No DDS, no metrics: the node adapter (dtw/robot_node.h) joins
 * it to the bus and counts what it reports.
 *
 * The emulated robot differs from its description the way a real one does:
 *   model error      masses x mass_scale, friction/damping x friction_scale
 *                    (the twin's controller keeps the described model);
 *   physical faults  a joint that seizes or loses its torque, a payload;
 *   encoder noise    Gaussian on positions and velocities, from a seeded
 *                    PRNG (xoshiro256**): the same seed gives the same noise;
 *   latency          a sample is stamped when measured and leaves when due,
 *                    latency_s + U(0, latency_jitter_s) later, never before
 *                    one measured earlier (one link, no overtaking);
 *   loss             each sample dropped with probability loss_rate;
 *   its own clock    stamp = simulated time since start + clock_offset_s;
 *   an operator      `motion` (a YAML motion, or "generic") played on it;
 *   sensor faults    an encoder that freezes, a feed that goes silent;
 * or it replays a recording (CSV, or an MCAP file's JointStates) through the
 * same link instead of running the physics.
 *
 * Time: everything runs on the robot's simulated time, steps x the twin's
 * timestep; the owner paces the steps.
 * Ownership: the emulator borrows the twin (which must outlive it) and owns
 * the rest. Allocation: create sizes everything (delay queue for the largest
 * latency at the highest sample rate, replay rows, motion); the step
 * functions do not allocate. Threads: one thread drives an emulator and its
 * twin. Errors: negative DTW_E* codes (dtw/err.h), with one line in err
 * naming the setting or file at fault. */
#ifndef DTW_ROBOT_EMU_H
#define DTW_ROBOT_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/config.h"
#include "dtw/msgs.h"
#include "dtw/twin.h"

/* ---- physical faults on a twin ----------------------------------------------
 * Through the twin's plant hooks (dtw_twin_sim, dtw_twin_set_effort_gain,
 * dtw_twin_set_feedforward_scale). Call between steps from the twin's
 * thread. None allocates except a first lock (the saved limits). */

typedef enum {
  DTW_EMU_JOINT_OK = 0,
  DTW_EMU_JOINT_LOCKED,    /* seized: stays at the position it had when locked, velocity 0 */
  DTW_EMU_JOINT_NO_TORQUE  /* its actuator delivers nothing (broken driver, e-stop on one axis) */
} dtw_emu_joint_fault_t;

/* Put joint `joint` (joint_states order) into a fault state, or back to OK.
 * A locked joint is a stiff constraint on its own axis (its actuator still
 * pushes); a joint without torque gets effort gain 0. Returns 0, DTW_EINVAL
 * (no such joint or fault) or DTW_ENOMEM. */
int dtw_emu_set_joint_fault(dtw_twin_t *twin, size_t joint, dtw_emu_joint_fault_t fault);

/* Model error: masses/inertias x mass_scale, friction and damping x
 * friction_scale, relative to the model as loaded (dtw_sim_scale_model). The
 * controller's gravity/Coriolis feed-forward stays the described model's.
 * Returns 0, DTW_EINVAL (a scale not finite and > 0) or DTW_ESIM. */
int dtw_emu_scale_model(dtw_twin_t *twin, double mass_scale, double friction_scale);

/* A payload of mass_kg (negative removes it) at body `body`
 * (dtw_sim_add_payload). Returns 0 or DTW_EINVAL. */
int dtw_emu_add_payload(dtw_twin_t *twin, const char *body, double mass_kg);

/* ---- the emulator ------------------------------------------------------------ */

/* Settings of the emulated robot (part of node "robot", dtw/robot_node.h). */
#define DTW_ROBOT_EMU_PARAMS(X)                                                               \
  X(DOUBLE, mass_scale, "1.05", 0.1, 10, NULL,                                                \
    "Model error: the robot's masses and inertias are the model's times this")               \
  X(DOUBLE, friction_scale, "1.2", 0, 10, NULL,                                               \
    "Model error: the robot's joint friction and damping are the model's times this")        \
  X(DOUBLE, encoder_noise_rad, "0.0005", 0, 1, NULL,                                          \
    "Standard deviation of the Gaussian noise on measured joint positions (rad)")            \
  X(DOUBLE, velocity_noise_rad_s, "0.005", 0, 10, NULL,                                       \
    "Standard deviation of the Gaussian noise on measured joint velocities (rad/s)")         \
  X(DOUBLE, effort_noise_nm, "0", 0, 1000, NULL,                                              \
    "Standard deviation of the Gaussian noise on measured joint efforts (N m; a drive's "     \
    "current sensor: a dead drive then reads as noise around 0, not an exact 0)")             \
  X(INT, seed, "1", 0, 4294967295.0, NULL,                                              \
    "Seed of the noise, jitter and loss random numbers (same seed, same sequence)")          \
  X(DOUBLE, latency_s, "0.002", 0, 2, NULL,                                                   \
    "Fixed transport latency: a sample is published this long after it was measured (s)")   \
  X(DOUBLE, latency_jitter_s, "0.001", 0, 1, NULL,                                            \
    "Extra latency drawn uniformly from [0, latency_jitter_s] per sample (s)")               \
  X(DOUBLE, loss_rate, "0", 0, 1, NULL, "Probability that a sample is lost (never published)") \
  X(DOUBLE, clock_offset_s, "0", -1e10, 1e10, NULL,                                            \
    "Offset of the robot's clock: stamp = simulated time since start + clock_offset_s (s)") \
  X(STRING, motion, "", 0, 0, NULL,                                                           \
    "YAML motion (as config/motions/) the robot's operator runs on it; 'generic' = every "  \
    "joint moving throughout, each through a larger excursion in turn (from the model); "   \
    "empty = hold pose")                                                                     \
  X(BOOL, motion_loop, "true", 0, 0, NULL, "Start the motion again each time it finishes")    \
  X(STRING, fault__lock_joint, "", 0, 128, NULL,                                              \
    "Fault: this joint seizes (stays where it is) at fault.lock_at_s; empty = none")         \
  X(DOUBLE, fault__lock_at_s, "0", 0, 1e9, NULL, "Simulated time the lock fault starts (s)")   \
  X(STRING, fault__no_torque_joint, "", 0, 128, NULL,                                         \
    "Fault: this joint's actuator delivers no torque from fault.no_torque_at_s; empty = none") \
  X(DOUBLE, fault__no_torque_at_s, "0", 0, 1e9, NULL,                                         \
    "Simulated time the no-torque fault starts (s)")                                          \
  X(STRING, fault__freeze_joint, "", 0, 128, NULL,                                            \
    "Fault: this joint's encoder freezes (its published position stays at its value at "    \
    "fault.freeze_at_s, velocity 0) while the physics goes on; empty = none")                \
  X(DOUBLE, fault__freeze_at_s, "0", 0, 1e9, NULL, "Simulated time the sensor freezes (s)")   \
  X(STRING, fault__payload_body, "", 0, 128, NULL,                                            \
    "Fault: a mass of fault.payload_kg is added at this body's centre of mass at "          \
    "fault.payload_at_s (something the robot picked up); empty = none")                     \
  X(DOUBLE, fault__payload_kg, "2", 0.001, 1e4, NULL, "Mass of the payload fault (kg)")       \
  X(DOUBLE, fault__payload_at_s, "0", 0, 1e9, NULL, "Simulated time the payload is added (s)") \
  X(DOUBLE, fault__silent_at_s, "-1", -1, 1e9, NULL,                                          \
    "Fault: no joint_states are published from this simulated time (s); -1 = never")        \
  X(DOUBLE, fault__silent_for_s, "0", 0, 1e9, NULL,                                           \
    "How long the feed stays silent (s); 0 = for good")                                      \
  X(STRING, replay_file, "", 0, 0, NULL,                                                      \
    "Recording published instead of running the physics: CSV (header time_s,<joint>..."      \
    "[,<joint>.velocity...]) or MCAP (*.mcap: sensor_msgs/JointState); empty = physics")     \
  X(STRING, replay_topic, "", 0, 256, NULL,                                                   \
    "MCAP replay: the JointState topic; empty = /joint_states, else the file's only one")    \
  X(DOUBLE, replay_rate, "1", 0.01, 100, NULL,                                                \
    "Replay speed: recorded times divided by this, velocities multiplied (1 = real time)")    \
  X(BOOL, replay_loop, "true", 0, 0, NULL, "Start the recording again when it ends")

DTW_PARAM_STRUCT(dtw_robot_emu_settings_t, DTW_ROBOT_EMU_PARAMS);

/* The faults (metric label fault=...). */
typedef enum {
  DTW_ROBOT_FAULT_LOCK = 0,
  DTW_ROBOT_FAULT_NO_TORQUE,
  DTW_ROBOT_FAULT_FREEZE,
  DTW_ROBOT_FAULT_SILENT,
  DTW_ROBOT_FAULT_PAYLOAD,
  DTW_ROBOT_FAULT_COUNT
} dtw_robot_fault_t;

/* "lock", "no_torque", "freeze", "silent", "payload"; "invalid" for anything else. */
const char *dtw_robot_fault_name(int fault);

/* At most this many faults scheduled at once (configured and commanded). */
#define DTW_ROBOT_EMU_MAX_FAULTS 4

/* One scheduled fault, as dtw_robot_emu_fault reports it. */
typedef struct dtw_robot_emu_fault {
  dtw_robot_fault_t kind;
  const char *joint;   /* published joint name, the body for a payload, "" for silent;
                          owned by the emulator */
  double start_s;      /* robot time */
  double duration_s;   /* 0 = for good */
  bool active;
} dtw_robot_emu_fault_t;

typedef struct dtw_robot_emu_stats {
  uint64_t steps;                    /* robot clock, in twin timesteps */
  uint64_t measured;                 /* samples taken (physics or replay rows) */
  uint64_t dropped_loss, dropped_silent, dropped_overflow;
  uint64_t replay_loops;
  unsigned fault_active;             /* bit per dtw_robot_fault_t */
  double time_s;                     /* robot's simulated time since start */
} dtw_robot_emu_stats_t;

typedef struct dtw_robot_emu dtw_robot_emu_t;

/* Make twin the emulated robot: model error, the replay file (relative paths
 * through dtw_path_resolve), the configured faults, the operator's motion (a
 * trajectory handed to the twin), the link. Samples are measured every
 * round(physics rate / joint_states_rate_hz) steps (at least 1), or at the
 * replay's rows. Returns 0; DTW_ENOENT/DTW_EPARSE/DTW_EIO/DTW_ERANGE for the
 * motion or replay file ("file:line: ..."); DTW_EINVAL for a fault naming an
 * unknown joint ("robot.fault.lock_joint: unknown joint 'x' (...)"), a
 * physics fault or a motion with a replay, a motion the controller refuses, a
 * bad scale; DTW_ESIM; DTW_ENOMEM. On failure nothing is left allocated (the
 * twin may have been scaled). */
int dtw_robot_emu_create(const dtw_robot_emu_settings_t *settings, double joint_states_rate_hz,
                         dtw_twin_t *twin, dtw_robot_emu_t **out, char *err, size_t errlen);
/* NULL is a no-op. Does not destroy the twin. */
void dtw_robot_emu_destroy(dtw_robot_emu_t *emu);

/* One step of the robot, in three calls around the twin's own step (which
 * the owner makes, unless replaying, and counts):
 *   begin_step  faults due at the current robot time start or end (applied
 *               to the twin and logged), the operator's motion restarts when
 *               it has finished (every 0.1 s of robot time); returns a bit
 *               mask of the fault entries (dtw_robot_emu_fault) that changed;
 *   end_step    the clock advances one timestep, then a sample is measured
 *               when due (noise, freeze, loss, silence) and queued with its
 *               latency, or the replay rows whose time has come are;
 *   next_due    the oldest queued sample due at the robot's time, as a
 *               joint state stamped on the robot's clock (owned by the
 *               emulator, valid until the next call); NULL when none is. */
unsigned dtw_robot_emu_begin_step(dtw_robot_emu_t *emu);
void dtw_robot_emu_end_step(dtw_robot_emu_t *emu);
const dtw_joint_state_msg_t *dtw_robot_emu_next_due(dtw_robot_emu_t *emu);

/* True on the steps run-time commands are taken (every 0.1 s of robot time). */
bool dtw_robot_emu_command_due(const dtw_robot_emu_t *emu);
/* A fault command at the current robot time: "lock <joint>", "no_torque
 * <joint>", "freeze <joint>" start that fault now; "clear" ends every fault
 * but silent ones. *cleared (may be NULL) gets the bit mask of the entries a
 * clear ended, numbered as before it. Returns 0; DTW_EINVAL (unknown command
 * or joint, or replaying: logged) or DTW_EFULL (DTW_ROBOT_EMU_MAX_FAULTS
 * scheduled; logged). */
int dtw_robot_emu_command(dtw_robot_emu_t *emu, const char *text, unsigned *cleared);

/* Scheduled faults: count, and entry i (0 or DTW_ERANGE). */
size_t dtw_robot_emu_fault_count(const dtw_robot_emu_t *emu);
int dtw_robot_emu_fault(const dtw_robot_emu_t *emu, size_t i, dtw_robot_emu_fault_t *out);

void dtw_robot_emu_get_stats(const dtw_robot_emu_t *emu, dtw_robot_emu_stats_t *out);
/* True when replaying a recording instead of running physics. */
bool dtw_robot_emu_replaying(const dtw_robot_emu_t *emu);
/* Length of a step (the twin's timestep, s). */
double dtw_robot_emu_period_s(const dtw_robot_emu_t *emu);

#endif /* DTW_ROBOT_EMU_H */
