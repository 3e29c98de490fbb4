/* typedesc.c - lookup in the generated type description table (dtw/typedesc.h). */
#include <string.h>

#include "dtw/typedesc.h"

extern const dtw_typedesc_t dtw__typedescs[];
extern const size_t dtw__n_typedescs;

const dtw_typedesc_t *dtw_typedesc_find(const char *ros_type) {
  if (!ros_type) return NULL;
  const char *slash = strchr(ros_type, '/');
  if (!slash) return NULL;
  size_t pkg = (size_t)(slash - ros_type);
  const char *name = slash + 1;
  if (!strncmp(name, "msg/", 4)) name += 4;
  for (size_t i = 0; i < dtw__n_typedescs; i++) {
    const char *n = dtw__typedescs[i].name; /* pkg/msg/Name */
    if (!strncmp(n, ros_type, pkg) && n[pkg] == '/' && !strcmp(n + pkg + 5, name)) return &dtw__typedescs[i];
  }
  return NULL;
}

size_t dtw_typedesc_count(void) { return dtw__n_typedescs; }

const dtw_typedesc_t *dtw_typedesc_at(size_t i) {
  return i < dtw__n_typedescs ? &dtw__typedescs[i] : NULL;
}
