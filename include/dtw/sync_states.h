/* dtw/sync_states.h - the synchronization states by name, code and level:
 * the vocabulary the synchronizer (dtw/sync.h), the monitor, the health check
 * and the metrics share. Core layer: header only, no dependencies.
 *
 * The code of a state is its position here; it is the value of the
 * dtwin_sync_state gauge. web/app.js, the Grafana dashboard and docs/metrics.md
 * list the same names in the same order (tests/integration/test_lint.sh checks). */
#ifndef DTW_SYNC_STATES_H
#define DTW_SYNC_STATES_H

/* X(name, diagnostic level, help). Levels follow diagnostic_msgs/DiagnosticStatus
 * (0 OK, 1 WARN, 2 ERROR): nothing to compare yet is a warning; a twin that
 * disagrees with the robot or has lost it is an error. */
#define DTW_SYNC_STATES(X)                                                                     \
  X(NO_DATA, 1, "no robot sample yet, or none matched to the twin yet")                        \
  X(SYNCED, 0, "twin follows the robot within the alarms")                                     \
  X(DIVERGED, 2, "a joint's error stayed above its alarm for diverged_hold_s")                 \
  X(STALE, 2, "no robot sample, no matched one or no twin sample for stale_timeout_s")        \
  X(FAULT, 2, "a robot fault is isolated (see the fault report); latched while present")      \
  X(DEGRADED, 1, "a side cannot keep real time (its pace below degraded_rtf, or a feed gap "   \
    "within window_s): errors are measured but not judged, so no DIVERGED or new fault")

typedef enum {
#define DTW__SYNC_STATE_ENUM(name, level, help) DTW_SYNC_##name,
  DTW_SYNC_STATES(DTW__SYNC_STATE_ENUM)
#undef DTW__SYNC_STATE_ENUM
  DTW_SYNC_STATE_COUNT
} dtw_sync_state_t;

#endif /* DTW_SYNC_STATES_H */
