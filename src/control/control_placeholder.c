/* placeholder */ typedef int dtw__control_placeholder_t;
