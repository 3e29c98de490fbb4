/* bench_mcap - large-message MCAP write throughput against dd to the same disk.
 *
 * A recording of large messages (point clouds, images: 2 MiB each, random
 * bytes, so compression cannot shrink them) is written with dtw_mcap (zstd
 * level 1, the recorder's default, and uncompressed) and, as the baseline, the
 * same number of bytes with `dd bs=1M`. Both end with the data on the disk
 * (dd conv=fdatasync; fdatasync after the writer's close) and are timed on the
 * wall clock. Rounds alternate the contenders; the report gives medians of the
 * undisturbed rounds and the ratio to dd. Goal (issue 13): >= 0.5x of dd.
 *
 * Usage: bench_mcap [-m MiB per file (256)] [-r rounds (3)] [-d DIR (.)]
 * DIR should be where recordings go (the default: the working directory). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "dtw/clock.h"
#include "dtw/mcap.h"

#define MSG_BYTES (2u << 20)
#define MAX_ROUNDS 9

static double wall_s(void) { return (double)dtw_clock_mono_ns() * 1e-9; }

static double run_dd(const char *path, int mib) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "dd if=/dev/zero of='%s' bs=1M count=%d conv=fdatasync status=none", path, mib);
  double t0 = wall_s();
  int rc = system(cmd);
  double t = wall_s() - t0;
  unlink(path);
  return rc == 0 ? (double)mib / t : 0;
}

static double run_mcap(const char *path, int mib, dtw_mcap_compression_t comp, const uint8_t *msg) {
  dtw_mcap_write_options_t o;
  dtw_mcap_write_options_default(&o);
  o.compression = comp;
  char err[512];
  dtw_mcap_writer_t *w = NULL;
  uint16_t sid, cid;
  double t0 = wall_s();
  if (dtw_mcap_writer_open(path, &o, &w, err, sizeof err) ||
      dtw_mcap_add_schema(w, "sensor_msgs/msg/PointCloud2", "ros2msg", "", 0, &sid, err, sizeof err) ||
      dtw_mcap_add_channel(w, sid, "/points", "cdr", NULL, 0, &cid, err, sizeof err)) {
    fprintf(stderr, "bench_mcap: %s\n", err);
    dtw_mcap_writer_close(w, NULL, 0);
    return 0;
  }
  size_t n = (size_t)mib * (1u << 20) / MSG_BYTES;
  for (size_t i = 0; i < n; i++) {
    /* vary the head so no two messages are equal */
    if (dtw_mcap_write_message(w, cid, (uint32_t)i, i * 100000000ull, i * 100000000ull,
                               msg + (i % 4096), MSG_BYTES, err, sizeof err)) {
      fprintf(stderr, "bench_mcap: %s\n", err);
      break;
    }
  }
  int rc = dtw_mcap_writer_close(w, err, sizeof err);
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    fdatasync(fd);
    close(fd);
  }
  double t = wall_s() - t0;
  unlink(path);
  if (rc) fprintf(stderr, "bench_mcap: %s\n", err);
  return rc ? 0 : (double)mib / t;
}

int main(int argc, char **argv) {
  int mib = 256, rounds = 3, c;
  const char *dir = ".";
  while ((c = getopt(argc, argv, "m:r:d:")) != -1) {
    if (c == 'm') mib = atoi(optarg);
    else if (c == 'r') rounds = atoi(optarg);
    else if (c == 'd') dir = optarg;
    else {
      fprintf(stderr, "usage: bench_mcap [-m MiB] [-r rounds] [-d DIR]\n");
      return 2;
    }
  }
  if (mib < 8) mib = 8;
  if (rounds < 1) rounds = 1;
  if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
  uint8_t *msg = malloc(MSG_BYTES + 4096);
  if (!msg) return 1;
  uint64_t x = 88172645463325252ull; /* xorshift: incompressible bytes */
  for (size_t i = 0; i < MSG_BYTES + 4096; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    msg[i] = (uint8_t)x;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/bench_mcap_%d.tmp", dir, (int)getpid());
  double dd[MAX_ROUNDS], zs[MAX_ROUNDS], raw[MAX_ROUNDS];
  bool dist[MAX_ROUNDS];
  printf("bench_mcap: %d MiB of %u MiB messages per file in %s, %d rounds\n", mib, MSG_BYTES >> 20,
         dir, rounds);
  for (int r = 0; r < rounds; r++) {
    bench_cpu_snapshot_t snap;
    bench_round_begin(&snap);
    dd[r] = run_dd(path, mib);
    zs[r] = run_mcap(path, mib, DTW_MCAP_ZSTD, msg);
    raw[r] = run_mcap(path, mib, DTW_MCAP_UNCOMPRESSED, msg);
    printf("round %d: dd %.0f MiB/s, mcap zstd %.0f MiB/s, mcap uncompressed %.0f MiB/s\n", r + 1,
           dd[r], zs[r], raw[r]);
    dist[r] = bench_round_end(&snap);
  }
  int used;
  char note[96];
  double mdd = bench_median_quiet(dd, dist, rounds, &used);
  double mzs = bench_median_quiet(zs, dist, rounds, &used);
  double mraw = bench_median_quiet(raw, dist, rounds, &used);
  double q = mdd > 0 ? mzs / mdd : 0, qr = mdd > 0 ? mraw / mdd : 0;
  printf("large-message write: dd %.0f MiB/s, mcap zstd %.0f MiB/s (%.2fx dd), uncompressed %.0f "
         "MiB/s (%.2fx dd); goal >= 0.5x: %s [%s]\n",
         mdd, mzs, q, mraw, qr, q >= 0.5 ? "met" : "NOT met",
         bench_rounds_note(used, rounds, note, sizeof note));
  free(msg);
  return q >= 0.5 ? 0 : 1;
}
