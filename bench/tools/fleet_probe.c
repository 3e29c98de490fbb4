/* fleet_probe - the observer of scripts/bench_fleet.sh: one more DDS participant
 * started in a simulated pod together with the pod's processes, with the pod's
 * Cyclone configuration, so it discovers exactly what they discover. It reads
 * the graph (dtw/bus_graph.h) every millisecond until it has discovered at
 * least N participants (itself included) and every --node given, then prints
 *
 *   discovered P participants, Q nodes, E endpoints in S.SSS s
 *
 * where S counts from --since-ns (CLOCK_REALTIME ns when the pod was started;
 * default: the probe's own start); --verbose 1 also prints each change of the
 * counts. Exit 0 when found, 1 on timeout (printing
 * what it had), 2 on usage errors. Not a benchmark itself (no bench_ prefix). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtw/bus.h"
#include "dtw/bus_graph.h"

#define MAX_NODES 16

static int64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int usage(void) {
  fprintf(stderr, "usage: fleet_probe --participants N [--node FQN]... [--since-ns T] "
                  "[--timeout S] [--verbose 1]\n");
  return 2;
}

int main(int argc, char **argv) {
  long want = -1;
  const char *nodes[MAX_NODES];
  int n_nodes = 0;
  int64_t since = realtime_ns();
  double timeout_s = 60;
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v)
      return usage();
    if (strcmp(a, "--participants") == 0)
      want = strtol(v, NULL, 10);
    else if (strcmp(a, "--node") == 0 && n_nodes < MAX_NODES)
      nodes[n_nodes++] = v;
    else if (strcmp(a, "--since-ns") == 0)
      since = strtoll(v, NULL, 10);
    else if (strcmp(a, "--timeout") == 0)
      timeout_s = strtod(v, NULL);
    else if (strcmp(a, "--verbose") == 0)
      verbose = (int)strtol(v, NULL, 10);
    else
      return usage();
    i++;
  }
  if (want < 1 || timeout_s <= 0)
    return usage();

  char err[256];
  dtw_bus_t *bus = NULL;
  dtw_graph_t *g = NULL;
  if (dtw_bus_create(NULL, &bus, err, sizeof err) < 0 ||
      dtw_graph_create(bus, &g, err, sizeof err) < 0) {
    fprintf(stderr, "fleet_probe: %s\n", err);
    dtw_bus_destroy(bus);
    return 1;
  }
  const int64_t deadline = realtime_ns() + (int64_t)(timeout_s * 1e9);
  const char *missing = NULL;
  int rc = 1;
  size_t last_p = 0, last_n = 0;
  for (;;) {
    if (dtw_graph_update(g) < 0) {
      fprintf(stderr, "fleet_probe: graph update failed\n");
      break;
    }
    missing = NULL;
    for (int i = 0; i < n_nodes && !missing; i++)
      if (!dtw_graph_has_node(g, nodes[i]))
        missing = nodes[i];
    const int64_t now = realtime_ns();
    const size_t p = dtw_graph_participant_count(g);
    if (verbose && (p != last_p || dtw_graph_node_count(g) != last_n)) {
      last_p = p, last_n = dtw_graph_node_count(g);
      printf("  %.3f s: %zu participants, %zu nodes, %zu endpoints\n", (double)(now - since) / 1e9,
             p, last_n, dtw_graph_endpoint_count(g));
    }
    if (p >= (size_t)want && !missing) {
      printf("discovered %zu participants, %zu nodes, %zu endpoints in %.3f s\n", p,
             dtw_graph_node_count(g), dtw_graph_endpoint_count(g), (double)(now - since) / 1e9);
      rc = 0;
      break;
    }
    if (now > deadline) {
      printf("timeout after %.1f s: %zu participants of %ld%s%s\n", (double)(now - since) / 1e9,
             p, want, missing ? ", missing node " : "", missing ? missing : "");
      break;
    }
    struct timespec ms = {0, 1000000};
    while (nanosleep(&ms, &ms) < 0 && errno == EINTR) {
    }
  }
  fflush(stdout);
  dtw_graph_destroy(g);
  dtw_bus_destroy(bus);
  return rc;
}
