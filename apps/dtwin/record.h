/* record.h - the recorder `dtwin record` and `dtwin up --record` host: raw CDR
 * subscriptions on the bus written to an MCAP file as rosbag2 writes it
 * (profile ros2, schemas ros2msg from dtw/typedesc.h, message encoding cdr,
 * channel metadata offered_qos_profiles, a "dtwin" metadata record with the
 * version and the configuration).
 *
 * Threads: create, poll and close from one thread (the owner's loop); the
 * subscriptions keep up to 4096 samples each between polls, so a poll every
 * few milliseconds loses nothing at 500 Hz. A write failure (full disk, I/O
 * error) is reported once on stderr and recording stops; the owner keeps
 * running and close still leaves the chunks written so far readable. */
#ifndef DTWIN_RECORD_H
#define DTWIN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "dtw/bus.h"

typedef struct dtwin_recorder dtwin_recorder_t;

typedef struct dtwin_recorder_opts {
  const char *path;
  const char *const *topics; /* NULL/0: every topic on the graph with a known type */
  size_t n_topics;
  const char *compression;   /* "zstd" (default), "lz4", "none" */
} dtwin_recorder_opts_t;

/* Open the file and subscribe. Topics given explicitly get their type from
 * the graph (waiting up to 3 s) or from the name. Returns 0 or an exit code
 * (error printed with the command's name). */
int dtwin_recorder_create(const dtwin_cli_t *cli, dtw_bus_t *bus, const dtwin_recorder_opts_t *o,
                          dtwin_recorder_t **out);
/* Take what arrived and write it; with "all topics", look for new ones on the
 * graph about twice a second. Returns the number of messages written. */
int dtwin_recorder_poll(dtwin_recorder_t *r);
uint64_t dtwin_recorder_messages(const dtwin_recorder_t *r);
/* Non-zero once recording stopped on a write error. */
int dtwin_recorder_failed(const dtwin_recorder_t *r);
/* Write the summary and close. Returns 0 or DTWIN_EXIT_FAILURE (printed). NULL ok. */
int dtwin_recorder_close(dtwin_recorder_t *r);

#endif /* DTWIN_RECORD_H */
