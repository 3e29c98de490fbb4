/* Helpers shared by the node adapters. */
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/node.h"
#include "node__util.h"

int dtw_node_add_remaps(dtw_bus_node_t *node, const char *rules, char *err, size_t errlen) {
  char rule[512];
  const char *p = rules;
  while (*p != '\0') {
    while (*p == ' ') p++;
    if (*p == '\0') break;
    size_t len = strcspn(p, " ");
    if (len >= sizeof rule) return dtw_errf(err, errlen, DTW_ERANGE, "remapping rule too long");
    memcpy(rule, p, len);
    rule[len] = '\0';
    int rc = dtw_bus_node_add_remap(node, rule, err, errlen);
    if (rc < 0) return rc;
    p += len;
  }
  return 0;
}

uint64_t dtw__every_steps(double physics_rate_hz, double rate_hz) {
  if (rate_hz <= 0) return 0;
  double every = round(physics_rate_hz / rate_hz);
  return every < 1 ? 1 : (uint64_t)every;
}

void dtw_node_fqn(const char *ns, const char *name, char *out, size_t outlen) {
  size_t len = strlen(ns);
  bool root = len == 0 || (len == 1 && ns[0] == '/');
  snprintf(out, outlen, "%s/%s", root ? "" : ns, name);
}
