/* cpu_snap - one line for the benchmark scripts to tell how much CPU other
 * processes took while a benchmark ran:
 *
 *   cpu_snap            -> "WALL_NS BUSY_TICKS GROUP_TICKS TICKS_PER_S"
 *   cpu_snap A B        -> "neighbours X.XX cores over S s[ (disturbed)]" from two
 *                          such lines (the first and the second snapshot)
 *
 * BUSY is the machine's non-idle CPU time (/proc/stat); GROUP is the CPU of this
 * process group (the benchmark and everything it started, exited children
 * included through their parents' counts). Neighbours = BUSY - GROUP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

int main(int argc, char **argv) {
  if (argc == 1) {
    bench_cpu_snapshot_t s;
    if (bench_cpu_snap(&s) < 0) {
      fprintf(stderr, "cpu_snap: cannot read /proc\n");
      return 1;
    }
    printf("%lld %llu %llu %ld\n", (long long)s.wall_ns, (unsigned long long)s.busy_ticks,
           (unsigned long long)s.group_ticks, s.ticks_per_s);
    return 0;
  }
  if (argc != 3) {
    fprintf(stderr, "usage: cpu_snap | cpu_snap 'SNAPSHOT' 'SNAPSHOT'\n");
    return 2;
  }
  bench_cpu_snapshot_t a, b;
  long long wa, wb;
  unsigned long long ba, ga, bb, gb;
  if (sscanf(argv[1], "%lld %llu %llu %ld", &wa, &ba, &ga, &a.ticks_per_s) != 4 ||
      sscanf(argv[2], "%lld %llu %llu %ld", &wb, &bb, &gb, &b.ticks_per_s) != 4) {
    fprintf(stderr, "cpu_snap: not snapshots: '%s' '%s'\n", argv[1], argv[2]);
    return 2;
  }
  a.wall_ns = wa, a.busy_ticks = ba, a.group_ticks = ga;
  b.wall_ns = wb, b.busy_ticks = bb, b.group_ticks = gb;
  char line[160];
  bench_neighbours_line(&a, &b, line, sizeof line);
  puts(line);
  return 0;
}
