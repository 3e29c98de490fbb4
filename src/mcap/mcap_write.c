/* mcap_write.c - the MCAP writer (dtw/mcap.h). */
#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "dtw/err.h"
#include "dtw/mcap.h"
#include "mcap__internal.h"

/* One (log_time, offset-in-chunk) entry of a channel's message index. */
typedef struct widx {
  uint64_t t, off;
} widx_t;

typedef struct wchan {
  bool used;
  widx_t *idx; /* this chunk's entries */
  size_t n_idx, cap_idx;
  uint64_t count; /* messages in the whole file */
} wchan_t;

typedef struct chunk_index {
  uint64_t start, end, offset, length, mi_length, compressed, uncompressed;
  size_t mi_first; /* first entry in w->mi_offsets */
  size_t mi_n;
} chunk_index_t;

typedef struct mi_off {
  uint16_t channel;
  uint64_t offset;
} mi_off_t;

typedef struct meta_index {
  uint64_t offset, length;
  char *name;
} meta_index_t;

struct dtw_mcap_writer {
  int fd;
  char path[256];
  dtw_mcap_write_options_t opt;
  uint64_t pos;      /* bytes written */
  uint32_t data_crc; /* CRC of everything written so far (data section) */
  int failed;
  char fail_msg[400];
  dtw__mbuf_t chunk;  /* uncompressed records of the open chunk */
  dtw__mbuf_t out;    /* scratch: compressed chunk, summary */
  dtw__mbuf_t schemas; /* Schema records, for the chunks that need them and the summary */
  dtw__mbuf_t channels;
  uint64_t chunk_start, chunk_end;
  bool chunk_has_msg;
  wchan_t *chans;
  size_t n_chans;
  uint16_t n_schemas;
  uint64_t messages, msg_start, msg_end;
  chunk_index_t *cidx;
  size_t n_cidx, cap_cidx;
  mi_off_t *mi_offsets;
  size_t n_mi, cap_mi;
  meta_index_t *midx;
  size_t n_midx, cap_midx;
  ZSTD_CCtx *zc;
};

int dtw__mbuf_reserve(dtw__mbuf_t *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) return DTW_ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

void dtw__mbuf_free(dtw__mbuf_t *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

void dtw_mcap_write_options_default(dtw_mcap_write_options_t *opt) {
  memset(opt, 0, sizeof *opt);
  opt->profile = "ros2";
  opt->library = "dtwin";
  opt->compression = DTW_MCAP_ZSTD;
  opt->zstd_level = 1;
  opt->chunk_size = 1u << 20;
}

int dtw_mcap_compression_parse(const char *text) {
  if (!strcmp(text, "zstd")) return DTW_MCAP_ZSTD;
  if (!strcmp(text, "lz4")) return DTW_MCAP_LZ4;
  if (!strcmp(text, "none") || !*text) return DTW_MCAP_UNCOMPRESSED;
  return -1;
}

static int fail(dtw_mcap_writer_t *w, char *err, size_t errlen) {
  return dtw_errf(err, errlen, w->failed, "%s", w->fail_msg);
}

/* Write all of len bytes to the file; the first failure latches. */
static int wr(dtw_mcap_writer_t *w, const void *data, size_t len, char *err, size_t errlen) {
  if (w->failed) return fail(w, err, errlen);
  const uint8_t *p = data;
  size_t left = len;
  while (left) {
    ssize_t n = write(w->fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      w->failed = DTW_EIO;
      snprintf(w->fail_msg, sizeof w->fail_msg, "%s: write at byte %llu failed: %s", w->path,
               (unsigned long long)(w->pos + (len - left)), n < 0 ? strerror(errno) : "no space");
      return fail(w, err, errlen);
    }
    p += n;
    left -= (size_t)n;
  }
  w->data_crc = dtw_mcap_crc32(w->data_crc, data, len);
  w->pos += len;
  return 0;
}

static int oom(dtw_mcap_writer_t *w, char *err, size_t errlen) {
  if (!w->failed) {
    w->failed = DTW_ENOMEM;
    snprintf(w->fail_msg, sizeof w->fail_msg, "%s: out of memory", w->path);
  }
  return fail(w, err, errlen);
}

/* Begin a record: opcode and a length patched by rec_end. */
static size_t rec_begin(dtw__mbuf_t *b, uint8_t op) {
  dtw__put_u8(b, op);
  size_t at = b->len;
  dtw__put_u64(b, 0);
  return at;
}
static void rec_end(dtw__mbuf_t *b, size_t at) { dtw__set_u64(b->p + at, b->len - at - 8); }

int dtw_mcap_writer_open(const char *path, const dtw_mcap_write_options_t *opt,
                         dtw_mcap_writer_t **out, char *err, size_t errlen) {
  dtw_mcap_write_options_t o;
  if (opt) o = *opt;
  else dtw_mcap_write_options_default(&o);
  if (!o.chunk_size) o.chunk_size = 1u << 20;
  if (!o.profile) o.profile = "";
  if (!o.library) o.library = "dtwin";
  dtw_mcap_writer_t *w = calloc(1, sizeof *w);
  if (!w) return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", path);
  w->opt = o;
  snprintf(w->path, sizeof w->path, "%s", path);
  w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd < 0) {
    int rc = dtw_errf(err, errlen, DTW_EIO, "%s: cannot create: %s", path, strerror(errno));
    free(w);
    return rc;
  }
  w->msg_start = UINT64_MAX;
  dtw__mbuf_t h = {0};
  if (dtw__mbuf_reserve(&h, 64 + strlen(o.profile) + strlen(o.library))) goto nomem;
  dtw__put_bytes(&h, DTW__MCAP_MAGIC, DTW__MCAP_MAGIC_LEN);
  size_t at = rec_begin(&h, DTW_MCAP_OP_HEADER);
  dtw__put_str(&h, o.profile);
  dtw__put_str(&h, o.library);
  rec_end(&h, at);
  int rc = wr(w, h.p, h.len, err, errlen);
  dtw__mbuf_free(&h);
  if (rc) {
    dtw_mcap_writer_close(w, NULL, 0);
    return rc;
  }
  *out = w;
  return 0;
nomem:
  close(w->fd);
  free(w);
  return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", path);
}

int dtw_mcap_add_schema(dtw_mcap_writer_t *w, const char *name, const char *encoding,
                        const void *data, size_t len, uint16_t *id, char *err, size_t errlen) {
  if (w->failed) return fail(w, err, errlen);
  if (w->n_schemas == UINT16_MAX) return dtw_errf(err, errlen, DTW_EFULL, "%s: too many schemas", w->path);
  if (dtw__mbuf_reserve(&w->schemas, 32 + strlen(name) + strlen(encoding) + len)) return oom(w, err, errlen);
  *id = ++w->n_schemas;
  size_t at = rec_begin(&w->schemas, DTW_MCAP_OP_SCHEMA);
  dtw__put_u16(&w->schemas, *id);
  dtw__put_str(&w->schemas, name);
  dtw__put_str(&w->schemas, encoding);
  dtw__put_u32(&w->schemas, (uint32_t)len);
  dtw__put_bytes(&w->schemas, data, len);
  rec_end(&w->schemas, at);
  /* the schema also goes into the data section (in the chunk) before its first use */
  size_t n = w->schemas.len - (at - 1);
  if (dtw__mbuf_reserve(&w->chunk, n)) return oom(w, err, errlen);
  dtw__put_bytes(&w->chunk, w->schemas.p + at - 1, n);
  return 0;
}

int dtw_mcap_add_channel(dtw_mcap_writer_t *w, uint16_t schema_id, const char *topic,
                         const char *message_encoding, const char *const *meta, size_t n_meta,
                         uint16_t *id, char *err, size_t errlen) {
  if (w->failed) return fail(w, err, errlen);
  if (w->n_chans >= UINT16_MAX) return dtw_errf(err, errlen, DTW_EFULL, "%s: too many channels", w->path);
  size_t need = 64 + strlen(topic) + strlen(message_encoding);
  for (size_t i = 0; i < 2 * n_meta; i++) need += 4 + strlen(meta[i]);
  if (dtw__mbuf_reserve(&w->channels, need)) return oom(w, err, errlen);
  wchan_t *c = realloc(w->chans, (w->n_chans + 1) * sizeof *c);
  if (!c) return oom(w, err, errlen);
  w->chans = c;
  memset(&c[w->n_chans], 0, sizeof *c);
  *id = (uint16_t)w->n_chans++;
  dtw__mbuf_t *b = &w->channels;
  size_t at = rec_begin(b, DTW_MCAP_OP_CHANNEL);
  dtw__put_u16(b, *id);
  dtw__put_u16(b, schema_id);
  dtw__put_str(b, topic);
  dtw__put_str(b, message_encoding);
  size_t map_at = b->len;
  dtw__put_u32(b, 0);
  for (size_t i = 0; i < 2 * n_meta; i++) dtw__put_str(b, meta[i]);
  dtw__set_u32(b->p + map_at, (uint32_t)(b->len - map_at - 4));
  rec_end(b, at);
  size_t n = b->len - (at - 1);
  if (dtw__mbuf_reserve(&w->chunk, n)) return oom(w, err, errlen);
  dtw__put_bytes(&w->chunk, b->p + at - 1, n);
  return 0;
}

/* Compress and write the open chunk, then its message indexes. */
static int write_chunk(dtw_mcap_writer_t *w, char *err, size_t errlen) {
  if (w->failed) return fail(w, err, errlen);
  if (!w->chunk.len) return 0;
  const char *comp = w->opt.compression == DTW_MCAP_ZSTD ? "zstd"
                     : w->opt.compression == DTW_MCAP_LZ4 ? "lz4" : "";
  size_t bound = w->opt.compression == DTW_MCAP_ZSTD ? ZSTD_compressBound(w->chunk.len)
                 : w->opt.compression == DTW_MCAP_LZ4 ? LZ4F_compressFrameBound(w->chunk.len, NULL)
                 : w->chunk.len;
  w->out.len = 0;
  if (dtw__mbuf_reserve(&w->out, 64 + bound)) return oom(w, err, errlen);
  uint32_t crc = dtw_mcap_crc32(0, w->chunk.p, w->chunk.len);
  size_t at = rec_begin(&w->out, DTW_MCAP_OP_CHUNK);
  dtw__put_u64(&w->out, w->chunk_has_msg ? w->chunk_start : 0);
  dtw__put_u64(&w->out, w->chunk_has_msg ? w->chunk_end : 0);
  dtw__put_u64(&w->out, w->chunk.len);
  dtw__put_u32(&w->out, crc);
  dtw__put_str(&w->out, comp);
  size_t len_at = w->out.len;
  dtw__put_u64(&w->out, 0);
  size_t csize;
  uint8_t *dst = w->out.p + w->out.len;
  if (w->opt.compression == DTW_MCAP_ZSTD) {
    if (!w->zc && !(w->zc = ZSTD_createCCtx())) return oom(w, err, errlen);
    csize = ZSTD_compressCCtx(w->zc, dst, bound, w->chunk.p, w->chunk.len, w->opt.zstd_level);
    if (ZSTD_isError(csize))
      return dtw_errf(err, errlen, DTW_EIO, "%s: zstd: %s", w->path, ZSTD_getErrorName(csize));
  } else if (w->opt.compression == DTW_MCAP_LZ4) {
    csize = LZ4F_compressFrame(dst, bound, w->chunk.p, w->chunk.len, NULL);
    if (LZ4F_isError(csize))
      return dtw_errf(err, errlen, DTW_EIO, "%s: lz4: %s", w->path, LZ4F_getErrorName(csize));
  } else {
    memcpy(dst, w->chunk.p, w->chunk.len);
    csize = w->chunk.len;
  }
  w->out.len += csize;
  dtw__set_u64(w->out.p + len_at, csize);
  rec_end(&w->out, at);

  chunk_index_t ci = {.start = w->chunk_has_msg ? w->chunk_start : 0,
                      .end = w->chunk_has_msg ? w->chunk_end : 0,
                      .offset = w->pos, .length = w->out.len, .compressed = csize,
                      .uncompressed = w->chunk.len, .mi_first = w->n_mi};
  /* message indexes, one per channel with messages in this chunk */
  size_t chunk_rec_len = w->out.len;
  size_t need = 0;
  for (size_t c = 0; c < w->n_chans; c++)
    if (w->chans[c].n_idx) need += 32 + 16 * w->chans[c].n_idx;
  if (dtw__mbuf_reserve(&w->out, need)) return oom(w, err, errlen);
  for (size_t c = 0; c < w->n_chans; c++) {
    wchan_t *ch = &w->chans[c];
    if (!ch->n_idx) continue;
    if (w->n_mi == w->cap_mi) {
      size_t cap = w->cap_mi ? 2 * w->cap_mi : 64;
      mi_off_t *m = realloc(w->mi_offsets, cap * sizeof *m);
      if (!m) return oom(w, err, errlen);
      w->mi_offsets = m;
      w->cap_mi = cap;
    }
    w->mi_offsets[w->n_mi++] = (mi_off_t){(uint16_t)c, w->pos + w->out.len};
    size_t mat = rec_begin(&w->out, DTW_MCAP_OP_MESSAGE_INDEX);
    dtw__put_u16(&w->out, (uint16_t)c);
    dtw__put_u32(&w->out, (uint32_t)(16 * ch->n_idx));
    for (size_t i = 0; i < ch->n_idx; i++) {
      dtw__put_u64(&w->out, ch->idx[i].t);
      dtw__put_u64(&w->out, ch->idx[i].off);
    }
    rec_end(&w->out, mat);
    ch->n_idx = 0;
  }
  ci.mi_n = w->n_mi - ci.mi_first;
  ci.mi_length = w->out.len - chunk_rec_len;
  if (w->n_cidx == w->cap_cidx) {
    size_t cap = w->cap_cidx ? 2 * w->cap_cidx : 64;
    chunk_index_t *c = realloc(w->cidx, cap * sizeof *c);
    if (!c) return oom(w, err, errlen);
    w->cidx = c;
    w->cap_cidx = cap;
  }
  w->cidx[w->n_cidx++] = ci;
  w->chunk.len = 0;
  w->chunk_has_msg = false;
  return wr(w, w->out.p, w->out.len, err, errlen);
}

int dtw_mcap_write_message(dtw_mcap_writer_t *w, uint16_t channel_id, uint32_t sequence,
                           uint64_t log_time, uint64_t publish_time, const void *data,
                           size_t len, char *err, size_t errlen) {
  if (w->failed) return fail(w, err, errlen);
  if (channel_id >= w->n_chans)
    return dtw_errf(err, errlen, DTW_EINVAL, "%s: message on unknown channel %u", w->path, channel_id);
  wchan_t *ch = &w->chans[channel_id];
  if (ch->n_idx == ch->cap_idx) {
    size_t cap = ch->cap_idx ? 2 * ch->cap_idx : 256;
    widx_t *p = realloc(ch->idx, cap * sizeof *p);
    if (!p) return oom(w, err, errlen);
    ch->idx = p;
    ch->cap_idx = cap;
  }
  if (dtw__mbuf_reserve(&w->chunk, 9 + 22 + len)) return oom(w, err, errlen);
  ch->idx[ch->n_idx++] = (widx_t){log_time, w->chunk.len};
  size_t at = rec_begin(&w->chunk, DTW_MCAP_OP_MESSAGE);
  dtw__put_u16(&w->chunk, channel_id);
  dtw__put_u32(&w->chunk, sequence);
  dtw__put_u64(&w->chunk, log_time);
  dtw__put_u64(&w->chunk, publish_time);
  dtw__put_bytes(&w->chunk, data, len);
  rec_end(&w->chunk, at);
  if (!w->chunk_has_msg || log_time < w->chunk_start) w->chunk_start = log_time;
  if (!w->chunk_has_msg || log_time > w->chunk_end) w->chunk_end = log_time;
  w->chunk_has_msg = true;
  ch->count++;
  w->messages++;
  if (log_time < w->msg_start) w->msg_start = log_time;
  if (log_time > w->msg_end) w->msg_end = log_time;
  if (w->chunk.len >= w->opt.chunk_size) return write_chunk(w, err, errlen);
  return 0;
}

int dtw_mcap_write_metadata(dtw_mcap_writer_t *w, const char *name, const char *const *kv,
                            size_t n, char *err, size_t errlen) {
  int rc = write_chunk(w, err, errlen); /* metadata lives outside chunks */
  if (rc) return rc;
  size_t need = 32 + strlen(name);
  for (size_t i = 0; i < 2 * n; i++) need += 4 + strlen(kv[i]);
  w->out.len = 0;
  if (dtw__mbuf_reserve(&w->out, need)) return oom(w, err, errlen);
  size_t at = rec_begin(&w->out, DTW_MCAP_OP_METADATA);
  dtw__put_str(&w->out, name);
  size_t map_at = w->out.len;
  dtw__put_u32(&w->out, 0);
  for (size_t i = 0; i < 2 * n; i++) dtw__put_str(&w->out, kv[i]);
  dtw__set_u32(w->out.p + map_at, (uint32_t)(w->out.len - map_at - 4));
  rec_end(&w->out, at);
  if (w->n_midx == w->cap_midx) {
    size_t cap = w->cap_midx ? 2 * w->cap_midx : 8;
    meta_index_t *m = realloc(w->midx, cap * sizeof *m);
    if (!m) return oom(w, err, errlen);
    w->midx = m;
    w->cap_midx = cap;
  }
  char *nm = strdup(name);
  if (!nm) return oom(w, err, errlen);
  w->midx[w->n_midx++] = (meta_index_t){w->pos, w->out.len, nm};
  return wr(w, w->out.p, w->out.len, err, errlen);
}

int dtw_mcap_writer_flush(dtw_mcap_writer_t *w, char *err, size_t errlen) {
  return write_chunk(w, err, errlen);
}

uint64_t dtw_mcap_writer_messages(const dtw_mcap_writer_t *w) { return w->messages; }
uint64_t dtw_mcap_writer_bytes(const dtw_mcap_writer_t *w) { return w->pos + w->chunk.len; }
int dtw_mcap_writer_failed(const dtw_mcap_writer_t *w) { return w->failed; }

/* Summary: schemas, channels, statistics, chunk indexes, metadata indexes,
 * summary offsets, footer. */
static int write_summary(dtw_mcap_writer_t *w, char *err, size_t errlen) {
  dtw__mbuf_t *b = &w->out;
  b->len = 0;
  size_t need = w->schemas.len + w->channels.len + 128 + 10 * w->n_chans +
                w->n_cidx * 96 + w->n_mi * 10 + 256;
  for (size_t i = 0; i < w->n_midx; i++) need += 32 + strlen(w->midx[i].name);
  if (dtw__mbuf_reserve(b, need)) return oom(w, err, errlen);
  uint64_t start = w->pos;
  struct { uint8_t op; uint64_t at, len; } groups[5];
  int ng = 0;
#define GROUP_BEGIN(opcode) (groups[ng].op = (opcode), groups[ng].at = start + b->len)
#define GROUP_END() (groups[ng].len = start + b->len - groups[ng].at, ng++)
  if (w->schemas.len) {
    GROUP_BEGIN(DTW_MCAP_OP_SCHEMA);
    dtw__put_bytes(b, w->schemas.p, w->schemas.len);
    GROUP_END();
  }
  if (w->channels.len) {
    GROUP_BEGIN(DTW_MCAP_OP_CHANNEL);
    dtw__put_bytes(b, w->channels.p, w->channels.len);
    GROUP_END();
  }
  GROUP_BEGIN(DTW_MCAP_OP_STATISTICS);
  size_t at = rec_begin(b, DTW_MCAP_OP_STATISTICS);
  dtw__put_u64(b, w->messages);
  dtw__put_u16(b, w->n_schemas);
  dtw__put_u32(b, (uint32_t)w->n_chans);
  dtw__put_u32(b, 0); /* attachments */
  dtw__put_u32(b, (uint32_t)w->n_midx);
  dtw__put_u32(b, (uint32_t)w->n_cidx);
  dtw__put_u64(b, w->messages ? w->msg_start : 0);
  dtw__put_u64(b, w->messages ? w->msg_end : 0);
  size_t map_at = b->len;
  dtw__put_u32(b, 0);
  for (size_t c = 0; c < w->n_chans; c++) {
    dtw__put_u16(b, (uint16_t)c);
    dtw__put_u64(b, w->chans[c].count);
  }
  dtw__set_u32(b->p + map_at, (uint32_t)(b->len - map_at - 4));
  rec_end(b, at);
  GROUP_END();
  if (w->n_cidx) {
    GROUP_BEGIN(DTW_MCAP_OP_CHUNK_INDEX);
    const char *comp = w->opt.compression == DTW_MCAP_ZSTD ? "zstd"
                       : w->opt.compression == DTW_MCAP_LZ4 ? "lz4" : "";
    for (size_t i = 0; i < w->n_cidx; i++) {
      const chunk_index_t *ci = &w->cidx[i];
      at = rec_begin(b, DTW_MCAP_OP_CHUNK_INDEX);
      dtw__put_u64(b, ci->start);
      dtw__put_u64(b, ci->end);
      dtw__put_u64(b, ci->offset);
      dtw__put_u64(b, ci->length);
      dtw__put_u32(b, (uint32_t)(10 * ci->mi_n));
      for (size_t k = 0; k < ci->mi_n; k++) {
        dtw__put_u16(b, w->mi_offsets[ci->mi_first + k].channel);
        dtw__put_u64(b, w->mi_offsets[ci->mi_first + k].offset);
      }
      dtw__put_u64(b, ci->mi_length);
      dtw__put_str(b, comp);
      dtw__put_u64(b, ci->compressed);
      dtw__put_u64(b, ci->uncompressed);
      rec_end(b, at);
    }
    GROUP_END();
  }
  if (w->n_midx) {
    GROUP_BEGIN(DTW_MCAP_OP_METADATA_INDEX);
    for (size_t i = 0; i < w->n_midx; i++) {
      at = rec_begin(b, DTW_MCAP_OP_METADATA_INDEX);
      dtw__put_u64(b, w->midx[i].offset);
      dtw__put_u64(b, w->midx[i].length);
      dtw__put_str(b, w->midx[i].name);
      rec_end(b, at);
    }
    GROUP_END();
  }
#undef GROUP_BEGIN
#undef GROUP_END
  uint64_t offsets_start = start + b->len;
  for (int g = 0; g < ng; g++) {
    at = rec_begin(b, DTW_MCAP_OP_SUMMARY_OFFSET);
    dtw__put_u8(b, groups[g].op);
    dtw__put_u64(b, groups[g].at);
    dtw__put_u64(b, groups[g].len);
    rec_end(b, at);
  }
  dtw__put_u8(b, DTW_MCAP_OP_FOOTER); /* length known now: the CRC covers it */
  dtw__put_u64(b, 20);
  dtw__put_u64(b, start);
  dtw__put_u64(b, offsets_start);
  uint32_t crc = dtw_mcap_crc32(0, b->p, b->len);
  dtw__put_u32(b, crc);
  dtw__put_bytes(b, DTW__MCAP_MAGIC, DTW__MCAP_MAGIC_LEN);
  return wr(w, b->p, b->len, err, errlen);
}

int dtw_mcap_writer_close(dtw_mcap_writer_t *w, char *err, size_t errlen) {
  if (!w) return 0;
  int rc = write_chunk(w, err, errlen);
  if (!rc) {
    uint8_t de[13];
    de[0] = DTW_MCAP_OP_DATA_END;
    dtw__set_u64(de + 1, 4);
    dtw__set_u32(de + 9, w->data_crc);
    rc = wr(w, de, sizeof de, err, errlen);
  }
  if (!rc) rc = write_summary(w, err, errlen);
  if (w->failed && !rc) rc = fail(w, err, errlen);
  if (w->fd >= 0 && close(w->fd) && !rc)
    rc = dtw_errf(err, errlen, DTW_EIO, "%s: close: %s", w->path, strerror(errno));
  for (size_t c = 0; c < w->n_chans; c++) free(w->chans[c].idx);
  free(w->chans);
  free(w->cidx);
  free(w->mi_offsets);
  for (size_t i = 0; i < w->n_midx; i++) free(w->midx[i].name);
  free(w->midx);
  dtw__mbuf_free(&w->chunk);
  dtw__mbuf_free(&w->out);
  dtw__mbuf_free(&w->schemas);
  dtw__mbuf_free(&w->channels);
  ZSTD_freeCCtx(w->zc);
  free(w);
  return rc;
}
