/* The "sync" node's parameter table, generated from DTW_SYNC_PARAMS. */
#include <stddef.h>

#include "dtw/sync.h"

#define DTW_PARAM_STYPE dtw_sync_settings_t
DTW_PARAM_TABLE(dtw_sync_param_table, "sync",
                "Synchronization of the twin with the robot: errors, latency, state, re-sync",
                DTW_SYNC_PARAMS);
#undef DTW_PARAM_STYPE
