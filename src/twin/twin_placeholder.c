/* placeholder */ typedef int dtw__twin_placeholder_t;
