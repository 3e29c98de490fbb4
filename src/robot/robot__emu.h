/* The pure parts of the robot emulator (no DDS, no MuJoCo, no clock reads):
 * random numbers and the transport delay queue (robot_link.c), the fault
 * schedule (robot_faults.c) and the replay recording (robot_replay*.c), which
 * dtw_robot_emu_t (dtw/robot_emu.h) puts together. Unit-tested on their own
 * (tests/unit/test_robot_link.c, test_robot_faults.c, test_robot_replay*.c). */
#ifndef DTW_ROBOT__ROBOT_EMU_H
#define DTW_ROBOT__ROBOT_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- random numbers: xoshiro256** seeded through splitmix64 ------------- */

typedef struct dtw__rng {
  uint64_t s[4];
  bool have_spare;  /* Box-Muller makes normals in pairs */
  double spare;
} dtw__rng_t;

/* Any seed (0 included) gives a valid, distinct state. */
void dtw__rng_seed(dtw__rng_t *r, uint64_t seed);
uint64_t dtw__rng_next(dtw__rng_t *r);
/* Uniform in [0, 1), 53 bits. */
double dtw__rng_uniform(dtw__rng_t *r);
/* Standard normal N(0, 1) (Box-Muller). */
double dtw__rng_normal(dtw__rng_t *r);
/* true with probability p (p <= 0: never, p >= 1: always). */
bool dtw__rng_bernoulli(dtw__rng_t *r, double p);

/* ---- delay queue ----------------------------------------------------------
 * A FIFO of fixed-width samples, each with the stamp it was measured at and
 * the time it is due. A sample is never released before one pushed earlier:
 * its due time is raised to the previous one's if needed (one link, no
 * overtaking), so releases are in push order and due times never decrease.
 * Storage is allocated at init; push/pop do not allocate. */
typedef struct dtw__delay_queue {
  size_t cap, width;   /* slots, doubles per slot */
  size_t head, count;  /* oldest slot, number queued */
  double *due_s, *stamp_s, *values;
  double last_due_s;   /* due time of the newest sample pushed */
} dtw__delay_queue_t;

/* Returns 0, DTW_EINVAL (cap or width 0) or DTW_ENOMEM. */
int dtw__delay_queue_init(dtw__delay_queue_t *q, size_t cap, size_t width);
/* Safe on a zeroed queue. */
void dtw__delay_queue_fini(dtw__delay_queue_t *q);
/* Reserve the newest slot for a sample measured at stamp_s, due at due_s
 * (raised to the previous sample's due time when earlier). Returns the slot's
 * `width` values to fill, or NULL when the queue is full (nothing queued). */
double *dtw__delay_queue_push(dtw__delay_queue_t *q, double stamp_s, double due_s);
/* The oldest sample if it is due at now_s (its values, valid until the next
 * push; *stamp_s set), removing it; NULL if none is due. */
const double *dtw__delay_queue_pop_due(dtw__delay_queue_t *q, double now_s, double *stamp_s);
/* Forget everything queued. */
void dtw__delay_queue_clear(dtw__delay_queue_t *q);

/* ---- fault schedule --------------------------------------------------------
 * Faults start at a time; a silent fault may end (duration > 0). Updating the
 * schedule with the current time reports which faults changed state, so the
 * caller applies and logs each change once. */
#define DTW__FAULT_MAX 4

typedef struct dtw__fault {
  int kind;           /* dtw_robot_fault_t */
  int joint;          /* joint index, -1 for none (silent) */
  double start_s;
  double duration_s;  /* 0 = forever */
  bool active;
} dtw__fault_t;

typedef struct dtw__fault_schedule {
  size_t n;
  dtw__fault_t f[DTW__FAULT_MAX];
} dtw__fault_schedule_t;

/* Add a fault; DTW_EFULL past DTW__FAULT_MAX, DTW_EINVAL for a negative or
 * non-finite start or duration. */
int dtw__fault_add(dtw__fault_schedule_t *s, int kind, int joint, double start_s,
                   double duration_s);
/* Whether fault f is active at time t_s (start <= t < start + duration). */
bool dtw__fault_due(const dtw__fault_t *f, double t_s);
/* Bring every fault's `active` flag to time t_s. Returns a bit mask of the
 * entries (bit i = f[i]) whose flag changed. */
unsigned dtw__fault_update(dtw__fault_schedule_t *s, double t_s);

/* ---- replay recording ------------------------------------------------------
 * CSV, one header line then one row per sample:
 *   time_s,<joint>,...[,<joint>.velocity,...]
 * Positions in rad, velocities in rad/s, times in seconds, strictly
 * increasing. Blank lines and lines starting with '#' are skipped. Every
 * velocity column must belong to a joint with a position column. */
typedef struct dtw__replay {
  size_t n_joints;     /* position columns */
  size_t n_rows;
  bool has_velocity;   /* any velocity column (missing ones are published as 0) */
  char (*names)[64];   /* n_joints names, in file order */
  int *model_index;    /* the joint's index in the model's list */
  double *time_s;      /* n_rows */
  double *position;    /* n_rows x n_joints */
  double *velocity;    /* n_rows x n_joints (0 where the file has none), or NULL */
} dtw__replay_t;

/* Load path; joint names must be among the n_known names (the model's).
 * Returns 0 or DTW_ENOENT/DTW_EIO (file), DTW_EPARSE ("file:line: ..." for a
 * missing header, unknown joint, bad cell, wrong cell count, time not
 * increasing, no rows), DTW_ENOMEM. On failure *out is zeroed. */
int dtw__replay_load(const char *path, const char *const *known, size_t n_known,
                     dtw__replay_t *out, char *err, size_t errlen);
/* Same from a buffer; name is used in messages. */
int dtw__replay_parse(const char *data, size_t len, const char *name, const char *const *known,
                      size_t n_known, dtw__replay_t *out, char *err, size_t errlen);
/* A recorded robot's sensor_msgs/JointState messages (MCAP, cdr) on topic
 * (NULL/"": /joint_states, else the file's only JointState topic). The
 * joints are the first message's names the model knows (n_known names);
 * a joint a later message lacks keeps its value. Times: header stamps from
 * the first (log times when unstamped); samples not after the previous are
 * skipped. note gets one line for the user: samples, joints, topic, names
 * that are not the model's, skips. Returns 0 or the reader's DTW_EIO /
 * DTW_EPARSE (offset and record kind), DTW_ENOENT (no such topic, or an
 * ambiguous one), DTW_EINVAL (not JointState), DTW_ENOMEM. */
int dtw__replay_load_mcap(const char *path, const char *topic, const char *const *known,
                          size_t n_known, dtw__replay_t *out, char *note, size_t notelen,
                          char *err, size_t errlen);
/* Safe on a zeroed recording. */
void dtw__replay_fini(dtw__replay_t *r);

#endif /* DTW_ROBOT__ROBOT_EMU_H */
