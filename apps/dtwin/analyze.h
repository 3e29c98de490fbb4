/* analyze.h - state of `dtwin analyze` and its report writers (cmd_analyze.c,
 * analyze_report.c). */
#ifndef DTWIN_ANALYZE_H
#define DTWIN_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/msgs.h"
#include "dtw/sim_dynamics.h"
#include "dtw/sync.h"
#include "dtw/twin.h"

typedef struct analyze_opts {
  const char *file, *robot_topic, *command_topic, *prefix;
  const char *twin_ns; /* default command topics: <twin_ns>/.../joint_trajectory */
  int pair;            /* --pair K (dtwin up --twins N recordings); -1: every pair */
} analyze_opts_t;

/* One status tick of the time series. */
typedef struct analyze_tick {
  float t_s, pos_max_rad, pos_last_rad;
  uint8_t state;
} analyze_tick_t;

/* A stretch of time not SYNCED (DIVERGED / FAULT / STALE / NO_DATA after data). */
typedef struct analyze_episode {
  double start_s, end_s; /* end < 0: still open at the end */
  int state;
  char kind[16];         /* position | velocity | stale | no_data | a fault kind (locked, ...) */
  char joints[256];      /* culprits, worst first; FAULT: the faulty joints */
  double worst_error;
} analyze_episode_t;

typedef struct analyze_joint_acc {
  double sum_sq_rms, max_pos, max_vel;
  uint64_t n;
} analyze_joint_acc_t;

typedef struct analyze {
  analyze_opts_t opt;
  dtw_twin_settings_t twin_settings;
  dtw_sync_settings_t sync_settings;
  dtw_twin_t *twin;
  dtw_sync_t *sync;
  dtw_sim_dyn_t *dyn;    /* the twin's model for the fault isolation's residuals (or NULL) */
  size_t n_joints;
  double dt, next_twin_pub, next_tick, duration_s, twin_rate_hz, rtf;
  bool twin_clock; /* the twin runs on the recorded twin's clock (dtwin recordings) */
  dtw_joint_state_msg_t twin_js, robot_js;
  dtw_joint_trajectory_msg_t traj;
  uint64_t robot_samples, commands, commands_refused, bad_messages;
  analyze_tick_t *ticks;
  size_t n_ticks, cap_ticks;
  analyze_episode_t *episodes;
  size_t n_episodes, cap_episodes;
  analyze_joint_acc_t joints[DTW_MAX_JOINTS];
  analyze_joint_acc_t groups[DTW_SYNC_MAX_GROUPS];
  double time_in_state[DTW_SYNC_STATE_COUNT];
  int last_state;
  char unknown[8][DTW_NAME_MAX]; /* robot joint names the model does not have */
  size_t n_unknown;
  dtw_sync_report_t rep;         /* scratch */
  /* robot joint names of the last message that were checked (most messages
   * name the same joints: one comparison instead of a search per name) */
  char checked[DTW_MAX_JOINTS][DTW_NAME_MAX];
  size_t n_checked;
  /* one robot/twin pair of a recording (cmd_analyze.c) */
  int pair;                      /* k of /robot_<k>, /twin_<k>; -1: the recording's only pair */
  char label[32];                /* "pair 1: " in the summary line, or "" */
  char prefix_buf[1100], robot_topic_buf[600];
  struct dtw_mcap_reader *reader;
  uint64_t t0;
  int rc;                        /* 0, or the exit code of a failed run */
  bool corrupt;
  char read_err[1024];
} analyze_t;

/* After each sync tick: time series, episodes, statistics. */
void analyze_on_tick(analyze_t *a, int tick_flags);
/* Remember robot joint names that are not the model's. */
void analyze_note_names(analyze_t *a, const dtw_joint_state_msg_t *m);
/* Write PREFIX.json and PREFIX.html. read_error: the reader's error if the
 * file was cut short or corrupt (reported), else NULL. 0 or exit code. */
int analyze_write_reports(analyze_t *a, const char *read_error);
void analyze_free(analyze_t *a);

#endif /* DTWIN_ANALYZE_H */
