/* placeholder */ typedef int dtw__sim_placeholder_t;
