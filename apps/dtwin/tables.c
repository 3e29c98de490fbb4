/* Every parameter table the dtwin binary knows, in the order config dump and
 * docs/config.md list them. */
#include "cli.h"
#include "dtw/bridge_node.h"
#include "dtw/monitor_node.h"
#include "dtw/robot_node.h"
#include "dtw/sim_node.h"
#include "dtw/sync_node.h"
#include "dtw/viewer_node.h"
#include "process.h"
#include "up.h"

const dtw_param_table_t *const dtwin_param_tables[] = {
    &dtwin_process_param_table,   &dtwin_up_param_table,        &dtw_sim_node_param_table,
    &dtw_robot_node_param_table,  &dtw_sync_node_param_table,   &dtw_monitor_node_param_table,
    &dtw_bridge_node_param_table, &dtw_viewer_node_param_table,
};
const size_t dtwin_param_table_count = sizeof dtwin_param_tables / sizeof dtwin_param_tables[0];
