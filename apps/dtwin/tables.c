/* Every parameter table the dtwin binary knows, in the order config dump and
 * docs/config.md list them. */
#include "cli.h"
#include "dtw/sim_node.h"
#include "dtw/sync.h"
#include "process.h"

const dtw_param_table_t *const dtwin_param_tables[] = {
    &dtwin_process_param_table,
    &dtw_sim_node_param_table,
    &dtw_sync_param_table,
};
const size_t dtwin_param_table_count = sizeof dtwin_param_tables / sizeof dtwin_param_tables[0];
