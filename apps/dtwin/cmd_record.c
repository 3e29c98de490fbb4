/* dtwin record - record topics to an MCAP file (record.h). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtw/clock.h"
#include "process.h"
#include "record.h"

const char dtwin_usage_record[] =
    "usage: dtwin record -o FILE.mcap [TOPIC...] [--compression zstd|lz4|none] [--duration S]\n"
    "\n"
    "Records TOPICs (default: every topic on the DDS graph whose type dtwin knows, joined as\n"
    "they appear) into an MCAP file as rosbag2 writes it: profile ros2, schemas ros2msg with\n"
    "the full message definitions, messages as CDR, zstd chunks (default), chunk indexes and a\n"
    "summary, and a 'dtwin' metadata record with the version and configuration. Open it with\n"
    "ros2 bag info/play, Foxglove or the mcap CLI; analyze it with dtwin analyze.\n"
    "Stops on Ctrl-C / SIGTERM (the file is closed properly) or after --duration seconds.\n"
    "A full disk stops the recording with an error; what was written stays readable.\n"
    "Exit: 0 ok, 1 write or DDS failure, 2 bad options.\n";

int dtwin_cmd_record(dtwin_cli_t *cli) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"compression", required_argument, NULL, 'c'},
                                       {"duration", required_argument, NULL, 'd'},
                                       {NULL, 0, NULL, 0}};
  const char *path = NULL, *comp = NULL;
  double duration = 0;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(cli->argc, cli->argv, "o:", opts, NULL)) != -1) {
    switch (c) {
    case 'o': path = optarg; break;
    case 'c': comp = optarg; break;
    case 'd':
      if (dtwin_parse_seconds(cli, "--duration", optarg, &duration)) return DTWIN_EXIT_USAGE;
      break;
    default: return dtwin_usage_error(cli, "unknown or incomplete option '%s'", cli->argv[optind - 1]);
    }
  }
  if (!path) return dtwin_usage_error(cli, "-o FILE.mcap is required");
  const char *const *topics = (const char *const *)cli->argv + optind;
  size_t n_topics = (size_t)(cli->argc - optind);
  for (size_t i = 0; i < n_topics; i++)
    if (topics[i][0] != '/') return dtwin_usage_error(cli, "topic '%s' must start with '/'", topics[i]);
  dtw_bus_t *bus = NULL;
  int rc = dtwin_bus_open(cli, &bus);
  if (rc) return rc;
  dtwin_install_signal_handlers();
  dtwin_recorder_opts_t ro = {.path = path, .topics = topics, .n_topics = n_topics, .compression = comp};
  dtwin_recorder_t *rec = NULL;
  rc = dtwin_recorder_create(cli, bus, &ro, &rec);
  if (rc) {
    dtw_bus_destroy(bus);
    return rc;
  }
  fprintf(stderr, "dtwin record: recording to %s (Ctrl-C to stop)\n", path);
  int64_t end = duration > 0 ? dtw_clock_mono_ns() + (int64_t)(duration * 1e9) : INT64_MAX;
  while (!dtwin_stop_requested() && dtw_clock_mono_ns() < end) {
    dtwin_recorder_poll(rec);
    dtw_clock_sleep_ns(5 * 1000000LL);
  }
  bool failed = dtwin_recorder_failed(rec);
  rc = dtwin_recorder_close(rec);
  dtw_bus_destroy(bus);
  return rc || failed ? DTWIN_EXIT_FAILURE : DTWIN_EXIT_OK;
}
