/* dtw/mcap.h - MCAP files (https://mcap.dev/spec), written and read to the
 * specification: chunked (zstd, lz4 frame or uncompressed), message indexes
 * after each chunk, Data End with the data-section CRC, and a summary section
 * (schemas, channels, statistics, chunk indexes, metadata indexes, summary
 * offsets) so readers can seek. No DDS, no ROS: the ros2 profile (schema
 * encoding ros2msg, message encoding cdr) is chosen by the caller.
 *
 * Writer: records go into an in-memory chunk; when it reaches chunk_size
 * bytes it is compressed and written with its message indexes. A write
 * failure (full disk, I/O error) puts the writer in a failed state: the call
 * that hit it and every later one return DTW_EIO with the reason, nothing
 * more is written, and the file holds whole chunks up to the last one written
 * (a reader recovers those). close writes the summary and footer.
 *
 * Reader: maps the whole file, checks magic, header and footer, reads the
 * summary when there is one, then iterates messages in file order (chunks
 * decompressed one at a time, CRCs checked). Bad input -- truncated, CRC
 * mismatch, unknown compression, oversized or malformed records -- is an error
 * naming the byte offset and the record kind, never a crash. A file without
 * summary (a recording cut short) reads up to its last whole record.
 *
 * Memory: open allocates; write_message allocates only while chunk buffers
 * and index arrays grow. Threads: one object, one thread at a time.
 * Errors: 0 / counts, or negative DTW_E*, with one line in err. */
#ifndef DTW_MCAP_H
#define DTW_MCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- record opcodes (spec) ------------------------------------------------ */
enum {
  DTW_MCAP_OP_HEADER = 0x01, DTW_MCAP_OP_FOOTER = 0x02, DTW_MCAP_OP_SCHEMA = 0x03,
  DTW_MCAP_OP_CHANNEL = 0x04, DTW_MCAP_OP_MESSAGE = 0x05, DTW_MCAP_OP_CHUNK = 0x06,
  DTW_MCAP_OP_MESSAGE_INDEX = 0x07, DTW_MCAP_OP_CHUNK_INDEX = 0x08,
  DTW_MCAP_OP_ATTACHMENT = 0x09, DTW_MCAP_OP_ATTACHMENT_INDEX = 0x0A,
  DTW_MCAP_OP_STATISTICS = 0x0B, DTW_MCAP_OP_METADATA = 0x0C,
  DTW_MCAP_OP_METADATA_INDEX = 0x0D, DTW_MCAP_OP_SUMMARY_OFFSET = 0x0E,
  DTW_MCAP_OP_DATA_END = 0x0F
};
/* Record kind name for messages ("Chunk", "unknown(0x42)" as "unknown"). */
const char *dtw_mcap_op_name(int opcode);

/* CRC-32 (ISO-HDLC, as the spec) of len bytes, continuing from crc (start 0). */
uint32_t dtw_mcap_crc32(uint32_t crc, const void *data, size_t len);

/* ---- writer ------------------------------------------------------------------ */
typedef enum { DTW_MCAP_ZSTD = 0, DTW_MCAP_LZ4 = 1, DTW_MCAP_UNCOMPRESSED = 2 } dtw_mcap_compression_t;

typedef struct dtw_mcap_write_options {
  const char *profile;                /* "ros2" */
  const char *library;                /* written in the Header, e.g. "dtwin 0.1.0" */
  dtw_mcap_compression_t compression; /* default zstd */
  int zstd_level;                     /* default 1 (fast; recording must stay cheap) */
  size_t chunk_size;                  /* uncompressed bytes per chunk, default 1 MiB */
} dtw_mcap_write_options_t;

typedef struct dtw_mcap_writer dtw_mcap_writer_t;

/* Defaults: profile "ros2", library "dtwin", zstd level 1, 1 MiB chunks. */
void dtw_mcap_write_options_default(dtw_mcap_write_options_t *opt);
/* "zstd" | "lz4" | "none" -> compression, -1 if unknown. */
int dtw_mcap_compression_parse(const char *text);

/* Create (truncate) path and write magic + Header. DTW_EIO naming the path. */
int dtw_mcap_writer_open(const char *path, const dtw_mcap_write_options_t *opt,
                         dtw_mcap_writer_t **out, char *err, size_t errlen);
/* Add a schema (ids from 1). data is copied. */
int dtw_mcap_add_schema(dtw_mcap_writer_t *w, const char *name, const char *encoding,
                        const void *data, size_t len, uint16_t *id, char *err, size_t errlen);
/* Add a channel on schema_id (0 = no schema); meta holds n_meta key/value
 * pairs as 2*n_meta strings. Ids from 0. */
int dtw_mcap_add_channel(dtw_mcap_writer_t *w, uint16_t schema_id, const char *topic,
                         const char *message_encoding, const char *const *meta, size_t n_meta,
                         uint16_t *id, char *err, size_t errlen);
/* Append a message; times in ns. DTW_EINVAL for an unknown channel, DTW_EIO. */
int dtw_mcap_write_message(dtw_mcap_writer_t *w, uint16_t channel_id, uint32_t sequence,
                           uint64_t log_time, uint64_t publish_time, const void *data,
                           size_t len, char *err, size_t errlen);
/* A Metadata record (name + n pairs as 2*n strings), indexed in the summary. */
int dtw_mcap_write_metadata(dtw_mcap_writer_t *w, const char *name, const char *const *kv,
                            size_t n, char *err, size_t errlen);
/* Write the open chunk now (e.g. periodically, so a crash loses little). */
int dtw_mcap_writer_flush(dtw_mcap_writer_t *w, char *err, size_t errlen);
/* Messages written so far, and bytes in the file. */
uint64_t dtw_mcap_writer_messages(const dtw_mcap_writer_t *w);
uint64_t dtw_mcap_writer_bytes(const dtw_mcap_writer_t *w);
/* Non-zero once a write failed (the DTW_E* code). */
int dtw_mcap_writer_failed(const dtw_mcap_writer_t *w);
/* Write the last chunk, Data End, summary and footer; close and free (also
 * after a failure, then returning that failure). NULL ok. */
int dtw_mcap_writer_close(dtw_mcap_writer_t *w, char *err, size_t errlen);

/* ---- reader ------------------------------------------------------------------ */
typedef struct dtw_mcap_schema {
  uint16_t id;
  char *name;     /* NUL-terminated copies, owned by the reader */
  char *encoding;
  uint8_t *data;  /* + a NUL after len, so text schemas are C strings */
  size_t len;
} dtw_mcap_schema_t;

typedef struct dtw_mcap_channel {
  uint16_t id;
  uint16_t schema_id;
  char *topic;
  char *message_encoding;
  const dtw_mcap_schema_t *schema; /* NULL when schema_id is 0 */
  size_t n_meta;
  char **meta;                     /* 2*n_meta strings */
} dtw_mcap_channel_t;

typedef struct dtw_mcap_message {
  const dtw_mcap_channel_t *channel;
  uint32_t sequence;
  uint64_t log_time, publish_time;
  const uint8_t *data; /* valid until the next dtw_mcap_next / close */
  size_t len;
} dtw_mcap_message_t;

typedef struct dtw_mcap_stats {
  bool present;          /* the file had a Statistics record */
  uint64_t message_count;
  uint32_t schema_count, channel_count, chunk_count, metadata_count, attachment_count;
  uint64_t message_start_time, message_end_time;
} dtw_mcap_stats_t;

typedef struct dtw_mcap_reader dtw_mcap_reader_t;

/* Limits against hostile files: a chunk larger than this when decompressed
 * is refused (oversized). */
#define DTW_MCAP_MAX_CHUNK_BYTES ((uint64_t)1 << 30)

/* Open a file (mapped read-only). DTW_EIO / DTW_EPARSE with offset and kind. */
int dtw_mcap_reader_open(const char *path, dtw_mcap_reader_t **out, char *err, size_t errlen);
/* Read from memory the caller keeps alive until close (fuzzing, tests). */
int dtw_mcap_reader_open_mem(const void *data, size_t len, dtw_mcap_reader_t **out, char *err,
                             size_t errlen);
void dtw_mcap_reader_close(dtw_mcap_reader_t *r);
/* Next message in file order: 1, 0 at the end, or DTW_EPARSE / DTW_ENOMEM
 * naming offset and record kind (the reader then stays at the error). Schemas,
 * channels and metadata met on the way are added to the reader's tables. */
int dtw_mcap_next(dtw_mcap_reader_t *r, dtw_mcap_message_t *msg, char *err, size_t errlen);
/* Restart iteration at the first record. */
void dtw_mcap_rewind(dtw_mcap_reader_t *r);
/* Tables (summary first, then what iteration met). */
size_t dtw_mcap_channel_count(const dtw_mcap_reader_t *r);
const dtw_mcap_channel_t *dtw_mcap_channel_at(const dtw_mcap_reader_t *r, size_t i);
const dtw_mcap_channel_t *dtw_mcap_channel_by_topic(const dtw_mcap_reader_t *r, const char *topic);
size_t dtw_mcap_schema_count(const dtw_mcap_reader_t *r);
const dtw_mcap_schema_t *dtw_mcap_schema_at(const dtw_mcap_reader_t *r, size_t i);
const dtw_mcap_stats_t *dtw_mcap_reader_stats(const dtw_mcap_reader_t *r);
const char *dtw_mcap_reader_profile(const dtw_mcap_reader_t *r);
/* true when the file ended properly (footer + summary); false for a
 * recording cut short, which is still read up to its last whole record. */
bool dtw_mcap_reader_complete(const dtw_mcap_reader_t *r);
/* Metadata value: the first Metadata record named `name`, key `key`; NULL if
 * absent. Looks in records met so far and in the summary-indexed ones. */
const char *dtw_mcap_metadata(dtw_mcap_reader_t *r, const char *name, const char *key);

#endif /* DTW_MCAP_H */
