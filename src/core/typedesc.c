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
  /* "pkg/Name" means "pkg/msg/Name"; "pkg/msg/Name" and "pkg/srv/Name_Request" as given */
  const char *kind = strchr(slash + 1, '/') ? NULL : "msg/";
  for (size_t i = 0; i < dtw__n_typedescs; i++) {
    const char *n = dtw__typedescs[i].name;
    if (kind == NULL) {
      if (!strcmp(n, ros_type)) return &dtw__typedescs[i];
    } else if (!strncmp(n, ros_type, pkg + 1) && !strncmp(n + pkg + 1, kind, 4) &&
               !strcmp(n + pkg + 5, slash + 1)) {
      return &dtw__typedescs[i];
    }
  }
  return NULL;
}

size_t dtw_typedesc_count(void) { return dtw__n_typedescs; }

const dtw_typedesc_t *dtw_typedesc_at(size_t i) {
  return i < dtw__n_typedescs ? &dtw__typedescs[i] : NULL;
}
