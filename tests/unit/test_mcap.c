/* test_mcap.c - MCAP writer and reader: round trips in every compression,
 * the summary, and bad input (truncated, CRC mismatch, unknown compression,
 * oversized chunk) ending in an error naming offset and record kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dtw/err.h"
#include "dtw/mcap.h"

static char path[256];

static void write_file(dtw_mcap_compression_t comp, size_t chunk_size, int n_msgs) {
  dtw_mcap_write_options_t o;
  dtw_mcap_write_options_default(&o);
  o.compression = comp;
  o.chunk_size = chunk_size;
  dtw_mcap_writer_t *w = NULL;
  char err[256];
  assert_int_equal(dtw_mcap_writer_open(path, &o, &w, err, sizeof err), 0);
  uint16_t sid, c0, c1;
  const char *def = "float64 x\n";
  assert_int_equal(dtw_mcap_add_schema(w, "pkg/msg/X", "ros2msg", def, strlen(def), &sid, err, sizeof err), 0);
  const char *meta[] = {"offered_qos_profiles", ""};
  assert_int_equal(dtw_mcap_add_channel(w, sid, "/a", "cdr", meta, 1, &c0, err, sizeof err), 0);
  assert_int_equal(dtw_mcap_add_channel(w, sid, "/b", "cdr", NULL, 0, &c1, err, sizeof err), 0);
  const char *kv[] = {"version", "1.2.3", "config", "x: 1"};
  assert_int_equal(dtw_mcap_write_metadata(w, "dtwin", kv, 2, err, sizeof err), 0);
  for (int i = 0; i < n_msgs; i++) {
    uint8_t payload[12] = {0, 1, 0, 0};
    memcpy(payload + 4, &i, sizeof i);
    assert_int_equal(dtw_mcap_write_message(w, i % 2 ? c1 : c0, (uint32_t)i, 1000 + (uint64_t)i,
                                            1000 + (uint64_t)i, payload, sizeof payload, err, sizeof err), 0);
  }
  assert_int_equal(dtw_mcap_writer_messages(w), (uint64_t)n_msgs);
  assert_int_equal(dtw_mcap_writer_close(w, err, sizeof err), 0);
}

static int read_all(const char *p, int *count, char *err, size_t errlen) {
  dtw_mcap_reader_t *r = NULL;
  int rc = dtw_mcap_reader_open(p, &r, err, errlen);
  if (rc) return rc;
  dtw_mcap_message_t m;
  *count = 0;
  while ((rc = dtw_mcap_next(r, &m, err, errlen)) == 1) {
    int v;
    memcpy(&v, m.data + 4, sizeof v);
    if (v != *count || m.log_time != 1000 + (uint64_t)v) { rc = -100; break; }
    if (strcmp(m.channel->topic, v % 2 ? "/b" : "/a")) { rc = -101; break; }
    (*count)++;
  }
  dtw_mcap_reader_close(r);
  return rc;
}

static void roundtrip(dtw_mcap_compression_t comp) {
  write_file(comp, 200, 1000);
  dtw_mcap_reader_t *r = NULL;
  char err[256];
  int orc = dtw_mcap_reader_open(path, &r, err, sizeof err);
  if (orc) print_error("%s\n", err);
  assert_int_equal(orc, 0);
  assert_true(dtw_mcap_reader_complete(r));
  assert_string_equal(dtw_mcap_reader_profile(r), "ros2");
  const dtw_mcap_stats_t *s = dtw_mcap_reader_stats(r);
  assert_true(s->present);
  assert_int_equal(s->message_count, 1000);
  assert_int_equal(s->channel_count, 2);
  assert_int_equal(s->schema_count, 1);
  assert_true(s->chunk_count > 10);
  assert_int_equal(s->message_start_time, 1000);
  assert_int_equal(s->message_end_time, 1999);
  assert_int_equal(dtw_mcap_channel_count(r), 2);
  const dtw_mcap_channel_t *a = dtw_mcap_channel_by_topic(r, "/a");
  assert_non_null(a);
  assert_string_equal(a->schema->name, "pkg/msg/X");
  assert_string_equal((const char *)a->schema->data, "float64 x\n");
  assert_int_equal(a->n_meta, 1);
  assert_string_equal(dtw_mcap_metadata(r, "dtwin", "config"), "x: 1");
  dtw_mcap_reader_close(r);
  int n = 0;
  assert_int_equal(read_all(path, &n, err, sizeof err), 0);
  assert_int_equal(n, 1000);
}

static void test_roundtrip_zstd(void **st) { (void)st; roundtrip(DTW_MCAP_ZSTD); }
static void test_roundtrip_lz4(void **st) { (void)st; roundtrip(DTW_MCAP_LZ4); }
static void test_roundtrip_none(void **st) { (void)st; roundtrip(DTW_MCAP_UNCOMPRESSED); }

static uint8_t *slurp(const char *p, size_t *len) {
  FILE *f = fopen(p, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *d = malloc(*len);
  assert_int_equal(fread(d, 1, *len, f), *len);
  fclose(f);
  return d;
}

static int read_mem(const uint8_t *d, size_t len, char *err, size_t errlen) {
  dtw_mcap_reader_t *r = NULL;
  int rc = dtw_mcap_reader_open_mem(d, len, &r, err, errlen);
  if (rc) return rc;
  dtw_mcap_message_t m;
  while ((rc = dtw_mcap_next(r, &m, err, errlen)) == 1) {}
  dtw_mcap_reader_close(r);
  return rc;
}

/* Offset of the first Chunk record (after magic + header + schema... in a
 * file whose first data record outside the header is a Metadata then Chunk). */
static size_t find_op(const uint8_t *d, size_t len, int op) {
  size_t off = 8;
  while (off + 9 <= len) {
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)d[off + 1 + i] << (8 * i);
    if (d[off] == op) return off;
    off += 9 + n;
  }
  return 0;
}

static void test_truncated(void **st) {
  (void)st;
  write_file(DTW_MCAP_ZSTD, 200, 100);
  size_t len;
  uint8_t *d = slurp(path, &len);
  char err[256];
  int ok = 0;
  /* every prefix: an error or a clean end, never a crash (ASan run) */
  for (size_t cut = 0; cut < len; cut += 7) {
    int rc = read_mem(d, cut, err, sizeof err);
    if (rc == 0) ok++;
    else assert_true(rc < 0);
  }
  size_t chunk = find_op(d, len, DTW_MCAP_OP_CHUNK);
  assert_true(chunk > 0);
  assert_int_equal(read_mem(d, chunk + 20, err, sizeof err), DTW_EPARSE);
  char want[64];
  snprintf(want, sizeof want, "offset %zu: Chunk record: truncated", chunk);
  assert_non_null(strstr(err, want));
  free(d);
}

static void test_crc_mismatch(void **st) {
  (void)st;
  write_file(DTW_MCAP_UNCOMPRESSED, 1 << 20, 10);
  size_t len;
  uint8_t *d = slurp(path, &len);
  size_t chunk = find_op(d, len, DTW_MCAP_OP_CHUNK);
  d[chunk + 9 + 60] ^= 0x40; /* inside the uncompressed records */
  char err[256];
  assert_int_equal(read_mem(d, len, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "Chunk record: CRC mismatch"));
  free(d);
}

static void test_unknown_compression(void **st) {
  (void)st;
  write_file(DTW_MCAP_LZ4, 1 << 20, 10);
  size_t len;
  uint8_t *d = slurp(path, &len);
  size_t chunk = find_op(d, len, DTW_MCAP_OP_CHUNK);
  /* compression string "lz4" follows start, end, size (3 x 8) and crc (4) and its length (4) */
  memcpy(d + chunk + 9 + 32, "xz4", 3);
  char err[256];
  assert_int_equal(read_mem(d, len, err, sizeof err), DTW_EUNSUP);
  assert_non_null(strstr(err, "unknown compression 'xz4'"));
  free(d);
}

static void test_oversized(void **st) {
  (void)st;
  write_file(DTW_MCAP_ZSTD, 1 << 20, 10);
  size_t len;
  uint8_t *d = slurp(path, &len);
  size_t chunk = find_op(d, len, DTW_MCAP_OP_CHUNK);
  d[chunk + 9 + 16 + 7] = 0x7f; /* uncompressed_size: huge */
  char err[256];
  assert_int_equal(read_mem(d, len, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "oversized"));
  free(d);
}

static void test_not_mcap(void **st) {
  (void)st;
  char err[256];
  assert_int_equal(read_mem((const uint8_t *)"hello world, not mcap", 21, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "offset 0"));
}

static void test_unwritable(void **st) {
  (void)st;
  dtw_mcap_writer_t *w = NULL;
  char err[256];
  assert_int_equal(dtw_mcap_writer_open("/nonexistent-dir/x.mcap", NULL, &w, err, sizeof err), DTW_EIO);
  assert_non_null(strstr(err, "/nonexistent-dir/x.mcap"));
}

/* A full disk (/dev/full): the failure latches with a clear message. */
static void test_full_disk(void **st) {
  (void)st;
  if (access("/dev/full", W_OK)) skip();
  dtw_mcap_writer_t *w = NULL;
  char err[256];
  int rc = dtw_mcap_writer_open("/dev/full", NULL, &w, err, sizeof err);
  assert_int_equal(rc, DTW_EIO);
  assert_non_null(strstr(err, "write at byte"));
}

int main(void) {
  snprintf(path, sizeof path, "/tmp/test_mcap_%d.mcap", (int)getpid());
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_zstd), cmocka_unit_test(test_roundtrip_lz4),
      cmocka_unit_test(test_roundtrip_none), cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_crc_mismatch),   cmocka_unit_test(test_unknown_compression),
      cmocka_unit_test(test_oversized),      cmocka_unit_test(test_not_mcap),
      cmocka_unit_test(test_unwritable),     cmocka_unit_test(test_full_disk),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  unlink(path);
  return rc;
}
